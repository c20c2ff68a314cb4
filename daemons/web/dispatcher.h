/* The queue and the workers. The dispatcher alone owns the live tasks, the queue and its counts: it takes
 * uploaded tasks in, starts analyses (run.c) as workers free up, relays their progress to the streams and
 * records every end, whatever happens. */
#pragma once

#include <h2o.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine/threshold.h"
#include "run.h"
#include "state/state-dir.h"
#include "store/store.h"
#include "task.h"

#define DURATION_BUCKETS 12
#define MEMORY_BUCKETS 10

typedef struct dispatcher_metrics {
        uint64_t packets_analysed;
        uint64_t finished[_TASK_STATUS_MAX];   /* outcomes since start, by status */
        uint64_t duration_buckets[DURATION_BUCKETS];
        uint64_t duration_count;
        double duration_sum;
        uint64_t analyzer_failures;            /* could not reach or start an analyzer */
        uint64_t memory_buckets[MEMORY_BUCKETS]; /* the analyses' peak memory */
        uint64_t memory_count;
        double memory_sum;                     /* bytes */
} dispatcher_metrics_t;

extern const double dispatcher_duration_bounds[DURATION_BUCKETS];
extern const double dispatcher_memory_bounds_mb[MEMORY_BUCKETS];

typedef struct dispatcher_config {
        unsigned workers;
        uint64_t retention_ms;
        unsigned analysis_timeout_s;
        uint64_t memory_budget_bytes;
        const char *analyzer_socket;   /* NULL: spawn analyzer_exec */
        const char *analyzer_exec;
        uint64_t max_packets;          /* the job's limits (0: none / the engine's default) */
        uint32_t max_flows, max_events;
        const thresholds_t *thresholds; /* the analyses' thresholds (NULL: the engine's defaults), copied */
} dispatcher_config_t;

typedef struct dispatcher {
        dispatcher_config_t cfg;
        h2o_loop_t *loop;
        store_t *store;                  /* borrowed */
        const state_dir_t *state;        /* borrowed */
        run_config_t run_cfg;
        h2o_timeout_t analysis_timeout, reap_timeout;
        h2o_linklist_t tasks;            /* task_t.link: every queued or running task */
        h2o_linklist_t queue;            /* task_t.queue_link: queued tasks, oldest first */
        unsigned n_queued, n_running;
        bool stopping;
        dispatcher_metrics_t metrics;
        bool analyzer_ok;                /* the last attempt to reach an analyzer worked */
        char analyzer_error[128];
} dispatcher_t;

int dispatcher_init(dispatcher_t *d, const dispatcher_config_t *cfg, h2o_loop_t *loop, store_t *store,
                    const state_dir_t *state);

/* A queued task from its committed row: goes to the end of the queue; work starts if a worker is free.
 * -ENOMEM (the row stays queued: it runs after the next restart). */
int dispatcher_enqueue(dispatcher_t *d, const store_task_t *row);
/* Starts as many queued tasks as workers allow. */
void dispatcher_kick(dispatcher_t *d);
/* Once a second: the >= 1 event/s rule for running tasks, and a retry of a queue the database held up. */
void dispatcher_tick(dispatcher_t *d);
/* A child exited (from SIGCHLD). */
void dispatcher_child_exited(dispatcher_t *d, pid_t pid, int status);
/* Graceful stop: no new analyses from now on. */
void dispatcher_stop(dispatcher_t *d);
/* Analyses still running. */
bool dispatcher_busy(const dispatcher_t *d);
/* Hard stop: kills spawned analyzers; their tasks stay `processing` and are queued again at the next start. */
void dispatcher_abort_all(dispatcher_t *d);

/* A live (queued or running) task, or NULL. */
task_t *dispatcher_find(const dispatcher_t *d, const char *id);
/* 1-based while queued, 0 otherwise. */
unsigned dispatcher_queue_position(const dispatcher_t *d, const task_t *t);
