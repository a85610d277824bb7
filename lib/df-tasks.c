/* The data-frame tasks every worker has (filled in by the NYC taxi job work). */
#include "config.h"

#include "registry.h"

void
dmpi_df_tasks_register (DmpiRegistry *registry)
{
}
