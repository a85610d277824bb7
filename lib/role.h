/* What every role's entry point does first, and the entry points of the
 * programs in bin/ (exported from the library for them, not installed as API). */
#pragma once

#include <glib.h>
#include "protocol.h"

G_BEGIN_DECLS

/* Initialise MPI and logging for @role and check the world: at least 3
 * ranks, and this rank is the one @role runs on (scheduler 0, client 1,
 * worker ≥ 2). */
gboolean    dmpi_role_init     (DmpiRole role, int *argc, char ***argv, GError **error);
const char *dmpi_role_name     (DmpiRole role);
/* The common start of the scheduler and the worker: dmpi_role_init() and
 * the --log-level option (NULL: the environment's). On FALSE the error is
 * logged and *status is the exit status to return. */
gboolean    dmpi_role_start    (DmpiRole role, const char *log_level, int *status);
const char *dmpi_hostname      (void);
/* Seconds since the epoch, for task start/stop times. */
double      dmpi_now           (void);

typedef struct {
  const char *log_level;           /* NULL: the environment's or info */
  const char *dashboard_address;   /* NULL: DASK_MPI_DASHBOARD_ADDRESS or ":8787"; "none": no dashboard */
  const char *performance_report;  /* NULL: DASK_MPI_PERFORMANCE_REPORT or none */
} DmpiSchedulerOptions;

typedef struct {
  guint       nthreads;        /* 0: DASK_MPI_NTHREADS or 1 */
  const char *memory_limit;    /* NULL: DASK_MPI_MEMORY_LIMIT, else auto; see dmpi_memory_parse_limit() */
  const char *local_directory; /* NULL: DASK_MPI_LOCAL_DIRECTORY or the temporary folder */
  const char *log_level;
} DmpiWorkerOptions;

/* Run the role until the cluster shuts down; returns the process's exit status. */
int dmpi_scheduler_run (const DmpiSchedulerOptions *options);
int dmpi_worker_run    (const DmpiWorkerOptions *options);

G_END_DECLS
