-- The reference job (reference/nyctaxi-job.md) in DuckDB SQL, CSV to
-- Parquet, for contrib/bench/nyctaxi. @INPUT@ (a glob) and @OUTPUT@ (a
-- folder) are filled in by nyctaxi-duckdb.mjs. Float features in FLOAT
-- (float32) as the job computes them.
COPY (
  WITH src AS (
    SELECT * FROM read_csv('@INPUT@', header = true,
      types = {'VendorID': 'INTEGER', 'tpep_pickup_datetime': 'TIMESTAMP',
               'tpep_dropoff_datetime': 'TIMESTAMP', 'passenger_count': 'INTEGER',
               'trip_distance': 'DOUBLE', 'pickup_longitude': 'DOUBLE',
               'pickup_latitude': 'DOUBLE', 'RateCodeID': 'INTEGER',
               'store_and_fwd_flag': 'VARCHAR', 'dropoff_longitude': 'DOUBLE',
               'dropoff_latitude': 'DOUBLE', 'payment_type': 'INTEGER',
               'fare_amount': 'DOUBLE', 'extra': 'DOUBLE', 'mta_tax': 'DOUBLE',
               'tip_amount': 'DOUBLE', 'tolls_amount': 'DOUBLE',
               'improvement_surcharge': 'DOUBLE', 'total_amount': 'DOUBLE'})
  ),
  kept AS (
    SELECT
      coalesce(VendorID, -1) AS VendorID,
      tpep_pickup_datetime AS pickup_datetime,
      tpep_dropoff_datetime AS dropoff_datetime,
      coalesce(passenger_count, -1) AS passenger_count,
      coalesce(trip_distance::FLOAT, -1) AS trip_distance,
      pickup_longitude::FLOAT AS pickup_longitude,
      pickup_latitude::FLOAT AS pickup_latitude,
      coalesce(RateCodeID, -1) AS rate_code,
      dropoff_longitude::FLOAT AS dropoff_longitude,
      dropoff_latitude::FLOAT AS dropoff_latitude,
      coalesce(payment_type, -1) AS payment_type,
      fare_amount::FLOAT AS fare_amount,
      coalesce(tip_amount::FLOAT, -1) AS tip_amount,
      coalesce(total_amount::FLOAT, -1) AS total_amount
    FROM src
    WHERE fare_amount::FLOAT > 0 AND fare_amount::FLOAT < 500
      AND passenger_count > 0 AND passenger_count < 6
      AND pickup_longitude::FLOAT > -75 AND pickup_longitude::FLOAT < -73
      AND dropoff_longitude::FLOAT > -75 AND dropoff_longitude::FLOAT < -73
      AND pickup_latitude::FLOAT > 40 AND pickup_latitude::FLOAT < 42
      AND dropoff_latitude::FLOAT > 40 AND dropoff_latitude::FLOAT < 42
  )
  SELECT *,
    coalesce(hour(pickup_datetime), -1)::INTEGER AS hour,
    coalesce(year(pickup_datetime), -1)::INTEGER AS year,
    coalesce(month(pickup_datetime), -1)::INTEGER AS month,
    coalesce(day(pickup_datetime), -1)::INTEGER AS day,
    coalesce(isodow(pickup_datetime) - 1, -1)::INTEGER AS day_of_week,
    dropoff_datetime - pickup_datetime AS diff,
    (floor(pickup_latitude / 0.01::FLOAT) * 0.01::FLOAT)::FLOAT AS pickup_latitude_r,
    (floor(pickup_longitude / 0.01::FLOAT) * 0.01::FLOAT)::FLOAT AS pickup_longitude_r,
    (floor(dropoff_latitude / 0.01::FLOAT) * 0.01::FLOAT)::FLOAT AS dropoff_latitude_r,
    (floor(dropoff_longitude / 0.01::FLOAT) * 0.01::FLOAT)::FLOAT AS dropoff_longitude_r,
    (2 * 6371 * asin(sqrt(
        pow(sin(radians(dropoff_latitude - pickup_latitude) / 2), 2) +
        cos(radians(pickup_latitude)) * cos(radians(dropoff_latitude)) *
        pow(sin(radians(dropoff_longitude - pickup_longitude) / 2), 2))))::FLOAT AS h_distance,
    (coalesce(isodow(pickup_datetime) - 1, -1) > 5)::INTEGER AS is_weekend
  FROM kept
) TO '@OUTPUT@' (FORMAT parquet, COMPRESSION snappy, PER_THREAD_OUTPUT true);
