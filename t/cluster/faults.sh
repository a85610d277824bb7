#!/bin/sh
# A cancelled job: SIGTERM or SIGINT to mpirun while dask-mpi-prep-nyctaxi
# writes its parts (as Slurm's scancel or a Ctrl-C does). Every rank must
# exit within 10 s, no process may be left, no part.N.parquet may stand
# incomplete under its final name, and no temporary (.part.N.parquet.XXXXXX)
# may be left. Then: a run over a folder with a killed run's temporaries
# removes them, and only them.
. "$top_srcdir/t/tap/tap.sh"

prog=$top_builddir/bin/dask-mpi-prep-nyctaxi
gen=$top_builddir/contrib/nyctaxi/gen-nyctaxi
[ -x "$prog" ] || skip_all "$prog is not built"
[ -x "$gen" ] || skip_all "$gen is not built"
command -v pgrep >/dev/null 2>&1 || skip_all "pgrep (procps) is missing"

plan 23

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
    _temps_before=$(find "$_out" -maxdepth 1 -name '.part.*' 2>/dev/null | wc -l)
    _t0=$(date +%s.%N)
    [ -n "$RUN_PID" ] && kill -"$_sig" "$RUN_PID" 2>/dev/null
    run_mpi_wait
    _took=$(echo "$_t0 $(date +%s.%N)" | awk '{ printf "%.1f", $2 - $1 }')
    _parts=$(find "$_out" -maxdepth 1 -name 'part.*.parquet' | wc -l)
    _temps=$(find "$_out" -maxdepth 1 -name '.part.*' | sed 's|.*/||' | tr '\n' ' ')

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
    # What the workers' handlers say they removed ("...: removed N temporary files in progress").
    _removed=$(sed -n 's/.*: removed \([0-9]*\) temporary files\{0,1\} in progress$/\1/p' "$RUN_ERR" \
               | awk '{ n += $1 } END { print n + 0 }')
    # Open MPI sends SIGTERM to the ranks, then SIGKILL a second later
    # (odls_base_sigkill_timeout): a rank killed outright cannot remove its
    # temporary, and the next run over the folder must (its start-up clean-up).
    if [ -z "$_temps" ]; then
        pass "SIG$_sig: no temporary (.part.*) is left ($_temps_before seen just before the signal, $_removed removed by the ranks' handlers)"
    else
        diag "SIG$_sig: left by a rank killed outright: $_temps; the next run must remove it"
        run_mpi 120 "$DASK_MPI_RUN" -n 4 "$prog" --nyc_taxi_dataset "$top_srcdir/contrib/nyctaxi/sample" --output_folder "$_out"
        is "$(cd "$_out" && ls -A | grep '^\.part\.' | tr '\n' ' ')" "" \
            "SIG$_sig: no temporary is left once the next run over the folder started (status $RUN_STATUS)"
    fi
    [ "$RUN_STATUS" != 0 ] || { diag_file "$RUN_OUT" 10; diag_file "$RUN_ERR" 10; }
}

cancel TERM
cancel INT

# ---- a killed run's temporaries ---------------------------------------------
# What a run killed beyond its handlers (SIGKILL, a lost node) leaves, and
# names that look alike but are not the job's own: only the first go.
sample=$top_srcdir/contrib/nyctaxi/sample
mkdir stale stale-target
echo partial > stale/.part.7.parquet.AbC123
echo probe > stale/.dask-mpi.probe.Xy12Z9
for _n in .part.7.parquet.AbC12 .part.x.parquet.AbC123 .part.7.parquet.AbC1234 \
          .part.7.csv.AbC123 part.7.parquet.AbC123 .part.7.parquet.Ab-123 notes.txt; do
    echo keep > "stale/$_n"
done
echo target > stale-target/file
ln -s ../stale-target/file stale/.part.8.parquet.Zz9999
mkdir stale/.part.9.parquet.Qq1234
kept_before=$(cd stale && ls -A | grep -v -e '^\.part\.7\.parquet\.AbC123$' -e '^\.dask-mpi\.probe\.' | sort | tr '\n' ' ')

run_mpi 120 "$DASK_MPI_RUN" -n 4 "$prog" --nyc_taxi_dataset "$sample" --output_folder stale
is "$RUN_STATUS" 0 "stale: the job over a folder with stale temporaries succeeds" \
    || { diag_file "$RUN_OUT" 10; diag_file "$RUN_ERR" 10; }
is "$RUN_LEFTOVER" 0 "stale: no process is left"
ok "stale: it says it removed 2 temporary files" \
    grep -q 'to_parquet: removed 2 temporary files (.part.N.parquet.XXXXXX) left in stale by an earlier cancelled run$' "$RUN_ERR"
ok "stale: the part temporary is gone" test ! -e stale/.part.7.parquet.AbC123
ok "stale: the probe temporary is gone" test ! -e stale/.dask-mpi.probe.Xy12Z9
is "$(cd stale && ls -A | grep -v '^part\.[0-2]\.parquet$' | sort | tr '\n' ' ')" "$kept_before" \
    "stale: every other name stays (look-alikes, a symlink, a folder)"
is "$(cat stale-target/file)" target "stale: the symlink's target is untouched"
is "$(incomplete stale | tr '\n' ' ')$(find stale -maxdepth 1 -name 'part.*.parquet' | wc -l)" 3 \
    "stale: the 3 parts are written whole"
