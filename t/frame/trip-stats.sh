#!/bin/sh
# contrib/examples/trip-stats (reference/trip-stats.md) on a whole cluster
# (dask-mpi-run -n 4) over generated taxi CSVs: three files, one gzipped,
# one with the RatecodeID spelling, 30,000 rows, in small blocks. Its
# Parquet output, read by DuckDB, must equal (a) pandas computing the
# reference on the same CSVs and (b) DuckDB computing it in SQL: floats to a
# relative 1e-9, integers exactly, rows in order. Its printed lines too.
. "$top_srcdir/t/tap/tap.sh"
. "$top_srcdir/t/frame/frame-lib.sh"

prog=$top_builddir/contrib/examples/trip-stats
need_pandas
[ -x "$prog" ] || skip_all "$prog is not built"
have_duckdb || skip_all "DuckDB (node, $node_cache/node_modules/@duckdb/node-api) is not there"

todo=''

plan 12

mkdir data out
"$gen_nyctaxi" --rows 10000 --seed 21 --out data/a.csv &&
    "$gen_nyctaxi" --rows 10000 --seed 22 --out data/b.csv && gzip data/b.csv &&
    "$gen_nyctaxi" --rows 10000 --seed 23 --ratecode-spelling RatecodeID --out data/c.csv ||
    bail_out "gen-nyctaxi failed"

run_mpi 120 "$DASK_MPI_RUN" -n 4 "$prog" --nyc_taxi_dataset data --output_file out/stats.parquet --blocksize 400000
is "$RUN_STATUS" 0 "trip-stats succeeds on 3 files, 30,000 rows ($RUN_ELAPSED s)" || show_run
is "$RUN_LEFTOVER" 0 "... and leaves no process"
ok "... prints the dataset and each file" sh -c "grep -qx 'dataset: data' '$RUN_OUT' &&
    grep -qx '  data/a.csv' '$RUN_OUT' && grep -qx '  data/b.csv.gz' '$RUN_OUT' && grep -qx '  data/c.csv' '$RUN_OUT'"
n_parts=$(sed -n 's/^\([0-9]*\) partitions$/\1/p' "$RUN_OUT")
ok "... in several partitions ($n_parts: the plain files in blocks, the .gz whole)" test "${n_parts:-0}" -ge 7
ok "... writes one whole Parquet file and no temporary" sh -c "test \"\$(ls -A out)\" = stats.parquet &&
    test \"\$(head -c 4 out/stats.parquet)\" = PAR1 && test \"\$(tail -c 4 out/stats.parquet)\" = PAR1"
ok "... and ends with done" sh -c "tail -n 1 '$RUN_OUT' | grep -qx done"

duckdb_dump out/stats out/stats.parquet
# shellcheck disable=SC2046 # one argument a file
duckdb_dump out/sql --sql "$frame_src/trip-stats.sql" $(ls data/*)
groups=$(sed -n 's/^\([0-9]*\) groups$/\1/p' "$RUN_OUT")
is "$groups" "$(cat out/stats.rows 2>/dev/null)" "... prints the number of groups the file holds"
ok "... more than 500 groups (year, month, hour, payment type)" test "${groups:-0}" -gt 500
is "$(cat out/sql.rows 2>/dev/null)" "$groups" "DuckDB's SQL finds as many groups"
is "$(head -n 1 out/stats.csv 2>/dev/null)" \
    '"year","month","hour","payment_type","trips","passengers","distance_sum","fare_mean","tip_mean","tip_ratio","duration_mean_s"' \
    "the output's columns, in the reference's order"

"$python" "$pandas_ref" trip-stats data out/stats out/sql >ref.out 2>ref.err || diag_file ref.err
relay ref.out 'trip-stats: every value equals pandas' 'trip-stats: every value equals DuckDB SQL'
grep '^# [0-9]* groups in pandas' ref.out || true
