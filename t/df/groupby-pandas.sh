#!/bin/sh
# The group-by judged by pandas: t/df/groupby-pandas.py writes a CSV of
# random data (missing values, NaN, every column type pandas reads back the
# same way), runs t/df/groupby-cli on it (partials of several partitions,
# combined in a tree) for several key sets, and compares each result with
# pandas' groupby(keys, sort=True, dropna=True).agg(...): floats to a
# relative 1e-9, integers, strings and booleans exactly.
set -u

py=/usr/bin/python3
cli=${top_builddir:-.}/t/df/groupby-cli
script=${top_srcdir:-.}/t/df/groupby-pandas.py

if [ ! -x "$py" ]; then
  echo "1..0 # SKIP $py is not installed"
  exit 0
fi
if ! "$py" -c 'import numpy, pandas' >/dev/null 2>&1; then
  echo "1..0 # SKIP $py cannot import pandas and numpy"
  exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dmpi-groupby-pandas.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
timeout -k 5 300 "$py" "$script" "$cli" "$tmp"
