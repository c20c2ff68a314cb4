/* test-analyzer: the real pcapd-analyzer, spawned as pcapd-web spawns it and socket-activated as systemd
 * starts it, on captures of its own and of the corpus: progress, DONE, valid reports, readable errors. */
#include <dirent.h>
#include <inttypes.h>
#include <limits.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "engine/threshold.h"
#include "test-analyzer.h"

/* 0 valid with the schema, 1 not, -1 no python3 (then a plain substring check is done instead). */
static int json_report_check(const char *json, size_t len) {
        char path[128], cmd[512];
        int status;

        snprintf(path, sizeof(path), "%s/report.json", test_tmpdir);
        write_file(path, json, len);
        snprintf(cmd, sizeof(cmd),
                 "python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); "
                 "sys.exit(0 if isinstance(d, dict) and d.get(\"schema\") == \"pcapd.report/2\" else 1)' '%s'",
                 path);
        status = system(cmd);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
                return -1;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

static void check_success(const char *what, const job_result_t *r, uint64_t expect_packets, off_t size) {
        int j;

        job_result_print(what, r);
        CHECK_MSG(r->done, "%s: no DONE (%s)", what, r->error ? r->e.message : "no answer");
        CHECK_MSG(!r->error && !r->bad_message && !r->extra_after_end && r->eof, "%s: protocol", what);
        CHECK_MSG(r->n_progress >= 1, "%s: no PROGRESS", what);
        CHECK_MSG(strstr(r->phases, "reading") != NULL, "%s: no 'reading' phase in %s", what, r->phases);
        CHECK_MSG(WIFEXITED(r->wait_status) && WEXITSTATUS(r->wait_status) == 0, "%s: %s", what,
                  wait_status_str(r->wait_status));
        CHECK_MSG(r->capture_offset == size, "%s: the capture was read to %lld of %lld", what,
                  (long long) r->capture_offset, (long long) size);
        if (expect_packets > 0)
                CHECK_MSG(r->d.packets == expect_packets, "%s: DONE says %" PRIu64 " packets, expected %" PRIu64,
                          what, r->d.packets, expect_packets);
        CHECK_MSG(r->json && r->json_len > 0, "%s: empty JSON report", what);
        CHECK_MSG(r->html && r->html_len > 0 && strstr(r->html, "<") != NULL, "%s: empty HTML report", what);
        if (r->json && r->json_len > 0) {
                j = json_report_check(r->json, r->json_len);
                if (j < 0)
                        CHECK_MSG(strstr(r->json, "\"schema\": \"pcapd.report/2\"") ||
                                  strstr(r->json, "\"schema\":\"pcapd.report/2\""),
                                  "%s: no schema in the JSON report (python3 absent: substring check)", what);
                else
                        CHECK_MSG(j == 0, "%s: the JSON report is not valid JSON with \"schema\": \"pcapd.report/2\"",
                                  what);
        }
}

static void check_error(const char *what, const job_result_t *r, int code) {
        job_result_print(what, r);
        CHECK_MSG(r->error && r->e.code == code, "%s: expected ERROR %d, got %s %d", what, code,
                  r->done ? "DONE" : r->error ? "ERROR" : "nothing", r->error ? r->e.code : 0);
        CHECK_MSG(strlen(r->e.message) > 10, "%s: no readable message", what);
        CHECK_MSG(!r->bad_message && !r->extra_after_end && r->eof, "%s: protocol", what);
        CHECK_MSG(WIFEXITED(r->wait_status) && WEXITSTATUS(r->wait_status) != 0, "%s: %s", what,
                  wait_status_str(r->wait_status));
}

static off_t file_size(const char *path) {
        struct stat st;
        return stat(path, &st) < 0 ? -1 : st.st_size;
}

static void test_own_captures(const char *analyzer) {
        job_result_t r;
        const char *cap = test_capture_make(300);
        char path[160];

        CHECK(job_run(analyzer, cap, NULL, NULL, &r) == 0);
        check_success("own capture, 300 packets", &r, 300, file_size(cap));
        job_result_done(&r);

        /* a packet limit from the JOB reaches the engine */
        ipc_job_t job = test_job_params();
        job.max_packets = 100;
        CHECK(job_run(analyzer, cap, &job, NULL, &r) == 0);
        job_result_print("own capture, max_packets 100", &r);
        CHECK_MSG(r.done && r.d.packets == 100 && r.d.partial == 1, "max_packets 100: %s, %" PRIu64 " packets, partial %u",
                  r.done ? "DONE" : "no DONE", r.d.packets, r.d.partial);
        job_result_done(&r);

        /* the thresholds of pcapd-web's configuration file reach the engine through the JOB ... */
        job = test_job_params();
        job.n_thresholds = _TH_MAX;
        for (unsigned i = 0; i < _TH_MAX; i++) {
                job.thresholds[i] = threshold_default((threshold_id_t) i);
                job.threshold_source[i] = TS_DEFAULT;
        }
        job.thresholds[TH_GAP] = 1234.5;
        job.threshold_source[TH_GAP] = TS_FILE;
        CHECK(job_run(analyzer, cap, &job, NULL, &r) == 0);
        check_success("own capture, thresholds in the JOB", &r, 300, file_size(cap));
        CHECK_MSG(r.json && strstr(r.json, "\"gap_ms\": {\n") &&
                  strstr(r.json, "\"value\": 1234.5,\n") && strstr(r.json, "\"set_by\": \"configuration\""),
                  "the report records the JOB's gap_ms");
        job_result_done(&r);
        /* ... checked there: out of range, or another build's count */
        job.thresholds[TH_DNS_SLOW] = 0;
        CHECK(job_run(analyzer, cap, &job, NULL, &r) == 0);
        check_error("a threshold out of its range", &r, 5);
        CHECK_MSG(strstr(r.e.message, "dns_slow_ms") != NULL, "names the threshold: %s", r.e.message);
        job_result_done(&r);
        job.thresholds[TH_DNS_SLOW] = 200;
        job.n_thresholds = _TH_MAX - 1;
        job.thresholds[_TH_MAX - 1] = 0;
        CHECK(job_run(analyzer, cap, &job, NULL, &r) == 0);
        check_error("another build's thresholds", &r, 5);
        CHECK_MSG(strstr(r.e.message, "different builds") != NULL, "says why: %s", r.e.message);
        job_result_done(&r);

        /* not a capture: libpcap's reason, code 3 */
        snprintf(path, sizeof(path), "%s/notes.txt", test_tmpdir);
        write_file(path, "This is not a capture, just some text that is long enough.\n", 59);
        CHECK(job_run(analyzer, path, NULL, NULL, &r) == 0);
        check_error("text file", &r, 3);
        job_result_done(&r);

        snprintf(path, sizeof(path), "%s/empty.pcap", test_tmpdir);
        write_file(path, "", 0);
        CHECK(job_run(analyzer, path, NULL, NULL, &r) == 0);
        check_error("empty file", &r, 3);
        job_result_done(&r);

        /* cut in the middle of a packet: analysed up to the damage, and flagged partial */
        {
                int in = open(cap, O_RDONLY | O_CLOEXEC);
                char buf[24 + 100 * (16 + 74) + 30];
                CHECK(in >= 0 && read(in, buf, sizeof(buf)) == (ssize_t) sizeof(buf));
                close(in);
                snprintf(path, sizeof(path), "%s/truncated.pcap", test_tmpdir);
                write_file(path, buf, sizeof(buf));
                CHECK(job_run(analyzer, path, NULL, NULL, &r) == 0);
                job_result_print("truncated capture", &r);
                CHECK_MSG(r.done && r.d.packets == 100 && r.d.partial == 1,
                          "truncated capture: %s, %" PRIu64 " packets, partial %u", r.done ? "DONE" : "no DONE",
                          r.d.packets, r.d.partial);
                job_result_done(&r);
        }
}

/* The JOB's timeout: the soft one is noticed between packets; the hard one fires when the analysis does
 * not come back (a test hook makes the progress callback slow, or never return). */
static void test_timeouts(const char *analyzer) {
        const char *cap = test_capture_make(300);
        ipc_job_t job = test_job_params();
        struct timespec t0, t1;
        job_result_t r;
        double s;

        job.timeout_s = 1;
        setenv("PCAPD_ANALYZER_TEST_STALL", "slow", 1);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        CHECK(job_run(analyzer, cap, &job, NULL, &r) == 0);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        s = (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9;
        check_error("soft timeout (slow analysis, timeout 1 s)", &r, 6);
        CHECK_MSG(strstr(r.e.message, "timeout") != NULL, "timeout message: %s", r.e.message);
        CHECK_MSG(s >= 0.9 && s < 5, "soft timeout took %.2f s", s);
        job_result_done(&r);

        setenv("PCAPD_ANALYZER_TEST_STALL", "hang", 1);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        CHECK(job_run(analyzer, cap, &job, NULL, &r) == 0);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        unsetenv("PCAPD_ANALYZER_TEST_STALL");
        s = (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9;
        check_error("hard timeout (hung analysis, timeout 1 s + grace)", &r, 6);
        CHECK_MSG(s >= 5 && s < 20, "hard timeout took %.2f s", s);
        job_result_done(&r);

        /* the hook alone does not fail a job that has time */
        setenv("PCAPD_ANALYZER_TEST_STALL", "slow", 1);
        job.timeout_s = 60;
        CHECK(job_run(analyzer, test_capture_make(20), &job, NULL, &r) == 0);
        unsetenv("PCAPD_ANALYZER_TEST_STALL");
        CHECK_MSG(r.done, "slow job with time to spare: %s", r.error ? r.e.message : "no DONE");
        job_result_done(&r);
}

static void test_bad_fds(const char *analyzer) {
        const char *cap = test_capture_make(300);
        job_result_t r;
        int fd;

        fd = open(cap, O_RDWR | O_CLOEXEC);
        CHECK(job_run_fd(analyzer, fd, NULL, NULL, &r) == 0);
        check_error("capture fd opened read-write", &r, 5);
        CHECK_MSG(r.capture_offset == 0, "the capture was read although refused");
        job_result_done(&r);
        close(fd);

        fd = open(test_tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        CHECK(job_run_fd(analyzer, fd, NULL, NULL, &r) == 0);
        check_error("a directory as the capture", &r, 5);
        job_result_done(&r);
        close(fd);

        fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
        CHECK(job_run_fd(analyzer, fd, NULL, NULL, &r) == 0);
        check_error("a character device as the capture", &r, 5);
        job_result_done(&r);
        close(fd);
}

/* A peer that does not follow the protocol gets no answer: the analyzer drops the channel and exits. */
static void test_protocol_violation(const char *analyzer) {
        job_result_t r = {};
        ipc_job_fd_t jf = { .which = 0 };
        int sock, fd = report_fd_new();
        pid_t pid;

        CHECK(analyzer_spawn(analyzer, NULL, &sock, &pid) == 0);
        CHECK(ipc_send(sock, IPC_JOB_FD, TEST_TASK, &jf, sizeof(jf), fd) == 0);
        job_collect(sock, pid, fd, fd, fd, &r);
        job_result_print("JOB_FD before JOB", &r);
        CHECK(!r.done && !r.error && r.eof);
        CHECK(WIFEXITED(r.wait_status) && WEXITSTATUS(r.wait_status) != 0);
        job_result_done(&r);

        /* the analyzer's stderr goes to a file here: not the journal, so one JSON object per line */
        char log_path[128], cmd[512];
        int saved_stderr = dup(STDERR_FILENO), log_fd, status;
        snprintf(log_path, sizeof(log_path), "%s/analyzer.log", test_tmpdir);
        log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        CHECK(log_fd >= 0 && saved_stderr >= 0);
        dup2(log_fd, STDERR_FILENO);
        CHECK(analyzer_spawn(analyzer, NULL, &sock, &pid) == 0);
        dup2(saved_stderr, STDERR_FILENO);
        close(saved_stderr);
        close(log_fd);
        CHECK(send(sock, "garbage", 7, MSG_NOSIGNAL) == 7);
        job_collect(sock, pid, fd, fd, fd, &r);
        job_result_print("garbage", &r);
        CHECK(!r.done && !r.error && r.eof);
        CHECK(WIFEXITED(r.wait_status) && WEXITSTATUS(r.wait_status) != 0);
        job_result_done(&r);
        close(fd);

        snprintf(cmd, sizeof(cmd),
                 "python3 -c 'import json, sys\n"
                 "lines = open(sys.argv[1]).read().splitlines()\n"
                 "assert lines, \"no log line\"\n"
                 "for l in lines:\n"
                 "    d = json.loads(l)\n"
                 "    assert d[\"SYSLOG_IDENTIFIER\"] == \"pcapd-analyzer\" and d[\"PRIORITY\"] == \"3\", d\n"
                 "    assert d[\"PCAPD_EVENT\"] == \"ipc-error\" and d[\"MESSAGE\"] and d[\"ERRNO\"] and d[\"ts\"], d\n"
                 "' '%s'",
                 log_path);
        status = system(cmd);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
                printf("SKIP log format check: no python3\n");
        else
                CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                          "the analyzer's stderr is not one JSON object per line with the journal fields");
}

/* The systemd way: systemd-socket-activate --accept gives each connection its own analyzer, fd 3. */
static void test_socket_activated(const char *analyzer) {
        const char *cap = test_capture_make(300);
        char sock_path[128];
        job_result_t r = {};
        pid_t activator;
        int sock = -1, capture_fd, json_fd, html_fd, rc = -1;
        ipc_job_t job = test_job_params();

        if (access("/usr/bin/systemd-socket-activate", X_OK) < 0) {
                printf("SKIP socket activation: systemd-socket-activate is not installed\n");
                return;
        }
        snprintf(sock_path, sizeof(sock_path), "%s/analyzer.sock", test_tmpdir);
        activator = fork();
        if (activator == 0) {
                int devnull = open("/dev/null", O_WRONLY);
                prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive the test, even when it is killed */
                dup2(devnull, STDOUT_FILENO);
                execl("/usr/bin/systemd-socket-activate", "systemd-socket-activate", "--seqpacket", "--accept",
                      "-l", sock_path, analyzer, (char *) NULL);
                _exit(127);
        }
        for (int i = 0; i < 200 && rc < 0; i++) {
                rc = analyzer_connect(sock_path, &sock);
                if (rc < 0)
                        usleep(20000);
        }
        CHECK_MSG(rc == 0, "connect to the activated socket: %s", strerror(-rc));
        if (rc == 0) {
                capture_fd = open(cap, O_RDONLY | O_CLOEXEC);
                json_fd = report_fd_new();
                html_fd = report_fd_new();
                CHECK(analyzer_send_job(sock, TEST_TASK, &job, capture_fd, json_fd, html_fd) == 0);
                /* the analyzer is the activator's child, not ours: job_collect()'s waitpid() fails, fine */
                job_collect(sock, -1, capture_fd, json_fd, html_fd, &r);
                r.wait_status = 0;
                check_success("socket-activated", &r, 300, file_size(cap));
                job_result_done(&r);
                close(capture_fd);
                close(json_fd);
                close(html_fd);
        }
        kill(activator, SIGTERM);
        waitpid(activator, NULL, 0);
}

static uint64_t truth_packets(const char *capture) {
        /* the top-level "packets" member of the tshark truth next to the capture */
        char path[PATH_MAX + 16], *json;
        size_t len;
        uint64_t n = 0;
        int fd;

        snprintf(path, sizeof(path), "%s.truth.json", capture);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        json = read_all(fd, &len);
        close(fd);
        if (json) {
                const char *p = strstr(json, "\n \"packets\": ");
                if (p)
                        n = strtoull(p + 13, NULL, 10);
        }
        free(json);
        return n;
}

static unsigned test_corpus(const char *analyzer, const char *corpus) {
        char dir[512], path[PATH_MAX];
        struct dirent **names;
        unsigned n_done = 0;
        int n;

        snprintf(dir, sizeof(dir), "%s/gen", corpus);
        n = scandir(dir, &names, NULL, alphasort);
        if (n < 0) {
                printf("NOTE: corpus %s absent: only the test's own captures were analysed\n", dir);
                return 0;
        }
        for (int i = 0; i < n; i++) {
                const char *name = names[i]->d_name;
                size_t l = strlen(name);
                if ((l > 5 && strcmp(name + l - 5, ".pcap") == 0) || (l > 7 && strcmp(name + l - 7, ".pcapng") == 0)) {
                        job_result_t r;
                        snprintf(path, sizeof(path), "%s/%s", dir, name);
                        CHECK(job_run(analyzer, path, NULL, NULL, &r) == 0);
                        check_success(name, &r, truth_packets(path), file_size(path));
                        job_result_done(&r);
                        n_done++;
                }
                free(names[i]);
        }
        free(names);
        return n_done;
}

/* test-analyzer PCAPD-ANALYZER CORPUS-DIR: everything but the timeouts; test-analyzer PCAPD-ANALYZER CORPUS-DIR
 * timeouts: the JOB's timeouts, which need the test hooks to make an analysis slow */
int main(int argc, char *argv[]) {
        bool timeouts = argc == 4 && strcmp(argv[3], "timeouts") == 0;
        unsigned n_corpus = 0;

        if (argc != 3 && !timeouts) {
                fprintf(stderr, "usage: %s PCAPD-ANALYZER CORPUS-DIR [timeouts]\n", argv[0]);
                return EXIT_FAILURE;
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        if (timeouts)
                test_hooks_require("the JOB's timeouts");
        alarm(240);
        signal(SIGPIPE, SIG_IGN);

        if (timeouts)
                test_timeouts(argv[1]);
        else {
                test_own_captures(argv[1]);
                test_bad_fds(argv[1]);
                test_protocol_violation(argv[1]);
                test_socket_activated(argv[1]);
                n_corpus = test_corpus(argv[1], argv[2]);
        }

        test_tmpdir_remove();
        if (tu_failures > 0) {
                fprintf(stderr, "test-analyzer: %d check(s) failed\n", tu_failures);
                return EXIT_FAILURE;
        }
        if (timeouts)
                printf("test-analyzer timeouts: all checks passed\n");
        else
                printf("test-analyzer: all checks passed (%u corpus captures)\n", n_corpus);
        return EXIT_SUCCESS;
}
