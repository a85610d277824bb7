/* The dashboard: HTTP on the scheduler's main loop (see dashboard.h). This
 * is the one file that knows libsoup (the 2.4 API, as on Ubuntu 20.04); the
 * documents come from dashboard/views.c, the pages from the GResource built
 * from lib/dashboard/. Read-only: GET and HEAD of a fixed set of paths.
 *
 * libsoup does not listen itself: dashboard/gate.c accepts the connections
 * and reads each request (its head bounded in size, header count and time,
 * its body in size and time) before libsoup sees it, as a stream of exactly
 * that request. A connection libsoup would keep alive goes back to the gate
 * once the answer is written (wrote_body below), so every request on a
 * connection passes the gate; the gate's file comment says why. */
#include "config.h"

#include "dashboard.h"
#include "dashboard/gate.h"
#include "dashboard/views.h"
#include "lib/dashboard/pages.h"  /* generated in the build tree */
#include "dmpi-error.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/resource.h>

#include <libsoup/soup.h>

#define PAGES_PREFIX "/org/daskmpi/dashboard/"
#define MAX_STREAM_ENTRIES 5000
/* The soft limit of open files is raised to the hard one, but not past
 * this: the gate holds at most DMPI_GATE_MAX_CONNECTIONS, and a limit of
 * millions slows down code that walks every descriptor number. */
#define FD_LIMIT_CAP 65536
/* Where a message keeps the request stream the gate handed on. */
#define REQUEST_KEY "dmpi-gate-request"

struct _DmpiDashboard {
  DmpiSched *sched;
  GMainContext *context;
  SoupServer *server;
  DmpiGate *gate;
  GIOStream *admitting;  /* the request being handed to libsoup */
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

/* The answer is written: give a connection libsoup would keep alive back
 * to the gate, which reads the next request (libsoup would read it without
 * bounds). Else libsoup closes the request stream and the gate closes the
 * connection. After a request libsoup could not parse (400), close. */
static void
wrote_body (SoupMessage *msg, gpointer user_data)
{
  SoupClientContext *client = user_data;
  GIOStream *request = g_object_get_data (G_OBJECT (msg), REQUEST_KEY);

  if (request == NULL || msg->status_code == SOUP_STATUS_BAD_REQUEST || !soup_message_is_keepalive (msg)
      || !dmpi_gate_keep_alive (request))
    return;
  /* libsoup drops the message and lets go of the stream without closing it. */
  GIOStream *stolen = soup_client_context_steal_connection (client);
  g_clear_object (&stolen);
}

/* libsoup starts the one message of each stream within
 * soup_server_accept_iostream (admitted below). */
static void
request_started (SoupServer *server, SoupMessage *msg, SoupClientContext *client, gpointer user_data)
{
  DmpiDashboard *d = user_data;

  if (d->admitting == NULL)
    return;
  g_object_set_data_full (G_OBJECT (msg), REQUEST_KEY, g_object_ref (d->admitting), g_object_unref);
  g_signal_connect (msg, "wrote-body", G_CALLBACK (wrote_body), client);
}

/* A request that passed the gate. */
static void
admitted (GIOStream *request, GSocketAddress *local, GSocketAddress *remote, gpointer user_data)
{
  DmpiDashboard *d = user_data;
  g_autoptr(GError) error = NULL;

  /* libsoup reads and writes the connection from the thread-default context. */
  g_main_context_push_thread_default (d->context);
  d->admitting = request;
  if (!soup_server_accept_iostream (d->server, request, local, remote, &error))
    g_message ("dashboard: cannot take a connection: %s", error->message);
  d->admitting = NULL;
  g_main_context_pop_thread_default (d->context);
}

/* Connections to the dashboard take descriptors: raise the soft limit of
 * open files towards the hard one (see FD_LIMIT_CAP). Only the scheduler
 * serves the dashboard, after MPI started. */
static void
raise_fd_limit (void)
{
  struct rlimit nofile;

  if (getrlimit (RLIMIT_NOFILE, &nofile) != 0 || nofile.rlim_cur == RLIM_INFINITY)
    return;
  rlim_t was = nofile.rlim_cur;
  nofile.rlim_cur = nofile.rlim_max == RLIM_INFINITY ? FD_LIMIT_CAP : MIN (nofile.rlim_max, FD_LIMIT_CAP);
  if (nofile.rlim_cur <= was)
    return;
  if (setrlimit (RLIMIT_NOFILE, &nofile) == 0)
    g_debug ("dashboard: limit of open files raised from %llu to %llu", (unsigned long long) was,
             (unsigned long long) nofile.rlim_cur);
  else
    g_debug ("dashboard: cannot raise the limit of open files from %llu: %s", (unsigned long long) was,
             g_strerror (errno));
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
  raise_fd_limit ();
  g_autoptr(GError) listen_error = NULL;
  guint real_port = port;
  d->gate = dmpi_gate_new (context, admitted, d, &listen_error);
  if (d->gate == NULL || !listen_on (d->gate, host, port, &real_port, &listen_error))
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
  /* libsoup closes the requests it has, then the gate closes the listening
   * sockets and every connection now. */
  soup_server_disconnect (dashboard->server);
  dmpi_gate_free (dashboard->gate);
  g_object_unref (dashboard->server);
  g_free (dashboard->address);
  g_free (dashboard);
}

const char *
dmpi_dashboard_get_address (DmpiDashboard *dashboard)
{
  return dashboard->address;
}
