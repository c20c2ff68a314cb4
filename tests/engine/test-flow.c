/* Unit tests of lib/engine/flow.c: key normalisation, port reuse starts a new connection, table growth,
 * the max_flows limit, and retirement of idle and closed flows keeping memory bounded (1,000,000 distinct
 * short connections through a table limited to 10,000). */
#include <time.h>

#include "engine/engine.h"
#include "test-util.h"

static packet_t pkt(const char *src, uint16_t sp, const char *dst, uint16_t dp, uint8_t proto) {
        packet_t p = { .proto = proto, .sport = sp, .dport = dp };
        bool v6 = strchr(src, ':') != NULL;
        p.src.family = p.dst.family = v6 ? 6 : 4;
        if (v6) {
                tu_addr6(p.src.b, src);
                tu_addr6(p.dst.b, dst);
        } else {
                tu_addr4(p.src.b, src);
                tu_addr4(p.dst.b, dst);
        }
        return p;
}

static void test_key(void) {
        flow_key_t k1, k2;
        bool s1, s2;
        packet_t p = pkt("10.0.0.2", 80, "10.0.0.1", 40000, 6);
        packet_t q = pkt("10.0.0.1", 40000, "10.0.0.2", 80, 6);
        flow_key_make(&k1, &p, &s1);
        flow_key_make(&k2, &q, &s2);
        CHECK(memcmp(&k1, &k2, sizeof k1) == 0); /* both directions, one key (padding included: it is hashed) */
        CHECK(s1 != s2);
        CHECK_EQ(k1.pa, 40000);                  /* a is the lower address */
        CHECK_EQ(k1.pb, 80);
        /* same address both ways: ports decide */
        p = pkt("10.0.0.1", 5000, "10.0.0.1", 4000, 17);
        q = pkt("10.0.0.1", 4000, "10.0.0.1", 5000, 17);
        flow_key_make(&k1, &p, &s1);
        flow_key_make(&k2, &q, &s2);
        CHECK(memcmp(&k1, &k2, sizeof k1) == 0);
        CHECK_EQ(k1.pa, 4000);
        /* protocol is part of the key; ICMP uses the echo id as both ports */
        p = pkt("10.0.0.1", 53, "10.0.0.2", 53, 6);
        q = pkt("10.0.0.1", 53, "10.0.0.2", 53, 17);
        flow_key_make(&k1, &p, &s1);
        flow_key_make(&k2, &q, &s2);
        CHECK(memcmp(&k1, &k2, sizeof k1) != 0);
        p = pkt("10.0.0.1", 0, "10.0.0.2", 0, 1);
        p.icmp_id = 77;
        flow_key_make(&k1, &p, &s1);
        CHECK_EQ(k1.pa, 77);
        CHECK_EQ(k1.pb, 77);
        /* IPv6 */
        p = pkt("2001:db8::2", 443, "2001:db8::1", 50000, 6);
        q = pkt("2001:db8::1", 50000, "2001:db8::2", 443, 6);
        flow_key_make(&k1, &p, &s1);
        flow_key_make(&k2, &q, &s2);
        CHECK(memcmp(&k1, &k2, sizeof k1) == 0);
        char buf[128];
        CHECK_STR(flow_format(&k1, true, buf, sizeof buf), "[2001:db8::1]:50000 -> [2001:db8::2]:443");
        CHECK_STR(flow_format(&k1, false, buf, sizeof buf), "[2001:db8::2]:443 -> [2001:db8::1]:50000");
        CHECK_STR(flow_filter(&k1, buf, sizeof buf),
                  "ipv6.addr==2001:db8::1 && ipv6.addr==2001:db8::2 && tcp.port==50000 && tcp.port==443");
        p = pkt("10.0.0.1", 1, "10.0.0.2", 2, 17);
        flow_key_make(&k1, &p, &s1);
        CHECK_STR(flow_filter(&k1, buf, sizeof buf), "ip.addr==10.0.0.1 && ip.addr==10.0.0.2 && udp.port==1 && udp.port==2");
}

static void test_lookup_growth(void) {
        analysis_t *a = tu_analysis(0);
        uint32_t cap0 = a->flows.t.mask + 1;
        enum { N = 20000 };
        for (uint32_t i = 0; i < N; i++) {
                char src[32];
                snprintf(src, sizeof src, "10.%u.%u.%u", (i >> 16) & 255, (i >> 8) & 255, i & 255);
                packet_t p = pkt(src, (uint16_t) (1024 + i % 50000), "192.0.2.1", 53, 17);
                flow_key_t k;
                bool sw, created;
                flow_key_make(&k, &p, &sw);
                flow_t *f = flow_lookup(a, &k, (int64_t) i, true, &created);
                CHECK(f != NULL);
                CHECK(created);
                if (!f || !created)
                        break;
        }
        CHECK_U(a->flows.t.mask + 1, >, cap0);
        CHECK_EQU(a->flows.t.n, N);
        CHECK_U((uint64_t) a->flows.t.n * 2, <=, (uint64_t) a->flows.t.mask + 1); /* load factor kept */
        /* every one is found again, none is created twice */
        for (uint32_t i = 0; i < N; i++) {
                char src[32];
                snprintf(src, sizeof src, "10.%u.%u.%u", (i >> 16) & 255, (i >> 8) & 255, i & 255);
                packet_t p = pkt("192.0.2.1", 53, src, (uint16_t) (1024 + i % 50000), 17);
                flow_key_t k;
                bool sw, created;
                flow_key_make(&k, &p, &sw);
                flow_t *f = flow_lookup(a, &k, N, false, &created);
                CHECK(f != NULL && !created);
                if (!f)
                        break;
        }
        analysis_free(a);
}

static tu_buf_t pk;

static void tcp(analysis_t *a, int64_t us, const char *src, uint16_t sp, const char *dst, uint16_t dp, uint32_t seq,
                uint32_t ack, uint8_t flags, size_t len) {
        tu_tcp_frame(&pk, src, sp, dst, dp, seq, ack, flags, 1000, NULL, 0, len);
        tu_feed(a, us, &pk);
}

static void test_port_reuse(void) {
        analysis_t *a = tu_analysis(0);
        /* connection 1: complete, closed */
        tcp(a, 0, "10.0.0.1", 40000, "10.0.0.2", 80, 1000, 0, TCP_SYN, 0);
        tcp(a, 1000, "10.0.0.2", 80, "10.0.0.1", 40000, 5000, 1001, TCP_SYN | TCP_ACK, 0);
        tcp(a, 2000, "10.0.0.1", 40000, "10.0.0.2", 80, 1001, 5001, TCP_ACK, 0);
        tcp(a, 3000, "10.0.0.1", 40000, "10.0.0.2", 80, 1001, 5001, TCP_ACK | TCP_PSH, 500);
        tcp(a, 4000, "10.0.0.2", 80, "10.0.0.1", 40000, 5001, 1501, TCP_ACK | TCP_FIN, 0);
        tcp(a, 5000, "10.0.0.1", 40000, "10.0.0.2", 80, 1501, 5002, TCP_ACK | TCP_FIN, 0);
        tcp(a, 6000, "10.0.0.2", 80, "10.0.0.1", 40000, 5002, 1502, TCP_ACK, 0);
        /* connection 2: same ports 1 s later, a new ISN far below the old one (would look like old data) */
        tcp(a, 1000000, "10.0.0.1", 40000, "10.0.0.2", 80, 500, 0, TCP_SYN, 0);
        tcp(a, 1001000, "10.0.0.2", 80, "10.0.0.1", 40000, 90000, 501, TCP_SYN | TCP_ACK, 0);
        tcp(a, 1002000, "10.0.0.1", 40000, "10.0.0.2", 80, 501, 90001, TCP_ACK, 0);
        tcp(a, 1003000, "10.0.0.1", 40000, "10.0.0.2", 80, 501, 90001, TCP_ACK | TCP_PSH, 100);
        tcp(a, 1004000, "10.0.0.2", 80, "10.0.0.1", 40000, 90001, 601, TCP_ACK, 0);
        /* connection 3: the former server opens one the other way */
        tcp(a, 2000000, "10.0.0.2", 80, "10.0.0.1", 40000, 7, 0, TCP_SYN, 0);
        CHECK_EQU(a->tcp.conns, 3);
        CHECK_EQU(a->tcp.reused_ports, 2);
        CHECK_EQU(a->tcp.hs_completed, 2);
        CHECK_EQU(a->tcp.retrans, 0);
        CHECK_EQU(a->tcp.lost, 0);
        CHECK_EQU(a->tcp.ooo, 0);
        CHECK_EQU(a->tcp.dupacks, 0);
        CHECK_EQU(a->tcp.spurious, 0);
        analysis_finish(a);
        char *j = tu_report(a);
        CHECK(tu_json_num(j, "tcp.connections") == 3.0);
        free(j);
        analysis_free(a);
}

static void test_max_flows(void) {
        /* 30 concurrent UDP flows through a table of 10: 10 analysed, the rest counted, the report partial */
        analysis_t *a = tu_analysis(10);
        for (int round = 0; round < 3; round++)
                for (int i = 0; i < 30; i++) {
                        char src[32];
                        snprintf(src, sizeof src, "10.0.1.%d", i + 1);
                        tu_udp_frame(&pk, src, 5000, "10.0.0.2", 6000, NULL, 20);
                        tu_feed(a, round * 1000 + i, &pk);
                }
        CHECK_EQU(a->udp_flows, 10);
        CHECK_EQU(a->flows.t.n, 10);
        CHECK_EQU(a->flows_over_limit_packets, 60);
        analysis_finish(a);
        CHECK_EQU(a->packets, 90);
        CHECK_MSG(analysis_is_partial(a), "the flow limit cut the analysis short but analysis_is_partial() is false");
        unsigned found = 0;
        for (unsigned i = 0; i < a->n_findings; i++)
                found += strcmp(a->findings[i].id, "capture-flow-limit") == 0;
        CHECK_EQ(found, 1);
        char *j = tu_report(a);
        char v[32];
        CHECK_STR(tu_json_get(j, "capture.partial", v, sizeof v), "true");
        free(j);
        analysis_free(a);
}

/* one short, closed connection: SYN, SYN/ACK, ACK, FIN/ACK, FIN/ACK, ACK */
static void short_conn(analysis_t *a, int64_t us, uint32_t i) {
        char src[32];
        snprintf(src, sizeof src, "10.%u.%u.%u", 100 + (i >> 16) % 100, (i >> 8) & 255, i & 255);
        uint16_t sp = (uint16_t) (1024 + (i * 7) % 60000);
        tcp(a, us, src, sp, "192.0.2.80", 80, 1000, 0, TCP_SYN, 0);
        tcp(a, us + 100, "192.0.2.80", 80, src, sp, 5000, 1001, TCP_SYN | TCP_ACK, 0);
        tcp(a, us + 200, src, sp, "192.0.2.80", 80, 1001, 5001, TCP_ACK, 0);
        tcp(a, us + 300, src, sp, "192.0.2.80", 80, 1001, 5001, TCP_ACK | TCP_FIN, 0);
        tcp(a, us + 400, "192.0.2.80", 80, src, sp, 5001, 1002, TCP_ACK | TCP_FIN, 0);
        tcp(a, us + 500, src, sp, "192.0.2.80", 80, 1002, 5002, TCP_ACK, 0);
}

static void test_retirement_bounded(void) {
        /* 1,000,000 distinct connections, one every 5 ms (at most ~6,000 within the 30 s a closed flow is
         * kept), through a table limited to 10,000: all analysed, memory flat */
        const uint32_t total = 1000000, max_flows = 10000;
        analysis_t *a = tu_analysis(max_flows);
        long rss_early = 0;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (uint32_t i = 0; i < total; i++) {
                short_conn(a, (int64_t) i * 5000, i);
                if (i == 200000)
                        rss_early = tu_rss_kb();
                if (a->flows.t.n > max_flows) {
                        TU_FAIL("flow table holds %u flows, limit %u", a->flows.t.n, max_flows);
                        break;
                }
        }
        long rss_late = tu_rss_kb();
        clock_gettime(CLOCK_MONOTONIC, &t1);
        fprintf(stderr, "    1M connections: %.1f s, table slots %u, RSS %ld kB at 200k, %ld kB at 1M\n",
                (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9, a->flows.t.mask + 1, rss_early,
                rss_late);
        CHECK_EQU(a->tcp.conns, total);
        CHECK_EQU(a->flows_total, total);
        CHECK_EQU(a->flows_over_limit_packets, 0);
        CHECK_EQU(a->tcp.hs_completed, total);
        CHECK_EQU(a->tcp.fin, 2 * (uint64_t) total);
        CHECK_EQU(a->tcp.retrans, 0);
        CHECK_EQU(a->tcp.reused_ports, 0);
        CHECK_U(a->flows.t.n, <=, max_flows);
        CHECK_U(a->flows.t.mask + 1, <=, 4 * max_flows);
        if (!TU_ASAN) {
                /* ASan keeps freed memory in quarantine: the RSS figures only mean something without it */
                CHECK_MSG(rss_late - rss_early < 32 * 1024, "RSS grew by %ld kB between 200k and 1M connections",
                          rss_late - rss_early);
                CHECK_MSG(rss_late < 256 * 1024, "RSS %ld kB", rss_late);
        }
        analysis_finish(a);
        CHECK_EQU(a->tcp.conns, total);
        CHECK_EQU(a->hs_rtt.seen, total);
        CHECK_U(a->hs_rtt.n, <=, a->hs_rtt.max);
        CHECK_U(a->ev[EV_RESET].n, <=, a->lim.max_events);
        CHECK_EQ(a->health, 100);
        CHECK_EQ(a->n_findings, 0);
        analysis_free(a);

        /* idle (never closed) UDP flows are retired after their idle time when room is needed */
        a = tu_analysis(100);
        for (uint32_t i = 0; i < 1000; i++) {
                char src[32];
                snprintf(src, sizeof src, "10.1.%u.%u", i >> 8, i & 255);
                tu_udp_frame(&pk, src, 5000, "10.0.0.2", 6000, NULL, 20);
                tu_feed(a, (int64_t) i * 10 * 1000000, &pk); /* one every 10 s: at most 30 within 300 s */
        }
        CHECK_EQU(a->udp_flows, 1000);
        CHECK_EQU(a->flows_over_limit_packets, 0);
        CHECK_U(a->flows.t.n, <=, 100);
        analysis_free(a);
}

int main(void) {
        RUN(test_key);
        RUN(test_lookup_growth);
        RUN(test_port_reuse);
        RUN(test_max_flows);
        RUN(test_retirement_bounded);
        tu_free(&pk);
        return tu_exit();
}
