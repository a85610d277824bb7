## t/cluster/dashboard.sh: the dashboard (HTTP, pages in headless Chromium,
## bad requests, addresses) and the performance report, under mpirun.
check_PROGRAMS += t/cluster/dashboard/busy-client
t_cluster_dashboard_busy_client_SOURCES = t/cluster/dashboard/busy-client.c
t_cluster_dashboard_busy_client_LDADD = lib/libdaskmpi.la $(GLIB_LIBS)
TESTS += t/cluster/dashboard.sh
EXTRA_DIST += t/cluster/dashboard.sh t/cluster/dashboard/http.py t/cluster/dashboard/ports.py \
	t/cluster/dashboard/promcheck.py
# The screenshot of /status the test keeps as an artefact.
CLEANFILES += t/cluster/dashboard-status.png
