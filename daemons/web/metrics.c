/* Prometheus metrics: task counts by status from the database, the rest from the process's counters. */
#include "metrics.h"

#include "config.h"
#include "conn.h"
#include "json.h"
#include "http.h"
#include "sse.h"

static const char *const bucket_labels[DURATION_BUCKETS] = { "0.1", "0.25", "0.5", "1", "2.5", "5",
                                                             "10", "30", "60", "300", "900", "1800" };

int metrics_handle(web_t *w, h2o_req_t *req) {
        uint64_t counts[_TASK_STATUS_MAX] = {};
        const dispatcher_metrics_t *m = &w->dispatcher.metrics;
        const upload_metrics_t *u = &w->uploads;
        json_t j = {}; /* plain text here; json_t is just a growable buffer */
        int r;

        r = store_count(w->store, counts);

        json_printf(&j, "# HELP pcapd_tasks Tasks in the database by status.\n# TYPE pcapd_tasks gauge\n");
        for (unsigned i = 0; i < _TASK_STATUS_MAX; i++)
                json_printf(&j, "pcapd_tasks{status=\"%s\"} %llu\n", task_status_to_string(i), (unsigned long long) counts[i]);
        json_printf(&j, "# HELP pcapd_tasks_finished_total Analyses finished since start, by final status.\n"
                        "# TYPE pcapd_tasks_finished_total counter\n"
                        "pcapd_tasks_finished_total{status=\"completed\"} %llu\n"
                        "pcapd_tasks_finished_total{status=\"failed\"} %llu\n",
                    (unsigned long long) m->finished[TASK_COMPLETED], (unsigned long long) m->finished[TASK_FAILED]);
        json_printf(&j, "# HELP pcapd_analysis_duration_seconds Wall time of analyses (start to end).\n"
                        "# TYPE pcapd_analysis_duration_seconds histogram\n");
        for (unsigned i = 0; i < DURATION_BUCKETS; i++)
                json_printf(&j, "pcapd_analysis_duration_seconds_bucket{le=\"%s\"} %llu\n", bucket_labels[i],
                            (unsigned long long) m->duration_buckets[i]);
        json_printf(&j, "pcapd_analysis_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
                        "pcapd_analysis_duration_seconds_sum %.3f\n"
                        "pcapd_analysis_duration_seconds_count %llu\n",
                    (unsigned long long) m->duration_count, m->duration_sum, (unsigned long long) m->duration_count);
        json_printf(&j, "# HELP pcapd_analysis_peak_memory_bytes Peak resident memory of each analysis (the analyzer's own).\n"
                        "# TYPE pcapd_analysis_peak_memory_bytes histogram\n");
        for (unsigned i = 0; i < MEMORY_BUCKETS; i++)
                json_printf(&j, "pcapd_analysis_peak_memory_bytes_bucket{le=\"%.0f\"} %llu\n",
                            dispatcher_memory_bounds_mb[i] * (1 << 20), (unsigned long long) m->memory_buckets[i]);
        json_printf(&j, "pcapd_analysis_peak_memory_bytes_bucket{le=\"+Inf\"} %llu\n"
                        "pcapd_analysis_peak_memory_bytes_sum %.0f\n"
                        "pcapd_analysis_peak_memory_bytes_count %llu\n",
                    (unsigned long long) m->memory_count, m->memory_sum, (unsigned long long) m->memory_count);
        json_printf(&j, "# HELP pcapd_queue_depth Tasks waiting for a worker.\n# TYPE pcapd_queue_depth gauge\n"
                        "pcapd_queue_depth %llu\n", (unsigned long long) dispatcher_queued(&w->dispatcher));
        json_printf(&j, "# HELP pcapd_queue_max Waiting tasks before uploads are refused.\n# TYPE pcapd_queue_max gauge\n"
                        "pcapd_queue_max %u\n", w->cfg->queue_max);
        json_printf(&j, "# HELP pcapd_running_analyses Analyses in progress.\n# TYPE pcapd_running_analyses gauge\n"
                        "pcapd_running_analyses %u\n", w->dispatcher.n_running);
        json_printf(&j, "# HELP pcapd_workers Analyses allowed at once.\n# TYPE pcapd_workers gauge\n"
                        "pcapd_workers %u\n", w->cfg->workers);
        json_printf(&j, "# HELP pcapd_uploaded_bytes_total Bytes of captures accepted.\n"
                        "# TYPE pcapd_uploaded_bytes_total counter\npcapd_uploaded_bytes_total %llu\n",
                    (unsigned long long) u->bytes_uploaded);
        json_printf(&j, "# HELP pcapd_uploads_total Upload requests by result.\n# TYPE pcapd_uploads_total counter\n"
                        "pcapd_uploads_total{result=\"accepted\"} %llu\npcapd_uploads_total{result=\"rejected\"} %llu\n",
                    (unsigned long long) u->uploads_accepted, (unsigned long long) u->uploads_rejected);
        json_printf(&j, "# HELP pcapd_packets_analysed_total Packets read by finished analyses.\n"
                        "# TYPE pcapd_packets_analysed_total counter\npcapd_packets_analysed_total %llu\n",
                    (unsigned long long) m->packets_analysed);
        json_printf(&j, "# HELP pcapd_analyzer_failures_total Analyses that could not reach or start an analyzer.\n"
                        "# TYPE pcapd_analyzer_failures_total counter\npcapd_analyzer_failures_total %llu\n",
                    (unsigned long long) m->analyzer_failures);
        json_printf(&j, "# HELP pcapd_sse_streams Open progress streams.\n# TYPE pcapd_sse_streams gauge\n"
                        "pcapd_sse_streams %u\n", sse_count());
        json_printf(&j, "# HELP pcapd_http_connections Open HTTP connections.\n# TYPE pcapd_http_connections gauge\n"
                        "pcapd_http_connections %u\n", conn_count());
        json_printf(&j, "# HELP pcapd_database_up 1 when the task database answered.\n# TYPE pcapd_database_up gauge\n"
                        "pcapd_database_up %d\n", r >= 0);

        if (j.oom) {
                json_free(&j);
                http_send_error(req, 500, "Internal Server Error", "out of memory");
                return 0;
        }
        req->res.status = 200;
        req->res.reason = "OK";
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                       H2O_STRLIT("text/plain; version=0.0.4; charset=utf-8"));
        h2o_iovec_t b = h2o_strdup(&req->pool, j.buf, j.len);
        json_free(&j);
        h2o_send_inline(req, b.base, b.len);
        return 0;
}
