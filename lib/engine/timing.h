/* The capture's timing lists (timing.c): its gaps (silences of the whole capture of at least gap_ms), its
 * largest bursts, and its peak and quiet periods (from the time series). Included by engine.h. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define GAPS_KEEP 100   /* the longest gaps listed; gaps.total and gaps.total_ms count all */
#define BURSTS_KEEP 10  /* the largest bursts listed; timing.bursts counts all */
#define PERIODS_KEEP 3  /* peak and quiet periods listed */

typedef struct gap_side {
        uint64_t flow;           /* flow id + 1 of the packet on that side, 0: not a TCP/UDP flow's */
        flow_key_t key;
        bool client_is_a;
} gap_side_t;

typedef struct gap {
        int64_t start_ts, dur;   /* the last packet before the silence, and the silence */
        uint64_t frame_before, frame; /* the packets on each side (Wireshark's frame numbers) */
        gap_side_t before, after;
} gap_t;

typedef struct burst {
        int64_t start, dur;
        uint64_t packets, bytes, frame;
} burst_t;

typedef struct period {
        uint32_t first, n;       /* series buckets */
        uint64_t bytes, packets;
} period_t;

typedef struct timing_state {
        gap_t gaps[GAPS_KEEP];
        uint32_t n_gaps;
        uint64_t gaps_total;
        int64_t gaps_sum;
        int32_t gap_open;        /* the slot of the gap the packet being analysed ends, -1 none */
        gap_side_t prev;         /* the flow of the packet before, for the next gap */
        burst_t bursts[BURSTS_KEEP];
        uint32_t n_bursts;
} timing_state_t;

/* Per packet, before anything else: gap is the time since the packet before (-1 for the first or a
 * negative step). */
void timing_packet(analysis_t *a, int64_t ts, uint64_t frame, int64_t gap);
/* The packet being analysed belongs to flow f. */
void timing_flow(analysis_t *a, const flow_t *f);
/* A burst ended (stats.c). */
void timing_burst(analysis_t *a, const burst_t *b);
/* Sorts the lists for the report (longest gaps, largest bursts first). */
void timing_finish(analysis_t *a);

/* Peak and quiet periods from the series: the PERIODS_KEEP buckets with most bytes (peaks), and the
 * PERIODS_KEEP longest runs of buckets under a tenth of the mean rate (quiet), longest first. Returns how
 * many of each were found. */
/* A period's start and end (s from the first packet), its length (s) and its rate (bit/s). */
void timing_period_span(const analysis_t *a, const period_t *p, double *ret_start, double *ret_end,
                        double *ret_secs, double *ret_bps);

void timing_periods(const analysis_t *a, period_t peaks[PERIODS_KEEP], unsigned *ret_peaks,
                    period_t quiet[PERIODS_KEEP], unsigned *ret_quiet, double *ret_mean_bps);
