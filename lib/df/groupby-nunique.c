/* The distinct sets of nunique: per group, its distinct values, kept in a
 * state column as one packed byte string per group (see groupby.h): sorted,
 * so that a state does not depend on row order. Values are deduplicated
 * through a hash set of (group, value) and sorted once at the end. */
#include "config.h"

#include "df/groupby-private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  guint64     word;   /* a fixed-size value as packed; for a string, its length */
  const char *ptr;    /* a string's bytes; NULL for fixed-size values */
  guint64     hash;
  guint32     gid;
} Elem;

struct _DmpiDistinct {
  GArray  *elems;     /* of Elem, the distinct ones */
  guint32 *slots;     /* 1 + index into elems; 0: empty */
  gsize    mask;
};

typedef DmpiDistinct Distinct;

DmpiDistinct *
dmpi_distinct_new (void)
{
  Distinct *d = g_new0 (Distinct, 1);
  d->elems = g_array_new (FALSE, FALSE, sizeof (Elem));
  d->mask = 255;
  d->slots = g_new0 (guint32, d->mask + 1);
  return d;
}

void
dmpi_distinct_free (DmpiDistinct *d)
{
  if (d == NULL)
    return;
  g_array_unref (d->elems);
  g_free (d->slots);
  g_free (d);
}

static inline gboolean
elem_equal (const Elem *a, const Elem *b)
{
  return a->gid == b->gid && a->word == b->word &&
         (a->ptr == NULL || a->word == 0 || memcmp (a->ptr, b->ptr, a->word) == 0);
}

static void
distinct_grow (Distinct *d)
{
  gsize mask = d->mask * 2 + 1;
  guint32 *slots = g_new0 (guint32, mask + 1);
  for (guint i = 0; i < d->elems->len; i++)
    {
      gsize pos = g_array_index (d->elems, Elem, i).hash & mask;
      while (slots[pos] != 0)
        pos = (pos + 1) & mask;
      slots[pos] = i + 1;
    }
  g_free (d->slots);
  d->slots = slots;
  d->mask = mask;
}

static gboolean
distinct_add (Distinct *d, guint32 gid, guint64 word, const char *ptr, GError **error)
{
  Elem e = { word, ptr, 0, gid };
  e.hash = dmpi_hash_mix ((ptr != NULL ? dmpi_hash_bytes (ptr, word) : word)
                          ^ ((guint64) gid * G_GUINT64_CONSTANT (0x9e3779b97f4a7c15)));
  gsize pos = e.hash & d->mask;
  while (d->slots[pos] != 0)
    {
      if (elem_equal (&g_array_index (d->elems, Elem, d->slots[pos] - 1), &e))
        return TRUE;
      pos = (pos + 1) & d->mask;
    }
  if (d->elems->len >= G_MAXUINT32 - 1)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED,
                   "nunique: more than %u distinct values in one table", G_MAXUINT32 - 1);
      return FALSE;
    }
  g_array_append_val (d->elems, e);
  d->slots[pos] = d->elems->len;
  if (d->elems->len * 2 > d->mask)
    distinct_grow (d);
  return TRUE;
}

static int
elem_compare (const void *pa, const void *pb)
{
  const Elem *a = pa, *b = pb;
  if (a->gid != b->gid)
    return a->gid < b->gid ? -1 : 1;
  if (a->ptr == NULL)
    return (a->word > b->word) - (a->word < b->word);
  gsize n = MIN (a->word, b->word);
  int r = n > 0 ? memcmp (a->ptr, b->ptr, n) : 0;
  if (r != 0)
    return r;
  return (a->word > b->word) - (a->word < b->word);
}

DmpiColumn *
dmpi_distinct_pack (DmpiDistinct *d, const char *name, gsize n_groups, GError **error)
{
  Elem *elems = (Elem *) (gpointer) d->elems->data;
  gsize n = d->elems->len, total = 0;

  if (n > 0)
    qsort (elems, n, sizeof (Elem), elem_compare);
  for (gsize i = 0; i < n; i++)
    total += elems[i].ptr != NULL ? 4 + elems[i].word : 8;
  if (total > G_MAXUINT32)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED,
                   "nunique '%s': the distinct values take more than 4 GiB", name);
      return NULL;
    }

  DmpiColumn *c = dmpi_column_new (name, DMPI_COL_STRING, MAX (n_groups, 1));
  c->chars = g_malloc (MAX (total, 1));
  c->chars_capacity = MAX (total, 1);
  gsize pos = 0, e = 0;
  for (gsize g = 0; g < n_groups; g++)
    {
      for (; e < n && elems[e].gid == g + 1; e++)
        if (elems[e].ptr != NULL)
          {
            guint32 len = (guint32) elems[e].word;
            memcpy (c->chars + pos, &len, 4);
            if (len > 0)
              memcpy (c->chars + pos + 4, elems[e].ptr, len);
            pos += 4 + len;
          }
        else
          {
            memcpy (c->chars + pos, &elems[e].word, 8);
            pos += 8;
          }
      c->offsets[g + 1] = (guint32) pos;
    }
  c->chars_len = pos;
  c->n_rows = n_groups;
  return c;
}

/* A present fixed-size value as packed: -0.0 as 0.0, float32 widened. */
static inline guint64
pack_value (const DmpiColumn *c, gsize i, gboolean *present)
{
  guint64 w;
  gdouble d;
  *present = c->valid == NULL || c->valid[i];
  switch (c->type)
    {
    case DMPI_COL_INT32:
      return (guint64) (gint64) DMPI_COLUMN_INT32 (c)[i];
    case DMPI_COL_BOOL:
      return DMPI_COLUMN_BOOL (c)[i];
    case DMPI_COL_FLOAT32:
    case DMPI_COL_FLOAT64:
      d = c->type == DMPI_COL_FLOAT32 ? DMPI_COLUMN_FLOAT32 (c)[i] : DMPI_COLUMN_FLOAT64 (c)[i];
      if (isnan (d))
        *present = FALSE;
      if (d == 0)
        d = 0;
      memcpy (&w, &d, 8);
      return w;
    default:
      return (guint64) DMPI_COLUMN_INT64 (c)[i];
    }
}

gboolean
dmpi_distinct_add_values (DmpiDistinct *d, const DmpiColumn *in, gsize start, gsize n,
                          const guint32 *gids, GError **error)
{
  for (gsize i = 0; i < n; i++)
    {
      gsize row = start + i;
      if (gids[i] == 0)
        continue;
      if (in->type == DMPI_COL_STRING)
        {
          if (in->valid != NULL && !in->valid[row])
            continue;
          gsize len;
          const char *s = dmpi_column_get_string (in, row, &len);
          if (!distinct_add (d, gids[i], len, s, error))
            return FALSE;
        }
      else
        {
          gboolean present;
          guint64 w = pack_value (in, row, &present);
          if (present && !distinct_add (d, gids[i], w, NULL, error))
            return FALSE;
        }
    }
  return TRUE;
}

/* Walks the packed set of a state row: calls add for each value, or counts
 * them when d is NULL. */
static gboolean
unpack (const DmpiColumn *state, gsize row, gboolean strings, Distinct *d, guint32 gid,
        gint64 *count, GError **error)
{
  gsize len;
  const char *p = dmpi_column_get_string (state, row, &len);
  const char *end = p + len;
  gint64 n = 0;

  if (!strings && len % 8 != 0)
    goto corrupt;
  while (p < end)
    {
      guint64 w;
      const char *s = NULL;
      if (strings)
        {
          guint32 slen;
          if (end - p < 4)
            goto corrupt;
          memcpy (&slen, p, 4);
          if ((gsize) (end - p - 4) < slen)
            goto corrupt;
          s = p + 4;
          w = slen;
          p += 4 + slen;
        }
      else
        {
          memcpy (&w, p, 8);
          p += 8;
        }
      n++;
      if (d != NULL && !distinct_add (d, gid, w, s, error))
        return FALSE;
    }
  if (count != NULL)
    *count = n;
  return TRUE;

corrupt:
  g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID,
               "nunique state column '%s' is corrupt at row %" G_GSIZE_FORMAT, state->name, row);
  return FALSE;
}

gboolean
dmpi_distinct_add_sets (DmpiDistinct *d, const DmpiColumn *state, DmpiColType in,
                        gsize start, gsize n, const guint32 *gids, GError **error)
{
  for (gsize i = 0; i < n; i++)
    if (gids[i] != 0 &&
        !unpack (state, start + i, in == DMPI_COL_STRING, d, gids[i], NULL, error))
      return FALSE;
  return TRUE;
}

gboolean
dmpi_distinct_count (const DmpiColumn *state, DmpiColType in, gint64 *counts, GError **error)
{
  for (gsize r = 0; r < state->n_rows; r++)
    if (!unpack (state, r, in == DMPI_COL_STRING, NULL, 0, &counts[r], error))
      return FALSE;
  return TRUE;
}
