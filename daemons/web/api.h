/* The JSON API under /api/: status, history, queue, reports, and the dispatch of /api/ paths. */
#pragma once

#include <h2o.h>

int api_handle(h2o_req_t *req);
int api_reports_handle(h2o_req_t *req);
