/* IP fragments (frag.c): datagrams put together by their byte ranges, complete or not; the table of those
 * being reassembled is bounded. Included by engine.h. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "util/siphash.h"
#include "util/table.h"

#define FRAG_NONE UINT32_MAX

typedef struct frag_entry {
        uint32_t prev, next;     /* the order of eviction: completed first, then least recently touched */
        addr_t src, dst;
        uint32_t id;
        uint8_t proto;
        uint8_t used;
        bool have_last;
        bool done;               /* completed; kept a while so that duplicated fragments are recognised */
        uint8_t n_iv;
        uint32_t total;          /* datagram payload length, known once the last fragment is seen */
        uint32_t iv[32][2];      /* byte ranges received, merged; more pieces than that: incomplete */
        int64_t first_ts, last_ts;
} frag_entry_t;

/* Datagrams being put together: at most cap, in the one open-addressing table (util/table.h) under SipHash
 * with the analysis's random key (no capture can make the lookups collide), kept in a list in the order
 * they are evicted when the table is full, so that a flood of fragments costs O(1) per fragment. */
typedef struct frag_state {
        table_t t;               /* of frag_entry_t, by (src, dst, id, proto) */
        uint32_t head, tail;     /* the eviction list (references); head goes first */
        siphash_key_t key;
        uint32_t cap;
        uint64_t fragments, v4_fragments, v6_fragments, datagrams, completed, incomplete, overflow;
} frag_state_t;

struct analysis;
struct packet;
int frag_init(frag_state_t *s, uint32_t cap, const siphash_key_t *key);
void frag_done(frag_state_t *s);
void frag_packet(struct analysis *a, const struct packet *p);
void frag_finish(struct analysis *a);
