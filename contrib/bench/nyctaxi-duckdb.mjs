// DuckDB (from npm, @duckdb/node-api) runs the reference job's SQL
// (nyctaxi-duckdb.sql) from CSV to Parquet with a given number of threads,
// for contrib/bench/nyctaxi. Prints duckdb_s=SECONDS and duckdb_rows=N.
// Usage: node nyctaxi-duckdb.mjs NODE_MODULES_PARENT SQL_FILE INPUT_GLOB OUTPUT_DIR THREADS
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const [cache, sqlFile, input, output, threads] = process.argv.slice(2);
const require = createRequire(join(cache, 'package.json'));
const duckdb = require('@duckdb/node-api');

const quote = s => s.replace(/'/g, "''");
const sql = readFileSync(sqlFile, 'utf8')
  .replaceAll('@INPUT@', quote(input)).replaceAll('@OUTPUT@', quote(output));

const instance = await duckdb.DuckDBInstance.create(':memory:', { threads: String(threads) });
const conn = await instance.connect();
const t0 = process.hrtime.bigint();
await conn.run(sql);
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const count = await conn.runAndReadAll(
  `SELECT count(*) FROM read_parquet('${quote(output)}/*.parquet')`);
console.log(`duckdb_rows=${count.getRows()[0][0]}`);
console.log(`duckdb_s=${seconds.toFixed(3)}`);
