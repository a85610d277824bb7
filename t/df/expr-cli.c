/* Evaluates an expression over columns read from standard input, for tests
 * that compare it with another implementation (t/df/expr-numpy.sh).
 *
 *   expr-cli NAME:TYPE[,NAME:TYPE...] EXPRESSION < values
 *
 * Input: one row per line, values separated by commas, an empty value
 * missing; numbers as C reads them (hexadecimal floats are exact), bools
 * 0/1, timestamps and durations as integer nanoseconds. Output: one line per
 * row, floats in hexadecimal (%a), integers in decimal, bools 0/1, strings
 * as they are, NA when missing. */
#include "config.h"

#include "df/expr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static gboolean
type_of (const char *name, DmpiColType *type)
{
  for (guint t = 0; t < DMPI_COL_N_TYPES; t++)
    if (strcmp (dmpi_col_type_name (t), name) == 0)
      {
        *type = t;
        return TRUE;
      }
  return FALSE;
}

static void
append (DmpiColumn *c, const char *v)
{
  if (*v == '\0')
    {
      dmpi_column_append_missing (c);
      return;
    }
  switch (c->type)
    {
    case DMPI_COL_INT32: dmpi_column_append_int32 (c, (gint32) g_ascii_strtoll (v, NULL, 10)); break;
    case DMPI_COL_FLOAT32: dmpi_column_append_float32 (c, (gfloat) g_ascii_strtod (v, NULL)); break;
    case DMPI_COL_FLOAT64: dmpi_column_append_float64 (c, g_ascii_strtod (v, NULL)); break;
    case DMPI_COL_BOOL: dmpi_column_append_bool (c, strcmp (v, "0") != 0); break;
    case DMPI_COL_STRING: dmpi_column_append_string (c, v, -1); break;
    case DMPI_COL_INT64:
    case DMPI_COL_TIMESTAMP:
    case DMPI_COL_DURATION:
    default: dmpi_column_append_int64 (c, g_ascii_strtoll (v, NULL, 10)); break;
    }
}

static void
print_value (const DmpiColumn *c, gsize row)
{
  gsize len;
  const char *s;
  if (!dmpi_column_is_valid (c, row))
    {
      puts ("NA");
      return;
    }
  switch (c->type)
    {
    case DMPI_COL_INT32: printf ("%d\n", DMPI_COLUMN_INT32 (c)[row]); break;
    case DMPI_COL_FLOAT32: printf ("%a\n", (double) DMPI_COLUMN_FLOAT32 (c)[row]); break;
    case DMPI_COL_FLOAT64: printf ("%a\n", DMPI_COLUMN_FLOAT64 (c)[row]); break;
    case DMPI_COL_BOOL: printf ("%d\n", DMPI_COLUMN_BOOL (c)[row]); break;
    case DMPI_COL_STRING:
      s = dmpi_column_get_string (c, row, &len);
      printf ("%.*s\n", (int) len, s);
      break;
    case DMPI_COL_INT64:
    case DMPI_COL_TIMESTAMP:
    case DMPI_COL_DURATION:
    default: printf ("%" G_GINT64_FORMAT "\n", DMPI_COLUMN_INT64 (c)[row]); break;
    }
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DmpiTable) table = dmpi_table_new ();
  g_auto(GStrv) specs = NULL;
  g_autoptr(GPtrArray) cols = g_ptr_array_new ();
  char *line = NULL;
  size_t cap = 0;

  if (argc != 3)
    {
      fprintf (stderr, "usage: %s NAME:TYPE[,NAME:TYPE...] EXPRESSION < values\n", argv[0]);
      return 2;
    }
  specs = g_strsplit (argv[1], ",", -1);
  for (guint i = 0; specs[i] != NULL; i++)
    {
      const char *colon = strchr (specs[i], ':');
      DmpiColType type;
      if (colon == NULL || !type_of (colon + 1, &type))
        {
          fprintf (stderr, "%s: '%s' is not NAME:TYPE\n", argv[0], specs[i]);
          return 2;
        }
      g_autofree char *name = g_strndup (specs[i], (gsize) (colon - specs[i]));
      g_ptr_array_add (cols, dmpi_column_new (name, type, 1024));
    }
  while (getline (&line, &cap, stdin) > 0)
    {
      g_strchomp (line);
      g_auto(GStrv) values = g_strsplit (line, ",", -1);
      for (guint i = 0; i < cols->len; i++)
        append (cols->pdata[i], values[0] != NULL && i < g_strv_length (values) ? values[i] : "");
    }
  free (line);
  for (guint i = 0; i < cols->len; i++)
    dmpi_table_add_column (table, cols->pdata[i]);

  g_autoptr(DmpiExpr) e = dmpi_expr_parse (argv[2], &error);
  g_autoptr(DmpiColumn) out = e != NULL ? dmpi_expr_eval (e, table, "out", &error) : NULL;
  if (out == NULL)
    {
      fprintf (stderr, "%s: %s\n", argv[0], error->message);
      return 1;
    }
  for (gsize r = 0; r < out->n_rows; r++)
    print_value (out, r);
  return 0;
}
