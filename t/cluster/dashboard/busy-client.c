/* A client that keeps the cluster busy for the dashboard tests:
 * `busy-client DIR MAX_SECONDS N_WORKERS`. It writes the dashboard address to
 * DIR/address, runs some inc tasks and one failing task (key
 * "broken-on-purpose"), then rounds of `sleep` tasks, writing the number of
 * rounds done to DIR/rounds, until DIR/stop exists or MAX_SECONDS pass.
 * Exits 0 and prints "all checks passed" when every result was right. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <daskmpi.h>

#define SLEEP_S 0.2
#define TASKS_PER_ROUND 12

static int failures;

#define CHECK(cond, ...) \
  do { if (!(cond)) { failures++; printf ("FAIL: " __VA_ARGS__); printf ("\n"); } } while (0)

static void
die (const char *what, GError *error)
{
  printf ("FAIL: %s: %s\n", what, error != NULL ? error->message : "no error");
  exit (1);
}

static void
write_file (const char *dir, const char *name, const char *text)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *tmp = g_strconcat (path, ".tmp", NULL);
  g_autoptr(GError) error = NULL;

  /* Written aside, then renamed: the test never reads half a file. */
  if (!g_file_set_contents (tmp, text, -1, &error) || rename (tmp, path) != 0)
    die ("write", error);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;

  setvbuf (stdout, NULL, _IOLBF, 0);
  g_autoptr(DmpiClient) client = dmpi_client_new (&argc, &argv, &error);
  if (client == NULL)
    die ("connect", error);
  if (argc != 4)
    {
      printf ("FAIL: usage: busy-client DIR MAX_SECONDS N_WORKERS\n");
      return 2;
    }
  const char *dir = argv[1];
  double max_s = g_ascii_strtod (argv[2], NULL);
  if (!dmpi_client_wait_for_workers (client, (guint) atoi (argv[3]), 60, &error))
    die ("wait for workers", error);
  const char *address = dmpi_client_get_dashboard_address (client);
  write_file (dir, "address", address != NULL ? address : "");

  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  for (gint64 i = 0; i < 100; i++)
    g_ptr_array_add (args, g_variant_new ("(x)", i));
  g_autoptr(GPtrArray) incs = dmpi_client_map (client, "inc", (GVariant *const *) args->pdata, args->len, &error);
  if (incs == NULL)
    die ("map inc", error);
  g_autoptr(DmpiFuture) broken = dmpi_client_submit_with_key (client, "broken-on-purpose", "fail",
                                                              g_variant_new ("(s)", "the dashboard must show this"),
                                                              NULL, 0, &error);
  if (broken == NULL)
    die ("submit fail", error);
  g_autoptr(GPtrArray) values = dmpi_client_gather (client, (DmpiFuture *const *) incs->pdata, incs->len, &error);
  if (values == NULL)
    die ("gather inc", error);
  gint64 total = 0;
  for (guint i = 0; i < values->len; i++)
    total += g_variant_get_int64 (g_ptr_array_index (values, i));
  CHECK (total == 100 * 101 / 2, "inc total %" G_GINT64_FORMAT, total);
  g_autoptr(GVariant) nothing = dmpi_client_gather_one (client, broken, &error);
  CHECK (nothing == NULL && error != NULL, "the failing task failed");
  g_clear_error (&error);

  g_autofree char *stop = g_build_filename (dir, "stop", NULL);
  gint64 t0 = g_get_monotonic_time ();
  guint rounds = 0;
  while (!g_file_test (stop, G_FILE_TEST_EXISTS) && (g_get_monotonic_time () - t0) / 1e6 < max_s)
    {
      g_autoptr(GPtrArray) sleep_args = g_ptr_array_new ();
      for (guint i = 0; i < TASKS_PER_ROUND; i++)
        g_ptr_array_add (sleep_args, g_variant_new ("(d)", SLEEP_S));
      g_autoptr(GPtrArray) sleeps = dmpi_client_map (client, "sleep", (GVariant *const *) sleep_args->pdata,
                                                     sleep_args->len, &error);
      if (sleeps == NULL || !dmpi_client_wait (client, (DmpiFuture *const *) sleeps->pdata, sleeps->len, 60, &error))
        die ("sleep round", error);
      for (guint i = 0; i < sleeps->len; i++)
        CHECK (dmpi_future_get_status (g_ptr_array_index (sleeps, i)) == DMPI_FUTURE_FINISHED, "sleep %u", i);
      g_autofree char *text = g_strdup_printf ("%u\n", ++rounds);
      write_file (dir, "rounds", text);
    }
  printf ("%u rounds of sleep\n", rounds);
  printf (failures == 0 ? "all checks passed\n" : "%d checks failed\n", failures);
  return failures == 0 ? 0 : 1;
}
