#!/bin/sh
# The Parquet reader against DuckDB: DuckDB writes files of all its types
# (codecs, PARQUET_VERSION V1 and V2, small row groups, NULLs), and reads
# them and the files of other writers in t/df/parquet-testing; parquet-dump
# reads the same with this project's reader; every value is compared. Also
# prints the reader's speed on a 1 M-row file of DuckDB.
set -u

dump=${top_builddir:-.}/t/df/parquet-dump
script=${top_srcdir:-.}/t/df/parquet-duckdb.mjs
testing=${top_srcdir:-.}/t/df/parquet-testing
. "${top_srcdir:-.}/t/df/node-modules.sh"
need_node_modules @duckdb/node-api

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dmpi-parquet-duckdb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
timeout -k 5 600 node "$script" "$tmp" "$cache" "$dump" "$testing"
