/* The spawner thread (see spawner.h): a work queue (workq.h) whose work is analyzer_spawn(). */
#include "spawner.h"

static workq_t q = WORKQ_INIT;

static void spawn_work(workq_t *wq, workq_item_t *it) {
        spawn_request_t *req = H2O_STRUCT_FROM_MEMBER(spawn_request_t, item, it);
        /* fork, then block here until the exec happened or failed (a failed child is reaped) */
        req->error = analyzer_spawn(req->exec_path, &req->limits, &req->sock_fd, &req->pid);
}

static void spawn_done(workq_t *wq, workq_item_t *it) {
        spawn_request_t *req = H2O_STRUCT_FROM_MEMBER(spawn_request_t, item, it);
        req->done(req);
}

int spawner_start(h2o_loop_t *loop) {
        return workq_start(&q, loop, spawn_work, spawn_done);
}

void spawner_stop(void) {
        workq_stop(&q);
}

void spawner_submit(spawn_request_t *req) {
        req->error = 0;
        req->sock_fd = -1;
        req->pid = 0;
        workq_submit(&q, &req->item);
}
