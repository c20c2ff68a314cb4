/* The engine's internal state: flows, per-protocol analyses, series, events. Private to lib/engine. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "analysis.h"
#include "util/siphash.h"
#include "decode.h"
#include "rtt.h"
#include "samples.h"

#define NS_PER_MS 1000000LL
#define NS_PER_S 1000000000LL

/* ---- flows ---- */

typedef struct flow_key {
        addr_t a, b;             /* normalised: (a, pa) <= (b, pb) */
        uint16_t pa, pb;
        uint8_t proto;
} flow_key_t;

#include "transfer.h"
#include "txn.h"
#include "tcp.h"
#include "dns.h"
#include "frag.h"
#include "dup.h"

typedef struct udp_dir {
        uint64_t packets, bytes;
        int64_t jit_prev_ts, jit_prev_delta, jitter16;
        uint32_t jit_n;
        uint16_t last_ip_id;     /* IPv4: the last datagram's identification... */
        bool ip_id_varies;       /* ...and whether it ever changed (dup.h) */
} udp_dir_t;

typedef struct flow {
        flow_key_t key;
        uint64_t hash;
        uint8_t used;            /* 0 empty, 1 in use, 2 tombstone */
        bool client_is_a;        /* direction 0 = client -> server */
        bool orient_known;       /* from a SYN, DNS query, echo request, or port heuristic */
        bool closed;
        uint64_t id;             /* order of creation, for stable output */
        int64_t first_ts, last_ts;
        int64_t max_gap;         /* largest gap between two packets of the flow */
        int64_t max_gap_at;
        uint64_t packets, bytes;
        struct tcp_conn *tcp;    /* TCP only, owned */
        /* UDP and ICMP */
        udp_dir_t u[2];
} flow_t;

typedef struct flow_table {
        flow_t *slots;
        uint32_t cap, used, tombstones;
        siphash_key_t key;
        uint64_t next_id;
        flow_t *last;            /* the flow of the previous lookup */
} flow_table_t;

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

typedef struct kv_table {
        void *e;
        size_t elem;
        uint32_t cap, n, max;
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

#include "view.h"

/* ---- findings ---- */

#define FINDINGS_MAX 24

typedef enum cause {
        CAUSE_NONE,
        CAUSE_SERVER,
        CAUSE_CLIENT,
        CAUSE_NET_LATENCY,
        CAUSE_NET_LOSS,
        CAUSE_NET_BANDWIDTH,
        CAUSE_RWND,
        CAUSE_SENDER_APP,
        CAUSE_DNS,
        CAUSE_CAPTURE,
        _CAUSE_MAX,
} cause_t;

const char *cause_name(cause_t c);

typedef struct finding {
        int severity;            /* 3 critical, 2 warning, 1 info */
        int penalty;
        cause_t cause;
        int64_t cost;            /* the time it cost (ns), -1 when not measured in time */
        char id[32];
        char title[160];
        char detail[512];
        char filter[512];
        char flows[5][128];
        unsigned n_flows;
} finding_t;

/* ---- the analysis ---- */

struct analysis {
        analysis_limits_t lim;
        siphash_key_t key;       /* random per analysis: the key of every table an uploader fills */
        uint64_t seed;           /* derived from it, for the duplicate cache */

        /* capture */
        uint64_t packets, bytes_wire, bytes_captured;
        int64_t first_ts, last_ts, prev_ts;
        bool have_ts;
        uint64_t negative_deltas;
        int64_t max_gap;
        uint64_t max_gap_frame;
        uint64_t link_packets[8];
        int links[8];
        unsigned n_links;
        uint64_t skipped[_SKIP_MAX];
        uint64_t skipped_linktype_packets;
        char file_format[16];
        bool nanosecond;
        uint32_t snaplen;
        uint64_t file_size;
        bool truncated;          /* file ended inside a record */
        bool packet_limit_hit;
        char read_error[256];
        uint64_t bytes_read;

        counter_t proto[_PROTO_MAX];
        service_entry_t services[SERVICE_MAX];
        unsigned n_services;
        uint64_t services_other_packets, services_other_bytes;

        flow_table_t flows;
        uint64_t flows_total, flows_over_limit_packets;
        int64_t last_sweep_ts;
        uint64_t refused_since_sweep;
        bool swept;
        uint64_t udp_flows;

        tcp_stats_t tcp;         /* TCP over all connections (tcp.h) */
        uint64_t dns_unanswered_multicast;
        samples_t hs_rtt;        /* SYN -> ACK of SYN/ACK, at the capture point */
        samples_t hs_syn_synack; /* SYN -> SYN/ACK */
        samples_t hs_synack_ack; /* SYN/ACK -> ACK */
        samples_t rtt;           /* data -> ACK (Karn), both ways mixed (schema 1's tcp.rtt_ms) */
        samples_t rtt_path;      /* data -> ACK from the far host, as a path RTT */
        samples_t ack_delay;     /* data -> ACK from the near host: its ACK delay */
        samples_t conn_dur;
        /* per server baseline for handshake blame: kept as events */

        /* UDP, ICMP */
        uint64_t icmp_msgs, icmp6_msgs;
        uint64_t icmp_types[256], icmp6_types[256];
        uint64_t icmp_unreach, icmp_time_exceeded, icmp_frag_needed, icmp_ptb, icmp_redirect;
        uint32_t icmp_min_mtu;
        uint64_t icmp_codes[2][256][16]; /* [v6][type][code<16] */

        dns_state_t dns;
        dns_other_t dns_other;   /* DNS on other UDP ports, counted apart (dns.h) */
        frag_state_t frag;
        dup_state_t dup;
        kv_table_t hosts, convs;
        series_t series;

        /* jitter / gaps summaries at finish */
        samples_t flow_jitter;   /* per flow-direction jitter (ns) with >= 8 packets */

        /* bursts: runs of packets closer than BURST_GAP */
        uint64_t bursts;
        uint64_t burst_cur_pkts, burst_cur_bytes;
        int64_t burst_cur_start;
        uint64_t burst_max_pkts, burst_max_bytes;
        int64_t burst_max_start, burst_max_dur;

        event_list_t ev[_EV_MAX];

        txn_state_t txn;         /* request/response exchanges, capture point */
        report_view_t view;      /* what the writers show, built once at the end */
        xfer_state_t xfer;       /* bulk transfers and their limits */

        /* worst flows, filled at flow retirement / finish: summaries, bounded */
        struct flow_summary *worst;
        uint32_t n_worst, cap_worst;

        bool finished;
        int health;
        int64_t cost[_CAUSE_MAX]; /* where the time went: what each cause cost (ns), and of what total */
        int64_t cost_total;
        char time_summary[256];
        finding_t findings[FINDINGS_MAX];
        unsigned n_findings;

        /* progress */
        analysis_progress_fn cb;
        void *cb_data;
        int64_t last_progress_mono;
        uint64_t last_progress_bytes;
        int cb_result;
};

/* flow.c */
int flow_table_init(flow_table_t *t, const siphash_key_t *key);
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

/* udp / icmp / stats */
void udp_packet(analysis_t *a, flow_t *f, int dir, const packet_t *p);
void icmp_packet(analysis_t *a, const packet_t *p);
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
typedef struct flow_summary {
        flow_key_t key;          /* a = client */
        uint64_t id;
        uint8_t proto;
        int64_t first_ts, last_ts, max_gap, hs_time;
        uint64_t packets, bytes;
        uint32_t retrans, rto, fast, spurious, ooo, lost, dupacks, zero_win;
        int64_t jitter[2];
        int64_t rtt_p50;
        bool refused, reset, syn_only;
        double score;
} flow_summary_t;

void worst_offer(analysis_t *a, const flow_summary_t *s);
void worst_sort(analysis_t *a);

/* diagnosis.c, report_*.c */
void diagnosis_run(analysis_t *a);

/* The writers only read the analysis (its views are built when it finishes). */
void report_json(const analysis_t *a, FILE *out);
void report_html(const analysis_t *a, FILE *out);
void report_summary(const analysis_t *a, FILE *out);

/* Time arithmetic on what an uploader controls (timestamps): sums saturate instead of overflowing, and a
 * duration is clamped to [0, 1e15 ns] (11.6 days) before it is added up. */
#define DUR_MAX 1000000000000000LL
static inline int64_t sat_add(int64_t a, int64_t b) {
        int64_t r;
        return __builtin_add_overflow(a, b, &r) ? (b > 0 ? INT64_MAX : INT64_MIN) : r;
}
static inline int64_t dur_clamp(int64_t v) {
        return v < 0 ? 0 : v > DUR_MAX ? DUR_MAX : v;
}

static inline bool seq_lt(uint32_t a, uint32_t b) { return (int32_t) (a - b) < 0; }
static inline bool seq_le(uint32_t a, uint32_t b) { return (int32_t) (a - b) <= 0; }
static inline bool seq_gt(uint32_t a, uint32_t b) { return (int32_t) (a - b) > 0; }
static inline bool seq_ge(uint32_t a, uint32_t b) { return (int32_t) (a - b) >= 0; }
