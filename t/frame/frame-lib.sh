# frame-lib.sh: what the tests in t/frame/ share. Source it after tap.sh.

frame_src=$top_srcdir/t/frame
client=$top_builddir/t/frame/frame-client
module=$top_builddir/t/frame/.libs/frame-module.so
gen_nyctaxi=$top_builddir/contrib/nyctaxi/gen-nyctaxi
pandas_ref=$frame_src/pandas_ref.py
python=${DMPI_PYTHON:-/usr/bin/python3}
node_cache=${DMPI_NODE_CACHE:-/var/cache/dask-mpi-node}

# need_pandas: the test compares with pandas; without it the whole file is
# skipped, or fails when CI=true (CI must run it).
need_pandas () {
    "$python" -c 'import numpy, pandas' 2>/dev/null && return 0
    if [ "${CI:-}" = true ]; then
        plan 1
        fail "$python can import pandas (CI=true: this test must run)"
        exit 1
    fi
    skip_all "$python cannot import pandas"
}

# have_duckdb: node and DuckDB's package (@duckdb/node-api) are there.
have_duckdb () {
    command -v node >/dev/null 2>&1 && [ -d "$node_cache/node_modules/@duckdb/node-api" ]
}

# duckdb_dump PREFIX ARGS...: duckdb-dump.mjs (Parquet files, or --sql
# QUERY CSV...) to PREFIX.csv, .types, .rows; its error as diagnostics.
duckdb_dump () {
    _prefix=$1
    shift
    timeout -k 5 120 node "$frame_src/duckdb-dump.mjs" "$node_cache" "$_prefix" "$@" >"$_prefix.err" 2>&1 ||
        { diag "duckdb-dump $_prefix failed:"; diag_file "$_prefix.err" 5; }
}

# parts DIR EXT: DIR/part.N.EXT in N order, one a line.
parts () {
    find "$1" -maxdepth 1 -name "part.*.$2" -printf '%f\n' | sort -t . -k 2,2n | sed "s|^|$1/|"
}

# todo_for NAME: " # TODO bug: ..." when $todo (lines "NAME|WHY") lists NAME.
todo_for () {
    printf '%s\n' "${todo:-}" | awk -F '|' -v n="$1" '$1 == n { printf " # TODO bug: %s", $2; exit }'
}

# relay FILE NAME...: a test point per NAME from FILE's "ok NAME" or
# "not ok NAME" line (pandas_ref.py's), with the "# " lines after a failure
# as diagnostics; a NAME that FILE does not mention fails.
relay () {
    _file=$1
    shift
    for _name in "$@"; do
        _todo=$(todo_for "$_name")
        if grep -qxF "ok $_name" "$_file"; then
            pass "$_name$_todo"
        else
            fail "$_name$_todo"
            grep -qxF "not ok $_name" "$_file" || diag "no result for $_name"
            awk -v n="not ok $_name" '$0 == n { p = 1; next } p && /^#/ { print; next } { p = 0 }' "$_file"
        fi
    done
}

# all_whole DIR EXT: every DIR/part.N.EXT is whole (Parquet: PAR1 at both
# ends) and no temporary (a hidden file) is left in DIR.
all_whole () {
    for _f in "$1"/part.*."$2"; do
        [ -e "$_f" ] || continue
        [ "$2" != parquet ] || { [ "$(head -c 4 "$_f")" = PAR1 ] && [ "$(tail -c 4 "$_f")" = PAR1 ]; } ||
            { diag "incomplete: $_f"; return 1; }
    done
    [ -z "$(find "$1" -maxdepth 1 -name '.*' ! -name . 2>/dev/null)" ] ||
        { diag "temporaries left in $1: $(find "$1" -maxdepth 1 -name '.*' ! -name .)"; return 1; }
}

show_run () {
    diag "exit $RUN_STATUS after $RUN_ELAPSED s"
    diag_file "$RUN_OUT" "${1:-15}"
    diag_file "$RUN_ERR" "${1:-15}"
}
