/* The Parquet reader's parts: the footer as parsed (parquet-reader.c) and
 * the decoding of one column chunk into a column (parquet-chunk.c). */
#pragma once

#include <glib.h>

#include "df/parquet-reader.h"
#include "df/table.h"

G_BEGIN_DECLS

/* How a column's physical values become the table's. */
typedef enum {
  DMPI_PQ_CONV_COPY,        /* as stored: INT32, INT64, FLOAT, DOUBLE, nanoseconds */
  DMPI_PQ_CONV_BOOL,        /* BOOLEAN -> bool */
  DMPI_PQ_CONV_STRING,      /* BYTE_ARRAY -> string */
  DMPI_PQ_CONV_U32_TO_I64,  /* INT(32, unsigned) */
  DMPI_PQ_CONV_I32_SCALE,   /* INT32 * factor -> int64 (DATE, TIME(MILLIS)) */
  DMPI_PQ_CONV_I64_SCALE,   /* INT64 * factor (milli- and microseconds) */
  DMPI_PQ_CONV_U64,         /* INT(64, unsigned): checked against INT64_MAX */
  DMPI_PQ_CONV_INT96,       /* legacy timestamps */
  DMPI_PQ_CONV_DEC_I32,     /* DECIMAL -> float64 */
  DMPI_PQ_CONV_DEC_I64,
  DMPI_PQ_CONV_DEC_BYTES,   /* big-endian two's complement, BYTE_ARRAY or FIXED_LEN */
  DMPI_PQ_CONV_FLOAT16,     /* FIXED_LEN_BYTE_ARRAY(2) FLOAT16 -> float32 */
} DmpiPqConv;

typedef struct {
  char        *name;
  DmpiColType  type;
  char        *problem;     /* why it cannot be read; NULL: it can */
  guint        leaf;        /* its column chunk's index in a row group */
  gint64       physical;
  gint64       type_length; /* FIXED_LEN_BYTE_ARRAY */
  gboolean     optional;
  DmpiPqConv   conv;
  gint64       factor;      /* the _SCALE conversions */
  gint64       scale;       /* DECIMAL */
} DmpiPqColumn;

typedef struct {
  gboolean has_meta;
  gboolean external;        /* in another file (file_path) */
  gint64   type, codec, num_values, total_compressed;
  gint64   data_page_offset;
  gint64   dict_page_offset;   /* -1: none */
} DmpiPqChunk;

typedef struct {
  gint64       n_rows;
  DmpiPqChunk *chunks;      /* one a leaf */
} DmpiPqRowGroup;

/* Decodes column chunks; keeps its buffers from one chunk to the next. */
typedef struct _DmpiPqChunkReader DmpiPqChunkReader;

DmpiPqChunkReader *dmpi_pq_chunk_reader_new  (gsize max_bytes);
void               dmpi_pq_chunk_reader_free (DmpiPqChunkReader *cr);

/* Appends the first @rows rows of a column chunk (its @len bytes in @data,
 * found at @offset in the file) of a row group of @rg_rows rows to @out.
 * @table_bytes counts the bytes the table holds, against the bound. Errors
 * say what is wrong in the chunk, the caller names the file and column. */
gboolean dmpi_pq_read_chunk (DmpiPqChunkReader *cr, const DmpiPqColumn *col,
                             const DmpiPqChunk *chunk, const guint8 *data, gsize len,
                             guint64 offset, gint64 rg_rows, gsize rows, DmpiColumn *out,
                             gsize *table_bytes, GError **error);

/* Room for @rows rows in @out, all at once (the table's growth is counted
 * in @table_bytes). */
gboolean dmpi_pq_reserve (DmpiPqChunkReader *cr, DmpiColumn *out, gsize rows, gsize *table_bytes,
                          GError **error);

/* Drops the validity bytes of a column that has no missing value. */
void dmpi_pq_column_finish (DmpiColumn *out, gsize *table_bytes);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmpiPqChunkReader, dmpi_pq_chunk_reader_free)

G_END_DECLS
