/* libFuzzer harness: the group-by over whatever a table's byte form holds.
 * The input is two bytes, then a serialised table. Byte 0 picks key columns
 * (bit i: column i, up to 3), byte 1 the op tried on every other column.
 * The table goes through partial, a combine of the state with itself, and
 * finalize; then the table itself is taken as a state (as a rank receives
 * one), its specs read back from its state column names ("<name>:<op>.<type>"),
 * and combined and finalized. Errors are fine; crashes, leaks and undefined
 * behaviour are not. */
#include "config.h"

#include "df/groupby.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define MAX_SPECS 16

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  (void) argc; (void) argv;
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  return 0;
}

static void
run (DmpiTable *state, const char *const *keys, guint n_keys, const DmpiAggSpec *aggs, guint n_aggs)
{
  DmpiTable *two[2] = { state, state };
  g_autoptr(DmpiTable) both = dmpi_groupby_combine (two, 2, keys, n_keys, aggs, n_aggs, NULL);
  g_autoptr(DmpiTable) out = dmpi_groupby_finalize (both != NULL ? both : state, keys, n_keys,
                                                    aggs, n_aggs, NULL);
  if (out != NULL && dmpi_table_n_columns (out) > 0)
    {
      const char *first = dmpi_table_column (out, 0)->name;
      const gboolean down = FALSE;
      g_autoptr(DmpiTable) sorted = dmpi_table_sort (out, &first, &down, 1, NULL);
      (void) sorted;
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 2)
    return 0;
  g_autoptr(GBytes) bytes = g_bytes_new (data + 2, size - 2);
  g_autoptr(DmpiTable) table = dmpi_table_deserialize (bytes, NULL);
  if (table == NULL)
    return 0;
  guint n_columns = dmpi_table_n_columns (table);
  const char *keys[3];
  DmpiAggSpec aggs[MAX_SPECS];
  g_autofree char *names = g_malloc (MAX_SPECS * 8);
  guint n_keys = 0, n_aggs = 0;

  /* As data: partial, combine, finalize. */
  for (guint c = 0; c < n_columns && c < 8; c++)
    {
      const char *name = dmpi_table_column (table, c)->name;
      if ((data[0] >> c) & 1)
        {
          if (n_keys < 3)
            keys[n_keys++] = name;
        }
      else if (n_aggs < MAX_SPECS)
        {
          char *out = names + n_aggs * 8;
          g_snprintf (out, 8, "a%u", n_aggs);
          aggs[n_aggs++] = (DmpiAggSpec) { (DmpiAggOp) (data[1] % DMPI_AGG_N_OPS), name, out };
          if (aggs[n_aggs - 1].op == DMPI_AGG_SIZE)
            aggs[n_aggs - 1].column = NULL;
        }
    }
  g_autoptr(DmpiTable) state = dmpi_groupby_partial (table, keys, n_keys, aggs, n_aggs, NULL);
  if (state != NULL)
    {
      g_autoptr(GBytes) sb = dmpi_table_serialize (state);
      g_autoptr(DmpiTable) back = dmpi_table_deserialize (sb, NULL);
      g_assert (back != NULL);
      run (back, keys, n_keys, aggs, n_aggs);
    }

  /* As a state: the leading columns without ':' are keys; each column named
   * "<name>:<op>.<type>" starts an aggregation. */
  g_autoptr(GPtrArray) storage = g_ptr_array_new_with_free_func (g_free);
  n_keys = n_aggs = 0;
  for (guint c = 0; c < n_columns; c++)
    {
      const char *name = dmpi_table_column (table, c)->name;
      const char *colon = strrchr (name, ':');
      if (colon == NULL)
        {
          if (n_aggs == 0 && n_keys < 3)
            keys[n_keys++] = name;
          continue;
        }
      const char *dot = strchr (colon, '.');
      g_autofree char *op = g_strndup (colon + 1, dot != NULL ? (gsize) (dot - colon - 1) : strlen (colon + 1));
      char *agg_name = g_strndup (name, (gsize) (colon - name));
      g_ptr_array_add (storage, agg_name);
      for (guint o = 0; o < DMPI_AGG_N_OPS && n_aggs < MAX_SPECS; o++)
        if (strcmp (op, dmpi_agg_op_name ((DmpiAggOp) o)) == 0)
          aggs[n_aggs++] = (DmpiAggSpec) { (DmpiAggOp) o, o == DMPI_AGG_SIZE ? NULL : "x", agg_name };
    }
  run (table, keys, n_keys, aggs, n_aggs);
  return 0;
}
