/* The administrators' routes (issue 13), what pcapctl does from the web UI: GET/POST /api/admin/users (list,
 * create), DELETE /api/admin/users/{name}, POST /api/admin/users/{name}/{approve|enable|disable|role|
 * 2fa-reset|logout}. Admins only (403 for a user); the last active administrator can be neither disabled,
 * deleted nor demoted. Every change is a security event in the journal. */
#pragma once

#include <h2o.h>

#include "auth.h"

typedef struct web web_t;

int admin_users(web_t *w, h2o_req_t *req, const identity_t *who, size_t prefix_len);
