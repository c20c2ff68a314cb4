/* Uploads. h2o 2.2.5 hands over the whole body (413 from Content-Length happens before, in h2o); it is
 * validated here, written by the writer thread, then the `queued` row is committed before 202. */
#include "upload.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "config.h"
#include "dispatcher.h"
#include "http.h"
#include "json.h"
#include "log/log.h"
#include "multipart.h"
#include "util/id.h"
#include "util/macro.h"
#include "writer.h"

typedef struct upload {
        writer_job_t job;
        web_t *web;
        int accepted_status;            /* 202, or 200 for the design document's route */
        h2o_req_t *req;                 /* NULL once the request is gone */
        struct upload_guard *guard;
        char id[ID_LEN + 1];
        char filename[STORE_FILENAME_MAX];
        uint64_t uploaded_at;
        uint64_t handler_mono;          /* when the whole body was there */
        store_task_t row;               /* committed by the writer thread */
        const char *boundary;           /* multipart: parsed on the writer thread (points into the request) */
        size_t boundary_len;
        unsigned in_flight;             /* tasks here that will write reports, this one included (at submit) */
} upload_t;

/* The room an accepted upload leaves on the state disk for each task of this node that has reports still
 * to write (queued, running, being uploaded, this one): a report pair's size, as a typical capture's reports
 * are (~110 KB for 20,000 packets, a few MB for the largest within the flow caps). Without it, uploads
 * could fill the disk with captures that then fail at their report ("writing the JSON report failed: no
 * space left"): an accepted task doomed. An estimate, not a guarantee (the store's reserve is the one
 * guaranteed room, for recording ends). */
#define UPLOAD_REPORT_ROOM (512u << 10)

/* Lives in req->pool: its dispose tells the upload that the request (and its body) went away. */
typedef struct upload_guard {
        upload_t *upload;
} upload_guard_t;

bool upload_is_capture(const uint8_t *d, size_t n) {
        static const uint8_t magics[][4] = {
                { 0xd4, 0xc3, 0xb2, 0xa1 }, { 0xa1, 0xb2, 0xc3, 0xd4 }, /* pcap µs */
                { 0x4d, 0x3c, 0xb2, 0xa1 }, { 0xa1, 0xb2, 0x3c, 0x4d }, /* pcap ns */
                { 0x0a, 0x0d, 0x0d, 0x0a },                             /* pcapng section header */
        };
        if (n < 24)
                return false; /* shorter than any capture header */
        for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
                if (memcmp(d, magics[i], 4) == 0)
                        return true;
        return false;
}

void upload_sanitize_filename(const char *in, size_t len, char *out, size_t size) {
        size_t o = 0;

        /* last path component, '/' or '\\' (browsers on Windows used to send full paths) */
        for (size_t i = len; i > 0; i--)
                if (in[i - 1] == '/' || (in[i - 1] == '\\' && !(i >= 2 && in[i - 2] == '\\'))) {
                        /* an escaped quote (\") inside a quoted filename is not a separator */
                        if (in[i - 1] == '\\' && i < len && in[i] == '"')
                                continue;
                        in += i;
                        len -= i;
                        break;
                }
        for (size_t i = 0; i < len && o + 1 < size; i++) {
                unsigned char c = (unsigned char) in[i];
                if (c == '\\' && i + 1 < len && (in[i + 1] == '"' || in[i + 1] == '\\'))
                        c = (unsigned char) in[++i];
                if (c < 0x20 || c == 0x7f)
                        continue;
                out[o++] = (char) c;
        }
        out[o] = 0;
        if (o == 0 || strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
                snprintf(out, size, "capture");
}

/* The checks of an upload's content, the same for a raw body and the file part of a form: 0, -ENODATA
 * (empty), -EFBIG (over the limit), -EMEDIUMTYPE (not a capture). */
static int upload_check(const config_t *cfg, const uint8_t *data, size_t size) {
        if (size == 0)
                return -ENODATA;
        if (size > cfg->max_upload_bytes)
                return -EFBIG;
        if (!upload_is_capture(data, size))
                return -EMEDIUMTYPE;
        return 0;
}

static void send_accepted(h2o_req_t *req, const upload_t *u, uint64_t size, unsigned position) {
        char url[96];
        json_t j = {};

        json_begin(&j, '{');
        json_kv_str(&j, "task_id", u->id);
        json_kv_str(&j, "filename", u->filename);
        json_kv_u64(&j, "file_size_bytes", size);
        json_kv_str(&j, "status", "queued");
        json_kv_u64(&j, "queue_position", position);
        snprintf(url, sizeof(url), "/api/progress/%s", u->id);
        json_kv_str(&j, "progress_url", url);
        snprintf(url, sizeof(url), "/api/status/%s", u->id);
        json_kv_str(&j, "status_url", url);
        snprintf(url, sizeof(url), "/api/reports/%s/html", u->id);
        json_kv_str(&j, "report_html_url", url);
        snprintf(url, sizeof(url), "/api/reports/%s/json", u->id);
        json_kv_str(&j, "report_json_url", url);
        snprintf(url, sizeof(url), "/progress/%s", u->id);
        json_kv_str(&j, "progress_page_url", url);
        json_end(&j, '}');
        if (j.oom) {
                json_free(&j);
                http_send_error(req, 500, "Internal Server Error", "out of memory");
                return;
        }
        snprintf(url, sizeof(url), "/api/status/%s", u->id);
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_LOCATION, NULL, h2o_strdup(&req->pool, url, SIZE_MAX).base,
                       strlen(url));
        http_send_json(req, u->accepted_status, u->accepted_status == 202 ? "Accepted" : "OK", j.buf, j.len);
        json_free(&j);
}

/* Writer thread, before writing: a multipart body is parsed here, not on the event loop (a 100 MiB body
 * takes ~20 ms to scan); then the capture, raw or the form's file part, is checked, here and only here. */
static int upload_prepare(writer_job_t *job) {
        upload_t *u = H2O_STRUCT_FROM_MEMBER(upload_t, job, job);
        multipart_file_t f;
        int r;

        if (!u->boundary)
                return upload_check(u->web->cfg, job->data, job->size);
        r = multipart_find_file(job->data, job->size, u->boundary, u->boundary_len, "file", &f);
        if (r < 0)
                return r; /* -ENOENT no file field, -EBADMSG malformed */
        r = upload_check(u->web->cfg, f.data, f.size);
        if (r < 0)
                return r;
        job->data = f.data;
        job->size = f.size;
        upload_sanitize_filename(f.filename ? f.filename : "", f.filename ? f.filename_len : 0, u->filename,
                                 sizeof(u->filename));
        snprintf(u->row.filename, sizeof(u->row.filename), "%s", u->filename);
        u->row.file_size = f.size;
        return 0;
}

/* Writer thread: the capture is durable, now the row that says so (a durable commit, off the loop). On a
 * shared database the capture's bytes go in with the row, in the same transaction, read back from the
 * file (the body may be freed once the file is written): the 202 then means that any node can run it. */
static int upload_commit(writer_job_t *job, store_t *store) {
        upload_t *u = H2O_STRUCT_FROM_MEMBER(upload_t, job, job);
        struct statvfs vfs;

        if (fstatvfs(job->fd, &vfs) == 0 &&
            (uint64_t) vfs.f_bavail * vfs.f_frsize < (uint64_t) UPLOAD_REPORT_ROOM * u->in_flight)
                return -ENOSPC; /* no room left for the reports: 507, as a write that did not fit */
        if (!store_shared(store))
                return store_task_add(store, &u->row);
        _cleanup_close_ int fd = state_capture_open(&u->web->state, u->id);
        if (fd < 0)
                return fd;
        return store_task_add_capture(store, &u->row, fd);
}

static void upload_done(writer_job_t *job) {
        upload_t *u = H2O_STRUCT_FROM_MEMBER(upload_t, job, job);
        web_t *w = u->web;
        h2o_req_t *req = u->req;
        unsigned position;

        w->n_uploading--;
        safe_close(job->fd);
        if (u->guard)
                u->guard->upload = NULL;

        if (!job->committed) {
                (void) state_capture_unlink(&w->state, u->id);
                if (!req)
                        log_info(u->id, "upload-abandoned", "The client went away during the upload");
                else if (job->error == EBADMSG || job->error == ENOENT || job->error == ENODATA ||
                         job->error == EMEDIUMTYPE) {
                        const char *why = job->error == EBADMSG       ? "malformed multipart/form-data body"
                                          : job->error == ENOENT      ? "no file field in the form"
                                          : job->error == ENODATA     ? "the upload is empty"
                                                                      : "not a pcap or pcapng capture";
                        log_info(u->id, "upload-rejected", "Upload refused: %s", why);
                        http_send_error(req, 400, "Bad Request", why);
                } else if (job->error == EFBIG) {
                        http_send_error(req, 413, "Payload Too Large", "the capture is larger than the upload limit");
                } else if (job->error == ENOTCONN || job->error == ETIMEDOUT || job->error == EBUSY) {
                        /* the database (a PostgreSQL server) is unreachable or overloaded: nothing was
                         * accepted, the capture is gone again; the client may retry */
                        log_struct_errno(LOG_WARNING, job->error, u->id, "upload-database-unavailable", NULL,
                                         "Upload of %s refused, the database is unavailable: %m", u->filename);
                        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, H2O_STRLIT("10"));
                        http_send_error(req, 503, "Service Unavailable", "the database is unavailable, try again later");
                } else if (job->error == ENOSPC || job->error == EDQUOT) {
                        log_struct_errno(LOG_WARNING, job->error, u->id, "upload-disk-full", NULL,
                                         "Upload of %s refused: %m", u->filename);
                        http_send_error(req, 507, "Insufficient Storage", "the server's disk is full");
                } else {
                        log_struct_errno(LOG_ERR, job->error, u->id, "upload-write-failed", NULL,
                                         "Failed to store the upload: %m");
                        http_send_error(req, 500, "Internal Server Error", "could not store the upload");
                }
                w->uploads.uploads_rejected++;
                free(u);
                return;
        }

        /* Committed: the task exists and runs, even if the client went away before its 202. */
        w->uploads.uploads_accepted++;
        w->uploads.bytes_uploaded += job->size;
        {
                char f1[64], f2[64];
                uint64_t ms = http_now_mono() - u->handler_mono;
                log_struct_errno(LOG_INFO, 0, u->id, "upload-accepted",
                                 LOG_FIELDS(LOG_FIELD(f1, "PCAPD_FILE_SIZE=%zu", job->size),
                                            LOG_FIELD(f2, "PCAPD_STORE_MS=%llu", (unsigned long long) ms)),
                                 "Accepted %s (%zu bytes, stored and committed in %llu ms)", u->filename, job->size,
                                 (unsigned long long) ms);
        }
        /* the place it takes in the queue, even when a free worker starts it at once */
        position = w->dispatcher.n_queued + 1;
        if (dispatcher_enqueue(&w->dispatcher, &u->row, job->committed_mono) < 0) {
                /* The row is committed: the task runs after the next restart at the latest. */
                if (req)
                        http_send_error(req, 500, "Internal Server Error", "out of memory");
                free(u);
                return;
        }
        if (req)
                send_accepted(req, u, job->size, position);
        free(u);
}

static void on_guard_dispose(void *p) {
        upload_guard_t *g = p;
        upload_t *u = g->upload;
        if (!u)
                return;
        /* The body is freed with the request: make sure the writer is done with it. */
        u->req = NULL;
        u->guard = NULL;
        writer_cancel(&u->job);
}

int upload_handle(web_t *w, h2o_req_t *req, const identity_t *who, int accepted_status) {
        const uint8_t *data = (const uint8_t *) req->entity.base;
        size_t size = req->entity.base ? req->entity.len : 0;
        h2o_iovec_t ct = http_header(req, H2O_TOKEN_CONTENT_TYPE, NULL, 0);
        const char *fname = NULL, *boundary = NULL;
        size_t fname_len = 0, boundary_len = 0;
        upload_t *u;
        upload_guard_t *g;
        int fd, r;

        if (w->stopping) {
                http_send_error(req, 503, "Service Unavailable", "the service is stopping");
                return 0;
        }
        if (dispatcher_queued(&w->dispatcher) + w->n_uploading >= w->cfg->queue_max) {
                w->uploads.uploads_rejected++;
                h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, H2O_STRLIT("30"));
                http_send_error(req, 503, "Service Unavailable", "the queue is full, try again later");
                return 0;
        }
        if (ct.base && ct.len >= 10 && strncasecmp(ct.base, "multipart/", 10) == 0) {
                /* the body itself is parsed on the writer thread (upload_prepare) */
                if (multipart_get_boundary(ct.base, ct.len, &boundary, &boundary_len) < 0) {
                        w->uploads.uploads_rejected++;
                        http_send_error(req, 400, "Bad Request", "malformed multipart/form-data body");
                        return 0;
                }
        } else {
                h2o_iovec_t xf = http_header(req, NULL, H2O_STRLIT("x-filename"));
                fname = xf.base;
                fname_len = xf.len;
        }
        /* an empty body, either kind, needs no file and no thread to be refused */
        if (size == 0) {
                w->uploads.uploads_rejected++;
                http_send_error(req, 400, "Bad Request", "the upload is empty");
                return 0;
        }

        u = calloc(1, sizeof(*u));
        if (!u) {
                http_send_error(req, 500, "Internal Server Error", "out of memory");
                return 0;
        }
        r = id_generate(u->id);
        if (r < 0) {
                free(u);
                http_send_error(req, 500, "Internal Server Error", "no randomness");
                return 0;
        }
        upload_sanitize_filename(fname ? fname : "", fname ? fname_len : 0, u->filename, sizeof(u->filename));
        fd = state_capture_create(&w->state, u->id);
        if (fd < 0) {
                r = -fd;
                log_struct_errno(LOG_ERR, r, u->id, "upload-write-failed", NULL, "Failed to create the upload file: %m");
                free(u);
                if (r == ENOSPC || r == EDQUOT)
                        http_send_error(req, 507, "Insufficient Storage", "the server's disk is full");
                else
                        http_send_error(req, 500, "Internal Server Error", "could not store the upload");
                return 0;
        }

        g = h2o_mem_alloc_shared(&req->pool, sizeof(*g), on_guard_dispose);
        g->upload = u;
        u->guard = g;
        u->req = req;
        u->uploaded_at = (uint64_t) store_now_ms();
        u->handler_mono = http_now_mono();
        u->web = w;
        u->accepted_status = accepted_status;
        u->job.fd = fd;
        u->job.dir_fd = w->state.uploads_fd;
        u->job.data = data;
        u->job.size = size;
        u->job.done = upload_done;
        u->job.commit = upload_commit;
        u->job.prepare = upload_prepare;
        u->boundary = boundary;
        u->boundary_len = boundary_len;
        memcpy(u->row.id, u->id, sizeof(u->row.id));
        snprintf(u->row.filename, sizeof(u->row.filename), "%s", u->filename);
        u->row.file_size = size;
        u->row.uploaded_at = (int64_t) u->uploaded_at;
        u->row.status = TASK_QUEUED;
        u->row.owner = who->user_id; /* 0 without accounts */
        w->n_uploading++;
        u->in_flight = w->dispatcher.n_queued + w->dispatcher.n_running + w->n_uploading;
        writer_submit(&u->job);
        return 0;
}
