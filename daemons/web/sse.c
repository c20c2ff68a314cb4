/* SSE streams. h2o allows one h2o_send in flight per request, so events wait in the task's ring and a
 * stream sends everything it has not sent yet from proceed(); a stalled reader costs one buffer. */
#include "sse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "http.h"
#include "json.h"
#include "util/parse.h"

#define SSE_STALL_MS 60000
#define SSE_RETRY_MS 2000

typedef struct sse_stream {
        h2o_generator_t super;
        h2o_req_t *req;
        task_t *task;              /* NULL once detached (finished task) */
        h2o_linklist_t link;       /* task->streams */
        h2o_linklist_t all_link;   /* streams */
        uint64_t last_id;          /* last event id sent */
        uint64_t inflight_since;   /* 0 when no send is in flight */
        uint64_t last_send;
        bool stopped;              /* h2o called stop(): never send again */
        bool ended;                /* FINAL sent */
        bool have_final;
        bool first;
        task_event_t final;
        json_t out;                /* the buffer of the send in flight */
} sse_stream_t;

static h2o_linklist_t streams = { &streams, &streams };
static unsigned n_streams;

unsigned sse_count(void) {
        return n_streams;
}

static void append_event(json_t *out, const char *id_text, const task_event_t *e) {
        json_printf(out, "id: %s\nevent: %s\ndata: %s\n\n", id_text, e->type, e->data);
}

static void stream_detach(sse_stream_t *s) {
        if (h2o_linklist_is_linked(&s->link))
                h2o_linklist_unlink(&s->link);
        s->task = NULL;
}

/* Sends whatever is pending; at most one send in flight. */
static void stream_flush(sse_stream_t *s) {
        h2o_iovec_t buf;
        bool final = false;
        char idb[32];

        if (s->stopped || s->ended || s->inflight_since)
                return;

        s->out.len = 0;
        if (s->out.buf)
                s->out.buf[0] = 0;
        if (s->first) {
                json_printf(&s->out, "retry: %d\n\n", SSE_RETRY_MS);
                s->first = false;
        }
        if (s->task) {
                task_t *t = s->task;
                uint64_t oldest = task_oldest_event_id(t);
                uint64_t from = s->last_id + 1;
                /* a reader that fell behind skips to what the ring still holds */
                if (from < oldest)
                        from = oldest;
                for (uint64_t id = from; id < t->next_event_id; id++) {
                        snprintf(idb, sizeof(idb), "%llu", (unsigned long long) id);
                        append_event(&s->out, idb, &t->events[id % TASK_EVENTS]);
                        s->last_id = id;
                }
        } else if (s->have_final) {
                snprintf(idb, sizeof(idb), "%llu", (unsigned long long) (s->final.id ? s->final.id : s->last_id + 1));
                append_event(&s->out, idb, &s->final);
                final = true;
        }
        if (s->out.len == 0 && !final)
                return;
        if (s->out.oom) {
                final = true;
                s->out.len = 0;
        }

        buf = h2o_iovec_init(s->out.buf ? s->out.buf : "", s->out.len);
        s->inflight_since = http_now_mono();
        s->last_send = s->inflight_since;
        if (final) {
                s->ended = true;
                stream_detach(s);
        }
        h2o_send(s->req, &buf, 1, final ? H2O_SEND_STATE_FINAL : H2O_SEND_STATE_IN_PROGRESS);
}

static void on_proceed(h2o_generator_t *g, h2o_req_t *req) {
        sse_stream_t *s = (sse_stream_t *) g;
        s->inflight_since = 0;
        stream_flush(s);
}

static void on_stop(h2o_generator_t *g, h2o_req_t *req) {
        sse_stream_t *s = (sse_stream_t *) g;
        s->stopped = true;
        stream_detach(s);
}

static void on_dispose(void *p) {
        sse_stream_t *s = p;
        stream_detach(s);
        if (h2o_linklist_is_linked(&s->all_link)) {
                h2o_linklist_unlink(&s->all_link);
                n_streams--;
        }
        json_free(&s->out);
}

static uint64_t parse_last_event_id(h2o_req_t *req) {
        ssize_t i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("last-event-id"), -1);
        char b[24];
        uint64_t v;

        if (i < 0)
                return 0;
        h2o_iovec_t val = req->headers.entries[i].value;
        if (val.len == 0 || val.len >= sizeof(b))
                return 0;
        memcpy(b, val.base, val.len);
        b[val.len] = 0;
        /* anything but a plain number is no id: the stream starts from the latest event */
        return parse_u64(b, 0, UINT64_MAX, &v) < 0 ? 0 : v;
}

int sse_start(h2o_req_t *req, task_t *t, const store_task_t *row) {
        sse_stream_t *s;
        uint64_t last_id = parse_last_event_id(req);

        s = h2o_mem_alloc_shared(&req->pool, sizeof(*s), on_dispose);
        memset(s, 0, sizeof(*s));
        s->super.proceed = on_proceed;
        s->super.stop = on_stop;
        s->req = req;
        s->first = true;
        h2o_linklist_insert(&streams, &s->all_link);
        n_streams++;

        if (t) {
                s->task = t;
                h2o_linklist_insert(&t->streams, &s->link);
                /* A new client gets the latest event only; a resuming one what it missed (task.c). */
                s->last_id = task_resume_from(t, last_id) - 1;
        } else {
                task_final_event(row, &s->final);
                s->have_final = true;
                s->last_id = last_id;
        }

        req->res.status = 200;
        req->res.reason = "OK";
        req->compress_hint = H2O_COMPRESS_HINT_DISABLE;
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("text/event-stream; charset=utf-8"));
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-cache, no-store"));
        h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-accel-buffering"), 0, NULL, H2O_STRLIT("no"));
        h2o_start_response(req, &s->super);
        stream_flush(s);
        return 0;
}

void sse_notify(task_t *t) {
        for (h2o_linklist_t *l = t->streams.next; l != &t->streams;) {
                sse_stream_t *s = H2O_STRUCT_FROM_MEMBER(sse_stream_t, link, l);
                l = l->next; /* flush may detach */
                stream_flush(s);
        }
}

void sse_finish(task_t *t, const task_event_t *final) {
        while (!h2o_linklist_is_empty(&t->streams)) {
                sse_stream_t *s = H2O_STRUCT_FROM_MEMBER(sse_stream_t, link, t->streams.next);
                s->final = *final;
                s->final.id = t->next_event_id;
                s->have_final = true;
                /* events still in the ring that this stream has not sent are superseded by the final one */
                stream_detach(s);
                stream_flush(s);
        }
}

static void stream_kill(sse_stream_t *s) {
        h2o_socket_t *sock = s->req->conn->callbacks->get_socket ? s->req->conn->callbacks->get_socket(s->req->conn) : NULL;
        if (sock)
                shutdown(h2o_socket_get_fd(sock), SHUT_RDWR);
}

void sse_tick(uint64_t heartbeat_ms) {
        uint64_t now = http_now_mono();

        for (h2o_linklist_t *l = streams.next; l != &streams; l = l->next) {
                sse_stream_t *s = H2O_STRUCT_FROM_MEMBER(sse_stream_t, all_link, l);
                if (s->stopped || s->ended)
                        continue;
                if (s->inflight_since) {
                        /* h2o has no write timeout: a reader that takes nothing for this long is cut */
                        if (now - s->inflight_since > SSE_STALL_MS)
                                stream_kill(s);
                        continue;
                }
                if (now - s->last_send >= heartbeat_ms) {
                        static const char hb[] = ": heartbeat\n\n";
                        h2o_iovec_t buf = h2o_iovec_init(hb, sizeof(hb) - 1);
                        s->inflight_since = now;
                        s->last_send = now;
                        h2o_send(s->req, &buf, 1, H2O_SEND_STATE_IN_PROGRESS);
                }
        }
}

void sse_close_all(void) {
        for (h2o_linklist_t *l = streams.next; l != &streams;) {
                sse_stream_t *s = H2O_STRUCT_FROM_MEMBER(sse_stream_t, all_link, l);
                l = l->next;
                if (s->stopped || s->ended)
                        continue;
                stream_detach(s);
                if (s->inflight_since) {
                        stream_kill(s);
                        continue;
                }
                static const char bye[] = ": server shutting down\n\n";
                h2o_iovec_t buf = h2o_iovec_init(bye, sizeof(bye) - 1);
                s->ended = true;
                s->inflight_since = http_now_mono();
                h2o_send(s->req, &buf, 1, H2O_SEND_STATE_FINAL);
        }
}
