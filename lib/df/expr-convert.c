/* Expressions: values read from text and written as text, the way the
 * casts do it (Python's int() and float(), pandas' astype(str)). */
#include "config.h"

#include "df/expr-private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static gboolean
is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static void
trim (const char **s, gsize *len)
{
  while (*len > 0 && is_space ((*s)[0]))
    (*s)++, (*len)--;
  while (*len > 0 && is_space ((*s)[*len - 1]))
    (*len)--;
}

static gboolean
digits (const char *s, gsize n, gint *out)
{
  gint v = 0;
  for (gsize i = 0; i < n; i++)
    {
      if (!g_ascii_isdigit (s[i]))
        return FALSE;
      v = v * 10 + (s[i] - '0');
    }
  *out = v;
  return TRUE;
}

gboolean
expr_parse_timestamp (const char *s, gsize len, gint64 *ns)
{
  static const gint month_days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  gint y, m, d, hh = 0, mm = 0, ss = 0;
  gint64 frac = 0;

  if (len < 10 || s[4] != '-' || s[7] != '-' || !digits (s, 4, &y) || !digits (s + 5, 2, &m) ||
      !digits (s + 8, 2, &d))
    return FALSE;
  gboolean leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (m < 1 || m > 12 || d < 1 || d > month_days[m - 1] + (m == 2 && leap))
    return FALSE;
  if (len > 10)
    {
      if ((s[10] != ' ' && s[10] != 'T') || len < 19 || s[13] != ':' || s[16] != ':' ||
          !digits (s + 11, 2, &hh) || !digits (s + 14, 2, &mm) || !digits (s + 17, 2, &ss) ||
          hh > 23 || mm > 59 || ss > 59)
        return FALSE;
      if (len > 19)
        {
          gsize n = len - 20;
          if (s[19] != '.' || n < 1 || n > 9)
            return FALSE;
          for (gsize i = 20; i < len; i++)
            {
              if (!g_ascii_isdigit (s[i]))
                return FALSE;
              frac = frac * 10 + (s[i] - '0');
            }
          for (; n < 9; n++)
            frac *= 10;
        }
    }
  gint64 secs = expr_days_from_civil (y, m, d) * 86400 + hh * 3600 + mm * 60 + ss;
  /* pandas' datetime64[ns] range, 1677 to 2262: no overflow. */
  if (secs > G_MAXINT64 / EXPR_NS_PER_SECOND || secs < G_MININT64 / EXPR_NS_PER_SECOND ||
      secs * EXPR_NS_PER_SECOND > G_MAXINT64 - frac)
    return FALSE;
  *ns = secs * EXPR_NS_PER_SECOND + frac;
  return TRUE;
}

gboolean
expr_parse_int64 (const char *s, gsize len, gint64 *v)
{
  gboolean neg = FALSE;
  guint64 u = 0, limit;

  trim (&s, &len);
  if (len > 0 && (s[0] == '+' || s[0] == '-'))
    neg = s[0] == '-', s++, len--;
  if (len == 0)
    return FALSE;
  limit = neg ? (guint64) G_MAXINT64 + 1 : (guint64) G_MAXINT64;
  for (gsize i = 0; i < len; i++)
    {
      if (!g_ascii_isdigit (s[i]))
        return FALSE;
      guint d = (guint) (s[i] - '0');
      if (u > (limit - d) / 10)
        return FALSE;
      u = u * 10 + d;
    }
  *v = neg ? (gint64) (0 - u) : (gint64) u;
  return TRUE;
}

gboolean
expr_parse_double (const char *s, gsize len, gdouble *v)
{
  char small[64];
  char *end;

  trim (&s, &len);
  /* What Python's float() takes: no hexadecimal, no nan(...). */
  if (len == 0 || memchr (s, 'x', len) != NULL || memchr (s, 'X', len) != NULL ||
      memchr (s, '(', len) != NULL || memchr (s, '\0', len) != NULL)
    return FALSE;
  g_autofree char *big = len < sizeof small ? NULL : g_strndup (s, len);
  char *copy = big != NULL ? big : small;
  if (big == NULL)
    {
      memcpy (small, s, len);
      small[len] = '\0';
    }
  *v = g_ascii_strtod (copy, &end);
  return end == copy + len;
}

/* v in scientific notation with digits significant digits, into buf
 * (40 bytes). */
static char *
decimal (char *buf, gdouble v, gint digits)
{
  char fmt[8];
  g_snprintf (fmt, sizeof fmt, "%%.%de", digits - 1);
  return g_ascii_formatd (buf, 40, fmt, v);
}

static gboolean
reads_back (const char *s, gdouble v, gboolean single)
{
  gdouble back = g_ascii_strtod (s, NULL);
  return single ? (gfloat) back == (gfloat) v : back == v;
}

/* [-]d.ddde±X as its digits m (an integer) and the power of ten of m's
 * last digit. */
static gint
split_decimal (const char *s, guint64 *m)
{
  gint after_point = 0;
  gboolean point = FALSE;
  *m = 0;
  for (; *s != 'e'; s++)
    if (*s == '.')
      point = TRUE;
    else if (g_ascii_isdigit (*s))
      {
        *m = *m * 10 + (guint64) (*s - '0');
        after_point += point;
      }
  return atoi (s + 1) - after_point;
}

/* NumPy's str() of a float: the shortest digits that read back as the
 * value; positional from 1e-4 to 1e16 (with at least one fraction digit),
 * scientific outside (1e-05, 1.5e+16). */
gsize
expr_format_float (char *buf, gdouble v, gboolean single)
{
  char tmp[40], digits_[20];
  int lo = 1, hi = single ? 9 : 17, exp10, k = 0;
  gsize n = 0;

  if (isnan (v))
    return (gsize) g_snprintf (buf, 32, "nan");
  if (isinf (v))
    return (gsize) g_snprintf (buf, 32, v > 0 ? "inf" : "-inf");
  if (v == 0)
    return (gsize) g_snprintf (buf, 32, signbit (v) ? "-0.0" : "0.0");
  /* More digits never stop reading back: search for the fewest. */
  while (lo < hi)
    {
      int mid = (lo + hi) / 2;
      if (reads_back (decimal (tmp, v, mid), v, single))
        hi = mid;
      else
        lo = mid + 1;
    }
  decimal (tmp, v, lo);
  /* the digits, and the power of ten of the first */
  guint64 m;
  gint e = split_decimal (tmp, &m);
  if (lo > 1)
    {
      /* Next to a power of two the value's interval is lopsided: the
       * nearest decimal of one digit fewer may miss it where its neighbour
       * on the wide side falls in (NumPy's Dragon4 finds that one). */
      char shorter[40], cand[40];
      guint64 m1;
      gint e1 = split_decimal (decimal (shorter, v, lo - 1), &m1);
      for (gint step = -1; step <= 1; step += 2)
        {
          g_snprintf (cand, sizeof cand, "%" G_GUINT64_FORMAT "e%d", m1 + (guint64) step, e1);
          if (m1 + (guint64) step != 0 && reads_back (cand, fabs (v), single))
            {
              m = m1 + (guint64) step, e = e1;
              break;
            }
        }
    }
  if (v < 0)
    buf[n++] = '-';
  k = g_snprintf (digits_, sizeof digits_, "%" G_GUINT64_FORMAT, m);
  exp10 = e + k - 1;
  while (k > 1 && digits_[k - 1] == '0')
    k--;
  gdouble a = fabs (v);
  if (a >= 1e-4 && a < 1e16)
    {
      if (exp10 < 0)
        {
          buf[n++] = '0';
          buf[n++] = '.';
          for (int i = -1; i > exp10; i--)
            buf[n++] = '0';
          memcpy (buf + n, digits_, (gsize) k);
          n += (gsize) k;
        }
      else
        {
          for (int i = 0; i <= exp10; i++)
            buf[n++] = i < k ? digits_[i] : '0';
          buf[n++] = '.';
          if (k > exp10 + 1)
            {
              memcpy (buf + n, digits_ + exp10 + 1, (gsize) (k - exp10 - 1));
              n += (gsize) (k - exp10 - 1);
            }
          else
            buf[n++] = '0';
        }
    }
  else
    {
      buf[n++] = digits_[0];
      if (k > 1)
        {
          buf[n++] = '.';
          memcpy (buf + n, digits_ + 1, (gsize) (k - 1));
          n += (gsize) (k - 1);
        }
      n += (gsize) g_snprintf (buf + n, 12, "e%c%02d", exp10 < 0 ? '-' : '+', ABS (exp10));
    }
  buf[n] = '\0';
  return n;
}

void
expr_append_timestamp_strings (DmpiColumn *out, const gint64 *ns, const guint8 *valid, gsize n)
{
  gboolean dates_only = TRUE;
  gint fraction = 0;   /* digits */

  for (gsize i = 0; i < n; i++)
    {
      gint64 in_day, f;
      if (valid != NULL && !valid[i])
        continue;
      expr_days_of (ns[i], &in_day);
      dates_only = dates_only && in_day == 0;
      f = in_day % EXPR_NS_PER_SECOND;
      fraction = MAX (fraction, f % 1000 ? 9 : f % 1000000 ? 6 : f ? 3 : 0);
    }
  for (gsize i = 0; i < n; i++)
    {
      char buf[48];
      gint64 in_day, days;
      gint y, m, d, len;
      if (valid != NULL && !valid[i])
        {
          dmpi_column_append_missing (out);
          continue;
        }
      days = expr_days_of (ns[i], &in_day);
      expr_civil_from_days (days, &y, &m, &d);
      if (dates_only)
        len = g_snprintf (buf, sizeof buf, "%d-%02d-%02d", y, m, d);
      else
        {
          gint64 secs = in_day / EXPR_NS_PER_SECOND, f = in_day % EXPR_NS_PER_SECOND;
          len = g_snprintf (buf, sizeof buf, "%d-%02d-%02d %02d:%02d:%02d", y, m, d,
                            (gint) (secs / 3600), (gint) (secs / 60 % 60), (gint) (secs % 60));
          if (fraction == 9)
            len += g_snprintf (buf + len, sizeof buf - (gsize) len, ".%09d", (gint) f);
          else if (fraction == 6)
            len += g_snprintf (buf + len, sizeof buf - (gsize) len, ".%06d", (gint) (f / 1000));
          else if (fraction == 3)
            len += g_snprintf (buf + len, sizeof buf - (gsize) len, ".%03d", (gint) (f / 1000000));
        }
      dmpi_column_append_string (out, buf, len);
    }
}
