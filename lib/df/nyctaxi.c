/* The reference job on one partition: filter, rename, keep, fill, features,
 * with the float features in float32 arithmetic as numpy computes them. */
#include "config.h"

#include "df/nyctaxi.h"

#include <math.h>
#include <string.h>

/* numpy rounds after every operation: no fused multiply-adds. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize ("fp-contract=off")
#endif

static const DmpiCsvColumn input_columns[DMPI_NYCTAXI_N_INPUT_COLUMNS] = {
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

static const char *const output_columns[DMPI_NYCTAXI_N_OUTPUT_COLUMNS + 1] = {
  "VendorID", "pickup_datetime", "dropoff_datetime", "passenger_count", "trip_distance",
  "pickup_longitude", "pickup_latitude", "rate_code", "dropoff_longitude",
  "dropoff_latitude", "payment_type", "fare_amount", "tip_amount", "total_amount",
  "hour", "year", "month", "day", "day_of_week", "diff", "pickup_latitude_r",
  "pickup_longitude_r", "dropoff_latitude_r", "dropoff_longitude_r", "h_distance",
  "is_weekend", NULL,
};

const DmpiCsvColumn *
dmpi_nyctaxi_input_columns (void)
{
  return input_columns;
}

const char *const *
dmpi_nyctaxi_output_columns (void)
{
  return output_columns;
}

/* Year, month, day of a day count since 1970-01-01 (H. Hinnant's
 * civil_from_days). */
static inline void
civil_from_days (gint64 z, gint *year, gint *month, gint *day)
{
  z += 719468;
  gint64 era = (z >= 0 ? z : z - 146096) / 146097;
  gint64 doe = z - era * 146097;
  gint64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  gint64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  gint64 mp = (5 * doy + 2) / 153;
  gint d = (gint) (doy - (153 * mp + 2) / 5 + 1);
  gint m = (gint) (mp < 10 ? mp + 3 : mp - 9);
  *year = (gint) (yoe + era * 400 + (m <= 2));
  *month = m;
  *day = d;
}

static inline gint64
floor_div (gint64 a, gint64 b)
{
  gint64 q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* floor(x / 0.01) * 0.01 with a float32 x: numpy keeps float32. */
static inline gfloat
floor_r (gfloat x)
{
  gfloat q = floorf (x / 0.01f);
  return q * 0.01f;
}

static inline gfloat
radians (gfloat x)
{
  return x * (gfloat) (G_PI / 180.0);   /* numpy: x * float32(pi / 180) */
}

static inline gfloat
haversine (gfloat lat1, gfloat lon1, gfloat lat2, gfloat lon2)
{
  lat1 = radians (lat1), lon1 = radians (lon1);
  lat2 = radians (lat2), lon2 = radians (lon2);
  gfloat dlat = lat2 - lat1, dlon = lon2 - lon1;
  gfloat s1 = sinf (dlat / 2.0f), s2 = sinf (dlon / 2.0f);
  gfloat c12 = cosf (lat1) * cosf (lat2);
  gfloat t1 = s1 * s1, t2 = c12 * (s2 * s2);
  gfloat a = t1 + t2;
  gfloat c = 2.0f * asinf (sqrtf (a));
  return 6371.0f * c;
}

static DmpiColumn *
need_column (DmpiTable *t, const char *name, DmpiColType type, GError **error)
{
  DmpiColumn *c = dmpi_table_get_column (t, name);
  if (c == NULL || c->type != type)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_MISSING_COLUMN,
                   "nyctaxi: the table has no %s column '%s'", dmpi_col_type_name (type), name);
      return NULL;
    }
  return c;
}

static DmpiColumn *
new_feature (const char *name, DmpiColType type, gsize n)
{
  DmpiColumn *c = dmpi_column_new (name, type, n);
  c->n_rows = n;
  return c;
}

/* Strict bounds; a missing value fails. */
static inline gboolean
between (const DmpiColumn *c, gsize i, gfloat lo, gfloat hi)
{
  gfloat v = DMPI_COLUMN_FLOAT32 (c)[i];
  return dmpi_column_is_valid (c, i) && v > lo && v < hi;
}

/* The job's filter (step 1), as the reader can apply it while parsing. */
static const DmpiCsvRange input_filter[] = {
  { 11, 0.0, 500.0 },    /* fare_amount */
  { 3, 0.0, 6.0 },       /* passenger_count */
  { 5, -75.0, -73.0 },   /* pickup_longitude */
  { 8, -75.0, -73.0 },   /* dropoff_longitude */
  { 6, 40.0, 42.0 },     /* pickup_latitude */
  { 9, 40.0, 42.0 },     /* dropoff_latitude */
};

static gboolean transform (DmpiTable *t, gboolean filtered, GError **error);

gboolean
dmpi_nyctaxi_transform (DmpiTable *t, GError **error)
{
  return transform (t, FALSE, error);
}

/* filtered: the reader has already dropped the rows step 1 drops. */
static gboolean
transform (DmpiTable *t, gboolean filtered, GError **error)
{
  DmpiColumn *cols[DMPI_NYCTAXI_N_INPUT_COLUMNS];
  for (guint i = 0; i < DMPI_NYCTAXI_N_INPUT_COLUMNS; i++)
    {
      cols[i] = need_column (t, output_columns[i], input_columns[i].type, error);
      if (cols[i] == NULL)
        return FALSE;
    }
  if (t->columns->len != DMPI_NYCTAXI_N_INPUT_COLUMNS)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED,
                   "nyctaxi: expected the %u input columns, the table has %u",
                   DMPI_NYCTAXI_N_INPUT_COLUMNS, t->columns->len);
      return FALSE;
    }
  DmpiColumn *fare = cols[11], *passengers = cols[3];
  DmpiColumn *plon = cols[5], *plat = cols[6], *dlon = cols[8], *dlat = cols[9];

  /* 1. filter */
  gsize n = t->n_rows, kept = 0;
  g_autofree guint8 *keep = filtered ? NULL : g_malloc (MAX (n, 1));
  for (gsize i = 0; i < n && !filtered; i++)
    {
      gint32 pc = DMPI_COLUMN_INT32 (passengers)[i];
      keep[i] = between (fare, i, 0.0f, 500.0f) &&
                dmpi_column_is_valid (passengers, i) && pc > 0 && pc < 6 &&
                between (plon, i, -75.0f, -73.0f) && between (dlon, i, -75.0f, -73.0f) &&
                between (plat, i, 40.0f, 42.0f) && between (dlat, i, 40.0f, 42.0f);
      kept += keep[i];
    }
  if (!filtered && kept != n)
    dmpi_table_filter (t, keep);
  n = t->n_rows;

  /* 2-3. renamed and kept by the reader; 4. fill missing numbers with -1 */
  for (guint i = 0; i < DMPI_NYCTAXI_N_INPUT_COLUMNS; i++)
    {
      DmpiColumn *c = cols[i];
      if (c->valid == NULL || c->type == DMPI_COL_TIMESTAMP)
        continue;
      for (gsize r = 0; r < n; r++)
        if (!c->valid[r])
          {
            if (c->type == DMPI_COL_INT32)
              DMPI_COLUMN_INT32 (c)[r] = -1;
            else
              DMPI_COLUMN_FLOAT32 (c)[r] = -1.0f;
          }
      g_clear_pointer (&c->valid, g_free);
    }

  /* 5. features */
  DmpiColumn *pickup = cols[1], *dropoff = cols[2];
  DmpiColumn *hour = new_feature ("hour", DMPI_COL_INT32, n);
  DmpiColumn *year = new_feature ("year", DMPI_COL_INT32, n);
  DmpiColumn *month = new_feature ("month", DMPI_COL_INT32, n);
  DmpiColumn *day = new_feature ("day", DMPI_COL_INT32, n);
  DmpiColumn *dow = new_feature ("day_of_week", DMPI_COL_INT32, n);
  DmpiColumn *diff = new_feature ("diff", DMPI_COL_DURATION, n);
  DmpiColumn *plat_r = new_feature ("pickup_latitude_r", DMPI_COL_FLOAT32, n);
  DmpiColumn *plon_r = new_feature ("pickup_longitude_r", DMPI_COL_FLOAT32, n);
  DmpiColumn *dlat_r = new_feature ("dropoff_latitude_r", DMPI_COL_FLOAT32, n);
  DmpiColumn *dlon_r = new_feature ("dropoff_longitude_r", DMPI_COL_FLOAT32, n);
  DmpiColumn *hdist = new_feature ("h_distance", DMPI_COL_FLOAT32, n);
  DmpiColumn *weekend = new_feature ("is_weekend", DMPI_COL_INT32, n);

  const gint64 ns_per_day = G_GINT64_CONSTANT (86400000000000);
  const gint64 *pu = DMPI_COLUMN_INT64 (pickup), *dro = DMPI_COLUMN_INT64 (dropoff);
  for (gsize r = 0; r < n; r++)
    {
      gint h = -1, y = -1, m = -1, d = -1, wd = -1;
      if (dmpi_column_is_valid (pickup, r))
        {
          gint64 days = floor_div (pu[r], ns_per_day);
          gint64 in_day = pu[r] - days * ns_per_day;
          h = (gint) (in_day / G_GINT64_CONSTANT (3600000000000));
          civil_from_days (days, &y, &m, &d);
          /* 1970-01-01 was a Thursday (3 with Monday = 0). */
          wd = (gint) (((days + 3) % 7 + 7) % 7);
        }
      DMPI_COLUMN_INT32 (hour)[r] = h;
      DMPI_COLUMN_INT32 (year)[r] = y;
      DMPI_COLUMN_INT32 (month)[r] = m;
      DMPI_COLUMN_INT32 (day)[r] = d;
      DMPI_COLUMN_INT32 (dow)[r] = wd;
      /* The users' job computes day_of_week > 5: Sundays only. Kept. */
      DMPI_COLUMN_INT32 (weekend)[r] = wd > 5;
      if (dmpi_column_is_valid (pickup, r) && dmpi_column_is_valid (dropoff, r))
        DMPI_COLUMN_INT64 (diff)[r] = dro[r] - pu[r];
      else
        {
          DMPI_COLUMN_INT64 (diff)[r] = 0;
          dmpi_column_set_missing (diff, r);
        }
    }

  const gfloat *la1 = DMPI_COLUMN_FLOAT32 (plat), *lo1 = DMPI_COLUMN_FLOAT32 (plon);
  const gfloat *la2 = DMPI_COLUMN_FLOAT32 (dlat), *lo2 = DMPI_COLUMN_FLOAT32 (dlon);
  for (gsize r = 0; r < n; r++)
    {
      DMPI_COLUMN_FLOAT32 (plat_r)[r] = floor_r (la1[r]);
      DMPI_COLUMN_FLOAT32 (plon_r)[r] = floor_r (lo1[r]);
      DMPI_COLUMN_FLOAT32 (dlat_r)[r] = floor_r (la2[r]);
      DMPI_COLUMN_FLOAT32 (dlon_r)[r] = floor_r (lo2[r]);
      DMPI_COLUMN_FLOAT32 (hdist)[r] = haversine (la1[r], lo1[r], la2[r], lo2[r]);
    }

  DmpiColumn *features[] = { hour, year, month, day, dow, diff, plat_r, plon_r,
                             dlat_r, dlon_r, hdist, weekend };
  for (gsize i = 0; i < G_N_ELEMENTS (features); i++)
    dmpi_table_add_column (t, features[i]);
  return TRUE;
}

DmpiTable *
dmpi_nyctaxi_read_block (const char *path, guint64 offset, guint64 length, gsize *rows_in,
                         GError **error)
{
  g_autoptr(DmpiTable) t = dmpi_csv_read_filtered (path, offset, length, input_columns,
                                                   DMPI_NYCTAXI_N_INPUT_COLUMNS, input_filter,
                                                   G_N_ELEMENTS (input_filter), rows_in, error);
  if (t == NULL)
    return NULL;
  if (!transform (t, TRUE, error))
    return NULL;
  return g_steal_pointer (&t);
}
