/* A value as text, as pandas prints it (to_csv, the head of a frame): the
 * fewest digits that read back to the same float ("nan", "inf"), ISO
 * timestamps with the fraction pandas shows, "0 days 00:00:02.500" for
 * durations, True/False. Shared by the CSV writer and the table printer. */
#pragma once

#include "dmpi-table.h"

G_BEGIN_DECLS

/* Appends the value at @row (present: check validity first) to @out; a
 * string as it is, unquoted. */
void dmpi_column_append_text (const DmpiColumn *column, gsize row, GString *out);

G_END_DECLS
