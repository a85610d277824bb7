/* The scheduler role: a thin loop around the core (sched-core.c). Messages
 * become events; the actions the core queues become messages, batched per
 * destination and sent once per main-loop iteration. */
#include "config.h"

#include <signal.h>
#include <string.h>

#include <glib-unix.h>

#include "role.h"
#include "scheduler.h"
#include "sched-core.h"
#include "protocol.h"
#include "batch.h"
#include "transport.h"
#include "log.h"
#include "dashboard.h"
#include "dmpi-error.h"

#define CLIENT_RANK 1
#define GOODBYE_TIMEOUT_S 10
/* A worker silent for this long (DASK_MPI_HEARTBEAT_TIMEOUT) is lost; it
 * sends a heartbeat every 2 s even while its threads compute. */
#define HEARTBEAT_TIMEOUT_S 60.0

typedef struct {
  guint64 request;
  GHashTable *waiting;          /* ranks that have not answered */
  char *path;
  char *failure;                /* first failure, or NULL */
} ModuleLoad;

typedef struct {
  GMainContext *context;
  GMainLoop *loop;
  DmpiTransport *transport;
  DmpiSched *sched;
  int size;
  gboolean client_hello;
  GHashTable *worker_hello;     /* rank → GINT_TO_POINTER(1) */
  GPtrArray *modules;           /* paths loaded so far, sent to late joiners */
  GList *module_loads;          /* of ModuleLoad*, in progress */

  /* Outgoing batches, flushed once per iteration. */
  DmpiTaskBatchBuilder **compute;  /* by rank, NULL when empty */
  GArray **free_ids;            /* by rank, NULL when empty */
  GArray **steal_ids;           /* by rank, NULL when empty */
  DmpiResultBatchBuilder *report;
  GSource *flush_source;

  gboolean shutting_down;
  int exit_status;
  GHashTable *goodbyes;
  GSource *shutdown_timeout;
  DmpiDashboard *dashboard;
  double heartbeat_timeout;
  GHashTable *lost;             /* ranks given up on */
  GHashTable *retired;          /* ranks that stopped a task for memory: they run nothing more */
  GHashTable *replicas;         /* id → GArray of int: other workers holding a broadcast value */
} Scheduler;

static void
module_load_free (ModuleLoad *load)
{
  g_hash_table_unref (load->waiting);
  g_free (load->path);
  g_free (load->failure);
  g_free (load);
}

/* A 1/0 switch from the environment; anything else is reported and ignored. */
static gboolean
env_switch (const char *name, gboolean fallback)
{
  const char *value = g_getenv (name);

  if (value == NULL || *value == '\0')
    return fallback;
  if (strcmp (value, "0") == 0 || g_ascii_strcasecmp (value, "false") == 0)
    return FALSE;
  if (strcmp (value, "1") == 0 || g_ascii_strcasecmp (value, "true") == 0)
    return TRUE;
  g_warning ("ignoring %s=%s: give 1 or 0", name, value);
  return fallback;
}

static void
send_compute (Scheduler *s, int rank)
{
  if (s->compute[rank] == NULL || dmpi_task_batch_builder_len (s->compute[rank]) == 0)
    return;
  dmpi_msg_send (s->transport, rank, DMPI_MSG_COMPUTE, dmpi_task_batch_builder_end (s->compute[rank]));
}

static void
send_report (Scheduler *s)
{
  if (dmpi_result_batch_builder_len (s->report) == 0)
    return;
  dmpi_msg_send (s->transport, CLIENT_RANK, DMPI_MSG_REPORT, dmpi_result_batch_builder_end (s->report));
}

static void
add_report (Scheduler *s, guint64 id, guint32 state, guint32 code, guint64 nbytes, int rank, const char *message)
{
  dmpi_result_batch_builder_add (s->report, id, state, code, nbytes, (guint32) MAX (rank, 0), message, 0, 0);
  if (dmpi_result_batch_builder_len (s->report) >= DMPI_BATCH_MAX)
    send_report (s);
}

static gboolean
flush_batches (gpointer user_data)
{
  Scheduler *s = user_data;

  for (int rank = 0; rank < s->size; rank++)
    {
      send_compute (s, rank);
      /* After the compute batch: a steal may name a task sent in it. */
      if (s->steal_ids[rank] != NULL)
        {
          GArray *ids = g_steal_pointer (&s->steal_ids[rank]);
          dmpi_msg_send (s->transport, rank, DMPI_MSG_STEAL,
                         g_variant_new_fixed_array (G_VARIANT_TYPE_UINT64, ids->data, ids->len, sizeof (guint64)));
          g_array_unref (ids);
        }
      if (s->free_ids[rank] != NULL)
        {
          GArray *ids = g_steal_pointer (&s->free_ids[rank]);
          dmpi_msg_send (s->transport, rank, DMPI_MSG_FREE,
                         g_variant_new_fixed_array (G_VARIANT_TYPE_UINT64, ids->data, ids->len, sizeof (guint64)));
          g_array_unref (ids);
        }
    }
  send_report (s);
  g_clear_pointer (&s->flush_source, g_source_unref);
  return G_SOURCE_REMOVE;
}

static void
schedule_flush (Scheduler *s)
{
  if (s->flush_source != NULL)
    return;
  s->flush_source = g_idle_source_new ();
  g_source_set_priority (s->flush_source, G_PRIORITY_DEFAULT);
  g_source_set_callback (s->flush_source, flush_batches, s, NULL);
  g_source_attach (s->flush_source, s->context);
}

/* Turn the core's actions into batched messages. */
static void
drain_actions (Scheduler *s)
{
  guint n;
  const DmpiSchedAction *actions = dmpi_sched_get_actions (s->sched, &n);

  for (guint i = 0; i < n; i++)
    {
      const DmpiSchedAction *a = &actions[i];
      switch (a->kind)
        {
        case DMPI_ACTION_COMPUTE:
          {
            DmpiSchedTask *t = a->task;
            if (a->worker < 0 || a->worker >= s->size)
              break;
            if (s->compute[a->worker] == NULL)
              s->compute[a->worker] = dmpi_task_batch_builder_new ();
            guint64 dep_ids[64];
            guint32 dep_ranks[64];
            g_autofree guint64 *many_ids = t->n_deps > 64 ? g_new (guint64, t->n_deps) : NULL;
            g_autofree guint32 *many_ranks = t->n_deps > 64 ? g_new (guint32, t->n_deps) : NULL;
            guint64 *ids = many_ids != NULL ? many_ids : dep_ids;
            guint32 *ranks = many_ranks != NULL ? many_ranks : dep_ranks;
            for (guint j = 0; j < t->n_deps; j++)
              {
                ids[j] = t->deps[j]->id;
                /* Sent ahead: the worker computing the input, itself. */
                ranks[j] = (guint32) dmpi_sched_input_rank (t->deps[j]);
              }
            dmpi_task_batch_builder_add (s->compute[a->worker], t->id, t->key, t->function, t->args_type,
                                         t->args, t->args_size, ids, ranks, t->n_deps);
            /* The core keeps the arguments until the task is done: a retry,
             * or a task given back by a worker (stealing, pause), sends them again. */
            if (dmpi_task_batch_builder_len (s->compute[a->worker]) >= DMPI_BATCH_MAX)
              send_compute (s, a->worker);
            break;
          }
        case DMPI_ACTION_FREE:
          {
            GArray *others = g_hash_table_lookup (s->replicas, &a->id);
            for (guint r = 0; r <= (others != NULL ? others->len : 0); r++)
              {
                int rank = r == 0 ? a->worker : g_array_index (others, int, r - 1);
                if (rank < 0 || rank >= s->size)
                  continue;
                if (s->free_ids[rank] == NULL)
                  s->free_ids[rank] = g_array_new (FALSE, FALSE, sizeof (guint64));
                g_array_append_val (s->free_ids[rank], a->id);
              }
            if (others != NULL)
              g_hash_table_remove (s->replicas, &a->id);
            break;
          }
        case DMPI_ACTION_STEAL:
          if (a->worker < 0 || a->worker >= s->size)
            break;
          if (s->steal_ids[a->worker] == NULL)
            s->steal_ids[a->worker] = g_array_new (FALSE, FALSE, sizeof (guint64));
          g_array_append_val (s->steal_ids[a->worker], a->id);
          break;
        case DMPI_ACTION_REPORT:
          add_report (s, a->id, a->state == DMPI_TASK_MEMORY ? DMPI_STATE_MEMORY : DMPI_STATE_ERRED,
                      a->error_code, a->nbytes, a->worker, a->message);
          break;
        }
    }
  if (n > 0)
    schedule_flush (s);
  dmpi_sched_clear_actions (s->sched);
}

static void
send_workers (Scheduler *s)
{
  if (!s->client_hello)
    return;
  g_autoptr(GPtrArray) workers = dmpi_sched_list_workers (s->sched);
  GVariantBuilder b;
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(usut)"));
  for (guint i = 0; i < workers->len; i++)
    {
      DmpiSchedWorker *w = g_ptr_array_index (workers, i);
      g_variant_builder_add (&b, "(usut)", (guint32) w->rank, w->host, w->nthreads, w->memory_limit);
    }
  dmpi_msg_send (s->transport, CLIENT_RANK, DMPI_MSG_WORKERS, g_variant_builder_end (&b));
}

static gint
compare_rank (gconstpointer a, gconstpointer b)
{
  const DmpiSchedWorker *wa = *(DmpiSchedWorker *const *) a, *wb = *(DmpiSchedWorker *const *) b;

  return (wa->rank > wb->rank) - (wa->rank < wb->rank);
}

/* The workers that joined, by node in rank order: "node2: ranks 2, 3;
 * node3: rank 4". Sets *@n_nodes. */
static char *
workers_by_node (Scheduler *s, guint *n_nodes)
{
  g_autoptr(GPtrArray) workers = dmpi_sched_list_workers (s->sched);
  g_autoptr(GHashTable) done = g_hash_table_new (g_str_hash, g_str_equal);
  GString *out = g_string_new (NULL);

  g_ptr_array_sort (workers, compare_rank);
  for (guint i = 0; i < workers->len; i++)
    {
      const DmpiSchedWorker *w = g_ptr_array_index (workers, i);
      if (!g_hash_table_add (done, w->host))
        continue;
      GString *ranks = g_string_new (NULL);
      guint n = 0;
      for (guint j = i; j < workers->len; j++)
        {
          const DmpiSchedWorker *o = g_ptr_array_index (workers, j);
          if (strcmp (o->host, w->host) == 0)
            g_string_append_printf (ranks, "%s%d", n++ > 0 ? ", " : "", o->rank);
        }
      g_string_append_printf (out, "%s%s: rank%s %s", out->len > 0 ? "; " : "", w->host, n == 1 ? "" : "s", ranks->str);
      g_string_free (ranks, TRUE);
    }
  *n_nodes = g_hash_table_size (done);
  return g_string_free (out, FALSE);
}

/* mpirun (or the batch system) ends the job: when it lost a node it names
 * the node, and this names the ranks that were there. Then the signal does
 * what it would have done. */
static gboolean
on_sigterm (gpointer user_data)
{
  Scheduler *s = user_data;
  guint n_nodes;
  g_autofree char *nodes = workers_by_node (s, &n_nodes);

  g_warning ("stopped by SIGTERM: the job is being ended from outside (mpirun does so when a rank "
             "failed or a node was lost, and says which); the workers by node were: %s",
             n_nodes > 0 ? nodes : "none had joined");
  signal (SIGTERM, SIG_DFL);
  raise (SIGTERM);
  return G_SOURCE_REMOVE;
}

static void
on_hello (Scheduler *s, int src, GVariant *msg)
{
  guint32 version, role, nthreads;
  const char *host;
  guint64 memory_limit;

  g_variant_get (msg, "(uu&sut)", &version, &role, &host, &nthreads, &memory_limit);
  if (version != DMPI_PROTOCOL_VERSION)
    {
      g_autofree char *why = g_strdup_printf ("protocol version %u is not the scheduler's %u: install the same dask-mpi on every node",
                                              version, DMPI_PROTOCOL_VERSION);
      g_warning ("rank %d (%s) refused: %s", src, host, why);
      dmpi_msg_send (s->transport, src, DMPI_MSG_WELCOME, g_variant_new ("(uss)", DMPI_PROTOCOL_VERSION, why, ""));
      return;
    }
  gboolean expected = (src == CLIENT_RANK && role == DMPI_ROLE_CLIENT) || (src >= 2 && role == DMPI_ROLE_WORKER);
  if (!expected)
    {
      g_warning ("rank %d (%s) says it is a %s; dropped (the client is rank 1, workers are ranks 2 and up)",
                 src, host, dmpi_role_name (role));
      return;
    }
  dmpi_msg_send (s->transport, src, DMPI_MSG_WELCOME,
                 g_variant_new ("(uss)", DMPI_PROTOCOL_VERSION, "",
                                s->dashboard != NULL ? dmpi_dashboard_get_address (s->dashboard) : ""));
  if (role == DMPI_ROLE_CLIENT)
    {
      s->client_hello = TRUE;
      g_message ("client connected from %s (rank %d)", host, src);
    }
  else
    {
      g_hash_table_add (s->worker_hello, GINT_TO_POINTER (src));
      g_autofree char *limit = memory_limit ? g_format_size_full (memory_limit, G_FORMAT_SIZE_IEC_UNITS)
                                            : g_strdup ("none");
      g_message ("worker rank %d joined from %s: %u thread%s, memory limit %s", src, host, nthreads,
                 nthreads == 1 ? "" : "s", limit);
      for (guint i = 0; i < s->modules->len; i++)
        dmpi_msg_send (s->transport, src, DMPI_MSG_LOAD_MODULE,
                       g_variant_new ("(ts)", (guint64) 0, (const char *) g_ptr_array_index (s->modules, i)));
      dmpi_sched_add_worker (s->sched, src, host, nthreads, memory_limit);
      dmpi_sched_worker_heartbeat (s->sched, src, 0, 0, 0, 0, dmpi_now ());
      drain_actions (s);
      if (g_hash_table_size (s->worker_hello) == (guint) (s->size - 2))
        {
          guint n_nodes;
          g_autofree char *nodes = workers_by_node (s, &n_nodes);
          g_message ("all %d workers joined, on %u node%s: %s", s->size - 2, n_nodes, n_nodes == 1 ? "" : "s", nodes);
        }
    }
  send_workers (s);
}

static void check_runnable (Scheduler *s);

static void
on_submit (Scheduler *s, GVariant *msg)
{
  DmpiTaskBatch batch;
  g_autoptr(GError) error = NULL;

  if (!dmpi_task_batch_parse (&batch, msg, &error))
    {
      g_warning ("dropped a submit message from the client: %s", error->message);
      dmpi_task_batch_clear (&batch);
      return;
    }
  g_autofree DmpiSchedTaskSpec *specs = g_new0 (DmpiSchedTaskSpec, MAX (batch.n, 1));
  /* Restrictions arrive as guint32 ranks; the core takes ints. */
  g_autofree int *ranks = g_new (int, MAX (batch.n_restrict_total, 1));
  for (gsize i = 0; i < batch.n_restrict_total; i++)
    ranks[i] = (int) MIN (batch.restrict_to[i], (guint32) G_MAXINT);
  for (gsize i = 0; i < batch.n; i++)
    {
      DmpiSchedTaskSpec *spec = &specs[i];
      spec->id = batch.ids[i];
      spec->key = dmpi_task_batch_key (&batch, i);
      spec->function = dmpi_task_batch_function (&batch, i);
      spec->args_type = dmpi_task_batch_type (&batch, i);
      spec->args = dmpi_task_batch_args_data (&batch, i, &spec->args_size);
      spec->deps = dmpi_task_batch_deps (&batch, i, &spec->n_deps);
      spec->priority = batch.priorities[i];
      spec->retries = batch.retries[i];
      dmpi_task_batch_restrict (&batch, i, &spec->n_restrict);
      spec->restrict_to = ranks + (i == 0 ? 0 : batch.restrict_end[i - 1]);
    }
  if (!dmpi_sched_submit (s->sched, specs, batch.n, &error))
    {
      g_warning ("graph of %" G_GSIZE_FORMAT " tasks from the client refused: %s", batch.n, error->message);
      for (gsize i = 0; i < batch.n; i++)
        add_report (s, specs[i].id, DMPI_STATE_ERRED, (guint32) error->code, 0, 0, error->message);
      schedule_flush (s);
    }
  dmpi_task_batch_clear (&batch);
  drain_actions (s);
  if (g_hash_table_size (s->retired) + g_hash_table_size (s->lost) > 0)
    check_runnable (s);
}

static void
on_finished (Scheduler *s, int src, GVariant *msg)
{
  DmpiResultBatch batch;
  g_autoptr(GError) error = NULL;

  if (!dmpi_result_batch_parse (&batch, msg, &error))
    {
      g_warning ("dropped a finished message from worker rank %d: %s", src, error->message);
      dmpi_result_batch_clear (&batch);
      return;
    }
  for (gsize i = 0; i < batch.n; i++)
    {
      if (batch.states[i] == DMPI_STATE_MEMORY)
        dmpi_sched_task_finished (s->sched, src, batch.ranks[i], batch.ids[i], batch.nbytes[i], batch.starts[i],
                                  batch.stops[i]);
      else
        dmpi_sched_task_erred (s->sched, src, batch.ranks[i], batch.ids[i], batch.codes[i],
                               dmpi_result_batch_message (&batch, i),
                               batch.starts[i], batch.stops[i]);
    }
  dmpi_result_batch_clear (&batch);
  drain_actions (s);
}

static void
on_release (Scheduler *s, GVariant *msg)
{
  gsize n;
  const guint64 *ids = g_variant_get_fixed_array (msg, &n, sizeof (guint64));

  dmpi_sched_release (s->sched, ids, n);
  drain_actions (s);
}

/* Scattered values: one entry per holder. A value with several holders was
 * broadcast: the core knows its first holder and counts no bytes to move for
 * it (it is everywhere, so placement and stealing need not weigh it); the
 * others are kept here, to be freed with it. */
static void
on_update_data (Scheduler *s, GVariant *msg)
{
  GVariantIter iter;
  guint64 id, nbytes;
  const char *key;
  guint32 rank;
  g_autoptr(GHashTable) holders = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);

  g_variant_iter_init (&iter, msg);
  while (g_variant_iter_next (&iter, "(t&stu)", &id, &key, &nbytes, &rank))
    {
      guint64 *k = g_new (guint64, 1);
      *k = id;
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (holders, &id));
      g_hash_table_replace (holders, k, GUINT_TO_POINTER (n + 1));
    }
  g_variant_iter_init (&iter, msg);
  while (g_variant_iter_next (&iter, "(t&stu)", &id, &key, &nbytes, &rank))
    {
      if (rank < 2 || (int) rank >= s->size)
        {
          g_warning ("update-data from the client names rank %u, which is not a worker; dropped", rank);
          continue;
        }
      gboolean broadcast = GPOINTER_TO_UINT (g_hash_table_lookup (holders, &id)) > 1;
      DmpiSchedTask *known = dmpi_sched_lookup (s->sched, id);
      if (known == NULL)
        dmpi_sched_data_added (s->sched, (int) rank, id, key, broadcast ? 0 : nbytes);
      else if (broadcast && known->holder != (int) rank)
        {
          GArray *others = g_hash_table_lookup (s->replicas, &id);
          if (others == NULL)
            {
              guint64 *k = g_new (guint64, 1);
              *k = id;
              others = g_array_new (FALSE, FALSE, sizeof (int));
              g_hash_table_insert (s->replicas, k, others);
            }
          int r = (int) rank;
          g_array_append_val (others, r);
        }
    }
  drain_actions (s);
}

static void
finish_module_load (Scheduler *s, ModuleLoad *load)
{
  dmpi_msg_send (s->transport, CLIENT_RANK, DMPI_MSG_MODULE_LOADED,
                 g_variant_new ("(tbs)", load->request, load->failure == NULL,
                                load->failure != NULL ? load->failure : ""));
  if (load->failure == NULL)
    {
      g_message ("module %s loaded on every worker", load->path);
      g_ptr_array_add (s->modules, g_strdup (load->path));
    }
  s->module_loads = g_list_remove (s->module_loads, load);
  module_load_free (load);
}

static void
on_load_module (Scheduler *s, GVariant *msg)
{
  ModuleLoad *load = g_new0 (ModuleLoad, 1);
  g_autoptr(GPtrArray) workers = dmpi_sched_list_workers (s->sched);

  g_variant_get (msg, "(ts)", &load->request, &load->path);
  load->waiting = g_hash_table_new (NULL, NULL);
  s->module_loads = g_list_append (s->module_loads, load);
  for (guint i = 0; i < workers->len; i++)
    {
      DmpiSchedWorker *w = g_ptr_array_index (workers, i);
      g_hash_table_add (load->waiting, GINT_TO_POINTER (w->rank));
      dmpi_msg_send (s->transport, w->rank, DMPI_MSG_LOAD_MODULE, msg);
    }
  if (g_hash_table_size (load->waiting) == 0)
    finish_module_load (s, load);
}

static void
on_module_loaded (Scheduler *s, int src, GVariant *msg)
{
  guint64 request;
  gboolean ok;
  const char *message;

  g_variant_get (msg, "(tb&s)", &request, &ok, &message);
  if (!ok)
    g_warning ("worker rank %d could not load a module: %s", src, message);
  for (GList *l = s->module_loads; l != NULL; l = l->next)
    {
      ModuleLoad *load = l->data;
      if (load->request != request || !g_hash_table_remove (load->waiting, GINT_TO_POINTER (src)))
        continue;
      if (!ok && load->failure == NULL)
        load->failure = g_strdup_printf ("worker rank %d: %s", src, message);
      if (g_hash_table_size (load->waiting) == 0)
        finish_module_load (s, load);
      return;
    }
}

static void
maybe_quit (Scheduler *s)
{
  if (s->shutting_down
      && (int) (g_hash_table_size (s->goodbyes) + g_hash_table_size (s->lost)) >= s->size - 2)
    g_main_loop_quit (s->loop);
}

static gboolean
on_shutdown_timeout (gpointer user_data)
{
  Scheduler *s = user_data;

  g_warning ("%u of %d workers said goodbye within %d s; exiting anyway", g_hash_table_size (s->goodbyes),
             s->size - 2, GOODBYE_TIMEOUT_S);
  g_main_loop_quit (s->loop);
  return G_SOURCE_REMOVE;
}

/* Once every worker has joined and none is left that can run a task (each
 * lost or retired), what waits for one would wait for ever: fail it. */
static void
check_runnable (Scheduler *s)
{
  if ((int) g_hash_table_size (s->worker_hello) < s->size - 2)
    return;
  g_autoptr(GPtrArray) workers = dmpi_sched_list_workers (s->sched);
  for (guint i = 0; i < workers->len; i++)
    {
      DmpiSchedWorker *w = g_ptr_array_index (workers, i);
      if (w->alive && !g_hash_table_contains (s->retired, GINT_TO_POINTER (w->rank)))
        return;
    }
  /* The code says what took the workers when it was one thing. */
  guint code = g_hash_table_size (s->lost) == 0 ? DMPI_ERROR_MEMORY : DMPI_ERROR_WORKER_LOST;
  guint n = dmpi_sched_fail_unrunnable (s->sched, code, "every worker is lost or stopped a task for memory");
  if (n > 0)
    g_warning ("%u tasks cannot run: every worker is lost or stopped a task for memory", n);
  drain_actions (s);
}

static gboolean
check_heartbeats (gpointer user_data)
{
  Scheduler *s = user_data;
  double now = dmpi_now ();
  g_autoptr(GPtrArray) workers = dmpi_sched_list_workers (s->sched);

  for (guint i = 0; i < workers->len; i++)
    {
      DmpiSchedWorker *w = g_ptr_array_index (workers, i);
      if (w->last_heartbeat <= 0 || now - w->last_heartbeat < s->heartbeat_timeout)
        continue;
      g_autofree char *why = g_strdup_printf ("on %s stopped answering: no heartbeat for %.0f s", w->host,
                                              now - w->last_heartbeat);
      g_warning ("worker rank %d %s; its tasks and results are lost", w->rank, why);
      g_hash_table_add (s->lost, GINT_TO_POINTER (w->rank));
      dmpi_sched_remove_worker (s->sched, w->rank, why);
    }
  drain_actions (s);
  check_runnable (s);
  if (workers->len > 0)
    send_workers (s);
  return G_SOURCE_CONTINUE;
}

static void
begin_shutdown (Scheduler *s, int status, const char *reason)
{
  if (s->shutting_down)
    return;
  s->shutting_down = TRUE;
  s->exit_status = status;
  g_message ("shutting down: %s", reason);
  flush_batches (s);
  for (int rank = 2; rank < s->size; rank++)
    dmpi_msg_send (s->transport, rank, DMPI_MSG_SHUTDOWN, g_variant_new ("(is)", status, reason));
  s->shutdown_timeout = g_timeout_source_new_seconds (GOODBYE_TIMEOUT_S);
  g_source_set_callback (s->shutdown_timeout, on_shutdown_timeout, s, NULL);
  g_source_attach (s->shutdown_timeout, s->context);
  maybe_quit (s);
}

static void
on_message (DmpiTransport *transport, int src, guint32 kind, GBytes *payload, gpointer user_data)
{
  Scheduler *s = user_data;
  g_autoptr(GVariant) msg = dmpi_msg_receive (kind, payload, src);

  if (msg == NULL)
    return;
  gboolean from_client = src == CLIENT_RANK;
  gboolean from_worker = src >= 2 && g_hash_table_contains (s->worker_hello, GINT_TO_POINTER (src));
  gboolean ok = TRUE;
  switch (kind)
    {
    case DMPI_MSG_HELLO:
      on_hello (s, src, msg);
      break;
    case DMPI_MSG_SUBMIT:
      if ((ok = from_client && !s->shutting_down))
        on_submit (s, msg);
      break;
    case DMPI_MSG_FINISHED:
      if ((ok = from_worker))
        on_finished (s, src, msg);
      break;
    case DMPI_MSG_RELEASE:
      if ((ok = from_client))
        on_release (s, msg);
      break;
    case DMPI_MSG_CANCEL:
    case DMPI_MSG_KEEP:
      if ((ok = from_client))
        {
          gsize n;
          const guint64 *ids = g_variant_get_fixed_array (msg, &n, sizeof (guint64));
          if (kind == DMPI_MSG_CANCEL)
            dmpi_sched_cancel (s->sched, ids, n);
          else
            dmpi_sched_keep (s->sched, ids, n);
          drain_actions (s);
        }
      break;
    case DMPI_MSG_UPDATE_DATA:
      if ((ok = from_client))
        on_update_data (s, msg);
      break;
    case DMPI_MSG_LOAD_MODULE:
      if ((ok = from_client))
        on_load_module (s, msg);
      break;
    case DMPI_MSG_MODULE_LOADED:
      if ((ok = from_worker))
        on_module_loaded (s, src, msg);
      break;
    case DMPI_MSG_HEARTBEAT:
      if ((ok = from_worker))
        {
          guint32 executing;
          guint64 stored, spilled, rss;
          double cpu;
          g_variant_get (msg, "(utttd)", &executing, &stored, &spilled, &rss, &cpu);
          dmpi_sched_worker_heartbeat (s->sched, src, executing, stored, rss, cpu, dmpi_now ());
          dmpi_sched_worker_spilled (s->sched, src, spilled);
        }
      break;
    case DMPI_MSG_SHUTDOWN:
      if ((ok = from_client))
        {
          gint32 status;
          const char *reason;
          g_variant_get (msg, "(i&s)", &status, &reason);
          begin_shutdown (s, status, reason);
        }
      break;
    case DMPI_MSG_GIVE_BACK:
      if ((ok = from_worker))
        {
          g_autoptr(GVariant) given = g_variant_get_child_value (msg, 0);
          g_autoptr(GVariant) kept = g_variant_get_child_value (msg, 1);
          gsize n;
          const guint64 *ids = g_variant_get_fixed_array (given, &n, sizeof (guint64));
          for (gsize i = 0; i < n; i++)
            dmpi_sched_task_given_back (s->sched, src, ids[i]);
          ids = g_variant_get_fixed_array (kept, &n, sizeof (guint64));
          for (gsize i = 0; i < n; i++)
            dmpi_sched_steal_refused (s->sched, src, ids[i]);
          drain_actions (s);
        }
      break;
    case DMPI_MSG_PAUSE:
      if ((ok = from_worker))
        {
          gboolean paused, retired;
          const char *why;
          g_variant_get (msg, "(bb&s)", &paused, &retired, &why);
          if (retired)
            {
              g_warning ("worker rank %d takes no more tasks: %s", src, why);
              g_hash_table_add (s->retired, GINT_TO_POINTER (src));
            }
          else if (paused)
            g_warning ("worker rank %d paused: %s", src, why);
          else
            g_message ("worker rank %d resumed: %s", src, why);
          dmpi_sched_worker_paused (s->sched, src, paused);
          drain_actions (s);
          if (retired)
            check_runnable (s);
        }
      break;
    case DMPI_MSG_GOODBYE:
      if ((ok = src >= 2))
        {
          const char *reason;
          g_variant_get (msg, "(&s)", &reason);
          g_debug ("worker rank %d said goodbye: %s", src, reason);
          g_hash_table_add (s->goodbyes, GINT_TO_POINTER (src));
          maybe_quit (s);
        }
      break;
    default:
      ok = FALSE;
      break;
    }
  if (!ok)
    g_warning ("dropped a %s message from rank %d: the scheduler does not take it from that rank%s",
               dmpi_msg_kind_name (kind), src, s->shutting_down ? " while shutting down" : "");
}

int
dmpi_scheduler_run (const DmpiSchedulerOptions *options)
{
  Scheduler s = { 0 };
  int start_status;

  if (!dmpi_role_start (DMPI_ROLE_SCHEDULER, options->log_level, &start_status))
    return start_status;
  s.size = dmpi_transport_world_size ();
  s.context = g_main_context_new ();
  g_main_context_push_thread_default (s.context);
  s.loop = g_main_loop_new (s.context, FALSE);
  s.sched = dmpi_sched_new ();
  s.worker_hello = g_hash_table_new (NULL, NULL);
  s.goodbyes = g_hash_table_new (NULL, NULL);
  s.lost = g_hash_table_new (NULL, NULL);
  s.retired = g_hash_table_new (NULL, NULL);
  s.replicas = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, (GDestroyNotify) g_array_unref);
  s.heartbeat_timeout = HEARTBEAT_TIMEOUT_S;
  const char *timeout_env = g_getenv ("DASK_MPI_HEARTBEAT_TIMEOUT");
  if (timeout_env != NULL && *timeout_env != '\0')
    {
      double t = g_ascii_strtod (timeout_env, NULL);
      if (t > 0)
        s.heartbeat_timeout = t;
      else
        g_warning ("ignoring DASK_MPI_HEARTBEAT_TIMEOUT=%s: not a positive number of seconds", timeout_env);
    }
  dmpi_sched_set_stealing (s.sched, env_switch ("DASK_MPI_WORK_STEALING", TRUE));
  dmpi_sched_set_sending_ahead (s.sched, env_switch ("DASK_MPI_SEND_AHEAD", TRUE));
  s.modules = g_ptr_array_new_with_free_func (g_free);
  s.compute = g_new0 (DmpiTaskBatchBuilder *, s.size);
  s.report = dmpi_result_batch_builder_new ();
  s.free_ids = g_new0 (GArray *, s.size);
  s.steal_ids = g_new0 (GArray *, s.size);
  s.transport = dmpi_transport_new (s.context, on_message, &s);
  const char *dashboard = options->dashboard_address;
  if (dashboard == NULL)
    dashboard = g_getenv ("DASK_MPI_DASHBOARD_ADDRESS");
  if (dashboard == NULL || *dashboard == '\0')
    dashboard = ":8787";
  if (g_strcmp0 (dashboard, "none") != 0)
    {
      g_autoptr(GError) dash_error = NULL;
      s.dashboard = dmpi_dashboard_new (s.sched, s.context, dashboard, &dash_error);
      if (s.dashboard != NULL)
        g_message ("dashboard at http://%s/status", dmpi_dashboard_get_address (s.dashboard));
      else
        g_warning ("no dashboard: %s", dash_error->message);
    }
  const char *report = options->performance_report;
  if (report == NULL)
    report = g_getenv ("DASK_MPI_PERFORMANCE_REPORT");
  g_message ("scheduler on %s, rank 0 of %d: waiting for the client (rank 1) and %d worker%s",
             dmpi_hostname (), s.size, s.size - 2, s.size == 3 ? "" : "s");

  GSource *heartbeats = g_timeout_source_new_seconds (1);
  g_source_set_callback (heartbeats, check_heartbeats, &s, NULL);
  g_source_attach (heartbeats, s.context);
  /* Only while the loop runs: outside it SIGTERM keeps its default. */
  GSource *term = g_unix_signal_source_new (SIGTERM);
  g_source_set_callback (term, on_sigterm, &s, NULL);
  g_source_attach (term, s.context);

  g_main_loop_run (s.loop);

  g_source_destroy (term);
  g_source_unref (term);
  g_source_destroy (heartbeats);
  g_source_unref (heartbeats);

  flush_batches (&s);
  if (!dmpi_transport_flush (s.transport, 5.0))
    g_warning ("some messages were still unsent after 5 s");
  DmpiSchedStats stats;
  dmpi_sched_get_stats (s.sched, &stats);
  g_message ("scheduler exits: %" G_GUINT64_FORMAT " tasks finished, %" G_GUINT64_FORMAT " erred, %"
             G_GUINT64_FORMAT " moved to another worker by work stealing or a pause, %" G_GUINT64_FORMAT
             " sent ahead to wait on a worker for an input it computed (%" G_GUINT64_FORMAT " of them back: the input failed or moved)",
             stats.n_finished, stats.n_erred, stats.n_stolen, stats.n_sent_ahead, stats.n_ahead_dropped);
  if (s.shutdown_timeout != NULL)
    {
      g_source_destroy (s.shutdown_timeout);
      g_source_unref (s.shutdown_timeout);
    }
  if (report != NULL && *report != '\0')
    {
      g_autoptr(GError) report_error = NULL;
      if (dmpi_performance_report_write (s.sched, report, &report_error))
        g_message ("performance report written to %s", report);
      else
        g_warning ("no performance report: %s", report_error->message);
    }
  g_clear_pointer (&s.dashboard, dmpi_dashboard_free);
  g_list_free_full (s.module_loads, (GDestroyNotify) module_load_free);
  dmpi_transport_free (s.transport);
  /* MPI_Finalize waits for every rank; one that is stopped or hung would
   * hold the job forever. Exiting without it makes mpirun end the job. */
  int status = 0;
  guint missing = (guint) (s.size - 2) - MIN ((guint) (s.size - 2), g_hash_table_size (s.goodbyes));
  if (missing > 0)
    {
      g_warning ("%u worker%s did not say goodbye; exiting without MPI_Finalize so that mpirun ends them",
                 missing, missing == 1 ? "" : "s");
      status = 1;
    }
  else
    dmpi_transport_finalize_mpi ();
  for (int rank = 0; rank < s.size; rank++)
    {
      g_clear_pointer (&s.compute[rank], dmpi_task_batch_builder_free);
      g_clear_pointer (&s.free_ids[rank], g_array_unref);
      g_clear_pointer (&s.steal_ids[rank], g_array_unref);
    }
  g_free (s.compute);
  g_free (s.free_ids);
  g_free (s.steal_ids);
  g_clear_pointer (&s.report, dmpi_result_batch_builder_free);
  dmpi_sched_free (s.sched);
  g_ptr_array_unref (s.modules);
  g_hash_table_unref (s.worker_hello);
  g_hash_table_unref (s.goodbyes);
  g_hash_table_unref (s.lost);
  g_hash_table_unref (s.retired);
  g_hash_table_unref (s.replicas);
  g_main_loop_unref (s.loop);
  g_main_context_pop_thread_default (s.context);
  g_main_context_unref (s.context);
  return status;
}
