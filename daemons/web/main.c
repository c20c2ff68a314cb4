/* pcapd-web: sets up the state directory, the store, h2o and the listener, then runs the event loop. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "config.h"
#include "conn.h"
#include "dispatcher.h"
#include "log/log.h"
#include "sse.h"
#include "static.h"
#include "task.h"
#include "util/macro.h"
#include "web.h"
#include "writer.h"

/* A request may take as long as the largest upload needs at this rate; conn.c handles idle clients. */
#define UPLOAD_MIN_RATE (UINT64_C(256) << 10)
#define STOP_TIMEOUT_MS 20000

web_t web;

static h2o_timeout_t tick_timeout, watchdog_timeout;
static h2o_timeout_entry_t tick_entry, watchdog_entry;
static h2o_socket_t *signal_sock;
static bool quit;
static uint64_t stop_deadline;
static char last_status[128];

static void notify_status(void) {
        char s[128];
        snprintf(s, sizeof(s), "STATUS=%s: %u queued, %u running, %llu done", web.stopping ? "Stopping" : "Serving",
                 web.n_queued, web.n_running,
                 (unsigned long long) (web.metrics.finished[TASK_COMPLETED] + web.metrics.finished[TASK_FAILED]));
        if (strcmp(s, last_status) != 0) {
                sd_notify(0, s);
                memcpy(last_status, s, sizeof(s));
        }
}

static void begin_stop(void) {
        if (web.stopping)
                return;
        web.stopping = true;
        stop_deadline = web_now_mono() + STOP_TIMEOUT_MS;
        sd_notify(0, "STOPPING=1");
        log_info(NULL, "stopping", "Stopping: no new uploads; %u analyses running, %u queued", web.n_running,
                 web.n_queued);
        conn_close_listener();
        h2o_context_request_shutdown(&web.ctx);
        sse_close_all();
}

static void on_tick(h2o_timeout_entry_t *e) {
        dispatcher_tick();
        sse_tick();
        conn_sweep(web.stopping);
        notify_status();
        if (web.stopping) {
                bool idle = !dispatcher_busy() && web.n_uploading == 0 && conn_count() == 0;
                if (idle || web_now_mono() >= stop_deadline) {
                        if (!idle)
                                log_warning(NULL, "stop-deadline",
                                            "Stop deadline reached: %u analyses, %u uploads, %u connections left",
                                            web.n_running, web.n_uploading, conn_count());
                        if (dispatcher_busy())
                                dispatcher_abort_all();
                        quit = true;
                        return;
                }
        }
        h2o_timeout_link(web.loop, &tick_timeout, &tick_entry);
}

static void on_watchdog(h2o_timeout_entry_t *e) {
        /* sent from the loop itself: a stuck loop stops the pings and systemd restarts the service */
        sd_notify(0, "WATCHDOG=1");
        h2o_timeout_link(web.loop, &watchdog_timeout, &watchdog_entry);
}

static void on_signal(h2o_socket_t *sock, const char *err) {
        struct signalfd_siginfo si;

        while (read(h2o_socket_get_fd(sock), &si, sizeof(si)) == (ssize_t) sizeof(si)) {
                if (si.ssi_signo == SIGCHLD) {
                        int status;
                        pid_t pid;
                        while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
                                dispatcher_child_exited(pid, status);
                } else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
                        if (web.stopping && si.ssi_signo == SIGINT) {
                                dispatcher_abort_all();
                                quit = true;
                        }
                        begin_stop();
                }
        }
}

static int setup_signals(void) {
        sigset_t mask;
        int fd;

        signal(SIGPIPE, SIG_IGN);
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
        if (fd < 0)
                return -errno;
        signal_sock = h2o_evloop_socket_create(web.loop, fd, H2O_SOCKET_FLAG_DONT_READ);
        h2o_socket_read_start(signal_sock, on_signal);
        return 0;
}

static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len) {
        char host[256];
        const char *colon = strrchr(s, ':');
        char *end;
        unsigned long port;

        if (!colon || (size_t) (colon - s) >= sizeof(host))
                return -EINVAL;
        port = strtoul(colon + 1, &end, 10);
        if (*end || port > 65535 || colon[1] == 0)
                return -EINVAL;
        memcpy(host, s, (size_t) (colon - s));
        host[colon - s] = 0;
        memset(ss, 0, sizeof(*ss));
        if (host[0] == '[') {
                struct sockaddr_in6 *a = (struct sockaddr_in6 *) ss;
                size_t n = strlen(host);
                if (n < 2 || host[n - 1] != ']')
                        return -EINVAL;
                host[n - 1] = 0;
                a->sin6_family = AF_INET6;
                a->sin6_port = htons((uint16_t) port);
                if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
                        return -EINVAL;
                *len = sizeof(*a);
        } else {
                struct sockaddr_in *a = (struct sockaddr_in *) ss;
                a->sin_family = AF_INET;
                a->sin_port = htons((uint16_t) port);
                if (inet_pton(AF_INET, host[0] ? host : "0.0.0.0", &a->sin_addr) != 1)
                        return -EINVAL;
                *len = sizeof(*a);
        }
        return 0;
}

static int open_listener(int *ret_fd, bool *ret_activated) {
        int n = sd_listen_fds(1);
        struct sockaddr_storage ss;
        socklen_t len;
        int fd, one = 1;

        if (n < 0)
                return log_error_errno(n, NULL, "listen-failed", "Failed to read the sockets passed by systemd: %m");
        if (n > 0) {
                fd = SD_LISTEN_FDS_START;
                if (n > 1)
                        log_warning(NULL, "listen-extra", "Got %d sockets, using the first", n);
                if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0)
                        return log_error_errno(EINVAL, NULL, "listen-failed",
                                               "The passed fd %d is not a listening stream socket", fd);
                if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0 ||
                    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
                        return log_error_errno(errno, NULL, "listen-failed", "Failed to set up fd %d: %m", fd);
                *ret_fd = fd;
                *ret_activated = true;
                return 0;
        }
        if (parse_listen(arg_listen, &ss, &len) < 0)
                return log_error_errno(EINVAL, NULL, "listen-failed", "Invalid --listen address '%s'", arg_listen);
        fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return log_error_errno(errno, NULL, "listen-failed", "Failed to create the socket: %m");
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, (struct sockaddr *) &ss, len) < 0 || listen(fd, 1024) < 0) {
                int r = log_error_errno(errno, NULL, "listen-failed", "Failed to listen on %s: %m", arg_listen);
                close(fd);
                return r;
        }
        *ret_fd = fd;
        *ret_activated = false;
        return 0;
}

static int open_dir(int at, const char *name, int *ret) {
        if (mkdirat(at, name, 0750) < 0 && errno != EEXIST)
                return -errno;
        int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        *ret = fd;
        return 0;
}

static bool capture_exists(const char *id, void *userdata) {
        struct stat st;
        return fstatat(web.uploads_fd, id, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

static int load_queued(const store_task_t *row, void *userdata) {
        task_t *t;

        if (!capture_exists(row->id, NULL)) {
                int64_t now = store_now_ms();
                (void) store_task_fail(web.store, row->id, now, now + (int64_t) arg_retention_ms, "capture lost");
                log_warning(row->id, "capture-lost", "Queued task without its capture, marked failed");
                return 0;
        }
        t = task_new(row);
        if (!t)
                return -ENOMEM;
        h2o_linklist_insert(&web.queue, &t->queue_link);
        web.n_queued++;
        task_push_progress(t);
        return 0;
}

/* At start nothing is in flight: a capture whose task is gone or finished, or a report whose task did not
 * complete, was left by a crash (kill -9 mid-upload, or a failure to record the end). Removing them here
 * leaves the reaper's grace period for files a running frontend may still be writing. */
static void remove_orphans(int dir_fd, bool reports) {
        int fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return;
        DIR *d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return;
        }
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                char id[STORE_ID_LEN + 1];
                size_t l = strcspn(de->d_name, ".");
                if (l != STORE_ID_LEN)
                        continue; /* not ours */
                memcpy(id, de->d_name, l);
                id[l] = 0;
                store_task_t row;
                int r = store_task_get(web.store, id, &row);
                bool keep = r >= 0 && (reports ? row.status == TASK_COMPLETED
                                               : (row.status == TASK_QUEUED || row.status == TASK_PROCESSING));
                if (r < 0 && r != -ENOENT)
                        keep = true; /* the database could not say: leave it to the reaper */
                if (!keep && unlinkat(dirfd(d), de->d_name, 0) == 0)
                        log_notice(id, "orphan-removed", "Removed %s/%s left by an interrupted run",
                                   reports ? "reports" : "uploads", de->d_name);
        }
        closedir(d);
}

#define RESERVE_NAME ".reserve"
#define RESERVE_SIZE (4 << 20)

int web_reserve_make(void) {
        struct stat st;
        if (fstatat(web.state_fd, RESERVE_NAME, &st, 0) == 0 && st.st_size >= RESERVE_SIZE)
                return 0;
        int fd = openat(web.state_fd, RESERVE_NAME, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        int r = posix_fallocate(fd, 0, RESERVE_SIZE);
        safe_close(fd);
        if (r != 0) {
                (void) unlinkat(web.state_fd, RESERVE_NAME, 0);
                return -r;
        }
        return 0;
}

int web_reserve_release(void) {
        return unlinkat(web.state_fd, RESERVE_NAME, 0) < 0 ? -errno : 0;
}

static int setup_state(void) {
        char path[4096];
        int r;

        if (mkdir(arg_state_dir, 0750) < 0 && errno != EEXIST)
                return log_error_errno(errno, NULL, "state-dir-failed", "Failed to create %s: %m", arg_state_dir);
        r = open_dir(AT_FDCWD, arg_state_dir, &web.state_fd);
        if (r >= 0)
                r = open_dir(web.state_fd, "uploads", &web.uploads_fd);
        if (r >= 0)
                r = open_dir(web.state_fd, "reports", &web.reports_fd);
        if (r < 0)
                return log_error_errno(r, NULL, "state-dir-failed", "Failed to open the state directory %s: %m",
                                       arg_state_dir);
        snprintf(path, sizeof(path), "%s/pcapd.db", arg_state_dir);
        r = store_open(path, &web.store);
        if (r < 0)
                return log_error_errno(r, NULL, "store-open-failed", "Failed to open %s: %m", path);
        /* the loop's connection never waits for the disk: ordered (not fsync'd) commits, no checkpoints
         * (the writer thread's connection does both) */
        r = store_tune(web.store, false, false);
        if (r < 0)
                return log_error_errno(r, NULL, "store-open-failed", "Failed to configure %s: %m", path);
        r = store_recover(web.store, store_now_ms(), capture_exists, NULL);
        if (r < 0)
                return log_error_errno(r, NULL, "store-recover-failed", "Failed to recover interrupted tasks: %m");
        if (r > 0)
                log_notice(NULL, "tasks-recovered", "%d interrupted analyses recovered (queued again or failed)", r);
        (void) web_reserve_make();
        remove_orphans(web.uploads_fd, false);
        remove_orphans(web.reports_fd, true);
        r = store_list_status(web.store, TASK_QUEUED, load_queued, NULL);
        if (r < 0)
                return log_error_errno(r, NULL, "store-error", "Failed to load the queue: %m");
        return 0;
}

static void raise_nofile(void) {
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max > 65536 ? 65536 : rl.rlim_max;
                (void) setrlimit(RLIMIT_NOFILE, &rl);
        }
}

int main(int argc, char **argv) {
        h2o_hostconf_t *host;
        uint64_t wd_usec = 0;
        bool activated = false;
        int listen_fd = -1, r;

        log_open("pcapd-web", LOG_TARGET_AUTO);
        r = config_parse(argc, argv);
        if (r != 0)
                return r > 0 ? EXIT_SUCCESS : 2;
        raise_nofile();

        web.state_fd = web.uploads_fd = web.reports_fd = -1;
        web.started_at = store_now_ms();
        web.analyzer_ok = true;
        h2o_linklist_init_anchor(&web.tasks);
        h2o_linklist_init_anchor(&web.queue);

        if (setup_state() < 0)
                return EXIT_FAILURE;
        /* h2o moves bodies over 32 MiB to an mmap'd, unlinked temp file: keep it on the state directory's
         * filesystem (covered by the unit's write access, never a small /tmp) */
        snprintf(h2o_socket_buffer_mmap_settings.fn_template, sizeof(h2o_socket_buffer_mmap_settings.fn_template),
                 "%s/.h2o-body.XXXXXX", arg_body_dir ? arg_body_dir : arg_state_dir);

        h2o_config_init(&web.config);
        web.config.server_name = h2o_iovec_init(H2O_STRLIT("pcapd"));
        web.config.max_request_entity_size = (size_t) arg_max_upload_bytes;
        web.config.http1.req_timeout = MAX((uint64_t) 60000, arg_max_upload_bytes / UPLOAD_MIN_RATE * 1000);
        web.config.http2.idle_timeout = (uint64_t) arg_idle_timeout_s * 1000;
        host = h2o_config_register_host(&web.config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
        static_register(host);

        web.loop = h2o_evloop_create();
        h2o_context_init(&web.ctx, web.loop, &web.config);
        web.accept_ctx.ctx = &web.ctx;
        web.accept_ctx.hosts = web.config.hosts;

        if (setup_signals() < 0) {
                log_error_errno(errno, NULL, "setup-failed", "Failed to set up signals: %m");
                return EXIT_FAILURE;
        }
        {
                char db[4096];
                snprintf(db, sizeof(db), "%s/pcapd.db", arg_state_dir);
                r = writer_start(web.loop, db);
        }
        if (r < 0) {
                log_error_errno(r, NULL, "setup-failed", "Failed to start the writer thread: %m");
                return EXIT_FAILURE;
        }
        dispatcher_init();
        if (open_listener(&listen_fd, &activated) < 0)
                return EXIT_FAILURE;
        if (conn_listen(listen_fd) < 0)
                return EXIT_FAILURE;

        h2o_timeout_init(web.loop, &tick_timeout, 1000);
        tick_entry.cb = on_tick;
        h2o_timeout_link(web.loop, &tick_timeout, &tick_entry);
        if (sd_watchdog_enabled(0, &wd_usec) > 0 && wd_usec > 0) {
                h2o_timeout_init(web.loop, &watchdog_timeout, MAX(wd_usec / 2000, (uint64_t) 1));
                watchdog_entry.cb = on_watchdog;
                h2o_timeout_link(web.loop, &watchdog_timeout, &watchdog_entry);
        }

        log_info(NULL, "started", "pcapd-web %s %s %s, state %s, %u workers, analyzer %s %s", PCAPD_VERSION,
                 activated ? "socket-activated" : "listening on", activated ? "" : arg_listen, arg_state_dir,
                 arg_workers, arg_analyzer_socket ? "socket" : "exec",
                 arg_analyzer_socket ? arg_analyzer_socket : arg_analyzer_exec);
        dispatcher_kick();
        sd_notify(0, "READY=1");
        notify_status();

        while (!quit)
                h2o_evloop_run(web.loop, INT32_MAX);

        sd_notify(0, "STOPPING=1\nSTATUS=Stopped");
        log_info(NULL, "stopped", "pcapd-web stopped");
        if (signal_sock) {
                h2o_socket_close(signal_sock); /* closes the signalfd too */
                signal_sock = NULL;
        }
        writer_stop();
        store_close(web.store);
        config_free();
        return EXIT_SUCCESS;
}
