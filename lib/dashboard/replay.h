/* A connection whose first bytes were already read off its socket (by the
 * dashboard's gate, to check the request head): reading it gives those
 * bytes again, then what the socket brings. Writing goes to the socket;
 * closing it closes the connection. Pollable, as libsoup needs. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

GIOStream *dmpi_replay_stream_new (GSocketConnection *connection, GBytes *already_read);

G_END_DECLS
