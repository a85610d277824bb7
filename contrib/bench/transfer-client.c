/* transfer-client: how fast results move from one worker to another.
 *
 * Loads --module (transfer-module.so, for `nbytes`) and waits for the
 * workers. Then, --batch results at a time until --results: makes the batch
 * of `bytes (SIZE)` results on the --producer rank and waits for them (not
 * timed), then submits one `nbytes` task per result restricted to the
 * --consumer rank and times until they have all finished: that is the time to
 * move the batch. Checks every consumer saw SIZE bytes, and prints
 * `transfer_s=` (the timed phases added up), `bytes=` and `gbps=` (GB/s,
 * 10^9 bytes). Run by contrib/bench/transfer.
 */
#include <daskmpi.h>

#include <stdio.h>
#include <stdlib.h>

static gint opt_results = 1000;
static gint64 opt_size = 10000000;
static gint opt_batch = 50;
static gint opt_producer = 2;
static gint opt_consumer = 3;
static gchar *opt_module = NULL;
static gint opt_workers = 2;
static gdouble opt_timeout = 600.0;

static GOptionEntry entries[] = {
  { "results", 0, 0, G_OPTION_ARG_INT, &opt_results, "Number of results to move (default 1000)", "N" },
  { "size", 0, 0, G_OPTION_ARG_INT64, &opt_size, "Bytes per result (default 10000000)", "BYTES" },
  { "batch", 0, 0, G_OPTION_ARG_INT, &opt_batch, "Results made, then moved, at a time (default 50)", "K" },
  { "producer", 0, 0, G_OPTION_ARG_INT, &opt_producer, "Rank of the worker that makes the results (default 2)", "RANK" },
  { "consumer", 0, 0, G_OPTION_ARG_INT, &opt_consumer, "Rank of the worker that consumes them (default 3)", "RANK" },
  { "module", 0, 0, G_OPTION_ARG_FILENAME, &opt_module, "Path of transfer-module.so (required)", "PATH" },
  { "workers", 0, 0, G_OPTION_ARG_INT, &opt_workers, "Wait for this many workers first (default 2)", "W" },
  { "timeout", 0, 0, G_OPTION_ARG_DOUBLE, &opt_timeout, "Seconds to wait for workers, and for each batch (default 600)", "S" },
  { NULL }
};

/* Makes N results on the producer and moves them to the consumer; adds the
 * time the move took to *elapsed_us. */
static gboolean
run_batch (DmpiClient *client, gint n, gint64 *elapsed_us, GError **error)
{
  g_autoptr(GPtrArray) made = g_ptr_array_new_with_free_func ((GDestroyNotify) dmpi_future_unref);
  g_autoptr(GPtrArray) used = g_ptr_array_new_with_free_func ((GDestroyNotify) dmpi_future_unref);
  g_autoptr(GPtrArray) sizes = NULL;
  DmpiSubmitOptions on_producer = { .workers = &opt_producer, .n_workers = 1 };
  DmpiSubmitOptions on_consumer = { .workers = &opt_consumer, .n_workers = 1 };
  gint64 t0;

  for (gint i = 0; i < n; i++)
    {
      DmpiFuture *f = dmpi_client_submit_full (client, "bytes", g_variant_new ("(t)", (guint64) opt_size),
                                               NULL, 0, &on_producer, error);
      if (f == NULL)
        return FALSE;
      g_ptr_array_add (made, f);
    }
  if (!dmpi_client_wait (client, (DmpiFuture *const *) made->pdata, made->len, opt_timeout, error))
    return FALSE;
  for (guint i = 0; i < made->len; i++)
    {
      DmpiFuture *f = g_ptr_array_index (made, i);
      if (dmpi_future_get_status (f) != DMPI_FUTURE_FINISHED || dmpi_future_get_worker (f) != opt_producer)
        {
          g_set_error (error, DMPI_ERROR, DMPI_ERROR_FAILED,
                       "result '%s' is %s on worker rank %d, expected finished on rank %d",
                       dmpi_future_get_key (f),
                       dmpi_future_get_status (f) == DMPI_FUTURE_FINISHED ? "finished" : "not finished",
                       dmpi_future_get_worker (f), opt_producer);
          return FALSE;
        }
    }

  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < made->len; i++)
    {
      DmpiFuture *f = dmpi_client_submit_full (client, "nbytes", g_variant_new ("()"),
                                               (DmpiFuture *const *) made->pdata + i, 1, &on_consumer, error);
      if (f == NULL)
        return FALSE;
      g_ptr_array_add (used, f);
    }
  if (!dmpi_client_wait (client, (DmpiFuture *const *) used->pdata, used->len, opt_timeout, error))
    return FALSE;
  *elapsed_us += g_get_monotonic_time () - t0;

  sizes = dmpi_client_gather (client, (DmpiFuture *const *) used->pdata, used->len, error);
  if (sizes == NULL)
    return FALSE;
  for (guint i = 0; i < sizes->len; i++)
    {
      GVariant *v = g_ptr_array_index (sizes, i);
      DmpiFuture *f = g_ptr_array_index (used, i);
      if (!g_variant_is_of_type (v, G_VARIANT_TYPE_INT64) || g_variant_get_int64 (v) != opt_size
          || dmpi_future_get_worker (f) != opt_consumer)
        {
          g_autofree char *text = g_variant_print (v, TRUE);
          g_set_error (error, DMPI_ERROR, DMPI_ERROR_FAILED,
                       "consumer '%s' on rank %d saw %s bytes, expected %" G_GINT64_FORMAT " on rank %d",
                       dmpi_future_get_key (f), dmpi_future_get_worker (f), text, opt_size, opt_consumer);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
run (DmpiClient *client, GError **error)
{
  gint64 elapsed_us = 0;
  double seconds, bytes;

  if (!dmpi_client_wait_for_workers (client, (guint) opt_workers, opt_timeout, error))
    return FALSE;
  if (!dmpi_client_load_module (client, opt_module, error))
    return FALSE;
  g_print ("transfer: %u workers; %d results of %" G_GINT64_FORMAT " bytes from rank %d to rank %d, %d at a time\n",
           dmpi_client_get_n_workers (client), opt_results, opt_size, opt_producer, opt_consumer, opt_batch);

  for (gint done = 0; done < opt_results; done += opt_batch)
    if (!run_batch (client, MIN (opt_batch, opt_results - done), &elapsed_us, error))
      return FALSE;

  seconds = (double) elapsed_us / G_USEC_PER_SEC;
  bytes = (double) opt_results * (double) opt_size;
  g_print ("transfer_s=%.3f\n", seconds);
  g_print ("bytes=%.0f\n", bytes);
  g_print ("gbps=%.3f\n", bytes / seconds / 1e9);
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) context = g_option_context_new ("- time moving results between two dask-mpi workers");
  g_autoptr(DmpiClient) client = NULL;
  int status;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("transfer-client: %s\n", error->message);
      return 2;
    }
  if (opt_results < 1 || opt_size < 0 || opt_batch < 1 || opt_workers < 1 || opt_module == NULL
      || opt_producer == opt_consumer)
    {
      g_printerr ("transfer-client: --module is required; --results, --batch and --workers must be at least 1; "
                  "--producer and --consumer must differ\n");
      return 2;
    }

  client = dmpi_client_new (&argc, &argv, &error);
  if (client == NULL)
    {
      g_printerr ("transfer-client: cannot start the client: %s\n", error->message);
      return 1;
    }

  status = run (client, &error) ? 0 : 1;
  if (status != 0)
    g_printerr ("transfer-client: %s\n", error->message);

  g_clear_error (&error);
  if (!dmpi_client_shutdown (client, status, &error))
    {
      g_printerr ("transfer-client: shutting the cluster down: %s\n", error->message);
      status = 1;
    }
  g_free (opt_module);
  return status;
}
