/* The capture fetcher thread (see fetcher.h): a work queue (workq.h) whose work is state_capture_fetch(). */
#include "fetcher.h"

#include <errno.h>

static workq_t q = WORKQ_INIT;
static store_t *store;

static void fetch_work(workq_t *wq, workq_item_t *it) {
        fetch_job_t *job = H2O_STRUCT_FROM_MEMBER(fetch_job_t, item, it);
        job->fd = store ? state_capture_fetch(job->state, store, job->id) : -ENOTCONN;
}

static void fetch_done(workq_t *wq, workq_item_t *it) {
        fetch_job_t *job = H2O_STRUCT_FROM_MEMBER(fetch_job_t, item, it);
        job->done(job);
}

int fetcher_start(h2o_loop_t *loop, const char *database) {
        int r = store_open(database, &store);
        if (r < 0)
                return r;
        /* only reads: nothing to make durable */
        r = store_tune(store, false, false);
        if (r < 0)
                return r;
        return workq_start(&q, loop, fetch_work, fetch_done);
}

void fetcher_stop(void) {
        workq_stop(&q);
        store = store_close(store);
}

int fetcher_submit(fetch_job_t *job) {
        if (!q.started)
                return -ESRCH;
        job->fd = -EINPROGRESS;
        workq_submit(&q, &job->item);
        return 0;
}
