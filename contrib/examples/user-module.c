/* user-module: task functions of one's own, loaded by every worker.
 *
 * A user module is a shared object that exports dmpi_module_init(); the
 * worker calls it once after loading the module, and it registers the
 * module's functions by name. A client loads it with
 * dmpi_client_load_module() (see use-module.c) and then submits tasks that
 * name these functions like any built-in one.
 *
 * Functions here:
 *   square      (x)  -> x      x * x
 *   word_count  (s)  -> x      number of whitespace-separated words in s
 *   sum_squares ()   -> x      sum of the squares of its dependencies' int64 results
 */
#include <daskmpi.h>

#include <gmodule.h>

/* Exported for the worker; declared here because it has no header. */
G_MODULE_EXPORT gboolean dmpi_module_init (DmpiRegistry *registry, GError **error);

static gboolean
square (DmpiTask *task, GError **error)
{
  gint64 x;

  if (!dmpi_task_check_args (task, "(x)", error))
    return FALSE;
  g_variant_get (dmpi_task_get_args (task), "(x)", &x);
  /* Refuse rather than wrap: an overflow is a wrong answer. */
  if (x > G_GINT64_CONSTANT (3037000499) || x < -G_GINT64_CONSTANT (3037000499))
    {
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_INVALID_ARGS,
                   "square: %" G_GINT64_FORMAT " squared does not fit in 64 bits", x);
      return FALSE;
    }
  dmpi_task_set_result (task, g_variant_new_int64 (x * x));
  return TRUE;
}

static gboolean
word_count (DmpiTask *task, GError **error)
{
  const char *s;
  gint64 words = 0;
  gboolean in_word = FALSE;

  if (!dmpi_task_check_args (task, "(s)", error))
    return FALSE;
  g_variant_get (dmpi_task_get_args (task), "(&s)", &s);
  for (; *s != '\0'; s++)
    {
      gboolean space = g_ascii_isspace (*s);
      if (!space && !in_word)
        words++;
      in_word = !space;
    }
  dmpi_task_set_result (task, g_variant_new_int64 (words));
  return TRUE;
}

static gboolean
sum_squares (DmpiTask *task, GError **error)
{
  guint n = dmpi_task_get_n_deps (task);
  gint64 total = 0;

  for (guint i = 0; i < n; i++)
    {
      GVariant *dep = dmpi_task_get_dep (task, i);
      gint64 v;

      if (!g_variant_is_of_type (dep, G_VARIANT_TYPE_INT64))
        {
          g_set_error (error, DMPI_ERROR, DMPI_ERROR_INVALID_ARGS,
                       "sum_squares: dependency %u is of type %s, expected x",
                       i, g_variant_get_type_string (dep));
          return FALSE;
        }
      v = g_variant_get_int64 (dep);
      total += v * v;
    }
  dmpi_task_set_result (task, g_variant_new_int64 (total));
  return TRUE;
}

gboolean
dmpi_module_init (DmpiRegistry *registry, GError **error)
{
  dmpi_registry_add (registry, "square", square);
  dmpi_registry_add (registry, "word_count", word_count);
  dmpi_registry_add (registry, "sum_squares", sum_squares);
  return TRUE;
}
