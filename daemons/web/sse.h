/* Server-Sent Events for /api/progress/{id}: one h2o_send in flight per stream, events from the task ring. */
#pragma once

#include <h2o.h>

#include "task.h"

/* Starts a stream for a live task t, or, when t is NULL, for the finished task of row (its final event at
 * once, then the end). Last-Event-ID resumes from t's ring. */
int sse_start(h2o_req_t *req, task_t *t, const store_task_t *row);
/* A new event is in t's ring. */
void sse_notify(task_t *t);
/* t is finished: every stream gets `final` as its last event, then ends; streams detach from t. */
void sse_finish(task_t *t, const task_event_t *final);
/* Periodic: a heartbeat for streams idle for heartbeat_ms, shutdown of readers stalled past the limit. */
void sse_tick(uint64_t heartbeat_ms);
/* Graceful stop: end every stream (clients reconnect with Last-Event-ID after the restart). */
void sse_close_all(void);
unsigned sse_count(void);
