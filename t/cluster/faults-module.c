/* A user module whose tasks misbehave on purpose, for the fault tests. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

static guint64
rss_mib (void)
{
  g_autofree char *statm = NULL;
  unsigned long size = 0, resident = 0;

  if (!g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL) || sscanf (statm, "%lu %lu", &size, &resident) != 2)
    return 0;
  return (guint64) resident * (guint64) sysconf (_SC_PAGESIZE) >> 20;
}

/* Allocates and touches memory 8 MiB at a time until its process's resident
 * memory reaches the first argument in MiB (at most 64 GiB allocated),
 * holds it for the second argument in milliseconds, frees it. */
static gboolean
hog (DmpiTask *task, GError **error)
{
  guint64 target_mib, hold_ms;

  if (!dmpi_task_check_args (task, "(tt)", error))
    return FALSE;
  g_variant_get (dmpi_task_get_args (task), "(tt)", &target_mib, &hold_ms);
  g_autoptr(GPtrArray) chunks = g_ptr_array_new_with_free_func (g_free);
  while (rss_mib () < target_mib && chunks->len < 8192)
    {
      char *chunk = g_malloc (8 << 20);
      memset (chunk, (int) chunks->len, 8 << 20);
      g_ptr_array_add (chunks, chunk);
    }
  g_usleep (hold_ms * 1000);
  dmpi_task_set_result (task, g_variant_new_uint64 (chunks->len));
  return TRUE;
}

/* Asks for more memory than any machine has in one g_malloc. */
static gboolean
alloc_huge (DmpiTask *task, GError **error)
{
  char *p = g_malloc ((gsize) 1 << 50);
  p[0] = 1;
  dmpi_task_set_result (task, g_variant_new_uint64 ((guint64) p[0]));
  g_free (p);
  return TRUE;
}

/* The host name of the worker's node (the simulated-node tests). */
static gboolean
node_name (DmpiTask *task, GError **error)
{
  dmpi_task_set_result (task, g_variant_new_string (g_get_host_name ()));
  return TRUE;
}

/* The length of its dependency, the builtin "bytes" result, after checking
 * every byte of its pattern: the result crossed a node intact. */
static gboolean
check_bytes (DmpiTask *task, GError **error)
{
  gsize n = 0;

  if (dmpi_task_get_n_deps (task) != 1
      || !g_variant_is_of_type (dmpi_task_get_dep (task, 0), G_VARIANT_TYPE_BYTESTRING))
    {
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_INVALID_ARGS, "check_bytes wants one bytes result");
      return FALSE;
    }
  const guint8 *bytes = g_variant_get_fixed_array (dmpi_task_get_dep (task, 0), &n, 1);
  for (gsize i = 0; i < n; i++)
    if (bytes[i] != (guint8) (i * 131u + 7u))
      {
        g_set_error (error, DMPI_ERROR, DMPI_ERROR_TASK_FAILED, "byte %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " is wrong",
                     i, n);
        return FALSE;
      }
  dmpi_task_set_result (task, g_variant_new_int64 ((gint64) n));
  return TRUE;
}

gboolean
dmpi_module_init (DmpiRegistry *registry, GError **error)
{
  dmpi_registry_add (registry, "crash", crash);
  dmpi_registry_add (registry, "stop_self", stop_self);
  dmpi_registry_add (registry, "flaky", flaky);
  dmpi_registry_add (registry, "count_and_fail", count_and_fail);
  dmpi_registry_add (registry, "touch", touch);
  dmpi_registry_add (registry, "hog", hog);
  dmpi_registry_add (registry, "alloc_huge", alloc_huge);
  dmpi_registry_add (registry, "node_name", node_name);
  dmpi_registry_add (registry, "check_bytes", check_bytes);
  return TRUE;
}
