/* The browser's pages (see pages.h). */
#include "pages.h"

#include <stdio.h>
#include <string.h>

#include "api.h"
#include "config.h"
#include "http.h"

typedef struct header_set {
        const char *name, *value;
} header_set_t;

/* Reports are self-contained HTML: no scripts, inline styles and data: images only. Set here rather than by
 * a pathconf's header filter, because /report/{id} answers with a page or with a report. */
static const header_set_t report_headers[] = {
        { "content-security-policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:" },
        { "x-content-type-options", "nosniff" },
        { "referrer-policy", "no-referrer" },
        { "x-frame-options", "SAMEORIGIN" },
        {},
};
static const header_set_t page_headers[] = {
        { "content-security-policy", "default-src 'self'" },
        { "x-content-type-options", "nosniff" },
        { "referrer-policy", "no-referrer" },
        { "x-frame-options", "DENY" },
        {},
};

static void set_headers(h2o_req_t *req, const header_set_t *set) {
        for (; set->name; set++)
                h2o_set_header_by_str(&req->pool, &req->res.headers, set->name, strlen(set->name), 1, set->value,
                                      strlen(set->value), 1);
}

static int send_page(web_t *w, h2o_req_t *req, const char *file) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", w->cfg->web_dir, file);
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-cache"));
        if (h2o_file_send(req, 200, "OK", path, h2o_iovec_init(H2O_STRLIT("text/html; charset=utf-8")), 0) < 0) {
                req->res.headers = (h2o_headers_t) {};
                http_send_error(req, 404, "Not Found", "page not installed");
        }
        return 0;
}

/* The id is checked here too, so a bad link gets a clear 400. */
static const char *page_id(h2o_req_t *req, size_t prefix_len) {
        size_t rest;
        const char *id = http_path_id(req, prefix_len, &rest);
        if (id && rest != req->path_normalized.len) {
                http_send_error(req, 404, "Not Found", "not found");
                return NULL;
        }
        return id;
}

int pages_progress(web_t *w, h2o_req_t *req, const identity_t *who, size_t prefix_len) {
        const char *id = page_id(req, prefix_len);
        store_task_t row;

        if (!id || api_task_get(w, req, who, id, &row) < 0)
                return 0;
        return send_page(w, req, "progress.html");
}

int pages_report(web_t *w, h2o_req_t *req, const identity_t *who, size_t prefix_len) {
        const char *id = page_id(req, prefix_len);
        store_task_t row;

        if (!id)
                return 0;
        /* the answer depends on Accept: caches must keep the two apart */
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_VARY, NULL, H2O_STRLIT("Accept"));
        if (http_accepts_html(req)) {
                if (api_task_get(w, req, who, id, &row) < 0)
                        return 0;
                set_headers(req, page_headers);
                return send_page(w, req, "report.html");
        }
        set_headers(req, report_headers);
        return api_report_send(w, req, who, id, STATE_REPORT_HTML);
}

int pages_history(web_t *w, h2o_req_t *req) {
        return send_page(w, req, "history.html");
}
