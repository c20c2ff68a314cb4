/* Unit tests of lib/engine/txn.c through analysis_feed_packet: exchanges cut at turn-arounds, each one's time
 * split (client wait, network, server, transfer) from a capture at the client and at the server, HTTP and
 * TLS labels, HTTP/1.1 pipelining, an unanswered request, a server greeting, client waits that another
 * connection overlapped, and the bounded list of the slowest. Expected behaviour: ANALYSES.md, "Where the
 * time went". */
#include "engine/engine.h"
#include "test-util.h"

#define CLI "10.0.0.1"
#define SRV "10.0.0.2"
#define MS 1000 /* tu_feed takes microseconds */

static tu_buf_t pk;

typedef struct conn {
        uint16_t cport;
        uint32_t cseq, sseq; /* next sequence numbers */
} conn_t;

static void seg(analysis_t *a, const conn_t *c, int64_t us, int dir, uint32_t seq, uint32_t ack, uint8_t flags,
                const char *data, size_t len) {
        if (dir == 0)
                tu_tcp_frame(&pk, CLI, c->cport, SRV, 80, seq, ack, flags, 65535, NULL, 0, len);
        else
                tu_tcp_frame(&pk, SRV, 80, CLI, c->cport, seq, ack, flags, 65535, NULL, 0, len);
        if (data)
                memcpy(pk.b + pk.n - len, data, strlen(data) < len ? strlen(data) : len);
        tu_feed(a, us, &pk);
}

/* a handshake with the server's half rt_s and the client's rt_c (microseconds), from t */
static void hs(analysis_t *a, conn_t *c, int64_t t, int64_t rt_s, int64_t rt_c) {
        c->cseq = 1000;
        c->sseq = 9000;
        seg(a, c, t, 0, c->cseq++, 0, TCP_SYN, NULL, 0);
        seg(a, c, t + rt_s, 1, c->sseq++, c->cseq, TCP_SYN | TCP_ACK, NULL, 0);
        seg(a, c, t + rt_s + rt_c, 0, c->cseq, c->sseq, TCP_ACK, NULL, 0);
}

static void req(analysis_t *a, conn_t *c, int64_t t, const char *text, size_t len) {
        seg(a, c, t, 0, c->cseq, c->sseq, TCP_ACK | TCP_PSH, text, len);
        c->cseq += (uint32_t) len;
}

/* an answer of n segments of 1000 bytes, 0.1 ms apart */
static void resp(analysis_t *a, conn_t *c, int64_t t, const char *first, int n) {
        for (int i = 0; i < n; i++) {
                seg(a, c, t + i * 100, 1, c->sseq, c->cseq, TCP_ACK, i == 0 ? first : NULL, 1000);
                c->sseq += 1000;
        }
}

static void ack(analysis_t *a, conn_t *c, int64_t t, int dir) {
        seg(a, c, t, dir, dir ? c->sseq : c->cseq, dir ? c->cseq : c->sseq, TCP_ACK, NULL, 0);
}

static const txn_item_t *item_at(const analysis_t *a, int64_t req_us) {
        for (uint32_t i = 0; i < a->txn.n; i++)
                if (a->txn.items[i].req_ts == req_us * 1000)
                        return &a->txn.items[i];
        return NULL;
}

#define NEAR(v, want_ms) CHECK_MSG(llabs((v) - (int64_t) ((want_ms) * 1e6)) <= 100000, "%s = %.3f ms, want %.3f", #v, \
                                   (double) (v) / 1e6, (double) (want_ms))

/* Captured at the client: a 20 ms path. Request 1 at once, answered after 300 ms of server time; the
 * client waits 500 ms, request 2 answered at once. */
static void test_client_side(void) {
        analysis_t *a = tu_analysis(0);
        conn_t c = { .cport = 40000 };
        hs(a, &c, 0, 20 * MS, 50);
        int64_t t = 20 * MS + 50 + 100;
        req(a, &c, t, "GET /slow HTTP/1.1\r\n\r\n", 100);
        ack(a, &c, t + 20 * MS, 1); /* the server's pure ACK: it has the request */
        resp(a, &c, t + 320 * MS, "HTTP/1.1 200 OK\r\n", 3);
        ack(a, &c, t + 320 * MS + 250, 0);
        int64_t t2 = t + 320 * MS + 200 + 500 * MS;
        req(a, &c, t2, "GET /fast HTTP/1.1\r\n\r\n", 100);
        resp(a, &c, t2 + 20 * MS, "HTTP/1.1 404 Not Found\r\n", 1);
        ack(a, &c, t2 + 20 * MS + 50, 0);
        analysis_finish(a);
        CHECK_EQU(a->txn.total, 2);
        CHECK_EQU(a->txn.answered, 2);
        CHECK_EQU(a->txn.conns_total, 1);
        CHECK_EQU(a->txn.cp[CP_CLIENT], 1);
        const txn_item_t *i1 = item_at(a, t), *i2 = item_at(a, t2);
        CHECK(i1 && i2);
        if (!i1 || !i2)
                goto out;
        NEAR(i1->part[TP_SERVER], 300);
        NEAR(i1->part[TP_NETWORK], 20.05);
        NEAR(i1->part[TP_TRANSFER], 0.2);
        NEAR(i1->part[TP_CLIENT], 0.1); /* from the client's ACK of the SYN/ACK */
        CHECK_EQ(i1->server_method, TXN_SERVER_ACK);
        CHECK_EQ(i1->client_method, TXN_CLIENT_HANDSHAKE);
        CHECK_EQ(i1->proto, TXN_HTTP);
        CHECK_EQ(i1->status, 200);
        CHECK_EQU(i1->resp_bytes, 3000);
        CHECK_EQU(i1->req_bytes, 100);
        CHECK(i1->method_len == 3 && memcmp(i1->method, "GET", 3) == 0);
        CHECK(i1->path_len == 5 && memcmp(i1->path, "/slow", 5) == 0);
        NEAR(i2->part[TP_SERVER], 0);
        NEAR(i2->part[TP_CLIENT], 500 - 0.05);
        CHECK_EQ(i2->client_method, TXN_CLIENT_RESPONSE);
        CHECK_EQ(i2->server_method, TXN_SERVER_RTT);
        CHECK_EQ(i2->status, 404);
        /* the slowest first; where the time went names the client (500 ms) then the server (300 ms) */
        CHECK(a->txn.items[0].req_ts == t2 * 1000);
        CHECK_EQ(a->cost[CAUSE_CLIENT], a->txn.sum[TP_CLIENT]);
        CHECK(a->cost[CAUSE_CLIENT] > a->cost[CAUSE_SERVER]);
        CHECK_EQ(a->txn.sum[TP_TOTAL], i1->part[TP_TOTAL] + i2->part[TP_TOTAL]);
out:
        analysis_free(a);
}

/* The same exchange captured at the server: the server's half is 0, the client's 20 ms. */
static void test_server_side(void) {
        analysis_t *a = tu_analysis(0);
        conn_t c = { .cport = 40001 };
        hs(a, &c, 0, 50, 20 * MS);
        int64_t t = 20 * MS + 50 + 100;
        req(a, &c, t, "POST /x HTTP/1.0\r\n", 200);
        resp(a, &c, t + 300 * MS, "HTTP/1.0 500 Oops\r\n", 2);
        ack(a, &c, t + 300 * MS + 20 * MS, 0);
        analysis_finish(a);
        CHECK_EQU(a->txn.cp[CP_SERVER], 1);
        const txn_item_t *i1 = item_at(a, t);
        CHECK(i1);
        if (i1) {
                NEAR(i1->part[TP_SERVER], 299.95);
                NEAR(i1->part[TP_NETWORK], 20.05);
                CHECK_EQ(i1->status, 500);
                CHECK(i1->method_len == 4 && memcmp(i1->method, "POST", 4) == 0);
        }
        analysis_free(a);
}

/* Three requests back to back, then their answers: three exchanges, two of them pipelined; and a plain
 * exchange on another connection. */
static void test_pipelining_and_tls(void) {
        analysis_t *a = tu_analysis(0);
        conn_t c = { .cport = 40002 };
        hs(a, &c, 0, 10 * MS, 50);
        int64_t t = 11 * MS;
        req(a, &c, t, "GET /a HTTP/1.1\r\n", 50);
        req(a, &c, t + 10, "GET /b HTTP/1.1\r\n", 50);
        req(a, &c, t + 20, "GET /c HTTP/1.1\r\n", 50);
        resp(a, &c, t + 10 * MS, "HTTP/1.1 200 OK\r\n", 2);
        resp(a, &c, t + 310 * MS, "HTTP/1.1 201 Created\r\n", 1);
        resp(a, &c, t + 311 * MS, "HTTP/1.1 202 Accepted\r\n", 1);
        ack(a, &c, t + 320 * MS, 0);

        conn_t s = { .cport = 40003 };
        hs(a, &s, 400 * MS, 10 * MS, 50);
        seg(a, &s, 411 * MS, 0, s.cseq, s.sseq, TCP_ACK | TCP_PSH, NULL, 100);
        s.cseq += 100;
        resp(a, &s, 421 * MS, NULL, 1);
        analysis_finish(a);
        CHECK_EQU(a->txn.total, 4);
        CHECK_EQU(a->txn.pipelined, 2);
        const txn_item_t *b = NULL, *cc = NULL;
        for (uint32_t i = 0; i < a->txn.n; i++) {
                const txn_item_t *it = &a->txn.items[i];
                if (it->path_len == 2 && memcmp(it->path, "/b", 2) == 0)
                        b = it;
                if (it->path_len == 2 && memcmp(it->path, "/c", 2) == 0)
                        cc = it;
        }
        CHECK(b && cc);
        if (b && cc) {
                CHECK_EQ(b->status, 201);
                CHECK_EQ(cc->status, 202);
                NEAR(b->part[TP_SERVER], 300 - 0.01);
                CHECK_EQU(b->resp_bytes, 1000);
        }
        analysis_free(a);
}

static void test_tls_label(void) {
        analysis_t *a = tu_analysis(0);
        conn_t s = { .cport = 40004 };
        hs(a, &s, 0, 10 * MS, 50);
        seg(a, &s, 11 * MS, 0, s.cseq, s.sseq, TCP_ACK | TCP_PSH, "\x16\x03\x01\x00\x40", 100);
        s.cseq += 100;
        resp(a, &s, 450 * MS, "\x16\x03\x03\x00\x40", 1);
        analysis_finish(a);
        CHECK_EQU(a->txn.total, 1);
        if (a->txn.n == 1) {
                CHECK_EQ(a->txn.items[0].proto, TXN_TLS);
                CHECK_EQ(a->txn.items[0].method_len, 0);
                NEAR(a->txn.items[0].part[TP_SERVER], 429);
        }
        analysis_free(a);
}

/* A server that greets first (SMTP) starts no exchange; a request never answered counts, not as answered. */
static void test_greeting_and_unanswered(void) {
        analysis_t *a = tu_analysis(0);
        conn_t c = { .cport = 40005 };
        hs(a, &c, 0, 10 * MS, 50);
        resp(a, &c, 11 * MS, "220 mail ESMTP\r\n", 1);
        ack(a, &c, 11 * MS + 50, 0);
        req(a, &c, 20 * MS, "EHLO x\r\n", 8);
        resp(a, &c, 30 * MS, "250 ok\r\n", 1);
        req(a, &c, 40 * MS, "QUIT\r\n", 6);
        analysis_finish(a);
        CHECK_EQU(a->txn.total, 2);
        CHECK_EQU(a->txn.answered, 1);
        analysis_free(a);
}

/* Client waits on one connection while another downloads are not the client's cost. */
static void test_overlap(void) {
        analysis_t *a = tu_analysis(0);
        conn_t big = { .cport = 40006 }, poll = { .cport = 40007 };
        hs(a, &big, 0, 1 * MS, 50);
        req(a, &big, 2 * MS, "GET /big HTTP/1.1\r\n", 40);
        hs(a, &poll, 3 * MS, 1 * MS, 50);
        req(a, &poll, 5 * MS, "GET /p HTTP/1.1\r\n", 40);
        resp(a, &poll, 6 * MS, "HTTP/1.1 200 OK\r\n", 1);
        /* the download runs from 3 ms to 2 s, one segment every 10 ms; the poller asks every 400 ms */
        for (int64_t t = 3 * MS, k = 0; t < 2000 * MS; t += 10 * MS, k++) {
                seg(a, &big, t, 1, big.sseq, big.cseq, TCP_ACK, k == 0 ? "HTTP/1.1 200 OK\r\n" : NULL, 1000);
                big.sseq += 1000;
                ack(a, &big, t + 50, 0);
                if (k % 40 == 39) {
                        req(a, &poll, t + 1 * MS, "GET /p HTTP/1.1\r\n", 40);
                        resp(a, &poll, t + 2 * MS, "HTTP/1.1 200 OK\r\n", 1);
                }
        }
        analysis_finish(a);
        CHECK(a->txn.sum[TP_CLIENT] > 1500 * NS_PER_MS);
        CHECK_MSG(a->txn.client_overlapped >= a->txn.sum[TP_CLIENT] - 10 * NS_PER_MS, "overlapped %lld of %lld",
                  (long long) a->txn.client_overlapped, (long long) a->txn.sum[TP_CLIENT]);
        CHECK(a->cost[CAUSE_CLIENT] < 10 * NS_PER_MS);
        for (unsigned i = 0; i < a->n_findings; i++)
                CHECK(a->findings[i].cause != CAUSE_CLIENT);
        analysis_free(a);
}

/* Many exchanges: the kept list is bounded, the totals exact. */
static void test_bounded(void) {
        analysis_t *a = tu_analysis(0);
        conn_t c = { .cport = 40008 };
        hs(a, &c, 0, 1 * MS, 50);
        int64_t t = 2 * MS;
        for (int i = 0; i < 5000; i++) {
                req(a, &c, t, "GET / HTTP/1.1\r\n", 20);
                resp(a, &c, t + 1 * MS + (i % 7) * 10, "HTTP/1.1 200 OK\r\n", 1);
                t += 2 * MS;
        }
        analysis_finish(a);
        CHECK_EQU(a->txn.total, 5000);
        CHECK_EQU(a->txn.n, 100);
        for (uint32_t i = 1; i < a->txn.n; i++)
                CHECK(a->txn.items[i - 1].part[TP_TOTAL] >= a->txn.items[i].part[TP_TOTAL]);
        analysis_free(a);
}

int main(void) {
        RUN(test_client_side);
        RUN(test_server_side);
        RUN(test_pipelining_and_tls);
        RUN(test_tls_label);
        RUN(test_greeting_and_unanswered);
        RUN(test_overlap);
        RUN(test_bounded);
        tu_free(&pk);
        return tu_exit();
}
