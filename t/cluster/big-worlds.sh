#!/bin/sh
# Worlds far larger than the machine: 16 and 32 ranks on 2 cores start, run a
# small job (test-client compute: a chain, a map, a reduction, scatter and
# gather, checked) and shut down cleanly: every worker joins and exits, the
# job exits 0, and no process is left.
#
# Time limits are about 3x the slowest run measured on the 2-core build
# machine under other load (16 ranks: 4-6 s; 32 ranks: 6-9 s).
. "$top_srcdir/t/tap/tap.sh"

client=$top_builddir/t/cluster/test-client
[ -x "$client" ] || skip_all "$client is not built (make check builds it)"
plan 14

# check_world RANKS LIMIT_S
check_world () {
    n=$1 limit=$2 workers=$(($1 - 2))
    run_mpi "$limit" "$DASK_MPI_RUN" -n "$n" "$client" compute x "$workers"
    is "$RUN_TIMED_OUT" 0 "$n ranks: done within ${limit} s (took $RUN_ELAPSED s)"
    is "$RUN_STATUS" 0 "$n ranks: the job succeeds"
    ok "$n ranks: all $workers workers connected" grep -qx "connected: $workers workers" "$RUN_OUT"
    ok "$n ranks: every check of the job passed" grep -q '^all checks passed' "$RUN_OUT"
    is "$(grep -c 'worker exits: the scheduler says shut down' "$RUN_ERR")" "$workers" \
        "$n ranks: every worker says it exits on the scheduler's word"
    ok "$n ranks: the scheduler exits" grep -q 'scheduler exits:' "$RUN_ERR"
    is "$RUN_LEFTOVER" 0 "$n ranks: no process is left"
    [ "$RUN_STATUS" = 0 ] || diag "$(cat "$RUN_OUT" "$RUN_ERR" | tail -n 30)"
}

check_world 16 20
check_world 32 60
