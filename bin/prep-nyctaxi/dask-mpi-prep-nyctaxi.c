/* dask-mpi-prep-nyctaxi: the NYC taxi data preparation (reference/nyctaxi-job.md),
 * CSV in, Parquet out, as a user writes it on the public frame API:
 *
 *   df = read_csv(dataset, usecols=14 columns, dtype=...)
 *   df = df[filter].rename(...)
 *   df = df.fillna(-1).assign(hour=..., ..., is_weekend=...)
 *   df.to_parquet(output_folder)
 *
 * The frame layer reads only the 14 columns, applies the filter while
 * parsing, and runs a partition's verbs fused in one task on a worker. */
#include <daskmpi.h>

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define PROG "dask-mpi-prep-nyctaxi"
#define HEAD_ROWS 5

static char *opt_dataset;
static char *opt_output;
static gint64 opt_blocksize = 64000000;
static char *opt_compression;
static gdouble opt_timeout = 120.0;

static GOptionEntry entries[] = {
  { "nyc_taxi_dataset", 0, 0, G_OPTION_ARG_FILENAME, &opt_dataset,
    "Folder of the input CSV files (*.csv, *.csv.gz|.bz2|.xz|.zst, *.zip)", "DIR" },
  { "output_folder", 0, 0, G_OPTION_ARG_FILENAME, &opt_output,
    "Folder for the part.N.parquet files (created if missing)", "DIR" },
  { "blocksize", 0, 0, G_OPTION_ARG_INT64, &opt_blocksize,
    "Bytes of a plain CSV file per partition (default 64000000)", "BYTES" },
  { "compression", 0, 0, G_OPTION_ARG_STRING, &opt_compression,
    "Parquet compression: snappy (the default) or none", "CODEC" },
  { "timeout", 0, 0, G_OPTION_ARG_DOUBLE, &opt_timeout,
    "Seconds to wait for the workers to join (default 120)", "S" },
  { NULL }
};

/* The 14 columns the job keeps, in input order, with their types. */
static const struct {
  const char  *name;
  DmpiColType  type;
} input_columns[] = {
  { "VendorID", DMPI_COL_INT32 },
  { "tpep_pickup_datetime", DMPI_COL_TIMESTAMP },
  { "tpep_dropoff_datetime", DMPI_COL_TIMESTAMP },
  { "passenger_count", DMPI_COL_INT32 },
  { "trip_distance", DMPI_COL_FLOAT32 },
  { "pickup_longitude", DMPI_COL_FLOAT32 },
  { "pickup_latitude", DMPI_COL_FLOAT32 },
  { "RateCodeID", DMPI_COL_INT32 },
  { "dropoff_longitude", DMPI_COL_FLOAT32 },
  { "dropoff_latitude", DMPI_COL_FLOAT32 },
  { "payment_type", DMPI_COL_INT32 },
  { "fare_amount", DMPI_COL_FLOAT32 },
  { "tip_amount", DMPI_COL_FLOAT32 },
  { "total_amount", DMPI_COL_FLOAT32 },
};

static const char *const filter =
  "0 < fare_amount < 500 and 0 < passenger_count < 6"
  " and -75 < pickup_longitude < -73 and -75 < dropoff_longitude < -73"
  " and 40 < pickup_latitude < 42 and 40 < dropoff_latitude < 42";

#define HAVERSINE                                                                     \
  "6371 * (2 * asin(sqrt(sin((radians(dropoff_latitude) - radians(pickup_latitude)) / 2) ** 2" \
  " + cos(radians(pickup_latitude)) * cos(radians(dropoff_latitude))"                   \
  " * sin((radians(dropoff_longitude) - radians(pickup_longitude)) / 2) ** 2)))"

/* The features, in output order (reference/nyctaxi-job.md, step 5). */
static const char *const features[][2] = {
  { "hour", "hour(pickup_datetime)" },
  { "year", "year(pickup_datetime)" },
  { "month", "month(pickup_datetime)" },
  { "day", "day(pickup_datetime)" },
  { "day_of_week", "day_of_week(pickup_datetime)" },
  { "diff", "dropoff_datetime - pickup_datetime" },
  /* NumPy's float32 floor division, as pandas computes it. */
  { "pickup_latitude_r", "pickup_latitude // 0.01 * 0.01" },
  { "pickup_longitude_r", "pickup_longitude // 0.01 * 0.01" },
  { "dropoff_latitude_r", "dropoff_latitude // 0.01 * 0.01" },
  { "dropoff_longitude_r", "dropoff_longitude // 0.01 * 0.01" },
  { "h_distance", HAVERSINE },
  /* The users' job computes day_of_week > 5: Sundays only. Kept. */
  { "is_weekend", "int32(day_of_week(pickup_datetime) > 5)" },
};

/* Sizes in decimal units with a plain space. */
static char *
format_bytes (guint64 n)
{
  static const char *const units[] = { "bytes", "kB", "MB", "GB", "TB" };
  double v = (double) n;
  guint u = 0;
  while (v >= 1000.0 && u + 1 < G_N_ELEMENTS (units))
    v /= 1000.0, u++;
  return u == 0 ? g_strdup_printf ("%" G_GUINT64_FORMAT " bytes", n) : g_strdup_printf ("%.1f %s", v, units[u]);
}

/* The input frame, and what was found, printed. */
static DmpiFrame *
open_input (DmpiClient *client, GError **error)
{
  g_autoptr(DmpiCsvOptions) csv = dmpi_csv_options_new ();
  const char *names[G_N_ELEMENTS (input_columns) + 1];
  for (gsize i = 0; i < G_N_ELEMENTS (input_columns); i++)
    {
      names[i] = input_columns[i].name;
      dmpi_csv_options_set_type (csv, input_columns[i].name, input_columns[i].type);
    }
  names[G_N_ELEMENTS (input_columns)] = NULL;
  dmpi_csv_options_set_columns (csv, names);
  dmpi_csv_options_add_alias (csv, "RateCodeID", "RatecodeID");
  dmpi_csv_options_set_blocksize (csv, (guint64) opt_blocksize);
  /* Only the empty field is missing, as the reference job reads it. */
  dmpi_csv_options_set_na_values (csv, NULL, FALSE);

  g_print ("dataset: %s\n", opt_dataset);
  const char *paths[] = { opt_dataset, NULL };
  g_autoptr(DmpiFrame) df = dmpi_read_csv (client, paths, csv, error);
  if (df == NULL)
    return NULL;

  /* The files and their partitions, in order. */
  guint n_parts = dmpi_frame_get_n_partitions (df), n_files = 0;
  guint64 total = 0;
  for (guint i = 0; i < n_parts;)
    {
      const char *path = dmpi_frame_get_partition_path (df, i);
      guint first = i;
      while (i < n_parts && strcmp (dmpi_frame_get_partition_path (df, i), path) == 0)
        i++;
      struct stat st;
      guint64 size = stat (path, &st) == 0 ? (guint64) st.st_size : 0;
      g_autofree char *hsize = format_bytes (size);
      g_print ("  %s (%s, %u partition%s)\n", path, hsize, i - first, i - first == 1 ? "" : "s");
      total += size;
      n_files++;
    }
  g_autofree char *htotal = format_bytes (total);
  g_print ("found %u file%s, %s, %u partitions\n", n_files, n_files == 1 ? "" : "s", htotal, n_parts);
  return g_steal_pointer (&df);
}

/* The job's verbs on the input frame. */
static DmpiFrame *
transform (DmpiFrame *input, GError **error)
{
  static const char *const from[] = { "tpep_pickup_datetime", "tpep_dropoff_datetime", "RateCodeID", NULL };
  static const char *const to[] = { "pickup_datetime", "dropoff_datetime", "rate_code", NULL };
  g_autoptr(DmpiFrame) kept = dmpi_frame_filter (input, filter, error);
  if (kept == NULL)
    return NULL;
  g_autoptr(DmpiFrame) renamed = dmpi_frame_rename (kept, from, to, error);
  if (renamed == NULL)
    return NULL;
  /* An empty numeric value becomes -1 (timestamps stay missing). */
  g_autoptr(GPtrArray) numeric = g_ptr_array_new ();
  for (guint i = 0; i < dmpi_frame_get_n_columns (renamed); i++)
    if (dmpi_frame_get_column_type (renamed, i) != DMPI_COL_TIMESTAMP)
      g_ptr_array_add (numeric, (gpointer) dmpi_frame_get_column_name (renamed, i));
  g_ptr_array_add (numeric, NULL);
  g_autoptr(DmpiFrame) df = dmpi_frame_fillna (renamed, (const char *const *) numeric->pdata, "-1", error);
  if (df == NULL)
    return NULL;
  for (gsize i = 0; i < G_N_ELEMENTS (features); i++)
    {
      DmpiFrame *next = dmpi_frame_assign (df, features[i][0], features[i][1], error);
      if (next == NULL)
        return NULL;
      dmpi_frame_unref (df);
      df = next;
    }
  return g_steal_pointer (&df);
}

typedef struct {
  int      rank;
  char    *host;
  GString *files;
  guint    n_files;
  guint64  rows, bytes, peak_rss;
  double   seconds;
} WorkerReport;

static void
worker_report_free (WorkerReport *w)
{
  g_free (w->host);
  g_string_free (w->files, TRUE);
  g_free (w);
}

static gint
compare_reports (gconstpointer a, gconstpointer b)
{
  const WorkerReport *x = *(WorkerReport *const *) a, *y = *(WorkerReport *const *) b;
  return (x->rank > y->rank) - (x->rank < y->rank);
}

static void
print_report (DmpiWriteReport *report, gint64 t0)
{
  g_autoptr(GHashTable) by_rank = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) worker_report_free);
  guint64 rows_in = 0, rows = 0, bytes = 0;
  guint n = dmpi_write_report_get_n_parts (report);
  for (guint i = 0; i < n; i++)
    {
      int rank = dmpi_write_report_get_worker (report, i);
      WorkerReport *w = g_hash_table_lookup (by_rank, GINT_TO_POINTER (rank));
      if (w == NULL)
        {
          w = g_new0 (WorkerReport, 1);
          w->rank = rank;
          w->host = g_strdup (dmpi_write_report_get_host (report, i));
          w->files = g_string_new (NULL);
          g_hash_table_insert (by_rank, GINT_TO_POINTER (rank), w);
        }
      g_autofree char *base = g_path_get_basename (dmpi_write_report_get_path (report, i));
      w->n_files++;
      g_string_append_printf (w->files, " %s", base);
      w->rows += dmpi_write_report_get_rows (report, i);
      w->bytes += dmpi_write_report_get_bytes (report, i);
      w->seconds += dmpi_write_report_get_seconds (report, i);
      w->peak_rss = MAX (w->peak_rss, dmpi_write_report_get_peak_rss (report, i));
      rows_in += dmpi_write_report_get_rows_read (report, i);
      rows += dmpi_write_report_get_rows (report, i);
      bytes += dmpi_write_report_get_bytes (report, i);
    }
  g_autoptr(GPtrArray) workers = g_ptr_array_new ();
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, by_rank);
  while (g_hash_table_iter_next (&it, NULL, &value))
    g_ptr_array_add (workers, value);
  g_ptr_array_sort (workers, compare_reports);
  g_print ("files written per worker:\n");
  for (guint i = 0; i < workers->len; i++)
    {
      WorkerReport *w = workers->pdata[i];
      g_autofree char *hb = format_bytes (w->bytes);
      g_print ("  rank %d (%s): %u file%s, %" G_GUINT64_FORMAT " rows, %s, %.2f s busy, peak RSS %.1f MB:%s\n",
               w->rank, w->host, w->n_files, w->n_files == 1 ? "" : "s", w->rows, hb, w->seconds,
               (double) w->peak_rss / 1e6, w->files->str);
    }
  g_print ("rows in: %" G_GUINT64_FORMAT "\n", rows_in);
  g_print ("rows kept: %" G_GUINT64_FORMAT " (%.1f%%)\n", rows,
           rows_in > 0 ? 100.0 * (double) rows / (double) rows_in : 0.0);
  g_print ("bytes written: %" G_GUINT64_FORMAT " in %u files\n", bytes, n);
  g_print ("elapsed: %.2f s\n", (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC);
}

static gboolean
run (DmpiClient *client, GError **error)
{
  gint64 t0 = g_get_monotonic_time ();
  g_autoptr(DmpiFrame) input = open_input (client, error);
  if (input == NULL)
    return FALSE;
  g_autoptr(DmpiFrame) df = transform (input, error);
  if (df == NULL)
    return FALSE;
  g_print ("output: %s\n", opt_output);

  if (!dmpi_client_wait_for_workers (client, MAX (dmpi_client_get_world_workers (client), 1), opt_timeout, error))
    return FALSE;
  guint64 mem = dmpi_client_get_memory_limit (client);
  g_autofree char *hmem = mem > 0 ? format_bytes (mem) : g_strdup ("no memory limit");
  g_print ("cluster: %u workers, %u threads, %s\n", dmpi_client_get_n_workers (client),
           dmpi_client_get_n_threads (client), hmem);

  g_autoptr(DmpiTable) head = dmpi_frame_head (input, HEAD_ROWS, error);
  if (head == NULL)
    return FALSE;
  g_autofree char *text = dmpi_table_to_string (head, 0);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  g_print ("first %zu rows of %s:\n", dmpi_table_n_rows (head), dmpi_frame_get_partition_path (input, 0));
  for (char **l = lines; *l != NULL && **l != '\0'; l++)
    g_print ("  %s\n", *l);

  DmpiWriteOptions wo = { .compression = opt_compression, .progress = "partitions" };
  g_autoptr(DmpiWriteReport) report = dmpi_frame_to_parquet (df, opt_output, &wo, error);
  if (report == NULL)
    return FALSE;
  print_report (report, t0);
  g_print ("done\n");
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) context =
    g_option_context_new ("- prepare the NYC taxi trip data (CSV to Parquet) on a dask-mpi cluster");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_description (context,
    "Run it as the client of a dask-mpi cluster:\n"
    "  dask-mpi-run -n 4 dask-mpi-prep-nyctaxi --nyc_taxi_dataset DIR --output_folder DIR\n"
    "See dask-mpi-prep-nyctaxi(1).");
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr (PROG ": %s\n", error->message);
      return 2;
    }
  if (opt_dataset == NULL || opt_output == NULL || argc > 1)
    {
      g_printerr (PROG ": %s\n", argc > 1 ? "unexpected arguments (options only)"
                                          : "--nyc_taxi_dataset DIR and --output_folder DIR are required");
      return 2;
    }
  if (opt_blocksize < 1)
    {
      g_printerr (PROG ": --blocksize %" G_GINT64_FORMAT ": must be at least 1\n", opt_blocksize);
      return 2;
    }
  if (opt_compression != NULL && strcmp (opt_compression, "snappy") != 0 && strcmp (opt_compression, "none") != 0)
    {
      g_printerr (PROG ": --compression %s: not a codec (snappy or none)\n", opt_compression);
      return 2;
    }

  g_autoptr(DmpiClient) client = dmpi_client_new (&argc, &argv, &error);
  if (client == NULL)
    {
      g_printerr (PROG ": cannot start the client: %s\n", error->message);
      return 1;
    }
  int status = run (client, &error) ? 0 : 1;
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
