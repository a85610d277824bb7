"""Compares t/df/groupby-cli with pandas' groupby().agg() (see
groupby-pandas.sh). Prints TAP: one test point per key set."""
import csv
import math
import random
import subprocess
import sys
import warnings

import pandas as pd

warnings.simplefilter("ignore")

cli, tmp = sys.argv[1], sys.argv[2]
rng = random.Random(20240607)
N = 4000

# name, our type, pandas dtype, value maker (None: missing)
STRINGS = ["x", "y", "xy", "yx", "abc", "Z"]


def maybe(p, make):
    return lambda: None if rng.random() < p else make()


COLUMNS = [
    ("k_int", "int64", "Int64", maybe(0.05, lambda: rng.randrange(5))),
    ("k_str", "string", "string", maybe(0.05, lambda: rng.choice(["a", "b", "c", "bb"]))),
    ("k_bool", "bool", "bool", lambda: rng.random() < 0.3),
    ("i32", "int32", "Int32", maybe(0.1, lambda: rng.randrange(-1000, 1000))),
    ("i64", "int64", "Int64", maybe(0.1, lambda: rng.randrange(-10**12, 10**12))),
    ("f64", "float64", "float64",
     maybe(0.1, lambda: float("nan") if rng.random() < 0.05 else rng.uniform(-1e3, 1e3))),
    ("ts", "timestamp", None, maybe(0.1, lambda: 1420070400 + rng.randrange(0, 10**8))),
    ("dur", "duration", "Int64", maybe(0.1, lambda: rng.randrange(-10**12, 10**12))),
    ("s", "string", "string", maybe(0.1, lambda: rng.choice(STRINGS))),
    ("b", "bool", "bool", lambda: rng.random() < 0.5),
]
TYPES = {name: t for name, t, _, _ in COLUMNS}

OPS = {
    "count": None, "nunique": None, "min": None, "max": None, "first": None, "last": None,
    "sum": {"int32", "int64", "float64", "duration", "bool"},
    "mean": {"int32", "int64", "float64", "timestamp", "duration", "bool"},
    "std": {"int32", "int64", "float64", "bool"},
    "var": {"int32", "int64", "float64", "bool"},
}
AGGS = [("n", None, "size")]
for col in ["i32", "i64", "f64", "ts", "dur", "s", "b"]:
    for op, types in OPS.items():
        if types is None or TYPES[col] in types:
            AGGS.append((f"{col}_{op}", col, op))


def text(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, float):
        return repr(v)
    return str(v)


path = f"{tmp}/data.csv"
rows = [[make() for _, _, _, make in COLUMNS] for _ in range(N)]
with open(path, "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow([c[0] for c in COLUMNS])
    for r in rows:
        out = []
        for (name, t, _, _), v in zip(COLUMNS, r):
            if t == "timestamp" and v is not None:
                out.append(pd.Timestamp(v, unit="s").strftime("%Y-%m-%d %H:%M:%S"))
            else:
                out.append(text(v))
        w.writerow(out)

dtypes = {name: d for name, _, d, _ in COLUMNS if d is not None}
df = pd.read_csv(path, dtype=dtypes, parse_dates=["ts"], keep_default_na=True)
df["dur"] = pd.to_timedelta(df["dur"].astype("float64"), unit="ns")


def cell(v):
    """A pandas result as (kind, value): kind is na, int, float, time or str."""
    if v is pd.NA or v is pd.NaT or v is None:
        return ("na", None)
    if isinstance(v, (pd.Timestamp, pd.Timedelta)):
        return ("time", int(v.value))
    if isinstance(v, bool) or type(v).__name__ == "bool_":
        return ("str", "True" if v else "False")
    if isinstance(v, float) or type(v).__name__ in ("float64", "float32"):
        return ("na", None) if math.isnan(v) else ("float", float(v))
    if isinstance(v, int) or type(v).__name__.startswith("int"):
        return ("int", int(v))
    return ("str", str(v))


def expected(keys):
    specs = {name: (col if col is not None else "k_bool", op) for name, col, op in AGGS}
    if keys:
        res = df.groupby(keys, sort=True, dropna=True).agg(**specs).reset_index()
        return [[cell(v) for v in row] for row in res.itertuples(index=False)]
    # No keys: one group of every row (Series.agg has no first or last).
    res = df.assign(_all=0).groupby("_all").agg(**specs)
    return [[cell(v) for v in row] for row in res.itertuples(index=False)]


def same(kind, want, got, col):
    if kind == "na":
        return got == ""
    if got == "":
        return False
    if kind == "float":
        g = float(got)
        return g == want or abs(g - want) <= 1e-9 * max(abs(g), abs(want))
    if kind == "time":
        # pandas takes the mean of timestamps and durations in float64 (to
        # about 256 ns near 2015); ours is exact, truncated toward zero.
        if col.endswith("_mean"):
            return abs(int(got) - want) <= 1000
        return int(got) == want
    if kind == "int":
        return int(got) == want
    return got == want


CONFIGS = [(["k_int"], 3), (["k_str", "k_bool"], 5), (["k_int", "k_str"], 1), ([], 4),
           (["k_bool", "k_int"], 7), (["k_str"], 2)]
print(f"1..{len(CONFIGS)}")
for number, (keys, parts) in enumerate(CONFIGS, 1):
    desc = f"keys [{','.join(keys)}], {parts} partitions, {len(AGGS)} aggregations"
    columns = ",".join(f"{name}:{t}" for name, t, _, _ in COLUMNS)
    aggs = ";".join(f"{name}={op}({col or ''})" for name, col, op in AGGS)
    run = subprocess.run([cli, path, columns, ",".join(keys), aggs, str(parts)],
                         capture_output=True, text=True)
    if run.returncode != 0:
        print(f"not ok {number} - {desc}\n# groupby-cli failed: {run.stderr.strip()}")
        continue
    got = list(csv.reader(run.stdout.splitlines()))
    header, got = got[0], got[1:]
    want = expected(keys)
    names = keys + [name for name, _, _ in AGGS]
    problems = []
    if header != names:
        problems.append(f"header {header}, expected {names}")
    elif len(got) != len(want):
        problems.append(f"{len(got)} rows, pandas has {len(want)}")
    else:
        for r, (g_row, w_row) in enumerate(zip(got, want)):
            for c, (g, (kind, w)) in enumerate(zip(g_row, w_row)):
                if not same(kind, w, g, names[c]):
                    problems.append(f"row {r} column {names[c]}: got '{g}', pandas {kind} {w!r}")
    if problems:
        print(f"not ok {number} - {desc}")
        for p in problems[:10]:
            print(f"# {p}")
    else:
        print(f"ok {number} - {desc}: {len(want)} groups match")
