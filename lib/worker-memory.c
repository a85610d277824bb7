/* A worker's memory limit and levels (see worker-memory.h). */
#include "config.h"

#include "worker-memory.h"
#include "dmpi-error.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct {
  const char *name;
  double factor;
} units[] = {
  { "", 1 }, { "b", 1 },
  { "k", 1e3 }, { "kb", 1e3 }, { "kib", 1024.0 },
  { "m", 1e6 }, { "mb", 1e6 }, { "mib", 1048576.0 },
  { "g", 1e9 }, { "gb", 1e9 }, { "gib", 1073741824.0 },
  { "t", 1e12 }, { "tb", 1e12 }, { "tib", 1099511627776.0 },
};

gboolean
dmpi_memory_parse_limit (const char *text, guint64 *bytes, double *fraction, GError **error)
{
  g_autofree char *lower = g_strstrip (g_ascii_strdown (text, -1));
  char *end = NULL;

  *bytes = 0;
  *fraction = 0;
  if (strcmp (lower, "auto") == 0)
    {
      *fraction = 1.0;
      return TRUE;
    }
  if (strcmp (lower, "none") == 0)
    return TRUE;
  /* Digits with at most one decimal point (no sign, exponent or hex). */
  gsize digits = strspn (lower, "0123456789.");
  if (digits == 0 || strchr (lower, '.') != strrchr (lower, '.') || (lower[0] == '.' && digits == 1))
    goto bad;
  errno = 0;
  double value = g_ascii_strtod (lower, &end);
  if (end != lower + digits || errno != 0 || !isfinite (value))
    goto bad;
  while (*end == ' ')
    end++;
  for (guint i = 0; i < G_N_ELEMENTS (units); i++)
    if (strcmp (end, units[i].name) == 0)
      {
        /* A bare number up to 1 with a decimal point is a fraction of the
         * node's share, as in Dask ("0.5"); "1" is one byte. */
        if (*end == '\0' && strchr (lower, '.') != NULL && value <= 1.0)
          {
            *fraction = value;
            return TRUE;
          }
        double total = value * units[i].factor;
        if (total >= 18446744073709551615.0)
          goto bad;
        *bytes = (guint64) total;
        return TRUE;
      }
bad:
  g_set_error (error, DMPI_ERROR, DMPI_ERROR_FAILED,
               "bad memory limit '%s': give auto, none, a fraction of the node's share such as 0.5, "
               "or bytes with an optional unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)", text);
  return FALSE;
}

/* The first number in @path, or G_MAXUINT64 when there is none ("max"). */
static guint64
read_limit_file (const char *path)
{
  g_autofree char *contents = NULL;
  guint64 value;

  if (path == NULL || !g_file_get_contents (path, &contents, NULL, NULL))
    return G_MAXUINT64;
  g_strstrip (contents);
  if (!g_ascii_string_to_unsigned (contents, 10, 0, G_MAXUINT64, &value, NULL))
    return G_MAXUINT64;
  return value;
}

guint64
dmpi_memory_total_from (guint64 physical, const char *cgroup2_max, const char *cgroup1_limit)
{
  guint64 total = physical;

  total = MIN (total, read_limit_file (cgroup2_max));
  total = MIN (total, read_limit_file (cgroup1_limit));
  return total;
}

/* The lowest @file limit from @dir/@group up to @dir. */
static guint64
lowest_limit_up (const char *dir, const char *group, const char *file)
{
  g_autofree char *path = g_build_filename (dir, group, NULL);
  guint64 lowest = G_MAXUINT64;

  for (;;)
    {
      g_autofree char *limit_file = g_build_filename (path, file, NULL);
      lowest = MIN (lowest, read_limit_file (limit_file));
      if (strlen (path) <= strlen (dir))
        break;
      char *parent = g_path_get_dirname (path);
      g_free (path);
      path = parent;
    }
  return lowest;
}

guint64
dmpi_memory_cgroup_limit (const char *cgroups, const char *root)
{
  g_auto(GStrv) lines = g_strsplit (cgroups != NULL ? cgroups : "", "\n", -1);
  guint64 lowest = G_MAXUINT64;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      /* ID:CONTROLLERS:PATH; the path may hold a colon, the rest not. */
      g_auto(GStrv) fields = g_strsplit (lines[i], ":", 3);
      if (g_strv_length (fields) != 3 || fields[2][0] != '/' || strstr (fields[2], "..") != NULL)
        continue;
      if (strcmp (fields[0], "0") == 0 && fields[1][0] == '\0')
        lowest = MIN (lowest, lowest_limit_up (root, fields[2], "memory.max"));
      else
        {
          g_auto(GStrv) controllers = g_strsplit (fields[1], ",", -1);
          if (g_strv_contains ((const char *const *) controllers, "memory"))
            {
              g_autofree char *v1 = g_build_filename (root, "memory", NULL);
              lowest = MIN (lowest, lowest_limit_up (v1, fields[2], "memory.limit_in_bytes"));
            }
        }
    }
  return lowest;
}

guint64
dmpi_memory_node_total (void)
{
  long pages = sysconf (_SC_PHYS_PAGES), page = sysconf (_SC_PAGESIZE);
  guint64 physical = pages > 0 && page > 0 ? (guint64) pages * (guint64) page : G_MAXUINT64;
  g_autofree char *cgroups = NULL;

  /* A container (Azure ML runs jobs in Docker) sees the host's memory in
   * /proc but may have far less: its control group's limit, at the root of
   * the cgroup file system when the container has a cgroup namespace, else
   * on the way from the process's own group (a batch system's job) up to
   * the root. */
  g_file_get_contents ("/proc/self/cgroup", &cgroups, NULL, NULL);
  return MIN (dmpi_memory_total_from (physical, "/sys/fs/cgroup/memory.max",
                                      "/sys/fs/cgroup/memory/memory.limit_in_bytes"),
              dmpi_memory_cgroup_limit (cgroups, "/sys/fs/cgroup"));
}

guint64
dmpi_memory_rss (void)
{
  static gint fd = -1;
  char buf[128];
  unsigned long size = 0, resident = 0;

  /* Opened once and read with pread: the watch thread samples it every few
   * milliseconds. */
  if (g_atomic_int_get (&fd) < 0)
    {
      int opened = open ("/proc/self/statm", O_RDONLY | O_CLOEXEC);
      if (opened < 0)
        return 0;
      if (!g_atomic_int_compare_and_exchange (&fd, -1, opened))
        close (opened);
    }
  ssize_t n = pread (g_atomic_int_get (&fd), buf, sizeof buf - 1, 0);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  if (sscanf (buf, "%lu %lu", &size, &resident) != 2)
    return 0;
  return (guint64) resident * (guint64) sysconf (_SC_PAGESIZE);
}

DmpiMemoryLevel
dmpi_memory_level (guint64 rss, guint64 limit)
{
  if (limit == 0)
    return DMPI_MEMORY_OK;
  double percent = 100.0 * (double) rss / (double) limit;
  if (percent >= DMPI_MEMORY_FAULT_PERCENT)
    return DMPI_MEMORY_FAULT;
  if (percent >= DMPI_MEMORY_PAUSE_PERCENT)
    return DMPI_MEMORY_PAUSE;
  if (percent >= DMPI_MEMORY_SPILL_PERCENT)
    return DMPI_MEMORY_SPILL;
  return DMPI_MEMORY_OK;
}

const char *
dmpi_memory_level_name (DmpiMemoryLevel level)
{
  static const char *const names[] = { "ok", "spill", "pause", "fault" };
  return level <= DMPI_MEMORY_FAULT ? names[level] : "unknown";
}
