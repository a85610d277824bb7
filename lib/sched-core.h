/* The scheduler's decisions, with no I/O: events in, actions out.
 *
 * The scheduler binary's loop turns messages into calls of the event
 * functions below and the actions they queue into messages; the unit tests
 * and the simulator drive the same core directly. Task states follow Dask's:
 * waiting (for dependencies), queued (a root task held on the scheduler until
 * a worker has room), no-worker, processing (sent to a worker), memory (the
 * result is on a worker), erred; a task nobody needs any more is forgotten. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  DMPI_TASK_RELEASED,
  DMPI_TASK_WAITING,
  DMPI_TASK_NO_WORKER,
  DMPI_TASK_QUEUED,
  DMPI_TASK_PROCESSING,
  DMPI_TASK_MEMORY,
  DMPI_TASK_ERRED,
  DMPI_TASK_FORGOTTEN,
  DMPI_TASK_N_STATES
} DmpiTaskState;

const char *dmpi_task_state_name (DmpiTaskState state);

/* What the scheduler knows of one task function (per-function progress,
 * learned durations). */
typedef struct {
  const char *name;                         /* interned */
  guint64     n_by_state[DMPI_TASK_N_STATES];
  guint64     n_total;                      /* ever submitted */
  guint64     n_erred;                      /* failed by itself, not through a dependency */
  double      duration;                     /* moving average, seconds; < 0 unknown */
  double      busy_seconds;
} DmpiSchedFunction;

/* A growable list of task ids in one allocation (a GArray costs three
 * times as much for the one or two ids most tasks have). */
typedef struct {
  guint32 len, alloc;
  guint64 ids[];
} DmpiSchedIdList;

typedef struct _DmpiSchedTask DmpiSchedTask;
struct _DmpiSchedTask {
  /* Ordered by size so that the record has no holes: the scheduler keeps
   * one per live task (see contrib/sim, bytes_per_task). */
  guint64         id;
  char           *key;
  const char     *function;        /* interned */
  DmpiSchedFunction *fn;
  const char     *args_type;       /* interned GVariant type string */
  guint8         *args;            /* serialised, kept to forward to the worker; NULL once
                                    * finished (a stolen or retried task is sent again) */
  gsize           args_size;
  DmpiSchedTask **deps;            /* NULL once the task is finished */
  DmpiSchedIdList *dependents;     /* ids; NULL if none; read it through the core (one id
                                    * is stored in the pointer itself) */
  int            *restrict_to;
  GList          *queue_link;      /* its node in the queued tasks */
  char           *error;
  guint64         nbytes;
  guint64         order;           /* submission order: lower runs first */
  DmpiTaskState   state;
  guint           n_deps;
  guint           n_waiting;       /* dependencies not yet in memory */
  guint           n_pending_dependents;
  int             worker;          /* rank processing it, or -1 */
  int             holder;          /* rank holding its result, or -1 */
  gint32          priority;        /* higher runs first */
  guint           error_code;      /* a DmpiError code when erred */
  guint16         retries;         /* runs left after a failure */
  guint16         n_restrict;      /* ranks it may run on (0: any) */
  guint           wanted : 1;      /* the client holds a future to it */
  guint           keep : 1;        /* fire and forget: runs even when released */
  guint           stealing : 1;    /* a STEAL for it is out to its worker, not yet answered */
  guint           refused : 1;     /* its worker refused a STEAL (started it): not asked again */
  guint           ahead : 1;       /* sent ahead: on its worker, waiting there for an input
                                    * that worker computes (see dmpi_sched_set_sending_ahead) */
  /* When it ran: see the task stream (dmpi_sched_read_stream). */
};

typedef struct {
  guint64     id;
  const char *key;
  const char *function;
  const char *args_type;   /* GVariant type string of the arguments */
  gconstpointer args;      /* serialised arguments (copied) */
  gsize       args_size;
  const guint64 *deps;
  guint       n_deps;
  gint32      priority;     /* higher runs first; ties: earlier submitted first */
  guint       retries;      /* times to run it again after it fails */
  const int  *restrict_to;  /* ranks it may run on; NULL: any */
  guint       n_restrict;
} DmpiSchedTaskSpec;

typedef enum {
  DMPI_ACTION_COMPUTE,   /* send task to worker */
  DMPI_ACTION_FREE,      /* worker may drop result id */
  DMPI_ACTION_REPORT,    /* tell the client about id */
  DMPI_ACTION_STEAL,     /* ask worker to give task id back if it has not started it */
} DmpiActionKind;

typedef struct {
  DmpiActionKind kind;
  int            worker;    /* COMPUTE, FREE, STEAL: the worker's rank; REPORT: the holder's */
  guint64        id;
  DmpiSchedTask *task;      /* COMPUTE only: valid until the next event */
  guint          state;     /* REPORT: DMPI_TASK_MEMORY or DMPI_TASK_ERRED */
  guint          error_code;
  guint64        nbytes;
  char          *message;   /* REPORT of an error; owned by the action list */
} DmpiSchedAction;

typedef struct {
  int     rank;
  guint   nthreads;
  guint64 memory_limit;
  char   *host;
  guint   n_processing;     /* tasks sent and not finished (not counting those sent ahead) */
  guint   n_ahead;          /* tasks sent ahead, waiting there for an input it computes */
  guint64 nbytes;           /* bytes of results it holds */
  guint64 n_done;
  double  busy_seconds;
  gboolean alive;
  gboolean paused;          /* memory high: gets no new tasks (dmpi_sched_worker_paused) */
  guint   n_stealing;       /* of its tasks, asked back and not answered yet */
  guint64 n_stolen;         /* tasks it gave back (stolen from it, or handed back on pausing) */
  guint   n_held;           /* results in memory it holds (dmpi_sched_count_held) */
  /* From its heartbeats. */
  guint   executing;
  guint64 stored_bytes;     /* results in memory */
  guint64 spilled_bytes;    /* results spilled to its local directory */
  guint64 rss;
  double  cpu_seconds;
  double  cpu_percent;      /* over the last heartbeat interval */
  double  last_heartbeat;   /* event time, seconds */
} DmpiSchedWorker;

/* One finished or failed run, for the task stream. */
typedef struct {
  guint64     seq;
  guint64     id;
  int         rank;
  guint       thread;
  const char *function;     /* interned */
  double      start, stop;
  gboolean    erred;
} DmpiSchedStreamEntry;

/* A task that failed by itself, for the list of recent errors. */
typedef struct {
  guint64 seq;
  char   *key;
  const char *function;
  int     rank;
  double  time;
  char   *message;
} DmpiSchedErrorEntry;

typedef struct {
  guint64 n_tasks;          /* known, not forgotten */
  guint64 n_by_state[DMPI_TASK_N_STATES];
  guint64 n_submitted, n_finished, n_erred, n_forgotten;
  guint   n_workers;
  guint   n_threads;
  guint64 n_steal_requests; /* STEAL actions ever queued */
  guint64 n_stolen;         /* tasks given back and placed again */
  guint64 n_sent_ahead;     /* tasks sent ahead to wait for an input on its worker */
  guint64 n_ahead_dropped;  /* of those, back to waiting: the input left without a result */
} DmpiSchedStats;

typedef struct _DmpiSched DmpiSched;

DmpiSched *dmpi_sched_new  (void);
void       dmpi_sched_free (DmpiSched *sched);

/* Events. */
void     dmpi_sched_add_worker    (DmpiSched *sched, int rank, const char *host, guint nthreads,
                                   guint64 memory_limit);
void     dmpi_sched_remove_worker (DmpiSched *sched, int rank, const char *reason);
gboolean dmpi_sched_submit        (DmpiSched *sched, const DmpiSchedTaskSpec *specs, gsize n_specs,
                                   GError **error);
void     dmpi_sched_task_finished (DmpiSched *sched, int rank, guint thread, guint64 id, guint64 nbytes,
                                   double start, double stop);
void     dmpi_sched_task_erred    (DmpiSched *sched, int rank, guint thread, guint64 id, guint error_code,
                                   const char *message, double start, double stop);
void     dmpi_sched_worker_heartbeat (DmpiSched *sched, int rank, guint executing, guint64 stored_bytes,
                                      guint64 rss, double cpu_seconds, double now);
void     dmpi_sched_data_added    (DmpiSched *sched, int rank, guint64 id, const char *key,
                                   guint64 nbytes);
void     dmpi_sched_release       (DmpiSched *sched, const guint64 *ids, gsize n_ids);
/* Cancel: tasks not finished fail with DMPI_ERROR_CANCELLED (their dependents
 * with them); results already in memory are released. */
void     dmpi_sched_cancel        (DmpiSched *sched, const guint64 *ids, gsize n_ids);
/* Keep running these even when the client releases them (fire and forget). */
void     dmpi_sched_keep          (DmpiSched *sched, const guint64 *ids, gsize n_ids);
/* Worker @rank gave task @id back unstarted (its answer to a STEAL). If the
 * task is still processing there with a STEAL out, it leaves that worker and
 * is placed again as if just ready (a root task back to the head of the
 * queue; others placed, on another worker if any may take it). A cancelled
 * task only frees its slot. Anything else (finished meanwhile, retried,
 * forgotten, worker gone, given back twice) is ignored. */
void     dmpi_sched_task_given_back (DmpiSched *sched, int rank, guint64 id);
/* Worker @rank refused the STEAL for task @id (it had started it). The
 * request is no longer outstanding, so the idle thread that prompted it may
 * steal elsewhere at once. Ignored unless a STEAL for @id is out on @rank
 * (finished meanwhile, worker removed, refused twice, never asked). The
 * task is not asked back again while it stays there. */
void     dmpi_sched_steal_refused (DmpiSched *sched, int rank, guint64 id);
/* Worker @rank paused (its memory reached 80% of its limit) or resumed. A
 * paused worker gets no new task in any way; its results stay fetchable.
 * Pausing queues a STEAL for each of its processing tasks, so that what it
 * has not started runs elsewhere; resuming makes it eligible and fills it. */
void     dmpi_sched_worker_paused (DmpiSched *sched, int rank, gboolean paused);
/* Work stealing (on by default): when a worker has a free thread and another
 * has tasks waiting for a thread, ask the busiest to give some back, if the
 * wait saved exceeds the cost of moving the task's inputs. */
void     dmpi_sched_set_stealing  (DmpiSched *sched, gboolean enabled);
/* Sending ahead (off by default; the scheduler binary turns it on): a
 * waiting task whose one missing input is processing on a worker is sent to
 * that worker at once, to start there the moment the input is computed,
 * without a round trip through the scheduler (a chain runs at the worker's
 * pace). Only tasks with few inputs, little data to fetch from elsewhere,
 * and at most DMPI_SCHED_AHEAD_PER_THREAD such tasks per worker thread, so
 * that a fan-out is not piled on one worker. A task sent ahead is
 * processing there but not counted in n_processing, never stolen nor asked
 * back; it counts as processing once the input is in memory. When the input
 * leaves the worker without a result (fails, is retried, given back, or the
 * worker is lost), the worker drops the tasks that waited for it there and
 * they wait here again: the worker does the same on its side, so no message
 * is needed. */
#define DMPI_SCHED_AHEAD_PER_THREAD 8u
void     dmpi_sched_set_sending_ahead (DmpiSched *sched, gboolean enabled);
/* Where a task's input @dep is to be had: its holder when in memory, else
 * (sent ahead on its input) the worker computing it; -1 when neither. */
int      dmpi_sched_input_rank    (const DmpiSchedTask *dep);
/* Nothing can run them any more (every worker lost, or the rest retired:
 * the caller knows; to the core a retired worker is only paused): every
 * queued or no-worker task fails with @error_code and the message "task
 * 'KEY' (function F) cannot run: @reason", and the tasks waiting on them
 * fail by dependency, reported as any failure. Tasks processing are left
 * to finish. Returns how many tasks failed by this call itself (not
 * counting those failed by dependency). */
guint    dmpi_sched_fail_unrunnable (DmpiSched *sched, guint error_code, const char *reason);

/* Actions queued by the events, in order. The list stays valid until
 * dmpi_sched_clear_actions() or the next event. */
const DmpiSchedAction *dmpi_sched_get_actions   (DmpiSched *sched, guint *n_actions);
void                   dmpi_sched_clear_actions (DmpiSched *sched);

/* Read-only queries (the dashboard and tests use these). */
DmpiSchedTask   *dmpi_sched_lookup      (DmpiSched *sched, guint64 id);
DmpiSchedWorker *dmpi_sched_get_worker  (DmpiSched *sched, int rank);
GPtrArray       *dmpi_sched_list_workers (DmpiSched *sched);  /* of DmpiSchedWorker*, borrowed */
void             dmpi_sched_get_stats   (DmpiSched *sched, DmpiSchedStats *stats);
double           dmpi_sched_get_duration_estimate (DmpiSched *sched, const char *function);
/* A live worker that is not paused (one that may be given tasks). */
gboolean         dmpi_sched_has_runnable_worker (DmpiSched *sched);
/* How many tasks a worker may have sent to it at once (saturation). */
guint            dmpi_sched_worker_slots (DmpiSched *sched, const DmpiSchedWorker *worker);
/* Per-function records, in the order functions were first seen (borrowed). */
GPtrArray       *dmpi_sched_list_functions (DmpiSched *sched);
/* Task-stream entries with seq > @after, oldest first, at most @max; the
 * buffer keeps the last DMPI_SCHED_STREAM_MAX. Returns how many were copied. */
#define DMPI_SCHED_STREAM_MAX 20000
gsize            dmpi_sched_read_stream (DmpiSched *sched, guint64 after, DmpiSchedStreamEntry *out, gsize max);
/* The last DMPI_SCHED_ERRORS_MAX failures, oldest first (borrowed). */
#define DMPI_SCHED_ERRORS_MAX 100
GPtrArray       *dmpi_sched_list_errors (DmpiSched *sched);

/* For the dashboard: @counts[r] = results in memory held by rank r, for r < @n_ranks
 * (each worker's n_held: O(ranks), not a scan of the tasks). */
void             dmpi_sched_count_held (DmpiSched *sched, guint *counts, guint n_ranks);

/* How many bytes of results a worker has spilled to disk (from its heartbeat). */
void             dmpi_sched_worker_spilled (DmpiSched *sched, int rank, guint64 spilled_bytes);

G_END_DECLS
