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
        const char *node_id;           /* this node, in the claims it makes (borrowed) */
        unsigned lease_s;              /* a claim's lease; renewed every lease_s/3 */
} dispatcher_config_t;

typedef struct dispatcher {
        dispatcher_config_t cfg;
        h2o_loop_t *loop;
        store_t *store;                  /* borrowed */
        const state_dir_t *state;        /* borrowed */
        run_config_t run_cfg;
        h2o_timeout_t analysis_timeout, reap_timeout;
        h2o_linklist_t tasks;            /* task_t.link: every queued or running task */
        h2o_linklist_t queue;            /* task_t.queue_link: this node's queued tasks, oldest first */
        unsigned n_queued, n_running;
        uint64_t queued_total;           /* the database's queued tasks, every node's (dispatcher_queued) */
        uint64_t counted_mono;           /* when the poll began counting them */
        bool stopping;
        dispatcher_metrics_t metrics;
        bool analyzer_ok;                /* the last attempt to reach an analyzer worked */
        char analyzer_error[128];
} dispatcher_t;

int dispatcher_init(dispatcher_t *d, const dispatcher_config_t *cfg, h2o_loop_t *loop, store_t *store,
                    const state_dir_t *state);

/* A queued task from its committed row (committed_mono: when its commit returned, http_now_mono): its
 * streams follow it here, and work starts if a worker is free. -ENOMEM (the row stays queued: a node claims
 * it all the same). */
int dispatcher_enqueue(dispatcher_t *d, const store_task_t *row, uint64_t committed_mono);
/* While workers are free, claims the oldest queued task of the database (any node's upload) and starts
 * it: after an upload here, when a worker frees, and at each poll. */
void dispatcher_kick(dispatcher_t *d);
/* Once a second: the >= 1 event/s rule for running tasks, lease renewals, and the poll of the shared
 * queue (dispatcher_poll). */
void dispatcher_tick(dispatcher_t *d);
/* The poll of the database (PostgreSQL, shared by nodes): expired leases back to the queue, the global
 * queued count, tasks of ours another node runs followed to their end, then claims (dispatcher_kick).
 * The other nodes' progress comes by LISTEN/NOTIFY (dispatcher_remote_event); the poll is the backstop
 * for what a listener missed (its connection lost) and for ends. */
void dispatcher_poll(dispatcher_t *d);
/* An event another node published (store_publish: task_event_encode's line) for the streams here that
 * follow its task; anything else is ignored. */
void dispatcher_remote_event(dispatcher_t *d, const char *line);
/* Queued tasks for the queue limit: every node's on a shared database, this node's on SQLite (the same). */
uint64_t dispatcher_queued(const dispatcher_t *d);
/* store_recover's capture_exists (userdata: the dispatcher): on a shared database whether the database
 * holds the capture (any node can run it then), else whether this node's state directory does. */
bool dispatcher_capture_exists(const char *id, void *userdata);
/* A child exited (from SIGCHLD). */
void dispatcher_child_exited(dispatcher_t *d, pid_t pid, int status);
/* Graceful stop: no new analyses from now on. */
void dispatcher_stop(dispatcher_t *d);
/* Analyses still running. */
bool dispatcher_busy(const dispatcher_t *d);
/* Hard stop: kills spawned analyzers; their tasks stay `processing` and are queued again at the next start
 * (SQLite), or by any node once their lease expires (PostgreSQL). */
void dispatcher_abort_all(dispatcher_t *d);

/* A live (queued or running) task, or NULL. */
task_t *dispatcher_find(const dispatcher_t *d, const char *id);
/* The live task of row for a progress stream: the task itself when it is live here; on a shared database,
 * for another node's queued or running row, a task made the first time that follows it until it ends (its
 * running node's events, dispatcher_remote_event, and the poll); else NULL (the row has ended). 0, or
 * -ENOMEM. */
int dispatcher_follow(dispatcher_t *d, const store_task_t *row, task_t **ret_task);
/* 1-based while queued, 0 otherwise. */
unsigned dispatcher_queue_position(const dispatcher_t *d, const task_t *t);
