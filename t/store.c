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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/store/spill-and-back", test_spill_and_back);
  g_test_add_func ("/store/no-limit", test_no_limit);
  return g_test_run ();
}
