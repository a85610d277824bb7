/* The reference job, dask-mpi-prep-nyctaxi, on the client's side: find the
 * input files and their blocks, submit one nyctaxi_partition task per block,
 * show progress, report. Not a public API: bin/dask-mpi-prep-nyctaxi calls
 * it (exported for that program only). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const char *dataset;        /* folder of *.csv[.gz|.bz2|.xz|.zst] and *.zip */
  const char *output_folder;  /* created if missing; part.N.parquet go there */
  guint64     blocksize;      /* bytes per partition of a plain file; 0: 64000000 */
  const char *compression;    /* "snappy" (NULL: the default) or "none" */
  double      timeout_s;      /* wait for the workers to join; <= 0: 120 s */
} DmpiPrepNyctaxiOptions;

#define DMPI_PREP_NYCTAXI_DEFAULT_BLOCKSIZE G_GUINT64_CONSTANT (64000000)

/* Runs the job as the cluster's client (MPI rank 1); returns the exit
 * status: 0 only when every partition was written. Prints the job's report
 * on stdout and errors and progress on stderr. */
int dmpi_prep_nyctaxi_run (const DmpiPrepNyctaxiOptions *options);

G_END_DECLS
