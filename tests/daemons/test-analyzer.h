/* Helpers shared by test-analyzer.c and test-sandbox.c: run one job through a real pcapd-analyzer. */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../check.h"
#include "../pcapwrite/pcapwrite.h"

#include "ipc/analyzer-client.h"
#include "ipc/ipc.h"
#include "util/macro.h"

static const char TEST_TASK[ID_LEN + 1] = "00112233445566778899aabbccddeeff";

typedef struct job_result {
        unsigned n_progress;
        char phases[128];         /* distinct phases in order, comma-separated */
        bool done, error, eof;
        ipc_done_t d;
        ipc_error_t e;
        bool extra_after_end;     /* a message after DONE/ERROR */
        bool bad_message;         /* ipc_recv() refused something the analyzer sent */
        int wait_status;
        off_t capture_offset;     /* how far the analyzer read the (shared) capture file description */
        char *json;
        size_t json_len;
        char *html;
        size_t html_len;
} job_result_t;

static void job_result_done(job_result_t *r) {
        free(r->json);
        free(r->html);
        *r = (job_result_t) {};
}

static char test_tmpdir[64];

static void test_tmpdir_make(void) {
        if (test_tmpdir[0])
                return;
        snprintf(test_tmpdir, sizeof(test_tmpdir), "/tmp/pcapd-test-XXXXXX");
        if (!mkdtemp(test_tmpdir)) {
                perror("mkdtemp");
                exit(EXIT_FAILURE);
        }
}

static void test_tmpdir_remove(void) {
        char cmd[128];
        if (!test_tmpdir[0])
                return;
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", test_tmpdir);
        (void) !system(cmd);
}

/* A report file as pcapd-web makes it: unlinked, in a directory of the state. */
static int report_fd_new(void) {
        test_tmpdir_make();
        int fd = open(test_tmpdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd < 0) {
                perror("open(O_TMPFILE)");
                exit(EXIT_FAILURE);
        }
        return fd;
}

static char *read_all(int fd, size_t *ret_len) {
        struct stat st;
        char *buf;
        if (fstat(fd, &st) < 0)
                return NULL;
        buf = malloc((size_t) st.st_size + 1);
        if (!buf)
                return NULL;
        ssize_t n = pread(fd, buf, (size_t) st.st_size, 0);
        if (n < 0) {
                free(buf);
                return NULL;
        }
        buf[n] = 0;
        *ret_len = (size_t) n;
        return buf;
}

static void write_file(const char *path, const void *data, size_t len) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, data, len) != (ssize_t) len) {
                perror(path);
                exit(EXIT_FAILURE);
        }
        close(fd);
}

/* A small capture of our own, so the tests never depend on the corpus: classic pcap, Ethernet, n UDP
 * packets 10.0.0.1:5353 -> 10.0.0.2:53 one millisecond apart, IP ids 0, 1, 2, ... Returns the path. */
static const char *test_capture_make(unsigned n_packets) {
        static char path[128];
        uint8_t payload[32];
        tu_buf_t file = {}, pkt = {};

        memset(payload, 'q', sizeof(payload));
        test_tmpdir_make();
        snprintf(path, sizeof(path), "%s/own-%u.pcap", test_tmpdir, n_packets);
        tu_pcap_header(&file, false, false, 1 /* DLT_EN10MB */, 65535);
        for (unsigned i = 0; i < n_packets; i++) {
                tu_reset(&pkt);
                tu_eth(&pkt, 0x0800);
                size_t ip = tu_ipv4(&pkt, "10.0.0.1", "10.0.0.2", 17, NULL, 0);
                size_t udp = tu_udp(&pkt, 5353, 53);
                tu_put(&pkt, payload, sizeof(payload));
                tu_udp_end(&pkt, udp);
                tu_set_be16(&pkt, ip + 4, (uint16_t) i);
                tu_ipv4_end(&pkt, ip);
                tu_pcap_record(&file, false, false, INT64_C(1700000000000000000) + (int64_t) i * 1000000, pkt.b,
                               (uint32_t) pkt.n, (uint32_t) pkt.n);
        }
        write_file(path, file.b, file.n);
        tu_free(&pkt);
        tu_free(&file);
        return path;
}

/* The parts that need the analyzer's test hooks (PCAPD_ANALYZER_TEST_*, compiled in with -Dtest_hooks=true)
 * are meson tests of their own: in a build without the hooks they exit with EXIT_TEST_SKIP, saying why,
 * and meson counts them as skipped. */
static void test_hooks_require(const char *part) {
        if (PCAPD_TEST_HOOKS)
                return;
        printf("SKIP: %s: this build has no analyzer test hooks (meson setup -Dtest_hooks=true; tests/run-all.sh "
               "sets it)\n", part);
        exit(EXIT_TEST_SKIP);
}

static ipc_job_t test_job_params(void) {
        return (ipc_job_t) {
                .version = IPC_PROTOCOL_VERSION,
                .timeout_s = 60,
                .memory_budget = UINT64_C(512) << 20,
        };
}

/* Reads answers until the channel ends, then reaps the analyzer and collects the reports. */
static void job_collect(int sock, pid_t pid, int capture_fd, int json_fd, int html_fd, job_result_t *res) {
        union {
                ipc_progress_t progress;
                ipc_done_t done;
                ipc_error_t error;
                uint8_t buf[IPC_MESSAGE_MAX];
        } in;
        ipc_header_t h;
        int fd, r;

        for (;;) {
                fd = -1;
                r = ipc_recv(sock, &h, &in, sizeof(in), &fd);
                if (r == -ECONNRESET) {
                        res->eof = true;
                        break;
                }
                if (r < 0) {
                        fprintf(stderr, "ipc_recv from the analyzer: %s\n", strerror(-r));
                        res->bad_message = true;
                        break;
                }
                safe_close(fd);
                if (memcmp(h.task_id, TEST_TASK, ID_LEN) != 0)
                        res->bad_message = true;
                if (res->done || res->error)
                        res->extra_after_end = true;
                switch (h.type) {
                case IPC_PROGRESS: {
                        size_t l = strlen(res->phases);
                        const char *last = strrchr(res->phases, ',');
                        last = last ? last + 1 : res->phases;
                        res->n_progress++;
                        if (strcmp(last, in.progress.phase) != 0 && l + strlen(in.progress.phase) + 2 < sizeof(res->phases))
                                snprintf(res->phases + l, sizeof(res->phases) - l, "%s%s", l ? "," : "",
                                         in.progress.phase);
                        break;
                }
                case IPC_DONE:
                        res->done = true;
                        res->d = in.done;
                        break;
                case IPC_ERROR:
                        res->error = true;
                        res->e = in.error;
                        break;
                default:
                        res->bad_message = true;
                }
        }
        safe_close(sock);
        while (pid > 0 && waitpid(pid, &res->wait_status, 0) < 0 && errno == EINTR)
                ;
        res->capture_offset = lseek(capture_fd, 0, SEEK_CUR);
        res->json = read_all(json_fd, &res->json_len);
        res->html = read_all(html_fd, &res->html_len);
}

/* Spawns analyzer (with PCAPD_ANALYZER_TEST_ESCAPE=escape when not NULL) and runs one job on capture_fd. */
static int job_run_fd(const char *analyzer, int capture_fd, const ipc_job_t *params, const char *escape,
                      job_result_t *res) {
        ipc_job_t job = params ? *params : test_job_params();
        int json_fd = report_fd_new(), html_fd = report_fd_new(), sock = -1, r;
        pid_t pid;

        *res = (job_result_t) {};
        if (escape)
                setenv("PCAPD_ANALYZER_TEST_ESCAPE", escape, 1);
        r = analyzer_spawn(analyzer, NULL, &sock, &pid);
        unsetenv("PCAPD_ANALYZER_TEST_ESCAPE");
        if (r < 0) {
                fprintf(stderr, "analyzer_spawn(%s): %s\n", analyzer, strerror(-r));
                goto finish;
        }
        r = analyzer_send_job(sock, TEST_TASK, &job, capture_fd, json_fd, html_fd);
        if (r < 0)
                fprintf(stderr, "analyzer_send_job: %s (collecting what the analyzer said)\n", strerror(-r));
        job_collect(sock, pid, capture_fd, json_fd, html_fd, res);
        r = 0;
finish:
        safe_close(json_fd);
        safe_close(html_fd);
        return r;
}

static int job_run(const char *analyzer, const char *capture, const ipc_job_t *params, const char *escape,
                   job_result_t *res) {
        int fd = open(capture, O_RDONLY | O_CLOEXEC), r;
        if (fd < 0) {
                fprintf(stderr, "%s: %m\n", capture);
                return -errno;
        }
        r = job_run_fd(analyzer, fd, params, escape, res);
        close(fd);
        return r;
}

static const char *wait_status_str(int status) {
        static char buf[64];
        if (WIFEXITED(status))
                snprintf(buf, sizeof(buf), "exit %d", WEXITSTATUS(status));
        else if (WIFSIGNALED(status))
                snprintf(buf, sizeof(buf), "signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
        else
                snprintf(buf, sizeof(buf), "status 0x%x", status);
        return buf;
}

static void job_result_print(const char *what, const job_result_t *r) {
        printf("%s: %s, %u progress (%s), %s%s%s, capture read to %lld, json %zu B, html %zu B\n", what,
               r->done ? "DONE" : r->error ? "ERROR" : "no answer", r->n_progress, r->phases,
               wait_status_str(r->wait_status), r->error ? ": " : "", r->error ? r->e.message : "",
               (long long) r->capture_offset, r->json_len, r->html_len);
}
