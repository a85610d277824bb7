-- The second reference job (reference/trip-stats.md) in DuckDB SQL, CSV to
-- one Parquet file, for contrib/bench/groupby (run by nyctaxi-duckdb.mjs,
-- which fills in @INPUT@, a glob, and @OUTPUT@, a folder). Numbers as
-- DOUBLE, as pandas reads them.
COPY (
  WITH src AS (
    SELECT * FROM read_csv('@INPUT@', header = true,
      types = {'tpep_pickup_datetime': 'TIMESTAMP', 'tpep_dropoff_datetime': 'TIMESTAMP',
               'passenger_count': 'DOUBLE', 'trip_distance': 'DOUBLE',
               'pickup_longitude': 'DOUBLE', 'pickup_latitude': 'DOUBLE',
               'dropoff_longitude': 'DOUBLE', 'dropoff_latitude': 'DOUBLE',
               'payment_type': 'DOUBLE', 'fare_amount': 'DOUBLE', 'tip_amount': 'DOUBLE'})
  )
  SELECT year(tpep_pickup_datetime)::BIGINT AS year,
         month(tpep_pickup_datetime)::BIGINT AS month,
         hour(tpep_pickup_datetime)::BIGINT AS hour,
         coalesce(payment_type, -1)::BIGINT AS payment_type,
         count(*)::BIGINT AS trips,
         coalesce(sum(passenger_count), 0)::BIGINT AS passengers,
         coalesce(sum(trip_distance), 0) AS distance_sum,
         avg(fare_amount) AS fare_mean,
         avg(tip_amount) AS tip_mean,
         sum(tip_amount) / sum(fare_amount) AS tip_ratio,
         avg(epoch(tpep_dropoff_datetime) - epoch(tpep_pickup_datetime)) AS duration_mean_s
  FROM src
  WHERE fare_amount > 0 AND fare_amount < 500
    AND passenger_count > 0 AND passenger_count < 6
    AND pickup_longitude > -75 AND pickup_longitude < -73
    AND dropoff_longitude > -75 AND dropoff_longitude < -73
    AND pickup_latitude > 40 AND pickup_latitude < 42
    AND dropoff_latitude > 40 AND dropoff_latitude < 42
    AND tpep_pickup_datetime IS NOT NULL
  GROUP BY ALL
  ORDER BY year, month, hour, payment_type
) TO '@OUTPUT@/stats.parquet' (FORMAT parquet, COMPRESSION snappy);
