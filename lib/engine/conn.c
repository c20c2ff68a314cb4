/* The connections table: each TCP connection's state at its end, counted over all of them when its flow
 * retires, and a bounded table of the worst ones (definitions: ANALYSES.md, "Connections"). */
#include <string.h>

#include "engine.h"

const char *conn_state_name(conn_state_t s) {
        static const char *const n[_CONN_STATE_MAX] = {
                [CONN_ESTABLISHED] = "established", [CONN_IDLE] = "idle", [CONN_HALF_OPEN] = "half_open",
                [CONN_HALF_CLOSED] = "half_closed",
                [CONN_FIN] = "fin", [CONN_RESET] = "reset", [CONN_REFUSED] = "refused",
                [CONN_SYN_UNANSWERED] = "syn_unanswered", [CONN_MIDSTREAM] = "midstream",
        };
        return s < _CONN_STATE_MAX ? n[s] : "unknown";
}

conn_state_t conn_classify(const flow_t *f, int64_t end, int64_t idle) {
        const tcp_conn_t *c = f->tcp;
        const tcp_dir_t *cl = &c->d[0], *sv = &c->d[1];
        if (c->refused)
                return CONN_REFUSED;
        if (cl->rst || sv->rst)
                return CONN_RESET;
        if (cl->fin && sv->fin)
                return CONN_FIN;
        if (cl->syn && !sv->seen)
                return CONN_SYN_UNANSWERED;
        if (cl->fin || sv->fin)
                return CONN_HALF_CLOSED;
        if ((cl->syn || sv->syn) && c->hs != HS_DONE && !cl->payload_bytes && !sv->payload_bytes)
                return CONN_HALF_OPEN; /* SYN/ACK never acknowledged, and no data that would prove it was */
        if (!cl->syn && !sv->syn)
                return CONN_MIDSTREAM;
        return end - f->last_ts >= idle ? CONN_IDLE : CONN_ESTABLISHED;
}

/* The worst first: the higher score, then more bytes, then the older connection (its id is unique). */
static int row_cmp(const void *x, const void *y) {
        const conn_row_t *a = x, *b = y;
        if (a->score != b->score)
                return a->score > b->score ? -1 : 1;
        uint64_t ba = a->bytes[0] + a->bytes[1], bb = b->bytes[0] + b->bytes[1];
        if (ba != bb)
                return ba > bb ? -1 : 1;
        return (a->id > b->id) - (a->id < b->id);
}

void conn_table_init(conn_table_t *t, uint32_t rows) {
        memset(t, 0, sizeof *t);
        topn_init(&t->rows, sizeof(conn_row_t), rows, row_cmp);
}

void conn_retire(analysis_t *a, const flow_t *f, const flow_summary_t *s) {
        const tcp_conn_t *c = f->tcp;
        conn_table_t *t = &a->conns;
        /* a flow the table retires early has been silent 300 s (flow.c), at least conn_idle_ms's maximum:
         * judged now it is idle, as it would be at the end */
        int64_t end = c->replaced ? c->replaced_ts : a->last_ts;
        conn_state_t st = conn_classify(f, end, threshold_ns(a, TH_CONN_IDLE));
        t->total++;
        t->states[st]++;
        /* what the worst-flow score says, plus a connection that ended badly */
        double score = s->score + (st == CONN_RESET                                 ? 20.0
                                   : st == CONN_HALF_OPEN || st == CONN_HALF_CLOSED ? 10.0
                                                                                    : 0.0);
        /* what ranks it first: the rest only for a row the table wants */
        conn_row_t r = { .id = f->id, .score = score, .bytes = { c->d[0].bytes, c->d[1].bytes } };
        if (!topn_wants(&t->rows, &r))
                return;
        r = (conn_row_t) {
                .key = s->key, .id = f->id, .first_frame = f->first_frame, .last_frame = f->last_frame,
                .first_ts = f->first_ts, .last_ts = f->last_ts, .end_ts = c->replaced ? c->replaced_ts : 0,
                .replaced = c->replaced, .handshake = c->d[0].syn || c->d[1].syn, .state = (uint8_t) st,
                .rtt_min = -1, .rtt_p50 = -1, .rtt_max = -1, .retrans = s->retrans, .hs_time = s->hs_time,
                .score = score,
        };
        for (int d = 0; d < 2; d++) {
                r.packets[d] = c->d[d].packets;
                r.bytes[d] = c->d[d].bytes;
                r.payload[d] = c->d[d].payload_bytes;
                r.jitter[d] = s->jitter[d];
        }
        const rtt_digest_t *g = &c->rtt.all;
        if (g->n) {
                r.rtt_min = g->min;
                r.rtt_max = g->max;
                r.rtt_p50 = rtt_digest_median(g);
                r.rtt_n = g->n;
        }
        topn_offer(&t->rows, &r); /* without memory the table lists fewer rows; the counts stay exact */
}

void conn_table_finish(conn_table_t *t) {
        topn_sort(&t->rows);
}

void conn_table_done(conn_table_t *t) {
        topn_done(&t->rows);
}
