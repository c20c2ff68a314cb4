/* Capture duplicates: a table of the last packets' identities, 4-way set-associative (the oldest of a set
 * makes room). Direct-mapped, two live packets of one slot evicted each other often enough to miss a copy
 * in 9 % of runs of capture-duplicates.pcap (its key is random); a missed copy is read as a retransmission,
 * as before, and a packet is never taken for a copy of one it does not match byte for byte. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

/* Bytes hashed from the IP header on: the IPv4 header and the first 44 bytes after it, or the IPv6 header and
 * 40 after it (a TCP header with its checksum, which covers the rest; a UDP header with its own, or an IPv6
 * extension header). */
#define DUP_HASHED_V4 64
#define DUP_HASHED_V6 80

int dup_init(dup_state_t *d, const siphash_key_t *key) {
        *d = (dup_state_t) { .key = *key };
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
        if (!p->ip_hdr || p->ip_hdr_caplen < 20)
                return false;
        bool v4 = (p->ip_hdr[0] >> 4) == 4;
        size_t n = v4 ? DUP_HASHED_V4 : DUP_HASHED_V6;
        if (n > p->ip_hdr_caplen)
                n = p->ip_hdr_caplen;
        /* SipHash-1-3 under the analysis's key of the datagram's length and its first n bytes, of which the
         * TTL and checksum (IPv4) or the hop limit (IPv6) are cleared: a copy may differ there. Equal hashes
         * are taken for equal bytes: without the key, no capture can make two datagrams' hashes meet. */
        uint8_t b[4 + DUP_HASHED_V6];
        memcpy(b, &p->ip_len, 4);
        memcpy(b + 4, p->ip_hdr, n);
        if (v4) {
                b[4 + 8] = 0;                 /* TTL */
                b[4 + 10] = b[4 + 11] = 0;    /* header checksum, which covers the TTL */
        } else
                b[4 + 7] = 0;                 /* hop limit */
        *ret = (dup_key_t) {
                .hash = siphash13(&d->key, b, 4 + n),
                .strong = v4 ? p->ip_id != 0 : p->frag,
        };
        return true;
}

/* The set of a hash: DUP_WAYS slots in a row. */
static dup_slot_t *dup_set(const dup_state_t *d, uint64_t hash) {
        return &d->slots[(hash & (DUP_SLOTS / DUP_WAYS - 1)) * DUP_WAYS];
}

const dup_slot_t *dup_find(const dup_state_t *d, const dup_key_t *k, int64_t ts) {
        const dup_slot_t *set = dup_set(d, k->hash);
        for (unsigned w = 0; w < DUP_WAYS; w++) {
                const dup_slot_t *s = &set[w];
                if (s->hash == k->hash && s->ts != 0 && ts >= s->ts && ts - s->ts <= DUP_WINDOW_STRONG)
                        return s;
        }
        return NULL;
}

bool dup_is_copy(const dup_slot_t *orig, bool strong, int64_t ts, uint64_t flow_id, uint64_t rev_packets) {
        if (strong)
                return ts - orig->ts <= DUP_WINDOW_STRONG;
        return ts - orig->ts <= DUP_WINDOW_WEAK && orig->flow_id == (uint32_t) flow_id &&
               orig->rev_packets == (uint32_t) rev_packets;
}

void dup_remember(dup_state_t *d, const dup_key_t *k, int64_t ts, uint64_t flow_id, uint64_t rev_packets) {
        dup_slot_t *set = dup_set(d, k->hash), *victim = &set[0];
        /* the same identity again replaces itself; else an empty slot, else the oldest */
        for (unsigned w = 0; w < DUP_WAYS; w++) {
                if (set[w].hash == k->hash && set[w].ts != 0) {
                        victim = &set[w];
                        break;
                }
                if (set[w].ts < victim->ts)
                        victim = &set[w];
        }
        *victim = (dup_slot_t) {
                .hash = k->hash, .ts = ts ? ts : 1, .flow_id = (uint32_t) flow_id, .rev_packets = (uint32_t) rev_packets,
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
        return siphash13(&d->key, b, sizeof b) & (DUP_PAIRS - 1);
}

void dup_pair_note(dup_state_t *d, const packet_t *p) {
        d->pair_ts[dup_pair_index(d, &p->src, &p->dst)] = p->ts_ns;
}

bool dup_pair_quiet_since(const dup_state_t *d, const packet_t *p, int64_t since) {
        return d->pair_ts[dup_pair_index(d, &p->dst, &p->src)] < since;
}
