/* Bounded sample stores: exact quantiles while there are at most `max` samples, reservoir sampling after. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "samples.h"

void samples_init(samples_t *s, uint32_t max, uint64_t seed) {
        *s = (samples_t) { .max = max ? max : 1, .rng = seed | 1, .min = INT64_MAX, .max_value = INT64_MIN };
}

void samples_done(samples_t *s) {
        free(s->v);
        s->v = NULL;
        s->n = s->cap = 0;
}

static uint64_t samples_rand(samples_t *s) {
        /* xorshift64*: deterministic per store, good enough for reservoir sampling */
        s->rng ^= s->rng >> 12;
        s->rng ^= s->rng << 25;
        s->rng ^= s->rng >> 27;
        return s->rng * 0x2545F4914F6CDD1DULL;
}

int samples_add(samples_t *s, int64_t v) {
        s->sorted = false;
        s->seen++;
        s->sum += (double) v;
        if (v < s->min)
                s->min = v;
        if (v > s->max_value)
                s->max_value = v;
        if (s->n < s->max) {
                if (s->n == s->cap) {
                        uint32_t ncap = s->cap ? s->cap * 2 : 64;
                        if (ncap > s->max)
                                ncap = s->max;
                        int64_t *nv = realloc(s->v, sizeof(int64_t) * ncap);
                        if (!nv)
                                return -ENOMEM;
                        s->v = nv;
                        s->cap = ncap;
                }
                s->v[s->n++] = v;
                return 0;
        }
        uint64_t j = samples_rand(s) % s->seen;
        if (j < s->max)
                s->v[j] = v;
        return 0;
}

/* LSD radix sort of signed 64-bit values, a byte a pass, passes whose byte is the same in every value
 * skipped (durations in ns leave the top bytes alike): a few linear passes instead of n log n calls of a
 * comparison function. Falls back to insertion sort for a handful of values. */
static int i64_sort(int64_t *v, uint32_t n) {
        if (n < 32) {
                for (uint32_t i = 1; i < n; i++) {
                        int64_t x = v[i];
                        uint32_t j = i;
                        for (; j > 0 && v[j - 1] > x; j--)
                                v[j] = v[j - 1];
                        v[j] = x;
                }
                return 0;
        }
        uint64_t *a = (uint64_t *) v, *tmp = malloc(sizeof(uint64_t) * n);
        if (!tmp)
                return -ENOMEM;
        for (uint32_t i = 0; i < n; i++)
                a[i] ^= 1ULL << 63; /* signed order as unsigned */
        uint64_t *src = a, *dst = tmp;
        for (unsigned shift = 0; shift < 64; shift += 8) {
                uint32_t count[256] = { 0 };
                for (uint32_t i = 0; i < n; i++)
                        count[(src[i] >> shift) & 0xff]++;
                if (count[(src[0] >> shift) & 0xff] == n)
                        continue; /* every value has this byte alike */
                uint32_t sum = 0;
                for (unsigned d = 0; d < 256; d++) {
                        uint32_t c = count[d];
                        count[d] = sum;
                        sum += c;
                }
                for (uint32_t i = 0; i < n; i++)
                        dst[count[(src[i] >> shift) & 0xff]++] = src[i];
                uint64_t *t = src;
                src = dst;
                dst = t;
        }
        if (src != a)
                memcpy(a, src, sizeof(uint64_t) * n);
        for (uint32_t i = 0; i < n; i++)
                a[i] ^= 1ULL << 63;
        free(tmp);
        return 0;
}

static int cmp_i64(const void *x, const void *y) {
        int64_t a = *(const int64_t *) x, b = *(const int64_t *) y;
        return a < b ? -1 : a > b;
}

static void sort_i64(int64_t *v, uint32_t n) {
        if (i64_sort(v, n) < 0)
                qsort(v, n, sizeof(int64_t), cmp_i64); /* no memory for the radix buffer: in place */
}

int64_t samples_at(const samples_t *s, double q) {
        if (s->n == 0)
                return 0;
        double pos = q * (double) (s->n - 1);
        uint32_t lo = (uint32_t) pos;
        if (lo + 1 >= s->n)
                return s->v[s->n - 1];
        double frac = pos - lo;
        return s->v[lo] + (int64_t) ((double) (s->v[lo + 1] - s->v[lo]) * frac + 0.5);
}

void samples_sort(samples_t *s) {
        if (!s->sorted && s->v)
                sort_i64(s->v, s->n);
        s->sorted = true;
}

void samples_quantiles(const samples_t *s, quantiles_t *ret) {
        *ret = (quantiles_t) { .count = s->seen };
        if (s->seen == 0)
                return;
        samples_t tmp = *s;
        int64_t *copy = NULL;
        if (!s->sorted && s->n) {
                copy = malloc(sizeof(int64_t) * s->n);
                if (!copy)
                        return; /* no memory for a copy: only the count */
                memcpy(copy, s->v, sizeof(int64_t) * s->n);
                sort_i64(copy, s->n);
                tmp.v = copy;
        }
        ret->min = s->min;
        ret->max = s->max_value;
        ret->p50 = samples_at(&tmp, 0.5);
        ret->p95 = samples_at(&tmp, 0.95);
        ret->mean = s->sum / (double) s->seen;
        free(copy);
}
