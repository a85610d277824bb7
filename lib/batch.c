/* Task lists in columns: see batch.h. */
#include "config.h"

#include "batch.h"
#include "dmpi-error.h"

#include <string.h>

/* ---- string columns ---- */

void
dmpi_str_column_init (DmpiStrColumn *column)
{
  column->blob = g_byte_array_new ();
  column->end = g_array_new (FALSE, FALSE, sizeof (guint32));
}

void
dmpi_str_column_clear (DmpiStrColumn *column)
{
  g_clear_pointer (&column->blob, g_byte_array_unref);
  g_clear_pointer (&column->end, g_array_unref);
}

void
dmpi_str_column_add (DmpiStrColumn *column, const char *string)
{
  g_byte_array_append (column->blob, (const guint8 *) string, (guint) strlen (string) + 1);
  guint32 end = column->blob->len;
  g_array_append_val (column->end, end);
}

GVariant *
dmpi_str_column_blob (DmpiStrColumn *column)
{
  return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, column->blob->data, column->blob->len, 1);
}

GVariant *
dmpi_str_column_ends (DmpiStrColumn *column)
{
  return g_variant_new_fixed_array (G_VARIANT_TYPE_UINT32, column->end->data, column->end->len, sizeof (guint32));
}

static void
str_column_reset (DmpiStrColumn *column)
{
  g_byte_array_set_size (column->blob, 0);
  g_array_set_size (column->end, 0);
}

/* Offsets must rise within the blob and each string end in a NUL. */
static gboolean
check_str_column (const char *blob, gsize blob_len, const guint32 *end, gsize n, const char *what, GError **error)
{
  guint32 start = 0;

  for (gsize i = 0; i < n; i++)
    {
      if (end[i] <= start || end[i] > blob_len || blob[end[i] - 1] != '\0')
        {
          g_set_error (error, DMPI_ERROR, DMPI_ERROR_PROTOCOL, "%s %" G_GSIZE_FORMAT " has a bad extent", what, i);
          return FALSE;
        }
      if (!g_utf8_validate (blob + start, end[i] - start - 1, NULL))
        {
          g_set_error (error, DMPI_ERROR, DMPI_ERROR_PROTOCOL, "%s %" G_GSIZE_FORMAT " is not UTF-8", what, i);
          return FALSE;
        }
      start = end[i];
    }
  return TRUE;
}

static const char *
str_at (const char *blob, const guint32 *end, gsize i)
{
  return blob + (i == 0 ? 0 : end[i - 1]);
}

/* ---- names tables ---- */

static guint32
intern_name (GPtrArray *names, GHashTable *index, const char *name)
{
  gpointer found;

  if (g_hash_table_lookup_extended (index, name, NULL, &found))
    return GPOINTER_TO_UINT (found);
  char *copy = g_strdup (name);
  guint32 i = names->len;
  g_ptr_array_add (names, copy);
  g_hash_table_insert (index, copy, GUINT_TO_POINTER (i));
  return i;
}

static GVariant *
names_variant (GPtrArray *names)
{
  return g_variant_new_strv ((const char *const *) names->pdata, names->len);
}

/* ---- task batches ---- */

DmpiTaskBatchBuilder *
dmpi_task_batch_builder_new (void)
{
  DmpiTaskBatchBuilder *b = g_new0 (DmpiTaskBatchBuilder, 1);

  b->ids = g_array_new (FALSE, FALSE, sizeof (guint64));
  dmpi_str_column_init (&b->keys);
  b->functions = g_ptr_array_new_with_free_func (g_free);
  b->function_index = g_hash_table_new (g_str_hash, g_str_equal);
  b->function_of = g_array_new (FALSE, FALSE, sizeof (guint32));
  b->types = g_ptr_array_new_with_free_func (g_free);
  b->type_index = g_hash_table_new (g_str_hash, g_str_equal);
  b->type_of = g_array_new (FALSE, FALSE, sizeof (guint32));
  b->args = g_byte_array_new ();
  b->args_end = g_array_new (FALSE, FALSE, sizeof (guint32));
  b->deps = g_array_new (FALSE, FALSE, sizeof (guint64));
  b->deps_end = g_array_new (FALSE, FALSE, sizeof (guint32));
  b->dep_ranks = g_array_new (FALSE, FALSE, sizeof (guint32));
  b->priorities = g_array_new (FALSE, FALSE, sizeof (gint32));
  b->retries = g_array_new (FALSE, FALSE, sizeof (guint32));
  b->restrict_to = g_array_new (FALSE, FALSE, sizeof (guint32));
  b->restrict_end = g_array_new (FALSE, FALSE, sizeof (guint32));
  return b;
}

void
dmpi_task_batch_builder_free (DmpiTaskBatchBuilder *b)
{
  if (b == NULL)
    return;
  g_array_unref (b->ids);
  dmpi_str_column_clear (&b->keys);
  g_hash_table_unref (b->function_index);
  g_ptr_array_unref (b->functions);
  g_array_unref (b->function_of);
  g_hash_table_unref (b->type_index);
  g_ptr_array_unref (b->types);
  g_array_unref (b->type_of);
  g_byte_array_unref (b->args);
  g_array_unref (b->args_end);
  g_array_unref (b->deps);
  g_array_unref (b->deps_end);
  g_array_unref (b->dep_ranks);
  g_array_unref (b->priorities);
  g_array_unref (b->retries);
  g_array_unref (b->restrict_to);
  g_array_unref (b->restrict_end);
  g_free (b);
}

guint
dmpi_task_batch_builder_len (DmpiTaskBatchBuilder *b)
{
  return b->ids->len;
}

void
dmpi_task_batch_builder_add (DmpiTaskBatchBuilder *b, guint64 id, const char *key, const char *function,
                             const char *type_string, gconstpointer args, gsize args_size,
                             const guint64 *deps, const guint32 *dep_ranks, guint n_deps)
{
  g_array_append_val (b->ids, id);
  dmpi_str_column_add (&b->keys, key);
  guint32 f = intern_name (b->functions, b->function_index, function);
  g_array_append_val (b->function_of, f);
  guint32 t = intern_name (b->types, b->type_index, type_string);
  g_array_append_val (b->type_of, t);
  /* Each argument starts 8-aligned within the blob, as GVariant likes it. */
  guint pad = (8 - (b->args->len & 7)) & 7;
  static const guint8 zeros[8];
  g_byte_array_append (b->args, zeros, pad);
  g_byte_array_append (b->args, args, (guint) args_size);
  guint32 end = b->args->len;
  g_array_append_val (b->args_end, end);
  g_array_append_vals (b->deps, deps, n_deps);
  end = b->deps->len;
  g_array_append_val (b->deps_end, end);
  if (dep_ranks != NULL)
    g_array_append_vals (b->dep_ranks, dep_ranks, n_deps);
  gint32 priority = 0;
  guint32 retries = 0;
  g_array_append_val (b->priorities, priority);
  g_array_append_val (b->retries, retries);
  end = b->restrict_to->len;
  g_array_append_val (b->restrict_end, end);
}

void
dmpi_task_batch_builder_set_options (DmpiTaskBatchBuilder *b, gint32 priority, guint32 retries,
                                     const guint32 *restrict_to, guint n_restrict)
{
  guint last = b->ids->len - 1;

  g_return_if_fail (b->ids->len > 0);
  g_array_index (b->priorities, gint32, last) = priority;
  g_array_index (b->retries, guint32, last) = retries;
  g_array_append_vals (b->restrict_to, restrict_to, n_restrict);
  g_array_index (b->restrict_end, guint32, last) = b->restrict_to->len;
}

void
dmpi_task_batch_builder_add_variant (DmpiTaskBatchBuilder *b, guint64 id, const char *key, const char *function,
                                     GVariant *args, const guint64 *deps, const guint32 *dep_ranks, guint n_deps)
{
  g_autoptr(GVariant) owned = g_variant_ref_sink (args);

  dmpi_task_batch_builder_add (b, id, key, function, g_variant_get_type_string (owned),
                               g_variant_get_data (owned), g_variant_get_size (owned), deps, dep_ranks, n_deps);
}

#define FIXED(array, type) g_variant_new_fixed_array (type, (array)->data, (array)->len, g_array_get_element_size (array))

GVariant *
dmpi_task_batch_builder_end (DmpiTaskBatchBuilder *b)
{
  GVariant *children[] = {
    FIXED (b->ids, G_VARIANT_TYPE_UINT64),
    dmpi_str_column_blob (&b->keys),
    dmpi_str_column_ends (&b->keys),
    names_variant (b->functions),
    FIXED (b->function_of, G_VARIANT_TYPE_UINT32),
    names_variant (b->types),
    FIXED (b->type_of, G_VARIANT_TYPE_UINT32),
    g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, b->args->data, b->args->len, 1),
    FIXED (b->args_end, G_VARIANT_TYPE_UINT32),
    FIXED (b->deps, G_VARIANT_TYPE_UINT64),
    FIXED (b->deps_end, G_VARIANT_TYPE_UINT32),
    FIXED (b->dep_ranks, G_VARIANT_TYPE_UINT32),
    FIXED (b->priorities, G_VARIANT_TYPE_INT32),
    FIXED (b->retries, G_VARIANT_TYPE_UINT32),
    FIXED (b->restrict_to, G_VARIANT_TYPE_UINT32),
    FIXED (b->restrict_end, G_VARIANT_TYPE_UINT32),
  };
  GVariant *message = g_variant_new_tuple (children, G_N_ELEMENTS (children));

  g_array_set_size (b->ids, 0);
  str_column_reset (&b->keys);
  g_hash_table_remove_all (b->function_index);
  g_ptr_array_set_size (b->functions, 0);
  g_array_set_size (b->function_of, 0);
  g_hash_table_remove_all (b->type_index);
  g_ptr_array_set_size (b->types, 0);
  g_array_set_size (b->type_of, 0);
  g_byte_array_set_size (b->args, 0);
  g_array_set_size (b->args_end, 0);
  g_array_set_size (b->deps, 0);
  g_array_set_size (b->deps_end, 0);
  g_array_set_size (b->dep_ranks, 0);
  g_array_set_size (b->priorities, 0);
  g_array_set_size (b->retries, 0);
  g_array_set_size (b->restrict_to, 0);
  g_array_set_size (b->restrict_end, 0);
  return message;
}

/* Borrow child @i's fixed array; the pointer lives as long as @message. */
static gconstpointer
child_array (GVariant *message, gsize i, gsize element_size, gsize *n)
{
  g_autoptr(GVariant) child = g_variant_get_child_value (message, i);
  return g_variant_get_fixed_array (child, n, element_size);
}

static gboolean
bad (GError **error, const char *what)
{
  g_set_error (error, DMPI_ERROR, DMPI_ERROR_PROTOCOL, "task list: %s", what);
  return FALSE;
}

static gboolean
check_ends (const guint32 *end, gsize n, gsize limit)
{
  guint32 last = 0;
  for (gsize i = 0; i < n; i++)
    {
      if (end[i] < last || end[i] > limit)
        return FALSE;
      last = end[i];
    }
  return TRUE;
}

gboolean
dmpi_task_batch_parse (DmpiTaskBatch *t, GVariant *message, GError **error)
{
  gsize n_keys_end, n_fof, n_tof, n_args_end, n_deps_end, n_ranks, n_prio, n_retries, n_restrict_end;

  memset (t, 0, sizeof *t);
  if (!g_variant_is_of_type (message, G_VARIANT_TYPE (DMPI_TASK_BATCH_TYPE)))
    return bad (error, "wrong type");
  t->message = g_variant_ref (message);
  t->ids = child_array (message, 0, sizeof (guint64), &t->n);
  t->keys = child_array (message, 1, 1, &t->keys_len);
  t->keys_end = child_array (message, 2, sizeof (guint32), &n_keys_end);
  g_autoptr(GVariant) functions = g_variant_get_child_value (message, 3);
  t->functions = g_variant_get_strv (functions, &t->n_functions);
  t->function_of = child_array (message, 4, sizeof (guint32), &n_fof);
  g_autoptr(GVariant) types = g_variant_get_child_value (message, 5);
  t->types = g_variant_get_strv (types, &t->n_types);
  t->type_of = child_array (message, 6, sizeof (guint32), &n_tof);
  t->args = child_array (message, 7, 1, &t->args_len);
  t->args_end = child_array (message, 8, sizeof (guint32), &n_args_end);
  t->deps = child_array (message, 9, sizeof (guint64), &t->n_deps_total);
  t->deps_end = child_array (message, 10, sizeof (guint32), &n_deps_end);
  t->dep_ranks = child_array (message, 11, sizeof (guint32), &n_ranks);
  t->priorities = child_array (message, 12, sizeof (gint32), &n_prio);
  t->retries = child_array (message, 13, sizeof (guint32), &n_retries);
  t->restrict_to = child_array (message, 14, sizeof (guint32), &t->n_restrict_total);
  t->restrict_end = child_array (message, 15, sizeof (guint32), &n_restrict_end);

  if (n_keys_end != t->n || n_fof != t->n || n_tof != t->n || n_args_end != t->n || n_deps_end != t->n
      || n_prio != t->n || n_retries != t->n || n_restrict_end != t->n)
    return bad (error, "columns of different lengths");
  if (n_ranks == 0)
    t->dep_ranks = NULL;
  else if (n_ranks != t->n_deps_total)
    return bad (error, "dependency ranks do not match the dependencies");
  if (!check_str_column (t->keys, t->keys_len, t->keys_end, t->n, "key", error))
    return FALSE;
  if (!check_ends (t->args_end, t->n, t->args_len) || !check_ends (t->deps_end, t->n, t->n_deps_total)
      || !check_ends (t->restrict_end, t->n, t->n_restrict_total)
      || (t->n > 0 && (t->deps_end[t->n - 1] != t->n_deps_total || t->args_end[t->n - 1] != t->args_len
                       || t->restrict_end[t->n - 1] != t->n_restrict_total)))
    return bad (error, "offsets out of order or out of range");
  for (gsize i = 0; i < t->n; i++)
    if (t->function_of[i] >= t->n_functions || t->type_of[i] >= t->n_types)
      return bad (error, "function or type index out of range");
  for (gsize i = 0; i < t->n_functions; i++)
    if (t->functions[i][0] == '\0')
      return bad (error, "an empty function name");
  for (gsize i = 0; i < t->n_types; i++)
    if (!g_variant_type_string_is_valid (t->types[i]) || !g_variant_type_is_definite (G_VARIANT_TYPE (t->types[i])))
      return bad (error, "an invalid argument type");
  return TRUE;
}

void
dmpi_task_batch_clear (DmpiTaskBatch *t)
{
  g_free (t->functions);
  g_free (t->types);
  g_clear_pointer (&t->message, g_variant_unref);
  memset (t, 0, sizeof *t);
}

const char *
dmpi_task_batch_key (const DmpiTaskBatch *t, gsize i)
{
  return str_at (t->keys, t->keys_end, i);
}

const char *
dmpi_task_batch_function (const DmpiTaskBatch *t, gsize i)
{
  return t->functions[t->function_of[i]];
}

const char *
dmpi_task_batch_type (const DmpiTaskBatch *t, gsize i)
{
  return t->types[t->type_of[i]];
}

gconstpointer
dmpi_task_batch_args_data (const DmpiTaskBatch *t, gsize i, gsize *size)
{
  gsize start = i == 0 ? 0 : t->args_end[i - 1];
  gsize end = t->args_end[i];

  /* Skip the alignment padding the builder put before it. */
  start = MIN ((start + 7) & ~(gsize) 7, end);
  *size = end - start;
  return t->args + start;
}

GVariant *
dmpi_task_batch_args (const DmpiTaskBatch *t, gsize i, GError **error)
{
  gsize size;
  gconstpointer data = dmpi_task_batch_args_data (t, i, &size);
  GVariant *args = g_variant_ref_sink (
      g_variant_new_from_data (G_VARIANT_TYPE (dmpi_task_batch_type (t, i)), data, size, FALSE,
                               (GDestroyNotify) g_variant_unref, g_variant_ref (t->message)));

  if (!g_variant_is_normal_form (args))
    {
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_PROTOCOL, "the arguments of task '%s' are not a valid %s",
                   dmpi_task_batch_key (t, i), dmpi_task_batch_type (t, i));
      g_variant_unref (args);
      return NULL;
    }
  return args;
}

const guint64 *
dmpi_task_batch_deps (const DmpiTaskBatch *t, gsize i, guint *n_deps)
{
  gsize start = i == 0 ? 0 : t->deps_end[i - 1];

  *n_deps = (guint) (t->deps_end[i] - start);
  return t->deps != NULL ? t->deps + start : NULL;
}

const guint32 *
dmpi_task_batch_restrict (const DmpiTaskBatch *t, gsize i, guint *n_ranks)
{
  gsize start = i == 0 ? 0 : t->restrict_end[i - 1];

  *n_ranks = (guint) (t->restrict_end[i] - start);
  /* A batch with no restrictions at all has no array (NULL + 0 is undefined). */
  return t->restrict_to != NULL ? t->restrict_to + start : NULL;
}

const guint32 *
dmpi_task_batch_dep_ranks (const DmpiTaskBatch *t, gsize i)
{
  if (t->dep_ranks == NULL)
    return NULL;
  return t->dep_ranks + (i == 0 ? 0 : t->deps_end[i - 1]);
}

/* ---- result batches ---- */

DmpiResultBatchBuilder *
dmpi_result_batch_builder_new (void)
{
  DmpiResultBatchBuilder *b = g_new0 (DmpiResultBatchBuilder, 1);

  b->ids = g_array_new (FALSE, FALSE, sizeof (guint64));
  b->states = g_array_new (FALSE, FALSE, sizeof (guint32));
  b->codes = g_array_new (FALSE, FALSE, sizeof (guint32));
  b->nbytes = g_array_new (FALSE, FALSE, sizeof (guint64));
  b->ranks = g_array_new (FALSE, FALSE, sizeof (guint32));
  b->starts = g_array_new (FALSE, FALSE, sizeof (double));
  b->stops = g_array_new (FALSE, FALSE, sizeof (double));
  dmpi_str_column_init (&b->messages);
  return b;
}

void
dmpi_result_batch_builder_free (DmpiResultBatchBuilder *b)
{
  if (b == NULL)
    return;
  g_array_unref (b->ids);
  g_array_unref (b->states);
  g_array_unref (b->codes);
  g_array_unref (b->nbytes);
  g_array_unref (b->ranks);
  g_array_unref (b->starts);
  g_array_unref (b->stops);
  dmpi_str_column_clear (&b->messages);
  g_free (b);
}

guint
dmpi_result_batch_builder_len (DmpiResultBatchBuilder *b)
{
  return b->ids->len;
}

void
dmpi_result_batch_builder_add (DmpiResultBatchBuilder *b, guint64 id, guint32 state, guint32 code,
                               guint64 nbytes, guint32 rank, const char *message, double start, double stop)
{
  g_array_append_val (b->ids, id);
  g_array_append_val (b->states, state);
  g_array_append_val (b->codes, code);
  g_array_append_val (b->nbytes, nbytes);
  g_array_append_val (b->ranks, rank);
  g_array_append_val (b->starts, start);
  g_array_append_val (b->stops, stop);
  dmpi_str_column_add (&b->messages, message != NULL ? message : "");
}

GVariant *
dmpi_result_batch_builder_end (DmpiResultBatchBuilder *b)
{
  GVariant *children[] = {
    FIXED (b->ids, G_VARIANT_TYPE_UINT64),
    FIXED (b->states, G_VARIANT_TYPE_UINT32),
    FIXED (b->codes, G_VARIANT_TYPE_UINT32),
    FIXED (b->nbytes, G_VARIANT_TYPE_UINT64),
    FIXED (b->ranks, G_VARIANT_TYPE_UINT32),
    dmpi_str_column_ends (&b->messages),
    dmpi_str_column_blob (&b->messages),
    FIXED (b->starts, G_VARIANT_TYPE_DOUBLE),
    FIXED (b->stops, G_VARIANT_TYPE_DOUBLE),
  };
  GVariant *message = g_variant_new_tuple (children, G_N_ELEMENTS (children));

  g_array_set_size (b->ids, 0);
  g_array_set_size (b->states, 0);
  g_array_set_size (b->codes, 0);
  g_array_set_size (b->nbytes, 0);
  g_array_set_size (b->ranks, 0);
  g_array_set_size (b->starts, 0);
  g_array_set_size (b->stops, 0);
  str_column_reset (&b->messages);
  return message;
}

gboolean
dmpi_result_batch_parse (DmpiResultBatch *r, GVariant *message, GError **error)
{
  gsize n_states, n_codes, n_nbytes, n_ranks, n_ends, n_starts, n_stops;

  memset (r, 0, sizeof *r);
  if (!g_variant_is_of_type (message, G_VARIANT_TYPE (DMPI_RESULT_BATCH_TYPE)))
    return bad (error, "wrong type");
  r->message = g_variant_ref (message);
  r->ids = child_array (message, 0, sizeof (guint64), &r->n);
  r->states = child_array (message, 1, sizeof (guint32), &n_states);
  r->codes = child_array (message, 2, sizeof (guint32), &n_codes);
  r->nbytes = child_array (message, 3, sizeof (guint64), &n_nbytes);
  r->ranks = child_array (message, 4, sizeof (guint32), &n_ranks);
  r->messages_end = child_array (message, 5, sizeof (guint32), &n_ends);
  r->messages = child_array (message, 6, 1, &r->messages_len);
  r->starts = child_array (message, 7, sizeof (double), &n_starts);
  r->stops = child_array (message, 8, sizeof (double), &n_stops);
  if (n_states != r->n || n_codes != r->n || n_nbytes != r->n || n_ranks != r->n || n_ends != r->n
      || n_starts != r->n || n_stops != r->n)
    return bad (error, "result columns of different lengths");
  return check_str_column (r->messages, r->messages_len, r->messages_end, r->n, "message", error);
}

void
dmpi_result_batch_clear (DmpiResultBatch *r)
{
  g_clear_pointer (&r->message, g_variant_unref);
  memset (r, 0, sizeof *r);
}

const char *
dmpi_result_batch_message (const DmpiResultBatch *r, gsize i)
{
  return str_at (r->messages, r->messages_end, i);
}
