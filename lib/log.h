/* Logging: every line of every rank carries the time, the role and the rank.
 * Code logs with GLib's g_message/g_info/g_warning/g_debug in the "dask-mpi"
 * domain; dmpi_log_init() installs the writer that formats them. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  DMPI_LOG_LEVEL_ERROR,
  DMPI_LOG_LEVEL_WARNING,
  DMPI_LOG_LEVEL_INFO,
  DMPI_LOG_LEVEL_DEBUG,
} DmpiLogLevel;

void     dmpi_log_init        (const char *role, int rank);
void     dmpi_log_set_rank    (int rank);
void     dmpi_log_set_level   (DmpiLogLevel level);
gboolean dmpi_log_parse_level (const char *name, DmpiLogLevel *level, GError **error);

G_END_DECLS
