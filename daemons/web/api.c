/* /api/ routes. Every id is checked (32 lower-case hex digits) before any lookup or path is built. */
#include "api.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "health.h"
#include "id.h"
#include "json.h"
#include "log/log.h"
#include "sse.h"
#include "task.h"
#include "upload.h"
#include "web.h"

#define HISTORY_DEFAULT 50
#define HISTORY_MAX 1000

uint64_t web_now_mono(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

void web_send_json(h2o_req_t *req, int status, const char *reason, const char *body, size_t len) {
        h2o_iovec_t b = h2o_strdup(&req->pool, body, len);
        req->res.status = status;
        req->res.reason = reason;
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("application/json"));
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-store"));
        h2o_send_inline(req, b.base, b.len);
}

void web_send_error(h2o_req_t *req, int status, const char *reason, const char *message) {
        json_t j = {};
        json_begin(&j, '{');
        json_kv_str(&j, "error", message);
        json_kv_u64(&j, "status", (uint64_t) status);
        json_end(&j, '}');
        json_raw(&j, "\n", 1);
        if (j.oom)
                h2o_send_error_generic(req, status, reason, message, 0);
        else
                web_send_json(req, status, reason, j.buf, j.len);
        json_free(&j);
}

/* The path without the query string. */
static h2o_iovec_t req_path(h2o_req_t *req) {
        h2o_iovec_t p = req->path_normalized;
        return p;
}

const char *web_path_id(h2o_req_t *req, size_t prefix_len, size_t *ret_rest) {
        h2o_iovec_t p = req_path(req);
        const char *id = p.base + prefix_len;
        size_t n = 0;

        while (prefix_len + n < p.len && id[n] != '/')
                n++;
        if (!id_is_valid(id, n)) {
                web_send_error(req, 400, "Bad Request", "invalid task id");
                return NULL;
        }
        if (ret_rest)
                *ret_rest = prefix_len + n;
        return h2o_strdup(&req->pool, id, n).base;
}

static bool path_is(h2o_req_t *req, const char *s) {
        h2o_iovec_t p = req_path(req);
        return h2o_memis(p.base, p.len, s, strlen(s));
}

static bool path_has_prefix(h2o_req_t *req, const char *s) {
        h2o_iovec_t p = req_path(req);
        size_t n = strlen(s);
        return p.len >= n && memcmp(p.base, s, n) == 0;
}

static bool method_is(h2o_req_t *req, const char *m) {
        return h2o_memis(req->method.base, req->method.len, m, strlen(m));
}

static void url_fields(json_t *j, const char *id, bool completed) {
        char url[96];
        if (completed) {
                snprintf(url, sizeof(url), "/api/reports/%s/html", id);
                json_kv_str(j, "report_html_url", url);
                snprintf(url, sizeof(url), "/api/reports/%s/json", id);
                json_kv_str(j, "report_json_url", url);
        } else {
                json_kv_null(j, "report_html_url");
                json_kv_null(j, "report_json_url");
        }
}

/* The status object: the database row, with live figures when the task is queued or running. */
static void status_object(json_t *j, const store_task_t *row) {
        task_t *t = (row->status == TASK_QUEUED || row->status == TASK_PROCESSING) ? task_find(row->id) : NULL;

        json_begin(j, '{');
        json_kv_str(j, "task_id", row->id);
        json_kv_str(j, "filename", row->filename);
        json_kv_str(j, "status", task_status_to_string(t ? t->status : row->status));
        if (t) {
                json_kv_str(j, "phase", t->phase);
                json_kv_double(j, "progress_percent", t->percent);
                json_kv_u64(j, "packets_processed", t->packets);
                json_kv_double(j, "packets_per_second", t->packets_per_second);
                json_kv_u64(j, "queue_position", task_queue_position(t));
        } else {
                const char *phase = row->status == TASK_COMPLETED ? "done" : task_status_to_string(row->status);
                json_kv_str(j, "phase", phase);
                json_kv_double(j, "progress_percent", row->status == TASK_COMPLETED ? 100.0 : 0.0);
                json_kv_u64(j, "packets_processed", row->packets);
        }
        json_kv_u64(j, "file_size_bytes", row->file_size);
        json_kv_time(j, "uploaded_at", row->uploaded_at);
        json_kv_time(j, "started_at", t && t->started_at ? t->started_at : row->started_at);
        json_kv_time(j, "finished_at", row->finished_at);
        json_kv_time(j, "expires_at", row->expires_at);
        if (row->status == TASK_COMPLETED && row->health_score >= 0)
                json_kv_i64(j, "health_score", row->health_score);
        else
                json_kv_null(j, "health_score");
        if (row->status == TASK_COMPLETED) {
                json_kv_u64(j, "findings", row->findings);
                json_kv_bool(j, "partial", row->partial);
        }
        if (row->status == TASK_FAILED)
                json_kv_str(j, "error_message", row->error_message);
        else if (row->status == TASK_EXPIRED)
                json_kv_str(j, "error_message", "the report has expired");
        else
                json_kv_null(j, "error_message");
        url_fields(j, row->id, row->status == TASK_COMPLETED);
        json_end(j, '}');
}

static void send_built(h2o_req_t *req, json_t *j) {
        if (j->oom)
                web_send_error(req, 500, "Internal Server Error", "out of memory");
        else {
                json_raw(j, "\n", 1);
                web_send_json(req, 200, "OK", j->buf, j->len);
        }
        json_free(j);
}

static int get_row_or_answer(h2o_req_t *req, const char *id, store_task_t *row) {
        int r = store_task_get(web.store, id, row);
        if (r == -ENOENT)
                web_send_error(req, 404, "Not Found", "unknown task");
        else if (r < 0) {
                log_error_errno(r, id, "store-error", "Failed to read the task: %m");
                web_send_error(req, 500, "Internal Server Error", "database error");
        }
        return r;
}

static int handle_status(h2o_req_t *req) {
        size_t rest;
        const char *id = web_path_id(req, strlen("/api/status/"), &rest);
        store_task_t row;
        json_t j = {};

        if (!id)
                return 0;
        if (rest != req_path(req).len) {
                web_send_error(req, 404, "Not Found", "no such resource");
                return 0;
        }
        if (get_row_or_answer(req, id, &row) < 0)
                return 0;
        status_object(&j, &row);
        send_built(req, &j);
        return 0;
}

typedef struct history_ctx {
        json_t *j;
} history_ctx_t;

static int history_one(const store_task_t *t, void *userdata) {
        history_ctx_t *c = userdata;
        json_element(c->j);
        c->j->need_comma = false;
        status_object(c->j, t);
        return 0;
}

static unsigned query_limit(h2o_req_t *req) {
        unsigned long v = HISTORY_DEFAULT;
        if (req->query_at != SIZE_MAX) {
                const char *q = req->path.base + req->query_at + 1;
                size_t n = req->path.len - req->query_at - 1;
                for (size_t i = 0; i + 6 <= n; i++) {
                        if ((i == 0 || q[i - 1] == '&') && memcmp(q + i, "limit=", 6) == 0) {
                                v = 0;
                                for (size_t k = i + 6; k < n && q[k] >= '0' && q[k] <= '9' && v <= HISTORY_MAX; k++)
                                        v = v * 10 + (unsigned long) (q[k] - '0');
                                break;
                        }
                }
        }
        if (v == 0)
                v = HISTORY_DEFAULT;
        return v > HISTORY_MAX ? HISTORY_MAX : (unsigned) v;
}

static int handle_history(h2o_req_t *req) {
        json_t j = {};
        history_ctx_t c = { &j };
        int r;

        json_begin(&j, '{');
        json_key(&j, "tasks");
        json_begin(&j, '[');
        r = store_list_history(web.store, query_limit(req), history_one, &c);
        if (r < 0) {
                json_free(&j);
                log_error_errno(r, NULL, "store-error", "Failed to list the history: %m");
                web_send_error(req, 500, "Internal Server Error", "database error");
                return 0;
        }
        json_end(&j, ']');
        json_end(&j, '}');
        send_built(req, &j);
        return 0;
}

static int handle_queue_status(h2o_req_t *req) {
        json_t j = {};
        unsigned pos = 1;

        json_begin(&j, '{');
        json_kv_u64(&j, "queued", web.n_queued);
        json_kv_u64(&j, "running", web.n_running);
        json_kv_u64(&j, "uploading", web.n_uploading);
        json_kv_u64(&j, "workers", arg_workers);
        json_kv_u64(&j, "queue_max", arg_queue_max);
        json_kv_u64(&j, "max_upload_bytes", arg_max_upload_bytes);
        json_kv_u64(&j, "retention_seconds", arg_retention_ms / 1000);
        json_kv_bool(&j, "accepting", !web.stopping && web.n_queued + web.n_uploading < arg_queue_max);
        json_key(&j, "tasks");
        json_begin(&j, '[');
        for (h2o_linklist_t *l = web.tasks.next; l != &web.tasks; l = l->next) {
                task_t *t = H2O_STRUCT_FROM_MEMBER(task_t, link, l);
                if (t->status != TASK_PROCESSING)
                        continue;
                json_element(&j);
                json_begin(&j, '{');
                json_kv_str(&j, "task_id", t->id);
                json_kv_str(&j, "filename", t->filename);
                json_kv_str(&j, "status", "processing");
                json_kv_str(&j, "phase", t->phase);
                json_kv_double(&j, "progress_percent", t->percent);
                json_end(&j, '}');
        }
        for (h2o_linklist_t *l = web.queue.next; l != &web.queue; l = l->next, pos++) {
                task_t *t = H2O_STRUCT_FROM_MEMBER(task_t, queue_link, l);
                json_element(&j);
                json_begin(&j, '{');
                json_kv_str(&j, "task_id", t->id);
                json_kv_str(&j, "filename", t->filename);
                json_kv_str(&j, "status", "queued");
                json_kv_u64(&j, "queue_position", pos);
                json_end(&j, '}');
        }
        json_end(&j, ']');
        json_end(&j, '}');
        send_built(req, &j);
        return 0;
}

static int handle_progress(h2o_req_t *req) {
        size_t rest;
        const char *id = web_path_id(req, strlen("/api/progress/"), &rest);
        if (!id)
                return 0;
        if (rest != req_path(req).len) {
                web_send_error(req, 404, "Not Found", "no such resource");
                return 0;
        }
        return sse_handle(req, id);
}

int api_handle(h2o_req_t *req) {
        bool get = method_is(req, "GET") || method_is(req, "HEAD");

        if (path_is(req, "/api/upload")) {
                if (method_is(req, "POST") || method_is(req, "PUT"))
                        return upload_handle(req);
                h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, H2O_STRLIT("POST, PUT"));
                web_send_error(req, 405, "Method Not Allowed", "use POST");
                return 0;
        }
        if (path_is(req, "/api/health")) {
                if (!get)
                        goto not_allowed;
                return health_handle(req);
        }
        if (path_is(req, "/api/history")) {
                if (!get)
                        goto not_allowed;
                return handle_history(req);
        }
        if (path_is(req, "/api/queue/status")) {
                if (!get)
                        goto not_allowed;
                return handle_queue_status(req);
        }
        if (path_has_prefix(req, "/api/status/")) {
                if (!get)
                        goto not_allowed;
                return handle_status(req);
        }
        if (path_has_prefix(req, "/api/progress/")) {
                /* GET only: a stream has no end a HEAD could report */
                if (!method_is(req, "GET"))
                        goto not_allowed;
                return handle_progress(req);
        }
        web_send_error(req, 404, "Not Found", "no such API endpoint");
        return 0;

not_allowed:
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, H2O_STRLIT("GET, HEAD"));
        web_send_error(req, 405, "Method Not Allowed", "method not allowed");
        return 0;
}

static int report_delete(h2o_req_t *req, const char *id) {
        store_task_t row;
        char name[ID_LEN + 8];
        int r;

        if (get_row_or_answer(req, id, &row) < 0)
                return 0;
        if (row.status == TASK_QUEUED || row.status == TASK_PROCESSING) {
                web_send_error(req, 409, "Conflict", "the task is not finished");
                return 0;
        }
        /* files first: a row without files is harmless, files without a row are orphans for the reaper */
        snprintf(name, sizeof(name), "%s.json", id);
        (void) unlinkat(web.reports_fd, name, 0);
        snprintf(name, sizeof(name), "%s.html", id);
        (void) unlinkat(web.reports_fd, name, 0);
        r = store_task_delete(web.store, id);
        if (r < 0 && r != -ENOENT) {
                log_error_errno(r, id, "store-error", "Failed to delete the task: %m");
                web_send_error(req, 500, "Internal Server Error", "database error");
                return 0;
        }
        log_info(id, "report-deleted", "Report deleted on request");
        {
                json_t j = {};
                json_begin(&j, '{');
                json_kv_str(&j, "task_id", id);
                json_kv_bool(&j, "deleted", true);
                json_end(&j, '}');
                send_built(req, &j);
        }
        return 0;
}

/* /api/reports/{id}/json|html and DELETE /api/reports/{id} */
int api_reports_handle(h2o_req_t *req) {
        size_t rest;
        const char *id = web_path_id(req, strlen("/api/reports/"), &rest);
        h2o_iovec_t p = req_path(req);
        const char *kind = p.base + rest, *mime;
        size_t kind_len = p.len - rest;
        store_task_t row;
        char path[4096];

        if (!id)
                return 0;
        if (method_is(req, "DELETE")) {
                if (kind_len != 0) {
                        web_send_error(req, 404, "Not Found", "no such resource");
                        return 0;
                }
                return report_delete(req, id);
        }
        if (!method_is(req, "GET") && !method_is(req, "HEAD")) {
                h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, H2O_STRLIT("GET, HEAD, DELETE"));
                web_send_error(req, 405, "Method Not Allowed", "method not allowed");
                return 0;
        }
        if (h2o_memis(kind, kind_len, H2O_STRLIT("/json")))
                mime = "application/json";
        else if (h2o_memis(kind, kind_len, H2O_STRLIT("/html")))
                mime = "text/html; charset=utf-8";
        else {
                web_send_error(req, 404, "Not Found", "no such report format (json or html)");
                return 0;
        }
        if (get_row_or_answer(req, id, &row) < 0)
                return 0;
        if (row.status != TASK_COMPLETED) {
                if (row.status == TASK_EXPIRED)
                        web_send_error(req, 410, "Gone", "the report has expired");
                else if (row.status == TASK_FAILED)
                        web_send_error(req, 404, "Not Found", "the analysis failed, there is no report");
                else
                        web_send_error(req, 404, "Not Found", "the report is not ready yet");
                return 0;
        }
        snprintf(path, sizeof(path), "%s/reports/%s.%.*s", arg_state_dir, id, (int) (kind_len - 1), kind + 1);
        req->compress_hint = H2O_COMPRESS_HINT_ENABLE;
        if (kind[1] == 'j') {
                char cd[128];
                int n = snprintf(cd, sizeof(cd), "inline; filename=\"pcapd-report-%s.json\"", id);
                h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_DISPOSITION, NULL,
                               h2o_strdup(&req->pool, cd, (size_t) n).base, (size_t) n);
        }
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("private, max-age=3600"));
        if (h2o_file_send(req, 200, "OK", path, h2o_iovec_init(mime, strlen(mime)), 0) < 0) {
                req->res.headers = (h2o_headers_t) {};
                web_send_error(req, 410, "Gone", "the report file is gone");
        }
        return 0;
}
