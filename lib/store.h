/* A worker's results: held in memory up to a target, the least recently used
 * ones written to a spill folder past it and read back on demand. Owned by
 * the worker's main thread. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _DmpiStore DmpiStore;

typedef struct {
  guint   n_results;
  guint64 memory_bytes;      /* results held in memory */
  guint64 spilled_bytes;     /* results on disk now */
  guint64 n_spills;          /* results written out, over the store's life */
  guint64 n_unspills;        /* results read back */
} DmpiStoreStats;

/* @memory_target: bytes of results kept in memory before spilling (0: no
 * limit). @directory: where the spill folder goes (NULL: the temporary
 * folder); it is made on the first spill and removed by dmpi_store_free(). */
DmpiStore *dmpi_store_new      (guint64 memory_target, const char *directory, const char *label);
void       dmpi_store_free     (DmpiStore *store);
/* Takes @value's reference (a floating one is sunk). */
void       dmpi_store_put      (DmpiStore *store, guint64 id, GVariant *value);
gboolean   dmpi_store_contains (DmpiStore *store, guint64 id);
/* A new reference to the value, read back from disk if it was spilled. */
GVariant  *dmpi_store_get      (DmpiStore *store, guint64 id, GError **error);
gboolean   dmpi_store_remove   (DmpiStore *store, guint64 id);
guint64    dmpi_store_nbytes   (DmpiStore *store, guint64 id);
/* Spill least recently used results until @nbytes more are on disk or none
 * is left in memory (the process is short of memory); returns the bytes spilled. */
guint64    dmpi_store_spill_bytes (DmpiStore *store, guint64 nbytes);
void       dmpi_store_get_stats (DmpiStore *store, DmpiStoreStats *stats);
const char *dmpi_store_get_spill_directory (DmpiStore *store);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmpiStore, dmpi_store_free)

G_END_DECLS
