## t/cluster/faults.sh: a cancelled job (SIGTERM, SIGINT to mpirun) while
## dask-mpi-prep-nyctaxi writes parts: ranks exit, nothing is left, no
## partial part file stands under its final name, no temporary is left; a
## later run removes stale temporaries.
TESTS += t/cluster/faults.sh
EXTRA_DIST += t/cluster/faults.sh
