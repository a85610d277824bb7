#!/bin/sh
# The Parquet writer judged by readers that share no code with it: DuckDB
# (through @duckdb/node-api) and hyparquet read the files that parquet-gen
# writes (every column type, missing values, timestamps in both units, both
# codecs, many pages, several row groups) and compare every value. The npm
# packages are kept in a cache folder outside the source tree.
set -u

cache=${DMPI_NODE_CACHE:-/var/cache/dask-mpi-node}
gen=${top_builddir:-.}/t/df/parquet-gen
script=${top_srcdir:-.}/t/df/parquet-readback.mjs

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "1..0 # SKIP node or npm is not installed"
  exit 0
fi
npm_install () {
  mkdir -p "$cache" 2>/dev/null &&
    (cd "$cache" && timeout -k 5 300 npm install --no-audit --no-fund --silent "$@") >/dev/null 2>&1
}
if [ ! -d "$cache/node_modules/@duckdb/node-api" ] && ! npm_install @duckdb/node-api; then
  echo "1..0 # SKIP cannot install @duckdb/node-api into $cache"
  exit 0
fi
# The second reader is welcome but not required.
[ -d "$cache/node_modules/hyparquet" ] || npm_install hyparquet || true

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dmpi-parquet-readback.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if ! "$gen" "$tmp"; then
  echo "1..1"
  echo "not ok 1 - parquet-gen writes the test files"
  exit 0
fi
timeout -k 5 300 node "$script" "$tmp" "$cache"
