#!/bin/sh
# Install what dask-mpi needs to build, test and benchmark, on Debian 12 (or
# Ubuntu), as root. The one list of packages: the README and .ci/run use it.
#   contrib/setup-debian.sh            install them
#   contrib/setup-debian.sh --list     print them
set -eu

packages="
  build-essential autoconf automake libtool pkg-config
  libglib2.0-dev libarchive-dev libsoup2.4-dev zlib1g-dev libzstd-dev
  libopenmpi-dev openmpi-bin
  groff-base man-db valgrind
  procps psmisc util-linux coreutils xz-utils
  python3-distributed python3-dask python3-mpi4py python3-pandas
  nodejs npm
  chromium fonts-dejavu-core
  clang libclang-rt-14-dev
"

if [ "${1:-}" = --list ]; then
    # shellcheck disable=SC2086 # one line, one word a package
    echo $packages
    exit 0
fi

# A nodejs from NodeSource brings its own npm and conflicts with Debian's.
if command -v npm >/dev/null 2>&1; then
    packages=$(echo "$packages" | sed 's/\bnpm\b//')
fi

sudo=
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "$0: run as root (or install sudo)" >&2; exit 1; }
    sudo=sudo
fi

export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
# shellcheck disable=SC2086 # one word a package
$sudo apt-get install -q -y --no-install-recommends $packages </dev/null

# The node packages the Parquet tests read files with (DuckDB, hyparquet).
# Without them those tests skip, or fail under CI, which says why.
$sudo sh "$(dirname "$0")/setup-node.sh" </dev/null ||
    echo "$0: warning: contrib/setup-node.sh failed (see above)" >&2
