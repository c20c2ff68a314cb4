/* The dispatcher (see dispatcher.h): for each analysis the capture and two O_TMPFILE reports go to an
 * analyzer (run.c); DONE links the reports, anything else fails the task with a reason a user can read.
 * The capture is unlinked when the analysis ends, whatever the outcome. */
#include "dispatcher.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fetcher.h"
#include "http.h"
#include "log/log.h"
#include "sse.h"
#include "store/store-listen.h"
#include "util/macro.h"

#define REAP_GRACE_MS 3000
#define PROGRESS_EVENT_MS 250
#define REASON_MAX (IPC_TEXT_MAX + 64)

const double dispatcher_duration_bounds[DURATION_BUCKETS] = { 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800 };
const double dispatcher_memory_bounds_mb[MEMORY_BUCKETS] = { 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192 };

static const run_callbacks_t run_callbacks;

int dispatcher_init(dispatcher_t *d, const dispatcher_config_t *cfg, h2o_loop_t *loop, store_t *store,
                    const state_dir_t *state) {
        *d = (dispatcher_t) {
                .cfg = *cfg,
                .loop = loop,
                .store = store,
                .state = state,
                .analyzer_ok = true,
        };
        h2o_linklist_init_anchor(&d->tasks);
        h2o_linklist_init_anchor(&d->queue);
        h2o_timeout_init(loop, &d->analysis_timeout, (uint64_t) cfg->analysis_timeout_s * 1000);
        h2o_timeout_init(loop, &d->reap_timeout, REAP_GRACE_MS);
        d->run_cfg = (run_config_t) {
                .loop = loop,
                .analyzer_socket = cfg->analyzer_socket,
                .analyzer_exec = cfg->analyzer_exec,
                .limits = {
                        .memory_bytes = cfg->memory_budget_bytes,
                        .cpu_seconds = cfg->analysis_timeout_s + 5,
                },
                .job = {
                        .version = IPC_PROTOCOL_VERSION,
                        .timeout_s = cfg->analysis_timeout_s,
                        .memory_budget = cfg->memory_budget_bytes,
                        .max_packets = cfg->max_packets,
                        .max_flows = cfg->max_flows,
                        .max_events = cfg->max_events,
                },
                .analysis_timeout = &d->analysis_timeout,
                .reap_timeout = &d->reap_timeout,
        };
        /* the thresholds of --analyzer-config travel in the job: the sandboxed analyzer opens no file */
        _Static_assert(_TH_MAX <= IPC_THRESHOLDS_MAX, "the thresholds fit in a job");
        thresholds_t def;
        const thresholds_t *th = cfg->thresholds;
        if (!th) {
                thresholds_default(&def);
                th = &def;
        }
        d->run_cfg.job.n_thresholds = _TH_MAX;
        for (unsigned i = 0; i < _TH_MAX; i++) {
                d->run_cfg.job.thresholds[i] = th->v[i];
                d->run_cfg.job.threshold_source[i] = th->source[i];
        }
        return 0;
}

task_t *dispatcher_find(const dispatcher_t *d, const char *id) {
        for (h2o_linklist_t *l = d->tasks.next; l != &d->tasks; l = l->next) {
                task_t *t = H2O_STRUCT_FROM_MEMBER(task_t, link, l);
                if (strcmp(t->id, id) == 0)
                        return t;
        }
        return NULL;
}

unsigned dispatcher_queue_position(const dispatcher_t *d, const task_t *t) {
        unsigned pos = 1;

        if (!h2o_linklist_is_linked((h2o_linklist_t *) &t->queue_link))
                return 0;
        for (h2o_linklist_t *l = d->queue.next; l != &d->queue; l = l->next, pos++)
                if (l == &t->queue_link)
                        return pos;
        return 0;
}

/* An event of an analysis this node runs, to the other nodes (a shared database): their streams of the
 * task follow it (dispatcher_remote_event). A lost event is a progress snapshot the next one replaces;
 * the end is also read back from the row by the poll. */
static void task_publish(dispatcher_t *d, const task_t *t, const task_event_t *e) {
        char line[STORE_EVENT_MAX + 1];

        if (!store_shared(d->store) || task_event_encode(t, e, line, sizeof(line)) < 0)
                return;
        (void) store_publish(d->store, line);
}

/* A new progress event for t, to its streams (and to the other nodes' while it runs here, fetching its
 * capture included). */
static void task_progress(dispatcher_t *d, task_t *t) {
        const task_event_t *e = task_push_progress(t, dispatcher_queue_position(d, t));
        sse_notify(t);
        if (t->status == TASK_PROCESSING && !t->remote)
                task_publish(d, t, e);
}

/* Queue positions moved: every waiting task tells its streams. */
static void queue_moved(dispatcher_t *d) {
        for (h2o_linklist_t *l = d->queue.next; l != &d->queue; l = l->next)
                task_progress(d, H2O_STRUCT_FROM_MEMBER(task_t, queue_link, l));
}

static void queue_push(dispatcher_t *d, task_t *t) {
        h2o_linklist_insert(&d->queue, &t->queue_link);
        d->n_queued++;
}

/* t out of this node's queue, if it is in it. */
static void queue_remove(dispatcher_t *d, task_t *t) {
        if (h2o_linklist_is_linked(&t->queue_link)) {
                h2o_linklist_unlink(&t->queue_link);
                d->n_queued--;
        }
}

/* Unlinks t from every list and frees it; its streams must have been finished. */
static void task_drop(dispatcher_t *d, task_t *t) {
        queue_remove(d, t);
        if (h2o_linklist_is_linked(&t->link))
                h2o_linklist_unlink(&t->link);
        task_free(t);
}

int dispatcher_enqueue(dispatcher_t *d, const store_task_t *row, uint64_t committed_mono) {
        task_t *t;

        /* on a shared database this node's own claim can get to the committed row before the upload's end
         * is handled here: it runs already (when it has ended already, the poll follows it to its end) */
        if (dispatcher_find(d, row->id))
                return 0;
        t = task_new(row);
        if (!t)
                return -ENOMEM;
        t->status = TASK_QUEUED;
        h2o_linklist_insert(&d->tasks, &t->link);
        queue_push(d, t);
        /* until the next poll counts again; a row committed before the last count began is in it */
        if (committed_mono >= d->counted_mono)
                d->queued_total++;
        task_progress(d, t);
        dispatcher_kick(d);
        return 0;
}

uint64_t dispatcher_queued(const dispatcher_t *d) {
        return store_shared(d->store) ? d->queued_total : d->n_queued;
}

bool dispatcher_capture_exists(const char *id, void *userdata) {
        const dispatcher_t *d = userdata;

        if (!store_shared(d->store))
                return state_capture_exists(d->state, id);
        /* any node's capture, in the database; when it cannot say, the task is queued again and the node
         * that claims it finds out (the claim's fetch fails it, "capture lost") */
        return store_blob_exists(d->store, id, STORE_BLOB_CAPTURE) != 0;
}

static int64_t lease_ms(const dispatcher_t *d) {
        return (int64_t) d->cfg.lease_s * 1000;
}

static int64_t expiry(const dispatcher_t *d, int64_t now) {
        return now + (int64_t) d->cfg.retention_ms;
}

static void metrics_observe(dispatcher_metrics_t *m, double seconds, uint64_t peak) {
        for (unsigned i = 0; i < DURATION_BUCKETS; i++)
                if (seconds <= dispatcher_duration_bounds[i])
                        m->duration_buckets[i]++;
        m->duration_count++;
        m->duration_sum += seconds;
        if (peak == 0)
                return; /* never said (it could not start) */
        for (unsigned i = 0; i < MEMORY_BUCKETS; i++)
                if ((double) peak <= dispatcher_memory_bounds_mb[i] * (1 << 20))
                        m->memory_buckets[i]++;
        m->memory_count++;
        m->memory_sum += (double) peak;
}

static void analyzer_failed(dispatcher_t *d, const task_t *t, int error) {
        d->analyzer_ok = false;
        d->metrics.analyzer_failures++;
        snprintf(d->analyzer_error, sizeof(d->analyzer_error), "%s %s: %s",
                 d->cfg.analyzer_socket ? "connect" : "spawn",
                 d->cfg.analyzer_socket ? d->cfg.analyzer_socket : d->cfg.analyzer_exec, strerror(-error));
        log_error_errno(error, t->id, "analyzer-unreachable", "Failed to reach an analyzer (%s): %m", d->analyzer_error);
}

/* The end in the store: completed (with the DONE figures) or failed (with reason), accepted only while this
 * node holds the lease. When the disk is full, the reserve is given back so the end can still be recorded.
 * A report whose completed row cannot be recorded would be an orphan: it is removed and the failure
 * recorded instead. Returns 1 completed, 0 failed, -ESTALE when the lease was lost (another node runs it:
 * nothing recorded), another negative errno on a shared database that nothing could be recorded in. */
static int task_record_end(dispatcher_t *d, const task_t *t, bool ok, const ipc_done_t *done, char *reason,
                           size_t reason_size) {
        const char *node = d->cfg.node_id;
        uint64_t peak = t->peak_rss;
        int64_t now = store_now_ms();
        int r = -ENOSPC;

        for (unsigned attempt = 0; attempt < 2 && r == -ENOSPC; attempt++) {
                if (attempt > 0 && state_reserve_release(d->state) < 0)
                        break;
                if (ok)
                        r = store_task_complete_leased(d->store, node, t->id, now, expiry(d, now), done->packets,
                                                       done->health_score, done->findings, done->partial, peak);
                else
                        r = store_task_fail_leased(d->store, node, t->id, now, expiry(d, now), reason, peak);
        }
        if (r == -ESTALE)
                return r;
        if (r < 0 && ok) {
                log_error_errno(r, t->id, "store-error", "Failed to record the end of the analysis: %m");
                state_reports_unlink(d->state, t->id);
                ok = false;
                snprintf(reason, reason_size, "could not record the result: %s", strerror(-r));
                r = store_task_fail_leased(d->store, node, t->id, now, expiry(d, now), reason, peak);
        }
        if (r == -ESTALE)
                return r;
        if (r < 0) {
                log_error_errno(r, t->id, "store-error", "Failed to record the end of the analysis: %m");
                if (store_shared(d->store))
                        return r; /* nothing recorded, the row still ours: task_end lets it run again */
        } else
                (void) state_reserve_make(d->state); /* again, for the next time (fails while the disk is full) */
        return ok;
}

/* Our lease on t was taken over (we could not renew it in time: the database was unreachable, the node
 * stalled): another node runs the task now. Whatever still runs here stops, nothing is recorded or
 * removed (the capture is the new holder's), and t is followed from the database until it ends. */
static void task_let_go(dispatcher_t *d, task_t *t) {
        if (t->run) {
                run_abort(t->run);
                t->run = run_free(t->run);
        }
        t->json_fd = safe_close(t->json_fd);
        t->html_fd = safe_close(t->html_fd);
        t->remote = true;
        snprintf(t->phase, sizeof(t->phase), "running elsewhere");
        d->n_running--;
}

static void task_lease_lost(dispatcher_t *d, task_t *t) {
        log_warning(t->id, "lease-lost", "Another node took over the analysis of %s (our lease expired): stopping ours",
                    t->filename);
        task_let_go(d, t);
}

/* On a shared database that is out of reach when the analysis ends: its end cannot be recorded, so nothing
 * is, and the capture stays. The row stays `processing` under our lease; once the lease expires any node
 * (this one too) queues it again and runs it, and it ends once. Removing the capture here would make that
 * node record "capture lost" for an accepted upload. */
static void task_end_deferred(dispatcher_t *d, task_t *t, int error) {
        log_warning_errno(error, t->id, "analysis-end-deferred",
                          "Failed to record the end of the analysis of %s (%m): it runs again once its lease expires",
                          t->filename);
        task_let_go(d, t);
}

static void task_log_end(const task_t *t, bool ok, const ipc_done_t *done, double seconds, const char *reason) {
        double mb = (double) t->peak_rss / (1 << 20);
        if (ok) {
                char f1[64], f2[64], f3[64], f4[64], f5[64];
                log_struct_errno(LOG_INFO, 0, t->id, "analysis-done",
                                 LOG_FIELDS(LOG_FIELD(f1, "PCAPD_PACKETS=%llu", (unsigned long long) done->packets),
                                            LOG_FIELD(f2, "PCAPD_DURATION_MS=%.0f", seconds * 1000),
                                            LOG_FIELD(f3, "PCAPD_HEALTH_SCORE=%d", done->health_score),
                                            LOG_FIELD(f4, "PCAPD_FILE_SIZE=%llu", (unsigned long long) t->file_size),
                                            LOG_FIELD(f5, "PCAPD_PEAK_MEMORY_MB=%.1f", mb)),
                                 "Analysis of %s done: %llu packets in %.3f s, health %d, peak memory %.1f MiB",
                                 t->filename, (unsigned long long) done->packets, seconds, done->health_score, mb);
        } else {
                char f1[64], f2[64];
                log_struct_errno(LOG_WARNING, 0, t->id, "analysis-failed",
                                 LOG_FIELDS(LOG_FIELD(f1, "PCAPD_DURATION_MS=%.0f", seconds * 1000),
                                            LOG_FIELD(f2, "PCAPD_PEAK_MEMORY_MB=%.1f", mb)),
                                 "Analysis of %s failed: %s", t->filename, reason);
        }
}

/* The streams get the final event, from the row as recorded (or, if it cannot be read, as meant). */
static void task_send_final(dispatcher_t *d, task_t *t, bool ok, const char *reason) {
        store_task_t row;
        task_event_t final;

        if (store_task_get(d->store, t->id, &row) < 0) {
                row = (store_task_t) { .status = ok ? TASK_COMPLETED : TASK_FAILED };
                memcpy(row.id, t->id, sizeof(row.id));
                snprintf(row.error_message, sizeof(row.error_message), "%.255s", reason);
        }
        task_final_event(&row, &final);
        final.id = t->next_event_id; /* what sse_finish gives it */
        sse_finish(t, &final);
        task_publish(d, t, &final);
}

/* Shared bytes: the linked reports into the database, under the lease (-ESTALE: another node has it). */
static int reports_share(dispatcher_t *d, task_t *t) {
        static const store_blob_kind_t kinds[_STATE_REPORT_MAX] = {
                [STATE_REPORT_JSON] = STORE_BLOB_JSON,
                [STATE_REPORT_HTML] = STORE_BLOB_HTML,
        };

        for (state_report_t k = 0; k < _STATE_REPORT_MAX; k++) {
                _cleanup_close_ int fd = state_report_open(d->state, t->id, k);
                if (fd < 0)
                        return fd;
                int r = store_blob_put_fd(d->store, d->cfg.node_id, t->id, kinds[k], fd);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Every end of a started task comes here exactly once: reports, store, capture, log, metrics, streams. */
static void task_end(dispatcher_t *d, task_t *t, const run_outcome_t *o, const ipc_done_t *done, double seconds) {
        char reason[REASON_MAX] = "";
        bool ok = false;

        if (o->peak_rss > t->peak_rss)
                t->peak_rss = o->peak_rss;
        if (o->end == RUN_NO_ANALYZER)
                analyzer_failed(d, t, o->start_error);
        else {
                d->analyzer_ok = true;
                d->analyzer_error[0] = 0;
        }
        if (o->timed_out)
                log_warning(t->id, "analysis-timeout", "Analysis exceeded %u s, stopping it", d->cfg.analysis_timeout_s);
        if (o->end == RUN_PROTOCOL)
                log_warning(t->id, "analyzer-protocol-error", "Malformed message from the analyzer");

        /* the reports are linked only under a lease renewed now: no other node can have the task then */
        int r = store_task_renew(d->store, t->id, d->cfg.node_id, store_now_ms() + lease_ms(d));
        if (r == -ESTALE) {
                task_lease_lost(d, t);
                return;
        }
        if (r < 0 && r != -ENOENT && store_shared(d->store)) {
                task_end_deferred(d, t, r);
                return;
        }
        if (o->end == RUN_DONE && !o->timed_out) {
                r = state_report_link(d->state, t->json_fd, t->id, STATE_REPORT_JSON);
                if (r >= 0)
                        r = state_report_link(d->state, t->html_fd, t->id, STATE_REPORT_HTML);
                if (r < 0)
                        log_error_errno(r, t->id, "report-link-failed", "Failed to link the reports: %m");
                else if (store_shared(d->store)) {
                        r = reports_share(d, t);
                        if (r == -ESTALE) {
                                state_reports_unlink(d->state, t->id);
                                task_lease_lost(d, t);
                                return;
                        }
                        if (r < 0) {
                                log_error_errno(r, t->id, "report-store-failed",
                                                "Failed to store the reports in the database: %m");
                                state_reports_unlink(d->state, t->id);
                        }
                }
                if (r < 0)
                        snprintf(reason, sizeof(reason), "could not store the report: %s", strerror(-r));
                else
                        ok = true;
        } else
                run_reason(o, reason, sizeof(reason));

        int ended = task_record_end(d, t, ok, done, reason, sizeof(reason));
        if (ended == -ESTALE) {
                /* later than the renewal above by more than a lease: what we linked is left as it is */
                task_lease_lost(d, t);
                return;
        }
        if (ended < 0) {
                task_end_deferred(d, t, ended);
                return;
        }
        ok = ended > 0;

        /* the capture goes whatever the outcome (on a shared database, its chunks too; should that fail,
         * they go when the task expires) */
        r = state_capture_unlink(d->state, t->id);
        if (r < 0)
                log_warning_errno(r, t->id, "capture-unlink-failed", "Failed to remove the capture: %m");
        if (store_shared(d->store)) {
                r = store_blob_delete(d->store, t->id, STORE_BLOB_CAPTURE);
                if (r < 0)
                        log_warning_errno(r, t->id, "capture-unlink-failed",
                                          "Failed to remove the capture from the database: %m");
        }
        t->json_fd = safe_close(t->json_fd);
        t->html_fd = safe_close(t->html_fd);

        d->metrics.finished[ok ? TASK_COMPLETED : TASK_FAILED]++;
        if (ok)
                d->metrics.packets_analysed += done->packets;
        metrics_observe(&d->metrics, seconds, t->peak_rss);
        task_log_end(t, ok, done, seconds, reason);
        task_send_final(d, t, ok, reason);

        d->n_running--;
        task_drop(d, t);
}

static void on_run_progress(run_t *run, const ipc_progress_t *p, void *userdata) {
        task_t *t = userdata;
        uint64_t now = http_now_mono();
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
        if (p->peak_rss > t->peak_rss)
                t->peak_rss = p->peak_rss;
        /* the one throttle of what the streams see: an event per phase change, at most one per
         * PROGRESS_EVENT_MS otherwise, however often the analyzer writes (it relays the engine's callbacks,
         * ~10/s, and a misbehaving one could write more); the tick adds one per second when it is silent */
        if (phase_changed || now - t->last_event_mono >= PROGRESS_EVENT_MS) {
                task_push_progress(t, 0);
                sse_notify(t);
        }
}

static void on_run_ended(run_t *run, void *userdata) {
        task_t *t = userdata;
        dispatcher_t *d = t->dispatcher;
        double seconds = (double) (http_now_mono() - run_started_mono(run)) / 1000.0;

        t->run = NULL;
        task_end(d, t, run_outcome(run), run_done(run), seconds);
        run_free(run);
        dispatcher_kick(d);
}

static const run_callbacks_t run_callbacks = {
        .progress = on_run_progress,
        .ended = on_run_ended,
};

/* Opens the reports and starts the analysis of capture_fd (taken; -errno: it could not be opened). On
 * failure the task ends at once with the reason. */
static void task_run(dispatcher_t *d, task_t *t, int fd) {
        _cleanup_close_ int capture_fd = fd;
        run_outcome_t o = { .end = RUN_NO_ANALYZER, .spawned = d->cfg.analyzer_socket == NULL };
        ipc_done_t none = {};
        int r;

        if (capture_fd < 0) {
                r = log_error_errno(capture_fd, t->id, "capture-missing", "Failed to open the capture: %m");
                goto fail;
        }
        t->json_fd = state_report_open_tmpfile(d->state);
        t->html_fd = t->json_fd < 0 ? -1 : state_report_open_tmpfile(d->state);
        if (t->json_fd < 0 || t->html_fd < 0) {
                r = t->json_fd < 0 ? t->json_fd : t->html_fd;
                log_error_errno(r, t->id, "report-create-failed", "Failed to create the reports: %m");
                goto fail;
        }
        t->dispatcher = d;
        r = run_start(&d->run_cfg, t->id, capture_fd, t->json_fd, t->html_fd, &run_callbacks, t, &t->run);
        if (r < 0) {
                o.start_error = r;
                task_end(d, t, &o, &none, 0);
                return;
        }
        task_progress(d, t);
        return;

fail: {
        /* not the analyzer's fault: say what failed */
        char msg[IPC_TEXT_MAX];
        snprintf(msg, sizeof(msg), "the analysis could not start: %s", strerror(-r));
        o.end = RUN_ERROR;
        o.error = msg;
        task_end(d, t, &o, &none, 0);
}
}

/* On the loop: the fetcher is through with t's capture. */
static void on_fetched(fetch_job_t *job) {
        task_t *t = job->userdata;
        dispatcher_t *d = t->dispatcher;
        int fd = job->fd;

        _cleanup_free_ fetch_job_t *j = job;
        t->fetch = NULL;
        if (t->remote) {
                /* our lease was lost meanwhile: another node runs it, followed from here */
                safe_close(fd);
                (void) state_capture_unlink(d->state, t->id);
                return;
        }
        if (fd < 0)
                log_error_errno(fd, t->id, "capture-fetch-failed", "Failed to fetch the capture from the database: %m");
        else
                log_info(t->id, "capture-fetched", "Fetched the capture of %s (%llu bytes) from the database in %llu ms",
                         t->filename, (unsigned long long) t->file_size,
                         (unsigned long long) (http_now_mono() - job->started_mono));
        task_run(d, t, fd);
        dispatcher_kick(d); /* it may have ended at once */
}

/* The capture, here or (shared bytes: uploaded to another node) from the database, then the analysis. A
 * fetch runs on the fetcher thread: the loop goes on meanwhile, the task counts as running and its lease
 * is renewed. */
static void task_start(dispatcher_t *d, task_t *t) {
        int fd = state_capture_open(d->state, t->id);

        t->dispatcher = d;
        if (fd == -ENOENT && store_shared(d->store)) {
                fetch_job_t *job = calloc(1, sizeof(*job));
                if (job) {
                        job->state = d->state;
                        job->kind = STORE_BLOB_CAPTURE;
                        memcpy(job->id, t->id, sizeof(job->id));
                        job->done = on_fetched;
                        job->userdata = t;
                        job->started_mono = http_now_mono();
                        if (fetcher_submit(job) >= 0) {
                                t->fetch = job;
                                snprintf(t->phase, sizeof(t->phase), "fetching");
                                task_progress(d, t);
                                return;
                        }
                        free(job);
                }
                /* no thread (or no memory for the job): here, on the loop */
                fd = state_capture_fetch(d->state, d->store, t->id);
        }
        task_run(d, t, fd);
}

/* The live task for a row this node claimed: ours when it was uploaded here (out of the local queue), a
 * new one for another node's upload or a task taken over. NULL when out of memory. */
static task_t *task_claimed(dispatcher_t *d, const store_task_t *row) {
        task_t *t = dispatcher_find(d, row->id);

        if (t) {
                queue_remove(d, t);
                t->remote = false;
                return t;
        }
        t = task_new(row);
        if (t)
                h2o_linklist_insert(&d->tasks, &t->link);
        return t;
}

/* t's row is gone (deleted meanwhile, or not queued any more): its streams end with "task vanished". */
static void task_vanished(dispatcher_t *d, task_t *t) {
        store_task_t row = { .status = TASK_FAILED };
        task_event_t final;

        log_warning(t->id, "task-vanished", "The task's row left the queue without this node");
        memcpy(row.id, t->id, sizeof(row.id));
        snprintf(row.error_message, sizeof(row.error_message), "task vanished");
        task_final_event(&row, &final);
        sse_finish(t, &final);
        task_drop(d, t);
}

void dispatcher_kick(dispatcher_t *d) {
        unsigned started = 0;

        while (!d->stopping && d->n_running < d->cfg.workers) {
                store_task_t row;
                task_t *t;
                int64_t now = store_now_ms();
                int r;

                /* shared: the oldest queued task of any node. One node: the head of our queue, which is the
                 * database's queue in the order the uploads' ends were handled here (a claim of the oldest
                 * row could take one whose upload has not ended here yet, and our queue would keep it) */
                task_t *head = NULL;
                if (!store_shared(d->store)) {
                        if (h2o_linklist_is_empty(&d->queue))
                                break;
                        head = H2O_STRUCT_FROM_MEMBER(task_t, queue_link, d->queue.next);
                }
                r = store_task_claim(d->store, d->cfg.node_id, head ? head->id : NULL, now, now + lease_ms(d), &row);
                if (r == -ENOENT && head) {
                        /* its row is gone or no longer queued (deleted meanwhile) */
                        task_vanished(d, head);
                        continue;
                }
                if (r == -ENOENT)
                        break; /* nothing queued, on any node */
                if (r < 0) {
                        /* database busy or unreachable: the next tick tries again */
                        log_error_errno(r, NULL, "store-error", "Failed to claim a queued task: %m");
                        break;
                }
                if (d->queued_total > 0)
                        d->queued_total--;
                t = dispatcher_find(d, row.id);
                if (t && (t->run || t->fetch)) {
                        /* ours, still running: our lease had lapsed (the database was out of reach) and our own
                         * poll queued it again. The analysis goes on under the new lease */
                        t->lease_until = row.lease_until;
                        log_notice(t->id, "lease-reclaimed", "Claimed again the analysis this node still runs");
                        continue;
                }
                t = task_claimed(d, &row);
                if (!t) {
                        /* the lease expires and the task is queued again, here or elsewhere */
                        log_error_errno(-ENOMEM, row.id, "claim-failed", "Failed to start a claimed task: %m");
                        break;
                }
                started++;
                if (store_shared(d->store) && t->next_event_id < (uint64_t) now) {
                        /* the run's event ids start at its start time (ms): after the uploading node's
                         * queued events and after an earlier run's (a lease taken over), so a stream
                         * resumed on any node with Last-Event-ID goes on, never back */
                        t->next_event_id = t->first_event_id = (uint64_t) now;
                }
                t->status = TASK_PROCESSING;
                t->started_at = now;
                t->lease_until = row.lease_until;
                snprintf(t->phase, sizeof(t->phase), "starting");
                t->percent = 0;
                d->n_running++;
                log_info(t->id, "analysis-start", "Starting the analysis of %s (%llu bytes) on node %s", t->filename,
                         (unsigned long long) t->file_size, d->cfg.node_id);
                task_start(d, t); /* may end t at once */
        }
        if (started)
                queue_moved(d);
}

/* Renews the leases of our running analyses when a third of the lease is left to run... every lease/3. */
static void leases_renew(dispatcher_t *d) {
        int64_t now = store_now_ms(), lease = lease_ms(d);

        for (h2o_linklist_t *l = d->tasks.next; l != &d->tasks;) {
                task_t *t = H2O_STRUCT_FROM_MEMBER(task_t, link, l);
                l = l->next;
                if ((!t->run && !t->fetch) || t->remote || now < t->lease_until - lease * 2 / 3)
                        continue;
                int r = store_task_renew(d->store, t->id, d->cfg.node_id, now + lease);
                if (r == -ESTALE || r == -ENOENT)
                        task_lease_lost(d, t);
                else if (r < 0)
                        log_warning_errno(r, t->id, "store-error", "Failed to renew the lease: %m");
                else
                        t->lease_until = now + lease;
        }
}

/* Another node claimed t, which this node followed (queued here, or not yet known to run elsewhere): out
 * of the local queue, followed as another node's from now on. */
static void task_claimed_elsewhere(dispatcher_t *d, task_t *t) {
        if (t->status == TASK_QUEUED && d->queued_total > 0)
                d->queued_total--; /* until the poll counts again */
        queue_remove(d, t);
        t->status = TASK_PROCESSING;
        t->remote = true;
}

/* A task of ours that this node does not run (queued here, or run by another node): its row says whether
 * another node claimed it, or whether it ended, for the streams that follow it here. */
static void task_follow(dispatcher_t *d, task_t *t) {
        store_task_t row;
        task_event_t final;
        int r = store_task_get(d->store, t->id, &row);

        if (r == -ENOENT) {
                task_vanished(d, t);
                return;
        }
        if (r < 0)
                return;
        switch (row.status) {
        case TASK_QUEUED:
                return;
        case TASK_PROCESSING:
                if (strcmp(row.node, d->cfg.node_id) == 0 || t->remote)
                        return;
                task_claimed_elsewhere(d, t);
                t->started_at = row.started_at;
                snprintf(t->phase, sizeof(t->phase), "running elsewhere");
                task_progress(d, t);
                return;
        default:
                /* shared bytes: this node's copy of an upload that another node ran is not wanted any more */
                (void) state_capture_unlink(d->state, t->id);
                task_final_event(&row, &final);
                sse_finish(t, &final);
                task_drop(d, t);
        }
}

int dispatcher_follow(dispatcher_t *d, const store_task_t *row, task_t **ret_task) {
        task_t *t = dispatcher_find(d, row->id);

        if (!t && store_shared(d->store) && (row->status == TASK_QUEUED || row->status == TASK_PROCESSING)) {
                /* another node's upload, queued or run elsewhere: followed by its running node's events
                 * (dispatcher_remote_event) and the poll (task_follow) until it ends, or until this node
                 * claims it */
                t = task_new(row);
                if (!t)
                        return -ENOMEM;
                t->remote = true;
                t->started_at = row->started_at;
                snprintf(t->phase, sizeof(t->phase), "%s", row->status == TASK_PROCESSING ? "running elsewhere" : "queued");
                h2o_linklist_insert(&d->tasks, &t->link);
                task_progress(d, t); /* what a new stream sends first: the row's state, until the running node's */
        }
        *ret_task = t;
        return 0;
}

void dispatcher_remote_event(dispatcher_t *d, const char *line) {
        task_remote_event_t re;
        task_t *t;

        if (task_event_decode(line, &re) < 0)
                return;
        t = dispatcher_find(d, re.task_id);
        if (!t || t->run || (t->status == TASK_PROCESSING && !t->remote))
                return; /* not followed here, or ours (we published it) */
        if (strcmp(re.event.type, "progress") != 0) {
                /* its end: the final event from the row, with the id the running node gave it */
                if (re.event.id > t->next_event_id)
                        t->next_event_id = t->first_event_id = re.event.id;
                task_follow(d, t);
                return;
        }
        if (t->status == TASK_QUEUED)
                task_claimed_elsewhere(d, t);
        if (task_push_remote(t, &re) == 0)
                sse_notify(t);
}

void dispatcher_poll(dispatcher_t *d) {
        uint64_t counts[_TASK_STATUS_MAX];
        int r;

        if (store_shared(d->store)) {
                r = store_recover_expired(d->store, store_now_ms(), dispatcher_capture_exists, d);
                if (r > 0)
                        log_notice(NULL, "tasks-recovered", "%d analyses whose node stopped renewing its lease queued again", r);
                else if (r < 0)
                        log_warning_errno(r, NULL, "store-error", "Failed to recover expired leases: %m");
                uint64_t counting = http_now_mono();
                if (store_count(d->store, counts) >= 0) {
                        d->counted_mono = counting;
                        d->queued_total = counts[TASK_QUEUED];
                }
                for (h2o_linklist_t *l = d->tasks.next; l != &d->tasks;) {
                        task_t *t = H2O_STRUCT_FROM_MEMBER(task_t, link, l);
                        l = l->next;
                        if (!t->run && !t->fetch)
                                task_follow(d, t);
                }
        }
        dispatcher_kick(d);
}

void dispatcher_tick(dispatcher_t *d) {
        uint64_t now = http_now_mono();

        /* the >= 1 event/s rule for what runs here; a task another node runs gets that node's events */
        for (h2o_linklist_t *l = d->tasks.next; l != &d->tasks; l = l->next) {
                task_t *t = H2O_STRUCT_FROM_MEMBER(task_t, link, l);
                if (t->status == TASK_PROCESSING && !t->remote && now - t->last_event_mono >= 1000)
                        task_progress(d, t);
        }
        leases_renew(d);
        dispatcher_poll(d);
}

void dispatcher_child_exited(dispatcher_t *d, pid_t pid, int status) {
        for (h2o_linklist_t *l = d->tasks.next; l != &d->tasks; l = l->next) {
                task_t *t = H2O_STRUCT_FROM_MEMBER(task_t, link, l);
                if (t->run && run_child_exited(t->run, pid, status))
                        return; /* t may be gone */
        }
}

void dispatcher_stop(dispatcher_t *d) {
        d->stopping = true;
}

bool dispatcher_busy(const dispatcher_t *d) {
        return d->n_running > 0;
}

void dispatcher_abort_all(dispatcher_t *d) {
        /* Past the stop deadline: kill what still runs and leave its row `processing` with its capture, so
         * the next start puts it back in the queue (nothing accepted is lost). */
        for (h2o_linklist_t *l = d->tasks.next; l != &d->tasks; l = l->next) {
                task_t *t = H2O_STRUCT_FROM_MEMBER(task_t, link, l);
                if (!t->run)
                        continue;
                run_abort(t->run);
                t->run = run_free(t->run);
                t->json_fd = safe_close(t->json_fd);
                t->html_fd = safe_close(t->html_fd);
                /* shared: given back at once, for another node to run now rather than after the lease */
                if (store_shared(d->store) && store_task_release(d->store, t->id, d->cfg.node_id) >= 0) {
                        log_warning(t->id, "analysis-interrupted",
                                    "The service stopped during the analysis; queued again for any node");
                        continue;
                }
                log_warning(t->id, "analysis-interrupted", "The service stopped during the analysis; it will run again");
        }
}
