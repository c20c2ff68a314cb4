/* The flow table: open addressing keyed by a normalised 5-tuple, hashed under a random key, bounded by max_flows;
 * idle and closed flows are retired (summarised, freed) when room is needed, so memory follows the number
 * of concurrent flows, not the number of packets. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "util/hash.h"

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

int flow_table_init(flow_table_t *t, const siphash_key_t *key) {
        *t = (flow_table_t) { .key = *key, .cap = 1024 };
        t->slots = calloc(t->cap, sizeof(flow_t));
        return t->slots ? 0 : -ENOMEM;
}

void flow_table_done(flow_table_t *t) {
        if (t->slots)
                for (uint32_t i = 0; i < t->cap; i++)
                        if (t->slots[i].tcp)
                                tcp_conn_free(t->slots[i].tcp);
        free(t->slots);
        t->slots = NULL;
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

static flow_t *flow_lookup_slow(analysis_t *a, const flow_key_t *k, int64_t ts, bool create, bool *ret_new);

static int flow_rehash(flow_table_t *t, uint32_t ncap) {
        t->last = NULL;
        flow_t *ns = calloc(ncap, sizeof(flow_t));
        if (!ns)
                return -ENOMEM;
        for (uint32_t i = 0; i < t->cap; i++) {
                flow_t *f = &t->slots[i];
                if (f->used != 1)
                        continue;
                uint32_t j = (uint32_t) (f->hash & (ncap - 1));
                while (ns[j].used)
                        j = (j + 1) & (ncap - 1);
                ns[j] = *f;
        }
        free(t->slots);
        t->slots = ns;
        t->cap = ncap;
        t->tombstones = 0;
        return 0;
}

void flow_retire(analysis_t *a, flow_t *f) {
        if (f->used != 1)
                return;
        flow_summary_t s = {
                .key = f->key, .id = f->id, .proto = f->key.proto, .first_ts = f->first_ts, .last_ts = f->last_ts,
                .max_gap = f->max_gap, .packets = f->packets, .bytes = f->bytes, .hs_time = -1,
        };
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
                tcp_conn_free(f->tcp);
                f->tcp = NULL;
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
        /* a badness score for the "worst flows" table: problems first, then size */
        s.score = s.rto * 50.0 + s.fast * 20.0 + s.lost * 10.0 + s.zero_win * 10.0 + s.ooo * 2.0 +
                  s.dupacks * 1.0 + s.spurious * 5.0 + (s.refused ? 30.0 : 0) + (s.syn_only ? 30.0 : 0) +
                  (s.hs_time > 0 ? (double) s.hs_time / 1e7 : 0);
        worst_offer(a, &s);
        f->used = 2;
        a->flows.used--;
        a->flows.tombstones++;
}

static int flow_ptr_cmp(const void *x, const void *y) {
        const flow_t *a = *(flow_t *const *) x, *b = *(flow_t *const *) y;
        return a->id < b->id ? -1 : a->id > b->id;
}

/* Retires flows in creation order, whatever the (seeded) slot order: reports must not depend on the seed.
 * all: every flow; else only idle or closed ones. */
static void flow_retire_ordered(analysis_t *a, int64_t now, int mode) {
        flow_table_t *t = &a->flows;
        flow_t **v = malloc(sizeof(flow_t *) * (t->used ? t->used : 1));
        uint32_t n = 0;
        for (uint32_t i = 0; i < t->cap; i++) {
                flow_t *f = &t->slots[i];
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
        if (a->flows.used >= a->lim.max_flows)
                flow_retire_ordered(a, now, 1);
}

void flow_retire_all(analysis_t *a) {
        flow_retire_ordered(a, 0, 2);
}

flow_t *flow_lookup(analysis_t *a, const flow_key_t *k, int64_t ts, bool create, bool *ret_new) {
        flow_table_t *t = &a->flows;
        /* consecutive packets mostly belong to the same flow */
        if (t->last && t->last->used == 1 && key_equal(&t->last->key, k)) {
                *ret_new = false;
                return t->last;
        }
        flow_t *found = flow_lookup_slow(a, k, ts, create, ret_new);
        t->last = found;
        return found;
}

static flow_t *flow_lookup_slow(analysis_t *a, const flow_key_t *k, int64_t ts, bool create, bool *ret_new) {
        flow_table_t *t = &a->flows;
        uint64_t h = flow_hash(t, k);
        *ret_new = false;
        for (int attempt = 0; attempt < 3; attempt++) {
                uint32_t mask = t->cap - 1, i = (uint32_t) (h & mask), first_free = UINT32_MAX;
                for (uint32_t n = 0; n < t->cap; n++, i = (i + 1) & mask) {
                        flow_t *f = &t->slots[i];
                        if (f->used == 0) {
                                if (first_free == UINT32_MAX)
                                        first_free = i;
                                break;
                        }
                        if (f->used == 2) {
                                if (first_free == UINT32_MAX)
                                        first_free = i;
                                continue;
                        }
                        if (f->hash == h && key_equal(&f->key, k))
                                return f;
                }
                if (!create)
                        return NULL;
                bool full = t->used >= a->lim.max_flows;
                bool crowded = (uint64_t) (t->used + t->tombstones + 1) * 10 > (uint64_t) t->cap * 7;
                if (!full && !crowded && first_free != UINT32_MAX) {
                        flow_t *f = &t->slots[first_free];
                        if (f->used == 2)
                                t->tombstones--;
                        memset(f, 0, sizeof *f);
                        f->used = 1;
                        f->key = *k;
                        f->hash = h;
                        f->id = t->next_id++;
                        f->first_ts = f->last_ts = ts;
                        t->used++;
                        *ret_new = true;
                        return f;
                }
                if (full || crowded) {
                        /* Make room: retire idle and closed flows (at most one sweep per second of capture). */
                        /* at most once per second of capture, or once per quarter-table of refused flows:
                         * a flood of new flows must not make every packet scan the table */
                        if (!a->swept || ts < a->last_sweep_ts || ts - a->last_sweep_ts > NS_PER_S ||
                            (full && ++a->refused_since_sweep > a->lim.max_flows / 4)) {
                                a->refused_since_sweep = 0;
                                a->swept = true;
                                a->last_sweep_ts = ts;
                                flow_sweep(a, ts);
                        }
                        if (t->used >= a->lim.max_flows)
                                return NULL;
                        uint32_t ncap = t->cap;
                        while ((uint64_t) (t->used + 1) * 10 > (uint64_t) ncap * 5)
                                ncap *= 2;
                        if (flow_rehash(t, ncap) < 0)
                                return NULL;
                }
        }
        return NULL;
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
