/* Task functions by name: the built-in module, and user modules. */
#include "config.h"

#include <string.h>

#include "registry.h"
#include "dmpi-error.h"

static GVariant *
run (DmpiRegistry *registry, const char *function, GVariant *args, GVariant **deps, guint n_deps, GError **error)
{
  DmpiTask task = { "key-1", function, g_variant_ref_sink (args), deps, n_deps, NULL };
  DmpiTaskFunc func = dmpi_registry_lookup (registry, function);
  GVariant *result = NULL;

  g_assert_nonnull (func);
  if (dmpi_task_run (&task, func, error))
    result = g_steal_pointer (&task.result);
  g_variant_unref (task.args);
  g_assert_null (task.result);
  return result;
}

/* A registry as a worker sets it up: the built-in module in it. */
static DmpiRegistry *
new_registry (void)
{
  DmpiRegistry *registry = dmpi_registry_new ();
  dmpi_builtins_register (registry);
  return registry;
}

static void
test_builtins (void)
{
  g_autoptr(DmpiRegistry) registry = new_registry ();
  g_autoptr(GError) error = NULL;
  GVariant *deps[] = { g_variant_ref_sink (g_variant_new_int64 (10)), g_variant_ref_sink (g_variant_new_int64 (32)) };

  g_autoptr(GVariant) inc = run (registry, "inc", g_variant_new ("(x)", (gint64) 41), NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_variant_get_int64 (inc), ==, 42);
  g_autoptr(GVariant) add = run (registry, "add", g_variant_new ("(xx)", (gint64) 1, (gint64) 2), deps, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_variant_get_int64 (add), ==, 45);
  g_autoptr(GVariant) sum = run (registry, "sum", g_variant_new ("()"), deps, 2, &error);
  g_assert_cmpint (g_variant_get_int64 (sum), ==, 42);
  g_autoptr(GVariant) range = run (registry, "range_sum", g_variant_new ("(xx)", (gint64) 1, (gint64) 101), NULL, 0, &error);
  g_assert_cmpint (g_variant_get_int64 (range), ==, 5050);
  g_autoptr(GVariant) noop = run (registry, "noop", g_variant_new ("(i)", 3), NULL, 0, &error);
  g_assert_true (g_variant_is_of_type (noop, G_VARIANT_TYPE_UNIT));
  g_autoptr(GVariant) bytes = run (registry, "bytes", g_variant_new ("(t)", (guint64) 1000), NULL, 0, &error);
  g_assert_cmpuint (g_variant_get_size (bytes), ==, 1000);
  g_assert_no_error (error);

  g_autoptr(GVariant) failed = run (registry, "fail", g_variant_new ("(s)", "broken on purpose"), NULL, 0, &error);
  g_assert_null (failed);
  g_assert_error (error, DMPI_ERROR, DMPI_ERROR_TASK_FAILED);
  g_assert_cmpstr (error->message, ==, "broken on purpose");
  g_clear_error (&error);

  g_autoptr(GVariant) wrong = run (registry, "inc", g_variant_new ("(s)", "x"), NULL, 0, &error);
  g_assert_null (wrong);
  g_assert_error (error, DMPI_ERROR, DMPI_ERROR_INVALID_ARGS);
  g_assert_nonnull (strstr (error->message, "(x)"));
  g_clear_error (&error);

  GVariant *bad_deps[] = { g_variant_ref_sink (g_variant_new_string ("not a number")) };
  g_autoptr(GVariant) bad = run (registry, "sum", g_variant_new ("()"), bad_deps, 1, &error);
  g_assert_null (bad);
  g_assert_error (error, DMPI_ERROR, DMPI_ERROR_INVALID_ARGS);
  g_clear_error (&error);
  g_variant_unref (bad_deps[0]);
  g_variant_unref (deps[0]);
  g_variant_unref (deps[1]);
  g_assert_null (dmpi_registry_lookup (registry, "no-such-function"));
}

static void
test_module_errors (void)
{
  g_autoptr(DmpiRegistry) registry = new_registry ();
  g_autoptr(GError) error = NULL;

  g_assert_false (dmpi_registry_load_module (registry, "relative/module.so", &error));
  g_assert_error (error, DMPI_ERROR, DMPI_ERROR_MODULE);
  g_assert_nonnull (strstr (error->message, "not absolute"));
  g_clear_error (&error);
  g_assert_false (dmpi_registry_load_module (registry, "/nonexistent/module.so", &error));
  g_assert_error (error, DMPI_ERROR, DMPI_ERROR_MODULE);
  g_assert_nonnull (strstr (error->message, "/nonexistent/module.so"));
}

static void
test_user_module (void)
{
  const char *builddir = g_getenv ("top_builddir");
  if (builddir == NULL)
    {
      g_test_skip ("top_builddir is not set (run through make check)");
      return;
    }
  g_autofree char *path = g_build_filename (builddir, "contrib", "examples", ".libs", "user-module.so", NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("the example module is not built");
      return;
    }
  g_autoptr(DmpiRegistry) registry = new_registry ();
  g_autoptr(GError) error = NULL;
  guint before = dmpi_registry_size (registry);
  g_assert_true (dmpi_registry_load_module (registry, path, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (dmpi_registry_size (registry), >, before);
  /* Loading twice is harmless. */
  g_assert_true (dmpi_registry_load_module (registry, path, &error));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/registry/builtins", test_builtins);
  g_test_add_func ("/registry/module-errors", test_module_errors);
  g_test_add_func ("/registry/user-module", test_user_module);
  return g_test_run ();
}
