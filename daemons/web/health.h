/* GET /api/health: database, disk space, analyzer reachability, queue; 200 or 503 with figures. */
#pragma once

#include <h2o.h>

int health_handle(h2o_req_t *req);
