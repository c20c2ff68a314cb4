/* The leaf of pcapd-web: answering a request (JSON, errors), reading its method, path and headers, and the
 * loop's monotonic clock. Knows nothing of tasks, the queue or the store. */
#pragma once

#include <h2o.h>
#include <stdbool.h>
#include <stdint.h>

/* Monotonic milliseconds. */
uint64_t http_now_mono(void);

/* body is copied into the request's pool; Content-Type application/json, Cache-Control no-store. */
void http_send_json(h2o_req_t *req, int status, const char *reason, const char *body, size_t len);
/* j (built by json.h), with a closing newline, as JSON; j is freed. 500 when building it ran out of memory. */
struct json;
void http_send_built(h2o_req_t *req, int status, const char *reason, struct json *j);
/* {"error": message, "detail": message, "status": status}: `detail` is the member the clients written for
 * the design pcapd replaces read (FastAPI's error shape), `error` pcapd's own. */
void http_send_error(h2o_req_t *req, int status, const char *reason, const char *message);
/* 405 with an Allow header. */
void http_send_not_allowed(h2o_req_t *req, const char *allow);

bool http_method_is(const h2o_req_t *req, const char *method);
/* GET or HEAD. */
bool http_is_get(const h2o_req_t *req);
/* The normalised path (no query string) equals s. */
bool http_path_is(const h2o_req_t *req, const char *s);
/* A header's value, or an empty iovec (base NULL) when absent. */
h2o_iovec_t http_header(const h2o_req_t *req, const h2o_token_t *token, const char *name, size_t name_len);
/* The Accept header asks for text/html (a browser navigating), as opposed to a script's default. */
bool http_accepts_html(const h2o_req_t *req);

/* The task id at prefix_len in the path, up to the next '/' or the end: returned (in the request's pool)
 * when valid, with the offset just after it in *ret_rest; otherwise answers 400 and returns NULL. */
const char *http_path_id(h2o_req_t *req, size_t prefix_len, size_t *ret_rest);
