#!/bin/sh
# Sending ahead on a real cluster: chains whose tasks the scheduler sends to
# the worker computing their input before it is done (the worker starts
# each the moment its input is ready). Right results, retries, failures, an
# input stolen by another worker and a cancel in the middle of a chain, with
# sending ahead on and off; the
# scheduler's count shows the first run did send ahead, and did take tasks
# back when their input failed.
. "$top_srcdir/t/tap/tap.sh"

client=$top_builddir/t/cluster/test-client
faults=$top_builddir/t/cluster/.libs/faults-module.so
[ -x "$client" ] || skip_all "$client is not built"
[ -f "$faults" ] || skip_all "$faults is not built"
plan 9

mkdir -p "$TAP_TMPDIR/on" "$TAP_TMPDIR/off"
run_mpi 120 "$DASK_MPI_RUN" -n 4 "$client" ahead "$faults" 2 "$TAP_TMPDIR/on"
is "$RUN_STATUS" 0 "chains sent ahead: results, a retried input, a failed one, a cancel (status $RUN_STATUS)"
ok "... every check passed" grep -q '^all checks passed' "$RUN_OUT"
is "$RUN_LEFTOVER" 0 "... and no process is left"
like "$(grep 'scheduler exits' "$RUN_ERR")" "*, [1-9]* sent ahead to wait on a worker*" \
    "... the scheduler sent tasks ahead"
like "$(grep 'scheduler exits' "$RUN_ERR")" "*([1-9]* of them back: the input failed or moved)*" \
    "... and took some back when their input failed or was stolen"
# A task sent ahead that a worker kept after its input left would show here:
# the worker would end with a task it never ran.
ok "... and no worker ends with tasks left over" sh -c "! grep -q 'abandoning running tasks' '$RUN_ERR'"
[ "$RUN_STATUS" = 0 ] || diag "$(tail -n 30 "$RUN_OUT" "$RUN_ERR")"

# Off: the same checks pass, and nothing was sent ahead (so the run above
# did exercise it).
run_mpi 120 env DASK_MPI_SEND_AHEAD=0 "$DASK_MPI_RUN" -n 4 "$client" ahead "$faults" 2 "$TAP_TMPDIR/off"
is "$RUN_STATUS" 0 "with DASK_MPI_SEND_AHEAD=0 the same checks pass (status $RUN_STATUS)"
like "$(grep 'scheduler exits' "$RUN_ERR")" "*, 0 sent ahead to wait on a worker*" "... and nothing was sent ahead"
is "$RUN_LEFTOVER" 0 "... and no process is left"
[ "$RUN_STATUS" = 0 ] || diag "$(tail -n 30 "$RUN_OUT" "$RUN_ERR")"
