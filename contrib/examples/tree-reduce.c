/* tree-reduce: sum 1..n on the cluster by a tree reduction.
 *
 * The leaves are `range_sum` tasks over chunks of the range; each level above
 * combines up to --fan-in results of the level below (alternately with the
 * built-in `sum` and `add`) until one task remains. The client gathers only
 * that root and checks it against n(n+1)/2.
 *
 *   dask-mpi-run -n 4 ./tree-reduce --n 1000000 --chunk 10000 --fan-in 8
 */
#include <daskmpi.h>

#include <stdio.h>
#include <stdlib.h>

static gint64 opt_n = 1000000;
static gint64 opt_chunk = 10000;
static gint opt_fan_in = 8;
static gint opt_workers = 1;
static gdouble opt_timeout = 60.0;

static GOptionEntry entries[] = {
  { "n", 0, 0, G_OPTION_ARG_INT64, &opt_n, "Sum the numbers 1..N (default 1000000)", "N" },
  { "chunk", 0, 0, G_OPTION_ARG_INT64, &opt_chunk, "Numbers per leaf task (default 10000)", "C" },
  { "fan-in", 0, 0, G_OPTION_ARG_INT, &opt_fan_in, "Results combined per inner task (default 8)", "K" },
  { "workers", 0, 0, G_OPTION_ARG_INT, &opt_workers, "Wait for this many workers (default 1)", "W" },
  { "timeout", 0, 0, G_OPTION_ARG_DOUBLE, &opt_timeout, "Seconds to wait for workers and results (default 60)", "S" },
  { NULL }
};

/* One level of the tree: the leaves, one range_sum per chunk of 1..n. */
static GPtrArray *
submit_leaves (DmpiClient *client, GError **error)
{
  g_autoptr(GPtrArray) level = g_ptr_array_new_with_free_func ((GDestroyNotify) dmpi_future_unref);

  for (gint64 lo = 1; lo <= opt_n; lo += opt_chunk)
    {
      gint64 hi = MIN (lo + opt_chunk, opt_n + 1);
      DmpiFuture *f = dmpi_client_submit (client, "range_sum", g_variant_new ("(xx)", lo, hi),
                                          NULL, 0, error);
      if (f == NULL)
        return NULL;
      g_ptr_array_add (level, f);
    }
  return g_steal_pointer (&level);
}

/* The next level up: one task per group of fan_in futures of @below. */
static GPtrArray *
submit_level (DmpiClient *client, GPtrArray *below, guint depth, GError **error)
{
  g_autoptr(GPtrArray) level = g_ptr_array_new_with_free_func ((GDestroyNotify) dmpi_future_unref);
  /* Both built-ins add up their dependencies' results; alternate them so the
   * example exercises each. */
  const char *function = (depth % 2 == 0) ? "sum" : "add";

  for (guint i = 0; i < below->len; i += (guint) opt_fan_in)
    {
      gsize n_deps = MIN ((guint) opt_fan_in, below->len - i);
      DmpiFuture *f = dmpi_client_submit (client, function, g_variant_new ("()"),
                                          (DmpiFuture *const *) below->pdata + i, n_deps, error);
      if (f == NULL)
        return NULL;
      g_ptr_array_add (level, f);
    }
  return g_steal_pointer (&level);
}

static gboolean
run (DmpiClient *client, GError **error)
{
  g_autoptr(GPtrArray) level = NULL;
  g_autoptr(GVariant) result = NULL;
  guint depth = 0;
  gint64 expected = opt_n * (opt_n + 1) / 2;
  gint64 got;

  if (!dmpi_client_wait_for_workers (client, (guint) opt_workers, opt_timeout, error))
    return FALSE;
  g_print ("tree-reduce: %u workers; summing 1..%" G_GINT64_FORMAT
           " in chunks of %" G_GINT64_FORMAT ", fan-in %d\n",
           dmpi_client_get_n_workers (client), opt_n, opt_chunk, opt_fan_in);

  level = submit_leaves (client, error);
  if (level == NULL)
    return FALSE;
  g_print ("tree-reduce: level 0: %u range_sum tasks\n", level->len);

  /* A single leaf still gets one level above it, so the root is always an
   * inner task. */
  do
    {
      g_autoptr(GPtrArray) below = g_steal_pointer (&level);
      level = submit_level (client, below, depth, error);
      if (level == NULL)
        return FALSE;
      depth++;
      g_print ("tree-reduce: level %u: %u %s tasks\n", depth, level->len,
               (depth - 1) % 2 == 0 ? "sum" : "add");
    }
  while (level->len > 1);

  result = dmpi_client_gather_one (client, g_ptr_array_index (level, 0), error);
  if (result == NULL)
    return FALSE;
  if (!g_variant_is_of_type (result, G_VARIANT_TYPE_INT64))
    {
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_FAILED,
                   "root task %s returned a value of type %s, expected x",
                   dmpi_future_get_key (g_ptr_array_index (level, 0)),
                   g_variant_get_type_string (result));
      return FALSE;
    }

  got = g_variant_get_int64 (result);
  g_print ("tree-reduce: sum(1..%" G_GINT64_FORMAT ") = %" G_GINT64_FORMAT
           " (expected %" G_GINT64_FORMAT ") %s\n",
           opt_n, got, expected, got == expected ? "OK" : "MISMATCH");
  if (got != expected)
    {
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_FAILED, "result %" G_GINT64_FORMAT
                   " differs from n(n+1)/2 = %" G_GINT64_FORMAT, got, expected);
      return FALSE;
    }
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) context = g_option_context_new ("- sum 1..N by a tree reduction on a dask-mpi cluster");
  g_autoptr(DmpiClient) client = NULL;
  int status;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("tree-reduce: %s\n", error->message);
      return 2;
    }
  if (opt_n < 1 || opt_chunk < 1 || opt_fan_in < 2 || opt_workers < 1
      || opt_n > G_GINT64_CONSTANT (3000000000))
    {
      g_printerr ("tree-reduce: need 1 <= --n <= 3e9 (so the sum fits in 64 bits), "
                  "--chunk >= 1, --fan-in >= 2, --workers >= 1\n");
      return 2;
    }

  client = dmpi_client_new (&argc, &argv, &error);
  if (client == NULL)
    {
      g_printerr ("tree-reduce: cannot start the client: %s\n", error->message);
      return 1;
    }

  status = run (client, &error) ? 0 : 1;
  if (status != 0)
    g_printerr ("tree-reduce: %s\n", error->message);

  g_clear_error (&error);
  if (!dmpi_client_shutdown (client, status, &error))
    {
      g_printerr ("tree-reduce: shutting the cluster down: %s\n", error->message);
      status = 1;
    }
  return status;
}
