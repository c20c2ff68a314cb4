/* Jitter per flow (jitter.c): each flow's kind (an RTP stream, UDP on a media port, other UDP, TCP), its RTP
 * streams' RFC 3550 jitter and loss, the other flows' interarrival jitter, the worst of them kept for the
 * report, and for the few worst flows a bounded trace over time of jitter, RTT and retransmissions. Included
 * by engine.h, which every engine file includes. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "rtp.h"

typedef enum jitter_kind {
        JK_RTP,                  /* an RTP stream: RFC 3550 jitter from its timestamps */
        JK_MEDIA_PORT,           /* UDP on a voice or video port, not recognised as RTP: interarrival jitter */
        JK_UDP,                  /* other UDP: interarrival jitter, never a finding */
        JK_TCP,                  /* TCP: interarrival jitter, never judged */
        _JK_MAX,
} jitter_kind_t;

const char *jitter_kind_name(jitter_kind_t k);

#define JIT_MIN_PACKETS 8        /* packets of a direction before its interarrival jitter counts (as flows.jitter_ms) */
#define JIT_TCP_PACKETS 64       /* a TCP connection is traced from its 64th segment (JIT_TCP_EVERY below) */
#define JIT_TRACE_BUCKETS 100
#define JIT_LIVE_MAX 2048        /* flows with jitter state at once; beyond, flows are counted as untracked */
#define JIT_ENTRIES_MAX 50       /* streams and flow directions listed in the report, the worst first */
#define JIT_CHARTS_MAX 4         /* flows charted */
#define JIT_MEDIA_PACKETS 50     /* a media port's direction is judged as media from this many packets... */
#define JIT_MEDIA_PPS 10         /* ...at this many a second at least (voice sends 33 to 50, video more) */
#define JIT_STREAMS 2            /* RTP streams followed at once in one direction (audio and video bundled) */

/* One stretch of a flow's time: the largest jitter each way and RTT seen in it (us, -1 none), retransmissions. */
typedef struct jit_bucket {
        int32_t jit_us[2];       /* [0] client -> server, [1] server -> client */
        int32_t rtt_us;
        uint32_t retrans;
} jit_bucket_t;

typedef struct jit_trace {
        /* the bucket being written, kept here beside the flow's other hot figures (one cache line, not a
         * bucket's far in b[]) while packets fall in [cur_from, cur_to); b[cur] gets it when they stop */
        int64_t cur_from, cur_to;
        jit_bucket_t curb;
        uint32_t cur;
        uint32_t used;           /* buckets up to the last one written */
        int64_t t0, width;       /* the flow's first packet; a bucket's width, doubling as the flow lasts */
        jit_bucket_t b[JIT_TRACE_BUCKETS];
} jit_trace_t;

/* One direction's RTP: the run being recognised, the streams recognised (those with started set). */
typedef struct jit_rtp_dir {
        rtp_detect_t det;
        rtp_stream_t s[JIT_STREAMS];
        uint64_t rtcp;
} jit_rtp_dir_t;

typedef struct jit_dir {
        int64_t ia_max;          /* interarrival jitter (ns): its largest value, and the sum for the mean */
        double ia_sum;
        uint64_t ia_n;
} jit_dir_t;

/* A flow's jitter state, allocated on its first RTP-like datagram or its JIT_MIN_PACKETS-th packet (TCP: its
 * JIT_TCP_PACKETS-th); its RTP part on its first RTP or RTCP datagram (a TCP connection never has one). */
typedef struct jit_flow {
        jit_dir_t d[2];
        jit_rtp_dir_t *rtp;      /* [2], owned; NULL until then */
        uint32_t rtt_n[2], retrans; /* TCP: each RTT half's samples and the retransmissions at the last sample */
        jit_trace_t tr;          /* last: its hot part first */
} jit_flow_t;

/* A stream, or a flow direction, in the report. */
typedef struct jit_entry {
        flow_key_t key;          /* a = the sender */
        uint8_t kind;            /* jitter_kind_t */
        uint8_t pt, clock_source;
        bool over;               /* over its kind's threshold (JK_TCP: never) */
        bool loss_over;          /* RTP: lost at least rtp_loss_pct of its packets */
        uint32_t ssrc, clock;
        uint64_t packets, seq_errors, first_frame;
        int64_t expected, lost;  /* RTP only */
        int64_t jit_max, jit_mean; /* ns, -1 unknown */
        int64_t first_ts, last_ts;
        double score;            /* the order of the list: media over its threshold first, then jitter / threshold */
} jit_entry_t;

typedef struct jit_chart {
        flow_key_t key;          /* a = client */
        uint8_t kind;            /* the worst kind among its directions */
        double score;
        jit_trace_t *tr;         /* owned */
} jit_chart_t;

typedef struct jitter_state {
        uint32_t live;           /* jit_flow_t allocated now */
        uint64_t untracked;      /* flows that reached JIT_MIN_PACKETS with no room for their state */
        uint64_t rtp_streams, rtp_packets, rtp_lost, rtp_expected, rtcp_packets, media_port_flows;
        uint64_t over[_JK_MAX];  /* streams or directions over their threshold, by kind */
        uint64_t loss_over;      /* RTP streams whose loss reached rtp_loss_pct */
        jit_entry_t e[JIT_ENTRIES_MAX];
        uint32_t n;
        jit_chart_t ch[JIT_CHARTS_MAX];
        uint32_t n_ch;
        int64_t worst_media;     /* the largest jitter of a media stream or flow over its threshold (ns) */
} jitter_state_t;

struct analysis;
struct flow;
struct packet;
/* A UDP datagram of f going dir (0 client -> server), after its interarrival jitter was updated. */
void jitter_udp_packet(struct analysis *a, struct flow *f, int dir, const struct packet *p);
/* A TCP segment of f going dir, after tcp_packet(). A connection is traced from its JIT_TCP_PACKETS-th segment,
 * on every JIT_TCP_EVERY-th (the others cost a test, and touch nothing but the flow): its interarrival jitter
 * then, and the RTT samples and retransmissions since the last one. TCP is never judged by its jitter and a
 * chart needs no more; the engine stays within its speed budget (ANALYSES.md, "Jitter"). Inline: it runs for
 * every TCP segment. Needs flow.h (engine.h includes this header after it). */
#define JIT_TCP_EVERY 4
void jitter_tcp_sample(struct analysis *a, struct flow *f, int dir, int64_t ts);
static inline void jitter_tcp_packet(struct analysis *a, struct flow *f, int dir, int64_t ts) {
        if (f->jit ? (f->packets % JIT_TCP_EVERY) != 0 : f->packets != JIT_TCP_PACKETS && (f->packets & 255) != 0)
                return;
        jitter_tcp_sample(a, f, dir, ts);
}
/* f retires (before its TCP state is freed): its streams and directions are offered to the report's lists. */
void jitter_flow_retire(struct analysis *a, struct flow *f);
/* Frees f's jitter state without reporting it (the table is torn down before the analysis finished). */
void jitter_flow_free(struct flow *f);
/* Sorts the lists once, when the analysis finishes. */
void jitter_finish(struct analysis *a);
void jitter_done(jitter_state_t *s);
/* The threshold (ns) a kind is judged by; JK_TCP and JK_UDP: jitter_other_ms (TCP never judged). */
int64_t jitter_threshold(const struct analysis *a, jitter_kind_t k);
/* Whether a UDP flow's ports are a voice or video port (ANALYSES.md, "Jitter"). */
bool jitter_media_port(const flow_key_t *k);
