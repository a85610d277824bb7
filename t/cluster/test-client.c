/* A client for the whole-cluster tests: `test-client MODE [ARG]`. It checks
 * what it gets from the cluster and exits 0 only when all is as expected;
 * each failed check is printed with "FAIL:". */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <daskmpi.h>

static int failures;

#define CHECK(cond, ...) \
  do { if (!(cond)) { failures++; printf ("FAIL: " __VA_ARGS__); printf ("\n"); } } while (0)

static void
die (const char *what, GError *error)
{
  printf ("FAIL: %s: %s\n", what, error != NULL ? error->message : "no error");
  exit (1);
}

static gint64
gather_int (DmpiClient *client, DmpiFuture *future)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = dmpi_client_gather_one (client, future, &error);
  if (value == NULL)
    die ("gather", error);
  CHECK (g_variant_is_of_type (value, G_VARIANT_TYPE_INT64), "result type %s", g_variant_get_type_string (value));
  return g_variant_get_int64 (value);
}

/* Results are right: a chain, a map, a reduction, scatter and gather. */
static void
mode_compute (DmpiClient *client)
{
  g_autoptr(GError) error = NULL;

  /* A chain of 50 inc: each on the previous one's result via add. */
  g_autoptr(DmpiFuture) head = dmpi_client_submit (client, "inc", g_variant_new ("(x)", (gint64) 0), NULL, 0, &error);
  DmpiFuture *prev = dmpi_future_ref (head);
  for (int i = 0; i < 50; i++)
    {
      DmpiFuture *next = dmpi_client_submit (client, "add", g_variant_new ("(x)", (gint64) 1), &prev, 1, &error);
      if (next == NULL)
        die ("submit", error);
      dmpi_future_unref (prev);
      prev = next;
    }
  CHECK (gather_int (client, prev) == 51, "chain of 51");
  dmpi_future_unref (prev);

  /* map over 1000 inputs, gathered at once. */
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  for (gint64 i = 0; i < 1000; i++)
    g_ptr_array_add (args, g_variant_new ("(x)", i));
  g_autoptr(GPtrArray) futures = dmpi_client_map (client, "inc", (GVariant *const *) args->pdata, args->len, &error);
  if (futures == NULL)
    die ("map", error);
  g_autoptr(GPtrArray) values = dmpi_client_gather (client, (DmpiFuture *const *) futures->pdata, futures->len, &error);
  if (values == NULL)
    die ("gather map", error);
  gint64 total = 0;
  for (guint i = 0; i < values->len; i++)
    total += g_variant_get_int64 (g_ptr_array_index (values, i));
  CHECK (total == 1000 * 1001 / 2, "map total %" G_GINT64_FORMAT, total);

  /* A reduction over the map's futures, placed on workers that hold them. */
  g_autoptr(DmpiFuture) reduced = dmpi_client_submit (client, "sum", NULL, (DmpiFuture *const *) futures->pdata,
                                                      futures->len, &error);
  CHECK (gather_int (client, reduced) == 1000 * 1001 / 2, "sum of the map");

  /* Scatter, then use the scattered values as dependencies. */
  GVariant *data[] = { g_variant_new_int64 (1000), g_variant_new_int64 (2000), g_variant_new_int64 (3000) };
  g_autoptr(GPtrArray) scattered = dmpi_client_scatter (client, data, 3, &error);
  if (scattered == NULL)
    die ("scatter", error);
  g_autoptr(DmpiFuture) scattered_sum = dmpi_client_submit (client, "sum", NULL, (DmpiFuture *const *) scattered->pdata,
                                                            scattered->len, &error);
  CHECK (gather_int (client, scattered_sum) == 6000, "sum of scattered");
  CHECK (gather_int (client, g_ptr_array_index (scattered, 1)) == 2000, "gather of scattered");

  /* A large result moves between workers in chunks and reaches the client. */
  g_autoptr(DmpiFuture) big = dmpi_client_submit (client, "bytes", g_variant_new ("(t)", (guint64) 5000000), NULL, 0, &error);
  g_autoptr(GVariant) blob = dmpi_client_gather_one (client, big, &error);
  if (blob == NULL)
    die ("gather bytes", error);
  gsize n;
  const guint8 *bytes = g_variant_get_fixed_array (blob, &n, 1);
  gboolean intact = n == 5000000;
  for (gsize i = 0; intact && i < n; i += 4099)
    intact = bytes[i] == (guint8) (i * 131u + 7u);
  CHECK (intact, "5 MB result intact (%" G_GSIZE_FORMAT " bytes)", n);
  CHECK (dmpi_future_get_nbytes (big) >= 5000000, "nbytes reported");

  /* wait with a timeout that runs out. */
  g_autoptr(DmpiFuture) slow = dmpi_client_submit (client, "sleep", g_variant_new ("(d)", 2.0), NULL, 0, &error);
  CHECK (!dmpi_client_wait (client, &slow, 1, 0.2, &error), "wait should time out");
  CHECK (g_error_matches (error, DMPI_ERROR, DMPI_ERROR_TIMEOUT), "timeout error");
  g_clear_error (&error);
  CHECK (dmpi_client_wait (client, &slow, 1, 30, &error), "wait for sleep");
}

/* A failing task's error reaches the client with its key, function and
 * message; its dependents fail with it; the cluster goes on serving. */
static void
mode_fail (DmpiClient *client)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DmpiFuture) bad = dmpi_client_submit_with_key (client, "broken-one", "fail",
                                                           g_variant_new ("(s)", "disk on fire"), NULL, 0, &error);
  g_autoptr(DmpiFuture) dependent = dmpi_client_submit_with_key (client, "downstream", "inc",
                                                                 g_variant_new ("(x)", (gint64) 1), &bad, 1, &error);
  g_autoptr(GVariant) v = dmpi_client_gather_one (client, bad, &error);
  CHECK (v == NULL, "a failed task gathered");
  CHECK (g_error_matches (error, DMPI_ERROR, DMPI_ERROR_TASK_FAILED), "TASK_FAILED code");
  if (error != NULL)
    {
      printf ("task error: %s\n", error->message);
      CHECK (strstr (error->message, "broken-one") != NULL, "key in message");
      CHECK (strstr (error->message, "fail") != NULL, "function in message");
      CHECK (strstr (error->message, "disk on fire") != NULL, "task's message in message");
      CHECK (strstr (error->message, "rank") != NULL, "worker rank in message");
    }
  g_clear_error (&error);
  g_autoptr(GVariant) d = dmpi_client_gather_one (client, dependent, &error);
  CHECK (d == NULL, "a dependent of a failed task gathered");
  CHECK (g_error_matches (error, DMPI_ERROR, DMPI_ERROR_DEPENDENCY_FAILED), "DEPENDENCY_FAILED code");
  if (error != NULL)
    {
      printf ("dependent error: %s\n", error->message);
      CHECK (strstr (error->message, "downstream") != NULL, "dependent's key");
      CHECK (strstr (error->message, "disk on fire") != NULL, "original message");
    }
  g_clear_error (&error);
  CHECK (dmpi_future_get_status (dependent) == DMPI_FUTURE_ERROR, "status error");

  /* Unknown function and wrong arguments fail their task only. */
  g_autoptr(DmpiFuture) unknown = dmpi_client_submit (client, "no_such_function", NULL, NULL, 0, &error);
  g_autoptr(GVariant) u = dmpi_client_gather_one (client, unknown, &error);
  CHECK (u == NULL && g_error_matches (error, DMPI_ERROR, DMPI_ERROR_UNKNOWN_FUNCTION), "unknown function");
  g_clear_error (&error);
  g_autoptr(DmpiFuture) wrong = dmpi_client_submit (client, "inc", g_variant_new ("(s)", "one"), NULL, 0, &error);
  g_autoptr(GVariant) w = dmpi_client_gather_one (client, wrong, &error);
  CHECK (w == NULL && g_error_matches (error, DMPI_ERROR, DMPI_ERROR_INVALID_ARGS), "wrong arguments");
  g_clear_error (&error);
  /* A duplicate key is refused while the first is alive, and free again after. */
  g_autoptr(DmpiFuture) first = dmpi_client_submit_with_key (client, "same", "inc", g_variant_new ("(x)", (gint64) 1), NULL, 0, &error);
  CHECK (gather_int (client, first) == 2, "first of a key");
  DmpiFuture *again = dmpi_client_submit_with_key (client, "same", "inc", g_variant_new ("(x)", (gint64) 2), NULL, 0, &error);
  CHECK (again == NULL && g_error_matches (error, DMPI_ERROR, DMPI_ERROR_INVALID_GRAPH), "duplicate key refused");
  g_clear_error (&error);
  g_clear_pointer (&first, dmpi_future_unref);
  g_autoptr(DmpiFuture) reuse = dmpi_client_submit_with_key (client, "same", "inc", g_variant_new ("(x)", (gint64) 2), NULL, 0, &error);
  CHECK (reuse != NULL && gather_int (client, reuse) == 3, "a released key can be used again");

  g_autoptr(DmpiFuture) ok = dmpi_client_submit (client, "inc", g_variant_new ("(x)", (gint64) 41), NULL, 0, &error);
  CHECK (gather_int (client, ok) == 42, "the cluster still serves");
}

static void
mode_module (DmpiClient *client, const char *path)
{
  g_autoptr(GError) error = NULL;

  g_autoptr(DmpiFuture) before = dmpi_client_submit (client, "square", g_variant_new ("(x)", (gint64) 7), NULL, 0, &error);
  g_autoptr(GVariant) none = dmpi_client_gather_one (client, before, &error);
  CHECK (none == NULL && g_error_matches (error, DMPI_ERROR, DMPI_ERROR_UNKNOWN_FUNCTION), "square before loading");
  g_clear_error (&error);
  CHECK (!dmpi_client_load_module (client, "/nonexistent/module.so", &error), "loading a missing module");
  g_clear_error (&error);
  if (!dmpi_client_load_module (client, path, &error))
    die ("load module", error);
  g_autoptr(DmpiFuture) sq = dmpi_client_submit (client, "square", g_variant_new ("(x)", (gint64) 7), NULL, 0, &error);
  CHECK (gather_int (client, sq) == 49, "square from the module");
}

/* A task far past its worker's memory limit (function @fn of the faults
 * module: hog or alloc_huge) fails with a memory error naming it, and the
 * cluster goes on: 200 more tasks complete on the other workers. */
static void
mode_memory (DmpiClient *client, const char *path, const char *fn)
{
  g_autoptr(GError) error = NULL;

  if (!dmpi_client_load_module (client, path, &error))
    die ("load module", error);
  GVariant *args = strcmp (fn, "hog") == 0 ? g_variant_new ("(tt)", (guint64) 1 << 20, (guint64) 0) : NULL;
  g_autoptr(DmpiFuture) f = dmpi_client_submit_with_key (client, "hog-1", fn, args, NULL, 0, &error);
  if (f == NULL)
    die ("submit", error);
  g_autoptr(GVariant) v = dmpi_client_gather_one (client, f, &error);
  CHECK (v == NULL, "the task past the memory limit returned a value");
  if (v == NULL)
    {
      printf ("error: %s\n", error->message);
      CHECK (g_error_matches (error, DMPI_ERROR, DMPI_ERROR_MEMORY), "error code %d, not DMPI_ERROR_MEMORY", error->code);
      CHECK (strstr (error->message, "'hog-1'") != NULL && strstr (error->message, fn) != NULL,
             "the error names the task and its function");
      CHECK (strstr (error->message, "memory limit of") != NULL, "the error gives the memory figures");
    }
  g_clear_error (&error);
  /* The cluster goes on without that worker. */
  gint64 sum = 0;
  for (gint64 i = 0; i < 200; i++)
    {
      g_autoptr(DmpiFuture) g = dmpi_client_submit (client, "inc", g_variant_new ("(x)", i), NULL, 0, &error);
      if (g == NULL)
        die ("submit", error);
      sum += gather_int (client, g);
    }
  CHECK (sum == 200 * 201 / 2, "200 tasks after the memory fault: sum %" G_GINT64_FORMAT, sum);
}

/* A task that takes its worker to 81-83% of a 400 MiB limit (past 80%, and
 * below 95% even when AddressSanitizer touches an eighth more as it frees)
 * for 1.5 s: the worker pauses, resumes, and every task completes, the
 * hog's too. */
static void
mode_pause (DmpiClient *client, const char *path)
{
  g_autoptr(GError) error = NULL;

  if (!dmpi_client_load_module (client, path, &error))
    die ("load module", error);
  g_autoptr(DmpiFuture) f = dmpi_client_submit_with_key (client, "big-1", "hog",
                                                         g_variant_new ("(tt)", (guint64) 324, (guint64) 1500),
                                                         NULL, 0, &error);
  if (f == NULL)
    die ("submit", error);
  /* Let it grow before the others arrive. */
  g_usleep (300000);
  g_autoptr(GPtrArray) futures = g_ptr_array_new_with_free_func ((GDestroyNotify) dmpi_future_unref);
  for (gint64 i = 0; i < 100; i++)
    g_ptr_array_add (futures, dmpi_client_submit (client, "sleep", g_variant_new ("(d)", 0.01), NULL, 0, &error));
  g_autoptr(GPtrArray) values = dmpi_client_gather (client, (DmpiFuture *const *) futures->pdata, futures->len, &error);
  if (values == NULL)
    die ("gather", error);
  g_autoptr(GVariant) v = dmpi_client_gather_one (client, f, &error);
  if (v == NULL)
    die ("gather the hog", error);
  CHECK (g_variant_get_uint64 (v) > 0, "the hog allocated");
}

/* Work stealing: 30 tasks of 200 ms that all depend on one result are
 * placed with it on one worker; the idle one must take some of them. */
static void
mode_steal (DmpiClient *client)
{
  g_autoptr(GError) error = NULL;
  /* A 10 MB input: moving it (10 ms) costs more than a learned-instant
   * task's wait behind any backlog here, less than 200 ms tasks' wait. */
  g_autoptr(DmpiFuture) root = dmpi_client_submit (client, "bytes", g_variant_new ("(t)", (guint64) 10000000), NULL, 0, &error);
  if (root == NULL || !dmpi_client_wait (client, &root, 1, 60, &error))
    die ("the root task", error);
  /* The scheduler learns that sleep is instant, so placement alone puts the
   * slow ones below with their input; only stealing spreads them. */
  g_autoptr(GPtrArray) quick = g_ptr_array_new_with_free_func ((GDestroyNotify) dmpi_future_unref);
  for (int i = 0; i < 100; i++)
    {
      DmpiFuture *deps[] = { root };
      g_ptr_array_add (quick, dmpi_client_submit (client, "sleep", g_variant_new ("(d)", 0.0), deps, 1, &error));
    }
  if (!dmpi_client_wait (client, (DmpiFuture *const *) quick->pdata, quick->len, 60, &error))
    die ("wait", error);
  g_autoptr(GPtrArray) futures = g_ptr_array_new_with_free_func ((GDestroyNotify) dmpi_future_unref);
  for (int i = 0; i < 30; i++)
    {
      DmpiFuture *deps[] = { root };
      /* sleep's argument comes first; the root's result is an extra input. */
      DmpiFuture *f = dmpi_client_submit (client, "sleep", g_variant_new ("(d)", 0.2), deps, 1, &error);
      if (f == NULL)
        die ("submit", error);
      g_ptr_array_add (futures, f);
    }
  if (!dmpi_client_wait (client, (DmpiFuture *const *) futures->pdata, futures->len, 60, &error))
    die ("wait", error);
  g_autoptr(GHashTable) ranks = g_hash_table_new (NULL, NULL);
  g_autoptr(GString) where = g_string_new ("");
  for (guint i = 0; i < futures->len; i++)
    {
      DmpiFuture *f = g_ptr_array_index (futures, i);
      CHECK (dmpi_future_get_status (f) == DMPI_FUTURE_FINISHED, "task %u finished", i);
      g_hash_table_add (ranks, GINT_TO_POINTER (dmpi_future_get_worker (f)));
      g_string_append_printf (where, " %d", dmpi_future_get_worker (f));
    }
  /* Where they ran is for t/cluster/stealing.sh to judge, with stealing
   * on and off. */
  printf ("ran on %u workers:%s\n", g_hash_table_size (ranks), where->str);
}

/* Scatter with broadcast: one value on every worker; tasks on each worker
 * use it (restricted to each in turn); the options are checked. */
static void
mode_broadcast (DmpiClient *client)
{
  g_autoptr(GError) error = NULL;
  DmpiScatterOptions options = { .broadcast = TRUE };
  GVariant *values[] = { g_variant_new_int64 (40) };
  g_autoptr(GPtrArray) scattered = dmpi_client_scatter_full (client, values, 1, &options, &error);
  if (scattered == NULL)
    die ("scatter with broadcast", error);
  DmpiFuture *value = g_ptr_array_index (scattered, 0);
  CHECK (dmpi_future_get_status (value) == DMPI_FUTURE_FINISHED, "the broadcast value is finished");
  CHECK (dmpi_future_get_worker (value) == 2, "its holder is the first worker (%d)", dmpi_future_get_worker (value));

  gint64 total = 0;
  for (int rank = 2; rank <= 3; rank++)
    for (int i = 0; i < 10; i++)
      {
        DmpiSubmitOptions on = { .workers = &rank, .n_workers = 1 };
        g_autoptr(DmpiFuture) f = dmpi_client_submit_full (client, "add", g_variant_new ("(x)", (gint64) 2), &value, 1,
                                                           &on, &error);
        if (f == NULL)
          die ("submit", error);
        total += gather_int (client, f);
        CHECK (dmpi_future_get_worker (f) == rank, "task ran on rank %d", dmpi_future_get_worker (f));
      }
  CHECK (total == 20 * 42, "tasks on both workers used the value: %" G_GINT64_FORMAT, total);

  /* Only some workers, round robin among them. */
  int only[] = { 3 };
  DmpiScatterOptions on_three = { .workers = only, .n_workers = 1 };
  GVariant *more[] = { g_variant_new_int64 (1), g_variant_new_int64 (2) };
  g_autoptr(GPtrArray) placed = dmpi_client_scatter_full (client, more, 2, &on_three, &error);
  if (placed == NULL)
    die ("scatter to rank 3", error);
  for (guint i = 0; i < placed->len; i++)
    CHECK (dmpi_future_get_worker (g_ptr_array_index (placed, i)) == 3, "value %u is on rank 3", i);

  /* A rank that is not a worker. */
  int bad[] = { 1 };
  DmpiScatterOptions on_bad = { .workers = bad, .n_workers = 1 };
  GVariant *one[] = { g_variant_new_int64 (1) };
  g_autoptr(GPtrArray) refused = dmpi_client_scatter_full (client, one, 1, &on_bad, &error);
  CHECK (refused == NULL && error != NULL && strstr (error->message, "cannot scatter to rank 1") != NULL,
         "scattering to rank 1 is refused: %s", error != NULL ? error->message : "no error");
}

/* The only worker stops a task for memory: what is submitted after cannot
 * run, and fails at once with a message saying why instead of waiting for
 * ever. */
static void
mode_memory_last (DmpiClient *client, const char *path)
{
  g_autoptr(GError) error = NULL;

  if (!dmpi_client_load_module (client, path, &error))
    die ("load module", error);
  g_autoptr(DmpiFuture) f = dmpi_client_submit_with_key (client, "hog-1", "hog",
                                                         g_variant_new ("(tt)", (guint64) 1 << 20, (guint64) 0),
                                                         NULL, 0, &error);
  g_autoptr(GVariant) v = dmpi_client_gather_one (client, f, &error);
  CHECK (v == NULL && g_error_matches (error, DMPI_ERROR, DMPI_ERROR_MEMORY), "the hog fails for memory");
  g_clear_error (&error);
  g_autoptr(DmpiFuture) g = dmpi_client_submit (client, "inc", g_variant_new ("(x)", (gint64) 1), NULL, 0, &error);
  if (g == NULL)
    die ("submit", error);
  CHECK (dmpi_client_wait (client, &g, 1, 60, &error), "the task after it ends within 60 s");
  CHECK (dmpi_future_get_status (g) == DMPI_FUTURE_ERROR, "the task after it failed");
  const GError *why = dmpi_future_get_error (g);
  printf ("after: %s\n", why != NULL ? why->message : "no error");
  CHECK (why != NULL && strstr (why->message, "cannot run: every worker is lost or stopped a task for memory") != NULL,
         "its error says why it cannot run");
  CHECK (why != NULL && g_error_matches (why, DMPI_ERROR, DMPI_ERROR_MEMORY), "its code is DMPI_ERROR_MEMORY");
}

/* Load the faults module and run a task that crashes its worker. */
static void
mode_crash (DmpiClient *client, const char *path)
{
  g_autoptr(GError) error = NULL;

  if (!dmpi_client_load_module (client, path, &error))
    die ("load module", error);
  g_autoptr(DmpiFuture) f = dmpi_client_submit_with_key (client, "crasher-1", "crash", NULL, NULL, 0, &error);
  g_autoptr(GVariant) v = dmpi_client_gather_one (client, f, &error);
  printf ("FAIL: the crashing task returned (%s)\n", error != NULL ? error->message : "a value");
  failures++;
}

/* A worker that stops answering: the task's future fails naming the worker. */
static void
mode_stall (DmpiClient *client, const char *path)
{
  g_autoptr(GError) error = NULL;

  if (!dmpi_client_load_module (client, path, &error))
    die ("load module", error);
  g_autoptr(DmpiFuture) f = dmpi_client_submit_with_key (client, "staller-1", "stop_self", NULL, NULL, 0, &error);
  g_autoptr(GVariant) v = dmpi_client_gather_one (client, f, &error);
  CHECK (v == NULL && g_error_matches (error, DMPI_ERROR, DMPI_ERROR_WORKER_LOST), "WORKER_LOST");
  if (error != NULL)
    printf ("stall error: %s\n", error->message);
}

/* The verbs beyond submit and gather. @dir is a scratch folder. */
static void
mode_api (DmpiClient *client, const char *path, const char *dir)
{
  g_autoptr(GError) error = NULL;

  if (!dmpi_client_load_module (client, path, &error))
    die ("load module", error);

  /* retries: succeeds after a transient failure... */
  g_autofree char *marker = g_build_filename (dir, "flaky", NULL);
  DmpiSubmitOptions retry2 = { .retries = 2 };
  g_autoptr(DmpiFuture) flaky = dmpi_client_submit_full (client, "flaky", g_variant_new ("(s)", marker), NULL, 0, &retry2, &error);
  CHECK (gather_int (client, flaky) == 1, "flaky task with retries succeeds");
  /* ... and gives up after N. */
  g_autofree char *counter = g_build_filename (dir, "attempts", NULL);
  g_autoptr(DmpiFuture) hopeless = dmpi_client_submit_full (client, "count_and_fail", g_variant_new ("(s)", counter),
                                                            NULL, 0, &retry2, &error);
  g_autoptr(GVariant) none = dmpi_client_gather_one (client, hopeless, &error);
  CHECK (none == NULL && g_error_matches (error, DMPI_ERROR, DMPI_ERROR_TASK_FAILED), "gives up after its retries");
  g_clear_error (&error);
  g_autofree char *attempts = NULL;
  gsize n_attempts = 0;
  g_file_get_contents (counter, &attempts, &n_attempts, NULL);
  CHECK (n_attempts == 3, "1 run + 2 retries (ran %" G_GSIZE_FORMAT " times)", n_attempts);

  /* Restriction to a worker, and who has the result. */
  DmpiSubmitOptions on3 = { .workers = (const int[]) { 3 }, .n_workers = 1 };
  g_autoptr(DmpiFuture) pinned = dmpi_client_submit_full (client, "inc", g_variant_new ("(x)", (gint64) 1), NULL, 0, &on3, &error);
  CHECK (gather_int (client, pinned) == 2, "restricted task");
  CHECK (dmpi_future_get_worker (pinned) == 3, "it ran on rank 3 (who has: %d)", dmpi_future_get_worker (pinned));
  DmpiSubmitOptions on1 = { .workers = (const int[]) { 1 }, .n_workers = 1 };
  CHECK (dmpi_client_submit_full (client, "inc", NULL, NULL, 0, &on1, &error) == NULL, "rank 1 is no worker");
  g_clear_error (&error);

  /* as-completed: each future once, in the order they finish. */
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) dmpi_future_unref);
  double delays[] = { 0.6, 0.0, 0.3 };
  for (guint i = 0; i < 3; i++)
    g_ptr_array_add (batch, dmpi_client_submit (client, "sleep", g_variant_new ("(d)", delays[i]), NULL, 0, &error));
  g_autoptr(DmpiAsCompleted) iter = dmpi_as_completed_new (client, (DmpiFuture *const *) batch->pdata, batch->len);
  guint seen = 0;
  DmpiFuture *done;
  while ((done = dmpi_as_completed_next (iter, 30, &error)) != NULL)
    {
      CHECK (dmpi_future_get_status (done) == DMPI_FUTURE_FINISHED, "as-completed yields finished futures");
      if (seen == 0)
        CHECK (done == g_ptr_array_index (batch, 1), "the 0 s sleep comes first");
      seen++;
      dmpi_future_unref (done);
    }
  CHECK (error == NULL && seen == 3, "as-completed yields each once (%u)", seen);
  g_clear_error (&error);

  /* wait: first completed. */
  g_autoptr(DmpiFuture) long_one = dmpi_client_submit (client, "sleep", g_variant_new ("(d)", 3.0), NULL, 0, &error);
  g_autoptr(DmpiFuture) quick = dmpi_client_submit (client, "inc", g_variant_new ("(x)", (gint64) 5), NULL, 0, &error);
  DmpiFuture *pair[] = { long_one, quick };
  CHECK (dmpi_client_wait_full (client, pair, 2, 10, DMPI_WAIT_FIRST_COMPLETED, &error), "wait first-completed");
  CHECK (dmpi_future_get_status (quick) == DMPI_FUTURE_FINISHED, "the quick one finished");
  CHECK (dmpi_future_get_status (long_one) == DMPI_FUTURE_PENDING, "the long one still runs");

  /* Fire and forget: the task runs though its future is dropped at once. */
  g_autofree char *touched = g_build_filename (dir, "touched", NULL);
  DmpiFuture *fire = dmpi_client_submit (client, "touch", g_variant_new ("(s)", touched), NULL, 0, &error);
  dmpi_client_fire_and_forget (client, fire);
  dmpi_future_unref (fire);
  dmpi_client_flush (client, NULL);
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (!g_file_test (touched, G_FILE_TEST_EXISTS) && g_get_monotonic_time () < deadline)
    {
      g_autoptr(DmpiFuture) tick = dmpi_client_submit (client, "sleep", g_variant_new ("(d)", 0.05), NULL, 0, &error);
      dmpi_client_wait (client, &tick, 1, 5, NULL);
    }
  CHECK (g_file_test (touched, G_FILE_TEST_EXISTS), "the fire-and-forget task ran");

  /* Cancel a running task: its future and its dependent's fail at once. */
  g_autoptr(DmpiFuture) slow = dmpi_client_submit (client, "sleep", g_variant_new ("(d)", 20.0), NULL, 0, &error);
  g_autoptr(DmpiFuture) after = dmpi_client_submit (client, "add", NULL, &slow, 1, &error);
  dmpi_client_wait (client, &slow, 1, 0.3, NULL);
  gint64 t0 = g_get_monotonic_time ();
  CHECK (dmpi_client_cancel (client, &slow, 1, &error), "cancel");
  CHECK (dmpi_future_get_status (slow) == DMPI_FUTURE_CANCELLED, "cancelled at once");
  g_autoptr(GVariant) dep = dmpi_client_gather_one (client, after, &error);
  CHECK (dep == NULL && g_error_matches (error, DMPI_ERROR, DMPI_ERROR_DEPENDENCY_FAILED), "dependent of a cancelled task fails");
  g_clear_error (&error);
  CHECK (g_get_monotonic_time () - t0 < 5 * G_USEC_PER_SEC, "without waiting for the sleep");
}

/* Chains, whose tasks the scheduler sends ahead to the worker computing
 * their input (t/cluster/ahead.sh runs this with sending ahead on and off):
 * right results; an input that fails once and is retried; one that fails
 * for good; a chain cancelled in the middle; and a chain after all that. */
static DmpiFuture *
chain_from (DmpiClient *client, DmpiFuture *first, guint n)
{
  g_autoptr(GError) error = NULL;
  DmpiFuture *last = dmpi_future_ref (first);

  for (guint i = 0; i < n; i++)
    {
      DmpiFuture *next = dmpi_client_submit (client, "add", g_variant_new ("(x)", (gint64) 1), &last, 1, &error);
      if (next == NULL)
        die ("submit", error);
      dmpi_future_unref (last);
      last = next;
    }
  return last;
}

static void
mode_ahead (DmpiClient *client, const char *path, const char *dir)
{
  g_autoptr(GError) error = NULL;

  if (!dmpi_client_load_module (client, path, &error))
    die ("load module", error);

  /* A chain of 300. */
  g_autoptr(DmpiFuture) zero = dmpi_client_submit (client, "inc", g_variant_new ("(x)", (gint64) -1), NULL, 0, &error);
  g_autoptr(DmpiFuture) end = chain_from (client, zero, 300);
  CHECK (gather_int (client, end) == 300, "a chain of 300 adds up");

  /* An input in the middle fails once and is retried: the tasks after it
   * still run, once each, on its second result. */
  g_autoptr(DmpiFuture) head = chain_from (client, zero, 20);
  g_autofree char *marker = g_build_filename (dir, "flaky", NULL);
  DmpiSubmitOptions retry = { .retries = 1 };
  g_autoptr(DmpiFuture) flaky = dmpi_client_submit_full (client, "flaky", g_variant_new ("(s)", marker), &head, 1,
                                                         &retry, &error);
  g_autoptr(DmpiFuture) tail = chain_from (client, flaky, 20);
  CHECK (gather_int (client, tail) == 21, "a chain through a task that failed once and was retried");
  CHECK (g_file_test (marker, G_FILE_TEST_EXISTS), "... which did fail once");

  /* An input fails for good: every task after it fails, naming it. */
  g_autofree char *counter = g_build_filename (dir, "attempts", NULL);
  g_autoptr(DmpiFuture) doomed = dmpi_client_submit (client, "count_and_fail", g_variant_new ("(s)", counter), &head, 1,
                                                     &error);
  g_autoptr(DmpiFuture) after = chain_from (client, doomed, 20);
  g_autoptr(GVariant) none = dmpi_client_gather_one (client, after, &error);
  CHECK (none == NULL && g_error_matches (error, DMPI_ERROR, DMPI_ERROR_DEPENDENCY_FAILED),
         "the end of a chain after a failed task fails by dependency (%s)", error != NULL ? error->message : "no error");
  CHECK (error != NULL && strstr (error->message, "always fails") != NULL, "... with the cause");
  g_clear_error (&error);

  /* An input given back after a STEAL: the task sent ahead for it is
   * dropped where it waited, and follows it. Worker 2 runs a long task with
   * the input queued behind it; worker 3 frees up after 0.5 s, which also
   * teaches the scheduler that sleep takes long, and steals the input. */
  DmpiSubmitOptions on2 = { .workers = (const int[]) { 2 }, .n_workers = 1 };
  DmpiSubmitOptions on3 = { .workers = (const int[]) { 3 }, .n_workers = 1 };
  DmpiSubmitOptions on2or3 = { .workers = (const int[]) { 2, 3 }, .n_workers = 2 };
  g_autoptr(DmpiFuture) long2 = dmpi_client_submit_full (client, "sleep", g_variant_new ("(d)", 2.0), NULL, 0, &on2, &error);
  g_autoptr(DmpiFuture) long3 = dmpi_client_submit_full (client, "sleep", g_variant_new ("(d)", 0.5), NULL, 0, &on3, &error);
  g_autoptr(DmpiFuture) input = dmpi_client_submit_full (client, "sleep", g_variant_new ("(d)", 0.2), NULL, 0, &on2or3, &error);
  g_autoptr(DmpiFuture) follower = dmpi_client_submit (client, "sleep", g_variant_new ("(d)", 0.0), &input, 1, &error);
  CHECK (dmpi_client_wait (client, &follower, 1, 30, &error)
         && dmpi_future_get_status (follower) == DMPI_FUTURE_FINISHED, "a task after a stolen input runs");
  g_clear_error (&error);
  CHECK (dmpi_future_get_worker (input) == 3 && dmpi_future_get_worker (follower) == 3,
         "... the input was stolen by the idle worker, and its follower ran there too (ranks %d and %d)",
         dmpi_future_get_worker (input), dmpi_future_get_worker (follower));
  CHECK (dmpi_client_wait (client, &long2, 1, 30, &error), "the long task ends");
  g_clear_error (&error);

  /* A chain of slow tasks cancelled in the middle: the rest fail at once;
   * the task running is left to end. */
  g_autoptr(GPtrArray) slow = g_ptr_array_new_with_free_func ((GDestroyNotify) dmpi_future_unref);
  for (guint i = 0; i < 12; i++)
    {
      DmpiFuture *prev = i > 0 ? g_ptr_array_index (slow, i - 1) : NULL;
      DmpiFuture *f = dmpi_client_submit (client, "sleep", g_variant_new ("(d)", 0.1), prev != NULL ? &prev : NULL,
                                          prev != NULL ? 1 : 0, &error);
      if (f == NULL)
        die ("submit", error);
      g_ptr_array_add (slow, f);
    }
  DmpiFuture *first = g_ptr_array_index (slow, 0);
  dmpi_client_wait (client, &first, 1, 30, NULL);
  DmpiFuture *middle = g_ptr_array_index (slow, 3);
  gint64 t0 = g_get_monotonic_time ();
  CHECK (dmpi_client_cancel (client, &middle, 1, &error), "cancel in the middle of a chain");
  DmpiFuture *last = g_ptr_array_index (slow, 11);
  g_autoptr(GVariant) cancelled = dmpi_client_gather_one (client, last, &error);
  CHECK (cancelled == NULL && g_error_matches (error, DMPI_ERROR, DMPI_ERROR_DEPENDENCY_FAILED),
         "the end of the cancelled chain fails (%s)", error != NULL ? error->message : "no error");
  g_clear_error (&error);
  CHECK (g_get_monotonic_time () - t0 < 1 * G_USEC_PER_SEC, "... at once, not after its 0.8 s of sleeps");
  CHECK (dmpi_client_wait (client, (DmpiFuture *const *) slow->pdata, 3, 30, &error)
         && dmpi_future_get_status (g_ptr_array_index (slow, 2)) == DMPI_FUTURE_FINISHED,
         "the tasks before it finish");
  g_clear_error (&error);

  /* The workers are left in order: another chain runs. */
  g_autoptr(DmpiFuture) again = chain_from (client, zero, 100);
  CHECK (gather_int (client, again) == 100, "a chain after all that");
}

/* Results larger than the workers' memory target: they spill, and come back intact. */
static void
mode_spill (DmpiClient *client)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) futures = g_ptr_array_new_with_free_func ((GDestroyNotify) dmpi_future_unref);

  /* 480 MB of results: more than 60% of the 600 MiB limit the test sets,
   * with room under it for the worker itself (under AddressSanitizer too). */
  for (int i = 0; i < 40; i++)
    g_ptr_array_add (futures, dmpi_client_submit (client, "bytes", g_variant_new ("(t)", (guint64) 12000000 + i), NULL, 0, &error));
  g_autoptr(GPtrArray) values = dmpi_client_gather (client, (DmpiFuture *const *) futures->pdata, futures->len, &error);
  if (values == NULL)
    die ("gather", error);
  for (guint i = 0; i < values->len; i++)
    {
      gsize n;
      const guint8 *bytes = g_variant_get_fixed_array (g_ptr_array_index (values, i), &n, 1);
      gboolean intact = n == 12000000 + i;
      for (gsize j = 0; intact && j < n; j += 997)
        intact = bytes[j] == (guint8) (j * 131u + 7u);
      CHECK (intact, "result %u intact after spilling", i);
    }
}

/* Workers on simulated nodes (t/cluster/nodes.sh): each worker names its
 * node ("worker rank N on HOST"); a result made on one node is checked byte
 * by byte by a task on another, and a small one goes back; then the
 * dashboard address goes to DIR/address and the client waits for DIR/stop,
 * so that the test can look at the running cluster. */
static void
mode_nodes (DmpiClient *client, const char *path, const char *dir)
{
  g_autoptr(GError) error = NULL;

  if (!dmpi_client_load_module (client, path, &error))
    die ("load module", error);
  /* dask-mpi-run's layout: the workers are ranks 2 and up. */
  int n = (int) dmpi_client_get_n_workers (client);
  g_autoptr(GPtrArray) hosts = g_ptr_array_new_with_free_func (g_free);
  int other = -1;
  for (int rank = 2; rank < n + 2; rank++)
    {
      DmpiSubmitOptions on = { .workers = &rank, .n_workers = 1 };
      g_autoptr(DmpiFuture) f = dmpi_client_submit_full (client, "node_name", NULL, NULL, 0, &on, &error);
      g_autoptr(GVariant) v = f != NULL ? dmpi_client_gather_one (client, f, &error) : NULL;
      if (v == NULL)
        die ("node_name", error);
      CHECK (dmpi_future_get_worker (f) == rank, "node_name ran on rank %d, not %d", dmpi_future_get_worker (f), rank);
      printf ("worker rank %d on %s\n", rank, g_variant_get_string (v, NULL));
      g_ptr_array_add (hosts, g_variant_dup_string (v, NULL));
      if (other < 0 && strcmp (g_variant_get_string (v, NULL), g_ptr_array_index (hosts, 0)) != 0)
        other = rank;
    }
  CHECK (other >= 0, "the workers are on more than one node");
  if (other >= 0)
    {
      const char *here = g_ptr_array_index (hosts, 0), *there = g_ptr_array_index (hosts, other - 2);
      int first = 2;
      DmpiSubmitOptions on_first = { .workers = &first, .n_workers = 1 };
      DmpiSubmitOptions on_other = { .workers = &other, .n_workers = 1 };
      g_autoptr(DmpiFuture) big = dmpi_client_submit_full (client, "bytes", g_variant_new ("(t)", (guint64) 5000000), NULL, 0,
                                                           &on_first, &error);
      g_autoptr(DmpiFuture) checked = dmpi_client_submit_full (client, "check_bytes", NULL, &big, 1, &on_other, &error);
      CHECK (gather_int (client, checked) == 5000000, "5 MB from %s checked on %s", here, there);
      CHECK (dmpi_future_get_worker (big) == first && dmpi_future_get_worker (checked) == other,
             "bytes on rank %d (not %d), check_bytes on rank %d (not %d)", dmpi_future_get_worker (big), first,
             dmpi_future_get_worker (checked), other);
      g_autoptr(DmpiFuture) one = dmpi_client_submit_full (client, "inc", g_variant_new ("(x)", (gint64) 41), NULL, 0,
                                                           &on_other, &error);
      g_autoptr(DmpiFuture) two = dmpi_client_submit_full (client, "add", g_variant_new ("(x)", (gint64) 1), &one, 1,
                                                           &on_first, &error);
      CHECK (gather_int (client, two) == 43, "inc on %s, add on %s", there, here);
      printf ("moved 5000000 bytes from rank %d on %s to rank %d on %s, and back a result\n", first, here, other, there);
    }

  const char *address = dmpi_client_get_dashboard_address (client);
  g_autofree char *file = g_build_filename (dir, "address", NULL);
  g_autofree char *tmp = g_strconcat (file, ".tmp", NULL);
  if (!g_file_set_contents (tmp, address != NULL ? address : "", -1, &error) || rename (tmp, file) != 0)
    die ("write the address", error);
  g_autofree char *stop = g_build_filename (dir, "stop", NULL);
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (!g_file_test (stop, G_FILE_TEST_EXISTS) && g_get_monotonic_time () < deadline)
    g_usleep (50000);
  CHECK (g_file_test (stop, G_FILE_TEST_EXISTS), "the test said stop within 60 s");
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  const char *mode = argc > 1 ? argv[1] : "compute";

  setvbuf (stdout, NULL, _IOLBF, 0);
  g_autoptr(DmpiClient) client = dmpi_client_new (&argc, &argv, &error);
  if (client == NULL)
    {
      printf ("FAIL: connect: %s\n", error->message);
      return 2;
    }
  guint want = argc > 3 ? (guint) atoi (argv[3]) : 1;
  if (!dmpi_client_wait_for_workers (client, want, 60, &error))
    die ("wait for workers", error);
  printf ("connected: %u workers\n", dmpi_client_get_n_workers (client));

  if (strcmp (mode, "compute") == 0)
    mode_compute (client);
  else if (strcmp (mode, "fail") == 0)
    mode_fail (client);
  else if (strcmp (mode, "module") == 0 && argc > 2)
    mode_module (client, argv[2]);
  else if (strcmp (mode, "spill") == 0)
    mode_spill (client);
  else if (strcmp (mode, "api") == 0 && argc > 4)
    mode_api (client, argv[2], argv[4]);
  else if (strcmp (mode, "stall") == 0 && argc > 2)
    mode_stall (client, argv[2]);
  else if (strcmp (mode, "broadcast") == 0)
    mode_broadcast (client);
  else if (strcmp (mode, "steal") == 0)
    mode_steal (client);
  else if (strcmp (mode, "ahead") == 0 && argc > 4)
    mode_ahead (client, argv[2], argv[4]);
  else if (strcmp (mode, "memory-last") == 0 && argc > 2)
    mode_memory_last (client, argv[2]);
  else if (strcmp (mode, "pause") == 0 && argc > 2)
    mode_pause (client, argv[2]);
  else if (strcmp (mode, "memory") == 0 && argc > 4)
    mode_memory (client, argv[2], argv[4]);
  else if (strcmp (mode, "nodes") == 0 && argc > 4)
    mode_nodes (client, argv[2], argv[4]);
  else if (strcmp (mode, "crash") == 0 && argc > 2)
    mode_crash (client, argv[2]);
  else if (strcmp (mode, "exit") == 0 && argc > 2)
    exit (atoi (argv[2]));
  else if (strcmp (mode, "abort") == 0)
    abort ();
  else if (strcmp (mode, "segfault") == 0)
    raise (SIGSEGV);
  else
    {
      printf ("FAIL: unknown mode %s\n", mode);
      return 2;
    }
  printf (failures == 0 ? "all checks passed\n" : "%d checks failed\n", failures);
  return failures == 0 ? 0 : 1;
}
