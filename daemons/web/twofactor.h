/* The second factor (issue 13): TOTP (RFC 6238) per account with one-time recovery codes. Enrolment
 * (POST /api/2fa/setup, GET /api/2fa/qr.svg, POST /api/2fa/enable) and removal (POST /api/2fa/disable) are
 * routes of a logged-in account; the login (login.c) asks twofactor_check() for the code. With
 * --require-2fa an account that must have it can use only these routes, /api/me and /api/logout until it
 * has enrolled. */
#pragma once

#include <h2o.h>
#include <stdbool.h>

#include "auth.h"

typedef struct web web_t;

#define TWOFACTOR_ISSUER "pcapd"
#define TWOFACTOR_RECOVERY_CODES 10

/* code (what the user typed: six digits, or a recovery code) against u's second factor, now. 0 when it
 * holds (a TOTP step is recorded so it cannot serve twice; a recovery code is used up, *ret_recovery set),
 * -ENODATA when no code was given, -EACCES when it does not hold, another -errno on a store error. */
int twofactor_check(store_t *s, const store_user_t *u, const char *code, int64_t now_ms, bool *ret_recovery);

int twofactor_setup(web_t *w, h2o_req_t *req, const identity_t *who);
int twofactor_qr(web_t *w, h2o_req_t *req, const identity_t *who);
int twofactor_enable(web_t *w, h2o_req_t *req, const identity_t *who);
int twofactor_disable(web_t *w, h2o_req_t *req, const identity_t *who);
