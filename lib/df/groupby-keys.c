/* Grouping rows by their key columns, a chunk at a time: a group id per
 * row, groups numbered in order of first appearance (see
 * groupby-private.h).
 *
 * Two ways. When every key is an integer (int32, int64, bool, timestamp,
 * duration) and the product of the keys' ranges is small, the keys index a
 * direct array of group ids (the reference job's year, month, hour,
 * payment type). Otherwise rows go through an open-addressing hash table a
 * chunk at a time: each key column is hashed over the chunk into one
 * row-hash array, then each row probes the table, whose slots hold a group
 * id and the high half of its hash; keys are compared column by column with
 * the group's first row. */
#include "config.h"

#include "df/groupby-private.h"

#include <math.h>
#include <string.h>

#define NO_CELL G_MAXUINT32

guint64
dmpi_hash_bytes (const void *data, gsize len)
{
  const guint8 *p = data;
  guint64 h = G_GUINT64_CONSTANT (0x9e3779b97f4a7c15) ^ ((guint64) len * G_GUINT64_CONSTANT (0xff51afd7ed558ccd));
  while (len >= 8)
    {
      guint64 w;
      memcpy (&w, p, 8);
      w *= G_GUINT64_CONSTANT (0x87c37b91114253d5);
      h ^= (w << 31) | (w >> 33);
      h = ((h << 27) | (h >> 37)) * 5 + 0x52dce729;
      p += 8;
      len -= 8;
    }
  if (len > 0)
    {
      guint64 w = 0;
      memcpy (&w, p, len);
      h ^= w * G_GUINT64_CONSTANT (0x4cf5ad432745937f);
    }
  return dmpi_hash_mix (h);
}

static gboolean
is_integer_key (DmpiColType t)
{
  return t == DMPI_COL_INT32 || t == DMPI_COL_INT64 || t == DMPI_COL_BOOL ||
         t == DMPI_COL_TIMESTAMP || t == DMPI_COL_DURATION;
}

static inline gint64
int_key (const DmpiColumn *c, gsize row)
{
  switch (c->type)
    {
    case DMPI_COL_INT32: return DMPI_COLUMN_INT32 (c)[row];
    case DMPI_COL_BOOL: return DMPI_COLUMN_BOOL (c)[row];
    default: return DMPI_COLUMN_INT64 (c)[row];
    }
}

typedef struct {
  guint32 gid;    /* 0: empty */
  guint32 tag;    /* the hash's high half */
} Slot;

typedef struct {
  gboolean  direct;
  gsize     cap;          /* of first_row and group_hash */
  /* direct: cell = sum of (key - min) * stride; cell_group[cell] = gid or 0 */
  gint64   *mins;
  guint32  *strides;
  guint32  *cell_group;
  /* hashed */
  Slot     *slots;
  gsize     mask;
  guint64  *group_hash;
  guint64  *h;            /* [DMPI_GROUP_CHUNK]: the chunk's row hashes */
  guint8   *drop;         /* [DMPI_GROUP_CHUNK]: rows with a missing or NaN key */
} Priv;

/* ---- small integer ranges: a direct array ---- */

/* The smallest and largest present value of a key over rows [0, n); lo > hi
 * when there is none. */
static void
key_range (const DmpiColumn *c, gsize n, gint64 *lo_out, gint64 *hi_out)
{
  gint64 lo = G_MAXINT64, hi = G_MININT64;
  /* Without missing values, a loop the compiler vectorises. */
  if (c->valid == NULL && c->type != DMPI_COL_INT32 && c->type != DMPI_COL_BOOL)
    {
      const gint64 *v = DMPI_COLUMN_INT64 (c);
      for (gsize i = 0; i < n; i++)
        {
          lo = MIN (lo, v[i]);
          hi = MAX (hi, v[i]);
        }
    }
  else
    for (gsize i = 0; i < n; i++)
      if (c->valid == NULL || c->valid[i])
        {
          gint64 v = int_key (c, i);
          lo = MIN (lo, v);
          hi = MAX (hi, v);
        }
  *lo_out = lo;
  *hi_out = hi;
}

/* Whether every key is an integer with a small product of ranges; if so,
 * sets up the cells. The first chunk is looked at first, so that wide keys
 * are not read twice. */
static gboolean
direct_init (DmpiGrouper *g, Priv *p, gsize n_rows)
{
  guint n_keys = g->n_keys;
  guint64 limit = CLAMP ((guint64) n_rows * 2, 1 << 16, 1 << 22);
  g_autofree gint64 *mins = g_new (gint64, n_keys);
  g_autofree guint32 *strides = g_new (guint32, n_keys);
  guint64 cells = 1;

  for (guint k = 0; k < n_keys; k++)
    if (!is_integer_key (g->keys[k]->type))
      return FALSE;
  for (guint pass = 0; pass < 2; pass++)
    {
      gsize n = pass == 0 ? MIN (n_rows, DMPI_GROUP_CHUNK) : n_rows;
      cells = 1;
      for (guint k = 0; k < n_keys; k++)
        {
          gint64 lo, hi;
          key_range (g->keys[k], n, &lo, &hi);
          if (lo > hi)   /* no value at all: every row is dropped */
            lo = hi = 0;
          guint64 range = (guint64) hi - (guint64) lo + 1;
          if (range == 0 || range > limit || cells * range > limit)
            return FALSE;
          mins[k] = lo;
          strides[k] = (guint32) cells;
          cells *= range;
        }
      if (n == n_rows)
        break;
    }
  p->mins = g_steal_pointer (&mins);
  p->strides = g_steal_pointer (&strides);
  p->cell_group = g_new0 (guint32, cells);
  p->direct = TRUE;
  return TRUE;
}

/* Adds (value - min) * stride to cell[] over the chunk, in unsigned
 * arithmetic (a missing row holds any value; it is dropped afterwards). */
#define ADD_CELL(T) \
  { \
    const T *v = (const T *) c->data + start; \
    for (gsize i = 0; i < n; i++) \
      cell[i] += (guint32) ((guint64) (gint64) v[i] - (guint64) min) * stride; \
  }

static void
new_group (DmpiGrouper *g, Priv *p, gsize row, guint64 hash)
{
  if (g->n_groups + 1 == p->cap)
    {
      p->cap *= 2;
      g->first_row = g_renew (gsize, g->first_row, p->cap);
      if (p->group_hash != NULL)
        p->group_hash = g_renew (guint64, p->group_hash, p->cap);
    }
  g->n_groups++;
  g->first_row[g->n_groups] = row;
  if (p->group_hash != NULL)
    p->group_hash[g->n_groups] = hash;
}

static void
direct_next (DmpiGrouper *g, Priv *p, gsize start, gsize n, guint32 *cell)
{
  memset (cell, 0, n * sizeof *cell);
  for (guint k = 0; k < g->n_keys; k++)
    {
      const DmpiColumn *c = g->keys[k];
      gint64 min = p->mins[k];
      guint32 stride = p->strides[k];
      if (c->type == DMPI_COL_INT32)
        ADD_CELL (gint32)
      else if (c->type == DMPI_COL_BOOL)
        ADD_CELL (guint8)
      else
        ADD_CELL (gint64)
    }
  for (guint k = 0; k < g->n_keys; k++)
    if (g->keys[k]->valid != NULL)
      {
        const guint8 *valid = g->keys[k]->valid + start;
        for (gsize i = 0; i < n; i++)
          if (!valid[i])
            cell[i] = NO_CELL;
      }
  /* Cells to groups, in place. */
  for (gsize i = 0; i < n; i++)
    {
      guint32 c = cell[i];
      if (G_UNLIKELY (c == NO_CELL))
        {
          cell[i] = 0;
          g->n_dropped++;
          continue;
        }
      guint32 gid = p->cell_group[c];
      if (G_UNLIKELY (gid == 0))
        {
          new_group (g, p, start + i, 0);
          gid = p->cell_group[c] = (guint32) g->n_groups;
        }
      cell[i] = gid;
    }
}

/* ---- the general case: a hash table ---- */

static inline guint64
hash_combine (guint64 h, guint64 x)
{
  return dmpi_hash_mix (h * G_GUINT64_CONSTANT (0x9e3779b97f4a7c15) + x);
}

/* Hashes one key column over rows [start, start + n) into h[], and marks
 * rows whose key is missing or NaN in drop[]. */
static void
hash_column (const DmpiColumn *c, gsize start, gsize n, guint64 *h, guint8 *drop)
{
  switch (c->type)
    {
    case DMPI_COL_INT32:
      {
        const gint32 *v = DMPI_COLUMN_INT32 (c) + start;
        for (gsize i = 0; i < n; i++)
          h[i] = hash_combine (h[i], (guint64) (gint64) v[i]);
        break;
      }
    case DMPI_COL_BOOL:
      {
        const guint8 *v = DMPI_COLUMN_BOOL (c) + start;
        for (gsize i = 0; i < n; i++)
          h[i] = hash_combine (h[i], v[i]);
        break;
      }
    /* Floats by their bits, -0.0 as 0.0; NaN is a missing key. */
#define HASH_FLOAT(T, BITS) \
      { \
        const T *v = (const T *) c->data + start; \
        for (gsize i = 0; i < n; i++) \
          { \
            BITS bits; \
            T x = v[i] == 0 ? 0 : v[i]; \
            memcpy (&bits, &x, sizeof bits); \
            h[i] = hash_combine (h[i], bits); \
            drop[i] |= isnan (x); \
          } \
        break; \
      }
    case DMPI_COL_FLOAT32:
      HASH_FLOAT (gfloat, guint32)
    case DMPI_COL_FLOAT64:
      HASH_FLOAT (gdouble, guint64)
#undef HASH_FLOAT
    case DMPI_COL_STRING:
      for (gsize i = 0; i < n; i++)
        {
          guint32 o = c->offsets[start + i], len = c->offsets[start + i + 1] - o;
          h[i] = hash_combine (h[i], dmpi_hash_bytes (c->chars != NULL ? c->chars + o : "", len));
        }
      break;
    case DMPI_COL_INT64:
    case DMPI_COL_TIMESTAMP:
    case DMPI_COL_DURATION:
    default:
      {
        const gint64 *v = DMPI_COLUMN_INT64 (c) + start;
        for (gsize i = 0; i < n; i++)
          h[i] = hash_combine (h[i], (guint64) v[i]);
        break;
      }
    }
  if (c->valid != NULL)
    for (gsize i = 0; i < n; i++)
      drop[i] |= !c->valid[start + i];
}

static inline gboolean
key_equal (const DmpiColumn *c, gsize a, gsize b)
{
  switch (c->type)
    {
    case DMPI_COL_INT32:
      return DMPI_COLUMN_INT32 (c)[a] == DMPI_COLUMN_INT32 (c)[b];
    case DMPI_COL_BOOL:
      return DMPI_COLUMN_BOOL (c)[a] == DMPI_COLUMN_BOOL (c)[b];
    case DMPI_COL_FLOAT32:
      return DMPI_COLUMN_FLOAT32 (c)[a] == DMPI_COLUMN_FLOAT32 (c)[b];
    case DMPI_COL_FLOAT64:
      return DMPI_COLUMN_FLOAT64 (c)[a] == DMPI_COLUMN_FLOAT64 (c)[b];
    case DMPI_COL_STRING:
      {
        guint32 oa = c->offsets[a], la = c->offsets[a + 1] - oa;
        guint32 ob = c->offsets[b], lb = c->offsets[b + 1] - ob;
        return la == lb && (la == 0 || memcmp (c->chars + oa, c->chars + ob, la) == 0);
      }
    default:
      return DMPI_COLUMN_INT64 (c)[a] == DMPI_COLUMN_INT64 (c)[b];
    }
}

static void
slots_grow (Priv *p, gsize n_groups)
{
  gsize mask = p->mask * 2 + 1;
  g_free (p->slots);
  p->slots = g_new0 (Slot, mask + 1);
  p->mask = mask;
  for (gsize gid = 1; gid <= n_groups; gid++)
    {
      guint64 h = p->group_hash[gid];
      gsize pos = h & mask;
      while (p->slots[pos].gid != 0)
        pos = (pos + 1) & mask;
      p->slots[pos] = (Slot) { (guint32) gid, (guint32) (h >> 32) };
    }
}

static gboolean
hashed_next (DmpiGrouper *g, Priv *p, gsize start, gsize n, guint32 *gids, GError **error)
{
  guint64 *h = p->h;
  guint8 *drop = p->drop;
  DmpiColumn *const *keys = g->keys;
  guint n_keys = g->n_keys;

  for (gsize i = 0; i < n; i++)
    h[i] = G_GUINT64_CONSTANT (0x2545f4914f6cdd1d);
  memset (drop, 0, n);
  for (guint k = 0; k < n_keys; k++)
    hash_column (keys[k], start, n, h, drop);

  for (gsize i = 0; i < n; i++)
    {
      gsize row = start + i;
      if (drop[i])
        {
          gids[i] = 0;
          g->n_dropped++;
          continue;
        }
      guint32 tag = (guint32) (h[i] >> 32);
      gsize pos = h[i] & p->mask;
      for (;;)
        {
          Slot s = p->slots[pos];
          if (s.gid == 0)
            {
              if (G_UNLIKELY (g->n_groups >= G_MAXUINT32 - 1))
                {
                  g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED,
                               "group-by: more than %u groups in one table", G_MAXUINT32 - 1);
                  return FALSE;
                }
              new_group (g, p, row, h[i]);
              gids[i] = (guint32) g->n_groups;
              p->slots[pos] = (Slot) { gids[i], tag };
              if (g->n_groups * 2 > p->mask)
                slots_grow (p, g->n_groups);
              break;
            }
          if (s.tag == tag)
            {
              gsize other = g->first_row[s.gid];
              guint k = 0;
              while (k < n_keys && key_equal (keys[k], row, other))
                k++;
              if (k == n_keys)
                {
                  gids[i] = s.gid;
                  break;
                }
            }
          pos = (pos + 1) & p->mask;
        }
    }
  return TRUE;
}

/* ---- the grouper ---- */

void
dmpi_grouper_init (DmpiGrouper *g, DmpiColumn *const *keys, guint n_keys, gsize n_rows)
{
  Priv *p = g_new0 (Priv, 1);
  memset (g, 0, sizeof *g);
  g->keys = keys;
  g->n_keys = n_keys;
  g->priv = p;
  p->cap = 64;
  g->first_row = g_new0 (gsize, p->cap);
  if (n_keys == 0)
    {
      g->n_groups = 1;
      return;
    }
  if (direct_init (g, p, n_rows))
    return;
  p->mask = 255;
  p->slots = g_new0 (Slot, p->mask + 1);
  p->group_hash = g_new (guint64, p->cap);
  p->h = g_new (guint64, DMPI_GROUP_CHUNK);
  p->drop = g_new (guint8, DMPI_GROUP_CHUNK);
}

gboolean
dmpi_grouper_next (DmpiGrouper *g, gsize start, gsize n, guint32 *gids, GError **error)
{
  Priv *p = g->priv;
  g_return_val_if_fail (n <= DMPI_GROUP_CHUNK, FALSE);
  if (g->n_keys == 0)
    {
      for (gsize i = 0; i < n; i++)
        gids[i] = 1;
      return TRUE;
    }
  if (p->direct)
    {
      direct_next (g, p, start, n, gids);
      return TRUE;
    }
  return hashed_next (g, p, start, n, gids, error);
}

void
dmpi_grouper_clear (DmpiGrouper *g)
{
  Priv *p = g->priv;
  if (p != NULL)
    {
      g_free (p->mins);
      g_free (p->strides);
      g_free (p->cell_group);
      g_free (p->slots);
      g_free (p->group_hash);
      g_free (p->h);
      g_free (p->drop);
      g_free (p);
    }
  g_clear_pointer (&g->first_row, g_free);
  g->priv = NULL;
}
