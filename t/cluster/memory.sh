#!/bin/sh
# Worker memory past its limit (Dask's thresholds, see worker-memory.h): a
# task that allocates far past the limit is stopped before the kernel's OOM
# killer, fails with an error naming it and the memory figures, and the job
# goes on without that worker; a task that only nears the limit pauses its
# worker, which resumes when it finishes; a bad limit is refused.
. "$top_srcdir/t/tap/tap.sh"

client=$top_builddir/t/cluster/test-client
faults=$top_builddir/t/cluster/.libs/faults-module.so
[ -x "$client" ] || skip_all "$client is not built"
[ -e "$faults" ] || skip_all "$faults is not built"
plan 18

# A task that touches memory until it is stopped: at 95% of 400 MiB.
run_mpi 120 "$DASK_MPI_RUN" -n 4 --memory-limit 400MiB "$client" memory "$faults" 2 hog
is "$RUN_STATUS" 0 "a task far past the memory limit fails, and the job goes on (status $RUN_STATUS)"
like "$(grep '^error: ' "$RUN_OUT")" "*task 'hog-1' (function hog) failed on worker rank *: out of memory: the worker's resident memory reached *MiB, *% of its memory limit of 400.0*MiB*" \
    "... its error names the task, the function, the worker and the memory figures"
ok "... the worker says it stopped the task" grep -q "task 'hog-1' (function hog) stopped: out of memory" "$RUN_ERR"
ok "... the scheduler logs that the worker takes no more tasks" grep -q "worker rank [0-9]* takes no more tasks: a task was stopped at" "$RUN_ERR"
ok "... no worker was killed by a signal" sh -c "! grep -Eq 'signal|Killed|crashed' '$RUN_ERR'"
is "$RUN_LEFTOVER" 0 "... and no process is left"
[ "$RUN_STATUS" = 0 ] || diag "$(tail -n 30 "$RUN_OUT" "$RUN_ERR")"

# One g_malloc larger than any machine: GLib would end the process.
# (AddressSanitizer must return NULL too, as the C library does.)
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}allocator_may_return_null=1 \
    run_mpi 120 "$DASK_MPI_RUN" -n 4 --memory-limit 400MiB "$client" memory "$faults" 2 alloc_huge
is "$RUN_STATUS" 0 "a task whose allocation fails is stopped, and the job goes on (status $RUN_STATUS)"
like "$(grep '^error: ' "$RUN_OUT")" "*task 'hog-1' (function alloc_huge) failed on worker rank *: out of memory: failed to allocate 1125899906842624 bytes (the worker's resident memory was *% of its memory limit of 400.0*MiB)*" \
    "... its error names the task, the failed allocation and the memory figures"
is "$RUN_LEFTOVER" 0 "... and no process is left"
[ "$RUN_STATUS" = 0 ] || diag "$(tail -n 30 "$RUN_OUT" "$RUN_ERR")"

# The only worker stops a task: later tasks fail at once, no hang.
run_mpi 120 "$DASK_MPI_RUN" -n 3 --memory-limit 400MiB "$client" memory-last "$faults"
is "$RUN_STATUS" 0 "with its only worker retired, a later task fails with a reason instead of waiting (status $RUN_STATUS; $(grep '^after:' "$RUN_OUT"))"
is "$RUN_LEFTOVER" 0 "... and no process is left"
[ "$RUN_STATUS" = 0 ] || diag "$(tail -n 30 "$RUN_OUT" "$RUN_ERR")"

# A task at 81-83% of the limit for 1.5 s: its worker pauses, then resumes.
run_mpi 120 "$DASK_MPI_RUN" -n 4 --memory-limit 400MiB "$client" pause "$faults" 2
is "$RUN_STATUS" 0 "a task near the memory limit pauses its worker; every task completes (status $RUN_STATUS)"
ok "... the scheduler logs the pause with the memory figures" grep -q "worker rank [0-9]* paused: memory at [0-9.]*.*MiB, [89][0-9]% of the limit of 400.0.*MiB" "$RUN_ERR"
ok "... and the resumption" grep -q "worker rank [0-9]* resumed" "$RUN_ERR"
is "$RUN_LEFTOVER" 0 "... and no process is left"
[ "$RUN_STATUS" = 0 ] || diag "$(tail -n 30 "$RUN_OUT" "$RUN_ERR")"

# (Sizes are printed by g_format_size, whose space may be a no-break one.)
# Limits: a bad one is refused at once; auto is the node's share.
run_mpi 60 "$DASK_MPI_RUN" -n 3 --memory-limit 12parsecs "$client" compute
isnt "$RUN_STATUS" 0 "a bad memory limit fails the job (status $RUN_STATUS)"
ok "... with a message naming the value" grep -q "bad memory limit '12parsecs'" "$RUN_ERR"
run_mpi 60 env DASK_MPI_MEMORY_LIMIT= "$DASK_MPI_RUN" -n 4 --log-level info "$client" compute x 2
total=$(awk '/^MemTotal:/ { printf "%.0f", $2 * 1024 }' /proc/meminfo)
for f in /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory/memory.limit_in_bytes; do
    [ -r "$f" ] && v=$(cat "$f") && [ "$v" != max ] && [ "$v" -lt "$total" ] && total=$v
done
share=$(awk -v t="$total" 'BEGIN { printf "%.1f", t / 2 / 1073741824 }')
like "$(grep -m1 'joined from' "$RUN_ERR")" "*memory limit $share*GiB*" \
    "the default limit is the node's memory shared among its 2 workers ($share GiB)"
