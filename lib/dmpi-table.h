/* Tables of typed columns with missing values: one partition of a frame, as
 * the data-frame layer and user modules (map_partitions functions) see it.
 * Include <daskmpi.h>. The data-frame layer knows nothing of MPI, the
 * scheduler or the worker. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * DMPI_DF_ERROR:
 *
 * Error domain of the data-frame layer (readers, writers, expressions,
 * group-bys). Messages name the file, line, column or expression involved.
 */
#define DMPI_DF_ERROR (dmpi_df_error_quark ())
GQuark dmpi_df_error_quark (void);

/**
 * DmpiDfError:
 * @DMPI_DF_ERROR_FAILED: anything else
 * @DMPI_DF_ERROR_IO: a file cannot be opened, read or written
 * @DMPI_DF_ERROR_PARSE: a malformed CSV line or value, or an expression's syntax
 * @DMPI_DF_ERROR_MISSING_COLUMN: a column that the input does not have
 * @DMPI_DF_ERROR_CORRUPT: truncated or corrupt input (compressed, Parquet)
 * @DMPI_DF_ERROR_INVALID: bytes that are not a valid table, or a type error
 */
typedef enum {
  DMPI_DF_ERROR_FAILED,
  DMPI_DF_ERROR_IO,
  DMPI_DF_ERROR_PARSE,
  DMPI_DF_ERROR_MISSING_COLUMN,
  DMPI_DF_ERROR_CORRUPT,
  DMPI_DF_ERROR_INVALID,
} DmpiDfError;

/**
 * DmpiColType:
 * @DMPI_COL_INT32: #gint32 values
 * @DMPI_COL_INT64: #gint64 values
 * @DMPI_COL_FLOAT32: #gfloat values
 * @DMPI_COL_FLOAT64: #gdouble values
 * @DMPI_COL_TIMESTAMP: #gint64 nanoseconds since 1970-01-01 00:00:00, no time zone
 * @DMPI_COL_STRING: UTF-8 strings: offsets[n_rows + 1] into chars (not NUL-terminated)
 * @DMPI_COL_DURATION: #gint64 nanoseconds (a time difference, pandas' timedelta64[ns])
 * @DMPI_COL_BOOL: #guint8 values, 0 or 1 (numpy bool)
 *
 * The type of a column. The numbers are stable (they are part of the byte
 * form of tables).
 */
typedef enum {
  DMPI_COL_INT32,
  DMPI_COL_INT64,
  DMPI_COL_FLOAT32,
  DMPI_COL_FLOAT64,
  DMPI_COL_TIMESTAMP,
  DMPI_COL_STRING,
  DMPI_COL_DURATION,
  DMPI_COL_BOOL,
} DmpiColType;

#define DMPI_COL_N_TYPES (DMPI_COL_BOOL + 1)

/**
 * DmpiColumn:
 * @name: the column's name
 * @type: its type
 * @n_rows: how many values it holds
 * @capacity: rows allocated
 * @data: @n_rows values of the type (unused for strings); see DMPI_COLUMN_INT32() and the like
 * @valid: %NULL when no value is missing; else one byte per row, 1 = present, 0 = missing
 * @offsets: strings only: @n_rows + 1 offsets into @chars
 * @chars: strings only: the characters of every value, back to back
 * @chars_len: strings only: bytes used in @chars
 * @chars_capacity: strings only: bytes allocated for @chars
 *
 * One typed column. Its fields may be read directly, and written by the
 * function that owns the column; the append functions keep them consistent.
 * A missing value has a zero (or empty string) stored under it.
 */
typedef struct _DmpiColumn DmpiColumn;
struct _DmpiColumn {
  char        *name;
  DmpiColType  type;
  gsize        n_rows;
  gsize        capacity;
  gpointer     data;
  guint8      *valid;
  guint32     *offsets;
  char        *chars;
  gsize        chars_len, chars_capacity;
};

/**
 * DmpiTable:
 * @columns: (element-type DmpiColumn): the columns, owned by the table
 * @n_rows: rows of every column
 *
 * A table: columns of @n_rows rows each, in order, with distinct names.
 */
typedef struct _DmpiTable DmpiTable;
struct _DmpiTable {
  GPtrArray *columns;
  gsize      n_rows;
};

/* Typed views of a column's values. */
#define DMPI_COLUMN_INT32(c)   ((gint32 *) (c)->data)
#define DMPI_COLUMN_INT64(c)   ((gint64 *) (c)->data)
#define DMPI_COLUMN_FLOAT32(c) ((gfloat *) (c)->data)
#define DMPI_COLUMN_FLOAT64(c) ((gdouble *) (c)->data)
#define DMPI_COLUMN_BOOL(c)    ((guint8 *) (c)->data)

/* The type's name as the API spells it ("int32", "float64", "timestamp", ...),
 * and back (-1 for an unknown name). */
const char *dmpi_col_type_name (DmpiColType type);
gint        dmpi_col_type_from_name (const char *name);
/* Bytes per value; 0 for strings. */
gsize       dmpi_col_type_size (DmpiColType type);

/* A new empty column (transfer full) with room for @capacity rows. */
DmpiColumn *dmpi_column_new    (const char *name, DmpiColType type, gsize capacity);
void        dmpi_column_free   (DmpiColumn *column);
void        dmpi_column_reserve (DmpiColumn *column, gsize capacity);
gboolean    dmpi_column_is_valid (const DmpiColumn *column, gsize row);

/* Appending. A missing value stores a zero and marks the row invalid; the
 * valid array is created on the first missing value. */
void        dmpi_column_append_int32   (DmpiColumn *column, gint32 value);
void        dmpi_column_append_int64   (DmpiColumn *column, gint64 value);  /* also TIMESTAMP, DURATION */
void        dmpi_column_append_float32 (DmpiColumn *column, gfloat value);
void        dmpi_column_append_float64 (DmpiColumn *column, gdouble value);
void        dmpi_column_append_bool    (DmpiColumn *column, gboolean value);
void        dmpi_column_append_string  (DmpiColumn *column, const char *s, gssize len);
void        dmpi_column_append_missing (DmpiColumn *column);
/* Marks an existing row missing (creating the valid array if needed). */
void        dmpi_column_set_missing    (DmpiColumn *column, gsize row);
/* Number of missing values. */
gsize       dmpi_column_count_missing  (const DmpiColumn *column);
/* A string value, borrowed from the column and not NUL-terminated; *len
 * gets its length. */
const char *dmpi_column_get_string     (const DmpiColumn *column, gsize row, gsize *len);
/* Keeps only the rows whose keep[row] is non-zero, in order, in place. */
void        dmpi_column_filter         (DmpiColumn *column, const guint8 *keep);
/* A deep copy (transfer full), renamed when @name is not %NULL. */
DmpiColumn *dmpi_column_copy           (const DmpiColumn *column, const char *name);

DmpiTable  *dmpi_table_new       (void);
void        dmpi_table_free      (DmpiTable *table);
/* Adds @column (transfer full) as the last column; it must have the
 * table's number of rows (or be the first column, which sets it). */
void        dmpi_table_add_column (DmpiTable *table, DmpiColumn *column);
/* The column of that name (borrowed), %NULL if none. */
DmpiColumn *dmpi_table_get_column (DmpiTable *table, const char *name);
gint        dmpi_table_column_index (DmpiTable *table, const char *name); /* -1 if none */
/* Removes the column at @index and returns it (transfer full). */
DmpiColumn *dmpi_table_steal_column (DmpiTable *table, guint index);
gsize       dmpi_table_nbytes    (const DmpiTable *table);
guint       dmpi_table_n_columns (const DmpiTable *table);
gsize       dmpi_table_n_rows    (const DmpiTable *table);
/* The column at @index (borrowed). */
DmpiColumn *dmpi_table_column    (const DmpiTable *table, guint index);
/* Keeps only the rows whose keep[row] is non-zero in every column. */
void        dmpi_table_filter    (DmpiTable *table, const guint8 *keep);
/* One value as text, for printing the head of a table ("" when missing).
 * (transfer full) */
char       *dmpi_table_format_value (const DmpiTable *table, guint column, gsize row);
/* The whole table as aligned text: a header line, then one line a row,
 * at most @max_rows rows (0: all). (transfer full) */
char       *dmpi_table_to_string (const DmpiTable *table, gsize max_rows);

/* A flat byte form, for moving a partition between ranks and storing it as a
 * task's result (a GVariant "ay"). Deserialising validates everything. */
GBytes     *dmpi_table_serialize   (const DmpiTable *table);
DmpiTable  *dmpi_table_deserialize (GBytes *bytes, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmpiColumn, dmpi_column_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmpiTable, dmpi_table_free)

G_END_DECLS
