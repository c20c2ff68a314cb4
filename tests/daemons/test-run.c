/* run_reason(): the words a user reads for every way an analysis can end without DONE. Links web_lib. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "../check.h"

#include "run.h"

static void expect(const run_outcome_t *o, const char *want, const char *what) {
        char got[512];
        run_reason(o, got, sizeof(got));
        if (strcmp(got, want) != 0) {
                fprintf(stderr, "FAIL %s: \"%s\", expected \"%s\"\n", what, got, want);
                tu_failures++;
        } else
                printf("ok %s: %s\n", what, got);
}

/* waitpid() statuses, as the kernel encodes them */
#define KILLED_BY(sig) (sig)
#define EXITED_WITH(code) ((code) << 8)

int main(void) {
        expect(&(run_outcome_t) { .end = RUN_EOF, .timed_out = true, .spawned = true }, "timeout", "timeout wins");
        expect(&(run_outcome_t) { .end = RUN_ERROR, .error = "not a pcap or pcapng capture", .error_code = 3 },
               "not a pcap or pcapng capture", "the analyzer's own message");
        expect(&(run_outcome_t) { .end = RUN_ERROR, .error = "", .error_code = 5 }, "analysis failed (code 5)",
               "an ERROR without a message");
        expect(&(run_outcome_t) { .end = RUN_PROTOCOL, .spawned = true }, "the analyzer sent a malformed message",
               "malformed message");
        expect(&(run_outcome_t) { .end = RUN_EOF, .spawned = true, .exited = true, .exit_status = KILLED_BY(SIGKILL) },
               "the analyzer was killed (memory limit or crash)", "SIGKILL");
        expect(&(run_outcome_t) { .end = RUN_EOF, .spawned = true, .exited = true, .exit_status = KILLED_BY(SIGKILL),
                                  .peak_rss = UINT64_C(300) << 20 },
               "the analyzer was killed (memory limit or crash); it had reached 300 MiB",
               "SIGKILL after it said its memory");
        expect(&(run_outcome_t) { .end = RUN_EOF, .spawned = false, .peak_rss = UINT64_C(1000) << 20 },
               "the analyzer was killed (memory limit or crash); it had reached 1000 MiB",
               "socket-activated analyzer gone after it said its memory");
        expect(&(run_outcome_t) { .end = RUN_ERROR, .error = "memory limit reached after 5 packets",
                                  .error_code = IPC_ERROR_LIMIT, .peak_rss = UINT64_C(64) << 20 },
               "memory limit reached after 5 packets; it had reached 64 MiB", "the analyzer's own limit");
        expect(&(run_outcome_t) { .end = RUN_ERROR, .error = "not a pcap or pcapng capture",
                                  .error_code = IPC_ERROR_NOT_CAPTURE, .peak_rss = UINT64_C(64) << 20 },
               "not a pcap or pcapng capture", "memory is no part of other errors");
        expect(&(run_outcome_t) { .end = RUN_EOF, .spawned = true, .exited = true, .exit_status = KILLED_BY(SIGSYS) },
               "the analyzer was killed by its sandbox (SIGSYS)", "seccomp");
        expect(&(run_outcome_t) { .end = RUN_EOF, .spawned = true, .exited = true, .exit_status = KILLED_BY(SIGXCPU) },
               "the analyzer ran out of CPU time (SIGXCPU)", "RLIMIT_CPU");
        expect(&(run_outcome_t) { .end = RUN_EOF, .spawned = true, .exited = true, .exit_status = KILLED_BY(SIGSEGV) },
               "the analyzer crashed (SIGSEGV)", "a crash");
        expect(&(run_outcome_t) { .end = RUN_EOF, .spawned = true, .exited = true, .exit_status = EXITED_WITH(3) },
               "the analyzer exited with status 3", "an exit status");
        expect(&(run_outcome_t) { .end = RUN_EOF, .spawned = true, .exited = true, .exit_status = EXITED_WITH(0) },
               "the analyzer was killed (memory limit or crash)", "exit 0 without DONE");
        expect(&(run_outcome_t) { .end = RUN_EOF, .spawned = false },
               "the analyzer was killed (memory limit or crash)", "socket-activated analyzer gone (systemd has its status)");
        expect(&(run_outcome_t) { .end = RUN_EOF, .spawned = true, .exited = false },
               "the analyzer was killed (memory limit or crash)", "no exit status after the grace period");
        expect(&(run_outcome_t) { .end = RUN_NO_ANALYZER, .spawned = true, .start_error = -ENOENT },
               "the analyzer could not be started", "exec: no such file");
        expect(&(run_outcome_t) { .end = RUN_NO_ANALYZER, .spawned = true, .start_error = -EAGAIN },
               "the analyzer could not be started: Resource temporarily unavailable", "fork failed");
        expect(&(run_outcome_t) { .end = RUN_NO_ANALYZER, .spawned = false, .start_error = -ECONNREFUSED },
               "the analyzer could not be reached", "socket refused");
        {
                /* a long analyzer message is cut, never overflows */
                char big[IPC_TEXT_MAX];
                char out[16];
                memset(big, 'x', sizeof(big) - 1);
                big[sizeof(big) - 1] = 0;
                run_reason(&(run_outcome_t) { .end = RUN_ERROR, .error = big }, out, sizeof(out));
                if (strlen(out) != sizeof(out) - 1) {
                        fprintf(stderr, "FAIL a long message is cut to the buffer\n");
                        tu_failures++;
                }
        }
        printf("%d tu_failures\n", tu_failures);
        return tu_failures ? 1 : 0;
}
