/* Request identity (see auth.h). */
#include "auth.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "credential.h"
#include "http.h"
#include "log/log.h"
#include "util/macro.h"
#include "util/uri.h"
#include "web.h"

/* A session's last_seen is written at most this often (a page load makes many requests). */
#define TOUCH_EVERY_MS (60 * 1000)

void auth_peer(h2o_req_t *req, char *buf, size_t size) {
        struct sockaddr_storage ss;
        socklen_t len;

        buf[0] = 0;
        if (!req->conn->callbacks->get_peername)
                return;
        len = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *) &ss);
        if (len == 0)
                return;
        if (ss.ss_family == AF_INET)
                inet_ntop(AF_INET, &((struct sockaddr_in *) &ss)->sin_addr, buf, (socklen_t) size);
        else if (ss.ss_family == AF_INET6)
                inet_ntop(AF_INET6, &((struct sockaddr_in6 *) &ss)->sin6_addr, buf, (socklen_t) size);
        else if (ss.ss_family == AF_UNIX)
                snprintf(buf, size, "unix");
}

bool auth_addr_listed(const char *list, const char *addr) {
        size_t n = strlen(addr);
        if (!list || n == 0)
                return false;
        for (const char *p = list; *p;) {
                const char *e = strchr(p, ',');
                size_t l = e ? (size_t) (e - p) : strlen(p);
                while (l > 0 && *p == ' ')
                        p++, l--;
                while (l > 0 && p[l - 1] == ' ')
                        l--;
                if (l == n && memcmp(p, addr, n) == 0)
                        return true;
                if (!e)
                        break;
                p = e + 1;
        }
        return false;
}

void auth_log(int priority, const char *event, const char *user, const char *remote, const char *format, ...) {
        char fu[16 + ACCOUNT_NAME_MAX], fr[16 + INET6_ADDRSTRLEN];
        va_list ap;

        va_start(ap, format);
        log_struct_errnov(priority, 0, NULL, event,
                          LOG_FIELDS(LOG_FIELD(fu, "PCAPD_USER=%s", user && *user ? user : "-"),
                                     LOG_FIELD(fr, "PCAPD_REMOTE=%s", remote && *remote ? remote : "-")),
                          format, ap);
        va_end(ap);
}

/* The value of cookie `name` in req's Cookie headers (HTTP/2 may split them), or an empty iovec. */
static h2o_iovec_t cookie_get(h2o_req_t *req, const char *name) {
        ssize_t i = -1;

        while ((i = h2o_find_header(&req->headers, H2O_TOKEN_COOKIE, i)) != -1) {
                h2o_iovec_t v = req->headers.entries[i].value;
                const char *p;
                size_t n;
                if (credential_cookie(v.base, v.len, name, &p, &n))
                        return h2o_iovec_init(p, n);
        }
        return h2o_iovec_init(NULL, 0);
}

/* The account behind a credential (read with it), when active, into who. The hash is wiped either way. */
static bool take_user(web_t *w, store_user_t *u, identity_t *who) {
        explicit_bzero(u->password, sizeof(u->password));
        if (u->state != ACCOUNT_ACTIVE)
                return false;
        who->user_id = u->id;
        who->role = u->role;
        who->second_factor = u->totp_secret[0] != 0;
        who->needs_second_factor = !who->second_factor &&
                                   (w->cfg->require_2fa == CONFIG_2FA_ALL ||
                                    (w->cfg->require_2fa == CONFIG_2FA_ADMINS && u->role == ROLE_ADMIN));
        snprintf(who->name, sizeof(who->name), "%s", u->name);
        explicit_bzero(u->totp_secret, sizeof(u->totp_secret));
        return true;
}

static bool identify_session(web_t *w, h2o_iovec_t v, identity_t *who) {
        char sid[SESSION_ID_LEN + 1], hash[SECRET_HASH_LEN + 1];
        store_session_t ss;
        store_user_t u;
        int64_t now = store_now_ms();
        int r;

        if (v.len != SESSION_ID_LEN || !credential_chars_ok(v.base, v.len))
                return false;
        memcpy(sid, v.base, v.len);
        sid[v.len] = 0;
        if (secret_hash(sid, hash) < 0)
                return false;
        explicit_bzero(sid, sizeof(sid));
        r = store_session_get_user(w->store, hash, &ss, &u);
        if (r < 0) {
                if (r != -ENOENT)
                        log_error_errno(r, NULL, "store-error", "Failed to read a session: %m");
                return false;
        }
        if (now >= ss.expires_at || now - ss.last_seen >= (int64_t) w->cfg->session_idle_ms) {
                (void) store_session_delete(w->store, hash);
                return false;
        }
        if (!take_user(w, &u, who))
                return false;
        if (now - ss.last_seen >= TOUCH_EVERY_MS)
                (void) store_session_touch(w->store, hash, now);
        who->kind = IDENTITY_SESSION;
        memcpy(who->session_hash, hash, sizeof(hash));
        return true;
}

static bool identify_token(web_t *w, h2o_iovec_t v, identity_t *who) {
        char tok[128], hash[SECRET_HASH_LEN + 1];
        store_token_t t;
        store_user_t u;
        int64_t now = store_now_ms();
        int r;

        if (v.len < 8 || v.len >= sizeof(tok) || !credential_chars_ok(v.base, v.len))
                return false;
        memcpy(tok, v.base, v.len);
        tok[v.len] = 0;
        r = secret_hash(tok, hash);
        explicit_bzero(tok, sizeof(tok));
        if (r < 0)
                return false;
        r = store_token_find_user(w->store, hash, &t, &u);
        if (r < 0) {
                if (r != -ENOENT)
                        log_error_errno(r, NULL, "store-error", "Failed to read a token: %m");
                return false;
        }
        if (t.expires_at && now >= t.expires_at)
                return false;
        if (!take_user(w, &u, who))
                return false;
        if (now - t.last_used >= TOUCH_EVERY_MS)
                (void) store_token_touch(w->store, t.id, now);
        who->kind = IDENTITY_TOKEN;
        return true;
}

/* --auth=proxy: the user the proxy names, from a trusted peer only; an account is made on first sight (a
 * user with no password: it logs in through the proxy only). */
static bool identify_proxy(web_t *w, h2o_req_t *req, identity_t *who) {
        char peer[64], name[ACCOUNT_NAME_MAX + 1];
        h2o_iovec_t v = http_header(req, NULL, w->cfg->user_header, strlen(w->cfg->user_header));
        store_user_t u;
        int r;

        if (!v.base)
                return false;
        auth_peer(req, peer, sizeof(peer));
        if (!auth_addr_listed(w->cfg->trusted_proxy, peer))
                return false; /* anyone can send the header: believed from the listed proxies only */
        if (!account_name_is_valid(v.base, v.len)) {
                auth_log(LOG_WARNING, "proxy-user-refused", NULL, peer, "The proxy named a user that is no valid account name");
                return false;
        }
        memcpy(name, v.base, v.len);
        name[v.len] = 0;
        r = store_user_find(w->store, name, &u);
        if (r == -ENOENT) {
                r = store_user_add(w->store, name, "!", ROLE_USER, ACCOUNT_ACTIVE, store_now_ms(), NULL);
                if (r >= 0 || r == -EEXIST)
                        r = store_user_find(w->store, name, &u);
                if (r >= 0)
                        auth_log(LOG_NOTICE, "account-created", name, peer, "Account %s created for the proxy's user", name);
        }
        if (r < 0) {
                log_error_errno(r, NULL, "store-error", "Failed to read the proxy's user: %m");
                return false;
        }
        if (!take_user(w, &u, who))
                return false;
        who->kind = IDENTITY_PROXY;
        return true;
}

void auth_identify(web_t *w, h2o_req_t *req, identity_t *ret) {
        h2o_iovec_t v;

        *ret = (identity_t) { .kind = IDENTITY_ANONYMOUS };
        if (!w->auth_accounts) {
                ret->kind = IDENTITY_OPEN;
                ret->role = ROLE_ADMIN;
                return;
        }
        if (w->cfg->auth == CONFIG_AUTH_PROXY && identify_proxy(w, req, ret))
                return;
        v = http_header(req, H2O_TOKEN_AUTHORIZATION, NULL, 0);
        if (v.base) {
                const char *t;
                size_t tn;
                if (credential_bearer(v.base, v.len, &t, &tn) && identify_token(w, h2o_iovec_init(t, tn), ret))
                        return;
                /* a wrong Authorization is an answer of its own: no falling back to the cookie */
                *ret = (identity_t) { .kind = IDENTITY_ANONYMOUS, .credential_refused = true };
                return;
        }
        v = cookie_get(req, w->tls ? AUTH_COOKIE_TLS : AUTH_COOKIE);
        if (v.base) {
                if (identify_session(w, v, ret))
                        return;
                *ret = (identity_t) { .kind = IDENTITY_ANONYMOUS, .credential_refused = true };
        }
}

/* Origin's host[:port] equals the Host header. */
static bool origin_is_host(h2o_iovec_t origin, h2o_iovec_t host) {
        const char *p = origin.base;
        size_t n = origin.len;
        if (n > 7 && strncasecmp(p, "http://", 7) == 0)
                p += 7, n -= 7;
        else if (n > 8 && strncasecmp(p, "https://", 8) == 0)
                p += 8, n -= 8;
        else
                return false;
        return host.base && n == host.len && strncasecmp(p, host.base, n) == 0;
}

bool auth_csrf_ok(const identity_t *who, h2o_req_t *req) {
        h2o_iovec_t origin, site;

        if ((who->kind != IDENTITY_SESSION && who->kind != IDENTITY_PROXY) || http_is_get(req))
                return true;
        site = http_header(req, NULL, H2O_STRLIT("sec-fetch-site"));
        if (site.base && h2o_memis(site.base, site.len, H2O_STRLIT("same-origin")))
                return true;
        origin = http_header(req, NULL, H2O_STRLIT("origin"));
        return origin.base && origin_is_host(origin, req->authority);
}

void auth_send_unauthorized(h2o_req_t *req) {
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_WWW_AUTHENTICATE, NULL,
                       H2O_STRLIT("Bearer realm=\"pcapd\", Cookie realm=\"pcapd\""));
        http_send_error(req, 401, "Unauthorized", "log in first: a session cookie from /api/login or an API token");
}

void auth_send_login_redirect(h2o_req_t *req) {
        h2o_iovec_t path = req->path_normalized;
        char buf[1025];
        _cleanup_free_ char *esc = NULL;
        h2o_iovec_t loc;

        /* the path alone (it was normalised, at most 1 KiB), percent-encoded but for '/' */
        memcpy(buf, path.base, MIN(path.len, sizeof(buf) - 1));
        buf[MIN(path.len, sizeof(buf) - 1)] = 0;
        if (uri_escape_keep(buf, "/", &esc) < 0) {
                http_send_error(req, 500, "Internal Server Error", "out of memory");
                return;
        }
        loc = h2o_concat(&req->pool, h2o_iovec_init(H2O_STRLIT("/login.html?next=")), h2o_iovec_init(esc, strlen(esc)));

        req->res.status = 303;
        req->res.reason = "See Other";
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_LOCATION, NULL, loc.base, loc.len);
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-store"));
        h2o_send_inline(req, H2O_STRLIT(""));
}

void auth_set_cookie(web_t *w, h2o_req_t *req, const char *session_id) {
        char buf[256];
        int n;
        const char *name = w->tls ? AUTH_COOKIE_TLS : AUTH_COOKIE, *secure = w->tls ? "; Secure" : "";
        if (session_id)
                n = snprintf(buf, sizeof(buf), "%s=%s; Path=/; HttpOnly; SameSite=Strict%s; Max-Age=%llu", name, session_id,
                             secure, (unsigned long long) (w->cfg->session_max_ms / 1000));
        else
                n = snprintf(buf, sizeof(buf), "%s=; Path=/; HttpOnly; SameSite=Strict%s; Max-Age=0", name, secure);
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_SET_COOKIE, NULL, h2o_strdup(&req->pool, buf, (size_t) n).base,
                       (size_t) n);
        explicit_bzero(buf, sizeof(buf));
}
