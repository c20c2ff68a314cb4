/* Dispatcher: for each analysis, capture + two O_TMPFILE reports go to an analyzer over SOCK_SEQPACKET;
 * PROGRESS feeds SSE, DONE links the reports, anything else fails the task with a reason a user can read.
 * The capture is unlinked when the analysis ends, whatever the outcome. */
#include "dispatcher.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "ipc/analyzer-client.h"
#include "ipc/ipc.h"
#include "log/log.h"
#include "sse.h"
#include "util/macro.h"
#include "web.h"

#define REAP_GRACE_MS 3000

typedef enum run_end {
        RUN_RUNNING,
        RUN_DONE,        /* DONE received */
        RUN_ERROR,       /* ERROR received */
        RUN_EOF,         /* the channel closed without DONE/ERROR */
        RUN_PROTOCOL,    /* malformed message */
} run_end_t;

typedef struct run {
        task_t *task;
        h2o_socket_t *sock;
        pid_t pid;               /* 0 when connected to a socket-activated analyzer */
        bool exited;
        int exit_status;
        int json_fd, html_fd;
        run_end_t end;
        bool timed_out;
        bool finished;
        ipc_done_t done;
        char error[IPC_TEXT_MAX];
        uint64_t started_mono;
        h2o_timeout_entry_t timeout_entry;
        h2o_timeout_entry_t reap_entry;
} run_t;

static h2o_timeout_t analysis_timeout, reap_timeout;

int dispatcher_init(void) {
        h2o_timeout_init(web.loop, &analysis_timeout, (uint64_t) arg_analysis_timeout_s * 1000);
        h2o_timeout_init(web.loop, &reap_timeout, REAP_GRACE_MS);
        return 0;
}

void dispatcher_enqueue(task_t *t) {
        t->status = TASK_QUEUED;
        h2o_linklist_insert(&web.queue, &t->queue_link);
        web.n_queued++;
        task_push_progress(t);
        dispatcher_kick();
}

/* Queue positions moved: every waiting task tells its streams. */
static void queue_moved(void) {
        for (h2o_linklist_t *l = web.queue.next; l != &web.queue; l = l->next)
                task_push_progress(H2O_STRUCT_FROM_MEMBER(task_t, queue_link, l));
}

static int64_t expiry(int64_t now) {
        return now + (int64_t) arg_retention_ms;
}

static void signal_name(int sig, char *buf, size_t size) {
        const char *n = sigabbrev_np(sig);
        if (n)
                snprintf(buf, size, "SIG%s", n);
        else
                snprintf(buf, size, "signal %d", sig);
}

static const double duration_bounds[DURATION_BUCKETS] = { 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800 };

static void metrics_observe(double seconds) {
        for (unsigned i = 0; i < DURATION_BUCKETS; i++)
                if (seconds <= duration_bounds[i])
                        web.metrics.duration_buckets[i]++;
        web.metrics.duration_count++;
        web.metrics.duration_sum += seconds;
}

static int link_report(int fd, const char *id, const char *ext) {
        char proc[64], name[STORE_ID_LEN + 8];

        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        snprintf(name, sizeof(name), "%s.%s", id, ext);
        (void) unlinkat(web.reports_fd, name, 0);
        if (linkat(AT_FDCWD, proc, web.reports_fd, name, AT_SYMLINK_FOLLOW) < 0)
                return -errno;
        return 0;
}

/* Every end of an analysis comes here exactly once. */
static void run_finish(run_t *run) {
        task_t *t = run->task;
        int64_t now = store_now_ms();
        char reason[IPC_TEXT_MAX + 64];
        double seconds = (double) (web_now_mono() - run->started_mono) / 1000.0;
        bool ok = false;
        store_task_t row;
        task_event_t final;
        int r;

        if (run->finished)
                return;
        run->finished = true;
        h2o_timeout_unlink(&run->timeout_entry);
        h2o_timeout_unlink(&run->reap_entry);
        if (run->sock) {
                h2o_socket_close(run->sock);
                run->sock = NULL;
        }

        reason[0] = 0;
        if (run->timed_out)
                snprintf(reason, sizeof(reason), "timeout");
        else if (run->end == RUN_DONE) {
                r = link_report(run->json_fd, t->id, "json");
                if (r >= 0)
                        r = link_report(run->html_fd, t->id, "html");
                if (r < 0) {
                        log_error_errno(r, t->id, "report-link-failed", "Failed to link the reports: %m");
                        snprintf(reason, sizeof(reason), "could not store the report: %s", strerror(-r));
                } else
                        ok = true;
        } else if (run->end == RUN_ERROR)
                snprintf(reason, sizeof(reason), "%s", run->error);
        else if (run->end == RUN_PROTOCOL)
                snprintf(reason, sizeof(reason), "the analyzer sent a malformed message");
        else if (run->pid > 0 && run->exited && WIFSIGNALED(run->exit_status)) {
                int sig = WTERMSIG(run->exit_status);
                char sn[32];
                signal_name(sig, sn, sizeof(sn));
                if (sig == SIGKILL)
                        snprintf(reason, sizeof(reason), "the analyzer was killed (memory limit or crash)");
                else if (sig == SIGSYS)
                        snprintf(reason, sizeof(reason), "the analyzer was killed by its sandbox (%s)", sn);
                else if (sig == SIGXCPU)
                        snprintf(reason, sizeof(reason), "the analyzer ran out of CPU time (%s)", sn);
                else
                        snprintf(reason, sizeof(reason), "the analyzer crashed (%s)", sn);
        } else if (run->pid > 0 && run->exited && WIFEXITED(run->exit_status) && WEXITSTATUS(run->exit_status) != 0)
                snprintf(reason, sizeof(reason), "the analyzer exited with status %d", WEXITSTATUS(run->exit_status));
        else
                snprintf(reason, sizeof(reason), "the analyzer was killed (memory limit or crash)");

        if (ok)
                r = store_task_complete(web.store, t->id, now, expiry(now), run->done.packets, run->done.health_score,
                                        run->done.findings, run->done.partial);
        else
                r = store_task_fail(web.store, t->id, now, expiry(now), reason);
        if (r == -ENOSPC && web_reserve_release() >= 0) {
                /* the disk filled up: the space kept in reserve lets the final state be recorded */
                if (ok)
                        r = store_task_complete(web.store, t->id, now, expiry(now), run->done.packets,
                                                run->done.health_score, run->done.findings, run->done.partial);
                else
                        r = store_task_fail(web.store, t->id, now, expiry(now), reason);
        }
        if (r < 0 && ok) {
                /* a report without its completed row would be an orphan: drop it, record a failure */
                log_error_errno(r, t->id, "store-error", "Failed to record the end of the analysis: %m");
                char path[STORE_ID_LEN + 8];
                snprintf(path, sizeof(path), "%s.json", t->id);
                (void) unlinkat(web.reports_fd, path, 0);
                snprintf(path, sizeof(path), "%s.html", t->id);
                (void) unlinkat(web.reports_fd, path, 0);
                ok = false;
                snprintf(reason, sizeof(reason), "could not record the result: %s", strerror(-r));
                r = store_task_fail(web.store, t->id, now, expiry(now), reason);
        }
        if (r < 0)
                log_error_errno(r, t->id, "store-error", "Failed to record the end of the analysis: %m");
        else
                web_reserve_make(); /* again, for the next time (fails quietly while the disk is full) */

        /* The capture goes whatever the outcome. */
        if (unlinkat(web.uploads_fd, t->id, 0) < 0 && errno != ENOENT)
                log_warning_errno(errno, t->id, "capture-unlink-failed", "Failed to remove the capture: %m");
        run->json_fd = safe_close(run->json_fd);
        run->html_fd = safe_close(run->html_fd);

        if (ok) {
                char f1[64], f2[64], f3[64], f4[64];
                web.metrics.finished[TASK_COMPLETED]++;
                web.metrics.packets_analysed += run->done.packets;
                log_struct_errno(LOG_INFO, 0, t->id, "analysis-done",
                                 LOG_FIELDS(LOG_FIELD(f1, "PCAPD_PACKETS=%llu", (unsigned long long) run->done.packets),
                                            LOG_FIELD(f2, "PCAPD_DURATION_MS=%.0f", seconds * 1000),
                                            LOG_FIELD(f3, "PCAPD_HEALTH_SCORE=%d", run->done.health_score),
                                            LOG_FIELD(f4, "PCAPD_FILE_SIZE=%llu", (unsigned long long) t->file_size)),
                                 "Analysis of %s done: %llu packets in %.3f s, health %d", t->filename,
                                 (unsigned long long) run->done.packets, seconds, run->done.health_score);
        } else {
                char f1[64];
                web.metrics.finished[TASK_FAILED]++;
                log_struct_errno(LOG_WARNING, 0, t->id, "analysis-failed",
                                 LOG_FIELDS(LOG_FIELD(f1, "PCAPD_DURATION_MS=%.0f", seconds * 1000)),
                                 "Analysis of %s failed: %s", t->filename, reason);
        }
        metrics_observe(seconds);

        if (store_task_get(web.store, t->id, &row) >= 0) {
                task_final_event(&row, &final);
        } else {
                memset(&row, 0, sizeof(row));
                memcpy(row.id, t->id, sizeof(row.id));
                row.status = ok ? TASK_COMPLETED : TASK_FAILED;
                snprintf(row.error_message, sizeof(row.error_message), "%.255s", reason);
                task_final_event(&row, &final);
        }
        sse_finish(t, &final);

        web.n_running--;
        t->run = NULL;
        task_free(t);
        /* a spawned child not reaped yet is reaped by dispatcher_child_exited(), which finds no run */
        if (run->pid > 0 && !run->exited)
                kill(run->pid, SIGKILL);
        free(run);
        dispatcher_kick();
}

/* Finishes now, or, for a spawned analyzer that went away without DONE, once its exit status is known
 * (the signal names the reason). */
static void run_maybe_finish(run_t *run) {
        if (run->end == RUN_RUNNING)
                return;
        if (run->end != RUN_DONE && run->end != RUN_ERROR && run->pid > 0 && !run->exited && !run->timed_out) {
                if (!h2o_timeout_is_linked(&run->reap_entry))
                        h2o_timeout_link(web.loop, &reap_timeout, &run->reap_entry);
                return;
        }
        run_finish(run);
}

static void on_reap_timeout(h2o_timeout_entry_t *e) {
        run_t *run = H2O_STRUCT_FROM_MEMBER(run_t, reap_entry, e);
        /* the channel closed but the process lingers: end it and finish without its status */
        if (run->pid > 0 && !run->exited)
                kill(run->pid, SIGKILL);
        run_finish(run);
}

static void on_analysis_timeout(h2o_timeout_entry_t *e) {
        run_t *run = H2O_STRUCT_FROM_MEMBER(run_t, timeout_entry, e);
        log_warning(run->task->id, "analysis-timeout", "Analysis exceeded %u s, stopping it", arg_analysis_timeout_s);
        run->timed_out = true;
        if (run->pid > 0 && !run->exited)
                kill(run->pid, SIGKILL);
        run_finish(run);
}

static void on_progress(run_t *run, const ipc_progress_t *p) {
        task_t *t = run->task;
        uint64_t now = web_now_mono();
        bool phase_changed = strncmp(t->phase, p->phase, sizeof(t->phase)) != 0;

        snprintf(t->phase, sizeof(t->phase), "%s", p->phase);
        t->percent = p->percent < 0 ? 0 : p->percent;
        t->bytes_done = p->bytes_done;
        if (p->packets >= t->pps_packets && now > t->pps_mono + 200) {
                double dt = (double) (now - t->pps_mono) / 1000.0;
                if (t->pps_mono)
                        t->packets_per_second = (double) (p->packets - t->pps_packets) / dt;
                t->pps_mono = now;
                t->pps_packets = p->packets;
        }
        t->packets = p->packets;
        /* an event per phase change, and at most ~4 per second otherwise */
        if (phase_changed || now - t->last_event_mono >= 250)
                task_push_progress(t);
}

static void on_channel_read(h2o_socket_t *sock, const char *err) {
        run_t *run = sock->data;

        for (;;) {
                union {
                        ipc_progress_t progress;
                        ipc_done_t done;
                        ipc_error_t error;
                        uint8_t buf[IPC_MESSAGE_MAX];
                } payload;
                ipc_header_t h;
                int fd = -1;
                int r = ipc_recv(h2o_socket_get_fd(sock), &h, &payload, sizeof(payload), &fd);

                if (r == -EAGAIN)
                        return;
                safe_close(fd); /* the analyzer sends no fds; drop any */
                if (r == -ECONNRESET || r == -EPIPE || (r < 0 && r != -EBADMSG && r != -EPROTO)) {
                        run->end = RUN_EOF;
                        break;
                }
                if (r < 0 || memcmp(h.task_id, run->task->id, IPC_TASK_ID_LEN) != 0) {
                        log_warning(run->task->id, "analyzer-protocol-error", "Malformed message from the analyzer");
                        run->end = RUN_PROTOCOL;
                        if (run->pid > 0)
                                kill(run->pid, SIGKILL);
                        break;
                }
                switch (h.type) {
                case IPC_PROGRESS:
                        on_progress(run, &payload.progress);
                        continue;
                case IPC_DONE:
                        run->done = payload.done;
                        run->end = RUN_DONE;
                        break;
                case IPC_ERROR:
                        snprintf(run->error, sizeof(run->error), "%s", payload.error.message);
                        if (!run->error[0])
                                snprintf(run->error, sizeof(run->error), "analysis failed (code %d)", payload.error.code);
                        run->end = RUN_ERROR;
                        break;
                default:
                        run->end = RUN_PROTOCOL;
                        break;
                }
                break;
        }
        /* last message or end: stop reading, finish when the process is accounted for */
        h2o_socket_read_stop(sock);
        run_maybe_finish(run);
}

/* Reaches an analyzer: the socket-activated service, or a child of ours. */
static int analyzer_open(run_t *run) {
        int fd = -1, r;

        if (arg_analyzer_socket) {
                r = analyzer_connect(arg_analyzer_socket, &fd);
                if (r < 0) {
                        snprintf(web.analyzer_error, sizeof(web.analyzer_error), "connect %s: %s",
                                 arg_analyzer_socket, strerror(-r));
                        return r;
                }
        } else {
                analyzer_rlimits_t lim = {
                        .memory_bytes = arg_memory_budget_bytes,
                        .cpu_seconds = arg_analysis_timeout_s + 5,
                };
                r = analyzer_spawn(arg_analyzer_exec, &lim, &fd, &run->pid);
                if (r < 0) {
                        snprintf(web.analyzer_error, sizeof(web.analyzer_error), "spawn %s: %s", arg_analyzer_exec,
                                 strerror(-r));
                        return r;
                }
        }
        web.analyzer_ok = true;
        web.analyzer_error[0] = 0;
        return fd;
}

static int run_start(task_t *t) {
        _cleanup_close_ int capture_fd = -1, json_fd = -1, html_fd = -1, sock_fd = -1;
        run_t *run;
        struct stat st;
        ipc_job_t job = {
                .version = IPC_PROTOCOL_VERSION,
                .timeout_s = arg_analysis_timeout_s,
                .memory_budget = arg_memory_budget_bytes,
        };
        int r;

        capture_fd = openat(web.uploads_fd, t->id, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (capture_fd < 0)
                return log_error_errno(errno, t->id, "capture-missing", "Failed to open the capture: %m");
        if (fstat(capture_fd, &st) < 0)
                return -errno;
        job.capture_size = (uint64_t) st.st_size;
        json_fd = openat(web.reports_fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0640);
        if (json_fd < 0)
                return log_error_errno(errno, t->id, "report-create-failed", "Failed to create the JSON report: %m");
        html_fd = openat(web.reports_fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0640);
        if (html_fd < 0)
                return log_error_errno(errno, t->id, "report-create-failed", "Failed to create the HTML report: %m");

        run = calloc(1, sizeof(*run));
        if (!run)
                return -ENOMEM;
        run->json_fd = run->html_fd = -1;
        run->task = t;

        sock_fd = analyzer_open(run);
        if (sock_fd < 0) {
                r = sock_fd;
                web.analyzer_ok = false;
                web.metrics.analyzer_failures++;
                free(run);
                return log_error_errno(r, t->id, "analyzer-unreachable", "Failed to reach an analyzer (%s): %m",
                                       web.analyzer_error);
        }
        r = analyzer_send_job(sock_fd, t->id, &job, capture_fd, json_fd, html_fd);
        if (r < 0) {
                log_error_errno(r, t->id, "analyzer-send-failed", "Failed to send the job: %m");
                if (run->pid > 0) {
                        kill(run->pid, SIGKILL);
                        (void) waitpid(run->pid, NULL, 0);
                }
                free(run);
                return r;
        }
        if (fcntl(sock_fd, F_SETFL, fcntl(sock_fd, F_GETFL) | O_NONBLOCK) < 0) {
                r = -errno;
                if (run->pid > 0) {
                        kill(run->pid, SIGKILL);
                        (void) waitpid(run->pid, NULL, 0);
                }
                free(run);
                return r;
        }

        run->json_fd = TAKE_FD(json_fd);
        run->html_fd = TAKE_FD(html_fd);
        run->sock = h2o_evloop_socket_create(web.loop, TAKE_FD(sock_fd), H2O_SOCKET_FLAG_DONT_READ);
        run->sock->data = run;
        run->started_mono = web_now_mono();
        run->timeout_entry.cb = on_analysis_timeout;
        run->reap_entry.cb = on_reap_timeout;
        h2o_timeout_link(web.loop, &analysis_timeout, &run->timeout_entry);
        t->run = run;
        h2o_socket_read_start(run->sock, on_channel_read);
        return 0;
}

void dispatcher_kick(void) {
        unsigned started = 0;

        while (!web.stopping && web.n_running < arg_workers && !h2o_linklist_is_empty(&web.queue)) {
                task_t *t = H2O_STRUCT_FROM_MEMBER(task_t, queue_link, web.queue.next);
                int64_t now = store_now_ms();
                int r;

                h2o_linklist_unlink(&t->queue_link);
                web.n_queued--;
                started++;

                r = store_task_start(web.store, t->id, now);
                if (r < 0) {
                        log_error_errno(r, t->id, "store-error", "Failed to mark the task processing: %m");
                        if (r == -ESTALE || r == -ENOENT) {
                                task_event_t final;
                                store_task_t row = {};
                                memcpy(row.id, t->id, sizeof(row.id));
                                row.status = TASK_FAILED;
                                snprintf(row.error_message, sizeof(row.error_message), "task vanished");
                                task_final_event(&row, &final);
                                sse_finish(t, &final);
                                task_free(t);
                        } else {
                                /* database busy: back to the head of the queue, try again on the next tick */
                                h2o_linklist_insert(web.queue.next, &t->queue_link);
                                web.n_queued++;
                                return;
                        }
                        continue;
                }
                t->status = TASK_PROCESSING;
                t->started_at = now;
                snprintf(t->phase, sizeof(t->phase), "starting");
                t->percent = 0;
                web.n_running++;
                log_info(t->id, "analysis-start", "Starting the analysis of %s (%llu bytes)", t->filename,
                         (unsigned long long) t->file_size);

                r = run_start(t);
                if (r < 0) {
                        run_t tmp = { .task = t, .json_fd = -1, .html_fd = -1, .end = RUN_ERROR,
                                      .started_mono = web_now_mono() };
                        run_t *run = malloc(sizeof(*run));
                        if (!run) {
                                web.n_running--;
                                (void) store_task_fail(web.store, t->id, now, expiry(now), "out of memory");
                                task_free(t);
                                continue;
                        }
                        *run = tmp;
                        if (r == -ENOENT && arg_analyzer_socket == NULL && access(arg_analyzer_exec, X_OK) < 0)
                                snprintf(run->error, sizeof(run->error), "the analyzer could not be started");
                        else if (web.analyzer_error[0] && !web.analyzer_ok)
                                snprintf(run->error, sizeof(run->error), "the analyzer could not be reached");
                        else
                                snprintf(run->error, sizeof(run->error), "the analysis could not start: %s", strerror(-r));
                        t->run = run;
                        run_finish(run); /* also kicks again */
                        return;
                }
                task_push_progress(t);
        }
        if (started)
                queue_moved();
}

void dispatcher_tick(void) {
        uint64_t now = web_now_mono();

        for (h2o_linklist_t *l = web.tasks.next; l != &web.tasks; l = l->next) {
                task_t *t = H2O_STRUCT_FROM_MEMBER(task_t, link, l);
                if (t->status == TASK_PROCESSING && now - t->last_event_mono >= 1000)
                        task_push_progress(t);
        }
        dispatcher_kick();
}

static run_t *run_by_pid(pid_t pid) {
        for (h2o_linklist_t *l = web.tasks.next; l != &web.tasks; l = l->next) {
                task_t *t = H2O_STRUCT_FROM_MEMBER(task_t, link, l);
                if (t->run && t->run->pid == pid)
                        return t->run;
        }
        return NULL;
}

void dispatcher_child_exited(pid_t pid, int status) {
        run_t *run = run_by_pid(pid);
        if (!run)
                return;
        run->exited = true;
        run->exit_status = status;
        run_maybe_finish(run);
}

bool dispatcher_busy(void) {
        return web.n_running > 0;
}

void dispatcher_abort_all(void) {
        /* Past the stop deadline: kill what still runs and leave its row `processing` with its capture, so
         * the next start puts it back in the queue (nothing accepted is lost). */
        for (h2o_linklist_t *l = web.tasks.next; l != &web.tasks; l = l->next) {
                task_t *t = H2O_STRUCT_FROM_MEMBER(task_t, link, l);
                run_t *run = t->run;
                if (!run)
                        continue;
                if (run->pid > 0 && !run->exited)
                        kill(run->pid, SIGKILL);
                h2o_timeout_unlink(&run->timeout_entry);
                h2o_timeout_unlink(&run->reap_entry);
                if (run->sock) {
                        h2o_socket_close(run->sock);
                        run->sock = NULL;
                }
                run->json_fd = safe_close(run->json_fd);
                run->html_fd = safe_close(run->html_fd);
                log_warning(t->id, "analysis-interrupted", "The service stopped during the analysis; it will run again");
        }
}
