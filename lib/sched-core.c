/* The scheduler core: see sched-core.h. No I/O, no MPI, no clocks: time
 * comes in with the events. */
#include "config.h"

#include "sched-core.h"
#include "dmpi-error.h"

#include <math.h>
#include <string.h>

/* Keep each worker busy for about this long with tasks sent ahead, so that
 * the round trip to the scheduler hides behind work. */
#define SATURATION_SECONDS 0.005
#define MAX_SLOTS_PER_THREAD 4096u
#define DURATION_UNKNOWN 0.01
/* Stealing: what a steal costs besides moving the inputs (the STEAL, the
 * answer and the new COMPUTE, each through a busy loop), the bandwidth the
 * inputs move at (as in place()), and how many of the busiest workers one
 * decision looks at. */
#define STEAL_LATENCY 5e-4
#define STEAL_BANDWIDTH 1e9
#define STEAL_VICTIMS 4u
/* Tasks a worker remembers as sent (the newest; see WorkerEntry). */
#define SENT_RING 32u
/* Sending ahead (see dmpi_sched_set_sending_ahead): only tasks with at most
 * this many inputs (a check costs a pass over them), and at most this many
 * bytes of inputs in memory on other workers (a task sent ahead skips
 * place()'s weighing of bytes against load); the tasks a worker remembers
 * as candidates when its limit is reached. */
#define AHEAD_MAX_DEPS 8u
#define AHEAD_MAX_FETCH_BYTES ((guint64) 1 << 20)
#define AHEAD_CANDIDATES 8u

struct _DmpiSched {
  GHashTable *tasks;             /* id → DmpiSchedTask*, owned */
  GPtrArray  *workers;           /* index = rank, NULL where no worker */
  GArray     *actions;           /* of DmpiSchedAction */
  GPtrArray  *queued;            /* of PriorityBucket*, highest priority first: root
                                  * tasks waiting for a worker with room */
  guint64     n_queued;
  GQueue      no_worker;         /* tasks ready while no worker is alive */
  GHashTable *functions;         /* interned name → DmpiSchedFunction* */
  GPtrArray  *function_list;     /* the same, in order of first use */
  DmpiSchedStreamEntry *stream;  /* ring of DMPI_SCHED_STREAM_MAX */
  guint64     stream_seq;        /* entries ever written */
  GPtrArray  *errors;            /* of DmpiSchedErrorEntry*, oldest first */
  guint64     error_seq;
  double      mean_duration;     /* over all functions */
  guint64     next_order;
  DmpiSchedStats stats;
  /* Worker choice in O(log workers): the live workers in a binary min-heap
   * by load (n_processing / nthreads, then rank); see least_loaded(). */
  DmpiSchedWorker **heap;
  guint       heap_len, heap_cap;
  guint       min_nthreads;      /* over live workers: bounds the search for room */
  guint64    *place_bytes;       /* place()'s scratch, index = rank, all 0 between calls */
  guint       place_bytes_len;
  /* Stealing: the live workers with tasks to spare in a binary max-heap by
   * how many per thread, coarsely (see victim_level()); free threads over
   * the workers in the load heap (those that may take tasks); STEALs not
   * answered yet. */
  gboolean    stealing;
  DmpiSchedWorker **victims;
  guint       victims_len, victims_cap;
  guint64     idle_threads;
  guint64     n_steal_pending;
  int         avoid;             /* rank place() and restricted_choice() skip, or -1 */
  gboolean    ahead;             /* sending ahead (dmpi_sched_set_sending_ahead) */
  guint64     events_until_scan; /* rate limit of scan_sent() */
};

/* A worker as allocated: the public record and its place in the heap. */
typedef struct {
  DmpiSchedWorker pub;
  guint           heap_pos;      /* index in sched->heap, or G_MAXUINT when not in it */
  guint           victim_pos;    /* index in sched->victims, or G_MAXUINT */
  guint           victim_level;  /* its key there (victim_level()); 0 when not in it */
  guint           victim_lo, victim_hi;  /* tasks not asked back that keep that level */
  guint           idle;          /* its free threads as counted in sched->idle_threads */
  /* Where steals are taken from: the ids of the newest tasks sent to it
   * (the least likely started), ring[] below ring_top, n_ring of them, the
   * oldest overwritten; then, once those are used up, the ids a scan of all
   * tasks found on it (extra[], newest last). Only writes on the hot path:
   * a list of every task sent costs cache misses on every send and finish.
   * Entries are checked when used (the task may have left meanwhile). */
  guint           ring_top, n_ring;
  guint64        *extra;
  guint           n_extra, extra_cap;
  /* balance() found its newest task not worth a steal: that stays so while
   * its load does not change (load_stamp, bumped by every change) and the
   * task's function's duration estimate stays below unworthy_below (the
   * outcome only grows more likely with the duration). It is then not
   * looked at again: a lookup per idle thread per event otherwise. */
  guint           load_stamp, unworthy_stamp;
  const DmpiSchedFunction *unworthy_fn;       /* NULL: nothing known */
  double          unworthy_below;
  guint64         ring[SENT_RING];
  /* Tasks not sent ahead to it because it had DMPI_SCHED_AHEAD_PER_THREAD
   * per thread already: tried again as those start (the newest kept). */
  guint64         candidates[AHEAD_CANDIDATES];
  guint           n_candidates;
} WorkerEntry;

#define ENTRY(worker) ((WorkerEntry *) (worker))
#define HEAP_POS(worker) (ENTRY (worker)->heap_pos)
#define VICTIM_POS(worker) (ENTRY (worker)->victim_pos)

typedef struct {
  gint32 priority;
  GQueue tasks;                  /* by submission order */
} PriorityBucket;

static void
bucket_free (gpointer data)
{
  PriorityBucket *bucket = data;
  g_queue_clear (&bucket->tasks);
  g_free (bucket);
}

static PriorityBucket *
bucket_for (DmpiSched *sched, gint32 priority, gboolean create)
{
  guint i;

  for (i = 0; i < sched->queued->len; i++)
    {
      PriorityBucket *bucket = g_ptr_array_index (sched->queued, i);
      if (bucket->priority == priority)
        return bucket;
      if (bucket->priority < priority)
        break;
    }
  if (!create)
    return NULL;
  PriorityBucket *bucket = g_new0 (PriorityBucket, 1);
  bucket->priority = priority;
  g_queue_init (&bucket->tasks);
  g_ptr_array_insert (sched->queued, (gint) i, bucket);
  return bucket;
}

static void
queued_push (DmpiSched *sched, DmpiSchedTask *task)
{
  PriorityBucket *bucket = bucket_for (sched, task->priority, TRUE);

  g_queue_push_tail (&bucket->tasks, task);
  task->queue_link = bucket->tasks.tail;
  sched->n_queued++;
}

/* A task given back goes first: it was handed out before those queued. */
static void
queued_push_head (DmpiSched *sched, DmpiSchedTask *task)
{
  PriorityBucket *bucket = bucket_for (sched, task->priority, TRUE);

  g_queue_push_head (&bucket->tasks, task);
  task->queue_link = bucket->tasks.head;
  sched->n_queued++;
}

static DmpiSchedTask *
queued_pop (DmpiSched *sched)
{
  while (sched->queued->len > 0)
    {
      PriorityBucket *bucket = g_ptr_array_index (sched->queued, 0);
      DmpiSchedTask *task = g_queue_pop_head (&bucket->tasks);
      if (task != NULL)
        {
          task->queue_link = NULL;
          sched->n_queued--;
          return task;
        }
      g_ptr_array_remove_index (sched->queued, 0);
    }
  return NULL;
}

static void
queued_remove (DmpiSched *sched, DmpiSchedTask *task)
{
  PriorityBucket *bucket = bucket_for (sched, task->priority, FALSE);

  if (bucket == NULL || task->queue_link == NULL)
    return;
  g_queue_delete_link (&bucket->tasks, task->queue_link);
  task->queue_link = NULL;
  sched->n_queued--;
}

static const char *const state_names[DMPI_TASK_N_STATES] = {
  "released", "waiting", "no-worker", "queued", "processing", "memory", "erred", "forgotten",
};

const char *
dmpi_task_state_name (DmpiTaskState state)
{
  return state < DMPI_TASK_N_STATES ? state_names[state] : "invalid";
}

/* Every state change comes through here: it keeps the counts by state and
 * each holder's n_held (a task in memory with its holder set before).
 * Inline: it is on every path of every task. */
static inline void
set_state (DmpiSched *sched, DmpiSchedTask *task, DmpiTaskState state)
{
  if ((task->state == DMPI_TASK_MEMORY || state == DMPI_TASK_MEMORY) && task->holder >= 0
      && (guint) task->holder < sched->workers->len && sched->workers->pdata[task->holder] != NULL)
    ((DmpiSchedWorker *) sched->workers->pdata[task->holder])->n_held += task->state == DMPI_TASK_MEMORY ? -1 : 1;
  sched->stats.n_by_state[task->state]--;
  sched->stats.n_by_state[state]++;
  task->fn->n_by_state[task->state]--;
  task->fn->n_by_state[state]++;
  task->state = state;
}

static DmpiSchedFunction *
function_stats (DmpiSched *sched, const char *interned)
{
  DmpiSchedFunction *fn = g_hash_table_lookup (sched->functions, interned);

  if (fn == NULL)
    {
      fn = g_new0 (DmpiSchedFunction, 1);
      fn->name = interned;
      fn->duration = -1;
      g_hash_table_insert (sched->functions, (gpointer) interned, fn);
      g_ptr_array_add (sched->function_list, fn);
    }
  return fn;
}

static void
error_entry_free (gpointer data)
{
  DmpiSchedErrorEntry *e = data;
  g_free (e->key);
  g_free (e->message);
  g_free (e);
}

/* Memory per task (measured by contrib/sim): task records and deps arrays
 * come from GLib's slice allocator (no per-block malloc header), a task
 * without dependencies shares one empty deps array (deps != NULL still
 * means "not finished"), and dependents are a DmpiSchedIdList. */
static DmpiSchedTask *no_deps[1];

static DmpiSchedTask **
new_deps (guint n)
{
  /* From the slice allocator too: one dependency takes 16 bytes, not a
   * 32-byte malloc chunk. */
  return n > 0 ? g_slice_alloc (n * sizeof (DmpiSchedTask *)) : no_deps;
}

static void
free_deps (DmpiSchedTask **deps, guint n)
{
  if (deps != NULL && deps != no_deps)
    g_slice_free1 (n * sizeof (DmpiSchedTask *), deps);
}

/* Most tasks have one dependent. It is kept in the dependents pointer
 * itself, as (id << 1) | 1 (a real list is 8-aligned, so its low bit is 0),
 * and costs no allocation; a second one turns it into a list. */
#define ONE_DEPENDENT(list) ((GPOINTER_TO_SIZE (list) & 1) != 0)

static guint
n_dependents (const DmpiSchedTask *task)
{
  if (task->dependents == NULL)
    return 0;
  return ONE_DEPENDENT (task->dependents) ? 1 : task->dependents->len;
}

static guint64
dependent_at (const DmpiSchedTask *task, guint i)
{
  if (ONE_DEPENDENT (task->dependents))
    return (guint64) GPOINTER_TO_SIZE (task->dependents) >> 1;
  return task->dependents->ids[i];
}

static void
id_list_append (DmpiSchedIdList **list, guint64 id)
{
  DmpiSchedIdList *l = *list;

  G_STATIC_ASSERT (sizeof (gpointer) == sizeof (guint64) || sizeof (gpointer) == 4);
  if (l == NULL && sizeof (gpointer) == sizeof (guint64) && id < (G_GUINT64_CONSTANT (1) << 63))
    {
      *list = GSIZE_TO_POINTER ((gsize) (id << 1) | 1);
      return;
    }
  if (l != NULL && ONE_DEPENDENT (l))
    {
      guint64 first = (guint64) GPOINTER_TO_SIZE (l) >> 1;
      l = g_malloc (sizeof (DmpiSchedIdList) + 2 * sizeof (guint64));
      l->len = 1;
      l->alloc = 2;
      l->ids[0] = first;
      *list = l;
    }
  if (l == NULL || l->len == l->alloc)
    {
      /* 1 id fits the smallest malloc chunk with its header; then double. */
      guint32 alloc = l == NULL ? 1 : 2 * l->alloc;
      l = g_realloc (l, sizeof (DmpiSchedIdList) + alloc * sizeof (guint64));
      if (*list == NULL)
        l->len = 0;
      l->alloc = alloc;
      *list = l;
    }
  l->ids[l->len++] = id;
}

static void
task_free (gpointer data)
{
  DmpiSchedTask *task = data;

  g_free (task->key);
  g_free (task->args);
  g_free (task->restrict_to);
  free_deps (task->deps, task->n_deps);
  if (!(GPOINTER_TO_SIZE (task->dependents) & 1))
    g_free (task->dependents);
  g_free (task->error);
  g_slice_free (DmpiSchedTask, task);
}

static void
worker_free (gpointer data)
{
  DmpiSchedWorker *worker = data;

  if (worker == NULL)
    return;
  g_free (worker->host);
  g_free (ENTRY (worker)->extra);
  g_free (worker);
}

DmpiSched *
dmpi_sched_new (void)
{
  DmpiSched *sched = g_new0 (DmpiSched, 1);

  sched->tasks = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, task_free);
  sched->workers = g_ptr_array_new_with_free_func (worker_free);
  sched->actions = g_array_new (FALSE, FALSE, sizeof (DmpiSchedAction));
  sched->queued = g_ptr_array_new_with_free_func (bucket_free);
  g_queue_init (&sched->no_worker);
  sched->functions = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  sched->function_list = g_ptr_array_new ();
  sched->stream = g_new0 (DmpiSchedStreamEntry, DMPI_SCHED_STREAM_MAX);
  sched->errors = g_ptr_array_new_with_free_func (error_entry_free);
  sched->mean_duration = -1;
  sched->stealing = TRUE;
  sched->avoid = -1;
  return sched;
}

void
dmpi_sched_free (DmpiSched *sched)
{
  if (sched == NULL)
    return;
  dmpi_sched_clear_actions (sched);
  g_array_unref (sched->actions);
  g_ptr_array_unref (sched->queued);
  g_queue_clear (&sched->no_worker);
  g_hash_table_unref (sched->tasks);
  g_ptr_array_unref (sched->workers);
  g_ptr_array_unref (sched->function_list);
  g_hash_table_unref (sched->functions);
  g_free (sched->stream);
  g_ptr_array_unref (sched->errors);
  g_free (sched->heap);
  g_free (sched->victims);
  g_free (sched->place_bytes);
  g_free (sched);
}

/* ---- actions ---- */

static void
push_action (DmpiSched *sched, const DmpiSchedAction *action)
{
  g_array_append_vals (sched->actions, action, 1);
}

static void
report (DmpiSched *sched, DmpiSchedTask *task)
{
  if (!task->wanted)
    return;
  DmpiSchedAction action = {
    .kind = DMPI_ACTION_REPORT,
    .worker = task->holder,
    .id = task->id,
    .state = task->state,
    .error_code = task->error_code,
    .nbytes = task->nbytes,
    .message = task->error != NULL ? g_strdup (task->error) : NULL,
  };
  push_action (sched, &action);
}

const DmpiSchedAction *
dmpi_sched_get_actions (DmpiSched *sched, guint *n_actions)
{
  *n_actions = sched->actions->len;
  return (const DmpiSchedAction *) (gpointer) sched->actions->data;
}

void
dmpi_sched_clear_actions (DmpiSched *sched)
{
  for (guint i = 0; i < sched->actions->len; i++)
    g_free (g_array_index (sched->actions, DmpiSchedAction, i).message);
  g_array_set_size (sched->actions, 0);
}

/* ---- workers ---- */

DmpiSchedWorker *
dmpi_sched_get_worker (DmpiSched *sched, int rank)
{
  if (rank < 0 || (guint) rank >= sched->workers->len)
    return NULL;
  return g_ptr_array_index (sched->workers, rank);
}

GPtrArray *
dmpi_sched_list_workers (DmpiSched *sched)
{
  GPtrArray *list = g_ptr_array_new ();

  for (guint i = 0; i < sched->workers->len; i++)
    {
      DmpiSchedWorker *worker = g_ptr_array_index (sched->workers, i);
      if (worker != NULL && worker->alive)
        g_ptr_array_add (list, worker);
    }
  return list;
}

double
dmpi_sched_get_duration_estimate (DmpiSched *sched, const char *function)
{
  DmpiSchedFunction *fn = g_hash_table_lookup (sched->functions, g_intern_string (function));

  if (fn != NULL && fn->duration >= 0)
    return fn->duration;
  return sched->mean_duration >= 0 ? sched->mean_duration : DURATION_UNKNOWN;
}

GPtrArray *
dmpi_sched_list_functions (DmpiSched *sched)
{
  return sched->function_list;
}

GPtrArray *
dmpi_sched_list_errors (DmpiSched *sched)
{
  return sched->errors;
}

gsize
dmpi_sched_read_stream (DmpiSched *sched, guint64 after, DmpiSchedStreamEntry *out, gsize max)
{
  guint64 oldest = sched->stream_seq > DMPI_SCHED_STREAM_MAX ? sched->stream_seq - DMPI_SCHED_STREAM_MAX : 0;
  guint64 from = MAX (after, oldest);
  gsize n = 0;

  for (guint64 seq = from; seq < sched->stream_seq && n < max; seq++)
    out[n++] = sched->stream[seq % DMPI_SCHED_STREAM_MAX];
  return n;
}

static void
record_run (DmpiSched *sched, DmpiSchedTask *task, int rank, guint thread, double start, double stop,
            gboolean erred)
{
  DmpiSchedStreamEntry *e = &sched->stream[sched->stream_seq % DMPI_SCHED_STREAM_MAX];

  e->seq = ++sched->stream_seq;
  e->id = task->id;
  e->rank = rank;
  e->thread = thread;
  e->function = task->function;
  e->start = start;
  e->stop = stop;
  e->erred = erred;
}

void
dmpi_sched_worker_heartbeat (DmpiSched *sched, int rank, guint executing, guint64 stored_bytes,
                             guint64 rss, double cpu_seconds, double now)
{
  DmpiSchedWorker *worker = dmpi_sched_get_worker (sched, rank);

  if (worker == NULL)
    return;
  if (worker->last_heartbeat > 0 && worker->cpu_seconds > 0 && now > worker->last_heartbeat)
    worker->cpu_percent = MAX (0.0, 100.0 * (cpu_seconds - worker->cpu_seconds) / (now - worker->last_heartbeat));
  worker->executing = executing;
  worker->stored_bytes = stored_bytes;
  worker->rss = rss;
  worker->cpu_seconds = cpu_seconds;
  worker->last_heartbeat = now;
}

guint
dmpi_sched_worker_slots (DmpiSched *sched, const DmpiSchedWorker *worker)
{
  double mean = sched->mean_duration >= 0 ? sched->mean_duration : DURATION_UNKNOWN;
  double per_thread = ceil (SATURATION_SECONDS / MAX (mean, 1e-7));

  per_thread = CLAMP (per_thread, 2.0, (double) MAX_SLOTS_PER_THREAD);
  return worker->nthreads * (guint) per_thread;
}

static void learn_duration (DmpiSched *sched, DmpiSchedFunction *fn, double seconds)
{
  if (!(seconds >= 0))
    return;
  fn->duration = fn->duration < 0 ? seconds : 0.9 * fn->duration + 0.1 * seconds;
  fn->busy_seconds += seconds;
  sched->mean_duration = sched->mean_duration < 0 ? seconds : 0.95 * sched->mean_duration + 0.05 * seconds;
}

/* ---- the heap of live workers by load ---- */

/* @a is less loaded than @b: n_processing / nthreads compared exactly, ties
 * to the lower rank (as the scan over ranks that this replaces did). */
static gboolean
load_less (const DmpiSchedWorker *a, const DmpiSchedWorker *b)
{
  guint64 la = (guint64) a->n_processing * b->nthreads, lb = (guint64) b->n_processing * a->nthreads;

  return la < lb || (la == lb && a->rank < b->rank);
}

static void
heap_set (DmpiSched *sched, guint i, DmpiSchedWorker *worker)
{
  sched->heap[i] = worker;
  HEAP_POS (worker) = i;
}

static void
heap_up (DmpiSched *sched, guint i)
{
  DmpiSchedWorker *worker = sched->heap[i];

  while (i > 0 && load_less (worker, sched->heap[(i - 1) / 2]))
    {
      heap_set (sched, i, sched->heap[(i - 1) / 2]);
      i = (i - 1) / 2;
    }
  heap_set (sched, i, worker);
}

static void
heap_down (DmpiSched *sched, guint i)
{
  DmpiSchedWorker *worker = sched->heap[i];

  for (;;)
    {
      guint c = 2 * i + 1;
      if (c >= sched->heap_len)
        break;
      if (c + 1 < sched->heap_len && load_less (sched->heap[c + 1], sched->heap[c]))
        c++;
      if (!load_less (sched->heap[c], worker))
        break;
      heap_set (sched, i, sched->heap[c]);
      i = c;
    }
  heap_set (sched, i, worker);
}

/* Keep sched->idle_threads, the free threads of the workers that may take
 * tasks (those in the load heap), up to date for @worker. */
static void
count_idle (DmpiSched *sched, DmpiSchedWorker *worker)
{
  WorkerEntry *e = ENTRY (worker);
  guint idle = HEAP_POS (worker) != G_MAXUINT && worker->n_processing < worker->nthreads
               ? worker->nthreads - worker->n_processing : 0;

  sched->idle_threads = sched->idle_threads - e->idle + idle;
  e->idle = idle;
}

static void
heap_insert (DmpiSched *sched, DmpiSchedWorker *worker)
{
  if (sched->heap_len == sched->heap_cap)
    {
      sched->heap_cap = MAX (2 * sched->heap_cap, 16u);
      sched->heap = g_renew (DmpiSchedWorker *, sched->heap, sched->heap_cap);
    }
  heap_set (sched, sched->heap_len++, worker);
  heap_up (sched, sched->heap_len - 1);
  count_idle (sched, worker);
}

static void
heap_remove (DmpiSched *sched, DmpiSchedWorker *worker)
{
  guint i = HEAP_POS (worker);

  if (i == G_MAXUINT)
    return;
  HEAP_POS (worker) = G_MAXUINT;
  count_idle (sched, worker);
  DmpiSchedWorker *last = sched->heap[--sched->heap_len];
  if (last == worker)
    return;
  heap_set (sched, i, last);
  heap_up (sched, i);
  heap_down (sched, HEAP_POS (last));
}

/* ---- the heap of live workers by work they could give away ---- */

/* How much @worker has to spare: its tasks not asked back beyond one per
 * thread, per thread, on a log scale in quarters of a thread (0: none, 1:
 * under a quarter, 2: under three quarters, ...). Coarse on purpose: the
 * heap moves a worker only when its level changes, not on every task sent
 * or finished, and stealing from a worker within a factor of two of the
 * busiest does as well as from the busiest. */
static guint
victim_level (const DmpiSchedWorker *worker)
{
  guint surplus = worker->n_processing - worker->n_stealing;

  if (surplus <= worker->nthreads)
    return 0;
  return g_bit_storage (1 + (gulong) (surplus - worker->nthreads) * 4 / worker->nthreads);
}

/* The tasks not asked back, [*lo, *hi), for which @worker's level is @level
 * (checked against victim_level() for every count up to 300 threads). */
static void
victim_bounds (const DmpiSchedWorker *worker, guint level, guint *lo, guint *hi)
{
  guint64 t = worker->nthreads;

  if (level == 0)
    {
      *lo = 0;
      *hi = (guint) MIN (t + 1, G_MAXUINT);
      return;
    }
  /* Level k holds while (surplus - t) * 4 / t lies in [2^(k-1) - 1, 2^k - 1). */
  guint64 m_lo = (G_GUINT64_CONSTANT (1) << (level - 1)) - 1, m_hi = (G_GUINT64_CONSTANT (1) << level) - 1;
  guint64 l = level == 1 ? t + 1 : t + (m_lo * t + 3) / 4;
  guint64 h = t + (m_hi * t + 3) / 4;
  *lo = (guint) MIN (l, G_MAXUINT);
  *hi = (guint) MIN (h, G_MAXUINT);
}

/* @a has more to spare than @b; ties to the lower rank. */
static gboolean
victim_before (const DmpiSchedWorker *a, const DmpiSchedWorker *b)
{
  guint la = ENTRY (a)->victim_level, lb = ENTRY (b)->victim_level;

  return la > lb || (la == lb && a->rank < b->rank);
}

static void
victims_set (DmpiSched *sched, guint i, DmpiSchedWorker *worker)
{
  sched->victims[i] = worker;
  VICTIM_POS (worker) = i;
}

static void
victims_up (DmpiSched *sched, guint i)
{
  DmpiSchedWorker *worker = sched->victims[i];

  while (i > 0 && victim_before (worker, sched->victims[(i - 1) / 2]))
    {
      victims_set (sched, i, sched->victims[(i - 1) / 2]);
      i = (i - 1) / 2;
    }
  victims_set (sched, i, worker);
}

static void
victims_down (DmpiSched *sched, guint i)
{
  DmpiSchedWorker *worker = sched->victims[i];

  for (;;)
    {
      guint c = 2 * i + 1;
      if (c >= sched->victims_len)
        break;
      if (c + 1 < sched->victims_len && victim_before (sched->victims[c + 1], sched->victims[c]))
        c++;
      if (!victim_before (sched->victims[c], worker))
        break;
      victims_set (sched, i, sched->victims[c]);
      i = c;
    }
  victims_set (sched, i, worker);
}

static void
victims_insert (DmpiSched *sched, DmpiSchedWorker *worker)
{
  if (sched->victims_len == sched->victims_cap)
    {
      sched->victims_cap = MAX (2 * sched->victims_cap, 16u);
      sched->victims = g_renew (DmpiSchedWorker *, sched->victims, sched->victims_cap);
    }
  victims_set (sched, sched->victims_len++, worker);
  victims_up (sched, sched->victims_len - 1);
}

static void
victims_remove (DmpiSched *sched, DmpiSchedWorker *worker)
{
  guint i = VICTIM_POS (worker);

  if (i == G_MAXUINT)
    return;
  VICTIM_POS (worker) = G_MAXUINT;
  DmpiSchedWorker *last = sched->victims[--sched->victims_len];
  if (last == worker)
    return;
  victims_set (sched, i, last);
  victims_up (sched, i);
  victims_down (sched, VICTIM_POS (last));
}

/* Put @worker where its level says in the victims' heap: in it while it
 * is alive, has tasks to spare and stealing is on. Called directly when
 * its liveness, thread count or stealing changes; victims_update() checks
 * its level's range first. */
static void
victims_relevel (DmpiSched *sched, DmpiSchedWorker *worker)
{
  WorkerEntry *e = ENTRY (worker);
  guint level = 0;

  if (sched->stealing && worker->alive)
    {
      level = victim_level (worker);
      victim_bounds (worker, level, &e->victim_lo, &e->victim_hi);
    }
  else
    {
      e->victim_lo = 0;                 /* level 0 whatever its load */
      e->victim_hi = G_MAXUINT;
    }
  if (level == e->victim_level)
    return;
  e->victim_level = level;
  if (level == 0)
    victims_remove (sched, worker);
  else if (e->victim_pos == G_MAXUINT)
    victims_insert (sched, worker);
  else
    {
      victims_up (sched, e->victim_pos);
      victims_down (sched, e->victim_pos);
    }
}

/* The level stays while its tasks not asked back stay in range: two
 * compares on every load change, the heap only when it moves. */
static inline void
victims_update (DmpiSched *sched, DmpiSchedWorker *worker)
{
  WorkerEntry *e = ENTRY (worker);
  guint surplus = worker->n_processing - worker->n_stealing;

  if (surplus < e->victim_lo || surplus >= e->victim_hi)
    victims_relevel (sched, worker);
}

/* Every change of a live worker's n_processing, n_stealing or nthreads
 * must come through here, or the heaps go stale. @delta: the change of
 * n_processing if known (+1 or -1: the load heap moves one way), else 0. */
static inline void
worker_load_changed_by (DmpiSched *sched, DmpiSchedWorker *worker, int delta)
{
  guint i = HEAP_POS (worker);

  ENTRY (worker)->load_stamp++;
  if (i != G_MAXUINT)
    {
      if (delta <= 0)
        heap_up (sched, i);
      if (delta >= 0)
        heap_down (sched, HEAP_POS (worker));
      count_idle (sched, worker);
    }
  victims_update (sched, worker);
}

static void
worker_load_changed (DmpiSched *sched, DmpiSchedWorker *worker)
{
  worker_load_changed_by (sched, worker, 0);
}

static guint
slots_per_thread (DmpiSched *sched)
{
  double mean = sched->mean_duration >= 0 ? sched->mean_duration : DURATION_UNKNOWN;
  double per_thread = ceil (SATURATION_SECONDS / MAX (mean, 1e-7));

  return (guint) CLAMP (per_thread, 2.0, (double) MAX_SLOTS_PER_THREAD);
}

/* Refill a worker only once it has run down to half its slots, so that
 * tasks go out in runs rather than one per finished task. */
static gboolean
has_room (const DmpiSchedWorker *worker, guint per_thread)
{
  guint slots = worker->nthreads * per_thread;

  return worker->n_processing < slots && (slots < 8 || 2 * worker->n_processing <= slots);
}

/* The least loaded worker with room in the subtree of heap node @i. A
 * worker has room only below pt = @per_thread tasks a thread, or at most
 * pt/2 when its slots are 8 or more; loads only grow down the heap, so a
 * node past the bound ends the search below it. When every live worker has
 * 8 slots or more this looks at the top alone. */
static void
search_room (DmpiSched *sched, guint i, guint per_thread, DmpiSchedWorker **best)
{
  if (i >= sched->heap_len)
    return;
  DmpiSchedWorker *w = sched->heap[i];
  guint64 n = w->n_processing, limit = (guint64) w->nthreads * per_thread;
  if (n >= limit || (sched->min_nthreads * per_thread >= 8 && 2 * n > limit))
    return;
  if (*best != NULL && !load_less (w, *best))
    return;
  if (has_room (w, per_thread))
    {
      *best = w;                  /* its subtree is no less loaded */
      return;
    }
  search_room (sched, 2 * i + 1, per_thread, best);
  search_room (sched, 2 * i + 2, per_thread, best);
}

/* The least loaded live worker with room, or with @ignore_room the least
 * loaded live worker; NULL when none. */
static DmpiSchedWorker *
least_loaded (DmpiSched *sched, gboolean ignore_room)
{
  DmpiSchedWorker *best = NULL;

  if (sched->heap_len == 0)
    return NULL;
  if (ignore_room)
    return sched->heap[0];
  search_room (sched, 0, slots_per_thread (sched), &best);
  return best;
}

/* @id if it is still processing on @rank and not asked back. */
static DmpiSchedTask *
still_sent (DmpiSched *sched, guint64 id, int rank)
{
  DmpiSchedTask *task = dmpi_sched_lookup (sched, id);

  return task != NULL && task->state == DMPI_TASK_PROCESSING && task->worker == rank && !task->stealing
         && !task->refused && !task->ahead ? task : NULL;
}

static void
sent_append (DmpiSchedWorker *worker, guint64 id)
{
  WorkerEntry *e = ENTRY (worker);

  e->ring[e->ring_top] = id;
  e->ring_top = (e->ring_top + 1) % SENT_RING;
  e->n_ring = MIN (e->n_ring + 1, SENT_RING);
}

/* The newest task remembered as sent to @worker and not asked back, or
 * NULL; sent_pop() then drops it. */
static DmpiSchedTask *
newest_sent (DmpiSched *sched, DmpiSchedWorker *worker)
{
  WorkerEntry *e = ENTRY (worker);

  for (; e->n_ring > 0; e->n_ring--)
    {
      guint i = (e->ring_top + SENT_RING - 1) % SENT_RING;
      DmpiSchedTask *task = still_sent (sched, e->ring[i], worker->rank);
      if (task != NULL)
        return task;
      e->ring_top = i;
    }
  for (; e->n_extra > 0; e->n_extra--)
    {
      DmpiSchedTask *task = still_sent (sched, e->extra[e->n_extra - 1], worker->rank);
      if (task != NULL)
        return task;
    }
  return NULL;
}

static void
sent_pop (DmpiSchedWorker *worker)
{
  WorkerEntry *e = ENTRY (worker);

  if (e->n_ring > 0)
    {
      e->ring_top = (e->ring_top + SENT_RING - 1) % SENT_RING;
      e->n_ring--;
    }
  else if (e->n_extra > 0)
    e->n_extra--;
}

static void
sent_forget (DmpiSchedWorker *worker)
{
  ENTRY (worker)->n_ring = ENTRY (worker)->n_extra = 0;
  ENTRY (worker)->unworthy_fn = NULL;
}

/* A worker has more tasks than its ring remembers (placement piled them
 * there): one pass over all tasks lists every worker's processing tasks in
 * extra[]. Costs O(tasks), so at most once per that many events. */
static gboolean
scan_sent (DmpiSched *sched)
{
  GHashTableIter iter;
  gpointer value;

  if (sched->events_until_scan > 0)
    return FALSE;
  sched->events_until_scan = g_hash_table_size (sched->tasks);
  for (guint i = 0; i < sched->workers->len; i++)
    {
      DmpiSchedWorker *worker = g_ptr_array_index (sched->workers, i);
      if (worker != NULL)
        ENTRY (worker)->n_extra = 0;
    }
  g_hash_table_iter_init (&iter, sched->tasks);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      DmpiSchedTask *task = value;
      if (task->state != DMPI_TASK_PROCESSING || task->stealing || task->refused || task->ahead)
        continue;
      DmpiSchedWorker *worker = dmpi_sched_get_worker (sched, task->worker);
      if (worker == NULL)
        continue;
      WorkerEntry *e = ENTRY (worker);
      if (e->n_extra == e->extra_cap)
        {
          e->extra_cap = MAX (2 * e->extra_cap, 16u);
          e->extra = g_renew (guint64, e->extra, e->extra_cap);
        }
      e->extra[e->n_extra++] = task->id;
    }
  return TRUE;
}

static void send_ahead_after (DmpiSched *sched, DmpiSchedTask *task);

static void
push_compute (DmpiSched *sched, DmpiSchedTask *task, DmpiSchedWorker *worker)
{
  DmpiSchedAction action = {
    .kind = DMPI_ACTION_COMPUTE,
    .worker = worker->rank,
    .id = task->id,
    .task = task,
  };
  push_action (sched, &action);
}

static void
send_to_worker (DmpiSched *sched, DmpiSchedTask *task, DmpiSchedWorker *worker)
{
  set_state (sched, task, DMPI_TASK_PROCESSING);
  task->worker = worker->rank;
  task->refused = FALSE;
  worker->n_processing++;
  worker_load_changed_by (sched, worker, +1);
  sent_append (worker, task->id);
  push_compute (sched, task, worker);
  send_ahead_after (sched, task);
}

static double
function_duration (DmpiSched *sched, const DmpiSchedFunction *fn)
{
  return fn->duration >= 0 ? fn->duration : sched->mean_duration >= 0 ? sched->mean_duration : DURATION_UNKNOWN;
}

static double
task_duration (DmpiSched *sched, const DmpiSchedTask *task)
{
  return function_duration (sched, task->fn);
}

/* @worker may be given a new task: alive, not paused, not the one a task
 * given back is leaving. */
static gboolean
may_take (DmpiSched *sched, const DmpiSchedWorker *worker)
{
  return worker != NULL && worker->alive && !worker->paused && worker->rank != sched->avoid;
}

/* Where a task with dependencies goes: the worker already holding most of
 * its input bytes, unless that worker is far busier than the least busy one
 * (moving the inputs is then cheaper than waiting). Linear in the
 * dependencies: bytes are summed per holder in a scratch array by rank. */
static DmpiSchedWorker *
place (DmpiSched *sched, DmpiSchedTask *task)
{
  DmpiSchedWorker *idle = least_loaded (sched, TRUE);
  DmpiSchedWorker *best = NULL;
  guint64 best_bytes = 0;

  if (idle == NULL)
    return NULL;
  for (guint i = 0; i < task->n_deps; i++)
    {
      DmpiSchedWorker *holder = dmpi_sched_get_worker (sched, task->deps[i]->holder);
      if (may_take (sched, holder) && (guint) holder->rank < sched->place_bytes_len)
        sched->place_bytes[holder->rank] += task->deps[i]->nbytes + 1;
    }
  /* The first holder in dependency order wins a tie. */
  for (guint i = 0; i < task->n_deps; i++)
    {
      DmpiSchedWorker *holder = dmpi_sched_get_worker (sched, task->deps[i]->holder);
      if (!may_take (sched, holder) || (guint) holder->rank >= sched->place_bytes_len)
        continue;
      guint64 bytes = sched->place_bytes[holder->rank];
      if (best == NULL || bytes > best_bytes)
        {
          best = holder;
          best_bytes = bytes;
        }
    }
  for (guint i = 0; i < task->n_deps; i++)
    {
      int rank = task->deps[i]->holder;
      if (rank >= 0 && (guint) rank < sched->place_bytes_len)
        sched->place_bytes[rank] = 0;
    }
  if (best == NULL)
    return idle;
  /* Time to move the bytes (at ~1 GB/s) against the time to wait behind the
   * holder's extra work. */
  /* The wait is counted in this task's own function's learned duration:
   * a global mean, inflated by slow functions, would send many quick tasks
   * away from a large input and copy it to every worker. */
  double duration = task_duration (sched, task);
  double extra_wait = ((double) best->n_processing / best->nthreads
                       - (double) idle->n_processing / idle->nthreads) * duration;
  double move = (double) best_bytes / 1e9;
  return extra_wait > move + 0.001 ? idle : best;
}

static void fill_workers (DmpiSched *sched);

/* A task whose dependencies are all in memory. */
/* The least loaded live worker among those @task may run on. */
static DmpiSchedWorker *
restricted_choice (DmpiSched *sched, DmpiSchedTask *task)
{
  DmpiSchedWorker *best = NULL;

  for (guint i = 0; i < task->n_restrict; i++)
    {
      DmpiSchedWorker *w = dmpi_sched_get_worker (sched, task->restrict_to[i]);
      if (may_take (sched, w)
          && (best == NULL || (double) w->n_processing / w->nthreads < (double) best->n_processing / best->nthreads))
        best = w;
    }
  return best;
}

/* A root task with no restriction waits in the scheduler's queue; any
 * other ready task is placed on a worker at once. */
static gboolean
goes_to_queue (const DmpiSchedTask *task)
{
  return task->n_restrict == 0 && task->n_deps == 0;
}

/* The worker for a ready task that does not go to the queue, or NULL when
 * none may take it. */
static DmpiSchedWorker *
choose_worker (DmpiSched *sched, DmpiSchedTask *task)
{
  return task->n_restrict > 0 ? restricted_choice (sched, task) : place (sched, task);
}

static void
make_ready (DmpiSched *sched, DmpiSchedTask *task)
{
  if (goes_to_queue (task))
    {
      set_state (sched, task, DMPI_TASK_QUEUED);
      queued_push (sched, task);
      return;
    }
  DmpiSchedWorker *worker = choose_worker (sched, task);
  if (worker == NULL)
    {
      set_state (sched, task, DMPI_TASK_NO_WORKER);
      g_queue_push_tail (&sched->no_worker, task);
      return;
    }
  send_to_worker (sched, task, worker);
}

/* ---- sending ahead (see dmpi_sched_set_sending_ahead) ---- */

int
dmpi_sched_input_rank (const DmpiSchedTask *dep)
{
  g_return_val_if_fail (dep != NULL, -1);
  if (dep->state == DMPI_TASK_MEMORY)
    return dep->holder;
  return dep->state == DMPI_TASK_PROCESSING ? dep->worker : -1;
}

static gboolean
may_run_on (const DmpiSchedTask *task, const DmpiSchedWorker *worker)
{
  if (task->n_restrict == 0)
    return TRUE;
  for (guint i = 0; i < task->n_restrict; i++)
    if (task->restrict_to[i] == worker->rank)
      return TRUE;
  return FALSE;
}

static gboolean
ahead_full (const DmpiSchedWorker *worker)
{
  return worker->n_ahead >= DMPI_SCHED_AHEAD_PER_THREAD * worker->nthreads;
}

static void
remember_candidate (DmpiSchedWorker *worker, guint64 id)
{
  WorkerEntry *e = ENTRY (worker);

  for (guint i = 0; i < e->n_candidates; i++)
    if (e->candidates[i] == id)
      return;
  if (e->n_candidates == AHEAD_CANDIDATES)
    {
      memmove (e->candidates, e->candidates + 1, (AHEAD_CANDIDATES - 1) * sizeof (guint64));
      e->n_candidates--;
    }
  e->candidates[e->n_candidates++] = id;
}

/* Send @task ahead if it qualifies: waiting for one input only, which is
 * processing (or itself sent ahead) on a worker that may run @task, has
 * room for one more, and would not fetch much from elsewhere. TRUE if sent. */
static gboolean
try_send_ahead (DmpiSched *sched, DmpiSchedTask *task)
{
  if (!sched->ahead || task->state != DMPI_TASK_WAITING || task->n_waiting != 1
      || task->n_deps > AHEAD_MAX_DEPS)
    return FALSE;
  DmpiSchedTask *input = NULL;
  for (guint i = 0; i < task->n_deps; i++)
    if (task->deps[i]->state != DMPI_TASK_MEMORY)
      input = task->deps[i];
  if (input == NULL || input->state != DMPI_TASK_PROCESSING || input->stealing)
    return FALSE;
  DmpiSchedWorker *worker = dmpi_sched_get_worker (sched, input->worker);
  if (!may_take (sched, worker) || !may_run_on (task, worker))
    return FALSE;
  guint64 fetch = 0;
  for (guint i = 0; i < task->n_deps; i++)
    if (task->deps[i] != input && task->deps[i]->holder != worker->rank)
      fetch += task->deps[i]->nbytes;
  if (fetch > AHEAD_MAX_FETCH_BYTES)
    return FALSE;
  if (ahead_full (worker))
    {
      remember_candidate (worker, task->id);
      return FALSE;
    }
  set_state (sched, task, DMPI_TASK_PROCESSING);
  task->worker = worker->rank;
  task->refused = FALSE;
  task->ahead = TRUE;
  worker->n_ahead++;
  sched->stats.n_sent_ahead++;
  push_compute (sched, task, worker);
  send_ahead_after (sched, task);
  return TRUE;
}

/* @task was just sent, or sent ahead: what waits for it alone may follow.
 * Stops at the first dependent its worker has no room for (remembered as a
 * candidate): a fan-out is placed by place() once @task is done. */
static void
send_ahead_after (DmpiSched *sched, DmpiSchedTask *task)
{
  if (!sched->ahead || task->dependents == NULL)
    return;
  DmpiSchedWorker *worker = dmpi_sched_get_worker (sched, task->worker);
  guint n = n_dependents (task);
  for (guint i = 0; i < n && worker != NULL; i++)
    {
      DmpiSchedTask *d = dmpi_sched_lookup (sched, dependent_at (task, i));
      if (d == NULL || d->state != DMPI_TASK_WAITING || d->n_waiting != 1)
        continue;
      if (ahead_full (worker))
        {
          if (may_run_on (d, worker))
            remember_candidate (worker, d->id);
          break;
        }
      try_send_ahead (sched, d);
    }
}

static void ask_back (DmpiSched *sched, DmpiSchedTask *task, DmpiSchedWorker *worker);

/* Room for more tasks sent ahead on @worker: try its candidates, oldest first. */
static void
refill_ahead (DmpiSched *sched, DmpiSchedWorker *worker)
{
  WorkerEntry *e = ENTRY (worker);

  while (e->n_candidates > 0 && !ahead_full (worker))
    {
      guint64 id = e->candidates[0];
      memmove (e->candidates, e->candidates + 1, (e->n_candidates - 1) * sizeof (guint64));
      e->n_candidates--;
      DmpiSchedTask *task = dmpi_sched_lookup (sched, id);
      if (task != NULL)
        try_send_ahead (sched, task);
    }
}

/* The input @task was sent ahead for is in memory on its worker, which
 * starts @task now without asking: it counts as processing there. */
static void
start_ahead (DmpiSched *sched, DmpiSchedTask *task, DmpiSchedWorker *worker)
{
  task->ahead = FALSE;
  worker->n_ahead--;
  worker->n_processing++;
  worker_load_changed_by (sched, worker, +1);
  sent_append (worker, task->id);
  if (worker->paused)
    ask_back (sched, task, worker);      /* as pausing asked back the others */
  refill_ahead (sched, worker);
}

static void leave_worker (DmpiSched *sched, DmpiSchedTask *task, DmpiSchedWorker *worker);
static gboolean unneeded (const DmpiSchedTask *task);
static gboolean is_final (DmpiTaskState state);
static void forget (DmpiSched *sched, DmpiSchedTask *task);

/* @task leaves worker @rank without a result (it failed, or was given
 * back): the worker drops the tasks sent ahead to wait there for it, and
 * those waiting for them; here they wait again, or, failed or cancelled
 * meanwhile, are done with. Call before @task's own transition. */
static void
drop_ahead (DmpiSched *sched, DmpiSchedTask *task, int rank)
{
  DmpiSchedWorker *worker = dmpi_sched_get_worker (sched, rank);

  if (worker == NULL || worker->n_ahead == 0 || task->dependents == NULL)
    return;
  g_autoptr(GArray) todo = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_autoptr(GArray) done_with = g_array_new (FALSE, FALSE, sizeof (guint64));
  for (guint i = 0; i < n_dependents (task); i++)
    {
      guint64 id = dependent_at (task, i);
      g_array_append_val (todo, id);
    }
  for (guint i = 0; i < todo->len; i++)
    {
      DmpiSchedTask *d = dmpi_sched_lookup (sched, g_array_index (todo, guint64, i));
      if (d == NULL || !d->ahead || d->worker != rank)
        continue;
      leave_worker (sched, d, worker);
      /* Released while there (and not fire-and-forget): nobody wants it run. */
      if (d->state == DMPI_TASK_PROCESSING && (!unneeded (d) || d->keep))
        {
          set_state (sched, d, DMPI_TASK_WAITING);
          sched->stats.n_ahead_dropped++;
        }
      else
        g_array_append_val (done_with, d->id);
      for (guint j = 0; j < n_dependents (d); j++)
        {
          guint64 id = dependent_at (d, j);
          g_array_append_val (todo, id);
        }
    }
  for (guint i = 0; i < done_with->len; i++)
    {
      DmpiSchedTask *d = dmpi_sched_lookup (sched, g_array_index (done_with, guint64, i));
      if (d != NULL && d->worker < 0 && unneeded (d))
        forget (sched, d);
    }
}

void
dmpi_sched_set_sending_ahead (DmpiSched *sched, gboolean enabled)
{
  g_return_if_fail (sched != NULL);
  sched->ahead = enabled != FALSE;
}

/* ---- work stealing ---- */

/* A STEAL for @task goes out to @worker, which processes it. */
static void
ask_back (DmpiSched *sched, DmpiSchedTask *task, DmpiSchedWorker *worker)
{
  task->stealing = TRUE;
  worker->n_stealing++;
  sched->n_steal_pending++;
  sched->stats.n_steal_requests++;
  worker_load_changed (sched, worker);
  DmpiSchedAction action = { .kind = DMPI_ACTION_STEAL, .worker = worker->rank, .id = task->id };
  push_action (sched, &action);
}

/* @task, processing on @worker (or cancelled while there), leaves it:
 * finished, failed, or given back. An unanswered STEAL for it is answered. */
static void
leave_worker (DmpiSched *sched, DmpiSchedTask *task, DmpiSchedWorker *worker)
{
  if (task->ahead)
    {
      /* Never counted in n_processing, never asked back. */
      task->ahead = FALSE;
      worker->n_ahead--;
      task->worker = -1;
      return;
    }
  if (task->stealing)
    {
      task->stealing = FALSE;
      worker->n_stealing--;
      sched->n_steal_pending--;
    }
  worker->n_processing--;
  task->worker = -1;
  worker_load_changed_by (sched, worker, -1);
}

/* A worker with a free thread that could take @task from @victim now. */
static DmpiSchedWorker *
thief_for (DmpiSched *sched, const DmpiSchedTask *task, const DmpiSchedWorker *victim)
{
  if (task->n_restrict == 0)
    {
      /* The least loaded; it has a free thread if any worker has. */
      DmpiSchedWorker *w = sched->heap_len > 0 ? sched->heap[0] : NULL;
      return w != NULL && w != victim && w->n_processing < w->nthreads ? w : NULL;
    }
  for (guint i = 0; i < task->n_restrict; i++)
    {
      DmpiSchedWorker *w = dmpi_sched_get_worker (sched, task->restrict_to[i]);
      if (may_take (sched, w) && w != victim && w->n_processing < w->nthreads)
        return w;
    }
  return NULL;
}

/* Dask's rule: steal when the task would wait on @victim longer than the
 * steal costs, and never when moving its inputs costs more than running it
 * (a steal must not cost more than the work it moves). The newest task
 * waits for the victim's other tasks not asked back, at about this task's
 * duration each, shared by its threads. */
static gboolean
worth_stealing (DmpiSched *sched, const DmpiSchedTask *task, const DmpiSchedWorker *victim,
                double *unworthy_below)
{
  guint surplus = victim->n_processing - victim->n_stealing;
  guint excess = surplus - MIN (surplus, victim->nthreads);
  double duration = task_duration (sched, task);
  double wait = (double) excess / victim->nthreads * duration;
  double move = 0;

  for (guint i = 0; i < task->n_deps && move <= duration; i++)
    move += (double) task->deps[i]->nbytes / STEAL_BANDWIDTH;
  if (move <= duration && wait > move + STEAL_LATENCY)
    return TRUE;
  /* Below this duration it stays unworthy (move may be a partial sum, so
   * this is a lower bound; shaved so that rounding never makes it late). */
  *unworthy_below = excess == 0 ? INFINITY
                    : MAX (move, (move + STEAL_LATENCY) * victim->nthreads / excess) * (1 - 1e-9);
  return FALSE;
}

/* While workers have free threads that no STEAL already out will fill, ask
 * the busiest workers for their newest task. Each round looks at a few
 * workers at the top of the victims' heap and at most one task of each, so
 * a decision costs O(log workers) (and the rate-limited scan_sent()); a
 * victim whose newest task was not worth it is passed over until that can
 * change (unworthy_fn), so an event where nothing can be stolen costs a few
 * compares. */
static void
balance (DmpiSched *sched)
{
  if (sched->events_until_scan > 0)
    sched->events_until_scan--;
  if (!sched->stealing)
    return;
  while (sched->idle_threads > sched->n_steal_pending && sched->victims_len > 0)
    {
      DmpiSchedWorker *victim = NULL;
      DmpiSchedTask *task = NULL;
      for (guint i = 0; i < MIN (STEAL_VICTIMS, sched->victims_len) && task == NULL; i++)
        {
          victim = sched->victims[i];       /* each has work to spare */
          WorkerEntry *e = ENTRY (victim);
          if (e->unworthy_fn != NULL && e->unworthy_stamp == e->load_stamp
              && function_duration (sched, e->unworthy_fn) < e->unworthy_below)
            continue;
          task = newest_sent (sched, victim);
          if (task == NULL && scan_sent (sched))
            task = newest_sent (sched, victim);
          if (task == NULL || thief_for (sched, task, victim) == NULL)
            task = NULL;
          else if (!worth_stealing (sched, task, victim, &e->unworthy_below))
            {
              e->unworthy_fn = task->fn;
              e->unworthy_stamp = e->load_stamp;
              task = NULL;
            }
        }
      if (task == NULL)
        return;
      sent_pop (victim);
      ask_back (sched, task, victim);
    }
}

/* Hand queued root tasks to workers with room, earliest submitted first;
 * then let idle workers steal. */
static void
fill_workers (DmpiSched *sched)
{
  if (!g_queue_is_empty (&sched->no_worker) && least_loaded (sched, TRUE) != NULL)
    {
      /* Each gets one more try; a restricted one whose workers are still
       * gone goes back to the queue. */
      GQueue retry = sched->no_worker;
      g_queue_init (&sched->no_worker);
      DmpiSchedTask *task;
      while ((task = g_queue_pop_head (&retry)) != NULL)
        {
          set_state (sched, task, DMPI_TASK_RELEASED);
          make_ready (sched, task);
        }
    }
  while (sched->n_queued > 0)
    {
      DmpiSchedWorker *worker = least_loaded (sched, FALSE);
      if (worker == NULL)
        break;
      /* Give this worker a run of tasks at once, its share of the queue. */
      guint room = dmpi_sched_worker_slots (sched, worker) - worker->n_processing;
      guint live = sched->stats.n_workers;
      guint share = MAX (1u, (guint) (sched->n_queued / MAX (live, 1u)));
      room = MIN (room, MAX (share, worker->nthreads));
      for (guint i = 0; i < room; i++)
        {
          DmpiSchedTask *task = queued_pop (sched);
          if (task == NULL)
            break;
          send_to_worker (sched, task, worker);
        }
    }
  balance (sched);
}

void
dmpi_sched_add_worker (DmpiSched *sched, int rank, const char *host, guint nthreads,
                       guint64 memory_limit)
{
  g_return_if_fail (rank >= 0);
  if ((guint) rank >= sched->workers->len)
    g_ptr_array_set_size (sched->workers, rank + 1);
  if ((guint) rank >= sched->place_bytes_len)
    {
      guint len = MAX ((guint) rank + 1, 2 * sched->place_bytes_len);
      sched->place_bytes = g_renew (guint64, sched->place_bytes, len);
      memset (sched->place_bytes + sched->place_bytes_len, 0, (len - sched->place_bytes_len) * sizeof (guint64));
      sched->place_bytes_len = len;
    }
  DmpiSchedWorker *worker = g_ptr_array_index (sched->workers, rank);
  if (worker == NULL)
    {
      WorkerEntry *entry = g_new0 (WorkerEntry, 1);
      entry->heap_pos = entry->victim_pos = G_MAXUINT;
      worker = &entry->pub;
      g_ptr_array_index (sched->workers, rank) = worker;
    }
  /* Counted once while alive, whether it is new, back, or saying hello again. */
  if (worker->alive)
    sched->stats.n_threads -= worker->nthreads;
  else
    sched->stats.n_workers++;
  sched->stats.n_threads += MAX (nthreads, 1u);
  worker->rank = rank;
  g_free (worker->host);
  worker->host = g_strdup (host);
  worker->nthreads = MAX (nthreads, 1u);
  worker->memory_limit = memory_limit;
  if (!worker->alive)
    worker->paused = FALSE;               /* a new process */
  worker->alive = TRUE;
  sched->min_nthreads = sched->heap_len == 0 ? worker->nthreads : MIN (sched->min_nthreads, worker->nthreads);
  if (HEAP_POS (worker) == G_MAXUINT && !worker->paused)
    heap_insert (sched, worker);
  worker_load_changed (sched, worker);
  victims_relevel (sched, worker);        /* alive again, or its threads changed */
  fill_workers (sched);
}

/* ---- finishing, freeing, forgetting ---- */

static void forget (DmpiSched *sched, DmpiSchedTask *task);

static void
free_result (DmpiSched *sched, DmpiSchedTask *task)
{
  if (task->state == DMPI_TASK_MEMORY && task->holder >= 0)
    {
      DmpiSchedWorker *holder = dmpi_sched_get_worker (sched, task->holder);
      if (holder != NULL)
        holder->nbytes -= MIN (holder->nbytes, task->nbytes);
      DmpiSchedAction action = { .kind = DMPI_ACTION_FREE, .worker = task->holder, .id = task->id };
      push_action (sched, &action);
    }
  forget (sched, task);
}

/* Nobody needs it: no future, no dependent still to run. */
static gboolean
unneeded (const DmpiSchedTask *task)
{
  return !task->wanted && task->n_pending_dependents == 0;
}

static gboolean
is_final (DmpiTaskState state)
{
  return state == DMPI_TASK_MEMORY || state == DMPI_TASK_ERRED || state == DMPI_TASK_FORGOTTEN;
}

/* @task will not need its dependencies again. */
static void
drop_deps (DmpiSched *sched, DmpiSchedTask *task)
{
  DmpiSchedTask **deps = g_steal_pointer (&task->deps);
  guint n = task->n_deps;

  for (guint i = 0; i < n; i++)
    {
      DmpiSchedTask *dep = deps[i];
      g_assert (dep->n_pending_dependents > 0);
      dep->n_pending_dependents--;
      /* Not one cancelled while it runs: it holds its worker's slot until
       * the worker reports (processing_task() forgets it then). */
      if (unneeded (dep) && is_final (dep->state) && dep->worker < 0)
        free_result (sched, dep);
    }
  free_deps (deps, n);
}

static void
forget (DmpiSched *sched, DmpiSchedTask *task)
{
  if (task->deps != NULL)
    drop_deps (sched, task);
  set_state (sched, task, DMPI_TASK_FORGOTTEN);
  sched->stats.n_forgotten++;
  g_hash_table_remove (sched->tasks, &task->id);
}

DmpiSchedTask *
dmpi_sched_lookup (DmpiSched *sched, guint64 id)
{
  return g_hash_table_lookup (sched->tasks, &id);
}

static void
mark_erred (DmpiSched *sched, DmpiSchedTask *task, guint code, char *message)
{
  GQueue todo = G_QUEUE_INIT;

  task->error_code = code;
  g_free (task->error);
  task->error = message;
  g_queue_push_tail (&todo, task);
  /* Breadth-first over dependents: each erred task passes the original
   * failure on with its own key. */
  while (!g_queue_is_empty (&todo))
    {
      DmpiSchedTask *t = g_queue_pop_head (&todo);
      if (t->state == DMPI_TASK_QUEUED)
        queued_remove (sched, t);
      else if (t->state == DMPI_TASK_NO_WORKER)
        g_queue_remove (&sched->no_worker, t);
      set_state (sched, t, DMPI_TASK_ERRED);
      sched->stats.n_erred++;
      t->holder = -1;
      report (sched, t);
      if (t->dependents != NULL)
        for (guint i = 0; i < n_dependents (t); i++)
          {
            DmpiSchedTask *d = dmpi_sched_lookup (sched, dependent_at (t, i));
            /* One processing goes on and reports: it has all its inputs.
             * One sent ahead has not: it fails with the others (its worker
             * runs it, or drops it, and it keeps its place there till then). */
            if (d == NULL || is_final (d->state) || (d->state == DMPI_TASK_PROCESSING && !d->ahead))
              continue;
            d->error_code = DMPI_ERROR_DEPENDENCY_FAILED;
            g_free (d->error);
            d->error = g_strdup_printf ("task '%s' (function %s) not run: dependency '%s' failed: %s",
                                        d->key, d->function, t->key, task->error);
            /* Moved out of waiting at once so it is not queued twice. */
            if (d->state == DMPI_TASK_QUEUED)
              queued_remove (sched, d);
            else if (d->state == DMPI_TASK_NO_WORKER)
              g_queue_remove (&sched->no_worker, d);
            set_state (sched, d, DMPI_TASK_RELEASED);
            g_queue_push_tail (&todo, d);
          }
      g_clear_pointer (&t->args, g_free);
      if (t->deps != NULL)
        drop_deps (sched, t);
    }
  /* Erred tasks nobody wants go. */
}

static DmpiSchedTask *
processing_task (DmpiSched *sched, int rank, guint64 id, DmpiSchedWorker **worker)
{
  DmpiSchedTask *task = dmpi_sched_lookup (sched, id);

  *worker = dmpi_sched_get_worker (sched, rank);
  if (task != NULL && task->state == DMPI_TASK_ERRED && task->worker == rank && *worker != NULL)
    {
      /* Cancelled while it ran: its thread is free again only now. */
      leave_worker (sched, task, *worker);
      if (unneeded (task))
        forget (sched, task);
      return NULL;
    }
  if (task == NULL || task->state != DMPI_TASK_PROCESSING || task->worker != rank || *worker == NULL)
    return NULL;
  leave_worker (sched, task, *worker);
  (*worker)->n_done++;
  return task;
}

void
dmpi_sched_task_finished (DmpiSched *sched, int rank, guint thread, guint64 id, guint64 nbytes,
                          double start, double stop)
{
  DmpiSchedWorker *worker;
  DmpiSchedTask *task = processing_task (sched, rank, id, &worker);

  if (task == NULL)
    {
      /* A result the scheduler no longer wants (cancelled meanwhile): drop it. */
      DmpiSchedAction action = { .kind = DMPI_ACTION_FREE, .worker = rank, .id = id };
      push_action (sched, &action);
      return;
    }
  learn_duration (sched, task->fn, stop - start);
  worker->busy_seconds += MAX (stop - start, 0.0);
  record_run (sched, task, rank, thread, start, stop, FALSE);
  task->holder = rank;                   /* before the state: counted in n_held */
  set_state (sched, task, DMPI_TASK_MEMORY);
  sched->stats.n_finished++;
  task->nbytes = nbytes;
  worker->nbytes += nbytes;
  g_clear_pointer (&task->args, g_free);
  report (sched, task);

  if (task->dependents != NULL)
    for (guint i = 0; i < n_dependents (task); i++)
      {
        DmpiSchedTask *d = dmpi_sched_lookup (sched, dependent_at (task, i));
        if (d != NULL && d->ahead)
          {
            /* Sent ahead for this input: its worker starts it now. */
            if (d->worker == rank && d->state == DMPI_TASK_PROCESSING && --d->n_waiting == 0)
              start_ahead (sched, d, worker);
            continue;
          }
        if (d == NULL || d->state != DMPI_TASK_WAITING)
          continue;
        if (--d->n_waiting == 0)
          make_ready (sched, d);
        else if (d->n_waiting == 1)
          try_send_ahead (sched, d);
      }
  if (task->deps != NULL)
    drop_deps (sched, task);
  if (unneeded (task))
    free_result (sched, task);
  fill_workers (sched);
}

void
dmpi_sched_task_erred (DmpiSched *sched, int rank, guint thread, guint64 id, guint error_code,
                       const char *message, double start, double stop)
{
  DmpiSchedWorker *worker;
  DmpiSchedTask *task = dmpi_sched_lookup (sched, id);

  /* No result: the worker dropped what was sent ahead for it. */
  if (task != NULL && task->worker == rank && (task->state == DMPI_TASK_PROCESSING || task->state == DMPI_TASK_ERRED))
    drop_ahead (sched, task, rank);
  task = processing_task (sched, rank, id, &worker);
  if (task == NULL)
    return;
  record_run (sched, task, rank, thread, start, stop, TRUE);
  task->fn->n_erred++;
  if (task->retries > 0 && (error_code == DMPI_ERROR_TASK_FAILED || error_code == DMPI_ERROR_WORKER_LOST))
    {
      /* Dask's retries: run it again, anywhere, as if just ready. */
      task->retries--;
      set_state (sched, task, DMPI_TASK_RELEASED);
      make_ready (sched, task);
      fill_workers (sched);
      return;
    }
  DmpiSchedErrorEntry *e = g_new0 (DmpiSchedErrorEntry, 1);
  e->seq = ++sched->error_seq;
  e->key = g_strdup (task->key);
  e->function = task->function;
  e->rank = rank;
  e->time = stop;
  e->message = g_strdup (message);
  if (sched->errors->len >= DMPI_SCHED_ERRORS_MAX)
    g_ptr_array_remove_index (sched->errors, 0);
  g_ptr_array_add (sched->errors, e);
  /* Failing its dependents may forget it (their last need of it): look
   * it up again. */
  guint64 task_id = task->id;
  mark_erred (sched, task, error_code, g_strdup (message));
  task = dmpi_sched_lookup (sched, task_id);
  if (task != NULL && unneeded (task))
    forget (sched, task);
  fill_workers (sched);
}

void
dmpi_sched_remove_worker (DmpiSched *sched, int rank, const char *reason)
{
  DmpiSchedWorker *worker = dmpi_sched_get_worker (sched, rank);

  if (worker == NULL || !worker->alive)
    return;
  worker->alive = FALSE;
  sched->stats.n_workers--;
  sched->stats.n_threads -= worker->nthreads;
  heap_remove (sched, worker);
  victims_relevel (sched, worker);        /* not alive: out */
  sched->min_nthreads = G_MAXUINT;
  for (guint i = 0; i < sched->heap_len; i++)
    sched->min_nthreads = MIN (sched->min_nthreads, sched->heap[i]->nthreads);
  /* What it ran or held is lost with it. Ids, not pointers: failing one
   * task may free others (a result only it needed). */
  g_autoptr(GArray) lost = g_array_new (FALSE, FALSE, sizeof (guint64));
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init (&iter, sched->tasks);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      DmpiSchedTask *task = value;
      if (task->worker == rank)
        {
          /* Processing there, or cancelled while it ran there: it leaves
           * the worker, and a STEAL out for it gets no answer. */
          if (task->stealing)
            {
              task->stealing = FALSE;
              sched->n_steal_pending--;
            }
          task->ahead = FALSE;
          task->worker = -1;
          g_array_append_val (lost, task->id);
        }
      else if (task->state == DMPI_TASK_MEMORY && task->holder == rank)
        g_array_append_val (lost, task->id);
    }
  worker->n_processing = 0;
  worker->n_stealing = 0;
  worker->n_ahead = 0;
  ENTRY (worker)->n_candidates = 0;
  sent_forget (worker);
  for (guint i = 0; i < lost->len; i++)
    {
      DmpiSchedTask *task = dmpi_sched_lookup (sched, g_array_index (lost, guint64, i));
      if (task == NULL)
        continue;
      if (task->state == DMPI_TASK_ERRED)
        {
          if (unneeded (task))
            forget (sched, task);
          continue;
        }
      mark_erred (sched, task, DMPI_ERROR_WORKER_LOST,
                  g_strdup_printf ("task '%s' (function %s) lost: worker rank %d %s", task->key,
                                   task->function, rank, reason));
    }
  worker->nbytes = 0;
  fill_workers (sched);
}

/* ---- stealing and pausing events ---- */

/* A task given back by @from is ready again: a plain root task goes to the
 * head of the queue; another is placed with @from left out, unless no other
 * worker may take it. */
static void
place_again (DmpiSched *sched, DmpiSchedTask *task, DmpiSchedWorker *from)
{
  if (goes_to_queue (task))
    {
      set_state (sched, task, DMPI_TASK_QUEUED);
      queued_push_head (sched, task);
      return;
    }
  gboolean eligible = HEAP_POS (from) != G_MAXUINT;
  heap_remove (sched, from);
  sched->avoid = from->rank;
  DmpiSchedWorker *worker = choose_worker (sched, task);
  sched->avoid = -1;
  if (eligible)
    heap_insert (sched, from);
  if (worker == NULL && eligible)
    worker = from;          /* it was sent there, so @from may run it */
  if (worker == NULL)
    {
      set_state (sched, task, DMPI_TASK_NO_WORKER);
      g_queue_push_tail (&sched->no_worker, task);
      return;
    }
  send_to_worker (sched, task, worker);
}

void
dmpi_sched_task_given_back (DmpiSched *sched, int rank, guint64 id)
{
  DmpiSchedTask *task = dmpi_sched_lookup (sched, id);
  DmpiSchedWorker *worker = dmpi_sched_get_worker (sched, rank);

  /* Only the answer to a STEAL still out counts: a task that finished,
   * failed, was retried or forgotten, or whose worker was removed, has no
   * STEAL out on @rank any more (and a second answer finds none). */
  if (task == NULL || worker == NULL || task->worker != rank || !task->stealing)
    return;
  drop_ahead (sched, task, rank);        /* the worker dropped them with it */
  if (task->state == DMPI_TASK_ERRED)
    {
      /* Cancelled meanwhile: it only held the worker's slot. */
      leave_worker (sched, task, worker);
      if (unneeded (task))
        forget (sched, task);
      fill_workers (sched);
      return;
    }
  g_return_if_fail (task->state == DMPI_TASK_PROCESSING);
  leave_worker (sched, task, worker);
  worker->n_stolen++;
  sched->stats.n_stolen++;
  set_state (sched, task, DMPI_TASK_RELEASED);
  if (unneeded (task) && !task->keep)
    forget (sched, task);                /* released while it waited there */
  else
    place_again (sched, task, worker);
  fill_workers (sched);
}

void
dmpi_sched_steal_refused (DmpiSched *sched, int rank, guint64 id)
{
  DmpiSchedTask *task = dmpi_sched_lookup (sched, id);
  DmpiSchedWorker *worker = dmpi_sched_get_worker (sched, rank);

  /* As for a task given back: only a STEAL still out counts. A task
   * cancelled while there stays on its worker until it reports. */
  if (task == NULL || worker == NULL || task->worker != rank || !task->stealing)
    return;
  task->stealing = FALSE;
  task->refused = TRUE;
  worker->n_stealing--;
  sched->n_steal_pending--;
  worker_load_changed (sched, worker);
  /* The thread that wanted it may still be idle: look elsewhere now. */
  fill_workers (sched);
}

void
dmpi_sched_worker_paused (DmpiSched *sched, int rank, gboolean paused)
{
  DmpiSchedWorker *worker = dmpi_sched_get_worker (sched, rank);

  if (worker == NULL || !worker->alive || !worker->paused == !paused)
    return;
  worker->paused = paused != FALSE;
  if (worker->paused)
    {
      /* Out of the load heap, it is chosen by nothing; what it has not
       * started is asked back to run elsewhere. */
      heap_remove (sched, worker);
      sent_forget (worker);
      /* A scan of all tasks: pausing is rare, and a worker's list of its
       * tasks would cost every send and finish. */
      GHashTableIter iter;
      gpointer value;
      g_hash_table_iter_init (&iter, sched->tasks);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        {
          DmpiSchedTask *task = value;
          if (task->state == DMPI_TASK_PROCESSING && task->worker == rank && !task->stealing
              && !task->refused && !task->ahead)
            ask_back (sched, task, worker);
        }
    }
  else
    {
      sched->min_nthreads = sched->heap_len == 0 ? worker->nthreads : MIN (sched->min_nthreads, worker->nthreads);
      heap_insert (sched, worker);
    }
  fill_workers (sched);
}

void
dmpi_sched_set_stealing (DmpiSched *sched, gboolean enabled)
{
  enabled = enabled != FALSE;
  if (enabled == sched->stealing)
    return;
  sched->stealing = enabled;
  for (guint i = 0; i < sched->workers->len; i++)
    {
      DmpiSchedWorker *worker = g_ptr_array_index (sched->workers, i);
      if (worker != NULL)
        victims_relevel (sched, worker);
    }
}

gboolean
dmpi_sched_has_runnable_worker (DmpiSched *sched)
{
  return sched->heap_len > 0;             /* the load heap: live and not paused */
}

guint
dmpi_sched_fail_unrunnable (DmpiSched *sched, guint error_code, const char *reason)
{
  /* Ids first: failing one task takes its dependents out of the queues. */
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint64));
  guint n_failed = 0;

  for (guint i = 0; i < sched->queued->len; i++)
    {
      PriorityBucket *bucket = g_ptr_array_index (sched->queued, i);
      for (GList *l = bucket->tasks.head; l != NULL; l = l->next)
        g_array_append_val (ids, ((DmpiSchedTask *) l->data)->id);
    }
  for (GList *l = sched->no_worker.head; l != NULL; l = l->next)
    g_array_append_val (ids, ((DmpiSchedTask *) l->data)->id);
  for (guint i = 0; i < ids->len; i++)
    {
      DmpiSchedTask *task = dmpi_sched_lookup (sched, g_array_index (ids, guint64, i));
      if (task == NULL || (task->state != DMPI_TASK_QUEUED && task->state != DMPI_TASK_NO_WORKER))
        continue;                       /* failed already through a dependency */
      task->retries = 0;
      task->fn->n_erred++;
      mark_erred (sched, task, error_code,
                  g_strdup_printf ("task '%s' (function %s) cannot run: %s", task->key, task->function,
                                   reason != NULL ? reason : "no worker may run it"));
      n_failed++;
      task = dmpi_sched_lookup (sched, g_array_index (ids, guint64, i));  /* may be forgotten */
      if (task != NULL && unneeded (task))
        forget (sched, task);
    }
  fill_workers (sched);
  return n_failed;
}

/* ---- submission ---- */

static gboolean
invalid (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
invalid (GError **error, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, DMPI_ERROR, DMPI_ERROR_INVALID_GRAPH, message);
  return FALSE;
}

/* Check a batch before anything of it is taken: ids new and distinct,
 * dependencies known (earlier, or in the batch), no cycle within the batch. */
static gboolean
check_batch (DmpiSched *sched, const DmpiSchedTaskSpec *specs, gsize n, GError **error)
{
  /* The client numbers tasks in order, so a batch's ids are most often
   * consecutive: a member's index is then its id's offset from the first,
   * and the table of members (a large part of a submission's cost) is not
   * needed. */
  gboolean consecutive = TRUE;
  for (gsize i = 1; i < n && consecutive; i++)
    consecutive = specs[i].id == specs[0].id + i;
  g_autoptr(GHashTable) batch = consecutive ? NULL : g_hash_table_new (g_int64_hash, g_int64_equal);

  for (gsize i = 0; i < n; i++)
    {
      const DmpiSchedTaskSpec *s = &specs[i];
      if (s->key == NULL || *s->key == '\0' || s->function == NULL || *s->function == '\0')
        return invalid (error, "task %" G_GUINT64_FORMAT " has an empty key or function name", s->id);
      if (dmpi_sched_lookup (sched, s->id) != NULL
          || (batch != NULL && !g_hash_table_insert (batch, (gpointer) &s->id, GSIZE_TO_POINTER (i + 1))))
        return invalid (error, "duplicate task key '%s' (id %" G_GUINT64_FORMAT ")", s->key, s->id);
    }
  /* Depth-first over the batch: 0 unvisited, 1 on the stack, 2 done. */
  g_autofree guint8 *mark = g_new0 (guint8, n);
  g_autoptr(GArray) stack = g_array_new (FALSE, FALSE, sizeof (gsize) * 2);
  for (gsize root = 0; root < n; root++)
    {
      if (mark[root] != 0)
        continue;
      gsize frame[2] = { root, 0 };
      g_array_append_vals (stack, frame, 1);
      mark[root] = 1;
      while (stack->len > 0)
        {
          gsize *top = &g_array_index (stack, gsize, (stack->len - 1) * 2);
          const DmpiSchedTaskSpec *s = &specs[top[0]];
          if (top[1] == s->n_deps)
            {
              mark[top[0]] = 2;
              g_array_set_size (stack, stack->len - 1);
              continue;
            }
          guint64 dep = s->deps[top[1]++];
          gsize j = batch == NULL ? (dep - specs[0].id < n ? (gsize) (dep - specs[0].id) + 1 : 0)
                    : GPOINTER_TO_SIZE (g_hash_table_lookup (batch, &dep));
          if (j == 0)
            {
              if (dmpi_sched_lookup (sched, dep) == NULL)
                return invalid (error, "task '%s' depends on task %" G_GUINT64_FORMAT
                                ", which the scheduler does not have (never submitted, or released)",
                                s->key, dep);
              continue;
            }
          j--;
          if (mark[j] == 1)
            return invalid (error, "the graph has a cycle through task '%s' and task '%s'",
                            s->key, specs[j].key);
          if (mark[j] == 0)
            {
              mark[j] = 1;
              gsize next[2] = { j, 0 };
              g_array_append_vals (stack, next, 1);
            }
        }
    }
  return TRUE;
}

gboolean
dmpi_sched_submit (DmpiSched *sched, const DmpiSchedTaskSpec *specs, gsize n_specs, GError **error)
{
  if (!check_batch (sched, specs, n_specs, error))
    return FALSE;

  g_autofree DmpiSchedTask **made = g_new (DmpiSchedTask *, n_specs);
  for (gsize i = 0; i < n_specs; i++)
    {
      const DmpiSchedTaskSpec *s = &specs[i];
      DmpiSchedTask *task = g_slice_new0 (DmpiSchedTask);
      task->id = s->id;
      task->key = g_strdup (s->key);
      task->function = g_intern_string (s->function);
      task->fn = function_stats (sched, task->function);
      task->fn->n_total++;
      task->fn->n_by_state[DMPI_TASK_RELEASED]++;
      task->args_type = g_intern_string (s->args_type != NULL ? s->args_type : "()");
      if (s->args_size > 0)
        task->args = memcpy (g_malloc (s->args_size), s->args, s->args_size);
      task->args_size = s->args_size;
      task->state = DMPI_TASK_RELEASED;
      task->worker = task->holder = -1;
      task->wanted = TRUE;
      task->order = sched->next_order++;
      task->priority = s->priority;
      task->retries = (guint16) MIN (s->retries, G_MAXUINT16);
      if (s->n_restrict > 0)
        {
          task->n_restrict = (guint16) MIN (s->n_restrict, G_MAXUINT16);
          task->restrict_to = g_new (int, task->n_restrict);
          memcpy (task->restrict_to, s->restrict_to, sizeof (int) * task->n_restrict);
        }
      sched->stats.n_by_state[DMPI_TASK_RELEASED]++;
      sched->stats.n_submitted++;
      g_hash_table_insert (sched->tasks, &task->id, task);
      made[i] = task;
    }
  /* Link after all exist: a batch may name its members in any order. */
  for (gsize i = 0; i < n_specs; i++)
    {
      DmpiSchedTask *task = made[i];
      task->n_deps = specs[i].n_deps;
      task->deps = new_deps (task->n_deps);
      for (guint j = 0; j < task->n_deps; j++)
        {
          DmpiSchedTask *dep = dmpi_sched_lookup (sched, specs[i].deps[j]);
          task->deps[j] = dep;
          dep->n_pending_dependents++;
          id_list_append (&dep->dependents, task->id);
        }
    }
  for (gsize i = 0; i < n_specs; i++)
    {
      DmpiSchedTask *task = made[i];
      if (task->state != DMPI_TASK_RELEASED)
        continue;                       /* erred through an earlier member */
      DmpiSchedTask *failed = NULL;
      guint waiting = 0;
      for (guint j = 0; j < task->n_deps; j++)
        {
          if (task->deps[j]->state == DMPI_TASK_ERRED)
            failed = task->deps[j];
          else if (task->deps[j]->state != DMPI_TASK_MEMORY)
            waiting++;
        }
      if (failed != NULL)
        {
          mark_erred (sched, task, DMPI_ERROR_DEPENDENCY_FAILED,
                      g_strdup_printf ("task '%s' (function %s) not run: dependency '%s' failed: %s",
                                       task->key, task->function, failed->key, failed->error));
          continue;
        }
      task->n_waiting = waiting;
      set_state (sched, task, DMPI_TASK_WAITING);
      if (waiting == 0)
        make_ready (sched, task);
      else if (waiting == 1)
        try_send_ahead (sched, task);
    }
  fill_workers (sched);
  return TRUE;
}

void
dmpi_sched_data_added (DmpiSched *sched, int rank, guint64 id, const char *key, guint64 nbytes)
{
  DmpiSchedTask *task = dmpi_sched_lookup (sched, id);

  if (task != NULL)
    return;
  task = g_slice_new0 (DmpiSchedTask);
  task->id = id;
  task->key = g_strdup (key);
  task->function = g_intern_static_string ("scatter");
  task->fn = function_stats (sched, task->function);
  task->fn->n_total++;
  task->fn->n_by_state[DMPI_TASK_MEMORY]++;
  task->state = DMPI_TASK_MEMORY;
  task->worker = -1;
  task->holder = rank;
  task->nbytes = nbytes;
  task->wanted = TRUE;
  task->order = sched->next_order++;
  sched->stats.n_by_state[DMPI_TASK_MEMORY]++;
  g_hash_table_insert (sched->tasks, &task->id, task);
  DmpiSchedWorker *holder = dmpi_sched_get_worker (sched, rank);
  if (holder != NULL)
    {
      holder->nbytes += nbytes;
      holder->n_held++;
    }
}

void
dmpi_sched_release (DmpiSched *sched, const guint64 *ids, gsize n_ids)
{
  for (gsize i = 0; i < n_ids; i++)
    {
      DmpiSchedTask *task = dmpi_sched_lookup (sched, ids[i]);
      if (task == NULL || !task->wanted)
        continue;
      task->wanted = FALSE;
      if (!unneeded (task))
        continue;
      switch (task->state)
        {
        case DMPI_TASK_MEMORY:
          free_result (sched, task);
          break;
        case DMPI_TASK_ERRED:
          /* Cancelled while on a worker: it keeps its place there until the
           * worker reports (processing_task() forgets it then). */
          if (task->worker < 0)
            forget (sched, task);
          break;
        case DMPI_TASK_QUEUED:
          if (task->keep)
            break;
          queued_remove (sched, task);
          forget (sched, task);
          break;
        case DMPI_TASK_NO_WORKER:
          if (task->keep)
            break;
          g_queue_remove (&sched->no_worker, task);
          forget (sched, task);
          break;
        case DMPI_TASK_WAITING:
        case DMPI_TASK_RELEASED:
          if (!task->keep)
            forget (sched, task);
          break;
        case DMPI_TASK_PROCESSING:
          /* Freed when it finishes. */
          break;
        default:
          break;
        }
    }
  fill_workers (sched);
}

void
dmpi_sched_cancel (DmpiSched *sched, const guint64 *ids, gsize n_ids)
{
  for (gsize i = 0; i < n_ids; i++)
    {
      DmpiSchedTask *task = dmpi_sched_lookup (sched, ids[i]);
      if (task == NULL)
        continue;
      switch (task->state)
        {
        case DMPI_TASK_MEMORY:
        case DMPI_TASK_ERRED:
          dmpi_sched_release (sched, &task->id, 1);
          continue;
        case DMPI_TASK_PROCESSING:
          /* It cannot be stopped on its worker, which keeps its slot until
           * it reports back; the result is freed then. No longer a steal
           * candidate there: what balance() knew of that worker is stale. */
          if (dmpi_sched_get_worker (sched, task->worker) != NULL)
            ENTRY (dmpi_sched_get_worker (sched, task->worker))->unworthy_fn = NULL;
          break;
        default:
          break;
        }
      task->retries = 0;
      task->keep = FALSE;
      mark_erred (sched, task, DMPI_ERROR_CANCELLED,
                  g_strdup_printf ("task '%s' (function %s) was cancelled", task->key, task->function));
      task = dmpi_sched_lookup (sched, ids[i]);     /* failing its dependents may forget it */
      if (task != NULL && unneeded (task) && task->worker < 0)
        forget (sched, task);
    }
  fill_workers (sched);
}

void
dmpi_sched_keep (DmpiSched *sched, const guint64 *ids, gsize n_ids)
{
  for (gsize i = 0; i < n_ids; i++)
    {
      DmpiSchedTask *task = dmpi_sched_lookup (sched, ids[i]);
      if (task != NULL)
        task->keep = TRUE;
    }
}

void
dmpi_sched_get_stats (DmpiSched *sched, DmpiSchedStats *stats)
{
  *stats = sched->stats;
  stats->n_tasks = g_hash_table_size (sched->tasks);
}

/* For the dashboard: results in memory per holder rank. */
void
dmpi_sched_count_held (DmpiSched *sched, guint *counts, guint n_ranks)
{
  for (guint r = 0; r < n_ranks; r++)
    {
      const DmpiSchedWorker *worker = dmpi_sched_get_worker (sched, (int) r);
      counts[r] = worker != NULL ? worker->n_held : 0;
    }
}

void
dmpi_sched_worker_spilled (DmpiSched *sched, int rank, guint64 spilled_bytes)
{
  DmpiSchedWorker *worker = dmpi_sched_get_worker (sched, rank);

  if (worker != NULL)
    worker->spilled_bytes = spilled_bytes;
}
