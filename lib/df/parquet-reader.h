/* Parquet reader into DmpiTable: the footer on open, then any columns of
 * any run of row groups, each column chunk read from disk on its own
 * (pread of its byte range).
 *
 * Only flat top-level columns (no repetition) are read. Type mapping
 * (physical type and logical or converted type -> column type):
 *   BOOLEAN                                  -> bool
 *   INT32, INT(8/16/32, signed), INT(8/16, unsigned) -> int32
 *   INT64, INT(64, signed), INT(32, unsigned) -> int64
 *   INT(64, unsigned)                        -> int64 (a value over INT64_MAX
 *                                               is an error)
 *   FLOAT, FIXED_LEN_BYTE_ARRAY(2) FLOAT16   -> float32
 *   DOUBLE                                   -> float64
 *   BYTE_ARRAY (plain, STRING/UTF8, ENUM, JSON, BSON) -> string
 *   DATE                                     -> timestamp (midnight)
 *   TIMESTAMP (MILLIS, MICROS, NANOS; UTC-adjusted or not), the converted
 *   TIMESTAMP_MILLIS/MICROS, INT96           -> timestamp, nanoseconds
 *   TIME (MILLIS, MICROS, NANOS)             -> duration, nanoseconds
 *   DECIMAL on INT32, INT64, BYTE_ARRAY or FIXED_LEN_BYTE_ARRAY (at most 16
 *   bytes)                                   -> float64
 *   INT64 named in the "dask-mpi.types" key-value metadata (parquet.h)
 *                                            -> duration
 * Anything else (nested columns, other FIXED_LEN_BYTE_ARRAYs such as UUID
 * and INTERVAL) is listed as not supported. A timestamp or date out of
 * the nanosecond range is an error naming the column.
 *
 * Encodings: PLAIN, PLAIN_DICTIONARY and RLE_DICTIONARY, RLE (levels, v2
 * booleans), BIT_PACKED (levels), DELTA_BINARY_PACKED,
 * DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY, BYTE_STREAM_SPLIT; data pages
 * v1 and v2. Codecs: UNCOMPRESSED, SNAPPY, GZIP, ZSTD.
 *
 * Every byte read is checked: a truncated or corrupt file is a
 * DMPI_DF_ERROR_CORRUPT (or _INVALID) error naming the file, the row group
 * and column where it applies, and what is wrong; a file that cannot be
 * read is DMPI_DF_ERROR_IO; an unsupported column or codec is
 * DMPI_DF_ERROR_FAILED. No buffer is sized from a stated length that the
 * bytes read cannot back, except the table itself (whose rows the row
 * groups state): dmpi_parquet_file_set_max_bytes() bounds it. */
#pragma once

#include <glib.h>

#include "df/table.h"

G_BEGIN_DECLS

typedef struct _DmpiParquetFile DmpiParquetFile;

/* Opens @path and reads its footer (schema, row groups). */
DmpiParquetFile *dmpi_parquet_file_open (const char *path, GError **error);
/* The same from a whole file in memory (referenced, not copied); @name
 * stands for the path in errors. */
DmpiParquetFile *dmpi_parquet_file_open_bytes (const char *name, GBytes *bytes, GError **error);
void             dmpi_parquet_file_free (DmpiParquetFile *file);

const char      *dmpi_parquet_file_get_path (const DmpiParquetFile *file);
guint64          dmpi_parquet_file_get_n_rows (const DmpiParquetFile *file);
guint            dmpi_parquet_file_get_n_row_groups (const DmpiParquetFile *file);
guint64          dmpi_parquet_file_get_row_group_n_rows (const DmpiParquetFile *file,
                                                         guint row_group);

/* The top-level columns as this layer types them (see the mapping above). A
 * column of a type this reader cannot convert is listed with *supported =
 * FALSE (@supported may be NULL) and reading it is an error naming it; the
 * other columns stay readable. */
guint            dmpi_parquet_file_get_n_columns (const DmpiParquetFile *file);
const char      *dmpi_parquet_file_get_column_name (const DmpiParquetFile *file, guint column);
DmpiColType      dmpi_parquet_file_get_column_type (const DmpiParquetFile *file, guint column,
                                                    gboolean *supported);
/* Why a column is not supported (e.g. "a nested column"); NULL if it is. */
const char      *dmpi_parquet_file_get_column_problem (const DmpiParquetFile *file,
                                                       guint column);

/* Bounds the bytes of the tables (values, validity, strings) and of each
 * page that reads make: more is DMPI_DF_ERROR_INVALID. 0 (the default): no
 * bound but the memory there is. */
void             dmpi_parquet_file_set_max_bytes (DmpiParquetFile *file, gsize max_bytes);

/* Reads @columns (names, NULL-terminated; NULL: all the supported ones) of
 * the row groups [first, first + n) into one table, columns in the order
 * asked. Reads only those column chunks from disk. max_rows > 0: stop after
 * that many rows (for head()). An unknown column is
 * DMPI_DF_ERROR_MISSING_COLUMN naming it and listing the file's columns; row
 * groups out of range are DMPI_DF_ERROR_INVALID. A column with no missing
 * value in what was read has valid == NULL. */
DmpiTable       *dmpi_parquet_file_read (DmpiParquetFile *file, const char *const *columns,
                                         guint first_row_group, guint n_row_groups,
                                         gsize max_rows, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmpiParquetFile, dmpi_parquet_file_free)

G_END_DECLS
