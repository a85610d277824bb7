#include "config.h"

#include "registry.h"
#include "dmpi-error.h"

#include <gmodule.h>

struct _DmpiRegistry {
  GHashTable *functions;   /* name → DmpiTaskFunc */
  GHashTable *modules;     /* path → GModule, kept open */
  GHashTable *partition_funcs;   /* name → DmpiPartitionFunc, under lock */
  GMutex      lock;
};

DmpiRegistry *
dmpi_registry_new (void)
{
  DmpiRegistry *registry = g_new0 (DmpiRegistry, 1);

  registry->functions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  registry->modules = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  registry->partition_funcs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_mutex_init (&registry->lock);
  return registry;
}

void
dmpi_registry_free (DmpiRegistry *registry)
{
  if (registry == NULL)
    return;
  g_hash_table_unref (registry->functions);
  /* Modules stay loaded: functions from them may still be on the stack of a
   * compute thread being torn down. */
  g_hash_table_unref (registry->modules);
  g_hash_table_unref (registry->partition_funcs);
  g_mutex_clear (&registry->lock);
  g_free (registry);
}

void
dmpi_registry_add (DmpiRegistry *registry, const char *name, DmpiTaskFunc func)
{
  g_return_if_fail (registry != NULL);
  g_return_if_fail (name != NULL && *name != '\0');
  g_return_if_fail (func != NULL);
  g_hash_table_replace (registry->functions, g_strdup (name), (gpointer) func);
}

void
dmpi_registry_add_partition_func (DmpiRegistry *registry, const char *name, DmpiPartitionFunc func)
{
  g_return_if_fail (registry != NULL);
  g_return_if_fail (name != NULL && *name != '\0');
  g_return_if_fail (func != NULL);
  g_mutex_lock (&registry->lock);
  g_hash_table_replace (registry->partition_funcs, g_strdup (name), (gpointer) func);
  g_mutex_unlock (&registry->lock);
}

DmpiPartitionFunc
dmpi_registry_lookup_partition_func (DmpiRegistry *registry, const char *name)
{
  g_mutex_lock (&registry->lock);
  DmpiPartitionFunc f = (DmpiPartitionFunc) g_hash_table_lookup (registry->partition_funcs, name);
  g_mutex_unlock (&registry->lock);
  return f;
}

DmpiTaskFunc
dmpi_registry_lookup (DmpiRegistry *registry, const char *name)
{
  return (DmpiTaskFunc) g_hash_table_lookup (registry->functions, name);
}

guint
dmpi_registry_size (DmpiRegistry *registry)
{
  return g_hash_table_size (registry->functions);
}

gboolean
dmpi_registry_load_module (DmpiRegistry *registry, const char *path, GError **error)
{
  if (g_hash_table_contains (registry->modules, path))
    return TRUE;
  if (!g_path_is_absolute (path))
    {
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_MODULE,
                   "module path '%s' is not absolute: every worker must find the same file", path);
      return FALSE;
    }
  GModule *module = g_module_open (path, G_MODULE_BIND_LOCAL);
  if (module == NULL)
    {
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_MODULE, "cannot load module %s: %s",
                   path, g_module_error ());
      return FALSE;
    }
  gpointer symbol = NULL;
  if (!g_module_symbol (module, DMPI_MODULE_INIT_SYMBOL, &symbol) || symbol == NULL)
    {
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_MODULE, "module %s has no function %s",
                   path, DMPI_MODULE_INIT_SYMBOL);
      g_module_close (module);
      return FALSE;
    }
  g_autoptr(GError) local_error = NULL;
  if (!((DmpiModuleInitFunc) symbol) (registry, &local_error))
    {
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_MODULE, "module %s failed to initialise: %s",
                   path, local_error != NULL ? local_error->message : "no reason given");
      g_module_close (module);
      return FALSE;
    }
  g_module_make_resident (module);
  g_hash_table_insert (registry->modules, g_strdup (path), module);
  return TRUE;
}

const char *
dmpi_task_get_key (DmpiTask *task)
{
  return task->key;
}

const char *
dmpi_task_get_function (DmpiTask *task)
{
  return task->function;
}

GVariant *
dmpi_task_get_args (DmpiTask *task)
{
  return task->args;
}

guint
dmpi_task_get_n_deps (DmpiTask *task)
{
  return task->n_deps;
}

GVariant *
dmpi_task_get_dep (DmpiTask *task, guint index)
{
  g_return_val_if_fail (index < task->n_deps, NULL);
  return task->deps[index];
}

void
dmpi_task_set_result (DmpiTask *task, GVariant *value)
{
  g_return_if_fail (value != NULL);
  GVariant *owned = g_variant_ref_sink (value);
  g_clear_pointer (&task->result, g_variant_unref);
  task->result = owned;
}

gboolean
dmpi_task_check_args (DmpiTask *task, const char *type_string, GError **error)
{
  if (g_variant_is_of_type (task->args, G_VARIANT_TYPE (type_string)))
    return TRUE;
  g_set_error (error, DMPI_ERROR, DMPI_ERROR_INVALID_ARGS,
               "function %s takes arguments %s, got %s", task->function, type_string,
               g_variant_get_type_string (task->args));
  return FALSE;
}

gboolean
dmpi_task_run (DmpiTask *task, DmpiTaskFunc func, GError **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!func (task, &local_error))
    {
      g_clear_pointer (&task->result, g_variant_unref);
      if (local_error == NULL)
        g_set_error_literal (&local_error, DMPI_ERROR, DMPI_ERROR_TASK_FAILED,
                             "the function failed without saying why");
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (task->result == NULL)
    task->result = g_variant_ref_sink (g_variant_new ("()"));
  return TRUE;
}
