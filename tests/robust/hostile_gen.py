"""Generators of hostile captures for the robustness tests and the load test, written fast: a block of
records built once and patched per block through memoryview slices (no Python work per packet). The file
format and the packets come from tests/pcapwrite; this module only multiplies them.
Stdlib only. Every generator yields bytes chunks; write them to a file or to a pipe."""
import os
import struct
import sys
from array import array

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'pcapwrite'))
import pcapwrite as pw  # noqa: E402

PCAP_MAGIC_US = pw.PCAP_MAGIC_US
LINKTYPE_RAW = pw.DLT_RAW
LINKTYPE_EN10MB = pw.DLT_EN10MB
BLOCK = 8192  # records per chunk


def pcap_header(linktype=LINKTYPE_RAW, snaplen=65535, magic=PCAP_MAGIC_US, vmaj=2, vmin=4):
    """pcapwrite's header with this module's defaults (raw IPv4, snaplen 65535)."""
    return pw.pcap_header(linktype, snaplen, magic=magic, version=(vmaj, vmin))


def _swap16(values):
    """Big-endian 16-bit values as native 'H' items (the host is little-endian here; checked)."""
    a = array('H', values)
    if struct.pack('=H', 1) == b'\x01\x00':
        a.byteswap()
    return a


def records(n, template, patch=None, t0=1_700_000_000, usec_step=10):
    """n pcap records (16-byte header + template bytes, len(template) % 4 == 0). patch(mv16, first, count, stride16)
    may rewrite 16-bit fields of each record of the block in place. Timestamps increase by usec_step."""
    assert len(template) % 4 == 0
    rec = pw.pcap_record_header(0, 0, len(template), len(template)) + template
    stride32 = len(rec) // 4
    stride16 = len(rec) // 2
    done = 0
    usec_total = 0
    while done < n:
        k = min(BLOCK, n - done)
        buf = bytearray(rec * k)
        w = memoryview(buf).cast('I')
        us = array('I', range(usec_total, usec_total + k * usec_step, usec_step))
        w[0::stride32] = array('I', (t0 + u // 1_000_000 for u in us))
        w[1::stride32] = array('I', (u % 1_000_000 for u in us))
        usec_total += k * usec_step
        if patch:
            patch(memoryview(buf).cast('H'), done, k, stride16)
        yield bytes(buf)
        done += k


def udp_template(src=(10, 0, 0, 1), dst=(10, 0, 0, 2), sport=40000, dport=9, payload=b''):
    udp = struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload
    pkt = pw.ipv4(src, dst, pw.Raw(pw.PROTO_UDP, udp), ident=0, df=False)
    return pkt + b'\0' * (-len(pkt) % 4)  # padding is part of the frame: caplen stays 4-aligned


def tiny_packets(n):
    """n minimal UDP datagrams (raw IPv4, 28 bytes each) in 1,024 flows."""
    def patch(mv, first, k, stride):
        mv[8 + 10::stride] = _swap16((40000 + (first + i) % 1024) for i in range(k))
    yield pcap_header()
    yield from records(n, udp_template(), patch, usec_step=1)


def distinct_flows(n):
    """n UDP datagrams, each in a flow of its own (source port x destination port)."""
    def patch(mv, first, k, stride):
        mv[8 + 10::stride] = _swap16(1024 + (first + i) % 60000 for i in range(k))
        mv[8 + 11::stride] = _swap16(1 + (first + i) // 60000 for i in range(k))
    yield pcap_header()
    yield from records(n, udp_template(), patch)


def dns_query_payload(ident, name=b'q.example.test'):
    q = b''.join(bytes([len(l)]) + l for l in name.split(b'.')) + b'\0'
    return struct.pack('!HHHHHH', ident, 0x0100, 1, 0, 0, 0) + q + struct.pack('!HH', 1, 1)


def dns_unanswered(n):
    """n DNS queries (distinct source port and id), none answered."""
    tpl = udp_template(dport=53, payload=dns_query_payload(0))
    def patch(mv, first, k, stride):
        mv[8 + 10::stride] = _swap16(1024 + (first + i) % 60000 for i in range(k))
        mv[8 + 10 + 4::stride] = _swap16((first + i) & 0xffff for i in range(k))
    yield pcap_header()
    yield from records(n, tpl, patch)


def first_fragments(n):
    """n first fragments of n IPv4 datagrams (distinct source and id: 2^24 of them) that never complete: a
    capture built to fill the table of datagrams being put together and to make every lookup search it."""
    tpl = bytearray(udp_template(payload=b'\0' * 16))
    tpl[6] = 0x20  # more fragments, offset 0
    tpl = bytes(tpl)
    def patch(mv, first, k, stride):
        mv[8 + 2::stride] = _swap16((first + i) & 0xffff for i in range(k))              # identification
        mv[8 + 7::stride] = _swap16(((first + i) >> 16) & 0xffff for i in range(k))      # source, low half
    yield pcap_header()
    yield from records(n, tpl, patch)


def ipv6_hosts(n, collide):
    """n UDP datagrams over IPv6 (raw), from 2001:db8::1 to n hosts of 2001:db8:0:1::/64 (n <= 32768), each a
    flow of its own. collide: the hosts differ only in their last 15 bits (byte 15 and the top 7 bits of byte
    14), which the host and conversation mixer before SipHash (aa2ddf5's addr_hash, a seeded multiply-xorshift
    of the address's two 64-bit words) sent to one slot of any table up to 2^17 slots whatever its seed: a
    capture built to collide. Else they differ in bytes 8-9, which no mixer groups: the control."""
    assert n <= 32768
    udp = struct.pack('!HHHH', 40000, 9, 8 + 8, 0) + b'\0' * 8
    tpl = pw.ipv6('2001:db8::1', '2001:db8:0:1::', pw.Raw(pw.PROTO_UDP, udp))
    tpl = tpl + b'\0' * (-len(tpl) % 4)
    # 16-bit items of a record: 8 of pcap record header, then the IPv6 header (destination at byte 24)
    def patch(mv, first, k, stride):
        if collide:
            mv[8 + 12 + 7::stride] = _swap16((((first + i) >> 8) & 0x7f) << 9 | ((first + i) & 0xff) for i in range(k))
        else:
            mv[8 + 12 + 4::stride] = _swap16(first + i for i in range(k))
    yield pcap_header()
    yield from records(n, tpl, patch)


def write(path, chunks):
    n = 0
    with open(path, 'wb') as f:
        for c in chunks:
            f.write(c)
            n += len(c)
    return n
