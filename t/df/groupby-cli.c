/* A group-by from the command line, for t/df/groupby-pandas.sh: reads a
 * CSV of known column types, splits it into partitions, runs partial on
 * each, combines the states pairwise in a tree (through their byte form, as
 * between ranks) and prints the final table as CSV.
 *
 *   groupby-cli FILE.csv COLUMNS KEYS AGGS PARTITIONS
 *
 * COLUMNS: name:type,... (int32 int64 float32 float64 timestamp string
 * duration bool); KEYS: name,... (may be empty); AGGS: specs as
 * dmpi_agg_spec_parse reads them, separated by ';'. (The CSV reader has no
 * bool columns: they are read as strings, True or False.) Floats are printed with
 * 17 digits, timestamps and durations as int64 nanoseconds, strings as they
 * are (the test's hold no comma, quote or line break), missing values as
 * empty fields. */
#include "config.h"

#include "df/csv.h"
#include "df/groupby.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static gboolean
parse_type (const char *text, DmpiColType *type)
{
  for (guint t = 0; t < DMPI_COL_N_TYPES; t++)
    if (strcmp (text, dmpi_col_type_name ((DmpiColType) t)) == 0)
      {
        *type = (DmpiColType) t;
        return TRUE;
      }
  return FALSE;
}

/* A string column of True and False as a bool column. */
static gboolean
to_bool (DmpiTable *t, guint index, GError **error)
{
  DmpiColumn *s = t->columns->pdata[index];
  DmpiColumn *b = dmpi_column_new (s->name, DMPI_COL_BOOL, MAX (s->n_rows, 1));
  for (gsize r = 0; r < s->n_rows; r++)
    {
      gsize len;
      const char *v = dmpi_column_get_string (s, r, &len);
      if (!dmpi_column_is_valid (s, r))
        dmpi_column_append_missing (b);
      else if (len == 4 && memcmp (v, "True", 4) == 0)
        dmpi_column_append_bool (b, TRUE);
      else if (len == 5 && memcmp (v, "False", 5) == 0)
        dmpi_column_append_bool (b, FALSE);
      else
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_PARSE,
                       "column '%s' row %" G_GSIZE_FORMAT ": '%.*s' is not True or False",
                       s->name, r, (int) len, v);
          dmpi_column_free (b);
          return FALSE;
        }
    }
  t->columns->pdata[index] = b;
  dmpi_column_free (s);
  return TRUE;
}

static void
print_value (GString *out, const DmpiColumn *c, gsize row)
{
  if (!dmpi_column_is_valid (c, row))
    return;
  switch (c->type)
    {
    case DMPI_COL_INT32:
      g_string_append_printf (out, "%d", DMPI_COLUMN_INT32 (c)[row]);
      break;
    case DMPI_COL_FLOAT32:
      g_string_append_printf (out, "%.9g", (gdouble) DMPI_COLUMN_FLOAT32 (c)[row]);
      break;
    case DMPI_COL_FLOAT64:
      g_string_append_printf (out, "%.17g", DMPI_COLUMN_FLOAT64 (c)[row]);
      break;
    case DMPI_COL_BOOL:
      g_string_append (out, DMPI_COLUMN_BOOL (c)[row] ? "True" : "False");
      break;
    case DMPI_COL_STRING:
      {
        gsize len;
        const char *s = dmpi_column_get_string (c, row, &len);
        g_string_append_len (out, s, (gssize) len);
        break;
      }
    default:
      g_string_append_printf (out, "%" G_GINT64_FORMAT, DMPI_COLUMN_INT64 (c)[row]);
      break;
    }
}

static DmpiTable *
through_bytes (DmpiTable *t, GError **error)
{
  g_autoptr(GBytes) b = dmpi_table_serialize (t);
  dmpi_table_free (t);
  return dmpi_table_deserialize (b, error);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;

  if (argc != 6)
    {
      fprintf (stderr, "usage: %s FILE.csv COLUMNS KEYS AGGS PARTITIONS\n", argv[0]);
      return 2;
    }
  g_auto(GStrv) col_texts = g_strsplit (argv[2], ",", -1);
  g_auto(GStrv) keys = *argv[3] != '\0' ? g_strsplit (argv[3], ",", -1) : g_new0 (char *, 1);
  g_auto(GStrv) agg_texts = g_strsplit (argv[4], ";", -1);
  guint n_parts = (guint) atoi (argv[5]);
  guint n_cols = g_strv_length (col_texts), n_keys = g_strv_length (keys);
  guint n_aggs = g_strv_length (agg_texts);
  g_autofree DmpiCsvColumn *cols = g_new0 (DmpiCsvColumn, n_cols);
  g_autofree gboolean *is_bool = g_new0 (gboolean, n_cols);
  g_autofree DmpiAggSpec *aggs = g_new0 (DmpiAggSpec, n_aggs);
  g_autoptr(GPtrArray) storage = g_ptr_array_new_with_free_func (g_free);

  if (n_parts == 0)
    {
      fprintf (stderr, "PARTITIONS must be at least 1\n");
      return 2;
    }
  for (guint i = 0; i < n_cols; i++)
    {
      char *colon = strrchr (col_texts[i], ':');
      if (colon == NULL || !parse_type (colon + 1, &cols[i].type))
        {
          fprintf (stderr, "column '%s': expected name:type\n", col_texts[i]);
          return 2;
        }
      *colon = '\0';
      cols[i].name = col_texts[i];
      is_bool[i] = cols[i].type == DMPI_COL_BOOL;
      if (is_bool[i])
        cols[i].type = DMPI_COL_STRING;
    }
  for (guint i = 0; i < n_aggs; i++)
    {
      char *s = NULL;
      if (!dmpi_agg_spec_parse (agg_texts[i], &aggs[i], &s, &error))
        {
          fprintf (stderr, "%s\n", error->message);
          return 2;
        }
      g_ptr_array_add (storage, s);
    }

  g_autoptr(DmpiTable) table = dmpi_csv_read (argv[1], 0, G_MAXUINT64, cols, n_cols, &error);
  if (table == NULL)
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  for (guint i = 0; i < n_cols; i++)
    if (is_bool[i] && !to_bool (table, i, &error))
      {
        fprintf (stderr, "%s\n", error->message);
        return 1;
      }

  /* Partials of equal slices, then rounds of pairwise combines in order. */
  g_autoptr(GPtrArray) states = g_ptr_array_new_with_free_func ((GDestroyNotify) dmpi_table_free);
  for (guint p = 0; p < n_parts; p++)
    {
      gsize lo = table->n_rows * p / n_parts, hi = table->n_rows * (p + 1) / n_parts;
      g_autoptr(DmpiTable) piece = dmpi_table_slice (table, lo, hi - lo);
      DmpiTable *st = dmpi_groupby_partial (piece, (const char *const *) keys, n_keys, aggs, n_aggs, &error);
      if (st == NULL || (st = through_bytes (st, &error)) == NULL)
        {
          fprintf (stderr, "partial %u: %s\n", p, error->message);
          return 1;
        }
      g_ptr_array_add (states, st);
    }
  while (states->len > 1)
    {
      g_autoptr(GPtrArray) next = g_ptr_array_new_with_free_func ((GDestroyNotify) dmpi_table_free);
      for (guint i = 0; i < states->len; i += 2)
        {
          guint n = MIN (2, states->len - i);
          DmpiTable *st = dmpi_groupby_combine ((DmpiTable **) states->pdata + i, n,
                                                (const char *const *) keys, n_keys, aggs, n_aggs, &error);
          if (st == NULL || (st = through_bytes (st, &error)) == NULL)
            {
              fprintf (stderr, "combine: %s\n", error->message);
              return 1;
            }
          g_ptr_array_add (next, st);
        }
      g_ptr_array_unref (states);
      states = g_steal_pointer (&next);
    }
  g_autoptr(DmpiTable) out = dmpi_groupby_finalize (states->pdata[0], (const char *const *) keys,
                                                    n_keys, aggs, n_aggs, &error);
  if (out == NULL)
    {
      fprintf (stderr, "finalize: %s\n", error->message);
      return 1;
    }

  GString *text = g_string_new (NULL);
  for (guint c = 0; c < dmpi_table_n_columns (out); c++)
    g_string_append_printf (text, "%s%s", c > 0 ? "," : "", dmpi_table_column (out, c)->name);
  g_string_append_c (text, '\n');
  for (gsize r = 0; r < out->n_rows; r++)
    {
      for (guint c = 0; c < dmpi_table_n_columns (out); c++)
        {
          if (c > 0)
            g_string_append_c (text, ',');
          print_value (text, dmpi_table_column (out, c), r);
        }
      g_string_append_c (text, '\n');
    }
  fwrite (text->str, 1, text->len, stdout);
  g_string_free (text, TRUE);
  return 0;
}
