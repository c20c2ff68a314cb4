/* The JSON report: the connections table (member "connections", REPORT-SCHEMA.md). */
#include "engine.h"
#include "report-json.h"

/* bits per second over the connection's duration, null when it lasted no time */
static void json_bps(json_t *j, const char *key, uint64_t bytes, int64_t dur) {
        if (dur > 0)
                json_double(j, key, (double) bytes * 8e9 / (double) dur, 1);
        else
                json_null(j, key);
}

static void json_ms_or_null(json_t *j, const char *key, int64_t ns) {
        if (ns >= 0)
                json_ms(j, key, ns);
        else
                json_null(j, key);
}

void json_connections(json_t *j, const analysis_t *a) {
        const conn_table_t *t = &a->conns;
        static const char *const dir_names[2] = { "client_to_server", "server_to_client" };
        json_object_begin(j, "connections");
        json_u64(j, "total", t->total);
        json_object_begin(j, "states");
        for (int s = 0; s < _CONN_STATE_MAX; s++)
                json_u64(j, conn_state_name((conn_state_t) s), t->states[s]);
        json_object_end(j);
        json_ms(j, "idle_threshold_ms", threshold_ns(a, TH_CONN_IDLE));
        json_u64(j, "kept", t->rows.n);
        json_array_begin(j, "items");
        for (uint32_t i = 0; i < t->rows.n; i++) {
                const conn_row_t *r = topn_at(&t->rows, i);
                char filt[512], key[64];
                int64_t dur = r->last_ts - r->first_ts, end = r->replaced ? r->end_ts : a->last_ts;
                json_object_begin(j, NULL);
                json_flow(j, "flow", &r->key);
                json_str(j, "filter", flow_filter(&r->key, filt, sizeof filt));
                json_str(j, "state", conn_state_name((conn_state_t) r->state));
                json_bool(j, "handshake_seen", r->handshake);
                json_bool(j, "replaced", r->replaced);
                json_ts(j, "first_ts", r->first_ts);
                json_frame(j, "first_frame", r->first_frame);
                json_frame(j, "last_frame", r->last_frame);
                json_double(j, "duration_s", (double) dur / 1e9, 6);
                json_double(j, "idle_s", (double) (end > r->last_ts ? end - r->last_ts : 0) / 1e9, 6);
                for (int d = 0; d < 2; d++) {
                        snprintf(key, sizeof key, "packets_%s", dir_names[d]);
                        json_u64(j, key, r->packets[d]);
                        snprintf(key, sizeof key, "bytes_%s", dir_names[d]);
                        json_u64(j, key, r->bytes[d]);
                        snprintf(key, sizeof key, "payload_bytes_%s", dir_names[d]);
                        json_u64(j, key, r->payload[d]);
                        snprintf(key, sizeof key, "throughput_bps_%s", dir_names[d]);
                        json_bps(j, key, r->bytes[d], dur);
                        snprintf(key, sizeof key, "jitter_ms_%s", dir_names[d]);
                        json_ms_or_null(j, key, r->jitter[d]);
                }
                json_object_begin(j, "rtt_ms");
                json_u64(j, "count", r->rtt_n);
                json_ms_or_null(j, "min", r->rtt_min);
                json_ms_or_null(j, "p50", r->rtt_p50);
                json_ms_or_null(j, "max", r->rtt_max);
                json_object_end(j);
                json_ms_or_null(j, "handshake_ms", r->hs_time);
                json_u64(j, "retransmissions", r->retrans);
                json_double(j, "score", r->score, 3);
                json_object_end(j);
        }
        json_array_end(j);
        json_object_end(j);
}
