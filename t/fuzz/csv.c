/* libFuzzer harness: the CSV reader.
 *
 * Input: two bytes choosing a byte range, then the file's contents. The file
 * (a fixed temporary, rewritten per input) is read through every entry
 * point: the header, the head, a block at the chosen range, and all of its
 * blocks at a small block size, with a fixed set of requested columns of
 * every type. Every table of requested columns must survive serialising and
 * deserialising with its row and column counts intact. */
#include "config.h"

#include "df/csv.h"
#include "df/table.h"

#include <glib/gstdio.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char *path;

static const DmpiCsvColumn columns[] = {
  { "a", NULL, NULL, DMPI_COL_INT32 },
  { "b", "B", "bee", DMPI_COL_INT64 },
  { "c", NULL, NULL, DMPI_COL_FLOAT32 },
  { "d", NULL, NULL, DMPI_COL_FLOAT64 },
  { "e", NULL, NULL, DMPI_COL_TIMESTAMP },
  { "f", NULL, NULL, DMPI_COL_STRING },
  { "g", NULL, NULL, DMPI_COL_DURATION },
};

static void
remove_file (void)
{
  if (path != NULL)
    g_unlink (path);
}

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_autoptr(GError) error = NULL;
  int fd = g_file_open_tmp ("dmpi-fuzz-csv-XXXXXX.csv", &path, &error);

  (void) argc; (void) argv;
  g_assert_no_error (error);
  close (fd);
  atexit (remove_file);
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  return 0;
}

/* The table must round-trip through its byte form. */
static void
check_table (DmpiTable *table)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(DmpiTable) back = NULL;
  g_autoptr(GError) error = NULL;

  if (table == NULL)
    return;
  for (guint c = 0; c < dmpi_table_n_columns (table); c++)
    for (gsize r = 0; r < table->n_rows && r < 4; r++)
      g_free (dmpi_table_format_value (table, c, r));
  bytes = dmpi_table_serialize (table);
  back = dmpi_table_deserialize (bytes, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->n_rows, ==, table->n_rows);
  g_assert_cmpuint (dmpi_table_n_columns (back), ==, dmpi_table_n_columns (table));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GArray) blocks = NULL;
  g_auto(GStrv) header = NULL;
  guint64 offset, length;

  if (size < 2)
    return 0;
  /* Not g_file_set_contents: its fsync costs more than the reading. */
  {
    FILE *f = fopen (path, "wb");
    if (f == NULL || fwrite (data + 2, 1, size - 2, f) != size - 2 || fclose (f) != 0)
      g_error ("cannot write %s", path);
  }
  offset = data[0] % (size - 1);
  length = data[1];

  header = dmpi_csv_read_header (path, NULL);
  {
    /* The head keeps the header's names as they are (it is only printed),
     * so it need not be serialisable: read it, do not round-trip it. */
    g_autoptr(DmpiTable) head = dmpi_csv_read_head (path, 5, NULL);
    for (guint c = 0; head != NULL && c < dmpi_table_n_columns (head); c++)
      for (gsize r = 0; r < head->n_rows; r++)
        g_free (dmpi_table_format_value (head, c, r));
  }
  {
    g_autoptr(DmpiTable) block = dmpi_csv_read (path, offset, length, columns, G_N_ELEMENTS (columns), NULL);
    check_table (block);
  }
  blocks = dmpi_csv_list_blocks (path, 1 + data[1] % 64, NULL);
  if (blocks != NULL)
    /* A few blocks only: each read allocates its 8 MB chunk buffer. */
    for (guint i = 0; i < blocks->len && i < 4; i++)
      {
        const DmpiCsvBlock *b = &g_array_index (blocks, DmpiCsvBlock, i);
        g_autoptr(DmpiTable) t = dmpi_csv_read (path, b->offset, b->length, columns, 3 + data[0] % 5, NULL);
        check_table (t);
      }
  return 0;
}
