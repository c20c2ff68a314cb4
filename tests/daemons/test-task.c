/* task.c: the event ring (ids, wrap-around, latest event) and the progress/final events' JSON. Links
 * web_lib. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"

#include "task.h"

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
        printf("%d tu_failures\n", tu_failures);
        return tu_failures ? 1 : 0;
}
