/* dask-mpi-worker: a worker, on MPI ranks 2 and up. */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <glib.h>

#include "role.h"

int
main (int argc, char **argv)
{
  gint nthreads = 0;
  g_autofree char *memory_limit = NULL, *local_directory = NULL, *log_level = NULL;
  gboolean version = FALSE;
  GOptionEntry entries[] = {
    { "nthreads", 0, 0, G_OPTION_ARG_INT, &nthreads,
      "Compute threads (default: $DASK_MPI_NTHREADS, else 1)", "N" },
    { "memory-limit", 0, 0, G_OPTION_ARG_STRING, &memory_limit,
      "Memory the worker may use: bytes with an optional unit (4GiB, 500MB), a fraction of its share of the node (0.5), auto (its share of the node's memory) or none (default: $DASK_MPI_MEMORY_LIMIT, else auto)", "LIMIT" },
    { "local-directory", 0, 0, G_OPTION_ARG_FILENAME, &local_directory,
      "Folder for spilled results (default: $DASK_MPI_LOCAL_DIRECTORY, else the temporary folder)", "DIR" },
    { "log-level", 0, 0, G_OPTION_ARG_STRING, &log_level,
      "How much to log: error, warning, info or debug (default: $DASK_MPI_LOG_LEVEL, else info)", "LEVEL" },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- a dask-mpi worker, on MPI ranks 2 and up");
  g_autoptr(GError) error = NULL;

  setlocale (LC_ALL, "");
  g_option_context_set_summary (context,
                                "Runs the tasks the scheduler (rank 0) sends it and keeps their results.\n"
                                "Usually started by dask-mpi-run; see dask-mpi-worker(1).");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "dask-mpi-worker: %s\n", error->message);
      return 2;
    }
  if (version)
    {
      printf ("dask-mpi-worker %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (nthreads < 0 || nthreads > 1024)
    {
      fprintf (stderr, "dask-mpi-worker: --nthreads %d: give 1 to 1024\n", nthreads);
      return 2;
    }
  DmpiWorkerOptions options = {
    .nthreads = (guint) nthreads,
    .memory_limit = memory_limit,
    .local_directory = local_directory,
    .log_level = log_level,
  };
  return dmpi_worker_run (&options);
}
