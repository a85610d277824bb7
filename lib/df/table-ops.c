/* Whole-table operations: taking rows, slicing, concatenating, and a
 * stable sort with missing values last. */
#include "config.h"

#include "df/groupby-private.h"

#include <math.h>
#include <string.h>

/* ---- taking rows ---- */

#define NONE G_MAXSIZE

DmpiColumn *
dmpi_column_take (const DmpiColumn *c, const gsize *rows, gsize n)
{
  DmpiColumn *out = dmpi_column_new (c->name, c->type, MAX (n, 1));
  gboolean any_missing = FALSE;

  for (gsize i = 0; i < n && !any_missing; i++)
    any_missing = rows[i] == NONE;

  if (c->type == DMPI_COL_STRING)
    {
      gsize total = 0;
      for (gsize i = 0; i < n; i++)
        if (rows[i] != NONE)
          total += c->offsets[rows[i] + 1] - c->offsets[rows[i]];
      g_return_val_if_fail (total <= G_MAXUINT32, out);
      out->chars = g_malloc (MAX (total, 1));
      out->chars_capacity = MAX (total, 1);
      gsize pos = 0;
      for (gsize i = 0; i < n; i++)
        {
          guint32 o = 0, len = 0;
          if (rows[i] != NONE)
            o = c->offsets[rows[i]], len = c->offsets[rows[i] + 1] - o;
          if (len > 0)
            memcpy (out->chars + pos, c->chars + o, len);
          pos += len;
          out->offsets[i + 1] = (guint32) pos;
        }
      out->chars_len = pos;
    }
  else
    switch (dmpi_col_type_size (c->type))
      {
#define TAKE_AS(T) \
        { \
          const T *src = c->data; \
          T *dst = out->data; \
          for (gsize i = 0; i < n; i++) \
            dst[i] = rows[i] != NONE ? src[rows[i]] : 0; \
          break; \
        }
      case 1: TAKE_AS (guint8)
      case 4: TAKE_AS (guint32)
      default: TAKE_AS (guint64)
#undef TAKE_AS
      }
  if (c->valid != NULL || any_missing)
    {
      out->valid = g_malloc (out->capacity);
      for (gsize i = 0; i < n; i++)
        out->valid[i] = rows[i] != NONE && (c->valid == NULL || c->valid[rows[i]]);
    }
  out->n_rows = n;
  return out;
}

DmpiTable *
dmpi_table_take (const DmpiTable *table, const gsize *rows, gsize n)
{
  DmpiTable *t = dmpi_table_new ();
  for (guint i = 0; i < dmpi_table_n_columns (table); i++)
    dmpi_table_add_column (t, dmpi_column_take (dmpi_table_column (table, i), rows, n));
  t->n_rows = n;
  return t;
}

/* Appends rows [start, start + n) of src to dst (same type); dst's valid
 * array is created when src has one. */
static void
column_append_rows (DmpiColumn *dst, const DmpiColumn *src, gsize start, gsize n)
{
  gsize at = dst->n_rows;
  dmpi_column_reserve (dst, MAX (at + n, 1));
  if (src->type == DMPI_COL_STRING)
    {
      guint32 o0 = src->offsets[start], len = src->offsets[start + n] - o0;
      g_return_if_fail (dst->chars_len + len <= G_MAXUINT32);
      if (dst->chars_len + len > dst->chars_capacity)
        {
          dst->chars_capacity = MAX (dst->chars_len + len, dst->chars_capacity * 2);
          dst->chars = g_realloc (dst->chars, dst->chars_capacity);
        }
      if (len > 0)
        memcpy (dst->chars + dst->chars_len, src->chars + o0, len);
      for (gsize i = 0; i < n; i++)
        dst->offsets[at + i + 1] = (guint32) (dst->chars_len + src->offsets[start + i + 1] - o0);
      dst->chars_len += len;
    }
  else if (n > 0)
    {
      gsize size = dmpi_col_type_size (src->type);
      memcpy ((guint8 *) dst->data + at * size, (const guint8 *) src->data + start * size, n * size);
    }
  if (src->valid != NULL && dst->valid == NULL)
    {
      dst->valid = g_malloc (dst->capacity);
      memset (dst->valid, 1, at);
    }
  if (dst->valid != NULL)
    {
      if (src->valid != NULL)
        memcpy (dst->valid + at, src->valid + start, n);
      else
        memset (dst->valid + at, 1, n);
    }
  dst->n_rows = at + n;
}

DmpiColumn *
dmpi_column_copy (const DmpiColumn *c, const char *name)
{
  DmpiColumn *out = dmpi_column_new (name != NULL ? name : c->name, c->type, MAX (c->n_rows, 1));
  column_append_rows (out, c, 0, c->n_rows);
  return out;
}

DmpiTable *
dmpi_table_slice (const DmpiTable *table, gsize start, gsize n)
{
  g_return_val_if_fail (start <= table->n_rows && n <= table->n_rows - start, NULL);
  DmpiTable *t = dmpi_table_new ();
  for (guint i = 0; i < dmpi_table_n_columns (table); i++)
    {
      const DmpiColumn *c = dmpi_table_column (table, i);
      DmpiColumn *out = dmpi_column_new (c->name, c->type, MAX (n, 1));
      column_append_rows (out, c, start, n);
      dmpi_table_add_column (t, out);
    }
  t->n_rows = n;
  return t;
}

DmpiTable *
dmpi_table_head (const DmpiTable *table, gsize n)
{
  return dmpi_table_slice (table, 0, MIN (n, table->n_rows));
}

DmpiTable *
dmpi_table_concat (DmpiTable *const *tables, guint n, GError **error)
{
  if (n == 0)
    return dmpi_table_new ();

  const DmpiTable *first = tables[0];
  guint n_columns = dmpi_table_n_columns (first);
  gsize rows = 0;
  g_autofree guint64 *chars = g_new0 (guint64, n_columns + 1);
  for (guint t = 0; t < n; t++)
    {
      if (dmpi_table_n_columns (tables[t]) != n_columns)
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED,
                       "concat: table %u has %u columns, table 0 has %u",
                       t, dmpi_table_n_columns (tables[t]), n_columns);
          return NULL;
        }
      for (guint i = 0; i < n_columns; i++)
        {
          const DmpiColumn *a = dmpi_table_column (first, i), *b = dmpi_table_column (tables[t], i);
          if (strcmp (a->name, b->name) != 0 || a->type != b->type)
            {
              g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED,
                           "concat: column %u of table %u is '%s' (%s), of table 0 '%s' (%s)",
                           i, t, b->name, dmpi_col_type_name (b->type),
                           a->name, dmpi_col_type_name (a->type));
              return NULL;
            }
          chars[i] += b->type == DMPI_COL_STRING ? b->chars_len : 0;
          if (chars[i] > G_MAXUINT32)
            {
              g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED,
                           "concat: string column '%s' would exceed 4 GiB of characters", a->name);
              return NULL;
            }
        }
      rows += tables[t]->n_rows;
    }

  DmpiTable *out = dmpi_table_new ();
  for (guint i = 0; i < n_columns; i++)
    {
      const DmpiColumn *a = dmpi_table_column (first, i);
      DmpiColumn *c = dmpi_column_new (a->name, a->type, MAX (rows, 1));
      if (a->type == DMPI_COL_STRING)
        {
          c->chars_capacity = MAX (chars[i], 1);
          c->chars = g_malloc (c->chars_capacity);
        }
      for (guint t = 0; t < n; t++)
        column_append_rows (c, dmpi_table_column (tables[t], i), 0, tables[t]->n_rows);
      dmpi_table_add_column (out, c);
    }
  out->n_rows = rows;
  return out;
}

/* ---- sorting ---- */

typedef struct {
  const DmpiColumn **columns;
  const gboolean    *ascending;
  guint              n;
} SortKeys;

static inline gboolean
sort_missing (const DmpiColumn *c, gsize row)
{
  if (c->valid != NULL && !c->valid[row])
    return TRUE;
  if (c->type == DMPI_COL_FLOAT64)
    return isnan (DMPI_COLUMN_FLOAT64 (c)[row]);
  if (c->type == DMPI_COL_FLOAT32)
    return isnan (DMPI_COLUMN_FLOAT32 (c)[row]);
  return FALSE;
}

#define CMP(x, y) (((x) > (y)) - ((x) < (y)))

static int
compare_values (const DmpiColumn *c, gsize a, gsize b)
{
  switch (c->type)
    {
    case DMPI_COL_INT32: return CMP (DMPI_COLUMN_INT32 (c)[a], DMPI_COLUMN_INT32 (c)[b]);
    case DMPI_COL_BOOL: return CMP (DMPI_COLUMN_BOOL (c)[a], DMPI_COLUMN_BOOL (c)[b]);
    case DMPI_COL_FLOAT32: return CMP (DMPI_COLUMN_FLOAT32 (c)[a], DMPI_COLUMN_FLOAT32 (c)[b]);
    case DMPI_COL_FLOAT64: return CMP (DMPI_COLUMN_FLOAT64 (c)[a], DMPI_COLUMN_FLOAT64 (c)[b]);
    case DMPI_COL_STRING:
      {
        guint32 oa = c->offsets[a], la = c->offsets[a + 1] - oa;
        guint32 ob = c->offsets[b], lb = c->offsets[b + 1] - ob;
        int r = MIN (la, lb) > 0 ? memcmp (c->chars + oa, c->chars + ob, MIN (la, lb)) : 0;
        return r != 0 ? (r > 0) - (r < 0) : CMP (la, lb);
      }
    default: return CMP (DMPI_COLUMN_INT64 (c)[a], DMPI_COLUMN_INT64 (c)[b]);
    }
}

static int
compare_rows (const SortKeys *k, gsize a, gsize b)
{
  for (guint i = 0; i < k->n; i++)
    {
      const DmpiColumn *c = k->columns[i];
      gboolean ma = sort_missing (c, a), mb = sort_missing (c, b);
      int r;
      if (ma || mb)
        {
          if (ma && mb)
            continue;
          return ma ? 1 : -1;   /* missing last, either direction */
        }
      r = compare_values (c, a, b);
      if (r != 0)
        return k->ascending == NULL || k->ascending[i] ? r : -r;
    }
  return 0;
}

/* A stable merge sort of row numbers; tmp holds n / 2 + 1. */
static void
merge_sort (gsize *a, gsize n, gsize *tmp, const SortKeys *k)
{
  if (n < 16)
    {
      for (gsize i = 1; i < n; i++)
        {
          gsize x = a[i], j = i;
          while (j > 0 && compare_rows (k, a[j - 1], x) > 0)
            {
              a[j] = a[j - 1];
              j--;
            }
          a[j] = x;
        }
      return;
    }
  gsize half = n / 2;
  merge_sort (a, half, tmp, k);
  merge_sort (a + half, n - half, tmp, k);
  if (compare_rows (k, a[half - 1], a[half]) <= 0)
    return;
  memcpy (tmp, a, half * sizeof *a);
  gsize i = 0, j = half, out = 0;
  while (i < half && j < n)
    a[out++] = compare_rows (k, tmp[i], a[j]) <= 0 ? tmp[i++] : a[j++];
  while (i < half)
    a[out++] = tmp[i++];
}

DmpiTable *
dmpi_table_sort (const DmpiTable *table, const char *const *columns, const gboolean *ascending,
                 guint n_columns, GError **error)
{
  g_autofree const DmpiColumn **cols = g_new (const DmpiColumn *, MAX (n_columns, 1));
  for (guint i = 0; i < n_columns; i++)
    {
      gint c = dmpi_table_column_index ((DmpiTable *) table, columns[i]);
      if (c < 0)
        {
          GString *all = g_string_new (NULL);
          for (guint j = 0; j < dmpi_table_n_columns (table); j++)
            g_string_append_printf (all, "%s%s", j > 0 ? ", " : "",
                                    dmpi_table_column (table, j)->name);
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_MISSING_COLUMN,
                       "sort: unknown column '%s' (columns: %s)", columns[i], all->str);
          g_string_free (all, TRUE);
          return NULL;
        }
      cols[i] = dmpi_table_column (table, (guint) c);
    }

  gsize n = table->n_rows;
  g_autofree gsize *rows = g_new (gsize, MAX (n, 1));
  g_autofree gsize *tmp = g_new (gsize, n / 2 + 1);
  for (gsize i = 0; i < n; i++)
    rows[i] = i;
  SortKeys k = { cols, ascending, n_columns };
  merge_sort (rows, n, tmp, &k);
  return dmpi_table_take (table, rows, n);
}
