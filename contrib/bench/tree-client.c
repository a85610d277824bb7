/* tree-client: a tree reduction of many small leaves.
 *
 * Waits for the workers, then submits --leaves `inc (i)` leaves (i = 0..n-1)
 * and above them levels of `sum` tasks of --fan-in inputs each until one
 * root remains; only the root is kept as a future. Gathers the root, checks
 * it equals n(n+1)/2 and prints `total_s=` (first submission to the gathered
 * root) and `tasks=`. Run by contrib/bench/tree.
 */
#include <daskmpi.h>

#include <stdio.h>
#include <stdlib.h>

static gint opt_leaves = 100000;
static gint opt_fan_in = 8;
static gint opt_workers = 2;
static gdouble opt_timeout = 600.0;

static GOptionEntry entries[] = {
  { "leaves", 0, 0, G_OPTION_ARG_INT, &opt_leaves, "Number of leaves (default 100000)", "N" },
  { "fan-in", 0, 0, G_OPTION_ARG_INT, &opt_fan_in, "Inputs per sum task (default 8)", "K" },
  { "workers", 0, 0, G_OPTION_ARG_INT, &opt_workers, "Wait for this many workers first (default 2)", "W" },
  { "timeout", 0, 0, G_OPTION_ARG_DOUBLE, &opt_timeout, "Seconds to wait for workers, and for the root (default 600)", "S" },
  { NULL }
};

/* Submits the whole tree; returns the root and counts the tasks. */
static DmpiFuture *
submit_tree (DmpiClient *client, guint *n_tasks, GError **error)
{
  g_autoptr(GPtrArray) level = g_ptr_array_new_with_free_func ((GDestroyNotify) dmpi_future_unref);

  for (gint64 i = 0; i < opt_leaves; i++)
    {
      DmpiFuture *f = dmpi_client_submit (client, "inc", g_variant_new ("(x)", i), NULL, 0, error);
      if (f == NULL)
        return NULL;
      g_ptr_array_add (level, f);
    }
  *n_tasks = level->len;

  while (level->len > 1)
    {
      g_autoptr(GPtrArray) above = g_ptr_array_new_with_free_func ((GDestroyNotify) dmpi_future_unref);

      for (guint i = 0; i < level->len; i += (guint) opt_fan_in)
        {
          gsize n = MIN ((guint) opt_fan_in, level->len - i);
          DmpiFuture *f = dmpi_client_submit (client, "sum", g_variant_new ("()"),
                                              (DmpiFuture *const *) level->pdata + i, n, error);
          if (f == NULL)
            return NULL;
          g_ptr_array_add (above, f);
        }
      *n_tasks += above->len;
      /* The level below is released: only the root is held at the end. */
      g_ptr_array_unref (level);
      level = g_steal_pointer (&above);
    }
  return dmpi_future_ref (g_ptr_array_index (level, 0));
}

static gboolean
run (DmpiClient *client, GError **error)
{
  g_autoptr(DmpiFuture) root = NULL;
  g_autoptr(GVariant) value = NULL;
  gint64 t0, t_submitted, t1;
  gint64 want = (gint64) opt_leaves * (opt_leaves + 1) / 2;
  guint n_tasks = 0;

  if (!dmpi_client_wait_for_workers (client, (guint) opt_workers, opt_timeout, error))
    return FALSE;
  g_print ("tree: %u workers, %u threads; %d leaves, fan-in %d\n",
           dmpi_client_get_n_workers (client), dmpi_client_get_n_threads (client), opt_leaves, opt_fan_in);

  t0 = g_get_monotonic_time ();
  root = submit_tree (client, &n_tasks, error);
  if (root == NULL || !dmpi_client_flush (client, error))
    return FALSE;
  t_submitted = g_get_monotonic_time ();
  value = dmpi_client_gather_one (client, root, error);
  if (value == NULL)
    return FALSE;
  t1 = g_get_monotonic_time ();

  if (!g_variant_is_of_type (value, G_VARIANT_TYPE_INT64) || g_variant_get_int64 (value) != want)
    {
      g_autofree char *text = g_variant_print (value, TRUE);
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_FAILED,
                   "the root '%s' gave %s, expected int64 %" G_GINT64_FORMAT,
                   dmpi_future_get_key (root), text, want);
      return FALSE;
    }

  g_print ("tasks=%u\n", n_tasks);
  g_print ("submit_s=%.3f\n", (double) (t_submitted - t0) / G_USEC_PER_SEC);
  g_print ("total_s=%.3f\n", (double) (t1 - t0) / G_USEC_PER_SEC);
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) context = g_option_context_new ("- time a tree reduction on a dask-mpi cluster");
  g_autoptr(DmpiClient) client = NULL;
  int status;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("tree-client: %s\n", error->message);
      return 2;
    }
  if (opt_leaves < 1 || opt_fan_in < 2 || opt_workers < 1)
    {
      g_printerr ("tree-client: --leaves and --workers must be at least 1, --fan-in at least 2\n");
      return 2;
    }

  client = dmpi_client_new (&argc, &argv, &error);
  if (client == NULL)
    {
      g_printerr ("tree-client: cannot start the client: %s\n", error->message);
      return 1;
    }

  status = run (client, &error) ? 0 : 1;
  if (status != 0)
    g_printerr ("tree-client: %s\n", error->message);

  g_clear_error (&error);
  if (!dmpi_client_shutdown (client, status, &error))
    {
      g_printerr ("tree-client: shutting the cluster down: %s\n", error->message);
      status = 1;
    }
  return status;
}
