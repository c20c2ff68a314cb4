/* Capture duplicates (dup.c): the same IP packet recorded twice, as a SPAN port that sees both directions of
 * a router or a capture on a bridge and one of its ports do. A copy is not a retransmission: it is counted
 * apart and kept out of every flow, TCP, DNS, ICMP and fragment figure. Included by engine.h; the rule and
 * its reasons are in ANALYSES.md ("Capture duplicates"). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "util/siphash.h"

#define DUP_SLOTS 2048                   /* recent packets remembered, by hash (48 KiB) */
#define DUP_WAYS 4                       /* slots per set: one cache line of 64 bytes holds 2.7 of them */
#define DUP_WINDOW_STRONG (50 * 1000000LL) /* ns: copy of a datagram with an identification */
#define DUP_WINDOW_WEAK (5 * 1000000LL)    /* ns: copy of a datagram without one */
#define DUP_PAIRS 1024                   /* last packet time per ordered host pair (packets outside flows) */

typedef struct dup_slot {
        uint64_t hash;
        int64_t ts;
        uint32_t flow_id;        /* the original's flow id + 1 (low bits); 0: no flow */
        uint32_t rev_packets;    /* packets its flow had in the other direction after it (low bits) */
} dup_slot_t;

typedef struct dup_state {
        dup_slot_t *slots;
        int64_t *pair_ts;
        siphash_key_t key;       /* the analysis's: the bytes hashed are the uploader's */
        uint64_t count, bytes;   /* copies recognised */
        uint64_t first_frame;    /* frame number of the first copy, 0: none */
        int64_t max_delay;       /* ns between a copy and its original, the largest seen */
} dup_state_t;

/* What identifies a datagram: a hash of its bytes as sent (TTL or hop limit and the IPv4 header checksum
 * left out: a copy taken on the far side of a router differs only there), and whether the datagram
 * carries an identification that a resent datagram would not share (a non-zero IPv4 ID, an IPv6 fragment
 * header's ID). */
typedef struct dup_key {
        uint64_t hash;
        bool strong;
} dup_key_t;

struct packet;
int dup_init(dup_state_t *d, const siphash_key_t *key);
void dup_done(dup_state_t *d);
/* False when the packet has no IP header to identify it by. */
bool dup_key_make(const dup_state_t *d, const struct packet *p, dup_key_t *ret);
/* The remembered packet this one has the bytes of, if it came at most DUP_WINDOW_STRONG before (NULL if
 * none); dup_is_copy decides. */
const dup_slot_t *dup_find(const dup_state_t *d, const dup_key_t *k, int64_t ts);
/* Whether a packet with the original's bytes, at ts, is a copy of it. strong: its identification can be
 * trusted (the key's, and the sender is seen to number its datagrams): a copy within DUP_WINDOW_STRONG.
 * Otherwise within DUP_WINDOW_WEAK, and only if the flow's other direction sent nothing in between (a
 * resend that the receiver asks for, by duplicate ACKs or SACK, needs a packet from it first). */
bool dup_is_copy(const dup_slot_t *orig, bool strong, int64_t ts, uint64_t flow_id, uint64_t rev_packets);
void dup_remember(dup_state_t *d, const dup_key_t *k, int64_t ts, uint64_t flow_id, uint64_t rev_packets);
/* Packets outside flows (ICMP, later fragments, other protocols) have no flow to tell whether the other side
 * answered in between: the time of the last packet per ordered host pair does (a collision makes a copy
 * look answered, so it is missed, never invented). */
void dup_pair_note(dup_state_t *d, const struct packet *p);
bool dup_pair_quiet_since(const dup_state_t *d, const struct packet *p, int64_t since);
void dup_count(dup_state_t *d, const dup_slot_t *orig, int64_t ts, uint32_t wirelen, uint64_t frame);
