/* Unit tests of lib/engine/stats.c: the time series widens without losing totals, interarrival jitter
 * (RFC 3550 A.8) of a constant-rate stream is 0, bursts, capped event lists, hosts and conversations, and
 * hosts built to collide that keep the tables' searches short. */
#include "engine/engine.h"
#include "test-util.h"

static tu_buf_t pk;

static void udp(analysis_t *a, int64_t us, const char *src, uint16_t sp, const char *dst, uint16_t dp, size_t len) {
        tu_udp_frame(&pk, src, sp, dst, dp, NULL, len);
        tu_feed(a, us, &pk);
}

static void test_series_widening(void) {
        analysis_t *a = tu_analysis(0);
        uint64_t bytes = 0;
        const int64_t t0 = 1700000000LL * 1000000;
        /* 20,000 packets over 2,000 s: far more than 240 buckets of the initial 10 ms */
        for (int i = 0; i < 20000; i++) {
                udp(a, t0 + (int64_t) i * 100000, "10.0.0.1", 5000, "10.0.0.2", 6000, (size_t) (i % 100));
                bytes += pk.n;
        }
        const series_t *s = &a->series;
        uint64_t sp = 0, sb = 0;
        for (int i = 0; i < SERIES_BUCKETS; i++) {
                sp += s->b[i].packets;
                sb += s->b[i].bytes;
        }
        CHECK_EQU(sp, 20000);
        CHECK_EQU(sb, bytes);
        CHECK_I(s->width, >, 10 * NS_PER_MS);
        CHECK_I((int64_t) SERIES_BUCKETS * s->width, >=, 1999900 * NS_PER_MS); /* covers the capture */
        CHECK_I((int64_t) SERIES_BUCKETS * s->width, <, 2 * 1999900 * NS_PER_MS); /* not wider than needed */
        CHECK_EQ(s->t0, t0 * 1000);
        /* the last packet is in the bucket its time says */
        int64_t last = (19999LL * 100000) * 1000;
        CHECK_U(s->b[last / s->width].packets, >, 0);
        for (int64_t i = last / s->width + 1; i < SERIES_BUCKETS; i++)
                CHECK_EQU(s->b[i].packets, 0);
        analysis_finish(a);
        char *j = tu_report(a);
        CHECK(tu_json_num(j, "capture.packets") == 20000.0);
        CHECK(tu_json_num(j, "capture.duration_s") == 1999.9);
        free(j);
        analysis_free(a);
}

static void test_jitter(void) {
        int64_t prev = 0, pd = 0, j16 = 0;
        uint32_t n = 0;
        for (int i = 0; i < 100; i++)
                jitter_update(i * 20 * NS_PER_MS, &prev, &pd, &j16, &n);
        CHECK_EQ(j16, 0);
        CHECK_EQU(n, 100);
        /* alternating 10 ms / 30 ms: |D| = 20 ms every time, J converges to 20 ms from below */
        prev = pd = j16 = 0;
        n = 0;
        int64_t t = 0;
        for (int i = 0; i < 500; i++) {
                jitter_update(t, &prev, &pd, &j16, &n);
                t += (i % 2 ? 30 : 10) * NS_PER_MS;
        }
        CHECK_MSG(j16 / 16 > 19 * NS_PER_MS && j16 / 16 <= 20 * NS_PER_MS, "jitter %lld ns", (long long) (j16 / 16));

        /* through the engine: a constant-rate UDP stream (RTP-like, 20 ms) has jitter 0 */
        analysis_t *a = tu_analysis(0);
        for (int i = 0; i < 200; i++)
                udp(a, (int64_t) i * 20000, "10.0.0.1", 16384, "10.0.0.2", 16386, 172);
        analysis_finish(a);
        CHECK_EQU(a->flow_jitter.seen, 1);
        CHECK_EQ(a->flow_jitter.max_value, 0);
        analysis_free(a);
}

static void test_bursts(void) {
        analysis_t *a = tu_analysis(0);
        int64_t t = 0;
        for (int i = 0; i < 100; i++, t += 10)
                udp(a, t, "10.0.0.1", 1, "10.0.0.2", 2, 100);
        t += 1000000;
        for (int i = 0; i < 10; i++, t += 10)
                udp(a, t, "10.0.0.1", 1, "10.0.0.2", 2, 100);
        t += 1000000;
        for (int i = 0; i < 70; i++, t += 10)
                udp(a, t, "10.0.0.1", 1, "10.0.0.2", 2, 100);
        analysis_finish(a);
        CHECK_EQU(a->bursts, 2);          /* 100 and 70 packets; 10 is not a burst */
        CHECK_EQU(a->burst_max_pkts, 100);
        CHECK_EQ(a->burst_max_start, 0);
        CHECK_EQ(a->burst_max_dur, 99 * 10 * 1000);
        CHECK_EQU(a->burst_max_bytes, 100 * pk.n);
        analysis_free(a);

        /* evenly spaced packets are no burst */
        a = tu_analysis(0);
        for (int i = 0; i < 1000; i++)
                udp(a, (int64_t) i * 1000, "10.0.0.1", 1, "10.0.0.2", 2, 100);
        analysis_finish(a);
        CHECK_EQU(a->bursts, 0);
        analysis_free(a);
}

static void test_event_cap(void) {
        analysis_limits_t lim;
        analysis_limits_default(&lim);
        lim.max_events = 5;
        analysis_t *a = NULL;
        CHECK_EQ(analysis_new(&lim, &a), 0);
        for (int i = 0; i < 12; i++) {
                event_t e = { .ts = i };
                event_add(a, EV_ICMP, &e);
        }
        CHECK_EQU(a->ev[EV_ICMP].n, 5);
        CHECK_EQU(a->ev[EV_ICMP].total, 12);
        CHECK_U(a->ev[EV_ICMP].cap, <=, 5);
        CHECK_EQ(a->ev[EV_ICMP].v[4].ts, 4); /* the first ones are kept */
        CHECK_EQ(a->ev[EV_ICMP].v[0].kind, EV_ICMP);
        analysis_free(a);
}

static void test_hosts_convs(void) {
        /* 3,000 clients talk to one server, one UDP flow each: every host and conversation accounted
         * when the flows retire (the host table grows several times on the way) */
        analysis_t *a = tu_analysis(0);
        uint64_t bytes = 0;
        for (uint32_t i = 0; i < 3000; i++) {
                char src[32];
                snprintf(src, sizeof src, "10.1.%u.%u", i >> 8, i & 255);
                udp(a, i, src, 5000, "10.0.0.2", 53, 20);
                bytes += pk.n;
                udp(a, i + 1, "10.0.0.2", 53, src, 5000, 40);
                bytes += pk.n;
        }
        analysis_finish(a);
        CHECK_EQU(a->hosts.t.n, 3001);
        CHECK_EQU(a->convs.t.n, 3000);
        uint64_t tx = 0, rx = 0, btx = 0, cp = 0;
        const host_entry_t *h = (const host_entry_t *) a->hosts.t.e;
        for (uint32_t i = 0; i < a->hosts.t.top; i++)
                if (h[i].used) {
                        tx += h[i].packets_tx;
                        rx += h[i].packets_rx;
                        btx += h[i].bytes_tx;
                }
        const conv_entry_t *c = (const conv_entry_t *) a->convs.t.e;
        for (uint32_t i = 0; i < a->convs.t.top; i++)
                if (c[i].used)
                        cp += c[i].packets;
        CHECK_EQU(tx, 6000);
        CHECK_EQU(rx, 6000);
        CHECK_EQU(btx, bytes);
        CHECK_EQU(cp, 6000);
        analysis_free(a);
}

static void test_time_order(void) {
        /* timestamps that go backwards: counted, and first/last are the extremes, not the ends of the file */
        analysis_t *a = tu_analysis(0);
        static const int64_t us[] = { 5000000, 6000000, 4000000, 9000000, 7000000 };
        for (unsigned i = 0; i < 5; i++)
                udp(a, us[i], "10.0.0.1", 1, "10.0.0.2", 2, 10);
        CHECK_EQU(a->negative_deltas, 2);
        CHECK_EQ(a->first_ts, 4000000000LL);
        CHECK_EQ(a->last_ts, 9000000000LL);
        analysis_finish(a);
        char *j = tu_report(a);
        CHECK(tu_json_num(j, "capture.duration_s") == 5.0);
        CHECK(tu_json_num(j, "capture.first_ts") == 4.0);
        free(j);
        analysis_free(a);
        /* defaults when no limits are given */
        a = NULL;
        CHECK_EQ(analysis_new(NULL, &a), 0);
        CHECK(a != NULL);
        if (a) {
                analysis_limits_t d;
                analysis_limits_default(&d);
                CHECK_EQU(a->lim.max_flows, d.max_flows);
                CHECK_EQU(a->lim.max_events, d.max_events);
                analysis_finish(a);
                char *e = tu_report(a); /* an empty analysis still writes a valid report */
                CHECK(tu_json_num(e, "capture.packets") == 0.0);
                free(e);
                analysis_free(a);
        }
}

static void test_protocol_counters(void) {
        analysis_t *a = tu_analysis(0);
        udp(a, 0, "10.0.0.1", 1, "10.0.0.2", 2, 10);
        udp(a, 1, "2001:db8::1", 1, "2001:db8::2", 2, 10);
        tu_tcp_frame(&pk, "10.0.0.1", 1, "10.0.0.2", 2, 1, 1, TCP_ACK, 1, NULL, 0, 0);
        tu_feed(a, 2, &pk);
        tu_reset(&pk);
        tu_eth(&pk, 0x0806);
        tu_zero(&pk, 28);
        tu_feed(a, 3, &pk);
        tu_reset(&pk);
        tu_eth(&pk, 0x88cc);
        tu_zero(&pk, 28);
        tu_feed(a, 4, &pk);
        CHECK_EQU(a->proto[PROTO_ETHERNET].packets, 5);
        CHECK_EQU(a->proto[PROTO_IPV4].packets, 2);
        CHECK_EQU(a->proto[PROTO_IPV6].packets, 1);
        CHECK_EQU(a->proto[PROTO_UDP].packets, 2);
        CHECK_EQU(a->proto[PROTO_TCP].packets, 1);
        CHECK_EQU(a->proto[PROTO_ARP].packets, 1);
        CHECK_EQU(a->proto[PROTO_NON_IP].packets, 1);
        analysis_finish(a);
        char *j = tu_report(a);
        static const char *const names[] = { "ipv4", "ipv6", "tcp", "udp", "icmp", "icmpv6", "arp", "dns" };
        for (unsigned i = 0; i < 8; i++) {
                char path[64];
                snprintf(path, sizeof path, "protocols.%s.packets", names[i]);
                CHECK_MSG(tu_json_num(j, path) >= 0, "%s missing", path);
        }
        CHECK(tu_json_num(j, "protocols.arp.packets") == 1.0);
        free(j);
        analysis_free(a);
}

/* 32,768 IPv6 hosts that differ only in their last 15 bits (byte 15 and the top 7 bits of byte 14): the
 * host and conversation mixer before SipHash (a multiply-xorshift of the address's two 64-bit words, seeded)
 * left the low 17 bits of their hash equal whatever the seed, so every one of them went to one slot of the
 * tables and each lookup walked all the others (max_probe 32,768). Under SipHash the searches stay short:
 * the table's own counters say so, no clock involved. The longest search of a half-full table under a random
 * key is some tens of slots (at most 63 in 400 runs), the average under 5: the bounds leave room. */
static void test_hosts_built_to_collide(void) {
        enum { N = 32768 };
        analysis_t *a = tu_analysis(0);
        for (uint32_t i = 0; i < N; i++) {
                char dst[64];
                snprintf(dst, sizeof dst, "2001:db8:0:1::%x", ((i >> 8) & 0x7f) << 9 | (i & 0xff));
                udp(a, i, "2001:db8::1", 5000, dst, 6000, 20);
        }
        analysis_finish(a);
        CHECK_EQU(a->hosts.t.n, N + 1);
        CHECK_EQU(a->convs.t.n, N);
        fprintf(stderr, "    hosts: max probe %u, %.2f slots a host; conversations: max probe %u, %.2f a conversation\n",
                a->hosts.t.max_probe, (double) a->hosts.t.probes / (N + 1), a->convs.t.max_probe,
                (double) a->convs.t.probes / N);
        CHECK_U(a->hosts.t.max_probe, <=, 512);
        CHECK_U(a->convs.t.max_probe, <=, 512);
        /* each host is looked up about twice and added once, each conversation looked up and added once */
        CHECK_U(a->hosts.t.probes, <=, 12ULL * N);
        CHECK_U(a->convs.t.probes, <=, 8ULL * N);
        analysis_free(a);
}

int main(void) {
        RUN(test_series_widening);
        RUN(test_jitter);
        RUN(test_bursts);
        RUN(test_event_cap);
        RUN(test_hosts_convs);
        RUN(test_time_order);
        RUN(test_protocol_counters);
        RUN(test_hosts_built_to_collide);
        tu_free(&pk);
        return tu_exit();
}
