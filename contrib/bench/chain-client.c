/* chain-client: the latency of dependent tasks, one after the other.
 *
 * Waits for the workers, then submits --tasks tasks where each depends on the
 * one before (`inc (0)` first, then `add (1)` on the previous result), keeps
 * only the last future as a user would, gathers it and checks it equals
 * --tasks. Prints `us_per_task=` (first submission to the gathered result,
 * divided by the tasks). Run by contrib/bench/chain.
 */
#include <daskmpi.h>

#include <stdio.h>
#include <stdlib.h>

static gint opt_tasks = 10000;
static gint opt_workers = 2;
static gdouble opt_timeout = 600.0;

static GOptionEntry entries[] = {
  { "tasks", 0, 0, G_OPTION_ARG_INT, &opt_tasks, "Length of the chain (default 10000)", "N" },
  { "workers", 0, 0, G_OPTION_ARG_INT, &opt_workers, "Wait for this many workers first (default 2)", "W" },
  { "timeout", 0, 0, G_OPTION_ARG_DOUBLE, &opt_timeout, "Seconds to wait for workers, and for the chain (default 600)", "S" },
  { NULL }
};

static gboolean
run (DmpiClient *client, GError **error)
{
  g_autoptr(DmpiFuture) last = NULL;
  g_autoptr(GVariant) value = NULL;
  gint64 t0, t_submitted, t1;
  double seconds;

  if (!dmpi_client_wait_for_workers (client, (guint) opt_workers, opt_timeout, error))
    return FALSE;
  g_print ("chain: %u workers, %u threads; a chain of %d tasks\n",
           dmpi_client_get_n_workers (client), dmpi_client_get_n_threads (client), opt_tasks);

  t0 = g_get_monotonic_time ();
  last = dmpi_client_submit (client, "inc", g_variant_new ("(x)", (gint64) 0), NULL, 0, error);
  if (last == NULL)
    return FALSE;
  for (gint i = 1; i < opt_tasks; i++)
    {
      DmpiFuture *next = dmpi_client_submit (client, "add", g_variant_new ("(x)", (gint64) 1), &last, 1, error);
      if (next == NULL)
        return FALSE;
      /* Only the end of the chain is held: the runtime frees the rest. */
      dmpi_future_unref (last);
      last = next;
    }
  if (!dmpi_client_flush (client, error))
    return FALSE;
  t_submitted = g_get_monotonic_time ();
  if (!dmpi_client_wait (client, &last, 1, opt_timeout, error))
    return FALSE;
  value = dmpi_client_gather_one (client, last, error);
  if (value == NULL)
    return FALSE;
  t1 = g_get_monotonic_time ();

  if (!g_variant_is_of_type (value, G_VARIANT_TYPE_INT64) || g_variant_get_int64 (value) != opt_tasks)
    {
      g_autofree char *text = g_variant_print (value, TRUE);
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_FAILED,
                   "the chain's last task '%s' gave %s, expected int64 %d",
                   dmpi_future_get_key (last), text, opt_tasks);
      return FALSE;
    }

  seconds = (double) (t1 - t0) / G_USEC_PER_SEC;
  g_print ("submit_s=%.3f\n", (double) (t_submitted - t0) / G_USEC_PER_SEC);
  g_print ("total_s=%.3f\n", seconds);
  g_print ("us_per_task=%.1f\n", seconds * 1e6 / opt_tasks);
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) context = g_option_context_new ("- time a chain of dependent tasks on a dask-mpi cluster");
  g_autoptr(DmpiClient) client = NULL;
  int status;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("chain-client: %s\n", error->message);
      return 2;
    }
  if (opt_tasks < 1 || opt_workers < 1)
    {
      g_printerr ("chain-client: --tasks and --workers must be at least 1\n");
      return 2;
    }

  client = dmpi_client_new (&argc, &argv, &error);
  if (client == NULL)
    {
      g_printerr ("chain-client: cannot start the client: %s\n", error->message);
      return 1;
    }

  status = run (client, &error) ? 0 : 1;
  if (status != 0)
    g_printerr ("chain-client: %s\n", error->message);

  g_clear_error (&error);
  if (!dmpi_client_shutdown (client, status, &error))
    {
      g_printerr ("chain-client: shutting the cluster down: %s\n", error->message);
      status = 1;
    }
  return status;
}
