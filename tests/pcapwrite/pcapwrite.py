"""pcapwrite: writes pcap and pcapng files of hand-built packets (Ethernet/VLAN/SLL/SLL2/raw/null, IPv4, IPv6,
TCP, UDP, ICMP, ICMPv6, ARP, DNS) with correct checksums, for tests that must run without the shared corpus.

    import pcapwrite as pw
    with pw.PcapWriter('x.pcap', pw.DLT_EN10MB) as w:
        w.write(1.5, pw.ether(pw.ipv4('10.0.0.1', '10.0.0.2', pw.udp(1000, 53, pw.dns_query(1, 'a.test')))))

Timestamps are seconds (float or int) or integer nanoseconds via write_ns().  Every builder returns bytes.
Stdlib only.
"""
import ipaddress
import struct

# link types (LINKTYPE_ values as stored in files)
DLT_NULL = 0
DLT_EN10MB = 1
DLT_RAW = 101
DLT_LINUX_SLL = 113
DLT_LINUX_SLL2 = 276

ETH_IPV4, ETH_IPV6, ETH_ARP, ETH_VLAN, ETH_QINQ = 0x0800, 0x86DD, 0x0806, 0x8100, 0x88A8
PROTO_ICMP, PROTO_TCP, PROTO_UDP, PROTO_ICMPV6, PROTO_FRAG = 1, 6, 17, 58, 44

FIN, SYN, RST, PSH, ACK, URG, ECE, CWR = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80

RCODES = {'NOERROR': 0, 'FORMERR': 1, 'SERVFAIL': 2, 'NXDOMAIN': 3, 'NOTIMP': 4, 'REFUSED': 5}


# --------------------------------------------------------------------------------------------- checksums
def inet_checksum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def _addr(a):
    return ipaddress.ip_address(a).packed if isinstance(a, str) else bytes(a)


def _pseudo(src, dst, proto, length):
    s, d = _addr(src), _addr(dst)
    if len(s) == 4:
        return s + d + struct.pack('!BBH', 0, proto, length)
    return s + d + struct.pack('!IxxxB', length, proto)


# ---------------------------------------------------------------------------------- transport (need IPs)
class L4:
    """A transport header + payload whose checksum is filled in when the IP layer knows the addresses."""

    def __init__(self, proto, build):
        self.proto = proto
        self._build = build  # (src, dst) -> bytes with checksum

    def bytes_for(self, src, dst):
        return self._build(src, dst)


def tcp_options(mss=None, wscale=None, sack_perm=False, ts=None, sack=None):
    o = b''
    if mss is not None:
        o += struct.pack('!BBH', 2, 4, mss)
    if sack_perm:
        o += b'\x04\x02'
    if ts is not None:
        o += struct.pack('!BBII', 8, 10, ts[0], ts[1])
    if sack:
        o += struct.pack('!BB', 5, 2 + 8 * len(sack)) + b''.join(struct.pack('!II', a, b) for a, b in sack)
    if wscale is not None:
        o += struct.pack('!BBB', 3, 3, wscale)
    while len(o) % 4:
        o += b'\x01'  # NOP padding
    return o


def tcp(sport, dport, seq, ack=0, flags=ACK, win=65535, payload=b'', options=b'', urg=0, bad_checksum=False):
    seq &= 0xffffffff
    ack &= 0xffffffff

    def build(src, dst):
        off = (20 + len(options)) // 4
        hdr = struct.pack('!HHIIBBHHH', sport, dport, seq, ack, off << 4, flags, win, 0, urg) + options
        c = inet_checksum(_pseudo(src, dst, PROTO_TCP, len(hdr) + len(payload)) + hdr + payload)
        if bad_checksum:
            c ^= 0x5555
        return hdr[:16] + struct.pack('!H', c) + hdr[18:] + payload
    return L4(PROTO_TCP, build)


def udp(sport, dport, payload=b''):
    def build(src, dst):
        ln = 8 + len(payload)
        c = inet_checksum(_pseudo(src, dst, PROTO_UDP, ln) + struct.pack('!HHHH', sport, dport, ln, 0) + payload)
        return struct.pack('!HHHH', sport, dport, ln, c or 0xffff) + payload
    return L4(PROTO_UDP, build)


def icmp(type_, code, rest=b'\0\0\0\0', payload=b''):
    """ICMPv4; rest = the 4 bytes after the checksum (id/seq for echo, unused/MTU for errors)."""
    def build(src, dst):
        body = struct.pack('!BBH', type_, code, 0) + rest + payload
        return body[:2] + struct.pack('!H', inet_checksum(body)) + body[4:]
    return L4(PROTO_ICMP, build)


def icmp_echo(ident, seq, payload=b'ping', reply=False):
    return icmp(0 if reply else 8, 0, struct.pack('!HH', ident, seq), payload)


def icmpv6(type_, code, rest=b'\0\0\0\0', payload=b''):
    def build(src, dst):
        body = struct.pack('!BBH', type_, code, 0) + rest + payload
        c = inet_checksum(_pseudo(src, dst, PROTO_ICMPV6, len(body)) + body)
        return body[:2] + struct.pack('!H', c) + body[4:]
    return L4(PROTO_ICMPV6, build)


def icmpv6_echo(ident, seq, payload=b'ping', reply=False):
    return icmpv6(129 if reply else 128, 0, struct.pack('!HH', ident, seq), payload)


class Raw(L4):
    """Arbitrary bytes as the IP payload (for fragments or unknown protocols)."""

    def __init__(self, proto, data):
        super().__init__(proto, lambda s, d: data)


# ---------------------------------------------------------------------------------------------------- IP
def ipv4(src, dst, l4, ttl=64, ident=0x1234, df=True, mf=False, frag_offset=0, options=b'', tos=0, proto=None,
         total_length=None):
    payload = l4.bytes_for(src, dst) if isinstance(l4, L4) else bytes(l4)
    p = proto if proto is not None else (l4.proto if isinstance(l4, L4) else 0)
    ihl = (20 + len(options)) // 4
    assert len(options) % 4 == 0, 'IPv4 options must be padded to 4 bytes'
    flags = (0x4000 if df else 0) | (0x2000 if mf else 0) | ((frag_offset // 8) & 0x1fff)
    tl = total_length if total_length is not None else 20 + len(options) + len(payload)
    hdr = struct.pack('!BBHHHBBH4s4s', 0x40 | ihl, tos, tl, ident, flags, ttl, p, 0, _addr(src), _addr(dst)) + options
    hdr = hdr[:10] + struct.pack('!H', inet_checksum(hdr)) + hdr[12:]
    return hdr + payload


def ipv4_fragments(src, dst, l4, mtu_payload=64, ident=0x4321, ttl=64):
    """The IPv4 fragments of one datagram (list of IP packets); mtu_payload is rounded down to 8."""
    payload = l4.bytes_for(src, dst)
    step = max(8, mtu_payload // 8 * 8)
    out = []
    for off in range(0, len(payload), step):
        chunk = payload[off:off + step]
        out.append(ipv4(src, dst, Raw(l4.proto, chunk), ttl=ttl, ident=ident, df=False,
                        mf=off + step < len(payload), frag_offset=off))
    return out


def ipv6(src, dst, l4, hlim=64, flow=0, ext=b'', first_nh=None):
    """IPv6; ext = already built extension headers (their first next-header goes in first_nh)."""
    payload = l4.bytes_for(src, dst) if isinstance(l4, L4) else bytes(l4)
    nh = first_nh if first_nh is not None else (l4.proto if isinstance(l4, L4) else 59)
    body = ext + payload
    return struct.pack('!IHBB16s16s', (6 << 28) | flow, len(body), nh, hlim, _addr(src), _addr(dst)) + body


def ipv6_fragments(src, dst, l4, chunk=64, ident=0xabcd, hlim=64):
    payload = l4.bytes_for(src, dst)
    step = max(8, chunk // 8 * 8)
    out = []
    for off in range(0, len(payload), step):
        part = payload[off:off + step]
        more = off + step < len(payload)
        fh = struct.pack('!BBHI', l4.proto, 0, (off & 0xfff8) | (1 if more else 0), ident)
        out.append(ipv6(src, dst, Raw(PROTO_FRAG, part), hlim=hlim, ext=fh, first_nh=PROTO_FRAG))
    return out


def icmp_error_quote(ip_packet, length=28):
    """The part of an offending IP packet an ICMP error quotes (IPv4: header + 8 bytes by default)."""
    return ip_packet[:length]


# ------------------------------------------------------------------------------------------------- links
def mac(s):
    return bytes(int(x, 16) for x in s.split(':'))


MAC_A = '02:00:00:00:00:0a'
MAC_B = '02:00:00:00:00:0b'


def ether(payload, src=MAC_A, dst=MAC_B, ethertype=None, vlans=()):
    """Ethernet II; vlans = [(tpid, vid), ...] outermost first, e.g. [(0x88a8, 100), (0x8100, 200)]."""
    if ethertype is None:
        ethertype = ETH_IPV6 if payload[:1] and payload[0] >> 4 == 6 else ETH_IPV4
    tags = b''
    for tpid, vid in vlans:
        tags += struct.pack('!HH', tpid, vid & 0xfff)
    return mac(dst) + mac(src) + tags + struct.pack('!H', ethertype) + payload


def sll(payload, proto=None, pkttype=0, addr=MAC_A):
    """Linux cooked v1 (16-byte header)."""
    if proto is None:
        proto = ETH_IPV6 if payload[0] >> 4 == 6 else ETH_IPV4
    a = mac(addr)
    return struct.pack('!HHH', pkttype, 1, len(a)) + a.ljust(8, b'\0') + struct.pack('!H', proto) + payload


def sll2(payload, proto=None, ifindex=1, pkttype=0, addr=MAC_A):
    """Linux cooked v2 (20-byte header)."""
    if proto is None:
        proto = ETH_IPV6 if payload[0] >> 4 == 6 else ETH_IPV4
    a = mac(addr)
    return struct.pack('!HHIHBB', proto, 0, ifindex, 1, pkttype, len(a)) + a.ljust(8, b'\0') + payload


def null(payload, family=None, byteorder='<'):
    """BSD loopback: 4-byte address family in the writer's host byte order (2 = IPv4, 24/28/30 = IPv6)."""
    if family is None:
        family = 30 if payload[0] >> 4 == 6 else 2
    return struct.pack(byteorder + 'I', family) + payload


def arp(op, sha, spa, tha, tpa):
    return struct.pack('!HHBBH6s4s6s4s', 1, ETH_IPV4, 6, 4, op, mac(sha), _addr(spa), mac(tha), _addr(tpa))


# --------------------------------------------------------------------------------------------------- DNS
def _qname(name):
    out = b''
    for label in name.strip('.').split('.'):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b'\0'


def dns_query(ident, name, qtype=1, rd=True):
    return struct.pack('!HHHHHH', ident, 0x0100 if rd else 0, 1, 0, 0, 0) + _qname(name) + struct.pack('!HH', qtype, 1)


def dns_response(ident, name, rcode='NOERROR', answers=('192.0.2.1',), qtype=1, tc=False):
    rc = RCODES[rcode] if isinstance(rcode, str) else rcode
    ans = answers if rc == 0 else ()
    flags = 0x8000 | 0x0100 | 0x0080 | (0x0200 if tc else 0) | rc
    msg = struct.pack('!HHHHHH', ident, flags, 1, len(ans), 0, 0) + _qname(name) + struct.pack('!HH', qtype, 1)
    for a in ans:
        data = _addr(a)
        msg += b'\xc0\x0c' + struct.pack('!HHIH', 1 if len(data) == 4 else 28, 1, 60, len(data)) + data
    return msg


def dns_tcp(msg):
    """DNS over TCP: 2-byte length prefix."""
    return struct.pack('!H', len(msg)) + msg


# ------------------------------------------------------------------------------------------------ writers
# The file formats' headers, for the writers below and for tests that build odd or hostile files (a version
# or magic no reader takes, a caplen that lies, a block length that lies) or stream millions of records.
PCAP_MAGIC_US, PCAP_MAGIC_NS = 0xa1b2c3d4, 0xa1b23c4d


def pcap_header(linktype=DLT_EN10MB, snaplen=262144, nano=False, big_endian=False, magic=None, version=(2, 4)):
    """A classic pcap global header (24 bytes). magic: any value, written in the file's byte order (a swapped
    one makes a file whose magic and fields disagree)."""
    if magic is None:
        magic = PCAP_MAGIC_NS if nano else PCAP_MAGIC_US
    return struct.pack(('>' if big_endian else '<') + 'IHHiIII', magic, version[0], version[1], 0, 0, snaplen,
                       linktype)


def pcap_record_header(sec, frac, caplen, orig_len, big_endian=False):
    """A classic pcap record header (16 bytes); frac is in microseconds or nanoseconds, as the magic says."""
    return struct.pack(('>' if big_endian else '<') + 'IIII', sec, frac, caplen, orig_len)


def pcapng_block(btype, body, big_endian=False, total=None, trailer=None):
    """A pcapng block: body padded to 4 bytes; total and trailer override its two length fields."""
    e = '>' if big_endian else '<'
    body = body + b'\0' * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack(e + 'II', btype, n if total is None else total) + body + \
        struct.pack(e + 'I', n if trailer is None else trailer)


def _ts_ns(ts):
    return ts if isinstance(ts, int) and ts > 10**12 else int(round(ts * 1e9))


class PcapWriter:
    """Classic pcap. nano: nanosecond magic; big_endian: write every header field big-endian."""

    def __init__(self, f, linktype=DLT_EN10MB, nano=False, big_endian=False, snaplen=262144):
        self.f = open(f, 'wb') if isinstance(f, str) else f
        self.big_endian = big_endian
        self.nano = nano
        self.snaplen = snaplen
        self.f.write(pcap_header(linktype, snaplen, nano, big_endian))
        self.count = 0

    def write(self, ts, frame, orig_len=None):
        self.write_ns(_ts_ns(ts), frame, orig_len)

    def write_ns(self, ts_ns, frame, orig_len=None):
        cap = frame[:self.snaplen]
        sec, ns = divmod(ts_ns, 10**9)
        frac = ns if self.nano else ns // 1000
        self.f.write(pcap_record_header(sec, frac, len(cap), orig_len or len(frame), self.big_endian) + cap)
        self.count += 1

    def close(self):
        self.f.close()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


class PcapngWriter:
    """pcapng: one section; add_interface() before writing packets on it; nanosecond resolution when nano."""

    def __init__(self, f, big_endian=False):
        self.f = open(f, 'wb') if isinstance(f, str) else f
        self.big_endian = big_endian
        self.e = '>' if big_endian else '<'
        self.ifaces = []
        opts = self._opt(4, b'pcapwrite') + self._opt(0, b'')  # shb_userappl, opt_endofopt
        body = struct.pack(self.e + 'IHHq', 0x1A2B3C4D, 1, 0, -1) + opts
        self._block(0x0A0D0D0A, body)
        self.count = 0

    def _opt(self, code, val):
        pad = (4 - len(val) % 4) % 4
        return struct.pack(self.e + 'HH', code, len(val)) + val + b'\0' * pad

    def _block(self, btype, body):
        self.f.write(pcapng_block(btype, body, self.big_endian))

    def add_interface(self, linktype, nano=False, snaplen=262144, name=None):
        opts = b''
        if name:
            opts += self._opt(2, name.encode())
        if nano:
            opts += self._opt(9, b'\x09')
        if opts:
            opts += self._opt(0, b'')
        self._block(0x00000001, struct.pack(self.e + 'HHI', linktype, 0, snaplen) + opts)
        self.ifaces.append((linktype, nano, snaplen))
        return len(self.ifaces) - 1

    def write(self, ts, frame, iface=0, orig_len=None):
        self.write_ns(_ts_ns(ts), frame, iface, orig_len)

    def write_ns(self, ts_ns, frame, iface=0, orig_len=None):
        _, nano, snaplen = self.ifaces[iface]
        cap = frame[:snaplen]
        t = ts_ns if nano else ts_ns // 1000
        pad = (4 - len(cap) % 4) % 4
        body = struct.pack(self.e + 'IIIII', iface, t >> 32, t & 0xffffffff, len(cap), orig_len or len(frame))
        self._block(0x00000006, body + cap + b'\0' * pad)
        self.count += 1

    def close(self):
        self.f.close()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


# ------------------------------------------------------------------------------------------ TCP scenarios
class TcpFlow:
    """Both directions of one TCP connection, tracking sequence numbers; each method returns IP packets.

    c = TcpFlow('10.0.0.1', 40000, '10.0.0.2', 80)
    c.syn(), c.synack(), c.ack(), c.data(from_client=False, n=1000), ..."""

    def __init__(self, cip, cport, sip, sport, cisn=1000, sisn=5000, win=65535, mss=1460, wscale=None, v6=None):
        self.cip, self.cport, self.sip, self.sport = cip, cport, sip, sport
        self.v6 = v6 if v6 is not None else ':' in cip
        self.cnext, self.snext = cisn, sisn  # next sequence number each side sends
        self.cisn, self.sisn = cisn, sisn
        self.win, self.mss, self.wscale = win, mss, wscale

    def _ip(self, from_client, seg):
        s, d = (self.cip, self.sip) if from_client else (self.sip, self.cip)
        return ipv6(s, d, seg) if self.v6 else ipv4(s, d, seg)

    def _ports(self, from_client):
        return (self.cport, self.sport) if from_client else (self.sport, self.cport)

    def syn(self):
        o = tcp_options(mss=self.mss, wscale=self.wscale, sack_perm=True)
        return self._ip(True, tcp(*self._ports(True), self.cisn, 0, SYN, self.win, options=o))

    def synack(self):
        o = tcp_options(mss=self.mss, wscale=self.wscale, sack_perm=True)
        return self._ip(False, tcp(*self._ports(False), self.sisn, self.cisn + 1, SYN | ACK, self.win, options=o))

    def handshake_done(self):
        self.cnext, self.snext = self.cisn + 1, self.sisn + 1

    def ack_only(self, from_client=True, win=None, ack=None):
        seq = self.cnext if from_client else self.snext
        a = ack if ack is not None else (self.snext if from_client else self.cnext)
        return self._ip(from_client, tcp(*self._ports(from_client), seq, a, ACK, self.win if win is None else win))

    def ack(self):
        """Third packet of the handshake (call after syn/synack)."""
        self.handshake_done()
        return self.ack_only(True)

    def data(self, from_client, n=1000, seq=None, advance=True, flags=ACK | PSH, win=None, payload=None):
        """A data segment; seq defaults to the next one; advance=False for a retransmission of an earlier one."""
        nxt = self.cnext if from_client else self.snext
        s = nxt if seq is None else seq
        body = payload if payload is not None else bytes((i & 0x7f) | 0x20 for i in range(n))
        a = self.snext if from_client else self.cnext
        pkt = self._ip(from_client, tcp(*self._ports(from_client), s, a, flags, self.win if win is None else win, body))
        if advance and s + len(body) > nxt:
            if from_client:
                self.cnext = s + len(body)
            else:
                self.snext = s + len(body)
        return pkt

    def fin(self, from_client):
        s = self.cnext if from_client else self.snext
        a = self.snext if from_client else self.cnext
        pkt = self._ip(from_client, tcp(*self._ports(from_client), s, a, FIN | ACK, self.win))
        if from_client:
            self.cnext += 1
        else:
            self.snext += 1
        return pkt

    def rst(self, from_client, with_ack=True):
        s = self.cnext if from_client else self.snext
        a = self.snext if from_client else self.cnext
        return self._ip(from_client, tcp(*self._ports(from_client), s, a if with_ack else 0,
                                         RST | (ACK if with_ack else 0), 0))


# ------------------------------------------------------------------------ Linux-like TCP over a timed path
def linux_tcp_options(syn=False, mss=1460, wscale=7, ts=None, sack=None):
    """TCP options in Linux's order and padding: SYN and SYN/ACK carry MSS, SACK permitted, timestamps, NOP,
    window scale (20 bytes); other segments NOP, NOP, timestamps (12 bytes), then NOP, NOP, SACK blocks."""
    if syn:
        o = struct.pack('!BBH', 2, 4, mss) + b'\x04\x02'
        if ts is not None:
            o += struct.pack('!BBII', 8, 10, ts[0] & 0xffffffff, ts[1] & 0xffffffff)
        return o + b'\x01' + struct.pack('!BBB', 3, 3, wscale)
    o = b''
    if ts is not None:
        o += b'\x01\x01' + struct.pack('!BBII', 8, 10, ts[0] & 0xffffffff, ts[1] & 0xffffffff)
    if sack:
        o += b'\x01\x01' + struct.pack('!BB', 5, 2 + 8 * len(sack)) + b''.join(
            struct.pack('!II', a & 0xffffffff, b & 0xffffffff) for a, b in sack)
    return o


class LinuxConn:
    """One TCP connection between two Linux hosts over a path with a one-way delay, as a capture at one point of
    it records it.  Times passed in are when the SENDING host sends (one clock for both hosts); the frame is
    recorded when it passes the capture point: at the client (at='client'), at the server ('server') or half-way
    ('middle').  Every segment carries timestamps (TSval = the sender's millisecond clock, TSecr = the last TSval
    that had reached it); windows are scaled by wscale after the handshake.  Returns of send(): the time the
    segment reaches the other host.

    record(ts_seconds, frame) is called for every frame the capture sees; wrap turns an IP packet into a frame.
    rate_bps serialises the server->client direction (the capture near the client sees segments spaced by it)."""

    MSS = 1460

    def __init__(self, record, cip, cport, sip, sport, one_way, at='client', cisn=1000, sisn=5000,
                 cwin=6291456, swin=65536, wscale=7, rate_bps=None, wrap=ether, cts=100000, sts=700000,
                 ipids=None):
        self.record, self.wrap = record, wrap
        self.ip = {True: (cip, sip), False: (sip, cip)}
        self.port = {True: (cport, sport), False: (sport, cport)}
        self.one_way, self.at, self.rate = one_way, at, rate_bps
        self.isn = {True: cisn, False: sisn}
        self.nxt = {True: cisn, False: sisn}          # next sequence number each side sends
        self.acked = {True: sisn, False: cisn}        # default ACK each side sends (set as data is delivered)
        self.win = {True: cwin, False: swin}          # receive window in bytes
        self.wscale = wscale
        self.ts0 = {True: cts, False: sts}            # TSval clock offsets (Linux: per connection, random)
        self.heard = {True: [], False: []}            # (arrival time, TSval) of segments that reached each side
        self.link_free = 0.0                          # server->client serialisation
        self.synced = False
        # IPv4 identification: None = the fixed 0x1234 of ipv4(); (client, server) = each host numbers its
        # datagrams from there, one more per datagram sent (Linux: a per-connection counter)
        self.ipid = None if ipids is None else {True: ipids[0], False: ipids[1]}

    # --- timing
    def _capture_time(self, from_client, t_send, t_arrive):
        if self.at == 'middle':
            return (t_send + t_arrive) / 2
        return t_send if (self.at == 'client') == from_client else t_arrive

    def _tsecr(self, side, t):
        h = self.heard[side]
        for arr, v in reversed(h):
            if arr <= t + 1e-12:
                return v
        return 0

    def send(self, from_client, t, payload=b'', flags=ACK | PSH, seq=None, ack=None, win=None, sack=None,
             drop=None, advance=True, syn_opts=False):
        """Sends one segment; drop='before' loses it before the capture point, 'after' after it (the capture
        sees it, the peer does not), 'missed' has the capture miss it (a capture drop: the peer gets it).
        Returns the arrival time at the peer (None when the peer does not get it)."""
        s = self.nxt[from_client] if seq is None else seq
        a = self.acked[from_client] if ack is None else ack
        tsval = int(t * 1000) + self.ts0[from_client]
        if syn_opts:
            opts = linux_tcp_options(True, self.MSS, self.wscale, (tsval, self._tsecr(from_client, t)))
            w = min(self.win[from_client], 64240 if from_client else 65160)
        else:
            opts = linux_tcp_options(ts=(tsval, self._tsecr(from_client, t)), sack=sack)
            w = (self.win[from_client] if win is None else win) >> (self.wscale if self.synced else 0)
        src, dst = self.ip[from_client]
        seg = tcp(*self.port[from_client], s, a if flags & ACK else 0, flags, min(w, 65535), payload, opts)
        if ':' in src:
            pkt = ipv6(src, dst, seg)
        elif self.ipid is None:
            pkt = ipv4(src, dst, seg)
        else:
            self.ipid[from_client] = (self.ipid[from_client] + 1) & 0xffff
            pkt = ipv4(src, dst, seg, ident=self.ipid[from_client])
        frame = self.wrap(pkt)
        t_arr = t + self.one_way
        if not from_client and self.rate:
            start = max(t, self.link_free)
            self.link_free = start + len(frame) * 8.0 / self.rate
            t_arr = self.link_free + self.one_way
        if drop not in ('before', 'missed'):  # 'before': lost between its sender and the capture point
            self.record(self._capture_time(from_client, t, t_arr), frame)
        if drop in (None, 'missed'):
            self.heard[not from_client].append((t_arr, tsval))
        if advance:
            n = len(payload) + (1 if flags & (SYN | FIN) else 0)
            if s + n > self.nxt[from_client]:
                self.nxt[from_client] = s + n
        return None if drop in ('before', 'after') else t_arr

    def deliver(self, to_client, upto):
        """The receiving side has everything below upto: its later segments acknowledge it."""
        self.acked[to_client] = upto

    # --- building blocks
    def connect(self, t):
        """SYN at t, SYN/ACK as soon as it arrives, ACK as soon as that arrives; returns when the client sent the
        ACK (the connection is usable on the client from then)."""
        self.nxt = dict(self.isn)
        t1 = self.send(True, t, flags=SYN, ack=0, syn_opts=True)
        self.deliver(False, self.isn[True] + 1)
        t2 = self.send(False, t1, flags=SYN | ACK, syn_opts=True)
        self.deliver(True, self.isn[False] + 1)
        self.synced = True
        self.send(True, t2, flags=ACK)
        return t2

    def data(self, from_client, t, data, mss=1448, gap=0.0):
        """Sends data in MSS-sized segments (PSH on the last), the first at t, then each when the link (or gap)
        allows; the peer has it all.  Returns (arrival of the last segment, number of segments)."""
        n, arr = 0, t
        for off in range(0, len(data), mss):
            chunk = data[off:off + mss]
            last = off + mss >= len(data)
            arr = self.send(from_client, t + n * gap, chunk, ACK | PSH if last else ACK)
            n += 1
        self.deliver(not from_client, self.nxt[from_client])
        return arr, n

    def ack_now(self, from_client, t, **kw):
        return self.send(from_client, t, b'', ACK, **kw)

    def close(self, t, client_first=True):
        """FIN, FIN/ACK, ACK; returns when the last ACK was sent."""
        a = client_first
        t1 = self.send(a, t, flags=FIN | ACK)
        self.deliver(not a, self.nxt[a])
        t2 = self.send(not a, t1, flags=FIN | ACK)
        self.deliver(a, self.nxt[not a])
        self.send(a, t2, flags=ACK)
        return t2

    def transfer(self, from_client, t, data, mss=1448, lose=(), delack=0.040, last_ack='delayed', rto_min=0.200):
        """Sends data as a Linux sender would and has the peer acknowledge it as a Linux receiver would: slow
        start from 10 segments (then congestion avoidance), limited by the receiver's window; the receiver ACKs
        every second segment at once, a lone one after the delayed-ACK timer (last_ack: 'delayed', 'now', or
        'none' when its own answer will carry the ACK), and any segment out of order at once with SACK blocks.
        lose: {(segment index, transmission number)} lost on the path (after the capture point when it is at the
        sender, before it otherwise); after 3 duplicate ACKs the
        sender retransmits (fast retransmit, cwnd halved), else when its retransmission timer (srtt + rto_min)
        expires (cwnd 1, slow start again).  The congestion window persists between calls.
        Returns the time the receiver has the last byte."""
        import heapq
        rcv = not from_client
        base = self.nxt[from_client]
        segs = [(base + off, data[off:off + mss]) for off in range(0, len(data), mss)]
        if not segs:
            return t
        end = base + len(data)
        st = self.__dict__.setdefault('_cc', {}).setdefault(from_client, {'cwnd': 10.0, 'ssthresh': 1e9})
        srtt = 2 * self.one_way
        rwnd = self.win[rcv]
        ev, order = [], [0]

        def push(when, kind, *a):
            order[0] += 1
            heapq.heappush(ev, (when, order[0], kind, a))

        sent = {}            # index -> transmissions so far
        sacked = set()
        state = {'una': 0, 'next': 0, 'dup': 0, 'recover': None, 'rto_gen': 0, 'armed': False, 'loss': False, 'rexmit': [],
                 'done': None}
        rx = {'nxt': base, 'ooo': {}, 'pending': 0, 'gen': 0}

        def transmit(now, i):
            k = sent.get(i, 0)
            sent[i] = k + 1
            seq, chunk = segs[i]
            last = i == len(segs) - 1
            # lost on the path: before the capture point unless the capture is at the sender
            drop = (('after' if self.at == ('client' if from_client else 'server') else 'before')
                    if (i, k) in lose else None)
            arr = self.send(from_client, now, chunk, ACK | PSH if last else ACK, seq=seq, drop=drop,
                            advance=True)
            if arr is not None:
                push(arr, 'data', i)
            if not state['armed']:
                arm(now)

        def arm(now):
            state['rto_gen'] += 1
            state['armed'] = True
            push(now + srtt + rto_min, 'rto', state['rto_gen'])

        def inflight():
            return sum(1 for j in range(state['una'], state['next']) if j not in sacked)

        def pump(now):
            while state['rexmit'] and inflight() <= st['cwnd']:
                transmit(now, state['rexmit'].pop(0))
            while state['next'] < len(segs) and inflight() < st['cwnd'] and \
                    (state['next'] - state['una'] + 1) * mss <= rwnd:
                transmit(now, state['next'])
                state['next'] += 1

        def receiver_ack(now):
            blocks, cur = [], None
            for sq in sorted(rx['ooo']):
                e = sq + len(rx['ooo'][sq])
                if cur and sq <= cur[1]:
                    cur[1] = max(cur[1], e)
                else:
                    cur = [sq, e]
                    blocks.append(cur)
            rx['pending'] = 0
            rx['gen'] += 1
            self.acked[rcv] = rx['nxt']
            arr = self.send(rcv, now, b'', ACK, ack=rx['nxt'], sack=[tuple(b) for b in blocks[:3]] or None)
            push(arr, 'ack', rx['nxt'], frozenset(i for i, (sq, c) in enumerate(segs) if sq in rx['ooo']))

        pump(t)
        while ev:
            now, _, kind, a = heapq.heappop(ev)
            if kind == 'data':
                seq, chunk = segs[a[0]]
                if seq + len(chunk) <= rx['nxt'] or seq in rx['ooo']:
                    receiver_ack(now)                                   # duplicate: ACK at once (D-SACK omitted)
                elif seq == rx['nxt']:
                    filled = bool(rx['ooo'])
                    rx['nxt'] = seq + len(chunk)
                    while rx['nxt'] in rx['ooo']:
                        rx['nxt'] += len(rx['ooo'].pop(rx['nxt']))
                    if rx['nxt'] >= end and state['done'] is None:
                        state['done'] = now
                    rx['pending'] += 1
                    if filled or rx['ooo'] or rx['pending'] >= 2:
                        receiver_ack(now)
                    elif rx['nxt'] >= end:
                        if last_ack == 'now':
                            receiver_ack(now)
                        elif last_ack == 'delayed':
                            push(now + delack, 'delack', rx['gen'])
                        else:                                           # the caller's next segment ACKs it
                            rx['pending'] = 0
                            self.acked[rcv] = rx['nxt']
                            push(now + self.one_way, 'ack', rx['nxt'], frozenset())
                    else:
                        push(now + delack, 'delack', rx['gen'])
                else:
                    rx['ooo'][seq] = chunk
                    receiver_ack(now)
            elif kind == 'delack':
                if a[0] == rx['gen'] and rx['pending']:
                    receiver_ack(now)
            elif kind == 'ack':
                ackno, sk = a
                sacked |= sk
                una = next((i for i, (sq, c) in enumerate(segs) if sq + len(c) > ackno), len(segs))
                if una > state['una']:
                    newly = una - state['una']
                    state['una'], state['dup'] = una, 0
                    state['rexmit'] = [j for j in state['rexmit'] if j >= una]
                    if state['recover'] is not None:
                        if una > state['recover']:
                            state['recover'] = None
                            if not state['loss']:
                                st['cwnd'] = st['ssthresh']
                            state['loss'] = False
                        elif state['loss']:
                            st['cwnd'] += newly                          # slow start after the timeout
                        elif una not in sacked and sent.get(una, 0) < 2:
                            transmit(now, una)                           # partial ACK: the next hole
                    elif st['cwnd'] < st['ssthresh']:
                        st['cwnd'] += newly
                    else:
                        st['cwnd'] += newly / st['cwnd']
                    if state['una'] >= len(segs):
                        state['rto_gen'] += 1                            # everything acknowledged
                        state['armed'] = False
                        continue
                    arm(now)
                elif state['next'] > state['una']:
                    state['dup'] += 1
                    if state['dup'] == 3 and state['recover'] is None:
                        st['ssthresh'] = max(st['cwnd'] / 2, 2.0)
                        st['cwnd'] = st['ssthresh']
                        state['recover'] = state['next'] - 1
                        transmit(now, state['una'])                      # fast retransmit
                pump(now)
            elif kind == 'rto':
                if a[0] == state['rto_gen'] and state['una'] < len(segs):
                    st['ssthresh'] = max(inflight() / 2, 2.0)
                    st['cwnd'] = 1.0
                    state['dup'] = 0
                    # resend the holes below the highest SACKed segment; dup ACKs still on their way must not
                    # start a fast recovery (Linux's Loss state) until everything sent so far is acknowledged
                    top = max([j for j in sacked if j >= state['una']] or [state['una']])
                    state['rexmit'] = [j for j in range(state['una'], top + 1) if j not in sacked]
                    state['recover'], state['loss'] = state['next'] - 1, True
                    transmit(now, state['rexmit'].pop(0))
                    arm(now)
        self.nxt[from_client] = end
        self.acked[rcv] = end
        return state['done']


def http_request(path, host='www.example.test', method='GET'):
    return ('%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: pcapwrite/1\r\nAccept: */*\r\n\r\n' % (
        method, path, host)).encode()


def http_response(body_len, status=200, reason='OK'):
    head = 'HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n' % (status, reason, body_len)
    return head.encode() + bytes(0x61 + i % 26 for i in range(body_len))


# ------------------------------------------------------------------------------------------------ TLS 1.3
def tls_record(ctype, body, version=0x0303):
    return struct.pack('!BHH', ctype, version, len(body)) + body


def _tls_ext(etype, data):
    return struct.pack('!HH', etype, len(data)) + data


def tls_client_hello(sni='www.example.test', seed=1):
    """A well-formed TLS 1.3 ClientHello record (x25519 key share, three TLS 1.3 suites)."""
    rnd = bytes((seed * 31 + i * 7) & 0xff for i in range(32))
    name = sni.encode()
    exts = _tls_ext(0, struct.pack('!HBH', len(name) + 3, 0, len(name)) + name)
    exts += _tls_ext(10, struct.pack('!HH', 2, 0x001d))
    exts += _tls_ext(13, struct.pack('!HHH', 4, 0x0403, 0x0804))
    exts += _tls_ext(43, struct.pack('!BH', 2, 0x0304))
    exts += _tls_ext(51, struct.pack('!HHH', 36, 0x001d, 32) + rnd[::-1])
    body = struct.pack('!H', 0x0303) + rnd + b'\x20' + rnd + struct.pack('!HHHH', 6, 0x1301, 0x1302, 0x1303) + \
        b'\x01\x00' + struct.pack('!H', len(exts)) + exts
    return tls_record(22, struct.pack('!I', (1 << 24) | len(body)) + body, version=0x0301)


def tls_server_hello(seed=2):
    rnd = bytes((seed * 17 + i * 5) & 0xff for i in range(32))
    exts = _tls_ext(43, struct.pack('!H', 0x0304)) + _tls_ext(51, struct.pack('!HH', 0x001d, 32) + rnd[::-1])
    body = struct.pack('!H', 0x0303) + rnd + b'\x20' + bytes(32) + struct.pack('!HB', 0x1301, 0) + \
        struct.pack('!H', len(exts)) + exts
    return tls_record(22, struct.pack('!I', (2 << 24) | len(body)) + body)


def tls_app_data(n, seed=0):
    """An encrypted TLS 1.3 record (content type application_data) of n bytes of ciphertext."""
    return tls_record(23, bytes((seed + i * 131) & 0xff for i in range(n)))


def tls_change_cipher_spec():
    return tls_record(20, b'\x01')
