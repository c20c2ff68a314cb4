/* Capture duplicates: a direct-mapped table of the last packets' identities. A packet that collides with
 * another evicts it, so a copy can be missed (and is then read as a retransmission, as before) but a
 * packet is never taken for a copy of one it does not match byte for byte. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "util/hash.h"

#define DUP_HASHED_BYTES 128     /* IP header + transport header + start of payload: the transport
                                  * checksum in there covers the rest */

int dup_init(dup_state_t *d, uint64_t seed) {
        *d = (dup_state_t) { .seed = seed };
        d->slots = calloc(DUP_SLOTS, sizeof *d->slots);
        d->pair_ts = calloc(DUP_PAIRS, sizeof *d->pair_ts);
        if (!d->slots || !d->pair_ts) {
                dup_done(d);
                return -ENOMEM;
        }
        for (size_t i = 0; i < DUP_PAIRS; i++)
                d->pair_ts[i] = INT64_MIN;
        return 0;
}

void dup_done(dup_state_t *d) {
        free(d->slots);
        free(d->pair_ts);
        d->slots = NULL;
        d->pair_ts = NULL;
}

bool dup_key_make(const dup_state_t *d, const packet_t *p, dup_key_t *ret) {
        uint8_t buf[DUP_HASHED_BYTES];
        if (!p->ip_hdr || p->ip_hdr_caplen < 20)
                return false;
        size_t n = p->ip_hdr_caplen < sizeof buf ? p->ip_hdr_caplen : sizeof buf;
        memcpy(buf, p->ip_hdr, n);
        bool v4 = (buf[0] >> 4) == 4;
        if (v4) {
                buf[8] = 0;              /* TTL */
                buf[10] = buf[11] = 0;   /* header checksum, which covers the TTL */
        } else if (n >= 8)
                buf[7] = 0;              /* hop limit */
        uint64_t h = hash_bytes(d->seed, buf, n);
        *ret = (dup_key_t) {
                .hash = hash_mix64(h ^ p->ip_len),
                .strong = v4 ? p->ip_id != 0 : p->frag,
        };
        return true;
}

static dup_slot_t *dup_slot(const dup_state_t *d, uint64_t hash) {
        return &d->slots[hash & (DUP_SLOTS - 1)];
}

const dup_slot_t *dup_find(const dup_state_t *d, const dup_key_t *k, int64_t ts) {
        const dup_slot_t *s = dup_slot(d, k->hash);
        if (s->hash != k->hash || s->ts == 0 || ts < s->ts || ts - s->ts > DUP_WINDOW_STRONG)
                return NULL;
        return s;
}

bool dup_is_copy(const dup_slot_t *orig, bool strong, int64_t ts, uint64_t flow_id, uint64_t rev_packets) {
        if (strong)
                return ts - orig->ts <= DUP_WINDOW_STRONG;
        return ts - orig->ts <= DUP_WINDOW_WEAK && orig->flow_id == flow_id && orig->rev_packets == rev_packets;
}

void dup_remember(dup_state_t *d, const dup_key_t *k, int64_t ts, uint64_t flow_id, uint64_t rev_packets) {
        *dup_slot(d, k->hash) = (dup_slot_t) {
                .hash = k->hash, .ts = ts ? ts : 1, .flow_id = flow_id, .rev_packets = rev_packets,
        };
}

void dup_count(dup_state_t *d, const dup_slot_t *orig, int64_t ts, uint32_t wirelen, uint64_t frame) {
        d->count++;
        d->bytes += wirelen;
        if (!d->first_frame)
                d->first_frame = frame;
        if (ts - orig->ts > d->max_delay)
                d->max_delay = ts - orig->ts;
}

static size_t dup_pair_index(const dup_state_t *d, const addr_t *from, const addr_t *to) {
        uint8_t b[32];
        memcpy(b, from->b, 16);
        memcpy(b + 16, to->b, 16);
        return hash_bytes(d->seed, b, sizeof b) & (DUP_PAIRS - 1);
}

void dup_pair_note(dup_state_t *d, const packet_t *p) {
        d->pair_ts[dup_pair_index(d, &p->src, &p->dst)] = p->ts_ns;
}

bool dup_pair_quiet_since(const dup_state_t *d, const packet_t *p, int64_t since) {
        return d->pair_ts[dup_pair_index(d, &p->dst, &p->src)] < since;
}
