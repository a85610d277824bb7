/* idle-client: a client that connects and then does nothing.
 *
 * Waits for the workers, prints `idle_begin`, sleeps --seconds without any
 * call into the library, prints `idle_end`, stays idle one more second (for
 * the closing sample), and shuts the cluster down.
 * contrib/bench/idle samples every rank's CPU time at the two markers: an
 * idle cluster should use next to no CPU.
 */
#include <daskmpi.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static gint opt_workers = 2;
static gdouble opt_seconds = 10.0;
static gdouble opt_timeout = 60.0;

static GOptionEntry entries[] = {
  { "workers", 0, 0, G_OPTION_ARG_INT, &opt_workers, "Wait for this many workers first (default 2)", "W" },
  { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &opt_seconds, "Length of the idle window (default 10)", "S" },
  { "timeout", 0, 0, G_OPTION_ARG_DOUBLE, &opt_timeout, "Seconds to wait for workers (default 60)", "S" },
  { NULL }
};

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) context = g_option_context_new ("- keep a dask-mpi cluster idle for a while");
  g_autoptr(DmpiClient) client = NULL;
  int status = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("idle-client: %s\n", error->message);
      return 2;
    }
  if (opt_workers < 1 || opt_seconds < 0)
    {
      g_printerr ("idle-client: need --workers >= 1 and --seconds >= 0\n");
      return 2;
    }

  client = dmpi_client_new (&argc, &argv, &error);
  if (client == NULL)
    {
      g_printerr ("idle-client: cannot start the client: %s\n", error->message);
      return 1;
    }

  if (dmpi_client_wait_for_workers (client, (guint) opt_workers, opt_timeout, &error))
    {
      /* The markers go to stdout unbuffered-in-effect: the script reads them
       * as they come to time its samples. */
      printf ("idle_begin pid=%d workers=%u\n", (int) getpid (), dmpi_client_get_n_workers (client));
      fflush (stdout);
      g_usleep ((gulong) (opt_seconds * G_USEC_PER_SEC));
      printf ("idle_end pid=%d\n", (int) getpid ());
      fflush (stdout);
      /* Stay idle while the script takes its closing sample, so that the
       * shutdown's work falls outside the window. */
      g_usleep (G_USEC_PER_SEC);
    }
  else
    {
      g_printerr ("idle-client: %s\n", error->message);
      status = 1;
    }

  g_clear_error (&error);
  if (!dmpi_client_shutdown (client, status, &error))
    {
      g_printerr ("idle-client: shutting the cluster down: %s\n", error->message);
      status = 1;
    }
  return status;
}
