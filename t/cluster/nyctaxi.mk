## The reference NYC taxi job on a whole cluster: the sample, an independent
## check of every value with DuckDB, block splitting, bad input, the man page.
TESTS += t/cluster/nyctaxi.sh
EXTRA_DIST += t/cluster/nyctaxi.sh t/cluster/nyctaxi/check.mjs
