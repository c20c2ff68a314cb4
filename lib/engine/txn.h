/* Transactions: each TCP connection's data cut into request/response exchanges, and where each
 * exchange's time went (the client's wait, sending the request, the path's round trip, the server's
 * think time, the transfer of the response and its loss recovery). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* needs flow_key_t: included by engine.h after it */

typedef enum txn_part {
        TP_CLIENT,
        TP_REQUEST,
        TP_NETWORK,
        TP_SERVER,
        TP_TRANSFER,
        TP_LOSS,                 /* the part of TP_TRANSFER spent in loss recovery (not added to the total again) */
        TP_TOTAL,
        _TP_MAX,
} txn_part_t;

enum { TXN_TCP, TXN_HTTP, TXN_TLS };
enum { TXN_SERVER_NONE, TXN_SERVER_ACK, TXN_SERVER_RTT };
enum { TXN_CLIENT_NONE, TXN_CLIENT_HANDSHAKE, TXN_CLIENT_RESPONSE };

#define TXN_PIPE 4
#define TXN_PATH 48
#define TXN_KEEP_CONNS 50

typedef struct txn_req {
        int64_t first, last;     /* first and last request byte here */
        int64_t ack_ts;          /* the server's pure ACK of the whole request, 0 none */
        int64_t client;          /* the client's wait before it */
        uint64_t bytes;
        uint64_t frame;          /* the frame number of its first packet */
        uint32_t end;            /* the client's sequence number after the request */
        uint8_t proto, client_method, method_len, path_len;
        char method[8];
        char path[TXN_PATH];
} txn_req_t;

/* Per connection, allocated with its first data. */
typedef struct txn_conn {
        txn_req_t q[TXN_PIPE];   /* requests not answered yet, oldest first (HTTP/1.1 pipelining) */
        uint8_t n_q;
        bool in_resp;            /* the server sends the answer to q[0] */
        bool resp_tls;
        uint16_t status;
        int64_t resp_first, resp_last;
        uint64_t resp_frame;     /* the frame number of the answer's first packet here */
        int64_t resp_loss;       /* loss recovery in the server's runs while answering */
        int64_t resp_queue;      /* the answer's one-way delay above the handshake's (queueing), 0 unknown */
        uint64_t resp_bytes;
        int64_t prev_end;        /* the last byte of the previous answer here, 0 none */
        uint32_t n;              /* exchanges ended */
        int64_t sum[_TP_MAX];
} txn_conn_t;

typedef struct txn_item {
        flow_key_t key;          /* client a -> server b */
        int64_t req_ts;
        uint64_t req_frame, resp_frame; /* frame numbers of the request's and the answer's first packets, 0 none */
        uint64_t req_bytes, resp_bytes;
        int64_t part[_TP_MAX];
        uint16_t status;
        uint8_t proto, server_method, client_method, method_len, path_len;
        bool answered;
        char method[8];
        char path[TXN_PATH];
} txn_item_t;

typedef struct txn_conn_sum {
        flow_key_t key;          /* client a -> server b */
        uint8_t capture_point;
        uint32_t n;
        int64_t part[_TP_MAX];
        int64_t rtt[2];          /* client's and server's half, -1 unknown */
} txn_conn_sum_t;

/* A client wait kept for the end, when it is checked against what other connections did meanwhile. */
typedef struct txn_wait {
        int64_t from, to, len;
} txn_wait_t;

typedef struct txn_span {
        int64_t from, to;
} txn_span_t;

#define TXN_WAITS_MAX 4096
#define TXN_SPANS_MAX 8192

typedef struct txn_state {
        uint64_t total, answered, pipelined, conns_total;
        int64_t sum[_TP_MAX];
        int64_t client_overlapped;
        samples_t server, total_s;
        txn_item_t *items;       /* the slowest exchanges: a min-heap by total while reading, sorted at finish */
        uint32_t n, cap;
        txn_conn_sum_t *conns;   /* the connections with the most time: min-heap likewise */
        uint32_t n_conns, cap_conns;
        txn_wait_t *waits;       /* the longest client waits (min-heap by length) */
        uint32_t n_waits;
        txn_span_t *spans;       /* busy time of every exchange, disjoint and sorted, coarsened when full */
        uint32_t n_spans;
        uint64_t cp[_CP_MAX];    /* connections by capture point */
        samples_t cp_client_half, cp_server_half; /* the halves' bases of connections with a handshake */
} txn_state_t;

struct analysis;
struct flow;
struct packet;
int txn_init(txn_state_t *t, uint64_t seed);
void txn_done(txn_state_t *t);
/* New data from side dir (new_bytes never seen before); retransmissions only move the times. lost_since: the
 * segment replaces bytes lost before the capture point, missing since then (0 otherwise); spurious: the
 * receiver had acknowledged it (it moves no time). */
void txn_data(struct analysis *a, struct flow *f, int dir, const struct packet *p, uint32_t new_bytes,
              int64_t lost_since, bool spurious);
/* A segment without data from side dir. */
void txn_ack(struct analysis *a, struct flow *f, int dir, const struct packet *p);
/* Side dir's run of data ended with this much loss recovery in it. */
void txn_run_loss(struct flow *f, int dir, int64_t loss);
/* The connection ends: open exchanges end, its sums are offered to the per-connection list. */
void txn_flow_end(struct analysis *a, struct flow *f);
/* Sorts the kept lists, charges client waits that other connections overlapped. */
void txn_finish(struct analysis *a);
const char *txn_proto_name(uint8_t p);
