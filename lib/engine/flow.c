/* The flow table: the one open-addressing table (util/table.h) keyed by a normalised 5-tuple, hashed under a
 * random key, bounded by max_flows;
 * idle and closed flows are retired (summarised, freed) when room is needed, so memory follows the number
 * of concurrent flows, not the number of packets. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

#define FLOW_IDLE_RETIRE (300 * NS_PER_S)
#define FLOW_CLOSED_RETIRE (30 * NS_PER_S)

void flow_key_pack(const flow_key_t *k, uint8_t ret[FLOW_KEY_PACKED]) {
        memcpy(ret, k->a.b, 16);
        memcpy(ret + 16, k->b.b, 16);
        memcpy(ret + 32, &k->pa, 2);
        memcpy(ret + 34, &k->pb, 2);
        ret[36] = k->proto;
        ret[37] = k->a.family;
}

/* SipHash-1-3 under the analysis's key: no capture can make its flows collide (util/siphash.h). */
static uint64_t flow_hash(const flow_table_t *t, const flow_key_t *k) {
        uint8_t b[FLOW_KEY_PACKED];
        flow_key_pack(k, b);
        return siphash13(&t->key, b, sizeof b);
}

int flow_table_init(flow_table_t *t, const siphash_key_t *key, uint32_t max_flows) {
        *t = (flow_table_t) { .key = *key, .last = TABLE_NONE, .pace_cap = 1024 };
        return table_init(&t->t, sizeof(flow_t), 512, max_flows);
}

void flow_table_done(flow_table_t *t) {
        for (uint32_t i = 0; i < t->t.top; i++) {
                flow_t *f = table_entry(&t->t, i);
                if (f->tcp)
                        tcp_conn_free(f->tcp);
                jitter_flow_free(f);
        }
        table_done(&t->t);
}

void flow_key_make(flow_key_t *k, const packet_t *p, bool *ret_swapped) {
        memset(k, 0, sizeof *k);
        uint16_t sp = p->sport, dp = p->dport;
        if (p->proto == 1 || p->proto == 58) {
                sp = dp = p->icmp_id;
        } else if (p->proto != 6 && p->proto != 17) {
                sp = dp = 0;
        }
        int c = addr_compare(&p->src, &p->dst);
        bool swap = c > 0 || (c == 0 && sp > dp);
        if (!swap) {
                k->a = p->src;
                k->b = p->dst;
                k->pa = sp;
                k->pb = dp;
        } else {
                k->a = p->dst;
                k->b = p->src;
                k->pa = dp;
                k->pb = sp;
        }
        k->proto = p->proto;
        *ret_swapped = swap;
}

static bool key_equal(const flow_key_t *x, const flow_key_t *y) {
        return x->proto == y->proto && x->pa == y->pa && x->pb == y->pb && addr_equal(&x->a, &y->a) &&
               addr_equal(&x->b, &y->b);
}

void flow_retire(analysis_t *a, flow_t *f) {
        if (f->used != 1)
                return;
        jitter_flow_retire(a, f);
        security_flow_end(a, f); /* before its TCP state goes */
        flow_summary_t s = {
                .key = f->key, .id = f->id, .proto = f->key.proto, .first_ts = f->first_ts, .last_ts = f->last_ts,
                .max_gap = f->max_gap, .packets = f->packets, .bytes = f->bytes, .hs_time = -1,
                .first_frame = f->first_frame, .max_gap_frame = f->max_gap_frame,
        };
        uint64_t frame[_WF_MAX] = { 0 }; /* where each figure's trouble began */
        if (!f->client_is_a) {
                s.key.a = f->key.b;
                s.key.b = f->key.a;
                s.key.pa = f->key.pb;
                s.key.pb = f->key.pa;
        }
        if (f->tcp) {
                tcp_flow_finish(a, f);
                tcp_conn_t *c = f->tcp;
                for (int d = 0; d < 2; d++) {
                        tcp_dir_t *td = &c->d[d];
                        s.retrans += td->retrans;
                        s.rto += td->rto;
                        s.fast += td->fast;
                        s.spurious += td->spurious;
                        s.ooo += td->ooo;
                        s.lost += td->lost;
                        s.dupacks += td->dupacks_total;
                        s.zero_win += td->zero_win;
                        s.jitter[d] = td->jit_n >= 8 ? td->jitter16 / 16 : -1;
                }
                if (c->hs == HS_DONE)
                        s.hs_time = c->hs_ack_ts - c->syn_ts;
                s.refused = c->refused;
                s.reset = c->reset_seen;
                s.syn_only = c->hs == HS_SYN;
                if (c->trouble) {
                        const uint64_t *t = c->trouble->first;
                        frame[WF_RTO] = t[TT_RTO];
                        frame[WF_FAST] = t[TT_FAST];
                        frame[WF_LOST] = t[TT_LOST];
                        frame[WF_ZERO_WIN] = t[TT_ZERO_WIN];
                        frame[WF_OOO] = t[TT_OOO];
                        frame[WF_DUPACK] = t[TT_DUPACK];
                        frame[WF_SPURIOUS] = t[TT_SPURIOUS];
                        frame[WF_REFUSED] = t[TT_RST];
                }
                frame[WF_SYN_ONLY] = frame[WF_HANDSHAKE] = c->syn_frame;
        } else {
                for (int d = 0; d < 2; d++)
                        s.jitter[d] = f->u[d].jit_n >= 8 ? f->u[d].jitter16 / 16 : -1;
        }
        for (int d = 0; d < 2; d++)
                if (s.jitter[d] >= 0)
                        samples_add(&a->flow_jitter, s.jitter[d]);
        /* hosts and conversations: the flow's two directions at once */
        for (int d = 0; d < 2; d++) {
                bool from_a = (d == 0) == f->client_is_a;
                packet_t pk = { .src = from_a ? f->key.a : f->key.b, .dst = from_a ? f->key.b : f->key.a };
                stats_host_conv(a, &pk, f->u[d].packets, f->u[d].bytes, f->first_ts, f->last_ts);
        }
        /* a badness score for the "worst flows" table: problems first, then size; the worst figure is the problem
         * that weighs most in it (first in this order on a tie), a handshake from 300 ms on (as the HTML report
         * lists problems) */
        const double term[_WF_MAX] = {
                [WF_RTO] = s.rto * 50.0, [WF_FAST] = s.fast * 20.0, [WF_LOST] = s.lost * 10.0,
                [WF_ZERO_WIN] = s.zero_win * 10.0, [WF_OOO] = s.ooo * 2.0, [WF_DUPACK] = s.dupacks * 1.0,
                [WF_SPURIOUS] = s.spurious * 5.0, [WF_REFUSED] = s.refused ? 30.0 : 0,
                [WF_SYN_ONLY] = s.syn_only ? 30.0 : 0, [WF_HANDSHAKE] = s.hs_time > 0 ? (double) s.hs_time / 1e7 : 0,
        };
        s.score = 0;
        for (int w = WF_NONE + 1; w < _WF_MAX; w++) {
                s.score += term[w]; /* the sum in this order, as it always was: scores and ranks stay the same */
                if (term[w] > 0 && (w != WF_HANDSHAKE || s.hs_time >= threshold_ns(a, TH_HANDSHAKE_SLOW)) &&
                    (s.worst == WF_NONE || term[w] > term[s.worst]))
                        s.worst = (uint8_t) w;
        }
        s.worst_frame = frame[s.worst];
        worst_offer(a, &s);
        if (f->tcp) {
                conn_retire(a, f, &s);
                timeline_offer(a, f, &s); /* ranked as the worst flows are */
                tcp_conn_free(f->tcp);
                f->tcp = NULL;
        }
        f->used = 0;
        table_remove(&a->flows.t, (uint32_t) (f - (flow_t *) a->flows.t.e));
        a->flows.pace_retired++;
}

static int flow_ptr_cmp(const void *x, const void *y) {
        const flow_t *a = *(flow_t *const *) x, *b = *(flow_t *const *) y;
        return a->id < b->id ? -1 : a->id > b->id;
}

/* Retires flows in creation order, whatever the (seeded) slot order: reports must not depend on the seed.
 * all: every flow; else only idle or closed ones. */
static void flow_retire_ordered(analysis_t *a, int64_t now, int mode) {
        flow_table_t *t = &a->flows;
        flow_t **v = malloc(sizeof(flow_t *) * (t->t.n ? t->t.n : 1));
        uint32_t n = 0;
        for (uint32_t i = 0; i < t->t.top; i++) {
                flow_t *f = table_entry(&t->t, i);
                if (f->used != 1)
                        continue;
                int64_t idle = now - f->last_ts;
                /* mode 0: idle or closed a while; 1: every closed flow (the table is full); 2: all */
                if (mode == 2 || idle > FLOW_IDLE_RETIRE || (f->closed && (mode == 1 || idle > FLOW_CLOSED_RETIRE))) {
                        if (v)
                                v[n++] = f;
                        else
                                flow_retire(a, f); /* no memory to sort: still retire */
                }
        }
        if (!v)
                return;
        qsort(v, n, sizeof *v, flow_ptr_cmp);
        for (uint32_t i = 0; i < n; i++)
                flow_retire(a, v[i]);
        free(v);
}

void flow_sweep(analysis_t *a, int64_t now) {
        flow_retire_ordered(a, now, 0);
        if (a->flows.t.n >= a->lim.max_flows)
                flow_retire_ordered(a, now, 1);
}

void flow_retire_all(analysis_t *a) {
        flow_retire_ordered(a, 0, 2);
}

static flow_t *flow_find(flow_table_t *t, const flow_key_t *k, uint64_t h) {
        table_probe_t p;
        for (uint32_t r = table_find(&t->t, &p, h); r != TABLE_NONE; r = table_find_next(&t->t, &p)) {
                flow_t *f = table_entry(&t->t, r);
                if (key_equal(&f->key, k)) {
                        t->last = r;
                        return f;
                }
        }
        return NULL;
}

flow_t *flow_lookup(analysis_t *a, const flow_key_t *k, int64_t ts, bool create, bool *ret_new) {
        flow_table_t *t = &a->flows;
        *ret_new = false;
        /* consecutive packets mostly belong to the same flow */
        if (t->last != TABLE_NONE) {
                flow_t *f = table_entry(&t->t, t->last);
                if (f->used == 1 && key_equal(&f->key, k))
                        return f;
        }
        uint64_t h = flow_hash(t, k);
        flow_t *f = flow_find(t, k, h);
        if (f || !create)
                return f;
        /* Make room when the table is full, or "crowded": when the flows live and those retired since the last
         * step would fill 70 % of a notional capacity that doubles, from 1,024, so as to stay at most half
         * full after a step. This is when the flow table swept before it was a table_t (a full slot array
         * counting tombstones); it is kept because the order flows retire in feeds the sample stores and the
         * worst-flow list: reports stay what they were. */
        bool full = t->t.n >= a->lim.max_flows;
        bool crowded = (uint64_t) (t->t.n + t->pace_retired + 1) * 10 > (uint64_t) t->pace_cap * 7;
        if (full || crowded) {
                /* retire idle and closed flows, at most once per second of capture, or once per quarter-table
                 * of refused flows: a flood of new flows must not make every packet scan the table */
                if (!a->swept || ts < a->last_sweep_ts || ts - a->last_sweep_ts > NS_PER_S ||
                    (full && ++a->refused_since_sweep > a->lim.max_flows / 4)) {
                        a->refused_since_sweep = 0;
                        a->swept = true;
                        a->last_sweep_ts = ts;
                        flow_sweep(a, ts);
                }
                if (t->t.n >= a->lim.max_flows)
                        return NULL;
                while ((uint64_t) (t->t.n + 1) * 10 > (uint64_t) t->pace_cap * 5)
                        t->pace_cap *= 2;
                t->pace_retired = 0;
        }
        uint32_t r;
        if (table_add(&t->t, h, &r) < 0)
                return NULL; /* max_flows live, or no memory */
        f = table_entry(&t->t, r);
        f->used = 1;
        f->key = *k;
        f->id = t->next_id++;
        f->first_ts = f->last_ts = ts;
        t->last = r;
        *ret_new = true;
        return f;
}

char *flow_format(const flow_key_t *k, bool a_to_b, char *buf, size_t len) {
        char x[64], y[64];
        const addr_t *s = a_to_b ? &k->a : &k->b, *d = a_to_b ? &k->b : &k->a;
        uint16_t sp = a_to_b ? k->pa : k->pb, dp = a_to_b ? k->pb : k->pa;
        addr_format(s, x, sizeof x);
        addr_format(d, y, sizeof y);
        if (k->proto == 6 || k->proto == 17) {
                if (s->family == 6)
                        snprintf(buf, len, "[%s]:%u -> [%s]:%u", x, sp, y, dp);
                else
                        snprintf(buf, len, "%s:%u -> %s:%u", x, sp, y, dp);
        } else
                snprintf(buf, len, "%s -> %s", x, y);
        return buf;
}

char *flow_filter(const flow_key_t *k, char *buf, size_t len) {
        char x[64], y[64];
        addr_format(&k->a, x, sizeof x);
        addr_format(&k->b, y, sizeof y);
        const char *ip = k->a.family == 6 ? "ipv6" : "ip";
        if (k->proto == 6 || k->proto == 17) {
                const char *l4 = k->proto == 6 ? "tcp" : "udp";
                snprintf(buf, len, "%s.addr==%s && %s.addr==%s && %s.port==%u && %s.port==%u", ip, x, ip, y, l4,
                         k->pa, l4, k->pb);
        } else
                snprintf(buf, len, "%s.addr==%s && %s.addr==%s", ip, x, ip, y);
        return buf;
}

static int summary_cmp(const void *x, const void *y) {
        const flow_summary_t *a = x, *b = y;
        if (a->score != b->score)
                return a->score > b->score ? -1 : 1;
        if (a->bytes != b->bytes)
                return a->bytes > b->bytes ? -1 : 1;
        return a->id < b->id ? -1 : a->id > b->id;
}

void worst_sort(analysis_t *a) {
        if (a->worst)
                qsort(a->worst, a->n_worst, sizeof(flow_summary_t), summary_cmp);
}

void worst_offer(analysis_t *a, const flow_summary_t *s) {
        uint32_t keep = a->lim.max_events < 200 ? a->lim.max_events : 200;
        if (keep == 0)
                return;
        if (!a->worst) {
                a->worst = calloc(keep + 1, sizeof(flow_summary_t));
                if (!a->worst)
                        return;
                a->cap_worst = keep;
        }
        if (a->n_worst < a->cap_worst) {
                a->worst[a->n_worst++] = *s;
                if (a->n_worst == a->cap_worst)
                        qsort(a->worst, a->n_worst, sizeof *s, summary_cmp);
                return;
        }
        /* full and sorted: replace the last one if better, then bubble it up */
        if (summary_cmp(s, &a->worst[a->n_worst - 1]) >= 0)
                return;
        uint32_t i = a->n_worst - 1;
        a->worst[i] = *s;
        while (i > 0 && summary_cmp(&a->worst[i], &a->worst[i - 1]) < 0) {
                flow_summary_t tmp = a->worst[i - 1];
                a->worst[i - 1] = a->worst[i];
                a->worst[i] = tmp;
                i--;
        }
}
