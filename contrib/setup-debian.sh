#!/bin/sh
# Install what dask-mpi needs to build, test and benchmark, and to build its
# Debian packages with dpkg-buildpackage, on Debian 12 or Ubuntu 20.04 (the
# Azure ML image's base), as root. The one list of packages: the README and
# .ci/run use it.
#   contrib/setup-debian.sh            install them
#   contrib/setup-debian.sh --list     print them (for this distribution)
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
  dpkg-dev debhelper fakeroot lintian
"
# shellcheck disable=SC2086,SC2116 # one line, one space between names
packages=$(echo $packages)

# And whatever debian/control's Build-Depends names (without versions,
# architectures, build profiles or alternatives; debhelper-compat is
# debhelper's).
control=$(dirname "$0")/../debian/control
if [ -r "$control" ]; then
    build_depends=$(sed -n '/^Build-Depends:/,/^[A-Za-z-]*:/{/^Build-Depends:/{s/^Build-Depends://;p;d};/^[ \t]/p}' "$control" \
        | tr ',' '\n' | sed -e 's/|.*//' -e 's/\[[^]]*\]//g' -e 's/<[^>]*>//g' -e 's/([^)]*)//g' \
                            -e 's/:any//' -e 's/[[:space:]]//g' -e 's/^debhelper-compat$/debhelper/' | sed '/^$/d')
    for p in $build_depends; do
        case " $packages " in
            *" $p "*) ;;
            *) packages="$packages $p" ;;
        esac
    done
fi

# Where Ubuntu 20.04 names a package otherwise, say so and use its name.
# shellcheck disable=SC1091 # the running system's
os=$( (. /etc/os-release 2>/dev/null && echo "${ID:-}:${VERSION_ID:-}") || echo unknown)
rename () {    # rename FROM TO WHY
    case " $packages " in
        *" $1 "*)
            packages=$(echo "$packages" | sed "s/\\(^\\| \\)$1\\( \\|\$\\)/\\1$2\\2/")
            echo "$0: on $os: $1 is $2 here ($3)" >&2
            ;;
    esac
}
case $os in
    ubuntu:20.04)
        rename chromium chromium-browser "in 20.04 a stand-in that installs the snap, which does not run in a container: the dashboard's browser checks skip without it"
        rename libclang-rt-14-dev libclang-common-10-dev "clang is 10 there, and its sanitizer runtimes are in this package"
        ;;
esac

if [ "${1:-}" = --list ]; then
    echo "$packages"
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
