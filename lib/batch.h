/* Task lists in columns: the encoding of the messages that carry many tasks
 * (submit, compute, finished, report).
 *
 * Each is one GVariant of a fixed type whose members are arrays of fixed-size
 * elements (ids, offsets, indices) and byte blobs (keys, messages, arguments),
 * so that reading entry i is pointer arithmetic: no GVariant is made per
 * task. (An array of variable-size tuples costs a GVariant per entry, and,
 * with the GLib 2.74.6 hardening, O(i) to reach entry i.) Parsing checks
 * every offset and index before anyone reads an entry. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* ---- strings in a blob: NUL-terminated, with end offsets ---- */

typedef struct {
  GByteArray *blob;
  GArray *end;       /* guint32: end of string i (after its NUL) */
} DmpiStrColumn;

void        dmpi_str_column_init  (DmpiStrColumn *column);
void        dmpi_str_column_clear (DmpiStrColumn *column);
void        dmpi_str_column_add   (DmpiStrColumn *column, const char *string);
GVariant   *dmpi_str_column_blob  (DmpiStrColumn *column);   /* "ay" */
GVariant   *dmpi_str_column_ends  (DmpiStrColumn *column);   /* "au" */

/* ---- tasks: submit (client → scheduler) and compute (scheduler → worker) ---- */

/* ids, keys, key ends, function names, function of each, type strings, type
 * of each, arguments, argument ends, dependencies, dependency ends, holder
 * ranks of dependencies (compute only), priorities, retries, ranks each may
 * run on, and their ends. */
#define DMPI_TASK_BATCH_TYPE "(atayauasauasauayauatauauaiauauau)"

typedef struct {
  GArray *ids;             /* guint64 */
  DmpiStrColumn keys;
  GPtrArray *functions;    /* distinct names */
  GHashTable *function_index;
  GArray *function_of;     /* guint32 */
  GPtrArray *types;        /* distinct argument type strings */
  GHashTable *type_index;
  GArray *type_of;         /* guint32 */
  GByteArray *args;        /* serialised arguments, each 8-aligned */
  GArray *args_end;        /* guint32 */
  GArray *deps;            /* guint64, all tasks' dependencies in a row */
  GArray *deps_end;        /* guint32 */
  GArray *dep_ranks;       /* guint32 per dependency (compute only; else empty) */
  GArray *priorities;      /* gint32 */
  GArray *retries;         /* guint32 */
  GArray *restrict_to;     /* guint32 ranks, all tasks' in a row */
  GArray *restrict_end;    /* guint32 */
} DmpiTaskBatchBuilder;

DmpiTaskBatchBuilder *dmpi_task_batch_builder_new  (void);
void                  dmpi_task_batch_builder_free (DmpiTaskBatchBuilder *builder);
guint                 dmpi_task_batch_builder_len  (DmpiTaskBatchBuilder *builder);
/* @args: serialised data of type @type_string (copied). @dep_ranks: NULL for a submit. */
void  dmpi_task_batch_builder_add (DmpiTaskBatchBuilder *builder, guint64 id, const char *key,
                                   const char *function, const char *type_string,
                                   gconstpointer args, gsize args_size,
                                   const guint64 *deps, const guint32 *dep_ranks, guint n_deps);
void  dmpi_task_batch_builder_add_variant (DmpiTaskBatchBuilder *builder, guint64 id, const char *key,
                                           const char *function, GVariant *args,
                                           const guint64 *deps, const guint32 *dep_ranks, guint n_deps);
/* Options of the task added last (the defaults are 0, 0, any rank). */
void  dmpi_task_batch_builder_set_options (DmpiTaskBatchBuilder *builder, gint32 priority, guint32 retries,
                                           const guint32 *restrict_to, guint n_restrict);
/* The message; the builder is empty again afterwards. */
GVariant *dmpi_task_batch_builder_end (DmpiTaskBatchBuilder *builder);

typedef struct {
  GVariant *message;         /* kept alive while the batch is read */
  gsize n;
  const guint64 *ids;
  const char *keys;
  gsize keys_len;
  const guint32 *keys_end;
  const char **functions;    /* borrowed strv */
  gsize n_functions;
  const guint32 *function_of;
  const char **types;
  gsize n_types;
  const guint32 *type_of;
  const guint8 *args;
  gsize args_len;
  const guint32 *args_end;
  const guint64 *deps;
  gsize n_deps_total;
  const guint32 *deps_end;
  const guint32 *dep_ranks;  /* NULL in a submit */
  const gint32 *priorities;
  const guint32 *retries;
  const guint32 *restrict_to;
  gsize n_restrict_total;
  const guint32 *restrict_end;
} DmpiTaskBatch;

/* Check everything; FALSE with a message naming what is wrong. */
gboolean    dmpi_task_batch_parse   (DmpiTaskBatch *batch, GVariant *message, GError **error);
void        dmpi_task_batch_clear   (DmpiTaskBatch *batch);
const char *dmpi_task_batch_key      (const DmpiTaskBatch *batch, gsize i);
const char *dmpi_task_batch_function (const DmpiTaskBatch *batch, gsize i);
const char *dmpi_task_batch_type     (const DmpiTaskBatch *batch, gsize i);
gconstpointer dmpi_task_batch_args_data (const DmpiTaskBatch *batch, gsize i, gsize *size);
/* A new variant of task i's arguments; NULL (with error) if not in normal form. */
GVariant   *dmpi_task_batch_args     (const DmpiTaskBatch *batch, gsize i, GError **error);
const guint64 *dmpi_task_batch_deps  (const DmpiTaskBatch *batch, gsize i, guint *n_deps);
const guint32 *dmpi_task_batch_dep_ranks (const DmpiTaskBatch *batch, gsize i);
const guint32 *dmpi_task_batch_restrict  (const DmpiTaskBatch *batch, gsize i, guint *n_ranks);

/* ---- results: finished (worker → scheduler) and report (scheduler → client) ---- */

/* ids, states, error codes, nbytes, ranks, message ends, messages, starts, stops.
 * In a report "ranks" is the rank holding the result; in a finished message
 * (whose sender is the worker) it is the compute thread that ran the task. */
#define DMPI_RESULT_BATCH_TYPE "(atauauatauauayadad)"

typedef struct {
  GArray *ids, *states, *codes, *nbytes, *ranks, *starts, *stops;
  DmpiStrColumn messages;
} DmpiResultBatchBuilder;

DmpiResultBatchBuilder *dmpi_result_batch_builder_new  (void);
void                    dmpi_result_batch_builder_free (DmpiResultBatchBuilder *builder);
guint                   dmpi_result_batch_builder_len  (DmpiResultBatchBuilder *builder);
void      dmpi_result_batch_builder_add (DmpiResultBatchBuilder *builder, guint64 id, guint32 state,
                                         guint32 code, guint64 nbytes, guint32 rank, const char *message,
                                         double start, double stop);
GVariant *dmpi_result_batch_builder_end (DmpiResultBatchBuilder *builder);

typedef struct {
  GVariant *message;
  gsize n;
  const guint64 *ids;
  const guint32 *states, *codes, *ranks;
  const guint64 *nbytes;
  const char *messages;
  gsize messages_len;
  const guint32 *messages_end;
  const double *starts, *stops;
} DmpiResultBatch;

gboolean    dmpi_result_batch_parse   (DmpiResultBatch *batch, GVariant *message, GError **error);
void        dmpi_result_batch_clear   (DmpiResultBatch *batch);
const char *dmpi_result_batch_message (const DmpiResultBatch *batch, gsize i);

G_END_DECLS
