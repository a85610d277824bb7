/* A worker's memory: its limit and Dask's thresholds on the process's
 * resident memory (lib/worker-memory.c). The worker samples the resident
 * size in a thread of its own and acts on the level (lib/worker.c):
 *
 *   below 70%  nothing;
 *   70%        spill results held in memory to the local directory;
 *   80%        pause: start no new task (and give back those not started);
 *   95%        stop the task that got it there, before the kernel's OOM
 *              killer stops the whole worker.
 *
 * (Results in memory are also spilled past 60% of the limit by the store
 * itself, counting only their own bytes.) */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  DMPI_MEMORY_OK,
  DMPI_MEMORY_SPILL,
  DMPI_MEMORY_PAUSE,
  DMPI_MEMORY_FAULT,
} DmpiMemoryLevel;

#define DMPI_MEMORY_SPILL_PERCENT 70
#define DMPI_MEMORY_PAUSE_PERCENT 80
#define DMPI_MEMORY_RESUME_PERCENT 75  /* a paused worker resumes below this */
#define DMPI_MEMORY_FAULT_PERCENT 95

/* "auto" (the node's memory shared among its workers), a fraction of that
 * ("0.5"), bytes with an optional unit ("4GiB", "500MB", "1000000"), or
 * "0"/"none" for no limit. Sets *@bytes (0 when a fraction or none) and
 * *@fraction (0 when bytes or none). */
gboolean        dmpi_memory_parse_limit (const char *text, guint64 *bytes, double *fraction, GError **error);

/* The node's memory: physical memory, or the control group's limit when lower. */
guint64         dmpi_memory_node_total  (void);

/* Like dmpi_memory_node_total() with the files to read given (for tests):
 * NULL paths are skipped. */
guint64         dmpi_memory_total_from  (guint64 physical, const char *cgroup2_max, const char *cgroup1_limit);

/* The lowest memory limit of the control groups holding a process, from
 * its group up to the root: @cgroups is the text of /proc/self/cgroup,
 * @root where the cgroup file systems are (/sys/fs/cgroup): cgroup v2's
 * memory.max ("0::/PATH") and v1's memory.limit_in_bytes (the memory
 * controller's line, under @root/memory). G_MAXUINT64 when there is none. */
guint64         dmpi_memory_cgroup_limit (const char *cgroups, const char *root);

/* The process's resident memory in bytes (0 if it cannot be read). Safe
 * from any thread. */
guint64         dmpi_memory_rss         (void);

DmpiMemoryLevel dmpi_memory_level       (guint64 rss, guint64 limit);

const char     *dmpi_memory_level_name  (DmpiMemoryLevel level);

G_END_DECLS
