/* TCP (tcp.c): each connection's state, and the figures over all of them. RFC 9293, 5681, 6298, 7323;
 * definitions in lib/engine/ANALYSES.md. Included by engine.h (needs its flow_key_t, and the run and
 * exchange types of transfer.h and txn.h). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define TCP_HOLES_MAX 512
#define TCP_UNACKED 16

typedef struct tcp_hole {
        uint32_t start, end;     /* sequence range never seen at the capture point */
        int64_t ts;              /* when the gap was first noticed */
        uint64_t frame;          /* the segment that opened it (tshark: "previous segment not captured") */
        uint32_t tsval;          /* TCP timestamp of the segment that opened the gap */
        bool has_tsval;
        int64_t report_ts;       /* when the receiver first reported it (duplicate ACK, SACK above it), 0 not yet */
} tcp_hole_t;

typedef struct tcp_unacked {
        uint32_t end;            /* seq + len of a data segment */
        int64_t ts;
        bool retransmitted;      /* Karn: no RTT sample from it */
} tcp_unacked_t;

typedef struct tcp_dir {
        bool seen;               /* any segment in this direction */
        bool syn;                /* SYN seen: isn is valid */
        bool fin, rst;
        bool seq_valid;          /* next_seq is known */
        bool ack_valid;
        uint32_t isn;
        uint32_t next_seq;       /* highest seq + len seen (SYN/FIN count 1) */
        uint32_t last_ack;       /* highest ACK sent in this direction */
        uint32_t win_raw;        /* last window field sent */
        uint64_t win;            /* last window sent, scaled when the scale is known */
        int8_t wscale;           /* from this side's SYN; -1 none */
        uint32_t dupacks;        /* duplicate ACKs sent for last_ack */
        int64_t last_ts, last_dupack_ts;
        int64_t last_ack_ts;     /* when last_ack last moved forward */
        uint32_t sack_high;      /* highest SACK right edge sent in this direction (valid if has_sack) */
        bool has_sack;
        bool win_from_syn;       /* the last window was a SYN's: never scaled (RFC 7323 2.2) */
        bool probe_pending;      /* a zero-window probe byte at next_seq, not counted as sent until acked */
        tcp_hole_t *holes;       /* allocated on the first gap, at most TCP_HOLES_MAX */
        uint16_t n_holes, cap_holes;
        tcp_unacked_t unacked[TCP_UNACKED];
        uint8_t ua_head, ua_n;
        /* figures */
        uint64_t packets, bytes, data_segments, payload_bytes;
        uint32_t retrans, fast, spurious, rto, pmtu, ooo, lost, dupacks_total, zero_win, win_full, keepalive,
                 zw_probe, win_update;
        /* RFC 3550-style interarrival jitter (ns, scaled by 16) */
        int64_t jit_prev_ts, jit_prev_delta;
        int64_t jitter16;
        uint32_t jit_n;
        /* the last retransmission of data already seen, until a D-SACK may call it spurious */
        uint32_t rtx_seq, rtx_end;
        uint64_t rtx_event;      /* its index in the retransmission events + 1, 0 none */
        uint64_t rtx_frame;
        uint8_t rtx_kind;
        bool rtx_valid;
        /* one-way delay from this side's TCP timestamps: its first TSval and when it was seen */
        uint32_t ts0_val;
        int64_t ts0_t;
        bool ts0;
} tcp_dir_t;

/* What a connection needs once data flows, allocated with its first payload (a flood of handshakes costs
 * none of it): each side's run of data, and the timestamps each side sent. */
typedef struct tcp_timing {
        xfer_dir_t xfer[2];      /* the current run of data and what limits it */
        xfer_trace_t *trace[2];  /* its time-sequence trace, for the largest transfer */
        rtt_tsv_t tsv[2];        /* timestamps sent by the client [0] and the server [1] */
} tcp_timing_t;

/* The kinds of trouble a worst-flow entry can point at (diagnosis.h, flow_summary_t.frames). */
typedef enum tcp_trouble_kind {
        TT_RTO,
        TT_FAST,
        TT_SPURIOUS,
        TT_LOST,
        TT_OOO,
        TT_DUPACK,
        TT_ZERO_WIN,
        TT_RST,
        _TT_MAX,
} tcp_trouble_kind_t;

/* The frame number of each kind's first packet in a connection, 0 none; allocated with its first trouble. */
typedef struct tcp_trouble {
        uint64_t first[_TT_MAX];
} tcp_trouble_t;

enum {
        HS_NONE = 0,
        HS_SYN,                  /* SYN seen */
        HS_SYNACK,               /* SYN/ACK seen */
        HS_DONE,                 /* ACK of the SYN/ACK seen */
};

typedef struct tcp_conn {
        tcp_dir_t d[2];
        uint8_t hs;
        uint8_t syn_count, synack_count;
        int64_t syn_ts, synack_ts, hs_ack_ts;
        int64_t syn_last_ts;     /* the last SYN sent: the one the SYN/ACK answers */
        uint64_t syn_frame;      /* the first SYN's frame number */
        bool refused, aborted, reset_seen, midstream;
        bool replaced;           /* a new connection took its 5-tuple (port reuse)... */
        int64_t replaced_ts;     /* ...at this time */
        int64_t pmtu_ts;         /* last ICMP fragmentation-needed / packet-too-big about this connection */
        uint32_t dns_next[2];    /* DNS over TCP: seq of the next byte to parse */
        uint32_t dns_need[2];    /* body bytes of the current message still to come (0: a length prefix is next) */
        bool dns_body_start[2];  /* the next byte starts a message body (its prefix came alone) */
        bool dns_sync[2];
        uint8_t dns_half[2];     /* the first byte of a length prefix split across two segments */
        bool dns_half_valid[2];
        rtt_conn_t rtt;          /* the round trip's halves */
        tcp_timing_t *tm;        /* runs of data and timestamps, from the first data on */
        txn_conn_t *txn;         /* exchanges, from the first data on */
        tcp_trouble_t *trouble;  /* where its trouble began, from the first on (NULL: none, or no memory) */
} tcp_conn_t;

/* Over all connections: what the report's tcp member shows. */
typedef struct tcp_stats {
        uint64_t conns, gaps, retrans, fast, spurious, rto, pmtu_retrans, ooo, lost, lost_bytes, dupacks, zero_win,
                 win_full, keepalive, zw_probe, win_update, rst, syn, synack, fin, syn_retrans, synack_retrans,
                 data_segments, hs_completed, hs_no_answer, hs_refused, refused, aborted, reused_ports, conns_midstream,
                 win_full_unknown_scale, conns_unknown_scale, hs_high_rtt;
        int64_t hs_high_rtt_max;
} tcp_stats_t;

struct analysis;
struct flow;
struct packet;
bool tcp_is_new_connection(const struct flow *f, int dir, const struct packet *p);
void tcp_packet(struct analysis *a, struct flow *f, int dir, const struct packet *p);
void tcp_flow_finish(struct analysis *a, struct flow *f);
void tcp_conn_free(tcp_conn_t *c);
