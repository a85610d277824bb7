"""Python Dask's side of contrib/bench/idle.

Run under mpirun with at least 3 ranks; rank 1 connects, waits for the
workers, prints idle_begin, sleeps --seconds, prints idle_end, stays idle one more
second for the closing sample, and shuts the cluster down.
"""

import argparse
import os
import sys
import time

# Keep the source tree free of __pycache__.
sys.dont_write_bytecode = True
from dask_bootstrap import initialize  # noqa: E402 (after the line above)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the idle window")
    parser.add_argument("--workers", type=int, default=2, help="wait for this many workers first")
    args = parser.parse_args()

    address = initialize()

    from distributed import Client

    with Client(address) as client:
        client.wait_for_workers(args.workers, timeout=60)
        print(f"idle_begin pid={os.getpid()} workers={len(client.scheduler_info()['workers'])}", flush=True)
        time.sleep(args.seconds)
        print(f"idle_end pid={os.getpid()}", flush=True)
        # Stay idle while the script takes its closing sample.
        time.sleep(1.0)
        client.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
