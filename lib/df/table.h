/* Partitions of typed columns with missing values: the data-frame layer's
 * in-memory form. Knows nothing of MPI, the scheduler or the worker. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  DMPI_COL_INT32,
  DMPI_COL_INT64,
  DMPI_COL_FLOAT32,
  DMPI_COL_FLOAT64,
  DMPI_COL_TIMESTAMP,   /* gint64 nanoseconds since 1970-01-01 00:00:00, no time zone */
  DMPI_COL_STRING,      /* offsets[n_rows + 1] into chars (not NUL-terminated) */
} DmpiColType;

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

const char *dmpi_col_type_name (DmpiColType type);
gsize       dmpi_col_type_size (DmpiColType type);   /* bytes per value; 0 for strings */

DmpiColumn *dmpi_column_new    (const char *name, DmpiColType type, gsize capacity);
void        dmpi_column_free   (DmpiColumn *column);
void        dmpi_column_reserve (DmpiColumn *column, gsize capacity);
gboolean    dmpi_column_is_valid (const DmpiColumn *column, gsize row);

DmpiTable  *dmpi_table_new       (void);
void        dmpi_table_free      (DmpiTable *table);
void        dmpi_table_add_column (DmpiTable *table, DmpiColumn *column);  /* takes it */
DmpiColumn *dmpi_table_get_column (DmpiTable *table, const char *name);    /* NULL if none */
gint        dmpi_table_column_index (DmpiTable *table, const char *name); /* -1 if none */
gsize       dmpi_table_nbytes    (const DmpiTable *table);

/* A flat byte form, for moving a partition between ranks and storing it as a
 * task's result (a GVariant "ay"). Deserialising validates everything. */
GBytes     *dmpi_table_serialize   (const DmpiTable *table);
DmpiTable  *dmpi_table_deserialize (GBytes *bytes, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmpiColumn, dmpi_column_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmpiTable, dmpi_table_free)

G_END_DECLS
