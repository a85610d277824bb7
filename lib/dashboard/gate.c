/* The dashboard's gate (see gate.h). Everything runs on the scheduler's
 * main context with non-blocking socket calls: a slow or hostile client
 * costs a small record and one descriptor for a bounded time, never a wait
 * of the loop.
 *
 * One source for the whole gate. The listening sockets and every
 * connection the gate reads from are in one epoll set; the gate's GSource
 * polls the epoll descriptor, and its ready time is the earliest deadline.
 * A main-loop iteration costs the same with 4,000 waiting connections as
 * with none (a GSource and a polled descriptor per connection would make
 * every iteration of the scheduler's loop walk all of them). A waiting
 * connection is a record of 160 bytes and its descriptor; a buffer
 * comes only with its first bytes and goes when they are handed on.
 *
 * Stages. A connection is in one of four, each a FIFO queue with one
 * timeout, so each queue is in deadline order and expiring costs nothing
 * per waiting connection: HEAD (waiting for a request head; for a
 * kept-alive connection this is also its idle time), BODY (the head is in,
 * the body is to come), SERVER (the request is at libsoup; the gate does
 * not read the socket meanwhile), LINGER (answered and shut for writing:
 * reading and dropping until the client closes).
 *
 * Keep-alive. libsoup 2.4 keeps a connection alive only when it listens
 * itself, and then reads the next head without bound or deadline. So the
 * gate frames every request itself (head.h: the head, then Content-Length
 * bytes of body) and gives libsoup a stream of exactly that request and
 * then end of file (replay.h): libsoup cannot read past it. Once the answer
 * is written, dashboard.c steals the connection back from libsoup (the
 * documented way: soup_client_context_steal_connection in
 * SoupMessage::wrote-body) and returns it with dmpi_gate_keep_alive; bytes
 * already read past the request (pipelining) wait in the gate's buffer for
 * the next one. When libsoup closes the stream instead, the connection
 * lingers and closes. Every request on a connection meets the same bounds
 * and deadlines as the first.
 *
 * Full. A new connection takes the place of the oldest lingering one, else
 * of the one that has waited longest for its head, else for its body; only
 * when every connection is at the server is the new one closed. When
 * accepting fails for want of descriptors (EMFILE, ENFILE), the oldest
 * waiting connection is dropped in the same way and accepting goes on;
 * with none to drop, a reserve descriptor is freed to accept and close the
 * connection (so that the kernel's queue does not keep the listener
 * readable), and as a last resort listening pauses for 100 ms: it never
 * spins. Drops are logged at most every 10 s, with counts. */
#include "config.h"

#include "gate.h"
#include "head.h"
#include "replay.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

/* Epoll events, and connections accepted, per wake-up: a burst does not hold the loop. */
#define EVENT_BURST 64
#define ACCEPT_BURST 64
/* The kernel caps it at net.core.somaxconn (SOMAXCONN is 128 in glibc 2.31). */
#define LISTEN_BACKLOG 4096
/* Bytes of one request the gate holds: its head and its body. */
#define REQUEST_MAX_BYTES (DMPI_HEAD_MAX_BYTES + DMPI_HEAD_MAX_BODY)
/* Bytes read and dropped while lingering. */
#define LINGER_MAX_BYTES (4 << 20)
/* Listening pauses this long when accepting fails and nothing can be freed. */
#define PAUSE_MS 100
/* Drops and refusals are logged at most this often. */
#define REPORT_SECONDS 10

typedef enum { HEAD, BODY, SERVER, LINGER, N_STAGES } Stage;

/* What an epoll event points to: a listener or a connection. */
typedef struct {
  int fd;
  gboolean is_listener;
} Watch;

typedef struct {
  Watch watch;  /* first */
  DmpiGate *gate;
  GSocket *socket;
} Listener;

typedef struct {
  Watch watch;       /* first */
  GList link;        /* in gate->stages[stage] */
  GList kick;        /* in gate->kicked while bytes it holds wait for a look */
  DmpiGate *gate;
  Stage stage;       /* N_STAGES: in none yet */
  gboolean watched;  /* in the epoll set */
  gboolean kicked;
  gint64 since;      /* when the stage began (monotonic µs) */
  GSocketConnection *connection;  /* from its first request on; owns watch.fd */
  GIOStream *request;             /* SERVER: the stream the server has (not a reference) */
  char *buf;         /* bytes read and not handed on yet; NULL while none */
  guint len, size;   /* LINGER: len counts the bytes dropped */
  gsize head_len, body_len;  /* BODY: where the request ends */
  DmpiHeadScan scan;
} Conn;

typedef struct {
  GSource source;
  DmpiGate *gate;
} GateSource;

struct _DmpiGate {
  GMainContext *context;
  GSource *source;
  int epoll_fd;
  int reserve_fd;  /* freed to accept (and close) a connection when out of descriptors */
  DmpiGateFunc func;
  gpointer user_data;
  DmpiGateLimits limits;
  GPtrArray *listeners;  /* Listener */
  GQueue stages[N_STAGES];
  GQueue kicked;         /* Conn: given back with a request's bytes already read */
  gint64 paused_until;   /* listening is paused until then; 0: it is not */
  /* For the log: counts since the last report. */
  gint64 report_after;
  guint dropped, refused, out_of_fds, pauses;
  int accept_errno;
  char scratch[REQUEST_MAX_BYTES];
};

static gint64
stage_timeout (DmpiGate *gate, Stage stage)
{
  const guint ms[N_STAGES] = { gate->limits.head_ms, gate->limits.body_ms, gate->limits.answer_ms,
                               gate->limits.linger_ms };
  return (gint64) ms[stage] * 1000;
}

/* Dispatch the gate's source at @when at the latest. */
static void
wake_at (DmpiGate *gate, gint64 when)
{
  gint64 ready = g_source_get_ready_time (gate->source);
  if (ready == -1 || when < ready)
    g_source_set_ready_time (gate->source, when);
}

/* ---- connections ------------------------------------------------------------ */

static void
stage_move (Conn *c, Stage stage)
{
  DmpiGate *gate = c->gate;

  if (c->stage != N_STAGES)
    g_queue_unlink (&gate->stages[c->stage], &c->link);
  c->stage = stage;
  c->since = g_get_monotonic_time ();
  g_queue_push_tail_link (&gate->stages[stage], &c->link);
  wake_at (gate, c->since + stage_timeout (gate, stage));
}

static gboolean
watch (Conn *c, gboolean on)
{
  struct epoll_event event = { .events = EPOLLIN, .data.ptr = &c->watch };

  if (c->watched == on)
    return TRUE;
  if (epoll_ctl (c->gate->epoll_fd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, c->watch.fd, &event) != 0)
    {
      g_message ("dashboard: cannot watch a connection: %s", g_strerror (errno));
      return FALSE;
    }
  c->watched = on;
  return TRUE;
}

static void
conn_free (Conn *c)
{
  DmpiGate *gate = c->gate;

  if (c->stage != N_STAGES)
    g_queue_unlink (&gate->stages[c->stage], &c->link);
  if (c->kicked)
    g_queue_unlink (&gate->kicked, &c->kick);
  watch (c, FALSE);
  /* Still at the server (the gate is going away): the stream no longer reaches the connection. */
  if (c->request != NULL)
    dmpi_replay_stream_release (c->request);
  if (c->connection != NULL)
    {
      g_io_stream_close (G_IO_STREAM (c->connection), NULL, NULL);
      g_object_unref (c->connection);
    }
  else if (c->watch.fd >= 0)
    close (c->watch.fd);
  g_free (c->buf);
  g_free (c);
}

static void
buffer_clear (Conn *c)
{
  g_clear_pointer (&c->buf, g_free);
  c->len = c->size = 0;
}

/* Shut the connection for writing and read what the client still sends
 * until it closes, or the linger time is over. */
static void
linger (Conn *c)
{
  shutdown (c->watch.fd, SHUT_WR);
  buffer_clear (c);
  if (!watch (c, TRUE))
    {
      conn_free (c);
      return;
    }
  stage_move (c, LINGER);
}

/* Answer with a short plain-text error, then linger. */
static void
refuse (Conn *c, guint status, const char *reason, const char *text)
{
  g_autofree char *answer =
    g_strdup_printf ("HTTP/1.1 %u %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\nCache-Control: no-store\r\n\r\n%s\n",
                     status, reason, strlen (text) + 1, text);

  /* One non-blocking send: the answer is small, and the socket holds no
   * unsent answer before it (at most the tail of a kept-alive one). */
  if (send (c->watch.fd, answer, strlen (answer), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
    g_debug ("dashboard: cannot answer %u: %s", status, g_strerror (errno));
  linger (c);
}

/* The server closed the request stream: it is done with the connection. */
static void
request_closed (gpointer data)
{
  Conn *c = data;

  c->request = NULL;
  linger (c);
}

/* Hand the request at the start of the buffer on to the server. */
static void
pass (Conn *c)
{
  DmpiGate *gate = c->gate;
  gsize n = c->head_len + c->body_len;
  g_autoptr(GBytes) bytes = g_bytes_new (c->buf, n);

  /* Bytes past the request stay for the next one. */
  c->len -= (guint) n;
  if (c->len == 0)
    buffer_clear (c);
  else
    memmove (c->buf, c->buf + n, c->len);
  memset (&c->scan, 0, sizeof c->scan);
  c->head_len = c->body_len = 0;

  /* The server reads nothing from the socket: the gate reads on after the answer. */
  watch (c, FALSE);
  if (c->connection == NULL)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GSocket) socket = g_socket_new_from_fd (c->watch.fd, &error);
      if (socket == NULL)
        {
          g_message ("dashboard: cannot take a connection: %s", error->message);
          c->watch.fd = -1;  /* the failed GSocket closed it */
          conn_free (c);
          return;
        }
      c->connection = g_socket_connection_factory_create_connection (socket);
    }

  g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address (c->connection, NULL);
  g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address (c->connection, NULL);
  g_autoptr(GIOStream) request = dmpi_replay_stream_new (c->connection, bytes, request_closed, c);
  stage_move (c, SERVER);
  c->request = request;
  /* The answer may be written, and the connection given back or closed, before this returns. */
  gate->func (request, local, remote, gate->user_data);
}

/* Look at the bytes the connection holds: refuse, wait for more, or pass. */
static void
advance (Conn *c)
{
  if (c->stage == HEAD)
    {
      gsize head_len = 0;
      DmpiHeadVerdict verdict = dmpi_head_scan (&c->scan, c->buf, c->len, &head_len);
      switch (verdict)
        {
        case DMPI_HEAD_INCOMPLETE:
          return;
        case DMPI_HEAD_COMPLETE:
          break;
        case DMPI_HEAD_LINE_TOO_LONG:
          refuse (c, dmpi_head_verdict_status (verdict), "URI Too Long", "the request line is too long");
          return;
        case DMPI_HEAD_TOO_LARGE:
          refuse (c, dmpi_head_verdict_status (verdict), "Request Header Fields Too Large",
                  "the request head is too large");
          return;
        case DMPI_HEAD_TOO_MANY_FIELDS:
        default:
          refuse (c, dmpi_head_verdict_status (verdict), "Request Header Fields Too Large",
                  "too many request headers");
          return;
        }
      switch (dmpi_head_body (c->buf, head_len, &c->body_len))
        {
        case DMPI_BODY_LENGTH:
          break;
        case DMPI_BODY_TOO_LARGE:
          refuse (c, 413, "Payload Too Large", "the dashboard takes no request body");
          return;
        case DMPI_BODY_BAD_LENGTH:
        default:
          refuse (c, 400, "Bad Request", "the request's Content-Length is not one decimal number");
          return;
        }
      c->head_len = head_len;
      if (c->len < head_len + c->body_len)
        {
          stage_move (c, BODY);
          return;
        }
    }
  else if (c->stage != BODY || c->len < c->head_len + c->body_len)
    return;
  pass (c);
}

static void
on_readable (Conn *c)
{
  DmpiGate *gate = c->gate;
  gsize room = c->stage == LINGER ? sizeof gate->scratch : REQUEST_MAX_BYTES - c->len;
  gssize n = recv (c->watch.fd, gate->scratch, room, 0);

  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return;
  if (n <= 0)
    {
      /* The client closed (or the connection broke): nobody to answer. */
      conn_free (c);
      return;
    }
  if (c->stage == LINGER)
    {
      c->len += (guint) n;
      if (c->len > LINGER_MAX_BYTES)
        conn_free (c);
      return;
    }
  if (c->len + (gsize) n > c->size)
    {
      c->size = MIN (MAX (c->len + (guint) n, MAX (2 * c->size, 512u)), REQUEST_MAX_BYTES);
      c->buf = g_realloc (c->buf, c->size);
    }
  memcpy (c->buf + c->len, gate->scratch, (gsize) n);
  c->len += (guint) n;
  advance (c);
}

static void
on_deadline (Conn *c)
{
  switch (c->stage)
    {
    case HEAD:
      if (c->len == 0)
        /* Nothing sent: an idle connection (kept alive, or opened ahead) ends quietly. */
        conn_free (c);
      else
        /* A head that trickles in holds nothing longer than this. */
        refuse (c, 408, "Request Timeout", "the request head did not arrive in time");
      break;
    case BODY:
      refuse (c, 408, "Request Timeout", "the request body did not arrive in time");
      break;
    case SERVER:
      /* The client does not read its answer: cut the connection. The
       * server's next write fails and it closes the stream. */
      shutdown (c->watch.fd, SHUT_RDWR);
      stage_move (c, SERVER);
      break;
    case LINGER:
    case N_STAGES:
    default:
      conn_free (c);
      break;
    }
}

/* Drop the connection that is least worth keeping to make room: the oldest
 * lingering one, else the one that has waited longest for its head, else
 * for its body. FALSE if every connection is at the server. */
static gboolean
drop_oldest_waiting (DmpiGate *gate)
{
  static const Stage order[] = { LINGER, HEAD, BODY };

  for (gsize i = 0; i < G_N_ELEMENTS (order); i++)
    if (gate->stages[order[i]].head != NULL)
      {
        conn_free (gate->stages[order[i]].head->data);
        gate->dropped++;
        return TRUE;
      }
  return FALSE;
}

static void
admit (DmpiGate *gate, int fd)
{
  const int one = 1;

  if (dmpi_gate_get_n_connections (gate) >= gate->limits.max_connections && !drop_oldest_waiting (gate))
    {
      close (fd);
      gate->refused++;
      return;
    }
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  Conn *c = g_new0 (Conn, 1);
  c->watch.fd = fd;
  c->link.data = c;
  c->kick.data = c;
  c->gate = gate;
  c->stage = N_STAGES;
  if (!watch (c, TRUE))
    {
      conn_free (c);
      return;
    }
  stage_move (c, HEAD);
}

/* ---- listening ------------------------------------------------------------------ */

static void
set_listening (DmpiGate *gate, gboolean on)
{
  for (guint i = 0; i < gate->listeners->len; i++)
    {
      Listener *l = g_ptr_array_index (gate->listeners, i);
      struct epoll_event event = { .events = on ? EPOLLIN : 0, .data.ptr = &l->watch };
      epoll_ctl (gate->epoll_fd, EPOLL_CTL_MOD, l->watch.fd, &event);
    }
  gate->paused_until = on ? 0 : g_get_monotonic_time () + PAUSE_MS * 1000;
  if (on && gate->reserve_fd < 0)
    gate->reserve_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
}

static void
on_incoming (Listener *l)
{
  DmpiGate *gate = l->gate;

  for (int i = 0; i < ACCEPT_BURST; i++)
    {
      int fd = accept4 (l->watch.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0)
        {
          admit (gate, fd);
          continue;
        }
      int errsv = errno;
      switch (errsv)
        {
        case EAGAIN:
#if EWOULDBLOCK != EAGAIN
        case EWOULDBLOCK:
#endif
          return;
        case EINTR:
        case ECONNABORTED:
        case EPROTO:
        case ENETDOWN:
        case ENOPROTOOPT:
        case EHOSTDOWN:
        case ENONET:
        case EHOSTUNREACH:
        case EOPNOTSUPP:
        case ENETUNREACH:
          /* That connection failed; Linux reports it here (accept(2)). */
          continue;
        case EMFILE:
        case ENFILE:
          gate->out_of_fds++;
          gate->accept_errno = errsv;
          if (drop_oldest_waiting (gate))
            continue;
          if (gate->reserve_fd >= 0)
            {
              close (gate->reserve_fd);
              fd = accept4 (l->watch.fd, NULL, NULL, SOCK_CLOEXEC);
              errsv = errno;
              if (fd >= 0)
                close (fd);
              gate->reserve_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
              if (fd >= 0)
                {
                  gate->refused++;
                  continue;
                }
              /* accept fails for want of a descriptor before it looks at the queue. */
              if (errsv == EAGAIN || errsv == EWOULDBLOCK)
                return;
            }
          break;
        default:
          gate->accept_errno = errsv;
          break;
        }
      /* Nothing to free, or another failure (ENOBUFS, ENOMEM): wait a
       * little rather than spin on a listener that stays readable. */
      gate->pauses++;
      set_listening (gate, FALSE);
      return;
    }
}

static void
listener_free (Listener *l)
{
  epoll_ctl (l->gate->epoll_fd, EPOLL_CTL_DEL, l->watch.fd, NULL);
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
  g_socket_set_listen_backlog (socket, LISTEN_BACKLOG);
  if (!g_socket_bind (socket, address, TRUE, error) || !g_socket_listen (socket, error))
    return FALSE;
  local = g_socket_get_local_address (socket, error);
  if (local == NULL)
    return FALSE;

  Listener *l = g_new0 (Listener, 1);
  l->watch.fd = g_socket_get_fd (socket);
  l->watch.is_listener = TRUE;
  l->gate = gate;
  struct epoll_event event = { .events = gate->paused_until != 0 ? 0 : EPOLLIN, .data.ptr = &l->watch };
  if (epoll_ctl (gate->epoll_fd, EPOLL_CTL_ADD, l->watch.fd, &event) != 0)
    {
      int errsv = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "cannot watch the listening socket: %s",
                   g_strerror (errsv));
      g_free (l);
      return FALSE;
    }
  l->socket = g_steal_pointer (&socket);
  g_ptr_array_add (gate->listeners, l);
  *real_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
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

/* ---- the gate's source ------------------------------------------------------------ */

static void
report (DmpiGate *gate, gint64 now)
{
  if (gate->dropped == 0 && gate->refused == 0 && gate->out_of_fds == 0 && gate->pauses == 0)
    return;
  if (now < gate->report_after)
    {
      wake_at (gate, gate->report_after);
      return;
    }
  g_autoptr(GString) what = g_string_new (NULL);
  if (gate->dropped > 0)
    g_string_append_printf (what, ", %u waiting connection%s dropped to make room", gate->dropped,
                            gate->dropped == 1 ? "" : "s");
  if (gate->refused > 0)
    g_string_append_printf (what, ", %u new connection%s closed at once", gate->refused,
                            gate->refused == 1 ? "" : "s");
  if (gate->out_of_fds > 0)
    g_string_append_printf (what, ", %u accept%s out of file descriptors", gate->out_of_fds,
                            gate->out_of_fds == 1 ? "" : "s");
  if (gate->pauses > 0)
    g_string_append_printf (what, ", listening paused %u time%s for %d ms (%s)", gate->pauses,
                            gate->pauses == 1 ? "" : "s", PAUSE_MS, g_strerror (gate->accept_errno));
  g_message ("dashboard: connections at the limit (%u held, at most %u)%s; next report in %d s at the earliest",
             dmpi_gate_get_n_connections (gate), gate->limits.max_connections, what->str, REPORT_SECONDS);
  gate->dropped = gate->refused = gate->out_of_fds = gate->pauses = 0;
  gate->report_after = now + REPORT_SECONDS * G_USEC_PER_SEC;
}

/* The earliest deadline, or -1. */
static gint64
next_wake (DmpiGate *gate)
{
  gint64 next = gate->kicked.head != NULL ? 0 : gate->paused_until != 0 ? gate->paused_until : -1;

  for (Stage s = 0; s < N_STAGES; s++)
    if (gate->stages[s].head != NULL)
      {
        gint64 due = ((Conn *) gate->stages[s].head->data)->since + stage_timeout (gate, s);
        next = next == -1 ? due : MIN (next, due);
      }
  return next;
}

static gboolean
gate_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  DmpiGate *gate = ((GateSource *) source)->gate;
  struct epoll_event events[EVENT_BURST];
  Listener *incoming[EVENT_BURST];
  int n = epoll_wait (gate->epoll_fd, events, EVENT_BURST, 0), n_incoming = 0;

  /* Connections first: accepting may drop a connection that has an event
   * in this batch too (reading one frees none but itself). */
  for (int i = 0; i < n; i++)
    {
      Watch *w = events[i].data.ptr;
      if (w->is_listener)
        incoming[n_incoming++] = (Listener *) w;
      else
        on_readable ((Conn *) w);
    }
  for (int i = 0; i < n_incoming; i++)
    on_incoming (incoming[i]);

  /* Connections given back with the next request already read (pipelined). */
  for (guint left = gate->kicked.length; left > 0 && gate->kicked.head != NULL; left--)
    {
      Conn *c = gate->kicked.head->data;
      g_queue_unlink (&gate->kicked, &c->kick);
      c->kicked = FALSE;
      advance (c);
    }

  gint64 now = g_get_monotonic_time ();
  for (Stage s = 0; s < N_STAGES; s++)
    {
      gint64 timeout = stage_timeout (gate, s);
      while (gate->stages[s].head != NULL && ((Conn *) gate->stages[s].head->data)->since + timeout <= now)
        on_deadline (gate->stages[s].head->data);
    }
  if (gate->paused_until != 0 && now >= gate->paused_until)
    set_listening (gate, TRUE);

  g_source_set_ready_time (source, next_wake (gate));
  report (gate, now);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs gate_source_funcs = { .dispatch = gate_dispatch };

/* ---- the gate ------------------------------------------------------------------ */

DmpiGate *
dmpi_gate_new (GMainContext *context, DmpiGateFunc func, gpointer user_data, GError **error)
{
  int epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
  struct rlimit nofile;

  if (epoll_fd < 0)
    {
      int errsv = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "epoll_create1: %s", g_strerror (errsv));
      return NULL;
    }

  DmpiGate *gate = g_new0 (DmpiGate, 1);
  gate->context = g_main_context_ref (context);
  gate->epoll_fd = epoll_fd;
  gate->reserve_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  gate->func = func;
  gate->user_data = user_data;
  gate->limits = (DmpiGateLimits) {
    .head_ms = DMPI_GATE_HEAD_SECONDS * 1000,
    .body_ms = DMPI_GATE_BODY_SECONDS * 1000,
    .answer_ms = DMPI_GATE_ANSWER_SECONDS * 1000,
    .linger_ms = DMPI_GATE_LINGER_SECONDS * 1000,
    .max_connections = DMPI_GATE_MAX_CONNECTIONS,
  };
  /* Leave half the descriptors to the rest of the process (MPI among them). */
  if (getrlimit (RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY)
    gate->limits.max_connections = (guint) CLAMP (nofile.rlim_cur / 2, 16, DMPI_GATE_MAX_CONNECTIONS);
  gate->listeners = g_ptr_array_new_with_free_func ((GDestroyNotify) listener_free);
  for (Stage s = 0; s < N_STAGES; s++)
    g_queue_init (&gate->stages[s]);
  g_queue_init (&gate->kicked);

  gate->source = g_source_new (&gate_source_funcs, sizeof (GateSource));
  ((GateSource *) gate->source)->gate = gate;
  g_source_set_name (gate->source, "dashboard gate");
  g_source_add_unix_fd (gate->source, epoll_fd, G_IO_IN);
  g_source_attach (gate->source, context);
  return gate;
}

void
dmpi_gate_free (DmpiGate *gate)
{
  if (gate == NULL)
    return;
  g_ptr_array_unref (gate->listeners);
  for (Stage s = 0; s < N_STAGES; s++)
    while (gate->stages[s].head != NULL)
      conn_free (gate->stages[s].head->data);
  g_source_destroy (gate->source);
  g_source_unref (gate->source);
  close (gate->epoll_fd);
  if (gate->reserve_fd >= 0)
    close (gate->reserve_fd);
  g_main_context_unref (gate->context);
  g_free (gate);
}

void
dmpi_gate_get_limits (DmpiGate *gate, DmpiGateLimits *limits)
{
  *limits = gate->limits;
}

void
dmpi_gate_set_limits (DmpiGate *gate, const DmpiGateLimits *limits)
{
  gate->limits.head_ms = MAX (limits->head_ms, 1);
  gate->limits.body_ms = MAX (limits->body_ms, 1);
  gate->limits.answer_ms = MAX (limits->answer_ms, 1);
  gate->limits.linger_ms = MAX (limits->linger_ms, 1);
  gate->limits.max_connections = MAX (limits->max_connections, 1);
  g_source_set_ready_time (gate->source, next_wake (gate));
}

guint
dmpi_gate_get_n_connections (DmpiGate *gate)
{
  guint n = 0;
  for (Stage s = 0; s < N_STAGES; s++)
    n += gate->stages[s].length;
  return n;
}

gboolean
dmpi_gate_keep_alive (GIOStream *request)
{
  Conn *c = dmpi_replay_stream_release (request);

  if (c == NULL)
    return FALSE;
  c->request = NULL;
  if (!watch (c, TRUE))
    {
      conn_free (c);
      return TRUE;
    }
  stage_move (c, HEAD);
  if (c->len > 0 && !c->kicked)
    {
      c->kicked = TRUE;
      g_queue_push_tail_link (&c->gate->kicked, &c->kick);
      g_source_set_ready_time (c->gate->source, 0);
    }
  return TRUE;
}
