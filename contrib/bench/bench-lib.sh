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

# bench_nyctaxi_input SIZE_MB DIR GEN: generated 2015-schema taxi CSVs of
# SIZE_MB MiB in DIR (reused when DIR already holds that size), in files of
# at most 512 MiB (the real dataset is 12 monthly files of about 2 GB; what
# matters here is many 64 MB blocks), then read once so that every
# contender reads from a warm page cache and none is favoured by running
# second.
bench_nyctaxi_input () {
    _size=$1 _data=$2 _gen=$3
    _nfiles=$(( (_size + 511) / 512 ))
    _per=$(( _size / _nfiles ))
    if [ "$(cat "$_data/.size" 2>/dev/null)" != "$_size" ]; then
        rm -f "$_data"/*.csv "$_data/.size"
        echo "${0##*/}: generating $_size MiB in $_nfiles file(s) into $_data"
        _i=1
        while [ $_i -le $_nfiles ]; do
            _name=$(printf 'yellow_tripdata_2015-%02d.csv' $_i)
            "$_gen" --mb "$_per" --seed $_i -o "$_data/$_name" || bench_die "gen-nyctaxi failed"
            _i=$((_i + 1))
        done
        echo "$_size" >"$_data/.size"
    else
        echo "${0##*/}: reusing the $_size MiB input in $_data"
    fi
    du -sh "$_data" | sed "s/^/${0##*/}: input /"
    cat "$_data"/*.csv >/dev/null
}

# bench_rss_watch NAME FILE: in the background, the largest resident set
# (MB) of any process called NAME, written to FILE every 0.2 s until killed.
bench_rss_watch () {
    (
        _max=0
        while :; do
            for _kb in $(ps -C "$1" -o rss= 2>/dev/null); do
                [ "$_kb" -gt "$_max" ] && _max=$_kb
            done
            echo "$_max" | awk '{ printf "%.1f\n", $1 / 1024 }' >"$2"
            sleep 0.2
        done
    ) &
}

# bench_ratio A B: A / B with two decimals, empty if either is.
bench_ratio () {
    [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}
