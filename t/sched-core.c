/* The scheduler core, driven directly: events in, actions out. */
#include "config.h"

#include <string.h>

#include "sched-core.h"
#include "dmpi-error.h"

typedef struct {
  DmpiSched *sched;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  f->sched = dmpi_sched_new ();
}

static void
teardown (Fixture *f, gconstpointer data)
{
  dmpi_sched_free (f->sched);
}

static void
submit (DmpiSched *sched, guint64 id, const char *function, const guint64 *deps, guint n_deps)
{
  g_autofree char *key = g_strdup_printf ("%s-%" G_GUINT64_FORMAT, function, id);
  DmpiSchedTaskSpec spec = { id, key, function, "()", "", 1, deps, n_deps };
  g_autoptr(GError) error = NULL;

  g_assert_true (dmpi_sched_submit (sched, &spec, 1, &error));
  g_assert_no_error (error);
}

/* Count actions of @kind (to @worker unless -1) and clear the list. */
static guint
take (DmpiSched *sched, DmpiActionKind kind, int worker)
{
  guint n, count = 0;
  const DmpiSchedAction *actions = dmpi_sched_get_actions (sched, &n);

  for (guint i = 0; i < n; i++)
    if (actions[i].kind == kind && (worker < 0 || actions[i].worker == worker))
      count++;
  dmpi_sched_clear_actions (sched);
  return count;
}

static const DmpiSchedAction *
find (DmpiSched *sched, DmpiActionKind kind, guint64 id)
{
  guint n;
  const DmpiSchedAction *actions = dmpi_sched_get_actions (sched, &n);

  for (guint i = 0; i < n; i++)
    if (actions[i].kind == kind && actions[i].id == id)
      return &actions[i];
  return NULL;
}

static void
test_chain (Fixture *f, gconstpointer data)
{
  dmpi_sched_add_worker (f->sched, 2, "a", 1, 0);
  submit (f->sched, 1, "inc", NULL, 0);
  guint64 d1[] = { 1 };
  submit (f->sched, 2, "inc", d1, 1);
  g_assert_nonnull (find (f->sched, DMPI_ACTION_COMPUTE, 1));
  g_assert_null (find (f->sched, DMPI_ACTION_COMPUTE, 2));
  g_assert_cmpint (dmpi_sched_lookup (f->sched, 2)->state, ==, DMPI_TASK_WAITING);
  dmpi_sched_clear_actions (f->sched);

  dmpi_sched_task_finished (f->sched, 2, 0, 1, 8, 0.0, 0.001);
  const DmpiSchedAction *report = find (f->sched, DMPI_ACTION_REPORT, 1);
  g_assert_nonnull (report);
  g_assert_cmpint (report->state, ==, DMPI_TASK_MEMORY);
  g_assert_cmpint (report->worker, ==, 2);
  const DmpiSchedAction *compute = find (f->sched, DMPI_ACTION_COMPUTE, 2);
  g_assert_nonnull (compute);
  g_assert_cmpuint (compute->task->n_deps, ==, 1);
  g_assert_cmpint (compute->task->deps[0]->holder, ==, 2);
  dmpi_sched_clear_actions (f->sched);
  dmpi_sched_task_finished (f->sched, 2, 0, 2, 8, 0.001, 0.002);
  g_assert_cmpint (dmpi_sched_lookup (f->sched, 2)->state, ==, DMPI_TASK_MEMORY);
  DmpiSchedStats stats;
  dmpi_sched_get_stats (f->sched, &stats);
  g_assert_cmpuint (stats.n_finished, ==, 2);
}

static void
test_locality (Fixture *f, gconstpointer data)
{
  dmpi_sched_add_worker (f->sched, 2, "a", 1, 0);
  dmpi_sched_add_worker (f->sched, 3, "b", 1, 0);
  submit (f->sched, 1, "bytes", NULL, 0);
  submit (f->sched, 2, "bytes", NULL, 0);
  const DmpiSchedAction *c1 = find (f->sched, DMPI_ACTION_COMPUTE, 1);
  const DmpiSchedAction *c2 = find (f->sched, DMPI_ACTION_COMPUTE, 2);
  g_assert_nonnull (c1);
  g_assert_nonnull (c2);
  g_assert_cmpint (c1->worker, !=, c2->worker);     /* spread over idle workers */
  int big = c2->worker;
  dmpi_sched_clear_actions (f->sched);
  dmpi_sched_task_finished (f->sched, big == 2 ? 3 : 2, 0, 1, 10, 0, 0.001);
  dmpi_sched_task_finished (f->sched, big, 0, 2, 100 << 20, 0, 0.001);
  dmpi_sched_clear_actions (f->sched);
  guint64 deps[] = { 1, 2 };
  submit (f->sched, 3, "sum", deps, 2);
  const DmpiSchedAction *c3 = find (f->sched, DMPI_ACTION_COMPUTE, 3);
  g_assert_nonnull (c3);
  g_assert_cmpint (c3->worker, ==, big);              /* where the 100 MiB are */
}

static void
test_error_propagates (Fixture *f, gconstpointer data)
{
  dmpi_sched_add_worker (f->sched, 2, "a", 1, 0);
  submit (f->sched, 1, "fail", NULL, 0);
  guint64 d1[] = { 1 };
  submit (f->sched, 2, "inc", d1, 1);
  guint64 d2[] = { 2 };
  submit (f->sched, 3, "inc", d2, 1);
  dmpi_sched_clear_actions (f->sched);
  dmpi_sched_task_erred (f->sched, 2, 0, 1, DMPI_ERROR_TASK_FAILED, "task 'fail-1' (function fail) failed: boom", 0, 0);
  const DmpiSchedAction *r1 = find (f->sched, DMPI_ACTION_REPORT, 1);
  const DmpiSchedAction *r3 = find (f->sched, DMPI_ACTION_REPORT, 3);
  g_assert_nonnull (r1);
  g_assert_nonnull (r3);
  g_assert_cmpint (r1->state, ==, DMPI_TASK_ERRED);
  g_assert_cmpint (r3->state, ==, DMPI_TASK_ERRED);
  g_assert_cmpuint (r3->error_code, ==, DMPI_ERROR_DEPENDENCY_FAILED);
  g_assert_nonnull (strstr (r3->message, "inc-3"));
  g_assert_nonnull (strstr (r3->message, "boom"));
  g_assert_null (find (f->sched, DMPI_ACTION_COMPUTE, 2));
  dmpi_sched_clear_actions (f->sched);
  /* A task submitted later on an erred dependency fails at once. */
  submit (f->sched, 4, "inc", d1, 1);
  g_assert_cmpint (find (f->sched, DMPI_ACTION_REPORT, 4)->error_code, ==, DMPI_ERROR_DEPENDENCY_FAILED);
}

static void
expect_invalid (DmpiSched *sched, const DmpiSchedTaskSpec *specs, gsize n, const char *needle)
{
  g_autoptr(GError) error = NULL;
  DmpiSchedStats before, after;

  dmpi_sched_get_stats (sched, &before);
  g_assert_false (dmpi_sched_submit (sched, specs, n, &error));
  g_assert_error (error, DMPI_ERROR, DMPI_ERROR_INVALID_GRAPH);
  g_assert_nonnull (strstr (error->message, needle));
  dmpi_sched_get_stats (sched, &after);
  g_assert_cmpuint (before.n_tasks, ==, after.n_tasks);   /* nothing of it taken */
}

static void
test_bad_graphs (Fixture *f, gconstpointer data)
{
  dmpi_sched_add_worker (f->sched, 2, "a", 1, 0);
  submit (f->sched, 1, "inc", NULL, 0);
  dmpi_sched_clear_actions (f->sched);

  DmpiSchedTaskSpec dup[] = { { 1, "again", "inc", NULL, NULL, 0, NULL, 0 } };
  expect_invalid (f->sched, dup, 1, "duplicate");
  DmpiSchedTaskSpec dup2[] = { { 5, "x", "inc", NULL, NULL, 0, NULL, 0 }, { 5, "y", "inc", NULL, NULL, 0, NULL, 0 } };
  expect_invalid (f->sched, dup2, 2, "duplicate");

  guint64 missing[] = { 77 };
  DmpiSchedTaskSpec miss[] = { { 6, "needs-77", "inc", NULL, NULL, 0, missing, 1 } };
  expect_invalid (f->sched, miss, 1, "needs-77");

  guint64 to8[] = { 8 }, to9[] = { 9 }, to7[] = { 7 };
  DmpiSchedTaskSpec cycle[] = {
    { 7, "a", "inc", NULL, NULL, 0, to8, 1 }, { 8, "b", "inc", NULL, NULL, 0, to9, 1 }, { 9, "c", "inc", NULL, NULL, 0, to7, 1 },
  };
  expect_invalid (f->sched, cycle, 3, "cycle");
  /* The same with ids not consecutive (members found through a table). */
  guint64 to30[] = { 30 }, to40[] = { 40 }, to20[] = { 20 };
  DmpiSchedTaskSpec cycle2[] = {
    { 20, "a", "inc", NULL, NULL, 0, to30, 1 }, { 40, "c", "inc", NULL, NULL, 0, to20, 1 }, { 30, "b", "inc", NULL, NULL, 0, to40, 1 },
  };
  expect_invalid (f->sched, cycle2, 3, "cycle");
  /* Consecutive ids, a dependency just past either end of the run. */
  guint64 to52[] = { 52 }, to49[] = { 49 };
  DmpiSchedTaskSpec past_end[] = { { 50, "p", "inc", NULL, NULL, 0, NULL, 0 }, { 51, "needs-52", "inc", NULL, NULL, 0, to52, 1 } };
  expect_invalid (f->sched, past_end, 2, "needs-52");
  DmpiSchedTaskSpec before[] = { { 50, "needs-49", "inc", NULL, NULL, 0, to49, 1 }, { 51, "q", "inc", NULL, NULL, 0, NULL, 0 } };
  expect_invalid (f->sched, before, 2, "needs-49");

  /* Members of a batch may name each other in any order. */
  guint64 to11[] = { 11 };
  DmpiSchedTaskSpec fine[] = { { 10, "late", "inc", NULL, NULL, 0, to11, 1 }, { 11, "early", "inc", NULL, NULL, 0, NULL, 0 } };
  g_autoptr(GError) error = NULL;
  g_assert_true (dmpi_sched_submit (f->sched, fine, 2, &error));
  g_assert_no_error (error);
  g_assert_nonnull (find (f->sched, DMPI_ACTION_COMPUTE, 11));
}

static void
test_release_frees (Fixture *f, gconstpointer data)
{
  dmpi_sched_add_worker (f->sched, 2, "a", 1, 0);
  submit (f->sched, 1, "inc", NULL, 0);
  guint64 d1[] = { 1 };
  submit (f->sched, 2, "inc", d1, 1);
  dmpi_sched_task_finished (f->sched, 2, 0, 1, 8, 0, 0);
  dmpi_sched_clear_actions (f->sched);
  /* The client lets go of 1: its dependent still needs it. */
  guint64 one = 1;
  dmpi_sched_release (f->sched, &one, 1);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_FREE, 2), ==, 0);
  /* Once the dependent is done, 1 goes. */
  dmpi_sched_task_finished (f->sched, 2, 0, 2, 8, 0, 0);
  g_assert_nonnull (find (f->sched, DMPI_ACTION_FREE, 1));
  g_assert_null (dmpi_sched_lookup (f->sched, 1));
  dmpi_sched_clear_actions (f->sched);
  guint64 two = 2;
  dmpi_sched_release (f->sched, &two, 1);
  g_assert_nonnull (find (f->sched, DMPI_ACTION_FREE, 2));
  DmpiSchedStats stats;
  dmpi_sched_get_stats (f->sched, &stats);
  g_assert_cmpuint (stats.n_tasks, ==, 0);
}

static void
test_saturation (Fixture *f, gconstpointer data)
{
  dmpi_sched_add_worker (f->sched, 2, "a", 2, 0);
  for (guint64 id = 1; id <= 1000; id++)
    submit (f->sched, id, "sleep", NULL, 0);
  DmpiSchedWorker *w = dmpi_sched_get_worker (f->sched, 2);
  guint slots = dmpi_sched_worker_slots (f->sched, w);
  g_assert_cmpuint (slots, >=, 2);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, 2), ==, w->n_processing);
  g_assert_cmpuint (w->n_processing, <=, slots);
  DmpiSchedStats stats;
  dmpi_sched_get_stats (f->sched, &stats);
  g_assert_cmpuint (stats.n_by_state[DMPI_TASK_QUEUED], ==, 1000 - w->n_processing);
  /* A second worker joining takes queued work at once. */
  dmpi_sched_add_worker (f->sched, 3, "b", 2, 0);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, 3), >, 0);
}

static void
test_no_worker (Fixture *f, gconstpointer data)
{
  submit (f->sched, 1, "inc", NULL, 0);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, -1), ==, 0);
  g_assert_cmpint (dmpi_sched_lookup (f->sched, 1)->state, ==, DMPI_TASK_QUEUED);
  dmpi_sched_add_worker (f->sched, 4, "late", 1, 0);
  g_assert_nonnull (find (f->sched, DMPI_ACTION_COMPUTE, 1));
  g_assert_cmpint (dmpi_sched_lookup (f->sched, 1)->state, ==, DMPI_TASK_PROCESSING);
}

static void
test_worker_lost (Fixture *f, gconstpointer data)
{
  dmpi_sched_add_worker (f->sched, 2, "a", 1, 0);
  submit (f->sched, 1, "inc", NULL, 0);
  dmpi_sched_clear_actions (f->sched);
  dmpi_sched_remove_worker (f->sched, 2, "stopped answering");
  const DmpiSchedAction *r = find (f->sched, DMPI_ACTION_REPORT, 1);
  g_assert_nonnull (r);
  g_assert_cmpuint (r->error_code, ==, DMPI_ERROR_WORKER_LOST);
  g_assert_nonnull (strstr (r->message, "rank 2"));
}

static void
test_stale_finish_ignored (Fixture *f, gconstpointer data)
{
  dmpi_sched_add_worker (f->sched, 2, "a", 1, 0);
  dmpi_sched_add_worker (f->sched, 3, "b", 1, 0);
  submit (f->sched, 1, "inc", NULL, 0);
  int on = find (f->sched, DMPI_ACTION_COMPUTE, 1)->worker;
  dmpi_sched_clear_actions (f->sched);
  /* A worker reporting a task it was never given changes nothing. */
  dmpi_sched_task_finished (f->sched, on == 2 ? 3 : 2, 0, 1, 8, 0, 0);
  g_assert_cmpint (dmpi_sched_lookup (f->sched, 1)->state, ==, DMPI_TASK_PROCESSING);
  dmpi_sched_task_finished (f->sched, 9, 0, 12345, 8, 0, 0);
  dmpi_sched_clear_actions (f->sched);
}

/* What the dashboard reads: per-function progress, the task stream, errors,
 * worker metrics. */
static void
test_queries (Fixture *f, gconstpointer data)
{
  dmpi_sched_add_worker (f->sched, 2, "a", 2, 0);
  submit (f->sched, 1, "inc", NULL, 0);
  submit (f->sched, 2, "inc", NULL, 0);
  submit (f->sched, 3, "fail", NULL, 0);
  dmpi_sched_clear_actions (f->sched);
  dmpi_sched_task_finished (f->sched, 2, 1, 1, 8, 10.0, 10.5);
  dmpi_sched_task_erred (f->sched, 2, 0, 3, DMPI_ERROR_TASK_FAILED, "task 'fail-3' failed: boom", 10.0, 11.0);
  dmpi_sched_clear_actions (f->sched);

  GPtrArray *functions = dmpi_sched_list_functions (f->sched);
  g_assert_cmpuint (functions->len, ==, 2);
  DmpiSchedFunction *inc = g_ptr_array_index (functions, 0);
  g_assert_cmpstr (inc->name, ==, "inc");
  g_assert_cmpuint (inc->n_total, ==, 2);
  g_assert_cmpuint (inc->n_by_state[DMPI_TASK_MEMORY], ==, 1);
  g_assert_cmpuint (inc->n_by_state[DMPI_TASK_PROCESSING], ==, 1);
  g_assert_cmpfloat_with_epsilon (inc->duration, 0.5, 1e-9);
  DmpiSchedFunction *fail = g_ptr_array_index (functions, 1);
  g_assert_cmpuint (fail->n_by_state[DMPI_TASK_ERRED], ==, 1);
  g_assert_cmpuint (fail->n_erred, ==, 1);

  DmpiSchedStreamEntry stream[8];
  gsize n = dmpi_sched_read_stream (f->sched, 0, stream, G_N_ELEMENTS (stream));
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpuint (stream[0].id, ==, 1);
  g_assert_cmpuint (stream[0].thread, ==, 1);
  g_assert_false (stream[0].erred);
  g_assert_true (stream[1].erred);
  g_assert_cmpuint (dmpi_sched_read_stream (f->sched, stream[1].seq, stream, 8), ==, 0);

  GPtrArray *errors = dmpi_sched_list_errors (f->sched);
  g_assert_cmpuint (errors->len, ==, 1);
  DmpiSchedErrorEntry *e = g_ptr_array_index (errors, 0);
  g_assert_cmpstr (e->key, ==, "fail-3");
  g_assert_nonnull (strstr (e->message, "boom"));

  dmpi_sched_worker_heartbeat (f->sched, 2, 1, 100, 1 << 20, 1.0, 100.0);
  dmpi_sched_worker_heartbeat (f->sched, 2, 1, 200, 1 << 20, 2.0, 102.0);
  DmpiSchedWorker *w = dmpi_sched_get_worker (f->sched, 2);
  g_assert_cmpuint (w->stored_bytes, ==, 200);
  g_assert_cmpfloat_with_epsilon (w->cpu_percent, 50.0, 1e-9);
}

static void
submit_spec (DmpiSched *sched, DmpiSchedTaskSpec *spec)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *key = g_strdup_printf ("%s-%" G_GUINT64_FORMAT, spec->function, spec->id);

  spec->key = key;
  spec->args_type = "()";
  spec->args = "";
  spec->args_size = 1;
  g_assert_true (dmpi_sched_submit (sched, spec, 1, &error));
  g_assert_no_error (error);
}

static guint64
first_compute (DmpiSched *sched)
{
  guint n;
  const DmpiSchedAction *actions = dmpi_sched_get_actions (sched, &n);

  for (guint i = 0; i < n; i++)
    if (actions[i].kind == DMPI_ACTION_COMPUTE)
      return actions[i].id;
  return 0;
}

/* Higher priority first; equal priorities in submission order. */
static void
test_priorities (Fixture *f, gconstpointer data)
{
  for (guint64 id = 1; id <= 4; id++)
    {
      DmpiSchedTaskSpec spec = { .id = id, .function = "sleep", .priority = id == 3 ? 10 : 0 };
      submit_spec (f->sched, &spec);
    }
  dmpi_sched_clear_actions (f->sched);
  /* One thread, saturation 2: the first two sent are the priority-10 task, then the earliest. */
  dmpi_sched_add_worker (f->sched, 2, "a", 1, 0);
  guint n;
  const DmpiSchedAction *actions = dmpi_sched_get_actions (f->sched, &n);
  g_assert_cmpuint (n, >=, 2);
  g_assert_cmpuint (actions[0].id, ==, 3);
  g_assert_cmpuint (actions[1].id, ==, 1);
}

static void
test_retries (Fixture *f, gconstpointer data)
{
  dmpi_sched_add_worker (f->sched, 2, "a", 1, 0);
  DmpiSchedTaskSpec spec = { .id = 1, .function = "flaky", .retries = 2 };
  submit_spec (f->sched, &spec);
  g_assert_cmpuint (first_compute (f->sched), ==, 1);
  dmpi_sched_clear_actions (f->sched);
  /* Two failures are retried, not reported. */
  for (int attempt = 0; attempt < 2; attempt++)
    {
      dmpi_sched_task_erred (f->sched, 2, 0, 1, DMPI_ERROR_TASK_FAILED, "transient", 0, 0);
      g_assert_null (find (f->sched, DMPI_ACTION_REPORT, 1));
      g_assert_cmpuint (first_compute (f->sched), ==, 1);
      dmpi_sched_clear_actions (f->sched);
    }
  /* The third is final. */
  dmpi_sched_task_erred (f->sched, 2, 0, 1, DMPI_ERROR_TASK_FAILED, "still broken", 0, 0);
  const DmpiSchedAction *r = find (f->sched, DMPI_ACTION_REPORT, 1);
  g_assert_nonnull (r);
  g_assert_cmpint (r->state, ==, DMPI_TASK_ERRED);
  g_assert_nonnull (strstr (r->message, "still broken"));
  dmpi_sched_clear_actions (f->sched);

  /* Success after one failure. */
  DmpiSchedTaskSpec spec2 = { .id = 2, .function = "flaky", .retries = 3 };
  submit_spec (f->sched, &spec2);
  dmpi_sched_clear_actions (f->sched);
  dmpi_sched_task_erred (f->sched, 2, 0, 2, DMPI_ERROR_TASK_FAILED, "transient", 0, 0);
  dmpi_sched_clear_actions (f->sched);
  dmpi_sched_task_finished (f->sched, 2, 0, 2, 8, 0, 0);
  g_assert_cmpint (find (f->sched, DMPI_ACTION_REPORT, 2)->state, ==, DMPI_TASK_MEMORY);
}

static void
test_restrictions (Fixture *f, gconstpointer data)
{
  dmpi_sched_add_worker (f->sched, 2, "a", 4, 0);
  dmpi_sched_add_worker (f->sched, 3, "b", 4, 0);
  int only3[] = { 3 }, only7[] = { 7 };
  for (guint64 id = 1; id <= 6; id++)
    {
      DmpiSchedTaskSpec spec = { .id = id, .function = "inc", .restrict_to = only3, .n_restrict = 1 };
      submit_spec (f->sched, &spec);
    }
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, 3), ==, 6);
  /* A task restricted to a rank with no worker waits for one. */
  DmpiSchedTaskSpec spec = { .id = 7, .function = "inc", .restrict_to = only7, .n_restrict = 1 };
  submit_spec (f->sched, &spec);
  g_assert_cmpint (dmpi_sched_lookup (f->sched, 7)->state, ==, DMPI_TASK_NO_WORKER);
  dmpi_sched_task_finished (f->sched, 3, 0, 1, 8, 0, 0);      /* no endless retrying meanwhile */
  g_assert_cmpint (dmpi_sched_lookup (f->sched, 7)->state, ==, DMPI_TASK_NO_WORKER);
  dmpi_sched_clear_actions (f->sched);
  dmpi_sched_add_worker (f->sched, 7, "c", 1, 0);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, 7), ==, 1);
}

static void
test_cancel (Fixture *f, gconstpointer data)
{
  dmpi_sched_add_worker (f->sched, 2, "a", 1, 0);
  for (guint64 id = 1; id <= 10; id++)
    submit (f->sched, id, "sleep", NULL, 0);
  guint64 d[] = { 10 };
  submit (f->sched, 11, "inc", d, 1);
  dmpi_sched_clear_actions (f->sched);
  guint64 running = 1, queued = 10;
  DmpiSchedWorker *w = dmpi_sched_get_worker (f->sched, 2);
  guint before = w->n_processing;
  dmpi_sched_cancel (f->sched, &running, 1);
  const DmpiSchedAction *r = find (f->sched, DMPI_ACTION_REPORT, 1);
  g_assert_nonnull (r);
  g_assert_cmpuint (r->error_code, ==, DMPI_ERROR_CANCELLED);
  /* Its slot went to the next queued task. */
  g_assert_cmpuint (w->n_processing, ==, before);
  dmpi_sched_clear_actions (f->sched);
  dmpi_sched_cancel (f->sched, &queued, 1);
  g_assert_cmpuint (find (f->sched, DMPI_ACTION_REPORT, 10)->error_code, ==, DMPI_ERROR_CANCELLED);
  g_assert_cmpuint (find (f->sched, DMPI_ACTION_REPORT, 11)->error_code, ==, DMPI_ERROR_DEPENDENCY_FAILED);
  dmpi_sched_clear_actions (f->sched);
  /* The cancelled running task's late result is freed on its worker. */
  dmpi_sched_task_finished (f->sched, 2, 0, 1, 8, 0, 0);
  g_assert_nonnull (find (f->sched, DMPI_ACTION_FREE, 1));
}

static void
test_keep (Fixture *f, gconstpointer data)
{
  submit (f->sched, 1, "sleep", NULL, 0);
  submit (f->sched, 2, "sleep", NULL, 0);
  guint64 ids[] = { 1, 2 };
  dmpi_sched_keep (f->sched, ids, 1);
  dmpi_sched_release (f->sched, ids, 2);
  g_assert_nonnull (dmpi_sched_lookup (f->sched, 1));   /* fire and forget: still runs */
  g_assert_null (dmpi_sched_lookup (f->sched, 2));      /* released: forgotten */
  dmpi_sched_add_worker (f->sched, 2, "a", 1, 0);
  g_assert_nonnull (find (f->sched, DMPI_ACTION_COMPUTE, 1));
  dmpi_sched_clear_actions (f->sched);
  dmpi_sched_task_finished (f->sched, 2, 0, 1, 8, 0, 0);
  g_assert_nonnull (find (f->sched, DMPI_ACTION_FREE, 1));
  g_assert_null (dmpi_sched_lookup (f->sched, 1));
}

/* ---- work stealing and pausing ---- */

/* @kind actions for @id, without clearing. */
static guint
count_for (DmpiSched *sched, DmpiActionKind kind, guint64 id)
{
  guint n, count = 0;
  const DmpiSchedAction *actions = dmpi_sched_get_actions (sched, &n);

  for (guint i = 0; i < n; i++)
    count += actions[i].kind == kind && actions[i].id == id;
  return count;
}

/* Worker 2 (one thread) holds @n tasks 2..n+1 of 0.1 s each, all needing
 * seed 1's @seed_bytes result, which it holds: what placement does when it
 * is the only worker. Each task may be retried once and runs only on
 * @restrict_to when that is given. */
static void
pile (DmpiSched *sched, guint n, guint64 seed_bytes, double duration, const int *restrict_to, guint n_restrict)
{
  dmpi_sched_add_worker (sched, 2, "a", 1, 0);
  submit (sched, 100, "work", NULL, 0);
  dmpi_sched_task_finished (sched, 2, 0, 100, 8, 0, duration);     /* learns its duration */
  submit (sched, 1, "seed", NULL, 0);
  dmpi_sched_task_finished (sched, 2, 0, 1, seed_bytes, 0, 1e-5);
  dmpi_sched_clear_actions (sched);
  guint64 deps[] = { 1 };
  for (guint64 id = 2; id <= n + 1; id++)
    {
      DmpiSchedTaskSpec spec = { .id = id, .function = "work", .deps = deps, .n_deps = 1, .retries = 1,
                                 .restrict_to = restrict_to, .n_restrict = n_restrict };
      submit_spec (sched, &spec);
    }
  g_assert_cmpuint (take (sched, DMPI_ACTION_COMPUTE, 2), ==, n);
  g_assert_cmpuint (dmpi_sched_get_worker (sched, 2)->n_processing, ==, n);
}

/* pile() of 5, then an idle worker 3 joins: one STEAL goes out, for the
 * newest, task 6. */
static void
pile_and_steal (Fixture *f)
{
  pile (f->sched, 5, 8, 0.1, NULL, 0);
  dmpi_sched_add_worker (f->sched, 3, "b", 1, 0);
  g_assert_cmpuint (count_for (f->sched, DMPI_ACTION_STEAL, 6), ==, 1);
  dmpi_sched_clear_actions (f->sched);
}

static void
test_steal (Fixture *f, gconstpointer data)
{
  pile (f->sched, 5, 8, 0.1, NULL, 0);
  /* An idle worker joins: the newest task of the busy one is asked back,
   * once: one free thread, one request. */
  dmpi_sched_add_worker (f->sched, 3, "b", 1, 0);
  const DmpiSchedAction *steal = find (f->sched, DMPI_ACTION_STEAL, 6);
  g_assert_nonnull (steal);
  g_assert_cmpint (steal->worker, ==, 2);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_STEAL, -1), ==, 1);
  g_assert_true (dmpi_sched_lookup (f->sched, 6)->stealing);
  g_assert_cmpuint (dmpi_sched_get_worker (f->sched, 2)->n_stealing, ==, 1);
  /* More events meanwhile ask for nothing more (and never twice for 6). */
  dmpi_sched_worker_heartbeat (f->sched, 2, 1, 0, 0, 0, 1.0);
  guint64 none = 999;
  dmpi_sched_release (f->sched, &none, 1);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_STEAL, -1), ==, 0);

  /* Given back: it leaves worker 2 and runs on the idle worker. */
  dmpi_sched_task_given_back (f->sched, 2, 6);
  const DmpiSchedAction *compute = find (f->sched, DMPI_ACTION_COMPUTE, 6);
  g_assert_nonnull (compute);
  g_assert_cmpint (compute->worker, ==, 3);
  dmpi_sched_clear_actions (f->sched);
  DmpiSchedWorker *w2 = dmpi_sched_get_worker (f->sched, 2), *w3 = dmpi_sched_get_worker (f->sched, 3);
  g_assert_cmpuint (w2->n_processing, ==, 4);
  g_assert_cmpuint (w2->n_stealing, ==, 0);
  g_assert_cmpuint (w2->n_stolen, ==, 1);
  g_assert_cmpuint (w3->n_processing, ==, 1);
  DmpiSchedStats stats;
  dmpi_sched_get_stats (f->sched, &stats);
  g_assert_cmpuint (stats.n_steal_requests, ==, 1);
  g_assert_cmpuint (stats.n_stolen, ==, 1);

  /* Given back twice, or by a worker never asked: nothing happens. */
  dmpi_sched_task_given_back (f->sched, 2, 6);
  dmpi_sched_task_given_back (f->sched, 3, 6);
  dmpi_sched_task_given_back (f->sched, 3, 12345);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, -1), ==, 0);
  g_assert_cmpint (dmpi_sched_lookup (f->sched, 6)->worker, ==, 3);
  g_assert_cmpuint (w3->n_processing, ==, 1);

  /* Worker 3 finishes: free again, it gets the next newest of worker 2. */
  dmpi_sched_task_finished (f->sched, 3, 0, 6, 8, 0, 0.1);
  g_assert_nonnull (find (f->sched, DMPI_ACTION_STEAL, 5));
  dmpi_sched_clear_actions (f->sched);
}

/* The STEAL crosses the task's FINISHED: the late GIVE_BACK is ignored. */
static void
test_steal_finished_first (Fixture *f, gconstpointer data)
{
  pile_and_steal (f);
  dmpi_sched_task_finished (f->sched, 2, 0, 6, 8, 0, 0.1);
  DmpiSchedWorker *w2 = dmpi_sched_get_worker (f->sched, 2);
  g_assert_cmpint (dmpi_sched_lookup (f->sched, 6)->state, ==, DMPI_TASK_MEMORY);
  g_assert_false (dmpi_sched_lookup (f->sched, 6)->stealing);
  dmpi_sched_clear_actions (f->sched);
  guint before = w2->n_processing;
  dmpi_sched_task_given_back (f->sched, 2, 6);
  g_assert_cmpuint (count_for (f->sched, DMPI_ACTION_COMPUTE, 6), ==, 0);
  g_assert_cmpint (dmpi_sched_lookup (f->sched, 6)->state, ==, DMPI_TASK_MEMORY);
  g_assert_cmpuint (w2->n_processing, ==, before);
  g_assert_cmpuint (w2->n_stolen, ==, 0);
}

/* The worker is removed while a STEAL is out; its answer comes late. */
static void
test_steal_worker_removed (Fixture *f, gconstpointer data)
{
  pile_and_steal (f);
  dmpi_sched_remove_worker (f->sched, 2, "stopped answering");
  g_assert_cmpuint (find (f->sched, DMPI_ACTION_REPORT, 6)->error_code, ==, DMPI_ERROR_WORKER_LOST);
  dmpi_sched_clear_actions (f->sched);
  dmpi_sched_task_given_back (f->sched, 2, 6);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, -1), ==, 0);
  g_assert_cmpint (dmpi_sched_lookup (f->sched, 6)->state, ==, DMPI_TASK_ERRED);
  g_assert_cmpuint (dmpi_sched_get_worker (f->sched, 2)->n_processing, ==, 0);
  /* Back under the same rank, it is a new worker: still nothing. */
  dmpi_sched_add_worker (f->sched, 2, "a", 1, 0);
  dmpi_sched_task_given_back (f->sched, 2, 6);
  g_assert_cmpuint (dmpi_sched_get_worker (f->sched, 2)->n_processing, ==, 0);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, -1), ==, 0);
}

/* Cancelled while the STEAL is out: given back, it frees its slot only. */
static void
test_steal_cancelled (Fixture *f, gconstpointer data)
{
  pile (f->sched, 5, 8, 0.1, NULL, 0);
  dmpi_sched_add_worker (f->sched, 3, "b", 1, 0);
  dmpi_sched_clear_actions (f->sched);
  guint64 id = 6;
  dmpi_sched_cancel (f->sched, &id, 1);
  g_assert_cmpuint (find (f->sched, DMPI_ACTION_REPORT, 6)->error_code, ==, DMPI_ERROR_CANCELLED);
  dmpi_sched_clear_actions (f->sched);
  DmpiSchedWorker *w2 = dmpi_sched_get_worker (f->sched, 2);
  g_assert_cmpuint (w2->n_processing, ==, 5);        /* it still holds the slot */
  dmpi_sched_task_given_back (f->sched, 2, 6);
  g_assert_cmpuint (w2->n_processing, ==, 4);
  g_assert_false (dmpi_sched_lookup (f->sched, 6)->stealing);
  g_assert_cmpuint (count_for (f->sched, DMPI_ACTION_COMPUTE, 6), ==, 0);
  g_assert_cmpuint (count_for (f->sched, DMPI_ACTION_STEAL, 5), ==, 1);   /* worker 3 still idle */
  dmpi_sched_clear_actions (f->sched);
  /* The client lets go: forgotten. */
  dmpi_sched_release (f->sched, &id, 1);
  g_assert_null (dmpi_sched_lookup (f->sched, 6));
  dmpi_sched_clear_actions (f->sched);
}

/* It failed on its worker and was retried meanwhile: the old answer is
 * ignored and the retry runs once. */
static void
test_steal_retried (Fixture *f, gconstpointer data)
{
  pile (f->sched, 5, 8, 0.1, NULL, 0);
  dmpi_sched_add_worker (f->sched, 3, "b", 1, 0);
  dmpi_sched_clear_actions (f->sched);
  dmpi_sched_task_erred (f->sched, 2, 0, 6, DMPI_ERROR_TASK_FAILED, "boom", 0, 0.1);
  const DmpiSchedAction *retry = find (f->sched, DMPI_ACTION_COMPUTE, 6);
  g_assert_nonnull (retry);
  int on = retry->worker;
  dmpi_sched_clear_actions (f->sched);
  dmpi_sched_task_given_back (f->sched, 2, 6);
  g_assert_cmpuint (count_for (f->sched, DMPI_ACTION_COMPUTE, 6), ==, 0);
  g_assert_cmpint (dmpi_sched_lookup (f->sched, 6)->state, ==, DMPI_TASK_PROCESSING);
  g_assert_cmpint (dmpi_sched_lookup (f->sched, 6)->worker, ==, on);
  dmpi_sched_clear_actions (f->sched);
}

/* A restricted task goes only to a worker it may run on. */
static void
test_steal_restricted (Fixture *f, gconstpointer data)
{
  int allowed[] = { 2, 4 };
  pile (f->sched, 5, 8, 0.1, allowed, G_N_ELEMENTS (allowed));
  dmpi_sched_add_worker (f->sched, 3, "b", 1, 0);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_STEAL, -1), ==, 0);   /* 3 may not run them */
  dmpi_sched_add_worker (f->sched, 4, "c", 1, 0);
  g_assert_cmpuint (count_for (f->sched, DMPI_ACTION_STEAL, 6), ==, 1);
  dmpi_sched_clear_actions (f->sched);
  dmpi_sched_task_given_back (f->sched, 2, 6);
  const DmpiSchedAction *compute = find (f->sched, DMPI_ACTION_COMPUTE, 6);
  g_assert_nonnull (compute);
  g_assert_cmpint (compute->worker, ==, 4);
  dmpi_sched_clear_actions (f->sched);
}

/* Moving the inputs costs more than running the task: no steal. */
static void
test_steal_transfer_dominates (Fixture *f, gconstpointer data)
{
  pile (f->sched, 5, G_GUINT64_CONSTANT (1) << 30, 0.1, NULL, 0);    /* 1 GiB: ~1 s to move */
  dmpi_sched_add_worker (f->sched, 3, "b", 1, 0);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_STEAL, -1), ==, 0);
}

/* A wait behind a few short tasks is not worth a steal either. */
static void
test_steal_not_worth (Fixture *f, gconstpointer data)
{
  pile (f->sched, 3, 8, 1e-5, NULL, 0);
  dmpi_sched_add_worker (f->sched, 3, "b", 1, 0);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_STEAL, -1), ==, 0);
}

static void
test_steal_off (Fixture *f, gconstpointer data)
{
  dmpi_sched_set_stealing (f->sched, FALSE);
  pile (f->sched, 5, 8, 0.1, NULL, 0);
  dmpi_sched_add_worker (f->sched, 3, "b", 1, 0);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_STEAL, -1), ==, 0);
  dmpi_sched_set_stealing (f->sched, TRUE);
  dmpi_sched_task_finished (f->sched, 2, 0, 2, 8, 0, 0.1);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_STEAL, -1), ==, 1);
}

/* A paused worker gets nothing (queue, placement, restriction, stealing),
 * gives back what it has not started, and is filled again on resuming. */
static void
test_pause (Fixture *f, gconstpointer data)
{
  dmpi_sched_add_worker (f->sched, 2, "a", 1, 0);
  dmpi_sched_add_worker (f->sched, 3, "b", 1, 0);
  for (guint64 id = 1; id <= 20; id++)
    submit (f->sched, id, "sleep", NULL, 0);
  dmpi_sched_clear_actions (f->sched);
  DmpiSchedWorker *w3 = dmpi_sched_get_worker (f->sched, 3);
  guint on3 = w3->n_processing;
  g_assert_cmpuint (on3, >, 1);
  /* One result held by worker 3, for placement below. */
  guint64 held = 0;
  for (guint64 id = 1; id <= 20 && held == 0; id++)
    if (dmpi_sched_lookup (f->sched, id)->worker == 3)
      held = id;
  dmpi_sched_task_finished (f->sched, 3, 0, held, 8 << 20, 0, 0.1);
  dmpi_sched_clear_actions (f->sched);
  on3 = w3->n_processing;

  dmpi_sched_worker_paused (f->sched, 3, TRUE);
  g_assert_true (w3->paused);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_STEAL, 3), ==, on3);   /* every one asked back */
  /* It gives back all but the one it runs; they go back to the queue. */
  guint64 running = 0;
  for (guint64 id = 1; id <= 20; id++)
    {
      DmpiSchedTask *t = dmpi_sched_lookup (f->sched, id);
      if (t == NULL || t->worker != 3)
        continue;
      if (running == 0)
        running = id;
      else
        dmpi_sched_task_given_back (f->sched, 3, id);
    }
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, 3), ==, 0);
  g_assert_cmpuint (w3->n_processing, ==, 1);
  /* Nothing new: not from the queue as slots free up, not by placement
   * next to its 8 MiB, not by restriction, not by stealing. */
  for (guint64 id = 1; id <= 20; id++)
    {
      DmpiSchedTask *t = dmpi_sched_lookup (f->sched, id);
      if (t != NULL && t->state == DMPI_TASK_PROCESSING && t->worker == 2)
        dmpi_sched_task_finished (f->sched, 2, 0, id, 8, 0, 0.1);
    }
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, 3), ==, 0);
  guint64 deps[] = { held };
  submit (f->sched, 30, "inc", deps, 1);
  g_assert_cmpint (find (f->sched, DMPI_ACTION_COMPUTE, 30)->worker, ==, 2);
  int only3[] = { 3 };
  DmpiSchedTaskSpec spec = { .id = 31, .function = "inc", .restrict_to = only3, .n_restrict = 1 };
  submit_spec (f->sched, &spec);
  g_assert_cmpint (dmpi_sched_lookup (f->sched, 31)->state, ==, DMPI_TASK_NO_WORKER);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, 3), ==, 0);
  /* Its running task finishes; its result stays where it is. */
  dmpi_sched_task_finished (f->sched, 3, 0, running, 8, 0, 0.1);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, 3), ==, 0);
  g_assert_cmpint (dmpi_sched_lookup (f->sched, running)->holder, ==, 3);
  g_assert_cmpuint (w3->n_processing, ==, 0);

  /* Resumed: eligible again and filled at once from the queue, the
   * restricted task too. */
  for (guint64 id = 40; id < 60; id++)
    submit (f->sched, id, "sleep", NULL, 0);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, 3), ==, 0);
  DmpiSchedStats stats;
  dmpi_sched_get_stats (f->sched, &stats);
  g_assert_cmpuint (stats.n_by_state[DMPI_TASK_QUEUED], >, 0);
  dmpi_sched_worker_paused (f->sched, 3, FALSE);
  g_assert_false (w3->paused);
  g_assert_cmpint (find (f->sched, DMPI_ACTION_COMPUTE, 31)->worker, ==, 3);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, 3), ==, dmpi_sched_worker_slots (f->sched, w3));
}

/* ---- refused steals ---- */

/* The worker refuses (it started the task): the request is no longer out,
 * the idle thread steals another task at once, and the refused one is not
 * asked back again. Refusals that match no STEAL out change nothing. */
static void
test_steal_refused (Fixture *f, gconstpointer data)
{
  pile_and_steal (f);
  DmpiSchedWorker *w2 = dmpi_sched_get_worker (f->sched, 2);
  g_assert_cmpuint (w2->n_stealing, ==, 1);

  dmpi_sched_steal_refused (f->sched, 2, 6);
  DmpiSchedTask *t6 = dmpi_sched_lookup (f->sched, 6);
  g_assert_false (t6->stealing);
  g_assert_cmpint (t6->state, ==, DMPI_TASK_PROCESSING);
  g_assert_cmpint (t6->worker, ==, 2);
  g_assert_cmpuint (w2->n_processing, ==, 5);
  /* Worker 3 is still idle: the next newest is asked for right away. */
  g_assert_cmpuint (count_for (f->sched, DMPI_ACTION_STEAL, 5), ==, 1);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_STEAL, -1), ==, 1);
  g_assert_cmpuint (w2->n_stealing, ==, 1);

  /* Refused twice, never asked, wrong worker, unknown task or worker. */
  DmpiSchedStats before, after;
  dmpi_sched_get_stats (f->sched, &before);
  dmpi_sched_steal_refused (f->sched, 2, 6);
  dmpi_sched_steal_refused (f->sched, 2, 4);
  dmpi_sched_steal_refused (f->sched, 3, 5);
  dmpi_sched_steal_refused (f->sched, 2, 12345);
  dmpi_sched_steal_refused (f->sched, 99, 5);
  dmpi_sched_steal_refused (f->sched, -1, 5);
  dmpi_sched_get_stats (f->sched, &after);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_STEAL, -1), ==, 0);
  g_assert_cmpuint (after.n_steal_requests, ==, before.n_steal_requests);
  g_assert_cmpuint (w2->n_stealing, ==, 1);
  g_assert_true (dmpi_sched_lookup (f->sched, 5)->stealing);
  g_assert_false (dmpi_sched_lookup (f->sched, 4)->stealing);

  /* 5 comes back and runs on 3; when 3 is free again the next task asked
   * for is 4, not the refused 6. */
  dmpi_sched_task_given_back (f->sched, 2, 5);
  g_assert_cmpint (find (f->sched, DMPI_ACTION_COMPUTE, 5)->worker, ==, 3);
  dmpi_sched_clear_actions (f->sched);
  dmpi_sched_task_finished (f->sched, 3, 0, 5, 8, 0, 0.1);
  g_assert_cmpuint (count_for (f->sched, DMPI_ACTION_STEAL, 6), ==, 0);
  g_assert_cmpuint (count_for (f->sched, DMPI_ACTION_STEAL, 4), ==, 1);
  dmpi_sched_clear_actions (f->sched);

  /* The task finishes before the refusal arrives: the late refusal is
   * ignored and asks for nothing. */
  dmpi_sched_task_finished (f->sched, 2, 0, 4, 8, 0, 0.1);
  g_assert_false (dmpi_sched_lookup (f->sched, 4)->stealing);
  dmpi_sched_clear_actions (f->sched);
  guint stealing = w2->n_stealing, processing = w2->n_processing;
  dmpi_sched_get_stats (f->sched, &before);
  dmpi_sched_steal_refused (f->sched, 2, 4);
  dmpi_sched_get_stats (f->sched, &after);
  g_assert_cmpuint (after.n_steal_requests, ==, before.n_steal_requests);
  g_assert_cmpuint (w2->n_stealing, ==, stealing);
  g_assert_cmpuint (w2->n_processing, ==, processing);
  g_assert_cmpuint (dmpi_sched_lookup (f->sched, 4)->state, ==, DMPI_TASK_MEMORY);
  dmpi_sched_clear_actions (f->sched);
}

/* A refusal for a task cancelled meanwhile: the task keeps its slot until
 * it reports; one for a removed worker changes nothing. */
static void
test_steal_refused_cancelled_removed (Fixture *f, gconstpointer data)
{
  pile_and_steal (f);
  guint64 id = 6;
  dmpi_sched_cancel (f->sched, &id, 1);
  dmpi_sched_clear_actions (f->sched);
  DmpiSchedWorker *w2 = dmpi_sched_get_worker (f->sched, 2);
  dmpi_sched_steal_refused (f->sched, 2, 6);
  g_assert_cmpuint (w2->n_processing, ==, 5);
  g_assert_false (dmpi_sched_lookup (f->sched, 6)->stealing);
  g_assert_cmpuint (count_for (f->sched, DMPI_ACTION_STEAL, 5), ==, 1);   /* 3 still idle */
  g_assert_cmpuint (w2->n_stealing, ==, 1);                                /* for 5 only */
  dmpi_sched_clear_actions (f->sched);
  dmpi_sched_task_finished (f->sched, 2, 0, 6, 8, 0, 0.1);
  g_assert_nonnull (find (f->sched, DMPI_ACTION_FREE, 6));
  g_assert_cmpuint (w2->n_processing, ==, 4);
  dmpi_sched_clear_actions (f->sched);

  /* STEAL for 5 is out; the worker goes; its refusal comes late. */
  dmpi_sched_remove_worker (f->sched, 2, "stopped answering");
  dmpi_sched_clear_actions (f->sched);
  dmpi_sched_steal_refused (f->sched, 2, 5);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_STEAL, -1), ==, 0);
  g_assert_cmpuint (w2->n_stealing, ==, 0);
  g_assert_cmpint (dmpi_sched_lookup (f->sched, 5)->state, ==, DMPI_TASK_ERRED);
}

/* ---- nothing can run ---- */

static void
test_fail_unrunnable (Fixture *f, gconstpointer data)
{
  g_assert_false (dmpi_sched_has_runnable_worker (f->sched));
  g_assert_cmpuint (dmpi_sched_fail_unrunnable (f->sched, DMPI_ERROR_MEMORY, "x"), ==, 0);

  dmpi_sched_add_worker (f->sched, 2, "a", 1, 0);
  g_assert_true (dmpi_sched_has_runnable_worker (f->sched));
  for (guint64 id = 1; id <= 10; id++)
    submit (f->sched, id, "sleep", NULL, 0);
  guint64 d10[] = { 10 }, d1[] = { 1 };
  submit (f->sched, 20, "inc", d10, 1);            /* waits on a queued task */
  int only7[] = { 7 };
  DmpiSchedTaskSpec spec = { .id = 21, .function = "inc", .restrict_to = only7, .n_restrict = 1 };
  submit_spec (f->sched, &spec);                   /* no worker may run it */
  guint64 d21[] = { 21 };
  submit (f->sched, 22, "inc", d21, 1);
  submit (f->sched, 23, "inc", d1, 1);              /* waits on a processing task */
  /* Fire and forget, released: runs although nobody holds it. */
  submit (f->sched, 24, "sleep", NULL, 0);
  guint64 keep = 24;
  dmpi_sched_keep (f->sched, &keep, 1);
  dmpi_sched_release (f->sched, &keep, 1);
  dmpi_sched_clear_actions (f->sched);
  DmpiSchedWorker *w2 = dmpi_sched_get_worker (f->sched, 2);
  guint processing = w2->n_processing;
  g_assert_cmpuint (processing, >=, 1);
  g_assert_cmpint (dmpi_sched_lookup (f->sched, 1)->state, ==, DMPI_TASK_PROCESSING);
  g_assert_cmpint (dmpi_sched_lookup (f->sched, 10)->state, ==, DMPI_TASK_QUEUED);
  g_assert_cmpint (dmpi_sched_lookup (f->sched, 21)->state, ==, DMPI_TASK_NO_WORKER);

  /* The only worker pauses for good: it refuses 1 (running), gives back
   * the rest it had. */
  dmpi_sched_worker_paused (f->sched, 2, TRUE);
  g_assert_false (dmpi_sched_has_runnable_worker (f->sched));
  dmpi_sched_clear_actions (f->sched);
  dmpi_sched_steal_refused (f->sched, 2, 1);
  for (guint64 id = 2; id <= 10; id++)
    dmpi_sched_task_given_back (f->sched, 2, id);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, -1), ==, 0);
  g_assert_cmpuint (w2->n_processing, ==, 1);

  DmpiSchedStats stats;
  dmpi_sched_get_stats (f->sched, &stats);
  guint64 unrunnable = stats.n_by_state[DMPI_TASK_QUEUED] + stats.n_by_state[DMPI_TASK_NO_WORKER];
  g_assert_cmpuint (unrunnable, ==, 11);            /* 2..10, 21, 24 */
  g_assert_cmpuint (dmpi_sched_fail_unrunnable (f->sched, DMPI_ERROR_MEMORY, "every worker is paused"), ==, 11);
  for (guint64 id = 2; id <= 10; id++)
    {
      const DmpiSchedAction *r = find (f->sched, DMPI_ACTION_REPORT, id);
      g_assert_nonnull (r);
      g_assert_cmpint (r->state, ==, DMPI_TASK_ERRED);
      g_assert_cmpuint (r->error_code, ==, DMPI_ERROR_MEMORY);
      g_autofree char *expected = g_strdup_printf ("task 'sleep-%" G_GUINT64_FORMAT "' (function sleep) "
                                                   "cannot run: every worker is paused", id);
      g_assert_cmpstr (r->message, ==, expected);
    }
  g_assert_cmpstr (find (f->sched, DMPI_ACTION_REPORT, 21)->message, ==,
                   "task 'inc-21' (function inc) cannot run: every worker is paused");
  /* Their dependents fail by dependency, with the cause. */
  for (guint64 id = 20; id <= 22; id += 2)
    {
      const DmpiSchedAction *r = find (f->sched, DMPI_ACTION_REPORT, id);
      g_assert_nonnull (r);
      g_assert_cmpuint (r->error_code, ==, DMPI_ERROR_DEPENDENCY_FAILED);
      g_assert_nonnull (strstr (r->message, "cannot run: every worker is paused"));
    }
  g_assert_null (find (f->sched, DMPI_ACTION_REPORT, 24));     /* nobody wants it */
  g_assert_null (dmpi_sched_lookup (f->sched, 24));           /* and it is forgotten */
  /* What runs is left to finish; what waits on it still waits. */
  g_assert_null (find (f->sched, DMPI_ACTION_REPORT, 1));
  g_assert_cmpint (dmpi_sched_lookup (f->sched, 1)->state, ==, DMPI_TASK_PROCESSING);
  g_assert_cmpint (dmpi_sched_lookup (f->sched, 23)->state, ==, DMPI_TASK_WAITING);
  dmpi_sched_get_stats (f->sched, &stats);
  g_assert_cmpuint (stats.n_by_state[DMPI_TASK_QUEUED] + stats.n_by_state[DMPI_TASK_NO_WORKER], ==, 0);
  dmpi_sched_clear_actions (f->sched);
  g_assert_cmpuint (dmpi_sched_fail_unrunnable (f->sched, DMPI_ERROR_MEMORY, "again"), ==, 0);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_REPORT, -1), ==, 0);

  /* 1 finishes: 23 is ready with nowhere to go, and fails on the next call. */
  dmpi_sched_task_finished (f->sched, 2, 0, 1, 8, 0, 0.1);
  g_assert_cmpint (dmpi_sched_lookup (f->sched, 23)->state, ==, DMPI_TASK_NO_WORKER);
  dmpi_sched_clear_actions (f->sched);
  g_assert_cmpuint (dmpi_sched_fail_unrunnable (f->sched, DMPI_ERROR_MEMORY, "retired"), ==, 1);
  g_assert_cmpuint (find (f->sched, DMPI_ACTION_REPORT, 23)->error_code, ==, DMPI_ERROR_MEMORY);
  dmpi_sched_clear_actions (f->sched);
}

/* Every worker lost: queued work fails instead of waiting for ever. */
static void
test_fail_unrunnable_lost (Fixture *f, gconstpointer data)
{
  dmpi_sched_add_worker (f->sched, 2, "a", 1, 0);
  for (guint64 id = 1; id <= 6; id++)
    submit (f->sched, id, "sleep", NULL, 0);
  dmpi_sched_remove_worker (f->sched, 2, "exited");
  g_assert_false (dmpi_sched_has_runnable_worker (f->sched));
  dmpi_sched_clear_actions (f->sched);
  DmpiSchedStats stats;
  dmpi_sched_get_stats (f->sched, &stats);
  guint64 queued = stats.n_by_state[DMPI_TASK_QUEUED];
  g_assert_cmpuint (queued, >, 0);
  g_assert_cmpuint (dmpi_sched_fail_unrunnable (f->sched, DMPI_ERROR_WORKER_LOST, "no worker is left"), ==, queued);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_REPORT, -1), ==, queued);
  dmpi_sched_get_stats (f->sched, &stats);
  g_assert_cmpuint (stats.n_by_state[DMPI_TASK_ERRED], ==, 6);
}

/* ---- results held per worker ---- */

/* n_held of every worker, against a count over every task. */
static void
check_held (DmpiSched *sched, guint64 max_id, guint n_ranks)
{
  g_autofree guint *full = g_new0 (guint, n_ranks);
  g_autofree guint *fast = g_new0 (guint, n_ranks);

  for (guint64 id = 1; id <= max_id; id++)
    {
      const DmpiSchedTask *t = dmpi_sched_lookup (sched, id);
      if (t != NULL && t->state == DMPI_TASK_MEMORY && t->holder >= 0 && (guint) t->holder < n_ranks)
        full[t->holder]++;
    }
  dmpi_sched_count_held (sched, fast, n_ranks);
  for (guint r = 0; r < n_ranks; r++)
    g_assert_cmpuint (fast[r], ==, full[r]);
}

/* A task id in @state, at random, or 0. */
static guint64
pick (DmpiSched *sched, GRand *rand, guint64 max_id, DmpiTaskState state)
{
  if (max_id == 0)
    return 0;
  guint64 start = (guint64) g_rand_int_range (rand, 1, (gint32) max_id + 1);

  for (guint64 i = 0; i < max_id; i++)
    {
      guint64 id = (start + i - 1) % max_id + 1;
      const DmpiSchedTask *t = dmpi_sched_lookup (sched, id);
      if (t != NULL && t->state == state)
        return id;
    }
  return 0;
}

static void
test_held_counter (Fixture *f, gconstpointer data)
{
  enum { FIRST = 2, N_WORKERS = 4, N_RANKS = FIRST + N_WORKERS + 1 };
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  guint64 next_id = 1;
  guint counted[12] = { 0 };

  for (int r = FIRST; r < FIRST + N_WORKERS; r++)
    dmpi_sched_add_worker (f->sched, r, "h", 2, 0);
  for (guint step = 0; step < 4000; step++)
    {
      guint what = (guint) g_rand_int_range (rand, 0, 12);
      guint64 id = 0;
      int rank = g_rand_int_range (rand, FIRST, FIRST + N_WORKERS);
      switch (what)
        {
        case 0:   /* a few tasks, some on earlier ones, some retried on failure */
        case 1:
          for (guint i = 0; i < 4; i++, next_id++)
            {
              guint64 deps[2];
              guint n_deps = 0;
              for (guint j = 0; j < 2 && next_id > 1; j++)
                {
                  guint64 d = (guint64) g_rand_int_range (rand, 1, (gint32) next_id);
                  const DmpiSchedTask *t = dmpi_sched_lookup (f->sched, d);
                  if (t != NULL && g_rand_boolean (rand) && (n_deps == 0 || deps[0] != d))
                    deps[n_deps++] = d;
                }
              DmpiSchedTaskSpec spec = { .id = next_id, .function = "work", .deps = deps, .n_deps = n_deps,
                                         .retries = g_rand_int_range (rand, 0, 2) };
              submit_spec (f->sched, &spec);
            }
          break;
        case 2:   /* finished */
        case 3:
        case 4:
          if ((id = pick (f->sched, rand, next_id - 1, DMPI_TASK_PROCESSING)) != 0)
            dmpi_sched_task_finished (f->sched, dmpi_sched_lookup (f->sched, id)->worker, 0, id,
                                      (guint64) g_rand_int_range (rand, 1, 1 << 20), 0, 0.05);
          break;
        case 5:   /* failed: retried if it may be */
          if ((id = pick (f->sched, rand, next_id - 1, DMPI_TASK_PROCESSING)) != 0)
            dmpi_sched_task_erred (f->sched, dmpi_sched_lookup (f->sched, id)->worker, 0, id,
                                   DMPI_ERROR_TASK_FAILED, "boom", 0, 0.05);
          break;
        case 6:   /* released, or cancelled */
          if ((id = pick (f->sched, rand, next_id - 1,
                          g_rand_boolean (rand) ? DMPI_TASK_MEMORY : DMPI_TASK_PROCESSING)) != 0)
            {
              if (g_rand_boolean (rand))
                dmpi_sched_release (f->sched, &id, 1);
              else
                dmpi_sched_cancel (f->sched, &id, 1);
            }
          break;
        case 7:   /* a STEAL answered either way */
          if ((id = pick (f->sched, rand, next_id - 1, DMPI_TASK_PROCESSING)) != 0)
            {
              const DmpiSchedTask *t = dmpi_sched_lookup (f->sched, id);
              if (g_rand_boolean (rand))
                dmpi_sched_task_given_back (f->sched, t->worker, id);
              else
                dmpi_sched_steal_refused (f->sched, t->worker, id);
            }
          break;
        case 8:   /* scattered data */
          if (dmpi_sched_get_worker (f->sched, rank)->alive)
            {
              g_autofree char *key = g_strdup_printf ("scatter-%" G_GUINT64_FORMAT, next_id);
              dmpi_sched_data_added (f->sched, rank, next_id++, key, 64);
            }
          break;
        case 9:   /* a worker lost, or back */
          if (dmpi_sched_get_worker (f->sched, rank)->alive)
            {
              if (g_rand_int_range (rand, 0, 4) == 0)
                dmpi_sched_remove_worker (f->sched, rank, "lost");
            }
          else
            dmpi_sched_add_worker (f->sched, rank, "h", 2, 0);
          break;
        case 10:  /* paused or resumed */
          dmpi_sched_worker_paused (f->sched, rank, g_rand_int_range (rand, 0, 3) == 0);
          break;
        case 11:  /* the STEALs of the last event answered */
          {
            guint n;
            const DmpiSchedAction *actions = dmpi_sched_get_actions (f->sched, &n);
            g_autoptr(GArray) steals = g_array_new (FALSE, FALSE, sizeof (DmpiSchedAction));
            for (guint i = 0; i < n; i++)
              if (actions[i].kind == DMPI_ACTION_STEAL)
                g_array_append_val (steals, actions[i]);
            for (guint i = 0; i < steals->len; i++)
              {
                const DmpiSchedAction *a = &g_array_index (steals, DmpiSchedAction, i);
                if (g_rand_boolean (rand))
                  dmpi_sched_task_given_back (f->sched, a->worker, a->id);
                else
                  dmpi_sched_steal_refused (f->sched, a->worker, a->id);
              }
          }
          break;
        default:
          break;
        }
      counted[what]++;
      if (what != 11 && g_rand_int_range (rand, 0, 4) != 0)
        dmpi_sched_clear_actions (f->sched);
      check_held (f->sched, next_id - 1, N_RANKS);
    }
  /* The sequence did reach every kind of event and results were held. */
  for (guint i = 0; i < G_N_ELEMENTS (counted); i++)
    g_assert_cmpuint (counted[i], >, 0);
  DmpiSchedStats stats;
  dmpi_sched_get_stats (f->sched, &stats);
  g_assert_cmpuint (stats.n_finished, >, 100);
  g_assert_cmpuint (stats.n_stolen, >, 0);
}

/* A failure that ends the last need of the failed task itself (released
 * by the client, its one dependent failing with it): it is forgotten once,
 * and a cancelled one keeps its worker's slot until the worker reports. */
static void
test_fail_forgets_once (Fixture *f, gconstpointer data)
{
  dmpi_sched_add_worker (f->sched, 2, "a", 1, 0);
  guint64 d1[] = { 1 }, d3[] = { 3 }, one = 1, three = 3;
  submit (f->sched, 1, "fail", NULL, 0);
  submit (f->sched, 2, "inc", d1, 1);
  dmpi_sched_release (f->sched, &one, 1);
  dmpi_sched_clear_actions (f->sched);
  dmpi_sched_task_erred (f->sched, 2, 0, 1, DMPI_ERROR_TASK_FAILED, "boom", 0, 0.1);
  g_assert_null (dmpi_sched_lookup (f->sched, 1));
  g_assert_cmpint (dmpi_sched_lookup (f->sched, 2)->state, ==, DMPI_TASK_ERRED);
  g_assert_cmpuint (find (f->sched, DMPI_ACTION_REPORT, 2)->error_code, ==, DMPI_ERROR_DEPENDENCY_FAILED);
  dmpi_sched_clear_actions (f->sched);

  submit (f->sched, 3, "sleep", NULL, 0);
  submit (f->sched, 4, "inc", d3, 1);
  g_assert_cmpint (dmpi_sched_lookup (f->sched, 3)->state, ==, DMPI_TASK_PROCESSING);
  dmpi_sched_release (f->sched, &three, 1);
  dmpi_sched_cancel (f->sched, &three, 1);
  dmpi_sched_clear_actions (f->sched);
  DmpiSchedWorker *w2 = dmpi_sched_get_worker (f->sched, 2);
  g_assert_nonnull (dmpi_sched_lookup (f->sched, 3));        /* still on its worker */
  g_assert_cmpuint (w2->n_processing, ==, 1);
  dmpi_sched_task_finished (f->sched, 2, 0, 3, 8, 0, 0.1);
  g_assert_nonnull (find (f->sched, DMPI_ACTION_FREE, 3));
  g_assert_null (dmpi_sched_lookup (f->sched, 3));
  g_assert_cmpuint (w2->n_processing, ==, 0);
  dmpi_sched_clear_actions (f->sched);
}

/* Not worth stealing at first (short tasks); once the function turns out
 * slower, without any change on the busy worker, it is. */
static void
test_steal_after_learning (Fixture *f, gconstpointer data)
{
  pile (f->sched, 5, 8, 1e-5, NULL, 0);
  dmpi_sched_add_worker (f->sched, 3, "b", 1, 0);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_STEAL, -1), ==, 0);
  int only3[] = { 3 };
  DmpiSchedTaskSpec spec = { .id = 50, .function = "work", .restrict_to = only3, .n_restrict = 1 };
  submit_spec (f->sched, &spec);
  g_assert_cmpint (find (f->sched, DMPI_ACTION_COMPUTE, 50)->worker, ==, 3);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_STEAL, -1), ==, 0);
  dmpi_sched_task_finished (f->sched, 3, 0, 50, 8, 0, 1.0);         /* "work" takes long */
  g_assert_cmpuint (count_for (f->sched, DMPI_ACTION_STEAL, 6), ==, 1);
  dmpi_sched_clear_actions (f->sched);
}

/* ---- sending ahead ---- */

/* @kind actions to @worker (any if -1), without clearing. */
static guint
count_to (DmpiSched *sched, DmpiActionKind kind, int worker)
{
  guint n, count = 0;
  const DmpiSchedAction *actions = dmpi_sched_get_actions (sched, &n);

  for (guint i = 0; i < n; i++)
    count += actions[i].kind == kind && (worker < 0 || actions[i].worker == worker);
  return count;
}

/* @id is sent ahead to @rank: processing there, not counted in its load. */
/* Sending ahead on, and @n workers of one thread each: ranks 2, 3, ... */
static void
ahead_workers (Fixture *f, guint n)
{
  dmpi_sched_set_sending_ahead (f->sched, TRUE);
  for (guint i = 0; i < n; i++)
    {
      const char host[] = { (char) ('a' + i), '\0' };
      dmpi_sched_add_worker (f->sched, 2 + (int) i, host, 1, 0);
    }
}

/* The client lets go of @ids: the core keeps no task. */
static void
release_all (Fixture *f, const guint64 *ids, gsize n)
{
  DmpiSchedStats stats;

  dmpi_sched_release (f->sched, ids, n);
  dmpi_sched_get_stats (f->sched, &stats);
  g_assert_cmpuint (stats.n_tasks, ==, 0);
  dmpi_sched_clear_actions (f->sched);
}

/* One worker, sending ahead on: task 1 (sleep) sent to it, task 2 (inc on
 * 1) sent ahead after it. Returns the worker. */
static DmpiSchedWorker *
input_and_dependent (Fixture *f)
{
  guint64 d1[] = { 1 };

  ahead_workers (f, 1);
  submit (f->sched, 1, "sleep", NULL, 0);
  submit (f->sched, 2, "inc", d1, 1);
  return dmpi_sched_get_worker (f->sched, 2);
}

static void
assert_ahead (DmpiSched *sched, guint64 id, int rank)
{
  const DmpiSchedTask *t = dmpi_sched_lookup (sched, id);

  g_assert_nonnull (t);
  g_assert_cmpint (t->state, ==, DMPI_TASK_PROCESSING);
  g_assert_cmpint (t->worker, ==, rank);
  g_assert_true (t->ahead);
  g_assert_false (t->stealing);
  g_assert_cmpuint (t->n_waiting, ==, 1);
}

static void
assert_waiting (DmpiSched *sched, guint64 id)
{
  const DmpiSchedTask *t = dmpi_sched_lookup (sched, id);

  g_assert_nonnull (t);
  g_assert_cmpint (t->state, ==, DMPI_TASK_WAITING);
  g_assert_cmpint (t->worker, ==, -1);
  g_assert_false (t->ahead);
}

/* Off by default: a dependent of a processing task waits here. */
static void
test_ahead_off (Fixture *f, gconstpointer data)
{
  dmpi_sched_add_worker (f->sched, 2, "a", 1, 0);
  submit (f->sched, 1, "inc", NULL, 0);
  dmpi_sched_clear_actions (f->sched);
  guint64 d1[] = { 1 };
  submit (f->sched, 2, "inc", d1, 1);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, -1), ==, 0);
  assert_waiting (f->sched, 2);
  /* Turned on and off again: the same. */
  dmpi_sched_set_sending_ahead (f->sched, TRUE);
  dmpi_sched_set_sending_ahead (f->sched, FALSE);
  submit (f->sched, 3, "inc", d1, 1);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, -1), ==, 0);
  assert_waiting (f->sched, 3);
  DmpiSchedWorker *w2 = dmpi_sched_get_worker (f->sched, 2);
  g_assert_cmpuint (w2->n_ahead, ==, 0);
  g_assert_cmpuint (w2->n_processing, ==, 1);
  /* Where an input is to be had: its worker while it runs, nowhere while it waits. */
  g_assert_cmpint (dmpi_sched_input_rank (dmpi_sched_lookup (f->sched, 1)), ==, 2);
  g_assert_cmpint (dmpi_sched_input_rank (dmpi_sched_lookup (f->sched, 2)), ==, -1);
  /* The input finishes: both are sent as before. */
  dmpi_sched_task_finished (f->sched, 2, 0, 1, 8, 0, 0.1);
  g_assert_cmpint (find (f->sched, DMPI_ACTION_COMPUTE, 2)->worker, ==, 2);
  g_assert_cmpint (find (f->sched, DMPI_ACTION_COMPUTE, 3)->worker, ==, 2);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, -1), ==, 2);
  DmpiSchedStats stats;
  dmpi_sched_get_stats (f->sched, &stats);
  g_assert_cmpuint (stats.n_sent_ahead, ==, 0);
  g_assert_cmpuint (stats.n_ahead_dropped, ==, 0);
}

/* A chain: the dependent goes at once to its input's worker (not to the
 * idle one), and starts there without a new COMPUTE when the input is done. */
static void
test_ahead_chain (Fixture *f, gconstpointer data)
{
  ahead_workers (f, 2);
  submit (f->sched, 1, "inc", NULL, 0);
  g_assert_cmpint (find (f->sched, DMPI_ACTION_COMPUTE, 1)->worker, ==, 2);
  dmpi_sched_clear_actions (f->sched);
  DmpiSchedWorker *w2 = dmpi_sched_get_worker (f->sched, 2), *w3 = dmpi_sched_get_worker (f->sched, 3);

  guint64 d1[] = { 1 };
  submit (f->sched, 2, "inc", d1, 1);
  const DmpiSchedAction *compute = find (f->sched, DMPI_ACTION_COMPUTE, 2);
  g_assert_nonnull (compute);
  g_assert_cmpint (compute->worker, ==, 2);
  g_assert_true (compute->task == dmpi_sched_lookup (f->sched, 2));
  g_assert_cmpuint (compute->task->n_deps, ==, 1);
  g_assert_cmpint (dmpi_sched_input_rank (compute->task->deps[0]), ==, 2);   /* computed there */
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, -1), ==, 1);
  assert_ahead (f->sched, 2, 2);
  g_assert_cmpuint (w2->n_ahead, ==, 1);
  g_assert_cmpuint (w2->n_processing, ==, 1);          /* the input only */
  g_assert_cmpuint (w3->n_ahead, ==, 0);
  g_assert_cmpuint (w3->n_processing, ==, 0);
  DmpiSchedStats stats;
  dmpi_sched_get_stats (f->sched, &stats);
  g_assert_cmpuint (stats.n_sent_ahead, ==, 1);
  g_assert_cmpuint (stats.n_by_state[DMPI_TASK_PROCESSING], ==, 2);
  g_assert_cmpuint (stats.n_by_state[DMPI_TASK_WAITING], ==, 0);

  /* The input finishes: the worker starts the dependent itself. */
  dmpi_sched_task_finished (f->sched, 2, 0, 1, 8, 0, 0.1);
  g_assert_cmpint (find (f->sched, DMPI_ACTION_REPORT, 1)->state, ==, DMPI_TASK_MEMORY);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, -1), ==, 0);
  DmpiSchedTask *t2 = dmpi_sched_lookup (f->sched, 2);
  g_assert_cmpint (t2->state, ==, DMPI_TASK_PROCESSING);
  g_assert_cmpint (t2->worker, ==, 2);
  g_assert_false (t2->ahead);
  g_assert_cmpuint (t2->n_waiting, ==, 0);
  g_assert_cmpuint (w2->n_ahead, ==, 0);
  g_assert_cmpuint (w2->n_processing, ==, 1);          /* now it counts */
  g_assert_cmpint (dmpi_sched_input_rank (t2->deps[0]), ==, 2);             /* held there */

  /* And finishes as any task. */
  dmpi_sched_task_finished (f->sched, 2, 0, 2, 8, 0.1, 0.2);
  const DmpiSchedAction *r2 = find (f->sched, DMPI_ACTION_REPORT, 2);
  g_assert_nonnull (r2);
  g_assert_cmpint (r2->state, ==, DMPI_TASK_MEMORY);
  g_assert_cmpint (r2->worker, ==, 2);
  dmpi_sched_clear_actions (f->sched);
  g_assert_cmpuint (w2->n_processing, ==, 0);
  dmpi_sched_get_stats (f->sched, &stats);
  g_assert_cmpuint (stats.n_finished, ==, 2);
  g_assert_cmpuint (stats.n_by_state[DMPI_TASK_MEMORY], ==, 2);
  g_assert_cmpuint (stats.n_sent_ahead, ==, 1);
  g_assert_cmpuint (stats.n_ahead_dropped, ==, 0);
}

/* A chain of 20 on one thread: 8 ahead at most; each start lets the next
 * one waiting (the remembered candidate) go ahead. */
static void
test_ahead_limit (Fixture *f, gconstpointer data)
{
  enum { N = 20, LIMIT = DMPI_SCHED_AHEAD_PER_THREAD };
  ahead_workers (f, 1);
  DmpiSchedWorker *w2 = dmpi_sched_get_worker (f->sched, 2);
  submit (f->sched, 1, "inc", NULL, 0);
  for (guint64 id = 2; id <= N; id++)
    {
      guint64 d[] = { id - 1 };
      submit (f->sched, id, "inc", d, 1);
    }
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, 2), ==, 1 + LIMIT);
  for (guint64 id = 2; id <= N; id++)
    {
      if (id <= 1 + LIMIT)
        assert_ahead (f->sched, id, 2);
      else
        assert_waiting (f->sched, id);
    }
  g_assert_cmpuint (w2->n_ahead, ==, LIMIT);
  g_assert_cmpuint (w2->n_processing, ==, 1);

  for (guint64 k = 1; k <= N; k++)
    {
      dmpi_sched_task_finished (f->sched, 2, 0, k, 8, 0, 0.01);
      g_assert_cmpint (find (f->sched, DMPI_ACTION_REPORT, k)->state, ==, DMPI_TASK_MEMORY);
      if (k < N)
        {
          /* k + 1 starts, with no COMPUTE. */
          DmpiSchedTask *t = dmpi_sched_lookup (f->sched, k + 1);
          g_assert_cmpint (t->state, ==, DMPI_TASK_PROCESSING);
          g_assert_false (t->ahead);
          g_assert_cmpuint (count_for (f->sched, DMPI_ACTION_COMPUTE, k + 1), ==, 0);
        }
      guint64 next = k + 1 + LIMIT;
      if (next <= N)
        {
          const DmpiSchedAction *c = find (f->sched, DMPI_ACTION_COMPUTE, next);
          g_assert_nonnull (c);
          g_assert_cmpint (c->worker, ==, 2);
          assert_ahead (f->sched, next, 2);
          g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, -1), ==, 1);
        }
      else
        g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, -1), ==, 0);
      if (next + 1 <= N)
        assert_waiting (f->sched, next + 1);
      g_assert_cmpuint (w2->n_ahead, ==, MIN ((guint64) LIMIT, N - MIN (k + 1, (guint64) N)));
      g_assert_cmpuint (w2->n_processing, ==, k < N ? 1 : 0);
    }
  DmpiSchedStats stats;
  dmpi_sched_get_stats (f->sched, &stats);
  for (guint64 id = 1; id <= N; id++)
    g_assert_cmpint (dmpi_sched_lookup (f->sched, id)->state, ==, DMPI_TASK_MEMORY);
  g_assert_cmpuint (stats.n_finished, ==, N);
  g_assert_cmpuint (stats.n_by_state[DMPI_TASK_MEMORY], ==, N);
  g_assert_cmpuint (stats.n_by_state[DMPI_TASK_PROCESSING], ==, 0);
  g_assert_cmpuint (stats.n_by_state[DMPI_TASK_WAITING], ==, 0);
  g_assert_cmpuint (stats.n_sent_ahead, ==, N - 1);
  g_assert_cmpuint (stats.n_ahead_dropped, ==, 0);
  g_assert_cmpuint (w2->n_ahead, ==, 0);
  g_assert_cmpuint (w2->n_done, ==, N);
}

/* A fan-out: 8 dependents ahead on the input's worker, the rest wait and
 * are placed as usual once the input is done. */
static void
test_ahead_fan_out (Fixture *f, gconstpointer data)
{
  ahead_workers (f, 2);
  DmpiSchedWorker *w2 = dmpi_sched_get_worker (f->sched, 2), *w3 = dmpi_sched_get_worker (f->sched, 3);
  submit (f->sched, 1, "inc", NULL, 0);
  g_assert_cmpint (find (f->sched, DMPI_ACTION_COMPUTE, 1)->worker, ==, 2);
  dmpi_sched_clear_actions (f->sched);
  guint64 d1[] = { 1 };
  for (guint64 id = 2; id <= 21; id++)
    submit (f->sched, id, "inc", d1, 1);
  for (guint64 id = 2; id <= 21; id++)
    {
      if (id <= 9)
        {
          g_assert_cmpint (find (f->sched, DMPI_ACTION_COMPUTE, id)->worker, ==, 2);
          assert_ahead (f->sched, id, 2);
        }
      else
        {
          g_assert_null (find (f->sched, DMPI_ACTION_COMPUTE, id));
          assert_waiting (f->sched, id);
        }
    }
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, -1), ==, 8);
  g_assert_cmpuint (w2->n_ahead, ==, 8);
  g_assert_cmpuint (w2->n_processing, ==, 1);
  g_assert_cmpuint (w3->n_ahead, ==, 0);
  g_assert_cmpuint (w3->n_processing, ==, 0);

  /* Done, 0.1 s: the 8 start on worker 2 without a COMPUTE; each of the 12
   * others goes where place() says: to the less loaded worker 3 while the
   * wait behind worker 2's extra tasks (0.1 s each) exceeds moving 8
   * bytes, to worker 2 (the holder) on a tie of loads. 10..17 go to worker
   * 3 (8 each), then 18 to 2, 19 to 3, 20 to 2, 21 to 3. */
  dmpi_sched_task_finished (f->sched, 2, 0, 1, 8, 0, 0.1);
  for (guint64 id = 2; id <= 9; id++)
    {
      g_assert_null (find (f->sched, DMPI_ACTION_COMPUTE, id));
      g_assert_false (dmpi_sched_lookup (f->sched, id)->ahead);
      g_assert_cmpint (dmpi_sched_lookup (f->sched, id)->worker, ==, 2);
    }
  for (guint64 id = 10; id <= 21; id++)
    {
      const DmpiSchedAction *c = find (f->sched, DMPI_ACTION_COMPUTE, id);
      g_assert_nonnull (c);
      g_assert_cmpint (c->worker, ==, id <= 17 || id % 2 == 1 ? 3 : 2);
      g_assert_cmpuint (count_for (f->sched, DMPI_ACTION_COMPUTE, id), ==, 1);
      DmpiSchedTask *t = dmpi_sched_lookup (f->sched, id);
      g_assert_cmpint (t->state, ==, DMPI_TASK_PROCESSING);
      g_assert_false (t->ahead);
      g_assert_cmpint (t->worker, ==, c->worker);
    }
  g_assert_cmpuint (count_to (f->sched, DMPI_ACTION_COMPUTE, 2), ==, 2);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, 3), ==, 10);
  g_assert_cmpuint (w2->n_processing, ==, 10);
  g_assert_cmpuint (w3->n_processing, ==, 10);
  g_assert_cmpuint (w2->n_ahead, ==, 0);
  g_assert_cmpuint (w3->n_ahead, ==, 0);
  DmpiSchedStats stats;
  dmpi_sched_get_stats (f->sched, &stats);
  g_assert_cmpuint (stats.n_sent_ahead, ==, 8);
  g_assert_cmpuint (stats.n_by_state[DMPI_TASK_WAITING], ==, 0);
  g_assert_cmpuint (stats.n_by_state[DMPI_TASK_PROCESSING], ==, 20);
}

/* The input fails and is retried: what was ahead for it (and ahead for
 * that) waits again, then follows the retry. */
static void
test_ahead_input_retried (Fixture *f, gconstpointer data)
{
  ahead_workers (f, 1);
  DmpiSchedWorker *w2 = dmpi_sched_get_worker (f->sched, 2);
  DmpiSchedTaskSpec spec = { .id = 1, .function = "flaky", .retries = 1 };
  submit_spec (f->sched, &spec);
  guint64 d1[] = { 1 }, d2[] = { 2 };
  submit (f->sched, 2, "inc", d1, 1);
  submit (f->sched, 3, "inc", d2, 1);
  /* Two more roots, first in line: 10 runs, 11 takes the slot 1 leaves. */
  for (guint64 id = 10; id <= 11; id++)
    {
      DmpiSchedTaskSpec root = { .id = id, .function = "sleep", .priority = 5 };
      submit_spec (f->sched, &root);
    }
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, 2), ==, 4);      /* 1, 2, 3, 10 */
  assert_ahead (f->sched, 2, 2);
  assert_ahead (f->sched, 3, 2);
  g_assert_cmpint (dmpi_sched_lookup (f->sched, 11)->state, ==, DMPI_TASK_QUEUED);
  g_assert_cmpuint (w2->n_ahead, ==, 2);

  dmpi_sched_task_erred (f->sched, 2, 0, 1, DMPI_ERROR_TASK_FAILED, "transient", 0, 0.1);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_REPORT, -1), ==, 0);
  g_assert_cmpint (dmpi_sched_lookup (f->sched, 1)->state, ==, DMPI_TASK_QUEUED);
  assert_waiting (f->sched, 2);
  assert_waiting (f->sched, 3);
  g_assert_cmpuint (dmpi_sched_lookup (f->sched, 2)->n_waiting, ==, 1);
  g_assert_cmpuint (dmpi_sched_lookup (f->sched, 3)->n_waiting, ==, 1);
  g_assert_cmpuint (w2->n_ahead, ==, 0);
  g_assert_cmpuint (w2->n_processing, ==, 2);          /* 10 and 11 */
  DmpiSchedStats stats;
  dmpi_sched_get_stats (f->sched, &stats);
  g_assert_cmpuint (stats.n_sent_ahead, ==, 2);
  g_assert_cmpuint (stats.n_ahead_dropped, ==, 2);

  /* 10 finishes: the retry is sent, and both go ahead with it again. */
  dmpi_sched_task_finished (f->sched, 2, 0, 10, 8, 0, 0.1);
  const DmpiSchedAction *c1 = find (f->sched, DMPI_ACTION_COMPUTE, 1);
  const DmpiSchedAction *c2 = find (f->sched, DMPI_ACTION_COMPUTE, 2);
  const DmpiSchedAction *c3 = find (f->sched, DMPI_ACTION_COMPUTE, 3);
  g_assert_nonnull (c1);
  g_assert_nonnull (c2);
  g_assert_nonnull (c3);
  g_assert_cmpint (c1->worker, ==, 2);
  g_assert_cmpint (c2->worker, ==, 2);
  g_assert_cmpint (c3->worker, ==, 2);
  g_assert_true (c1 < c2 && c2 < c3);                  /* the input first */
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, -1), ==, 3);
  assert_ahead (f->sched, 2, 2);
  assert_ahead (f->sched, 3, 2);
  g_assert_cmpuint (w2->n_ahead, ==, 2);
  dmpi_sched_get_stats (f->sched, &stats);
  g_assert_cmpuint (stats.n_sent_ahead, ==, 4);
  g_assert_cmpuint (stats.n_ahead_dropped, ==, 2);

  /* This time it works: the chain runs on with no COMPUTE. */
  for (guint64 id = 1; id <= 3; id++)
    {
      dmpi_sched_task_finished (f->sched, 2, 0, id, 8, 0, 0.1);
      g_assert_cmpint (find (f->sched, DMPI_ACTION_REPORT, id)->state, ==, DMPI_TASK_MEMORY);
      g_assert_cmpuint (count_for (f->sched, DMPI_ACTION_COMPUTE, 2) + count_for (f->sched, DMPI_ACTION_COMPUTE, 3), ==, 0);
      dmpi_sched_clear_actions (f->sched);
    }
  dmpi_sched_task_finished (f->sched, 2, 0, 11, 8, 0, 0.1);
  dmpi_sched_clear_actions (f->sched);
  g_assert_cmpuint (w2->n_ahead, ==, 0);
  g_assert_cmpuint (w2->n_processing, ==, 0);
  dmpi_sched_get_stats (f->sched, &stats);
  g_assert_cmpuint (stats.n_by_state[DMPI_TASK_MEMORY], ==, 5);
  g_assert_cmpuint (stats.n_erred, ==, 0);
}

/* The input fails for good: what was ahead for it fails by dependency. */
static void
test_ahead_input_fails (Fixture *f, gconstpointer data)
{
  ahead_workers (f, 1);
  DmpiSchedWorker *w2 = dmpi_sched_get_worker (f->sched, 2);
  submit (f->sched, 1, "fail", NULL, 0);
  guint64 d1[] = { 1 }, d2[] = { 2 };
  submit (f->sched, 2, "inc", d1, 1);
  submit (f->sched, 3, "inc", d2, 1);
  assert_ahead (f->sched, 2, 2);
  assert_ahead (f->sched, 3, 2);
  dmpi_sched_clear_actions (f->sched);

  dmpi_sched_task_erred (f->sched, 2, 0, 1, DMPI_ERROR_TASK_FAILED, "task 'fail-1' failed: boom", 0, 0.1);
  const DmpiSchedAction *r1 = find (f->sched, DMPI_ACTION_REPORT, 1);
  g_assert_nonnull (r1);
  g_assert_cmpint (r1->state, ==, DMPI_TASK_ERRED);
  g_assert_cmpuint (r1->error_code, ==, DMPI_ERROR_TASK_FAILED);
  for (guint64 id = 2; id <= 3; id++)
    {
      const DmpiSchedAction *r = find (f->sched, DMPI_ACTION_REPORT, id);
      g_assert_nonnull (r);
      g_assert_cmpint (r->state, ==, DMPI_TASK_ERRED);
      g_assert_cmpuint (r->error_code, ==, DMPI_ERROR_DEPENDENCY_FAILED);
      g_assert_nonnull (strstr (r->message, "boom"));
      DmpiSchedTask *t = dmpi_sched_lookup (f->sched, id);
      g_assert_cmpint (t->state, ==, DMPI_TASK_ERRED);
      g_assert_false (t->ahead);
      g_assert_cmpint (t->worker, ==, -1);
      g_assert_cmpint (dmpi_sched_input_rank (t), ==, -1);
    }
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, -1), ==, 0);
  g_assert_cmpuint (w2->n_ahead, ==, 0);
  g_assert_cmpuint (w2->n_processing, ==, 0);
  DmpiSchedStats stats;
  dmpi_sched_get_stats (f->sched, &stats);
  g_assert_cmpuint (stats.n_by_state[DMPI_TASK_PROCESSING], ==, 0);
  g_assert_cmpuint (stats.n_by_state[DMPI_TASK_ERRED], ==, 3);
  g_assert_cmpuint (stats.n_ahead_dropped, ==, 2);
  g_assert_cmpuint (stats.n_erred, ==, 3);
  /* The client lets go: nothing left. */
  release_all (f, (const guint64[]) { 1, 2, 3 }, 3);
}

/* A paused worker gives the input back: the STEAL is for the input only,
 * and what was ahead for it follows it to the other worker. */
static void
test_ahead_input_given_back (Fixture *f, gconstpointer data)
{
  ahead_workers (f, 2);
  DmpiSchedWorker *w2 = dmpi_sched_get_worker (f->sched, 2), *w3 = dmpi_sched_get_worker (f->sched, 3);
  submit (f->sched, 1, "sleep", NULL, 0);
  guint64 d1[] = { 1 };
  submit (f->sched, 2, "inc", d1, 1);
  assert_ahead (f->sched, 2, 2);
  dmpi_sched_clear_actions (f->sched);

  dmpi_sched_worker_paused (f->sched, 2, TRUE);
  const DmpiSchedAction *steal = find (f->sched, DMPI_ACTION_STEAL, 1);
  g_assert_nonnull (steal);
  g_assert_cmpint (steal->worker, ==, 2);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_STEAL, -1), ==, 1);       /* not for 2 */
  g_assert_true (dmpi_sched_lookup (f->sched, 1)->stealing);
  assert_ahead (f->sched, 2, 2);

  dmpi_sched_task_given_back (f->sched, 2, 1);
  const DmpiSchedAction *c1 = find (f->sched, DMPI_ACTION_COMPUTE, 1);
  const DmpiSchedAction *c2 = find (f->sched, DMPI_ACTION_COMPUTE, 2);
  g_assert_nonnull (c1);
  g_assert_nonnull (c2);
  g_assert_cmpint (c1->worker, ==, 3);
  g_assert_cmpint (c2->worker, ==, 3);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, -1), ==, 2);
  assert_ahead (f->sched, 2, 3);
  g_assert_cmpuint (w2->n_ahead, ==, 0);
  g_assert_cmpuint (w2->n_processing, ==, 0);
  g_assert_cmpuint (w2->n_stolen, ==, 1);
  g_assert_cmpuint (w3->n_ahead, ==, 1);
  g_assert_cmpuint (w3->n_processing, ==, 1);
  DmpiSchedStats stats;
  dmpi_sched_get_stats (f->sched, &stats);
  g_assert_cmpuint (stats.n_sent_ahead, ==, 2);
  g_assert_cmpuint (stats.n_ahead_dropped, ==, 1);
  g_assert_cmpuint (stats.n_stolen, ==, 1);

  dmpi_sched_task_finished (f->sched, 3, 0, 1, 8, 0, 0.1);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, -1), ==, 0);
  dmpi_sched_task_finished (f->sched, 3, 0, 2, 8, 0, 0.1);
  g_assert_cmpint (find (f->sched, DMPI_ACTION_REPORT, 2)->state, ==, DMPI_TASK_MEMORY);
  dmpi_sched_clear_actions (f->sched);
  g_assert_cmpuint (w3->n_ahead, ==, 0);
  g_assert_cmpuint (w3->n_processing, ==, 0);
}

/* Paused with the input running (it refuses the STEAL): when the input is
 * done, the task ahead starts and is asked back like the others. */
static void
test_ahead_start_paused (Fixture *f, gconstpointer data)
{
  ahead_workers (f, 2);
  DmpiSchedWorker *w2 = dmpi_sched_get_worker (f->sched, 2), *w3 = dmpi_sched_get_worker (f->sched, 3);
  submit (f->sched, 1, "sleep", NULL, 0);
  guint64 d1[] = { 1 }, d2[] = { 2 };
  submit (f->sched, 2, "inc", d1, 1);
  submit (f->sched, 3, "inc", d2, 1);
  dmpi_sched_clear_actions (f->sched);
  dmpi_sched_worker_paused (f->sched, 2, TRUE);
  g_assert_cmpuint (count_for (f->sched, DMPI_ACTION_STEAL, 1), ==, 1);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_STEAL, -1), ==, 1);
  dmpi_sched_steal_refused (f->sched, 2, 1);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_STEAL, -1), ==, 0);

  dmpi_sched_task_finished (f->sched, 2, 0, 1, 8, 0, 0.1);
  const DmpiSchedAction *steal = find (f->sched, DMPI_ACTION_STEAL, 2);
  g_assert_nonnull (steal);
  g_assert_cmpint (steal->worker, ==, 2);
  g_assert_cmpuint (count_for (f->sched, DMPI_ACTION_STEAL, 3), ==, 0);  /* still ahead */
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, -1), ==, 0);
  DmpiSchedTask *t2 = dmpi_sched_lookup (f->sched, 2);
  g_assert_false (t2->ahead);
  g_assert_true (t2->stealing);
  assert_ahead (f->sched, 3, 2);
  g_assert_cmpuint (w2->n_processing, ==, 1);
  g_assert_cmpuint (w2->n_ahead, ==, 1);
  g_assert_cmpuint (w2->n_stealing, ==, 1);

  /* Given back: 2 runs on worker 3, and 3 follows it there. */
  dmpi_sched_task_given_back (f->sched, 2, 2);
  g_assert_cmpint (find (f->sched, DMPI_ACTION_COMPUTE, 2)->worker, ==, 3);
  g_assert_cmpint (find (f->sched, DMPI_ACTION_COMPUTE, 3)->worker, ==, 3);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, -1), ==, 2);
  assert_ahead (f->sched, 3, 3);
  g_assert_cmpuint (w2->n_processing, ==, 0);
  g_assert_cmpuint (w2->n_ahead, ==, 0);
  g_assert_cmpuint (w2->n_stealing, ==, 0);
  g_assert_cmpuint (w3->n_processing, ==, 1);
  g_assert_cmpuint (w3->n_ahead, ==, 1);
}

/* The input is cancelled while it runs: the task ahead fails at once but
 * keeps its place on the worker until the worker reports it. */
static void
test_ahead_cancel_input (Fixture *f, gconstpointer data)
{
  DmpiSchedWorker *w2 = input_and_dependent (f);
  guint64 one = 1;
  assert_ahead (f->sched, 2, 2);
  dmpi_sched_clear_actions (f->sched);

  dmpi_sched_cancel (f->sched, &one, 1);
  g_assert_cmpuint (find (f->sched, DMPI_ACTION_REPORT, 1)->error_code, ==, DMPI_ERROR_CANCELLED);
  const DmpiSchedAction *r2 = find (f->sched, DMPI_ACTION_REPORT, 2);
  g_assert_nonnull (r2);
  g_assert_cmpint (r2->state, ==, DMPI_TASK_ERRED);
  g_assert_cmpuint (r2->error_code, ==, DMPI_ERROR_DEPENDENCY_FAILED);
  g_assert_nonnull (strstr (r2->message, "cancelled"));
  dmpi_sched_clear_actions (f->sched);
  DmpiSchedTask *t2 = dmpi_sched_lookup (f->sched, 2);
  g_assert_cmpint (t2->state, ==, DMPI_TASK_ERRED);
  g_assert_true (t2->ahead);                            /* still there */
  g_assert_cmpint (t2->worker, ==, 2);
  g_assert_cmpuint (w2->n_ahead, ==, 1);
  g_assert_cmpuint (w2->n_processing, ==, 1);

  /* The input could not be stopped: it finishes, its result is dropped. */
  dmpi_sched_task_finished (f->sched, 2, 0, 1, 8, 0, 0.1);
  g_assert_cmpint (find (f->sched, DMPI_ACTION_FREE, 1)->worker, ==, 2);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_REPORT, -1), ==, 0);
  g_assert_cmpuint (w2->n_processing, ==, 0);
  g_assert_cmpuint (w2->n_ahead, ==, 1);
  g_assert_true (dmpi_sched_lookup (f->sched, 2)->ahead);
  /* The worker ran 2 with it and reports: its slot is free, its result dropped. */
  dmpi_sched_task_finished (f->sched, 2, 0, 2, 8, 0.1, 0.2);
  g_assert_cmpint (find (f->sched, DMPI_ACTION_FREE, 2)->worker, ==, 2);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_REPORT, -1), ==, 0);
  g_assert_cmpuint (w2->n_ahead, ==, 0);
  g_assert_cmpuint (w2->n_processing, ==, 0);
  /* The client still holds both futures (erred): forgotten once released. */
  t2 = dmpi_sched_lookup (f->sched, 2);
  g_assert_nonnull (t2);
  g_assert_cmpint (t2->state, ==, DMPI_TASK_ERRED);
  g_assert_false (t2->ahead);
  g_assert_cmpint (t2->worker, ==, -1);
  guint64 ids[] = { 1, 2 };
  dmpi_sched_release (f->sched, ids, 2);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_FREE, -1), ==, 0);
  DmpiSchedStats stats;
  dmpi_sched_get_stats (f->sched, &stats);
  g_assert_cmpuint (stats.n_tasks, ==, 0);
  g_assert_cmpuint (stats.n_by_state[DMPI_TASK_PROCESSING], ==, 0);
}

/* Cancelled, then the input fails on its worker: the worker dropped the
 * task ahead, so its slot is freed without a word from the worker. */
static void
test_ahead_cancel_input_fails (Fixture *f, gconstpointer data)
{
  DmpiSchedWorker *w2 = input_and_dependent (f);
  guint64 one = 1;
  dmpi_sched_cancel (f->sched, &one, 1);
  dmpi_sched_clear_actions (f->sched);
  g_assert_cmpuint (w2->n_ahead, ==, 1);

  dmpi_sched_task_erred (f->sched, 2, 0, 1, DMPI_ERROR_TASK_FAILED, "boom", 0, 0.1);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_REPORT, -1), ==, 0);     /* reported already */
  g_assert_cmpuint (w2->n_ahead, ==, 0);
  g_assert_cmpuint (w2->n_processing, ==, 0);
  DmpiSchedTask *t2 = dmpi_sched_lookup (f->sched, 2);
  g_assert_cmpint (t2->state, ==, DMPI_TASK_ERRED);
  g_assert_cmpuint (t2->error_code, ==, DMPI_ERROR_DEPENDENCY_FAILED);
  g_assert_false (t2->ahead);
  g_assert_cmpint (t2->worker, ==, -1);
  /* A late word about 2 from that worker changes nothing. */
  dmpi_sched_task_finished (f->sched, 2, 0, 2, 8, 0, 0.1);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_REPORT, -1), ==, 0);
  g_assert_cmpuint (w2->n_ahead, ==, 0);
  g_assert_cmpuint (w2->n_processing, ==, 0);
  release_all (f, (const guint64[]) { 1, 2 }, 2);
}

/* The worker is lost: its tasks ahead are lost with it. */
static void
test_ahead_worker_removed (Fixture *f, gconstpointer data)
{
  ahead_workers (f, 2);
  DmpiSchedWorker *w2 = dmpi_sched_get_worker (f->sched, 2);
  submit (f->sched, 1, "sleep", NULL, 0);
  guint64 d1[] = { 1 }, d2[] = { 2 };
  submit (f->sched, 2, "inc", d1, 1);
  submit (f->sched, 3, "inc", d2, 1);
  assert_ahead (f->sched, 3, 2);
  g_assert_cmpuint (w2->n_ahead, ==, 2);
  dmpi_sched_clear_actions (f->sched);

  dmpi_sched_remove_worker (f->sched, 2, "stopped answering");
  for (guint64 id = 1; id <= 3; id++)
    {
      const DmpiSchedAction *r = find (f->sched, DMPI_ACTION_REPORT, id);
      g_assert_nonnull (r);
      g_assert_cmpint (r->state, ==, DMPI_TASK_ERRED);
      g_assert_cmpuint (r->error_code, ==, DMPI_ERROR_WORKER_LOST);
      g_assert_nonnull (strstr (r->message, "rank 2"));
      DmpiSchedTask *t = dmpi_sched_lookup (f->sched, id);
      g_assert_false (t->ahead);
      g_assert_cmpint (t->worker, ==, -1);
    }
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, -1), ==, 0);
  g_assert_cmpuint (w2->n_ahead, ==, 0);
  g_assert_cmpuint (w2->n_processing, ==, 0);
  DmpiSchedStats stats;
  dmpi_sched_get_stats (f->sched, &stats);
  g_assert_cmpuint (stats.n_by_state[DMPI_TASK_PROCESSING], ==, 0);
  g_assert_cmpuint (stats.n_by_state[DMPI_TASK_ERRED], ==, 3);
  /* Back under the same rank, it is a new worker with nothing ahead; a
   * late report from the old one changes nothing. */
  dmpi_sched_add_worker (f->sched, 2, "a", 1, 0);
  dmpi_sched_task_finished (f->sched, 2, 0, 2, 8, 0, 0.1);
  g_assert_cmpuint (w2->n_ahead, ==, 0);
  g_assert_cmpuint (w2->n_processing, ==, 0);
  g_assert_cmpint (dmpi_sched_lookup (f->sched, 2)->state, ==, DMPI_TASK_ERRED);
  dmpi_sched_clear_actions (f->sched);
}

/* What is not sent ahead: a task its input's worker may not run, one that
 * would fetch more than 1 MiB from elsewhere, one with more than 8 inputs,
 * one whose input is being asked back or whose worker is paused. */
static void
test_ahead_restrictions (Fixture *f, gconstpointer data)
{
  dmpi_sched_set_sending_ahead (f->sched, TRUE);
  dmpi_sched_add_worker (f->sched, 2, "a", 4, 0);
  dmpi_sched_add_worker (f->sched, 3, "b", 4, 0);
  DmpiSchedWorker *w2 = dmpi_sched_get_worker (f->sched, 2);
  int only3[] = { 3 }, on2or3[] = { 3, 2 };
  DmpiSchedTaskSpec root = { .id = 1, .function = "sleep", .restrict_to = (int[]) { 2 }, .n_restrict = 1 };
  submit_spec (f->sched, &root);
  g_assert_cmpint (find (f->sched, DMPI_ACTION_COMPUTE, 1)->worker, ==, 2);
  dmpi_sched_clear_actions (f->sched);
  guint64 d1[] = { 1 };

  /* Restricted elsewhere: waits; allowed there among others: sent. */
  DmpiSchedTaskSpec r3 = { .id = 2, .function = "inc", .deps = d1, .n_deps = 1, .restrict_to = only3, .n_restrict = 1 };
  submit_spec (f->sched, &r3);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, -1), ==, 0);
  assert_waiting (f->sched, 2);
  DmpiSchedTaskSpec r23 = { .id = 3, .function = "inc", .deps = d1, .n_deps = 1, .restrict_to = on2or3, .n_restrict = 2 };
  submit_spec (f->sched, &r23);
  g_assert_cmpint (find (f->sched, DMPI_ACTION_COMPUTE, 3)->worker, ==, 2);
  dmpi_sched_clear_actions (f->sched);
  assert_ahead (f->sched, 3, 2);

  /* Inputs in memory: 1 MiB on worker 3 is fine, one byte more is not;
   * bytes on worker 2 itself do not count. */
  dmpi_sched_data_added (f->sched, 3, 50, "mib", G_GUINT64_CONSTANT (1) << 20);
  dmpi_sched_data_added (f->sched, 3, 51, "mib-and-one", (G_GUINT64_CONSTANT (1) << 20) + 1);
  dmpi_sched_data_added (f->sched, 3, 52, "byte", 1);
  dmpi_sched_data_added (f->sched, 2, 53, "big-here", G_GUINT64_CONSTANT (1) << 30);
  guint64 fine[] = { 1, 50 }, too_much[] = { 51, 1 }, adds_up[] = { 50, 1, 52 }, local[] = { 53, 1 };
  submit (f->sched, 4, "sum", fine, 2);
  g_assert_cmpint (find (f->sched, DMPI_ACTION_COMPUTE, 4)->worker, ==, 2);
  dmpi_sched_clear_actions (f->sched);
  assert_ahead (f->sched, 4, 2);
  submit (f->sched, 5, "sum", too_much, 2);
  submit (f->sched, 6, "sum", adds_up, 3);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, -1), ==, 0);
  assert_waiting (f->sched, 5);
  assert_waiting (f->sched, 6);
  submit (f->sched, 7, "sum", local, 2);
  g_assert_cmpint (find (f->sched, DMPI_ACTION_COMPUTE, 7)->worker, ==, 2);
  dmpi_sched_clear_actions (f->sched);
  assert_ahead (f->sched, 7, 2);

  /* Inputs: 8 are fine, 9 are not (small ones in memory on worker 2). */
  guint64 nine[9];
  nine[0] = 1;
  for (guint i = 1; i < 9; i++)
    {
      g_autofree char *key = g_strdup_printf ("small-%u", i);
      nine[i] = 60 + i;
      dmpi_sched_data_added (f->sched, 2, nine[i], key, 8);
    }
  submit (f->sched, 8, "sum", nine, 8);
  g_assert_cmpint (find (f->sched, DMPI_ACTION_COMPUTE, 8)->worker, ==, 2);
  dmpi_sched_clear_actions (f->sched);
  assert_ahead (f->sched, 8, 2);
  submit (f->sched, 9, "sum", nine, 9);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, -1), ==, 0);
  assert_waiting (f->sched, 9);
  /* Two inputs missing: not yet. */
  submit (f->sched, 20, "sleep", NULL, 0);
  dmpi_sched_clear_actions (f->sched);
  guint64 two[] = { 1, 20 };
  submit (f->sched, 10, "sum", two, 2);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, -1), ==, 0);
  assert_waiting (f->sched, 10);
  g_assert_cmpuint (w2->n_ahead, ==, 4);       /* 3, 4, 7, 8 */
  /* One of them done (elsewhere, 8 bytes): now it goes ahead to worker 2. */
  int on = dmpi_sched_lookup (f->sched, 20)->worker;
  g_assert_cmpint (on, ==, 3);
  dmpi_sched_task_finished (f->sched, on, 0, 20, 8, 0, 0.1);
  g_assert_cmpint (find (f->sched, DMPI_ACTION_COMPUTE, 10)->worker, ==, 2);
  dmpi_sched_clear_actions (f->sched);
  assert_ahead (f->sched, 10, 2);
  g_assert_cmpuint (w2->n_ahead, ==, 5);
  DmpiSchedStats stats;
  dmpi_sched_get_stats (f->sched, &stats);
  g_assert_cmpuint (stats.n_sent_ahead, ==, 5);

  /* Paused: nothing more goes ahead to it. */
  dmpi_sched_worker_paused (f->sched, 2, TRUE);
  dmpi_sched_clear_actions (f->sched);
  submit (f->sched, 11, "inc", d1, 1);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, -1), ==, 0);
  assert_waiting (f->sched, 11);
  g_assert_cmpuint (w2->n_ahead, ==, 5);       /* what is there stays */
  assert_ahead (f->sched, 3, 2);
}

/* An input with a STEAL out is not waited for on its worker; once it
 * comes back and runs elsewhere, what waits for it goes ahead there. */
static void
test_ahead_input_stealing (Fixture *f, gconstpointer data)
{
  dmpi_sched_set_sending_ahead (f->sched, TRUE);
  pile_and_steal (f);
  guint64 d6[] = { 6 }, d5[] = { 5 };
  submit (f->sched, 50, "work", d6, 1);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, -1), ==, 0);
  assert_waiting (f->sched, 50);
  submit (f->sched, 51, "work", d5, 1);
  g_assert_cmpint (find (f->sched, DMPI_ACTION_COMPUTE, 51)->worker, ==, 2);
  dmpi_sched_clear_actions (f->sched);
  assert_ahead (f->sched, 51, 2);
  dmpi_sched_task_given_back (f->sched, 2, 6);
  g_assert_cmpint (find (f->sched, DMPI_ACTION_COMPUTE, 6)->worker, ==, 3);
  g_assert_cmpint (find (f->sched, DMPI_ACTION_COMPUTE, 50)->worker, ==, 3);
  dmpi_sched_clear_actions (f->sched);
  assert_ahead (f->sched, 50, 3);
  assert_ahead (f->sched, 51, 2);
}

/* Stealing takes only tasks that were sent (not those ahead), over a whole
 * run where an idle worker keeps stealing from a busy one. */
static void
test_ahead_never_stolen (Fixture *f, gconstpointer data)
{
  enum { N = 5 };
  dmpi_sched_set_sending_ahead (f->sched, TRUE);
  pile (f->sched, N, 8, 0.1, NULL, 0);             /* 2..6 on worker 2 (one thread) */
  for (guint64 id = 2; id <= N + 1; id++)
    {
      guint64 d[] = { id };
      submit (f->sched, 200 + id, "work", d, 1);
      assert_ahead (f->sched, 200 + id, 2);
    }
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, 2), ==, N);
  g_assert_cmpuint (dmpi_sched_get_worker (f->sched, 2)->n_ahead, ==, N);

  dmpi_sched_add_worker (f->sched, 3, "b", 1, 0);
  guint n_steals = 0, n_given_back = 0;
  for (guint step = 0; step < 100; step++)
    {
      /* Answer the STEALs: none is for a task ahead. */
      guint n;
      const DmpiSchedAction *actions = dmpi_sched_get_actions (f->sched, &n);
      g_autoptr(GArray) steals = g_array_new (FALSE, FALSE, sizeof (guint64));
      for (guint i = 0; i < n; i++)
        if (actions[i].kind == DMPI_ACTION_STEAL)
          {
            DmpiSchedTask *t = dmpi_sched_lookup (f->sched, actions[i].id);
            g_assert_nonnull (t);
            g_assert_false (t->ahead);
            g_assert_cmpint (actions[i].worker, ==, 2);
            g_assert_cmpuint (actions[i].id, <=, N + 1);        /* one of the pile */
            g_array_append_val (steals, actions[i].id);
          }
      dmpi_sched_clear_actions (f->sched);
      n_steals += steals->len;
      for (guint i = 0; i < steals->len; i++)
        {
          guint64 id = g_array_index (steals, guint64, i);
          dmpi_sched_task_given_back (f->sched, 2, id);
          n_given_back++;
          /* It runs on worker 3 now, and its dependent follows it there. */
          g_assert_cmpint (dmpi_sched_lookup (f->sched, id)->worker, ==, 3);
          g_assert_cmpint (find (f->sched, DMPI_ACTION_COMPUTE, 200 + id)->worker, ==, 3);
          assert_ahead (f->sched, 200 + id, 3);
        }
      /* No task ahead is asked back, anywhere. */
      for (guint64 id = 202; id <= 200 + N + 1; id++)
        {
          DmpiSchedTask *t = dmpi_sched_lookup (f->sched, id);
          if (t->ahead)
            g_assert_false (t->stealing);
        }
      /* Worker 3 runs one task, else worker 2 does. */
      guint64 next = 0;
      for (int rank = 3; rank >= 2 && next == 0; rank--)
        for (guint64 id = 2; id <= 200 + N + 1 && next == 0; id = id == N + 1 ? 202 : id + 1)
          {
            DmpiSchedTask *t = dmpi_sched_lookup (f->sched, id);
            if (t->state == DMPI_TASK_PROCESSING && t->worker == rank && !t->ahead && !t->stealing)
              next = id;
          }
      if (next == 0)
        break;
      dmpi_sched_task_finished (f->sched, dmpi_sched_lookup (f->sched, next)->worker, 0, next, 8, 0, 0.1);
    }
  g_assert_cmpuint (n_steals, ==, N - 1);                /* all but the one it runs */
  g_assert_cmpuint (n_given_back, ==, n_steals);
  for (guint64 id = 2; id <= 200 + N + 1; id = id == N + 1 ? 202 : id + 1)
    g_assert_cmpint (dmpi_sched_lookup (f->sched, id)->state, ==, DMPI_TASK_MEMORY);
  DmpiSchedStats stats;
  dmpi_sched_get_stats (f->sched, &stats);
  g_assert_cmpuint (stats.n_stolen, ==, n_steals);
  g_assert_cmpuint (stats.n_ahead_dropped, ==, n_steals);
  g_assert_cmpuint (stats.n_sent_ahead, ==, N + n_steals);
  g_assert_cmpuint (dmpi_sched_get_worker (f->sched, 2)->n_ahead, ==, 0);
  g_assert_cmpuint (dmpi_sched_get_worker (f->sched, 3)->n_ahead, ==, 0);
  g_assert_cmpuint (dmpi_sched_get_worker (f->sched, 2)->n_processing, ==, 0);
  g_assert_cmpuint (dmpi_sched_get_worker (f->sched, 3)->n_processing, ==, 0);
}

/* A task ahead that its worker fails on arrival (unknown function) before
 * its input is done: it fails, and frees its place. */
static void
test_ahead_fails_on_arrival (Fixture *f, gconstpointer data)
{
  ahead_workers (f, 1);
  DmpiSchedWorker *w2 = dmpi_sched_get_worker (f->sched, 2);
  submit (f->sched, 1, "sleep", NULL, 0);
  guint64 d1[] = { 1 }, d2[] = { 2 };
  submit (f->sched, 2, "nosuch", d1, 1);
  submit (f->sched, 3, "inc", d2, 1);
  g_assert_cmpuint (w2->n_ahead, ==, 2);
  dmpi_sched_clear_actions (f->sched);
  dmpi_sched_task_erred (f->sched, 2, 0, 2, DMPI_ERROR_UNKNOWN_FUNCTION, "no task function named 'nosuch'", 0, 0);
  g_assert_cmpuint (find (f->sched, DMPI_ACTION_REPORT, 2)->error_code, ==, DMPI_ERROR_UNKNOWN_FUNCTION);
  g_assert_cmpuint (find (f->sched, DMPI_ACTION_REPORT, 3)->error_code, ==, DMPI_ERROR_DEPENDENCY_FAILED);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, -1), ==, 0);
  g_assert_cmpuint (w2->n_ahead, ==, 0);
  g_assert_cmpuint (w2->n_processing, ==, 1);
  /* The input finishes as usual. */
  dmpi_sched_task_finished (f->sched, 2, 0, 1, 8, 0, 0.1);
  g_assert_cmpint (find (f->sched, DMPI_ACTION_REPORT, 1)->state, ==, DMPI_TASK_MEMORY);
  g_assert_cmpuint (take (f->sched, DMPI_ACTION_COMPUTE, -1), ==, 0);
  g_assert_cmpuint (w2->n_ahead, ==, 0);
  g_assert_cmpuint (w2->n_processing, ==, 0);
  DmpiSchedStats stats;
  dmpi_sched_get_stats (f->sched, &stats);
  g_assert_cmpuint (stats.n_by_state[DMPI_TASK_PROCESSING], ==, 0);
}

/* The client cancels the input and lets go of both futures at once (what
 * dmpi_client_cancel() and dropping the futures do): the worker still runs
 * both, and their places must stay taken until it reports them. */
static void
test_ahead_cancel_released (Fixture *f, gconstpointer data)
{
  DmpiSchedWorker *w2 = input_and_dependent (f);
  guint64 ids[] = { 1, 2 };
  dmpi_sched_cancel (f->sched, ids, 1);
  dmpi_sched_release (f->sched, ids, 2);
  dmpi_sched_clear_actions (f->sched);
  g_assert_cmpuint (w2->n_processing, ==, 1);
  g_assert_cmpuint (w2->n_ahead, ==, 1);
  dmpi_sched_task_finished (f->sched, 2, 0, 1, 8, 0, 0.1);
  g_assert_cmpuint (count_for (f->sched, DMPI_ACTION_FREE, 1), ==, 1);
  dmpi_sched_task_finished (f->sched, 2, 0, 2, 8, 0.1, 0.2);
  g_assert_cmpuint (count_for (f->sched, DMPI_ACTION_FREE, 2), ==, 1);
  dmpi_sched_clear_actions (f->sched);
  g_assert_cmpuint (w2->n_ahead, ==, 0);
  g_assert_cmpuint (w2->n_processing, ==, 0);
  DmpiSchedStats stats;
  dmpi_sched_get_stats (f->sched, &stats);
  g_assert_cmpuint (stats.n_tasks, ==, 0);
}

/* A task ahead the client let go of (it still runs, like any task
 * processing), whose input then fails for good: nothing is left. */
static void
test_ahead_released_input_fails (Fixture *f, gconstpointer data)
{
  ahead_workers (f, 1);
  submit (f->sched, 1, "fail", NULL, 0);
  guint64 d1[] = { 1 }, one = 1, two = 2;
  submit (f->sched, 2, "inc", d1, 1);
  dmpi_sched_release (f->sched, &two, 1);
  assert_ahead (f->sched, 2, 2);
  dmpi_sched_clear_actions (f->sched);
  dmpi_sched_task_erred (f->sched, 2, 0, 1, DMPI_ERROR_TASK_FAILED, "boom", 0, 0.1);
  g_assert_cmpuint (count_for (f->sched, DMPI_ACTION_REPORT, 1), ==, 1);
  g_assert_cmpuint (count_for (f->sched, DMPI_ACTION_REPORT, 2), ==, 0);   /* nobody wants it */
  dmpi_sched_release (f->sched, &one, 1);
  dmpi_sched_clear_actions (f->sched);
  g_assert_cmpuint (dmpi_sched_get_worker (f->sched, 2)->n_ahead, ==, 0);
  g_assert_null (dmpi_sched_lookup (f->sched, 2));
  DmpiSchedStats stats;
  dmpi_sched_get_stats (f->sched, &stats);
  g_assert_cmpuint (stats.n_tasks, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, setup, fn, teardown)
  ADD ("/sched-core/chain", test_chain);
  ADD ("/sched-core/locality", test_locality);
  ADD ("/sched-core/error-propagates", test_error_propagates);
  ADD ("/sched-core/bad-graphs", test_bad_graphs);
  ADD ("/sched-core/release-frees", test_release_frees);
  ADD ("/sched-core/saturation", test_saturation);
  ADD ("/sched-core/no-worker", test_no_worker);
  ADD ("/sched-core/worker-lost", test_worker_lost);
  ADD ("/sched-core/stale-finish-ignored", test_stale_finish_ignored);
  ADD ("/sched-core/queries", test_queries);
  ADD ("/sched-core/priorities", test_priorities);
  ADD ("/sched-core/retries", test_retries);
  ADD ("/sched-core/restrictions", test_restrictions);
  ADD ("/sched-core/cancel", test_cancel);
  ADD ("/sched-core/keep", test_keep);
  ADD ("/sched-core/steal", test_steal);
  ADD ("/sched-core/steal-finished-first", test_steal_finished_first);
  ADD ("/sched-core/steal-worker-removed", test_steal_worker_removed);
  ADD ("/sched-core/steal-cancelled", test_steal_cancelled);
  ADD ("/sched-core/steal-retried", test_steal_retried);
  ADD ("/sched-core/steal-restricted", test_steal_restricted);
  ADD ("/sched-core/steal-transfer-dominates", test_steal_transfer_dominates);
  ADD ("/sched-core/steal-not-worth", test_steal_not_worth);
  ADD ("/sched-core/steal-off", test_steal_off);
  ADD ("/sched-core/steal-after-learning", test_steal_after_learning);
  ADD ("/sched-core/pause", test_pause);
  ADD ("/sched-core/steal-refused", test_steal_refused);
  ADD ("/sched-core/steal-refused-cancelled-removed", test_steal_refused_cancelled_removed);
  ADD ("/sched-core/fail-unrunnable", test_fail_unrunnable);
  ADD ("/sched-core/fail-unrunnable-lost", test_fail_unrunnable_lost);
  ADD ("/sched-core/held-counter", test_held_counter);
  ADD ("/sched-core/fail-forgets-once", test_fail_forgets_once);
  ADD ("/sched-core/ahead-off", test_ahead_off);
  ADD ("/sched-core/ahead-chain", test_ahead_chain);
  ADD ("/sched-core/ahead-limit", test_ahead_limit);
  ADD ("/sched-core/ahead-fan-out", test_ahead_fan_out);
  ADD ("/sched-core/ahead-input-retried", test_ahead_input_retried);
  ADD ("/sched-core/ahead-input-fails", test_ahead_input_fails);
  ADD ("/sched-core/ahead-input-given-back", test_ahead_input_given_back);
  ADD ("/sched-core/ahead-start-paused", test_ahead_start_paused);
  ADD ("/sched-core/ahead-cancel-input", test_ahead_cancel_input);
  ADD ("/sched-core/ahead-cancel-input-fails", test_ahead_cancel_input_fails);
  ADD ("/sched-core/ahead-worker-removed", test_ahead_worker_removed);
  ADD ("/sched-core/ahead-restrictions", test_ahead_restrictions);
  ADD ("/sched-core/ahead-input-stealing", test_ahead_input_stealing);
  ADD ("/sched-core/ahead-never-stolen", test_ahead_never_stolen);
  ADD ("/sched-core/ahead-fails-on-arrival", test_ahead_fails_on_arrival);
  ADD ("/sched-core/ahead-cancel-released", test_ahead_cancel_released);
  ADD ("/sched-core/ahead-released-input-fails", test_ahead_released_input_fails);
  return g_test_run ();
}
