/* A user module whose tasks misbehave on purpose, for the fault tests. */
#include "config.h"

#include <signal.h>
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

gboolean
dmpi_module_init (DmpiRegistry *registry, GError **error)
{
  dmpi_registry_add (registry, "crash", crash);
  dmpi_registry_add (registry, "stop_self", stop_self);
  return TRUE;
}
