/* lib/tempfiles.c: the registry of temporary files in progress, and their
 * removal when the process dies of a signal. */
#include "config.h"

#include "tempfiles.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

/* A fresh folder per test, removed (with whatever is left in it) after. */
typedef struct {
  char *dir;
} Fixture;

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  (void) data;
  g_autoptr(GError) error = NULL;
  fx->dir = g_dir_make_tmp ("dmpi-tempfiles-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  (void) data;
  g_autoptr(GDir) dir = g_dir_open (fx->dir, 0, NULL);
  const char *name;
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (fx->dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (fx->dir);
  g_free (fx->dir);
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The names in the folder, sorted, space separated ("" when empty). */
static char *
list_dir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (" ", (char **) names->pdata);
}

static guint
count_dir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;
  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

/* A temporary NAME.XXXXXX in dir, registered; returns its path. */
static char *
create_temp (const char *dir, const char *name, int *slot)
{
  g_autofree char *tmpl = g_strdup_printf ("%s/.%s.XXXXXX", dir, name);
  int fd = dmpi_tempfile_create (tmpl, O_WRONLY | O_CLOEXEC, 0666, slot);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, "data", 4), ==, 4);
  close (fd);
  return g_steal_pointer (&tmpl);
}

/* ---- register, unregister, create, rename, remove ---------------------------- */

static void
test_register (Fixture *fx, gconstpointer data)
{
  (void) data;
  g_autofree char *path = g_build_filename (fx->dir, "kept", NULL);
  g_assert_true (g_file_set_contents (path, "x", 1, NULL));
  guint before = dmpi_tempfiles_count ();

  int a = dmpi_tempfiles_register (path);
  int b = dmpi_tempfiles_register (path);
  g_assert_cmpint (a, >=, 0);
  g_assert_cmpint (b, >=, 0);
  g_assert_cmpint (a, !=, b);
  g_assert_cmpuint (dmpi_tempfiles_count (), ==, before + 2);
  dmpi_tempfiles_unregister (a);
  g_assert_cmpuint (dmpi_tempfiles_count (), ==, before + 1);
  dmpi_tempfiles_unregister (a);   /* twice: no effect */
  dmpi_tempfiles_unregister (-1);  /* "not registered": no effect */
  g_assert_cmpuint (dmpi_tempfiles_count (), ==, before + 1);
  dmpi_tempfiles_unregister (b);
  g_assert_cmpuint (dmpi_tempfiles_count (), ==, before);
  /* unregistering leaves the file be */
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
}

static void
test_create_rename_remove (Fixture *fx, gconstpointer data)
{
  (void) data;
  guint before = dmpi_tempfiles_count ();
  mode_t old_umask = umask (022);
  int slot;
  g_autofree char *tmp = create_temp (fx->dir, "part.0.parquet", &slot);
  umask (old_umask);

  GStatBuf st;
  g_assert_cmpint (g_lstat (tmp, &st), ==, 0);
  g_assert_true (S_ISREG (st.st_mode));
  g_assert_cmpint (st.st_mode & 0777, ==, 0644);   /* 0666 through the umask */
  g_autofree char *base = g_path_get_basename (tmp);
  g_assert_true (g_str_has_prefix (base, ".part.0.parquet."));
  g_assert_cmpuint (strlen (base), ==, strlen (".part.0.parquet.XXXXXX"));
  g_assert_cmpuint (dmpi_tempfiles_count (), ==, before + 1);

  g_autofree char *final = g_build_filename (fx->dir, "part.0.parquet", NULL);
  g_assert_cmpint (dmpi_tempfile_rename (slot, tmp, final), ==, 0);
  g_assert_cmpuint (dmpi_tempfiles_count (), ==, before);
  g_autofree char *names = list_dir (fx->dir);
  g_assert_cmpstr (names, ==, "part.0.parquet");

  g_autofree char *tmp2 = create_temp (fx->dir, "part.1.parquet", &slot);
  g_assert_cmpuint (dmpi_tempfiles_count (), ==, before + 1);
  g_assert_cmpint (dmpi_tempfile_remove (slot, tmp2), ==, 0);
  g_assert_cmpuint (dmpi_tempfiles_count (), ==, before);
  g_clear_pointer (&names, g_free);
  names = list_dir (fx->dir);
  g_assert_cmpstr (names, ==, "part.0.parquet");

  /* A failed rename keeps the temporary registered (the caller removes it). */
  g_autofree char *tmp3 = create_temp (fx->dir, "part.2.parquet", &slot);
  g_autofree char *nowhere = g_build_filename (fx->dir, "no-such-dir", "part.2.parquet", NULL);
  g_assert_cmpint (dmpi_tempfile_rename (slot, tmp3, nowhere), ==, -1);
  g_assert_cmpint (errno, ==, ENOENT);
  g_assert_cmpuint (dmpi_tempfiles_count (), ==, before + 1);
  g_assert_cmpint (dmpi_tempfile_remove (slot, tmp3), ==, 0);
  g_assert_cmpuint (dmpi_tempfiles_count (), ==, before);
}

/* A name that does not fit a slot is not registered, and that is said. */
static void
test_too_long (Fixture *fx, gconstpointer data)
{
  (void) data;
  if (g_test_subprocess ())
    {
      g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);   /* the warning is the point */
      g_autoptr(GString) path = g_string_new (fx->dir);
      while (path->len < PATH_MAX + 10)
        g_string_append (path, "/very-long-name");
      g_assert_cmpint (dmpi_tempfiles_register (path->str), ==, -1);
      g_assert_cmpint (dmpi_tempfiles_register (path->str), ==, -1);
      return;
    }
  g_test_trap_subprocess (NULL, 0, 0);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*is not removed if the process is killed: its name is too long*");
}

/* ---- the signal path ------------------------------------------------------------ */

/* Child-side checks: no GLib test machinery after fork, an exit code says
 * what failed. */
#define CHILD_CHECK(cond, code) do { if (!(cond)) _exit (code); } while (0)

/* fork: the child creates three temporaries, registers an existing file,
 * writes one file it does not register, and is killed by sig. */
static void
test_signal (Fixture *fx, gconstpointer data)
{
  int sig = GPOINTER_TO_INT (data);
  /* Static: a child killed by a signal leaks nothing valgrind can see. */
  static char kept[PATH_MAX], adopted[PATH_MAX], tmpl[PATH_MAX];
  g_snprintf (kept, sizeof kept, "%s/not-registered", fx->dir);
  g_snprintf (adopted, sizeof adopted, "%s/adopted", fx->dir);

  pid_t pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      for (int i = 0; i < 3; i++)
        {
          g_snprintf (tmpl, sizeof tmpl, "%s/.part.%d.parquet.XXXXXX", fx->dir, i);
          int slot;
          int fd = dmpi_tempfile_create (tmpl, O_WRONLY, 0666, &slot);
          CHILD_CHECK (fd >= 0 && slot >= 0, 10);
        }
      CHILD_CHECK (g_file_set_contents (kept, "x", 1, NULL), 11);
      CHILD_CHECK (g_file_set_contents (adopted, "x", 1, NULL), 12);
      CHILD_CHECK (dmpi_tempfiles_register (adopted) >= 0, 13);
      CHILD_CHECK (count_dir (fx->dir) == 5, 14);
      if (sig == SIGPIPE)
        {
          /* the real thing: a write to a pipe nobody reads */
          int p[2];
          CHILD_CHECK (pipe (p) == 0, 15);
          close (p[0]);
          ssize_t ignored = write (p[1], "x", 1);
          (void) ignored;
        }
      else
        raise (sig);
      _exit (20);   /* still alive: the signal did not end the process */
    }

  int status;
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  if (WIFEXITED (status))
    g_error ("the child exited with %d instead of dying of signal %d", WEXITSTATUS (status), sig);
  g_assert_true (WIFSIGNALED (status));
  g_assert_cmpint (WTERMSIG (status), ==, sig);
  g_autofree char *names = list_dir (fx->dir);
  g_assert_cmpstr (names, ==, "not-registered");
}

/* An ignored signal stays ignored (the process lives on, its files stay),
 * and someone else's handler is left in place. In a fresh process: the
 * handlers are installed at the first registration. */
static volatile sig_atomic_t hup_seen;

static void
on_hup (int sig)
{
  (void) sig;
  hup_seen = 1;
}

static void
test_foreign_dispositions (void)
{
  /* The subprocess is a child of this process: a name both can make. */
  pid_t parent = g_test_subprocess () ? getppid () : getpid ();
  g_autofree char *name = g_strdup_printf ("dmpi-tempfiles-foreign-%ld", (long) parent);
  g_autofree char *file = g_build_filename (g_get_tmp_dir (), name, NULL);
  if (g_test_subprocess ())
    {
      signal (SIGINT, SIG_IGN);
      signal (SIGHUP, on_hup);
      g_assert_true (g_file_set_contents (file, "x", 1, NULL));
      g_assert_cmpint (dmpi_tempfiles_register (file), >=, 0);
      raise (SIGINT);
      raise (SIGHUP);
      g_assert_cmpint (hup_seen, ==, 1);
      g_assert_true (g_file_test (file, G_FILE_TEST_EXISTS));
      g_print ("alive\n");
      raise (SIGTERM);
      return;
    }
  g_test_trap_subprocess (NULL, 0, 0);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stdout ("alive*");
  gboolean exists = g_file_test (file, G_FILE_TEST_EXISTS);
  g_unlink (file);
  g_assert_false (exists);
}

/* ---- many threads ---------------------------------------------------------------- */

#define N_THREADS 8
#define HELD      32     /* per thread: N_THREADS * HELD stays under the slots */

typedef struct {
  const char *dir;
  guint       id;
  guint       rounds;    /* 0: until the process dies */
  int         slots[HELD];
  char       *held[HELD];
} Writer;

/* Creates temporaries and keeps up to HELD of them; every other one that
 * goes is renamed into place, the others removed. */
static gpointer
writer_thread (gpointer data)
{
  Writer *w = data;
  char **held = w->held;
  for (guint r = 0; w->rounds == 0 || r < w->rounds; r++)
    {
      guint k = r % HELD;
      if (held[k] != NULL)
        {
          int rc;
          if (r % 2 == 0)
            {
              char final[PATH_MAX];
              g_snprintf (final, sizeof final, "%s/part.%u.%u", w->dir, w->id, r);
              rc = dmpi_tempfile_rename (w->slots[k], held[k], final);
            }
          else
            rc = dmpi_tempfile_remove (w->slots[k], held[k]);
          if (rc != 0 && w->rounds == 0)
            for (;;)
              pause ();   /* the handler took it: the process is going */
          if (rc != 0)
            g_error ("thread %u: %s: %s", w->id, held[k], g_strerror (errno));
          g_free (held[k]);
        }
      held[k] = g_strdup_printf ("%s/.part.%u.%u.XXXXXX", w->dir, w->id, r);
      int fd = dmpi_tempfile_create (held[k], O_WRONLY | O_CLOEXEC, 0666, &w->slots[k]);
      if (fd < 0 && w->rounds == 0)
        for (;;)
          pause ();   /* refused: the process is going */
      if (fd < 0 || w->slots[k] < 0)
        g_error ("thread %u: cannot create %s: %s", w->id, held[k], g_strerror (errno));
      close (fd);
    }
  /* what is still held goes */
  for (guint k = 0; k < HELD; k++)
    if (held[k] != NULL)
      {
        dmpi_tempfile_remove (w->slots[k], held[k]);
        g_free (held[k]);
      }
  return NULL;
}

static void
test_threads (Fixture *fx, gconstpointer data)
{
  (void) data;
  guint before = dmpi_tempfiles_count ();
  static Writer writers[N_THREADS];
  GThread *threads[N_THREADS];
  for (guint t = 0; t < N_THREADS; t++)
    {
      writers[t] = (Writer) { .dir = fx->dir, .id = t, .rounds = 200 };
      threads[t] = g_thread_new ("writer", writer_thread, &writers[t]);
    }
  for (guint t = 0; t < N_THREADS; t++)
    g_thread_join (threads[t]);
  g_assert_cmpuint (dmpi_tempfiles_count (), ==, before);
  /* the renamed ones (even rounds that were replaced: 200 - HELD of them,
   * half of it) stand; no temporary is left */
  g_assert_cmpuint (count_dir (fx->dir), ==, N_THREADS * (200 - HELD) / 2);
  g_autoptr(GDir) dir = g_dir_open (fx->dir, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name (dir)) != NULL)
    g_assert_true (name[0] != '.');
}

/* fork: threads create and drop temporaries as fast as they can while the
 * process is sent SIGTERM: however the handler and the threads interleave,
 * no temporary survives. */
static void
test_threads_signal (Fixture *fx, gconstpointer data)
{
  (void) data;
  pid_t pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      static Writer writers[N_THREADS];
      for (guint t = 0; t < N_THREADS; t++)
        {
          writers[t] = (Writer) { .dir = fx->dir, .id = t, .rounds = 0 };
          g_thread_new ("writer", writer_thread, &writers[t]);
        }
      /* signal once the files churn: some renamed, many held */
      for (int i = 0; i < 10000 && (dmpi_tempfiles_count () < N_THREADS * HELD / 2
                                    || count_dir (fx->dir) < N_THREADS * HELD); i++)
        g_usleep (1000);
      kill (getpid (), SIGTERM);   /* to the process: any thread may take it */
      for (;;)
        pause ();
    }

  int status;
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFSIGNALED (status));
  g_assert_cmpint (WTERMSIG (status), ==, SIGTERM);
  guint finals = 0;
  g_autoptr(GDir) dir = g_dir_open (fx->dir, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      if (name[0] == '.')
        g_error ("a temporary survived the signal: %s", name);
      finals++;
    }
  g_assert_cmpuint (finals, >, 0);
  g_test_message ("%u files were renamed into place before the signal", finals);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* From the default dispositions, whatever the harness left (an ignored
   * SIGPIPE is inherited through exec). */
  signal (SIGTERM, SIG_DFL);
  signal (SIGINT, SIG_DFL);
  signal (SIGHUP, SIG_DFL);
  signal (SIGPIPE, SIG_DFL);
#define ADD(name, fn, data) \
  g_test_add ("/tempfiles/" name, Fixture, data, fixture_setup, fn, fixture_teardown)
  ADD ("register", test_register, NULL);
  ADD ("create-rename-remove", test_create_rename_remove, NULL);
  ADD ("too-long", test_too_long, NULL);
  ADD ("signal/TERM", test_signal, GINT_TO_POINTER (SIGTERM));
  ADD ("signal/INT", test_signal, GINT_TO_POINTER (SIGINT));
  ADD ("signal/HUP", test_signal, GINT_TO_POINTER (SIGHUP));
  ADD ("signal/PIPE", test_signal, GINT_TO_POINTER (SIGPIPE));
  g_test_add_func ("/tempfiles/foreign-dispositions", test_foreign_dispositions);
  ADD ("threads", test_threads, NULL);
  ADD ("threads-signal", test_threads_signal, NULL);
  return g_test_run ();
}
