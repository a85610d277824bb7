## t/cluster/memory.sh: a task past its worker's memory limit is stopped
## with a clear error and the job goes on; pause and resume near the limit;
## memory limit parsing and the node's default.
TESTS += t/cluster/memory.sh
EXTRA_DIST += t/cluster/memory.sh
