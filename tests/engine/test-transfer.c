/* Unit tests of lib/engine/transfer.c through analysis_feed_packet: a bulk download limited by the receiver's
 * window, one written slowly by the sender, one in loss recovery, one unlimited (slow start on a short
 * path), and the limit word of a run's time shares. Expected behaviour: ANALYSES.md, "Transfers". */
#include "engine/engine.h"
#include "test-util.h"

#define CLI "10.0.0.1"
#define SRV "10.0.0.2"
#define MS 1000 /* tu_feed takes microseconds */
#define MSS 1000

static tu_buf_t pk;
static uint16_t cport = 41000;

static void seg(analysis_t *a, int64_t us, int dir, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win,
                size_t len) {
        uint8_t o[4];
        size_t n = 0;
        if (flags & TCP_SYN)
                n = tu_opt_ws(o, 0, 0); /* both sides scale by 0: windows known exactly */
        if (dir == 0)
                tu_tcp_frame(&pk, CLI, cport, SRV, 80, seq, ack, flags, win, o, n, len);
        else
                tu_tcp_frame(&pk, SRV, 80, CLI, cport, seq, ack, flags, win, o, n, len);
        tu_feed(a, us, &pk);
}

/* captured at the client, server half 20 ms; the client asks for a download at 21 ms */
static void start(analysis_t *a) {
        cport++;
        seg(a, 0, 0, 1000, 0, TCP_SYN, 65535, 0);
        seg(a, 20 * MS, 1, 9000, 1001, TCP_SYN | TCP_ACK, 65535, 0);
        seg(a, 20 * MS + 50, 0, 1001, 9001, TCP_ACK, 65535, 0);
        seg(a, 21 * MS, 0, 1001, 9001, TCP_ACK | TCP_PSH, 65535, 40);
}

static const xfer_item_t *largest(const analysis_t *a) {
        return a->xfer.n ? &a->xfer.items[0] : NULL;
}

/* The receiver advertises 8 segments; the sender fills them each round trip: window-limited. */
static void test_rwnd(void) {
        analysis_t *a = tu_analysis(0);
        start(a);
        uint32_t seq = 9001;
        int64_t t = 41 * MS;
        for (int round = 0; round < 30; round++, t += 20 * MS) {
                for (int i = 0; i < 8; i++) {
                        seg(a, t + i * 10, 1, seq, 1041, TCP_ACK, 65535, MSS);
                        seq += MSS;
                        /* the client acks at once, the window stays 8 segments beyond the ACK */
                        seg(a, t + i * 10 + 5, 0, 1041, seq, TCP_ACK, 8 * MSS, 0);
                }
        }
        analysis_finish(a);
        const xfer_item_t *x = largest(a);
        CHECK(x);
        if (x) {
                CHECK_EQU(x->bytes, 240 * MSS);
                CHECK_STR(xfer_limit_word(x->t, x->rtt_base), "receiver-window");
                CHECK_MSG(x->t[XL_RWND] > x->t[XL_NONE], "rwnd %lld none %lld loss %lld app %lld bw %lld", (long long) x->t[XL_RWND], (long long) x->t[XL_NONE], (long long) x->t[XL_LOSS], (long long) x->t[XL_APP], (long long) x->t[XL_BANDWIDTH]);
        }
        CHECK_EQU(a->xfer.total, 1);
        analysis_free(a);
}

/* The sender writes 4 segments every 60 ms on a 20 ms path, the window wide open: the application. */
static void test_sender(void) {
        analysis_t *a = tu_analysis(0);
        start(a);
        uint32_t seq = 9001;
        int64_t t = 41 * MS;
        for (int burst = 0; burst < 30; burst++, t += 60 * MS)
                for (int i = 0; i < 4; i++) {
                        seg(a, t + i * 10, 1, seq, 1041, TCP_ACK, 65535, MSS);
                        seq += MSS;
                        seg(a, t + i * 10 + 5, 0, 1041, seq, TCP_ACK, 65535, 0);
                }
        analysis_finish(a);
        const xfer_item_t *x = largest(a);
        CHECK(x);
        if (x) {
                CHECK_STR(xfer_limit_word(x->t, x->rtt_base), "sender-application");
                CHECK(x->t[XL_APP] * 10 > x->dur * 8);
        }
        analysis_free(a);
}

/* Segments lost before the capture point (gaps), filled a round trip later: loss recovery. */
static void test_loss(void) {
        analysis_t *a = tu_analysis(0);
        start(a);
        uint32_t seq = 9001;
        int64_t t = 41 * MS;
        for (int round = 0; round < 20; round++, t += 20 * MS) {
                uint32_t lost = seq;
                for (int i = 0; i < 8; i++) {
                        if (i != 0)
                                seg(a, t + i * 10, 1, seq, 1041, TCP_ACK, 65535, MSS);
                        seq += MSS;
                        seg(a, t + i * 10 + 5, 0, 1041, lost, TCP_ACK, 65535, 0); /* duplicate ACKs */
                }
                /* the retransmission a round trip later fills the gap; everything is acknowledged */
                seg(a, t + 20 * MS - 100, 1, lost, 1041, TCP_ACK, 65535, MSS);
                seg(a, t + 20 * MS - 50, 0, 1041, seq, TCP_ACK, 65535, 0);
        }
        analysis_finish(a);
        const xfer_item_t *x = largest(a);
        CHECK(x);
        if (x) {
                CHECK_STR(xfer_limit_word(x->t, x->rtt_base), "network-loss");
                CHECK(x->t[XL_LOSS] > 0);
        }
        CHECK(a->tcp.lost >= 20);
        analysis_free(a);
}

static void test_limit_word(void) {
        int64_t t[_XL_MAX] = { 0 };
        CHECK_STR(xfer_limit_word(t, 0), "none");
        t[XL_NONE] = 100;
        CHECK_STR(xfer_limit_word(t, 5 * NS_PER_MS), "none");
        CHECK_STR(xfer_limit_word(t, 80 * NS_PER_MS), "network-latency"); /* round trips on a long path */
        t[XL_BANDWIDTH] = 35;                                              /* a quarter of the time or more */
        CHECK_STR(xfer_limit_word(t, 5 * NS_PER_MS), "network-bandwidth");
        t[XL_BANDWIDTH] = 20;
        CHECK_STR(xfer_limit_word(t, 5 * NS_PER_MS), "none");
        t[XL_RWND] = 200;
        CHECK_STR(xfer_limit_word(t, 5 * NS_PER_MS), "receiver-window");
        CHECK_STR(xfer_limit_name(XL_APP), "sender-application");
        CHECK_STR(xfer_limit_name(_XL_MAX), "none");
}

/* A run under 64 KiB is no bulk transfer. */
static void test_small(void) {
        analysis_t *a = tu_analysis(0);
        start(a);
        for (int i = 0; i < 10; i++)
                seg(a, 41 * MS + i * 10, 1, 9001 + (uint32_t) i * MSS, 1041, TCP_ACK, 65535, MSS);
        analysis_finish(a);
        CHECK_EQU(a->xfer.total, 0);
        CHECK(a->xfer.best.p == NULL);
        analysis_free(a);
}

int main(void) {
        RUN(test_rwnd);
        RUN(test_sender);
        RUN(test_loss);
        RUN(test_limit_word);
        RUN(test_small);
        tu_free(&pk);
        return tu_exit();
}
