#!/bin/sh
# shellcheck disable=SC2016 # the snippets in single quotes expand in the ranks
# contrib/fake-nodes: Open MPI's ranks spread over simulated nodes, each
# process seeing its node's host name; the command's exit status; signals
# reach the command; nothing is left behind (processes, the run's folder);
# clear refusals (usage, no namespaces, a node name that resolves); the
# unprivileged form (a user namespace) when run as root.
. "${top_srcdir:?top_srcdir is not set}/t/tap/tap.sh"

fake=$top_srcdir/contrib/fake-nodes
mpirun=${DASK_MPI_MPIRUN:-mpirun}
command -v "$mpirun" >/dev/null 2>&1 || skip_all "no mpirun ($mpirun)"
plan 27

# ---- usage: no namespace needed ------------------------------------------------
like "$("$fake" --help)" "Usage: fake-nodes *NODES SLOTS_PER_NODE*--check*" "--help shows the usage"
for args in "0 2 -- true" "3 x -- true" "3 2" "3 2 --" "--prefix bad.name 3 2 true" "--bogus 3 2 true"; do
    # shellcheck disable=SC2086 # the words of the case
    "$fake" $args >usage.out 2>&1
    like "$?:$(cat usage.out)" "2:fake-nodes: *Try 'fake-nodes --help'." "'$args': a usage error (2)"
done

# Where no namespace can be had: an unshare that always fails.
mkdir nons
printf '#!/bin/sh\necho "unshare: unshare failed: Operation not permitted" >&2\nexit 1\n' >nons/unshare
chmod +x nons/unshare
PATH=$TAP_TMPDIR/nons:$PATH "$fake" --check >nons.out 2>&1
like "$?:$(cat nons.out)" "1:fake-nodes: cannot simulate nodes here: it needs root or unprivileged user namespaces (*Operation not permitted*" \
    "no namespaces: --check says why (exit 1)"
PATH=$TAP_TMPDIR/nons:$PATH "$fake" 2 1 -- touch ran >/dev/null 2>&1
is "$?:$(test -e ran && echo ran)" "1:" "... and a run refuses without running the command"

if ! "$fake" --check >check.out 2>&1; then
    skip "$(cat check.out)" 18
    exit 0
fi
pass "--check: $(cat check.out)"

# A node name that resolves would make mpirun run that node itself.
mkdir resolves
printf '#!/bin/sh\necho "192.0.2.7       $2"\n' >resolves/getent
chmod +x resolves/getent
PATH=$TAP_TMPDIR/resolves:$PATH "$fake" 2 1 -- touch ran >resolves.out 2>&1
like "$?:$(cat resolves.out)" "1:fake-nodes: the node name dmpi-fake-node1 resolves (192.0.2.7); choose another with --prefix" \
    "a node name that resolves: refused, naming it"
ok "... without running the command" test ! -e ran

# ---- ranks over nodes ------------------------------------------------------------
# The run's folder goes under TMPDIR: it must be gone at the end.
mkdir runs
where='echo "$OMPI_COMM_WORLD_RANK $(hostname)" | grep " $FAKE_NODE\$"'
TMPDIR=$TAP_TMPDIR/runs run_mpi 60 "$fake" 3 2 -- "$mpirun" -n 6 sh -c "$where"
is "$RUN_STATUS" 0 "3 nodes of 2 slots, mpirun -n 6: succeeds" || diag_file "$RUN_ERR"
is "$(sort -n "$RUN_OUT" | tr '\n' ,)" \
    "0 dmpi-fake-node1,1 dmpi-fake-node1,2 dmpi-fake-node2,3 dmpi-fake-node2,4 dmpi-fake-node3,5 dmpi-fake-node3," \
    "... ranks 0-1 on node 1, 2-3 on node 2, 4-5 on node 3, each seeing its node's host name (and FAKE_NODE)"
is "$RUN_LEFTOVER" 0 "... no process left behind"
is "$(ls -A runs)" "" "... and the run's folder is removed"

TMPDIR=$TAP_TMPDIR/runs run_mpi 60 "$fake" --prefix fn-test-host 2 1 -- "$mpirun" -n 2 sh -c "$where"
is "$(sort -n "$RUN_OUT" | tr '\n' ,)" "0 fn-test-host1,1 fn-test-host2," "--prefix names the nodes"

# Each node has its own process namespace, so that a node whose daemon is
# killed loses every process, as a machine that goes down does.
run_mpi 30 "$fake" 2 1 -- "$mpirun" -n 2 readlink /proc/self/ns/pid
ours=$(readlink /proc/self/ns/pid)
is "$(sort -u "$RUN_OUT" | grep -cv "^$ours\$")" 2 "each node has a process namespace of its own" || diag_file "$RUN_OUT"

run_mpi 30 "$fake" 2 1 -- sh -c 'echo "$FAKE_NODES|$OMPI_MCA_btl_tcp_if_include|$OMPI_MCA_oob_tcp_if_include"; exit 7'
is "$RUN_STATUS" 7 "the exit status is the command's (7)"
is "$(cat "$RUN_OUT")" "dmpi-fake-node1 dmpi-fake-node2|lo|lo" "the command gets FAKE_NODES and loopback-only TCP"

# A signal to fake-nodes alone reaches the command.
up='touch "$0.$OMPI_COMM_WORLD_RANK"; exec sleep 60'
TMPDIR=$TAP_TMPDIR/runs run_mpi_bg 60 "$fake" 2 1 -- "$mpirun" -n 2 sh -c "$up" "$TAP_TMPDIR/up"
i=0
while [ ! -e up.0 ] || [ ! -e up.1 ]; do
    [ $i -lt 300 ] || break
    sleep 0.1
    i=$((i + 1))
done
ok "a job of 2 nodes is up" test -e up.0 -a -e up.1
[ -z "$RUN_PID" ] || kill -TERM "$RUN_PID"
run_mpi_wait
isnt "$RUN_STATUS" 0 "SIGTERM to fake-nodes ends the job (status $RUN_STATUS)"
ok "... at once (${RUN_ELAPSED}s)" awk "BEGIN { exit !($RUN_ELAPSED < 20) }"
is "$RUN_LEFTOVER" 0 "... leaving no process"
is "$(ls -A runs)" "" "... and no folder"

# ---- without root: a user namespace --------------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
    skip "not root: the test already ran unprivileged" 2
elif ! command -v setpriv >/dev/null 2>&1; then
    skip "no setpriv to drop root" 2
elif ! (cd / && setpriv --reuid=65534 --regid=65534 --clear-groups "$fake" --check) >user.out 2>&1; then
    skip "user namespaces are not allowed here: $(cat user.out)" 2
else
    like "$(cat user.out)" "*with unshare --user --map-root-user --uts*" "as nobody: a user namespace"
    # Not under the test's folder, which nobody may not enter.
    run_mpi 60 sh -c 'cd / && exec setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=/ TMPDIR=/tmp "$@"' \
        sh "$fake" 2 1 -- "$mpirun" -n 2 sh -c "$where"
    is "$RUN_STATUS:$(sort -n "$RUN_OUT" | tr '\n' ,)" "0:0 dmpi-fake-node1,1 dmpi-fake-node2," \
        "... 2 nodes run as nobody" || diag_file "$RUN_ERR"
fi
