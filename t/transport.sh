#!/bin/sh
# TAP test of the MPI transport: t/transport as 3 ranks under mpirun, twice.
#  - correctness, with DASK_MPI_CHUNK_BYTES=1000 so that multi-chunk paths run;
#  - performance (--perf), default chunk size: asserts payloads arrive whole
#    and prints the measurements as TAP diagnostics.
# Rank 0 prints TAP lines without numbers and its plan first; this script
# passes them on, adds a failure for any result a run did not deliver (crash,
# timeout) and prints the total plan at the end.

prog="${top_builddir:?top_builddir is not set}/t/transport"
mpirun="${DASK_MPI_MPIRUN:-mpirun}"

if ! command -v "$mpirun" >/dev/null 2>&1; then
  echo "1..0 # SKIP $mpirun not found"
  exit 0
fi
if ! command -v timeout >/dev/null 2>&1; then
  echo "1..0 # SKIP timeout(1) not found"
  exit 0
fi

opts="-n 3 --oversubscribe"
if [ "$(id -u)" = 0 ]; then
  opts="$opts --allow-run-as-root"
fi

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
planned=0

# Kill, by pid, any process of run $1 still alive (mpirun killed by timeout
# can leave its ranks behind): they carry DMPI_TRANSPORT_TEST=$1.
kill_leftovers () {
  for environ in /proc/[0-9]*/environ; do
    if { tr '\0' '\n' <"$environ"; } 2>/dev/null | grep -qx "DMPI_TRANSPORT_TEST=$1"; then
      pid=${environ#/proc/}
      pid=${pid%/environ}
      echo "# killing leftover process $pid of run $1" >&2
      kill -9 "$pid" 2>/dev/null
    fi
  done
}

run () {
  name=$1
  shift
  tag="$$-$name"
  DMPI_TRANSPORT_TEST=$tag timeout -k 5 60 "$mpirun" $opts -x DMPI_TRANSPORT_TEST "$@" \
    >"$tmp/$name.out" 2>"$tmp/$name.err"
  status=$?
  kill_leftovers "$tag"
  sed 's/^/# '"$name"': /' "$tmp/$name.err" >&2

  plan=$(sed -n 's/^1\.\.\([0-9]*\).*/\1/p' "$tmp/$name.out" | head -n 1)
  grep -E '^(ok|not ok|#)' "$tmp/$name.out"
  got=$(grep -cE '^(ok|not ok)' "$tmp/$name.out")
  [ -n "$plan" ] || plan=1
  if [ "$got" -lt "$plan" ]; then
    missing=$((plan - got))
    echo "not ok - $name run delivered $got of $plan results (mpirun exit status $status; 124 is a timeout)"
    missing=$((missing - 1))
    while [ "$missing" -gt 0 ]; do
      echo "not ok - $name run: result missing"
      missing=$((missing - 1))
    done
  elif [ "$status" -ne 0 ]; then
    # Every result came, yet the run failed: count it as one more test.
    echo "not ok - $name run: mpirun exit status $status"
    plan=$((plan + 1))
  fi
  planned=$((planned + plan))
}

run correctness -x DASK_MPI_CHUNK_BYTES=1000 "$prog"
run perf "$prog" --perf
echo "1..$planned"
