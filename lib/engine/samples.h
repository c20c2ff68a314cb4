/* Bounded sample stores for quantiles: exact up to a cap, a seeded reservoir beyond it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct samples {
        int64_t *v;
        uint32_t n, cap, max;    /* kept, allocated, most kept */
        uint64_t seen;           /* samples offered */
        int64_t min, max_value;
        double sum;
        uint64_t rng;
        bool sorted;             /* v is in order (samples_sort), until the next sample */
} samples_t;

typedef struct quantiles {
        uint64_t count;
        int64_t min, p50, p95, max;
        double mean;
} quantiles_t;

void samples_init(samples_t *s, uint32_t max, uint64_t seed);
void samples_done(samples_t *s);
/* Returns -ENOMEM only when even the first allocation fails; the sample is then only counted. */
int samples_add(samples_t *s, int64_t v);
/* Sorts the kept samples: the analysis does it once when it finishes, so that reports only read them. */
void samples_sort(samples_t *s);
/* The figures (linear interpolation between closest ranks); reads sorted samples, or a sorted copy of them. */
void samples_quantiles(const samples_t *s, quantiles_t *ret);
/* Value at quantile q (0..1) of already-sorted samples. */
int64_t samples_at(const samples_t *s, double q);
