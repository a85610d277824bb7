/* The dashboard: HTTP on the scheduler's main loop, read-only over the
 * scheduler core's query functions (sched-core.h). */
#pragma once

#include <glib.h>
#include "sched-core.h"

G_BEGIN_DECLS

typedef struct _DmpiDashboard DmpiDashboard;

/* Listen on @address ("HOST:PORT", ":PORT", port 0 for any free port; the
 * caller handles "none") and serve from @context. */
DmpiDashboard *dmpi_dashboard_new         (DmpiSched *sched, GMainContext *context, const char *address,
                                           GError **error);
void           dmpi_dashboard_free        (DmpiDashboard *dashboard);
/* "HOST:PORT" as a browser (through a tunnel) reaches it. */
const char    *dmpi_dashboard_get_address (DmpiDashboard *dashboard);

/* Write the performance report of the run so far: one self-contained HTML file. */
gboolean       dmpi_performance_report_write (DmpiSched *sched, const char *path, GError **error);

G_END_DECLS
