/* The dashboard's gate (lib/dashboard/gate.c) on loopback, without MPI:
 * alone, behind a small handler that echoes each request's path, and behind
 * the dashboard's own libsoup server (lib/dashboard.c) over a scheduler
 * core. Clients are plain blocking sockets; whatever waits for the server
 * runs on a client thread while this thread runs the gate's main context
 * (or, where the test lowers this process's limit of open files, in a
 * child process). */
#include "config.h"

#include "dashboard.h"
#include "dashboard/gate.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
  GMainContext *context;
  DmpiGate *gate;
  DmpiSched *sched;
  DmpiDashboard *dashboard;
  guint port;
  guint n_requests;  /* requests the echo handler answered */
} Fixture;

/* ---- the server side ----------------------------------------------------------- */

/* Answers each request with its request line's path and its length in
 * bytes; keeps the connection unless the request says "Connection: close". */
static void
echo (GIOStream *request, GSocketAddress *local, GSocketAddress *remote, gpointer user_data)
{
  Fixture *f = user_data;
  char buf[64 * 1024];
  gsize n = 0;

  g_assert_true (g_input_stream_read_all (g_io_stream_get_input_stream (request), buf, sizeof buf - 1, &n, NULL,
                                          NULL));
  buf[n] = '\0';
  const char *path = strchr (buf, ' ');
  g_assert_nonnull (path);
  g_autofree char *body = g_strdup_printf ("%.*s %zu\n", (int) strcspn (path + 1, " "), path + 1, n);
  g_autofree char *answer = g_strdup_printf ("HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n%s", strlen (body), body);
  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (request), answer, strlen (answer), NULL,
                                            NULL, NULL));
  f->n_requests++;
  if (strstr (buf, "Connection: close") != NULL)
    g_io_stream_close (request, NULL, NULL);
  else
    g_assert_true (dmpi_gate_keep_alive (request));
}

static void
setup (Fixture *f, gconstpointer data)
{
  f->context = g_main_context_new ();
  g_main_context_push_thread_default (f->context);
}

static void
setup_gate (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);

  setup (f, data);
  f->gate = dmpi_gate_new (f->context, echo, f, &error);
  g_assert_no_error (error);
  g_assert_true (dmpi_gate_listen (f->gate, loopback, 0, &f->port, &error));
  g_assert_no_error (error);
}

static void
setup_dashboard (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  setup (f, data);
  f->sched = dmpi_sched_new ();
  f->dashboard = dmpi_dashboard_new (f->sched, f->context, "127.0.0.1:0", &error);
  g_assert_no_error (error);
  const char *address = dmpi_dashboard_get_address (f->dashboard);
  f->port = (guint) g_ascii_strtoull (strrchr (address, ':') + 1, NULL, 10);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->dashboard, dmpi_dashboard_free);
  g_clear_pointer (&f->sched, dmpi_sched_free);
  g_clear_pointer (&f->gate, dmpi_gate_free);
  while (g_main_context_iteration (f->context, FALSE))
    ;
  g_main_context_pop_thread_default (f->context);
  g_main_context_unref (f->context);
}

static gboolean
tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Serve until the gate holds @n connections, for @ms at most. */
static gboolean
serve_until_held (Fixture *f, guint n, guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;
  g_autoptr(GSource) timer = g_timeout_source_new (5);

  g_source_set_callback (timer, tick, NULL, NULL);
  g_source_attach (timer, f->context);
  while (dmpi_gate_get_n_connections (f->gate) != n && g_get_monotonic_time () < end)
    g_main_context_iteration (f->context, TRUE);
  g_source_destroy (timer);
  return dmpi_gate_get_n_connections (f->gate) == n;
}

/* ---- the client side ------------------------------------------------------------ */

typedef struct {
  int fd;
  GString *in;  /* received, not yet taken as an answer */
  gboolean eof;
} Client;

static void
client_free (Client *c)
{
  if (c->fd >= 0)
    close (c->fd);
  g_string_free (c->in, TRUE);
  g_free (c);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Client, client_free)

/* Connect (on loopback the kernel completes it before the server accepts). */
static Client *
dial (guint port)
{
  struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons ((guint16) port),
                                 .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  struct timeval timeout = { .tv_sec = 5 };
  Client *c = g_new0 (Client, 1);

  c->in = g_string_new (NULL);
  c->fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (c->fd, >=, 0);
  g_assert_cmpint (connect (c->fd, (struct sockaddr *) &address, sizeof address), ==, 0);
  setsockopt (c->fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return c;
}

static void
say (Client *c, const char *text)
{
  g_assert_cmpint (send (c->fd, text, strlen (text), MSG_NOSIGNAL), ==, (gssize) strlen (text));
}

/* Reads more; FALSE at the end of the stream (or a reset, or 5 s of silence). */
static gboolean
receive (Client *c)
{
  char buf[16 * 1024];
  gssize n = c->eof ? 0 : recv (c->fd, buf, sizeof buf, 0);

  if (n <= 0)
    {
      c->eof = TRUE;
      return FALSE;
    }
  g_string_append_len (c->in, buf, n);
  return TRUE;
}

/* Takes the next answer off the connection ("STATUS BODY", or "STATUS" for
 * an answer to HEAD), or NULL if it ends first. */
static char *
take_answer (Client *c, gboolean head_only)
{
  for (;;)
    {
      const char *end = strstr (c->in->str, "\r\n\r\n");
      if (end != NULL)
        {
          gsize head = (gsize) (end - c->in->str) + 4;
          g_autofree char *lower = g_ascii_strdown (c->in->str, (gssize) head);
          const char *length_field = strstr (lower, "\r\ncontent-length:");
          gsize length = head_only || length_field == NULL ? 0 : strtoul (length_field + 17, NULL, 10);
          if (c->in->len >= head + length)
            {
              char *answer = head_only ? g_strndup (c->in->str + 9, 3)
                                       : g_strdup_printf ("%.3s %.*s", c->in->str + 9, (int) length,
                                                          c->in->str + head);
              g_string_erase (c->in, 0, (gssize) (head + length));
              return answer;
            }
        }
      if (!receive (c))
        return NULL;
    }
}

/* Waits for the server to close the connection: TRUE if it did within @ms,
 * sending nothing more; *@ms_taken says when. */
static gboolean
closed_within (Client *c, guint ms, gint64 *ms_taken)
{
  gint64 start = g_get_monotonic_time ();
  struct pollfd p = { .fd = c->fd, .events = POLLIN };
  char byte;

  if (poll (&p, 1, (int) ms) != 1)
    return FALSE;
  *ms_taken = (g_get_monotonic_time () - start) / 1000;
  return c->in->len == 0 && recv (c->fd, &byte, 1, MSG_DONTWAIT) <= 0;
}

/* Whether the server closed the connection already (without waiting). */
static gboolean
is_closed (Client *c)
{
  struct pollfd p = { .fd = c->fd, .events = POLLIN };
  char byte;

  return poll (&p, 1, 0) == 1 && recv (c->fd, &byte, 1, MSG_DONTWAIT | MSG_PEEK) <= 0;
}

/* ---- running the client while the server serves ---------------------------------------- */

typedef struct {
  GMainContext *context;
  void (*func) (gpointer data);
  gpointer data;
  gint done;
} Job;

static gpointer
job_main (gpointer user_data)
{
  Job *job = user_data;

  job->func (job->data);
  g_atomic_int_set (&job->done, 1);
  g_main_context_wakeup (job->context);
  return NULL;
}

/* Run @func on a client thread while this thread serves. */
static void
while_serving (Fixture *f, void (*func) (gpointer data), gpointer data)
{
  Job job = { f->context, func, data, 0 };
  GThread *thread = g_thread_new ("client", job_main, &job);

  while (!g_atomic_int_get (&job.done))
    g_main_context_iteration (f->context, TRUE);
  g_thread_join (thread);
}

typedef struct {
  Client *client;
  gboolean head_only;
  char *answer;
  gint64 ms;  /* how long it took */
} Ask;

static void
ask_main (gpointer data)
{
  Ask *a = data;
  gint64 start = g_get_monotonic_time ();
  a->answer = take_answer (a->client, a->head_only);
  a->ms = (g_get_monotonic_time () - start) / 1000;
}

/* The next answer on @c (sending @request first unless NULL). */
static char *
ask_full (Fixture *f, Client *c, const char *request, gboolean head_only, gint64 *ms)
{
  Ask a = { c, head_only, NULL, 0 };

  if (request != NULL)
    say (c, request);
  while_serving (f, ask_main, &a);
  if (ms != NULL)
    *ms = a.ms;
  return a.answer;
}

static char *
ask (Fixture *f, Client *c, const char *request)
{
  return ask_full (f, c, request, FALSE, NULL);
}

typedef struct {
  Client *client;
  guint ms;
  gboolean closed;
  gint64 ms_taken;
} Wait;

static void
wait_main (gpointer data)
{
  Wait *w = data;
  w->closed = closed_within (w->client, w->ms, &w->ms_taken);
}

/* TRUE if the server closes @c within @ms, sending nothing; *@ms_taken says when. */
static gboolean
serve_until_closed (Fixture *f, Client *c, guint ms, gint64 *ms_taken)
{
  Wait w = { c, ms, FALSE, 0 };
  while_serving (f, wait_main, &w);
  *ms_taken = w.ms_taken;
  return w.closed;
}

static void
check_answer (char *answer, const char *want)
{
  g_assert_cmpstr (answer, ==, want);
  g_free (answer);
}

/* What the echo handler answers to @request for @path. */
static const char *
echoed (const char *path, const char *request)
{
  static char buf[256];
  g_snprintf (buf, sizeof buf, "200 %s %zu\n", path, strlen (request));
  return buf;
}

/* ---- the gate alone ------------------------------------------------------------------ */

#define GET(path) "GET " path " HTTP/1.1\r\nHost: x\r\n\r\n"

/* Several requests on one connection, one after the other, pipelined, with
 * a body; "Connection: close" ends it. */
static void
test_keep_alive (Fixture *f, gconstpointer data)
{
  g_autoptr(Client) c = dial (f->port);
  gint64 ms;

#define POST_E "POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
#define CLOSE_H "GET /h HTTP/1.1\r\nConnection: close\r\n\r\n"

  check_answer (ask (f, c, GET ("/a")), echoed ("/a", GET ("/a")));
  check_answer (ask (f, c, GET ("/b")), echoed ("/b", GET ("/b")));
  g_assert_cmpuint (dmpi_gate_get_n_connections (f->gate), ==, 1);
  /* Two requests in one packet: the second waits in the gate for the first's answer. */
  say (c, GET ("/c") GET ("/d"));
  check_answer (ask (f, c, NULL), echoed ("/c", GET ("/c")));
  check_answer (ask (f, c, NULL), echoed ("/d", GET ("/d")));
  /* A small body belongs to its request, not to the next one. */
  say (c, POST_E GET ("/f"));
  check_answer (ask (f, c, NULL), echoed ("/e", POST_E));
  check_answer (ask (f, c, NULL), echoed ("/f", GET ("/f")));
  /* Sent in pieces, as a slow client would. */
  say (c, "GET /g HTTP/1.1\r\nHo");
  check_answer (ask (f, c, "st: x\r\n\r\n"), echoed ("/g", GET ("/g")));
  check_answer (ask (f, c, CLOSE_H), echoed ("/h", CLOSE_H));
  g_assert_true (serve_until_closed (f, c, 1000, &ms));
  g_assert_cmpuint (f->n_requests, ==, 8);
}

/* Every request on a kept-alive connection meets the bounds of the first. */
static void
test_bounds (Fixture *f, gconstpointer data)
{
  struct {
    const char *request, *status;
  } cases[] = {
    { "GET / HTTP/1.1\r\nContent-Length: 5000\r\n\r\n", "413" },
    { "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "413" },
    { "GET / HTTP/1.1\r\nContent-Length: 12abc\r\n\r\n", "400" },
    { "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx", "400" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(Client) c = dial (f->port);
      g_autofree char *answer = ask (f, c, cases[i].request);
      g_assert_nonnull (answer);
      g_assert_true (g_str_has_prefix (answer, cases[i].status));
    }

  g_autoptr(Client) c = dial (f->port);
  g_autoptr(GString) many = g_string_new ("GET /many HTTP/1.1\r\n");
  for (int i = 0; i < 2000; i++)
    g_string_append_printf (many, "X-H%d: %d\r\n", i, i);
  g_string_append (many, "\r\n");
  check_answer (ask (f, c, GET ("/first")), echoed ("/first", GET ("/first")));
  g_autofree char *answer = ask (f, c, many->str);
  g_assert_nonnull (answer);
  g_assert_true (g_str_has_prefix (answer, "431 "));
}

/* Deadlines (made short here): an idle connection closes quietly, a head
 * or a body that does not come in time is answered 408; a kept-alive
 * connection may stay idle as long as a new one. */
static void
test_deadlines (Fixture *f, gconstpointer data)
{
  DmpiGateLimits limits;
  gint64 ms;

  dmpi_gate_get_limits (f->gate, &limits);
  g_assert_cmpuint (limits.head_ms, ==, DMPI_GATE_HEAD_SECONDS * 1000);
  limits.head_ms = limits.body_ms = 300;
  limits.linger_ms = 200;
  dmpi_gate_set_limits (f->gate, &limits);

  {
    g_autoptr(Client) idle = dial (f->port);
    g_assert_true (serve_until_closed (f, idle, 3000, &ms));
    g_test_message ("an idle connection closed after %" G_GINT64_FORMAT " ms", ms);
    g_assert_cmpint (ms, >=, 200);
    g_assert_cmpint (ms, <, 1500);
  }
  {
    g_autoptr(Client) half = dial (f->port);
    g_autofree char *answer = ask_full (f, half, "GET /slow HTTP/1.1\r\nHost:", FALSE, &ms);
    g_assert_nonnull (answer);
    g_assert_true (g_str_has_prefix (answer, "408 the request head did not arrive in time"));
    g_assert_cmpint (ms, >=, 200);
    g_assert_cmpint (ms, <, 1500);
    g_assert_true (serve_until_closed (f, half, 1000, &ms));
  }
  {
    g_autoptr(Client) body = dial (f->port);
    g_autofree char *answer = ask_full (f, body, "PUT / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc", FALSE, &ms);
    g_assert_nonnull (answer);
    g_assert_true (g_str_has_prefix (answer, "408 the request body did not arrive in time"));
    g_assert_cmpint (ms, <, 1500);
  }
  {
    g_autoptr(Client) kept = dial (f->port);
    check_answer (ask (f, kept, GET ("/once")), echoed ("/once", GET ("/once")));
    g_assert_true (serve_until_closed (f, kept, 3000, &ms));
    g_assert_cmpint (ms, >=, 200);
    g_assert_cmpint (ms, <, 1500);
  }
  g_assert_true (serve_until_held (f, 0, 1000));
}

/* A full gate drops the connection that has waited longest for its request. */
static void
test_full (Fixture *f, gconstpointer data)
{
  DmpiGateLimits limits;
  Client *idle[9];

  dmpi_gate_get_limits (f->gate, &limits);
  limits.max_connections = 8;
  dmpi_gate_set_limits (f->gate, &limits);

  for (guint i = 0; i < 8; i++)
    {
      idle[i] = dial (f->port);
      if (i % 2 == 1)
        say (idle[i], "GET /half HTTP/1.1\r\n");  /* half a request */
      g_assert_true (serve_until_held (f, i + 1, 2000));
    }
  /* The ninth takes the place of the first. */
  idle[8] = dial (f->port);
  g_assert_true (serve_until_held (f, 8, 2000));
  while (g_main_context_iteration (f->context, FALSE))
    ;
  g_assert_true (is_closed (idle[0]));
  for (guint i = 1; i < 9; i++)
    g_assert_false (is_closed (idle[i]));
  /* A fresh request takes the place of the second, and is answered. */
  g_autoptr(Client) c = dial (f->port);
  check_answer (ask (f, c, GET ("/fresh")), echoed ("/fresh", GET ("/fresh")));
  g_assert_true (is_closed (idle[1]));
  for (guint i = 2; i < 9; i++)
    g_assert_false (is_closed (idle[i]));
  for (guint i = 0; i < 9; i++)
    client_free (idle[i]);
}

/* Raises this process's limit of open files to at least @want; FALSE if the hard limit is lower. */
static gboolean
have_fds (rlim_t want)
{
  struct rlimit nofile;

  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &nofile), ==, 0);
  if (nofile.rlim_cur >= want)
    return TRUE;
  if (nofile.rlim_max < want)
    return FALSE;
  nofile.rlim_cur = want;
  return setrlimit (RLIMIT_NOFILE, &nofile) == 0;
}

static long
rss_kib (void)
{
  g_autofree char *status = NULL;
  g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
  const char *line = strstr (status, "VmRSS:");
  g_assert_nonnull (line);
  return strtol (line + 6, NULL, 10);
}

#define N_IDLE 1000

/* What one iteration of the main context costs, in µs (the scheduler's loop
 * iterates often while messages flow). */
static double
iteration_us (Fixture *f)
{
  gint64 start = g_get_monotonic_time ();
  for (int i = 0; i < 10000; i++)
    g_main_context_iteration (f->context, FALSE);
  return (g_get_monotonic_time () - start) / 10000.0;
}

/* 1,000 connections that send nothing or half a request: a new request is
 * still answered at once, and they all stay (there is room for them). */
static void
test_many_idle (Fixture *f, gconstpointer data)
{
  Client *idle[N_IDLE];
  gint64 ms;

  if (!have_fds (2 * N_IDLE + 100))
    {
      g_test_skip ("the limit of open files is too low for 1,000 connections in one process");
      return;
    }
  /* Room for them all whatever the limit of open files was when the gate started. */
  DmpiGateLimits limits;
  dmpi_gate_get_limits (f->gate, &limits);
  limits.max_connections = DMPI_GATE_MAX_CONNECTIONS;
  dmpi_gate_set_limits (f->gate, &limits);

  double idle_us = iteration_us (f);
  long rss_before = rss_kib ();
  for (guint i = 0; i < N_IDLE; i++)
    {
      idle[i] = dial (f->port);
      if (i % 2 == 1)
        say (idle[i], "GET /health HTTP/1.1\r\nHost: x\r\nX-Half: ");
      if (i % 100 == 99)
        g_assert_true (serve_until_held (f, i + 1, 5000));
    }
  g_assert_true (serve_until_held (f, N_IDLE, 5000));
  long rss_after = rss_kib ();
  g_test_message ("%d idle connections held; resident memory grew by %ld KiB (%.0f bytes a connection)", N_IDLE,
                  rss_after - rss_before, (rss_after - rss_before) * 1024.0 / N_IDLE);
  /* The records are small; no 32 KiB buffer per connection. */
  g_assert_cmpint (rss_after - rss_before, <, N_IDLE * 4);
  double held_us = iteration_us (f);
  g_test_message ("a main-loop iteration takes %.2f us with no connection, %.2f us with %d waiting", idle_us,
                  held_us, N_IDLE);
  g_assert_cmpfloat (held_us, <, idle_us * 3 + 5);

  for (int round = 0; round < 3; round++)
    {
      g_autoptr(Client) c = dial (f->port);
      check_answer (ask_full (f, c, GET ("/health"), FALSE, &ms), echoed ("/health", GET ("/health")));
      g_test_message ("/health answered in %" G_GINT64_FORMAT " ms with %d idle connections", ms, N_IDLE);
      g_assert_cmpint (ms, <, 1000);
    }
  for (guint i = 0; i < N_IDLE; i++)
    g_assert_false (is_closed (idle[i]));
  for (guint i = 0; i < N_IDLE; i++)
    client_free (idle[i]);
  g_assert_true (serve_until_held (f, 0, 5000));
}

/* ---- out of descriptors: the clients are a child process ------------------------------- */

/* The limit of open files that leaves @room descriptors free (a new
 * descriptor takes the lowest free number, and must be below the limit). */
static rlim_t
limit_for_room (guint room)
{
  int fd = 0;

  for (guint free_found = 0;; fd++)
    if (fcntl (fd, F_GETFD) < 0 && errno == EBADF && free_found++ == room)
      return (rlim_t) fd;
}

/* In the child: @n_idle connections that send nothing, then GET /health on
 * a new one; exits 0 if the answer is @want ("200", or "closed": the
 * connection ends without one) within 3 s, 1 if it is not, 2 if it is late. */
static void G_GNUC_NORETURN
child_clients (guint port, guint n_idle, const char *want)
{
  struct rlimit nofile;
  char buf[256];

  getrlimit (RLIMIT_NOFILE, &nofile);
  nofile.rlim_cur = nofile.rlim_max;
  setrlimit (RLIMIT_NOFILE, &nofile);
  for (guint i = 0; i < n_idle; i++)
    {
      dial (port);      /* held open until the child exits */
      g_usleep (5000);  /* in order, so that the oldest is the first */
    }
  Client *c = dial (port);
  gint64 start = g_get_monotonic_time ();
  say (c, GET ("/health"));
  gssize n = recv (c->fd, buf, sizeof buf - 1, 0);
  gint64 ms = (g_get_monotonic_time () - start) / 1000;
  gboolean got = n > 12 ? strncmp (buf + 9, want, 3) == 0 : strcmp (want, "closed") == 0;
  _exit (!got ? 1 : ms > 3000 ? 2 : 0);
}

static pid_t
start_child (guint port, guint n_idle, const char *want)
{
  pid_t pid = fork ();

  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    child_clients (port, n_idle, want);
  return pid;
}

static gint64
cpu_ms (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return ((gint64) (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000 + usage.ru_utime.tv_usec
          + usage.ru_stime.tv_usec) / 1000;
}

/* Serves until child @pid exits (returns its exit status), or for @ms if
 * @pid is 0 (returns -1); logs the CPU time this process spent meanwhile, and asserts that it
 * is well below the time: the gate does not spin. */
static int
serve_watching_cpu (Fixture *f, pid_t pid, guint ms, const char *what)
{
  gint64 start = g_get_monotonic_time (), cpu_start = cpu_ms ();
  g_autoptr(GSource) timer = g_timeout_source_new (10);
  int status = -1;

  g_source_set_callback (timer, tick, NULL, NULL);
  g_source_attach (timer, f->context);
  while (pid != 0 ? waitpid (pid, &status, WNOHANG) == 0 : g_get_monotonic_time () < start + ms * 1000)
    g_main_context_iteration (f->context, TRUE);
  g_source_destroy (timer);

  gint64 cpu = cpu_ms () - cpu_start, wall = (g_get_monotonic_time () - start) / 1000;
  g_test_message ("%s: %" G_GINT64_FORMAT " ms of CPU in %" G_GINT64_FORMAT " ms", what, cpu, wall);
  g_assert_cmpint (cpu, <, wall / 4 + 20);
  if (pid == 0)
    return -1;
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

/* With few descriptors left, accepting drops the oldest waiting connection
 * to make room; with none, a reserve descriptor accepts the new connection
 * and closes it; with not even that, listening pauses. No crash, no spin,
 * and requests are served again once descriptors are back. */
static void
test_out_of_fds (Fixture *f, gconstpointer data)
{
  struct rlimit saved, low;
  pid_t pid;

  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &saved), ==, 0);
  low = saved;

  /* Room for 4 connections, 20 come, then a request. */
  low.rlim_cur = limit_for_room (4);
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &low), ==, 0);
  pid = start_child (f->port, 20, "200");
  g_assert_cmpint (serve_watching_cpu (f, pid, 0, "4 descriptors for 21 connections: answered"), ==, 0);
  g_assert_true (serve_until_held (f, 0, 5000));

  /* No descriptor free but the reserve. */
  low.rlim_cur = limit_for_room (0);
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &low), ==, 0);
  pid = start_child (f->port, 0, "closed");
  g_assert_cmpint (serve_watching_cpu (f, pid, 0, "no descriptor: the connection was closed"), ==, 0);

  /* Not even the reserve fits under the limit: the connection waits in the
   * kernel's queue while the gate pauses, and is answered once there are
   * descriptors again. */
  low.rlim_cur = 3;
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &low), ==, 0);
  pid = start_child (f->port, 0, "200");
  serve_watching_cpu (f, 0, 1000, "no descriptor and no reserve: paused");
  g_assert_cmpint (waitpid (pid, NULL, WNOHANG), ==, 0);  /* still waiting for its answer */
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &saved), ==, 0);
  g_assert_cmpint (serve_watching_cpu (f, pid, 0, "descriptors back: answered"), ==, 0);

  g_autoptr(Client) c = dial (f->port);
  check_answer (ask (f, c, GET ("/after")), echoed ("/after", GET ("/after")));
}

/* ---- behind the dashboard's libsoup server ---------------------------------------------- */

/* libsoup answers, and the gate keeps the connection for the next request. */
static void
test_dashboard_keep_alive (Fixture *f, gconstpointer data)
{
  gint64 ms;

  {
    g_autoptr(Client) c = dial (f->port);
    check_answer (ask (f, c, GET ("/health")), "200 ok\n");
    check_answer (ask (f, c, GET ("/health")), "200 ok\n");
    /* Pipelined. */
    say (c, GET ("/health") GET ("/no/such/page"));
    check_answer (ask (f, c, NULL), "200 ok\n");
    check_answer (ask (f, c, NULL), "404 not found\n");
    g_autofree char *head = ask_full (f, c, "HEAD /status HTTP/1.1\r\nHost: x\r\n\r\n", TRUE, NULL);
    g_assert_cmpstr (head, ==, "200");
    /* A method the dashboard does not take: 405, and the connection goes on. */
    check_answer (ask (f, c, "POST /status HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"),
                  "405 the dashboard is read-only: GET and HEAD only\n");
    check_answer (ask (f, c, GET ("/health")), "200 ok\n");
    /* A body too large, on a kept-alive connection: the gate answers 413 and closes. */
    g_autofree char *big = ask (f, c, "GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n\r\n");
    g_assert_nonnull (big);
    g_assert_true (g_str_has_prefix (big, "413 "));
    g_assert_true (serve_until_closed (f, c, 3000, &ms));
  }
  {
    g_autoptr(Client) c = dial (f->port);
    check_answer (ask (f, c, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), "200 ok\n");
    g_assert_true (serve_until_closed (f, c, 3000, &ms));
  }
  {
    g_autoptr(Client) c = dial (f->port);
    check_answer (ask (f, c, "GET /health HTTP/1.0\r\n\r\n"), "200 ok\n");
    g_assert_true (serve_until_closed (f, c, 3000, &ms));
  }
  {
    /* libsoup cannot parse it: 400, and closed. */
    g_autoptr(Client) c = dial (f->port);
    g_autofree char *answer = ask (f, c, "GET /health\r\nHost: x\r\n\r\n");
    g_assert_nonnull (answer);
    g_assert_true (g_str_has_prefix (answer, "400"));
    g_assert_true (serve_until_closed (f, c, 3000, &ms));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/gate/keep-alive", Fixture, NULL, setup_gate, test_keep_alive, teardown);
  g_test_add ("/gate/bounds", Fixture, NULL, setup_gate, test_bounds, teardown);
  g_test_add ("/gate/deadlines", Fixture, NULL, setup_gate, test_deadlines, teardown);
  g_test_add ("/gate/full", Fixture, NULL, setup_gate, test_full, teardown);
  g_test_add ("/gate/many-idle", Fixture, NULL, setup_gate, test_many_idle, teardown);
  g_test_add ("/gate/out-of-fds", Fixture, NULL, setup_gate, test_out_of_fds, teardown);
  g_test_add ("/gate/dashboard/keep-alive", Fixture, NULL, setup_dashboard, test_dashboard_keep_alive, teardown);
  return g_test_run ();
}
