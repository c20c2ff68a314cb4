/* Packet decoding: Ethernet/VLAN, Linux SLL/SLL2, raw IP, BSD null/loop, PPP, NFLOG, IPNET; IPv4 (RFC 791),
 * IPv6 and its extension headers (RFC 8200), TCP (RFC 9293, options RFC 7323/2018), UDP, ICMP (RFC 792),
 * ICMPv6 (RFC 4443), ARP. Every read is bounds-checked through cursor_t; lengths from headers are clamped. */
#include <arpa/inet.h>
#include <pcap/dlt.h>
#include <stdio.h>
#include <string.h>

#include "decode.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#define LINKTYPE_RAW_ 101

enum { ETH_IPV4 = 0x0800, ETH_ARP = 0x0806, ETH_VLAN = 0x8100, ETH_QINQ = 0x88a8, ETH_QINQ_OLD = 0x9100,
       ETH_IPV6 = 0x86dd, ETH_PPPOE = 0x8864, ETH_MPLS = 0x8847, ETH_MPLS_MC = 0x8848 };

static bool decode_ip(packet_t *p, cursor_t c, int depth);

static bool decode_ethertype(packet_t *p, uint16_t type, cursor_t c) {
        switch (type) {
        case ETH_IPV4:
        case ETH_IPV6:
                return decode_ip(p, c, 0);
        case ETH_ARP:
                p->l3 = L3_ARP;
                return true;
        case ETH_PPPOE: {
                /* RFC 2516 session stage: 6-byte PPPoE header, then a PPP protocol number */
                cursor_skip(&c, 6);
                uint16_t proto = cursor_be16(&c);
                if (!c.bad && (proto == 0x0021 || proto == 0x0057))
                        return decode_ip(p, c, 0);
                p->l3 = L3_OTHER;
                p->skip = c.bad ? SKIP_TRUNCATED : SKIP_ETHERTYPE;
                return false;
        }
        case ETH_MPLS:
        case ETH_MPLS_MC: {
                /* RFC 3032 label stack; the payload's version nibble tells IPv4 from IPv6 */
                for (int i = 0; i < 16; i++) {
                        uint32_t l = cursor_be32(&c);
                        if (c.bad) {
                                p->skip = SKIP_TRUNCATED;
                                return false;
                        }
                        if (l & 0x100)
                                return decode_ip(p, c, 0);
                }
                p->skip = SKIP_MALFORMED;
                return false;
        }
        default:
                p->l3 = L3_OTHER;
                p->skip = SKIP_ETHERTYPE;
                return false;
        }
}

static bool decode_ethernet(packet_t *p, cursor_t c) {
        if (!cursor_skip(&c, 12)) {
                p->skip = SKIP_TRUNCATED;
                return false;
        }
        uint16_t type = cursor_be16(&c);
        /* 802.1Q / 802.1ad stacks of any depth (bounded by the captured bytes). */
        for (int i = 0; i < 8 && (type == ETH_VLAN || type == ETH_QINQ || type == ETH_QINQ_OLD); i++) {
                p->vlan = true;
                cursor_skip(&c, 2);
                type = cursor_be16(&c);
        }
        if (c.bad) {
                p->skip = SKIP_TRUNCATED;
                return false;
        }
        if (type < 0x0600) {
                /* 802.3 length field: LLC/SNAP. Only SNAP carrying IP is decoded. */
                uint8_t dsap = cursor_u8(&c), ssap = cursor_u8(&c), ctl = cursor_u8(&c);
                if (dsap == 0xaa && ssap == 0xaa && ctl == 0x03) {
                        cursor_skip(&c, 3);
                        type = cursor_be16(&c);
                        if (!c.bad)
                                return decode_ethertype(p, type, c);
                }
                p->l3 = L3_OTHER;
                p->skip = SKIP_ETHERTYPE;
                return false;
        }
        return decode_ethertype(p, type, c);
}

static bool decode_family(packet_t *p, uint32_t family, cursor_t c) {
        /* BSD AF_INET is 2 everywhere; AF_INET6 is 24, 28 or 30 depending on the OS, 10 on Linux. */
        switch (family) {
        case 2:
                return decode_ip(p, c, 0);
        case 10: case 24: case 28: case 30:
                return decode_ip(p, c, 0);
        default:
                p->l3 = L3_OTHER;
                p->skip = SKIP_ETHERTYPE;
                return false;
        }
}

static bool decode_nflog(packet_t *p, cursor_t c) {
        /* NFLOG: 4-byte header (family, version, resource id), then TLVs (little-endian length and type,
         * 4-byte aligned); type 9 holds the packet. */
        cursor_skip(&c, 4);
        while (cursor_has(&c, 4)) {
                uint16_t len = cursor_le16(&c);
                uint16_t type = cursor_le16(&c) & 0x7fff;
                if (len < 4) {
                        p->skip = SKIP_MALFORMED;
                        return false;
                }
                size_t body = len - 4u;
                if (type == 9) {
                        cursor_t pl = cursor_sub(&c, body);
                        return decode_ip(p, pl, 0);
                }
                size_t padded = (body + 3u) & ~(size_t) 3u;
                if (!cursor_skip(&c, padded > c.len ? c.len : padded))
                        break;
        }
        p->skip = SKIP_TRUNCATED;
        return false;
}

bool decode_packet(packet_t *p, int dlt, const uint8_t *data, uint32_t caplen) {
        cursor_t c = cursor_make(data, caplen);
        p->dlt = dlt;

        switch (dlt) {
        case DLT_EN10MB:
                return decode_ethernet(p, c);
        case DLT_LINUX_SLL: {
                cursor_skip(&c, 14);
                uint16_t type = cursor_be16(&c);
                if (c.bad) {
                        p->skip = SKIP_TRUNCATED;
                        return false;
                }
                return decode_ethertype(p, type, c);
        }
        case DLT_LINUX_SLL2: {
                uint16_t type = cursor_be16(&c);
                cursor_skip(&c, 18);
                if (c.bad) {
                        p->skip = SKIP_TRUNCATED;
                        return false;
                }
                return decode_ethertype(p, type, c);
        }
        case DLT_RAW:
        case 14: /* DLT_RAW on BSD */
        case LINKTYPE_RAW_:
        case DLT_IPV4:
        case DLT_IPV6:
                return decode_ip(p, c, 0);
        case DLT_NULL: {
                uint32_t fam = cursor_le32(&c);
                /* host byte order of the capturing machine: accept both */
                if (fam > 0xffff)
                        fam = ntohl(fam);
                return decode_family(p, fam, c);
        }
        case DLT_LOOP:
                return decode_family(p, cursor_be32(&c), c);
        case DLT_PPP: {
                uint8_t a;
                if (cursor_peek_u8(&c, 0, &a) && a == 0xff)
                        cursor_skip(&c, 2);
                uint16_t proto = cursor_be16(&c);
                if (proto == 0x0021 || proto == 0x0057)
                        return decode_ip(p, c, 0);
                p->l3 = L3_OTHER;
                p->skip = c.bad ? SKIP_TRUNCATED : SKIP_ETHERTYPE;
                return false;
        }
        case DLT_NFLOG:
                return decode_nflog(p, c);
        case DLT_IPNET: {
                cursor_skip(&c, 1);
                uint8_t fam = cursor_u8(&c);
                if (!cursor_skip(&c, 22)) {
                        p->skip = SKIP_TRUNCATED;
                        return false;
                }
                if (fam == 2)
                        return decode_ip(p, c, 0);
                if (fam == 26)
                        return decode_ip(p, c, 0);
                p->skip = SKIP_ETHERTYPE;
                return false;
        }
        default:
                p->skip = SKIP_LINKTYPE;
                return false;
        }
}

bool decode_dlt_supported(int dlt) {
        switch (dlt) {
        case DLT_EN10MB: case DLT_LINUX_SLL: case DLT_LINUX_SLL2: case DLT_RAW: case 14: case LINKTYPE_RAW_:
        case DLT_IPV4: case DLT_IPV6: case DLT_NULL: case DLT_LOOP: case DLT_PPP: case DLT_NFLOG: case DLT_IPNET:
                return true;
        default:
                return false;
        }
}

const char *decode_dlt_name(int dlt) {
        switch (dlt) {
        case DLT_EN10MB: return "ethernet";
        case DLT_LINUX_SLL: return "linux-sll";
        case DLT_LINUX_SLL2: return "linux-sll2";
        case DLT_RAW: case 14: case LINKTYPE_RAW_: return "raw-ip";
        case DLT_IPV4: return "raw-ipv4";
        case DLT_IPV6: return "raw-ipv6";
        case DLT_NULL: return "bsd-null";
        case DLT_LOOP: return "bsd-loop";
        case DLT_PPP: return "ppp";
        case DLT_NFLOG: return "nflog";
        case DLT_IPNET: return "ipnet";
        default: return NULL;
        }
}

static void decode_tcp_options(packet_t *p, cursor_t o) {
        tcp_hdr_t *t = &p->tcp;
        while (cursor_has(&o, 1)) {
                uint8_t kind = cursor_u8(&o);
                if (kind == 0)
                        break;
                if (kind == 1)
                        continue;
                uint8_t len = cursor_u8(&o);
                if (o.bad || len < 2)
                        break;
                if (!cursor_has(&o, len - 2u))
                        break; /* an option that runs past the header is ignored, not half-read */
                cursor_t v = cursor_sub(&o, len - 2u);
                switch (kind) {
                case 2:
                        if (len == 4)
                                t->mss = cursor_be16(&v);
                        break;
                case 3:
                        if (len == 3) {
                                uint8_t s = cursor_u8(&v);
                                t->wscale = (int8_t) (s > 14 ? 14 : s); /* RFC 7323 2.3: values > 14 mean 14 */
                        }
                        break;
                case 4:
                        t->sack_perm = true;
                        break;
                case 5:
                        for (unsigned i = 0; i < 4 && cursor_has(&v, 8); i++) {
                                t->sack[i][0] = cursor_be32(&v);
                                t->sack[i][1] = cursor_be32(&v);
                                t->n_sack = (uint8_t) (i + 1);
                        }
                        break;
                case 8:
                        if (len == 10) {
                                t->has_ts = true;
                                t->ts_val = cursor_be32(&v);
                                t->ts_ecr = cursor_be32(&v);
                        }
                        break;
                default:
                        break;
                }
        }
}

/* Decodes the IP header quoted in an ICMP error: addresses, protocol and ports of the offending packet. */
static void decode_quote(packet_t *p, cursor_t c) {
        icmp_quote_t *q = &p->quote;
        uint8_t v0;
        if (!cursor_peek_u8(&c, 0, &v0))
                return;
        if (v0 >> 4 == 4) {
                uint8_t ihl = (v0 & 0x0f) * 4;
                if (ihl < 20 || !cursor_has(&c, ihl))
                        return;
                cursor_t h = c;
                cursor_skip(&h, 6);
                uint16_t fo = cursor_be16(&h);
                cursor_skip(&h, 1);
                q->proto = cursor_u8(&h);
                cursor_skip(&h, 2);
                q->src.family = q->dst.family = 4;
                cursor_copy(&h, q->src.b, 4);
                cursor_copy(&h, q->dst.b, 4);
                cursor_skip(&c, ihl);
                if ((fo & 0x1fff) == 0 && (q->proto == 6 || q->proto == 17) && cursor_has(&c, 4)) {
                        q->sport = cursor_be16(&c);
                        q->dport = cursor_be16(&c);
                }
                q->valid = true;
        } else if (v0 >> 4 == 6) {
                if (!cursor_has(&c, 40))
                        return;
                cursor_skip(&c, 6);
                uint8_t nh = cursor_u8(&c);
                cursor_skip(&c, 1);
                q->src.family = q->dst.family = 6;
                cursor_copy(&c, q->src.b, 16);
                cursor_copy(&c, q->dst.b, 16);
                /* walk extension headers a little so quoted UDP/TCP behind them is found */
                for (int i = 0; i < 4 && (nh == 0 || nh == 43 || nh == 60); i++) {
                        nh = cursor_u8(&c);
                        uint8_t l = cursor_u8(&c);
                        cursor_skip(&c, 6u + 8u * l);
                }
                q->proto = nh;
                if ((nh == 6 || nh == 17) && cursor_has(&c, 4)) {
                        q->sport = cursor_be16(&c);
                        q->dport = cursor_be16(&c);
                }
                q->valid = !c.bad || q->proto != 0;
        }
}

static void decode_transport(packet_t *p, cursor_t c, uint32_t wire_len) {
        /* c covers the captured transport bytes; wire_len is the transport length per the IP header. */
        switch (p->proto) {
        case 6: {
                tcp_hdr_t *t = &p->tcp;
                t->wscale = -1;
                if (!cursor_has(&c, 20)) {
                        p->skip = SKIP_TRUNCATED;
                        return;
                }
                p->sport = cursor_be16(&c);
                p->dport = cursor_be16(&c);
                t->seq = cursor_be32(&c);
                t->ack = cursor_be32(&c);
                uint8_t off = cursor_u8(&c);
                t->flags = cursor_u8(&c);
                t->win = cursor_be16(&c);
                cursor_skip(&c, 4);
                t->hdr_len = (uint8_t) ((off >> 4) * 4);
                if (t->hdr_len < 20) {
                        p->skip = SKIP_MALFORMED;
                        return;
                }
                cursor_t o = cursor_sub(&c, t->hdr_len - 20u);
                decode_tcp_options(p, o);
                p->has_l4 = true;
                p->payload = c.p;
                p->payload_caplen = (uint32_t) c.len;
                p->payload_len = wire_len > t->hdr_len ? wire_len - t->hdr_len : 0;
                if (p->payload_caplen > p->payload_len)
                        p->payload_caplen = p->payload_len;
                return;
        }
        case 17: {
                if (!cursor_has(&c, 8)) {
                        p->skip = SKIP_TRUNCATED;
                        return;
                }
                p->sport = cursor_be16(&c);
                p->dport = cursor_be16(&c);
                uint16_t ulen = cursor_be16(&c);
                cursor_skip(&c, 2);
                p->has_l4 = true;
                uint32_t len = wire_len >= 8 ? wire_len - 8 : 0;
                /* A UDP length that disagrees with IP is an anomaly; trust the smaller of the two, as
                 * the IP length bounds what was on the wire (ulen 0 is jumbo/unknown). */
                if (ulen >= 8 && ulen - 8u < len && !p->frag)
                        len = ulen - 8u;
                if (p->frag && ulen >= 8)
                        len = ulen - 8u; /* first fragment: the datagram's full payload length */
                p->payload = c.p;
                p->payload_caplen = (uint32_t) (c.len < len ? c.len : len);
                p->payload_len = len;
                return;
        }
        case 1:
        case 58: {
                if (!cursor_has(&c, 4)) {
                        p->skip = SKIP_TRUNCATED;
                        return;
                }
                p->icmp_type = cursor_u8(&c);
                p->icmp_code = cursor_u8(&c);
                cursor_skip(&c, 2);
                p->has_l4 = true;
                bool v6 = p->proto == 58;
                bool err = v6 ? p->icmp_type < 128
                              : (p->icmp_type == 3 || p->icmp_type == 4 || p->icmp_type == 5 ||
                                 p->icmp_type == 11 || p->icmp_type == 12);
                bool echo = v6 ? (p->icmp_type == 128 || p->icmp_type == 129)
                               : (p->icmp_type == 8 || p->icmp_type == 0);
                cursor_t rest = c;
                if (echo) {
                        p->icmp_id = cursor_be16(&rest);
                        p->icmp_seq = cursor_be16(&rest);
                } else if (err) {
                        if ((!v6 && p->icmp_type == 3 && p->icmp_code == 4)) {
                                cursor_skip(&rest, 2);
                                p->icmp_mtu = cursor_be16(&rest);
                        } else if (v6 && p->icmp_type == 2) {
                                p->icmp_mtu = cursor_be32(&rest);
                        } else {
                                cursor_skip(&rest, 4);
                        }
                        if (!rest.bad)
                                decode_quote(p, rest);
                }
                p->payload = c.p;
                p->payload_caplen = (uint32_t) c.len;
                p->payload_len = wire_len >= 4 ? wire_len - 4 : 0;
                return;
        }
        default:
                p->payload = c.p;
                p->payload_caplen = (uint32_t) c.len;
                p->payload_len = wire_len;
                return;
        }
}

static bool decode_ipv4(packet_t *p, cursor_t c, int depth) {
        cursor_t h = c;
        uint8_t vihl = cursor_u8(&h);
        uint8_t ihl = (uint8_t) ((vihl & 0x0f) * 4);
        cursor_skip(&h, 1);
        uint16_t total = cursor_be16(&h);
        uint16_t id = cursor_be16(&h);
        uint16_t fo = cursor_be16(&h);
        uint8_t ttl = cursor_u8(&h);
        uint8_t proto = cursor_u8(&h);
        cursor_skip(&h, 2);
        addr_t src = { .family = 4 }, dst = { .family = 4 };
        cursor_copy(&h, src.b, 4);
        cursor_copy(&h, dst.b, 4);
        if (h.bad) {
                p->l3 = L3_IPV4;
                p->skip = SKIP_TRUNCATED;
                return depth > 0;
        }
        if (ihl < 20) {
                p->l3 = L3_IPV4;
                p->skip = SKIP_MALFORMED;
                return depth > 0;
        }
        if (total == 0)
                total = (uint16_t) (c.len > 0xffff ? 0xffff : c.len); /* TSO on the capturing host */
        if (total < ihl) {
                p->l3 = L3_IPV4;
                p->skip = SKIP_MALFORMED;
                return depth > 0;
        }
        p->l3 = L3_IPV4;
        p->seen_ipv4 = true;
        p->src = src;
        p->dst = dst;
        p->ttl = ttl;
        p->proto = proto;
        p->ip_hdr = c.p;
        p->ip_hdr_caplen = (uint32_t) (c.len < total ? c.len : total);
        p->ip_id = id;
        if (depth == 0)
                p->ip_len = total;
        uint32_t off = (uint32_t) (fo & 0x1fff) * 8;
        bool mf = fo & 0x2000;
        if (off || mf) {
                p->frag = true;
                p->frag_first = off == 0;
                p->frag_id = id;
                p->frag_off = off;
                p->frag_more = mf;
                p->frag_payload = total - ihl;
        }
        if (!cursor_skip(&c, ihl)) {
                p->skip = SKIP_TRUNCATED;
                return true;
        }
        cursor_t pl = cursor_sub(&c, total - ihl);
        if (p->frag && !p->frag_first)
                return true;
        if ((proto == 4 || proto == 41) && depth < 3 && !p->frag) {
                p->tunnel = true;
                return decode_ip(p, pl, depth + 1);
        }
        decode_transport(p, pl, total - ihl);
        return true;
}

static bool decode_ipv6(packet_t *p, cursor_t c, int depth) {
        const cursor_t start = c;
        cursor_skip(&c, 4);
        uint16_t plen = cursor_be16(&c);
        uint8_t nh = cursor_u8(&c);
        uint8_t hlim = cursor_u8(&c);
        addr_t src = { .family = 6 }, dst = { .family = 6 };
        cursor_copy(&c, src.b, 16);
        cursor_copy(&c, dst.b, 16);
        p->l3 = L3_IPV6;
        if (c.bad) {
                p->skip = SKIP_TRUNCATED;
                return depth > 0;
        }
        p->seen_ipv6 = true;
        p->src = src;
        p->dst = dst;
        p->ttl = hlim;
        uint32_t len = plen ? plen : (uint32_t) c.len; /* 0: jumbogram (RFC 2675), length in an option */
        p->ip_hdr = start.p;
        p->ip_hdr_caplen = (uint32_t) (c.len < len ? c.len : len) + 40;
        p->ip_id = 0;
        if (depth == 0)
                p->ip_len = 40 + len;
        cursor_t pl = cursor_sub(&c, len);
        uint32_t left = len;
        for (int i = 0; i < 16; i++) {
                if (nh == 0 || nh == 43 || nh == 60 || nh == 51) {
                        uint8_t next = cursor_u8(&pl);
                        uint8_t hl = cursor_u8(&pl);
                        uint32_t sz = nh == 51 ? (hl + 2u) * 4u : (hl + 1u) * 8u;
                        if (pl.bad || sz > left || !cursor_skip(&pl, sz - 2)) {
                                p->skip = SKIP_TRUNCATED;
                                p->proto = nh;
                                return true;
                        }
                        left -= sz;
                        nh = next;
                        continue;
                }
                if (nh == 44) {
                        uint8_t next = cursor_u8(&pl);
                        cursor_skip(&pl, 1);
                        uint16_t fo = cursor_be16(&pl);
                        uint32_t id = cursor_be32(&pl);
                        if (pl.bad || left < 8) {
                                p->skip = SKIP_TRUNCATED;
                                p->proto = nh;
                                return true;
                        }
                        left -= 8;
                        p->frag = true;
                        p->frag_off = (uint32_t) (fo & 0xfff8);
                        p->frag_more = fo & 1;
                        p->frag_first = p->frag_off == 0;
                        p->frag_id = id;
                        p->frag_payload = left;
                        nh = next;
                        if (!p->frag_first) {
                                p->proto = nh;
                                return true;
                        }
                        continue;
                }
                break;
        }
        p->proto = nh;
        if ((nh == 4 || nh == 41) && depth < 3 && !p->frag) {
                p->tunnel = true;
                return decode_ip(p, pl, depth + 1);
        }
        if (nh == 59)
                return true;
        decode_transport(p, pl, left);
        return true;
}

static bool decode_ip(packet_t *p, cursor_t c, int depth) {
        uint8_t v;
        if (!cursor_peek_u8(&c, 0, &v)) {
                p->skip = SKIP_TRUNCATED;
                return false;
        }
        if (v >> 4 == 4)
                return decode_ipv4(p, c, depth);
        if (v >> 4 == 6)
                return decode_ipv6(p, c, depth);
        p->skip = SKIP_MALFORMED;
        return depth > 0;
}

int addr_compare(const addr_t *a, const addr_t *b) {
        if (a->family != b->family)
                return a->family < b->family ? -1 : 1;
        return memcmp(a->b, b->b, 16);
}

char *addr_format(const addr_t *a, char *buf, size_t len) {
        if (a->family == 4 && len >= 16) {
                /* dotted quad as inet_ntop writes it, without its sprintf (the reports format many) */
                char *p = buf;
                for (int i = 0; i < 4; i++) {
                        unsigned v = a->b[i];
                        if (v >= 100)
                                *p++ = (char) ('0' + v / 100);
                        if (v >= 10)
                                *p++ = (char) ('0' + v / 10 % 10);
                        *p++ = (char) ('0' + v % 10);
                        *p++ = i < 3 ? '.' : '\0';
                }
        } else if (a->family == 4)
                inet_ntop(AF_INET, a->b, buf, (socklen_t) len);
        else if (a->family == 6)
                inet_ntop(AF_INET6, a->b, buf, (socklen_t) len);
        else
                snprintf(buf, len, "-");
        return buf;
}
