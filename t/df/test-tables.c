/* Hand-built tables shared by the writers' tests (see test-tables.h). */
#include "config.h"

#include "test-tables.h"

#include <glib/gstdio.h>

DmpiColumn *
test_column_new (const char *name, DmpiColType type, gsize n, gboolean nullable)
{
  DmpiColumn *c = g_new0 (DmpiColumn, 1);
  gsize width = type == DMPI_COL_INT32 || type == DMPI_COL_FLOAT32 ? 4 : 8;
  c->name = g_strdup (name);
  c->type = type;
  c->n_rows = c->capacity = n;
  if (type == DMPI_COL_STRING)
    c->offsets = g_new0 (guint32, n + 1);
  else
    c->data = g_malloc0 (MAX (n, 1) * width);
  if (nullable)
    c->valid = g_malloc0 (MAX (n, 1));
  return c;
}

DmpiTable *
test_table_new (gsize n)
{
  DmpiTable *t = g_new0 (DmpiTable, 1);
  t->columns = g_ptr_array_new ();
  t->n_rows = n;
  return t;
}

DmpiTable *
test_table_all_types (gsize n, gboolean nullable, DmpiColumn *cols[DMPI_COL_N_TYPES])
{
  static const char *const names[DMPI_COL_N_TYPES] = {
    [DMPI_COL_INT32] = "i32", [DMPI_COL_INT64] = "i64", [DMPI_COL_FLOAT32] = "f32",
    [DMPI_COL_FLOAT64] = "f64", [DMPI_COL_TIMESTAMP] = "ts", [DMPI_COL_STRING] = "str",
    [DMPI_COL_DURATION] = "dur", [DMPI_COL_BOOL] = "b",
  };
  DmpiTable *t = test_table_new (n);
  for (guint type = 0; type < DMPI_COL_N_TYPES; type++)
    {
      cols[type] = test_column_new (names[type], (DmpiColType) type, n, nullable);
      g_ptr_array_add (t->columns, cols[type]);
    }
  return t;
}

void
test_table_free (DmpiTable *t)
{
  for (guint i = 0; i < t->columns->len; i++)
    {
      DmpiColumn *c = g_ptr_array_index (t->columns, i);
      g_free (c->name);
      g_free (c->data);
      g_free (c->valid);
      g_free (c->offsets);
      g_free (c->chars);
      g_free (c);
    }
  g_ptr_array_unref (t->columns);
  g_free (t);
}

char *
test_dir_new (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("dmpi-df-XXXXXX", &error);
  g_assert_no_error (error);
  return dir;
}

void
test_dir_remove (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      g_unlink (p);
    }
  g_rmdir (dir);
}
