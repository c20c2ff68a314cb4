/* Packet timelines (issue 14; ANALYSES.md, "Packet timelines"): each TCP connection keeps a ring of its last
 * TL_AROUND packets and its handshake's packets, packed; on each of its first TL_EVENTS retransmissions, zero
 * windows and resets it copies the ring and takes the TL_AROUND packets that follow as they arrive. When it
 * retires, its timeline is kept if it ranks among the worst connections or, for a kind of event, among those
 * whose event of that kind came first (the findings name the flows of their event lists' first items); at
 * the end the findings' flows are matched to them (by 5-tuple and a frame of the connection, so that a reused
 * port pair gets its own connection's packets) and written within TL_LINES_MAX lines. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "util/shellquote.h"

static uint32_t tl_mask(int d) {
        return 1u << d;
}

void timeline_packet_slow(analysis_t *a, timeline_conn_t *t, int dir, const packet_t *p) {
        const tcp_hdr_t *h = &p->tcp;
        /* written in its ring slot at once: this runs for every TCP packet */
        tl_pkt_t *k;
        if (t->r)
                k = &t->r->ring[t->ring_head];
        else if (t->count > 0 && !t->no_ring && (t->r = malloc(sizeof(tl_ring_t)))) {
                /* the second packet: the first moves into the ring (and the handshake's lines) */
                t->r->ring[0] = t->first;
                if (t->hs_n)
                        t->r->hs[0] = t->first;
                k = &t->r->ring[t->ring_head];
        } else {
                if (t->count > 0 && !t->no_ring) {
                        /* no memory: from now on only its last packet, and no handshake line (the first
                         * packet is overwritten) */
                        t->no_ring = true;
                        t->hs_more += t->hs_n;
                        t->hs_n = 0;
                }
                k = &t->first;
                t->ring_head = 0;
                t->ring_n = 0;
        }
        *k = (tl_pkt_t) {
                .ts = p->ts_ns, .frame = p->frame, .seq = h->seq, .ack = h->ack,
                .len = (uint16_t) (p->payload_len > UINT16_MAX ? UINT16_MAX : p->payload_len), .win = h->win,
                .flags = h->flags, .dir = (uint8_t) dir, .n = t->count++,
        };
        if (++t->ring_head == TL_RING)
                t->ring_head = 0;
        if (t->ring_n < TL_RING)
                t->ring_n++;
        if (t->base_set != 3) {
                /* Wireshark's relative numbers: a side's 0 is its SYN's sequence number, else the one before the
                 * first byte seen; a side not seen yet takes it from the first ACK sent to it (packet-tcp.c,
                 * base_seq) */
                if (!(t->base_set & tl_mask(dir))) {
                        t->base[dir] = (h->flags & TCP_SYN) ? h->seq : h->seq - 1;
                        t->base_set |= (uint8_t) tl_mask(dir);
                }
                if (!(t->base_set & tl_mask(!dir)) && (h->flags & TCP_ACK)) {
                        t->base[!dir] = h->ack - 1;
                        t->base_set |= (uint8_t) tl_mask(!dir);
                }
        }
        if (!t->hs_done) {
                /* without a ring, the only handshake line is the first packet */
                uint8_t room = t->r ? TL_HS : k == &t->first && t->count == 1 ? 1 : 0;
                bool syn = h->flags & TCP_SYN;
                if (syn || t->hs_n > 0) {
                        if (t->hs_n < room) {
                                if (t->r)
                                        t->r->hs[t->hs_n] = *k;
                                t->hs_n++;
                        } else
                                t->hs_more++;
                }
                /* the first packet without SYN ends the handshake: its ACK (or what came instead) */
                if (!syn)
                        t->hs_done = true;
        }
        if (t->taking)
                for (uint8_t i = 0; i < t->n_win; i++) {
                        timeline_win_t *w = &t->win[i];
                        if (w->after > 0) {
                                w->line[w->n++] = *k;
                                if (--w->after == 0)
                                        t->taking--;
                        }
                }
}

/* The ring's packets, oldest first. */
static uint8_t tl_ring_copy(const timeline_conn_t *t, tl_pkt_t *out) {
        if (!t->r) {
                if (t->count)
                        out[0] = t->first;
                return t->count ? 1 : 0;
        }
        for (uint8_t i = 0; i < t->ring_n; i++)
                out[i] = t->r->ring[(t->ring_head + TL_RING - t->ring_n + i) % TL_RING];
        return t->ring_n;
}

void timeline_event(analysis_t *a, timeline_conn_t *t, int kind, int sub, uint64_t frame) {
        t->events++;
        if (kind == EV_RETRANS)
                t->marks |= (uint8_t) (1u << TLK_RETRANS | (sub == 0 ? 1u << TLK_RTO : 0));
        else if (kind == EV_ZERO_WINDOW)
                t->marks |= 1u << TLK_ZERO_WINDOW;
        else if (kind == EV_RESET && sub <= 1)
                t->marks |= (uint8_t) (1u << (sub == 0 ? TLK_REFUSED : TLK_ABORTED));
        if (t->n_win >= TL_EVENTS)
                return;
        if (!t->win) {
                if (a->tl.live >= TL_LIVE_MAX || !(t->win = calloc(TL_EVENTS, sizeof(timeline_win_t)))) {
                        a->tl.events_unwatched++;
                        return;
                }
                a->tl.live++;
        }
        timeline_win_t *w = &t->win[t->n_win++];
        w->n = tl_ring_copy(t, w->line); /* its last packet is the event's own (tcp.c records it first) */
        w->frame = frame;
        w->kind = (uint8_t) kind;
        w->sub = (uint8_t) sub;
        w->after = TL_AROUND;
        t->taking++;
}

void timeline_event_sub(timeline_conn_t *t, uint64_t frame, int sub) {
        for (uint8_t i = 0; i < t->n_win; i++)
                if (t->win[i].frame == frame && t->win[i].kind == EV_RETRANS)
                        t->win[i].sub = (uint8_t) sub;
}

void timeline_conn_done(timeline_conn_t *t) {
        free(t->r);
        t->r = NULL;
        free(t->win);
        t->win = NULL;
        t->n_win = 0;
}

/* ---- the kept timelines ---- */

/* As flows.worst ranks flows (flow.c): the higher score, then more bytes, then the older. < 0: x first. */
static int tl_worst_cmp(const timeline_t *x, const timeline_t *y) {
        if (x->score != y->score)
                return x->score > y->score ? -1 : 1;
        if (x->bytes != y->bytes)
                return x->bytes > y->bytes ? -1 : 1;
        return x->id < y->id ? -1 : x->id > y->id;
}

static int tl_first_cmp(const timeline_t *x, const timeline_t *y) {
        if (x->first_event != y->first_event)
                return x->first_event < y->first_event ? -1 : 1;
        return x->id < y->id ? -1 : x->id > y->id;
}

/* Puts t into the sorted set v (n of cap) if it ranks; takes t, or frees it. */
static void tl_set_offer(timeline_t **v, uint32_t *n, uint32_t cap, timeline_t *t,
                         int (*cmp)(const timeline_t *, const timeline_t *)) {
        if (*n == cap) {
                if (cmp(t, v[*n - 1]) >= 0) {
                        free(t);
                        return;
                }
                free(v[--*n]);
        }
        uint32_t i = (*n)++;
        while (i > 0 && cmp(t, v[i - 1]) < 0) {
                v[i] = v[i - 1];
                i--;
        }
        v[i] = t;
}

static bool tl_set_ranks(timeline_t *const *v, uint32_t n, uint32_t cap, const timeline_t *t,
                         int (*cmp)(const timeline_t *, const timeline_t *)) {
        return n < cap || cmp(t, v[n - 1]) < 0;
}

/* The frame a connection's first event of kind k ranks it by (0: none): event lists keep events in frame order
 * and findings name the flows of their first items. */
static uint64_t tl_kind_frame(const tcp_conn_t *c, tl_kind_t k) {
        if (!(c->tl.marks & (1u << k)))
                return 0;
        const uint64_t *tr = c->trouble ? c->trouble->first : NULL;
        uint64_t v = 0;
        switch (k) {
        case TLK_RETRANS:
        case TLK_RTO:
                for (uint8_t i = 0; i < c->tl.n_win; i++)
                        if (c->tl.win[i].kind == EV_RETRANS && (k == TLK_RETRANS || c->tl.win[i].sub == 0)) {
                                v = c->tl.win[i].frame;
                                break;
                        }
                for (int x = TT_RTO; tr && x <= (k == TLK_RTO ? TT_RTO : TT_SPURIOUS); x++)
                        if (tr[x] && (!v || tr[x] < v))
                                v = tr[x];
                break;
        case TLK_ZERO_WINDOW:
                v = tr ? tr[TT_ZERO_WIN] : 0;
                break;
        case TLK_REFUSED:
        case TLK_ABORTED:
                v = tr ? tr[TT_RST] : 0; /* its first RST: a connection is refused or aborted once */
                break;
        default:
                v = c->syn_frame;
                break;
        }
        return v ? v : c->tl.first.frame; /* no memory for the trouble table: still ranked, late */
}

void timeline_mark(timeline_conn_t *t, tl_kind_t k) {
        t->marks |= (uint8_t) (1u << k);
}

void timeline_offer(analysis_t *a, const flow_t *f, const flow_summary_t *s) {
        tcp_conn_t *c = f->tcp;
        if (!c)
                return;
        timeline_conn_t *tc = &c->tl;
        timeline_state_t *st = &a->tl;
        timeline_t probe = { .id = s->id, .score = s->score, .bytes = s->bytes };
        bool worst = tl_set_ranks(st->worst, st->n_worst, TL_KEEP_WORST, &probe, tl_worst_cmp);
        uint64_t kf[_TLK_MAX];
        bool first[_TLK_MAX], any = worst;
        for (int k = 0; k < _TLK_MAX; k++) {
                kf[k] = tl_kind_frame(c, (tl_kind_t) k);
                probe.first_event = kf[k];
                first[k] = kf[k] && tl_set_ranks(st->first[k], st->n_first[k], TL_KEEP_FIRST, &probe, tl_first_cmp);
                any |= first[k];
        }
        timeline_t *t = any ? calloc(1, sizeof *t) : NULL;
        if (t) {
                *t = probe;
                t->key = s->key;
                t->first_frame = f->first_frame;
                t->base[0] = tc->base[0];
                t->base[1] = tc->base[1];
                t->base_set = tc->base_set;
                for (int d = 0; d < 2; d++)
                        t->scale[d] = (int8_t) tcp_scale(c, d);
                t->closed = f->closed;
                if (tc->r)
                        memcpy(t->hs, tc->r->hs, sizeof(tl_pkt_t) * tc->hs_n);
                else if (tc->hs_n)
                        t->hs[0] = tc->first;
                t->n_hs = tc->hs_n;
                t->hs_more = tc->hs_more;
                if (tc->win)
                        memcpy(t->win, tc->win, sizeof(timeline_win_t) * tc->n_win);
                t->n_win = tc->n_win;
                t->events = tc->events;
                t->n_end = tl_ring_copy(tc, t->end);
                t->last_frame = t->n_end ? t->end[t->n_end - 1].frame : f->first_frame;
                /* a copy in each set it ranks in (at most 1 + _TLK_MAX of 1.6 KB) */
                for (int k = 0; k < _TLK_MAX; k++) {
                        if (!first[k])
                                continue;
                        timeline_t *copy = malloc(sizeof *copy);
                        if (!copy)
                                break;
                        *copy = *t;
                        copy->first_event = kf[k];
                        tl_set_offer(st->first[k], &st->n_first[k], TL_KEEP_FIRST, copy, tl_first_cmp);
                }
                t->first_event = 0;
                if (worst)
                        tl_set_offer(st->worst, &st->n_worst, TL_KEEP_WORST, t, tl_worst_cmp);
                else
                        free(t);
        }
        if (tc->win)
                st->live--;
        timeline_conn_done(tc);
}

/* ---- the view: the findings' flows ---- */

const char *timeline_section_name(tl_section_t s) {
        static const char *const n[_TLS_MAX] = {
                [TLS_HANDSHAKE] = "handshake",
                [TLS_RETRANS_RTO] = "retransmission-rto",
                [TLS_RETRANS_FAST] = "retransmission-fast",
                [TLS_RETRANS_SPURIOUS] = "retransmission-spurious",
                [TLS_RETRANS_PMTU] = "retransmission-pmtu",
                [TLS_ZERO_WINDOW] = "zero-window",
                [TLS_RESET] = "reset",
                [TLS_TEARDOWN] = "teardown",
        };
        return s < _TLS_MAX ? n[s] : "";
}

/* As Wireshark's Info column names them, in its order: "SYN, ACK". */
const char *timeline_flags(uint8_t flags, char *buf, size_t len) {
        static const struct { uint8_t bit; const char *name; } f[] = {
                { TCP_FIN, "FIN" }, { TCP_SYN, "SYN" }, { TCP_RST, "RST" }, { TCP_PSH, "PSH" },
                { TCP_ACK, "ACK" }, { TCP_URG, "URG" }, { TCP_ECE, "ECE" }, { TCP_CWR, "CWR" },
        };
        size_t n = 0;
        if (len)
                buf[0] = 0;
        for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
                if (flags & f[i].bit) {
                        int r = snprintf(buf + n, len > n ? len - n : 0, "%s%s", n ? ", " : "", f[i].name);
                        if (r > 0)
                                n += (size_t) r;
                }
        return buf;
}

char *timeline_tshark(const analysis_t *a, const char *filter, const char *extra, char *buf, size_t len) {
        /* a name of 1,023 bytes, all quotes, is 4,094 quoted; a timeline's filter lists at most 41 frames */
        char name[4 * sizeof a->capture_name + 8], q[8192];
        if (a->capture_name[0]) {
                if (shell_quote(a->capture_name, name, sizeof name) < 0)
                        snprintf(name, sizeof name, "%s", TL_CAPTURE_PLACEHOLDER); /* too long to quote here */
        } else
                snprintf(name, sizeof name, "%s", TL_CAPTURE_PLACEHOLDER);
        if (shell_quote(filter, q, sizeof q) < 0) {
                buf[0] = 0; /* never a cut filter */
                return buf;
        }
        int r = snprintf(buf, len, "tshark -r %s -Y %s%s%s", name, q, extra ? " " : "", extra ? extra : "");
        if (r < 0 || (size_t) r >= len)
                buf[0] = 0;
        return buf;
}

char *timeline_filter(const timeline_t *t, char *buf, size_t len) {
        char f[256];
        flow_filter(&t->key, f, sizeof f);
        snprintf(buf, len, "%s && frame.number >= %llu && frame.number <= %llu", f,
                 (unsigned long long) t->first_frame, (unsigned long long) t->last_frame);
        return buf;
}

static bool tl_key_match(const flow_key_t *x, const flow_key_t *y) {
        if (x->proto != y->proto)
                return false;
        if (addr_equal(&x->a, &y->a) && addr_equal(&x->b, &y->b) && x->pa == y->pa && x->pb == y->pb)
                return true;
        return addr_equal(&x->a, &y->b) && addr_equal(&x->b, &y->a) && x->pa == y->pb && x->pb == y->pa;
}

/* The kept timeline of the connection of k that holds frame (any of k's when frame is 0). */
static const timeline_t *tl_find(const timeline_state_t *st, const flow_key_t *k, uint64_t frame) {
        timeline_t *const *sets[1 + _TLK_MAX] = { st->worst };
        uint32_t ns[1 + _TLK_MAX] = { st->n_worst };
        for (int x = 0; x < _TLK_MAX; x++) {
                sets[1 + x] = st->first[x];
                ns[1 + x] = st->n_first[x];
        }
        for (int s = 0; s < 1 + _TLK_MAX; s++)
                for (uint32_t i = 0; i < ns[s]; i++) {
                        const timeline_t *t = sets[s][i];
                        if (tl_key_match(&t->key, k) &&
                            (!frame || (frame >= t->first_frame && frame <= t->last_frame)))
                                return t;
                }
        return NULL;
}

typedef struct tl_cand {
        tl_line_t l;
        uint64_t prio;           /* the lower wins when two sections hold the same packet */
        uint32_t n;              /* its index in the connection */
} tl_cand_t;

static int tl_cand_cmp(const void *x, const void *y) {
        const tl_cand_t *a = x, *b = y;
        if (a->l.frame != b->l.frame)
                return a->l.frame < b->l.frame ? -1 : 1;
        return a->prio < b->prio ? -1 : a->prio > b->prio;
}

static tl_section_t tl_win_section(const timeline_win_t *w) {
        if (w->kind == EV_ZERO_WINDOW)
                return TLS_ZERO_WINDOW;
        if (w->kind == EV_RESET)
                return TLS_RESET;
        return w->sub == 1 ? TLS_RETRANS_FAST : w->sub == 2 ? TLS_RETRANS_SPURIOUS : w->sub == 3 ? TLS_RETRANS_PMTU
                                                                                              : TLS_RETRANS_RTO;
}

static void tl_cand_add(tl_cand_t *v, uint32_t *n, const timeline_t *t, const tl_pkt_t *p, tl_section_t sec,
                        uint64_t event_frame, uint64_t prio) {
        tl_line_t *l = &v[*n].l;
        *l = (tl_line_t) {
                .frame = p->frame, .ts = p->ts, .len = p->len, .flags = p->flags, .dir = p->dir,
                .section = (uint8_t) sec, .event_frame = event_frame, .at_event = event_frame == p->frame,
                .has_ack = (p->flags & TCP_ACK) != 0,
        };
        l->seq = p->seq - ((t->base_set & tl_mask(p->dir)) ? t->base[p->dir] : 0);
        l->ack = p->ack - ((t->base_set & tl_mask(!p->dir)) ? t->base[!p->dir] : 0);
        int sc = t->scale[p->dir];
        l->win = (sc > 0 && !(p->flags & TCP_SYN)) ? (uint64_t) p->win << sc : p->win;
        v[*n].prio = prio;
        v[*n].n = p->n;
        (*n)++;
}

/* A timeline's lines, in frame order, each packet once. Returns the count (at most max) in out. */
static uint32_t tl_lines(const timeline_t *t, tl_line_t *out, uint32_t max, uint32_t *ret_all) {
        tl_cand_t v[TL_HS + TL_EVENTS * TL_WIN + TL_RING];
        uint32_t n = 0;
        for (uint8_t i = 0; i < t->n_hs; i++)
                tl_cand_add(v, &n, t, &t->hs[i], TLS_HANDSHAKE, 0, 1);
        for (uint8_t w = 0; w < t->n_win; w++)
                for (uint8_t i = 0; i < t->win[w].n; i++) {
                        const tl_pkt_t *p = &t->win[w].line[i];
                        uint64_t ef = t->win[w].frame;
                        /* the event's own packet first, then the handshake and teardown, then the nearest event */
                        uint64_t prio = p->frame == ef ? 0 : 10 + (p->frame > ef ? p->frame - ef : ef - p->frame);
                        tl_cand_add(v, &n, t, p, tl_win_section(&t->win[w]), ef, prio);
                }
        if (t->closed) {
                uint8_t from = t->n_end;
                for (uint8_t i = 0; i < t->n_end; i++)
                        if (t->end[i].flags & (TCP_FIN | TCP_RST)) {
                                from = i;
                                break;
                        }
                for (uint8_t i = from; i < t->n_end; i++)
                        tl_cand_add(v, &n, t, &t->end[i], TLS_TEARDOWN, 0, 2);
        }
        qsort(v, n, sizeof v[0], tl_cand_cmp);
        uint32_t k = 0, all = 0;
        int64_t prev = -1;
        for (uint32_t i = 0; i < n; i++) {
                if (i > 0 && v[i].l.frame == v[i - 1].l.frame)
                        continue;
                all++;
                if (k < max) {
                        out[k] = v[i].l;
                        out[k].skipped = prev >= 0 ? v[i].n - (uint32_t) prev - 1 : v[i].n;
                        k++;
                }
                prev = v[i].n;
        }
        *ret_all = all;
        return k;
}

void timeline_done(timeline_state_t *s) {
        for (uint32_t i = 0; i < s->n_worst; i++)
                free(s->worst[i]);
        for (int k = 0; k < _TLK_MAX; k++) {
                for (uint32_t i = 0; i < s->n_first[k]; i++)
                        free(s->first[k][i]);
                s->n_first[k] = 0;
        }
        s->n_worst = 0;
        for (uint32_t i = 0; i < s->n_items; i++)
                free(s->items[i].lines);
        free(s->items);
        free(s->refs);
        s->items = NULL;
        s->refs = NULL;
        s->n_items = 0;
}

int timeline_view_build(analysis_t *a) {
        timeline_state_t *st = &a->tl;
        st->t0 = a->series.t0; /* the first packet's timestamp, as frame.time_relative counts */
        st->items = calloc((size_t) FINDINGS_MAX * 5, sizeof(tl_item_t));
        st->refs = calloc((size_t) FINDINGS_MAX * 5, sizeof(tl_ref_t));
        if (!st->items || !st->refs) {
                free(st->items);
                free(st->refs);
                st->items = NULL;
                st->refs = NULL;
                return -ENOMEM;
        }
        for (unsigned i = 0; i < a->n_findings; i++) {
                const finding_t *f = &a->findings[i];
                for (unsigned k = 0; k < f->n_flows; k++) {
                        tl_ref_t *r = &st->refs[i * 5 + k];
                        r->key = f->flow_key[k];
                        r->frame = f->flow_frame[k];
                        r->item = -1;
                        if (r->key.proto != 6)
                                continue;
                        const timeline_t *t = tl_find(st, &r->key, r->frame);
                        if (!t) {
                                st->not_kept++;
                                continue;
                        }
                        for (uint32_t j = 0; j < st->n_items && r->item < 0; j++)
                                if (st->items[j].t->id == t->id)
                                        r->item = (int32_t) j;
                        if (r->item >= 0)
                                continue;
                        tl_item_t *it = &st->items[st->n_items];
                        it->t = t;
                        r->item = (int32_t) st->n_items++;
                        uint32_t room = st->lines < TL_LINES_MAX ? TL_LINES_MAX - st->lines : 0, all = 0;
                        it->lines = calloc(TL_HS + TL_EVENTS * TL_WIN + TL_RING, sizeof(tl_line_t));
                        if (!it->lines)
                                room = 0;
                        it->n_lines = tl_lines(t, it->lines ? it->lines : &(tl_line_t) { 0 }, it->lines ? room : 0,
                                               &all);
                        it->lines_left_out = all - it->n_lines;
                        st->lines += it->n_lines;
                        st->lines_left_out += it->lines_left_out;
                        if (it->n_lines == 0 && all > 0)
                                st->items_left_out++;
                }
        }
        return 0;
}
