/* Transfers: what limited the rate of each bulk run of data one way (T-RAT, Zhang et al., SIGCOMM 2002;
 * Linux's tcp_info chrono counters), measured from the packets at either end of the path. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* needs flow_key_t: included by engine.h after it */

/* The limits, in the causes' vocabulary (XL_NONE: slow start or the path round trip alone). */
typedef enum xfer_limit {
        XL_RWND,                 /* receiver-window */
        XL_LOSS,                 /* network-loss */
        XL_BANDWIDTH,            /* network-bandwidth */
        XL_APP,                  /* sender-application */
        XL_NONE,
        _XL_MAX,
} xfer_limit_t;

#define XFER_BULK_BYTES (64 * 1024)
#define XFER_EDGES 8
#define XFER_TRACE_MAX 512

/* One direction's current run: data one way between two turn-arounds. */
typedef struct xfer_dir {
        int64_t first, last;     /* first and last data segment of the run; first == 0: no run */
        uint64_t first_frame;    /* the frame number of its first segment */
        uint64_t bytes;          /* new payload bytes */
        int64_t t[_XL_MAX];      /* time of the run spent in each state */
        int64_t allacked;        /* when the receiver had acknowledged everything sent (0: data in flight) */
        uint32_t flight, prev_flight; /* bytes sent since the last idle point, and in the cycle before */
        bool edge_hit;           /* the last segment reached the receiver's window edge */
        bool recovering;         /* loss recovery until the receiver acknowledges recover_end */
        uint32_t recover_end;
        int64_t queue_max;
        /* the receiver's right window edges, with when they were advertised */
        uint32_t edge[XFER_EDGES];
        int64_t edge_ts[XFER_EDGES];
        uint8_t n_edges, i_edge;
        bool edges_known;        /* the window scale is known */
} xfer_dir_t;

typedef struct xfer_item {
        flow_key_t key;          /* sender a -> receiver b */
        bool response;
        int64_t start, dur;
        uint64_t start_frame;    /* the frame number of its first segment */
        uint64_t bytes;
        int64_t t[_XL_MAX];
        int64_t rtt_base, queue_max;
        uint8_t limit;
} xfer_item_t;

typedef struct xfer_trace_pt {
        int64_t ts;
        uint32_t seq, ack, edge;
} xfer_trace_pt_t;

typedef struct xfer_trace {
        xfer_trace_pt_t *p;
        uint32_t n, stride, skip;
        uint32_t seq0;
        int64_t t0;
        uint64_t flow_id;
        uint8_t dir;
        uint64_t bytes;          /* the run's bytes so far */
        flow_key_t key;          /* sender a -> receiver b */
} xfer_trace_t;

const char *xfer_limit_name(xfer_limit_t l);
/* The limit that dominated a run: the state with the most time, `none` when nothing limited it. A run
 * bound by round trips alone on a long path (at least 20 ms) is `network-latency`: its cost is the RTT. */
const char *xfer_limit_word(const int64_t t[_XL_MAX], int64_t rtt_base);

#define XFER_KEEP 50

typedef struct xfer_state {
        uint64_t total, bytes;
        int64_t dur, t[_XL_MAX];
        xfer_item_t *items;      /* the largest runs, a min-heap by bytes while reading, sorted at finish */
        uint32_t n, cap;
        xfer_trace_t best;       /* the time-sequence trace of the largest run */
        uint32_t live_traces;
} xfer_state_t;

struct analysis;
struct flow;
struct packet;
/* Data from side dir: seq..end (new_bytes of it never seen before), a retransmission or not. */
/* A data segment from side dir. A spurious retransmission (the receiver had acknowledged it) adds only the
 * bytes the capture had missed: the receiver had them, it moves no time and costs no loss. */
void xfer_data(struct analysis *a, struct flow *f, int dir, const struct packet *p, bool retrans, bool spurious,
               uint32_t new_bytes);
/* Side dir acknowledged: the run of the other side learns its flight and window edge. */
void xfer_ack(struct analysis *a, struct flow *f, int dir, const struct packet *p);
/* Loss seen in dir's data (a retransmission or a gap): recovery until everything sent so far is acked. */
void xfer_loss(struct flow *f, int dir);
/* Ends dir's run (the other side turned around, or the connection ended). Returns its time in loss
 * recovery. */
int64_t xfer_end(struct analysis *a, struct flow *f, int dir);
void xfer_finish(struct analysis *a);
void xfer_done(xfer_state_t *x);
