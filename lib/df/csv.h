/* Reading CSV into a DmpiTable: byte-range blocks of plain files (split the
 * way Dask's read_csv(blocksize=...) splits them) and whole compressed or
 * zipped files through libarchive. Columns are picked by header name. */
#pragma once

#include <glib.h>

#include "df/table.h"

G_BEGIN_DECLS

#define DMPI_CSV_DEFAULT_BLOCKSIZE (G_GUINT64_CONSTANT (64) * 1024 * 1024)

/* One column a caller wants: found by its header name (or an alternative
 * spelling), parsed as type, named out_name in the table (NULL: the name
 * found in the header). */
typedef struct {
  const char  *name;
  const char  *alt_name;
  const char  *out_name;
  DmpiColType  type;
} DmpiCsvColumn;

/* A row filter: a row is kept only when the requested column `column`
 * (an index into the columns asked for) holds a value strictly between lo
 * and hi; a missing value rejects the row. For int32, int64, float32 and
 * float64 columns (the value compared as a double, exact for these bounds
 * when they are representable in the column's type). */
typedef struct {
  guint   column;
  gdouble lo, hi;
} DmpiCsvRange;

/* A nominal byte range of a plain file. A block holds the lines that start
 * after the first newline at or after offset (offset 0 included: block 0
 * skips the header) and runs to the end of the line that crosses
 * offset + length. So each line belongs to the block holding its preceding
 * newline, and every row lands in exactly one block for any block size.
 *
 * Quoted fields that contain newlines are parsed correctly inside a block,
 * but, as in Dask, splitting does not know about them: a block boundary that
 * falls inside such a field gives wrong rows or a parse error. Files with
 * quoted newlines must be read whole (one block, or compressed). */
typedef struct {
  guint64 offset;
  guint64 length;
} DmpiCsvBlock;

/* Whether the file is read through libarchive (by its name: .gz .bz2 .xz
 * .zst .lz4 .zip ...); such a file is one block, read whole. */
gboolean    dmpi_csv_path_is_compressed (const char *path);

/* The blocks of a file, an array of DmpiCsvBlock; one block for a compressed
 * file or an empty one. blocksize 0 means the default (64 MB). */
GArray     *dmpi_csv_list_blocks (const char *path, guint64 blocksize, GError **error);

/* The header's column names (BOM, quotes and CR removed). */
char      **dmpi_csv_read_header (const char *path, GError **error);

/* Reads one block of a plain file, or (offset 0, any length) a whole
 * compressed file. The table has the requested columns in the requested
 * order; an empty field is a missing value. Errors name the file and the
 * line (or the column). */
DmpiTable  *dmpi_csv_read (const char *path, guint64 offset, guint64 length,
                           const DmpiCsvColumn *columns, guint n_columns,
                           GError **error);

/* dmpi_csv_read keeping only the rows that pass every range of keep
 * (evaluated while parsing: no filtered copy is made). rows_in, if not
 * NULL, gets the number of rows read before filtering. */
DmpiTable  *dmpi_csv_read_filtered (const char *path, guint64 offset, guint64 length,
                                    const DmpiCsvColumn *columns, guint n_columns,
                                    const DmpiCsvRange *keep, guint n_keep,
                                    gsize *rows_in, GError **error);

/* The first max_rows rows of a file, every column as a string: for showing
 * the input to a user. */
DmpiTable  *dmpi_csv_read_head (const char *path, gsize max_rows, GError **error);

G_END_DECLS
