/* libFuzzer harness: a Parquet file from memory (dmpi_parquet_file_open_bytes).
 * Whatever the bytes, opening and reading give a table or a GError naming
 * the file, within the memory bound set here; a table read is walked in
 * full. */
#include "config.h"

#include "df/parquet-reader.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  (void) argc; (void) argv;
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  return 0;
}

static void
walk (const DmpiTable *t)
{
  for (guint c = 0; c < dmpi_table_n_columns (t); c++)
    {
      const DmpiColumn *col = dmpi_table_column (t, c);
      g_assert (col->n_rows == t->n_rows);
      (void) dmpi_column_count_missing (col);
      if (col->type == DMPI_COL_STRING)
        g_assert (col->offsets[col->n_rows] == col->chars_len);
      for (gsize r = 0; r < t->n_rows && r < 64; r++)
        g_free (dmpi_table_format_value (t, c, r));
    }
}

static void
check_error (GError *error)
{
  g_assert (error != NULL && error->domain == DMPI_DF_ERROR);
  g_assert (strstr (error->message, "fuzz.parquet") != NULL);
  g_error_free (error);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GBytes) bytes = g_bytes_new (data, size);
  GError *error = NULL;
  g_autoptr (DmpiParquetFile) f = dmpi_parquet_file_open_bytes ("fuzz.parquet", bytes, &error);

  if (f == NULL)
    {
      check_error (error);
      return 0;
    }
  dmpi_parquet_file_set_max_bytes (f, 64 << 20);
  guint groups = dmpi_parquet_file_get_n_row_groups (f);
  for (guint c = 0; c < dmpi_parquet_file_get_n_columns (f); c++)
    {
      gboolean ok;
      (void) dmpi_parquet_file_get_column_type (f, c, &ok);
      (void) dmpi_parquet_file_get_column_name (f, c);
    }

  /* All of it, then the head of the last row groups. */
  g_autoptr (DmpiTable) all = dmpi_parquet_file_read (f, NULL, 0, groups, 0, &error);
  if (all != NULL)
    walk (all);
  else
    check_error (error);
  error = NULL;
  if (groups > 0)
    {
      g_autoptr (DmpiTable) head = dmpi_parquet_file_read (f, NULL, groups / 2, groups - groups / 2,
                                                           7, &error);
      if (head != NULL)
        walk (head);
      else
        check_error (error);
    }
  return 0;
}
