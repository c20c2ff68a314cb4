#!/usr/bin/env python3
"""Golden test: pcap-analyzer's report on corpus captures against tshark's truth files and MANIFEST.txt.

Usage: golden.py --analyzer BIN --corpus DIR CAPTURE...   (CAPTURE = gen/x.pcap or real/y.pcapng)
       golden.py --list --corpus DIR                       (prints the captures, one per line)
Exit 0 all checks pass, 1 a check failed, 77 corpus or analyzer missing.

Every figure of issue 2 is compared with its tshark counterpart.  Where we differ from tshark on purpose,
the entry in EXPECTED below gives OUR value and the reason; the check then demands our value (so it can
still fail).  Nothing is skipped silently: every entry has a written reason.
"""
import argparse
import json
import os
import re
import sys
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import MISSING  # noqa: E402


class Exact:
    def __init__(self, v):
        self.v = v

    def ok(self, x):
        return x == self.v

    def __str__(self):
        return harness.fmt(self.v)


class Range:
    """lo <= x <= hi (None = unbounded)."""

    def __init__(self, lo=None, hi=None):
        self.lo, self.hi = lo, hi

    def ok(self, x):
        if not isinstance(x, (int, float)) or isinstance(x, bool):
            return False
        return (self.lo is None or x >= self.lo) and (self.hi is None or x <= self.hi)

    def __str__(self):
        return '[%s..%s]' % ('' if self.lo is None else harness.fmt(self.lo), '' if self.hi is None else harness.fmt(self.hi))


class Near:
    """|x - v| <= abs_tol + rel * |v| (times)."""

    def __init__(self, v, abs_tol=0.0, rel=0.0):
        self.v, self.abs_tol, self.rel = v, abs_tol, rel

    def ok(self, x):
        if not isinstance(x, (int, float)) or isinstance(x, bool):
            return False
        return abs(x - self.v) <= self.abs_tol + self.rel * abs(self.v) + 1e-12

    def __str__(self):
        t = []
        if self.abs_tol:
            t.append('%g' % self.abs_tol)
        if self.rel:
            t.append('%g%%' % (self.rel * 100))
        return '%s±%s' % (harness.fmt(self.v), '+'.join(t) or '0')


class NoSamples:
    """A min/p50/p95/max object with no sample (null members or count 0)."""

    def ok(self, x):
        return isinstance(x, dict) and (x.get('count') == 0 or all(x.get(k) is None for k in ('min', 'p50', 'p95', 'max')))

    def __str__(self):
        return 'no samples'


class Stats:
    """A min/p50/max object (ms) equal to given values within 1.5 us."""

    def __init__(self, mn, p50, mx):
        self.v = (mn, p50, mx)

    def ok(self, x):
        if not isinstance(x, dict):
            return False
        try:
            return all(abs(x[k] - v) <= 0.0015 for k, v in zip(('min', 'p50', 'max'), self.v))
        except (KeyError, TypeError):
            return False

    def __str__(self):
        return 'min/p50/max=%s/%s/%s' % self.v


class AnyOf:
    """Any of several expectations (where two definitions are both defensible; the reason names them)."""

    def __init__(self, *alts):
        self.alts = alts

    def ok(self, x):
        return any(a.ok(x) for a in self.alts)

    def __str__(self):
        return ' or '.join(str(a) for a in self.alts)


class NotCompared:
    """The figure has no comparable tshark counterpart here; the reason says why. Only checks it is present."""

    def ok(self, x):
        return x is not MISSING

    def __str__(self):
        return '(present)'


# ---------------------------------------------------------------------------------------------------------
# Our definitions, where they differ from the truth file's (see the truth's "definitions" object).
#
# protocols.<name>.packets: ours counts a frame under its OUTER transport (lib/engine/stats.c): an ICMP
# error is an ICMP packet, the TCP/UDP header it quotes is not a TCP/UDP packet of its own (it is not
# traffic of that flow).  So tcp/udp/icmp/icmpv6 are compared with truth.outer_transport_packets (tshark's
# first transport layer of each frame); ipv4/ipv6/arp with truth.protocol_packets (any layer: a 6in4
# frame is both).  'any' would compare everything with protocol_packets.
PROTOCOL_LAYERS = 'outer'
PROTOCOL_TRUTH_KEY = {'ipv4': 'ip', 'ipv6': 'ipv6', 'tcp': 'tcp', 'udp': 'udp', 'icmp': 'icmp', 'icmpv6': 'icmpv6',
                      'arp': 'arp', 'dns': 'dns'}

# ---------------------------------------------------------------------------------------------------------
# Expected differences: (capture, member) -> (OUR expected value, reason).  The check demands our value.
# Each entry was checked packet by packet (tshark -V, tcpdump); the REASON says who is right and why.
R_SENDER_OOO = ('sender view: tshark calls a retransmission "out-of-order" when it follows the previous segment '
                'within the handshake RTT; the sender emitted these 39 segments twice (same seq and length as an '
                'earlier segment, seq below the highest seq sent) and MANIFEST says the relay dropped exactly 39 '
                'server->client segments and reordered none')
R_RCV_LOSS = ('receiver view: each of the 39 holes (tshark lost_segment=39 = MANIFEST loss=39) is filled 20.0-22.4 ms '
              'after it opened, i.e. after one RTT (the duplicate ACK travels to the sender, the retransmission '
              'comes back; IP IDs confirm all 39 fillers were sent after everything seen before them); tshark calls '
              '31 of them out-of-order, but the relay reordered nothing (MANIFEST reorder=0)')
R_RST_IRTT = ('tshark sets tcp.analysis.initial_rtt on the RST/ACK that answers a SYN to a closed port, so it counts '
              'refused connections as handshakes; ours counts a handshake only when SYN, SYN/ACK and ACK were seen '
              '(values = tshark iRTT over the streams that have a SYN/ACK)')
R_ICMP_STREAM = 'tshark gives a TCP header quoted in an ICMP error its own tcp.stream; it is not a connection'
R_FIRST_FRAG = ('the DNS answer is fragmented: ours times the response at its first fragment (the one with the DNS '
                'header; the engine does not reassemble IP), tshark at the last (reassembly). tshark is more exact, '
                'the difference is the serialisation of the other fragments (< 0.05 ms)')
R_DNS_RETRY = ('a query repeated with the same id and 5-tuple (client retry after a timeout) is one transaction for '
               'ours: answered when the retry is answered, response time counted from the FIRST transmission (the '
               'time the client waited), repeats counted in dns.repeated_queries; tshark matches the answer to the '
               'last transmission and counts the earlier one as unanswered')
R_CAPTURE_DUP = ('capture duplicate (issue 11, part 6): frame %s repeats frame %s byte for byte with the same IPv4 '
                 'identification, %s later; a host that sends a datagram again gives it a new identification, so '
                 'this is the capture seeing the packet twice (SPAN/bridge), not the network: ours counts it in '
                 'capture.duplicates and leaves it out of every flow, DNS and talker figure; tshark counts it again '
                 '(protocols, the file hierarchy, still counts every frame, as tshark)')
R_MCAST_NAMES = ('ours counts mDNS (5353) and LLMNR (5355) as DNS, like the truth\'s dns.queries definition; tshark\'s '
                 'protocol column calls those frames "mdns"/"llmnr", not "dns"')
R_DATA_RTT_ONLY = ('tcp.rtt_ms is data -> ACK only (Karn: no sample from a retransmitted segment); tshark\'s ack_rtt '
                   'samples here all come from the SYN, SYN/ACK or a retransmitted segment')
R_RECEIVER_REORDER = ('25% of server->client packets skipped the relay\'s 10 ms delay line (MANIFEST reorder=183, '
                      'loss=0): 499 holes are filled 0.4-10.6 ms after they open (less than the 20.3 ms RTT), so they '
                      'are reordered originals, not retransmissions; only the sender\'s spurious fast retransmits '
                      '(tshark: 24 fast + 22 duplicates of them) are retransmissions')
EXPECTED = {
    # --- gen/: the generator's record decides (MANIFEST.txt)
    ('gen/tcp-bulk-loss-server.pcap', 'tcp.retransmissions'): (Exact(39), R_SENDER_OOO),
    ('gen/tcp-bulk-loss-server.pcap', 'tcp.out_of_order'): (Exact(0), R_SENDER_OOO),
    ('gen/tcp-bulk-loss-server.pcap', 'tcp.fast_retransmissions'): (
        Exact(39), 'every retransmission follows duplicate ACKs with SACK blocks above it, within one RTT of the '
        'original (a timeout would take >= 200 ms; the transfer lasts 0.32 s); tshark cannot call them fast because '
        'it calls 38 of them out-of-order'),
    ('gen/tcp-bulk-loss-client.pcap', 'tcp.retransmissions'): (Exact(39), R_RCV_LOSS),
    ('gen/tcp-bulk-loss-client.pcap', 'tcp.out_of_order'): (Exact(0), R_RCV_LOSS),
    ('gen/tcp-bulk-loss-client.pcap', 'tcp.fast_retransmissions'): (
        Range(31, 39), 'tshark flags only 8 fillers as retransmissions at all (see tcp.out_of_order); each filler '
        'follows duplicate ACKs, so at least the 31 tshark misnames are fast ones'),
    ('gen/tcp-reorder.pcap', 'tcp.out_of_order'): (Range(400, 521), R_RECEIVER_REORDER),
    ('gen/tcp-reorder.pcap', 'tcp.retransmissions'): (Range(0, 46), R_RECEIVER_REORDER),
    ('gen/tcp-reorder.pcap', 'tcp.fast_retransmissions'): (Range(0, 46), R_RECEIVER_REORDER),
    ('gen/tcp-reorder.pcap', 'tcp.spurious_retransmissions'): (Range(0, 46), R_RECEIVER_REORDER),
    ('gen/tcp-reorder.pcap', 'tcp.lost_segments'): (
        Exact(0), 'MANIFEST loss=0/0: the 141 holes tshark calls "previous segment not captured" were all filled by '
        'the delayed originals within 10.6 ms; a hole filled by reordering is not a loss (no false alarm)'),
    ('gen/icmp.pcap', 'tcp.retransmissions'): (
        Exact(24), 'after "fragmentation needed" / "packet too big" the senders re-send 12 + 12 segments in smaller '
        'pieces: 24 segments below the highest sequence sent, no hole ever seen at the capture point (the big '
        'originals are captured before the 1280-MTU hop drops them); tshark calls 6 of these out-of-order'),
    ('gen/icmp.pcap', 'tcp.out_of_order'): (Exact(0), 'relay reorder=0; no hole ever opens in this capture (see '
                                                       'tcp.retransmissions)'),
    ('gen/mixed.pcapng', 'tcp.retransmissions'): (
        Exact(8), '8 holes (the relay lost 10 server->client frames) each filled once by a retransmission; tshark '
        'calls 3 of the fillers out-of-order although the relay reordered nothing (reorder=0/0)'),
    ('gen/mixed.pcapng', 'tcp.fast_retransmissions'): (
        Exact(8), 'each filler follows duplicate ACKs / SACK blocks above it (see tcp.retransmissions)'),
    ('gen/mixed.pcapng', 'tcp.out_of_order'): (Exact(0), 'relay reorder=0/0 (see tcp.retransmissions)'),
    ('gen/mixed.pcapng', 'tcp.handshakes.completed'): (Exact(19), R_RST_IRTT),
    ('gen/mixed.pcapng', 'tcp.handshakes.rtt_ms'): (Stats(23.609, 30.817, 36.711), R_RST_IRTT),
    ('gen/ipv6.pcap', 'tcp.handshakes.completed'): (Exact(6), R_RST_IRTT),
    ('gen/ipv6.pcap', 'tcp.handshakes.rtt_ms'): (Stats(2.29, 2.387, 2.65), R_RST_IRTT),
    ('gen/tcp-rst.pcap', 'tcp.handshakes.completed'): (Exact(3), R_RST_IRTT),
    ('gen/tcp-rst.pcap', 'tcp.handshakes.rtt_ms'): (Stats(1.363, 1.372, 1.406), R_RST_IRTT),
    ('gen/tcp-syn-retrans.pcap', 'tcp.handshakes.rtt_ms'): (
        AnyOf(Stats(1.575, 1.6515, 1.728), NoSamples()),
        'both completed handshakes (port 8082) lost their first SYN and connected on the retransmitted one, 1 s '
        'later: the RTT is SYN(last) -> ACK = 1.6 ms as tshark says, or no sample at all (Karn: a retransmitted '
        'SYN makes the sample ambiguous); 1008 ms is the connect time, reported by the slow-handshake finding'),
    ('gen/dns.pcap', 'protocols.dns.packets'): (Exact(42), R_MCAST_NAMES + ' (one mDNS query to port 5353)'),
    ('gen/ip-frag.pcap', 'dns.response_time_ms'): (Stats(1.772, 1.772, 1.772), R_FIRST_FRAG),
    # --- real/
    ('real/chrissanders__tcp_refuseconnection.pcapng', 'tcp.handshakes.completed'): (Exact(0), R_RST_IRTT),
    ('real/chrissanders__tcp_refuseconnection.pcapng', 'tcp.handshakes.rtt_ms'): (NoSamples(), R_RST_IRTT),
    ('real/nDPI__synscan.pcap', 'tcp.handshakes.completed'): (Exact(0), R_RST_IRTT + ' (a SYN scan: no handshake completes)'),
    ('real/nDPI__synscan.pcap', 'tcp.handshakes.rtt_ms'): (NoSamples(), R_RST_IRTT),
    ('real/nDPI__tcp_scan.pcapng', 'tcp.handshakes.completed'): (Exact(2), R_RST_IRTT),
    ('real/nDPI__tcp_scan.pcapng', 'tcp.handshakes.rtt_ms'): (Stats(1.178, 1.226, 1.274), R_RST_IRTT),
    ('real/chrissanders__tcp_handshake.pcapng', 'tcp.rtt_ms'): (NoSamples(), R_DATA_RTT_ONLY),
    ('real/chrissanders__tcp_refuseconnection.pcapng', 'tcp.rtt_ms'): (NoSamples(), R_DATA_RTT_ONLY),
    ('real/tcpdump__tcp-handshake-nano.pcap', 'tcp.rtt_ms'): (NoSamples(), R_DATA_RTT_ONLY),
    ('real/zeek__timeout-with-pings.pcap', 'tcp.rtt_ms'): (NoSamples(), R_DATA_RTT_ONLY),
    ('real/nDPI__synscan.pcap', 'tcp.rtt_ms'): (NoSamples(), R_DATA_RTT_ONLY),
    ('real/nDPI__tcp_scan.pcapng', 'tcp.rtt_ms'): (NoSamples(), R_DATA_RTT_ONLY),
    ('real/chrissanders__tcp_dupack.pcapng', 'tcp.rtt_ms'): (
        NoSamples(), 'the only ACK of data (frame 9) acknowledges frame 8, a retransmission of seq 1: Karn\'s rule'),
    ('real/nDPI__6in4tunnel.pcap', 'tcp.connections'): (Exact(5), R_ICMP_STREAM + ' (frame 45)'),
    ('real/nDPI__6in4tunnel.pcap', 'tcp.retransmissions'): (
        Exact(2), 'stream 1: frame 45 is an ICMPv6 packet too big (MTU 1460, the 6in4 tunnel); frames 46-47 re-send '
        'bytes 1220-2618 (first sent in frame 36) cut to the new size, 1388 + 10: retransmissions seen at the '
        'sender, not out-of-order segments as tshark says'),
    ('real/nDPI__6in4tunnel.pcap', 'tcp.fast_retransmissions'): (
        Exact(0), 'see tcp.retransmissions: caused by the packet-too-big (tcp.pmtu_retransmissions), not by the SACK'),
    ('real/nDPI__6in4tunnel.pcap', 'tcp.out_of_order'): (Exact(0), 'see tcp.retransmissions'),
    ('real/nDPI__teams.pcap', 'tcp.retransmissions'): (
        Exact(3), 'streams 3 and 37: segments 1 and 1441 arrive 0.2 ms after the later segments 2881/4321, 30 ms '
        'before a retransmission could (iRTT 30 ms): network reordering. tshark calls frames 73 and 1286 fast '
        'retransmissions because two duplicate ACKs preceded them'),
    ('real/nDPI__teams.pcap', 'tcp.fast_retransmissions'): (Exact(0), 'see tcp.retransmissions'),
    ('real/nDPI__teams.pcap', 'tcp.spurious_retransmissions'): (
        Exact(2), 'two of the 3 retransmissions are answered by a D-SACK (a SACK block at or below the cumulative '
        'ACK, RFC 2883): the receiver reports it got them twice, so they were needless; tshark does not read '
        'D-SACKs'),
    ('real/nDPI__teams.pcap', 'tcp.out_of_order'): (Exact(24), 'see tcp.retransmissions: 22 + frames 73, 1286'),
    ('real/nDPI__teams.pcap', 'tcp.duplicate_acks'): (
        Exact(18), 'frame 910 repeats ACK 4016 while the peer has nothing outstanding (all its data acknowledged): not a '
        'duplicate ACK by RFC 5681 section 2; tshark counts it'),
    ('real/nDPI__teams.pcap', 'dns.unanswered'): (Exact(0), R_DNS_RETRY),
    ('real/nDPI__teams.pcap', 'tcp.lost_segments'): (
        Exact(0), 'all 18 holes tshark flags "previous segment not captured" (first server segment after the '
        'handshake overtaken by the next ones, e.g. stream 8 frames 272/273) are filled 0.03-0.4 ms later by the '
        'missing segment itself: reordering (counted in tcp.out_of_order), nothing was lost'),
    ('real/tcpdump__ssh.pcap', 'tcp.fast_retransmissions'): (
        Exact(0), 'frame 49 is sent 0.12 ms after the duplicate ACK 48 that carries a SACK block above 5186 (a '
        'SACK-triggered retransmission), but frame 54 answers it with the D-SACK 5186:5283 at or below its '
        'cumulative ACK (RFC 2883): the receiver got those bytes twice, so the retransmission was spurious'),
    ('real/tcpdump__ssh.pcap', 'tcp.spurious_retransmissions'): (
        Exact(1), 'see tcp.fast_retransmissions: the D-SACK of frame 54 (tshark does not read D-SACKs)'),
    ('real/tcpdump__ssh.pcap', 'tcp.duplicate_acks'): (
        Exact(1), 'frame 54 repeats ACK 5283 when the client has nothing outstanding: not a duplicate ACK (RFC 5681)'),
    ('real/zeek__retransmit-fast009.pcap', 'tcp.fast_retransmissions'): (
        Exact(3), 'frames 34 and 36 are sent 0.06 ms after duplicate ACKs whose SACK blocks (21451-22881, 14301-18591) '
        'show the hole 18591-21451: SACK-based fast recovery; tshark only calls a retransmission fast when its '
        'sequence number equals the duplicated ACK'),
    ('real/nDPI__ip_fragmented_garbage.pcap', 'tcp.connections'): (
        Exact(0), 'the 4 TCP headers exist only after IP reassembly (first fragments carry 16 bytes of TCP); the engine '
        'does not reassemble, and the reassembled headers are garbage (flags R, E, U, F, S together)'),
    ('real/nDPI__ip_fragmented_garbage.pcap', 'tcp.syn_ack'): (Exact(0), 'see tcp.connections: flags of reassembled garbage'),
    ('real/nDPI__ip_fragmented_garbage.pcap', 'tcp.fin'): (Exact(0), 'see tcp.connections: flags of reassembled garbage'),
    ('real/zeek__fragmented-1.pcap', 'protocols.udp.packets'): (
        Exact(2), 'two first fragments (offset 0) of datagram id 0xf2, each carrying a UDP header; tshark shows UDP once'),
    ('real/zeek__linux_dlt_sll2.pcap', 'protocols.arp.packets'): (
        Exact(1), 'frame 6 is RARP (ethertype 0x8035); tshark\'s "arp" protocol includes RARP, ours counts it non-IP'),
    ('real/zeek__icmp-destunreach-udp.pcap', 'protocols.dns.packets'): (
        Exact(0), 'the only DNS header is quoted inside an ICMP port unreachable: not a DNS packet'),
    ('real/zeek__wikipedia.pcap', 'protocols.dns.packets'): (Exact(40), R_MCAST_NAMES + ' (12 frames)'),
    ('real/zeek__wikipedia.pcap', 'dns.unanswered'): (
        Exact(6), R_DNS_RETRY + '; 24 queries = 20 transactions (4 repeats), 14 answered, 6 unanswered (all 6 to '
        'multicast groups, also reported as dns.unanswered_multicast)'),
    ('real/nDPI__dns_fragmented.pcap', 'dns.unanswered'): (Exact(0), R_DNS_RETRY),
    ('real/nDPI__dns_fragmented.pcap', 'dns.response_time_ms'): (
        Stats(0.263, 11.36, 5010.515), R_DNS_RETRY + ' (max: answered 5.01 s after the first query); min: ' + R_FIRST_FRAG),
    ('real/zeek__ipv6-fragmented-dns.pcap', 'dns.unanswered'): (Exact(0), R_DNS_RETRY),
    ('real/zeek__ipv6-fragmented-dns.pcap', 'dns.response_time_ms'): (
        Stats(79.3, 2581.319, 5083.338), R_DNS_RETRY + ' (5.08 s after the first query)'),
}

# The 131k-packet capture of make-large.sh: 13 time-shifted copies of gen/ (without tcp-bulk-loss-server), cut at
# 131,000 packets and at 448 bytes per frame.  Its figures are the sums of the parts' figures (each part is
# judged above), so ours differs from tshark by about 13 x the per-part differences, plus two snaplen effects.
LARGE = 'large/large-131k.pcap'
R_L_SUM = ('13 copies of the gen/ parts: per copy ours - tshark = bulk-loss-client %s, icmp %s, mixed %s, reorder %s '
           '(see those captures), x13, minus the part of copy 13 beyond packet 131,000')
R_L_SNAP = ('frames are cut at 448 bytes: tshark cannot reassemble the IPv4/IPv6 fragments of ip-frag.pcap (4 UDP '
            'datagrams and 6 ICMPv6 echoes per copy) and then shows no UDP/ICMPv6 layer; ours counts each datagram '
            'at its first fragment')
R_L_DNS = ('corpus README: tshark mis-parses 13 DNS-over-TCP answers cut by the snaplen as responses with rcode 12; '
           'ours stops at the cut')
EXPECTED.update({
    ('real/zeek__dns-two-responses.pcap', 'dns.responses'): (Exact(1), R_CAPTURE_DUP % (3, 2, '88 us')),
    ('real/zeek__dns-two-responses.pcap', 'dns.rcodes'): (Exact({'NOERROR': 1}), R_CAPTURE_DUP % (3, 2, '88 us')),
    ('real/zeek__dns-two-responses.pcap', 'talkers.hosts[222.195.43.124].packets_sent'): (
        Exact(1), R_CAPTURE_DUP % (3, 2, '88 us')),
    ('real/tcpdump__afs.pcap', 'talkers.hosts[131.151.32.91].packets_sent'): (
        Exact(3), R_CAPTURE_DUP % ('7, 18 and 283', '6, 17 and 282', '15-36 us')),
    (LARGE, 'protocols.udp.packets'): (Exact(887 + 52), R_L_SNAP),
    (LARGE, 'protocols.icmpv6.packets'): (Exact(754 + 78), R_L_SNAP),
    (LARGE, 'icmp.messages'): (Exact(1694 + 78), R_L_SNAP),
    (LARGE, 'tcp.retransmissions'): (Range(1299 + 200, 1299 + 208), R_L_SUM % ('+31', '+6', '+3', '-24')),
    (LARGE, 'tcp.fast_retransmissions'): (Range(468 + 136, 468 + 143), R_L_SUM % ('+31', '0', '+4', '-24')),
    (LARGE, 'tcp.out_of_order'): (Range(6694 - 208, 6694 - 200), R_L_SUM % ('-31', '-6', '-3', '+24')),
    (LARGE, 'tcp.handshakes.completed'): (Exact(962), R_RST_IRTT + ' (7 refused per copy: tcp-rst 5, ipv6 1, mixed 1)'),
    (LARGE, 'tcp.handshakes.rtt_ms'): (
        AnyOf(Stats(0.719, 1.8255, 81.041), Stats(0.719, 2.0935, 81.041)),
        R_RST_IRTT + '; the 26 handshakes whose SYN was retransmitted count from the last SYN (tshark) or not at all '
        '(Karn), see gen/tcp-syn-retrans.pcap'),
    (LARGE, 'icmp.types (ICMPv6, "v6:")'): (
        Exact({'1/4': 26, '128/0': 65 + 39, '129/0': 39 + 39, '133/0': 52, '135/0': 117, '136/0': 104, '143/0': 65,
               '2/0': 260, '3/0': 26}), R_L_SNAP + ': 3 fragmented echo requests and replies per copy'),
    (LARGE, 'tcp.lost_segments'): (
        Exact(2442 - 13 * 141), 'tshark counts the 141 holes per copy of tcp-reorder.pcap that the delayed originals '
        'fill (see gen/tcp-reorder.pcap: loss=0); the rest, bulk-loss-client 39 and mixed 8 per copy, are losses'),
    (LARGE, 'dns.responses'): (Exact(348 - 13), R_L_DNS),
    (LARGE, 'dns.rcodes'): (Exact({'NOERROR': 206, 'NXDOMAIN': 65, 'REFUSED': 26, 'SERVFAIL': 38}), R_L_DNS),
    (LARGE, 'dns.response_time_ms'): (
        Stats(1.772, 4.493, 287.24), 'min: the fragmented 1.6 kB answer of ip-frag.pcap, which tshark cannot reassemble '
        'at 448 bytes (and ' + R_FIRST_FRAG + '), 13 per copy; p50/max: as tshark within 1.5 us (ours has 26 more samples: these 13 and the 13 DNS-over-TCP answers tshark mis-parses)'),
})
# Findings the large capture must show (its parts hold these problems) and the only ones it may show.
LARGE_FINDINGS_NEEDED = {'tcp-loss': 'bulk-loss / mixed: 2% and 1% loss', 'tcp-reorder': 'tcp-reorder.pcap',
                         'tcp-zero-window': 'tcp-zerowindow.pcap',
                         'dns-errors': 'dns.pcap: SERVFAIL/REFUSED', 'dns-timeouts': 'dns.pcap: unanswered queries'}
LARGE_FINDINGS_ALLOWED = set(LARGE_FINDINGS_NEEDED) | {
    'tcp-high-rtt', 'network-latency',  # tcp-delay.pcap: +80 ms (one or the other, see GEN_FINDINGS)
    'transfer-receiver-window',  # tcp-zerowindow.pcap: the receiver's window held the transfer back
    'tcp-no-answer',       # tcp-syn-retrans: port 8081 never answers
    'tcp-slow-handshake',  # tcp-syn-retrans: port 8082 first SYN lost
    'tcp-refused',         # tcp-rst: closed port 81
    'tcp-aborted',         # tcp-rst: abortive closes after data
    'dns-slow',            # dns.pcap: 250 ms answers
    'dns-nxdomain',        # dns.pcap
    'icmp-unreachable',    # icmp.pcap, dns.pcap closed port 5353
    'icmp-time-exceeded',  # icmp.pcap
    'pmtu',                # icmp.pcap, ipv6.pcap: frag-needed / packet too big
}


def large_checks(rep, report_bytes):
    res = []
    f = harness.get(rep, 'findings')
    ids = [x.get('id') for x in f] if isinstance(f, list) else []
    for need_id, why in LARGE_FINDINGS_NEEDED.items():
        res.append(('findings has ' + need_id, need_id in ids, True, 'ok' if need_id in ids else 'FAIL', why))
    lat = bool(set(ids) & {'tcp-high-rtt', 'network-latency'})
    res.append(('findings has tcp-high-rtt or network-latency', lat, True, 'ok' if lat else 'FAIL',
                'tcp-delay.pcap: +80 ms'))
    extra = sorted(set(i for i in ids if i not in LARGE_FINDINGS_ALLOWED))
    res.append(('findings outside the generated problems', extra, [], 'ok' if not extra else 'FAIL',
                'issue 2: the findings must be the problems its parts really hold, and nothing else'))
    res.append(('report size', report_bytes, '< 4 MB', 'ok' if report_bytes < 4 << 20 else 'FAIL',
                'issue 2: the report of the 131k capture stays under a few MB'))
    rto = harness.get(rep, 'tcp.rto_retransmissions')
    res.append(('tcp.rto_retransmissions', rto, Exact(0), 'ok' if rto == 0 else 'FAIL',
                'no part waits for a retransmission timeout (all losses are repaired by fast retransmit)'))
    return res


def large_capture(corpus, workdir):
    """The 131k capture: /tmp/corpus-large/large-131k.pcap when it is the right file, else built into workdir."""
    import hashlib
    import shutil
    import subprocess
    want = '7772422d9adf9c61a5b286907511ef3275f5991c3919bfed28950a6c8691e557'
    for p in ('/tmp/corpus-large/large-131k.pcap', os.path.join(workdir, 'large-131k.pcap')):
        if os.path.exists(p) and os.path.getsize(p) == 26226573:
            h = hashlib.sha256()
            with open(p, 'rb') as fo:
                for chunk in iter(lambda: fo.read(1 << 20), b''):
                    h.update(chunk)
            if h.hexdigest() == want:
                return p
    if not shutil.which('editcap'):
        harness.skip('editcap missing (apt-get install wireshark-common): cannot build the large capture')
    out = os.path.join(workdir, 'large-131k.pcap')
    os.makedirs(workdir, exist_ok=True)
    r = subprocess.run(['bash', os.path.join(corpus, 'make-large.sh'), '--out', out], capture_output=True, text=True)
    if r.returncode != 0 or not os.path.exists(out):
        print('FAIL make-large.sh: ' + r.stderr[-500:])
        sys.exit(1)
    return out


# Per capture members not compared at all, with the reason (kept small; every entry is a decision).
NOT_COMPARED = {}


def stats_check(results, cap, member, ours, truth_stats, count_truth, rel_p50=0.05):
    """min/p50/max of ours (ms) against tshark's min/median/max (s); p95 only checked for order."""
    if (cap, member) in EXPECTED:
        exp, reason = EXPECTED[(cap, member)]
        shown = {k: ours.get(k) for k in ('min', 'p50', 'max')} if isinstance(ours, dict) else ours
        results.append((member, shown, exp, 'ok(diff)' if exp.ok(ours) else 'FAIL', reason))
        return
    if truth_stats is None:
        # tshark has no sample: ours must have none either (null / missing members / count 0).
        vals = [harness.get(ours, k) for k in ('min', 'p50', 'max')] if isinstance(ours, dict) else []
        ok = ours is None or (isinstance(ours, dict) and all(v is None or v is MISSING for v in vals)) or \
            (isinstance(ours, dict) and harness.get(ours, 'count') == 0)
        results.append((member, ours if not isinstance(ours, dict) else {k: ours.get(k) for k in ('min', 'p50', 'max')},
                        'no samples', 'ok' if ok else 'FAIL', ''))
        return
    if not isinstance(ours, dict):
        results.append((member, ours, 'min/p50/p95/max object', 'FAIL', 'missing or not an object'))
        return
    tmin, tmed, tmax = truth_stats['min'] * 1e3, truth_stats['median'] * 1e3, truth_stats['max'] * 1e3
    for k, exp in (('min', Near(tmin, abs_tol=0.0015, rel=0.001)), ('p50', Near(tmed, abs_tol=0.0015, rel=rel_p50)),
                   ('max', Near(tmax, abs_tol=0.0015, rel=0.001))):
        key = (cap, member + '.' + k)
        reason = ''
        if key in EXPECTED:
            exp, reason = EXPECTED[key]
        v = ours.get(k, MISSING)
        results.append((member + '.' + k, v, exp, ('ok' if not reason else 'ok(diff)') if exp.ok(v) else 'FAIL', reason))
    p95 = ours.get('p95', MISSING)
    vals = [ours.get(k) for k in ('min', 'p50', 'p95', 'max')]
    ordered = all(isinstance(v, (int, float)) for v in vals) and vals == sorted(vals)
    results.append((member + '.p95', p95, 'min<=p50<=p95<=max', 'ok' if ordered else 'FAIL', ''))


def rtt_bounds_check(results, cap, member, ours, truth_stats):
    """tcp.rtt_ms against tshark's tcp.analysis.ack_rtt.  Not the same sample set: tshark takes a sample from
    every ACK that acknowledges a segment (SYN and FIN included, retransmitted segments included), ours only
    data -> ACK samples of segments sent once (Karn's rule; RFC 6298).  Ours is therefore a subset of
    tshark's samples: min and max must lie within tshark's [min, max] (1 us slack for rounding), p50 too.
    When tshark has no sample, ours must have none; when ours has none and tshark has some, EXPECTED must
    say why (e.g. no data segment was ever acknowledged)."""
    key = (cap, member)
    if key in EXPECTED:
        exp, reason = EXPECTED[key]
        results.append((member, ours, exp, 'ok(diff)' if exp.ok(ours) else 'FAIL', reason))
        return
    vals = {k: (ours.get(k) if isinstance(ours, dict) else MISSING) for k in ('min', 'p50', 'p95', 'max')}
    have = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals.values())
    if truth_stats is None:
        none = not isinstance(ours, dict) or all(v is None for v in vals.values()) or ours.get('count') == 0
        results.append((member, vals, 'no samples (tshark has none)', 'ok' if none else 'FAIL', ''))
        return
    lo, hi = truth_stats['min'] * 1e3 - 0.0011, truth_stats['max'] * 1e3 + 0.0011
    if not have:
        results.append((member, vals, 'samples within tshark [%g, %g] ms' % (lo, hi), 'FAIL',
                         'ours has no RTT sample, tshark has %d' % truth_stats['count']))
        return
    ok = lo <= vals['min'] <= vals['p50'] <= vals['p95'] <= vals['max'] <= hi
    results.append((member, vals, 'min<=p50<=p95<=max within tshark [%.4f, %.4f] ms' % (lo, hi), 'ok' if ok else 'FAIL', ''))


def check(cap, members, results):
    """Compares each (member, ours, Expectation) and records the outcome; EXPECTED overrides tshark's value."""
    for member, ours, exp in members:
        key = (cap, member)
        reason = ''
        if key in NOT_COMPARED:
            exp, reason = NotCompared(), NOT_COMPARED[key]
        elif key in EXPECTED:
            exp, reason = EXPECTED[key]
        status = 'ok' if exp.ok(ours) else 'FAIL'
        if status == 'ok' and reason:
            status = 'ok(diff)'
        results.append((member, ours, exp, status, reason))


def retrans_all(rep):
    """tshark's retransmission flag covers SYN and SYN/ACK retransmissions too.  Ours has them in
    tcp.syn_retransmissions / tcp.synack_retransmissions; tcp.retransmissions is "all kinds" when it equals
    its breakdown (rto + fast + spurious + pmtu) plus those two, else they are added here."""
    g = lambda m: harness.get(rep, m)  # noqa: E731
    r, syn, synack = g('tcp.retransmissions'), g('tcp.syn_retransmissions'), g('tcp.synack_retransmissions')
    if not all(isinstance(v, int) for v in (r, syn, synack)):
        return r
    kinds = [g('tcp.' + k) for k in ('rto_retransmissions', 'fast_retransmissions', 'spurious_retransmissions',
                                     'pmtu_retransmissions')]
    data = sum(v for v in kinds if isinstance(v, int))
    if r == data + syn + synack:
        return r
    if r == data:
        return r + syn + synack
    return r


def icmp_messages(truth):
    return sum(truth['icmp']['types'].values()) + sum(truth['icmpv6']['types'].values())


def golden(cap, rep, truth):
    res = []
    g = lambda m: harness.get(rep, m)  # noqa: E731
    schema = g('schema')
    res.append(('schema', schema, 'pcapd.report/2', 'ok' if schema == 'pcapd.report/2' else 'FAIL', ''))

    # --- capture summary
    members = [('capture.packets', g('capture.packets'), Exact(truth['packets'])),
               ('capture.bytes', g('capture.bytes'), Exact(truth['bytes_on_wire']))]
    check(cap, members, res)
    for m, tk in (('capture.first_ts', 'first_ts'), ('capture.last_ts', 'last_ts')):
        ours, t = g(m), truth[tk]
        try:
            od, td = harness.ts_to_decimal(ours), harness.ts_to_decimal(t)
        except ValueError as e:
            res.append((m, ours, t, 'FAIL', str(e)))
            continue
        if td is None:
            ok = od is None
        else:
            # written as a decimal number or string: exact to the nanosecond (the truth keeps the file's
            # resolution); only a value that went through a double may be off, by < 1 us
            textual = isinstance(ours, (str, harness.JFloat))
            ok = od is not None and abs(od - td) <= Decimal('0.000000001' if textual else '0.000001')
        res.append((m, ours, t, 'ok' if ok else 'FAIL', ''))
    dur = g('capture.duration_s')
    tdur = truth['duration_s']
    if tdur is None:
        res.append(('capture.duration_s', dur, '0 or null', 'ok' if dur in (None, 0, 0.0) else 'FAIL', ''))
    else:
        check(cap, [('capture.duration_s', dur, Near(tdur, abs_tol=2e-6))], res)

    # --- protocols
    members = []
    for name, tk in PROTOCOL_TRUTH_KEY.items():
        if PROTOCOL_LAYERS == 'outer' and name in ('tcp', 'udp', 'icmp', 'icmpv6'):
            exp = truth['outer_transport_packets'].get(name, 0)
        else:
            exp = truth['protocol_packets'][tk]
        members.append(('protocols.%s.packets' % name, g('protocols.%s.packets' % name), Exact(exp)))
    check(cap, members, res)

    # --- TCP
    t = truth['tcp']
    a = t['analysis']
    members = [
        ('tcp.connections', g('tcp.connections'), Exact(t['streams'])),
        # tshark's retransmission flag covers SYN and SYN/ACK retransmissions too; ours reports those apart
        ('tcp.retransmissions', retrans_all(rep), Exact(a['retransmission'])),
        ('tcp.fast_retransmissions', g('tcp.fast_retransmissions'), Exact(a['fast_retransmission'])),
        ('tcp.spurious_retransmissions', g('tcp.spurious_retransmissions'), Exact(a['spurious_retransmission'])),
        ('tcp.duplicate_acks', g('tcp.duplicate_acks'), Exact(a['duplicate_ack'])),
        ('tcp.out_of_order', g('tcp.out_of_order'), Exact(a['out_of_order'])),
        ('tcp.lost_segments', g('tcp.lost_segments'), Exact(a['lost_segment'])),
        ('tcp.zero_windows', g('tcp.zero_windows'), Exact(a['zero_window'])),
        ('tcp.resets', g('tcp.resets'), Exact(t['rst'])),
        # SYN retransmissions: outer SYN-only frames beyond the first of each stream that has one
        ('tcp.syn_retransmissions', g('tcp.syn_retransmissions'), Exact(t['syn_only'] - t['streams_with_syn'])),
        ('tcp.handshakes.completed', g('tcp.handshakes.completed'), Exact(t['streams_with_handshake_rtt'])),
    ]
    check(cap, members, res)
    # self-consistency: "all kinds" is the sum of its kinds
    parts = [g('tcp.' + k) for k in ('rto_retransmissions', 'fast_retransmissions', 'spurious_retransmissions',
                                     'pmtu_retransmissions', 'syn_retransmissions', 'synack_retransmissions')]
    r = g('tcp.retransmissions')
    data = sum(v for v in parts[:4] if isinstance(v, int))
    allk = data + sum(v for v in parts[4:] if isinstance(v, int))
    res.append(('tcp.retransmissions = sum of kinds', r, 'rto+fast+spurious+pmtu(+syn+synack) = %d (%d)' % (data, allk),
                'ok' if r in (data, allk) else 'FAIL', ''))
    stats_check(res, cap, 'tcp.handshakes.rtt_ms', g('tcp.handshakes.rtt_ms'), t['initial_rtt_s'],
                t['streams_with_handshake_rtt'])
    rtt_bounds_check(res, cap, 'tcp.rtt_ms', g('tcp.rtt_ms'), t['ack_rtt_s'])

    # --- DNS
    d = truth['dns']
    members = [
        ('dns.queries', g('dns.queries'), Exact(d['queries'])),
        ('dns.responses', g('dns.responses'), Exact(d['responses'])),
        ('dns.unanswered', g('dns.unanswered'), Exact(d['unanswered_queries'] or 0)),
    ]
    rc = g('dns.rcodes')
    ours_rc = {k: v for k, v in rc.items() if v} if isinstance(rc, dict) else rc
    members.append(('dns.rcodes', ours_rc, Exact(d['rcodes'])))
    check(cap, members, res)
    stats_check(res, cap, 'dns.response_time_ms', g('dns.response_time_ms'), d['time_s'], None)

    # --- ICMP, fragments
    members = [
        ('icmp.messages', g('icmp.messages'), Exact(icmp_messages(truth))),
        ('ip.fragments', g('ip.fragments'), Exact(truth['ip']['fragments'] + truth['ipv6']['fragments'])),
    ]
    check(cap, members, res)

    # --- further figures of our schema that the truth file also has (beyond issue 2's required list)
    ours_types = g('icmp.types')
    if isinstance(ours_types, dict):
        v4 = {k: v for k, v in ours_types.items() if not k.startswith('v6:') and v}
        v6 = {k[3:]: v for k, v in ours_types.items() if k.startswith('v6:') and v}
        check(cap, [('icmp.types (ICMPv4)', v4, Exact(truth['icmp']['types'])),
                    ('icmp.types (ICMPv6, "v6:")', v6, Exact(truth['icmpv6']['types']))], res)
    members = [
        ('capture.bytes_captured', g('capture.bytes_captured'), Exact(truth['bytes_captured'])),
        ('capture.negative_time_deltas', g('capture.negative_time_deltas'), Exact(truth['negative_time_deltas'])),
        ('ip.ipv4_fragments', g('ip.ipv4_fragments'), Exact(truth['ip']['fragments'])),
        ('ip.ipv6_fragments', g('ip.ipv6_fragments'), Exact(truth['ipv6']['fragments'])),
        ('tcp.syn', g('tcp.syn'), Exact(t['syn_only'])),
        ('tcp.syn_ack', g('tcp.syn_ack'), Exact(t['syn_ack'])),
        ('tcp.fin', g('tcp.fin'), Exact(t['fin'])),
    ]
    if truth['packets'] > 1:
        members += [('capture.max_gap_s', g('capture.max_gap_s'), Near(truth['max_gap_s']['gap'], abs_tol=1.1e-6)),
                    ('capture.max_gap_frame', g('capture.max_gap_frame'), Exact(truth['max_gap_s']['frame']))]
    check(cap, members, res)
    hosts = g('talkers.hosts')
    if isinstance(hosts, list):
        sent = {h.get('addr'): h.get('packets_sent') for h in hosts}
        for src in truth['top_ip_sources']:
            if src['addr'] in sent:
                check(cap, [('talkers.hosts[%s].packets_sent' % src['addr'], sent[src['addr']], Exact(src['packets']))], res)
    # self-consistency of the rates
    pk, by, du = g('capture.packets'), g('capture.bytes'), g('capture.duration_s')
    if isinstance(du, (int, float)) and du > 0:
        for m, v in (('capture.packets_per_s', pk / du), ('capture.bits_per_s', by * 8 / du)):
            check(cap, [(m, g(m), Near(v, rel=0.001, abs_tol=0.01))], res)

    # the throughput series adds up to the capture, and its other series to their totals
    ser = g('series')
    if isinstance(ser, dict) and isinstance(ser.get('packets'), list):
        for sm, total in (('packets', 'capture.packets'), ('bytes', 'capture.bytes'),
                          ('retransmissions', 'tcp.retransmissions'), ('zero_windows', 'tcp.zero_windows')):
            col = ser.get(sm)
            if isinstance(col, list):
                tv = g(total)
                if sm == 'retransmissions' and isinstance(tv, int):
                    # the series counts data retransmissions only when the total includes SYN ones
                    alt = tv - sum(v for v in (g('tcp.syn_retransmissions'), g('tcp.synack_retransmissions'))
                                   if isinstance(v, int))
                    ok = sum(col) in (tv, alt)
                else:
                    ok = sum(col) == tv
                res.append(('series.%s sums to %s' % (sm, total), sum(col), tv, 'ok' if ok else 'FAIL', ''))

    # event lists: capped (1,000 by default) with the true total beside them
    evs = g('events')
    if isinstance(evs, dict):
        bad = [k for k, v in evs.items() if not (isinstance(v, dict) and isinstance(v.get('items'), list)
                                                 and isinstance(v.get('total'), int) and len(v['items']) <= 1000
                                                 and len(v['items']) == min(v['total'], 1000))]
        res.append(('events.*: items = min(total, 1000)', bad, [], 'ok' if not bad else 'FAIL', ''))

    # --- diagnosis: present and well-formed everywhere
    hs = g('health.score')
    res.append(('health.score', hs, '0..100', 'ok' if isinstance(hs, int) and 0 <= hs <= 100 else 'FAIL', ''))
    fnd = g('findings')
    okf = isinstance(fnd, list) and all(isinstance(f, dict) and all(k in f for k in ('severity', 'title', 'detail', 'filter'))
                                       for f in fnd)
    res.append(('findings[]', '%d findings' % len(fnd) if isinstance(fnd, list) else fnd,
                'list of {severity,title,detail,filter}', 'ok' if okf else 'FAIL', ''))
    return res


# ---------------------------------------------------------------------------------------------------------
# MANIFEST.txt checks for gen/: the generator's own record of the impairments (not tshark's reading).
def manifest_counters(corpus):
    """{capture: {counter: (c2s, s2c)}} from MANIFEST.txt's relay counter lines."""
    out = {}
    path = os.path.join(corpus, 'gen', 'MANIFEST.txt')
    if not os.path.exists(path):
        return out
    for line in open(path):
        m = re.match(r'^(\S+\.pcap(?:ng)?)\s+(rx=.*)$', line.strip())
        if not m:
            continue
        out[m.group(1)] = {k: tuple(int(x) for x in v.split('/')) for k, v in re.findall(r'(\w+)=(\d+/\d+)', m.group(2))}
    return out


# Findings (ids) each gen/ scenario must produce, and the others it may produce; anything else is a false alarm.
_DNS = {'dns-timeouts', 'dns-errors', 'dns-nxdomain', 'dns-slow'}
GEN_FINDINGS = {
    'http-clean.pcap': (set(), set()),
    'ip-frag.pcap': (set(), set()),  # complete datagrams, no loss: fragmentation alone is no problem
    'tcp-bulk-loss-client.pcap': ({'tcp-loss'}, set()),
    'tcp-bulk-loss-server.pcap': ({'tcp-loss'}, set()),
    # +80 ms: where the time went names the round trips (network-latency), which replaces the handshake's
    # high-RTT finding when they cost a share of the time; either is the right finding
    'tcp-delay.pcap': (set(), {'tcp-high-rtt', 'network-latency'}),
    'tcp-reorder.pcap': ({'tcp-reorder'}, set()),  # loss=0: a tcp-loss finding would be a false alarm
    'tcp-rst.pcap': ({'tcp-refused', 'tcp-aborted'}, set()),
    'tcp-syn-retrans.pcap': ({'tcp-no-answer', 'tcp-slow-handshake'}, set()),
    # the receiver stopped reading: its window limited the transfer (transfer-receiver-window, same cause)
    'tcp-zerowindow.pcap': ({'tcp-zero-window'}, {'transfer-receiver-window'}),
    'dns.pcap': (_DNS, {'icmp-unreachable'}),  # closed port 5353 answers with ICMP
    'icmp.pcap': ({'icmp-unreachable', 'pmtu', 'icmp-time-exceeded'}, set()),
    'ipv6.pcap': ({'pmtu', 'tcp-refused'}, {'dns-nxdomain', 'icmp-unreachable'}),
    'mixed.pcapng': ({'tcp-loss'}, _DNS | {'icmp-unreachable', 'icmp-time-exceeded', 'pmtu', 'tcp-refused', 'tcp-aborted',
                                          'tcp-rto', 'tcp-zero-window', 'tcp-slow-handshake', 'tcp-no-answer',
                                          'network-latency', 'transfer-receiver-window'}),
}


def manifest(cap, rep, truth, counters):
    res = []
    name = os.path.basename(cap)
    g = lambda m: harness.get(rep, m)  # noqa: E731
    c = counters.get(name)

    def need(member, value, exp, why):
        status = 'ok' if exp.ok(value) else 'FAIL'
        res.append(('MANIFEST ' + member, value, exp, status, why))

    if c is None:
        res.append(('MANIFEST', None, 'relay counters for ' + name, 'FAIL', 'capture missing from MANIFEST.txt'))
        return res
    loss_c2s, loss_s2c = c['loss']
    reorder = sum(c['reorder'])

    if name == 'http-clean.pcap':
        need('health.score', g('health.score'), Exact(100), 'clean loopback HTTP (loss=0 reorder=0): issue 2 demands 100')
        f = g('findings')
        need('findings', len(f) if isinstance(f, list) else f, Exact(0), 'clean traffic must produce no finding')
        for m in ('tcp.retransmissions', 'tcp.duplicate_acks', 'tcp.out_of_order', 'tcp.lost_segments', 'tcp.zero_windows',
                  'tcp.resets'):
            need(m, g(m), Exact(0), 'relay: loss=0 reorder=0 dup=0, clean closes')
        need('tcp.connections', g('tcp.connections'), Exact(31), '30+1 HTTP/1.0 GETs, one connection each')
        need('tcp.handshakes.completed', g('tcp.handshakes.completed'), Exact(31), '31 connections, all complete')
    elif name in ('tcp-bulk-loss-client.pcap', 'tcp-bulk-loss-server.pcap'):
        need('tcp.retransmissions', g('tcp.retransmissions'), Exact(loss_s2c),
             'relay dropped %d server->client segments; each was sent again exactly once (no dup, no reorder)' % loss_s2c)
        spur = g('tcp.spurious_retransmissions')
        need('tcp.spurious_retransmissions', spur, Exact(0), 'every retransmission repaired a real loss')
        need('tcp.out_of_order', g('tcp.out_of_order'), Exact(0), 'relay reorder=0')
        if name == 'tcp-bulk-loss-client.pcap':
            need('tcp.lost_segments', g('tcp.lost_segments'), Exact(loss_s2c),
                 'receiver view: each dropped segment leaves a hole in the sequence space seen at the capture point')
        else:
            need('tcp.lost_segments', g('tcp.lost_segments'), Exact(0),
                 'sender view: the capture point is before the relay, so it sees every segment')
        f = g('findings')
        need('findings', len(f) if isinstance(f, list) else f, Range(1, None), 'a 2% loss transfer must be diagnosed')
        hs = g('health.score')
        need('health.score', hs, Range(0, 99), 'loss must cost points')
    elif name == 'tcp-reorder.pcap':
        ooo = g('tcp.out_of_order')
        need('tcp.out_of_order', ooo, Range(400, None),
             'relay sent %d server->client packets ahead of its 10 ms delay line: ~500 holes filled by delayed originals' % reorder)
        r, fr, sp = g('tcp.retransmissions'), g('tcp.fast_retransmissions'), g('tcp.spurious_retransmissions')
        rto = r - (fr or 0) - (sp or 0) if isinstance(r, int) and isinstance(fr, int) and isinstance(sp, int) else None
        need('RTO retransmissions (retransmissions - fast - spurious)', rto, Exact(0),
             'relay lost nothing (loss=0/0): no retransmission waited for a timeout')
        need('tcp.retransmissions', r, Range(0, 46),
             'relay loss=0 dup=0: only the sender\'s spurious fast retransmits (tshark: 24 fast + 22 duplicates) '
             'can be retransmissions')
        need('tcp.lost_segments', g('tcp.lost_segments'), Exact(0),
             'relay loss=0: every hole was filled by the delayed original, i.e. reordering, not loss')
    elif name == 'tcp-syn-retrans.pcap':
        need('tcp.syn_retransmissions', g('tcp.syn_retransmissions'), Exact(c['rule'][0] - 2),
             'relay dropped %d client SYNs by rule (8081 v4+v6 always: all but the first SYN of each of those 2 '
             'connections are retransmissions; 8082 x2: the first SYN lost, one retransmission each)' % c['rule'][0])
        need('tcp.handshakes.completed', g('tcp.handshakes.completed'), Exact(2), 'only the two 8082 connections complete')
        need('tcp.connections', g('tcp.connections'), Exact(4), '8081 v4, 8081 v6, 8082 x2')
    elif name == 'tcp-zerowindow.pcap':
        need('tcp.zero_windows', g('tcp.zero_windows'), Range(1, None), 'slow reader stalls 1.0 s every 60000 B')
        need('tcp.retransmissions', g('tcp.retransmissions'), Exact(0), 'relay loss=0: zero-window probes are not retransmissions')
    elif name == 'tcp-rst.pcap':
        need('tcp.resets', g('tcp.resets'), Exact(7), 'closed port 81: v4 x3, v6, far host = 5; abortive closes v4/v6 = 2')
    elif name == 'tcp-delay.pcap':
        mn = g('tcp.handshakes.rtt_ms.min')
        need('tcp.handshakes.rtt_ms.min', mn, Range(80, None), '+80 ms RTT added by the relay')
    elif name == 'dns.pcap':
        for rcn in ('NXDOMAIN', 'SERVFAIL', 'REFUSED'):
            need('dns.rcodes.' + rcn, g('dns.rcodes.' + rcn), Range(1, None), 'scenario answers with ' + rcn)
        need('dns.unanswered', g('dns.unanswered'), Range(1, None), 'drop-me.test and the silent server 10.99.0.3 never answer')
        mx = g('dns.response_time_ms.max')
        need('dns.response_time_ms.max', mx, Range(250, None), '250 ms slow answers')
        need('dns.truncated_responses', g('dns.truncated_responses'), Exact(1), 'one answer with TC set (frame 40) ...')
        need('dns.tcp_messages', g('dns.tcp_messages'), Exact(4), '... retried over TCP, plus one query over TCP: 2 x '
             '(query + answer)')
    elif name == 'ip-frag.pcap':
        need('ip.fragments', g('ip.fragments'), Range(1, None), 'fragmented echo/UDP/DNS over v4 and v6')
    elif name == 'mixed.pcapng':
        need('tcp.retransmissions', g('tcp.retransmissions'), Range(1, None), '1%% loss each way (loss=%d/%d)' % c['loss'])
    if name in GEN_FINDINGS:
        needed, allowed = GEN_FINDINGS[name]
        f = g('findings')
        ids = {x.get('id') for x in f} if isinstance(f, list) else set()
        need('findings: needed', sorted(needed - ids), Exact([]), 'the scenario holds these problems (MANIFEST)')
        need('findings: false alarms', sorted(ids - needed - allowed), Exact([]),
             'findings the scenario does not hold (MANIFEST)')
        if name == 'tcp-delay.pcap':
            need('findings: the round trip (network-latency or tcp-high-rtt)', bool(ids & allowed), Exact(True),
                 '+80 ms one way: the long path must be named')
            need('findings[0].cause', (f[0].get('cause') if f else None), Exact('network-latency'),
                 'the round trips are where the time went')
    # every capture with loss must show retransmissions; none without loss/reorder may show spurious ones
    if loss_c2s == 0 and loss_s2c == 0 and reorder == 0 and name not in ('icmp.pcap', 'ipv6.pcap', 'tcp-syn-retrans.pcap'):
        need('tcp.spurious_retransmissions', g('tcp.spurious_retransmissions'), Exact(0), 'relay loss=0 reorder=0')
    return res


def print_table(cap, res):
    w = max(len(r[0]) for r in res)
    bad = 0
    for member, ours, exp, status, reason in res:
        if status == 'FAIL':
            bad += 1
        line = '%-8s %-*s ours=%-14s expected=%s' % (status, w, member, harness.fmt(ours), exp)
        if reason and status != 'ok':
            line += '   # ' + reason
        print(line)
    return bad


def stdin_equivalence(analyzer, path, rep):
    """The same capture read from standard input must give the same figures."""
    with open(path, 'rb') as f:
        data = f.read()
    rc, out, err = harness.run([analyzer, 'analyze', '-', '--json', '-', '--quiet'], input_bytes=data, timeout=60)
    if rc != 0:
        return [('stdin: exit', harness.describe_rc(rc), 'exit 0', 'FAIL', err.strip()[:200])]
    try:
        rep2 = harness.loads(out)
    except ValueError as e:
        return [('stdin: JSON', str(e), 'valid JSON', 'FAIL', '')]
    res = []
    for m in ('capture.packets', 'capture.bytes', 'tcp.connections', 'tcp.retransmissions', 'dns.queries', 'health.score'):
        a, b = harness.get(rep, m), harness.get(rep2, m)
        res.append(('stdin: ' + m, b, 'same as file: %s' % harness.fmt(a), 'ok' if a == b else 'FAIL', ''))
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--analyzer')
    ap.add_argument('--corpus', required=True)
    ap.add_argument('--list', action='store_true')
    ap.add_argument('--no-stdin', action='store_true')
    ap.add_argument('--workdir', default=os.path.join(os.getcwd(), 'golden-work'),
                    help='where the large capture is built when /tmp/corpus-large has none')
    ap.add_argument('captures', nargs='*')
    o = ap.parse_args()
    if o.list:
        for c in harness.corpus_files(o.corpus):
            print(c)
        return 0
    if not os.path.isdir(o.corpus):
        harness.skip('corpus %s absent (needs ../shared beside the repository)' % o.corpus)
    if not o.analyzer or not os.access(o.analyzer, os.X_OK):
        harness.skip('pcap-analyzer not built (%s)' % o.analyzer)
    counters = manifest_counters(o.corpus)
    failed = 0
    for cap in o.captures:
        path = os.path.join(o.corpus, cap)
        truth_path = path + '.truth.json'
        if cap == LARGE:
            path = large_capture(o.corpus, o.workdir)
        elif not os.path.exists(path):
            harness.skip('%s absent from the corpus' % cap)
        truth = json.load(open(truth_path))
        print('=== %s (%d packets, %s)' % (cap, truth['packets'], truth['capinfos'].get('File encapsulation')))
        rc, rep, jerr, err = harness.analyze(o.analyzer, path)
        san = harness.sanitizer_report(err)
        if rc != 0 or rep is None or san:
            print('FAIL     pcap-analyzer analyze %s: %s %s %s' % (cap, harness.describe_rc(rc), jerr or '', san or ''))
            print('         stderr: ' + err.strip()[:2000])
            failed += 1
            continue
        if harness.SANITIZE_ONLY:
            print('ok       no crash, no sanitizer report, valid JSON (figures are judged by the normal run)')
            continue
        res = golden(cap, rep, truth)
        if cap.startswith('gen/'):
            res += manifest(cap, rep, truth, counters)
        if cap == LARGE:
            res += large_checks(rep, len(json.dumps(rep)))
            # the flow table is seeded at random: the report must not depend on the seed
            rc2, rep2, _, _ = harness.analyze(o.analyzer, path)
            same = rc2 == 0 and json.dumps(rep2, sort_keys=True) == json.dumps(rep, sort_keys=True)
            res.append(('same report on a second run (random hash seed)', same, True, 'ok' if same else 'FAIL', ''))
        if not o.no_stdin:
            res += stdin_equivalence(o.analyzer, path, rep)
        bad = print_table(cap, res)
        if err.strip():
            print('note: stderr: ' + err.strip()[:500])
        print('--- %s: %d checks, %d failed' % (cap, len(res), bad))
        failed += bad
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
