#pragma once

#if !defined(DMPI_INSIDE_DASKMPI_H) && !defined(DMPI_COMPILATION)
#error "Only <daskmpi.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

/**
 * DMPI_ERROR:
 *
 * Error domain of libdaskmpi. Errors in this domain carry a #DmpiError code.
 */
#define DMPI_ERROR (dmpi_error_quark ())
GQuark dmpi_error_quark (void);

typedef enum {
  DMPI_ERROR_FAILED,            /* anything else */
  DMPI_ERROR_MPI,               /* MPI refused or failed */
  DMPI_ERROR_WORLD_TOO_SMALL,   /* fewer than 3 ranks */
  DMPI_ERROR_PROTOCOL,          /* a malformed or unexpected message */
  DMPI_ERROR_TIMEOUT,           /* a wait ran out of time */
  DMPI_ERROR_TASK_FAILED,       /* the task's function returned an error */
  DMPI_ERROR_DEPENDENCY_FAILED, /* a task it depends on failed */
  DMPI_ERROR_UNKNOWN_FUNCTION,  /* no module registers that function name */
  DMPI_ERROR_INVALID_GRAPH,     /* duplicate key, missing dependency, cycle */
  DMPI_ERROR_INVALID_ARGS,      /* a task's arguments have the wrong type */
  DMPI_ERROR_MODULE,            /* a user module failed to load */
  DMPI_ERROR_CANCELLED,         /* the task was cancelled */
  DMPI_ERROR_SHUTDOWN,          /* the cluster is shutting down */
  DMPI_ERROR_WORKER_LOST,       /* the worker holding or running it died */
  DMPI_ERROR_MEMORY,            /* the task took its worker past its memory limit */
} DmpiError;

G_END_DECLS
