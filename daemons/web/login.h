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
