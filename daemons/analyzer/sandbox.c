/* The analyzer's confinement: keep only the given fds, no new privileges, rlimits, seccomp allow-list. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <seccomp.h>

#include "sandbox.h"
#include "util/macro.h"

#define NOBODY_ID 65534
#define SANDBOX_KEEP_FDS_MAX 16

static int cmp_int(const void *a, const void *b) {
        int x = *(const int *) a, y = *(const int *) b;
        return (x > y) - (x < y);
}

static int close_range_compat(unsigned first, unsigned last) {
        if (first > last)
                return 0;
        if (close_range(first, last, 0) == 0)
                return 0;
        if (errno != ENOSYS)
                return -errno;
        /* old kernel: walk what RLIMIT_NOFILE allows */
        long max = sysconf(_SC_OPEN_MAX);
        for (long fd = first; fd <= (long) last && fd < (max > 0 ? max : 65536); fd++)
                (void) close((int) fd);
        return 0;
}

int sandbox_close_other_fds(const int *keep_fds, unsigned n_keep_fds) {
        int keep[SANDBOX_KEEP_FDS_MAX + 1];
        unsigned n = 0;
        unsigned next = 0;
        int r;

        if (n_keep_fds > SANDBOX_KEEP_FDS_MAX)
                return -E2BIG;
        for (unsigned i = 0; i < n_keep_fds; i++)
                if (keep_fds[i] >= 0)
                        keep[n++] = keep_fds[i];
        keep[n++] = STDERR_FILENO;
        qsort(keep, n, sizeof(int), cmp_int);

        for (unsigned i = 0; i < n; i++) {
                if ((unsigned) keep[i] > next) {
                        r = close_range_compat(next, (unsigned) keep[i] - 1);
                        if (r < 0)
                                return r;
                }
                next = (unsigned) keep[i] + 1;
        }
        return close_range_compat(next, ~0U);
}

static int drop_root(void) {
        int pdeath = 0;

        if (getuid() != 0 && geteuid() != 0)
                return 0;
        if (prctl(PR_GET_PDEATHSIG, &pdeath) < 0)
                return -errno;
        /* In a user namespace that maps no "nobody" (rootless containers) the ids cannot change (EINVAL)
         * and setgroups() may be denied (EPERM): then root stays root, confined by the filter alone,
         * which allows nothing that needs a privilege. */
        if (setgroups(0, NULL) < 0 && errno != EPERM)
                return -errno;
        if (setresgid(NOBODY_ID, NOBODY_ID, NOBODY_ID) < 0)
                return errno == EINVAL ? 0 : -errno;
        if (setresuid(NOBODY_ID, NOBODY_ID, NOBODY_ID) < 0)
                return errno == EINVAL ? 0 : -errno;
        if (setuid(0) == 0) /* must be irrevocable */
                return -EPERM;
        /* a credential change clears the parent-death signal */
        if (pdeath > 0 && prctl(PR_SET_PDEATHSIG, pdeath) < 0)
                return -errno;
        return 0;
}

static int set_limit(int resource, rlim_t value) {
        struct rlimit rl = { .rlim_cur = value, .rlim_max = value };
        struct rlimit old;
        if (getrlimit(resource, &old) == 0 && old.rlim_max != RLIM_INFINITY && old.rlim_max < value)
                rl.rlim_cur = rl.rlim_max = old.rlim_max; /* only ever lower */
        return setrlimit(resource, &rl) < 0 ? -errno : 0;
}

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_ASAN 1
#endif
#endif

/* Room for the program itself (code, libc, libpcap, stacks) on top of the job's memory budget. */
#define SANDBOX_AS_SLACK (UINT64_C(256) << 20)

static int set_rlimits(const int *keep_fds, unsigned n_keep_fds, uint64_t memory_max) {
        int max_fd = STDERR_FILENO, r;

        for (unsigned i = 0; i < n_keep_fds; i++)
                max_fd = MAX(max_fd, keep_fds[i]);

        /* writes past the cap fail with EFBIG instead of killing the process */
        if (signal(SIGXFSZ, SIG_IGN) == SIG_ERR)
                return -errno;
        if ((r = set_limit(RLIMIT_FSIZE, SANDBOX_REPORT_MAX)) < 0 ||
            (r = set_limit(RLIMIT_NPROC, 0)) < 0 ||
            (r = set_limit(RLIMIT_NOFILE, (rlim_t) max_fd + 1)) < 0 ||
            (r = set_limit(RLIMIT_CORE, 0)) < 0 ||
            (r = set_limit(RLIMIT_MEMLOCK, 0)) < 0 ||
            (r = set_limit(RLIMIT_MSGQUEUE, 0)) < 0)
                return r;
#if !defined(SANDBOX_ASAN)
        /* The job's memory budget holds whether we were spawned (pcapd-web also set it) or socket-activated
         * (where otherwise only the slice's MemoryMax, shared by all analyses, would bound us). ASan reserves
         * terabytes of address space, so sanitizer builds rely on the engine's own limits. */
        if (memory_max > 0 && (r = set_limit(RLIMIT_AS, memory_max + SANDBOX_AS_SLACK)) < 0)
                return r;
#endif
        return 0;
}

static void sigsys_report(int sig, siginfo_t *si, void *uc) {
        char buf[96] = "pcapd-analyzer: seccomp: blocked syscall ";
        size_t l = strlen(buf);
        char digits[16];
        int n = 0, nr = si->si_syscall;
        do {
                digits[n++] = (char) ('0' + nr % 10);
                nr /= 10;
        } while (nr > 0 && n < (int) sizeof(digits));
        while (n > 0)
                buf[l++] = digits[--n];
        buf[l++] = '\n';
        (void) !write(STDERR_FILENO, buf, l);
        _exit(128 + SIGSYS);
}

struct rule {
        const char *name;
        uint32_t action;
};

int sandbox_apply_seccomp(int ipc_fd, bool debug_trap) {
        static const struct rule plain[] = {
                /* the given fds */
                { "read", SCMP_ACT_ALLOW }, { "readv", SCMP_ACT_ALLOW }, { "write", SCMP_ACT_ALLOW },
                { "writev", SCMP_ACT_ALLOW }, { "lseek", SCMP_ACT_ALLOW }, { "close", SCMP_ACT_ALLOW },
                { "fstat", SCMP_ACT_ALLOW },
                /* memory (mmap/mprotect below, without PROT_EXEC) */
                { "brk", SCMP_ACT_ALLOW }, { "munmap", SCMP_ACT_ALLOW }, { "mremap", SCMP_ACT_ALLOW },
                /* process, time, signals */
                { "exit", SCMP_ACT_ALLOW }, { "exit_group", SCMP_ACT_ALLOW },
                { "rt_sigreturn", SCMP_ACT_ALLOW }, { "rt_sigprocmask", SCMP_ACT_ALLOW },
                { "restart_syscall", SCMP_ACT_ALLOW }, { "alarm", SCMP_ACT_ALLOW },
                { "sigaltstack", SCMP_ACT_ALLOW }, /* the sanitizers' runtimes, on exit */
                { "clock_gettime", SCMP_ACT_ALLOW }, { "clock_getres", SCMP_ACT_ALLOW },
                { "gettimeofday", SCMP_ACT_ALLOW }, { "time", SCMP_ACT_ALLOW },
                { "futex", SCMP_ACT_ALLOW }, { "getpid", SCMP_ACT_ALLOW }, { "gettid", SCMP_ACT_ALLOW },
                { "getrandom", SCMP_ACT_ALLOW },
                /* probes libc may make: fail softly. The analyzer itself opens no file. newfstatat is
                 * among them although glibc's fstat() uses it (with an empty path and AT_EMPTY_PATH):
                 * seccomp cannot see the path, so allowing it would allow stat() of any path. The raw
                 * fstat syscall stays allowed; stdio gets its buffers before the filter, and the engine
                 * falls back to plain reads when its fstat() fails. */
                { "open", SCMP_ACT_ERRNO(EACCES) }, { "openat", SCMP_ACT_ERRNO(EACCES) },
                { "openat2", SCMP_ACT_ERRNO(EACCES) }, { "newfstatat", SCMP_ACT_ERRNO(EACCES) },
                { "statx", SCMP_ACT_ERRNO(EACCES) }, { "stat", SCMP_ACT_ERRNO(EACCES) },
                { "lstat", SCMP_ACT_ERRNO(EACCES) }, { "access", SCMP_ACT_ERRNO(EACCES) },
                { "faccessat", SCMP_ACT_ERRNO(EACCES) }, { "faccessat2", SCMP_ACT_ERRNO(EACCES) },
                { "readlink", SCMP_ACT_ERRNO(EACCES) }, { "readlinkat", SCMP_ACT_ERRNO(EACCES) },
                { "sysinfo", SCMP_ACT_ERRNO(EACCES) }, { "ioctl", SCMP_ACT_ERRNO(ENOTTY) },
        };
        static const char *const ipc_calls[] = { "sendmsg", "sendto", "recvmsg", "recvfrom" };
        scmp_filter_ctx ctx;
        int r;

        if (debug_trap) {
                struct sigaction sa = { .sa_sigaction = sigsys_report, .sa_flags = SA_SIGINFO };
                if (sigaction(SIGSYS, &sa, NULL) < 0)
                        return -errno;
        }

        /* seccomp_init() builds for the native architecture only; any other (x32, i386 via int 0x80)
         * hits the bad-arch action. */
        ctx = seccomp_init(debug_trap ? SCMP_ACT_TRAP : SCMP_ACT_KILL_PROCESS);
        if (!ctx)
                return -ENOMEM;
        r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
        if (r < 0)
                goto finish;
        r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1);
        if (r < 0)
                goto finish;

        for (size_t i = 0; i < ELEMENTSOF(plain); i++) {
                int nr = seccomp_syscall_resolve_name(plain[i].name);
                if (nr == __NR_SCMP_ERROR)
                        continue;
                if (nr < 0) /* not a syscall of this architecture */
                        continue;
                r = seccomp_rule_add(ctx, plain[i].action, nr, 0);
                if (r < 0)
                        goto finish;
        }

        /* no executable memory */
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
                             SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
        if (r < 0)
                goto finish;
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
                             SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
        if (r < 0)
                goto finish;

        /* madvise: only the advice glibc's malloc gives when it returns memory (MADV_DONTNEED, from free()
         * and malloc_trim). Not MADV_REMOVE (holes in shared files), MADV_DONTFORK/WIPEONFORK,
         * MADV_MERGEABLE (KSM's page-sharing side channel), MADV_HWPOISON/SOFT_OFFLINE, ... The
         * sanitizers' runtimes give their own advice (DONTDUMP, NOHUGEPAGE, FREE): allowed in those
         * builds only. */
        {
                static const int advice[] = { MADV_DONTNEED,
#ifdef SANDBOX_ASAN
                                              MADV_FREE, MADV_DONTDUMP, MADV_DODUMP, MADV_NOHUGEPAGE, MADV_HUGEPAGE,
#endif
                };
                for (size_t i = 0; i < ELEMENTSOF(advice); i++) {
                        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(madvise), 1,
                                             SCMP_A2(SCMP_CMP_EQ, (scmp_datum_t) advice[i]));
                        if (r < 0)
                                goto finish;
                }
        }
        /* its own peak memory, for PROGRESS, DONE and ERROR (RUSAGE_SELF only) */
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(getrusage), 1,
                             SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t) RUSAGE_SELF));
        if (r < 0)
                goto finish;

        /* messages only on the IPC socket (a received socket could not be used) */
        for (size_t i = 0; i < ELEMENTSOF(ipc_calls); i++) {
                r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, seccomp_syscall_resolve_name(ipc_calls[i]), 1,
                                     SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t) ipc_fd));
                if (r < 0)
                        goto finish;
        }

        /* abort(): SIGABRT to ourselves only */
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 2,
                             SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t) getpid()),
                             SCMP_A2(SCMP_CMP_EQ, (scmp_datum_t) SIGABRT));
        if (r < 0)
                goto finish;

        r = seccomp_load(ctx);
finish:
        seccomp_release(ctx);
        return r;
}

int sandbox_confine(const sandbox_config_t *c) {
        int r;

        if (!c || c->ipc_fd < 0)
                return -EINVAL;

        r = sandbox_close_other_fds(c->keep_fds, c->n_keep_fds);
        if (r < 0)
                return r;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -errno;
        r = drop_root();
        if (r < 0)
                return r;
        r = set_rlimits(c->keep_fds, c->n_keep_fds, c->memory_max);
        if (r < 0)
                return r;
        return sandbox_apply_seccomp(c->ipc_fd, c->debug_trap);
}

int sandbox_try_escape(const char *what) {
        if (!what)
                return -EINVAL;
        if (strcmp(what, "open") == 0) {
                int fd = openat(AT_FDCWD, "/etc/passwd", O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        return -errno;
                close(fd);
                return 0;
        }
        if (strcmp(what, "socket") == 0) {
                int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (fd < 0)
                        return -errno;
                close(fd);
                return 0;
        }
        if (strcmp(what, "exec") == 0) {
                execve("/bin/true", (char *[]) { (char *) "true", NULL }, (char *[]) { NULL });
                return -errno;
        }
        if (strcmp(what, "fork") == 0) {
                pid_t pid = fork();
                if (pid < 0)
                        return -errno;
                if (pid == 0)
                        _exit(0);
                return 0;
        }
        return -EINVAL;
}
