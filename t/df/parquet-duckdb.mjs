// DuckDB writes Parquet files, then this project's reader (parquet-dump)
// and DuckDB read them, and those of t/df/parquet-testing, and every value
// is compared. Prints TAP.
// Usage: node parquet-duckdb.mjs TMPDIR NODE_MODULES_PARENT PARQUET_DUMP TESTING_DIR
import { createRequire } from 'node:module';
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const [dir, cache, dump, testing] = process.argv.slice(2);
const require = createRequire(join(cache, 'package.json'));
const duckdb = require('@duckdb/node-api');

let n = 0;
const lines = [];
function ok(cond, what, diag) {
  n++;
  lines.push(`${cond ? 'ok' : 'not ok'} ${n} - ${what}`);
  if (!cond && diag) lines.push(`# ${String(diag).split('\n').join('\n# ')}`);
}
const q = s => s.replace(/'/g, "''");
const ident = s => '"' + s.replace(/"/g, '""') + '"';

// parquet-dump FILE [ARGS]: { status, header, rows, stderr }
function readWithDump(path, args = []) {
  const r = spawnSync(dump, [...args, path], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const out = r.stdout.split('\n').filter(l => l.length > 0);
  let header = null, rows = [];
  try {
    header = out.length ? JSON.parse(out[0]) : null;
    rows = out.slice(1).map(l => JSON.parse(l));
  } catch (e) {
    return { status: r.status, header, rows: [], stderr: `bad output: ${e.message}` };
  }
  return { status: r.status, header, rows, stderr: r.stderr };
}

// What our reader makes of each DuckDB type, and the SQL that puts DuckDB's
// value in parquet-dump's form.
function expectation(type) {
  if (/^DECIMAL/.test(type)) return { ours: 'float64', sql: c => `${c}::DOUBLE`, cmp: 'approx' };
  switch (type) {
    case 'BOOLEAN': return { ours: 'bool', sql: c => c };
    case 'TINYINT': case 'SMALLINT': case 'INTEGER': case 'UTINYINT': case 'USMALLINT':
      return { ours: 'int32', sql: c => c };
    case 'BIGINT': case 'UINTEGER': case 'UBIGINT':
      return { ours: 'int64', sql: c => `${c}::VARCHAR` };
    case 'FLOAT': return { ours: 'float32', sql: c => c, cmp: 'float32' };
    case 'DOUBLE': return { ours: 'float64', sql: c => c, cmp: 'float' };
    case 'DATE': return { ours: 'timestamp', sql: c => `epoch_ns(${c}::TIMESTAMP)::VARCHAR` };
    case 'TIMESTAMP': case 'TIMESTAMP_MS': case 'TIMESTAMP_S':
      // DuckDB keeps microseconds (INT96 nanoseconds are cut to them)
      return { ours: 'timestamp', sql: c => `epoch_ns(${c}::TIMESTAMP)::VARCHAR`, cmp: 'micros' };
    case 'TIMESTAMP WITH TIME ZONE':
      return { ours: 'timestamp', sql: c => `epoch_ns(${c})::VARCHAR`, cmp: 'micros' };
    case 'TIMESTAMP_NS': return { ours: 'timestamp', sql: c => `epoch_ns(${c})::VARCHAR` };
    case 'TIME': return { ours: 'duration', sql: c => `(epoch_us(DATE '1970-01-01' + ${c}) * 1000)::VARCHAR` };
    case 'VARCHAR': return { ours: 'string', sql: c => c };
    case 'BLOB': return { ours: 'string', sql: c => `decode(${c})` };
    default: return null;   // not read by ours
  }
}

function sameValue(mine, theirs, cmp) {
  if (theirs === null || theirs === undefined) return mine === null;
  if (mine === null) return false;
  if (typeof theirs === 'bigint') theirs = Number(theirs);
  switch (cmp) {
    case 'float':
      if (typeof mine === 'string') return String(theirs) === mine || (mine === 'NaN' && Number.isNaN(theirs));
      return mine === theirs;
    case 'float32':
      if (typeof mine === 'string') return String(theirs) === mine || (mine === 'NaN' && Number.isNaN(theirs));
      return Math.fround(mine) === Math.fround(theirs);
    case 'approx':
      return mine === theirs || Math.abs(mine - theirs) <= 1e-15 * Math.max(Math.abs(mine), Math.abs(theirs));
    case 'micros':
      return (BigInt(mine) / 1000n - (BigInt(mine) % 1000n < 0n ? 1n : 0n)) * 1000n === BigInt(theirs);
    default:
      return mine === theirs;
  }
}

// Compares our reading of @path with DuckDB's; @label names the file.
async function compareFile(conn, path, label) {
  let described;
  try {
    described = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${q(path)}')`)).getRowObjectsJS();
  } catch (e) {
    lines.push(`# ${label}: DuckDB cannot read it (${String(e.message).split('\n')[0]}): not compared`);
    return;
  }
  const mine = readWithDump(path);
  if (mine.status !== 0) {
    ok(false, `${label}: our reader reads it`, mine.stderr);
    return;
  }
  const cols = mine.header.columns;
  const badTypes = [];
  const read = [];   // the columns our reader read, in order
  for (const d of described) {
    const c = cols.find(x => x.name === d.column_name);
    const e = expectation(d.column_type);
    if (!c) { badTypes.push(`${d.column_name} missing`); continue; }
    // A plain FIXED_LEN_BYTE_ARRAY is DuckDB's BLOB, not read by ours.
    const notOurs = !c.supported && d.column_type === 'BLOB' && /^FIXED_LEN_BYTE_ARRAY/.test(c.problem);
    if (!e || notOurs) {
      if (c.supported) badTypes.push(`${d.column_name} (${d.column_type}) read as ${c.type}`);
      continue;
    }
    if (!c.supported || c.type !== e.ours) {
      badTypes.push(`${d.column_name} (${d.column_type}): ${c.supported ? c.type : c.problem}, want ${e.ours}`);
      continue;
    }
    read.push({ name: d.column_name, ...e });
  }
  ok(badTypes.length === 0, `${label}: column types`, badTypes.join('; '));

  const supported = cols.filter(c => c.supported).map(c => c.name);
  if (supported.length === 0) {
    lines.push(`# ${label}: no column our reader reads`);
    return;
  }
  const sql = `SELECT ${supported.map(name => {
    const r = read.find(x => x.name === name);
    return r ? r.sql(ident(name)) : ident(name);
  }).join(', ')} FROM read_parquet('${q(path)}')`;
  let theirs;
  try {
    theirs = (await conn.runAndReadAll(sql)).getRowsJS();
  } catch (e) {
    lines.push(`# ${label}: read by ours (${mine.rows.length} rows); DuckDB cannot read its values (${String(e.message).split('\n')[0]}): not compared`);
    return;
  }
  const bad = [];
  if (theirs.length !== mine.rows.length) bad.push(`${mine.rows.length} rows, DuckDB ${theirs.length}`);
  for (let r = 0; r < Math.min(theirs.length, mine.rows.length) && bad.length < 5; r++) {
    for (let k = 0; k < supported.length; k++) {
      const spec = read.find(x => x.name === supported[k]);
      if (!spec) continue;
      if (!sameValue(mine.rows[r][k], theirs[r][k], spec.cmp))
        bad.push(`row ${r} ${supported[k]}: ours ${JSON.stringify(mine.rows[r][k])}, DuckDB ${theirs[r][k]}`);
    }
  }
  ok(bad.length === 0, `${label}: ${mine.rows.length} rows x ${read.length} columns match DuckDB`, bad.join('\n'));
}

const instance = await duckdb.DuckDBInstance.create(':memory:');
const conn = await instance.connect();

// ---- Files DuckDB writes -----------------------------------------------------
const N = 5000;
await conn.run(`CREATE TABLE t AS SELECT
    CASE WHEN i % 7 = 3 THEN NULL ELSE (i * 7919 - 400000)::INTEGER END AS i32,
    CASE WHEN i % 11 = 4 THEN NULL ELSE i * 1000000000039 END AS i64,
    (i % 100 - 50)::TINYINT AS i8, (i * 13 % 30000)::SMALLINT AS i16,
    (i % 256)::UTINYINT AS u8, (i % 65536)::USMALLINT AS u16,
    (i * 858993)::UINTEGER AS u32, (i * 1844674407370955)::UBIGINT AS u64,
    CASE WHEN i = 3 THEN 'nan'::FLOAT WHEN i = 4 THEN '-inf'::FLOAT WHEN i % 9 = 0 THEN NULL ELSE (i / 7 - 3)::FLOAT END AS f32,
    CASE WHEN i % 13 = 5 THEN NULL ELSE i / 3 END AS f64,
    CASE WHEN i % 17 = 6 THEN NULL ELSE i % 3 = 1 END AS b,
    CASE WHEN i % 5 = 1 THEN NULL ELSE DATE '1970-01-01' + (i * 17 - 40000)::INTEGER END AS d,
    TIMESTAMP '2015-01-01' + (i - 20) * INTERVAL 1000001 MICROSECOND AS ts,
    (TIMESTAMP '2015-01-01' + (i - 20) * INTERVAL 1000001 MICROSECOND)::TIMESTAMP_NS + (i % 1000) * INTERVAL 1 MICROSECOND AS tsns,
    (TIMESTAMP '2015-01-01' + i * INTERVAL 1001 MILLISECOND)::TIMESTAMP_MS AS tsms,
    (TIMESTAMP '2015-01-01' + i * INTERVAL 61 SECOND)::TIMESTAMP_S AS tss,
    (TIMESTAMP '2015-01-01' + i * INTERVAL 1 HOUR)::TIMESTAMPTZ AS tstz,
    ((i % 2000 - 1000) / 100)::DECIMAL(4,2) AS dec4,
    (i * 1000003 / 1000)::DECIMAL(18,3) AS dec18,
    CASE WHEN i % 3 = 0 THEN NULL ELSE (i * 123456789.0123456789 - 5e11)::DECIMAL(38,10) END AS dec38,
    CASE WHEN i % 19 = 2 THEN NULL ELSE 'k' || (i % 5) END AS rep,
    'u' || i || CASE WHEN i % 3 = 0 THEN 'é' ELSE '' END AS uniq,
    CASE WHEN i % 97 = 5 THEN repeat('xyz', 400) ELSE '' END AS long,
    TIME '01:02:03' + i * INTERVAL 1 SECOND AS tm,
    ('b' || i)::BLOB AS bl,
    [i, i + 1] AS lst, {'a': i} AS st, INTERVAL 1 DAY * i AS iv
  FROM range(${N}) r(i)`);

const files = [];
for (const codec of ['snappy', 'zstd', 'gzip', 'uncompressed'])
  for (const v of ['V1', 'V2']) {
    const path = join(dir, `duckdb-${codec}-${v}.parquet`);
    try {
      await conn.run(`COPY t TO '${q(path)}' (FORMAT parquet, COMPRESSION ${codec}, PARQUET_VERSION ${v}, ROW_GROUP_SIZE 1024)`);
    } catch (e) {
      ok(false, `DuckDB writes ${path}`, String(e.message).split('\n')[0]);
      continue;
    }
    files.push(path);
  }
for (const path of files)
  await compareFile(conn, path, path.split('/').pop());

// The encodings those files exercise.
const encodings = new Set();
for (const path of files)
  for (const r of (await conn.runAndReadAll(`SELECT DISTINCT encodings FROM parquet_metadata('${q(path)}')`)).getRowsJS())
    for (const e of String(r[0]).split(/,\s*/)) encodings.add(e);
const wanted = ['PLAIN', 'PLAIN_DICTIONARY', 'RLE_DICTIONARY', 'DELTA_BINARY_PACKED', 'DELTA_LENGTH_BYTE_ARRAY', 'BYTE_STREAM_SPLIT'];
ok(wanted.every(e => encodings.has(e)), `DuckDB's files use ${wanted.join(', ')}`, `only ${[...encodings]}`);

// Column subsets, row-group ranges and max_rows, through parquet-dump.
{
  const path = files[0];
  const all = readWithDump(path, ['--columns', 'uniq,i32']);
  const part = readWithDump(path, ['--columns', 'uniq,i32', '--row-groups', '1:2', '--max-rows', '1500']);
  const skip = readWithDump(path, ['--columns', 'b', '--row-groups', '0:1']).rows.length;
  ok(all.status === 0 && part.status === 0 && part.rows.length === 1500 && skip > 0 &&
     JSON.stringify(part.rows) === JSON.stringify(all.rows.slice(skip, skip + 1500)),
     'row groups 1 and 2, the first 1500 rows, two columns in the order asked',
     `${part.status} ${part.stderr} ${part.rows.length}`);
}

// Columns ours does not read: an error naming them; the others stay readable.
for (const col of ['lst', 'st', 'iv']) {
  const r = readWithDump(files[0], ['--columns', `i32,${col}`]);
  ok(r.status === 2 && r.stderr.includes(`column '${col}' cannot be read`) && r.stderr.includes(files[0]),
     `reading the unsupported column ${col} is an error naming it`, r.stderr);
}

// Codecs ours does not read, and an unsigned value over INT64_MAX.
for (const [codec, name] of [['lz4', 'LZ4'], ['brotli', 'BROTLI']]) {
  const path = join(dir, `duckdb-${codec}.parquet`);
  try {
    await conn.run(`COPY (SELECT 1 AS x) TO '${q(path)}' (FORMAT parquet, COMPRESSION ${codec})`);
  } catch (e) {
    lines.push(`# DuckDB cannot write ${codec}: ${String(e.message).split('\n')[0]}`);
    continue;
  }
  const r = readWithDump(path);
  ok(r.status === 2 && r.stderr.includes(`codec ${name}`) && r.stderr.includes(path),
     `a ${codec} file: an error naming the codec`, r.stderr);
}
{
  const path = join(dir, 'duckdb-u64-max.parquet');
  await conn.run(`COPY (SELECT 18446744073709551615::UBIGINT AS big) TO '${q(path)}' (FORMAT parquet)`);
  const r = readWithDump(path);
  ok(r.status === 2 && r.stderr.includes('over INT64_MAX') && r.stderr.includes("column 'big'"),
     'UBIGINT over INT64_MAX: an error naming the column', r.stderr);
}

// ---- Files of other writers (parquet-testing) ----------------------------------
const EXPECTED_ERRORS = {
  'lz4_raw_compressed.parquet': 'codec LZ4_RAW',
  'int96_from_spark.parquet': 'out of the range of nanosecond timestamps',
  'nation.dict-malformed.parquet': 'runs past the column chunk',
};
for (const name of readdirSync(testing).filter(f => f.endsWith('.parquet')).sort()) {
  const path = join(testing, name);
  if (EXPECTED_ERRORS[name]) {
    const r = readWithDump(path);
    ok(r.status === 2 && r.stderr.includes(EXPECTED_ERRORS[name]) && r.stderr.includes(name),
       `parquet-testing ${name}: the error says "${EXPECTED_ERRORS[name]}"`, r.stderr);
    continue;
  }
  await compareFile(conn, path, `parquet-testing ${name}`);
}

// ---- Speed on 1 M rows of DuckDB's default file ------------------------------------
{
  const path = join(dir, 'duckdb-1m.parquet');
  await conn.run(`COPY (SELECT i::INTEGER AS i32, i * 1000003 AS i64, i / 3 AS f64,
                        TIMESTAMP '2015-01-01' + i * INTERVAL 1 SECOND AS ts, 'k' || (i % 50) AS rep,
                        'u' || i AS uniq, i % 3 = 1 AS b
                  FROM range(1000000) r(i)) TO '${q(path)}' (FORMAT parquet)`);
  const r = spawnSync(dump, ['--bench', '2', path], { encoding: 'utf8' });
  ok(r.status === 0, 'our reader reads 1 M rows of DuckDB (snappy, defaults)', r.stderr);
  lines.push(`# DuckDB's 1 M rows x 7 columns: ${r.stdout.trim()}`);
}

console.log(`1..${n}`);
for (const l of lines) console.log(l);
