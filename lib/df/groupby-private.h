/* Shared by the group-by's files: the state layout (groupby-spec.c) and the
 * grouping of rows by key (groupby-keys.c). Not installed. */
#pragma once

#include <glib.h>

#include "df/groupby.h"
#include "df/table.h"

G_BEGIN_DECLS

/* ---- specs and state layout (groupby-spec.c) ---- */

/* The output name of a spec: name, else the column, else "size". */
const char *dmpi_agg_spec_name (const DmpiAggSpec *spec);

/* The result type of op over a column of type in (ignored for size);
 * FALSE when op does not apply to the type. */
gboolean    dmpi_agg_result_type (DmpiAggOp op, DmpiColType in, DmpiColType *out);

/* One aggregation's state columns (see groupby.h): the first is named
 * "<name>:<op>.<input type>" ("<name>:size" for size), the others
 * "<name>:<part>". */
#define DMPI_AGG_MAX_PARTS 3
typedef struct {
  guint        n_parts;
  const char  *parts[DMPI_AGG_MAX_PARTS];   /* parts[0] is unused: the op's name */
  DmpiColType  types[DMPI_AGG_MAX_PARTS];
} DmpiAggLayout;

void        dmpi_agg_layout (DmpiAggOp op, DmpiColType in, DmpiAggLayout *layout);
/* The name of state column `part` of spec over input type in. */
char       *dmpi_agg_state_column_name (const DmpiAggSpec *spec, DmpiColType in, guint part);

/* Checks that a state table has the layout of keys and aggs and gives each
 * aggregation's input type (in_types[n_aggs]) and the index of its first
 * state column (first_column[n_aggs]). */
gboolean    dmpi_groupby_state_check (const DmpiTable *state, const char *const *keys, guint n_keys,
                                      const DmpiAggSpec *aggs, guint n_aggs,
                                      DmpiColType *in_types, guint *first_column, GError **error);

/* ---- grouping rows by their keys (groupby-keys.c) ---- */

/* Rows are grouped, and aggregated, a chunk at a time: the group ids of a
 * chunk stay in the cache while each aggregation runs over them. */
#define DMPI_GROUP_CHUNK 8192

/* Group ids are 1, 2, ... in order of first appearance; 0 is a row whose
 * key is missing or NaN, a trash group the aggregations update and ignore
 * (so that their loops test nothing but the value's presence). */
typedef struct {
  DmpiColumn *const *keys;
  guint       n_keys;
  gsize       n_groups;
  gsize      *first_row;   /* [1 + n_groups]: the row where each group first appears */
  gsize       n_dropped;
  gpointer    priv;
} DmpiGrouper;

/* Starts grouping rows [0, n_rows) of the key columns (they must stay
 * alive). With no key, every row is in group 1, which exists even for no
 * rows. */
void        dmpi_grouper_init  (DmpiGrouper *g, DmpiColumn *const *keys, guint n_keys, gsize n_rows);
/* The group ids of rows [start, start + n), n <= DMPI_GROUP_CHUNK, into
 * gids[n]; chunks in order. */
gboolean    dmpi_grouper_next  (DmpiGrouper *g, gsize start, gsize n, guint32 *gids, GError **error);
void        dmpi_grouper_clear (DmpiGrouper *g);

/* ---- helpers of table-ops.c ---- */

/* The rows rows[0..n) of a column as a new column; a row G_MAXSIZE gives a
 * missing value. */
DmpiColumn *dmpi_column_take (const DmpiColumn *column, const gsize *rows, gsize n);
/* A copy of a column under another name. */

/* ---- distinct sets of nunique (groupby-nunique.c) ---- */

typedef struct _DmpiDistinct DmpiDistinct;

DmpiDistinct *dmpi_distinct_new  (void);
void          dmpi_distinct_free (DmpiDistinct *d);
/* Adds the present values of rows [start, start + n) of a column, of
 * groups gids[n] (group 0 is skipped). */
gboolean      dmpi_distinct_add_values (DmpiDistinct *d, const DmpiColumn *in, gsize start, gsize n,
                                        const guint32 *gids, GError **error);
/* Adds the sets held by rows [start, start + n) of a nunique state column
 * over input type in. */
gboolean      dmpi_distinct_add_sets (DmpiDistinct *d, const DmpiColumn *state, DmpiColType in,
                                      gsize start, gsize n, const guint32 *gids, GError **error);
/* The state column of groups 1..n_groups. */
DmpiColumn   *dmpi_distinct_pack (DmpiDistinct *d, const char *name, gsize n_groups, GError **error);
/* The size of each set of a state column (counts[state->n_rows]). */
gboolean      dmpi_distinct_count (const DmpiColumn *state, DmpiColType in, gint64 *counts,
                                   GError **error);

/* Hashing, shared with the distinct sets of nunique. */
static inline guint64
dmpi_hash_mix (guint64 h)
{
  /* MurmurHash3's finaliser. */
  h ^= h >> 33;
  h *= G_GUINT64_CONSTANT (0xff51afd7ed558ccd);
  h ^= h >> 33;
  h *= G_GUINT64_CONSTANT (0xc4ceb9fe1a85ec53);
  h ^= h >> 33;
  return h;
}

guint64     dmpi_hash_bytes (const void *data, gsize len);

G_END_DECLS
