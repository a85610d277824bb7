/* Temporary files in progress: see tempfiles.h.
 *
 * The signal handler may run on any thread, at any moment, also while a
 * compute thread registers or unregisters a file; it can neither lock nor
 * allocate. So the storage is fixed (a path buffer per slot, filled before
 * the slot is published), and each slot's state is one lock-free atomic:
 *
 *   FREE --claim--> BUSY --publish--> ACTIVE --release--> BUSY --> FREE
 *                                       \--handler--> DYING (for good)
 *
 * The handler only ever takes a slot from ACTIVE to DYING, by compare-and-
 * swap, so it never reads a path that a thread is rewriting, and a thread
 * never reuses a path the handler is unlinking.
 *
 * Other threads run on while the handler does, and die the moment it
 * returns: one may have created its file and not yet published it. So the
 * handler raises a flag, waits (briefly, bounded) for the creations in
 * progress to be published, and only then scans; a creation that starts
 * after the flag is up does not create. A thread that publishes also looks
 * at the flag (sequentially consistent atomics: it or the scan sees the
 * other), and whoever wins the slot's compare-and-swap unlinks the file. */
#include "config.h"

#include "tempfiles.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib/gstdio.h>

/* A handler may only use atomics that need no lock. */
G_STATIC_ASSERT (ATOMIC_INT_LOCK_FREE == 2);

enum { SLOT_FREE, SLOT_BUSY, SLOT_ACTIVE, SLOT_DYING };

/* States apart from the paths: a search for a free slot touches one small
 * array, not a page of path per slot. */
static atomic_int slot_state[DMPI_TEMPFILES_MAX];
/* The process that registered the slot: a forked child that inherits the
 * registry must not remove its parent's files. */
static pid_t slot_owner[DMPI_TEMPFILES_MAX];
static char slot_path[DMPI_TEMPFILES_MAX][PATH_MAX];
/* Set once the process is going (a signal, exit), and the creations
 * between their open and their publication: see above. */
static atomic_int dying;
static atomic_int creating;

/* The signals that end a process by default and that a cancelled or
 * disconnected job receives (SIGPIPE: the output pipe to mpirun is gone). */
static const int cleanup_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGPIPE };

/* The program's name for the handler's message, copied at installation. */
static char prgname[64] = "dask-mpi";

/* Takes an ACTIVE slot and unlinks its file, if no one else took it first.
 * Whether it did. */
static gboolean
remove_slot (int i, pid_t self)
{
  int expected = SLOT_ACTIVE;
  return atomic_compare_exchange_strong (&slot_state[i], &expected, SLOT_DYING)
         && slot_owner[i] == self && unlink (slot_path[i]) == 0;
}

guint
dmpi_tempfiles_remove_all (void)
{
  pid_t self = getpid ();
  guint removed = 0;
  atomic_store (&dying, 1);
  /* A creation takes microseconds; a hung file system must not keep the
   * process from dying, so at most about a second. */
  struct timespec pause = { 0, 100 * 1000 };
  for (int spins = 0; atomic_load (&creating) > 0 && spins < 10000; spins++)
    nanosleep (&pause, NULL);
  for (int i = 0; i < DMPI_TEMPFILES_MAX; i++)
    if (atomic_load (&slot_state[i]) == SLOT_ACTIVE)   /* seq_cst: see above */
      removed += remove_slot (i, self);
  return removed;
}

/* Appends the decimal n to buf at *len (no printf in a handler). */
static void
append_uint (char *buf, gsize size, gsize *len, guint n)
{
  char digits[16];
  int k = 0;
  do
    digits[k++] = (char) ('0' + n % 10), n /= 10;
  while (n > 0);
  while (k > 0 && *len + 1 < size)
    buf[(*len)++] = digits[--k];
}

static void
append_str (char *buf, gsize size, gsize *len, const char *s)
{
  while (*s != '\0' && *len + 1 < size)
    buf[(*len)++] = *s++;
}

static void
on_signal (int sig)
{
  int saved_errno = errno;
  struct sigaction dfl;

  guint removed = dmpi_tempfiles_remove_all ();
  if (removed > 0)
    {
      /* The log says why a cancelled job's folder holds no temporaries. */
      char msg[160];
      gsize len = 0;
      append_str (msg, sizeof msg, &len, prgname);
      append_str (msg, sizeof msg, &len, ": signal ");
      append_uint (msg, sizeof msg, &len, (guint) sig);
      append_str (msg, sizeof msg, &len, ": removed ");
      append_uint (msg, sizeof msg, &len, removed);
      append_str (msg, sizeof msg, &len, removed == 1 ? " temporary file" : " temporary files");
      append_str (msg, sizeof msg, &len, " in progress\n");
      ssize_t ignored = write (STDERR_FILENO, msg, len);
      (void) ignored;
    }
  /* Die of the signal as if no handler had been there: the signal is
   * blocked while this runs, so it stays pending until we return. */
  memset (&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset (&dfl.sa_mask);
  sigaction (sig, &dfl, NULL);
  raise (sig);
  errno = saved_errno;
}

static void
remove_all_at_exit (void)
{
  /* exit() while a compute thread is still writing: its file is an orphan.
   * (A rename that then fails is an error nobody will read.) */
  dmpi_tempfiles_remove_all ();
}

static void
install_handlers (void)
{
  struct sigaction action;

  if (g_get_prgname () != NULL)
    g_strlcpy (prgname, g_get_prgname (), sizeof prgname);
  memset (&action, 0, sizeof action);
  action.sa_handler = on_signal;
  sigemptyset (&action.sa_mask);
  for (gsize i = 0; i < G_N_ELEMENTS (cleanup_signals); i++)
    sigaddset (&action.sa_mask, cleanup_signals[i]);

  for (gsize i = 0; i < G_N_ELEMENTS (cleanup_signals); i++)
    {
      struct sigaction old;
      if (sigaction (cleanup_signals[i], NULL, &old) != 0)
        continue;
      /* Ignored: the process lives on. Someone else's handler: it decides. */
      if ((old.sa_flags & SA_SIGINFO) != 0 || old.sa_handler != SIG_DFL)
        continue;
      sigaction (cleanup_signals[i], &action, NULL);
    }
  atexit (remove_all_at_exit);
}

static void
ensure_handlers (void)
{
  static gsize installed = 0;
  if (g_once_init_enter (&installed))
    {
      install_handlers ();
      g_once_init_leave (&installed, 1);
    }
}

static void
warn_unprotected (const char *path, const char *why)
{
  static gint warned = 0;
  if (g_atomic_int_compare_and_exchange (&warned, 0, 1))
    g_warning ("the temporary file %s is not removed if the process is killed: %s "
               "(this is said once)", path, why);
}

int
dmpi_tempfiles_register (const char *path)
{
  gsize len = strlen (path);

  ensure_handlers ();
  if (len >= PATH_MAX)
    {
      warn_unprotected (path, "its name is too long");
      return -1;
    }
  for (int i = 0; i < DMPI_TEMPFILES_MAX; i++)
    {
      int expected = SLOT_FREE;
      if (atomic_load_explicit (&slot_state[i], memory_order_relaxed) != SLOT_FREE
          || !atomic_compare_exchange_strong (&slot_state[i], &expected, SLOT_BUSY))
        continue;
      memcpy (slot_path[i], path, len + 1);
      slot_owner[i] = getpid ();
      /* seq_cst store: the path is written before the handler can see it. */
      atomic_store (&slot_state[i], SLOT_ACTIVE);
      if (atomic_load (&dying))
        remove_slot (i, getpid ());   /* the handler may have passed this slot */
      return i;
    }
  warn_unprotected (path, "too many temporary files at once (" G_STRINGIFY (DMPI_TEMPFILES_MAX) ")");
  return -1;
}

void
dmpi_tempfiles_unregister (int slot)
{
  if (slot < 0 || slot >= DMPI_TEMPFILES_MAX)
    return;
  int expected = SLOT_ACTIVE;
  /* Fails only if the handler has it (DYING): the process is going anyway. */
  if (atomic_compare_exchange_strong (&slot_state[slot], &expected, SLOT_BUSY))
    atomic_store (&slot_state[slot], SLOT_FREE);
}

guint
dmpi_tempfiles_count (void)
{
  guint n = 0;
  for (int i = 0; i < DMPI_TEMPFILES_MAX; i++)
    n += atomic_load (&slot_state[i]) == SLOT_ACTIVE;
  return n;
}

/* Blocks the cleanup signals on this thread, so that a file and its
 * registration change together. (The process-wide signal is then taken by
 * another thread, or by this one as soon as they are unblocked.) */
static void
block_signals (sigset_t *saved)
{
  sigset_t set;
  sigemptyset (&set);
  for (gsize i = 0; i < G_N_ELEMENTS (cleanup_signals); i++)
    sigaddset (&set, cleanup_signals[i]);
  pthread_sigmask (SIG_BLOCK, &set, saved);
}

static void
restore_signals (const sigset_t *saved)
{
  int saved_errno = errno;
  pthread_sigmask (SIG_SETMASK, saved, NULL);
  errno = saved_errno;
}

int
dmpi_tempfile_create (char *tmpl, int flags, int mode, int *slot)
{
  sigset_t saved;

  ensure_handlers ();
  block_signals (&saved);
  atomic_fetch_add (&creating, 1);
  int fd = -1;
  *slot = -1;
  if (atomic_load (&dying))
    errno = EINTR;   /* the process is going: nothing new */
  else
    {
      fd = g_mkstemp_full (tmpl, flags | O_NOFOLLOW, mode);
      if (fd >= 0)
        *slot = dmpi_tempfiles_register (tmpl);
    }
  atomic_fetch_sub (&creating, 1);
  restore_signals (&saved);
  return fd;
}

int
dmpi_tempfile_rename (int slot, const char *tmp, const char *path)
{
  sigset_t saved;

  block_signals (&saved);
  int rc = rename (tmp, path);
  if (rc == 0)
    dmpi_tempfiles_unregister (slot);
  restore_signals (&saved);
  return rc;
}

int
dmpi_tempfile_remove (int slot, const char *tmp)
{
  sigset_t saved;

  block_signals (&saved);
  int rc = g_unlink (tmp);
  /* Gone either way, or not ours to retry: a later run cleans it. */
  dmpi_tempfiles_unregister (slot);
  restore_signals (&saved);
  return rc;
}
