/* Terminal verbs: one task graph each, progress while it runs, the
 * results gathered or reported. Output folders are prepared here (created,
 * an earlier cancelled run's temporaries removed, a write probed) and tidied
 * after success (parts of an earlier, larger run removed). */
#include "config.h"

#include "frame/frame-private.h"

#include "dmpi-error.h"
#include "tempfiles.h"
#include "df/csv-writer.h"
#include "df/groupby.h"
#include "df/parquet.h"
#include "df/plan.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

/* At most this many failed partitions are named one by one. */
#define MAX_FAILURES_SHOWN 10
/* A group-by combines this many states per task (Dask's split_every). */
#define SPLIT_EVERY 8

/* ---- submitting ----------------------------------------------------------- */

typedef GVariant *(*SinkFunc) (guint part, gpointer data);

static GVariant *
simple_sink (const char *kind)
{
  GVariantDict d;
  g_variant_dict_init (&d, NULL);
  g_variant_dict_insert (&d, "kind", "s", kind);
  return g_variant_dict_end (&d);
}

/* Submits one task of @verb for partition @part. */
static DmpiFuture *
submit_partition (DmpiFrame *f, const char *verb, guint64 token, guint part, GVariant *sink, guint64 max_rows,
                  GError **error)
{
  DmpiFuture *dep = NULL;
  GVariant *plan = dmpi_frame_partition_plan (f, part, sink, max_rows, &dep, error);
  if (plan == NULL)
    return NULL;
  g_autofree char *key = dmpi_frame_task_key (verb, token, part);
  DmpiSubmitOptions opts = { .key = key };
  return dmpi_client_submit_full (dmpi_frame_get_client (f), verb, plan, dep != NULL ? &dep : NULL,
                                  dep != NULL ? 1 : 0, &opts, error);
}

/* One task of @verb per partition, all submitted at once. */
static GPtrArray *
submit_all (DmpiFrame *f, const char *verb, SinkFunc sink, gpointer data, GError **error)
{
  DmpiClient *client = dmpi_frame_get_client (f);
  guint64 token = dmpi_frame_new_token ();
  g_autoptr(GPtrArray) futures = g_ptr_array_new_with_free_func ((GDestroyNotify) dmpi_future_unref);
  guint n = dmpi_frame_get_n_partitions (f);
  for (guint i = 0; i < n; i++)
    {
      DmpiFuture *fut = submit_partition (f, verb, token, i, sink (i, data), 0, error);
      if (fut == NULL)
        return NULL;
      g_ptr_array_add (futures, fut);
    }
  if (!dmpi_client_flush (client, error))
    return NULL;
  return g_steal_pointer (&futures);
}

/* Waits with a progress line; an error naming the failed partitions (the
 * first few, with their reasons) if any failed. */
static gboolean
wait_all (DmpiFrame *f, GPtrArray *futures, const char *what, GError **error)
{
  DmpiClient *client = dmpi_frame_get_client (f);
  if (!dmpi_client_progress (client, (DmpiFuture *const *) futures->pdata, futures->len, what, error))
    return FALSE;
  g_autoptr(GString) msg = g_string_new (NULL);
  guint n_failed = 0;
  for (guint i = 0; i < futures->len; i++)
    {
      DmpiFuture *fut = futures->pdata[i];
      if (dmpi_future_get_status (fut) == DMPI_FUTURE_FINISHED)
        continue;
      if (n_failed++ < MAX_FAILURES_SHOWN)
        {
          const GError *e = dmpi_future_get_error (fut);
          g_autofree char *where = dmpi_frame_describe_partition (f, i);
          g_string_append_printf (msg, "\n  partition %u%s%s%s failed: %s", i, where ? " (" : "", where ? where : "",
                                  where ? ")" : "", e != NULL ? e->message : "cancelled");
        }
    }
  if (n_failed == 0)
    return TRUE;
  if (n_failed > MAX_FAILURES_SHOWN)
    g_string_append_printf (msg, "\n  ... and %u more", n_failed - MAX_FAILURES_SHOWN);
  g_set_error (error, DMPI_ERROR, DMPI_ERROR_TASK_FAILED, "%s: %u of %u partitions failed:%s", what, n_failed,
               futures->len, msg->str);
  return FALSE;
}

static DmpiTable *
empty_like (DmpiFrame *f)
{
  DmpiTable *t = dmpi_table_new ();
  for (guint i = 0; i < dmpi_frame_get_n_columns (f); i++)
    dmpi_table_add_column (t, dmpi_column_new (dmpi_frame_get_column_name (f, i),
                                               dmpi_frame_get_column_type (f, i), 0));
  return t;
}

/* The gathered "ay" results as tables, concatenated in order. */
static DmpiTable *
gather_tables (DmpiFrame *f, GPtrArray *futures, GError **error)
{
  if (futures->len == 0)
    return empty_like (f);
  g_autoptr(GPtrArray) values = dmpi_client_gather (dmpi_frame_get_client (f), (DmpiFuture *const *) futures->pdata,
                                                    futures->len, error);
  if (values == NULL)
    return NULL;
  g_autoptr(GPtrArray) tables = g_ptr_array_new_with_free_func ((GDestroyNotify) dmpi_table_free);
  for (guint i = 0; i < values->len; i++)
    {
      GVariant *v = values->pdata[i];
      if (!g_variant_is_of_type (v, G_VARIANT_TYPE_BYTESTRING))
        {
          g_set_error (error, DMPI_ERROR, DMPI_ERROR_PROTOCOL, "task %s returned %s, not a partition",
                       dmpi_future_get_key (futures->pdata[i]), g_variant_get_type_string (v));
          return NULL;
        }
      g_autoptr(GBytes) bytes = g_variant_get_data_as_bytes (v);
      DmpiTable *t = dmpi_table_deserialize (bytes, error);
      if (t == NULL)
        return NULL;
      g_ptr_array_add (tables, t);
    }
  if (tables->len == 1)
    return g_ptr_array_steal_index (tables, 0);
  return dmpi_table_concat ((DmpiTable *const *) tables->pdata, tables->len, error);
}

/* ---- group-by trees ------------------------------------------------------- */

static GVariant *
partial_sink (G_GNUC_UNUSED guint part, gpointer data)
{
  Source *s = data;
  GVariantDict d;
  g_variant_dict_init (&d, NULL);
  g_variant_dict_insert (&d, "kind", "s", "partial");
  g_variant_dict_insert_value (&d, "keys", g_variant_new_strv ((const char *const *) s->keys, -1));
  g_variant_dict_insert_value (&d, "aggs", g_variant_new_strv ((const char *const *) s->aggs, -1));
  return g_variant_dict_end (&d);
}

gboolean
dmpi_frame_realize (DmpiFrame *f, const char *progress, GError **error)
{
  Source *s = f->source;
  if (s->kind != SOURCE_GROUPBY)
    return TRUE;
  DmpiClient *client = s->client;
  g_autoptr(GPtrArray) partials = submit_all (s->parent, "agg", partial_sink, s, error);
  if (partials == NULL)
    return FALSE;
  g_autoptr(GPtrArray) level = g_ptr_array_ref (partials);
  guint64 token = dmpi_frame_new_token ();
  guint n_tasks = 0;
  /* A tree: SPLIT_EVERY states per combine, the last task finalizes. */
  do
    {
      gboolean last = level->len <= SPLIT_EVERY;
      g_autoptr(GPtrArray) next = g_ptr_array_new_with_free_func ((GDestroyNotify) dmpi_future_unref);
      for (guint i = 0; i < MAX (level->len, 1); i += SPLIT_EVERY)
        {
          const char *verb = last ? "agg-finalize" : "agg-combine";
          g_autofree char *key = dmpi_frame_task_key (verb, token, n_tasks++);
          DmpiSubmitOptions opts = { .key = key };
          DmpiFuture *fut = dmpi_client_submit_full (
            client, verb,
            g_variant_new ("(@as@as)", g_variant_new_strv ((const char *const *) s->keys, -1),
                           g_variant_new_strv ((const char *const *) s->aggs, -1)),
            (DmpiFuture *const *) level->pdata + i, MIN (SPLIT_EVERY, level->len - i), &opts, error);
          if (fut == NULL)
            return FALSE;
          g_ptr_array_add (next, fut);
        }
      g_ptr_array_unref (level);
      level = g_steal_pointer (&next);
    }
  while (level->len > 1 || g_str_has_prefix (dmpi_future_get_key (level->pdata[0]), "agg-combine"));
  /* Progress over the partitions; the partials' failures reach the result. */
  if (!dmpi_client_flush (client, error) ||
      !dmpi_client_progress (client, (DmpiFuture *const *) partials->pdata, partials->len,
                             progress != NULL ? progress : "agg", error))
    return FALSE;
  g_clear_pointer (&partials, g_ptr_array_unref);
  if (!dmpi_client_wait (client, (DmpiFuture *const *) level->pdata, level->len, -1, error))
    return FALSE;
  const GError *failed = dmpi_future_get_error (level->pdata[0]);
  if (dmpi_future_get_status (level->pdata[0]) != DMPI_FUTURE_FINISHED)
    {
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_TASK_FAILED, "agg: %s",
                   failed != NULL ? failed->message : "cancelled");
      return FALSE;
    }
  /* From now on the frame's one partition is that result. */
  s->kind = SOURCE_FUTURES;
  s->futures = g_steal_pointer (&level);
  g_clear_pointer (&s->parent, dmpi_frame_unref);
  return TRUE;
}

/* ---- compute, head, len, persist, reductions ------------------------------ */

static GVariant *
table_sink (G_GNUC_UNUSED guint part, G_GNUC_UNUSED gpointer data)
{
  return simple_sink ("table");
}

DmpiTable *
dmpi_frame_compute (DmpiFrame *f, GError **error)
{
  g_return_val_if_fail (f != NULL, NULL);
  if (!dmpi_frame_realize (f, NULL, error))
    return NULL;
  g_autoptr(GPtrArray) futures = submit_all (f, "compute", table_sink, NULL, error);
  if (futures == NULL || !wait_all (f, futures, "compute", error))
    return NULL;
  return gather_tables (f, futures, error);
}

DmpiFrame *
dmpi_frame_persist (DmpiFrame *f, GError **error)
{
  g_return_val_if_fail (f != NULL, NULL);
  if (!dmpi_frame_realize (f, NULL, error))
    return NULL;
  g_autoptr(GPtrArray) futures = submit_all (f, "persist", table_sink, NULL, error);
  if (futures == NULL || !wait_all (f, futures, "persist", error))
    return NULL;
  return dmpi_frame_new_from_futures (f, futures);
}

DmpiTable *
dmpi_frame_head (DmpiFrame *f, gsize n, GError **error)
{
  g_return_val_if_fail (f != NULL, NULL);
  if (!dmpi_frame_realize (f, NULL, error))
    return NULL;
  g_autoptr(GPtrArray) tables = g_ptr_array_new_with_free_func ((GDestroyNotify) dmpi_table_free);
  gsize have = 0;
  guint64 token = dmpi_frame_new_token ();
  /* Partition after partition, each read only as far as needed. */
  for (guint i = 0; i < dmpi_frame_get_n_partitions (f) && have < n; i++)
    {
      g_autoptr(GPtrArray) one = g_ptr_array_new_with_free_func ((GDestroyNotify) dmpi_future_unref);
      DmpiFuture *fut = submit_partition (f, "head", token, i, simple_sink ("table"), n - have, error);
      if (fut == NULL)
        return NULL;
      g_ptr_array_add (one, fut);
      if (!dmpi_client_flush (dmpi_frame_get_client (f), error) || !wait_all (f, one, "head", error))
        return NULL;
      DmpiTable *t = gather_tables (f, one, error);
      if (t == NULL)
        return NULL;
      have += t->n_rows;
      g_ptr_array_add (tables, t);
    }
  if (tables->len == 0)
    return empty_like (f);
  g_autoptr(DmpiTable) all = tables->len == 1 ? g_ptr_array_steal_index (tables, 0)
                                              : dmpi_table_concat ((DmpiTable *const *) tables->pdata, tables->len,
                                                                   error);
  if (all == NULL)
    return NULL;
  return all->n_rows > n ? dmpi_table_head (all, n) : g_steal_pointer (&all);
}

static GVariant *
len_sink (G_GNUC_UNUSED guint part, G_GNUC_UNUSED gpointer data)
{
  return simple_sink ("len");
}

gboolean
dmpi_frame_len (DmpiFrame *f, guint64 *n_rows, GError **error)
{
  g_return_val_if_fail (f != NULL && n_rows != NULL, FALSE);
  if (!dmpi_frame_realize (f, NULL, error))
    return FALSE;
  g_autoptr(GPtrArray) futures = submit_all (f, "len", len_sink, NULL, error);
  if (futures == NULL || !wait_all (f, futures, "len", error))
    return FALSE;
  g_autoptr(GPtrArray) values = futures->len > 0
    ? dmpi_client_gather (dmpi_frame_get_client (f), (DmpiFuture *const *) futures->pdata, futures->len, error)
    : g_ptr_array_new ();
  if (values == NULL)
    return FALSE;
  guint64 total = 0;
  for (guint i = 0; i < values->len; i++)
    {
      if (!g_variant_is_of_type (values->pdata[i], G_VARIANT_TYPE_UINT64))
        {
          g_set_error (error, DMPI_ERROR, DMPI_ERROR_PROTOCOL, "len: task %s returned %s",
                       dmpi_future_get_key (futures->pdata[i]), g_variant_get_type_string (values->pdata[i]));
          return FALSE;
        }
      total += g_variant_get_uint64 (values->pdata[i]);
    }
  *n_rows = total;
  return TRUE;
}

DmpiTable *
dmpi_frame_agg (DmpiFrame *f, const char *const *aggs, GError **error)
{
  g_autoptr(DmpiFrame) g = dmpi_frame_groupby_agg (f, NULL, aggs, error);
  return g != NULL ? dmpi_frame_compute (g, error) : NULL;
}

DmpiTable *
dmpi_frame_reduce (DmpiFrame *f, const char *op, GError **error)
{
  g_return_val_if_fail (f != NULL && op != NULL, NULL);
  static const char *const ops[] = { "count", "sum", "mean", "min", "max", "std", "var", NULL };
  if (!g_strv_contains (ops, op))
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID, "reduce: unknown reduction '%s' "
                   "(count, sum, mean, min, max, std or var)", op);
      return NULL;
    }
  /* Every column the reduction applies to, as pandas (numeric_only for
   * sum, mean and std). */
  g_autoptr(GPtrArray) aggs = g_ptr_array_new_with_free_func (g_free);
  gboolean numeric_only = strcmp (op, "sum") == 0 || strcmp (op, "mean") == 0 || strcmp (op, "std") == 0 ||
                          strcmp (op, "var") == 0;
  for (guint i = 0; i < dmpi_frame_get_n_columns (f); i++)
    {
      const char *name = dmpi_frame_get_column_name (f, i);
      DmpiColType type = dmpi_frame_get_column_type (f, i);
      if (numeric_only && type != DMPI_COL_INT32 && type != DMPI_COL_INT64 && type != DMPI_COL_FLOAT32 &&
          type != DMPI_COL_FLOAT64 && type != DMPI_COL_BOOL)
        continue;
      g_autofree char *text = g_strdup_printf ("%s=%s(%s)", name, op, name);
      const char *one[] = { text, NULL };
      g_autoptr(DmpiFrame) probe = dmpi_frame_groupby_agg (f, NULL, one, NULL);
      if (probe != NULL)
        g_ptr_array_add (aggs, g_steal_pointer (&text));
    }
  g_ptr_array_add (aggs, NULL);
  if (aggs->len == 1)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID, "reduce: %s applies to none of the columns", op);
      return NULL;
    }
  return dmpi_frame_agg (f, (const char *const *) aggs->pdata, error);
}

/* ---- output folders ------------------------------------------------------- */

/* The write probe: .dask-mpi.probe.XXXXXX */
#define PROBE_PREFIX ".dask-mpi.probe."

/* Whether @name is exactly one of the writers' temporaries: a part being
 * written (.part.N.EXT.XXXXXX, see DmpiOutFile) or the write probe, XXXXXX
 * being what g_mkstemp puts there (six letters or digits). */
static gboolean
is_own_temporary (const char *name, gconstpointer ext)
{
  const char *rest;
  if (g_str_has_prefix (name, ".part.") && g_ascii_isdigit (name[6]))
    {
      rest = name + 6;
      while (g_ascii_isdigit (*rest))
        rest++;
      if (!g_str_has_prefix (rest, ext) || rest[strlen (ext)] != '.')
        return FALSE;
      rest += strlen (ext) + 1;
    }
  else if (g_str_has_prefix (name, PROBE_PREFIX))
    rest = name + strlen (PROBE_PREFIX);
  else
    return FALSE;
  if (strlen (rest) != 6)
    return FALSE;
  for (int i = 0; i < 6; i++)
    if (!g_ascii_isalnum (rest[i]))
      return FALSE;
  return TRUE;
}

typedef struct {
  const char *ext;
  guint       n_parts;
} PartsBeyond;

/* part.N.EXT with N >= n_parts. */
static gboolean
is_part_beyond (const char *name, gconstpointer data)
{
  const PartsBeyond *pb = data;
  guint64 n;
  char *end = NULL;
  if (!g_str_has_prefix (name, "part.") || !g_ascii_isdigit (name[5]))
    return FALSE;
  n = g_ascii_strtoull (name + 5, &end, 10);
  return strcmp (end, pb->ext) == 0 && n >= pb->n_parts;
}

/* Removes the regular files in @folder whose names @wanted accepts (a
 * symlink or anything else under such a name is left alone; unlink never
 * follows a symlink, so a swap after the lstat is harmless). Returns how
 * many went. */
static guint
remove_in_folder (const char *folder, gboolean (*wanted) (const char *name, gconstpointer data), gconstpointer data,
                  const char *what)
{
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  const char *name;
  guint removed = 0;
  if (dir == NULL)
    return 0;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      GStatBuf st;
      if (!wanted (name, data))
        continue;
      g_autofree char *path = g_build_filename (folder, name, NULL);
      if (g_lstat (path, &st) != 0 || !S_ISREG (st.st_mode))
        continue;
      if (g_unlink (path) == 0)
        removed++;
      else if (errno != ENOENT)
        g_printerr ("dask-mpi: cannot remove the %s %s: %s\n", what, path, g_strerror (errno));
    }
  return removed;
}

/* Creates the output folder if needed, removes an earlier run's
 * temporaries, and proves it can be written (as root, permissions say
 * little: a read-only mount or a file in the way only shows when writing). */
static gboolean
prepare_output (const char *verb, const char *folder, const char *ext, GError **error)
{
  if (g_mkdir_with_parents (folder, 0777) != 0)
    {
      int saved = errno;
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_IO, "%s: %s: cannot create it: %s", verb, folder,
                   g_strerror (saved));
      return FALSE;
    }
  guint stale = remove_in_folder (folder, is_own_temporary, ext, "stale temporary");
  if (stale > 0)
    g_printerr ("%s: removed %u temporary file%s (.part.N%s.XXXXXX) left in %s by an earlier cancelled run\n", verb,
                stale, stale == 1 ? "" : "s", ext, folder);
  g_autofree char *probe = g_build_filename (folder, PROBE_PREFIX "XXXXXX", NULL);
  int slot;
  int fd = dmpi_tempfile_create (probe, O_RDWR | O_CLOEXEC, 0600, &slot);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_IO, "%s: %s: cannot write there: %s", verb, folder,
                   g_strerror (saved));
      return FALSE;
    }
  close (fd);
  dmpi_tempfile_remove (slot, probe);
  return TRUE;
}

/* ---- writers -------------------------------------------------------------- */

typedef struct {
  char    *path, *host;
  guint64  rows, rows_read, bytes, peak_rss;
  int      worker;
  double   seconds;
} ReportPart;

struct _DmpiWriteReport {
  gint    ref;
  GArray *parts;   /* ReportPart */
};

static void
report_part_clear (ReportPart *p)
{
  g_free (p->path);
  g_free (p->host);
}

DmpiWriteReport *
dmpi_write_report_ref (DmpiWriteReport *r)
{
  g_return_val_if_fail (r != NULL, NULL);
  r->ref++;
  return r;
}

void
dmpi_write_report_unref (DmpiWriteReport *r)
{
  if (r == NULL || --r->ref > 0)
    return;
  g_array_unref (r->parts);
  g_free (r);
}

guint
dmpi_write_report_get_n_parts (DmpiWriteReport *r)
{
  return r->parts->len;
}

#define REPORT_GETTER(type, field, fallback)                                        \
  type dmpi_write_report_get_##field (DmpiWriteReport *r, guint part)              \
  {                                                                                 \
    g_return_val_if_fail (r != NULL && part < r->parts->len, fallback);             \
    return g_array_index (r->parts, ReportPart, part).field;                        \
  }
REPORT_GETTER (const char *, path, NULL)
REPORT_GETTER (guint64, rows, 0)
REPORT_GETTER (guint64, rows_read, 0)
REPORT_GETTER (guint64, bytes, 0)
REPORT_GETTER (int, worker, -1)
REPORT_GETTER (const char *, host, NULL)
REPORT_GETTER (double, seconds, 0)
REPORT_GETTER (guint64, peak_rss, 0)

typedef struct {
  const char *folder, *ext, *codec;
  guint64     row_group_rows;
  gboolean    nanos;
} FileSink;

static char *
part_path (const FileSink *fs, guint part)
{
  g_autofree char *name = g_strdup_printf ("part.%u%s", part, fs->ext);
  return g_build_filename (fs->folder, name, NULL);
}

static GVariant *
file_sink (guint part, gpointer data)
{
  const FileSink *fs = data;
  g_autofree char *path = part_path (fs, part);
  GVariantDict d;
  g_variant_dict_init (&d, NULL);
  g_variant_dict_insert (&d, "kind", "s", strcmp (fs->ext, ".parquet") == 0 ? "parquet" : "csv");
  g_variant_dict_insert (&d, "path", "s", path);
  g_variant_dict_insert (&d, "codec", "s", fs->codec);
  g_variant_dict_insert (&d, "row_group_rows", "t", fs->row_group_rows);
  g_variant_dict_insert (&d, "nanos", "b", fs->nanos);
  return g_variant_dict_end (&d);
}

static DmpiWriteReport *
write_parts (DmpiFrame *f, const char *verb, const char *folder, const char *ext, const DmpiWriteOptions *options,
             GError **error)
{
  g_return_val_if_fail (f != NULL && folder != NULL, NULL);
  DmpiWriteOptions defaults = { 0 };
  const DmpiWriteOptions *o = options != NULL ? options : &defaults;
  FileSink fs = { folder, ext, o->compression != NULL ? o->compression : "snappy", o->row_group_rows,
                  o->timestamp_nanos };
  if (strcmp (ext, ".parquet") == 0 && strcmp (fs.codec, "snappy") != 0 && strcmp (fs.codec, "none") != 0)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID, "%s: compression '%s': not a codec (snappy or none)",
                   verb, fs.codec);
      return NULL;
    }
  if (!dmpi_frame_realize (f, NULL, error) || !prepare_output (verb, folder, ext, error))
    return NULL;
  g_autoptr(GPtrArray) futures = submit_all (f, verb, file_sink, &fs, error);
  if (futures == NULL || !wait_all (f, futures, o->progress != NULL ? o->progress : "partitions", error))
    return NULL;
  g_autoptr(GPtrArray) values = futures->len > 0
    ? dmpi_client_gather (dmpi_frame_get_client (f), (DmpiFuture *const *) futures->pdata, futures->len, error)
    : g_ptr_array_new ();
  if (values == NULL)
    return NULL;
  g_autoptr(DmpiWriteReport) r = g_new0 (DmpiWriteReport, 1);
  r->ref = 1;
  r->parts = g_array_new (FALSE, TRUE, sizeof (ReportPart));
  g_array_set_clear_func (r->parts, (GDestroyNotify) report_part_clear);
  for (guint i = 0; i < values->len; i++)
    {
      GVariant *v = values->pdata[i];
      ReportPart p = { 0 };
      const char *host;
      gint32 rank;
      if (!g_variant_is_of_type (v, G_VARIANT_TYPE ("(tttisdt)")))
        {
          g_set_error (error, DMPI_ERROR, DMPI_ERROR_PROTOCOL, "task %s returned %s, expected (tttisdt)",
                       dmpi_future_get_key (futures->pdata[i]), g_variant_get_type_string (v));
          return NULL;
        }
      g_variant_get (v, "(ttti&sdt)", &p.rows_read, &p.rows, &p.bytes, &rank, &host, &p.seconds, &p.peak_rss);
      p.worker = rank;
      p.host = g_strdup (host);
      p.path = part_path (&fs, i);
      g_array_append_val (r->parts, p);
    }
  /* Exactly this frame's parts are left. */
  PartsBeyond pb = { ext, futures->len };
  guint stale = remove_in_folder (folder, is_part_beyond, &pb, "stale part");
  if (stale > 0)
    g_printerr ("%s: removed %u stale part.N%s file%s (N >= %u) of an earlier run from %s\n", verb, stale, ext,
                stale == 1 ? "" : "s", futures->len, folder);
  return g_steal_pointer (&r);
}

DmpiWriteReport *
dmpi_frame_to_parquet (DmpiFrame *f, const char *folder, const DmpiWriteOptions *options, GError **error)
{
  return write_parts (f, "to_parquet", folder, ".parquet", options, error);
}

DmpiWriteReport *
dmpi_frame_to_csv (DmpiFrame *f, const char *folder, const DmpiWriteOptions *options, GError **error)
{
  return write_parts (f, "to_csv", folder, ".csv", options, error);
}

gboolean
dmpi_table_write_parquet (const DmpiTable *table, const char *path, const DmpiWriteOptions *options, GError **error)
{
  g_return_val_if_fail (table != NULL && path != NULL, FALSE);
  DmpiParquetOptions opts;
  dmpi_parquet_options_init (&opts);
  if (options != NULL)
    {
      if (options->compression != NULL && strcmp (options->compression, "none") == 0)
        opts.codec = DMPI_PARQUET_CODEC_UNCOMPRESSED;
      else if (options->compression != NULL && strcmp (options->compression, "snappy") != 0)
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID, "%s: compression '%s': not a codec "
                       "(snappy or none)", path, options->compression);
          return FALSE;
        }
      opts.row_group_rows = options->row_group_rows;
      if (options->timestamp_nanos)
        opts.timestamp_unit = DMPI_PARQUET_TIMESTAMP_NANOS;
    }
  return dmpi_parquet_write_file (table, path, &opts, error);
}

gboolean
dmpi_table_write_csv (const DmpiTable *table, const char *path, GError **error)
{
  g_return_val_if_fail (table != NULL && path != NULL, FALSE);
  return dmpi_csv_write_file (table, path, error);
}
