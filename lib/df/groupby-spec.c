/* Aggregation specs: parsing "name=op(column)", checking keys and specs
 * against a schema, and the layout of each aggregation's state columns. */
#include "config.h"

#include "df/groupby-private.h"

#include <string.h>

/* NULL-terminated, for listing them in errors. */
static const char *const op_names[DMPI_AGG_N_OPS + 1] = {
  [DMPI_AGG_SIZE] = "size", [DMPI_AGG_COUNT] = "count", [DMPI_AGG_SUM] = "sum",
  [DMPI_AGG_MEAN] = "mean", [DMPI_AGG_MIN] = "min", [DMPI_AGG_MAX] = "max",
  [DMPI_AGG_STD] = "std", [DMPI_AGG_VAR] = "var", [DMPI_AGG_FIRST] = "first",
  [DMPI_AGG_LAST] = "last", [DMPI_AGG_NUNIQUE] = "nunique",
};

const char *
dmpi_agg_op_name (DmpiAggOp op)
{
  if ((guint) op >= DMPI_AGG_N_OPS)
    return "invalid";
  return op_names[op];
}

const char *
dmpi_agg_spec_name (const DmpiAggSpec *spec)
{
  if (spec->name != NULL)
    return spec->name;
  return spec->column != NULL ? spec->column : "size";
}

gboolean
dmpi_agg_spec_parse (const char *text, DmpiAggSpec *spec, char **spec_storage, GError **error)
{
  g_return_val_if_fail (text != NULL && spec != NULL && spec_storage != NULL, FALSE);

  g_autofree char *copy = g_strdup (text);
  char *open = strchr (copy, '(');
  char *close = strrchr (copy, ')');
  char *eq = strchr (copy, '=');
  char *name = NULL, *op_text, *column;

  if (open == NULL)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_PARSE,
                   "aggregation '%s': expected op(column) or name=op(column), as sum(fare)", text);
      return FALSE;
    }
  if (close == NULL || close < open)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_PARSE,
                   "aggregation '%s': no ')' after '('", text);
      return FALSE;
    }
  for (const char *p = close + 1; *p != '\0'; p++)
    if (!g_ascii_isspace (*p))
      {
        g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_PARSE,
                     "aggregation '%s': unexpected text after ')'", text);
        return FALSE;
      }
  *open = '\0';
  *close = '\0';
  op_text = copy;
  if (eq != NULL && eq < open)
    {
      *eq = '\0';
      name = g_strstrip (copy);
      op_text = eq + 1;
      if (*name == '\0')
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_PARSE,
                       "aggregation '%s': empty name before '='", text);
          return FALSE;
        }
    }
  op_text = g_strstrip (op_text);
  column = g_strstrip (open + 1);

  guint op;
  for (op = 0; op < DMPI_AGG_N_OPS; op++)
    if (strcmp (op_text, op_names[op]) == 0)
      break;
  if (op == DMPI_AGG_N_OPS)
    {
      g_autofree char *known = g_strjoinv (", ", (char **) op_names);
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_PARSE,
                   "aggregation '%s': unknown op '%s' (known: %s)", text, op_text, known);
      return FALSE;
    }
  if (op == DMPI_AGG_SIZE && *column != '\0')
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_PARSE,
                   "aggregation '%s': size() takes no column", text);
      return FALSE;
    }
  if (op != DMPI_AGG_SIZE && *column == '\0')
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_PARSE,
                   "aggregation '%s': %s() needs a column", text, op_names[op]);
      return FALSE;
    }

  spec->op = (DmpiAggOp) op;
  spec->column = op == DMPI_AGG_SIZE ? NULL : column;
  spec->name = name != NULL ? name : op == DMPI_AGG_SIZE ? op_names[op] : column;
  *spec_storage = g_steal_pointer (&copy);
  return TRUE;
}

static gboolean
is_numeric (DmpiColType t)
{
  return t == DMPI_COL_INT32 || t == DMPI_COL_INT64 || t == DMPI_COL_FLOAT32 ||
         t == DMPI_COL_FLOAT64 || t == DMPI_COL_BOOL;
}

gboolean
dmpi_agg_result_type (DmpiAggOp op, DmpiColType in, DmpiColType *out)
{
  switch (op)
    {
    case DMPI_AGG_SIZE:
    case DMPI_AGG_COUNT:
    case DMPI_AGG_NUNIQUE:
      *out = DMPI_COL_INT64;
      return TRUE;
    case DMPI_AGG_SUM:
      if (in == DMPI_COL_FLOAT32 || in == DMPI_COL_FLOAT64 || in == DMPI_COL_DURATION)
        *out = in;
      else if (is_numeric (in))
        *out = DMPI_COL_INT64;
      else
        return FALSE;
      return TRUE;
    case DMPI_AGG_MEAN:
      if (in == DMPI_COL_TIMESTAMP || in == DMPI_COL_DURATION)
        *out = in;
      else if (is_numeric (in))
        *out = DMPI_COL_FLOAT64;
      else
        return FALSE;
      return TRUE;
    case DMPI_AGG_STD:
    case DMPI_AGG_VAR:
      *out = DMPI_COL_FLOAT64;
      return is_numeric (in);
    case DMPI_AGG_MIN:
    case DMPI_AGG_MAX:
    case DMPI_AGG_FIRST:
    case DMPI_AGG_LAST:
      *out = in;
      return TRUE;
    default:
      return FALSE;
    }
}

void
dmpi_agg_layout (DmpiAggOp op, DmpiColType in, DmpiAggLayout *l)
{
  memset (l, 0, sizeof *l);
  l->n_parts = 1;
  l->types[0] = DMPI_COL_INT64;
  switch (op)
    {
    case DMPI_AGG_SUM:
      if (in == DMPI_COL_FLOAT32 || in == DMPI_COL_FLOAT64)
        {
          l->n_parts = 2;
          l->types[0] = l->types[1] = DMPI_COL_FLOAT64;
          l->parts[1] = "comp";
        }
      else if (in == DMPI_COL_DURATION)
        l->types[0] = DMPI_COL_DURATION;
      break;
    case DMPI_AGG_MEAN:
      l->n_parts = 3;
      if (in == DMPI_COL_TIMESTAMP || in == DMPI_COL_DURATION)
        {
          l->types[1] = DMPI_COL_INT64;
          l->parts[1] = "high";
        }
      else
        {
          l->types[0] = l->types[1] = DMPI_COL_FLOAT64;
          l->parts[1] = "comp";
        }
      l->types[2] = DMPI_COL_INT64;
      l->parts[2] = "count";
      break;
    case DMPI_AGG_STD:
    case DMPI_AGG_VAR:
      l->n_parts = 3;
      l->types[1] = l->types[2] = DMPI_COL_FLOAT64;
      l->parts[1] = "mean";
      l->parts[2] = "m2";
      break;
    case DMPI_AGG_MIN:
    case DMPI_AGG_MAX:
    case DMPI_AGG_FIRST:
    case DMPI_AGG_LAST:
      l->types[0] = in;
      break;
    case DMPI_AGG_NUNIQUE:
      l->types[0] = DMPI_COL_STRING;
      break;
    case DMPI_AGG_SIZE:
    case DMPI_AGG_COUNT:
    default:
      break;
    }
}

char *
dmpi_agg_state_column_name (const DmpiAggSpec *spec, DmpiColType in, guint part)
{
  const char *name = dmpi_agg_spec_name (spec);
  if (part > 0)
    {
      DmpiAggLayout l;
      dmpi_agg_layout (spec->op, in, &l);
      g_return_val_if_fail (part < l.n_parts, NULL);
      return g_strconcat (name, ":", l.parts[part], NULL);
    }
  if (spec->op == DMPI_AGG_SIZE)
    return g_strconcat (name, ":size", NULL);
  return g_strconcat (name, ":", dmpi_agg_op_name (spec->op), ".", dmpi_col_type_name (in), NULL);
}

static char *
join_names (const char *const *names, guint n)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (s, "%s%s", i > 0 ? ", " : "", names[i]);
  if (n == 0)
    g_string_append (s, "none");
  return g_string_free (s, FALSE);
}

static gint
find_name (const char *const *names, guint n, const char *name)
{
  for (guint i = 0; i < n; i++)
    if (strcmp (names[i], name) == 0)
      return (gint) i;
  return -1;
}

/* Checks one spec's shape (an op, a column exactly when it needs one, a
 * non-empty name); shared by the schema check and the state check. */
static gboolean
spec_check_shape (const DmpiAggSpec *spec, guint index, GError **error)
{
  if ((guint) spec->op >= DMPI_AGG_N_OPS)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED,
                   "aggregation %u has an invalid op (%d)", index, (int) spec->op);
      return FALSE;
    }
  if (spec->op == DMPI_AGG_SIZE && spec->column != NULL)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED,
                   "aggregation %u: size() takes no column, got '%s'", index, spec->column);
      return FALSE;
    }
  if (spec->op != DMPI_AGG_SIZE && spec->column == NULL)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED,
                   "aggregation %u: %s() needs a column", index, dmpi_agg_op_name (spec->op));
      return FALSE;
    }
  if (*dmpi_agg_spec_name (spec) == '\0')
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED,
                   "aggregation %u (%s(%s)) has an empty name", index,
                   dmpi_agg_op_name (spec->op), spec->column != NULL ? spec->column : "");
      return FALSE;
    }
  return TRUE;
}

gboolean
dmpi_groupby_check (const char *const *names, const DmpiColType *types, guint n_columns,
                    const char *const *keys, guint n_keys, const DmpiAggSpec *aggs, guint n_aggs,
                    char ***out_names, DmpiColType **out_types, GError **error)
{
  g_autoptr(GPtrArray) onames = g_ptr_array_new ();
  g_autofree DmpiColType *otypes = g_new (DmpiColType, n_keys + n_aggs + 1);

  for (guint k = 0; k < n_keys; k++)
    {
      gint c = find_name (names, n_columns, keys[k]);
      if (c < 0)
        {
          g_autofree char *all = join_names (names, n_columns);
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_MISSING_COLUMN,
                       "unknown key column '%s' (columns: %s)", keys[k], all);
          return FALSE;
        }
      if (find_name (keys, k, keys[k]) >= 0)
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED,
                       "key column '%s' is given twice", keys[k]);
          return FALSE;
        }
      g_ptr_array_add (onames, (gpointer) keys[k]);
      otypes[k] = types[c];
    }
  for (guint a = 0; a < n_aggs; a++)
    {
      const DmpiAggSpec *spec = &aggs[a];
      const char *op = dmpi_agg_op_name (spec->op);
      const char *name = dmpi_agg_spec_name (spec);
      DmpiColType in = DMPI_COL_INT64;

      if (!spec_check_shape (spec, a, error))
        return FALSE;
      if (spec->column != NULL)
        {
          gint c = find_name (names, n_columns, spec->column);
          if (c < 0)
            {
              g_autofree char *all = join_names (names, n_columns);
              g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_MISSING_COLUMN,
                           "%s(%s): unknown column '%s' (columns: %s)",
                           op, spec->column, spec->column, all);
              return FALSE;
            }
          in = types[c];
        }
      if (!dmpi_agg_result_type (spec->op, in, &otypes[n_keys + a]))
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED,
                       "%s(%s): %s does not apply to a %s column (as in pandas)",
                       op, spec->column, op, dmpi_col_type_name (in));
          return FALSE;
        }
      gint dup = find_name ((const char *const *) onames->pdata, onames->len, name);
      if (dup >= 0)
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED,
                       "output column '%s' of %s(%s) is already the name of %s", name, op,
                       spec->column != NULL ? spec->column : "",
                       (guint) dup < n_keys ? "a key" : "an earlier aggregation");
          return FALSE;
        }
      g_ptr_array_add (onames, (gpointer) name);
    }

  if (out_names != NULL)
    {
      char **v = g_new0 (char *, onames->len + 1);
      for (guint i = 0; i < onames->len; i++)
        v[i] = g_strdup (onames->pdata[i]);
      *out_names = v;
    }
  if (out_types != NULL)
    *out_types = g_steal_pointer (&otypes);
  return TRUE;
}

gboolean
dmpi_groupby_state_check (const DmpiTable *state, const char *const *keys, guint n_keys,
                          const DmpiAggSpec *aggs, guint n_aggs,
                          DmpiColType *in_types, guint *first_column, GError **error)
{
  guint n = dmpi_table_n_columns (state);
  guint c = n_keys;

  if (n_keys == 0 && state->n_rows != 1)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID,
                   "group-by state without keys has %" G_GSIZE_FORMAT " rows, not one",
                   state->n_rows);
      return FALSE;
    }
  if (n < n_keys)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID,
                   "group-by state has %u columns, fewer than its %u keys", n, n_keys);
      return FALSE;
    }
  for (guint k = 0; k < n_keys; k++)
    if (strcmp (dmpi_table_column (state, k)->name, keys[k]) != 0)
      {
        g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID,
                     "group-by state column %u is '%s', expected the key '%s'",
                     k, dmpi_table_column (state, k)->name, keys[k]);
        return FALSE;
      }
  for (guint a = 0; a < n_aggs; a++)
    {
      const DmpiAggSpec *spec = &aggs[a];
      DmpiColType in = DMPI_COL_INT64;
      DmpiAggLayout l;

      if (!spec_check_shape (spec, a, error))
        return FALSE;
      if (c >= n)
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID,
                       "group-by state has %u columns: none left for aggregation '%s'",
                       n, dmpi_agg_spec_name (spec));
          return FALSE;
        }
      /* The input type, from the first state column's name. */
      if (spec->op != DMPI_AGG_SIZE)
        {
          const char *have = dmpi_table_column (state, c)->name;
          g_autofree char *prefix = g_strconcat (dmpi_agg_spec_name (spec), ":",
                                                 dmpi_agg_op_name (spec->op), ".", NULL);
          guint t = DMPI_COL_N_TYPES;
          if (g_str_has_prefix (have, prefix))
            for (t = 0; t < DMPI_COL_N_TYPES; t++)
              if (strcmp (have + strlen (prefix), dmpi_col_type_name (t)) == 0)
                break;
          if (t == DMPI_COL_N_TYPES)
            {
              g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID,
                           "group-by state column %u is '%s', expected %s<type> for %s(%s)",
                           c, have, prefix, dmpi_agg_op_name (spec->op), spec->column);
              return FALSE;
            }
          in = (DmpiColType) t;
        }
      dmpi_agg_layout (spec->op, in, &l);
      if (c + l.n_parts > n)
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID,
                       "group-by state has %u columns: too few for aggregation '%s'",
                       n, dmpi_agg_spec_name (spec));
          return FALSE;
        }
      for (guint p = 0; p < l.n_parts; p++)
        {
          const DmpiColumn *col = dmpi_table_column (state, c + p);
          g_autofree char *want = dmpi_agg_state_column_name (spec, in, p);
          if (strcmp (col->name, want) != 0 || col->type != l.types[p])
            {
              g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID,
                           "group-by state column %u is '%s' (%s), expected '%s' (%s)",
                           c + p, col->name, dmpi_col_type_name (col->type), want,
                           dmpi_col_type_name (l.types[p]));
              return FALSE;
            }
        }
      in_types[a] = in;
      first_column[a] = c;
      c += l.n_parts;
    }
  if (c != n)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID,
                   "group-by state has %u columns, %u more than its keys and aggregations",
                   n, n - c);
      return FALSE;
    }
  return TRUE;
}
