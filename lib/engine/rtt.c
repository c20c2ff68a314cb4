/* Round-trip halves and the capture point (lib/engine/ANALYSES.md, "Where the time went"). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "rtt.h"

void rtt_conn_init(rtt_conn_t *r) {
        memset(r, 0, sizeof *r);
        for (int i = 0; i < 2; i++)
                r->h[i].hs = r->h[i].min = -1;
}

void rtt_conn_done(rtt_conn_t *r) {
        rtt_digest_done(&r->all);
}

/* Bucket 0: under 2^10 ns; bucket 1 + 4e + q: [2^(10 + e + q/4), 2^(10 + e + (q+1)/4)) ns, e = 0..23; the
 * last one everything from 2^34 ns (17.2 s) on. */
static unsigned digest_bucket(int64_t ns) {
        if (ns < 1024)
                return 0;
        unsigned e = 63u - (unsigned) __builtin_clzll((uint64_t) ns) - 10u;
        if (e >= 24)
                return RTT_DIGEST_BUCKETS - 1;
        /* the mantissa in [1, 2) as a 16.16 fixed-point number (ns < 2^34: no overflow), against 2^(1/4),
         * 2^(2/4), 2^(3/4) */
        uint64_t m = ((uint64_t) ns << 16) >> (e + 10);
        unsigned q = m < 77936 ? 0 : m < 92682 ? 1 : m < 110218 ? 2 : 3;
        return 1 + 4 * e + q;
}

void rtt_digest_add(rtt_digest_t *d, int64_t v) {
        if (v < 0)
                return;
        if (d->n == 2 && !d->count && !d->no_memory) {
                /* the third sample: the first two are min and max */
                d->count = calloc(RTT_DIGEST_BUCKETS, sizeof(uint32_t));
                if (d->count) {
                        d->count[digest_bucket(d->min)]++;
                        d->count[digest_bucket(d->max)]++;
                } else
                        d->no_memory = true;
        }
        if (d->n == 0 || v < d->min)
                d->min = v;
        if (d->n == 0 || v > d->max)
                d->max = v;
        if (d->n < UINT32_MAX)
                d->n++;
        if (d->count) {
                unsigned b = digest_bucket(v);
                if (d->count[b] < UINT32_MAX)
                        d->count[b]++;
        }
}

void rtt_digest_done(rtt_digest_t *d) {
        free(d->count);
        d->count = NULL;
}

int64_t rtt_digest_median(const rtt_digest_t *d) {
        if (!d || d->n == 0 || d->no_memory)
                return -1;
        if (!d->count)
                return d->min; /* one or two samples: the lower median is the smaller */
        uint64_t total = 0;
        for (unsigned i = 0; i < RTT_DIGEST_BUCKETS; i++)
                total += d->count[i];
        uint64_t want = (total + 1) / 2, seen = 0;
        unsigned b = 0;
        for (; b < RTT_DIGEST_BUCKETS - 1; b++) {
                seen += d->count[b];
                if (seen >= want)
                        break;
        }
        int64_t mid;
        if (b == 0)
                mid = 512;
        else if (b == RTT_DIGEST_BUCKETS - 1)
                mid = d->max;
        else
                mid = (int64_t) exp2(10.0 + ((double) (b - 1) + 0.5) / 4.0);
        return mid < d->min ? d->min : mid > d->max ? d->max : mid;
}

void rtt_conn_add_whole(rtt_conn_t *r, int64_t v) {
        rtt_digest_add(&r->all, v);
}

void rtt_half_add(rtt_half_t *h, int64_t sample) {
        if (sample < 0)
                return;
        if (h->min < 0 || sample < h->min)
                h->min = sample;
        h->recent[h->i_recent] = sample;
        h->i_recent = (uint8_t) ((h->i_recent + 1) % RTT_RECENT);
        if (h->n_recent < RTT_RECENT)
                h->n_recent++;
        h->n++;
}

int64_t rtt_half_queue(const rtt_half_t *h) {
        int64_t base = rtt_half_base(h);
        if (base < 0 || h->n_recent < RTT_RECENT)
                return 0;
        int64_t m = h->recent[0];
        for (int i = 1; i < RTT_RECENT; i++)
                if (h->recent[i] < m)
                        m = h->recent[i];
        return m > base ? m - base : 0;
}

void rtt_tsv_sent(rtt_tsv_t *t, uint32_t v, int64_t ts) {
        if (t->n > 0) {
                uint8_t li = (uint8_t) ((t->head + t->n - 1) % RTT_TSV);
                if (!seq_gt(v, t->v[li]) || ts - t->ts[li] < t->spacing)
                        return; /* only the first time a value is seen, and not too close to the last kept */
        }
        if (t->n == RTT_TSV) {
                t->head = (uint8_t) ((t->head + 1) % RTT_TSV);
                t->n--;
        }
        uint8_t i = (uint8_t) ((t->head + t->n) % RTT_TSV);
        t->v[i] = v;
        t->ts[i] = ts;
        t->n++;
}

int64_t rtt_tsv_echo(rtt_tsv_t *t, uint32_t ecr) {
        if (t->n == 0 || (t->echoed && !seq_gt(ecr, t->last_echo)))
                return -1;
        uint8_t i0 = t->head;
        if (seq_lt(ecr, t->v[i0])) {
                /* older than anything kept: keep a longer history from now on */
                t->spacing = t->spacing ? t->spacing * 2 : NS_PER_MS;
                if (t->spacing > 100 * NS_PER_MS)
                        t->spacing = 100 * NS_PER_MS;
                return -1;
        }
        for (uint8_t k = 0; k < t->n; k++) {
                uint8_t i = (uint8_t) ((t->head + k) % RTT_TSV);
                if (seq_gt(t->v[i], ecr))
                        break;
                uint8_t nx = (uint8_t) ((i + 1) % RTT_TSV);
                int64_t when;
                if (t->v[i] == ecr)
                        when = t->ts[i];
                else if (k + 1 < t->n && seq_gt(t->v[nx], ecr))
                        when = t->ts[i] + (int64_t) ((double) (t->ts[nx] - t->ts[i]) * (double) (uint32_t) (ecr - t->v[i]) /
                                                     (double) (uint32_t) (t->v[nx] - t->v[i]));
                else
                        continue;
                /* older values are of no more use */
                t->head = i;
                t->n = (uint8_t) (t->n - k);
                t->last_echo = ecr;
                t->echoed = true;
                return when;
        }
        return -1; /* newer than anything kept: not seen here first */
}

capture_point_t rtt_capture_point(const rtt_conn_t *r) {
        int64_t c = rtt_half_base(&r->h[0]), s = rtt_half_base(&r->h[1]);
        if (c < 0 || s < 0)
                return CP_UNKNOWN;
        int64_t total = c + s;
        /* a path shorter than 0.2 ms (a host talking to itself, one switch) cannot be split meaningfully */
        if (total < 200000)
                return CP_UNKNOWN;
        if (c <= total / 8)
                return CP_CLIENT;
        if (s <= total / 8)
                return CP_SERVER;
        return CP_MIDDLE;
}

int64_t rtt_path(const rtt_conn_t *r) {
        int64_t c = rtt_half_base(&r->h[0]), s = rtt_half_base(&r->h[1]);
        if (c < 0 || s < 0)
                return -1;
        return c + s;
}

const char *capture_point_name(capture_point_t cp) {
        static const char *const n[_CP_MAX] = {
                [CP_UNKNOWN] = "unknown", [CP_CLIENT] = "client", [CP_SERVER] = "server", [CP_MIDDLE] = "middle",
        };
        return cp < _CP_MAX ? n[cp] : "unknown";
}

bool rtt_owd_change(uint32_t ts0_val, int64_t ts0_t, uint32_t tsval, int64_t ts, int64_t *ret) {
        static const int64_t ticks[] = { 1000, 1000000, 4000000, 10000000, 100000000 };
        int64_t dt = ts - ts0_t;
        int64_t dv = (int32_t) (tsval - ts0_val);
        if (dt < 100 * NS_PER_MS || dv <= 0)
                return false;
        for (size_t i = 0; i < sizeof ticks / sizeof ticks[0]; i++) {
                int64_t sent = dv * ticks[i];
                /* a quarter either way: the standard rates are at least 2.5 times apart */
                if (sent > dt + dt / 4 || sent < dt - dt / 4)
                        continue;
                *ret = dt - sent;
                return true;
        }
        return false;
}
