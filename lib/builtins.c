/* The built-in module: functions every worker has, for tests, benchmarks and
 * examples. */
#include "config.h"

#include "registry.h"
#include "dmpi-error.h"

static gboolean
add_int64 (gint64 *sum, GVariant *value, const char *what, guint index, DmpiTask *task, GError **error)
{
  if (!g_variant_is_of_type (value, G_VARIANT_TYPE_INT64))
    {
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_INVALID_ARGS,
                   "function %s wants int64 values, but %s %u is %s", task->function, what, index,
                   g_variant_get_type_string (value));
      return FALSE;
    }
  *sum += g_variant_get_int64 (value);
  return TRUE;
}

static gboolean
builtin_noop (DmpiTask *task, GError **error)
{
  return TRUE;
}

static gboolean
builtin_inc (DmpiTask *task, GError **error)
{
  gint64 x;

  if (!dmpi_task_check_args (task, "(x)", error))
    return FALSE;
  g_variant_get (task->args, "(x)", &x);
  dmpi_task_set_result (task, g_variant_new_int64 (x + 1));
  return TRUE;
}

static gboolean
sum_deps (DmpiTask *task, gint64 *sum, GError **error)
{
  for (guint i = 0; i < task->n_deps; i++)
    if (!add_int64 (sum, task->deps[i], "dependency", i, task, error))
      return FALSE;
  return TRUE;
}

static gboolean
builtin_add (DmpiTask *task, GError **error)
{
  gint64 sum = 0;
  gsize n = g_variant_n_children (task->args);

  if (!g_variant_is_container (task->args))
    return dmpi_task_check_args (task, "(x)", error);
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) child = g_variant_get_child_value (task->args, i);
      if (!add_int64 (&sum, child, "argument", (guint) i, task, error))
        return FALSE;
    }
  if (!sum_deps (task, &sum, error))
    return FALSE;
  dmpi_task_set_result (task, g_variant_new_int64 (sum));
  return TRUE;
}

static gboolean
builtin_sum (DmpiTask *task, GError **error)
{
  gint64 sum = 0;

  if (!sum_deps (task, &sum, error))
    return FALSE;
  dmpi_task_set_result (task, g_variant_new_int64 (sum));
  return TRUE;
}

static gboolean
builtin_range_sum (DmpiTask *task, GError **error)
{
  gint64 lo, hi, sum = 0;

  if (!dmpi_task_check_args (task, "(xx)", error))
    return FALSE;
  g_variant_get (task->args, "(xx)", &lo, &hi);
  for (gint64 i = lo; i < hi; i++)
    sum += i;
  dmpi_task_set_result (task, g_variant_new_int64 (sum));
  return TRUE;
}

static gboolean
builtin_sleep (DmpiTask *task, GError **error)
{
  double seconds;

  if (!dmpi_task_check_args (task, "(d)", error))
    return FALSE;
  g_variant_get (task->args, "(d)", &seconds);
  if (!(seconds >= 0 && seconds <= 86400))
    {
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_INVALID_ARGS,
                   "sleep wants 0 to 86400 seconds, got %g", seconds);
      return FALSE;
    }
  g_usleep ((gulong) (seconds * G_USEC_PER_SEC));
  return TRUE;
}

static gboolean
builtin_fail (DmpiTask *task, GError **error)
{
  const char *message = "failed on purpose";

  if (g_variant_is_of_type (task->args, G_VARIANT_TYPE ("(s)")))
    g_variant_get (task->args, "(&s)", &message);
  g_set_error_literal (error, DMPI_ERROR, DMPI_ERROR_TASK_FAILED, message);
  return FALSE;
}

static gboolean
builtin_bytes (DmpiTask *task, GError **error)
{
  guint64 n;

  if (!dmpi_task_check_args (task, "(t)", error))
    return FALSE;
  g_variant_get (task->args, "(t)", &n);
  if (n > ((guint64) 1 << 36))
    {
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_INVALID_ARGS,
                   "bytes wants at most 64 GiB, got %" G_GUINT64_FORMAT, n);
      return FALSE;
    }
  guint8 *data = g_malloc ((gsize) n);
  for (guint64 i = 0; i < n; i++)
    data[i] = (guint8) (i * 131u + 7u);
  GBytes *bytes = g_bytes_new_take (data, (gsize) n);
  dmpi_task_set_result (task, g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, bytes, TRUE));
  g_bytes_unref (bytes);
  return TRUE;
}

void
dmpi_builtins_register (DmpiRegistry *registry)
{
  dmpi_registry_add (registry, "noop", builtin_noop);
  dmpi_registry_add (registry, "inc", builtin_inc);
  dmpi_registry_add (registry, "add", builtin_add);
  dmpi_registry_add (registry, "sum", builtin_sum);
  dmpi_registry_add (registry, "range_sum", builtin_range_sum);
  dmpi_registry_add (registry, "sleep", builtin_sleep);
  dmpi_registry_add (registry, "fail", builtin_fail);
  dmpi_registry_add (registry, "bytes", builtin_bytes);
}
