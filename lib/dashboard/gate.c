/* The dashboard's gate (see gate.h). Everything runs from GSources on the
 * scheduler's context with non-blocking socket calls: a slow or hostile
 * client costs one buffer and one descriptor for a bounded time, never a
 * wait of the loop. */
#include "config.h"

#include "gate.h"
#include "head.h"
#include "replay.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

/* Connections accepted per wake-up of a listening socket, so that a burst
 * of them does not hold the loop. */
#define ACCEPT_BURST 16
/* Bytes read and dropped while lingering. */
#define LINGER_MAX_BYTES (4 << 20)

struct _DmpiGate {
  GMainContext *context;
  DmpiGateFunc func;
  gpointer user_data;
  GPtrArray *listeners;  /* Listener */
  GQueue pending;        /* Pending */
};

typedef struct {
  DmpiGate *gate;
  GSocket *socket;
  GSource *source;  /* readable: connections to accept, or NULL while paused */
  GSource *resume;  /* after an accept error, until the listener takes up again */
} Listener;

typedef struct {
  GList link;  /* in gate->pending */
  DmpiGate *gate;
  GSocket *socket;
  GSource *readable, *deadline;
  gboolean lingering;  /* answered: reading and dropping until the close */
  gsize len;           /* bytes in buf (while lingering: bytes dropped) */
  DmpiHeadScan scan;
  char buf[DMPI_HEAD_MAX_BYTES];
} Pending;

/* ---- answering ---------------------------------------------------------------- */

static char *
format_answer (guint status, const char *reason, const char *extra_headers, const char *text)
{
  return g_strdup_printf ("HTTP/1.1 %u %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
                          "Content-Length: %zu\r\nConnection: close\r\nCache-Control: no-store\r\n%s\r\n%s\n",
                          status, reason, strlen (text) + 1, extra_headers != NULL ? extra_headers : "", text);
}

void
dmpi_http_answer_and_close (GIOStream *stream, guint status, const char *reason, const char *extra_headers,
                            const char *text)
{
  g_autofree char *answer = format_answer (status, reason, extra_headers, text);
  GOutputStream *out = g_io_stream_get_output_stream (stream);

  /* One non-blocking write: the answer is small and nothing was written before it. */
  if (G_IS_POLLABLE_OUTPUT_STREAM (out) && g_pollable_output_stream_can_poll (G_POLLABLE_OUTPUT_STREAM (out)))
    g_pollable_output_stream_write_nonblocking (G_POLLABLE_OUTPUT_STREAM (out), answer, strlen (answer), NULL, NULL);
  g_io_stream_close (stream, NULL, NULL);
}

/* ---- connections at the gate --------------------------------------------------- */

static void
pending_free (Pending *p, gboolean close)
{
  g_queue_unlink (&p->gate->pending, &p->link);
  g_source_destroy (p->readable);
  g_source_unref (p->readable);
  g_source_destroy (p->deadline);
  g_source_unref (p->deadline);
  if (close)
    g_socket_close (p->socket, NULL);
  g_object_unref (p->socket);
  g_free (p);
}

static gboolean on_deadline (gpointer user_data);

static void
set_deadline (Pending *p, guint seconds)
{
  if (p->deadline != NULL)
    {
      g_source_destroy (p->deadline);
      g_source_unref (p->deadline);
    }
  p->deadline = g_timeout_source_new_seconds (seconds);
  g_source_set_callback (p->deadline, on_deadline, p, NULL);
  g_source_attach (p->deadline, p->gate->context);
}

/* Answer, stop sending, and read what the client still sends until it
 * closes or the linger time is over. */
static void
refuse (Pending *p, guint status, const char *reason, const char *text)
{
  g_autofree char *answer = format_answer (status, reason, NULL, text);

  g_socket_send_with_blocking (p->socket, answer, strlen (answer), FALSE, NULL, NULL);
  g_socket_shutdown (p->socket, FALSE, TRUE, NULL);
  p->lingering = TRUE;
  p->len = 0;
  set_deadline (p, DMPI_GATE_LINGER_SECONDS);
}

static void
pass (Pending *p)
{
  DmpiGate *gate = p->gate;
  g_autoptr(GBytes) read = g_bytes_new (p->buf, p->len);
  g_autoptr(GSocketConnection) connection = g_socket_connection_factory_create_connection (p->socket);
  g_autoptr(GIOStream) stream = dmpi_replay_stream_new (connection, read);
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (p->socket, NULL);
  g_autoptr(GSocketAddress) remote = g_socket_get_remote_address (p->socket, NULL);

  pending_free (p, FALSE);
  gate->func (stream, local, remote, gate->user_data);
}

static gboolean
on_readable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  Pending *p = user_data;
  g_autoptr(GError) error = NULL;
  char drop[4096];
  gssize n = p->lingering
    ? g_socket_receive_with_blocking (socket, drop, sizeof drop, FALSE, NULL, &error)
    : g_socket_receive_with_blocking (socket, p->buf + p->len, sizeof p->buf - p->len, FALSE, NULL, &error);

  if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return G_SOURCE_CONTINUE;
  if (n <= 0)
    {
      /* The client closed (or the connection broke): nobody to answer. */
      pending_free (p, TRUE);
      return G_SOURCE_REMOVE;
    }
  p->len += (gsize) n;
  if (p->lingering)
    {
      if (p->len > LINGER_MAX_BYTES)
        {
          pending_free (p, TRUE);
          return G_SOURCE_REMOVE;
        }
      return G_SOURCE_CONTINUE;
    }

  gsize head_len = 0;
  DmpiHeadVerdict verdict = dmpi_head_scan (&p->scan, p->buf, p->len, &head_len);
  switch (verdict)
    {
    case DMPI_HEAD_INCOMPLETE:
      return G_SOURCE_CONTINUE;
    case DMPI_HEAD_COMPLETE:
      pass (p);
      return G_SOURCE_REMOVE;
    case DMPI_HEAD_LINE_TOO_LONG:
      refuse (p, dmpi_head_verdict_status (verdict), "URI Too Long", "the request line is too long");
      return G_SOURCE_CONTINUE;
    case DMPI_HEAD_TOO_LARGE:
      refuse (p, dmpi_head_verdict_status (verdict), "Request Header Fields Too Large",
              "the request head is too large");
      return G_SOURCE_CONTINUE;
    case DMPI_HEAD_TOO_MANY_FIELDS:
    default:
      refuse (p, dmpi_head_verdict_status (verdict), "Request Header Fields Too Large",
              "too many request headers");
      return G_SOURCE_CONTINUE;
    }
}

static gboolean
on_deadline (gpointer user_data)
{
  Pending *p = user_data;

  if (p->lingering)
    pending_free (p, TRUE);
  else
    /* A head that trickles in (or never comes) holds nothing longer than this. */
    refuse (p, 408, "Request Timeout", "the request head did not arrive in time");
  return G_SOURCE_REMOVE;
}

static void
admit (DmpiGate *gate, GSocket *socket)
{
  if (gate->pending.length >= DMPI_GATE_MAX_PENDING)
    {
      g_socket_close (socket, NULL);
      return;
    }

  Pending *p = g_new0 (Pending, 1);
  p->link.data = p;
  p->gate = gate;
  p->socket = g_object_ref (socket);
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
  p->readable = g_socket_create_source (socket, G_IO_IN, NULL);
  g_source_set_callback (p->readable, (GSourceFunc) (GCallback) on_readable, p, NULL);
  g_source_attach (p->readable, gate->context);
  set_deadline (p, DMPI_GATE_HEAD_SECONDS);
  g_queue_push_tail_link (&gate->pending, &p->link);
}

/* ---- listening ----------------------------------------------------------------- */

static gboolean on_incoming (GSocket *socket, GIOCondition condition, gpointer user_data);

static void
listener_watch (Listener *l)
{
  l->source = g_socket_create_source (l->socket, G_IO_IN, NULL);
  g_source_set_callback (l->source, (GSourceFunc) (GCallback) on_incoming, l, NULL);
  g_source_attach (l->source, l->gate->context);
}

static gboolean
on_resume (gpointer user_data)
{
  Listener *l = user_data;
  g_clear_pointer (&l->resume, g_source_unref);
  listener_watch (l);
  return G_SOURCE_REMOVE;
}

static gboolean
on_incoming (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  Listener *l = user_data;

  for (int i = 0; i < ACCEPT_BURST; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GSocket) accepted = g_socket_accept (socket, NULL, &error);
      if (accepted != NULL)
        {
          admit (l->gate, accepted);
          continue;
        }
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        break;
      /* Out of descriptors, say: the socket stays readable, so wait a
       * second rather than spin. */
      g_message ("dashboard: cannot accept a connection: %s", error->message);
      g_source_destroy (l->source);
      g_clear_pointer (&l->source, g_source_unref);
      l->resume = g_timeout_source_new_seconds (1);
      g_source_set_callback (l->resume, on_resume, l, NULL);
      g_source_attach (l->resume, l->gate->context);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
listener_free (Listener *l)
{
  if (l->source != NULL)
    {
      g_source_destroy (l->source);
      g_source_unref (l->source);
    }
  if (l->resume != NULL)
    {
      g_source_destroy (l->resume);
      g_source_unref (l->resume);
    }
  g_socket_close (l->socket, NULL);
  g_object_unref (l->socket);
  g_free (l);
}

static gboolean
listen_one (DmpiGate *gate, GInetAddress *inet, guint port, guint *real_port, GError **error)
{
  GSocketFamily family = g_inet_address_get_family (inet);
  g_autoptr(GSocket) socket = g_socket_new (family, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (inet, (guint16) port);
  g_autoptr(GSocketAddress) local = NULL;

  if (socket == NULL)
    return FALSE;
  /* As libsoup's own listeners: an IPv6 socket takes IPv6 only, IPv4 has its own. */
  if (family == G_SOCKET_FAMILY_IPV6 && !g_socket_set_option (socket, IPPROTO_IPV6, IPV6_V6ONLY, TRUE, error))
    return FALSE;
  g_socket_set_blocking (socket, FALSE);
  g_socket_set_listen_backlog (socket, SOMAXCONN);
  if (!g_socket_bind (socket, address, TRUE, error) || !g_socket_listen (socket, error))
    return FALSE;
  local = g_socket_get_local_address (socket, error);
  if (local == NULL)
    return FALSE;
  *real_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));

  Listener *l = g_new0 (Listener, 1);
  l->gate = gate;
  l->socket = g_steal_pointer (&socket);
  listener_watch (l);
  g_ptr_array_add (gate->listeners, l);
  return TRUE;
}

gboolean
dmpi_gate_listen (DmpiGate *gate, GInetAddress *host, guint port, guint *real_port, GError **error)
{
  if (host != NULL)
    return listen_one (gate, host, port, real_port, error);

  g_autoptr(GInetAddress) any4 = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GInetAddress) any6 = g_inet_address_new_any (G_SOCKET_FAMILY_IPV6);
  /* IPv4 first, then IPv6 on the same port; port 0 may hand out an IPv4
   * port that is taken on the IPv6 side, so try a few. */
  for (int attempt = 0;; attempt++)
    {
      g_autoptr(GError) v6_error = NULL;
      guint v6_port;

      if (!listen_one (gate, any4, port, real_port, error))
        return FALSE;
      if (listen_one (gate, any6, *real_port, &v6_port, &v6_error)
          || g_error_matches (v6_error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))  /* no IPv6 here */
        return TRUE;
      listener_free (g_ptr_array_steal_index (gate->listeners, gate->listeners->len - 1));
      if (port != 0 || attempt == 4 || !g_error_matches (v6_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
        {
          g_propagate_error (error, g_steal_pointer (&v6_error));
          return FALSE;
        }
    }
}

DmpiGate *
dmpi_gate_new (GMainContext *context, DmpiGateFunc func, gpointer user_data)
{
  DmpiGate *gate = g_new0 (DmpiGate, 1);
  gate->context = g_main_context_ref (context);
  gate->func = func;
  gate->user_data = user_data;
  gate->listeners = g_ptr_array_new_with_free_func ((GDestroyNotify) listener_free);
  g_queue_init (&gate->pending);
  return gate;
}

void
dmpi_gate_free (DmpiGate *gate)
{
  if (gate == NULL)
    return;
  g_ptr_array_unref (gate->listeners);
  while (gate->pending.head != NULL)
    pending_free (gate->pending.head->data, TRUE);
  g_main_context_unref (gate->context);
  g_free (gate);
}
