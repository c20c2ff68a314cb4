/* Unit tests of lib/engine/diagnosis.c: a clean synthetic capture scores 100 with no finding; each problem
 * added to it gives its own finding (and no other), with a title, a filter and a penalty; the score is 100
 * minus the penalties; findings are ranked by severity, then penalty. */
#include "engine/engine.h"
#include "test-util.h"

#define MS 1000

static tu_buf_t pk, msg;

static void tcp(analysis_t *a, int64_t us, int dir, const char *cli, uint16_t cp, const char *srv, uint16_t sp, uint32_t seq,
                uint32_t ack, uint8_t flags, uint16_t win, size_t len) {
        if (dir == 0)
                tu_tcp_frame(&pk, cli, cp, srv, sp, seq, ack, flags, win, NULL, 0, len);
        else
                tu_tcp_frame(&pk, srv, sp, cli, cp, seq, ack, flags, win, NULL, 0, len);
        tu_feed(a, us, &pk);
}

/* a clean HTTP-like exchange: handshake (RTT d), 100-byte request, n_seg x 1000-byte response segments each
 * acknowledged, FINs. Returns the time it ended. */
static int64_t clean_conn(analysis_t *a, int64_t t, uint16_t cp, int64_t d, int n_seg) {
        const char *c = "10.0.0.1", *s = "10.0.0.80";
        tcp(a, t, 0, c, cp, s, 80, 100, 0, TCP_SYN, 64000, 0);
        tcp(a, t + d, 1, c, cp, s, 80, 900, 101, TCP_SYN | TCP_ACK, 64000, 0);
        tcp(a, t + d + 100, 0, c, cp, s, 80, 101, 901, TCP_ACK, 64000, 0);
        t += d + 200;
        tcp(a, t, 0, c, cp, s, 80, 101, 901, TCP_ACK | TCP_PSH, 64000, 100);
        t += d;
        uint32_t sseq = 901;
        for (int i = 0; i < n_seg; i++) {
                tcp(a, t, 1, c, cp, s, 80, sseq, 201, TCP_ACK, 64000, 1000);
                sseq += 1000;
                tcp(a, t + d, 0, c, cp, s, 80, 201, sseq, TCP_ACK, 64000, 0);
                t += 100;
        }
        t += d;
        tcp(a, t, 1, c, cp, s, 80, sseq, 201, TCP_ACK | TCP_FIN, 64000, 0);
        tcp(a, t + d, 0, c, cp, s, 80, 201, sseq + 1, TCP_ACK | TCP_FIN, 64000, 0);
        tcp(a, t + 2 * d, 1, c, cp, s, 80, sseq + 1, 202, TCP_ACK, 64000, 0);
        return t + 2 * d;
}

static void dns(analysis_t *a, int64_t us, uint16_t id, const char *name, int rcode, int64_t rt) {
        tu_reset(&msg);
        tu_dns(&msg, id, 0x0100, name, 1, 0);
        tu_udp_frame(&pk, "10.0.0.1", (uint16_t) (30000 + id), "10.0.0.53", 53, msg.b, msg.n);
        tu_feed(a, us, &pk);
        if (rcode < 0)
                return;
        tu_reset(&msg);
        tu_dns(&msg, id, (uint16_t) (0x8180 | rcode), name, 1, rcode == 0);
        tu_udp_frame(&pk, "10.0.0.53", 53, "10.0.0.1", (uint16_t) (30000 + id), msg.b, msg.n);
        tu_feed(a, us + rt, &pk);
}

static void ping(analysis_t *a, int64_t us, bool reply) {
        tu_reset(&pk);
        tu_eth(&pk, 0x0800);
        size_t ip = reply ? tu_ipv4(&pk, "10.0.0.9", "10.0.0.1", 1, NULL, 0) : tu_ipv4(&pk, "10.0.0.1", "10.0.0.9", 1, NULL, 0);
        tu_put(&pk, (const uint8_t[8]) { reply ? 0 : 8, 0, 0, 0, 0, 1, 0, 1 }, 8);
        tu_ipv4_end(&pk, ip);
        tu_feed(a, us, &pk);
}

static void icmp_err(analysis_t *a, int64_t us, uint8_t type, uint8_t code, uint16_t mtu, uint8_t qproto) {
        tu_reset(&pk);
        tu_eth(&pk, 0x0800);
        size_t ip = tu_ipv4(&pk, "192.0.2.1", "10.0.0.1", 1, NULL, 0);
        tu_put(&pk, (const uint8_t[8]) { type, code, 0, 0, 0, 0, (uint8_t) (mtu >> 8), (uint8_t) mtu }, 8);
        size_t q = tu_ipv4(&pk, "10.0.0.1", "198.51.100.1", qproto, NULL, 0);
        tu_be16(&pk, 40000);
        tu_be16(&pk, 161);
        tu_be32(&pk, 0);
        tu_ipv4_end(&pk, q);
        tu_ipv4_end(&pk, ip);
        tu_feed(a, us, &pk);
}

/* the clean background: 3 connections, 2 DNS lookups, a ping */
static int64_t background(analysis_t *a) {
        int64_t t = 0;
        dns(a, t, 1, "www.example.com", 0, 5 * MS);
        t = clean_conn(a, t + 10 * MS, 40001, 1 * MS, 20);
        dns(a, t + 5 * MS, 2, "img.example.com", 0, 3 * MS);
        t = clean_conn(a, t + 10 * MS, 40002, 1 * MS, 5);
        t = clean_conn(a, t + 10 * MS, 40003, 2 * MS, 50);
        ping(a, t + 1 * MS, false);
        ping(a, t + 2 * MS, true);
        return t + 10 * MS;
}

/* ---- problems ---- */

static void p_rto(analysis_t *a, int64_t t) {
        /* 100 segments, 5 of them resent after 300 ms without any feedback */
        const char *c = "10.0.0.2", *s = "10.0.0.80";
        tcp(a, t, 0, c, 41000, s, 80, 100, 0, TCP_SYN, 64000, 0);
        tcp(a, t + 1 * MS, 1, c, 41000, s, 80, 900, 101, TCP_SYN | TCP_ACK, 64000, 0);
        tcp(a, t + 2 * MS, 0, c, 41000, s, 80, 101, 901, TCP_ACK, 64000, 0);
        t += 3 * MS;
        uint32_t seq = 101;
        for (int i = 0; i < 100; i++) {
                tcp(a, t, 0, c, 41000, s, 80, seq, 901, TCP_ACK, 64000, 1000);
                if (i % 20 == 10) {
                        tcp(a, t + 300 * MS, 0, c, 41000, s, 80, seq, 901, TCP_ACK, 64000, 1000);
                        t += 300 * MS;
                }
                seq += 1000;
                tcp(a, t + 1 * MS, 1, c, 41000, s, 80, 901, seq, TCP_ACK, 64000, 0);
                t += 2 * MS;
        }
}

static void p_fast(analysis_t *a, int64_t t) {
        /* 200 segments; three times a segment is lost after the capture point, 3 duplicate ACKs, resent */
        const char *c = "10.0.0.2", *s = "10.0.0.80";
        tcp(a, t, 0, c, 41001, s, 80, 100, 0, TCP_SYN, 64000, 0);
        tcp(a, t + 1 * MS, 1, c, 41001, s, 80, 900, 101, TCP_SYN | TCP_ACK, 64000, 0);
        tcp(a, t + 2 * MS, 0, c, 41001, s, 80, 101, 901, TCP_ACK, 64000, 0);
        t += 3 * MS;
        uint32_t base = 101;
        for (int blk = 0; blk < 50; blk++) {
                /* 4 segments in flight */
                for (int i = 0; i < 4; i++)
                        tcp(a, t + i * 10, 0, c, 41001, s, 80, base + 1000 * (uint32_t) i, 901, TCP_ACK, 64000, 1000);
                t += 1 * MS;
                if (blk % 16 == 5) {
                        for (int i = 0; i < 3; i++)
                                tcp(a, t + i * 10, 1, c, 41001, s, 80, 901, base, TCP_ACK, 64000, 0);
                        t += 100;
                        tcp(a, t, 0, c, 41001, s, 80, base, 901, TCP_ACK, 64000, 1000);
                        t += 1 * MS;
                }
                base += 4000;
                tcp(a, t, 1, c, 41001, s, 80, 901, base, TCP_ACK, 64000, 0);
                t += 1 * MS;
        }
}

static void p_reorder(analysis_t *a, int64_t t) {
        /* 100 segments, 3 pairs swapped by the network (the late one arrives 0.2 ms after its successor) */
        const char *c = "10.0.0.2", *s = "10.0.0.80";
        tcp(a, t, 0, c, 41002, s, 80, 100, 0, TCP_SYN, 64000, 0);
        tcp(a, t + 5 * MS, 1, c, 41002, s, 80, 900, 101, TCP_SYN | TCP_ACK, 64000, 0);
        tcp(a, t + 10 * MS, 0, c, 41002, s, 80, 101, 901, TCP_ACK, 64000, 0);
        t += 11 * MS;
        uint32_t seq = 101;
        for (int i = 0; i < 100; i += 2) {
                if (i % 30 == 10) {
                        tcp(a, t, 0, c, 41002, s, 80, seq + 1000, 901, TCP_ACK, 64000, 1000);
                        tcp(a, t + 200, 0, c, 41002, s, 80, seq, 901, TCP_ACK, 64000, 1000);
                } else {
                        tcp(a, t, 0, c, 41002, s, 80, seq, 901, TCP_ACK, 64000, 1000);
                        tcp(a, t + 200, 0, c, 41002, s, 80, seq + 1000, 901, TCP_ACK, 64000, 1000);
                }
                seq += 2000;
                tcp(a, t + 10 * MS, 1, c, 41002, s, 80, 901, seq, TCP_ACK, 64000, 0);
                t += 11 * MS;
        }
}

static void p_zero_window(analysis_t *a, int64_t t) {
        const char *c = "10.0.0.2", *s = "10.0.0.80";
        tcp(a, t, 0, c, 41003, s, 80, 100, 0, TCP_SYN, 64000, 0);
        tcp(a, t + 1 * MS, 1, c, 41003, s, 80, 900, 101, TCP_SYN | TCP_ACK, 64000, 0);
        tcp(a, t + 2 * MS, 0, c, 41003, s, 80, 101, 901, TCP_ACK, 64000, 0);
        tcp(a, t + 3 * MS, 1, c, 41003, s, 80, 901, 101, TCP_ACK, 64000, 1000);
        tcp(a, t + 4 * MS, 0, c, 41003, s, 80, 101, 1901, TCP_ACK, 0, 0);
        tcp(a, t + 500 * MS, 0, c, 41003, s, 80, 101, 1901, TCP_ACK, 64000, 0);
}

static void hs_only(analysis_t *a, int64_t t, uint16_t cp, int64_t d1, int64_t d2) {
        const char *c = "10.0.0.3", *s = "10.0.0.80";
        tcp(a, t, 0, c, cp, s, 80, 100, 0, TCP_SYN, 64000, 0);
        tcp(a, t + d1, 1, c, cp, s, 80, 900, 101, TCP_SYN | TCP_ACK, 64000, 0);
        tcp(a, t + d1 + d2, 0, c, cp, s, 80, 101, 901, TCP_ACK, 64000, 0);
}
static void p_slow_handshake(analysis_t *a, int64_t t) {
        for (int i = 0; i < 3; i++)
                hs_only(a, t + i * 1000 * MS, (uint16_t) (42000 + i), 400 * MS, 1 * MS);
}
static void p_high_rtt(analysis_t *a, int64_t t) {
        for (int i = 0; i < 3; i++)
                hs_only(a, t + i * 1000 * MS, (uint16_t) (42100 + i), 40 * MS, 40 * MS);
}
static void p_no_answer(analysis_t *a, int64_t t) {
        for (int i = 0; i < 3; i++)
                tcp(a, t + i * 1000 * MS, 0, "10.0.0.4", 43000, "10.0.0.81", 80, 100, 0, TCP_SYN, 64000, 0);
}
static void p_refused(analysis_t *a, int64_t t) {
        tcp(a, t, 0, "10.0.0.4", 43001, "10.0.0.80", 81, 100, 0, TCP_SYN, 64000, 0);
        tcp(a, t + 1 * MS, 1, "10.0.0.4", 43001, "10.0.0.80", 81, 0, 101, TCP_RST | TCP_ACK, 0, 0);
}
static void p_aborted(analysis_t *a, int64_t t) {
        const char *c = "10.0.0.4", *s = "10.0.0.80";
        tcp(a, t, 0, c, 43002, s, 80, 100, 0, TCP_SYN, 64000, 0);
        tcp(a, t + 1 * MS, 1, c, 43002, s, 80, 900, 101, TCP_SYN | TCP_ACK, 64000, 0);
        tcp(a, t + 2 * MS, 0, c, 43002, s, 80, 101, 901, TCP_ACK, 64000, 0);
        tcp(a, t + 3 * MS, 0, c, 43002, s, 80, 101, 901, TCP_ACK | TCP_PSH, 64000, 100);
        tcp(a, t + 4 * MS, 1, c, 43002, s, 80, 901, 201, TCP_RST | TCP_ACK, 0, 0);
}
static void p_servfail(analysis_t *a, int64_t t) { dns(a, t, 10, "broken.example", 2, 5 * MS); }
static void p_nxdomain(analysis_t *a, int64_t t) { dns(a, t, 11, "nosuch.example", 3, 5 * MS); }
static void p_dns_timeout(analysis_t *a, int64_t t) { dns(a, t, 12, "silent.example", -1, 0); }
static void p_dns_slow(analysis_t *a, int64_t t) { dns(a, t, 13, "far.example", 0, 800 * MS); }
static void p_unreachable(analysis_t *a, int64_t t) { icmp_err(a, t, 3, 3, 0, 17); }
static void p_pmtu(analysis_t *a, int64_t t) { icmp_err(a, t, 3, 4, 1400, 6); }
static void p_time_exceeded(analysis_t *a, int64_t t) { icmp_err(a, t, 11, 0, 0, 17); }
static void p_frag(analysis_t *a, int64_t t) {
        tu_reset(&pk);
        tu_eth(&pk, 0x0800);
        size_t ip = tu_ipv4(&pk, "10.0.0.5", "10.0.0.6", 17, NULL, 0);
        tu_pattern(&pk, 1480);
        tu_ipv4_end(&pk, ip);
        tu_ipv4_frag(&pk, ip, 77, 0, true);
        tu_feed(a, t, &pk);
}

static const struct scenario {
        const char *name;
        void (*fn)(analysis_t *, int64_t);
        const char *expect[3];
} scenarios[] = {
        { "RTO retransmissions", p_rto, { "tcp-loss", "tcp-rto" } },
        { "fast retransmissions", p_fast, { "tcp-loss" } },
        { "reordering", p_reorder, { "tcp-reorder" } },
        { "zero window", p_zero_window, { "tcp-zero-window" } },
        { "slow handshakes", p_slow_handshake, { "tcp-slow-handshake", "tcp-high-rtt" } },
        { "high RTT", p_high_rtt, { "tcp-high-rtt" } },
        { "unanswered SYNs", p_no_answer, { "tcp-no-answer" } },
        { "refused", p_refused, { "tcp-refused" } },
        { "aborted", p_aborted, { "tcp-aborted" } },
        { "SERVFAIL", p_servfail, { "dns-errors" } },
        { "NXDOMAIN", p_nxdomain, { "dns-nxdomain" } },
        { "DNS timeout", p_dns_timeout, { "dns-timeouts" } },
        { "slow DNS", p_dns_slow, { "dns-slow" } },
        { "port unreachable", p_unreachable, { "icmp-unreachable" } },
        { "fragmentation needed", p_pmtu, { "pmtu" } },
        { "time exceeded", p_time_exceeded, { "icmp-time-exceeded" } },
        { "incomplete fragments", p_frag, { "ip-frag-incomplete" } },
};

/* findings that describe something harmless on their own carry no penalty */
static bool zero_penalty_ok(const char *id) {
        return strcmp(id, "tcp-aborted") == 0 || strcmp(id, "icmp-time-exceeded") == 0;
}

static void check_score(const analysis_t *a, const char *what) {
        int pen = 0;
        for (unsigned i = 0; i < a->n_findings; i++) {
                const finding_t *f = &a->findings[i];
                pen += f->penalty;
                CHECK_MSG(f->title[0], "%s: finding %s without a title", what, f->id);
                CHECK_MSG(f->detail[0], "%s: finding %s without a detail", what, f->id);
                CHECK_MSG(f->severity >= 1 && f->severity <= 3, "%s: %s severity %d", what, f->id, f->severity);
                CHECK_MSG(f->penalty >= 0, "%s: %s penalty %d", what, f->id, f->penalty);
                if (i > 0) {
                        const finding_t *p = &a->findings[i - 1];
                        CHECK_MSG(p->severity > f->severity || (p->severity == f->severity && p->penalty >= f->penalty),
                                  "%s: findings not ranked: %s (%d/%d) before %s (%d/%d)", what, p->id, p->severity,
                                  p->penalty, f->id, f->severity, f->penalty);
                }
        }
        CHECK_MSG(a->health == (pen > 100 ? 0 : 100 - pen), "%s: health %d, penalties %d", what, a->health, pen);
        CHECK_EQ(analysis_get_health_score(a), a->health);
        CHECK_EQU(analysis_get_findings_count(a), a->n_findings);
}

static void test_clean(void) {
        analysis_t *a = tu_analysis(0);
        background(a);
        analysis_finish(a);
        for (unsigned i = 0; i < a->n_findings; i++)
                TU_FAIL("clean capture: unexpected finding %s: %s", a->findings[i].id, a->findings[i].title);
        CHECK_EQ(a->health, 100);
        CHECK_EQU(a->tcp.conns, 3);
        CHECK_EQU(a->tcp.retrans + a->tcp.dupacks + a->tcp.lost + a->tcp.ooo + a->tcp.zero_win, 0);
        CHECK_EQU(a->dns.queries, 2);
        CHECK_EQU(a->dns.responses, 2);
        char *j = tu_report(a);
        CHECK(tu_json_num(j, "health.score") == 100.0);
        char v[16];
        CHECK_STR(tu_json_get(j, "findings", v, sizeof v), "[]");
        free(j);
        analysis_free(a);
}

/* a clean bulk transfer as real stacks do it: delayed ACKs (one per two segments), a growing window,
 * window updates, the receiver's idle ACKs, and a request/response exchange on the same connection */
static void bulk_clean(analysis_t *a, int64_t t) {
        const char *c = "10.0.0.7", *s = "10.0.0.80";
        tcp(a, t, 0, c, 45000, s, 8080, 1, 0, TCP_SYN, 29200, 0);
        tcp(a, t + 300, 1, c, 45000, s, 8080, 7, 2, TCP_SYN | TCP_ACK, 28960, 0);
        tcp(a, t + 600, 0, c, 45000, s, 8080, 2, 8, TCP_ACK, 29200, 0);
        t += 1 * MS;
        uint32_t sseq = 8, win = 29200;
        for (int req = 0; req < 3; req++) {
                tcp(a, t, 0, c, 45000, s, 8080, 2 + 100 * (uint32_t) req, sseq, TCP_ACK | TCP_PSH, (uint16_t) win, 100);
                t += 200;
                for (int i = 0; i < 300; i++) {
                        tcp(a, t, 1, c, 45000, s, 8080, sseq, 102 + 100 * (uint32_t) req, TCP_ACK, 28960, 1448);
                        sseq += 1448;
                        t += 12;
                        if (i % 2 == 1) {
                                if (win < 65000)
                                        win += 1000;
                                tcp(a, t + 150, 0, c, 45000, s, 8080, 102 + 100 * (uint32_t) req, sseq, TCP_ACK,
                                    (uint16_t) win, 0);
                        }
                }
                /* the window opens again while nothing is outstanding, then an idle ACK repeats */
                tcp(a, t + 300, 0, c, 45000, s, 8080, 102 + 100 * (uint32_t) req, sseq, TCP_ACK, 65535, 0);
                tcp(a, t + 400, 0, c, 45000, s, 8080, 102 + 100 * (uint32_t) req, sseq, TCP_ACK, 65535, 0);
                win = 65535;
                t += 5 * MS;
        }
        tcp(a, t, 0, c, 45000, s, 8080, 302, sseq, TCP_ACK | TCP_FIN, 65535, 0);
        tcp(a, t + 300, 1, c, 45000, s, 8080, sseq, 303, TCP_ACK | TCP_FIN, 28960, 0);
        tcp(a, t + 600, 0, c, 45000, s, 8080, 303, sseq + 1, TCP_ACK, 65535, 0);
}

static void test_clean_bulk(void) {
        analysis_t *a = tu_analysis(0);
        int64_t t = background(a);
        bulk_clean(a, t + 10 * MS);
        analysis_finish(a);
        CHECK_EQU(a->tcp.dupacks, 0);
        CHECK_EQU(a->tcp.retrans, 0);
        CHECK_EQU(a->tcp.gaps, 0);
        CHECK_EQU(a->tcp.zero_win, 0);
        CHECK_EQU(a->tcp.conns, 4);
        for (unsigned i = 0; i < a->n_findings; i++)
                TU_FAIL("clean bulk transfer: unexpected finding %s: %s", a->findings[i].id, a->findings[i].title);
        CHECK_EQ(a->health, 100);
        analysis_free(a);
}

static void test_each_problem(void) {
        for (unsigned s = 0; s < sizeof scenarios / sizeof scenarios[0]; s++) {
                const struct scenario *sc = &scenarios[s];
                analysis_t *a = tu_analysis(0);
                int64_t t = background(a);
                sc->fn(a, t + 100 * MS);
                analysis_finish(a);
                for (unsigned e = 0; e < 3 && sc->expect[e]; e++) {
                        const finding_t *f = NULL;
                        for (unsigned i = 0; i < a->n_findings; i++)
                                if (strcmp(a->findings[i].id, sc->expect[e]) == 0)
                                        f = &a->findings[i];
                        CHECK_MSG(f != NULL, "%s: no finding %s", sc->name, sc->expect[e]);
                        if (!f)
                                continue;
                        CHECK_MSG(f->filter[0], "%s: finding %s has no display filter", sc->name, f->id);
                        CHECK_MSG(f->penalty > 0 || zero_penalty_ok(f->id), "%s: finding %s has no penalty", sc->name, f->id);
                }
                for (unsigned i = 0; i < a->n_findings; i++) {
                        bool expected = false;
                        for (unsigned e = 0; e < 3 && sc->expect[e]; e++)
                                expected |= strcmp(a->findings[i].id, sc->expect[e]) == 0;
                        CHECK_MSG(expected, "%s: unexpected finding %s: %s", sc->name, a->findings[i].id, a->findings[i].title);
                }
                check_score(a, sc->name);
                CHECK_MSG(a->health < 100 || zero_penalty_ok(sc->expect[0]), "%s: health still %d", sc->name, a->health);
                /* the JSON findings carry what the issue asks */
                char *j = tu_report(a);
                char v[600];
                CHECK(tu_json_get(j, "findings.0.severity", v, sizeof v) != NULL);
                CHECK(tu_json_get(j, "findings.0.title", v, sizeof v) != NULL);
                CHECK(tu_json_get(j, "findings.0.detail", v, sizeof v) != NULL);
                CHECK(tu_json_get(j, "findings.0.filter", v, sizeof v) != NULL);
                CHECK(tu_json_num(j, "health.score") == (double) a->health);
                free(j);
                analysis_free(a);
        }
}

static void test_all_problems(void) {
        /* everything at once: the score is clamped at 0, never negative; every finding still there */
        analysis_t *a = tu_analysis(0);
        int64_t t = background(a);
        for (unsigned s = 0; s < sizeof scenarios / sizeof scenarios[0]; s++) {
                scenarios[s].fn(a, t + 100 * MS);
                t += 60000 * MS;
        }
        analysis_finish(a);
        check_score(a, "all problems");
        CHECK_I(a->health, >=, 0);
        CHECK_U(a->n_findings, >=, 15);
        /* finish is idempotent */
        int h = a->health;
        unsigned n = a->n_findings;
        analysis_finish(a);
        CHECK_EQ(a->health, h);
        CHECK_EQU(a->n_findings, n);
        analysis_free(a);
}

int main(void) {
        RUN(test_clean);
        RUN(test_clean_bulk);
        RUN(test_each_problem);
        RUN(test_all_problems);
        tu_free(&pk);
        tu_free(&msg);
        return tu_exit();
}
