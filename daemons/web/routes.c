/* The route table (see routes.h). A route names its path, how it matches, the methods it takes, its
 * headers and compression, and its handler; the methods are checked here (405 with Allow) before the
 * handler runs. The design document pcapd replaces has its own paths for the same things (POST /upload,
 * GET /status/{id}, GET /report/{id}, GET /health): they are routes of their own to the same handlers. */
#include "routes.h"

#include <string.h>

#include "admin.h"
#include "api.h"
#include "config.h"
#include "health.h"
#include "auth.h"
#include "http.h"
#include "login.h"
#include "twofactor.h"
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

typedef enum route_access {
        A_OPEN,      /* anyone: no capture data (health, login) */
        A_USER,      /* an account (or --auth=none); 401 otherwise */
        A_PAGE,      /* the same for a page: a browser is sent to the login page instead */
        A_METRICS,   /* an admin, or a peer listed in --metrics-allow */
        A_SELF,      /* an account's own settings: open to it even before a required second factor */
} route_access_t;

typedef struct route route_t;
typedef int (*route_fn)(web_t *w, h2o_req_t *req, const route_t *r, const identity_t *who);

struct route {
        const char *path;        /* registered with h2o (a prefix, at '/' boundaries) */
        bool exact;              /* only the path itself: anything longer is 404 */
        unsigned methods;
        const char *allow;       /* the Allow header of the 405 */
        route_headers_t headers;
        bool compress;
        route_access_t access;
        route_fn fn;
        int status;              /* the upload's answer: 202, or 200 where the design document expects it */
        const char *not_found;   /* the message of a 404 for an exact route's longer paths */
};

typedef struct route_handler {
        h2o_handler_t super;
        web_t *web;
        const route_t *route;
} route_handler_t;

static int r_upload(web_t *w, h2o_req_t *req, const route_t *r, const identity_t *who) {
        return upload_handle(w, req, who, r->status);
}
static int r_health(web_t *w, h2o_req_t *req, const route_t *r, const identity_t *who) {
        return health_handle(w, req);
}
static int r_history(web_t *w, h2o_req_t *req, const route_t *r, const identity_t *who) {
        return api_history(w, req, who);
}
static int r_queue(web_t *w, h2o_req_t *req, const route_t *r, const identity_t *who) {
        return api_queue_status(w, req, who);
}
static int r_status(web_t *w, h2o_req_t *req, const route_t *r, const identity_t *who) {
        return api_status(w, req, who, strlen(r->path));
}
static int r_progress(web_t *w, h2o_req_t *req, const route_t *r, const identity_t *who) {
        return api_progress(w, req, who, strlen(r->path));
}
static int r_reports(web_t *w, h2o_req_t *req, const route_t *r, const identity_t *who) {
        return api_reports(w, req, who, strlen(r->path));
}
static int r_metrics(web_t *w, h2o_req_t *req, const route_t *r, const identity_t *who) {
        return metrics_handle(w, req);
}
static int r_progress_page(web_t *w, h2o_req_t *req, const route_t *r, const identity_t *who) {
        return pages_progress(w, req, who, strlen(r->path));
}
static int r_report_page(web_t *w, h2o_req_t *req, const route_t *r, const identity_t *who) {
        return pages_report(w, req, who, strlen(r->path));
}
static int r_login(web_t *w, h2o_req_t *req, const route_t *r, const identity_t *who) {
        return login_handle(w, req, who);
}
static int r_logout(web_t *w, h2o_req_t *req, const route_t *r, const identity_t *who) {
        return login_logout(w, req, who);
}
static int r_me(web_t *w, h2o_req_t *req, const route_t *r, const identity_t *who) {
        return login_me(w, req, who);
}
static int r_tokens(web_t *w, h2o_req_t *req, const route_t *r, const identity_t *who) {
        return login_tokens(w, req, who, strlen(r->path));
}
static int r_password(web_t *w, h2o_req_t *req, const route_t *r, const identity_t *who) {
        return login_password(w, req, who);
}
static int r_2fa_setup(web_t *w, h2o_req_t *req, const route_t *r, const identity_t *who) {
        return twofactor_setup(w, req, who);
}
static int r_2fa_qr(web_t *w, h2o_req_t *req, const route_t *r, const identity_t *who) {
        return twofactor_qr(w, req, who);
}
static int r_2fa_enable(web_t *w, h2o_req_t *req, const route_t *r, const identity_t *who) {
        return twofactor_enable(w, req, who);
}
static int r_2fa_disable(web_t *w, h2o_req_t *req, const route_t *r, const identity_t *who) {
        return twofactor_disable(w, req, who);
}
static int r_signup(web_t *w, h2o_req_t *req, const route_t *r, const identity_t *who) {
        return login_signup(w, req, who);
}
static int r_admin_users(web_t *w, h2o_req_t *req, const route_t *r, const identity_t *who) {
        return admin_users(w, req, who, strlen(r->path));
}
static int r_no_api(web_t *w, h2o_req_t *req, const route_t *r, const identity_t *who) {
        http_send_error(req, 404, "Not Found", "no such API endpoint");
        return 0;
}

static const route_t routes[] = {
        { "/api/reports/", false, M_GET | M_DELETE, "GET, HEAD, DELETE", H_REPORT, true, A_USER, r_reports },
        { "/api/upload", true, M_POST | M_PUT, "POST, PUT", H_PAGE, false, A_USER, r_upload, 202, "no such API endpoint" },
        { "/api/health", true, M_GET, "GET, HEAD", H_PAGE, false, A_OPEN, r_health, 0, "no such API endpoint" },
        { "/api/history", true, M_GET, "GET, HEAD", H_PAGE, false, A_USER, r_history, 0, "no such API endpoint" },
        { "/api/queue/status", true, M_GET, "GET, HEAD", H_PAGE, false, A_USER, r_queue, 0, "no such API endpoint" },
        { "/api/status/", false, M_GET, "GET, HEAD", H_PAGE, false, A_USER, r_status },
        { "/api/progress/", false, M_GET_ONLY, "GET", H_PAGE, false, A_USER, r_progress },
        { "/api/login", true, M_POST, "POST", H_PAGE, false, A_OPEN, r_login, 0, "no such API endpoint" },
        { "/api/logout", true, M_POST, "POST", H_PAGE, false, A_SELF, r_logout, 0, "no such API endpoint" },
        { "/api/me", true, M_GET, "GET, HEAD", H_PAGE, false, A_OPEN, r_me, 0, "no such API endpoint" },
        { "/api/signup", true, M_POST, "POST", H_PAGE, false, A_OPEN, r_signup, 0, "no such API endpoint" },
        /* the list and a new account; /{name} DELETE; /{name}/{action} POST: the handler checks which */
        { "/api/admin/users", false, M_GET | M_POST | M_DELETE, "GET, HEAD, POST, DELETE", H_PAGE, false, A_USER, r_admin_users },
        { "/api/2fa/setup", true, M_POST, "POST", H_PAGE, false, A_SELF, r_2fa_setup, 0, "no such API endpoint" },
        { "/api/2fa/qr.svg", true, M_GET, "GET, HEAD", H_PAGE, false, A_SELF, r_2fa_qr, 0, "no such API endpoint" },
        { "/api/2fa/enable", true, M_POST, "POST", H_PAGE, false, A_SELF, r_2fa_enable, 0, "no such API endpoint" },
        { "/api/2fa/disable", true, M_POST, "POST", H_PAGE, false, A_SELF, r_2fa_disable, 0, "no such API endpoint" },
        { "/api/password", true, M_POST, "POST", H_PAGE, false, A_USER, r_password, 0, "no such API endpoint" },
        /* the list, POST a new one, DELETE /api/tokens/{id}: the handler checks which */
        { "/api/tokens", false, M_GET | M_POST | M_DELETE, "GET, HEAD, POST, DELETE", H_PAGE, false, A_USER, r_tokens },
        { "/api/", false, M_ANY, NULL, H_PAGE, false, A_OPEN, r_no_api },
        { "/metrics", true, M_GET, "GET, HEAD", H_PAGE, true, A_METRICS, r_metrics, 0, "not found" },
        { "/progress/", false, M_GET, "GET, HEAD", H_PAGE, true, A_PAGE, r_progress_page },
        { "/report/", false, M_GET, "GET, HEAD", H_HANDLER, true, A_PAGE, r_report_page },
        /* the design document's paths (its §9.1 and §9.3 clients, §10.2, Annex A) */
        { "/upload", true, M_POST, "POST", H_PAGE, false, A_USER, r_upload, 200, "not found" },
        { "/status/", false, M_GET, "GET, HEAD", H_PAGE, false, A_USER, r_status },
        { "/health", true, M_GET, "GET, HEAD", H_PAGE, false, A_OPEN, r_health, 0, "not found" },
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

/* Whether who may use a route of this access; if not, answers (401, the login page, 403). A state-changing
 * request of a cookie session must also come from our own pages (CSRF). */
static bool access_ok(web_t *w, h2o_req_t *req, route_access_t access, const identity_t *who) {
        if (!auth_csrf_ok(who, req)) {
                http_send_error(req, 403, "Forbidden", "cross-site request refused (Origin is not this site)");
                return false;
        }
        if (access != A_OPEN && access != A_SELF && who->needs_second_factor) {
                if (http_accepts_html(req) && access == A_PAGE) {
                        req->res.status = 303;
                        req->res.reason = "See Other";
                        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_LOCATION, NULL, H2O_STRLIT("/account.html"));
                        h2o_send_inline(req, H2O_STRLIT(""));
                } else
                        http_send_error(req, 403, "Forbidden",
                                        "this account must set up a second factor first (/account.html)");
                return false;
        }
        switch (access) {
        case A_OPEN:
                return true;
        case A_SELF:
        case A_USER:
                if (identity_known(who))
                        return true;
                auth_send_unauthorized(req);
                return false;
        case A_PAGE:
                if (identity_known(who))
                        return true;
                if (http_accepts_html(req))
                        auth_send_login_redirect(req);
                else
                        auth_send_unauthorized(req);
                return false;
        case A_METRICS: {
                char peer[64];
                if (identity_is_admin(who))
                        return true;
                auth_peer(req, peer, sizeof(peer));
                if (auth_addr_listed(w->cfg->metrics_allow, peer))
                        return true;
                if (identity_known(who))
                        http_send_error(req, 403, "Forbidden", "metrics are for administrators");
                else
                        auth_send_unauthorized(req);
                return false;
        }
        }
        return false;
}

static int on_route(h2o_handler_t *self, h2o_req_t *req) {
        route_handler_t *h = (route_handler_t *) self;
        const route_t *r = h->route;
        identity_t who;

        if (r->exact && !http_path_is(req, r->path)) {
                http_send_error(req, 404, "Not Found", r->not_found);
                return 0;
        }
        if (!route_allows(r, req)) {
                http_send_not_allowed(req, r->allow);
                return 0;
        }
        auth_identify(h->web, req, &who);
        if (!access_ok(h->web, req, r->access, &who))
                return 0;
        return r->fn(h->web, req, r, &who);
}

/* The UI's pages (not their scripts, styles and images, which hold no data): under accounts they need a
 * login, and a browser without one goes to the login page. */
static bool page_needs_login(h2o_req_t *req) {
        static const char *const pages[] = { "/", "/index.html", "/history", "/history/", "/history.html",
                                             "/progress.html", "/report.html", "/account.html", "/admin.html" };
        for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++)
                if (http_path_is(req, pages[i]))
                        return true;
        return false;
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
        if (h->web->auth_accounts && page_needs_login(req)) {
                identity_t who;
                auth_identify(h->web, req, &who);
                if (!identity_known(&who)) {
                        auth_send_login_redirect(req);
                        return 0;
                }
                if (who.needs_second_factor && !http_path_is(req, "/account.html")) {
                        req->res.status = 303;
                        req->res.reason = "See Other";
                        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_LOCATION, NULL, H2O_STRLIT("/account.html"));
                        h2o_send_inline(req, H2O_STRLIT(""));
                        return 0;
                }
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
