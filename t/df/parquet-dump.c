/* Prints what the Parquet reader reads, for comparison with other readers
 * (parquet-duckdb.sh) and by hand.
 *
 * Usage: parquet-dump [OPTION...] FILE
 *   --columns A,B      only these columns (default: the supported ones)
 *   --row-groups F:N   row groups F to F+N-1 (default: all)
 *   --max-rows N       stop after N rows
 *   --schema           the columns only
 *   --bench SECONDS    read the whole file repeatedly for about that long
 *                      and print the speed
 *
 * Output: a JSON object line {"rows":N,"row_groups":N,"columns":[{"name",
 * "type","supported","problem"}]}, then one JSON array per row: int32,
 * float32, float64 as numbers (%.9g, %.17g; NaN and infinities as
 * strings), int64, timestamp (ns) and duration (ns) as strings of digits,
 * bool as true/false, strings as JSON strings, missing values as null.
 * An error goes to stderr ("error: MESSAGE", and "code: N") with exit
 * status 2. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "df/parquet-reader.h"

static void
put_json_string (GString *out, const char *s, gsize len)
{
  g_string_append_c (out, '"');
  for (gsize i = 0; i < len; i++)
    {
      guchar c = (guchar) s[i];
      if (c == '"' || c == '\\')
        g_string_append_printf (out, "\\%c", c);
      else if (c < 0x20)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_c (out, (char) c);
    }
  g_string_append_c (out, '"');
}

static void
put_float (GString *out, double v, int digits)
{
  if (isnan (v))
    g_string_append (out, "\"NaN\"");
  else if (isinf (v))
    g_string_append (out, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  else
    g_string_append_printf (out, "%.*g", digits, v);
}

static void
put_value (GString *out, const DmpiColumn *c, gsize r)
{
  if (!dmpi_column_is_valid (c, r))
    {
      g_string_append (out, "null");
      return;
    }
  switch (c->type)
    {
    case DMPI_COL_INT32:   g_string_append_printf (out, "%d", DMPI_COLUMN_INT32 (c)[r]); break;
    case DMPI_COL_INT64:
    case DMPI_COL_TIMESTAMP:
    case DMPI_COL_DURATION:
      g_string_append_printf (out, "\"%" G_GINT64_FORMAT "\"", DMPI_COLUMN_INT64 (c)[r]);
      break;
    case DMPI_COL_FLOAT32: put_float (out, DMPI_COLUMN_FLOAT32 (c)[r], 9); break;
    case DMPI_COL_FLOAT64: put_float (out, DMPI_COLUMN_FLOAT64 (c)[r], 17); break;
    case DMPI_COL_BOOL:    g_string_append (out, DMPI_COLUMN_BOOL (c)[r] ? "true" : "false"); break;
    case DMPI_COL_STRING:
      {
        gsize len;
        const char *s = dmpi_column_get_string (c, r, &len);
        put_json_string (out, s, len);
        break;
      }
    default:
      g_string_append (out, "\"?\"");
    }
}

static int
fail (GError *error)
{
  fprintf (stderr, "error: %s\ncode: %d\n", error->message, error->code);
  g_error_free (error);
  return 2;
}

int
main (int argc, char **argv)
{
  g_autofree char *columns = NULL, *groups = NULL;
  gint64 max_rows = 0;
  double bench = 0;
  gboolean schema_only = FALSE;
  GOptionEntry entries[] = {
    { "columns", 0, 0, G_OPTION_ARG_STRING, &columns, "columns to read", "A,B" },
    { "row-groups", 0, 0, G_OPTION_ARG_STRING, &groups, "row groups", "FIRST:N" },
    { "max-rows", 0, 0, G_OPTION_ARG_INT64, &max_rows, "stop after N rows", "N" },
    { "schema", 0, 0, G_OPTION_ARG_NONE, &schema_only, "the columns only", NULL },
    { "bench", 0, 0, G_OPTION_ARG_DOUBLE, &bench, "time reads of the whole file", "SECONDS" },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("FILE");
  GError *error = NULL;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || argc != 2)
    {
      fprintf (stderr, "usage: parquet-dump [--columns A,B] [--row-groups F:N] [--max-rows N] "
               "[--schema] [--bench SECONDS] FILE\n");
      g_clear_error (&error);
      return 1;
    }

  g_autoptr (DmpiParquetFile) f = dmpi_parquet_file_open (argv[1], &error);
  if (f == NULL)
    return fail (error);

  guint first = 0, n = dmpi_parquet_file_get_n_row_groups (f);
  if (groups != NULL && sscanf (groups, "%u:%u", &first, &n) != 2)
    {
      fprintf (stderr, "parquet-dump: --row-groups wants FIRST:N\n");
      return 1;
    }
  g_auto (GStrv) names = columns != NULL ? g_strsplit (columns, ",", -1) : NULL;

  if (bench > 0)
    {
      gint64 t0 = g_get_monotonic_time (), t1;
      guint reads = 0;
      gsize nbytes = 0, rows = 0;
      do
        {
          g_autoptr (DmpiTable) t = dmpi_parquet_file_read (f, (const char *const *) names, first,
                                                            n, (gsize) max_rows, &error);
          if (t == NULL)
            return fail (error);
          nbytes = dmpi_table_nbytes (t);
          rows = t->n_rows;
          reads++;
          t1 = g_get_monotonic_time ();
        }
      while (t1 - t0 < bench * 1e6);
      GStatBuf st;
      double s = (double) (t1 - t0) / 1e6 / reads;
      g_stat (argv[1], &st);
      printf ("read %" G_GSIZE_FORMAT " rows, %.1f MB in memory, from %.1f MB of Parquet: "
              "%.1f ms a read, %.0f MB/s of table, %.0f MB/s of file (%u reads)\n",
              rows, nbytes / 1e6, st.st_size / 1e6, s * 1e3, nbytes / 1e6 / s,
              st.st_size / 1e6 / s, reads);
      return 0;
    }

  g_autoptr (GString) out = g_string_new (NULL);
  g_string_append_printf (out, "{\"rows\":%" G_GUINT64_FORMAT ",\"row_groups\":%u,\"columns\":[",
                          dmpi_parquet_file_get_n_rows (f), dmpi_parquet_file_get_n_row_groups (f));
  for (guint c = 0; c < dmpi_parquet_file_get_n_columns (f); c++)
    {
      gboolean ok;
      const char *name = dmpi_parquet_file_get_column_name (f, c);
      DmpiColType type = dmpi_parquet_file_get_column_type (f, c, &ok);
      const char *problem = dmpi_parquet_file_get_column_problem (f, c);
      g_string_append (out, c ? ",{\"name\":" : "{\"name\":");
      put_json_string (out, name, strlen (name));
      g_string_append_printf (out, ",\"type\":\"%s\",\"supported\":%s", dmpi_col_type_name (type),
                              ok ? "true" : "false");
      if (problem != NULL)
        {
          g_string_append (out, ",\"problem\":");
          put_json_string (out, problem, strlen (problem));
        }
      g_string_append_c (out, '}');
    }
  g_string_append (out, "]}\n");
  fputs (out->str, stdout);
  if (schema_only)
    return 0;

  g_autoptr (DmpiTable) t = dmpi_parquet_file_read (f, (const char *const *) names, first, n,
                                                    (gsize) max_rows, &error);
  if (t == NULL)
    return fail (error);
  for (gsize r = 0; r < t->n_rows; r++)
    {
      g_string_truncate (out, 0);
      g_string_append_c (out, '[');
      for (guint c = 0; c < dmpi_table_n_columns (t); c++)
        {
          if (c > 0)
            g_string_append_c (out, ',');
          put_value (out, dmpi_table_column (t, c), r);
        }
      g_string_append (out, "]\n");
      fputs (out->str, stdout);
    }
  return 0;
}
