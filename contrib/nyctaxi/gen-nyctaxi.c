/* gen-nyctaxi: writes deterministic, realistic 2015-schema NYC yellow-taxi
 * CSV for tests and benchmarks: times through 2015, Manhattan-ish
 * coordinates printed as float32 values the way the real files print them,
 * fares that follow distance and time, some empty fields, some rows the
 * job's filter drops, and now and then a quoted field. */
#include "config.h"

#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <errno.h>
#include <string.h>

/* xoshiro256** seeded by splitmix64: fast, and the same on every platform. */
typedef struct {
  guint64 s[4];
} Rng;

static guint64
rotl (guint64 x, int k)
{
  return (x << k) | (x >> (64 - k));
}

static void
rng_seed (Rng *r, guint64 seed)
{
  for (int i = 0; i < 4; i++)
    {
      guint64 z = (seed += G_GUINT64_CONSTANT (0x9E3779B97F4A7C15));
      z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
      z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94D049BB133111EB);
      r->s[i] = z ^ (z >> 31);
    }
}

static guint64
rng_next (Rng *r)
{
  guint64 *s = r->s;
  guint64 result = rotl (s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0], s[3] ^= s[1], s[1] ^= s[2], s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);
  return result;
}

/* Uniform in [0, 1). */
static double
uniform (Rng *r)
{
  return (double) (rng_next (r) >> 11) * (1.0 / 9007199254740992.0);
}

static gboolean
chance (Rng *r, double p)
{
  return uniform (r) < p;
}

static double
exponential (Rng *r, double mean)
{
  return -mean * log (1.0 - uniform (r));
}

static double
normal (Rng *r, double mean, double sd)
{
  double u = uniform (r), v = uniform (r);
  return mean + sd * sqrt (-2.0 * log (1.0 - u)) * cos (2.0 * G_PI * v);
}

static void
format_time (char *buf, gsize n, gint64 secs)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (secs);
  g_autofree char *s = g_date_time_format (dt, "%Y-%m-%d %H:%M:%S");
  g_strlcpy (buf, s, n);
}

/* A coordinate as the 2015 files print it: a float32 value, in full. */
static void
format_coord (GString *out, double x)
{
  if (x == 0.0)
    g_string_append_c (out, '0');
  else
    g_string_append_printf (out, "%.17g", (double) (float) x);
}

static void
append_field (GString *row, Rng *r, const char *value, gboolean maybe_empty)
{
  if (row->len > 0)
    g_string_append_c (row, ',');
  if (maybe_empty && chance (r, 0.004))
    return;
  if (chance (r, 0.003))
    g_string_append_printf (row, "\"%s\"", value);
  else
    g_string_append (row, value);
}

static void
generate_row (Rng *r, GString *row)
{
  char pu[32], dof[32], v[64];
  GString *coord = g_string_new (NULL);
  g_string_truncate (row, 0);

  gint64 t0 = 1420070400;   /* 2015-01-01 00:00:00 */
  gint64 pickup = t0 + (gint64) (uniform (r) * 365 * 86400);
  double minutes = 2.0 + exponential (r, 11.0);
  double distance = MAX (0.0, 0.05 + minutes * (0.15 + 0.1 * uniform (r)));
  gint64 dropoff = pickup + (gint64) (minutes * 60);
  if (chance (r, 0.002))
    dropoff = pickup;   /* zero-length trips happen */
  format_time (pu, sizeof pu, pickup);
  format_time (dof, sizeof dof, dropoff);

  int passengers = chance (r, 0.7) ? 1 : 1 + (int) (uniform (r) * 6);   /* 6: dropped */
  if (chance (r, 0.003))
    passengers = 0;
  double plat = normal (r, 40.752, 0.03), plon = normal (r, -73.980, 0.025);
  double dlat = plat + normal (r, 0, distance / 90.0), dlon = plon + normal (r, 0, distance / 80.0);
  if (chance (r, 0.015))
    plat = plon = 0.0;
  if (chance (r, 0.01))
    dlat = dlon = 0.0;
  int rate = chance (r, 0.97) ? 1 : (chance (r, 0.5) ? 2 : 5);
  int payment = chance (r, 0.6) ? 1 : (chance (r, 0.95) ? 2 : 3 + (int) (uniform (r) * 2));
  double fare = floor ((2.5 + 2.5 * distance + 0.5 * minutes) * 2.0) / 2.0;
  if (chance (r, 0.003))
    fare = 0.0;
  else if (chance (r, 0.001))
    fare = -fare;
  else if (chance (r, 0.0005))
    fare = 500.0 + floor (uniform (r) * 1000);
  double extra = chance (r, 0.6) ? 0.0 : (chance (r, 0.5) ? 0.5 : 1.0);
  double tip = payment == 1 ? floor (fare * (0.1 + 0.15 * uniform (r)) * 100.0) / 100.0 : 0.0;
  double tolls = chance (r, 0.05) ? 5.54 : 0.0;
  double total = fare + extra + 0.5 + tip + tolls + 0.3;

  g_snprintf (v, sizeof v, "%d", chance (r, 0.55) ? 2 : 1);
  append_field (row, r, v, FALSE);
  append_field (row, r, pu, FALSE);
  append_field (row, r, dof, FALSE);
  g_snprintf (v, sizeof v, "%d", passengers);
  append_field (row, r, v, TRUE);
  g_snprintf (v, sizeof v, "%.2f", distance);
  append_field (row, r, v, TRUE);
#define COORD(x) (g_string_truncate (coord, 0), format_coord (coord, (x)), coord->str)
  append_field (row, r, COORD (plon), TRUE);
  append_field (row, r, COORD (plat), TRUE);
  g_snprintf (v, sizeof v, "%d", rate);
  append_field (row, r, v, TRUE);
  append_field (row, r, chance (r, 0.99) ? "N" : "Y", TRUE);
  append_field (row, r, COORD (dlon), TRUE);
  append_field (row, r, COORD (dlat), TRUE);
#undef COORD
  g_snprintf (v, sizeof v, "%d", payment);
  append_field (row, r, v, TRUE);
  g_snprintf (v, sizeof v, "%.1f", fare);
  append_field (row, r, v, TRUE);
  g_snprintf (v, sizeof v, "%.1f", extra);
  append_field (row, r, v, TRUE);
  append_field (row, r, "0.5", TRUE);
  g_snprintf (v, sizeof v, "%.2f", tip);
  append_field (row, r, v, TRUE);
  g_snprintf (v, sizeof v, "%.2f", tolls);
  append_field (row, r, v, TRUE);
  append_field (row, r, "0.3", TRUE);
  g_snprintf (v, sizeof v, "%.2f", total);
  append_field (row, r, v, TRUE);
  g_string_free (coord, TRUE);
}

int
main (int argc, char **argv)
{
  gint64 rows = -1, mb = -1, seed = 1;
  gboolean crlf = FALSE;
  g_autofree char *out_path = NULL, *spelling = NULL;
  GOptionEntry entries[] = {
    { "rows", 0, 0, G_OPTION_ARG_INT64, &rows, "Number of rows", "N" },
    { "mb", 0, 0, G_OPTION_ARG_INT64, &mb, "Write about N MiB instead", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Random seed (default 1)", "S" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out_path, "Output file (default: stdout)", "FILE" },
    { "crlf", 0, 0, G_OPTION_ARG_NONE, &crlf, "End lines with CR LF", NULL },
    { "ratecode-spelling", 0, 0, G_OPTION_ARG_STRING, &spelling,
      "Header name of the rate code: RateCodeID (default) or RatecodeID", "NAME" },
    { NULL },
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- write NYC yellow-taxi 2015 CSV");
  g_autoptr(GError) error = NULL;
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("gen-nyctaxi: %s\n", error->message);
      return 2;
    }
  if (spelling == NULL)
    spelling = g_strdup ("RateCodeID");
  if (strcmp (spelling, "RateCodeID") != 0 && strcmp (spelling, "RatecodeID") != 0)
    {
      g_printerr ("gen-nyctaxi: --ratecode-spelling must be RateCodeID or RatecodeID, not '%s'\n",
                  spelling);
      return 2;
    }
  if ((rows < 0) == (mb < 0))
    {
      g_printerr ("gen-nyctaxi: give one of --rows N or --mb N\n");
      return 2;
    }

  FILE *out = stdout;
  if (out_path != NULL && strcmp (out_path, "-") != 0)
    out = fopen (out_path, "wb");
  if (out == NULL)
    {
      g_printerr ("gen-nyctaxi: %s: %s\n", out_path, g_strerror (errno));
      return 1;
    }
  static char outbuf[1 << 20];
  setvbuf (out, outbuf, _IOFBF, sizeof outbuf);

  const char *eol = crlf ? "\r\n" : "\n";
  guint64 bytes = 0, limit = mb >= 0 ? (guint64) mb * 1024 * 1024 : G_MAXUINT64;
  g_autofree char *header = g_strdup_printf (
    "VendorID,tpep_pickup_datetime,tpep_dropoff_datetime,passenger_count,trip_distance,"
    "pickup_longitude,pickup_latitude,%s,store_and_fwd_flag,dropoff_longitude,"
    "dropoff_latitude,payment_type,fare_amount,extra,mta_tax,tip_amount,tolls_amount,"
    "improvement_surcharge,total_amount%s", spelling, eol);
  fputs (header, out);
  bytes += strlen (header);

  Rng rng;
  rng_seed (&rng, (guint64) seed);
  g_autoptr(GString) row = g_string_new (NULL);
  for (gint64 i = 0; rows < 0 || i < rows; i++)
    {
      if (bytes >= limit)
        break;
      generate_row (&rng, row);
      g_string_append (row, eol);
      fwrite (row->str, 1, row->len, out);
      bytes += row->len;
    }
  if (fflush (out) != 0 || ferror (out) || (out != stdout && fclose (out) != 0))
    {
      g_printerr ("gen-nyctaxi: %s: write failed: %s\n", out_path ? out_path : "stdout",
                  g_strerror (errno));
      return 1;
    }
  return 0;
}
