/* Unit tests of lib/engine/tcp.c, through analysis_feed_packet with segments built here: handshake timing and
 * blame, SYN retransmission, refused vs aborted, RTO / fast / spurious retransmissions, out-of-order vs
 * retransmission by TCP timestamp, RFC 5681 duplicate ACKs, zero window, window full (known and unknown
 * scale), keep-alive, zero-window probe, Karn's rule, sequence wrap-around. Expected behaviour: the comment at
 * the top of lib/engine/tcp.c, issue 2, and RFC 9293 / 5681 / 6298 / 7323 where those say more. */
#include "engine/engine.h"
#include "test-util.h"

#define CLI "10.0.0.1"
#define SRV "10.0.0.2"
#define MS 1000 /* tu_feed takes microseconds */

static uint16_t cport = 40000, sport = 80;
static tu_buf_t pk;

/* one segment; dir 0 = client -> server */
static void seg_o(analysis_t *a, int64_t us, int dir, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win, size_t len,
                  const uint8_t *o, size_t ol) {
        if (dir == 0)
                tu_tcp_frame(&pk, CLI, cport, SRV, sport, seq, ack, flags, win, o, ol, len);
        else
                tu_tcp_frame(&pk, SRV, sport, CLI, cport, seq, ack, flags, win, o, ol, len);
        tu_feed(a, us, &pk);
}
static void seg(analysis_t *a, int64_t us, int dir, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win, size_t len) {
        seg_o(a, us, dir, seq, ack, flags, win, len, NULL, 0);
}
/* a segment with a TCP timestamp option */
static void seg_ts(analysis_t *a, int64_t us, int dir, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win, size_t len,
                   uint32_t tsval, uint32_t tsecr) {
        uint8_t o[12];
        size_t n = tu_opt_ts(o, 0, tsval, tsecr);
        seg_o(a, us, dir, seq, ack, flags, win, len, o, n);
}

enum { CISN = 1000, SISN = 5000, WIN = 1000 };

/* SYN at t0, SYN/ACK d1 later, ACK d2 after that. ws < 0: no window-scale option on that side. With ts, both
 * sides carry timestamps (tsval = time in ms). Client next seq CISN+1, server SISN+1. */
static void handshake_opt(analysis_t *a, int64_t t0, int64_t d1, int64_t d2, int cws, int sws, bool ts) {
        uint8_t o[40];
        size_t n = tu_opt_mss(o, 0, 1460);
        if (cws >= 0)
                n = tu_opt_ws(o, n, (uint8_t) cws);
        if (ts)
                n = tu_opt_ts(o, n, (uint32_t) (t0 / MS), 0);
        seg_o(a, t0, 0, CISN, 0, TCP_SYN, WIN, 0, o, n);
        n = tu_opt_mss(o, 0, 1460);
        if (sws >= 0)
                n = tu_opt_ws(o, n, (uint8_t) sws);
        if (ts)
                n = tu_opt_ts(o, n, (uint32_t) ((t0 + d1) / MS), (uint32_t) (t0 / MS));
        seg_o(a, t0 + d1, 1, SISN, CISN + 1, TCP_SYN | TCP_ACK, WIN, 0, o, n);
        n = 0;
        if (ts)
                n = tu_opt_ts(o, 0, (uint32_t) ((t0 + d1 + d2) / MS), (uint32_t) ((t0 + d1) / MS));
        seg_o(a, t0 + d1 + d2, 0, CISN + 1, SISN + 1, TCP_ACK, WIN, 0, o, n);
}
static void handshake(analysis_t *a, int64_t t0, int64_t d1, int64_t d2) {
        handshake_opt(a, t0, d1, d2, -1, -1, false);
}

static const finding_t *finding(const analysis_t *a, const char *id) {
        for (unsigned i = 0; i < a->n_findings; i++)
                if (strcmp(a->findings[i].id, id) == 0)
                        return &a->findings[i];
        return NULL;
}

static void test_handshake_timing(void) {
        analysis_t *a = tu_analysis(0);
        handshake(a, 0, 100 * MS, 1 * MS);
        CHECK_EQU(a->tcp.conns, 1);
        CHECK_EQU(a->tcp.hs_completed, 1);
        quantiles_t q;
        samples_quantiles(&a->hs_rtt, &q);
        CHECK_EQU(q.count, 1);
        CHECK_EQ(q.max, 101 * NS_PER_MS);
        samples_quantiles(&a->hs_syn_synack, &q);
        CHECK_EQ(q.max, 100 * NS_PER_MS);
        samples_quantiles(&a->hs_synack_ack, &q);
        CHECK_EQ(q.max, 1 * NS_PER_MS);
        CHECK_EQU(a->ev[EV_SLOW_HANDSHAKE].total, 0);
        analysis_finish(a);
        CHECK(finding(a, "tcp-slow-handshake") == NULL);
        analysis_free(a);

        /* server slow: SYN -> SYN/ACK takes 400 ms on 3 connections */
        a = tu_analysis(0);
        for (int i = 0; i < 3; i++) {
                cport = (uint16_t) (41000 + i);
                handshake(a, i * 1000 * MS, 400 * MS, 1 * MS);
        }
        CHECK_EQU(a->ev[EV_SLOW_HANDSHAKE].total, 3);
        analysis_finish(a);
        const finding_t *f = finding(a, "tcp-slow-handshake");
        CHECK(f != NULL);
        if (f) {
                CHECK_CONTAINS(f->title, "server side");
                CHECK_CONTAINS(f->title, "3 of 3");
                CHECK(f->filter[0] != 0);
                CHECK(f->penalty > 0);
                CHECK(f->n_flows >= 1);
        }
        analysis_free(a);

        /* client slow: the ACK of the SYN/ACK takes 400 ms */
        a = tu_analysis(0);
        for (int i = 0; i < 3; i++) {
                cport = (uint16_t) (42000 + i);
                handshake(a, i * 1000 * MS, 1 * MS, 400 * MS);
        }
        analysis_finish(a);
        f = finding(a, "tcp-slow-handshake");
        CHECK(f != NULL);
        if (f)
                CHECK_CONTAINS(f->title, "client side");
        analysis_free(a);
        cport = 40000;
}

static void test_syn_retransmission(void) {
        analysis_t *a = tu_analysis(0);
        seg(a, 0, 0, CISN, 0, TCP_SYN, WIN, 0);
        seg(a, 1000 * MS, 0, CISN, 0, TCP_SYN, WIN, 0);     /* same ISN: a retransmission */
        seg(a, 1001 * MS, 1, SISN, CISN + 1, TCP_SYN | TCP_ACK, WIN, 0);
        seg(a, 1002 * MS, 0, CISN + 1, SISN + 1, TCP_ACK, WIN, 0);
        CHECK_EQU(a->tcp.conns, 1);
        CHECK_EQU(a->tcp.syn_retrans, 1);
        CHECK_EQU(a->tcp.hs_completed, 1);
        CHECK_EQU(a->tcp.reused_ports, 0);
        CHECK_EQU(a->tcp.rto + a->tcp.fast + a->tcp.spurious, 0); /* SYNs are not data retransmissions */
        analysis_finish(a);
        char *j = tu_report(a);
        CHECK(tu_json_num(j, "tcp.syn_retransmissions") == 1.0);
        CHECK(tu_json_num(j, "tcp.retransmissions") == 1.0); /* all kinds, SYNs included (ANALYSES.md) */
        CHECK(tu_json_num(j, "tcp.handshakes.completed") == 1.0);
        free(j);
        const finding_t *f = finding(a, "tcp-slow-handshake");
        CHECK(f != NULL);
        if (f)
                CHECK_CONTAINS(f->title, "network");
        CHECK(finding(a, "tcp-loss") == NULL);
        analysis_free(a);

        /* a SYN with a new ISN on the same ports is a new connection (port reuse), not a retransmission */
        a = tu_analysis(0);
        seg(a, 0, 0, CISN, 0, TCP_SYN, WIN, 0);
        seg(a, 1000 * MS, 0, CISN + 99999, 0, TCP_SYN, WIN, 0);
        CHECK_EQU(a->tcp.syn_retrans, 0);
        CHECK_EQU(a->tcp.conns, 2);
        analysis_free(a);

        /* never answered */
        a = tu_analysis(0);
        seg(a, 0, 0, CISN, 0, TCP_SYN, WIN, 0);
        seg(a, 1000 * MS, 0, CISN, 0, TCP_SYN, WIN, 0);
        seg(a, 3000 * MS, 0, CISN, 0, TCP_SYN, WIN, 0);
        analysis_finish(a);
        CHECK_EQU(a->tcp.syn_retrans, 2);
        CHECK_EQU(a->tcp.hs_no_answer, 1);
        CHECK_EQU(a->tcp.hs_completed, 0);
        f = finding(a, "tcp-no-answer");
        CHECK(f != NULL);
        if (f)
                CHECK_CONTAINS(f->title, "1 connection");
        analysis_free(a);
}

static void test_refused_vs_aborted(void) {
        analysis_t *a = tu_analysis(0);
        seg(a, 0, 0, CISN, 0, TCP_SYN, WIN, 0);
        seg(a, 1 * MS, 1, 0, CISN + 1, TCP_RST | TCP_ACK, 0, 0);
        analysis_finish(a);
        CHECK_EQU(a->tcp.refused, 1);
        CHECK_EQU(a->tcp.hs_refused, 1);
        CHECK_EQU(a->tcp.aborted, 0);
        CHECK_EQU(a->tcp.hs_no_answer, 0);
        CHECK_EQU(a->tcp.rst, 1);
        CHECK_EQU(a->tcp.zero_win, 0); /* the RST's window 0 is not a zero window */
        CHECK(finding(a, "tcp-refused") != NULL);
        CHECK(finding(a, "tcp-aborted") == NULL);
        CHECK(finding(a, "tcp-no-answer") == NULL);
        analysis_free(a);

        a = tu_analysis(0);
        handshake(a, 0, 1 * MS, 1 * MS);
        seg(a, 10 * MS, 0, CISN + 1, SISN + 1, TCP_ACK | TCP_PSH, WIN, 100);
        seg(a, 11 * MS, 1, SISN + 1, CISN + 101, TCP_ACK, WIN, 0);
        seg(a, 12 * MS, 0, CISN + 101, SISN + 1, TCP_RST | TCP_ACK, 0, 0);
        analysis_finish(a);
        CHECK_EQU(a->tcp.refused, 0);
        CHECK_EQU(a->tcp.hs_refused, 0);
        CHECK_EQU(a->tcp.aborted, 1);
        CHECK_EQU(a->tcp.zero_win, 0);
        CHECK(finding(a, "tcp-aborted") != NULL);
        CHECK(finding(a, "tcp-refused") == NULL);
        analysis_free(a);

        /* a reset after the handshake but before any data is neither */
        a = tu_analysis(0);
        handshake(a, 0, 1 * MS, 1 * MS);
        seg(a, 12 * MS, 1, SISN + 1, CISN + 1, TCP_RST | TCP_ACK, 0, 0);
        analysis_finish(a);
        CHECK_EQU(a->tcp.refused, 0);
        CHECK_EQU(a->tcp.aborted, 0);
        analysis_free(a);
}

/* four 100-byte segments from the client after a handshake with a 10 ms RTT */
static analysis_t *with_flight(void) {
        analysis_t *a = tu_analysis(0);
        handshake(a, 0, 10 * MS, 1 * MS);
        for (int i = 0; i < 4; i++)
                seg(a, (20 + i) * MS, 0, CISN + 1 + 100 * (uint32_t) i, SISN + 1, TCP_ACK, WIN, 100);
        return a;
}

static void test_retransmission_kinds(void) {
        /* RTO: no feedback at all, the first segment resent 300 ms later */
        analysis_t *a = with_flight();
        seg(a, 320 * MS, 0, CISN + 1, SISN + 1, TCP_ACK, WIN, 100);
        CHECK_EQU(a->tcp.retrans, 1);
        CHECK_EQU(a->tcp.rto, 1);
        CHECK_EQU(a->tcp.fast, 0);
        CHECK_EQU(a->tcp.spurious, 0);
        CHECK_EQU(a->tcp.ooo, 0);
        CHECK_EQU(a->tcp.lost, 0);
        analysis_finish(a);
        CHECK(finding(a, "tcp-rto") != NULL);
        analysis_free(a);

        /* fast: three duplicate ACKs for the first segment, then it is resent */
        a = with_flight();
        for (int i = 0; i < 3; i++)
                seg(a, (31 + i) * MS, 1, SISN + 1, CISN + 1, TCP_ACK, WIN, 0);
        CHECK_EQU(a->tcp.dupacks, 3);
        seg(a, 34 * MS, 0, CISN + 1, SISN + 1, TCP_ACK, WIN, 100);
        CHECK_EQU(a->tcp.retrans, 1);
        CHECK_EQU(a->tcp.fast, 1);
        CHECK_EQU(a->tcp.rto, 0);
        CHECK_EQU(a->tcp.spurious, 0);
        analysis_free(a);

        /* fast by SACK: one duplicate ACK whose SACK block reports the segments above */
        a = with_flight();
        {
                const uint32_t blk[1][2] = { { CISN + 101, CISN + 401 } };
                uint8_t o[16];
                size_t n = tu_opt_sack(o, 0, blk, 1);
                seg_o(a, 31 * MS, 1, SISN + 1, CISN + 1, TCP_ACK, WIN, 0, o, n);
        }
        seg(a, 32 * MS, 0, CISN + 1, SISN + 1, TCP_ACK, WIN, 100);
        CHECK_EQU(a->tcp.fast, 1);
        CHECK_EQU(a->tcp.rto, 0);
        analysis_free(a);

        /* spurious: the receiver had already acknowledged it */
        a = with_flight();
        seg(a, 31 * MS, 1, SISN + 1, CISN + 401, TCP_ACK, WIN, 0);
        seg(a, 300 * MS, 0, CISN + 1, SISN + 1, TCP_ACK, WIN, 100);
        CHECK_EQU(a->tcp.retrans, 1);
        CHECK_EQU(a->tcp.spurious, 1);
        CHECK_EQU(a->tcp.rto, 0);
        CHECK_EQU(a->tcp.fast, 0);
        analysis_finish(a);
        CHECK(finding(a, "tcp-loss") == NULL); /* spurious retransmissions are not loss */
        CHECK(finding(a, "tcp-rto") == NULL);
        analysis_free(a);
}

static void test_ooo_vs_retrans_by_timestamp(void) {
        /* A (tsval 100), C (tsval 102) opens a gap; B arrives late with tsval 101: sent before C, so the
         * network reordered it -- even though it arrives long after the gap opened. A gap is a sequence gap;
         * it is a lost segment only when a retransmission fills it or nothing ever does. */
        analysis_t *a = tu_analysis(0);
        handshake_opt(a, 0, 1 * MS, 1 * MS, -1, -1, true);
        seg_ts(a, 10 * MS, 0, CISN + 1, SISN + 1, TCP_ACK, WIN, 100, 100, 2);
        seg_ts(a, 11 * MS, 0, CISN + 201, SISN + 1, TCP_ACK, WIN, 100, 102, 2);
        CHECK_EQU(a->tcp.gaps, 1);
        seg_ts(a, 500 * MS, 0, CISN + 101, SISN + 1, TCP_ACK, WIN, 100, 101, 2);
        CHECK_EQU(a->tcp.ooo, 1);
        CHECK_EQU(a->tcp.retrans, 0);
        analysis_finish(a);
        CHECK_EQU(a->tcp.lost, 0);
        analysis_free(a);

        /* the same gap filled quickly but with a newer timestamp: a retransmission of a segment lost
         * upstream of the capture point */
        a = tu_analysis(0);
        handshake_opt(a, 0, 1 * MS, 1 * MS, -1, -1, true);
        seg_ts(a, 10 * MS, 0, CISN + 1, SISN + 1, TCP_ACK, WIN, 100, 100, 2);
        seg_ts(a, 11 * MS, 0, CISN + 201, SISN + 1, TCP_ACK, WIN, 100, 102, 2);
        seg_ts(a, 11 * MS + 500, 0, CISN + 101, SISN + 1, TCP_ACK, WIN, 100, 103, 2);
        CHECK_EQU(a->tcp.ooo, 0);
        CHECK_EQU(a->tcp.retrans, 1);
        CHECK_EQU(a->tcp.lost, 1);
        CHECK_EQU(a->tcp.lost_bytes, 100);
        analysis_finish(a);
        CHECK_EQU(a->tcp.lost, 1);
        analysis_free(a);

        /* without timestamps: within one round trip (handshake: 2 ms) it is reordering, later a retransmission */
        a = tu_analysis(0);
        handshake(a, 0, 1 * MS, 1 * MS);
        seg(a, 10 * MS, 0, CISN + 1, SISN + 1, TCP_ACK, WIN, 100);
        seg(a, 11 * MS, 0, CISN + 201, SISN + 1, TCP_ACK, WIN, 100);
        seg(a, 11 * MS + 500, 0, CISN + 101, SISN + 1, TCP_ACK, WIN, 100);
        CHECK_EQU(a->tcp.ooo, 1);
        CHECK_EQU(a->tcp.retrans, 0);
        seg(a, 12 * MS, 0, CISN + 301, SISN + 1, TCP_ACK, WIN, 100);
        seg(a, 13 * MS, 0, CISN + 501, SISN + 1, TCP_ACK, WIN, 100);
        seg(a, 200 * MS, 0, CISN + 401, SISN + 1, TCP_ACK, WIN, 100);
        CHECK_EQU(a->tcp.ooo, 1);
        CHECK_EQU(a->tcp.retrans, 1);
        CHECK_EQU(a->tcp.gaps, 2);
        CHECK_EQU(a->tcp.lost, 1);
        /* a gap never filled is lost too, counted when the connection ends */
        seg(a, 210 * MS, 0, CISN + 701, SISN + 1, TCP_ACK, WIN, 100);
        analysis_finish(a);
        CHECK_EQU(a->tcp.gaps, 3);
        CHECK_EQU(a->tcp.lost, 2);
        CHECK_EQU(a->tcp.lost_bytes, 200);
        analysis_free(a);

        /* a 300-byte gap resent as three 100-byte segments: 300 bytes were lost, not 600 */
        a = tu_analysis(0);
        handshake(a, 0, 1 * MS, 1 * MS);
        seg(a, 10 * MS, 0, CISN + 1, SISN + 1, TCP_ACK, WIN, 100);
        seg(a, 11 * MS, 0, CISN + 401, SISN + 1, TCP_ACK, WIN, 100);
        for (uint32_t i = 0; i < 3; i++)
                seg(a, (300 + i) * MS, 0, CISN + 101 + 100 * i, SISN + 1, TCP_ACK, WIN, 100);
        analysis_finish(a);
        CHECK_EQU(a->tcp.retrans, 3);
        CHECK_U(a->tcp.lost, >=, 1);
        CHECK_MSG(a->tcp.lost_bytes == 300, "lost bytes %llu for a 300-byte gap filled piecewise",
                  (unsigned long long) a->tcp.lost_bytes);
        analysis_free(a);
}

static void test_ooo_cutoff_without_timestamps(void) {
        /* issue 11, part 1: without TCP timestamps, a gap-filler is judged by time. Capture at the client of
         * a 10 ms path; the server's second segment is lost before the capture point. */
        /* a retransmitted SYN: the cutoff is the answered SYN's round trip (10 ms), not the first SYN's
         * (1010 ms); the segment re-sent by timer 300 ms later is a retransmission and its loss counts */
        analysis_t *a = tu_analysis(0);
        const int64_t T = 5000 * MS; /* not 0: a time of 0 is "none" */
        seg(a, T + 0, 0, CISN, 0, TCP_SYN, WIN, 0);
        seg(a, T + 1000 * MS, 0, CISN, 0, TCP_SYN, WIN, 0);
        seg(a, T + 1010 * MS, 1, SISN, CISN + 1, TCP_SYN | TCP_ACK, WIN, 0);
        seg(a, T + 1010 * MS + 50, 0, CISN + 1, SISN + 1, TCP_ACK, WIN, 0);
        seg(a, T + 1030 * MS, 1, SISN + 1, CISN + 1, TCP_ACK, WIN, 100);
        seg(a, T + 1030 * MS + 100, 1, SISN + 201, CISN + 1, TCP_ACK, WIN, 100);
        seg(a, T + 1330 * MS, 1, SISN + 101, CISN + 1, TCP_ACK, WIN, 100);
        CHECK_EQU(a->tcp.ooo, 0);
        CHECK_EQU(a->tcp.retrans, 2); /* the SYN sent again, and the data segment */
        CHECK_EQU(a->tcp.rto, 1);
        CHECK_EQU(a->tcp.lost, 1);
        analysis_free(a);

        /* a slow SYN/ACK (the server answered the SYN after 40 ms) inflates the handshake; the receiver reports
         * the gap with duplicate ACKs and the fast retransmission comes one data round trip (10 ms, the
         * request's ACK) after the report: a retransmission, not a late original */
        a = tu_analysis(0);
        handshake(a, T, 50 * MS, 50);
        seg(a, T + 51 * MS, 0, CISN + 1, SISN + 1, TCP_ACK | TCP_PSH, WIN, 100);
        seg(a, T + 61 * MS, 1, SISN + 1, CISN + 101, TCP_ACK, WIN, 0);
        seg(a, T + 70 * MS, 1, SISN + 1, CISN + 101, TCP_ACK, WIN, 100);
        seg(a, T + 70 * MS + 50, 0, CISN + 101, SISN + 101, TCP_ACK, WIN, 0);
        for (int i = 0; i < 3; i++) {
                seg(a, T + 70 * MS + 100 + i * 100, 1, SISN + 201 + (uint32_t) i * 100, CISN + 101, TCP_ACK, WIN, 100);
                seg(a, T + 70 * MS + 150 + i * 100, 0, CISN + 101, SISN + 101, TCP_ACK, WIN, 0);
        }
        seg(a, T + 80 * MS + 300, 1, SISN + 101, CISN + 101, TCP_ACK, WIN, 100);
        CHECK_EQU(a->tcp.dupacks, 3);
        CHECK_EQU(a->tcp.ooo, 0);
        CHECK_EQU(a->tcp.retrans, 1);
        CHECK_EQU(a->tcp.fast, 1);
        CHECK_EQU(a->tcp.lost, 1);
        analysis_free(a);

        /* the same, the original only late: it fills the gap 1 ms after the report, out of order */
        a = tu_analysis(0);
        handshake(a, T, 50 * MS, 50);
        seg(a, T + 51 * MS, 0, CISN + 1, SISN + 1, TCP_ACK | TCP_PSH, WIN, 100);
        seg(a, T + 61 * MS, 1, SISN + 1, CISN + 101, TCP_ACK, WIN, 0);
        seg(a, T + 70 * MS, 1, SISN + 1, CISN + 101, TCP_ACK, WIN, 100);
        seg(a, T + 70 * MS + 50, 0, CISN + 101, SISN + 101, TCP_ACK, WIN, 0);
        seg(a, T + 70 * MS + 100, 1, SISN + 201, CISN + 101, TCP_ACK, WIN, 100);
        seg(a, T + 70 * MS + 150, 0, CISN + 101, SISN + 101, TCP_ACK, WIN, 0);
        seg(a, T + 71 * MS + 150, 1, SISN + 101, CISN + 101, TCP_ACK, WIN, 100);
        CHECK_EQU(a->tcp.ooo, 1);
        CHECK_EQU(a->tcp.retrans, 0);
        CHECK_EQU(a->tcp.lost, 0);
        analysis_free(a);
}

static void test_duplicate_acks(void) {
        /* nothing outstanding: a stream of identical pure ACKs is not duplicate ACKs */
        analysis_t *a = tu_analysis(0);
        handshake(a, 0, 1 * MS, 1 * MS);
        for (int i = 0; i < 5; i++)
                seg(a, (10 + i) * MS, 1, SISN + 1, CISN + 1, TCP_ACK, WIN, 0);
        CHECK_EQU(a->tcp.dupacks, 0);
        /* data in flight and everything acknowledged again: still nothing outstanding */
        seg(a, 20 * MS, 0, CISN + 1, SISN + 1, TCP_ACK, WIN, 100);
        seg(a, 21 * MS, 1, SISN + 1, CISN + 101, TCP_ACK, WIN, 0);
        seg(a, 22 * MS, 1, SISN + 1, CISN + 101, TCP_ACK, WIN, 0);
        CHECK_EQU(a->tcp.dupacks, 0);
        analysis_finish(a);
        CHECK(finding(a, "tcp-loss") == NULL);
        analysis_free(a);

        /* the window changes: a window update, not a duplicate ACK */
        a = with_flight();
        seg(a, 31 * MS, 1, SISN + 1, CISN + 1, TCP_ACK, WIN + 100, 0);
        seg(a, 32 * MS, 1, SISN + 1, CISN + 1, TCP_ACK, WIN + 200, 0);
        CHECK_EQU(a->tcp.dupacks, 0);
        CHECK_EQU(a->tcp.win_update, 2);
        /* same window again now: that one is a duplicate ACK */
        seg(a, 33 * MS, 1, SISN + 1, CISN + 1, TCP_ACK, WIN + 200, 0);
        CHECK_EQU(a->tcp.dupacks, 1);
        analysis_free(a);

        /* the segment carries data: not a duplicate ACK */
        a = with_flight();
        for (int i = 0; i < 3; i++)
                seg(a, (31 + i) * MS, 1, SISN + 1 + 50 * (uint32_t) i, CISN + 1, TCP_ACK, WIN, 50);
        CHECK_EQU(a->tcp.dupacks, 0);
        /* a FIN is not one either */
        seg(a, 35 * MS, 1, SISN + 151, CISN + 1, TCP_ACK | TCP_FIN, WIN, 0);
        CHECK_EQU(a->tcp.dupacks, 0);
        analysis_free(a);

        /* a real one: outstanding data, same ACK, same window, no data */
        a = with_flight();
        seg(a, 31 * MS, 1, SISN + 1, CISN + 101, TCP_ACK, WIN, 0);
        seg(a, 32 * MS, 1, SISN + 1, CISN + 101, TCP_ACK, WIN, 0);
        seg(a, 33 * MS, 1, SISN + 1, CISN + 101, TCP_ACK, WIN, 0);
        CHECK_EQU(a->tcp.dupacks, 2);
        analysis_free(a);
}

static void test_zero_window(void) {
        analysis_t *a = tu_analysis(0);
        seg(a, 0, 0, CISN, 0, TCP_SYN, 0, 0); /* a SYN with window 0 is not a zero-window event */
        seg(a, 1 * MS, 1, SISN, CISN + 1, TCP_SYN | TCP_ACK, WIN, 0);
        seg(a, 2 * MS, 0, CISN + 1, SISN + 1, TCP_ACK, WIN, 0);
        CHECK_EQU(a->tcp.zero_win, 0);
        seg(a, 10 * MS, 1, SISN + 1, CISN + 1, TCP_ACK | TCP_PSH, WIN, 500);
        seg(a, 11 * MS, 0, CISN + 1, SISN + 501, TCP_ACK, 0, 0);
        CHECK_EQU(a->tcp.zero_win, 1);
        CHECK_EQU(a->ev[EV_ZERO_WINDOW].total, 1);
        seg(a, 12 * MS, 0, CISN + 1, SISN + 501, TCP_ACK, 0, 0);
        CHECK_EQU(a->tcp.zero_win, 2);                 /* each zero-window advertisement */
        CHECK_EQU(a->ev[EV_ZERO_WINDOW].total, 1);     /* one episode */
        seg(a, 50 * MS, 0, CISN + 1, SISN + 501, TCP_ACK, WIN, 0);
        CHECK_EQU(a->tcp.dupacks, 0);
        analysis_finish(a);
        const finding_t *f = finding(a, "tcp-zero-window");
        CHECK(f != NULL);
        if (f)
                CHECK(f->penalty > 0 && f->filter[0]);
        analysis_free(a);
}

static void test_window_full(void) {
        /* known scale: server shift 2, its window 250 means 1000 bytes; the client fills it exactly */
        analysis_t *a = tu_analysis(0);
        handshake_opt(a, 0, 1 * MS, 1 * MS, 0, 2, false);
        seg(a, 5 * MS, 1, SISN + 1, CISN + 1, TCP_ACK, 250, 0);
        seg(a, 10 * MS, 0, CISN + 1, SISN + 1, TCP_ACK, WIN, 600);
        CHECK_EQU(a->tcp.win_full, 0);
        seg(a, 11 * MS, 0, CISN + 601, SISN + 1, TCP_ACK, WIN, 400);
        CHECK_EQU(a->tcp.win_full, 1);
        analysis_free(a);

        /* the window in a SYN is never scaled (RFC 7323 2.2): right after the handshake the server's window
         * is its SYN/ACK's 1000 bytes, so 1000 bytes fill it */
        a = tu_analysis(0);
        handshake_opt(a, 0, 1 * MS, 1 * MS, 0, 2, false);
        seg(a, 10 * MS, 0, CISN + 1, SISN + 1, TCP_ACK, WIN, 1000);
        CHECK_MSG(a->tcp.win_full == 1, "window full after the SYN/ACK's unscaled window: %llu (expected 1)",
                  (unsigned long long) a->tcp.win_full);
        analysis_free(a);

        /* only one side offered scaling: no scaling at all (RFC 7323 1.3), 250 means 250 */
        a = tu_analysis(0);
        handshake_opt(a, 0, 1 * MS, 1 * MS, -1, 2, false);
        seg(a, 5 * MS, 1, SISN + 1, CISN + 1, TCP_ACK, 250, 0);
        seg(a, 10 * MS, 0, CISN + 1, SISN + 1, TCP_ACK, WIN, 250);
        CHECK_EQU(a->tcp.win_full, 1);
        analysis_free(a);

        /* unknown scale (no handshake captured): not evaluated, whatever the sizes */
        a = tu_analysis(0);
        seg(a, 5 * MS, 1, SISN + 1, CISN + 1, TCP_ACK, 250, 0);
        seg(a, 10 * MS, 0, CISN + 1, SISN + 1, TCP_ACK, WIN, 250);
        seg(a, 11 * MS, 0, CISN + 251, SISN + 1, TCP_ACK, WIN, 750);
        CHECK_EQU(a->tcp.win_full, 0);
        analysis_finish(a);
        CHECK_EQU(a->tcp.conns_midstream, 1);
        analysis_free(a);
}

static void test_keepalive(void) {
        /* Linux sends keep-alives with no data, BSD and Windows with one garbage byte; both at snd.nxt - 1 */
        for (int onebyte = 0; onebyte < 2; onebyte++) {
                analysis_t *a = tu_analysis(0);
                handshake(a, 0, 1 * MS, 1 * MS);
                seg(a, 10 * MS, 0, CISN + 1, SISN + 1, TCP_ACK | TCP_PSH, WIN, 100);
                seg(a, 11 * MS, 1, SISN + 1, CISN + 101, TCP_ACK, WIN, 0);
                seg(a, 75000 * MS, 0, CISN + 100, SISN + 1, TCP_ACK, WIN, (size_t) onebyte);
                seg(a, 75001 * MS, 1, SISN + 1, CISN + 101, TCP_ACK, WIN, 0);
                CHECK_MSG(a->tcp.keepalive == 1, "%s keep-alive: %llu counted", onebyte ? "1-byte" : "0-byte",
                          (unsigned long long) a->tcp.keepalive);
                CHECK_EQU(a->tcp.retrans, 0);
                CHECK_EQU(a->tcp.dupacks, 0);
                CHECK_EQU(a->tcp.lost, 0);
                analysis_finish(a);
                CHECK(finding(a, "tcp-loss") == NULL && finding(a, "tcp-rto") == NULL);
                analysis_free(a);
        }
}

static void test_zero_window_probe(void) {
        /* the receiver closes its window; the sender probes with one new byte, three times (tshark:
         * tcp.analysis.zero_window_probe; RFC 9293 3.8.6.1): probes, not retransmissions */
        analysis_t *a = tu_analysis(0);
        handshake(a, 0, 1 * MS, 1 * MS);
        seg(a, 10 * MS, 0, CISN + 1, SISN + 1, TCP_ACK, WIN, 1000);
        seg(a, 11 * MS, 1, SISN + 1, CISN + 1001, TCP_ACK, 0, 0);
        seg(a, 211 * MS, 0, CISN + 1001, SISN + 1, TCP_ACK, WIN, 1);
        seg(a, 212 * MS, 1, SISN + 1, CISN + 1001, TCP_ACK, 0, 0);
        seg(a, 611 * MS, 0, CISN + 1001, SISN + 1, TCP_ACK, WIN, 1);
        seg(a, 612 * MS, 1, SISN + 1, CISN + 1001, TCP_ACK, 0, 0);
        seg(a, 1411 * MS, 0, CISN + 1001, SISN + 1, TCP_ACK, WIN, 1);
        CHECK_MSG(a->tcp.zw_probe == 3, "zero-window probes: %llu, expected 3 (tshark: 1 byte at the next expected "
                                        "sequence number while the peer's window is 0, each time)",
                  (unsigned long long) a->tcp.zw_probe);
        CHECK_MSG(a->tcp.retrans == 0, "probes counted as retransmissions: %llu", (unsigned long long) a->tcp.retrans);
        CHECK_EQU(a->tcp.keepalive, 0);
        /* the receiver's zero-window ACKs answering the probes: tshark never calls an ACK with window 0 a
         * duplicate ACK (they answer probes, they do not report loss); RFC 5681's letter would count them */
        CHECK_MSG(a->tcp.dupacks == 0, "%llu duplicate ACKs counted from zero-window ACKs answering probes",
                  (unsigned long long) a->tcp.dupacks);
        analysis_free(a);
}

static void test_rtt_karn(void) {
        analysis_t *a = tu_analysis(0);
        handshake(a, 0, 1 * MS, 1 * MS);
        seg(a, 10 * MS, 0, CISN + 1, SISN + 1, TCP_ACK, WIN, 100);
        seg(a, 30 * MS, 1, SISN + 1, CISN + 101, TCP_ACK, WIN, 0);
        CHECK_EQU(a->rtt.seen, 1);
        CHECK_EQ(a->rtt.max_value, 20 * NS_PER_MS);
        /* B is sent, resent after a timeout, then acknowledged: no sample (which copy was acked?) */
        seg(a, 40 * MS, 0, CISN + 101, SISN + 1, TCP_ACK, WIN, 100);
        seg(a, 300 * MS, 0, CISN + 101, SISN + 1, TCP_ACK, WIN, 100);
        seg(a, 305 * MS, 1, SISN + 1, CISN + 201, TCP_ACK, WIN, 0);
        CHECK_EQU(a->tcp.retrans, 1);
        CHECK_MSG(a->rtt.seen == 1, "%llu RTT samples; Karn's rule allows 1", (unsigned long long) a->rtt.seen);
        /* C and D, one ACK for both: one sample, from the last segment */
        seg(a, 400 * MS, 0, CISN + 201, SISN + 1, TCP_ACK, WIN, 100);
        seg(a, 410 * MS, 0, CISN + 301, SISN + 1, TCP_ACK, WIN, 100);
        seg(a, 440 * MS, 1, SISN + 1, CISN + 401, TCP_ACK, WIN, 0);
        CHECK_EQU(a->rtt.seen, 2);
        CHECK_EQ(a->rtt.min, 20 * NS_PER_MS);
        CHECK_EQ(a->rtt.max_value, 30 * NS_PER_MS);
        /* an ACK that acknowledges nothing new gives no sample */
        seg(a, 450 * MS, 1, SISN + 1, CISN + 401, TCP_ACK, WIN, 0);
        CHECK_EQU(a->rtt.seen, 2);
        /* the JSON report carries the figures */
        analysis_finish(a);
        char *j = tu_report(a);
        CHECK(tu_json_num(j, "tcp.rtt_ms.min") == 20.0);
        CHECK(tu_json_num(j, "tcp.rtt_ms.max") == 30.0);
        CHECK(tu_json_num(j, "tcp.handshakes.completed") == 1.0);
        CHECK(tu_json_num(j, "tcp.retransmissions") == 1.0);
        free(j);
        analysis_free(a);
}

static void test_wraparound(void) {
        /* the client's ISN 300 bytes below 2^32: 10 segments of 100 bytes cross the wrap */
        const uint32_t isn = 0xffffff00u - 45;
        analysis_t *a = tu_analysis(0);
        seg(a, 0, 0, isn, 0, TCP_SYN, WIN, 0);
        seg(a, 1 * MS, 1, SISN, isn + 1, TCP_SYN | TCP_ACK, WIN, 0);
        seg(a, 2 * MS, 0, isn + 1, SISN + 1, TCP_ACK, WIN, 0);
        for (uint32_t i = 0; i < 10; i++) {
                seg(a, (10 + 2 * i) * MS, 0, isn + 1 + 100 * i, SISN + 1, TCP_ACK, WIN, 100);
                seg(a, (11 + 2 * i) * MS, 1, SISN + 1, isn + 1 + 100 * (i + 1), TCP_ACK, WIN, 0);
        }
        CHECK_EQU(a->tcp.retrans, 0);
        CHECK_EQU(a->tcp.lost, 0);
        CHECK_EQU(a->tcp.ooo, 0);
        CHECK_EQU(a->tcp.dupacks, 0);
        CHECK_EQU(a->rtt.seen, 10);
        CHECK_EQU(a->tcp.conns, 1);
        /* a retransmission across the wrap, and a gap across the wrap */
        seg(a, 300 * MS, 0, isn + 1 + 200, SISN + 1, TCP_ACK, WIN, 100);
        CHECK_EQU(a->tcp.retrans, 1);
        CHECK_EQU(a->tcp.spurious, 1);
        analysis_free(a);

        a = tu_analysis(0);
        seg(a, 0, 0, isn, 0, TCP_SYN, WIN, 0);
        seg(a, 1 * MS, 1, SISN, isn + 1, TCP_SYN | TCP_ACK, WIN, 0);
        seg(a, 2 * MS, 0, isn + 1, SISN + 1, TCP_ACK, WIN, 0);
        seg(a, 10 * MS, 0, isn + 1, SISN + 1, TCP_ACK, WIN, 100);
        seg(a, 11 * MS, 0, isn + 1 + 400, SISN + 1, TCP_ACK, WIN, 100); /* gap [isn+101, isn+401) spans 2^32 */
        CHECK_EQU(a->tcp.gaps, 1);
        seg(a, 11 * MS + 200, 0, isn + 1 + 100, SISN + 1, TCP_ACK, WIN, 300);
        CHECK_EQU(a->tcp.ooo, 1);
        CHECK_EQU(a->tcp.retrans, 0);
        /* and a gap across the wrap never filled: lost, with its size */
        seg(a, 20 * MS, 0, isn + 1 + 700, SISN + 1, TCP_ACK, WIN, 100);
        analysis_finish(a);
        CHECK_EQU(a->tcp.lost, 1);
        CHECK_EQU(a->tcp.lost_bytes, 200);
        analysis_free(a);
}

static void test_fin_close(void) {
        analysis_t *a = tu_analysis(0);
        handshake(a, 0, 1 * MS, 1 * MS);
        seg(a, 10 * MS, 0, CISN + 1, SISN + 1, TCP_ACK | TCP_FIN, WIN, 0);
        seg(a, 11 * MS, 1, SISN + 1, CISN + 2, TCP_ACK | TCP_FIN, WIN, 0);
        seg(a, 12 * MS, 0, CISN + 2, SISN + 2, TCP_ACK, WIN, 0);
        CHECK_EQU(a->tcp.fin, 2);
        CHECK_EQU(a->tcp.retrans, 0);
        CHECK_EQU(a->tcp.dupacks, 0);
        /* the FIN retransmitted after it was acknowledged is a spurious retransmission, no loss finding */
        seg(a, 300 * MS, 1, SISN + 1, CISN + 2, TCP_ACK | TCP_FIN, WIN, 0);
        CHECK_EQU(a->tcp.retrans, 1);
        analysis_finish(a);
        CHECK_EQ(a->health, 100);
        analysis_free(a);
}

/* Issue 11, part 2: the server's data segment is lost before the capture point, then the server sends a
 * pure ACK whose sequence number is beyond it (the capture missed bytes), and resends the segment 300 ms
 * later. The ACK opens the gap; the resent segment fills it: a retransmission and a lost segment, not an
 * original. */
static void test_ack_beyond_opens_gap(void) {
        analysis_t *a = tu_analysis(0);
        handshake(a, 0, 10 * MS, 1 * MS);
        uint32_t c = CISN + 1, sv = SISN + 1;
        seg(a, 20 * MS, 0, c, sv, TCP_ACK | TCP_PSH, WIN, 100);           /* request */
        c += 100;
        /* server segment sv..sv+500 lost upstream; then a pure ACK of the request, seq sv+500 */
        seg(a, 31 * MS, 1, sv + 500, c, TCP_ACK, WIN, 0);
        CHECK_EQU(a->tcp.gaps, 1);
        seg(a, 331 * MS, 1, sv, c, TCP_ACK | TCP_PSH, WIN, 500);            /* the retransmission */
        CHECK_EQU(a->tcp.retrans, 1);
        CHECK_EQU(a->tcp.ooo, 0);
        analysis_finish(a);
        CHECK_EQU(a->tcp.lost, 1);
        CHECK_EQU(a->tcp.lost_bytes, 500);
        /* a pure ACK at the next expected byte, or a keep-alive just below it, opens nothing */
        analysis_t *b = tu_analysis(0);
        handshake(b, 0, 10 * MS, 1 * MS);
        seg(b, 20 * MS, 1, SISN + 1, CISN + 1, TCP_ACK | TCP_PSH, WIN, 100);
        seg(b, 21 * MS, 1, SISN + 101, CISN + 1, TCP_ACK, WIN, 0);
        seg(b, 22 * MS, 1, SISN + 100, CISN + 1, TCP_ACK, WIN, 0);
        CHECK_EQU(b->tcp.gaps, 0);
        analysis_free(b);
        analysis_free(a);
}

/* Issue 11, part 3: the capture missed the server's first segment (the client got it: its ACK covers it),
 * and the server resent it anyway. The resent copy fills the gap, but the receiver had acknowledged all of
 * it: a spurious retransmission, and no loss. An ACK recorded a few microseconds before the data it
 * acknowledges (capture order) leaves the data a late original. */
static void test_gap_filled_after_ack(void) {
        analysis_t *a = tu_analysis(0);
        handshake(a, 0, 10 * MS, 1 * MS);
        uint32_t sv = SISN + 1;
        /* sv..sv+500 missed by the capture; sv+500..sv+1000 seen: a gap */
        seg(a, 20 * MS, 1, sv + 500, CISN + 1, TCP_ACK | TCP_PSH, WIN, 500);
        seg(a, 21 * MS, 0, CISN + 1, sv + 1000, TCP_ACK, WIN, 0); /* the client has everything */
        seg(a, 250 * MS, 1, sv, CISN + 1, TCP_ACK | TCP_PSH, WIN, 500);
        CHECK_EQU(a->tcp.spurious, 1);
        CHECK_EQU(a->tcp.ooo, 0);
        analysis_finish(a);
        CHECK_EQU(a->tcp.lost, 0);
        analysis_free(a);

        a = tu_analysis(0);
        handshake(a, 0, 10 * MS, 1 * MS);
        seg(a, 20 * MS, 1, sv + 500, CISN + 1, TCP_ACK | TCP_PSH, WIN, 500);
        seg(a, 20 * MS + 5, 0, CISN + 1, sv + 1000, TCP_ACK, WIN, 0);   /* recorded 5 us before ... */
        seg(a, 20 * MS + 10, 1, sv, CISN + 1, TCP_ACK | TCP_PSH, WIN, 500); /* ... the data it acknowledges */
        CHECK_EQU(a->tcp.spurious, 0);
        CHECK_EQU(a->tcp.ooo, 1);
        analysis_finish(a);
        CHECK_EQU(a->tcp.lost, 0);
        analysis_free(a);
}

int main(void) {
        RUN(test_handshake_timing);
        RUN(test_syn_retransmission);
        RUN(test_refused_vs_aborted);
        RUN(test_retransmission_kinds);
        RUN(test_ooo_vs_retrans_by_timestamp);
        RUN(test_ooo_cutoff_without_timestamps);
        RUN(test_duplicate_acks);
        RUN(test_zero_window);
        RUN(test_window_full);
        RUN(test_keepalive);
        RUN(test_zero_window_probe);
        RUN(test_rtt_karn);
        RUN(test_wraparound);
        RUN(test_fin_close);
        RUN(test_ack_beyond_opens_gap);
        RUN(test_gap_filled_after_ack);
        tu_free(&pk);
        return tu_exit();
}
