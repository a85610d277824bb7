/* Partitions of typed columns with missing values: the data-frame layer's
 * in-memory form. Knows nothing of MPI, the scheduler or the worker. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Errors of the data-frame layer (its own domain: the layer links no other
 * part of libdaskmpi). Messages name the file, line or column involved. */
#define DMPI_DF_ERROR (dmpi_df_error_quark ())
GQuark dmpi_df_error_quark (void);

typedef enum {
  DMPI_DF_ERROR_FAILED,          /* anything else */
  DMPI_DF_ERROR_IO,              /* a file cannot be opened or read */
  DMPI_DF_ERROR_PARSE,           /* a malformed CSV line or value */
  DMPI_DF_ERROR_MISSING_COLUMN,  /* a requested column is not in the header */
  DMPI_DF_ERROR_CORRUPT,         /* truncated or corrupt compressed input */
  DMPI_DF_ERROR_INVALID,         /* serialized bytes that are not a valid table */
} DmpiDfError;

typedef enum {
  DMPI_COL_INT32,
  DMPI_COL_INT64,
  DMPI_COL_FLOAT32,
  DMPI_COL_FLOAT64,
  DMPI_COL_TIMESTAMP,   /* gint64 nanoseconds since 1970-01-01 00:00:00, no time zone */
  DMPI_COL_STRING,      /* offsets[n_rows + 1] into chars (not NUL-terminated) */
  DMPI_COL_DURATION,    /* gint64 nanoseconds (a time difference, pandas timedelta64[ns]) */
  DMPI_COL_BOOL,        /* guint8, 0 or 1 (numpy bool) */
} DmpiColType;

#define DMPI_COL_N_TYPES (DMPI_COL_BOOL + 1)

typedef struct {
  char        *name;
  DmpiColType  type;
  gsize        n_rows;
  gsize        capacity;  /* rows allocated */
  gpointer     data;      /* n_rows values of the type (unused for strings) */
  guint8      *valid;     /* NULL: no missing value; else one byte per row, 1 = present */
  guint32     *offsets;   /* strings only */
  char        *chars;     /* strings only */
  gsize        chars_len, chars_capacity;
} DmpiColumn;

typedef struct {
  GPtrArray *columns;     /* of DmpiColumn*, owned */
  gsize      n_rows;
} DmpiTable;

/* Typed views of a column's values. */
#define DMPI_COLUMN_INT32(c)   ((gint32 *) (c)->data)
#define DMPI_COLUMN_INT64(c)   ((gint64 *) (c)->data)
#define DMPI_COLUMN_FLOAT32(c) ((gfloat *) (c)->data)
#define DMPI_COLUMN_FLOAT64(c) ((gdouble *) (c)->data)
#define DMPI_COLUMN_BOOL(c)    ((guint8 *) (c)->data)

const char *dmpi_col_type_name (DmpiColType type);
gsize       dmpi_col_type_size (DmpiColType type);   /* bytes per value; 0 for strings */

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
/* A string value (not NUL-terminated); *len gets its length. */
const char *dmpi_column_get_string     (const DmpiColumn *column, gsize row, gsize *len);
/* Keeps only the rows whose keep[row] is non-zero, in order, in place. */
void        dmpi_column_filter         (DmpiColumn *column, const guint8 *keep);

DmpiTable  *dmpi_table_new       (void);
void        dmpi_table_free      (DmpiTable *table);
void        dmpi_table_add_column (DmpiTable *table, DmpiColumn *column);  /* takes it */
DmpiColumn *dmpi_table_get_column (DmpiTable *table, const char *name);    /* NULL if none */
gint        dmpi_table_column_index (DmpiTable *table, const char *name); /* -1 if none */
gsize       dmpi_table_nbytes    (const DmpiTable *table);
guint       dmpi_table_n_columns (const DmpiTable *table);
DmpiColumn *dmpi_table_column    (const DmpiTable *table, guint index);
/* Keeps only the rows whose keep[row] is non-zero in every column. */
void        dmpi_table_filter    (DmpiTable *table, const guint8 *keep);
/* One value as text, for printing the head of a table ("" when missing). */
char       *dmpi_table_format_value (const DmpiTable *table, guint column, gsize row);

/* A flat byte form, for moving a partition between ranks and storing it as a
 * task's result (a GVariant "ay"). Deserialising validates everything. */
GBytes     *dmpi_table_serialize   (const DmpiTable *table);
DmpiTable  *dmpi_table_deserialize (GBytes *bytes, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmpiColumn, dmpi_column_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmpiTable, dmpi_table_free)

G_END_DECLS
