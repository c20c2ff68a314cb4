/* The route table (see routes.h). A route names its path, how it matches, the methods it takes, its
 * headers and compression, and its handler; the methods are checked here (405 with Allow) before the
 * handler runs. The design document pcapd replaces has its own paths for the same things (POST /upload,
 * GET /status/{id}, GET /report/{id}, GET /health): they are routes of their own to the same handlers. */
#include "routes.h"

#include <string.h>

#include "api.h"
#include "config.h"
#include "health.h"
#include "http.h"
#include "metrics.h"
#include "pages.h"
#include "upload.h"

typedef enum route_method {
        M_GET = 1 << 0,      /* and HEAD */
        M_GET_ONLY = 1 << 1, /* no HEAD: a stream has no end a HEAD could report */
        M_POST = 1 << 2,
        M_PUT = 1 << 3,
        M_DELETE = 1 << 4,
        M_ANY = 1 << 5,
} route_method_t;

typedef enum route_headers {
        H_PAGE,     /* the UI's: default-src 'self', no framing */
        H_REPORT,   /* a report's: no scripts, inline styles, framed by the UI only */
        H_HANDLER,  /* the handler sets them (its answer is a page or a report) */
} route_headers_t;

typedef struct route route_t;
typedef int (*route_fn)(web_t *w, h2o_req_t *req, const route_t *r);

struct route {
        const char *path;        /* registered with h2o (a prefix, at '/' boundaries) */
        bool exact;              /* only the path itself: anything longer is 404 */
        unsigned methods;
        const char *allow;       /* the Allow header of the 405 */
        route_headers_t headers;
        bool compress;
        route_fn fn;
        int status;              /* the upload's answer: 202, or 200 where the design document expects it */
        const char *not_found;   /* the message of a 404 for an exact route's longer paths */
};

typedef struct route_handler {
        h2o_handler_t super;
        web_t *web;
        const route_t *route;
} route_handler_t;

static int r_upload(web_t *w, h2o_req_t *req, const route_t *r) {
        return upload_handle(w, req, r->status);
}
static int r_health(web_t *w, h2o_req_t *req, const route_t *r) {
        return health_handle(w, req);
}
static int r_history(web_t *w, h2o_req_t *req, const route_t *r) {
        return api_history(w, req);
}
static int r_queue(web_t *w, h2o_req_t *req, const route_t *r) {
        return api_queue_status(w, req);
}
static int r_status(web_t *w, h2o_req_t *req, const route_t *r) {
        return api_status(w, req, strlen(r->path));
}
static int r_progress(web_t *w, h2o_req_t *req, const route_t *r) {
        return api_progress(w, req, strlen(r->path));
}
static int r_reports(web_t *w, h2o_req_t *req, const route_t *r) {
        return api_reports(w, req, strlen(r->path));
}
static int r_metrics(web_t *w, h2o_req_t *req, const route_t *r) {
        return metrics_handle(w, req);
}
static int r_progress_page(web_t *w, h2o_req_t *req, const route_t *r) {
        return pages_progress(w, req, strlen(r->path));
}
static int r_report_page(web_t *w, h2o_req_t *req, const route_t *r) {
        return pages_report(w, req, strlen(r->path));
}
static int r_no_api(web_t *w, h2o_req_t *req, const route_t *r) {
        http_send_error(req, 404, "Not Found", "no such API endpoint");
        return 0;
}

static const route_t routes[] = {
        { "/api/reports/", false, M_GET | M_DELETE, "GET, HEAD, DELETE", H_REPORT, true, r_reports },
        { "/api/upload", true, M_POST | M_PUT, "POST, PUT", H_PAGE, false, r_upload, 202, "no such API endpoint" },
        { "/api/health", true, M_GET, "GET, HEAD", H_PAGE, false, r_health, 0, "no such API endpoint" },
        { "/api/history", true, M_GET, "GET, HEAD", H_PAGE, false, r_history, 0, "no such API endpoint" },
        { "/api/queue/status", true, M_GET, "GET, HEAD", H_PAGE, false, r_queue, 0, "no such API endpoint" },
        { "/api/status/", false, M_GET, "GET, HEAD", H_PAGE, false, r_status },
        { "/api/progress/", false, M_GET_ONLY, "GET", H_PAGE, false, r_progress },
        { "/api/", false, M_ANY, NULL, H_PAGE, false, r_no_api },
        { "/metrics", true, M_GET, "GET, HEAD", H_PAGE, true, r_metrics, 0, "not found" },
        { "/progress/", false, M_GET, "GET, HEAD", H_PAGE, true, r_progress_page },
        { "/report/", false, M_GET, "GET, HEAD", H_HANDLER, true, r_report_page },
        /* the design document's paths (its §9.1 and §9.3 clients, §10.2, Annex A) */
        { "/upload", true, M_POST, "POST", H_PAGE, false, r_upload, 200, "not found" },
        { "/status/", false, M_GET, "GET, HEAD", H_PAGE, false, r_status },
        { "/health", true, M_GET, "GET, HEAD", H_PAGE, false, r_health, 0, "not found" },
};

static bool route_allows(const route_t *r, const h2o_req_t *req) {
        if (r->methods & M_ANY)
                return true;
        if ((r->methods & M_GET) && http_is_get(req))
                return true;
        if ((r->methods & M_GET_ONLY) && http_method_is(req, "GET"))
                return true;
        if ((r->methods & M_POST) && http_method_is(req, "POST"))
                return true;
        if ((r->methods & M_PUT) && http_method_is(req, "PUT"))
                return true;
        return (r->methods & M_DELETE) && http_method_is(req, "DELETE");
}

static int on_route(h2o_handler_t *self, h2o_req_t *req) {
        route_handler_t *h = (route_handler_t *) self;
        const route_t *r = h->route;

        if (r->exact && !http_path_is(req, r->path)) {
                http_send_error(req, 404, "Not Found", r->not_found);
                return 0;
        }
        if (!route_allows(r, req)) {
                http_send_not_allowed(req, r->allow);
                return 0;
        }
        return r->fn(h->web, req, r);
}

/* "/": the history page, then files from --web-dir (index.html for "/"), then 404. */
static int on_root(h2o_handler_t *self, h2o_req_t *req) {
        route_handler_t *h = (route_handler_t *) self;
        h2o_iovec_t p = req->path_normalized;

        if (!http_is_get(req))
                return -1;
        /* a NUL decoded from %00 would cut the file name the file handler opens ("app.js%00.html" served
         * app.js as text/html): no file name holds one */
        if (memchr(p.base, '\0', p.len)) {
                http_send_error(req, 400, "Bad Request", "invalid path");
                return 0;
        }
        if (http_path_is(req, "/history") || http_path_is(req, "/history/"))
                return pages_history(h->web, req);
        return -1; /* the file handler next */
}

static int on_not_found(h2o_handler_t *self, h2o_req_t *req) {
        http_send_error(req, 404, "Not Found", "not found");
        return 0;
}

static h2o_iovec_t name_csp = { H2O_STRLIT("content-security-policy") };
static h2o_iovec_t name_xcto = { H2O_STRLIT("x-content-type-options") };
static h2o_iovec_t name_referrer = { H2O_STRLIT("referrer-policy") };
static h2o_iovec_t name_xfo = { H2O_STRLIT("x-frame-options") };

static h2o_headers_command_t page_headers[] = {
        { H2O_HEADERS_CMD_SET, &name_csp, { H2O_STRLIT("default-src 'self'") } },
        { H2O_HEADERS_CMD_SET, &name_xcto, { H2O_STRLIT("nosniff") } },
        { H2O_HEADERS_CMD_SET, &name_referrer, { H2O_STRLIT("no-referrer") } },
        { H2O_HEADERS_CMD_SET, &name_xfo, { H2O_STRLIT("DENY") } },
        { H2O_HEADERS_CMD_NULL },
};

static h2o_headers_command_t report_headers[] = {
        { H2O_HEADERS_CMD_SET, &name_csp, { H2O_STRLIT("default-src 'none'; style-src 'unsafe-inline'; img-src data:") } },
        { H2O_HEADERS_CMD_SET, &name_xcto, { H2O_STRLIT("nosniff") } },
        { H2O_HEADERS_CMD_SET, &name_referrer, { H2O_STRLIT("no-referrer") } },
        { H2O_HEADERS_CMD_SET, &name_xfo, { H2O_STRLIT("SAMEORIGIN") } },
        { H2O_HEADERS_CMD_NULL },
};

static h2o_compress_args_t gzip_args = { .min_size = 256, .gzip = { .quality = 1 }, .brotli = { .quality = -1 } };

static void handler_add(h2o_pathconf_t *pc, web_t *w, const route_t *r, int (*cb)(h2o_handler_t *, h2o_req_t *)) {
        route_handler_t *h = (route_handler_t *) h2o_create_handler(pc, sizeof(*h));
        h->super.on_req = cb;
        h->web = w;
        h->route = r;
}

int routes_register(web_t *w, h2o_hostconf_t *host) {
        static const char *index_files[] = { "index.html", NULL };
        h2o_pathconf_t *pc;

        /* each pathconf is configured completely before the next is registered (registration may move
         * them: h2o-2.2.5.md) */
        for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
                const route_t *r = &routes[i];
                pc = h2o_config_register_path(host, r->path, 0);
                handler_add(pc, w, r, on_route);
                if (r->headers == H_PAGE)
                        h2o_headers_register(pc, page_headers);
                else if (r->headers == H_REPORT)
                        h2o_headers_register(pc, report_headers);
                if (r->compress)
                        h2o_compress_register(pc, &gzip_args);
        }

        pc = h2o_config_register_path(host, "/", 0);
        handler_add(pc, w, NULL, on_root);
        h2o_file_register(pc, w->cfg->web_dir, index_files, NULL, 0);
        handler_add(pc, w, NULL, on_not_found);
        h2o_headers_register(pc, page_headers);
        h2o_compress_register(pc, &gzip_args);

        /* requests no path matches (other methods, odd paths) */
        handler_add(&host->fallback_path, w, NULL, on_not_found);
        h2o_headers_register(&host->fallback_path, page_headers);
        return 0;
}
