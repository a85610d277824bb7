#!/bin/sh
# The unit tests again under valgrind memcheck: no invalid access, no
# definite leak. (The cluster tests run under AddressSanitizer in CI instead:
# Open MPI under valgrind is slow and noisy.)
. "$top_srcdir/t/tap/tap.sh"

command -v valgrind >/dev/null 2>&1 || skip_all "valgrind is not installed"
# Programs built with AddressSanitizer cannot run under valgrind.
grep -q -- '-fsanitize=address' "$top_builddir/config.log" 2>/dev/null \
    && skip_all "this build uses AddressSanitizer"

# Not here: t/df/parquet-read and t/df/groupby (2-3 minutes each under
# memcheck), t/dashboard/gate (it exhausts file descriptors on purpose).
programs="t/protocol t/sched-core t/registry t/store t/tempfiles t/worker-memory t/df/table t/df/csv t/df/snappy
t/df/parquet t/df/expr t/df/plan"
set -- $programs
plan $#
for p in $programs; do
    # GLib's slice allocator and caches would hide or fake leaks.
    G_SLICE=always-malloc G_DEBUG=gc-friendly timeout -k 5 600 \
        valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
        --show-leak-kinds=definite "$top_builddir/$p" >out 2>&1
    status=$?
    is "$status" 0 "$p is clean under valgrind memcheck" || diag "$(grep -v '^ok' out | head -n 40)"
done
