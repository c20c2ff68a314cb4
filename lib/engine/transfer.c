/* What limited each bulk run of data (lib/engine/ANALYSES.md, "Transfers"). Each interval between two
 * data segments of a run is charged to one state, judged at its start: loss recovery; the receiver's
 * window (the last segment reached the advertised right edge, as the sender knew it); the sender idle
 * with nothing in flight and windows open (the application); a queue building on the path (the RTT
 * well above its base: the bandwidth); else nothing (slow start, the round trip). */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

static const char *const limit_names[_XL_MAX] = {
        [XL_RWND] = "receiver-window", [XL_LOSS] = "network-loss", [XL_BANDWIDTH] = "network-bandwidth",
        [XL_APP] = "sender-application", [XL_NONE] = "none",
};

const char *xfer_limit_name(xfer_limit_t l) {
        return l < _XL_MAX ? limit_names[l] : "none";
}

const char *xfer_limit_word(const int64_t t[_XL_MAX], int64_t rtt_base) {
        int64_t all = 0;
        int best = -1;
        for (int i = 0; i < _XL_MAX; i++)
                all = sat_add(all, t[i]);
        for (int i = 0; i < XL_NONE; i++)
                if (t[i] > 0 && (best < 0 || t[i] > t[best]))
                        best = i;
        /* a limit names the run when it held it back longer than slow start and round trips did, or for
         * at least a quarter of its time */
        if (best >= 0 && (t[best] >= t[XL_NONE] || t[best] >= all / 4))
                return limit_names[best];
        return rtt_base >= 20 * NS_PER_MS ? "network-latency" : "none";
}

/* Time for the sender to learn of an ACK and its answer to reach the capture point: the sender's half. */
static int64_t sender_clock(const tcp_conn_t *c, int dir) {
        int64_t b = rtt_half_base(&c->rtt.h[dir]);
        return b > 0 ? b : 0;
}

static int64_t queue_now(const tcp_conn_t *c) {
        return rtt_half_queue(&c->rtt.h[0]) + rtt_half_queue(&c->rtt.h[1]);
}

/* The receiver's right window edge that the sender of a segment arriving at ts knew of: the latest one
 * advertised at least the sender's half of the round trip earlier. */
static bool edge_known_at(const xfer_dir_t *x, int64_t ts, uint32_t *ret) {
        bool have = false;
        for (uint8_t k = 0; k < x->n_edges; k++) {
                uint8_t i = (uint8_t) ((x->i_edge + XFER_EDGES - 1 - k) % XFER_EDGES);
                if (x->edge_ts[i] <= ts) {
                        *ret = x->edge[i];
                        have = true;
                        break;
                }
        }
        return have;
}

static void trace_point(analysis_t *a, tcp_conn_t *c, int dir, int64_t ts, uint32_t end) {
        xfer_trace_t *t = c->tm->trace[dir];
        if (!t)
                return;
        if (t->skip + 1 < t->stride) {
                t->skip++;
                return;
        }
        t->skip = 0;
        if (t->n == XFER_TRACE_MAX) {
                /* keep every other point, twice the stride */
                for (uint32_t i = 0; i < XFER_TRACE_MAX / 2; i++)
                        t->p[i] = t->p[2 * i + 1];
                t->n = XFER_TRACE_MAX / 2;
                t->stride *= 2;
        }
        const tcp_dir_t *r = &c->d[!dir];
        uint32_t edge = end;
        edge_known_at(&c->tm->xfer[dir], ts, &edge);
        t->p[t->n++] = (xfer_trace_pt_t) { ts, end, r->ack_valid ? r->last_ack : end - 1, edge };
        (void) a;
}

static void trace_start(analysis_t *a, flow_t *f, int dir, const packet_t *p) {
        tcp_timing_t *tm = f->tcp->tm;
        if (tm->trace[dir] || a->xfer.live_traces >= 16)
                return;
        xfer_trace_t *t = calloc(1, sizeof *t);
        if (!t)
                return;
        t->p = malloc(sizeof(xfer_trace_pt_t) * XFER_TRACE_MAX);
        if (!t->p) {
                free(t);
                return;
        }
        t->stride = 1;
        t->seq0 = p->tcp.seq;
        t->t0 = p->ts_ns;
        t->key.a = p->src;
        t->key.b = p->dst;
        t->key.pa = p->sport;
        t->key.pb = p->dport;
        t->key.proto = 6;
        tm->trace[dir] = t;
        a->xfer.live_traces++;
}

static void trace_drop(analysis_t *a, tcp_timing_t *tm, int dir) {
        if (!tm->trace[dir])
                return;
        free(tm->trace[dir]->p);
        free(tm->trace[dir]);
        tm->trace[dir] = NULL;
        a->xfer.live_traces--;
}

void xfer_loss(flow_t *f, int dir) {
        tcp_timing_t *tm = f->tcp->tm;
        if (!tm)
                return;
        tm->xfer[dir].recovering = true;
        tm->xfer[dir].recover_end = f->tcp->d[dir].next_seq;
}

void xfer_data(analysis_t *a, flow_t *f, int dir, const packet_t *p, bool retrans, bool spurious, uint32_t new_bytes) {
        tcp_conn_t *c = f->tcp;
        if (!c->tm)
                return;
        xfer_dir_t *x = &c->tm->xfer[dir];
        int64_t ts = p->ts_ns;
        uint32_t end = p->tcp.seq + p->payload_len;

        if (!x->first) {
                x->first = x->last = ts;
                x->first_frame = p->frame;
                x->bytes = new_bytes;
                x->flight = p->payload_len;
                x->prev_flight = 0;
                x->allacked = 0;
                memset(x->t, 0, sizeof x->t);
                x->queue_max = 0;
                x->recovering = retrans;
                x->edge_hit = false;
                trace_start(a, f, dir, p);
                trace_point(a, c, dir, ts, end);
                return;
        }
        if (spurious) {
                x->bytes += new_bytes;
                return;
        }
        int64_t dt = dur_clamp(ts - x->last);
        int64_t clock = dur_clamp(sender_clock(c, dir)), margin = clock / 10 > 2 * NS_PER_MS ? clock / 10 : 2 * NS_PER_MS;
        bool idle = x->allacked && x->allacked >= x->last && ts - x->allacked > clock + margin;
        if (x->recovering || retrans) {
                x->t[XL_LOSS] = sat_add(x->t[XL_LOSS], dt);
        } else if (idle && !x->edge_hit) {
                /* The receiver had everything, and the next data came later than an ACK-clocked sender would
                 * have sent it: the sender had nothing to send. A flight that grew (slow start) first waited
                 * one round trip for the ACK; a flight that did not grow was the application's all along. */
                int64_t pre = dur_clamp(x->allacked - x->last), gap = dur_clamp(ts - x->allacked);
                bool growing = x->prev_flight && (uint64_t) x->flight * 10 > (uint64_t) x->prev_flight * 11;
                if (growing || !x->prev_flight) {
                        x->t[XL_NONE] = sat_add(x->t[XL_NONE], pre + clock);
                        x->t[XL_APP] = sat_add(x->t[XL_APP], dur_clamp(gap - clock));
                } else
                        x->t[XL_APP] = sat_add(x->t[XL_APP], pre + gap);
                x->prev_flight = x->flight;
                x->flight = 0;
        } else if (x->edge_hit) {
                x->t[XL_RWND] = sat_add(x->t[XL_RWND], dt);
        } else {
                /* the queue is judged only here, where nothing else held the sender back */
                int64_t q = queue_now(c), base = rtt_path(&c->rtt);
                if (q > x->queue_max)
                        x->queue_max = q;
                if (base >= 0 && q >= 5 * NS_PER_MS && q >= base / 2)
                        x->t[XL_BANDWIDTH] = sat_add(x->t[XL_BANDWIDTH], dt);
                else
                        x->t[XL_NONE] = sat_add(x->t[XL_NONE], dt);
        }

        x->last = ts;
        x->bytes += new_bytes;
        x->flight += p->payload_len;
        x->allacked = 0;
        uint32_t edge;
        x->edge_hit = false;
        if (x->edges_known && edge_known_at(x, ts - sender_clock(c, dir), &edge)) {
                uint32_t mss = p->payload_len > 536 ? p->payload_len : 536;
                x->edge_hit = seq_ge(end + mss, edge);
        }
        if (!c->tm->trace[dir] && x->bytes >= 16384)
                trace_start(a, f, dir, p);
        trace_point(a, c, dir, ts, end);
}

void xfer_ack(analysis_t *a, flow_t *f, int dir, const packet_t *p) {
        tcp_conn_t *c = f->tcp;
        if (!c->tm)
                return;
        const tcp_dir_t *s = &c->d[!dir];
        xfer_dir_t *x = &c->tm->xfer[!dir];
        (void) a;
        int sc = -1;
        if (c->d[0].syn && c->d[1].syn)
                sc = (c->d[0].wscale < 0 || c->d[1].wscale < 0) ? 0 : c->d[dir].wscale;
        if (sc >= 0 && !(p->tcp.flags & TCP_SYN)) {
                uint32_t edge = p->tcp.ack + (uint32_t) ((uint64_t) p->tcp.win << sc);
                uint8_t prev = (uint8_t) ((x->i_edge + XFER_EDGES - 1) % XFER_EDGES);
                /* kept a quarter of the sender's half apart at least, so that the few kept reach back two
                 * of its round trips: an edge looked up is then one the sender knew, or an older (lower)
                 * one, never one it could not have known yet */
                if (!x->n_edges ||
                    (x->edge[prev] != edge && p->ts_ns - x->edge_ts[prev] >= sender_clock(c, !dir) / 4)) {
                        x->edge[x->i_edge] = edge;
                        x->edge_ts[x->i_edge] = p->ts_ns;
                        x->i_edge = (uint8_t) ((x->i_edge + 1) % XFER_EDGES);
                        if (x->n_edges < XFER_EDGES)
                                x->n_edges++;
                }
                x->edges_known = true;
        }
        if (!x->first || !s->seq_valid)
                return;
        if (x->recovering && seq_ge(p->tcp.ack, x->recover_end))
                x->recovering = false;
        if (!x->allacked && seq_ge(p->tcp.ack, s->next_seq))
                x->allacked = p->ts_ns;
}

static void item_swap(xfer_item_t *v, uint32_t i, uint32_t j) {
        xfer_item_t t = v[i];
        v[i] = v[j];
        v[j] = t;
}

static void heap_down(xfer_item_t *v, uint32_t n, uint32_t i) {
        for (;;) {
                uint32_t l = 2 * i + 1, m = i;
                if (l < n && v[l].bytes < v[m].bytes)
                        m = l;
                if (l + 1 < n && v[l + 1].bytes < v[m].bytes)
                        m = l + 1;
                if (m == i)
                        return;
                item_swap(v, i, m);
                i = m;
        }
}

static void heap_up(xfer_item_t *v, uint32_t i) {
        while (i > 0 && v[(i - 1) / 2].bytes > v[i].bytes) {
                item_swap(v, i, (i - 1) / 2);
                i = (i - 1) / 2;
        }
}

static void xfer_keep(xfer_state_t *st, const xfer_item_t *it) {
        if (!st->items) {
                st->items = calloc(XFER_KEEP, sizeof(xfer_item_t));
                if (!st->items)
                        return;
                st->cap = XFER_KEEP;
        }
        if (st->n < st->cap) {
                st->items[st->n] = *it;
                heap_up(st->items, st->n++);
        } else if (it->bytes > st->items[0].bytes) {
                st->items[0] = *it;
                heap_down(st->items, st->n, 0);
        }
}

int64_t xfer_end(analysis_t *a, flow_t *f, int dir) {
        tcp_conn_t *c = f->tcp;
        tcp_timing_t *tm = c->tm;
        if (!tm)
                return 0;
        xfer_dir_t *x = &tm->xfer[dir];
        if (!x->first)
                return 0;
        int64_t loss = x->t[XL_LOSS];
        if (x->bytes >= XFER_BULK_BYTES) {
                xfer_state_t *st = &a->xfer;
                xfer_item_t it = {
                        .response = dir == 1, .start = x->first, .start_frame = x->first_frame,
                        .dur = x->last - x->first, .bytes = x->bytes,
                        .rtt_base = rtt_path(&c->rtt), .queue_max = x->queue_max,
                };
                bool from_a = (dir == 0) == f->client_is_a;
                it.key = f->key;
                if (!from_a) {
                        it.key.a = f->key.b;
                        it.key.b = f->key.a;
                        it.key.pa = f->key.pb;
                        it.key.pb = f->key.pa;
                }
                memcpy(it.t, x->t, sizeof it.t);
                st->total++;
                st->bytes += x->bytes;
                st->dur = sat_add(st->dur, dur_clamp(it.dur));
                for (int i = 0; i < _XL_MAX; i++)
                        st->t[i] = sat_add(st->t[i], x->t[i]);
                xfer_keep(st, &it);
                if (tm->trace[dir] && tm->trace[dir]->n > 1 && x->bytes > st->best.bytes) {
                        free(st->best.p);
                        st->best = *tm->trace[dir];
                        st->best.bytes = x->bytes;
                        free(tm->trace[dir]);
                        tm->trace[dir] = NULL;
                        a->xfer.live_traces--;
                }
        }
        trace_drop(a, tm, dir);
        x->first = 0;
        return loss;
}

static int item_cmp(const void *x, const void *y) {
        const xfer_item_t *a = x, *b = y;
        if (a->bytes != b->bytes)
                return a->bytes > b->bytes ? -1 : 1;
        return a->start < b->start ? -1 : a->start > b->start;
}

void xfer_finish(analysis_t *a) {
        if (a->xfer.items)
                qsort(a->xfer.items, a->xfer.n, sizeof(xfer_item_t), item_cmp);
}

void xfer_done(xfer_state_t *x) {
        free(x->items);
        free(x->best.p);
        x->items = NULL;
        x->best.p = NULL;
}
