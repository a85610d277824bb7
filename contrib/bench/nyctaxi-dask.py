"""The reference job (reference/nyctaxi-job.md) in Python Dask + pandas, for
contrib/bench/nyctaxi, launched as dask-mpi launches it (dask_bootstrap.py).

Debian's Python has no Parquet engine, so two things are timed on the same
cluster, each from the CSV input: computing every output column of every
partition and keeping them in the workers' memory (persist: the least work
Dask can do), and writing the result as CSV. Prints dask_rows=, dask_s=,
dask_csv_s=.

Usage: mpirun -n 4 python3 nyctaxi-dask.py INPUT_DIR CSV_OUTPUT_DIR [BLOCKSIZE]
"""

import glob
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dask_bootstrap import initialize  # noqa: E402

initialize(nthreads=1)

import numpy as np  # noqa: E402
import dask.dataframe as dd  # noqa: E402
from distributed import Client, wait  # noqa: E402

OUTPUT_TYPES = {
    'VendorID': 'int32', 'pickup_datetime': 'datetime64[ns]',
    'dropoff_datetime': 'datetime64[ns]', 'passenger_count': 'int32',
    'trip_distance': 'float32', 'pickup_longitude': 'float32',
    'pickup_latitude': 'float32', 'rate_code': 'int32',
    'dropoff_longitude': 'float32', 'dropoff_latitude': 'float32',
    'payment_type': 'int32', 'fare_amount': 'float32',
    'tip_amount': 'float32', 'total_amount': 'float32',
}
RENAME = {'tpep_pickup_datetime': 'pickup_datetime',
          'tpep_dropoff_datetime': 'dropoff_datetime',
          'RateCodeID': 'rate_code', 'RatecodeID': 'rate_code'}


def haversine(lat1, lon1, lat2, lon2):
    lat1, lon1, lat2, lon2 = (np.radians(x) for x in (lat1, lon1, lat2, lon2))
    a = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    return np.float32(2 * 6371) * np.arcsin(np.sqrt(a))


def prepare(df):
    """One partition: filter, rename, keep, fill, features."""
    df = df[(df.fare_amount > 0) & (df.fare_amount < 500)
            & (df.passenger_count > 0) & (df.passenger_count < 6)
            & (df.pickup_longitude > -75) & (df.pickup_longitude < -73)
            & (df.dropoff_longitude > -75) & (df.dropoff_longitude < -73)
            & (df.pickup_latitude > 40) & (df.pickup_latitude < 42)
            & (df.dropoff_latitude > 40) & (df.dropoff_latitude < 42)]
    df = df.rename(columns=RENAME)[list(OUTPUT_TYPES)]
    num = [c for c, t in OUTPUT_TYPES.items() if not t.startswith('datetime')]
    df[num] = df[num].fillna(-1)
    df = df.astype(OUTPUT_TYPES)
    pickup = df['pickup_datetime'].dt
    df['hour'] = pickup.hour.astype('int32')
    df['year'] = pickup.year.astype('int32')
    df['month'] = pickup.month.astype('int32')
    df['day'] = pickup.day.astype('int32')
    df['day_of_week'] = pickup.weekday.astype('int32')
    df['diff'] = df['dropoff_datetime'] - df['pickup_datetime']
    for c in ('pickup_latitude', 'pickup_longitude', 'dropoff_latitude', 'dropoff_longitude'):
        # The users' job: NumPy's float32 floor division (fmod based).
        df[c + '_r'] = df[c] // 0.01 * 0.01
    df['h_distance'] = haversine(df['pickup_latitude'], df['pickup_longitude'],
                                 df['dropoff_latitude'], df['dropoff_longitude'])
    df['is_weekend'] = (df['day_of_week'] > 5).astype('int32')
    return df


def frame(files, blocksize):
    raw = dd.read_csv(files, blocksize=blocksize,
                      parse_dates=['tpep_pickup_datetime', 'tpep_dropoff_datetime'],
                      dtype={'store_and_fwd_flag': 'object'}, assume_missing=True)
    return raw.map_partitions(prepare)


def main():
    input_dir, csv_out = sys.argv[1], sys.argv[2]
    blocksize = int(sys.argv[3]) if len(sys.argv) > 3 else 64_000_000
    files = sorted(glob.glob(os.path.join(input_dir, '*.csv')))
    client = Client()
    try:
        t0 = time.perf_counter()
        df = frame(files, blocksize).persist()
        wait(df)
        dask_s = time.perf_counter() - t0
        rows = int(df.map_partitions(len).compute().sum())
        del df
        t0 = time.perf_counter()
        frame(files, blocksize).to_csv(os.path.join(csv_out, 'part.*.csv'), index=False)
        dask_csv_s = time.perf_counter() - t0
        print(f'dask_rows={rows}')
        print(f'dask_s={dask_s:.3f}')
        print(f'dask_csv_s={dask_csv_s:.3f}', flush=True)
    finally:
        client.shutdown()
        client.close()


if __name__ == '__main__':
    main()
