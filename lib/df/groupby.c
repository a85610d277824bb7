/* Group-by over partitions: the partial state of a partition, the combine of
 * states, the final table (layout and semantics in groupby.h).
 *
 * Rows go a chunk at a time: the grouper gives the chunk's group ids, then
 * each aggregation runs one tight loop over (group id, value) pairs into
 * its state arrays, indexed by group id. Group 0 collects the rows whose
 * key is missing and is dropped at the end, so the loops test nothing but
 * the value's own presence. */
#include "config.h"

#include "df/groupby-private.h"

#include <math.h>
#include <string.h>

#define NONE G_MAXSIZE

/* ---- presence of values, and loops over them ---- */

#define NO_NAN(v) ((void) (v), FALSE)
#define IS_NAN(v) isnan (v)

/* Runs the body for each row start + i of the chunk whose value v (of C
 * type T) is present (not missing, not NaN), with g its group; all_ is the
 * whole column. Needs in, start, n and gids. */
#define EACH_PRESENT(T, NAN_TEST, ...) \
  do { \
    const T *all_ = (const T *) in->data; \
    const T *vals_ = all_ + start; \
    (void) all_; \
    if (in->valid == NULL) \
      for (gsize i = 0; i < n; i++) \
        { \
          T v = vals_[i]; \
          guint32 g = gids[i]; \
          if (NAN_TEST (v)) \
            continue; \
          __VA_ARGS__ \
        } \
    else \
      for (gsize i = 0; i < n; i++) \
        { \
          T v = vals_[i]; \
          guint32 g = gids[i]; \
          if (!in->valid[start + i] || NAN_TEST (v)) \
            continue; \
          __VA_ARGS__ \
        } \
  } while (0)

/* EACH_PRESENT over a column of any fixed-size type. */
#define EACH_PRESENT_ANY(...) \
  switch (in->type) \
    { \
    case DMPI_COL_INT32: EACH_PRESENT (gint32, NO_NAN, __VA_ARGS__); break; \
    case DMPI_COL_FLOAT32: EACH_PRESENT (gfloat, IS_NAN, __VA_ARGS__); break; \
    case DMPI_COL_FLOAT64: EACH_PRESENT (gdouble, IS_NAN, __VA_ARGS__); break; \
    case DMPI_COL_BOOL: EACH_PRESENT (guint8, NO_NAN, __VA_ARGS__); break; \
    default: EACH_PRESENT (gint64, NO_NAN, __VA_ARGS__); break; \
    }

/* Kahan's summation, as pandas sums: the value is s - c. An infinite sum
 * drops its compensation (which would turn it into NaN, as pandas 1.x
 * does; pandas 2 gives the infinity). */
static inline void
kahan_add (gdouble *s, gdouble *c, gdouble x)
{
  gdouble y = x - *c;
  gdouble t = *s + y;
  *c = (t - *s) - y;
  *s = t;
  if (G_UNLIKELY (!isfinite (t)))
    *c = 0;
}

/* The exact 128-bit sum of timestamps and durations: lo and hi halves,
 * two's complement, in unsigned arithmetic (no overflow to trap). */
static inline void
add128 (gint64 *lo, gint64 *hi, guint64 add_lo, guint64 add_hi)
{
  guint64 l = (guint64) *lo, nl = l + add_lo;
  *hi = (gint64) ((guint64) *hi + add_hi + (nl < l));
  *lo = (gint64) nl;
}

/* sum / count truncated toward zero (what pandas' cast of its float mean
 * does), by long division of the magnitude. */
static gint64
mean128 (gint64 lo, gint64 hi, gint64 count)
{
  gboolean neg = hi < 0;
  guint64 ul = (guint64) lo, uh = (guint64) hi;
  if (neg)
    {
      ul = ~ul + 1;
      uh = ~uh + (ul == 0);
    }
  guint64 d = (guint64) count, r = 0, q = 0;
  for (int bit = 127; bit >= 0; bit--)
    {
      r = (r << 1) | ((bit >= 64 ? uh >> (bit - 64) : ul >> bit) & 1);
      if (r >= d)
        {
          r -= d;
          if (bit < 64)
            q |= G_GUINT64_CONSTANT (1) << bit;
        }
    }
  return (gint64) (neg ? 0 - q : q);
}

/* ---- kernels over one chunk: raw values (partial) or states (combine) ---- */

static void
k_size (const guint32 *gids, gsize n, gint64 *count)
{
  for (gsize i = 0; i < n; i++)
    count[gids[i]]++;
}

static void
k_count (const DmpiColumn *in, gsize start, gsize n, const guint32 *gids, gint64 *count)
{
  if (in->type == DMPI_COL_STRING)
    {
      for (gsize i = 0; i < n; i++)
        count[gids[i]] += in->valid == NULL || in->valid[start + i];
      return;
    }
  EACH_PRESENT_ANY (count[g]++;)
}

/* Integer sums wrap around as NumPy's (unsigned arithmetic). */
static void
k_sum_int (const DmpiColumn *in, gsize start, gsize n, const guint32 *gids, gint64 *sum)
{
  guint64 *s = (guint64 *) sum;
  EACH_PRESENT_ANY (s[g] += (guint64) (gint64) v;)
}

static void
k_sum_float (const DmpiColumn *in, gsize start, gsize n, const guint32 *gids,
             gdouble *sum, gdouble *comp, gint64 *count)
{
  if (count != NULL)
    {
      EACH_PRESENT_ANY (kahan_add (&sum[g], &comp[g], (gdouble) v); count[g]++;)
    }
  else
    {
      EACH_PRESENT_ANY (kahan_add (&sum[g], &comp[g], (gdouble) v);)
    }
}

static void
k_sum128 (const DmpiColumn *in, gsize start, gsize n, const guint32 *gids,
          gint64 *lo, gint64 *hi, gint64 *count)
{
  EACH_PRESENT (gint64, NO_NAN,
                add128 (&lo[g], &hi[g], (guint64) v, v < 0 ? G_MAXUINT64 : 0);
                count[g]++;);
}

/* Count, mean and the sum of squared differences from the mean, by
 * Welford's updates (as pandas). */
static void
k_moments (const DmpiColumn *in, gsize start, gsize n, const guint32 *gids,
           gint64 *count, gdouble *mean, gdouble *m2)
{
  EACH_PRESENT_ANY (gdouble x = (gdouble) v;
                    gdouble d = x - mean[g];
                    count[g]++;
                    mean[g] += d / (gdouble) count[g];
                    m2[g] += d * (x - mean[g]);)
}

/* The row each group keeps for min, max, first or last (NONE: no value). */
static void
k_pick (DmpiAggOp op, const DmpiColumn *in, gsize start, gsize n, const guint32 *gids, gsize *best)
{
  if (in->type == DMPI_COL_STRING)
    {
      for (gsize i = 0; i < n; i++)
        {
          guint32 g = gids[i];
          gsize row = start + i;
          if (in->valid != NULL && !in->valid[row])
            continue;
          if (op == DMPI_AGG_LAST || best[g] == NONE)
            {
              best[g] = row;
              continue;
            }
          if (op == DMPI_AGG_FIRST)
            continue;
          guint32 oa = in->offsets[row], la = in->offsets[row + 1] - oa;
          guint32 ob = in->offsets[best[g]], lb = in->offsets[best[g] + 1] - ob;
          int r = MIN (la, lb) > 0 ? memcmp (in->chars + oa, in->chars + ob, MIN (la, lb)) : 0;
          if (r == 0)
            r = (la > lb) - (la < lb);
          if (op == DMPI_AGG_MIN ? r < 0 : r > 0)
            best[g] = row;
        }
      return;
    }
  switch (op)
    {
    case DMPI_AGG_FIRST:
      EACH_PRESENT_ANY (if (best[g] == NONE) best[g] = start + i;)
      break;
    case DMPI_AGG_LAST:
      EACH_PRESENT_ANY (best[g] = start + i;)
      break;
    case DMPI_AGG_MIN:
      EACH_PRESENT_ANY (if (best[g] == NONE || v < all_[best[g]]) best[g] = start + i;)
      break;
    case DMPI_AGG_MAX:
    default:
      EACH_PRESENT_ANY (if (best[g] == NONE || v > all_[best[g]]) best[g] = start + i;)
      break;
    }
}

/* Merges Kahan sums (the value of a state is sum - comp). */
static void
k_merge_kahan (const DmpiColumn *s_in, const DmpiColumn *c_in, gsize start, gsize n,
               const guint32 *gids, gdouble *sum, gdouble *comp)
{
  const gdouble *s = DMPI_COLUMN_FLOAT64 (s_in) + start, *c = DMPI_COLUMN_FLOAT64 (c_in) + start;
  for (gsize i = 0; i < n; i++)
    {
      kahan_add (&sum[gids[i]], &comp[gids[i]], s[i]);
      kahan_add (&sum[gids[i]], &comp[gids[i]], -c[i]);
    }
}

static void
k_merge128 (const DmpiColumn *lo_in, const DmpiColumn *hi_in, gsize start, gsize n,
            const guint32 *gids, gint64 *lo, gint64 *hi)
{
  const gint64 *l = DMPI_COLUMN_INT64 (lo_in) + start, *h = DMPI_COLUMN_INT64 (hi_in) + start;
  for (gsize i = 0; i < n; i++)
    add128 (&lo[gids[i]], &hi[gids[i]], (guint64) l[i], (guint64) h[i]);
}

/* Chan, Golub and LeVeque's pairwise update of (count, mean, M2), in row
 * order. */
static void
k_merge_moments (DmpiColumn *const *in, gsize start, gsize n, const guint32 *gids,
                 gint64 *count, gdouble *mean, gdouble *m2)
{
  const gint64 *nb_ = DMPI_COLUMN_INT64 (in[0]) + start;
  const gdouble *mb_ = DMPI_COLUMN_FLOAT64 (in[1]) + start, *m2b_ = DMPI_COLUMN_FLOAT64 (in[2]) + start;
  for (gsize i = 0; i < n; i++)
    {
      guint32 g = gids[i];
      gint64 na = count[g], nb = nb_[i];
      if (nb == 0)
        continue;
      if (na == 0)
        {
          count[g] = nb;
          mean[g] = mb_[i];
          m2[g] = m2b_[i];
          continue;
        }
      gdouble total = (gdouble) na + (gdouble) nb, delta = mb_[i] - mean[g];
      mean[g] += delta * ((gdouble) nb / total);
      m2[g] += m2b_[i] + delta * delta * ((gdouble) na * (gdouble) nb / total);
      /* Unsigned: a state from elsewhere must not overflow a signed count. */
      count[g] = (gint64) ((guint64) na + (guint64) nb);
    }
}

/* ---- one aggregation's state while rows go through ---- */

typedef struct {
  const DmpiAggSpec *spec;
  DmpiColType        in_type;                  /* the input column's type */
  DmpiColumn *const *in;                       /* partial: the input column; combine: its state columns */
  DmpiAggLayout      layout;
  gpointer           arrays[DMPI_AGG_MAX_PARTS];   /* indexed by group id, zeroed */
  gsize             *best;                     /* min, max, first, last: a row per group */
  DmpiDistinct      *distinct;                 /* nunique */
  gsize              cap;                      /* entries of arrays or best */
} Agg;

static gboolean
agg_picks (DmpiAggOp op)
{
  return op == DMPI_AGG_MIN || op == DMPI_AGG_MAX || op == DMPI_AGG_FIRST || op == DMPI_AGG_LAST;
}

static void
agg_init (Agg *a, const DmpiAggSpec *spec, DmpiColType in_type, DmpiColumn *const *in)
{
  memset (a, 0, sizeof *a);
  a->spec = spec;
  a->in_type = in_type;
  a->in = in;
  dmpi_agg_layout (spec->op, in_type, &a->layout);
  if (spec->op == DMPI_AGG_NUNIQUE)
    a->distinct = dmpi_distinct_new ();
}

static void
agg_clear (Agg *a)
{
  for (guint p = 0; p < DMPI_AGG_MAX_PARTS; p++)
    g_clear_pointer (&a->arrays[p], g_free);
  g_clear_pointer (&a->best, g_free);
  g_clear_pointer (&a->distinct, dmpi_distinct_free);
}

/* Room for group ids below need; new entries zeroed (best: NONE). */
static void
agg_reserve (Agg *a, gsize need)
{
  if (need <= a->cap || a->distinct != NULL)
    return;
  gsize cap = MAX (MAX (need, a->cap * 2), 64);
  if (agg_picks (a->spec->op))
    {
      a->best = g_renew (gsize, a->best, cap);
      memset (a->best + a->cap, 0xff, (cap - a->cap) * sizeof (gsize));
    }
  else
    for (guint p = 0; p < a->layout.n_parts; p++)
      {
        gsize size = dmpi_col_type_size (a->layout.types[p]);
        a->arrays[p] = g_realloc_n (a->arrays[p], cap, size);
        memset ((guint8 *) a->arrays[p] + a->cap * size, 0, (cap - a->cap) * size);
      }
  a->cap = cap;
}

static gboolean
agg_partial_chunk (Agg *a, gsize start, gsize n, const guint32 *gids, GError **error)
{
  const DmpiColumn *in = a->in != NULL ? a->in[0] : NULL;
  gpointer *x = a->arrays;

  if (agg_picks (a->spec->op))
    {
      k_pick (a->spec->op, in, start, n, gids, a->best);
      return TRUE;
    }
  switch (a->spec->op)
    {
    case DMPI_AGG_SIZE:
      k_size (gids, n, x[0]);
      break;
    case DMPI_AGG_COUNT:
      k_count (in, start, n, gids, x[0]);
      break;
    case DMPI_AGG_SUM:
      if (a->layout.n_parts == 2)
        k_sum_float (in, start, n, gids, x[0], x[1], NULL);
      else
        k_sum_int (in, start, n, gids, x[0]);
      break;
    case DMPI_AGG_MEAN:
      if (a->layout.types[0] == DMPI_COL_FLOAT64)
        k_sum_float (in, start, n, gids, x[0], x[1], x[2]);
      else
        k_sum128 (in, start, n, gids, x[0], x[1], x[2]);
      break;
    case DMPI_AGG_STD:
    case DMPI_AGG_VAR:
      k_moments (in, start, n, gids, x[0], x[1], x[2]);
      break;
    case DMPI_AGG_NUNIQUE:
      return dmpi_distinct_add_values (a->distinct, in, start, n, gids, error);
    default:
      g_assert_not_reached ();
    }
  return TRUE;
}

static gboolean
agg_combine_chunk (Agg *a, gsize start, gsize n, const guint32 *gids, GError **error)
{
  DmpiColumn *const *in = a->in;
  gpointer *x = a->arrays;

  /* A state of min, max, first or last reads as values. */
  if (agg_picks (a->spec->op))
    {
      k_pick (a->spec->op, in[0], start, n, gids, a->best);
      return TRUE;
    }
  switch (a->spec->op)
    {
    case DMPI_AGG_SIZE:
    case DMPI_AGG_COUNT:
      k_sum_int (in[0], start, n, gids, x[0]);
      break;
    case DMPI_AGG_SUM:
    case DMPI_AGG_MEAN:
      if (a->layout.types[0] == DMPI_COL_FLOAT64)
        k_merge_kahan (in[0], in[1], start, n, gids, x[0], x[1]);
      else if (a->layout.n_parts == 1)
        k_sum_int (in[0], start, n, gids, x[0]);
      else
        k_merge128 (in[0], in[1], start, n, gids, x[0], x[1]);
      if (a->spec->op == DMPI_AGG_MEAN)
        k_sum_int (in[2], start, n, gids, x[2]);
      break;
    case DMPI_AGG_STD:
    case DMPI_AGG_VAR:
      k_merge_moments (in, start, n, gids, x[0], x[1], x[2]);
      break;
    case DMPI_AGG_NUNIQUE:
      return dmpi_distinct_add_sets (a->distinct, in[0], a->in_type, start, n, gids, error);
    default:
      g_assert_not_reached ();
    }
  return TRUE;
}

/* The state columns of groups 1..n_groups, appended to t. */
static gboolean
agg_finish (Agg *a, gsize n_groups, DmpiTable *t, GError **error)
{
  g_autofree char *name = dmpi_agg_state_column_name (a->spec, a->in_type, 0);
  DmpiColumn *c;

  if (a->distinct != NULL)
    {
      c = dmpi_distinct_pack (a->distinct, name, n_groups, error);
      if (c == NULL)
        return FALSE;
      dmpi_table_add_column (t, c);
      return TRUE;
    }
  agg_reserve (a, n_groups + 1);
  if (a->best != NULL)
    {
      c = dmpi_column_take (a->in[0], a->best + 1, n_groups);
      g_free (c->name);
      c->name = g_steal_pointer (&name);
      dmpi_table_add_column (t, c);
      return TRUE;
    }
  for (guint p = 0; p < a->layout.n_parts; p++)
    {
      g_autofree char *pname = dmpi_agg_state_column_name (a->spec, a->in_type, p);
      gsize size = dmpi_col_type_size (a->layout.types[p]);
      c = dmpi_column_new (pname, a->layout.types[p], 0);
      g_free (c->data);
      /* Adopts the array, without group 0. */
      c->data = g_steal_pointer (&a->arrays[p]);
      memmove (c->data, (guint8 *) c->data + size, n_groups * size);
      c->capacity = a->cap;
      c->n_rows = n_groups;
      dmpi_table_add_column (t, c);
    }
  return TRUE;
}

/* Runs the rows of the key columns and the aggregations' inputs through
 * the grouper and the aggregations, then assembles the state. */
static DmpiTable *
run (DmpiColumn *const *key_cols, guint n_keys, gsize n_rows, Agg *aggs, guint n_aggs,
     gboolean combine, GError **error)
{
  DmpiGrouper g;
  g_autofree guint32 *gids = g_new (guint32, DMPI_GROUP_CHUNK);
  DmpiTable *t = NULL;

  /* Without keys, sizes need no pass over the rows (and a table without
   * columns can claim any number of them). */
  gboolean read_rows = n_keys > 0 || combine;
  for (guint a = 0; a < n_aggs; a++)
    read_rows |= aggs[a].spec->op != DMPI_AGG_SIZE;
  if (!read_rows)
    for (guint a = 0; a < n_aggs; a++)
      {
        agg_reserve (&aggs[a], 2);
        ((gint64 *) aggs[a].arrays[0])[1] = (gint64) n_rows;
      }

  dmpi_grouper_init (&g, key_cols, n_keys, n_rows);
  for (gsize start = 0; start < n_rows && read_rows; start += DMPI_GROUP_CHUNK)
    {
      gsize n = MIN (DMPI_GROUP_CHUNK, n_rows - start);
      if (!dmpi_grouper_next (&g, start, n, gids, error))
        goto out;
      for (guint a = 0; a < n_aggs; a++)
        {
          agg_reserve (&aggs[a], g.n_groups + 1);
          if (!(combine ? agg_combine_chunk : agg_partial_chunk) (&aggs[a], start, n, gids, error))
            goto out;
        }
    }

  t = dmpi_table_new ();
  for (guint k = 0; k < n_keys; k++)
    {
      DmpiColumn *c = dmpi_column_take (key_cols[k], g.first_row + 1, g.n_groups);
      g_clear_pointer (&c->valid, g_free);   /* a group's key is never missing */
      dmpi_table_add_column (t, c);
    }
  for (guint a = 0; a < n_aggs; a++)
    if (!agg_finish (&aggs[a], g.n_groups, t, error))
      {
        g_clear_pointer (&t, dmpi_table_free);
        goto out;
      }
  t->n_rows = g.n_groups;
out:
  dmpi_grouper_clear (&g);
  for (guint a = 0; a < n_aggs; a++)
    agg_clear (&aggs[a]);
  return t;
}

/* Collects a table's columns by name; the names were checked. */
static DmpiColumn **
find_columns (const DmpiTable *t, const char *const *names, guint n)
{
  DmpiColumn **cols = g_new0 (DmpiColumn *, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    cols[i] = dmpi_table_get_column ((DmpiTable *) t, names[i]);
  return cols;
}

DmpiTable *
dmpi_groupby_partial (const DmpiTable *table, const char *const *keys, guint n_keys,
                      const DmpiAggSpec *aggs, guint n_aggs, GError **error)
{
  guint n_columns = dmpi_table_n_columns (table);
  g_autofree const char **names = g_new (const char *, n_columns + 1);
  g_autofree DmpiColType *types = g_new (DmpiColType, n_columns + 1);
  for (guint i = 0; i < n_columns; i++)
    {
      names[i] = dmpi_table_column (table, i)->name;
      types[i] = dmpi_table_column (table, i)->type;
    }
  if (!dmpi_groupby_check (names, types, n_columns, keys, n_keys, aggs, n_aggs, NULL, NULL, error))
    return NULL;

  g_autofree DmpiColumn **key_cols = find_columns (table, keys, n_keys);
  g_autofree DmpiColumn **inputs = g_new0 (DmpiColumn *, MAX (n_aggs, 1));
  g_autofree Agg *state = g_new0 (Agg, MAX (n_aggs, 1));
  for (guint a = 0; a < n_aggs; a++)
    {
      if (aggs[a].column != NULL)
        inputs[a] = dmpi_table_get_column ((DmpiTable *) table, aggs[a].column);
      agg_init (&state[a], &aggs[a], inputs[a] != NULL ? inputs[a]->type : DMPI_COL_INT64,
                &inputs[a]);
    }
  return run (key_cols, n_keys, table->n_rows, state, n_aggs, FALSE, error);
}

/* Checks the states against keys and aggs; in_types gets the aggregations'
 * input types, first_column where each one's state starts. */
static gboolean
states_check (DmpiTable *const *states, guint n, const char *const *keys, guint n_keys,
              const DmpiAggSpec *aggs, guint n_aggs, DmpiColType *in_types, guint *first_column,
              GError **error)
{
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GError) local = NULL;
      if (!dmpi_groupby_state_check (states[i], keys, n_keys, aggs, n_aggs,
                                     in_types, first_column, &local))
        {
          if (n > 1)
            g_prefix_error (&local, "partial state %u: ", i);
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
    }
  return TRUE;
}

DmpiTable *
dmpi_groupby_combine (DmpiTable *const *partials, guint n_partials, const char *const *keys,
                      guint n_keys, const DmpiAggSpec *aggs, guint n_aggs, GError **error)
{
  g_autofree DmpiColType *in_types = g_new (DmpiColType, MAX (n_aggs, 1));
  g_autofree guint *first = g_new (guint, MAX (n_aggs, 1));

  if (n_partials == 0)
    {
      g_set_error_literal (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED,
                           "group-by combine: no partial state to combine");
      return NULL;
    }
  if (!states_check (partials, n_partials, keys, n_keys, aggs, n_aggs, in_types, first, error))
    return NULL;
  /* The layouts match the specs; the input types could still differ
   * between states: their state columns' names do, which concat tells. */
  g_autoptr(DmpiTable) all = dmpi_table_concat (partials, n_partials, error);
  if (all == NULL)
    {
      g_prefix_error (error, "group-by combine: ");
      return NULL;
    }

  g_autofree DmpiColumn **key_cols = find_columns (all, keys, n_keys);
  g_autofree Agg *state = g_new0 (Agg, MAX (n_aggs, 1));
  for (guint a = 0; a < n_aggs; a++)
    agg_init (&state[a], &aggs[a], in_types[a], (DmpiColumn *const *) all->columns->pdata + first[a]);
  return run (key_cols, n_keys, all->n_rows, state, n_aggs, TRUE, error);
}

/* ---- finalize ---- */

/* Marks the rows of a column missing where counts[row] < min. */
static void
missing_where_below (DmpiColumn *c, const gint64 *counts, gint64 min)
{
  for (gsize r = 0; r < c->n_rows; r++)
    if (counts[r] < min)
      dmpi_column_set_missing (c, r);
}

static DmpiColumn *
column_new_rows (const char *name, DmpiColType type, gsize n)
{
  DmpiColumn *c = dmpi_column_new (name, type, MAX (n, 1));
  c->n_rows = n;
  return c;
}

static DmpiColumn *
agg_final (const DmpiAggSpec *spec, DmpiColType in, DmpiColumn *const *st, GError **error)
{
  const char *name = dmpi_agg_spec_name (spec);
  gsize n = st[0]->n_rows;
  DmpiColType type;
  DmpiColumn *out;

  (void) dmpi_agg_result_type (spec->op, in, &type);
  switch (spec->op)
    {
    case DMPI_AGG_SUM:
      if (st[0]->type != DMPI_COL_FLOAT64)
        return dmpi_column_copy (st[0], name);
      out = column_new_rows (name, type, n);
      for (gsize r = 0; r < n; r++)
        {
          gdouble v = DMPI_COLUMN_FLOAT64 (st[0])[r] - DMPI_COLUMN_FLOAT64 (st[1])[r];
          if (type == DMPI_COL_FLOAT32)
            DMPI_COLUMN_FLOAT32 (out)[r] = (gfloat) v;
          else
            DMPI_COLUMN_FLOAT64 (out)[r] = v;
        }
      return out;
    case DMPI_AGG_MEAN:
      {
        const gint64 *count = st[2]->data;
        out = column_new_rows (name, type, n);
        for (gsize r = 0; r < n; r++)
          if (count[r] == 0)
            DMPI_COLUMN_INT64 (out)[r] = 0;
          else if (type == DMPI_COL_FLOAT64)
            DMPI_COLUMN_FLOAT64 (out)[r] = (DMPI_COLUMN_FLOAT64 (st[0])[r] - DMPI_COLUMN_FLOAT64 (st[1])[r])
                                           / (gdouble) count[r];
          else
            DMPI_COLUMN_INT64 (out)[r] = mean128 (DMPI_COLUMN_INT64 (st[0])[r],
                                                  DMPI_COLUMN_INT64 (st[1])[r], count[r]);
        missing_where_below (out, count, 1);
        return out;
      }
    case DMPI_AGG_STD:
    case DMPI_AGG_VAR:
      {
        const gint64 *count = st[0]->data;
        out = column_new_rows (name, type, n);
        for (gsize r = 0; r < n; r++)
          {
            gdouble var = count[r] >= 2 ? DMPI_COLUMN_FLOAT64 (st[2])[r] / (gdouble) (count[r] - 1) : 0;
            DMPI_COLUMN_FLOAT64 (out)[r] = spec->op == DMPI_AGG_STD ? sqrt (var) : var;
          }
        missing_where_below (out, count, 2);
        return out;
      }
    case DMPI_AGG_NUNIQUE:
      out = column_new_rows (name, type, n);
      if (!dmpi_distinct_count (st[0], in, out->data, error))
        {
          dmpi_column_free (out);
          return NULL;
        }
      return out;
    case DMPI_AGG_SIZE:
    case DMPI_AGG_COUNT:
    case DMPI_AGG_MIN:
    case DMPI_AGG_MAX:
    case DMPI_AGG_FIRST:
    case DMPI_AGG_LAST:
    default:
      /* The state is the result. */
      return dmpi_column_copy (st[0], name);
    }
}

DmpiTable *
dmpi_groupby_finalize (const DmpiTable *state, const char *const *keys, guint n_keys,
                       const DmpiAggSpec *aggs, guint n_aggs, GError **error)
{
  g_autofree DmpiColType *in_types = g_new (DmpiColType, MAX (n_aggs, 1));
  g_autofree guint *first = g_new (guint, MAX (n_aggs, 1));
  DmpiTable *const states[1] = { (DmpiTable *) state };

  if (!states_check (states, 1, keys, n_keys, aggs, n_aggs, in_types, first, error))
    return NULL;

  g_autoptr(DmpiTable) out = dmpi_table_new ();
  for (guint k = 0; k < n_keys; k++)
    dmpi_table_add_column (out, dmpi_column_copy (dmpi_table_column (state, k), keys[k]));
  for (guint a = 0; a < n_aggs; a++)
    {
      DmpiColumn *c = agg_final (&aggs[a], in_types[a],
                                 (DmpiColumn *const *) state->columns->pdata + first[a], error);
      if (c == NULL)
        {
          g_prefix_error (error, "group-by finalize: ");
          return NULL;
        }
      dmpi_table_add_column (out, c);
    }
  out->n_rows = state->n_rows;
  if (n_keys == 0)
    return g_steal_pointer (&out);
  return dmpi_table_sort (out, keys, NULL, n_keys, error);
}
