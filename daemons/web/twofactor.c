/* The second factor (see twofactor.h). */
#include "twofactor.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/qrsvg.h"
#include "auth/totp.h"
#include "config.h"
#include "form.h"
#include "http.h"
#include "json.h"
#include "log/log.h"
#include "web.h"

#define TOTP_WINDOW 1  /* a step either side: clock drift and typing time */

static int secret_decode(const char *b32, uint8_t *out, size_t *ret_len) {
        return base32_decode(b32, out, TOTP_SECRET_MAX, ret_len);
}

static bool all_digits(const char *s) {
        if (!*s)
                return false;
        for (; *s; s++)
                if (*s < '0' || *s > '9')
                        return false;
        return true;
}

int twofactor_check(store_t *s, const store_user_t *u, const char *code, int64_t now_ms, bool *ret_recovery) {
        uint8_t secret[TOTP_SECRET_MAX];
        char norm[RECOVERY_CODE_SIZE], hash[SECRET_HASH_LEN + 1];
        size_t n;
        uint64_t step;
        int r;

        *ret_recovery = false;
        if (!code || !*code)
                return -ENODATA;
        if (all_digits(code)) {
                r = secret_decode(u->totp_secret, secret, &n);
                if (r < 0)
                        return -EIO;
                r = totp_verify(secret, n, (uint64_t) (now_ms / 1000), code, TOTP_WINDOW, u->totp_last_step, &step);
                explicit_bzero(secret, sizeof(secret));
                if (r < 0)
                        return -EACCES;
                /* a replay that raced the first use loses here */
                r = store_user_totp_used(s, u->id, step);
                return r == -ESTALE ? -EACCES : r;
        }
        if (recovery_code_normalize(code, norm) < 0)
                return -EACCES;
        r = secret_hash(norm, hash);
        explicit_bzero(norm, sizeof(norm));
        if (r < 0)
                return r;
        r = store_recovery_use(s, u->id, hash);
        if (r == -ENOENT)
                return -EACCES;
        if (r >= 0)
                *ret_recovery = true;
        return r;
}

/* who's row, or an answer. */
static bool load(web_t *w, h2o_req_t *req, const identity_t *who, store_user_t *u) {
        if (who->kind != IDENTITY_SESSION && who->kind != IDENTITY_TOKEN) {
                http_send_error(req, 404, "Not Found", "a second factor belongs to an account; this server runs without them");
                return false;
        }
        if (store_user_get(w->store, who->user_id, u) < 0) {
                http_send_error(req, 500, "Internal Server Error", "database error");
                return false;
        }
        explicit_bzero(u->password, sizeof(u->password));
        return true;
}

/* The code field of the body, or an answer. */
static bool read_code(h2o_req_t *req, char *code, size_t size) {
        h2o_iovec_t ct = http_header(req, H2O_TOKEN_CONTENT_TYPE, NULL, 0);
        int r = req->entity.base ? form_get(req->entity.base, req->entity.len, form_is_json(ct.base, ct.len), "code", code,
                                            size)
                                 : -ENOENT;
        if (r > 0)
                return true;
        http_send_error(req, 400, "Bad Request", r == -ENOENT || r == 0 ? "'code' is missing" : "'code' is malformed");
        return false;
}

static void event(h2o_req_t *req, const char *ev, const char *user, const char *what) {
        char remote[64];
        auth_peer(req, remote, sizeof(remote));
        auth_log(LOG_NOTICE, ev, user, remote, "%s %s", user, what);
}

int twofactor_setup(web_t *w, h2o_req_t *req, const identity_t *who) {
        uint8_t secret[TOTP_SECRET_SIZE];
        char b32[STORE_TOTP_SECRET_MAX];
        _cleanup_free_ char *uri = NULL;
        store_user_t u;
        json_t j = {};
        int r;

        if (!load(w, req, who, &u))
                return 0;
        if (u.totp_secret[0]) {
                http_send_error(req, 409, "Conflict", "a second factor is already set up: disable it first");
                return 0;
        }
        r = totp_secret_new(secret);
        if (r >= 0)
                r = base32_encode(secret, sizeof(secret), b32, sizeof(b32));
        if (r >= 0)
                r = totp_uri(TWOFACTOR_ISSUER, u.name, secret, sizeof(secret), &uri);
        explicit_bzero(secret, sizeof(secret));
        if (r >= 0)
                r = store_user_totp_set_pending(w->store, u.id, b32);
        if (r < 0) {
                explicit_bzero(b32, sizeof(b32));
                http_send_error(req, 500, "Internal Server Error", "could not start the enrolment");
                return 0;
        }
        json_begin(&j, '{');
        json_kv_str(&j, "secret", b32);
        json_kv_str(&j, "otpauth_uri", uri);
        json_kv_str(&j, "qr_svg_url", "/api/2fa/qr.svg");
        json_end(&j, '}');
        explicit_bzero(b32, sizeof(b32));
        explicit_bzero(uri, strlen(uri));
        http_send_built(req, 200, "OK", &j);
        return 0;
}

int twofactor_qr(web_t *w, h2o_req_t *req, const identity_t *who) {
        uint8_t secret[TOTP_SECRET_MAX];
        _cleanup_free_ char *uri = NULL, *svg = NULL;
        store_user_t u;
        size_t n;
        int r;

        if (!load(w, req, who, &u))
                return 0;
        if (!u.totp_pending[0]) {
                http_send_error(req, 404, "Not Found", "no enrolment in progress (POST /api/2fa/setup first)");
                return 0;
        }
        r = secret_decode(u.totp_pending, secret, &n);
        if (r >= 0)
                r = totp_uri(TWOFACTOR_ISSUER, u.name, secret, n, &uri);
        explicit_bzero(secret, sizeof(secret));
        if (r >= 0)
                r = qrsvg_render(uri, &svg);
        if (r < 0) {
                http_send_error(req, 500, "Internal Server Error", "could not draw the code");
                return 0;
        }
        req->res.status = 200;
        req->res.reason = "OK";
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("image/svg+xml"));
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-store"));
        h2o_send_inline(req, svg, strlen(svg)); /* copies */
        explicit_bzero(svg, strlen(svg));
        return 0;
}

int twofactor_enable(web_t *w, h2o_req_t *req, const identity_t *who) {
        char code[32], codes[TWOFACTOR_RECOVERY_CODES][RECOVERY_CODE_SIZE];
        char hashes[TWOFACTOR_RECOVERY_CODES][SECRET_HASH_LEN + 1];
        uint8_t secret[TOTP_SECRET_MAX];
        store_user_t u;
        uint64_t step;
        size_t n;
        json_t j = {};
        int r;

        if (!load(w, req, who, &u) || !read_code(req, code, sizeof(code)))
                return 0;
        if (!u.totp_pending[0]) {
                http_send_error(req, 409, "Conflict", "no enrolment in progress (POST /api/2fa/setup first)");
                return 0;
        }
        r = secret_decode(u.totp_pending, secret, &n);
        if (r >= 0)
                r = totp_verify(secret, n, (uint64_t) (store_now_ms() / 1000), code, TOTP_WINDOW, 0, &step);
        explicit_bzero(secret, sizeof(secret));
        if (r < 0) {
                event(req, "2fa-enrol-failed", u.name, "gave a wrong code to confirm the second factor");
                http_send_error(req, 400, "Bad Request", "the code does not match: check the device's clock and try the next code");
                return 0;
        }
        r = recovery_codes_new(TWOFACTOR_RECOVERY_CODES, codes);
        for (unsigned i = 0; r >= 0 && i < TWOFACTOR_RECOVERY_CODES; i++)
                r = secret_hash(codes[i], hashes[i]);
        if (r >= 0)
                r = store_user_totp_enable(w->store, u.id, u.totp_pending, step, (const char (*)[SECRET_HASH_LEN + 1]) hashes,
                                           TWOFACTOR_RECOVERY_CODES);
        if (r < 0) {
                explicit_bzero(codes, sizeof(codes));
                http_send_error(req, 500, "Internal Server Error", "could not store the second factor");
                return 0;
        }
        event(req, "2fa-enabled", u.name, "set up a second factor (TOTP)");
        json_begin(&j, '{');
        json_kv_bool(&j, "second_factor", true);
        json_key(&j, "recovery_codes");
        json_begin(&j, '[');
        for (unsigned i = 0; i < TWOFACTOR_RECOVERY_CODES; i++) {
                json_element(&j);
                json_string(&j, codes[i], strlen(codes[i]));
        }
        json_end(&j, ']');
        json_end(&j, '}');
        explicit_bzero(codes, sizeof(codes));
        http_send_built(req, 200, "OK", &j);
        return 0;
}

int twofactor_disable(web_t *w, h2o_req_t *req, const identity_t *who) {
        char code[32];
        store_user_t u;
        bool recovery;
        int r;

        if (!load(w, req, who, &u) || !read_code(req, code, sizeof(code)))
                return 0;
        if (!u.totp_secret[0]) {
                http_send_error(req, 409, "Conflict", "no second factor is set up");
                return 0;
        }
        r = twofactor_check(w->store, &u, code, store_now_ms(), &recovery);
        if (r == -EACCES || r == -ENODATA) {
                event(req, "2fa-disable-failed", u.name, "gave a wrong code to remove the second factor");
                http_send_error(req, 403, "Forbidden", "the code does not match");
                return 0;
        }
        if (r >= 0)
                r = store_user_totp_disable(w->store, u.id);
        if (r < 0) {
                http_send_error(req, 500, "Internal Server Error", "database error");
                return 0;
        }
        event(req, "2fa-disabled", u.name, "removed the second factor");
        http_send_json(req, 200, "OK", "{\"second_factor\": false}\n", 25);
        return 0;
}
