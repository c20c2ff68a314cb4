#!/usr/bin/env python3
"""pcap-analyzer --csv DIR (issue 14): every CSV file against the same run's JSON report, member by member.

Usage: csv_export.py --analyzer BIN [--corpus DIR]

For every synthetic capture of tests/pcapwrite/scenarios.py, one made here with hostile strings (a DNS name
and an HTTP path with quotes, commas, CR/LF, a leading '=' and non-ASCII), and a few corpus captures (skipped,
saying so, without ../shared), it reads each file with Python's csv module and with a strict RFC 4180 reader
of its own, and checks that the files hold exactly the JSON's members (REPORT-SCHEMA.md, "CSV export"): the
same rows, the same values as text (numbers written as the JSON writes them), nothing more. Then the errors:
DIR a file, its parent missing, DIR not writable, a full disk (a file size limit, and a small tmpfs when it
can be mounted), --csv -, and that a failed run leaves the directory as it was.
"""
import argparse
import csv
import io
import json
import os
import resource
import signal
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'pcapwrite'))
import harness  # noqa: E402
import pcapwrite as pw  # noqa: E402
import scenarios  # noqa: E402

# REPORT-SCHEMA.md, "CSV export": file -> (JSON list, label column, by column). Written out again here on
# purpose: the test checks the C table list against the documented mapping, not against itself.
TABLES = {
    'findings.csv': ('findings', None, False),
    'penalties.csv': ('health.penalties', None, False),
    'causes.csv': ('where_time_went.causes', None, False),
    'flows.csv': ('flows.worst', None, False),
    'transactions.csv': ('transactions.items', None, False),
    'transaction_connections.csv': ('transactions.by_connection', None, False),
    'transfers.csv': ('tcp.transfers.items', None, False),
    'transfer_trace.csv': ('tcp.transfers.trace', None, True),
    'events.csv': ('events.*.items', 'event', False),
    'hosts.csv': ('talkers.hosts', None, False),
    'conversations.csv': ('talkers.conversations', None, False),
    'services.csv': ('services', None, False),
    'link_types.csv': ('capture.link_types', None, False),
    'dns_ports.csv': ('dns.other_ports.ports', None, False),
    'dns_response_time_histogram.csv': ('dns.response_time_histogram', None, False),
    'handshake_rtt_histogram.csv': ('tcp.handshakes.rtt_histogram', None, False),
    'series.csv': ('series', None, True),
    'gaps.csv': ('timing.gaps.items', None, False),
    'bursts.csv': ('timing.largest_bursts', None, False),
    'peak_periods.csv': ('timing.periods.peaks', None, False),
    'quiet_periods.csv': ('timing.periods.quiet', None, False),
    'connections.csv': ('connections.items', None, False),
}
FILES = sorted(['summary.csv'] + list(TABLES))
GUARDED = ('=', '+', '-', '@', '\t', '\r', "'")

fails = 0


def expect(what, ok, detail=''):
    global fails
    print('%-4s %s%s' % ('ok' if ok else 'FAIL', what, (' -- ' + detail) if detail and not ok else ''))
    fails += not ok
    return ok


class Num(str):
    """A JSON number kept as the text the report holds (the CSV must hold the same text)."""


def load_report(data):
    return json.loads(data, parse_int=Num, parse_float=Num)


def cell(v):
    """What the CSV holds for a JSON value (None for a list or object: compared as JSON text apart)."""
    if v is None:
        return ''
    if v is True:
        return 'true'
    if v is False:
        return 'false'
    if isinstance(v, Num):
        return str(v)
    if isinstance(v, str):
        return "'" + v if v.startswith(GUARDED) else v
    return None


def same(v, text):
    """text (a CSV cell) is v: a scalar as cell(); a list or object as its JSON text (values as text)."""
    c = cell(v)
    if c is not None:
        return text == c
    try:
        return load_report(text) == v
    except ValueError:
        return False


def match(path, pattern):
    """the label a * of pattern stood for ('' without one), or None when path is not pattern"""
    p, q = path.split('.'), pattern.split('.')
    if len(p) != len(q):
        return None
    label = ''
    for a, b in zip(p, q):
        if b == '*':
            label = a
        elif a != b:
            return None
    return label


def table_of(path, value):
    for name, (pattern, label, by_column) in TABLES.items():
        if isinstance(value, dict if by_column else list):
            lab = match(path, pattern)
            if lab is not None:
                return name, lab
    return None, None


def flatten(obj, prefix=''):
    """a row's members: nested objects as dotted names, lists whole"""
    out = []
    for k, v in obj.items():
        name = prefix + k
        if isinstance(v, dict):
            out += flatten(v, name + '.')
        else:
            out.append((name, v))
    return out


def expected_tables(rep):
    """{file: list of rows, each a list of (column, JSON value)}; summary.csv as (member, value) rows"""
    tabs = {f: [] for f in FILES}

    def walk(v, path):
        if path:
            name, lab = table_of(path, v)
            if name:
                label = TABLES[name][1]
                if TABLES[name][2]:  # by column: the lists are columns, the rest goes to the summary
                    n = max([len(x) for x in v.values() if isinstance(x, list)] or [0])
                    rows = [[] for _ in range(n)]
                    for k, x in v.items():
                        if isinstance(x, list):
                            for i, e in enumerate(x):
                                rows[i].append((k, e))
                        else:
                            walk(x, path + '.' + k)
                    tabs[name] += rows
                else:
                    for e in v:
                        row = [(label, lab)] if label else []
                        row += flatten(e) if isinstance(e, dict) else [('value', e)]
                        tabs[name].append(row)
                return
        if isinstance(v, dict):
            for k, x in v.items():
                walk(x, path + '.' + k if path else k)
        else:
            tabs['summary.csv'].append([('member', path), ('value', v)])
    walk(rep, '')
    return tabs


def strict_read(data):
    """RFC 4180 as pcap-analyzer writes it: records end in CRLF, a field is quoted exactly when it holds a
    comma, a quote, CR or LF or is an empty string. Returns records of (text, quoted) or raises ValueError."""
    recs, i, n = [], 0, len(data)
    while i < n:
        rec = []
        while True:
            if i < n and data[i] == '"':
                j, val = i + 1, []
                while True:
                    k = data.find('"', j)
                    if k < 0:
                        raise ValueError('unterminated quote at %d' % i)
                    val.append(data[j:k])
                    if data[k + 1:k + 2] == '"':
                        val.append('"')
                        j = k + 2
                        continue
                    i = k + 1
                    break
                text = ''.join(val)
                if text and not any(c in text for c in ',"\r\n'):
                    raise ValueError('needless quotes around %r' % text)
                rec.append((text, True))
            else:
                k = i
                while k < n and data[k] not in ',\r\n"':
                    k += 1
                if k < n and data[k] == '"':
                    raise ValueError('quote inside an unquoted field at %d' % k)
                rec.append((data[i:k], False))
                i = k
            if data[i:i + 1] == ',':
                i += 1
                continue
            if data[i:i + 2] != '\r\n':
                raise ValueError('record not ended by CRLF at %d: %r' % (i, data[i:i + 8]))
            i += 2
            break
        recs.append(rec)
    return recs


def check_file(what, fname, raw, rows):
    """raw: the file's bytes; rows: the expected rows (lists of (column, JSON value))."""
    if not rows:
        return expect('%s %s: no rows, an empty file' % (what, fname), raw == b'', '%d bytes' % len(raw))
    try:
        text = raw.decode('utf-8', 'strict')
    except UnicodeDecodeError as e:
        return expect('%s %s: UTF-8' % (what, fname), False, str(e))
    parsed = list(csv.reader(io.StringIO(text, newline=''), strict=True))
    try:
        strict = strict_read(text)
    except ValueError as e:
        return expect('%s %s: RFC 4180 (CRLF, quotes where needed)' % (what, fname), False, str(e))
    ok = expect('%s %s: the csv module and a strict reader agree' % (what, fname),
                [[t for t, q in r] for r in strict] == parsed, '%r / %r' % (strict[:2], parsed[:2]))
    header, body = parsed[0], parsed[1:]
    # the columns: exactly the members the rows have, each once, in each row's own order
    names = []
    for r in rows:
        for k, _ in r:
            if k not in names:
                names.append(k)
    ok &= expect('%s %s: the header is the members, each once' % (what, fname),
                 sorted(header) == sorted(names) and len(set(header)) == len(header),
                 'extra %s missing %s' % (sorted(set(header) - set(names)), sorted(set(names) - set(header))))
    pos = {k: i for i, k in enumerate(header)}
    ok &= expect('%s %s: columns in the JSON order of every row' % (what, fname),
                 all([pos.get(k, -1) for k, _ in r] == sorted(pos.get(k, -1) for k, _ in r) for r in rows))
    ok &= expect('%s %s: %d rows' % (what, fname, len(rows)), len(body) == len(rows) and
                 all(len(b) == len(header) for b in body), '%d rows' % len(body))
    bad = []
    for i, (r, b) in enumerate(zip(rows, body)):
        got = dict(zip(header, b))
        have = dict(r)
        for k in header:
            if k in have:
                if not same(have[k], got[k]):
                    bad.append('row %d %s: JSON %r, CSV %r' % (i, k, have[k], got[k]))
            elif got[k] != '':
                bad.append('row %d %s: not in the JSON, CSV %r' % (i, k, got[k]))
        # an empty string is "" and a null or absent member an empty field without quotes
        for k, (t, quoted) in zip(header, strict[i + 1]):
            v = have.get(k)
            if t == '' and quoted != (v == ''):
                bad.append('row %d %s: %s empty field for %r' % (i, k, 'quoted' if quoted else 'bare', v))
    ok &= expect('%s %s: every cell is its JSON value' % (what, fname), not bad, '; '.join(bad[:5]))
    return ok


def run_csv(a, capture, outdir, extra=(), stdin=None):
    jpath = outdir + '.json'
    rc, out, err = harness.run([a, 'analyze', capture, '--json', jpath, '--csv', outdir, '--quiet'] + list(extra),
                               stdin=stdin, timeout=120)
    rep = load_report(open(jpath, 'rb').read()) if rc == 0 and os.path.exists(jpath) else None
    return rc, err, rep


def check_capture(a, what, capture, outdir, stdin=None):
    rc, err, rep = run_csv(a, '-' if stdin else capture, outdir, stdin=stdin)
    if not expect('%s: exit 0, a JSON report' % what, rc == 0 and rep is not None,
                  '%s %r' % (harness.describe_rc(rc), err[:200])):
        return None
    expect('%s: the files of the CSV export, nothing else' % what, sorted(os.listdir(outdir)) == FILES,
           repr(sorted(os.listdir(outdir))))
    tabs = expected_tables(rep)
    for f in FILES:
        p = os.path.join(outdir, f)
        check_file(what, f, open(p, 'rb').read() if os.path.exists(p) else b'', tabs[f])
    return rep


HOSTILE_DNS = [b'=cmd|calc!A0,x', b'line\r\nbreak', b'caf\xc3\xa9 "quoted"', b'+1', b'-2', b'@SUM(1)', b"'q", b'\tt']
HOSTILE_PATHS = ['/a,"b"', '=HYPERLINK("http://x","y")', '/caf\u00e9?q=1,2']


def build_hostile(path):
    """Unanswered DNS queries whose names are hostile CSV, and HTTP exchanges with such paths."""
    fr = scenarios.Frames()
    for i, label in enumerate(HOSTILE_DNS):
        q = struct.pack('!HHHHHH', 0x4000 + i, 0x0100, 1, 0, 0, 0) + bytes([len(label)]) + label + \
            b'\x07example\x00' + struct.pack('!HH', 1, 1)
        fr.at(i * 0.1, pw.ether(pw.ipv4(scenarios.C4, scenarios.S4, pw.udp(53000 + i, 53, q))))
    c = scenarios._linux(fr, 42000, 0.010)
    t = c.connect(2.0) + 0.00003
    for p in HOSTILE_PATHS:
        req = ('GET %s HTTP/1.1\r\nHost: x\r\n\r\n' % p).encode()
        arr = c.send(True, t, req)
        c.deliver(False, c.nxt[True])
        t = c.transfer(False, arr + 0.0002 + 0.050, pw.http_response(300), last_ack='now') + 0.001
    c.close(t + 0.002)
    with pw.PcapWriter(path) as w:
        return fr.write(w)


def ignore_xfsz_and_limit(size):
    def pre():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    return pre


def snapshot(d):
    return {f: open(os.path.join(d, f), 'rb').read() for f in sorted(os.listdir(d))}


def check_errors(a, td, capture):
    def one_line_error(what, args, code, **kw):
        p = subprocess.run([a, 'analyze', capture, '--quiet'] + args, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=120, **kw)
        err = p.stderr.decode(errors='replace').strip()
        return expect('%s: exit %d, one line' % (what, code), p.returncode == code and len(err.splitlines()) == 1,
                      'exit %s %r' % (p.returncode, err[:300])), err

    afile = os.path.join(td, 'a-file')
    open(afile, 'w').write('keep')
    ok, err = one_line_error('--csv DIR where DIR is a file', ['--csv', afile], 4)
    expect('... the file is left alone, the message names it', open(afile).read() == 'keep' and afile in err, err)
    one_line_error('--csv DIR whose parent is missing (parents are not made)',
                   ['--csv', os.path.join(td, 'no', 'such')], 4)
    expect('... nothing made', not os.path.exists(os.path.join(td, 'no')))
    one_line_error('--csv - (files cannot go to standard output)', ['--csv', '-'], 2)

    # not writable: a directory of its own 0555, or, as root (who may write anyway), run as nobody
    ro = os.path.join(td, 'readonly')
    os.mkdir(ro)
    os.chmod(td, 0o755)
    kw = {}
    if os.geteuid() == 0:
        os.chmod(capture, 0o644)
        kw['preexec_fn'] = lambda: (os.setgroups([]), os.setgid(65534), os.setuid(65534))
    else:
        os.chmod(ro, 0o555)
    ok, err = one_line_error('--csv DIR not writable', ['--csv', ro], 4, **kw)
    expect('... checked before the capture is read, nothing written', ok and os.listdir(ro) == [], repr(os.listdir(ro)))

    # a write that fails (the disk full, here a file size limit: EFBIG) leaves the directory as it was: the
    # files of an earlier run whole, no temporary file
    full = os.path.join(td, 'full')
    rc, err, rep = run_csv(a, capture, full)
    open(os.path.join(full, 'mine.txt'), 'w').write('not ours')
    before = snapshot(full)
    ok, err = one_line_error('a write fails (file size limit, EFBIG)', ['--csv', full], 4,
                             preexec_fn=ignore_xfsz_and_limit(64))
    expect('... the message says why', 'too large' in err.lower() or 'file size' in err.lower(), err)
    after = snapshot(full)
    expect('... the directory is as it was (no half file, no temporary file)', before == after,
           'changed: %s' % sorted(set(before) ^ set(after) | {f for f in before if before.get(f) != after.get(f)}))

    # a really full disk: a tmpfs of 64 KiB (root and a kernel that lets us mount; otherwise said and skipped)
    mnt = os.path.join(td, 'tmpfs')
    os.mkdir(mnt)
    if os.geteuid() == 0 and subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=64k', 'csvtest', mnt],
                                            stderr=subprocess.DEVNULL).returncode == 0:
        try:
            open(os.path.join(mnt, 'filler'), 'wb').write(b'x' * 40000)
            ok, err = one_line_error('a full disk (tmpfs of 64 KiB)', ['--csv', os.path.join(mnt, 'out')], 4)
            expect('... the message says so', 'no space' in err.lower(), err)
            expect('... no file left in it', os.listdir(os.path.join(mnt, 'out')) == [],
                   repr(os.listdir(os.path.join(mnt, 'out'))))
        finally:
            subprocess.run(['umount', mnt])
    else:
        print('SKIP a full disk on a small tmpfs: not root or mount not permitted (the EFBIG case above stands in)')

    # a second run replaces the files of the first and leaves other files alone
    again = os.path.join(td, 'again')
    run_csv(a, capture, again)
    open(os.path.join(again, 'summary.csv'), 'w').write('stale')
    open(os.path.join(again, 'mine.txt'), 'w').write('not ours')
    rc, err, rep = run_csv(a, capture, again)
    expect('a second run replaces its files and keeps others',
           rc == 0 and open(os.path.join(again, 'summary.csv'), 'rb').read().startswith(b'member,value\r\nschema,')
           and open(os.path.join(again, 'mine.txt')).read() == 'not ours')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--analyzer')
    ap.add_argument('--corpus')
    o = ap.parse_args()
    a = o.analyzer
    if not a or not os.access(a, os.X_OK):
        harness.skip('pcap-analyzer not built (%s)' % a)
    with tempfile.TemporaryDirectory(prefix='pcapd-csv-') as td:
        caps = os.path.join(td, 'captures')
        scenarios.build_all(caps)
        for name in sorted(os.listdir(caps)):
            check_capture(a, name, os.path.join(caps, name), os.path.join(td, 'out-' + name))

        hostile = os.path.join(td, 'hostile.pcap')
        build_hostile(hostile)
        rep = check_capture(a, 'hostile', hostile, os.path.join(td, 'out-hostile'))
        if rep:
            names = [e['name'] for e in rep['events']['dns_unanswered']['items']]
            paths = [e['path'] for e in rep['transactions']['items']]
            expect('hostile: the DNS names and HTTP paths reached the report',
                   all(any(n.startswith(h.decode()) for n in names) for h in HOSTILE_DNS)
                   and sorted(paths) == sorted(HOSTILE_PATHS), '%r %r' % (names, paths))
            ev = open(os.path.join(td, 'out-hostile', 'events.csv'), 'rb').read()
            expect('hostile: formulas guarded, CR LF quoted, UTF-8 kept',
                   b",'=cmd|calc!A0,x.example" not in ev and b",\"'=cmd|calc!A0,x.example\"" in ev
                   and b'"line\r\nbreak.example"' in ev and 'café ""quoted""'.encode() in ev, repr(ev[:300]))
            tx = open(os.path.join(td, 'out-hostile', 'transactions.csv'), 'rb').read()
            expect('hostile: an HTTP path that is a formula is guarded',
                   b'"\'=HYPERLINK(""http://x"",""y"")"' in tx and b'"/a,""b"""' in tx, repr(tx[:400]))

        # the capture from standard input, with --html beside --json and --csv
        esc = os.path.join(caps, 'escape-dns-names.pcap')
        with open(esc, 'rb') as f:
            check_capture(a, 'standard input', esc, os.path.join(td, 'out-stdin'), stdin=f)
        html = os.path.join(td, 'r.html')
        rc, err, rep = run_csv(a, esc, os.path.join(td, 'out-all'), extra=['-o', html])
        expect('--csv with --json and -o: all written', rc == 0 and rep is not None and os.path.getsize(html) > 1000
               and sorted(os.listdir(os.path.join(td, 'out-all'))) == FILES, '%s %r' % (harness.describe_rc(rc), err))

        check_errors(a, td, esc)

        corpus = o.corpus
        picks = ['real/chrissanders__http_espn.pcapng', 'real/nDPI__bad-dns-traffic.pcap',
                 'real/chrissanders__tcp_retransmissions.pcapng', 'latency/app-server-delay.pcap', 'gen/icmp.pcap']
        for c in picks:
            p = os.path.join(corpus or '', c)
            if not corpus or not os.path.exists(p):
                print('SKIP %s: no corpus (../shared/corpus)' % c)
                continue
            check_capture(a, c, p, os.path.join(td, 'out-' + c.replace('/', '_')))
    print('%d failures' % fails)
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
