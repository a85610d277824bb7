/* The reference job's transformation (reference/nyctaxi-job.md): 2015
 * yellow-taxi CSV in, the 26-column feature table out. */
#pragma once

#include <glib.h>

#include "df/csv.h"
#include "df/table.h"

G_BEGIN_DECLS

#define DMPI_NYCTAXI_N_INPUT_COLUMNS  14
#define DMPI_NYCTAXI_N_OUTPUT_COLUMNS 26

/* The 14 columns the job reads, already renamed and typed, in output order
 * (the rate-code column is found under either spelling). */
const DmpiCsvColumn *dmpi_nyctaxi_input_columns (void);

/* The 26 output column names, in order, NULL-terminated. */
const char *const *dmpi_nyctaxi_output_columns (void);

/* Filters, fills and adds the features, in place: table holds the 14 input
 * columns (as dmpi_csv_read gives them for dmpi_nyctaxi_input_columns()) and
 * ends up with the 26 output columns. Timestamps that are empty stay missing
 * (and diff with them); the int32 features of a missing pickup time are -1.
 * diff is a DMPI_COL_DURATION column. */
gboolean    dmpi_nyctaxi_transform (DmpiTable *table, GError **error);

/* Reads one block of a CSV file (see dmpi_csv_read) and transforms it.
 * rows_in, if not NULL, gets the number of rows read before filtering. */
DmpiTable  *dmpi_nyctaxi_read_block (const char *path, guint64 offset, guint64 length,
                                     gsize *rows_in, GError **error);

G_END_DECLS
