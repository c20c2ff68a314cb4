/* lib/state: the state directory's layout and its rules, on a real directory and a real store: SQLite, or
 * with "pg" the real PostgreSQL that tests/pg/pg-temp.sh started (PCAPD_TEST_DATABASE). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../check.h"

#include "state/state-dir.h"
#include "util/macro.h"

static bool exists(int dir_fd, const char *name) {
        struct stat st;
        return fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void touch(int dir_fd, const char *name) {
        int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
        CHECK(fd >= 0);
        safe_close(fd);
}

static void add(store_t *s, const char *id, task_status_t st) {
        store_task_t t = { .status = TASK_QUEUED, .uploaded_at = 1 };
        snprintf(t.id, sizeof(t.id), "%s", id);
        snprintf(t.filename, sizeof(t.filename), "x.pcap");
        CHECK(store_task_add(s, &t) == 0);
        if (st == TASK_QUEUED)
                return;
        CHECK(store_task_start(s, id, 2) == 0);
        if (st == TASK_COMPLETED)
                CHECK(store_task_complete(s, id, 3, 4, 1, 100, 0, false, 0) == 0);
        else if (st == TASK_FAILED)
                CHECK(store_task_fail(s, id, 3, 4, "x", 0) == 0);
}

int main(int argc, char **argv) {
        const char *database = argc > 1 && strcmp(argv[1], "pg") == 0 ? getenv("PCAPD_TEST_DATABASE") : NULL;
        char tmpl[] = "/tmp/test-state-XXXXXX", path[4096], name[64];
        const char *q = "00000000000000000000000000000001", *p = "00000000000000000000000000000002",
                   *c = "00000000000000000000000000000003", *f = "00000000000000000000000000000004",
                   *none = "00000000000000000000000000000005";
        state_dir_t sd = STATE_DIR_NULL;
        store_t *s = NULL;
        int fd;

        /* the default path: PCAPD_STATE_DIR, else systemd's first STATE_DIRECTORY, else /var/lib/pcapd */
        {
                char *dp;
                unsetenv("PCAPD_STATE_DIR");
                unsetenv("STATE_DIRECTORY");
                dp = state_dir_default_path();
                CHECK_STR(dp, STATE_DIR_DEFAULT);
                free(dp);
                setenv("STATE_DIRECTORY", "/var/lib/pcapd:/var/lib/other", 1);
                dp = state_dir_default_path();
                CHECK_STR(dp, "/var/lib/pcapd");
                free(dp);
                setenv("PCAPD_STATE_DIR", "/srv/pcapd", 1);
                dp = state_dir_default_path();
                CHECK_STR(dp, "/srv/pcapd");
                free(dp);
                unsetenv("PCAPD_STATE_DIR");
                unsetenv("STATE_DIRECTORY");
        }

        CHECK(mkdtemp(tmpl));
        snprintf(path, sizeof(path), "%s/state", tmpl);

        /* without create, a missing directory is an error, missing subdirectories are not */
        CHECK(state_dir_open(&sd, path, false) == -ENOENT);
        CHECK(mkdir(path, 0750) == 0);
        CHECK(state_dir_open(&sd, path, false) == 0 && sd.uploads_fd < 0 && sd.reports_fd < 0);
        CHECK(state_dir_sweep(&sd, NULL, true, 0, 0, NULL, NULL) == 0);
        state_dir_close(&sd);
        CHECK(state_dir_open(&sd, path, true) == 0 && sd.uploads_fd >= 0 && sd.reports_fd >= 0);

        if (argc > 1 && !database) {
                fprintf(stderr, "state: no PCAPD_TEST_DATABASE (run me through tests/pg/pg-temp.sh run)\n");
                return EXIT_TEST_SKIP;
        }
        CHECK(state_dir_db_path(&sd, name, 8) == -ENAMETOOLONG);
        {
                char db[4096], want[4200];
                /* --database when given, else the state directory's file */
                CHECK(state_dir_database(&sd, NULL, db, sizeof(db)) == 0);
                snprintf(want, sizeof(want), "%s/pcapd.db", path);
                CHECK_STR(db, want);
                CHECK(state_dir_database(&sd, "", db, sizeof(db)) == 0);
                CHECK_STR(db, want);
                CHECK(state_dir_database(&sd, "postgresql:///x", db, sizeof(db)) == 0);
                CHECK_STR(db, "postgresql:///x");
                CHECK(state_dir_database(&sd, "postgresql:///x", db, 8) == -ENAMETOOLONG);
                CHECK(state_dir_database(&sd, database, db, sizeof(db)) == 0);
                CHECK(store_open(db, &s) == 0);
                CHECK_STR(s ? store_backend(s) : "", database ? "postgresql" : "sqlite");
        }

        /* ids are checked before any name is built */
        CHECK(state_capture_create(&sd, "../x") == -EINVAL);
        CHECK(state_capture_open(&sd, "0123") == -EINVAL);

        /* a capture: created once, then exists, then goes */
        fd = state_capture_create(&sd, q);
        CHECK(fd >= 0);
        safe_close(fd);
        CHECK(state_capture_create(&sd, q) == -EEXIST);
        CHECK(state_capture_exists(&sd, q));

        /* a report: an unnamed file gets its name */
        fd = state_report_open_tmpfile(&sd);
        CHECK(fd >= 0);
        CHECK(write(fd, "{}", 2) == 2);
        CHECK(state_report_link(&sd, fd, c, STATE_REPORT_JSON) == 0);
        safe_close(fd);
        fd = state_report_open_tmpfile(&sd); /* a second report of that name replaces the first */
        CHECK(fd >= 0);
        CHECK(state_report_link(&sd, fd, c, STATE_REPORT_JSON) == 0);
        safe_close(fd);
        state_report_name(c, STATE_REPORT_JSON, name, sizeof(name));
        CHECK(exists(sd.reports_fd, name));

        /* the reserve */
        CHECK(state_reserve_make(&sd) == 0);
        CHECK(exists(sd.dir_fd, STATE_RESERVE_NAME));
        CHECK(state_reserve_release(&sd) == 0);
        CHECK(!exists(sd.dir_fd, STATE_RESERVE_NAME));

        /* the sweep's rules */
        add(s, q, TASK_QUEUED);
        add(s, p, TASK_PROCESSING);
        add(s, c, TASK_COMPLETED);
        add(s, f, TASK_FAILED);
        touch(sd.uploads_fd, p);
        touch(sd.uploads_fd, c);
        touch(sd.uploads_fd, f);
        touch(sd.uploads_fd, none);
        touch(sd.uploads_fd, "not-ours");
        snprintf(name, sizeof(name), "%s.html", p);
        touch(sd.reports_fd, name);
        snprintf(name, sizeof(name), "%s.json", f);
        touch(sd.reports_fd, name);
        snprintf(name, sizeof(name), "%s.json", none);
        touch(sd.reports_fd, name);

        /* the reaper's way: in flight, a grace for files of no task */
        CHECK(state_dir_sweep(&sd, s, true, time(NULL), 900, NULL, NULL) == 3);
        CHECK(exists(sd.uploads_fd, q) && exists(sd.uploads_fd, p));          /* queued, processing: kept */
        CHECK(!exists(sd.uploads_fd, c) && !exists(sd.uploads_fd, f));        /* finished: removed */
        CHECK(exists(sd.uploads_fd, none));                                   /* no task, young: kept */
        CHECK(exists(sd.uploads_fd, "not-ours"));
        snprintf(name, sizeof(name), "%s.html", p);
        CHECK(exists(sd.reports_fd, name));                                   /* processing, in flight */
        snprintf(name, sizeof(name), "%s.json", f);
        CHECK(!exists(sd.reports_fd, name));                                  /* failed */
        state_report_name(c, STATE_REPORT_JSON, name, sizeof(name));
        CHECK(exists(sd.reports_fd, name));                                   /* completed */

        /* pcapd-web's start: nothing in flight, no grace */
        CHECK(state_dir_sweep(&sd, s, false, time(NULL), 0, NULL, NULL) == 3);
        CHECK(!exists(sd.uploads_fd, none));
        snprintf(name, sizeof(name), "%s.html", p);
        CHECK(!exists(sd.reports_fd, name));
        CHECK(exists(sd.uploads_fd, q) && exists(sd.uploads_fd, p));
        CHECK(exists(sd.uploads_fd, "not-ours"));

        state_reports_unlink(&sd, c);
        state_report_name(c, STATE_REPORT_JSON, name, sizeof(name));
        CHECK(!exists(sd.reports_fd, name));
        CHECK(state_capture_unlink(&sd, q) == 0 && state_capture_unlink(&sd, q) == 0);

        /* shared bytes (PostgreSQL): what this directory lacks is fetched from the database, opened
         * read-only, byte for byte; SQLite has no bytes to fetch */
        {
                const char *g = "00000000000000000000000000000006";
                char cap[100], got[128];
                store_task_t t = { .status = TASK_QUEUED, .uploaded_at = 1 };
                int src;

                for (size_t i = 0; i < sizeof(cap); i++)
                        cap[i] = (char) (i * 7);
                snprintf(t.id, sizeof(t.id), "%s", g);
                snprintf(t.filename, sizeof(t.filename), "g.pcap");
                snprintf(path, sizeof(path), "%s/g.src", tmpl);
                src = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                CHECK(src >= 0 && write(src, cap, sizeof(cap)) == (ssize_t) sizeof(cap) && lseek(src, 0, SEEK_SET) == 0);
                if (!database) {
                        CHECK_EQ(store_task_add_capture(s, &t, src), -EOPNOTSUPP);
                        CHECK_EQ(state_capture_fetch(&sd, s, g), -EOPNOTSUPP);
                        CHECK(!exists(sd.uploads_fd, g));
                } else {
                        CHECK_EQ(state_capture_fetch(&sd, s, g), -ENOENT); /* not in the database either */
                        CHECK(!exists(sd.uploads_fd, g));
                        CHECK_EQ(store_task_add_capture(s, &t, src), 0);
                        fd = state_capture_fetch(&sd, s, g);
                        CHECK(fd >= 0 && (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY);
                        CHECK(pread(fd, got, sizeof(got), 0) == (ssize_t) sizeof(cap) && memcmp(got, cap, sizeof(cap)) == 0);
                        safe_close(fd);
                        CHECK(state_capture_exists(&sd, g));
                        CHECK_EQ(state_report_fetch(&sd, s, g, STATE_REPORT_HTML), -ENOENT);
                        CHECK_EQ(state_report_open(&sd, g, STATE_REPORT_HTML), -ENOENT);
                        CHECK(store_task_claim(s, "n", g, 5, 100000, &t) == 0);
                        CHECK(lseek(src, 0, SEEK_SET) == 0 && store_blob_put_fd(s, "n", g, STORE_BLOB_HTML, src) == 0);
                        fd = state_report_fetch(&sd, s, g, STATE_REPORT_HTML);
                        CHECK(fd >= 0 && pread(fd, got, sizeof(got), 0) == (ssize_t) sizeof(cap) &&
                              memcmp(got, cap, sizeof(cap)) == 0);
                        safe_close(fd);
                        fd = state_report_open(&sd, g, STATE_REPORT_HTML);
                        CHECK(fd >= 0);
                        safe_close(fd);
                        state_reports_unlink(&sd, g);
                        CHECK(state_capture_unlink(&sd, g) == 0);
                }
                safe_close(src);
        }

        store_close(s);
        state_dir_close(&sd);
        {
                char cmd[256];
                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
                (void) !system(cmd);
        }
        printf("%d tu_failures\n", tu_failures);
        return tu_failures ? 1 : 0;
}
