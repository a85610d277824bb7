/* Runs one partition's plan (see plan.h): read, apply the verbs, deliver. */
#include "config.h"

#include "df/plan.h"

#include "df/csv.h"
#include "df/csv-writer.h"
#include "df/expr.h"
#include "df/groupby.h"
#include "df/parquet.h"
#include "df/parquet-reader.h"

#include <glib/gstdio.h>
#include <string.h>

static gboolean
lookup (GVariant *dict, const char *key, const char *type, gpointer out, GError **error)
{
  if (g_variant_lookup (dict, key, type, out))
    return TRUE;
  g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID, "plan: no '%s' of type %s", key, type);
  return FALSE;
}

static guint64
lookup_t (GVariant *dict, const char *key)
{
  guint64 v = 0;
  g_variant_lookup (dict, key, "t", &v);
  return v;
}

/* ---- sources ------------------------------------------------------------ */

static DmpiTable *
read_csv (GVariant *src, guint64 *rows_in, GError **error)
{
  const char *path;
  guint64 offset, length;
  g_autoptr(GVariant) cols = NULL, ranges = NULL;
  g_autofree const char **na = NULL;
  DmpiCsvFormat format;
  guchar delimiter = ',', quote = '"';

  if (!lookup (src, "path", "&s", &path, error) || !lookup (src, "offset", "t", &offset, error) ||
      !lookup (src, "length", "t", &length, error))
    return NULL;
  cols = g_variant_lookup_value (src, "columns", G_VARIANT_TYPE ("a(sssis)"));
  ranges = g_variant_lookup_value (src, "ranges", G_VARIANT_TYPE ("a(uddbb)"));
  if (cols == NULL)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID, "plan: a csv source without columns");
      return NULL;
    }
  dmpi_csv_format_init (&format);
  g_variant_lookup (src, "delimiter", "y", &delimiter);
  g_variant_lookup (src, "quote", "y", &quote);
  g_variant_lookup (src, "header", "b", &format.header);
  g_variant_lookup (src, "keep_default_na", "b", &format.keep_default_na);
  format.delimiter = (char) delimiter;
  format.quote = (char) quote;
  if (g_variant_lookup (src, "na_values", "^a&s", &na))
    format.na_values = na;

  gsize n = g_variant_n_children (cols);
  g_autofree DmpiCsvColumn *spec = g_new0 (DmpiCsvColumn, MAX (n, 1));
  for (gsize i = 0; i < n; i++)
    {
      const char *name, *alt, *out, *fmt;
      gint32 type;
      g_variant_get_child (cols, i, "(&s&s&si&s)", &name, &alt, &out, &type, &fmt);
      if (type < 0 || type >= DMPI_COL_N_TYPES)
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID, "plan: column '%s' has type %d", name, type);
          return NULL;
        }
      spec[i].name = name;
      spec[i].alt_name = *alt ? alt : NULL;
      spec[i].out_name = out;
      spec[i].type = (DmpiColType) type;
      spec[i].format = *fmt ? fmt : NULL;
    }
  gsize nr = ranges != NULL ? g_variant_n_children (ranges) : 0;
  g_autofree DmpiCsvRange *keep = g_new0 (DmpiCsvRange, MAX (nr, 1));
  for (gsize i = 0; i < nr; i++)
    {
      g_variant_get_child (ranges, i, "(uddbb)", &keep[i].column, &keep[i].lo, &keep[i].hi,
                           &keep[i].lo_inclusive, &keep[i].hi_inclusive);
      if (keep[i].column >= n)
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID, "plan: a range on column %u of %" G_GSIZE_FORMAT,
                       keep[i].column, n);
          return NULL;
        }
    }
  gsize in = 0;
  DmpiTable *t = dmpi_csv_read_format (path, offset, length, &format, spec, (guint) n, keep, (guint) nr,
                                       (gsize) lookup_t (src, "max_rows"), &in, error);
  *rows_in = in;
  return t;
}

static DmpiTable *
read_parquet (GVariant *src, guint64 *rows_in, GError **error)
{
  const char *path;
  guint32 first = 0, count = 0;
  g_autofree const char **columns = NULL;

  if (!lookup (src, "path", "&s", &path, error) || !lookup (src, "row_group", "u", &first, error) ||
      !lookup (src, "n_row_groups", "u", &count, error))
    return NULL;
  g_variant_lookup (src, "columns", "^a&s", &columns);
  g_autoptr(DmpiParquetFile) file = dmpi_parquet_file_open (path, error);
  if (file == NULL)
    return NULL;
  DmpiTable *t = dmpi_parquet_file_read (file, columns, first, count, (gsize) lookup_t (src, "max_rows"), error);
  if (t != NULL)
    *rows_in = t->n_rows;
  return t;
}

static DmpiTable *
empty_table (GVariant *src, GError **error)
{
  g_autoptr(GVariant) names = g_variant_lookup_value (src, "names", G_VARIANT_TYPE ("as"));
  g_autoptr(GVariant) types = g_variant_lookup_value (src, "types", G_VARIANT_TYPE ("ai"));
  if (names == NULL || types == NULL || g_variant_n_children (names) != g_variant_n_children (types))
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID, "plan: an empty source needs names and types");
      return NULL;
    }
  g_autoptr(DmpiTable) t = dmpi_table_new ();
  for (gsize i = 0; i < g_variant_n_children (names); i++)
    {
      const char *name;
      gint32 type;
      g_variant_get_child (names, i, "&s", &name);
      g_variant_get_child (types, i, "i", &type);
      if (type < 0 || type >= DMPI_COL_N_TYPES)
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID, "plan: column '%s' has type %d", name, type);
          return NULL;
        }
      dmpi_table_add_column (t, dmpi_column_new (name, (DmpiColType) type, 0));
    }
  return g_steal_pointer (&t);
}

static DmpiTable *
read_source (GVariant *src, GBytes *const *inputs, guint n_inputs, guint64 *rows_in, GError **error)
{
  const char *kind;
  if (!lookup (src, "kind", "&s", &kind, error))
    return NULL;
  if (strcmp (kind, "csv") == 0)
    return read_csv (src, rows_in, error);
  if (strcmp (kind, "parquet") == 0)
    return read_parquet (src, rows_in, error);
  if (strcmp (kind, "empty") == 0)
    return empty_table (src, error);
  if (strcmp (kind, "input") == 0)
    {
      guint32 index = 0;
      if (!lookup (src, "index", "u", &index, error))
        return NULL;
      if (index >= n_inputs)
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID, "plan: input %u of %u", index, n_inputs);
          return NULL;
        }
      DmpiTable *t = dmpi_table_deserialize (inputs[index], error);
      if (t != NULL)
        *rows_in = t->n_rows;
      return t;
    }
  g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID, "plan: unknown source '%s'", kind);
  return NULL;
}

/* ---- ops ---------------------------------------------------------------- */

static char *
column_list (const DmpiTable *t)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < t->columns->len; i++)
    g_string_append_printf (s, "%s%s", i ? ", " : "", dmpi_table_column (t, i)->name);
  return g_string_free (s, FALSE);
}

static gint
need_index (DmpiTable *t, const char *name, const char *verb, GError **error)
{
  gint i = dmpi_table_column_index (t, name);
  if (i < 0)
    {
      g_autofree char *have = column_list (t);
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_MISSING_COLUMN, "%s: no column '%s' (columns: %s)", verb,
                   name, have);
    }
  return i;
}

static DmpiTable *
op_select (DmpiTable *t, const char *const *names, gboolean drop, GError **error)
{
  g_autoptr(DmpiTable) in = t;
  g_autoptr(DmpiTable) out = dmpi_table_new ();
  out->n_rows = in->n_rows;
  if (drop)
    {
      for (const char *const *n = names; *n != NULL; n++)
        if (need_index (in, *n, "drop", error) < 0)
          return NULL;
      for (const char *const *n = names; *n != NULL; n++)
        dmpi_column_free (dmpi_table_steal_column (in, (guint) dmpi_table_column_index (in, *n)));
      return g_steal_pointer (&in);
    }
  /* All found first, so that an error lists every column there is. */
  for (const char *const *n = names; *n != NULL; n++)
    if (need_index (in, *n, "select", error) < 0)
      return NULL;
  for (const char *const *n = names; *n != NULL; n++)
    g_ptr_array_add (out->columns, dmpi_table_steal_column (in, (guint) dmpi_table_column_index (in, *n)));
  return g_steal_pointer (&out);
}

static DmpiTable *
op_rename (DmpiTable *t, const char *const *from, const char *const *to, GError **error)
{
  if (g_strv_length ((char **) from) != g_strv_length ((char **) to))
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID, "rename: %u names to %u", g_strv_length ((char **) from),
                   g_strv_length ((char **) to));
      dmpi_table_free (t);
      return NULL;
    }
  /* All at once, so that a swap (a -> b, b -> a) works. */
  g_autofree gint *idx = g_new (gint, g_strv_length ((char **) from) + 1);
  for (guint k = 0; from[k] != NULL; k++)
    if ((idx[k] = need_index (t, from[k], "rename", error)) < 0)
      {
        dmpi_table_free (t);
        return NULL;
      }
  for (guint k = 0; from[k] != NULL; k++)
    {
      DmpiColumn *c = dmpi_table_column (t, (guint) idx[k]);
      g_free (c->name);
      c->name = g_strdup (to[k]);
    }
  return t;
}

static DmpiTable *
op_filter (DmpiTable *t, const char *text, GError **error)
{
  g_autoptr(DmpiTable) in = t;
  g_autoptr(DmpiExpr) e = dmpi_expr_parse (text, error);
  if (e == NULL)
    return NULL;
  gsize kept = 0;
  g_autofree guint8 *mask = dmpi_expr_eval_mask (e, in, &kept, error);
  if (mask == NULL)
    return NULL;
  if (kept != in->n_rows)
    dmpi_table_filter (in, mask);
  return g_steal_pointer (&in);
}

static DmpiTable *
op_assign (DmpiTable *t, const char *name, const char *text, GError **error)
{
  g_autoptr(DmpiTable) in = t;
  g_autoptr(DmpiExpr) e = dmpi_expr_parse (text, error);
  if (e == NULL)
    return NULL;
  DmpiColumn *c = dmpi_expr_eval (e, in, name, error);
  if (c == NULL)
    return NULL;
  gint i = dmpi_table_column_index (in, name);
  if (i >= 0)
    {
      dmpi_column_free (in->columns->pdata[i]);
      in->columns->pdata[i] = c;
    }
  else if (in->columns->len == 0)
    {
      /* The first column of a table that had none keeps its row count. */
      in->n_rows = c->n_rows;
      g_ptr_array_add (in->columns, c);
    }
  else
    dmpi_table_add_column (in, c);
  return g_steal_pointer (&in);
}

static DmpiTable *
op_sort (DmpiTable *t, GVariant *op, GError **error)
{
  g_autoptr(DmpiTable) in = t;
  g_autofree const char **cols = NULL;
  g_autoptr(GVariant) asc = NULL;
  if (!g_variant_lookup (op, "columns", "^a&s", &cols) ||
      (asc = g_variant_lookup_value (op, "ascending", G_VARIANT_TYPE ("ab"))) == NULL ||
      g_variant_n_children (asc) != g_strv_length ((char **) cols))
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID, "plan: sort needs columns and ascending");
      return NULL;
    }
  /* "ab" elements are bytes: copied into gbooleans. */
  gsize n = g_variant_n_children (asc);
  g_autofree gboolean *a = g_new0 (gboolean, MAX (n, 1));
  for (gsize i = 0; i < n; i++)
    g_variant_get_child (asc, i, "b", &a[i]);
  return dmpi_table_sort (in, cols, a, (guint) n, error);
}

/* A partition function's output has the schema its frame promised. */
static gboolean
check_meta (const DmpiTable *t, GVariant *op, const char *function, GError **error)
{
  g_autofree const char **names = NULL;
  g_autoptr(GVariant) types = g_variant_lookup_value (op, "meta_types", G_VARIANT_TYPE ("ai"));
  if (!g_variant_lookup (op, "meta_names", "^a&s", &names) || types == NULL)
    return TRUE;
  gsize n = 0;
  const gint32 *type = g_variant_get_fixed_array (types, &n, sizeof (gint32));
  gboolean same = n == t->columns->len && g_strv_length ((char **) names) == n;
  for (gsize i = 0; same && i < n; i++)
    {
      const DmpiColumn *c = dmpi_table_column (t, (guint) i);
      same = strcmp (c->name, names[i]) == 0 && (gint32) c->type == type[i];
    }
  if (same)
    return TRUE;
  GString *want = g_string_new (NULL), *got = g_string_new (NULL);
  for (gsize i = 0; i < n && names[i] != NULL; i++)
    g_string_append_printf (want, "%s%s %s", i ? ", " : "", names[i], dmpi_col_type_name ((DmpiColType) type[i]));
  for (guint i = 0; i < t->columns->len; i++)
    g_string_append_printf (got, "%s%s %s", i ? ", " : "", dmpi_table_column (t, i)->name,
                            dmpi_col_type_name (dmpi_table_column (t, i)->type));
  g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID,
               "map_partitions %s: the partition has columns (%s), its meta says (%s)", function, got->str,
               want->str);
  g_string_free (want, TRUE);
  g_string_free (got, TRUE);
  return FALSE;
}

DmpiTable *
dmpi_plan_apply_op (DmpiTable *t, GVariant *op, DmpiPlanMapFunc map, gpointer user_data, GError **error)
{
  const char *kind, *s1, *s2;
  g_autofree const char **v1 = NULL, **v2 = NULL;

  if (!lookup (op, "op", "&s", &kind, error))
    goto fail;
  if (strcmp (kind, "select") == 0 || strcmp (kind, "drop") == 0)
    {
      if (!lookup (op, "columns", "^a&s", &v1, error))
        goto fail;
      return op_select (t, v1, kind[0] == 'd', error);
    }
  if (strcmp (kind, "rename") == 0)
    {
      if (!lookup (op, "from", "^a&s", &v1, error) || !lookup (op, "to", "^a&s", &v2, error))
        goto fail;
      return op_rename (t, v1, v2, error);
    }
  if (strcmp (kind, "filter") == 0)
    {
      if (!lookup (op, "expr", "&s", &s1, error))
        goto fail;
      return op_filter (t, s1, error);
    }
  if (strcmp (kind, "assign") == 0)
    {
      if (!lookup (op, "name", "&s", &s1, error) || !lookup (op, "expr", "&s", &s2, error))
        goto fail;
      return op_assign (t, s1, s2, error);
    }
  if (strcmp (kind, "map") == 0)
    {
      g_autoptr(GVariant) args = g_variant_lookup_value (op, "args", NULL);
      if (!lookup (op, "function", "&s", &s1, error))
        goto fail;
      if (map == NULL)
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID, "map_partitions %s: no function table here", s1);
          goto fail;
        }
      DmpiTable *out = map (s1, t, args, user_data, error);
      if (out != NULL && !check_meta (out, op, s1, error))
        g_clear_pointer (&out, dmpi_table_free);
      return out;
    }
  if (strcmp (kind, "sort") == 0)
    return op_sort (t, op, error);
  if (strcmp (kind, "limit") == 0)
    {
      guint64 n = lookup_t (op, "n");
      if (n >= t->n_rows)
        return t;
      DmpiTable *head = dmpi_table_head (t, (gsize) n);
      dmpi_table_free (t);
      return head;
    }
  g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID, "plan: unknown op '%s'", kind);
fail:
  dmpi_table_free (t);
  return NULL;
}

/* ---- sinks -------------------------------------------------------------- */

GArray *
dmpi_plan_parse_aggs (const char *const *aggs, guint n_aggs, GPtrArray **storage, GError **error)
{
  g_autoptr(GArray) specs = g_array_new (FALSE, TRUE, sizeof (DmpiAggSpec));
  g_autoptr(GPtrArray) store = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < n_aggs; i++)
    {
      DmpiAggSpec spec;
      char *text = NULL;
      if (!dmpi_agg_spec_parse (aggs[i], &spec, &text, error))
        return NULL;
      g_ptr_array_add (store, text);
      g_array_append_val (specs, spec);
    }
  *storage = g_steal_pointer (&store);
  return g_steal_pointer (&specs);
}

static GVariant *
table_value (const DmpiTable *t)
{
  g_autoptr(GBytes) bytes = dmpi_table_serialize (t);
  return g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, bytes, TRUE);
}

static GVariant *
write_file (DmpiTable *t, GVariant *sink, gboolean parquet, DmpiPlanStats *stats, GError **error)
{
  const char *path;
  if (!lookup (sink, "path", "&s", &path, error))
    return NULL;
  if (parquet)
    {
      DmpiParquetOptions opts;
      const char *codec = "snappy";
      gboolean nanos = FALSE;
      dmpi_parquet_options_init (&opts);
      g_variant_lookup (sink, "codec", "&s", &codec);
      g_variant_lookup (sink, "nanos", "b", &nanos);
      opts.row_group_rows = (gsize) lookup_t (sink, "row_group_rows");
      if (strcmp (codec, "none") == 0)
        opts.codec = DMPI_PARQUET_CODEC_UNCOMPRESSED;
      else if (strcmp (codec, "snappy") != 0)
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID, "unknown compression '%s' (snappy or none)",
                       codec);
          return NULL;
        }
      opts.timestamp_unit = nanos ? DMPI_PARQUET_TIMESTAMP_NANOS : DMPI_PARQUET_TIMESTAMP_MICROS;
      if (!dmpi_parquet_write_file (t, path, &opts, error))
        return NULL;
    }
  else if (!dmpi_csv_write_file (t, path, error))
    return NULL;
  GStatBuf st;
  stats->bytes = g_stat (path, &st) == 0 ? (guint64) st.st_size : 0;
  return g_variant_new ("(ttt)", stats->rows_in, stats->rows_out, stats->bytes);
}

static GVariant *
schema_value (const DmpiTable *t)
{
  GVariantBuilder b;
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(si)"));
  for (guint i = 0; i < t->columns->len; i++)
    {
      const DmpiColumn *c = dmpi_table_column (t, i);
      g_variant_builder_add (&b, "(si)", c->name, (gint32) c->type);
    }
  return g_variant_builder_end (&b);
}

static GVariant *
partial_value (DmpiTable *t, GVariant *sink, GError **error)
{
  g_autofree const char **keys = NULL, **aggs = NULL;
  g_autoptr(GPtrArray) storage = NULL;
  if (!lookup (sink, "keys", "^a&s", &keys, error) || !lookup (sink, "aggs", "^a&s", &aggs, error))
    return NULL;
  g_autoptr(GArray) specs = dmpi_plan_parse_aggs (aggs, g_strv_length ((char **) aggs), &storage, error);
  if (specs == NULL)
    return NULL;
  g_autoptr(DmpiTable) state = dmpi_groupby_partial (t, keys, g_strv_length ((char **) keys),
                                                     (const DmpiAggSpec *) (gpointer) specs->data, specs->len, error);
  return state != NULL ? table_value (state) : NULL;
}

static GVariant *
deliver (DmpiTable *t, GVariant *sink, DmpiPlanStats *stats, GError **error)
{
  const char *kind;
  if (!lookup (sink, "kind", "&s", &kind, error))
    return NULL;
  if (strcmp (kind, "table") == 0)
    return table_value (t);
  if (strcmp (kind, "parquet") == 0 || strcmp (kind, "csv") == 0)
    return write_file (t, sink, kind[0] == 'p', stats, error);
  if (strcmp (kind, "len") == 0)
    return g_variant_new_uint64 (t->n_rows);
  if (strcmp (kind, "partial") == 0)
    return partial_value (t, sink, error);
  if (strcmp (kind, "schema") == 0)
    return schema_value (t);
  g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID, "plan: unknown sink '%s'", kind);
  return NULL;
}

GVariant *
dmpi_plan_run (GVariant *plan, GBytes *const *inputs, guint n_inputs, DmpiPlanMapFunc map, gpointer user_data,
               DmpiPlanStats *stats, GError **error)
{
  DmpiPlanStats local = { 0 };
  if (stats == NULL)
    stats = &local;
  memset (stats, 0, sizeof *stats);
  if (!g_variant_is_of_type (plan, G_VARIANT_TYPE (DMPI_PLAN_TYPE)))
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID, "plan: type %s, expected %s",
                   g_variant_get_type_string (plan), DMPI_PLAN_TYPE);
      return NULL;
    }
  g_autoptr(GVariant) src = g_variant_get_child_value (plan, 0);
  g_autoptr(GVariant) ops = g_variant_get_child_value (plan, 1);
  g_autoptr(GVariant) sink = g_variant_get_child_value (plan, 2);

  g_autoptr(DmpiTable) t = read_source (src, inputs, n_inputs, &stats->rows_in, error);
  if (t == NULL)
    return NULL;
  for (gsize i = 0; i < g_variant_n_children (ops); i++)
    {
      g_autoptr(GVariant) op = g_variant_get_child_value (ops, i);
      t = dmpi_plan_apply_op (g_steal_pointer (&t), op, map, user_data, error);
      if (t == NULL)
        return NULL;
    }
  stats->rows_out = t->n_rows;
  GVariant *v = deliver (t, sink, stats, error);
  return v != NULL ? g_variant_ref_sink (v) : NULL;
}
