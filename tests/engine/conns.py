#!/usr/bin/env python3
"""The connections table (issue 14) against tshark 4.0 on corpus captures.

For each capture, tshark's own reading (two passes) gives every TCP stream (`tcp.stream`), its
`tcp.completeness` (1 SYN, 2 SYN-ACK, 4 ACK, 8 DATA, 16 FIN, 32 RST, over the conversation), its frames,
bytes and first/last time per direction, and `-z conv,tcp` its frames each way and duration. Checked:
  - our connection count (`connections.total`, = `tcp.connections`) against tshark's streams;
  - our end states, grouped as far as the completeness bits can tell them apart, against tshark's:
      refused  RST, SYN, no SYN-ACK, no data          ours: refused
      reset    RST otherwise                          ours: reset
      fin      FIN, no RST (FIN each way or one way)  ours: fin + half_closed
      syn      SYN and nothing else                   ours: syn_unanswered
      half     SYN or SYN-ACK, no ACK, no data        ours: half_open
      mid      neither SYN nor SYN-ACK (nor FIN/RST)  ours: midstream
      open     the rest                               ours: established + idle
    (tshark's ACK bit is set by a segment with ACK and without SYN, so "half" is a handshake whose SYN-ACK
    got no ACK);
  - every kept row against the stream that starts at its `first_frame`: its last frame, packets and bytes each
    way, duration (tshark: last minus first frame time), throughput = bytes x 8 / duration; and frames each way
    and duration against `-z conv,tcp` where the 5-tuple has one conversation.
Where we differ from tshark on purpose, EXPECTED holds both values and the reason, found packet by packet;
the check then demands exactly those values.

Usage: conns.py --analyzer BIN --corpus DIR [CAPTURE...]     (exits 77 without tshark or the corpus)
       conns.py --list --corpus DIR
"""
import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402

GROUPS = {
    'refused': ('refused',), 'reset': ('reset',), 'fin': ('fin', 'half_closed'), 'syn': ('syn_unanswered',),
    'half': ('half_open',), 'mid': ('midstream',), 'open': ('established', 'idle'),
}
STATES = ('established', 'idle', 'half_open', 'half_closed', 'fin', 'reset', 'refused', 'syn_unanswered',
          'midstream')

# capture -> {check: (ours, tshark, why)}; check is 'streams', a group name, or 'row FRAME MEMBER'.
EXPECTED = {
    'real/nDPI__ip_fragmented_garbage.pcap': {
        'streams': (0, 4, 'fragments of garbage whose TCP headers are bogus (data offset 8 or 16 bytes, or cut): '
                          'tshark numbers a stream for each (frames 313, 626, 939, 1252), we analyse no malformed '
                          'header (capture.skipped.truncated_headers = 4)'),
        'fin': (0, 2, 'two of the same bogus headers, whose flag bits read FIN'),
        'mid': (0, 2, 'the other two'),
    },
    'real/zeek__fragmented-syn.pcap': {
        'row 1 stream': ('a connection', 'no stream starts here',
                         'the SYN comes in two IP fragments: our first frame is the first fragment, which holds the '
                         'TCP header; tshark shows the SYN on frame 2, where it reassembled the datagram'),
    },
    'real/zeek__syn-then-rst.pcap': {
        'refused': (0, 1, 'the client sends a SYN and then a RST itself (frames 1 and 2, both 1.1.1.1 -> 1.1.1.2): '
                          'completeness says SYN + RST, but no server refused anything; ours is a reset'),
        'reset': (1, 0, 'the same connection'),
    },
}


def tshark_group(c):
    if c & 32:
        return 'refused' if (c & 1) and not (c & 2) and not (c & 8) else 'reset'
    if c & 16:
        return 'fin'
    if c == 1:
        return 'syn'
    if (c & 3) and not (c & 4) and not (c & 8):
        return 'half'
    if not (c & 3):
        return 'mid'
    return 'open'


def tshark_streams(path):
    """stream -> dict(completeness, first_frame, first_ts, last_ts, packets/bytes per direction, client key)."""
    fields = ['tcp.stream', 'tcp.completeness', 'frame.number', 'frame.time_epoch', 'frame.len', 'ip.src',
              'ipv6.src', 'tcp.srcport', 'tcp.flags', 'tcp.len']
    cmd = ['tshark', '-2', '-n', '-r', path, '-Y', 'tcp && !icmp && !icmpv6', '-T', 'fields', '-E', 'occurrence=l']
    for f in fields:
        cmd += ['-e', f]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=600)
    st = {}
    for line in r.stdout.decode(errors='replace').splitlines():
        p = line.split('\t')
        if len(p) < len(fields) or not p[0]:
            continue
        sid = int(p[0])
        s = st.get(sid)
        if s is None:
            s = st[sid] = {'first_frame': int(p[2]), 'first_ts': Decimal(p[3]), 'last_ts': Decimal(p[3]),
                           'pk': collections.Counter(), 'by': collections.Counter(), 'c': 0, 'flags': 0}
        s['c'] = int(p[1], 0) if p[1] else s['c']
        t = Decimal(p[3])
        s['last_frame'] = int(p[2])
        s['first_ts'] = min(s['first_ts'], t)
        s['last_ts'] = max(s['last_ts'], t)
        # the innermost IPv4 or IPv6 source (6in4: ip.src is the tunnel's): counted under both, our row
        # names one of them
        for addr in {p[5], p[6]} - {''}:
            s['pk'][(addr, p[7])] += 1
            s['by'][(addr, p[7])] += int(p[4])
        # tshark 4.0 tracks tcp.completeness only from a SYN: a stream first seen at another segment keeps 0.
        # For those the same bits are taken from tshark's flags of each segment.
        fl = int(p[8], 0) if p[8] else 0
        bits = (1 if fl & 0x12 == 0x02 else 0) | (2 if fl & 0x12 == 0x12 else 0) | (4 if fl & 0x12 == 0x10 else 0) | \
            (8 if p[9] and int(p[9]) > 0 else 0) | (16 if fl & 0x01 else 0) | (32 if fl & 0x04 else 0)
        s['flags'] |= bits
    for s in st.values():
        if s['c'] == 0:
            s['c'] = s['flags']
    return st


def tshark_conv(path):
    """(frozenset of the two endpoints) -> list of (frames A->B, frames B->A, duration s, endpoint A)."""
    r = subprocess.run(['tshark', '-n', '-r', path, '-q', '-z', 'conv,tcp'], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, timeout=600)
    out = collections.defaultdict(list)
    for line in r.stdout.decode(errors='replace').splitlines():
        m = re.match(r'(\S+):(\d+)\s+<->\s+(\S+):(\d+)\s+(\d+) [\d.]+ \S+\s+(\d+) [\d.]+ \S+\s+\d+ [\d.]+ \S+\s+'
                     r'([\d.]+)\s+([\d.]+)', line)
        if m:
            a, b = (m.group(1), m.group(2)), (m.group(3), m.group(4))
            # "<-" is B -> A, "->" is A -> B
            out[frozenset((a, b))].append((int(m.group(6)), int(m.group(5)), float(m.group(8)), a))
    return out


def check_capture(analyzer, corpus, cap):
    path = os.path.join(corpus, cap)
    if cap.startswith('large/') and not os.path.exists(path):
        path = '/tmp/corpus-large/' + os.path.basename(cap)
    if not os.path.exists(path):
        harness.skip('%s absent' % cap)
    rc, rep, jerr, err = harness.analyze(analyzer, path, timeout=600)
    if rc != 0 or rep is None:
        print('FAIL analyze: %s %s %s' % (harness.describe_rc(rc), jerr or '', err.strip()[:300]))
        return 1
    exp = EXPECTED.get(cap, {})
    fails = 0

    def check(name, ours, theirs):
        nonlocal fails
        if name in exp:
            want_o, want_t, why = exp[name]
            ok = ours == want_o and theirs == want_t
            print('%-4s %-40s ours=%-10s tshark=%-10s (expected %s/%s: %s)' % ('ok' if ok else 'FAIL', name, ours,
                                                                               theirs, want_o, want_t, why))
        else:
            ok = ours == theirs
            print('%-4s %-40s ours=%-10s tshark=%s' % ('ok' if ok else 'FAIL', name, ours, theirs))
        fails += not ok

    conns = rep.get('connections') or {}
    states = conns.get('states') or {}
    # the table's own rules
    total = conns.get('total')
    fails += not harness_ok(total == harness.get(rep, 'tcp.connections'), 'connections.total = tcp.connections',
                            total, harness.get(rep, 'tcp.connections'))
    fails += not harness_ok(sorted(states) == sorted(STATES) and sum(states.values()) == total,
                            'states sum to the total', sum(states.values()), total)
    st = tshark_streams(path)
    check('streams', total, len(st))
    theirs = collections.Counter(tshark_group(s['c']) for s in st.values())
    for g, names in GROUPS.items():
        check(g, sum(states.get(n, 0) for n in names), theirs.get(g, 0))

    # rows against the stream that starts at the same frame, and against conv,tcp
    by_first = {s['first_frame']: s for s in st.values()}
    conv = tshark_conv(path)
    items = conns.get('items') or []
    matched = 0
    for it in items:
        s = by_first.get(it.get('first_frame'))
        if s is None:
            check('row %s stream' % it.get('first_frame'), 'a connection', 'no stream starts here')
            continue
        matched += 1
        fl = it['flow']
        cli, srv = (fl['src'], str(fl['sport'])), (fl['dst'], str(fl['dport']))
        ff = it['first_frame']
        check('row %d packets c->s, s->c' % ff, (it['packets_client_to_server'], it['packets_server_to_client']),
              (s['pk'][cli], s['pk'][srv]))
        check('row %d bytes c->s, s->c' % ff, (it['bytes_client_to_server'], it['bytes_server_to_client']),
              (s['by'][cli], s['by'][srv]))
        check('row %d last_frame' % ff, it.get('last_frame'), s['last_frame'])
        dur = Decimal(str(it['duration_s']))
        tdur = s['last_ts'] - s['first_ts']
        check('row %d duration_s (us)' % ff, round(dur * 1000000), round(tdur * 1000000))
        for d in ('client_to_server', 'server_to_client'):
            b = it['bytes_' + d]
            thr = it['throughput_bps_' + d]
            want = None if dur == 0 else float(b) * 8 / float(dur)
            ok = (thr is None and want is None) or (thr is not None and want is not None and
                                                    abs(thr - want) <= max(0.1, 1e-5 * want))
            fails += not harness_ok(ok, 'row %d throughput_bps_%s = bytes x 8 / duration' % (ff, d), thr, want)
        cv = conv.get(frozenset((cli, srv)), [])
        if len(cv) == 1:
            ab, ba, cdur, a = cv[0]
            fr = (ab, ba) if a == cli else (ba, ab)
            check('row %d conv,tcp frames' % ff, (it['packets_client_to_server'], it['packets_server_to_client']), fr)
            ok = abs(float(dur) - cdur) <= 0.00006
            fails += not harness_ok(ok, 'row %d conv,tcp duration (4 decimals)' % ff, float(dur), cdur)
    print('%d of %d rows matched a tshark stream by their first frame' % (matched, len(items)))
    return fails


def harness_ok(ok, what, ours, want):
    print('%-4s %-40s ours=%-10s want=%s' % ('ok' if ok else 'FAIL', what, harness.fmt(ours), harness.fmt(want)))
    return ok


def captures(corpus):
    out = harness.corpus_files(corpus, ('gen', 'real', 'latency'))
    if os.path.exists(os.path.join(corpus, 'large', 'large-131k.pcap.truth.json')):
        out.append('large/large-131k.pcap')
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--analyzer')
    ap.add_argument('--corpus', required=True)
    ap.add_argument('--list', action='store_true')
    ap.add_argument('captures', nargs='*')
    o = ap.parse_args()
    if o.list:
        print('\n'.join(captures(o.corpus)))
        return 0
    if not os.path.isdir(o.corpus):
        harness.skip('corpus %s absent (needs ../shared beside the repository)' % o.corpus)
    if not shutil.which('tshark'):
        harness.skip('tshark not installed')
    if not o.analyzer or not os.access(o.analyzer, os.X_OK):
        harness.skip('pcap-analyzer not built (%s)' % o.analyzer)
    failed = 0
    for cap in o.captures or captures(o.corpus):
        print('=== %s' % cap)
        failed += check_capture(o.analyzer, o.corpus, cap)
    print('%d failures' % failed)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
