/* The CSV reader: edge cases, block splitting, compressed input, errors. */
#include "config.h"

#include "df/csv.h"

#include <archive.h>
#include <archive_entry.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <time.h>

typedef struct {
  char *dir;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  f->dir = g_dir_make_tmp ("dmpi-csv-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  GDir *d = g_dir_open (f->dir, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (f->dir, name, NULL);
      g_unlink (p);
    }
  if (d != NULL)
    g_dir_close (d);
  g_rmdir (f->dir);
  g_free (f->dir);
}

static char *
write_file (Fixture *f, const char *name, const char *content, gssize len)
{
  char *path = g_build_filename (f->dir, name, NULL);
  g_autoptr(GError) error = NULL;
  g_file_set_contents (path, content, len, &error);
  g_assert_no_error (error);
  return path;
}

/* Writes content through a libarchive filter (raw format), or as the one
 * member "data.csv" of a zip. FALSE if this libarchive cannot write it. */
static gboolean
write_compressed (const char *path, const char *content, gsize len, const char *kind)
{
  struct archive *a = archive_write_new ();
  int r;
  if (strcmp (kind, "zip") == 0)
    r = archive_write_set_format_zip (a);
  else
    {
      r = archive_write_set_format_raw (a);
      if (r == ARCHIVE_OK)
        r = archive_write_add_filter_by_name (a, kind);
    }
  if (r != ARCHIVE_OK || archive_write_open_filename (a, path) != ARCHIVE_OK)
    {
      archive_write_free (a);
      return FALSE;
    }
  struct archive_entry *e = archive_entry_new ();
  if (strcmp (kind, "zip") == 0)
    {
      /* a member that is not CSV comes first: the reader must skip it */
      archive_entry_set_pathname (e, "README.txt");
      archive_entry_set_filetype (e, AE_IFREG);
      archive_entry_set_perm (e, 0644);
      archive_entry_set_size (e, 5);
      g_assert_cmpint (archive_write_header (a, e), ==, ARCHIVE_OK);
      archive_write_data (a, "hello", 5);
      archive_entry_clear (e);
    }
  archive_entry_set_pathname (e, "data.csv");
  archive_entry_set_filetype (e, AE_IFREG);
  archive_entry_set_perm (e, 0644);
  archive_entry_set_size (e, (la_int64_t) len);
  g_assert_cmpint (archive_write_header (a, e), ==, ARCHIVE_OK);
  g_assert_cmpint (archive_write_data (a, content, len), ==, (la_ssize_t) len);
  archive_entry_free (e);
  g_assert_cmpint (archive_write_close (a), ==, ARCHIVE_OK);
  archive_write_free (a);
  return TRUE;
}

static const DmpiCsvColumn edge_cols[] = {
  { "id", NULL, NULL, DMPI_COL_INT32 },
  { "name", NULL, NULL, DMPI_COL_STRING },
  { "x", NULL, "x_value", DMPI_COL_FLOAT32 },
  { "when", NULL, NULL, DMPI_COL_TIMESTAMP },
  { "big", NULL, NULL, DMPI_COL_FLOAT64 },
};

static const char edge_csv[] =
  "\xEF\xBB\xBF" "id,name,skipped,x,when,big\r\n"
  "1,\"a,b\",zz,1.5,2015-01-02 03:04:05,1e300\r\n"
  "\r\n"
  "2,\"say \"\"hi\"\"\",\"q,\"\"x\"\"\",,,\r\n"
  "3,\"multi\nline\",,\"2.25\",2015-12-31 23:59:59,-0.1234567890123456789012\r\n"
  "\n"
  "4,plain,,-0.5e1,2016-02-29 00:00:00.5,+7\r\n"
  "-5,,,-73.993896484375,\"2015-06-01T12:00:00\",inf";   /* no newline at the end */

static gint64
ts (int y, int mo, int d, int h, int mi, int s)
{
  g_autoptr(GDateTime) dt = g_date_time_new_utc (y, mo, d, h, mi, s);
  return g_date_time_to_unix (dt) * G_GINT64_CONSTANT (1000000000);
}

static void
check_edge_table (DmpiTable *t)
{
  g_assert_cmpuint (t->n_rows, ==, 5);
  g_assert_cmpuint (dmpi_table_n_columns (t), ==, 5);
  DmpiColumn *id = dmpi_table_column (t, 0), *name = dmpi_table_column (t, 1);
  DmpiColumn *x = dmpi_table_column (t, 2), *when = dmpi_table_column (t, 3);
  DmpiColumn *big = dmpi_table_column (t, 4);
  g_assert_cmpstr (x->name, ==, "x_value");
  g_assert_cmpint (DMPI_COLUMN_INT32 (id)[0], ==, 1);
  g_assert_cmpint (DMPI_COLUMN_INT32 (id)[4], ==, -5);
  gsize len;
  const char *s = dmpi_column_get_string (name, 0, &len);
  g_assert_cmpmem (s, len, "a,b", 3);
  s = dmpi_column_get_string (name, 1, &len);
  g_assert_cmpmem (s, len, "say \"hi\"", 8);
  s = dmpi_column_get_string (name, 2, &len);
  g_assert_cmpmem (s, len, "multi\nline", 10);
  s = dmpi_column_get_string (name, 3, &len);
  g_assert_cmpmem (s, len, "plain", 5);
  g_assert_false (dmpi_column_is_valid (name, 4));   /* empty = missing */
  g_assert_cmpfloat (DMPI_COLUMN_FLOAT32 (x)[0], ==, 1.5f);
  g_assert_false (dmpi_column_is_valid (x, 1));
  g_assert_true (dmpi_column_is_valid (x, 2));
  g_assert_cmpfloat (DMPI_COLUMN_FLOAT32 (x)[2], ==, 2.25f);
  g_assert_cmpfloat (DMPI_COLUMN_FLOAT32 (x)[3], ==, -5.0f);
  g_assert_cmpfloat (DMPI_COLUMN_FLOAT32 (x)[4], ==, -73.993896484375f);
  g_assert_cmpint (DMPI_COLUMN_INT64 (when)[0], ==, ts (2015, 1, 2, 3, 4, 5));
  g_assert_false (dmpi_column_is_valid (when, 1));
  g_assert_cmpint (DMPI_COLUMN_INT64 (when)[2], ==, ts (2015, 12, 31, 23, 59, 59));
  g_assert_cmpint (DMPI_COLUMN_INT64 (when)[3], ==, ts (2016, 2, 29, 0, 0, 0) + 500000000);
  g_assert_cmpint (DMPI_COLUMN_INT64 (when)[4], ==, ts (2015, 6, 1, 12, 0, 0));
  g_assert_cmpfloat (DMPI_COLUMN_FLOAT64 (big)[0], ==, 1e300);
  g_assert_false (dmpi_column_is_valid (big, 1));
  g_assert_cmpfloat (DMPI_COLUMN_FLOAT64 (big)[2], ==, g_ascii_strtod ("-0.1234567890123456789012", NULL));
  g_assert_cmpfloat (DMPI_COLUMN_FLOAT64 (big)[3], ==, 7.0);
  g_assert_true (DMPI_COLUMN_FLOAT64 (big)[4] > 1e308);
}

static void
test_edge_cases (Fixture *f, gconstpointer data)
{
  g_autofree char *path = write_file (f, "edge.csv", edge_csv, -1);
  g_autoptr(GError) error = NULL;
  g_autoptr(DmpiTable) t = dmpi_csv_read (path, 0, G_MAXUINT64, edge_cols,
                                          G_N_ELEMENTS (edge_cols), &error);
  g_assert_no_error (error);
  check_edge_table (t);

  g_auto(GStrv) header = dmpi_csv_read_header (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (header), ==, 6);
  g_assert_cmpstr (header[0], ==, "id");
  g_assert_cmpstr (header[5], ==, "big");

  g_autoptr(DmpiTable) head = dmpi_csv_read_head (path, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (head->n_rows, ==, 2);
  g_assert_cmpuint (dmpi_table_n_columns (head), ==, 6);
  g_autofree char *v = dmpi_table_format_value (head, 2, 1);
  g_assert_cmpstr (v, ==, "q,\"x\"");
}

static void
test_compressed (Fixture *f, gconstpointer data)
{
  static const char *const kinds[][2] = {
    { "gzip", "edge.csv.gz" }, { "bzip2", "edge.csv.bz2" }, { "xz", "edge.csv.xz" },
    { "zstd", "edge.csv.zst" }, { "zip", "edge.zip" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      g_autofree char *path = g_build_filename (f->dir, kinds[i][1], NULL);
      if (!write_compressed (path, edge_csv, strlen (edge_csv), kinds[i][0]))
        {
          g_test_message ("this libarchive cannot write %s: not tested", kinds[i][0]);
          continue;
        }
      g_assert_true (dmpi_csv_path_is_compressed (path));
      g_autoptr(GError) error = NULL;
      g_autoptr(DmpiTable) t = dmpi_csv_read (path, 0, G_MAXUINT64, edge_cols,
                                              G_N_ELEMENTS (edge_cols), &error);
      g_assert_no_error (error);
      check_edge_table (t);
      g_autoptr(GArray) blocks = dmpi_csv_list_blocks (path, 10, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (blocks->len, ==, 1);
    }
}

/* Rows "i,payload,i*i" with payloads of varying length (0 to 40 bytes). */
static GString *
numbered_rows (guint n, const char *eol, gboolean final_newline)
{
  GString *s = g_string_new ("n,payload,sq");
  g_string_append (s, eol);
  for (guint i = 0; i < n; i++)
    {
      g_string_append_printf (s, "%u,%.*s,%u", i, (int) ((i * 7) % 41),
                              "abcdefghijklmnopqrstuvwxyz0123456789ABCDE", i * i);
      if (i + 1 < n || final_newline)
        g_string_append (s, eol);
      if (i % 50 == 17)
        g_string_append (s, eol);   /* blank lines are skipped */
    }
  return s;
}

static void
test_blocks (Fixture *f, gconstpointer data)
{
  static const DmpiCsvColumn cols[] = {
    { "n", NULL, NULL, DMPI_COL_INT64 },
    { "sq", NULL, NULL, DMPI_COL_INT64 },
  };
  const guint n_rows = 1000;
  gint64 want_sum = 0;
  for (guint i = 0; i < n_rows; i++)
    want_sum += i;

  for (int variant = 0; variant < 3; variant++)
    {
      g_autoptr(GString) content = numbered_rows (n_rows, variant == 1 ? "\r\n" : "\n",
                                                  variant != 2);
      g_autofree char *path = write_file (f, "rows.csv", content->str, (gssize) content->len);
      const guint64 sizes[] = { 1, 2, 7, 13, 100, 1000, 4096, content->len - 1,
                                content->len, content->len + 10, 0 };
      for (gsize k = 0; k < G_N_ELEMENTS (sizes); k++)
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(GArray) blocks = dmpi_csv_list_blocks (path, sizes[k], &error);
          g_assert_no_error (error);
          gsize rows = 0;
          gint64 sum = 0, sq_sum = 0, want_sq = 0, prev = -1;
          for (guint b = 0; b < blocks->len; b++)
            {
              DmpiCsvBlock *blk = &g_array_index (blocks, DmpiCsvBlock, b);
              g_autoptr(DmpiTable) t = dmpi_csv_read (path, blk->offset, blk->length, cols, 2,
                                                      &error);
              g_assert_no_error (error);
              rows += t->n_rows;
              for (gsize r = 0; r < t->n_rows; r++)
                {
                  gint64 v = DMPI_COLUMN_INT64 (dmpi_table_column (t, 0))[r];
                  /* blocks come in file order, rows in order inside them */
                  g_assert_cmpint (v, ==, prev + 1);
                  prev = v;
                  sum += v;
                  sq_sum += DMPI_COLUMN_INT64 (dmpi_table_column (t, 1))[r];
                  want_sq += v * v;
                }
            }
          g_assert_cmpuint (rows, ==, n_rows);
          g_assert_cmpint (sum, ==, want_sum);
          g_assert_cmpint (sq_sum, ==, want_sq);
        }
      g_unlink (path);
    }
}

static void
test_missing_column (Fixture *f, gconstpointer data)
{
  g_autofree char *path = write_file (f, "cols.csv", "a,b\n1,2\n", -1);
  static const DmpiCsvColumn cols[] = {
    { "a", NULL, NULL, DMPI_COL_INT32 },
    { "fare_amount", NULL, NULL, DMPI_COL_FLOAT32 },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(DmpiTable) t = dmpi_csv_read (path, 0, G_MAXUINT64, cols, 2, &error);
  g_assert_null (t);
  g_assert_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_MISSING_COLUMN);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, "'fare_amount'"));
}

static void
expect_parse_error (const char *path, guint64 offset, guint64 length,
                    const DmpiCsvColumn *cols, guint n, const char *where, const char *what)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DmpiTable) t = dmpi_csv_read (path, offset, length, cols, n, &error);
  g_assert_null (t);
  g_assert_nonnull (error);
  g_test_message ("error: %s", error->message);
  /* "FILE:LINE:COLUMN: ", where is "LINE" or "LINE:COLUMN" */
  g_autofree char *prefix = g_strdup_printf ("%s:%s:", path, where);
  g_assert_true (g_str_has_prefix (error->message, prefix));
  const char *rest = error->message + strlen (prefix);
  if (strchr (where, ':') == NULL)
    {
      g_assert_true (g_ascii_isdigit (*rest));
      while (g_ascii_isdigit (*rest))
        rest++;
      g_assert_cmpint (*rest, ==, ':');
      rest++;
    }
  g_assert_cmpint (*rest, ==, ' ');
  g_assert_nonnull (strstr (error->message, what));
}

static void
test_malformed (Fixture *f, gconstpointer data)
{
  static const DmpiCsvColumn cols[] = {
    { "a", NULL, NULL, DMPI_COL_INT32 },
    { "b", NULL, NULL, DMPI_COL_FLOAT32 },
  };
  g_autoptr(GString) s = g_string_new ("a,b,c\n");
  for (int i = 0; i < 300; i++)
    g_string_append_printf (s, "%d,%d.5,x\n", i, i);
  gsize before = s->len;
  g_string_append (s, "7,8\n");                 /* line 302: too few fields */
  g_autofree char *path = write_file (f, "few.csv", s->str, (gssize) s->len);
  expect_parse_error (path, 0, G_MAXUINT64, cols, 2, "302", "expected 3 fields, found 2");
  /* the same line found by a block that starts late in the file */
  expect_parse_error (path, before - 5, 100, cols, 2, "302", "expected 3 fields");

  g_string_truncate (s, before);
  g_string_append (s, "7,8,9,10\n");
  g_autofree char *p2 = write_file (f, "many.csv", s->str, (gssize) s->len);
  expect_parse_error (p2, 0, G_MAXUINT64, cols, 2, "302", "expected 3 fields, found 4");

  g_string_truncate (s, before);
  g_string_append (s, "1,2,\"quoted\nfield\"\n7,abc,9\n");   /* line 304: a bad number */
  g_autofree char *p3 = write_file (f, "num.csv", s->str, (gssize) s->len);
  expect_parse_error (p3, 0, G_MAXUINT64, cols, 2, "304", "column 'b': cannot parse \"abc\" as float32");

  g_string_truncate (s, before);
  g_string_append (s, "99999999999,1,2\n");
  g_autofree char *p4 = write_file (f, "big.csv", s->str, (gssize) s->len);
  expect_parse_error (p4, 0, G_MAXUINT64, cols, 2, "302", "as int32");

  g_string_truncate (s, before);
  g_string_append (s, "1,2,\"open\n3,4,5\n");
  g_autofree char *p5 = write_file (f, "open.csv", s->str, (gssize) s->len);
  expect_parse_error (p5, 0, G_MAXUINT64, cols, 2, "302", "unterminated quoted field");

  g_autoptr(GError) error = NULL;
  g_autofree char *empty = write_file (f, "empty.csv", "", 0);
  g_assert_null (dmpi_csv_read (empty, 0, 10, cols, 2, &error));
  g_assert_nonnull (strstr (error->message, empty));
  g_clear_error (&error);
  g_autofree char *gone = g_build_filename (f->dir, "gone.csv", NULL);
  g_assert_null (dmpi_csv_read (gone, 0, 10, cols, 2, &error));
  g_assert_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_IO);
  g_assert_nonnull (strstr (error->message, gone));
}

static void
test_truncated_gz (Fixture *f, gconstpointer data)
{
  g_autoptr(GString) s = numbered_rows (20000, "\n", TRUE);
  g_autofree char *path = g_build_filename (f->dir, "cut.csv.gz", NULL);
  g_assert_true (write_compressed (path, s->str, s->len, "gzip"));
  g_autofree char *bytes = NULL;
  gsize len;
  g_assert_true (g_file_get_contents (path, &bytes, &len, NULL));
  g_assert_cmpuint (len, >, 1000);
  g_assert_true (g_file_set_contents (path, bytes, (gssize) (len / 2), NULL));

  static const DmpiCsvColumn cols[] = { { "n", NULL, NULL, DMPI_COL_INT64 } };
  g_autoptr(GError) error = NULL;
  g_autoptr(DmpiTable) t = dmpi_csv_read (path, 0, G_MAXUINT64, cols, 1, &error);
  g_assert_null (t);
  g_assert_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_CORRUPT);
  g_test_message ("error: %s", error->message);
  g_assert_nonnull (strstr (error->message, path));

  /* garbage that only looks compressed by its name */
  g_autofree char *junk = write_file (f, "junk.csv.gz", "\x1f\x8bnot really gzip at all", -1);
  g_clear_error (&error);
  g_assert_null (dmpi_csv_read (junk, 0, G_MAXUINT64, cols, 1, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, junk));
}

/* Quoted newlines in a file bigger than the reader's 8 MB chunks: records
 * that straddle a chunk are carried over whole. */
static void
test_quoted_newlines_stream (Fixture *f, gconstpointer data)
{
  g_autoptr(GString) s = g_string_new ("n,text,m\n");
  const guint n = 600000;
  for (guint i = 0; i < n; i++)
    g_string_append_printf (s, "%u,\"l1\nl2,\"\"%u\"\"\",%u\n", i, i % 10, i % 7);
  g_assert_cmpuint (s->len, >, 9 * 1024 * 1024);
  g_autofree char *path = write_file (f, "ml.csv", s->str, (gssize) s->len);
  static const DmpiCsvColumn cols[] = {
    { "n", NULL, NULL, DMPI_COL_INT64 },
    { "text", NULL, NULL, DMPI_COL_STRING },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(DmpiTable) t = dmpi_csv_read (path, 0, G_MAXUINT64, cols, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (t->n_rows, ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_assert_cmpint (DMPI_COLUMN_INT64 (dmpi_table_column (t, 0))[i], ==, i);
      gsize len;
      const char *v = dmpi_column_get_string (dmpi_table_column (t, 1), i, &len);
      g_assert_cmpuint (len, ==, 9);
      g_assert_cmpint (v[7], ==, '0' + (int) (i % 10));
    }
}


/* Found by t/fuzz/csv: a timestamp beyond what nanoseconds in a gint64 hold
 * (1677 to 2262) overflowed into a wrong value; it is a parse error. */
static void
test_timestamp_range (Fixture *f, gconstpointer data)
{
  static const DmpiCsvColumn cols[] = {
    { "a", NULL, NULL, DMPI_COL_INT32 },
    { "e", NULL, NULL, DMPI_COL_TIMESTAMP },
  };
  g_autofree char *path = write_file (f, "range.csv", "a,e\n1,2262-04-11 23:47:15\n2,1677-09-21 00:12:45\n", -1);
  g_autoptr(GError) error = NULL;
  g_autoptr(DmpiTable) t = dmpi_csv_read (path, 0, G_MAXUINT64, cols, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpint (DMPI_COLUMN_INT64 (dmpi_table_column (t, 1))[0], ==, G_GINT64_CONSTANT (9223372035000000000));
  g_assert_cmpint (DMPI_COLUMN_INT64 (dmpi_table_column (t, 1))[1], ==, -G_GINT64_CONSTANT (9223372035000000000));

  g_autofree char *late = write_file (f, "late.csv", "a,e\n1,2015-01-01\n2,8015-12-31 23:59:59\n", -1);
  expect_parse_error (late, 0, G_MAXUINT64, cols, 2, "3", "8015-12-31");
  g_autofree char *early = write_file (f, "early.csv", "a,e\n1,1000-01-01 00:00:00\n", -1);
  expect_parse_error (early, 0, G_MAXUINT64, cols, 2, "2", "1000-01-01");
}
/* Rows filtered while parsing: strict bounds, a missing value rejects, a
 * rejected row's string and quoted fields do not leak into the next row,
 * and blocks split anywhere keep the same rows. */
static void
test_filtered (Fixture *f, gconstpointer data)
{
  static const DmpiCsvColumn cols[] = {
    { "id", NULL, NULL, DMPI_COL_INT32 },
    { "name", NULL, NULL, DMPI_COL_STRING },
    { "x", NULL, NULL, DMPI_COL_FLOAT32 },
    { "n", NULL, NULL, DMPI_COL_INT64 },
    { "d", NULL, NULL, DMPI_COL_FLOAT64 },
  };
  static const DmpiCsvRange keep[] = { { 2, -1.5, 2.5 }, { 3, 0, 10 }, { 4, -1e300, 1e300 } };
  static const char csv[] =
    "id,name,x,n,d\n"
    "0,a,0,1,0\n"              /* kept */
    "1,\"b,\"\"q\",2.5,1,0\n"   /* x on the bound: dropped */
    "2,c,-1.5,1,0\n"           /* on the bound: dropped */
    "3,,2.4999,9,0\n"          /* kept, empty name */
    "4,e,,5,0\n"               /* x missing: dropped */
    "5,f,1,10,0\n"             /* n on the bound: dropped */
    "6,g,1,,0\n"               /* n missing: dropped */
    "7,\"h\nh\",-1.49,0.0,0\n"  /* n = 0: dropped */
    "8,i,-1.49,1,\n"           /* d missing: dropped */
    "9,j,1e-3,3,nan\n"         /* d is NaN: dropped */
    "10,k,-1,+2,-7\n";         /* kept */
  g_autofree char *path = write_file (f, "filtered.csv", csv, -1);
  g_autoptr(GError) error = NULL;
  gsize rows_in = 0;
  g_autoptr(DmpiTable) t = dmpi_csv_read_filtered (path, 0, G_MAXUINT64, cols, G_N_ELEMENTS (cols),
                                                   keep, G_N_ELEMENTS (keep), &rows_in, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows_in, ==, 11);
  g_assert_cmpuint (t->n_rows, ==, 3);
  const gint32 ids[] = { 0, 3, 10 };
  const char *names[] = { "a", NULL, "k" };
  for (gsize r = 0; r < 3; r++)
    {
      DmpiColumn *id = dmpi_table_column (t, 0), *name = dmpi_table_column (t, 1);
      g_assert_cmpint (DMPI_COLUMN_INT32 (id)[r], ==, ids[r]);
      gsize len;
      const char *s = dmpi_column_get_string (name, r, &len);
      if (names[r] == NULL)
        g_assert_false (dmpi_column_is_valid (name, r));
      else
        {
          g_assert_true (dmpi_column_is_valid (name, r));
          g_assert_cmpmem (s, len, names[r], strlen (names[r]));
        }
      g_assert_true (dmpi_column_is_valid (dmpi_table_column (t, 2), r));
    }
  g_assert_cmpfloat (DMPI_COLUMN_FLOAT32 (dmpi_table_column (t, 2))[1], ==, 2.4999f);
  g_assert_cmpint (DMPI_COLUMN_INT64 (dmpi_table_column (t, 3))[2], ==, 2);
  g_assert_cmpfloat (DMPI_COLUMN_FLOAT64 (dmpi_table_column (t, 4))[2], ==, -7.0);

  /* Any block size: the same rows, each once. */
  gsize size = strlen (csv);
  for (guint64 bs = 1; bs <= size; bs += 3)
    {
      g_autoptr(GArray) blocks = dmpi_csv_list_blocks (path, bs, &error);
      g_assert_no_error (error);
      gsize total_in = 0;
      GString *seen = g_string_new (NULL);
      for (guint b = 0; b < blocks->len; b++)
        {
          const DmpiCsvBlock *blk = &g_array_index (blocks, DmpiCsvBlock, b);
          gsize in = 0;
          g_autoptr(DmpiTable) part = dmpi_csv_read_filtered (path, blk->offset, blk->length, cols,
                                                              G_N_ELEMENTS (cols), keep,
                                                              G_N_ELEMENTS (keep), &in, &error);
          if (part == NULL)
            {
              /* a boundary inside the quoted newline: documented as wrong */
              g_clear_error (&error);
              total_in = 11;
              g_string_assign (seen, "skip");
              break;
            }
          total_in += in;
          for (gsize r = 0; r < part->n_rows; r++)
            g_string_append_printf (seen, "%d,", DMPI_COLUMN_INT32 (dmpi_table_column (part, 0))[r]);
        }
      if (strcmp (seen->str, "skip") != 0)
        {
          g_assert_cmpuint (total_in, ==, 11);
          g_assert_cmpstr (seen->str, ==, "0,3,10,");
        }
      g_string_free (seen, TRUE);
    }

  /* A filter on a column that is not there, or not a number. */
  static const DmpiCsvRange bad_index[] = { { 5, 0, 1 } };
  g_assert_null (dmpi_csv_read_filtered (path, 0, G_MAXUINT64, cols, G_N_ELEMENTS (cols),
                                         bad_index, 1, NULL, &error));
  g_assert_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "filtered.csv"));
  g_clear_error (&error);
  static const DmpiCsvRange bad_type[] = { { 1, 0, 1 } };
  g_assert_null (dmpi_csv_read_filtered (path, 0, G_MAXUINT64, cols, G_N_ELEMENTS (cols),
                                         bad_type, 1, NULL, &error));
  g_assert_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "'name'"));
}

/* float32 values of decimals of up to 15 significant digits, in the forms
 * the 8-digits-at-a-time scanner sees (long integer parts, long fractions,
 * leading zeros, exponents, a field ending right at a group of 8), are
 * float (the correctly rounded double), as strtod then a cast gives. */
static void
test_decimals (Fixture *f, gconstpointer data)
{
  static const DmpiCsvColumn cols[] = { { "v", NULL, NULL, DMPI_COL_FLOAT32 } };
  GRand *rand = g_rand_new_with_seed (42);
  g_autoptr(GString) s = g_string_new ("v\n");
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  const char *fixed[] = { "12345678", "1234567.8", "-73.987654321", "40.12345678",
                          "0.000012345678", "00000000012345678.5", "12345678e-3",
                          "99999999.99999", "0.1", "-0", "123456781234567" };
  for (gsize i = 0; i < G_N_ELEMENTS (fixed); i++)
    g_ptr_array_add (texts, g_strdup (fixed[i]));
  for (int i = 0; i < 20000; i++)
    {
      int digits = g_rand_int_range (rand, 1, 16);
      int point = g_rand_int_range (rand, 0, digits + 1);
      GString *v = g_string_new (g_rand_boolean (rand) ? "-" : "");
      if (g_rand_int_range (rand, 0, 4) == 0)
        g_string_append (v, "000");
      for (int d = 0; d < digits; d++)
        {
          if (d == point && point > 0)
            g_string_append_c (v, '.');
          g_string_append_c (v, (char) ('0' + g_rand_int_range (rand, d == 0 ? 1 : 0, 10)));
        }
      if (g_rand_int_range (rand, 0, 5) == 0)
        g_string_append_printf (v, "e%d", g_rand_int_range (rand, -6, 7));
      g_ptr_array_add (texts, g_string_free (v, FALSE));
    }
  for (guint i = 0; i < texts->len; i++)
    g_string_append_printf (s, "%s\n", (char *) texts->pdata[i]);
  g_autofree char *path = write_file (f, "decimals.csv", s->str, (gssize) s->len);
  g_autoptr(GError) error = NULL;
  g_autoptr(DmpiTable) t = dmpi_csv_read (path, 0, G_MAXUINT64, cols, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (t->n_rows, ==, texts->len);
  for (guint i = 0; i < texts->len; i++)
    {
      gfloat want = (gfloat) g_ascii_strtod (texts->pdata[i], NULL);
      gfloat got = DMPI_COLUMN_FLOAT32 (dmpi_table_column (t, 0))[i];
      if (memcmp (&want, &got, sizeof want) != 0)
        g_error ("\"%s\": got %.9g, want %.9g", (char *) texts->pdata[i], got, want);
    }
  g_rand_free (rand);
}

/* The read buffer is sized to the block: every block size gives the same
 * rows, with lines much longer than a small block, numbers that end right
 * at the end of the file (the scanner reads 8 bytes at a time past them),
 * no final newline, and a line longer than the largest buffer (8 MB). */
static void
test_block_buffer (Fixture *f, gconstpointer data)
{
  static const DmpiCsvColumn cols[] = {
    { "s", NULL, NULL, DMPI_COL_STRING },
    { "v", NULL, NULL, DMPI_COL_FLOAT32 },
    { "w", NULL, NULL, DMPI_COL_FLOAT64 },
  };
  for (int variant = 0; variant < 3; variant++)
    {
      /* 0: final newline; 1: none; 2: a 9 MB line in the middle. */
      const guint n_rows = 300;
      g_autoptr(GString) content = g_string_new ("s,v,w\n");
      g_autoptr(GArray) lens = g_array_new (FALSE, FALSE, sizeof (gsize));
      for (guint i = 0; i < n_rows; i++)
        {
          gsize len = i % 10 == 3 ? 20000 : i % 7;
          if (variant == 2 && i == n_rows / 2)
            len = 9 << 20;
          g_array_append_val (lens, len);
          for (gsize k = 0; k < len; k++)
            g_string_append_c (content, (char) ('a' + (i + k) % 26));
          g_string_append_printf (content, ",%u2345678.5,-%u2345678.25", i % 10, i % 9 + 1);
          if (variant != 1 || i + 1 < n_rows)
            g_string_append_c (content, '\n');
        }
      g_autofree char *path = write_file (f, "long.csv", content->str, (gssize) content->len);
      const guint64 small[] = { 1000, 4096, 65536, content->len, 0 };
      const guint64 big[] = { 1 << 20, 0 };
      const guint64 *sizes = variant == 2 ? big : small;
      gsize n_sizes = variant == 2 ? G_N_ELEMENTS (big) : G_N_ELEMENTS (small);
      for (gsize k = 0; k < n_sizes; k++)
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(GArray) blocks = dmpi_csv_list_blocks (path, sizes[k], &error);
          g_assert_no_error (error);
          guint row = 0;
          for (guint b = 0; b < blocks->len; b++)
            {
              DmpiCsvBlock *blk = &g_array_index (blocks, DmpiCsvBlock, b);
              g_autoptr(DmpiTable) t = dmpi_csv_read (path, blk->offset, blk->length, cols, 3,
                                                      &error);
              g_assert_no_error (error);
              for (gsize r = 0; r < t->n_rows; r++, row++)
                {
                  gsize len;
                  const char *sv = dmpi_column_get_string (dmpi_table_column (t, 0), r, &len);
                  g_assert_cmpuint (row, <, n_rows);
                  g_assert_cmpuint (len, ==, g_array_index (lens, gsize, row));
                  g_assert_true (len == 0 || (sv[0] == (char) ('a' + row % 26) &&
                                              sv[len - 1] == (char) ('a' + (row + len - 1) % 26)));
                  g_assert_cmpfloat (DMPI_COLUMN_FLOAT32 (dmpi_table_column (t, 1))[r], ==,
                                     (gfloat) (row % 10 * 1e7 + 2345678.5));
                  g_assert_cmpfloat (DMPI_COLUMN_FLOAT64 (dmpi_table_column (t, 2))[r], ==,
                                     -((row % 9 + 1) * 1e7 + 2345678.25));
                }
            }
          g_assert_cmpuint (row, ==, n_rows);
        }
      g_unlink (path);
    }
}

static DmpiTable *
read_fmt (const char *path, const DmpiCsvFormat *format, const DmpiCsvColumn *cols, guint n,
          GError **error)
{
  return dmpi_csv_read_format (path, 0, G_MAXUINT64, format, cols, n, NULL, 0, 0, NULL, error);
}

static void
assert_string (DmpiTable *t, guint col, gsize row, const char *want)
{
  DmpiColumn *c = dmpi_table_column (t, col);
  if (want == NULL)
    {
      g_assert_false (dmpi_column_is_valid (c, row));
      return;
    }
  g_assert_true (dmpi_column_is_valid (c, row));
  gsize len;
  const char *s = dmpi_column_get_string (c, row, &len);
  g_assert_cmpmem (s, len, want, strlen (want));
}

/* The same table written with other delimiters and quotes. */
static void
test_format_delimiters (Fixture *f, gconstpointer data)
{
  static const struct { char delim, quote; const char *text; } files[] = {
    { '\t', '"', "id\tname\tx\r\n1\t\"a\tb\"\t1.5\r\n2\tc\"d\t-2\r\n" },
    { ';', '\'', "id;name;x\n1;'a;b';1.5\n2;'c\"d';-2\n" },
    { '|', 0, "id|name|x\n1|a;b|1.5\n2|c\"d|-2\n" },
    /* a delimiter that can be part of a number or a timestamp */
    { ' ', '"', "id name x\n1 \"a b\" 1.5\n2 c\"d -2\n" },
    { '.', '"', "id.name.x\n1.\"a.b\".1e0\n2.c\"d.-2\n" },
  };
  static const DmpiCsvColumn cols[] = {
    { "id", NULL, NULL, DMPI_COL_INT64 },
    { "name", NULL, NULL, DMPI_COL_STRING },
    { "x", NULL, NULL, DMPI_COL_FLOAT64 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = write_file (f, "d.csv", files[i].text, -1);
      DmpiCsvFormat fmt;
      dmpi_csv_format_init (&fmt);
      fmt.delimiter = files[i].delim;
      fmt.quote = files[i].quote;
      g_autoptr(GError) error = NULL;
      g_auto(GStrv) names = dmpi_csv_read_header_format (path, &fmt, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (g_strv_length (names), ==, 3);
      g_assert_cmpstr (names[2], ==, "x");
      g_autoptr(DmpiTable) t = read_fmt (path, &fmt, cols, 3, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (t->n_rows, ==, 2);
      g_assert_cmpint (DMPI_COLUMN_INT64 (dmpi_table_column (t, 0))[1], ==, 2);
      const char want[] = { 'a', files[i].delim == '|' ? ';' : files[i].delim, 'b', 0 };
      assert_string (t, 1, 0, want);
      assert_string (t, 1, 1, "c\"d");
      g_assert_cmpfloat (DMPI_COLUMN_FLOAT64 (dmpi_table_column (t, 2))[0], ==, i == 4 ? 1.0 : 1.5);
      g_assert_cmpfloat (DMPI_COLUMN_FLOAT64 (dmpi_table_column (t, 2))[1], ==, -2.0);
    }

  /* A quote that is the delimiter, or a line end, is refused. */
  g_autofree char *path = write_file (f, "d.csv", "a\n1\n", -1);
  DmpiCsvFormat bad;
  dmpi_csv_format_init (&bad);
  bad.delimiter = '"';
  g_autoptr(GError) error = NULL;
  g_assert_null (read_fmt (path, &bad, cols, 0, &error));
  g_assert_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED);
  g_clear_error (&error);
  bad.delimiter = '\n';
  g_assert_null (dmpi_csv_read_header_format (path, &bad, &error));
  g_assert_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED);
}

/* header = FALSE: columns "0", "1", ...; block 0 starts at byte 0; every
 * row lands in exactly one block for any block size, plain or compressed. */
static void
test_no_header (Fixture *f, gconstpointer data)
{
  g_autoptr(GString) s = g_string_new ("\xEF\xBB\xBF");
  const guint n_rows = 300;
  for (guint i = 0; i < n_rows; i++)
    g_string_append_printf (s, "%u,%.*s,%u\n", i, (int) (i % 13), "abcdefghijklm", i * 3);
  g_autofree char *path = write_file (f, "nohead.csv", s->str, (gssize) s->len);
  DmpiCsvFormat fmt;
  dmpi_csv_format_init (&fmt);
  fmt.header = FALSE;
  static const DmpiCsvColumn cols[] = {
    { "0", NULL, "n", DMPI_COL_INT32 },
    { "2", NULL, NULL, DMPI_COL_INT64 },
  };
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) names = dmpi_csv_read_header_format (path, &fmt, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (names), ==, 3);
  g_assert_cmpstr (names[0], ==, "0");
  g_assert_cmpstr (names[2], ==, "2");

  for (guint64 bs = 1; bs < s->len + 10; bs += bs < 40 ? 1 : 97)
    {
      g_autoptr(GArray) blocks = dmpi_csv_list_blocks (path, bs, &error);
      g_assert_no_error (error);
      gint64 prev = -1;
      for (guint b = 0; b < blocks->len; b++)
        {
          const DmpiCsvBlock *blk = &g_array_index (blocks, DmpiCsvBlock, b);
          gsize rows_in = 0;
          g_autoptr(DmpiTable) t = dmpi_csv_read_format (path, blk->offset, blk->length, &fmt,
                                                         cols, 2, NULL, 0, 0, &rows_in, &error);
          g_assert_no_error (error);
          g_assert_cmpuint (rows_in, ==, t->n_rows);
          g_assert_cmpstr (dmpi_table_column (t, 0)->name, ==, "n");
          for (gsize r = 0; r < t->n_rows; r++)
            {
              gint32 v = DMPI_COLUMN_INT32 (dmpi_table_column (t, 0))[r];
              g_assert_cmpint (v, ==, prev + 1);
              g_assert_cmpint (DMPI_COLUMN_INT64 (dmpi_table_column (t, 1))[r], ==, v * 3);
              prev = v;
            }
        }
      g_assert_cmpint (prev, ==, n_rows - 1);
    }

  g_autofree char *gz = g_build_filename (f->dir, "nohead.csv.gz", NULL);
  g_assert_true (write_compressed (gz, s->str, s->len, "gzip"));
  g_autoptr(DmpiTable) t = read_fmt (gz, &fmt, cols, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (t->n_rows, ==, n_rows);
  g_assert_cmpint (DMPI_COLUMN_INT32 (dmpi_table_column (t, 0))[0], ==, 0);
  g_auto(GStrv) gz_names = dmpi_csv_read_header_format (gz, &fmt, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (gz_names), ==, 3);

  /* With a header the first line is the header: no column "0". */
  g_assert_null (dmpi_csv_read (path, 0, G_MAXUINT64, cols, 2, &error));
  g_assert_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_MISSING_COLUMN);
}

static const DmpiCsvColumn na_cols[] = {
  { "s", NULL, NULL, DMPI_COL_STRING },
  { "i", NULL, NULL, DMPI_COL_INT32 },
  { "x", NULL, NULL, DMPI_COL_FLOAT32 },
  { "t", NULL, NULL, DMPI_COL_TIMESTAMP },
};

/* Missing values: "", pandas' default NA strings, na_values. */
static void
test_na_values (Fixture *f, gconstpointer data)
{
  g_autofree char *path = write_file (f, "na.csv",
    "s,i,x,t\n"
    "NA,NA,nan,NaT\n"          /* 0 */
    "\"\",N/A,NaN,\n"          /* 1: a quoted empty string is missing too */
    "n/a,-999,-nan,NULL\n"      /* 2 */
    "NAN,7,1.#IND,#N/A\n"       /* 3: "NAN" is not one of them */
    "\"NA\",\"null\",inf,<NA>\n"  /* 4: quoted the same */
    "missing,1,-999,None\n", -1);   /* 5 */
  DmpiCsvFormat fmt;
  dmpi_csv_format_init (&fmt);
  g_autoptr(GError) error = NULL;
  /* "NaT" is not a default NA string: a bad timestamp. */
  g_assert_null (read_fmt (path, &fmt, na_cols, 4, &error));
  g_assert_nonnull (strstr (error->message, "na.csv:2:11: column 't': cannot parse \"NaT\""));
  g_clear_error (&error);

  static const char *const extra[] = { "NaT", "-999", "missing", NULL };
  fmt.na_values = extra;
  g_autoptr(DmpiTable) t = read_fmt (path, &fmt, na_cols, 4, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (t->n_rows, ==, 6);
  DmpiColumn *i = dmpi_table_column (t, 1), *x = dmpi_table_column (t, 2);
  DmpiColumn *ts = dmpi_table_column (t, 3);
  const char *want_s[] = { NULL, NULL, NULL, "NAN", NULL, NULL };
  const gboolean i_valid[] = { 0, 0, 0, 1, 0, 1 }, x_valid[] = { 0, 0, 0, 0, 1, 0 };
  for (gsize r = 0; r < 6; r++)
    {
      assert_string (t, 0, r, want_s[r]);
      g_assert_cmpint (dmpi_column_is_valid (i, r), ==, i_valid[r]);
      g_assert_cmpint (dmpi_column_is_valid (x, r), ==, x_valid[r]);
      g_assert_false (dmpi_column_is_valid (ts, r));
    }
  g_assert_cmpint (DMPI_COLUMN_INT32 (i)[3], ==, 7);
  g_assert_true (isinf (DMPI_COLUMN_FLOAT32 (x)[4]));

  /* keep_default_na = FALSE: only "" and na_values. "nan" is then a NaN. */
  static const char *const only[] = { "-999", NULL };
  fmt.keep_default_na = FALSE;
  fmt.na_values = only;
  g_autoptr(DmpiTable) u = read_fmt (path, &fmt, na_cols, 1, &error);
  g_assert_no_error (error);
  assert_string (u, 0, 0, "NA");
  assert_string (u, 0, 1, NULL);
  assert_string (u, 0, 2, "n/a");
  assert_string (u, 0, 5, "missing");
  /* "1.#IND" is no longer missing: not a float */
  g_assert_null (read_fmt (path, &fmt, na_cols + 2, 1, &error));
  g_assert_nonnull (strstr (error->message, "na.csv:5:7: column 'x': cannot parse \"1.#IND\" as float32"));
  g_clear_error (&error);
  g_autofree char *nan = write_file (f, "nan.csv", "x\nnan\n-999\n", -1);
  g_autoptr(DmpiTable) v = read_fmt (nan, &fmt, na_cols + 2, 1, &error);
  g_assert_no_error (error);
  g_assert_true (dmpi_column_is_valid (dmpi_table_column (v, 0), 0));
  g_assert_true (isnan (DMPI_COLUMN_FLOAT32 (dmpi_table_column (v, 0))[0]));
  g_assert_false (dmpi_column_is_valid (dmpi_table_column (v, 0), 1));
  /* ... and "NA" in an int column is an error */
  g_assert_null (read_fmt (path, &fmt, na_cols + 1, 1, &error));
  g_assert_nonnull (strstr (error->message, "na.csv:2:4: column 'i': cannot parse \"NA\" as int32"));
}

static void
test_bool_duration (Fixture *f, gconstpointer data)
{
  g_autofree char *path = write_file (f, "bd.csv",
    "b,d\n"
    "True,0 days 00:00:02.5\n"
    "FALSE,-1 days +23:59:59\n"
    "true,5\n"
    ",00:01:00\n"
    "false,\n"
    "TRUE,1 days 02:03:04.000000001\n"
    "False,-00:00:01\n"
    "NA,2 hours 3 min\n", -1);
  static const DmpiCsvColumn cols[] = {
    { "b", NULL, NULL, DMPI_COL_BOOL },
    { "d", NULL, NULL, DMPI_COL_DURATION },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(DmpiTable) t = dmpi_csv_read (path, 0, G_MAXUINT64, cols, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (t->n_rows, ==, 8);
  DmpiColumn *b = dmpi_table_column (t, 0), *d = dmpi_table_column (t, 1);
  const int want_b[] = { 1, 0, 1, -1, 0, 1, 0, -1 };
  const gint64 s = G_GINT64_CONSTANT (1000000000);
  const gint64 want_d[] = { 2 * s + s / 2, -s, 5, 60 * s, -1, 93784 * s + 1, -s, 7380 * s };
  for (gsize r = 0; r < 8; r++)
    {
      g_assert_cmpint (dmpi_column_is_valid (b, r), ==, want_b[r] >= 0);
      if (want_b[r] >= 0)
        g_assert_cmpint (DMPI_COLUMN_BOOL (b)[r], ==, want_b[r]);
      g_assert_cmpint (dmpi_column_is_valid (d, r), ==, want_d[r] != -1);
      if (want_d[r] != -1)
        g_assert_cmpint (DMPI_COLUMN_INT64 (d)[r], ==, want_d[r]);
    }

  g_autofree char *bad = write_file (f, "badbool.csv", "b,d\nTrue,1\nyes,2\n", -1);
  expect_parse_error (bad, 0, G_MAXUINT64, cols, 2, "3:1", "column 'b': cannot parse \"yes\" as bool");
  g_autofree char *bad2 = write_file (f, "baddur.csv", "b,d\nTrue,1\nTrue,1 fortnight\n", -1);
  expect_parse_error (bad2, 0, G_MAXUINT64, cols, 2, "3:6", "cannot parse \"1 fortnight\" as duration");
}

static void
test_timestamp_formats (Fixture *f, gconstpointer data)
{
  static const struct { const char *format, *text; int y, mo, d, h, mi, s; gint64 ns; } cases[] = {
    { "%d/%m/%Y %H:%M:%S", "15/01/2015 19:05:39", 2015, 1, 15, 19, 5, 39, 0 },
    { "%d/%m/%Y %H:%M:%S", "5/1/2015  9:05:39", 2015, 1, 5, 9, 5, 39, 0 },
    { "%Y-%m-%dT%H:%M:%S%z", "2015-01-15T19:05:39+0100", 2015, 1, 15, 18, 5, 39, 0 },
    { "%Y-%m-%dT%H:%M:%S%z", "2015-01-15T19:05:39-05:30", 2015, 1, 16, 0, 35, 39, 0 },
    { "%Y-%m-%dT%H:%M:%S%z", "2015-01-15T19:05:39Z", 2015, 1, 15, 19, 5, 39, 0 },
    { "%y%m%d", "991231", 1999, 12, 31, 0, 0, 0, 0 },
    { "%y%m%d", "150102", 2015, 1, 2, 0, 0, 0, 0 },
    { "%b %d %Y %I:%M %p", "Jan 02 2015 12:30 AM", 2015, 1, 2, 0, 30, 0, 0 },
    { "%b %d %Y %I:%M %p", "sep 02 2015 1:30 pm", 2015, 9, 2, 13, 30, 0, 0 },
    { "%B %d, %Y", "February 28, 2016", 2016, 2, 28, 0, 0, 0, 0 },
    { "%j/%Y", "060/2016", 2016, 2, 29, 0, 0, 0, 0 },
    { "%H:%M:%S.%f", "01:02:03.5", 1900, 1, 1, 1, 2, 3, 500000000 },
    { "%Y%m%d %H%M%S.%f", "20150115 190539.123456789", 2015, 1, 15, 19, 5, 39, 123456789 },
    { "%%%Y", "%2015", 2015, 1, 1, 0, 0, 0, 0 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *q = strchr (cases[i].text, ',') ? "\"" : "";
      g_autofree char *content = g_strdup_printf ("a,when\n1,\"%s\"\n2,\n3,%s%s%s\n",
                                                  cases[i].text, q, cases[i].text, q);
      g_autofree char *path = write_file (f, "fmt.csv", content, -1);
      const DmpiCsvColumn cols[] = {
        { "when", NULL, NULL, DMPI_COL_TIMESTAMP, cases[i].format },
      };
      g_autoptr(GError) error = NULL;
      g_autoptr(DmpiTable) t = dmpi_csv_read (path, 0, G_MAXUINT64, cols, 1, &error);
      if (error != NULL)
        g_error ("format '%s' on \"%s\": %s", cases[i].format, cases[i].text, error->message);
      gint64 want = ts (cases[i].y, cases[i].mo, cases[i].d, cases[i].h, cases[i].mi, cases[i].s) +
                    cases[i].ns;
      DmpiColumn *c = dmpi_table_column (t, 0);
      g_assert_cmpuint (t->n_rows, ==, 3);
      g_assert_cmpint (DMPI_COLUMN_INT64 (c)[0], ==, want);
      g_assert_false (dmpi_column_is_valid (c, 1));
      g_assert_cmpint (DMPI_COLUMN_INT64 (c)[2], ==, want);
    }

  g_autofree char *path = write_file (f, "badfmt.csv", "a,when\n1,15/01/2015\n2,2015-01-15\n", -1);
  const DmpiCsvColumn cols[] = { { "when", NULL, NULL, DMPI_COL_TIMESTAMP, "%d/%m/%Y" } };
  expect_parse_error (path, 0, G_MAXUINT64, cols, 1, "3:3",
                      "column 'when': cannot parse \"2015-01-15\" as timestamp with format '%d/%m/%Y'");
  g_autofree char *p2 = write_file (f, "badday.csv", "a,when\n1,31/04/2015\n", -1);
  expect_parse_error (p2, 0, G_MAXUINT64, cols, 1, "2:3", "\"31/04/2015\"");

  /* an unsupported directive, or a format on a column that is not a timestamp */
  const DmpiCsvColumn unsupported[] = { { "when", NULL, NULL, DMPI_COL_TIMESTAMP, "%Y %Q" } };
  g_autoptr(GError) error = NULL;
  g_assert_null (dmpi_csv_read (path, 0, G_MAXUINT64, unsupported, 1, &error));
  g_assert_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "'when'"));
  g_assert_nonnull (strstr (error->message, "%Q"));
  g_clear_error (&error);
  const DmpiCsvColumn not_ts[] = { { "a", NULL, NULL, DMPI_COL_INT32, "%Y" } };
  g_assert_null (dmpi_csv_read (path, 0, G_MAXUINT64, not_ts, 1, &error));
  g_assert_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED);
}

/* max_rows: a plain file and a gzip file read only what head() needs; a
 * gzip file whose corrupt tail is never reached reads fine. */
static void
test_max_rows (Fixture *f, gconstpointer data)
{
  g_autoptr(GString) s = numbered_rows (200000, "\n", TRUE);
  g_autofree char *path = write_file (f, "many.csv", s->str, (gssize) s->len);
  g_autofree char *gz = g_build_filename (f->dir, "many.csv.gz", NULL);
  g_assert_true (write_compressed (gz, s->str, s->len, "gzip"));
  g_autofree char *bytes = NULL;
  gsize len;
  g_assert_true (g_file_get_contents (gz, &bytes, &len, NULL));
  g_autofree char *cut = write_file (f, "cut.csv.gz", bytes, (gssize) (len * 3 / 4));

  static const DmpiCsvColumn cols[] = {
    { "n", NULL, NULL, DMPI_COL_INT64 },
    { "payload", NULL, NULL, DMPI_COL_STRING },
  };
  /* keep the odd n only */
  static const DmpiCsvRange odd[] = { { 0, 100, 110, TRUE, FALSE } };
  const char *paths[] = { path, gz, cut };
  for (gsize i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(GError) error = NULL;
      gsize rows_in = 0;
      g_autoptr(DmpiTable) t = dmpi_csv_read_format (paths[i], 0, G_MAXUINT64, NULL, cols, 2, NULL,
                                                     0, 5, &rows_in, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (t->n_rows, ==, 5);
      g_assert_cmpuint (rows_in, ==, 5);
      g_assert_cmpint (DMPI_COLUMN_INT64 (dmpi_table_column (t, 0))[4], ==, 4);
      assert_string (t, 1, 3, "abcdefghijklmnopqrstu");

      /* with a filter: 3 rows kept of the 103 read */
      g_autoptr(DmpiTable) u = dmpi_csv_read_format (paths[i], 0, G_MAXUINT64, NULL, cols, 2, odd,
                                                     1, 3, &rows_in, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (u->n_rows, ==, 3);
      g_assert_cmpuint (rows_in, ==, 103);
      g_assert_cmpint (DMPI_COLUMN_INT64 (dmpi_table_column (u, 0))[0], ==, 100);
    }
  /* the whole of the cut file does fail */
  g_autoptr(GError) error = NULL;
  g_assert_null (dmpi_csv_read (cut, 0, G_MAXUINT64, cols, 2, &error));
  g_assert_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_CORRUPT);
}

/* No column requested: the rows are counted (len()). */
static void
test_zero_columns (Fixture *f, gconstpointer data)
{
  g_autoptr(GString) s = numbered_rows (1000, "\r\n", FALSE);
  g_string_append (s, "\n1,\"quoted\nnewline\",2\n");
  g_autofree char *path = write_file (f, "count.csv", s->str, (gssize) s->len);
  g_autofree char *gz = g_build_filename (f->dir, "count.csv.gz", NULL);
  g_assert_true (write_compressed (gz, s->str, s->len, "gzip"));
  for (int i = 0; i < 2; i++)
    {
      g_autoptr(GError) error = NULL;
      gsize rows_in = 0;
      g_autoptr(DmpiTable) t = dmpi_csv_read_format (i ? gz : path, 0, G_MAXUINT64, NULL, NULL, 0,
                                                     NULL, 0, 0, &rows_in, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (dmpi_table_n_columns (t), ==, 0);
      g_assert_cmpuint (t->n_rows, ==, 1001);
      g_assert_cmpuint (rows_in, ==, 1001);
      g_autoptr(GBytes) bytes = dmpi_table_serialize (t);
      g_autoptr(DmpiTable) back = dmpi_table_deserialize (bytes, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (back->n_rows, ==, 1001);
    }
  /* a malformed line is still an error */
  g_autofree char *bad = write_file (f, "bad.csv", "a,b\n1,2\n3\n", -1);
  g_autoptr(GError) error = NULL;
  g_assert_null (dmpi_csv_read_format (bad, 0, G_MAXUINT64, NULL, NULL, 0, NULL, 0, 0, NULL, &error));
  g_assert_nonnull (strstr (error->message, "bad.csv:3:2: expected 2 fields, found 1: no value for column 'b' in \"3\""));
}

/* Inclusive bounds, one-sided ranges, float32 values compared as stored. */
static void
test_inclusive_ranges (Fixture *f, gconstpointer data)
{
  g_autofree char *path = write_file (f, "r.csv",
    "i,x,n\n"
    "0,0.1,-5\n"
    "1,0.5,0\n"
    "2,1,5\n"
    "3,-inf,10\n"
    "4,inf,11\n"
    "5,,3\n"
    "6,nan,3\n", -1);
  static const DmpiCsvColumn cols[] = {
    { "i", NULL, NULL, DMPI_COL_INT32 },
    { "x", NULL, NULL, DMPI_COL_FLOAT32 },
    { "n", NULL, NULL, DMPI_COL_INT64 },
  };
  static const struct { DmpiCsvRange r; const char *want; } cases[] = {
    { { 2, 0, 10, FALSE, FALSE }, "2,5,6," },
    { { 2, 0, 10, TRUE, FALSE }, "1,2,5,6," },
    { { 2, 0, 10, FALSE, TRUE }, "2,3,5,6," },
    { { 2, 0, 10, TRUE, TRUE }, "1,2,3,5,6," },
    { { 2, -INFINITY, 5, FALSE, TRUE }, "0,1,2,5,6," },
    { { 1, 0.5, 1, TRUE, TRUE }, "1,2," },
    { { 1, -INFINITY, INFINITY, TRUE, TRUE }, "0,1,2,3,4," },
    { { 1, -INFINITY, INFINITY, FALSE, FALSE }, "0,1,2," },
    /* float32 "0.1" is 0.100000001490116: above the double 0.1 */
    { { 1, 0.1, 0.2, FALSE, FALSE }, "0," },
    { { 1, (double) 0.1f, 0.2, FALSE, FALSE }, "" },
    { { 1, (double) 0.1f, 0.2, TRUE, FALSE }, "0," },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      gsize rows_in = 0;
      g_autoptr(DmpiTable) t = dmpi_csv_read_format (path, 0, G_MAXUINT64, NULL, cols, 3,
                                                     &cases[i].r, 1, 0, &rows_in, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (rows_in, ==, 7);
      g_autoptr(GString) got = g_string_new (NULL);
      for (gsize r = 0; r < t->n_rows; r++)
        g_string_append_printf (got, "%d,", DMPI_COLUMN_INT32 (dmpi_table_column (t, 0))[r]);
      if (strcmp (got->str, cases[i].want) != 0)
        g_error ("range %zu: got %s, want %s", i, got->str, cases[i].want);
    }
}

/* Types inferred from a sample as pandas does, and the error when a block
 * further on does not fit them. */
static void
test_infer (Fixture *f, gconstpointer data)
{
  g_autofree char *path = write_file (f, "infer.csv",
    "int,intna,float,mixed,bool,allna,str,when,neg,boolna,exp\n"
    "1,1,1.5,1,True,,a,2015-01-01 00:00:00,-3,True,1e5\n"
    "2,,2,2.5,false,NA,b,2015-01-02,+4,,2\n"
    "3,NA,-inf,3,FALSE,,1,2015-01-03,0,False,3\n", -1);
  static const DmpiColType want[] = {
    DMPI_COL_INT64, DMPI_COL_INT64, DMPI_COL_FLOAT64, DMPI_COL_FLOAT64, DMPI_COL_BOOL,
    DMPI_COL_FLOAT64, DMPI_COL_STRING, DMPI_COL_STRING, DMPI_COL_INT64, DMPI_COL_BOOL,
    DMPI_COL_FLOAT64,
  };
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) names = NULL;
  g_autofree DmpiColType *types = NULL;
  g_assert_true (dmpi_csv_infer_types (path, NULL, 0, &names, &types, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (names), ==, G_N_ELEMENTS (want));
  for (gsize i = 0; i < G_N_ELEMENTS (want); i++)
    if (types[i] != want[i])
      g_error ("column %s: inferred %s, want %s", names[i], dmpi_col_type_name (types[i]),
               dmpi_col_type_name (want[i]));

  /* No header, a tab: the same rules. */
  g_autofree char *p2 = write_file (f, "infer.tsv", "1\tx\t\n2\t\t0.5\n", -1);
  DmpiCsvFormat fmt;
  dmpi_csv_format_init (&fmt);
  fmt.header = FALSE;
  fmt.delimiter = '\t';
  g_auto(GStrv) n2 = NULL;
  g_autofree DmpiColType *t2 = NULL;
  g_assert_true (dmpi_csv_infer_types (p2, &fmt, 0, &n2, &t2, &error));
  g_assert_cmpstr (n2[1], ==, "1");
  g_assert_cmpint (t2[0], ==, DMPI_COL_INT64);
  g_assert_cmpint (t2[1], ==, DMPI_COL_STRING);
  g_assert_cmpint (t2[2], ==, DMPI_COL_FLOAT64);

  /* An int column that turns float after the sample. */
  g_autoptr(GString) s = g_string_new ("id,v,w\n");
  for (int i = 0; i < 20000; i++)
    g_string_append_printf (s, "%d,%d,x\n", i, i % 100);
  g_string_append (s, "20000,2.5,x\n");
  g_autofree char *late = write_file (f, "late.csv", s->str, (gssize) s->len);
  g_autofree char *gz = g_build_filename (f->dir, "late.csv.gz", NULL);
  g_assert_true (write_compressed (gz, s->str, s->len, "gzip"));
  for (int k = 0; k < 2; k++)
    {
      const char *p = k ? gz : late;
      g_auto(GStrv) n3 = NULL;
      g_autofree DmpiColType *t3 = NULL;
      g_assert_true (dmpi_csv_infer_types (p, NULL, 1000, &n3, &t3, &error));
      g_assert_cmpint (t3[1], ==, DMPI_COL_INT64);
      DmpiCsvColumn cols[3];
      for (int c = 0; c < 3; c++)
        cols[c] = (DmpiCsvColumn) { n3[c], NULL, NULL, t3[c], NULL };
      /* the last block of the plain file, or the whole compressed one */
      guint64 offset = k ? 0 : s->len - 100;
      g_assert_null (dmpi_csv_read_format (p, offset, G_MAXUINT64, NULL, cols, 3, NULL, 0, 0, NULL,
                                           &error));
      g_test_message ("error: %s", error->message);
      g_autofree char *where = g_strdup_printf ("%s:20002:7: column 'v': cannot parse \"2.5\" as int64", p);
      g_assert_true (g_str_has_prefix (error->message, where));
      g_assert_nonnull (strstr (error->message, "give the column's type explicitly (float64)"));
      g_clear_error (&error);
    }
}

/* Errors name the line of the file for a block anywhere in it, the byte
 * in the line, the column and the text. */
static void
test_error_positions (Fixture *f, gconstpointer data)
{
  g_autoptr(GString) s = g_string_new ("a,b,c\n");
  for (int i = 0; i < 5000; i++)
    g_string_append_printf (s, i % 100 == 7 ? "%d,\"two\nlines\",%d\n" : "%d,x,%d\n", i, i);
  g_string_append (s, "1,\"q\nq\",12345678901234567890123456789012345678901234567890\n");
  g_autofree char *path = write_file (f, "pos.csv", s->str, (gssize) s->len);
  static const DmpiCsvColumn cols[] = {
    { "b", NULL, NULL, DMPI_COL_STRING },
    { "c", NULL, NULL, DMPI_COL_INT32 },
  };
  /* 5000 rows, 50 of them on two lines: the bad row is line 5052, its
   * value on the row's second line, line 5053, at byte 4. */
  const char *what = "column 'c': cannot parse \"1234567890123456789012345678901234567890...\" as int32";
  g_autoptr(GArray) blocks = dmpi_csv_list_blocks (path, 4096, NULL);
  const DmpiCsvBlock *last = &g_array_index (blocks, DmpiCsvBlock, blocks->len - 1);
  expect_parse_error (path, last->offset, last->length, cols, 2, "5053:4", what);
  expect_parse_error (path, 0, G_MAXUINT64, cols, 2, "5053:4", what);
  g_autofree char *gz = g_build_filename (f->dir, "pos.csv.gz", NULL);
  g_assert_true (write_compressed (gz, s->str, s->len, "gzip"));
  expect_parse_error (gz, 0, G_MAXUINT64, cols, 2, "5053:4", what);
  /* without a header, one line less */
  DmpiCsvFormat fmt;
  dmpi_csv_format_init (&fmt);
  fmt.header = FALSE;
  static const DmpiCsvColumn nocols[] = { { "2", NULL, NULL, DMPI_COL_STRING } };
  g_autoptr(GError) error = NULL;
  g_autoptr(DmpiTable) t = dmpi_csv_read_format (path, last->offset, last->length, &fmt, nocols, 1,
                                                 NULL, 0, 0, NULL, &error);
  g_assert_no_error (error);
  static const DmpiCsvColumn nocols2[] = { { "2", NULL, NULL, DMPI_COL_INT32 } };
  g_assert_null (dmpi_csv_read_format (path, last->offset, last->length, &fmt, nocols2, 1, NULL, 0,
                                       0, NULL, &error));
  g_assert_nonnull (strstr (error->message, "pos.csv:5053:4: column '2'"));
  g_clear_error (&error);

  /* the cost of the line number: counting the newlines before a block */
  g_autoptr(GString) big = g_string_sized_new (64 << 20);
  g_string_append (big, "a,b\n");
  while (big->len < (64 << 20))
    g_string_append (big, "1,2\n12345,1234567890\n");
  g_string_append (big, "x,1\n");
  g_autofree char *bigpath = write_file (f, "big.csv", big->str, (gssize) big->len);
  static const DmpiCsvColumn a[] = { { "a", NULL, NULL, DMPI_COL_INT32 } };
  gint64 t0 = g_get_monotonic_time ();
  g_assert_null (dmpi_csv_read (bigpath, big->len - 10, 10, a, 1, &error));
  gint64 t1 = g_get_monotonic_time ();
  g_test_message ("line number of an error at the end of a 64 MB file: %.1f ms (%s)",
                  (t1 - t0) / 1e3, error->message);
  guint lines = 0;
  for (gsize i = 0; i < big->len; i++)
    lines += big->str[i] == '\n';
  g_autofree char *where = g_strdup_printf ("big.csv:%u:1: column 'a'", lines);
  g_assert_nonnull (strstr (error->message, where));
}

/* The reference job's read (14 typed columns, the range filter pushed down)
 * over a 100 MB file: run with -m perf, on DMPI_CSV_SPEED_FILE if set (e.g.
 * written by contrib/nyctaxi/gen-nyctaxi --mb 100), else on a generated
 * file of the same shape. Prints the best of 5 in CPU time. */
static void
test_speed (Fixture *f, gconstpointer data)
{
  static const DmpiCsvColumn input_columns[] = {
    { "VendorID", NULL, NULL, DMPI_COL_INT32 },
    { "tpep_pickup_datetime", NULL, "pickup_datetime", DMPI_COL_TIMESTAMP },
    { "tpep_dropoff_datetime", NULL, "dropoff_datetime", DMPI_COL_TIMESTAMP },
    { "passenger_count", NULL, NULL, DMPI_COL_INT32 },
    { "trip_distance", NULL, NULL, DMPI_COL_FLOAT32 },
    { "pickup_longitude", NULL, NULL, DMPI_COL_FLOAT32 },
    { "pickup_latitude", NULL, NULL, DMPI_COL_FLOAT32 },
    { "RateCodeID", "RatecodeID", "rate_code", DMPI_COL_INT32 },
    { "dropoff_longitude", NULL, NULL, DMPI_COL_FLOAT32 },
    { "dropoff_latitude", NULL, NULL, DMPI_COL_FLOAT32 },
    { "payment_type", NULL, NULL, DMPI_COL_INT32 },
    { "fare_amount", NULL, NULL, DMPI_COL_FLOAT32 },
    { "tip_amount", NULL, NULL, DMPI_COL_FLOAT32 },
    { "total_amount", NULL, NULL, DMPI_COL_FLOAT32 },
  };
  static const DmpiCsvRange filter[] = {
    { 11, 0.0, 500.0 }, { 3, 0.0, 6.0 }, { 5, -75.0, -73.0 }, { 8, -75.0, -73.0 },
    { 6, 40.0, 42.0 }, { 9, 40.0, 42.0 },
  };
  if (!g_test_perf ())
    {
      g_test_skip ("a speed figure: run with -m perf");
      return;
    }
  g_autofree char *path = g_strdup (g_getenv ("DMPI_CSV_SPEED_FILE"));
  if (path == NULL)
    {
      GRand *rand = g_rand_new_with_seed (7);
      g_autoptr(GString) s = g_string_sized_new (101 << 20);
      g_string_append (s, "VendorID,tpep_pickup_datetime,tpep_dropoff_datetime,passenger_count,"
                       "trip_distance,pickup_longitude,pickup_latitude,RateCodeID,"
                       "store_and_fwd_flag,dropoff_longitude,dropoff_latitude,payment_type,"
                       "fare_amount,extra,mta_tax,tip_amount,tolls_amount,"
                       "improvement_surcharge,total_amount\n");
      while (s->len < (100 << 20))
        {
          int d = g_rand_int_range (rand, 1, 29), h = g_rand_int_range (rand, 0, 23);
          g_string_append_printf (s, "%d,2015-01-%02d %02d:%02d:%02d,2015-01-%02d %02d:%02d:%02d,%d,"
                                  "%.2f,%.15g,%.15g,1,N,%.15g,%.15g,%d,%.1f,0.5,0.5,%.2f,0,0.3,%.2f\n",
                                  g_rand_int_range (rand, 1, 3), d, h, g_rand_int_range (rand, 0, 60),
                                  g_rand_int_range (rand, 0, 60), d, h + 1,
                                  g_rand_int_range (rand, 0, 60), g_rand_int_range (rand, 0, 60),
                                  g_rand_int_range (rand, 0, 7), g_rand_double_range (rand, 0, 20),
                                  (double) (gfloat) g_rand_double_range (rand, -74.1, -73.7),
                                  (double) (gfloat) g_rand_double_range (rand, 40.6, 40.9),
                                  (double) (gfloat) g_rand_double_range (rand, -74.1, -73.7),
                                  (double) (gfloat) g_rand_double_range (rand, 40.6, 40.9),
                                  g_rand_int_range (rand, 1, 3), g_rand_double_range (rand, 2, 80),
                                  g_rand_double_range (rand, 0, 10), g_rand_double_range (rand, 3, 90));
        }
      g_rand_free (rand);
      g_free (path);
      path = write_file (f, "speed.csv", s->str, (gssize) s->len);
    }
  GStatBuf st;
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) blocks = dmpi_csv_list_blocks (path, 0, &error);
  g_assert_no_error (error);
  double best = G_MAXDOUBLE;
  gsize kept = 0, in = 0;
  for (int rep = 0; rep < 5; rep++)
    {
      struct timespec t0, t1;
      clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &t0);
      kept = in = 0;
      for (guint b = 0; b < blocks->len; b++)
        {
          const DmpiCsvBlock *blk = &g_array_index (blocks, DmpiCsvBlock, b);
          gsize rows_in = 0;
          g_autoptr(DmpiTable) t = dmpi_csv_read_filtered (path, blk->offset, blk->length,
                                                           input_columns,
                                                           G_N_ELEMENTS (input_columns), filter,
                                                           G_N_ELEMENTS (filter), &rows_in, &error);
          g_assert_no_error (error);
          kept += t->n_rows, in += rows_in;
        }
      clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &t1);
      best = MIN (best, (double) (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
    }
  g_test_message ("speed: %.1f MB/s (%.0f MB in %.3f s of CPU, best of 5; %zu rows read, %zu kept)",
                  (double) st.st_size / 1e6 / best, (double) st.st_size / 1e6, best, in, kept);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(name, fn) g_test_add ("/df/csv/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("edge-cases", test_edge_cases);
  ADD ("compressed", test_compressed);
  ADD ("blocks", test_blocks);
  ADD ("block-buffer", test_block_buffer);
  ADD ("missing-column", test_missing_column);
  ADD ("malformed", test_malformed);
  ADD ("truncated-gz", test_truncated_gz);
  ADD ("quoted-newlines-stream", test_quoted_newlines_stream);
  ADD ("timestamp-range", test_timestamp_range);
  ADD ("filtered", test_filtered);
  ADD ("decimals", test_decimals);
  ADD ("format-delimiters", test_format_delimiters);
  ADD ("no-header", test_no_header);
  ADD ("na-values", test_na_values);
  ADD ("bool-duration", test_bool_duration);
  ADD ("timestamp-formats", test_timestamp_formats);
  ADD ("max-rows", test_max_rows);
  ADD ("zero-columns", test_zero_columns);
  ADD ("inclusive-ranges", test_inclusive_ranges);
  ADD ("infer", test_infer);
  ADD ("error-positions", test_error_positions);
  ADD ("speed", test_speed);
  return g_test_run ();
}
