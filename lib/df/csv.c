/* A one-pass CSV reader. Fields are scanned in place and converted straight
 * into preallocated columns (no per-field copies, no per-row allocations);
 * only quoted fields and unusual numbers take a slower path through a
 * scratch buffer. Input is streamed in chunks of whole lines, so a block
 * costs its columns plus one chunk of memory, or less for a small block. */
#include "config.h"

#include "df/csv.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK_SIZE ((gsize) 8 * 1024 * 1024)
#define PAD        16

/* ---------------------------------------------------------------- values */

static inline gboolean
is_digit (char c)
{
  return (unsigned char) (c - '0') < 10;
}

/* The end of an unquoted field: a comma, a newline, or CR LF. */
static inline gboolean
at_field_end (const char *p)
{
  return *p == ',' || *p == '\n' || (*p == '\r' && p[1] == '\n');
}

/* An integer with an optional sign; a fraction of zeros ("2.0") is accepted
 * because writers of integer columns that had missing values print floats.
 * Returns the end, or NULL when it is not an integer or overflows. */
static inline const char *
scan_int64 (const char *p, gint64 *out)
{
  gboolean neg = FALSE;
  if (*p == '-')
    neg = TRUE, p++;
  else if (*p == '+')
    p++;
  const char *digits = p;
  guint64 x = 0;
  while (is_digit (*p))
    {
      x = x * 10 + (guint64) (*p - '0');
      p++;
      if (G_UNLIKELY (p - digits > 18))
        return NULL;
    }
  if (p == digits)
    return NULL;
  if (*p == '.')
    {
      p++;
      while (*p == '0')
        p++;
    }
  *out = neg ? -(gint64) x : (gint64) x;
  return p;
}

static const double pow10_d[] = {
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
  1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* 10^k is exact in a 64-bit mantissa up to k = 27. */
static const long double pow10_ld[] = {
  1e0L, 1e1L, 1e2L, 1e3L, 1e4L, 1e5L, 1e6L, 1e7L, 1e8L, 1e9L, 1e10L, 1e11L,
  1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L, 1e20L, 1e21L, 1e22L,
  1e23L, 1e24L, 1e25L, 1e26L, 1e27L,
};

/* Whether the 8 bytes at p are all ASCII digits; if so *v gets their
 * value (little-endian SWAR, as in simdjson). */
static inline gboolean
eight_digits (const char *p, guint64 *v)
{
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  guint64 x;
  memcpy (&x, p, sizeof x);
  if ((((x & G_GUINT64_CONSTANT (0xF0F0F0F0F0F0F0F0)) |
        (((x + G_GUINT64_CONSTANT (0x0606060606060606)) & G_GUINT64_CONSTANT (0xF0F0F0F0F0F0F0F0)) >> 4))
       != G_GUINT64_CONSTANT (0x3333333333333333)))
    return FALSE;
  x -= G_GUINT64_CONSTANT (0x3030303030303030);
  x = x * 10 + (x >> 8);
  x = (((x & G_GUINT64_CONSTANT (0x000000FF000000FF)) * (100 + (G_GUINT64_CONSTANT (1000000) << 32))) +
       (((x >> 16) & G_GUINT64_CONSTANT (0x000000FF000000FF)) * (1 + (G_GUINT64_CONSTANT (10000) << 32)))) >> 32;
  *v = x;
  return TRUE;
#else
  (void) p, (void) v;
  return FALSE;
#endif
}

/* Appends a run of digits at p to m; padded: 8 bytes past any byte of the
 * run may be read (the parser's buffer has that slack), so whole groups of
 * 8 digits go at once. */
static inline const char *
scan_digits (const char *p, guint64 *m, gboolean padded)
{
  guint64 x = *m, v;
  if (padded)
    while (eight_digits (p, &v))
      x = x * 100000000 + v, p += 8;
  while (is_digit (*p))
    x = x * 10 + (guint64) (*p++ - '0');
  *m = x;
  return p;
}

/* A decimal number in plain or exponent form with at most 19 significant
 * digits, as mantissa * 10^exp10. Returns the end, or NULL for anything else
 * (the caller then uses g_ascii_strtod). The mantissa wraps on more than 19
 * digits, which the digit count then rejects. */
static inline __attribute__ ((always_inline)) const char *
scan_decimal (const char *p, guint64 *mant, int *exp10_out, gboolean *neg, gboolean padded)
{
  *neg = FALSE;
  if (*p == '-')
    *neg = TRUE, p++;
  else if (*p == '+')
    p++;
  const char *start = p;
  guint64 m = 0;
  int exp10 = 0;
  while (*p == '0')
    p++;
  const char *digits = p;
  p = scan_digits (p, &m, padded);
  gsize nd = (gsize) (p - digits);
  gboolean any = p > start;
  if (*p == '.')
    {
      const char *frac = ++p;
      if (m == 0)
        while (*p == '0')
          p++;
      const char *sig = p;
      p = scan_digits (p, &m, padded);
      nd += (gsize) (p - sig);
      exp10 = -(int) (p - frac);
      any = any || p > frac;
    }
  /* More digits than a 64-bit mantissa holds exactly (m wrapped). */
  if (!any || nd > 19)
    return NULL;
  if (*p == 'e' || *p == 'E')
    {
      p++;
      gboolean eneg = FALSE;
      if (*p == '-')
        eneg = TRUE, p++;
      else if (*p == '+')
        p++;
      if (!is_digit (*p))
        return NULL;
      int e = 0;
      while (is_digit (*p))
        {
          if (e < 10000)
            e = e * 10 + (*p - '0');
          p++;
        }
      exp10 += eneg ? -e : e;
    }
  *mant = m;
  *exp10_out = exp10;
  return p;
}

/* With a mantissa up to 2^53 and a power of ten up to 22 the quotient or
 * product is correctly rounded: one exact operation (Clinger's fast path).
 * Larger mantissas go through long double (64-bit mantissa, exact powers up
 * to 10^27): off by at most a double rounding. */
static inline gboolean
decimal_to_double (guint64 m, int exp10, gboolean neg, double *out)
{
  double d;
  if (m == 0)
    d = 0.0;
  else if (m <= (G_GUINT64_CONSTANT (1) << 53) && exp10 >= -22 && exp10 <= 22)
    d = exp10 < 0 ? (double) m / pow10_d[-exp10] : (double) m * pow10_d[exp10];
  else if (exp10 >= -27 && exp10 <= 27)
    d = (double) (exp10 < 0 ? (long double) m / pow10_ld[-exp10]
                            : (long double) m * pow10_ld[exp10]);
  else
    return FALSE;
  *out = neg ? -d : d;
  return TRUE;
}

/* The same for a float32 result. Above 2^53 the double computation is
 * within about one double ulp, 2^29 times finer than a float32 ulp: the
 * float32 result only differs from float(correct double) when the value
 * lies within that of a float32 rounding midpoint, a double rounding that
 * pandas' float64-then-astype(float32) path has anyway. It avoids the slow
 * long double division for the 17-digit coordinates of the taxi files. */
static inline gboolean
decimal_to_float (guint64 m, int exp10, gboolean neg, gfloat *out)
{
  double d;
  if (m == 0)
    d = 0.0;
  else if (exp10 >= -22 && exp10 <= 22)
    d = exp10 < 0 ? (double) m / pow10_d[-exp10] : (double) m * pow10_d[exp10];
  else if (decimal_to_double (m, exp10, neg, &d))
    {
      *out = (gfloat) d;
      return TRUE;
    }
  else
    return FALSE;
  *out = (gfloat) (neg ? -d : d);
  return TRUE;
}

/* A number at p into *out_f (a float32) when out_f is not NULL, else into
 * *out_d; padded as for scan_digits. Returns the end, or NULL when the
 * caller must take the slow path. Every caller passes constants for padded
 * and out_f's NULL-ness, and forced inlining folds them away: each call
 * site gets its own specialised scanner (this is the parser's hot path). */
static inline __attribute__ ((always_inline)) const char *
scan_real (const char *p, gboolean padded, double *out_d, gfloat *out_f)
{
  guint64 m;
  int e;
  gboolean neg;
  p = scan_decimal (p, &m, &e, &neg, padded);
  if (p == NULL)
    return NULL;
  if (out_f != NULL ? !decimal_to_float (m, e, neg, out_f)
                    : !decimal_to_double (m, e, neg, out_d))
    return NULL;
  return p;
}

static int
days_in_month (gint64 y, int m)
{
  static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
    return 29;
  return dim[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static inline gint64
days_from_civil (gint64 y, int m, int d)
{
  y -= m <= 2;
  gint64 era = (y >= 0 ? y : y - 399) / 400;
  gint64 yoe = y - era * 400;
  gint64 doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  gint64 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

#define D2(p) (((p)[0] - '0') * 10 + ((p)[1] - '0'))

/* "YYYY-MM-DD HH:MM:SS" (or with a T, or with a fraction of a second, or a
 * date alone) to nanoseconds. The checks run left to right so that reading
 * stops at the first unexpected byte, never past the field's terminator. */
static inline const char *
scan_timestamp (const char *p, gint64 *out)
{
  if (!(is_digit (p[0]) && is_digit (p[1]) && is_digit (p[2]) && is_digit (p[3]) &&
        p[4] == '-' && is_digit (p[5]) && is_digit (p[6]) && p[7] == '-' &&
        is_digit (p[8]) && is_digit (p[9])))
    return NULL;
  int year = D2 (p) * 100 + D2 (p + 2), month = D2 (p + 5), day = D2 (p + 8);
  if (month < 1 || month > 12 || day < 1 || day > days_in_month (year, month))
    return NULL;
  gint64 secs = days_from_civil (year, month, day) * 86400;
  gint64 frac = 0;
  p += 10;
  if ((*p == ' ' || *p == 'T') && is_digit (p[1]))
    {
      if (!(is_digit (p[1]) && is_digit (p[2]) && p[3] == ':' && is_digit (p[4]) &&
            is_digit (p[5]) && p[6] == ':' && is_digit (p[7]) && is_digit (p[8])))
        return NULL;
      int h = D2 (p + 1), mi = D2 (p + 4), s = D2 (p + 7);
      if (h > 23 || mi > 59 || s > 60)
        return NULL;
      secs += h * 3600 + mi * 60 + s;
      p += 9;
      if (*p == '.')
        {
          p++;
          int n = 0;
          while (is_digit (*p))
            {
              if (n < 9)
                frac = frac * 10 + (*p - '0'), n++;
              p++;
            }
          for (; n < 9; n++)
            frac *= 10;
        }
    }
  /* Nanoseconds in a gint64 reach from 1677 to 2262 (as pandas'
   * datetime64[ns]); a date outside is an error, not an overflow. */
  if (secs >= G_MAXINT64 / G_GINT64_CONSTANT (1000000000) || secs <= G_MININT64 / G_GINT64_CONSTANT (1000000000))
    return NULL;
  *out = secs * G_GINT64_CONSTANT (1000000000) + frac;
  return p;
}

/* ---------------------------------------------------------------- parser */

typedef enum {
  KIND_SKIP = -1,
} FieldKindSkip;

typedef struct {
  int         kind;     /* KIND_SKIP or a DmpiColType */
  DmpiColumn *col;
  const char *header;   /* the field's header name */
} Field;

/* A DmpiCsvRange resolved to its column. */
typedef struct {
  DmpiColumn *col;
  double      lo, hi;
} Range;

typedef struct {
  const char *path;
  guint       n_fields;
  Field      *fields;
  DmpiColumn **cols;
  guint       n_cols;
  gsize       n_rows, capacity, max_rows;
  gsize       rows_read;     /* rows parsed, kept or not */
  guint64     size_hint;     /* bytes to parse, if known: sizes the columns
                              * and the read buffer */
  Range      *ranges;        /* a row is kept when it passes all of them */
  guint       n_ranges;
  guint64     lines;         /* newlines consumed so far */
  GString    *scratch;
  /* the failure, located by the caller */
  guint64     err_line;      /* relative line of the failing row */
  char       *err_msg;
  int         err_code;
} Parser;

typedef enum { PARSE_OK, PARSE_MORE, PARSE_DONE, PARSE_ERROR } ParseStatus;

static G_GNUC_PRINTF (3, 4) ParseStatus
parse_fail (Parser *P, int code, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_free (P->err_msg);
  P->err_msg = g_strdup_vprintf (fmt, ap);
  P->err_code = code;
  va_end (ap);
  P->err_line = P->lines;
  return PARSE_ERROR;
}

/* The rows of size_hint bytes, guessed from the lines in the first 64 KiB
 * at p, with a margin: sizing the columns once avoids copying them as they
 * grow; pages never written cost no memory. */
static gsize
estimate_rows (guint64 size_hint, const char *p, const char *end)
{
  gsize sample = (gsize) MIN ((guint64) (end - p), MIN (size_hint, (guint64) 65536));
  gsize lines = 0;
  for (const char *q = p, *e = p + sample; (q = memchr (q, '\n', (gsize) (e - q))) != NULL; q++)
    lines++;
  if (lines == 0)
    return 0;
  return (gsize) ((double) size_hint / (double) sample * (double) lines * 1.05) + 1024;
}

static void
parser_grow (Parser *P, const char *p, const char *end)
{
  gsize cap = P->capacity < 1024 ? 1024 : P->capacity * 2;
  if (P->capacity == 0 && P->size_hint > 0)
    cap = MAX (cap, estimate_rows (P->size_hint, p, end));
  if (P->max_rows > 0 && cap > P->max_rows)
    cap = P->max_rows;
  for (guint i = 0; i < P->n_cols; i++)
    dmpi_column_reserve (P->cols[i], cap);
  P->capacity = cap;
}

static inline void
set_missing (DmpiColumn *c, gsize row)
{
  if (c->valid == NULL)
    {
      c->valid = g_malloc (c->capacity);
      memset (c->valid, 1, row);
    }
  c->valid[row] = 0;
}

static inline void
set_present (DmpiColumn *c, gsize row)
{
  if (G_UNLIKELY (c->valid != NULL))
    c->valid[row] = 1;
}

static void
store_string (DmpiColumn *c, gsize row, const char *s, gsize len)
{
  /* A row re-parsed after more input arrived replaces its earlier attempt. */
  c->n_rows = row;
  c->chars_len = c->offsets[row];
  gboolean had_valid = c->valid != NULL;
  dmpi_column_append_string (c, s, (gssize) len);
  if (had_valid)
    c->valid[row] = 1;
}

/* Shows a bad field in an error message, shortened. */
static char *
field_excerpt (const char *p, gsize len)
{
  if (len > 40)
    return g_strdup_printf ("%.40s...", p);
  return g_strndup (p, len);
}

static gsize
unquoted_len (const char *p)
{
  const char *e = p;
  while (!at_field_end (e))
    e++;
  return (gsize) (e - p);
}

/* Parses a numeric or timestamp value that starts at p and ends at
 * field_end (p <= field_end); used both for unquoted fields in the buffer
 * and quoted ones in the scratch buffer. Returns FALSE if malformed. */
static gboolean
convert_value (const Field *fd, gsize row, const char *p, const char *field_end)
{
  DmpiColumn *c = fd->col;
  const char *e;
  switch (fd->kind)
    {
    case DMPI_COL_INT32:
      {
        gint64 v;
        e = scan_int64 (p, &v);
        if (e != field_end || v < G_MININT32 || v > G_MAXINT32)
          return FALSE;
        DMPI_COLUMN_INT32 (c)[row] = (gint32) v;
        break;
      }
    case DMPI_COL_INT64:
      {
        gint64 v;
        e = scan_int64 (p, &v);
        if (e != field_end)
          return FALSE;
        DMPI_COLUMN_INT64 (c)[row] = v;
        break;
      }
    case DMPI_COL_TIMESTAMP:
    case DMPI_COL_DURATION:
      {
        gint64 v;
        e = fd->kind == DMPI_COL_TIMESTAMP ? scan_timestamp (p, &v) : scan_int64 (p, &v);
        if (e != field_end)
          return FALSE;
        DMPI_COLUMN_INT64 (c)[row] = v;
        break;
      }
    case DMPI_COL_FLOAT32:
    case DMPI_COL_FLOAT64:
      {
        double d = 0;
        gfloat f = 0;
        if (fd->kind == DMPI_COL_FLOAT32)
          e = scan_real (p, FALSE, NULL, &f);
        else
          e = scan_real (p, FALSE, &d, NULL);
        if (e != field_end)
          {
            /* Unusual forms: long mantissas, huge exponents, inf, nan. */
            gsize len = (gsize) (field_end - p);
            char buf[128];
            if (len == 0 || len >= sizeof buf)
              return FALSE;
            memcpy (buf, p, len);
            buf[len] = '\0';
            char *end = NULL;
            d = g_ascii_strtod (buf, &end);
            if (end != buf + len)
              return FALSE;
            /* float64 first, then float32: what pandas' read_csv and
             * astype(float32) do. */
            f = (gfloat) d;
          }
        if (fd->kind == DMPI_COL_FLOAT32)
          DMPI_COLUMN_FLOAT32 (c)[row] = f;
        else
          DMPI_COLUMN_FLOAT64 (c)[row] = d;
        break;
      }
    default:
      g_assert_not_reached ();
    }
  set_present (c, row);
  return TRUE;
}

static ParseStatus
bad_value (Parser *P, const Field *fd, const char *p, gsize len)
{
  g_autofree char *ex = field_excerpt (p, len);
  return parse_fail (P, DMPI_DF_ERROR_PARSE, "column '%s': cannot parse \"%s\" as %s",
                     fd->header, ex, dmpi_col_type_name (fd->kind));
}

/* A field that starts with a quote. *pp is at the quote; on success it is
 * left after the closing quote. */
static ParseStatus
parse_quoted (Parser *P, const Field *fd, gsize row, const char **pp, const char *end,
              gboolean final, guint64 *row_lines)
{
  const char *q = *pp + 1;
  GString *s = P->scratch;
  g_string_truncate (s, 0);
  for (;;)
    {
      const char *x = memchr (q, '"', (gsize) (end - q));
      if (x == NULL)
        {
          if (!final)
            return PARSE_MORE;
          return parse_fail (P, DMPI_DF_ERROR_PARSE, "unterminated quoted field in column '%s'",
                             fd->header);
        }
      g_string_append_len (s, q, x - q);
      if (x + 1 < end && x[1] == '"')
        {
          g_string_append_c (s, '"');
          q = x + 2;
          continue;
        }
      q = x + 1;
      break;
    }
  for (gsize i = 0; i < s->len; i++)
    *row_lines += s->str[i] == '\n';
  if (!at_field_end (q))
    return parse_fail (P, DMPI_DF_ERROR_PARSE,
                       "unexpected character after the closing quote in column '%s'",
                       fd->header);
  *pp = q;
  if (fd->kind == KIND_SKIP)
    return PARSE_OK;
  if (fd->kind == DMPI_COL_STRING)
    {
      store_string (fd->col, row, s->str, s->len);
      return PARSE_OK;
    }
  if (s->len == 0)
    {
      set_missing (fd->col, row);
      return PARSE_OK;
    }
  if (!convert_value (fd, row, s->str, s->str + s->len))
    return bad_value (P, fd, s->str, s->len);
  return PARSE_OK;
}

static inline gboolean
row_passes (const Parser *P, gsize row)
{
  for (guint i = 0; i < P->n_ranges; i++)
    {
      const DmpiColumn *c = P->ranges[i].col;
      double v;
      if (c->valid != NULL && !c->valid[row])
        return FALSE;
      switch (c->type)
        {
        case DMPI_COL_FLOAT32:
          v = DMPI_COLUMN_FLOAT32 (c)[row];
          break;
        case DMPI_COL_INT32:
          v = DMPI_COLUMN_INT32 (c)[row];
          break;
        case DMPI_COL_FLOAT64:
          v = DMPI_COLUMN_FLOAT64 (c)[row];
          break;
        default:
          v = (double) DMPI_COLUMN_INT64 (c)[row];
          break;
        }
      if (!(v > P->ranges[i].lo && v < P->ranges[i].hi))
        return FALSE;
    }
  return TRUE;
}

/* Parses the whole lines in [buf, buf + len); buf[len - 1] is '\n', which
 * stops every unquoted scan. *consumed gets the bytes used: all of them, or
 * up to the start of a row whose quoted field runs past the end (PARSE_MORE)
 * or of the first row past max_rows (PARSE_DONE). */
static ParseStatus
parse_region (Parser *P, const char *buf, gsize len, gboolean final, gsize *consumed)
{
  const char *p = buf, *end = buf + len;
  const guint n_fields = P->n_fields;

  while (p < end)
    {
      const char *row_start = p;
      if (*p == '\n' || (*p == '\r' && p[1] == '\n'))
        {
          p += *p == '\r' ? 2 : 1;
          P->lines++;
          continue;
        }
      if (P->max_rows > 0 && P->n_rows >= P->max_rows)
        {
          *consumed = (gsize) (row_start - buf);
          return PARSE_DONE;
        }
      if (G_UNLIKELY (P->n_rows == P->capacity))
        parser_grow (P, p, end);
      const gsize row = P->n_rows;
      guint64 row_lines = 0;

      for (guint f = 0; f < n_fields; f++)
        {
          const Field *fd = &P->fields[f];
          if (G_UNLIKELY (*p == '"'))
            {
              ParseStatus st = parse_quoted (P, fd, row, &p, end, final, &row_lines);
              if (st == PARSE_MORE)
                {
                  *consumed = (gsize) (row_start - buf);
                  return PARSE_MORE;
                }
              if (st != PARSE_OK)
                return st;
            }
          else if (fd->kind == KIND_SKIP)
            {
              while (*p != ',' && *p != '\n')
                p++;
            }
          else if (fd->kind == DMPI_COL_STRING)
            {
              gsize n = unquoted_len (p);
              store_string (fd->col, row, p, n);
              if (n == 0)
                set_missing (fd->col, row);
              p += n;
            }
          else if (at_field_end (p))
            set_missing (fd->col, row);
          else
            {
              /* Scanning stops at the first byte that cannot continue the
               * value; it must then be the field's end. */
              DmpiColumn *c = fd->col;
              const char *e = NULL;
              gboolean ok = FALSE;
              gfloat fv;
              gint64 v;
              switch (fd->kind)
                {
                case DMPI_COL_FLOAT32:
                  e = scan_real (p, TRUE, NULL, &fv);
                  if (G_LIKELY (e != NULL && at_field_end (e)))
                    DMPI_COLUMN_FLOAT32 (c)[row] = fv, ok = TRUE;
                  break;
                case DMPI_COL_TIMESTAMP:
                  e = scan_timestamp (p, &v);
                  if (G_LIKELY (e != NULL && at_field_end (e)))
                    DMPI_COLUMN_INT64 (c)[row] = v, ok = TRUE;
                  break;
                case DMPI_COL_INT32:
                  e = scan_int64 (p, &v);
                  if (G_LIKELY (e != NULL && at_field_end (e) && v >= G_MININT32 && v <= G_MAXINT32))
                    DMPI_COLUMN_INT32 (c)[row] = (gint32) v, ok = TRUE;
                  break;
                default:
                  break;
                }
              if (G_LIKELY (ok))
                {
                  set_present (c, row);
                  p = e;
                }
              else
                {
                  gsize n = unquoted_len (p);
                  if (!convert_value (fd, row, p, p + n))
                    return bad_value (P, fd, p, n);
                  p += n;
                }
            }

          /* *p is now ',' or '\n' or CR LF */
          if (f + 1 < n_fields)
            {
              if (G_UNLIKELY (*p != ','))
                return parse_fail (P, DMPI_DF_ERROR_PARSE, "expected %u fields, found %u",
                                   n_fields, f + 1);
              p++;
            }
          else
            {
              if (*p == '\r')
                p++;
              if (G_UNLIKELY (*p != '\n'))
                {
                  guint n = n_fields;
                  while (*p != '\n')
                    n += *p++ == ',';
                  return parse_fail (P, DMPI_DF_ERROR_PARSE, "expected %u fields, found %u",
                                     n_fields, n);
                }
              p++;
            }
        }
      P->lines += 1 + row_lines;
      P->rows_read++;
      /* A rejected row is overwritten by the next one. */
      if (G_LIKELY (row_passes (P, row)))
        P->n_rows++;
    }
  *consumed = len;
  return PARSE_OK;
}

/* ---------------------------------------------------------------- header */

/* Splits a header line (without its newline) into names. */
static char **
split_header (const char *line, gsize len)
{
  GPtrArray *names = g_ptr_array_new ();
  if (len >= 3 && memcmp (line, "\xEF\xBB\xBF", 3) == 0)
    line += 3, len -= 3;
  if (len > 0 && line[len - 1] == '\r')
    len--;
  const char *p = line, *end = line + len;
  for (;;)
    {
      GString *name = g_string_new (NULL);
      if (p < end && *p == '"')
        {
          p++;
          while (p < end)
            {
              if (*p == '"' && p + 1 < end && p[1] == '"')
                g_string_append_c (name, '"'), p += 2;
              else if (*p == '"')
                {
                  p++;
                  break;
                }
              else
                g_string_append_c (name, *p++);
            }
        }
      while (p < end && *p != ',')
        g_string_append_c (name, *p++);
      g_ptr_array_add (names, g_string_free (name, FALSE));
      if (p >= end)
        break;
      p++;
    }
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (names, FALSE);
}

/* ---------------------------------------------------------------- sources */

typedef gssize (*ReadFunc) (gpointer source, char *buf, gsize n, GError **error);

typedef struct {
  const char *path;
  int         fd;
  guint64     pos, end;
} PlainSource;

static gssize
plain_pread (const char *path, int fd, char *buf, gsize n, guint64 pos, GError **error)
{
  for (;;)
    {
      gssize r = pread (fd, buf, n, (off_t) pos);
      if (r >= 0)
        return r;
      if (errno == EINTR)
        continue;
      int saved = errno;
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_IO, "%s: read failed at byte %"
                   G_GUINT64_FORMAT ": %s", path, pos, g_strerror (saved));
      return -1;
    }
}

static gssize
plain_read (gpointer source, char *buf, gsize n, GError **error)
{
  PlainSource *s = source;
  n = (gsize) MIN ((guint64) n, s->end - s->pos);
  if (n == 0)
    return 0;
  gssize r = plain_pread (s->path, s->fd, buf, n, s->pos, error);
  if (r > 0)
    s->pos += (guint64) r;
  return r;
}

typedef struct {
  const char     *path;
  struct archive *a;
} ArchiveSource;

static gssize
archive_source_read (gpointer source, char *buf, gsize n, GError **error)
{
  ArchiveSource *s = source;
  la_ssize_t r = archive_read_data (s->a, buf, n);
  if (r < 0)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_CORRUPT, "%s: corrupt or truncated: %s",
                   s->path, archive_error_string (s->a) ? archive_error_string (s->a)
                                                         : "unknown libarchive error");
      return -1;
    }
  return (gssize) r;
}

/* Index after the first newline at or after pos, or the file's size. */
static gboolean
next_line_start (const char *path, int fd, guint64 pos, guint64 size, guint64 *out,
                 GError **error)
{
  char buf[65536];
  while (pos < size)
    {
      gssize r = plain_pread (path, fd, buf, (gsize) MIN ((guint64) sizeof buf, size - pos), pos, error);
      if (r < 0)
        return FALSE;
      if (r == 0)
        break;
      const char *nl = memchr (buf, '\n', (gsize) r);
      if (nl != NULL)
        {
          *out = pos + (guint64) (nl - buf) + 1;
          return TRUE;
        }
      pos += (guint64) r;
    }
  *out = size;
  return TRUE;
}

/* Newlines in [0, end) of a plain file: a block's first line number, counted
 * only when an error needs it. */
static guint64
count_newlines (int fd, guint64 end)
{
  g_autofree char *buf = g_malloc (1 << 20);
  guint64 n = 0, pos = 0;
  while (pos < end)
    {
      gssize r = pread (fd, buf, (gsize) MIN ((guint64) (1 << 20), end - pos), (off_t) pos);
      if (r <= 0)
        break;
      for (const char *p = buf, *e = buf + r; (p = memchr (p, '\n', (gsize) (e - p))) != NULL; p++)
        n++;
      pos += (guint64) r;
    }
  return n;
}

/* ---------------------------------------------------------------- reading */

static void
parser_clear (Parser *P)
{
  g_free (P->fields);
  g_free (P->cols);
  g_free (P->ranges);
  if (P->scratch != NULL)
    g_string_free (P->scratch, TRUE);
  g_free (P->err_msg);
}

/* Matches the requested columns against the header and makes the table's
 * (empty) columns. */
static gboolean
parser_setup (Parser *P, char **header, const DmpiCsvColumn *specs, guint n_specs,
              GError **error)
{
  P->n_fields = g_strv_length (header);
  P->fields = g_new0 (Field, P->n_fields);
  for (guint f = 0; f < P->n_fields; f++)
    {
      P->fields[f].kind = KIND_SKIP;
      P->fields[f].header = header[f];
    }
  P->n_cols = n_specs;
  P->cols = g_new0 (DmpiColumn *, n_specs);
  P->scratch = g_string_new (NULL);
  for (guint i = 0; i < n_specs; i++)
    {
      gint found = -1;
      for (guint f = 0; f < P->n_fields && found < 0; f++)
        if (strcmp (header[f], specs[i].name) == 0 ||
            (specs[i].alt_name != NULL && strcmp (header[f], specs[i].alt_name) == 0))
          found = (gint) f;
      if (found < 0)
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_MISSING_COLUMN,
                       "%s: no column '%s'%s%s%s in the header", P->path, specs[i].name,
                       specs[i].alt_name ? " (or '" : "",
                       specs[i].alt_name ? specs[i].alt_name : "",
                       specs[i].alt_name ? "')" : "");
          return FALSE;
        }
      if (P->fields[found].kind != KIND_SKIP)
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED,
                       "%s: column '%s' requested twice", P->path, header[found]);
          return FALSE;
        }
      P->cols[i] = dmpi_column_new (specs[i].out_name ? specs[i].out_name : header[found],
                                    specs[i].type, 0);
      P->fields[found].kind = (int) specs[i].type;
      P->fields[found].col = P->cols[i];
    }
  return TRUE;
}

/* Resolves the row filter against the columns made by parser_setup. */
static gboolean
parser_setup_ranges (Parser *P, const DmpiCsvRange *keep, guint n_keep, GError **error)
{
  P->ranges = g_new0 (Range, MAX (n_keep, 1));
  P->n_ranges = n_keep;
  for (guint i = 0; i < n_keep; i++)
    {
      if (keep[i].column >= P->n_cols)
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED,
                       "%s: row filter %u names column %u of %u", P->path, i,
                       keep[i].column, P->n_cols);
          return FALSE;
        }
      DmpiColumn *c = P->cols[keep[i].column];
      if (c->type != DMPI_COL_INT32 && c->type != DMPI_COL_INT64 &&
          c->type != DMPI_COL_FLOAT32 && c->type != DMPI_COL_FLOAT64)
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED,
                       "%s: row filter on column '%s' of type %s: only numbers", P->path,
                       c->name, dmpi_col_type_name (c->type));
          return FALSE;
        }
      P->ranges[i] = (Range) { c, keep[i].lo, keep[i].hi };
    }
  return TRUE;
}

static DmpiTable *
parser_finish (Parser *P)
{
  DmpiTable *t = dmpi_table_new ();
  for (guint i = 0; i < P->n_cols; i++)
    {
      P->cols[i]->n_rows = P->n_rows;
      dmpi_table_add_column (t, P->cols[i]);
      P->cols[i] = NULL;
    }
  t->n_rows = P->n_rows;
  return t;
}

static void
parser_free_columns (Parser *P)
{
  for (guint i = 0; i < P->n_cols; i++)
    g_clear_pointer (&P->cols[i], dmpi_column_free);
}

/* Feeds a source through the parser in chunks of whole lines. The buffer
 * holds the whole source when its size is known and small (a plain block
 * already runs to the end of its last line: see read_plain), else one
 * chunk; it grows only for a line longer than itself. */
static gboolean
parse_stream (Parser *P, ReadFunc read, gpointer source, GError **error)
{
  /* + 1: a source read whole leaves room, so the read that reports its end
   * comes before the buffer would grow. */
  gsize cap = P->size_hint > 0 ? (gsize) MIN (P->size_hint + 1, (guint64) CHUNK_SIZE)
                               : CHUNK_SIZE;
  gsize have = 0;
  /* + 1: room for a final '\n'; + PAD: the number scanner's 8-byte loads
   * (zeroed, so that they read defined bytes). */
  g_autofree char *buf = g_malloc0 (cap + 1 + PAD);
  gboolean eof = FALSE;

  for (;;)
    {
      if (!eof)
        {
          if (have == cap)
            {
              cap *= 2;
              buf = g_realloc (buf, cap + 1 + PAD);
              memset (buf + have, 0, cap + 1 + PAD - have);
            }
          gssize r = read (source, buf + have, cap - have, error);
          if (r < 0)
            return FALSE;
          if (r == 0)
            eof = TRUE;
          have += (gsize) r;
        }
      gsize region;
      if (eof)
        {
          if (have == 0)
            return TRUE;
          if (buf[have - 1] != '\n')
            buf[have++] = '\n';
          region = have;
        }
      else
        {
          const char *nl = memrchr (buf, '\n', have);
          if (nl == NULL)
            continue;
          region = (gsize) (nl - buf) + 1;
        }
      gsize consumed = 0;
      ParseStatus st = parse_region (P, buf, region, eof, &consumed);
      if (st == PARSE_ERROR)
        return FALSE;
      if (st == PARSE_DONE || eof)
        return TRUE;
      memmove (buf, buf + consumed, have - consumed);
      have -= consumed;
    }
}

static void
report_parse_error (Parser *P, guint64 first_line, GError **error)
{
  g_set_error (error, DMPI_DF_ERROR, P->err_code, "%s:%" G_GUINT64_FORMAT ": %s", P->path,
               first_line + P->err_line, P->err_msg);
}

gboolean
dmpi_csv_path_is_compressed (const char *path)
{
  static const char *const exts[] = {
    ".gz", ".bz2", ".xz", ".zst", ".lz4", ".lzma", ".zip", ".Z",
  };
  for (gsize i = 0; i < G_N_ELEMENTS (exts); i++)
    if (g_str_has_suffix (path, exts[i]))
      return TRUE;
  return FALSE;
}

static int
open_plain (const char *path, guint64 *size, GError **error)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0)
    {
      int saved = errno;
      if (fd >= 0)
        close (fd);
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_IO, "%s: %s", path, g_strerror (saved));
      return -1;
    }
  *size = (guint64) st.st_size;
  return fd;
}

/* The first line of a plain file, split into names. */
static char **
plain_header (const char *path, int fd, guint64 size, GError **error)
{
  guint64 end;
  if (!next_line_start (path, fd, 0, size, &end, error))
    return NULL;
  if (end == 0)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_PARSE, "%s: empty file, no header", path);
      return NULL;
    }
  g_autofree char *line = g_malloc (end);
  gsize got = 0;
  while (got < end)
    {
      gssize r = plain_pread (path, fd, line + got, end - got, got, error);
      if (r < 0)
        return NULL;
      if (r == 0)
        break;
      got += (gsize) r;
    }
  if (got > 0 && line[got - 1] == '\n')
    got--;
  return split_header (line, got);
}

/* Opens a compressed file (or the first .csv member of a zip) for
 * streaming. */
static struct archive *
open_archive (const char *path, GError **error)
{
  struct archive *a = archive_read_new ();
  archive_read_support_filter_all (a);
  archive_read_support_format_zip (a);
  archive_read_support_format_raw (a);
  if (archive_read_open_filename (a, path, 1 << 20) != ARCHIVE_OK)
    {
      int code = archive_errno (a) == ENOENT || archive_errno (a) == EACCES
                 ? DMPI_DF_ERROR_IO : DMPI_DF_ERROR_CORRUPT;
      g_set_error (error, DMPI_DF_ERROR, code, "%s: cannot open: %s", path,
                   archive_error_string (a) ? archive_error_string (a) : "unknown error");
      archive_read_free (a);
      return NULL;
    }
  for (;;)
    {
      struct archive_entry *entry;
      int r = archive_read_next_header (a, &entry);
      if (r == ARCHIVE_EOF)
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_CORRUPT, "%s: no .csv member", path);
          break;
        }
      if (r < ARCHIVE_WARN)
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_CORRUPT, "%s: corrupt: %s", path,
                       archive_error_string (a) ? archive_error_string (a) : "unknown error");
          break;
        }
      const char *name = archive_entry_pathname (entry);
      if (archive_format (a) == ARCHIVE_FORMAT_RAW ||
          (name != NULL && g_str_has_suffix (name, ".csv")))
        return a;
    }
  archive_read_free (a);
  return NULL;
}

/* Reads the header line from the front of an archive stream; the bytes
 * after it are parsed first. */
typedef struct {
  ArchiveSource src;
  char         *pending;
  gsize         pending_len, pending_pos;
} HeaderedSource;

static gssize
headered_read (gpointer source, char *buf, gsize n, GError **error)
{
  HeaderedSource *s = source;
  if (s->pending_pos < s->pending_len)
    {
      gsize k = MIN (n, s->pending_len - s->pending_pos);
      memcpy (buf, s->pending + s->pending_pos, k);
      s->pending_pos += k;
      return (gssize) k;
    }
  return archive_source_read (&s->src, buf, n, error);
}

static char **
archive_header (HeaderedSource *s, GError **error)
{
  GString *acc = g_string_new (NULL);
  char buf[65536];
  const char *nl = NULL;
  while ((nl = memchr (acc->str, '\n', acc->len)) == NULL)
    {
      gssize r = archive_source_read (&s->src, buf, sizeof buf, error);
      if (r < 0)
        {
          g_string_free (acc, TRUE);
          return NULL;
        }
      if (r == 0)
        break;
      g_string_append_len (acc, buf, r);
    }
  if (acc->len == 0)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_PARSE, "%s: empty file, no header",
                   s->src.path);
      g_string_free (acc, TRUE);
      return NULL;
    }
  gsize line_len = nl != NULL ? (gsize) (nl - acc->str) : acc->len;
  char **names = split_header (acc->str, line_len);
  s->pending_pos = nl != NULL ? line_len + 1 : acc->len;
  s->pending_len = acc->len;
  s->pending = g_string_free (acc, FALSE);
  return names;
}

static DmpiTable *
read_archive (const char *path, const DmpiCsvColumn *specs, guint n_specs, gsize max_rows,
              const DmpiCsvRange *keep, guint n_keep, gsize *rows_in, GError **error)
{
  HeaderedSource s = { { path, NULL }, NULL, 0, 0 };
  Parser P = { .path = path, .max_rows = max_rows };
  DmpiTable *result = NULL;
  g_auto(GStrv) header = NULL;

  s.src.a = open_archive (path, error);
  if (s.src.a == NULL)
    return NULL;
  header = archive_header (&s, error);
  if (header == NULL)
    goto out;
  if (!parser_setup (&P, header, specs, n_specs, error) ||
      !parser_setup_ranges (&P, keep, n_keep, error))
    goto out;
  P.lines = 1;   /* the header */
  if (!parse_stream (&P, headered_read, &s, error))
    {
      if (P.err_msg != NULL)
        report_parse_error (&P, 1, error);
      goto out;
    }
  result = parser_finish (&P);
  if (rows_in != NULL)
    *rows_in = P.rows_read;
out:
  parser_free_columns (&P);
  parser_clear (&P);
  g_free (s.pending);
  archive_read_free (s.src.a);
  return result;
}

static DmpiTable *
read_plain (const char *path, guint64 offset, guint64 length, const DmpiCsvColumn *specs,
            guint n_specs, gsize max_rows, const DmpiCsvRange *keep, guint n_keep,
            gsize *rows_in, GError **error)
{
  guint64 size, start, end;
  Parser P = { .path = path, .max_rows = max_rows };
  DmpiTable *result = NULL;
  g_auto(GStrv) header = NULL;

  int fd = open_plain (path, &size, error);
  if (fd < 0)
    return NULL;
  header = plain_header (path, fd, size, error);
  if (header == NULL || !parser_setup (&P, header, specs, n_specs, error) ||
      !parser_setup_ranges (&P, keep, n_keep, error))
    goto out;
  if (!next_line_start (path, fd, MIN (offset, size), size, &start, error))
    goto out;
  if (length >= size || offset + length >= size)
    end = size;
  else if (!next_line_start (path, fd, offset + length, size, &end, error))
    goto out;
  if (start < end)
    {
      PlainSource src = { path, fd, start, end };
      P.size_hint = end - start;
      if (!parse_stream (&P, plain_read, &src, error))
        {
          if (P.err_msg != NULL)
            report_parse_error (&P, 1 + count_newlines (fd, start), error);
          goto out;
        }
    }
  result = parser_finish (&P);
  if (rows_in != NULL)
    *rows_in = P.rows_read;
out:
  parser_free_columns (&P);
  parser_clear (&P);
  close (fd);
  return result;
}

DmpiTable *
dmpi_csv_read (const char *path, guint64 offset, guint64 length,
               const DmpiCsvColumn *columns, guint n_columns, GError **error)
{
  return dmpi_csv_read_filtered (path, offset, length, columns, n_columns, NULL, 0, NULL,
                                 error);
}

DmpiTable *
dmpi_csv_read_filtered (const char *path, guint64 offset, guint64 length,
                        const DmpiCsvColumn *columns, guint n_columns,
                        const DmpiCsvRange *keep, guint n_keep, gsize *rows_in,
                        GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (keep != NULL || n_keep == 0, NULL);
  if (dmpi_csv_path_is_compressed (path))
    {
      if (offset != 0)
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED,
                       "%s: a compressed file is read whole, not from byte %" G_GUINT64_FORMAT,
                       path, offset);
          return NULL;
        }
      return read_archive (path, columns, n_columns, 0, keep, n_keep, rows_in, error);
    }
  return read_plain (path, offset, length, columns, n_columns, 0, keep, n_keep, rows_in,
                     error);
}

char **
dmpi_csv_read_header (const char *path, GError **error)
{
  if (dmpi_csv_path_is_compressed (path))
    {
      HeaderedSource s = { { path, NULL }, NULL, 0, 0 };
      s.src.a = open_archive (path, error);
      if (s.src.a == NULL)
        return NULL;
      char **names = archive_header (&s, error);
      g_free (s.pending);
      archive_read_free (s.src.a);
      return names;
    }
  guint64 size;
  int fd = open_plain (path, &size, error);
  if (fd < 0)
    return NULL;
  char **names = plain_header (path, fd, size, error);
  close (fd);
  return names;
}

DmpiTable *
dmpi_csv_read_head (const char *path, gsize max_rows, GError **error)
{
  g_auto(GStrv) names = dmpi_csv_read_header (path, error);
  if (names == NULL)
    return NULL;
  guint n = g_strv_length (names);
  g_autofree DmpiCsvColumn *specs = g_new0 (DmpiCsvColumn, n);
  for (guint i = 0; i < n; i++)
    {
      specs[i].name = names[i];
      specs[i].type = DMPI_COL_STRING;
    }
  max_rows = MAX (max_rows, 1);
  if (dmpi_csv_path_is_compressed (path))
    return read_archive (path, specs, n, max_rows, NULL, 0, NULL, error);
  return read_plain (path, 0, G_MAXUINT64, specs, n, max_rows, NULL, 0, NULL, error);
}

GArray *
dmpi_csv_list_blocks (const char *path, guint64 blocksize, GError **error)
{
  struct stat st;
  if (stat (path, &st) < 0)
    {
      int saved = errno;
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_IO, "%s: %s", path, g_strerror (saved));
      return NULL;
    }
  if (blocksize == 0)
    blocksize = DMPI_CSV_DEFAULT_BLOCKSIZE;
  guint64 size = (guint64) st.st_size;
  GArray *blocks = g_array_new (FALSE, FALSE, sizeof (DmpiCsvBlock));
  if (dmpi_csv_path_is_compressed (path) || size == 0)
    {
      DmpiCsvBlock b = { 0, size };
      g_array_append_val (blocks, b);
      return blocks;
    }
  for (guint64 off = 0; off < size; off += blocksize)
    {
      DmpiCsvBlock b = { off, MIN (blocksize, size - off) };
      g_array_append_val (blocks, b);
    }
  return blocks;
}
