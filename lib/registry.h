/* Task functions by name, and the task as a function sees it. A worker's
 * registry starts with the built-in module and grows by user modules loaded
 * with GModule; it is changed only on the worker's main thread, between
 * batches, and read there too (a task carries its resolved function). */
#pragma once

#include <glib.h>
#include "dmpi-task.h"

G_BEGIN_DECLS

struct _DmpiTask {
  const char *key;
  const char *function;
  GVariant   *args;
  GVariant  **deps;
  guint       n_deps;
  GVariant   *result;
  DmpiRegistry *registry;   /* the worker's, for functions that call others */
};

/* An empty registry: the worker adds the built-in modules (the registry
 * calls nothing above it). */
DmpiRegistry *dmpi_registry_new         (void);
void          dmpi_registry_free        (DmpiRegistry *registry);
DmpiTaskFunc  dmpi_registry_lookup      (DmpiRegistry *registry, const char *name);
gboolean      dmpi_registry_load_module (DmpiRegistry *registry, const char *path, GError **error);
guint         dmpi_registry_size        (DmpiRegistry *registry);

/* The built-in module every worker has (lib/builtins.c). */
void          dmpi_builtins_register    (DmpiRegistry *registry);
/* The partition function of that name (thread-safe: compute threads ask). */
DmpiPartitionFunc dmpi_registry_lookup_partition_func (DmpiRegistry *registry, const char *name);

/* Run @func on @task; on success the task has a result (unit if it set none). */
gboolean      dmpi_task_run             (DmpiTask *task, DmpiTaskFunc func, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmpiRegistry, dmpi_registry_free)

G_END_DECLS
