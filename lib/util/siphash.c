/* SipHash-c-d, written from the specification (SipHash: a fast short-input PRF, Aumasson and Bernstein,
 * 2012, section 2). */
#include "util/siphash.h"

#include <string.h>

static inline uint64_t rotl(uint64_t x, unsigned b) {
        return x << b | x >> (64 - b);
}

typedef struct sip_state {
        uint64_t v0, v1, v2, v3;
} sip_state_t;

static inline void sip_round(sip_state_t *s) {
        s->v0 += s->v1;
        s->v1 = rotl(s->v1, 13);
        s->v1 ^= s->v0;
        s->v0 = rotl(s->v0, 32);
        s->v2 += s->v3;
        s->v3 = rotl(s->v3, 16);
        s->v3 ^= s->v2;
        s->v0 += s->v3;
        s->v3 = rotl(s->v3, 21);
        s->v3 ^= s->v0;
        s->v2 += s->v1;
        s->v1 = rotl(s->v1, 17);
        s->v1 ^= s->v2;
        s->v2 = rotl(s->v2, 32);
}

static inline void sip_compress(sip_state_t *s, unsigned c, uint64_t m) {
        s->v3 ^= m;
        for (unsigned i = 0; i < c; i++)
                sip_round(s);
        s->v0 ^= m;
}

/* Little-endian load, whatever the host. */
static inline uint64_t load_le64(const uint8_t *b, size_t n) {
        uint64_t m = 0;
        for (size_t i = 0; i < n; i++)
                m |= (uint64_t) b[i] << (8 * i);
        return m;
}

/* Inlined into each entry point with constant c and d, so that the rounds unroll. */
static inline __attribute__((always_inline)) uint64_t sip(const siphash_key_t *key, unsigned c, unsigned d,
                                                          const void *p, size_t n) {
        const uint8_t *b = p;
        sip_state_t s = {
                .v0 = key->k0 ^ UINT64_C(0x736f6d6570736575),
                .v1 = key->k1 ^ UINT64_C(0x646f72616e646f6d),
                .v2 = key->k0 ^ UINT64_C(0x6c7967656e657261),
                .v3 = key->k1 ^ UINT64_C(0x7465646279746573),
        };
        size_t left = n;

        while (left >= 8) {
                uint64_t m;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                memcpy(&m, b, 8);
#else
                m = load_le64(b, 8);
#endif
                sip_compress(&s, c, m);
                b += 8;
                left -= 8;
        }
        sip_compress(&s, c, load_le64(b, left) | (uint64_t) (n & 0xff) << 56);
        s.v2 ^= 0xff;
        for (unsigned i = 0; i < d; i++)
                sip_round(&s);
        return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

uint64_t siphash(const siphash_key_t *key, unsigned c, unsigned d, const void *p, size_t n) {
        return sip(key, c, d, p, n);
}

uint64_t siphash13(const siphash_key_t *key, const void *p, size_t n) {
        return sip(key, 1, 3, p, n);
}

uint64_t siphash24(const siphash_key_t *key, const void *p, size_t n) {
        return sip(key, 2, 4, p, n);
}
