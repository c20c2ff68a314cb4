/* A thread that fetches bytes from a shared database (store.h, shared bytes) into this node's state
 * directory, off the event loop (a 500 MiB capture takes seconds), with the thread's own connection, and
 * hands them back through h2o_multithread: the captures of the analyses this node claims that were uploaded
 * to another node (into uploads/), the reports it is asked for that another node made (into reports/). */
#pragma once

#include <h2o.h>
#include <stdint.h>

#include "state/state-dir.h"
#include "util/id.h"
#include "workq.h"

typedef struct fetch_job fetch_job_t;
typedef void (*fetch_done_fn)(fetch_job_t *job);

struct fetch_job {
        workq_item_t item;
        const state_dir_t *state;          /* borrowed: valid until done() */
        char id[ID_LEN + 1];
        store_blob_kind_t kind;            /* the capture, or a report (one already here is not fetched again) */
        int fd;                            /* the result: the file opened for reading (done() owns it), or -errno */
        fetch_done_fn done;                /* called on the loop thread, exactly once */
        void *userdata;
        uint64_t started_mono;             /* the caller's, for its log */
};

/* Starts the thread with its own connection to the database (store_open's argument). */
int fetcher_start(h2o_loop_t *loop, const char *database);
void fetcher_stop(void);
/* Queues a job; done() runs on the loop once the capture is here or could not be. -ESRCH when the thread
 * does not run (one node: nothing is ever fetched). */
int fetcher_submit(fetch_job_t *job);
