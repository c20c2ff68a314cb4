/* The frontend's shared state: one h2o context and event loop, the store, live tasks and the queue. */
#pragma once

#include <h2o.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

#define DURATION_BUCKETS 12

typedef struct web_metrics {
        uint64_t bytes_uploaded;
        uint64_t uploads_accepted;
        uint64_t uploads_rejected;
        uint64_t packets_analysed;
        uint64_t finished[_TASK_STATUS_MAX];   /* outcomes since start, by status */
        uint64_t duration_buckets[DURATION_BUCKETS];
        uint64_t duration_count;
        double duration_sum;
        uint64_t analyzer_failures;            /* could not reach or start an analyzer */
} web_metrics_t;

typedef struct web {
        h2o_globalconf_t config;
        h2o_context_t ctx;
        h2o_accept_ctx_t accept_ctx;
        h2o_loop_t *loop;
        store_t *store;
        int state_fd, uploads_fd, reports_fd;  /* O_PATH|O_DIRECTORY handles of the state tree */
        h2o_linklist_t tasks;                  /* task_t.link: every queued or running task */
        h2o_linklist_t queue;                  /* task_t.queue_link: queued tasks, oldest first */
        unsigned n_queued, n_running, n_uploading;
        bool stopping;
        int64_t started_at;
        web_metrics_t metrics;
        bool analyzer_ok;                      /* last attempt to reach an analyzer worked */
        char analyzer_error[128];
} web_t;

extern web_t web;

/* Monotonic milliseconds (the loop's clock). */
uint64_t web_now_mono(void);

/* Common response helpers (api.c). */
void web_send_json(h2o_req_t *req, int status, const char *reason, const char *body, size_t len);
void web_send_error(h2o_req_t *req, int status, const char *reason, const char *message);
/* Returns the id after prefix in the path when it is valid; else answers 400/404 and returns NULL. */
const char *web_path_id(h2o_req_t *req, size_t prefix_len, size_t *ret_rest_offset);

/* A few MiB kept in STATE/.reserve so that, when the disk fills up, the final state of an analysis can
 * still be committed (main.c). */
int web_reserve_make(void);
int web_reserve_release(void);
