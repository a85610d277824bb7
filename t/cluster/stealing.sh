#!/bin/sh
# Work stealing on a real cluster: tasks placed with their input on one
# worker (the scheduler believes them instant) are taken back unstarted by
# the scheduler and run on the idle worker; every result is right.
. "$top_srcdir/t/tap/tap.sh"

client=$top_builddir/t/cluster/test-client
[ -x "$client" ] || skip_all "$client is not built"
plan 7

run_mpi 120 "$DASK_MPI_RUN" -n 4 "$client" steal
is "$RUN_STATUS" 0 "tasks piled on one worker are stolen by the idle one (status $RUN_STATUS; $(grep '^ran on' "$RUN_OUT"))"
ok "... both workers ran some" grep -q '^ran on 2 workers' "$RUN_OUT"
is "$RUN_LEFTOVER" 0 "... and no process is left"
like "$(grep 'scheduler exits' "$RUN_ERR")" "*erred, [1-9]* moved to another worker*" "... the scheduler counts the tasks it moved"
[ "$RUN_STATUS" = 0 ] || diag "$(tail -n 30 "$RUN_OUT" "$RUN_ERR")"

# The same without stealing: placement alone leaves them with their input,
# so the test above did exercise stealing.
run_mpi 120 env DASK_MPI_WORK_STEALING=0 "$DASK_MPI_RUN" -n 4 "$client" steal
is "$RUN_STATUS" 0 "without stealing, the job runs too (status $RUN_STATUS)"
ok "without stealing, they all run on the worker holding their input" grep -q '^ran on 1 workers' "$RUN_OUT"
like "$(grep 'scheduler exits' "$RUN_ERR")" "*erred, 0 moved to another worker*" "... and the scheduler moved none"
