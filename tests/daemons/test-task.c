/* task.c: the event ring (ids, wrap-around, latest event) and the progress/final events' JSON. Links
 * web_lib. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"

#include "task.h"

/* Events across nodes: what one node publishes, another decodes into the ring of the task it follows,
 * with the running node's ids. */
static void test_remote(void) {
        store_task_t row = { .id = "0123456789abcdef0123456789abcdef", .filename = "x.pcap",
                             .status = TASK_PROCESSING, .file_size = 99 };
        task_t *run = task_new(&row), *follow = task_new(&row);
        task_remote_event_t re;
        char line[8000];
        const task_event_t *e;

        CHECK(run && follow);
        if (!run || !follow)
                return;
        run->next_event_id = run->first_event_id = 1700000000000; /* a run's ids start at its start (ms) */
        snprintf(run->phase, sizeof(run->phase), "flows and timing");
        run->percent = 42.5;
        run->packets = 1000;
        run->bytes_done = 55;
        run->packets_per_second = 123.4;
        run->peak_rss = 7 << 20;
        run->started_at = 1700000000000;
        e = task_push_progress(run, 0);
        CHECK(task_event_encode(run, e, line, sizeof(line)) == 0);
        char small[40];
        CHECK(task_event_encode(run, e, small, sizeof(small)) == -E2BIG);
        CHECK(task_event_decode(line, &re) == 0);
        CHECK(strcmp(re.task_id, row.id) == 0 && re.event.id == 1700000000000 && strcmp(re.event.type, "progress") == 0);
        CHECK(strcmp(re.event.data, e->data) == 0);
        CHECK(strcmp(re.phase, "flows and timing") == 0 && re.percent == 42.5 && re.packets == 1000 &&
              re.bytes_done == 55 && re.peak_rss == (7 << 20) && re.started_at == 1700000000000);

        /* the follower's ring starts at the first id it sees; older or repeated ids are dropped */
        CHECK(task_push_remote(follow, &re) == 0);
        CHECK_EQU(follow->next_event_id, 1700000000001);
        CHECK_EQU(task_oldest_event_id(follow), 1700000000000);
        CHECK_EQU(task_resume_from(follow, 0), 1700000000000);
        CHECK_EQU(task_resume_from(follow, 5), 1700000000000);    /* the uploading node's queued events */
        CHECK(task_last_event(follow) && task_last_event(follow)->id == 1700000000000);
        CHECK(strcmp(follow->phase, "flows and timing") == 0 && follow->packets == 1000);
        CHECK(task_push_remote(follow, &re) == -EALREADY);
        re.event.id = 1700000000005; /* four lost: the ring starts again there */
        CHECK(task_push_remote(follow, &re) == 0);
        CHECK_EQU(task_oldest_event_id(follow), 1700000000005);
        CHECK_EQU(task_resume_from(follow, 1700000000000), 1700000000005);

        /* the final event travels too */
        task_event_t fin = { .id = 1700000000009, .type = "completed" };
        snprintf(fin.data, sizeof(fin.data), "{\"status\":\"completed\"}");
        CHECK(task_event_encode(run, &fin, line, sizeof(line)) == 0);
        CHECK(task_event_decode(line, &re) == 0 && strcmp(re.event.type, "completed") == 0 && re.event.id == 1700000000009);

        /* anything else is refused */
        const char *bad[] = {
                "",
                "0123456789abcdef0123456789abcdef 1 progress 1 2 3 4 5 6",                   /* no phase or data */
                "0123456789abcdef0123456789abcdeX 1 progress 1 2 3 4 5 6\tp\t{}",           /* not an id */
                "0123456789abcdef0123456789abcdef 0 progress 1 2 3 4 5 6\tp\t{}",           /* id 0 */
                "0123456789abcdef0123456789abcdef 1 exploded 1 2 3 4 5 6\tp\t{}",           /* a type we do not know */
                "0123456789abcdef0123456789abcdef 1 progress 1 2 3 4 5 6\tp",               /* no data */
                "0123456789abcdef0123456789abcdef 1 progress 1 2 3 4 5 6\tp\t{}\t",         /* a tab in the data */
                "0123456789abcdef0123456789abcdef 1 progress 1 2 3 4 5 6\t0123456789012345678901234567890123\t{}",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                CHECK(task_event_decode(bad[i], &re) == -EINVAL);
        char big[TASK_EVENT_DATA_MAX + 100];
        int n = snprintf(big, sizeof(big), "0123456789abcdef0123456789abcdef 1 progress 1 2 3 4 5 6\tp\t");
        memset(big + n, 'x', sizeof(big) - (size_t) n - 1);
        big[sizeof(big) - 1] = 0;
        CHECK(task_event_decode(big, &re) == -EINVAL);                            /* data too long */
        task_free(run);
        task_free(follow);
}

int main(void) {
        store_task_t row = { .id = "0123456789abcdef0123456789abcdef", .filename = "a \"b\"\\c.pcap",
                             .status = TASK_QUEUED, .file_size = 1234 };
        task_t *t = task_new(&row);
        const task_event_t *e;
        task_event_t fin;

        CHECK(t);
        CHECK(task_last_event(t) == NULL);
        /* SSE resume on an empty ring: whatever comes first */
        CHECK_EQU(task_resume_from(t, 0), 1);
        CHECK_EQU(task_resume_from(t, 7), 1);
        CHECK_EQU(task_oldest_event_id(t), 1);
        e = task_push_progress(t, 3);
        CHECK(e && e->id == 1 && strcmp(e->type, "progress") == 0);
        CHECK(strstr(e->data, "\"queue_position\":3"));
        CHECK(strstr(e->data, "\"status\":\"queued\""));
        CHECK(strstr(e->data, "\"bytes_total\":1234"));
        CHECK(task_last_event(t) == e);

        /* more events than the ring holds: ids go on increasing, the ring keeps the last TASK_EVENTS */
        for (unsigned i = 0; i < 3 * TASK_EVENTS; i++)
                e = task_push_progress(t, 0);
        CHECK(e->id == 1 + 3 * TASK_EVENTS);
        CHECK(task_last_event(t)->id == e->id);
        for (uint64_t id = e->id - TASK_EVENTS + 1; id <= e->id; id++)
                CHECK(t->events[id % TASK_EVENTS].id == id);

        /* SSE resume (Last-Event-ID) against the ring: 1 + 3 * TASK_EVENTS events so far */
        {
                uint64_t latest = e->id, oldest = latest - TASK_EVENTS + 1;
                CHECK_EQU(task_oldest_event_id(t), oldest);
                CHECK_EQU(task_resume_from(t, 0), latest);              /* a new client: the latest only */
                CHECK_EQU(task_resume_from(t, latest - 3), latest - 2); /* what it missed */
                CHECK_EQU(task_resume_from(t, latest), latest + 1);     /* up to date: nothing yet */
                CHECK_EQU(task_resume_from(t, 2), oldest);              /* fell behind: what the ring holds */
                CHECK_EQU(task_resume_from(t, oldest - 1), oldest);
                CHECK_EQU(task_resume_from(t, latest + 100), latest + 1); /* an id of another run */
        }

        row.status = TASK_COMPLETED;
        row.packets = 70;
        row.health_score = 77;
        row.findings = 2;
        task_final_event(&row, &fin);
        CHECK(strcmp(fin.type, "completed") == 0);
        CHECK(strstr(fin.data, "\"report_html_url\":\"/api/reports/0123456789abcdef0123456789abcdef/html\""));
        CHECK(strstr(fin.data, "\"health_score\":77"));

        row.status = TASK_FAILED;
        snprintf(row.error_message, sizeof(row.error_message), "bad \"capture\"\n");
        task_final_event(&row, &fin);
        CHECK(strcmp(fin.type, "failed") == 0);
        CHECK(strstr(fin.data, "\"error_message\":\"bad \\\"capture\\\"\\n\""));

        task_free(t);
        test_remote();
        printf("%d tu_failures\n", tu_failures);
        return tu_failures ? 1 : 0;
}
