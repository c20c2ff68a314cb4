#!/usr/bin/env python3
"""Robustness test: broken captures and captures cut at many offsets never crash or hang pcap-analyzer.

Usage: robust.py --analyzer BIN --corpus DIR broken            every file in real/broken
       robust.py --analyzer BIN --corpus DIR cut CAPTURE...    CAPTURE cut at ~40 offsets (gen/x.pcap ...)
       robust.py --analyzer BIN regress DIR                    every file in DIR (fuzz regression inputs)
       robust.py --analyzer BIN flood                          generated floods (DNS, SYN, holes, 1M exchanges) end in
                                                               bounded time (and, for the exchanges, bounded memory)
Each run must end with exit 0 (a report; when the input was cut inside a record, the report says it is
partial) or exit 3 (a one-line reason on stderr); never a signal, a sanitizer report, a hang or invalid JSON.
"""
import argparse
import json
import os
import struct
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'pcapwrite'))
import harness  # noqa: E402
import pcapwrite as pw  # noqa: E402
from harness import MISSING, SANITIZE_ONLY  # noqa: E402

TIMEOUT = 30


def analyze_stdin(analyzer, path):
    """pcap-analyzer analyze - --json - --quiet < path, like harness.analyze."""
    with open(path, 'rb') as f:
        rc, out, err = harness.run([analyzer, 'analyze', '-', '--json', '-', '--quiet', '-o', os.devnull], stdin=f,
                                   timeout=TIMEOUT)
    rep, jerr = None, None
    if out:
        try:
            rep = harness.loads(out)
        except (ValueError, UnicodeDecodeError) as e:
            jerr = 'report is not valid JSON: %s' % e
    return rc, rep, jerr, err


def run_one(analyzer, path, what, expect=None, stdin=False):
    """Runs the analyzer on path (or on its standard input); returns a list of failure strings (empty = fine),
    the exit code, the report and stderr.  expect: dict with optional keys rc (set of allowed codes), packets
    (int when rc 0), partial (bool when rc 0), members ({member: value} when rc 0)."""
    fails = []
    if stdin:
        rc, rep, jerr, err = analyze_stdin(analyzer, path)
    else:
        rc, rep, jerr, err = harness.analyze(analyzer, path, timeout=TIMEOUT)
    san = harness.sanitizer_report(err)
    if san:
        fails.append('%s: sanitizer: %s' % (what, san))
    if rc is None or rc < 0:
        fails.append('%s: %s' % (what, harness.describe_rc(rc)))
        return fails, rc, rep, err
    allowed = (expect or {}).get('rc', {0, 3})
    if rc not in (0, 3):
        fails.append('%s: exit %d (want 0 or 3); stderr: %s' % (what, rc, err.strip()[:300]))
    elif rc not in allowed:
        fails.append('%s: exit %d, want %s; stderr: %s' % (what, rc, sorted(allowed), err.strip()[:300]))
    if rc == 3:
        lines = [l for l in err.splitlines() if l.strip()]
        if len(lines) != 1:
            fails.append('%s: exit 3 wants exactly one line of reason on stderr, got %d: %r' % (what, len(lines), err[:300]))
    if rc == 0:
        if jerr or rep is None:
            fails.append('%s: exit 0 without a valid JSON report (%s)' % (what, jerr or 'empty output'))
        else:
            if rep.get('schema') != 'pcapd.report/2':
                fails.append('%s: schema %r' % (what, rep.get('schema')))
            if expect and 'packets' in expect:
                p = harness.get(rep, 'capture.packets')
                if p != expect['packets']:
                    fails.append('%s: capture.packets=%s, want %d' % (what, harness.fmt(p), expect['packets']))
            for m, v in ((expect or {}).get('members') or {}).items():
                if harness.get(rep, m) != v:
                    fails.append('%s: %s=%s, want %s' % (what, m, harness.fmt(harness.get(rep, m)), v))
            if expect and 'partial' in expect:
                flag, member = harness.is_partial(rep)
                if flag is MISSING:
                    fails.append('%s: report has no partial flag (looked for %s)' % (what, ', '.join(harness.PARTIAL_MEMBERS)))
                elif bool(flag) != expect['partial']:
                    fails.append('%s: %s=%s, want %s' % (what, member, harness.fmt(flag), expect['partial']))
                if expect['partial'] and not SANITIZE_ONLY:
                    # "the report says how much was lost": bytes analysed vs file size, and a finding
                    br, fs = harness.get(rep, 'capture.bytes_read'), harness.get(rep, 'capture.file_size')
                    if not (isinstance(br, int) and isinstance(fs, int) and br < fs):
                        fails.append('%s: capture.bytes_read=%s / capture.file_size=%s do not show what was lost' % (
                            what, harness.fmt(br), harness.fmt(fs)))
                    ids = [f.get('id') for f in rep.get('findings', []) if isinstance(f, dict)]
                    if 'capture-truncated' not in ids:
                        fails.append('%s: no capture-truncated finding (findings: %s)' % (what, ids))
    return fails, rc, rep, err


# --- record boundaries of a capture, to cut at meaningful offsets ------------------------------------------
def pcap_records(data):
    """[(record start offset, record header len, caplen)] of a classic pcap, or None if not pcap."""
    if len(data) < 24:
        return None
    magic = data[:4]
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
        e = '<'
    elif magic in (b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        e = '>'
    else:
        return None
    out, o = [], 24
    while o + 16 <= len(data):
        incl = struct.unpack_from(e + 'I', data, o + 8)[0]
        if o + 16 + incl > len(data):
            break
        out.append((o, 16, incl))
        o += 16 + incl
    return out


def pcapng_blocks(data):
    """[(block start, block type, total length)] of a pcapng file, or None if not pcapng."""
    if len(data) < 12 or data[:4] != b'\x0a\x0d\x0d\x0a':
        return None
    bom = data[8:12]
    e = '<' if bom == b'\x4d\x3c\x2b\x1a' else '>'
    out, o = [], 0
    while o + 12 <= len(data):
        btype, blen = struct.unpack_from(e + 'II', data, o)
        if blen < 12 or o + blen > len(data):
            break
        out.append((o, btype, blen))
        o += blen
    return out


PACKET_BLOCKS = (0x00000006, 0x00000003, 0x00000002)  # EPB, SPB, obsolete PB


def cut_plan(data, n=40):
    """[(offset, label, expectation)] for about n cuts of data."""
    plan = []
    size = len(data)
    recs = pcap_records(data)
    if recs is not None:
        for off in (0, 1, 4, 8, 16, 20, 23):  # inside the global header: not a capture
            plan.append((off, 'inside the global header', {'rc': {3}}))
        plan.append((24, 'global header only', {'rc': {0, 3}, 'packets': 0, 'partial': False}))
        picks = sorted(set([0, 1, 2, len(recs) // 2, len(recs) - 1] +
                           [len(recs) * k // 10 for k in range(1, 10)])) if recs else []
        for k in picks:
            if k >= len(recs) or k < 0:
                continue
            start, hl, incl = recs[k]
            plan.append((start, 'at record %d boundary' % k, {'rc': {0}, 'packets': k, 'partial': False}))
            plan.append((start + 7, 'inside record %d header' % k, {'rc': {0}, 'packets': k, 'partial': True}))
            if incl > 1:
                plan.append((start + hl + incl // 2, 'inside record %d data' % k, {'rc': {0}, 'packets': k, 'partial': True}))
            if len(plan) >= n:
                break
    else:
        blocks = pcapng_blocks(data) or []
        for off in (0, 4, 8, 11, 20):
            plan.append((off, 'inside the section header block', {'rc': {3}}))
        npk = 0
        seen_idb = False
        for i, (start, btype, blen) in enumerate(blocks):
            if i == 0:
                continue
            if i < 8 or i % max(1, len(blocks) // 10) == 0 or i == len(blocks) - 1:
                # libpcap reads up to the first interface description block when it opens a pcapng file, so a
                # cut before or inside it may be refused as "not a capture" (exit 3) or analysed as empty
                rcs = {0} if seen_idb else {0, 3}
                plan.append((start, 'at block %d boundary (%d packets before)' % (i, npk),
                             {'rc': rcs, 'packets': npk, 'partial': False}))
                pk = {'rc': rcs, 'packets': npk, 'partial': True}
                plan.append((start + 6, 'inside block %d header (type 0x%x)' % (i, btype), pk))
                plan.append((start + blen // 2, 'inside block %d body (type 0x%x)' % (i, btype), pk))
                plan.append((start + blen - 2, 'inside block %d trailing length' % i, pk))
            if btype in PACKET_BLOCKS:
                npk += 1
            if btype == 0x00000001:
                seen_idb = True
            if len(plan) >= n:
                break
    # a few arbitrary offsets too, checked only for "no crash, valid JSON"
    for frac in (0.33, 0.77, 0.999):
        plan.append((int(size * frac), 'at %d%% of the file' % int(frac * 100), None))
    seen, out = set(), []
    for o, l, e in plan:
        if 0 <= o < size and o not in seen:
            seen.add(o)
            out.append((o, l, e))
    return out


def do_cut(analyzer, path, label):
    data = open(path, 'rb').read()
    fails = []
    with tempfile.TemporaryDirectory(prefix='pcapd-cut-') as td:
        plan = cut_plan(data)
        for off, what, exp in plan:
            p = os.path.join(td, 'cut.bin')
            with open(p, 'wb') as f:
                f.write(data[:off])
            f1, rc, rep, err = run_one(analyzer, p, '%s cut at %d (%s)' % (label, off, what), exp)
            status = 'FAIL' if f1 else 'ok'
            pk = harness.get(rep, 'capture.packets') if rep else None
            flag, _ = harness.is_partial(rep) if rep else (None, None)
            print('%-4s off=%-8d %-45s %s packets=%s partial=%s %s' % (
                status, off, what, harness.describe_rc(rc), harness.fmt(pk), harness.fmt(flag),
                ('reason: ' + err.strip().splitlines()[0][:100]) if rc == 3 and err.strip() else ''))
            for x in f1:
                print('     ' + x)
            fails += f1
            if 'data' in what or 'body' in what:
                # the same cut read from a pipe: same answer (no size known, no seeking)
                f2, rc2, rep2, err2 = run_one(analyzer, p, '%s cut at %d (%s), from stdin' % (label, off, what), exp, stdin=True)
                if not f2 and rc2 == 0 and rc == 0 and harness.get(rep2, 'capture.packets') != harness.get(rep, 'capture.packets'):
                    f2.append('%s cut at %d: stdin read %s packets, the file %s' % (
                        label, off, harness.get(rep2, 'capture.packets'), harness.get(rep, 'capture.packets')))
                for x in f2:
                    print('     ' + x)
                fails += f2
        print('--- %s: %d cuts, %d failures' % (label, len(plan), len(fails)))
    return fails


# What we expect from each broken file: by default what tshark 4.0 did (real/broken/tshark-behaviour.json):
# tshark read N frames and said "cut short" -> exit 0, N packets, report partial; tshark read N frames cleanly ->
# exit 0, N packets, not partial; tshark could not read it at all -> exit 3.  Overrides, each with its reason:
BROKEN_OVERRIDE = {
    'derived__zero-length.pcap': ({'rc': {3}}, 'empty file: tshark reads 0 frames and exits 0; there is no capture '
                                  'format to detect in 0 bytes, so "not a capture" (exit 3) is the honest answer'),
    'tcpdump__unsupported-link-type-160.pcap': ({'rc': {0}, 'packets': 1, 'partial': False,
                                                 'members': {'capture.skipped.unsupported_link_type': 1}},
                                                'one packet of link type 160: counted, reported as skipped'),
}


def broken_expectations(corpus):
    path = os.path.join(corpus, 'real', 'broken', 'tshark-behaviour.json')
    out = {}
    if os.path.exists(path):
        for f in json.load(open(path))['files']:
            cut = any('cut short' in l for l in f['tshark_stderr'])
            if f['tshark_exit_code'] == 2 and f['frames_tshark_read'] == 0:
                out[f['file']] = ({'rc': {3}}, 'tshark: %s' % ' '.join(f['tshark_stderr'])[:90])
            elif cut:
                out[f['file']] = ({'rc': {0}, 'packets': f['frames_tshark_read'], 'partial': True},
                                  'tshark read %d frames, then: cut short' % f['frames_tshark_read'])
            else:
                out[f['file']] = ({'rc': {0}, 'packets': f['frames_tshark_read'], 'partial': False},
                                  'tshark read %d frames' % f['frames_tshark_read'])
    out.update(BROKEN_OVERRIDE)
    return out


def do_broken(analyzer, corpus):
    files = harness.broken_files(corpus)
    if not files:
        harness.skip('%s/real/broken absent' % corpus)
    expect = broken_expectations(corpus)
    fails = []
    for rel in files:
        name = os.path.basename(rel)
        exp, why = expect.get(name, ({'rc': {0, 3}}, 'no tshark record: exit 0 or 3'))
        f1, rc, rep, err = run_one(analyzer, os.path.join(corpus, rel), name, exp)
        pk = harness.get(rep, 'capture.packets') if rep else None
        flag, _ = harness.is_partial(rep) if rep else (None, None)
        print('%-4s %-42s %s packets=%s partial=%s %s  # %s' % (
            'FAIL' if f1 else 'ok', name, harness.describe_rc(rc), harness.fmt(pk), harness.fmt(flag),
            ('reason: ' + err.strip().splitlines()[0][:120]) if rc == 3 and err.strip() else '', why))
        for x in f1:
            print('     ' + x)
        fails += f1
    return fails


def do_regress(analyzer, d):
    if not os.path.isdir(d):
        harness.skip('%s absent' % d)
    files = sorted(f for f in os.listdir(d) if not f.startswith('.') and f != 'README.md')
    if not files:
        print('no regression inputs in %s' % d)
        return []
    fails = []
    for f in files:
        f1, rc, rep, err = run_one(analyzer, os.path.join(d, f), f)
        print('%-4s %-50s %s' % ('FAIL' if f1 else 'ok', f, harness.describe_rc(rc)))
        for x in f1:
            print('     ' + x)
        fails += f1
    return fails


# --- hostile volume: inputs that are cheap to send and must stay cheap to analyse ------------------------
def _rec(w, i, frame, step_us=13):
    """Record i of a flood, step_us after the one before it."""
    w.write_ns((1_700_000_000_000_000 + i * step_us) * 1000, frame)


def flood_inputs(td, scale=1.0):
    """(name, path, packets, why[, {members: {member: value}, max_rss_mb: N}]) of generated floods (frames patched
    in place: checksums do not matter here, except in the exchange flood, which keeps them right).
    scale < 1 shrinks them (the sanitizer run judges memory safety there, not time)."""
    out = []
    # 1. 100,000 different DNS queries in 1.3 s, none answered: more than max_dns_pending (65,536) at once
    q = pw.ether(pw.ipv4('10.1.0.1', '10.1.0.2', pw.udp(1000, 53, pw.dns_query(1, 'flood.example'))))
    p = os.path.join(td, 'dns-flood.pcap')
    with pw.PcapWriter(p) as f:
        nq = max(70000, int(100000 * scale))  # always beyond max_dns_pending (65,536)
        for i in range(nq):
            fr = bytearray(q)
            fr[34:36] = struct.pack('!H', 1024 + i % 60000)
            fr[42:44] = struct.pack('!H', i & 0xffff)
            _rec(f, i, bytes(fr))
    out.append(('dns-flood', p, nq, '%dk unanswered DNS queries within 1.3 s (pending table full at 65,536)' % (nq // 1000),
                {'security': ['security-udp-flood']}))
    # 2. 300,000 SYNs to different 5-tuples in 4 s (a scan / SYN flood): more than max_flows (200,000)
    syn = pw.ether(pw.ipv4('10.1.0.1', '10.2.0.1', pw.tcp(1000, 80, 1, 0, pw.SYN)))
    p = os.path.join(td, 'syn-flood.pcap')
    with pw.PcapWriter(p) as f:
        ns = int(300000 * scale)
        for i in range(ns):
            fr = bytearray(syn)
            fr[30:34] = bytes([10, 2 + (i >> 16) % 200, (i >> 8) & 255, i & 255])
            fr[34:36] = struct.pack('!H', 1024 + i % 50000)
            _rec(f, i, bytes(fr))
    # one source, one port, every host a different one: the security detectors see a horizontal scan
    out.append(('syn-flood', p, ns, '%dk SYNs to different 5-tuples (flow table full at 200,000)' % (ns // 1000),
                {'security': ['security-port-scan']}))
    # 3. one connection, 100,000 segments, every other one missing: 100,000 holes that are never filled
    fl = pw.TcpFlow('10.1.0.1', 40000, '10.1.0.2', 80)
    p = os.path.join(td, 'hole-flood.pcap')
    with pw.PcapWriter(p) as f:
        for i, fr in enumerate((fl.syn(), fl.synack(), fl.ack())):
            _rec(f, i, pw.ether(fr))
        seg, base = pw.ether(fl.data(False, 100)), fl.sisn + 1
        nh = int(100000 * scale)
        for i in range(nh):
            fr = bytearray(seg)
            fr[38:42] = struct.pack('!I', (base + 200 * i) & 0xffffffff)
            _rec(f, 3 + i, bytes(fr))
    out.append(('hole-flood', p, nh + 3, 'one connection with %dk sequence holes' % (nh // 1000)))
    # 4. 1,000,000 tiny HTTP request/response pairs on 4 keep-alive connections: every exchange counted, none kept
    #    beyond the report's top list (memory must not grow with the exchanges)
    p = os.path.join(td, 'exchange-flood.pcap')
    npairs = int(1000000 * scale)
    out.append(('exchange-flood', p, _exchange_flood(pw, p, npairs, 4),
                '%dk request/response pairs on 4 connections' % (npairs // 1000),
                {'members': {'transactions.total': npairs, 'transactions.answered': npairs},
                 'max_rss_mb': None if SANITIZE_ONLY else FLOOD_RSS_MB}))
    return out


def _fold(c):
    while c >> 16:
        c = (c & 0xffff) + (c >> 16)
    return c


def _exchange_flood(pw, path, npairs, nconn):
    """Writes npairs GET / 200 exchanges, round robin over nconn connections (handshake first, FINs last), 2
    packets a pair (the answer ACKs the request, the next request ACKs the answer), 10 us apart; the sequence
    numbers are patched into two template frames per connection with the TCP checksum updated (RFC 1624), so
    the file is valid everywhere.  Streams to disk; returns the packets written."""
    req = b'GET / HTTP/1.1\r\nHost: flood.test\r\n\r\n'
    resp = b'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'
    conns = []
    n = 0
    f = pw.PcapWriter(path)
    for k in range(nconn):
        fl = pw.TcpFlow('10.3.0.1', 41000 + k, '10.3.0.2', 80, cisn=1000 + 7919 * k, sisn=90000 + 104729 * k)
        for fr in (fl.syn(), fl.synack(), fl.ack()):
            _rec(f, n, pw.ether(fr), step_us=10)
            n += 1
        # templates with seq = ack = 0: patching adds their values to the checksum's sum
        q = bytearray(pw.ether(pw.ipv4('10.3.0.1', '10.3.0.2', pw.tcp(41000 + k, 80, 0, 0, pw.ACK | pw.PSH, 502, req))))
        r = bytearray(pw.ether(pw.ipv4('10.3.0.2', '10.3.0.1', pw.tcp(80, 41000 + k, 0, 0, pw.ACK | pw.PSH, 509, resp))))
        conns.append([fl.cnext, fl.snext, q, r, (~struct.unpack_from('!H', q, 50)[0]) & 0xffff,
                      (~struct.unpack_from('!H', r, 50)[0]) & 0xffff, fl])
    for i in range(npairs):
        c = conns[i % nconn]
        cseq, sseq, q, r, qsum, rsum = c[0], c[1], c[2], c[3], c[4], c[5]
        for frame, seq, ack, base in ((q, cseq, sseq, qsum), (r, sseq, cseq + len(req), rsum)):
            struct.pack_into('!II', frame, 38, seq, ack)
            cs = _fold(base + (seq >> 16) + (seq & 0xffff) + (ack >> 16) + (ack & 0xffff))
            struct.pack_into('!H', frame, 50, (~cs) & 0xffff)
            _rec(f, n, bytes(frame), step_us=10)
            n += 1
        c[0] = (cseq + len(req)) & 0xffffffff
        c[1] = (sseq + len(resp)) & 0xffffffff
    for c in conns:
        fl = c[6]
        fl.cnext, fl.snext = c[0], c[1]
        for fr in (fl.fin(True), fl.fin(False), fl.ack_only(True)):
            _rec(f, n, pw.ether(fr), step_us=10)
            n += 1
    f.close()
    return n


# the read floor for these files is ~0.02 s, tshark needs ~3 s; sanitizers slow everything ~3-5x
FLOOD_SECONDS = 100 if SANITIZE_ONLY else 20
# peak RSS of the analyzer on the exchange flood (200 MB of capture): what it keeps must not grow with it
FLOOD_RSS_MB = 100


def analyze_rusage(analyzer, path, timeout, extra=()):
    """Like harness.analyze, and also the analyzer's peak RSS in MB.  GNU time measures it when installed (it
    forks the analyzer from its own small image); otherwise os.wait4 on the child gives an upper bound (a child
    forked from this Python process starts with its resident pages counted)."""
    import re
    import signal
    import subprocess
    import threading
    cmd = [analyzer, 'analyze', path, '--json', '-', '--quiet', '-o', os.devnull] + list(extra)
    gnu_time = '/usr/bin/time' if os.access('/usr/bin/time', os.X_OK) else None
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile('r', prefix='pcapd-rss-') as tf:
        if gnu_time:
            cmd = [gnu_time, '-f', 'maxrss_kb=%M', '-o', tf.name] + cmd
        p = subprocess.Popen(cmd, stdout=out, stderr=err, start_new_session=True)
        killed = []
        killer = threading.Timer(timeout, lambda: (killed.append(True), os.killpg(p.pid, signal.SIGKILL)))
        killer.start()
        _, status, ru = os.wait4(p.pid, 0)
        killer.cancel()
        rc = os.waitstatus_to_exitcode(status)
        rss = ru.ru_maxrss / 1024.0
        if gnu_time:
            t = tf.read()
            m = re.search(r'maxrss_kb=(\d+)', t)
            rss = int(m.group(1)) / 1024.0 if m else rss
            m = re.search(r'terminated by signal (\d+)', t)
            if m:
                rc = -int(m.group(1))
        if killed:
            rc = None
        out.seek(0)
        err.seek(0)
        data, etext = out.read(), err.read().decode('utf-8', 'replace')
    rep, jerr = None, None
    if data:
        try:
            rep = harness.loads(data)
        except (ValueError, UnicodeDecodeError) as e:
            jerr = 'report is not valid JSON: %s' % e
    return rc, rep, jerr, etext, rss


def do_flood(analyzer):
    import time
    fails = []
    with tempfile.TemporaryDirectory(prefix='pcapd-flood-') as td:
        for name, path, npk, why, *more in flood_inputs(td, 0.25 if SANITIZE_ONLY else 1.0):
            more = more[0] if more else {}
            # the sanitizer run uses a smaller flow table, so that the smaller SYN flood still fills it
            extra = ['--max-flows', '20000'] if SANITIZE_ONLY and name == 'syn-flood' else []
            t0 = time.monotonic()
            rc, rep, jerr, err, rss = analyze_rusage(analyzer, path, FLOOD_SECONDS + 10, extra)
            dt = time.monotonic() - t0
            f1 = []
            san = harness.sanitizer_report(err)
            if san:
                f1.append('%s: sanitizer: %s' % (name, san))
            if rc != 0 or rep is None:
                f1.append('%s: %s %s' % (name, harness.describe_rc(rc), (jerr or err.strip())[:200]))
            elif harness.get(rep, 'capture.packets') != npk:
                f1.append('%s: capture.packets=%s, want %d' % (name, harness.get(rep, 'capture.packets'), npk))
            elif not SANITIZE_ONLY:
                for m, v in (more.get('members') or {}).items():
                    if harness.get(rep, m) != v:
                        f1.append('%s: %s=%s, want %s' % (name, m, harness.fmt(harness.get(rep, m)), v))
                if 'security' in more:
                    sec = [f.get('id') for f in rep.get('findings') or [] if f.get('cause') == 'security']
                    if sec != more['security']:
                        f1.append('%s: security findings %s, want %s' % (name, sec, more['security']))
            if dt > FLOOD_SECONDS:
                f1.append('%s: took %.1f s (limit %d s): work per packet grows with the state kept' % (name, dt, FLOOD_SECONDS))
            if more.get('max_rss_mb') and rss > more['max_rss_mb']:
                f1.append('%s: peak RSS %.1f MB (limit %d MB): memory grows with the exchanges' % (
                    name, rss, more['max_rss_mb']))
            print('%-4s %-14s %6.2f s %7.1f MB  %s' % ('FAIL' if f1 else 'ok', name, dt, rss, why))
            for x in f1:
                print('     ' + x)
            fails += f1
    return fails


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--analyzer')
    ap.add_argument('--corpus')
    ap.add_argument('mode', choices=['broken', 'cut', 'regress', 'flood'])
    ap.add_argument('args', nargs='*')
    o = ap.parse_args()
    if not o.analyzer or not os.access(o.analyzer, os.X_OK):
        harness.skip('pcap-analyzer not built (%s)' % o.analyzer)
    if o.mode == 'regress':
        fails = do_regress(o.analyzer, o.args[0])
    elif o.mode == 'flood':
        fails = do_flood(o.analyzer)
    else:
        if not o.corpus or not os.path.isdir(o.corpus):
            harness.skip('corpus %s absent (needs ../shared beside the repository)' % o.corpus)
        if o.mode == 'broken':
            fails = do_broken(o.analyzer, o.corpus)
        else:
            fails = []
            for cap in o.args:
                p = cap if os.path.isabs(cap) else os.path.join(o.corpus, cap)
                if not os.path.exists(p):
                    harness.skip('%s absent' % p)
                fails += do_cut(o.analyzer, p, cap)
    print('%d failures' % len(fails))
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
