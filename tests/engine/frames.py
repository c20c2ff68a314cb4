#!/usr/bin/env python3
"""Frame numbers (issue 14): every event, worst flow, exchange and transfer in pcap-analyzer's report names the
packet that Wireshark shows under that frame number.

Usage: frames.py --analyzer BIN --made [NAME...]             captures made here with tests/pcapwrite (no ../shared)
       frames.py --analyzer BIN --corpus DIR CAPTURE...      corpus captures against tshark
       frames.py --list --corpus DIR                         the corpus captures, one per line
Exit 0 pass, 1 a check failed, 77 skipped (and why: no corpus, no tshark, no analyzer).

--made: one story (a slow handshake, a request and its answer, an RTO retransmission, a zero window, a reset, an
NXDOMAIN answered slowly, an unanswered query, an ICMP port unreachable, a SYN never answered, a 5 s gap) with
records the engine cannot analyse before and between its packets (ARP, LLDP, a header cut short, a malformed
IPv4 header; in pcapng also packets of an interface with a link type it does not decode, name resolution,
interface statistics and decryption secrets blocks, which are not frames, and custom and systemd journal blocks,
which are), written as pcap read by our reader, as big-endian pcap read by libpcap and as pcapng. The frame
numbers the report must give are counted while writing, without tshark; when tshark is installed it must show
the same packets under those numbers (so they are Wireshark's numbers).

--corpus: the report's frame numbers against tshark 4.0's reading of the same file, for every kept event and
listed item: the frame exists, has the item's timestamp to the nanosecond and its addresses and ports, and is
the packet the item says it is (the retransmitted sequence number, a zero window, an RST, the handshake's SYN
and ACK, the DNS response with the item's rcode and name and its query, the ICMP type and code); a worst flow's
first frame is the first of tshark's stream, its longest idle time ends at its max_idle_frame. Then the sets:
our retransmissions, resets, zero windows, DNS errors and ICMP errors against tshark's flags, where the
definitions agree; where they do not, OURS and TSHARK below say why.
"""
import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'pcapwrite'))
import harness  # noqa: E402
import pcapwrite as pw  # noqa: E402

# ---------------------------------------------------------------------------------------------- tshark's view
FIELDS = ['frame.number', 'frame.time_epoch', 'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'tcp.srcport',
          'tcp.dstport', 'udp.srcport', 'udp.dstport', 'tcp.seq_raw', 'tcp.flags', 'tcp.window_size_value',
          'tcp.len', 'tcp.stream', 'udp.stream', 'icmp.type', 'icmp.code', 'icmpv6.type', 'icmpv6.code', 'dns.id',
          'dns.flags.response', 'dns.flags.rcode', 'dns.qry.name', 'dns.response_to',
          'tcp.analysis.retransmission', 'tcp.analysis.fast_retransmission', 'tcp.analysis.spurious_retransmission',
          'tcp.analysis.out_of_order', 'tcp.analysis.lost_segment', 'tcp.analysis.zero_window',
          'tcp.analysis.duplicate_ack', 'ip.reassembled_in', 'ipv6.reassembled.in', 'tcp.reassembled_in',
          'ip.fragment', 'ipv6.fragment', 'tcp.segment', 'frame.protocols',
          'tcp.seq', 'tcp.ack', 'tcp.window_size', 'tcp.analysis.keep_alive', 'tcp.analysis.window_update']


class Frame:
    """One line of tshark -T fields: each field a list of its values (outermost first)."""

    def __init__(self, cols):
        self.f = {k: [x for x in v.split(',') if x != ''] for k, v in zip(FIELDS, cols + [''] * len(FIELDS))}
        self.number = int(self.f['frame.number'][0])
        self.shown_in = {}  # 'ip' / 'tcp': the frame that lists this one among the fragments / segments it reassembles

    def one(self, k):
        v = self.f[k]
        return v[0] if v else None

    def num(self, k):
        v = self.one(k)
        return int(v, 0) if v is not None else None

    def has(self, k):
        return bool(self.f[k])

    def time(self):
        t = self.one('frame.time_epoch')
        return Decimal(t) if t is not None else None

    def addr_pairs(self):
        """Every (src, dst) of the frame's IP headers: the engine analyses the innermost of a tunnel (6in4), tshark
        lists IPv4 and IPv6 headers apart, outermost first, and an ICMP error's quoted header too."""
        return list(zip(self.f['ip.src'], self.f['ip.dst'])) + list(zip(self.f['ipv6.src'], self.f['ipv6.dst']))

    def reassembled_in(self, layers=('ip', 'tcp')):
        """The frame where tshark shows what this fragment (layer ip: a transport header and what follows) or TCP
        segment (layer tcp: a DNS message) begins, else None. In one pass tshark names it on the first fragment
        for IPv4 only; the last fragment lists them all."""
        keys = {'ip': ('ip.reassembled_in', 'ipv6.reassembled.in'), 'tcp': ('tcp.reassembled_in',)}
        for layer in layers:
            for k in keys[layer]:
                if self.f[k]:
                    return int(self.f[k][0])
            if layer in self.shown_in:
                return self.shown_in[layer]
        return None

    def all_addrs(self):
        return set(self.f['ip.src'] + self.f['ip.dst'] + self.f['ipv6.src'] + self.f['ipv6.dst'])

    def ports(self):
        for s, d in (('tcp.srcport', 'tcp.dstport'), ('udp.srcport', 'udp.dstport')):
            if self.f[s]:
                return int(self.f[s][0]), int(self.f[d][0])
        return None, None

    def tcp_flags(self):
        v = self.one('tcp.flags')
        return int(v, 16) if v is not None else None

    def outer_icmp(self):
        """An ICMP or ICMPv6 message (a TCP or UDP header in it is quoted)."""
        for p in (self.f['frame.protocols'][0].split(':') if self.f['frame.protocols'] else []):
            if p in ('icmp', 'icmpv6'):
                return True
            if p in ('tcp', 'udp'):
                return False
        return False


def tshark_frames(path):
    """Every frame tshark 4.0 reads in path, by number."""
    cmd = ['tshark', '-n', '-r', path, '-T', 'fields', '-E', 'separator=|', '-E', 'occurrence=a', '-E',
           'aggregator=,'] + sum([['-e', f] for f in FIELDS], [])
    p = subprocess.run(cmd, capture_output=True, text=True, errors='replace')
    if not p.stdout and p.returncode != 0:
        raise RuntimeError('tshark failed (exit %d): %s' % (p.returncode, p.stderr.strip()[:300]))
    frames = {}
    for line in p.stdout.splitlines():
        fr = Frame(line.split('|'))
        frames[fr.number] = fr
    for fr in frames.values():
        for layer, k in (('ip', 'ip.fragment'), ('ip', 'ipv6.fragment'), ('tcp', 'tcp.segment')):
            for n in fr.f[k]:
                if int(n) in frames and int(n) != fr.number:
                    frames[int(n)].shown_in[layer] = fr.number
    return frames


def shown(frames, fr, layers=('ip',)):
    """The frame where tshark shows the headers (layer ip) or the DNS message (ip, tcp) that fr begins: a
    fragmented datagram or a message spread over TCP segments is analysed by us where it begins (its first
    fragment or segment), shown by tshark where it is complete."""
    r = fr.reassembled_in(layers)
    return frames.get(r, fr) if r else fr


def same_direction(flow, fr):
    """The frame goes from the flow's source to its destination: one of its IP headers has the flow's addresses
    and its transport header the flow's ports, when tshark shows one (not on a fragment after the first, nor on
    the first when tshark reassembles the datagram and shows the ports on its last)."""
    sp, dp = fr.ports()
    ports_ok = sp is None or (flow.get('sport'), flow.get('dport')) in ((sp, dp), (None, None))
    return ports_ok and (flow.get('src'), flow.get('dst')) in fr.addr_pairs()


def between(fr, flow):
    """The frame goes between the flow's hosts, either way."""
    return any({a, b} == {flow.get('src'), flow.get('dst')} for a, b in fr.addr_pairs())


def reverse(flow):
    return {'src': flow.get('dst'), 'dst': flow.get('src'), 'sport': flow.get('dport'), 'dport': flow.get('sport')}


def describe(fr):
    return '%s ports %s' % (fr.addr_pairs(), fr.ports())


def report_ts(v):
    return harness.ts_to_decimal(v)


SYN, RST, ACK = 0x02, 0x04, 0x10
RCODES = {'NOERROR': 0, 'FORMERR': 1, 'SERVFAIL': 2, 'NXDOMAIN': 3, 'NOTIMP': 4, 'REFUSED': 5}


class Checker:
    def __init__(self, name):
        self.name = name
        self.failures = 0
        self.checked = 0

    def fail(self, msg):
        self.failures += 1
        if self.failures <= 25:
            print('FAIL %s: %s' % (self.name, msg))

    def ok(self, cond, msg):
        self.checked += 1
        if not cond:
            self.fail(msg)
        return cond


def check_frame(c, frames, what, n, ts=None, flow=None, direction=None):
    """The frame exists, has ts (Decimal) and the flow's endpoints (direction: 'same', 'reverse' or None for
    either). Returns the Frame or None."""
    fr = frames.get(n) if isinstance(n, int) and not isinstance(n, bool) else None
    if not c.ok(fr is not None, '%s: frame %r is not a frame tshark reads (%d frames)' % (what, n, len(frames))):
        return None
    if ts is not None:
        c.ok(fr.time() == ts, '%s: frame %d has time %s, the item %s' % (what, n, fr.time(), ts))
    if flow is not None:
        if direction == 'icmp':
            c.ok({flow.get('src'), flow.get('dst')} <= fr.all_addrs(),
                 '%s: frame %d does not quote %s -> %s' % (what, n, flow.get('src'), flow.get('dst')))
        elif direction == 'same':
            c.ok(same_direction(flow, fr), '%s: frame %d is %s, the item %s' % (what, n, describe(fr), flow))
        elif direction == 'reverse':
            c.ok(same_direction(reverse(flow), fr), '%s: frame %d is %s, the item (reversed) %s' % (
                what, n, describe(fr), flow))
        else:
            c.ok(same_direction(flow, fr) or same_direction(reverse(flow), fr),
                 '%s: frame %d is %s, the item %s' % (what, n, describe(fr), flow))
    return fr


# ----------------------------------------------------------------------------------------- the report's items
def check_events(c, rep, frames):
    ev = rep['events']
    def dns_names_ok(theirs, ours):
        """ours is kept to 95 bytes (event_t.text): a prefix of a longer name"""
        if theirs is None or ours is None or not ours.isprintable():
            return True
        t, o = theirs.lower().rstrip('.'), ours.lower().rstrip('.')
        return t == o or (len(ours) >= 90 and t.startswith(o))

    def dns_frame(fr):
        return shown(frames, fr, ('ip', 'tcp'))
    for e in ev['retransmissions']['items']:
        fr = check_frame(c, frames, 'retransmission at %s' % e['ts'], e['frame'], report_ts(e['ts']), e['flow'], 'same')
        if fr:
            c.ok(shown(frames, fr).num('tcp.seq_raw') == e['seq'], 'retransmission: frame %d has seq %s, the event %s'
                 % (fr.number, fr.one('tcp.seq_raw'), e['seq']))
    for e in ev['zero_windows']['items']:
        fr = check_frame(c, frames, 'zero window at %s' % e['ts'], e['frame'], report_ts(e['ts']), e['flow'], 'same')
        if fr:
            c.ok(shown(frames, fr).num('tcp.window_size_value') == 0, 'zero window: frame %d has window %s' % (
                fr.number, fr.one('tcp.window_size_value')))
    for e in ev['resets']['items']:
        fr = check_frame(c, frames, 'reset at %s' % e['ts'], e['frame'], report_ts(e['ts']), e['flow'])
        if fr:
            c.ok((shown(frames, fr).tcp_flags() or 0) & RST,
                 'reset: frame %d has no RST (flags %s)' % (fr.number, fr.one('tcp.flags')))
    for e in ev['slow_handshakes']['items']:
        fr = check_frame(c, frames, 'slow handshake at %s' % e['ts'], e['frame'], report_ts(e['ts']), e['flow'], 'same')
        if fr:
            c.ok((shown(frames, fr).tcp_flags() or 0) & (SYN | ACK) == ACK,
                 'slow handshake: frame %d is not the ACK (flags %s)' % (fr.number, fr.one('tcp.flags')))
        syn = check_frame(c, frames, 'slow handshake SYN', e['syn_frame'], None, e['flow'], 'same')
        if syn:
            c.ok((shown(frames, syn).tcp_flags() or 0) & (SYN | ACK) == SYN,
                 'slow handshake: syn_frame %d is not a SYN' % syn.number)
            c.ok(fr is None or syn.number < fr.number,
                 'slow handshake: syn_frame %d after frame %s' % (syn.number, e['frame']))
            if fr:
                c.ok(abs(float(fr.time() - syn.time()) * 1e3 - e['handshake_ms']) < 2e-3,
                     'slow handshake: SYN %d to ACK %d is not handshake_ms %s'
                     % (syn.number, fr.number, e['handshake_ms']))
    for e in ev['failed_handshakes']['items']:
        fr = check_frame(c, frames, 'failed handshake at %s' % e['ts'], e['frame'], report_ts(e['ts']), e['flow'],
                         'same')
        if fr:
            c.ok((shown(frames, fr).tcp_flags() or 0) & (SYN | ACK) == SYN,
                 'failed handshake: frame %d is not a SYN' % fr.number)
    for k in ('dns_errors', 'dns_slow'):
        for e in ev[k]['items']:
            fr = check_frame(c, frames, '%s at %s' % (k, e['ts']), e['frame'], report_ts(e['ts']), e['flow'], 'reverse')
            if not fr:
                continue
            d = dns_frame(fr)
            if not c.ok(d.one('dns.flags.response') == '1', '%s: frame %d (%d) is not a DNS response' % (
                    k, fr.number, d.number)):
                continue
            c.ok(d.num('dns.flags.rcode') == RCODES.get(e['rcode'], -1),
                 '%s: frame %d has rcode %s, the event %s' % (k, d.number, d.one('dns.flags.rcode'), e['rcode']))
            c.ok(dns_names_ok(d.one('dns.qry.name'), e['name']),
                 '%s: frame %d asks %s, the event %s' % (k, d.number, d.one('dns.qry.name'), e['name']))
            if e.get('query_frame') is not None:
                q = check_frame(c, frames, '%s query' % k, e['query_frame'], None, e['flow'], 'same')
                if q:
                    q = dns_frame(q)
                    c.ok(q.one('dns.flags.response') == '0' and q.one('dns.id') == d.one('dns.id'),
                         '%s: query_frame %d is not the query of response %d' % (k, q.number, d.number))
                    # tshark matches the last transmission of a repeated query, we the first (ANALYSES.md)
                    to = d.num('dns.response_to')
                    c.ok(to is None or q.number <= to,
                         '%s: query_frame %d after tshark\'s query %s' % (k, q.number, to))
                    if e.get('response_ms') is not None:
                        c.ok(abs(float(fr.time() - q.time()) * 1e3 - e['response_ms']) < 2e-3,
                             '%s: query %d to response %d is not response_ms %s'
                             % (k, q.number, fr.number, e['response_ms']))
    for e in ev['dns_unanswered']['items']:
        fr = check_frame(c, frames, 'unanswered query at %s' % e['ts'], e['frame'], report_ts(e['ts']), e['flow'], 'same')
        if fr:
            d = dns_frame(fr)
            c.ok(d.one('dns.flags.response') == '0', 'unanswered query: frame %d is not a query' % d.number)
            c.ok(dns_names_ok(d.one('dns.qry.name'), e['name']),
                 'unanswered query: frame %d asks %s, the event %s' % (d.number, d.one('dns.qry.name'), e['name']))
    for e in ev['icmp_errors']['items']:
        fr = check_frame(c, frames, 'ICMP error at %s' % e['ts'], e['frame'], report_ts(e['ts']), e['flow'], 'icmp')
        if fr:
            t, code = ('icmpv6.type', 'icmpv6.code') if e['family'] == 'icmpv6' else ('icmp.type', 'icmp.code')
            c.ok(fr.num(t) == e['type'] and fr.num(code) == e['code'], 'ICMP error: frame %d is %s/%s, the event %s/%s' % (
                fr.number, fr.one(t), fr.one(code), e['type'], e['code']))
            c.ok(e['reporter'] in [a for a, _ in fr.addr_pairs()], 'ICMP error: frame %d comes from %s, the event %s' % (
                fr.number, fr.addr_pairs(), e['reporter']))


def stream_of(fr):
    if fr.has('tcp.stream'):
        return ('tcp', fr.one('tcp.stream'))
    if fr.has('udp.stream'):
        return ('udp', fr.one('udp.stream'))
    return None


def check_flows(c, rep, frames):
    by_stream = {}
    for n, fr in sorted(frames.items()):
        s = stream_of(fr)
        if s is not None and not fr.outer_icmp():
            by_stream.setdefault(s, []).append(n)
    for w in rep['flows']['worst']:
        what = 'worst flow %s' % w['filter']
        fr = check_frame(c, frames, what + ' first_frame', w['first_frame'], report_ts(w['first_ts']), w['flow'])
        if fr and fr.ports()[0] is not None:
            s = by_stream.get(stream_of(fr), [])
            # a port reused: tshark starts a new stream at the SYN too
            c.ok(s and s[0] == fr.number, '%s: first_frame %d is not the first of tshark\'s stream %s (%s)' % (
                what, fr.number, stream_of(fr), s[:1]))
        if w.get('max_idle_frame') is not None:
            m = check_frame(c, frames, what + ' max_idle_frame', w['max_idle_frame'], None, w['flow'])
            if m:
                # the flow's packet before it: an earlier frame between its hosts (tshark's stream also holds
                # capture duplicates and reassembled fragments, which are none of the flow's packets)
                ends = any(abs(float(m.time() - frames[j].time()) - w['max_idle_s']) < 2e-6 for j in range(1, m.number)
                           if j in frames and between(frames[j], w['flow']))
                c.ok(ends, '%s: max_idle_frame %d does not end an idle time of %s s' % (what, m.number, w['max_idle_s']))
        fig = w.get('worst_figure')
        if fig is None:
            c.ok(w.get('worst_frame') is None, '%s: worst_frame without worst_figure' % what)
            continue
        c.ok(fig in w and w[fig] not in (0, False, None), '%s: worst_figure %s but %s = %s' % (what, fig, fig, w.get(fig)))
        if w.get('worst_frame') is None:
            continue  # a retransmission of that kind turned spurious (ANALYSES.md): allowed, and rare
        f = check_frame(c, frames, what + ' worst_frame (%s)' % fig, w['worst_frame'], None, w['flow'])
        if not f:
            continue
        flags = shown(frames, f).tcp_flags() or 0
        if fig in ('unanswered_syn', 'handshake_ms'):
            c.ok(flags & (SYN | ACK) == SYN, '%s: worst_frame %d of %s is not a SYN' % (what, f.number, fig))
        elif fig == 'refused':
            c.ok(flags & RST, '%s: worst_frame %d of refused is not an RST' % (what, f.number))
        elif fig == 'zero_windows':
            c.ok(shown(frames, f).num('tcp.window_size_value') == 0, '%s: worst_frame %d has a window' % (what, f.number))
        elif fig in ('rto', 'fast', 'spurious'):
            ours = {e['frame'] for e in rep['events']['retransmissions']['items'] if e['kind'] == fig}
            kept = rep['events']['retransmissions']
            c.ok(f.number in ours or kept['kept'] < kept['total'],
                 '%s: worst_frame %d is no %s retransmission of the events' % (what, f.number, fig))


# Where a timeline line may differ from tshark's reading of the same frame, and who is right:
#  - tcp.ack on a segment without the ACK flag: tshark shows the field relative anyway (a SYN's 0); the field
#    means nothing then (RFC 9293 3.1), we write null.
#  - tcp.window_size when a side's window scale is unknown (the handshake not captured): tshark shows the field
#    unscaled (its scale factor -1) and so do we; when the handshake shows that only one side offered scaling,
#    neither scales (RFC 7323 2.2), tshark included.
#  - a connection whose first packet is not a SYN: its sides' relative 0 is the sequence number before the
#    first byte each sent, or the ACK the other side sent first (packet-tcp.c's base_seq); both as tshark.
TIMELINE_EVENTS = ('handshake', 'retransmission-rto', 'retransmission-fast', 'retransmission-spurious',
                   'retransmission-pmtu', 'zero-window', 'reset', 'teardown')
FIN = 0x01


def check_timelines(c, rep, frames):
    """Each timeline line against tshark's reading of its frame: the time (frame.time_relative from the first
    packet, t0 + t to the nanosecond), the connection's addresses and ports in the line's direction, the flags,
    tcp.seq/tcp.ack/tcp.len relative as tshark shows them, the window; every line of a timeline in one tshark
    stream, the stream of the connection's first frame (a reused port pair gets its own connection's packets);
    the packet an event line points at is that event."""
    tl = rep['timelines']
    t0 = report_ts(tl['t0']) if tl['t0'] is not None else None
    if not frames:
        c.ok(not tl['items'], 'timelines of a capture tshark reads no frame of')
        return
    c.ok(t0 is None or t0 == frames[min(frames)].time(), 'timelines.t0 %s is not frame 1\'s time %s' % (
        t0, frames[min(frames)].time()))
    for it in tl['items']:
        flow = it['flow']
        what = 'timeline %d (%s:%s -> %s:%s)' % (it['id'], flow['src'], flow['sport'], flow['dst'], flow['dport'])
        first = check_frame(c, frames, what + ' first_frame', it['first_frame'], None, flow)
        stream = stream_of(shown(frames, first)) if first else None
        prev = 0
        for ln in it['lines']:
            w = '%s line frame %s' % (what, ln['frame'])
            fr = check_frame(c, frames, w, ln['frame'], t0 + report_ts(ln['t']) if t0 is not None else None, flow,
                             'same' if ln['from'] == 'client' else 'reverse')
            c.ok(ln['frame'] > prev, '%s: lines not in frame order' % w)
            prev = ln['frame']
            if not fr:
                continue
            fr = shown(frames, fr)  # a segment in IP fragments: tshark shows its TCP header where it reassembles
            c.ok(stream_of(fr) == stream, '%s: tshark stream %s, the connection\'s (frame %s) %s' % (
                w, stream_of(fr), it['first_frame'], stream))
            flags = fr.tcp_flags()
            names = {'FIN': 0x01, 'SYN': 0x02, 'RST': 0x04, 'PSH': 0x08, 'ACK': 0x10, 'URG': 0x20, 'ECE': 0x40,
                     'CWR': 0x80}
            ours = sum(names[x] for x in ln['flags'].split(', ') if x)
            c.ok(flags is not None and flags & 0xff == ours, '%s: flags %s, tshark 0x%03x' % (w, ln['flags'], flags or 0))
            c.ok(fr.num('tcp.seq') == ln['seq'], '%s: seq %s, tshark tcp.seq %s' % (w, ln['seq'], fr.num('tcp.seq')))
            if ln['ack'] is not None:
                c.ok(fr.num('tcp.ack') == ln['ack'], '%s: ack %s, tshark tcp.ack %s' % (w, ln['ack'], fr.num('tcp.ack')))
            else:
                c.ok(not (flags or 0) & ACK, '%s: ack null on a segment with ACK' % w)
            c.ok(fr.num('tcp.len') == ln['len'], '%s: len %s, tshark tcp.len %s' % (w, ln['len'], fr.num('tcp.len')))
            c.ok(fr.num('tcp.window_size') == ln['win'], '%s: win %s, tshark tcp.window_size %s' % (
                w, ln['win'], fr.num('tcp.window_size')))
            ev = ln['event']
            c.ok(ev in TIMELINE_EVENTS, '%s: event %r' % (w, ev))
            if ln['at_event']:
                c.ok(ln['event_frame'] == ln['frame'], '%s: at_event but event_frame %s' % (w, ln['event_frame']))
                if ev == 'reset':
                    c.ok((flags or 0) & RST, '%s: the reset line is no RST' % w)
                elif ev == 'zero-window':
                    c.ok(fr.num('tcp.window_size_value') == 0, '%s: the zero-window line has a window' % w)
                elif ev.startswith('retransmission'):
                    ok = {e['frame'] for e in rep['events']['retransmissions']['items']}
                    c.ok(ln['frame'] in ok, '%s: no retransmission event at this frame' % w)
            elif ev == 'handshake':
                c.ok(ln['event_frame'] is None, '%s: a handshake line with an event_frame' % w)
        hs = [ln for ln in it['lines'] if ln['event'] == 'handshake']
        if hs:
            c.ok((shown(frames, frames[hs[0]['frame']]).tcp_flags() or 0) & SYN, '%s: the handshake does not start with a SYN' % what)
        td = [ln for ln in it['lines'] if ln['event'] == 'teardown']
        if td:
            # it starts at a FIN or RST, which may be shown as its reset event's own line
            closing = [ln for ln in it['lines'] if ln['frame'] <= td[0]['frame'] and
                       (shown(frames, frames[ln['frame']]).tcp_flags() or 0) & (FIN | RST)]
            c.ok(closing, '%s: the teardown comes after no FIN or RST' % what)
    # the findings' flows point at the timeline of their own connection
    for f in rep['findings']:
        for d in f['flow_details']:
            if d['timeline'] is None:
                continue
            it = tl['items'][d['timeline']]
            ends = {(it['flow']['src'], it['flow']['sport']), (it['flow']['dst'], it['flow']['dport'])}
            src, dst = d['flow'].split(' -> ')
            got = {tuple(x.rsplit(':', 1)) for x in (src, dst)}
            got = {(a.strip('[]'), int(p)) for a, p in got}
            c.ok(got == ends, 'finding %s flow %s: timeline %d is %s' % (f['id'], d['flow'], d['timeline'], ends))


def check_time(c, rep, frames):
    t = rep.get('transactions', {})
    for it in t.get('items', []):
        what = 'exchange at %s' % it['request_ts']
        q = check_frame(c, frames, what + ' request_frame', it['request_frame'], report_ts(it['request_ts']), it['flow'], 'same')
        if q:
            c.ok((q.num('tcp.len') or 0) > 0, '%s: request_frame %d carries no data' % (what, q.number))
        if it['answered']:
            r = check_frame(c, frames, what + ' response_frame', it['response_frame'], None, it['flow'], 'reverse')
            if r and q:
                c.ok(r.number > q.number and (r.num('tcp.len') or 0) > 0,
                     '%s: response_frame %d is not data after the request %d' % (what, r.number, q.number))
        else:
            c.ok(it['response_frame'] is None, '%s: unanswered, but response_frame %s' % (what, it['response_frame']))
    for it in rep['tcp']['transfers']['items']:
        check_frame(c, frames, 'transfer at %s' % it['start_ts'], it['start_frame'], report_ts(it['start_ts']), it['flow'], 'same')
    cap = rep['capture']
    if cap.get('max_gap_frame'):
        n = cap['max_gap_frame']
        if c.ok(n - 1 in frames and n in frames, 'capture.max_gap_frame %d: no frames %d and %d' % (n, n - 1, n)):
            c.ok(abs(float(frames[n].time() - frames[n - 1].time()) - cap['max_gap_s']) < 2e-9,
                 'capture.max_gap_frame %d does not end a gap of %s s' % (n, cap['max_gap_s']))
    tm = rep['timing']
    if tm.get('largest_burst_start_frame'):
        fr = check_frame(c, frames, 'largest burst', tm['largest_burst_start_frame'])
        if fr:
            c.ok(abs(float(fr.time() - report_ts(cap['first_ts'])) - tm['largest_burst_start_s']) < 2e-6,
                 'largest burst: frame %d is not at %s s' % (fr.number, tm['largest_burst_start_s']))


# -------------------------------------------------------------------------------------- the sets, with tshark
# Our events and tshark's flags are the same frames (tshark's SYN retransmissions apart: they are no events of
# ours), except where the definitions differ; each difference is written here, with how many frames it makes in
# which capture, so that any other difference fails.  golden.py (EXPECTED) gives each capture's figures and the
# evidence behind them.
#
# A segment only we call a retransmission must be one tshark flags out-of-order: tshark calls a segment
# out-of-order when it comes less than the handshake's round trip after the highest one, also when it re-sends
# bytes (ANALYSES.md, "Retransmission vs out-of-order").
OURS_OOO = {
    'gen/icmp.pcap': (6, 'segments re-sent cut to the path MTU right after "packet too big" (pmtu retransmissions)'),
    'gen/mixed.pcapng': (3, 'fillers of holes the relay made by dropping (MANIFEST reorder=0/0)'),
    'gen/tcp-bulk-loss-client.pcap': (31, 'receiver view: each hole is filled one round trip after it opens '
                                          '(MANIFEST loss=39, reorder=0)'),
    'gen/tcp-bulk-loss-server.pcap': (38, 'sender view: the retransmissions leave less than the handshake RTT after '
                                          'the highest segment'),
    'real/nDPI__6in4tunnel.pcap': (2, 'frames 46-47 re-send bytes 1220-2618 cut to the tunnel MTU after the packet '
                                      'too big of frame 45'),
    # 13 copies of gen/ parts, one of them cut short: bulk-loss-client 31, icmp 6, mixed 3 each
    'large/large-131k.pcap': (519, 'the parts from gen/, as above'),
}
# Frames only tshark calls retransmissions: segments that fill a hole less than a round trip after it opened, which
# we count out of order (a reordered original or the copy that overtook it; tcp.out_of_order).
TSHARK_ONLY = {
    'gen/tcp-reorder.pcap': (24, 'the sender\'s fast retransmits that overtook their delayed originals (MANIFEST '
                                 'reorder=183, loss=0): they fill holes within 10.6 ms of the 20 ms RTT; the originals '
                                 'that follow are our 22 spurious retransmissions'),
    'real/nDPI__teams.pcap': (2, 'frames 73 and 1286 fill a hole 0.2 ms after it opened (iRTT 30 ms): reordering; '
                                 'tshark says fast because two duplicate ACKs came before'),
    'large/large-131k.pcap': (312, '13 copies of gen/tcp-reorder.pcap, as above'),
}


def tshark_sets(frames):
    rtx, rst, zw, dnserr, icmperr = set(), set(), set(), set(), set()
    for n, fr in frames.items():
        outer_icmp = fr.outer_icmp()
        fl = fr.tcp_flags()
        if fl is not None and not outer_icmp:
            if any(fr.has('tcp.analysis.' + k) for k in ('retransmission', 'fast_retransmission', 'spurious_retransmission')) \
                    and not fl & SYN:
                rtx.add(n)  # SYN retransmissions are no events of ours (tcp.syn_retransmissions counts them)
            if fl & RST:
                rst.add(n)
            if fr.has('tcp.analysis.zero_window'):
                zw.add(n)
        if not outer_icmp and fr.one('dns.flags.response') == '1' and fr.num('dns.flags.rcode') in (1, 2, 3, 4, 5):
            dnserr.add(n)
        if (fr.num('icmp.type') in (3, 11)) or (fr.num('icmpv6.type') in (1, 2, 3)):
            icmperr.add(n)
    return {'retransmissions': rtx, 'resets': rst, 'zero_windows': zw, 'dns_errors': dnserr, 'icmp_errors': icmperr}


def check_sets(c, name, rep, frames):
    theirs = tshark_sets(frames)
    for k, t in theirs.items():
        lst = rep['events'][k]
        ours = {e['frame'] for e in lst['items']}
        if lst['kept'] < lst['total']:
            t = {n for n in t if n <= max(ours)}  # the list is capped: compare up to its last item
        only_ours, only_theirs = ours - t, t - ours
        if k == 'zero_windows':
            only_theirs = set()  # ours is the first zero window of each episode, tshark flags every one
        want_ours, why_ours = (0, '')
        want_theirs, why_theirs = (0, '')
        if k == 'retransmissions':
            not_ooo = sorted(n for n in only_ours if not frames[n].has('tcp.analysis.out_of_order'))
            c.ok(not not_ooo, 'retransmissions only ours that tshark does not call out-of-order: %s' % not_ooo[:20])
            want_ours, why_ours = OURS_OOO.get(name, (0, ''))
            want_theirs, why_theirs = TSHARK_ONLY.get(name, (0, ''))
        c.ok(len(only_ours) == want_ours, '%s: %d frames only ours, %d expected%s: %s' % (
            k, len(only_ours), want_ours, ' (%s)' % why_ours if why_ours else '', sorted(only_ours)[:20]))
        c.ok(len(only_theirs) == want_theirs, '%s: %d frames only tshark flags, %d expected%s: %s' % (
            k, len(only_theirs), want_theirs, ' (%s)' % why_theirs if why_theirs else '', sorted(only_theirs)[:20]))


def judge(analyzer, path, name, sets=True):
    c = Checker(name)
    rc, rep, jerr, err = harness.analyze(analyzer, path, timeout=120, extra=['--max-events', '100000'])
    san = harness.sanitizer_report(err)
    if rc != 0 or rep is None or san:
        c.fail('analyze: %s %s %s %s' % (harness.describe_rc(rc), jerr or '', san or '', err.strip()[:300]))
        return c
    if harness.SANITIZE_ONLY:
        return c  # the normal run judges the frame numbers
    frames = tshark_frames(path)
    check_events(c, rep, frames)
    check_flows(c, rep, frames)
    check_time(c, rep, frames)
    check_timelines(c, rep, frames)
    if sets:
        check_sets(c, name, rep, frames)
    return c


# ------------------------------------------------------------------------------------ captures made here
C4, S4, D4 = '10.7.0.1', '10.7.0.2', '10.7.0.53'
T0 = 1700000000 * 10**9


class Story:
    """Writes packets and other records, counting Wireshark's frame numbers: marks[name] = frame number."""

    def __init__(self, path, kind):
        self.kind = kind
        self.n = 0          # frames so far, as Wireshark counts them
        self.packets = 0    # packet records (capture.packets)
        self.marks = {}
        if kind == 'pcapng':
            self.w = pw.PcapngWriter(path)
            self.w.add_interface(pw.DLT_EN10MB, nano=True)
            self.w.add_interface(147)  # LINKTYPE_USER0: not decoded
        else:
            self.w = pw.PcapWriter(path, pw.DLT_EN10MB, nano=True, big_endian=kind == 'pcap-be')

    def pkt(self, t, frame, mark=None, iface=0):
        if self.kind == 'pcapng':
            self.w.write_ns(T0 + int(round(t * 1e9)), frame, iface)
        else:
            self.w.write_ns(T0 + int(round(t * 1e9)), frame)
        self.n += 1
        self.packets += 1
        if mark:
            self.marks[mark] = self.n

    def block(self, btype, body, frame):
        """pcapng only: a block that is a frame for Wireshark or not."""
        if self.kind == 'pcapng':
            self.w._block(btype, body)
            self.n += frame

    def junk(self, t):
        """Records the engine does not analyse past the link layer, and in pcapng blocks around them."""
        ip = pw.ipv4(C4, S4, pw.udp(1, 2, b'x' * 20))
        self.pkt(t, pw.ether(pw.arp(1, pw.MAC_A, C4, '00:00:00:00:00:00', S4), ethertype=pw.ETH_ARP))
        self.block(4, struct.pack('<HH', 1, 8) + bytes([10, 7, 0, 1]) + b'a.t\0' + struct.pack('<HH', 0, 0), 0)
        self.pkt(t + 1e-6, pw.ether(b'\x02\x07\x04' + b'\0' * 40, ethertype=0x88cc))          # LLDP: not IP
        self.pkt(t + 2e-6, pw.ether(ip)[:20])                                                 # IPv4 header cut short
        self.pkt(t + 3e-6, pw.ether(b'\x42' + ip[1:]))                                        # IPv4 with IHL 2
        self.block(0xBAD, struct.pack('<I', 32473) + b'custom!!', 1)                         # a frame for Wireshark
        self.block(5, struct.pack('<III', 0, 0, 0) + struct.pack('<HH', 0, 0), 0)            # interface statistics
        if self.kind == 'pcapng':
            self.pkt(t + 4e-6, b'user0 record', iface=1)                                     # a link type not decoded
        self.block(9, b'__REALTIME_TIMESTAMP=1700000000000000\nMESSAGE=x\n\0\0', 1)        # systemd journal: a frame
        self.block(10, struct.pack('<II', 0x544c534b, 4) + b'abcd', 0)                       # decryption secrets

    def close(self):
        self.w.close()


def build_story(path, kind):
    s = Story(path, kind)
    e = pw.ether
    s.junk(0.0)
    c = pw.TcpFlow(C4, 40000, S4, 80)
    s.pkt(0.001, e(c.syn()), 'syn')
    s.junk(0.1)
    s.pkt(0.201, e(c.syn()))                              # the SYN again: a slow handshake (two SYNs, 220 ms)
    s.pkt(0.211, e(c.synack()))
    s.pkt(0.221, e(c.ack()), 'hs_ack')
    s.pkt(1.022, e(c.data(True, 100)), 'request')
    s.pkt(1.032, e(c.ack_only(False)))
    s.pkt(1.040, e(c.data(False, 1000)), 'response')
    s.pkt(1.050, e(c.ack_only(True)))
    seq = c.snext
    s.pkt(1.060, e(c.data(False, 1000)))
    s.junk(1.5)
    s.pkt(2.300, e(c.data(False, 1000, seq=seq, advance=False)), 'rto')   # not acknowledged for 1.24 s: RTO
    s.pkt(2.310, e(c.ack_only(True, win=0)), 'zero_window')
    s.junk(2.4)
    s.pkt(2.500, e(c.ack_only(True)))
    s.pkt(2.600, e(c.rst(True)), 'reset')
    s.pkt(3.000, e(pw.ipv4(C4, D4, pw.udp(33333, 53, pw.dns_query(7, 'nx.example.test')))), 'nx_query')
    s.junk(3.2)
    s.pkt(3.500, e(pw.ipv4(D4, C4, pw.udp(53, 33333, pw.dns_response(7, 'nx.example.test', 'NXDOMAIN')))),
          'nx_response')
    s.pkt(3.600, e(pw.ipv4(C4, D4, pw.udp(33334, 53, pw.dns_query(8, 'lost.example.test')))), 'unanswered')
    probe = pw.ipv4(C4, S4, pw.udp(40001, 9, b'probe'))
    s.pkt(4.000, e(probe))
    s.junk(4.001)
    s.pkt(4.002, e(pw.ipv4(S4, C4, pw.icmp(3, 3, payload=pw.icmp_error_quote(probe)))), 'icmp')
    lone = pw.TcpFlow(C4, 40002, S4, 81)
    s.pkt(4.500, e(lone.syn()), 'lone_syn')
    s.pkt(10.000, e(pw.arp(1, pw.MAC_A, C4, '00:00:00:00:00:00', S4), ethertype=pw.ETH_ARP), 'after_gap')
    s.close()
    return s


def expected_story(m, packets):
    """member -> the frame number it must be (m: the marks)."""
    conn = lambda r: next((w for w in r['flows']['worst'] if w['flow'].get('dport') == 80), {})  # noqa: E731
    lone = lambda r: next((w for w in r['flows']['worst'] if w['flow'].get('dport') == 81), {})  # noqa: E731
    first = lambda k, f='frame': lambda r: (r['events'][k]['items'] or [{}])[0].get(f)  # noqa: E731
    return [
        ('capture.packets', lambda r: r['capture']['packets'], packets),
        ('events.retransmissions[0].frame (RTO)', first('retransmissions'), m['rto']),
        ('events.retransmissions[0].kind', first('retransmissions', 'kind'), 'rto'),
        ('events.zero_windows[0].frame', first('zero_windows'), m['zero_window']),
        ('events.resets[0].frame', first('resets'), m['reset']),
        ('events.slow_handshakes[0].frame (ACK)', first('slow_handshakes'), m['hs_ack']),
        ('events.slow_handshakes[0].syn_frame', first('slow_handshakes', 'syn_frame'), m['syn']),
        ('events.failed_handshakes[0].frame (SYN)', first('failed_handshakes'), m['lone_syn']),
        ('events.dns_errors[0].frame', first('dns_errors'), m['nx_response']),
        ('events.dns_errors[0].query_frame', first('dns_errors', 'query_frame'), m['nx_query']),
        ('events.dns_slow[0].frame', first('dns_slow'), m['nx_response']),
        ('events.dns_slow[0].query_frame', first('dns_slow', 'query_frame'), m['nx_query']),
        ('events.dns_unanswered[0].frame', first('dns_unanswered'), m['unanswered']),
        ('events.icmp_errors[0].frame', first('icmp_errors'), m['icmp']),
        ('flows.worst[port 80].first_frame', lambda r: conn(r).get('first_frame'), m['syn']),
        ('flows.worst[port 80].worst_figure', lambda r: conn(r).get('worst_figure'), 'rto'),
        ('flows.worst[port 80].worst_frame', lambda r: conn(r).get('worst_frame'), m['rto']),
        ('flows.worst[port 80].max_idle_frame', lambda r: conn(r).get('max_idle_frame'), m['rto']),
        ('flows.worst[port 81].worst_figure', lambda r: lone(r).get('worst_figure'), 'unanswered_syn'),
        ('flows.worst[port 81].worst_frame', lambda r: lone(r).get('worst_frame'), m['lone_syn']),
        ('transactions.items[0].request_frame', lambda r: (r['transactions']['items'] or [{}])[0].get('request_frame'),
         m['request']),
        ('transactions.items[0].response_frame', lambda r: (r['transactions']['items'] or [{}])[0].get('response_frame'),
         m['response']),
        ('capture.max_gap_frame', lambda r: r['capture'].get('max_gap_frame'), m['after_gap']),
    ]


MADE = {'frames-le.pcap': 'pcap', 'frames-be.pcap': 'pcap-be', 'frames.pcapng': 'pcapng'}


def run_made(analyzer, names):
    failed = 0
    have_tshark = shutil.which('tshark') is not None
    with tempfile.TemporaryDirectory(prefix='pcapd-frames-') as td:
        for name in names or list(MADE):
            path = os.path.join(td, name)
            s = build_story(path, MADE[name])
            print('=== %s: %d frames for Wireshark, %d of them packets' % (name, s.n, s.packets))
            rc, rep, jerr, err = harness.analyze(analyzer, path)
            san = harness.sanitizer_report(err)
            if rc != 0 or rep is None or san:
                print('FAIL analyze: %s %s %s %s' % (harness.describe_rc(rc), jerr or '', san or '', err.strip()[:300]))
                failed += 1
                continue
            if harness.SANITIZE_ONLY:
                print('ok   no crash, no sanitizer report, valid JSON')
                continue
            for what, fn, want in expected_story(s.marks, s.packets):
                try:
                    got = fn(rep)
                except (KeyError, IndexError, TypeError) as e:
                    got = 'missing (%s)' % e
                ok = got == want
                failed += not ok
                print('%-4s %-44s ours=%-8s expected=%s' % ('ok' if ok else 'FAIL', what, got, want))
            if not have_tshark:
                print('SKIP tshark not installed: the expected numbers are not checked against Wireshark\'s')
                continue
            # the numbers counted above are Wireshark's: tshark shows those packets under them
            frames = tshark_frames(path)
            fr = lambda k: frames.get(s.marks[k])  # noqa: E731
            tchecks = [
                ('tshark reads as many frames', len(frames) == s.n),
                ('tshark: retransmission at the RTO mark', fr('rto') and fr('rto').has('tcp.analysis.retransmission')),
                ('tshark: zero window at its mark', fr('zero_window') and fr('zero_window').has('tcp.analysis.zero_window')),
                ('tshark: RST at its mark', fr('reset') and (fr('reset').tcp_flags() or 0) & RST),
                ('tshark: NXDOMAIN answers the query at its mark', fr('nx_response') and
                 fr('nx_response').num('dns.flags.rcode') == 3 and fr('nx_response').num('dns.response_to') == s.marks['nx_query']),
                ('tshark: ICMP port unreachable at its mark', fr('icmp') and fr('icmp').num('icmp.type') == 3),
                ('tshark: SYN at the lone SYN mark', fr('lone_syn') and fr('lone_syn').num('tcp.dstport') == 81),
            ]
            for what, ok in tchecks:
                failed += not ok
                print('%-4s %s' % ('ok' if ok else 'FAIL', what))
            c = judge(analyzer, path, name, sets=False)  # the corpus checks hold here too
            failed += c.failures
            print('%-4s %d corpus checks' % ('ok' if not c.failures else 'FAIL', c.checked))
    print('%d failures' % failed)
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--analyzer')
    ap.add_argument('--corpus')
    ap.add_argument('--list', action='store_true')
    ap.add_argument('--made', action='store_true')
    ap.add_argument('--workdir', default=os.path.join(os.getcwd(), 'frames-work'),
                    help='where the large capture is built when /tmp/corpus-large has none')
    ap.add_argument('names', nargs='*')
    o = ap.parse_args()
    if o.list:
        for x in harness.corpus_files(o.corpus, ('gen', 'real', 'latency')):
            print(x)
        return 0
    if not o.analyzer or not os.access(o.analyzer, os.X_OK):
        harness.skip('pcap-analyzer not built (%s)' % o.analyzer)
    if o.made:
        return run_made(o.analyzer, o.names)
    if not o.corpus or not os.path.isdir(o.corpus):
        harness.skip('corpus %s absent (needs ../shared beside the repository)' % o.corpus)
    if not shutil.which('tshark'):
        harness.skip('tshark not installed (apt-get install tshark): the frames are judged against it')
    failed = 0
    for name in o.names:
        if name == 'large/large-131k.pcap':
            import golden  # noqa: E402 (its large capture: /tmp/corpus-large, else built by make-large.sh)
            path = golden.large_capture(o.corpus, o.workdir)
            if path is None:
                failed += 1
                continue
        else:
            path = name if os.path.isabs(name) else os.path.join(o.corpus, name)
        if not os.path.exists(path):
            print('FAIL %s: missing' % path)
            failed += 1
            continue
        c = judge(o.analyzer, path, name)
        print('%-4s %s: %d checks, %d failed' % ('ok' if not c.failures else 'FAIL', name, c.checked, c.failures))
        failed += c.failures
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
