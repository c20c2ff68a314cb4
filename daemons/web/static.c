/* Routes and headers. h2o picks the first registered prefix, so the specific paths come first; each
 * pathconf is configured completely before the next is registered (registration may move them). */
#include "static.h"

#include <stdio.h>
#include <string.h>

#include "api.h"
#include "config.h"
#include "id.h"
#include "metrics.h"
#include "web.h"

static h2o_iovec_t name_csp = { H2O_STRLIT("content-security-policy") };
static h2o_iovec_t name_xcto = { H2O_STRLIT("x-content-type-options") };
static h2o_iovec_t name_referrer = { H2O_STRLIT("referrer-policy") };
static h2o_iovec_t name_xfo = { H2O_STRLIT("x-frame-options") };

static h2o_headers_command_t ui_headers[] = {
        { H2O_HEADERS_CMD_SET, &name_csp, { H2O_STRLIT("default-src 'self'") } },
        { H2O_HEADERS_CMD_SET, &name_xcto, { H2O_STRLIT("nosniff") } },
        { H2O_HEADERS_CMD_SET, &name_referrer, { H2O_STRLIT("no-referrer") } },
        { H2O_HEADERS_CMD_SET, &name_xfo, { H2O_STRLIT("DENY") } },
        { H2O_HEADERS_CMD_NULL },
};

/* Reports are self-contained HTML: no scripts, inline styles and data: images only; the UI frames them. */
static h2o_headers_command_t report_headers[] = {
        { H2O_HEADERS_CMD_SET, &name_csp, { H2O_STRLIT("default-src 'none'; style-src 'unsafe-inline'; img-src data:") } },
        { H2O_HEADERS_CMD_SET, &name_xcto, { H2O_STRLIT("nosniff") } },
        { H2O_HEADERS_CMD_SET, &name_referrer, { H2O_STRLIT("no-referrer") } },
        { H2O_HEADERS_CMD_SET, &name_xfo, { H2O_STRLIT("SAMEORIGIN") } },
        { H2O_HEADERS_CMD_NULL },
};

static int send_page(h2o_req_t *req, const char *file) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", arg_web_dir, file);
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-cache"));
        if (h2o_file_send(req, 200, "OK", path, h2o_iovec_init(H2O_STRLIT("text/html; charset=utf-8")), 0) < 0) {
                req->res.headers = (h2o_headers_t) {};
                web_send_error(req, 404, "Not Found", "page not installed");
        }
        return 0;
}

static bool is_get(h2o_req_t *req) {
        return h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) ||
               h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"));
}

/* /progress/{id} and /report/{id}: the id is checked here too, so a bad link gets a clear 400. */
static int on_id_page(h2o_handler_t *self, h2o_req_t *req) {
        h2o_iovec_t p = req->path_normalized;
        const char *file = p.len > 10 && memcmp(p.base, "/progress/", 10) == 0 ? "progress.html" : "report.html";
        size_t prefix = file[0] == 'p' ? 10 : 8;

        if (!is_get(req))
                return -1;
        if (!id_is_valid(p.base + prefix, p.len - prefix)) {
                web_send_error(req, 400, "Bad Request", "invalid task id");
                return 0;
        }
        return send_page(req, file);
}

static int on_root_page(h2o_handler_t *self, h2o_req_t *req) {
        h2o_iovec_t p = req->path_normalized;

        if (!is_get(req))
                return -1;
        /* a NUL decoded from %00 would cut the file name the file handler opens ("app.js%00.html" served
         * app.js as text/html): no file name holds one */
        if (memchr(p.base, '\0', p.len)) {
                web_send_error(req, 400, "Bad Request", "invalid path");
                return 0;
        }
        if (h2o_memis(p.base, p.len, H2O_STRLIT("/history")) || h2o_memis(p.base, p.len, H2O_STRLIT("/history/")))
                return send_page(req, "history.html");
        return -1; /* the file handler next */
}

static int on_api(h2o_handler_t *self, h2o_req_t *req) {
        return api_handle(req);
}

static int on_reports(h2o_handler_t *self, h2o_req_t *req) {
        return api_reports_handle(req);
}

static int on_metrics(h2o_handler_t *self, h2o_req_t *req) {
        return metrics_handle(req);
}

static int on_not_found(h2o_handler_t *self, h2o_req_t *req) {
        web_send_error(req, 404, "Not Found", "not found");
        return 0;
}

static void add_handler(h2o_pathconf_t *pc, int (*cb)(h2o_handler_t *, h2o_req_t *)) {
        h2o_handler_t *h = h2o_create_handler(pc, sizeof(*h));
        h->on_req = cb;
}

int static_register(h2o_hostconf_t *host) {
        static h2o_compress_args_t gzip = { .min_size = 256, .gzip = { .quality = 1 }, .brotli = { .quality = -1 } };
        static const char *index_files[] = { "index.html", NULL };
        h2o_pathconf_t *pc;

        pc = h2o_config_register_path(host, "/api/reports/", 0);
        add_handler(pc, on_reports);
        h2o_headers_register(pc, report_headers);
        h2o_compress_register(pc, &gzip);

        pc = h2o_config_register_path(host, "/api/", 0);
        add_handler(pc, on_api);
        h2o_headers_register(pc, ui_headers);

        pc = h2o_config_register_path(host, "/metrics", 0);
        add_handler(pc, on_metrics);
        h2o_headers_register(pc, ui_headers);
        h2o_compress_register(pc, &gzip);

        pc = h2o_config_register_path(host, "/progress/", 0);
        add_handler(pc, on_id_page);
        h2o_headers_register(pc, ui_headers);
        h2o_compress_register(pc, &gzip);

        pc = h2o_config_register_path(host, "/report/", 0);
        add_handler(pc, on_id_page);
        h2o_headers_register(pc, ui_headers);
        h2o_compress_register(pc, &gzip);

        pc = h2o_config_register_path(host, "/", 0);
        add_handler(pc, on_root_page);
        h2o_file_register(pc, arg_web_dir, index_files, NULL, 0);
        add_handler(pc, on_not_found);
        h2o_headers_register(pc, ui_headers);
        h2o_compress_register(pc, &gzip);

        /* requests no path matches (other methods, odd paths) */
        add_handler(&host->fallback_path, on_not_found);
        h2o_headers_register(&host->fallback_path, ui_headers);
        return 0;
}
