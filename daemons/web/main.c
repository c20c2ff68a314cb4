/* pcapd-web: sets up the state directory, the store, h2o and the listener, then runs the event loop. */
#include <arpa/inet.h>
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
#include "expiry.h"
#include "fetcher.h"
#include "http.h"
#include "log/log.h"
#include "login.h"
#include "store/store-accounts.h"
#include "routes.h"
#include "spawner.h"
#include "state/state-reap.h"
#include "tls.h"
#include "sse.h"
#include "util/macro.h"
#include "util/parse.h"
#include "web.h"
#include "writer.h"

/* A request may take as long as the largest upload needs at this rate; conn.c handles idle clients. */
#define UPLOAD_MIN_RATE (UINT64_C(256) << 10)
#define STOP_TIMEOUT_MS 20000

/* The process: the context every handler gets, and what only the loop's own callbacks here use. */
typedef struct server {
        config_t cfg;
        web_t web;
        h2o_timeout_t tick_timeout, watchdog_timeout;
        h2o_timeout_entry_t tick_entry, watchdog_entry;
        h2o_socket_t *signal_sock;
        bool quit;
        uint64_t stop_deadline;
        char last_status[128];
        uint64_t next_session_prune;
} server_t;

static void notify_status(server_t *s) {
        const dispatcher_t *d = &s->web.dispatcher;
        char st[128];

        snprintf(st, sizeof(st), "STATUS=%s: %u queued, %u running, %llu done", s->web.stopping ? "Stopping" : "Serving",
                 d->n_queued, d->n_running,
                 (unsigned long long) (d->metrics.finished[TASK_COMPLETED] + d->metrics.finished[TASK_FAILED]));
        if (strcmp(st, s->last_status) != 0) {
                sd_notify(0, st);
                memcpy(s->last_status, st, sizeof(st));
        }
}

static void begin_stop(server_t *s) {
        web_t *w = &s->web;

        if (w->stopping)
                return;
        w->stopping = true;
        dispatcher_stop(&w->dispatcher);
        s->stop_deadline = http_now_mono() + STOP_TIMEOUT_MS;
        sd_notify(0, "STOPPING=1");
        log_info(NULL, "stopping", "Stopping: no new uploads; %u analyses running, %u queued", w->dispatcher.n_running,
                 w->dispatcher.n_queued);
        conn_close_listener();
        h2o_context_request_shutdown(&w->ctx);
        sse_close_all();
}

static void on_tick(h2o_timeout_entry_t *e) {
        server_t *s = H2O_STRUCT_FROM_MEMBER(server_t, tick_entry, e);
        web_t *w = &s->web;

        dispatcher_tick(&w->dispatcher);
        relay_tick(&w->relay);
        expiry_tick(w, http_now_mono());
        if (w->auth_accounts && http_now_mono() >= s->next_session_prune) {
                int64_t now = store_now_ms();
                (void) store_session_prune(w->store, now, now - (int64_t) w->cfg->session_idle_ms);
                s->next_session_prune = http_now_mono() + 10 * 60 * 1000;
        }
        /* a heartbeat at least twice per --idle-timeout, so conn.c never takes an idle stream for a dead one */
        sse_tick(MIN((uint64_t) 15000, (uint64_t) w->cfg->idle_timeout_s * 500));
        conn_sweep(w->stopping);
        notify_status(s);
        if (w->stopping) {
                bool idle = !dispatcher_busy(&w->dispatcher) && w->n_uploading == 0 && conn_count() == 0;
                if (idle || http_now_mono() >= s->stop_deadline) {
                        if (!idle)
                                log_warning(NULL, "stop-deadline",
                                            "Stop deadline reached: %u analyses, %u uploads, %u connections left",
                                            w->dispatcher.n_running, w->n_uploading, conn_count());
                        if (dispatcher_busy(&w->dispatcher))
                                dispatcher_abort_all(&w->dispatcher);
                        s->quit = true;
                        return;
                }
        }
        h2o_timeout_link(w->loop, &s->tick_timeout, &s->tick_entry);
}

static void on_watchdog(h2o_timeout_entry_t *e) {
        server_t *s = H2O_STRUCT_FROM_MEMBER(server_t, watchdog_entry, e);
        /* sent from the loop itself: a stuck loop stops the pings and systemd restarts the service */
        sd_notify(0, "WATCHDOG=1");
        h2o_timeout_link(s->web.loop, &s->watchdog_timeout, &s->watchdog_entry);
}

static void on_signal(h2o_socket_t *sock, const char *err) {
        server_t *s = sock->data;
        struct signalfd_siginfo si;

        while (read(h2o_socket_get_fd(sock), &si, sizeof(si)) == (ssize_t) sizeof(si)) {
                if (si.ssi_signo == SIGCHLD) {
                        int status;
                        pid_t pid;
                        while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
                                dispatcher_child_exited(&s->web.dispatcher, pid, status);
                } else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
                        if (s->web.stopping && si.ssi_signo == SIGINT) {
                                dispatcher_abort_all(&s->web.dispatcher);
                                s->quit = true;
                        }
                        begin_stop(s);
                }
        }
}

static int setup_signals(server_t *s) {
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
        s->signal_sock = h2o_evloop_socket_create(s->web.loop, fd, H2O_SOCKET_FLAG_DONT_READ);
        s->signal_sock->data = s;
        h2o_socket_read_start(s->signal_sock, on_signal);
        return 0;
}

static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len) {
        char host[256];
        const char *colon = strrchr(s, ':');
        uint64_t port;

        if (!colon || (size_t) (colon - s) >= sizeof(host))
                return -EINVAL;
        if (parse_u64(colon + 1, 0, 65535, &port) < 0)
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

static int open_listener(const config_t *cfg, int *ret_fd, bool *ret_activated) {
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
        if (parse_listen(cfg->listen, &ss, &len) < 0)
                return log_error_errno(EINVAL, NULL, "listen-failed", "Invalid --listen address '%s'", cfg->listen);
        fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return log_error_errno(errno, NULL, "listen-failed", "Failed to create the socket: %m");
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, (struct sockaddr *) &ss, len) < 0 || listen(fd, 1024) < 0) {
                int r = log_error_errno(errno, NULL, "listen-failed", "Failed to listen on %s: %m", cfg->listen);
                close(fd);
                return r;
        }
        *ret_fd = fd;
        *ret_activated = false;
        return 0;
}

/* The listening socket is on a loopback address (or a Unix socket): only this machine reaches it. */
static bool listener_is_local(int fd) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);

        if (getsockname(fd, (struct sockaddr *) &ss, &len) < 0)
                return false;
        if (ss.ss_family == AF_UNIX)
                return true;
        if (ss.ss_family == AF_INET)
                return (ntohl(((struct sockaddr_in *) &ss)->sin_addr.s_addr) >> 24) == 127;
        if (ss.ss_family == AF_INET6) {
                const struct in6_addr *a = &((struct sockaddr_in6 *) &ss)->sin6_addr;
                return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
        }
        return false;
}

/* Accounts or none: asked for, or decided by where we listen. */
static int setup_auth(web_t *w, int listen_fd) {
        bool local = listener_is_local(listen_fd);
        uint64_t accounts = 0, admins = 0;
        int r;

        w->auth_accounts = w->cfg->auth == CONFIG_AUTH_ACCOUNTS || w->cfg->auth == CONFIG_AUTH_PROXY ||
                           (w->cfg->auth == CONFIG_AUTH_DEFAULT && !local);
        if (!w->auth_accounts) {
                if (!local)
                        log_warning(NULL, "auth-none-exposed",
                                    "Running without accounts (--auth=none) on a socket other machines reach: "
                                    "anyone who reaches it sees and deletes every capture's report");
                return 0;
        }
        r = login_start(w);
        if (r < 0)
                return log_error_errno(r, NULL, "setup-failed", "Failed to start the login thread: %m");
        r = store_user_count(w->store, &accounts, &admins);
        if (r >= 0 && admins == 0)
                log_notice(NULL, "no-admin",
                           "Accounts are on and no active administrator exists yet: create one with "
                           "'pcapctl user add NAME --role admin' (%llu accounts)", (unsigned long long) accounts);
        if (w->cfg->auth == CONFIG_AUTH_PROXY)
                log_info(NULL, "auth", "Accounts are on, with the user named in %s by %s", w->cfg->user_header,
                         w->cfg->trusted_proxy);
        else
                log_info(NULL, "auth", "Accounts are on (%s)",
                         w->cfg->auth == CONFIG_AUTH_ACCOUNTS ? "--auth=accounts" : "the socket is not loopback");
        return 0;
}

static int load_queued(const store_task_t *row, void *userdata) {
        web_t *w = userdata;

        if (!state_capture_exists(&w->state, row->id)) {
                int64_t now = store_now_ms();
                (void) store_task_fail(w->store, row->id, now, now + (int64_t) w->cfg->retention_ms, "capture lost", 0);
                log_warning(row->id, "capture-lost", "Queued task without its capture, marked failed");
                return 0;
        }
        return dispatcher_enqueue(&w->dispatcher, row, http_now_mono());
}

static void on_orphan_removed(const char *id, const char *dir, const char *name, const char *why, int error,
                              void *userdata) {
        if (error == 0)
                log_notice(id, "orphan-removed", "Removed %s/%s left by an interrupted run (%s)", dir, name, why);
}

/* The state directory, the store, recovery, and the queue as the last run left it. */
static int setup_state(web_t *w) {
        dispatcher_config_t dcfg = {
                .workers = w->cfg->workers,
                .retention_ms = w->cfg->retention_ms,
                .analysis_timeout_s = w->cfg->analysis_timeout_s,
                .memory_budget_bytes = w->cfg->memory_budget_bytes,
                .analyzer_socket = w->cfg->analyzer_socket,
                .analyzer_exec = w->cfg->analyzer_exec,
                .max_packets = w->cfg->max_packets,
                .max_flows = w->cfg->max_flows,
                .max_events = w->cfg->max_events,
                .thresholds = &w->cfg->thresholds,
                .node_id = w->cfg->node_id,
                .lease_s = w->cfg->lease_s,
        };
        bool shared;
        char path[4096];
        int r;

        r = state_dir_open(&w->state, w->cfg->state_dir, true);
        if (r < 0)
                return log_error_errno(r, NULL, "state-dir-failed", "Failed to open the state directory %s: %m",
                                       w->cfg->state_dir);
        r = state_dir_database(&w->state, w->cfg->database, path, sizeof(path));
        if (r >= 0)
                r = store_open(path, &w->store);
        if (r < 0)
                return log_error_errno(r, NULL, "store-open-failed", "Failed to open the database %s: %m%s",
                                       w->cfg->database ? w->cfg->database : path,
                                       r == -EPROTONOSUPPORT ? " (written by a newer pcapd)" : "");
        shared = store_shared(w->store);
        log_info(NULL, "store-opened", "Database: %s (%s)", w->cfg->database ? w->cfg->database : path,
                 store_backend(w->store));
        {
                char f1[STORE_NODE_MAX + 16];
                log_struct_errno(LOG_INFO, 0, NULL, "node-id", LOG_FIELDS(LOG_FIELD(f1, "PCAPD_NODE=%s", w->cfg->node_id)),
                                 "Node %s: analyses claimed with leases of %u s%s", w->cfg->node_id, w->cfg->lease_s,
                                 shared ? ", from the queue every node shares" : "");
        }
        /* the loop's connection never waits for the disk: ordered (not fsync'd) commits, no checkpoints
         * (the writer thread's connection does both) */
        r = store_tune(w->store, false, false);
        if (r < 0)
                return log_error_errno(r, NULL, "store-open-failed", "Failed to configure %s: %m", path);
        dispatcher_init(&w->dispatcher, &dcfg, w->loop, w->store, &w->state);
        r = relay_start(&w->relay, w->loop, path, &w->dispatcher);
        if (r < 0)
                return log_error_errno(r, NULL, "relay-failed", "Failed to relay other nodes' progress: %m");
        r = store_recover(w->store, store_now_ms(), dispatcher_capture_exists, &w->dispatcher);
        if (r < 0)
                return log_error_errno(r, NULL, "store-recover-failed", "Failed to recover interrupted tasks: %m");
        if (r > 0)
                log_notice(NULL, "tasks-recovered", "%d interrupted analyses recovered (queued again or failed)", r);
        (void) state_reserve_make(&w->state);
        /* at start nothing of ours is in flight: a capture whose task is gone or finished, or a report whose
         * task did not complete, was left by a crash (kill -9 mid-upload, or a failure to record the end).
         * Not so with a shared database: the reaper's rules then, with its grace for uploads being stored
         * (harmless with a state directory of this node's own, needed where nodes still share one) */
        (void) state_dir_sweep(&w->state, w->store, shared, store_now_ms() / 1000, shared ? STATE_ORPHAN_GRACE_S : 0,
                               on_orphan_removed, NULL);

        /* one node: its queue as the last run left it, followed here. Shared: the queue is every node's,
         * claimed by the poll like any other */
        if (shared)
                return 0;
        r = store_list_status(w->store, TASK_QUEUED, load_queued, w);
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
        /* static storage: h2o's configuration lives as long as the process, and stays reachable for
         * LeakSanitizer at exit; still no other file sees it */
        static server_t s = { .web = { .state = STATE_DIR_NULL, .cfg = &s.cfg } };
        web_t *w = &s.web;
        h2o_hostconf_t *host;
        uint64_t wd_usec = 0;
        bool activated = false;
        int listen_fd = -1, r;

        log_open("pcapd-web", LOG_TARGET_AUTO);
        r = config_parse(&s.cfg, argc, argv);
        if (r != 0)
                return r > 0 ? EXIT_SUCCESS : 2;
        raise_nofile();
        w->started_at = store_now_ms();

        /* h2o moves bodies over 32 MiB to an mmap'd, unlinked temp file: keep it on the state directory's
         * filesystem (covered by the unit's write access, never a small /tmp) */
        snprintf(h2o_socket_buffer_mmap_settings.fn_template, sizeof(h2o_socket_buffer_mmap_settings.fn_template),
                 "%s/.h2o-body.XXXXXX", w->cfg->body_dir ? w->cfg->body_dir : w->cfg->state_dir);

        h2o_config_init(&w->h2o);
        w->h2o.server_name = h2o_iovec_init(H2O_STRLIT("pcapd"));
        w->h2o.max_request_entity_size = (size_t) w->cfg->max_upload_bytes;
        w->h2o.http1.req_timeout = MAX((uint64_t) 60000, w->cfg->max_upload_bytes / UPLOAD_MIN_RATE * 1000);
        w->h2o.http2.idle_timeout = (uint64_t) w->cfg->idle_timeout_s * 1000;
        host = h2o_config_register_host(&w->h2o, h2o_iovec_init(H2O_STRLIT("default")), 65535);
        routes_register(w, host);

        w->loop = h2o_evloop_create();
        h2o_context_init(&w->ctx, w->loop, &w->h2o);
        w->accept_ctx.ctx = &w->ctx;
        w->accept_ctx.hosts = w->h2o.hosts;

        if (setup_signals(&s) < 0) {
                log_error_errno(errno, NULL, "setup-failed", "Failed to set up signals: %m");
                return EXIT_FAILURE;
        }
        /* after the signal mask (the thread inherits it: SIGCHLD stays the signalfd's), before the queue
         * is loaded (its first tasks may start at once) */
        r = spawner_start(w->loop);
        if (r < 0) {
                log_error_errno(r, NULL, "setup-failed", "Failed to start the spawner thread: %m");
                return EXIT_FAILURE;
        }
        if (setup_state(w) < 0)
                return EXIT_FAILURE;
        {
                char db[4096];
                r = state_dir_database(&w->state, w->cfg->database, db, sizeof(db));
                if (r >= 0)
                        r = writer_start(w->loop, db);
                if (r < 0) {
                        log_error_errno(r, NULL, "setup-failed", "Failed to start the writer thread: %m");
                        return EXIT_FAILURE;
                }
                /* shared bytes: the captures of other nodes' uploads come from the database */
                if (store_shared(w->store))
                        r = fetcher_start(w->loop, db);
                if (r < 0) {
                        log_error_errno(r, NULL, "setup-failed", "Failed to start the fetcher thread: %m");
                        return EXIT_FAILURE;
                }
        }
        if (open_listener(w->cfg, &listen_fd, &activated) < 0)
                return EXIT_FAILURE;
        if (setup_auth(w, listen_fd) < 0)
                return EXIT_FAILURE;
        r = expiry_start(w);
        if (r < 0) {
                log_error_errno(r, NULL, "setup-failed", "Failed to start the expiry thread: %m");
                return EXIT_FAILURE;
        }
        if (w->cfg->tls_cert) {
                char why[512];
                SSL_CTX *ssl = NULL;
                r = tls_context_new(w->cfg->tls_cert, w->cfg->tls_key, &ssl, why, sizeof(why));
                if (r < 0) {
                        log_error_errno(r, NULL, "tls-failed", "HTTPS cannot start: %s", why);
                        return EXIT_FAILURE;
                }
                w->accept_ctx.ssl_ctx = ssl;
                w->tls = true;
                log_info(NULL, "tls", "Serving HTTPS (TLS 1.2+, HTTP/2 by ALPN) with %s", w->cfg->tls_cert);
        }
        if (conn_listen(w->loop, &w->accept_ctx, listen_fd, w->cfg->max_connections, w->cfg->idle_timeout_s) < 0)
                return EXIT_FAILURE;

        h2o_timeout_init(w->loop, &s.tick_timeout, 1000);
        s.tick_entry.cb = on_tick;
        h2o_timeout_link(w->loop, &s.tick_timeout, &s.tick_entry);
        if (sd_watchdog_enabled(0, &wd_usec) > 0 && wd_usec > 0) {
                h2o_timeout_init(w->loop, &s.watchdog_timeout, MAX(wd_usec / 2000, (uint64_t) 1));
                s.watchdog_entry.cb = on_watchdog;
                h2o_timeout_link(w->loop, &s.watchdog_timeout, &s.watchdog_entry);
        }

        log_info(NULL, "started", "pcapd-web %s %s %s, state %s, %u workers, analyzer %s %s", PCAPD_VERSION,
                 activated ? "socket-activated" : "listening on", activated ? "" : w->cfg->listen, w->cfg->state_dir,
                 w->cfg->workers, w->cfg->analyzer_socket ? "socket" : "exec",
                 w->cfg->analyzer_socket ? w->cfg->analyzer_socket : w->cfg->analyzer_exec);
        dispatcher_kick(&w->dispatcher);
        sd_notify(0, "READY=1");
        notify_status(&s);

        while (!s.quit)
                h2o_evloop_run(w->loop, INT32_MAX);

        sd_notify(0, "STOPPING=1\nSTATUS=Stopped");
        log_info(NULL, "stopped", "pcapd-web stopped");
        if (s.signal_sock) {
                h2o_socket_close(s.signal_sock); /* closes the signalfd too */
                s.signal_sock = NULL;
        }
        writer_stop();
        fetcher_stop();
        spawner_stop();
        expiry_stop(w);
        relay_stop(&w->relay);
        if (w->auth_accounts)
                login_stop(w);
        store_close(w->store);
        state_dir_close(&w->state);
        if (w->accept_ctx.ssl_ctx)
                SSL_CTX_free(w->accept_ctx.ssl_ctx);
        config_free(&s.cfg);
        return EXIT_SUCCESS;
}
