#!/bin/sh
# dask-mpi-prep-nyctaxi on a whole cluster (dask-mpi-run -n 4): the committed
# sample, its output checked value by value by DuckDB against the job's
# semantics in SQL, block splitting, stale parts, bad input, the man page.
. "$top_srcdir/t/tap/tap.sh"

prog=$top_builddir/bin/dask-mpi-prep-nyctaxi
sample=$top_srcdir/contrib/nyctaxi/sample
check=$top_srcdir/t/cluster/nyctaxi/check.mjs
cache=${DMPI_NODE_CACHE:-/var/cache/dask-mpi-node}
[ -x "$prog" ] || skip_all "$prog is not built"

# job TIMEOUT ARGS...: the job on 4 ranks (2 workers).
job () {
    _limit=$1
    shift
    run_mpi "$_limit" "$DASK_MPI_RUN" -n 4 "$prog" "$@"
}
# nparts DIR: how many part.N.parquet files DIR holds.
nparts () { find "$1" -maxdepth 1 -name 'part.*.parquet' 2>/dev/null | wc -l; }
# complete DIR: every part file there is a whole Parquet file (PAR1 at both
# ends) and no temporary is left.
complete () {
    for _f in "$1"/part.*.parquet; do
        [ -e "$_f" ] || continue
        [ "$(head -c 4 "$_f")" = PAR1 ] && [ "$(tail -c 4 "$_f")" = PAR1 ] || { diag "incomplete: $_f"; return 1; }
    done
    [ -z "$(find "$1" -maxdepth 1 -name '.*' ! -name . 2>/dev/null)" ] || { diag "temporaries left in $1"; return 1; }
}
value () { sed -n "s/^$1: \([0-9]*\).*/\1/p" "$RUN_OUT" | head -n 1; }
show_run () { diag "exit $RUN_STATUS"; diag_file "$RUN_OUT" 15; diag_file "$RUN_ERR" 15; }
have_duckdb=no
if command -v node >/dev/null 2>&1 && [ -d "$cache/node_modules/@duckdb/node-api" ]; then
    have_duckdb=yes
elif command -v npm >/dev/null 2>&1 && mkdir -p "$cache" 2>/dev/null &&
     (cd "$cache" && timeout -k 5 300 npm install --no-audit --no-fund --silent @duckdb/node-api) >/dev/null 2>&1; then
    have_duckdb=yes
fi
# duckdb_check OUT NPARTS: check.mjs's test points become ours.
duckdb_check () {
    if [ $have_duckdb = no ]; then
        skip "DuckDB (@duckdb/node-api) cannot be had" 5
        return
    fi
    timeout -k 5 300 node "$check" "$cache" "$1" "$2" "$sample"/yellow_tripdata_2015-01.csv \
        "$sample"/yellow_tripdata_2015-02.csv.gz "$sample"/yellow_tripdata_2015-03.csv >check.out 2>&1
    _n=0
    while IFS= read -r _line; do
        case $_line in
            'ok '*) pass "$3: ${_line#* - }"; _n=$((_n + 1)) ;;
            'not ok '*) fail "$3: ${_line#* - }"; _n=$((_n + 1)) ;;
            '#'*) echo "$_line" ;;
        esac
    done <check.out
    [ $_n -eq 5 ] || { fail "$3: check.mjs ran its 5 checks (ran $_n)"; diag_file check.out; }
}

plan 62

# ---- the sample ---------------------------------------------------------------
job 120 --nyc_taxi_dataset "$sample" --output_folder out
is "$RUN_STATUS" 0 "the job on the sample succeeds" || show_run
is "$RUN_LEFTOVER" 0 "... and leaves no process"
is "$(nparts out)" 3 "... and writes part.0..2.parquet (one per file: the files are under 64 MB)"
ok "... every part file is complete" complete out
ok "... prints the dataset folder" grep -q "^dataset: $sample\$" "$RUN_OUT"
ok "... and each file found" grep -q "^  $sample/yellow_tripdata_2015-02.csv.gz (.*, 1 partition)\$" "$RUN_OUT"
ok "... and the output folder" grep -q '^output: out$' "$RUN_OUT"
ok "... and the cluster" grep -q '^cluster: 2 workers, 2 threads, ' "$RUN_OUT"
ok "... and the first 5 rows of the input" sh -c "grep -A 6 '^first 5 rows of $sample/yellow_tripdata_2015-01.csv:' '$RUN_OUT' | tail -n 6 | grep -c '^ ' | grep -qx 6"
ok "... and the progress (stderr)" grep -q '^partitions: 3/3 done' "$RUN_ERR"
ok "... and the files per worker" grep -q '^  rank [23] (.*): [0-9]* files\{0,1\}, .*part.0.parquet' "$RUN_OUT"
is "$(value 'rows in')" 2600 "... and rows in (2600, as in the sample)"
rows_kept=$(value 'rows kept')
ok "... and rows kept ($rows_kept, fewer: the filter drops some)" test "${rows_kept:-0}" -gt 2000 -a "${rows_kept:-0}" -lt 2600
ok "... and bytes and elapsed" sh -c "grep -q '^bytes written: [0-9]* in 3 files\$' '$RUN_OUT' && grep -q '^elapsed: ' '$RUN_OUT'"
ok "... and ends with done" sh -c "tail -n 1 '$RUN_OUT' | grep -qx done"
ok "... and a dashboard line only with a real HOST:PORT" sh -c "! grep 'Dask dashboard on' '$RUN_OUT' | grep -vq 'Dask dashboard on [^ ]*:[0-9][0-9]*\$'"
duckdb_check out 3 "sample"

# ---- block splitting ------------------------------------------------------------
job 300 --nyc_taxi_dataset "$sample" --output_folder tiny --blocksize 4096
is "$RUN_STATUS" 0 "--blocksize 4096: the job succeeds" || show_run
tiny_parts=$(sed -n 's/^found 3 files, .*, \([0-9]*\) partitions$/\1/p' "$RUN_OUT")
ok "... with many partitions ($tiny_parts)" test "${tiny_parts:-0}" -gt 40
is "$(nparts tiny)" "$tiny_parts" "... one part file each"
is "$(value 'rows in'):$(value 'rows kept')" "2600:$rows_kept" "... the same rows in and kept as with the default"
duckdb_check tiny "${tiny_parts:-0}" "4096-byte blocks"

# ---- stale parts: a run with fewer partitions into the same folder -----------
job 120 --nyc_taxi_dataset "$sample" --output_folder tiny --compression none
is "$RUN_STATUS" 0 "a second run into a folder of more parts succeeds" || show_run
is "$(nparts tiny)" 3 "... and only its own 3 parts remain"
ok "... and it says so" grep -q "^removed $((tiny_parts - 3)) stale part.N.parquet files (N >= 3) of an earlier run\$" "$RUN_OUT"

# ---- bad input ------------------------------------------------------------------
mkdir nocol
sed '1s/fare_amount/fare/' "$sample/yellow_tripdata_2015-03.csv" >nocol/a.csv
job 120 --nyc_taxi_dataset nocol --output_folder out-nocol
isnt "$RUN_STATUS" 0 "a missing column fails the job"
ok "... naming the file and the column" grep -q "nocol/a.csv: no column 'fare_amount' in the header" "$RUN_ERR"
is "$(nparts out-nocol)" 0 "... before writing anything"
is "$RUN_LEFTOVER" 0 "... and leaves no process"

mkdir malformed
cp "$sample/yellow_tripdata_2015-01.csv" malformed/a.csv
awk -F, -v OFS=, 'NR == 57 { $13 = "12.x" } { print }' "$sample/yellow_tripdata_2015-03.csv" >malformed/b.csv
job 120 --nyc_taxi_dataset malformed --output_folder out-malformed
isnt "$RUN_STATUS" 0 "a malformed line fails the job"
ok "... naming the file and the line" grep -q "partition 1 (.*malformed/b.csv, .*) failed: .*malformed/b.csv:57:[0-9]*: column 'fare_amount': cannot parse \"12.x\"" "$RUN_ERR"
ok "... the good file's part is written, the bad one's is not" sh -c "test -f out-malformed/part.0.parquet && ! test -e out-malformed/part.1.parquet"
ok "... and what is there is complete" complete out-malformed
ok "... and there is no done" sh -c "! grep -q '^done' '$RUN_OUT'"

mkdir truncated
gz=$sample/yellow_tripdata_2015-02.csv.gz
head -c $(($(wc -c <"$gz") / 2)) "$gz" >truncated/t.csv.gz
mkdir truncated-late
head -c $(($(wc -c <"$gz") - 2000)) "$gz" >truncated-late/t.csv.gz
cp "$sample/yellow_tripdata_2015-03.csv" truncated/u.csv
job 120 --nyc_taxi_dataset truncated --output_folder out-truncated
isnt "$RUN_STATUS" 0 "a truncated .gz fails the job"
# Cut in half, the stream fails already when the header is read (before any
# task); cut later, in the task: either way the file is named.
ok "... naming the file" grep -Eq "truncated/t.csv.gz: (cannot open: truncated|corrupt or truncated)" "$RUN_ERR"
ok "... no part under its name for it" sh -c "! test -e out-truncated/part.0.parquet"
ok "... and what is there is complete" complete out-truncated

job 120 --nyc_taxi_dataset truncated-late --output_folder out-truncated-late
isnt "$RUN_STATUS" 0 "a .gz truncated near its end fails the job"
ok "... in its task, naming the file" grep -q "partition 0 (.*truncated-late/t.csv.gz, .*) failed: .*truncated-late/t.csv.gz: corrupt or truncated" "$RUN_ERR" || show_run
ok "... and no part under its name" test ! -e out-truncated-late/part.0.parquet

mkdir empty
job 60 --nyc_taxi_dataset empty --output_folder out-empty
isnt "$RUN_STATUS" 0 "an empty dataset folder fails the job"
ok "... with a clear message" grep -q "^dask-mpi-prep-nyctaxi: --nyc_taxi_dataset empty: no input files" "$RUN_ERR"
is "$RUN_TIMED_OUT:$RUN_LEFTOVER" "0:0" "... without hanging or leaving a process"

job 60 --nyc_taxi_dataset missing-folder --output_folder out-missing
isnt "$RUN_STATUS" 0 "a missing dataset folder fails the job"
ok "... naming it" grep -q "^dask-mpi-prep-nyctaxi: --nyc_taxi_dataset missing-folder: " "$RUN_ERR"

: >not-a-folder
job 60 --nyc_taxi_dataset "$sample" --output_folder not-a-folder
isnt "$RUN_STATUS" 0 "an output folder that is a file fails the job"
ok "... naming it" grep -q "^dask-mpi-prep-nyctaxi: --output_folder not-a-folder: cannot create it: " "$RUN_ERR"
job 60 --nyc_taxi_dataset "$sample" --output_folder /proc/self/out
isnt "$RUN_STATUS" 0 "an output folder that cannot be written fails the job"
ok "... naming it" grep -q "^dask-mpi-prep-nyctaxi: --output_folder /proc/self/out: cannot " "$RUN_ERR"
is "$RUN_LEFTOVER" 0 "... and leaves no process"

"$prog" --nyc_taxi_dataset "$sample" >usage.out 2>&1
is "$?:$(cat usage.out)" "2:dask-mpi-prep-nyctaxi: --nyc_taxi_dataset DIR and --output_folder DIR are required" \
    "a missing option: a usage error (2), before MPI"

# ---- the man page -----------------------------------------------------------------
page=$top_srcdir/man/dask-mpi-prep-nyctaxi.1
if command -v groff >/dev/null 2>&1; then
    groff -man -ww -z "$page" >warnings 2>&1
    is "$?:$(cat warnings)" "0:" "dask-mpi-prep-nyctaxi.1 renders without warnings"
    groff -man -Tascii -rLL=250n -rHY=0 -P-c -P-b -P-o -P-u "$page" >page.txt 2>/dev/null
    "$prog" --help >help.txt 2>&1
    missing=
    for opt in $(grep -o -- '--[A-Za-z][A-Za-z0-9_-]*' help.txt | grep -v -- '^--help-' | sort -u); do
        grep -q -e "$opt\([^A-Za-z0-9_-]\|\$\)" page.txt || missing="$missing $opt"
    done
    is "${missing# }" "" "the man page documents every option of --help"
else
    skip "groff is not installed" 2
fi
