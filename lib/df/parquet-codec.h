/* Decompression of Parquet pages: UNCOMPRESSED, SNAPPY (snappy.c), GZIP
 * (zlib) and ZSTD (libzstd). LZO, BROTLI, LZ4 and LZ4_RAW are named in
 * errors but not read. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* parquet.thrift's CompressionCodec */
typedef enum {
  DMPI_PQ_CODEC_UNCOMPRESSED = 0,
  DMPI_PQ_CODEC_SNAPPY       = 1,
  DMPI_PQ_CODEC_GZIP         = 2,
  DMPI_PQ_CODEC_LZO          = 3,
  DMPI_PQ_CODEC_BROTLI       = 4,
  DMPI_PQ_CODEC_LZ4          = 5,
  DMPI_PQ_CODEC_ZSTD         = 6,
  DMPI_PQ_CODEC_LZ4_RAW      = 7,
} DmpiPqCodec;

/* "SNAPPY" and so on; "codec 42" (in @buf, 16 bytes) for an unknown one. */
const char *dmpi_pq_codec_name (gint64 codec, char buf[16]);
gboolean    dmpi_pq_codec_supported (gint64 codec);

/* Decompression state kept across the pages of a read (zstd's context). */
typedef struct _DmpiPqDecompressor DmpiPqDecompressor;

DmpiPqDecompressor *dmpi_pq_decompressor_new  (void);
void                dmpi_pq_decompressor_free (DmpiPqDecompressor *dec);

/* Checks that @out_len bytes can come out of @in (a header's stated size,
 * the codec's largest ratio), so that no buffer is sized from a corrupt
 * page header alone. */
gboolean dmpi_pq_check_sizes (gint64 codec, const guint8 *in, gsize in_len, gsize out_len,
                              GError **error);
/* Decompresses @in into exactly @out_len bytes of @out; anything else is
 * DMPI_DF_ERROR_CORRUPT. */
gboolean dmpi_pq_decompress (DmpiPqDecompressor *dec, gint64 codec, const guint8 *in,
                             gsize in_len, guint8 *out, gsize out_len, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmpiPqDecompressor, dmpi_pq_decompressor_free)

G_END_DECLS
