/* One request of a connection, as the dashboard's gate hands it to the HTTP
 * server: reading gives the request's bytes (its head and its body, which
 * the gate read and checked), then end of file, so that the server can
 * never read past the request; writing goes to the connection. Pollable, as
 * libsoup needs. The connection stays the gate's: closing the stream calls
 * @closed, and dmpi_replay_stream_release takes the connection back for its
 * next request instead. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef void (*DmpiReplayClosed) (gpointer data);

GIOStream *dmpi_replay_stream_new     (GSocketConnection *connection, GBytes *request,
                                       DmpiReplayClosed closed, gpointer data);
/* Disarms @closed and returns its data: the owner has the connection back,
 * and closing or finalising @stream no longer touches it. NULL if @stream
 * is not a replay stream or was closed or released already. */
gpointer   dmpi_replay_stream_release (GIOStream *stream);

G_END_DECLS
