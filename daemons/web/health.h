/* GET /health and /api/health: database, disk, memory, analyzer, queue; 200 (healthy) or 503 (degraded). */
#pragma once

#include <h2o.h>

#include "web.h"

int health_handle(web_t *w, h2o_req_t *req);
