#!/bin/bash
# Runs each libFuzzer harness (built by `make fuzz`) for SECONDS, starting
# from the committed seeds in t/fuzz/corpus/<harness>/ (copied: the seeds
# stay as committed). Exits non-zero when any harness crashes; the crashing
# input is kept in the artefact folder and named in the output.
#
#   t/fuzz/run.sh SECONDS [HARNESS...]
#
# Harnesses are looked for in $FUZZ_BUILDDIR/t/fuzz (default: the current
# folder if it holds them, else _build). Artefacts go to $FUZZ_ARTIFACTS
# (default: a new temporary folder, kept only when something crashed).
set -u

seconds=${1:?usage: run.sh SECONDS [HARNESS...]}
shift
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(protocol csv table dashboard parquet expr groupby)

builddir=${FUZZ_BUILDDIR:-}
if [ -z "$builddir" ]; then
    if [ -x t/fuzz/protocol ]; then builddir=.; else builddir=$srcdir/_build; fi
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/dmpi-fuzz.XXXXXX")
artifacts=${FUZZ_ARTIFACTS:-$work/artifacts}
mkdir -p "$artifacts"
failed=0
total=0

for h in "${harnesses[@]}"; do
    bin=$builddir/t/fuzz/$h
    if [ ! -x "$bin" ]; then
        echo "run.sh: $bin is missing: run 'make fuzz' in the build folder" >&2
        failed=1
        continue
    fi
    mkdir -p "$work/corpus-$h"
    cp "$srcdir/t/fuzz/corpus/$h"/* "$work/corpus-$h"/ 2>/dev/null
    log=$work/$h.log
    # -rss_limit_mb: the reader must not need more than this for small inputs.
    "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
        -print_final_stats=1 -artifact_prefix="$artifacts/$h-" \
        "$work/corpus-$h" >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    total=$((total + ${runs:-0}))
    if [ $rc -ne 0 ]; then
        failed=1
        echo "FAIL $h: exit $rc after ${runs:-?} runs; log $log"
        grep -E '^==[0-9]+==ERROR|SUMMARY|runtime error|^\*\*|Test unit written' "$log" | head -20
    else
        echo "ok   $h: ${runs:-?} runs in ${seconds}s, no crash"
    fi
done

echo "fuzz: $total executions, $([ $failed = 0 ] && echo 'no crash' || echo "crashes in $artifacts")"
if [ $failed = 0 ]; then
    rm -rf "$work"
fi
exit $failed
