/* Group-by as a tree over partitions: a partial state per partition, states
 * combined pairwise (or more at a time) in partition order, one finalize.
 * Semantics are pandas' groupby(keys, sort=True, dropna=True).agg(...).
 *
 * Missing values and NaN: a missing value, and NaN in a float32 or float64
 * column, is skipped by every aggregation but size (pandas' skipna), and a
 * row whose key is missing or NaN belongs to no group (dropna=True).
 * Float keys compare by value: -0.0 and 0.0 are one group, shown as the
 * first of them met in partition and row order. A float sum that reaches an
 * infinity stays there (pandas 2; pandas 1.x gives NaN).
 *
 * A spec whose name is NULL takes its column's name ("size" for size).
 *
 * The partial state of a partition is an ordinary table (so that it moves
 * between ranks as one: dmpi_table_serialize), one row per group in order of
 * first appearance: the key columns, then each aggregation's state columns,
 * named "<name>:<part>". The first state column of each aggregation also
 * names the op and the input column's type ("fare_mean:mean.float64"), so a
 * state carries everything its combine and finalize need, and they refuse a
 * state that does not match the specs given. Missing in a state column means
 * "no value yet". A state without keys has exactly one row.
 *
 *   op       input               state columns
 *   size     -                   :size int64 (rows)
 *   count    any                 :count.T int64
 *   sum      int32 int64 bool    :sum.T int64 (wraps around as NumPy's)
 *   sum      duration            :sum.duration duration (wraps around)
 *   sum      float32 float64     :sum.T float64, :comp float64 (Kahan's
 *                                compensation, as pandas sums; the value is
 *                                sum - comp)
 *   mean     numeric, bool       :mean.T float64 (Kahan sum), :comp float64, :count int64
 *   mean     timestamp duration  :mean.T int64 (low 64 bits of the exact
 *                                128-bit sum, two's complement), :high int64
 *                                (its high 64 bits), :count int64; the mean
 *                                is truncated toward zero, as pandas' cast
 *   min max  any                 :min.T / :max.T of type T
 *   std var  numeric, bool       :std.T / :var.T int64 (count), :mean float64,
 *                                :m2 float64 (sum of squared differences from
 *                                the mean: Welford's updates within a
 *                                partition as pandas, Chan et al.'s formula
 *                                between states)
 *   first    any                 :first.T / :last.T of type T (the row order
 *   last                         of the partition, then partition order)
 *   nunique  any                 :nunique.T string: the group's distinct
 *                                values, sorted and packed as raw bytes:
 *                                fixed-size types as 8-byte native words
 *                                (int32 widened, float32 as its double,
 *                                -0.0 as 0.0), strings as a native guint32
 *                                length then the bytes, ordered bytewise
 *
 * Results: size, count and nunique are int64; sum gives int64 for int32,
 * int64 and bool, the column's type for float32, float64 and duration (an
 * empty or all-missing group gives 0, pandas' min_count=0); mean gives
 * float64 (pandas gives float32 for float32 input), the column's type for
 * timestamp and duration; std and var give float64 (ddof 1; fewer than two
 * values: missing); min, max, first and last give the column's type
 * (strings compare bytewise; no value: missing). Sum and std of timestamps,
 * std and var of durations, and anything but count, min, max, first, last
 * and nunique of strings are errors, as in pandas.
 */
#pragma once

#include <glib.h>

#include "df/table.h"

G_BEGIN_DECLS

typedef enum {
  DMPI_AGG_SIZE,     /* rows in the group (no column) -> int64 */
  DMPI_AGG_COUNT,    /* non-missing values -> int64 */
  DMPI_AGG_SUM,      /* missing skipped; int32/int64/bool -> int64, float32 -> float32 (accumulated in double), float64 -> float64, duration -> duration; empty/all-missing group -> 0 as pandas (min_count=0) */
  DMPI_AGG_MEAN,     /* -> float64 (duration -> duration, timestamp -> timestamp as pandas); all-missing -> missing */
  DMPI_AGG_MIN, DMPI_AGG_MAX,   /* the column's type; strings compare bytewise; all-missing -> missing */
  DMPI_AGG_STD, DMPI_AGG_VAR,   /* ddof = 1 as pandas; -> float64; fewer than 2 values -> missing; combine with Chan et al.'s parallel algorithm (count, mean, M2), not sum of squares */
  DMPI_AGG_FIRST, DMPI_AGG_LAST,/* first/last non-missing value in row order (partition order, then row order) */
  DMPI_AGG_NUNIQUE,  /* distinct non-missing values -> int64 */
} DmpiAggOp;

#define DMPI_AGG_N_OPS (DMPI_AGG_NUNIQUE + 1)

typedef struct {
  DmpiAggOp   op;
  const char *column;    /* NULL for SIZE */
  const char *name;      /* the output column's name */
} DmpiAggSpec;

/* The pandas name of an op ("size", "count", "sum", ...). */
const char *dmpi_agg_op_name (DmpiAggOp op);

/* Parses "name=op(column)" / "op(column)" (name defaults to column for one-column ops, "size" for size()) into a
 * spec; op names are pandas' (size, count, sum, mean, min, max, std, var, first, last, nunique). The strings of
 * the spec point into a copy owned by *spec_storage (free with g_free). Errors name the text and say what is wrong. */
gboolean    dmpi_agg_spec_parse (const char *text, DmpiAggSpec *spec, char **spec_storage, GError **error);

/* Checks keys and aggregations against a schema and gives the output schema (keys then aggregations, in order):
 * unknown columns (listing those that exist), ops that do not apply to a type (sum of strings, mean of bool is fine
 * as pandas (float64), std of timestamps is an error...), duplicate output names.
 * On success *out_names (free with g_strfreev) and *out_types (g_free) hold n_keys + n_aggs entries. */
gboolean    dmpi_groupby_check (const char *const *names, const DmpiColType *types, guint n_columns,
                                const char *const *keys, guint n_keys, const DmpiAggSpec *aggs, guint n_aggs,
                                char ***out_names, DmpiColType **out_types, GError **error);

/* The partial state of one partition (the layout is described above). Rows with a missing key are dropped
 * (pandas dropna=True). */
DmpiTable  *dmpi_groupby_partial  (const DmpiTable *table, const char *const *keys, guint n_keys,
                                   const DmpiAggSpec *aggs, guint n_aggs, GError **error);
/* Merges partial states in the given order (order matters for first/last): the result is again a partial state,
 * so combines form a tree. Takes none of them. */
DmpiTable  *dmpi_groupby_combine  (DmpiTable *const *partials, guint n_partials, const char *const *keys, guint n_keys,
                                   const DmpiAggSpec *aggs, guint n_aggs, GError **error);
/* The final table: keys then one column per aggregation named spec.name, rows sorted by the keys ascending
 * (pandas sort=True; strings bytewise). */
DmpiTable  *dmpi_groupby_finalize (const DmpiTable *state, const char *const *keys, guint n_keys,
                                   const DmpiAggSpec *aggs, guint n_aggs, GError **error);
/* With n_keys == 0 the whole table is one group (a reduction: one output row, even for an empty input, as
 * pandas' df.agg does). */

/* Table operations the group-by needs (lib/df/table-ops.c). */

/* Sorts a table by columns (stable; ascending or descending per column; missing values last as pandas'
 * na_position='last'). Returns a new table. Needed for value_counts (by count descending) and for results.
 * NaN sorts as missing; -0.0 equals 0.0. ascending may be NULL: all ascending. */
DmpiTable  *dmpi_table_sort (const DmpiTable *table, const char *const *columns, const gboolean *ascending,
                             guint n_columns, GError **error);
/* Concatenates tables of the same schema (names and types) in order; error naming the first difference. */
DmpiTable  *dmpi_table_concat (DmpiTable *const *tables, guint n, GError **error);
/* The first n rows (a new table). */
DmpiTable  *dmpi_table_head (const DmpiTable *table, gsize n);
/* The rows rows[0..n) of a table, in that order (repeats allowed), as a new table. */
DmpiTable  *dmpi_table_take (const DmpiTable *table, const gsize *rows, gsize n);
/* Rows [start, start + n) as a new table. */
DmpiTable  *dmpi_table_slice (const DmpiTable *table, gsize start, gsize n);

G_END_DECLS
