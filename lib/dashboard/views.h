/* What the dashboard shows, as text: JSON documents and Prometheus metrics
 * built from the scheduler core's read-only queries. No HTTP here, so the
 * unit tests and the performance report use the same code. */
#pragma once

#include <glib.h>
#include "sched-core.h"

G_BEGIN_DECLS

/* JSON: a string literal (escaped; invalid UTF-8 replaced) and a number
 * (null when not finite: JSON has no NaN). */
void     dmpi_json_string (GString *out, const char *s);
void     dmpi_json_number (GString *out, double value);

/* The documents behind /json/...; @now is the time the page draws against
 * (seconds, the clock of the task stream). */
GString *dmpi_view_stats     (DmpiSched *sched, double now, double started);
GString *dmpi_view_workers   (DmpiSched *sched, double now);
GString *dmpi_view_functions (DmpiSched *sched);
/* Task-stream entries after @after, at most @max (the most recent ones if
 * more are new), with "last": the sequence number to ask after next time. */
GString *dmpi_view_stream    (DmpiSched *sched, guint64 after, gsize max, double now);
GString *dmpi_view_errors    (DmpiSched *sched);

/* Prometheus text format (version 0.0.4). */
GString *dmpi_view_metrics   (DmpiSched *sched, double now);

G_END_DECLS
