/* One analysis (see run.h). A spawned analyzer is forked and its exec awaited by the spawner thread, never
 * on the loop; a spawned analyzer that went away without DONE/ERROR ends the run once its exit status is
 * known (the signal names the reason), or after the reap timeout. */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "http.h"
#include "spawner.h"
#include "util/macro.h"

struct run {
        char id[ID_LEN + 1];
        const run_config_t *cfg;
        run_callbacks_t cb;
        void *userdata;
        h2o_socket_t *sock;           /* the channel, once the job is sent */
        spawn_request_t *spawn;       /* while the spawner thread starts the analyzer */
        int sock_fd;                  /* the channel before the job is sent */
        int capture_fd, json_fd, html_fd; /* kept until the job is sent */
        pid_t pid;                    /* 0 for a socket-activated analyzer */
        run_outcome_t o;
        ipc_done_t done;
        char error[IPC_TEXT_MAX];
        bool ended;
        uint64_t started_mono;
        h2o_timeout_entry_t timeout_entry;
        h2o_timeout_entry_t reap_entry;
};

static void signal_name(int sig, char *buf, size_t size) {
        const char *n = sigabbrev_np(sig);
        if (n)
                snprintf(buf, size, "SIG%s", n);
        else
                snprintf(buf, size, "signal %d", sig);
}

void run_reason(const run_outcome_t *o, char *buf, size_t size) {
        char mem[64] = "";

        /* how far it had got: its last report of its own peak (a kill leaves no later word) */
        if (o->peak_rss > 0)
                snprintf(mem, sizeof(mem), "; it had reached %.0f MiB", (double) o->peak_rss / (1 << 20));
        if (o->timed_out)
                snprintf(buf, size, "timeout");
        else if (o->end == RUN_NO_ANALYZER) {
                if (o->spawned && (o->start_error == -ENOENT || o->start_error == -EACCES))
                        snprintf(buf, size, "the analyzer could not be started");
                else if (o->spawned)
                        snprintf(buf, size, "the analyzer could not be started: %s", strerror(-o->start_error));
                else
                        snprintf(buf, size, "the analyzer could not be reached");
        } else if (o->end == RUN_ERROR) {
                if (o->error && o->error[0] && o->error_code == IPC_ERROR_LIMIT)
                        snprintf(buf, size, "%s%s", o->error, mem);
                else if (o->error && o->error[0])
                        snprintf(buf, size, "%s", o->error);
                else
                        snprintf(buf, size, "analysis failed (code %d)", o->error_code);
        } else if (o->end == RUN_PROTOCOL)
                snprintf(buf, size, "the analyzer sent a malformed message");
        else if (o->spawned && o->exited && WIFSIGNALED(o->exit_status)) {
                int sig = WTERMSIG(o->exit_status);
                char sn[32];
                signal_name(sig, sn, sizeof(sn));
                if (sig == SIGKILL)
                        snprintf(buf, size, "the analyzer was killed (memory limit or crash)%s", mem);
                else if (sig == SIGSYS)
                        snprintf(buf, size, "the analyzer was killed by its sandbox (%s)", sn);
                else if (sig == SIGXCPU)
                        snprintf(buf, size, "the analyzer ran out of CPU time (%s)", sn);
                else
                        snprintf(buf, size, "the analyzer crashed (%s)", sn);
        } else if (o->spawned && o->exited && WIFEXITED(o->exit_status) && WEXITSTATUS(o->exit_status) != 0)
                snprintf(buf, size, "the analyzer exited with status %d", WEXITSTATUS(o->exit_status));
        else
                /* a socket-activated analyzer's status is systemd's: a silent end is most often the
                 * slice's memory limit */
                snprintf(buf, size, "the analyzer was killed (memory limit or crash)%s", mem);
}

static void run_close_inputs(run_t *run) {
        run->capture_fd = safe_close(run->capture_fd);
        run->json_fd = safe_close(run->json_fd);
        run->html_fd = safe_close(run->html_fd);
        run->sock_fd = safe_close(run->sock_fd);
}

static void run_stop_io(run_t *run) {
        h2o_timeout_unlink(&run->timeout_entry);
        h2o_timeout_unlink(&run->reap_entry);
        if (run->sock) {
                h2o_socket_close(run->sock);
                run->sock = NULL;
        }
        if (run->spawn) {
                /* the spawner still works on it: the answer finds no run and stops the analyzer */
                run->spawn->userdata = NULL;
                run->spawn = NULL;
        }
        run_close_inputs(run);
}

static void run_kill(run_t *run) {
        if (run->pid > 0 && !run->o.exited)
                kill(run->pid, SIGKILL);
}

/* Every end comes here exactly once. */
static void run_end(run_t *run) {
        if (run->ended)
                return;
        run->ended = true;
        run_stop_io(run);
        /* a child not reaped yet is reaped by the SIGCHLD handler, which then finds no run */
        run_kill(run);
        run->cb.ended(run, run->userdata);
}

/* Ends now, or, for a spawned analyzer that went away without DONE/ERROR, once its exit status is known. */
static void run_maybe_end(run_t *run) {
        if (run->o.end == RUN_RUNNING)
                return;
        if (run->o.end != RUN_DONE && run->o.end != RUN_ERROR && run->o.end != RUN_NO_ANALYZER && run->pid > 0 &&
            !run->o.exited && !run->o.timed_out) {
                if (!h2o_timeout_is_linked(&run->reap_entry))
                        h2o_timeout_link(run->cfg->loop, run->cfg->reap_timeout, &run->reap_entry);
                return;
        }
        run_end(run);
}

static void on_reap_timeout(h2o_timeout_entry_t *e) {
        run_t *run = H2O_STRUCT_FROM_MEMBER(run_t, reap_entry, e);
        /* the channel closed but the process lingers: end it and finish without its status */
        run_end(run);
}

static void on_analysis_timeout(h2o_timeout_entry_t *e) {
        run_t *run = H2O_STRUCT_FROM_MEMBER(run_t, timeout_entry, e);
        run->o.timed_out = true;
        run_end(run);
}

static void run_note_memory(run_t *run, uint64_t peak) {
        if (peak > run->o.peak_rss)
                run->o.peak_rss = peak;
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
                        run->o.end = RUN_EOF;
                        break;
                }
                if (r < 0 || memcmp(h.task_id, run->id, ID_LEN) != 0) {
                        run->o.end = RUN_PROTOCOL;
                        run_kill(run);
                        break;
                }
                if (h.type == IPC_PROGRESS) {
                        run_note_memory(run, payload.progress.peak_rss);
                        run->cb.progress(run, &payload.progress, run->userdata);
                        continue;
                }
                if (h.type == IPC_DONE) {
                        run->done = payload.done;
                        run_note_memory(run, payload.done.peak_rss);
                        run->o.end = RUN_DONE;
                } else if (h.type == IPC_ERROR) {
                        snprintf(run->error, sizeof(run->error), "%s", payload.error.message);
                        run->o.error_code = payload.error.code;
                        run_note_memory(run, payload.error.peak_rss);
                        run->o.end = RUN_ERROR;
                } else
                        run->o.end = RUN_PROTOCOL;
                break;
        }
        /* last message or end: stop reading, end when the process is accounted for */
        h2o_socket_read_stop(sock);
        run_maybe_end(run);
}

static int run_send_job(run_t *run) {
        ipc_job_t job = run->cfg->job;
        int r;

        r = analyzer_send_job(run->sock_fd, run->id, &job, run->capture_fd, run->json_fd, run->html_fd);
        if (r < 0)
                return r;
        if (fcntl(run->sock_fd, F_SETFL, fcntl(run->sock_fd, F_GETFL) | O_NONBLOCK) < 0)
                return -errno;
        run->sock = h2o_evloop_socket_create(run->cfg->loop, TAKE_FD(run->sock_fd), H2O_SOCKET_FLAG_DONT_READ);
        if (!run->sock)
                return -ENOMEM;
        run->sock->data = run;
        /* the analyzer holds its own copies now */
        run_close_inputs(run);
        h2o_socket_read_start(run->sock, on_channel_read);
        return 0;
}

/* The spawner thread's answer, on the loop. */
static void on_spawned(spawn_request_t *req) {
        run_t *run = req->userdata;
        int r = req->error;

        if (!run) {
                /* the run ended meanwhile (timeout, stop): the analyzer it asked for goes (SIGCHLD reaps it) */
                if (r == 0) {
                        kill(req->pid, SIGKILL);
                        safe_close(req->sock_fd);
                }
                free(req);
                return;
        }
        run->spawn = NULL;
        if (r == 0) {
                run->pid = req->pid;
                run->sock_fd = req->sock_fd;
                r = run_send_job(run);
        }
        free(req);
        if (run->pid > 0 && (r == -EPIPE || r == -ECONNRESET)) {
                /* it died before it read its job (killed, crashed at start): a channel closed without DONE,
                 * whose reason is the exit status. Reaped here unless SIGCHLD was handled first (then the
                 * status is gone and the reap grace ends the run with the generic reason) */
                int status;
                if (waitpid(run->pid, &status, WNOHANG) == run->pid) {
                        run->o.exited = true;
                        run->o.exit_status = status;
                }
                run->o.end = RUN_EOF;
                run_maybe_end(run);
                return;
        }
        if (r < 0) {
                run->o.end = RUN_NO_ANALYZER;
                run->o.start_error = r;
                run_end(run);
        }
}

int run_start(const run_config_t *cfg, const char id[ID_LEN + 1], int capture_fd, int json_fd, int html_fd,
              const run_callbacks_t *cb, void *userdata, run_t **ret) {
        run_t *run;
        int r;

        run = calloc(1, sizeof(*run));
        if (!run)
                return -ENOMEM;
        memcpy(run->id, id, ID_LEN + 1);
        run->cfg = cfg;
        run->cb = *cb;
        run->userdata = userdata;
        run->sock_fd = -1;
        run->o.spawned = cfg->analyzer_socket == NULL;
        run->o.error = run->error;
        run->timeout_entry.cb = on_analysis_timeout;
        run->reap_entry.cb = on_reap_timeout;
        run->capture_fd = fcntl(capture_fd, F_DUPFD_CLOEXEC, 3);
        run->json_fd = fcntl(json_fd, F_DUPFD_CLOEXEC, 3);
        run->html_fd = fcntl(html_fd, F_DUPFD_CLOEXEC, 3);
        if (run->capture_fd < 0 || run->json_fd < 0 || run->html_fd < 0) {
                r = -errno;
                goto fail;
        }

        /* Failures to reach an analyzer that are known at once are returned; a spawn (on the spawner
         * thread) that fails ends the run through ended() */
        if (cfg->analyzer_socket) {
                r = analyzer_connect(cfg->analyzer_socket, &run->sock_fd);
                if (r >= 0)
                        r = run_send_job(run);
                if (r < 0)
                        goto fail;
        } else {
                spawn_request_t *req = calloc(1, sizeof(*req));
                if (!req) {
                        r = -ENOMEM;
                        goto fail;
                }
                req->exec_path = cfg->analyzer_exec;
                req->limits = cfg->limits;
                req->done = on_spawned;
                req->userdata = run;
                run->spawn = req;
                spawner_submit(req);
        }
        run->started_mono = http_now_mono();
        h2o_timeout_link(cfg->loop, cfg->analysis_timeout, &run->timeout_entry);
        *ret = run;
        return 0;

fail:
        run_free(run);
        return r;
}

run_t *run_free(run_t *run) {
        if (!run)
                return NULL;
        run_stop_io(run);
        free(run);
        return NULL;
}

bool run_child_exited(run_t *run, pid_t pid, int status) {
        if (run->pid <= 0 || run->pid != pid)
                return false;
        run->o.exited = true;
        run->o.exit_status = status;
        run_maybe_end(run);
        return true;
}

void run_abort(run_t *run) {
        run->ended = true;
        run_kill(run);
        run_stop_io(run);
}

const run_outcome_t *run_outcome(const run_t *run) {
        return &run->o;
}

const ipc_done_t *run_done(const run_t *run) {
        return &run->done;
}

uint64_t run_started_mono(const run_t *run) {
        return run->started_mono;
}
