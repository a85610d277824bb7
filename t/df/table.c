/* Columns, tables and their byte form. */
#include "config.h"

#include "df/table.h"

#include <string.h>

static DmpiTable *
make_table (void)
{
  DmpiTable *t = dmpi_table_new ();
  DmpiColumn *a = dmpi_column_new ("a", DMPI_COL_INT32, 0);
  DmpiColumn *b = dmpi_column_new ("b", DMPI_COL_FLOAT64, 2);
  DmpiColumn *s = dmpi_column_new ("s", DMPI_COL_STRING, 0);
  DmpiColumn *ts = dmpi_column_new ("ts", DMPI_COL_TIMESTAMP, 0);
  DmpiColumn *du = dmpi_column_new ("du", DMPI_COL_DURATION, 0);
  DmpiColumn *f = dmpi_column_new ("f", DMPI_COL_FLOAT32, 0);
  for (int i = 0; i < 100; i++)
    {
      if (i % 7 == 3)
        dmpi_column_append_missing (a);
      else
        dmpi_column_append_int32 (a, i * 3 - 50);
      dmpi_column_append_float64 (b, i / 4.0);
      if (i == 10)
        dmpi_column_append_missing (s);
      else
        {
          g_autofree char *v = g_strdup_printf ("v%d,\"x\"", i);
          dmpi_column_append_string (s, v, -1);
        }
      dmpi_column_append_int64 (ts, G_GINT64_CONSTANT (1420070400000000000) + i);
      dmpi_column_append_int64 (du, -i);
      dmpi_column_append_float32 (f, i * 0.5f);
    }
  dmpi_table_add_column (t, a);
  dmpi_table_add_column (t, b);
  dmpi_table_add_column (t, s);
  dmpi_table_add_column (t, ts);
  dmpi_table_add_column (t, du);
  dmpi_table_add_column (t, f);
  return t;
}

static void
test_columns (void)
{
  g_autoptr(DmpiTable) t = make_table ();
  g_assert_cmpuint (t->n_rows, ==, 100);
  g_assert_cmpuint (dmpi_table_n_columns (t), ==, 6);
  DmpiColumn *a = dmpi_table_get_column (t, "a");
  g_assert_nonnull (a);
  g_assert_cmpint (dmpi_table_column_index (t, "s"), ==, 2);
  g_assert_null (dmpi_table_get_column (t, "nope"));
  g_assert_nonnull (a->valid);
  g_assert_false (dmpi_column_is_valid (a, 3));
  g_assert_true (dmpi_column_is_valid (a, 4));
  g_assert_cmpint (DMPI_COLUMN_INT32 (a)[4], ==, 4 * 3 - 50);
  g_assert_cmpuint (dmpi_column_count_missing (a), ==, 14);
  /* no missing value, no valid array */
  g_assert_null (dmpi_table_get_column (t, "b")->valid);
  gsize len;
  const char *v = dmpi_column_get_string (dmpi_table_get_column (t, "s"), 12, &len);
  g_assert_cmpmem (v, len, "v12,\"x\"", 7);
  g_assert_cmpstr (dmpi_col_type_name (DMPI_COL_DURATION), ==, "duration");
  g_assert_cmpuint (dmpi_col_type_size (DMPI_COL_TIMESTAMP), ==, 8);
  g_autofree char *when = dmpi_table_format_value (t, 3, 0);
  g_assert_cmpstr (when, ==, "2015-01-01 00:00:00");
  g_assert_cmpuint (dmpi_table_nbytes (t), >, 100 * (4 + 8 + 8 + 8 + 4));
}

static void
test_filter (void)
{
  g_autoptr(DmpiTable) t = make_table ();
  guint8 keep[100];
  for (int i = 0; i < 100; i++)
    keep[i] = i % 2 == 1;
  dmpi_table_filter (t, keep);
  g_assert_cmpuint (t->n_rows, ==, 50);
  DmpiColumn *a = dmpi_table_get_column (t, "a"), *s = dmpi_table_get_column (t, "s");
  g_assert_cmpuint (a->n_rows, ==, 50);
  /* row 1 of the result was row 3: missing */
  g_assert_false (dmpi_column_is_valid (a, 1));
  g_assert_cmpint (DMPI_COLUMN_INT32 (a)[2], ==, 5 * 3 - 50);
  gsize len;
  const char *v = dmpi_column_get_string (s, 49, &len);
  g_assert_cmpmem (v, len, "v99,\"x\"", 7);
  g_assert_cmpfloat (DMPI_COLUMN_FLOAT64 (dmpi_table_get_column (t, "b"))[10], ==, 21 / 4.0);
}

static void
assert_tables_equal (DmpiTable *x, DmpiTable *y)
{
  g_assert_cmpuint (x->n_rows, ==, y->n_rows);
  g_assert_cmpuint (dmpi_table_n_columns (x), ==, dmpi_table_n_columns (y));
  for (guint i = 0; i < dmpi_table_n_columns (x); i++)
    {
      DmpiColumn *a = dmpi_table_column (x, i), *b = dmpi_table_column (y, i);
      g_assert_cmpstr (a->name, ==, b->name);
      g_assert_cmpint (a->type, ==, b->type);
      g_assert_cmpuint (a->n_rows, ==, b->n_rows);
      g_assert_true ((a->valid == NULL) == (b->valid == NULL));
      if (a->valid != NULL)
        g_assert_cmpmem (a->valid, a->n_rows, b->valid, b->n_rows);
      if (a->type == DMPI_COL_STRING)
        {
          g_assert_cmpmem (a->offsets, (a->n_rows + 1) * 4, b->offsets, (b->n_rows + 1) * 4);
          g_assert_cmpmem (a->chars, a->chars_len, b->chars, b->chars_len);
        }
      else
        {
          gsize sz = dmpi_col_type_size (a->type);
          g_assert_cmpmem (a->data, a->n_rows * sz, b->data, b->n_rows * sz);
        }
    }
}

static void
test_round_trip (void)
{
  g_autoptr(DmpiTable) t = make_table ();
  g_autoptr(GBytes) bytes = dmpi_table_serialize (t);
  g_autoptr(GError) error = NULL;
  g_autoptr(DmpiTable) back = dmpi_table_deserialize (bytes, &error);
  g_assert_no_error (error);
  assert_tables_equal (t, back);

  /* an empty table, and one with columns and no rows */
  g_autoptr(DmpiTable) empty = dmpi_table_new ();
  g_autoptr(GBytes) eb = dmpi_table_serialize (empty);
  g_autoptr(DmpiTable) eback = dmpi_table_deserialize (eb, &error);
  g_assert_no_error (error);
  assert_tables_equal (empty, eback);
  dmpi_table_add_column (empty, dmpi_column_new ("x", DMPI_COL_STRING, 0));
  dmpi_table_add_column (empty, dmpi_column_new ("y", DMPI_COL_FLOAT32, 0));
  g_autoptr(GBytes) eb2 = dmpi_table_serialize (empty);
  g_autoptr(DmpiTable) eback2 = dmpi_table_deserialize (eb2, &error);
  g_assert_no_error (error);
  assert_tables_equal (empty, eback2);
}

static void
test_reject (void)
{
  g_autoptr(DmpiTable) t = make_table ();
  g_autoptr(GBytes) bytes = dmpi_table_serialize (t);
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);

  /* every truncation fails cleanly */
  for (gsize n = 0; n < size; n += (n < 200 ? 1 : 97))
    {
      g_autoptr(GBytes) cut = g_bytes_new (data, n);
      g_autoptr(GError) error = NULL;
      g_autoptr(DmpiTable) back = dmpi_table_deserialize (cut, &error);
      g_assert_null (back);
      g_assert_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID);
    }
  /* trailing garbage */
  {
    g_autofree guint8 *more = g_malloc (size + 3);
    memcpy (more, data, size);
    memcpy (more + size, "xyz", 3);
    g_autoptr(GBytes) b = g_bytes_new (more, size + 3);
    g_autoptr(GError) error = NULL;
    g_assert_null (dmpi_table_deserialize (b, &error));
    g_assert_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID);
    g_assert_nonnull (strstr (error->message, "trailing"));
  }
  /* random flips never crash; the header ones are caught */
  GRand *rand = g_rand_new_with_seed (42);
  for (int k = 0; k < 2000; k++)
    {
      g_autofree guint8 *copy = g_memdup (data, (guint) size);
      for (int j = 0; j < 1 + k % 4; j++)
        copy[g_rand_int_range (rand, 0, (gint32) MIN (size, 400))] = (guint8) g_rand_int (rand);
      g_autoptr(GBytes) b = g_bytes_new (copy, size);
      g_autoptr(GError) error = NULL;
      g_autoptr(DmpiTable) back = dmpi_table_deserialize (b, &error);
      g_assert_true ((back == NULL) == (error != NULL));
    }
  g_rand_free (rand);
  /* huge counts are refused before allocating */
  {
    guint8 hdr[24] = "DMPITBL";
    hdr[8] = 1;
    hdr[12] = 0xff, hdr[13] = 0xff, hdr[14] = 0xff, hdr[15] = 0x7f;
    g_autoptr(GBytes) b = g_bytes_new (hdr, sizeof hdr);
    g_autoptr(GError) error = NULL;
    g_assert_null (dmpi_table_deserialize (b, &error));
    g_assert_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID);
  }
  /* decreasing string offsets */
  {
    g_autoptr(DmpiTable) st = dmpi_table_new ();
    DmpiColumn *c = dmpi_column_new ("s", DMPI_COL_STRING, 0);
    dmpi_column_append_string (c, "ab", 2);
    dmpi_column_append_string (c, "cd", 2);
    dmpi_table_add_column (st, c);
    g_autoptr(GBytes) sb = dmpi_table_serialize (st);
    gsize n;
    const guint8 *sdata = g_bytes_get_data (sb, &n);
    g_autofree guint8 *copy = g_memdup (sdata, (guint) n);
    /* offsets are at: 8+4+4+8 + 4+1 + 4 = 33: 0, 2, 4 -> 0, 3, 2 */
    g_assert_cmpuint (copy[33 + 4], ==, 2);
    copy[33 + 4] = 3;
    copy[33 + 8] = 2;
    g_autoptr(GBytes) b = g_bytes_new (copy, n);
    g_autoptr(GError) error = NULL;
    g_assert_null (dmpi_table_deserialize (b, &error));
    g_assert_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID);
  }
}

/* Found by t/fuzz/table: the earliest timestamp formats without overflow
 * (it came out in 2262), and empty
 * input is refused (both undefined behaviour before, caught by UBSan). */
static void
test_fuzz_regressions (void)
{
  g_autoptr(DmpiTable) t = dmpi_table_new ();
  DmpiColumn *c = dmpi_column_new ("ts", DMPI_COL_TIMESTAMP, 3);
  dmpi_column_append_int64 (c, G_MININT64);
  dmpi_column_append_int64 (c, -1);
  dmpi_column_append_int64 (c, -G_GINT64_CONSTANT (1000000000));
  dmpi_table_add_column (t, c);
  g_autofree char *min = dmpi_table_format_value (t, 0, 0);
  g_autofree char *before = dmpi_table_format_value (t, 0, 1);
  g_autofree char *second = dmpi_table_format_value (t, 0, 2);
  g_assert_cmpstr (min, ==, "1677-09-21 00:12:43.145224192");  /* was 2262-04-11, by overflow */
  g_assert_cmpstr (before, ==, "1969-12-31 23:59:59.999999999");
  g_assert_cmpstr (second, ==, "1969-12-31 23:59:59");

  g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
  g_autoptr(GError) error = NULL;
  g_assert_null (dmpi_table_deserialize (empty, &error));
  g_assert_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/df/table/fuzz-regressions", test_fuzz_regressions);
  g_test_add_func ("/df/table/columns", test_columns);
  g_test_add_func ("/df/table/filter", test_filter);
  g_test_add_func ("/df/table/round-trip", test_round_trip);
  g_test_add_func ("/df/table/reject", test_reject);
  return g_test_run ();
}
