/* Parquet reader: round trips with this project's writer (every column
 * type, missing values, both codecs, both timestamp units, many pages and
 * row groups, empty tables), column subsets, row-group ranges and max_rows;
 * files cut short or corrupted at every offset give an error naming the
 * file, never a crash; the speed of reading a 1 M-row file. (Files of
 * DuckDB and other writers: parquet-duckdb.sh.) */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "df/parquet-reader.h"
#include "df/parquet.h"
#include "test-tables.h"

/* Every column type; with @nulls, column c misses row r when (r + c) % 5
 * == 2 or 200 <= r < 260, and in @all_null_col every row. */
static DmpiTable *
make_table (gsize n, gboolean nulls)
{
  DmpiColumn *c[DMPI_COL_N_TYPES];
  DmpiTable *t = test_table_all_types (n, nulls, c);
  GString *chars = g_string_new (NULL);

  for (gsize r = 0; r < n; r++)
    {
      gint64 i = (gint64) r;
      ((gint32 *) c[DMPI_COL_INT32]->data)[r] = r == 1 ? G_MININT32 : r == 2 ? G_MAXINT32
                                                : (gint32) (i * 7919 - 400000);
      ((gint64 *) c[DMPI_COL_INT64]->data)[r] = r == 1 ? G_MININT64 : r == 2 ? G_MAXINT64
                                                : i * G_GINT64_CONSTANT (1000000000039);
      ((float *) c[DMPI_COL_FLOAT32]->data)[r] = r == 3 ? NAN : r == 4 ? -INFINITY
                                                 : (float) i / 7.0f - 3.0f;
      ((double *) c[DMPI_COL_FLOAT64]->data)[r] = r == 3 ? NAN : r == 4 ? -0.0 : (double) i / 3.0;
      ((gint64 *) c[DMPI_COL_TIMESTAMP]->data)[r] =
        G_GINT64_CONSTANT (1420070400000000000) + (i - 20) * G_GINT64_CONSTANT (1000000123);
      ((gint64 *) c[DMPI_COL_DURATION]->data)[r] = i * 1500000001 - 1000000000;
      ((guint8 *) c[DMPI_COL_BOOL]->data)[r] = r % 3 == 1 || r % 7 == 0;
      if (r % 11 != 0)
        g_string_append_printf (chars, "s%u%s", (guint) (r % 13), r % 5 == 0 ? "é" : "");
      if (r % 97 == 5)
        for (int k = 0; k < 600; k++)
          g_string_append_c (chars, (char) ('a' + k % 26));
      c[DMPI_COL_STRING]->offsets[r + 1] = (guint32) chars->len;
      for (guint k = 0; nulls && k < DMPI_COL_N_TYPES; k++)
        c[k]->valid[r] = !((r + k) % 5 == 2 || (r >= 200 && r < 260));
    }
  c[DMPI_COL_STRING]->chars_len = chars->len;
  c[DMPI_COL_STRING]->chars = g_string_free (chars, FALSE);
  return t;
}

static gint64
floor_micros (gint64 ns)
{
  gint64 q = ns / 1000;
  return (ns % 1000 != 0 && ns < 0 ? q - 1 : q) * 1000;
}

/* Rows [r0, r0 + n) of @want's column @wc against rows from 0 of @got's. */
static void
assert_column_rows (const DmpiColumn *want, gsize r0, const DmpiColumn *got, gsize n,
                    gboolean micros)
{
  g_assert_cmpstr (got->name, ==, want->name);
  g_assert_cmpint (got->type, ==, want->type);
  g_assert_cmpuint (got->n_rows, ==, n);
  for (gsize i = 0; i < n; i++)
    {
      gsize r = r0 + i;
      gboolean valid = dmpi_column_is_valid (want, r);
      if (dmpi_column_is_valid (got, i) != valid)
        g_error ("column %s row %" G_GSIZE_FORMAT ": validity %d, want %d", want->name, r,
                 dmpi_column_is_valid (got, i), valid);
      if (!valid)
        {
          /* A missing value holds a zero, as in table.h. */
          if (want->type == DMPI_COL_STRING)
            g_assert_cmpuint (got->offsets[i + 1], ==, got->offsets[i]);
          else if (want->type == DMPI_COL_BOOL)
            g_assert_cmpuint (DMPI_COLUMN_BOOL (got)[i], ==, 0);
          else
            g_assert_true (memcmp ((const char *) got->data + i * dmpi_col_type_size (got->type),
                                   "\0\0\0\0\0\0\0\0", dmpi_col_type_size (got->type)) == 0);
          continue;
        }
      switch (want->type)
        {
        case DMPI_COL_INT32:
        case DMPI_COL_FLOAT32:
          g_assert_cmpmem ((const guint32 *) got->data + i, 4, (const guint32 *) want->data + r, 4);
          break;
        case DMPI_COL_TIMESTAMP:
          {
            gint64 w = DMPI_COLUMN_INT64 (want)[r];
            g_assert_cmpint (DMPI_COLUMN_INT64 (got)[i], ==, micros ? floor_micros (w) : w);
            break;
          }
        case DMPI_COL_INT64:
        case DMPI_COL_FLOAT64:
        case DMPI_COL_DURATION:
          g_assert_cmpmem ((const guint64 *) got->data + i, 8, (const guint64 *) want->data + r, 8);
          break;
        case DMPI_COL_BOOL:
          g_assert_cmpuint (DMPI_COLUMN_BOOL (got)[i], ==, DMPI_COLUMN_BOOL (want)[r] != 0);
          break;
        case DMPI_COL_STRING:
          {
            gsize wl, gl;
            const char *ws = dmpi_column_get_string (want, r, &wl);
            const char *gs = dmpi_column_get_string (got, i, &gl);
            g_assert_cmpmem (gs, gl, ws, wl);
            break;
          }
        default:
          g_assert_not_reached ();
        }
    }
}

static char *
write_table (const char *dir, const char *name, const DmpiTable *t, DmpiParquetCodec codec,
             DmpiParquetTimestampUnit unit, gsize rg_rows, gsize page_bytes)
{
  char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;
  DmpiParquetOptions opts;

  dmpi_parquet_options_init (&opts);
  opts.codec = codec;
  opts.timestamp_unit = unit;
  opts.row_group_rows = rg_rows;
  opts.page_bytes = page_bytes;
  g_assert_true (dmpi_parquet_write_file (t, path, &opts, &error));
  g_assert_no_error (error);
  return path;
}

#define N_ROWS 1000

/* variant bits: 1 nulls, 2 snappy, 4 nanoseconds */
static void
test_round_trip (gconstpointer data)
{
  guint variant = GPOINTER_TO_UINT (data);
  gboolean nulls = variant & 1, micros = !(variant & 4);
  g_autofree char *dir = test_dir_new ();
  g_autoptr (TestTable) t = make_table (N_ROWS, nulls);
  g_autofree char *path = write_table (dir, "t.parquet", t,
                                       variant & 2 ? DMPI_PARQUET_CODEC_SNAPPY
                                                   : DMPI_PARQUET_CODEC_UNCOMPRESSED,
                                       micros ? DMPI_PARQUET_TIMESTAMP_MICROS
                                              : DMPI_PARQUET_TIMESTAMP_NANOS, 300, 512);
  g_autoptr (GError) error = NULL;
  g_autoptr (DmpiParquetFile) f = dmpi_parquet_file_open (path, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (dmpi_parquet_file_get_path (f), ==, path);
  g_assert_cmpuint (dmpi_parquet_file_get_n_rows (f), ==, N_ROWS);
  g_assert_cmpuint (dmpi_parquet_file_get_n_row_groups (f), ==, 4);
  g_assert_cmpuint (dmpi_parquet_file_get_row_group_n_rows (f, 3), ==, 100);
  g_assert_cmpuint (dmpi_parquet_file_get_n_columns (f), ==, DMPI_COL_N_TYPES);
  for (guint c = 0; c < DMPI_COL_N_TYPES; c++)
    {
      gboolean ok = FALSE;
      const DmpiColumn *want = g_ptr_array_index (t->columns, c);
      g_assert_cmpstr (dmpi_parquet_file_get_column_name (f, c), ==, want->name);
      /* durations too, through the writer's key-value entry */
      g_assert_cmpint (dmpi_parquet_file_get_column_type (f, c, &ok), ==, want->type);
      g_assert_true (ok);
    }

  g_autoptr (DmpiTable) got = dmpi_parquet_file_read (f, NULL, 0, 4, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (got->n_rows, ==, N_ROWS);
  g_assert_cmpuint (dmpi_table_n_columns (got), ==, DMPI_COL_N_TYPES);
  for (guint c = 0; c < DMPI_COL_N_TYPES; c++)
    {
      const DmpiColumn *g = dmpi_table_column (got, c);
      assert_column_rows (g_ptr_array_index (t->columns, c), 0, g, N_ROWS, micros);
      /* validity bytes only where something is missing */
      g_assert_true ((g->valid != NULL) == nulls);
    }
  test_dir_remove (dir);
}

/* Columns in the order asked, row groups [1, 3), max_rows across a row
 * group boundary and inside the first page. */
static void
test_subsets (void)
{
  g_autofree char *dir = test_dir_new ();
  g_autoptr (TestTable) t = make_table (N_ROWS, TRUE);
  g_autofree char *path = write_table (dir, "t.parquet", t, DMPI_PARQUET_CODEC_SNAPPY,
                                       DMPI_PARQUET_TIMESTAMP_NANOS, 300, 700);
  g_autoptr (GError) error = NULL;
  g_autoptr (DmpiParquetFile) f = dmpi_parquet_file_open (path, &error);
  const char *const cols[] = { "str", "b", "i32", "ts", NULL };
  const guint idx[] = { DMPI_COL_STRING, DMPI_COL_BOOL, DMPI_COL_INT32, DMPI_COL_TIMESTAMP };

  g_assert_no_error (error);
  g_autoptr (DmpiTable) a = dmpi_parquet_file_read (f, cols, 1, 2, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (a->n_rows, ==, 600);
  g_assert_cmpuint (dmpi_table_n_columns (a), ==, 4);
  for (guint c = 0; c < 4; c++)
    assert_column_rows (g_ptr_array_index (t->columns, idx[c]), 300, dmpi_table_column (a, c),
                        600, FALSE);

  for (gsize max = 1; max <= N_ROWS + 10; max = max * 3 + 1)
    {
      g_autoptr (DmpiTable) h = dmpi_parquet_file_read (f, cols, 0, 4, max, &error);
      g_assert_no_error (error);
      gsize n = MIN (max, (gsize) N_ROWS);
      g_assert_cmpuint (h->n_rows, ==, n);
      for (guint c = 0; c < 4; c++)
        assert_column_rows (g_ptr_array_index (t->columns, idx[c]), 0, dmpi_table_column (h, c),
                            n, FALSE);
    }

  /* No row group, no column. */
  g_autoptr (DmpiTable) none = dmpi_parquet_file_read (f, cols, 4, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (none->n_rows, ==, 0);
  g_assert_cmpuint (dmpi_table_n_columns (none), ==, 4);
  const char *const no_cols[] = { NULL };
  g_autoptr (DmpiTable) empty = dmpi_parquet_file_read (f, no_cols, 0, 4, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dmpi_table_n_columns (empty), ==, 0);
  test_dir_remove (dir);
}

static void
test_bad_requests (void)
{
  g_autofree char *dir = test_dir_new ();
  g_autoptr (TestTable) t = make_table (100, FALSE);
  g_autofree char *path = write_table (dir, "t.parquet", t, DMPI_PARQUET_CODEC_SNAPPY,
                                       DMPI_PARQUET_TIMESTAMP_MICROS, 50, 0);
  g_autoptr (GError) e1 = NULL, e2 = NULL, e3 = NULL;
  g_autoptr (DmpiParquetFile) f = dmpi_parquet_file_open (path, &e1);
  const char *const cols[] = { "i32", "fare", NULL };

  g_assert_no_error (e1);
  g_assert_null (dmpi_parquet_file_read (f, cols, 0, 2, 0, &e1));
  g_assert_error (e1, DMPI_DF_ERROR, DMPI_DF_ERROR_MISSING_COLUMN);
  g_test_message ("%s", e1->message);
  g_assert_nonnull (strstr (e1->message, path));
  g_assert_nonnull (strstr (e1->message, "'fare'"));
  g_assert_nonnull (strstr (e1->message, "i32, i64, f32, f64, ts, str, dur, b"));

  g_assert_null (dmpi_parquet_file_read (f, NULL, 1, 2, 0, &e2));
  g_assert_error (e2, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID);
  g_assert_nonnull (strstr (e2->message, path));

  g_autofree char *missing = g_build_filename (dir, "missing.parquet", NULL);
  g_assert_null (dmpi_parquet_file_open (missing, &e3));
  g_assert_error (e3, DMPI_DF_ERROR, DMPI_DF_ERROR_IO);
  g_assert_nonnull (strstr (e3->message, missing));
  test_dir_remove (dir);
}

static void
test_empty_table (void)
{
  g_autofree char *dir = test_dir_new ();
  g_autoptr (TestTable) t = make_table (0, TRUE);
  g_autofree char *path = write_table (dir, "e.parquet", t, DMPI_PARQUET_CODEC_SNAPPY,
                                       DMPI_PARQUET_TIMESTAMP_MICROS, 0, 0);
  g_autoptr (GError) error = NULL;
  g_autoptr (DmpiParquetFile) f = dmpi_parquet_file_open (path, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (dmpi_parquet_file_get_n_rows (f), ==, 0);
  g_assert_cmpuint (dmpi_parquet_file_get_n_row_groups (f), ==, 0);
  g_assert_cmpuint (dmpi_parquet_file_get_n_columns (f), ==, DMPI_COL_N_TYPES);
  g_autoptr (DmpiTable) got = dmpi_parquet_file_read (f, NULL, 0, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (got->n_rows, ==, 0);
  for (guint c = 0; c < DMPI_COL_N_TYPES; c++)
    {
      const DmpiColumn *want = g_ptr_array_index (t->columns, c);
      g_assert_cmpint (dmpi_table_column (got, c)->type, ==, want->type);
      g_assert_cmpuint (dmpi_table_column (got, c)->n_rows, ==, 0);
    }
  test_dir_remove (dir);
}

/* A column with no present value at all, and one of 1 row. */
static void
test_all_missing (void)
{
  g_autofree char *dir = test_dir_new ();
  g_autoptr (TestTable) t = make_table (700, TRUE);
  for (guint c = 0; c < DMPI_COL_N_TYPES; c++)
    memset (((DmpiColumn *) g_ptr_array_index (t->columns, c))->valid, 0, 700);
  g_autofree char *path = write_table (dir, "n.parquet", t, DMPI_PARQUET_CODEC_UNCOMPRESSED,
                                       DMPI_PARQUET_TIMESTAMP_MICROS, 600, 64);
  g_autoptr (GError) error = NULL;
  g_autoptr (DmpiParquetFile) f = dmpi_parquet_file_open (path, &error);
  g_assert_no_error (error);
  g_autoptr (DmpiTable) got = dmpi_parquet_file_read (f, NULL, 0, 2, 0, &error);
  g_assert_no_error (error);
  for (guint c = 0; c < DMPI_COL_N_TYPES; c++)
    assert_column_rows (g_ptr_array_index (t->columns, c), 0, dmpi_table_column (got, c), 700,
                        TRUE);
  test_dir_remove (dir);
}

/* Reading some columns reads only their chunks: the others may be garbage. */
static void
test_reads_only_its_chunks (void)
{
  g_autofree char *dir = test_dir_new ();
  g_autoptr (TestTable) t = test_table_new (50);
  DmpiColumn *a = test_column_new ("a", DMPI_COL_INT64, 50, FALSE);
  DmpiColumn *b = test_column_new ("b", DMPI_COL_INT64, 50, FALSE);
  g_ptr_array_add (t->columns, a);
  g_ptr_array_add (t->columns, b);
  for (gint64 r = 0; r < 50; r++)
    {
      DMPI_COLUMN_INT64 (a)[r] = r;
      DMPI_COLUMN_INT64 (b)[r] = G_GINT64_CONSTANT (0x5555555555555555);
    }
  g_autofree char *path = write_table (dir, "ab.parquet", t, DMPI_PARQUET_CODEC_UNCOMPRESSED,
                                       DMPI_PARQUET_TIMESTAMP_MICROS, 0, 0);
  g_autofree char *data = NULL;
  gsize len;
  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  /* b's chunk: the run of 0x55 bytes, page header and all clobbered */
  char *run = memmem (data, len, "UUUUUUUUUUUUUUUU", 16);
  g_assert_nonnull (run);
  memset (run - 12, 0xee, 12 + 50 * 8);
  g_assert_true (g_file_set_contents (path, data, (gssize) len, NULL));

  g_autoptr (GError) error = NULL;
  g_autoptr (DmpiParquetFile) f = dmpi_parquet_file_open (path, &error);
  g_assert_no_error (error);
  const char *const only_a[] = { "a", NULL };
  g_autoptr (DmpiTable) got = dmpi_parquet_file_read (f, only_a, 0, 1, 0, &error);
  g_assert_no_error (error);
  assert_column_rows (a, 0, dmpi_table_column (got, 0), 50, FALSE);
  const char *const only_b[] = { "b", NULL };
  g_assert_null (dmpi_parquet_file_read (f, only_b, 0, 1, 0, &error));
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, "row group 0, column 'b'"));
  test_dir_remove (dir);
}

/* Opens and reads all of @path: FALSE with an error naming the file, or
 * TRUE. Never a crash. */
static gboolean
try_read (const char *path, GError **error)
{
  g_autoptr (DmpiParquetFile) f = dmpi_parquet_file_open (path, error);
  if (f == NULL)
    return FALSE;
  dmpi_parquet_file_set_max_bytes (f, 64 << 20);
  g_autoptr (DmpiTable) t = dmpi_parquet_file_read (f, NULL, 0, dmpi_parquet_file_get_n_row_groups (f),
                                                    0, error);
  return t != NULL;
}

static void
assert_names_file (const GError *error, const char *path)
{
  g_assert_nonnull (error);
  g_assert_true (error->domain == DMPI_DF_ERROR);
  if (strstr (error->message, path) == NULL)
    g_error ("the error does not name %s: %s", path, error->message);
}

/* Every prefix of a small file, and every byte of it flipped. */
static void
test_truncated_and_corrupt (gconstpointer data)
{
  gboolean snappy = GPOINTER_TO_UINT (data);
  g_autofree char *dir = test_dir_new ();
  g_autoptr (TestTable) t = make_table (40, TRUE);
  g_autofree char *path = write_table (dir, "t.parquet", t,
                                       snappy ? DMPI_PARQUET_CODEC_SNAPPY
                                              : DMPI_PARQUET_CODEC_UNCOMPRESSED,
                                       DMPI_PARQUET_TIMESTAMP_MICROS, 25, 64);
  g_autofree char *cut = g_build_filename (dir, "cut.parquet", NULL);
  g_autofree char *orig = NULL;
  gsize len;
  guint errors = 0, reads = 0;

  g_assert_true (g_file_get_contents (path, &orig, &len, NULL));
  for (gsize n = 0; n < len; n++)
    {
      g_autoptr (GError) error = NULL;
      g_assert_true (g_file_set_contents (cut, orig, (gssize) n, NULL));
      g_assert_false (try_read (cut, &error));
      assert_names_file (error, cut);
      if (n == len / 2)
        g_test_message ("cut to %" G_GSIZE_FORMAT " bytes: %s", n, error->message);
    }

  /* The footer's length cut short keeps the magic: the metadata is cut. */
  g_autofree char *copy = g_malloc (len);
  memcpy (copy, orig, len);
  for (gsize at = 0; at < len; at++)
    {
      g_autoptr (GError) error = NULL;
      copy[at] ^= (char) (at % 7 == 0 ? 0x01 : 0xff);
      g_assert_true (g_file_set_contents (cut, copy, (gssize) len, NULL));
      copy[at] = orig[at];
      if (try_read (cut, &error))
        reads++;
      else
        {
          assert_names_file (error, cut);
          errors++;
        }
    }
  g_test_message ("%" G_GSIZE_FORMAT " bytes flipped one at a time: %u errors, %u files read "
                  "(a value changed)", len, errors, reads);
  test_dir_remove (dir);
}

static void
test_bad_frame (void)
{
  g_autofree char *dir = test_dir_new ();
  g_autoptr (TestTable) t = make_table (10, FALSE);
  g_autofree char *path = write_table (dir, "t.parquet", t, DMPI_PARQUET_CODEC_SNAPPY,
                                       DMPI_PARQUET_TIMESTAMP_MICROS, 0, 0);
  g_autofree char *data = NULL;
  gsize len;
  g_assert_true (g_file_get_contents (path, &data, &len, NULL));

  struct { gsize at; const char *bytes; gint code; const char *says; } cases[] = {
    { len - 8, "\xff\xff\xff\x7f", DMPI_DF_ERROR_CORRUPT, "footer length" },
    { len - 8, "\x05\x00\x00\x00", DMPI_DF_ERROR_CORRUPT, "footer" },
    { len - 4, "PAR2", DMPI_DF_ERROR_CORRUPT, "no PAR1 at the end" },
    { 0, "GIF8", DMPI_DF_ERROR_INVALID, "not a Parquet file" },
    { len - 4, "PARE", DMPI_DF_ERROR_FAILED, "encrypted" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *copy = g_malloc (len);
      memcpy (copy, data, len);
      g_autoptr (GError) error = NULL;
      memcpy (copy + cases[i].at, cases[i].bytes, 4);
      g_assert_true (g_file_set_contents (path, copy, (gssize) len, NULL));
      g_assert_null (dmpi_parquet_file_open (path, &error));
      g_test_message ("%s", error->message);
      g_assert_error (error, DMPI_DF_ERROR, cases[i].code);
      g_assert_nonnull (strstr (error->message, path));
      g_assert_nonnull (strstr (error->message, cases[i].says));
    }
  test_dir_remove (dir);
}

/* From memory, with the bound on what a read may hold. */
static void
test_bytes_and_bound (void)
{
  g_autofree char *dir = test_dir_new ();
  g_autoptr (TestTable) t = make_table (N_ROWS, TRUE);
  g_autofree char *path = write_table (dir, "t.parquet", t, DMPI_PARQUET_CODEC_SNAPPY,
                                       DMPI_PARQUET_TIMESTAMP_NANOS, 0, 0);
  g_autofree char *data = NULL;
  gsize len;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  g_autoptr (GBytes) bytes = g_bytes_new_take (g_steal_pointer (&data), len);
  g_autoptr (DmpiParquetFile) f = dmpi_parquet_file_open_bytes ("mem.parquet", bytes, &error);
  g_assert_no_error (error);
  g_autoptr (DmpiTable) got = dmpi_parquet_file_read (f, NULL, 0, 1, 0, &error);
  g_assert_no_error (error);
  for (guint c = 0; c < DMPI_COL_N_TYPES; c++)
    assert_column_rows (g_ptr_array_index (t->columns, c), 0, dmpi_table_column (got, c), N_ROWS,
                        FALSE);
  dmpi_parquet_file_set_max_bytes (f, 4096);
  g_assert_null (dmpi_parquet_file_read (f, NULL, 0, 1, 0, &error));
  g_assert_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "mem.parquet"));
  g_test_message ("%s", error->message);
  test_dir_remove (dir);
}

/* Reading 1 M rows of the writer's default file (snappy): a figure, not a
 * check. */
static void
test_speed (void)
{
  g_autofree char *dir = test_dir_new ();
  g_autoptr (TestTable) t = make_table (1000000, FALSE);
  g_autofree char *path = write_table (dir, "big.parquet", t, DMPI_PARQUET_CODEC_SNAPPY,
                                       DMPI_PARQUET_TIMESTAMP_MICROS, 0, 0);
  g_autoptr (GError) error = NULL;
  GStatBuf st;
  g_assert_cmpint (g_stat (path, &st), ==, 0);

  g_autoptr (DmpiParquetFile) f = dmpi_parquet_file_open (path, &error);
  g_assert_no_error (error);
  double best = G_MAXDOUBLE;
  gsize nbytes = 0;
  for (int k = 0; k < 3; k++)
    {
      gint64 t0 = g_get_monotonic_time ();
      g_autoptr (DmpiTable) got = dmpi_parquet_file_read (f, NULL, 0, 1, 0, &error);
      gint64 t1 = g_get_monotonic_time ();
      g_assert_no_error (error);
      g_assert_cmpuint (got->n_rows, ==, 1000000);
      nbytes = dmpi_table_nbytes (got);
      best = MIN (best, (t1 - t0) / 1e6);
    }
  g_test_message ("read 1 M rows x 8 columns (snappy, %.1f MB of Parquet, %.1f MB in memory) "
                  "in %.1f ms: %.0f MB/s of table, %.0f MB/s of file", st.st_size / 1e6,
                  nbytes / 1e6, best * 1e3, nbytes / 1e6 / best, st.st_size / 1e6 / best);

  /* PLAIN numbers alone, uncompressed: the copy's speed */
  g_autofree char *plain = write_table (dir, "plain.parquet", t, DMPI_PARQUET_CODEC_UNCOMPRESSED,
                                        DMPI_PARQUET_TIMESTAMP_NANOS, 0, 0);
  g_autoptr (DmpiParquetFile) p = dmpi_parquet_file_open (plain, &error);
  g_assert_no_error (error);
  const char *const nums[] = { "i64", "f64", "ts", NULL };
  best = G_MAXDOUBLE;
  for (int k = 0; k < 3; k++)
    {
      gint64 t0 = g_get_monotonic_time ();
      g_autoptr (DmpiTable) got = dmpi_parquet_file_read (p, nums, 0, 1, 0, &error);
      gint64 t1 = g_get_monotonic_time ();
      g_assert_no_error (error);
      nbytes = dmpi_table_nbytes (got);
      best = MIN (best, (t1 - t0) / 1e6);
    }
  /* The yardstick: copying as many bytes into new memory. */
  double copy = G_MAXDOUBLE;
  for (int k = 0; k < 3; k++)
    {
      g_autofree guint8 *src = g_malloc (nbytes);
      memset (src, k, nbytes);
      gint64 t0 = g_get_monotonic_time ();
      g_autofree guint8 *dst = g_malloc (nbytes);
      memcpy (dst, src, nbytes);
      gint64 t1 = g_get_monotonic_time ();
      g_assert_cmpuint (dst[nbytes - 1], ==, (guint) k);
      copy = MIN (copy, (t1 - t0) / 1e6);
    }
  g_test_message ("read 1 M rows x 3 int64/double columns, PLAIN, uncompressed: %.1f MB in "
                  "%.1f ms, %.0f MB/s (memcpy into new memory: %.0f MB/s)", nbytes / 1e6,
                  best * 1e3, nbytes / 1e6 / best, nbytes / 1e6 / copy);
  test_dir_remove (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (guint v = 0; v < 8; v++)
    {
      g_autofree char *name = g_strdup_printf ("/parquet-read/round-trip/%s/%s/%s",
                                               v & 1 ? "optional" : "required",
                                               v & 2 ? "snappy" : "uncompressed",
                                               v & 4 ? "nanos" : "micros");
      g_test_add_data_func (name, GUINT_TO_POINTER (v), test_round_trip);
    }
  g_test_add_func ("/parquet-read/subsets", test_subsets);
  g_test_add_func ("/parquet-read/bad-requests", test_bad_requests);
  g_test_add_func ("/parquet-read/empty-table", test_empty_table);
  g_test_add_func ("/parquet-read/all-missing", test_all_missing);
  g_test_add_func ("/parquet-read/reads-only-its-chunks", test_reads_only_its_chunks);
  g_test_add_data_func ("/parquet-read/truncated-and-corrupt/uncompressed", GUINT_TO_POINTER (0),
                        test_truncated_and_corrupt);
  g_test_add_data_func ("/parquet-read/truncated-and-corrupt/snappy", GUINT_TO_POINTER (1),
                        test_truncated_and_corrupt);
  g_test_add_func ("/parquet-read/bad-frame", test_bad_frame);
  g_test_add_func ("/parquet-read/bytes-and-bound", test_bytes_and_bound);
  g_test_add_func ("/parquet-read/speed", test_speed);
  return g_test_run ();
}
