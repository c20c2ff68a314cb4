/* One analysis: reaching an analyzer (connect, or spawn without blocking the loop), sending the job, relaying
 * its messages, the timeout, and accounting for the process. Ends exactly once, through ended(). */
#pragma once

#include <h2o.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ipc/analyzer-client.h"
#include "ipc/ipc.h"

typedef enum run_end {
        RUN_RUNNING,
        RUN_DONE,        /* DONE received */
        RUN_ERROR,       /* ERROR received */
        RUN_EOF,         /* the channel closed without DONE/ERROR */
        RUN_PROTOCOL,    /* malformed message */
        RUN_NO_ANALYZER, /* the analyzer could not be reached or started (start_error says why) */
} run_end_t;

/* What is known once an analysis ended: the input of run_reason(). */
typedef struct run_outcome {
        run_end_t end;
        bool timed_out;
        bool spawned;          /* a child of ours (its exit status is known when exited) */
        bool exited;
        int exit_status;       /* waitpid() status */
        int start_error;       /* RUN_NO_ANALYZER: -errno of the connect, spawn or exec */
        const char *error;     /* RUN_ERROR: the analyzer's message ("" when it sent none) */
        int32_t error_code;    /* ipc_error_code_t */
        uint64_t peak_rss;     /* the analyzer's peak resident memory, as it last said (PROGRESS, DONE, ERROR) */
} run_outcome_t;

/* Why an analysis that did not end with DONE failed, in words for the user (pure: the unit tests call it).
 * Never empty. A kill or a limit says how much memory the analyzer had reached, when it had said. */
void run_reason(const run_outcome_t *o, char *buf, size_t size);

/* Settings every run shares (owned by the dispatcher). */
typedef struct run_config {
        h2o_loop_t *loop;
        const char *analyzer_socket;       /* connect here, or, when NULL, spawn analyzer_exec */
        const char *analyzer_exec;
        analyzer_rlimits_t limits;         /* for a spawned analyzer */
        ipc_job_t job;                     /* the job's fixed fields (version, limits) */
        h2o_timeout_t *analysis_timeout;   /* the whole analysis */
        h2o_timeout_t *reap_timeout;       /* the channel closed: how long to wait for the exit status */
} run_config_t;

typedef struct run run_t;

typedef struct run_callbacks {
        void (*progress)(run_t *run, const ipc_progress_t *p, void *userdata);
        /* Last call: the run is over (run_outcome(), run_done()); the callee frees it with run_free(). */
        void (*ended)(run_t *run, void *userdata);
} run_callbacks_t;

/* Starts the analysis of capture_fd into json_fd and html_fd (all borrowed: the run keeps duplicates only
 * until the analyzer has its own). Returns 0 with the run in *ret; ended() is then called exactly once,
 * never from within run_start(). Returns -errno when the analyzer could not be reached or started at once
 * (connect refused, fork failed; *ret untouched, ended() never called): the caller reports it with
 * run_reason() of { .end = RUN_NO_ANALYZER, .start_error = that -errno }. An exec that fails later ends the
 * run with RUN_NO_ANALYZER through ended(). */
int run_start(const run_config_t *cfg, const char id[ID_LEN + 1], int capture_fd, int json_fd, int html_fd,
              const run_callbacks_t *cb, void *userdata, run_t **ret);
run_t *run_free(run_t *run);

/* A child exited: true when it was this run's (the status is recorded, the run may end now). */
bool run_child_exited(run_t *run, pid_t pid, int status);
/* Hard stop: kills a spawned analyzer and closes the channel without calling ended(). */
void run_abort(run_t *run);

const run_outcome_t *run_outcome(const run_t *run);
/* The DONE message (valid when run_outcome()->end == RUN_DONE). */
const ipc_done_t *run_done(const run_t *run);
uint64_t run_started_mono(const run_t *run);
