/* Tests of the task store: transitions, recovery, listing, two writers; on a real SQLite file, or with
 * "pg" on the real PostgreSQL that tests/pg/pg-temp.sh started (PCAPD_TEST_DATABASE). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../check.h"

#include "store/store.h"

static store_task_t make(const char *id, const char *name, int64_t at) {
        store_task_t t = {};
        snprintf(t.id, sizeof(t.id), "%s", id);
        snprintf(t.filename, sizeof(t.filename), "%s", name);
        t.file_size = 1234;
        t.uploaded_at = at;
        t.status = TASK_COMPLETED; /* ignored by add */
        return t;
}

#define ID(n) n "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static int count_cb(const store_task_t *t, void *userdata) {
        (*(unsigned *) userdata)++;
        return 0;
}

static int first_cb(const store_task_t *t, void *userdata) {
        memcpy(userdata, t, sizeof(*t));
        return -ECANCELED; /* stop after one */
}

/* A database made before peak_memory existed opens, keeps its rows and gains the column. */
static void test_old_schema(const char *dir) {
        char path[256];
        sqlite3 *db = NULL;
        store_t *s = NULL;
        store_task_t got;

        snprintf(path, sizeof(path), "%s/old.db", dir);
        CHECK(sqlite3_open(path, &db) == SQLITE_OK);
        CHECK(sqlite3_exec(db,
                           "CREATE TABLE tasks (id TEXT PRIMARY KEY NOT NULL, filename TEXT NOT NULL, status TEXT NOT NULL,"
                           " file_size INTEGER NOT NULL, uploaded_at INTEGER NOT NULL, started_at INTEGER NOT NULL DEFAULT 0,"
                           " finished_at INTEGER NOT NULL DEFAULT 0, expires_at INTEGER NOT NULL DEFAULT 0,"
                           " packets INTEGER NOT NULL DEFAULT 0, health_score INTEGER NOT NULL DEFAULT -1,"
                           " findings INTEGER NOT NULL DEFAULT 0, partial INTEGER NOT NULL DEFAULT 0,"
                           " error_message TEXT NOT NULL DEFAULT '');"
                           "INSERT INTO tasks (id, filename, status, file_size, uploaded_at) VALUES"
                           " ('00000000000000000000000000000007', 'old.pcap', 'processing', 10, 1);",
                           NULL, NULL, NULL) == SQLITE_OK);
        sqlite3_close(db);
        CHECK(store_open(path, &s) == 0);
        if (!s)
                return;
        /* the columns added since: peak_memory, owner (the task of no account, which only admins see) */
        CHECK(store_task_get(s, "00000000000000000000000000000007", &got) == 0 && got.peak_memory == 0 &&
              got.owner == 0 && strcmp(got.filename, "old.pcap") == 0);
        CHECK(store_task_complete(s, "00000000000000000000000000000007", 2, 3, 1, 100, 0, false, 5000) == 0);
        CHECK(store_task_get(s, "00000000000000000000000000000007", &got) == 0 && got.peak_memory == 5000);
        store_close(s);
        CHECK(store_open(path, &s) == 0); /* and again, with the column there */
        store_close(s);
}

/* A database written by a newer pcapd (a schema version this code does not know) is refused. */
static void test_newer_schema(const char *dir) {
        char path[256];
        sqlite3 *db = NULL;
        store_t *s = NULL;

        snprintf(path, sizeof(path), "%s/newer.db", dir);
        CHECK(store_open(path, &s) == 0);
        store_close(s);
        CHECK(sqlite3_open(path, &db) == SQLITE_OK);
        CHECK(sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL) == SQLITE_OK);
        sqlite3_close(db);
        s = NULL;
        CHECK_EQ(store_open(path, &s), -EPROTONOSUPPORT);
        CHECK(s == NULL);
}

/* What the user controls stays bounded and is passed as a parameter, never as SQL: the longest file
 * name and error message round-trip (the message cut at 255 characters), quotes and SQL in them are
 * data. The database names: "sqlite:PATH" and plain paths, an unknown scheme refused. */
static void test_limits(const char *pg_url, const char *dir) {
        char path[300], msg[1000];
        store_t *s = NULL;
        store_task_t t, got;

        if (pg_url)
                snprintf(path, sizeof(path), "%s", pg_url);
        else
                snprintf(path, sizeof(path), "sqlite:%s/limits.db", dir);
        CHECK(store_open(path, &s) == 0);
        if (!s)
                return;
        t = make("cccccccccccccccccccccccccccccccc", "", 1);
        memset(t.filename, 'x', sizeof(t.filename) - 1);
        memcpy(t.filename, "'); DROP TABLE tasks; --", 24);
        t.filename[sizeof(t.filename) - 1] = 0;
        CHECK(store_task_add(s, &t) == 0);
        CHECK(store_task_get(s, t.id, &got) == 0 && strcmp(got.filename, t.filename) == 0);
        memset(msg, 'y', sizeof(msg) - 1);
        msg[sizeof(msg) - 1] = 0;
        memcpy(msg, "it's \"quoted\" ?1 $1", 19);
        CHECK(store_task_fail(s, t.id, 5, 6, msg, 0) == 0);
        CHECK(store_task_get(s, t.id, &got) == 0 && strlen(got.error_message) == 255 &&
              strncmp(got.error_message, msg, 255) == 0);
        CHECK(store_task_delete(s, t.id) == 0);

        /* text that is not UTF-8 (a Latin-1 name; a long name the upload cut inside a character) is kept
         * the same way on both back-ends: the bad bytes as U+FFFD, read back without a partial character */
        t = make("cccccccccccccccccccccccccccccccd", "caf\xe9.pcap", 1);
        CHECK(store_task_add(s, &t) == 0);
        CHECK(store_task_get(s, t.id, &got) == 0);
        CHECK_STR(got.filename, "caf\xef\xbf\xbd.pcap");
        t = make("ccccccccccccccccccccccccccccccce", "", 1);
        memset(t.filename, 'x', 254);
        t.filename[254] = (char) 0xc3; /* the first byte of an é, its second byte cut off */
        t.filename[255] = 0;
        CHECK(store_task_add(s, &t) == 0);
        CHECK(store_task_get(s, t.id, &got) == 0);
        CHECK_EQ(strlen(got.filename), 254); /* x * 254 and U+FFFD do not fit: the replacement is dropped whole */
        CHECK(strspn(got.filename, "x") == 254);
        CHECK(store_task_fail(s, t.id, 5, 6, "bad \xff byte", 0) == 0);
        CHECK(store_task_get(s, t.id, &got) == 0);
        CHECK_STR(got.error_message, "bad \xef\xbf\xbd byte");
        store_close(s);

        CHECK_EQ(store_database_kind("sqlite:/x"), STORE_SQLITE);
        CHECK_EQ(store_database_kind("/var/lib/pcapd/pcapd.db"), STORE_SQLITE);
        CHECK_EQ(store_database_kind("postgresql://db.example/pcapd"), STORE_POSTGRESQL);
        CHECK_EQ(store_database_kind("postgres:///pcapd"), STORE_POSTGRESQL);
        CHECK_EQ(store_database_kind("mysql://x"), -EPROTONOSUPPORT);
        CHECK_EQ(store_database_kind("sqlite:"), -EINVAL);
        CHECK_EQ(store_database_kind(""), -EINVAL);
        s = NULL;
        CHECK_EQ(store_open("mysql://x", &s), -EPROTONOSUPPORT);
        /* a password in the URL is refused before any connection */
        CHECK_EQ(store_open("postgresql://u:secret@127.0.0.1:1/x", &s), -EINVAL);
        CHECK_EQ(store_open("postgresql:///x?host=/nonexistent&password=secret", &s), -EINVAL);
        CHECK(s == NULL);
}

/* Several processes open one file at once (pcapd-web, its writer and expiry threads, the reaper, pcapctl):
 * a new file, and one from before the schema had a version (columns to add: two processes adding the same
 * one would fail); every one gets the whole schema, at its version. */
static void test_concurrent_open(const char *dir, bool old) {
        char path[256];
        int gate[2];
        pid_t pids[8];
        sqlite3 *db = NULL;
        sqlite3_stmt *st = NULL;

        snprintf(path, sizeof(path), "%s/race-%s.db", dir, old ? "old" : "new");
        if (old) {
                CHECK(sqlite3_open(path, &db) == SQLITE_OK);
                CHECK(sqlite3_exec(db, "CREATE TABLE tasks (id TEXT PRIMARY KEY NOT NULL, filename TEXT NOT NULL,"
                                       " status TEXT NOT NULL, file_size INTEGER NOT NULL, uploaded_at INTEGER NOT NULL,"
                                       " started_at INTEGER NOT NULL DEFAULT 0, finished_at INTEGER NOT NULL DEFAULT 0,"
                                       " expires_at INTEGER NOT NULL DEFAULT 0, packets INTEGER NOT NULL DEFAULT 0,"
                                       " health_score INTEGER NOT NULL DEFAULT -1, findings INTEGER NOT NULL DEFAULT 0,"
                                       " partial INTEGER NOT NULL DEFAULT 0, error_message TEXT NOT NULL DEFAULT '')",
                                   NULL, NULL, NULL) == SQLITE_OK);
                sqlite3_close(db);
                db = NULL;
        }
        CHECK(pipe(gate) == 0);
        for (int i = 0; i < 8; i++) {
                pids[i] = fork();
                if (pids[i] == 0) {
                        char b;
                        store_t *s = NULL;
                        store_task_t t = make("", "racer.pcap", i);
                        close(gate[1]);
                        (void) !read(gate[0], &b, 1); /* EOF when the parent closes the gate: all at once */
                        snprintf(t.id, sizeof(t.id), "%032d", i);
                        int r = store_open(path, &s);
                        if (r >= 0)
                                r = store_task_add(s, &t);
                        if (r < 0) {
                                fprintf(stderr, "racer %d: %s\n", i, strerror(-r));
                                _exit(1);
                        }
                        store_close(s);
                        _exit(0);
                }
        }
        close(gate[0]);
        close(gate[1]);
        for (int i = 0; i < 8; i++) {
                int status = -1;
                CHECK(waitpid(pids[i], &status, 0) == pids[i] && WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        CHECK(sqlite3_open(path, &db) == SQLITE_OK);
        CHECK(sqlite3_prepare_v2(db, "SELECT (SELECT user_version FROM pragma_user_version), count(*) FROM tasks", -1,
                                 &st, NULL) == SQLITE_OK);
        CHECK(sqlite3_step(st) == SQLITE_ROW);
        CHECK_EQ(sqlite3_column_int(st, 0), 2);
        CHECK_EQ(sqlite3_column_int(st, 1), 8);
        sqlite3_finalize(st);
        sqlite3_close(db);
}

static bool always(const char *id, void *userdata) {
        return true;
}

/* A database at version 1 (before leases) with a running task: it opens at version 2, the task keeps its
 * row, and (one node) is recovered at start. */
static void test_migrate_v1(const char *dir) {
        char path[256];
        sqlite3 *db = NULL;
        sqlite3_stmt *st = NULL;
        store_t *s = NULL;
        store_task_t t = make(ID("7"), "v1.pcap", 5), got;

        snprintf(path, sizeof(path), "%s/v1.db", dir);
        CHECK(store_open(path, &s) == 0);
        CHECK(store_task_add(s, &t) == 0 && store_task_start(s, t.id, 6) == 0);
        store_close(s);
        CHECK(sqlite3_open(path, &db) == SQLITE_OK);
        CHECK(sqlite3_exec(db, "DROP INDEX tasks_by_lease; ALTER TABLE tasks DROP COLUMN lease_until;"
                               "ALTER TABLE tasks DROP COLUMN node; PRAGMA user_version = 1", NULL, NULL, NULL) == SQLITE_OK);
        sqlite3_close(db);
        s = NULL;
        CHECK(store_open(path, &s) == 0);
        if (!s)
                return;
        CHECK(store_task_get(s, t.id, &got) == 0 && got.status == TASK_PROCESSING && got.lease_until == 0);
        CHECK_EQ(store_recover(s, 7, always, NULL), 1);
        store_close(s);
        CHECK(sqlite3_open(path, &db) == SQLITE_OK);
        CHECK(sqlite3_prepare_v2(db, "SELECT (SELECT user_version FROM pragma_user_version),"
                                     " (SELECT count(*) FROM sqlite_master WHERE name = 'tasks_by_lease')", -1, &st, NULL) == SQLITE_OK);
        CHECK(sqlite3_step(st) == SQLITE_ROW);
        CHECK_EQ(sqlite3_column_int(st, 0), 2);
        CHECK_EQ(sqlite3_column_int(st, 1), 1);
        sqlite3_finalize(st);
        sqlite3_close(db);
}

/* The shared queue on a database of its own (an empty table): claim order, leases, renewal, takeover,
 * a lost lease's result refused, the reaper's lock; on PostgreSQL also two connections claiming at once. */
static void test_queue(const char *path, bool pg) {
        store_t *a = NULL, *b = NULL;
        store_task_t t, got, c1, c2;
        int r;

        CHECK(store_open(path, &a) == 0 && store_open(path, &b) == 0);
        if (!a || !b)
                return;
        CHECK(store_shared(a) == pg);
        CHECK_EQ(store_task_claim(a, "node-a", NULL, 100, 200, &got), -ENOENT); /* nothing queued */
        /* uploaded out of order: claimed oldest upload first */
        t = make(ID("c"), "q2.pcap", 20);
        CHECK(store_task_add(a, &t) == 0);
        t = make(ID("b"), "q1.pcap", 10);
        CHECK(store_task_add(a, &t) == 0);
        t = make(ID("d"), "q3.pcap", 30);
        CHECK(store_task_add(a, &t) == 0);
        /* a given task (what one node claims: the head of its own queue), only while it is queued */
        t = make(ID("9"), "q9.pcap", 90);
        CHECK(store_task_add(a, &t) == 0);
        CHECK(store_task_claim(a, "node-a", ID("9"), 90, 190, &got) == 0);
        CHECK_STR(got.id, ID("9"));
        CHECK(got.status == TASK_PROCESSING && got.lease_until == 190);
        CHECK_EQ(store_task_claim(b, "node-b", ID("9"), 91, 191, &got), -ENOENT); /* claimed already */
        CHECK_EQ(store_task_claim(b, "node-b", ID("e"), 91, 191, &got), -ENOENT); /* no such task */
        CHECK(store_task_delete(a, ID("9")) == 0);
        CHECK(store_task_claim(a, "node-a", NULL, 100, 200, &c1) == 0);
        CHECK_STR(c1.id, ID("b"));
        CHECK(c1.status == TASK_PROCESSING && c1.started_at == 100 && c1.lease_until == 200);
        CHECK_STR(c1.node, "node-a");
        CHECK_STR(c1.filename, "q1.pcap");
        CHECK(store_task_claim(b, "node-b", NULL, 101, 201, &c2) == 0);
        CHECK_STR(c2.id, ID("c"));
        CHECK_STR(c2.node, "node-b");

        /* a holder that stops gives its task back: queued at once, claimable again (the oldest: q1) */
        CHECK_EQ(store_task_release(b, ID("b"), "node-b"), -ESTALE);
        CHECK_EQ(store_task_release(a, ID("f"), "node-a"), -ENOENT);
        CHECK_EQ(store_task_release(a, ID("b"), "node-a"), 0);
        CHECK(store_task_get(b, ID("b"), &got) == 0 && got.status == TASK_QUEUED && got.lease_until == 0);
        CHECK_STR(got.node, "");
        CHECK_EQ(store_task_release(a, ID("b"), "node-a"), -ESTALE); /* not processing any more */
        CHECK(store_task_claim(a, "node-a", NULL, 100, 200, &c1) == 0);
        CHECK_STR(c1.id, ID("b"));

        /* renewal by the holder only */
        CHECK_EQ(store_task_renew(a, ID("b"), "node-a", 300), 0);
        CHECK(store_task_get(b, ID("b"), &got) == 0 && got.lease_until == 300);
        CHECK_EQ(store_task_renew(b, ID("b"), "node-b", 900), -ESTALE);
        CHECK_EQ(store_task_renew(a, ID("f"), "node-a", 300), -ENOENT);

        /* node-b's lease (201) expires at 250; node-a's (300) does not: periodic recovery takes only q2 */
        CHECK_EQ(store_recover_expired(a, 250, always, NULL), 1);
        CHECK(store_task_get(a, ID("c"), &got) == 0 && got.status == TASK_QUEUED && got.lease_until == 0);
        CHECK_STR(got.node, "");
        CHECK(store_task_get(a, ID("b"), &got) == 0 && got.status == TASK_PROCESSING);
        /* q2 is claimed again, by node-a, and node-b's late result is refused: run twice, recorded once */
        CHECK(store_task_claim(a, "node-a", NULL, 260, 400, &got) == 0);
        CHECK_STR(got.id, ID("c"));
        CHECK_EQ(store_task_complete_leased(b, "node-b", ID("c"), 270, 999, 1, 2, 3, false, 0), -ESTALE);
        CHECK_EQ(store_task_fail_leased(b, "node-b", ID("c"), 270, 999, "late", 0), -ESTALE);
        CHECK_EQ(store_task_renew(b, ID("c"), "node-b", 900), -ESTALE);
        CHECK_EQ(store_task_complete_leased(a, "node-a", ID("c"), 280, 999, 11, 90, 0, false, 0), 0);
        CHECK(store_task_get(b, ID("c"), &got) == 0 && got.status == TASK_COMPLETED && got.packets == 11 &&
              got.lease_until == 0);
        CHECK_STR(got.node, "node-a");
        CHECK_EQ(store_task_fail_leased(a, "node-a", ID("b"), 290, 999, "broken", 0), 0);
        CHECK(store_task_get(b, ID("b"), &got) == 0 && got.status == TASK_FAILED && got.lease_until == 0);
        CHECK_EQ(store_task_fail_leased(a, "node-a", ID("b"), 290, 999, "again", 0), -ESTALE);

        /* start-up recovery: on SQLite (one node) every processing task; on PostgreSQL only expired leases */
        CHECK(store_task_claim(b, "node-b", NULL, 300, 1000, &got) == 0);
        CHECK_STR(got.id, ID("d"));
        r = store_recover(a, 500, always, NULL);
        CHECK_EQ(r, (pg ? 0 : 1));
        CHECK(store_task_get(a, ID("d"), &got) == 0 && got.status == (pg ? TASK_PROCESSING : TASK_QUEUED));
        CHECK_EQ(store_recover(a, 1001, always, NULL), (pg ? 1 : 0));
        CHECK(store_task_get(a, ID("d"), &got) == 0 && got.status == TASK_QUEUED);
        CHECK(store_task_delete(a, ID("d")) == 0);

        /* the reaper's lock: one holder at a time on PostgreSQL, given back, taken again */
        CHECK_EQ(store_reaper_lock(a), 1);
        CHECK_EQ(store_reaper_lock(b), pg ? 0 : 1);
        CHECK_EQ(store_reaper_unlock(a), 0);
        CHECK_EQ(store_reaper_lock(b), 1);
        CHECK_EQ(store_reaper_unlock(b), 0);
        if (!pg)
                CHECK_EQ(store_reaper_unlock(a), 0);

        store_close(a);
        store_close(b);
}

/* Several processes claim from one queue at once, each on its own connection: every task is claimed
 * exactly once (SKIP LOCKED on PostgreSQL, the single writer on SQLite), and none is left. */
#define CLAIMERS 4
#define CLAIM_TASKS 40
static void test_claim_race(const char *path) {
        store_t *s = NULL;
        int gate[2], out[2];
        pid_t pids[CLAIMERS];
        unsigned seen[CLAIM_TASKS] = {}, total = 0;
        char line[128];
        FILE *f;

        CHECK(store_open(path, &s) == 0);
        if (!s)
                return;
        for (int i = 0; i < CLAIM_TASKS; i++) {
                store_task_t t = make("", "race.pcap", 10000 + i);
                snprintf(t.id, sizeof(t.id), "e%031d", i);
                CHECK(store_task_add(s, &t) == 0);
        }
        CHECK(pipe(gate) == 0 && pipe(out) == 0);
        for (int i = 0; i < CLAIMERS; i++) {
                pids[i] = fork();
                if (pids[i] == 0) {
                        char b, node[16];
                        store_t *c = NULL;
                        store_task_t got;
                        close(gate[1]);
                        close(out[0]);
                        snprintf(node, sizeof(node), "claimer-%d", i);
                        if (store_open(path, &c) < 0)
                                _exit(10);
                        (void) !read(gate[0], &b, 1); /* all at once, when the parent closes the gate */
                        for (;;) {
                                int r = store_task_claim(c, node, NULL, 20000, 30000, &got);
                                if (r == -ENOENT)
                                        break;
                                if (r == -EBUSY)
                                        continue;
                                if (r < 0)
                                        _exit(11);
                                dprintf(out[1], "%s %s\n", got.id, got.node);
                        }
                        store_close(c);
                        _exit(0);
                }
        }
        close(gate[0]);
        close(out[1]);
        close(gate[1]);
        f = fdopen(out[0], "r");
        while (f && fgets(line, sizeof(line), f)) {
                int i = atoi(line + 1);
                if (line[0] == 'e' && i >= 0 && i < CLAIM_TASKS)
                        seen[i]++;
                total++;
        }
        if (f)
                fclose(f);
        for (int i = 0; i < CLAIMERS; i++) {
                int status = -1;
                CHECK(waitpid(pids[i], &status, 0) == pids[i]);
                CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "claimer %d: status %d", i, status);
        }
        CHECK_EQ(total, CLAIM_TASKS);
        for (int i = 0; i < CLAIM_TASKS; i++)
                CHECK_MSG(seen[i] == 1, "task %d claimed %u times", i, seen[i]);
        {
                uint64_t counts[_TASK_STATUS_MAX];
                CHECK(store_count(s, counts) == 0 && counts[TASK_QUEUED] == 0);
        }
        store_close(s);
}

/* Several processes recover the same expired leases at once (every node's poll does): each task is queued
 * again exactly once, and none fails. */
static void test_recover_race(const char *path) {
        store_t *s = NULL;
        store_task_t got;
        int gate[2], changed = 0;
        pid_t pids[CLAIMERS];

        CHECK(store_open(path, &s) == 0);
        if (!s)
                return;
        while (store_list_status(s, TASK_PROCESSING, first_cb, &got) == -ECANCELED) /* test_claim_race's */
                CHECK(store_task_delete(s, got.id) == 0);
        for (int i = 0; i < CLAIM_TASKS; i++) {
                store_task_t t = make("", "lapsed.pcap", 40000 + i);
                snprintf(t.id, sizeof(t.id), "f%031d", i);
                CHECK(store_task_add(s, &t) == 0);
                CHECK(store_task_claim(s, "gone", NULL, 40000, 41000, &got) == 0);
        }
        CHECK(pipe(gate) == 0);
        for (int i = 0; i < CLAIMERS; i++) {
                pids[i] = fork();
                if (pids[i] == 0) {
                        char b;
                        store_t *c = NULL;
                        close(gate[1]);
                        if (store_open(path, &c) < 0)
                                _exit(200);
                        (void) !read(gate[0], &b, 1);
                        int r = store_recover_expired(c, 50000, always, NULL);
                        if (r < 0)
                                fprintf(stderr, "recoverer %d: %s\n", i, strerror(-r));
                        store_close(c);
                        _exit(r < 0 ? 201 : r);
                }
        }
        close(gate[0]);
        close(gate[1]);
        for (int i = 0; i < CLAIMERS; i++) {
                int status = -1;
                CHECK(waitpid(pids[i], &status, 0) == pids[i] && WIFEXITED(status));
                CHECK_MSG(WEXITSTATUS(status) <= CLAIM_TASKS, "recoverer %d: status %d", i, WEXITSTATUS(status));
                changed += WEXITSTATUS(status) <= CLAIM_TASKS ? WEXITSTATUS(status) : 0;
        }
        CHECK_EQ(changed, CLAIM_TASKS);
        {
                uint64_t counts[_TASK_STATUS_MAX];
                CHECK(store_count(s, counts) == 0 && counts[TASK_QUEUED] == CLAIM_TASKS && counts[TASK_PROCESSING] == 0);
        }
        store_close(s);
}

static bool exists_odd(const char *id, void *userdata) {
        return id[0] == '1' || id[0] == '3';
}

/* A file of size bytes, its contents from seed, open for reading at offset 0; its bytes into *ret. */
static int blob_file(const char *dir, const char *name, size_t size, unsigned seed, uint8_t **ret) {
        char path[256];
        uint8_t *b = malloc(size ? size : 1);
        int fd;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        for (size_t i = 0; i < size; i++) {
                seed = seed * 1103515245u + 12345u;
                b[i] = (uint8_t) (seed >> 16);
        }
        fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        CHECK(fd >= 0 && write(fd, b, size) == (ssize_t) size && lseek(fd, 0, SEEK_SET) == 0);
        *ret = b;
        return fd;
}

/* What store_blob_get_fd wrote: its size and whether it is byte for byte want. */
static bool blob_same(store_t *s, const char *dir, const char *id, store_blob_kind_t kind, const uint8_t *want,
                      size_t size) {
        char path[256];
        struct stat stb;
        bool same = false;
        int fd;

        snprintf(path, sizeof(path), "%s/got", dir);
        fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || store_blob_get_fd(s, id, kind, fd) != 0 || fstat(fd, &stb) < 0 || (size_t) stb.st_size != size) {
                if (fd >= 0)
                        close(fd);
                return false;
        }
        uint8_t *got = malloc(size ? size : 1);
        if (got && pread(fd, got, size, 0) == (ssize_t) size)
                same = memcmp(got, want, size) == 0;
        free(got);
        close(fd);
        return same;
}

/* Shared bytes (PostgreSQL): a capture added with its task, reports put under the lease, read back byte for
 * byte (several chunks, an exact multiple of a chunk, nothing at all), replaced, deleted, gone with expiry
 * and deletion of the task; a failed transaction leaves nothing. SQLite: not there. */
static void test_blobs(const char *path, const char *dir, bool pg) {
        store_t *s = NULL;
        store_task_t t = make(ID("b1"), "big.pcap", 5), got;
        uint8_t *big = NULL, *exact = NULL, *none = NULL, *small = NULL;
        size_t big_size = 2 * STORE_BLOB_CHUNK + 12345;
        int fd;

        CHECK(store_open(path, &s) == 0);
        if (!s)
                return;
        if (!pg) {
                fd = blob_file(dir, "b0", 10, 1, &small);
                CHECK_EQ(store_task_add_capture(s, &t, fd), -EOPNOTSUPP);
                CHECK_EQ(store_blob_exists(s, t.id, STORE_BLOB_CAPTURE), -EOPNOTSUPP);
                CHECK_EQ(store_task_get(s, t.id, &got), -ENOENT);
                close(fd);
                free(small);
                store_close(s);
                return;
        }
        fd = blob_file(dir, "b1", big_size, 1, &big);
        CHECK_EQ(store_task_add_capture(s, &t, fd), 0);
        close(fd);
        CHECK(store_task_get(s, t.id, &got) == 0 && got.status == TASK_QUEUED);
        CHECK_EQ(store_blob_exists(s, t.id, STORE_BLOB_CAPTURE), 1);
        CHECK_EQ(store_blob_exists(s, t.id, STORE_BLOB_JSON), 0);
        CHECK(blob_same(s, dir, t.id, STORE_BLOB_CAPTURE, big, big_size));
        CHECK_EQ(store_blob_get_fd(s, t.id, STORE_BLOB_JSON, 1), -ENOENT);
        CHECK_EQ(store_blob_get_fd(s, ID("b9"), STORE_BLOB_CAPTURE, 1), -ENOENT);

        /* the reports: only the lease holder writes them */
        CHECK(store_task_claim(s, "node-a", t.id, 6, 100000, &got) == 0);
        fd = blob_file(dir, "b2", STORE_BLOB_CHUNK, 2, &exact);
        CHECK_EQ(store_blob_put_fd(s, "node-b", t.id, STORE_BLOB_JSON, fd), -ESTALE);
        CHECK_EQ(store_blob_exists(s, t.id, STORE_BLOB_JSON), 0);
        CHECK_EQ(store_blob_put_fd(s, "node-a", ID("b9"), STORE_BLOB_JSON, fd), -ENOENT);
        CHECK_EQ(store_blob_put_fd(s, "node-a", t.id, STORE_BLOB_JSON, fd), 0);
        close(fd);
        CHECK(blob_same(s, dir, t.id, STORE_BLOB_JSON, exact, STORE_BLOB_CHUNK));
        fd = blob_file(dir, "b3", 0, 3, &none);
        CHECK_EQ(store_blob_put_fd(s, "node-a", t.id, STORE_BLOB_HTML, fd), 0);
        close(fd);
        CHECK_EQ(store_blob_exists(s, t.id, STORE_BLOB_HTML), 1);
        CHECK(blob_same(s, dir, t.id, STORE_BLOB_HTML, none, 0));
        /* replaced, not appended to */
        fd = blob_file(dir, "b4", 100, 4, &small);
        CHECK_EQ(store_blob_put_fd(s, "node-a", t.id, STORE_BLOB_JSON, fd), 0);
        close(fd);
        CHECK(blob_same(s, dir, t.id, STORE_BLOB_JSON, small, 100));
        CHECK_EQ(store_blob_delete(s, t.id, STORE_BLOB_CAPTURE), 0);
        CHECK_EQ(store_blob_exists(s, t.id, STORE_BLOB_CAPTURE), 0);
        CHECK_EQ(store_blob_get_fd(s, t.id, STORE_BLOB_CAPTURE, 1), -ENOENT);
        CHECK_EQ(store_blob_delete(s, t.id, STORE_BLOB_CAPTURE), 0); /* none: not an error */

        /* expiry takes the reports */
        CHECK_EQ(store_task_complete_leased(s, "node-a", t.id, 7, 8, 1, 100, 0, false, 0), 0);
        CHECK_EQ(store_task_expire(s, t.id, 9), 0);
        CHECK_EQ(store_blob_exists(s, t.id, STORE_BLOB_JSON), 0);
        CHECK_EQ(store_blob_exists(s, t.id, STORE_BLOB_HTML), 0);
        CHECK_EQ(store_task_delete(s, t.id), 0);

        /* deletion takes everything */
        t = make(ID("b2"), "small.pcap", 6);
        free(big);
        fd = blob_file(dir, "b5", 3 * STORE_BLOB_CHUNK, 5, &big);
        CHECK_EQ(store_task_add_capture(s, &t, fd), 0);
        close(fd);
        CHECK_EQ(store_blob_exists(s, t.id, STORE_BLOB_CAPTURE), 1);
        CHECK_EQ(store_task_delete(s, t.id), 0);
        CHECK_EQ(store_blob_exists(s, t.id, STORE_BLOB_CAPTURE), 0);

        /* a transaction that fails leaves nothing: the task exists already (its capture is not added),
         * or the capture cannot be read (the row is not added either) */
        t = make(ID("b3"), "dup.pcap", 7);
        CHECK_EQ(store_task_add(s, &t), 0);
        free(small);
        fd = blob_file(dir, "b6", 10, 6, &small);
        CHECK_EQ(store_task_add_capture(s, &t, fd), -EEXIST);
        close(fd);
        CHECK_EQ(store_blob_exists(s, t.id, STORE_BLOB_CAPTURE), 0);
        CHECK_EQ(store_task_delete(s, t.id), 0);
        {
                char p[256];
                snprintf(p, sizeof(p), "%s/b6", dir);
                fd = open(p, O_WRONLY | O_CLOEXEC); /* not readable */
        }
        t = make(ID("b4"), "unreadable.pcap", 8);
        CHECK_EQ(store_task_add_capture(s, &t, fd), -EIO);
        close(fd);
        CHECK_EQ(store_task_get(s, t.id, &got), -ENOENT);
        CHECK_EQ(store_blob_exists(s, t.id, STORE_BLOB_CAPTURE), 0);
        /* and the connection is usable afterwards */
        CHECK_EQ(store_ping(s), 0);

        free(big);
        free(exact);
        free(none);
        free(small);
        store_close(s);
}

int main(int argc, char **argv) {
        char dir[] = "/tmp/test-store-XXXXXX", path[256];
        bool pg = argc > 1 && strcmp(argv[1], "pg") == 0;
        store_t *s = NULL, *s2 = NULL;
        store_task_t t, got;
        uint64_t counts[_TASK_STATUS_MAX];
        unsigned n;

        if (!mkdtemp(dir)) {
                perror("mkdtemp");
                return 1;
        }
        if (pg) {
                const char *url = getenv("PCAPD_TEST_DATABASE");
                if (!url) {
                        fprintf(stderr, "store: no PCAPD_TEST_DATABASE (run me through tests/pg/pg-temp.sh run)\n");
                        return EXIT_TEST_SKIP;
                }
                snprintf(path, sizeof(path), "%s", url);
        } else
                snprintf(path, sizeof(path), "%s/pcapd.db", dir);
        CHECK(store_open(path, &s) == 0);
        if (!s)
                return 1;
        CHECK_STR(store_backend(s), pg ? "postgresql" : "sqlite");

        CHECK(task_status_from_string("expired") == TASK_EXPIRED);
        CHECK(task_status_from_string("bogus") == -EINVAL);
        CHECK(strcmp(task_status_to_string(TASK_PROCESSING), "processing") == 0);

        t = make(ID("1"), "one.pcap", 1000);
        CHECK(store_task_add(s, &t) == 0);
        CHECK(store_task_add(s, &t) == -EEXIST);
        CHECK(store_task_get(s, ID("1"), &got) == 0);
        CHECK(got.status == TASK_QUEUED && got.file_size == 1234 && strcmp(got.filename, "one.pcap") == 0);
        CHECK(got.health_score == -1 && got.started_at == 0);
        CHECK(store_task_get(s, ID("9"), &got) == -ENOENT);

        /* transitions and their guards */
        CHECK(store_task_complete(s, ID("1"), 2000, 3000, 1, 2, 3, false, 0) == -ESTALE);
        CHECK(store_task_expire(s, ID("1"), 2000) == -ESTALE);
        CHECK(store_task_start(s, ID("1"), 1500) == 0);
        CHECK(store_task_start(s, ID("1"), 1500) == -ESTALE);
        CHECK(store_task_start(s, ID("9"), 1500) == -ENOENT);
        CHECK(store_task_complete(s, ID("1"), 2000, 9000, 77, 88, 5, true, UINT64_C(123) << 20) == 0);
        CHECK(store_task_get(s, ID("1"), &got) == 0);
        CHECK(got.status == TASK_COMPLETED && got.packets == 77 && got.health_score == 88 && got.findings == 5);
        CHECK(got.peak_memory == UINT64_C(123) << 20);
        CHECK(got.partial && got.started_at == 1500 && got.finished_at == 2000 && got.expires_at == 9000);
        CHECK(store_task_fail(s, ID("1"), 2500, 0, "x", 0) == -ESTALE);

        t = make(ID("2"), "two.pcap", 1100);
        CHECK(store_task_add(s, &t) == 0);
        CHECK(store_task_fail(s, ID("2"), 2100, 5000, "the analyzer was killed (memory limit or crash)", 4096) == 0);
        CHECK(store_task_get(s, ID("2"), &got) == 0);
        CHECK(got.peak_memory == 4096);
        CHECK(got.status == TASK_FAILED && strcmp(got.error_message, "the analyzer was killed (memory limit or crash)") == 0);

        /* recovery: processing tasks with a capture go back to queued, others fail */
        t = make(ID("3"), "three.pcap", 1200);
        CHECK(store_task_add(s, &t) == 0);
        CHECK(store_task_start(s, ID("3"), 1300) == 0);
        t = make(ID("4"), "four.pcap", 1300);
        CHECK(store_task_add(s, &t) == 0);
        CHECK(store_task_start(s, ID("4"), 1400) == 0);
        t = make(ID("5"), "five.pcap", 1400);
        CHECK(store_task_add(s, &t) == 0);
        CHECK(store_recover(s, 4000, exists_odd, NULL) == 2);
        CHECK(store_task_get(s, ID("3"), &got) == 0 && got.status == TASK_QUEUED && got.started_at == 0);
        CHECK(store_task_get(s, ID("4"), &got) == 0 && got.status == TASK_FAILED);
        CHECK(strcmp(got.error_message, "capture lost") == 0);
        CHECK(store_task_get(s, ID("5"), &got) == 0 && got.status == TASK_QUEUED);
        CHECK(store_recover(s, 4000, exists_odd, NULL) == 0); /* idempotent */

        /* lists */
        n = 0;
        CHECK(store_list_status(s, TASK_QUEUED, count_cb, &n) == 0 && n == 2);
        CHECK(store_list_status(s, TASK_QUEUED, first_cb, &got) == -ECANCELED);
        CHECK(strcmp(got.id, ID("3")) == 0); /* oldest upload first */
        CHECK(store_list_history(s, 50, STORE_ANY_OWNER, first_cb, &got) == -ECANCELED);
        CHECK(strcmp(got.id, ID("5")) == 0); /* newest first */
        n = 0;
        CHECK(store_list_history(s, 3, STORE_ANY_OWNER, count_cb, &n) == 0 && n == 3);
        n = 0;
        CHECK(store_list_finished_before(s, 2050, count_cb, &n) == 0 && n == 1); /* task 1 only */
        n = 0;
        CHECK(store_list_finished_before(s, 999999, count_cb, &n) == 0 && n == 3);
        CHECK(store_count(s, counts) == 0);
        CHECK(counts[TASK_QUEUED] == 2 && counts[TASK_COMPLETED] == 1 && counts[TASK_FAILED] == 2);
        CHECK(counts[TASK_PROCESSING] == 0 && counts[TASK_EXPIRED] == 0);

        /* expiry and deletion */
        CHECK(store_task_expire(s, ID("1"), 5000) == 0);
        CHECK(store_task_get(s, ID("1"), &got) == 0 && got.status == TASK_EXPIRED && got.expires_at == 5000);
        CHECK(store_task_expire(s, ID("1"), 5000) == -ESTALE);
        CHECK(store_task_delete(s, ID("2")) == 0);
        CHECK(store_task_delete(s, ID("2")) == -ENOENT);
        CHECK(store_ping(s) == 0);
        CHECK(store_tune(s, false, false) == 0);
        CHECK(store_tune(s, true, true) == 0);

        /* a second connection (the reaper) writes beside the first, and sees its commits */
        CHECK(store_open(path, &s2) == 0);
        CHECK(store_task_get(s2, ID("3"), &got) == 0 && got.status == TASK_QUEUED);
        CHECK(store_task_start(s, ID("3"), 6000) == 0);
        CHECK(store_task_get(s2, ID("3"), &got) == 0 && got.status == TASK_PROCESSING);
        CHECK(store_task_fail(s2, ID("3"), 6100, 7000, "timeout", 0) == 0);
        CHECK(store_task_get(s, ID("3"), &got) == 0 && got.status == TASK_FAILED);
        s2 = store_close(s2);

        /* persistence across reopen; WAL mode on disk */
        s = store_close(s);
        CHECK(store_open(path, &s) == 0);
        CHECK(store_task_get(s, ID("5"), &got) == 0 && got.status == TASK_QUEUED);
        if (!pg) {
                char wal[300];
                struct stat st;
                snprintf(wal, sizeof(wal), "%s-wal", path);
                CHECK(stat(wal, &st) == 0);
        }
        s = store_close(s);
        CHECK(store_close(NULL) == NULL);

        /* a file that is not a database */
        if (!pg) {
                char bad[300];
                FILE *f;
                snprintf(bad, sizeof(bad), "%s/bad.db", dir);
                f = fopen(bad, "w");
                fputs("this is not an sqlite database, not at all, not even close.......................", f);
                fclose(f);
                CHECK(store_open(bad, &s) < 0);
                unlink(bad);
        }

        if (!pg) {
                test_old_schema(dir);
                test_newer_schema(dir);
                test_concurrent_open(dir, false);
                test_concurrent_open(dir, true);
        }
        test_limits(pg ? path : NULL, dir);
        /* the queue tests start from an empty queue */
        CHECK(store_open(path, &s) == 0);
        if (s) {
                store_task_t q;
                while (store_list_status(s, TASK_QUEUED, first_cb, &q) == -ECANCELED)
                        CHECK(store_task_delete(s, q.id) == 0);
                s = store_close(s);
        }
        test_queue(path, pg);
        test_claim_race(path);
        test_recover_race(path);
        test_blobs(path, dir, pg);
        if (!pg)
                test_migrate_v1(dir);

        {
                char cmd[300];
                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
                if (system(cmd) != 0)
                        fprintf(stderr, "could not remove %s\n", dir);
        }
        if (tu_failures) {
                fprintf(stderr, "%d tu_failures\n", tu_failures);
                return 1;
        }
        printf("store: all checks passed\n");
        return 0;
}
