/* IP fragmentation (RFC 791 section 3.2, RFC 8200 section 4.5): fragments, datagrams, and datagrams that
 * never completed. Only coverage is tracked (no payload reassembly): memory is bounded by the table. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

#define FRAG_TIMEOUT (60 * NS_PER_S)

int frag_init(frag_state_t *s, uint32_t cap, const siphash_key_t *key) {
        *s = (frag_state_t) { .cap = cap ? cap : 1, .key = *key, .head = FRAG_NONE, .tail = FRAG_NONE };
        return table_init(&s->t, sizeof(frag_entry_t), s->cap, s->cap);
}

void frag_done(frag_state_t *s) {
        table_done(&s->t);
}

static uint64_t frag_hash(const frag_state_t *s, const addr_t *src, const addr_t *dst, uint32_t id, uint8_t proto) {
        uint8_t b[38];
        memcpy(b, src->b, 16);
        memcpy(b + 16, dst->b, 16);
        memcpy(b + 32, &id, 4);
        b[36] = proto;
        b[37] = src->family;
        return siphash13(&s->key, b, sizeof b);
}

/* ---- the eviction list ---- */

static frag_entry_t *frag_entry(const frag_state_t *s, uint32_t i) {
        return table_entry(&s->t, i);
}

static void list_unlink(frag_state_t *s, uint32_t i) {
        frag_entry_t *e = frag_entry(s, i);
        if (e->prev != FRAG_NONE)
                frag_entry(s, e->prev)->next = e->next;
        else
                s->head = e->next;
        if (e->next != FRAG_NONE)
                frag_entry(s, e->next)->prev = e->prev;
        else
                s->tail = e->prev;
        e->prev = e->next = FRAG_NONE;
}

static void list_push_tail(frag_state_t *s, uint32_t i) {
        frag_entry(s, i)->prev = s->tail;
        frag_entry(s, i)->next = FRAG_NONE;
        if (s->tail != FRAG_NONE)
                frag_entry(s, s->tail)->next = i;
        else
                s->head = i;
        s->tail = i;
}

static void list_push_head(frag_state_t *s, uint32_t i) {
        frag_entry(s, i)->next = s->head;
        frag_entry(s, i)->prev = FRAG_NONE;
        if (s->head != FRAG_NONE)
                frag_entry(s, s->head)->prev = i;
        else
                s->tail = i;
        s->head = i;
}

static uint32_t frag_find(frag_state_t *s, uint64_t h, const packet_t *p) {
        table_probe_t pr;
        for (uint32_t i = table_find(&s->t, &pr, h); i != TABLE_NONE; i = table_find_next(&s->t, &pr)) {
                const frag_entry_t *x = frag_entry(s, i);
                if (x->id == p->frag_id && x->proto == p->proto && addr_equal(&x->src, &p->src) &&
                    addr_equal(&x->dst, &p->dst))
                        return i;
        }
        return FRAG_NONE;
}

static void frag_close(frag_state_t *s, uint32_t i) {
        if (!frag_entry(s, i)->done)
                s->incomplete++;
        list_unlink(s, i);
        frag_entry(s, i)->used = 0;
        table_remove(&s->t, i);
}

/* Adds [from, to) to the received ranges, merging overlaps and neighbours (duplicates change nothing). */
static void frag_cover(frag_entry_t *e, uint32_t from, uint32_t to) {
        uint32_t nf = from, nt = to, k = 0;
        uint32_t out[32][2];
        for (uint8_t j = 0; j < e->n_iv; j++) {
                if (e->iv[j][1] < nf || e->iv[j][0] > nt) {
                        if (k < 32) {
                                out[k][0] = e->iv[j][0];
                                out[k][1] = e->iv[j][1];
                                k++;
                        }
                        continue;
                }
                if (e->iv[j][0] < nf)
                        nf = e->iv[j][0];
                if (e->iv[j][1] > nt)
                        nt = e->iv[j][1];
        }
        if (k < 32) {
                out[k][0] = nf;
                out[k][1] = nt;
                k++;
        }
        memcpy(e->iv, out, sizeof(uint32_t) * 2 * k);
        e->n_iv = (uint8_t) k;
}

void frag_packet(analysis_t *a, const packet_t *p) {
        frag_state_t *s = &a->frag;
        s->fragments++;
        if (p->l3 == L3_IPV6)
                s->v6_fragments++;
        else
                s->v4_fragments++;

        uint64_t h = frag_hash(s, &p->src, &p->dst, p->frag_id, p->proto);
        uint32_t i = frag_find(s, h, p);
        if (i != FRAG_NONE && frag_entry(s, i)->done && p->ts_ns - frag_entry(s, i)->last_ts > FRAG_TIMEOUT) {
                frag_close(s, i); /* the id was reused after a while: a new datagram */
                i = FRAG_NONE;
        }
        if (i == FRAG_NONE) {
                if (s->t.n == s->cap) {
                        /* full: the head goes, a completed or timed-out datagram if there is one (completed ones
                         * go to the head, and the least recently touched is next), else the oldest */
                        uint32_t old = s->head;
                        if (!frag_entry(s, old)->done && p->ts_ns - frag_entry(s, old)->last_ts <= FRAG_TIMEOUT)
                                s->overflow++;
                        frag_close(s, old);
                }
                if (table_add(&s->t, h, &i) < 0)
                        return; /* cannot be: all cap entries were allocated at the start, one is free */
                *frag_entry(s, i) = (frag_entry_t) { .src = p->src, .dst = p->dst, .id = p->frag_id,
                                                     .proto = p->proto, .used = 1, .first_ts = p->ts_ns,
                                                     .prev = FRAG_NONE, .next = FRAG_NONE };
                list_push_tail(s, i);
                s->datagrams++;
        } else if (!frag_entry(s, i)->done) {
                /* touched: last to go (a completed one stays at the head) */
                list_unlink(s, i);
                list_push_tail(s, i);
        }
        frag_entry_t *e = frag_entry(s, i);
        e->last_ts = p->ts_ns;
        if (e->done)
                return; /* a duplicate of a fragment of a completed datagram */
        uint32_t to = p->frag_off + p->frag_payload;
        if (to < p->frag_off)
                to = UINT32_MAX;
        frag_cover(e, p->frag_off, to);
        if (!p->frag_more) {
                e->have_last = true;
                e->total = to;
        }
        if (e->have_last && e->n_iv == 1 && e->iv[0][0] == 0 && e->iv[0][1] >= e->total) {
                e->done = true;
                s->completed++;
                list_unlink(s, i);
                list_push_head(s, i);
        }
}

void frag_finish(analysis_t *a) {
        frag_state_t *s = &a->frag;
        while (s->head != FRAG_NONE)
                frag_close(s, s->head);
}
