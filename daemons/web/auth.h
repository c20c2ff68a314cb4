/* Who made a request (issue 13): the session cookie or the API token it carries, checked against the
 * store; what that identity may see; the CSRF rule for cookie sessions; the security log. Under
 * --auth=none everyone is the one open identity, which sees everything, as before accounts existed. */
#pragma once

#include <h2o.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/store-accounts.h"

typedef struct web web_t;

#define AUTH_COOKIE "pcapd_session"
#define AUTH_COOKIE_TLS "__Host-pcapd_session"   /* under HTTPS: Secure, Path=/, no Domain */

typedef enum identity_kind {
        IDENTITY_ANONYMOUS,      /* accounts on, no valid credential */
        IDENTITY_OPEN,           /* --auth=none: no accounts, sees everything */
        IDENTITY_SESSION,        /* a login cookie */
        IDENTITY_TOKEN,          /* Authorization: Bearer */
        IDENTITY_PROXY,          /* --auth=proxy: the user header of a trusted reverse proxy */
} identity_kind_t;

typedef struct identity {
        identity_kind_t kind;
        int64_t user_id;                         /* 0 unless SESSION or TOKEN */
        char name[ACCOUNT_NAME_MAX + 1];
        account_role_t role;
        char session_hash[SECRET_HASH_LEN + 1];  /* SESSION: its key in the store */
        bool credential_refused;                 /* a cookie or token came and was not valid */
        bool second_factor;                      /* the account has TOTP set up */
        bool needs_second_factor;                /* --require-2fa applies and it has none yet */
} identity_t;

/* Reads req's credentials. Never answers the request; a store error leaves the identity anonymous
 * (logged). */
void auth_identify(web_t *w, h2o_req_t *req, identity_t *ret);

static inline bool identity_known(const identity_t *who) {
        return who->kind != IDENTITY_ANONYMOUS;
}
static inline bool identity_is_admin(const identity_t *who) {
        return who->kind == IDENTITY_OPEN || (identity_known(who) && who->role == ROLE_ADMIN);
}
/* who may see (and delete) the task owned by owner. */
static inline bool identity_sees(const identity_t *who, int64_t owner) {
        return identity_is_admin(who) || (identity_known(who) && who->user_id == owner);
}
/* The owner filter for listings: everyone's for an admin, else who's own. */
static inline int64_t identity_owner_filter(const identity_t *who) {
        return identity_is_admin(who) ? STORE_ANY_OWNER : who->user_id;
}

/* A state-changing request from a cookie session (or a proxy's user, which rides on the proxy's cookie) must
 * come from our own pages: an Origin naming this host, or Sec-Fetch-Site: same-origin. Token and open
 * identities are exempt (no ambient credential). */
bool auth_csrf_ok(const identity_t *who, h2o_req_t *req);

/* 401 with WWW-Authenticate for the API. */
void auth_send_unauthorized(h2o_req_t *req);
/* 303 to the login page, coming back to this path after. */
void auth_send_login_redirect(h2o_req_t *req);

/* The peer's address as text ("" when unknown). */
void auth_peer(h2o_req_t *req, char *buf, size_t size);
/* True when addr (text) is in the comma-separated list. */
bool auth_addr_listed(const char *list, const char *addr);

/* Sets the session cookie (value NULL: clears it). */
void auth_set_cookie(web_t *w, h2o_req_t *req, const char *session_id);

/* A security event for the journal: PCAPD_EVENT=event, PCAPD_USER, PCAPD_REMOTE, and the message. Never
 * given a password, a token, a session id or a secret. */
void auth_log(int priority, const char *event, const char *user, const char *remote, const char *format, ...)
        __attribute__((format(printf, 5, 6)));
