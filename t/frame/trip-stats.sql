-- reference/trip-stats.md in DuckDB SQL, for t/frame/trip-stats.sh (run by
-- duckdb-dump.mjs, which puts the list of CSV files for @FILES@). Numbers
-- are DOUBLE, as pandas reads them; the files' headers may spell the rate
-- code either way (union_by_name). A sum of no values is 0 (pandas'
-- min_count=0), so a group whose tips are all missing has a tip ratio of 0.
WITH src AS (
  SELECT * FROM read_csv(@FILES@, header = true, union_by_name = true,
    types = {'tpep_pickup_datetime': 'TIMESTAMP', 'tpep_dropoff_datetime': 'TIMESTAMP',
             'passenger_count': 'DOUBLE', 'trip_distance': 'DOUBLE',
             'pickup_longitude': 'DOUBLE', 'pickup_latitude': 'DOUBLE',
             'dropoff_longitude': 'DOUBLE', 'dropoff_latitude': 'DOUBLE',
             'payment_type': 'DOUBLE', 'fare_amount': 'DOUBLE', 'tip_amount': 'DOUBLE'})
)
SELECT CAST(year(tpep_pickup_datetime) AS BIGINT) AS year,
       CAST(month(tpep_pickup_datetime) AS BIGINT) AS month,
       CAST(hour(tpep_pickup_datetime) AS BIGINT) AS hour,
       CAST(coalesce(payment_type, -1) AS BIGINT) AS payment_type,
       CAST(count(*) AS BIGINT) AS trips,
       CAST(coalesce(sum(passenger_count), 0) AS BIGINT) AS passengers,
       coalesce(sum(trip_distance), 0) AS distance_sum,
       avg(fare_amount) AS fare_mean,
       avg(tip_amount) AS tip_mean,
       coalesce(sum(tip_amount), 0) / sum(fare_amount) AS tip_ratio,
       avg(epoch(tpep_dropoff_datetime) - epoch(tpep_pickup_datetime)) AS duration_mean_s
FROM src
WHERE fare_amount > 0 AND fare_amount < 500
  AND passenger_count > 0 AND passenger_count < 6
  AND pickup_longitude > -75 AND pickup_longitude < -73
  AND dropoff_longitude > -75 AND dropoff_longitude < -73
  AND pickup_latitude > 40 AND pickup_latitude < 42
  AND dropoff_latitude > 40 AND dropoff_latitude < 42
GROUP BY ALL
ORDER BY year, month, hour, payment_type
