/* Temporary files in progress, removed when the process dies of a signal.
 *
 * An output file is written under a temporary name and renamed into place
 * (lib/df/parquet.c). When the job is cancelled, mpirun forwards SIGTERM to
 * the ranks: without this registry the temporaries stay behind. Each is
 * registered while it exists; on SIGTERM, SIGINT, SIGHUP or SIGPIPE the
 * handler unlinks every registered path, says how many on stderr ("PROG:
 * signal 15: removed 2 temporary files in progress"), restores the default
 * action and re-raises, so that the process still dies of the signal.
 *
 * The handlers are installed at the first registration, and only for a
 * signal whose action is still the default one: an ignored signal does not
 * end the process, and a handler someone else installed decides the
 * process's fate (it may let it live; its files must then not vanish).
 *
 * Internal: not exported from libdaskmpi. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* How many temporaries can be registered at once (per process): far more
 * than compute threads write at a time. Beyond it a file is still written,
 * but not removed on a signal (a warning says so, once). */
#define DMPI_TEMPFILES_MAX 512

/* Creates a new file from tmpl, whose last six characters "XXXXXX" are
 * replaced in place (g_mkstemp_full), with O_CREAT | O_EXCL | O_NOFOLLOW
 * (never through a name planted in the way) and mode through the umask,
 * and registers it before any signal can come between. Returns the file
 * descriptor and sets *slot (for dmpi_tempfile_rename or _remove), or -1
 * with errno set. */
int      dmpi_tempfile_create      (char *tmpl, int flags, int mode, int *slot);

/* rename (tmp, path) and unregister, with no signal between. 0, or -1 with
 * errno set (the temporary is then still registered). */
int      dmpi_tempfile_rename      (int slot, const char *tmp, const char *path);

/* unlink (tmp) and unregister, with no signal between. 0, or -1 with errno. */
int      dmpi_tempfile_remove      (int slot, const char *tmp);

/* The registry itself. register returns a slot, or -1 when the path is too
 * long or every slot is taken. unregister (-1 is a no-op) does not touch
 * the file. */
int      dmpi_tempfiles_register   (const char *path);
void     dmpi_tempfiles_unregister (int slot);

/* Unlinks every path this process registered, and refuses new ones: the
 * process is going. Returns how many files went. Async-signal-safe: a fatal
 * signal handler (SIGSEGV and the like) may call it before re-raising. */
guint    dmpi_tempfiles_remove_all (void);

/* How many paths are registered now (tests). */
guint    dmpi_tempfiles_count      (void);

G_END_DECLS
