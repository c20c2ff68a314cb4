/* IP fragments (frag.c): datagrams put together by their byte ranges, complete or not; the table of those
 * being reassembled is bounded. Included by engine.h. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct frag_entry {
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

typedef struct frag_state {
        frag_entry_t *e;
        uint32_t cap, n;
        uint64_t fragments, v4_fragments, v6_fragments, datagrams, completed, incomplete, overflow;
} frag_state_t;

struct analysis;
struct packet;
int frag_init(frag_state_t *s, uint32_t cap);
void frag_done(frag_state_t *s);
void frag_packet(struct analysis *a, const struct packet *p);
void frag_finish(struct analysis *a);
