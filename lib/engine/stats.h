/* Counters of the whole capture (stats.c): events kept for the report, the time series, hosts, conversations, protocols and services. Included by engine.h, which every engine file includes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/table.h"

/* ---- events kept for the report ---- */

typedef enum event_kind {
        EV_RETRANS,
        EV_ZERO_WINDOW,
        EV_RESET,
        EV_SLOW_HANDSHAKE,
        EV_FAILED_HANDSHAKE,
        EV_DNS_ERROR,
        EV_DNS_UNANSWERED,
        EV_DNS_SLOW,
        EV_ICMP,
        _EV_MAX,
} event_kind_t;

typedef struct event {
        int64_t ts;
        uint64_t frame;          /* the frame number (Wireshark's) of the packet at ts */
        uint64_t frame2;         /* slow handshake: its first SYN; DNS error or slow answer: the query; 0 none */
        flow_key_t key;          /* as seen: a = source, b = destination */
        uint8_t kind;
        uint8_t sub;             /* retrans: 0 rto, 1 fast, 2 spurious; icmp: type; dns: rcode */
        uint8_t sub2;
        uint32_t value;          /* e.g. ICMP code, DNS qtype */
        int64_t dur;             /* handshake / DNS time */
        char text[96];           /* DNS name (raw bytes, escaped when written) */
        uint8_t text_len;
} event_t;

typedef struct event_list {
        event_t *v;
        uint32_t n, cap;
        uint64_t total;
} event_list_t;

/* ---- time series ---- */

#define SERIES_BUCKETS 240

typedef struct series_bucket {
        uint64_t bytes, packets;
        uint32_t retrans, zero_win, dns_fail, lost;
        uint32_t rtt_n;
        int64_t rtt_sum, rtt_max;
} series_bucket_t;

typedef struct series {
        int64_t t0;
        int64_t width;
        series_bucket_t b[SERIES_BUCKETS];
} series_t;

/* ---- hosts and conversations ---- */

typedef struct host_entry {
        addr_t addr;
        uint8_t used;
        uint64_t packets_tx, packets_rx, bytes_tx, bytes_rx;
} host_entry_t;

typedef struct conv_entry {
        addr_t a, b;
        uint8_t used;
        uint64_t packets, bytes, packets_ab, bytes_ab;
        int64_t first_ts, last_ts;
} conv_entry_t;

/* Hosts or conversations: the one open-addressing table (util/table.h), bounded, entries never removed. */
typedef struct kv_table {
        table_t t;
        uint64_t overflow_packets;
} kv_table_t;

/* ---- protocol counters ---- */

enum {
        PROTO_ETHERNET,
        PROTO_VLAN,
        PROTO_SLL,
        PROTO_IPV4,
        PROTO_IPV6,
        PROTO_ARP,
        PROTO_TCP,
        PROTO_UDP,
        PROTO_ICMP,
        PROTO_ICMPV6,
        PROTO_DNS,
        PROTO_SCTP,
        PROTO_GRE,
        PROTO_ESP,
        PROTO_IP_OTHER,
        PROTO_NON_IP,
        _PROTO_MAX,
};

typedef struct counter {
        uint64_t packets, bytes;
} counter_t;

#define SERVICE_MAX 64

typedef struct service_entry {
        uint16_t port;
        uint8_t proto;
        counter_t c;
} service_entry_t;


/* stats.c */
void stats_packet(analysis_t *a, const packet_t *p, bool decoded);
void stats_host_conv(analysis_t *a, const packet_t *p, uint64_t packets, uint64_t bytes, int64_t first,
                     int64_t last);
void stats_finish(analysis_t *a);
void stats_service(analysis_t *a, const flow_t *f, const packet_t *p);
void stats_burst(analysis_t *a, const packet_t *p, int64_t gap);
int kv_init(kv_table_t *t, size_t elem, uint32_t max);
void kv_done(kv_table_t *t);
void series_add(analysis_t *a, int64_t ts, uint64_t bytes, uint64_t packets);
series_bucket_t *series_at(analysis_t *a, int64_t ts);
void jitter_update(int64_t ts, int64_t *prev_ts, int64_t *prev_delta, int64_t *jitter16, uint32_t *n);
void event_add(analysis_t *a, event_kind_t kind, const event_t *e);
