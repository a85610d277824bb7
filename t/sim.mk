## t/sim.sh: placement properties of the scheduler core under the simulator
## (contrib/sim/dask-mpi-sim, built with the tree).
TESTS += t/sim.sh
EXTRA_DIST += t/sim.sh
