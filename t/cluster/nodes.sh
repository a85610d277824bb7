#!/bin/sh
# The cluster over 3 simulated nodes (contrib/fake-nodes): workers on
# different nodes name their nodes (their own tasks, the scheduler's log,
# /json/workers); a result crosses from one node to another intact; each
# worker's default memory limit is its own node's share; the dashboard is
# served from the scheduler's node and reached at the printed address; the
# reference job writes the same bytes as on one node; --host reaches
# mpirun; and at the end no process is left on any node.
. "$top_srcdir/t/tap/tap.sh"

client=$top_builddir/t/cluster/test-client
faults=$top_builddir/t/cluster/.libs/faults-module.so
prog=$top_builddir/bin/dask-mpi-prep-nyctaxi
sample=$top_srcdir/contrib/nyctaxi/sample
py=/usr/bin/python3
[ -x "$client" ] || skip_all "$client is not built"
[ -e "$faults" ] || skip_all "$faults is not built"
[ -x "$py" ] || skip_all "no /usr/bin/python3"
. "$top_srcdir/t/cluster/nodes-lib.sh"
plan 31

http () { "$py" "$top_srcdir/t/cluster/dashboard/http.py" "$@"; }
show_run () { diag "exit $RUN_STATUS"; diag_file "$RUN_OUT" 15; diag_file "$RUN_ERR" 15; }

# ---- the test client: 3 nodes of 3 slots, 7 ranks ---------------------------------
# Node 1: the scheduler, the client and worker 2; node 2: workers 3-5;
# node 3: worker 6.
mkdir live
run_mpi_bg 120 "$on_nodes" 3 3 -- "$DASK_MPI_RUN" -n 7 --dashboard-address :0 \
    "$client" nodes "$faults" 5 "$TAP_TMPDIR/live"
i=0
while [ ! -s live/address ] && [ $i -lt 600 ]; do
    if [ -z "$RUN_PID" ] || ! kill -0 "$RUN_PID" 2>/dev/null; then break; fi
    sleep 0.1
    i=$((i + 1))
done
addr=$(cat live/address 2>/dev/null)
ok "the client on the nodes prints the dashboard address ($addr)" test -n "$addr"
host=${addr%:*}
port=${addr##*:}
like "$host" "[0-9]*.[0-9]*.[0-9]*.[0-9]*" "... an IPv4 address"
ok "... the node's cluster address, not the loopback" sh -c "case '$host' in 127.*) exit 1 ;; esac"
# The scheduler's node: the process that listens on the port is on node 1.
if command -v ss >/dev/null 2>&1; then
    listener=$(ss -Hltnp "sport = :$port" 2>/dev/null | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n 1)
    is "$(node_procs | awk -v p="$listener" '$1 == p { print $2 " " $3 }')" "${node}1 dask-mpi-schedu" \
        "... where the scheduler on node 1 listens"
else
    skip "no ss (iproute2) to see who listens" 1
fi
is "$(http "$addr" get /health health.txt):$(cat health.txt 2>/dev/null)" "200:ok" "GET /health at the printed address: 200 ok"
is "$(http "$addr" get /json/workers workers.json)" 200 "GET /json/workers: 200"
hosts=$("$py" -c 'import json, sys
for w in sorted(json.load(open(sys.argv[1])), key=lambda w: w["rank"]):
    print(w["rank"], w["host"], w["memory_limit"])' workers.json 2>/dev/null)
is "$(echo "$hosts" | cut -d' ' -f1-2 | tr '\n' ,)" "2 ${node}1,3 ${node}2,4 ${node}2,5 ${node}2,6 ${node}3," \
    "... names each worker's node"
# Memory: the node's (or its control group's limit) shared among the
# workers on that node: 1, 3 and 1 of them.
memtotal=$(awk '/^MemTotal:/ { printf "%.0f", $2 * 1024 }' /proc/meminfo)
ok "... and each worker's default memory limit is its node's memory over the workers there (1, 3, 1)" \
    "$py" -c 'import sys
lim = {int(r): int(m) for r, _, m in (l.split() for l in sys.argv[1].splitlines())}
whole = lim[2]
sys.exit(not (0 < whole <= int(sys.argv[2]) and lim[6] == whole
              and all(lim[r] == int(whole / 3) for r in (3, 4, 5))))' "$hosts" "$memtotal" \
    || diag "$hosts"
# What "no process left on any node" looks at, seen while the job runs.
is "$(node_procs | awk '$3 == "orted" { print $2 }' | sort | tr '\n' ,)" "${node}1,${node}2,${node}3," \
    "while the job runs, a daemon runs on each node"
touch live/stop
run_mpi_wait
is "$RUN_STATUS" 0 "the job succeeds" || show_run
ok "... every check of the client passed" grep -q '^all checks passed' "$RUN_OUT"
is "$(sed -n 's/^worker rank \([0-9]*\) on /\1 /p' "$RUN_OUT" | tr '\n' ,)" \
    "2 ${node}1,3 ${node}2,4 ${node}2,5 ${node}2,6 ${node}3," \
    "each worker's task reports its node's host name: 3 different nodes"
ok "a 5 MB result made on node 1 is checked byte by byte on node 2, and a result goes back" \
    grep -q "^moved 5000000 bytes from rank 2 on ${node}1 to rank 3 on ${node}2, and back a result\$" "$RUN_OUT"
ok "the scheduler's log names its node" grep -q "scheduler on ${node}1, rank 0 of 7" "$RUN_ERR"
ok "... the client's" grep -q "client connected from ${node}1 (rank 1)" "$RUN_ERR"
ok "... each worker's" sh -c "grep -c 'worker rank [2-6] joined from ${node}[1-3]:' '$RUN_ERR' | grep -qx 5"
ok "... and the workers by node" \
    grep -q "all 5 workers joined, on 3 nodes: ${node}1: rank 2; ${node}2: ranks 3, 4, 5; ${node}3: rank 6\$" "$RUN_ERR"
is "$RUN_LEFTOVER" 0 "shutdown: no process left" || show_run
is "$(node_procs)" "" "... on any node"
is "$(ls -A runs)" "" "... and no run folder"

# ---- the reference job on 3 nodes writes what it writes on one ----------------------
run_mpi 120 "$DASK_MPI_RUN" -n 4 "$prog" --nyc_taxi_dataset "$sample" --output_folder one --blocksize 65536
is "$RUN_STATUS" 0 "dask-mpi-prep-nyctaxi on one node succeeds" || show_run
run_mpi 120 "$on_nodes" 3 2 -- "$DASK_MPI_RUN" -n 6 "$prog" --nyc_taxi_dataset "$sample" --output_folder three --blocksize 65536
is "$RUN_STATUS" 0 "... and on 3 nodes (4 workers on nodes 2 and 3)" || show_run
ok "... its workers on both nodes wrote parts" \
    sh -c "grep -q '^  rank [23] (${node}2): [1-9]' '$RUN_OUT' && grep -q '^  rank [45] (${node}3): [1-9]' '$RUN_OUT'"
nparts=$(find one -name 'part.*.parquet' | wc -l)
ok "... the same part files ($nparts)" sh -c "test $nparts -gt 3 && test \"\$(ls one)\" = \"\$(ls three)\""
same=0
for f in one/part.*.parquet; do
    cmp -s "$f" "three/${f#one/}" && same=$((same + 1))
done
is "$same" "$nparts" "... byte for byte"
is "$RUN_LEFTOVER:$(node_procs)" "0:" "... and no process is left on any node"

# ---- --host: one rank on each node ---------------------------------------------------
run_mpi 120 "$on_nodes" 3 2 -- "$DASK_MPI_RUN" --host "${node}1:1,${node}2:1,${node}3:1" "$client" compute x 1
is "$RUN_STATUS" 0 "dask-mpi-run --host: one rank per host given (no -n)" || show_run
ok "... the client runs on node 2" grep -q "client connected from ${node}2 (rank 1)" "$RUN_ERR"
ok "... the worker on node 3" grep -q "worker rank 2 joined from ${node}3:" "$RUN_ERR"
ok "... every check passed" grep -q '^all checks passed' "$RUN_OUT"
is "$RUN_LEFTOVER:$(node_procs)" "0:" "... and no process is left on any node"
