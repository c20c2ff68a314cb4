/* Answering requests and reading them; see http.h. */
#include "http.h"

#include <string.h>
#include <strings.h>
#include <time.h>

#include "json.h"
#include "util/id.h"

uint64_t http_now_mono(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

void http_send_json(h2o_req_t *req, int status, const char *reason, const char *body, size_t len) {
        h2o_iovec_t b = h2o_strdup(&req->pool, body, len);
        req->res.status = status;
        req->res.reason = reason;
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("application/json"));
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-store"));
        h2o_send_inline(req, b.base, b.len);
}

void http_send_built(h2o_req_t *req, int status, const char *reason, json_t *j) {
        if (j->oom)
                http_send_error(req, 500, "Internal Server Error", "out of memory");
        else {
                json_raw(j, "\n", 1);
                http_send_json(req, status, reason, j->buf, j->len);
        }
        json_free(j);
}

void http_send_error(h2o_req_t *req, int status, const char *reason, const char *message) {
        json_t j = {};
        json_begin(&j, '{');
        json_kv_str(&j, "error", message);
        json_kv_str(&j, "detail", message);
        json_kv_u64(&j, "status", (uint64_t) status);
        json_end(&j, '}');
        json_raw(&j, "\n", 1);
        if (j.oom)
                h2o_send_error_generic(req, status, reason, message, 0);
        else
                http_send_json(req, status, reason, j.buf, j.len);
        json_free(&j);
}

void http_send_not_allowed(h2o_req_t *req, const char *allow) {
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, allow, strlen(allow));
        http_send_error(req, 405, "Method Not Allowed", "method not allowed");
}

bool http_method_is(const h2o_req_t *req, const char *m) {
        return h2o_memis(req->method.base, req->method.len, m, strlen(m));
}

bool http_is_get(const h2o_req_t *req) {
        return http_method_is(req, "GET") || http_method_is(req, "HEAD");
}

bool http_path_is(const h2o_req_t *req, const char *s) {
        return h2o_memis(req->path_normalized.base, req->path_normalized.len, s, strlen(s));
}

h2o_iovec_t http_header(const h2o_req_t *req, const h2o_token_t *token, const char *name, size_t name_len) {
        ssize_t i = token ? h2o_find_header(&req->headers, token, -1)
                          : h2o_find_header_by_str(&req->headers, name, name_len, -1);
        return i < 0 ? h2o_iovec_init(NULL, 0) : req->headers.entries[i].value;
}

bool http_accepts_html(const h2o_req_t *req) {
        h2o_iovec_t a = http_header(req, H2O_TOKEN_ACCEPT, NULL, 0);
        /* browsers navigating send "text/html,application/xhtml+xml,..."; scripts send "*" "/" "*" or
         * nothing (requests, locust, curl) */
        for (size_t i = 0; a.base && i + 9 <= a.len; i++)
                if (strncasecmp(a.base + i, "text/html", 9) == 0)
                        return true;
        return false;
}

const char *http_path_id(h2o_req_t *req, size_t prefix_len, size_t *ret_rest) {
        h2o_iovec_t p = req->path_normalized;
        const char *id;
        size_t n = 0;

        if (p.len < prefix_len) {
                http_send_error(req, 400, "Bad Request", "invalid task id");
                return NULL;
        }
        id = p.base + prefix_len;
        while (prefix_len + n < p.len && id[n] != '/')
                n++;
        if (!id_is_valid(id, n)) {
                http_send_error(req, 400, "Bad Request", "invalid task id");
                return NULL;
        }
        if (ret_rest)
                *ret_rest = prefix_len + n;
        return h2o_strdup(&req->pool, id, n).base;
}
