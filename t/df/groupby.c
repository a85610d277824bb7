/* Group-by and the table operations it needs. Expected values come from
 * plain loops here (a linear search for groups, sums in long double,
 * 128-bit integer means), never from the code under test. */
#include "config.h"

#include "df/groupby.h"

#include <math.h>
#include <string.h>
#include <time.h>

#define I32 DMPI_COL_INT32
#define I64 DMPI_COL_INT64
#define F32 DMPI_COL_FLOAT32
#define F64 DMPI_COL_FLOAT64
#define TS  DMPI_COL_TIMESTAMP
#define STR DMPI_COL_STRING
#define DUR DMPI_COL_DURATION
#define BOO DMPI_COL_BOOL
#define NA  -1

/* Result types, as groupby.h and pandas say; NA: the op does not apply. */
static const int result_types[DMPI_AGG_N_OPS][DMPI_COL_N_TYPES] = {
  /*                     int32 int64 f32  f64  ts   str  dur  bool */
  [DMPI_AGG_SIZE]    = { I64,  I64,  I64, I64, I64, I64, I64, I64 },
  [DMPI_AGG_COUNT]   = { I64,  I64,  I64, I64, I64, I64, I64, I64 },
  [DMPI_AGG_SUM]     = { I64,  I64,  F32, F64, NA,  NA,  DUR, I64 },
  [DMPI_AGG_MEAN]    = { F64,  F64,  F64, F64, TS,  NA,  DUR, F64 },
  [DMPI_AGG_MIN]     = { I32,  I64,  F32, F64, TS,  STR, DUR, BOO },
  [DMPI_AGG_MAX]     = { I32,  I64,  F32, F64, TS,  STR, DUR, BOO },
  [DMPI_AGG_STD]     = { F64,  F64,  F64, F64, NA,  NA,  NA,  F64 },
  [DMPI_AGG_VAR]     = { F64,  F64,  F64, F64, NA,  NA,  NA,  F64 },
  [DMPI_AGG_FIRST]   = { I32,  I64,  F32, F64, TS,  STR, DUR, BOO },
  [DMPI_AGG_LAST]    = { I32,  I64,  F32, F64, TS,  STR, DUR, BOO },
  [DMPI_AGG_NUNIQUE] = { I64,  I64,  I64, I64, I64, I64, I64, I64 },
};

static const char *const op_text[DMPI_AGG_N_OPS] = {
  "size", "count", "sum", "mean", "min", "max", "std", "var", "first", "last", "nunique",
};

/* The value columns of random_table, one per type, in DmpiColType order. */
static const char *const type_columns[DMPI_COL_N_TYPES] = {
  "i32", "i64", "f32", "f64", "ts", "str", "dur", "b",
};

static const struct {
  const char *s;
  gsize       len;
} vocab[] = {
  { "", 0 }, { "a", 1 }, { "b", 1 }, { "ab", 2 }, { "ba", 2 }, { "a\0b", 3 }, { "abc", 3 },
  { "\xff", 1 }, { "Z", 1 },
};

/* ---- tables ---- */

static void
append_random (GRand *r, DmpiColumn *c)
{
  switch (c->type)
    {
    case I32:
      dmpi_column_append_int32 (c, g_rand_int_range (r, -1000, 1000));
      break;
    case I64:
      dmpi_column_append_int64 (c, (gint64) g_rand_int_range (r, -1000000, 1000000) * 1000003);
      break;
    case F32:
    case F64:
      {
        gdouble d = g_rand_double_range (r, -100, 100), p = g_rand_double (r);
        if (p < 0.05)
          d = NAN;
        else if (p < 0.07)
          d = -0.0;
        else if (p < 0.09)
          d = 0.0;
        else if (p < 0.15)
          d = round (d);   /* repeats, for nunique */
        if (c->type == F32)
          dmpi_column_append_float32 (c, (gfloat) d);
        else
          dmpi_column_append_float64 (c, d * 10.0);
        break;
      }
    case TS:
      dmpi_column_append_int64 (c, G_GINT64_CONSTANT (1420070400000000000)
                                   + (gint64) g_rand_int_range (r, 0, 1000000) * 1000000000
                                   + g_rand_int_range (r, 0, 3));
      break;
    case DUR:
      dmpi_column_append_int64 (c, (gint64) g_rand_int_range (r, -1000000, 1000000) * 1000
                                   + g_rand_int_range (r, 0, 999));
      break;
    case STR:
      {
        guint k = (guint) g_rand_int_range (r, 0, G_N_ELEMENTS (vocab));
        dmpi_column_append_string (c, vocab[k].s, (gssize) vocab[k].len);
        break;
      }
    case BOO:
    default:
      dmpi_column_append_bool (c, g_rand_boolean (r));
      break;
    }
}

/* n rows: keys k1 (int64, 5 values times spread) and k2 (string, 4
 * values), 3% missing each; a column of every type, 10% missing and NaN
 * in floats. Rows 0-2 form a group whose values are all missing, row 3 a
 * group of one row. */
static DmpiTable *
random_table (GRand *r, gsize n, gint64 spread)
{
  DmpiTable *t = dmpi_table_new ();
  DmpiColumn *k1 = dmpi_column_new ("k1", I64, n);
  DmpiColumn *k2 = dmpi_column_new ("k2", STR, n);
  DmpiColumn *v[DMPI_COL_N_TYPES];
  for (guint ty = 0; ty < DMPI_COL_N_TYPES; ty++)
    v[ty] = dmpi_column_new (type_columns[ty], (DmpiColType) ty, n);
  for (gsize i = 0; i < n; i++)
    {
      if (i < 4)
        {
          dmpi_column_append_int64 (k1, (i < 3 ? 7 : 8) * spread);
          dmpi_column_append_string (k2, "z", 1);
        }
      else
        {
          if (g_rand_double (r) < 0.03)
            dmpi_column_append_missing (k1);
          else
            dmpi_column_append_int64 (k1, g_rand_int_range (r, 0, 5) * spread);
          if (g_rand_double (r) < 0.03)
            dmpi_column_append_missing (k2);
          else
            dmpi_column_append_string (k2, vocab[g_rand_int_range (r, 0, 4)].s, -1);
        }
      for (guint ty = 0; ty < DMPI_COL_N_TYPES; ty++)
        if (i < 3 || g_rand_double (r) < 0.1)
          dmpi_column_append_missing (v[ty]);
        else
          append_random (r, v[ty]);
    }
  dmpi_table_add_column (t, k1);
  dmpi_table_add_column (t, k2);
  for (guint ty = 0; ty < DMPI_COL_N_TYPES; ty++)
    dmpi_table_add_column (t, v[ty]);
  return t;
}

/* ---- the reference: plain loops ---- */

static gboolean
ref_present (const DmpiColumn *c, gsize i)
{
  if (c->valid != NULL && !c->valid[i])
    return FALSE;
  if (c->type == F32)
    return !isnan (DMPI_COLUMN_FLOAT32 (c)[i]);
  if (c->type == F64)
    return !isnan (DMPI_COLUMN_FLOAT64 (c)[i]);
  return TRUE;
}

static int
ref_compare (const DmpiColumn *c, gsize a, gsize b)
{
  switch (c->type)
    {
    case I32: return (DMPI_COLUMN_INT32 (c)[a] > DMPI_COLUMN_INT32 (c)[b]) - (DMPI_COLUMN_INT32 (c)[a] < DMPI_COLUMN_INT32 (c)[b]);
    case BOO: return (int) DMPI_COLUMN_BOOL (c)[a] - (int) DMPI_COLUMN_BOOL (c)[b];
    case F32: return (DMPI_COLUMN_FLOAT32 (c)[a] > DMPI_COLUMN_FLOAT32 (c)[b]) - (DMPI_COLUMN_FLOAT32 (c)[a] < DMPI_COLUMN_FLOAT32 (c)[b]);
    case F64: return (DMPI_COLUMN_FLOAT64 (c)[a] > DMPI_COLUMN_FLOAT64 (c)[b]) - (DMPI_COLUMN_FLOAT64 (c)[a] < DMPI_COLUMN_FLOAT64 (c)[b]);
    case STR:
      {
        gsize la, lb;
        const char *sa = dmpi_column_get_string (c, a, &la), *sb = dmpi_column_get_string (c, b, &lb);
        for (gsize k = 0; k < la && k < lb; k++)
          if (sa[k] != sb[k])
            return (guint8) sa[k] < (guint8) sb[k] ? -1 : 1;
        return (la > lb) - (la < lb);
      }
    default: return (DMPI_COLUMN_INT64 (c)[a] > DMPI_COLUMN_INT64 (c)[b]) - (DMPI_COLUMN_INT64 (c)[a] < DMPI_COLUMN_INT64 (c)[b]);
    }
}

static long double
ref_number (const DmpiColumn *c, gsize i)
{
  switch (c->type)
    {
    case I32: return DMPI_COLUMN_INT32 (c)[i];
    case BOO: return DMPI_COLUMN_BOOL (c)[i];
    case F32: return DMPI_COLUMN_FLOAT32 (c)[i];
    case F64: return DMPI_COLUMN_FLOAT64 (c)[i];
    default: return (long double) DMPI_COLUMN_INT64 (c)[i];
    }
}

static gint64
ref_int (const DmpiColumn *c, gsize i)
{
  switch (c->type)
    {
    case I32: return DMPI_COLUMN_INT32 (c)[i];
    case BOO: return DMPI_COLUMN_BOOL (c)[i];
    default: return DMPI_COLUMN_INT64 (c)[i];
    }
}

static void
append_from (DmpiColumn *out, const DmpiColumn *c, gsize i)
{
  if (i == G_MAXSIZE || !dmpi_column_is_valid (c, i))
    {
      dmpi_column_append_missing (out);
      return;
    }
  switch (c->type)
    {
    case I32: dmpi_column_append_int32 (out, DMPI_COLUMN_INT32 (c)[i]); break;
    case F32: dmpi_column_append_float32 (out, DMPI_COLUMN_FLOAT32 (c)[i]); break;
    case F64: dmpi_column_append_float64 (out, DMPI_COLUMN_FLOAT64 (c)[i]); break;
    case BOO: dmpi_column_append_bool (out, DMPI_COLUMN_BOOL (c)[i]); break;
    case STR:
      {
        gsize len;
        const char *s = dmpi_column_get_string (c, i, &len);
        dmpi_column_append_string (out, s, (gssize) len);
        break;
      }
    default: dmpi_column_append_int64 (out, DMPI_COLUMN_INT64 (c)[i]); break;
    }
}

/* One aggregation over the rows of a group, appended to out. */
static void
ref_aggregate (DmpiColumn *out, const DmpiAggSpec *spec, const DmpiColumn *c,
               const gsize *rows, gsize n_rows)
{
  g_autofree gsize *p = g_new (gsize, n_rows + 1);
  gsize n = 0;
  if (spec->op == DMPI_AGG_SIZE)
    {
      dmpi_column_append_int64 (out, (gint64) n_rows);
      return;
    }
  for (gsize i = 0; i < n_rows; i++)
    if (ref_present (c, rows[i]))
      p[n++] = rows[i];

  long double sum = 0, mean, ss = 0;
  __int128 isum = 0;
  gsize best = G_MAXSIZE, distinct = 0;
  for (gsize i = 0; i < n && c->type != STR; i++)
    {
      sum += ref_number (c, p[i]);
      if (c->type != F32 && c->type != F64)
        isum += ref_int (c, p[i]);
    }
  switch (spec->op)
    {
    case DMPI_AGG_COUNT:
      dmpi_column_append_int64 (out, (gint64) n);
      break;
    case DMPI_AGG_SUM:
      if (out->type == F32)
        dmpi_column_append_float32 (out, (gfloat) sum);
      else if (out->type == F64)
        dmpi_column_append_float64 (out, (gdouble) sum);
      else
        dmpi_column_append_int64 (out, (gint64) isum);
      break;
    case DMPI_AGG_MEAN:
      if (n == 0)
        dmpi_column_append_missing (out);
      else if (out->type == F64)
        dmpi_column_append_float64 (out, (gdouble) (sum / n));
      else
        dmpi_column_append_int64 (out, (gint64) (isum / (__int128) n));
      break;
    case DMPI_AGG_STD:
    case DMPI_AGG_VAR:
      if (n < 2)
        {
          dmpi_column_append_missing (out);
          break;
        }
      mean = sum / n;
      for (gsize i = 0; i < n; i++)
        ss += (ref_number (c, p[i]) - mean) * (ref_number (c, p[i]) - mean);
      ss /= n - 1;
      dmpi_column_append_float64 (out, (gdouble) (spec->op == DMPI_AGG_STD ? sqrtl (ss) : ss));
      break;
    case DMPI_AGG_MIN:
    case DMPI_AGG_MAX:
      for (gsize i = 0; i < n; i++)
        if (best == G_MAXSIZE ||
            ref_compare (c, p[i], best) * (spec->op == DMPI_AGG_MIN ? -1 : 1) > 0)
          best = p[i];
      append_from (out, c, best);
      break;
    case DMPI_AGG_FIRST:
      append_from (out, c, n > 0 ? p[0] : G_MAXSIZE);
      break;
    case DMPI_AGG_LAST:
      append_from (out, c, n > 0 ? p[n - 1] : G_MAXSIZE);
      break;
    case DMPI_AGG_NUNIQUE:
      for (gsize i = 0; i < n; i++)
        {
          gsize j = 0;
          while (j < i && ref_compare (c, p[i], p[j]) != 0)
            j++;
          distinct += j == i;
        }
      dmpi_column_append_int64 (out, (gint64) distinct);
      break;
    default:
      g_assert_not_reached ();
    }
}

/* The expected final table, by a linear search for each row's group. */
static DmpiTable *
ref_groupby (DmpiTable *t, const char *const *keys, guint n_keys,
             const DmpiAggSpec *aggs, guint n_aggs)
{
  g_autofree DmpiColumn **kc = g_new (DmpiColumn *, n_keys + 1);
  g_autoptr(GPtrArray) groups = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  for (guint k = 0; k < n_keys; k++)
    kc[k] = dmpi_table_get_column (t, keys[k]);
  if (n_keys == 0)
    g_ptr_array_add (groups, g_array_new (FALSE, FALSE, sizeof (gsize)));
  for (gsize i = 0; i < t->n_rows; i++)
    {
      guint k;
      for (k = 0; k < n_keys; k++)
        if (!ref_present (kc[k], i))
          break;
      if (k < n_keys)
        continue;
      guint g;
      for (g = 0; g < groups->len && n_keys > 0; g++)
        {
          gsize first = g_array_index ((GArray *) groups->pdata[g], gsize, 0);
          for (k = 0; k < n_keys; k++)
            if (ref_compare (kc[k], i, first) != 0)
              break;
          if (k == n_keys)
            break;
        }
      if (g == groups->len && n_keys > 0)
        g_ptr_array_add (groups, g_array_new (FALSE, FALSE, sizeof (gsize)));
      g_array_append_val ((GArray *) groups->pdata[g], i);
    }
  /* Insertion sort of the groups by key. */
  for (guint g = 1; g < groups->len; g++)
    for (guint h = g; h > 0; h--)
      {
        gsize a = g_array_index ((GArray *) groups->pdata[h - 1], gsize, 0);
        gsize b = g_array_index ((GArray *) groups->pdata[h], gsize, 0);
        int r = 0;
        for (guint k = 0; k < n_keys && r == 0; k++)
          r = ref_compare (kc[k], a, b);
        if (r <= 0)
          break;
        gpointer x = groups->pdata[h - 1];
        groups->pdata[h - 1] = groups->pdata[h];
        groups->pdata[h] = x;
      }

  DmpiTable *out = dmpi_table_new ();
  for (guint k = 0; k < n_keys; k++)
    {
      DmpiColumn *c = dmpi_column_new (keys[k], kc[k]->type, 0);
      for (guint g = 0; g < groups->len; g++)
        append_from (c, kc[k], g_array_index ((GArray *) groups->pdata[g], gsize, 0));
      dmpi_table_add_column (out, c);
    }
  for (guint a = 0; a < n_aggs; a++)
    {
      DmpiColumn *in = aggs[a].column != NULL ? dmpi_table_get_column (t, aggs[a].column) : NULL;
      int type = result_types[aggs[a].op][in != NULL ? in->type : I64];
      g_assert_cmpint (type, !=, NA);
      DmpiColumn *c = dmpi_column_new (aggs[a].name, (DmpiColType) type, 0);
      for (guint g = 0; g < groups->len; g++)
        {
          GArray *rows = groups->pdata[g];
          ref_aggregate (c, &aggs[a], in, (gsize *) (gpointer) rows->data, rows->len);
        }
      dmpi_table_add_column (out, c);
    }
  out->n_rows = groups->len;
  return out;
}

/* ---- comparing tables ---- */

static gboolean
cells_close (const DmpiColumn *a, gsize i, const DmpiColumn *b, gsize j, gdouble rel)
{
  gboolean va = dmpi_column_is_valid (a, i), vb = dmpi_column_is_valid (b, j);
  if (va != vb)
    return FALSE;
  if (!va)
    return TRUE;
  switch (a->type)
    {
    case F32:
    case F64:
      {
        gdouble x = a->type == F32 ? DMPI_COLUMN_FLOAT32 (a)[i] : DMPI_COLUMN_FLOAT64 (a)[i];
        gdouble y = b->type == F32 ? DMPI_COLUMN_FLOAT32 (b)[j] : DMPI_COLUMN_FLOAT64 (b)[j];
        if (isnan (x) || isnan (y))
          return isnan (x) && isnan (y);
        if (a->type == F32)
          rel = MAX (rel, 1e-6);
        return x == y || fabs (x - y) <= rel * MAX (fabs (x), fabs (y));
      }
    case STR:
      {
        gsize la, lb;
        const char *sa = dmpi_column_get_string (a, i, &la), *sb = dmpi_column_get_string (b, j, &lb);
        return la == lb && memcmp (sa, sb, la) == 0;
      }
    default:
      return ref_int (a, i) == ref_int (b, j);
    }
}

static void
assert_tables_close (const DmpiTable *got, const DmpiTable *want, gdouble rel)
{
  g_assert_cmpuint (dmpi_table_n_columns (got), ==, dmpi_table_n_columns (want));
  g_assert_cmpuint (got->n_rows, ==, want->n_rows);
  for (guint c = 0; c < dmpi_table_n_columns (want); c++)
    {
      const DmpiColumn *a = dmpi_table_column (got, c), *b = dmpi_table_column (want, c);
      g_assert_cmpstr (a->name, ==, b->name);
      if (a->type != b->type)
        g_error ("column '%s' is %s, expected %s", a->name, dmpi_col_type_name (a->type),
                 dmpi_col_type_name (b->type));
      g_assert_cmpuint (a->n_rows, ==, want->n_rows);
      for (gsize r = 0; r < want->n_rows; r++)
        if (!cells_close (a, r, b, r, rel))
          {
            g_autofree char *x = dmpi_table_format_value (got, c, r);
            g_autofree char *y = dmpi_table_format_value (want, c, r);
            g_error ("column '%s' row %" G_GSIZE_FORMAT ": got '%s'%s, expected '%s'%s", a->name, r,
                     x, dmpi_column_is_valid (a, r) ? "" : " (missing)",
                     y, dmpi_column_is_valid (b, r) ? "" : " (missing)");
          }
    }
}

/* ---- specs ---- */

typedef struct {
  GArray    *specs;   /* DmpiAggSpec */
  GPtrArray *names;   /* owned */
} Specs;

static void
specs_init (Specs *s)
{
  s->specs = g_array_new (FALSE, FALSE, sizeof (DmpiAggSpec));
  s->names = g_ptr_array_new_with_free_func (g_free);
}

static void
specs_clear (Specs *s)
{
  g_array_unref (s->specs);
  g_ptr_array_unref (s->names);
}

static void
specs_add (Specs *s, DmpiAggOp op, const char *column)
{
  char *name = g_strdup_printf ("%s_%s", op_text[op], column != NULL ? column : "rows");
  DmpiAggSpec spec = { op, column, name };
  g_ptr_array_add (s->names, name);
  g_array_append_val (s->specs, spec);
}

/* Every op on every column it applies to. */
static void
specs_all (Specs *s)
{
  specs_init (s);
  specs_add (s, DMPI_AGG_SIZE, NULL);
  for (guint op = DMPI_AGG_COUNT; op < DMPI_AGG_N_OPS; op++)
    for (guint ty = 0; ty < DMPI_COL_N_TYPES; ty++)
      if (result_types[op][ty] != NA)
        specs_add (s, (DmpiAggOp) op, type_columns[ty]);
}

#define SPECS(s) ((const DmpiAggSpec *) (gpointer) (s)->specs->data)

static DmpiTable *
run_whole (const DmpiTable *t, const char *const *keys, guint n_keys, const Specs *s)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DmpiTable) state = dmpi_groupby_partial (t, keys, n_keys, SPECS (s), s->specs->len, &error);
  g_assert_no_error (error);
  DmpiTable *out = dmpi_groupby_finalize (state, keys, n_keys, SPECS (s), s->specs->len, &error);
  g_assert_no_error (error);
  return out;
}

/* ---- tests ---- */

static void
test_parse (void)
{
  static const struct {
    const char *text;
    DmpiAggOp   op;
    const char *column, *name;
  } good[] = {
    { "sum(fare)", DMPI_AGG_SUM, "fare", "fare" },
    { "total = sum( fare )", DMPI_AGG_SUM, "fare", "total" },
    { "size()", DMPI_AGG_SIZE, NULL, "size" },
    { "trips=size( )", DMPI_AGG_SIZE, NULL, "trips" },
    { "nunique(a b)", DMPI_AGG_NUNIQUE, "a b", "a b" },
    { "m=max(x=y)", DMPI_AGG_MAX, "x=y", "m" },
    { "std(f(x))", DMPI_AGG_STD, "f(x)", "f(x)" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      DmpiAggSpec spec;
      g_autofree char *storage = NULL;
      g_autoptr(GError) error = NULL;
      g_assert_true (dmpi_agg_spec_parse (good[i].text, &spec, &storage, &error));
      g_assert_no_error (error);
      g_assert_cmpint (spec.op, ==, good[i].op);
      g_assert_cmpstr (spec.column, ==, good[i].column);
      g_assert_cmpstr (spec.name, ==, good[i].name);
    }

  static const struct {
    const char *text, *message;
  } bad[] = {
    { "sum", "aggregation 'sum': expected op(column) or name=op(column), as sum(fare)" },
    { "sum(x", "aggregation 'sum(x': no ')' after '('" },
    { "sum)x(", "aggregation 'sum)x(': no ')' after '('" },
    { "sum(x) y", "aggregation 'sum(x) y': unexpected text after ')'" },
    { " = sum(x)", "aggregation ' = sum(x)': empty name before '='" },
    { "total(x)", "aggregation 'total(x)': unknown op 'total' (known: size, count, sum, mean, "
                  "min, max, std, var, first, last, nunique)" },
    { "size(x)", "aggregation 'size(x)': size() takes no column" },
    { "n=mean()", "aggregation 'n=mean()': mean() needs a column" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      DmpiAggSpec spec;
      char *storage = NULL;
      g_autoptr(GError) error = NULL;
      g_assert_false (dmpi_agg_spec_parse (bad[i].text, &spec, &storage, &error));
      g_assert_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_PARSE);
      g_assert_cmpstr (error->message, ==, bad[i].message);
      g_assert_null (storage);
    }
}

static void
test_check (void)
{
  const char *names[] = { "k", "s", "ts", "f", "b", "du" };
  const DmpiColType types[] = { I64, STR, TS, F32, BOO, DUR };
  const char *keys[] = { "k", "s" };
  const DmpiAggSpec aggs[] = {
    { DMPI_AGG_SIZE, NULL, "n" }, { DMPI_AGG_MEAN, "b", "b_mean" }, { DMPI_AGG_SUM, "f", NULL },
    { DMPI_AGG_MEAN, "ts", "t" }, { DMPI_AGG_MIN, "s", "smin" }, { DMPI_AGG_NUNIQUE, "s", "ns" },
    { DMPI_AGG_SUM, "du", "dsum" }, { DMPI_AGG_STD, "b", "bstd" },
  };
  char **out_names = NULL;
  DmpiColType *out_types = NULL;
  g_autoptr(GError) error = NULL;
  g_assert_true (dmpi_groupby_check (names, types, 6, keys, 2, aggs, G_N_ELEMENTS (aggs),
                                     &out_names, &out_types, &error));
  g_assert_no_error (error);
  const char *want_names[] = { "k", "s", "n", "b_mean", "f", "t", "smin", "ns", "dsum", "bstd", NULL };
  const DmpiColType want_types[] = { I64, STR, I64, F64, F32, TS, STR, I64, DUR, F64 };
  g_assert_cmpuint (g_strv_length (out_names), ==, G_N_ELEMENTS (want_names) - 1);
  for (guint i = 0; want_names[i] != NULL; i++)
    g_assert_cmpstr (out_names[i], ==, want_names[i]);
  for (guint i = 0; i < G_N_ELEMENTS (want_types); i++)
    g_assert_cmpint (out_types[i], ==, want_types[i]);
  g_strfreev (out_names);
  g_free (out_types);

  static const struct {
    const char  *keys[2];
    DmpiAggSpec  agg;
    const char  *message;
  } bad[] = {
    { { "k", "x" }, { DMPI_AGG_SIZE, NULL, "n" },
      "unknown key column 'x' (columns: k, s, ts, f, b, du)" },
    { { "k", "k" }, { DMPI_AGG_SIZE, NULL, "n" }, "key column 'k' is given twice" },
    { { "k", NULL }, { DMPI_AGG_SUM, "fare", "x" },
      "sum(fare): unknown column 'fare' (columns: k, s, ts, f, b, du)" },
    { { "k", NULL }, { DMPI_AGG_SUM, "s", "x" },
      "sum(s): sum does not apply to a string column (as in pandas)" },
    { { "k", NULL }, { DMPI_AGG_SUM, "ts", "x" },
      "sum(ts): sum does not apply to a timestamp column (as in pandas)" },
    { { "k", NULL }, { DMPI_AGG_STD, "ts", "x" },
      "std(ts): std does not apply to a timestamp column (as in pandas)" },
    { { "k", NULL }, { DMPI_AGG_VAR, "du", "x" },
      "var(du): var does not apply to a duration column (as in pandas)" },
    { { "k", NULL }, { DMPI_AGG_MEAN, "s", "x" },
      "mean(s): mean does not apply to a string column (as in pandas)" },
    { { "k", NULL }, { DMPI_AGG_MAX, "f", "k" },
      "output column 'k' of max(f) is already the name of a key" },
    { { "k", NULL }, { DMPI_AGG_MAX, "f", "n" },
      "output column 'n' of max(f) is already the name of an earlier aggregation" },
    { { "k", NULL }, { DMPI_AGG_SIZE, "f", "x" }, "aggregation 1: size() takes no column, got 'f'" },
    { { "k", NULL }, { DMPI_AGG_MIN, NULL, "x" }, "aggregation 1: min() needs a column" },
    { { "k", NULL }, { DMPI_AGG_MIN, "f", "" }, "aggregation 1 (min(f)) has an empty name" },
    { { "k", NULL }, { (DmpiAggOp) 99, "f", "x" }, "aggregation 1 has an invalid op (99)" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      DmpiAggSpec two[2] = { { DMPI_AGG_SIZE, NULL, "n" }, bad[i].agg };
      g_autoptr(GError) e = NULL;
      char **on = NULL;
      g_assert_false (dmpi_groupby_check (names, types, 6, bad[i].keys, bad[i].keys[1] ? 2 : 1,
                                          two, 2, &on, NULL, &e));
      g_assert_nonnull (e);
      g_assert_cmpstr (e->message, ==, bad[i].message);
      g_assert_null (on);
    }
  /* A spec without a name takes its column's, as the parser gives it. */
  {
    const DmpiAggSpec dup[] = { { DMPI_AGG_SUM, "f", NULL }, { DMPI_AGG_MAX, "f", NULL } };
    g_autoptr(GError) e = NULL;
    g_assert_false (dmpi_groupby_check (names, types, 6, keys, 1, dup, 2, NULL, NULL, &e));
    g_assert_cmpstr (e->message, ==, "output column 'f' of max(f) is already the name of an earlier aggregation");
  }
}

/* Each op on each type, alone, through both ways of grouping (a direct
 * array for a small key range, the hash table for a wide one). */
static void
test_ops (void)
{
  const char *keys[] = { "k1", "k2" };
  for (guint spread_i = 0; spread_i < 2; spread_i++)
    {
      gint64 spread = spread_i == 0 ? 1 : G_GINT64_CONSTANT (1000000000000);
      g_autoptr(GRand) r = g_rand_new_with_seed (17 + spread_i);
      g_autoptr(DmpiTable) t = random_table (r, 3000, spread);
      for (guint op = 0; op < DMPI_AGG_N_OPS; op++)
        for (guint ty = 0; ty < DMPI_COL_N_TYPES; ty++)
          {
            DmpiAggSpec spec = { (DmpiAggOp) op, op == DMPI_AGG_SIZE ? NULL : type_columns[ty], "out" };
            g_autoptr(GError) error = NULL;
            if (result_types[op][ty] == NA)
              {
                g_autoptr(DmpiTable) st = dmpi_groupby_partial (t, keys, 2, &spec, 1, &error);
                g_assert_null (st);
                g_assert_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED);
                continue;
              }
            for (guint n_keys = 0; n_keys <= 2; n_keys++)
              {
                g_autoptr(DmpiTable) st = dmpi_groupby_partial (t, keys, n_keys, &spec, 1, &error);
                g_assert_no_error (error);
                g_autoptr(DmpiTable) got = dmpi_groupby_finalize (st, keys, n_keys, &spec, 1, &error);
                g_assert_no_error (error);
                g_autoptr(DmpiTable) want = ref_groupby (t, keys, n_keys, &spec, 1);
                if (g_test_verbose ())
                  g_test_message ("%s(%s), %u keys: %" G_GSIZE_FORMAT " groups", op_text[op],
                                  type_columns[ty], n_keys, want->n_rows);
                assert_tables_close (got, want, 1e-12);
              }
          }
    }
}

/* NaN is skipped as missing (pandas' skipna), by hand. */
static void
test_nan (void)
{
  g_autoptr(DmpiTable) t = dmpi_table_new ();
  DmpiColumn *k = dmpi_column_new ("k", I32, 0), *x = dmpi_column_new ("x", F64, 0);
  const gint32 kv[] = { 1, 1, 1, 2, 2, 3 };
  const gdouble xv[] = { 1.0, NAN, 3.0, NAN, 0, 5 };
  for (guint i = 0; i < G_N_ELEMENTS (kv); i++)
    {
      dmpi_column_append_int32 (k, kv[i]);
      if (i == 4)
        dmpi_column_append_missing (x);
      else
        dmpi_column_append_float64 (x, xv[i]);
    }
  dmpi_table_add_column (t, k);
  dmpi_table_add_column (t, x);
  const char *keys[] = { "k" };
  const DmpiAggSpec aggs[] = {
    { DMPI_AGG_SIZE, NULL, "size" }, { DMPI_AGG_COUNT, "x", "count" }, { DMPI_AGG_SUM, "x", "sum" },
    { DMPI_AGG_MEAN, "x", "mean" }, { DMPI_AGG_MIN, "x", "min" }, { DMPI_AGG_MAX, "x", "max" },
    { DMPI_AGG_STD, "x", "std" }, { DMPI_AGG_VAR, "x", "var" }, { DMPI_AGG_FIRST, "x", "first" },
    { DMPI_AGG_LAST, "x", "last" }, { DMPI_AGG_NUNIQUE, "x", "nunique" },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(DmpiTable) st = dmpi_groupby_partial (t, keys, 1, aggs, G_N_ELEMENTS (aggs), &error);
  g_assert_no_error (error);
  g_autoptr(DmpiTable) out = dmpi_groupby_finalize (st, keys, 1, aggs, G_N_ELEMENTS (aggs), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (out->n_rows, ==, 3);
  /* What pandas prints for
   *   DataFrame({'k': [1,1,1,2,2,3], 'x': [1,nan,3,nan,nan,5]}).groupby('k').x.agg([...]) */
  static const char *const want[3][12] = {
    { "1", "3", "2", "4", "2", "1", "3", "1.4142135623730951", "2", "1", "3", "2" },
    { "2", "2", "0", "0", "", "", "", "", "", "", "", "0" },
    { "3", "1", "1", "5", "5", "5", "5", "", "", "5", "5", "1" },
  };
  for (gsize r = 0; r < 3; r++)
    for (guint c = 0; c < 12; c++)
      {
        g_autofree char *v = dmpi_table_format_value (out, c, r);
        g_assert_cmpstr (v, ==, want[r][c]);
      }
  g_assert_false (dmpi_column_is_valid (dmpi_table_get_column (out, "mean"), 1));
  g_assert_false (dmpi_column_is_valid (dmpi_table_get_column (out, "std"), 2));
}

/* Missing and NaN keys are dropped; -0.0 and 0.0 are one group, shown as
 * the first met; an empty string is a key, a missing one is not. */
static void
test_missing_keys (void)
{
  g_autoptr(DmpiTable) t = dmpi_table_new ();
  DmpiColumn *f = dmpi_column_new ("f", F64, 0), *s = dmpi_column_new ("s", STR, 0);
  DmpiColumn *v = dmpi_column_new ("v", I64, 0);
  const gdouble fv[] = { -0.0, 1.5, NAN, 0.0, 1.5, 0, -0.0, 2 };
  const char *sv[] = { "", "x", "x", "", NULL, "", "", "x" };
  for (guint i = 0; i < G_N_ELEMENTS (fv); i++)
    {
      if (i == 5)
        dmpi_column_append_missing (f);
      else
        dmpi_column_append_float64 (f, fv[i]);
      if (sv[i] == NULL)
        dmpi_column_append_missing (s);
      else
        dmpi_column_append_string (s, sv[i], -1);
      dmpi_column_append_int64 (v, 1 << i);
    }
  dmpi_table_add_column (t, f);
  dmpi_table_add_column (t, s);
  dmpi_table_add_column (t, v);
  const char *keys[] = { "f", "s" };
  const DmpiAggSpec aggs[] = { { DMPI_AGG_SUM, "v", "rows" }, { DMPI_AGG_SIZE, NULL, "n" } };
  g_autoptr(GError) error = NULL;
  g_autoptr(DmpiTable) st = dmpi_groupby_partial (t, keys, 2, aggs, 2, &error);
  g_assert_no_error (error);
  g_autoptr(DmpiTable) out = dmpi_groupby_finalize (st, keys, 2, aggs, 2, &error);
  g_assert_no_error (error);
  /* rows 0, 3, 6: (-0.0, ""); 1: (1.5, x); 7: (2, x). Dropped: 2 (NaN),
   * 4 (missing string), 5 (missing float). */
  g_assert_cmpuint (out->n_rows, ==, 3);
  const gdouble *fo = DMPI_COLUMN_FLOAT64 (dmpi_table_get_column (out, "f"));
  const gint64 *rows = DMPI_COLUMN_INT64 (dmpi_table_get_column (out, "rows"));
  g_assert_true (fo[0] == 0 && signbit (fo[0]));
  g_assert_cmpint (rows[0], ==, 1 | 8 | 64);
  g_assert_cmpfloat (fo[1], ==, 1.5);
  g_assert_cmpint (rows[1], ==, 2);
  g_assert_cmpfloat (fo[2], ==, 2);
  g_assert_cmpint (rows[2], ==, 128);
  g_assert_null (dmpi_table_get_column (out, "f")->valid);
  g_assert_null (dmpi_table_get_column (out, "s")->valid);
}

/* Keys of every type, alone and together, against the reference. */
static void
test_key_types (void)
{
  g_autoptr(GRand) r = g_rand_new_with_seed (5);
  g_autoptr(DmpiTable) t = random_table (r, 1500, 1);
  Specs s;
  specs_init (&s);
  specs_add (&s, DMPI_AGG_SIZE, NULL);
  specs_add (&s, DMPI_AGG_SUM, "i64");
  specs_add (&s, DMPI_AGG_MEAN, "f64");
  specs_add (&s, DMPI_AGG_FIRST, "str");
  specs_add (&s, DMPI_AGG_NUNIQUE, "i32");
  /* The value columns as keys: nearly every row its own group for most. */
  for (guint ty = 0; ty < DMPI_COL_N_TYPES; ty++)
    {
      const char *keys[] = { type_columns[ty], "k2", "b" };
      for (guint n_keys = 1; n_keys <= (ty == BOO ? 2u : 3u); n_keys++)
        {
          g_autoptr(DmpiTable) got = run_whole (t, keys, n_keys, &s);
          g_autoptr(DmpiTable) want = ref_groupby (t, keys, n_keys, SPECS (&s), s.specs->len);
          assert_tables_close (got, want, 1e-12);
        }
    }
  /* Bool and timestamp keys with few values: the direct array. */
  {
    g_autoptr(DmpiTable) small = dmpi_table_new ();
    DmpiColumn *b = dmpi_column_new ("b", BOO, 0), *ts = dmpi_column_new ("ts", TS, 0);
    DmpiColumn *i32 = dmpi_column_new ("i32", I32, 0), *v = dmpi_column_new ("v", F64, 0);
    for (gint i = 0; i < 200; i++)
      {
        dmpi_column_append_bool (b, i % 3 == 0);
        if (i % 17 == 5)
          dmpi_column_append_missing (ts);
        else
          dmpi_column_append_int64 (ts, G_GINT64_CONSTANT (1420070400000000000) + i % 5);
        dmpi_column_append_int32 (i32, -(i % 4));
        dmpi_column_append_float64 (v, i * 0.25);
      }
    dmpi_table_add_column (small, b);
    dmpi_table_add_column (small, ts);
    dmpi_table_add_column (small, i32);
    dmpi_table_add_column (small, v);
    const char *keys[] = { "b", "ts", "i32" };
    Specs s2;
    specs_init (&s2);
    specs_add (&s2, DMPI_AGG_SIZE, NULL);
    specs_add (&s2, DMPI_AGG_SUM, "v");
    specs_add (&s2, DMPI_AGG_LAST, "v");
    for (guint n_keys = 1; n_keys <= 3; n_keys++)
      {
        g_autoptr(DmpiTable) got = run_whole (small, keys, n_keys, &s2);
        g_autoptr(DmpiTable) want = ref_groupby (small, keys, n_keys, SPECS (&s2), s2.specs->len);
        assert_tables_close (got, want, 1e-12);
      }
    specs_clear (&s2);
  }
  specs_clear (&s);
}

/* A state moves between ranks in its byte form. */
static DmpiTable *
round_trip (DmpiTable *t)
{
  g_autoptr(GBytes) b = dmpi_table_serialize (t);
  g_autoptr(GError) error = NULL;
  DmpiTable *back = dmpi_table_deserialize (b, &error);
  g_assert_no_error (error);
  dmpi_table_free (t);
  return back;
}

static DmpiTable *
combine2 (DmpiTable *a, DmpiTable *b, const char *const *keys, guint n_keys, const Specs *s)
{
  DmpiTable *both[2] = { a, b };
  g_autoptr(GError) error = NULL;
  DmpiTable *c = dmpi_groupby_combine (both, 2, keys, n_keys, SPECS (s), s->specs->len, &error);
  g_assert_no_error (error);
  return c;
}

/* Combines states [lo, hi) in one of several tree shapes (keeping order). */
static DmpiTable *
combine_tree (DmpiTable **p, guint lo, guint hi, guint shape, GRand *r,
              const char *const *keys, guint n_keys, const Specs *s)
{
  g_autoptr(GError) error = NULL;
  if (hi - lo == 1)
    {
      /* A combine of one state is that state again. */
      DmpiTable *one = dmpi_groupby_combine (&p[lo], 1, keys, n_keys, SPECS (s), s->specs->len, &error);
      g_assert_no_error (error);
      return one;
    }
  guint mid;
  switch (shape)
    {
    case 0:   /* all at once */
      {
        DmpiTable *all = dmpi_groupby_combine (&p[lo], hi - lo, keys, n_keys, SPECS (s),
                                               s->specs->len, &error);
        g_assert_no_error (error);
        return all;
      }
    case 1: mid = hi - 1; break;              /* left fold */
    case 2: mid = lo + 1; break;              /* right fold */
    case 3: mid = (lo + hi) / 2; break;       /* balanced */
    default: mid = (guint) g_rand_int_range (r, (gint32) lo + 1, (gint32) hi); break;
    }
  g_autoptr(DmpiTable) a = combine_tree (p, lo, mid, shape, r, keys, n_keys, s);
  g_autoptr(DmpiTable) b = combine_tree (p, mid, hi, shape, r, keys, n_keys, s);
  return round_trip (combine2 (a, b, keys, n_keys, s));
}

/* Partial on pieces, then combines in any tree shape (in order), equals
 * the partial of the whole. */
static void
test_tree (void)
{
  g_autoptr(GRand) r = g_rand_new_with_seed (99);
  Specs s;
  specs_all (&s);
  for (guint round = 0; round < 6; round++)
    {
      gint64 spread = round % 2 == 0 ? 1 : 1000003;
      g_autoptr(DmpiTable) t = random_table (r, 2000, spread);
      const char *keys[] = { "k2", "k1" };
      guint n_keys = round < 4 ? 2 : round - 4;   /* last two rounds: 0 and 1 key */
      g_autoptr(DmpiTable) whole = run_whole (t, keys, n_keys, &s);
      g_autoptr(DmpiTable) want = ref_groupby (t, keys, n_keys, SPECS (&s), s.specs->len);
      assert_tables_close (whole, want, 1e-12);

      /* Pieces at random cuts, some of them empty. */
      guint n_pieces = (guint) g_rand_int_range (r, 1, 9);
      gsize cuts[10];
      cuts[0] = 0;
      cuts[n_pieces] = t->n_rows;
      for (guint i = 1; i < n_pieces; i++)
        cuts[i] = g_rand_boolean (r) ? cuts[i - 1] : (gsize) g_rand_int_range (r, (gint32) cuts[i - 1], (gint32) t->n_rows + 1);
      DmpiTable *partials[10];
      for (guint i = 0; i < n_pieces; i++)
        {
          g_autoptr(DmpiTable) piece = dmpi_table_slice (t, cuts[i], cuts[i + 1] - cuts[i]);
          g_autoptr(GError) error = NULL;
          partials[i] = dmpi_groupby_partial (piece, keys, n_keys, SPECS (&s), s.specs->len, &error);
          g_assert_no_error (error);
          partials[i] = round_trip (partials[i]);
        }
      for (guint shape = 0; shape < 5; shape++)
        {
          g_autoptr(DmpiTable) st = combine_tree (partials, 0, n_pieces, shape, r, keys, n_keys, &s);
          g_autoptr(GError) error = NULL;
          g_autoptr(DmpiTable) got = dmpi_groupby_finalize (st, keys, n_keys, SPECS (&s), s.specs->len, &error);
          g_assert_no_error (error);
          assert_tables_close (got, whole, 1e-12);
        }
      for (guint i = 0; i < n_pieces; i++)
        dmpi_table_free (partials[i]);
    }
  specs_clear (&s);
}

/* Tables of several chunks (DMPI_GROUP_CHUNK rows are grouped at a time):
 * groups that carry over, and many groups (the hash table grows). */
static void
test_chunks (void)
{
  g_autoptr(GRand) r = g_rand_new_with_seed (12);
  Specs s;
  specs_all (&s);
  for (guint spread_i = 0; spread_i < 2; spread_i++)
    {
      g_autoptr(DmpiTable) t = random_table (r, 30000, spread_i == 0 ? 1 : 1000003);
      /* A string key: the hash table; k1 and b, with k1 not spread: the direct array */
      const char *keys[] = { "k1", "k2" }, *ints[] = { "k1", "b" }, *many[] = { "i32" };
      g_autoptr(DmpiTable) got = run_whole (t, keys, 2, &s);
      g_autoptr(DmpiTable) want = ref_groupby (t, keys, 2, SPECS (&s), s.specs->len);
      assert_tables_close (got, want, 1e-12);
      g_autoptr(DmpiTable) got1 = run_whole (t, ints, 2, &s);
      g_autoptr(DmpiTable) want1 = ref_groupby (t, ints, 2, SPECS (&s), s.specs->len);
      assert_tables_close (got1, want1, 1e-12);
      if (spread_i == 1)
        {
          g_autoptr(DmpiTable) got2 = run_whole (t, many, 1, &s);
          g_autoptr(DmpiTable) want2 = ref_groupby (t, many, 1, SPECS (&s), s.specs->len);
          g_assert_cmpuint (want2->n_rows, >, 1500);
          assert_tables_close (got2, want2, 1e-12);
        }
    }
  specs_clear (&s);
}

/* First and last follow the order of the states given to combine. */
static void
test_order (void)
{
  const char *keys[] = { "k" };
  const DmpiAggSpec aggs[] = { { DMPI_AGG_FIRST, "v", "first" }, { DMPI_AGG_LAST, "v", "last" } };
  DmpiTable *p[2];
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(DmpiTable) t = dmpi_table_new ();
      DmpiColumn *k = dmpi_column_new ("k", I64, 0), *v = dmpi_column_new ("v", STR, 0);
      dmpi_column_append_int64 (k, 1);
      dmpi_column_append_string (v, i == 0 ? "A" : "B", -1);
      dmpi_column_append_int64 (k, 1);
      dmpi_column_append_missing (v);
      dmpi_table_add_column (t, k);
      dmpi_table_add_column (t, v);
      g_autoptr(GError) error = NULL;
      p[i] = dmpi_groupby_partial (t, keys, 1, aggs, 2, &error);
      g_assert_no_error (error);
    }
  for (guint order = 0; order < 2; order++)
    {
      DmpiTable *two[2] = { p[order], p[1 - order] };
      g_autoptr(GError) error = NULL;
      g_autoptr(DmpiTable) st = dmpi_groupby_combine (two, 2, keys, 1, aggs, 2, &error);
      g_assert_no_error (error);
      g_autoptr(DmpiTable) out = dmpi_groupby_finalize (st, keys, 1, aggs, 2, &error);
      g_assert_no_error (error);
      g_autofree char *first = dmpi_table_format_value (out, 1, 0);
      g_autofree char *last = dmpi_table_format_value (out, 2, 0);
      g_assert_cmpstr (first, ==, order == 0 ? "A" : "B");
      g_assert_cmpstr (last, ==, order == 0 ? "B" : "A");
    }
  dmpi_table_free (p[0]);
  dmpi_table_free (p[1]);
}

/* No keys: one row, even for no input (pandas' df.agg); with keys and no
 * input, no row. */
static void
test_reduction (void)
{
  g_autoptr(GRand) r = g_rand_new_with_seed (3);
  g_autoptr(DmpiTable) full = random_table (r, 500, 1);
  g_autoptr(DmpiTable) empty = dmpi_table_head (full, 0);
  Specs s;
  specs_all (&s);
  g_autoptr(GError) error = NULL;

  g_autoptr(DmpiTable) out = run_whole (empty, NULL, 0, &s);
  g_assert_cmpuint (out->n_rows, ==, 1);
  for (guint a = 0; a < s.specs->len; a++)
    {
      const DmpiAggSpec *spec = &SPECS (&s)[a];
      const DmpiColumn *c = dmpi_table_column (out, a);
      gboolean zero = spec->op == DMPI_AGG_SIZE || spec->op == DMPI_AGG_COUNT ||
                      spec->op == DMPI_AGG_SUM || spec->op == DMPI_AGG_NUNIQUE;
      g_autofree char *v = dmpi_table_format_value (out, a, 0);
      g_assert_cmpstr (c->name, ==, spec->name);
      if (!zero)
        g_assert_false (dmpi_column_is_valid (c, 0));
      else
        g_assert_cmpstr (v, ==, c->type == DUR ? "0ns" : "0");
    }
  g_autoptr(DmpiTable) want = ref_groupby (empty, NULL, 0, SPECS (&s), s.specs->len);
  assert_tables_close (out, want, 0);

  /* Reductions combine: an empty piece, two halves. */
  DmpiTable *p[3];
  g_autoptr(DmpiTable) h1 = dmpi_table_slice (full, 0, 200);
  g_autoptr(DmpiTable) h2 = dmpi_table_slice (full, 200, 300);
  p[0] = dmpi_groupby_partial (h1, NULL, 0, SPECS (&s), s.specs->len, &error);
  p[1] = dmpi_groupby_partial (empty, NULL, 0, SPECS (&s), s.specs->len, &error);
  p[2] = dmpi_groupby_partial (h2, NULL, 0, SPECS (&s), s.specs->len, &error);
  g_assert_no_error (error);
  g_autoptr(DmpiTable) st = dmpi_groupby_combine (p, 3, NULL, 0, SPECS (&s), s.specs->len, &error);
  g_assert_no_error (error);
  g_autoptr(DmpiTable) got = dmpi_groupby_finalize (st, NULL, 0, SPECS (&s), s.specs->len, &error);
  g_assert_no_error (error);
  g_autoptr(DmpiTable) want_full = ref_groupby (full, NULL, 0, SPECS (&s), s.specs->len);
  assert_tables_close (got, want_full, 1e-12);
  for (guint i = 0; i < 3; i++)
    dmpi_table_free (p[i]);

  /* Keys and no rows: no group, the output schema. */
  const char *keys[] = { "k2", "ts" };
  g_autoptr(DmpiTable) none = run_whole (empty, keys, 2, &s);
  g_assert_cmpuint (none->n_rows, ==, 0);
  g_assert_cmpuint (dmpi_table_n_columns (none), ==, 2 + s.specs->len);
  g_assert_cmpint (dmpi_table_column (none, 1)->type, ==, TS);
  specs_clear (&s);
}

/* Numeric corners: wrapping integer sums, infinities, exact means of
 * timestamps near the end of int64, truncation toward zero. */
static void
test_corners (void)
{
  g_autoptr(DmpiTable) t = dmpi_table_new ();
  DmpiColumn *k = dmpi_column_new ("k", I32, 0), *i = dmpi_column_new ("i", I64, 0);
  DmpiColumn *f = dmpi_column_new ("f", F64, 0), *ts = dmpi_column_new ("ts", TS, 0);
  DmpiColumn *du = dmpi_column_new ("du", DUR, 0);
  const struct { gint32 k; gint64 i; gdouble f; gint64 ts, du; } rows[] = {
    { 1, G_MAXINT64, 1, G_MAXINT64 - 10, -1 },
    { 1, 1, INFINITY, G_MAXINT64 - 21, -2 },
    { 2, G_MININT64, INFINITY, G_MININT64 + 1, 5 },
    { 2, -1, -INFINITY, G_MININT64 + 2, 6 },
  };
  for (guint r = 0; r < G_N_ELEMENTS (rows); r++)
    {
      dmpi_column_append_int32 (k, rows[r].k);
      dmpi_column_append_int64 (i, rows[r].i);
      dmpi_column_append_float64 (f, rows[r].f);
      dmpi_column_append_int64 (ts, rows[r].ts);
      dmpi_column_append_int64 (du, rows[r].du);
    }
  dmpi_table_add_column (t, k);
  dmpi_table_add_column (t, i);
  dmpi_table_add_column (t, f);
  dmpi_table_add_column (t, ts);
  dmpi_table_add_column (t, du);
  const char *keys[] = { "k" };
  const DmpiAggSpec aggs[] = {
    { DMPI_AGG_SUM, "i", "isum" }, { DMPI_AGG_SUM, "f", "fsum" }, { DMPI_AGG_MEAN, "ts", "tmean" },
    { DMPI_AGG_MEAN, "du", "dmean" }, { DMPI_AGG_MEAN, "i", "imean" },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(DmpiTable) st = dmpi_groupby_partial (t, keys, 1, aggs, 5, &error);
  g_assert_no_error (error);
  g_autoptr(DmpiTable) out = dmpi_groupby_finalize (st, keys, 1, aggs, 5, &error);
  g_assert_no_error (error);
  const gint64 *isum = DMPI_COLUMN_INT64 (dmpi_table_get_column (out, "isum"));
  const gdouble *fsum = DMPI_COLUMN_FLOAT64 (dmpi_table_get_column (out, "fsum"));
  const gint64 *tmean = DMPI_COLUMN_INT64 (dmpi_table_get_column (out, "tmean"));
  const gint64 *dmean = DMPI_COLUMN_INT64 (dmpi_table_get_column (out, "dmean"));
  const gdouble *imean = DMPI_COLUMN_FLOAT64 (dmpi_table_get_column (out, "imean"));
  g_assert_cmpint (isum[0], ==, G_MININT64);                 /* wrapped, as NumPy */
  g_assert_cmpint (isum[1], ==, G_MAXINT64);
  g_assert_true (isinf (fsum[0]) && fsum[0] > 0);             /* pandas 2; 1.x gives NaN */
  g_assert_true (isnan (fsum[1]));
  g_assert_cmpint (tmean[0], ==, G_MAXINT64 - 16);            /* -15.5 toward zero: exact */
  g_assert_cmpint (tmean[1], ==, G_MININT64 + 2);             /* +1.5 toward zero */
  g_assert_cmpint (dmean[0], ==, -1);                         /* -1.5 toward zero, as pandas */
  g_assert_cmpint (dmean[1], ==, 5);
  g_assert_cmpfloat (imean[0], ==, 4611686018427387904.0);
  g_assert_cmpfloat (imean[1], ==, -4611686018427387904.5);
}

/* States that do not match the specs are refused, naming the difference. */
static void
test_state_errors (void)
{
  DmpiTable *t[2];
  for (guint n = 0; n < 2; n++)
    {
      t[n] = dmpi_table_new ();
      DmpiColumn *k = dmpi_column_new ("k", I64, 0), *x = dmpi_column_new ("x", n == 0 ? F64 : F32, 0);
      for (gint i = 0; i < 10; i++)
        {
          dmpi_column_append_int64 (k, i % 3);
          if (n == 0)
            dmpi_column_append_float64 (x, i);
          else
            dmpi_column_append_float32 (x, (gfloat) i);
        }
      dmpi_table_add_column (t[n], k);
      dmpi_table_add_column (t[n], x);
    }
  const char *keys[] = { "k" }, *other_keys[] = { "x" };
  const DmpiAggSpec aggs[] = { { DMPI_AGG_SUM, "x", "s" }, { DMPI_AGG_MEAN, "x", "m" } };
  const DmpiAggSpec other[] = { { DMPI_AGG_SUM, "x", "s" }, { DMPI_AGG_MAX, "x", "m" } };
  g_autoptr(GError) error = NULL;
  DmpiTable *p[2];
  for (guint n = 0; n < 2; n++)
    {
      p[n] = dmpi_groupby_partial (t[n], keys, 1, aggs, 2, &error);
      g_assert_no_error (error);
    }

  g_assert_null (dmpi_groupby_finalize (p[0], keys, 1, other, 2, &error));
  g_assert_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, "group-by state column 3 is 'm:mean.float64', expected m:max.<type> for max(x)");
  g_clear_error (&error);
  g_assert_null (dmpi_groupby_finalize (p[0], other_keys, 1, aggs, 2, &error));
  g_assert_cmpstr (error->message, ==, "group-by state column 0 is 'k', expected the key 'x'");
  g_clear_error (&error);
  g_assert_null (dmpi_groupby_finalize (p[0], keys, 1, aggs, 1, &error));
  g_assert_cmpstr (error->message, ==, "group-by state has 6 columns, 3 more than its keys and aggregations");
  g_clear_error (&error);
  g_assert_null (dmpi_groupby_combine (p, 0, keys, 1, aggs, 2, &error));
  g_assert_cmpstr (error->message, ==, "group-by combine: no partial state to combine");
  g_clear_error (&error);
  g_assert_null (dmpi_groupby_combine (p, 2, keys, 1, aggs, 2, &error));
  g_assert_cmpstr (error->message, ==, "group-by combine: concat: column 1 of table 1 is "
                   "'s:sum.float32' (float64), of table 0 's:sum.float64' (float64)");
  g_clear_error (&error);
  g_assert_null (dmpi_groupby_combine (p, 2, keys, 1, other, 2, &error));
  g_assert_cmpstr (error->message, ==, "partial state 0: group-by state column 3 is 'm:mean.float64', "
                   "expected m:max.<type> for max(x)");
  g_clear_error (&error);
  /* A state without keys has one row. */
  {
    const DmpiAggSpec sz[] = { { DMPI_AGG_SIZE, NULL, "n" } };
    g_autoptr(DmpiTable) r1 = dmpi_groupby_partial (t[0], NULL, 0, sz, 1, &error);
    g_assert_no_error (error);
    DmpiTable *rr[2] = { r1, r1 };
    g_autoptr(DmpiTable) r2 = dmpi_table_concat (rr, 2, &error);
    g_assert_null (dmpi_groupby_finalize (r2, NULL, 0, sz, 1, &error));
    g_assert_cmpstr (error->message, ==, "group-by state without keys has 2 rows, not one");
    g_clear_error (&error);
  }
  /* A corrupt distinct set (as a deserialised state could hold). */
  {
    const DmpiAggSpec nu[] = { { DMPI_AGG_NUNIQUE, "x", "n" } };
    g_autoptr(DmpiTable) st = dmpi_groupby_partial (t[0], keys, 1, nu, 1, &error);
    g_assert_no_error (error);
    DmpiColumn *set = dmpi_table_column (st, 1);
    g_assert_cmpuint (set->offsets[1], ==, 4 * 8);
    set->offsets[1] = 4 * 8 - 1;
    g_assert_null (dmpi_groupby_finalize (st, keys, 1, nu, 1, &error));
    g_assert_cmpstr (error->message, ==, "group-by finalize: nunique state column 'n:nunique.float64' is corrupt at row 0");
    g_clear_error (&error);
  }
  for (guint n = 0; n < 2; n++)
    {
      dmpi_table_free (p[n]);
      dmpi_table_free (t[n]);
    }
}

/* ---- table operations ---- */

static DmpiTable *
sort_table (void)
{
  DmpiTable *t = dmpi_table_new ();
  DmpiColumn *id = dmpi_column_new ("id", I32, 0), *a = dmpi_column_new ("a", I64, 0);
  DmpiColumn *f = dmpi_column_new ("f", F64, 0), *s = dmpi_column_new ("s", STR, 0);
  /* id    0     1    2     3     4    5    6     7 */
  const gint64 av[] = { 3, 1, 0, 3, 1, 0, 2, 1 };
  const gdouble fv[] = { 0.5, NAN, -1, 0.5, 2, -0.0, 0, NAN };
  const char *sv[] = { "b", "a", NULL, "ab", "", "a", NULL, "b" };
  for (gint i = 0; i < 8; i++)
    {
      dmpi_column_append_int32 (id, i);
      if (i == 2 || i == 6)
        dmpi_column_append_missing (a);
      else
        dmpi_column_append_int64 (a, av[i]);
      dmpi_column_append_float64 (f, fv[i]);
      if (sv[i] == NULL)
        dmpi_column_append_missing (s);
      else
        dmpi_column_append_string (s, sv[i], -1);
    }
  dmpi_table_add_column (t, id);
  dmpi_table_add_column (t, a);
  dmpi_table_add_column (t, f);
  dmpi_table_add_column (t, s);
  return t;
}

static void
assert_order (DmpiTable *t, const char *const *cols, const gboolean *asc, guint n, const char *want)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DmpiTable) s = dmpi_table_sort (t, cols, asc, n, &error);
  g_assert_no_error (error);
  g_autoptr(GString) got = g_string_new (NULL);
  for (gsize r = 0; r < s->n_rows; r++)
    g_string_append_printf (got, "%d", DMPI_COLUMN_INT32 (dmpi_table_column (s, 0))[r]);
  g_assert_cmpstr (got->str, ==, want);
}

static void
test_sort (void)
{
  g_autoptr(DmpiTable) t = sort_table ();
  const char *a[] = { "a" }, *f[] = { "f" }, *s[] = { "s" }, *sa[] = { "s", "a" }, *af[] = { "a", "f" };
  const gboolean up[] = { TRUE, TRUE }, down[] = { FALSE, FALSE }, down_up[] = { FALSE, TRUE };
  /* Stable, missing last in both directions. */
  assert_order (t, a, up, 1, "51470326");
  assert_order (t, a, NULL, 1, "51470326");
  assert_order (t, a, down, 1, "03147526");
  /* NaN last; -0.0 equals 0.0 */
  assert_order (t, f, up, 1, "25603417");
  assert_order (t, f, down, 1, "40356217");
  /* Strings bytewise, "" first */
  assert_order (t, s, up, 1, "41530726");
  assert_order (t, sa, down_up, 2, "70351426");
  assert_order (t, af, down_up, 2, "03417526");
  g_autoptr(DmpiTable) same = dmpi_table_sort (t, NULL, NULL, 0, NULL);
  g_assert_cmpuint (same->n_rows, ==, 8);
  g_assert_cmpint (DMPI_COLUMN_INT32 (dmpi_table_column (same, 0))[7], ==, 7);

  g_autoptr(GError) error = NULL;
  const char *bad[] = { "a", "nope" };
  g_assert_null (dmpi_table_sort (t, bad, NULL, 2, &error));
  g_assert_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_MISSING_COLUMN);
  g_assert_cmpstr (error->message, ==, "sort: unknown column 'nope' (columns: id, a, f, s)");
  g_clear_error (&error);

  /* A large random table: ordered, ties in their original order. */
  g_autoptr(GRand) r = g_rand_new_with_seed (8);
  g_autoptr(DmpiTable) big = random_table (r, 5000, 1);
  DmpiColumn *id = dmpi_column_new ("id", I64, 0);
  for (gint64 i = 0; i < 5000; i++)
    dmpi_column_append_int64 (id, i);
  dmpi_table_add_column (big, id);
  const char *cols[] = { "k2", "b", "f32" };
  const gboolean down_up_up[] = { FALSE, TRUE, TRUE };
  g_autoptr(DmpiTable) sorted = dmpi_table_sort (big, cols, down_up_up, 3, &error);
  g_assert_no_error (error);
  const DmpiColumn *sc[3], *sid = dmpi_table_get_column (sorted, "id");
  for (guint c = 0; c < 3; c++)
    sc[c] = dmpi_table_get_column (sorted, cols[c]);
  for (gsize i = 1; i < 5000; i++)
    {
      int cmp = 0;
      for (guint c = 0; c < 3 && cmp == 0; c++)
        {
          gboolean pa = ref_present (sc[c], i - 1), pb = ref_present (sc[c], i);
          if (!pa || !pb)
            cmp = pa == pb ? 0 : pa ? -1 : 1;
          else
            cmp = ref_compare (sc[c], i - 1, i) * (c == 0 ? -1 : 1);
        }
      g_assert_cmpint (cmp, <=, 0);
      if (cmp == 0)
        g_assert_cmpint (DMPI_COLUMN_INT64 (sid)[i - 1], <, DMPI_COLUMN_INT64 (sid)[i]);
    }
}

static void
test_concat (void)
{
  g_autoptr(DmpiTable) t = sort_table ();
  g_autoptr(DmpiTable) h = dmpi_table_head (t, 3);
  g_autoptr(DmpiTable) none = dmpi_table_head (t, 0);
  g_autoptr(DmpiTable) tail = dmpi_table_slice (t, 3, 5);
  g_autoptr(GError) error = NULL;
  g_assert_cmpuint (h->n_rows, ==, 3);
  g_autoptr(DmpiTable) all = dmpi_table_head (t, 100);
  g_assert_cmpuint (all->n_rows, ==, 8);

  DmpiTable *parts[] = { h, none, tail };
  g_autoptr(DmpiTable) back = dmpi_table_concat (parts, 3, &error);
  g_assert_no_error (error);
  assert_tables_close (back, t, 0);
  /* A valid array appears when a later table has one. */
  DmpiTable *parts2[] = { tail, h };
  g_autoptr(DmpiTable) swapped = dmpi_table_concat (parts2, 2, &error);
  g_assert_no_error (error);
  g_assert_false (dmpi_column_is_valid (dmpi_table_get_column (swapped, "a"), 7));
  g_assert_true (dmpi_column_is_valid (dmpi_table_get_column (swapped, "a"), 6));
  gsize len;
  const char *s = dmpi_column_get_string (dmpi_table_get_column (swapped, "s"), 5, &len);
  g_assert_cmpmem (s, len, "b", 1);
  g_autoptr(DmpiTable) nothing = dmpi_table_concat (NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dmpi_table_n_columns (nothing), ==, 0);

  /* take: repeats and any order */
  const gsize rows[] = { 7, 7, 0, 2 };
  g_autoptr(DmpiTable) taken = dmpi_table_take (t, rows, 4);
  g_autofree char *v = dmpi_table_format_value (taken, 3, 1);
  g_assert_cmpstr (v, ==, "b");
  g_assert_false (dmpi_column_is_valid (dmpi_table_get_column (taken, "a"), 3));

  /* Errors name the first difference. */
  g_autoptr(DmpiTable) fewer = dmpi_table_head (t, 2);
  dmpi_column_free (g_ptr_array_steal_index (fewer->columns, 3));
  DmpiTable *bad1[] = { t, h, fewer };
  g_assert_null (dmpi_table_concat (bad1, 3, &error));
  g_assert_cmpstr (error->message, ==, "concat: table 2 has 3 columns, table 0 has 4");
  g_clear_error (&error);
  g_autoptr(DmpiTable) renamed = dmpi_table_head (t, 2);
  g_free (dmpi_table_column (renamed, 2)->name);
  dmpi_table_column (renamed, 2)->name = g_strdup ("g");
  DmpiTable *bad2[] = { t, renamed };
  g_assert_null (dmpi_table_concat (bad2, 2, &error));
  g_assert_cmpstr (error->message, ==, "concat: column 2 of table 1 is 'g' (float64), of table 0 'f' (float64)");
  g_clear_error (&error);
  g_autoptr(DmpiTable) retyped = dmpi_table_new ();
  for (guint c = 0; c < 4; c++)
    dmpi_table_add_column (retyped, dmpi_column_new (dmpi_table_column (t, c)->name,
                                                     c == 1 ? I32 : dmpi_table_column (t, c)->type, 0));
  DmpiTable *bad3[] = { t, retyped };
  g_assert_null (dmpi_table_concat (bad3, 2, &error));
  g_assert_cmpstr (error->message, ==, "concat: column 1 of table 1 is 'a' (int32), of table 0 'a' (int64)");
}

/* The reference job's shape: 4 int64 keys of ~2,000 groups, size, an
 * integer sum, a float sum and two float means. 10 M rows with -m perf,
 * 1 M otherwise. */
static void
test_perf (void)
{
  gsize n = g_test_perf () ? 10000000 : 1000000;
  g_autoptr(GRand) r = g_rand_new_with_seed (1);
  g_autoptr(DmpiTable) t = dmpi_table_new ();
  const char *names[] = { "year", "month", "hour", "payment_type", "passengers", "distance", "fare", "tip" };
  DmpiColumn *c[8];
  for (guint i = 0; i < 8; i++)
    {
      c[i] = dmpi_column_new (names[i], i < 5 ? I64 : F64, n);
      c[i]->n_rows = n;
    }
  for (gsize i = 0; i < n; i++)
    {
      guint32 x = g_rand_int (r);
      DMPI_COLUMN_INT64 (c[0])[i] = 2015;
      DMPI_COLUMN_INT64 (c[1])[i] = 1 + x % 12;
      DMPI_COLUMN_INT64 (c[2])[i] = (x >> 4) % 24;
      DMPI_COLUMN_INT64 (c[3])[i] = (gint64) ((x >> 9) % 7) - 1;
      DMPI_COLUMN_INT64 (c[4])[i] = 1 + (x >> 12) % 6;
      DMPI_COLUMN_FLOAT64 (c[5])[i] = (x >> 16) * 0.001;
      DMPI_COLUMN_FLOAT64 (c[6])[i] = (x >> 8) * 0.0001;
      DMPI_COLUMN_FLOAT64 (c[7])[i] = (x & 0xffff) * 0.0001;
    }
  for (guint i = 0; i < 8; i++)
    dmpi_table_add_column (t, c[i]);
  const DmpiAggSpec aggs[] = {
    { DMPI_AGG_SIZE, NULL, "trips" }, { DMPI_AGG_SUM, "passengers", "passengers" },
    { DMPI_AGG_SUM, "distance", "distance_sum" }, { DMPI_AGG_MEAN, "fare", "fare_mean" },
    { DMPI_AGG_MEAN, "tip", "tip_mean" },
  };
  for (guint wide = 0; wide < 2; wide++)
    {
      /* Wide: the same groups, but key values far apart (the hash table). */
      if (wide)
        for (gsize i = 0; i < n; i++)
          DMPI_COLUMN_INT64 (c[1])[i] *= G_GINT64_CONSTANT (1000000007);
      g_autoptr(GError) error = NULL;
      g_autoptr(DmpiTable) st = NULL;
      gdouble wall = G_MAXDOUBLE, cpu = G_MAXDOUBLE;
      /* The best of three: the machine is shared. CPU time too, for the same reason. */
      for (guint rep = 0; rep < (g_test_perf () ? 3u : 1u); rep++)
        {
          struct timespec c0, c1;
          g_clear_pointer (&st, dmpi_table_free);
          clock_gettime (CLOCK_THREAD_CPUTIME_ID, &c0);
          gint64 t0 = g_get_monotonic_time ();
          st = dmpi_groupby_partial (t, names, 4, aggs, 5, &error);
          gint64 t1 = g_get_monotonic_time ();
          clock_gettime (CLOCK_THREAD_CPUTIME_ID, &c1);
          g_assert_no_error (error);
          wall = MIN (wall, (t1 - t0) / 1e6);
          cpu = MIN (cpu, (c1.tv_sec - c0.tv_sec) + (c1.tv_nsec - c0.tv_nsec) / 1e9);
        }
      gint64 t2 = g_get_monotonic_time ();
      g_autoptr(DmpiTable) out = dmpi_groupby_finalize (st, names, 4, aggs, 5, &error);
      gint64 t3 = g_get_monotonic_time ();
      g_assert_no_error (error);
      g_assert_cmpuint (out->n_rows, ==, 12 * 24 * 7);
      g_test_message ("partial of %" G_GSIZE_FORMAT " rows, 4 int64 keys (%s), %" G_GSIZE_FORMAT
                      " groups, 5 aggregations: %.3f s wall, %.3f s CPU (%.1f M rows/s); finalize %.3f ms",
                      n, wide ? "wide values: hash table" : "small ranges: direct array",
                      st->n_rows, wall, cpu, n / cpu / 1e6, (t3 - t2) / 1e3);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/df/groupby/parse", test_parse);
  g_test_add_func ("/df/groupby/check", test_check);
  g_test_add_func ("/df/groupby/ops", test_ops);
  g_test_add_func ("/df/groupby/nan", test_nan);
  g_test_add_func ("/df/groupby/missing-keys", test_missing_keys);
  g_test_add_func ("/df/groupby/key-types", test_key_types);
  g_test_add_func ("/df/groupby/tree", test_tree);
  g_test_add_func ("/df/groupby/chunks", test_chunks);
  g_test_add_func ("/df/groupby/order", test_order);
  g_test_add_func ("/df/groupby/reduction", test_reduction);
  g_test_add_func ("/df/groupby/corners", test_corners);
  g_test_add_func ("/df/groupby/state-errors", test_state_errors);
  g_test_add_func ("/df/table/sort", test_sort);
  g_test_add_func ("/df/table/concat", test_concat);
  g_test_add_func ("/df/groupby/perf", test_perf);
  return g_test_run ();
}
