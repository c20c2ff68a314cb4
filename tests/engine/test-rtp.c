/* Unit tests of lib/engine/rtp.c and jitter.c: RTP and RTCP headers told apart and bounds-checked, RFC 3551
 * clock rates, recognition that needs RTP_CONFIRM packets in a row (and refuses near misses), RFC 3550 jitter
 * against values worked out by hand, loss and sequence wraps (A.1, A.3), a dynamic payload type's clock found
 * from the timestamps' pace; through the engine: the streams list, media ports, the trace's widening, TCP never
 * judged, the jitter-media and rtp-loss findings and their thresholds. */
#include <math.h>

#include "engine/engine.h"
#include "test-util.h"

static void put_rtp(uint8_t *b, uint8_t b0, uint8_t b1, uint16_t seq, uint32_t ts, uint32_t ssrc) {
        b[0] = b0;
        b[1] = b1;
        b[2] = (uint8_t) (seq >> 8);
        b[3] = (uint8_t) seq;
        for (int i = 0; i < 4; i++) {
                b[4 + i] = (uint8_t) (ts >> (24 - 8 * i));
                b[8 + i] = (uint8_t) (ssrc >> (24 - 8 * i));
        }
}

static void test_parse(void) {
        uint8_t b[64] = { 0 };
        rtp_header_t h;
        put_rtp(b, 0x80, 0x80 | 8, 4660, 0xdeadbeef, 0x01020304);
        CHECK_EQ(rtp_parse(b, 40, 40, &h), RTP_DATA);
        CHECK_EQU(h.seq, 4660);
        CHECK_EQU(h.ts, 0xdeadbeef);
        CHECK_EQU(h.ssrc, 0x01020304);
        CHECK_EQU(h.pt, 8);
        CHECK(h.marker);
        /* too short, or the header not captured */
        CHECK_EQ(rtp_parse(b, 11, 11, &h), RTP_NOT);
        CHECK_EQ(rtp_parse(b, 11, 40, &h), RTP_NOT);
        CHECK_EQ(rtp_parse(NULL, 0, 40, &h), RTP_NOT);
        /* version 1 or 3 (QUIC's short and long headers) */
        b[0] = 0x40;
        CHECK_EQ(rtp_parse(b, 40, 40, &h), RTP_NOT);
        b[0] = 0xc0;
        CHECK_EQ(rtp_parse(b, 40, 40, &h), RTP_NOT);
        /* RTCP: SR (200, 6 words + 1) fits in 28 bytes, not in 24; PSFB (206) too; 72-76 without the marker is neither */
        put_rtp(b, 0x80, 200, 6, 0, 0);
        CHECK_EQ(rtp_parse(b, 28, 28, &h), RTP_RTCP);
        CHECK_EQ(rtp_parse(b, 24, 24, &h), RTP_NOT);
        b[1] = 206;
        CHECK_EQ(rtp_parse(b, 28, 28, &h), RTP_RTCP);
        b[1] = 72;
        CHECK_EQ(rtp_parse(b, 28, 28, &h), RTP_NOT);
        /* CSRCs: 15 of them need 72 bytes */
        put_rtp(b, 0x8f, 0, 1, 1, 1);
        CHECK_EQ(rtp_parse(b, 64, 64, &h), RTP_NOT);
        put_rtp(b, 0x82, 0, 1, 1, 1);
        CHECK_EQ(rtp_parse(b, 20, 20, &h), RTP_DATA);
        CHECK_EQ(rtp_parse(b, 19, 19, &h), RTP_NOT);
        /* an extension of 4 words after the fixed header: 12 + 4 + 16 */
        put_rtp(b, 0x90, 0, 1, 1, 1);
        b[14] = 0;
        b[15] = 4;
        CHECK_EQ(rtp_parse(b, 32, 32, &h), RTP_DATA);
        CHECK_EQ(rtp_parse(b, 31, 31, &h), RTP_NOT);
        /* ... its length beyond the snaplen: not judged */
        CHECK_EQ(rtp_parse(b, 14, 32, &h), RTP_DATA);
        /* padding: 0 bytes or more than the payload is no RTP */
        put_rtp(b, 0xa0, 0, 1, 1, 1);
        b[19] = 4;
        CHECK_EQ(rtp_parse(b, 20, 20, &h), RTP_DATA);
        b[19] = 9;
        CHECK_EQ(rtp_parse(b, 20, 20, &h), RTP_NOT);
        b[19] = 0;
        CHECK_EQ(rtp_parse(b, 20, 20, &h), RTP_NOT);
}

static void test_clock_rates(void) {
        CHECK_EQU(rtp_clock_rate(0), 8000);
        CHECK_EQU(rtp_clock_rate(6), 16000);
        CHECK_EQU(rtp_clock_rate(9), 8000); /* G.722's famous 8 kHz clock (RFC 3551 section 4.5.2) */
        CHECK_EQU(rtp_clock_rate(10), 44100);
        CHECK_EQU(rtp_clock_rate(26), 90000);
        CHECK_EQU(rtp_clock_rate(34), 90000);
        CHECK_EQU(rtp_clock_rate(2), 0);
        CHECK_EQU(rtp_clock_rate(35), 0);
        CHECK_EQU(rtp_clock_rate(96), 0);
        CHECK_EQU(rtp_clock_rate(127), 0);
}

static rtp_header_t hdr(uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc) {
        return (rtp_header_t) { .pt = pt, .seq = seq, .ts = ts, .ssrc = ssrc };
}

static void test_detect(void) {
        rtp_detect_t d = { 0 };
        /* five in a row, across the wrap of both numbers */
        for (int i = 0; i < RTP_CONFIRM; i++)
                CHECK(rtp_detect_packet(&d, &(rtp_header_t) { .seq = (uint16_t) (65534 + i), .ts = 0xffffff00u + 160u * (uint32_t) i, .ssrc = 7 },
                                        i * 20 * NS_PER_MS, (uint64_t) i + 1) == (i == RTP_CONFIRM - 1));
        CHECK_EQU(d.frame[0], 1);
        /* near misses: a step of 2, a timestamp back, a leap, another SSRC or type, arrival back in time */
        struct { uint16_t seq; uint32_t ts, ssrc; uint8_t pt; int64_t arr; } miss[] = {
                { 6, 640, 1, 0, 80 }, { 4, 300, 1, 0, 80 }, { 4, 640 + RTP_TS_STEP_MAX, 1, 0, 80 },
                { 4, 640, 2, 0, 80 }, { 4, 640, 1, 8, 80 }, { 4, 640, 1, 0, 40 },
        };
        for (size_t m = 0; m < sizeof miss / sizeof miss[0]; m++) {
                memset(&d, 0, sizeof d);
                for (int i = 0; i < 4; i++)
                        CHECK(!rtp_detect_packet(&d, &(rtp_header_t) { .seq = (uint16_t) i, .ts = 160u * (uint32_t) i, .ssrc = 1 },
                                                 i * 20 * NS_PER_MS, 0));
                rtp_header_t h = hdr(miss[m].pt, miss[m].seq, miss[m].ts, miss[m].ssrc);
                CHECK_MSG(!rtp_detect_packet(&d, &h, miss[m].arr * NS_PER_MS, 0), "near miss %zu taken for RTP", m);
                CHECK_EQU(d.n, 1); /* it starts a new run */
        }
        /* equal timestamps (a video frame in several packets) are fine */
        memset(&d, 0, sizeof d);
        bool ok = false;
        for (int i = 0; i < RTP_CONFIRM; i++)
                ok = rtp_detect_packet(&d, &(rtp_header_t) { .seq = (uint16_t) i, .ts = 9000, .ssrc = 3, .pt = 96 }, i * NS_PER_MS, 0);
        CHECK(ok);
}

static void test_jitter_by_hand(void) {
        /* PCMU every 20 ms; the third packet is 8 ms late: D = +8 ms then -8 ms.
         * J1 = 0 (packet 2 on time), J2 = 8/16 = 0.5 ms, J3 = 0.5 + (8 - 0.5)/16 = 0.96875 ms, then decays */
        rtp_stream_t s;
        rtp_header_t h = hdr(0, 100, 1000, 9);
        rtp_stream_start(&s, &h, 0, 1);
        int64_t arr[] = { 20, 48, 60, 80 };
        for (int i = 0; i < 4; i++) {
                h = hdr(0, (uint16_t) (101 + i), 1000 + 160 * (uint32_t) (i + 1), 9);
                rtp_stream_packet(&s, &h, arr[i] * NS_PER_MS);
        }
        rtp_figures_t f;
        rtp_stream_figures(&s, &f);
        CHECK_EQU(f.clock, 8000);
        CHECK_EQ(f.clock_source, RTP_CLOCK_STATIC);
        CHECK_EQ(f.jitter_max, 968750);
        double j4 = 0.96875 + (0 - 0.96875) / 16;
        CHECK_EQ(f.jitter_now, llround(j4 * 1e6));
        CHECK_EQ(f.jitter_mean, llround((0 + 0.5 + 0.96875 + j4) / 4 * 1e6));
        CHECK_EQ(f.expected, 5);
        CHECK_EQ(f.lost, 0);
        CHECK_EQU(f.seq_errors, 0);
}

static void test_loss_and_wrap(void) {
        /* 70,000 packets with 1 in 1,000 never seen: the sequence wraps once; a duplicate and a late packet */
        rtp_stream_t s;
        rtp_header_t h = hdr(8, 60000, 0, 5);
        rtp_stream_start(&s, &h, 0, 1);
        uint64_t sent = 1, missing = 0;
        for (uint32_t i = 1; i < 70000; i++) {
                if (i % 1000 == 500) {
                        missing++;
                        continue;
                }
                h = hdr(8, (uint16_t) (60000 + i), 160 * i, 5);
                rtp_stream_packet(&s, &h, (int64_t) i * 20 * NS_PER_MS);
                sent++;
        }
        rtp_figures_t f;
        rtp_stream_figures(&s, &f);
        CHECK_EQ(f.expected, 70000);
        CHECK_EQ(f.lost, (int64_t) missing);
        CHECK_EQU(f.seq_errors, missing); /* each packet after a missing one */
        CHECK_EQ(f.jitter_max, 0);
        /* the missing packet 69,500 arrives late: not loss any more, and the highest number stays */
        h = hdr(8, (uint16_t) (60000 + 69500), 160 * 69500, 5);
        rtp_stream_packet(&s, &h, 70000LL * 20 * NS_PER_MS);
        rtp_stream_figures(&s, &f);
        CHECK_EQ(f.expected, 70000);
        CHECK_EQ(f.lost, (int64_t) missing - 1);
        (void) sent;
}

static void test_dynamic_clock(void) {
        /* type 111 at 48 kHz, 960 per 20 ms, with a packet 5 ms late now and then */
        rtp_stream_t s;
        rtp_header_t h = hdr(111, 1, 0, 4);
        rtp_stream_start(&s, &h, 0, 1);
        for (uint32_t i = 1; i < 100; i++) {
                h = hdr(111, (uint16_t) (1 + i), 960 * i, 4);
                rtp_stream_packet(&s, &h, (int64_t) i * 20 * NS_PER_MS + (i % 10 == 0 ? 5 * NS_PER_MS : 0));
        }
        rtp_figures_t f;
        rtp_stream_figures(&s, &f);
        CHECK_EQU(f.clock, 48000);
        CHECK_EQ(f.clock_source, RTP_CLOCK_ESTIMATED);
        CHECK_I(f.jitter_max, >, 0);
        /* the same timestamps at a pace no standard rate is within 25 % of (960 per 14.5 ms: 66.2 kHz) */
        h = hdr(111, 1, 0, 4);
        rtp_stream_start(&s, &h, 0, 1);
        for (uint32_t i = 1; i < 100; i++) {
                h = hdr(111, (uint16_t) (1 + i), 960 * i, 4);
                rtp_stream_packet(&s, &h, (int64_t) i * 14500000);
        }
        rtp_stream_figures(&s, &f);
        CHECK_EQU(f.clock, 0);
        CHECK_EQ(f.clock_source, RTP_CLOCK_UNKNOWN);
        CHECK_EQ(f.jitter_max, -1);
        /* too short to tell (under 200 ms) */
        h = hdr(111, 1, 0, 4);
        rtp_stream_start(&s, &h, 0, 1);
        for (uint32_t i = 1; i < 9; i++) {
                h = hdr(111, (uint16_t) (1 + i), 960 * i, 4);
                rtp_stream_packet(&s, &h, (int64_t) i * 20 * NS_PER_MS);
        }
        rtp_stream_figures(&s, &f);
        CHECK_EQ(f.clock_source, RTP_CLOCK_UNKNOWN);
}

/* ---- through the engine ---- */

static tu_buf_t pk;

static void feed_rtp(analysis_t *a, int64_t us, const char *src, uint16_t sp, const char *dst, uint16_t dp,
                     uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc) {
        uint8_t b[172] = { 0 };
        put_rtp(b, 0x80, pt, seq, ts, ssrc);
        tu_udp_frame(&pk, src, sp, dst, dp, b, sizeof b);
        tu_feed(a, us, &pk);
}

static bool has_finding(const analysis_t *a, const char *id) {
        for (unsigned i = 0; i < a->n_findings; i++)
                if (strcmp(a->findings[i].id, id) == 0)
                        return true;
        return false;
}

static void test_engine_streams(void) {
        /* a call: one direction on time, the other with every 4th packet 120 ms late (jitter over 30 ms) */
        analysis_t *a = tu_analysis(0);
        const int64_t t0 = 1700000000LL * 1000000;
        for (int i = 0; i < 400; i++) {
                int64_t t = t0 + i * 20000;
                feed_rtp(a, t, "10.0.0.1", 40000, "10.0.0.2", 40002, 0, (uint16_t) i, 160u * (uint32_t) i, 0xaaaa);
                feed_rtp(a, t + (i % 4 == 3 && i > 10 ? 120000 : 0) + 1, "10.0.0.2", 40002, "10.0.0.1", 40000, 0,
                         (uint16_t) i, 160u * (uint32_t) i, 0xbbbb);
        }
        analysis_finish(a);
        const jitter_state_t *s = &a->jitter;
        CHECK_EQU(s->rtp_streams, 2);
        CHECK_EQU(s->rtp_packets, 800);
        CHECK_EQU(s->over[JK_RTP], 1);
        CHECK_I(s->n, >=, 2);
        CHECK_EQ(s->e[0].kind, JK_RTP);
        CHECK_EQU(s->e[0].ssrc, 0xbbbb); /* the one over its threshold first */
        CHECK(s->e[0].over);
        CHECK(!s->e[1].over);
        CHECK_EQ(s->e[1].jit_max, 0);
        CHECK(has_finding(a, "jitter-media"));
        CHECK(!has_finding(a, "rtp-loss"));
        CHECK_EQU(s->n_ch, 1);
        CHECK_EQ(s->ch[0].kind, JK_RTP);
        CHECK_EQU(s->live, 0); /* every flow's state was freed */
        char *j = tu_report(a);
        CHECK(tu_json_num(j, "jitter.rtp_streams") == 2);
        CHECK(tu_json_num(j, "jitter.streams.0.ssrc") == 0xbbbb);
        free(j);
        analysis_free(a);

        /* the same capture with jitter_media_ms at 200: no finding */
        a = tu_analysis(0);
        thresholds_t th;
        thresholds_default(&th);
        CHECK_EQ(thresholds_set(&th, "jitter_media_ms", "200", TS_OPTION, "test"), 0);
        CHECK_EQ(analysis_set_thresholds(a, &th), 0);
        for (int i = 0; i < 400; i++)
                feed_rtp(a, t0 + i * 20000 + (i % 4 == 3 && i > 10 ? 120000 : 0), "10.0.0.2", 40002, "10.0.0.1", 40000,
                         0, (uint16_t) i, 160u * (uint32_t) i, 0xbbbb);
        analysis_finish(a);
        CHECK_EQU(a->jitter.over[JK_RTP], 0);
        CHECK(!has_finding(a, "jitter-media"));
        analysis_free(a);
}

static void udp_n(analysis_t *a, int64_t us, const char *src, uint16_t sp, const char *dst, uint16_t dp, int i) {
        uint8_t b[120];
        for (size_t k = 0; k < sizeof b; k++)
                b[k] = (uint8_t) (i + (int) k); /* every datagram its own bytes: none is a capture duplicate */
        tu_udp_frame(&pk, src, sp, dst, dp, b, sizeof b);
        tu_feed(a, us, &pk);
}

static void test_engine_kinds(void) {
        /* the same spacing (5 ms, 95 ms, ...: J about 90 ms) on a media port at a media pace (20 a second), judged
         * as media; on an ordinary port, marked over jitter_other_ms (50 ms), never a finding */
        analysis_t *a = tu_analysis(0);
        int64_t t = 0;
        for (int i = 0; i < 200; i++) {
                t += i % 2 ? 5000 : 95000;
                udp_n(a, t, "10.0.0.1", 41000, "10.0.0.2", 3478, i);
                udp_n(a, t + 1, "10.0.0.1", 41000, "10.0.0.3", 9999, i);
        }
        /* a media port at a STUN check's pace (2 a second, 400 and 600 ms apart): not judged as media */
        for (int i = 0; i < 60; i++)
                udp_n(a, (int64_t) i * 500000 + (i % 2 ? 100000 : 0), "10.0.0.1", 41001, "10.0.0.4", 3478, i);
        analysis_finish(a);
        const jitter_state_t *s = &a->jitter;
        CHECK_EQU(s->rtp_streams, 0);
        CHECK_EQU(s->media_port_flows, 1);
        CHECK_EQU(s->over[JK_MEDIA_PORT], 1);
        CHECK_EQU(s->over[JK_UDP], 2);
        CHECK(has_finding(a, "jitter-media"));
        unsigned n_udp = 0, n_media = 0;
        for (uint32_t i = 0; i < s->n; i++) {
                n_udp += s->e[i].kind == JK_UDP;
                n_media += s->e[i].kind == JK_MEDIA_PORT;
        }
        CHECK_EQU(n_udp, 2);
        CHECK_EQU(n_media, 1);
        CHECK_EQ(s->e[0].kind, JK_MEDIA_PORT); /* media over its threshold first */
        for (unsigned i = 0; i < a->n_findings; i++)
                if (strcmp(a->findings[i].id, "jitter-media") == 0) {
                        CHECK_EQU(a->findings[i].n_flows, 1);
                        CHECK_STR(a->findings[i].flows[0], "10.0.0.1:41000 -> 10.0.0.2:3478");
                }
        analysis_free(a);
}

static void test_trace_widens(void) {
        /* a 30-minute stream: the trace keeps JIT_TRACE_BUCKETS buckets that cover it, and its largest jitter */
        analysis_t *a = tu_analysis(0);
        const int n = 90000;
        for (int i = 0; i < n; i++)
                feed_rtp(a, (int64_t) i * 20000 + (i == 45000 ? 400000 : 0), "10.0.0.1", 40000, "10.0.0.2", 40002, 0,
                         (uint16_t) i, 160u * (uint32_t) i, 0xcccc);
        analysis_finish(a);
        const jitter_state_t *s = &a->jitter;
        CHECK_EQU(s->n_ch, 1);
        const jit_trace_t *t = s->ch[0].tr;
        CHECK_U(t->used, <=, JIT_TRACE_BUCKETS);
        CHECK_I((int64_t) t->used * t->width, >=, (int64_t) (n - 1) * 20 * NS_PER_MS);
        int32_t mx = -1;
        for (uint32_t i = 0; i < t->used; i++)
                for (int d = 0; d < 2; d++)
                        if (t->b[i].jit_us[d] > mx)
                                mx = t->b[i].jit_us[d];
        /* one packet 400 ms late: J jumps to 25 ms, the next one's -400 ms takes it to ~48 ms */
        CHECK_I(llabs((int64_t) mx * 1000 - s->e[0].jit_max), <=, 1000);
        CHECK_I(s->e[0].jit_max, >, 40 * NS_PER_MS);
        analysis_free(a);
}

int main(void) {
        RUN(test_parse);
        RUN(test_clock_rates);
        RUN(test_detect);
        RUN(test_jitter_by_hand);
        RUN(test_loss_and_wrap);
        RUN(test_dynamic_clock);
        RUN(test_engine_streams);
        RUN(test_engine_kinds);
        RUN(test_trace_widens);
        tu_free(&pk);
        return tu_exit();
}
