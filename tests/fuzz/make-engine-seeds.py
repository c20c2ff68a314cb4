#!/usr/bin/env python3
"""Writes hostile hand-made captures into regress/engine/ (seeds for fuzz-engine and regression inputs).

Each file aims at one parser hazard: lengths that lie, loops, deep nesting, truncation at every layer.
Usage: make-engine-seeds.py [OUTDIR]   (default: regress/engine beside this script)

Also: make-engine-seeds.py --wrap CRASH OUT.pcap   turns a raw-packet fuzz-engine input (first byte = link
type index, rest = packet; see fuzz-engine.c) into a pcap the CLI can replay; capture inputs are copied.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'pcapwrite'))
import pcapwrite as pw  # noqa: E402

# same order as dlts[] in fuzz-engine.c, as LINKTYPE_ values for the file header
FUZZ_LINKTYPES = [1, 113, 276, 101, 101, 0, 108, 228, 229, 9, 239]
A, B = '10.9.0.1', '10.9.0.2'


def write(path, frames, linktype=pw.DLT_EN10MB, snaplen=262144):
    with pw.PcapWriter(path, linktype, snaplen=snaplen) as w:
        for i, fr in enumerate(frames):
            if isinstance(fr, tuple):
                w.write(1700000000 + i * 0.001, fr[0], orig_len=fr[1])
            else:
                w.write(1700000000 + i * 0.001, fr)


def raw_tcp(sport, dport, seq, ack, flags, off_words, win=1000, opts=b'', payload=b''):
    return struct.pack('!HHIIBBHHH', sport, dport, seq, ack, off_words << 4, flags, win, 0, 0) + opts + payload


def seeds(out):
    os.makedirs(out, exist_ok=True)
    P = lambda name: os.path.join(out, name)  # noqa: E731
    eth = pw.ether

    # IPv4 header lengths that lie
    ip = pw.ipv4(A, B, pw.udp(1, 53, b'x' * 20))
    write(P('ipv4-ihl-below-5.pcap'), [eth(bytes([0x43]) + ip[1:])])
    write(P('ipv4-ihl-beyond-packet.pcap'), [eth(bytes([0x4f]) + ip[1:30])])
    write(P('ipv4-total-length-huge.pcap'), [eth(ip[:2] + b'\xff\xff' + ip[4:])])
    write(P('ipv4-total-length-below-header.pcap'), [eth(ip[:2] + b'\x00\x08' + ip[4:])])
    # TCP data offset beyond the segment, options with zero / oversized lengths
    write(P('tcp-dataoff-beyond-segment.pcap'), [eth(pw.ipv4(A, B, pw.Raw(6, raw_tcp(1, 2, 1, 0, 2, 15))))])
    write(P('tcp-dataoff-below-5.pcap'), [eth(pw.ipv4(A, B, pw.Raw(6, raw_tcp(1, 2, 1, 0, 0x12, 2))))])
    bad_opts = [b'\x02\x00\x05\xb4', b'\x03\x01\x0e\x00', b'\x08\x28' + b'\0' * 2, b'\x05\xff\x00\x00',
                b'\x05\x0a' + b'\0' * 2, b'\x03\x03\xff\x01']  # zero len, len 1, len > rest, SACK odd, scale 255
    frames = []
    for o in bad_opts:
        frames.append(eth(pw.ipv4(A, B, pw.Raw(6, raw_tcp(1000, 80, 1, 0, 0x02, 6, opts=o)))))
    write(P('tcp-options-bad-lengths.pcap'), frames)
    # SYN with window scale 14+ then a zero window, data beyond 2^32 wrap
    f = pw.TcpFlow(A, 1000, B, 80, cisn=0xfffffff0, sisn=0xffffff00, wscale=14)
    frames = [eth(f.syn()), eth(f.synack()), eth(f.ack())]
    for _ in range(5):
        frames.append(eth(f.data(False, 40)))
    frames.append(eth(f.ack_only(True, win=0)))
    write(P('tcp-seq-wrap-wscale14.pcap'), frames)
    # DNS: compression pointer loop, label beyond message, counts that lie, zero-length message over TCP
    loop = struct.pack('!HHHHHH', 1, 0x8180, 1, 1, 0, 0) + b'\xc0\x0c' + struct.pack('!HH', 1, 1) + \
        b'\xc0\x0c' + struct.pack('!HHIH', 1, 1, 60, 4) + b'\x01\x02\x03\x04'
    self_ptr = struct.pack('!HHHHHH', 2, 0x8183, 1, 0, 0, 0) + b'\x03abc\xc0\x0c' + struct.pack('!HH', 1, 1)
    lies = struct.pack('!HHHHHH', 3, 0x8180, 0xffff, 0xffff, 0xffff, 0xffff) + b'\x3fab'
    frames = [eth(pw.ipv4(B, A, pw.udp(53, 1000, m))) for m in (loop, self_ptr, lies, b'', b'\x00')]
    fdns = pw.TcpFlow(A, 1001, B, 53)
    frames += [eth(fdns.syn()), eth(fdns.synack()), eth(fdns.ack()), eth(fdns.data(True, payload=b'\x00\x00')),
               eth(fdns.data(True, payload=b'\xff\xff' + b'q' * 10)), eth(fdns.data(False, payload=pw.dns_tcp(lies)))]
    write(P('dns-hostile.pcap'), frames)
    # Ethernet: 20 stacked VLAN tags; frame that ends inside the tag stack
    write(P('vlan-deep-stack.pcap'), [eth(ip, vlans=[(0x8100, i) for i in range(20)]),
                                      eth(ip, vlans=[(0x88a8, 1), (0x8100, 2)])[:16]])
    # IPv6 extension header chain: 30 hop-by-hop/destination options headers, then a fragment header loop
    ext = b''
    for i in range(30):
        nh = 60 if i < 29 else 17
        ext += bytes([nh, 0]) + b'\x01\x04\x00\x00\x00\x00'
    v6 = pw.ipv6('fd00::1', 'fd00::2', pw.udp(1, 2, b'z' * 8), ext=ext, first_nh=0)
    fragloop = pw.ipv6('fd00::1', 'fd00::2', pw.Raw(44, struct.pack('!BBHI', 44, 0, 1, 7) * 8), first_nh=44)
    write(P('ipv6-ext-chain.pcap'), [eth(v6), eth(fragloop), eth(v6[:50])])
    # ICMP errors quoting truncated / nested / lying headers
    probe = pw.ipv4(A, B, pw.tcp(1000, 80, 5, 0, pw.SYN))
    inner_err = pw.ipv4(B, A, pw.icmp(3, 3, payload=probe[:28]))
    frames = [eth(pw.ipv4(B, A, pw.icmp(3, 4, payload=probe[:10]))),
              eth(pw.ipv4(B, A, pw.icmp(11, 0, payload=inner_err))),           # ICMP error quoting an ICMP error
              eth(pw.ipv4(B, A, pw.icmp(3, 3, payload=bytes([0x4f]) + probe[1:28]))),
              eth(pw.ipv6('fd00::2', 'fd00::1', pw.icmpv6(2, 0, b'\0\0\x05\x00', b'\x60' + b'\0' * 10)))]
    write(P('icmp-quotes-hostile.pcap'), frames)
    # IPv4 fragments: overlapping, offset near 65535, more fragments than a datagram can hold
    frames = []
    for off in (0, 8, 0, 65528, 16):
        frames.append(eth(pw.ipv4(A, B, pw.Raw(17, b'F' * 64), ident=7, df=False, mf=True, frag_offset=off)))
    for i in range(200):
        frames.append(eth(pw.ipv4(A, B, pw.Raw(17, b'G' * 8), ident=1000 + i, df=False, mf=True, frag_offset=8)))
    write(P('ipv4-fragments-hostile.pcap'), frames)
    # caplen 0, caplen > wire length, snaplen 0 header, frames shorter than every link header
    write(P('caplen-zero-and-short.pcap'), [b'', b'\x00', (eth(ip)[:10], 1514), (eth(ip), 10)])
    for lt, name in ((pw.DLT_LINUX_SLL, 'sll'), (pw.DLT_LINUX_SLL2, 'sll2'), (pw.DLT_NULL, 'null'), (pw.DLT_RAW, 'raw')):
        write(P('short-frames-%s.pcap' % name), [b'\x00' * n for n in range(0, 24)], linktype=lt)
    # pcap header: snaplen 0 and an unknown link type
    with open(P('pcap-snaplen0-linktype-unknown.pcap'), 'wb') as fo:
        fo.write(pw.pcap_header(linktype=4242, snaplen=0))
        fo.write(pw.pcap_record_header(1700000000, 0, 4, 4) + b'abcd')
    # pcapng: a block of total length 12 (empty), an interface id that does not exist, an unknown block type
    with open(P('pcapng-odd-blocks.pcapng'), 'wb') as fo:
        w = pw.PcapngWriter(fo)
        w.add_interface(pw.DLT_EN10MB)
        w.write(1700000000.0, eth(ip))
        fo.write(pw.pcapng_block(0x0BAD0BAD, b''))
        fo.write(pw.pcapng_block(6, struct.pack('<IIIII', 7, 0, 0, 4, 4) + b'abcd'))  # interface 7 of 1
        w.write(1700000000.5, eth(ip))
        w.close()
    # time going backwards and a timestamp before 1970 as unsigned wraps
    with pw.PcapWriter(P('time-backwards.pcap')) as w:
        fl = pw.TcpFlow(A, 1002, B, 80)
        w.write(1700000010.0, eth(fl.syn()))
        w.write(1700000000.0, eth(fl.synack()))
        w.write_ns(0, eth(fl.ack()))
        w.write_ns((2**32 - 1) * 10**9, eth(fl.data(True, 10)))


def wrap(src, dst):
    data = open(src, 'rb').read()
    if data[:4] in (b'\xd4\xc3\xb2\xa1', b'\xa1\xb2\xc3\xd4', b'\x4d\x3c\xb2\xa1', b'\xa1\xb2\x3c\x4d', b'\x0a\x0d\x0d\x0a'):
        open(dst, 'wb').write(data)
        return
    if not data:
        raise SystemExit('empty input: nothing to replay')
    lt = FUZZ_LINKTYPES[data[0] % len(FUZZ_LINKTYPES)]
    with pw.PcapWriter(dst, lt) as w:
        w.write_ns(1700000000000000000, data[1:])
        w.write_ns(1700000000001000000, data[1:], orig_len=len(data) + 1000)


if __name__ == '__main__':
    if len(sys.argv) == 4 and sys.argv[1] == '--wrap':
        wrap(sys.argv[2], sys.argv[3])
    else:
        seeds(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, 'regress', 'engine'))
