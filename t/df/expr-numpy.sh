#!/bin/sh
# Expressions judged by NumPy itself: float32 and float64 // and %, round
# and string(), over values that include the reference job's coordinate grid,
# random magnitudes and the special values. t/df/expr-cli evaluates; NumPy
# computes the same with explicit scalars of the column's type; every bit
# must agree (NaNs as NaNs). Skipped when no python3 here can import numpy.
set -u

cli=${top_builddir:-.}/t/df/expr-cli
python=
for p in ${PYTHON:-} /usr/bin/python3 python3; do
  if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import numpy' >/dev/null 2>&1; then
    python=$p
    break
  fi
done
if [ -z "$python" ]; then
  echo "1..0 # SKIP numpy is not importable (tried \$PYTHON, /usr/bin/python3, python3)"
  exit 0
fi

exec "$python" - "$cli" <<'EOF'
import subprocess
import sys

import numpy as np

cli = sys.argv[1]
rng = np.random.default_rng(20150115)
n_test = 0
failed = 0


def floats32(count):
    """Values of every magnitude, and the specials."""
    bits = rng.integers(0, 2**32, count, dtype=np.uint64).astype(np.uint32)
    wild = bits.view(np.float32)
    near = rng.uniform(-1000, 1000, count).astype(np.float32)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 0.5, -0.5, 1e-45, 3e38],
                       dtype=np.float32)
    return np.concatenate([wild, near, special])


def run(schema, expr, columns):
    lines = []
    for row in zip(*columns):
        lines.append(",".join("" if v is None else
                              float(v).hex() if isinstance(v, (np.floating, float)) else str(v)
                              for v in row))
    out = subprocess.run([cli, schema, expr], input="\n".join(lines) + "\n",
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    return out.stdout.split("\n")[:-1]


def check(name, schema, expr, columns, expected):
    global n_test, failed
    n_test += 1
    try:
        got = run(schema, expr, columns)
    except RuntimeError as e:
        print(f"not ok {n_test} - {name}: {e}")
        failed += 1
        return
    bad = None
    for i, (g, e) in enumerate(zip(got, expected)):
        if isinstance(e, (np.floating, float)):
            gv = float.fromhex(g) if g != "NA" else None
            same = gv is not None and ((np.isnan(gv) and np.isnan(e)) or
                                       (gv == e and np.signbit(gv) == np.signbit(e)))
        else:
            same = g == str(e)
        if not same:
            bad = (i, [c[i] for c in columns], g, e)
            break
    if len(got) != len(expected):
        bad = (len(got), [], "rows", len(expected))
    if bad is None:
        print(f"ok {n_test} - {name} ({len(expected)} values)")
    else:
        i, args, g, e = bad
        print(f"not ok {n_test} - {name}: row {i}, inputs {args}: got {g}, numpy {e!r}")
        failed += 1


np.seterr(all="ignore")
grid = np.concatenate([np.arange(-75, -73, 0.0001), np.arange(40, 42, 0.0001),
                       np.round(np.arange(-75, -73, 0.01), 2), np.round(np.arange(40, 42, 0.01), 2)]
                      ).astype(np.float32)
c = np.float32(0.01)
check("float32 x // 0.01 * 0.01 (coordinate grid)", "x:float32", "x // 0.01 * 0.01",
      [list(grid)], list((grid // c) * c))
check("float32 x % 0.01 (coordinate grid)", "x:float32", "x % 0.01", [list(grid)], list(grid % c))

a, b = floats32(20000), floats32(20000)
b[::7] = np.float32(0.01)
check("float32 a // b", "a:float32,b:float32", "a // b", [list(a), list(b)], list(a // b))
check("float32 a % b", "a:float32,b:float32", "a % b", [list(a), list(b)], list(a % b))
small = rng.uniform(-10, 10, len(a)).astype(np.float32)
check("float32 a // small", "a:float32,b:float32", "a // b", [list(a), list(small)], list(a // small))
check("float32 a % -0.25", "a:float32", "a % -0.25", [list(a)], list(a % np.float32(-0.25)))

d = np.concatenate([rng.uniform(-1e6, 1e6, 20000), a.astype(np.float64) * 1e10, [0.0, -0.0, np.inf, np.nan]])
e = np.concatenate([rng.uniform(-3, 3, 20000), b.astype(np.float64), [1.0, -1.0, 2.0, 0.0]])
check("float64 d // e", "d:float64,e:float64", "d // e", [list(d), list(e)], list(d // e))
check("float64 d % e", "d:float64,e:float64", "d % e", [list(d), list(e)], list(d % e))

r32 = np.concatenate([rng.uniform(-100, 100, 20000).astype(np.float32),
                      (np.arange(-500, 500) + np.float32(0.5)).astype(np.float32),
                      np.array([0.125, 0.375, 2.675, -0.0, np.nan, np.inf], dtype=np.float32)])
r64 = r32.astype(np.float64) * 1.0001
for digits in (0, 1, 2, 3, -1, -2):
    check(f"float32 round(x, {digits})", "x:float32", f"round(x, {digits})", [list(r32)],
          list(np.round(r32, digits)))
    check(f"float64 round(x, {digits})", "x:float64", f"round(x, {digits})", [list(r64)],
          list(np.round(r64, digits)))
ints = rng.integers(-10**6, 10**6, 5000, dtype=np.int32)
for digits in (-1, -2, -3):
    check(f"int32 round(i, {digits})", "i:int32", f"round(i, {digits})", [list(ints)],
          [int(v) for v in np.round(ints, digits)])
j = (rng.integers(1, 50, 5000, dtype=np.int32) *
     rng.choice(np.array([-1, 1], dtype=np.int32), 5000)).astype(np.int32)
check("int32 i // j * 1000 + i % j", "i:int32,j:int32", "i // j * 1000 + i % j",
      [list(ints), list(j)], [int(v) for v in ints // j * 1000 + ints % j])

# string(): NumPy's str of the scalar (pandas' astype(str)), shortest digits
# that read back, powers of two (lopsided intervals) included
p2 = 2.0 ** np.arange(-149, 128)
s32 = np.concatenate([a, p2.astype(np.float32), -p2.astype(np.float32),
                      np.array([1e16, 1e15, 1e-4, 123456789], dtype=np.float32)])
check("float32 string(x)", "x:float32", "string(x)", [list(s32)], [str(v) for v in s32])
s64 = np.concatenate([d, 2.0 ** np.arange(-1074, 1024),
                      rng.integers(0, 2**64, 5000, dtype=np.uint64).view(np.float64)])
check("float64 string(x)", "x:float64", "string(x)", [list(s64)], [str(v) for v in s64])

print(f"1..{n_test}")
sys.exit(0)
EOF
