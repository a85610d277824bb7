/* A one-pass CSV reader. Fields are scanned in place and converted straight
 * into preallocated columns (no per-field copies, no per-row allocations);
 * only quoted fields and unusual numbers take a slower path through a
 * scratch buffer. Input is streamed in chunks of whole lines, so a block
 * costs its columns plus one chunk of memory, or less for a small block. */
#include "config.h"

#include "df/csv.h"

#include "df/timeparse.h"

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

/* The end of an unquoted field: the delimiter, a newline, or CR LF. */
static inline gboolean
at_field_end (const char *p, char delim)
{
  return *p == delim || *p == '\n' || (*p == '\r' && p[1] == '\n');
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
  if (month < 1 || month > 12 || day < 1 || day > dmpi_days_in_month (year, month))
    return NULL;
  gint64 secs = dmpi_days_from_civil (year, month, day) * 86400;
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

/* ---------------------------------------------------------------- formats */

static const char *const default_na_values[] = {
  "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "#N/A", "<NA>", "n/a", "-NaN", "-nan",
  "#NA", "1.#IND", "-1.#IND", "1.#QNAN", "-1.#QNAN", "#N/A N/A",
};

void
dmpi_csv_format_init (DmpiCsvFormat *format)
{
  g_return_if_fail (format != NULL);
  *format = (DmpiCsvFormat) { ',', '"', TRUE, NULL, TRUE };
}

static gboolean
check_format (const char *path, const DmpiCsvFormat *format, GError **error)
{
  char d = format->delimiter, q = format->quote;
  if (d == '\0' || d == '\r' || d == '\n' || d == q || q == '\r' || q == '\n')
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED,
                   "%s: delimiter 0x%02x with quote 0x%02x: the delimiter must be one byte "
                   "other than the quote, NUL, CR and LF; the quote neither CR nor LF",
                   path, (guchar) d, (guchar) q);
      return FALSE;
    }
  return TRUE;
}

/* The strings read as missing: a first-byte table and a mask of lengths
 * reject most values before any comparison. "" is always missing. */
typedef struct {
  const char **s;        /* borrowed: static, or the caller's na_values */
  gsize       *len;
  guint        n;
  guint64      lens;     /* bit k: some string has length k (< 64) */
  guint8       first[256];
} NaSet;

static void
na_set_init (NaSet *na, const DmpiCsvFormat *format)
{
  guint n_extra = format->na_values != NULL ? g_strv_length ((char **) format->na_values) : 0;
  guint n_default = format->keep_default_na ? G_N_ELEMENTS (default_na_values) : 0;
  memset (na, 0, sizeof *na);
  na->s = g_new (const char *, n_default + n_extra + 1);
  na->len = g_new (gsize, n_default + n_extra + 1);
  for (guint i = 0; i < n_default + n_extra; i++)
    {
      const char *s = i < n_default ? default_na_values[i] : format->na_values[i - n_default];
      gsize len = strlen (s);
      if (len == 0 || len >= 64)
        continue;   /* "" is always missing; longer ones cannot be fields we test */
      na->s[na->n] = s;
      na->len[na->n++] = len;
      na->lens |= G_GUINT64_CONSTANT (1) << len;
      na->first[(guchar) s[0]] = 1;
    }
}

static void
na_set_clear (NaSet *na)
{
  g_free (na->s);
  g_free (na->len);
}

static inline gboolean
na_match (const NaSet *na, const char *p, gsize len)
{
  if (len == 0)
    return TRUE;
  if (G_LIKELY (!na->first[(guchar) *p]) || len >= 64 || !(na->lens >> len & 1))
    return FALSE;
  for (guint i = 0; i < na->n; i++)
    if (na->len[i] == len && memcmp (na->s[i], p, len) == 0)
      return TRUE;
  return FALSE;
}

/* Whether one of the caller's NA strings could read as a value
 * (na_values=["-999"]): typed fields must then be checked against the NA
 * strings before they are parsed. */
static gboolean
na_values_look_like_values (const DmpiCsvFormat *format)
{
  for (guint i = 0; format->na_values != NULL && format->na_values[i] != NULL; i++)
    {
      const char *s = format->na_values[i];
      char *end = NULL;
      g_ascii_strtod (s, &end);
      if (s[0] != '\0' && (end == s + strlen (s) || g_ascii_isdigit (s[0]) || s[0] == '-' ||
                            s[0] == '+' || s[0] == '.' || g_ascii_strcasecmp (s, "true") == 0 ||
                            g_ascii_strcasecmp (s, "false") == 0))
        return TRUE;
    }
  return FALSE;
}

/* pandas' spellings of a bool. */
static inline gboolean
scan_bool (const char *p, gsize len, gboolean *out)
{
  if (len == 4 && (memcmp (p, "True", 4) == 0 || memcmp (p, "TRUE", 4) == 0 ||
                   memcmp (p, "true", 4) == 0))
    *out = TRUE;
  else if (len == 5 && (memcmp (p, "False", 5) == 0 || memcmp (p, "FALSE", 5) == 0 ||
                        memcmp (p, "false", 5) == 0))
    *out = FALSE;
  else
    return FALSE;
  return TRUE;
}

/* ---------------------------------------------------------------- parser */

typedef enum {
  KIND_SKIP = -1,
  KIND_TIMESTAMP_FORMAT = DMPI_COL_N_TYPES,   /* a timestamp with a format */
} FieldKindExtra;

typedef struct {
  int             kind;     /* KIND_SKIP, a DmpiColType or KIND_TIMESTAMP_FORMAT */
  DmpiColumn     *col;     /* (24 bytes: the hot loop indexes an array of them) */
  const char     *header;   /* the field's header name */
} Field;

/* A DmpiCsvRange resolved to its column. */
typedef struct {
  DmpiColumn *col;
  double      lo, hi;
  gboolean    lo_inclusive, hi_inclusive;
} Range;

typedef struct {
  const char *path;
  /* the format */
  char        delim, quote;  /* quote 0: none */
  gboolean    fast_format;   /* ',' and '"', no NA string that is a number */
  gboolean    copy_values;   /* the delimiter can occur inside a number or a
                              * timestamp: values are copied out before
                              * they are scanned */
  gboolean    na_first;      /* check numbers against the NA strings first */
  NaSet       na;
  guint       n_fields;
  Field      *fields;
  DmpiTimeFormat **time_formats;  /* per field, for KIND_TIMESTAMP_FORMAT */
  DmpiColumn **cols;
  guint       n_cols;
  gsize       n_rows, capacity, max_rows;
  gsize       rows_read;     /* rows parsed, kept or not */
  guint64     size_hint;     /* bytes to parse, if known: sizes the columns
                              * and the read buffer */
  Range      *ranges;        /* a row is kept when it passes all of them */
  guint       n_ranges;
  guint64     lines;         /* newlines consumed so far */
  const char *row_start;     /* the row being parsed, in the buffer (set
                              * before anything that can fail) */
  GString    *scratch;       /* a quoted field's value */
  GString    *value_copy;    /* see copy_values */
  /* the failure, located by the caller */
  guint64     err_line;      /* relative line of the failure */
  guint64     err_column;    /* its byte in that line, from 1 */
  char       *err_msg;
  int         err_code;
} Parser;

typedef enum { PARSE_OK, PARSE_MORE, PARSE_DONE, PARSE_ERROR } ParseStatus;

/* Fails at byte at of the current row (in the buffer). */
static G_GNUC_PRINTF (4, 5) ParseStatus
parse_fail (Parser *P, const char *at, int code, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_free (P->err_msg);
  P->err_msg = g_strdup_vprintf (fmt, ap);
  P->err_code = code;
  va_end (ap);
  const char *line = P->row_start;
  P->err_line = P->lines;
  for (const char *q = P->row_start; q < at; q++)
    if (*q == '\n')
      P->err_line++, line = q + 1;
  P->err_column = (guint64) (at - line) + 1;
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

/* A missing value stores a zero (table.h), which a bool column's readers
 * check. */
static inline void
set_missing (DmpiColumn *c, gsize row)
{
  if (c->valid == NULL)
    {
      c->valid = g_malloc (c->capacity);
      memset (c->valid, 1, row);
    }
  c->valid[row] = 0;
  switch (c->type)
    {
    case DMPI_COL_INT32:
    case DMPI_COL_FLOAT32:
      memset ((char *) c->data + row * 4, 0, 4);
      break;
    case DMPI_COL_BOOL:
      DMPI_COLUMN_BOOL (c)[row] = 0;
      break;
    case DMPI_COL_STRING:
      break;
    default:
      memset ((char *) c->data + row * 8, 0, 8);
      break;
    }
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

/* A string value, or a missing one for an NA string. (Out of line, as
 * convert_or_na: the parser's hot loop keeps its registers.) */
static G_GNUC_NO_INLINE void
store_string_or_na (const Parser *P, DmpiColumn *c, gsize row, const char *s, gsize len)
{
  gboolean na = na_match (&P->na, s, len);
  store_string (c, row, s, na ? 0 : len);
  if (na)
    set_missing (c, row);
}

/* Shows a bad field in an error message, shortened. */
static char *
field_excerpt (const char *p, gsize len)
{
  if (len > 40)
    return g_strdup_printf ("%.40s...", p);
  return g_strndup (p, len);
}

static inline gsize
unquoted_len (const char *p, char delim)
{
  const char *e = p;
  while (!at_field_end (e, delim))
    e++;
  return (gsize) (e - p);
}

/* Parses a value of a typed column that starts at p and ends at field_end
 * (p < field_end); used for unquoted fields in the buffer and quoted ones
 * in the scratch buffer. Returns FALSE if malformed (the caller then tries
 * the NA strings). */
static gboolean
convert_value (Parser *P, const Field *fd, gsize row, const char *p, const char *field_end)
{
  DmpiColumn *c = fd->col;
  const char *e;
  gsize len = (gsize) (field_end - p);

  /* The scanners stop at the first byte that cannot continue a value; when
   * the delimiter is such a byte, scan a terminated copy. */
  if (G_UNLIKELY (P->copy_values) && *field_end != '\n' && *field_end != '\0')
    {
      g_string_truncate (P->value_copy, 0);
      g_string_append_len (P->value_copy, p, (gssize) len);
      g_string_append_c (P->value_copy, '\n');
      p = P->value_copy->str, field_end = p + len;
    }
  switch (fd->kind)
    {
    case DMPI_COL_INT32:
      {
        gint64 v = 0;
        e = scan_int64 (p, &v);
        if (e != field_end || v < G_MININT32 || v > G_MAXINT32)
          return FALSE;
        DMPI_COLUMN_INT32 (c)[row] = (gint32) v;
        break;
      }
    case DMPI_COL_INT64:
      {
        gint64 v = 0;
        e = scan_int64 (p, &v);
        if (e != field_end)
          return FALSE;
        DMPI_COLUMN_INT64 (c)[row] = v;
        break;
      }
    case DMPI_COL_TIMESTAMP:
      {
        gint64 v = 0;
        e = scan_timestamp (p, &v);
        if (e != field_end)
          return FALSE;
        DMPI_COLUMN_INT64 (c)[row] = v;
        break;
      }
    case KIND_TIMESTAMP_FORMAT:
      if (!dmpi_time_format_parse (P->time_formats[fd - P->fields], p, len, &DMPI_COLUMN_INT64 (c)[row]))
        return FALSE;
      break;
    case DMPI_COL_DURATION:
      {
        gint64 v = 0;
        e = scan_int64 (p, &v);
        if (e != field_end && !dmpi_duration_parse (p, len, &v))
          return FALSE;
        DMPI_COLUMN_INT64 (c)[row] = v;
        break;
      }
    case DMPI_COL_BOOL:
      {
        gboolean b;
        if (!scan_bool (p, len, &b))
          return FALSE;
        DMPI_COLUMN_BOOL (c)[row] = (guint8) b;
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
            /* Unusual forms: long mantissas, huge exponents, inf, nan; but
             * "nan" and the like are missing values when they are NA
             * strings, as pandas reads them. */
            char buf[128];
            if (len == 0 || len >= sizeof buf || na_match (&P->na, p, len))
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

/* Dask's advice for a value that does not fit a type read_csv infers:
 * the type that would hold it. */
static const char *
wider_type (int kind, const char *p, gsize len)
{
  char buf[128];
  char *end = NULL;
  if (kind != DMPI_COL_INT64 && kind != DMPI_COL_FLOAT64 && kind != DMPI_COL_BOOL)
    return NULL;
  if (len > 0 && len < sizeof buf && kind == DMPI_COL_INT64)
    {
      memcpy (buf, p, len);
      buf[len] = '\0';
      g_ascii_strtod (buf, &end);
      if (end == buf + len)
        return "float64";
    }
  return "string";
}

/* A value that is neither of its column's type nor an NA string. at is
 * where the field starts in the buffer (its quote, if quoted). */
static ParseStatus
bad_value (Parser *P, const Field *fd, const char *at, const char *p, gsize len)
{
  g_autofree char *ex = field_excerpt (p, len);
  g_autofree char *hint = NULL;
  const char *wider = wider_type (fd->kind, p, len);
  if (wider != NULL)
    hint = g_strdup_printf ("; if this type was inferred from the start of the file, give "
                            "the column's type explicitly (%s)", wider);
  if (fd->kind == KIND_TIMESTAMP_FORMAT)
    return parse_fail (P, at, DMPI_DF_ERROR_PARSE,
                       "column '%s': cannot parse \"%s\" as timestamp with format '%s'",
                       fd->header, ex, dmpi_time_format_string (P->time_formats[fd - P->fields]));
  return parse_fail (P, at, DMPI_DF_ERROR_PARSE, "column '%s': cannot parse \"%s\" as %s%s",
                     fd->header, ex, dmpi_col_type_name (fd->kind), hint ? hint : "");
}

/* A typed value, else an NA string, else an error. */
static G_GNUC_NO_INLINE ParseStatus
convert_or_na (Parser *P, const Field *fd, gsize row, const char *at, const char *p, gsize len)
{
  if (G_UNLIKELY (P->na_first) && na_match (&P->na, p, len))
    set_missing (fd->col, row);
  else if (!convert_value (P, fd, row, p, p + len))
    {
      if (!na_match (&P->na, p, len))
        return bad_value (P, fd, at, p, len);
      set_missing (fd->col, row);
    }
  return PARSE_OK;
}

/* A field that starts with a quote. *pp is at the quote; on success it is
 * left after the closing quote. */
static ParseStatus
parse_quoted (Parser *P, const Field *fd, gsize row, const char **pp, const char *end,
              gboolean final, guint64 *row_lines)
{
  const char quote = P->quote;
  const char *q = *pp + 1;
  GString *s = P->scratch;
  g_string_truncate (s, 0);
  for (;;)
    {
      const char *x = memchr (q, quote, (gsize) (end - q));
      if (x == NULL)
        {
          if (!final)
            return PARSE_MORE;
          return parse_fail (P, *pp, DMPI_DF_ERROR_PARSE,
                             "unterminated quoted field in column '%s'", fd->header);
        }
      g_string_append_len (s, q, x - q);
      if (x + 1 < end && x[1] == quote)
        {
          g_string_append_c (s, quote);
          q = x + 2;
          continue;
        }
      q = x + 1;
      break;
    }
  for (const char *x = *pp; x < q; x++)
    *row_lines += *x == '\n';
  if (!at_field_end (q, P->delim))
    return parse_fail (P, q, DMPI_DF_ERROR_PARSE,
                       "unexpected character after the closing quote in column '%s'",
                       fd->header);
  const char *at = *pp;
  *pp = q;
  if (fd->kind == KIND_SKIP)
    return PARSE_OK;
  if (fd->kind == DMPI_COL_STRING)
    {
      store_string_or_na (P, fd->col, row, s->str, s->len);
      return PARSE_OK;
    }
  if (s->len == 0)
    {
      set_missing (fd->col, row);
      return PARSE_OK;
    }
  return convert_or_na (P, fd, row, at, s->str, s->len);
}

static inline gboolean
row_passes (const Parser *P, gsize row)
{
  for (guint i = 0; i < P->n_ranges; i++)
    {
      const Range *r = &P->ranges[i];
      const DmpiColumn *c = r->col;
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
      if (G_LIKELY (v > r->lo && v < r->hi))
        continue;
      /* outside, or on an inclusive bound */
      if (!((v > r->lo || (r->lo_inclusive && v == r->lo)) &&
            (v < r->hi || (r->hi_inclusive && v == r->hi))))
        return FALSE;
    }
  return TRUE;
}

/* The line of the current row, for an error message. */
static char *
line_excerpt (const Parser *P)
{
  const char *e = P->row_start;
  while (*e != '\n')
    e++;
  if (e > P->row_start && e[-1] == '\r')
    e--;
  return field_excerpt (P->row_start, (gsize) (e - P->row_start));
}

/* The line ends (at at) after n fields. */
static G_GNUC_NO_INLINE ParseStatus
too_few_fields (Parser *P, const char *at, guint n)
{
  g_autofree char *ex = line_excerpt (P);
  return parse_fail (P, at, DMPI_DF_ERROR_PARSE,
                     "expected %u fields, found %u: no value for column '%s' in \"%s\"",
                     P->n_fields, n, P->fields[n].header, ex);
}

/* More fields from at on. */
static G_GNUC_NO_INLINE ParseStatus
too_many_fields (Parser *P, const char *at)
{
  guint n = P->n_fields;
  for (const char *p = at; *p != '\n'; p++)
    n += *p == P->delim;
  g_autofree char *ex = line_excerpt (P);
  return parse_fail (P, at, DMPI_DF_ERROR_PARSE,
                     "expected %u fields, found %u: more than the header's in \"%s\"",
                     P->n_fields, n, ex);
}

/* Parses the whole lines in [buf, buf + len); buf[len - 1] is '\n', which
 * stops every unquoted scan. *consumed gets the bytes used: all of them, or
 * up to the start of a row whose quoted field runs past the end (PARSE_MORE)
 * or of the first row past max_rows (PARSE_DONE).
 *
 * Always inlined into two callers: one for the default format, where delim,
 * quote and the flags are constants and the compiler folds them away (the
 * reference job's hot loop), and one for any format. */
static inline __attribute__ ((always_inline)) ParseStatus
parse_region_with (Parser *P, const char *buf, gsize len, gboolean final, gsize *consumed,
                   const char delim, const char quote, const gboolean copy_values,
                   const gboolean na_first)
{
  const char *p = buf, *end = buf + len;
  const guint n_fields = P->n_fields;
  const Field *const fields = P->fields;

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
          const Field *fd = &fields[f];
          if (G_UNLIKELY (quote != '\0' && *p == quote))
            {
              /* Not &p: p stays in a register. */
              const char *q = p;
              P->row_start = row_start;
              ParseStatus st = parse_quoted (P, fd, row, &q, end, final, &row_lines);
              p = q;
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
              while (*p != delim && *p != '\n')
                p++;
            }
          else if (fd->kind == DMPI_COL_STRING)
            {
              gsize n = unquoted_len (p, delim);
              store_string_or_na (P, fd->col, row, p, n);
              p += n;
            }
          else if (at_field_end (p, delim))
            set_missing (fd->col, row);
          else if (na_first && P->na.first[(guchar) *p] &&
                   na_match (&P->na, p, unquoted_len (p, delim)))
            {
              set_missing (fd->col, row);
              p += unquoted_len (p, delim);
            }
          else
            {
              /* Scanning stops at the first byte that cannot continue the
               * value; it must then be the field's end. */
              DmpiColumn *c = fd->col;
              const char *e = NULL;
              gboolean ok = FALSE;
              gfloat fv;
              gint64 v;
              switch (copy_values ? -1 : fd->kind)
                {
                case DMPI_COL_FLOAT32:
                  e = scan_real (p, TRUE, NULL, &fv);
                  if (G_LIKELY (e != NULL && at_field_end (e, delim)))
                    DMPI_COLUMN_FLOAT32 (c)[row] = fv, ok = TRUE;
                  break;
                case DMPI_COL_TIMESTAMP:
                  e = scan_timestamp (p, &v);
                  if (G_LIKELY (e != NULL && at_field_end (e, delim)))
                    DMPI_COLUMN_INT64 (c)[row] = v, ok = TRUE;
                  break;
                case DMPI_COL_INT32:
                  e = scan_int64 (p, &v);
                  if (G_LIKELY (e != NULL && at_field_end (e, delim) && v >= G_MININT32 && v <= G_MAXINT32))
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
                  gsize n = unquoted_len (p, delim);
                  P->row_start = row_start;
                  ParseStatus st = convert_or_na (P, fd, row, p, p, n);
                  if (st != PARSE_OK)
                    return st;
                  p += n;
                }
            }

          /* *p is now the delimiter or '\n' or CR LF */
          if (f + 1 < n_fields)
            {
              if (G_UNLIKELY (*p != delim))
                {
                  P->row_start = row_start;
                  return too_few_fields (P, p, f + 1);
                }
              p++;
            }
          else
            {
              if (*p == '\r')
                p++;
              if (G_UNLIKELY (*p != '\n'))
                {
                  P->row_start = row_start;
                  return too_many_fields (P, p);
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

static ParseStatus
parse_region_default (Parser *P, const char *buf, gsize len, gboolean final, gsize *consumed)
{
  return parse_region_with (P, buf, len, final, consumed, ',', '"', FALSE, FALSE);
}

static ParseStatus
parse_region_any (Parser *P, const char *buf, gsize len, gboolean final, gsize *consumed)
{
  return parse_region_with (P, buf, len, final, consumed, P->delim, P->quote, P->copy_values,
                            P->na_first);
}

/* ---------------------------------------------------------------- header */

/* Splits a line (without its newline) into fields: the header's names, or
 * the first line's fields when there is no header. */
static char **
split_line (const char *line, gsize len, const DmpiCsvFormat *format)
{
  GPtrArray *names = g_ptr_array_new ();
  const char d = format->delimiter, q = format->quote;
  if (len >= 3 && memcmp (line, "\xEF\xBB\xBF", 3) == 0)
    line += 3, len -= 3;
  if (len > 0 && line[len - 1] == '\r')
    len--;
  const char *p = line, *end = line + len;
  for (;;)
    {
      GString *name = g_string_new (NULL);
      if (p < end && q != '\0' && *p == q)
        {
          p++;
          while (p < end)
            {
              if (*p == q && p + 1 < end && p[1] == q)
                g_string_append_c (name, q), p += 2;
              else if (*p == q)
                {
                  p++;
                  break;
                }
              else
                g_string_append_c (name, *p++);
            }
        }
      while (p < end && *p != d)
        g_string_append_c (name, *p++);
      g_ptr_array_add (names, g_string_free (name, FALSE));
      if (p >= end)
        break;
      p++;
    }
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (names, FALSE);
}

/* The column names a first line gives: its fields, or with no header
 * "0", "1", ... as many as it has (pandas' header=None). */
static char **
first_line_names (const char *line, gsize len, const DmpiCsvFormat *format)
{
  char **fields = split_line (line, len, format);
  if (format->header)
    return fields;
  guint n = g_strv_length (fields);
  for (guint i = 0; i < n; i++)
    {
      g_free (fields[i]);
      fields[i] = g_strdup_printf ("%u", i);
    }
  return fields;
}

/* Bytes of a UTF-8 byte order mark at p. */
static gsize
bom_len (const char *p, gsize len)
{
  return len >= 3 && memcmp (p, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
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
      /* 8 bytes at a time: a byte of x is zero where buf has '\n' */
      gssize i = 0;
      for (; i + 8 <= r; i += 8)
        {
          guint64 x, t;
          memcpy (&x, buf + i, 8);
          x ^= G_GUINT64_CONSTANT (0x0A0A0A0A0A0A0A0A);
          t = ((x & G_GUINT64_CONSTANT (0x7F7F7F7F7F7F7F7F)) + G_GUINT64_CONSTANT (0x7F7F7F7F7F7F7F7F)) | x;
          n += (guint64) __builtin_popcountll (~t & G_GUINT64_CONSTANT (0x8080808080808080));
        }
      for (; i < r; i++)
        n += buf[i] == '\n';
      pos += (guint64) r;
    }
  return n;
}

typedef struct {
  const char *data;
  gsize       len, pos;
} MemorySource;

static gssize
memory_read (gpointer source, char *buf, gsize n, GError **error)
{
  MemorySource *s = source;
  n = MIN (n, s->len - s->pos);
  memcpy (buf, s->data + s->pos, n);
  s->pos += n;
  return (gssize) n;
}

/* ---------------------------------------------------------------- reading */

static void
parser_clear (Parser *P)
{
  for (guint f = 0; P->time_formats != NULL && f < P->n_fields; f++)
    dmpi_time_format_free (P->time_formats[f]);
  g_free (P->time_formats);
  g_free (P->fields);
  g_free (P->cols);
  g_free (P->ranges);
  if (P->scratch != NULL)
    g_string_free (P->scratch, TRUE);
  if (P->value_copy != NULL)
    g_string_free (P->value_copy, TRUE);
  g_free (P->err_msg);
  na_set_clear (&P->na);
}

/* Takes the format, matches the requested columns against the header and
 * makes the table's (empty) columns. */
static gboolean
parser_setup (Parser *P, char **header, const DmpiCsvFormat *format,
              const DmpiCsvColumn *specs, guint n_specs, GError **error)
{
  P->delim = format->delimiter;
  P->quote = format->quote;
  na_set_init (&P->na, format);
  P->na_first = na_values_look_like_values (format);
  P->copy_values = strchr ("0123456789.+-eE: T", P->delim) != NULL;
  P->fast_format = P->delim == ',' && P->quote == '"' && !P->na_first;
  P->n_fields = g_strv_length (header);
  P->fields = g_new0 (Field, P->n_fields);
  for (guint f = 0; f < P->n_fields; f++)
    {
      P->fields[f].kind = KIND_SKIP;
      P->fields[f].header = header[f];
    }
  P->n_cols = n_specs;
  P->cols = g_new0 (DmpiColumn *, MAX (n_specs, 1));
  P->scratch = g_string_new (NULL);
  P->value_copy = g_string_new (NULL);
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
      Field *fd = &P->fields[found];
      if (fd->kind != KIND_SKIP)
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED,
                       "%s: column '%s' requested twice", P->path, header[found]);
          return FALSE;
        }
      if ((guint) specs[i].type >= DMPI_COL_N_TYPES ||
          (specs[i].format != NULL && specs[i].type != DMPI_COL_TIMESTAMP))
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED,
                       "%s: column '%s': %s", P->path, header[found],
                       specs[i].format != NULL ? "a format is only for timestamp columns"
                                               : "not a column type");
          return FALSE;
        }
      fd->kind = (int) specs[i].type;
      if (specs[i].format != NULL)
        {
          g_autoptr(GError) local = NULL;
          if (P->time_formats == NULL)
            P->time_formats = g_new0 (DmpiTimeFormat *, P->n_fields);
          P->time_formats[found] = dmpi_time_format_new (specs[i].format, &local);
          if (P->time_formats[found] == NULL)
            {
              g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED, "%s: column '%s': %s",
                           P->path, header[found], local->message);
              return FALSE;
            }
          fd->kind = KIND_TIMESTAMP_FORMAT;
        }
      P->cols[i] = dmpi_column_new (specs[i].out_name ? specs[i].out_name : header[found],
                                    specs[i].type, 0);
      fd->col = P->cols[i];
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
      P->ranges[i] = (Range) { c, keep[i].lo, keep[i].hi, keep[i].lo_inclusive,
                               keep[i].hi_inclusive };
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
      /* A last row the filter rejected may have left its characters. */
      if (P->cols[i]->type == DMPI_COL_STRING)
        P->cols[i]->chars_len = P->cols[i]->offsets[P->n_rows];
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
 * chunk; it grows only for a line longer than itself. With max_rows, it
 * starts small: head() reads little more than the rows it shows. */
static gboolean
parse_stream (Parser *P, ReadFunc read, gpointer source, GError **error)
{
  /* + 1: a source read whole leaves room, so the read that reports its end
   * comes before the buffer would grow. */
  gsize cap = P->size_hint > 0 ? (gsize) MIN (P->size_hint + 1, (guint64) CHUNK_SIZE)
                               : CHUNK_SIZE;
  if (P->max_rows > 0 && P->max_rows < CHUNK_SIZE / 1024)
    cap = MIN (cap, MAX ((gsize) 65536, P->max_rows * 1024));
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
      ParseStatus st = P->fast_format ? parse_region_default (P, buf, region, eof, &consumed)
                                      : parse_region_any (P, buf, region, eof, &consumed);
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
  g_set_error (error, DMPI_DF_ERROR, P->err_code, "%s:%" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT
               ": %s", P->path, first_line + P->err_line, P->err_column, P->err_msg);
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


/* The names of a plain file's first line (see first_line_names); *rows_at
 * gets where its rows start: after the header, or at byte 0 (past a byte
 * order mark) without one. */
static char **
plain_first_line (const char *path, int fd, guint64 size, const DmpiCsvFormat *format,
                  guint64 *rows_at, GError **error)
{
  guint64 end;
  if (!next_line_start (path, fd, 0, size, &end, error))
    return NULL;
  if (end == 0)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_PARSE, "%s: empty file, no %s", path,
                   format->header ? "header" : "line");
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
  *rows_at = format->header ? end : bom_len (line, got);
  if (got > 0 && line[got - 1] == '\n')
    got--;
  return first_line_names (line, got, format);
}

/* Reads the first line from the front of an archive stream; the bytes after
 * it (or all of them, without a header) are parsed first. */
static char **
archive_first_line (HeaderedSource *s, const DmpiCsvFormat *format, GError **error)
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
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_PARSE, "%s: empty file, no %s",
                   s->src.path, format->header ? "header" : "line");
      g_string_free (acc, TRUE);
      return NULL;
    }
  gsize line_len = nl != NULL ? (gsize) (nl - acc->str) : acc->len;
  char **names = first_line_names (acc->str, line_len, format);
  if (!format->header)
    s->pending_pos = bom_len (acc->str, acc->len);
  else
    s->pending_pos = nl != NULL ? line_len + 1 : acc->len;
  s->pending_len = acc->len;
  s->pending = g_string_free (acc, FALSE);
  return names;
}

/* What every read takes besides the byte range. */
typedef struct {
  const DmpiCsvFormat *format;
  const DmpiCsvColumn *specs;
  guint                n_specs;
  const DmpiCsvRange  *keep;
  guint                n_keep;
  gsize                max_rows;
} ReadRequest;

static DmpiTable *
read_archive (const char *path, const ReadRequest *rq, gsize *rows_in, GError **error)
{
  HeaderedSource s = { { path, NULL }, NULL, 0, 0 };
  Parser P = { .path = path, .max_rows = rq->max_rows };
  DmpiTable *result = NULL;
  g_auto(GStrv) header = NULL;

  s.src.a = open_archive (path, error);
  if (s.src.a == NULL)
    return NULL;
  header = archive_first_line (&s, rq->format, error);
  if (header == NULL)
    goto out;
  if (!parser_setup (&P, header, rq->format, rq->specs, rq->n_specs, error) ||
      !parser_setup_ranges (&P, rq->keep, rq->n_keep, error))
    goto out;
  P.lines = rq->format->header ? 1 : 0;
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
read_plain (const char *path, guint64 offset, guint64 length, const ReadRequest *rq,
            gsize *rows_in, GError **error)
{
  guint64 size, start, end;
  Parser P = { .path = path, .max_rows = rq->max_rows };
  DmpiTable *result = NULL;
  g_auto(GStrv) header = NULL;

  int fd = open_plain (path, &size, error);
  if (fd < 0)
    return NULL;
  header = plain_first_line (path, fd, size, rq->format, &start, error);
  if (header == NULL || !parser_setup (&P, header, rq->format, rq->specs, rq->n_specs, error) ||
      !parser_setup_ranges (&P, rq->keep, rq->n_keep, error))
    goto out;
  if (offset > 0 && !next_line_start (path, fd, MIN (offset, size), size, &start, error))
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
          /* Counted only now: a block's first line number costs a pass
           * over the file before it (55 ms for a block at the end of a
           * 64 MB file of short lines, cached: see t/df/csv). */
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
dmpi_csv_read_format (const char *path, guint64 offset, guint64 length,
                      const DmpiCsvFormat *format, const DmpiCsvColumn *columns,
                      guint n_columns, const DmpiCsvRange *keep, guint n_keep, gsize max_rows,
                      gsize *rows_in, GError **error)
{
  DmpiCsvFormat defaults;
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (columns != NULL || n_columns == 0, NULL);
  g_return_val_if_fail (keep != NULL || n_keep == 0, NULL);
  if (format == NULL)
    {
      dmpi_csv_format_init (&defaults);
      format = &defaults;
    }
  if (!check_format (path, format, error))
    return NULL;
  ReadRequest rq = { format, columns, n_columns, keep, n_keep, max_rows };
  if (dmpi_csv_path_is_compressed (path))
    {
      if (offset != 0)
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED,
                       "%s: a compressed file is read whole, not from byte %" G_GUINT64_FORMAT,
                       path, offset);
          return NULL;
        }
      return read_archive (path, &rq, rows_in, error);
    }
  return read_plain (path, offset, length, &rq, rows_in, error);
}

DmpiTable *
dmpi_csv_read (const char *path, guint64 offset, guint64 length,
               const DmpiCsvColumn *columns, guint n_columns, GError **error)
{
  return dmpi_csv_read_format (path, offset, length, NULL, columns, n_columns, NULL, 0, 0, NULL,
                               error);
}

DmpiTable *
dmpi_csv_read_filtered (const char *path, guint64 offset, guint64 length,
                        const DmpiCsvColumn *columns, guint n_columns,
                        const DmpiCsvRange *keep, guint n_keep, gsize *rows_in,
                        GError **error)
{
  return dmpi_csv_read_format (path, offset, length, NULL, columns, n_columns, keep, n_keep, 0,
                               rows_in, error);
}

char **
dmpi_csv_read_header_format (const char *path, const DmpiCsvFormat *format, GError **error)
{
  DmpiCsvFormat defaults;
  g_return_val_if_fail (path != NULL, NULL);
  if (format == NULL)
    {
      dmpi_csv_format_init (&defaults);
      format = &defaults;
    }
  if (!check_format (path, format, error))
    return NULL;
  if (dmpi_csv_path_is_compressed (path))
    {
      HeaderedSource s = { { path, NULL }, NULL, 0, 0 };
      s.src.a = open_archive (path, error);
      if (s.src.a == NULL)
        return NULL;
      char **names = archive_first_line (&s, format, error);
      g_free (s.pending);
      archive_read_free (s.src.a);
      return names;
    }
  guint64 size, rows_at;
  int fd = open_plain (path, &size, error);
  if (fd < 0)
    return NULL;
  char **names = plain_first_line (path, fd, size, format, &rows_at, error);
  close (fd);
  return names;
}

char **
dmpi_csv_read_header (const char *path, GError **error)
{
  return dmpi_csv_read_header_format (path, NULL, error);
}

DmpiTable *
dmpi_csv_read_head (const char *path, gsize max_rows, GError **error)
{
  g_auto(GStrv) names = dmpi_csv_read_header (path, error);
  if (names == NULL)
    return NULL;
  guint n = g_strv_length (names);
  g_autofree DmpiCsvColumn *specs = g_new0 (DmpiCsvColumn, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    {
      specs[i].name = names[i];
      specs[i].type = DMPI_COL_STRING;
    }
  return dmpi_csv_read_format (path, 0, G_MAXUINT64, NULL, specs, n, NULL, 0, MAX (max_rows, 1),
                               NULL, error);
}

/* ---------------------------------------------------------------- inference */

/* The first sample_bytes of a file (decompressed), cut after the last whole
 * line; longer when that holds no row (a long first line). */
static GString *
read_sample (const char *path, const DmpiCsvFormat *format, gsize sample_bytes, GError **error)
{
  GString *s = g_string_new (NULL);
  struct archive *a = NULL;
  guint64 size = 0;
  int fd = -1;
  gboolean eof = FALSE, ok = FALSE;
  gsize want = sample_bytes;

  if (dmpi_csv_path_is_compressed (path))
    a = open_archive (path, error);
  else
    fd = open_plain (path, &size, error);
  if (a == NULL && fd < 0)
    goto out;
  for (;;)
    {
      while (s->len < want && !eof)
        {
          gsize n = MIN (want - s->len, (gsize) 1 << 20);
          gsize old = s->len;
          g_string_set_size (s, old + n);
          gssize r;
          if (a != NULL)
            {
              ArchiveSource src = { path, a };
              r = archive_source_read (&src, s->str + old, n, error);
            }
          else
            r = plain_pread (path, fd, s->str + old, n, old, error);
          if (r < 0)
            goto out;
          g_string_set_size (s, old + (gsize) r);
          eof = r == 0;
        }
      if (eof)
        break;
      /* whole lines only, and at least one row after the header */
      const char *first = memchr (s->str, '\n', s->len);
      const char *last = memrchr (s->str, '\n', s->len);
      if (last != NULL && (last > first || !format->header))
        {
          g_string_truncate (s, (gsize) (last - s->str) + 1);
          break;
        }
      want *= 2;
    }
  ok = TRUE;
out:
  if (a != NULL)
    archive_read_free (a);
  if (fd >= 0)
    close (fd);
  if (!ok)
    {
      g_string_free (s, TRUE);
      return NULL;
    }
  return s;
}

static gboolean
is_integer_text (const char *s, gsize len)
{
  gsize i = s[0] == '-' || s[0] == '+';
  /* 18 digits: what the int64 reader takes (longer ones are floats) */
  if (i == len || len > 18 + i)
    return FALSE;
  for (; i < len; i++)
    if (!is_digit (s[i]))
      return FALSE;
  return TRUE;
}

static gboolean
is_float_text (const char *s, gsize len)
{
  char buf[128];
  char *end = NULL;
  if (len >= sizeof buf || memchr (s, 'x', len) != NULL || memchr (s, 'X', len) != NULL)
    return FALSE;
  memcpy (buf, s, len);
  buf[len] = '\0';
  g_ascii_strtod (buf, &end);
  return end == buf + len;
}

/* pandas' rules over one column's values (NA strings already missing). */
static DmpiColType
infer_column (const DmpiColumn *c)
{
  gboolean any_int = FALSE, any_float = FALSE, any_bool = FALSE, b;
  for (gsize r = 0; r < c->n_rows; r++)
    {
      gsize len;
      const char *s = dmpi_column_get_string (c, r, &len);
      if (!dmpi_column_is_valid (c, r))
        continue;
      if (scan_bool (s, len, &b))
        any_bool = TRUE;
      else if (is_integer_text (s, len))
        any_int = TRUE;
      else if (is_float_text (s, len))
        any_float = TRUE;
      else
        return DMPI_COL_STRING;
    }
  if (any_bool)
    return any_int || any_float ? DMPI_COL_STRING : DMPI_COL_BOOL;
  if (any_int && !any_float)
    return DMPI_COL_INT64;
  return DMPI_COL_FLOAT64;
}

gboolean
dmpi_csv_infer_types (const char *path, const DmpiCsvFormat *format, gsize sample_bytes,
                      char ***names, DmpiColType **types, GError **error)
{
  DmpiCsvFormat defaults;
  g_return_val_if_fail (path != NULL && names != NULL && types != NULL, FALSE);
  if (format == NULL)
    {
      dmpi_csv_format_init (&defaults);
      format = &defaults;
    }
  if (!check_format (path, format, error))
    return FALSE;
  g_autoptr(GString) sample = read_sample (path, format, sample_bytes ? sample_bytes : 256000,
                                           error);
  if (sample == NULL)
    return FALSE;
  if (sample->len == 0)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_PARSE, "%s: empty file, no %s", path,
                   format->header ? "header" : "line");
      return FALSE;
    }
  const char *nl = memchr (sample->str, '\n', sample->len);
  gsize line_len = nl != NULL ? (gsize) (nl - sample->str) : sample->len;
  g_auto(GStrv) header = first_line_names (sample->str, line_len, format);
  gsize rows_at = format->header ? MIN (line_len + 1, sample->len)
                                 : bom_len (sample->str, sample->len);

  /* Every column as strings (by position: header names may repeat). */
  Parser P = { .path = path };
  gboolean ok = FALSE;
  if (!parser_setup (&P, header, format, NULL, 0, error))
    goto out;
  g_free (P.cols);
  P.n_cols = P.n_fields;
  P.cols = g_new0 (DmpiColumn *, MAX (P.n_cols, 1));
  for (guint f = 0; f < P.n_fields; f++)
    {
      P.cols[f] = dmpi_column_new (header[f], DMPI_COL_STRING, 0);
      P.fields[f].kind = DMPI_COL_STRING;
      P.fields[f].col = P.cols[f];
    }
  P.lines = format->header ? 1 : 0;
  MemorySource src = { sample->str + rows_at, sample->len - rows_at, 0 };
  P.size_hint = src.len;
  if (!parse_stream (&P, memory_read, &src, error))
    {
      if (P.err_msg != NULL)
        report_parse_error (&P, 1, error);
      goto out;
    }
  *types = g_new (DmpiColType, MAX (P.n_cols, 1));
  for (guint i = 0; i < P.n_cols; i++)
    {
      P.cols[i]->n_rows = P.n_rows;
      (*types)[i] = infer_column (P.cols[i]);
    }
  *names = g_steal_pointer (&header);
  ok = TRUE;
out:
  parser_free_columns (&P);
  parser_clear (&P);
  return ok;
}

/* ---------------------------------------------------------------- blocks */


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
