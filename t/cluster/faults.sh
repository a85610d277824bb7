#!/bin/sh
# A cancelled job: SIGTERM or SIGINT to mpirun while dask-mpi-prep-nyctaxi
# writes its parts (as Slurm's scancel or a Ctrl-C does). Every rank must
# exit within 10 s, no process may be left, and no part.N.parquet may stand
# incomplete under its final name.
. "$top_srcdir/t/tap/tap.sh"

prog=$top_builddir/bin/dask-mpi-prep-nyctaxi
gen=$top_builddir/contrib/nyctaxi/gen-nyctaxi
[ -x "$prog" ] || skip_all "$prog is not built"
[ -x "$gen" ] || skip_all "$gen is not built"
command -v pgrep >/dev/null 2>&1 || skip_all "pgrep (procps) is missing"

plan 13

# About 360 MB of input (one generated month, hard-linked as twelve) in
# 1 MB blocks: some 380 parts, a few seconds of writing on 2 cores.
mkdir in
"$gen" --mb=30 -o in/yellow_tripdata_2015-01.csv
for m in 02 03 04 05 06 07 08 09 10 11 12; do
    ln in/yellow_tripdata_2015-01.csv in/yellow_tripdata_2015-$m.csv
done
ok "the input is generated" test -s in/yellow_tripdata_2015-12.csv

# incomplete DIR: the part files that are not whole Parquet files.
incomplete () {
    for _f in "$1"/part.*.parquet; do
        [ -e "$_f" ] || continue
        [ "$(head -c 4 "$_f")" = PAR1 ] && [ "$(tail -c 4 "$_f")" = PAR1 ] || echo "${_f##*/}"
    done
}

# cancel SIGNAL: start the job, signal mpirun once a part is written.
cancel () {
    _sig=$1
    _out=out-$_sig
    run_mpi_bg 120 "$DASK_MPI_RUN" -n 4 "$prog" --nyc_taxi_dataset in --output_folder "$_out" --blocksize 1000000
    # Signal once the first part stands, with the next ones being written.
    _i=0
    while [ $_i -lt 300 ] && ! ls "$_out"/part.*.parquet >/dev/null 2>&1; do
        sleep 0.1
        _i=$((_i + 1))
    done
    _running=no _name=
    [ -n "$RUN_PID" ] && kill -0 "$RUN_PID" 2>/dev/null && _running=yes \
        && _name=$(ps -o comm= -p "$RUN_PID")
    _parts_before=$(find "$_out" -maxdepth 1 -name 'part.*.parquet' 2>/dev/null | wc -l)
    _t0=$(date +%s.%N)
    [ -n "$RUN_PID" ] && kill -"$_sig" "$RUN_PID" 2>/dev/null
    run_mpi_wait
    _took=$(echo "$_t0 $(date +%s.%N)" | awk '{ printf "%.1f", $2 - $1 }')
    _parts=$(find "$_out" -maxdepth 1 -name 'part.*.parquet' | wc -l)
    _temps=$(find "$_out" -maxdepth 1 -name '.part.*' | wc -l)

    is "$_running" yes "SIG$_sig: mpirun ($_name) was running when signalled, with $_parts_before parts written"
    isnt "$RUN_STATUS" 0 "SIG$_sig: the job fails (status $RUN_STATUS)"
    ok "SIG$_sig: every rank exits within 10 s (took $_took s)" awk "BEGIN { exit !($_took < 10) }"
    is "$RUN_LEFTOVER" 0 "SIG$_sig: no process is left"
    is "$(incomplete "$_out" | tr '\n' ' ')" "" "SIG$_sig: every part.N.parquet is whole ($_parts written)"
    # On a fast machine the job may finish before the signal lands; then
    # "done" is true: every partition it listed stands whole.
    _listed=$(sed -n 's/^found .*, \([0-9]*\) partitions$/\1/p' "$RUN_OUT")
    if grep -q '^done' "$RUN_OUT"; then
        is "$_parts" "$_listed" "SIG$_sig: the job finished before the signal, and every part it listed is there"
    else
        pass "SIG$_sig: the job did not claim success ($_parts of $_listed parts)"
    fi
    note "SIG$_sig: $_temps temporaries (.part.*) left in the output folder"
    [ "$RUN_STATUS" != 0 ] || { diag_file "$RUN_OUT" 10; diag_file "$RUN_ERR" 10; }
}

cancel TERM
cancel INT
