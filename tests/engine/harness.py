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


TIMELINE_EVENTS = ('handshake', 'retransmission-rto', 'retransmission-fast', 'retransmission-spurious',
                   'retransmission-pmtu', 'zero-window', 'reset', 'teardown')


def timeline_rules(rep):
    """The schema's own rules for the packet timelines and tshark commands (REPORT-SCHEMA.md: timelines,
    findings[].tshark, findings[].flow_details): a list of what breaks them, empty when none does."""
    bad = []
    tl = rep.get('timelines')
    if not isinstance(tl, dict):
        return ['timelines missing']
    items = tl.get('items') or []
    if tl.get('relative_to') != 'first_packet':
        bad.append('timelines.relative_to %r' % tl.get('relative_to'))
    if tl.get('kept') != len(items):
        bad.append('timelines.kept %r, %d items' % (tl.get('kept'), len(items)))
    n = sum(len(it.get('lines') or []) for it in items)
    if not (tl.get('lines') == n <= tl.get('lines_max', -1)):
        bad.append('timelines.lines %r, %d listed, lines_max %r' % (tl.get('lines'), n, tl.get('lines_max')))
    if tl.get('lines_left_out') != sum(it.get('lines_left_out', 0) for it in items):
        bad.append('timelines.lines_left_out is not the items\' sum')
    name = (rep.get('capture') or {}).get('file_name')
    prefix = 'tshark -r '
    for i, it in enumerate(items):
        w = 'timelines.items[%d]' % i
        if it.get('id') != i:
            bad.append('%s.id %r' % (w, it.get('id')))
        if not (it.get('first_frame', 0) <= it.get('last_frame', -1)):
            bad.append('%s first_frame > last_frame' % w)
        if it.get('events_shown', 0) > min(3, it.get('events', 0)):
            bad.append('%s.events_shown %r of %r' % (w, it.get('events_shown'), it.get('events')))
        if not str(it.get('tshark', '')).startswith(prefix):
            bad.append('%s.tshark %r' % (w, it.get('tshark')))
        lines = it.get('lines') or []
        if (it.get('tshark_lines') is None) != (not lines):
            bad.append('%s.tshark_lines and its lines disagree' % w)
        frames = [ln.get('frame') for ln in lines]
        if frames != sorted(set(frames)):
            bad.append('%s lines not in frame order or a frame twice' % w)
        if any(not (it['first_frame'] <= f <= it['last_frame']) for f in frames):
            bad.append('%s a line outside the connection\'s frames' % w)
        for ln in lines:
            if ln.get('event') not in TIMELINE_EVENTS or ln.get('from') not in ('client', 'server'):
                bad.append('%s line %r: event/from %r/%r' % (w, ln.get('frame'), ln.get('event'), ln.get('from')))
            if ln.get('at_event') and ln.get('event_frame') != ln.get('frame'):
                bad.append('%s line %r: at_event, event_frame %r' % (w, ln.get('frame'), ln.get('event_frame')))
            if ln.get('event') in ('handshake', 'teardown') and ln.get('event_frame') is not None:
                bad.append('%s line %r: %s with an event_frame' % (w, ln.get('frame'), ln.get('event')))
            if (ln.get('ack') is None) != ('ACK' not in (ln.get('flags') or '').split(', ')):
                bad.append('%s line %r: ack %r with flags %r' % (w, ln.get('frame'), ln.get('ack'), ln.get('flags')))
    for f in rep.get('findings') or []:
        fd = f.get('flow_details')
        if not isinstance(fd, list) or [d.get('flow') for d in fd] != f.get('flows'):
            bad.append('finding %s: flow_details do not follow flows' % f.get('id'))
            continue
        if (f.get('tshark') is None) != (not f.get('filter')):
            bad.append('finding %s: tshark %r with filter %r' % (f.get('id'), f.get('tshark'), f.get('filter')))
        for d in fd:
            t = d.get('timeline')
            if t is not None and not (isinstance(t, int) and 0 <= t < len(items)):
                bad.append('finding %s flow %s: timeline %r' % (f.get('id'), d.get('flow'), t))
            if t is not None and 'frame.number >= %d && frame.number <= %d' % (
                    items[t]['first_frame'], items[t]['last_frame']) not in d.get('filter', ''):
                bad.append('finding %s flow %s: the filter does not pin its connection' % (f.get('id'), d.get('flow')))
        for cmd in [f.get('tshark')] + [d.get('tshark') for d in fd]:
            if cmd is None:
                continue
            if not cmd.startswith(prefix + (shell_quote(name) if name else 'CAPTURE.pcap') + ' -Y '):
                bad.append('finding %s: command %r does not read %r' % (f.get('id'), cmd[:80], name))
    return bad


def shell_quote(s):
    """What util/shellquote.c writes (the test's own copy, to compare with)."""
    return "'" + s.replace("'", "'\\''") + "'"
