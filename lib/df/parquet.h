/* Parquet writer for DmpiTable: one file, row groups of a bounded number of
 * rows, one column chunk per column, PLAIN-encoded v1 data pages, SNAPPY or
 * no compression, column statistics.
 *
 * Type mapping (physical type, logical/converted type):
 *   DMPI_COL_INT32     INT32
 *   DMPI_COL_INT64     INT64
 *   DMPI_COL_DURATION  INT64 nanoseconds, plain: Parquet has no duration type
 *                      (pyarrow marks its durations with its own ARROW:schema
 *                      metadata, which this writer does not write, so pandas
 *                      reads the job's `diff` column as int64 nanoseconds).
 *                      The key-value metadata entry "dask-mpi.types" names
 *                      them, a line "duration NAME" each (NAME %-escaped as
 *                      by g_uri_escape_string), so that this project's
 *                      reader (parquet-reader.h) reads them back as
 *                      durations; other readers ignore it
 *   DMPI_COL_FLOAT32   FLOAT
 *   DMPI_COL_FLOAT64   DOUBLE
 *   DMPI_COL_TIMESTAMP INT64, TIMESTAMP(isAdjustedToUTC=false, MICROS) and the
 *                      converted type TIMESTAMP_MICROS (the default), or
 *                      TIMESTAMP(false, NANOS) on request. MICROS is what
 *                      pyarrow itself writes for naive timestamps when asked
 *                      for compatibility, and what every reader knows:
 *                      pandas/pyarrow, DuckDB, and Spark 3 (which rejects
 *                      NANOS unless told to read it as a long). Nanoseconds
 *                      are floored to microseconds.
 *   DMPI_COL_STRING    BYTE_ARRAY, STRING and the converted type UTF8
 * A column with a validity array (valid != NULL) is OPTIONAL with definition
 * levels; one without is REQUIRED.
 *
 * The file appears under its final name only when it is complete: it is
 * written to a hidden temporary name in the same folder, flushed to disk,
 * and renamed. On failure nothing is left under either name.
 *
 * Errors are in the DMPI_DF_ERROR domain: DMPI_DF_ERROR_IO (the message names
 * the file and gives the system's reason), DMPI_DF_ERROR_INVALID (the table's
 * columns do not agree). */
#pragma once

#include <glib.h>

#include "df/table.h"

G_BEGIN_DECLS

typedef enum {
  DMPI_PARQUET_CODEC_SNAPPY,
  DMPI_PARQUET_CODEC_UNCOMPRESSED,
} DmpiParquetCodec;

typedef enum {
  DMPI_PARQUET_TIMESTAMP_MICROS,
  DMPI_PARQUET_TIMESTAMP_NANOS,
} DmpiParquetTimestampUnit;

typedef struct {
  DmpiParquetCodec         codec;
  DmpiParquetTimestampUnit timestamp_unit;
  gsize                    row_group_rows;  /* rows per row group; 0: 1 Mi rows */
  gsize                    page_bytes;      /* target uncompressed page size; 0: 1 MiB */
} DmpiParquetOptions;

/* Snappy, microseconds, default sizes. */
void     dmpi_parquet_options_init (DmpiParquetOptions *opts);

/* Writes @table to @path. @opts may be NULL for the defaults. */
gboolean dmpi_parquet_write_file (const DmpiTable          *table,
                                  const char               *path,
                                  const DmpiParquetOptions *opts,
                                  GError                  **error);

/* An output file that appears under its name only when committed; the
 * Parquet and CSV writers share it. Writes are buffered. It is written as
 * .NAME.XXXXXX beside NAME (created with O_EXCL, mode 0666 through the
 * umask), which goes if the process dies of SIGTERM, SIGINT, SIGHUP or
 * SIGPIPE (tempfiles.h). */
typedef struct _DmpiOutFile DmpiOutFile;

DmpiOutFile *dmpi_out_file_open   (const char *path, GError **error);
gboolean     dmpi_out_file_write  (DmpiOutFile *f, const void *data, gsize len,
                                   GError **error);
guint64      dmpi_out_file_offset (const DmpiOutFile *f);
/* Flushes, fsyncs, closes and renames to the final name; frees @f, also on
 * failure (after removing the temporary). */
gboolean     dmpi_out_file_commit (DmpiOutFile *f, GError **error);
/* Removes the temporary and frees @f. */
void         dmpi_out_file_abort  (DmpiOutFile *f);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmpiOutFile, dmpi_out_file_abort)

G_END_DECLS
