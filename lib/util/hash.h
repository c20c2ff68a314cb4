/* Non-cryptographic hashing for in-memory tables: a 64-bit finaliser and a seeded hash of a byte run.
 * Tables keyed by what an uploader controls take a random seed (analysis_new) and bound their probing. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The MurmurHash3 64-bit finaliser: every input bit reaches every output bit. */
static inline uint64_t hash_mix64(uint64_t h) {
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdULL;
        h ^= h >> 33;
        h *= 0xc4ceb9fe1a85ec53ULL;
        h ^= h >> 33;
        return h;
}

/* Runs of bytes into a hash state, eight at a time (the tail zero-padded): update() as often as needed, then
 * hash_mix64() the state. A run's length should be mixed into the seed when runs may differ only by trailing
 * zero bytes. */
static inline uint64_t hash_update(uint64_t h, const void *p, size_t n) {
        const uint8_t *b = p;
        while (n >= 8) {
                uint64_t w;
                memcpy(&w, b, 8);
                h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
                h = h << 31 | h >> 33;
                b += 8;
                n -= 8;
        }
        if (n > 0) {
                uint64_t w = 0;
                memcpy(&w, b, n);
                h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
                h = h << 31 | h >> 33;
        }
        return h;
}

/* A seeded hash of n bytes, finalised; the length is mixed in. */
static inline uint64_t hash_bytes(uint64_t seed, const void *p, size_t n) {
        return hash_mix64(hash_update(seed ^ (n * 0x9e3779b97f4a7c15ULL), p, n));
}
