/* Failed logins slow down (issue 13): a fixed table of failure counts by key (a client address, or an
 * account with an address), exponential back-off past a few free tries, bounded memory whatever the number
 * of keys (the least recently failed entry of a neighbourhood gives way). Keys are hashed with SipHash under
 * a random key, so no one can aim a key at another's slot. Loop thread only. */
#pragma once

#include <stdint.h>

#include "util/siphash.h"

#define THROTTLE_SLOTS 8192
#define THROTTLE_PROBE 8
#define THROTTLE_FORGET_MS (3600 * 1000)   /* failures older than this are forgotten */

typedef struct throttle_slot {
        uint64_t key;          /* 0: free */
        uint32_t failures;
        int64_t last_ms;
        int64_t until_ms;      /* no attempt before */
} throttle_slot_t;

typedef struct throttle {
        siphash_key_t sip;
        throttle_slot_t slots[THROTTLE_SLOTS];
} throttle_t;

/* 0 or -errno (no randomness). */
int throttle_init(throttle_t *t);
/* Milliseconds key must still wait before an attempt (0: it may try now). */
int64_t throttle_wait(const throttle_t *t, const char *key, int64_t now);
/* A failure for key: past free_tries failures within THROTTLE_FORGET_MS, each one doubles the wait, from
 * one second up to cap_ms. */
void throttle_fail(throttle_t *t, const char *key, int64_t now, unsigned free_tries, int64_t cap_ms);
/* A success: key's failures are forgotten. */
void throttle_clear(throttle_t *t, const char *key);
