/* libFuzzer harness: a table's byte form (what ranks send each other as a
 * partition). Whatever dmpi_table_deserialize accepts must be safe to read
 * in full and serialise back to the same bytes. */
#include "config.h"

#include "df/table.h"

#include <stdint.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  (void) argc; (void) argv;
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(DmpiTable) table = dmpi_table_deserialize (bytes, &error);
  g_autoptr(GBytes) again = NULL;

  if (table == NULL)
    return 0;
  for (guint c = 0; c < dmpi_table_n_columns (table); c++)
    {
      DmpiColumn *column = dmpi_table_column (table, c);
      (void) dmpi_column_count_missing (column);
      for (gsize r = 0; r < table->n_rows; r++)
        g_free (dmpi_table_format_value (table, c, r));
    }
  (void) dmpi_table_nbytes (table);
  again = dmpi_table_serialize (table);
  (void) again;
  return 0;
}
