/* Unit tests of lib/engine/frag.c: complete, incomplete and out-of-order fragmented datagrams, duplicates,
 * IPv6 fragments, and the bounded table when it overflows. */
#include "engine/engine.h"
#include "test-util.h"

static tu_buf_t pk;

/* fragment of a UDP datagram of `total` payload bytes (UDP header included), at byte offset off */
static void frag4(analysis_t *a, int64_t us, uint16_t id, uint32_t off, uint32_t len, bool mf, uint32_t total) {
        tu_reset(&pk);
        tu_eth(&pk, 0x0800);
        size_t ip = tu_ipv4(&pk, "10.0.0.1", "10.0.0.2", 17, NULL, 0);
        if (off == 0) {
                tu_be16(&pk, 7000);
                tu_be16(&pk, 7001);
                tu_be16(&pk, (uint16_t) total);
                tu_be16(&pk, 0);
                tu_pattern(&pk, len - 8);
        } else
                tu_pattern(&pk, len);
        tu_ipv4_end(&pk, ip);
        tu_ipv4_frag(&pk, ip, id, off, mf);
        tu_set_be16(&pk, ip + 10, 0);
        tu_feed(a, us, &pk);
}

static void frag6(analysis_t *a, int64_t us, uint32_t id, uint32_t off, uint32_t len, bool mf) {
        tu_reset(&pk);
        tu_eth(&pk, 0x86dd);
        size_t ip = tu_ipv6(&pk, "2001:db8::1", "2001:db8::2", 44);
        tu_u8(&pk, 17);
        tu_u8(&pk, 0);
        tu_be16(&pk, (uint16_t) (off | (mf ? 1 : 0)));
        tu_be32(&pk, id);
        tu_pattern(&pk, len);
        tu_ipv6_end(&pk, ip);
        tu_feed(a, us, &pk);
}

static void test_complete(void) {
        analysis_t *a = tu_analysis(0);
        frag4(a, 0, 1, 0, 1480, true, 3008);
        frag4(a, 10, 1, 1480, 1480, true, 0);
        frag4(a, 20, 1, 2960, 48, false, 0);
        CHECK_EQU(a->frag.fragments, 3);
        CHECK_EQU(a->frag.v4_fragments, 3);
        CHECK_EQU(a->frag.datagrams, 1);
        CHECK_EQU(a->frag.completed, 1);
        analysis_finish(a);
        CHECK_EQU(a->frag.incomplete, 0);
        CHECK_EQ(a->n_findings, 0);
        char *j = tu_report(a);
        CHECK(tu_json_num(j, "ip.fragments") == 3.0);
        free(j);
        analysis_free(a);
}

static void test_out_of_order(void) {
        analysis_t *a = tu_analysis(0);
        frag4(a, 0, 2, 2960, 48, false, 0);
        frag4(a, 10, 2, 1480, 1480, true, 0);
        CHECK_EQU(a->frag.completed, 0);
        frag4(a, 20, 2, 0, 1480, true, 3008);
        CHECK_EQU(a->frag.completed, 1);
        CHECK_EQU(a->frag.datagrams, 1);
        /* two datagrams interleaved, same addresses, different ids */
        frag4(a, 30, 3, 0, 1480, true, 1508);
        frag4(a, 31, 4, 0, 1480, true, 1508);
        frag4(a, 32, 4, 1480, 28, false, 0);
        frag4(a, 33, 3, 1480, 28, false, 0);
        CHECK_EQU(a->frag.completed, 3);
        analysis_finish(a);
        CHECK_EQU(a->frag.incomplete, 0);
        analysis_free(a);

        /* 20 fragments in reverse order (as Linux used to send them), then 20 with the even ones first and
         * the odd ones after (per-packet load balancing over two paths): both complete */
        a = tu_analysis(0);
        for (int k = 19; k >= 0; k--)
                frag4(a, 100 + (19 - k), 9, (uint32_t) k * 80, k ? 80 : 80, k < 19, 1600);
        CHECK_EQU(a->frag.completed, 1);
        for (int pass = 0; pass < 2; pass++)
                for (int k = pass; k < 20; k += 2)
                        frag4(a, 200 + k, 10, (uint32_t) k * 80, 80, k < 19, 1600);
        CHECK_MSG(a->frag.completed == 2, "fragments arriving evens-then-odds: completed %llu of 2",
                  (unsigned long long) a->frag.completed);
        analysis_finish(a);
        CHECK_EQU(a->frag.incomplete, 0);
        analysis_free(a);
}

static void test_incomplete(void) {
        analysis_t *a = tu_analysis(0);
        frag4(a, 0, 5, 0, 1480, true, 3008);
        frag4(a, 10, 5, 2960, 48, false, 0); /* the middle one never comes */
        CHECK_EQU(a->frag.completed, 0);
        analysis_finish(a);
        CHECK_EQU(a->frag.incomplete, 1);
        bool found = false;
        for (unsigned i = 0; i < a->n_findings; i++)
                if (strcmp(a->findings[i].id, "ip-frag-incomplete") == 0) {
                        found = true;
                        CHECK(a->findings[i].filter[0] && a->findings[i].penalty > 0);
                }
        CHECK(found);
        analysis_free(a);

        /* a duplicated first fragment must not make up for the missing middle one */
        a = tu_analysis(0);
        frag4(a, 0, 6, 0, 1480, true, 3008);
        frag4(a, 5, 6, 0, 1480, true, 3008);
        frag4(a, 10, 6, 2960, 48, false, 0);
        CHECK_MSG(a->frag.completed == 0, "a datagram with a missing fragment counted as completed (duplicate bytes "
                                          "counted towards its length)");
        analysis_finish(a);
        CHECK_EQU(a->frag.incomplete, 1);
        analysis_free(a);
}

static void test_duplicated_capture(void) {
        /* every packet seen twice (a capture on "any" that sees a bridge and its port): each datagram is
         * complete; the copies are not further, incomplete datagrams. They are capture duplicates (same IPv4
         * identification and bytes, 1 ns apart): counted apart, not as fragments (issue 11, part 6; the
         * fragments figure was 20 before, the copies included), and said in one finding. */
        analysis_t *a = tu_analysis(0);
        for (uint16_t id = 1; id <= 5; id++) {
                int64_t t = id * 1000;
                frag4(a, t, id, 0, 1480, true, 1508);
                frag4(a, t + 1, id, 0, 1480, true, 1508);
                frag4(a, t + 10, id, 1480, 28, false, 0);
                frag4(a, t + 11, id, 1480, 28, false, 0);
        }
        analysis_finish(a);
        CHECK_EQU(a->frag.fragments, 10);
        CHECK_EQU(a->dup.count, 10);
        CHECK_EQU(a->frag.completed, 5);
        CHECK_MSG(a->frag.incomplete == 0, "%llu incomplete datagrams from duplicated fragments of complete ones",
                  (unsigned long long) a->frag.incomplete);
        for (unsigned i = 0; i < a->n_findings; i++)
                if (strcmp(a->findings[i].id, "capture-duplicates") != 0)
                        TU_FAIL("duplicated capture: unexpected finding %s: %s", a->findings[i].id, a->findings[i].title);
        CHECK_EQU(a->n_findings, 1);
        analysis_free(a);
}

static void test_ipv6(void) {
        analysis_t *a = tu_analysis(0);
        frag6(a, 0, 0xabcdef01, 0, 1232, true);
        frag6(a, 10, 0xabcdef01, 1232, 100, false);
        CHECK_EQU(a->frag.v6_fragments, 2);
        CHECK_EQU(a->frag.completed, 1);
        frag6(a, 20, 7, 1232, 100, false);
        analysis_finish(a);
        CHECK_EQU(a->frag.incomplete, 1);
        CHECK_EQU(a->frag.datagrams, 2);
        analysis_free(a);
}

static void test_overflow(void) {
        analysis_limits_t lim;
        analysis_limits_default(&lim);
        lim.max_frag_pending = 4;
        analysis_t *a = NULL;
        CHECK_EQ(analysis_new(&lim, &a), 0);
        for (uint16_t id = 100; id < 110; id++)
                frag4(a, id, id, 0, 1480, true, 3008);
        CHECK_EQU(a->frag.datagrams, 10);
        CHECK_U(a->frag.t.n, <=, 4);
        CHECK_EQU(a->frag.overflow, 6);
        /* the table still works after overflowing: a complete datagram completes */
        frag4(a, 200, 500, 0, 1480, true, 1508);
        frag4(a, 201, 500, 1480, 28, false, 0);
        CHECK_EQU(a->frag.completed, 1);
        analysis_finish(a);
        CHECK_EQU(a->frag.incomplete, 10);
        CHECK_EQU(a->frag.t.n, 0);
        analysis_free(a);
}

int main(void) {
        RUN(test_complete);
        RUN(test_out_of_order);
        RUN(test_incomplete);
        RUN(test_duplicated_capture);
        RUN(test_ipv6);
        RUN(test_overflow);
        tu_free(&pk);
        return tu_exit();
}
