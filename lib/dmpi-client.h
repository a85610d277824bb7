#pragma once

#if !defined(DMPI_INSIDE_DASKMPI_H) && !defined(DMPI_COMPILATION)
#error "Only <daskmpi.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

/**
 * DmpiClient:
 *
 * The user's side of the cluster. The client program runs on MPI rank 1 (the
 * scheduler is rank 0, workers are the rest). dmpi_client_new() initialises
 * MPI and says hello to the scheduler; every other call blocks only for what
 * it waits for. Calls must come from the thread that created the client.
 *
 * When the program ends without dmpi_client_shutdown() — returning from
 * main(), calling exit() — the client shuts the cluster down with the
 * program's exit status, so every rank exits and the job's status is the
 * client's.
 */
typedef struct _DmpiClient DmpiClient;

/**
 * DmpiFuture:
 *
 * A reference-counted handle to one task's result, which stays on a worker
 * until gathered. When the last reference to a future goes, the cluster may
 * free its result.
 */
typedef struct _DmpiFuture DmpiFuture;

typedef enum {
  DMPI_FUTURE_PENDING,
  DMPI_FUTURE_FINISHED,
  DMPI_FUTURE_ERROR,
  DMPI_FUTURE_CANCELLED,
} DmpiFutureStatus;

/**
 * DmpiSubmitOptions:
 * @key: the task's key, unique among live tasks (%NULL: FUNCTION-N)
 * @retries: how many times to run it again when it fails
 * @priority: higher runs first among tasks ready at once (default 0); ties go
 *   to the earlier submitted
 * @workers: the ranks of the workers it may run on (%NULL: any)
 * @n_workers: the length of @workers
 *
 * Options of dmpi_client_submit_full(). Zero-initialise it and set what you need.
 */
typedef struct {
  const char *key;
  guint       retries;
  gint        priority;
  const int  *workers;
  gsize       n_workers;
} DmpiSubmitOptions;

/**
 * DmpiScatterOptions:
 * @workers: the ranks of the workers to place the values on (%NULL: all)
 * @n_workers: the length of @workers
 * @broadcast: put every value on every one of those workers, rather than
 *   each value on one of them in turn
 *
 * Options of dmpi_client_scatter_full(). Zero-initialise it and set what you need.
 */
typedef struct {
  const int  *workers;
  gsize       n_workers;
  gboolean    broadcast;
} DmpiScatterOptions;

typedef enum {
  DMPI_WAIT_ALL_COMPLETED,
  DMPI_WAIT_FIRST_COMPLETED,
} DmpiWaitMode;

/**
 * DmpiAsCompleted:
 *
 * An iterator over futures in the order they finish (dmpi_as_completed_new()).
 */
typedef struct _DmpiAsCompleted DmpiAsCompleted;

DmpiClient *dmpi_client_new               (int *argc, char ***argv, GError **error);
DmpiClient *dmpi_client_ref               (DmpiClient *client);
void        dmpi_client_unref             (DmpiClient *client);

gboolean    dmpi_client_wait_for_workers  (DmpiClient *client, guint n_workers,
                                           double timeout_s, GError **error);
guint       dmpi_client_get_n_workers     (DmpiClient *client);
/* The worker ranks the MPI job was started with (its size less the
 * scheduler and the client): what to wait for to have them all. */
guint       dmpi_client_get_world_workers (DmpiClient *client);
guint       dmpi_client_get_n_threads     (DmpiClient *client);
guint64     dmpi_client_get_memory_limit  (DmpiClient *client);
const char *dmpi_client_get_dashboard_address (DmpiClient *client);

gboolean    dmpi_client_load_module       (DmpiClient *client, const char *path, GError **error);

DmpiFuture *dmpi_client_submit            (DmpiClient *client, const char *function, GVariant *args,
                                           DmpiFuture *const *deps, gsize n_deps, GError **error);
DmpiFuture *dmpi_client_submit_with_key   (DmpiClient *client, const char *key, const char *function,
                                           GVariant *args, DmpiFuture *const *deps, gsize n_deps,
                                           GError **error);
DmpiFuture *dmpi_client_submit_full       (DmpiClient *client, const char *function, GVariant *args,
                                           DmpiFuture *const *deps, gsize n_deps,
                                           const DmpiSubmitOptions *options, GError **error);
GPtrArray  *dmpi_client_map               (DmpiClient *client, const char *function,
                                           GVariant *const *args, gsize n_args, GError **error);
gboolean    dmpi_client_flush             (DmpiClient *client, GError **error);

gboolean    dmpi_client_wait              (DmpiClient *client, DmpiFuture *const *futures, gsize n_futures,
                                           double timeout_s, GError **error);
gboolean    dmpi_client_wait_full         (DmpiClient *client, DmpiFuture *const *futures, gsize n_futures,
                                           double timeout_s, DmpiWaitMode mode, GError **error);
gboolean    dmpi_client_cancel            (DmpiClient *client, DmpiFuture *const *futures, gsize n_futures,
                                           GError **error);
void        dmpi_client_fire_and_forget   (DmpiClient *client, DmpiFuture *future);
gboolean    dmpi_client_progress          (DmpiClient *client, DmpiFuture *const *futures, gsize n_futures,
                                           const char *what, GError **error);

DmpiAsCompleted *dmpi_as_completed_new  (DmpiClient *client, DmpiFuture *const *futures, gsize n_futures);
DmpiFuture      *dmpi_as_completed_next (DmpiAsCompleted *iter, double timeout_s, GError **error);
void             dmpi_as_completed_free (DmpiAsCompleted *iter);
GVariant   *dmpi_client_gather_one        (DmpiClient *client, DmpiFuture *future, GError **error);
GPtrArray  *dmpi_client_gather            (DmpiClient *client, DmpiFuture *const *futures, gsize n_futures,
                                           GError **error);
GPtrArray  *dmpi_client_scatter           (DmpiClient *client, GVariant *const *values, gsize n_values,
                                           GError **error);
GPtrArray  *dmpi_client_scatter_full      (DmpiClient *client, GVariant *const *values, gsize n_values,
                                           const DmpiScatterOptions *options, GError **error);

gboolean    dmpi_client_shutdown          (DmpiClient *client, int exit_code, GError **error);

DmpiFuture      *dmpi_future_ref        (DmpiFuture *future);
void             dmpi_future_unref      (DmpiFuture *future);
const char      *dmpi_future_get_key    (DmpiFuture *future);
DmpiFutureStatus dmpi_future_get_status (DmpiFuture *future);
const GError    *dmpi_future_get_error  (DmpiFuture *future);
guint64          dmpi_future_get_nbytes (DmpiFuture *future);
int              dmpi_future_get_worker (DmpiFuture *future);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmpiClient, dmpi_client_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmpiFuture, dmpi_future_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmpiAsCompleted, dmpi_as_completed_free)

G_END_DECLS
