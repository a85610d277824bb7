/* The data-frame tasks every worker has. Data stays on the worker: a task
 * reads its input from the (shared) file system, writes its output there,
 * and returns only small statistics. */
#include "config.h"

#include "registry.h"
#include "dmpi-error.h"
#include "role.h"
#include "transport.h"
#include "df/nyctaxi.h"
#include "df/parquet.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

/* Peak resident set of this process (VmHWM), in bytes; 0 if unknown. */
static guint64
peak_rss_bytes (void)
{
  g_autofree char *status = NULL;
  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return 0;
  const char *p = strstr (status, "VmHWM:");
  return p != NULL ? g_ascii_strtoull (p + 6, NULL, 10) * 1024 : 0;
}

/* nyctaxi_partition (path s, offset t, length t, output s, codec s):
 * one partition of the reference job: reads the CSV block (or the whole
 * compressed file), transforms it and writes it as Parquet to output
 * (atomically). Returns (rows_in t, rows_kept t, bytes_written t, rank i,
 * host s, seconds d, peak_rss t). */
static gboolean
nyctaxi_partition (DmpiTask *task, GError **error)
{
  const char *path, *output, *codec;
  guint64 offset, length;
  gsize rows_in = 0;
  DmpiParquetOptions opts;
  gint64 t0 = g_get_monotonic_time ();

  if (!dmpi_task_check_args (task, "(sttss)", error))
    return FALSE;
  g_variant_get (dmpi_task_get_args (task), "(&stt&s&s)", &path, &offset, &length, &output, &codec);

  dmpi_parquet_options_init (&opts);
  if (strcmp (codec, "none") == 0)
    opts.codec = DMPI_PARQUET_CODEC_UNCOMPRESSED;
  else if (strcmp (codec, "snappy") != 0)
    {
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_INVALID_ARGS,
                   "unknown compression '%s' (snappy or none)", codec);
      return FALSE;
    }

  g_autoptr(DmpiTable) table = dmpi_nyctaxi_read_block (path, offset, length, &rows_in, error);
  if (table == NULL)
    return FALSE;
  if (!dmpi_parquet_write_file (table, output, &opts, error))
    return FALSE;

  GStatBuf st;
  guint64 bytes = g_stat (output, &st) == 0 ? (guint64) st.st_size : 0;
  double seconds = (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC;
  guint64 rows_kept = table->n_rows;
  /* The table goes before the peak is read: it does not change the peak, but
   * the statistics are what a caller looks at after the task. */
  g_clear_pointer (&table, dmpi_table_free);
  dmpi_task_set_result (task, g_variant_new ("(tttisdt)", (guint64) rows_in, rows_kept, bytes,
                                             (gint32) dmpi_transport_world_rank (), dmpi_hostname (),
                                             seconds, peak_rss_bytes ()));
  return TRUE;
}

void
dmpi_df_tasks_register (DmpiRegistry *registry)
{
  dmpi_registry_add (registry, "nyctaxi_partition", nyctaxi_partition);
}
