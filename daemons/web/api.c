/* The JSON API's handlers (see api.h). Every id is checked (util/id.h) before any lookup or path is built. */
#include "api.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "fetcher.h"
#include "http.h"
#include "json.h"
#include "log/log.h"
#include "sse.h"
#include "task.h"
#include "util/macro.h"

#define HISTORY_DEFAULT 50
#define HISTORY_MAX 1000

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
/* The owner's name, for an admin's listing. */
static void owner_field(store_t *s, json_t *j, int64_t owner) {
        store_user_t u;
        if (owner == 0) {
                json_kv_null(j, "owner");
                return;
        }
        if (store_user_get(s, owner, &u) < 0) {
                json_kv_str(j, "owner", "(deleted account)");
                return;
        }
        explicit_bzero(u.password, sizeof(u.password));
        json_kv_str(j, "owner", u.name);
}

/* The status object: the database row, with live figures when the task is queued or running; with its
 * owner's name when owners is given (an admin's view). */
static void status_object(const dispatcher_t *d, json_t *j, const store_task_t *row, store_t *owners) {
        task_t *t = (row->status == TASK_QUEUED || row->status == TASK_PROCESSING) ? dispatcher_find(d, row->id) : NULL;

        json_begin(j, '{');
        json_kv_str(j, "task_id", row->id);
        json_kv_str(j, "filename", row->filename);
        json_kv_str(j, "status", task_status_to_string(t ? t->status : row->status));
        if (t) {
                json_kv_str(j, "phase", t->phase);
                json_kv_double(j, "progress_percent", t->percent);
                json_kv_u64(j, "packets_processed", t->packets);
                json_kv_double(j, "packets_per_second", t->packets_per_second);
                json_kv_u64(j, "queue_position", dispatcher_queue_position(d, t));
                json_kv_double(j, "memory_mb", (double) t->peak_rss / (1 << 20));
        } else {
                const char *phase = row->status == TASK_COMPLETED ? "done" : task_status_to_string(row->status);
                json_kv_str(j, "phase", phase);
                json_kv_double(j, "progress_percent", row->status == TASK_COMPLETED ? 100.0 : 0.0);
                json_kv_u64(j, "packets_processed", row->packets);
                if (row->peak_memory)
                        json_kv_double(j, "memory_mb", (double) row->peak_memory / (1 << 20));
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
        if (owners)
                owner_field(owners, j, row->owner);
        json_end(j, '}');
}

int api_task_get(web_t *w, h2o_req_t *req, const identity_t *who, const char *id, store_task_t *row) {
        int r = store_task_get(w->store, id, row);
        /* another account's task is answered exactly as one that does not exist */
        if (r >= 0 && !identity_sees(who, row->owner))
                r = -ENOENT;
        if (r == -ENOENT)
                http_send_error(req, 404, "Not Found", "unknown task");
        else if (r < 0) {
                log_error_errno(r, id, "store-error", "Failed to read the task: %m");
                http_send_error(req, 500, "Internal Server Error", "database error");
        }
        return r;
}

int api_status(web_t *w, h2o_req_t *req, const identity_t *who, size_t prefix_len) {
        size_t rest;
        const char *id = http_path_id(req, prefix_len, &rest);
        store_task_t row;
        json_t j = {};

        if (!id)
                return 0;
        if (rest != req->path_normalized.len) {
                http_send_error(req, 404, "Not Found", "no such resource");
                return 0;
        }
        if (api_task_get(w, req, who, id, &row) < 0)
                return 0;
        status_object(&w->dispatcher, &j, &row, identity_is_admin(who) && w->auth_accounts ? w->store : NULL);
        http_send_built(req, 200, "OK", &j);
        return 0;
}

typedef struct history_ctx {
        const dispatcher_t *d;
        json_t *j;
        bool owners;        /* an admin's list: each task says whose it is */
        web_t *w;
} history_ctx_t;

static int history_one(const store_task_t *t, void *userdata) {
        history_ctx_t *c = userdata;
        json_element(c->j);
        c->j->need_comma = false;
        status_object(c->d, c->j, t, c->owners ? c->w->store : NULL);
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

int api_history(web_t *w, h2o_req_t *req, const identity_t *who) {
        json_t j = {};
        history_ctx_t c = { &w->dispatcher, &j, identity_is_admin(who) && w->auth_accounts, w };
        int r;

        json_begin(&j, '{');
        json_key(&j, "tasks");
        json_begin(&j, '[');
        r = store_list_history(w->store, query_limit(req), identity_owner_filter(who), history_one, &c);
        if (r < 0) {
                json_free(&j);
                log_error_errno(r, NULL, "store-error", "Failed to list the history: %m");
                http_send_error(req, 500, "Internal Server Error", "database error");
                return 0;
        }
        json_end(&j, ']');
        json_end(&j, '}');
        http_send_built(req, 200, "OK", &j);
        return 0;
}

int api_queue_status(web_t *w, h2o_req_t *req, const identity_t *who) {
        const dispatcher_t *d = &w->dispatcher;
        json_t j = {};
        unsigned pos = 1;

        json_begin(&j, '{');
        json_kv_u64(&j, "queued", dispatcher_queued(d));
        json_kv_u64(&j, "running", d->n_running);
        json_kv_u64(&j, "uploading", w->n_uploading);
        json_kv_u64(&j, "workers", w->cfg->workers);
        json_kv_u64(&j, "queue_max", w->cfg->queue_max);
        json_kv_u64(&j, "max_upload_bytes", w->cfg->max_upload_bytes);
        json_kv_u64(&j, "retention_seconds", w->cfg->retention_ms / 1000);
        json_kv_bool(&j, "accepting", !w->stopping && dispatcher_queued(d) + w->n_uploading < w->cfg->queue_max);
        json_key(&j, "tasks");
        json_begin(&j, '[');
        for (h2o_linklist_t *l = d->tasks.next; l != &d->tasks; l = l->next) {
                task_t *t = H2O_STRUCT_FROM_MEMBER(task_t, link, l);
                if (t->status != TASK_PROCESSING || !identity_sees(who, t->owner))
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
        for (h2o_linklist_t *l = d->queue.next; l != &d->queue; l = l->next, pos++) {
                task_t *t = H2O_STRUCT_FROM_MEMBER(task_t, queue_link, l);
                if (!identity_sees(who, t->owner))
                        continue;
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
        http_send_built(req, 200, "OK", &j);
        return 0;
}

int api_progress(web_t *w, h2o_req_t *req, const identity_t *who, size_t prefix_len) {
        size_t rest;
        const char *id = http_path_id(req, prefix_len, &rest);
        store_task_t row;
        task_t *t;

        if (!id)
                return 0;
        if (rest != req->path_normalized.len) {
                http_send_error(req, 404, "Not Found", "no such resource");
                return 0;
        }
        t = dispatcher_find(&w->dispatcher, id);
        if (t && !identity_sees(who, t->owner)) {
                http_send_error(req, 404, "Not Found", "unknown task");
                return 0;
        }
        if (!t && api_task_get(w, req, who, id, &row) < 0)
                return 0;
        if (w->stopping) {
                http_send_error(req, 503, "Service Unavailable", "shutting down");
                return 0;
        }
        /* another node's task that has not ended: followed here, not answered with its row as if final */
        if (!t && dispatcher_follow(&w->dispatcher, &row, &t) < 0) {
                http_send_error(req, 503, "Service Unavailable", "out of memory");
                return 0;
        }
        return sse_start(req, t, t ? NULL : &row);
}

static int report_delete(web_t *w, h2o_req_t *req, const identity_t *who, const char *id) {
        store_task_t row;
        int r;

        if (api_task_get(w, req, who, id, &row) < 0)
                return 0;
        if (row.status == TASK_QUEUED || row.status == TASK_PROCESSING) {
                http_send_error(req, 409, "Conflict", "the task is not finished");
                return 0;
        }
        /* files first: a row without files is harmless, files without a row are orphans for the reaper */
        state_reports_unlink(&w->state, id);
        r = store_task_delete(w->store, id);
        if (r < 0 && r != -ENOENT) {
                log_error_errno(r, id, "store-error", "Failed to delete the task: %m");
                http_send_error(req, 500, "Internal Server Error", "database error");
                return 0;
        }
        if (who->kind != IDENTITY_OPEN && who->user_id != row.owner) {
                char remote[64];
                auth_peer(req, remote, sizeof(remote));
                auth_log(LOG_NOTICE, "admin-delete", who->name, remote, "Administrator %s deleted task %s of another account",
                         who->name, id);
        }
        log_info(id, "report-deleted", "Report deleted on request");
        {
                json_t j = {};
                json_begin(&j, '{');
                json_kv_str(&j, "task_id", id);
                json_kv_bool(&j, "deleted", true);
                json_end(&j, '}');
                http_send_built(req, 200, "OK", &j);
        }
        return 0;
}

/* The report file, here now (fd: it, or -errno when it could not be fetched), with its headers. */
static void report_send_file(web_t *w, h2o_req_t *req, const char *id, state_report_t kind, int fd) {
        const char *mime = kind == STATE_REPORT_JSON ? "application/json" : "text/html; charset=utf-8";
        char path[4096];

        if (fd < 0 && fd != -ENOENT) {
                log_error_errno(fd, id, "report-fetch-failed", "Failed to copy the report from the database: %m");
                http_send_error(req, 503, "Service Unavailable", "the report could not be read, try again later");
                return;
        }
        if (state_report_path(&w->state, id, kind, path, sizeof(path)) < 0) {
                http_send_error(req, 500, "Internal Server Error", "state directory path too long");
                return;
        }
        req->compress_hint = H2O_COMPRESS_HINT_ENABLE;
        if (kind == STATE_REPORT_JSON) {
                char cd[128];
                int n = snprintf(cd, sizeof(cd), "inline; filename=\"pcapd-report-%s.json\"", id);
                h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_DISPOSITION, NULL,
                               h2o_strdup(&req->pool, cd, (size_t) n).base, (size_t) n);
        }
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("private, max-age=3600"));
        if (h2o_file_send(req, 200, "OK", path, h2o_iovec_init(mime, strlen(mime)), 0) < 0) {
                req->res.headers = (h2o_headers_t) {};
                http_send_error(req, 410, "Gone", "the report file is gone");
        }
}

/* A report that another node made, on its way from the database (shared bytes, fetcher.h). */
typedef struct report_fetch {
        fetch_job_t job;
        web_t *web;
        h2o_req_t *req;                  /* NULL once the request is gone */
        struct report_guard *guard;
        state_report_t kind;
} report_fetch_t;

/* Lives in req->pool: its dispose tells the fetch that the request went away. */
typedef struct report_guard {
        report_fetch_t *fetch;
} report_guard_t;

static void on_report_guard_dispose(void *p) {
        report_guard_t *g = p;
        if (g->fetch)
                g->fetch->req = NULL;
}

static void on_report_fetched(fetch_job_t *job) {
        _cleanup_free_ report_fetch_t *f = H2O_STRUCT_FROM_MEMBER(report_fetch_t, job, job);

        if (f->guard)
                f->guard->fetch = NULL;
        if (f->req)
                report_send_file(f->web, f->req, job->id, f->kind, job->fd);
        safe_close(job->fd);
}

/* Fetches the report on the fetcher thread and answers when it is here: 0, or -errno when it cannot be
 * queued (the caller fetches it itself). */
static int report_fetch_start(web_t *w, h2o_req_t *req, const char *id, state_report_t kind) {
        report_fetch_t *f = calloc(1, sizeof(*f));
        report_guard_t *g;

        if (!f)
                return -ENOMEM;
        f->web = w;
        f->req = req;
        f->kind = kind;
        f->job.state = &w->state;
        f->job.kind = kind == STATE_REPORT_JSON ? STORE_BLOB_JSON : STORE_BLOB_HTML;
        memcpy(f->job.id, id, sizeof(f->job.id));
        f->job.done = on_report_fetched;
        if (fetcher_submit(&f->job) < 0) {
                free(f);
                return -ESRCH;
        }
        g = h2o_mem_alloc_shared(&req->pool, sizeof(*g), on_report_guard_dispose);
        g->fetch = f;
        f->guard = g;
        return 0;
}

int api_report_send(web_t *w, h2o_req_t *req, const identity_t *who, const char *id, state_report_t kind) {
        store_task_t row;
        int fd = -ENOENT; /* not looked at here: h2o_file_send finds out */

        if (api_task_get(w, req, who, id, &row) < 0)
                return 0;
        if (row.status != TASK_COMPLETED) {
                if (row.status == TASK_EXPIRED)
                        http_send_error(req, 410, "Gone", "the report has expired");
                else if (row.status == TASK_FAILED)
                        http_send_error(req, 404, "Not Found", "the analysis failed, there is no report");
                else
                        http_send_error(req, 404, "Not Found", "the report is not ready yet");
                return 0;
        }
        if (store_shared(w->store)) {
                /* another node may have run it: its reports are in the database, copied here once, off the
                 * loop (on the loop only when the fetcher cannot take it) */
                fd = state_report_open(&w->state, id, kind);
                if (fd == -ENOENT) {
                        if (report_fetch_start(w, req, id, kind) >= 0)
                                return 0;
                        fd = state_report_fetch(&w->state, w->store, id, kind);
                }
        }
        report_send_file(w, req, id, kind, fd);
        safe_close(fd);
        return 0;
}

int api_reports(web_t *w, h2o_req_t *req, const identity_t *who, size_t prefix_len) {
        size_t rest;
        const char *id = http_path_id(req, prefix_len, &rest);
        h2o_iovec_t p = req->path_normalized;
        const char *kind = p.base + rest;
        size_t kind_len = p.len - rest;

        if (!id)
                return 0;
        if (http_method_is(req, "DELETE")) {
                if (kind_len != 0) {
                        http_send_error(req, 404, "Not Found", "no such resource");
                        return 0;
                }
                return report_delete(w, req, who, id);
        }
        if (h2o_memis(kind, kind_len, H2O_STRLIT("/json")))
                return api_report_send(w, req, who, id, STATE_REPORT_JSON);
        if (h2o_memis(kind, kind_len, H2O_STRLIT("/html")))
                return api_report_send(w, req, who, id, STATE_REPORT_HTML);
        http_send_error(req, 404, "Not Found", "no such report format (json or html)");
        return 0;
}
