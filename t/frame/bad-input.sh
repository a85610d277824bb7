#!/bin/sh
# Bad input to the public data-frame API, each on its own cluster run
# (dask-mpi-run -n 4, t/frame/frame-client): a clear error on the client
# (FILE:LINE:COLUMN for CSV; the file and what is wrong for Parquet; the
# column and the columns there are; the expression and the position), a
# non-zero exit, no process left, and no partial file under a final name.
# Last, dask-mpi-prep-nyctaxi with a column missing from one input file.
. "$top_srcdir/t/tap/tap.sh"
. "$top_srcdir/t/frame/frame-lib.sh"

prep=$top_builddir/bin/dask-mpi-prep-nyctaxi
[ -x "$client" ] || skip_all "$client is not built"

# Known bugs of the frame layer, "CASE|WHAT" a line: their points are TODO.
todo=''

plan 47

mkdir data
cat >data/mixed.csv <<'EOF'
id,grp,k2,x,y,n,s,t0,t1,flag
1,a,1,1.5,2.5,3,s1,2015-01-01 00:00:00,2015-01-01 00:10:00,True
2,b,,2.5,,4,s2,2015-01-02 00:00:00,,False
3,a,2,-1.25,1.0,,s3,2015-01-03 00:00:00,2015-01-03 00:01:00,True
EOF
# A non-number in a float column on line 57 (the row of id 56), byte 4.
{ echo id,x,s; seq 1 120 | awk '{ printf "%d,%s,s%d\n", $1, ($1 == 56 ? "1.2x" : $1 * 0.5), $1 }'; } \
    >data/bad-float.csv
# A row with too many fields on line 4: the extra one after byte 5, in the
# sample that types are inferred from (so read_csv fails on the client).
printf 'a,b,c\n1,2,3\n4,5,6\n7,8,9,10\n10,11,12\n' >data/bad-fields-sample.csv
# The same far into a larger file (line 2500, past the 256 kB sample: a
# worker's task fails).
"$gen_nyctaxi" --rows 3000 --seed 41 --out data/taxi.csv || bail_out "gen-nyctaxi failed"
awk 'NR == 2500 { $0 = $0 ",extra" } { print }' data/taxi.csv >data/bad-fields.csv
extra_at=$(awk 'NR == 2500 { print length($0) + 1 }' data/taxi.csv)
printf 'this is not a Parquet file, just text\n' >data/garbage.parquet

todo_desc () { printf '%s%s' "$2" "$(todo_for "$1")"; }
# bad CASE: frame-client runs CASE alone in out-CASE; its error line is $err.
bad () {
    mkdir "out-$1"
    run_mpi 60 "$DASK_MPI_RUN" -n 4 "$client" --data data --out "out-$1" --blocksize 300 "$1"
    err=$(sed -n "s/^error $1: //p" "$RUN_ERR" | head -n 1)
    isnt "$RUN_STATUS" 0 "$(todo_desc "$1" "$1: the client exits non-zero")"
    is "$RUN_TIMED_OUT:$RUN_LEFTOVER" 0:0 "$(todo_desc "$1" "$1: ... in time, leaving no process")"
}
# says CASE DESC PATTERN: the error line matches the shell pattern.
says () {
    like "$err" "$3" "$(todo_desc "$1" "$1: $2")" || show_run 8
}
# failed_partition: the partition the error line names.
failed_partition () { printf '%s\n' "$err" | sed -n 's/.*partition \([0-9][0-9]*\)[ :].*/\1/p' | head -n 1; }
# only_whole DIR N: no part N in DIR; others there, complete; no temporary.
only_whole () {
    test -n "$2" && test ! -e "$1/part.$2.parquet" && test "$(parts "$1" parquet | wc -l)" -ge 1 &&
        all_whole "$1" parquet
}
# nothing CASE DIR: no file at all under out-CASE/DIR.
nothing () {
    ok "$(todo_desc "$1" "$1: nothing is written")" test -z "$(find "out-$1/$2" 2>/dev/null)"
}

# ---- CSV ------------------------------------------------------------------------------
# bad_csv CASE DIR DESC PATTERN: a malformed line that fails one partition's
# task: the error, and no part file for that partition (the others whole).
bad_csv () {
    bad "$1"
    says "$1" "$3" "$4"
    failed=$(failed_partition)
    ok "$(todo_desc "$1" "$1: no part file for the failed partition ($failed), the others whole")" \
        only_whole "out-$1/$2" "$failed"
}
bad_csv bad.csv_float bad-float "FILE:LINE:COLUMN, the column and the value" \
    "*data/bad-float.csv:57:4: column 'x': cannot parse \"1.2x\"*"
bad_csv bad.csv_fields bad-fields "FILE:LINE:COLUMN and the number of fields (a worker's task)" \
    "*data/bad-fields.csv:2500:$extra_at: expected 19 fields, found 20*"

bad bad.csv_fields_sample
says bad.csv_fields_sample "FILE:LINE:COLUMN and the number of fields (when read_csv samples it)" \
    "*data/bad-fields-sample.csv:4:6: expected 3 fields, found 4*"
nothing bad.csv_fields_sample bad-fields-sample

# ---- Parquet --------------------------------------------------------------------------
bad bad.parquet_garbage
says bad.parquet_garbage "the file and what is wrong" "*data/garbage.parquet: not a Parquet file*"

bad bad.parquet_truncated
says bad.parquet_truncated "the file and what is wrong" "*truncated.parquet: *truncated*"

# ---- columns and expressions ----------------------------------------------------------------
columns="id, grp, k2, x, y, n, s, t0, t1, flag"
bad bad.select_missing
says bad.select_missing "the column and the columns there are" "*select: no column 'nope' (columns: $columns)*"
nothing bad.select_missing bad-select

bad bad.filter_missing
says bad.filter_missing "the expression and the position" "*expression 'nope > 1': position 1: *"
says bad.filter_missing "... the column and the columns there are" "*'nope'*$columns*"
nothing bad.filter_missing bad-filter

bad bad.expr_syntax
says bad.expr_syntax "the expression and the position" "*expression 'x > > 1': position 5: *"
nothing bad.expr_syntax bad-syntax

bad bad.expr_type
says bad.expr_type "the expression, the position and the types" "*expression 's + 1': position [0-9]*: *string*"
nothing bad.expr_type bad-type

# ---- output folders that cannot be written -------------------------------------------------
for c in bad.output_parquet bad.output_csv; do
    mkdir "out-$c" && : >"out-$c/blocker"
    run_mpi 60 "$DASK_MPI_RUN" -n 4 "$client" --data data --out "out-$c" --blocksize 300 "$c"
    err=$(sed -n "s/^error $c: //p" "$RUN_ERR" | head -n 1)
    isnt "$RUN_STATUS" 0 "$(todo_desc "$c" "$c (a file in the way of the folder): the client exits non-zero")"
    is "$RUN_TIMED_OUT:$RUN_LEFTOVER" 0:0 "$(todo_desc "$c" "$c: ... in time, leaving no process")"
    says "$c" "the folder and why" "*out-$c/blocker/out: cannot create it: Not a directory*"
    ok "$(todo_desc "$c" "$c: the file in the way is left as it was")" test -f "out-$c/blocker" -a ! -s "out-$c/blocker"
done

# ---- dask-mpi-prep-nyctaxi: a column missing from one input file ----------------------------------
if [ -x "$prep" ]; then
    mkdir nocol
    "$gen_nyctaxi" --rows 500 --seed 42 --out nocol/a.csv &&
        "$gen_nyctaxi" --rows 500 --seed 43 --ratecode-spelling RatecodeID --out nocol/full-b.csv ||
        bail_out "gen-nyctaxi failed"
    # b.csv without its rate code column (the 8th; the generator quotes no comma).
    cut -d , -f 1-7,9- nocol/full-b.csv >nocol/b.csv && rm nocol/full-b.csv
    run_mpi 60 "$DASK_MPI_RUN" -n 4 "$prep" --nyc_taxi_dataset nocol --output_folder out-nocol
    isnt "$RUN_STATUS" 0 "prep-nyctaxi, a file without the rate code: the job fails"
    is "$RUN_TIMED_OUT:$RUN_LEFTOVER" 0:0 "... in time, leaving no process"
    ok "... naming the file, the column (both spellings) and the header's columns" \
        grep -q "nocol/b.csv: no column 'RateCodeID' (or 'RatecodeID') in the header (VendorID, tpep_pickup_datetime, .*, total_amount)" "$RUN_ERR" ||
        show_run 8
    ok "... before writing any part" test -z "$(find out-nocol -name 'part.*' 2>/dev/null)"
else
    skip "$prep is not built" 4
fi
