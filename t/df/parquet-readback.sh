#!/bin/sh
# The Parquet writer judged by readers that share no code with it: DuckDB
# (through @duckdb/node-api) and hyparquet read the files that parquet-gen
# writes (every column type, missing values, timestamps in both units, both
# codecs, many pages, several row groups) and compare every value. The npm
# packages are kept in a cache folder outside the source tree, where
# contrib/setup-node.sh installs them (t/df/node-modules.sh).
set -u

gen=${top_builddir:-.}/t/df/parquet-gen
script=${top_srcdir:-.}/t/df/parquet-readback.mjs
. "${top_srcdir:-.}/t/df/node-modules.sh"
need_node_modules @duckdb/node-api hyparquet

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dmpi-parquet-readback.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if ! "$gen" "$tmp"; then
  echo "1..1"
  echo "not ok 1 - parquet-gen writes the test files"
  exit 0
fi
timeout -k 5 300 node "$script" "$tmp" "$cache"
