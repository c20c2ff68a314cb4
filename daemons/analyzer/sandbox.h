/* The analyzer's confinement: keep only the given fds, no new privileges, rlimits, seccomp allow-list. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Writes to the report fds stop (EFBIG) past this offset. */
#define SANDBOX_REPORT_MAX (UINT64_C(256) << 20)

typedef struct sandbox_config {
        const int *keep_fds;   /* fds that stay open (stderr is always kept); all others are closed */
        unsigned n_keep_fds;
        int ipc_fd;            /* the only fd send/recv calls may use */
        bool debug_trap;       /* trap (report the syscall on stderr, then _exit) instead of a silent kill */
        uint64_t memory_max;   /* address space the analysis may use on top of the program (RLIMIT_AS); 0: none */
} sandbox_config_t;

/* Applies, in this order (STYLE.md 7): close every fd not kept, PR_SET_NO_NEW_PRIVS, drop root to
 * nobody (re-arming PR_SET_PDEATHSIG, which a credential change clears), rlimits (FSIZE =
 * SANDBOX_REPORT_MAX, NPROC 0, NOFILE = highest kept fd + 1, CORE 0), then the seccomp filter.
 * Everything the process needs later must be initialised before. 0 or -errno; on failure the
 * process must not go on. */
int sandbox_confine(const sandbox_config_t *c);

/* Only the steps, for tests that confine a forked child themselves. */
int sandbox_close_other_fds(const int *keep_fds, unsigned n_keep_fds);
int sandbox_apply_seccomp(int ipc_fd, bool debug_trap);

/* Test hook (see PCAPD_ANALYZER_TEST_ESCAPE in main.c): after confinement, tries one forbidden thing:
 * "open" (a file), "socket", "exec", "fork". Returns -errno when the attempt was refused, 0 if it
 * succeeded (the sandbox is broken), -EINVAL for an unknown name. Most attempts do not return: the
 * filter kills the process with SIGSYS. */
int sandbox_try_escape(const char *what);
