/* A user module whose tasks misbehave on purpose, for the fault tests. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <daskmpi.h>
#include <gmodule.h>

G_MODULE_EXPORT gboolean dmpi_module_init (DmpiRegistry *registry, GError **error);

static gboolean
crash (DmpiTask *task, GError **error)
{
  raise (SIGSEGV);
  return TRUE;
}

/* Stop the whole worker process, as a hung or SIGSTOPped rank would be. */
static gboolean
stop_self (DmpiTask *task, GError **error)
{
  raise (SIGSTOP);
  return TRUE;
}

/* Fails the first time (leaving a marker file), succeeds after. */
static gboolean
flaky (DmpiTask *task, GError **error)
{
  const char *path;

  if (!dmpi_task_check_args (task, "(s)", error))
    return FALSE;
  g_variant_get (dmpi_task_get_args (task), "(&s)", &path);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_file_set_contents (path, "x", 1, NULL);
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_TASK_FAILED, "transient failure (first attempt)");
      return FALSE;
    }
  dmpi_task_set_result (task, g_variant_new_int64 (1));
  return TRUE;
}

/* Appends a byte to a file, then fails: the file's size counts the attempts. */
static gboolean
count_and_fail (DmpiTask *task, GError **error)
{
  const char *path;

  if (!dmpi_task_check_args (task, "(s)", error))
    return FALSE;
  g_variant_get (dmpi_task_get_args (task), "(&s)", &path);
  FILE *f = fopen (path, "a");
  if (f != NULL)
    {
      fputc ('x', f);
      fclose (f);
    }
  g_set_error (error, DMPI_ERROR, DMPI_ERROR_TASK_FAILED, "always fails");
  return FALSE;
}

/* Creates a file: a side effect to observe from outside. */
static gboolean
touch (DmpiTask *task, GError **error)
{
  const char *path;

  if (!dmpi_task_check_args (task, "(s)", error))
    return FALSE;
  g_variant_get (dmpi_task_get_args (task), "(&s)", &path);
  g_usleep (200000);
  return g_file_set_contents (path, "done", -1, error);
}

gboolean
dmpi_module_init (DmpiRegistry *registry, GError **error)
{
  dmpi_registry_add (registry, "crash", crash);
  dmpi_registry_add (registry, "stop_self", stop_self);
  dmpi_registry_add (registry, "flaky", flaky);
  dmpi_registry_add (registry, "count_and_fail", count_and_fail);
  dmpi_registry_add (registry, "touch", touch);
  return TRUE;
}
