/* test-sandbox: the real pcapd-analyzer is refused or killed when it tries to open a file, make a socket,
 * exec or fork once confined; and the confinement steps, applied to forked children, do what they say. */
#include <dirent.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "sandbox.h"
#include "test-analyzer.h"

static off_t file_size(const char *path) {
        struct stat st;
        return stat(path, &st) < 0 ? -1 : st.st_size;
}

/* Part 1: the real analyzer with its test hook. */
static void test_escapes(const char *analyzer) {
        const char *cap = test_capture_make(500);
        static const char *const killed[] = { "socket", "exec", "fork" };
        job_result_t r;

        /* control: without the hook the same job succeeds and reads the capture, so the checks below can
         * tell a refused escape from a harness that sees nothing */
        CHECK(job_run(analyzer, cap, NULL, NULL, &r) == 0);
        job_result_print("control (no escape)", &r);
        CHECK_MSG(r.done && r.capture_offset == file_size(cap), "control job did not succeed");
        job_result_done(&r);

        CHECK(job_run(analyzer, cap, NULL, "open", &r) == 0);
        job_result_print("escape 'open'", &r);
        CHECK_MSG(!r.done, "escape 'open': the job succeeded, the sandbox let open() through");
        CHECK_MSG(r.error && strstr(r.e.message, "refused by the sandbox") && strstr(r.e.message, "Permission denied"),
                  "escape 'open': expected an ERROR saying open() was refused, got %s",
                  r.error ? r.e.message : "no ERROR");
        CHECK_MSG(r.capture_offset == 0, "escape 'open': the capture was read (%lld bytes)",
                  (long long) r.capture_offset);
        CHECK(WIFEXITED(r.wait_status) && WEXITSTATUS(r.wait_status) != 0);
        job_result_done(&r);

        for (size_t i = 0; i < ELEMENTSOF(killed); i++) {
                CHECK(job_run(analyzer, cap, NULL, killed[i], &r) == 0);
                job_result_print(killed[i], &r);
                CHECK_MSG(!r.done && !r.error && r.eof, "escape '%s': expected no answer, only EOF", killed[i]);
                CHECK_MSG(WIFSIGNALED(r.wait_status) && WTERMSIG(r.wait_status) == SIGSYS,
                          "escape '%s': expected death by SIGSYS, got %s", killed[i],
                          wait_status_str(r.wait_status));
                CHECK_MSG(r.capture_offset == 0, "escape '%s': the capture was read (%lld bytes)", killed[i],
                          (long long) r.capture_offset);
                job_result_done(&r);
        }

        /* an unknown hook name is refused too (never silently ignored) */
        CHECK(job_run(analyzer, cap, NULL, "bogus", &r) == 0);
        CHECK_MSG(r.error && !r.done, "escape 'bogus' should fail the job");
        job_result_done(&r);
}

/* Part 2: the filter alone, in forked children. Each case returns how its child ended. */
enum { OK_EXIT = 0, BAD_EXIT = 1 };

static int run_filtered(const char *what) {
        int sv[2], other[2], pipefd[2], status;
        pid_t pid, parent = getpid();

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 ||
            socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, other) < 0 || pipe2(pipefd, O_CLOEXEC) < 0)
                exit(EXIT_FAILURE);
        pid = fork();
        if (pid < 0)
                exit(EXIT_FAILURE);
        if (pid == 0) {
                struct stat st;
                char c = 'x';
                if (sandbox_apply_seccomp(sv[1], false) < 0)
                        _exit(99);
                if (strcmp(what, "allowed") == 0) {
                        /* what the analyzer needs keeps working */
                        uint8_t rnd[16];
                        struct timespec ts;
                        void *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                        char *big = malloc(64 << 20);
                        if (m == MAP_FAILED || !big || munmap(m, 1 << 20) < 0)
                                _exit(BAD_EXIT);
                        memset(big, 1, 64 << 20);
                        free(big);
                        /* the fstat syscall; glibc's fstat() is newfstatat(AT_EMPTY_PATH), refused like any
                         * path-based stat because seccomp cannot see that the path is empty */
                        if (write(pipefd[1], &c, 1) != 1 || read(pipefd[0], &c, 1) != 1 ||
                            syscall(SYS_fstat, pipefd[0], &st) < 0 || lseek(pipefd[0], 0, SEEK_CUR) >= 0)
                                _exit(BAD_EXIT);
                        if (fstat(pipefd[0], &st) == 0 || errno != EACCES)
                                _exit(BAD_EXIT);
                        if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd) || clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
                                _exit(BAD_EXIT);
                        /* malloc's way of giving memory back, and the analyzer's own peak memory */
                        {
                                struct rusage ru;
                                void *d = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                                if (d == MAP_FAILED || madvise(d, 1 << 20, MADV_DONTNEED) < 0 ||
                                    getrusage(RUSAGE_SELF, &ru) < 0 || ru.ru_maxrss <= 0)
                                        _exit(BAD_EXIT);
                        }
                        if (send(sv[1], "hi", 2, MSG_NOSIGNAL) != 2)
                                _exit(BAD_EXIT);
                        _exit(OK_EXIT);
                }
                if (strcmp(what, "openat") == 0)
                        _exit(open("/etc/passwd", O_RDONLY) < 0 && errno == EACCES ? OK_EXIT : BAD_EXIT);
                if (strcmp(what, "stat-path") == 0)
                        _exit(stat("/etc/passwd", &st) < 0 && errno == EACCES ? OK_EXIT : BAD_EXIT);
                if (strcmp(what, "mmap-exec") == 0)
                        (void) mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                else if (strcmp(what, "mprotect-exec") == 0) {
                        void *m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                        (void) mprotect(m, 4096, PROT_READ | PROT_EXEC);
                } else if (strcmp(what, "send-other-socket") == 0)
                        (void) send(other[1], "hi", 2, MSG_NOSIGNAL);
                else if (strcmp(what, "socket") == 0)
                        (void) socket(AF_INET, SOCK_STREAM, 0);
                else if (strcmp(what, "kill") == 0)
                        (void) kill(parent, 0);
                else if (strcmp(what, "ptrace") == 0)
                        (void) syscall(SYS_ptrace, 0, 0, 0, 0);
                else if (strcmp(what, "unshare") == 0)
                        (void) syscall(SYS_unshare, 0);
                else if (strcmp(what, "prctl") == 0)
                        (void) prctl(PR_SET_DUMPABLE, 1);
                else if (strcmp(what, "setrlimit") == 0) {
                        struct rlimit rl = { 1, 1 };
                        (void) setrlimit(RLIMIT_NOFILE, &rl);
                } else if (strcmp(what, "madvise-mergeable") == 0) {
                        /* KSM page sharing: a side channel, and not an advice malloc gives */
                        void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                        (void) madvise(m, 4096, MADV_MERGEABLE);
                } else if (strcmp(what, "madvise-dontfork") == 0) {
                        void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                        (void) madvise(m, 4096, MADV_DONTFORK);
                } else if (strcmp(what, "getrusage-children") == 0) {
                        struct rusage ru;
                        (void) getrusage(RUSAGE_CHILDREN, &ru);
                } else if (strcmp(what, "x32-abi") == 0)
                        (void) syscall(__X32_SYSCALL_BIT + SYS_getpid);
                _exit(BAD_EXIT); /* still alive: the call was allowed */
        }
        close(sv[1]);
        close(other[1]);
        close(pipefd[0]);
        close(pipefd[1]);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        close(sv[0]);
        close(other[0]);
        return status;
}

static void test_filter(void) {
        static const char *const fail_softly[] = { "allowed", "openat", "stat-path" };
        static const char *const killed[] = { "mmap-exec", "mprotect-exec", "send-other-socket", "socket", "kill",
                                              "ptrace", "unshare", "prctl", "setrlimit", "madvise-mergeable",
                                              "madvise-dontfork", "getrusage-children",
#ifdef __x86_64__
                                              "x32-abi",
#endif
        };
        int status;

        for (size_t i = 0; i < ELEMENTSOF(fail_softly); i++) {
                status = run_filtered(fail_softly[i]);
                printf("filter '%s': %s\n", fail_softly[i], wait_status_str(status));
                CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == OK_EXIT, "filter '%s': %s", fail_softly[i],
                          wait_status_str(status));
        }
        for (size_t i = 0; i < ELEMENTSOF(killed); i++) {
                status = run_filtered(killed[i]);
                printf("filter '%s': %s\n", killed[i], wait_status_str(status));
                CHECK_MSG(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS, "filter '%s': expected SIGSYS, got %s",
                          killed[i], wait_status_str(status));
        }
}

static int count_open_fds_of(pid_t pid, int *ret_fds, int max) {
        char path[64];
        struct dirent *de;
        DIR *d;
        int n = 0;

        snprintf(path, sizeof(path), "/proc/%d/fd", (int) pid);
        d = opendir(path);
        if (!d)
                return -1;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.' && n < max)
                        ret_fds[n++] = atoi(de->d_name);
        closedir(d);
        return n;
}

static char *proc_read(pid_t pid, const char *what) {
        char path[64];
        size_t len;
        int fd;
        snprintf(path, sizeof(path), "/proc/%d/%s", (int) pid, what);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return NULL;
        /* /proc files have no size: read in a loop */
        char *buf = malloc(16384);
        ssize_t n, off = 0;
        while (buf && (n = read(fd, buf + off, 16383 - off)) > 0)
                off += n;
        close(fd);
        if (buf)
                buf[off] = 0;
        (void) len;
        return buf;
}

static bool groups_empty(const char *status) {
        const char *p = strstr(status, "\nGroups:");
        if (!p)
                return false;
        for (p += 8; *p && *p != '\n'; p++)
                if (*p != ' ' && *p != '\t')
                        return false;
        return true;
}

/* Part 3: sandbox_confine() as a whole, observed from outside through /proc while the child waits. */
static void test_confine(void) {
        int sv[2], status, fds[64], n, extra, kept;
        pid_t pid;
        char c;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                exit(EXIT_FAILURE);
        extra = open("/dev/null", O_RDONLY);          /* must be closed */
        kept = open("/dev/null", O_RDONLY | O_CLOEXEC); /* must stay */
        pid = fork();
        if (pid < 0)
                exit(EXIT_FAILURE);
        if (pid == 0) {
                int keep[] = { sv[1], kept };
                sandbox_config_t cfg = { .keep_fds = keep, .n_keep_fds = ELEMENTSOF(keep), .ipc_fd = sv[1] };
                if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
                        _exit(98);
                if (sandbox_confine(&cfg) < 0)
                        _exit(99);
                if (send(sv[1], "r", 1, MSG_NOSIGNAL) != 1) /* confined: tell the parent to look */
                        _exit(BAD_EXIT);
                if (recv(sv[1], &c, 1, 0) != 1)
                        _exit(BAD_EXIT);
                _exit(OK_EXIT);
        }
        close(sv[1]);
        if (recv(sv[0], &c, 1, 0) != 1) {
                waitpid(pid, &status, 0);
                CHECK_MSG(false, "confined child did not report: %s", wait_status_str(status));
                return;
        }

        char *st = proc_read(pid, "status"), *lim = proc_read(pid, "limits");
        CHECK(st && lim);
        if (st && lim) {
                CHECK_MSG(strstr(st, "\nNoNewPrivs:\t1\n"), "NoNewPrivs is not set");
                CHECK_MSG(strstr(st, "\nSeccomp:\t2\n"), "no seccomp filter");
                if (getuid() == 0)
                        CHECK_MSG(strstr(st, "\nUid:\t65534\t65534\t65534\t65534\n") &&
                                  strstr(st, "\nGid:\t65534\t65534\t65534\t65534\n") && groups_empty(st),
                                  "root was not dropped to nobody");
                CHECK_MSG(strstr(lim, "Max processes             0                    0"), "RLIMIT_NPROC is not 0");
                CHECK_MSG(strstr(lim, "Max core file size        0                    0"), "RLIMIT_CORE is not 0");
                char want[128];
                snprintf(want, sizeof(want), "Max file size             %llu            %llu",
                         (unsigned long long) SANDBOX_REPORT_MAX, (unsigned long long) SANDBOX_REPORT_MAX);
                CHECK_MSG(strstr(lim, want), "RLIMIT_FSIZE is not %llu", (unsigned long long) SANDBOX_REPORT_MAX);
                snprintf(want, sizeof(want), "Max open files            %-21d%-21d", MAX(sv[1], kept) + 1,
                         MAX(sv[1], kept) + 1);
                CHECK_MSG(strstr(lim, want), "RLIMIT_NOFILE is not the highest kept fd + 1 (%d)", MAX(sv[1], kept) + 1);
        }
        free(st);
        free(lim);

        n = count_open_fds_of(pid, fds, ELEMENTSOF(fds));
        CHECK(n >= 0);
        bool saw_kept = false, saw_sock = false;
        for (int i = 0; i < n; i++) {
                if (fds[i] == kept)
                        saw_kept = true;
                else if (fds[i] == sv[1])
                        saw_sock = true;
                else
                        CHECK_MSG(fds[i] == STDERR_FILENO, "fd %d survived sandbox_confine()", fds[i]);
        }
        CHECK_MSG(saw_kept && saw_sock, "a kept fd was closed");
        (void) extra;

        CHECK(send(sv[0], "g", 1, MSG_NOSIGNAL) == 1);
        waitpid(pid, &status, 0);
        CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == OK_EXIT, "confined child: %s", wait_status_str(status));
        close(sv[0]);
        close(extra);
        close(kept);
}

/* test-sandbox PCAPD-ANALYZER: the filter and the confinement steps; test-sandbox PCAPD-ANALYZER escapes: the
 * real analyzer's escapes (test hooks needed) */
int main(int argc, char *argv[]) {
        bool escapes = argc == 3 && strcmp(argv[2], "escapes") == 0;

        if (argc != 2 && !escapes) {
                fprintf(stderr, "usage: %s PCAPD-ANALYZER [escapes]\n", argv[0]);
                return EXIT_FAILURE;
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        if (escapes)
                test_hooks_require("the analyzer's escapes");
        alarm(120);
        signal(SIGPIPE, SIG_IGN);

        if (escapes)
                test_escapes(argv[1]);
        else {
                test_filter();
                test_confine();
        }

        test_tmpdir_remove();
        if (tu_failures > 0) {
                fprintf(stderr, "test-sandbox: %d check(s) failed\n", tu_failures);
                return EXIT_FAILURE;
        }
        printf("test-sandbox: all checks passed\n");
        return EXIT_SUCCESS;
}
