/* Server-Sent Events for /api/progress/{id}: one h2o_send in flight per stream, events from the task ring. */
#pragma once

#include <h2o.h>

#include "task.h"

int sse_handle(h2o_req_t *req, const char *id);
/* A new event is in t's ring. */
void sse_notify(task_t *t);
/* t is finished: every stream gets `final` as its last event, then ends; streams detach from t. */
void sse_finish(task_t *t, const task_event_t *final);
/* Periodic: heartbeats for idle streams, shutdown of readers stalled past the limit. */
void sse_tick(void);
/* Graceful stop: end every stream (clients reconnect with Last-Event-ID after the restart). */
void sse_close_all(void);
unsigned sse_count(void);
