#!/bin/sh
# shellcheck disable=SC2086,SC2046 # lists of cases split into words on purpose
# The public data-frame API's verbs on a whole cluster (dask-mpi-run -n 4):
# t/frame/frame-client runs each case (a reader, verbs, a terminal verb) and
# writes its result as CSV; t/frame/pandas_ref.py computes the same with
# pandas on the same input and compares (floats to a relative 1e-9, float32
# values exactly, integers, strings and timestamps exactly, rows in order).
# Inputs: gen-nyctaxi's taxi CSVs (two files, the rate code spelled both
# ways) and hand-made CSVs with missing values, NaN, quotes, NA strings,
# non-ASCII text and timestamps, read in small blocks (several partitions
# each). Three cluster runs, several cases each.
. "$top_srcdir/t/tap/tap.sh"
. "$top_srcdir/t/frame/frame-lib.sh"

need_pandas
[ -x "$client" ] || skip_all "$client is not built"

# Known bugs of the frame layer, "CASE|WHAT" a line: their test points are
# marked TODO (the suite stays green while the bug shows); so is the status
# of a run that holds one of $breaks_run, whose bug fails the whole run.
todo=''
breaks_run=''

rows_cases='read_csv.inferred read_csv.typed read_csv.taxi read_csv.usecols read_csv.alias read_csv.noheader
read_csv.semicolon read_csv.quote read_csv.na select drop rename.plain rename.filter filter.chained filter.ne
filter.not filter.string filter.timestamp filter.float32 filter.isnull filter.bool filter.after_assign
assign.arith assign.floordiv assign.datetime assign.duration assign.strings assign.where assign.replace
assign.casts fillna.all fillna.cols fillna.float fillna.str astype compute.empty filter.ranges'
agg_cases='map_partitions.meta map_partitions.inferred map_partitions.then head.small head.span head.all len
persist.group persist.assign persist.head persist.len groupby_agg.ops groupby_agg.keys2 groupby_agg.boolkey
groupby_agg.taxi groupby_agg.then agg reduce.count reduce.sum reduce.mean reduce.min reduce.max reduce.std reduce.var
value_counts.grp value_counts.taxi'
write_cases='to_parquet to_parquet.duckdb read_parquet.all read_parquet.subset read_parquet.verbs to_csv to_csv.parts'
count () { set -- $1; echo $#; }
# A run: 3 points (status, leftovers, schemas) and its cases; then 6 facts.
plan $((9 + $(count "$rows_cases") + $(count "$agg_cases") + $(count "$write_cases") + 6))

mkdir data out
"$python" "$pandas_ref" gen data || bail_out "pandas_ref.py gen failed"
mkdir data/taxi
"$gen_nyctaxi" --rows 3000 --seed 11 --out data/taxi/a.csv &&
    "$gen_nyctaxi" --rows 2000 --seed 12 --ratecode-spelling RatecodeID --out data/taxi/b.csv ||
    bail_out "gen-nyctaxi failed"

# fact CASE KEY: what frame-client said of a case.
fact () { sed -n "s/^fact $1 $2 //p" "$RUN_OUT" | head -n 1; }

# run_client NAME CASES SCENARIO...: one cluster run; its status (TODO when
# one of CASES breaks runs), leftovers and schemas as test points.
run_client () {
    _what=$1
    _todo=
    for _c in $2; do
        case " $breaks_run " in *" $_c "*) _todo="$_todo $_c" ;; esac
    done
    [ -z "$_todo" ] || _todo=" # TODO bug: see$_todo"
    shift 2
    run_mpi 120 "$DASK_MPI_RUN" -n 4 "$client" --data data --out out --module "$module" "$@"
    is "$RUN_STATUS" 0 "$_what: every case runs (dask-mpi-run -n 4, $RUN_ELAPSED s)$_todo" ||
        { grep '^error ' "$RUN_ERR" | head -n 20 | while IFS= read -r _l; do diag "$_l"; done; show_run 10; }
    is "$RUN_LEFTOVER" 0 "$_what: no process is left"
    _bad=$(grep '^fact [^ ]* schema ' "$RUN_OUT" | grep -v ' schema ok$')
    _n=$(grep -c '^fact [^ ]* schema ok$' "$RUN_OUT")
    ok "$_what: every computed table has the schema its frame declared ($_n tables)" \
        test -z "$_bad" -a "$_n" -gt 0 || diag "$_bad"
}

# compare CASE...: pandas_ref.py's verdicts as test points.
compare () {
    "$python" "$pandas_ref" verbs data out "$@" >ref.out 2>ref.err || diag_file ref.err
    relay ref.out "$@"
}

# ---- readers and row-wise verbs -------------------------------------------------------
run_client "readers and row verbs" "$rows_cases" read_csv select drop rename filter assign fillna astype compute
compare $rows_cases
parts_mixed=$(fact read_csv.inferred partitions)
parts_taxi=$(fact read_csv.taxi partitions)
ok "mixed.csv is read in several partitions ($parts_mixed)" test "${parts_mixed:-0}" -ge 5
ok "the taxi folder is read in several partitions ($parts_taxi)" test "${parts_taxi:-0}" -ge 5

# ---- map_partitions, head, len, persist, group-by, reductions --------------------------
run_client "map_partitions, head, persist, group-by" "$agg_cases" map_partitions head len persist groupby_agg \
    agg reduce value_counts
compare $agg_cases
set -- $(fact persist partitions)
ok "persist keeps the partitions (${1:-?} -> ${2:-?})" test "${1:-0}" -ge 5 -a "${1:-0}" = "${2:-}"
parts_gtaxi=$(fact groupby_agg.taxi partitions)
ok "the taxi group-by is one partition ($parts_gtaxi) of a tree over more than 8" \
    test "${parts_gtaxi:-0}" = 1 -a "${parts_taxi:-0}" -gt 8

# ---- writers, and the reader of their output ----------------------------------------------
run_client "to_parquet, read_parquet, to_csv" "$write_cases" to_parquet read_parquet to_csv
if have_duckdb; then
    # shellcheck disable=SC2046 # one argument a part file
    duckdb_dump out/to_parquet.duckdb $(parts out/pq parquet)
    compare $write_cases
else
    skip "DuckDB (node, $node_cache/node_modules/@duckdb/node-api) is not there" 2
    compare read_parquet.all read_parquet.subset read_parquet.verbs to_csv to_csv.parts
fi
n_pq=$(parts out/pq parquet | wc -l)
written () { test "$n_pq" = "$(fact to_parquet partitions)" && test "$n_pq" -ge 5 && all_whole out/pq parquet; }
ok "to_parquet writes a part per partition ($n_pq of $(fact to_parquet partitions)), each complete" written
parts_rg=$(fact read_parquet.all partitions)
ok "read_parquet reads a partition per row group (7 rows each: $parts_rg > $n_pq files)" \
    test "${parts_rg:-0}" -gt "$n_pq"
