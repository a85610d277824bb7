/* Writes Parquet files of known contents for parquet-readback.sh, whose
 * node script recomputes every value from the row number with the same
 * formulas (keep the two in step):
 *
 *   i32 = r * 7 - 5000                 f32 = (r % 1000) * 0.25 - 50
 *   i64 = r * 1000000000007 - 3        f64 = r / 8 - 0.125
 *   ts  = (1420070400 + 61 r) s + (r % 1000) us + (r % 7) ns;  row 5: -1500 ns
 *   str = "" when r % 17 == 0, else "v<r % 17>", "é" added when r % 3 == 0,
 *         300 "x" added when r % 1000 == 999
 *   dur = r s - 5 s
 *   in the opt-* files, column c (0-based) misses row r when
 *   (r + c) % 5 == 2 or 3000 <= r < 3100.
 *
 * Usage: parquet-gen DIR
 *        parquet-gen --bench ROWS DIR   (times a table shaped like the
 *        reference job's output: 26 columns, snappy or, with
 *        DMPI_BENCH_CODEC=none, uncompressed; prints MB/s) */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>

#include "df/parquet.h"
#include "test-tables.h"

#define N_ROWS 10000

static DmpiTable *
make_table (gsize n, gboolean nulls)
{
  DmpiColumn *c[DMPI_COL_N_TYPES];
  DmpiTable *t = test_table_all_types (n, nulls, c);
  GString *chars = g_string_new (NULL);

  for (gsize r = 0; r < n; r++)
    {
      ((gint32 *) c[DMPI_COL_INT32]->data)[r] = (gint32) r * 7 - 5000;
      ((gint64 *) c[DMPI_COL_INT64]->data)[r] = (gint64) r * G_GINT64_CONSTANT (1000000000007) - 3;
      ((float *) c[DMPI_COL_FLOAT32]->data)[r] = (float) (r % 1000) * 0.25f - 50.0f;
      ((double *) c[DMPI_COL_FLOAT64]->data)[r] = (double) r / 8.0 - 0.125;
      ((gint64 *) c[DMPI_COL_TIMESTAMP]->data)[r] = r == 5 ? -1500
        : (G_GINT64_CONSTANT (1420070400) + 61 * (gint64) r) * 1000000000
          + (gint64) (r % 1000) * 1000 + (gint64) (r % 7);
      if (r % 17 != 0)
        {
          g_string_append_printf (chars, "v%u", (guint) (r % 17));
          if (r % 3 == 0)
            g_string_append (chars, "é");
          if (r % 1000 == 999)
            for (int k = 0; k < 300; k++)
              g_string_append_c (chars, 'x');
        }
      c[DMPI_COL_STRING]->offsets[r + 1] = (guint32) chars->len;
      ((gint64 *) c[DMPI_COL_DURATION]->data)[r] = (gint64) r * 1000000000 - 5000000000;
      ((guint8 *) c[DMPI_COL_BOOL]->data)[r] = r % 3 == 1 || r % 11 == 0;
      for (guint i = 0; nulls && i < DMPI_COL_N_TYPES; i++)
        c[i]->valid[r] = !((r + i) % 5 == 2 || (r >= 3000 && r < 3100));
    }
  c[DMPI_COL_STRING]->chars_len = chars->len;
  c[DMPI_COL_STRING]->chars = g_string_free (chars, FALSE);
  return t;
}

static gboolean
write_one (const char *dir, const char *name, DmpiTable *t, DmpiParquetCodec codec,
       DmpiParquetTimestampUnit unit)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (dir, name, NULL);
  DmpiParquetOptions opts;

  dmpi_parquet_options_init (&opts);
  opts.codec = codec;
  opts.timestamp_unit = unit;
  opts.row_group_rows = 3000;   /* four row groups */
  opts.page_bytes = 4096;       /* many pages per column chunk */
  if (!dmpi_parquet_write_file (t, path, &opts, &error))
    {
      fprintf (stderr, "parquet-gen: %s\n", error->message);
      return FALSE;
    }
  return TRUE;
}

/* The reference job's 26 output columns with plausible taxi values. */
static DmpiTable *
make_job_table (gsize n)
{
  static const struct { const char *name; DmpiColType type; } cols[] = {
    { "VendorID", DMPI_COL_INT32 }, { "pickup_datetime", DMPI_COL_TIMESTAMP },
    { "dropoff_datetime", DMPI_COL_TIMESTAMP }, { "passenger_count", DMPI_COL_INT32 },
    { "trip_distance", DMPI_COL_FLOAT32 }, { "pickup_longitude", DMPI_COL_FLOAT32 },
    { "pickup_latitude", DMPI_COL_FLOAT32 }, { "rate_code", DMPI_COL_INT32 },
    { "dropoff_longitude", DMPI_COL_FLOAT32 }, { "dropoff_latitude", DMPI_COL_FLOAT32 },
    { "payment_type", DMPI_COL_INT32 }, { "fare_amount", DMPI_COL_FLOAT32 },
    { "tip_amount", DMPI_COL_FLOAT32 }, { "total_amount", DMPI_COL_FLOAT32 },
    { "hour", DMPI_COL_INT32 }, { "year", DMPI_COL_INT32 }, { "month", DMPI_COL_INT32 },
    { "day", DMPI_COL_INT32 }, { "day_of_week", DMPI_COL_INT32 }, { "diff", DMPI_COL_DURATION },
    { "pickup_latitude_r", DMPI_COL_FLOAT32 }, { "pickup_longitude_r", DMPI_COL_FLOAT32 },
    { "dropoff_latitude_r", DMPI_COL_FLOAT32 }, { "dropoff_longitude_r", DMPI_COL_FLOAT32 },
    { "h_distance", DMPI_COL_FLOAT32 }, { "is_weekend", DMPI_COL_INT32 },
  };
  DmpiTable *t = test_table_new (n);
  GRand *rand = g_rand_new_with_seed (2015);

  for (guint c = 0; c < G_N_ELEMENTS (cols); c++)
    {
      DmpiColumn *col = test_column_new (cols[c].name, cols[c].type, n, FALSE);
      g_ptr_array_add (t->columns, col);
      gint64 ts = G_GINT64_CONSTANT (1420070400);
      for (gsize r = 0; r < n; r++)
        switch (cols[c].type)
          {
          case DMPI_COL_INT32:
            ((gint32 *) col->data)[r] = g_rand_int_range (rand, 0, c == 15 ? 1 : 24) + (c == 15 ? 2015 : 0);
            break;
          case DMPI_COL_FLOAT32:
            /* Prices and coordinates: few significant digits, as in the CSV. */
            ((float *) col->data)[r] = (float) (g_rand_int_range (rand, 0, 100000) / 100.0 - (c == 5 || c == 8 ? 800.0 : 0));
            break;
          case DMPI_COL_TIMESTAMP:
            ts += g_rand_int_range (rand, 0, 3);   /* sorted-ish, to the second */
            ((gint64 *) col->data)[r] = ts * 1000000000;
            break;
          default:
            ((gint64 *) col->data)[r] = (gint64) g_rand_int_range (rand, 60, 3600) * 1000000000;
            break;
          }
    }
  g_rand_free (rand);
  return t;
}

static int
bench (gsize n, const char *dir)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (dir, "part.0.parquet", NULL);
  DmpiTable *t = make_job_table (n);
  GStatBuf st;

  DmpiParquetOptions opts;
  dmpi_parquet_options_init (&opts);
  if (g_strcmp0 (g_getenv ("DMPI_BENCH_CODEC"), "none") == 0)
    opts.codec = DMPI_PARQUET_CODEC_UNCOMPRESSED;

  gint64 t0 = g_get_monotonic_time ();
  gboolean ok = dmpi_parquet_write_file (t, path, &opts, &error);
  gint64 t1 = g_get_monotonic_time ();
  test_table_free (t);
  if (!ok)
    {
      fprintf (stderr, "parquet-gen: %s\n", error->message);
      return 1;
    }
  g_stat (path, &st);
  double secs = (double) (t1 - t0) / 1e6;
  printf ("%" G_GSIZE_FORMAT " rows x 26 columns: %.1f MB of Parquet (%s) in %.2f s: "
          "%.0f MB/s written, %.1f M rows/s\n", n, (double) st.st_size / 1e6,
          opts.codec == DMPI_PARQUET_CODEC_SNAPPY ? "snappy" : "uncompressed", secs,
          (double) st.st_size / 1e6 / secs, (double) n / 1e6 / secs);
  return 0;
}

int
main (int argc, char **argv)
{
  if (argc == 4 && strcmp (argv[1], "--bench") == 0)
    return bench ((gsize) g_ascii_strtoull (argv[2], NULL, 10), argv[3]);
  if (argc != 2)
    {
      fprintf (stderr, "usage: parquet-gen DIR | parquet-gen --bench ROWS DIR\n");
      return 2;
    }
  const char *dir = argv[1];
  DmpiTable *req = make_table (N_ROWS, FALSE);
  DmpiTable *opt = make_table (N_ROWS, TRUE);
  DmpiTable *all_null = make_table (50, TRUE);
  memset (((DmpiColumn *) g_ptr_array_index (all_null->columns, 0))->valid, 0, 50);
  gboolean ok =
    write_one (dir, "req-snappy.parquet", req, DMPI_PARQUET_CODEC_SNAPPY, DMPI_PARQUET_TIMESTAMP_MICROS)
    && write_one (dir, "req-none.parquet", req, DMPI_PARQUET_CODEC_UNCOMPRESSED, DMPI_PARQUET_TIMESTAMP_MICROS)
    && write_one (dir, "opt-snappy.parquet", opt, DMPI_PARQUET_CODEC_SNAPPY, DMPI_PARQUET_TIMESTAMP_MICROS)
    && write_one (dir, "opt-none.parquet", opt, DMPI_PARQUET_CODEC_UNCOMPRESSED, DMPI_PARQUET_TIMESTAMP_MICROS)
    && write_one (dir, "opt-nanos.parquet", opt, DMPI_PARQUET_CODEC_SNAPPY, DMPI_PARQUET_TIMESTAMP_NANOS)
    && write_one (dir, "all-null.parquet", all_null, DMPI_PARQUET_CODEC_SNAPPY, DMPI_PARQUET_TIMESTAMP_MICROS);
  test_table_free (req);
  test_table_free (opt);
  test_table_free (all_null);
  return ok ? 0 : 1;
}
