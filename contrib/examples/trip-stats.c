/* trip-stats: the second reference job (reference/trip-stats.md), a group-by
 * over the NYC taxi CSVs into one small Parquet file, written as a Dask user
 * writes it:
 *
 *   df = dd.read_csv(dataset)                         # numbers as float64
 *   df = df[filter]
 *   df = df.assign(year=..., month=..., hour=..., payment_type=..., duration=...)
 *   stats = df.groupby([...]).agg(...).compute()
 *
 * Only the public API: <daskmpi.h>. */
#include <daskmpi.h>

#include <stdio.h>
#include <string.h>

#define PROG "trip-stats"

static char *opt_dataset;
static char *opt_output;
static gint64 opt_blocksize = 64000000;
static gdouble opt_timeout = 120.0;

static GOptionEntry entries[] = {
  { "nyc_taxi_dataset", 0, 0, G_OPTION_ARG_FILENAME, &opt_dataset,
    "Folder of the input CSV files (*.csv, *.csv.gz|.bz2|.xz|.zst, *.zip)", "DIR" },
  { "output_file", 0, 0, G_OPTION_ARG_FILENAME, &opt_output, "The Parquet file to write", "FILE.parquet" },
  { "blocksize", 0, 0, G_OPTION_ARG_INT64, &opt_blocksize,
    "Bytes of a plain CSV file per partition (default 64000000)", "BYTES" },
  { "timeout", 0, 0, G_OPTION_ARG_DOUBLE, &opt_timeout, "Seconds to wait for the workers (default 120)", "S" },
  { NULL }
};

static const char *const numbers[] = {
  "passenger_count", "trip_distance", "pickup_longitude", "pickup_latitude", "dropoff_longitude",
  "dropoff_latitude", "payment_type", "fare_amount", "tip_amount",
};

static const char *const filter =
  "0 < fare_amount < 500 and 0 < passenger_count < 6"
  " and -75 < pickup_longitude < -73 and -75 < dropoff_longitude < -73"
  " and 40 < pickup_latitude < 42 and 40 < dropoff_latitude < 42";

static const char *const keys_and_duration[][2] = {
  { "year", "int64(year(tpep_pickup_datetime))" },
  { "month", "int64(month(tpep_pickup_datetime))" },
  { "hour", "int64(hour(tpep_pickup_datetime))" },
  { "payment_type", "int64(fillna(payment_type, -1))" },
  { "duration", "seconds(tpep_dropoff_datetime - tpep_pickup_datetime)" },
};

static const char *const keys[] = { "year", "month", "hour", "payment_type", NULL };
static const char *const aggs[] = {
  "trips=size()", "passengers=sum(passenger_count)", "distance_sum=sum(trip_distance)",
  "fare_mean=mean(fare_amount)", "tip_mean=mean(tip_amount)", "tip_sum=sum(tip_amount)",
  "fare_sum=sum(fare_amount)", "duration_mean_s=mean(duration)", NULL,
};
static const char *const output[] = {
  "year", "month", "hour", "payment_type", "trips", "passengers", "distance_sum", "fare_mean", "tip_mean",
  "tip_ratio", "duration_mean_s", NULL,
};

/* Replaces *frame by the result of a verb, or says it failed. */
static gboolean
step (DmpiFrame **frame, DmpiFrame *next)
{
  if (next == NULL)
    return FALSE;
  dmpi_frame_unref (*frame);
  *frame = next;
  return TRUE;
}

static gboolean
run (DmpiClient *client, GError **error)
{
  g_autoptr(DmpiCsvOptions) csv = dmpi_csv_options_new ();
  const char *columns[G_N_ELEMENTS (numbers) + 3];
  columns[0] = "tpep_pickup_datetime";
  columns[1] = "tpep_dropoff_datetime";
  dmpi_csv_options_set_timestamp (csv, columns[0], NULL);
  dmpi_csv_options_set_timestamp (csv, columns[1], NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (numbers); i++)
    {
      columns[i + 2] = numbers[i];
      dmpi_csv_options_set_type (csv, numbers[i], DMPI_COL_FLOAT64);   /* pandas' default */
    }
  columns[G_N_ELEMENTS (numbers) + 2] = NULL;
  dmpi_csv_options_set_columns (csv, columns);
  dmpi_csv_options_set_blocksize (csv, (guint64) opt_blocksize);

  const char *paths[] = { opt_dataset, NULL };
  g_autoptr(DmpiFrame) df = dmpi_read_csv (client, paths, csv, error);
  if (df == NULL)
    return FALSE;
  g_print ("dataset: %s\n", opt_dataset);
  const char *last = NULL;
  for (guint i = 0; i < dmpi_frame_get_n_partitions (df); i++)
    {
      const char *path = dmpi_frame_get_partition_path (df, i);
      if (last == NULL || strcmp (last, path) != 0)
        g_print ("  %s\n", path);
      last = path;
    }
  g_print ("%u partitions\n", dmpi_frame_get_n_partitions (df));

  if (!step (&df, dmpi_frame_filter (df, filter, error)))
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (keys_and_duration); i++)
    if (!step (&df, dmpi_frame_assign (df, keys_and_duration[i][0], keys_and_duration[i][1], error)))
      return FALSE;
  if (!step (&df, dmpi_frame_groupby_agg (df, keys, aggs, error)) ||
      !step (&df, dmpi_frame_assign (df, "passengers", "int64(passengers)", error)) ||
      !step (&df, dmpi_frame_assign (df, "tip_ratio", "tip_sum / fare_sum", error)) ||
      !step (&df, dmpi_frame_select (df, output, error)))
    return FALSE;

  if (!dmpi_client_wait_for_workers (client, MAX (dmpi_client_get_world_workers (client), 1), opt_timeout, error))
    return FALSE;
  g_autoptr(DmpiTable) stats = dmpi_frame_compute (df, error);
  if (stats == NULL)
    return FALSE;
  g_print ("%zu groups\n", dmpi_table_n_rows (stats));
  g_autofree char *text = dmpi_table_to_string (stats, 10);
  g_print ("%s", text);
  if (!dmpi_table_write_parquet (stats, opt_output, NULL, error))
    return FALSE;
  g_print ("written: %s\n", opt_output);
  g_print ("done\n");
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) context = g_option_context_new ("- trip statistics by hour and payment type");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_description (context,
    "Run it as the client of a dask-mpi cluster:\n"
    "  dask-mpi-run -n 4 contrib/examples/trip-stats --nyc_taxi_dataset DIR --output_file FILE.parquet");
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr (PROG ": %s\n", error->message);
      return 2;
    }
  if (opt_dataset == NULL || opt_output == NULL || argc > 1 || opt_blocksize < 1)
    {
      g_printerr (PROG ": %s\n", argc > 1 ? "unexpected arguments (options only)"
                  : opt_blocksize < 1 ? "--blocksize must be at least 1"
                  : "--nyc_taxi_dataset DIR and --output_file FILE.parquet are required");
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
