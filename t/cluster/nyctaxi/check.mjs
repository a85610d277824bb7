// The Parquet output of dask-mpi-prep-nyctaxi judged by DuckDB: reads every
// part.N.parquet (in N order) and compares it, row by row and column by
// column, with the job's semantics (reference/nyctaxi-job.md) computed by
// DuckDB SQL straight from the same CSV files. The SQL rounds to FLOAT
// (float32) after every step where the job computes in float32; floats
// then compare within two float32 ulps, h_distance within four ulps or a
// relative 1e-6. Prints TAP.
// Usage: node check.mjs NODE_MODULES_PARENT OUTPUT_DIR N_PARTS CSV_FILE...
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [cache, outDir, nPartsArg, ...csvFiles] = process.argv.slice(2);
const nParts = Number(nPartsArg);
const require = createRequire(join(cache, 'package.json'));
const duckdb = require('@duckdb/node-api');

const COLUMNS = [
  ['VendorID', 'INTEGER'], ['pickup_datetime', 'TIMESTAMP'], ['dropoff_datetime', 'TIMESTAMP'],
  ['passenger_count', 'INTEGER'], ['trip_distance', 'FLOAT'], ['pickup_longitude', 'FLOAT'],
  ['pickup_latitude', 'FLOAT'], ['rate_code', 'INTEGER'], ['dropoff_longitude', 'FLOAT'],
  ['dropoff_latitude', 'FLOAT'], ['payment_type', 'INTEGER'], ['fare_amount', 'FLOAT'],
  ['tip_amount', 'FLOAT'], ['total_amount', 'FLOAT'], ['hour', 'INTEGER'], ['year', 'INTEGER'],
  ['month', 'INTEGER'], ['day', 'INTEGER'], ['day_of_week', 'INTEGER'], ['diff', 'BIGINT'],
  ['pickup_latitude_r', 'FLOAT'], ['pickup_longitude_r', 'FLOAT'], ['dropoff_latitude_r', 'FLOAT'],
  ['dropoff_longitude_r', 'FLOAT'], ['h_distance', 'FLOAT'], ['is_weekend', 'INTEGER'],
];

const q = s => `'${s.replace(/'/g, "''")}'`;
const int = c => `CAST(CAST("${c}" AS DOUBLE) AS INTEGER)`;
const flt = c => `CAST(CAST("${c}" AS DOUBLE) AS FLOAT)`;
const F = x => `CAST(${x} AS FLOAT)`;

// The job on one CSV file, as DuckDB SQL over its text.
function expectedSql(file, header) {
  const rate = header.includes('RateCodeID') ? 'RateCodeID' : 'RatecodeID';
  const rad = x => F(`${x} * ${F('pi() / 180')}`);
  return `
  WITH src AS (SELECT * FROM read_csv(${q(file)}, header = true, all_varchar = true)),
  typed AS (
    SELECT ${int('VendorID')} AS VendorID,
      CAST(tpep_pickup_datetime AS TIMESTAMP) AS pickup_datetime,
      CAST(tpep_dropoff_datetime AS TIMESTAMP) AS dropoff_datetime,
      ${int('passenger_count')} AS passenger_count, ${flt('trip_distance')} AS trip_distance,
      ${flt('pickup_longitude')} AS pickup_longitude, ${flt('pickup_latitude')} AS pickup_latitude,
      ${int(rate)} AS rate_code,
      ${flt('dropoff_longitude')} AS dropoff_longitude, ${flt('dropoff_latitude')} AS dropoff_latitude,
      ${int('payment_type')} AS payment_type, ${flt('fare_amount')} AS fare_amount,
      ${flt('tip_amount')} AS tip_amount, ${flt('total_amount')} AS total_amount
    FROM src),
  kept AS (
    SELECT * FROM typed
    WHERE fare_amount > 0 AND fare_amount < 500 AND passenger_count > 0 AND passenger_count < 6
      AND pickup_longitude > -75 AND pickup_longitude < -73
      AND dropoff_longitude > -75 AND dropoff_longitude < -73
      AND pickup_latitude > 40 AND pickup_latitude < 42
      AND dropoff_latitude > 40 AND dropoff_latitude < 42),
  filled AS (
    SELECT coalesce(VendorID, -1) AS VendorID, pickup_datetime, dropoff_datetime,
      coalesce(passenger_count, -1) AS passenger_count,
      coalesce(trip_distance, ${F(-1)}) AS trip_distance,
      coalesce(pickup_longitude, ${F(-1)}) AS pickup_longitude,
      coalesce(pickup_latitude, ${F(-1)}) AS pickup_latitude,
      coalesce(rate_code, -1) AS rate_code,
      coalesce(dropoff_longitude, ${F(-1)}) AS dropoff_longitude,
      coalesce(dropoff_latitude, ${F(-1)}) AS dropoff_latitude,
      coalesce(payment_type, -1) AS payment_type,
      coalesce(fare_amount, ${F(-1)}) AS fare_amount,
      coalesce(tip_amount, ${F(-1)}) AS tip_amount,
      coalesce(total_amount, ${F(-1)}) AS total_amount
    FROM kept),
  rads AS (
    SELECT *, ${rad('pickup_latitude')} AS la1, ${rad('pickup_longitude')} AS lo1,
      ${rad('dropoff_latitude')} AS la2, ${rad('dropoff_longitude')} AS lo2
    FROM filled),
  hav AS (
    SELECT *, ${F(`sin(${F('(la2 - la1) / ' + F(2))})`)} AS s1,
      ${F(`sin(${F('(lo2 - lo1) / ' + F(2))})`)} AS s2,
      ${F(`${F('cos(la1)')} * ${F('cos(la2)')}`)} AS c12
    FROM rads)
  SELECT VendorID, pickup_datetime, dropoff_datetime, passenger_count, trip_distance,
    pickup_longitude, pickup_latitude, rate_code, dropoff_longitude, dropoff_latitude,
    payment_type, fare_amount, tip_amount, total_amount,
    coalesce(hour(pickup_datetime), -1) AS hour,
    coalesce(year(pickup_datetime), -1) AS year,
    coalesce(month(pickup_datetime), -1) AS month,
    coalesce(day(pickup_datetime), -1) AS day,
    coalesce(isodow(pickup_datetime) - 1, -1) AS day_of_week,
    date_diff('microsecond', pickup_datetime, dropoff_datetime) * 1000 AS diff,
    ${['pickup_latitude', 'pickup_longitude', 'dropoff_latitude', 'dropoff_longitude'].map(c =>
      F(`floor(${F(`${c} / ${F(0.01)}`)}) * ${F(0.01)}`) + ` AS ${c}_r`).join(', ')},
    ${F(`${F(6371)} * ${F(`${F(2)} * ${F(`asin(${F('sqrt(' + F('s1 * s1 + ' + F('c12 * ' + F('s2 * s2'))) + ')')})`)}`)}`)} AS h_distance,
    CAST(coalesce(isodow(pickup_datetime) - 1, -1) > 5 AS INTEGER) AS is_weekend
  FROM hav`;
}

const lines = [];
let n = 0;
function ok(cond, what, diag) {
  n++;
  lines.push(`${cond ? 'ok' : 'not ok'} ${n} - ${what}`);
  if (!cond && diag) for (const d of [].concat(diag)) lines.push(`# ${d}`);
}

function ulp32(x) {
  const a = Math.abs(x);
  if (a < 1.1754943508222875e-38) return 1.401298464324817e-45;
  return 2 ** (Math.floor(Math.log2(a)) - 23);
}

function plain(v) {
  if (v === null || v === undefined) return null;
  if (v instanceof duckdb.DuckDBTimestampValue) return `ts:${v.micros}`;
  if (typeof v === 'bigint') return v;
  return v;
}

function same(name, type, got, want) {
  got = plain(got), want = plain(want);
  if (got === null || want === null) return got === want;
  if (type === 'BIGINT') return BigInt(got) === BigInt(want);
  if (type === 'INTEGER') return Number(got) === Number(want);
  if (type !== 'FLOAT') return got === want;
  if (got === want) return true;
  const tol = Math.max(ulp32(want), ulp32(got)) * (name === 'h_distance' ? 4 : 2);
  const d = Math.abs(got - want);
  return d <= tol || (name === 'h_distance' && d <= 1e-6 * Math.abs(want));
}

const instance = await duckdb.DuckDBInstance.create(':memory:');
const conn = await instance.connect();

// The output, part by part.
const got = [];
let types = null, names = null, badParts = [];
for (let i = 0; i < nParts; i++) {
  const path = join(outDir, `part.${i}.parquet`);
  try {
    const r = await conn.runAndReadAll(`SELECT * FROM read_parquet(${q(path)})`);
    const t = r.columnTypes().map(x => x.toString());
    if (types === null) types = t, names = r.columnNames();
    else if (JSON.stringify(t) !== JSON.stringify(types)) badParts.push(`part.${i}: types ${t}`);
    got.push(...r.getRows());
  } catch (e) {
    badParts.push(`part.${i}: ${String(e.message).split('\n')[0]}`);
  }
}
ok(badParts.length === 0, `duckdb reads all ${nParts} parts with the same schema`, badParts.slice(0, 5));
ok(JSON.stringify(names) === JSON.stringify(COLUMNS.map(c => c[0])),
   'the 26 output columns, in order', `got ${names}`);
ok(JSON.stringify(types) === JSON.stringify(COLUMNS.map(c => c[1])),
   'the column types (timestamps as TIMESTAMP)', `got ${types}`);

// The expectation, file by file in name order.
const want = [];
for (const file of csvFiles) {
  const h = await conn.runAndReadAll(
    `SELECT * FROM read_csv(${q(file)}, header = true, all_varchar = true) LIMIT 0`);
  const r = await conn.runAndReadAll(expectedSql(file, h.columnNames()));
  want.push(...r.getRows());
}

// The rounded coordinates as NumPy computes x // 0.01 * 0.01 on float32
// (what the users' pandas job does): floor division built on fmod, in
// float32 (every step rounded with Math.fround; fmod is exact, and double
// rounding is harmless for one float32 operation done in double). DuckDB's
// floor(x / 0.01) differs at grid points: -74.0 gives -74.01 in NumPy.
function numpyFloorDivF32(a, b) {
  a = Math.fround(a), b = Math.fround(b);
  const mod = Math.fround(a % b);
  let div = Math.fround(Math.fround(a - mod) / b);
  if (mod !== 0 && (b < 0) !== (mod < 0))
    div = Math.fround(div - 1);
  let fl = Math.floor(div);
  if (div - fl > 0.5)
    fl = fl + 1;
  return Math.fround(fl);
}
const ROUNDED = { pickup_latitude_r: 'pickup_latitude', pickup_longitude_r: 'pickup_longitude',
                  dropoff_latitude_r: 'dropoff_latitude', dropoff_longitude_r: 'dropoff_longitude' };
const index = Object.fromEntries(COLUMNS.map((c, i) => [c[0], i]));
for (const row of want)
  for (const [r, src] of Object.entries(ROUNDED))
    row[index[r]] = row[index[src]] === null ? null
      : Math.fround(numpyFloorDivF32(row[index[src]], 0.01) * Math.fround(0.01));
ok(got.length === want.length && want.length > 0,
   `as many rows as DuckDB SQL keeps (${want.length})`, `got ${got.length}`);

const bad = [];
let compared = 0;
for (let r = 0; r < Math.min(got.length, want.length); r++) {
  for (let c = 0; c < COLUMNS.length; c++) {
    const [name, type] = COLUMNS[c];
    compared++;
    if (!same(name, type, got[r][c], want[r][c]))
      bad.push(`row ${r} ${name}: got ${plain(got[r][c])}, want ${plain(want[r][c])}`);
  }
}
ok(bad.length === 0 && compared === want.length * COLUMNS.length,
   `every value of every row matches (${compared} values)`,
   [`${bad.length} differ`, ...bad.slice(0, 8)]);

console.log(`1..${n}`);
for (const l of lines) console.log(l);
