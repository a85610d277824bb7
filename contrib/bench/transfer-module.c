/* transfer-module: the consumer task of contrib/bench/transfer.
 *
 * No built-in function takes a byte-string dependency, so the benchmark loads
 * this module on every worker. Functions:
 *   nbytes  ()  -> x   the total size in bytes of its dependencies' results
 */
#include <daskmpi.h>

#include <gmodule.h>

/* Exported for the worker; declared here because it has no header. */
G_MODULE_EXPORT gboolean dmpi_module_init (DmpiRegistry *registry, GError **error);

static gboolean
nbytes (DmpiTask *task, GError **error)
{
  guint n = dmpi_task_get_n_deps (task);
  gint64 total = 0;

  for (guint i = 0; i < n; i++)
    total += (gint64) g_variant_get_size (dmpi_task_get_dep (task, i));
  dmpi_task_set_result (task, g_variant_new_int64 (total));
  return TRUE;
}

gboolean
dmpi_module_init (DmpiRegistry *registry, GError **error)
{
  dmpi_registry_add (registry, "nbytes", nbytes);
  return TRUE;
}
