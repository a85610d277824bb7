/* The worker role. The main thread owns MPI and the store; compute threads
 * only run task functions and hand finished tasks back through a queue. */
#include "config.h"

#include "role.h"
#include "worker.h"
#include "registry.h"
#include "protocol.h"
#include "batch.h"
#include "store.h"
#include "transport.h"
#include "log.h"
#include "dmpi-error.h"

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
  guint n_missing;
  /* Set by the compute thread. */
  GVariant *result;
  GError *error;
  double start, stop;
  guint thread;          /* which compute thread ran it, from 0 */
} WTask;

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
  guint executing;
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

/* ---- compute threads ---- */

static void
run_task (gpointer data, gpointer user_data)
{
  WTask *task = data;
  Worker *w = user_data;
  DmpiTask view = {
    .key = task->key,
    .function = task->function,
    .args = task->args,
    .deps = task->deps,
    .n_deps = task->n_deps,
  };

  /* Compute threads number themselves in the order they first run a task. */
  static gint n_threads_seen;
  static __thread guint thread_index;
  if (thread_index == 0)
    thread_index = (guint) g_atomic_int_add (&n_threads_seen, 1) + 1;
  task->thread = thread_index - 1;
  task->start = dmpi_now ();
  running_function = task->function;
  running_key = task->key;
  if (dmpi_task_run (&view, task->func, &task->error))
    task->result = g_steal_pointer (&view.result);
  running_key = NULL;
  task->stop = dmpi_now ();
  g_async_queue_push (w->done, task);
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

static gboolean
done_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  Worker *w = *(Worker **) (source + 1);
  WTask *task;

  while ((task = g_async_queue_try_pop (w->done)) != NULL)
    {
      w->executing--;
      finish_batch_add (w, task);
      wtask_free (task);
    }
  if (w->executing == 0 || dmpi_result_batch_builder_len (w->finished) >= DMPI_BATCH_MAX
      || batch_due (w, g_get_monotonic_time ()))
    send_finished (w);
  dmpi_transport_kick (w->transport);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs done_funcs = { done_prepare, done_check, done_dispatch, NULL, NULL, NULL };

/* ---- tasks arriving ---- */

static void
start_task (Worker *w, WTask *task)
{
  w->executing++;
  g_thread_pool_push (w->pool, task, NULL);
}

/* A task that cannot run: report it at once as erred. */
static void
fail_task (Worker *w, WTask *task, GError *error)
{
  task->error = error;
  task->start = task->stop = dmpi_now ();
  w->executing++;
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
          task->n_missing++;
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
      if (task->n_missing == 0)
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
      for (guint j = 0; j < task->n_deps; j++)
        if (task->dep_ids[j] == id && task->deps[j] == NULL)
          {
            task->deps[j] = g_variant_ref (value);
            task->n_missing--;
          }
      if (!found)
        {
          /* Only the first waiter of a failed fetch fails here; others see NULL deps below. */
          if (task->error == NULL)
            task->error = g_error_new (DMPI_ERROR, DMPI_ERROR_WORKER_LOST,
                                       "its input (task id %" G_GUINT64_FORMAT ") could not be fetched from rank %d: %s",
                                       id, src, message);
        }
      if (task->n_missing == 0)
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
      if (value != NULL)
        dmpi_msg_send (w->transport, src, DMPI_MSG_DATA, g_variant_new ("(tbvs)", ids[i], TRUE, value, ""));
      else
        {
          g_autofree char *why = g_strdup_printf ("worker rank %d: %s", w->rank, error->message);
          dmpi_msg_send (w->transport, src, DMPI_MSG_DATA,
                         g_variant_new ("(tbvs)", ids[i], FALSE, g_variant_new ("()"), why));
        }
    }
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
                 g_variant_new ("(utttd)", w->executing, stats.memory_bytes, stats.spilled_bytes, rss_bytes (), cpu));
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

int
dmpi_worker_run (const DmpiWorkerOptions *options)
{
  Worker w = { 0 };
  int start_status;

  if (!dmpi_role_start (DMPI_ROLE_WORKER, options->log_level, &start_status))
    return start_status;
  w.rank = dmpi_transport_world_rank ();
  install_crash_handler (w.rank);
  w.nthreads = options->nthreads > 0 ? options->nthreads : (guint) CLAMP (env_uint ("DASK_MPI_NTHREADS", 1), 1, 1024);
  w.memory_limit = options->memory_limit > 0 ? options->memory_limit : env_uint ("DASK_MPI_MEMORY_LIMIT", 0);
  w.context = g_main_context_new ();
  g_main_context_push_thread_default (w.context);
  w.loop = g_main_loop_new (w.context, FALSE);
  w.registry = dmpi_registry_new ();
  /* Dask's target: spill past 60% of the memory limit. */
  const char *local_directory = options->local_directory != NULL ? options->local_directory
                                : g_getenv ("DASK_MPI_LOCAL_DIRECTORY");
  g_autofree char *label = g_strdup_printf ("dask-mpi-worker-%d", w.rank);
  w.store = dmpi_store_new (w.memory_limit / 10 * 6, local_directory, label);
  w.fetches = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, fetch_free);
  w.done = g_async_queue_new ();
  w.finished = dmpi_result_batch_builder_new ();
  w.pool = g_thread_pool_new (run_task, &w, (gint) w.nthreads, FALSE, NULL);
  w.done_source = g_source_new (&done_funcs, sizeof (GSource) + sizeof (Worker *));
  *(Worker **) (w.done_source + 1) = &w;
  g_source_attach (w.done_source, w.context);
  w.transport = dmpi_transport_new (w.context, on_message, &w);
  GSource *beat = g_timeout_source_new_seconds (HEARTBEAT_SECONDS);
  g_source_set_callback (beat, heartbeat, &w, NULL);
  g_source_attach (beat, w.context);

  dmpi_msg_send (w.transport, SCHEDULER_RANK, DMPI_MSG_HELLO,
                 g_variant_new ("(uusut)", DMPI_PROTOCOL_VERSION, (guint32) DMPI_ROLE_WORKER, dmpi_hostname (),
                                (guint32) w.nthreads, w.memory_limit));
  g_main_loop_run (w.loop);

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
  /* Running task functions cannot be interrupted: leave them to the exit. */
  if (w.executing == 0)
    {
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
