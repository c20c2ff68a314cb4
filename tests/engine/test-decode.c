/* Unit tests of lib/engine/decode.c: every link type, IPv4 options and bad headers, IPv6 extension headers,
 * TCP options (valid and malformed), UDP length disagreements, ICMP/ICMPv6 errors, and truncation at every
 * byte (each packet is decoded from a heap copy of exactly caplen bytes, so ASan sees any over-read). */
#include <arpa/inet.h>
#include <pcap/dlt.h>

#include "engine/decode.h"
#include "test-util.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

static bool dec(packet_t *p, int dlt, const uint8_t *data, size_t len) {
        uint8_t *copy = malloc(len ? len : 1);
        if (len)
                memcpy(copy, data, len);
        *p = (packet_t) { 0 }; /* as the engine hands it */
        bool r = decode_packet(p, dlt, copy, (uint32_t) len);
        /* pointers into the packet must stay inside it */
        if (p->payload_caplen)
                CHECK(p->payload >= copy && p->payload + p->payload_caplen <= copy + len);
        free(copy);
        p->payload = NULL; /* freed */
        return r;
}

static void addr4(addr_t *a, const char *s) {
        *a = (addr_t) { .family = 4 };
        tu_addr4(a->b, s);
}
static void addr6(addr_t *a, const char *s) {
        *a = (addr_t) { .family = 6 };
        tu_addr6(a->b, s);
}

/* IPv4 + TCP (MSS option) + 10 payload bytes, without link header */
static void ip_tcp(tu_buf_t *t, bool v6) {
        uint8_t o[8];
        size_t ol = tu_opt_mss(o, 0, 1460);
        size_t ip = v6 ? tu_ipv6(t, "2001:db8::1", "2001:db8::2", 6) : tu_ipv4(t, "10.0.0.1", "10.0.0.2", 6, NULL, 0);
        tu_tcp(t, 40000, 80, 1000, 2000, TCP_ACK | TCP_PSH, 512, o, ol);
        tu_pattern(t, 10);
        v6 ? tu_ipv6_end(t, ip) : tu_ipv4_end(t, ip);
}

static void check_tcp4(const packet_t *p) {
        addr_t s, d;
        addr4(&s, "10.0.0.1");
        addr4(&d, "10.0.0.2");
        CHECK_EQ(p->l3, L3_IPV4);
        CHECK(addr_equal(&p->src, &s));
        CHECK(addr_equal(&p->dst, &d));
        CHECK_EQ(p->proto, 6);
        CHECK(p->has_l4);
        CHECK_EQ(p->sport, 40000);
        CHECK_EQ(p->dport, 80);
        CHECK_EQU(p->tcp.seq, 1000);
        CHECK_EQU(p->tcp.ack, 2000);
        CHECK_EQ(p->tcp.flags, TCP_ACK | TCP_PSH);
        CHECK_EQ(p->tcp.win, 512);
        CHECK_EQ(p->tcp.mss, 1460);
        CHECK_EQ(p->tcp.hdr_len, 24);
        CHECK_EQU(p->payload_len, 10);
        CHECK_EQU(p->payload_caplen, 10);
        CHECK_EQ(p->skip, SKIP_NONE);
}

static void test_ethernet(void) {
        tu_buf_t t = { 0 };
        packet_t p;
        tu_eth(&t, 0x0800);
        ip_tcp(&t, false);
        CHECK(dec(&p, DLT_EN10MB, t.b, t.n));
        check_tcp4(&p);
        CHECK(!p.vlan);
        CHECK_EQ(p.dlt, DLT_EN10MB);
        CHECK_EQU(p.ip_len, 20 + 24 + 10);

        /* Ethernet padding after a short datagram is not payload */
        tu_zero(&t, 60 - t.n > 0 && t.n < 60 ? 60 - t.n : 0);
        tu_reset(&t);
        tu_eth(&t, 0x0800);
        size_t ip = tu_ipv4(&t, "10.0.0.1", "10.0.0.2", 6, NULL, 0);
        tu_tcp(&t, 1, 2, 0, 0, TCP_ACK, 1, NULL, 0);
        tu_ipv4_end(&t, ip);
        tu_zero(&t, 6); /* 54 -> 60 bytes, minimum frame */
        CHECK(dec(&p, DLT_EN10MB, t.b, t.n));
        CHECK(p.has_l4);
        CHECK_EQU(p.payload_len, 0);
        CHECK_EQU(p.payload_caplen, 0);

        /* IPv6 */
        tu_reset(&t);
        tu_eth(&t, 0x86dd);
        ip_tcp(&t, true);
        CHECK(dec(&p, DLT_EN10MB, t.b, t.n));
        addr_t s;
        addr6(&s, "2001:db8::1");
        CHECK_EQ(p.l3, L3_IPV6);
        CHECK(addr_equal(&p.src, &s));
        CHECK_EQ(p.dport, 80);
        CHECK_EQU(p.payload_len, 10);

        /* ARP */
        tu_reset(&t);
        tu_eth(&t, 0x0806);
        tu_zero(&t, 28);
        CHECK(dec(&p, DLT_EN10MB, t.b, t.n));
        CHECK_EQ(p.l3, L3_ARP);

        /* another ethertype (LLDP) is skipped as not IP */
        tu_reset(&t);
        tu_eth(&t, 0x88cc);
        tu_zero(&t, 40);
        CHECK(!dec(&p, DLT_EN10MB, t.b, t.n));
        CHECK_EQ(p.skip, SKIP_ETHERTYPE);

        /* 802.3 + LLC/SNAP carrying IPv4 */
        tu_reset(&t);
        tu_eth(&t, 0x0040);
        static const uint8_t snap[] = { 0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00 };
        tu_put(&t, snap, sizeof snap);
        ip_tcp(&t, false);
        CHECK(dec(&p, DLT_EN10MB, t.b, t.n));
        check_tcp4(&p);
        tu_free(&t);
}

static void test_vlan(void) {
        tu_buf_t t = { 0 };
        packet_t p;
        static const uint16_t outer[] = { 0x8100, 0x88a8, 0x9100 };
        for (unsigned depth = 1; depth <= 4; depth++)
                for (unsigned o = 0; o < 3; o++) {
                        tu_reset(&t);
                        tu_eth(&t, outer[o]);
                        for (unsigned i = 0; i < depth; i++)
                                tu_vlan(&t, (uint16_t) (100 + i), i + 1 < depth ? 0x8100 : 0x0800);
                        ip_tcp(&t, false);
                        CHECK_MSG(dec(&p, DLT_EN10MB, t.b, t.n), "depth %u outer 0x%04x", depth, outer[o]);
                        check_tcp4(&p);
                        CHECK(p.vlan);
                }
        /* QinQ with IPv6 inside */
        tu_reset(&t);
        tu_eth(&t, 0x88a8);
        tu_vlan(&t, 10, 0x8100);
        tu_vlan(&t, 20, 0x86dd);
        ip_tcp(&t, true);
        CHECK(dec(&p, DLT_EN10MB, t.b, t.n));
        CHECK_EQ(p.l3, L3_IPV6);
        CHECK(p.vlan);
        /* a tag cut in the middle */
        tu_reset(&t);
        tu_eth(&t, 0x8100);
        tu_u8(&t, 0);
        CHECK(!dec(&p, DLT_EN10MB, t.b, t.n));
        CHECK_EQ(p.skip, SKIP_TRUNCATED);
        tu_free(&t);
}

static void test_pppoe_mpls(void) {
        tu_buf_t t = { 0 };
        packet_t p;
        /* PPPoE session (RFC 2516) behind a VLAN tag, IPv4 and IPv6 */
        for (int v6 = 0; v6 < 2; v6++) {
                tu_reset(&t);
                tu_eth(&t, 0x8100);
                tu_vlan(&t, 7, 0x8864);
                tu_u8(&t, 0x11);
                tu_u8(&t, 0);
                tu_be16(&t, 0x1234);
                tu_be16(&t, 0); /* length, not trusted */
                tu_be16(&t, v6 ? 0x0057 : 0x0021);
                ip_tcp(&t, v6);
                CHECK_MSG(dec(&p, DLT_EN10MB, t.b, t.n), "PPPoE v6=%d", v6);
                CHECK_EQ(p.l3, v6 ? L3_IPV6 : L3_IPV4);
                CHECK_EQ(p.dport, 80);
                CHECK(p.vlan);
        }
        /* PPPoE carrying LCP, and cut inside its header */
        tu_reset(&t);
        tu_eth(&t, 0x8864);
        tu_put(&t, (const uint8_t[8]) { 0x11, 0, 0, 1, 0, 4, 0xc0, 0x21 }, 8);
        tu_zero(&t, 4);
        CHECK(!dec(&p, DLT_EN10MB, t.b, t.n));
        CHECK_EQ(p.skip, SKIP_ETHERTYPE);
        for (size_t cut = 14; cut < 22; cut++) {
                CHECK(!dec(&p, DLT_EN10MB, t.b, cut));
                CHECK_MSG(p.skip == SKIP_TRUNCATED, "PPPoE cut %zu: skip %d", cut, p.skip);
        }
        /* MPLS: two labels, bottom of stack on the second, then IPv4; then IPv6 */
        for (int v6 = 0; v6 < 2; v6++) {
                tu_reset(&t);
                tu_eth(&t, 0x8847);
                tu_be32(&t, (100u << 12) | 64);
                tu_be32(&t, (200u << 12) | 0x100 | 64);
                ip_tcp(&t, v6);
                CHECK_MSG(dec(&p, DLT_EN10MB, t.b, t.n), "MPLS v6=%d", v6);
                CHECK_EQ(p.l3, v6 ? L3_IPV6 : L3_IPV4);
                CHECK_EQU(p.payload_len, 10);
        }
        /* a label stack that never ends is bounded */
        tu_reset(&t);
        tu_eth(&t, 0x8847);
        for (int i = 0; i < 40; i++)
                tu_be32(&t, 1u << 12);
        CHECK(!dec(&p, DLT_EN10MB, t.b, t.n));
        CHECK(p.skip == SKIP_MALFORMED || p.skip == SKIP_TRUNCATED);
        tu_free(&t);
}

static void test_sll(void) {
        tu_buf_t t = { 0 };
        packet_t p;
        /* SLL: packet type, ARPHRD, address length, 8 address bytes, protocol */
        tu_be16(&t, 0);
        tu_be16(&t, 1);
        tu_be16(&t, 6);
        tu_zero(&t, 8);
        tu_be16(&t, 0x0800);
        ip_tcp(&t, false);
        CHECK(dec(&p, DLT_LINUX_SLL, t.b, t.n));
        check_tcp4(&p);

        tu_reset(&t);
        tu_be16(&t, 0);
        tu_be16(&t, 1);
        tu_be16(&t, 6);
        tu_zero(&t, 8);
        tu_be16(&t, 0x86dd);
        ip_tcp(&t, true);
        CHECK(dec(&p, DLT_LINUX_SLL, t.b, t.n));
        CHECK_EQ(p.l3, L3_IPV6);
        CHECK_EQU(p.payload_len, 10);

        /* SLL2: protocol, reserved, ifindex, ARPHRD, packet type, address length, 8 address bytes */
        tu_reset(&t);
        tu_be16(&t, 0x0800);
        tu_be16(&t, 0);
        tu_be32(&t, 3);
        tu_be16(&t, 1);
        tu_u8(&t, 4);
        tu_u8(&t, 6);
        tu_zero(&t, 8);
        ip_tcp(&t, false);
        CHECK(dec(&p, DLT_LINUX_SLL2, t.b, t.n));
        check_tcp4(&p);

        /* an SLL header cut anywhere in its 16 bytes (protocol field included) is a truncated header */
        tu_reset(&t);
        tu_be16(&t, 0);
        tu_be16(&t, 1);
        tu_be16(&t, 6);
        tu_zero(&t, 8);
        tu_be16(&t, 0x0800);
        for (size_t cut = 0; cut < 16; cut++) {
                CHECK(!dec(&p, DLT_LINUX_SLL, t.b, cut));
                CHECK_MSG(p.skip == SKIP_TRUNCATED, "SLL header cut at %zu bytes: skip %d (%s), expected SKIP_TRUNCATED",
                          cut, p.skip, p.skip == SKIP_ETHERTYPE ? "counted as not IP" : "?");
        }
        tu_reset(&t);
        tu_be16(&t, 0x0800);
        tu_zero(&t, 18);
        for (size_t cut = 0; cut < 20; cut++) {
                CHECK(!dec(&p, DLT_LINUX_SLL2, t.b, cut));
                CHECK_MSG(p.skip == SKIP_TRUNCATED, "SLL2 header cut at %zu bytes: skip %d", cut, p.skip);
        }
        tu_free(&t);
}

static void test_raw(void) {
        tu_buf_t t = { 0 };
        packet_t p;
        static const int dlts[] = { DLT_RAW, 14, 101, 228 /* DLT_IPV4 */ };
        ip_tcp(&t, false);
        for (unsigned i = 0; i < sizeof dlts / sizeof dlts[0]; i++) {
                CHECK_MSG(dec(&p, dlts[i], t.b, t.n), "dlt %d", dlts[i]);
                check_tcp4(&p);
        }
        tu_reset(&t);
        ip_tcp(&t, true);
        static const int dlts6[] = { DLT_RAW, 14, 101, 229 /* DLT_IPV6 */ };
        for (unsigned i = 0; i < sizeof dlts6 / sizeof dlts6[0]; i++) {
                CHECK_MSG(dec(&p, dlts6[i], t.b, t.n), "dlt %d", dlts6[i]);
                CHECK_EQ(p.l3, L3_IPV6);
                CHECK_EQ(p.dport, 80);
        }
        /* not IP at all */
        static const uint8_t junk[] = { 0x10, 0, 0, 0 };
        CHECK(!dec(&p, DLT_RAW, junk, sizeof junk));
        CHECK(p.skip == SKIP_MALFORMED || p.skip == SKIP_TRUNCATED);
        CHECK(!dec(&p, DLT_RAW, junk, 0));
        CHECK_EQ(p.skip, SKIP_TRUNCATED);
        tu_free(&t);
}

static void test_null_loop(void) {
        tu_buf_t t = { 0 };
        packet_t p;
        /* DLT_NULL: the family in the capturing host's byte order, so both orders occur */
        static const uint32_t fam4[] = { 2 }, fam6[] = { 10, 24, 28, 30 };
        for (int be = 0; be < 2; be++) {
                tu_reset(&t);
                tu_w32(&t, be, fam4[0]);
                ip_tcp(&t, false);
                CHECK_MSG(dec(&p, DLT_NULL, t.b, t.n), "AF_INET be=%d", be);
                check_tcp4(&p);
                for (unsigned i = 0; i < 4; i++) {
                        tu_reset(&t);
                        tu_w32(&t, be, fam6[i]);
                        ip_tcp(&t, true);
                        CHECK_MSG(dec(&p, DLT_NULL, t.b, t.n), "AF_INET6=%u be=%d", fam6[i], be);
                        CHECK_EQ(p.l3, L3_IPV6);
                        CHECK_EQU(p.payload_len, 10);
                }
                tu_reset(&t);
                tu_w32(&t, be, 7); /* not an IP family */
                ip_tcp(&t, false);
                CHECK(!dec(&p, DLT_NULL, t.b, t.n));
        }
        /* DLT_LOOP: always network byte order */
        tu_reset(&t);
        tu_be32(&t, 2);
        ip_tcp(&t, false);
        CHECK(dec(&p, DLT_LOOP, t.b, t.n));
        check_tcp4(&p);
        tu_reset(&t);
        tu_be32(&t, 24);
        ip_tcp(&t, true);
        CHECK(dec(&p, DLT_LOOP, t.b, t.n));
        CHECK_EQ(p.l3, L3_IPV6);
        for (size_t cut = 0; cut < 4; cut++)
                CHECK(!dec(&p, DLT_NULL, t.b, cut));
        tu_free(&t);
}

static void test_ppp(void) {
        tu_buf_t t = { 0 };
        packet_t p;
        static const uint8_t hdlc[] = { 0xff, 0x03 };
        tu_put(&t, hdlc, 2);
        tu_be16(&t, 0x0021);
        ip_tcp(&t, false);
        CHECK(dec(&p, DLT_PPP, t.b, t.n));
        check_tcp4(&p);
        tu_reset(&t);
        tu_be16(&t, 0x0021); /* address and control compressed away */
        ip_tcp(&t, false);
        CHECK(dec(&p, DLT_PPP, t.b, t.n));
        check_tcp4(&p);
        tu_reset(&t);
        tu_put(&t, hdlc, 2);
        tu_be16(&t, 0x0057);
        ip_tcp(&t, true);
        CHECK(dec(&p, DLT_PPP, t.b, t.n));
        CHECK_EQ(p.l3, L3_IPV6);
        tu_reset(&t);
        tu_put(&t, hdlc, 2);
        tu_be16(&t, 0xc021); /* LCP */
        tu_zero(&t, 10);
        CHECK(!dec(&p, DLT_PPP, t.b, t.n));
        CHECK_EQ(p.skip, SKIP_ETHERTYPE);
        CHECK(!dec(&p, DLT_PPP, t.b, 3));
        CHECK_EQ(p.skip, SKIP_TRUNCATED);
        tu_free(&t);
}

static void nflog_tlv(tu_buf_t *t, uint16_t type, const void *v, size_t n) {
        tu_le16(t, (uint16_t) (4 + n));
        tu_le16(t, type);
        tu_put(t, v, n);
        tu_zero(t, (4 - n % 4) % 4);
}

static void test_nflog(void) {
        tu_buf_t t = { 0 }, ip = { 0 };
        packet_t p;
        ip_tcp(&ip, false); /* 54 bytes: not a multiple of 4, so the TLV is padded */
        tu_u8(&t, 2);       /* AF_INET */
        tu_u8(&t, 0);
        tu_be16(&t, 5);
        static const uint8_t hwproto[4] = { 0x08, 0x00, 3, 0 };
        nflog_tlv(&t, 1, hwproto, sizeof hwproto);
        nflog_tlv(&t, 10, "prefix", 7); /* a prefix string: 7 bytes, padded */
        nflog_tlv(&t, 9, ip.b, ip.n);
        CHECK(dec(&p, DLT_NFLOG, t.b, t.n));
        check_tcp4(&p);

        /* no payload TLV */
        tu_reset(&t);
        tu_u8(&t, 2);
        tu_u8(&t, 0);
        tu_be16(&t, 5);
        nflog_tlv(&t, 1, hwproto, sizeof hwproto);
        CHECK(!dec(&p, DLT_NFLOG, t.b, t.n));
        /* a TLV length below its own header */
        tu_reset(&t);
        tu_u8(&t, 2);
        tu_u8(&t, 0);
        tu_be16(&t, 5);
        tu_le16(&t, 2);
        tu_le16(&t, 1);
        tu_zero(&t, 8);
        CHECK(!dec(&p, DLT_NFLOG, t.b, t.n));
        CHECK_EQ(p.skip, SKIP_MALFORMED);
        /* a payload TLV that claims more than is there */
        tu_reset(&t);
        tu_u8(&t, 2);
        tu_u8(&t, 0);
        tu_be16(&t, 5);
        tu_le16(&t, 4000);
        tu_le16(&t, 9);
        tu_put(&t, ip.b, ip.n);
        dec(&p, DLT_NFLOG, t.b, t.n);
        tu_free(&t);
        tu_free(&ip);
}

static void test_ipnet(void) {
        tu_buf_t t = { 0 };
        packet_t p;
        for (int v6 = 0; v6 < 2; v6++) {
                tu_reset(&t);
                tu_u8(&t, 2);             /* version */
                tu_u8(&t, v6 ? 26 : 2);   /* IPH_AF_INET6 / IPH_AF_INET */
                tu_be16(&t, 0);
                tu_be32(&t, 54);
                tu_zero(&t, 16);
                ip_tcp(&t, v6);
                CHECK_MSG(dec(&p, DLT_IPNET, t.b, t.n), "v6=%d", v6);
                CHECK_EQ(p.l3, v6 ? L3_IPV6 : L3_IPV4);
                CHECK_EQ(p.dport, 80);
        }
        for (size_t cut = 0; cut < 24; cut++)
                CHECK(!dec(&p, DLT_IPNET, t.b, cut));
        tu_free(&t);
}

static void test_unknown_link(void) {
        static const uint8_t b[64] = { 0 };
        packet_t p;
        CHECK(!dec(&p, 147 /* DLT_USER0 */, b, sizeof b));
        CHECK_EQ(p.skip, SKIP_LINKTYPE);
        CHECK(!decode_dlt_supported(147));
        CHECK(decode_dlt_name(147) == NULL);
        static const int ok[] = { DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_NULL, DLT_LOOP, DLT_PPP,
                                  DLT_NFLOG, DLT_IPNET, 228, 229 };
        for (unsigned i = 0; i < sizeof ok / sizeof ok[0]; i++) {
                CHECK_MSG(decode_dlt_supported(ok[i]), "dlt %d", ok[i]);
                CHECK_MSG(decode_dlt_name(ok[i]) != NULL, "dlt %d", ok[i]);
        }
}

static void test_ipv4_headers(void) {
        tu_buf_t t = { 0 };
        packet_t p;
        /* options of every legal length: IHL 6..15 */
        for (size_t ol = 4; ol <= 40; ol += 4) {
                uint8_t opts[40];
                memset(opts, 1, sizeof opts); /* NOPs */
                opts[ol - 1] = 0;
                tu_reset(&t);
                tu_eth(&t, 0x0800);
                size_t ip = tu_ipv4(&t, "10.0.0.1", "10.0.0.2", 6, opts, ol);
                uint8_t o[8];
                size_t n = tu_opt_mss(o, 0, 1460);
                tu_tcp(&t, 40000, 80, 1000, 2000, TCP_ACK | TCP_PSH, 512, o, n);
                tu_pattern(&t, 10);
                tu_ipv4_end(&t, ip);
                CHECK_MSG(dec(&p, DLT_EN10MB, t.b, t.n), "options %zu", ol);
                check_tcp4(&p);
        }
        /* IHL below 5 */
        for (uint8_t ihl = 0; ihl < 5; ihl++) {
                tu_reset(&t);
                tu_eth(&t, 0x0800);
                size_t ip = tu_ipv4(&t, "10.0.0.1", "10.0.0.2", 6, NULL, 0);
                tu_tcp(&t, 1, 2, 0, 0, TCP_ACK, 1, NULL, 0);
                tu_ipv4_end(&t, ip);
                t.b[ip] = (uint8_t) (0x40 | ihl);
                CHECK(!dec(&p, DLT_EN10MB, t.b, t.n));
                CHECK_MSG(p.skip == SKIP_MALFORMED, "ihl %u: skip %d", ihl, p.skip);
                CHECK(!p.has_l4);
        }
        /* total length below the header length */
        tu_reset(&t);
        tu_eth(&t, 0x0800);
        size_t ip = tu_ipv4(&t, "10.0.0.1", "10.0.0.2", 6, (const uint8_t[]) { 1, 1, 1, 0 }, 4);
        tu_tcp(&t, 1, 2, 0, 0, TCP_ACK, 1, NULL, 0);
        tu_ipv4_end(&t, ip);
        tu_set_be16(&t, ip + 2, 20); /* < IHL 24 */
        CHECK(!dec(&p, DLT_EN10MB, t.b, t.n));
        CHECK_EQ(p.skip, SKIP_MALFORMED);
        /* total length above what was captured: the wire length is the header's, the capture is clamped */
        tu_set_be16(&t, ip + 2, 1500);
        CHECK(dec(&p, DLT_EN10MB, t.b, t.n));
        CHECK(p.has_l4);
        CHECK_EQU(p.ip_len, 1500);
        CHECK_EQU(p.payload_len, 1500 - 24 - 20);
        CHECK_EQU(p.payload_caplen, 0);
        /* total length 0 (TSO on the capturing host): the captured length stands in */
        tu_reset(&t);
        tu_eth(&t, 0x0800);
        ip_tcp(&t, false);
        tu_set_be16(&t, 14 + 2, 0);
        CHECK(dec(&p, DLT_EN10MB, t.b, t.n));
        CHECK_EQU(p.payload_len, 10);
        /* IP version 5 */
        tu_reset(&t);
        tu_eth(&t, 0x0800);
        ip_tcp(&t, false);
        t.b[14] = 0x55;
        CHECK(!dec(&p, DLT_EN10MB, t.b, t.n));
        CHECK_EQ(p.skip, SKIP_MALFORMED);
        /* TCP data offset below 5 */
        tu_reset(&t);
        tu_eth(&t, 0x0800);
        ip_tcp(&t, false);
        t.b[14 + 20 + 12] = 0x40;
        CHECK(dec(&p, DLT_EN10MB, t.b, t.n));
        CHECK(!p.has_l4);
        CHECK_EQ(p.skip, SKIP_MALFORMED);
        tu_free(&t);
}

static void test_ip_in_ip(void) {
        tu_buf_t t = { 0 };
        packet_t p;
        /* 6in4 (protocol 41) */
        tu_eth(&t, 0x0800);
        size_t outer = tu_ipv4(&t, "192.0.2.1", "192.0.2.2", 41, NULL, 0);
        ip_tcp(&t, true);
        tu_ipv4_end(&t, outer);
        CHECK(dec(&p, DLT_EN10MB, t.b, t.n));
        CHECK(p.tunnel);
        CHECK(p.seen_ipv4 && p.seen_ipv6);
        CHECK_EQ(p.l3, L3_IPV6);
        CHECK_EQ(p.dport, 80);
        CHECK_EQU(p.ip_len, 20 + 40 + 24 + 10); /* the outer datagram's length */
        /* 4in4 whose inner header is cut */
        tu_reset(&t);
        tu_eth(&t, 0x0800);
        outer = tu_ipv4(&t, "192.0.2.1", "192.0.2.2", 4, NULL, 0);
        tu_zero(&t, 10);
        t.b[t.n - 10] = 0x45;
        tu_ipv4_end(&t, outer);
        dec(&p, DLT_EN10MB, t.b, t.n);
        CHECK(!p.has_l4);
        tu_free(&t);
}

/* every prefix of a frame decodes without reading past it, and says what it could */
static void truncate_every_byte(const tu_buf_t *t, int dlt, size_t l3_off, size_t l4_off, size_t l4_min, size_t pay_off,
                                const char *what) {
        for (size_t cut = 0; cut < t->n; cut++) {
                packet_t p;
                bool r = dec(&p, dlt, t->b, cut);
                if (cut < l3_off + 1)
                        CHECK_MSG(!r && p.skip == SKIP_TRUNCATED, "%s cut %zu: r=%d skip=%d", what, cut, r, p.skip);
                if (cut < l4_off + l4_min)
                        CHECK_MSG(!p.has_l4, "%s cut %zu: transport decoded from a cut header", what, cut);
                else
                        CHECK_MSG(p.has_l4, "%s cut %zu: transport header complete but not decoded", what, cut);
                if (cut < t->n)
                        CHECK_MSG(p.skip != SKIP_NONE || p.has_l4, "%s cut %zu: nothing decoded, no reason", what, cut);
                if (p.has_l4 && cut >= pay_off)
                        CHECK_MSG(p.payload_caplen == cut - pay_off, "%s cut %zu: payload_caplen %u", what, cut,
                                  p.payload_caplen);
                if (p.has_l4 && p.proto == 6 && p.tcp.has_ts)
                        CHECK_MSG(cut >= l4_off + 20 + 12, "%s cut %zu: timestamp option taken from a cut option (tsval %u tsecr %u)",
                                  what, cut, p.tcp.ts_val, p.tcp.ts_ecr);
                if (p.has_l4 && p.proto == 6 && p.tcp.n_sack)
                        CHECK_MSG(cut >= l4_off + 20 + 12 + 4 + 8 * p.tcp.n_sack, "%s cut %zu: SACK block from a cut option",
                                  what, cut);
        }
}

static void test_truncation(void) {
        tu_buf_t t = { 0 };
        uint8_t o[40];
        size_t ol = tu_opt_ts(o, 0, 0x11111111, 0x22222222);
        static const uint32_t blk[2][2] = { { 100, 200 }, { 300, 400 } };
        ol = tu_opt_sack(o, ol, blk, 2);
        /* Ethernet + IPv4 with 8 bytes of options + TCP with timestamps and SACK + 20 bytes */
        tu_eth(&t, 0x0800);
        size_t ip = tu_ipv4(&t, "10.0.0.1", "10.0.0.2", 6, (const uint8_t[]) { 1, 1, 1, 1, 1, 1, 1, 0 }, 8);
        size_t l4 = tu_tcp(&t, 1000, 80, 1, 1, TCP_ACK, 100, o, ol);
        size_t pay = t.n;
        tu_pattern(&t, 20);
        tu_ipv4_end(&t, ip);
        truncate_every_byte(&t, DLT_EN10MB, 14, l4, 20, pay, "eth/ipv4+opts/tcp+opts");

        /* Ethernet + IPv6 + hop-by-hop + destination options + UDP + 12 bytes */
        tu_reset(&t);
        tu_eth(&t, 0x86dd);
        ip = tu_ipv6(&t, "2001:db8::1", "2001:db8::2", 0);
        static const uint8_t hbh[8] = { 60, 0, 1, 4, 0, 0, 0, 0 };
        static const uint8_t dst[16] = { 17, 1, 1, 12, 0 };
        tu_put(&t, hbh, 8);
        tu_put(&t, dst, 16);
        l4 = tu_udp(&t, 5000, 5001);
        pay = t.n;
        tu_pattern(&t, 12);
        tu_udp_end(&t, l4);
        tu_ipv6_end(&t, ip);
        truncate_every_byte(&t, DLT_EN10MB, 14, l4, 8, pay, "eth/ipv6+ext/udp");

        /* SLL2 + IPv4 + ICMP echo */
        tu_reset(&t);
        tu_be16(&t, 0x0800);
        tu_zero(&t, 18);
        ip = tu_ipv4(&t, "10.0.0.1", "10.0.0.2", 1, NULL, 0);
        l4 = t.n;
        static const uint8_t echo[8] = { 8, 0, 0, 0, 0, 1, 0, 1 };
        tu_put(&t, echo, 8);
        tu_pattern(&t, 8);
        tu_ipv4_end(&t, ip);
        for (size_t cut = 0; cut < t.n; cut++) {
                packet_t p;
                dec(&p, DLT_LINUX_SLL2, t.b, cut);
                CHECK_MSG(p.has_l4 == (cut >= l4 + 4), "icmp cut %zu has_l4=%d", cut, p.has_l4);
        }
        tu_free(&t);
}

static void test_ipv6_ext(void) {
        tu_buf_t t = { 0 };
        packet_t p;
        /* hop-by-hop, routing, destination options, then TCP */
        tu_eth(&t, 0x86dd);
        size_t ip = tu_ipv6(&t, "2001:db8::1", "2001:db8::2", 0);
        tu_put(&t, (const uint8_t[8]) { 43, 0, 1, 4, 0, 0, 0, 0 }, 8);
        tu_put(&t, (const uint8_t[24]) { 60, 2, 0, 0 }, 24); /* routing, 24 bytes */
        tu_put(&t, (const uint8_t[8]) { 6, 0, 1, 4 }, 8);
        tu_tcp(&t, 40000, 80, 1000, 2000, TCP_ACK, 512, NULL, 0);
        tu_pattern(&t, 7);
        tu_ipv6_end(&t, ip);
        CHECK(dec(&p, DLT_EN10MB, t.b, t.n));
        CHECK_EQ(p.proto, 6);
        CHECK(p.has_l4);
        CHECK_EQ(p.dport, 80);
        CHECK_EQU(p.payload_len, 7);
        CHECK(!p.frag);

        /* AH (length in 4-byte units minus 2) then UDP */
        tu_reset(&t);
        tu_eth(&t, 0x86dd);
        ip = tu_ipv6(&t, "2001:db8::1", "2001:db8::2", 51);
        tu_put(&t, (const uint8_t[24]) { 17, 4 }, 24); /* (4 + 2) * 4 = 24 bytes */
        size_t u = tu_udp(&t, 53, 5353);
        tu_pattern(&t, 5);
        tu_udp_end(&t, u);
        tu_ipv6_end(&t, ip);
        CHECK(dec(&p, DLT_EN10MB, t.b, t.n));
        CHECK_EQ(p.proto, 17);
        CHECK(p.has_l4);
        CHECK_EQ(p.sport, 53);
        CHECK_EQU(p.payload_len, 5);

        /* first fragment: offset 0, M=1, then UDP */
        tu_reset(&t);
        tu_eth(&t, 0x86dd);
        ip = tu_ipv6(&t, "2001:db8::1", "2001:db8::2", 44);
        tu_put(&t, (const uint8_t[8]) { 17, 0, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef }, 8);
        u = tu_udp(&t, 4000, 4001);
        tu_pattern(&t, 1000);
        tu_udp_end(&t, u);
        tu_set_be16(&t, u + 4, 3008); /* the whole datagram's UDP length */
        tu_ipv6_end(&t, ip);
        CHECK(dec(&p, DLT_EN10MB, t.b, t.n));
        CHECK(p.frag);
        CHECK(p.frag_first);
        CHECK(p.frag_more);
        CHECK_EQU(p.frag_id, 0xdeadbeef);
        CHECK_EQU(p.frag_off, 0);
        CHECK_EQU(p.frag_payload, 1008);
        CHECK_EQ(p.proto, 17);
        CHECK(p.has_l4);
        CHECK_EQU(p.payload_len, 3000);
        CHECK_EQU(p.payload_caplen, 1000);

        /* a later fragment: offset 1008, no transport header */
        tu_reset(&t);
        tu_eth(&t, 0x86dd);
        ip = tu_ipv6(&t, "2001:db8::1", "2001:db8::2", 44);
        tu_put(&t, (const uint8_t[8]) { 17, 0, 0x03, 0xf0, 0xde, 0xad, 0xbe, 0xef }, 8); /* 1008 | M=0 */
        tu_pattern(&t, 2000);
        tu_ipv6_end(&t, ip);
        CHECK(dec(&p, DLT_EN10MB, t.b, t.n));
        CHECK(p.frag);
        CHECK(!p.frag_first);
        CHECK(!p.frag_more);
        CHECK_EQU(p.frag_off, 1008);
        CHECK_EQU(p.frag_payload, 2000);
        CHECK_EQ(p.proto, 17);
        CHECK(!p.has_l4);

        /* an extension header longer than the payload */
        tu_reset(&t);
        tu_eth(&t, 0x86dd);
        ip = tu_ipv6(&t, "2001:db8::1", "2001:db8::2", 0);
        tu_put(&t, (const uint8_t[8]) { 6, 200 }, 8);
        tu_ipv6_end(&t, ip);
        CHECK(dec(&p, DLT_EN10MB, t.b, t.n));
        CHECK(!p.has_l4);
        CHECK_EQ(p.skip, SKIP_TRUNCATED);

        /* a chain of 20 destination-option headers ends without hanging or reading out of bounds */
        tu_reset(&t);
        tu_eth(&t, 0x86dd);
        ip = tu_ipv6(&t, "2001:db8::1", "2001:db8::2", 60);
        for (int i = 0; i < 20; i++)
                tu_put(&t, (const uint8_t[8]) { 60, 0, 1, 4 }, 8);
        tu_ipv6_end(&t, ip);
        dec(&p, DLT_EN10MB, t.b, t.n);
        CHECK(!p.has_l4);

        /* no next header */
        tu_reset(&t);
        tu_eth(&t, 0x86dd);
        ip = tu_ipv6(&t, "2001:db8::1", "2001:db8::2", 59);
        tu_ipv6_end(&t, ip);
        CHECK(dec(&p, DLT_EN10MB, t.b, t.n));
        CHECK(!p.has_l4);
        tu_free(&t);
}

static bool dec_tcp_opts(packet_t *p, const uint8_t *o, size_t ol) {
        tu_buf_t t = { 0 };
        tu_eth(&t, 0x0800);
        size_t ip = tu_ipv4(&t, "10.0.0.1", "10.0.0.2", 6, NULL, 0);
        tu_tcp(&t, 1, 2, 3, 4, TCP_ACK, 5, o, ol);
        tu_pattern(&t, 3);
        tu_ipv4_end(&t, ip);
        bool r = dec(p, DLT_EN10MB, t.b, t.n);
        tu_free(&t);
        return r;
}

static void test_tcp_options(void) {
        packet_t p;
        uint8_t o[40];
        size_t n = tu_opt_mss(o, 0, 1380);
        n = tu_opt_ws(o, n, 7);
        n = tu_opt_sackperm(o, n);
        n = tu_opt_ts(o, n, 123456789, 987654321);
        CHECK(dec_tcp_opts(&p, o, n));
        CHECK_EQ(p.tcp.mss, 1380);
        CHECK_EQ(p.tcp.wscale, 7);
        CHECK(p.tcp.sack_perm);
        CHECK(p.tcp.has_ts);
        CHECK_EQU(p.tcp.ts_val, 123456789);
        CHECK_EQU(p.tcp.ts_ecr, 987654321);
        CHECK_EQ(p.tcp.n_sack, 0);
        CHECK_EQU(p.payload_len, 3);

        /* no options: wscale -1, mss 0 */
        CHECK(dec_tcp_opts(&p, NULL, 0));
        CHECK_EQ(p.tcp.wscale, -1);
        CHECK_EQ(p.tcp.mss, 0);
        CHECK(!p.tcp.has_ts && !p.tcp.sack_perm);

        /* window scale above 14 means 14 (RFC 7323 2.3) */
        n = tu_opt_ws(o, 0, 15);
        CHECK(dec_tcp_opts(&p, o, n));
        CHECK_EQ(p.tcp.wscale, 14);
        n = tu_opt_ws(o, 0, 0);
        CHECK(dec_tcp_opts(&p, o, n));
        CHECK_EQ(p.tcp.wscale, 0);

        /* SACK with 1..4 blocks (4 blocks need the header without timestamps) */
        for (unsigned nb = 1; nb <= 4; nb++) {
                uint32_t blk[4][2];
                for (unsigned i = 0; i < nb; i++) {
                        blk[i][0] = 1000u * (i + 1);
                        blk[i][1] = 1000u * (i + 1) + 500;
                }
                n = tu_opt_sack(o, 0, (const uint32_t (*)[2]) blk, nb);
                CHECK(dec_tcp_opts(&p, o, n));
                CHECK_EQ(p.tcp.n_sack, nb);
                CHECK_EQU(p.tcp.sack[nb - 1][0], 1000u * nb);
                CHECK_EQU(p.tcp.sack[nb - 1][1], 1000u * nb + 500);
        }
        /* SACK block with a wrapped range */
        {
                const uint32_t blk[1][2] = { { 0xfffffff0u, 0x10 } };
                n = tu_opt_sack(o, 0, blk, 1);
                CHECK(dec_tcp_opts(&p, o, n));
                CHECK_EQ(p.tcp.n_sack, 1);
                CHECK_EQU(p.tcp.sack[0][0], 0xfffffff0u);
        }

        /* malformed lengths: option length 0 or 1 ends the parse; later options are not taken */
        for (uint8_t badlen = 0; badlen < 2; badlen++) {
                memset(o, 0, sizeof o);
                o[0] = 30; /* an unknown option */
                o[1] = badlen;
                n = tu_opt_mss(o, 2, 1000);
                CHECK(dec_tcp_opts(&p, o, n));
                CHECK(p.has_l4);
                CHECK_EQ(p.tcp.mss, 0);
        }
        /* known options with the wrong length are ignored */
        static const uint8_t mss3[] = { 2, 3, 5, 1 };
        CHECK(dec_tcp_opts(&p, mss3, 4));
        CHECK_EQ(p.tcp.mss, 0);
        static const uint8_t ws4[] = { 3, 4, 7, 0 };
        CHECK(dec_tcp_opts(&p, ws4, 4));
        CHECK_EQ(p.tcp.wscale, -1);
        static const uint8_t ts9[] = { 8, 9, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0 };
        CHECK(dec_tcp_opts(&p, ts9, sizeof ts9));
        CHECK(!p.tcp.has_ts);
        /* a SACK option with a partial block takes the whole blocks only */
        static const uint8_t sack_odd[] = { 5, 14, 0, 0, 0, 1, 0, 0, 0, 2, 9, 9, 9, 9, 0, 0 };
        CHECK(dec_tcp_opts(&p, sack_odd, sizeof sack_odd));
        CHECK_EQ(p.tcp.n_sack, 1);
        CHECK_EQU(p.tcp.sack[0][1], 2);
        /* an option whose length runs past the end of the TCP header (data offset) is not taken:
         * here the timestamp option claims 10 bytes but the header ends 4 bytes into it */
        static const uint8_t ts_cut[] = { 1, 1, 8, 10, 0x11, 0x22, 0x33, 0x44 };
        CHECK(dec_tcp_opts(&p, ts_cut, sizeof ts_cut));
        CHECK_MSG(!p.tcp.has_ts, "timestamp option extends past the TCP header: has_ts=%d tsval=0x%x tsecr=0x%x",
                  p.tcp.has_ts, p.tcp.ts_val, p.tcp.ts_ecr);
        static const uint8_t mss_cut[] = { 1, 1, 1, 2, 4, 0x05 }; /* padded to 8: MSS len 4 with 2 value bytes = 0x05,0x00 */
        CHECK(dec_tcp_opts(&p, mss_cut, sizeof mss_cut));
        CHECK_EQ(p.tcp.mss, 0x0500); /* the value bytes 05 00 are inside the header (00 is padding): taken */
        /* EOL ends the list even if bytes follow */
        uint8_t eol[8] = { 0 };
        tu_opt_mss(eol, 4, 1000);
        CHECK(dec_tcp_opts(&p, eol, 8));
        CHECK_EQ(p.tcp.mss, 0);
        /* 40 bytes of NOPs */
        memset(o, 1, 40);
        CHECK(dec_tcp_opts(&p, o, 40));
        CHECK_EQ(p.tcp.hdr_len, 60);
        CHECK_EQU(p.payload_len, 3);
}

static bool dec_udp(packet_t *p, uint16_t ulen, size_t paylen) {
        tu_buf_t t = { 0 };
        tu_eth(&t, 0x0800);
        size_t ip = tu_ipv4(&t, "10.0.0.1", "10.0.0.2", 17, NULL, 0);
        size_t u = tu_udp(&t, 1111, 2222);
        tu_pattern(&t, paylen);
        tu_ipv4_end(&t, ip);
        tu_set_be16(&t, u + 4, ulen);
        bool r = dec(p, DLT_EN10MB, t.b, t.n);
        tu_free(&t);
        return r;
}

static void test_udp_lengths(void) {
        packet_t p;
        CHECK(dec_udp(&p, 8 + 100, 100));
        CHECK(p.has_l4);
        CHECK_EQU(p.payload_len, 100);
        CHECK_EQU(p.payload_caplen, 100);
        /* UDP says less than IP (trailing bytes in the datagram): the UDP length bounds the payload */
        CHECK(dec_udp(&p, 8 + 40, 100));
        CHECK_EQU(p.payload_len, 40);
        CHECK_EQU(p.payload_caplen, 40);
        /* UDP says more than IP: the IP length bounds what was on the wire */
        CHECK(dec_udp(&p, 8 + 1000, 100));
        CHECK_EQU(p.payload_len, 100);
        CHECK_EQU(p.payload_caplen, 100);
        /* UDP length below its header, and 0 */
        CHECK(dec_udp(&p, 3, 100));
        CHECK_EQU(p.payload_len, 100);
        CHECK(dec_udp(&p, 0, 100));
        CHECK_EQU(p.payload_len, 100);
        /* a datagram shorter than a UDP header */
        tu_buf_t t = { 0 };
        tu_eth(&t, 0x0800);
        size_t ip = tu_ipv4(&t, "10.0.0.1", "10.0.0.2", 17, NULL, 0);
        tu_zero(&t, 5);
        tu_ipv4_end(&t, ip);
        CHECK(dec(&p, DLT_EN10MB, t.b, t.n));
        CHECK(!p.has_l4);
        CHECK_EQ(p.skip, SKIP_TRUNCATED);
        tu_free(&t);
}

/* an ICMP error around a quoted IPv4 header + 8 bytes */
static void icmp4_error(tu_buf_t *t, uint8_t type, uint8_t code, uint16_t mtu, uint8_t qproto, size_t quote_cut) {
        tu_buf_t q = { 0 };
        size_t qip = tu_ipv4(&q, "10.0.0.1", "198.51.100.7", qproto, NULL, 0);
        if (qproto == 17) {
                size_t u = tu_udp(&q, 33434, 53);
                tu_pattern(&q, 30);
                tu_udp_end(&q, u);
        } else {
                tu_tcp(&q, 40000, 443, 1, 1, TCP_ACK, 10, NULL, 0);
                tu_pattern(&q, 1400);
        }
        tu_ipv4_end(&q, qip);
        tu_reset(t);
        tu_eth(t, 0x0800);
        size_t ip = tu_ipv4(t, "192.0.2.254", "10.0.0.1", 1, NULL, 0);
        tu_u8(t, type);
        tu_u8(t, code);
        tu_be16(t, 0);
        tu_be16(t, 0);
        tu_be16(t, mtu);
        size_t ql = 28 < quote_cut ? 28 : quote_cut;
        tu_put(t, q.b, ql);
        tu_ipv4_end(t, ip);
        tu_free(&q);
}

static void test_icmp(void) {
        tu_buf_t t = { 0 };
        packet_t p;
        addr_t a, b;
        addr4(&a, "10.0.0.1");
        addr4(&b, "198.51.100.7");

        icmp4_error(&t, 3, 3, 0, 17, 28); /* port unreachable */
        CHECK(dec(&p, DLT_EN10MB, t.b, t.n));
        CHECK(p.has_l4);
        CHECK_EQ(p.icmp_type, 3);
        CHECK_EQ(p.icmp_code, 3);
        CHECK(p.quote.valid);
        CHECK_EQ(p.quote.proto, 17);
        CHECK(addr_equal(&p.quote.src, &a));
        CHECK(addr_equal(&p.quote.dst, &b));
        CHECK_EQ(p.quote.sport, 33434);
        CHECK_EQ(p.quote.dport, 53);

        icmp4_error(&t, 3, 4, 1400, 6, 28); /* fragmentation needed */
        CHECK(dec(&p, DLT_EN10MB, t.b, t.n));
        CHECK_EQU(p.icmp_mtu, 1400);
        CHECK(p.quote.valid);
        CHECK_EQ(p.quote.proto, 6);
        CHECK_EQ(p.quote.sport, 40000);
        CHECK_EQ(p.quote.dport, 443);

        icmp4_error(&t, 11, 0, 0, 6, 28); /* time exceeded */
        CHECK(dec(&p, DLT_EN10MB, t.b, t.n));
        CHECK_EQ(p.icmp_type, 11);
        CHECK(p.quote.valid);
        CHECK_EQU(p.icmp_mtu, 0);

        /* the quote cut at every length: never over-read, ports only when present */
        for (size_t cut = 0; cut <= 28; cut++) {
                icmp4_error(&t, 3, 1, 0, 17, cut);
                CHECK(dec(&p, DLT_EN10MB, t.b, t.n));
                CHECK_MSG(p.quote.valid == (cut >= 20), "quote of %zu bytes: valid=%d", cut, p.quote.valid);
                if (cut < 24)
                        CHECK_MSG(p.quote.sport == 0, "quote of %zu bytes: sport %u", cut, p.quote.sport);
        }
        /* echo request */
        tu_reset(&t);
        tu_eth(&t, 0x0800);
        size_t ip = tu_ipv4(&t, "10.0.0.1", "10.0.0.2", 1, NULL, 0);
        tu_put(&t, (const uint8_t[8]) { 8, 0, 0, 0, 0x12, 0x34, 0x00, 0x07 }, 8);
        tu_ipv4_end(&t, ip);
        CHECK(dec(&p, DLT_EN10MB, t.b, t.n));
        CHECK_EQ(p.icmp_type, 8);
        CHECK_EQ(p.icmp_id, 0x1234);
        CHECK_EQ(p.icmp_seq, 7);
        CHECK(!p.quote.valid);

        /* ICMPv6 packet too big: 32-bit MTU, quoted IPv6 + TCP */
        tu_buf_t q = { 0 };
        size_t qip = tu_ipv6(&q, "2001:db8::1", "2001:db8::99", 6);
        tu_tcp(&q, 40001, 443, 1, 1, TCP_ACK, 10, NULL, 0);
        tu_pattern(&q, 1400);
        tu_ipv6_end(&q, qip);
        tu_reset(&t);
        tu_eth(&t, 0x86dd);
        ip = tu_ipv6(&t, "2001:db8::fe", "2001:db8::1", 58);
        tu_put(&t, (const uint8_t[8]) { 2, 0, 0, 0, 0, 0, 0x05, 0x00 }, 8);
        tu_put(&t, q.b, 40 + 20 + 100);
        tu_ipv6_end(&t, ip);
        CHECK(dec(&p, DLT_EN10MB, t.b, t.n));
        CHECK_EQ(p.proto, 58);
        CHECK_EQ(p.icmp_type, 2);
        CHECK_EQU(p.icmp_mtu, 1280);
        CHECK(p.quote.valid);
        CHECK_EQ(p.quote.proto, 6);
        CHECK_EQ(p.quote.sport, 40001);
        CHECK_EQ(p.quote.dport, 443);

        /* ICMPv6 port unreachable quoting UDP behind a destination-options header */
        tu_reset(&q);
        qip = tu_ipv6(&q, "2001:db8::1", "2001:db8::99", 60);
        tu_put(&q, (const uint8_t[8]) { 17, 0, 1, 4 }, 8);
        size_t u = tu_udp(&q, 5555, 53);
        tu_pattern(&q, 10);
        tu_udp_end(&q, u);
        tu_ipv6_end(&q, qip);
        tu_reset(&t);
        tu_eth(&t, 0x86dd);
        ip = tu_ipv6(&t, "2001:db8::99", "2001:db8::1", 58);
        tu_put(&t, (const uint8_t[8]) { 1, 4, 0, 0, 0, 0, 0, 0 }, 8);
        tu_put(&t, q.b, q.n);
        tu_ipv6_end(&t, ip);
        CHECK(dec(&p, DLT_EN10MB, t.b, t.n));
        CHECK_EQ(p.icmp_type, 1);
        CHECK_EQ(p.icmp_code, 4);
        CHECK(p.quote.valid);
        CHECK_EQ(p.quote.proto, 17);
        CHECK_EQ(p.quote.sport, 5555);
        CHECK_EQ(p.quote.dport, 53);

        /* an ICMPv6 error whose quote is cut inside the IPv6 header */
        tu_reset(&t);
        tu_eth(&t, 0x86dd);
        ip = tu_ipv6(&t, "2001:db8::99", "2001:db8::1", 58);
        tu_put(&t, (const uint8_t[8]) { 1, 4, 0, 0, 0, 0, 0, 0 }, 8);
        tu_put(&t, q.b, 30);
        tu_ipv6_end(&t, ip);
        CHECK(dec(&p, DLT_EN10MB, t.b, t.n));
        CHECK(!p.quote.valid);
        tu_free(&q);
        tu_free(&t);
}

/* valid frames of every link type, mutated at random (byte flips, cuts): the decoder never reads outside the
 * packet (ASan), never hangs, and the transport payload it reports lies inside the packet (dec() checks) */
static void test_random_mutations(void) {
        tu_buf_t base[8] = { 0 };
        static const int dlts[8] = { DLT_EN10MB, DLT_EN10MB, DLT_LINUX_SLL2, DLT_RAW, DLT_NULL, DLT_PPP, DLT_NFLOG, DLT_EN10MB };
        /* 0: eth/ipv4/tcp+opts, 1: eth/vlan/ipv6/ext/udp, 2: sll2/ipv4/icmp error, 3: raw ipv6 frag,
         * 4: null/ipv4 options/udp, 5: ppp/ipv4/tcp, 6: nflog/ipv4, 7: eth/mpls/ipv4 */
        uint8_t o[40];
        size_t ol = tu_opt_ts(o, tu_opt_ws(o, tu_opt_mss(o, 0, 1460), 7), 1, 2);
        tu_eth(&base[0], 0x0800);
        size_t ip = tu_ipv4(&base[0], "10.0.0.1", "10.0.0.2", 6, NULL, 0);
        tu_tcp(&base[0], 1, 2, 3, 4, TCP_SYN, 5, o, ol);
        tu_pattern(&base[0], 20);
        tu_ipv4_end(&base[0], ip);
        tu_eth(&base[1], 0x8100);
        tu_vlan(&base[1], 5, 0x86dd);
        ip = tu_ipv6(&base[1], "2001:db8::1", "2001:db8::2", 0);
        tu_put(&base[1], (const uint8_t[8]) { 17, 0, 1, 4 }, 8);
        size_t u = tu_udp(&base[1], 53, 53);
        tu_dns(&base[1], 1, 0x0100, "a.example", 1, 0);
        tu_udp_end(&base[1], u);
        tu_ipv6_end(&base[1], ip);
        tu_be16(&base[2], 0x0800);
        tu_zero(&base[2], 18);
        ip = tu_ipv4(&base[2], "192.0.2.1", "10.0.0.1", 1, NULL, 0);
        tu_put(&base[2], (const uint8_t[8]) { 3, 4, 0, 0, 0, 0, 5, 0xdc }, 8);
        size_t q = tu_ipv4(&base[2], "10.0.0.1", "10.0.0.9", 6, NULL, 0);
        tu_tcp(&base[2], 1, 2, 3, 4, TCP_ACK, 5, NULL, 0);
        tu_ipv4_end(&base[2], q);
        tu_ipv4_end(&base[2], ip);
        ip = tu_ipv6(&base[3], "2001:db8::1", "2001:db8::2", 44);
        tu_put(&base[3], (const uint8_t[8]) { 17, 0, 0, 1, 0, 0, 0, 9 }, 8);
        u = tu_udp(&base[3], 1, 2);
        tu_pattern(&base[3], 30);
        tu_udp_end(&base[3], u);
        tu_ipv6_end(&base[3], ip);
        tu_le32(&base[4], 2);
        ip = tu_ipv4(&base[4], "10.0.0.1", "10.0.0.2", 17, (const uint8_t[8]) { 7, 7, 4, 0, 0, 0, 0, 0 }, 8);
        u = tu_udp(&base[4], 5, 6);
        tu_pattern(&base[4], 9);
        tu_udp_end(&base[4], u);
        tu_ipv4_end(&base[4], ip);
        tu_put(&base[5], (const uint8_t[4]) { 0xff, 0x03, 0x00, 0x21 }, 4);
        ip_tcp(&base[5], false);
        tu_put(&base[6], (const uint8_t[4]) { 2, 0, 0, 5 }, 4);
        {
                tu_buf_t inner = { 0 };
                ip_tcp(&inner, false);
                nflog_tlv(&base[6], 9, inner.b, inner.n);
                tu_free(&inner);
        }
        tu_eth(&base[7], 0x8847);
        tu_be32(&base[7], 0x100 | (16u << 12));
        ip_tcp(&base[7], false);

        uint64_t x = 0x243f6a8885a308d3ULL;
        uint8_t buf[512];
        unsigned decoded = 0;
        for (int round = 0; round < 200000; round++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                unsigned k = (unsigned) (x % 8);
                size_t n = base[k].n;
                memcpy(buf, base[k].b, n);
                int flips = (int) ((x >> 8) % 4) + 1;
                for (int f = 0; f < flips; f++) {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        buf[(x >> 16) % n] = (uint8_t) (x >> 40);
                }
                if ((x >> 24) % 3 == 0)
                        n = (size_t) ((x >> 32) % (n + 1));
                packet_t p;
                decoded += dec(&p, dlts[k], buf, n);
        }
        CHECK_U(decoded, >, 1000); /* the mutations left many packets decodable */
        for (int i = 0; i < 8; i++)
                tu_free(&base[i]);
}

static void test_addr(void) {
        addr_t a, b;
        char buf[64];
        addr4(&a, "192.0.2.1");
        CHECK_STR(addr_format(&a, buf, sizeof buf), "192.0.2.1");
        addr6(&b, "2001:db8::1");
        CHECK_STR(addr_format(&b, buf, sizeof buf), "2001:db8::1");
        CHECK(addr_compare(&a, &b) < 0); /* v4 before v6 */
        CHECK(addr_compare(&a, &a) == 0);
        addr_t none = { 0 };
        CHECK_STR(addr_format(&none, buf, sizeof buf), "-");

        /* IPv4 is formatted without inet_ntop: the same text for every octet value, in every position */
        char want[INET_ADDRSTRLEN];
        for (unsigned v = 0; v < 256; v++)
                for (unsigned pos = 0; pos < 4; pos++) {
                        addr_t x = { .family = 4 };
                        for (unsigned k = 0; k < 4; k++)
                                x.b[k] = (uint8_t) (k == pos ? v : (v * 37 + k * 101) & 0xff);
                        inet_ntop(AF_INET, x.b, want, sizeof want);
                        CHECK_STR(addr_format(&x, buf, sizeof buf), want);
                }
        addr4(&a, "255.255.255.255");
        CHECK_STR(addr_format(&a, buf, sizeof buf), "255.255.255.255");
}

int main(void) {
        RUN(test_ethernet);
        RUN(test_vlan);
        RUN(test_pppoe_mpls);
        RUN(test_sll);
        RUN(test_raw);
        RUN(test_null_loop);
        RUN(test_ppp);
        RUN(test_nflog);
        RUN(test_ipnet);
        RUN(test_unknown_link);
        RUN(test_ipv4_headers);
        RUN(test_ip_in_ip);
        RUN(test_truncation);
        RUN(test_ipv6_ext);
        RUN(test_tcp_options);
        RUN(test_udp_lengths);
        RUN(test_icmp);
        RUN(test_random_mutations);
        RUN(test_addr);
        return tu_exit();
}
