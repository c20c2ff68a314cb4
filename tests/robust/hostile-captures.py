#!/usr/bin/env python3
"""Hostile captures against the real pcap-analyzer, under a memory limit (RLIMIT_AS) and a time limit.

Usage: hostile-captures.py --analyzer BIN [--corpus DIR] [--mem-mb N] [--time-s N] CASE...
Cases (each generated at run time into a temporary directory or straight into the analyzer's stdin):
  tiny-10m        10,000,000 minimal UDP packets (440 MB through a pipe: nothing on disk)
  flows-1m        1,000,000 packets, each a flow of its own (over the default flow limit of 200,000)
  dns-1m          1,000,000 DNS queries never answered, 10 us apart (a flood: the pending table fills)
  dns-1m-spread   the same, 100 us apart (queries time out while the table fills)
  frag-1m         1,000,000 first fragments of datagrams that never complete (the table of datagrams being
                  put together stays full): no slower than 4x the same number of plain packets, measured in
                  the same run (a linear search of that table made it 29x)
  hosts-collide   32,768 IPv6 hosts built to collide under the host mixer before SipHash (each a flow of its
                  own): no slower than 3x as many hosts that do not, measured in the same run (that mixer put
                  each search of the host and conversation tables through all of them: 40x)
  headers         pcap global headers: snaplen 0, 2^31, 2^32-1, versions, link types; records over the snaplen
  pcapng          pcapng with bogus block lengths (0, 1, 11, 13, unaligned, huge, trailer mismatch), unknown
                  and custom blocks, interface ids out of range, options with bogus lengths
  small-files     every length 0..24 of each capture magic followed by header bytes, zeros and 0xff
  flips           length fields of corpus captures (or generated ones) set to hostile values, record by record
  strings         DNS names holding markup, script, quotes, invalid UTF-8, NUL: the JSON parses strictly, the
                  HTML has no raw <script, no unescaped markup, no control byte
Every run must end with exit 0 (a JSON report; when a limit was hit or the capture was damaged, the report
says so) or exit 3 (exactly one line of reason on stderr); never a signal, never the time limit. The peak RSS
of each run is printed.
"""
import argparse
import html.parser
import json
import os
import random
import resource
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'pcapwrite'))
import hostile_gen as g  # noqa: E402
import pcapwrite as pw  # noqa: E402

SKIP = 77


class Run:
    pass


def run_analyzer(analyzer, path=None, chunks=None, mem_mb=1024, time_s=60, html=False, workdir=None):
    """Runs `pcap-analyzer analyze PATH|- --json J [-o H] -q` under RLIMIT_AS and a deadline.
    Returns a Run: rc (None when killed at the deadline, -N for a signal), stderr, report (or None),
    json_error, html bytes, seconds, peak RSS in KiB."""
    r = Run()
    jpath = os.path.join(workdir, 'report.json')
    hpath = os.path.join(workdir, 'report.html')
    for p in (jpath, hpath):
        if os.path.exists(p):
            os.unlink(p)
    cmd = [analyzer, 'analyze', path or '-', '--json', jpath, '-q']
    if html:
        cmd += ['-o', hpath]

    def limits():
        if mem_mb:
            resource.setrlimit(resource.RLIMIT_AS, (mem_mb << 20, mem_mb << 20))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    errf = tempfile.TemporaryFile()
    t0 = time.time()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE if chunks is not None else subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=errf, preexec_fn=limits)
    killed = []

    def deadline():
        killed.append(True)
        try:
            p.kill()
        except OSError:
            pass
    timer = threading.Timer(time_s, deadline)
    timer.start()
    if chunks is not None:
        try:
            for c in chunks:
                p.stdin.write(c)
        except (BrokenPipeError, ValueError, OSError):
            pass  # the analyzer stopped reading (refused the input, or killed)
        try:
            p.stdin.close()
        except OSError:
            pass
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)  # so that Popen does not wait again
    timer.cancel()
    r.seconds = time.time() - t0
    r.rss_kb = ru.ru_maxrss
    r.rc = None if killed else p.returncode
    errf.seek(0)
    r.stderr = errf.read().decode('utf-8', 'replace')
    r.report, r.json_error, r.html = None, None, None
    if os.path.exists(jpath) and os.path.getsize(jpath):
        try:
            with open(jpath, 'rb') as f:
                r.report = json.loads(f.read().decode('utf-8'), strict=True)
        except (ValueError, UnicodeDecodeError) as e:
            r.json_error = str(e)
    if html and os.path.exists(hpath):
        with open(hpath, 'rb') as f:
            r.html = f.read()
    return r


def get(d, path, default=None):
    for k in path.split('.'):
        if not isinstance(d, dict) or k not in d:
            return default
        d = d[k]
    return d


def limits_hit(rep):
    """What the report says was lost or capped (empty when nothing)."""
    out = []
    for m in ('capture.truncated', 'capture.partial', 'capture.packet_limit_reached'):
        if get(rep, m):
            out.append(m)
    if get(rep, 'capture.read_error'):
        out.append('capture.read_error')
    for m in ('flows.packets_over_limit', 'dns.pending_dropped'):
        if (get(rep, m) or 0) > 0:
            out.append('%s=%s' % (m, get(rep, m)))
    return out


class Checker:
    def __init__(self):
        self.fails = []
        self.runs = 0
        self.max_rss = 0

    def judge(self, what, r, expect_limit=None, allow=(0, 3)):
        """expect_limit: a report member that must show the limit (None: not checked)."""
        self.runs += 1
        self.max_rss = max(self.max_rss, r.rss_kb)
        f = []
        if r.rc is None:
            f.append('killed at the time limit (%.0f s): a hang or a quadratic path' % r.seconds)
        elif r.rc < 0:
            f.append('killed by signal %s' % signal.Signals(-r.rc).name)
        elif r.rc not in allow:
            f.append('exit %d (want %s): %s' % (r.rc, allow, r.stderr.strip()[:200]))
        elif r.rc == 3:
            lines = [l for l in r.stderr.splitlines() if l.strip()]
            if len(lines) != 1:
                f.append('exit 3 with %d lines on stderr (want one): %r' % (len(lines), r.stderr[:300]))
        elif r.rc == 0:
            if r.report is None:
                f.append('exit 0 without a valid JSON report (%s)' % (r.json_error or 'empty'))
            elif r.report.get('schema') != 'pcapd.report/2':
                f.append('schema %r' % r.report.get('schema'))
            elif expect_limit:
                v = get(r.report, expect_limit)
                if not v:
                    f.append('the report does not say the limit was hit (%s=%r)' % (expect_limit, v))
        for line in r.stderr.splitlines():
            if 'Sanitizer' in line or 'runtime error:' in line:
                f.append('sanitizer: ' + line.strip())
                break
        said = ''
        if r.rc == 3:
            said = 'reason: ' + r.stderr.strip().splitlines()[0][:100] if r.stderr.strip() else ''
        elif r.rc == 0 and r.report:
            said = 'packets=%s limits=%s' % (get(r.report, 'capture.packets'), ','.join(limits_hit(r.report)) or '-')
        rc = 'timeout' if r.rc is None else ('signal %d' % -r.rc if r.rc < 0 else 'exit %d' % r.rc)
        print('%-4s %-58s %-9s %6.2f s rss %7.1f MB %s' % ('FAIL' if f else 'ok', what[:58], rc, r.seconds,
                                                          r.rss_kb / 1024, said), flush=True)
        for x in f:
            print('     ' + x)
            self.fails.append('%s: %s' % (what, x))
        return not f


# ------------------------------------------------------------------------------------------------ big
def case_big(o, c, wd, name):
    if name == 'tiny-10m':
        n = int(os.environ.get('PCAPD_ROBUST_TINY', 10_000_000))
        r = run_analyzer(o.analyzer, chunks=g.tiny_packets(n), mem_mb=o.mem_mb, time_s=o.time_s, workdir=wd)
        ok = c.judge('%d tiny packets through a pipe' % n, r)
        if ok and r.rc == 0 and get(r.report, 'capture.packets') != n:
            c.fails.append('tiny: %s packets counted, %d sent' % (get(r.report, 'capture.packets'), n))
            print('FAIL packets counted: %s' % get(r.report, 'capture.packets'))
        if r.seconds:
            print('     %.1f M packets/s (generation included)' % (n / r.seconds / 1e6))
    elif name == 'flows-1m':
        p = os.path.join(wd, 'flows.pcap')
        g.write(p, g.distinct_flows(1_000_000))
        r = run_analyzer(o.analyzer, path=p, mem_mb=o.mem_mb, time_s=o.time_s, workdir=wd)
        c.judge('1,000,000 distinct flows', r, expect_limit='flows.packets_over_limit')
        if r.report:
            print('     flows.total=%s flows.limit=%s packets_over_limit=%s partial=%s' % (
                get(r.report, 'flows.total'), get(r.report, 'flows.limit'), get(r.report, 'flows.packets_over_limit'),
                get(r.report, 'capture.partial')))
        os.unlink(p)
    elif name == 'frag-1m':
        n = int(os.environ.get('PCAPD_ROBUST_FRAG', 1_000_000))
        plain, frag = os.path.join(wd, 'plain.pcap'), os.path.join(wd, 'frag.pcap')
        g.write(plain, g.tiny_packets(n))
        g.write(frag, g.first_fragments(n))
        # best of three each, alternating, so a busy machine slows both alike
        t_plain = t_frag = None
        for _ in range(3):
            rp = run_analyzer(o.analyzer, path=plain, mem_mb=o.mem_mb, time_s=o.time_s, workdir=wd)
            rf = run_analyzer(o.analyzer, path=frag, mem_mb=o.mem_mb, time_s=o.time_s, workdir=wd)
            if not (c.judge('%d plain packets' % n, rp) and c.judge('%d first fragments, never completed' % n, rf)):
                break
            t_plain = rp.seconds if t_plain is None else min(t_plain, rp.seconds)
            t_frag = rf.seconds if t_frag is None else min(t_frag, rf.seconds)
        if rf.report:
            print('     ip.fragments=%s datagrams=%s incomplete=%s; %.2f s against %.2f s for plain packets' % (
                get(rf.report, 'ip.fragments'), get(rf.report, 'ip.datagrams'), get(rf.report, 'ip.incomplete'),
                t_frag or 0, t_plain or 0))
            if get(rf.report, 'ip.fragments') != n or get(rf.report, 'ip.incomplete') != n:
                c.fails.append('frag-1m: fragments=%s incomplete=%s, want %d' % (
                    get(rf.report, 'ip.fragments'), get(rf.report, 'ip.incomplete'), n))
        if t_plain is not None and t_frag is not None and t_frag > 4 * t_plain + 0.5:
            c.fails.append('frag-1m: %.2f s, more than 4x the %.2f s of as many plain packets' % (t_frag, t_plain))
            print('FAIL the fragment flood slows the engine down: %.2f s against %.2f s' % (t_frag, t_plain))
        os.unlink(plain)
        os.unlink(frag)
    elif name == 'hosts-collide':
        n = 32768
        plain, coll = os.path.join(wd, 'hosts.pcap'), os.path.join(wd, 'hosts-collide.pcap')
        g.write(plain, g.ipv6_hosts(n, False))
        g.write(coll, g.ipv6_hosts(n, True))
        # best of three each, alternating, so a busy machine slows both alike
        t_plain = t_coll = None
        for _ in range(3):
            rp = run_analyzer(o.analyzer, path=plain, mem_mb=o.mem_mb, time_s=o.time_s, workdir=wd)
            rc = run_analyzer(o.analyzer, path=coll, mem_mb=o.mem_mb, time_s=o.time_s, workdir=wd)
            if not (c.judge('%d IPv6 hosts' % n, rp) and c.judge('%d IPv6 hosts built to collide' % n, rc)):
                break
            t_plain = rp.seconds if t_plain is None else min(t_plain, rp.seconds)
            t_coll = rc.seconds if t_coll is None else min(t_coll, rc.seconds)
        for what, r in (('control', rp), ('colliding', rc)):
            if r.report and (get(r.report, 'talkers.hosts_total') != n + 1 or
                             get(r.report, 'talkers.conversations_total') != n):
                c.fails.append('hosts-collide %s: hosts_total=%s conversations_total=%s, want %d and %d' % (
                    what, get(r.report, 'talkers.hosts_total'), get(r.report, 'talkers.conversations_total'), n + 1, n))
        print('     %.2f s for the hosts built to collide against %.2f s for the others' % (t_coll or 0, t_plain or 0))
        if t_plain is not None and t_coll is not None and t_coll > 3 * t_plain + 0.3:
            c.fails.append('hosts-collide: %.2f s, more than 3x the %.2f s of as many hosts' % (t_coll, t_plain))
            print('FAIL hosts built to collide slow the engine down: %.2f s against %.2f s' % (t_coll, t_plain))
        os.unlink(plain)
        os.unlink(coll)
    elif name in ('dns-1m', 'dns-1m-spread'):
        n = int(os.environ.get('PCAPD_ROBUST_DNS', 1_000_000))
        step = 10 if name == 'dns-1m' else 100
        p = os.path.join(wd, 'dns.pcap')
        with open(p, 'wb') as f:
            f.write(g.pcap_header())
            for ch in g.records(n, g.udp_template(dport=53, payload=g.dns_query_payload(0)),
                                _dns_patch, usec_step=step):
                f.write(ch)
        r = run_analyzer(o.analyzer, path=p, mem_mb=o.mem_mb, time_s=o.time_s, workdir=wd)
        c.judge('%d unanswered DNS queries %d us apart' % (n, step), r, expect_limit='dns.queries')
        if r.report:
            print('     dns.queries=%s unanswered=%s pending_dropped=%s partial=%s' % (
                get(r.report, 'dns.queries'), get(r.report, 'dns.unanswered'), get(r.report, 'dns.pending_dropped'),
                get(r.report, 'capture.partial')))
            if get(r.report, 'dns.queries') != n:
                c.fails.append('%s: dns.queries=%s, want %d' % (name, get(r.report, 'dns.queries'), n))
            lost = n - (get(r.report, 'dns.unanswered') or 0)
            if lost and not get(r.report, 'dns.pending_dropped'):
                c.fails.append('%s: %d queries neither unanswered nor counted as dropped' % (name, lost))
        os.unlink(p)


def _dns_patch(mv, first, k, stride):
    mv[8 + 10::stride] = g._swap16(1024 + (first + i) % 60000 for i in range(k))
    mv[8 + 14::stride] = g._swap16((first + i) & 0xffff for i in range(k))


# ------------------------------------------------------------------------------------ small mutations
def small_packets(n=20):
    """A few ordinary records (raw IPv4 UDP), without the global header."""
    return b''.join(g.records(n, g.udp_template()))


def case_headers(o, c, wd):
    body = small_packets()
    variants = []
    for snap in (0, 1, 27, 1 << 31, 0xffffffff, 0x7fffffff, 262144):
        variants.append(('snaplen %d' % snap, g.pcap_header(snaplen=snap) + body))
    for lt in (0xffff, 0xffffffff, 147, 0):
        variants.append(('linktype %d' % lt, g.pcap_header(linktype=lt) + body))
    for vmaj, vmin in ((0, 0), (1, 0), (2, 5), (0xffff, 0xffff)):
        variants.append(('version %d.%d' % (vmaj, vmin), g.pcap_header(vmaj=vmaj, vmin=vmin) + body))
    for magic in (0xa1b23c4d, 0xd4c3b2a1, 0x4d3cb2a1):  # nanosecond, and both swapped byte orders
        variants.append(('magic %08x' % magic, g.pcap_header(magic=magic) + body))
    # records bigger than the snaplen, caplen > wirelen, caplen 0
    rec = bytearray(body)
    struct.pack_into('<II', rec, 8, 28, 10)
    variants.append(('caplen > wirelen', g.pcap_header() + bytes(rec)))
    variants.append(('records over snaplen 16', g.pcap_header(snaplen=16) + body))
    rec = bytearray(body)
    struct.pack_into('<II', rec, 8, 0, 28)
    variants.append(('caplen 0 then data', g.pcap_header() + bytes(rec)))
    for what, data in variants:
        p = os.path.join(wd, 'h.pcap')
        with open(p, 'wb') as f:
            f.write(data)
        c.judge('header: ' + what, run_analyzer(o.analyzer, path=p, mem_mb=o.mem_mb, time_s=30, workdir=wd))
        c.judge('header: %s (pipe)' % what, run_analyzer(o.analyzer, chunks=[data], mem_mb=o.mem_mb, time_s=30,
                                                          workdir=wd))


def ng_shb(major=1, minor=0, section_len=-1):
    return pw.pcapng_block(0x0A0D0D0A, struct.pack('<IHHq', 0x1A2B3C4D, major, minor, section_len))


def ng_idb(linktype=101, snaplen=65535, opts=b''):
    return pw.pcapng_block(1, struct.pack('<HHI', linktype, 0, snaplen) + opts)


def ng_epb(pkt, ifid=0, ts=0, caplen=None, wirelen=None):
    cl = len(pkt) if caplen is None else caplen
    return pw.pcapng_block(6, struct.pack('<IIIII', ifid, ts >> 32, ts & 0xffffffff, cl,
                                   len(pkt) if wirelen is None else wirelen) + pkt)


def case_pcapng(o, c, wd):
    pkt = g.udp_template()
    good = [ng_shb(), ng_idb()] + [ng_epb(pkt, ts=1_700_000_000_000_000 + i) for i in range(10)]
    variants = [('well-formed', b''.join(good))]
    for bl in (0, 1, 4, 8, 11, 12, 13, 14, 15, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff, 1 << 24):
        for idx in (0, 1, 2, 6):
            blocks = list(good)
            b = bytearray(blocks[idx])
            struct.pack_into('<I', b, 4, bl)
            blocks[idx] = bytes(b)
            variants.append(('block %d length %d' % (idx, bl), b''.join(blocks)))
    for idx in (1, 2, 6):
        blocks = list(good)
        b = bytearray(blocks[idx])
        struct.pack_into('<I', b, len(b) - 4, len(b) + 4)
        blocks[idx] = bytes(b)
        variants.append(('block %d trailer mismatch' % idx, b''.join(blocks)))
    for t in (0x0BADF00D, 0x00000BAD, 0x40000BAD, 0x80000000, 0xffffffff, 0x00000005, 0x00000004, 0x00000002,
              0x00000003, 0x00000007, 0x0000000A):
        for body in (b'', b'\xff' * 64, struct.pack('<I', 0xffffffff) * 8):
            blocks = good[:2] + [pw.pcapng_block(t, body)] + good[2:]
            variants.append(('unknown/odd block 0x%x body %d' % (t, len(body)), b''.join(blocks)))
    variants.append(('EPB interface 7 (none)', b''.join(good[:2] + [ng_epb(pkt, ifid=7)] + good[2:])))
    variants.append(('EPB caplen > block', b''.join(good[:2] + [ng_epb(pkt, caplen=5000)] + good[2:])))
    variants.append(('EPB caplen 0xffffffff', b''.join(good[:2] + [ng_epb(pkt, caplen=0xffffffff)] + good[2:])))
    variants.append(('EPB wirelen 0', b''.join(good[:2] + [ng_epb(pkt, wirelen=0)] + good[2:])))
    variants.append(('IDB snaplen 0', b''.join([good[0], ng_idb(snaplen=0)] + good[2:])))
    variants.append(('IDB snaplen 2^31', b''.join([good[0], ng_idb(snaplen=1 << 31)] + good[2:])))
    variants.append(('IDB linktype 0xffff', b''.join([good[0], ng_idb(linktype=0xffff)] + good[2:])))
    for code, olen in ((9, 1), (9, 0), (9, 0xffff), (14, 8), (14, 0xfff0), (2, 0xffff), (0xffff, 4)):
        opt = struct.pack('<HH', code, olen) + b'\x3f\x00\x00\x00\x00\x00\x00\x00'
        variants.append(('IDB option %d len %d' % (code, olen), b''.join([good[0], ng_idb(opts=opt)] + good[2:])))
    variants.append(('SHB version 2.0', b''.join([ng_shb(2, 0)] + good[1:])))
    variants.append(('SHB section length 3', b''.join([ng_shb(section_len=3)] + good[1:])))
    variants.append(('two sections, second bogus', b''.join(good + [ng_shb(), ng_idb(snaplen=0),
                                                                   ng_epb(pkt, caplen=0xfffffff0)])))
    variants.append(('10,000 IDBs', b''.join([good[0]] + [ng_idb()] * 10000 + good[2:])))
    for what, data in variants:
        p = os.path.join(wd, 'x.pcapng')
        with open(p, 'wb') as f:
            f.write(data)
        c.judge('pcapng: ' + what, run_analyzer(o.analyzer, path=p, mem_mb=o.mem_mb, time_s=30, workdir=wd))


def case_small(o, c, wd):
    prefixes = [g.pcap_header(), g.pcap_header(magic=0xa1b23c4d), pw.pcap_header(pw.DLT_EN10MB, 65535, big_endian=True),
                ng_shb() + ng_idb()]
    seen = set()
    for pre in prefixes:
        for n in range(0, 25):
            for fill in (None, 0, 0xff):
                data = pre[:n] if fill is None else pre[:min(n, 4)] + bytes([fill]) * (n - min(n, 4))
                if data in seen:
                    continue
                seen.add(data)
                p = os.path.join(wd, 's.bin')
                with open(p, 'wb') as f:
                    f.write(data)
                c.judge('%d-byte file %s' % (n, data[:8].hex()),
                        run_analyzer(o.analyzer, path=p, mem_mb=o.mem_mb, time_s=20, workdir=wd))


HOSTILE_VALUES = (0, 1, 15, 16, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff)


def pcap_record_offsets(data):
    e = '<' if data[:4] in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
    out, off = [], 24
    while off + 16 <= len(data):
        incl = struct.unpack_from(e + 'I', data, off + 8)[0]
        out.append(off)
        off += 16 + incl
    return e, out


def pcapng_block_offsets(data):
    e = '<' if data[8:12] == b'\x4d\x3c\x2b\x1a' else '>'
    out, off = [], 0
    while off + 12 <= len(data):
        blen = struct.unpack_from(e + 'I', data, off + 4)[0]
        if blen < 12:
            break
        out.append((off, blen))
        off += blen
    return e, out


def case_flips(o, c, wd):
    caps = []
    for name in ('gen/dns.pcap', 'gen/tcp-rst.pcap', 'gen/mixed.pcapng', 'real/tcpdump__tcp-handshake-nano.pcap',
                 'real/zeek__pcapng-multi-interface.pcapng'):
        p = os.path.join(o.corpus or '', name)
        if o.corpus and os.path.exists(p):
            caps.append((name, open(p, 'rb').read()))
    if not caps:
        print('(corpus absent: flipping generated captures only)')
    caps.append(('generated.pcap', g.pcap_header() + small_packets(40)))
    caps.append(('generated.pcapng', b''.join([ng_shb(), ng_idb()] +
                                             [ng_epb(g.udp_template(), ts=i) for i in range(40)])))
    rnd = random.Random(6)
    for name, data in caps:
        tried = 0
        if data[:4] == b'\x0a\x0d\x0d\x0a':
            e, blocks = pcapng_block_offsets(data)
            picks = blocks[:4] + rnd.sample(blocks[4:], min(6, max(0, len(blocks) - 4)))
            for off, blen in picks:
                btype = struct.unpack_from(e + 'I', data, off)[0]
                fields = [(4, 'block length'), (blen - 4, 'trailing length')]
                if btype == 6:
                    fields += [(20, 'EPB caplen'), (24, 'EPB wirelen'), (8, 'EPB interface')]
                if btype == 1:
                    fields += [(12, 'IDB snaplen')]
                for foff, fname in fields:
                    for v in rnd.sample(HOSTILE_VALUES, 4):
                        m = bytearray(data)
                        struct.pack_into(e + 'I', m, off + foff, v)
                        tried += 1
                        r = run_analyzer(o.analyzer, path=_w(wd, m), mem_mb=o.mem_mb, time_s=30, workdir=wd)
                        c.judge('%s block@%d %s=%d' % (name, off, fname, v), r)
        else:
            e, recs = pcap_record_offsets(data)
            picks = recs[:3] + rnd.sample(recs[3:], min(7, max(0, len(recs) - 3)))
            for off in picks:
                for foff, fname in ((8, 'incl_len'), (12, 'orig_len')):
                    for v in rnd.sample(HOSTILE_VALUES, 4):
                        m = bytearray(data)
                        struct.pack_into(e + 'I', m, off + foff, v)
                        tried += 1
                        r = run_analyzer(o.analyzer, path=_w(wd, m), mem_mb=o.mem_mb, time_s=30, workdir=wd)
                        c.judge('%s record@%d %s=%d' % (name, off, fname, v), r)
            # IP/TCP/UDP length fields inside packets: flip the 16-bit word at random offsets of a few packets
            for off in picks[:4]:
                incl = struct.unpack_from(e + 'I', data, off + 8)[0]
                for _ in range(4):
                    if incl < 4:
                        break
                    m = bytearray(data)
                    pos = off + 16 + rnd.randrange(0, incl - 1)
                    m[pos:pos + 2] = rnd.choice((b'\xff\xff', b'\x00\x00', b'\x80\x00', b'\x00\x01'))
                    tried += 1
                    r = run_analyzer(o.analyzer, path=_w(wd, m), mem_mb=o.mem_mb, time_s=30, workdir=wd)
                    c.judge('%s packet@%d bytes %d..+2 flipped' % (name, off, pos - off - 16), r)
        print('--- %s: %d mutations' % (name, tried))


def _w(wd, data):
    p = os.path.join(wd, 'm.bin')
    with open(p, 'wb') as f:
        f.write(data)
    return p


HOSTILE_LABELS = [b'<script>alert(1)</script>', b'"><img src=x onerror=alert(1)>', b"q'uo\"te`", b'nul\x00byte',
                  b'bad\xff\xfe\xc0\xafutf8', b'</style></html>', b'\xe2\x80\xa8line\xe2\x80\xa9sep', b'\x1b[31mansi',
                  b'a\\u003cscript', b'&lt;amp&#x3c;', b'{{7*7}}${x}', b'\x7f\x01\x02ctl']


def dns_name_wire(labels):
    return b''.join(bytes([len(l)]) + l for l in labels) + b'\0'


class TagScan(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.bad = []

    def handle_starttag(self, tag, attrs):
        if tag in ('script', 'iframe', 'object', 'embed', 'img', 'link', 'meta', 'base', 'form') and not (
                tag == 'meta' and all(k in ('charset', 'name', 'content', 'http-equiv') for k, _ in attrs)):
            self.bad.append('<%s %s>' % (tag, attrs))
        for k, v in attrs:
            if k.startswith('on') or (v and 'javascript:' in v.lower()):
                self.bad.append('<%s %s=%r>' % (tag, k, v))


def html_dangers(text):
    """Tags or attributes in the page that could run script or load something (a name that broke out)."""
    p = TagScan()
    p.feed(text)
    p.close()
    return ['HTML has %s' % b for b in p.bad[:5]]


def case_strings(o, c, wd):
    p = os.path.join(wd, 'strings.pcap')
    recs = []
    t = 0
    for i, lab in enumerate(HOSTILE_LABELS):
        for j, labels in enumerate(([lab, b'test'], [lab] * 4 + [b'x'], [lab[:63]] * 3)):
            q = struct.pack('!HHHHHH', i * 16 + j, 0x0100, 1, 0, 0, 0) + dns_name_wire(labels) + b'\0\x01\0\x01'
            recs.append((t, g.udp_template(sport=30000 + i * 16 + j, dport=53, payload=q)))
            t += 1000
            # an error answer for some, so the name also lands in the error lists
            if j == 0:
                a = struct.pack('!HHHHHH', i * 16 + j, 0x8183, 1, 0, 0, 0) + dns_name_wire(labels) + b'\0\x01\0\x01'
                recs.append((t, g.udp_template(src=(10, 0, 0, 2), dst=(10, 0, 0, 1), sport=53, dport=30000 + i * 16 + j,
                                               payload=a)))
    # a compression loop and a pointer past the end
    loop = struct.pack('!HHHHHH', 999, 0x0100, 1, 0, 0, 0) + b'\xc0\x0c\0\x01\0\x01'
    recs.append((t, g.udp_template(sport=29999, dport=53, payload=loop)))
    recs.append((t + 1, g.udp_template(sport=29998, dport=53,
                                       payload=struct.pack('!HHHHHH', 998, 0x0100, 1, 0, 0, 0) + b'\xc3\xff')))
    last = 10_000_000  # 10 s later (us): every query has timed out
    recs.append((last, g.udp_template(sport=29997, dport=9)))
    with open(p, 'wb') as f:
        f.write(g.pcap_header())
        for ts_us, pkt in recs:
            ts_us += 1_700_000_000_000_000
            f.write(pw.pcap_record_header(ts_us // 1_000_000, ts_us % 1_000_000, len(pkt), len(pkt)) + pkt)
    r = run_analyzer(o.analyzer, path=p, mem_mb=o.mem_mb, time_s=30, html=True, workdir=wd)
    ok = c.judge('hostile DNS names: run', r, allow=(0,))
    if not ok or r.report is None:
        return
    f = []
    if r.html is None:
        f.append('no HTML report written')
    else:
        low = r.html.lower()
        for needle in (b'<script', b'<img', b'\x1b', b'\x00', b'\x7f\x01'):
            if needle in low:
                f.append('HTML holds raw %r' % needle)
        f += html_dangers(r.html.decode('utf-8', 'replace'))
        try:
            r.html.decode('utf-8')
        except UnicodeDecodeError as e:
            f.append('HTML is not valid UTF-8: %s' % e)
        if low.count(b'</html>') != 1:
            f.append('HTML has %d </html> (a name closed the page?)' % low.count(b'</html>'))
    js = json.dumps(r.report)
    if 'alert(1)' not in js:
        f.append('the hostile names are not in the JSON report at all (nothing was tested)')
    # the JSON text itself: strict parse done; no raw control characters or unpaired surrogates
    raw = open(os.path.join(wd, 'report.json'), 'rb').read()
    if any(b < 0x20 and b not in (0x0a, 0x0d, 0x09) for b in raw):
        f.append('raw control byte in the JSON text')
    try:
        raw.decode('utf-8', 'strict')
    except UnicodeDecodeError as e:
        f.append('JSON is not valid UTF-8: %s' % e)
    for x in f:
        print('FAIL ' + x)
        c.fails.append('strings: ' + x)
    if not f:
        print('ok   hostile names: JSON strict and UTF-8, HTML escaped (%d bytes)' % len(r.html))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--analyzer')
    ap.add_argument('--corpus')
    ap.add_argument('--mem-mb', type=int, default=1024)
    ap.add_argument('--time-s', type=int, default=60)
    ap.add_argument('cases', nargs='+')
    o = ap.parse_args()
    if not o.analyzer or not os.access(o.analyzer, os.X_OK):
        print('SKIP: pcap-analyzer not built (%r)' % o.analyzer)
        return SKIP
    with open(o.analyzer, 'rb') as f:
        if b'AddressSanitizer' in f.read():
            # ASan reserves terabytes of shadow address space: RLIMIT_AS cannot apply; the time limit still does
            print('pcap-analyzer is an ASan build: no RLIMIT_AS, time limit x4')
            o.mem_mb = 0
            o.time_s *= 4
    c = Checker()
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix='pcapd-hostile-') as wd:
        for case in o.cases:
            print('=== %s (RLIMIT_AS %s MiB, %d s)' % (case, o.mem_mb or 'no', o.time_s), flush=True)
            if case in ('tiny-10m', 'flows-1m', 'dns-1m', 'dns-1m-spread', 'frag-1m', 'hosts-collide'):
                case_big(o, c, wd, case)
            elif case == 'headers':
                case_headers(o, c, wd)
            elif case == 'pcapng':
                case_pcapng(o, c, wd)
            elif case == 'small-files':
                case_small(o, c, wd)
            elif case == 'flips':
                case_flips(o, c, wd)
            elif case == 'strings':
                case_strings(o, c, wd)
            else:
                print('unknown case %s' % case)
                return 2
    print('ROBUST-STATS %s: %d runs, %d failures, peak RSS %.1f MB, %.0f s' % (
        ','.join(o.cases), c.runs, len(c.fails), c.max_rss / 1024, time.time() - t0))
    for f in c.fails[:50]:
        print('FAILED: ' + f)
    return 1 if c.fails else 0


if __name__ == '__main__':
    sys.exit(main())
