/* Parquet encodings: see parquet-decode.h. Bit-packed values are read with
 * 8-byte loads where the buffer allows and byte by byte at its very end. */
#include "config.h"

#include "df/parquet-decode.h"

#include <string.h>

#if G_BYTE_ORDER != G_LITTLE_ENDIAN
#error "the bit unpacking loads little-endian words as they lie in memory"
#endif

static inline guint64
load64 (const guint8 *in, gsize in_len, gsize at)
{
  guint64 v = 0;
  if (G_LIKELY (at + 8 <= in_len))
    memcpy (&v, in + at, 8);
  else if (at < in_len)
    memcpy (&v, in + at, in_len - at);
  return v;
}

/* The value of @width bits (at most 32) at bit @bit of @in. */
static inline guint32
extract32 (const guint8 *in, gsize in_len, gsize bit, guint64 mask)
{
  return (guint32) ((load64 (in, in_len, bit >> 3) >> (bit & 7)) & mask);
}

static void
unpack32_from (const guint8 *in, gsize in_len, gsize bit, guint width, guint32 *out, gsize n)
{
  if (width == 0)
    {
      memset (out, 0, n * sizeof *out);
      return;
    }
  if (width == 8 && bit % 8 == 0)
    {
      in += bit / 8;
      for (gsize i = 0; i < n; i++)
        out[i] = in[i];
      return;
    }
  guint64 mask = width >= 32 ? 0xffffffffu : ((guint64) 1 << width) - 1;
  for (gsize i = 0; i < n; i++, bit += width)
    out[i] = extract32 (in, in_len, bit, mask);
}

void
dmpi_pq_unpack32 (const guint8 *in, gsize in_len, guint width, guint32 *out, gsize n)
{
  unpack32_from (in, in_len, 0, width, out, n);
}

static void
unpack64_from (const guint8 *in, gsize in_len, gsize bit, guint width, guint64 *out, gsize n)
{
  guint64 mask = width >= 64 ? G_MAXUINT64 : width == 0 ? 0 : ((guint64) 1 << width) - 1;
  for (gsize i = 0; i < n; i++, bit += width)
    {
      guint shift = bit & 7;
      guint64 v = load64 (in, in_len, bit >> 3) >> shift;
      if (shift != 0 && shift + width > 64)
        v |= load64 (in, in_len, (bit >> 3) + 8) << (64 - shift);
      out[i] = v & mask;
    }
}

void
dmpi_pq_unpack64 (const guint8 *in, gsize in_len, guint width, guint64 *out, gsize n)
{
  unpack64_from (in, in_len, 0, width, out, n);
}

static void
unpack_bits_from (const guint8 *in, gsize bit, gsize n, guint8 *out)
{
  gsize i = 0;
  for (; i < n && (bit + i) % 8 != 0; i++)
    out[i] = (in[(bit + i) / 8] >> ((bit + i) % 8)) & 1;
  const guint8 *p = in + (bit + i) / 8;
  for (; i + 8 <= n; i += 8, p++)
    {
      guint8 b = *p;
      for (guint k = 0; k < 8; k++)
        out[i + k] = (b >> k) & 1;
    }
  for (gsize k = 0; i < n; i++, k++)
    out[i] = (*p >> k) & 1;
}

void
dmpi_pq_unpack_bits (const guint8 *in, gsize bit, gsize n, guint8 *out)
{
  unpack_bits_from (in, bit, n, out);
}

/* ---- RLE/bit-packed hybrid --------------------------------------------- */

static gboolean
read_uvarint (const guint8 **pp, const guint8 *end, guint64 *v)
{
  const guint8 *p = *pp;
  guint64 r = 0;
  for (guint shift = 0; shift < 64; shift += 7)
    {
      if (p >= end)
        return FALSE;
      guint8 b = *p++;
      r |= (guint64) (b & 0x7f) << shift;
      if (!(b & 0x80))
        {
          *pp = p;
          *v = r;
          return TRUE;
        }
    }
  return FALSE;
}

gboolean
dmpi_rle_init (DmpiRleDecoder *d, const guint8 *data, gsize len, guint width, const char **why)
{
  memset (d, 0, sizeof *d);
  d->p = data;
  d->end = data + len;
  d->width = width;
  if (width > 32)
    {
      *why = "an RLE/bit-packed bit width is over 32";
      return FALSE;
    }
  return TRUE;
}

static gboolean
next_run (DmpiRleDecoder *d, const char **why)
{
  guint64 h;
  if (!read_uvarint (&d->p, d->end, &h))
    {
      *why = "the RLE/bit-packed data ends before its values";
      return FALSE;
    }
  if (h & 1)
    {
      guint64 groups = h >> 1;
      if (groups > G_MAXUINT32)
        {
          *why = "a bit-packed run is impossibly long";
          return FALSE;
        }
      gsize bytes = (gsize) groups * d->width;
      gsize avail = (gsize) (d->end - d->p);
      d->packed = TRUE;
      d->run_left = (gsize) groups * 8;
      d->packed_data = d->p;
      /* The last run may stop where its last value does. */
      d->packed_bytes = MIN (bytes, avail);
      d->packed_pos = 0;
      d->p += d->packed_bytes;
    }
  else
    {
      guint nbytes = (d->width + 7) / 8;
      if ((gsize) (d->end - d->p) < nbytes)
        {
          *why = "an RLE run's value runs past the end of its data";
          return FALSE;
        }
      guint32 v = 0;
      for (guint i = 0; i < nbytes; i++)
        v |= (guint32) d->p[i] << (8 * i);
      d->p += nbytes;
      if (d->width < 32 && (v >> d->width) != 0)
        {
          *why = "an RLE run's value is wider than its bit width";
          return FALSE;
        }
      d->packed = FALSE;
      d->value = v;
      d->run_left = (gsize) MIN (h >> 1, (guint64) G_MAXSIZE);
    }
  return TRUE;
}

/* Checks that the bit-packed run holds values [packed_pos, packed_pos + k). */
static gboolean
packed_present (const DmpiRleDecoder *d, gsize k, const char **why)
{
  if (((d->packed_pos + k) * d->width + 7) / 8 > d->packed_bytes)
    {
      *why = "a bit-packed run is cut short by the end of its data";
      return FALSE;
    }
  return TRUE;
}

/* The next @n values into @out32 or, when it is NULL, @out8 (width <= 8). */
static gboolean
rle_get (DmpiRleDecoder *d, guint32 *out32, guint8 *out8, gsize n, const char **why)
{
  while (n > 0)
    {
      if (d->run_left == 0)
        {
          if (!next_run (d, why))
            return FALSE;
          continue;
        }
      gsize k = MIN (n, d->run_left);
      if (d->packed)
        {
          if (!packed_present (d, k, why))
            return FALSE;
          gsize bit = d->packed_pos * d->width;
          if (out32 != NULL)
            unpack32_from (d->packed_data, d->packed_bytes, bit, d->width, out32, k);
          else if (d->width == 1)
            unpack_bits_from (d->packed_data, d->packed_pos, k, out8);
          else
            {
              guint64 mask = ((guint64) 1 << d->width) - 1;
              for (gsize i = 0; i < k; i++, bit += d->width)
                out8[i] = (guint8) extract32 (d->packed_data, d->packed_bytes, bit, mask);
            }
          d->packed_pos += k;
        }
      else if (out32 != NULL)
        for (gsize i = 0; i < k; i++)
          out32[i] = d->value;
      else
        memset (out8, (int) d->value, k);
      d->run_left -= k;
      if (out32 != NULL)
        out32 += k;
      else
        out8 += k;
      n -= k;
    }
  return TRUE;
}

gboolean
dmpi_rle_get_u32 (DmpiRleDecoder *d, guint32 *out, gsize n, const char **why)
{
  return rle_get (d, out, NULL, n, why);
}

gboolean
dmpi_rle_get_u8 (DmpiRleDecoder *d, guint8 *out, gsize n, const char **why)
{
  g_return_val_if_fail (d->width <= 8, FALSE);
  return rle_get (d, NULL, out, n, why);
}

/* ---- DELTA_BINARY_PACKED ------------------------------------------------- */

static gboolean
read_zigzag (const guint8 **pp, const guint8 *end, guint64 *v)
{
  guint64 u;
  if (!read_uvarint (pp, end, &u))
    return FALSE;
  *v = (u >> 1) ^ -(u & 1);
  return TRUE;
}

gboolean
dmpi_delta_init (DmpiDeltaDecoder *d, const guint8 *data, gsize len, const char **why)
{
  memset (d, 0, sizeof *d);
  d->p = data;
  d->end = data + len;
  if (!read_uvarint (&d->p, d->end, &d->block_values)
      || !read_uvarint (&d->p, d->end, &d->miniblocks)
      || !read_uvarint (&d->p, d->end, &d->total)
      || !read_zigzag (&d->p, d->end, &d->last))
    {
      *why = "a DELTA_BINARY_PACKED header runs past the end of its data";
      return FALSE;
    }
  /* The format's rules: blocks of a multiple of 128 values, miniblocks of
   * a multiple of 32; the bound on the block keeps the arithmetic small. */
  if (d->block_values == 0 || d->block_values % 128 != 0 || d->block_values > (1u << 20)
      || d->miniblocks == 0 || d->block_values % d->miniblocks != 0
      || (d->block_values / d->miniblocks) % 32 != 0)
    {
      *why = "a DELTA_BINARY_PACKED header has an invalid block size";
      return FALSE;
    }
  d->mini_values = d->block_values / d->miniblocks;
  d->mini = d->miniblocks;   /* no block read yet */
  d->data_end = d->p;
  return TRUE;
}

guint64
dmpi_delta_count (const DmpiDeltaDecoder *d)
{
  return d->total;
}

/* Moves to the next miniblock (reading a block header when one is due). */
static gboolean
next_miniblock (DmpiDeltaDecoder *d, const char **why)
{
  if (d->mini + 1 >= d->miniblocks)
    {
      if (!read_zigzag (&d->p, d->end, &d->min_delta)
          || (gsize) (d->end - d->p) < d->miniblocks)
        {
          *why = "a DELTA_BINARY_PACKED block header runs past the end of its data";
          return FALSE;
        }
      d->widths = d->p;
      d->p += d->miniblocks;
      d->mini = 0;
    }
  else
    d->mini++;
  guint width = d->widths[d->mini];
  if (width > 64)
    {
      *why = "a DELTA_BINARY_PACKED miniblock is wider than 64 bits";
      return FALSE;
    }
  gsize full = (gsize) (d->mini_values * width / 8);
  gsize avail = (gsize) (d->end - d->p);
  d->mini_data = d->p;
  d->mini_bytes = MIN (full, avail);   /* the last one may be cut at its last value */
  d->p += d->mini_bytes;
  d->data_end = d->p;
  d->mini_left = d->mini_values;
  d->mini_pos = 0;
  return TRUE;
}

gboolean
dmpi_delta_get (DmpiDeltaDecoder *d, guint64 *out, gsize n, const char **why)
{
  if (n > d->total - d->taken)
    {
      *why = "a DELTA_BINARY_PACKED page holds fewer values than it should";
      return FALSE;
    }
  if (n > 0 && d->taken == 0)
    {
      *out++ = d->last;
      d->taken = 1;
      n--;
    }
  while (n > 0)
    {
      if (d->mini_left == 0 && !next_miniblock (d, why))
        return FALSE;
      guint width = d->widths[d->mini];
      gsize k = (gsize) MIN ((guint64) n, d->mini_left);
      gsize bit = (gsize) (d->mini_pos * width);
      if ((bit + (gsize) k * width + 7) / 8 > d->mini_bytes)
        {
          *why = "a DELTA_BINARY_PACKED miniblock is cut short by the end of its data";
          return FALSE;
        }
      unpack64_from (d->mini_data, d->mini_bytes, bit, width, out, k);
      guint64 v = d->last;
      for (gsize i = 0; i < k; i++)
        {
          v += d->min_delta + out[i];   /* wraps, as the format's arithmetic does */
          out[i] = v;
        }
      d->last = v;
      d->mini_pos += k;
      d->mini_left -= k;
      d->taken += k;
      out += k;
      n -= k;
    }
  return TRUE;
}

const guint8 *
dmpi_delta_end (const DmpiDeltaDecoder *d)
{
  return d->data_end;
}

/* ---- BYTE_STREAM_SPLIT --------------------------------------------------- */

void
dmpi_pq_byte_stream_split (const guint8 *in, gsize n, gsize width, gsize first, gsize k,
                           guint8 *out)
{
  in += first;
  if (width == 4)
    {
      const guint8 *s0 = in, *s1 = in + n, *s2 = in + 2 * n, *s3 = in + 3 * n;
      for (gsize i = 0; i < k; i++)
        {
          out[4 * i] = s0[i];
          out[4 * i + 1] = s1[i];
          out[4 * i + 2] = s2[i];
          out[4 * i + 3] = s3[i];
        }
      return;
    }
  for (gsize b = 0; b < width; b++)
    {
      const guint8 *s = in + b * n;
      for (gsize i = 0; i < k; i++)
        out[i * width + b] = s[i];
    }
}
