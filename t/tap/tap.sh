# tap.sh: a small TAP library for the shell tests. Source it:
#
#     . "$top_srcdir/t/tap/tap.sh"
#
# On sourcing, the test moves into a fresh temporary directory ($TAP_TMPDIR),
# which is removed when the test exits, however it exits.
#
# Test points:
#   plan N                  the number of tests (or done_testing at the end)
#   skip_all REASON         skip the whole file: "1..0 # SKIP REASON", exit 0
#   ok DESC CMD [ARGS...]   passes if CMD succeeds
#   is GOT WANT DESC        passes if the strings are equal
#   isnt GOT UNWANTED DESC  passes if they differ
#   like GOT PATTERN DESC   passes if GOT matches the shell pattern (case)
#   pass DESC / fail DESC   an unconditional test point
#   skip REASON [N]         N skipped test points
#   diag MSG... / note MSG  comments (diag goes to stderr too when it matters)
#   bail_out REASON         stop everything: "Bail out! REASON"
#   done_testing            print the plan if none was given
#
# Whole-cluster runs:
#   run_mpi TIMEOUT_S CMD [ARGS...]
# runs CMD (mpirun, dask-mpi-run) in its own session under a time limit, and
# sets RUN_STATUS (exit status; 124 or 137 after a timeout), RUN_TIMED_OUT
# (0/1), RUN_ELAPSED (seconds), RUN_OUT and RUN_ERR (files with its output),
# RUN_LEFTOVER (how many of its processes were still alive after it ended:
# they are killed and named by diag). Any leftover also makes the test file
# exit non-zero, so the harness reports it even if no test point looks.
#
# The environment needed for mpirun in a container is exported here.

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
# Tests must not take settings from the user's environment by accident.
unset DASK_MPI_NTHREADS DASK_MPI_MEMORY_LIMIT DASK_MPI_LOCAL_DIRECTORY \
      DASK_MPI_LOG_LEVEL DASK_MPI_RUN_LAUNCHED \
      OMPI_COMM_WORLD_RANK OMPI_COMM_WORLD_SIZE PMIX_RANK PMI_RANK PMI_SIZE

_tap_count=0
_tap_failed=0
_tap_planned=
_tap_leftover_total=0
_tap_run_seq=0
_tap_running_sid=

# ---- test points -----------------------------------------------------------

plan () {
    _tap_planned=$1
    echo "1..$1"
}

skip_all () {
    echo "1..0 # SKIP $*"
    _tap_planned=0
    exit 0
}

_tap_point () {     # _tap_point STATUS DESC
    _tap_count=$((_tap_count + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $_tap_count - $2"
    else
        _tap_failed=$((_tap_failed + 1))
        echo "not ok $_tap_count - $2"
    fi
    return "$1"
}

pass () { _tap_point 0 "$*"; }
fail () { _tap_point 1 "$*"; }

ok () {
    _tap_desc=$1
    shift
    if "$@"; then _tap_point 0 "$_tap_desc"; else _tap_point 1 "$_tap_desc"; fi
}

is () {
    if [ "x$1" = "x$2" ]; then
        _tap_point 0 "$3"
    else
        _tap_point 1 "$3"
        diag "     got: '$1'"
        diag "expected: '$2'"
        return 1
    fi
}

isnt () {
    if [ "x$1" != "x$2" ]; then
        _tap_point 0 "$3"
    else
        _tap_point 1 "$3"
        diag "got '$1', which it should not be"
        return 1
    fi
}

like () {
    # shellcheck disable=SC2254 # $2 is a pattern on purpose
    case $1 in
        $2) _tap_point 0 "$3" ;;
        *)
            _tap_point 1 "$3"
            diag "     got: '$1'"
            diag "expected to match: '$2'"
            return 1
            ;;
    esac
}

skip () {
    _tap_n=${2:-1}
    while [ "$_tap_n" -gt 0 ]; do
        _tap_count=$((_tap_count + 1))
        echo "ok $_tap_count # skip $1"
        _tap_n=$((_tap_n - 1))
    done
}

diag () {
    printf '%s\n' "$*" | sed 's/^/# /'
}

note () { diag "$@"; }

# diag_file FILE [LINES]: show the end of a file as comments.
diag_file () {
    [ -s "$1" ] || return 0
    diag "--- $1 (last ${2:-20} lines)"
    tail -n "${2:-20}" "$1" | sed 's/^/#   /'
}

bail_out () {
    echo "Bail out! $*"
    exit 255
}

done_testing () {
    [ -n "$_tap_planned" ] || plan "$_tap_count"
}

# ---- processes ---------------------------------------------------------------

# _tap_list TAG SID: pids of live processes of a run: those in session SID,
# and those that carry its marker in their environment (they may have left
# the session). Never this shell.
_tap_list () {
    {
        ps -e -o pid=,sid=,stat= 2>/dev/null \
            | awk -v sid="$2" '$2 == sid && $3 !~ /^Z/ { print $1 }'
        grep -lzx "DMPI_TAP_RUN=$1" /proc/[0-9]*/environ 2>/dev/null \
            | sed 's|^/proc/\([0-9]*\)/environ$|\1|'
    } | sort -un | while read -r _tap_p; do
        [ "$_tap_p" = "$$" ] && continue
        # A zombie found by its marker is dead already.
        case $(ps -o stat= -p "$_tap_p" 2>/dev/null) in
            '' | Z) continue ;;
        esac
        echo "$_tap_p"
    done
}

_tap_describe () {  # _tap_describe PID: "PID NAME ARGS"
    printf '%s %s\n' "$1" "$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | cut -c1-200)"
}

# _tap_reap TAG SID: kill what is left of a run, TERM then KILL; prints how
# many were found.
_tap_reap () {
    _tap_left=$(_tap_list "$1" "$2")
    [ -n "$_tap_left" ] || { echo 0; return; }
    _tap_n=0
    for _tap_p in $_tap_left; do
        diag "left behind: $(_tap_describe "$_tap_p")" >&2
        _tap_n=$((_tap_n + 1))
        kill -TERM "$_tap_p" 2>/dev/null
    done
    _tap_i=0
    while [ $_tap_i -lt 20 ] && [ -n "$(_tap_list "$1" "$2")" ]; do
        sleep 0.1
        _tap_i=$((_tap_i + 1))
    done
    for _tap_p in $(_tap_list "$1" "$2"); do
        kill -KILL "$_tap_p" 2>/dev/null
    done
    echo "$_tap_n"
}

_tap_now () { date +%s.%N; }

# _tap_start TIMEOUT_S CMD [ARGS...]: launch a run in its own session, under
# its time limit, with its marker; _tap_finish: wait for it, set the RUN_*
# results and reap what it left.
_tap_start () {
    _tap_run_limit=$1
    shift
    _tap_run_seq=$((_tap_run_seq + 1))
    _tap_tag="$$.$_tap_run_seq"
    RUN_OUT=$TAP_TMPDIR/run$_tap_run_seq.out
    RUN_ERR=$TAP_TMPDIR/run$_tap_run_seq.err
    _tap_run_cmd="$*"
    _tap_t0=$(_tap_now)
    # setsid gives the run its own session (its pid is the session id), so
    # that every process it starts can be found; timeout kills its process
    # group, TERM then KILL. The marker finds what leaves the session.
    DMPI_TAP_RUN=$_tap_tag setsid timeout -k 5 "$_tap_run_limit" "$@" \
        >"$RUN_OUT" 2>"$RUN_ERR" </dev/null &
    _tap_running_sid=$!
    _tap_running_tag=$_tap_tag
}

_tap_finish () {
    wait "$_tap_running_sid"
    RUN_STATUS=$?
    RUN_ELAPSED=$(echo "$_tap_t0 $(_tap_now)" | awk '{ printf "%.1f", $2 - $1 }')
    # 124 and 137 are also what a command may return by itself (137: killed
    # by SIGKILL); only a run that lasted the whole limit timed out.
    RUN_TIMED_OUT=0
    case $RUN_STATUS in
        124 | 137)
            RUN_TIMED_OUT=$(echo "$RUN_ELAPSED $_tap_run_limit" | awk '{ print ($1 >= $2) ? 1 : 0 }')
            ;;
    esac
    [ "$RUN_TIMED_OUT" -eq 0 ] || diag "run $_tap_run_seq timed out after ${_tap_run_limit}s: $_tap_run_cmd"
    RUN_LEFTOVER=$(_tap_reap "$_tap_running_tag" "$_tap_running_sid")
    if [ "$RUN_LEFTOVER" -gt 0 ]; then
        diag "run $_tap_run_seq left $RUN_LEFTOVER process(es) behind: $_tap_run_cmd"
        _tap_leftover_total=$((_tap_leftover_total + RUN_LEFTOVER))
    fi
    _tap_running_sid='' _tap_running_tag=''
}

run_mpi () {
    _tap_start "$@"
    _tap_finish
    return 0
}

# ---- the temporary directory and the end ---------------------------------------

_tap_cleanup () {
    _tap_status=$1
    trap - EXIT INT TERM HUP
    if [ -n "$_tap_running_sid" ]; then
        _tap_n=$(_tap_reap "$_tap_running_tag" "$_tap_running_sid")
        _tap_leftover_total=$((_tap_leftover_total + _tap_n))
    fi
    cd / && rm -rf "$TAP_TMPDIR"
    if [ "$_tap_leftover_total" -gt 0 ]; then
        diag "$_tap_leftover_total process(es) were left behind by runs of this test"
        [ "$_tap_status" -ne 0 ] || _tap_status=1
    fi
    exit "$_tap_status"
}

TAP_TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/dmpi-test.XXXXXX") || bail_out "cannot create a temporary directory"
trap '_tap_cleanup $?' EXIT
trap '_tap_cleanup 130' INT
trap '_tap_cleanup 143' TERM
trap '_tap_cleanup 129' HUP
cd "$TAP_TMPDIR" || bail_out "cannot enter $TAP_TMPDIR"

# ---- whole-cluster runs in the background (for signalling a running job) -------
#
#   run_mpi_bg TIMEOUT_S CMD [ARGS...]
# starts CMD as run_mpi does (own session, time limit, marker) but returns at
# once, with RUN_PID set to CMD's own pid (the child of timeout: mpirun,
# or dask-mpi-run, which becomes mpirun), or empty if it did not start.
#   run_mpi_wait
# waits for it and sets RUN_STATUS, RUN_TIMED_OUT, RUN_ELAPSED, RUN_OUT,
# RUN_ERR and RUN_LEFTOVER as run_mpi does.

run_mpi_bg () {
    _tap_start "$@"
    RUN_PID=
    _tap_i=0
    while [ -z "$RUN_PID" ] && [ $_tap_i -lt 50 ]; do
        RUN_PID=$(pgrep -P "$_tap_running_sid" | head -n 1)
        [ -n "$RUN_PID" ] || sleep 0.1
        _tap_i=$((_tap_i + 1))
    done
    return 0
}

run_mpi_wait () {
    _tap_finish
    RUN_PID=''
    return 0
}
