/* The dashboard: HTTP on the scheduler's main loop (see dashboard.h). This
 * is the one file that knows libsoup (the 2.4 API, as on Ubuntu 20.04); the
 * documents come from dashboard/views.c, the pages from the GResource built
 * from lib/dashboard/. Read-only: GET and HEAD of a fixed set of paths.
 *
 * libsoup does not listen itself: dashboard/gate.c accepts the connections
 * and bounds each request head (size, header count, time) before libsoup
 * reads it. libsoup keeps a connection alive only when it has listeners of
 * its own, so here every connection carries one request and every request
 * passes the gate. */
#include "config.h"

#include "dashboard.h"
#include "dashboard/gate.h"
#include "dashboard/views.h"
#include "lib/dashboard/pages.h"  /* generated in the build tree */
#include "dmpi-error.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>

#include <libsoup/soup.h>

#define PAGES_PREFIX "/org/daskmpi/dashboard/"
/* Requests of the dashboard carry no body; anything larger is refused.
 * The bounds of the request head are the gate's (dashboard/head.h). */
#define MAX_BODY_BYTES 4096
#define MAX_STREAM_ENTRIES 5000

struct _DmpiDashboard {
  DmpiSched *sched;
  GMainContext *context;
  SoupServer *server;
  DmpiGate *gate;
  char *address;
  double started;
};

static double
now_seconds (void)
{
  /* The clock of the task stream (workers' wall clocks). */
  return (double) g_get_real_time () / G_USEC_PER_SEC;
}

/* ---- the address ---------------------------------------------------------- */

/* "HOST:PORT", ":PORT", "[V6]:PORT" → host ("" for all interfaces) and port. */
static gboolean
parse_address (const char *address, char **host, guint *port, GError **error)
{
  const char *colon = strrchr (address, ':');
  guint64 value;

  if (colon == NULL || !g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &value, NULL))
    {
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_FAILED,
                   "bad dashboard address '%s': expected HOST:PORT, :PORT (all interfaces) or none, with a port from 0 to 65535",
                   address);
      return FALSE;
    }
  *port = (guint) value;
  if (colon - address >= 2 && address[0] == '[' && colon[-1] == ']')
    *host = g_strndup (address + 1, (gsize) (colon - address - 2));
  else
    *host = g_strndup (address, (gsize) (colon - address));
  if (strcmp (*host, "*") == 0 || strcmp (*host, "0.0.0.0") == 0 || strcmp (*host, "::") == 0)
    (*host)[0] = '\0';
  return TRUE;
}

/* The address other nodes (and an SSH tunnel) reach this node by: the first
 * IPv4 address of an interface that is up and not loopback, else what the
 * host name resolves to, else the host name. */
static char *
cluster_host (void)
{
  struct ifaddrs *ifs = NULL;
  char buf[INET_ADDRSTRLEN];
  char *found = NULL;

  if (getifaddrs (&ifs) == 0)
    {
      for (struct ifaddrs *i = ifs; i != NULL && found == NULL; i = i->ifa_next)
        if (i->ifa_addr != NULL && i->ifa_addr->sa_family == AF_INET && (i->ifa_flags & IFF_UP)
            && !(i->ifa_flags & IFF_LOOPBACK)
            && inet_ntop (AF_INET, &((struct sockaddr_in *) (void *) i->ifa_addr)->sin_addr, buf, sizeof buf))
          found = g_strdup (buf);
      freeifaddrs (ifs);
    }
  if (found != NULL)
    return found;

  g_autoptr(GList) addresses = g_resolver_lookup_by_name (g_resolver_get_default (), g_get_host_name (), NULL, NULL);
  for (GList *l = addresses; l != NULL && found == NULL; l = l->next)
    if (g_inet_address_get_family (l->data) == G_SOCKET_FAMILY_IPV4 && !g_inet_address_get_is_loopback (l->data))
      found = g_inet_address_to_string (l->data);
  g_resolver_free_addresses (g_steal_pointer (&addresses));
  return found != NULL ? found : g_strdup (g_get_host_name ());
}

static gboolean
listen_on (DmpiGate *gate, const char *host, guint port, guint *real_port, GError **error)
{
  if (*host == '\0')
    return dmpi_gate_listen (gate, NULL, port, real_port, error);

  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (host);
  if (inet == NULL)
    {
      g_autoptr(GError) lookup_error = NULL;
      GList *addresses = g_resolver_lookup_by_name (g_resolver_get_default (), host, NULL, &lookup_error);
      if (addresses == NULL)
        {
          g_set_error (error, DMPI_ERROR, DMPI_ERROR_FAILED, "dashboard host '%s': %s", host,
                       lookup_error->message);
          return FALSE;
        }
      inet = g_object_ref (addresses->data);
      g_resolver_free_addresses (addresses);
    }
  return dmpi_gate_listen (gate, inet, port, real_port, error);
}

/* ---- requests --------------------------------------------------------------- */

static void
set_text (SoupMessage *msg, guint status, const char *type, GString *text)
{
  soup_message_set_status (msg, status);
  soup_message_headers_replace (msg->response_headers, "Cache-Control", "no-store");
  soup_message_set_response (msg, type, SOUP_MEMORY_TAKE, text->str, text->len);
  g_string_free (text, FALSE);
}

static void
set_error (SoupMessage *msg, guint status, const char *message)
{
  GString *text = g_string_new (message);
  g_string_append_c (text, '\n');
  set_text (msg, status, "text/plain; charset=utf-8", text);
}

static gboolean
serve_page (SoupMessage *msg, const char *name, const char *type)
{
  g_autofree char *path = g_strconcat (PAGES_PREFIX, name, NULL);
  GBytes *bytes = g_resource_lookup_data (dmpi_dashboard_pages_get_resource (), path,
                                          G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  if (bytes == NULL)
    return FALSE;
  gsize size;
  gconstpointer data = g_bytes_get_data (bytes, &size);
  soup_message_set_status (msg, SOUP_STATUS_OK);
  soup_message_headers_replace (msg->response_headers, "Cache-Control", "no-cache");
  /* The pages are static: the data come from the JSON endpoints. */
  SoupBuffer *buffer = soup_buffer_new_with_owner (data, size, bytes, (GDestroyNotify) g_bytes_unref);
  soup_message_body_append_buffer (msg->response_body, buffer);
  soup_buffer_free (buffer);
  soup_message_headers_set_content_type (msg->response_headers, type, NULL);
  return TRUE;
}

static gboolean
worker_exists (DmpiDashboard *d, const char *rank_text)
{
  guint64 rank;
  return g_ascii_string_to_unsigned (rank_text, 10, 0, G_MAXINT, &rank, NULL)
         && dmpi_sched_get_worker (d->sched, (int) rank) != NULL;
}

static void
handle (SoupServer *server, SoupMessage *msg, const char *path, GHashTable *query,
        SoupClientContext *client, gpointer user_data)
{
  DmpiDashboard *d = user_data;
  const char *json = "application/json";

  soup_message_headers_replace (msg->response_headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (msg->response_headers, "Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
  if (msg->method != SOUP_METHOD_GET && msg->method != SOUP_METHOD_HEAD)
    {
      soup_message_headers_replace (msg->response_headers, "Allow", "GET, HEAD");
      set_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "the dashboard is read-only: GET and HEAD only");
      return;
    }

  if (strcmp (path, "/") == 0)
    soup_message_set_redirect (msg, SOUP_STATUS_FOUND, "/status");
  else if (strcmp (path, "/status") == 0)
    serve_page (msg, "status.html", "text/html; charset=utf-8");
  else if (strcmp (path, "/info") == 0)
    serve_page (msg, "info.html", "text/html; charset=utf-8");
  else if (g_str_has_prefix (path, "/info/worker/") && worker_exists (d, path + strlen ("/info/worker/")))
    serve_page (msg, "worker.html", "text/html; charset=utf-8");
  else if (strcmp (path, "/static/dashboard.js") == 0)
    serve_page (msg, "dashboard.js", "application/javascript; charset=utf-8");
  else if (strcmp (path, "/static/dashboard.css") == 0)
    serve_page (msg, "dashboard.css", "text/css; charset=utf-8");
  else if (strcmp (path, "/health") == 0)
    set_text (msg, SOUP_STATUS_OK, "text/plain; charset=utf-8", g_string_new ("ok\n"));
  else if (strcmp (path, "/metrics") == 0)
    set_text (msg, SOUP_STATUS_OK, "text/plain; version=0.0.4; charset=utf-8",
              dmpi_view_metrics (d->sched, now_seconds ()));
  else if (strcmp (path, "/json/stats") == 0)
    set_text (msg, SOUP_STATUS_OK, json, dmpi_view_stats (d->sched, now_seconds (), d->started));
  else if (strcmp (path, "/json/workers") == 0)
    set_text (msg, SOUP_STATUS_OK, json, dmpi_view_workers (d->sched, now_seconds ()));
  else if (strcmp (path, "/json/functions") == 0)
    set_text (msg, SOUP_STATUS_OK, json, dmpi_view_functions (d->sched));
  else if (strcmp (path, "/json/errors") == 0)
    set_text (msg, SOUP_STATUS_OK, json, dmpi_view_errors (d->sched));
  else if (strcmp (path, "/json/stream") == 0)
    {
      const char *after_text = query != NULL ? g_hash_table_lookup (query, "after") : NULL;
      guint64 after = 0;
      if (after_text != NULL && !g_ascii_string_to_unsigned (after_text, 10, 0, G_MAXUINT64, &after, NULL))
        set_error (msg, SOUP_STATUS_BAD_REQUEST, "after= wants a sequence number");
      else
        set_text (msg, SOUP_STATUS_OK, json, dmpi_view_stream (d->sched, after, MAX_STREAM_ENTRIES, now_seconds ()));
    }
  else
    set_error (msg, SOUP_STATUS_NOT_FOUND, "not found");
}

/* Answer and hang up without reading the body: libsoup 2.4 would read a
 * body of any announced length into memory before the handler runs. */
static void
refuse (SoupClientContext *client, guint status, const char *extra_header, const char *why)
{
  g_autoptr(GIOStream) stream = soup_client_context_steal_connection (client);

  if (stream != NULL)
    dmpi_http_answer_and_close (stream, status, soup_status_get_phrase (status), extra_header, why);
}

/* Refuse before the body is read: a method the dashboard does not take, or
 * a body. (The gate has bounded the head.) */
static void
got_headers (SoupMessage *msg, gpointer user_data)
{
  SoupClientContext *client = user_data;
  goffset length = soup_message_headers_get_content_length (msg->request_headers);
  SoupEncoding encoding = soup_message_headers_get_encoding (msg->request_headers);

  if (msg->method != SOUP_METHOD_GET && msg->method != SOUP_METHOD_HEAD)
    refuse (client, SOUP_STATUS_METHOD_NOT_ALLOWED, "Allow: GET, HEAD\r\n",
            "the dashboard is read-only: GET and HEAD only");
  else if (encoding == SOUP_ENCODING_CHUNKED || encoding == SOUP_ENCODING_EOF
           || (encoding == SOUP_ENCODING_CONTENT_LENGTH && length > MAX_BODY_BYTES))
    refuse (client, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "", "the dashboard takes no request body");
}

static void
request_started (SoupServer *server, SoupMessage *msg, SoupClientContext *client, gpointer user_data)
{
  g_signal_connect (msg, "got-headers", G_CALLBACK (got_headers), client);
}

/* A connection whose request head passed the gate. */
static void
admitted (GIOStream *stream, GSocketAddress *local, GSocketAddress *remote, gpointer user_data)
{
  DmpiDashboard *d = user_data;
  g_autoptr(GError) error = NULL;

  /* libsoup reads and writes the connection from the thread-default context. */
  g_main_context_push_thread_default (d->context);
  if (!soup_server_accept_iostream (d->server, stream, local, remote, &error))
    g_message ("dashboard: cannot take a connection: %s", error->message);
  g_main_context_pop_thread_default (d->context);
}

/* ---- the server ---------------------------------------------------------- */

DmpiDashboard *
dmpi_dashboard_new (DmpiSched *sched, GMainContext *context, const char *address, GError **error)
{
  g_autofree char *host = NULL;
  guint port;

  if (!parse_address (address, &host, &port, error))
    return NULL;

  g_autofree DmpiDashboard *d = g_new0 (DmpiDashboard, 1);
  d->sched = sched;
  d->context = context;
  d->started = now_seconds ();
  d->server = soup_server_new (SOUP_SERVER_SERVER_HEADER, "dask-mpi-dashboard", NULL);
  soup_server_add_handler (d->server, NULL, handle, d, NULL);
  g_signal_connect (d->server, "request-started", G_CALLBACK (request_started), d);
  d->gate = dmpi_gate_new (context, admitted, d);
  g_autoptr(GError) listen_error = NULL;
  guint real_port = port;
  if (!listen_on (d->gate, host, port, &real_port, &listen_error))
    {
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_FAILED, "cannot listen on %s: %s", address, listen_error->message);
      dmpi_gate_free (d->gate);
      g_object_unref (d->server);
      return NULL;
    }

  g_autofree char *shown = *host != '\0' ? g_strdup (host) : cluster_host ();
  d->address = strchr (shown, ':') != NULL ? g_strdup_printf ("[%s]:%u", shown, real_port)
                                           : g_strdup_printf ("%s:%u", shown, real_port);
  return g_steal_pointer (&d);
}

void
dmpi_dashboard_free (DmpiDashboard *dashboard)
{
  if (dashboard == NULL)
    return;
  /* Closes the listening sockets and any open connection now. */
  dmpi_gate_free (dashboard->gate);
  soup_server_disconnect (dashboard->server);
  g_object_unref (dashboard->server);
  g_free (dashboard->address);
  g_free (dashboard);
}

const char *
dmpi_dashboard_get_address (DmpiDashboard *dashboard)
{
  return dashboard->address;
}
