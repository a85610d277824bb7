## Scheduling on a real cluster: work stealing between two workers
## (t/cluster/stealing.sh); scatter with broadcast (t/cluster/broadcast.sh);
## chains sent ahead to the worker computing their input (t/cluster/ahead.sh).
TESTS += t/cluster/stealing.sh t/cluster/broadcast.sh t/cluster/ahead.sh
EXTRA_DIST += t/cluster/stealing.sh t/cluster/broadcast.sh t/cluster/ahead.sh
