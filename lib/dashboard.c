/* The dashboard (to be written): see dashboard.h. */
#include "config.h"

#include "dashboard.h"
#include "dmpi-error.h"

struct _DmpiDashboard {
  char *address;
};

DmpiDashboard *
dmpi_dashboard_new (DmpiSched *sched, GMainContext *context, const char *address, GError **error)
{
  g_set_error (error, DMPI_ERROR, DMPI_ERROR_FAILED, "the dashboard is not built yet (asked for %s)", address);
  return NULL;
}

void
dmpi_dashboard_free (DmpiDashboard *dashboard)
{
  if (dashboard == NULL)
    return;
  g_free (dashboard->address);
  g_free (dashboard);
}

const char *
dmpi_dashboard_get_address (DmpiDashboard *dashboard)
{
  return dashboard->address;
}

gboolean
dmpi_performance_report_write (DmpiSched *sched, const char *path, GError **error)
{
  g_set_error (error, DMPI_ERROR, DMPI_ERROR_FAILED, "performance reports are not built yet (%s)", path);
  return FALSE;
}
