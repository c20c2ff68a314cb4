/* Unit tests of lib/engine/conn.c: the end states and which wins when several apply, the idle threshold (its
 * default, a value set through the thresholds, its boundary), exact totals with a table smaller than the
 * connections, the ranking (score, bytes, age), and a connection replaced by port reuse judged at the new SYN. */
#include <math.h>

#include "engine/engine.h"
#include "test-util.h"

#define MS 1000000LL

/* A flow with a connection, for conn_classify(): nothing seen yet, last packet at 100 s. */
typedef struct fixture {
        flow_t f;
        tcp_conn_t c;
} fixture_t;

static void fx_init(fixture_t *x) {
        memset(x, 0, sizeof *x);
        x->f.tcp = &x->c;
        x->f.last_ts = 100 * NS_PER_S;
}

static void test_classify(void) {
        fixture_t x;
        const int64_t idle = 10 * NS_PER_S, end = 100 * NS_PER_S;
        /* a complete handshake, data both ways, nothing else: open */
        fx_init(&x);
        x.c.d[0].syn = x.c.d[1].syn = x.c.d[0].seen = x.c.d[1].seen = true;
        x.c.hs = HS_DONE;
        x.c.d[0].payload_bytes = 100;
        CHECK_EQ(conn_classify(&x.f, end, idle), CONN_ESTABLISHED);
        /* the idle boundary: silent exactly the threshold is idle, a nanosecond less is not */
        CHECK_EQ(conn_classify(&x.f, end + idle, idle), CONN_IDLE);
        CHECK_EQ(conn_classify(&x.f, end + idle - 1, idle), CONN_ESTABLISHED);
        /* a FIN one way, then each way */
        x.c.d[1].fin = true;
        CHECK_EQ(conn_classify(&x.f, end + idle, idle), CONN_HALF_CLOSED);
        x.c.d[0].fin = true;
        CHECK_EQ(conn_classify(&x.f, end, idle), CONN_FIN);
        /* a RST wins over FINs */
        x.c.d[0].rst = true;
        CHECK_EQ(conn_classify(&x.f, end, idle), CONN_RESET);
        /* a refusal wins over all */
        x.c.refused = true;
        CHECK_EQ(conn_classify(&x.f, end, idle), CONN_REFUSED);

        /* SYNs and nothing from the server; a FIN from the client changes nothing */
        fx_init(&x);
        x.c.d[0].syn = x.c.d[0].seen = true;
        x.c.hs = HS_SYN;
        CHECK_EQ(conn_classify(&x.f, end, idle), CONN_SYN_UNANSWERED);
        x.c.d[0].fin = true;
        CHECK_EQ(conn_classify(&x.f, end, idle), CONN_SYN_UNANSWERED);
        /* ...but a RST from the client is a reset */
        x.c.d[0].rst = true;
        CHECK_EQ(conn_classify(&x.f, end, idle), CONN_RESET);

        /* SYN, SYN/ACK, no ACK: half-open, whether idle or not; once data flowed it is open */
        fx_init(&x);
        x.c.d[0].syn = x.c.d[1].syn = x.c.d[0].seen = x.c.d[1].seen = true;
        x.c.hs = HS_SYNACK;
        CHECK_EQ(conn_classify(&x.f, end, idle), CONN_HALF_OPEN);
        CHECK_EQ(conn_classify(&x.f, end + 2 * idle, idle), CONN_HALF_OPEN);
        x.c.d[1].payload_bytes = 1;
        CHECK_EQ(conn_classify(&x.f, end, idle), CONN_ESTABLISHED);
        /* a lone SYN/ACK (the capture began after the SYN) is a handshake begun */
        fx_init(&x);
        x.c.d[1].syn = x.c.d[1].seen = true;
        x.c.hs = HS_SYNACK;
        CHECK_EQ(conn_classify(&x.f, end, idle), CONN_HALF_OPEN);

        /* seen without its handshake: midstream while open, whether idle or not; its end state otherwise */
        fx_init(&x);
        x.c.d[0].seen = x.c.d[1].seen = true;
        x.c.d[0].payload_bytes = 10;
        CHECK_EQ(conn_classify(&x.f, end, idle), CONN_MIDSTREAM);
        CHECK_EQ(conn_classify(&x.f, end + 2 * idle, idle), CONN_MIDSTREAM);
        x.c.d[0].fin = true;
        CHECK_EQ(conn_classify(&x.f, end, idle), CONN_HALF_CLOSED);
        x.c.d[1].rst = true;
        CHECK_EQ(conn_classify(&x.f, end, idle), CONN_RESET);

        for (int s = 0; s < _CONN_STATE_MAX; s++)
                CHECK(strcmp(conn_state_name((conn_state_t) s), "unknown") != 0);
        CHECK_STR(conn_state_name(_CONN_STATE_MAX), "unknown");
}

static tu_buf_t pk;

static void tcp(analysis_t *a, int64_t us, const char *src, uint16_t sp, const char *dst, uint16_t dp, uint32_t seq,
                uint32_t ack, uint8_t flags, size_t len) {
        tu_tcp_frame(&pk, src, sp, dst, dp, seq, ack, flags, 1000, NULL, 0, len);
        tu_feed(a, us, &pk);
}

/* a connection on client port sp at t us: handshake, a request of len bytes, its ACK; fin: closed both ways */
static void conn(analysis_t *a, int64_t t, uint16_t sp, size_t len, bool fin) {
        tcp(a, t, "10.0.0.1", sp, "10.0.0.2", 80, 1000, 0, TCP_SYN, 0);
        tcp(a, t + 1000, "10.0.0.2", 80, "10.0.0.1", sp, 5000, 1001, TCP_SYN | TCP_ACK, 0);
        tcp(a, t + 2000, "10.0.0.1", sp, "10.0.0.2", 80, 1001, 5001, TCP_ACK, 0);
        tcp(a, t + 3000, "10.0.0.1", sp, "10.0.0.2", 80, 1001, 5001, TCP_ACK | TCP_PSH, len);
        tcp(a, t + 4000, "10.0.0.2", 80, "10.0.0.1", sp, 5001, 1001 + (uint32_t) len, TCP_ACK, 0);
        if (fin) {
                tcp(a, t + 5000, "10.0.0.1", sp, "10.0.0.2", 80, 1001 + (uint32_t) len, 5001, TCP_ACK | TCP_FIN, 0);
                tcp(a, t + 6000, "10.0.0.2", 80, "10.0.0.1", sp, 5001, 1002 + (uint32_t) len, TCP_ACK | TCP_FIN, 0);
                tcp(a, t + 7000, "10.0.0.1", sp, "10.0.0.2", 80, 1002 + (uint32_t) len, 5002, TCP_ACK, 0);
        }
}

static const conn_row_t *row(const analysis_t *a, uint32_t i) {
        return i < a->conns.rows.n ? topn_at(&a->conns.rows, i) : NULL;
}

static void test_idle_threshold(void) {
        /* an open connection silent 5 s at the end: established by the default (10 s), idle at 4 s */
        for (int k = 0; k < 2; k++) {
                analysis_t *a = tu_analysis(0);
                if (k) {
                        thresholds_t th;
                        thresholds_default(&th);
                        CHECK(thresholds_set(&th, "conn_idle_ms", "4000", TS_OPTION, "test") == 0);
                        CHECK(analysis_set_thresholds(a, &th) == 0);
                }
                conn(a, 0, 40000, 100, false);
                conn(a, 5000000, 40001, 100, true); /* the capture ends 5.007 s after the first one's last packet */
                analysis_finish(a);
                CHECK_EQU(a->conns.total, 2);
                CHECK_EQU(a->conns.states[CONN_FIN], 1);
                CHECK_EQU(a->conns.states[k ? CONN_IDLE : CONN_ESTABLISHED], 1);
                char *j = tu_report(a);
                CHECK(tu_json_num(j, "connections.idle_threshold_ms") == (k ? 4000.0 : 10000.0));
                CHECK(tu_json_num(j, k ? "connections.states.idle" : "connections.states.established") == 1.0);
                free(j);
                analysis_free(a);
        }
}

static void test_bounded_exact(void) {
        /* 50 connections through a table of 3 rows (max_events 3): every one counted, the 3 largest kept,
         * equal ones by age */
        analysis_limits_t lim;
        analysis_limits_default(&lim);
        lim.max_events = 3;
        analysis_t *a = NULL;
        CHECK(analysis_new(&lim, &a) == 0);
        for (uint16_t i = 0; i < 50; i++)
                conn(a, (int64_t) i * 10000, (uint16_t) (30000 + i), i == 7 ? 900 : i == 30 ? 500 : 100, i % 2 == 0);
        analysis_finish(a);
        CHECK_EQU(a->conns.total, 50);
        CHECK_EQU(a->conns.states[CONN_FIN], 25);
        CHECK_EQU(a->conns.states[CONN_ESTABLISHED], 25);
        CHECK_EQU(a->conns.rows.n, 3);
        CHECK(row(a, 0) && row(a, 0)->key.pa == 30007);
        CHECK(row(a, 1) && row(a, 1)->key.pa == 30030);
        /* the rest weigh the same: the bytes of a closed connection are more (its FINs), then the oldest */
        CHECK(row(a, 2) && row(a, 2)->key.pa == 30000);
        char *j = tu_report(a);
        CHECK(tu_json_num(j, "connections.total") == 50.0);
        CHECK(tu_json_num(j, "connections.kept") == 3.0);
        free(j);
        analysis_free(a);
}

static void test_score_and_reuse(void) {
        analysis_t *a = tu_analysis(0);
        /* a reset after data outranks a clean connection with more bytes */
        conn(a, 0, 40000, 5000, true);
        conn(a, 100000, 40001, 10, false);
        tcp(a, 110000, "10.0.0.2", 80, "10.0.0.1", 40001, 5001, 1011, TCP_RST | TCP_ACK, 0);
        /* an open connection replaced 3 s after its last packet by a new SYN on its 5-tuple: judged then */
        conn(a, 200000, 40002, 10, false);
        tcp(a, 3204000, "10.0.0.1", 40002, "10.0.0.2", 80, 777777, 0, TCP_SYN, 0);
        analysis_finish(a);
        CHECK_EQU(a->conns.total, 4);
        CHECK_EQU(a->conns.states[CONN_RESET], 1);
        CHECK_EQU(a->conns.states[CONN_FIN], 1);
        CHECK_EQU(a->conns.states[CONN_ESTABLISHED], 1);
        CHECK_EQU(a->conns.states[CONN_SYN_UNANSWERED], 1);
        const conn_row_t *r0 = row(a, 0);
        CHECK(r0 && r0->key.pa == 40002 && r0->state == CONN_SYN_UNANSWERED); /* 30: an unanswered SYN */
        const conn_row_t *r1 = row(a, 1);
        /* 20 for the reset, 0.2 for its 2 ms handshake (1 per 10 ms, as a worst flow's) */
        CHECK(r1 && r1->key.pa == 40001 && r1->state == CONN_RESET && fabs(r1->score - 20.2) < 1e-9);
        for (uint32_t i = 0; i < a->conns.rows.n; i++) {
                const conn_row_t *r = row(a, i);
                if (r->key.pa == 40002 && r->state == CONN_ESTABLISHED) {
                        CHECK(r->replaced);
                        CHECK_EQ(r->end_ts - r->last_ts, 3000 * MS);
                }
        }
        analysis_free(a);
}

int main(void) {
        RUN(test_classify);
        RUN(test_idle_threshold);
        RUN(test_bounded_exact);
        RUN(test_score_and_reuse);
        return tu_exit();
}
