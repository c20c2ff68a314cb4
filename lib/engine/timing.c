/* The capture's gaps, largest bursts and peak/quiet periods (ANALYSES.md, "Timing"). Bounded: the
 * GAPS_KEEP longest gaps and BURSTS_KEEP largest bursts are kept, with exact totals. */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

void timing_packet(analysis_t *a, int64_t ts, uint64_t frame, int64_t gap) {
        timing_state_t *t = &a->timing;
        t->gap_open = -1;
        if (gap >= 0 && gap >= threshold_ns(a, TH_GAP)) {
                t->gaps_total++;
                t->gaps_sum = sat_add(t->gaps_sum, dur_clamp(gap));
                uint32_t slot = t->n_gaps;
                if (slot >= GAPS_KEEP) {
                        /* full: this one replaces the shortest kept, if longer (the earlier on a tie) */
                        slot = 0;
                        for (uint32_t i = 1; i < GAPS_KEEP; i++)
                                if (t->gaps[i].dur < t->gaps[slot].dur ||
                                    (t->gaps[i].dur == t->gaps[slot].dur && t->gaps[i].frame > t->gaps[slot].frame))
                                        slot = i;
                        if (t->gaps[slot].dur >= gap)
                                slot = UINT32_MAX;
                } else
                        t->n_gaps++;
                if (slot != UINT32_MAX) {
                        t->gaps[slot] = (gap_t) {
                                .start_ts = ts - gap, .dur = gap, .frame_before = a->prev_frame, .frame = frame,
                                .before = t->prev,
                        };
                        t->gap_open = (int32_t) slot;
                }
        }
        t->prev.flow = 0; /* until timing_flow() says which flow this packet is of */
}

void timing_flow(analysis_t *a, const flow_t *f) {
        timing_state_t *t = &a->timing;
        t->prev = (gap_side_t) { .flow = f->id + 1, .key = f->key, .client_is_a = f->client_is_a };
        if (t->gap_open >= 0)
                t->gaps[t->gap_open].after = t->prev;
}

void timing_burst(analysis_t *a, const burst_t *b) {
        timing_state_t *t = &a->timing;
        uint32_t slot = t->n_bursts;
        if (slot >= BURSTS_KEEP) {
                slot = 0;
                for (uint32_t i = 1; i < BURSTS_KEEP; i++)
                        if (t->bursts[i].packets < t->bursts[slot].packets)
                                slot = i;
                if (t->bursts[slot].packets >= b->packets)
                        return;
        } else
                t->n_bursts++;
        t->bursts[slot] = *b;
}

static int gap_cmp(const void *x, const void *y) {
        const gap_t *a = x, *b = y;
        if (a->dur != b->dur)
                return a->dur > b->dur ? -1 : 1;
        return a->frame < b->frame ? -1 : a->frame > b->frame;
}

static int burst_cmp(const void *x, const void *y) {
        const burst_t *a = x, *b = y;
        if (a->packets != b->packets)
                return a->packets > b->packets ? -1 : 1;
        return a->frame < b->frame ? -1 : a->frame > b->frame;
}

void timing_finish(analysis_t *a) {
        timing_state_t *t = &a->timing;
        qsort(t->gaps, t->n_gaps, sizeof(gap_t), gap_cmp);
        qsort(t->bursts, t->n_bursts, sizeof(burst_t), burst_cmp);
}

/* The buckets of the series up to its last with a packet (as the report's series lists them). */
static uint32_t series_used(const analysis_t *a) {
        uint32_t n = 0;
        for (uint32_t i = 0; i < SERIES_BUCKETS; i++)
                if (a->series.b[i].packets)
                        n = i + 1;
        return n;
}

void timing_period_span(const analysis_t *a, const period_t *p, double *ret_start, double *ret_end,
                        double *ret_secs, double *ret_bps) {
        double w = (double) a->series.width / 1e9, secs = w * p->n;
        *ret_start = p->first * w;
        *ret_end = (p->first + p->n) * w;
        *ret_secs = secs;
        *ret_bps = secs > 0 ? (double) p->bytes * 8 / secs : 0;
}

void timing_periods(const analysis_t *a, period_t peaks[PERIODS_KEEP], unsigned *ret_peaks,
                    period_t quiet[PERIODS_KEEP], unsigned *ret_quiet, double *ret_mean_bps) {
        const series_t *s = &a->series;
        uint32_t n = series_used(a);
        unsigned np = 0, nq = 0;
        uint64_t total = 0;

        for (uint32_t i = 0; i < n; i++)
                total += s->b[i].bytes;
        double secs = (double) s->width / 1e9 * n;
        *ret_mean_bps = secs > 0 ? (double) total * 8 / secs : 0;
        /* a period needs a series of several buckets to stand out from */
        if (n < 4 || total == 0) {
                *ret_peaks = *ret_quiet = 0;
                return;
        }
        /* peaks: the fullest buckets, the earlier on a tie */
        bool taken[SERIES_BUCKETS] = {};
        for (np = 0; np < PERIODS_KEEP; np++) {
                int32_t best = -1;
                for (uint32_t i = 0; i < n; i++)
                        if (!taken[i] && s->b[i].bytes > 0 && (best < 0 || s->b[i].bytes > s->b[best].bytes))
                                best = (int32_t) i;
                if (best < 0)
                        break;
                taken[best] = true;
                peaks[np] = (period_t) { .first = (uint32_t) best, .n = 1, .bytes = s->b[best].bytes,
                                         .packets = s->b[best].packets };
        }
        /* quiet: runs of buckets under a tenth of the mean (bytes * n < total / 10 * ... in integers) */
        for (uint32_t i = 0; i < n;) {
                if (s->b[i].bytes * 10 * n >= total) {
                        i++;
                        continue;
                }
                period_t q = { .first = i };
                while (i < n && s->b[i].bytes * 10 * n < total) {
                        q.n++;
                        q.bytes += s->b[i].bytes;
                        q.packets += s->b[i].packets;
                        i++;
                }
                /* keep the PERIODS_KEEP longest, the earlier on a tie */
                unsigned slot = nq;
                if (nq == PERIODS_KEEP) {
                        slot = 0;
                        for (unsigned k = 1; k < PERIODS_KEEP; k++)
                                if (quiet[k].n < quiet[slot].n || (quiet[k].n == quiet[slot].n && quiet[k].first > quiet[slot].first))
                                        slot = k;
                        if (quiet[slot].n >= q.n)
                                continue;
                } else
                        nq++;
                quiet[slot] = q;
        }
        for (unsigned i = 1; i < nq; i++)
                for (unsigned k = i; k > 0 && (quiet[k].n > quiet[k - 1].n ||
                                               (quiet[k].n == quiet[k - 1].n && quiet[k].first < quiet[k - 1].first)); k--) {
                        period_t tmp = quiet[k];
                        quiet[k] = quiet[k - 1];
                        quiet[k - 1] = tmp;
                }
        *ret_peaks = np;
        *ret_quiet = nq;
}
