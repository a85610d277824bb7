/* A worker's results, with spilling: see store.h. */
#include "config.h"

#include "store.h"
#include "dmpi-error.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include <glib/gstdio.h>

typedef struct {
  guint64 id;
  GVariant *value;         /* NULL while spilled */
  guint64 nbytes;
  char *path;              /* the spill file while spilled */
  GList *lru;              /* its node in the store's LRU list while in memory */
} Entry;

struct _DmpiStore {
  GHashTable *entries;     /* id → Entry* */
  GQueue lru;              /* in-memory entries, least recently used first */
  guint64 memory_target;
  char *directory;         /* where the spill folder goes */
  char *label;
  char *spill_dir;         /* made on the first spill */
  DmpiStoreStats stats;
};

static void
entry_free (gpointer data)
{
  Entry *e = data;

  g_clear_pointer (&e->value, g_variant_unref);
  if (e->path != NULL)
    g_unlink (e->path);
  g_free (e->path);
  g_free (e);
}

DmpiStore *
dmpi_store_new (guint64 memory_target, const char *directory, const char *label)
{
  DmpiStore *store = g_new0 (DmpiStore, 1);

  store->entries = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, entry_free);
  g_queue_init (&store->lru);
  store->memory_target = memory_target;
  store->directory = g_strdup (directory != NULL ? directory : g_get_tmp_dir ());
  store->label = g_strdup (label != NULL ? label : "store");
  return store;
}

void
dmpi_store_free (DmpiStore *store)
{
  if (store == NULL)
    return;
  g_queue_clear (&store->lru);
  g_hash_table_unref (store->entries);
  if (store->spill_dir != NULL && g_rmdir (store->spill_dir) != 0)
    g_warning ("could not remove the spill folder %s: %s", store->spill_dir, g_strerror (errno));
  g_free (store->spill_dir);
  g_free (store->directory);
  g_free (store->label);
  g_free (store);
}

static void
touch (DmpiStore *store, Entry *e)
{
  if (e->lru != NULL)
    g_queue_unlink (&store->lru, e->lru);
  else
    e->lru = g_list_alloc ();
  e->lru->data = e;
  g_queue_push_tail_link (&store->lru, e->lru);
}

static void
forget_lru (DmpiStore *store, Entry *e)
{
  if (e->lru == NULL)
    return;
  g_queue_delete_link (&store->lru, e->lru);
  e->lru = NULL;
}

/* Create @path (it must not exist) and write @parts to it. */
static gboolean
write_new_file (const char *path, const struct iovec *parts, int n_parts, GError **error)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  gsize total = 0, done = 0;

  if (fd < 0)
    {
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_FAILED, "cannot create %s: %s", path, g_strerror (errno));
      return FALSE;
    }
  for (int i = 0; i < n_parts; i++)
    total += parts[i].iov_len;
  for (int i = 0; i < n_parts; i++)
    {
      const char *p = parts[i].iov_base;
      gsize left = parts[i].iov_len;
      while (left > 0)
        {
          ssize_t n = write (fd, p, left);
          if (n < 0 && errno == EINTR)
            continue;
          if (n < 0)
            {
              int saved = errno;
              close (fd);
              unlink (path);
              g_set_error (error, DMPI_ERROR, DMPI_ERROR_FAILED, "cannot write %s (%" G_GSIZE_FORMAT " of %"
                           G_GSIZE_FORMAT " bytes written): %s", path, done, total, g_strerror (saved));
              return FALSE;
            }
          p += n;
          left -= (gsize) n;
          done += (gsize) n;
        }
    }
  if (close (fd) != 0)
    {
      int saved = errno;
      unlink (path);
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_FAILED, "cannot write %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

/* Write @e to disk and drop it from memory: the type string, a NUL, the data. */
static gboolean
spill (DmpiStore *store, Entry *e, GError **error)
{
  if (store->spill_dir == NULL)
    {
      g_autofree char *template = g_strdup_printf ("%s-XXXXXX", store->label);
      g_autofree char *path = g_build_filename (store->directory, template, NULL);
      if (g_mkdtemp (path) == NULL)
        {
          g_set_error (error, DMPI_ERROR, DMPI_ERROR_FAILED, "cannot make a spill folder in %s: %s",
                       store->directory, g_strerror (errno));
          return FALSE;
        }
      store->spill_dir = g_steal_pointer (&path);
    }
  g_autofree char *name = g_strdup_printf ("%" G_GUINT64_FORMAT ".spill", e->id);
  g_autofree char *path = g_build_filename (store->spill_dir, name, NULL);
  const char *type = g_variant_get_type_string (e->value);
  /* Written from the value's own buffer: spilling happens when memory is
   * short, so it must not need a copy of the result. */
  struct iovec parts[2] = {
    { (void *) type, strlen (type) + 1 },
    { (void *) g_variant_get_data (e->value), g_variant_get_size (e->value) },
  };
  if (!write_new_file (path, parts, G_N_ELEMENTS (parts), error))
    return FALSE;
  e->path = g_steal_pointer (&path);
  g_clear_pointer (&e->value, g_variant_unref);
  forget_lru (store, e);
  store->stats.memory_bytes -= e->nbytes;
  store->stats.spilled_bytes += e->nbytes;
  store->stats.n_spills++;
  return TRUE;
}

/* Spill least recently used results until memory is within the target,
 * never @keep (the one just put or read). */
static void
enforce (DmpiStore *store, Entry *keep)
{
  if (store->memory_target == 0)
    return;
  GList *l = store->lru.head;
  while (store->stats.memory_bytes > store->memory_target && l != NULL)
    {
      Entry *e = l->data;
      l = l->next;
      if (e == keep)
        continue;
      g_autoptr(GError) error = NULL;
      if (!spill (store, e, &error))
        {
          g_warning ("cannot spill a result: %s; keeping it in memory", error->message);
          return;
        }
    }
}

guint64
dmpi_store_spill_bytes (DmpiStore *store, guint64 nbytes)
{
  guint64 before = store->stats.spilled_bytes;
  GList *l = store->lru.head;

  while (store->stats.spilled_bytes - before < nbytes && l != NULL)
    {
      Entry *e = l->data;
      l = l->next;
      if (e->value == NULL)
        continue;
      g_autoptr(GError) error = NULL;
      if (!spill (store, e, &error))
        {
          g_warning ("cannot spill a result: %s; keeping it in memory", error->message);
          break;
        }
    }
  return store->stats.spilled_bytes - before;
}

void
dmpi_store_put (DmpiStore *store, guint64 id, GVariant *value)
{
  dmpi_store_remove (store, id);
  Entry *e = g_new0 (Entry, 1);
  e->id = id;
  /* Takes the caller's reference, floating or not: ref_sink would add a
   * second one to a non-floating value, and the result would never be freed. */
  e->value = g_variant_take_ref (value);
  e->nbytes = g_variant_get_size (e->value);
  g_hash_table_insert (store->entries, &e->id, e);
  touch (store, e);
  store->stats.memory_bytes += e->nbytes;
  store->stats.n_results++;
  enforce (store, e);
}

gboolean
dmpi_store_contains (DmpiStore *store, guint64 id)
{
  return g_hash_table_contains (store->entries, &id);
}

guint64
dmpi_store_nbytes (DmpiStore *store, guint64 id)
{
  Entry *e = g_hash_table_lookup (store->entries, &id);
  return e != NULL ? e->nbytes : 0;
}

GVariant *
dmpi_store_get (DmpiStore *store, guint64 id, GError **error)
{
  Entry *e = g_hash_table_lookup (store->entries, &id);

  if (e == NULL)
    {
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_FAILED, "no result for task id %" G_GUINT64_FORMAT, id);
      return NULL;
    }
  if (e->value == NULL)
    {
      char *data = NULL;
      gsize len = 0;
      if (!g_file_get_contents (e->path, &data, &len, error))
        return NULL;
      gsize type_len = strnlen (data, len);
      if (type_len == len || !g_variant_type_string_is_valid (data))
        {
          g_free (data);
          g_set_error (error, DMPI_ERROR, DMPI_ERROR_FAILED, "spill file %s is damaged", e->path);
          return NULL;
        }
      GBytes *all = g_bytes_new_take (data, len);
      GBytes *body = g_bytes_new_from_bytes (all, type_len + 1, len - type_len - 1);
      /* Not trusted: anything with write access to the folder could have changed it. */
      GVariant *value = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (data), body, FALSE));
      g_bytes_unref (body);
      g_bytes_unref (all);
      if (!g_variant_is_normal_form (value))
        {
          g_variant_unref (value);
          g_set_error (error, DMPI_ERROR, DMPI_ERROR_FAILED, "spill file %s is damaged", e->path);
          return NULL;
        }
      g_unlink (e->path);
      g_clear_pointer (&e->path, g_free);
      e->value = value;
      store->stats.spilled_bytes -= e->nbytes;
      store->stats.memory_bytes += e->nbytes;
      store->stats.n_unspills++;
    }
  touch (store, e);
  enforce (store, e);
  return g_variant_ref (e->value);
}

gboolean
dmpi_store_remove (DmpiStore *store, guint64 id)
{
  Entry *e = g_hash_table_lookup (store->entries, &id);

  if (e == NULL)
    return FALSE;
  forget_lru (store, e);
  if (e->value != NULL)
    store->stats.memory_bytes -= e->nbytes;
  else
    store->stats.spilled_bytes -= e->nbytes;
  store->stats.n_results--;
  g_hash_table_remove (store->entries, &id);
  return TRUE;
}

void
dmpi_store_get_stats (DmpiStore *store, DmpiStoreStats *stats)
{
  *stats = store->stats;
}

const char *
dmpi_store_get_spill_directory (DmpiStore *store)
{
  return store->spill_dir;
}
