## Scheduling on a real cluster: work stealing between two workers
## (t/cluster/stealing.sh); scatter with broadcast (t/cluster/broadcast.sh).
TESTS += t/cluster/stealing.sh t/cluster/broadcast.sh
EXTRA_DIST += t/cluster/stealing.sh t/cluster/broadcast.sh
