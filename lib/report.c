/* The performance report: one self-contained HTML file (inline CSS and SVG,
 * no script, nothing fetched) with the task stream, per-function counts and
 * durations, and worker utilization. See dashboard.h. */
#include "config.h"

#include "dashboard.h"
#include "dashboard/views.h"
#include "dmpi-error.h"

#include <errno.h>
#include <math.h>
#include <string.h>

/* The dashboard's palette (dashboard.js), so both colour a function alike. */
static const char *const palette[] = {
  "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#aec7e8",
};
#define ERRED_COLOUR "#d62728"

typedef struct {
  guint64 runs;
  double  sum, min, max;
} RunStats;

static void
html_text (GString *out, const char *s)
{
  g_autofree char *escaped = g_markup_escape_text (s != NULL ? s : "", -1);
  g_string_append (out, escaped);
}

static guint
function_index (GPtrArray *functions, const char *name)
{
  for (guint i = 0; i < functions->len; i++)
    if (((DmpiSchedFunction *) g_ptr_array_index (functions, i))->name == name
        || g_strcmp0 (((DmpiSchedFunction *) g_ptr_array_index (functions, i))->name, name) == 0)
      return i;
  return 0;
}

static GArray *
read_all_stream (DmpiSched *sched)
{
  GArray *entries = g_array_new (FALSE, FALSE, sizeof (DmpiSchedStreamEntry));
  DmpiSchedStreamEntry chunk[512];
  guint64 after = 0;
  gsize n;

  while ((n = dmpi_sched_read_stream (sched, after, chunk, G_N_ELEMENTS (chunk))) > 0)
    {
      g_array_append_vals (entries, chunk, (guint) n);
      after = chunk[n - 1].seq;
    }
  return entries;
}

static gint
compare_row (gconstpointer a, gconstpointer b)
{
  const guint64 x = *(const guint64 *) a, y = *(const guint64 *) b;
  return x < y ? -1 : x > y;
}

/* The task stream as SVG: a row per worker thread, a bar per run. */
static void
stream_svg (GString *out, GArray *entries, GPtrArray *functions, double t0, double t1)
{
  g_autoptr(GArray) rows = g_array_new (FALSE, FALSE, sizeof (guint64));
  /* row (rank << 32 | thread) → index of its line, keys owned. */
  g_autoptr(GHashTable) index_of = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  const double width = 1100, label = 90, row_h = 14;
  double span = MAX (t1 - t0, 1e-6);

  for (guint i = 0; i < entries->len; i++)
    {
      const DmpiSchedStreamEntry *e = &g_array_index (entries, DmpiSchedStreamEntry, i);
      guint64 row = ((guint64) (guint) e->rank << 32) | e->thread;
      if (!g_hash_table_contains (index_of, &row))
        {
          g_array_append_val (rows, row);
          g_hash_table_add (index_of, g_memdup (&row, sizeof row));
        }
    }
  g_array_sort (rows, compare_row);
  for (guint i = 0; i < rows->len; i++)
    g_hash_table_insert (index_of, g_memdup (&g_array_index (rows, guint64, i), sizeof (guint64)),
                         GUINT_TO_POINTER (i));

  double height = rows->len * row_h + 24;
  g_string_append_printf (out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
                          "viewBox=\"0 0 %.0f %.0f\" class=\"stream\">\n", width, height, width, height);
  for (guint i = 0; i < rows->len; i++)
    {
      guint64 row = g_array_index (rows, guint64, i);
      g_string_append_printf (out, "<text x=\"0\" y=\"%.1f\">rank %u · %u</text>\n", i * row_h + 11,
                              (guint) (row >> 32), (guint) (row & 0xffffffffu));
    }
  for (guint i = 0; i < entries->len; i++)
    {
      const DmpiSchedStreamEntry *e = &g_array_index (entries, DmpiSchedStreamEntry, i);
      guint64 row = ((guint64) (guint) e->rank << 32) | e->thread;
      guint r = GPOINTER_TO_UINT (g_hash_table_lookup (index_of, &row));
      double x = label + (e->start - t0) / span * (width - label);
      double w = MAX ((e->stop - e->start) / span * (width - label), 0.5);
      const char *colour = e->erred ? ERRED_COLOUR
                                    : palette[function_index (functions, e->function) % G_N_ELEMENTS (palette)];
      g_string_append_printf (out, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.0f\" fill=\"%s\"/>\n",
                              x, r * row_h + 1, w, row_h - 2, colour);
    }
  g_string_append_printf (out, "<text x=\"%.0f\" y=\"%.0f\">0 s</text><text x=\"%.0f\" y=\"%.0f\" "
                          "text-anchor=\"end\">%.3g s</text>\n</svg>\n",
                          label, height - 6, width, height - 6, span);
}

static GString *
build_report (DmpiSched *sched)
{
  GPtrArray *functions = dmpi_sched_list_functions (sched);
  GPtrArray *workers = dmpi_sched_list_workers (sched);
  GPtrArray *errors = dmpi_sched_list_errors (sched);
  g_autoptr(GArray) entries = read_all_stream (sched);
  g_autofree RunStats *runs = g_new0 (RunStats, functions->len + 1);
  DmpiSchedStats stats;
  double t0 = INFINITY, t1 = -INFINITY;
  GString *out = g_string_new (NULL);

  dmpi_sched_get_stats (sched, &stats);
  for (guint i = 0; i < entries->len; i++)
    {
      const DmpiSchedStreamEntry *e = &g_array_index (entries, DmpiSchedStreamEntry, i);
      RunStats *r = &runs[function_index (functions, e->function)];
      double d = e->stop - e->start;
      t0 = MIN (t0, e->start);
      t1 = MAX (t1, e->stop);
      r->min = r->runs == 0 ? d : MIN (r->min, d);
      r->max = r->runs == 0 ? d : MAX (r->max, d);
      r->sum += d;
      r->runs++;
    }
  double wall = entries->len > 0 ? t1 - t0 : 0;
  g_autoptr(GDateTime) when = g_date_time_new_now_local ();
  g_autofree char *when_text = g_date_time_format (when, "%Y-%m-%d %H:%M:%S %z");

  g_string_append (out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                        "<title>dask-mpi performance report</title>\n<style>\n"
                        "body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}\n"
                        "table{border-collapse:collapse;margin:.5em 0 1.5em}\n"
                        "th,td{border-bottom:1px solid #ddd;padding:3px 10px;text-align:right}\n"
                        "th:first-child,td:first-child{text-align:left}\n"
                        ".stream text{font:10px sans-serif;fill:#444}\n"
                        ".swatch{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}\n"
                        ".bar{background:#eee;width:200px;height:10px;display:inline-block}\n"
                        ".bar span{background:#2ca02c;height:10px;display:block}\n"
                        "</style></head><body>\n<h1>dask-mpi performance report</h1>\n");
  g_string_append_printf (out, "<p>Written %s. %" G_GUINT64_FORMAT " tasks submitted, %" G_GUINT64_FORMAT
                          " finished, %" G_GUINT64_FORMAT " erred; %u workers, %u threads; "
                          "%u runs recorded over %.3f s.</p>\n",
                          when_text, stats.n_submitted, stats.n_finished, stats.n_erred,
                          workers->len, stats.n_threads, entries->len, wall);
  if (entries->len > 0 && g_array_index (entries, DmpiSchedStreamEntry, 0).seq > 1)
    g_string_append_printf (out, "<p>The task stream keeps the last %d runs: earlier ones are not shown.</p>\n",
                            DMPI_SCHED_STREAM_MAX);

  g_string_append (out, "<h2>Task stream</h2>\n<p>");
  for (guint i = 0; i < functions->len; i++)
    {
      const DmpiSchedFunction *fn = g_ptr_array_index (functions, i);
      g_string_append_printf (out, "<span class=\"swatch\" style=\"background:%s\"></span>",
                              palette[i % G_N_ELEMENTS (palette)]);
      html_text (out, fn->name);
    }
  g_string_append (out, "<span class=\"swatch\" style=\"background:" ERRED_COLOUR "\"></span>erred</p>\n");
  if (entries->len > 0)
    stream_svg (out, entries, functions, t0, t1);
  else
    g_string_append (out, "<p>No task ran.</p>\n");

  g_string_append (out, "<h2>Functions</h2>\n<table><tr><th>function</th><th>submitted</th><th>in memory</th>"
                        "<th>erred</th><th>runs</th><th>mean s</th><th>min s</th><th>max s</th>"
                        "<th>busy s</th></tr>\n");
  for (guint i = 0; i < functions->len; i++)
    {
      const DmpiSchedFunction *fn = g_ptr_array_index (functions, i);
      const RunStats *r = &runs[i];
      g_string_append (out, "<tr><td>");
      html_text (out, fn->name);
      g_string_append_printf (out, "</td><td>%" G_GUINT64_FORMAT "</td><td>%" G_GUINT64_FORMAT "</td><td>%"
                              G_GUINT64_FORMAT "</td><td>%" G_GUINT64_FORMAT "</td><td>%.6f</td><td>%.6f</td>"
                              "<td>%.6f</td><td>%.3f</td></tr>\n",
                              fn->n_total, fn->n_by_state[DMPI_TASK_MEMORY] + fn->n_by_state[DMPI_TASK_FORGOTTEN],
                              fn->n_erred, r->runs, r->runs > 0 ? r->sum / r->runs : 0.0, r->min, r->max,
                              fn->busy_seconds);
    }
  g_string_append (out, "</table>\n");

  g_string_append (out, "<h2>Workers</h2>\n<table><tr><th>rank</th><th>host</th><th>threads</th>"
                        "<th>tasks done</th><th>busy s</th><th>utilization</th><th></th></tr>\n");
  for (guint i = 0; i < workers->len; i++)
    {
      const DmpiSchedWorker *w = g_ptr_array_index (workers, i);
      /* Busy seconds over what its threads could have done in the wall time. */
      double util = wall > 0 && w->nthreads > 0 ? w->busy_seconds / (w->nthreads * wall) : 0;
      g_string_append_printf (out, "<tr><td>%d</td><td>", w->rank);
      html_text (out, w->host);
      g_string_append_printf (out, "</td><td>%u</td><td>%" G_GUINT64_FORMAT "</td><td>%.3f</td><td>%.1f%%</td>"
                              "<td><span class=\"bar\"><span style=\"width:%.0f%%\"></span></span></td></tr>\n",
                              w->nthreads, w->n_done, w->busy_seconds, 100 * util, 100 * CLAMP (util, 0, 1));
    }
  g_string_append (out, "</table>\n");

  if (errors->len > 0)
    {
      g_string_append (out, "<h2>Errors</h2>\n<table><tr><th>key</th><th>function</th><th>rank</th>"
                            "<th>message</th></tr>\n");
      for (guint i = 0; i < errors->len; i++)
        {
          const DmpiSchedErrorEntry *e = g_ptr_array_index (errors, i);
          g_string_append (out, "<tr><td>");
          html_text (out, e->key);
          g_string_append (out, "</td><td>");
          html_text (out, e->function);
          g_string_append_printf (out, "</td><td>%d</td><td>", e->rank);
          html_text (out, e->message);
          g_string_append (out, "</td></tr>\n");
        }
      g_string_append (out, "</table>\n");
    }
  g_string_append (out, "</body></html>\n");
  return out;
}

gboolean
dmpi_performance_report_write (DmpiSched *sched, const char *path, GError **error)
{
  g_autoptr(GString) html = build_report (sched);
  g_autoptr(GError) write_error = NULL;

  if (!g_file_set_contents (path, html->str, (gssize) html->len, &write_error))
    {
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_FAILED, "cannot write the performance report %s: %s", path,
                   write_error->message);
      return FALSE;
    }
  return TRUE;
}
