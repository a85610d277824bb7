/* A worker's results: spilling past the memory target, reading back. */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "store.h"
#include "dmpi-error.h"

static GVariant *
blob (guint8 fill, gsize n)
{
  g_autofree guint8 *data = g_malloc (n);
  memset (data, fill, n);
  return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, data, n, 1);
}

static void
test_spill_and_back (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("store-XXXXXX", &error);
  g_assert_no_error (error);
  DmpiStore *store = dmpi_store_new (3000, dir, "test");
  DmpiStoreStats stats;

  for (guint64 id = 1; id <= 10; id++)
    dmpi_store_put (store, id, blob ((guint8) id, 1000));
  dmpi_store_get_stats (store, &stats);
  g_assert_cmpuint (stats.n_results, ==, 10);
  g_assert_cmpuint (stats.memory_bytes, <=, 3000);
  g_assert_cmpuint (stats.memory_bytes + stats.spilled_bytes, ==, 10000);
  g_assert_cmpuint (stats.n_spills, >=, 7);
  const char *spill_dir = dmpi_store_get_spill_directory (store);
  g_assert_nonnull (spill_dir);
  g_assert_true (g_str_has_prefix (spill_dir, dir));

  /* The oldest went first; it comes back intact, and another goes out. */
  g_autoptr(GVariant) one = dmpi_store_get (store, 1, &error);
  g_assert_no_error (error);
  gsize n;
  const guint8 *bytes = g_variant_get_fixed_array (one, &n, 1);
  g_assert_cmpuint (n, ==, 1000);
  g_assert_cmpuint (bytes[0], ==, 1);
  g_assert_cmpuint (bytes[999], ==, 1);
  dmpi_store_get_stats (store, &stats);
  g_assert_cmpuint (stats.n_unspills, ==, 1);
  g_assert_cmpuint (stats.memory_bytes, <=, 3000);
  g_assert_cmpuint (dmpi_store_nbytes (store, 5), ==, g_variant_get_size (one));

  /* Removing a spilled result removes its file. */
  g_assert_true (dmpi_store_remove (store, 2));
  g_assert_false (dmpi_store_contains (store, 2));
  g_assert_false (dmpi_store_remove (store, 2));
  dmpi_store_get (store, 2, &error);
  g_assert_error (error, DMPI_ERROR, DMPI_ERROR_FAILED);
  g_clear_error (&error);

  /* A damaged spill file is an error, not a crash. */
  g_autofree char *victim = NULL;
  for (guint64 id = 3; id <= 10 && victim == NULL; id++)
    {
      g_autofree char *name = g_strdup_printf ("%" G_GUINT64_FORMAT ".spill", id);
      g_autofree char *path = g_build_filename (spill_dir, name, NULL);
      if (g_file_test (path, G_FILE_TEST_EXISTS))
        {
          g_assert_true (g_file_set_contents (path, "not a type\0junk", 15, NULL));
          g_autoptr(GVariant) bad = dmpi_store_get (store, id, &error);
          g_assert_null (bad);
          g_assert_nonnull (error);
          g_clear_error (&error);
          victim = g_steal_pointer (&path);
        }
    }
  g_assert_nonnull (victim);

  /* Freeing the store removes the spill folder and its files. */
  g_autofree char *spill_copy = g_strdup (spill_dir);
  dmpi_store_free (store);
  g_assert_false (g_file_test (spill_copy, G_FILE_TEST_EXISTS));
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
test_no_limit (void)
{
  g_autoptr(DmpiStore) store = dmpi_store_new (0, NULL, "test");
  DmpiStoreStats stats;

  for (guint64 id = 1; id <= 100; id++)
    dmpi_store_put (store, id, blob (7, 10000));
  dmpi_store_put (store, 50, blob (8, 10));       /* replacing counts once */
  dmpi_store_get_stats (store, &stats);
  g_assert_cmpuint (stats.n_spills, ==, 0);
  g_assert_cmpuint (stats.n_results, ==, 100);
  g_assert_cmpuint (stats.memory_bytes, ==, 99 * 10000 + 10);
  g_assert_null (dmpi_store_get_spill_directory (store));
}

/* When the process is short of memory: spill the oldest results, at
 * least the bytes asked for, and read them back intact. */
static void
test_spill_bytes (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("store-XXXXXX", &error);
  g_assert_no_error (error);
  DmpiStore *store = dmpi_store_new (0, dir, "test");
  DmpiStoreStats stats;

  for (guint64 id = 1; id <= 10; id++)
    dmpi_store_put (store, id, blob ((guint8) id, 1000));
  g_assert_cmpuint (dmpi_store_spill_bytes (store, 2500), ==, 3000);
  dmpi_store_get_stats (store, &stats);
  g_assert_cmpuint (stats.memory_bytes, ==, 7000);
  g_assert_cmpuint (stats.spilled_bytes, ==, 3000);
  /* The three oldest went out. */
  g_autoptr(GVariant) three = dmpi_store_get (store, 3, &error);
  g_assert_no_error (error);
  gsize n;
  const guint8 *bytes = g_variant_get_fixed_array (three, &n, 1);
  g_assert_cmpuint (n, ==, 1000);
  g_assert_cmpuint (bytes[0], ==, 3);
  g_assert_cmpuint (bytes[999], ==, 3);
  /* Asking for more than is held spills everything. */
  g_assert_cmpuint (dmpi_store_spill_bytes (store, 1 << 30), ==, 8000);
  dmpi_store_get_stats (store, &stats);
  g_assert_cmpuint (stats.memory_bytes, ==, 0);
  g_assert_cmpuint (dmpi_store_spill_bytes (store, 1), ==, 0);
  dmpi_store_free (store);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

typedef struct {
  guint8 *data;
  gboolean freed;
} Watched;

static void
note_freed (gpointer user_data)
{
  Watched *watched = user_data;
  g_free (watched->data);
  watched->freed = TRUE;
}

/* The store takes the reference it is given, floating or not, and drops it:
 * a result a task function made (a full reference) is freed when removed. */
static void
test_owns_value (void)
{
  Watched watched = { g_malloc0 (4096), FALSE };
  GBytes *bytes = g_bytes_new_with_free_func (watched.data, 4096, note_freed, &watched);
  GVariant *value = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, bytes, TRUE));
  DmpiStore *store = dmpi_store_new (0, NULL, "test");

  g_bytes_unref (bytes);
  dmpi_store_put (store, 1, value);   /* a full reference, as from a task */
  g_assert_false (watched.freed);
  g_assert_true (dmpi_store_remove (store, 1));
  g_assert_true (watched.freed);
  dmpi_store_free (store);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/store/spill-and-back", test_spill_and_back);
  g_test_add_func ("/store/no-limit", test_no_limit);
  g_test_add_func ("/store/spill-bytes", test_spill_bytes);
  g_test_add_func ("/store/owns-value", test_owns_value);
  return g_test_run ();
}
