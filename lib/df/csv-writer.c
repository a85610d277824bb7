/* CSV writer: see csv-writer.h. Rows are formatted into a line buffer that
 * goes to the file in large writes. */
#include "config.h"

#include "df/csv-writer.h"
#include "df/parquet.h"
#include "df/table-text.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define FLUSH_AT (1u << 20)

static void
put_string (GString *out, const char *s, gsize len)
{
  gboolean quote = len == 0 || s[0] == ' ' || s[len - 1] == ' '
                   || s[0] == '\t' || s[len - 1] == '\t';
  for (gsize i = 0; !quote && i < len; i++)
    quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
  if (!quote)
    {
      g_string_append_len (out, s, (gssize) len);
      return;
    }
  g_string_append_c (out, '"');
  for (gsize i = 0; i < len; i++)
    {
      if (s[i] == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, s[i]);
    }
  g_string_append_c (out, '"');
}

static void
put_value (GString *out, const DmpiColumn *col, gsize r)
{
  if (col->valid != NULL && !col->valid[r])
    return;
  if (col->type == DMPI_COL_STRING)
    put_string (out, col->chars + col->offsets[r], col->offsets[r + 1] - col->offsets[r]);
  else
    dmpi_column_append_text (col, r, out);
}

gboolean
dmpi_csv_write_file (const DmpiTable *table, const char *path, GError **error)
{
  guint n_cols = table->columns->len;

  for (guint c = 0; c < n_cols; c++)
    {
      const DmpiColumn *col = g_ptr_array_index (table->columns, c);
      if (col->n_rows != table->n_rows)
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID,
                       "%s: column %s has %" G_GSIZE_FORMAT " rows, the table %" G_GSIZE_FORMAT,
                       path, col->name, col->n_rows, table->n_rows);
          return FALSE;
        }
    }

  g_autoptr (DmpiOutFile) out = dmpi_out_file_open (path, error);
  if (out == NULL)
    return FALSE;
  g_autoptr (GString) line = g_string_sized_new (FLUSH_AT + 4096);

  for (guint c = 0; c < n_cols; c++)
    {
      const DmpiColumn *col = g_ptr_array_index (table->columns, c);
      if (c > 0)
        g_string_append_c (line, ',');
      put_string (line, col->name, strlen (col->name));
    }
  g_string_append_c (line, '\n');

  for (gsize r = 0; r < table->n_rows; r++)
    {
      for (guint c = 0; c < n_cols; c++)
        {
          if (c > 0)
            g_string_append_c (line, ',');
          put_value (line, g_ptr_array_index (table->columns, c), r);
        }
      g_string_append_c (line, '\n');
      if (line->len >= FLUSH_AT)
        {
          if (!dmpi_out_file_write (out, line->str, line->len, error))
            return FALSE;
          g_string_truncate (line, 0);
        }
    }
  if (!dmpi_out_file_write (out, line->str, line->len, error))
    return FALSE;
  return dmpi_out_file_commit (g_steal_pointer (&out), error);
}
