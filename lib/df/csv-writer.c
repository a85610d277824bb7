/* CSV writer: see csv-writer.h. Rows are formatted into a line buffer that
 * goes to the file in large writes. */
#include "config.h"

#include "df/csv-writer.h"
#include "df/parquet.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define FLUSH_AT (1u << 20)

static void
put_string (GString *out, const char *s, gsize len)
{
  gboolean quote = len == 0 || s[0] == ' ' || s[len - 1] == ' '
                   || s[0] == '\t' || s[len - 1] == '\t';
  for (gsize i = 0; !quote && i < len; i++)
    quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
  if (!quote)
    {
      g_string_append_len (out, s, (gssize) len);
      return;
    }
  g_string_append_c (out, '"');
  for (gsize i = 0; i < len; i++)
    {
      if (s[i] == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, s[i]);
    }
  g_string_append_c (out, '"');
}

static void
put_float (GString *out, double v, gboolean single)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (isnan (v))
    return;
  if (isinf (v))
    {
      g_string_append (out, v > 0 ? "inf" : "-inf");
      return;
    }
  /* The fewest digits that read back to the same value; g_ascii_* keep
   * the decimal point a '.' whatever the locale. */
  for (int prec = single ? 6 : 15; prec <= (single ? 9 : 17); prec++)
    {
      char fmt[16];
      snprintf (fmt, sizeof fmt, "%%.%dg", prec);
      g_ascii_formatd (buf, sizeof buf, fmt, v);
      double back = g_ascii_strtod (buf, NULL);
      if (single ? (float) back == (float) v : back == v)
        break;
    }
  g_string_append (out, buf);
}

/* Days since 1970-01-01 to a civil date (proleptic Gregorian; H. Hinnant). */
static void
civil_from_days (gint64 z, gint64 *y, int *m, int *d)
{
  z += 719468;
  gint64 era = (z >= 0 ? z : z - 146096) / 146097;
  gint64 doe = z - era * 146097;
  gint64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  gint64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  gint64 mp = (5 * doy + 2) / 153;
  *d = (int) (doy - (153 * mp + 2) / 5 + 1);
  *m = (int) (mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

/* A fraction of a second, in milli-, micro- or nanoseconds as pandas
 * prints them; nothing for whole seconds. */
static void
put_fraction (GString *out, gint64 frac)
{
  char digits[16];
  int n = 9;

  if (frac == 0)
    return;
  snprintf (digits, sizeof digits, "%09d", (int) frac);
  while (n > 3 && digits[n - 1] == '0' && digits[n - 2] == '0' && digits[n - 3] == '0')
    n -= 3;
  g_string_append_printf (out, ".%.*s", n, digits);
}

static void
put_timestamp (GString *out, gint64 ns)
{
  const gint64 ns_per_day = G_GINT64_CONSTANT (86400000000000);
  gint64 days = ns / ns_per_day, rem = ns % ns_per_day;
  if (rem < 0)
    rem += ns_per_day, days--;

  gint64 y;
  int m, d;
  civil_from_days (days, &y, &m, &d);
  gint64 secs = rem / 1000000000, frac = rem % 1000000000;
  g_string_append_printf (out, "%04" G_GINT64_FORMAT "-%02d-%02d %02d:%02d:%02d", y, m, d,
                          (int) (secs / 3600), (int) (secs / 60 % 60), (int) (secs % 60));
  put_fraction (out, frac);
}

/* As pandas writes a timedelta: "0 days 00:12:34", "-1 days +23:59:50". */
static void
put_duration (GString *out, gint64 ns)
{
  const gint64 ns_per_day = G_GINT64_CONSTANT (86400000000000);
  gint64 days = ns / ns_per_day, rem = ns % ns_per_day;
  if (rem < 0)
    rem += ns_per_day, days--;
  gint64 secs = rem / 1000000000, frac = rem % 1000000000;
  g_string_append_printf (out, "%" G_GINT64_FORMAT " days %s%02d:%02d:%02d", days,
                          days < 0 ? "+" : "", (int) (secs / 3600), (int) (secs / 60 % 60),
                          (int) (secs % 60));
  put_fraction (out, frac);
}

static void
put_value (GString *out, const DmpiColumn *col, gsize r)
{
  if (col->valid != NULL && !col->valid[r])
    return;
  switch (col->type)
    {
    case DMPI_COL_INT32:
      g_string_append_printf (out, "%d", ((const gint32 *) col->data)[r]);
      break;
    case DMPI_COL_INT64:
      g_string_append_printf (out, "%" G_GINT64_FORMAT, ((const gint64 *) col->data)[r]);
      break;
    case DMPI_COL_FLOAT32:
      put_float (out, ((const float *) col->data)[r], TRUE);
      break;
    case DMPI_COL_FLOAT64:
      put_float (out, ((const double *) col->data)[r], FALSE);
      break;
    case DMPI_COL_TIMESTAMP:
      put_timestamp (out, ((const gint64 *) col->data)[r]);
      break;
    case DMPI_COL_DURATION:
      put_duration (out, ((const gint64 *) col->data)[r]);
      break;
    case DMPI_COL_STRING:
      put_string (out, col->chars + col->offsets[r], col->offsets[r + 1] - col->offsets[r]);
      break;
    case DMPI_COL_BOOL:
      /* As pandas writes numpy bools. */
      g_string_append (out, ((const guint8 *) col->data)[r] ? "True" : "False");
      break;
    default:
      g_assert_not_reached ();
    }
}

gboolean
dmpi_csv_write_file (const DmpiTable *table, const char *path, GError **error)
{
  guint n_cols = table->columns->len;

  for (guint c = 0; c < n_cols; c++)
    {
      const DmpiColumn *col = g_ptr_array_index (table->columns, c);
      if (col->n_rows != table->n_rows)
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID,
                       "%s: column %s has %" G_GSIZE_FORMAT " rows, the table %" G_GSIZE_FORMAT,
                       path, col->name, col->n_rows, table->n_rows);
          return FALSE;
        }
    }

  g_autoptr (DmpiOutFile) out = dmpi_out_file_open (path, error);
  if (out == NULL)
    return FALSE;
  g_autoptr (GString) line = g_string_sized_new (FLUSH_AT + 4096);

  for (guint c = 0; c < n_cols; c++)
    {
      const DmpiColumn *col = g_ptr_array_index (table->columns, c);
      if (c > 0)
        g_string_append_c (line, ',');
      put_string (line, col->name, strlen (col->name));
    }
  g_string_append_c (line, '\n');

  for (gsize r = 0; r < table->n_rows; r++)
    {
      for (guint c = 0; c < n_cols; c++)
        {
          if (c > 0)
            g_string_append_c (line, ',');
          put_value (line, g_ptr_array_index (table->columns, c), r);
        }
      g_string_append_c (line, '\n');
      if (line->len >= FLUSH_AT)
        {
          if (!dmpi_out_file_write (out, line->str, line->len, error))
            return FALSE;
          g_string_truncate (line, 0);
        }
    }
  if (!dmpi_out_file_write (out, line->str, line->len, error))
    return FALSE;
  return dmpi_out_file_commit (g_steal_pointer (&out), error);
}
