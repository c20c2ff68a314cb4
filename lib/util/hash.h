/* A 64-bit finaliser, for the fallback key of analysis_new when the kernel has no entropy yet. The tables an
 * uploader fills hash with SipHash (util/siphash.h): for seeded mixers, inputs colliding whatever the seed can
 * be built. */
#pragma once

#include <stdint.h>

/* The MurmurHash3 64-bit finaliser: every input bit reaches every output bit. */
static inline uint64_t hash_mix64(uint64_t h) {
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdULL;
        h ^= h >> 33;
        h *= 0xc4ceb9fe1a85ec53ULL;
        h ^= h >> 33;
        return h;
}
