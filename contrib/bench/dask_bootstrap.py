"""Start a Python Dask cluster inside an MPI job, the way dask-mpi does.

This is what dask_mpi.initialize() does, written out so the benchmarks need
no more than Debian's python3-distributed and python3-mpi4py: rank 0 runs
the scheduler, rank 1 returns to run the client code, every other rank runs
a worker with one thread and no nanny. The scheduler's address reaches the
other ranks through an MPI broadcast; after that all traffic is TCP.
"""

import asyncio
import sys

from mpi4py import MPI

import dask
from distributed import Scheduler, Worker


def initialize(nthreads=1, dashboard_address=":8787"):
    """On rank 1 return the scheduler's address; on other ranks serve until
    the client shuts the cluster down, then exit."""
    comm = MPI.COMM_WORLD
    rank = comm.Get_rank()

    if rank == 0:
        async def run_scheduler():
            async with Scheduler(dashboard_address=dashboard_address) as scheduler:
                comm.bcast(scheduler.address, root=0)
                comm.Barrier()
                await scheduler.finished()

        asyncio.run(run_scheduler())
        sys.exit(0)

    address = comm.bcast(None, root=0)
    dask.config.set(scheduler_address=address)
    comm.Barrier()
    if rank == 1:
        return address

    async def run_worker():
        async with Worker(address, nthreads=nthreads, name=rank) as worker:
            await worker.finished()

    asyncio.run(run_worker())
    sys.exit(0)
