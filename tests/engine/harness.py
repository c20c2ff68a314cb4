"""Shared helpers of the engine's golden and robustness tests: run pcap-analyzer, read its report, compare."""
import json
import os
import re
import signal
import subprocess
import sys
from datetime import datetime, timezone
from decimal import Decimal

SKIP = 77
# Set by sanitize.sh: this run judges crashes and sanitizer reports only; the normal run judges the figures.
SANITIZE_ONLY = bool(os.environ.get('PCAPD_SANITIZE_INNER'))
MISSING = object()

# Where the report says it was cut short (first existing member wins); checked in this order.
PARTIAL_MEMBERS = ('capture.partial', 'capture.truncated', 'partial', 'capture.cut_short')


def skip(msg):
    print('SKIP: ' + msg)
    sys.exit(SKIP)


def get(report, path):
    """report member at dotted path, or MISSING."""
    cur = report
    for part in path.split('.'):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        else:
            return MISSING
    return cur


def is_partial(report):
    """(flag value, member name) of the report's "cut short" flag, (MISSING, None) when it has none."""
    for m in PARTIAL_MEMBERS:
        v = get(report, m)
        if v is not MISSING:
            return v, m
    return MISSING, None


def run(cmd, timeout=60, stdin=None, input_bytes=None):
    """Runs cmd; returns (returncode or None on timeout, stdout bytes, stderr text)."""
    try:
        p = subprocess.run(cmd, stdin=stdin, input=input_bytes, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
    except subprocess.TimeoutExpired as e:
        return None, e.stdout or b'', (e.stderr or b'').decode('utf-8', 'replace')
    return p.returncode, p.stdout, p.stderr.decode('utf-8', 'replace')


def describe_rc(rc):
    if rc is None:
        return 'timeout (hang)'
    if rc < 0:
        try:
            return 'killed by signal %s' % signal.Signals(-rc).name
        except ValueError:
            return 'killed by signal %d' % -rc
    return 'exit %d' % rc


SANITIZER_RE = re.compile(r'(AddressSanitizer|UndefinedBehaviorSanitizer|LeakSanitizer|runtime error:)')


def sanitizer_report(stderr):
    """The first sanitizer line in stderr, or None."""
    for line in stderr.splitlines():
        if SANITIZER_RE.search(line):
            return line.strip()
    return None


class JFloat(float):
    """A JSON number that keeps its text, so that timestamps compare at full (nanosecond) resolution."""

    def __new__(cls, text):
        o = float.__new__(cls, text)
        o.text = text
        return o


def loads(data):
    return json.loads(data.decode('utf-8') if isinstance(data, bytes) else data, parse_float=JFloat)


def analyze(analyzer, path, timeout=60, extra=()):
    """pcap-analyzer analyze PATH --json - --quiet -o /dev/null -> (rc, report dict or None, json error or None,
    stderr).  The HTML report is written too (to /dev/null) so that its code runs on every input as well."""
    rc, out, err = run([analyzer, 'analyze', path, '--json', '-', '--quiet', '-o', os.devnull] + list(extra),
                       timeout=timeout)
    report, jerr = None, None
    if out:
        try:
            report = loads(out)
        except (ValueError, UnicodeDecodeError) as e:
            jerr = 'report is not valid JSON: %s' % e
    return rc, report, jerr, err


def ts_to_decimal(v):
    """A report or truth timestamp (number, decimal string, ISO 8601 string) as Decimal seconds since the epoch."""
    if v is None or v is MISSING:
        return None
    if isinstance(v, bool):
        raise ValueError('boolean timestamp')
    if isinstance(v, JFloat):
        return Decimal(v.text)
    if isinstance(v, (int, float)):
        return Decimal(repr(v)) if isinstance(v, float) else Decimal(v)
    s = str(v).strip()
    if re.fullmatch(r'-?\d+(\.\d+)?', s):
        return Decimal(s)
    m = re.fullmatch(r'(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:?\d\d)?', s)
    if not m:
        raise ValueError('unparsable timestamp %r' % s)
    tz = m.group(3) or 'Z'
    base = datetime.strptime(m.group(1), '%Y-%m-%dT%H:%M:%S')
    if tz == 'Z':
        base = base.replace(tzinfo=timezone.utc)
    else:
        base = datetime.strptime(m.group(1) + tz.replace(':', ''), '%Y-%m-%dT%H:%M:%S%z')
    secs = int(base.timestamp())
    frac = m.group(2) or '0'
    return Decimal(secs) + Decimal('0.' + frac)


def corpus_files(corpus, sets=('gen', 'real')):
    """Relative paths (set/name) of every capture with a truth file."""
    out = []
    for s in sets:
        d = os.path.join(corpus, s)
        if not os.path.isdir(d):
            continue
        for f in sorted(os.listdir(d)):
            if f.endswith(('.pcap', '.pcapng', '.cap')) and os.path.exists(os.path.join(d, f + '.truth.json')):
                out.append(s + '/' + f)
    return out


def broken_files(corpus):
    d = os.path.join(corpus, 'real', 'broken')
    if not os.path.isdir(d):
        return []
    return ['real/broken/' + f for f in sorted(os.listdir(d)) if f.endswith(('.pcap', '.pcapng', '.cap'))]


def fmt(v):
    if v is MISSING:
        return '(missing)'
    if isinstance(v, float):
        return '%.6g' % v
    if isinstance(v, dict):
        return json.dumps(v, sort_keys=True)
    return str(v)
