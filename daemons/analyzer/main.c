/* pcapd-analyzer: one sandboxed analysis per process, driven over fd 3 (socket activation or spawn). */

/* The order matters (STYLE.md 7): take fd 3, receive the job and its three fds, check them, prepare
 * everything the analysis will touch (stdio buffers, time zone, libpcap, the engine's tables, the
 * timeout message), confine (sandbox.c), and only then read the first byte of the capture. After the
 * filter the process can read and write the fds it holds and talk on fd 3, nothing else; the answers
 * (PROGRESS, then DONE or ERROR) are the frontend's to log.
 *
 * Test hooks, compiled in only with -Dtest_hooks=true (tests/run-all.sh; off in what is installed), read
 * from the environment before the filter, never from the channel:
 * PCAPD_ANALYZER_TEST_ESCAPE=open|socket|exec|fork tries a forbidden thing once confined;
 * PCAPD_ANALYZER_TEST_STALL=slow|hang slows down or hangs the progress callback (timeout paths);
 * PCAPD_ANALYZER_SECCOMP_DEBUG=1 makes a forbidden syscall print its number before the process dies. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stddef.h>
#include <inttypes.h>
#include <math.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "engine/analysis.h"
#include "ipc/ipc.h"
#include "log/log.h"
#include "sandbox.h"
#include "util/macro.h"

#define JOB_WAIT_S 30                  /* a client that connects and sends no job is dropped */
#define TIMEOUT_GRACE_S 10             /* after the soft timeout, how long the analysis may take to stop */
#define CAPTURE_BUFFER (256 * 1024)
#define REPORT_BUFFER (64 * 1024)


/* LeakSanitizer stops the world with clone() and ptrace() at exit, which the filter rightly kills. */
#if defined(__SANITIZE_ADDRESS__)
#define ANALYZER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ANALYZER_ASAN 1
#endif
#endif
#ifdef ANALYZER_ASAN
const char *__asan_default_options(void);
const char *__asan_default_options(void) {
        return "detect_leaks=0";
}
#endif

static bool arg_log_json = false;

/* Set before the alarm is armed; the SIGALRM handler reads them. */
static volatile sig_atomic_t timed_out = 0;
static int alarm_sock = -1;
static uint8_t alarm_msg[IPC_MESSAGE_MAX];
static size_t alarm_msg_len = 0;

typedef struct job {
        char task_id[ID_LEN + 1];
        ipc_job_t params;
        int sock;
        int capture_fd, json_fd, html_fd;
        uint64_t capture_size;
} job_t;

static uint64_t now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

/* The peak resident memory of this process so far, bytes (getrusage: a system call, async-signal-safe in
 * practice, so the alarm handler uses it too). */
static uint64_t peak_rss(void) {
        struct rusage ru;
        if (getrusage(RUSAGE_SELF, &ru) < 0 || ru.ru_maxrss < 0)
                return 0;
        return (uint64_t) ru.ru_maxrss * 1024;
}

/* First SIGALRM: the soft timeout, noticed by the progress callback. Second (or the first while no job
 * is known): tell the frontend with a message prepared in advance, and leave. */
static void on_alarm(int sig) {
        if (alarm_msg_len > 0 && !timed_out) {
                timed_out = 1;
                alarm(TIMEOUT_GRACE_S);
                return;
        }
        if (alarm_msg_len > 0) {
                uint64_t peak = peak_rss();
                memcpy(alarm_msg + sizeof(ipc_header_t) + offsetof(ipc_error_t, peak_rss), &peak, sizeof(peak));
                (void) !send(alarm_sock, alarm_msg, alarm_msg_len, MSG_NOSIGNAL | MSG_DONTWAIT);
        }
        _exit(EXIT_FAILURE);
}

static int send_error(const job_t *j, int code, const char *format, ...) _printf_(3, 4);
static int send_error(const job_t *j, int code, const char *format, ...) {
        ipc_error_t e = { .code = code, .peak_rss = peak_rss() };
        va_list ap;

        va_start(ap, format);
        vsnprintf(e.message, sizeof(e.message), format, ap);
        va_end(ap);
        alarm(0);
        return ipc_send(j->sock, IPC_ERROR, j->task_id, &e, sizeof(e), -1);
}

static void prepare_timeout_message(const job_t *j) {
        ipc_header_t h = { .type = IPC_ERROR, .length = sizeof(ipc_error_t) };
        ipc_error_t e = { .code = IPC_ERROR_TIMEOUT };

        memcpy(h.task_id, j->task_id, ID_LEN);
        snprintf(e.message, sizeof(e.message), "timeout: the analysis took longer than %" PRIu32 " s",
                 j->params.timeout_s);
        memcpy(alarm_msg, &h, sizeof(h));
        memcpy(alarm_msg + sizeof(h), &e, sizeof(e));
        alarm_sock = j->sock;
        alarm_msg_len = sizeof(h) + sizeof(e);
}

static int take_ipc_socket(int *ret_fd) {
        int n, type = 0, domain = 0;
        socklen_t l = sizeof(type);

        n = sd_listen_fds(true);
        if (n < 0)
                return log_error_errno(n, NULL, "analyzer-start", "Failed to read LISTEN_FDS: %m");
        if (n != 1)
                return log_error_errno(EBADF, NULL, "analyzer-start",
                                       "Expected exactly one IPC socket as fd 3 (LISTEN_FDS), got %d", n);
        if (getsockopt(SD_LISTEN_FDS_START, SOL_SOCKET, SO_TYPE, &type, &l) < 0)
                return log_error_errno(errno, NULL, "analyzer-start", "fd 3 is not a socket: %m");
        l = sizeof(domain);
        if (getsockopt(SD_LISTEN_FDS_START, SOL_SOCKET, SO_DOMAIN, &domain, &l) < 0)
                return log_error_errno(errno, NULL, "analyzer-start", "fd 3: %m");
        if (type != SOCK_SEQPACKET || domain != AF_UNIX)
                return log_error_errno(EPROTOTYPE, NULL, "analyzer-start",
                                       "fd 3 must be an AF_UNIX SOCK_SEQPACKET socket (type %d, domain %d)",
                                       type, domain);
        if (fcntl(SD_LISTEN_FDS_START, F_SETFD, FD_CLOEXEC) < 0)
                return log_error_errno(errno, NULL, "analyzer-start", "fd 3: %m");
        *ret_fd = SD_LISTEN_FDS_START;
        return 0;
}

/* JOB (capture) then JOB_FD json, JOB_FD html, all for one task id. On a protocol error the channel is
 * dropped without an answer: the peer is not speaking our protocol. */
static int receive_job(job_t *j) {
        union {
                ipc_job_t job;
                ipc_job_fd_t job_fd;
                uint8_t buf[IPC_MESSAGE_MAX];
        } p;
        ipc_header_t h;
        int fd = -1, r;

        r = ipc_recv(j->sock, &h, &p, sizeof(p), &fd);
        if (r < 0)
                return log_error_errno(r, NULL, "ipc-error", "Failed to receive the job: %m");
        if (h.type != IPC_JOB) {
                safe_close(fd);
                return log_error_errno(EBADMSG, NULL, "ipc-error", "Expected JOB, got message type %" PRIu32,
                                       h.type);
        }
        memcpy(j->task_id, h.task_id, ID_LEN);
        j->task_id[ID_LEN] = 0;
        j->params = p.job;
        j->capture_fd = fd;

        for (uint32_t which = 0; which < 2; which++) {
                fd = -1;
                r = ipc_recv(j->sock, &h, &p, sizeof(p), &fd);
                if (r < 0)
                        return log_error_errno(r, j->task_id, "ipc-error",
                                               "Failed to receive the report fds: %m");
                if (h.type != IPC_JOB_FD || p.job_fd.which != which ||
                    memcmp(h.task_id, j->task_id, ID_LEN) != 0) {
                        safe_close(fd);
                        return log_error_errno(EBADMSG, j->task_id, "ipc-error",
                                               "Expected JOB_FD %" PRIu32 " for the same task", which);
                }
                if (which == 0)
                        j->json_fd = fd;
                else
                        j->html_fd = fd;
        }
        return 0;
}

/* NULL when fd is a regular file opened as wanted, else why not. */
static const char *check_fd(int fd, bool want_write, uint64_t *ret_size) {
        struct stat st;
        int fl;

        if (fstat(fd, &st) < 0 || (fl = fcntl(fd, F_GETFL)) < 0)
                return "cannot be inspected";
        if (!S_ISREG(st.st_mode))
                return "is not a regular file";
        if (want_write && (fl & O_ACCMODE) == O_RDONLY)
                return "is not open for writing";
        if (!want_write && (fl & O_ACCMODE) != O_RDONLY)
                return "is not open read-only";
        if (ret_size)
                *ret_size = (uint64_t) st.st_size;
        return NULL;
}

static int send_progress(job_t *j, const char *phase, uint64_t bytes_done, uint64_t packets, double percent) {
        ipc_progress_t p = { .bytes_done = bytes_done, .packets = packets, .peak_rss = peak_rss() };

        snprintf(p.phase, sizeof(p.phase), "%s", phase && *phase ? phase : "working");
        if (!isfinite(percent) || percent < 0)
                percent = -1;
        p.percent = MIN(percent, 100.0);
        return ipc_send(j->sock, IPC_PROGRESS, j->task_id, &p, sizeof(p), -1);
}

/* Test hook PCAPD_ANALYZER_TEST_STALL: "slow" spends 600 ms per progress callback (the engine makes at
 * least two: reading, diagnosing), "hang" never returns from one (ignoring the soft timeout), so tests
 * reach both timeout paths with a small capture and a 1 s timeout. */
static enum { STALL_NONE, STALL_SLOW, STALL_HANG } arg_test_stall = STALL_NONE;

static void test_stall(void) {
        uint64_t until = now_ns() + 600000000;
        if (arg_test_stall == STALL_HANG)
                for (;;)
                        (void) now_ns();
        while (arg_test_stall == STALL_SLOW && now_ns() < until)
                ;
}

static int on_progress(const analysis_progress_t *p, void *userdata) {
        job_t *j = userdata;
        const char *phase = p->phase ? p->phase : "reading";

        if (arg_test_stall != STALL_NONE)
                test_stall();
        if (timed_out)
                return -ETIME;
        if (strcmp(phase, "done") == 0) /* the engine's last phase: our DONE message says it */
                return 0;
        /* no throttle here: the engine calls at most every 100 ms or 1 % of the capture, and pcapd-web
         * decides what its streams see */
        return send_progress(j, phase, p->bytes_done, p->packets, p->percent);
}

/* Buffers of our own: stdio would otherwise fstat() each fd to size one (and only 4 KiB). */
static char capture_buffer[CAPTURE_BUFFER];
static char json_buffer[REPORT_BUFFER];
static char html_buffer[REPORT_BUFFER];

static FILE *fdopen_buffered(int fd, const char *mode, char *buffer, size_t size) {
        FILE *f = fdopen(fd, mode);
        if (!f)
                return NULL;
        if (setvbuf(f, buffer, _IOFBF, size) != 0) {
                fclose(f);
                return NULL;
        }
        return f;
}

static int write_report(analysis_t *a, FILE *f, int (*writer)(analysis_t *, FILE *)) {
        int r = writer(a, f);
        if (r < 0)
                return r;
        if (fflush(f) != 0 || ferror(f))
                return errno > 0 ? -errno : -EIO;
        return 0;
}

static int report_write_error(job_t *j, const char *what, int r) {
        if (r == -EFBIG)
                return send_error(j, IPC_ERROR_LIMIT, "the %s report is larger than %" PRIu64 " MiB", what,
                                  SANDBOX_REPORT_MAX >> 20);
        return send_error(j, IPC_ERROR_INTERNAL, "writing the %s report failed: %s", what, strerror(-r));
}

/* ERROR for a failed step; nothing when the frontend is gone (nobody to tell). */
static int send_failure(job_t *j, analysis_t *a, int r, const char *step) {
        if (r == -ETIME || timed_out)
                return send_error(j, IPC_ERROR_TIMEOUT, "timeout: the analysis took longer than %" PRIu32 " s",
                                  j->params.timeout_s);
        if (r == -EPIPE || r == -ECONNRESET)
                return r;
        if (r == -ENOMEM)
                return send_error(j, IPC_ERROR_LIMIT, "memory limit reached after %" PRIu64 " packets",
                                  analysis_get_packets(a));
        return send_error(j, IPC_ERROR_INTERNAL, "%s failed: %s", step, strerror(-r));
}

/* The thresholds pcapd-web read from its configuration file, as the job carries them: 1 when they are in
 * use, else what sending the ERROR returned (as run() returns it). */
static int job_thresholds(job_t *j, analysis_t *a) {
        _Static_assert(_TH_MAX <= IPC_THRESHOLDS_MAX, "the thresholds fit in a job");
        thresholds_t t;
        threshold_id_t bad = 0;

        if (j->params.n_thresholds == 0)
                return 1; /* the engine's defaults */
        if (j->params.n_thresholds != _TH_MAX)
                return send_error(j, IPC_ERROR_INTERNAL, "the job carries %" PRIu32 " thresholds, this analyzer "
                                  "knows %u: pcapd-web and pcapd-analyzer come from different builds",
                                  j->params.n_thresholds, (unsigned) _TH_MAX);
        thresholds_default(&t);
        for (unsigned i = 0; i < _TH_MAX; i++) {
                t.v[i] = j->params.thresholds[i];
                t.source[i] = j->params.threshold_source[i] < _TS_MAX ? j->params.threshold_source[i] : TS_FILE;
        }
        if (thresholds_check(&t, &bad) < 0)
                return send_error(j, IPC_ERROR_INTERNAL, "the job's threshold %s is out of its range",
                                  threshold_name(bad));
        return analysis_set_thresholds(a, &t) < 0 ? send_error(j, IPC_ERROR_INTERNAL, "thresholds refused") : 1;
}

static int run(job_t *j) {
        _cleanup_fclose_ FILE *capture = NULL, *json = NULL, *html = NULL;
        analysis_t *a = NULL;
        analysis_limits_t limits;
        char errbuf[PCAP_ERRBUF_SIZE + 64] = "";
        const char *env, *why;
        char escape_what[16] = "";
        bool debug_trap = false;
        int r;

        /* 1. check what we were given */
        if ((why = check_fd(j->capture_fd, false, &j->capture_size)))
                return send_error(j, IPC_ERROR_INTERNAL, "the capture fd given to the analyzer %s", why);
        if ((why = check_fd(j->json_fd, true, NULL)))
                return send_error(j, IPC_ERROR_INTERNAL, "the JSON report fd given to the analyzer %s", why);
        if ((why = check_fd(j->html_fd, true, NULL)))
                return send_error(j, IPC_ERROR_INTERNAL, "the HTML report fd given to the analyzer %s", why);

        /* 2. initialise everything the analysis will need: after the filter nothing can be opened */
        capture = fdopen_buffered(j->capture_fd, "r", capture_buffer, sizeof(capture_buffer));
        if (!capture)
                return send_error(j, IPC_ERROR_INTERNAL, "fdopen: %m");
        j->capture_fd = -1;
        json = fdopen_buffered(j->json_fd, "w", json_buffer, sizeof(json_buffer));
        if (!json)
                return send_error(j, IPC_ERROR_INTERNAL, "fdopen: %m");
        j->json_fd = -1;
        html = fdopen_buffered(j->html_fd, "w", html_buffer, sizeof(html_buffer));
        if (!html)
                return send_error(j, IPC_ERROR_INTERNAL, "fdopen: %m");
        j->html_fd = -1;

        tzset();
#ifdef PCAP_CHAR_ENC_UTF_8
        (void) pcap_init(PCAP_CHAR_ENC_UTF_8, errbuf);
#endif
        (void) pcap_lib_version();

        analysis_limits_default(&limits);
        if (j->params.max_packets > 0)
                limits.max_packets = j->params.max_packets;
        if (j->params.max_flows > 0)
                limits.max_flows = j->params.max_flows;
        if (j->params.max_events > 0)
                limits.max_events = j->params.max_events;
        r = analysis_new(&limits, &a);
        if (r < 0)
                return send_error(j, IPC_ERROR_INTERNAL, "cannot start the analysis: %s", strerror(-r));
        r = job_thresholds(j, a);
        if (r <= 0) {
                analysis_free(a);
                return r;
        }

#if PCAPD_TEST_HOOKS
        /* Test hooks come from the environment (never from the channel): read now, acted upon after. */
        env = getenv("PCAPD_ANALYZER_TEST_ESCAPE");
        if (env)
                snprintf(escape_what, sizeof(escape_what), "%s", env);
        env = getenv("PCAPD_ANALYZER_TEST_STALL");
        if (env && strcmp(env, "slow") == 0)
                arg_test_stall = STALL_SLOW;
        else if (env && strcmp(env, "hang") == 0)
                arg_test_stall = STALL_HANG;
        debug_trap = getenv("PCAPD_ANALYZER_SECCOMP_DEBUG") != NULL;
#else
        (void) env;
#endif

        prepare_timeout_message(j);
        if (j->params.timeout_s > 0)
                alarm(j->params.timeout_s);
        else
                alarm(0);

        /* 3. confine */
        {
                int keep[] = { j->sock, fileno(capture), fileno(json), fileno(html) };
                sandbox_config_t c = {
                        .keep_fds = keep,
                        .n_keep_fds = ELEMENTSOF(keep),
                        .ipc_fd = j->sock,
                        .debug_trap = debug_trap,
                        .memory_max = j->params.memory_budget,
                };
                if (log_get_target() == LOG_TARGET_JOURNAL)
                        log_open(NULL, LOG_TARGET_STREAM); /* the journal socket is out of reach now */
                r = sandbox_confine(&c);
                if (r < 0) {
                        log_error_errno(r, j->task_id, "sandbox-failed",
                                        "Failed to confine the analyzer: %m");
                        r = send_error(j, IPC_ERROR_INTERNAL, "the analyzer could not confine itself: %s",
                                       strerror(-r));
                        goto out;
                }
        }

        if (escape_what[0]) {
                r = sandbox_try_escape(escape_what);
                if (r < 0) {
                        r = send_error(j, IPC_ERROR_INTERNAL, "test escape '%s' refused by the sandbox: %s",
                                       escape_what, strerror(-r));
                        goto out;
                }
                /* the sandbox let it through: carry on, so the test sees a job that did not fail */
                log_error(j->task_id, "sandbox-escaped", "Test escape '%s' was NOT refused", escape_what);
        }

        /* 4. analyse */
        r = analysis_read_file(a, capture, j->capture_size, on_progress, j, errbuf, sizeof(errbuf));
        if (r == -EBADMSG) {
                r = send_error(j, IPC_ERROR_NOT_CAPTURE, "%s",
                               errbuf[0] ? errbuf : "not a capture file: unknown format");
                goto out;
        }
        if (r >= 0)
                r = analysis_finish(a);
        if (r < 0 || timed_out) {
                r = send_failure(j, a, r, "analysing the capture");
                goto out;
        }

        r = send_progress(j, "writing", j->capture_size, analysis_get_packets(a), 100);
        if (r < 0)
                goto out;
        r = write_report(a, json, analysis_write_json);
        if (r < 0) {
                r = report_write_error(j, "JSON", r);
                goto out;
        }
        r = write_report(a, html, analysis_write_html);
        if (r < 0) {
                r = report_write_error(j, "HTML", r);
                goto out;
        }
        if (timed_out) {
                r = send_failure(j, a, -ETIME, "writing the reports");
                goto out;
        }

        {
                int score = analysis_get_health_score(a);
                ipc_done_t d = {
                        .packets = analysis_get_packets(a),
                        .peak_rss = peak_rss(),
                        .health_score = score < 0 ? 0 : score > 100 ? 100 : score,
                        .findings = analysis_get_findings_count(a),
                        .partial = analysis_is_partial(a) ? 1 : 0,
                };
                alarm(0);
                r = ipc_send(j->sock, IPC_DONE, j->task_id, &d, sizeof(d), -1);
                if (r >= 0)
                        r = 1; /* success */
        }
out:
        analysis_free(a);
        return r;
}

static void help(void) {
        printf("Usage: pcapd-analyzer [--log-json]\n\n"
               "Runs one analysis for pcapd-web, sandboxed. Not meant to be run by hand: it\n"
               "expects an AF_UNIX SOCK_SEQPACKET socket as fd 3 (LISTEN_FDS=1, from systemd's\n"
               "pcapd-analyzer.socket or from pcapd-web's --analyzer-exec), receives the job\n"
               "and its fds there, confines itself (no new privileges, rlimits, seccomp\n"
               "allow-list) and answers PROGRESS, then DONE or ERROR.\n\n"
               "  --log-json   log JSON lines on stderr even under journald\n"
               "  --version    print the version\n"
               "  -h --help    this text\n");
}

static int parse_argv(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                { "log-json", no_argument, NULL, 'j' },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case 'V':
                        printf("pcapd-analyzer (pcapd) %s\n", PCAPD_VERSION);
                        return 0;
                case 'j':
                        arg_log_json = true;
                        break;
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                fprintf(stderr, "pcapd-analyzer takes no arguments\n");
                return -EINVAL;
        }
        return 1;
}

int main(int argc, char *argv[]) {
        job_t j = { .sock = -1, .capture_fd = -1, .json_fd = -1, .html_fd = -1 };
        struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
        sigset_t mask;
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        log_open("pcapd-analyzer", arg_log_json ? LOG_TARGET_JSON : LOG_TARGET_AUTO);

        /* whatever the spawner left blocked or ignored */
        sigemptyset(&mask);
        sigaddset(&mask, SIGALRM);
        sigprocmask(SIG_UNBLOCK, &mask, NULL);
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGALRM, &sa, NULL) < 0 || signal(SIGPIPE, SIG_IGN) == SIG_ERR)
                return log_error_errno(errno, NULL, "analyzer-start", "sigaction: %m"), EXIT_FAILURE;

        if (take_ipc_socket(&j.sock) < 0)
                return EXIT_FAILURE;

        alarm(JOB_WAIT_S);
        r = receive_job(&j);
        alarm(0);
        if (r < 0) {
                safe_close(j.capture_fd);
                safe_close(j.json_fd);
                safe_close(j.html_fd);
                return EXIT_FAILURE;
        }

        r = run(&j);
        safe_close(j.capture_fd);
        safe_close(j.json_fd);
        safe_close(j.html_fd);
        return r > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
