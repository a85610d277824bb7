"""Python Dask's side of contrib/bench/tree.

Run under mpirun with at least 3 ranks; rank 1 submits --leaves inc(i)
leaves and levels of sum over --fan-in results above them until one root
remains, keeps only the root, gathers it, checks it is n(n+1)/2, and prints
tasks= and total_s=.
"""

import argparse
import sys
import time

# Keep the source tree free of __pycache__.
sys.dont_write_bytecode = True
from dask_bootstrap import initialize  # noqa: E402 (after the line above)


def inc(x):
    return x + 1


def total(*xs):
    return sum(xs)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leaves", type=int, default=10000, help="number of leaves")
    parser.add_argument("--fan-in", type=int, default=8, help="inputs per sum task")
    parser.add_argument("--workers", type=int, default=2, help="wait for this many workers first")
    args = parser.parse_args()

    address = initialize()

    from distributed import Client

    with Client(address) as client:
        client.wait_for_workers(args.workers, timeout=60)
        print(f"dask tree: {len(client.scheduler_info()['workers'])} workers; "
              f"{args.leaves} leaves, fan-in {args.fan_in}", flush=True)
        t0 = time.perf_counter()
        level = client.map(inc, range(args.leaves), pure=False)
        n_tasks = len(level)
        while len(level) > 1:
            level = [client.submit(total, *level[i:i + args.fan_in], pure=False)
                     for i in range(0, len(level), args.fan_in)]
            n_tasks += len(level)
        t_submitted = time.perf_counter()
        value = level[0].result()
        t1 = time.perf_counter()
        want = args.leaves * (args.leaves + 1) // 2
        if value != want:
            print(f"dask tree: the root gave {value}, expected {want}", file=sys.stderr)
            client.shutdown()
            return 1
        print(f"tasks={n_tasks}")
        print(f"submit_s={t_submitted - t0:.3f}")
        print(f"total_s={t1 - t0:.3f}", flush=True)
        client.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
