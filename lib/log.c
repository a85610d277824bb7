#include "config.h"

#include "log.h"
#include "dmpi-error.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char log_role[32] = "dask-mpi";
static int log_rank = -1;
static DmpiLogLevel log_level = DMPI_LOG_LEVEL_INFO;

static DmpiLogLevel
level_of (GLogLevelFlags flags)
{
  if (flags & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    return DMPI_LOG_LEVEL_ERROR;
  if (flags & G_LOG_LEVEL_WARNING)
    return DMPI_LOG_LEVEL_WARNING;
  if (flags & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
    return DMPI_LOG_LEVEL_INFO;
  return DMPI_LOG_LEVEL_DEBUG;
}

static const char *
level_name (GLogLevelFlags flags)
{
  if (flags & G_LOG_LEVEL_ERROR)
    return "ERROR";
  if (flags & G_LOG_LEVEL_CRITICAL)
    return "CRITICAL";
  if (flags & G_LOG_LEVEL_WARNING)
    return "WARNING";
  if (flags & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
    return "INFO";
  return "DEBUG";
}

static GLogWriterOutput
write_line (GLogLevelFlags flags, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  const char *message = NULL, *domain = NULL;

  if (level_of (flags) > log_level)
    return G_LOG_WRITER_HANDLED;
  for (gsize i = 0; i < n_fields; i++)
    {
      if (strcmp (fields[i].key, "MESSAGE") == 0)
        message = fields[i].value;
      else if (strcmp (fields[i].key, "GLIB_DOMAIN") == 0)
        domain = fields[i].value;
    }
  if (message == NULL)
    return G_LOG_WRITER_UNHANDLED;

  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y-%m-%d %H:%M:%S");
  char rank[16] = "";
  if (log_rank >= 0)
    g_snprintf (rank, sizeof rank, "[%d]", log_rank);
  /* One fprintf per line so that lines of one rank's threads don't interleave. */
  fprintf (stderr, "%s.%03d %s%s %s: %s%s%s\n", stamp, g_date_time_get_microsecond (now) / 1000,
           log_role, rank, level_name (flags),
           domain != NULL && strcmp (domain, "dask-mpi") != 0 ? domain : "",
           domain != NULL && strcmp (domain, "dask-mpi") != 0 ? ": " : "", message);
  fflush (stderr);
  return G_LOG_WRITER_HANDLED;
}

void
dmpi_log_init (const char *role, int rank)
{
  static gsize installed = 0;

  g_strlcpy (log_role, role, sizeof log_role);
  log_rank = rank;
  const char *env = g_getenv ("DASK_MPI_LOG_LEVEL");
  DmpiLogLevel level;
  if (env != NULL && dmpi_log_parse_level (env, &level, NULL))
    log_level = level;
  if (g_once_init_enter (&installed))
    {
      g_log_set_writer_func (write_line, NULL, NULL);
      g_once_init_leave (&installed, 1);
    }
}

void
dmpi_log_set_rank (int rank)
{
  log_rank = rank;
}

void
dmpi_log_set_level (DmpiLogLevel level)
{
  log_level = level;
}

gboolean
dmpi_log_parse_level (const char *name, DmpiLogLevel *level, GError **error)
{
  static const char *const names[] = { "error", "warning", "info", "debug" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_ascii_strcasecmp (name, names[i]) == 0)
      {
        *level = (DmpiLogLevel) i;
        return TRUE;
      }
  g_set_error (error, DMPI_ERROR, DMPI_ERROR_FAILED,
               "unknown log level '%s' (one of: error, warning, info, debug)", name);
  return FALSE;
}
