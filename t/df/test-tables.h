/* Tables for the writers' tests, built by hand rather than through table.c,
 * so that a bug there cannot hide one in a writer. */
#pragma once

#include <glib.h>

#include "df/table.h"

G_BEGIN_DECLS

/* A column of n zeroed rows (an empty string each); nullable: with a valid
 * array, all rows missing until the caller marks them. */
DmpiColumn *test_column_new (const char *name, DmpiColType type, gsize n, gboolean nullable);

/* A table of n rows and no columns yet. */
DmpiTable  *test_table_new (gsize n);

/* A table of n rows with one column of every type, in DmpiColType order and
 * named i32 i64 f32 f64 ts str dur; cols[type] gets each column to fill. */
DmpiTable  *test_table_all_types (gsize n, gboolean nullable, DmpiColumn *cols[DMPI_COL_N_TYPES]);

/* A new temporary folder (the caller frees the name), and its removal with
 * the files in it. */
char       *test_dir_new (void);
void        test_dir_remove (const char *dir);

/* Frees a table made here (and any columns from test_column_new). */
void        test_table_free (DmpiTable *t);

typedef DmpiTable TestTable;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestTable, test_table_free)

G_END_DECLS
