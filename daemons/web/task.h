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

typedef struct task {
        h2o_linklist_t link;             /* web.tasks */
        h2o_linklist_t queue_link;       /* web.queue while queued */
        char id[STORE_ID_LEN + 1];
        char filename[STORE_FILENAME_MAX];
        uint64_t file_size;
        int64_t uploaded_at;
        int64_t started_at;
        task_status_t status;
        char phase[32];
        double percent;
        uint64_t packets, bytes_done;
        double packets_per_second;
        uint64_t pps_mono, pps_packets;  /* last sample for the rate */
        uint64_t last_event_mono;
        task_event_t events[TASK_EVENTS];/* events[id % TASK_EVENTS] */
        uint64_t next_event_id;          /* ids start at 1 */
        h2o_linklist_t streams;          /* sse_stream_t.link */
        struct run *run;
} task_t;

task_t *task_new(const store_task_t *row);
/* Unlinks from every list and frees; streams still attached must have been finished by the caller. */
void task_free(task_t *t);
task_t *task_find(const char *id);
unsigned task_queue_position(const task_t *t);  /* 1-based while queued, 0 otherwise */

/* Appends a progress event built from the task's figures and wakes its streams. */
void task_push_progress(task_t *t);
/* Latest event or NULL. */
const task_event_t *task_last_event(const task_t *t);

/* The final event of a finished task, from its database row: type "completed" or "failed" (or
 * "expired"), JSON data. */
void task_final_event(const store_task_t *row, task_event_t *ret);
