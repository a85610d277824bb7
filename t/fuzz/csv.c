/* libFuzzer harness: the CSV reader.
 *
 * Input: two bytes choosing a byte range, one byte choosing the format
 * (bits 0-1 the delimiter ',' TAB ';' ' '; bits 2-3 the quote '"' '\'' none
 * '"'; bit 4 no header; bit 5 extra na_values; bit 6 no default NA strings;
 * bit 7 a row filter and a row limit), then the file's contents. The file
 * (a fixed temporary, rewritten per input) is read through every entry
 * point: the header, the head, a block at the chosen range, all of its
 * blocks at a small block size, with a fixed set of requested columns of
 * every type (one a timestamp with a format), with none (a row count), and
 * with the types inferred from the whole file, which must then read
 * without a parse error. Every table of requested columns must survive
 * serialising and deserialising with its row and column counts intact. */
#include "config.h"

#include "df/csv.h"
#include "df/table.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *path;

static const DmpiCsvColumn named_columns[] = {
  { "a", NULL, NULL, DMPI_COL_INT32, NULL },
  { "b", "B", "bee", DMPI_COL_INT64, NULL },
  { "c", NULL, NULL, DMPI_COL_FLOAT32, NULL },
  { "d", NULL, NULL, DMPI_COL_FLOAT64, NULL },
  { "e", NULL, NULL, DMPI_COL_TIMESTAMP, NULL },
  { "f", NULL, NULL, DMPI_COL_STRING, NULL },
  { "g", NULL, NULL, DMPI_COL_DURATION, NULL },
  { "h", NULL, NULL, DMPI_COL_BOOL, NULL },
  { "i", NULL, NULL, DMPI_COL_TIMESTAMP, "%d/%b/%y %I:%M:%S.%f %p%z" },
};

/* The same without a header, found by position: "0", "1", ... */
static DmpiCsvColumn numbered_columns[G_N_ELEMENTS (named_columns)];
static char numbered_names[G_N_ELEMENTS (named_columns)][4];

static const DmpiCsvRange ranges[] = {
  { 0, -10, 1e6, TRUE, FALSE },
  { 2, -INFINITY, 0.5, FALSE, TRUE },
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
  for (guint i = 0; i < G_N_ELEMENTS (named_columns); i++)
    {
      numbered_columns[i] = named_columns[i];
      g_snprintf (numbered_names[i], sizeof numbered_names[i], "%u", i);
      numbered_columns[i].name = numbered_names[i];
      numbered_columns[i].alt_name = NULL;
    }
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

/* Types inferred from the whole file must read it whole. */
static void
check_inferred (const DmpiCsvFormat *format, guint64 size)
{
  g_auto(GStrv) names = NULL;
  g_autofree DmpiColType *types = NULL;
  g_autoptr(GError) error = NULL;

  if (!dmpi_csv_infer_types (path, format, size + 1, &names, &types, NULL))
    return;
  guint n = g_strv_length (names);
  g_autofree DmpiCsvColumn *cols = g_new0 (DmpiCsvColumn, n + 1);
  g_auto(GStrv) out_names = g_new0 (char *, n + 1);
  for (guint i = 0; i < n; i++)
    {
      /* a repeated name is found once: not readable by name */
      for (guint j = 0; j < i; j++)
        if (strcmp (names[i], names[j]) == 0)
          return;
      /* header names need not be valid column names (UTF-8, not empty) */
      out_names[i] = g_strdup_printf ("c%u", i);
      cols[i] = (DmpiCsvColumn) { names[i], NULL, out_names[i], types[i], NULL };
    }
  g_autoptr(DmpiTable) t = dmpi_csv_read_format (path, 0, G_MAXUINT64, format, cols, n, NULL, 0,
                                                 0, NULL, &error);
  if (t == NULL)
    g_error ("inferred types do not read the file: %s", error->message);
  check_table (t);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const char delimiters[] = { ',', '\t', ';', ' ' }, quotes[] = { '"', '\'', 0, '"' };
  static const char *const na_values[] = { "-1", "x", "", "True", NULL };
  g_autoptr(GArray) blocks = NULL;
  g_auto(GStrv) header = NULL;
  guint64 offset, length;
  DmpiCsvFormat format;

  if (size < 3)
    return 0;
  /* Not g_file_set_contents: its fsync costs more than the reading. */
  {
    FILE *f = fopen (path, "wb");
    if (f == NULL || fwrite (data + 3, 1, size - 3, f) != size - 3 || fclose (f) != 0)
      g_error ("cannot write %s", path);
  }
  offset = data[0] % (size - 2);
  length = data[1];
  dmpi_csv_format_init (&format);
  format.delimiter = delimiters[data[2] & 3];
  format.quote = quotes[(data[2] >> 2) & 3];
  format.header = !(data[2] & 16);
  format.na_values = data[2] & 32 ? na_values : NULL;
  format.keep_default_na = !(data[2] & 64);
  gboolean filter = (data[2] & 128) != 0;
  const DmpiCsvColumn *columns = format.header ? named_columns : numbered_columns;
  guint n_columns = G_N_ELEMENTS (named_columns);

  header = dmpi_csv_read_header_format (path, &format, NULL);
  {
    /* The head keeps the header's names as they are (it is only printed),
     * so it need not be serialisable: read it, do not round-trip it. */
    g_autoptr(DmpiTable) head = dmpi_csv_read_head (path, 5, NULL);
    for (guint c = 0; head != NULL && c < dmpi_table_n_columns (head); c++)
      for (gsize r = 0; r < head->n_rows; r++)
        g_free (dmpi_table_format_value (head, c, r));
  }
  {
    gsize rows_in = 0;
    g_autoptr(DmpiTable) block = dmpi_csv_read_format (path, offset, length, &format, columns,
                                                       n_columns, filter ? ranges : NULL,
                                                       filter ? G_N_ELEMENTS (ranges) : 0,
                                                       filter ? data[1] % 7 : 0, &rows_in, NULL);
    check_table (block);
    if (block != NULL)
      g_assert_cmpuint (block->n_rows, <=, rows_in);
  }
  {
    g_autoptr(DmpiTable) count = dmpi_csv_read_format (path, offset, length, &format, NULL, 0,
                                                       NULL, 0, 0, NULL, NULL);
    check_table (count);
  }
  blocks = dmpi_csv_list_blocks (path, 1 + data[1] % 64, NULL);
  if (blocks != NULL)
    /* A few blocks only: each read allocates its 8 MB chunk buffer. */
    for (guint i = 0; i < blocks->len && i < 4; i++)
      {
        const DmpiCsvBlock *b = &g_array_index (blocks, DmpiCsvBlock, i);
        g_autoptr(DmpiTable) t = dmpi_csv_read_format (path, b->offset, b->length, &format,
                                                       columns, 3 + data[0] % 7, NULL, 0, 0,
                                                       NULL, NULL);
        check_table (t);
      }
  check_inferred (&format, size - 3);
  return 0;
}
