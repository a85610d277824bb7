"""The second reference job (reference/trip-stats.md) in Python Dask +
pandas, for contrib/bench/groupby, launched as dask-mpi launches it
(dask_bootstrap.py). Prints dask_groups= and dask_s= (read, filter, group
by and compute the small result on the client).

Usage: mpirun -n 4 python3 groupby-dask.py INPUT_DIR [BLOCKSIZE]
"""

import glob
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dask_bootstrap import initialize  # noqa: E402

initialize(nthreads=1)

import dask.dataframe as dd  # noqa: E402
from distributed import Client  # noqa: E402

COLUMNS = ['tpep_pickup_datetime', 'tpep_dropoff_datetime', 'passenger_count',
           'trip_distance', 'pickup_longitude', 'pickup_latitude',
           'dropoff_longitude', 'dropoff_latitude', 'payment_type',
           'fare_amount', 'tip_amount']


def trip_stats(files, blocksize):
    df = dd.read_csv(files, blocksize=blocksize, usecols=COLUMNS,
                     parse_dates=['tpep_pickup_datetime', 'tpep_dropoff_datetime'],
                     dtype={c: 'float64' for c in COLUMNS[2:]})
    df = df[(df.fare_amount > 0) & (df.fare_amount < 500)
            & (df.passenger_count > 0) & (df.passenger_count < 6)
            & (df.pickup_longitude > -75) & (df.pickup_longitude < -73)
            & (df.dropoff_longitude > -75) & (df.dropoff_longitude < -73)
            & (df.pickup_latitude > 40) & (df.pickup_latitude < 42)
            & (df.dropoff_latitude > 40) & (df.dropoff_latitude < 42)]
    pickup = df.tpep_pickup_datetime.dt
    df = df.assign(year=pickup.year, month=pickup.month, hour=pickup.hour,
                   payment_type=df.payment_type.fillna(-1).astype('int64'),
                   duration=(df.tpep_dropoff_datetime - df.tpep_pickup_datetime).dt.total_seconds())
    g = df.groupby(['year', 'month', 'hour', 'payment_type']).agg({
        'fare_amount': ['size', 'mean', 'sum'], 'passenger_count': ['sum'],
        'trip_distance': ['sum'], 'tip_amount': ['mean', 'sum'], 'duration': ['mean']})
    r = g.compute()
    r.columns = ['_'.join(c) for c in r.columns]
    out = r.reset_index().rename(columns={
        'fare_amount_size': 'trips', 'passenger_count_sum': 'passengers',
        'trip_distance_sum': 'distance_sum', 'fare_amount_mean': 'fare_mean',
        'tip_amount_mean': 'tip_mean', 'duration_mean': 'duration_mean_s'})
    out['tip_ratio'] = out['tip_amount_sum'] / out['fare_amount_sum']
    return out.sort_values(['year', 'month', 'hour', 'payment_type'])


def main():
    input_dir = sys.argv[1]
    blocksize = int(sys.argv[2]) if len(sys.argv) > 2 else 64_000_000
    files = sorted(glob.glob(os.path.join(input_dir, '*.csv')))
    client = Client()
    try:
        t0 = time.perf_counter()
        out = trip_stats(files, blocksize)
        dask_s = time.perf_counter() - t0
        print(f'dask_groups={len(out)}')
        print(f'dask_s={dask_s:.3f}', flush=True)
    finally:
        client.shutdown()
        client.close()


if __name__ == '__main__':
    main()
