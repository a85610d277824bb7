// Reads the files of parquet-gen with DuckDB and with hyparquet, two
// readers that share no code with our writer, and compares every value with
// the formulas of parquet-gen.c. Prints TAP.
// Usage: node parquet-readback.mjs DIR NODE_MODULES_PARENT
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [dir, cache] = process.argv.slice(2);
const require = createRequire(join(cache, 'package.json'));
const duckdb = require('@duckdb/node-api');
let hyparquet = null;
try {
  hyparquet = await import(pathToFileURL(join(cache, 'node_modules/hyparquet/src/node.js')).href);
} catch (e) {
  hyparquet = null;
}

const N = 10000;
const NAMES = ['i32', 'i64', 'f32', 'f64', 'ts', 'str', 'dur', 'b'];

// Expected values; timestamps as bigint in the file's unit.
function expected(r, col, nanos) {
  switch (col) {
    case 0: return r * 7 - 5000;
    case 1: return BigInt(r) * 1000000000007n - 3n;
    case 2: return (r % 1000) * 0.25 - 50;
    case 3: return r / 8 - 0.125;
    case 4: {
      const ns = r === 5 ? -1500n
        : (1420070400n + 61n * BigInt(r)) * 1000000000n + BigInt(r % 1000) * 1000n + BigInt(r % 7);
      if (nanos) return ns;
      return ns >= 0n ? ns / 1000n : -((-ns + 999n) / 1000n);  // floor
    }
    case 5: {
      if (r % 17 === 0) return '';
      let s = `v${r % 17}`;
      if (r % 3 === 0) s += 'é';
      if (r % 1000 === 999) s += 'x'.repeat(300);
      return s;
    }
    case 6: return BigInt(r) * 1000000000n - 5000000000n;
    case 7: return r % 3 === 1 || r % 11 === 0;
  }
}

function present(r, col, file) {
  if (!file.nulls) return true;
  if (file.allNullFirst && col === 0) return false;
  return !((r + col) % 5 === 2 || (r >= 3000 && r < 3100));
}

const FILES = [
  { name: 'req-snappy.parquet', rows: N, nulls: false },
  { name: 'req-none.parquet', rows: N, nulls: false },
  { name: 'opt-snappy.parquet', rows: N, nulls: true },
  { name: 'opt-none.parquet', rows: N, nulls: true },
  { name: 'opt-nanos.parquet', rows: N, nulls: true, nanos: true },
  { name: 'all-null.parquet', rows: 50, nulls: true, allNullFirst: true },
];

let n = 0;
let failed = 0;
const lines = [];
function ok(cond, what, diag) {
  n++;
  if (!cond) failed++;
  lines.push(`${cond ? 'ok' : 'not ok'} ${n} - ${what}`);
  if (!cond && diag) lines.push(`# ${diag}`);
}

// Compares one value; returns a message on mismatch.
function compare(got, want, r, c) {
  if (want === null) return got === null ? null : `row ${r} ${NAMES[c]}: got ${got}, want NULL`;
  if (got === null || got === undefined) return `row ${r} ${NAMES[c]}: got NULL, want ${want}`;
  if (typeof want === 'bigint') got = BigInt(got);
  return got === want ? null : `row ${r} ${NAMES[c]}: got ${got}, want ${want}`;
}

const instance = await duckdb.DuckDBInstance.create(':memory:');
const conn = await instance.connect();

for (const file of FILES) {
  const path = join(dir, file.name);
  const sql = `SELECT * FROM read_parquet('${path.replace(/'/g, "''")}')`;
  let reader;
  try {
    reader = await conn.runAndReadAll(sql);
  } catch (e) {
    ok(false, `duckdb reads ${file.name}`, String(e.message).split('\n')[0]);
    continue;
  }
  const types = reader.columnTypes().map(t => t.toString());
  const wantTypes = ['INTEGER', 'BIGINT', 'FLOAT', 'DOUBLE',
                     file.nanos ? 'TIMESTAMP_NS' : 'TIMESTAMP', 'VARCHAR', 'BIGINT', 'BOOLEAN'];
  ok(JSON.stringify(types) === JSON.stringify(wantTypes) &&
     JSON.stringify(reader.columnNames()) === JSON.stringify(NAMES),
     `duckdb: ${file.name} has the columns and types`, `got ${reader.columnNames()} ${types}`);

  const rows = reader.getRows();
  ok(rows.length === file.rows, `duckdb: ${file.name} has ${file.rows} rows`, `got ${rows.length}`);
  const bad = [];
  for (let r = 0; r < rows.length; r++) {
    for (let c = 0; c < NAMES.length; c++) {
      let got = rows[r][c];
      if (c === 4 && got !== null) {
        // A TIMESTAMP value, not an integer.
        if (file.nanos ? !(got instanceof duckdb.DuckDBTimestampNanosecondsValue)
                       : !(got instanceof duckdb.DuckDBTimestampValue)) {
          bad.push(`row ${r} ts is not a timestamp value: ${got?.constructor?.name}`);
          continue;
        }
        got = file.nanos ? got.nanos : got.micros;
      }
      const m = compare(got, present(r, c, file) ? expected(r, c, file.nanos) : null, r, c);
      if (m) bad.push(m);
    }
  }
  ok(bad.length === 0, `duckdb: ${file.name} values match`, `${bad.length} differ; first: ${bad[0]}`);

  // Statistics as DuckDB reads them from the footer.
  const meta = await conn.runAndReadAll(
    `SELECT path_in_schema, stats_min_value, stats_max_value, stats_null_count, compression
     FROM parquet_metadata('${path.replace(/'/g, "''")}') WHERE row_group_id = 0 ORDER BY column_id`);
  const st = meta.getRowObjectsJS();
  const rg0 = Math.min(3000, file.rows);
  const nullsIn = c => { let k = 0; for (let r = 0; r < rg0; r++) if (!present(r, c, file)) k++; return k; };
  const i32s = []; for (let r = 0; r < rg0; r++) if (present(r, 0, file)) i32s.push(expected(r, 0));
  const wantMin = i32s.length ? String(Math.min(...i32s)) : null;
  const wantMax = i32s.length ? String(Math.max(...i32s)) : null;
  ok(st.length === NAMES.length && st[0].stats_min_value === wantMin && st[0].stats_max_value === wantMax &&
     st.every((s, c) => Number(s.stats_null_count) === nullsIn(c)) &&
     st.every(s => s.compression === (file.name.includes('none') ? 'UNCOMPRESSED' : 'SNAPPY')),
     `duckdb: ${file.name} statistics and codec`,
     `got ${JSON.stringify(st.map(s => [s.stats_min_value, s.stats_max_value, String(s.stats_null_count), s.compression]))}, want i32 ${wantMin}..${wantMax}`);

  if (!hyparquet)
    continue;
  try {
    const buf = readFileSync(path);
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length);
    const hrows = await hyparquet.parquetReadObjects({
      file: ab,
      parsers: {
        ...hyparquet.DEFAULT_PARSERS,
        timestampFromMicroseconds: v => ({ ts: BigInt(v) }),
        timestampFromNanoseconds: v => ({ ts: BigInt(v) }),
      },
    });
    const hbad = [];
    if (hrows.length !== file.rows) hbad.push(`${hrows.length} rows`);
    for (let r = 0; r < hrows.length; r++) {
      for (let c = 0; c < NAMES.length; c++) {
        let got = hrows[r][NAMES[c]];
        if (c === 4 && got !== null && got !== undefined) {
          if (typeof got !== 'object' || !('ts' in got)) {
            hbad.push(`row ${r} ts is not read as a timestamp: ${got}`);
            continue;
          }
          got = got.ts;
        }
        if (got === undefined) got = null;
        const m = compare(got, present(r, c, file) ? expected(r, c, file.nanos) : null, r, c);
        if (m) hbad.push(m);
      }
    }
    ok(hbad.length === 0, `hyparquet: ${file.name} values match`, `${hbad.length} differ; first: ${hbad[0]}`);
  } catch (e) {
    ok(false, `hyparquet reads ${file.name}`, String(e.message).split('\n')[0]);
  }
}

console.log(`1..${n}`);
for (const l of lines) console.log(l);
if (!hyparquet) console.log('# hyparquet not installed: DuckDB only');
process.exitCode = 0;
