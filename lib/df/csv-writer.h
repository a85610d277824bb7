/* CSV writer for DmpiTable: a header line of the column names, then one line
 * per row, comma separated, "\n" line ends. Fields that hold a comma, a
 * quote, a line break or surrounding blanks are quoted ("" for a quote).
 * Missing values are empty; a present empty string is written as "".
 * Timestamps are YYYY-MM-DD HH:MM:SS (with a fraction only when there is
 * one); durations as pandas writes them (0 days 00:12:34); floats in the shortest form that reads back to the same value, NaN
 * as empty. The file appears under its name only when complete (see
 * DmpiOutFile in parquet.h). */
#pragma once

#include <glib.h>

#include "df/table.h"

G_BEGIN_DECLS

gboolean dmpi_csv_write_file (const DmpiTable *table, const char *path, GError **error);

G_END_DECLS
