/* How pcapd-web reaches an analyzer: connect to the socket-activated one, or spawn one over a socketpair. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "ipc/ipc.h"

/* Resource limits that stand in for pcapd-analyzer.slice when pcapd-web spawns the analyzer itself. */
typedef struct analyzer_rlimits {
        uint64_t memory_bytes;    /* RLIMIT_AS = memory_bytes + ANALYZER_AS_HEADROOM; 0 = leave unchanged */
        uint64_t cpu_seconds;     /* RLIMIT_CPU (soft; hard = soft + 5 s); 0 = leave unchanged */
} analyzer_rlimits_t;

/* Address space on top of the memory budget for code, libc, stack and stdio buffers. */
#define ANALYZER_AS_HEADROOM (UINT64_C(256) << 20)

/* Connects (SOCK_SEQPACKET|SOCK_CLOEXEC, blocking) to the analyzer socket at path; with the unit's
 * Accept=yes each connection is a fresh analyzer process. Returns 0 and the connected fd in *ret_fd, or
 * -errno (-ENOENT / -ECONNREFUSED when no analyzer listens there). */
int analyzer_connect(const char *path, int *ret_fd);

/* A spawned analyzer whose exec may not have happened yet. */
typedef struct analyzer_spawn {
        int sock_fd;   /* the parent's end of the SOCK_SEQPACKET socketpair (CLOEXEC, blocking) */
        int exec_fd;   /* read end of the exec-status pipe (CLOEXEC, blocking): see analyzer_spawn_result() */
        pid_t pid;     /* the caller reaps it (waitpid), whatever the exec's outcome */
} analyzer_spawn_t;

/* Starts exec_path as an analyzer without waiting for the exec: a SOCK_SEQPACKET socketpair (CLOEXEC),
 * fork; the child gets PR_SET_PDEATHSIG(SIGKILL), a new session, default signal dispositions and an empty
 * signal mask, its end as fd 3 with LISTEN_FDS=1 and LISTEN_PID=<its pid> (the same contract as socket
 * activation), an environment of JOURNAL_STREAM and PCAPD_ANALYZER_* only, the rlimits (limits may be
 * NULL), every other fd closed, and execs. Returns 0 with *ret filled, or -errno when nothing was started.
 * Call it from a long-lived thread: the death signal follows the thread that forked, not the process. */
int analyzer_spawn_start(const char *exec_path, const analyzer_rlimits_t *limits, analyzer_spawn_t *ret);

/* Reads the exec's outcome from exec_fd once it is readable (blocking, or O_NONBLOCK and watched by a
 * loop): 0 when the exec succeeded, -EAGAIN when it has not happened yet (non-blocking fd), or the
 * exec's own error (-ENOENT, -EACCES, ...; then the child exits 127 and must still be reaped). */
int analyzer_spawn_result(int exec_fd);

/* analyzer_spawn_start() then a blocking wait for the exec. Returns 0 once the exec has succeeded, with
 * the socket in *ret_fd and the pid in *ret_pid (the caller reaps it), or -errno, and then no child is
 * left. pcapd-web calls it on its spawner thread (daemons/web/spawner.c), never on its event loop. */
int analyzer_spawn(const char *exec_path, const analyzer_rlimits_t *limits, int *ret_fd, pid_t *ret_pid);

/* Sends a whole job: JOB with the capture fd, then JOB_FD with the JSON fd, then JOB_FD with the HTML fd.
 * The fds are borrowed (the kernel duplicates them into the peer); the caller still closes its copies.
 * 0 or -errno (-EPIPE / -ECONNRESET when the analyzer went away). */
int analyzer_send_job(int sock, const char task_id[ID_LEN], const ipc_job_t *job, int capture_fd,
                      int json_fd, int html_fd);
