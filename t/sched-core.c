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
  pile (f->sched, 5, 8, 0.1, NULL, 0);
  dmpi_sched_add_worker (f->sched, 3, "b", 1, 0);
  g_assert_cmpuint (count_for (f->sched, DMPI_ACTION_STEAL, 6), ==, 1);
  dmpi_sched_clear_actions (f->sched);
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
  pile (f->sched, 5, 8, 0.1, NULL, 0);
  dmpi_sched_add_worker (f->sched, 3, "b", 1, 0);
  g_assert_cmpuint (count_for (f->sched, DMPI_ACTION_STEAL, 6), ==, 1);
  dmpi_sched_clear_actions (f->sched);
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
  pile (f->sched, 5, 8, 0.1, NULL, 0);
  dmpi_sched_add_worker (f->sched, 3, "b", 1, 0);
  g_assert_cmpuint (count_for (f->sched, DMPI_ACTION_STEAL, 6), ==, 1);
  dmpi_sched_clear_actions (f->sched);
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
  pile (f->sched, 5, 8, 0.1, NULL, 0);
  dmpi_sched_add_worker (f->sched, 3, "b", 1, 0);
  g_assert_cmpuint (count_for (f->sched, DMPI_ACTION_STEAL, 6), ==, 1);
  dmpi_sched_clear_actions (f->sched);
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
  return g_test_run ();
}
