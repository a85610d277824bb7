/* dask-mpi-scheduler: the scheduler, on MPI rank 0. */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <glib.h>

#include "role.h"

int
main (int argc, char **argv)
{
  g_autofree char *log_level = NULL, *dashboard_address = NULL, *performance_report = NULL;
  gboolean version = FALSE;
  GOptionEntry entries[] = {
    { "log-level", 0, 0, G_OPTION_ARG_STRING, &log_level,
      "How much to log: error, warning, info or debug (default: $DASK_MPI_LOG_LEVEL, else info)", "LEVEL" },
    { "dashboard-address", 0, 0, G_OPTION_ARG_STRING, &dashboard_address,
      "Where the dashboard listens: HOST:PORT, :PORT (port 0: any free port) or none "
      "(default: $DASK_MPI_DASHBOARD_ADDRESS, else :8787)", "ADDRESS" },
    { "performance-report", 0, 0, G_OPTION_ARG_FILENAME, &performance_report,
      "Write a self-contained HTML performance report to FILE at shutdown "
      "(default: $DASK_MPI_PERFORMANCE_REPORT)", "FILE" },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- the dask-mpi scheduler, on MPI rank 0");
  g_autoptr(GError) error = NULL;

  setlocale (LC_ALL, "");
  g_option_context_set_summary (context,
                                "Schedules the tasks the client (rank 1) submits onto the workers (ranks 2 and up).\n"
                                "Usually started by dask-mpi-run; see dask-mpi-scheduler(1).");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "dask-mpi-scheduler: %s\n", error->message);
      return 2;
    }
  if (version)
    {
      printf ("dask-mpi-scheduler %s\n", PACKAGE_VERSION);
      return 0;
    }
  DmpiSchedulerOptions options = {
    .log_level = log_level,
    .dashboard_address = dashboard_address,
    .performance_report = performance_report,
  };
  return dmpi_scheduler_run (&options);
}
