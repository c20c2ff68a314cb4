/* Capture-wide statistics: protocol and service counters, hosts and conversations (bounded tables), the
 * time series, interarrival jitter, bursts, and the capped event lists. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"


/* ---- bounded address tables ---- */

/* SipHash-1-3 under the analysis's key (util/siphash.h): hosts and pairs are the uploader's to choose. */
static uint64_t addr_hash(const analysis_t *a, const addr_t *x) {
        uint8_t b[17];
        memcpy(b, x->b, 16);
        b[16] = x->family;
        return siphash13(&a->key, b, sizeof b);
}

static uint64_t kv_pair_hash(const analysis_t *a, const addr_t *lo, const addr_t *hi) {
        uint8_t b[34];
        memcpy(b, lo->b, 16);
        b[16] = lo->family;
        memcpy(b + 17, hi->b, 16);
        b[33] = hi->family;
        return siphash13(&a->key, b, sizeof b);
}

int kv_init(kv_table_t *t, size_t elem, uint32_t max) {
        *t = (kv_table_t) {};
        return table_init(&t->t, elem, 128, max);
}

void kv_done(kv_table_t *t) {
        table_done(&t->t);
}

static host_entry_t *host_get(analysis_t *a, const addr_t *x) {
        table_t *t = &a->hosts.t;
        uint64_t h = addr_hash(a, x);
        table_probe_t p;
        for (uint32_t r = table_find(t, &p, h); r != TABLE_NONE; r = table_find_next(t, &p)) {
                host_entry_t *e = table_entry(t, r);
                if (addr_equal(&e->addr, x))
                        return e;
        }
        uint32_t r;
        if (table_add(t, h, &r) < 0)
                return NULL;
        host_entry_t *e = table_entry(t, r);
        e->used = 1;
        e->addr = *x;
        return e;
}

static conv_entry_t *conv_get(analysis_t *a, const addr_t *x, const addr_t *y, bool *ret_ab) {
        table_t *t = &a->convs.t;
        bool ab = addr_compare(x, y) <= 0;
        const addr_t *lo = ab ? x : y, *hi = ab ? y : x;
        *ret_ab = ab;
        uint64_t h = kv_pair_hash(a, lo, hi);
        table_probe_t p;
        for (uint32_t r = table_find(t, &p, h); r != TABLE_NONE; r = table_find_next(t, &p)) {
                conv_entry_t *e = table_entry(t, r);
                if (addr_equal(&e->a, lo) && addr_equal(&e->b, hi))
                        return e;
        }
        uint32_t r;
        if (table_add(t, h, &r) < 0)
                return NULL;
        conv_entry_t *e = table_entry(t, r);
        e->used = 1;
        e->a = *lo;
        e->b = *hi;
        return e;
}

void stats_host_conv(analysis_t *a, const packet_t *p, uint64_t packets, uint64_t bytes, int64_t first,
                     int64_t last) {
        if (packets == 0)
                return;
        /* room for two hosts before either lookup: growing moves the entries (a failure shows as overflow) */
        (void) table_reserve(&a->hosts.t, 2);
        host_entry_t *s = host_get(a, &p->src), *d = host_get(a, &p->dst);
        if (s) {
                s->packets_tx += packets;
                s->bytes_tx += bytes;
        } else
                a->hosts.overflow_packets += packets;
        if (d) {
                d->packets_rx += packets;
                d->bytes_rx += bytes;
        }
        bool ab;
        conv_entry_t *c = conv_get(a, &p->src, &p->dst, &ab);
        if (!c) {
                a->convs.overflow_packets += packets;
                return;
        }
        if (c->packets == 0 || first < c->first_ts)
                c->first_ts = first;
        if (last > c->last_ts)
                c->last_ts = last;
        c->packets += packets;
        c->bytes += bytes;
        if (ab) {
                c->packets_ab += packets;
                c->bytes_ab += bytes;
        }
}

/* ---- series ---- */

series_bucket_t *series_at(analysis_t *a, int64_t ts) {
        series_t *s = &a->series;
        if (!a->have_ts)
                return NULL;
        int64_t off;
        if (__builtin_sub_overflow(ts, s->t0, &off) || off < 0)
                off = off < 0 || ts < s->t0 ? 0 : INT64_MAX / 2;
        if (off > (int64_t) 1 << 62)
                off = (int64_t) 1 << 62; /* hostile timestamps: keep the widening loop bounded */
        while (off / s->width >= SERIES_BUCKETS) {
                /* widen: merge pairs of buckets */
                for (int i = 0; i < SERIES_BUCKETS / 2; i++) {
                        series_bucket_t *x = &s->b[2 * i], *y = &s->b[2 * i + 1];
                        series_bucket_t m = {
                                .bytes = x->bytes + y->bytes, .packets = x->packets + y->packets,
                                .retrans = x->retrans + y->retrans, .zero_win = x->zero_win + y->zero_win,
                                .dns_fail = x->dns_fail + y->dns_fail, .lost = x->lost + y->lost,
                                .rtt_n = x->rtt_n + y->rtt_n, .rtt_sum = x->rtt_sum + y->rtt_sum,
                                .rtt_max = x->rtt_max > y->rtt_max ? x->rtt_max : y->rtt_max,
                        };
                        s->b[i] = m;
                }
                memset(&s->b[SERIES_BUCKETS / 2], 0, sizeof(series_bucket_t) * (SERIES_BUCKETS / 2));
                s->width *= 2;
        }
        return &s->b[off / s->width];
}

void series_add(analysis_t *a, int64_t ts, uint64_t bytes, uint64_t packets) {
        series_bucket_t *b = series_at(a, ts);
        if (b) {
                b->bytes += bytes;
                b->packets += packets;
        }
}

/* RFC 3550 A.8 interarrival jitter, with the variation of interarrival times standing in for the
 * transit-time difference (no sender clock in the capture): J += (|D| - J) / 16, kept scaled by 16. */
void jitter_update(int64_t ts, int64_t *prev_ts, int64_t *prev_delta, int64_t *jitter16, uint32_t *n) {
        if (*n > 0) {
                /* hostile timestamps may be anything: clamp the differences to +-1e15 ns (11 days) */
                int64_t delta, dd;
                if (__builtin_sub_overflow(ts, *prev_ts, &delta) || delta > 1000000000000000LL || delta < -1000000000000000LL)
                        delta = delta < 0 ? -1000000000000000LL : 1000000000000000LL;
                if (*n > 1) {
                        dd = delta - *prev_delta;
                        if (dd < 0)
                                dd = -dd;
                        *jitter16 += dd - ((*jitter16 + 8) >> 4);
                }
                *prev_delta = delta;
        }
        *prev_ts = ts;
        (*n)++;
}

void event_add(analysis_t *a, event_kind_t kind, const event_t *e) {
        event_list_t *l = &a->ev[kind];
        l->total++;
        if (l->n >= a->lim.max_events)
                return;
        if (l->n == l->cap) {
                uint32_t nc = l->cap ? l->cap * 2 : 16;
                if (nc > a->lim.max_events)
                        nc = a->lim.max_events;
                event_t *nv = realloc(l->v, nc * sizeof(event_t));
                if (!nv)
                        return;
                l->v = nv;
                l->cap = nc;
        }
        l->v[l->n] = *e;
        l->v[l->n].kind = (uint8_t) kind;
        l->n++;
}

/* ---- per packet ---- */

static void service_count(analysis_t *a, uint8_t proto, uint16_t port, uint32_t bytes) {
        for (unsigned i = 0; i < a->n_services; i++) {
                service_entry_t *s = &a->services[i];
                if (s->port == port && s->proto == proto) {
                        s->c.packets++;
                        s->c.bytes += bytes;
                        return;
                }
        }
        if (a->n_services < SERVICE_MAX) {
                a->services[a->n_services++] = (service_entry_t) { .port = port, .proto = proto,
                                                                   .c = { 1, bytes } };
                return;
        }
        a->services_other_packets++;
        a->services_other_bytes += bytes;
}

void stats_packet(analysis_t *a, const packet_t *p, bool decoded) {
        uint32_t len = p->wirelen;
#define COUNT(x) do { a->proto[x].packets++; a->proto[x].bytes += len; } while (0)
        if (p->dlt == 1)
                COUNT(PROTO_ETHERNET);
        else if (p->dlt == 113 || p->dlt == 276)
                COUNT(PROTO_SLL);
        if (p->vlan)
                COUNT(PROTO_VLAN);
        if (p->l3 == L3_ARP) {
                COUNT(PROTO_ARP);
                return;
        }
        if (!p->seen_ipv4 && !p->seen_ipv6) {
                COUNT(PROTO_NON_IP);
                return;
        }
        if (p->seen_ipv4)
                COUNT(PROTO_IPV4);
        if (p->seen_ipv6)
                COUNT(PROTO_IPV6);
        if (p->frag && !p->frag_first) {
                COUNT(PROTO_IP_OTHER); /* a later fragment: its transport is in the first one */
                return;
        }
        switch (p->proto) {
        case 6: COUNT(PROTO_TCP); break;
        case 17: COUNT(PROTO_UDP); break;
        case 1: COUNT(PROTO_ICMP); break;
        case 58: COUNT(PROTO_ICMPV6); break;
        case 132: COUNT(PROTO_SCTP); break;
        case 47: COUNT(PROTO_GRE); break;
        case 50: COUNT(PROTO_ESP); break;
        default: COUNT(PROTO_IP_OTHER); break;
        }
#undef COUNT
        (void) decoded;
}

void stats_service(analysis_t *a, const flow_t *f, const packet_t *p) {
        uint16_t port = f->client_is_a ? f->key.pb : f->key.pa;
        service_count(a, p->proto, port, p->wirelen);
}

void stats_burst(analysis_t *a, const packet_t *p, int64_t gap) {
        if (a->packets > 1 && gap >= 0 && gap < threshold_ns(a, TH_BURST_SPACING)) {
                a->burst_cur_pkts++;
                a->burst_cur_bytes += p->wirelen;
                return;
        }
        /* the run ended */
        if ((double) a->burst_cur_pkts >= threshold_value(a, TH_BURST_MIN)) {
                a->bursts++;
                timing_burst(a, &(burst_t) { .start = a->burst_cur_start, .dur = a->prev_ts - a->burst_cur_start,
                                             .packets = a->burst_cur_pkts, .bytes = a->burst_cur_bytes,
                                             .frame = a->burst_cur_frame });
                if (a->burst_cur_pkts > a->burst_max_pkts) {
                        a->burst_max_pkts = a->burst_cur_pkts;
                        a->burst_max_bytes = a->burst_cur_bytes;
                        a->burst_max_start = a->burst_cur_start;
                        a->burst_max_frame = a->burst_cur_frame;
                        a->burst_max_dur = a->prev_ts - a->burst_cur_start;
                }
        }
        a->burst_cur_pkts = 1;
        a->burst_cur_bytes = p->wirelen;
        a->burst_cur_start = p->ts_ns;
        a->burst_cur_frame = p->frame;
}

void stats_finish(analysis_t *a) {
        packet_t end = { .ts_ns = a->last_ts };
        stats_burst(a, &end, -1);
}
