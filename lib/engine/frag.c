/* IP fragmentation (RFC 791 section 3.2, RFC 8200 section 4.5): fragments, datagrams, and datagrams that
 * never completed. Only coverage is tracked (no payload reassembly): memory is bounded by the table. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

#define FRAG_TIMEOUT (60 * NS_PER_S)

int frag_init(frag_state_t *s, uint32_t cap, const siphash_key_t *key) {
        uint32_t icap = 2;

        *s = (frag_state_t) { .cap = cap ? cap : 1, .key = *key, .head = FRAG_NONE, .tail = FRAG_NONE };
        while (icap < 2 * s->cap)
                icap <<= 1;
        s->index_mask = icap - 1;
        s->e = calloc(s->cap, sizeof(frag_entry_t));
        s->index = calloc(icap, sizeof(uint32_t));
        s->free = calloc(s->cap, sizeof(uint32_t));
        if (!s->e || !s->index || !s->free) {
                frag_done(s);
                return -ENOMEM;
        }
        for (uint32_t i = 0; i < s->cap; i++)
                s->free[i] = s->cap - 1 - i; /* slot 0 first */
        s->n_free = s->cap;
        return 0;
}

void frag_done(frag_state_t *s) {
        free(s->e);
        free(s->index);
        free(s->free);
        s->e = NULL;
        s->index = NULL;
        s->free = NULL;
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

static void list_unlink(frag_state_t *s, uint32_t i) {
        frag_entry_t *e = &s->e[i];
        if (e->prev != FRAG_NONE)
                s->e[e->prev].next = e->next;
        else
                s->head = e->next;
        if (e->next != FRAG_NONE)
                s->e[e->next].prev = e->prev;
        else
                s->tail = e->prev;
        e->prev = e->next = FRAG_NONE;
}

static void list_push_tail(frag_state_t *s, uint32_t i) {
        s->e[i].prev = s->tail;
        s->e[i].next = FRAG_NONE;
        if (s->tail != FRAG_NONE)
                s->e[s->tail].next = i;
        else
                s->head = i;
        s->tail = i;
}

static void list_push_head(frag_state_t *s, uint32_t i) {
        s->e[i].next = s->head;
        s->e[i].prev = FRAG_NONE;
        if (s->head != FRAG_NONE)
                s->e[s->head].prev = i;
        else
                s->tail = i;
        s->head = i;
}

/* ---- the index: linear probing, deletion by shifting back (no tombstones) ---- */

static uint32_t index_find(const frag_state_t *s, uint64_t h, const packet_t *p) {
        for (uint32_t j = (uint32_t) h & s->index_mask;; j = (j + 1) & s->index_mask) {
                uint32_t v = s->index[j];
                if (v == 0)
                        return FRAG_NONE;
                const frag_entry_t *x = &s->e[v - 1];
                if (x->hash == h && x->id == p->frag_id && x->proto == p->proto && addr_equal(&x->src, &p->src) &&
                    addr_equal(&x->dst, &p->dst))
                        return v - 1;
        }
}

static void index_insert(frag_state_t *s, uint32_t i) {
        uint32_t j = (uint32_t) s->e[i].hash & s->index_mask;
        while (s->index[j] != 0)
                j = (j + 1) & s->index_mask;
        s->index[j] = i + 1;
}

static void index_remove(frag_state_t *s, uint32_t i) {
        uint32_t j = (uint32_t) s->e[i].hash & s->index_mask;
        while (s->index[j] != i + 1)
                j = (j + 1) & s->index_mask;
        /* shift back the entries of the run after j that may sit at or before j */
        for (uint32_t k = (j + 1) & s->index_mask; s->index[k] != 0; k = (k + 1) & s->index_mask) {
                uint32_t home = (uint32_t) s->e[s->index[k] - 1].hash & s->index_mask;
                /* k's entry may move to j when its home is not within (j, k] (cyclically) */
                if (((k - home) & s->index_mask) >= ((k - j) & s->index_mask)) {
                        s->index[j] = s->index[k];
                        j = k;
                }
        }
        s->index[j] = 0;
}

static void frag_close(frag_state_t *s, uint32_t i) {
        if (!s->e[i].done)
                s->incomplete++;
        index_remove(s, i);
        list_unlink(s, i);
        memset(&s->e[i], 0, sizeof(frag_entry_t));
        s->free[s->n_free++] = i;
        s->n--;
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
        uint32_t i = index_find(s, h, p);
        if (i != FRAG_NONE && s->e[i].done && p->ts_ns - s->e[i].last_ts > FRAG_TIMEOUT) {
                frag_close(s, i); /* the id was reused after a while: a new datagram */
                i = FRAG_NONE;
        }
        if (i == FRAG_NONE) {
                if (s->n == s->cap) {
                        /* full: the head goes, a completed or timed-out datagram if there is one (completed ones
                         * go to the head, and the least recently touched is next), else the oldest */
                        uint32_t old = s->head;
                        if (!s->e[old].done && p->ts_ns - s->e[old].last_ts <= FRAG_TIMEOUT)
                                s->overflow++;
                        frag_close(s, old);
                }
                i = s->free[--s->n_free];
                s->n++;
                s->e[i] = (frag_entry_t) { .hash = h, .src = p->src, .dst = p->dst, .id = p->frag_id,
                                           .proto = p->proto, .used = 1, .first_ts = p->ts_ns,
                                           .prev = FRAG_NONE, .next = FRAG_NONE };
                index_insert(s, i);
                list_push_tail(s, i);
                s->datagrams++;
        } else if (!s->e[i].done) {
                /* touched: last to go (a completed one stays at the head) */
                list_unlink(s, i);
                list_push_tail(s, i);
        }
        frag_entry_t *e = &s->e[i];
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
