/* A worker's memory limit (parsing, the node's share) and levels. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>

#include "worker-memory.h"
#include "dmpi-error.h"

static void
test_parse (void)
{
  static const struct {
    const char *text;
    guint64 bytes;
    double fraction;
  } good[] = {
    { "auto", 0, 1.0 },       { "AUTO", 0, 1.0 },     { "none", 0, 0 },        { "0", 0, 0 },
    { "1000000", 1000000, 0 }, { "1", 1, 0 },          { "4GiB", 4ull << 30, 0 }, { "4 GiB", 4ull << 30, 0 },
    { "500MB", 500000000, 0 }, { "1.5GB", 1500000000, 0 }, { "2k", 2000, 0 },     { "3TiB", 3ull << 40, 0 },
    { "0.5", 0, 0.5 },        { "1.0", 0, 1.0 },      { "2.5", 2, 0 },         { " 64MiB ", 64ull << 20, 0 },
  };
  static const char *const bad[] = { "", "-1", "+5", "12parsecs", "GiB", "1e400", "nan", "4 G i B", "0x10" };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      guint64 bytes = 99;
      double fraction = 99;
      g_assert_true (dmpi_memory_parse_limit (good[i].text, &bytes, &fraction, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (bytes, ==, good[i].bytes);
      g_assert_cmpfloat_with_epsilon (fraction, good[i].fraction, 1e-12);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      guint64 bytes;
      double fraction;
      g_assert_false (dmpi_memory_parse_limit (bad[i], &bytes, &fraction, &error));
      g_assert_error (error, DMPI_ERROR, DMPI_ERROR_FAILED);
      g_assert_nonnull (strstr (error->message, "bad memory limit"));
    }
}

static void
test_levels (void)
{
  guint64 limit = 1000 << 20;

  g_assert_cmpint (dmpi_memory_level (0, limit), ==, DMPI_MEMORY_OK);
  g_assert_cmpint (dmpi_memory_level (limit / 100 * 69, limit), ==, DMPI_MEMORY_OK);
  g_assert_cmpint (dmpi_memory_level (limit / 100 * 70, limit), ==, DMPI_MEMORY_SPILL);
  g_assert_cmpint (dmpi_memory_level (limit / 100 * 79, limit), ==, DMPI_MEMORY_SPILL);
  g_assert_cmpint (dmpi_memory_level (limit / 100 * 80, limit), ==, DMPI_MEMORY_PAUSE);
  g_assert_cmpint (dmpi_memory_level (limit / 100 * 94, limit), ==, DMPI_MEMORY_PAUSE);
  g_assert_cmpint (dmpi_memory_level (limit / 100 * 95, limit), ==, DMPI_MEMORY_FAULT);
  g_assert_cmpint (dmpi_memory_level (limit * 3, limit), ==, DMPI_MEMORY_FAULT);
  /* No limit: never a level. */
  g_assert_cmpint (dmpi_memory_level (G_MAXUINT64, 0), ==, DMPI_MEMORY_OK);
  g_assert_cmpstr (dmpi_memory_level_name (DMPI_MEMORY_PAUSE), ==, "pause");
}

static void
test_node_total (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("memory-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *v2 = g_build_filename (dir, "memory.max", NULL);
  g_autofree char *v1 = g_build_filename (dir, "memory.limit_in_bytes", NULL);

  /* No control group files: the physical memory. */
  g_assert_cmpuint (dmpi_memory_total_from (8000, v2, v1), ==, 8000);
  /* cgroup v2 without a limit says "max". */
  g_assert_true (g_file_set_contents (v2, "max\n", -1, NULL));
  g_assert_cmpuint (dmpi_memory_total_from (8000, v2, v1), ==, 8000);
  g_assert_true (g_file_set_contents (v2, "5000\n", -1, NULL));
  g_assert_cmpuint (dmpi_memory_total_from (8000, v2, v1), ==, 5000);
  /* cgroup v1 without a limit holds a huge number. */
  g_assert_true (g_file_set_contents (v1, "9223372036854771712\n", -1, NULL));
  g_assert_cmpuint (dmpi_memory_total_from (8000, v2, v1), ==, 5000);
  g_assert_true (g_file_set_contents (v1, "3000", -1, NULL));
  g_assert_cmpuint (dmpi_memory_total_from (8000, v2, v1), ==, 3000);
  g_unlink (v1);
  g_unlink (v2);
  g_rmdir (dir);

  /* This machine: something between 64 MiB and what it has. */
  guint64 total = dmpi_memory_node_total ();
  g_assert_cmpuint (total, >=, 64 << 20);
  g_assert_cmpuint (total, <, G_MAXUINT64);
}

/* set_file DIR RELATIVE CONTENTS: makes the folders on the way. */
static char *
set_file (const char *dir, const char *relative, const char *contents)
{
  g_autofree char *path = g_build_filename (dir, relative, NULL);
  g_autofree char *parent = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (parent, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, contents, -1, NULL));
  return g_steal_pointer (&path);
}

/* The limits of the groups on the way from the process's own up to the
 * root, for cgroup v2 and v1's memory controller (a batch system's job in a
 * group of its own, without a cgroup namespace). */
static void
test_cgroup_limit (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("cgroup-XXXXXX", &error);
  g_assert_no_error (error);
  const char *files[][2] = {
    { "memory.max", "max\n" },
    { "job/memory.max", "7000\n" },
    { "job/step/memory.max", "max\n" },
    { "memory/memory.limit_in_bytes", "9223372036854771712\n" },
    { "memory/a/memory.limit_in_bytes", "6000\n" },
    { "memory/a/b/memory.limit_in_bytes", "9223372036854771712\n" },
  };
  GPtrArray *made = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    g_ptr_array_add (made, set_file (dir, files[i][0], files[i][1]));

  g_assert_cmpuint (dmpi_memory_cgroup_limit ("0::/job/step\n", dir), ==, 7000);
  g_assert_cmpuint (dmpi_memory_cgroup_limit ("0::/\n", dir), ==, G_MAXUINT64);
  g_assert_cmpuint (dmpi_memory_cgroup_limit ("0::/job/step/gone\n", dir), ==, 7000);
  g_assert_cmpuint (dmpi_memory_cgroup_limit ("7:cpu,memory:/a/b\n1:name=systemd:/\n", dir), ==, 6000);
  g_assert_cmpuint (dmpi_memory_cgroup_limit ("7:cpu:/a/b\n", dir), ==, G_MAXUINT64);
  /* Both (a hybrid machine): the lowest. */
  g_assert_cmpuint (dmpi_memory_cgroup_limit ("4:memory:/a/b\n0::/job/step\n", dir), ==, 6000);
  /* Nothing to go by, or a path that leaves the tree. */
  g_assert_cmpuint (dmpi_memory_cgroup_limit (NULL, dir), ==, G_MAXUINT64);
  g_assert_cmpuint (dmpi_memory_cgroup_limit ("garbage", dir), ==, G_MAXUINT64);
  g_assert_cmpuint (dmpi_memory_cgroup_limit ("0::/job/../job/step\n", dir), ==, G_MAXUINT64);

  for (guint i = 0; i < made->len; i++)
    g_unlink (g_ptr_array_index (made, i));
  g_ptr_array_unref (made);
  const char *dirs[] = { "job/step", "job", "memory/a/b", "memory/a", "memory" };
  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *path = g_build_filename (dir, dirs[i], NULL);
      g_assert_cmpint (g_rmdir (path), ==, 0);
    }
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
test_rss (void)
{
  guint64 before = dmpi_memory_rss ();
  gsize n = 64 << 20;
  char *block = g_malloc (n);

  g_assert_cmpuint (before, >, 0);
  memset (block, 1, n);
  guint64 after = dmpi_memory_rss ();
  /* The touched pages are resident (most of them: 48 of 64 MiB). */
  g_assert_cmpuint (after, >=, before + (48 << 20));
  g_free (block);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/memory/parse-limit", test_parse);
  g_test_add_func ("/memory/levels", test_levels);
  g_test_add_func ("/memory/node-total", test_node_total);
  g_test_add_func ("/memory/cgroup-limit", test_cgroup_limit);
  g_test_add_func ("/memory/rss", test_rss);
  return g_test_run ();
}
