/* Text to time values: timestamps in strptime-style formats (pandas'
 * to_datetime(format=...)) and durations in pandas' timedelta text. Used by
 * the CSV reader for columns that are not in its ISO fast path. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _DmpiTimeFormat DmpiTimeFormat;

/* Compiles a strptime-style format. Directives: %Y (4 digits) %y (2 digits,
 * 69-99 = 19xx) %m %d %H %I %M %S (1 or 2 digits) %f (1 to 9 digits of a
 * second) %b %B (month name or its 3-letter abbreviation, any case) %j (day
 * of the year) %p (AM/PM, with %I) %z (Z, +HH, +HHMM or +HH:MM: the value is
 * converted to UTC) %%; any other character matches itself, and blanks match
 * a run of one or more blanks (as Python's strptime). Fields not given
 * default to 1900-01-01 00:00:00. NULL with an error naming the directive
 * if the format uses one that is not supported. */
DmpiTimeFormat *dmpi_time_format_new    (const char *format, GError **error);
void            dmpi_time_format_free   (DmpiTimeFormat *format);
const char     *dmpi_time_format_string (const DmpiTimeFormat *format);

/* [p, p + len) as nanoseconds since 1970-01-01 00:00:00; FALSE when the
 * text does not match the whole format, names an impossible date, or is
 * outside what nanoseconds in a gint64 hold (1677 to 2262). */
gboolean        dmpi_time_format_parse  (const DmpiTimeFormat *format, const char *p, gsize len,
                                         gint64 *out);

/* A duration as pandas writes and reads it, into nanoseconds: an integer
 * (nanoseconds), "[-]D days[,] [+-]HH:MM:SS[.fffffffff]" ("day" too),
 * "[-]HH:MM:SS[.f]", or components with units (d, h, m/min, s, ms, us, ns
 * and their long names, "1 days 2 hours"). A sign holds for the components
 * after it until the next sign: "-1 days +23:59:59" is minus one second. */
gboolean        dmpi_duration_parse     (const char *p, gsize len, gint64 *out);

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil); inline for the CSV reader's ISO fast path. */
static inline gint64
dmpi_days_from_civil (gint64 y, int m, int d)
{
  y -= m <= 2;
  gint64 era = (y >= 0 ? y : y - 399) / 400;
  gint64 yoe = y - era * 400;
  gint64 doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  gint64 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* Days in a month of a proleptic Gregorian year (m from 1 to 12). */
static inline int
dmpi_days_in_month (gint64 y, int m)
{
  static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
    return 29;
  return dim[m - 1];
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmpiTimeFormat, dmpi_time_format_free)

G_END_DECLS
