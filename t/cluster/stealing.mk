## t/cluster/stealing.sh: work stealing between two real workers.
TESTS += t/cluster/stealing.sh
EXTRA_DIST += t/cluster/stealing.sh
