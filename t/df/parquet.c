/* Parquet writer: files of every column type, with and without missing
 * values, with both codecs; the footer is walked as Thrift compact to check
 * its frame and counts; failures leave nothing behind. (Value-by-value
 * checks by independent readers are in parquet-readback.sh.) The CSV writer
 * is checked here too. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>

#include <glib/gstdio.h>

#include "df/csv-writer.h"
#include "df/parquet.h"
#include "test-tables.h"

/* All eight column types; with @nulls, every column is OPTIONAL and misses
 * some values (every 7th row, and a run of 40 rows). */
static DmpiTable *
make_table (gsize n, gboolean nulls)
{
  DmpiColumn *c[DMPI_COL_N_TYPES];
  DmpiTable *t = test_table_all_types (n, nulls, c);
  DmpiColumn *str = c[DMPI_COL_STRING];
  GString *chars = g_string_new (NULL);

  for (gsize r = 0; r < n; r++)
    {
      ((gint32 *) c[DMPI_COL_INT32]->data)[r] = (gint32) r - 500;
      ((gint64 *) c[DMPI_COL_INT64]->data)[r] = (gint64) r * G_GINT64_CONSTANT (1000000007);
      ((float *) c[DMPI_COL_FLOAT32]->data)[r] = (float) r * 0.25f;
      ((double *) c[DMPI_COL_FLOAT64]->data)[r] = (double) r / 3.0;
      ((gint64 *) c[DMPI_COL_TIMESTAMP]->data)[r] =
        G_GINT64_CONSTANT (1420070400000000000) + (gint64) r * 1000000000;
      ((gint64 *) c[DMPI_COL_DURATION]->data)[r] = (gint64) r * 1500000000 - 1000000000;
      ((guint8 *) c[DMPI_COL_BOOL]->data)[r] = r % 3 == 1;
      g_string_append_printf (chars, "s%" G_GSIZE_FORMAT, r % 13);
      str->offsets[r + 1] = (guint32) chars->len;
      gboolean present = !(r % 7 == 3 || (r >= 100 && r < 140));
      for (guint i = 0; nulls && i < DMPI_COL_N_TYPES; i++)
        c[i]->valid[r] = present;
    }
  str->chars_len = chars->len;
  str->chars = g_string_free (chars, FALSE);
  return t;
}

/* ---- A Thrift compact reader, just enough to walk the footer ---------- */

typedef struct {
  const guint8 *p, *end;
  gboolean      bad;
} Reader;

static guint64
rd_varint (Reader *r)
{
  guint64 v = 0;
  for (int shift = 0; shift < 64; shift += 7)
    {
      if (r->p >= r->end)
        {
          r->bad = TRUE;
          return 0;
        }
      guint8 b = *r->p++;
      v |= (guint64) (b & 0x7f) << shift;
      if (!(b & 0x80))
        return v;
    }
  r->bad = TRUE;
  return 0;
}

static gint64
rd_zigzag (Reader *r)
{
  guint64 v = rd_varint (r);
  return (gint64) (v >> 1) ^ -(gint64) (v & 1);
}

static void skip_value (Reader *r, int type);

/* Walks a struct; for fields of the top struct records i64/i32 values and
 * list sizes by field id into @ints (when not NULL). */
static void
walk_struct (Reader *r, gint64 *ints, int n_ints)
{
  int last = 0;
  while (!r->bad)
    {
      if (r->p >= r->end)
        {
          r->bad = TRUE;
          return;
        }
      guint8 h = *r->p++;
      if (h == 0)
        return;
      int type = h & 0x0f;
      int id = (h >> 4) ? last + (h >> 4) : (int) rd_zigzag (r);
      last = id;
      if (ints != NULL && id > 0 && id < n_ints && (type == 5 || type == 6))
        {
          ints[id] = rd_zigzag (r);
          continue;
        }
      if (ints != NULL && id > 0 && id < n_ints && type == 9)
        {
          const guint8 *save = r->p;
          guint8 lh = *r->p++;
          ints[id] = (lh >> 4) == 15 ? (gint64) rd_varint (r) : lh >> 4;
          r->p = save;
        }
      skip_value (r, type);
    }
}

static void
skip_value (Reader *r, int type)
{
  switch (type)
    {
    case 1: case 2: break;
    case 3: r->p++; break;
    case 4: case 5: case 6: rd_varint (r); break;
    case 7: r->p += 8; break;
    case 8: { guint64 n = rd_varint (r); r->p += n; break; }
    case 9: case 10:
      {
        guint8 lh = *r->p++;
        guint64 n = (lh >> 4) == 15 ? rd_varint (r) : lh >> 4;
        for (guint64 i = 0; i < n && !r->bad; i++)
          skip_value (r, lh & 0x0f);
        break;
      }
    case 12: walk_struct (r, NULL, 0); break;
    default: r->bad = TRUE;
    }
  if (r->p > r->end)
    r->bad = TRUE;
}

/* Checks the file's frame and returns FileMetaData's fields 1..7 as ints
 * (list fields: their sizes). */
static void
check_footer (const char *path, gint64 fields[8])
{
  g_autofree char *data = NULL;
  gsize len;
  g_autoptr (GError) error = NULL;

  g_assert_true (g_file_get_contents (path, &data, &len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (len, >=, 12);
  g_assert_cmpmem (data, 4, "PAR1", 4);
  g_assert_cmpmem (data + len - 4, 4, "PAR1", 4);
  guint32 meta_len;
  memcpy (&meta_len, data + len - 8, 4);
  meta_len = GUINT32_FROM_LE (meta_len);
  g_assert_cmpuint (meta_len, <=, len - 12);

  Reader r = { (const guint8 *) data + len - 8 - meta_len, (const guint8 *) data + len - 8, FALSE };
  memset (fields, 0, 8 * sizeof (gint64));
  walk_struct (&r, fields, 8);
  g_assert_false (r.bad);
  g_assert_true (r.p == r.end);   /* the metadata ends exactly at its length */
}

/* ---- Tests ------------------------------------------------------------- */

static guint
count_entries (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;
  while (g_dir_read_name (d) != NULL)
    n++;
  return n;
}

static void
write_and_check (gconstpointer data)
{
  guint variant = GPOINTER_TO_UINT (data);
  gboolean nulls = variant & 1;
  gboolean snappy = variant & 2;
  g_autofree char *dir = test_dir_new ();
  g_autofree char *path = g_build_filename (dir, "part.0.parquet", NULL);
  g_autoptr (TestTable) t = make_table (1000, nulls);
  g_autoptr (GError) error = NULL;
  DmpiParquetOptions opts;

  dmpi_parquet_options_init (&opts);
  opts.codec = snappy ? DMPI_PARQUET_CODEC_SNAPPY : DMPI_PARQUET_CODEC_UNCOMPRESSED;
  opts.row_group_rows = 300;   /* 4 row groups */
  opts.page_bytes = 512;       /* several pages per chunk */
  g_assert_true (dmpi_parquet_write_file (t, path, &opts, &error));
  g_assert_no_error (error);

  gint64 f[8];
  check_footer (path, f);
  g_assert_cmpint (f[1], ==, 1);        /* version */
  g_assert_cmpint (f[2], ==, 1 + 8);    /* schema: root and eight columns */
  g_assert_cmpint (f[3], ==, 1000);     /* num_rows */
  g_assert_cmpint (f[4], ==, 4);        /* row groups */
  g_assert_cmpint (f[7], ==, 8);        /* column orders */
  g_assert_cmpuint (count_entries (dir), ==, 1);   /* no temporary left */
  test_dir_remove (dir);
}

static void
test_empty_table (void)
{
  g_autofree char *dir = test_dir_new ();
  g_autofree char *path = g_build_filename (dir, "empty.parquet", NULL);
  g_autoptr (TestTable) t = make_table (0, TRUE);
  g_autoptr (GError) error = NULL;

  g_assert_true (dmpi_parquet_write_file (t, path, NULL, &error));
  g_assert_no_error (error);
  gint64 f[8];
  check_footer (path, f);
  g_assert_cmpint (f[3], ==, 0);
  g_assert_cmpint (f[4], ==, 0);
  test_dir_remove (dir);
}

static void
test_unwritable_folder (void)
{
  g_autofree char *dir = test_dir_new ();
  g_autofree char *file = g_build_filename (dir, "not-a-folder", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing", "part.0.parquet", NULL);
  g_autofree char *under_file = g_build_filename (file, "part.0.parquet", NULL);
  g_autoptr (TestTable) t = make_table (10, FALSE);
  g_autoptr (GError) e1 = NULL;
  g_autoptr (GError) e2 = NULL;
  g_autoptr (GError) e3 = NULL;

  g_assert_true (g_file_set_contents (file, "x", 1, NULL));
  g_assert_false (dmpi_parquet_write_file (t, missing, NULL, &e1));
  g_assert_error (e1, DMPI_DF_ERROR, DMPI_DF_ERROR_IO);
  g_assert_nonnull (strstr (e1->message, missing));
  g_assert_nonnull (strstr (e1->message, g_strerror (ENOENT)));
  g_test_message ("%s", e1->message);
  g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));

  g_assert_false (dmpi_parquet_write_file (t, under_file, NULL, &e2));
  g_assert_error (e2, DMPI_DF_ERROR, DMPI_DF_ERROR_IO);
  g_assert_false (dmpi_csv_write_file (t, under_file, &e3));
  g_assert_error (e3, DMPI_DF_ERROR, DMPI_DF_ERROR_IO);
  g_assert_cmpuint (count_entries (dir), ==, 1);
  test_dir_remove (dir);
}

/* A write that fails half-way (the file size limit stands in for a full
 * disk) leaves neither the temporary nor the final name. */
static void
test_failure_midway (void)
{
  g_autofree char *dir = test_dir_new ();
  g_autofree char *path = g_build_filename (dir, "part.0.parquet", NULL);
  g_autoptr (TestTable) t = make_table (200000, TRUE);
  g_autoptr (GError) error = NULL;
  struct rlimit saved, small;
  DmpiParquetOptions opts;

  dmpi_parquet_options_init (&opts);
  opts.codec = DMPI_PARQUET_CODEC_UNCOMPRESSED;
  signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  small = saved;
  small.rlim_cur = 100000;
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &small), ==, 0);
  gboolean ok = dmpi_parquet_write_file (t, path, &opts, &error);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &saved), ==, 0);

  g_assert_false (ok);
  g_assert_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_IO);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_cmpuint (count_entries (dir), ==, 0);
  test_dir_remove (dir);
}

static void
test_invalid_table (void)
{
  g_autofree char *dir = test_dir_new ();
  g_autofree char *path = g_build_filename (dir, "part.0.parquet", NULL);
  g_autoptr (TestTable) t = make_table (10, FALSE);
  g_autoptr (GError) error = NULL;

  ((DmpiColumn *) g_ptr_array_index (t->columns, 2))->n_rows = 9;
  g_assert_false (dmpi_parquet_write_file (t, path, NULL, &error));
  g_assert_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "f32"));
  g_assert_cmpuint (count_entries (dir), ==, 0);
  test_dir_remove (dir);
}

static void
test_csv (void)
{
  g_autofree char *dir = test_dir_new ();
  g_autofree char *path = g_build_filename (dir, "part.0.csv", NULL);
  g_autoptr (TestTable) t = make_table (4, TRUE);
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  DmpiColumn *str = g_ptr_array_index (t->columns, 5);

  /* Row 0: a string that needs quoting; row 3 is missing throughout. */
  g_free (str->chars);
  str->chars = g_strdup ("a,\"b\"s1s2s3");
  str->chars_len = strlen (str->chars);
  guint32 offs[] = { 0, 5, 7, 9, 11 };
  memcpy (str->offsets, offs, sizeof offs);
  ((gint64 *) ((DmpiColumn *) g_ptr_array_index (t->columns, 4))->data)[1] += 123000000;

  g_assert_true (dmpi_csv_write_file (t, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_cmpstr (text, ==,
                   "i32,i64,f32,f64,ts,str,dur,b\n"
                   "-500,0,0,0,2015-01-01 00:00:00,\"a,\"\"b\"\"\",-1 days +23:59:59,False\n"
                   "-499,1000000007,0.25,0.3333333333333333,2015-01-01 00:00:01.123,s1,"
                   "0 days 00:00:00.500,True\n"
                   "-498,2000000014,0.5,0.6666666666666666,2015-01-01 00:00:02,s2,0 days 00:00:02,False\n"
                   ",,,,,,,\n");
  g_assert_cmpuint (count_entries (dir), ==, 1);
  test_dir_remove (dir);
}

static void
test_speed (void)
{
  g_autofree char *dir = test_dir_new ();
  g_autofree char *path = g_build_filename (dir, "big.parquet", NULL);
  g_autoptr (TestTable) t = make_table (1000000, FALSE);
  g_autoptr (GError) error = NULL;
  GStatBuf st;

  gint64 t0 = g_get_monotonic_time ();
  g_assert_true (dmpi_parquet_write_file (t, path, NULL, &error));
  gint64 t1 = g_get_monotonic_time ();
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_test_message ("1 M rows x 7 columns: %.1f MB of Parquet (snappy) in %.0f ms",
                  st.st_size / 1e6, (t1 - t0) / 1e3);
  test_dir_remove (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/parquet/required/uncompressed", GUINT_TO_POINTER (0), write_and_check);
  g_test_add_data_func ("/parquet/optional/uncompressed", GUINT_TO_POINTER (1), write_and_check);
  g_test_add_data_func ("/parquet/required/snappy", GUINT_TO_POINTER (2), write_and_check);
  g_test_add_data_func ("/parquet/optional/snappy", GUINT_TO_POINTER (3), write_and_check);
  g_test_add_func ("/parquet/empty-table", test_empty_table);
  g_test_add_func ("/parquet/unwritable-folder", test_unwritable_folder);
  g_test_add_func ("/parquet/failure-midway", test_failure_midway);
  g_test_add_func ("/parquet/invalid-table", test_invalid_table);
  g_test_add_func ("/parquet/csv", test_csv);
  g_test_add_func ("/parquet/speed", test_speed);
  return g_test_run ();
}
