// What DuckDB reads or computes, dumped for t/frame/pandas_ref.py: Parquet
// files, or the result of a query over CSV files. Writes
// PREFIX.csv (a header, then every row of the files in the order given;
// strings always quoted, so "" is an empty string and an empty field a
// missing value; floats as doubles in full (FLOAT cast to DOUBLE: exact),
// NaN as nan; timestamps as integer nanoseconds; bools True/False),
// PREFIX.types (a line "column<TAB>DuckDB type" per column) and PREFIX.rows
// (rows per file, a line each). Exits 1 with a message when a file cannot
// be read or the files' schemas differ.
// Usage: node duckdb-dump.mjs NODE_MODULES_PARENT PREFIX FILE.parquet...
//        node duckdb-dump.mjs NODE_MODULES_PARENT PREFIX --sql QUERY.sql FILE...
// (the query's @FILES@ becomes a DuckDB list of the files).
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [cache, prefix, ...args] = process.argv.slice(2);
const require = createRequire(join(cache, 'package.json'));
const duckdb = require('@duckdb/node-api');

const q = s => `'${s.replace(/'/g, "''")}'`;
const ident = s => `"${s.replace(/"/g, '""')}"`;

function format(v, type) {
  if (v === null || v === undefined) return '';
  if (type === 'VARCHAR') return `"${String(v).replace(/"/g, '""')}"`;
  if (type === 'BOOLEAN') return v ? 'True' : 'False';
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'nan';
    if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
    return String(v);   // the shortest text that reads back as this double
  }
  return String(v);
}

// One query per Parquet file, or the one query given.
const queries = [];
if (args[0] === '--sql') {
  const [, sqlFile, ...files] = args;
  const list = `[${files.map(q).join(', ')}]`;
  queries.push([sqlFile, readFileSync(sqlFile, 'utf8').replace(/@FILES@/g, list)]);
} else {
  for (const file of args) queries.push([file, `SELECT * FROM read_parquet(${q(file)})`]);
}

const instance = await duckdb.DuckDBInstance.create(':memory:');
const conn = await instance.connect();
let names = null, types = null;
const lines = [], counts = [];
try {
  for (const [file, query] of queries) {
    const d = await conn.runAndReadAll(`DESCRIBE ${query}`);
    const cols = d.getRows().map(r => [String(r[0]), String(r[1])]);
    if (names === null) {
      names = cols.map(c => c[0]);
      types = cols.map(c => c[1]);
    } else if (JSON.stringify(cols) !== JSON.stringify(names.map((n, i) => [n, types[i]]))) {
      throw new Error(`${file}: schema ${JSON.stringify(cols)} differs from the first file's`);
    }
    const select = cols.map(([n, t]) => t.startsWith('TIMESTAMP') ? `epoch_ns(${ident(n)})`
      : t === 'FLOAT' ? `CAST(${ident(n)} AS DOUBLE)` : ident(n)).join(', ');
    const r = await conn.runAndReadAll(`SELECT ${select} FROM (${query})`);
    const rows = r.getRows();
    counts.push(rows.length);
    for (const row of rows) lines.push(row.map((v, i) => format(v, types[i])).join(','));
  }
} catch (e) {
  console.error(`duckdb-dump: ${String(e.message).split('\n')[0]}`);
  process.exit(1);
}
writeFileSync(`${prefix}.csv`, [(names || []).map(n => `"${n}"`).join(','), ...lines].join('\n') + '\n');
writeFileSync(`${prefix}.types`, (names || []).map((n, i) => `${n}\t${types[i]}\n`).join(''));
writeFileSync(`${prefix}.rows`, counts.map(n => `${n}\n`).join(''));
