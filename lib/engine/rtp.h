/* RTP on UDP (rtp.c, RFC 3550): the header, a stream recognised from several packets in a row, and each
 * stream's interarrival jitter (RFC 3550 A.8, from its RTP timestamps) and loss (A.1, A.3). Pure functions of
 * the packets given: no analysis state, no allocation. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTP_CONFIRM 5            /* packets in a row, one SSRC, consecutive sequence numbers: a stream */
#define RTP_TS_STEP_MAX 180000   /* the largest timestamp step a stream may take while it is recognised (2 s at 90 kHz) */
#define RTP_RATES 6              /* the clock rates tried for a dynamic payload type (rtp.c) */

typedef enum rtp_kind {
        RTP_NOT,                 /* not RTP nor RTCP */
        RTP_DATA,                /* an RTP header (that alone does not make a stream) */
        RTP_RTCP,                /* an RTCP packet (RFC 3550 section 6, RFC 4585, RFC 3611: packet types 192-223) */
} rtp_kind_t;

typedef struct rtp_header {
        uint32_t ts, ssrc;
        uint16_t seq;
        uint8_t pt;
        bool marker;
} rtp_header_t;

/* Reads the header of a UDP payload (caplen bytes captured of len on the wire): RTP_DATA and *ret for a
 * header that could be RTP (version 2; payload type outside 72-76, which is RTCP's with the marker bit; its
 * CSRC list and header extension within the datagram; padding no longer than the payload), RTP_RTCP for an
 * RTCP packet (version 2, type 192-223 (RFC 5761 section 4), its length within the datagram), RTP_NOT otherwise. */
rtp_kind_t rtp_parse(const uint8_t *b, size_t caplen, size_t len, rtp_header_t *ret);

/* The RTP clock of a static payload type (RFC 3551 tables 4 and 5), 0 for a dynamic or unassigned one. */
uint32_t rtp_clock_rate(uint8_t pt);

/* Recognition: the last packets of one direction that could be a stream. */
typedef struct rtp_detect {
        rtp_header_t h[RTP_CONFIRM];
        int64_t arr[RTP_CONFIRM];
        uint64_t frame[RTP_CONFIRM];
        uint8_t n;
} rtp_detect_t;

/* Adds a packet; true when it is the RTP_CONFIRM-th in a row of one SSRC and payload type, each sequence
 * number one more than the last, timestamps that never go back nor leap more than RTP_TS_STEP_MAX, arrival
 * times that never go back. A packet that breaks the run starts a new one. */
bool rtp_detect_packet(rtp_detect_t *d, const rtp_header_t *h, int64_t arr, uint64_t frame);

/* RFC 3550 A.8 at one clock rate: J += (|D| - J) / 16, in seconds, with its largest and mean values over the
 * packets that update it (as tshark's RTP stream analysis: not the first packet, not a marked one). */
typedef struct rtp_jitter {
        double j, max, sum;
        uint64_t n;
} rtp_jitter_t;

typedef enum rtp_clock_source {
        RTP_CLOCK_STATIC,        /* the payload type's (RFC 3551) */
        RTP_CLOCK_ESTIMATED,     /* dynamic: the standard rate nearest the timestamps' pace over arrival time */
        RTP_CLOCK_UNKNOWN,       /* dynamic, and no standard rate within 25 % of that pace (or too short to tell) */
} rtp_clock_source_t;

typedef struct rtp_stream {
        uint32_t ssrc;
        uint8_t pt;
        bool started;
        uint16_t max_seq;        /* highest sequence number (A.1), with its wraps in cycles */
        uint32_t cycles, base_seq;
        uint16_t last_seq;
        uint64_t packets, seq_errors;
        int64_t first_arr, prev_arr; /* the first packet's arrival, the previous one's (in the capture's order)... */
        int64_t last_arr;        /* ...and the latest */
        uint32_t prev_ts;
        int64_t ts_progress;     /* timestamp units since the first packet (signed steps added up) */
        uint64_t first_frame;
        rtp_jitter_t jit[RTP_RATES]; /* a static type: [0] at its rate; a dynamic one: one per rate tried */
} rtp_stream_t;

/* Starts a stream at its first packet. */
void rtp_stream_start(rtp_stream_t *s, const rtp_header_t *h, int64_t arr, uint64_t frame);
/* A packet of the stream (same SSRC) after the first. */
void rtp_stream_packet(rtp_stream_t *s, const rtp_header_t *h, int64_t arr);

typedef struct rtp_figures {
        uint32_t clock;          /* Hz, 0 unknown */
        rtp_clock_source_t clock_source;
        int64_t expected, lost;  /* A.3: highest extended sequence number - first + 1; expected - received (may be < 0) */
        uint64_t seq_errors;     /* packets whose sequence number is not the previous one's plus one */
        int64_t jitter_now, jitter_max, jitter_mean; /* ns; -1 when the clock is unknown */
} rtp_figures_t;

void rtp_stream_figures(const rtp_stream_t *s, rtp_figures_t *ret);
