#!/bin/sh
# Installs the npm packages that the Parquet tests read files with (DuckDB
# through @duckdb/node-api, and hyparquet) into the cache folder where
# t/df/node-modules.sh looks for them: /var/cache/dask-mpi-node, or
# $DMPI_NODE_CACHE. The tests install nothing themselves; under CI they fail
# when these are missing. contrib/setup-debian.sh runs this after apt.
#   contrib/setup-node.sh            install what is missing
#   contrib/setup-node.sh --update   install the newest versions again
set -eu

cache=${DMPI_NODE_CACHE:-/var/cache/dask-mpi-node}
packages="@duckdb/node-api hyparquet"

if ! command -v npm >/dev/null 2>&1; then
    echo "$0: npm is not installed: the Parquet tests that need $packages will skip (fail under CI)" >&2
    exit 1
fi
missing=
for p in $packages; do
    [ -d "$cache/node_modules/$p" ] || missing="$missing $p"
done
if [ "${1:-}" = --update ]; then
    missing=" $packages"
fi
if [ -z "$missing" ]; then
    echo "$0: $packages already in $cache"
    exit 0
fi
echo "$0: npm install$missing into $cache"
mkdir -p "$cache"
cd "$cache"
# shellcheck disable=SC2086 # one word a package
timeout -k 10 600 npm install --no-audit --no-fund $missing
