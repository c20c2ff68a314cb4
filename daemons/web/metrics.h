/* GET /metrics in the Prometheus text exposition format. */
#pragma once

#include <h2o.h>

int metrics_handle(h2o_req_t *req);
