#!/bin/sh
# The issue's "values must equal pandas' exactly where pandas computes in
# float32": dask-mpi-prep-nyctaxi on contrib/nyctaxi/sample plus a generated
# file, in small blocks, on a whole cluster (dask-mpi-run -n 4); every value
# of every output column (read by DuckDB, dumped with full precision) against
# pandas and NumPy computing reference/nyctaxi-job.md in float32 exactly as
# the users' Dask job does (t/frame/pandas_ref.py nyctaxi): integers,
# timestamps, durations, the float32 inputs and the rounded coordinates
# (x // 0.01 * 0.01) exactly, h_distance within one float32 ulp (and two).
. "$top_srcdir/t/tap/tap.sh"
. "$top_srcdir/t/frame/frame-lib.sh"

prog=$top_builddir/bin/dask-mpi-prep-nyctaxi
need_pandas
[ -x "$prog" ] || skip_all "$prog is not built"
have_duckdb || skip_all "DuckDB (node, $node_cache/node_modules/@duckdb/node-api) is not there"

todo='nyctaxi: h_distance is within one float32 ulp of pandas|h_distance is 2 ulps off NumPy in about 1% of rows: the expression cos() is glibc'"'"'s cosf (correctly rounded), NumPy 1.24'"'"'s float32 cos is its own SIMD code (cos(0.70927471f): NumPy 0.75883448, cosf 0.75883442)'

plan 10

mkdir data
cp "$top_srcdir"/contrib/nyctaxi/sample/* data/ &&
    "$gen_nyctaxi" --rows 4000 --seed 31 --out data/yellow_tripdata_2015-04.csv ||
    bail_out "cannot put the input together"

run_mpi 120 "$DASK_MPI_RUN" -n 4 "$prog" --nyc_taxi_dataset data --output_folder out --blocksize 200000
is "$RUN_STATUS" 0 "the job succeeds on the sample and a generated file ($RUN_ELAPSED s)" || show_run
is "$RUN_LEFTOVER" 0 "... and leaves no process"
n_parts=$(sed -n 's/^found 4 files, .*, \([0-9]*\) partitions$/\1/p' "$RUN_OUT")
ok "... in several partitions ($n_parts; 200 kB blocks)" test "${n_parts:-0}" -ge 7
one_each () { test "$(parts out parquet | wc -l)" = "${n_parts:-x}" && all_whole out parquet; }
ok "... one whole part file each, no temporary" one_each

# shellcheck disable=SC2046 # one argument a part file, in partition order
duckdb_dump out/all $(parts out parquet)
"$python" "$pandas_ref" nyctaxi data out/all >ref.out 2>ref.err || diag_file ref.err
relay ref.out 'nyctaxi: the 26 columns, their types, and as many rows as pandas keeps' \
    'nyctaxi: integers, timestamps and durations equal pandas exactly' \
    'nyctaxi: the rounded coordinates (float32 x // 0.01 * 0.01) equal pandas exactly' \
    'nyctaxi: the other float32 columns equal pandas exactly' \
    'nyctaxi: h_distance is within one float32 ulp of pandas' \
    'nyctaxi: h_distance is within two float32 ulps of pandas'
grep '^# [0-9]* rows in pandas' ref.out || true
