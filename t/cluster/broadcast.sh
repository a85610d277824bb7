#!/bin/sh
# Scatter with broadcast (dmpi_client_scatter_full): a value on every worker,
# used by tasks on each; scatter to chosen workers; a bad rank refused.
. "$top_srcdir/t/tap/tap.sh"

client=$top_builddir/t/cluster/test-client
[ -x "$client" ] || skip_all "$client is not built"
plan 2

run_mpi 120 "$DASK_MPI_RUN" -n 4 "$client" broadcast x 2
is "$RUN_STATUS" 0 "a broadcast value is used on every worker; scatter to chosen workers; a bad rank refused (status $RUN_STATUS)"
is "$RUN_LEFTOVER" 0 "... and no process is left"
[ "$RUN_STATUS" = 0 ] || diag "$(tail -n 30 "$RUN_OUT" "$RUN_ERR")"
