/* The flow table (flow.c): flows by normalised 5-tuple, bounded, retired in creation order. Included by engine.h, which every engine file includes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/siphash.h"
#include "util/table.h"

struct tcp_conn;
struct jit_flow;

/* ---- flows ---- */

typedef struct flow_key {
        addr_t a, b;             /* normalised: (a, pa) <= (b, pb) */
        uint16_t pa, pb;
        uint8_t proto;
} flow_key_t;


typedef struct udp_dir {
        uint64_t packets, bytes;
        int64_t jit_prev_ts, jit_prev_delta, jitter16;
        uint32_t jit_n;
        uint16_t last_ip_id;     /* IPv4: the last datagram's identification... */
        bool ip_id_varies;       /* ...and whether it ever changed (dup.h) */
} udp_dir_t;

typedef struct flow {
        flow_key_t key;
        uint8_t used;            /* 1 in use, 0 retired or never used */
        bool client_is_a;        /* direction 0 = client -> server */
        bool orient_known;       /* from a SYN, DNS query, echo request, or port heuristic */
        bool closed;
        uint8_t first_flags;     /* its first packet's TCP flags, and whether key.a sent it (security.c) */
        bool first_from_a;
        uint64_t id;             /* order of creation, for stable output */
        int64_t first_ts, last_ts;
        int64_t max_gap;         /* largest gap between two packets of the flow */
        int64_t max_gap_at;
        uint64_t first_frame;    /* frame numbers (Wireshark's): the flow's first packet... */
        uint64_t max_gap_frame;  /* ...and the one that ended its largest gap (0: none) */
        uint64_t last_frame;     /* the frame number of its last packet (file order) */
        uint64_t packets, bytes;
        struct tcp_conn *tcp;    /* TCP only, owned */
        /* UDP and ICMP */
        udp_dir_t u[2];
        struct jit_flow *jit;    /* jitter and RTP state (jitter.h), owned; NULL until it is needed */
} flow_t;

typedef struct flow_table {
        table_t t;               /* flow_t by normalised key, at most max_flows (util/table.h) */
        siphash_key_t key;
        uint64_t next_id;
        uint32_t last;           /* the reference of the previous lookup's flow, TABLE_NONE */
        uint32_t pace_cap;       /* when to sweep (flow_lookup): a notional capacity, from 1,024 doubling... */
        uint32_t pace_retired;   /* ...and the flows retired since the last step */
} flow_table_t;


/* flow.c */
int flow_table_init(flow_table_t *t, const siphash_key_t *key, uint32_t max_flows);
/* The bytes of a key that identify it (no padding), for the keyed hashes of the tables. */
#define FLOW_KEY_PACKED 38
void flow_key_pack(const flow_key_t *k, uint8_t ret[FLOW_KEY_PACKED]);
void flow_table_done(flow_table_t *t);
void flow_key_make(flow_key_t *k, const packet_t *p, bool *ret_swapped);
/* Finds or creates; NULL when the table is full (max_flows). *ret_new tells whether it was created. */
flow_t *flow_lookup(analysis_t *a, const flow_key_t *k, int64_t ts, bool create, bool *ret_new);
void flow_retire(analysis_t *a, flow_t *f);
void flow_sweep(analysis_t *a, int64_t now);
void flow_retire_all(analysis_t *a);
char *flow_format(const flow_key_t *k, bool a_to_b, char *buf, size_t len);
char *flow_filter(const flow_key_t *k, char *buf, size_t len);

