/* Snappy raw block format (what Parquet's SNAPPY codec stores in a page):
 * a varint of the uncompressed length, then literal and copy elements. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The most bytes dmpi_snappy_compress() can write for @len input bytes. */
gsize    dmpi_snappy_max_compressed_length (gsize len);

/* Compresses @len bytes of @in into @out, which has room for
 * dmpi_snappy_max_compressed_length (len) bytes; returns the bytes written.
 * @len must fit in 32 bits (the format's limit). */
gsize    dmpi_snappy_compress (const guint8 *in, gsize len, guint8 *out);

/* The uncompressed length stated in the block's header, or FALSE when the
 * header is malformed. */
gboolean dmpi_snappy_uncompressed_length (const guint8 *in, gsize len,
                                          gsize *out_len);

/* Decompresses a whole block into @out (@out_len bytes, exactly the length
 * of the header). Checks every element against both buffers; a bad block
 * is DMPI_DF_ERROR_CORRUPT. */
gboolean dmpi_snappy_decompress (const guint8 *in, gsize len,
                                 guint8 *out, gsize out_len,
                                 GError **error);

G_END_DECLS
