#!/bin/sh
# Whole-cluster runs of the runtime under mpirun: results, errors, exit codes,
# shutdown with nothing left behind, MPMD launch, user modules, too few ranks.
. "$top_srcdir/t/tap/tap.sh"

client=$top_builddir/t/cluster/test-client
module=$top_builddir/contrib/examples/.libs/user-module.so
mpirun=${DASK_MPI_MPIRUN:-mpirun}
plan 43

for n in 3 4 8; do
    run_mpi 120 "$DASK_MPI_RUN" -n $n "$client" compute x $((n - 2))
    is "$RUN_STATUS" 0 "$n ranks: the job succeeds"
    ok "$n ranks: every check passed" grep -q '^all checks passed' "$RUN_OUT"
    is "$RUN_LEFTOVER" 0 "$n ranks: no process left"
    [ "$RUN_STATUS" = 0 ] || { diag "$(cat "$RUN_OUT" "$RUN_ERR" | tail -n 30)"; }
done

run_mpi 120 "$DASK_MPI_RUN" -n 4 "$client" fail
is "$RUN_STATUS" 0 "a failing task: the client saw the errors it expected"
ok "the task's error names key, function and message" grep -q "task error: task 'broken-one' (function fail) failed on worker rank [0-9]* (.*): disk on fire" "$RUN_OUT"
ok "the dependent's error names both tasks" grep -q "dependent error: task 'downstream' (function inc) not run: dependency 'broken-one' failed" "$RUN_OUT"
[ "$RUN_STATUS" = 0 ] || diag "$(cat "$RUN_OUT" "$RUN_ERR" | tail -n 30)"

run_mpi 60 "$DASK_MPI_RUN" -n 4 "$client" exit 3
is "$RUN_STATUS" 3 "a client that exits 3: the job exits 3"
ok "... within 10 s (took $RUN_ELAPSED s)" awk "BEGIN { exit !($RUN_ELAPSED < 10) }"
is "$RUN_LEFTOVER" 0 "... and no process is left"
ok "... the scheduler says why it stops" grep -q 'shutting down: the client exited with status 3' "$RUN_ERR"
ok "... the workers say why they stop" grep -q 'worker exits: the scheduler says shut down' "$RUN_ERR"

run_mpi 60 "$DASK_MPI_RUN" -n 4 "$client" abort
isnt "$RUN_STATUS" 0 "a client that aborts: the job fails (status $RUN_STATUS)"
ok "... within 10 s (took $RUN_ELAPSED s)" awk "BEGIN { exit !($RUN_ELAPSED < 10) }"
is "$RUN_LEFTOVER" 0 "... and no process is left"

run_mpi 60 "$DASK_MPI_RUN" -n 4 "$client" segfault
isnt "$RUN_STATUS" 0 "a client that crashes: the job fails (status $RUN_STATUS)"
is "$RUN_LEFTOVER" 0 "... and no process is left"

run_mpi 120 "$mpirun" -n 1 "$DASK_MPI_SCHEDULER" : -n 1 "$client" compute x 2 : -n 2 "$DASK_MPI_WORKER"
is "$RUN_STATUS" 0 "an MPMD mpirun of scheduler, client, workers works"
ok "... every check passed" grep -q '^all checks passed' "$RUN_OUT"
is "$RUN_LEFTOVER" 0 "... and no process is left"

if [ -f "$module" ]; then
    run_mpi 120 "$DASK_MPI_RUN" -n 4 "$client" module "$module" 2
    is "$RUN_STATUS" 0 "a user module loads on every worker and runs"
    [ "$RUN_STATUS" = 0 ] || diag "$(cat "$RUN_OUT" "$RUN_ERR" | tail -n 30)"
else
    skip "the example module is not built" 1
fi

faults=$top_builddir/t/cluster/.libs/faults-module.so
run_mpi 60 "$DASK_MPI_RUN" -n 4 "$client" crash "$faults" 2
isnt "$RUN_STATUS" 0 "a task that crashes its worker: the job fails (status $RUN_STATUS)"
ok "... naming the task, its function, the worker's rank and host" \
    grep -q "dask-mpi-worker rank [0-9]* on .* crashed with SIGSEGV while running task 'crasher-1' (function crash)" "$RUN_ERR"
ok "... within 10 s (took $RUN_ELAPSED s)" awk "BEGIN { exit !($RUN_ELAPSED < 10) }"
is "$RUN_LEFTOVER" 0 "... and no process is left"

mkdir -p "$TAP_TMPDIR/spill"
run_mpi 120 "$DASK_MPI_RUN" -n 3 --memory-limit 600MiB --local-directory "$TAP_TMPDIR/spill" "$client" spill
is "$RUN_STATUS" 0 "results past the memory limit spill to the local directory and come back intact"
ok "... the worker says it spilled" grep -q "spilled [0-9]* results to $TAP_TMPDIR/spill/dask-mpi-worker-2-" "$RUN_ERR"
is "$(ls -A "$TAP_TMPDIR/spill")" "" "... and removes its spill folder at the end"
[ "$RUN_STATUS" = 0 ] || diag "$(cat "$RUN_OUT" "$RUN_ERR" | tail -n 30)"

mkdir -p "$TAP_TMPDIR/api"
run_mpi 120 "$DASK_MPI_RUN" -n 4 "$client" api "$faults" 2 "$TAP_TMPDIR/api"
is "$RUN_STATUS" 0 "retries, restrictions, who-has, cancel, wait first-completed, as-completed, fire-and-forget"
is "$RUN_LEFTOVER" 0 "... and no process is left"
[ "$RUN_STATUS" = 0 ] || diag "$(cat "$RUN_OUT" "$RUN_ERR" | tail -n 30)"

export DASK_MPI_HEARTBEAT_TIMEOUT=3
run_mpi 60 "$DASK_MPI_RUN" -n 4 "$client" stall "$faults" 2
unset DASK_MPI_HEARTBEAT_TIMEOUT
ok "a worker that stops answering: the client's task fails naming it" \
    grep -q "stall error: task 'staller-1' (function stop_self) lost: worker rank [0-9]* on .* stopped answering" "$RUN_OUT"
isnt "$RUN_STATUS" 0 "... the job fails (status $RUN_STATUS)"
ok "... within 20 s (took $RUN_ELAPSED s)" awk "BEGIN { exit !($RUN_ELAPSED < 20) }"
is "$RUN_LEFTOVER" 0 "... and no process is left"

run_mpi 60 "$mpirun" -n 1 "$DASK_MPI_SCHEDULER" : -n 1 "$client" compute
isnt "$RUN_STATUS" 0 "a world of 2 ranks fails (status $RUN_STATUS)"
ok "... with a clear message" grep -q 'the MPI world has 2 ranks; dask-mpi needs at least 3' "$RUN_ERR" "$RUN_OUT"
is "$RUN_TIMED_OUT" 0 "... and does not hang"
is "$RUN_LEFTOVER" 0 "... and no process is left"
