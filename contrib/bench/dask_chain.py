"""Python Dask's side of contrib/bench/chain.

Run under mpirun with at least 3 ranks; rank 1 submits a chain of --tasks
tasks, each adding 1 to the previous one's result, keeps only the last
future, gathers it, and prints us_per_task=.
"""

import argparse
import sys
import time

# Keep the source tree free of __pycache__.
sys.dont_write_bytecode = True
from dask_bootstrap import initialize  # noqa: E402 (after the line above)


def inc(x):
    return x + 1


def add(x, y):
    return x + y


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=2000, help="length of the chain")
    parser.add_argument("--workers", type=int, default=2, help="wait for this many workers first")
    args = parser.parse_args()

    address = initialize()

    from distributed import Client

    with Client(address) as client:
        client.wait_for_workers(args.workers, timeout=60)
        print(f"dask chain: {len(client.scheduler_info()['workers'])} workers; "
              f"a chain of {args.tasks} tasks", flush=True)
        t0 = time.perf_counter()
        last = client.submit(inc, 0, pure=False)
        for _ in range(1, args.tasks):
            last = client.submit(add, last, 1, pure=False)
        t_submitted = time.perf_counter()
        value = last.result()
        t1 = time.perf_counter()
        if value != args.tasks:
            print(f"dask chain: the chain gave {value}, expected {args.tasks}", file=sys.stderr)
            client.shutdown()
            return 1
        print(f"submit_s={t_submitted - t0:.3f}")
        print(f"total_s={t1 - t0:.3f}")
        print(f"us_per_task={(t1 - t0) * 1e6 / args.tasks:.1f}", flush=True)
        client.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
