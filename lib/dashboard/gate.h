/* The dashboard's gate: it listens and accepts TCP connections itself,
 * reads each request (its head within the bounds of head.h, then its small
 * body) on the main context within deadlines, answers one that breaks them
 * with a 4xx, and hands a good one to the HTTP server (dashboard.c) as a
 * stream of exactly that request (replay.h). After the answer the server
 * gives a kept-alive connection back (dmpi_gate_keep_alive), and the gate
 * reads its next request the same way: every request passes the gate. No
 * HTTP library here: the HTTP server only sees what passed.
 *
 * Waiting connections cost the gate one small record and no main-loop
 * source of their own (see gate.c); when the gate is full, the connection
 * that has waited longest for its request is dropped to make room. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A request head must be complete this long after the gate began to wait
 * for it: the connection was accepted, or the answer before it was written
 * (so this is also how long a kept-alive connection may stay idle). */
#define DMPI_GATE_HEAD_SECONDS 10
/* The request body (at most DMPI_HEAD_MAX_BODY bytes) this long after its head. */
#define DMPI_GATE_BODY_SECONDS 10
/* The HTTP server has this long to write an answer to a client that reads
 * it; then the connection is cut. */
#define DMPI_GATE_ANSWER_SECONDS 60
/* After a refusal, or an answer after which the connection closes, what the
 * client still sends is read and dropped for this long before the close, so
 * that the client reads the answer (closing with unread input would reset
 * the connection and lose the answer). */
#define DMPI_GATE_LINGER_SECONDS 2
/* Connections the gate holds at most, at the server included; fewer when
 * the limit of open files is low (half of it). */
#define DMPI_GATE_MAX_CONNECTIONS 4096

typedef struct _DmpiGate DmpiGate;

typedef struct {
  guint head_ms, body_ms, answer_ms, linger_ms;  /* at least 1 */
  guint max_connections;                         /* at least 1 */
} DmpiGateLimits;

/* Called with a connection whose request passed; take a reference to keep
 * it, close it when done (the gate closes the connection), or give it back
 * with dmpi_gate_keep_alive after the answer. */
typedef void (*DmpiGateFunc) (GIOStream *request, GSocketAddress *local, GSocketAddress *remote,
                              gpointer user_data);

DmpiGate *dmpi_gate_new        (GMainContext *context, DmpiGateFunc func, gpointer user_data,
                                GError **error);
/* Listen on @host (NULL: all interfaces, IPv4 and IPv6 on one port) at
 * @port (0: any free port); sets *@real_port to the port listened on. */
gboolean  dmpi_gate_listen     (DmpiGate *gate, GInetAddress *host, guint port, guint *real_port,
                                GError **error);
/* Closes the listening sockets and every connection the gate holds. */
void      dmpi_gate_free       (DmpiGate *gate);

/* The defaults above; the new limits hold for the connections' next stage. */
void      dmpi_gate_get_limits (DmpiGate *gate, DmpiGateLimits *limits);
void      dmpi_gate_set_limits (DmpiGate *gate, const DmpiGateLimits *limits);
/* Connections held: waiting for a request, at the server, or lingering. */
guint     dmpi_gate_get_n_connections (DmpiGate *gate);

/* The answer to the request that @request (a stream a DmpiGateFunc got) carried is
 * written in full: the gate takes the connection back and waits for its next
 * request. Afterwards @request no longer reaches the connection: closing
 * or dropping it does nothing to it. FALSE (nothing done) if @request is
 * not the gate's or was closed. */
gboolean  dmpi_gate_keep_alive (GIOStream *request);

G_END_DECLS
