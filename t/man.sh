#!/bin/sh
# The man pages: each renders without a groff warning, and documents every
# long option its command's --help prints.
. "${top_srcdir:?top_srcdir is not set}/t/tap/tap.sh"

command -v groff >/dev/null 2>&1 || skip_all "groff is not installed"

# page COMMAND: its man page; help_cmd COMMAND: how to run it.
page () { echo "$top_srcdir/man/$1.1"; }
help_cmd () {
    case $1 in
        dask-mpi-run) echo "${DASK_MPI_RUN:?}" ;;
        dask-mpi-scheduler) echo "${DASK_MPI_SCHEDULER:?}" ;;
        dask-mpi-worker) echo "${DASK_MPI_WORKER:?}" ;;
        dask-mpi-prep-nyctaxi) echo "${top_builddir:?}/bin/dask-mpi-prep-nyctaxi" ;;
    esac
}

commands="dask-mpi-run dask-mpi-scheduler dask-mpi-worker dask-mpi-prep-nyctaxi"
plan 12

for cmd in $commands; do
    # Every warning category (-ww); -z: format but print nothing.
    groff -man -ww -z "$(page "$cmd")" >warnings 2>&1
    status=$?
    is "$status:$(cat warnings)" "0:" "$cmd.1 renders without warnings" || diag_file warnings

    # The page as plain text, on long lines without hyphenation, so that an
    # option's name is never split.
    groff -man -Tascii -rLL=250n -rHY=0 -P-c -P-b -P-o -P-u "$(page "$cmd")" >page.txt 2>/dev/null

    prog=$(help_cmd "$cmd")
    "$prog" --help >help.txt 2>&1 </dev/null
    status=$?
    # GOption adds --help-all and --help-GROUP by itself: not worth a page.
    grep -o -- '--[A-Za-z][A-Za-z0-9-]*' help.txt | grep -v -- '^--help-' | sort -u >options
    is "$status:$(grep -c -- '--help' options)" "0:1" "$cmd --help succeeds and lists --help" \
        || diag_file help.txt

    missing=
    for opt in $(cat options); do
        grep -q -e "$opt\([^A-Za-z0-9-]\|\$\)" page.txt || missing="$missing $opt"
    done
    is "${missing# }" "" "$cmd.1 documents every long option of $cmd --help"
done
