/* Timestamps in strptime-style formats and durations in pandas' text. A
 * format is compiled once into a list of steps; parsing a value walks it
 * without allocating. */
#include "config.h"

#include "df/timeparse.h"

#include "df/table.h"

#include <string.h>

#define NS_PER_SEC G_GINT64_CONSTANT (1000000000)

typedef enum {
  STEP_LITERAL,
  STEP_BLANKS,
  STEP_YEAR,       /* %Y */
  STEP_YEAR2,      /* %y */
  STEP_MONTH,      /* %m */
  STEP_MONTH_NAME, /* %b %B */
  STEP_DAY,        /* %d */
  STEP_YDAY,       /* %j */
  STEP_HOUR,       /* %H */
  STEP_HOUR12,     /* %I */
  STEP_AMPM,       /* %p */
  STEP_MINUTE,     /* %M */
  STEP_SECOND,     /* %S */
  STEP_FRACTION,   /* %f */
  STEP_ZONE,       /* %z */
} StepKind;

typedef struct {
  StepKind kind;
  char     literal;
} Step;

struct _DmpiTimeFormat {
  char  *text;
  Step  *steps;
  guint  n_steps;
};

static inline gboolean
is_blank (char c)
{
  return c == ' ' || c == '\t';
}

static inline gboolean
is_digit (char c)
{
  return (unsigned char) (c - '0') < 10;
}

DmpiTimeFormat *
dmpi_time_format_new (const char *format, GError **error)
{
  static const struct { char c; StepKind kind; } directives[] = {
    { 'Y', STEP_YEAR }, { 'y', STEP_YEAR2 }, { 'm', STEP_MONTH }, { 'b', STEP_MONTH_NAME },
    { 'B', STEP_MONTH_NAME }, { 'h', STEP_MONTH_NAME }, { 'd', STEP_DAY }, { 'j', STEP_YDAY },
    { 'H', STEP_HOUR }, { 'I', STEP_HOUR12 }, { 'p', STEP_AMPM }, { 'M', STEP_MINUTE },
    { 'S', STEP_SECOND }, { 'f', STEP_FRACTION }, { 'z', STEP_ZONE },
  };
  g_return_val_if_fail (format != NULL, NULL);
  GArray *steps = g_array_new (FALSE, FALSE, sizeof (Step));
  for (const char *p = format; *p != '\0'; p++)
    {
      Step s = { STEP_LITERAL, *p };
      if (is_blank (*p))
        {
          s.kind = STEP_BLANKS;
          while (is_blank (p[1]))
            p++;
        }
      else if (*p == '%')
        {
          p++;
          gsize i;
          for (i = 0; i < G_N_ELEMENTS (directives) && directives[i].c != *p; i++)
            ;
          if (*p == '%')
            s.literal = '%';
          else if (*p != '\0' && i < G_N_ELEMENTS (directives))
            s.kind = directives[i].kind;
          else
            {
              g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED,
                           "timestamp format '%s': %s%c is not supported (use %%Y %%y %%m %%d "
                           "%%H %%I %%p %%M %%S %%f %%b %%j %%z %%%%)", format,
                           *p == '\0' ? "a lone %" : "%", *p == '\0' ? ' ' : *p);
              g_array_free (steps, TRUE);
              return NULL;
            }
        }
      g_array_append_val (steps, s);
    }
  DmpiTimeFormat *f = g_new0 (DmpiTimeFormat, 1);
  f->text = g_strdup (format);
  f->n_steps = steps->len;
  f->steps = (Step *) g_array_free (steps, FALSE);
  return f;
}

void
dmpi_time_format_free (DmpiTimeFormat *f)
{
  if (f == NULL)
    return;
  g_free (f->text);
  g_free (f->steps);
  g_free (f);
}

const char *
dmpi_time_format_string (const DmpiTimeFormat *f)
{
  return f->text;
}

/* min_digits to max_digits digits at *pp, their value in [lo, hi]. */
static gboolean
take_number (const char **pp, const char *end, int min_digits, int max_digits, int lo, int hi,
             int *out)
{
  const char *p = *pp;
  int v = 0, n = 0;
  while (n < max_digits && p < end && is_digit (*p))
    v = v * 10 + (*p++ - '0'), n++;
  if (n < min_digits || v < lo || v > hi)
    return FALSE;
  *pp = p;
  *out = v;
  return TRUE;
}

static gboolean
take_month_name (const char **pp, const char *end, int *month)
{
  static const char *const names[] = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
  };
  gsize avail = (gsize) (end - *pp);
  for (int m = 0; m < 12; m++)
    {
      gsize full = strlen (names[m]);
      /* the full name first: "May" is both */
      if (avail >= full && g_ascii_strncasecmp (*pp, names[m], full) == 0)
        {
          *pp += full, *month = m + 1;
          return TRUE;
        }
      if (avail >= 3 && g_ascii_strncasecmp (*pp, names[m], 3) == 0)
        {
          *pp += 3, *month = m + 1;
          return TRUE;
        }
    }
  return FALSE;
}

/* Z, +HH, +HHMM, +HH:MM (and seconds, +HH:MM:SS) as seconds east of UTC. */
static gboolean
take_zone (const char **pp, const char *end, int *offset)
{
  const char *p = *pp;
  if (p < end && *p == 'Z')
    {
      *pp = p + 1, *offset = 0;
      return TRUE;
    }
  if (p >= end || (*p != '+' && *p != '-'))
    return FALSE;
  int sign = *p++ == '-' ? -1 : 1, h, m = 0, s = 0;
  if (!take_number (&p, end, 2, 2, 0, 23, &h))
    return FALSE;
  gboolean colon = p < end && *p == ':';
  if (colon)
    p++;
  if (p < end && is_digit (*p))
    {
      if (!take_number (&p, end, 2, 2, 0, 59, &m))
        return FALSE;
      if (p < end && (colon ? *p == ':' : is_digit (*p)))
        {
          p += colon;
          if (!take_number (&p, end, 2, 2, 0, 59, &s))
            return FALSE;
        }
    }
  else if (colon)
    return FALSE;
  *pp = p;
  *offset = sign * (h * 3600 + m * 60 + s);
  return TRUE;
}

/* The numbers a timestamp is made of, and the steps that read them. */
typedef enum { YEAR, MONTH, DAY, YDAY, HOUR, HOUR12, MINUTE, SECOND, N_PARTS } Part;

static const struct {
  StepKind kind;
  Part     part;
  int      min_digits, max_digits, lo, hi;
} numeric_steps[] = {
  { STEP_YEAR, YEAR, 4, 4, 0, 9999 },     { STEP_YEAR2, YEAR, 2, 2, 0, 99 },
  { STEP_MONTH, MONTH, 1, 2, 1, 12 },     { STEP_DAY, DAY, 1, 2, 1, 31 },
  { STEP_YDAY, YDAY, 1, 3, 1, 366 },      { STEP_HOUR, HOUR, 1, 2, 0, 23 },
  { STEP_HOUR12, HOUR12, 1, 2, 1, 12 },   { STEP_MINUTE, MINUTE, 1, 2, 0, 59 },
  { STEP_SECOND, SECOND, 1, 2, 0, 59 },
};

gboolean
dmpi_time_format_parse (const DmpiTimeFormat *f, const char *p, gsize len, gint64 *out)
{
  const char *end = p + len;
  /* Python's defaults: 1900-01-01 00:00:00 */
  int v[N_PARTS] = { 1900, 1, 1, 0, 0, -1, 0, 0 };
  int pm = -1, zone = 0;
  guint seen = 0;   /* bit per Part */
  gint64 frac = 0;

  for (guint i = 0; i < f->n_steps; i++)
    {
      const Step *s = &f->steps[i];
      gsize k;
      for (k = 0; k < G_N_ELEMENTS (numeric_steps) && numeric_steps[k].kind != s->kind; k++)
        ;
      if (k < G_N_ELEMENTS (numeric_steps))
        {
          Part part = numeric_steps[k].part;
          if (!take_number (&p, end, numeric_steps[k].min_digits, numeric_steps[k].max_digits,
                            numeric_steps[k].lo, numeric_steps[k].hi, &v[part]))
            return FALSE;
          if (s->kind == STEP_YEAR2)
            v[YEAR] += v[YEAR] < 69 ? 2000 : 1900;
          seen |= 1u << part;
          continue;
        }
      switch (s->kind)
        {
        case STEP_LITERAL:
          if (p >= end || *p != s->literal)
            return FALSE;
          p++;
          break;
        case STEP_BLANKS:
          if (p >= end || !is_blank (*p))
            return FALSE;
          while (p < end && is_blank (*p))
            p++;
          break;
        case STEP_MONTH_NAME:
          if (!take_month_name (&p, end, &v[MONTH]))
            return FALSE;
          seen |= 1u << MONTH;
          break;
        case STEP_AMPM:
          if (end - p < 2 || g_ascii_toupper (p[1]) != 'M' ||
              (g_ascii_toupper (p[0]) != 'A' && g_ascii_toupper (p[0]) != 'P'))
            return FALSE;
          pm = g_ascii_toupper (p[0]) == 'P';
          p += 2;
          break;
        case STEP_FRACTION:
          {
            int n = 0;
            frac = 0;
            while (n < 9 && p < end && is_digit (*p))
              frac = frac * 10 + (*p++ - '0'), n++;
            if (n == 0)
              return FALSE;
            for (; n < 9; n++)
              frac *= 10;
            break;
          }
        case STEP_ZONE:
          if (!take_zone (&p, end, &zone))
            return FALSE;
          break;
        default:
          g_assert_not_reached ();
        }
    }
  if (p != end)
    return FALSE;
  /* Python's rule: %I without %p is a morning hour, 12 is midnight. */
  if (seen & (1u << HOUR12))
    v[HOUR] = v[HOUR12] % 12 + (pm == 1 ? 12 : 0);
  gint64 days;
  int year = v[YEAR];
  if ((seen & (1u << YDAY)) && !(seen & ((1u << MONTH) | (1u << DAY))))
    {
      if (v[YDAY] > (dmpi_days_in_month (year, 2) == 29 ? 366 : 365))
        return FALSE;
      days = dmpi_days_from_civil (year, 1, 1) + v[YDAY] - 1;
    }
  else
    {
      if (v[DAY] > dmpi_days_in_month (year, v[MONTH]))
        return FALSE;
      days = dmpi_days_from_civil (year, v[MONTH], v[DAY]);
    }
  gint64 secs = days * 86400 + v[HOUR] * 3600 + v[MINUTE] * 60 + v[SECOND] - zone;
  if (secs >= G_MAXINT64 / NS_PER_SEC || secs <= G_MININT64 / NS_PER_SEC)
    return FALSE;
  *out = secs * NS_PER_SEC + frac;
  return TRUE;
}

/* ---------------------------------------------------------------- durations */

/* A unit word at *pp (the longest that matches), in nanoseconds. */
static gboolean
take_unit (const char **pp, const char *end, gint64 *unit)
{
  static const struct { const char *word; gint64 ns; } units[] = {
    { "days", 86400 * NS_PER_SEC }, { "day", 86400 * NS_PER_SEC }, { "d", 86400 * NS_PER_SEC },
    { "hours", 3600 * NS_PER_SEC }, { "hour", 3600 * NS_PER_SEC }, { "hr", 3600 * NS_PER_SEC },
    { "h", 3600 * NS_PER_SEC },
    { "minutes", 60 * NS_PER_SEC }, { "minute", 60 * NS_PER_SEC }, { "min", 60 * NS_PER_SEC },
    { "milliseconds", 1000000 }, { "millisecond", 1000000 }, { "ms", 1000000 },
    { "microseconds", 1000 }, { "microsecond", 1000 }, { "us", 1000 },
    { "nanoseconds", 1 }, { "nanosecond", 1 }, { "ns", 1 },
    { "m", 60 * NS_PER_SEC },
    { "seconds", NS_PER_SEC }, { "second", NS_PER_SEC }, { "sec", NS_PER_SEC },
    { "s", NS_PER_SEC },
  };
  gsize avail = (gsize) (end - *pp);
  for (gsize i = 0; i < G_N_ELEMENTS (units); i++)
    {
      gsize n = strlen (units[i].word);
      /* whole words only: "ms" is not "m" followed by "s" */
      if (avail >= n && g_ascii_strncasecmp (*pp, units[i].word, n) == 0 &&
          (avail == n || !g_ascii_isalpha ((*pp)[n])))
        {
          *pp += n;
          *unit = units[i].ns;
          return TRUE;
        }
    }
  return FALSE;
}

/* whole + frac_digits / 10^n_frac units, added to *total with its sign. */
static gboolean
add_component (gint64 *total, gboolean neg, gint64 whole, gint64 frac, int n_frac, gint64 unit)
{
  gint64 v, f;
  static const gint64 pow10[] = { 1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
                                  100000000, 1000000000 };
  /* frac < 10^n_frac <= 10^9: the products below stay far from overflow. */
  if (unit >= NS_PER_SEC)
    f = frac * pow10[9 - n_frac] * (unit / NS_PER_SEC);
  else
    f = frac * unit / pow10[n_frac];
  if (__builtin_mul_overflow (whole, unit, &v) || __builtin_add_overflow (v, f, &v))
    return FALSE;
  return !__builtin_add_overflow (*total, neg ? -v : v, total);
}

gboolean
dmpi_duration_parse (const char *p, gsize len, gint64 *out)
{
  const char *end = p + len;
  gint64 total = 0;
  gboolean neg = FALSE, any = FALSE;

  /* A plain integer: nanoseconds. */
  {
    const char *q = p;
    gboolean n = FALSE;
    if (q < end && (*q == '-' || *q == '+'))
      n = *q++ == '-';
    if (q < end)
      {
        guint64 v = 0;
        const char *d = q;
        while (q < end && is_digit (*q) && v <= G_MAXINT64 / 10)
          v = v * 10 + (guint64) (*q++ - '0');
        if (q == end && q > d && v <= G_MAXINT64)
          {
            *out = n ? -(gint64) v : (gint64) v;
            return TRUE;
          }
      }
  }

  while (p < end)
    {
      if (*p == ' ' || *p == ',')
        {
          p++;
          continue;
        }
      if (*p == '-' || *p == '+')
        {
          neg = *p++ == '-';
          continue;
        }
      if (!is_digit (*p) && *p != '.')
        return FALSE;
      gint64 whole = 0, frac = 0;
      int n_whole = 0, n_frac = 0;
      while (p < end && is_digit (*p))
        {
          if (whole > G_MAXINT64 / 10 - 10)
            return FALSE;
          whole = whole * 10 + (*p++ - '0'), n_whole++;
        }
      if (p < end && *p == ':')
        {
          /* HH:MM:SS[.f] */
          int m, s;
          p++;
          if (!take_number (&p, end, 2, 2, 0, 59, &m) || p >= end || *p++ != ':' ||
              !take_number (&p, end, 2, 2, 0, 59, &s))
            return FALSE;
          if (p < end && *p == '.')
            {
              p++;
              while (p < end && is_digit (*p))
                {
                  if (n_frac < 9)
                    frac = frac * 10 + (*p - '0'), n_frac++;
                  p++;
                }
            }
          if (n_whole == 0 ||
              !add_component (&total, neg, whole, 0, 0, 3600 * NS_PER_SEC) ||
              !add_component (&total, neg, (gint64) m * 60 + s, frac, n_frac, NS_PER_SEC))
            return FALSE;
          any = TRUE;
          continue;
        }
      if (p < end && *p == '.')
        {
          p++;
          while (p < end && is_digit (*p))
            {
              if (n_frac < 9)
                frac = frac * 10 + (*p - '0'), n_frac++;
              p++;
            }
        }
      if (n_whole + n_frac == 0)
        return FALSE;
      while (p < end && *p == ' ')
        p++;
      gint64 unit;
      if (!take_unit (&p, end, &unit) || !add_component (&total, neg, whole, frac, n_frac, unit))
        return FALSE;
      any = TRUE;
    }
  if (!any)
    return FALSE;
  *out = total;
  return TRUE;
}
