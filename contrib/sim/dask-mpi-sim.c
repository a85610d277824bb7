/* dask-mpi-sim: the scheduler core driven by simulated workers.
 *
 * A discrete-event simulation: a priority queue of events in simulated time.
 * The scheduler is the real core (lib/sched-core.c); the workers, the client
 * and the network are simulated. Workers have nthreads threads and run each
 * task for a duration drawn from its function's mean; a task starts once its
 * inputs that live on other workers have arrived (latency + bytes/bandwidth,
 * transfers into one worker share its link). The scheduler's own cost is the
 * real time spent inside core calls; it is also what the scheduler is busy
 * for in simulated time (times --sched-scale), so a slow core shows up in the
 * makespan.
 *
 * Figures (one key=value a line; see contrib/sim/README.md):
 *   decisions_per_s  (events into the core + actions out of it) per second of
 *                    real time spent inside core calls
 *   tasks_per_s      tasks per second of core time (everything the core did
 *                    for the whole graph, divided by the tasks)
 *   bytes_per_task   growth of the heap (mallinfo2 in-use bytes) across the
 *                    submission of the whole graph, divided by the tasks
 * and the simulated makespan, worker utilisation, idle thread-time while
 * work was queued, bytes moved between workers, and the checks that every
 * task ran exactly once and that the core forgot every task in the end.
 *
 * Work stealing is modelled as the worker does it (lib/worker.c): a STEAL
 * reaches the worker one latency after it left the scheduler; the worker
 * gives the task back (one latency to the scheduler) if it has not started
 * it, waiting for its inputs or for a thread, and refuses it otherwise. A
 * worker can be paused (--pause): it starts nothing new and tells the
 * scheduler, which asks back what it has not started.
 *
 * Sending ahead (on unless --no-send-ahead; see dmpi_sched_set_sending_ahead)
 * too: a COMPUTE whose input is not done yet but is on the same worker is
 * held there until that input is done, then goes on as any other (its
 * inputs from elsewhere fetched, then ready, at the head of the queue as
 * the worker puts it). When the input is given back after a STEAL, the
 * tasks held for it are dropped unreported, and those held for them. */
#include "config.h"

#include <glib.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sched-core.h"

/* ---- the graph ---- */

typedef struct {
  const char *name;
  double      duration;   /* mean, seconds */
  guint64     nbytes;     /* result size */
  gboolean    args;       /* takes an argument ("(x)", 8 bytes); reductions take only inputs */
} SimFunction;

typedef struct {
  guint64  n;             /* tasks, ids 1..n */
  guint8  *fn;            /* [n] index into functions */
  guint64 *dep_start;     /* [n+1] CSR of dependencies */
  guint64 *deps;          /* ids */
  guint8  *sink;          /* [n] the client keeps its future */
  SimFunction functions[4];
  guint    n_functions;
} Graph;

static void
graph_init (Graph *g, guint64 n, guint64 n_edges)
{
  g->n = n;
  g->fn = g_new0 (guint8, n);
  g->dep_start = g_new0 (guint64, n + 1);
  g->deps = g_new (guint64, MAX (n_edges, 1));
  g->sink = g_new0 (guint8, n);
}

static void
graph_clear (Graph *g)
{
  g_free (g->fn);
  g_free (g->dep_start);
  g_free (g->deps);
  g_free (g->sink);
}

/* N independent tasks. */
static void
graph_parallel (Graph *g, guint64 n)
{
  graph_init (g, n, 0);
  g->functions[0] = (SimFunction) { "inc", 1e-3, 8, TRUE };
  g->n_functions = 1;
  memset (g->sink, 1, n);
}

/* Leaves of 1 MB, combined 8 at a time down to one root. */
static void
graph_tree (Graph *g, guint64 n)
{
  guint64 leaves = MAX (n * 7 / 8, 1);
  guint64 total = 0, edges = 0;

  for (guint64 width = leaves;; width = (width + 7) / 8)
    {
      total += width;
      if (width == 1)
        break;
      edges += width;
    }
  graph_init (g, total, edges);
  g->functions[0] = (SimFunction) { "load", 1e-3, 1 << 20, TRUE };
  g->functions[1] = (SimFunction) { "combine", 5e-4, 1 << 20, FALSE };
  g->n_functions = 2;
  guint64 id = 0, e = 0, level_first = 0, width = leaves;
  for (; id < leaves; id++)
    g->dep_start[id + 1] = 0;
  while (width > 1)
    {
      guint64 next = (width + 7) / 8;
      for (guint64 i = 0; i < next; i++, id++)
        {
          g->fn[id] = 1;
          for (guint64 c = 8 * i; c < MIN (8 * i + 8, width); c++)
            g->deps[e++] = level_first + c + 1;
          g->dep_start[id + 1] = e;
        }
      level_first += width;
      width = next;
    }
  g->sink[total - 1] = 1;
}

/* Fan-out from tiny inputs: a few quick seeds (10 us, 8 B), each feeding an
 * equal share of 1 ms work tasks. When a seed finishes, the work function's
 * duration is not known yet and moving 8 bytes costs nothing, so placement
 * piles the seed's dependents onto its worker (up to the wait that the
 * quick seeds' mean duration allows): the imbalance stealing must undo. */
static void
graph_fanout (Graph *g, guint64 n)
{
  guint64 seeds = MAX (n / 5000, 1), total = MAX (n, seeds + 1), e = 0;

  graph_init (g, total, total - seeds);
  g->functions[0] = (SimFunction) { "seed", 1e-5, 8, TRUE };
  g->functions[1] = (SimFunction) { "work", 1e-3, 8, TRUE };
  g->n_functions = 2;
  for (guint64 id = seeds; id < total; id++)
    {
      g->fn[id] = 1;
      g->deps[e++] = id % seeds + 1;
      g->dep_start[id + 1] = e;
      g->sink[id] = 1;
    }
}

/* Independent chains of 100 tasks, each taking the one before: no
 * parallelism inside a chain, so every round trip through the scheduler
 * between two steps is time lost (what sending ahead saves). */
#define CHAIN_LENGTH 100u

static void
graph_chains (Graph *g, guint64 n)
{
  guint64 chains = MAX (n / CHAIN_LENGTH, 1), total = chains * CHAIN_LENGTH, e = 0;

  graph_init (g, total, total - chains);
  g->functions[0] = (SimFunction) { "step", 1e-3, 8, TRUE };
  g->n_functions = 1;
  for (guint64 id = 1; id <= total; id++)
    {
      if ((id - 1) % CHAIN_LENGTH != 0)
        g->deps[e++] = id - 1;
      g->dep_start[id] = e;
      if (id % CHAIN_LENGTH == 0)
        g->sink[id - 1] = 1;
    }
}

/* Dask's task shuffle: P inputs, each split into P pieces (one getitem task
 * per input and output partition), P outputs each concatenating its piece of
 * every input: an all-to-all between two stages. P + P² + P ≈ N. */
static void
graph_shuffle (Graph *g, guint64 n)
{
  guint64 p = (guint64) MAX (1.0, floor (sqrt ((double) n + 1.0) - 1.0));
  guint64 total = 2 * p + p * p, e = 0;

  graph_init (g, total, p * p + p * p);
  g->functions[0] = (SimFunction) { "split", 1e-3, 8 << 20, TRUE };
  g->functions[1] = (SimFunction) { "getitem", 5e-5, MAX ((8u << 20) / p, 1), TRUE };
  g->functions[2] = (SimFunction) { "concat", 1e-3, 8 << 20, FALSE };
  g->n_functions = 3;
  for (guint64 i = 0; i < p; i++)
    g->dep_start[i + 1] = 0;
  for (guint64 i = 0; i < p; i++)
    for (guint64 j = 0; j < p; j++)
      {
        guint64 id = p + i * p + j;
        g->fn[id] = 1;
        g->deps[e++] = i + 1;
        g->dep_start[id + 1] = e;
      }
  for (guint64 j = 0; j < p; j++)
    {
      guint64 id = p + p * p + j;
      g->fn[id] = 2;
      for (guint64 i = 0; i < p; i++)
        g->deps[e++] = p + i * p + j + 1;
      g->dep_start[id + 1] = e;
      g->sink[id] = 1;
    }
}

/* ---- events ---- */

typedef enum {
  EV_ARRIVE,          /* a COMPUTE reaches its worker */
  EV_INPUTS_READY,    /* its inputs are local: it may start */
  EV_DONE,            /* a thread finished it */
  EV_FINISHED,        /* the worker's report reaches the scheduler */
  EV_RELEASE,         /* the client lets go of its intermediate futures */
  EV_STEAL,           /* a STEAL reaches its worker */
  EV_GIVE_BACK,       /* the worker's GIVE_BACK reaches the scheduler */
  EV_REFUSED,         /* the worker's refusal of a STEAL (started) reaches the scheduler */
  EV_PAUSE,           /* a worker pauses (id 1) or resumes (id 0) */
  EV_PAUSED,          /* ... and the scheduler hears of it */
} EventKind;

typedef struct {
  double  t;
  guint64 seq;        /* ties: first scheduled first */
  guint32 kind;
  gint32  worker;
  guint64 id;
} Event;

typedef struct {
  Event  *v;
  gsize   len, cap;
  guint64 seq;
} EventQueue;

static gboolean
event_before (const Event *a, const Event *b)
{
  return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void
eq_push (EventQueue *q, double t, EventKind kind, int worker, guint64 id)
{
  if (q->len == q->cap)
    {
      q->cap = MAX (q->cap * 2, 1024);
      q->v = g_renew (Event, q->v, q->cap);
    }
  Event ev = { t, q->seq++, kind, worker, id };
  gsize i = q->len++;
  while (i > 0)
    {
      gsize parent = (i - 1) / 2;
      if (!event_before (&ev, &q->v[parent]))
        break;
      q->v[i] = q->v[parent];
      i = parent;
    }
  q->v[i] = ev;
}

static Event
eq_pop (EventQueue *q)
{
  Event top = q->v[0], last = q->v[--q->len];
  gsize i = 0;

  for (;;)
    {
      gsize c = 2 * i + 1;
      if (c >= q->len)
        break;
      if (c + 1 < q->len && event_before (&q->v[c + 1], &q->v[c]))
        c++;
      if (!event_before (&q->v[c], &last))
        break;
      q->v[i] = q->v[c];
      i = c;
    }
  if (q->len > 0)
    q->v[i] = last;
  return top;
}

/* ---- the simulation ---- */

typedef struct {
  guint   nthreads;
  guint   busy;
  GQueue  ready;           /* ids whose inputs are local, not started (FIFO); entries of
                            * tasks given back meanwhile are skipped */
  double  link_free;       /* when its incoming link is next free */
  gboolean paused;         /* starts nothing new */
  gboolean sched_paused;   /* the scheduler has heard that it paused */
} SimWorker;

/* Where a task is on the worker it was sent to (Sim.at). */
typedef enum {
  TASK_AWAY,               /* not on a worker (not sent yet, or given back) */
  TASK_HELD,               /* sent ahead: waiting for an input this worker computes */
  TASK_FETCHING,           /* waiting for its inputs */
  TASK_READY,              /* waiting for a thread */
  TASK_RUNNING,
  TASK_DONE,
} TaskPlace;

typedef struct {
  /* settings */
  guint    n_workers, nthreads;
  double   latency, bandwidth, sched_scale;
  gboolean no_steal, no_send_ahead;
  guint32  seed;
  double   pause_at, resume_at;    /* rank FIRST_RANK; < 0: never */
  /* state */
  Graph      g;
  DmpiSched *sched;
  EventQueue q;
  SimWorker *workers;      /* index = rank - FIRST_RANK */
  double     now;
  double     sched_free;   /* when the simulated scheduler is next free */
  guint8    *runs;         /* [n] times each task started */
  gint32    *ran_on;       /* [n] rank that computed it, or -1 */
  guint8    *place;        /* [n] TaskPlace */
  gint32    *at;           /* [n] rank it is on while held, fetching, ready or running */
  guint64   *held_first;   /* [n] first task held on its worker for this one, or 0 */
  guint64   *held_next;    /* [n] next task held for the same input, or 0 */
  GHashTable *replicas;    /* (id, rank) → arrival time (ns), for fetched inputs */
  /* figures */
  double   core_seconds;
  guint64  core_events, core_actions, n_compute;
  guint64  n_steal, n_given_back, n_refused, n_compute_to_paused;
  guint64  n_held, n_held_dropped, n_orphaned;
  guint64  n_done, n_reported;
  guint64  bytes_moved, bytes_produced;
  double   busy_seconds;   /* thread-seconds computing */
  double   idle_queued;    /* idle thread-seconds while the core held queued root tasks */
  double   idle_backlog;   /* idle thread-seconds while another worker had tasks waiting for a thread */
  guint64  idle_threads, backlog;
  double   makespan;
  gsize    bytes_per_task;
  gboolean failed;
} Sim;

#define FIRST_RANK 2          /* as in a real job: 0 scheduler, 1 client */

/* CPU time of this thread: the figure must not count the time other
 * processes on a shared machine took the CPU away. */
static double
cpu_seconds (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

/* A stretch of work inside the core. The previous step's actions are
 * cleared in it: freeing them is the core's work too. */
static double
core_begin (Sim *s)
{
  double t0 = cpu_seconds ();
  dmpi_sched_clear_actions (s->sched);
  return t0;
}

static void
core_end (Sim *s, double t0)
{
  s->core_seconds += cpu_seconds () - t0;
}

static gsize
heap_in_use (void)
{
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 33)
  struct mallinfo2 mi = mallinfo2 ();
  return mi.uordblks + mi.hblkhd;
#else
  struct mallinfo mi = mallinfo ();
  return (gsize) (unsigned) mi.uordblks + (gsize) (unsigned) mi.hblkhd;
#endif
}

static SimWorker *
sim_worker (Sim *s, int rank)
{
  return &s->workers[rank - FIRST_RANK];
}

/* Time passes: integrate the idle figures up to @t. */
static void
advance (Sim *s, double t)
{
  double dt = t - s->now;

  if (dt > 0)
    {
      DmpiSchedStats stats;
      dmpi_sched_get_stats (s->sched, &stats);
      if (stats.n_by_state[DMPI_TASK_QUEUED] > 0)
        s->idle_queued += dt * (double) s->idle_threads;
      if (s->backlog > 0)
        s->idle_backlog += dt * (double) s->idle_threads;
      s->now = t;
    }
}

/* Hand the core's actions to the simulated network; they leave when the
 * scheduler has finished this step. */
static void
drain (Sim *s, double sent)
{
  guint n;
  const DmpiSchedAction *actions = dmpi_sched_get_actions (s->sched, &n);

  s->core_actions += n;
  for (guint i = 0; i < n; i++)
    {
      const DmpiSchedAction *a = &actions[i];
      switch (a->kind)
        {
        case DMPI_ACTION_COMPUTE:
          s->n_compute++;
          if (a->worker < FIRST_RANK || a->worker >= (int) (FIRST_RANK + s->n_workers) || a->id == 0
              || a->id > s->g.n)
            {
              g_printerr ("dask-mpi-sim: COMPUTE of task %" G_GUINT64_FORMAT " to unknown worker rank %d\n",
                          a->id, a->worker);
              s->failed = TRUE;
              break;
            }
          if (sim_worker (s, a->worker)->sched_paused)
            s->n_compute_to_paused++;
          eq_push (&s->q, sent + s->latency, EV_ARRIVE, a->worker, a->id);
          break;
        case DMPI_ACTION_STEAL:
          s->n_steal++;
          if (a->worker < FIRST_RANK || a->worker >= (int) (FIRST_RANK + s->n_workers) || a->id == 0
              || a->id > s->g.n)
            {
              g_printerr ("dask-mpi-sim: STEAL of task %" G_GUINT64_FORMAT " from unknown worker rank %d\n",
                          a->id, a->worker);
              s->failed = TRUE;
              break;
            }
          eq_push (&s->q, sent + s->latency, EV_STEAL, a->worker, a->id);
          break;
        case DMPI_ACTION_REPORT:
          if (a->state == DMPI_TASK_MEMORY)
            s->n_reported++;
          else
            {
              g_printerr ("dask-mpi-sim: task %" G_GUINT64_FORMAT " erred: %s\n", a->id,
                          a->message != NULL ? a->message : "?");
              s->failed = TRUE;
            }
          break;
        case DMPI_ACTION_FREE:
        default:
          break;
        }
    }
}

static GArray *release_list (Sim *s, gboolean sinks);

/* Task @id's duration factor, uniform in [0.5, 1.5): a hash of the seed and
 * the id (splitmix64), so that a task takes as long whichever worker runs
 * it and whenever: runs that differ only in scheduling (--no-steal,
 * --no-send-ahead) compare on the same work. */
static double
duration_factor (guint32 seed, guint64 id)
{
  guint64 z = ((guint64) seed << 40) ^ id;

  z += G_GUINT64_CONSTANT (0x9e3779b97f4a7c15);
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  z ^= z >> 31;
  return 0.5 + (double) (z >> 11) * (1.0 / 9007199254740992.0);
}

/* Start tasks on @w while it has free threads and ready tasks. */
static void
try_start (Sim *s, int rank)
{
  SimWorker *w = sim_worker (s, rank);

  while (w->busy < w->nthreads && !w->paused && !g_queue_is_empty (&w->ready))
    {
      guint64 id = GPOINTER_TO_SIZE (g_queue_pop_head (&w->ready));
      if (s->place[id - 1] != TASK_READY || s->at[id - 1] != rank)
        continue;                   /* given back meanwhile */
      s->place[id - 1] = TASK_RUNNING;
      const SimFunction *fn = &s->g.functions[s->g.fn[id - 1]];
      double d = fn->duration * duration_factor (s->seed, id);
      w->busy++;
      s->idle_threads--;
      s->backlog--;
      s->runs[id - 1]++;
      s->busy_seconds += d;
      eq_push (&s->q, s->now + d, EV_DONE, rank, id);
    }
}

/* Task @id is on worker @rank with every input that it computes: fetch
 * those that are elsewhere, over this worker's link, one after another;
 * then it waits for a thread (at the head of the queue if @front, as a
 * task held for an input just computed: a chain runs depth first). The
 * caller calls try_start(). */
static void
fetch_inputs (Sim *s, int rank, guint64 id, gboolean front)
{
  SimWorker *w = sim_worker (s, rank);
  double ready = s->now;

  for (guint64 e = s->g.dep_start[id - 1]; e < s->g.dep_start[id]; e++)
    {
      guint64 dep = s->g.deps[e];
      if (s->ran_on[dep - 1] == rank)
        continue;
      gpointer key = GSIZE_TO_POINTER (dep * (FIRST_RANK + s->n_workers) + (guint64) rank);
      gpointer have = g_hash_table_lookup (s->replicas, key);
      if (have != NULL)
        {
          ready = MAX (ready, 1e-9 * (double) GPOINTER_TO_SIZE (have));
          continue;
        }
      guint64 bytes = s->g.functions[s->g.fn[dep - 1]].nbytes;
      double start = MAX (s->now, w->link_free);
      w->link_free = start + (double) bytes / s->bandwidth;
      double arrival = w->link_free + s->latency;
      s->bytes_moved += bytes;
      g_hash_table_insert (s->replicas, key, GSIZE_TO_POINTER ((gsize) (arrival * 1e9) + 1));
      ready = MAX (ready, arrival);
    }
  s->at[id - 1] = rank;
  if (ready > s->now)
    {
      s->place[id - 1] = TASK_FETCHING;
      eq_push (&s->q, ready, EV_INPUTS_READY, rank, id);
    }
  else
    {
      s->place[id - 1] = TASK_READY;
      if (front)
        g_queue_push_head (&w->ready, GSIZE_TO_POINTER (id));
      else
        g_queue_push_tail (&w->ready, GSIZE_TO_POINTER (id));
      s->backlog++;
    }
}

/* A COMPUTE arrived. An input not computed yet is one it was sent ahead
 * for: on this worker (held, fetching, ready or running here), the task is
 * held until it is done here; elsewhere (it left this worker), the task is
 * dropped unreported, as lib/worker.c does, and the scheduler takes it back
 * when it hears of the input. */
static void
on_arrive (Sim *s, int rank, guint64 id)
{
  for (guint64 e = s->g.dep_start[id - 1]; e < s->g.dep_start[id]; e++)
    {
      guint64 dep = s->g.deps[e];
      if (s->ran_on[dep - 1] >= 0)
        continue;
      if (s->at[dep - 1] != rank)
        {
          s->n_orphaned++;
          return;
        }
      s->at[id - 1] = rank;
      s->place[id - 1] = TASK_HELD;
      s->held_next[id - 1] = s->held_first[dep - 1];
      s->held_first[dep - 1] = id;
      s->n_held++;
      return;
    }
  fetch_inputs (s, rank, id, FALSE);
  try_start (s, rank);
}

/* Task @id is done on @rank: the tasks held there for it go on. */
static void
release_held (Sim *s, int rank, guint64 id)
{
  guint64 next;

  for (guint64 h = s->held_first[id - 1]; h != 0; h = next)
    {
      next = s->held_next[h - 1];
      s->held_next[h - 1] = 0;
      if (s->place[h - 1] == TASK_HELD && s->at[h - 1] == rank)
        fetch_inputs (s, rank, h, TRUE);
    }
  s->held_first[id - 1] = 0;
}

/* Task @id leaves @rank without a result: the tasks held there for it are
 * dropped unreported, and those held for them, down the line; they are
 * away again, for the scheduler to send anew. */
static void
drop_held (Sim *s, int rank, guint64 id)
{
  g_autoptr(GArray) todo = g_array_new (FALSE, FALSE, sizeof (guint64));

  g_array_append_val (todo, id);
  for (guint i = 0; i < todo->len; i++)
    {
      guint64 input = g_array_index (todo, guint64, i), next;
      for (guint64 h = s->held_first[input - 1]; h != 0; h = next)
        {
          next = s->held_next[h - 1];
          s->held_next[h - 1] = 0;
          if (s->place[h - 1] != TASK_HELD || s->at[h - 1] != rank)
            continue;
          s->place[h - 1] = TASK_AWAY;
          s->at[h - 1] = -1;
          s->n_held_dropped++;
          g_array_append_val (todo, h);
        }
      s->held_first[input - 1] = 0;
    }
}

/* Take held task @id off the list of the input it waits for. */
static void
unlink_held (Sim *s, guint64 id)
{
  for (guint64 e = s->g.dep_start[id - 1]; e < s->g.dep_start[id]; e++)
    {
      guint64 *link = &s->held_first[s->g.deps[e] - 1];
      while (*link != 0 && *link != id)
        link = &s->held_next[*link - 1];
      if (*link == id)
        {
          *link = s->held_next[id - 1];
          s->held_next[id - 1] = 0;
          return;
        }
    }
}

/* A STEAL arrived: give the task back if it has not started here (waiting
 * for its inputs or a thread, or held), and drop what was held for it;
 * refuse it if it has (the answer lets the scheduler look elsewhere). */
static void
on_steal (Sim *s, int rank, guint64 id)
{
  guint8 *place = &s->place[id - 1];

  if (s->at[id - 1] != rank)
    return;
  if (*place == TASK_RUNNING || *place == TASK_DONE)
    {
      eq_push (&s->q, s->now + s->latency, EV_REFUSED, rank, id);
      return;
    }
  if (*place != TASK_FETCHING && *place != TASK_READY && *place != TASK_HELD)
    return;
  if (*place == TASK_READY)
    s->backlog--;
  if (*place == TASK_HELD)
    unlink_held (s, id);        /* the core never asks one back: as lib/worker.c would */
  *place = TASK_AWAY;
  s->at[id - 1] = -1;
  drop_held (s, rank, id);
  eq_push (&s->q, s->now + s->latency, EV_GIVE_BACK, rank, id);
}

/* One message into the core. */
static void
to_core (Sim *s, const Event *ev)
{
  switch (ev->kind)
    {
    case EV_FINISHED:
      {
        const SimFunction *fn = &s->g.functions[s->g.fn[ev->id - 1]];
        /* Start and stop as the worker measured them. */
        dmpi_sched_task_finished (s->sched, ev->worker, 0, ev->id, fn->nbytes, 0, fn->duration);
        s->core_events++;
        break;
      }
    case EV_GIVE_BACK:
      dmpi_sched_task_given_back (s->sched, ev->worker, ev->id);
      s->n_given_back++;
      s->core_events++;
      break;
    case EV_REFUSED:
      dmpi_sched_steal_refused (s->sched, ev->worker, ev->id);
      s->n_refused++;
      s->core_events++;
      break;
    case EV_PAUSED:
      dmpi_sched_worker_paused (s->sched, ev->worker, ev->id != 0);
      s->core_events++;
      break;
    case EV_RELEASE:
      {
        g_autoptr(GArray) ids = release_list (s, FALSE);
        dmpi_sched_release (s->sched, (const guint64 *) (gpointer) ids->data, ids->len);
        s->core_events += ids->len;
        break;
      }
    default:
      g_assert_not_reached ();
    }
}

static gboolean
submit_graph (Sim *s, gsize *bytes_per_task)
{
  enum { BATCH = 1024, KEY_MAX = 32 };
  DmpiSchedTaskSpec *specs = g_new0 (DmpiSchedTaskSpec, BATCH);
  char *keys = g_new (char, BATCH * KEY_MAX);
  static const guint8 args[8] = { 0 };
  gboolean ok = TRUE;

  /* Allocate what the measurement must not see before taking it: the event
   * queue gets room for every COMPUTE the submission can cause. */
  s->q.cap = MAX (s->q.cap, s->q.len + s->g.n + 1024);
  s->q.v = g_renew (Event, s->q.v, s->q.cap);
  gsize before = heap_in_use ();
  for (guint64 first = 0; first < s->g.n && ok; first += BATCH)
    {
      guint64 n = MIN ((guint64) BATCH, s->g.n - first);
      for (guint64 i = 0; i < n; i++)
        {
          guint64 id = first + i + 1;
          const SimFunction *fn = &s->g.functions[s->g.fn[id - 1]];
          char *key = keys + i * KEY_MAX;
          g_snprintf (key, KEY_MAX, "%s-%" G_GUINT64_FORMAT, fn->name, id);
          specs[i] = (DmpiSchedTaskSpec) {
            .id = id, .key = key, .function = fn->name, .args_type = fn->args ? "(x)" : "()",
            .args = fn->args ? args : NULL, .args_size = fn->args ? sizeof args : 0,
            .deps = s->g.deps + s->g.dep_start[id - 1],
            .n_deps = (guint) (s->g.dep_start[id] - s->g.dep_start[id - 1]),
          };
        }
      g_autoptr(GError) error = NULL;
      double t0 = core_begin (s);
      ok = dmpi_sched_submit (s->sched, specs, n, &error);
      core_end (s, t0);
      s->core_events += n;
      /* The scheduler's loop turns each message's actions into messages at
       * once (lib/scheduler.c): so does the simulation. */
      drain (s, s->latency);
      if (!ok)
        g_printerr ("dask-mpi-sim: submit failed: %s\n", error->message);
    }
  gsize after = heap_in_use ();
  *bytes_per_task = after > before ? (after - before) / MAX (s->g.n, 1) : 0;
  g_free (specs);
  g_free (keys);
  return ok;
}

/* The ids the client lets go of: intermediate results (@sinks FALSE), or
 * the results it kept. */
static GArray *
release_list (Sim *s, gboolean sinks)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (guint64));

  for (guint64 id = 1; id <= s->g.n; id++)
    if (!s->g.sink[id - 1] == !sinks)
      g_array_append_val (ids, id);
  return ids;
}

static void
run (Sim *s)
{
  double t0;

  s->sched = dmpi_sched_new ();
  s->workers = g_new0 (SimWorker, s->n_workers);
  s->runs = g_new0 (guint8, s->g.n);
  s->ran_on = g_new (gint32, s->g.n);
  memset (s->ran_on, 0xff, s->g.n * sizeof *s->ran_on);
  s->place = g_new0 (guint8, s->g.n);
  s->at = g_new (gint32, s->g.n);
  memset (s->at, 0xff, s->g.n * sizeof *s->at);
  s->held_first = g_new0 (guint64, s->g.n);
  s->held_next = g_new0 (guint64, s->g.n);
  dmpi_sched_set_stealing (s->sched, !s->no_steal);
  dmpi_sched_set_sending_ahead (s->sched, !s->no_send_ahead);
  s->replicas = g_hash_table_new (g_direct_hash, g_direct_equal);
  t0 = core_begin (s);
  for (guint i = 0; i < s->n_workers; i++)
    {
      g_queue_init (&s->workers[i].ready);
      s->workers[i].nthreads = s->nthreads;
      s->idle_threads += s->nthreads;
      char host[32];
      g_snprintf (host, sizeof host, "sim%u", i / 16);
      dmpi_sched_add_worker (s->sched, FIRST_RANK + (int) i, host, s->nthreads, 0);
      s->core_events++;
    }
  core_end (s, t0);
  drain (s, 0);

  /* The client submits the whole graph at time 0, then lets go of every
   * future but the sinks' (its dependents still hold those results). */
  if (!submit_graph (s, &s->bytes_per_task))
    {
      s->failed = TRUE;
      return;
    }
  s->sched_free = s->core_seconds * s->sched_scale;
  eq_push (&s->q, s->latency, EV_RELEASE, -1, 0);
  if (s->pause_at >= 0)
    eq_push (&s->q, s->pause_at, EV_PAUSE, FIRST_RANK, 1);
  if (s->resume_at >= 0)
    eq_push (&s->q, s->resume_at, EV_PAUSE, FIRST_RANK, 0);

  while (s->q.len > 0)
    {
      Event ev = eq_pop (&s->q);
      gboolean to_sched = ev.kind == EV_FINISHED || ev.kind == EV_RELEASE || ev.kind == EV_GIVE_BACK
                          || ev.kind == EV_REFUSED || ev.kind == EV_PAUSED;
      if (to_sched && ev.t < s->sched_free)
        {
          /* The scheduler is still busy with earlier messages. */
          eq_push (&s->q, s->sched_free, ev.kind, ev.worker, ev.id);
          continue;
        }
      advance (s, ev.t);
      switch (ev.kind)
        {
        case EV_ARRIVE:
          on_arrive (s, ev.worker, ev.id);
          break;
        case EV_INPUTS_READY:
          if (s->place[ev.id - 1] != TASK_FETCHING || s->at[ev.id - 1] != ev.worker)
            break;                  /* given back meanwhile */
          s->place[ev.id - 1] = TASK_READY;
          g_queue_push_tail (&sim_worker (s, ev.worker)->ready, GSIZE_TO_POINTER (ev.id));
          s->backlog++;
          try_start (s, ev.worker);
          break;
        case EV_STEAL:
          on_steal (s, ev.worker, ev.id);
          break;
        case EV_PAUSE:
          sim_worker (s, ev.worker)->paused = ev.id != 0;
          eq_push (&s->q, s->now + s->latency, EV_PAUSED, ev.worker, ev.id);
          try_start (s, ev.worker);
          break;
        case EV_DONE:
          {
            SimWorker *w = sim_worker (s, ev.worker);
            w->busy--;
            s->idle_threads++;
            s->n_done++;
            s->ran_on[ev.id - 1] = ev.worker;
            s->place[ev.id - 1] = TASK_DONE;
            s->bytes_produced += s->g.functions[s->g.fn[ev.id - 1]].nbytes;
            s->makespan = MAX (s->makespan, s->now);
            eq_push (&s->q, s->now + s->latency, EV_FINISHED, ev.worker, ev.id);
            release_held (s, ev.worker, ev.id);
            try_start (s, ev.worker);
            break;
          }
        case EV_FINISHED:
        case EV_RELEASE:
        case EV_GIVE_BACK:
        case EV_REFUSED:
        case EV_PAUSED:
          {
            /* The scheduler takes every report that is there in one step;
             * a pause is a step of its own, so that the COMPUTEs counted as
             * sent to a paused worker are those decided after it. */
            double spent = s->core_seconds;
            t0 = core_begin (s);
            for (;;)
              {
                to_core (s, &ev);
                if (ev.kind == EV_PAUSED || s->q.len == 0 || s->q.v[0].t > s->now
                    || (s->q.v[0].kind != EV_FINISHED && s->q.v[0].kind != EV_GIVE_BACK
                        && s->q.v[0].kind != EV_REFUSED))
                  break;
                ev = eq_pop (&s->q);
              }
            core_end (s, t0);
            if (ev.kind == EV_PAUSED)
              sim_worker (s, ev.worker)->sched_paused = ev.id != 0;
            s->sched_free = s->now + (s->core_seconds - spent) * s->sched_scale;
            drain (s, s->sched_free);
            break;
          }
        default:
          g_assert_not_reached ();
        }
    }
}

static void
report_figures (Sim *s, const char *graph)
{
  DmpiSchedStats stats;
  guint64 not_once = 0;
  double threads = (double) s->n_workers * s->nthreads;

  for (guint64 i = 0; i < s->g.n; i++)
    not_once += s->runs[i] != 1;
  dmpi_sched_get_stats (s->sched, &stats);
  guint64 live_before_release = stats.n_tasks;
  /* The client lets go of the sinks: the core must forget everything. */
  g_autoptr(GArray) ids = release_list (s, TRUE);
  double t0 = core_begin (s);
  dmpi_sched_release (s->sched, (const guint64 *) (gpointer) ids->data, ids->len);
  core_end (s, t0);
  guint n_free;
  dmpi_sched_get_actions (s->sched, &n_free);
  s->core_actions += n_free;
  dmpi_sched_clear_actions (s->sched);
  s->core_events += ids->len;
  dmpi_sched_get_stats (s->sched, &stats);

  double core = MAX (s->core_seconds, 1e-9);
  printf ("graph=%s\n", graph);
  printf ("workers=%u\n", s->n_workers);
  printf ("threads_per_worker=%u\n", s->nthreads);
  printf ("tasks=%" G_GUINT64_FORMAT "\n", s->g.n);
  printf ("tasks_done=%" G_GUINT64_FORMAT "\n", s->n_done);
  printf ("tasks_reported=%" G_GUINT64_FORMAT "\n", s->n_reported);
  printf ("tasks_not_run_once=%" G_GUINT64_FORMAT "\n", not_once);
  printf ("sinks_live_before_release=%" G_GUINT64_FORMAT "\n", live_before_release);
  printf ("live_tasks_after_release=%" G_GUINT64_FORMAT "\n", stats.n_tasks);
  printf ("core_events=%" G_GUINT64_FORMAT "\n", s->core_events);
  printf ("core_actions=%" G_GUINT64_FORMAT "\n", s->core_actions);
  printf ("core_seconds=%.3f\n", s->core_seconds);
  printf ("tasks_per_s=%.0f\n", (double) s->g.n / core);
  printf ("makespan_s=%.6f\n", s->makespan);
  printf ("utilisation=%.4f\n", s->makespan > 0 ? s->busy_seconds / (threads * s->makespan) : 0.0);
  printf ("idle_while_queued_frac=%.6f\n", s->makespan > 0 ? s->idle_queued / (threads * s->makespan) : 0.0);
  printf ("idle_while_backlog_frac=%.6f\n", s->makespan > 0 ? s->idle_backlog / (threads * s->makespan) : 0.0);
  printf ("bytes_produced=%" G_GUINT64_FORMAT "\n", s->bytes_produced);
  printf ("bytes_moved=%" G_GUINT64_FORMAT "\n", s->bytes_moved);
  printf ("bytes_per_task=%" G_GSIZE_FORMAT "\n", s->bytes_per_task);
  printf ("stealing=%s\n", s->no_steal ? "off" : "on");
  printf ("steal_requests=%" G_GUINT64_FORMAT "\n", s->n_steal);
  printf ("tasks_given_back=%" G_GUINT64_FORMAT "\n", s->n_given_back);
  printf ("steals_refused=%" G_GUINT64_FORMAT "\n", s->n_refused);
  printf ("compute_to_paused=%" G_GUINT64_FORMAT "\n", s->n_compute_to_paused);
  printf ("sending_ahead=%s\n", s->no_send_ahead ? "off" : "on");
  printf ("sent_ahead=%" G_GUINT64_FORMAT "\n", stats.n_sent_ahead);
  printf ("ahead_dropped=%" G_GUINT64_FORMAT "\n", stats.n_ahead_dropped);
  printf ("held_by_workers=%" G_GUINT64_FORMAT "\n", s->n_held);
  printf ("held_dropped_by_workers=%" G_GUINT64_FORMAT "\n", s->n_held_dropped);
  printf ("ahead_orphaned=%" G_GUINT64_FORMAT "\n", s->n_orphaned);
  printf ("decisions_per_s=%.0f\n", (double) (s->core_events + s->core_actions) / core);
}

int
main (int argc, char **argv)
{
  g_autofree char *graph = g_strdup ("parallel");
  gint n_workers = 100, nthreads = 4, seed = 1;
  gint64 n_tasks = 20000;
  double latency = 20e-6, bandwidth = 1.25e9, sched_scale = 1.0;
  gboolean no_steal = FALSE, no_send_ahead = FALSE;
  g_autofree char *pause = NULL;
  GOptionEntry entries[] = {
    { "graph", 'g', 0, G_OPTION_ARG_STRING, &graph, "parallel, tree, shuffle, fanout or chains (default parallel)", "GRAPH" },
    { "workers", 'w', 0, G_OPTION_ARG_INT, &n_workers, "simulated workers (default 100)", "N" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &nthreads, "threads per worker (default 4)", "N" },
    { "tasks", 'n', 0, G_OPTION_ARG_INT64, &n_tasks, "tasks, about (the graph's shape rounds it; default 20000)", "N" },
    { "latency", 0, 0, G_OPTION_ARG_DOUBLE, &latency, "one-way message latency, seconds (default 20e-6)", "S" },
    { "bandwidth", 0, 0, G_OPTION_ARG_DOUBLE, &bandwidth, "link bandwidth, bytes/s (default 1.25e9)", "B" },
    { "sched-scale", 0, 0, G_OPTION_ARG_DOUBLE, &sched_scale,
      "simulated scheduler time per real second in the core (default 1; 0: a free, deterministic scheduler)", "X" },
    { "seed", 0, 0, G_OPTION_ARG_INT, &seed, "random seed for task durations (default 1)", "N" },
    { "no-steal", 0, 0, G_OPTION_ARG_NONE, &no_steal, "turn work stealing off (to compare)", NULL },
    { "no-send-ahead", 0, 0, G_OPTION_ARG_NONE, &no_send_ahead,
      "turn sending ahead off (to compare; the scheduler's DASK_MPI_SEND_AHEAD=0)", NULL },
    { "pause", 0, 0, G_OPTION_ARG_STRING, &pause,
      "pause the first worker (rank 2) at simulated time T1, resume it at T2 (default: never)", "T1[:T2]" },
    { NULL },
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- drive the scheduler core with simulated workers");
  g_autoptr(GError) error = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("dask-mpi-sim: %s\n", error->message);
      return 2;
    }
  if (n_workers < 1 || nthreads < 1 || n_tasks < 1 || latency < 0 || bandwidth <= 0 || sched_scale < 0)
    {
      g_printerr ("dask-mpi-sim: --workers, --threads, --tasks and --bandwidth must be positive, "
                  "--latency and --sched-scale not negative\n");
      return 2;
    }

  Sim s = {
    .n_workers = (guint) n_workers, .nthreads = (guint) nthreads,
    .latency = latency, .bandwidth = bandwidth, .sched_scale = sched_scale,
    .no_steal = no_steal, .no_send_ahead = no_send_ahead, .seed = (guint32) seed,
    .pause_at = -1, .resume_at = -1,
  };
  if (pause != NULL)
    {
      char *end;
      s.pause_at = g_ascii_strtod (pause, &end);
      if (*end == ':')
        s.resume_at = g_ascii_strtod (end + 1, &end);
      if (end == pause || *end != '\0' || s.pause_at < 0 || (s.resume_at >= 0 && s.resume_at < s.pause_at))
        {
          g_printerr ("dask-mpi-sim: --pause %s: expected T1 or T1:T2, seconds, with 0 <= T1 <= T2\n", pause);
          return 2;
        }
    }
  if (g_strcmp0 (graph, "parallel") == 0)
    graph_parallel (&s.g, (guint64) n_tasks);
  else if (g_strcmp0 (graph, "tree") == 0)
    graph_tree (&s.g, (guint64) n_tasks);
  else if (g_strcmp0 (graph, "shuffle") == 0)
    graph_shuffle (&s.g, (guint64) n_tasks);
  else if (g_strcmp0 (graph, "fanout") == 0)
    graph_fanout (&s.g, (guint64) n_tasks);
  else if (g_strcmp0 (graph, "chains") == 0)
    graph_chains (&s.g, (guint64) n_tasks);
  else
    {
      g_printerr ("dask-mpi-sim: --graph %s: unknown graph (parallel, tree, shuffle, fanout, chains)\n", graph);
      return 2;
    }

  run (&s);
  report_figures (&s, graph);

  int status = s.failed || s.n_done != s.g.n ? 1 : 0;
  if (s.n_done != s.g.n)
    g_printerr ("dask-mpi-sim: only %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " tasks completed\n",
                s.n_done, s.g.n);
  dmpi_sched_free (s.sched);
  for (guint i = 0; i < s.n_workers; i++)
    g_queue_clear (&s.workers[i].ready);
  g_free (s.workers);
  g_free (s.runs);
  g_free (s.ran_on);
  g_free (s.place);
  g_free (s.at);
  g_free (s.held_first);
  g_free (s.held_next);
  g_hash_table_unref (s.replicas);
  g_free (s.q.v);
  graph_clear (&s.g);
  return status;
}
