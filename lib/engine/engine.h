/* The engine's internal state: flows, per-protocol analyses, series, events. Private to lib/engine. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "analysis.h"
#include "decode.h"
#include "rtt.h"
#include "samples.h"
#include "threshold.h"
#include "util/siphash.h"

#define NS_PER_MS 1000000LL
#define NS_PER_S 1000000000LL

/* Each part of the analysis has its header, named after its file: flow.h (the flow table), tcp.h, dns.h,
 * frag.h, dup.h, txn.h, transfer.h, rtt.h, stats.h (events, series, hosts, conversations, services),
 * diagnosis.h (findings, the worst flows). struct analysis below holds one state of each. */
#include "flow.h"
#include "timeline.h"
#include "transfer.h"
#include "txn.h"
#include "tcp.h"
#include "dns.h"
#include "frag.h"
#include "dup.h"
#include "stats.h"
#include "icmp.h"
#include "timing.h"
#include "jitter.h"
#include "security.h"

#include "view.h"
#include "diagnosis.h"
#include "conn.h"

/* ---- the analysis ---- */

struct analysis {
        analysis_limits_t lim;
        thresholds_t th;         /* every threshold the diagnosis uses (threshold.h): read with threshold_ns/_value */
        int64_t th_ns[_TH_MAX];  /* the same in ns (a TU_MS threshold's value x 1e6), computed once */
        siphash_key_t key;       /* random per analysis: the key of every table an uploader fills */

        /* capture */
        uint64_t packets, bytes_wire, bytes_captured;
        uint64_t frame;          /* the frame number of the packet being analysed (capture_packet_t.frame) */
        int64_t first_ts, last_ts, prev_ts;
        uint64_t prev_frame;     /* the frame number of the packet before */
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
        conn_table_t conns;      /* each connection's end state, and the worst ones (conn.h) */
        uint64_t dns_unanswered_multicast;
        samples_t hs_rtt;        /* SYN -> ACK of SYN/ACK, at the capture point */
        samples_t hs_syn_synack; /* SYN -> SYN/ACK */
        samples_t hs_synack_ack; /* SYN/ACK -> ACK */
        samples_t rtt;           /* data -> ACK (Karn), both ways mixed (schema 1's tcp.rtt_ms) */
        samples_t rtt_path;      /* data -> ACK from the far host, as a path RTT */
        samples_t ack_delay;     /* data -> ACK from the near host: its ACK delay */
        samples_t conn_dur;
        /* per server baseline for handshake blame: kept as events */

        icmp_stats_t icmp;       /* ICMP and ICMPv6 (icmp.h) */

        dns_state_t dns;
        dns_other_t dns_other;   /* DNS on other UDP ports, counted apart (dns.h) */
        frag_state_t frag;
        dup_state_t dup;
        kv_table_t hosts, convs;
        series_t series;

        /* jitter / gaps summaries at finish */
        samples_t flow_jitter;   /* per flow-direction jitter (ns) with >= 8 packets */

        jitter_state_t jitter;   /* jitter by kind of traffic, RTP streams, the flows charted (jitter.h) */

        /* bursts: runs of packets closer than burst_spacing_ms */
        uint64_t bursts;
        uint64_t burst_cur_pkts, burst_cur_bytes;
        int64_t burst_cur_start;
        uint64_t burst_max_pkts, burst_max_bytes;
        int64_t burst_max_start, burst_max_dur;
        uint64_t burst_cur_frame, burst_max_frame; /* the frame numbers their first packets have */
        timing_state_t timing;   /* gaps, the largest bursts (timing.h) */

        event_list_t ev[_EV_MAX];
        timeline_state_t tl;     /* packet timelines of the findings' connections (timeline.h) */
        char capture_name[1024]; /* the capture's file name, for the tshark commands ("" unknown) */

        txn_state_t txn;         /* request/response exchanges, capture point */
        report_view_t view;      /* what the writers show, built once at the end */
        xfer_state_t xfer;       /* bulk transfers and their limits */
        sec_state_t sec;         /* the security detectors' evidence (security.h) */

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

/* A threshold in the engine's units: a TU_MS one in ns, the others as they are. */
static inline int64_t threshold_ns(const analysis_t *a, threshold_id_t id) {
        return a->th_ns[id];
}
static inline double threshold_value(const analysis_t *a, threshold_id_t id) {
        return a->th.v[id];
}

/* The writers only read the analysis (its views are built when it finishes). */
void report_json(const analysis_t *a, FILE *out);
void report_html(const analysis_t *a, FILE *out);
void report_summary(const analysis_t *a, FILE *out);
int report_csv(const analysis_t *a, int dirfd); /* 0 or -errno, see analysis_write_csv() */

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
