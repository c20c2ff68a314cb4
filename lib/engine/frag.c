/* IP fragmentation (RFC 791 section 3.2, RFC 8200 section 4.5): fragments, datagrams, and datagrams that
 * never completed. Only coverage is tracked (no payload reassembly): memory is bounded by the table. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

#define FRAG_TIMEOUT (60 * NS_PER_S)

int frag_init(frag_state_t *s, uint32_t cap) {
        *s = (frag_state_t) { .cap = cap ? cap : 1 };
        s->e = calloc(s->cap, sizeof(frag_entry_t));
        return s->e ? 0 : -ENOMEM;
}

void frag_done(frag_state_t *s) {
        free(s->e);
        s->e = NULL;
}

/* Entries are kept dense in e[0..n): closing one moves the last into its place. */
static void frag_close(frag_state_t *s, uint32_t i) {
        if (!s->e[i].done)
                s->incomplete++;
        s->e[i] = s->e[--s->n];
        memset(&s->e[s->n], 0, sizeof(frag_entry_t));
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

        uint32_t i;
        for (i = 0; i < s->n; i++) {
                frag_entry_t *x = &s->e[i];
                if (x->id == p->frag_id && x->proto == p->proto && addr_equal(&x->src, &p->src) &&
                    addr_equal(&x->dst, &p->dst))
                        break;
        }
        if (i < s->n && s->e[i].done && p->ts_ns - s->e[i].last_ts > FRAG_TIMEOUT)
                frag_close(s, i), i = s->n; /* the id was reused after a while: a new datagram */
        if (i == s->n) {
                if (s->n == s->cap) {
                        /* full: drop datagrams that completed or timed out, else the oldest */
                        uint32_t oldest = 0;
                        for (uint32_t j = 0; j < s->n;) {
                                if (s->e[j].done || p->ts_ns - s->e[j].last_ts > FRAG_TIMEOUT) {
                                        frag_close(s, j);
                                        continue;
                                }
                                if (s->e[j].last_ts < s->e[oldest].last_ts)
                                        oldest = j;
                                j++;
                        }
                        if (s->n == s->cap) {
                                s->overflow++;
                                frag_close(s, oldest);
                        }
                }
                i = s->n++;
                s->e[i] = (frag_entry_t) { .src = p->src, .dst = p->dst, .id = p->frag_id, .proto = p->proto,
                                           .used = 1, .first_ts = p->ts_ns };
                s->datagrams++;
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
        }
}

void frag_finish(analysis_t *a) {
        frag_state_t *s = &a->frag;
        while (s->n > 0)
                frag_close(s, s->n - 1);
}
