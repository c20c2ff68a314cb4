/* Live tasks: the figures SSE streams and /api/status read while a task is queued or running. */
#include "task.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "http.h"
#include "util/id.h"

task_t *task_new(const store_task_t *row) {
        task_t *t = calloc(1, sizeof(*t));
        if (!t)
                return NULL;
        memcpy(t->id, row->id, sizeof(t->id));
        snprintf(t->filename, sizeof(t->filename), "%s", row->filename);
        t->file_size = row->file_size;
        t->owner = row->owner;
        t->uploaded_at = row->uploaded_at;
        t->status = row->status;
        snprintf(t->phase, sizeof(t->phase), "%s", row->status == TASK_PROCESSING ? "starting" : "queued");
        t->next_event_id = 1;
        t->first_event_id = 1;
        t->json_fd = t->html_fd = -1;
        h2o_linklist_init_anchor(&t->streams);
        return t;
}

void task_free(task_t *t) {
        free(t);
}

uint64_t task_oldest_event_id(const task_t *t) {
        uint64_t oldest = t->next_event_id > TASK_EVENTS ? t->next_event_id - TASK_EVENTS : 1;
        return oldest < t->first_event_id ? t->first_event_id : oldest;
}

uint64_t task_resume_from(const task_t *t, uint64_t last_event_id) {
        uint64_t from;

        if (last_event_id == 0)
                return t->next_event_id > 1 ? t->next_event_id - 1 : 1;
        from = last_event_id + 1;
        if (from > t->next_event_id)
                from = t->next_event_id; /* an id from the future (another run): what comes next */
        return from < task_oldest_event_id(t) ? task_oldest_event_id(t) : from;
}

const task_event_t *task_last_event(const task_t *t) {
        if (t->next_event_id <= t->first_event_id)
                return NULL;
        return &t->events[(t->next_event_id - 1) % TASK_EVENTS];
}

const task_event_t *task_push_progress(task_t *t, unsigned queue_position) {
        uint64_t now = http_now_mono();
        task_event_t *e = &t->events[t->next_event_id % TASK_EVENTS];
        json_t j = {};

        json_begin(&j, '{');
        json_kv_str(&j, "task_id", t->id);
        json_kv_str(&j, "status", task_status_to_string(t->status));
        json_kv_str(&j, "phase", t->phase);
        json_kv_double(&j, "percent", t->percent < 0 ? 0 : t->percent);
        json_kv_u64(&j, "packets", t->packets);
        json_kv_u64(&j, "bytes", t->bytes_done);
        json_kv_u64(&j, "bytes_total", t->file_size);
        json_kv_double(&j, "packets_per_second", t->packets_per_second);
        json_kv_double(&j, "memory_mb", (double) t->peak_rss / (1 << 20));
        json_kv_u64(&j, "queue_position", queue_position);
        json_kv_u64(&j, "elapsed_ms", t->status == TASK_PROCESSING && t->started_at ? (uint64_t) (store_now_ms() - t->started_at) : 0);
        {
                /* when the event was made (epoch seconds, µs): clients can measure the delivery delay */
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                json_key(&j, "server_time");
                json_printf(&j, "%lld.%06ld", (long long) ts.tv_sec, ts.tv_nsec / 1000);
                j.need_comma = true;
        }
        json_end(&j, '}');

        e->id = t->next_event_id++;
        e->type = "progress";
        snprintf(e->data, sizeof(e->data), "%s", j.oom ? "{}" : j.buf);
        json_free(&j);
        t->last_event_mono = now;
        return e;
}

void task_final_event(const store_task_t *row, task_event_t *ret) {
        json_t j = {};

        json_begin(&j, '{');
        json_kv_str(&j, "task_id", row->id);
        json_kv_str(&j, "status", task_status_to_string(row->status));
        if (row->status == TASK_COMPLETED) {
                char url[96];
                json_kv_str(&j, "phase", "done");
                json_kv_double(&j, "percent", 100.0);
                json_kv_u64(&j, "packets", row->packets);
                json_kv_u64(&j, "bytes", row->file_size);
                json_kv_u64(&j, "bytes_total", row->file_size);
                json_kv_i64(&j, "health_score", row->health_score);
                json_kv_u64(&j, "findings", row->findings);
                json_kv_bool(&j, "partial", row->partial);
                json_kv_double(&j, "memory_mb", (double) row->peak_memory / (1 << 20));
                snprintf(url, sizeof(url), "/api/reports/%s/html", row->id);
                json_kv_str(&j, "report_html_url", url);
                snprintf(url, sizeof(url), "/api/reports/%s/json", row->id);
                json_kv_str(&j, "report_json_url", url);
        } else {
                json_kv_str(&j, "phase", row->status == TASK_EXPIRED ? "expired" : "failed");
                json_kv_str(&j, "error_message", row->status == TASK_EXPIRED ? "the report has expired" : row->error_message);
                if (row->peak_memory)
                        json_kv_double(&j, "memory_mb", (double) row->peak_memory / (1 << 20));
        }
        if (row->started_at && row->finished_at)
                json_kv_i64(&j, "duration_ms", row->finished_at - row->started_at);
        json_end(&j, '}');

        ret->id = 0;
        ret->type = row->status == TASK_COMPLETED ? "completed" : "failed";
        snprintf(ret->data, sizeof(ret->data), "%s", j.oom ? "{}" : j.buf);
        json_free(&j);
}

/* id event-id type percent packets bytes pps rss started-at TAB phase TAB data: the data is one line of
 * JSON (no tab: the JSON writer escapes it), the phase a name of the analyzer's or ours (no tab either) */
int task_event_encode(const task_t *t, const task_event_t *e, char *buf, size_t size) {
        int n = snprintf(buf, size, "%s %llu %s %.3f %llu %llu %.1f %llu %lld\t%s\t%s", t->id, (unsigned long long) e->id,
                         e->type, t->percent < 0 ? 0 : t->percent, (unsigned long long) t->packets,
                         (unsigned long long) t->bytes_done, t->packets_per_second, (unsigned long long) t->peak_rss,
                         (long long) t->started_at, t->phase, e->data);
        return n < 0 || (size_t) n >= size ? -E2BIG : 0;
}

int task_event_decode(const char *line, task_remote_event_t *ret) {
        task_remote_event_t re = {};
        char id[ID_LEN + 2], type[16];
        unsigned long long eid, packets, bytes, rss;
        long long started;
        int consumed = 0;
        const char *phase, *data, *tab;

        if (sscanf(line, "%33s %llu %15s %lf %llu %llu %lf %llu %lld%n", id, &eid, type, &re.percent, &packets, &bytes,
                   &re.packets_per_second, &rss, &started, &consumed) != 9 || line[consumed] != '\t')
                return -EINVAL;
        if (!id_is_valid(id, strlen(id)) || eid == 0)
                return -EINVAL;
        if (strcmp(type, "progress") == 0)
                re.event.type = "progress";
        else if (strcmp(type, "completed") == 0)
                re.event.type = "completed";
        else if (strcmp(type, "failed") == 0)
                re.event.type = "failed";
        else
                return -EINVAL;
        phase = line + consumed + 1;
        tab = strchr(phase, '\t');
        if (!tab || (size_t) (tab - phase) >= sizeof(re.phase))
                return -EINVAL;
        data = tab + 1;
        if (strlen(data) >= sizeof(re.event.data) || strchr(data, '\t') || strchr(data, '\n'))
                return -EINVAL;
        memcpy(re.task_id, id, ID_LEN + 1);
        memcpy(re.phase, phase, (size_t) (tab - phase));
        strcpy(re.event.data, data);
        re.event.id = eid;
        re.packets = packets;
        re.bytes_done = bytes;
        re.peak_rss = rss;
        re.started_at = started;
        *ret = re;
        return 0;
}

int task_push_remote(task_t *t, const task_remote_event_t *re) {
        if (re->event.id < t->next_event_id)
                return -EALREADY;
        if (re->event.id != t->next_event_id)
                t->first_event_id = re->event.id; /* what came before is not here: the ring starts again */
        t->events[re->event.id % TASK_EVENTS] = re->event;
        t->next_event_id = re->event.id + 1;
        snprintf(t->phase, sizeof(t->phase), "%s", re->phase);
        t->percent = re->percent;
        t->packets = re->packets;
        t->bytes_done = re->bytes_done;
        t->packets_per_second = re->packets_per_second;
        t->peak_rss = re->peak_rss;
        if (re->started_at)
                t->started_at = re->started_at;
        t->last_event_mono = http_now_mono();
        return 0;
}
