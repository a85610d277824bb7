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
  /* A duplicate key is refused by the scheduler. */
  g_autoptr(DmpiFuture) first = dmpi_client_submit_with_key (client, "same", "inc", g_variant_new ("(x)", (gint64) 1), NULL, 0, &error);
  CHECK (gather_int (client, first) == 2, "first of a key");

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
  else if (strcmp (mode, "stall") == 0 && argc > 2)
    mode_stall (client, argv[2]);
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
