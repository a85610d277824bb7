# Sourced by the tests that read files with node packages (DuckDB through
# @duckdb/node-api, hyparquet). contrib/setup-node.sh installs them into
# the cache folder; the tests never install anything. Missing, they make
# the test skip with the reason, or fail under CI (CI=true), where the
# setup step must have installed them.
#   need_node_modules MODULE...   sets $cache; exits when one is missing
cache=${DMPI_NODE_CACHE:-/var/cache/dask-mpi-node}

node_modules_missing () {
  if [ "${CI:-}" = true ]; then
    echo "1..1"
    echo "not ok 1 - $1 (CI needs it: contrib/setup-node.sh installs it)"
  else
    echo "1..0 # SKIP $1 (contrib/setup-node.sh installs it)"
  fi
  exit 0
}

need_node_modules () {
  command -v node >/dev/null 2>&1 || node_modules_missing "node is not installed"
  for m in "$@"; do
    [ -d "$cache/node_modules/$m" ] || node_modules_missing "$m is not installed in $cache"
  done
}
