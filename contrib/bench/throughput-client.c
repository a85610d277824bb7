/* throughput-client: how many trivial tasks per second the cluster runs.
 *
 * Waits for the workers, then times submitting --tasks independent `noop`
 * tasks and waiting for all of them, and prints `tasks_per_s=`. Run by
 * contrib/bench/throughput, which compares it with Python Dask.
 */
#include <daskmpi.h>

#include <stdio.h>
#include <stdlib.h>

static gint opt_tasks = 100000;
static gint opt_workers = 2;
static gdouble opt_timeout = 600.0;

static GOptionEntry entries[] = {
  { "tasks", 0, 0, G_OPTION_ARG_INT, &opt_tasks, "Number of no-op tasks (default 100000)", "N" },
  { "workers", 0, 0, G_OPTION_ARG_INT, &opt_workers, "Wait for this many workers first (default 2)", "W" },
  { "timeout", 0, 0, G_OPTION_ARG_DOUBLE, &opt_timeout, "Seconds to wait for workers, and for the tasks (default 600)", "S" },
  { NULL }
};

static gboolean
run (DmpiClient *client, GError **error)
{
  g_autoptr(GVariant) args = g_variant_ref_sink (g_variant_new ("()"));
  g_autofree GVariant **all_args = NULL;
  g_autoptr(GPtrArray) futures = NULL;
  gint64 t0, t_submitted, t1;
  guint n_done = 0;
  double seconds;

  if (!dmpi_client_wait_for_workers (client, (guint) opt_workers, opt_timeout, error))
    return FALSE;
  g_print ("throughput: %u workers, %u threads; %d noop tasks\n",
           dmpi_client_get_n_workers (client), dmpi_client_get_n_threads (client), opt_tasks);

  /* Every task gets the same (unit) arguments; map gives each its own key. */
  all_args = g_new (GVariant *, opt_tasks);
  for (gint i = 0; i < opt_tasks; i++)
    all_args[i] = args;

  t0 = g_get_monotonic_time ();
  futures = dmpi_client_map (client, "noop", all_args, (gsize) opt_tasks, error);
  if (futures == NULL)
    return FALSE;
  t_submitted = g_get_monotonic_time ();
  if (!dmpi_client_wait (client, (DmpiFuture *const *) futures->pdata, futures->len, opt_timeout, error))
    return FALSE;
  t1 = g_get_monotonic_time ();

  for (guint i = 0; i < futures->len; i++)
    if (dmpi_future_get_status (g_ptr_array_index (futures, i)) == DMPI_FUTURE_FINISHED)
      n_done++;
  if (n_done != (guint) opt_tasks)
    {
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_FAILED,
                   "only %u of %d tasks finished", n_done, opt_tasks);
      return FALSE;
    }

  seconds = (double) (t1 - t0) / G_USEC_PER_SEC;
  g_print ("submit_s=%.3f\n", (double) (t_submitted - t0) / G_USEC_PER_SEC);
  g_print ("total_s=%.3f\n", seconds);
  g_print ("tasks_per_s=%.0f\n", opt_tasks / seconds);
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) context = g_option_context_new ("- time many no-op tasks on a dask-mpi cluster");
  g_autoptr(DmpiClient) client = NULL;
  int status;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("throughput-client: %s\n", error->message);
      return 2;
    }
  if (opt_tasks < 1 || opt_workers < 1)
    {
      g_printerr ("throughput-client: --tasks and --workers must be at least 1\n");
      return 2;
    }

  client = dmpi_client_new (&argc, &argv, &error);
  if (client == NULL)
    {
      g_printerr ("throughput-client: cannot start the client: %s\n", error->message);
      return 1;
    }

  status = run (client, &error) ? 0 : 1;
  if (status != 0)
    g_printerr ("throughput-client: %s\n", error->message);

  g_clear_error (&error);
  if (!dmpi_client_shutdown (client, status, &error))
    {
      g_printerr ("throughput-client: shutting the cluster down: %s\n", error->message);
      status = 1;
    }
  return status;
}
