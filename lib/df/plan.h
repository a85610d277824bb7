/* One partition's work as data: a source, a list of verbs and a sink,
 * written by the client (lib/frame/) as a GVariant and run by a task on a
 * worker. Knows nothing of MPI, the scheduler or the worker: tables in,
 * tables (or small results) out.
 *
 * A plan is the GVariant "(a{sv}aa{sv}a{sv})": source, ops, sink.
 *
 * Sources ("kind"):
 *   "csv":     path s, offset t, length t, columns a(sssis) (header name,
 *              alternative name or "", output name, type, timestamp format or ""),
 *              delimiter y, quote y, header b, na_values as, keep_default_na b,
 *              ranges a(uddbb) (requested column index, lo, hi, lo inclusive,
 *              hi inclusive: rows outside are dropped while parsing),
 *              max_rows t (0: all; only where no later verb drops rows)
 *   "parquet": path s, row_group u, n_row_groups u, columns as, max_rows t
 *   "input":   index u: the task's dependency of that index (a serialized table)
 *   "empty":   names as, types ai: a table with no rows (for meta inference)
 * Ops ("op"), applied in order:
 *   "select" columns as | "drop" columns as | "rename" from as, to as |
 *   "filter" expr s | "assign" name s, expr s | "map" function s, args v |
 *   "sort" columns as, ascending ab | "limit" n t
 * Sinks ("kind") and the value they return:
 *   "table"   -> ay, the serialized table
 *   "parquet" path s, codec s, row_group_rows t, nanos b -> (ttt) rows in, rows out, bytes
 *   "csv"     path s -> (ttt)
 *   "len"     -> t
 *   "partial" keys as, aggs as -> ay, the serialized group-by partial state
 *   "schema"  -> a(si), the names and types the ops produce
 */
#pragma once

#include <glib.h>

#include "dmpi-table.h"

G_BEGIN_DECLS

#define DMPI_PLAN_TYPE "(a{sv}aa{sv}a{sv})"

/* Runs the partition function @name on @partition (transfer full); returns
 * the output table (transfer full). */
typedef DmpiTable *(*DmpiPlanMapFunc) (const char *name, DmpiTable *partition, GVariant *args,
                                       gpointer user_data, GError **error);

typedef struct {
  guint64 rows_in;    /* rows the source read, before filters */
  guint64 rows_out;   /* rows that reached the sink */
  guint64 bytes;      /* bytes a file sink wrote */
} DmpiPlanStats;

/* Runs @plan. @inputs are the task's dependencies (serialized tables, for
 * "input" sources). @map runs "map" ops (NULL: a plan with one fails).
 * Returns the sink's value (transfer full, not floating). */
GVariant  *dmpi_plan_run (GVariant *plan, GBytes *const *inputs, guint n_inputs, DmpiPlanMapFunc map,
                          gpointer user_data, DmpiPlanStats *stats, GError **error);

/* Applies one op to @table (transfer full); returns the result (transfer full). */
DmpiTable *dmpi_plan_apply_op (DmpiTable *table, GVariant *op, DmpiPlanMapFunc map, gpointer user_data,
                               GError **error);

/* Aggregation specs from their text ("name=op(column)"): an array of
 * DmpiAggSpec whose strings live in *storage (a GPtrArray of owned strings). */
GArray    *dmpi_plan_parse_aggs (const char *const *aggs, guint n_aggs, GPtrArray **storage, GError **error);

G_END_DECLS
