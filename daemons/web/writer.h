/* A background thread that writes and fsyncs uploaded captures so the event loop never blocks on disk. */
#pragma once

#include <h2o.h>
#include "workq.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

typedef struct writer_job writer_job_t;
typedef void (*writer_done_fn)(writer_job_t *job);

struct writer_job {
        workq_item_t item;                 /* in the writer's queue, and back to the loop */
        int fd;                            /* written, fsync'd; the loop closes it */
        int dir_fd;                        /* fsync'd after the file, so the name is durable too */
        const uint8_t *data;               /* borrowed: valid until the job is done or cancelled */
        size_t size;
        bool writing;                      /* the thread is reading data (guarded by the writer lock) */
        bool cancelled;
        int error;                         /* 0 or a positive errno */
        /* Optional, run on the writer thread before writing, with data readable: may narrow data/size
         * (e.g. to the file inside a multipart body); a negative errno becomes error, nothing is written. */
        int (*prepare)(writer_job_t *job);
        /* Optional, run on the writer thread once the data is durable, with the thread's own store
         * connection (durable commits); its negative errno becomes error. */
        int (*commit)(writer_job_t *job, store_t *store);
        bool committed;                    /* commit() succeeded */
        uint64_t committed_mono;           /* when it returned (http_now_mono) */
        writer_done_fn done;               /* called on the loop thread */
        void *userdata;
};

/* Starts the thread with its own connection to the database (store_open's argument). */
int writer_start(h2o_loop_t *loop, const char *database);
void writer_stop(void);
void writer_submit(writer_job_t *job);
/* The owner of data goes away: after this returns the thread no longer touches data (it waits at most
 * for one chunk). The job still comes back through done() with error ECANCELED or its result. */
void writer_cancel(writer_job_t *job);
