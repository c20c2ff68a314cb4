/* The diagnosis (diagnosis.c): findings with their causes, and the worst flows. Included by engine.h, which every engine file includes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- findings ---- */

/* room for every finding at once: 40 kinds can be raised (6 of them by diagnose_time, 9 by the security
 * detectors), and the last ones raised (the security findings) must not be the ones left out */
#define FINDINGS_MAX 48

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
        CAUSE_SECURITY,          /* an attack or a compromise (security-*.c): costs no measured time */
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
        flow_key_t flow_key[5];  /* the flows as shown (a = source)... */
        uint64_t flow_frame[5];  /* ...and a frame of each (its event, first packet, request), 0 unknown: the
                                  * connection meant when a port pair was reused (timeline.c) */
} finding_t;


/* The figures of a worst-flow entry that weigh in its score, in the order the score adds them up; the one that
 * weighs most among the flow's problems is the entry's worst figure (ANALYSES.md, "Frame numbers"). */
typedef enum worst_figure {
        WF_NONE,
        WF_RTO,
        WF_FAST,
        WF_LOST,
        WF_ZERO_WIN,
        WF_OOO,
        WF_DUPACK,
        WF_SPURIOUS,
        WF_REFUSED,
        WF_SYN_ONLY,
        WF_HANDSHAKE,
        _WF_MAX,
} worst_figure_t;

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
        uint64_t first_frame, max_gap_frame; /* frame numbers of its first packet and of the end of max_gap */
        uint64_t worst_frame;    /* the first packet of its worst figure, 0 unknown */
        uint8_t worst;           /* worst_figure_t */
} flow_summary_t;

/* finding.c: a finding (NULL when FINDINGS_MAX are raised already), its detail appended, a flow it concerns (at
 * most 5). */
finding_t *finding_add(analysis_t *a, const char *id, int severity, int penalty, const char *filter,
                       const char *title_fmt, ...) __attribute__((format(printf, 6, 7)));
void finding_detail(finding_t *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void finding_flow(finding_t *f, const flow_key_t *k, bool a_to_b);
/* The same with a frame of the flow's connection (its event, first packet), so that its timeline is that
 * connection's (port reuse); 0 unknown. */
void finding_flow_at(finding_t *f, const flow_key_t *k, bool a_to_b, uint64_t frame);

void worst_offer(analysis_t *a, const flow_summary_t *s);
void worst_sort(analysis_t *a);

/* diagnosis.c, report_*.c */
void diagnosis_run(analysis_t *a);

