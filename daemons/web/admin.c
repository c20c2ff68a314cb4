/* The administrators' routes (see admin.h). */
#include "admin.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "form.h"
#include "http.h"
#include "json.h"
#include "log/log.h"
#include "login.h"
#include "web.h"

static int list_one(const store_user_t *u, void *userdata) {
        json_t *j = userdata;
        json_element(j);
        j->need_comma = false;
        json_begin(j, '{');
        json_kv_str(j, "user", u->name);
        json_kv_str(j, "role", account_role_to_string(u->role));
        json_kv_str(j, "state", account_state_to_string(u->state));
        json_kv_bool(j, "second_factor", u->totp_secret[0] != 0);
        json_kv_time(j, "created_at", u->created_at);
        json_end(j, '}');
        return 0;
}

/* Refuses to leave the service without an active administrator. */
static bool keeps_an_admin(web_t *w, h2o_req_t *req, const store_user_t *u) {
        int r = store_user_is_last_admin(w->store, u);
        if (r < 0) {
                http_send_error(req, 500, "Internal Server Error", "database error");
                return false;
        }
        if (r > 0) {
                http_send_error(req, 409, "Conflict", "this is the last active administrator: make another one first");
                return false;
        }
        return true;
}

static void done(web_t *w, h2o_req_t *req, const identity_t *who, const char *event, const char *name, const char *what) {
        char remote[64], msg[160];
        int n;
        auth_peer(req, remote, sizeof(remote));
        auth_log(LOG_NOTICE, event, name, remote, "Account %s %s by administrator %s", name, what, who->name);
        n = snprintf(msg, sizeof(msg), "{\"user\": \"%s\", \"done\": \"%s\"}\n", name, event); /* names need no escape */
        http_send_json(req, 200, "OK", msg, (size_t) n);
}

/* POST /api/admin/users/{name}/{verb} and DELETE /api/admin/users/{name}. */
static int one_user(web_t *w, h2o_req_t *req, const identity_t *who, const char *name, const char *verb) {
        store_user_t u;
        int r;

        if (!account_name_is_valid(name, strlen(name)) || store_user_find(w->store, name, &u) < 0) {
                http_send_error(req, 404, "Not Found", "no such account");
                return 0;
        }
        explicit_bzero(u.password, sizeof(u.password));
        if (!verb) {
                if (!http_method_is(req, "DELETE")) {
                        http_send_not_allowed(req, "DELETE");
                        return 0;
                }
                if (!keeps_an_admin(w, req, &u))
                        return 0;
                r = store_user_delete(w->store, u.id);
                if (r < 0)
                        return http_send_error(req, 500, "Internal Server Error", "database error"), 0;
                done(w, req, who, "account-deleted", u.name, "deleted");
                return 0;
        }
        if (!http_method_is(req, "POST")) {
                http_send_not_allowed(req, "POST");
                return 0;
        }
        if (strcmp(verb, "approve") == 0 || strcmp(verb, "enable") == 0 || strcmp(verb, "disable") == 0) {
                bool off = verb[0] == 'd';
                if (verb[0] == 'a' && u.state != ACCOUNT_PENDING) {
                        http_send_error(req, 409, "Conflict", "the account is not waiting for approval");
                        return 0;
                }
                if (off && !keeps_an_admin(w, req, &u))
                        return 0;
                r = store_user_set_state(w->store, u.id, off ? ACCOUNT_DISABLED : ACCOUNT_ACTIVE);
                if (r < 0)
                        return http_send_error(req, 500, "Internal Server Error", "database error"), 0;
                done(w, req, who, off ? "account-disabled" : verb[0] == 'a' ? "account-approved" : "account-enabled", u.name,
                     off ? "disabled" : verb[0] == 'a' ? "approved" : "enabled");
                return 0;
        }
        if (strcmp(verb, "role") == 0) {
                h2o_iovec_t ct = http_header(req, H2O_TOKEN_CONTENT_TYPE, NULL, 0);
                char role_s[16];
                int role = req->entity.base ? form_get(req->entity.base, req->entity.len, form_is_json(ct.base, ct.len), "role",
                                                       role_s, sizeof(role_s))
                                            : -ENOENT;
                role = role < 0 ? -EINVAL : account_role_from_string(role_s);
                if (role < 0) {
                        http_send_error(req, 400, "Bad Request", "'role' is user or admin");
                        return 0;
                }
                if (role == ROLE_USER && !keeps_an_admin(w, req, &u))
                        return 0;
                r = store_user_set_role(w->store, u.id, (account_role_t) role);
                if (r < 0)
                        return http_send_error(req, 500, "Internal Server Error", "database error"), 0;
                done(w, req, who, "account-role", u.name, role == ROLE_ADMIN ? "made an administrator" : "made a user");
                return 0;
        }
        if (strcmp(verb, "2fa-reset") == 0) {
                r = store_user_totp_disable(w->store, u.id);
                if (r >= 0)
                        r = store_session_delete_user(w->store, u.id);
                if (r < 0)
                        return http_send_error(req, 500, "Internal Server Error", "database error"), 0;
                done(w, req, who, "2fa-reset", u.name, "lost its second factor (reset)");
                return 0;
        }
        if (strcmp(verb, "logout") == 0) {
                r = store_session_delete_user(w->store, u.id);
                if (r < 0)
                        return http_send_error(req, 500, "Internal Server Error", "database error"), 0;
                done(w, req, who, "sessions-revoked", u.name, "logged out everywhere");
                return 0;
        }
        http_send_error(req, 404, "Not Found", "no such action (approve, enable, disable, role, 2fa-reset, logout)");
        return 0;
}

int admin_users(web_t *w, h2o_req_t *req, const identity_t *who, size_t prefix_len) {
        h2o_iovec_t p = req->path_normalized;
        char name[ACCOUNT_NAME_MAX + 2], verb[16];
        const char *rest, *slash;
        size_t n;

        if (!w->auth_accounts) {
                http_send_error(req, 404, "Not Found", "this server runs without accounts (--auth=none)");
                return 0;
        }
        if (!identity_is_admin(who)) {
                http_send_error(req, 403, "Forbidden", "for administrators only");
                return 0;
        }
        if (p.len == prefix_len || (p.len == prefix_len + 1 && p.base[prefix_len] == '/')) {
                if (http_method_is(req, "POST")) {
                        h2o_iovec_t ct = http_header(req, H2O_TOKEN_CONTENT_TYPE, NULL, 0);
                        char role_s[16];
                        int role = req->entity.base ? form_get(req->entity.base, req->entity.len,
                                                               form_is_json(ct.base, ct.len), "role", role_s, sizeof(role_s))
                                                    : -ENOENT;
                        /* no role given: a user */
                        role = role == -ENOENT ? ROLE_USER : role < 0 ? -EINVAL : account_role_from_string(role_s);
                        if (role < 0) {
                                http_send_error(req, 400, "Bad Request", "'role' is user or admin");
                                return 0;
                        }
                        return login_create_account(w, req, who, (account_role_t) role, ACCOUNT_ACTIVE);
                }
                if (!http_is_get(req)) {
                        http_send_not_allowed(req, "GET, HEAD, POST");
                        return 0;
                }
                json_t j = {};
                json_begin(&j, '{');
                json_key(&j, "users");
                json_begin(&j, '[');
                if (store_user_list(w->store, list_one, &j) < 0) {
                        json_free(&j);
                        http_send_error(req, 500, "Internal Server Error", "database error");
                        return 0;
                }
                json_end(&j, ']');
                json_end(&j, '}');
                http_send_built(req, 200, "OK", &j);
                return 0;
        }
        if (p.base[prefix_len] != '/') {
                http_send_error(req, 404, "Not Found", "no such API endpoint");
                return 0;
        }
        rest = p.base + prefix_len + 1;
        n = p.len - prefix_len - 1;
        slash = memchr(rest, '/', n);
        if ((slash ? (size_t) (slash - rest) : n) >= sizeof(name) ||
            (slash && n - (size_t) (slash - rest) - 1 >= sizeof(verb))) {
                http_send_error(req, 404, "Not Found", "no such account");
                return 0;
        }
        memcpy(name, rest, slash ? (size_t) (slash - rest) : n);
        name[slash ? (size_t) (slash - rest) : n] = 0;
        if (slash) {
                size_t vn = n - (size_t) (slash - rest) - 1;
                memcpy(verb, slash + 1, vn);
                verb[vn] = 0;
        }
        return one_user(w, req, who, name, slash ? verb : NULL);
}
