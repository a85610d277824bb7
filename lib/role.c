#include "config.h"

#include "role.h"
#include "log.h"
#include "transport.h"
#include "dmpi-error.h"

#include <unistd.h>

static const char *const role_names[] = { "scheduler", "client", "worker" };

const char *
dmpi_role_name (DmpiRole role)
{
  return role <= DMPI_ROLE_WORKER ? role_names[role] : "unknown";
}

const char *
dmpi_hostname (void)
{
  static char name[256];

  if (name[0] == '\0')
    {
      if (gethostname (name, sizeof name - 1) != 0 || name[0] == '\0')
        g_strlcpy (name, "localhost", sizeof name);
    }
  return name;
}

double
dmpi_now (void)
{
  return (double) g_get_real_time () / G_USEC_PER_SEC;
}

gboolean
dmpi_role_start (DmpiRole role, const char *log_level, int *status)
{
  g_autoptr(GError) error = NULL;
  DmpiLogLevel level;

  *status = 2;
  if (!dmpi_role_init (role, NULL, NULL, &error))
    {
      g_critical ("%s", error->message);
      /* Every rank of a too-small world fails alike, so all can finalize. */
      if (g_error_matches (error, DMPI_ERROR, DMPI_ERROR_WORLD_TOO_SMALL))
        dmpi_transport_finalize_mpi ();
      return FALSE;
    }
  if (log_level != NULL)
    {
      if (!dmpi_log_parse_level (log_level, &level, &error))
        {
          g_critical ("--log-level: %s", error->message);
          return FALSE;
        }
      dmpi_log_set_level (level);
    }
  *status = 0;
  return TRUE;
}

gboolean
dmpi_role_init (DmpiRole role, int *argc, char ***argv, GError **error)
{
  dmpi_log_init (dmpi_role_name (role), -1);
  if (!dmpi_transport_init_mpi (argc, argv, error))
    return FALSE;
  int rank = dmpi_transport_world_rank ();
  int size = dmpi_transport_world_size ();
  dmpi_log_set_rank (rank);
  if (size < 3)
    {
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_WORLD_TOO_SMALL,
                   "the MPI world has %d rank%s; dask-mpi needs at least 3: the scheduler "
                   "(rank 0), the client (rank 1) and one worker or more (ranks 2 and up)",
                   size, size == 1 ? "" : "s");
      return FALSE;
    }
  gboolean right = role == DMPI_ROLE_WORKER ? rank >= 2 : rank == (int) role;
  if (!right)
    {
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_MPI,
                   "the %s must run on rank %s, but this is rank %d of %d: start it with "
                   "dask-mpi-run, or in this order in an MPMD mpirun: scheduler, client, workers",
                   dmpi_role_name (role), role == DMPI_ROLE_WORKER ? "2 or above" : role == DMPI_ROLE_CLIENT ? "1" : "0",
                   rank, size);
      return FALSE;
    }
  return TRUE;
}
