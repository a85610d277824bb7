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

## t/dashboard/gate: the gate (lib/dashboard/gate.c) on loopback without
## MPI, alone and behind the dashboard's libsoup server.
check_PROGRAMS += t/dashboard/gate
TESTS += t/dashboard/gate
t_dashboard_gate_SOURCES = t/dashboard/gate.c
t_dashboard_gate_CFLAGS = $(DMPI_TEST_CFLAGS)
t_dashboard_gate_LDADD = $(DMPI_TEST_LIBS)
