/* The worker role. The main thread owns MPI and the store; compute threads
 * only run task functions and hand finished tasks back through a queue. */
#include "config.h"

#include "role.h"
#include "worker.h"
#include "worker-memory.h"
#include "tempfiles.h"
#include "registry.h"
#include "frame/tasks.h"
#include "protocol.h"
#include "batch.h"
#include "store.h"
#include "transport.h"
#include "log.h"
#include "dmpi-error.h"

#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define SCHEDULER_RANK 0
#define HEARTBEAT_SECONDS 2

typedef struct _Worker Worker;

typedef struct {
  guint64 id;
  char *key;
  char *function;
  GVariant *args;
  DmpiTaskFunc func;
  guint n_deps;
  guint64 *dep_ids;
  int *dep_holders;
  GVariant **deps;
  guint n_missing;         /* inputs not here yet (under running_lock: a compute
                            * thread supplies the ones computed here) */
  gboolean counted;        /* counted in Worker.executing */
  gint done_state;         /* DONE_*: set by its compute thread under running_lock */
  /* Set by the compute thread. */
  GVariant *result;
  GError *error;
  double start, stop;
  guint thread;          /* which compute thread ran it, from 0 */
  /* While it runs (under Worker.running_lock): its thread, and whether the
   * memory watch stopped it. */
  pthread_t thread_handle;
  volatile sig_atomic_t *freeze_flag;   /* its thread's own flag */
  gboolean in_pool;      /* handed to the compute threads */
} WTask;

enum { DONE_NOT_YET, DONE_OK, DONE_FAILED };

/* A fetch in flight: the tasks waiting for one id. */
typedef struct {
  GPtrArray *waiters;   /* of WTask* */
  int from;
} Fetch;

struct _Worker {
  GMainContext *context;
  GMainLoop *loop;
  DmpiTransport *transport;
  DmpiRegistry *registry;
  GThreadPool *pool;
  guint nthreads;
  guint64 memory_limit;
  int rank;
  DmpiStore *store;        /* results it holds for the scheduler */
  GHashTable *fetches;     /* id → Fetch* */
  GAsyncQueue *done;       /* of WTask*, from compute threads */
  GSource *done_source;
  guint executing;         /* ready, running or failed, and not yet reported */
  guint running;           /* of those, taken by a compute thread (under running_lock) */
  GQueue ready;            /* WTask* with every input, waiting for a thread (under running_lock) */
  GHashTable *pending;     /* id → WTask* accepted and not reported (main thread) */
  /* Tasks the scheduler sent ahead (see dmpi_sched_set_sending_ahead): id
   * of an input computed here, not finished yet → GPtrArray of the WTask*
   * waiting for it. Under running_lock: the compute thread that finishes
   * the input supplies it and readies them, without a round trip. */
  GHashTable *awaiting;
  /* Memory (see worker-memory.h). */
  gint paused;             /* past the pause threshold: start nothing (read by the watch) */
  gboolean retired;        /* a task was stopped for memory: run nothing more */
  guint n_frozen;          /* compute threads stopped for memory, for ever */
  GThread *watch;
  gint watch_stop;
  GMutex running_lock;
  GPtrArray *running_tasks; /* WTask* in the compute threads, under running_lock */
  DmpiResultBatchBuilder *finished;   /* batch not yet sent */
  gint64 finished_since;
  gboolean shutting_down;
  int status;
};

static void
fetch_free (gpointer data)
{
  Fetch *fetch = data;
  g_ptr_array_unref (fetch->waiters);
  g_free (fetch);
}

static void
wtask_free (WTask *task)
{
  g_free (task->key);
  g_free (task->function);
  g_clear_pointer (&task->args, g_variant_unref);
  for (guint i = 0; i < task->n_deps; i++)
    g_clear_pointer (&task->deps[i], g_variant_unref);
  g_free (task->deps);
  g_free (task->dep_ids);
  g_free (task->dep_holders);
  g_clear_pointer (&task->result, g_variant_unref);
  g_clear_error (&task->error);
  g_free (task);
}

/* ---- a task that crashes its worker ----
 *
 * The job dies with the worker (mpirun takes every rank down), so the worker
 * says first which task did it: the compute thread keeps pointers to what it
 * is running, and the signal handler writes them with write(2) only. */

static __thread const char *volatile running_key;
static __thread const char *volatile running_function;
static char crash_prefix[512];

static void
write_str (const char *s)
{
  if (s != NULL)
    {
      ssize_t ignored = write (STDERR_FILENO, s, strlen (s));
      (void) ignored;
    }
}

static void
on_fatal_signal (int sig)
{
  const char *name = sig == SIGSEGV ? "SIGSEGV" : sig == SIGBUS ? "SIGBUS" : sig == SIGFPE ? "SIGFPE"
                   : sig == SIGILL ? "SIGILL" : sig == SIGABRT ? "SIGABRT" : "a fatal signal";

  write_str (crash_prefix);
  write_str (name);
  if (running_key != NULL)
    {
      write_str (" while running task '");
      write_str (running_key);
      write_str ("' (function ");
      write_str (running_function);
      write_str (")");
    }
  else
    write_str (" outside any task");
  write_str ("\n");
  /* No half-written output may outlive the worker. */
  dmpi_tempfiles_remove_all ();
  signal (sig, SIG_DFL);
  raise (sig);
}

static void
install_crash_handler (int rank)
{
  static const int signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
  struct sigaction action = { 0 };

  g_snprintf (crash_prefix, sizeof crash_prefix, "dask-mpi-worker rank %d on %s crashed with ", rank,
              dmpi_hostname ());
  action.sa_handler = on_fatal_signal;
  sigemptyset (&action.sa_mask);
  action.sa_flags = SA_RESETHAND;
  for (guint i = 0; i < G_N_ELEMENTS (signals); i++)
    sigaction (signals[i], &action, NULL);
}

/* ---- a task that takes its worker past the memory limit ----
 *
 * A running task function cannot be cancelled, and the kernel's OOM killer
 * would take the whole worker (and with it, under mpirun, the job). So the
 * memory watch stops the task's thread for good with a signal whose handler
 * never returns: the thread holds what it allocated but allocates no more,
 * the task is reported failed, and the worker takes no more work (it still
 * serves the results it holds, and the job goes on on the other workers).
 * The stopped thread may hold a lock of its own malloc arena; the worker's
 * main thread allocates from its own arena and never frees what the task
 * allocated, so it is not caught by that lock. */

static __thread WTask *volatile running_task;
/* Set (under running_lock) by whoever stops this thread's task; the thread's
 * own storage, so the signal handler reads nothing the main thread frees. */
static __thread volatile sig_atomic_t freeze_requested;

static void
freeze_forever (void)
{
  for (;;)
    pause ();
}

static int
freeze_signal (void)
{
  return SIGRTMIN + 4;
}

static void
on_freeze_signal (int sig)
{
  (void) sig;
  if (freeze_requested)
    freeze_forever ();
}

/* What the memory watch tells the main thread. */
typedef struct {
  Worker *w;
  guint64 rss;
  DmpiMemoryLevel level;
  GPtrArray *frozen;      /* WTask* just stopped, owned by the main thread now */
  char *why;              /* how it was caught */
} MemoryEvent;

static void
memory_event_free (gpointer data)
{
  MemoryEvent *event = data;
  g_clear_pointer (&event->frozen, g_ptr_array_unref);
  g_free (event->why);
  g_free (event);
}

static gboolean on_memory_event (gpointer data);

static void
post_memory_event (Worker *w, guint64 rss, DmpiMemoryLevel level, GPtrArray *frozen, const char *why)
{
  MemoryEvent *event = g_new0 (MemoryEvent, 1);
  event->w = w;
  event->rss = rss;
  event->level = level;
  event->frozen = frozen;
  event->why = g_strdup (why);
  g_main_context_invoke_full (w->context, G_PRIORITY_HIGH, on_memory_event, event, memory_event_free);
}

/* Stop every running task; under running_lock. They leave running_tasks
 * (their threads see that) and are returned: the main thread reports them. */
static GPtrArray *
freeze_running (Worker *w)
{
  GPtrArray *frozen = g_ptr_array_new ();

  while (w->running_tasks->len > 0)
    {
      WTask *task = g_ptr_array_steal_index_fast (w->running_tasks, w->running_tasks->len - 1);
      *task->freeze_flag = 1;
      g_ptr_array_add (frozen, task);
      pthread_kill (task->thread_handle, freeze_signal ());
    }
  return frozen;
}

/* The watch thread: samples the resident size, stops the running tasks at
 * the fault threshold at once (the main thread could be busy), tells the
 * main thread of level changes. Every 10 ms while tasks run: a task
 * touching fresh pages grows by a few GB/s. */
static gpointer
watch_memory (gpointer data)
{
  Worker *w = data;
  DmpiMemoryLevel last = DMPI_MEMORY_OK;
  gint64 last_post = 0;

  while (!g_atomic_int_get (&w->watch_stop))
    {
      guint64 rss = dmpi_memory_rss ();
      DmpiMemoryLevel level = dmpi_memory_level (rss, w->memory_limit);
      GPtrArray *frozen = NULL;
      gboolean busy;

      g_mutex_lock (&w->running_lock);
      if (level == DMPI_MEMORY_FAULT && w->running_tasks->len > 0)
        frozen = freeze_running (w);
      busy = w->running_tasks->len > 0;
      g_mutex_unlock (&w->running_lock);
      /* Level changes at once; while memory is high or the worker paused,
       * twice a second too (spilling and resuming depend on it). */
      gint64 now = g_get_monotonic_time ();
      gboolean again = (level > DMPI_MEMORY_OK || g_atomic_int_get (&w->paused)) && now - last_post >= 500000;
      if ((frozen != NULL && frozen->len > 0) || level != last || again)
        {
          post_memory_event (w, rss, level, frozen, NULL);
          last_post = now;
        }
      else
        g_clear_pointer (&frozen, g_ptr_array_unref);
      last = level;
      g_usleep (busy ? 10000 : 100000);
    }
  return NULL;
}

/* GLib's allocation functions end the process when memory runs out (as a
 * failed g_malloc in a task does when the kernel refuses a huge size):
 * stop the task instead, as the watch would. */
static void
on_glib_error (const char *domain, GLogLevelFlags level, const char *message, gpointer user_data)
{
  Worker *w = user_data;
  WTask *task = running_task;

  if (task != NULL && message != NULL && strstr (message, "failed to allocate") != NULL)
    {
      g_mutex_lock (&w->running_lock);
      GPtrArray *frozen = g_ptr_array_new ();
      /* Not there any more when the watch stopped it just now. */
      if (g_ptr_array_remove_fast (w->running_tasks, task))
        g_ptr_array_add (frozen, task);
      freeze_requested = 1;
      g_mutex_unlock (&w->running_lock);
      const char *where = strstr (message, "failed to allocate");
      post_memory_event (w, dmpi_memory_rss (), DMPI_MEMORY_FAULT, frozen, where);
      freeze_forever ();
    }
  g_log_default_handler (domain, level, message, NULL);
}

static void
install_memory_handlers (Worker *w)
{
  struct sigaction action = { 0 };

  action.sa_handler = on_freeze_signal;
  sigemptyset (&action.sa_mask);
  sigaction (freeze_signal (), &action, NULL);
  g_log_set_handler ("GLib", G_LOG_LEVEL_ERROR | G_LOG_FLAG_FATAL, on_glib_error, w);
}

/* ---- compute threads ---- */

static void run_one (WTask *task, Worker *w);

/* Under running_lock: @task finished here with a result; the tasks sent
 * ahead to wait for it get it, and those with every input go to the head
 * of the ready queue (the calling thread takes the first next: a chain runs
 * depth first, at the pace of one thread). A task that already failed
 * while waiting (an input it could not read back) goes to the main thread
 * to be reported. */
static void
supply_waiters (Worker *w, WTask *task)
{
  gpointer key = NULL, value = NULL;

  if (!g_hash_table_lookup_extended (w->awaiting, &task->id, &key, &value))
    return;
  g_hash_table_steal (w->awaiting, &task->id);
  g_free (key);
  GPtrArray *waiters = value;
  for (guint i = waiters->len; i-- > 0;)
    {
      WTask *waiter = g_ptr_array_index (waiters, i);
      for (guint j = 0; j < waiter->n_deps; j++)
        if (waiter->dep_ids[j] == task->id && waiter->deps[j] == NULL)
          {
            waiter->deps[j] = g_variant_ref (task->result);
            waiter->n_missing--;
          }
      if (waiter->n_missing > 0)
        continue;
      if (waiter->error != NULL)
        {
          waiter->done_state = DONE_FAILED;
          g_async_queue_push (w->done, waiter);
        }
      else
        g_queue_push_head (&w->ready, waiter);
    }
  g_ptr_array_unref (waiters);
}

/* A compute thread runs what it is given, then takes the next ready task
 * itself: a round trip through the main thread per task would halve the
 * rate of short tasks. */
static void
run_task (gpointer data, gpointer user_data)
{
  Worker *w = user_data;

  for (WTask *task = data; task != NULL;)
    {
      run_one (task, w);
      g_mutex_lock (&w->running_lock);
      task = g_atomic_int_get (&w->paused) ? NULL : g_queue_pop_head (&w->ready);
      if (task != NULL)
        {
          task->in_pool = TRUE;
          w->running++;
        }
      g_mutex_unlock (&w->running_lock);
    }
}

static void
run_one (WTask *task, Worker *w)
{
  DmpiTask view = {
    .key = task->key,
    .function = task->function,
    .args = task->args,
    .deps = task->deps,
    .n_deps = task->n_deps,
    .registry = w->registry,
  };

  /* Compute threads number themselves in the order they first run a task. */
  static gint n_threads_seen;
  static __thread guint thread_index;
  if (thread_index == 0)
    thread_index = (guint) g_atomic_int_add (&n_threads_seen, 1) + 1;
  task->thread = thread_index - 1;
  task->start = dmpi_now ();
  g_mutex_lock (&w->running_lock);
  task->thread_handle = pthread_self ();
  task->freeze_flag = &freeze_requested;
  g_ptr_array_add (w->running_tasks, task);
  running_task = task;
  g_mutex_unlock (&w->running_lock);
  running_function = task->function;
  running_key = task->key;
  if (dmpi_task_run (&view, task->func, &task->error))
    task->result = g_variant_take_ref (g_steal_pointer (&view.result));
  running_key = NULL;
  task->stop = dmpi_now ();
  g_mutex_lock (&w->running_lock);
  running_task = NULL;
  /* Gone from running_tasks: the memory watch stopped it as it finished;
   * the main thread owns the task now (do not touch it) and the freeze
   * signal is on its way. */
  gboolean stopped = !g_ptr_array_remove_fast (w->running_tasks, task);
  if (!stopped)
    {
      task->done_state = task->result != NULL ? DONE_OK : DONE_FAILED;
      if (task->result != NULL)
        supply_waiters (w, task);
      /* Queued before the tasks it readied can finish: the scheduler hears
       * of it first. */
      g_async_queue_push (w->done, task);
    }
  g_mutex_unlock (&w->running_lock);
  if (stopped)
    freeze_forever ();
  g_main_context_wakeup (w->context);
}

/* ---- finished tasks, back on the main thread ---- */

static char *
describe_failure (Worker *w, WTask *task, const GError *error)
{
  return g_strdup_printf ("task '%s' (function %s) failed on worker rank %d (%s): %s", task->key,
                          task->function, w->rank, dmpi_hostname (), error->message);
}

static void
count_executing (Worker *w, WTask *task)
{
  if (!task->counted)
    {
      task->counted = TRUE;
      w->executing++;
    }
}

/* @task leaves without running: out of the fetches and local inputs it
 * waited for. */
static void
unlink_waiting (Worker *w, WTask *task)
{
  g_mutex_lock (&w->running_lock);        /* deps[] and awaiting */
  for (guint j = 0; j < task->n_deps; j++)
    {
      if (task->deps[j] != NULL)
        continue;
      Fetch *fetch = g_hash_table_lookup (w->fetches, &task->dep_ids[j]);
      if (fetch != NULL)
        while (g_ptr_array_remove_fast (fetch->waiters, task))
          ;
      GPtrArray *waiters = g_hash_table_lookup (w->awaiting, &task->dep_ids[j]);
      if (waiters != NULL)
        {
          while (g_ptr_array_remove_fast (waiters, task))
            ;
          if (waiters->len == 0)
            g_hash_table_remove (w->awaiting, &task->dep_ids[j]);
        }
    }
  g_mutex_unlock (&w->running_lock);
}

/* Task @id leaves this worker without a result (failed, given back): the
 * tasks sent ahead to wait for it here are dropped unreported, and so on
 * down; the scheduler does the same on its side when it hears of @id. */
static void
drop_awaiting (Worker *w, guint64 id)
{
  g_mutex_lock (&w->running_lock);
  GPtrArray *waiters = NULL;
  gpointer key = NULL, value = NULL;
  if (g_hash_table_lookup_extended (w->awaiting, &id, &key, &value))
    {
      g_hash_table_steal (w->awaiting, &id);
      g_free (key);
      waiters = value;
    }
  g_mutex_unlock (&w->running_lock);
  if (waiters == NULL)
    return;
  for (guint i = 0; i < waiters->len; i++)
    {
      WTask *task = g_ptr_array_index (waiters, i);
      if (g_hash_table_lookup (w->pending, &task->id) != task)
        continue;                       /* listed twice (an input named twice) */
      g_debug ("task '%s' dropped: its input (task id %" G_GUINT64_FORMAT ") has no result here", task->key, id);
      g_hash_table_remove (w->pending, &task->id);
      if (task->counted)
        w->executing--;
      unlink_waiting (w, task);
      drop_awaiting (w, task->id);
      wtask_free (task);
    }
  g_ptr_array_unref (waiters);
}

static void
finish_batch_add (Worker *w, WTask *task)
{
  if (dmpi_result_batch_builder_len (w->finished) == 0)
    w->finished_since = g_get_monotonic_time ();
  if (task->result != NULL)
    {
      guint64 nbytes = g_variant_get_size (task->result);
      dmpi_store_put (w->store, task->id, g_steal_pointer (&task->result));
      dmpi_result_batch_builder_add (w->finished, task->id, DMPI_STATE_MEMORY, 0, nbytes, task->thread, NULL,
                                     task->start, task->stop);
    }
  else
    {
      drop_awaiting (w, task->id);
      g_autofree char *message = describe_failure (w, task, task->error);
      dmpi_result_batch_builder_add (w->finished, task->id, DMPI_STATE_ERRED,
                                     (guint32) (task->error->domain == DMPI_ERROR ? task->error->code : DMPI_ERROR_TASK_FAILED),
                                     0, task->thread, message, task->start, task->stop);
    }
}

/* Finished tasks go to the scheduler in batches: at once when nothing else
 * is running (a chain must not wait), else when the batch is large or its
 * oldest entry is FINISHED_BATCH_US old. */
#define FINISHED_BATCH_US 1000

static void
send_finished (Worker *w)
{
  if (dmpi_result_batch_builder_len (w->finished) == 0)
    return;
  GVariant *msg = dmpi_result_batch_builder_end (w->finished);
  if (!w->shutting_down)
    dmpi_msg_send (w->transport, SCHEDULER_RANK, DMPI_MSG_FINISHED, msg);
  else
    g_variant_unref (g_variant_ref_sink (msg));
}

static gboolean
batch_due (Worker *w, gint64 now)
{
  return dmpi_result_batch_builder_len (w->finished) > 0 && now - w->finished_since >= FINISHED_BATCH_US;
}

static gboolean
done_prepare (GSource *source, gint *timeout)
{
  Worker *w = *(Worker **) (source + 1);
  gint64 now = g_get_monotonic_time ();

  *timeout = dmpi_result_batch_builder_len (w->finished) > 0 ? (gint) MAX (0, (FINISHED_BATCH_US - (now - w->finished_since) + 999) / 1000) : -1;
  return g_async_queue_length (w->done) > 0 || batch_due (w, now);
}

static gboolean
done_check (GSource *source)
{
  Worker *w = *(Worker **) (source + 1);
  return g_async_queue_length (w->done) > 0 || batch_due (w, g_get_monotonic_time ());
}

static void start_ready (Worker *w);
static void set_paused (Worker *w, gboolean paused, const char *why);

static guint
get_running (Worker *w)
{
  g_mutex_lock (&w->running_lock);
  guint n = w->running;
  g_mutex_unlock (&w->running_lock);
  return n;
}

static gboolean
done_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  Worker *w = *(Worker **) (source + 1);
  WTask *task;

  while ((task = g_async_queue_try_pop (w->done)) != NULL)
    {
      w->executing--;
      if (task->in_pool)
        {
          g_mutex_lock (&w->running_lock);
          w->running--;
          g_mutex_unlock (&w->running_lock);
        }
      g_hash_table_remove (w->pending, &task->id);
      finish_batch_add (w, task);
      wtask_free (task);
    }
  /* Paused for memory with nothing left running: waiting cannot free more. */
  if (w->paused && !w->retired && get_running (w) == 0)
    set_paused (w, FALSE, "its running tasks finished");
  start_ready (w);
  /* At once too when no task waits for a thread: this worker runs dry
   * unless the scheduler hears (a chain sent ahead moves on with each
   * report). */
  g_mutex_lock (&w->running_lock);
  gboolean none_ready = g_queue_is_empty (&w->ready);
  g_mutex_unlock (&w->running_lock);
  if (w->executing == 0 || none_ready || dmpi_result_batch_builder_len (w->finished) >= DMPI_BATCH_MAX
      || batch_due (w, g_get_monotonic_time ()))
    send_finished (w);
  dmpi_transport_kick (w->transport);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs done_funcs = { done_prepare, done_check, done_dispatch, NULL, NULL, NULL };

/* ---- tasks arriving ---- */

/* At most nthreads tasks run at once; the others wait in the ready queue,
 * where a STEAL can still take them back (a GThreadPool's queue cannot give
 * up an item), and where a paused worker holds them. Compute threads take
 * from it as they finish (run_task); the main thread fills idle threads. */
static void
start_ready (Worker *w)
{
  WTask *start[64];
  guint n = 0;

  g_mutex_lock (&w->running_lock);
  while (n < G_N_ELEMENTS (start) && !w->paused && w->running < w->nthreads && !g_queue_is_empty (&w->ready))
    {
      WTask *task = g_queue_pop_head (&w->ready);
      task->in_pool = TRUE;
      w->running++;
      start[n++] = task;
    }
  g_mutex_unlock (&w->running_lock);
  for (guint i = 0; i < n; i++)
    g_thread_pool_push (w->pool, start[i], NULL);
}

static void
start_task (Worker *w, WTask *task)
{
  count_executing (w, task);
  g_mutex_lock (&w->running_lock);
  g_queue_push_tail (&w->ready, task);
  g_mutex_unlock (&w->running_lock);
  start_ready (w);
}

/* A task that cannot run: report it at once as erred. */
static void
fail_task (Worker *w, WTask *task, GError *error)
{
  g_hash_table_remove (w->pending, &task->id);
  g_clear_error (&task->error);
  task->error = error;
  task->start = task->stop = dmpi_now ();
  count_executing (w, task);
  g_async_queue_push (w->done, task);
  g_main_context_wakeup (w->context);
}

static void
on_compute (Worker *w, GVariant *msg)
{
  DmpiTaskBatch batch;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) fetch_by_rank = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_array_unref);

  if (!dmpi_task_batch_parse (&batch, msg, &error) || (batch.dep_ranks == NULL && batch.n_deps_total > 0))
    {
      g_warning ("dropped a compute message from the scheduler: %s",
                 error != NULL ? error->message : "dependencies without holders");
      dmpi_task_batch_clear (&batch);
      return;
    }
  for (gsize t = 0; t < batch.n; t++)
    {
      WTask *task = g_new0 (WTask, 1);
      const guint64 *dep_ids = dmpi_task_batch_deps (&batch, t, &task->n_deps);
      const guint32 *dep_ranks = dmpi_task_batch_dep_ranks (&batch, t);
      task->id = batch.ids[t];
      if (g_hash_table_contains (w->pending, &task->id))
        {
          g_warning ("task id %" G_GUINT64_FORMAT " sent twice by the scheduler; the second copy is dropped", task->id);
          g_free (task);
          continue;
        }
      g_hash_table_insert (w->pending, &task->id, task);
      task->key = g_strdup (dmpi_task_batch_key (&batch, t));
      task->function = g_strdup (dmpi_task_batch_function (&batch, t));
      task->dep_ids = g_new (guint64, MAX (task->n_deps, 1));
      if (task->n_deps > 0)
        memcpy (task->dep_ids, dep_ids, sizeof (guint64) * task->n_deps);
      task->dep_holders = g_new (int, MAX (task->n_deps, 1));
      task->deps = g_new0 (GVariant *, MAX (task->n_deps, 1));
      task->args = dmpi_task_batch_args (&batch, t, &error);
      if (task->args == NULL)
        {
          fail_task (w, task, g_steal_pointer (&error));
          continue;
        }
      task->func = dmpi_registry_lookup (w->registry, task->function);
      if (task->func == NULL)
        {
          fail_task (w, task, g_error_new (DMPI_ERROR, DMPI_ERROR_UNKNOWN_FUNCTION,
                                           "no task function named '%s' (load the module that defines it with dmpi_client_load_module)",
                                           task->function));
          continue;
        }
      /* Sent ahead: an input computed here is still to come, or it failed
       * or moved, and the scheduler takes this task back (it hears of the
       * input): dropped unreported, as the tasks that waited for it were. */
      gboolean orphan = FALSE;
      for (guint i = 0; i < task->n_deps && !orphan; i++)
        orphan = (int) dep_ranks[i] == w->rank && !dmpi_store_contains (w->store, task->dep_ids[i])
                 && g_hash_table_lookup (w->pending, &task->dep_ids[i]) == NULL;
      if (orphan)
        {
          g_debug ("task '%s' dropped: an input it was sent ahead for has no result here", task->key);
          g_hash_table_remove (w->pending, &task->id);
          wtask_free (task);
          continue;
        }
      /* One more while the inputs are looked at: a compute thread may
       * supply one meanwhile, and must not start the task yet. */
      task->n_missing = 1;
      for (guint i = 0; i < task->n_deps; i++)
        {
          guint32 holder = dep_ranks[i];
          task->dep_holders[i] = (int) holder;
          if (dmpi_store_contains (w->store, task->dep_ids[i]))
            {
              g_autoptr(GError) read_error = NULL;
              task->deps[i] = dmpi_store_get (w->store, task->dep_ids[i], &read_error);
              if (task->deps[i] != NULL)
                continue;
              /* A spilled input that cannot be read back fails the task. */
              task->deps[i] = g_variant_ref_sink (g_variant_new ("()"));
              if (task->error == NULL)
                task->error = g_error_new (DMPI_ERROR, DMPI_ERROR_FAILED, "its input could not be read back: %s",
                                           read_error->message);
              continue;
            }
          if ((int) holder == w->rank)
            {
              /* Computed here, not finished when the main thread looked. */
              WTask *input = g_hash_table_lookup (w->pending, &task->dep_ids[i]);
              gboolean waits = FALSE;
              g_mutex_lock (&w->running_lock);
              if (input->done_state == DONE_OK)
                task->deps[i] = g_variant_ref (input->result);
              else
                {
                  /* Failed and not reported yet: dropped with the report. */
                  GPtrArray *waiters = g_hash_table_lookup (w->awaiting, &task->dep_ids[i]);
                  if (waiters == NULL)
                    {
                      guint64 *key = g_new (guint64, 1);
                      *key = task->dep_ids[i];
                      waiters = g_ptr_array_new ();
                      g_hash_table_insert (w->awaiting, key, waiters);
                    }
                  g_ptr_array_add (waiters, task);
                  task->n_missing++;
                  waits = TRUE;
                }
              g_mutex_unlock (&w->running_lock);
              if (waits)
                count_executing (w, task);
              continue;
            }
          g_mutex_lock (&w->running_lock);
          task->n_missing++;
          g_mutex_unlock (&w->running_lock);
          Fetch *fetch = g_hash_table_lookup (w->fetches, &task->dep_ids[i]);
          if (fetch == NULL)
            {
              fetch = g_new0 (Fetch, 1);
              fetch->waiters = g_ptr_array_new ();
              fetch->from = (int) holder;
              guint64 *key = g_new (guint64, 1);
              *key = task->dep_ids[i];
              g_hash_table_insert (w->fetches, key, fetch);
              GArray *ids = g_hash_table_lookup (fetch_by_rank, GINT_TO_POINTER (holder));
              if (ids == NULL)
                {
                  ids = g_array_new (FALSE, FALSE, sizeof (guint64));
                  g_hash_table_insert (fetch_by_rank, GINT_TO_POINTER (holder), ids);
                }
              g_array_append_val (ids, task->dep_ids[i]);
            }
          g_ptr_array_add (fetch->waiters, task);
        }
      g_mutex_lock (&w->running_lock);
      gboolean ready = --task->n_missing == 0;
      g_mutex_unlock (&w->running_lock);
      if (ready)
        {
          if (task->error != NULL)
            fail_task (w, task, g_steal_pointer (&task->error));
          else
            start_task (w, task);
        }
    }
  dmpi_task_batch_clear (&batch);
  GHashTableIter hiter;
  gpointer rank, ids;
  g_hash_table_iter_init (&hiter, fetch_by_rank);
  while (g_hash_table_iter_next (&hiter, &rank, &ids))
    {
      GArray *a = ids;
      dmpi_msg_send (w->transport, GPOINTER_TO_INT (rank), DMPI_MSG_FETCH,
                     g_variant_new_fixed_array (G_VARIANT_TYPE_UINT64, a->data, a->len, sizeof (guint64)));
    }
}

static void
on_data (Worker *w, int src, GVariant *msg)
{
  guint64 id;
  gboolean found;
  g_autoptr(GVariant) value = NULL;
  const char *message;

  g_variant_get (msg, "(tbv&s)", &id, &found, &value, &message);
  Fetch *fetch = g_hash_table_lookup (w->fetches, &id);
  if (fetch == NULL || fetch->from != src)
    {
      g_warning ("unrequested data for task id %" G_GUINT64_FORMAT " from rank %d; dropped", id, src);
      return;
    }
  for (guint i = 0; i < fetch->waiters->len; i++)
    {
      WTask *task = g_ptr_array_index (fetch->waiters, i);
      g_mutex_lock (&w->running_lock);
      for (guint j = 0; j < task->n_deps; j++)
        if (task->dep_ids[j] == id && task->deps[j] == NULL)
          {
            task->deps[j] = g_variant_ref (value);
            task->n_missing--;
          }
      /* Under the lock too: a compute thread that supplies the task's
       * last input computed here reads it then. */
      if (!found && task->error == NULL)
        task->error = g_error_new (DMPI_ERROR, DMPI_ERROR_WORKER_LOST,
                                   "its input (task id %" G_GUINT64_FORMAT ") could not be fetched from rank %d: %s",
                                   id, src, message);
      gboolean ready = task->n_missing == 0;
      g_mutex_unlock (&w->running_lock);
      if (ready)
        {
          if (task->error != NULL)
            {
              GError *error = g_steal_pointer (&task->error);
              fail_task (w, task, error);
            }
          else
            start_task (w, task);
        }
    }
  g_hash_table_remove (w->fetches, &id);
}

static void
on_fetch (Worker *w, int src, GVariant *msg)
{
  gsize n;
  const guint64 *ids = g_variant_get_fixed_array (msg, &n, sizeof (guint64));

  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) value = dmpi_store_get (w->store, ids[i], &error);
      /* The value goes from the store's buffer to MPI without a copy. */
      if (value != NULL)
        dmpi_msg_send_data (w->transport, src, ids[i], value, "");
      else
        {
          g_autofree char *why = g_strdup_printf ("worker rank %d: %s", w->rank, error->message);
          dmpi_msg_send_data (w->transport, src, ids[i], NULL, why);
        }
    }
}

/* Give back the tasks asked for that have not started: ready ones, and
 * ones still waiting for their inputs (their fetches go on, unwaited). */
static void
on_steal (Worker *w, GVariant *msg)
{
  gsize n;
  const guint64 *ids = g_variant_get_fixed_array (msg, &n, sizeof (guint64));
  g_autoptr(GArray) given = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_autoptr(GArray) kept = g_array_new (FALSE, FALSE, sizeof (guint64));

  for (gsize i = 0; i < n; i++)
    {
      WTask *task = g_hash_table_lookup (w->pending, &ids[i]);
      if (task == NULL)
        {
          /* Started, or finished: the scheduler may look elsewhere at once. */
          g_array_append_val (kept, ids[i]);
          continue;
        }
      g_mutex_lock (&w->running_lock);
      gboolean has_inputs = task->n_missing == 0;
      /* Not in the ready queue any more: a compute thread took it. */
      gboolean taken = has_inputs && !g_queue_remove (&w->ready, task);
      g_mutex_unlock (&w->running_lock);
      if (taken)
        {
          g_array_append_val (kept, ids[i]);
          continue;
        }
      if (!has_inputs)
        unlink_waiting (w, task);
      if (task->counted)
        w->executing--;
      g_hash_table_remove (w->pending, &task->id);
      g_array_append_val (given, task->id);
      drop_awaiting (w, task->id);      /* the scheduler drops them too */
      wtask_free (task);
    }
  GVariant *parts[] = {
    g_variant_new_fixed_array (G_VARIANT_TYPE_UINT64, given->data, given->len, sizeof (guint64)),
    g_variant_new_fixed_array (G_VARIANT_TYPE_UINT64, kept->data, kept->len, sizeof (guint64)),
  };
  dmpi_msg_send (w->transport, SCHEDULER_RANK, DMPI_MSG_GIVE_BACK, g_variant_new_tuple (parts, 2));
}

static void
set_paused (Worker *w, gboolean paused, const char *why)
{
  if (w->paused == paused)
    return;
  g_atomic_int_set (&w->paused, paused);
  dmpi_msg_send (w->transport, SCHEDULER_RANK, DMPI_MSG_PAUSE, g_variant_new ("(bbs)", paused, w->retired, why));
  if (paused)
    g_warning ("paused: %s", why);
  else
    {
      g_message ("resumed: %s", why);
      start_ready (w);
    }
}

static char *
format_size (guint64 bytes)
{
  return g_format_size_full (bytes, G_FORMAT_SIZE_IEC_UNITS);
}

/* On the main thread: what the memory watch saw. */
static gboolean
on_memory_event (gpointer data)
{
  MemoryEvent *event = data;
  Worker *w = event->w;
  g_autofree char *rss = format_size (event->rss);
  g_autofree char *limit = format_size (w->memory_limit);
  guint percent = w->memory_limit > 0 ? (guint) (100.0 * (double) event->rss / (double) w->memory_limit) : 0;

  if (w->shutting_down)
    return G_SOURCE_REMOVE;
  if (event->frozen != NULL && event->frozen->len > 0)
    {
      for (guint i = 0; i < event->frozen->len; i++)
        {
          WTask *task = g_ptr_array_index (event->frozen, i);
          if (event->why != NULL)
            task->error = g_error_new (DMPI_ERROR, DMPI_ERROR_MEMORY,
                                       "out of memory: %s (the worker's resident memory was %s, %u%% of its "
                                       "memory limit of %s); the task was stopped and this worker runs no more tasks",
                                       event->why, rss, percent, limit);
          else
            task->error = g_error_new (DMPI_ERROR, DMPI_ERROR_MEMORY,
                                       "out of memory: the worker's resident memory reached %s, %u%% of its memory "
                                       "limit of %s, while it ran%s; the task was stopped before the kernel's "
                                       "out-of-memory killer could stop the worker, and this worker runs no more tasks",
                                       rss, percent, limit,
                                       event->frozen->len > 1 ? " with other tasks" : "");
          task->stop = dmpi_now ();
          g_warning ("task '%s' (function %s) stopped: %s", task->key, task->function, task->error->message);
          g_mutex_lock (&w->running_lock);
          w->running--;
          g_mutex_unlock (&w->running_lock);
          g_hash_table_remove (w->pending, &task->id);
          g_mutex_lock (&w->running_lock);
          task->done_state = DONE_FAILED;
          g_mutex_unlock (&w->running_lock);
          w->n_frozen++;
          /* Reported as any finished task is. */
          w->executing--;
          finish_batch_add (w, task);
          wtask_free (task);
        }
      send_finished (w);
      w->retired = TRUE;
      g_autofree char *why = g_strdup_printf ("a task was stopped at %s, %u%% of the memory limit of %s; "
                                              "this worker runs no more tasks", rss, percent, limit);
      if (w->paused)
        dmpi_msg_send (w->transport, SCHEDULER_RANK, DMPI_MSG_PAUSE, g_variant_new ("(bbs)", TRUE, TRUE, why));
      set_paused (w, TRUE, why);
      return G_SOURCE_REMOVE;
    }
  if (event->level >= DMPI_MEMORY_SPILL)
    {
      /* Past 70% of the limit: move results to disk until the process
       * would be back at 60%. */
      guint64 target = w->memory_limit / 100 * 60;
      guint64 spilled = event->rss > target ? dmpi_store_spill_bytes (w->store, event->rss - target) : 0;
      if (spilled > 0)
        {
          g_autofree char *amount = format_size (spilled);
          g_message ("memory at %s, %u%% of the limit of %s: spilled %s of results to disk", rss, percent, limit,
                     amount);
        }
    }
  if (event->level >= DMPI_MEMORY_PAUSE)
    {
      /* Freed results may sit in malloc's free lists: give them back. */
      malloc_trim (0);
      /* Pausing waits for running tasks to finish and free memory; with
       * none running it cannot help, and would stall the job. */
      if (get_running (w) > 0)
        {
          g_autofree char *why = g_strdup_printf ("memory at %s, %u%% of the limit of %s", rss, percent, limit);
          set_paused (w, TRUE, why);
        }
    }
  else if (w->paused && !w->retired && percent < DMPI_MEMORY_RESUME_PERCENT)
    {
      g_autofree char *why = g_strdup_printf ("memory at %s, %u%% of the limit of %s", rss, percent, limit);
      set_paused (w, FALSE, why);
    }
  return G_SOURCE_REMOVE;
}

static void
on_free (Worker *w, GVariant *msg)
{
  gsize n;
  const guint64 *ids = g_variant_get_fixed_array (msg, &n, sizeof (guint64));

  for (gsize i = 0; i < n; i++)
    {
      dmpi_store_remove (w->store, ids[i]);
    }
}

static void
on_scatter (Worker *w, int src, GVariant *msg)
{
  GVariantIter iter;
  guint64 id;
  const char *key;
  GVariant *value;
  GVariantBuilder ack;

  g_variant_builder_init (&ack, G_VARIANT_TYPE ("a(tt)"));
  g_variant_iter_init (&iter, msg);
  while (g_variant_iter_next (&iter, "(t&sv)", &id, &key, &value))
    {
      guint64 nbytes = g_variant_get_size (value);
      dmpi_store_put (w->store, id, value);
      g_variant_builder_add (&ack, "(tt)", id, nbytes);
    }
  dmpi_msg_send (w->transport, src, DMPI_MSG_SCATTER_ACK, g_variant_builder_end (&ack));
}

static void
on_load_module (Worker *w, int src, GVariant *msg)
{
  guint64 request;
  const char *path;
  g_autoptr(GError) error = NULL;

  g_variant_get (msg, "(t&s)", &request, &path);
  gboolean ok = dmpi_registry_load_module (w->registry, path, &error);
  if (ok)
    g_info ("loaded module %s", path);
  else
    g_warning ("%s", error->message);
  if (request != 0)
    dmpi_msg_send (w->transport, SCHEDULER_RANK, DMPI_MSG_MODULE_LOADED,
                   g_variant_new ("(tbs)", request, ok, ok ? "" : error->message));
}

static void
on_shutdown (Worker *w, GVariant *msg)
{
  gint32 status;
  const char *reason;

  g_variant_get (msg, "(i&s)", &status, &reason);
  g_message ("worker exits: the scheduler says shut down (%s)%s", reason,
             w->executing > 0 ? "; abandoning running tasks" : "");
  w->shutting_down = TRUE;
  dmpi_msg_send (w->transport, SCHEDULER_RANK, DMPI_MSG_GOODBYE, g_variant_new ("(s)", "shutdown"));
  g_main_loop_quit (w->loop);
}

static void
on_message (DmpiTransport *transport, int src, guint32 kind, GBytes *payload, gpointer user_data)
{
  Worker *w = user_data;
  g_autoptr(GVariant) msg = dmpi_msg_receive (kind, payload, src);

  if (msg == NULL)
    return;
  gboolean from_scheduler = src == SCHEDULER_RANK;
  gboolean ok = TRUE;
  switch (kind)
    {
    case DMPI_MSG_WELCOME:
      {
        const char *why;
        g_variant_get (msg, "(u&s&s)", NULL, &why, NULL);
        if ((ok = from_scheduler) && *why != '\0')
          {
            g_critical ("the scheduler refused this worker: %s", why);
            w->status = 1;
            g_main_loop_quit (w->loop);
          }
        break;
      }
    case DMPI_MSG_COMPUTE:
      if ((ok = from_scheduler))
        on_compute (w, msg);
      break;
    case DMPI_MSG_FETCH:
      on_fetch (w, src, msg);
      break;
    case DMPI_MSG_DATA:
      on_data (w, src, msg);
      break;
    case DMPI_MSG_FREE:
      if ((ok = from_scheduler))
        on_free (w, msg);
      break;
    case DMPI_MSG_STEAL:
      if ((ok = from_scheduler))
        on_steal (w, msg);
      break;
    case DMPI_MSG_SCATTER:
      if ((ok = src == 1))
        on_scatter (w, src, msg);
      break;
    case DMPI_MSG_LOAD_MODULE:
      if ((ok = from_scheduler))
        on_load_module (w, src, msg);
      break;
    case DMPI_MSG_SHUTDOWN:
      if ((ok = from_scheduler))
        on_shutdown (w, msg);
      break;
    default:
      ok = FALSE;
      break;
    }
  if (!ok)
    g_warning ("dropped a %s message from rank %d: a worker does not take it from that rank",
               dmpi_msg_kind_name (kind), src);
}

static guint64
rss_bytes (void)
{
  g_autofree char *statm = NULL;
  unsigned long size = 0, resident = 0;

  if (g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL)
      && sscanf (statm, "%lu %lu", &size, &resident) == 2)
    return (guint64) resident * (guint64) sysconf (_SC_PAGESIZE);
  return 0;
}

static gboolean
heartbeat (gpointer user_data)
{
  Worker *w = user_data;
  struct rusage usage;
  double cpu = 0;

  if (getrusage (RUSAGE_SELF, &usage) == 0)
    cpu = usage.ru_utime.tv_sec + usage.ru_stime.tv_sec
          + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  DmpiStoreStats stats;
  dmpi_store_get_stats (w->store, &stats);
  dmpi_msg_send (w->transport, SCHEDULER_RANK, DMPI_MSG_HEARTBEAT,
                 g_variant_new ("(utttd)", get_running (w), stats.memory_bytes, stats.spilled_bytes, rss_bytes (), cpu));
  return G_SOURCE_CONTINUE;
}

static guint64
env_uint (const char *name, guint64 fallback)
{
  const char *value = g_getenv (name);
  guint64 parsed;

  if (value == NULL || *value == '\0')
    return fallback;
  if (!g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT64, &parsed, NULL))
    {
      g_warning ("ignoring %s=%s: not a whole number", name, value);
      return fallback;
    }
  return parsed;
}

static void
free_pending (gpointer key, gpointer value, gpointer user_data)
{
  wtask_free (value);
}

int
dmpi_worker_run (const DmpiWorkerOptions *options)
{
  Worker w = { 0 };
  int start_status;
  const char *limit_text = options->memory_limit != NULL ? options->memory_limit : g_getenv ("DASK_MPI_MEMORY_LIMIT");
  double limit_fraction = 1.0;
  g_autoptr(GError) error = NULL;

  /* Checked before MPI starts: a bad limit ends the job at once. */
  if (limit_text != NULL && *limit_text != '\0'
      && !dmpi_memory_parse_limit (limit_text, &w.memory_limit, &limit_fraction, &error))
    {
      g_printerr ("dask-mpi-worker: %s%s\n", options->memory_limit != NULL ? "--memory-limit: " : "DASK_MPI_MEMORY_LIMIT: ",
                  error->message);
      return 2;
    }
  if (!dmpi_role_start (DMPI_ROLE_WORKER, options->log_level, &start_status))
    return start_status;
  w.rank = dmpi_transport_world_rank ();
  install_crash_handler (w.rank);
  w.nthreads = options->nthreads > 0 ? options->nthreads : (guint) CLAMP (env_uint ("DASK_MPI_NTHREADS", 1), 1, 1024);
  if (limit_fraction > 0)
    {
      /* Dask's default: the node's memory shared among its workers. */
      int workers_here = MAX (dmpi_transport_node_workers (), 1);
      w.memory_limit = (guint64) ((double) dmpi_memory_node_total () / workers_here * limit_fraction);
    }
  w.context = g_main_context_new ();
  g_main_context_push_thread_default (w.context);
  w.loop = g_main_loop_new (w.context, FALSE);
  w.registry = dmpi_registry_new ();
  dmpi_builtins_register (w.registry);
  dmpi_frame_tasks_register (w.registry);
  /* Dask's target: spill past 60% of the memory limit. */
  const char *local_directory = options->local_directory != NULL ? options->local_directory
                                : g_getenv ("DASK_MPI_LOCAL_DIRECTORY");
  g_autofree char *label = g_strdup_printf ("dask-mpi-worker-%d", w.rank);
  w.store = dmpi_store_new (w.memory_limit / 10 * 6, local_directory, label);
  w.fetches = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, fetch_free);
  w.done = g_async_queue_new ();
  w.finished = dmpi_result_batch_builder_new ();
  w.pool = g_thread_pool_new (run_task, &w, (gint) w.nthreads, FALSE, NULL);
  w.pending = g_hash_table_new (g_int64_hash, g_int64_equal);
  w.awaiting = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  g_queue_init (&w.ready);
  g_mutex_init (&w.running_lock);
  w.running_tasks = g_ptr_array_new ();
  install_memory_handlers (&w);
  w.done_source = g_source_new (&done_funcs, sizeof (GSource) + sizeof (Worker *));
  *(Worker **) (w.done_source + 1) = &w;
  g_source_attach (w.done_source, w.context);
  w.transport = dmpi_transport_new (w.context, on_message, &w);
  GSource *beat = g_timeout_source_new_seconds (HEARTBEAT_SECONDS);
  g_source_set_callback (beat, heartbeat, &w, NULL);
  g_source_attach (beat, w.context);
  if (w.memory_limit > 0)
    w.watch = g_thread_new ("memory-watch", watch_memory, &w);

  dmpi_msg_send (w.transport, SCHEDULER_RANK, DMPI_MSG_HELLO,
                 g_variant_new ("(uusut)", DMPI_PROTOCOL_VERSION, (guint32) DMPI_ROLE_WORKER, dmpi_hostname (),
                                (guint32) w.nthreads, w.memory_limit));
  g_main_loop_run (w.loop);

  if (w.watch != NULL)
    {
      g_atomic_int_set (&w.watch_stop, 1);
      g_thread_join (w.watch);
    }
  g_source_destroy (beat);
  g_source_unref (beat);
  if (!dmpi_transport_flush (w.transport, 5.0))
    g_warning ("some messages were still unsent after 5 s");
  DmpiStoreStats stats;
  dmpi_store_get_stats (w.store, &stats);
  if (stats.n_spills > 0)
    g_message ("spilled %" G_GUINT64_FORMAT " results to %s and read %" G_GUINT64_FORMAT " back over the run",
               stats.n_spills, dmpi_store_get_spill_directory (w.store), stats.n_unspills);
  g_clear_pointer (&w.store, dmpi_store_free);
  dmpi_transport_free (w.transport);
  dmpi_transport_finalize_mpi ();
  /* Running task functions cannot be interrupted (and stopped ones never
   * end): leave them to the exit. */
  if (w.executing == 0 && w.n_frozen == 0)
    {
      /* Ready ones and ones waiting for inputs. */
      g_queue_clear (&w.ready);
      g_hash_table_foreach (w.pending, free_pending, NULL);
      g_hash_table_unref (w.pending);
      g_hash_table_unref (w.awaiting);
      g_ptr_array_unref (w.running_tasks);
      g_mutex_clear (&w.running_lock);
      g_thread_pool_free (w.pool, FALSE, TRUE);
      g_source_destroy (w.done_source);
      g_source_unref (w.done_source);
      g_hash_table_unref (w.fetches);
      g_async_queue_unref (w.done);
      dmpi_result_batch_builder_free (w.finished);
      dmpi_registry_free (w.registry);
      g_main_loop_unref (w.loop);
      g_main_context_pop_thread_default (w.context);
      g_main_context_unref (w.context);
    }
  return w.status;
}
