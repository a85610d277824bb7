/* The dashboard's documents: see views.h. */
#include "config.h"

#include "dashboard/views.h"

#include <math.h>
#include <string.h>

void
dmpi_json_string (GString *out, const char *s)
{
  g_autofree char *valid = g_utf8_make_valid (s != NULL ? s : "", -1);

  g_string_append_c (out, '"');
  for (const char *p = valid; *p != '\0'; p++)
    {
      unsigned char c = (unsigned char) *p;
      switch (c)
        {
        case '"': g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        /* "</" would end an inline <script> of the performance report. */
        case '<': g_string_append (out, "\\u003c"); break;
        default:
          if (c < 0x20)
            g_string_append_printf (out, "\\u%04x", c);
          else
            g_string_append_c (out, (char) c);
        }
    }
  g_string_append_c (out, '"');
}

void
dmpi_json_number (GString *out, double value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (value))
    g_string_append (out, "null");
  else if (value == floor (value) && fabs (value) < 1e15)
    g_string_append_printf (out, "%.0f", value);
  else
    /* Shortest text that reads back as the same double: timestamps keep their microseconds. */
    g_string_append (out, g_ascii_dtostr (buf, sizeof buf, value));
}

static void
json_key (GString *out, const char *key)
{
  if (out->len > 0 && out->str[out->len - 1] != '{')
    g_string_append_c (out, ',');
  dmpi_json_string (out, key);
  g_string_append_c (out, ':');
}

static void
json_num_member (GString *out, const char *key, double value)
{
  json_key (out, key);
  dmpi_json_number (out, value);
}

static void
json_str_member (GString *out, const char *key, const char *value)
{
  json_key (out, key);
  dmpi_json_string (out, value);
}

static void
json_bool_member (GString *out, const char *key, gboolean value)
{
  json_key (out, key);
  g_string_append (out, value ? "true" : "false");
}

static void
json_states (GString *out, const guint64 *n_by_state)
{
  g_string_append_c (out, '{');
  for (int s = 0; s < DMPI_TASK_N_STATES; s++)
    json_num_member (out, dmpi_task_state_name (s), (double) n_by_state[s]);
  g_string_append_c (out, '}');
}

GString *
dmpi_view_stats (DmpiSched *sched, double now, double started)
{
  DmpiSchedStats stats;
  GString *out = g_string_new ("{");

  dmpi_sched_get_stats (sched, &stats);
  json_num_member (out, "now", now);
  json_num_member (out, "started", started);
  json_num_member (out, "workers", stats.n_workers);
  json_num_member (out, "threads", stats.n_threads);
  json_num_member (out, "tasks", (double) stats.n_tasks);
  json_num_member (out, "submitted", (double) stats.n_submitted);
  json_num_member (out, "finished", (double) stats.n_finished);
  json_num_member (out, "erred", (double) stats.n_erred);
  json_num_member (out, "forgotten", (double) stats.n_forgotten);
  json_key (out, "states");
  json_states (out, stats.n_by_state);
  g_string_append_c (out, '}');
  return out;
}

GString *
dmpi_view_workers (DmpiSched *sched, double now)
{
  GPtrArray *workers = dmpi_sched_list_workers (sched);
  g_autofree guint *held = NULL;
  guint n_ranks = 0;
  GString *out = g_string_new ("[");

  for (guint i = 0; i < workers->len; i++)
    n_ranks = MAX (n_ranks, (guint) ((DmpiSchedWorker *) g_ptr_array_index (workers, i))->rank + 1);
  held = g_new0 (guint, n_ranks + 1);
  dmpi_sched_count_held (sched, held, n_ranks);
  for (guint i = 0; i < workers->len; i++)
    {
      const DmpiSchedWorker *w = g_ptr_array_index (workers, i);
      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append_c (out, '{');
      json_num_member (out, "rank", w->rank);
      json_str_member (out, "host", w->host);
      json_bool_member (out, "alive", w->alive);
      json_bool_member (out, "paused", w->paused);
      json_num_member (out, "stolen", (double) w->n_stolen);
      json_num_member (out, "nthreads", w->nthreads);
      json_num_member (out, "memory_limit", (double) w->memory_limit);
      json_num_member (out, "processing", w->n_processing);
      json_num_member (out, "ahead", w->n_ahead);
      json_num_member (out, "executing", w->executing);
      json_num_member (out, "held", w->rank >= 0 ? held[w->rank] : 0);
      json_num_member (out, "held_bytes", (double) w->nbytes);
      json_num_member (out, "stored_bytes", (double) w->stored_bytes);
      json_num_member (out, "spilled_bytes", (double) w->spilled_bytes);
      json_num_member (out, "rss", (double) w->rss);
      json_num_member (out, "cpu_percent", w->cpu_percent);
      json_num_member (out, "done", (double) w->n_done);
      json_num_member (out, "busy_seconds", w->busy_seconds);
      json_num_member (out, "heartbeat_age", w->last_heartbeat > 0 ? now - w->last_heartbeat : NAN);
      g_string_append_c (out, '}');
    }
  g_string_append_c (out, ']');
  return out;
}

GString *
dmpi_view_functions (DmpiSched *sched)
{
  GPtrArray *functions = dmpi_sched_list_functions (sched);
  GString *out = g_string_new ("[");

  for (guint i = 0; i < functions->len; i++)
    {
      const DmpiSchedFunction *fn = g_ptr_array_index (functions, i);
      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append_c (out, '{');
      json_str_member (out, "name", fn->name);
      json_num_member (out, "total", (double) fn->n_total);
      json_num_member (out, "erred", (double) fn->n_erred);
      json_num_member (out, "duration", fn->duration >= 0 ? fn->duration : NAN);
      json_num_member (out, "busy_seconds", fn->busy_seconds);
      json_key (out, "states");
      json_states (out, fn->n_by_state);
      g_string_append_c (out, '}');
    }
  g_string_append_c (out, ']');
  return out;
}

/* The entries after @after, at most the last @max of them. */
static GArray *
read_stream (DmpiSched *sched, guint64 after, gsize max)
{
  GArray *entries = g_array_new (FALSE, FALSE, sizeof (DmpiSchedStreamEntry));
  DmpiSchedStreamEntry chunk[512];
  gsize n;

  while ((n = dmpi_sched_read_stream (sched, after, chunk, G_N_ELEMENTS (chunk))) > 0)
    {
      g_array_append_vals (entries, chunk, (guint) n);
      after = chunk[n - 1].seq;
      if (entries->len > 2 * max + G_N_ELEMENTS (chunk))
        g_array_remove_range (entries, 0, entries->len - (guint) max);
    }
  if (entries->len > max)
    g_array_remove_range (entries, 0, entries->len - (guint) max);
  return entries;
}

GString *
dmpi_view_stream (DmpiSched *sched, guint64 after, gsize max, double now)
{
  g_autoptr(GArray) entries = read_stream (sched, after, max);
  GString *out = g_string_new ("{");
  guint64 last = entries->len > 0 ? g_array_index (entries, DmpiSchedStreamEntry, entries->len - 1).seq : after;

  json_num_member (out, "now", now);
  json_num_member (out, "last", (double) last);
  json_key (out, "entries");
  g_string_append_c (out, '[');
  for (guint i = 0; i < entries->len; i++)
    {
      const DmpiSchedStreamEntry *e = &g_array_index (entries, DmpiSchedStreamEntry, i);
      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append_c (out, '{');
      json_num_member (out, "seq", (double) e->seq);
      json_num_member (out, "rank", e->rank);
      json_num_member (out, "thread", e->thread);
      json_str_member (out, "function", e->function);
      json_num_member (out, "start", e->start);
      json_num_member (out, "stop", e->stop);
      json_bool_member (out, "erred", e->erred);
      g_string_append_c (out, '}');
    }
  g_string_append (out, "]}");
  return out;
}

GString *
dmpi_view_errors (DmpiSched *sched)
{
  GPtrArray *errors = dmpi_sched_list_errors (sched);
  GString *out = g_string_new ("[");

  for (guint i = 0; i < errors->len; i++)
    {
      const DmpiSchedErrorEntry *e = g_ptr_array_index (errors, i);
      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append_c (out, '{');
      json_num_member (out, "seq", (double) e->seq);
      json_str_member (out, "key", e->key);
      json_str_member (out, "function", e->function);
      json_num_member (out, "rank", e->rank);
      json_num_member (out, "time", e->time);
      json_str_member (out, "message", e->message);
      g_string_append_c (out, '}');
    }
  g_string_append_c (out, ']');
  return out;
}

/* ---- Prometheus ------------------------------------------------------------ */

static void
prom_family (GString *out, const char *name, const char *type, const char *help)
{
  g_string_append_printf (out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value: backslash, double quote and newline are escaped. */
static void
prom_label (GString *out, const char *name, const char *value)
{
  g_autofree char *valid = g_utf8_make_valid (value != NULL ? value : "", -1);

  if (out->str[out->len - 1] != '{')
    g_string_append_c (out, ',');
  g_string_append_printf (out, "%s=\"", name);
  for (const char *p = valid; *p != '\0'; p++)
    {
      if (*p == '\\' || *p == '"')
        g_string_append_c (out, '\\');
      if (*p == '\n')
        g_string_append (out, "\\n");
      else
        g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

static void
prom_value (GString *out, double value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (isnan (value))
    g_string_append (out, " NaN\n");
  else if (isinf (value))
    g_string_append (out, value > 0 ? " +Inf\n" : " -Inf\n");
  else
    g_string_append_printf (out, " %s\n", g_ascii_dtostr (buf, sizeof buf, value));
}

static void
prom_sample (GString *out, const char *name, double value)
{
  g_string_append (out, name);
  prom_value (out, value);
}

/* NAME{rank="R"} VALUE */
static void
prom_rank_sample (GString *out, const char *name, int rank, double value)
{
  g_string_append_printf (out, "%s{rank=\"%d\"}", name, rank);
  prom_value (out, value);
}

typedef double (*WorkerField) (const DmpiSchedWorker *w, double now);

static double w_threads (const DmpiSchedWorker *w, double now) { return w->nthreads; }
static double w_limit (const DmpiSchedWorker *w, double now) { return (double) w->memory_limit; }
static double w_processing (const DmpiSchedWorker *w, double now) { return w->n_processing; }
static double w_ahead (const DmpiSchedWorker *w, double now) { return w->n_ahead; }
static double w_executing (const DmpiSchedWorker *w, double now) { return w->executing; }
static double w_held_bytes (const DmpiSchedWorker *w, double now) { return (double) w->nbytes; }
static double w_stored (const DmpiSchedWorker *w, double now) { return (double) w->stored_bytes; }
static double w_spilled (const DmpiSchedWorker *w, double now) { return (double) w->spilled_bytes; }
static double w_rss (const DmpiSchedWorker *w, double now) { return (double) w->rss; }
static double w_cpu (const DmpiSchedWorker *w, double now) { return w->cpu_percent; }
static double w_done (const DmpiSchedWorker *w, double now) { return (double) w->n_done; }
static double w_busy (const DmpiSchedWorker *w, double now) { return w->busy_seconds; }
static double w_paused (const DmpiSchedWorker *w, double now) { return w->paused ? 1 : 0; }
static double w_stolen (const DmpiSchedWorker *w, double now) { return (double) w->n_stolen; }
static double w_heartbeat_age (const DmpiSchedWorker *w, double now)
{
  return w->last_heartbeat > 0 ? now - w->last_heartbeat : NAN;
}

static const struct {
  const char *name, *type, *help;
  WorkerField field;
} worker_metrics[] = {
  { "daskmpi_worker_threads", "gauge", "Compute threads of the worker.", w_threads },
  { "daskmpi_worker_memory_limit_bytes", "gauge", "Memory limit of the worker (0: none).", w_limit },
  { "daskmpi_worker_processing", "gauge", "Tasks sent to the worker and not finished.", w_processing },
  { "daskmpi_worker_ahead", "gauge", "Tasks sent ahead to the worker, waiting there for an input it computes.", w_ahead },
  { "daskmpi_worker_executing", "gauge", "Tasks executing on the worker (last heartbeat).", w_executing },
  { "daskmpi_worker_held_bytes", "gauge", "Bytes of results the worker holds, as the scheduler counts them.", w_held_bytes },
  { "daskmpi_worker_stored_bytes", "gauge", "Bytes in the worker's data store (last heartbeat).", w_stored },
  { "daskmpi_worker_spilled_bytes", "gauge", "Bytes of results the worker spilled to its local directory.", w_spilled },
  { "daskmpi_worker_rss_bytes", "gauge", "Resident memory of the worker process (last heartbeat).", w_rss },
  { "daskmpi_worker_cpu_percent", "gauge", "CPU use of the worker process over its last heartbeat interval.", w_cpu },
  { "daskmpi_worker_tasks_done_total", "counter", "Tasks the worker has finished.", w_done },
  { "daskmpi_worker_busy_seconds_total", "counter", "Seconds the worker's threads spent running tasks.", w_busy },
  { "daskmpi_worker_paused", "gauge", "1 while the worker is paused for memory (80% of its limit) or takes no more tasks.", w_paused },
  { "daskmpi_worker_stolen_total", "counter", "Tasks the worker gave back unstarted, to run elsewhere (work stealing, pause).", w_stolen },
  { "daskmpi_worker_heartbeat_age_seconds", "gauge", "Seconds since the worker's last heartbeat.", w_heartbeat_age },
};

GString *
dmpi_view_metrics (DmpiSched *sched, double now)
{
  DmpiSchedStats stats;
  GPtrArray *workers = dmpi_sched_list_workers (sched);
  GPtrArray *functions = dmpi_sched_list_functions (sched);
  GString *out = g_string_new (NULL);

  dmpi_sched_get_stats (sched, &stats);
  prom_family (out, "daskmpi_workers", "gauge", "Workers alive.");
  prom_sample (out, "daskmpi_workers", stats.n_workers);
  prom_family (out, "daskmpi_threads", "gauge", "Compute threads on the workers alive.");
  prom_sample (out, "daskmpi_threads", stats.n_threads);
  prom_family (out, "daskmpi_tasks", "gauge", "Tasks known to the scheduler, by state.");
  for (int s = 0; s < DMPI_TASK_N_STATES; s++)
    {
      g_string_append (out, "daskmpi_tasks{");
      prom_label (out, "state", dmpi_task_state_name (s));
      g_string_append_c (out, '}');
      prom_value (out, (double) stats.n_by_state[s]);
    }
  prom_family (out, "daskmpi_tasks_submitted_total", "counter", "Tasks submitted.");
  prom_sample (out, "daskmpi_tasks_submitted_total", (double) stats.n_submitted);
  prom_family (out, "daskmpi_tasks_finished_total", "counter", "Tasks finished.");
  prom_sample (out, "daskmpi_tasks_finished_total", (double) stats.n_finished);
  prom_family (out, "daskmpi_tasks_erred_total", "counter", "Tasks erred.");
  prom_sample (out, "daskmpi_tasks_erred_total", (double) stats.n_erred);
  prom_family (out, "daskmpi_tasks_forgotten_total", "counter", "Tasks forgotten.");
  prom_sample (out, "daskmpi_tasks_forgotten_total", (double) stats.n_forgotten);

  prom_family (out, "daskmpi_function_tasks", "gauge", "Tasks of each function, by state.");
  for (guint i = 0; i < functions->len; i++)
    {
      const DmpiSchedFunction *fn = g_ptr_array_index (functions, i);
      for (int s = 0; s < DMPI_TASK_N_STATES; s++)
        {
          g_string_append (out, "daskmpi_function_tasks{");
          prom_label (out, "function", fn->name);
          prom_label (out, "state", dmpi_task_state_name (s));
          g_string_append_c (out, '}');
          prom_value (out, (double) fn->n_by_state[s]);
        }
    }
  prom_family (out, "daskmpi_function_tasks_submitted_total", "counter", "Tasks of each function ever submitted.");
  for (guint i = 0; i < functions->len; i++)
    {
      const DmpiSchedFunction *fn = g_ptr_array_index (functions, i);
      g_string_append (out, "daskmpi_function_tasks_submitted_total{");
      prom_label (out, "function", fn->name);
      g_string_append_c (out, '}');
      prom_value (out, (double) fn->n_total);
    }
  prom_family (out, "daskmpi_function_busy_seconds_total", "counter", "Seconds spent running each function.");
  for (guint i = 0; i < functions->len; i++)
    {
      const DmpiSchedFunction *fn = g_ptr_array_index (functions, i);
      g_string_append (out, "daskmpi_function_busy_seconds_total{");
      prom_label (out, "function", fn->name);
      g_string_append_c (out, '}');
      prom_value (out, fn->busy_seconds);
    }

  prom_family (out, "daskmpi_worker_info", "gauge", "One per worker: its rank and host.");
  for (guint i = 0; i < workers->len; i++)
    {
      const DmpiSchedWorker *w = g_ptr_array_index (workers, i);
      g_string_append_printf (out, "daskmpi_worker_info{rank=\"%d\"", w->rank);
      prom_label (out, "host", w->host);
      prom_label (out, "alive", w->alive ? "true" : "false");
      g_string_append_c (out, '}');
      prom_value (out, 1);
    }
  for (gsize m = 0; m < G_N_ELEMENTS (worker_metrics); m++)
    {
      prom_family (out, worker_metrics[m].name, worker_metrics[m].type, worker_metrics[m].help);
      for (guint i = 0; i < workers->len; i++)
        {
          const DmpiSchedWorker *w = g_ptr_array_index (workers, i);
          prom_rank_sample (out, worker_metrics[m].name, w->rank, worker_metrics[m].field (w, now));
        }
    }
  return out;
}
