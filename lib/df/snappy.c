/* Snappy raw block compressor and decompressor.
 *
 * The compressor follows the reference implementation's scheme: the input is
 * cut into 64 KiB fragments (so a hash table of 16-bit positions suffices and
 * offsets fit a 2-byte copy), each position's next 4 bytes are hashed into a
 * table of earlier positions, a hit is extended as far as it matches, and the
 * lookup stride grows over incompressible stretches so that random data costs
 * little. */
#include "config.h"

#include "df/snappy.h"
#include "df/table.h"

#include <string.h>

#define FRAGMENT_SIZE  (1u << 16)
#define MAX_HASH_BITS  14
#define INPUT_MARGIN   15   /* bytes left unmatched at a fragment's end: loads stay inside */

static inline guint32
load32 (const guint8 *p)
{
  guint32 v;
  memcpy (&v, p, sizeof v);
  return v;
}

static inline guint64
load64 (const guint8 *p)
{
  guint64 v;
  memcpy (&v, p, sizeof v);
  return v;
}

static inline guint32
hash32 (guint32 bytes, int shift)
{
  return (bytes * 0x1e35a7bdu) >> shift;
}

gsize
dmpi_snappy_max_compressed_length (gsize len)
{
  return 32 + len + len / 6;
}

static guint8 *
put_varint32 (guint8 *out, guint32 v)
{
  while (v >= 0x80)
    {
      *out++ = (guint8) (v | 0x80);
      v >>= 7;
    }
  *out++ = (guint8) v;
  return out;
}

static guint8 *
emit_literal (guint8 *out, const guint8 *lit, gsize len)
{
  gsize n = len - 1;

  if (n < 60)
    *out++ = (guint8) (n << 2);
  else if (n < (1u << 8))
    {
      *out++ = 60 << 2;
      *out++ = (guint8) n;
    }
  else if (n < (1u << 16))
    {
      *out++ = 61 << 2;
      *out++ = (guint8) n;
      *out++ = (guint8) (n >> 8);
    }
  else if (n < (1u << 24))
    {
      *out++ = 62 << 2;
      *out++ = (guint8) n;
      *out++ = (guint8) (n >> 8);
      *out++ = (guint8) (n >> 16);
    }
  else
    {
      *out++ = 63 << 2;
      *out++ = (guint8) n;
      *out++ = (guint8) (n >> 8);
      *out++ = (guint8) (n >> 16);
      *out++ = (guint8) (n >> 24);
    }
  memcpy (out, lit, len);
  return out + len;
}

static inline guint8 *
emit_copy_upto64 (guint8 *out, gsize offset, gsize len)
{
  if (len < 12 && offset < 2048)
    {
      *out++ = (guint8) (1 | ((len - 4) << 2) | ((offset >> 8) << 5));
      *out++ = (guint8) offset;
    }
  else
    {
      *out++ = (guint8) (2 | ((len - 1) << 2));
      *out++ = (guint8) offset;
      *out++ = (guint8) (offset >> 8);
    }
  return out;
}

static guint8 *
emit_copy (guint8 *out, gsize offset, gsize len)
{
  /* A copy element holds at most 64 bytes; keep the last piece >= 4. */
  while (len >= 68)
    {
      out = emit_copy_upto64 (out, offset, 64);
      len -= 64;
    }
  if (len > 64)
    {
      out = emit_copy_upto64 (out, offset, 60);
      len -= 60;
    }
  return emit_copy_upto64 (out, offset, len);
}

/* How many bytes at @a equal those at @b, with @b running up to @b_end. */
static inline gsize
match_length (const guint8 *a, const guint8 *b, const guint8 *b_end)
{
  const guint8 *b_start = b;

  while (b + 8 <= b_end)
    {
      guint64 x = load64 (a) ^ load64 (b);
      if (x != 0)
        {
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
          return (gsize) (b - b_start) + ((gsize) __builtin_ctzll (x) >> 3);
#else
          return (gsize) (b - b_start) + ((gsize) __builtin_clzll (x) >> 3);
#endif
        }
      a += 8;
      b += 8;
    }
  while (b < b_end && *a == *b)
    {
      a++;
      b++;
    }
  return (gsize) (b - b_start);
}

static guint8 *
compress_fragment (const guint8 *in, gsize len, guint8 *out, guint16 *table)
{
  const guint8 *ip = in;
  const guint8 *end = in + len;
  const guint8 *next_emit = in;

  if (len >= INPUT_MARGIN)
    {
      int bits = 8;
      while (bits < MAX_HASH_BITS && ((gsize) 1 << bits) < len)
        bits++;
      int shift = 32 - bits;
      memset (table, 0, sizeof (guint16) << bits);

      const guint8 *ip_limit = in + len - INPUT_MARGIN;

      for (;;)
        {
          /* Bytes in [next_emit, ip) become a literal. */
          next_emit = ip++;
          guint64 data = load64 (ip);
          guint32 skip = 32;
          const guint8 *candidate;
          if (ip_limit - ip >= 16)
            {
              /* Right after a match, matches are likely: probe each of
               * the next 16 positions, four per 8-byte load (as the
               * reference implementation does since 1.1.9). */
              for (int j = 0; j < 4; j++)
                {
                  for (int k = 0; k < 4; k++)
                    {
                      int i = 4 * j + k;
                      guint32 h = hash32 ((guint32) data, shift);
                      candidate = in + table[h];
                      table[h] = (guint16) (ip + i - in);
                      if (G_UNLIKELY (load32 (candidate) == (guint32) data))
                        {
                          /* A literal of i + 1 bytes, copied 16 at once:
                           * reads stay inside the fragment, writes inside
                           * the output's slack. */
                          *out = (guint8) (i << 2);
                          memcpy (out + 1, next_emit, 16);
                          out += i + 2;
                          ip += i;
                          goto emit_match;
                        }
                      data >>= 8;
                    }
                  data = load64 (ip + 4 * j + 4);
                }
              ip += 16;
              skip += 16;
            }
          /* Then stride further the longer no match is found (every
           * second byte after 32 misses, and so on): random data costs
           * little. */
          for (;;)
            {
              guint32 h = hash32 ((guint32) data, shift);
              guint32 step = skip >> 5;
              skip += step;
              const guint8 *next_ip = ip + step;
              if (G_UNLIKELY (next_ip > ip_limit))
                goto remainder;
              candidate = in + table[h];
              table[h] = (guint16) (ip - in);
              if (G_UNLIKELY ((guint32) data == load32 (candidate)))
                break;
              data = load32 (next_ip);
              ip = next_ip;
            }

          {
            gsize lit = (gsize) (ip - next_emit);
            if (lit <= 16)
              {
                *out++ = (guint8) ((lit - 1) << 2);
                memcpy (out, next_emit, 16);
                out += lit;
              }
            else
              out = emit_literal (out, next_emit, lit);
          }

emit_match:
          /* Emit copies for as long as the position right after a copy
           * starts another match: runs cost no literal bytes at all. */
          do
            {
              gsize matched = 4 + match_length (candidate + 4, ip + 4, end);
              out = emit_copy (out, (gsize) (ip - candidate), matched);
              ip += matched;
              next_emit = ip;
              if (G_UNLIKELY (ip >= ip_limit))
                goto remainder;
              guint64 d = load64 (ip - 1);
              table[hash32 ((guint32) d, shift)] = (guint16) (ip - 1 - in);
              guint32 h = hash32 ((guint32) (d >> 8), shift);
              candidate = in + table[h];
              table[h] = (guint16) (ip - in);
            }
          while (load32 (ip) == load32 (candidate));
          /* No match at ip: the next round probes from ip + 1. */
        }
    }

remainder:
  if (next_emit < end)
    out = emit_literal (out, next_emit, (gsize) (end - next_emit));
  return out;
}

gsize
dmpi_snappy_compress (const guint8 *in, gsize len, guint8 *out)
{
  guint16 table[1 << MAX_HASH_BITS];
  guint8 *op = put_varint32 (out, (guint32) len);

  g_return_val_if_fail (len <= G_MAXUINT32, 0);

  for (gsize pos = 0; pos < len; pos += FRAGMENT_SIZE)
    op = compress_fragment (in + pos, MIN (FRAGMENT_SIZE, len - pos), op, table);
  return (gsize) (op - out);
}

gboolean
dmpi_snappy_uncompressed_length (const guint8 *in, gsize len, gsize *out_len)
{
  guint64 v = 0;

  for (gsize i = 0; i < len && i < 5; i++)
    {
      v |= (guint64) (in[i] & 0x7f) << (7 * i);
      if (!(in[i] & 0x80))
        {
          if (v > G_MAXUINT32)
            return FALSE;
          *out_len = (gsize) v;
          return TRUE;
        }
    }
  return FALSE;
}

static gboolean
corrupt (GError **error, const char *what, gsize at)
{
  g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_CORRUPT,
               "corrupt snappy block: %s at input byte %" G_GSIZE_FORMAT, what, at);
  return FALSE;
}

gboolean
dmpi_snappy_decompress (const guint8 *in, gsize len, guint8 *out, gsize out_len,
                        GError **error)
{
  gsize ulen, ip = 0, op = 0;

  if (!dmpi_snappy_uncompressed_length (in, len, &ulen))
    return corrupt (error, "bad length header", 0);
  if (ulen != out_len)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_CORRUPT,
                   "snappy block holds %" G_GSIZE_FORMAT " bytes, expected %" G_GSIZE_FORMAT,
                   ulen, out_len);
      return FALSE;
    }
  while (in[ip] & 0x80)
    ip++;
  ip++;

  while (ip < len)
    {
      gsize at = ip;
      guint8 tag = in[ip++];
      gsize n, offset;

      if ((tag & 3) == 0)
        {
          n = tag >> 2;
          if (n >= 60)
            {
              gsize nb = n - 59;
              if (len - ip < nb)
                return corrupt (error, "truncated literal length", at);
              n = 0;
              for (gsize i = 0; i < nb; i++)
                n |= (gsize) in[ip + i] << (8 * i);
              ip += nb;
            }
          n += 1;
          if (len - ip < n)
            return corrupt (error, "literal runs past the input", at);
          if (out_len - op < n)
            return corrupt (error, "literal runs past the output", at);
          memcpy (out + op, in + ip, n);
          ip += n;
          op += n;
          continue;
        }

      switch (tag & 3)
        {
        case 1:
          if (len - ip < 1)
            return corrupt (error, "truncated copy", at);
          n = ((tag >> 2) & 7) + 4;
          offset = ((gsize) (tag >> 5) << 8) | in[ip];
          ip += 1;
          break;
        case 2:
          if (len - ip < 2)
            return corrupt (error, "truncated copy", at);
          n = (gsize) (tag >> 2) + 1;
          offset = in[ip] | ((gsize) in[ip + 1] << 8);
          ip += 2;
          break;
        default:
          if (len - ip < 4)
            return corrupt (error, "truncated copy", at);
          n = (gsize) (tag >> 2) + 1;
          offset = in[ip] | ((gsize) in[ip + 1] << 8) | ((gsize) in[ip + 2] << 16)
                   | ((gsize) in[ip + 3] << 24);
          ip += 4;
          break;
        }
      if (offset == 0 || offset > op)
        return corrupt (error, "copy offset outside the output", at);
      if (out_len - op < n)
        return corrupt (error, "copy runs past the output", at);
      if (offset >= n)
        memcpy (out + op, out + op - offset, n);
      else
        for (gsize i = 0; i < n; i++)   /* overlapping: a repeated pattern */
          out[op + i] = out[op - offset + i];
      op += n;
    }

  if (op != out_len)
    return corrupt (error, "block ends early", ip);
  return TRUE;
}
