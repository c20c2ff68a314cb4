/* Unit tests of lib/engine/rtt.c: a half's base and queue, timestamp echoes (exact, interpolated, used once,
 * the history growing sparser), the capture point from the halves, and the one-way delay change from a
 * sender's timestamps (standard tick rates only). Expected behaviour: ANALYSES.md, "Where the time went". */
#include "engine/engine.h"
#include "test-util.h"

#define MS NS_PER_MS

static void test_half(void) {
        rtt_conn_t r;
        rtt_conn_init(&r);
        CHECK_EQ(rtt_half_base(&r.h[0]), -1);
        CHECK_EQ(rtt_half_queue(&r.h[0]), 0);
        r.h[1].hs = 20 * MS;
        CHECK_EQ(rtt_half_base(&r.h[1]), 20 * MS);
        rtt_half_add(&r.h[1], 25 * MS);
        CHECK_EQ(rtt_half_base(&r.h[1]), 20 * MS); /* the handshake's is smaller */
        rtt_half_add(&r.h[1], 18 * MS);
        CHECK_EQ(rtt_half_base(&r.h[1]), 18 * MS);
        rtt_half_add(&r.h[1], -5); /* ignored */
        CHECK_EQU(r.h[1].n, 2);
        /* queue: the least of the last four samples above the base, 0 until four */
        CHECK_EQ(rtt_half_queue(&r.h[1]), 0);
        rtt_half_add(&r.h[1], 60 * MS);
        rtt_half_add(&r.h[1], 50 * MS);
        CHECK_EQ(rtt_half_queue(&r.h[1]), 0); /* 18 ms still among the last four */
        rtt_half_add(&r.h[1], 70 * MS);
        rtt_half_add(&r.h[1], 48 * MS);
        CHECK_EQ(rtt_half_queue(&r.h[1]), 30 * MS); /* the last four: 60, 50, 70, 48; 48 - 18 */
}

static void test_echo(void) {
        rtt_tsv_t t = { 0 };
        rtt_tsv_sent(&t, 100, 1000 * MS);
        rtt_tsv_sent(&t, 100, 1001 * MS); /* the same value again: the first time counts */
        rtt_tsv_sent(&t, 110, 1010 * MS);
        rtt_tsv_sent(&t, 120, 1020 * MS);
        CHECK_EQ(rtt_tsv_echo(&t, 100), 1000 * MS);
        CHECK_EQ(rtt_tsv_echo(&t, 100), -1);           /* used once */
        CHECK_EQ(rtt_tsv_echo(&t, 115), 1015 * MS);    /* between two kept values: interpolated */
        CHECK_EQ(rtt_tsv_echo(&t, 121), -1);           /* newer than anything sent: not seen here first */
        CHECK_EQ(rtt_tsv_echo(&t, 120), 1020 * MS);
        /* an echo from further back than the history makes it sparser */
        rtt_tsv_t u = { 0 };
        for (uint32_t v = 1; v <= 40; v++)
                rtt_tsv_sent(&u, v, (int64_t) v * MS);
        CHECK_EQ(rtt_tsv_echo(&u, 2), -1);
        CHECK_EQ(u.spacing, 1 * MS);
        CHECK_EQ(rtt_tsv_echo(&u, 3), -1);
        CHECK_EQ(u.spacing, 2 * MS);
        for (uint32_t v = 41; v <= 80; v++)
                rtt_tsv_sent(&u, v, (int64_t) v * MS);
        /* values 2 ms apart kept: 8 of them reach back 14 ms */
        CHECK_EQ(rtt_tsv_echo(&u, 70), 70 * MS);
        /* wrap-around of the timestamp clock */
        rtt_tsv_t w = { 0 };
        rtt_tsv_sent(&w, 0xfffffff0u, 5 * MS);
        rtt_tsv_sent(&w, 0x10u, 37 * MS);
        CHECK_EQ(rtt_tsv_echo(&w, 0), 21 * MS); /* 16 of the 32 ticks between them */
}

static void test_capture_point(void) {
        rtt_conn_t r;
        rtt_conn_init(&r);
        CHECK_EQ(rtt_capture_point(&r), CP_UNKNOWN);
        CHECK_EQ(rtt_path(&r), -1);
        r.h[0].hs = 40000;     /* 0.04 ms: the client's stack */
        r.h[1].hs = 20 * MS;
        CHECK_EQ(rtt_capture_point(&r), CP_CLIENT);
        CHECK_EQ(rtt_path(&r), 20 * MS + 40000);
        r.h[0].hs = 20 * MS;
        r.h[1].hs = 40000;
        CHECK_EQ(rtt_capture_point(&r), CP_SERVER);
        r.h[0].hs = 8 * MS;
        r.h[1].hs = 12 * MS;
        CHECK_EQ(rtt_capture_point(&r), CP_MIDDLE);
        r.h[0].hs = 30000; /* loopback: 0.05 ms in all */
        r.h[1].hs = 20000;
        CHECK_EQ(rtt_capture_point(&r), CP_UNKNOWN);
        CHECK_STR(capture_point_name(CP_MIDDLE), "middle");
        CHECK_STR(capture_point_name(_CP_MAX), "unknown");
}

static void test_owd(void) {
        int64_t d = -1;
        /* 1 ms ticks: 500 ticks later, seen 530 ms later: 30 ms more delay */
        CHECK(rtt_owd_change(1000, 0, 1500, 530 * MS, &d));
        CHECK_EQ(d, 30 * MS);
        /* less than 100 ms apart: no judgement */
        d = -1;
        CHECK(!rtt_owd_change(1000, 0, 1050, 50 * MS, &d));
        CHECK_EQ(d, -1);
        /* a rate that is no standard one (1.6 ms a tick) */
        CHECK(!rtt_owd_change(0, 0, 1000, 1600 * MS, &d));
        /* 10 ms ticks */
        CHECK(rtt_owd_change(0, 0, 100, 1000 * MS, &d));
        CHECK_EQ(d, 0);
        /* 1 us ticks, queue drained by 2 ms */
        CHECK(rtt_owd_change(0, 0, 500000, 498 * MS, &d));
        CHECK_EQ(d, -2 * MS);
        /* timestamps going backwards */
        CHECK(!rtt_owd_change(1000, 0, 900, 500 * MS, &d));
}

int main(void) {
        RUN(test_half);
        RUN(test_echo);
        RUN(test_capture_point);
        RUN(test_owd);
        return tu_exit();
}
