"""Python Dask's side of contrib/bench/transfer (optional there).

Run under mpirun with 4 ranks; rank 1 makes --results byte strings of --size
bytes on the first worker and consumes each on the second (workers=
restrictions), --batch at a time, timing only the consuming phase, and prints
transfer_s=, bytes= and gbps= (10^9 bytes per second).
"""

import argparse
import sys
import time

# Keep the source tree free of __pycache__.
sys.dont_write_bytecode = True
from dask_bootstrap import initialize  # noqa: E402 (after the line above)


def make(n, i):
    return bytes(n)


def nbytes(b):
    return len(b)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--results", type=int, default=100, help="results to move")
    parser.add_argument("--size", type=int, default=10_000_000, help="bytes per result")
    parser.add_argument("--batch", type=int, default=50, help="results made, then moved, at a time")
    args = parser.parse_args()

    address = initialize()

    from distributed import Client, wait

    with Client(address) as client:
        client.wait_for_workers(2, timeout=60)
        producer, consumer = sorted(client.scheduler_info()["workers"])[:2]
        print(f"dask transfer: {args.results} results of {args.size} bytes "
              f"from {producer} to {consumer}", flush=True)
        elapsed = 0.0
        for start in range(0, args.results, args.batch):
            n = min(args.batch, args.results - start)
            made = [client.submit(make, args.size, start + i, workers=[producer], pure=False)
                    for i in range(n)]
            wait(made)
            t0 = time.perf_counter()
            used = [client.submit(nbytes, f, workers=[consumer], pure=False) for f in made]
            wait(used)
            elapsed += time.perf_counter() - t0
            sizes = client.gather(used)
            if any(s != args.size for s in sizes):
                print(f"dask transfer: a consumer saw the wrong size: {sizes}", file=sys.stderr)
                client.shutdown()
                return 1
            del made, used
        total = args.results * args.size
        print(f"transfer_s={elapsed:.3f}")
        print(f"bytes={total}")
        print(f"gbps={total / elapsed / 1e9:.3f}", flush=True)
        client.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
