/* Reading CSV into a DmpiTable: byte-range blocks of plain files (split the
 * way Dask's read_csv(blocksize=...) splits them) and whole compressed or
 * zipped files through libarchive. Columns are picked by header name. */
#pragma once

#include <glib.h>

#include "df/table.h"

G_BEGIN_DECLS

#define DMPI_CSV_DEFAULT_BLOCKSIZE (G_GUINT64_CONSTANT (64) * 1024 * 1024)

/* How a file is written: pandas read_csv's sep, quotechar, header,
 * na_values and keep_default_na. dmpi_csv_format_init gives the defaults. */
typedef struct {
  char               delimiter;        /* ','; any byte but the quote, NUL, CR and LF
                                        * ('\t', ';', '|' ...) */
  char               quote;            /* '"'; 0: no quoting (a quote is a plain byte) */
  gboolean           header;           /* TRUE: the first line names the columns; FALSE:
                                        * none (pandas header=None): the columns are named
                                        * "0", "1", ... after the first line's fields, and
                                        * that line is a row */
  const char *const *na_values;        /* more strings read as missing, NULL-terminated;
                                        * NULL: none. Borrowed for the call */
  gboolean           keep_default_na;  /* TRUE: also pandas' default NA strings ("NA",
                                        * "N/A", "NaN", "nan", "null", "NULL", "None",
                                        * "#N/A", "<NA>", "n/a", "-NaN", "-nan", "#NA",
                                        * "1.#IND", "-1.#IND", "1.#QNAN", "-1.#QNAN",
                                        * "#N/A N/A"); FALSE: only "" and na_values */
} DmpiCsvFormat;

/* Sets the defaults: ',', '"', a header, no na_values, keep_default_na. */
void        dmpi_csv_format_init (DmpiCsvFormat *format);

/* Missing values. An empty field is always missing. An NA string is
 * missing in a string column; in a column of another type it is missing
 * where it does not read as the type: "nan" or "NaN" in a float column is a
 * missing value, not a NaN, as pandas reads it, except with keep_default_na
 * FALSE (then strtod's NaN). An na_values string that looks like a value
 * ("-999", "0", "true") is checked before the value is parsed, so that it is
 * missing in any column (slower: such a format leaves the fast path). A
 * quoted field is the same as unquoted: "" and "NA" are missing too. */

/* One column a caller wants: found by its header name (or an alternative
 * spelling; "0", "1", ... without a header), parsed as type, named
 * out_name in the table (NULL: the name found in the header).
 *
 * Text of the types: int32, int64 (an optional sign, digits, and a
 * fraction of zeros: "2.0" is 2); float32, float64 (decimal or exponent
 * form, inf, nan; float32 is the float64 value rounded, as pandas'
 * astype(float32)); bool (True TRUE true False FALSE false); duration
 * (nanoseconds as an integer, or pandas' timedelta text: "0 days
 * 00:00:02.5", "-1 days +23:59:59", "00:01:00", "2 hours 3 min"); string
 * (any, quotes removed); timestamp, without a format: 'YYYY-MM-DD[ HH:MM:SS
 * [.fffffffff]]' with ' ' or 'T' (the fast path); with one, strptime-style
 * (see dmpi_time_format_new in df/timeparse.h: %Y %y %m %d %H %I %p %M %S %f
 * %b %B %j %z and literals; with %z the value is converted to UTC). Values
 * are stored as nanoseconds since 1970-01-01 without a time zone. */
typedef struct {
  const char  *name;
  const char  *alt_name;
  const char  *out_name;
  DmpiColType  type;
  const char  *format;    /* timestamps only: a strptime-style format, or NULL
                           * (added last: older initializers leave it NULL) */
} DmpiCsvColumn;

/* A row filter: a row is kept only when the requested column `column`
 * (an index into the columns asked for) holds a value between lo and hi:
 * strictly (lo < v < hi) unless lo_inclusive or hi_inclusive say that bound
 * is included. A missing value rejects the row (so does NaN). For int32,
 * int64, float32 and float64 columns: the column's value is widened to a
 * double and compared with the double bounds, so a float32 column compares
 * its float32 value: "0.1" read as float32 is 0.100000001490116..., which
 * passes lo = 0.1 strictly; give (double) 0.1f as the bound to mean the
 * float32 value. For a one-sided range use -INFINITY or
 * INFINITY as the other bound. The zeroed inclusive fields of older
 * initializers keep the strict meaning. */
typedef struct {
  guint    column;
  gdouble  lo, hi;
  gboolean lo_inclusive, hi_inclusive;
} DmpiCsvRange;

/* A nominal byte range of a plain file. A block holds the lines that start
 * after the first newline at or after offset, and runs to the end of the
 * line that crosses offset + length. Block 0 (offset 0) starts after the
 * header line, or at byte 0 when the format has no header: the same list
 * of blocks serves any format. So each line belongs to the block holding
 * its preceding newline, and every row lands in exactly one block for any
 * block size.
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
 * file or an empty one. blocksize 0 means the default (64 MB). The blocks
 * do not depend on the format (see DmpiCsvBlock). */
GArray     *dmpi_csv_list_blocks (const char *path, guint64 blocksize, GError **error);

/* The column names (BOM, quotes and CR removed): the header's, or "0",
 * "1", ... as many as the first line has fields when format->header is
 * FALSE. format NULL: the defaults. Free with g_strfreev. */
char      **dmpi_csv_read_header_format (const char *path, const DmpiCsvFormat *format,
                                         GError **error);
/* The same with the default format. */
char      **dmpi_csv_read_header (const char *path, GError **error);

/* Reads one block of a plain file, or (offset 0, any length) a whole
 * compressed file, written as format says (NULL: the defaults). The table
 * has the requested columns in the requested order (n_columns 0: no
 * column, only the count of rows, for len()). Only the rows that pass every
 * range of keep are kept, filtered while parsing (no filtered copy is
 * made). max_rows > 0 stops once that many rows are kept, reading (and
 * decompressing) little more than they need: for head(). rows_in, if not
 * NULL, gets the number of rows read before filtering.
 *
 * Errors name the place: a malformed line or value gives
 * "FILE:LINE:COLUMN: " (the line of the file, from 1, for a block anywhere
 * in it; the byte in that line, from 1), the column's name, and the
 * offending text (its first 40 bytes). A value that does not read as an
 * int64, float64 or bool column's type also says how to fix it when that
 * type came from dmpi_csv_infer_types: give the column's type explicitly
 * (the message names the type that holds the value), as Dask's
 * "Mismatched dtypes" error advises. */
DmpiTable  *dmpi_csv_read_format (const char *path, guint64 offset, guint64 length,
                                  const DmpiCsvFormat *format,
                                  const DmpiCsvColumn *columns, guint n_columns,
                                  const DmpiCsvRange *keep, guint n_keep, gsize max_rows,
                                  gsize *rows_in, GError **error);

/* dmpi_csv_read_format with the default format, no filter, no row limit. */
DmpiTable  *dmpi_csv_read (const char *path, guint64 offset, guint64 length,
                           const DmpiCsvColumn *columns, guint n_columns,
                           GError **error);

/* dmpi_csv_read_format with the default format and no row limit. */
DmpiTable  *dmpi_csv_read_filtered (const char *path, guint64 offset, guint64 length,
                                    const DmpiCsvColumn *columns, guint n_columns,
                                    const DmpiCsvRange *keep, guint n_keep,
                                    gsize *rows_in, GError **error);

/* The first max_rows rows of a file, every column as a string: for showing
 * the input to a user. */
DmpiTable  *dmpi_csv_read_head (const char *path, gsize max_rows, GError **error);

/* Column types as pandas and Dask's read_csv infer them, from the rows in
 * the first sample_bytes of the file (decompressed; 0: 256000, Dask's
 * default sample), whole lines only. Per column: only integers (no decimal
 * point) and missing values: int64; numbers with at least one float
 * (decimal point, exponent, inf): float64; only True/False spellings:
 * bool; only missing values: float64 (as pandas); anything else: string.
 * Timestamps are not inferred (pandas does not without parse_dates): they
 * are strings. *names gets the column names (as
 * dmpi_csv_read_header_format; free with g_strfreev), *types one type per
 * name (g_free).
 *
 * The sample is only a guess for the rest of the file: a block whose values
 * do not fit the inferred type (an int64 column that has "1.5" further on)
 * fails when it is read, with an error naming FILE:LINE:COLUMN, the column,
 * the value, the type, and the fix: give that column's type explicitly. */
gboolean    dmpi_csv_infer_types (const char *path, const DmpiCsvFormat *format,
                                  gsize sample_bytes, char ***names, DmpiColType **types,
                                  GError **error);

G_END_DECLS
