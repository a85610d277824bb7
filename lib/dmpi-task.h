#pragma once

#if !defined(DMPI_INSIDE_DASKMPI_H) && !defined(DMPI_COMPILATION)
#error "Only <daskmpi.h> can be included directly."
#endif

#include <glib.h>

#include "dmpi-table.h"

G_BEGIN_DECLS

/**
 * DmpiTask:
 *
 * One running task, as its function sees it on a worker: its key, its
 * arguments (a #GVariant tuple the client gave), the results of its
 * dependencies (in the order the client listed them), and the result it sets.
 * A task function runs on one of the worker's compute threads; the #DmpiTask
 * and the variants it hands out are valid until the function returns.
 */
typedef struct _DmpiTask DmpiTask;

/**
 * DmpiTaskFunc:
 * @task: the task to run
 * @error: where to put the reason it failed
 *
 * A task function. It returns %TRUE after dmpi_task_set_result() (a task
 * that sets no result has the unit value `()`), or %FALSE with @error set.
 * The error's message reaches the client, prefixed by the task's key.
 */
typedef gboolean (*DmpiTaskFunc) (DmpiTask *task, GError **error);

const char *dmpi_task_get_key      (DmpiTask *task);
const char *dmpi_task_get_function (DmpiTask *task);
GVariant   *dmpi_task_get_args     (DmpiTask *task);
guint       dmpi_task_get_n_deps   (DmpiTask *task);
GVariant   *dmpi_task_get_dep      (DmpiTask *task, guint index);
void        dmpi_task_set_result   (DmpiTask *task, GVariant *value);
gboolean    dmpi_task_check_args   (DmpiTask *task, const char *type_string, GError **error);

/**
 * DmpiRegistry:
 *
 * The table of task functions on a worker, by name. A user module (a shared
 * object loaded with dmpi_client_load_module()) exports a function named
 * `dmpi_module_init` of type #DmpiModuleInitFunc that adds its functions.
 */
typedef struct _DmpiRegistry DmpiRegistry;

void dmpi_registry_add (DmpiRegistry *registry, const char *name, DmpiTaskFunc func);

/**
 * DmpiPartitionFunc:
 * @partition: (transfer full): one partition of a frame
 * @args: (nullable): the arguments given to dmpi_frame_map_partitions()
 * @error: where to put the reason it failed
 *
 * A function that dmpi_frame_map_partitions() runs on every partition. It
 * owns @partition: it may change it in place and return it, or free it and
 * return a new table. Returns the output partition (transfer full), or
 * %NULL with @error set; either way @partition is the function's to free
 * (or to return). Runs on a
 * worker's compute thread, on one partition at a time per call.
 */
typedef DmpiTable *(*DmpiPartitionFunc) (DmpiTable *partition, GVariant *args, GError **error);

/* Adds a partition function for dmpi_frame_map_partitions(). */
void dmpi_registry_add_partition_func (DmpiRegistry *registry, const char *name, DmpiPartitionFunc func);

#define DMPI_MODULE_INIT_SYMBOL "dmpi_module_init"
typedef gboolean (*DmpiModuleInitFunc) (DmpiRegistry *registry, GError **error);

G_END_DECLS
