#!/usr/bin/python3
"""pandas' answers for the tests in t/frame/, and the comparison of what
dask-mpi computed with them.

  pandas_ref.py gen DATA                  writes the hand-made CSV inputs
  pandas_ref.py verbs DATA OUT CASE...    frame-client's cases (OUT/CASE.csv
                                          and .types) against pandas
  pandas_ref.py trip-stats CSVDIR DUMP SQLDUMP
                                          trip-stats' output (DUMP: its
                                          Parquet as duckdb-dump.mjs dumped
                                          it) against pandas computing
                                          reference/trip-stats.md, and
                                          against DuckDB's SQL (SQLDUMP)
  pandas_ref.py nyctaxi CSVDIR DUMP       dask-mpi-prep-nyctaxi's output
                                          against pandas computing
                                          reference/nyctaxi-job.md

Prints a line "ok NAME" or "not ok NAME" per check and, after a failure,
"# " lines that show the difference (the first rows that differ). Floats
compare to a relative 1e-9 (float32 values exactly unless a check says
otherwise), integers, strings and timestamps exactly, rows in order.

Where the library's documented types differ from pandas' dtypes, the
expected types say so: an integer column with missing values is int64 (or
the int32 asked for) with missing values here, float64 with NaN in pandas;
a missing value compares false (pandas: NaN != x is true).
"""

import csv
import datetime
import math
import os
import re
import sys

# ---- inputs ---------------------------------------------------------------------


def gen(data):
    """mixed.csv (240 rows of ints, floats, strings, timestamps and bools
    with missing values, NaN, quotes, NA strings, non-ASCII text and
    fractions of seconds) and small files for the CSV format options."""
    os.makedirs(data, exist_ok=True)
    groups = ['alpha', 'beta', 'gamma, inc', '', 'delta', 'NA', 'été']
    strings = ['plain {}', 'say "hi" {}', 'café {}', 'b{}', 'a,b {}', '', 'NA', 'bx{}7']
    # Grid points of x // 0.01 (NumPy gives -74.01 for -74.0, 40.75 for 40.76),
    # float32 0.1 (compares equal to the literal 0.1 in float32), NaN, -0.0.
    x_special = {5: '-74.0', 6: '40.76', 7: '0.1', 8: 'NaN', 9: '1e-3', 10: '-0.0',
                 12: '40.75', 14: '-73.99', 15: '0.01', 16: '-0.01'}
    base = datetime.datetime(2015, 1, 1)
    with open(os.path.join(data, 'mixed.csv'), 'w', newline='', encoding='utf-8') as f:
        w = csv.writer(f, lineterminator='\n')
        w.writerow(['id', 'grp', 'k2', 'x', 'y', 'n', 's', 't0', 't1', 'flag'])
        for i in range(1, 241):
            t = base + datetime.timedelta(seconds=i * 97531)
            frac = '.123456789' if i == 50 else '.5' if i % 10 == 3 else ''
            dt = (i * 13) % 3600 * (-1 if i % 17 == 0 else 1)
            t1 = '' if i % 8 == 0 else (t + datetime.timedelta(seconds=dt)).strftime('%Y-%m-%d %H:%M:%S')
            x = x_special.get(i, '' if i % 11 == 0 else '%.2f' % (((i * 7919) % 20000 - 10000) / 100))
            w.writerow([i, groups[i * 3 % 7], '' if i % 7 == 0 else i % 4, x,
                        '' if i % 13 == 0 else '%.6f' % (math.sin(i) * 1000),
                        '' if i % 9 == 0 else (i * 31) % 17 - 3, strings[i % 8].format(i),
                        t.strftime('%Y-%m-%d %H:%M:%S') + frac, t1, 'True' if i % 3 == 0 else 'False'])
    small = {
        'semicolon.csv': 'a;b;c\n1;2.5;x\n2;;"y;z"\n3;-1.25;plain\n4;1e3;\n',
        'noheader.csv': '1,foo,2.5\n2,bar,\n3,,4.25\n4,"q,r",-0.5\n',
        'quote.csv': "id,name,v\n1,'a,b',1.5\n2,'it''s',2\n3,plain,\n4,'',3\n",
        'na.csv': 'id,v,s\n1,-999,NA\n2,3.5,missing\n3,,x\n4,missing,null\n5,2.25,\n',
    }
    for name, text in small.items():
        with open(os.path.join(data, name), 'w', encoding='utf-8') as f:
            f.write(text)


# ---- reading what the library wrote ---------------------------------------------


def parse_csv(text):
    """Rows of fields; None for an unquoted empty field (a missing value),
    '' for a quoted one (an empty string)."""
    rows, row, i, n = [], [], 0, len(text)
    while i < n:
        if text[i] == '"':
            parts, j = [], i + 1
            while True:
                k = text.index('"', j)
                parts.append(text[j:k])
                if k + 1 < n and text[k + 1] == '"':
                    parts.append('"')
                    j = k + 2
                    continue
                i = k + 1
                break
            value = ''.join(parts)
        else:
            j = i
            while j < n and text[j] not in ',\n':
                j += 1
            value = text[i:j].rstrip('\r') if j > i else None
            i = j
        row.append(value)
        if i < n and text[i] == ',':
            i += 1
            if i == n or text[i] == '\n':
                row.append(None)
        if i >= n or text[i] == '\n':
            rows.append(row)
            row = []
            i += 1
    return rows


def read_types(path):
    with open(path, encoding='utf-8') as f:
        return [tuple(line.rstrip('\n').split('\t')) for line in f if line.strip()]


DUCKDB_TYPES = {'INTEGER': 'int32', 'BIGINT': 'int64', 'FLOAT': 'float32', 'DOUBLE': 'float64',
                'VARCHAR': 'string', 'BOOLEAN': 'bool', 'TIMESTAMP': 'timestamp',
                'TIMESTAMP_NS': 'timestamp', 'TIMESTAMP_MS': 'timestamp', 'TIMESTAMP_S': 'timestamp'}


class Result:
    """A table as the library (or DuckDB) wrote it: names, types, rows of text."""

    def __init__(self, names, types, rows):
        self.names, self.types, self.rows = names, types, rows

    @classmethod
    def load(cls, prefix, duckdb=False):
        types = read_types(prefix + '.types')
        with open(prefix + '.csv', encoding='utf-8', newline='') as f:
            rows = parse_csv(f.read())
        names = rows[0] if rows else []
        tmap = (lambda t: DUCKDB_TYPES.get(t, t)) if duckdb else (lambda t: t)
        return cls(names, [tmap(t) for _, t in types], rows[1:])


# ---- values ----------------------------------------------------------------------

INTS = ('int32', 'int64')
FLOATS = ('float32', 'float64')


def is_missing(v):
    import pandas as pd
    if v is None or v is pd.NaT or v is pd.NA:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def want_value(v, t):
    """An expected (pandas) value as a Python value of the library's type t."""
    import numpy as np
    import pandas as pd
    if is_missing(v):
        return None
    if t in INTS:
        if isinstance(v, (pd.Timestamp, np.datetime64)):
            return pd.Timestamp(v).value
        if isinstance(v, (pd.Timedelta, np.timedelta64)):
            return pd.Timedelta(v).value
        if isinstance(v, (float, np.floating)) and not float(v).is_integer():
            return ('not an integer', float(v))
        return int(v)
    if t == 'float32':
        return float(np.float32(v))
    if t == 'float64':
        return float(v)
    if t == 'timestamp':
        return pd.Timestamp(v).value
    if t == 'duration':
        return pd.Timedelta(v).value
    if t == 'bool':
        return bool(v)
    return str(v)


def got_value(s, t):
    """A field the library (or DuckDB) wrote, as a Python value of type t."""
    import numpy as np
    import pandas as pd
    if s is None:
        return None
    if t in INTS:
        return int(s)
    if t == 'float32':
        return float(np.float32(float(s)))
    if t == 'float64':
        return float(s)
    if t in ('timestamp', 'duration'):
        if re.fullmatch(r'-?[0-9]+', s):
            return int(s)
        return pd.Timestamp(s).value if t == 'timestamp' else pd.Timedelta(s).value
    if t == 'bool':
        return {'True': True, 'False': False}[s]
    return s


def same(g, w, t, rel, ulps=0, ns=0):
    import numpy as np
    if g is None or w is None:
        return g is None and w is None
    if t in FLOATS:
        if math.isnan(g) or math.isnan(w):
            return math.isnan(g) and math.isnan(w)
        if g == w:
            return True
        if math.isinf(g) or math.isinf(w):
            return False
        if ulps:
            return abs(g - w) <= ulps * float(np.spacing(np.float32(abs(w))))
        return abs(g - w) <= rel * max(abs(g), abs(w))
    if t in ('timestamp', 'duration') and ns:
        return abs(g - w) <= ns
    return g == w


def compare(got, want, types, f32=0.0, f64=1e-9, ulps=None, ns=0, map_duration=False):
    """Problems (text lines) between a Result and a pandas DataFrame whose
    columns are of the library's types `types` (column -> type)."""
    names = [str(c) for c in want.columns]
    want_types = [types[c] for c in names]
    if map_duration:   # Parquet has no duration type: DuckDB reads int64 nanoseconds
        want_types = ['int64' if t == 'duration' else t for t in want_types]
    problems = []
    if got.names != names:
        return [f'columns: got {got.names}', f'      want {names}']
    if got.types != want_types:
        problems.append('types: ' + ', '.join(f'{n} {g} (want {w})' for n, g, w
                                             in zip(names, got.types, want_types) if g != w))
    # Values are compared in the columns of the right type only.
    keep = [c for c, (g, w) in enumerate(zip(got.types, want_types)) if g == w]
    names = [names[c] for c in keep]
    want_types = [want_types[c] for c in keep]
    got = Result(names, want_types, [[row[c] if c < len(row) else None for c in keep] for row in got.rows])
    want = want[names]
    gcols = []
    for c, t in enumerate(want_types):
        col = []
        for r, row in enumerate(got.rows):
            text = row[c]
            try:
                col.append(got_value(text, t))
            except (ValueError, KeyError) as e:
                return problems + [f'row {r} {names[c]}: cannot read {text!r} as {t}: {e}']
        gcols.append(col)
    wcols = [[want_value(v, t) for v in want[n]] for n, t in zip(want.columns, want_types)]
    n_got, n_want = len(got.rows), len(want)
    if n_got != n_want:
        problems.append(f'{n_got} rows, want {n_want}')
    bad = []
    for r in range(min(n_got, n_want) if n_got == n_want else 0):
        for c, (name, t) in enumerate(zip(names, want_types)):
            rel = f32 if t == 'float32' else f64
            if not same(gcols[c][r], wcols[c][r], t, rel, (ulps or {}).get(name, 0), ns):
                bad.append(f'row {r} {name}: got {gcols[c][r]!r}, want {wcols[c][r]!r}')
    if bad:
        problems.append(f'{len(bad)} values differ:')
        problems.extend('  ' + b for b in bad[:8])
    if n_got != n_want:
        # The first row that differs, with both sides around it.
        grow = list(zip(*gcols)) if gcols else []
        wrow = list(zip(*wcols)) if wcols else []
        first = next((r for r in range(min(n_got, n_want)) if grow[r] != wrow[r]), min(n_got, n_want))
        problems.append(f'first differing row {first}:')
        for r in range(first, min(first + 3, max(n_got, n_want))):
            problems.append(f'  got  {r}: {grow[r] if r < n_got else "-"}')
            problems.append(f'  want {r}: {wrow[r] if r < n_want else "-"}')
    return problems


def report(name, problems):
    print(('not ok ' if problems else 'ok ') + name)
    for p in problems:
        print('# ' + p)
    sys.stdout.flush()


# ---- pandas' side of frame-client's cases --------------------------------------------

# The library's types of mixed.csv: as frame-client reads it (some types given) and inferred.
TYPED = dict(id='int32', grp='string', k2='int32', x='float32', y='float64', n='int64', s='string',
             t0='timestamp', t1='timestamp', flag='bool')
INFERRED = dict(TYPED, id='int64', k2='int64', x='float64', t0='string', t1='string')
TAXI = dict(VendorID='int64', tpep_pickup_datetime='string', tpep_dropoff_datetime='string',
            passenger_count='int64', trip_distance='float64', pickup_longitude='float64',
            pickup_latitude='float64', RateCodeID='int64', store_and_fwd_flag='string',
            dropoff_longitude='float64', dropoff_latitude='float64', payment_type='int64',
            fare_amount='float64', extra='float64', mta_tax='float64', tip_amount='float64',
            tolls_amount='float64', improvement_surcharge='float64', total_amount='float64')
PANDAS_TYPES = {'int32': 'int32', 'int64': 'int64', 'float32': 'float32', 'float64': 'float64',
                'bool': 'bool', 'datetime64[ns]': 'timestamp', 'timedelta64[ns]': 'duration',
                'object': 'string'}


def types_of(df, base, **extra):
    """The library's type of every column of df: extra, else base, else from the dtype."""
    return {c: extra.get(c) or base.get(c) or PANDAS_TYPES[str(df[c].dtype)] for c in df.columns}


def mixed(d, typed=True):
    import pandas as pd
    path = os.path.join(d, 'mixed.csv')
    if not typed:
        return pd.read_csv(path)
    df = pd.read_csv(path, dtype={'id': 'int32', 'x': 'float32', 'y': 'float64'}, parse_dates=['t0'])
    df['t1'] = pd.to_datetime(df['t1'], format='%Y-%m-%d %H:%M:%S')
    return df


def taxi(d, **kw):
    """The taxi folder's files in name order, the rate code named RateCodeID."""
    import pandas as pd
    folder = os.path.join(d, 'taxi')
    frames = []
    for name in sorted(os.listdir(folder)):
        usecols = kw.get('usecols')
        if usecols:
            header = open(os.path.join(folder, name)).readline().strip().split(',')
            usecols = [('RatecodeID' if c == 'RateCodeID' and c not in header else c) for c in usecols]
        df = pd.read_csv(os.path.join(folder, name), **dict(kw, usecols=usecols))
        frames.append(df.rename(columns={'RatecodeID': 'RateCodeID'}))
    return pd.concat(frames, ignore_index=True)


def trunc_div(total, count):
    """An integer mean truncated toward zero, exactly (pandas' intent; it sums in float64)."""
    q = abs(total) // count
    return q if total >= 0 else -q


def agg_type(op, t):
    if op in ('size', 'count', 'nunique'):
        return 'int64'
    if op == 'sum':
        return 'int64' if t in ('int32', 'int64', 'bool') else t
    if op == 'mean':
        return t if t in ('timestamp', 'duration') else 'float64'
    if op in ('std', 'var'):
        return 'float64'
    return t


def agg_series(op, v, t):
    """One aggregation of one group's values v (a Series) as pandas gives it
    (skipna); computed by hand only where pandas 1.5 cannot (min and max of
    strings with missing values) or is inexact (means of timestamps and
    durations, summed in float64 there: here exactly, truncated toward zero)."""
    import numpy as np
    import pandas as pd
    if op == 'size':
        return len(v)
    present = v.dropna()
    if op == 'count':
        return len(present)
    if op == 'nunique':
        return v.nunique(dropna=True)
    if op in ('first', 'last'):
        return None if present.empty else present.iloc[0 if op == 'first' else -1]
    if t == 'string' and op in ('min', 'max'):
        return None if present.empty else (min(present) if op == 'min' else max(present))
    if op == 'mean' and t in ('timestamp', 'duration'):
        ints = [pd.Timestamp(x).value if t == 'timestamp' else pd.Timedelta(x).value for x in present]
        if not ints:
            return None
        m = trunc_div(sum(ints), len(ints))
        return pd.Timestamp(m) if t == 'timestamp' else pd.Timedelta(m)
    if op == 'sum' and t == 'duration':
        return pd.Timedelta(sum(pd.Timedelta(x).value for x in present))
    if op in ('mean', 'std', 'var') and t == 'float32':
        v = v.astype('float64')   # the library gives float64 from the float32 values
    if op == 'sum' and t == 'bool':
        return int(present.sum())
    return getattr(v, op)(**({'ddof': 1} if op in ('std', 'var') else {}))


AGG_RE = re.compile(r'^(?:(\w+)=)?(\w+)\((\w*)\)$')


def groupby(df, keys, aggs, types):
    """pandas' groupby(keys, sort=True, dropna=True).agg(...) for the
    library's "NAME=OP(COLUMN)" specs; the result and its types."""
    import pandas as pd
    specs = []
    for a in aggs:
        name, op, col = AGG_RE.match(a).groups()
        specs.append((name or (col if col else op), op, col))
    out_types = {k: types[k] for k in keys}
    if keys:
        groups = list(df.groupby(keys if len(keys) > 1 else keys[0], sort=True, dropna=True))
    else:
        groups = [((), df)]
    rows = []
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        rows.append(list(key) + [agg_series(op, g[col] if col else g, types.get(col))
                                 for _, op, col in specs])
    for name, op, col in specs:
        out_types[name] = agg_type(op, types.get(col))
    out = pd.DataFrame(rows, columns=list(keys) + [s[0] for s in specs], dtype=object)
    return out, out_types


CASES = {}


def case(name, **opts):
    def add(f):
        CASES[name] = (f, opts)
        return f
    return add


# read_csv ----------------------------------------------------------------------

@case('read_csv.inferred')
def _(d):
    return mixed(d, typed=False), INFERRED


@case('read_csv.typed')
def _(d):
    return mixed(d), TYPED


@case('read_csv.taxi')
def _(d):
    return taxi(d), TAXI


@case('read_csv.usecols')
def _(d):
    import pandas as pd
    df = pd.read_csv(os.path.join(d, 'mixed.csv'), usecols=['s', 'id', 'x'], dtype={'x': 'float32'})
    return df[['s', 'id', 'x']], dict(INFERRED, x='float32')


@case('read_csv.alias')
def _(d):
    cols = ['VendorID', 'tpep_pickup_datetime', 'RateCodeID', 'fare_amount']
    df = taxi(d, usecols=cols, parse_dates=['tpep_pickup_datetime'])[cols]
    return df, dict(TAXI, tpep_pickup_datetime='timestamp', RateCodeID='int32')


@case('read_csv.noheader')
def _(d):
    import pandas as pd
    df = pd.read_csv(os.path.join(d, 'noheader.csv'), header=None)
    df.columns = [str(c) for c in df.columns]
    return df, {}


@case('read_csv.semicolon')
def _(d):
    import pandas as pd
    return pd.read_csv(os.path.join(d, 'semicolon.csv'), sep=';'), {}


@case('read_csv.quote')
def _(d):
    import pandas as pd
    return pd.read_csv(os.path.join(d, 'quote.csv'), quotechar="'"), {}


@case('read_csv.na')
def _(d):
    import pandas as pd
    # The library reads the empty field as missing whatever the NA strings
    # (pandas with keep_default_na=False does not, unless told).
    df = pd.read_csv(os.path.join(d, 'na.csv'), na_values=['-999', 'missing', ''], keep_default_na=False)
    return df, {}


# select, drop, rename ----------------------------------------------------------------

@case('select')
def _(d):
    return mixed(d)[['s', 'x', 'id']], TYPED


@case('drop')
def _(d):
    return mixed(d).drop(columns=['s', 't1', 'flag']), TYPED


def renamed(d):
    return mixed(d).rename(columns={'x': 'x2', 'id': 'ident'}), dict(TYPED, x2='float32', ident='int32')


@case('rename.plain')
def _(d):
    return renamed(d)


@case('rename.filter')
def _(d):
    df, t = renamed(d)
    return df[(df.x2 > 0) & (df.ident % 2 == 1)], t


# filter ---------------------------------------------------------------------------

@case('filter.chained')
def _(d):
    df = taxi(d)
    df = df[(0 < df.fare_amount) & (df.fare_amount < 500) & (0 < df.passenger_count) & (df.passenger_count < 6)
            & (-75 < df.pickup_longitude) & (df.pickup_longitude < -73)]
    return df[['VendorID', 'fare_amount', 'passenger_count', 'pickup_longitude']], TAXI


@case('filter.ne')
def _(d):
    df = mixed(d)
    return df[(df.n != 3) & df.n.notna()], TYPED   # a missing n compares false, != too


@case('filter.not')
def _(d):
    df = mixed(d)
    return df[~(df.n > 2) | (df.grp == 'alpha')], TYPED


@case('filter.string')
def _(d):
    df = mixed(d)
    return df[df.s.str.startswith('b', na=False) | df.s.str.contains(',', regex=False, na=False)], TYPED


@case('filter.timestamp')
def _(d):
    df = mixed(d)
    return df[(df.t0 >= '2015-03-01') & (df.t0 < '2015-06-01 12:00:00')], TYPED


@case('filter.float32')
def _(d):
    df = mixed(d)
    return df[(df.x > 0.1) & (df.x <= 40.76)], TYPED   # float32 comparisons, as NumPy


@case('filter.ranges')
def _(d):
    df = mixed(d)
    return df[df.n > 0], TYPED


@case('filter.isnull')
def _(d):
    df = mixed(d)
    return df[df.t1.isna() | df.grp.isna()], TYPED


@case('filter.bool')
def _(d):
    df = mixed(d)
    return df[df.flag & (df.k2 >= 2)], TYPED


@case('filter.after_assign')
def _(d):
    df = mixed(d)
    df = df[df.y > -500].copy()
    df['z'] = df.y * 2
    return df[(df.z < 800) | df.z.isna()], TYPED


# assign ---------------------------------------------------------------------------

@case('assign.arith')
def _(d):
    import numpy as np
    df = mixed(d)
    with np.errstate(all='ignore'):
        df['a1'] = df.x * 2 + df.n
        df['a2'] = df.id // 7 % 3
        df['a3'] = df.y / df.n
        df['a4'] = df.n ** 2
        df['a5'] = -df.x
        df['a6'] = df.y.abs()
        df['a7'] = df.id % 7 - 3
        df['a8'] = df.y - df.x
    return df, types_of(df, TYPED, a4='int64')


@case('assign.floordiv')
def _(d):
    df = mixed(d)
    df['r'] = df.x // 0.01 * 0.01      # NumPy's float32 floor division
    df['q'] = df.y // 0.25
    df['m'] = df.x % 0.5
    df['ni'] = df.n // 3
    df['nm'] = df.n % 4
    return df[['id', 'x', 'r', 'y', 'q', 'm', 'n', 'ni', 'nm']], types_of(df, TYPED, ni='int64', nm='int64')


@case('assign.datetime')
def _(d):
    df = mixed(d)
    t = df.t0.dt
    for name, v in [('hour', t.hour), ('minute', t.minute), ('second', t.second), ('year', t.year),
                    ('month', t.month), ('day', t.day), ('dow', t.dayofweek), ('doy', t.dayofyear),
                    ('h1', df.t1.dt.hour)]:
        df[name] = v
    cols = ['t0', 't1', 'hour', 'minute', 'second', 'year', 'month', 'day', 'dow', 'doy', 'h1']
    return df[cols], dict(TYPED, **{c: 'int32' for c in cols[2:]})


@case('assign.duration')
def _(d):
    df = mixed(d)
    df['d'] = df.t1 - df.t0
    df['ds'] = (df.t1 - df.t0).dt.total_seconds()
    df['t2'] = df.t0 + (df.t1 - df.t0)
    df['dn'] = -(df.t1 - df.t0)
    return df[['t0', 't1', 'd', 'ds', 't2', 'dn']], types_of(df, TYPED)


@case('assign.strings')
def _(d):
    df = mixed(d)
    df['u'] = df.s + '!'
    df['ln'] = df.s.str.len()
    df['sw'] = df.grp.str.startswith('a')
    df['ew'] = df.s.str.endswith('7')
    df['c'] = df.s.str.contains(',', regex=False)
    df['ids'] = df.id.astype(str)
    df['fs'] = df.flag.astype(str)
    cols = ['grp', 's', 'u', 'ln', 'sw', 'ew', 'c', 'ids', 'fs']
    return df[cols], dict(TYPED, u='string', ln='int64', sw='bool', ew='bool', c='bool', ids='string', fs='string')


@case('assign.where')
def _(d):
    import numpy as np
    df = mixed(d)
    df['w1'] = np.where(df.x > 0, df.x, -df.x).astype('float32')
    df['w2'] = df.s.where(df.flag, 'none')
    df['w3'] = np.where(df.n > 5, 1, 0)
    df['w4'] = df.k2.fillna(-1)
    cols = ['x', 'flag', 's', 'n', 'k2', 'w1', 'w2', 'w3', 'w4']
    return df[cols], dict(TYPED, w1='float32', w2='string', w3='int64', w4='int32')


@case('assign.replace')
def _(d):
    df = mixed(d)
    df['x'] = df.x * 10
    df['id'] = df.id + 1
    return df, TYPED


@case('assign.casts')
def _(d):
    import numpy as np
    df = mixed(d)
    df['i64'] = np.trunc(df.x.astype('float64'))     # NaN stays missing here (pandas would raise)
    df['f32'] = df.y.astype('float32')
    df['b'] = df.n.map(lambda v: None if v != v else v != 0)
    df['fx'] = df.x.fillna(-1)
    df['i32'] = np.trunc(df.y)
    cols = ['x', 'y', 'n', 'i64', 'f32', 'b', 'fx', 'i32']
    return df[cols], dict(TYPED, i64='int64', f32='float32', b='bool', fx='float32', i32='int32')


# fillna, astype --------------------------------------------------------------------

@case('fillna.all')
def _(d):
    df = mixed(d, typed=False)
    # Every column whose type takes -1: numbers (and bools, which pandas leaves
    # as they are: they have no missing values); strings do not take it.
    return df.fillna({c: -1 for c in ['id', 'k2', 'x', 'y', 'n', 'flag']}), INFERRED


@case('fillna.cols')
def _(d):
    df = mixed(d)
    return df.fillna({'x': 0, 'k2': 0}), TYPED


@case('fillna.float')
def _(d):
    df = mixed(d, typed=False)
    return df.fillna({'n': 0.5}), dict(INFERRED, n='float64')


@case('fillna.str')
def _(d):
    return mixed(d).fillna({'grp': 'unknown', 's': 'unknown'}), TYPED


@case('astype')
def _(d):
    df = mixed(d)
    df = df.astype({'id': 'float64', 'flag': 'int32', 'x': 'float64', 'n': 'float64', 'y': 'float32'})
    df['t0'] = df.t0.astype('int64')
    return df, dict(TYPED, id='float64', flag='int32', x='float64', t0='int64', n='float64', y='float32')


# map_partitions ---------------------------------------------------------------------

def scaled(d):
    df = mixed(d)
    df['xs'] = df.x.astype('float64') * 2.5
    return df


@case('map_partitions.meta')
def _(d):
    return scaled(d), dict(TYPED, xs='float64')


@case('map_partitions.inferred')
def _(d):
    return scaled(d), dict(TYPED, xs='float64')


@case('map_partitions.then')
def _(d):
    df = scaled(d)
    return df[df['xs'] > 10][['id', 'xs']], dict(TYPED, xs='float64')


# head, len, compute, persist ---------------------------------------------------------------

@case('head.small')
def _(d):
    return mixed(d).head(5), TYPED


@case('head.span')
def _(d):
    df = mixed(d)
    return df[df.id % 3 == 0].head(30), TYPED


@case('head.all')
def _(d):
    return mixed(d), TYPED


@case('len')
def _(d):
    import pandas as pd
    df, t = mixed(d), taxi(d)
    kept = t[(0 < t.fare_amount) & (t.fare_amount < 500) & (0 < t.passenger_count) & (t.passenger_count < 6)]
    groups = df.dropna(subset=['grp', 'k2']).groupby(['grp', 'k2']).ngroups
    out = pd.DataFrame({'mixed': [len(df)], 'taxi_kept': [len(kept)], 'groups': [groups],
                        'mapped': [int((df.x.astype('float64') * 2.5 > 0).sum())]})
    return out, {}


@case('compute.empty')
def _(d):
    df = mixed(d)
    return df[df.id < 0], TYPED


def persisted(d):
    df = mixed(d)
    return df[(df.n > 0) | df.grp.isna()]


@case('persist.group')
def _(d):
    return groupby(persisted(d), ['grp'], ['n=size()', 'y_sum=sum(y)', 'x_max=max(x)'], TYPED)


@case('persist.assign')
def _(d):
    df = persisted(d).copy()
    df['z'] = df.y * 2
    return df[df.z > 0][['id', 'z']], dict(TYPED, z='float64')


@case('persist.head')
def _(d):
    return persisted(d).head(12), TYPED


@case('persist.len')
def _(d):
    import pandas as pd
    return pd.DataFrame({'rows': [len(persisted(d))]}), {}


# group-by and reductions -------------------------------------------------------------------

GROUPBY_OPS = ('size=size() y_count=count(y) y_sum=sum(y) y_mean=mean(y) y_min=min(y) y_max=max(y) '
               'y_std=std(y) y_var=var(y) y_first=first(y) y_last=last(y) y_nunique=nunique(y) n_sum=sum(n) '
               'n_mean=mean(n) n_min=min(n) s_min=min(s) s_max=max(s) s_first=first(s) s_last=last(s) '
               's_count=count(s) s_nunique=nunique(s) t_min=min(t0) t_max=max(t0) t1_first=first(t1) '
               't1_mean=mean(t1) f_sum=sum(flag) x_sum=sum(x) x_max=max(x) k2_mean=mean(k2)').split()


@case('groupby_agg.ops', f32=1e-6)   # x_sum: float32 sums in another order
def _(d):
    return groupby(mixed(d), ['grp'], GROUPBY_OPS, TYPED)


@case('groupby_agg.keys2')
def _(d):
    return groupby(mixed(d), ['grp', 'k2'], ['size=size()', 'y_mean=mean(y)', 'n_sum=sum(n)'], TYPED)


@case('groupby_agg.boolkey')
def _(d):
    return groupby(mixed(d), ['flag'], ['y_mean=mean(y)', 's_count=count(s)', 't1_max=max(t1)', 'nunique(grp)'],
                   TYPED)


@case('groupby_agg.taxi')
def _(d):
    return groupby(taxi(d), ['payment_type', 'VendorID'],
                   ['trips=size()', 'fare=mean(fare_amount)', 'tips=sum(tip_amount)',
                    'dist_max=max(trip_distance)', 'pc=nunique(passenger_count)'], TAXI)


@case('groupby_agg.then')
def _(d):
    df, t = groupby(mixed(d), ['grp'], ['y_sum=sum(y)'], TYPED)
    df = df[df.y_sum.astype(float) > 0].copy()
    df['z'] = df.y_sum.astype(float) * 2
    return df, dict(t, z='float64')


def value_counts(df, col, types):
    """Most frequent first; ties in the group-by's order (by value), as the library documents."""
    counts, t = groupby(df, [col], ['count=size()'], types)
    order = sorted(range(len(counts)), key=lambda i: -counts['count'].iloc[i])   # stable
    return counts.iloc[order].reset_index(drop=True), t


@case('value_counts.grp')
def _(d):
    return value_counts(mixed(d), 'grp', TYPED)


@case('value_counts.taxi')
def _(d):
    return value_counts(taxi(d), 'passenger_count', TAXI)


@case('agg')
def _(d):
    df = mixed(d)
    df['d'] = df.t1 - df.t0
    aggs = ('y_sum=sum(y) y_mean=mean(y) y_std=std(y) y_var=var(y) n_max=max(n) t_min=min(t0) '
            't1_mean=mean(t1) rows=size() s_n=nunique(s) x_min=min(x) d_mean=mean(d) d_sum=sum(d) '
            's_last=last(s) n_count=count(n)').split()
    return groupby(df, [], aggs, dict(TYPED, d='duration'))


REDUCE_COLS = ['id', 'x', 'y', 'n', 's', 't0', 'flag']
NUMERIC = ['id', 'x', 'y', 'n', 'flag']   # numeric_only (bools count, as in pandas)


def reduce_case(op, cols):
    def ref(d):
        df = mixed(d)[REDUCE_COLS]
        return groupby(df, [], [f'{c}={op}({c})' for c in cols], TYPED)
    return ref


for _op, _cols in [('count', REDUCE_COLS), ('sum', NUMERIC), ('mean', NUMERIC), ('min', REDUCE_COLS),
                   ('max', REDUCE_COLS), ('std', NUMERIC), ('var', NUMERIC)]:
    case(f'reduce.{_op}', f32=1e-6)(reduce_case(_op, _cols))


# writers, and the reader of what they wrote ------------------------------------------------------

def written(d):
    df = mixed(d)
    df['d'] = df.t1 - df.t0
    return df[df.id % 5 != 0], dict(TYPED, d='duration')


@case('read_parquet.all')
def _(d):
    return written(d)


@case('read_parquet.subset')
def _(d):
    df, t = written(d)
    return df[['d', 's', 'x']], t


@case('read_parquet.verbs')
def _(d):
    df, t = written(d)
    return groupby(df[df.x > 0], ['grp'], ['n=size()', 'd_max=max(d)'], t)


@case('to_parquet.duckdb', duckdb=True)
def _(d):
    return written(d)


def check_report(d, out, case_name, folder, ext, part_rows):
    """The write report (OUT/CASE.csv) against the files in OUT/folder."""
    import pandas as pd
    rep = Result.load(os.path.join(out, case_name))
    rows = [dict(zip(rep.names, r)) for r in rep.rows]
    problems = []
    path = os.path.join(out, folder)
    names = sorted(os.listdir(path))
    want_names = sorted(f'part.{i}{ext}' for i in range(len(rows)))
    if names != want_names:
        problems.append(f'{folder} holds {names}, want {want_names}')
    total_rows = total_read = 0
    for i, r in enumerate(rows):
        f = os.path.join(path, r['file'])
        if int(r['part']) != i or r['file'] != f'part.{i}{ext}':
            problems.append(f'part {i}: {r["part"]} {r["file"]}')
            continue
        size = os.path.getsize(f) if os.path.exists(f) else None
        if int(r['bytes']) != size:
            problems.append(f'{r["file"]}: report says {r["bytes"]} bytes, the file has {size}')
        n = part_rows(f, i)
        if int(r['rows']) != n:
            problems.append(f'{r["file"]}: report says {r["rows"]} rows, the file has {n}')
        if not int(r['rows']) <= int(r['rows_read']):
            problems.append(f'{r["file"]}: {r["rows"]} rows from {r["rows_read"]} read')
        if int(r['worker']) not in (2, 3) or not r['host'] or float(r['seconds']) < 0 or int(r['peak_rss']) <= 0:
            problems.append(f'{r["file"]}: worker {r["worker"]} on {r["host"]!r}, {r["seconds"]} s, '
                            f'peak RSS {r["peak_rss"]}')
        total_rows += int(r['rows'])
        total_read += int(r['rows_read'])
    want_rows = len(written(d)[0])
    want_read = len(pd.read_csv(os.path.join(d, 'mixed.csv')))
    if (total_rows, total_read) != (want_rows, want_read):
        problems.append(f'{total_rows} rows written of {total_read} read, want {want_rows} of {want_read}')
    return problems


def csv_part_rows(path, i):
    with open(path, encoding='utf-8', newline='') as f:
        return len(parse_csv(f.read())) - 1


def run_special(name, d, out):
    """Checks that are not one table against one pandas frame; None if name is not one."""
    if name == 'to_parquet':
        counts_path = os.path.join(out, 'to_parquet.duckdb.rows')
        counts = [int(x) for x in open(counts_path)] if os.path.exists(counts_path) else []
        return check_report(d, out, name, 'pq', '.parquet',
                            lambda f, i: counts[i] if i < len(counts) else None)
    if name == 'to_csv':
        return check_report(d, out, name, 'csvparts', '.csv', csv_part_rows)
    if name == 'to_csv.parts':
        df, t = written(d)
        folder = os.path.join(out, 'csvparts')
        parts = sorted((f for f in os.listdir(folder) if re.fullmatch(r'part\.[0-9]+\.csv', f)),
                       key=lambda f: int(f.split('.')[1]))
        rows, names = [], None
        for p in parts:
            with open(os.path.join(folder, p), encoding='utf-8', newline='') as f:
                r = parse_csv(f.read())
            if names is not None and r[0] != names:
                return [f'{p}: header {r[0]}, part.0 has {names}']
            names = r[0]
            rows.extend(r[1:])
        return compare(Result(names or [], [t[c] for c in df.columns], rows), df, t)
    return None


def verbs(d, out, names):
    for name in names:
        try:
            special = run_special(name, d, out)
            if special is not None:
                report(name, special)
                continue
            func, opts = CASES[name]
            prefix = os.path.join(out, name)
            if not os.path.exists(prefix + '.csv'):
                report(name, ['no output (the client failed: see its error)'])
                continue
            df, types = func(d)
            got = Result.load(prefix, duckdb=opts.get('duckdb', False))
            report(name, compare(got, df.reset_index(drop=True), types_of(df, types),
                                 f32=opts.get('f32', 0.0), map_duration=opts.get('duckdb', False)))
        except Exception as e:   # a broken reference is a failure of its check, not of the others
            report(name, [f'the check raised {type(e).__name__}: {e}'])


# ---- trip-stats (reference/trip-stats.md) -----------------------------------------------------------

TRIP_NUMBERS = ['passenger_count', 'trip_distance', 'pickup_longitude', 'pickup_latitude', 'dropoff_longitude',
                'dropoff_latitude', 'payment_type', 'fare_amount', 'tip_amount']
TRIP_TYPES = dict(year='int64', month='int64', hour='int64', payment_type='int64', trips='int64',
                  passengers='int64', distance_sum='float64', fare_mean='float64', tip_mean='float64',
                  tip_ratio='float64', duration_mean_s='float64')


def csv_files(folder):
    return sorted(os.path.join(folder, f) for f in os.listdir(folder)
                  if re.search(r'\.csv(\.gz|\.bz2|\.xz|\.zst)?$', f))


def job_filter(df):
    return df[(df.fare_amount > 0) & (df.fare_amount < 500) & (df.passenger_count > 0) & (df.passenger_count < 6)
              & (df.pickup_longitude > -75) & (df.pickup_longitude < -73)
              & (df.dropoff_longitude > -75) & (df.dropoff_longitude < -73)
              & (df.pickup_latitude > 40) & (df.pickup_latitude < 42)
              & (df.dropoff_latitude > 40) & (df.dropoff_latitude < 42)]


def trip_stats_ref(folder):
    import pandas as pd
    times = ['tpep_pickup_datetime', 'tpep_dropoff_datetime']
    df = pd.concat([pd.read_csv(f, usecols=times + TRIP_NUMBERS, parse_dates=times,
                                dtype={c: 'float64' for c in TRIP_NUMBERS}) for f in csv_files(folder)],
                   ignore_index=True)
    df = job_filter(df)
    pickup = df.tpep_pickup_datetime.dt
    df = df.assign(year=pickup.year.astype('int64'), month=pickup.month.astype('int64'),
                   hour=pickup.hour.astype('int64'), payment_type=df.payment_type.fillna(-1).astype('int64'),
                   duration=(df.tpep_dropoff_datetime - df.tpep_pickup_datetime).dt.total_seconds())
    keys = ['year', 'month', 'hour', 'payment_type']
    g = df.groupby(keys, sort=True).agg(
        trips=('fare_amount', 'size'), passengers=('passenger_count', 'sum'), distance_sum=('trip_distance', 'sum'),
        fare_mean=('fare_amount', 'mean'), tip_mean=('tip_amount', 'mean'), tip_sum=('tip_amount', 'sum'),
        fare_sum=('fare_amount', 'sum'), duration_mean_s=('duration', 'mean')).reset_index()
    g['passengers'] = g.passengers.astype('int64')
    g['tip_ratio'] = g.tip_sum / g.fare_sum
    return g[list(TRIP_TYPES)]


def trip_stats(folder, dump, sql_dump):
    want = trip_stats_ref(folder)
    got = Result.load(dump, duckdb=True)
    print(f'# {len(want)} groups in pandas, {len(got.rows)} in the output')
    report('trip-stats: every value equals pandas', compare(got, want, TRIP_TYPES))
    sql = Result.load(sql_dump, duckdb=True)
    # DuckDB's result as the expectation: the same comparison, the other reference.
    import pandas as pd
    sql_df = pd.DataFrame([[got_value(v, t) for v, t in zip(row, sql.types)] for row in sql.rows],
                          columns=sql.names, dtype=object)
    report('trip-stats: every value equals DuckDB SQL', compare(got, sql_df, TRIP_TYPES))


# ---- the NYC taxi job (reference/nyctaxi-job.md) -------------------------------------------------------

NYC_TYPES = {'VendorID': 'int32', 'pickup_datetime': 'datetime64[ns]', 'dropoff_datetime': 'datetime64[ns]',
             'passenger_count': 'int32', 'trip_distance': 'float32', 'pickup_longitude': 'float32',
             'pickup_latitude': 'float32', 'rate_code': 'int32', 'dropoff_longitude': 'float32',
             'dropoff_latitude': 'float32', 'payment_type': 'int32', 'fare_amount': 'float32',
             'tip_amount': 'float32', 'total_amount': 'float32'}


def nyctaxi_ref(folder):
    """The users' job, file by file in name order (partition order), in
    pandas and NumPy float32: read_csv (numbers float64, as Dask's
    assume_missing), filter, rename, keep the 14 columns, fillna(-1) and
    astype (in that order: astype to int32 refuses NaN), then the features."""
    import numpy as np
    import pandas as pd
    frames = []
    for f in csv_files(folder):
        df = pd.read_csv(f, parse_dates=['tpep_pickup_datetime', 'tpep_dropoff_datetime'],
                         dtype={'store_and_fwd_flag': 'object'})
        df = job_filter(df)
        df = df.rename(columns={'tpep_pickup_datetime': 'pickup_datetime',
                                'tpep_dropoff_datetime': 'dropoff_datetime',
                                'RateCodeID': 'rate_code', 'RatecodeID': 'rate_code'})[list(NYC_TYPES)]
        num = [c for c, t in NYC_TYPES.items() if not t.startswith('datetime')]
        df[num] = df[num].fillna(-1)
        df = df.astype(NYC_TYPES)
        pickup = df.pickup_datetime.dt
        df['hour'] = pickup.hour.astype('int32')
        df['year'] = pickup.year.astype('int32')
        df['month'] = pickup.month.astype('int32')
        df['day'] = pickup.day.astype('int32')
        df['day_of_week'] = pickup.weekday.astype('int32')
        df['diff'] = df.dropoff_datetime - df.pickup_datetime
        for c in ('pickup_latitude', 'pickup_longitude', 'dropoff_latitude', 'dropoff_longitude'):
            df[c + '_r'] = df[c] // 0.01 * 0.01
        lat1, lon1, lat2, lon2 = (np.radians(df[c]) for c in
                                  ('pickup_latitude', 'pickup_longitude', 'dropoff_latitude', 'dropoff_longitude'))
        a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
        df['h_distance'] = 6371 * (2 * np.arcsin(np.sqrt(a)))
        df['is_weekend'] = (df.day_of_week > 5).astype('int32')
        frames.append(df)
    out = pd.concat(frames, ignore_index=True)
    for c in out.columns:
        if c.endswith('_r') or c == 'h_distance':
            assert out[c].dtype == 'float32', (c, out[c].dtype)
    return out


def compare_columns(got, want, types, cols, **kw):
    """compare() on some columns only."""
    idx = [got.names.index(c) for c in cols if c in got.names]
    sub = Result([got.names[i] for i in idx], [got.types[i] for i in idx], [[r[i] for i in idx] for r in got.rows])
    return compare(sub, want[cols], types, map_duration=True, **kw)


def nyctaxi(folder, dump):
    want = nyctaxi_ref(folder)
    got = Result.load(dump, duckdb=True)
    print(f'# {len(want)} rows in pandas, {len(got.rows)} in the output')
    types = types_of(want, {})
    want_types = ['int64' if types[c] == 'duration' else types[c] for c in want.columns]
    shape = []
    if got.names != list(want.columns) or got.types != want_types:
        shape.append(f'columns {list(zip(got.names, got.types))}')
        shape.append(f'   want {list(zip(want.columns, want_types))}')
    if len(got.rows) != len(want):
        shape.append(f'{len(got.rows)} rows, pandas keeps {len(want)}')
    report('nyctaxi: the 26 columns, their types, and as many rows as pandas keeps', shape)
    rounded = [c for c in want.columns if c.endswith('_r')]
    floats = [c for c in want.columns if types[c] == 'float32' and c not in rounded and c != 'h_distance']
    exact = [c for c in want.columns if types[c] != 'float32']
    report('nyctaxi: integers, timestamps and durations equal pandas exactly',
           compare_columns(got, want, types, exact))
    report('nyctaxi: the rounded coordinates (float32 x // 0.01 * 0.01) equal pandas exactly',
           compare_columns(got, want, types, rounded))
    report('nyctaxi: the other float32 columns equal pandas exactly', compare_columns(got, want, types, floats))
    report('nyctaxi: h_distance is within one float32 ulp of pandas',
           compare_columns(got, want, types, ['h_distance'], ulps={'h_distance': 1}))
    # glibc's cosf is correctly rounded where NumPy's own SIMD float32 cos
    # (AVX2, AVX512F) is not always: a difference of one ulp in a cosine can
    # end as two in h_distance.
    report('nyctaxi: h_distance is within two float32 ulps of pandas',
           compare_columns(got, want, types, ['h_distance'], ulps={'h_distance': 2}))


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ''
    if cmd == 'gen' and len(argv) == 3:
        gen(argv[2])
    elif cmd == 'verbs' and len(argv) >= 4:
        verbs(argv[2], argv[3], argv[4:])
    elif cmd == 'trip-stats' and len(argv) == 5:
        trip_stats(argv[2], argv[3], argv[4])
    elif cmd == 'nyctaxi' and len(argv) == 4:
        nyctaxi(argv[2], argv[3])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
