/* Parquet's value and level encodings, decoded from byte buffers with every
 * read checked against the buffer's end: the RLE/bit-packed hybrid (levels,
 * dictionary indices, v2 booleans), DELTA_BINARY_PACKED (integers, and the
 * lengths inside DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY) and
 * BYTE_STREAM_SPLIT. Failures return FALSE with a static sentence in *why. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Unpacks @n values of @width bits (0..32; 0..64 for the 64-bit form),
 * least significant bit first, from @in. @in_len must hold them all:
 * (n * width + 7) / 8 bytes. */
void dmpi_pq_unpack32 (const guint8 *in, gsize in_len, guint width, guint32 *out, gsize n);
void dmpi_pq_unpack64 (const guint8 *in, gsize in_len, guint width, guint64 *out, gsize n);
/* @n bits from bit @bit of @in on, as bytes 0 or 1. */
void dmpi_pq_unpack_bits (const guint8 *in, gsize bit, gsize n, guint8 *out);

/* The RLE/bit-packed hybrid of values @width bits wide. */
typedef struct {
  const guint8 *p, *end;
  guint         width;
  gsize         run_left;      /* values left in the current run */
  gboolean      packed;        /* the current run is bit-packed */
  guint32       value;         /* of an RLE run */
  const guint8 *packed_data;   /* of a bit-packed run, from its next value on */
  gsize         packed_bytes;  /* of those, present in the buffer */
  gsize         packed_pos;    /* values of the run already taken */
} DmpiRleDecoder;

gboolean dmpi_rle_init    (DmpiRleDecoder *d, const guint8 *data, gsize len, guint width,
                           const char **why);
/* The next @n values. */
gboolean dmpi_rle_get_u32 (DmpiRleDecoder *d, guint32 *out, gsize n, const char **why);
/* The next @n values as bytes (width at most 8). */
gboolean dmpi_rle_get_u8  (DmpiRleDecoder *d, guint8 *out, gsize n, const char **why);

/* DELTA_BINARY_PACKED. Values come as 64-bit integers; INT32 columns keep
 * the low 32 bits (the format's arithmetic wraps). */
typedef struct {
  const guint8 *p, *end;
  guint64       block_values, miniblocks, mini_values;
  guint64       total, taken;
  guint64       last;
  guint64       min_delta;
  const guint8 *widths;        /* of the current block's miniblocks */
  guint64       mini;          /* current miniblock, miniblocks: none yet */
  guint64       mini_left;     /* values left in it */
  const guint8 *mini_data;
  gsize         mini_bytes;    /* present in the buffer */
  guint64       mini_pos;
  const guint8 *data_end;      /* where the values read so far end */
} DmpiDeltaDecoder;

gboolean dmpi_delta_init (DmpiDeltaDecoder *d, const guint8 *data, gsize len, const char **why);
/* The total number of values, from the header. */
guint64  dmpi_delta_count (const DmpiDeltaDecoder *d);
gboolean dmpi_delta_get  (DmpiDeltaDecoder *d, guint64 *out, gsize n, const char **why);
/* After every value was taken: the first byte after the encoded values. */
const guint8 *dmpi_delta_end (const DmpiDeltaDecoder *d);

/* BYTE_STREAM_SPLIT: values [@first, @first + @k) of the @n values of
 * @width bytes in @in (n * width bytes) into @out. */
void dmpi_pq_byte_stream_split (const guint8 *in, gsize n, gsize width, gsize first, gsize k,
                                guint8 *out);

G_END_DECLS
