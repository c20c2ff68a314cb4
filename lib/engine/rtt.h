/* Round trips split in halves: from the capture point to each host of a TCP connection and back. The
 * data RTT measured at one end of a path mixes two things: for data towards the far host it is the path,
 * for data towards the near host only that host's ACK delay. Keeping one half per host gives both, tells
 * where the capture was taken, and gives the path RTT as their sum wherever the capture was taken. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef enum capture_point {
        CP_UNKNOWN,
        CP_CLIENT,               /* near the client: the server's half holds nearly all of the round trip */
        CP_SERVER,
        CP_MIDDLE,
        _CP_MAX,
} capture_point_t;

#define RTT_RECENT 4
#define RTT_TSV 8

/* The round trip capture point -> one host -> capture point. */
typedef struct rtt_half {
        int64_t hs;              /* from the handshake (SYN -> SYN/ACK for the server, SYN/ACK -> ACK for the client), -1 none */
        int64_t min;             /* smallest data sample, -1 none */
        int64_t recent[RTT_RECENT]; /* the last samples, for the queue now (their minimum) */
        uint8_t n_recent, i_recent;
        uint32_t n;
} rtt_half_t;

/* TCP timestamps one side sent, with when they were first seen here: a later segment of the other side
 * echoing one (TSecr) gives a sample of the other side's half (RFC 7323 section 4, as Linux receivers do). */
typedef struct rtt_tsv {
        uint32_t v[RTT_TSV];
        int64_t ts[RTT_TSV];
        uint8_t n, head;
        int64_t spacing;         /* least time between two values kept: grows when echoes come from further back */
        uint32_t last_echo;      /* the newest value echoed so far: each is used once */
        bool echoed;
} rtt_tsv_t;

/* Every whole round trip of a connection (the handshake's SYN -> ACK, each data -> ACK path sample of
 * tcp.rtt_path_ms, each timestamp echo's sample of a far host's half with the other half's base), in a fixed
 * structure: min and max exact, the median from counts in buckets a quarter of an octave wide from 2^10 ns to
 * 2^34 ns (1.02 us to 17.2 s; beyond, the first or last bucket), so within 9.1 % (ANALYSES.md, "Connections").
 * The counts (392 bytes) are allocated with the third sample: up to two, the lower median is the min, and min
 * and max are those two samples. */
#define RTT_DIGEST_BUCKETS 98
typedef struct rtt_digest {
        int64_t min, max;        /* ns */
        uint32_t n;
        bool no_memory;          /* the counts could not be allocated: no median */
        uint32_t *count;         /* RTT_DIGEST_BUCKETS, NULL under three samples */
} rtt_digest_t;

typedef struct rtt_conn {
        rtt_half_t h[2];         /* [0] the client's half, [1] the server's */
        rtt_digest_t all;        /* whole round trips */
} rtt_conn_t;

void rtt_conn_init(rtt_conn_t *r);
void rtt_conn_done(rtt_conn_t *r);
/* A whole round trip of the connection (ns), for its digest. */
void rtt_conn_add_whole(rtt_conn_t *r, int64_t v);
void rtt_digest_add(rtt_digest_t *d, int64_t v);
void rtt_digest_done(rtt_digest_t *d);
/* The median's estimate (ns): the geometric middle of the bucket holding the lower median, within [min, max]
 * (exact up to two samples); -1 without samples, or when the counts could not be allocated. */
int64_t rtt_digest_median(const rtt_digest_t *d);
void rtt_half_add(rtt_half_t *h, int64_t sample);
/* The half's base: the smaller of the handshake's and the smallest data sample; -1 unknown. */
static inline int64_t rtt_half_base(const rtt_half_t *h) {
        if (h->hs >= 0 && (h->min < 0 || h->hs < h->min))
                return h->hs;
        return h->min;
}
/* The queueing now: the least of the recent samples above the base (0 when unknown). */
int64_t rtt_half_queue(const rtt_half_t *h);
/* Side `dir` sent a segment with TSval v at ts. */
void rtt_tsv_sent(rtt_tsv_t *t, uint32_t v, int64_t ts);
/* The other side echoes ecr: when this side first sent it (interpolated between the values kept, the
 * timestamp being a clock), or -1; each value is used once. */
int64_t rtt_tsv_echo(rtt_tsv_t *t, uint32_t ecr);
/* Where the capture was taken, from the two halves' bases. */
capture_point_t rtt_capture_point(const rtt_conn_t *r);
/* The path RTT (both halves); -1 when a half is unknown. */
int64_t rtt_path(const rtt_conn_t *r);
const char *capture_point_name(capture_point_t cp);
/* How much longer (or shorter) a segment stamped tsval, seen at ts, took to reach the capture point than
 * the first one of its side (stamped ts0_val, seen at ts0_t): the change in one-way delay, from the
 * sender's own clock. Its rate is measured and must be a standard one (1 us, 1, 4, 10 or 100 ms per
 * tick, within 25 %), over at least 100 ms; *ret is not set otherwise. */
bool rtt_owd_change(uint32_t ts0_val, int64_t ts0_t, uint32_t tsval, int64_t ts, int64_t *ret);
