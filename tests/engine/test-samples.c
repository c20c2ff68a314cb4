/* Unit tests of lib/engine/samples.c: quantiles exact for small sets, the reservoir bounded for large ones,
 * min/max/mean exact whatever was dropped. */
#include "engine/samples.h"
#include "test-util.h"

static void test_empty(void) {
        samples_t s;
        samples_init(&s, 10, 1);
        quantiles_t q;
        samples_quantiles(&s, &q);
        CHECK_EQU(q.count, 0);
        CHECK_EQ(samples_at(&s, 0.5), 0);
        samples_done(&s);
        samples_done(&s); /* idempotent */
}

static void test_small_exact(void) {
        samples_t s;
        quantiles_t q;
        samples_init(&s, 1000, 7);
        samples_add(&s, 42);
        samples_quantiles(&s, &q);
        CHECK_EQU(q.count, 1);
        CHECK_EQ(q.min, 42);
        CHECK_EQ(q.p50, 42);
        CHECK_EQ(q.p95, 42);
        CHECK_EQ(q.max, 42);
        samples_done(&s);

        /* 1..100 in a scrambled order: linear interpolation between closest ranks */
        samples_init(&s, 1000, 7);
        for (int i = 0; i < 100; i++)
                samples_add(&s, (i * 37) % 100 + 1);
        samples_quantiles(&s, &q);
        CHECK_EQU(q.count, 100);
        CHECK_EQ(q.min, 1);
        CHECK_EQ(q.max, 100);
        CHECK_I(q.p50, >=, 50); /* 50.5 exactly */
        CHECK_I(q.p50, <=, 51);
        CHECK_EQ(q.p95, 95);    /* 95.05 */
        CHECK(q.mean > 50.49 && q.mean < 50.51);
        CHECK(!s.sorted); /* the quantiles came from a sorted copy: the samples are untouched */
        samples_sort(&s);
        CHECK(s.sorted);
        CHECK_EQ(samples_at(&s, 0.0), 1);
        CHECK_EQ(samples_at(&s, 1.0), 100);
        samples_done(&s);

        /* odd count: the median is the middle value */
        samples_init(&s, 1000, 7);
        static const int64_t v[] = { 9, 1, 5, 3, 7 };
        for (unsigned i = 0; i < 5; i++)
                samples_add(&s, v[i]);
        samples_quantiles(&s, &q);
        CHECK_EQ(q.p50, 5);
        CHECK_EQ(q.min, 1);
        CHECK_EQ(q.max, 9);
        samples_sort(&s);
        CHECK_EQ(samples_at(&s, 0.25), 3);
        samples_add(&s, 4); /* new samples: no longer in order */
        samples_add(&s, 4);
        CHECK(!s.sorted);
        samples_quantiles(&s, &q);
        CHECK_EQ(q.p50, 4);
        samples_done(&s);

        /* two values far apart, negative values, and int64 extremes */
        samples_init(&s, 1000, 7);
        samples_add(&s, -10);
        samples_add(&s, 10);
        samples_quantiles(&s, &q);
        CHECK_EQ(q.p50, 0);
        CHECK_EQ(q.min, -10);
        samples_done(&s);

        samples_init(&s, 1000, 7);
        samples_add(&s, INT64_MAX);
        samples_add(&s, INT64_MAX - 2);
        samples_add(&s, 0);
        samples_quantiles(&s, &q);
        CHECK_EQ(q.max, INT64_MAX);
        CHECK_EQ(q.p50, INT64_MAX - 2);
        samples_done(&s);

        /* exactly at the cap: still exact */
        samples_init(&s, 64, 3);
        for (int i = 64; i >= 1; i--)
                samples_add(&s, i);
        samples_quantiles(&s, &q);
        CHECK_EQU(s.n, 64);
        CHECK_EQ(q.min, 1);
        CHECK_EQ(q.max, 64);
        CHECK_EQ(samples_at(&s, 0.5), 33); /* 32.5 rounded half up */
        samples_done(&s);
}

static void test_reservoir_bounded(void) {
        samples_t s;
        quantiles_t q;
        const uint32_t cap = 1000;
        samples_init(&s, cap, 12345);
        /* 1,000,000 samples uniformly 0..999,999 in a scrambled order */
        for (uint64_t i = 0; i < 1000000; i++)
                samples_add(&s, (int64_t) ((i * 7919) % 1000000));
        CHECK_U(s.n, <=, cap);
        CHECK_U(s.cap, <=, cap);
        CHECK_EQU(s.seen, 1000000);
        samples_quantiles(&s, &q);
        CHECK_EQU(q.count, 1000000);
        CHECK_EQ(q.min, 0);        /* exact even though the reservoir dropped them */
        CHECK_EQ(q.max, 999999);
        CHECK(q.mean > 499999.0 && q.mean < 500000.0);
        /* a uniform reservoir of 1000: the median within a few percent */
        CHECK_MSG(q.p50 > 450000 && q.p50 < 550000, "p50 %lld", (long long) q.p50);
        CHECK_MSG(q.p95 > 920000 && q.p95 < 980000, "p95 %lld", (long long) q.p95);
        samples_done(&s);

        /* the reservoir is not biased towards the start: a shift halfway shows in the median */
        samples_init(&s, 500, 99);
        for (int i = 0; i < 100000; i++)
                samples_add(&s, i < 50000 ? 10 : 20);
        samples_quantiles(&s, &q);
        CHECK(q.p50 == 10 || q.p50 == 20 || (q.p50 > 10 && q.p50 < 20));
        uint32_t high = 0;
        for (uint32_t i = 0; i < s.n; i++)
                high += s.v[i] == 20;
        CHECK_MSG(high > 200 && high < 300, "%u of 500 kept samples from the second half", high);
        samples_done(&s);

        /* reproducible: the same seed and input give the same quantiles */
        quantiles_t q1, q2;
        for (int k = 0; k < 2; k++) {
                samples_init(&s, 100, 5);
                for (int i = 0; i < 10000; i++)
                        samples_add(&s, (i * 31) % 977);
                samples_quantiles(&s, k ? &q2 : &q1);
                samples_done(&s);
        }
        CHECK_EQ(q1.p50, q2.p50);
        CHECK_EQ(q1.p95, q2.p95);

        /* max 0 is treated as 1 */
        samples_init(&s, 0, 1);
        samples_add(&s, 3);
        samples_add(&s, 4);
        CHECK_U(s.n, <=, 1);
        samples_quantiles(&s, &q);
        CHECK_EQ(q.min, 3);
        CHECK_EQ(q.max, 4);
        samples_done(&s);
}

int main(void) {
        RUN(test_empty);
        RUN(test_small_exact);
        RUN(test_reservoir_bounded);
        return tu_exit();
}
