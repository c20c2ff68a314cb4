/* A thread that starts analyzers: fork and the wait for the exec both happen there, never on the event loop
 * (the loop only hands over a request and gets the result back through h2o_multithread). The thread lives
 * as long as pcapd-web, since a spawned analyzer's PR_SET_PDEATHSIG follows the thread that forked it. */
#pragma once

#include <h2o.h>
#include <sys/types.h>

#include "ipc/analyzer-client.h"
#include "workq.h"

typedef struct spawn_request spawn_request_t;
typedef void (*spawn_done_fn)(spawn_request_t *req);

struct spawn_request {
        workq_item_t item;
        const char *exec_path;             /* borrowed: valid until done() */
        analyzer_rlimits_t limits;
        /* the result: 0 with the socket and the child (the caller reaps it, SIGCHLD), or -errno */
        int error;
        int sock_fd;
        pid_t pid;
        spawn_done_fn done;                /* called on the loop thread, exactly once */
        void *userdata;
};

/* Starts the thread (call after the signal mask of the process is set: it inherits it). */
int spawner_start(h2o_loop_t *loop);
void spawner_stop(void);
/* Queues a request; done() runs on the loop once the analyzer runs or could not be started. */
void spawner_submit(spawn_request_t *req);
