#!/bin/sh
# A node lost in the middle of a job, on simulated nodes (contrib/fake-nodes):
# its Open MPI daemon is killed (SIGKILL). The job must end within 10 s with
# a non-zero status; mpirun names the node, the scheduler the ranks that were
# there; no process may be left on any node; and no part file of the
# reference job may stand incomplete under its final name.
. "$top_srcdir/t/tap/tap.sh"

busy=$top_builddir/t/cluster/dashboard/busy-client
prog=$top_builddir/bin/dask-mpi-prep-nyctaxi
gen=$top_builddir/contrib/nyctaxi/gen-nyctaxi
[ -x "$busy" ] || skip_all "$busy is not built"
[ -x "$prog" ] || skip_all "$prog is not built"
[ -x "$gen" ] || skip_all "$gen is not built"
. "$top_srcdir/t/cluster/nodes-lib.sh"
plan 17

show_run () { diag "exit $RUN_STATUS"; diag_file "$RUN_OUT" 15; diag_file "$RUN_ERR" 25; }

# wait_for CONDITION...: until the shell condition holds (30 s at most)
# or the job ended.
wait_for () {
    _i=0
    until eval "$*"; do
        if [ $_i -ge 300 ] || [ -z "$RUN_PID" ] || ! kill -0 "$RUN_PID" 2>/dev/null; then
            return 1
        fi
        sleep 0.1
        _i=$((_i + 1))
    done
}

# lose NODE: SIGKILL to NODE's daemon, then wait for the job; sets took
# (seconds from the kill to the end of the job).
lose () {
    _daemon=$(node_daemon "$1")
    ok "$2: $1's daemon is running (pid ${_daemon:-none})" test -n "$_daemon"
    _t0=$(date +%s.%N)
    [ -z "$_daemon" ] || kill -KILL "$_daemon"
    run_mpi_wait
    took=$(echo "$_t0 $(date +%s.%N)" | awk '{ printf "%.1f", $2 - $1 }')
}

# ---- workers' node lost while they run tasks ------------------------------------------
# 3 nodes of 2 slots: the scheduler and the client on node 1, workers 2-3 on
# node 2, workers 4-5 on node 3. The client runs rounds of sleep tasks.
mkdir busy
run_mpi_bg 120 "$on_nodes" 3 2 -- "$DASK_MPI_RUN" -n 6 --dashboard-address none "$busy" "$TAP_TMPDIR/busy" 100 4
wait_for '[ -s busy/rounds ]'
lose "${node}2" "workers' node"
isnt "$RUN_STATUS" 0 "workers' node lost: the job fails (status $RUN_STATUS)"
ok "... within 10 s (took $took s)" awk "BEGIN { exit !($took < 10) }"
ok "... mpirun names the node" grep -q "Remote daemon: .* on node ${node}2\$" "$RUN_ERR" || show_run
# The scheduler logs the workers by node when all have joined, and again
# when SIGTERM stops it (unless Open MPI has already ended it for a peer
# that is gone).
ok "... the scheduler's log names the ranks that were on it" \
    grep -q "scheduler\[0\] .*: ${node}2: ranks 2, 3; ${node}3: ranks 4, 5\$" "$RUN_ERR" || show_run
grep -q "stopped by SIGTERM: .* the workers by node were: ${node}2: ranks 2, 3; ${node}3: ranks 4, 5\$" "$RUN_ERR" \
    && diag "the scheduler was stopped by SIGTERM and said so"
is "$RUN_LEFTOVER" 0 "... no process is left"
is "$(node_procs)" "" "... on any node"
is "$(ls -A runs)" "" "... and no run folder"

# ---- the scheduler's and client's node lost while the job writes ------------------------
# About 500 MB of input (10 MB generated, hard-linked as 48 files) in 1 MB
# blocks: some 530 parts, several seconds of writing.
mkdir in
"$gen" --mb=10 -o in/yellow_tripdata_2015-01.csv
for m in $(seq 2 48); do
    ln in/yellow_tripdata_2015-01.csv "in/yellow_tripdata_2015-$m.csv"
done
run_mpi_bg 120 "$on_nodes" 3 2 -- "$DASK_MPI_RUN" -n 6 "$prog" --nyc_taxi_dataset in --output_folder out --blocksize 1000000
wait_for 'ls out/part.*.parquet >/dev/null 2>&1'
before=$(find out -maxdepth 1 -name 'part.*.parquet' 2>/dev/null | wc -l)
lose "${node}1" "the scheduler's node"
isnt "$RUN_STATUS" 0 "the scheduler's and client's node lost while parts are written ($before then): the job fails (status $RUN_STATUS)"
ok "... within 10 s (took $took s)" awk "BEGIN { exit !($took < 10) }"
ok "... mpirun names the node" grep -q "Remote daemon: .* on node ${node}1\$" "$RUN_ERR" || show_run
ok "... the job does not claim success" sh -c "! grep -q '^done' '$RUN_OUT'"
is "$RUN_LEFTOVER" 0 "... no process is left"
is "$(node_procs)" "" "... on any node"
# A whole Parquet file begins and ends with PAR1 (Python reads hundreds of
# them at once; the shell needs two processes a file).
if [ -x /usr/bin/python3 ]; then
    incomplete=$(/usr/bin/python3 -c 'import glob, os, sys
for f in sorted(glob.glob(os.path.join(sys.argv[1], "part.*.parquet"))):
    with open(f, "rb") as h:
        head = h.read(4)
        h.seek(max(os.path.getsize(f) - 4, 0))
        if head != b"PAR1" or h.read(4) != b"PAR1":
            print(os.path.basename(f))' out)
else
    incomplete=$(for f in out/part.*.parquet; do
        [ -e "$f" ] || continue
        [ "$(head -c 4 "$f")" = PAR1 ] && [ "$(tail -c 4 "$f")" = PAR1 ] || echo "${f#out/}"
    done)
fi
is "$incomplete" "" "... every part.N.parquet is whole ($(find out -name 'part.*.parquet' | wc -l) written)"
temps=$(find out -maxdepth 1 -name '.part.*' | wc -l)
[ "$temps" -eq 0 ] || diag "temporaries left by ranks killed outright: $temps (the next run over the folder removes them)"
is "$(ls -A runs)" "" "... and no run folder"
