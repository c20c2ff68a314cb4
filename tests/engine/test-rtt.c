/* Unit tests of lib/engine/rtt.c: a half's base and queue, timestamp echoes (exact, interpolated, used once,
 * the history growing sparser), the capture point from the halves, and the one-way delay change from a
 * sender's timestamps (standard tick rates only), the per-connection digest of whole round trips. Expected
 * behaviour: ANALYSES.md, "Where the time went" and "Connections". */
#include <math.h>
#include <stdlib.h>

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

static int cmp_i64(const void *x, const void *y) {
        int64_t a = *(const int64_t *) x, b = *(const int64_t *) y;
        return (a > b) - (a < b);
}

/* The per-connection digest: min and max exact, the median within 9.1 % of the lower median, over
 * distributions from 1 us to 20 s, whatever order the samples came in. */
static void test_digest(void) {
        static int64_t v[100000];
        uint64_t seed = 7;
        for (int dist = 0; dist < 5; dist++) {
                for (int n = 1; n <= 100000; n = n < 10 ? n + 1 : n * 7) {
                        rtt_digest_t d = { 0 };
                        CHECK(d.count == NULL);
                        for (int i = 0; i < n; i++) {
                                seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
                                double u = (double) (seed >> 11) / 9007199254740992.0;
                                /* uniform 1..100 ms; log-uniform 1 us..20 s; two modes (5 ms, 80 ms); constant;
                                 * a few microseconds */
                                v[i] = dist == 0   ? (int64_t) (1e6 + u * 99e6)
                                       : dist == 1 ? (int64_t) (1e3 * pow(2e7, u))
                                       : dist == 2 ? (u < 0.45 ? 5 * MS : 80 * MS) + (int64_t) (u * 1e5)
                                       : dist == 3 ? 12345678
                                                   : (int64_t) (1100 + u * 1900); /* 1.1 .. 3 us: ns kept */
                                rtt_digest_add(&d, v[i]);
                                CHECK((d.count != NULL) == (i >= 2)); /* counts from the third sample */
                        }
                        qsort(v, (size_t) n, sizeof v[0], cmp_i64);
                        CHECK_EQ(d.min, v[0]);
                        CHECK_EQ(d.max, v[n - 1]);
                        CHECK_EQU(d.n, (uint64_t) n);
                        int64_t want = v[(n + 1) / 2 - 1], got = rtt_digest_median(&d);
                        CHECK_MSG(fabs((double) (got - want)) <= 0.0906 * (double) want,
                                  "dist %d n %d: median %lld, the lower median %lld", dist, n, (long long) got,
                                  (long long) want);
                        rtt_digest_done(&d);
                }
        }
        /* without samples */
        rtt_digest_t e = { 0 };
        CHECK_EQ(rtt_digest_median(&e), -1);
        CHECK_EQ(rtt_digest_median(NULL), -1);
        rtt_digest_add(&e, -5);
        CHECK_EQU(e.n, 0);
        /* 200,000 samples in one bucket, then 100,000 in another: every sample weighs the same (the median
         * is the first bucket's), whatever came first */
        rtt_digest_t h = { 0 };
        for (int i = 0; i < 200000; i++)
                rtt_digest_add(&h, 10 * MS);
        for (int i = 0; i < 100000; i++)
                rtt_digest_add(&h, 100 * MS);
        CHECK_EQU(h.n, 300000);
        int64_t m = rtt_digest_median(&h);
        CHECK_MSG(m >= 10 * MS - 906000 && m <= 10 * MS + 906000, "median %lld", (long long) m);
        rtt_digest_done(&h);
        /* one and two samples: exact (the lower median is the smaller) */
        rtt_digest_t two = { 0 };
        rtt_digest_add(&two, 33 * MS);
        CHECK_EQ(rtt_digest_median(&two), 33 * MS);
        rtt_digest_add(&two, 7 * MS);
        CHECK_EQ(rtt_digest_median(&two), 7 * MS);
        CHECK(two.count == NULL);
        /* samples beyond 2^24 us share the last bucket: the median is then the max */
        rtt_digest_t big = { 0 };
        rtt_digest_add(&big, 30 * NS_PER_S);
        rtt_digest_add(&big, 40 * NS_PER_S);
        rtt_digest_add(&big, 50 * NS_PER_S);
        CHECK_EQ(rtt_digest_median(&big), 50 * NS_PER_S);
        rtt_digest_done(&big);
        /* a connection's digest: counts allocated with its third sample, freed with it */
        rtt_conn_t r;
        rtt_conn_init(&r);
        for (int i = 0; i < 3; i++)
                rtt_conn_add_whole(&r, (20 + i) * MS);
        CHECK(r.all.count && r.all.n == 3);
        CHECK(rtt_digest_median(&r.all) >= 20 * MS && rtt_digest_median(&r.all) <= 22 * MS);
        rtt_conn_done(&r);
        CHECK(r.all.count == NULL);
}

int main(void) {
        RUN(test_half);
        RUN(test_digest);
        RUN(test_echo);
        RUN(test_capture_point);
        RUN(test_owd);
        return tu_exit();
}
