/* A one-line progress display for a client waiting on futures. */
#include "config.h"

#include "progress.h"
#include "dmpi-error.h"

#include <stdio.h>
#include <unistd.h>

/* How often the line is redrawn on a terminal, and written to a log. */
#define TTY_INTERVAL_S 0.1
#define LOG_INTERVAL_S 5.0

static void
draw (gboolean tty, const char *what, gsize done, gsize failed, gsize n, double elapsed,
      gboolean last)
{
  g_autoptr(GString) line = g_string_new (NULL);
  g_string_printf (line, "%s: %" G_GSIZE_FORMAT "/%" G_GSIZE_FORMAT " done", what, done, n);
  if (failed > 0)
    g_string_append_printf (line, ", %" G_GSIZE_FORMAT " failed", failed);
  g_string_append_printf (line, ", %.1f s", elapsed);
  if (tty)
    fprintf (stderr, "\r%s\033[K%s", line->str, last ? "\n" : "");
  else
    fprintf (stderr, "%s\n", line->str);
  fflush (stderr);
}

gboolean
dmpi_client_progress (DmpiClient *client, DmpiFuture *const *futures, gsize n_futures,
                    const char *what, GError **error)
{
  gboolean tty = isatty (STDERR_FILENO);
  double interval = tty ? TTY_INTERVAL_S : LOG_INTERVAL_S;
  gint64 t0 = g_get_monotonic_time ();
  gsize first_pending = 0;

  /* What went before (stdout) belongs above the status line. */
  fflush (stdout);
  for (;;)
    {
      gsize done = 0, failed = 0;
      while (first_pending < n_futures &&
             dmpi_future_get_status (futures[first_pending]) != DMPI_FUTURE_PENDING)
        first_pending++;
      for (gsize i = 0; i < n_futures; i++)
        {
          DmpiFutureStatus s = dmpi_future_get_status (futures[i]);
          done += s != DMPI_FUTURE_PENDING;
          failed += s == DMPI_FUTURE_ERROR || s == DMPI_FUTURE_CANCELLED;
        }
      double elapsed = (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC;
      gboolean finished = done == n_futures;
      draw (tty, what, done, failed, n_futures, elapsed, finished);
      if (finished)
        return TRUE;

      g_autoptr(GError) local_error = NULL;
      if (!dmpi_client_wait (client, futures + first_pending, n_futures - first_pending, interval,
                             &local_error) &&
          !g_error_matches (local_error, DMPI_ERROR, DMPI_ERROR_TIMEOUT))
        {
          if (tty)
            fputc ('\n', stderr);
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }
}
