/* How pcapd-web reaches an analyzer: connect to the socket-activated one, or spawn one over a socketpair. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipc/analyzer-client.h"
#include "util/macro.h"

extern char **environ;

int analyzer_connect(const char *path, int *ret_fd) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -1;
        size_t l;

        if (!path || !ret_fd)
                return -EINVAL;
        l = strlen(path);
        if (l == 0 || l >= sizeof(sa.sun_path))
                return -EINVAL;
        memcpy(sa.sun_path, path, l);

        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        while (connect(fd, (struct sockaddr *) &sa, offsetof(struct sockaddr_un, sun_path) + l + 1) < 0)
                if (errno != EINTR)
                        return -errno;

        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* The child's environment is not ours: only what the analyzer reads. LISTEN_FDS=1 and a LISTEN_PID slot
 * the child fills in after fork (the socket-activation contract), JOURNAL_STREAM (where its log goes) and
 * PCAPD_ANALYZER_* (its own settings and, in test builds, test hooks). Nothing of pcapd-web's own settings,
 * credentials a wrapper may have set, or NOTIFY_SOCKET/WATCHDOG_* (the frontend's). */
static bool spawn_env_keep(const char *e) {
        return strncmp(e, "JOURNAL_STREAM=", 15) == 0 || strncmp(e, "PCAPD_ANALYZER_", 15) == 0;
}

static char **spawn_env_new(char **ret_pid_slot) {
        size_t n = 0, k = 0;
        for (char **e = environ; e && *e; e++)
                n++;

        char **env = calloc(n + 3, sizeof(char *));
        char *pid_slot = malloc(sizeof("LISTEN_PID=") + 20);
        if (!env || !pid_slot) {
                free(env);
                free(pid_slot);
                return NULL;
        }
        for (char **e = environ; e && *e; e++)
                if (spawn_env_keep(*e))
                        env[k++] = *e;
        env[k++] = (char *) "LISTEN_FDS=1";
        env[k++] = pid_slot;
        env[k] = NULL;
        strcpy(pid_slot, "LISTEN_PID=");
        *ret_pid_slot = pid_slot;
        return env;
}

/* async-signal-safe decimal formatting for the child */
static void format_pid(char *dst, pid_t pid) {
        char tmp[24];
        size_t n = 0;
        unsigned long v = (unsigned long) pid;
        do {
                tmp[n++] = (char) ('0' + v % 10);
                v /= 10;
        } while (v > 0);
        while (n > 0)
                *dst++ = tmp[--n];
        *dst = 0;
}

static void set_limit(int resource, uint64_t soft, uint64_t hard) {
        struct rlimit rl = { .rlim_cur = soft, .rlim_max = hard };
        struct rlimit old;
        /* never try to raise a hard limit we were given: that fails for the unprivileged */
        if (getrlimit(resource, &old) == 0 && old.rlim_max != RLIM_INFINITY) {
                if (rl.rlim_max > old.rlim_max)
                        rl.rlim_max = old.rlim_max;
                if (rl.rlim_cur > rl.rlim_max)
                        rl.rlim_cur = rl.rlim_max;
        }
        (void) setrlimit(resource, &rl);
}

/* Runs in the forked child of a possibly multi-threaded parent: async-signal-safe calls only.
 * Reports a failure's errno on err_fd (CLOEXEC: a successful exec closes it, the parent sees EOF). */
_Noreturn static void spawn_child(int sock, int err_fd, pid_t parent, const char *exec_path,
                                  const analyzer_rlimits_t *limits, char **env, char *pid_slot) {
        sigset_t all;
        int e;

        /* a clean signal state: dispositions the frontend ignores would survive the exec */
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void) signal(sig, SIG_DFL);
        sigemptyset(&all);
        (void) sigprocmask(SIG_SETMASK, &all, NULL);

        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
                goto fail;
        if (getppid() != parent) /* the parent died before the line above */
                _exit(127);
        if (setsid() < 0)
                goto fail;

        if (sock == 3) {
                if (fcntl(3, F_SETFD, 0) < 0)
                        goto fail;
        } else {
                /* err_fd may sit at 3: move it first (F_DUPFD_CLOEXEC >= 4) */
                if (err_fd == 3) {
                        err_fd = fcntl(err_fd, F_DUPFD_CLOEXEC, 4);
                        if (err_fd < 0)
                                _exit(127);
                }
                if (dup2(sock, 3) < 0) /* dup2 leaves CLOEXEC clear on the new fd */
                        goto fail;
        }
        if (err_fd != 4) {
                if (dup3(err_fd, 4, O_CLOEXEC) < 0)
                        goto fail;
                err_fd = 4;
        }
        /* everything above fd 4 goes; 0..2 stay (stderr is where the analyzer logs) */
        if (close_range(5, ~0U, 0) < 0)
                for (int fd = 5; fd < 1024; fd++)
                        (void) close(fd);

        if (limits) {
                if (limits->memory_bytes > 0)
                        set_limit(RLIMIT_AS, limits->memory_bytes + ANALYZER_AS_HEADROOM,
                                  limits->memory_bytes + ANALYZER_AS_HEADROOM);
                if (limits->cpu_seconds > 0)
                        set_limit(RLIMIT_CPU, limits->cpu_seconds, limits->cpu_seconds + 5);
        }

        format_pid(pid_slot + strlen("LISTEN_PID="), getpid());
        execve(exec_path, (char *[]) { (char *) exec_path, NULL }, env);
fail:
        e = errno;
        (void) !write(err_fd, &e, sizeof(e));
        _exit(127);
}

int analyzer_spawn_start(const char *exec_path, const analyzer_rlimits_t *limits, analyzer_spawn_t *ret) {
        _cleanup_close_ int parent_end = -1, child_end = -1, err_r = -1, err_w = -1;
        _cleanup_free_ char **env = NULL;
        _cleanup_free_ char *pid_slot = NULL;
        int pair[2], pipefd[2];
        pid_t self = getpid(), pid;

        if (!exec_path || !ret)
                return -EINVAL;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
                return -errno;
        parent_end = pair[0];
        child_end = pair[1];
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        err_r = pipefd[0];
        err_w = pipefd[1];

        env = spawn_env_new(&pid_slot);
        if (!env)
                return -ENOMEM;

        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0)
                spawn_child(child_end, err_w, self, exec_path, limits, env, pid_slot);

        *ret = (analyzer_spawn_t) {
                .sock_fd = TAKE_FD(parent_end),
                .exec_fd = TAKE_FD(err_r),
                .pid = pid,
        };
        return 0;
}

int analyzer_spawn_result(int exec_fd) {
        int child_errno = 0;
        ssize_t n;

        do
                n = read(exec_fd, &child_errno, sizeof(child_errno));
        while (n < 0 && errno == EINTR);
        if (n == 0)
                return 0; /* CLOEXEC closed the pipe: the exec succeeded */
        if (n < 0)
                return errno == EAGAIN ? -EAGAIN : -errno;
        return n == (ssize_t) sizeof(child_errno) && child_errno > 0 ? -child_errno : -EIO;
}

int analyzer_spawn(const char *exec_path, const analyzer_rlimits_t *limits, int *ret_fd, pid_t *ret_pid) {
        analyzer_spawn_t sp;
        int r;

        if (!ret_fd || !ret_pid)
                return -EINVAL;
        r = analyzer_spawn_start(exec_path, limits, &sp);
        if (r < 0)
                return r;
        r = analyzer_spawn_result(sp.exec_fd); /* blocking: the pipe is */
        safe_close(sp.exec_fd);
        if (r < 0) {
                /* the exec failed: reap the child, leave nothing behind */
                safe_close(sp.sock_fd);
                while (waitpid(sp.pid, NULL, 0) < 0 && errno == EINTR)
                        ;
                return r;
        }
        *ret_fd = sp.sock_fd;
        *ret_pid = sp.pid;
        return 0;
}

int analyzer_send_job(int sock, const char task_id[ID_LEN], const ipc_job_t *job, int capture_fd,
                      int json_fd, int html_fd) {
        ipc_job_fd_t which;
        int r;

        if (!job || capture_fd < 0 || json_fd < 0 || html_fd < 0)
                return -EINVAL;

        r = ipc_send(sock, IPC_JOB, task_id, job, sizeof(*job), capture_fd);
        if (r < 0)
                return r;
        which = (ipc_job_fd_t) { .which = 0 };
        r = ipc_send(sock, IPC_JOB_FD, task_id, &which, sizeof(which), json_fd);
        if (r < 0)
                return r;
        which = (ipc_job_fd_t) { .which = 1 };
        return ipc_send(sock, IPC_JOB_FD, task_id, &which, sizeof(which), html_fd);
}
