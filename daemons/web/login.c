/* The account routes (see login.h). */
#include "login.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "form.h"
#include "http.h"
#include "json.h"
#include "log/log.h"
#include "throttle.h"
#include "twofactor.h"
#include "util/parse.h"
#include "web.h"
#include "workq.h"

#define LOGIN_PENDING_MAX 64           /* password checks waiting for the thread; past it, 503 */
#define LOGIN_FREE_TRIES_ADDR 10        /* failures from one address before it waits */
#define LOGIN_FREE_TRIES_ACCOUNT 5      /* failures for one account from one address before they wait */
#define LOGIN_CAP_MS (15 * 60 * 1000)
#define TOKEN_NAME_DEFAULT "api"
#define TOKENS_PER_USER_MAX 100

typedef enum auth_job_kind {
        JOB_LOGIN,
        JOB_PASSWORD,       /* verify the current password, then hash the new one */
        JOB_CREATE,         /* hash a new account's password (a sign-up, or an admin making one) */
} auth_job_kind_t;

typedef struct auth_job {
        workq_item_t item;
        web_t *web;
        h2o_req_t *req;                 /* NULL once the request is gone */
        struct auth_guard *guard;
        auth_job_kind_t kind;
        bool found;                     /* the account exists (else the dummy hash is checked) */
        store_user_t user;
        identity_t who;                 /* JOB_PASSWORD: who asks; JOB_CREATE: the admin, or anonymous for a sign-up */
        account_role_t new_role;        /* JOB_CREATE */
        account_state_t new_state;
        char password[ACCOUNT_PASSWORD_MAX + 1];
        char new_password[ACCOUNT_PASSWORD_MAX + 1];
        char new_hash[ACCOUNT_HASH_MAX];
        char code[32];                  /* JOB_LOGIN: the second factor's code, if given */
        int verify_result;
        int hash_result;
        char remote[INET6_ADDRSTRLEN + 8];
        char addr_key[INET6_ADDRSTRLEN + 16];
        char account_key[ACCOUNT_NAME_MAX + INET6_ADDRSTRLEN + 16];
} auth_job_t;

typedef struct auth_guard {
        auth_job_t *job;
} auth_guard_t;

static void job_free(auth_job_t *j) {
        if (!j)
                return;
        explicit_bzero(j, sizeof(*j));
        free(j);
}

static void auth_work(workq_t *q, workq_item_t *it) {
        auth_job_t *j = H2O_STRUCT_FROM_MEMBER(auth_job_t, item, it);

        if (j->kind == JOB_CREATE) {
                j->hash_result = account_password_hash(j->new_password, j->new_hash);
                explicit_bzero(j->new_password, sizeof(j->new_password));
                return;
        }
        /* the same work whether or not the account exists: the answer's time tells nothing */
        j->verify_result = account_password_verify(j->password, j->found ? j->user.password
                                                                          : account_password_dummy_hash());
        if (!j->found)
                j->verify_result = -EACCES;
        explicit_bzero(j->password, sizeof(j->password));
        if (j->kind == JOB_PASSWORD && j->verify_result == 0)
                j->hash_result = account_password_hash(j->new_password, j->new_hash);
        explicit_bzero(j->new_password, sizeof(j->new_password));
}

/* A new session for user: stored (hashed), cookie set. */
static int session_open(web_t *w, h2o_req_t *req, const store_user_t *u, const char *remote) {
        char sid[SESSION_ID_LEN + 1];
        store_session_t ss = { .user_id = u->id };
        int64_t now = store_now_ms();
        int r;

        r = session_id_new(sid);
        if (r >= 0)
                r = secret_hash(sid, ss.hash);
        if (r < 0)
                return r;
        ss.created_at = ss.last_seen = now;
        ss.expires_at = now + (int64_t) w->cfg->session_max_ms;
        snprintf(ss.remote, sizeof(ss.remote), "%s", remote);
        r = store_session_add(w->store, &ss);
        if (r >= 0)
                auth_set_cookie(w, req, sid);
        explicit_bzero(sid, sizeof(sid));
        return r;
}

static void send_me(h2o_req_t *req, const char *name, account_role_t role, const char *mode, int status) {
        json_t j = {};
        json_begin(&j, '{');
        json_kv_str(&j, "user", name);
        json_kv_str(&j, "role", account_role_to_string(role));
        json_kv_str(&j, "auth", mode);
        json_end(&j, '}');
        http_send_built(req, status, "OK", &j);
}

static void login_finish(auth_job_t *j) {
        web_t *w = j->web;
        h2o_req_t *req = j->req;
        int64_t now = store_now_ms();
        const char *name = j->user.name;

        if (j->verify_result != 0) {
                throttle_fail(w->login_throttle, j->addr_key, now, LOGIN_FREE_TRIES_ADDR, LOGIN_CAP_MS);
                throttle_fail(w->login_throttle, j->account_key, now, LOGIN_FREE_TRIES_ACCOUNT, LOGIN_CAP_MS);
                auth_log(LOG_NOTICE, "login-failed", name, j->remote, "Failed login for %s from %s%s", name,
                         j->remote, j->found ? "" : " (no such account)");
                if (req)
                        http_send_error(req, 401, "Unauthorized", "wrong user name or password");
                return;
        }
        /* the password is right: now the account's state may be told */
        if (j->user.state != ACCOUNT_ACTIVE) {
                auth_log(LOG_NOTICE, "login-refused", name, j->remote, "Login of %s account %s refused",
                         account_state_to_string(j->user.state), name);
                if (req)
                        http_send_error(req, 403, "Forbidden",
                                        j->user.state == ACCOUNT_PENDING ? "the account waits for an administrator's approval"
                                                                         : "the account is disabled");
                return;
        }
        if (j->user.totp_secret[0]) {
                bool recovery = false;
                int r = twofactor_check(w->store, &j->user, j->code, store_now_ms(), &recovery);
                if (r == -ENODATA) {
                        /* the password was right: the client is asked for the code (its form shows the field) */
                        static const char body[] = "{\"error\":\"a second-factor code is needed\",\"detail\":\"a "
                                                   "second-factor code is needed\",\"status\":401,\"second_factor\":\"totp\"}\n";
                        if (req)
                                http_send_json(req, 401, "Unauthorized", body, sizeof(body) - 1);
                        return;
                }
                if (r < 0) {
                        throttle_fail(w->login_throttle, j->addr_key, store_now_ms(), LOGIN_FREE_TRIES_ADDR, LOGIN_CAP_MS);
                        throttle_fail(w->login_throttle, j->account_key, store_now_ms(), LOGIN_FREE_TRIES_ACCOUNT, LOGIN_CAP_MS);
                        auth_log(LOG_NOTICE, "login-2fa-failed", name, j->remote, "Wrong second-factor code for %s from %s",
                                 name, j->remote);
                        if (req)
                                http_send_error(req, 401, "Unauthorized", r == -EACCES ? "wrong second-factor code" : "database error");
                        return;
                }
                if (recovery)
                        auth_log(LOG_NOTICE, "recovery-code-used", name, j->remote, "%s logged in with a recovery code", name);
        }
        throttle_clear(w->login_throttle, j->account_key);
        if (!req)
                return;
        if (session_open(w, req, &j->user, j->remote) < 0) {
                log_error(NULL, "store-error", "Failed to store a session for %s", name);
                http_send_error(req, 500, "Internal Server Error", "could not open a session");
                return;
        }
        auth_log(LOG_INFO, "login", name, j->remote, "%s logged in from %s", name, j->remote);
        send_me(req, name, j->user.role, "accounts", 200);
}

static void password_finish(auth_job_t *j) {
        web_t *w = j->web;
        h2o_req_t *req = j->req;
        const char *name = j->user.name;
        int r;

        if (j->verify_result != 0) {
                throttle_fail(w->login_throttle, j->account_key, store_now_ms(), LOGIN_FREE_TRIES_ACCOUNT, LOGIN_CAP_MS);
                auth_log(LOG_NOTICE, "password-change-failed", name, j->remote,
                         "Password change for %s refused: wrong current password", name);
                if (req)
                        http_send_error(req, 403, "Forbidden", "the current password is wrong");
                return;
        }
        if (j->hash_result < 0) {
                if (req)
                        http_send_error(req, 500, "Internal Server Error", "could not hash the password");
                return;
        }
        /* every session of the account ends, this one too; the client gets a new one */
        r = store_user_set_password(w->store, j->user.id, j->new_hash, store_now_ms());
        if (r < 0) {
                log_error_errno(r, NULL, "store-error", "Failed to store a password: %m");
                if (req)
                        http_send_error(req, 500, "Internal Server Error", "database error");
                return;
        }
        auth_log(LOG_NOTICE, "password-changed", name, j->remote, "%s changed their password; sessions ended", name);
        if (!req)
                return;
        if (j->who.kind == IDENTITY_SESSION && session_open(w, req, &j->user, j->remote) < 0) {
                http_send_error(req, 500, "Internal Server Error", "could not open a session");
                return;
        }
        send_me(req, name, j->user.role, "accounts", 200);
}

static void create_finish(auth_job_t *j) {
        web_t *w = j->web;
        h2o_req_t *req = j->req;
        const char *name = j->user.name;
        json_t js = {};
        int64_t id;
        int r = j->hash_result;

        /* stored even when the client has gone: it was asked for and is valid */
        if (r >= 0)
                r = store_user_add(w->store, name, j->new_hash, j->new_role, j->new_state, store_now_ms(), &id);
        if (r == -EEXIST) {
                if (req)
                        http_send_error(req, 409, "Conflict", "that user name is taken");
                return;
        }
        if (r < 0) {
                log_error_errno(r, NULL, "store-error", "Failed to create an account: %m");
                if (req)
                        http_send_error(req, 500, "Internal Server Error", "could not create the account");
                return;
        }
        if (j->who.kind == IDENTITY_ANONYMOUS)
                auth_log(LOG_NOTICE, "account-signup", name, j->remote, "%s signed up from %s; waiting for approval", name,
                         j->remote);
        else
                auth_log(LOG_NOTICE, "account-created", name, j->remote, "Account %s (%s) created by administrator %s", name,
                         account_role_to_string(j->new_role), j->who.name);
        if (!req)
                return;
        json_begin(&js, '{');
        json_kv_str(&js, "user", name);
        json_kv_str(&js, "role", account_role_to_string(j->new_role));
        json_kv_str(&js, "state", account_state_to_string(j->new_state));
        json_end(&js, '}');
        http_send_built(req, 201, "Created", &js);
}

static void auth_done(workq_t *q, workq_item_t *it) {
        auth_job_t *j = H2O_STRUCT_FROM_MEMBER(auth_job_t, item, it);

        j->web->login_pending--;
        if (j->guard)
                j->guard->job = NULL;
        if (j->kind == JOB_LOGIN)
                login_finish(j);
        else if (j->kind == JOB_CREATE)
                create_finish(j);
        else
                password_finish(j);
        job_free(j);
}

static void on_guard_dispose(void *p) {
        auth_guard_t *g = p;
        if (g->job)
                g->job->req = NULL, g->job->guard = NULL;
}

int login_start(web_t *w) {
        int r;

        w->login_throttle = malloc(sizeof(*w->login_throttle));
        if (!w->login_throttle)
                return -ENOMEM;
        r = throttle_init(w->login_throttle);
        if (r < 0)
                return r;
        (void) account_password_dummy_hash(); /* made now, not during the first login */
        pthread_mutex_init(&w->login_q.lock, NULL);
        pthread_cond_init(&w->login_q.queue_cond, NULL);
        return workq_start(&w->login_q, w->loop, auth_work, auth_done);
}

void login_stop(web_t *w) {
        workq_stop(&w->login_q);
        free(w->login_throttle);
        w->login_throttle = NULL;
}

/* The client address as a throttle key: IPv6 by its /64, which one host holds whole. */
static void addr_key(const char *remote, char *buf, size_t size) {
        struct in6_addr a;
        if (inet_pton(AF_INET6, remote, &a) == 1 && !IN6_IS_ADDR_V4MAPPED(&a)) {
                char t[INET6_ADDRSTRLEN];
                memset(a.s6_addr + 8, 0, 8);
                inet_ntop(AF_INET6, &a, t, sizeof(t));
                snprintf(buf, size, "a:%s/64", t);
        } else
                snprintf(buf, size, "a:%s", remote);
}

static void account_key(const char *name, const char *akey, char *buf, size_t size) {
        size_t n = (size_t) snprintf(buf, size, "u:%s|%s", name, akey);
        for (size_t i = 2; i < n && i < size && buf[i] != '|'; i++)
                if (buf[i] >= 'A' && buf[i] <= 'Z')
                        buf[i] = (char) (buf[i] - 'A' + 'a');
}

static bool body_form(h2o_req_t *req, bool *ret_json) {
        h2o_iovec_t ct = http_header(req, H2O_TOKEN_CONTENT_TYPE, NULL, 0);
        if (!req->entity.base || req->entity.len > FORM_BODY_MAX) {
                http_send_error(req, req->entity.base ? 413 : 400, req->entity.base ? "Payload Too Large" : "Bad Request",
                                req->entity.base ? "the request body is too large" : "a body is needed");
                return false;
        }
        *ret_json = form_is_json(ct.base, ct.len);
        return true;
}

/* A field of the body into out: false (answered) when missing or malformed. */
static bool field(h2o_req_t *req, bool json, const char *key, char *out, size_t size, bool required) {
        int r = form_get(req->entity.base, req->entity.len, json, key, out, size);
        char msg[96];
        if (r >= 0 || (r == -ENOENT && !required))
                return true;
        if (r == -ENOENT)
                snprintf(msg, sizeof(msg), "'%s' is missing", key);
        else if (r == -E2BIG)
                snprintf(msg, sizeof(msg), "'%s' is too long", key);
        else
                snprintf(msg, sizeof(msg), "the body is not a flat JSON object or a form (at '%s')", key);
        http_send_error(req, 400, "Bad Request", msg);
        return false;
}

static auth_job_t *job_new(web_t *w, h2o_req_t *req, auth_job_kind_t kind) {
        auth_job_t *j;
        auth_guard_t *g;

        if (w->login_pending >= LOGIN_PENDING_MAX) {
                h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, H2O_STRLIT("1"));
                http_send_error(req, 503, "Service Unavailable", "too many logins at once, try again");
                return NULL;
        }
        j = calloc(1, sizeof(*j));
        if (!j) {
                http_send_error(req, 500, "Internal Server Error", "out of memory");
                return NULL;
        }
        j->web = w;
        j->req = req;
        j->kind = kind;
        auth_peer(req, j->remote, sizeof(j->remote));
        addr_key(j->remote, j->addr_key, sizeof(j->addr_key));
        g = h2o_mem_alloc_shared(&req->pool, sizeof(*g), on_guard_dispose);
        g->job = j;
        j->guard = g;
        return j;
}

static void job_submit(web_t *w, auth_job_t *j) {
        w->login_pending++;
        workq_submit(&w->login_q, &j->item);
}

/* 429 with Retry-After in whole seconds. */
static void send_too_many(h2o_req_t *req, int64_t wait_ms, const char *message) {
        char s[32];
        size_t n = (size_t) snprintf(s, sizeof(s), "%lld", (long long) ((wait_ms + 999) / 1000));
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, h2o_strdup(&req->pool, s, n).base, n);
        http_send_error(req, 429, "Too Many Requests", message);
}

static bool throttled(web_t *w, h2o_req_t *req, auth_job_t *j) {
        int64_t now = store_now_ms();
        int64_t wait = throttle_wait(w->login_throttle, j->addr_key, now);
        int64_t wait2 = throttle_wait(w->login_throttle, j->account_key, now);

        if (wait2 > wait)
                wait = wait2;
        if (wait <= 0)
                return false;
        auth_log(LOG_WARNING, "login-throttled", j->user.name[0] ? j->user.name : NULL, j->remote,
                 "Login attempt from %s refused: %lld ms to wait after failures", j->remote, (long long) wait);
        send_too_many(req, wait, "too many failed logins: wait before trying again");
        return true;
}

int login_handle(web_t *w, h2o_req_t *req, const identity_t *who) {
        char name[ACCOUNT_NAME_MAX + 2];
        auth_job_t *j;
        bool json;
        int r;

        if (!w->auth_accounts) {
                http_send_error(req, 404, "Not Found", "this server runs without accounts (--auth=none)");
                return 0;
        }
        if (!body_form(req, &json))
                return 0;
        if (!field(req, json, "username", name, sizeof(name), true))
                return 0;
        j = job_new(w, req, JOB_LOGIN);
        if (!j)
                return 0;
        /* a name that cannot exist is a wrong login like any other (same answer, same time) */
        if (account_name_is_valid(name, strlen(name)))
                snprintf(j->user.name, sizeof(j->user.name), "%s", name);
        account_key(j->user.name, j->addr_key, j->account_key, sizeof(j->account_key));
        if (throttled(w, req, j)) {
                j->guard->job = NULL;
                job_free(j);
                return 0;
        }
        if (!field(req, json, "password", j->password, sizeof(j->password), true) ||
            !field(req, json, "code", j->code, sizeof(j->code), false)) {
                j->guard->job = NULL;
                job_free(j);
                return 0;
        }
        if (j->user.name[0]) {
                r = store_user_find(w->store, j->user.name, &j->user);
                if (r < 0 && r != -ENOENT) {
                        log_error_errno(r, NULL, "store-error", "Failed to read an account: %m");
                        http_send_error(req, 500, "Internal Server Error", "database error");
                        j->guard->job = NULL;
                        job_free(j);
                        return 0;
                }
                j->found = r >= 0;
        }
        if (!j->found)
                snprintf(j->user.name, sizeof(j->user.name), "%s", account_name_is_valid(name, strlen(name)) ? name : "-");
        job_submit(w, j);
        return 0;
}

int login_logout(web_t *w, h2o_req_t *req, const identity_t *who) {
        char remote[INET6_ADDRSTRLEN + 8];
        bool all = req->query_at != SIZE_MAX &&
                   h2o_strstr(req->path.base + req->query_at, req->path.len - req->query_at, H2O_STRLIT("all=1")) != SIZE_MAX;
        int r;

        auth_peer(req, remote, sizeof(remote));
        if (who->kind == IDENTITY_SESSION) {
                r = all ? store_session_delete_user(w->store, who->user_id) : store_session_delete(w->store, who->session_hash);
                if (r < 0 && r != -ENOENT) {
                        log_error_errno(r, NULL, "store-error", "Failed to end a session: %m");
                        http_send_error(req, 500, "Internal Server Error", "database error");
                        return 0;
                }
        } else if (who->kind == IDENTITY_TOKEN && all)
                (void) store_session_delete_user(w->store, who->user_id);
        auth_log(LOG_INFO, all ? "logout-everywhere" : "logout", who->name, remote, "%s logged out%s", who->name,
                 all ? " everywhere" : "");
        auth_set_cookie(w, req, NULL);
        http_send_json(req, 200, "OK", "{\"logged_out\": true}\n", 21);
        return 0;
}

int login_me(web_t *w, h2o_req_t *req, const identity_t *who) {
        if (who->kind == IDENTITY_ANONYMOUS) {
                /* open, so that a page can ask without a 401 in the browser's console */
                json_t j = {};
                json_begin(&j, '{');
                json_kv_null(&j, "user");
                json_kv_null(&j, "role");
                json_kv_str(&j, "auth", "accounts");
                json_kv_bool(&j, "signup", w->cfg->signup == CONFIG_SIGNUP_APPROVAL);
                {
                        /* the login page tells how to make the first administrator while there is none */
                        uint64_t total = 0, admins = 0;
                        (void) store_user_count(w->store, &total, &admins);
                        json_kv_bool(&j, "admin_exists", admins > 0);
                }
                json_end(&j, '}');
                http_send_built(req, 200, "OK", &j);
                return 0;
        }
        if (who->kind == IDENTITY_OPEN) {
                json_t j = {};
                json_begin(&j, '{');
                json_kv_null(&j, "user");
                json_kv_str(&j, "role", "admin");
                json_kv_str(&j, "auth", "none");
                json_end(&j, '}');
                http_send_built(req, 200, "OK", &j);
                return 0;
        }
        {
                json_t j = {};
                unsigned left = 0;
                (void) store_recovery_count(w->store, who->user_id, &left);
                json_begin(&j, '{');
                json_kv_str(&j, "user", who->name);
                json_kv_str(&j, "role", account_role_to_string(who->role));
                json_kv_str(&j, "auth", "accounts");
                json_kv_bool(&j, "second_factor", who->second_factor);
                json_kv_bool(&j, "second_factor_required", who->needs_second_factor);
                json_kv_u64(&j, "recovery_codes_left", left);
                json_end(&j, '}');
                http_send_built(req, 200, "OK", &j);
        }
        return 0;
}

typedef struct token_list_ctx {
        json_t *j;
        unsigned n;
} token_list_ctx_t;

static int token_one(const store_token_t *t, void *userdata) {
        token_list_ctx_t *c = userdata;
        json_element(c->j);
        c->j->need_comma = false;
        json_begin(c->j, '{');
        json_kv_i64(c->j, "id", t->id);
        json_kv_str(c->j, "name", t->name);
        json_kv_time(c->j, "created_at", t->created_at);
        json_kv_time(c->j, "expires_at", t->expires_at);
        json_kv_time(c->j, "last_used", t->last_used);
        json_end(c->j, '}');
        c->n++;
        return 0;
}

static void token_create(web_t *w, h2o_req_t *req, const identity_t *who) {
        char name[STORE_TOKEN_NAME_MAX + 2] = TOKEN_NAME_DEFAULT, days[24] = "", remote[INET6_ADDRSTRLEN + 8];
        _cleanup_free_ char *tok = NULL;
        token_list_ctx_t c = {};
        store_token_t t = { .user_id = who->user_id };
        json_t j = {};
        uint64_t d = 0;
        bool json = true;
        int r;

        if (req->entity.base && req->entity.len > 0) {
                if (!body_form(req, &json) || !field(req, json, "name", name, sizeof(name), false) ||
                    !field(req, json, "expires_days", days, sizeof(days), false))
                        return;
        }
        if (!name[0])
                snprintf(name, sizeof(name), TOKEN_NAME_DEFAULT);
        if (!account_token_name_is_valid(name)) {
                http_send_error(req, 400, "Bad Request", "a token name is 1 to 64 letters, digits, spaces and . _ - @ +");
                return;
        }
        if (days[0] && parse_u64(days, 1, 3660, &d) < 0) {
                http_send_error(req, 400, "Bad Request", "expires_days is a whole number of days from 1 to 3660");
                return;
        }
        /* bounded: a user cannot fill the database with tokens */
        c.j = &j;
        json_begin(&j, '[');
        r = store_token_list(w->store, who->user_id, token_one, &c);
        json_free(&j);
        if (r >= 0 && c.n >= TOKENS_PER_USER_MAX) {
                http_send_error(req, 409, "Conflict", "an account has at most 100 tokens: revoke one first");
                return;
        }
        r = secret_token_new("pcapd_", &tok);
        if (r >= 0)
                r = secret_hash(tok, t.hash);
        snprintf(t.name, sizeof(t.name), "%s", name);
        t.created_at = store_now_ms();
        t.expires_at = d ? t.created_at + (int64_t) d * 86400 * 1000 : 0;
        if (r >= 0)
                r = store_token_add(w->store, &t);
        if (r < 0) {
                log_error_errno(r, NULL, "store-error", "Failed to store a token: %m");
                http_send_error(req, 500, "Internal Server Error", "could not create the token");
                return;
        }
        auth_peer(req, remote, sizeof(remote));
        auth_log(LOG_NOTICE, "token-created", who->name, remote, "%s created API token %lld (%s)", who->name,
                 (long long) t.id, t.name);
        j = (json_t) {};
        json_begin(&j, '{');
        json_kv_i64(&j, "id", t.id);
        json_kv_str(&j, "name", t.name);
        json_kv_str(&j, "token", tok);
        json_kv_time(&j, "expires_at", t.expires_at);
        json_end(&j, '}');
        explicit_bzero(tok, strlen(tok));
        http_send_built(req, 201, "Created", &j);
}

int login_tokens(web_t *w, h2o_req_t *req, const identity_t *who, size_t prefix_len) {
        h2o_iovec_t p = req->path_normalized;
        char remote[INET6_ADDRSTRLEN + 8];

        if (who->kind != IDENTITY_SESSION && who->kind != IDENTITY_TOKEN && who->kind != IDENTITY_PROXY) {
                http_send_error(req, 404, "Not Found", "tokens belong to accounts; this server runs without them");
                return 0;
        }
        if (p.len <= prefix_len || (p.len == prefix_len + 1 && p.base[prefix_len] == '/')) {
                if (http_method_is(req, "POST")) {
                        token_create(w, req, who);
                        return 0;
                }
                if (!http_is_get(req)) {
                        http_send_not_allowed(req, "GET, HEAD, POST");
                        return 0;
                }
                json_t j = {};
                token_list_ctx_t c = { &j, 0 };
                json_begin(&j, '{');
                json_key(&j, "tokens");
                json_begin(&j, '[');
                if (store_token_list(w->store, who->user_id, token_one, &c) < 0) {
                        json_free(&j);
                        http_send_error(req, 500, "Internal Server Error", "database error");
                        return 0;
                }
                json_end(&j, ']');
                json_end(&j, '}');
                http_send_built(req, 200, "OK", &j);
                return 0;
        }
        /* /api/tokens/{id} */
        {
                char num[24];
                uint64_t id;
                size_t n = p.len - prefix_len - 1;
                int r;
                if (p.base[prefix_len] != '/' || n == 0 || n >= sizeof(num)) {
                        http_send_error(req, 404, "Not Found", "no such token");
                        return 0;
                }
                memcpy(num, p.base + prefix_len + 1, n);
                num[n] = 0;
                if (!http_method_is(req, "DELETE")) {
                        http_send_not_allowed(req, "DELETE");
                        return 0;
                }
                if (parse_u64(num, 1, INT64_MAX, &id) < 0) {
                        http_send_error(req, 404, "Not Found", "no such token");
                        return 0;
                }
                r = store_token_delete(w->store, who->user_id, (int64_t) id);
                if (r == -ENOENT) {
                        http_send_error(req, 404, "Not Found", "no such token");
                        return 0;
                }
                if (r < 0) {
                        http_send_error(req, 500, "Internal Server Error", "database error");
                        return 0;
                }
                auth_peer(req, remote, sizeof(remote));
                auth_log(LOG_NOTICE, "token-revoked", who->name, remote, "%s revoked API token %llu", who->name,
                         (unsigned long long) id);
                http_send_json(req, 200, "OK", "{\"revoked\": true}\n", 18);
        }
        return 0;
}

int login_password(web_t *w, h2o_req_t *req, const identity_t *who) {
        char reason[256];
        auth_job_t *j;
        bool json;
        int r;

        if (who->kind != IDENTITY_SESSION && who->kind != IDENTITY_TOKEN) {
                http_send_error(req, 404, "Not Found", "passwords belong to accounts; this server runs without them");
                return 0;
        }
        if (!body_form(req, &json))
                return 0;
        j = job_new(w, req, JOB_PASSWORD);
        if (!j)
                return 0;
        j->who = *who;
        r = store_user_get(w->store, who->user_id, &j->user);
        j->found = r >= 0;
        account_key(who->name, j->addr_key, j->account_key, sizeof(j->account_key));
        if (r < 0 || throttled(w, req, j) || !field(req, json, "current_password", j->password, sizeof(j->password), true) ||
            !field(req, json, "new_password", j->new_password, sizeof(j->new_password), true)) {
                if (r < 0)
                        http_send_error(req, 500, "Internal Server Error", "database error");
                j->guard->job = NULL;
                job_free(j);
                return 0;
        }
        if (account_password_refusal(j->user.name, j->new_password, ACCOUNT_PASSWORD_MIN, reason, sizeof(reason))) {
                http_send_error(req, 400, "Bad Request", reason);
                j->guard->job = NULL;
                job_free(j);
                return 0;
        }
        job_submit(w, j);
        return 0;
}

int login_create_account(web_t *w, h2o_req_t *req, const identity_t *by, account_role_t role, account_state_t state) {
        char name[ACCOUNT_NAME_MAX + 2], reason[256];
        store_user_t u;
        auth_job_t *j;
        bool json;

        if (!body_form(req, &json) || !field(req, json, "username", name, sizeof(name), true))
                return 0;
        if (!account_name_is_valid(name, strlen(name))) {
                http_send_error(req, 400, "Bad Request",
                                "a user name is 1 to 64 letters, digits and . _ - @ +, starting with a letter or digit");
                return 0;
        }
        if (store_user_find(w->store, name, &u) == 0) {
                explicit_bzero(u.password, sizeof(u.password));
                http_send_error(req, 409, "Conflict", "that user name is taken");
                return 0;
        }
        j = job_new(w, req, JOB_CREATE);
        if (!j)
                return 0;
        if (!field(req, json, "password", j->new_password, sizeof(j->new_password), true)) {
                j->guard->job = NULL;
                job_free(j);
                return 0;
        }
        if (account_password_refusal(name, j->new_password, ACCOUNT_PASSWORD_MIN, reason, sizeof(reason))) {
                http_send_error(req, 400, "Bad Request", reason);
                j->guard->job = NULL;
                job_free(j);
                return 0;
        }
        snprintf(j->user.name, sizeof(j->user.name), "%s", name);
        j->who = *by;
        j->new_role = role;
        j->new_state = state;
        job_submit(w, j);
        return 0;
}

int login_signup(web_t *w, h2o_req_t *req, const identity_t *who) {
        char remote[INET6_ADDRSTRLEN + 8], akey[INET6_ADDRSTRLEN + 24];
        int64_t now = store_now_ms(), wait;

        if (!w->auth_accounts || w->cfg->signup != CONFIG_SIGNUP_APPROVAL) {
                http_send_error(req, 404, "Not Found", "sign-up is off on this server: ask an administrator for an account");
                return 0;
        }
        /* sign-ups from one address slow down after two: each counts as a failure of the key "s:ADDRESS", the
         * wait doubling from a second up to an hour */
        auth_peer(req, remote, sizeof(remote));
        addr_key(remote, akey + 1, sizeof(akey) - 1);
        akey[0] = 's';
        wait = throttle_wait(w->login_throttle, akey, now);
        if (wait > 0) {
                send_too_many(req, wait, "too many sign-ups from this address: try later");
                return 0;
        }
        throttle_fail(w->login_throttle, akey, now, 2, 3600 * 1000);
        return login_create_account(w, req, who, ROLE_USER, ACCOUNT_PENDING);
}
