#!/usr/bin/python3
"""promcheck.py FILE: check that FILE is valid Prometheus text exposition
format (0.0.4); print each problem with its line number, exit 1 if any.
promcheck.py --self-test: check the checker on good and bad samples (TAP).

Checked: comment lines (# HELP NAME TEXT, # TYPE NAME TYPE, other comments),
sample lines NAME{LABEL="VALUE",...} VALUE [TIMESTAMP]; names and label
names by the format's grammar; label value escapes; float values (NaN,
+Inf, -Inf); one TYPE per family, before its samples; a family's samples
together; no duplicate series; the file ends with a newline."""
import re
import sys

NAME = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*\Z')
LABEL = re.compile(r'[a-zA-Z_][a-zA-Z0-9_]*\Z')
TYPES = {'counter', 'gauge', 'histogram', 'summary', 'untyped'}
SUFFIXES = ('_bucket', '_sum', '_count')


def parse_value(text):
    if text in ('NaN', '+Inf', '-Inf', 'Inf'):
        return True
    try:
        float(text)
        return re.fullmatch(r'[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?', text) is not None
    except ValueError:
        return False


def parse_labels(text, i, line_no, problems):
    """text[i] == '{'; returns (labels tuple, index after '}') or None."""
    labels = []
    i += 1
    while True:
        if i < len(text) and text[i] == '}':
            return tuple(labels), i + 1
        m = re.compile(r'[a-zA-Z_][a-zA-Z0-9_]*').match(text, i)
        if not m:
            problems.append('%d: bad label name' % line_no)
            return None
        name = m.group(0)
        i = m.end()
        if text[i:i + 2] != '="':
            problems.append('%d: label %s: expected ="' % (line_no, name))
            return None
        i += 2
        value = ''
        while True:
            if i >= len(text):
                problems.append('%d: label %s: unterminated value' % (line_no, name))
                return None
            c = text[i]
            if c == '\\':
                if i + 1 >= len(text) or text[i + 1] not in '\\"n':
                    problems.append('%d: label %s: bad escape' % (line_no, name))
                    return None
                value += text[i:i + 2]
                i += 2
            elif c == '"':
                i += 1
                break
            elif c == '\n':
                problems.append('%d: label %s: newline in value' % (line_no, name))
                return None
            else:
                value += c
                i += 1
        if name in (n for n, _ in labels):
            problems.append('%d: label %s twice' % (line_no, name))
        labels.append((name, value))
        if i < len(text) and text[i] == ',':
            i += 1
        elif i < len(text) and text[i] == '}':
            continue
        else:
            problems.append('%d: expected , or } after label %s' % (line_no, name))
            return None


def family_of(name, types):
    if name in types:
        return name
    for s in SUFFIXES:
        if name.endswith(s) and name[:-len(s)] in types:
            return name[:-len(s)]
    return name


def check(text):
    problems = []
    if text and not text.endswith('\n'):
        problems.append('the last line has no newline')
    types, helps, seen, done_families = {}, set(), set(), set()
    current = None
    for line_no, line in enumerate(text.split('\n')[:-1] if text.endswith('\n') else text.split('\n'), 1):
        if line.strip() == '':
            continue
        if line.startswith('#'):
            parts = line.split(None, 3)
            if len(parts) >= 2 and parts[1] in ('HELP', 'TYPE'):
                if len(parts) < 3 or not NAME.match(parts[2]):
                    problems.append('%d: # %s without a valid metric name' % (line_no, parts[1]))
                    continue
                name = parts[2]
                if parts[1] == 'TYPE':
                    if len(parts) != 4 or parts[3] not in TYPES:
                        problems.append('%d: bad type for %s' % (line_no, name))
                    if name in types:
                        problems.append('%d: second TYPE for %s' % (line_no, name))
                    if name in done_families or name == current:
                        problems.append('%d: TYPE for %s after its samples' % (line_no, name))
                    types[name] = parts[3] if len(parts) == 4 else None
                else:
                    if name in helps:
                        problems.append('%d: second HELP for %s' % (line_no, name))
                    helps.add(name)
            continue
        m = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*').match(line)
        if not m:
            problems.append('%d: bad metric name' % line_no)
            continue
        name, i = m.group(0), m.end()
        labels = ()
        if i < len(line) and line[i] == '{':
            parsed = parse_labels(line, i, line_no, problems)
            if parsed is None:
                continue
            labels, i = parsed
        rest = line[i:]
        if not rest.startswith(' '):
            problems.append('%d: expected a space before the value' % line_no)
            continue
        fields = rest.split()
        if len(fields) not in (1, 2) or not parse_value(fields[0]) or \
                (len(fields) == 2 and not re.fullmatch(r'-?\d+', fields[1])):
            problems.append('%d: bad value or timestamp %r' % (line_no, rest.strip()))
            continue
        family = family_of(name, types)
        if family != current:
            if family in done_families:
                problems.append('%d: samples of %s are not together' % (line_no, family))
            if current is not None:
                done_families.add(current)
            current = family
        key = (name, tuple(sorted(labels)))
        if key in seen:
            problems.append('%d: duplicate series %s%s' % (line_no, name, dict(labels)))
        seen.add(key)
        if types.get(family) == 'counter' and not name.endswith('_total'):
            problems.append('%d: counter %s should end in _total' % (line_no, name))
    return problems


SELF_TESTS = [
    (True, '# HELP a_b A thing.\n# TYPE a_b gauge\na_b 1\na_b{x="y"} 2.5e3\n'),
    (True, '# TYPE c_total counter\nc_total{f="a\\"b\\\\c\\n"} NaN\nc_total{f="d"} +Inf 1700000000000\n'),
    (True, 'untyped_metric -1\n# a comment\n'),
    (False, 'a 1'),                                  # no final newline
    (False, '1abc 1\n'),                             # bad name
    (False, 'a{x="y} 1\n'),                          # unterminated label
    (False, 'a{x="y\\q"} 1\n'),                      # bad escape
    (False, 'a{1x="y"} 1\n'),                        # bad label name
    (False, 'a one\n'),                              # bad value
    (False, 'a 1\nb 2\na 3\n'),                      # family split
    (False, 'a{x="1"} 1\na{x="1"} 2\n'),             # duplicate
    (False, 'a 1\n# TYPE a gauge\n'),                # TYPE after samples
    (False, '# TYPE a gauge\n# TYPE a gauge\na 1\n'),
    (False, '# TYPE a thing\na 1\n'),                # unknown type
    (False, '# TYPE c counter\nc 1\n'),              # counter without _total
    (False, 'a{x="y",x="z"} 1\n'),                   # label twice
    (False, 'a{x="y"}1\n'),                          # no space
]


def self_test():
    print('1..%d' % len(SELF_TESTS))
    failed = 0
    for n, (valid, text) in enumerate(SELF_TESTS, 1):
        problems = check(text)
        good = (not problems) == valid
        failed += not good
        print('%s %d - promcheck %s %r%s' % ('ok' if good else 'not ok', n, 'accepts' if valid else 'rejects',
                                             text, '' if good else ': ' + '; '.join(problems)))
    return 1 if failed else 0


def main():
    if sys.argv[1] == '--self-test':
        return self_test()
    with open(sys.argv[1], encoding='utf-8') as f:
        problems = check(f.read())
    for p in problems:
        print('%s:%s' % (sys.argv[1], p))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
