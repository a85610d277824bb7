/* use-module: load a user module on every worker and run its functions.
 *
 *   dask-mpi-run -n 4 ./use-module $PWD/contrib/examples/.libs/user-module.so
 *
 * Runs the functions of user-module.c, alone and mixed with built-in ones,
 * checks every result, and checks that a task given the wrong arguments
 * fails with an error rather than a wrong answer. Prints one line per check;
 * exits 0 only if all pass.
 */
#include <daskmpi.h>

#include <stdio.h>
#include <stdlib.h>

static gint opt_workers = 1;
static gdouble opt_timeout = 60.0;

static GOptionEntry entries[] = {
  { "workers", 0, 0, G_OPTION_ARG_INT, &opt_workers, "Wait for this many workers (default 1)", "W" },
  { "timeout", 0, 0, G_OPTION_ARG_DOUBLE, &opt_timeout, "Seconds to wait for workers (default 60)", "S" },
  { NULL }
};

static guint n_failed;

static void
check_int64 (const char *what, GVariant *value, gint64 expected)
{
  gboolean ok = value != NULL && g_variant_is_of_type (value, G_VARIANT_TYPE_INT64)
                && g_variant_get_int64 (value) == expected;
  g_autofree char *shown = value != NULL ? g_variant_print (value, TRUE) : g_strdup ("nothing");

  g_print ("use-module: %s = %s (expected %" G_GINT64_FORMAT ") %s\n",
           what, shown, expected, ok ? "OK" : "MISMATCH");
  if (!ok)
    n_failed++;
}

/* Submits @function (@args) and gathers its result. */
static GVariant *
run_one (DmpiClient *client, const char *function, GVariant *args,
         DmpiFuture *const *deps, gsize n_deps, GError **error)
{
  g_autoptr(DmpiFuture) f = dmpi_client_submit (client, function, args, deps, n_deps, error);

  if (f == NULL)
    return NULL;
  return dmpi_client_gather_one (client, f, error);
}

static gboolean
run (DmpiClient *client, const char *module, GError **error)
{
  g_autoptr(GVariant) v = NULL;
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  g_autoptr(GPtrArray) squares = NULL;
  g_autoptr(GPtrArray) incs = g_ptr_array_new_with_free_func ((GDestroyNotify) dmpi_future_unref);
  g_autoptr(GError) task_error = NULL;
  g_autoptr(GVariant) bad = NULL;

  if (!dmpi_client_wait_for_workers (client, (guint) opt_workers, opt_timeout, error))
    return FALSE;
  if (!dmpi_client_load_module (client, module, error))
    return FALSE;
  g_print ("use-module: loaded %s on %u workers\n", module, dmpi_client_get_n_workers (client));

  v = run_one (client, "square", g_variant_new ("(x)", (gint64) 7), NULL, 0, error);
  if (v == NULL)
    return FALSE;
  check_int64 ("square(7)", v, 49);
  g_clear_pointer (&v, g_variant_unref);

  v = run_one (client, "word_count", g_variant_new ("(s)", "  the quick\tbrown  fox\n"), NULL, 0, error);
  if (v == NULL)
    return FALSE;
  check_int64 ("word_count(\"  the quick\\tbrown  fox\\n\")", v, 4);
  g_clear_pointer (&v, g_variant_unref);

  /* square mapped over 1..100, added up by the built-in sum: 100*101*201/6. */
  for (gint64 i = 1; i <= 100; i++)
    g_ptr_array_add (args, g_variant_ref_sink (g_variant_new ("(x)", i)));
  squares = dmpi_client_map (client, "square", (GVariant *const *) args->pdata, args->len, error);
  if (squares == NULL)
    return FALSE;
  v = run_one (client, "sum", g_variant_new ("()"),
               (DmpiFuture *const *) squares->pdata, squares->len, error);
  if (v == NULL)
    return FALSE;
  check_int64 ("sum(map(square, 1..100))", v, 338350);
  g_clear_pointer (&v, g_variant_unref);

  /* The module's function over the built-in inc's results: 1^2 + ... + 10^2. */
  for (gint64 i = 0; i < 10; i++)
    {
      DmpiFuture *f = dmpi_client_submit (client, "inc", g_variant_new ("(x)", i), NULL, 0, error);
      if (f == NULL)
        return FALSE;
      g_ptr_array_add (incs, f);
    }
  v = run_one (client, "sum_squares", g_variant_new ("()"),
               (DmpiFuture *const *) incs->pdata, incs->len, error);
  if (v == NULL)
    return FALSE;
  check_int64 ("sum_squares(inc(0..9))", v, 385);
  g_clear_pointer (&v, g_variant_unref);

  /* Wrong argument types must fail the task, with the cluster's error. */
  bad = run_one (client, "square", g_variant_new ("(s)", "seven"), NULL, 0, &task_error);
  if (bad == NULL && task_error != NULL && task_error->domain == DMPI_ERROR)
    g_print ("use-module: square(\"seven\") failed as it should: %s OK\n", task_error->message);
  else
    {
      g_print ("use-module: square(\"seven\") did not fail with a dask-mpi error MISMATCH\n");
      n_failed++;
    }

  if (n_failed > 0)
    {
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_FAILED, "%u checks failed", n_failed);
      return FALSE;
    }
  g_print ("use-module: all checks passed\n");
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) context = g_option_context_new ("MODULE.so - run a user module's task functions");
  g_autoptr(DmpiClient) client = NULL;
  g_autofree char *module = NULL;
  int status;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("use-module: %s\n", error->message);
      return 2;
    }
  if (argc != 2)
    {
      g_printerr ("use-module: expected one argument, the path of the module "
                  "(in the build tree: contrib/examples/.libs/user-module.so)\n");
      return 2;
    }
  /* Every worker loads the same path, so make it absolute. */
  module = g_canonicalize_filename (argv[1], NULL);
  if (!g_file_test (module, G_FILE_TEST_IS_REGULAR))
    {
      g_printerr ("use-module: %s: no such file\n", module);
      return 2;
    }

  client = dmpi_client_new (&argc, &argv, &error);
  if (client == NULL)
    {
      g_printerr ("use-module: cannot start the client: %s\n", error->message);
      return 1;
    }

  status = run (client, module, &error) ? 0 : 1;
  if (status != 0)
    g_printerr ("use-module: %s\n", error->message);

  g_clear_error (&error);
  if (!dmpi_client_shutdown (client, status, &error))
    {
      g_printerr ("use-module: shutting the cluster down: %s\n", error->message);
      status = 1;
    }
  return status;
}
