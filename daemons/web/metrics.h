/* GET /metrics in the Prometheus text exposition format. */
#pragma once

#include <h2o.h>

#include "web.h"

int metrics_handle(web_t *w, h2o_req_t *req);
