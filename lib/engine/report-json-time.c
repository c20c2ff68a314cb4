/* The JSON report's "where the time went" members (REPORT-SCHEMA.md): where_time_went, capture_point,
 * transactions and tcp.transfers. */
#include <stdio.h>
#include <string.h>

#include "report-json.h"

void json_where_time_went(json_t *j, const analysis_t *a) {
        int order[_CAUSE_MAX], n = 0;
        for (int c = 1; c < _CAUSE_MAX; c++)
                if (a->cost[c] > 0)
                        order[n++] = c;
        for (int i = 1; i < n; i++) /* largest first; insertion sort of at most ten */
                for (int k = i; k > 0 && a->cost[order[k]] > a->cost[order[k - 1]]; k--) {
                        int t = order[k];
                        order[k] = order[k - 1];
                        order[k - 1] = t;
                }
        json_object_begin(j, "where_time_went");
        json_ms(j, "total_ms", a->cost_total);
        json_str(j, "summary", a->time_summary);
        json_array_begin(j, "causes");
        for (int i = 0; i < n; i++) {
                json_object_begin(j, NULL);
                json_str(j, "cause", cause_name((cause_t) order[i]));
                json_ms(j, "ms", a->cost[order[i]]);
                json_double(j, "share_percent",
                            a->cost_total > 0 ? 100.0 * (double) a->cost[order[i]] / (double) a->cost_total : 0, 1);
                json_object_end(j);
        }
        json_array_end(j);
        json_object_end(j);
}

void json_capture_point(json_t *j, const analysis_t *a) {
        const txn_state_t *t = &a->txn;
        capture_point_t overall = CP_UNKNOWN;
        uint64_t known = t->cp[CP_CLIENT] + t->cp[CP_SERVER] + t->cp[CP_MIDDLE];
        for (int c = CP_CLIENT; c < _CP_MAX; c++)
                if (t->cp[c] * 2 > known)
                        overall = (capture_point_t) c;
        json_object_begin(j, "capture_point");
        json_str(j, "overall", capture_point_name(overall));
        for (int c = 0; c < _CP_MAX; c++)
                json_u64(j, capture_point_name((capture_point_t) c), t->cp[c]);
        char ev[320];
        quantiles_t qc, qs;
        samples_quantiles(&t->cp_client_half, &qc);
        samples_quantiles(&t->cp_server_half, &qs);
        if (!known)
                snprintf(ev, sizeof ev, "No connection showed its round trip in two halves (no handshake, or a path "
                                        "too short to split).");
        else if (qc.count)
                snprintf(ev, sizeof ev, "%llu of %llu connections look %s; on the median handshake the SYN waited "
                                        "%.3f ms for its SYN/ACK and the SYN/ACK %.3f ms for its ACK, so the "
                                        "capture point is %s.",
                         (unsigned long long) (overall == CP_UNKNOWN ? known : t->cp[overall]), (unsigned long long) known,
                         overall == CP_UNKNOWN ? "classifiable" : capture_point_name(overall), (double) qs.p50 / 1e6,
                         (double) qc.p50 / 1e6,
                         overall == CP_CLIENT ? "next to the client" : overall == CP_SERVER ? "next to the server"
                         : overall == CP_MIDDLE ? "between them" : "not the same for all of them");
        else
                snprintf(ev, sizeof ev, "%llu connections were classified from their data and ACK timing (no "
                                        "handshake seen).", (unsigned long long) known);
        json_str(j, "evidence", ev);
        json_object_end(j);
}

static const char *const part_names[_TP_MAX] = {
        [TP_CLIENT] = "client", [TP_REQUEST] = "request", [TP_NETWORK] = "network", [TP_SERVER] = "server",
        [TP_TRANSFER] = "transfer", [TP_LOSS] = "loss", [TP_TOTAL] = "total",
};

/* an exchange's (or a connection's) parts, as client_ms, request_ms, ... */
static void json_parts(json_t *j, const int64_t *part) {
        for (int i = 0; i < _TP_MAX; i++) {
                char key[24];
                snprintf(key, sizeof key, "%s_ms", part_names[i]);
                json_ms(j, key, part[i]);
        }
}

void json_transactions(json_t *j, const analysis_t *a) {
        const txn_state_t *t = &a->txn;
        json_object_begin(j, "transactions");
        json_u64(j, "total", t->total);
        json_u64(j, "answered", t->answered);
        json_u64(j, "kept", t->n);
        json_u64(j, "connections", t->conns_total);
        json_u64(j, "pipelined", t->pipelined);
        json_object_begin(j, "totals_ms");
        for (int i = 0; i < _TP_MAX; i++)
                json_ms(j, part_names[i], t->sum[i]);
        json_object_end(j);
        json_ms(j, "client_wait_overlapped_ms", t->client_overlapped);
        json_quantiles_ms(j, "server_ms", &t->server);
        json_quantiles_ms(j, "total_ms", &t->total_s);
        json_array_begin(j, "items");
        for (uint32_t i = 0; i < t->n; i++) {
                const txn_item_t *it = &t->items[i];
                json_object_begin(j, NULL);
                json_flow(j, "flow", &it->key);
                json_ts(j, "request_ts", it->req_ts);
                json_frame(j, "request_frame", it->req_frame);
                json_frame(j, "response_frame", it->resp_frame);
                json_str(j, "protocol", txn_proto_name(it->proto));
                if (it->method_len) {
                        json_strn(j, "method", it->method, it->method_len);
                        json_strn(j, "path", it->path, it->path_len);
                } else {
                        json_null(j, "method");
                        json_null(j, "path");
                }
                if (it->status)
                        json_u64(j, "status", it->status);
                else
                        json_null(j, "status");
                json_u64(j, "request_bytes", it->req_bytes);
                json_u64(j, "response_bytes", it->resp_bytes);
                json_parts(j, it->part);
                json_str(j, "server_method", it->server_method == TXN_SERVER_ACK ? "ack"
                                             : it->server_method == TXN_SERVER_RTT ? "rtt" : "none");
                json_str(j, "client_method", it->client_method == TXN_CLIENT_HANDSHAKE ? "handshake"
                                             : it->client_method == TXN_CLIENT_RESPONSE ? "response" : "none");
                json_bool(j, "answered", it->answered);
                json_object_end(j);
        }
        json_array_end(j);
        json_u64(j, "by_connection_total", t->conns_total);
        json_array_begin(j, "by_connection");
        for (uint32_t i = 0; i < t->n_conns; i++) {
                const txn_conn_sum_t *s = &t->conns[i];
                json_object_begin(j, NULL);
                json_flow(j, "flow", &s->key);
                json_str(j, "capture_point", capture_point_name((capture_point_t) s->capture_point));
                json_u64(j, "exchanges", s->n);
                json_parts(j, s->part);
                for (int h = 0; h < 2; h++) {
                        const char *k = h ? "rtt_server_ms" : "rtt_client_ms";
                        if (s->rtt[h] >= 0)
                                json_ms(j, k, s->rtt[h]);
                        else
                                json_null(j, k);
                }
                json_object_end(j);
        }
        json_array_end(j);
        json_object_end(j);
}

static void json_trace(json_t *j, const xfer_trace_t *tr) {
        if (!tr->p || tr->n < 2) {
                json_null(j, "trace");
                return;
        }
        json_object_begin(j, "trace");
        json_flow(j, "flow", &tr->key);
        json_ts(j, "t0", tr->t0);
        json_array_begin(j, "t");
        for (uint32_t i = 0; i < tr->n; i++)
                json_double(j, NULL, (double) (tr->p[i].ts - tr->t0) / 1e9, 6);
        json_array_end(j);
        json_array_begin(j, "seq");
        for (uint32_t i = 0; i < tr->n; i++)
                json_i64(j, NULL, (int32_t) (tr->p[i].seq - tr->seq0));
        json_array_end(j);
        json_array_begin(j, "ack");
        for (uint32_t i = 0; i < tr->n; i++)
                json_i64(j, NULL, (int32_t) (tr->p[i].ack - tr->seq0));
        json_array_end(j);
        json_array_begin(j, "win");
        for (uint32_t i = 0; i < tr->n; i++)
                json_i64(j, NULL, (int32_t) (tr->p[i].edge - tr->seq0));
        json_array_end(j);
        json_object_end(j);
}

void json_transfers(json_t *j, const analysis_t *a) {
        const xfer_state_t *x = &a->xfer;
        json_object_begin(j, "transfers");
        json_u64(j, "total", x->total);
        json_u64(j, "bytes", x->bytes);
        json_object_begin(j, "time_ms");
        for (int i = 0; i < _XL_MAX; i++)
                json_ms(j, xfer_limit_name((xfer_limit_t) i), x->t[i]);
        json_object_end(j);
        json_u64(j, "kept", x->n);
        json_array_begin(j, "items");
        for (uint32_t i = 0; i < x->n; i++) {
                const xfer_item_t *it = &x->items[i];
                json_object_begin(j, NULL);
                json_flow(j, "flow", &it->key);
                json_str(j, "direction", it->response ? "response" : "request");
                json_ts(j, "start_ts", it->start);
                json_frame(j, "start_frame", it->start_frame);
                json_u64(j, "bytes", it->bytes);
                json_ms(j, "duration_ms", it->dur);
                json_double(j, "goodput_bps", it->dur > 0 ? (double) it->bytes * 8e9 / (double) it->dur : 0, 0);
                json_str(j, "limit", xfer_limit_word(it->t, it->rtt_base));
                int64_t all = 0;
                for (int k = 0; k < _XL_MAX; k++)
                        all = sat_add(all, it->t[k]);
                json_object_begin(j, "shares");
                for (int k = 0; k < _XL_MAX; k++)
                        json_double(j, xfer_limit_name((xfer_limit_t) k),
                                    all > 0 ? 100.0 * (double) it->t[k] / (double) all : 0, 1);
                json_object_end(j);
                if (it->rtt_base >= 0)
                        json_ms(j, "rtt_base_ms", it->rtt_base);
                else
                        json_null(j, "rtt_base_ms");
                json_ms(j, "queue_delay_ms", it->queue_max);
                json_object_end(j);
        }
        json_array_end(j);
        json_trace(j, &x->best);
        json_object_end(j);
}
