/* Unit tests of lib/engine/icmp.c: types and codes, unreachables, time exceeded, fragmentation needed /
 * packet too big with their MTU, the quoted flow, and PMTU-triggered TCP retransmissions. */
#include "engine/engine.h"
#include "test-util.h"

static tu_buf_t pk;

/* ICMPv4 message from `from` to `to` with 4 type-specific bytes and a quoted IPv4 + 8 bytes */
static void icmp4(analysis_t *a, int64_t us, const char *from, const char *to, uint8_t type, uint8_t code, uint32_t rest,
                  const char *qsrc, const char *qdst, uint8_t qproto, uint16_t qsp, uint16_t qdp) {
        tu_reset(&pk);
        tu_eth(&pk, 0x0800);
        size_t ip = tu_ipv4(&pk, from, to, 1, NULL, 0);
        tu_u8(&pk, type);
        tu_u8(&pk, code);
        tu_be16(&pk, 0);
        tu_be32(&pk, rest);
        if (qsrc) {
                tu_buf_t q = { 0 };
                size_t qi = tu_ipv4(&q, qsrc, qdst, qproto, NULL, 0);
                tu_be16(&q, qsp);
                tu_be16(&q, qdp);
                tu_be32(&q, 0);
                tu_ipv4_end(&q, qi);
                tu_set_be16(&q, qi + 2, 1500);
                tu_put(&pk, q.b, q.n);
                tu_free(&q);
        }
        tu_ipv4_end(&pk, ip);
        tu_feed(a, us, &pk);
}

static const finding_t *finding(const analysis_t *a, const char *id) {
        for (unsigned i = 0; i < a->n_findings; i++)
                if (strcmp(a->findings[i].id, id) == 0)
                        return &a->findings[i];
        return NULL;
}

static void test_echo(void) {
        analysis_t *a = tu_analysis(0);
        icmp4(a, 0, "10.0.0.1", "10.0.0.2", 8, 0, 0x00010001, NULL, NULL, 0, 0, 0);
        icmp4(a, 1000, "10.0.0.2", "10.0.0.1", 0, 0, 0x00010001, NULL, NULL, 0, 0, 0);
        CHECK_EQU(a->icmp.msgs, 2);
        CHECK_EQU(a->icmp.types[8], 1);
        CHECK_EQU(a->icmp.types[0], 1);
        CHECK_EQU(a->icmp.unreach + a->icmp.time_exceeded + a->icmp.frag_needed, 0);
        CHECK_EQU(a->proto[PROTO_ICMP].packets, 2);
        analysis_finish(a);
        CHECK_EQ(a->n_findings, 0);
        char *j = tu_report(a);
        CHECK(tu_json_num(j, "icmp.messages") == 2.0);
        CHECK(tu_json_num(j, "protocols.icmp.packets") == 2.0);
        free(j);
        analysis_free(a);
}

static void test_errors(void) {
        analysis_t *a = tu_analysis(0);
        /* port unreachable about a UDP datagram 10.0.0.1:33000 -> 10.0.0.9:161 */
        icmp4(a, 0, "10.0.0.9", "10.0.0.1", 3, 3, 0, "10.0.0.1", "10.0.0.9", 17, 33000, 161);
        CHECK_EQU(a->icmp.unreach, 1);
        CHECK_EQU(a->icmp.codes[0][3][3], 1);
        CHECK_EQU(a->ev[EV_ICMP].n, 1);
        if (a->ev[EV_ICMP].n) {
                const event_t *e = &a->ev[EV_ICMP].v[0];
                char buf[128];
                CHECK_STR(flow_format(&e->key, true, buf, sizeof buf), "10.0.0.1:33000 -> 10.0.0.9:161");
                CHECK_EQ(e->sub, 3);
                CHECK_EQU(e->value, 3);
                CHECK(memcmp(e->text, "10.0.0.9", 8) == 0); /* who reported it */
        }
        /* time exceeded from a router */
        icmp4(a, 1000, "192.0.2.1", "10.0.0.1", 11, 0, 0, "10.0.0.1", "198.51.100.1", 17, 33434, 33434);
        CHECK_EQU(a->icmp.time_exceeded, 1);
        /* fragmentation needed, next-hop MTU 1400 then 1280 */
        icmp4(a, 2000, "192.0.2.1", "10.0.0.1", 3, 4, 1400, "10.0.0.1", "198.51.100.1", 6, 40000, 443);
        icmp4(a, 3000, "192.0.2.1", "10.0.0.1", 3, 4, 1280, "10.0.0.1", "198.51.100.1", 6, 40000, 443);
        CHECK_EQU(a->icmp.frag_needed, 2);
        CHECK_EQU(a->icmp.min_mtu, 1280);
        CHECK_EQU(a->icmp.unreach, 1); /* fragmentation needed is counted on its own */
        /* a code beyond 15 lands in the last bucket */
        icmp4(a, 4000, "10.0.0.9", "10.0.0.1", 3, 200, 0, NULL, NULL, 0, 0, 0);
        CHECK_EQU(a->icmp.codes[0][3][15], 1);
        CHECK_EQU(a->icmp.unreach, 2);
        analysis_finish(a);
        const finding_t *f = finding(a, "icmp-unreachable");
        CHECK(f != NULL);
        if (f) {
                CHECK_CONTAINS(f->title, "port 1");
                CHECK(f->filter[0] && f->penalty > 0 && f->n_flows >= 1);
        }
        f = finding(a, "pmtu");
        CHECK(f != NULL);
        if (f)
                CHECK_CONTAINS(f->title, "smallest MTU 1280");
        CHECK(finding(a, "icmp-time-exceeded") != NULL);
        analysis_free(a);
}

static void test_icmpv6(void) {
        analysis_t *a = tu_analysis(0);
        tu_buf_t q = { 0 };
        size_t qi = tu_ipv6(&q, "2001:db8::1", "2001:db8::99", 17);
        size_t u = tu_udp(&q, 5555, 53);
        tu_pattern(&q, 10);
        tu_udp_end(&q, u);
        tu_ipv6_end(&q, qi);
        static const struct { uint8_t type, code; uint32_t rest; } m[] = {
                { 1, 4, 0 }, { 2, 0, 1280 }, { 3, 0, 0 }, { 128, 0, 0x00070001 }, { 129, 0, 0x00070001 },
                { 135, 0, 0 },
        };
        for (unsigned i = 0; i < sizeof m / sizeof m[0]; i++) {
                tu_reset(&pk);
                tu_eth(&pk, 0x86dd);
                size_t ip = tu_ipv6(&pk, "2001:db8::fe", "2001:db8::1", 58);
                tu_u8(&pk, m[i].type);
                tu_u8(&pk, m[i].code);
                tu_be16(&pk, 0);
                tu_be32(&pk, m[i].rest);
                if (m[i].type < 128)
                        tu_put(&pk, q.b, q.n);
                tu_ipv6_end(&pk, ip);
                tu_feed(a, (int64_t) i * 1000, &pk);
        }
        CHECK_EQU(a->icmp.msgs6, 6);
        CHECK_EQU(a->icmp.types6[135], 1);
        CHECK_EQU(a->icmp.unreach, 1);
        CHECK_EQU(a->icmp.codes[1][1][4], 1);
        CHECK_EQU(a->icmp.ptb, 1);
        CHECK_EQU(a->icmp.min_mtu, 1280);
        CHECK_EQU(a->icmp.time_exceeded, 1);
        CHECK_EQU(a->proto[PROTO_ICMPV6].packets, 6);
        analysis_finish(a);
        CHECK(finding(a, "pmtu") != NULL);
        CHECK(finding(a, "icmp-unreachable") != NULL);
        tu_free(&q);
        analysis_free(a);
}

static void tcp(analysis_t *a, int64_t us, int dir, uint32_t seq, uint32_t ack, uint8_t flags, size_t len) {
        if (dir == 0)
                tu_tcp_frame(&pk, "10.0.0.1", 40000, "198.51.100.1", 443, seq, ack, flags, 1000, NULL, 0, len);
        else
                tu_tcp_frame(&pk, "198.51.100.1", 443, "10.0.0.1", 40000, seq, ack, flags, 1000, NULL, 0, len);
        tu_feed(a, us, &pk);
}

static void test_pmtu_retransmission(void) {
        /* a 1460-byte segment is refused by a 1400-MTU hop; the sender resends it smaller right away: that
         * retransmission answers the ICMP message, it is not a timeout */
        analysis_t *a = tu_analysis(0);
        tcp(a, 0, 0, 100, 0, TCP_SYN, 0);
        tcp(a, 1000, 1, 900, 101, TCP_SYN | TCP_ACK, 0);
        tcp(a, 2000, 0, 101, 901, TCP_ACK, 0);
        tcp(a, 10000, 0, 101, 901, TCP_ACK, 1460);
        icmp4(a, 11000, "192.0.2.1", "10.0.0.1", 3, 4, 1400, "10.0.0.1", "198.51.100.1", 6, 40000, 443);
        tcp(a, 12000, 0, 101, 901, TCP_ACK, 1348);
        tcp(a, 12001, 0, 1449, 901, TCP_ACK, 112);
        CHECK_EQU(a->tcp.retrans, 2);      /* both pieces resend bytes of the refused segment */
        CHECK_EQU(a->tcp.pmtu_retrans, 2);
        CHECK_EQU(a->tcp.rto, 0);
        /* a retransmission 2 s after the message is a timeout again */
        tcp(a, 2012001, 0, 101, 901, TCP_ACK, 1348);
        CHECK_EQU(a->tcp.rto, 1);
        analysis_finish(a);
        CHECK(finding(a, "pmtu") != NULL);
        analysis_free(a);
}

int main(void) {
        RUN(test_echo);
        RUN(test_errors);
        RUN(test_icmpv6);
        RUN(test_pmtu_retransmission);
        tu_free(&pk);
        return tu_exit();
}
