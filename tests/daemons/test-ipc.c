/* test-ipc: the protocol over real sockets (round trips with fds, every malformed case) and the client's
 * connect/spawn, with this binary re-executed as the spawned child. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../check.h"

#include "ipc/analyzer-client.h"
#include "ipc/ipc.h"
#include "util/macro.h"

static const char TASK[ID_LEN + 1] = "0123456789abcdef0123456789abcdef";

static unsigned count_fds(void) {
        unsigned n = 0;
        for (int fd = 0; fd < 1024; fd++)
                if (fcntl(fd, F_GETFD) >= 0)
                        n++;
        return n;
}

static void socketpair_seq(int sv[2]) {
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
                perror("socketpair");
                exit(EXIT_FAILURE);
        }
}

/* Sends a raw record with n fds, bypassing ipc_send()'s checks. */
static void send_raw(int sock, const void *buf, size_t len, const int *fds, unsigned n_fds) {
        struct iovec iov = { .iov_base = (void *) buf, .iov_len = len };
        union {
                struct cmsghdr c;
                uint8_t b[CMSG_SPACE(sizeof(int) * 8)];
        } control = {};
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        if (n_fds > 0) {
                mh.msg_control = &control;
                mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
                memcpy(CMSG_DATA(c), fds, sizeof(int) * n_fds);
        }
        if (sendmsg(sock, &mh, MSG_NOSIGNAL) != (ssize_t) len) {
                perror("sendmsg");
                exit(EXIT_FAILURE);
        }
}

static size_t build(uint8_t *buf, uint32_t type, uint32_t length, const char *task, const void *payload,
                    size_t payload_len) {
        ipc_header_t h = { .type = type, .length = length };
        memcpy(h.task_id, task, ID_LEN);
        memcpy(buf, &h, sizeof(h));
        if (payload_len > 0)
                memcpy(buf + sizeof(h), payload, payload_len);
        return sizeof(h) + payload_len;
}

static void test_payload_sizes(void) {
        CHECK_EQ(ipc_payload_size(IPC_JOB), sizeof(ipc_job_t));
        CHECK_EQ(ipc_payload_size(IPC_JOB_FD), sizeof(ipc_job_fd_t));
        CHECK_EQ(ipc_payload_size(IPC_PROGRESS), sizeof(ipc_progress_t));
        CHECK_EQ(ipc_payload_size(IPC_DONE), sizeof(ipc_done_t));
        CHECK_EQ(ipc_payload_size(IPC_ERROR), sizeof(ipc_error_t));
        CHECK_EQ(ipc_payload_size(0), -EBADMSG);
        CHECK_EQ(ipc_payload_size(_IPC_TYPE_MAX), -EBADMSG);
        CHECK_EQ(ipc_payload_size(0xffffffffu), -EBADMSG);
}

static void test_round_trip(void) {
        int sv[2], pipefd[2], fd = -1;
        ipc_header_t h;
        union {
                ipc_job_t job;
                ipc_job_fd_t job_fd;
                ipc_progress_t progress;
                ipc_done_t done;
                ipc_error_t error;
        } in;
        char c = 0;

        socketpair_seq(sv);
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                exit(EXIT_FAILURE);

        /* JOB with an fd: the received fd is CLOEXEC and is the same pipe */
        ipc_job_t job = { .version = IPC_PROTOCOL_VERSION, .max_flows = 7, .timeout_s = 9, .max_packets = 1u << 20,
                          .memory_budget = 123456789, .max_events = 42 };
        CHECK_EQ(ipc_send(sv[0], IPC_JOB, TASK, &job, sizeof(job), pipefd[1]), 0);
        CHECK_EQ(ipc_recv(sv[1], &h, &in, sizeof(in), &fd), 0);
        CHECK_EQ(h.type, IPC_JOB);
        CHECK_EQ(h.length, sizeof(ipc_job_t));
        CHECK(memcmp(h.task_id, TASK, ID_LEN) == 0);
        CHECK(memcmp(&in.job, &job, sizeof(job)) == 0);
        CHECK(fd >= 0);
        CHECK(fd != pipefd[1]);
        CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        CHECK_EQ(write(fd, "x", 1), 1);
        CHECK_EQ(read(pipefd[0], &c, 1), 1);
        CHECK_EQ(c, 'x');
        safe_close(fd);

        /* the three messages of a job, through the client helper */
        CHECK_EQ(analyzer_send_job(sv[0], TASK, &job, pipefd[0], pipefd[1], pipefd[1]), 0);
        CHECK_EQ(ipc_recv(sv[1], &h, &in, sizeof(in), &fd), 0);
        CHECK_EQ(h.type, IPC_JOB);
        safe_close(fd);
        for (uint32_t which = 0; which < 2; which++) {
                fd = -1;
                CHECK_EQ(ipc_recv(sv[1], &h, &in, sizeof(in), &fd), 0);
                CHECK_EQ(h.type, IPC_JOB_FD);
                CHECK_EQ(in.job_fd.which, which);
                CHECK(fd >= 0);
                safe_close(fd);
        }

        /* the analyzer's answers, without fds */
        ipc_progress_t p = { .bytes_done = 10, .packets = 3, .peak_rss = 7u << 20, .percent = 10.0 };
        strcpy(p.phase, "reading");
        CHECK_EQ(ipc_send(sv[1], IPC_PROGRESS, TASK, &p, sizeof(p), -1), 0);
        fd = 12345;
        CHECK_EQ(ipc_recv(sv[0], &h, &in, sizeof(in), &fd), 0);
        CHECK_EQ(fd, -1);
        CHECK_EQ(h.type, IPC_PROGRESS);
        CHECK(strcmp(in.progress.phase, "reading") == 0);
        CHECK_EQ(in.progress.packets, 3);
        CHECK_EQ(in.progress.peak_rss, 7u << 20);

        ipc_done_t d = { .packets = 5, .peak_rss = 500 << 20, .health_score = 87, .findings = 2, .partial = 1 };
        CHECK_EQ(ipc_send(sv[1], IPC_DONE, TASK, &d, sizeof(d), -1), 0);
        CHECK_EQ(ipc_recv(sv[0], &h, &in, sizeof(in), &fd), 0);
        CHECK_EQ(h.type, IPC_DONE);
        CHECK(memcmp(&in.done, &d, sizeof(d)) == 0);

        ipc_error_t e = { .code = IPC_ERROR_NOT_CAPTURE, .peak_rss = 1 << 20 };
        strcpy(e.message, "not a capture: unknown file format");
        CHECK_EQ(ipc_send(sv[1], IPC_ERROR, TASK, &e, sizeof(e), -1), 0);
        CHECK_EQ(ipc_recv(sv[0], &h, &in, sizeof(in), &fd), 0);
        CHECK_EQ(h.type, IPC_ERROR);
        CHECK_EQ(in.error.code, IPC_ERROR_NOT_CAPTURE);
        CHECK_EQ(in.error.peak_rss, 1 << 20);
        CHECK(strcmp(in.error.message, e.message) == 0);

        /* sender-side checks */
        CHECK_EQ(ipc_send(sv[0], IPC_JOB, TASK, &job, sizeof(job) - 1, pipefd[0]), -EINVAL);
        CHECK_EQ(ipc_send(sv[0], IPC_JOB, TASK, &job, sizeof(job), -1), -EINVAL);   /* JOB needs its fd */
        CHECK_EQ(ipc_send(sv[1], IPC_DONE, TASK, &d, sizeof(d), pipefd[0]), -EINVAL); /* DONE takes none */
        CHECK_EQ(ipc_send(sv[1], 99, TASK, &d, sizeof(d), -1), -EINVAL);

        /* receive buffer too small for the type */
        CHECK_EQ(ipc_send(sv[1], IPC_ERROR, TASK, &e, sizeof(e), -1), 0);
        CHECK_EQ(ipc_recv(sv[0], &h, &in, sizeof(ipc_done_t), &fd), -ENOBUFS);

        /* non-blocking and nothing there; then EOF */
        CHECK_EQ(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
        CHECK_EQ(ipc_recv(sv[0], &h, &in, sizeof(in), &fd), -EAGAIN);
        CHECK_EQ(fcntl(sv[0], F_SETFL, 0), 0);
        safe_close(sv[1]);
        CHECK_EQ(ipc_recv(sv[0], &h, &in, sizeof(in), &fd), -ECONNRESET);
        /* and a send to a peer that is gone is an error, not a SIGPIPE */
        CHECK_EQ(ipc_send(sv[0], IPC_DONE, TASK, &d, sizeof(d), -1), -EPIPE);

        safe_close(sv[0]);
        safe_close(pipefd[0]);
        safe_close(pipefd[1]);
}

/* Each malformed record must be refused, and the fds it carried must not leak into the receiver. */
static void expect_refused(const char *what, const void *buf, size_t len, unsigned n_fds, int expected) {
        int sv[2], fds[8], fd = -1;
        ipc_header_t h;
        uint8_t payload[IPC_MESSAGE_MAX];
        unsigned before;
        int r;

        socketpair_seq(sv);
        for (unsigned i = 0; i < n_fds; i++)
                fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
        send_raw(sv[0], buf, len, fds, n_fds);
        for (unsigned i = 0; i < n_fds; i++)
                safe_close(fds[i]);

        before = count_fds();
        r = ipc_recv(sv[1], &h, payload, sizeof(payload), &fd);
        if (r != expected) {
                fprintf(stderr, "FAIL %s: ipc_recv() = %d (%s), expected %d\n", what, r, strerror(-r), expected);
                tu_failures++;
        }
        if (r == 0)
                safe_close(fd); /* accepted: the fd is ours, and accounted for */
        if (count_fds() != before) {
                fprintf(stderr, "FAIL %s: %u fds before, %u after: received fds leaked\n", what, before,
                        count_fds());
                tu_failures++;
        }
        safe_close(sv[0]);
        safe_close(sv[1]);
}

static void test_malformed(void) {
        uint8_t buf[IPC_MESSAGE_MAX + 64] = {};
        ipc_job_t job = { .version = IPC_PROTOCOL_VERSION };
        ipc_job_fd_t jf = { .which = 0 };
        ipc_progress_t p = { .percent = 1 };
        ipc_done_t d = { .health_score = 50 };
        ipc_error_t e = { .code = 5 };
        size_t n;

        strcpy(p.phase, "reading");
        strcpy(e.message, "x");

        /* well-formed controls: the same cases pass when nothing is wrong */
        n = build(buf, IPC_JOB, sizeof(job), TASK, &job, sizeof(job));
        expect_refused("control: a well-formed JOB", buf, n, 1, 0);
        n = build(buf, IPC_DONE, sizeof(d), TASK, &d, sizeof(d));
        expect_refused("control DONE", buf, n, 0, 0);

        /* sizes */
        expect_refused("empty record", buf, 0, 0, -ECONNRESET);
        expect_refused("short header", buf, sizeof(ipc_header_t) - 1, 0, -EBADMSG);
        n = build(buf, IPC_JOB, sizeof(job), TASK, &job, sizeof(job));
        expect_refused("JOB cut short", buf, n - 1, 1, -EBADMSG);
        uint8_t longer[sizeof(job) + 1] = {};
        memcpy(longer, &job, sizeof(job));
        n = build(buf, IPC_JOB, sizeof(longer), TASK, longer, sizeof(longer));
        expect_refused("JOB too long", buf, n, 1, -EBADMSG);
        n = build(buf, IPC_JOB, sizeof(job) - 8, TASK, &job, sizeof(job));
        expect_refused("length field disagrees", buf, n, 1, -EBADMSG);
        n = build(buf, IPC_ERROR, sizeof(e), TASK, &e, sizeof(e));
        expect_refused("record over IPC_MESSAGE_MAX", buf, n + 32, 0, -EBADMSG);

        /* types */
        n = build(buf, 0, 0, TASK, NULL, 0);
        expect_refused("type 0", buf, n, 0, -EBADMSG);
        n = build(buf, 99, sizeof(d), TASK, &d, sizeof(d));
        expect_refused("unknown type 99", buf, n, 0, -EBADMSG);

        /* fds */
        n = build(buf, IPC_JOB, sizeof(job), TASK, &job, sizeof(job));
        expect_refused("JOB without its fd", buf, n, 0, -EBADMSG);
        expect_refused("JOB with two fds", buf, n, 2, -EBADMSG);
        expect_refused("JOB with eight fds", buf, n, 8, -EBADMSG);
        n = build(buf, IPC_DONE, sizeof(d), TASK, &d, sizeof(d));
        expect_refused("DONE with an fd", buf, n, 1, -EBADMSG);

        /* task id */
        n = build(buf, IPC_DONE, sizeof(d), "0123456789ABCDEF0123456789abcdef", &d, sizeof(d));
        expect_refused("upper-case task id", buf, n, 0, -EBADMSG);
        n = build(buf, IPC_DONE, sizeof(d), "0123456789abcdef\0" "123456789abcdef", &d, sizeof(d));
        expect_refused("NUL inside the task id", buf, n, 0, -EBADMSG);

        /* payloads */
        ipc_job_t job2 = { .version = IPC_PROTOCOL_VERSION + 1 };
        n = build(buf, IPC_JOB, sizeof(job2), TASK, &job2, sizeof(job2));
        expect_refused("JOB of another protocol version", buf, n, 1, -EPROTO);
        /* thresholds: finite, within their count, zero beyond it */
        ipc_job_t job3 = { .version = IPC_PROTOCOL_VERSION, .n_thresholds = 3, .thresholds = { 300, 50, 200 } };
        n = build(buf, IPC_JOB, sizeof(job3), TASK, &job3, sizeof(job3));
        {
                ipc_header_t hh;
                ipc_job_t out;
                CHECK_EQ(ipc_decode(buf, n, 1, &hh, &out, sizeof(out)), 0);
                CHECK(out.n_thresholds == 3 && out.thresholds[2] == 200);
        }
        job3.thresholds[1] = NAN;
        n = build(buf, IPC_JOB, sizeof(job3), TASK, &job3, sizeof(job3));
        expect_refused("JOB with a NaN threshold", buf, n, 1, -EBADMSG);
        job3.thresholds[1] = INFINITY;
        n = build(buf, IPC_JOB, sizeof(job3), TASK, &job3, sizeof(job3));
        expect_refused("JOB with an infinite threshold", buf, n, 1, -EBADMSG);
        job3.thresholds[1] = 50;
        job3.thresholds[5] = 1;
        n = build(buf, IPC_JOB, sizeof(job3), TASK, &job3, sizeof(job3));
        expect_refused("JOB with a value past its thresholds' count", buf, n, 1, -EBADMSG);
        job3.thresholds[5] = 0;
        job3.n_thresholds = IPC_THRESHOLDS_MAX + 1;
        n = build(buf, IPC_JOB, sizeof(job3), TASK, &job3, sizeof(job3));
        expect_refused("JOB with too many thresholds", buf, n, 1, -EBADMSG);
        jf.which = 2;
        n = build(buf, IPC_JOB_FD, sizeof(jf), TASK, &jf, sizeof(jf));
        expect_refused("JOB_FD which=2", buf, n, 1, -EBADMSG);
        p.percent = NAN;
        n = build(buf, IPC_PROGRESS, sizeof(p), TASK, &p, sizeof(p));
        expect_refused("PROGRESS percent NaN", buf, n, 0, -EBADMSG);
        p.percent = 101;
        n = build(buf, IPC_PROGRESS, sizeof(p), TASK, &p, sizeof(p));
        expect_refused("PROGRESS percent 101", buf, n, 0, -EBADMSG);
        p.percent = 5;
        memset(p.phase, 'a', sizeof(p.phase));
        n = build(buf, IPC_PROGRESS, sizeof(p), TASK, &p, sizeof(p));
        expect_refused("PROGRESS phase not terminated", buf, n, 0, -EBADMSG);
        memset(e.message, 'm', sizeof(e.message));
        n = build(buf, IPC_ERROR, sizeof(e), TASK, &e, sizeof(e));
        expect_refused("ERROR message not terminated", buf, n, 0, -EBADMSG);
        e.message[0] = 0;
        e.code = 0;
        n = build(buf, IPC_ERROR, sizeof(e), TASK, &e, sizeof(e));
        expect_refused("ERROR code 0", buf, n, 0, -EBADMSG);
        d.health_score = 101;
        n = build(buf, IPC_DONE, sizeof(d), TASK, &d, sizeof(d));
        expect_refused("DONE health 101", buf, n, 0, -EBADMSG);

        /* the pure decoder, directly */
        ipc_header_t h;
        ipc_done_t out;
        d.health_score = 1;
        n = build(buf, IPC_DONE, sizeof(d), TASK, &d, sizeof(d));
        CHECK_EQ(ipc_decode(buf, n, 0, &h, &out, sizeof(out)), 0);
        CHECK_EQ(ipc_decode(buf, n, 0, &h, &out, sizeof(out) - 1), -ENOBUFS);
        CHECK_EQ(ipc_decode(buf, n, 1, &h, &out, sizeof(out)), -EBADMSG);
        CHECK_EQ(ipc_decode(NULL, n, 0, &h, &out, sizeof(out)), -EINVAL);
}

static void test_connect(void) {
        char dir[] = "/tmp/test-ipc-XXXXXX", path[128];
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int l, c = -1, a, type = 0;
        socklen_t tl = sizeof(type);
        char longpath[200];

        if (!mkdtemp(dir)) {
                perror("mkdtemp");
                exit(EXIT_FAILURE);
        }
        snprintf(path, sizeof(path), "%s/analyzer.sock", dir);
        CHECK_EQ(analyzer_connect(path, &c), -ENOENT);

        l = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        strcpy(sa.sun_path, path);
        CHECK_EQ(bind(l, (struct sockaddr *) &sa, sizeof(sa)), 0);
        CHECK_EQ(listen(l, 4), 0);
        CHECK_EQ(analyzer_connect(path, &c), 0);
        CHECK(c >= 0);
        CHECK(fcntl(c, F_GETFD) & FD_CLOEXEC);
        CHECK_EQ(getsockopt(c, SOL_SOCKET, SO_TYPE, &type, &tl), 0);
        CHECK_EQ(type, SOCK_SEQPACKET);
        a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
        CHECK(a >= 0);
        ipc_done_t d = { .packets = 1 };
        ipc_header_t h;
        ipc_done_t out;
        int fd;
        CHECK_EQ(ipc_send(a, IPC_DONE, TASK, &d, sizeof(d), -1), 0);
        CHECK_EQ(ipc_recv(c, &h, &out, sizeof(out), &fd), 0);
        CHECK_EQ(out.packets, 1);
        safe_close(a);
        safe_close(c);
        safe_close(l);

        memset(longpath, 'a', sizeof(longpath) - 1);
        longpath[sizeof(longpath) - 1] = 0;
        CHECK_EQ(analyzer_connect(longpath, &c), -EINVAL);
        unlink(path);
        rmdir(dir);
}

/* ASan reserves terabytes of address space for its shadow: no RLIMIT_AS check in sanitized builds. */
#if defined(__SANITIZE_ADDRESS__)
#define TEST_MEMORY_BYTES 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_MEMORY_BYTES 0
#endif
#endif
#ifndef TEST_MEMORY_BYTES
#define TEST_MEMORY_BYTES (64u << 20)
#endif

/* The spawned side: this binary again, with PCAPD_ANALYZER_TEST_IPC_CHILD set. It checks what analyzer_spawn() promised
 * and answers on fd 3: DONE when all holds, ERROR with the first broken promise otherwise. */
static int child_main(void) {
        if (strcmp(getenv("PCAPD_ANALYZER_TEST_IPC_CHILD"), "pause") == 0) {
                /* only a signal ends this: the test of the parent-death signal */
                for (;;)
                        pause();
        }

        ipc_error_t e = { .code = 5 };
        int type = 0;
        socklen_t tl = sizeof(type);
        struct rlimit rl;
        const char *s;
        char buf[32];
        sigset_t mask;

#define PROMISE(cond, msg)                                                   \
        do {                                                                 \
                if (!(cond) && !e.message[0])                                \
                        snprintf(e.message, sizeof(e.message), "%s", msg);   \
        } while (0)
        PROMISE(getsockopt(3, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 && type == SOCK_SEQPACKET,
                "fd 3 is not a SOCK_SEQPACKET socket");
        PROMISE(fcntl(3, F_GETFD) == 0, "fd 3 has CLOEXEC set");
        s = getenv("LISTEN_FDS");
        PROMISE(s && strcmp(s, "1") == 0, "LISTEN_FDS is not 1");
        snprintf(buf, sizeof(buf), "%d", (int) getpid());
        s = getenv("LISTEN_PID");
        PROMISE(s && strcmp(s, buf) == 0, "LISTEN_PID is not the child's pid");
        PROMISE(!getenv("LISTEN_FDNAMES"), "a stale LISTEN_FDNAMES was passed on");
        PROMISE(getenv("PCAPD_ANALYZER_TEST_IPC_KEPT") != NULL, "the analyzer's own PCAPD_ANALYZER_* was not passed on");
        PROMISE(!getenv("TEST_IPC_FRONTEND_ONLY"), "the frontend's environment was passed on");
        PROMISE(!getenv("PCAPD_STATE_DIR"), "the frontend's settings were passed on");
        for (int fd = 4; fd < 256; fd++)
                PROMISE(fcntl(fd, F_GETFD) < 0, "an fd above 3 survived the exec");
        PROMISE(getrlimit(RLIMIT_AS, &rl) == 0 &&
                (TEST_MEMORY_BYTES == 0 || rl.rlim_cur == TEST_MEMORY_BYTES + ANALYZER_AS_HEADROOM),
                "RLIMIT_AS is not the memory budget plus headroom");
        PROMISE(getrlimit(RLIMIT_CPU, &rl) == 0 && rl.rlim_cur == 77, "RLIMIT_CPU is not 77 s");
        PROMISE(getsid(0) == getpid(), "the child is not a session leader");
        PROMISE(sigprocmask(SIG_BLOCK, NULL, &mask) == 0 && !sigismember(&mask, SIGALRM) &&
                !sigismember(&mask, SIGTERM), "signals are blocked in the child");
        PROMISE(signal(SIGHUP, SIG_DFL) == SIG_DFL, "an ignored signal stayed ignored in the child");
#undef PROMISE

        if (e.message[0])
                return ipc_send(3, IPC_ERROR, TASK, &e, sizeof(e), -1) < 0 ? 2 : 1;
        ipc_done_t d = { .packets = (uint64_t) getpid() };
        return ipc_send(3, IPC_DONE, TASK, &d, sizeof(d), -1) < 0 ? 2 : 0;
}

static void test_spawn(const char *self) {
        analyzer_rlimits_t rl = { .memory_bytes = TEST_MEMORY_BYTES, .cpu_seconds = 77 };
        union {
                ipc_done_t done;
                ipc_error_t error;
        } in;
        ipc_header_t h;
        int sock = -1, fd = -1, status = 0, leak, r;
        pid_t pid = 0;
        sigset_t mask, old;

        /* a non-CLOEXEC fd and a blocked signal in the parent must not reach the child */
        leak = open("/dev/null", O_RDONLY);
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigprocmask(SIG_BLOCK, &mask, &old);
        signal(SIGHUP, SIG_IGN);
        setenv("PCAPD_ANALYZER_TEST_IPC_CHILD", "1", 1);
        setenv("PCAPD_ANALYZER_TEST_IPC_KEPT", "1", 1);
        setenv("TEST_IPC_FRONTEND_ONLY", "1", 1);
        setenv("PCAPD_STATE_DIR", "/frontend/only", 1);
        setenv("LISTEN_FDNAMES", "stale", 1);

        r = analyzer_spawn(self, &rl, &sock, &pid);
        CHECK_EQ(r, 0);
        if (r == 0) {
                CHECK(fcntl(sock, F_GETFD) & FD_CLOEXEC);
                r = ipc_recv(sock, &h, &in, sizeof(in), &fd);
                CHECK_EQ(r, 0);
                if (r == 0 && h.type == IPC_ERROR) {
                        fprintf(stderr, "FAIL spawned child: %s\n", in.error.message);
                        tu_failures++;
                } else if (r == 0) {
                        CHECK_EQ(h.type, IPC_DONE);
                        CHECK_EQ(in.done.packets, pid);
                }
                CHECK_EQ(ipc_recv(sock, &h, &in, sizeof(in), &fd), -ECONNRESET);
                CHECK_EQ(waitpid(pid, &status, 0), pid);
                CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
                safe_close(sock);
        }

        unsetenv("PCAPD_ANALYZER_TEST_IPC_CHILD");
        unsetenv("PCAPD_ANALYZER_TEST_IPC_KEPT");
        unsetenv("TEST_IPC_FRONTEND_ONLY");
        unsetenv("PCAPD_STATE_DIR");
        unsetenv("LISTEN_FDNAMES");
        sigprocmask(SIG_SETMASK, &old, NULL);
        signal(SIGHUP, SIG_DFL);
        safe_close(leak);

        /* exec tu_failures come back as errors, with the child reaped */
        CHECK_EQ(analyzer_spawn("/nonexistent/pcapd-analyzer", NULL, &sock, &pid), -ENOENT);
        CHECK_EQ(analyzer_spawn("/dev/null", NULL, &sock, &pid), -EACCES);
        CHECK_EQ(waitpid(-1, NULL, WNOHANG), -1);
        CHECK_EQ(errno, ECHILD);
}

/* The two halves of analyzer_spawn(): analyzer_spawn_start() returns before the exec; the exec-status pipe, non-blocking, says
 * -EAGAIN until it happened, then 0 (exec done) or the exec's error. */
static int spawn_wait_result(int exec_fd) {
        struct pollfd p = { .fd = exec_fd, .events = POLLIN };
        int r = analyzer_spawn_result(exec_fd);

        for (int i = 0; r == -EAGAIN && i < 100; i++) {
                (void) poll(&p, 1, 100);
                r = analyzer_spawn_result(exec_fd);
        }
        return r;
}

static void test_spawn_async(const char *self) {
        analyzer_spawn_t sp;
        int status = 0;

        CHECK_EQ(analyzer_spawn_start("/nonexistent/pcapd-analyzer", NULL, &sp), 0);
        CHECK_EQ(fcntl(sp.exec_fd, F_SETFL, O_NONBLOCK), 0);
        CHECK_EQ(spawn_wait_result(sp.exec_fd), -ENOENT);
        CHECK_EQ(waitpid(sp.pid, &status, 0), sp.pid);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 127);
        safe_close(sp.exec_fd);
        safe_close(sp.sock_fd);

        setenv("PCAPD_ANALYZER_TEST_IPC_CHILD", "pause", 1);
        CHECK_EQ(analyzer_spawn_start(self, NULL, &sp), 0);
        CHECK_EQ(fcntl(sp.exec_fd, F_SETFL, O_NONBLOCK), 0);
        CHECK_EQ(spawn_wait_result(sp.exec_fd), 0);
        CHECK_EQ(kill(sp.pid, SIGKILL), 0);
        CHECK_EQ(waitpid(sp.pid, &status, 0), sp.pid);
        safe_close(sp.exec_fd);
        safe_close(sp.sock_fd);
        unsetenv("PCAPD_ANALYZER_TEST_IPC_CHILD");
}

/* The spawned analyzer must not outlive its parent: an intermediate process spawns a child that only
 * waits for signals, then dies; we, as subreaper, must see that child killed by SIGKILL. */
static void test_spawn_parent_death(const char *self) {
        int pipefd[2], status = 0;
        pid_t middle, child = 0, w;

        CHECK_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
        CHECK_EQ(pipe2(pipefd, O_CLOEXEC), 0);
        middle = fork();
        if (middle == 0) {
                int sock;
                pid_t pid;
                setenv("PCAPD_ANALYZER_TEST_IPC_CHILD", "pause", 1);
                if (analyzer_spawn(self, NULL, &sock, &pid) < 0)
                        _exit(1);
                (void) !write(pipefd[1], &pid, sizeof(pid));
                _exit(0); /* sock stays open until here: EOF alone could not end the child */
        }
        close(pipefd[1]);
        CHECK_EQ(read(pipefd[0], &child, sizeof(child)), sizeof(child));
        close(pipefd[0]);
        CHECK_EQ(waitpid(middle, &status, 0), middle);
        if (child > 0) {
                for (int i = 0; i < 500; i++) {
                        w = waitpid(child, &status, WNOHANG);
                        if (w != 0)
                                break;
                        usleep(10000);
                }
                if (w == 0) {
                        kill(child, SIGKILL);
                        waitpid(child, &status, 0);
                        fprintf(stderr, "FAIL the spawned child outlived its parent by 5 s\n");
                        tu_failures++;
                } else {
                        CHECK_EQ(w, child);
                        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
                }
        }
        CHECK_EQ(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
}

int main(int argc, char *argv[]) {
        char self[4096];
        ssize_t n;

        if (getenv("PCAPD_ANALYZER_TEST_IPC_CHILD"))
                return child_main();

        alarm(60);
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n < 0) {
                perror("readlink /proc/self/exe");
                return EXIT_FAILURE;
        }
        self[n] = 0;

        test_payload_sizes();
        test_round_trip();
        test_malformed();
        test_connect();
        test_spawn(self);
        test_spawn_async(self);
        test_spawn_parent_death(self);

        if (tu_failures > 0) {
                fprintf(stderr, "test-ipc: %d check(s) failed\n", tu_failures);
                return EXIT_FAILURE;
        }
        printf("test-ipc: all checks passed\n");
        return EXIT_SUCCESS;
}
