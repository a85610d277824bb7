/* Parquet page decompression: see parquet-codec.h. Only APIs of zlib 1.2.11
 * and libzstd 1.4.4 (Ubuntu 20.04). */
#include "config.h"

#include "df/parquet-codec.h"
#include "df/snappy.h"
#include "df/table.h"

#include <string.h>

#include <zlib.h>
#include <zstd.h>

struct _DmpiPqDecompressor {
  ZSTD_DCtx *zstd;
};

static const char *const codec_names[] = {
  "UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD", "LZ4_RAW",
};

const char *
dmpi_pq_codec_name (gint64 codec, char buf[16])
{
  if (codec >= 0 && codec < (gint64) G_N_ELEMENTS (codec_names))
    return codec_names[codec];
  g_snprintf (buf, 16, "codec %" G_GINT64_FORMAT, CLAMP (codec, -9999999, 9999999));
  return buf;
}

gboolean
dmpi_pq_codec_supported (gint64 codec)
{
  return codec == DMPI_PQ_CODEC_UNCOMPRESSED || codec == DMPI_PQ_CODEC_SNAPPY
         || codec == DMPI_PQ_CODEC_GZIP || codec == DMPI_PQ_CODEC_ZSTD;
}

DmpiPqDecompressor *
dmpi_pq_decompressor_new (void)
{
  return g_new0 (DmpiPqDecompressor, 1);
}

void
dmpi_pq_decompressor_free (DmpiPqDecompressor *dec)
{
  if (dec == NULL)
    return;
  if (dec->zstd != NULL)
    ZSTD_freeDCtx (dec->zstd);
  g_free (dec);
}

static gboolean
size_error (GError **error, const char *codec, gsize in_len, gsize out_len)
{
  g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_CORRUPT,
               "%s page of %" G_GSIZE_FORMAT " bytes cannot hold the %" G_GSIZE_FORMAT
               " bytes its header states", codec, in_len, out_len);
  return FALSE;
}

gboolean
dmpi_pq_check_sizes (gint64 codec, const guint8 *in, gsize in_len, gsize out_len, GError **error)
{
  /* The largest expansion of each format: snappy's 3-byte copy of 64
   * bytes, deflate's 1032:1, a zstd RLE block (4 bytes for 128 KiB). */
  switch (codec)
    {
    case DMPI_PQ_CODEC_UNCOMPRESSED:
      if (in_len != out_len)
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_CORRUPT,
                       "an uncompressed page states %" G_GSIZE_FORMAT " bytes and stores %"
                       G_GSIZE_FORMAT, out_len, in_len);
          return FALSE;
        }
      return TRUE;
    case DMPI_PQ_CODEC_SNAPPY:
      {
        gsize stated;
        if (!dmpi_snappy_uncompressed_length (in, in_len, &stated) || stated != out_len)
          {
            g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_CORRUPT,
                         "a snappy page's own length does not match its header's %"
                         G_GSIZE_FORMAT " bytes", out_len);
            return FALSE;
          }
        return out_len / 22 <= in_len ? TRUE : size_error (error, "a snappy", in_len, out_len);
      }
    case DMPI_PQ_CODEC_GZIP:
      return out_len / 1032 <= in_len ? TRUE : size_error (error, "a gzip", in_len, out_len);
    case DMPI_PQ_CODEC_ZSTD:
      {
        unsigned long long stated = ZSTD_getFrameContentSize (in, in_len);
        if (stated == ZSTD_CONTENTSIZE_ERROR)
          {
            g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_CORRUPT,
                         "a zstd page does not start with a zstd frame");
            return FALSE;
          }
        /* The first frame's size, when stated, bounds the whole. */
        if (stated != ZSTD_CONTENTSIZE_UNKNOWN && stated > out_len)
          return size_error (error, "a zstd", in_len, out_len);
        return out_len / 32768 <= in_len ? TRUE : size_error (error, "a zstd", in_len, out_len);
      }
    default:
      {
        char buf[16];
        g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED,
                     "the compression codec %s is not supported (only UNCOMPRESSED, SNAPPY, GZIP "
                     "and ZSTD)", dmpi_pq_codec_name (codec, buf));
        return FALSE;
      }
    }
}

static gboolean
inflate_gzip (const guint8 *in, gsize in_len, guint8 *out, gsize out_len, GError **error)
{
  z_stream zs = { 0 };
  const char *why = NULL;

  if (in_len > G_MAXUINT32 || out_len > G_MAXUINT32)
    why = "a gzip page is too large";
  else if (inflateInit2 (&zs, 15 + 32) != Z_OK)   /* gzip or zlib header */
    why = "cannot start zlib";
  else
    {
      zs.next_in = (Bytef *) in;
      zs.avail_in = (uInt) in_len;
      zs.next_out = out;
      zs.avail_out = (uInt) out_len;
      for (;;)
        {
          int rc = inflate (&zs, Z_FINISH);
          if (rc == Z_STREAM_END)
            {
              /* Members may follow one another (as gzip allows). */
              if (zs.avail_in == 0)
                break;
              if (inflateReset (&zs) != Z_OK)
                {
                  why = "cannot restart zlib";
                  break;
                }
              continue;
            }
          if (rc == Z_BUF_ERROR && zs.avail_out == 0)
            why = "a gzip page holds more bytes than its header states";
          else
            why = zs.msg != NULL ? zs.msg : "a gzip page is corrupt or cut short";
          break;
        }
      /* (total_out restarts with each member) */
      if (why == NULL && zs.avail_out != 0)
        why = "a gzip page holds fewer bytes than its header states";
      inflateEnd (&zs);
    }
  if (why != NULL)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_CORRUPT, "%s", why);
      return FALSE;
    }
  return TRUE;
}

gboolean
dmpi_pq_decompress (DmpiPqDecompressor *dec, gint64 codec, const guint8 *in, gsize in_len,
                    guint8 *out, gsize out_len, GError **error)
{
  switch (codec)
    {
    case DMPI_PQ_CODEC_UNCOMPRESSED:
      if (in_len != out_len)
        return dmpi_pq_check_sizes (codec, in, in_len, out_len, error);
      if (out_len > 0)
        memcpy (out, in, out_len);
      return TRUE;
    case DMPI_PQ_CODEC_SNAPPY:
      {
        gsize stated;
        if (!dmpi_snappy_uncompressed_length (in, in_len, &stated) || stated != out_len)
          return dmpi_pq_check_sizes (codec, in, in_len, out_len, error);
        return dmpi_snappy_decompress (in, in_len, out, out_len, error);
      }
    case DMPI_PQ_CODEC_GZIP:
      return inflate_gzip (in, in_len, out, out_len, error);
    case DMPI_PQ_CODEC_ZSTD:
      {
        if (dec->zstd == NULL)
          dec->zstd = ZSTD_createDCtx ();
        if (dec->zstd == NULL)
          {
            g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED, "cannot start zstd");
            return FALSE;
          }
        size_t n = ZSTD_decompressDCtx (dec->zstd, out, out_len, in, in_len);
        if (ZSTD_isError (n))
          {
            g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_CORRUPT, "zstd: %s",
                         ZSTD_getErrorName (n));
            return FALSE;
          }
        if (n != out_len)
          {
            g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_CORRUPT,
                         "a zstd page holds %" G_GSIZE_FORMAT " bytes, its header states %"
                         G_GSIZE_FORMAT, (gsize) n, out_len);
            return FALSE;
          }
        return TRUE;
      }
    default:
      return dmpi_pq_check_sizes (codec, in, in_len, out_len, error);
    }
}
