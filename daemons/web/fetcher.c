/* The fetcher thread (see fetcher.h): a work queue (workq.h) whose work is state_capture_fetch() or
 * state_report_fetch(). */
#include "fetcher.h"

#include <errno.h>

static workq_t q = WORKQ_INIT;
static store_t *store;

static int fetch(fetch_job_t *job) {
        state_report_t k = job->kind == STORE_BLOB_JSON ? STATE_REPORT_JSON : STATE_REPORT_HTML;
        int fd;

        if (!store)
                return -ENOTCONN;
        if (job->kind == STORE_BLOB_CAPTURE)
                return state_capture_fetch(job->state, store, job->id);
        /* several requests for one report queued at once: the first one fetches it */
        fd = state_report_open(job->state, job->id, k);
        return fd != -ENOENT ? fd : state_report_fetch(job->state, store, job->id, k);
}

static void fetch_work(workq_t *wq, workq_item_t *it) {
        fetch_job_t *job = H2O_STRUCT_FROM_MEMBER(fetch_job_t, item, it);
        job->fd = fetch(job);
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
