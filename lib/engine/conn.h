/* The connections table (conn.c): every TCP connection's state at its end, counted exactly over all of them,
 * and the worst ones kept as rows (RTT, throughput, retransmissions, jitter, duration, idle time).
 * Definitions in lib/engine/ANALYSES.md, "Connections". Included by engine.h (needs flow.h and diagnosis.h). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "util/topn.h"

/* The end states, in the order the report lists them; when several apply the first in conn_classify()'s
 * order wins (ANALYSES.md). */
typedef enum conn_state {
        CONN_ESTABLISHED,        /* open, and heard from within conn_idle_ms of its end */
        CONN_IDLE,               /* open, silent for at least conn_idle_ms at its end */
        CONN_HALF_OPEN,          /* a handshake begun and never finished: no ACK of the SYN/ACK, no data */
        CONN_HALF_CLOSED,        /* a FIN one way only */
        CONN_FIN,                /* closed by a FIN each way */
        CONN_RESET,              /* a RST (not a refusal) */
        CONN_REFUSED,            /* the server answered the SYN with a RST */
        CONN_SYN_UNANSWERED,     /* SYNs, and nothing at all from the server */
        CONN_MIDSTREAM,          /* open, and seen without its handshake (no SYN, no SYN/ACK) */
        _CONN_STATE_MAX,
} conn_state_t;

#define CONN_ROWS 100            /* the rows kept (or limits.max_events when lower) */

typedef struct conn_row {
        flow_key_t key;          /* a = the client */
        uint64_t id;             /* creation order: ties are broken by it */
        uint64_t first_frame, last_frame;
        int64_t first_ts, last_ts;
        int64_t end_ts;          /* the end it is judged at: the capture's last timestamp, or when a new
                                  * connection took its 5-tuple (replaced) */
        bool replaced;
        bool handshake;          /* its SYN or SYN/ACK was seen */
        uint8_t state;           /* conn_state_t */
        uint64_t packets[2], bytes[2], payload[2]; /* [0] client -> server, [1] server -> client */
        int64_t rtt_min, rtt_p50, rtt_max; /* ns, -1 without a sample */
        uint32_t rtt_n;
        uint32_t retrans;
        int64_t jitter[2];       /* ns, -1 with fewer than 8 packets that way */
        int64_t hs_time;         /* SYN -> ACK of the SYN/ACK, -1 none */
        double score;
} conn_row_t;

typedef struct conn_table {
        uint64_t total;
        uint64_t states[_CONN_STATE_MAX];
        topn_t rows;             /* conn_row_t, the worst first once conn_table_finish() ran */
} conn_table_t;

struct analysis;
struct flow;
struct flow_summary;
const char *conn_state_name(conn_state_t s);
/* The state of a TCP flow (f->tcp set) judged at end: idle when silent for at least idle ns by then. */
conn_state_t conn_classify(const struct flow *f, int64_t end, int64_t idle);
/* A TCP flow retires (flow.c, before its connection is freed): counted, and offered as a row with the score
 * of its worst-flow summary. */
void conn_retire(struct analysis *a, const struct flow *f, const struct flow_summary *s);
void conn_table_init(conn_table_t *t, uint32_t rows);
/* Ranks the rows, the worst first (once, when the analysis finishes). */
void conn_table_finish(conn_table_t *t);
void conn_table_done(conn_table_t *t);
