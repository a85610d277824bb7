/* A one-line progress display for a client waiting on futures. */
#pragma once

#include <glib.h>
#include "dmpi-client.h"

G_BEGIN_DECLS

/* Waits until every future is finished, failed or cancelled, redrawing a
 * status line on stderr ("WHAT: 7/12 done, 1 failed, 3.2 s"): in place
 * with \r on a terminal, one line every few seconds otherwise, and a last
 * line at the end. Returns FALSE only when waiting itself fails (the
 * cluster went away); a failed task is not an error here: look at the
 * futures' statuses. */
/* (Declared in dmpi-client.h as dmpi_client_progress.) */

G_END_DECLS
