/* The dashboard's gate: it listens and accepts TCP connections itself,
 * reads each request head on the main context within the bounds of head.h
 * and a deadline, answers a head that breaks them with a 4xx, and hands a
 * good one on with the bytes it read still to be read (replay.h). No HTTP
 * library here: the HTTP server (dashboard.c) only sees what passed. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A request head must be complete this long after its connection was accepted. */
#define DMPI_GATE_HEAD_SECONDS 10
/* After a refusal the rest of the request is read and dropped for this long
 * before the connection closes, so that the client reads the answer (closing
 * with unread input would reset the connection and lose the answer). */
#define DMPI_GATE_LINGER_SECONDS 2
/* Connections at the gate (head being read, or lingering); more are closed
 * when accepted. */
#define DMPI_GATE_MAX_PENDING 64

typedef struct _DmpiGate DmpiGate;

/* Called with a connection whose request head passed; take a reference to keep it. */
typedef void (*DmpiGateFunc) (GIOStream *stream, GSocketAddress *local, GSocketAddress *remote,
                              gpointer user_data);

DmpiGate *dmpi_gate_new        (GMainContext *context, DmpiGateFunc func, gpointer user_data);
/* Listen on @host (NULL: all interfaces, IPv4 and IPv6 on one port) at
 * @port (0: any free port); sets *@real_port to the port listened on. */
gboolean  dmpi_gate_listen     (DmpiGate *gate, GInetAddress *host, guint port, guint *real_port,
                                GError **error);
/* Closes the listening sockets and every connection still at the gate. */
void      dmpi_gate_free       (DmpiGate *gate);

/* Write a short plain-text answer without blocking (it fits the empty
 * socket buffer of a connection that got no answer yet), then close. */
void      dmpi_http_answer_and_close (GIOStream *stream, guint status, const char *reason,
                                      const char *extra_headers, const char *text);

G_END_DECLS
