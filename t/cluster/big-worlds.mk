## 16 and 32 ranks on this 2-core machine start, run a small job and shut
## down cleanly (t/cluster/big-worlds.sh, driving t/cluster/test-client).
TESTS += t/cluster/big-worlds.sh
EXTRA_DIST += t/cluster/big-worlds.sh
