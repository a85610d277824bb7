# Shell functions shared by the benchmark scripts in contrib/bench; sourced.
#
# bench_find_builddir DIR  sets BUILDDIR (DIR, else $DMPI_BUILDDIR, else the
#                          current directory if it holds bin/dask-mpi-scheduler)
# bench_mpirun ARGS...     runs mpirun with the flags this container needs,
#                          the same for dask-mpi and Python Dask
# bench_python             the Python that sees Debian's dask and mpi4py

bench_die () {
    echo "${0##*/}: $*" >&2
    exit 1
}

bench_find_builddir () {
    BUILDDIR=${1:-${DMPI_BUILDDIR:-}}
    if [ -z "$BUILDDIR" ]; then
        [ -x bin/dask-mpi-scheduler ] || bench_die "no build tree: pass --builddir DIR or set DMPI_BUILDDIR (the current directory has no bin/dask-mpi-scheduler)"
        BUILDDIR=.
    fi
    BUILDDIR=$(cd "$BUILDDIR" && pwd) || bench_die "--builddir $1: no such directory"
    for f in bin/dask-mpi-scheduler bin/dask-mpi-worker; do
        [ -x "$BUILDDIR/$f" ] || bench_die "$BUILDDIR/$f is missing: build the tree first (make)"
    done
}

MPIRUN=${DASK_MPI_MPIRUN:-mpirun}
PYTHON=${DMPI_BENCH_PYTHON:-/usr/bin/python3}

# More ranks than cores needs --oversubscribe; root needs --allow-run-as-root;
# yielding and no binding are what dask-mpi-run sets on an oversubscribed
# node. Both sides of a comparison run with exactly these flags.
bench_mpirun () {
    set -- --oversubscribe --bind-to none --mca mpi_yield_when_idle 1 "$@"
    [ "$(id -u)" = 0 ] && set -- --allow-run-as-root "$@"
    timeout -k 5 "${BENCH_TIMEOUT:-600}" "$MPIRUN" "$@"
}

# An MPMD launch of dask-mpi: scheduler, CLIENT ARGS..., NRANKS-2 workers.
bench_dmpi_run () {
    nranks=$1; shift
    bench_mpirun -n 1 "$BUILDDIR/bin/dask-mpi-scheduler" : -n 1 "$@" : -n $((nranks - 2)) "$BUILDDIR/bin/dask-mpi-worker"
}

bench_have_dask () {
    "$PYTHON" -c 'import distributed, mpi4py' 2>/dev/null
}

# Prints the value of KEY=VALUE's last occurrence in FILE.
bench_value () {
    sed -n "s/^$1=//p" "$2" | tail -n 1
}
