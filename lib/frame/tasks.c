/* The frame layer on a worker: a task runs one partition's plan, or merges
 * group-by states. Partitions move between tasks as serialized tables ("ay"
 * results), which the runtime sends worker to worker. */
#include "config.h"

#include "frame/tasks.h"

#include "dmpi-error.h"
#include "role.h"
#include "transport.h"
#include "df/groupby.h"
#include "df/plan.h"

#include <string.h>

/* The verbs whose partition tasks run plans; the dashboard groups tasks by
 * these names. */
static const char *const plan_verbs[] = {
  "to_parquet", "to_csv", "compute", "persist", "head", "len", "agg", "meta",
};

/* Peak resident set of this process (VmHWM), in bytes; 0 if unknown. */
static guint64
peak_rss_bytes (void)
{
  g_autofree char *status = NULL;
  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return 0;
  const char *p = strstr (status, "VmHWM:");
  return p != NULL ? g_ascii_strtoull (p + 6, NULL, 10) * 1024 : 0;
}

/* The table results of the task's dependencies, without copies. */
static GPtrArray *
dep_tables (DmpiTask *task, GError **error)
{
  g_autoptr(GPtrArray) inputs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  for (guint i = 0; i < task->n_deps; i++)
    {
      GVariant *dep = task->deps[i];
      if (!g_variant_is_of_type (dep, G_VARIANT_TYPE_BYTESTRING))
        {
          g_set_error (error, DMPI_ERROR, DMPI_ERROR_INVALID_ARGS,
                       "input %u is a %s, not a partition (ay)", i, g_variant_get_type_string (dep));
          return NULL;
        }
      g_ptr_array_add (inputs, g_variant_get_data_as_bytes (dep));
    }
  return g_steal_pointer (&inputs);
}

static DmpiTable *
run_partition_func (const char *name, DmpiTable *partition, GVariant *args, gpointer user_data, GError **error)
{
  DmpiRegistry *registry = user_data;
  DmpiPartitionFunc func = registry != NULL ? dmpi_registry_lookup_partition_func (registry, name) : NULL;
  if (func == NULL)
    {
      dmpi_table_free (partition);
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_UNKNOWN_FUNCTION,
                   "map_partitions: no partition function '%s' on this worker (is its module loaded?)", name);
      return NULL;
    }
  GError *local = NULL;
  DmpiTable *out = func (partition, args, &local);
  if (out == NULL)
    {
      if (local == NULL)
        g_set_error (error, DMPI_ERROR, DMPI_ERROR_TASK_FAILED,
                     "map_partitions: %s returned no table and no error", name);
      else
        g_propagate_prefixed_error (error, local, "map_partitions %s: ", name);
    }
  return out;
}

static gboolean
plan_task (DmpiTask *task, GError **error)
{
  gint64 t0 = g_get_monotonic_time ();
  if (!dmpi_task_check_args (task, DMPI_PLAN_TYPE, error))
    return FALSE;
  g_autoptr(GPtrArray) inputs = dep_tables (task, error);
  if (inputs == NULL)
    return FALSE;
  DmpiPlanStats stats;
  g_autoptr(GVariant) value = dmpi_plan_run (task->args, (GBytes *const *) inputs->pdata, inputs->len,
                                             run_partition_func, task->registry, &stats, error);
  if (value == NULL)
    return FALSE;
  if (g_variant_is_of_type (value, G_VARIANT_TYPE ("(ttt)")))
    {
      /* A file was written: who wrote it, where, how fast. */
      double seconds = (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC;
      dmpi_task_set_result (task, g_variant_new ("(tttisdt)", stats.rows_in, stats.rows_out, stats.bytes,
                                                 (gint32) dmpi_transport_world_rank (), dmpi_hostname (),
                                                 seconds, peak_rss_bytes ()));
    }
  else
    dmpi_task_set_result (task, value);
  return TRUE;
}

/* (keys as, aggs as) with the states to merge as dependencies, in order. */
static gboolean
agg_step (DmpiTask *task, gboolean finalize, GError **error)
{
  g_autofree const char **keys = NULL, **aggs = NULL;
  g_autoptr(GPtrArray) storage = NULL;
  if (!dmpi_task_check_args (task, "(asas)", error))
    return FALSE;
  g_variant_get (task->args, "(^a&s^a&s)", &keys, &aggs);
  g_autoptr(GArray) specs = dmpi_plan_parse_aggs (aggs, g_strv_length ((char **) aggs), &storage, error);
  if (specs == NULL)
    return FALSE;
  g_autoptr(GPtrArray) inputs = dep_tables (task, error);
  if (inputs == NULL)
    return FALSE;
  g_autoptr(GPtrArray) states = g_ptr_array_new_with_free_func ((GDestroyNotify) dmpi_table_free);
  for (guint i = 0; i < inputs->len; i++)
    {
      DmpiTable *t = dmpi_table_deserialize (inputs->pdata[i], error);
      if (t == NULL)
        return FALSE;
      g_ptr_array_add (states, t);
    }
  guint n_keys = g_strv_length ((char **) keys);
  const DmpiAggSpec *spec = (const DmpiAggSpec *) (gpointer) specs->data;
  g_autoptr(DmpiTable) merged = dmpi_groupby_combine ((DmpiTable *const *) states->pdata, states->len, keys,
                                                      n_keys, spec, specs->len, error);
  if (merged == NULL)
    return FALSE;
  g_autoptr(DmpiTable) out = finalize ? dmpi_groupby_finalize (merged, keys, n_keys, spec, specs->len, error)
                                      : g_steal_pointer (&merged);
  if (out == NULL)
    return FALSE;
  g_autoptr(GBytes) bytes = dmpi_table_serialize (out);
  dmpi_task_set_result (task, g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, bytes, TRUE));
  return TRUE;
}

static gboolean
agg_combine (DmpiTask *task, GError **error)
{
  return agg_step (task, FALSE, error);
}

static gboolean
agg_finalize (DmpiTask *task, GError **error)
{
  return agg_step (task, TRUE, error);
}

void
dmpi_frame_tasks_register (DmpiRegistry *registry)
{
  for (gsize i = 0; i < G_N_ELEMENTS (plan_verbs); i++)
    dmpi_registry_add (registry, plan_verbs[i], plan_task);
  dmpi_registry_add (registry, "agg-combine", agg_combine);
  dmpi_registry_add (registry, "agg-finalize", agg_finalize);
}
