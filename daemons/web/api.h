/* The JSON API's handlers: status, history, queue, progress streams, reports. Each is a route (routes.c):
 * it gets the context and the request, with the method already checked. */
#pragma once

#include <h2o.h>

#include "state/state-dir.h"
#include "auth.h"
#include "web.h"

int api_status(web_t *w, h2o_req_t *req, const identity_t *who, size_t prefix_len);
int api_history(web_t *w, h2o_req_t *req, const identity_t *who);
int api_queue_status(web_t *w, h2o_req_t *req, const identity_t *who);
int api_progress(web_t *w, h2o_req_t *req, const identity_t *who, size_t prefix_len);
/* /api/reports/{id}/json|html (GET, HEAD) and /api/reports/{id} (DELETE). */
int api_reports(web_t *w, h2o_req_t *req, const identity_t *who, size_t prefix_len);
/* Sends the report of a completed task, or the error that says why there is none. */
int api_report_send(web_t *w, h2o_req_t *req, const identity_t *who, const char *id, state_report_t kind);
/* The task's row when who may see it; otherwise answers (404 for another account's task, exactly as for
 * an unknown id; 500 on a store error) and returns -errno. */
int api_task_get(web_t *w, h2o_req_t *req, const identity_t *who, const char *id, store_task_t *row);
