/* One column chunk of a Parquet file into a column: its pages (dictionary,
 * data v1 and v2), their levels and values, decoded a batch of rows at a
 * time so that memory grows only with what the bytes really hold.
 *
 * A batch: the definition levels of up to BATCH rows become validity bytes;
 * the present values are decoded densely at the batch's first row (straight
 * into the column when the stored form is the table's, through a scratch
 * buffer when a conversion is needed), then spread backwards over the rows,
 * a missing one getting a zero (an empty string). */
#include "config.h"

#include "df/parquet-reader-private.h"
#include "df/parquet-codec.h"
#include "df/parquet-decode.h"
#include "df/parquet-format.h"
#include "df/thrift-read.h"

#include <math.h>
#include <string.h>

#if G_BYTE_ORDER != G_LITTLE_ENDIAN
#error "PLAIN values are little-endian; this reader copies them as they lie"
#endif

#define BATCH       8192u   /* rows decoded at a time */
#define MAX_PHYS    16u     /* bytes of the widest fixed value read (a DECIMAL) */
#define IDX_BATCH   1024u

struct _DmpiPqChunkReader {
  gsize               max_bytes;
  DmpiPqDecompressor *dec;
  guint8             *page;       /* a decompressed page */
  gsize               page_cap;
  guint8             *prev;       /* DELTA_BYTE_ARRAY: the previous value */
  gsize               prev_len, prev_cap;
  DmpiColumn         *bytes;      /* byte arrays on their way to a DECIMAL */
  DmpiColumn         *dict;       /* the chunk's dictionary, converted */
  gboolean            has_dict;
  guint8              levels[BATCH];
  guint8              phys[BATCH * MAX_PHYS];
  guint64             u64[IDX_BATCH];
  guint32             idx[IDX_BATCH];
};

/* How a page's values are read, one batch after another. */
typedef struct {
  gint64          encoding;
  const guint8   *p, *end;       /* PLAIN, BYTE_STREAM_SPLIT; the bytes of the DELTA_*_BYTE_ARRAYs */
  const guint8   *start;         /* BYTE_STREAM_SPLIT */
  gsize           bit;           /* PLAIN booleans */
  gsize           n, i;          /* BYTE_STREAM_SPLIT: values in the page, next one */
  DmpiRleDecoder  rle;           /* dictionary indices, RLE booleans */
  DmpiDeltaDecoder delta;        /* integers; the lengths (of suffixes) */
  DmpiDeltaDecoder prefix;       /* DELTA_BYTE_ARRAY's prefix lengths */
} Cursor;

/* Definition levels (bit width 1 for a flat OPTIONAL column). */
typedef struct {
  gboolean        bit_packed;    /* the deprecated BIT_PACKED: most significant bit first */
  DmpiRleDecoder  rle;
  const guint8   *p;
  gsize           n_bits, pos;
} Levels;

static gboolean
corrupt (GError **error, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static gboolean
corrupt (GError **error, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error_literal (error, DMPI_DF_ERROR, DMPI_DF_ERROR_CORRUPT, msg);
  return FALSE;
}

static const char *
encoding_name (gint64 e)
{
  static const char *const names[] = {
    "PLAIN", "GROUP_VAR_INT", "PLAIN_DICTIONARY", "RLE", "BIT_PACKED", "DELTA_BINARY_PACKED",
    "DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY", "RLE_DICTIONARY", "BYTE_STREAM_SPLIT",
  };
  return e >= 0 && e < (gint64) G_N_ELEMENTS (names) ? names[e] : "an unknown encoding";
}

/* ---- Memory ---------------------------------------------------------------- */

static gboolean
too_big (GError **error, const char *what, gsize need, gsize max_bytes)
{
  if (max_bytes != 0 && need > max_bytes)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID,
                   "%s needs %" G_GSIZE_FORMAT " bytes, more than the %" G_GSIZE_FORMAT
                   " allowed", what, need, max_bytes);
      return TRUE;
    }
  return FALSE;
}

static gboolean
try_realloc (gpointer *buf, gsize size, const char *what, GError **error)
{
  gpointer p = g_try_realloc (*buf, MAX (size, 1));
  if (p == NULL)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED,
                   "cannot allocate %" G_GSIZE_FORMAT " bytes for %s", size, what);
      return FALSE;
    }
  *buf = p;
  return TRUE;
}

static gboolean
mul_size (gsize a, gsize b, gsize *out)
{
  return !__builtin_mul_overflow (a, b, out);
}

static gsize
row_bytes (const DmpiColumn *c)
{
  return (c->type == DMPI_COL_STRING ? sizeof (guint32) : dmpi_col_type_size (c->type))
         + (c->valid != NULL ? 1 : 0);
}

/* Room for @rows rows; @table_bytes (NULL for the reader's own columns)
 * counts the table's bytes against the bound. */
static gboolean
reserve_rows_exactly (DmpiPqChunkReader *cr, DmpiColumn *c, gsize rows, gsize cap,
                      gsize *table_bytes, GError **error);

static gboolean
reserve_rows (DmpiPqChunkReader *cr, DmpiColumn *c, gsize rows, gsize *table_bytes,
              GError **error)
{
  if (rows <= c->capacity)
    return TRUE;
  return reserve_rows_exactly (cr, c, rows,
                               MAX (rows, c->capacity < G_MAXSIZE / 4 ? c->capacity * 2 : rows),
                               table_bytes, error);
}

gboolean
dmpi_pq_reserve (DmpiPqChunkReader *cr, DmpiColumn *out, gsize rows, gsize *table_bytes,
                 GError **error)
{
  if (rows <= out->capacity)
    return TRUE;
  return reserve_rows_exactly (cr, out, rows, rows, table_bytes, error);
}

static gboolean
reserve_rows_exactly (DmpiPqChunkReader *cr, DmpiColumn *c, gsize rows, gsize cap,
                      gsize *table_bytes, GError **error)
{
  gsize old_bytes = c->capacity * row_bytes (c), new_bytes;
  gsize width = c->type == DMPI_COL_STRING ? sizeof (guint32) : dmpi_col_type_size (c->type);
  if (!mul_size (cap + 1, row_bytes (c), &new_bytes))
    return corrupt (error, "%" G_GSIZE_FORMAT " rows cannot be held in memory", rows);
  gsize total = (table_bytes != NULL ? *table_bytes - old_bytes : 0) + new_bytes;
  if (too_big (error, "the table", total, cr->max_bytes))
    return FALSE;
  if (c->type == DMPI_COL_STRING)
    {
      if (!try_realloc ((gpointer *) &c->offsets, (cap + 1) * width, "string offsets", error))
        return FALSE;
    }
  else if (!try_realloc (&c->data, cap * width, "column values", error))
    return FALSE;
  if (c->valid != NULL && !try_realloc ((gpointer *) &c->valid, cap, "validity bytes", error))
    return FALSE;
  c->capacity = cap;
  if (table_bytes != NULL)
    *table_bytes = total;
  return TRUE;
}

/* Room for @extra more bytes of strings. */
static gboolean
reserve_chars (DmpiPqChunkReader *cr, DmpiColumn *c, gsize extra, gsize *table_bytes,
               GError **error)
{
  if (extra <= c->chars_capacity - c->chars_len)
    return TRUE;
  if (extra > G_MAXUINT32 - c->chars_len)
    return corrupt (error, "the strings exceed the 4 GiB a column can hold");
  gsize need = c->chars_len + extra;
  gsize cap = MIN (MAX (need, c->chars_capacity * 2), (gsize) G_MAXUINT32);
  gsize total = (table_bytes != NULL ? *table_bytes - c->chars_capacity : 0) + cap;
  if (cr->max_bytes != 0 && total > cr->max_bytes)
    {
      cap = need;   /* exactly what is needed, before giving up */
      total = (table_bytes != NULL ? *table_bytes - c->chars_capacity : 0) + cap;
      if (too_big (error, "the table", total, cr->max_bytes))
        return FALSE;
    }
  if (!try_realloc ((gpointer *) &c->chars, cap, "strings", error))
    return FALSE;
  c->chars_capacity = cap;
  if (table_bytes != NULL)
    *table_bytes = total;
  return TRUE;
}

static gboolean
reserve_buffer (DmpiPqChunkReader *cr, guint8 **buf, gsize *cap, gsize need, const char *what,
                GError **error)
{
  if (need <= *cap)
    return TRUE;
  if (too_big (error, what, need, cr->max_bytes))
    return FALSE;
  gsize n = MAX (need, *cap < G_MAXSIZE / 2 ? *cap * 2 : need);
  if (cr->max_bytes != 0)
    n = MIN (n, cr->max_bytes);
  if (!try_realloc ((gpointer *) buf, n, what, error))
    return FALSE;
  *cap = n;
  return TRUE;
}

static void
reset_column (DmpiColumn *c)
{
  c->n_rows = 0;
  c->chars_len = 0;
  if (c->offsets != NULL)
    c->offsets[0] = 0;
}

DmpiPqChunkReader *
dmpi_pq_chunk_reader_new (gsize max_bytes)
{
  DmpiPqChunkReader *cr = g_new0 (DmpiPqChunkReader, 1);
  cr->max_bytes = max_bytes;
  cr->dec = dmpi_pq_decompressor_new ();
  cr->bytes = dmpi_column_new ("bytes", DMPI_COL_STRING, 0);
  return cr;
}

void
dmpi_pq_chunk_reader_free (DmpiPqChunkReader *cr)
{
  if (cr == NULL)
    return;
  dmpi_pq_decompressor_free (cr->dec);
  g_free (cr->page);
  g_free (cr->prev);
  dmpi_column_free (cr->bytes);
  dmpi_column_free (cr->dict);
  g_free (cr);
}

void
dmpi_pq_column_finish (DmpiColumn *out, gsize *table_bytes)
{
  if (out->valid != NULL && memchr (out->valid, 0, out->n_rows) == NULL)
    {
      g_clear_pointer (&out->valid, g_free);
      *table_bytes -= out->capacity;
    }
}

/* ---- Conversions ------------------------------------------------------------- */

static const double pow10_table[] = {
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
  1e17, 1e18, 1e19, 1e20, 1e21, 1e22, 1e23, 1e24, 1e25, 1e26, 1e27, 1e28, 1e29, 1e30, 1e31,
  1e32, 1e33, 1e34, 1e35, 1e36, 1e37, 1e38,
};

/* A big-endian two's complement integer of 1 to 16 bytes, as a double. */
static double
decimal_bytes (const guint8 *b, gsize len)
{
  guint64 hi = (len > 0 && (b[0] & 0x80)) ? G_MAXUINT64 : 0, lo = hi;
  for (gsize i = 0; i < len; i++)
    {
      hi = (hi << 8) | (lo >> 56);
      lo = (lo << 8) | b[i];
    }
  gboolean negative = (hi >> 63) != 0;
  if (negative)
    {
      hi = ~hi;
      lo = ~lo + 1;
      if (lo == 0)
        hi++;
    }
  double v = (double) hi * 18446744073709551616.0 + (double) lo;
  return negative ? -v : v;
}

static gboolean
out_of_range (GError **error, gint64 v, const char *what)
{
  g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID,
               "the value %" G_GINT64_FORMAT " is out of the range of %s", v, what);
  return FALSE;
}

/* IEEE half precision (little-endian, as FLOAT16 stores it) to single. */
static float
half_to_float (const guint8 *b)
{
  guint32 h = (guint32) b[0] | ((guint32) b[1] << 8);
  guint32 sign = (h & 0x8000) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
  float f;
  if (exp == 0)
    {
      f = ldexpf ((float) mant, -24);   /* zero and subnormals */
      return sign ? -f : f;
    }
  bits = exp == 31 ? sign | 0x7f800000u | (mant << 13) : sign | ((exp + 112) << 23) | (mant << 13);
  memcpy (&f, &bits, 4);
  return f;
}

#define JULIAN_EPOCH_DAY G_GINT64_CONSTANT (2440588)
#define NS_PER_DAY       G_GINT64_CONSTANT (86400000000000)

/* @k physical values of @col at @src into rows [base, base + k) of @dst. */
static gboolean
convert (const DmpiPqColumn *col, const guint8 *src, gsize k, DmpiColumn *dst, gsize base,
         GError **error)
{
  gint64 *o64 = (gint64 *) dst->data + base;
  double *od = (double *) dst->data + base;
  gsize w = (gsize) col->type_length;

  switch (col->conv)
    {
    case DMPI_PQ_CONV_U32_TO_I64:
      for (gsize i = 0; i < k; i++)
        {
          guint32 v;
          memcpy (&v, src + 4 * i, 4);
          o64[i] = v;
        }
      return TRUE;
    case DMPI_PQ_CONV_I32_SCALE:
      for (gsize i = 0; i < k; i++)
        {
          gint32 v;
          memcpy (&v, src + 4 * i, 4);
          if (__builtin_mul_overflow ((gint64) v, col->factor, &o64[i]))
            return out_of_range (error, v, "nanosecond timestamps and durations");
        }
      return TRUE;
    case DMPI_PQ_CONV_I64_SCALE:
      for (gsize i = 0; i < k; i++)
        {
          gint64 v;
          memcpy (&v, src + 8 * i, 8);
          if (__builtin_mul_overflow (v, col->factor, &o64[i]))
            return out_of_range (error, v, "nanosecond timestamps and durations");
        }
      return TRUE;
    case DMPI_PQ_CONV_U64:
      for (gsize i = 0; i < k; i++)
        {
          memcpy (&o64[i], src + 8 * i, 8);
          if (o64[i] < 0)
            {
              g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID,
                           "the unsigned value %" G_GUINT64_FORMAT " is over INT64_MAX",
                           (guint64) o64[i]);
              return FALSE;
            }
        }
      return TRUE;
    case DMPI_PQ_CONV_INT96:
      for (gsize i = 0; i < k; i++)
        {
          guint64 nanos;
          gint32 day;
          gint64 t;
          memcpy (&nanos, src + 12 * i, 8);
          memcpy (&day, src + 12 * i + 8, 4);
          if (nanos > (guint64) NS_PER_DAY
              || __builtin_mul_overflow ((gint64) day - JULIAN_EPOCH_DAY, NS_PER_DAY, &t)
              || __builtin_add_overflow (t, (gint64) nanos, &o64[i]))
            return out_of_range (error, day, "nanosecond timestamps (an INT96 Julian day)");
        }
      return TRUE;
    case DMPI_PQ_CONV_DEC_I32:
      for (gsize i = 0; i < k; i++)
        {
          gint32 v;
          memcpy (&v, src + 4 * i, 4);
          od[i] = (double) v / pow10_table[col->scale];
        }
      return TRUE;
    case DMPI_PQ_CONV_DEC_I64:
      for (gsize i = 0; i < k; i++)
        {
          gint64 v;
          memcpy (&v, src + 8 * i, 8);
          od[i] = (double) v / pow10_table[col->scale];
        }
      return TRUE;
    case DMPI_PQ_CONV_DEC_BYTES:   /* FIXED_LEN_BYTE_ARRAY; BYTE_ARRAY goes through decimal_column */
      for (gsize i = 0; i < k; i++)
        od[i] = decimal_bytes (src + w * i, w) / pow10_table[col->scale];
      return TRUE;
    case DMPI_PQ_CONV_FLOAT16:
      for (gsize i = 0; i < k; i++)
        ((float *) dst->data)[base + i] = half_to_float (src + 2 * i);
      return TRUE;
    case DMPI_PQ_CONV_COPY:
    case DMPI_PQ_CONV_BOOL:
    case DMPI_PQ_CONV_STRING:
    default:
      g_assert_not_reached ();
    }
}

/* DECIMAL on BYTE_ARRAY: the byte arrays in cr->bytes into rows from @base. */
static gboolean
decimal_column (DmpiPqChunkReader *cr, const DmpiPqColumn *col, DmpiColumn *dst, gsize base,
                GError **error)
{
  const DmpiColumn *b = cr->bytes;
  double *od = (double *) dst->data + base;
  for (gsize i = 0; i < b->n_rows; i++)
    {
      gsize len = b->offsets[i + 1] - b->offsets[i];
      if (len > 16)
        return corrupt (error, "a DECIMAL value of %" G_GSIZE_FORMAT " bytes is over 16", len);
      od[i] = decimal_bytes ((const guint8 *) b->chars + b->offsets[i], len)
              / pow10_table[col->scale];
    }
  return TRUE;
}

static gsize
physical_width (const DmpiPqColumn *col)
{
  switch (col->physical)
    {
    case DMPI_PQ_INT32:
    case DMPI_PQ_FLOAT:  return 4;
    case DMPI_PQ_INT64:
    case DMPI_PQ_DOUBLE: return 8;
    case DMPI_PQ_INT96:  return 12;
    case DMPI_PQ_FIXED_LEN_BYTE_ARRAY: return (gsize) col->type_length;
    default:             return 0;   /* BOOLEAN, BYTE_ARRAY */
    }
}

/* ---- Values ------------------------------------------------------------------- */

static gboolean
cursor_init (Cursor *cur, const DmpiPqColumn *col, gint64 encoding, const guint8 *p, gsize len,
             gsize n_present, gboolean has_dict, GError **error)
{
  const char *why = NULL;
  gboolean bytes = col->physical == DMPI_PQ_BYTE_ARRAY;
  gboolean ints = col->physical == DMPI_PQ_INT32 || col->physical == DMPI_PQ_INT64;

  memset (cur, 0, sizeof *cur);
  cur->encoding = encoding;
  cur->start = cur->p = p;
  cur->end = p + len;
  if (n_present == 0)
    return TRUE;   /* all missing: nothing to read, not even a header */
  switch (encoding)
    {
    case DMPI_PQ_ENC_PLAIN:
      return TRUE;
    case DMPI_PQ_ENC_PLAIN_DICTIONARY:
    case DMPI_PQ_ENC_RLE_DICTIONARY:
      if (!has_dict)
        return corrupt (error, "a dictionary-encoded page comes without a dictionary page");
      if (len < 1)
        return corrupt (error, "a dictionary-encoded page has no bit width");
      if (!dmpi_rle_init (&cur->rle, p + 1, len - 1, p[0], &why))
        return corrupt (error, "dictionary indices: %s", why);
      return TRUE;
    case DMPI_PQ_ENC_RLE:
      if (col->physical != DMPI_PQ_BOOLEAN)
        break;
      {
        guint32 n;
        if (len < 4)
          return corrupt (error, "RLE booleans have no length");
        memcpy (&n, p, 4);
        n = GUINT32_FROM_LE (n);
        if (n > len - 4)
          return corrupt (error, "RLE booleans run past the end of their page");
        dmpi_rle_init (&cur->rle, p + 4, n, 1, &why);
        return TRUE;
      }
    case DMPI_PQ_ENC_DELTA_BINARY_PACKED:
      if (!ints)
        break;
      if (!dmpi_delta_init (&cur->delta, p, len, &why))
        return corrupt (error, "%s", why);
      return TRUE;
    case DMPI_PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
    case DMPI_PQ_ENC_DELTA_BYTE_ARRAY:
      {
        if (!bytes)
          break;
        DmpiDeltaDecoder skip;
        guint64 sink[256];
        const guint8 *q = p;
        DmpiDeltaDecoder *parts[2] = { &cur->prefix, &cur->delta };
        /* Each run of lengths is followed by the next: find where by
         * decoding them once. */
        for (guint part = encoding == DMPI_PQ_ENC_DELTA_BYTE_ARRAY ? 0 : 1; part < 2; part++)
          {
            if (!dmpi_delta_init (parts[part], q, (gsize) (cur->end - q), &why)
                || !dmpi_delta_init (&skip, q, (gsize) (cur->end - q), &why))
              return corrupt (error, "%s", why);
            if (dmpi_delta_count (&skip) < n_present)
              return corrupt (error, "%s holds %" G_GUINT64_FORMAT " lengths for %" G_GSIZE_FORMAT
                              " values", encoding_name (encoding), dmpi_delta_count (&skip),
                              n_present);
            for (guint64 left = dmpi_delta_count (&skip); left > 0;)
              {
                gsize m = (gsize) MIN (left, G_N_ELEMENTS (sink));
                if (!dmpi_delta_get (&skip, sink, m, &why))
                  return corrupt (error, "%s", why);
                left -= m;
              }
            q = dmpi_delta_end (&skip);
          }
        cur->p = q;
        return TRUE;
      }
    case DMPI_PQ_ENC_BYTE_STREAM_SPLIT:
      {
        gsize w = physical_width (col);
        if (w == 0)
          break;
        gsize need;
        if (!mul_size (n_present, w, &need) || need != len)
          return corrupt (error, "a BYTE_STREAM_SPLIT page of %" G_GSIZE_FORMAT " bytes cannot hold %"
                          G_GSIZE_FORMAT " values of %" G_GSIZE_FORMAT " bytes", len, n_present, w);
        cur->n = n_present;
        return TRUE;
      }
    default:
      break;
    }
  g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED,
               "values in %s (encoding %" G_GINT64_FORMAT ") are not supported for this column",
               encoding_name (encoding), encoding);
  return FALSE;
}

/* Dictionary indices of @k values: the entries of cr->dict into rows from @base. */
static gboolean
gather (DmpiPqChunkReader *cr, Cursor *cur, gsize k, DmpiColumn *dst, gsize base,
        gsize *table_bytes, GError **error)
{
  const DmpiColumn *dict = cr->dict;
  gsize dn = dict->n_rows;
  gsize w = dmpi_col_type_size (dst->type);
  const char *why;

  for (gsize done = 0; done < k;)
    {
      gsize m = MIN (k - done, IDX_BATCH);
      guint32 *idx = cr->idx;
      if (!dmpi_rle_get_u32 (&cur->rle, idx, m, &why))
        return corrupt (error, "dictionary indices: %s", why);
      for (gsize i = 0; i < m; i++)
        if (G_UNLIKELY (idx[i] >= dn))
          return corrupt (error, "dictionary index %u is past the dictionary's %" G_GSIZE_FORMAT
                          " entries", idx[i], dn);
      gsize row = base + done;
      if (dst->type == DMPI_COL_STRING)
        {
          gsize total = 0;
          for (gsize i = 0; i < m; i++)
            total += dict->offsets[idx[i] + 1] - dict->offsets[idx[i]];
          if (!reserve_chars (cr, dst, total, table_bytes, error))
            return FALSE;
          char *chars = dst->chars;
          gsize pos = dst->chars_len;
          for (gsize i = 0; i < m; i++)
            {
              guint32 s = dict->offsets[idx[i]], len = dict->offsets[idx[i] + 1] - s;
              memcpy (chars + pos, dict->chars + s, len);
              pos += len;
              dst->offsets[row + i + 1] = (guint32) pos;
            }
          dst->chars_len = pos;
        }
      else if (w == 8)
        {
          const guint64 *d = dict->data;
          guint64 *o = (guint64 *) dst->data + row;
          for (gsize i = 0; i < m; i++)
            o[i] = d[idx[i]];
        }
      else if (w == 4)
        {
          const guint32 *d = dict->data;
          guint32 *o = (guint32 *) dst->data + row;
          for (gsize i = 0; i < m; i++)
            o[i] = d[idx[i]];
        }
      else
        {
          const guint8 *d = dict->data;
          guint8 *o = (guint8 *) dst->data + row;
          for (gsize i = 0; i < m; i++)
            o[i] = d[idx[i]];
        }
      done += m;
    }
  return TRUE;
}

static void
put_string (DmpiColumn *dst, gsize row, const guint8 *s, gsize len)
{
  if (len > 0)
    memcpy (dst->chars + dst->chars_len, s, len);
  dst->chars_len += len;
  dst->offsets[row + 1] = (guint32) dst->chars_len;
}

/* @k byte arrays into rows [base, base + k) of @dst (strings). */
static gboolean
read_byte_arrays (DmpiPqChunkReader *cr, Cursor *cur, gsize k, DmpiColumn *dst, gsize base,
                  gsize *table_bytes, GError **error)
{
  const char *why;

  if (cur->encoding == DMPI_PQ_ENC_PLAIN)
    {
      /* PLAIN strings take no more bytes than the page holds. */
      if (!reserve_chars (cr, dst, MIN ((gsize) (cur->end - cur->p), (gsize) G_MAXUINT32 / 2),
                          table_bytes, error))
        return FALSE;
      for (gsize i = 0; i < k; i++)
        {
          guint32 len;
          if (cur->end - cur->p < 4)
            return corrupt (error, "a PLAIN page ends before its %" G_GSIZE_FORMAT "th value", i + 1);
          memcpy (&len, cur->p, 4);
          len = GUINT32_FROM_LE (len);
          cur->p += 4;
          if (len > (gsize) (cur->end - cur->p))
            return corrupt (error, "a string of %u bytes runs past the end of its page", len);
          if (!reserve_chars (cr, dst, len, table_bytes, error))
            return FALSE;
          put_string (dst, base + i, cur->p, len);
          cur->p += len;
        }
      return TRUE;
    }

  /* DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY */
  gboolean prefixed = cur->encoding == DMPI_PQ_ENC_DELTA_BYTE_ARRAY;
  guint64 prefix[256];
  for (gsize done = 0; done < k;)
    {
      gsize m = MIN (k - done, G_N_ELEMENTS (prefix));
      guint64 *len = cr->u64;
      if (!dmpi_delta_get (&cur->delta, len, m, &why)
          || (prefixed && !dmpi_delta_get (&cur->prefix, prefix, m, &why)))
        return corrupt (error, "%s", why);
      for (gsize i = 0; i < m; i++)
        {
          gsize pre = prefixed ? (gsize) prefix[i] : 0;
          if (len[i] > (guint64) (cur->end - cur->p))
            return corrupt (error, "a value of %" G_GUINT64_FORMAT " bytes runs past the end of its page",
                            len[i]);
          if (prefixed && prefix[i] > cr->prev_len)
            return corrupt (error, "a prefix of %" G_GUINT64_FORMAT " bytes is longer than the "
                            "previous value", prefix[i]);
          gsize total = pre + (gsize) len[i];
          if (!reserve_chars (cr, dst, total, table_bytes, error))
            return FALSE;
          if (pre > 0)
            memcpy (dst->chars + dst->chars_len, cr->prev, pre);
          dst->chars_len += pre;
          put_string (dst, base + done + i, cur->p, (gsize) len[i]);
          cur->p += len[i];
          if (prefixed)
            {
              if (!reserve_buffer (cr, &cr->prev, &cr->prev_cap, total, "a DELTA_BYTE_ARRAY value",
                                   error))
                return FALSE;
              memcpy (cr->prev, dst->chars + dst->chars_len - total, total);
              cr->prev_len = total;
            }
        }
      done += m;
    }
  return TRUE;
}

/* The next @k present values into rows [base, base + k) of @dst (k <= BATCH). */
static gboolean
read_values (DmpiPqChunkReader *cr, const DmpiPqColumn *col, Cursor *cur, gsize k,
             DmpiColumn *dst, gsize base, gsize *table_bytes, GError **error)
{
  const char *why;

  if (k == 0)
    return TRUE;
  if (cur->encoding == DMPI_PQ_ENC_PLAIN_DICTIONARY || cur->encoding == DMPI_PQ_ENC_RLE_DICTIONARY)
    return gather (cr, cur, k, dst, base, table_bytes, error);

  if (col->physical == DMPI_PQ_BOOLEAN)
    {
      guint8 *o = (guint8 *) dst->data + base;
      if (cur->encoding == DMPI_PQ_ENC_RLE)
        {
          if (!dmpi_rle_get_u8 (&cur->rle, o, k, &why))
            return corrupt (error, "RLE booleans: %s", why);
          return TRUE;
        }
      if (k > (gsize) (cur->end - cur->p) * 8 - cur->bit)
        return corrupt (error, "a PLAIN page ends before its booleans do");
      dmpi_pq_unpack_bits (cur->p, cur->bit, k, o);
      cur->bit += k;
      return TRUE;
    }

  if (col->physical == DMPI_PQ_BYTE_ARRAY)
    {
      if (col->conv == DMPI_PQ_CONV_STRING)
        return read_byte_arrays (cr, cur, k, dst, base, table_bytes, error);
      reset_column (cr->bytes);
      if (!reserve_rows (cr, cr->bytes, k, NULL, error)
          || !read_byte_arrays (cr, cur, k, cr->bytes, 0, NULL, error))
        return FALSE;
      cr->bytes->n_rows = k;
      return decimal_column (cr, col, dst, base, error);
    }

  gsize w = physical_width (col);
  guint8 *out = col->conv == DMPI_PQ_CONV_COPY ? (guint8 *) dst->data + base * w : cr->phys;
  switch (cur->encoding)
    {
    case DMPI_PQ_ENC_PLAIN:
      if (k * w > (gsize) (cur->end - cur->p))
        return corrupt (error, "a PLAIN page ends before its values do");
      memcpy (out, cur->p, k * w);
      cur->p += k * w;
      break;
    case DMPI_PQ_ENC_BYTE_STREAM_SPLIT:
      if (k > cur->n - cur->i)
        return corrupt (error, "a BYTE_STREAM_SPLIT page ends before its values do");
      dmpi_pq_byte_stream_split (cur->start, cur->n, w, cur->i, k, out);
      cur->i += k;
      break;
    case DMPI_PQ_ENC_DELTA_BINARY_PACKED:
      for (gsize done = 0; done < k;)
        {
          gsize m = MIN (k - done, IDX_BATCH);
          if (!dmpi_delta_get (&cur->delta, cr->u64, m, &why))
            return corrupt (error, "%s", why);
          if (w == 8)
            memcpy (out + done * 8, cr->u64, m * 8);
          else
            for (gsize i = 0; i < m; i++)
              {
                guint32 v = (guint32) cr->u64[i];
                memcpy (out + (done + i) * 4, &v, 4);
              }
          done += m;
        }
      break;
    default:
      g_assert_not_reached ();
    }
  if (col->conv != DMPI_PQ_CONV_COPY)
    return convert (col, cr->phys, k, dst, base, error);
  return TRUE;
}

/* Spreads the @k values at rows [base, base + k) over the @n rows from
 * @base whose levels[] are 1; the others get a zero or an empty string. */
static void
spread (DmpiColumn *c, gsize base, const guint8 *levels, gsize n, gsize k)
{
  gsize j = k;
  if (c->type == DMPI_COL_STRING)
    {
      guint32 *off = c->offsets + base;
      for (gsize r = n; r-- > 0;)
        {
          off[r + 1] = off[j];
          j -= levels[r];
        }
      return;
    }
#define SPREAD(T)                                  \
  {                                                \
    T *d = (T *) c->data + base;                   \
    for (gsize r = n; r-- > 0;)                    \
      {                                            \
        if (levels[r])                             \
          d[r] = d[--j];                           \
        else                                       \
          d[r] = 0;                                \
      }                                            \
  }
  switch (dmpi_col_type_size (c->type))
    {
    case 1:  SPREAD (guint8); break;
    case 4:  SPREAD (guint32); break;
    default: SPREAD (guint64); break;
    }
#undef SPREAD
}

/* ---- Levels -------------------------------------------------------------------- */

static gboolean
levels_next (Levels *lv, guint8 *out, gsize n, GError **error)
{
  const char *why;
  if (!lv->bit_packed)
    {
      if (!dmpi_rle_get_u8 (&lv->rle, out, n, &why))
        return corrupt (error, "definition levels: %s", why);
      return TRUE;
    }
  if (n > lv->n_bits - lv->pos)
    return corrupt (error, "definition levels end before the page's values");
  for (gsize i = 0; i < n; i++, lv->pos++)
    out[i] = (lv->p[lv->pos / 8] >> (7 - lv->pos % 8)) & 1;
  return TRUE;
}

static gsize
count_ones (const guint8 *b, gsize n)
{
  gsize k = 0;
  for (gsize i = 0; i < n; i++)
    k += b[i];
  return k;
}

/* ---- Pages ---------------------------------------------------------------------- */

typedef struct {
  gint64   type, uncompressed, compressed;
  gint64   num_values, encoding, def_encoding;   /* v1, dictionary */
  gint64   num_nulls, num_rows, def_len, rep_len; /* v2 */
  gboolean is_compressed;
  gboolean has_v1, has_v2, has_dict;
} PageHeader;

static void
parse_data_header (DmpiThriftReader *r, PageHeader *h, gboolean v2)
{
  gint16 last = 0, id;
  DmpiThriftType t;
  if (!dmpi_thrift_struct_enter (r))
    return;
  while (dmpi_thrift_next_field (r, &last, &id, &t))
    {
      if (!v2)
        switch (id)
          {
          case 1: h->num_values = dmpi_thrift_read_int (r, t); break;
          case 2: h->encoding = dmpi_thrift_read_int (r, t); break;
          case 3: h->def_encoding = dmpi_thrift_read_int (r, t); break;
          default: dmpi_thrift_skip (r, t);
          }
      else
        switch (id)
          {
          case 1: h->num_values = dmpi_thrift_read_int (r, t); break;
          case 2: h->num_nulls = dmpi_thrift_read_int (r, t); break;
          case 3: h->num_rows = dmpi_thrift_read_int (r, t); break;
          case 4: h->encoding = dmpi_thrift_read_int (r, t); break;
          case 5: h->def_len = dmpi_thrift_read_int (r, t); break;
          case 6: h->rep_len = dmpi_thrift_read_int (r, t); break;
          case 7: h->is_compressed = dmpi_thrift_read_bool (r, t); break;
          default: dmpi_thrift_skip (r, t);
          }
    }
}

static gboolean
parse_page_header (const guint8 *p, gsize len, guint64 offset, PageHeader *h, gsize *header_len,
                   GError **error)
{
  DmpiThriftReader r;
  gint16 last = 0, id;
  DmpiThriftType t;

  memset (h, 0, sizeof *h);
  h->type = h->uncompressed = h->compressed = -1;
  h->num_values = h->num_rows = h->encoding = h->def_encoding = -1;
  h->is_compressed = TRUE;
  dmpi_thrift_reader_init (&r, p, len);
  dmpi_thrift_struct_enter (&r);
  while (dmpi_thrift_next_field (&r, &last, &id, &t))
    switch (id)
      {
      case 1: h->type = dmpi_thrift_read_int (&r, t); break;
      case 2: h->uncompressed = dmpi_thrift_read_int (&r, t); break;
      case 3: h->compressed = dmpi_thrift_read_int (&r, t); break;
      case 5:
        if (t != DMPI_THRIFT_STRUCT)
          dmpi_thrift_skip (&r, t);
        else
          parse_data_header (&r, h, FALSE), h->has_v1 = TRUE;
        break;
      case 7:
        if (t != DMPI_THRIFT_STRUCT)
          dmpi_thrift_skip (&r, t);
        else
          parse_data_header (&r, h, FALSE), h->has_dict = TRUE;   /* num_values, encoding */
        break;
      case 8:
        if (t != DMPI_THRIFT_STRUCT)
          dmpi_thrift_skip (&r, t);
        else
          parse_data_header (&r, h, TRUE), h->has_v2 = TRUE;
        break;
      default:
        dmpi_thrift_skip (&r, t);
      }
  if (r.error != NULL && r.truncated)
    return corrupt (error, "the page header at offset %" G_GUINT64_FORMAT
                    " runs past the column chunk", offset);
  if (r.error != NULL)
    return corrupt (error, "the page header at offset %" G_GUINT64_FORMAT ": %s", offset, r.error);
  if (h->type < 0 || h->uncompressed < 0 || h->compressed < 0
      || h->uncompressed > G_MAXINT32 || h->compressed > G_MAXINT32)
    return corrupt (error, "page header at offset %" G_GUINT64_FORMAT
                    " lacks its type or has no valid sizes", offset);
  *header_len = (gsize) (r.p - p);
  return TRUE;
}

/* The page's bytes, decompressed: @len stored bytes to @out_len bytes. */
static gboolean
page_bytes (DmpiPqChunkReader *cr, gint64 codec, const guint8 *in, gsize len, gsize out_len,
            const guint8 **out, GError **error)
{
  if (codec == DMPI_PQ_CODEC_UNCOMPRESSED || out_len == 0)
    {
      if (codec == DMPI_PQ_CODEC_UNCOMPRESSED && len != out_len)
        return dmpi_pq_check_sizes (codec, in, len, out_len, error);
      *out = in;
      return TRUE;
    }
  if (!dmpi_pq_check_sizes (codec, in, len, out_len, error)
      || !reserve_buffer (cr, &cr->page, &cr->page_cap, out_len, "a page", error)
      || !dmpi_pq_decompress (cr->dec, codec, in, len, cr->page, out_len, error))
    return FALSE;
  *out = cr->page;
  return TRUE;
}

static gboolean
read_dictionary (DmpiPqChunkReader *cr, const DmpiPqColumn *col, gint64 codec,
                 const PageHeader *h, const guint8 *body, DmpiColumn *out, GError **error)
{
  const guint8 *v;
  gsize len = (gsize) h->uncompressed;

  if (cr->has_dict)
    return corrupt (error, "a second dictionary page");
  if (h->encoding != DMPI_PQ_ENC_PLAIN && h->encoding != DMPI_PQ_ENC_PLAIN_DICTIONARY)
    return corrupt (error, "a dictionary page in %s", encoding_name (h->encoding));
  if (!page_bytes (cr, codec, body, (gsize) h->compressed, len, &v, error))
    return FALSE;
  /* Its entries must fit its bytes before anything is sized from them. */
  gsize bits = col->physical == DMPI_PQ_BOOLEAN ? 1
               : col->physical == DMPI_PQ_BYTE_ARRAY ? 32 : 8 * physical_width (col);
  if (h->num_values < 0 || (guint64) h->num_values > (guint64) len * 8 / bits)
    return corrupt (error, "a dictionary page of %" G_GSIZE_FORMAT " bytes cannot hold %"
                    G_GINT64_FORMAT " entries", len, h->num_values);

  if (cr->dict == NULL || cr->dict->type != out->type)
    {
      dmpi_column_free (cr->dict);
      cr->dict = dmpi_column_new ("dictionary", out->type, 0);
    }
  reset_column (cr->dict);
  gsize n = (gsize) h->num_values;
  Cursor cur;
  if (!reserve_rows (cr, cr->dict, n, NULL, error)
      || !cursor_init (&cur, col, DMPI_PQ_ENC_PLAIN, v, len, n, FALSE, error))
    return FALSE;
  for (gsize done = 0; done < n;)
    {
      gsize m = MIN (n - done, BATCH);
      if (!read_values (cr, col, &cur, m, cr->dict, done, NULL, error))
        return FALSE;
      done += m;
    }
  cr->dict->n_rows = n;
  cr->has_dict = TRUE;
  return TRUE;
}

/* A data page (v1 or v2) of @n rows: the first @want into @out. */
static gboolean
read_data_page (DmpiPqChunkReader *cr, const DmpiPqColumn *col, gint64 codec,
                const PageHeader *h, const guint8 *body, gsize n, gsize want, DmpiColumn *out,
                gsize *table_bytes, GError **error)
{
  const guint8 *values;
  gsize values_len;
  Levels lv = { 0 };
  const guint8 *lv_data = NULL;
  gsize lv_len = 0;
  gsize n_present = n;   /* in the whole page (for BYTE_STREAM_SPLIT) */
  const char *why;

  if (!h->has_v2)
    {
      const guint8 *page;
      if (!page_bytes (cr, codec, body, (gsize) h->compressed, (gsize) h->uncompressed, &page,
                       error))
        return FALSE;
      values = page;
      values_len = (gsize) h->uncompressed;
      if (col->optional)
        {
          if (h->def_encoding == DMPI_PQ_ENC_RLE)
            {
              guint32 l;
              if (values_len < 4)
                return corrupt (error, "a page ends before its definition levels");
              memcpy (&l, values, 4);
              l = GUINT32_FROM_LE (l);
              if (l > values_len - 4)
                return corrupt (error, "definition levels of %u bytes run past the end of their page", l);
              lv_data = values + 4;
              lv_len = l;
              values += 4 + l;
              values_len -= 4 + (gsize) l;
            }
          else if (h->def_encoding == DMPI_PQ_ENC_BIT_PACKED)
            {
              lv.bit_packed = TRUE;
              lv_len = (n + 7) / 8;
              if (lv_len > values_len)
                return corrupt (error, "a page ends before its definition levels");
              lv_data = values;
              values += lv_len;
              values_len -= lv_len;
            }
          else
            return corrupt (error, "definition levels in %s", encoding_name (h->def_encoding));
        }
    }
  else
    {
      gsize compressed = (gsize) h->compressed, uncompressed = (gsize) h->uncompressed;
      if (h->def_len < 0 || h->rep_len < 0
          || (guint64) h->def_len + (guint64) h->rep_len > MIN (compressed, uncompressed))
        return corrupt (error, "a v2 page's levels are larger than the page");
      gsize levels = (gsize) (h->def_len + h->rep_len);
      lv_data = body + h->rep_len;
      lv_len = (gsize) h->def_len;
      if (!page_bytes (cr, h->is_compressed ? codec : DMPI_PQ_CODEC_UNCOMPRESSED, body + levels,
                       compressed - levels, uncompressed - levels, &values, error))
        return FALSE;
      values_len = uncompressed - levels;
      if (h->num_nulls < 0 || (guint64) h->num_nulls > n || (!col->optional && h->num_nulls != 0))
        return corrupt (error, "a v2 page states %" G_GINT64_FORMAT " missing values of %"
                        G_GSIZE_FORMAT, h->num_nulls, n);
      n_present = n - (gsize) h->num_nulls;
    }

  if (col->optional)
    {
      if (!lv.bit_packed)
        dmpi_rle_init (&lv.rle, lv_data, lv_len, 1, &why);
      lv.p = lv_data;
      lv.n_bits = lv_len * 8;
      if (!h->has_v2 && h->encoding == DMPI_PQ_ENC_BYTE_STREAM_SPLIT)
        {
          /* The values' layout depends on their number: count them first. */
          Levels count = lv;
          n_present = 0;
          for (gsize done = 0; done < n;)
            {
              gsize m = MIN (n - done, BATCH);
              if (!levels_next (&count, cr->levels, m, error))
                return FALSE;
              n_present += count_ones (cr->levels, m);
              done += m;
            }
        }
    }

  Cursor cur;
  if (!cursor_init (&cur, col, h->encoding, values, values_len, n_present, cr->has_dict, error))
    return FALSE;

  gsize present_total = 0;
  for (gsize done = 0; done < want;)
    {
      gsize m = MIN (want - done, BATCH), k = m, base = out->n_rows;
      if (!reserve_rows (cr, out, base + m, table_bytes, error))
        return FALSE;
      if (col->optional)
        {
          if (!levels_next (&lv, cr->levels, m, error))
            return FALSE;
          k = count_ones (cr->levels, m);
        }
      if (k > n_present - present_total)
        return corrupt (error, "a page holds more definition levels than values");
      if (!read_values (cr, col, &cur, k, out, base, table_bytes, error))
        return FALSE;
      if (k < m)
        {
          if (out->valid == NULL)
            {
              gsize total = *table_bytes + out->capacity;
              if (too_big (error, "the table", total, cr->max_bytes)
                  || !try_realloc ((gpointer *) &out->valid, out->capacity, "validity bytes", error))
                return FALSE;
              *table_bytes = total;
              memset (out->valid, 1, base);
            }
          spread (out, base, cr->levels, m, k);
          memcpy (out->valid + base, cr->levels, m);
        }
      else if (out->valid != NULL)
        memset (out->valid + base, 1, m);
      present_total += k;
      out->n_rows = base + m;
      done += m;
    }
  return TRUE;
}

gboolean
dmpi_pq_read_chunk (DmpiPqChunkReader *cr, const DmpiPqColumn *col, const DmpiPqChunk *chunk,
                    const guint8 *data, gsize len, guint64 offset, gint64 rg_rows, gsize rows,
                    DmpiColumn *out, gsize *table_bytes, GError **error)
{
  const guint8 *p = data, *end = data + len;
  gsize got = 0;
  gint64 seen = 0;   /* rows of the data pages passed */

  cr->has_dict = FALSE;
  while (got < rows)
    {
      PageHeader h;
      gsize hl = 0;
      guint64 at = offset + (guint64) (p - data);

      if (p >= end)
        return corrupt (error, "the column chunk ends after %" G_GINT64_FORMAT " of its %"
                        G_GINT64_FORMAT " rows", seen, rg_rows);
      if (!parse_page_header (p, (gsize) (end - p), at, &h, &hl, error))
        return FALSE;
      p += hl;
      if ((guint64) h.compressed > (guint64) (end - p))
        return corrupt (error, "the page at offset %" G_GUINT64_FORMAT " (%" G_GINT64_FORMAT
                        " bytes) runs past the column chunk", at, h.compressed);
      const guint8 *body = p;
      p += h.compressed;

      if (h.type == DMPI_PQ_DICTIONARY_PAGE)
        {
          if (!h.has_dict)
            return corrupt (error, "the dictionary page at offset %" G_GUINT64_FORMAT
                            " has no dictionary header", at);
          if (seen > 0)
            return corrupt (error, "a dictionary page at offset %" G_GUINT64_FORMAT
                            " follows data pages", at);
          if (!read_dictionary (cr, col, chunk->codec, &h, body, out, error))
            return g_prefix_error (error, "dictionary page at offset %" G_GUINT64_FORMAT ": ", at),
                   FALSE;
          continue;
        }
      if (h.type != DMPI_PQ_DATA_PAGE && h.type != DMPI_PQ_DATA_PAGE_V2)
        continue;   /* index pages and the like */
      if ((h.type == DMPI_PQ_DATA_PAGE && !h.has_v1) || (h.type == DMPI_PQ_DATA_PAGE_V2 && !h.has_v2))
        return corrupt (error, "the data page at offset %" G_GUINT64_FORMAT
                        " has no data page header", at);
      h.has_v2 = h.type == DMPI_PQ_DATA_PAGE_V2;
      gint64 n = h.num_values;
      if (n < 0 || (h.has_v2 && h.num_rows != n))
        return corrupt (error, "the data page at offset %" G_GUINT64_FORMAT
                        " states %" G_GINT64_FORMAT " values and %" G_GINT64_FORMAT
                        " rows (a flat column has as many of each)", at, n, h.num_rows);
      if (n > rg_rows - seen)
        return corrupt (error, "the data page at offset %" G_GUINT64_FORMAT " takes the column chunk"
                        " past its row group's %" G_GINT64_FORMAT " rows", at, rg_rows);
      gsize want = MIN ((gsize) n, rows - got);
      if (!read_data_page (cr, col, chunk->codec, &h, body, (gsize) n, want, out, table_bytes,
                           error))
        return g_prefix_error (error, "page at offset %" G_GUINT64_FORMAT ": ", at), FALSE;
      seen += n;
      got += want;
    }
  return TRUE;
}
