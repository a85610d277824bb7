# nodes-lib.sh: for the tests on simulated nodes (contrib/fake-nodes).
# Source it after t/tap/tap.sh:
#
#     . "$top_srcdir/t/cluster/nodes-lib.sh"
#
# It skips the whole test where fake nodes cannot run, and gives:
#   $on_nodes NODES SLOTS -- CMD...  a program: CMD on this test's simulated
#                          nodes, named ${node}1, ${node}2, ... (this test's
#                          own names, so that another test's nodes are never
#                          counted), its run folders under $TAP_TMPDIR/runs
#   node_procs             "PID NODE NAME" of every live process of a node
#                          of this test (its environment says FAKE_NODE)
#   node_daemon NODE       the pid of NODE's Open MPI daemon (orted)

"$top_srcdir/contrib/fake-nodes" --check >fake-check.out 2>&1 || skip_all "$(tail -n 1 fake-check.out)"

node=dmpi-t$$-node
on_nodes=$TAP_TMPDIR/on-nodes
mkdir "$TAP_TMPDIR/runs"
cat >"$on_nodes" <<EOF
#!/bin/sh
TMPDIR='$TAP_TMPDIR/runs' exec '$top_srcdir/contrib/fake-nodes' --prefix '$node' "\$@"
EOF
chmod +x "$on_nodes"

node_procs () {
    grep -lzxE "FAKE_NODE=${node}[0-9]+" /proc/[0-9]*/environ 2>/dev/null \
        | sed 's|^/proc/\([0-9]*\)/environ$|\1|' | sort -n | while read -r _p; do
        case $(ps -o stat= -p "$_p" 2>/dev/null) in
            '' | Z*) continue ;;
        esac
        printf '%s %s %s\n' "$_p" "$(tr '\0' '\n' <"/proc/$_p/environ" 2>/dev/null | sed -n 's/^FAKE_NODE=//p')" \
            "$(cat "/proc/$_p/comm" 2>/dev/null)"
    done
}

node_daemon () {
    for _p in $(pgrep -x orted); do
        if tr '\0' '\n' <"/proc/$_p/environ" 2>/dev/null | grep -qx "FAKE_NODE=$1"; then
            echo "$_p"
            return
        fi
    done
}
