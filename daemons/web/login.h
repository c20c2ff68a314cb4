/* The account routes (issue 13): POST /api/login and /api/logout, GET /api/me, a user's own API tokens
 * (GET/POST /api/tokens, DELETE /api/tokens/{id}) and password (POST /api/password). Password hashes are
 * computed on a thread of their own (a work queue), never on the event loop: a login storm waits there
 * and does not stall uploads or progress streams. */
#pragma once

#include <h2o.h>

#include "auth.h"

typedef struct web web_t;

/* Starts the hashing thread and the failure table (only under --auth=accounts). 0 or -errno. */
int login_start(web_t *w);
void login_stop(web_t *w);

int login_handle(web_t *w, h2o_req_t *req, const identity_t *who);
int login_logout(web_t *w, h2o_req_t *req, const identity_t *who);
int login_me(web_t *w, h2o_req_t *req, const identity_t *who);
int login_tokens(web_t *w, h2o_req_t *req, const identity_t *who, size_t prefix_len);
int login_password(web_t *w, h2o_req_t *req, const identity_t *who);
/* POST /api/signup under --signup=approval: a pending account, rate-limited per address. */
int login_signup(web_t *w, h2o_req_t *req, const identity_t *who);
/* A new account from the request's {username, password}: name and policy checked here, the password hashed on
 * the login thread, then stored and answered 201 {user, role, state} (409 when the name is taken). by: the
 * admin who asks, or an anonymous identity for a sign-up. */
int login_create_account(web_t *w, h2o_req_t *req, const identity_t *by, account_role_t role, account_state_t state);
