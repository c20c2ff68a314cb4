/* SipHash (Aumasson and Bernstein, 2012): a keyed hash, so that no input can be built to collide without the
 * key. The tables an uploader fills (flows, DNS, hosts, fragments, duplicates) hash with SipHash-1-3 (the
 * variant Rust and Python use for their tables) under a key drawn at random for each analysis. */
#pragma once

#include <stddef.h>
#include <stdint.h>

typedef struct siphash_key {
        uint64_t k0, k1;
} siphash_key_t;

/* SipHash-c-d of n bytes at p. */
uint64_t siphash(const siphash_key_t *key, unsigned c, unsigned d, const void *p, size_t n);

/* The same with the rounds fixed (unrolled): SipHash-1-3 for the tables, SipHash-2-4 as the paper's. */
uint64_t siphash13(const siphash_key_t *key, const void *p, size_t n);
uint64_t siphash24(const siphash_key_t *key, const void *p, size_t n);
