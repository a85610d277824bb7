"""Python Dask's side of contrib/bench/throughput.

Run under mpirun with at least 3 ranks; rank 1 times client.map of a no-op
over --tasks inputs plus waiting for all of them, and prints tasks_per_s=.
"""

import argparse
import sys
import time

# Keep the source tree free of __pycache__.
sys.dont_write_bytecode = True
from dask_bootstrap import initialize  # noqa: E402 (after the line above)


def noop(x):
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=5000, help="number of no-op tasks")
    parser.add_argument("--workers", type=int, default=2, help="wait for this many workers first")
    args = parser.parse_args()

    address = initialize()

    from distributed import Client, wait

    with Client(address) as client:
        client.wait_for_workers(args.workers, timeout=60)
        print(f"dask throughput: {len(client.scheduler_info()['workers'])} workers; "
              f"{args.tasks} noop tasks", flush=True)
        t0 = time.perf_counter()
        futures = client.map(noop, range(args.tasks), pure=False)
        t_submitted = time.perf_counter()
        wait(futures)
        t1 = time.perf_counter()
        n_done = sum(1 for f in futures if f.status == "finished")
        del futures
        if n_done != args.tasks:
            print(f"dask throughput: only {n_done} of {args.tasks} tasks finished", file=sys.stderr)
            client.shutdown()
            return 1
        print(f"submit_s={t_submitted - t0:.3f}")
        print(f"total_s={t1 - t0:.3f}")
        print(f"tasks_per_s={args.tasks / (t1 - t0):.0f}", flush=True)
        client.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
