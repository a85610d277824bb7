/* dask-mpi-prep-nyctaxi: the NYC taxi data preparation job (CSV in, Parquet
 * out) as a dask-mpi client. Options here; the job is in the library. */
#include "config.h"

#include <glib.h>
#include <stdio.h>

#include "prep-nyctaxi.h"

static char *opt_dataset;
static char *opt_output;
static gint64 opt_blocksize = (gint64) DMPI_PREP_NYCTAXI_DEFAULT_BLOCKSIZE;
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
      g_printerr ("dask-mpi-prep-nyctaxi: %s\n", error->message);
      return 2;
    }
  if (opt_dataset == NULL || opt_output == NULL || argc > 1)
    {
      g_printerr ("dask-mpi-prep-nyctaxi: %s\n", argc > 1
                  ? "unexpected arguments (options only)"
                  : "--nyc_taxi_dataset DIR and --output_folder DIR are required");
      return 2;
    }
  if (opt_blocksize < 1)
    {
      g_printerr ("dask-mpi-prep-nyctaxi: --blocksize %" G_GINT64_FORMAT ": must be at least 1\n",
                  opt_blocksize);
      return 2;
    }

  DmpiPrepNyctaxiOptions options = {
    .dataset = opt_dataset,
    .output_folder = opt_output,
    .blocksize = (guint64) opt_blocksize,
    .compression = opt_compression,
    .timeout_s = opt_timeout,
  };
  return dmpi_prep_nyctaxi_run (&options);
}
