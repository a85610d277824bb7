/* dask-mpi-prep-nyctaxi on the client (reference/nyctaxi-job.md): one
 * nyctaxi_partition task per CSV block or compressed file, all submitted at
 * once; the data never passes through the client or the scheduler. */
#include "config.h"

#include "dmpi-client.h"
#include "dmpi-error.h"

#include "prep-nyctaxi.h"
#include "progress.h"
#include "tempfiles.h"
#include "transport.h"
#include "df/csv.h"
#include "df/nyctaxi.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PROG "dask-mpi-prep-nyctaxi"
#define HEAD_ROWS 5
#define WORKERS_TIMEOUT_S 120.0
/* At most this many failed partitions are named one by one. */
#define MAX_FAILURES_SHOWN 10
/* The output folder's write probe: .dask-mpi-prep-nyctaxi.probe.XXXXXX */
#define PROBE_PREFIX "." PROG ".probe."

typedef struct {
  const char *path;    /* owned by the file list */
  guint64     offset, length;
} Partition;

typedef struct {
  int        rank;
  char      *host;
  GString   *files;
  guint      n_files;
  guint64    rows_kept, bytes, peak_rss;
  double     seconds;
} WorkerReport;

static void
worker_report_free (WorkerReport *w)
{
  g_free (w->host);
  g_string_free (w->files, TRUE);
  g_free (w);
}

/* Sizes in decimal units with a plain space (g_format_size's is a
 * no-break space, which logs in the C locale show as "?"). */
static char *
format_bytes (guint64 n)
{
  static const char *const units[] = { "bytes", "kB", "MB", "GB", "TB" };
  double v = (double) n;
  guint u = 0;
  while (v >= 1000.0 && u + 1 < G_N_ELEMENTS (units))
    v /= 1000.0, u++;
  return u == 0 ? g_strdup_printf ("%" G_GUINT64_FORMAT " bytes", n)
                : g_strdup_printf ("%.1f %s", v, units[u]);
}

static gboolean
is_input_name (const char *name)
{
  static const char *const suffixes[] = {
    ".csv", ".csv.gz", ".csv.bz2", ".csv.xz", ".csv.zst", ".zip",
  };
  if (name[0] == '.')
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (suffixes); i++)
    if (g_str_has_suffix (name, suffixes[i]))
      return TRUE;
  return FALSE;
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The input files of the dataset folder, full paths sorted by name. */
static GPtrArray *
list_inputs (const char *dataset, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GDir) dir = g_dir_open (dataset, 0, &local_error);
  if (dir == NULL)
    {
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_FAILED, "--nyc_taxi_dataset %s: %s", dataset,
                   local_error->message);
      return NULL;
    }
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (dataset, name, NULL);
      if (is_input_name (name) && g_file_test (path, G_FILE_TEST_IS_REGULAR))
        g_ptr_array_add (files, g_steal_pointer (&path));
    }
  if (files->len == 0)
    {
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_FAILED,
                   "--nyc_taxi_dataset %s: no input files (*.csv, *.csv.gz, *.csv.bz2, "
                   "*.csv.xz, *.csv.zst, *.zip)", dataset);
      return NULL;
    }
  g_ptr_array_sort (files, compare_strings);
  return g_steal_pointer (&files);
}

/* Every column the job needs is in the file's header: checked before any
 * task runs, so that a wrong file fails the job before it writes anything. */
static gboolean
check_header (const char *path, GError **error)
{
  g_auto(GStrv) header = dmpi_csv_read_header (path, error);
  if (header == NULL)
    return FALSE;
  const DmpiCsvColumn *cols = dmpi_nyctaxi_input_columns ();
  for (guint i = 0; i < DMPI_NYCTAXI_N_INPUT_COLUMNS; i++)
    if (!g_strv_contains ((const char *const *) header, cols[i].name) &&
        (cols[i].alt_name == NULL || !g_strv_contains ((const char *const *) header, cols[i].alt_name)))
      {
        g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_MISSING_COLUMN,
                     "%s: no column '%s'%s%s%s in the header", path, cols[i].name,
                     cols[i].alt_name ? " (or '" : "", cols[i].alt_name ? cols[i].alt_name : "",
                     cols[i].alt_name ? "')" : "");
        return FALSE;
      }
  return TRUE;
}

/* Whether name is exactly one of this job's temporaries: a part being
 * written (.part.N.parquet.XXXXXX, see DmpiOutFile) or the write probe,
 * XXXXXX being what g_mkstemp puts there (six letters or digits). */
static gboolean
is_own_temporary (const char *name)
{
  const char *rest;
  if (g_str_has_prefix (name, ".part.") && g_ascii_isdigit (name[6]))
    {
      rest = name + 6;
      while (g_ascii_isdigit (*rest))
        rest++;
      if (!g_str_has_prefix (rest, ".parquet."))
        return FALSE;
      rest += strlen (".parquet.");
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

/* Removes the regular files in @folder whose names @wanted accepts (a
 * symlink or anything else under such a name is left alone; unlink never
 * follows a symlink, so a swap after the lstat is harmless). @what names
 * them in a message. Returns how many went. */
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
        g_printerr (PROG ": cannot remove the %s %s: %s\n", what, path, g_strerror (errno));
    }
  return removed;
}

static gboolean
is_own_temporary_name (const char *name, gconstpointer data)
{
  return is_own_temporary (name);
}

/* Removes the temporaries an earlier run left when it was killed beyond
 * its signal handlers (SIGKILL, a node lost). No run of this job may be
 * writing to the folder at the same time. Returns how many went. */
static guint
remove_stale_temporaries (const char *folder)
{
  return remove_in_folder (folder, is_own_temporary_name, NULL, "stale temporary");
}

/* Creates the output folder if needed, removes an earlier run's
 * temporaries (*n_stale: how many), and proves it can be written (as root,
 * permissions say little: a read-only mount or a file in the way only shows
 * when writing). */
static gboolean
prepare_output (const char *folder, guint *n_stale, GError **error)
{
  if (g_mkdir_with_parents (folder, 0777) != 0)
    {
      int saved = errno;
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_FAILED, "--output_folder %s: cannot create it: %s",
                   folder, g_strerror (saved));
      return FALSE;
    }
  *n_stale = remove_stale_temporaries (folder);
  g_autofree char *probe = g_build_filename (folder, PROBE_PREFIX "XXXXXX", NULL);
  int slot;
  int fd = dmpi_tempfile_create (probe, O_RDWR | O_CLOEXEC, 0600, &slot);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_FAILED, "--output_folder %s: cannot write there: %s",
                   folder, g_strerror (saved));
      return FALSE;
    }
  close (fd);
  dmpi_tempfile_remove (slot, probe);
  return TRUE;
}

/* The first rows of the input, as read (strings), in aligned columns. */
static gboolean
print_head (const char *path, GError **error)
{
  g_autoptr(DmpiTable) head = dmpi_csv_read_head (path, HEAD_ROWS, error);
  if (head == NULL)
    return FALSE;
  guint nc = dmpi_table_n_columns (head);
  g_autofree gsize *width = g_new0 (gsize, nc);
  for (guint c = 0; c < nc; c++)
    {
      width[c] = strlen (dmpi_table_column (head, c)->name);
      for (gsize r = 0; r < head->n_rows; r++)
        {
          g_autofree char *v = dmpi_table_format_value (head, c, r);
          width[c] = MAX (width[c], strlen (v));
        }
    }
  g_print ("first %" G_GSIZE_FORMAT " rows of %s:\n", head->n_rows, path);
  g_autoptr(GString) line = g_string_new (NULL);
  for (gssize r = -1; r < (gssize) head->n_rows; r++)
    {
      g_string_truncate (line, 0);
      for (guint c = 0; c < nc; c++)
        {
          g_autofree char *v = r < 0 ? g_strdup (dmpi_table_column (head, c)->name)
                                     : dmpi_table_format_value (head, c, (gsize) r);
          g_string_append_printf (line, "%s%*s", c > 0 ? "  " : "", (int) width[c], v);
        }
      g_print ("  %s\n", line->str);
    }
  return TRUE;
}

/* part.N.parquet with N >= *(guint *) data. */
static gboolean
is_part_beyond (const char *name, gconstpointer data)
{
  guint64 n;
  char *end = NULL;
  if (!g_str_has_prefix (name, "part.") || !g_ascii_isdigit (name[5]))
    return FALSE;
  n = g_ascii_strtoull (name + 5, &end, 10);
  return strcmp (end, ".parquet") == 0 && n >= *(const guint *) data;
}

/* Removes part.N.parquet files with N >= n_parts, left by an earlier run
 * with more partitions: after a successful run the folder holds exactly
 * this run's parts. Returns how many went. */
static guint
remove_stale_parts (const char *folder, guint n_parts)
{
  return remove_in_folder (folder, is_part_beyond, &n_parts, "stale");
}

static gint
compare_reports (gconstpointer a, gconstpointer b)
{
  const WorkerReport *x = *(WorkerReport *const *) a, *y = *(WorkerReport *const *) b;
  return (x->rank > y->rank) - (x->rank < y->rank);
}

static gboolean
run (DmpiClient *client, const DmpiPrepNyctaxiOptions *o, GError **error)
{
  guint64 blocksize = o->blocksize > 0 ? o->blocksize : DMPI_PREP_NYCTAXI_DEFAULT_BLOCKSIZE;
  const char *codec = o->compression != NULL ? o->compression : "snappy";
  gint64 t0 = g_get_monotonic_time ();

  if (strcmp (codec, "snappy") != 0 && strcmp (codec, "none") != 0)
    {
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_FAILED,
                   "--compression %s: not a codec (snappy or none)", codec);
      return FALSE;
    }

  /* The input. */
  g_print ("dataset: %s\n", o->dataset);
  g_autoptr(GPtrArray) files = list_inputs (o->dataset, error);
  if (files == NULL)
    return FALSE;
  g_autoptr(GArray) parts = g_array_new (FALSE, FALSE, sizeof (Partition));
  guint64 total_bytes = 0;
  for (guint i = 0; i < files->len; i++)
    {
      const char *path = files->pdata[i];
      if (!check_header (path, error))
        return FALSE;
      g_autoptr(GArray) blocks = dmpi_csv_list_blocks (path, blocksize, error);
      if (blocks == NULL)
        return FALSE;
      guint64 size = 0;
      for (guint b = 0; b < blocks->len; b++)
        {
          DmpiCsvBlock *blk = &g_array_index (blocks, DmpiCsvBlock, b);
          Partition p = { path, blk->offset, blk->length };
          g_array_append_val (parts, p);
          size += blk->length;
        }
      total_bytes += size;
      g_autofree char *hsize = format_bytes (size);
      g_print ("  %s (%s, %u partition%s)\n", path, hsize, blocks->len, blocks->len == 1 ? "" : "s");
    }
  g_autofree char *htotal = format_bytes (total_bytes);
  g_print ("found %u file%s, %s, %u partitions\n", files->len, files->len == 1 ? "" : "s", htotal,
           parts->len);

  /* The output. */
  guint n_stale;
  if (!prepare_output (o->output_folder, &n_stale, error))
    return FALSE;
  g_print ("output: %s\n", o->output_folder);
  if (n_stale > 0)
    g_print ("removed %u temporary file%s (.part.N.parquet.XXXXXX) left by an earlier "
             "cancelled run\n", n_stale, n_stale == 1 ? "" : "s");

  /* The cluster: every rank but the scheduler and this client is a worker. */
  int world = dmpi_transport_world_size ();
  guint want = world > 2 ? (guint) (world - 2) : 1;
  if (!dmpi_client_wait_for_workers (client, want, o->timeout_s > 0 ? o->timeout_s : WORKERS_TIMEOUT_S,
                                     error))
    return FALSE;
  guint64 mem = dmpi_client_get_memory_limit (client);
  g_autofree char *hmem = mem > 0 ? format_bytes (mem) : g_strdup ("no memory limit");
  g_print ("cluster: %u workers, %u threads, %s\n", dmpi_client_get_n_workers (client),
           dmpi_client_get_n_threads (client), hmem);

  if (!print_head (files->pdata[0], error))
    return FALSE;

  /* One task per partition, all at once. */
  g_autoptr(GPtrArray) futures = g_ptr_array_new_with_free_func ((GDestroyNotify) dmpi_future_unref);
  for (guint i = 0; i < parts->len; i++)
    {
      Partition *p = &g_array_index (parts, Partition, i);
      g_autofree char *name = g_strdup_printf ("part.%u.parquet", i);
      g_autofree char *out = g_build_filename (o->output_folder, name, NULL);
      g_autofree char *key = g_strdup_printf ("part.%u", i);
      DmpiFuture *f = dmpi_client_submit_with_key (client, key, "nyctaxi_partition",
                                                   g_variant_new ("(stt&s&s)", p->path, p->offset,
                                                                  p->length, out, codec),
                                                   NULL, 0, error);
      if (f == NULL)
        return FALSE;
      g_ptr_array_add (futures, f);
    }
  if (!dmpi_client_flush (client, error))
    return FALSE;
  if (!dmpi_client_progress (client, (DmpiFuture *const *) futures->pdata, futures->len, "partitions", error))
    return FALSE;

  /* Failures: each names its partition, file and (from the reader) line. */
  guint n_failed = 0;
  g_autoptr(GPtrArray) ok = g_ptr_array_new ();
  for (guint i = 0; i < futures->len; i++)
    {
      DmpiFuture *f = futures->pdata[i];
      if (dmpi_future_get_status (f) == DMPI_FUTURE_FINISHED)
        {
          g_ptr_array_add (ok, f);
          continue;
        }
      if (n_failed++ < MAX_FAILURES_SHOWN)
        {
          Partition *p = &g_array_index (parts, Partition, i);
          const GError *e = dmpi_future_get_error (f);
          g_printerr (PROG ": partition %u (%s, bytes %" G_GUINT64_FORMAT "+%" G_GUINT64_FORMAT
                      ") failed: %s\n", i, p->path, p->offset, p->length,
                      e != NULL ? e->message : "no reason given");
        }
    }
  if (n_failed > MAX_FAILURES_SHOWN)
    g_printerr (PROG ": ... and %u more partitions failed\n", n_failed - MAX_FAILURES_SHOWN);

  /* The statistics of the written partitions, by worker. */
  g_autoptr(GPtrArray) results = ok->len > 0
    ? dmpi_client_gather (client, (DmpiFuture *const *) ok->pdata, ok->len, error)
    : g_ptr_array_new ();
  if (results == NULL)
    return FALSE;
  g_autoptr(GHashTable) by_rank = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) worker_report_free);
  guint64 rows_in = 0, rows_kept = 0, bytes = 0;
  for (guint i = 0; i < results->len; i++)
    {
      GVariant *v = results->pdata[i];
      guint64 in, kept, nbytes, rss;
      gint32 rank;
      const char *host;
      double secs;
      if (!g_variant_is_of_type (v, G_VARIANT_TYPE ("(tttisdt)")))
        {
          g_set_error (error, DMPI_ERROR, DMPI_ERROR_PROTOCOL, "task %s returned %s, expected (tttisdt)",
                       dmpi_future_get_key (ok->pdata[i]), g_variant_get_type_string (v));
          return FALSE;
        }
      g_variant_get (v, "(ttti&sdt)", &in, &kept, &nbytes, &rank, &host, &secs, &rss);
      rows_in += in, rows_kept += kept, bytes += nbytes;
      WorkerReport *w = g_hash_table_lookup (by_rank, GINT_TO_POINTER (rank));
      if (w == NULL)
        {
          w = g_new0 (WorkerReport, 1);
          w->rank = rank;
          w->host = g_strdup (host);
          w->files = g_string_new (NULL);
          g_hash_table_insert (by_rank, GINT_TO_POINTER (rank), w);
        }
      w->n_files++;
      /* The key is part.N: the file is part.N.parquet. */
      g_string_append_printf (w->files, " %s.parquet", dmpi_future_get_key (ok->pdata[i]));
      w->rows_kept += kept, w->bytes += nbytes, w->seconds += secs;
      w->peak_rss = MAX (w->peak_rss, rss);
    }

  g_autoptr(GPtrArray) reports = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init (&iter, by_rank);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (reports, value);
  g_ptr_array_sort (reports, compare_reports);
  g_print ("files written per worker:\n");
  for (guint i = 0; i < reports->len; i++)
    {
      WorkerReport *w = reports->pdata[i];
      g_autofree char *hb = format_bytes (w->bytes);
      g_print ("  rank %d (%s): %u file%s, %" G_GUINT64_FORMAT " rows, %s, %.2f s busy, "
               "peak RSS %.1f MB:%s\n", w->rank, w->host, w->n_files, w->n_files == 1 ? "" : "s",
               w->rows_kept, hb, w->seconds, (double) w->peak_rss / 1e6, w->files->str);
    }

  double elapsed = (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC;
  g_print ("rows in: %" G_GUINT64_FORMAT "\n", rows_in);
  g_print ("rows kept: %" G_GUINT64_FORMAT " (%.1f%%)\n", rows_kept,
           rows_in > 0 ? 100.0 * (double) rows_kept / (double) rows_in : 0.0);
  g_print ("bytes written: %" G_GUINT64_FORMAT " in %u files\n", bytes, ok->len);
  g_print ("elapsed: %.2f s\n", elapsed);

  if (n_failed > 0)
    {
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_TASK_FAILED, "%u of %u partitions failed; "
                   "%u written to %s", n_failed, futures->len, ok->len, o->output_folder);
      return FALSE;
    }
  guint stale = remove_stale_parts (o->output_folder, futures->len);
  if (stale > 0)
    g_print ("removed %u stale part.N.parquet file%s (N >= %u) of an earlier run\n", stale,
             stale == 1 ? "" : "s", futures->len);
  g_print ("done\n");
  return TRUE;
}

int
dmpi_prep_nyctaxi_run (const DmpiPrepNyctaxiOptions *options)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DmpiClient) client = NULL;
  int status;

  g_return_val_if_fail (options != NULL && options->dataset != NULL && options->output_folder != NULL, 2);

  client = dmpi_client_new (NULL, NULL, &error);
  if (client == NULL)
    {
      g_printerr (PROG ": cannot start the client: %s\n", error->message);
      return 1;
    }

  status = run (client, options, &error) ? 0 : 1;
  fflush (stdout);
  if (status != 0)
    g_printerr (PROG ": %s\n", error->message);

  g_clear_error (&error);
  if (!dmpi_client_shutdown (client, status, &error))
    {
      g_printerr (PROG ": shutting the cluster down: %s\n", error->message);
      status = 1;
    }
  return status;
}
