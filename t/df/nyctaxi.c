/* The reference job's transformation, step by step. */
#include "config.h"

#include "df/nyctaxi.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

static const char header_fmt[] =
  "VendorID,tpep_pickup_datetime,tpep_dropoff_datetime,passenger_count,trip_distance,"
  "pickup_longitude,pickup_latitude,%s,store_and_fwd_flag,dropoff_longitude,"
  "dropoff_latitude,payment_type,fare_amount,extra,mta_tax,tip_amount,tolls_amount,"
  "improvement_surcharge,total_amount\n";

/* A valid row to vary: fields by name. */
typedef struct {
  const char *vendor, *pickup, *dropoff, *passengers, *distance, *plon, *plat, *rate,
             *dlon, *dlat, *payment, *fare, *tip, *total;
} Row;

static const Row base = {
  "2", "2015-01-15 19:05:39", "2015-01-15 19:23:42", "1", "1.59", "-73.993896484375",
  "40.750110626220703", "1", "-73.974784851074219", "40.750617980957031", "1", "12",
  "3.25", "17.05",
};

static void
append_row (GString *s, const Row *r)
{
  g_string_append_printf (s, "%s,%s,%s,%s,%s,%s,%s,%s,N,%s,%s,%s,%s,0.5,0.5,%s,0,0.3,%s\n",
                          r->vendor, r->pickup, r->dropoff, r->passengers, r->distance,
                          r->plon, r->plat, r->rate, r->dlon, r->dlat, r->payment, r->fare,
                          r->tip, r->total);
}

static DmpiTable *
run_job (const char *spelling, const Row *rows, gsize n, gsize *rows_in)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("dmpi-nyctaxi-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *path = g_build_filename (dir, "taxi.csv", NULL);
  g_autoptr(GString) s = g_string_new (NULL);
  g_string_append_printf (s, header_fmt, spelling);
  for (gsize i = 0; i < n; i++)
    append_row (s, &rows[i]);
  g_assert_true (g_file_set_contents (path, s->str, (gssize) s->len, NULL));
  DmpiTable *t = dmpi_nyctaxi_read_block (path, 0, G_MAXUINT64, rows_in, &error);
  g_assert_no_error (error);
  /* The block reader filters while parsing; reading everything and then
   * transforming (which filters a built table) must give the same cells. */
  g_autoptr(DmpiTable) u = dmpi_csv_read (path, 0, G_MAXUINT64, dmpi_nyctaxi_input_columns (),
                                          DMPI_NYCTAXI_N_INPUT_COLUMNS, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (u->n_rows, ==, n);
  g_assert_true (dmpi_nyctaxi_transform (u, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (dmpi_table_n_columns (u), ==, dmpi_table_n_columns (t));
  g_assert_cmpuint (u->n_rows, ==, t->n_rows);
  for (guint c = 0; c < dmpi_table_n_columns (t); c++)
    for (gsize r = 0; r < t->n_rows; r++)
      {
        g_autofree char *a = dmpi_table_format_value (t, c, r);
        g_autofree char *b = dmpi_table_format_value (u, c, r);
        g_assert_cmpstr (a, ==, b);
      }
  g_unlink (path);
  g_rmdir (dir);
  return t;
}

static gint32
i32 (DmpiTable *t, const char *col, gsize row)
{
  DmpiColumn *c = dmpi_table_get_column (t, col);
  g_assert_nonnull (c);
  g_assert_cmpint (c->type, ==, DMPI_COL_INT32);
  return DMPI_COLUMN_INT32 (c)[row];
}

static gfloat
f32 (DmpiTable *t, const char *col, gsize row)
{
  DmpiColumn *c = dmpi_table_get_column (t, col);
  g_assert_nonnull (c);
  g_assert_cmpint (c->type, ==, DMPI_COL_FLOAT32);
  return DMPI_COLUMN_FLOAT32 (c)[row];
}

static void
test_columns (void)
{
  for (int k = 0; k < 2; k++)
    {
      const char *spelling = k == 0 ? "RateCodeID" : "RatecodeID";
      Row r = base;
      r.rate = "5";
      gsize rows_in = 0;
      g_autoptr(DmpiTable) t = run_job (spelling, &r, 1, &rows_in);
      g_assert_cmpuint (rows_in, ==, 1);
      g_assert_cmpuint (t->n_rows, ==, 1);
      const char *const *names = dmpi_nyctaxi_output_columns ();
      g_assert_cmpuint (dmpi_table_n_columns (t), ==, DMPI_NYCTAXI_N_OUTPUT_COLUMNS);
      g_assert_cmpuint (g_strv_length ((char **) names), ==, DMPI_NYCTAXI_N_OUTPUT_COLUMNS);
      for (guint i = 0; i < DMPI_NYCTAXI_N_OUTPUT_COLUMNS; i++)
        g_assert_cmpstr (dmpi_table_column (t, i)->name, ==, names[i]);
      g_assert_cmpstr (names[7], ==, "rate_code");
      g_assert_cmpint (i32 (t, "rate_code", 0), ==, 5);
      g_assert_cmpint (dmpi_table_get_column (t, "pickup_datetime")->type, ==, DMPI_COL_TIMESTAMP);
      g_assert_cmpint (dmpi_table_get_column (t, "diff")->type, ==, DMPI_COL_DURATION);
      g_assert_null (dmpi_table_get_column (t, "tpep_pickup_datetime"));
      g_assert_null (dmpi_table_get_column (t, "extra"));
      g_assert_cmpint (i32 (t, "VendorID", 0), ==, 2);
      g_assert_cmpfloat (f32 (t, "fare_amount", 0), ==, 12.0f);
    }
}

static void
test_filter (void)
{
  /* one field changed per row; keep[i] says whether the row survives */
  struct { gsize off; const char *value; gboolean keep; } cases[] = {
    { G_STRUCT_OFFSET (Row, fare), "0", FALSE },
    { G_STRUCT_OFFSET (Row, fare), "0.01", TRUE },
    { G_STRUCT_OFFSET (Row, fare), "499.99", TRUE },
    { G_STRUCT_OFFSET (Row, fare), "500", FALSE },
    { G_STRUCT_OFFSET (Row, fare), "-3", FALSE },
    { G_STRUCT_OFFSET (Row, fare), "", FALSE },
    { G_STRUCT_OFFSET (Row, passengers), "0", FALSE },
    { G_STRUCT_OFFSET (Row, passengers), "5", TRUE },
    { G_STRUCT_OFFSET (Row, passengers), "6", FALSE },
    { G_STRUCT_OFFSET (Row, passengers), "", FALSE },
    { G_STRUCT_OFFSET (Row, plon), "-75", FALSE },
    { G_STRUCT_OFFSET (Row, plon), "-74.99", TRUE },
    { G_STRUCT_OFFSET (Row, plon), "-73", FALSE },
    { G_STRUCT_OFFSET (Row, plon), "0", FALSE },
    { G_STRUCT_OFFSET (Row, plon), "", FALSE },
    { G_STRUCT_OFFSET (Row, dlon), "-75", FALSE },
    { G_STRUCT_OFFSET (Row, dlon), "-73.01", TRUE },
    { G_STRUCT_OFFSET (Row, dlon), "", FALSE },
    { G_STRUCT_OFFSET (Row, plat), "40", FALSE },
    { G_STRUCT_OFFSET (Row, plat), "40.001", TRUE },
    { G_STRUCT_OFFSET (Row, plat), "42", FALSE },
    { G_STRUCT_OFFSET (Row, plat), "", FALSE },
    { G_STRUCT_OFFSET (Row, dlat), "41.99", TRUE },
    { G_STRUCT_OFFSET (Row, dlat), "42", FALSE },
    { G_STRUCT_OFFSET (Row, dlat), "40", FALSE },
    { G_STRUCT_OFFSET (Row, dlat), "", FALSE },
    { G_STRUCT_OFFSET (Row, tip), "", TRUE },   /* not a filter column */
  };
  Row rows[G_N_ELEMENTS (cases)];
  gsize want = 0;
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      rows[i] = base;
      G_STRUCT_MEMBER (const char *, &rows[i], cases[i].off) = cases[i].value;
      char vendor[8];
      g_snprintf (vendor, sizeof vendor, "%zu", i);
      rows[i].vendor = g_strdup (vendor);   /* the row's id */
      want += cases[i].keep;
    }
  gsize rows_in;
  g_autoptr(DmpiTable) t = run_job ("RateCodeID", rows, G_N_ELEMENTS (rows), &rows_in);
  g_assert_cmpuint (rows_in, ==, G_N_ELEMENTS (rows));
  g_assert_cmpuint (t->n_rows, ==, want);
  gsize r = 0;
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      if (cases[i].keep)
        g_assert_cmpint (i32 (t, "VendorID", r++), ==, (gint32) i);
      g_free ((char *) rows[i].vendor);
    }
}

static void
test_fill (void)
{
  Row r = base;
  r.vendor = "", r.distance = "", r.rate = "", r.payment = "", r.tip = "", r.total = "";
  g_autoptr(DmpiTable) t = run_job ("RatecodeID", &r, 1, NULL);
  g_assert_cmpuint (t->n_rows, ==, 1);
  g_assert_cmpint (i32 (t, "VendorID", 0), ==, -1);
  g_assert_cmpint (i32 (t, "rate_code", 0), ==, -1);
  g_assert_cmpint (i32 (t, "payment_type", 0), ==, -1);
  g_assert_cmpfloat (f32 (t, "trip_distance", 0), ==, -1.0f);
  g_assert_cmpfloat (f32 (t, "tip_amount", 0), ==, -1.0f);
  g_assert_cmpfloat (f32 (t, "total_amount", 0), ==, -1.0f);
  for (guint i = 0; i < 14; i++)
    {
      DmpiColumn *c = dmpi_table_column (t, i);
      if (c->type != DMPI_COL_TIMESTAMP)
        g_assert_null (c->valid);
    }
}

static void
test_time_features (void)
{
  /* 2015-01-04 is a Sunday, 2015-01-05 a Monday, 2015-01-03 a Saturday */
  static const struct { const char *when; gint32 hour, year, month, day, dow, weekend; } cases[] = {
    { "2015-01-04 23:59:59", 23, 2015, 1, 4, 6, 1 },
    { "2015-01-05 00:00:00", 0, 2015, 1, 5, 0, 0 },
    { "2015-01-03 12:30:00", 12, 2015, 1, 3, 5, 0 },   /* Saturday: not a "weekend" */
    { "2015-02-28 07:00:01", 7, 2015, 2, 28, 5, 0 },
    { "2016-02-29 13:00:00", 13, 2016, 2, 29, 0, 0 },
    { "2015-12-31 18:00:00", 18, 2015, 12, 31, 3, 0 },
  };
  Row rows[G_N_ELEMENTS (cases)];
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      rows[i] = base;
      rows[i].pickup = cases[i].when;
      rows[i].dropoff = "2015-01-04 23:59:59";
    }
  g_autoptr(DmpiTable) t = run_job ("RateCodeID", rows, G_N_ELEMENTS (rows), NULL);
  g_assert_cmpuint (t->n_rows, ==, G_N_ELEMENTS (cases));
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_assert_cmpint (i32 (t, "hour", i), ==, cases[i].hour);
      g_assert_cmpint (i32 (t, "year", i), ==, cases[i].year);
      g_assert_cmpint (i32 (t, "month", i), ==, cases[i].month);
      g_assert_cmpint (i32 (t, "day", i), ==, cases[i].day);
      g_assert_cmpint (i32 (t, "day_of_week", i), ==, cases[i].dow);
      g_assert_cmpint (i32 (t, "is_weekend", i), ==, cases[i].weekend);
    }
  /* diff: dropoff - pickup in ns, negative allowed */
  DmpiColumn *diff = dmpi_table_get_column (t, "diff");
  g_assert_cmpint (DMPI_COLUMN_INT64 (diff)[0], ==, 0);
  g_assert_cmpint (DMPI_COLUMN_INT64 (diff)[1], ==, -G_GINT64_CONSTANT (1000000000));
  g_assert_cmpint (DMPI_COLUMN_INT64 (diff)[2], ==,
                   (gint64) (35 * 3600 + 29 * 60 + 59) * 1000000000);

  Row r = base;
  g_autoptr(DmpiTable) t2 = run_job ("RateCodeID", &r, 1, NULL);
  g_assert_cmpint (DMPI_COLUMN_INT64 (dmpi_table_get_column (t2, "diff"))[0], ==,
                   (gint64) (18 * 60 + 3) * 1000000000);
  g_assert_cmpint (i32 (t2, "hour", 0), ==, 19);
  g_assert_cmpint (i32 (t2, "day_of_week", 0), ==, 3);   /* a Thursday */

  /* a missing dropoff: diff missing, features still there */
  r.dropoff = "";
  g_autoptr(DmpiTable) t3 = run_job ("RateCodeID", &r, 1, NULL);
  g_assert_false (dmpi_column_is_valid (dmpi_table_get_column (t3, "diff"), 0));
  g_assert_false (dmpi_column_is_valid (dmpi_table_get_column (t3, "dropoff_datetime"), 0));
  g_assert_cmpint (i32 (t3, "hour", 0), ==, 19);
}

static void
test_float_features (void)
{
  Row r = base;
  r.plon = "-73.999", r.plat = "40.75", r.dlon = "-73.001", r.dlat = "41.0";
  /* JFK (40.6413, -73.7781) to Times Square (40.7580, -73.9855) */
  Row r2 = base;
  r2.plat = "40.6413", r2.plon = "-73.7781", r2.dlat = "40.7580", r2.dlon = "-73.9855";
  Row rows[] = { r, r2 };
  g_autoptr(DmpiTable) t = run_job ("RateCodeID", rows, 2, NULL);
  g_assert_cmpuint (t->n_rows, ==, 2);
  /* floor toward -inf, computed in float32 */
  g_assert_cmpfloat (f32 (t, "pickup_longitude_r", 0), ==, floorf (-73.999f / 0.01f) * 0.01f);
  g_assert_cmpfloat_with_epsilon (f32 (t, "pickup_longitude_r", 0), -74.00f, 1e-4);
  g_assert_cmpfloat_with_epsilon (f32 (t, "dropoff_longitude_r", 0), -73.01f, 1e-4);
  g_assert_cmpfloat_with_epsilon (f32 (t, "pickup_latitude_r", 0), 40.75f, 1e-4);
  g_assert_cmpfloat_with_epsilon (f32 (t, "dropoff_latitude_r", 0), 41.0f, 1e-4);
  g_assert_cmpfloat_with_epsilon (f32 (t, "pickup_latitude_r", 1), 40.64f, 1e-4);
  g_assert_cmpfloat_with_epsilon (f32 (t, "pickup_longitude_r", 1), -73.78f, 1e-4);
  /* the haversine distance JFK - Times Square: 21.7733 km; numpy's float32
   * computation gives 21.773327 */
  gfloat h = f32 (t, "h_distance", 1);
  g_assert_cmpfloat_with_epsilon (h, 21.773327f, 4e-6f);
  /* and agrees with a float64 computation to float32 precision */
  double la1 = 40.6413 * G_PI / 180, lo1 = -73.7781 * G_PI / 180;
  double la2 = 40.7580 * G_PI / 180, lo2 = -73.9855 * G_PI / 180;
  double a = pow (sin ((la2 - la1) / 2), 2) + cos (la1) * cos (la2) * pow (sin ((lo2 - lo1) / 2), 2);
  double want = 2 * 6371 * asin (sqrt (a));
  g_assert_cmpfloat_with_epsilon (h, want, want * 1e-4);
}

static void
test_bad_input (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("dmpi-nyctaxi-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "old.csv", NULL);
  g_assert_true (g_file_set_contents (path, "VendorID,pickup_datetime\n1,2\n", -1, NULL));
  g_autoptr(DmpiTable) t = dmpi_nyctaxi_read_block (path, 0, G_MAXUINT64, NULL, &error);
  g_assert_null (t);
  g_assert_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_MISSING_COLUMN);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, "tpep_pickup_datetime"));
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/df/nyctaxi/columns", test_columns);
  g_test_add_func ("/df/nyctaxi/filter", test_filter);
  g_test_add_func ("/df/nyctaxi/fill", test_fill);
  g_test_add_func ("/df/nyctaxi/time-features", test_time_features);
  g_test_add_func ("/df/nyctaxi/float-features", test_float_features);
  g_test_add_func ("/df/nyctaxi/bad-input", test_bad_input);
  return g_test_run ();
}
