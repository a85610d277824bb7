#!/bin/sh
# fake-role.sh ROLE [ARGS...]: stands in for a dask-mpi role in the launcher
# tests. It records what it was started as into $FAKE_OUT/rank.N, then
# exits: the client with $FAKE_CLIENT_STATUS, the others with 0, after
# sleeping $FAKE_ROLE_SLEEP seconds if set (a role that waits for the rest).
role=$1
shift
rank=${OMPI_COMM_WORLD_RANK:-${PMIX_RANK:-${PMI_RANK:-none}}}
out=${FAKE_OUT:?FAKE_OUT is not set}/rank.$rank
{
    echo "role=$role"
    echo "argc=$#"
    for arg in "$@"; do
        echo "arg=[$arg]"
    done
    env | grep '^DASK_MPI_\(NTHREADS\|MEMORY_LIMIT\|LOCAL_DIRECTORY\|LOG_LEVEL\)=' | sort
} >"$out.tmp" && mv "$out.tmp" "$out"
if [ "$role" = client ]; then
    exit "${FAKE_CLIENT_STATUS:-0}"
fi
[ -z "${FAKE_ROLE_SLEEP:-}" ] || sleep "$FAKE_ROLE_SLEEP"
exit 0
