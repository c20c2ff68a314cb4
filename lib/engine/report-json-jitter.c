/* The JSON report's "jitter" member (REPORT-SCHEMA.md): RTP streams and flows by kind of traffic, their
 * jitter against their kind's threshold, RTP loss, and the charted flows' traces. */
#include <stdio.h>

#include "report-json.h"

static const char *const clock_names[] = {
        [RTP_CLOCK_STATIC] = "static", [RTP_CLOCK_ESTIMATED] = "estimated", [RTP_CLOCK_UNKNOWN] = "unknown",
};

static void ms_or_null(json_t *j, const char *key, int64_t ns) {
        if (ns >= 0)
                json_ms(j, key, ns);
        else
                json_null(j, key);
}

static void json_jitter_entry(json_t *j, const analysis_t *a, const jit_entry_t *e) {
        char filt[512];
        json_object_begin(j, NULL);
        json_flow(j, "flow", &e->key);
        json_str(j, "kind", jitter_kind_name((jitter_kind_t) e->kind));
        json_str(j, "method", e->kind == JK_RTP && e->clock ? "rfc3550" : e->kind == JK_RTP ? "none" : "interarrival");
        if (e->kind == JK_RTP) {
                snprintf(filt, sizeof filt, "rtp.ssrc == 0x%08x", e->ssrc);
                json_str(j, "filter", filt);
                json_u64(j, "ssrc", e->ssrc);
                json_u64(j, "payload_type", e->pt);
                if (e->clock)
                        json_u64(j, "clock_rate", e->clock);
                else
                        json_null(j, "clock_rate");
                json_str(j, "clock", clock_names[e->clock_source < 3 ? e->clock_source : RTP_CLOCK_UNKNOWN]);
        } else
                json_str(j, "filter", flow_filter(&e->key, filt, sizeof filt));
        json_u64(j, "packets", e->packets);
        if (e->kind == JK_RTP) {
                json_i64(j, "expected", e->expected);
                json_i64(j, "lost", e->lost);
                json_double(j, "lost_percent", e->expected > 0 ? 100.0 * (double) e->lost / (double) e->expected : 0, 2);
                json_u64(j, "sequence_errors", e->seq_errors);
                json_bool(j, "loss_over_threshold", e->loss_over);
        }
        ms_or_null(j, "jitter_ms_max", e->jit_max);
        ms_or_null(j, "jitter_ms_mean", e->jit_mean);
        json_ms(j, "threshold_ms", jitter_threshold(a, (jitter_kind_t) e->kind));
        json_bool(j, "over_threshold", e->over);
        json_ts(j, "first_ts", e->first_ts);
        json_frame(j, "first_frame", e->first_frame);
        json_double(j, "duration_s", (double) (e->last_ts - e->first_ts) / 1e9, 6);
        json_object_end(j);
}

static void json_jitter_chart(json_t *j, const jit_chart_t *c) {
        const jit_trace_t *t = c->tr;
        json_object_begin(j, NULL);
        json_flow(j, "flow", &c->key);
        json_str(j, "kind", jitter_kind_name((jitter_kind_t) c->kind));
        json_ts(j, "t0", t->t0);
        json_double(j, "bucket_s", (double) t->width / 1e9, 9);
#define TRACE_FIELD(name, expr)                                    \
        do {                                                       \
                json_array_begin(j, name);                         \
                for (uint32_t i = 0; i < t->used; i++) {           \
                        const jit_bucket_t *b = &t->b[i];          \
                        expr;                                      \
                }                                                  \
                json_array_end(j);                                 \
        } while (0)
        TRACE_FIELD("t", (void) b; json_double(j, NULL, (double) i * (double) t->width / 1e9, 6));
        TRACE_FIELD("jitter_ms_client_to_server",
                    b->jit_us[0] >= 0 ? json_double(j, NULL, b->jit_us[0] / 1e3, 3) : json_null(j, NULL));
        TRACE_FIELD("jitter_ms_server_to_client",
                    b->jit_us[1] >= 0 ? json_double(j, NULL, b->jit_us[1] / 1e3, 3) : json_null(j, NULL));
        TRACE_FIELD("rtt_ms", b->rtt_us >= 0 ? json_double(j, NULL, b->rtt_us / 1e3, 3) : json_null(j, NULL));
        TRACE_FIELD("retransmissions", json_u64(j, NULL, b->retrans));
#undef TRACE_FIELD
        json_object_end(j);
}

void json_jitter(json_t *j, const analysis_t *a) {
        const jitter_state_t *s = &a->jitter;
        json_object_begin(j, "jitter");
        json_u64(j, "rtp_streams", s->rtp_streams);
        json_u64(j, "rtp_packets", s->rtp_packets);
        json_u64(j, "rtp_expected", s->rtp_expected);
        json_u64(j, "rtp_lost", s->rtp_lost);
        json_u64(j, "rtcp_packets", s->rtcp_packets);
        json_u64(j, "media_port_flows", s->media_port_flows);
        json_u64(j, "untracked_flows", s->untracked);
        json_object_begin(j, "over_threshold");
        for (int k = 0; k < _JK_MAX; k++)
                if (k != JK_TCP)
                        json_u64(j, jitter_kind_name((jitter_kind_t) k), s->over[k]);
        json_u64(j, "rtp_loss", s->loss_over);
        json_object_end(j);
        json_array_begin(j, "streams");
        for (uint32_t i = 0; i < s->n; i++)
                json_jitter_entry(j, a, &s->e[i]);
        json_array_end(j);
        json_array_begin(j, "charts");
        for (uint32_t i = 0; i < s->n_ch; i++)
                json_jitter_chart(j, &s->ch[i]);
        json_array_end(j);
        json_object_end(j);
}
