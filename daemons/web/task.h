/* Live tasks (queued or running) in memory: progress figures and a small ring of SSE events. */
#pragma once

#include <h2o.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

#define TASK_EVENTS 16
#define TASK_EVENT_DATA_MAX 2048

typedef struct task_event {
        uint64_t id;
        const char *type;                /* "progress", "completed", "failed" */
        char data[TASK_EVENT_DATA_MAX];  /* one line of JSON */
} task_event_t;

struct run;
struct dispatcher;

typedef struct task {
        h2o_linklist_t link;             /* dispatcher_t.tasks: every live task */
        h2o_linklist_t queue_link;       /* dispatcher_t.queue while queued */
        char id[ID_LEN + 1];
        char filename[STORE_FILENAME_MAX];
        int64_t owner;                  /* the uploading account (store_task_t.owner) */
        uint64_t file_size;
        int64_t uploaded_at;
        int64_t started_at;
        task_status_t status;
        char phase[32];
        double percent;
        uint64_t packets, bytes_done;
        double packets_per_second;
        uint64_t peak_rss;               /* the analyzer's peak resident memory so far, bytes */
        uint64_t pps_mono, pps_packets;  /* last sample for the rate */
        uint64_t last_event_mono;
        task_event_t events[TASK_EVENTS];/* events[id % TASK_EVENTS] */
        uint64_t next_event_id;          /* ids start at 1 */
        uint64_t first_event_id;         /* the first id the ring has held (a followed task's first event
                                          * from the node that runs it; 1 otherwise) */
        h2o_linklist_t streams;          /* sse_stream_t.link */
        /* while running (the dispatcher's) */
        struct dispatcher *dispatcher;
        struct run *run;
        int64_t lease_until;             /* our claim holds until then (store_task_claim), ms */
        bool remote;                     /* another node runs it (it claimed it, or took our lease over):
                                          * followed from the database until it ends */
        int json_fd, html_fd;            /* the unnamed reports the analyzer writes, linked on DONE */
        struct fetch_job *fetch;         /* its capture on the way from the database (fetcher.h) */
} task_t;

/* A live task from its row, linked nowhere yet (the dispatcher links it). */
task_t *task_new(const store_task_t *row);
/* Frees; the task must be unlinked from the dispatcher's lists and its streams finished. */
void task_free(task_t *t);

/* Appends a progress event built from the task's figures (queue_position 1-based, 0 when not queued) to
 * the ring and returns it; the caller tells the streams (sse_notify). */
const task_event_t *task_push_progress(task_t *t, unsigned queue_position);
/* Latest event or NULL. */
const task_event_t *task_last_event(const task_t *t);
/* The oldest event id the ring still holds (1 while it has not wrapped). */
uint64_t task_oldest_event_id(const task_t *t);
/* The first event id a new stream sends: for a new client (last_event_id 0) the latest event only; for one
 * resuming with Last-Event-ID, the one after it, or the oldest the ring still holds when it fell further
 * behind. Equal to the next id when there is nothing to send yet. */
uint64_t task_resume_from(const task_t *t, uint64_t last_event_id);

/* An event of a task another node runs, as that node publishes it (store_publish) and every node reads
 * it: the event with its id (ids are the running node's), and the live figures for /api/status. */
typedef struct task_remote_event {
        char task_id[ID_LEN + 1];
        task_event_t event;
        char phase[32];
        double percent, packets_per_second;
        uint64_t packets, bytes_done, peak_rss;
        int64_t started_at;
} task_remote_event_t;

/* One line of text for store_publish: the event e of t (of its ring, or its final event). -E2BIG when it
 * does not fit in size. */
int task_event_encode(const task_t *t, const task_event_t *e, char *buf, size_t size);
/* Back from the line: -EINVAL for anything but what task_event_encode writes. */
int task_event_decode(const char *line, task_remote_event_t *ret);
/* Into the ring of a task followed here, with its own id; an id not after the ring's last is dropped
 * (-EALREADY); the figures are the task's from then on. */
int task_push_remote(task_t *t, const task_remote_event_t *re);

/* The final event of a finished task, from its database row: type "completed" or "failed" (or
 * "expired"), JSON data. */
void task_final_event(const store_task_t *row, task_event_t *ret);
