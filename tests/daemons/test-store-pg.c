/* The store on a real PostgreSQL, what only that back-end has: several processes migrating one fresh
 * database at once (exactly one does), a database newer than the code refused; the server stopped under
 * an open store (calls fail with -ENOTCONN, store_ping says so, nothing hangs) and started again (the next
 * call works without reopening); the store's backend terminated while the server runs (idle: the next
 * call reconnects first; inside a transaction: it fails as a whole); lock_timeout and connect_timeout bounding a call; the connection's
 * socket close-on-exec; the password from a systemd credential. Run through tests/pg/pg-temp.sh run, which
 * sets PCAPD_TEST_PG_DIR, PCAPD_TEST_PG_SCRIPT and PCAPD_TEST_DATABASE. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "../check.h"

#include "store/store.h"

#define RACERS 8
#define SCHEMA_VERSION 3 /* lib/store/store-pg.h's STORE_PG_SCHEMA_VERSION */

static const char *pg_dir, *pg_script;

static int pg_ctl(const char *what, const char *arg) {
        char cmd[1024];
        snprintf(cmd, sizeof(cmd), "'%s' %s '%s' %s >/dev/null", pg_script, what, pg_dir, arg ? arg : "");
        return system(cmd);
}

static void url_of(const char *db, const char *user, char *buf, size_t size) {
        snprintf(buf, size, "postgresql:///%s?host=%s&user=%s", db, pg_dir, user);
}

/* Runs sql as the superuser on database db; the first value of the first row into ret (when asked). */
static int sql(const char *db, const char *query, char *ret, size_t size) {
        char url[512];
        int r = 0;
        url_of(db, "pcapd", url, sizeof(url));
        PGconn *c = PQconnectdb(url);
        PGresult *res = PQexec(c, query);
        if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
                fprintf(stderr, "%s: %s", query, PQerrorMessage(c));
                r = -1;
        } else if (ret)
                snprintf(ret, size, "%s", PQntuples(res) > 0 ? PQgetvalue(res, 0, 0) : "");
        PQclear(res);
        PQfinish(c);
        return r;
}

/* Ends the store's server process (a failover, an admin's pg_terminate_backend) and waits until it is gone. */
static void kill_store_backends(void) {
        char v[32];
        CHECK(sql("pcapd", "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                           "WHERE application_name = 'pcapd' AND pid <> pg_backend_pid()", v, sizeof(v)) == 0);
        CHECK_STR(v, "1");
        for (int i = 0; i < 500; i++) {
                CHECK(sql("pcapd", "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pcapd'", v,
                          sizeof(v)) == 0);
                if (strcmp(v, "0") == 0)
                        return;
                usleep(10 * 1000);
        }
        TU_FAIL("the store's backend did not end");
}

static double now_s(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static bool always(const char *id, void *userdata);

/* A database at version 1 (no lease columns) with a task running then: opening migrates it to version 2 once,
 * the task keeps its row and, having no lease, is recovered at start. */
static void test_migrate_v1(void) {
        char url[512], v[64];
        store_t *s = NULL;
        store_task_t t = { .file_size = 1, .uploaded_at = 5 }, got;

        CHECK(pg_ctl("createdb", "v1") == 0);
        url_of("v1", "pcapd", url, sizeof(url));
        CHECK(store_open(url, &s) == 0);
        snprintf(t.id, sizeof(t.id), "%032d", 1);
        snprintf(t.filename, sizeof(t.filename), "old.pcap");
        CHECK(store_task_add(s, &t) == 0 && store_task_start(s, t.id, 6) == 0);
        s = store_close(s);
        /* back to version 1 as it was */
        CHECK(sql("v1", "DROP TABLE blobs; DROP INDEX tasks_by_lease; ALTER TABLE tasks DROP COLUMN node, DROP COLUMN lease_until;"
                        "DELETE FROM pcapd_schema WHERE version >= 2", NULL, 0) == 0);
        CHECK(store_open(url, &s) == 0);
        if (!s)
                return;
        CHECK(sql("v1", "SELECT max(version) || '/' || (SELECT count(*) FROM pg_indexes WHERE indexname = 'tasks_by_lease')"
                        " FROM pcapd_schema", v, sizeof(v)) == 0);
        CHECK_STR(v, "3/1");
        CHECK(store_task_get(s, t.id, &got) == 0 && got.status == TASK_PROCESSING && got.lease_until == 0 &&
              strcmp(got.node, "") == 0);
        CHECK_EQ(store_recover(s, 7, always, NULL), 1);
        CHECK(store_task_get(s, t.id, &got) == 0 && got.status == TASK_QUEUED);
        store_close(s);
}

/* RACERS processes open the same fresh database at the same moment. */
static void test_concurrent_migration(void) {
        char url[512], v[64];
        int gate[2];
        pid_t pids[RACERS];

        CHECK(pg_ctl("createdb", "race") == 0);
        url_of("race", "pcapd", url, sizeof(url));
        CHECK(pipe(gate) == 0);
        for (int i = 0; i < RACERS; i++) {
                pids[i] = fork();
                if (pids[i] == 0) {
                        char b, id[40];
                        store_t *s = NULL;
                        store_task_t t = { .file_size = 1, .uploaded_at = i };
                        close(gate[1]);
                        (void) !read(gate[0], &b, 1); /* returns at EOF: when the parent closes the gate */
                        if (store_open(url, &s) < 0)
                                _exit(10);
                        /* every racer finds the whole schema */
                        snprintf(id, sizeof(id), "%032d", i);
                        memcpy(t.id, id, sizeof(t.id));
                        snprintf(t.filename, sizeof(t.filename), "racer.pcap");
                        if (store_task_add(s, &t) < 0 || store_ping(s) < 0)
                                _exit(11);
                        store_close(s);
                        _exit(0);
                }
        }
        close(gate[0]);
        close(gate[1]);
        for (int i = 0; i < RACERS; i++) {
                int status = -1;
                CHECK(waitpid(pids[i], &status, 0) == pids[i]);
                CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "racer %d: status %d", i, status);
        }
        /* one row per version: each migration ran once, by one racer */
        CHECK(sql("race", "SELECT count(*) || '/' || count(DISTINCT applied_by) || '/' || max(version) FROM pcapd_schema",
                  v, sizeof(v)) == 0);
        {
                char want[64];
                snprintf(want, sizeof(want), "%d/%d/%d", SCHEMA_VERSION, 1, SCHEMA_VERSION);
                CHECK_STR(v, want);
        }
        CHECK(sql("race", "SELECT count(*) FROM tasks", v, sizeof(v)) == 0);
        CHECK_STR(v, "8");

        /* a database migrated by a newer pcapd is refused */
        store_t *s = NULL;
        CHECK(sql("race", "INSERT INTO pcapd_schema (version) VALUES (999)", NULL, 0) == 0);
        CHECK_EQ(store_open(url, &s), -EPROTONOSUPPORT);
        CHECK(s == NULL);
}

/* The server goes away under an open store and comes back. */
static void test_lost_connection(const char *url) {
        store_t *s = NULL;
        store_task_t t = { .file_size = 7, .uploaded_at = 1 }, got;
        double t0;

        CHECK(store_open(url, &s) == 0);
        if (!s)
                return;
        CHECK(store_tune(s, false, false) == 0);
        memcpy(t.id, "dddddddddddddddddddddddddddddddd", sizeof(t.id));
        snprintf(t.filename, sizeof(t.filename), "lost.pcap");
        CHECK(store_task_add(s, &t) == 0);
        CHECK(store_ping(s) == 0);

        CHECK(pg_ctl("stop", NULL) == 0);
        t0 = now_s();
        CHECK_EQ(store_task_get(s, t.id, &got), -ENOTCONN); /* the call that meets the closed connection */
        CHECK_EQ(store_ping(s), -ENOTCONN);                 /* reconnecting fails: still down */
        CHECK_EQ(store_task_start(s, t.id, 2), -ENOTCONN);
        CHECK_EQ(store_recover(s, 3, NULL, NULL), -ENOTCONN); /* a transaction */
        CHECK_MSG(now_s() - t0 < 15, "the failing calls took %.1f s", now_s() - t0);

        CHECK(pg_ctl("start", NULL) == 0);
        /* the next call reconnects by itself and prepares its statements again */
        CHECK_EQ(store_task_get(s, t.id, &got), 0);
        CHECK(got.status == TASK_QUEUED && got.file_size == 7);
        CHECK_EQ(store_ping(s), 0);
        CHECK_EQ(store_task_start(s, t.id, 2), 0);
        CHECK_EQ(store_task_start(s, t.id, 2), -ESTALE);
        store_close(s);
}

/* The store's connection killed while it was idle and the server runs (a restart done, an admin's
 * pg_terminate_backend): the next call finds it closed before using it and reconnects, so it works (a
 * node's threads do not fail their next request for a restart long over). */
static void test_terminated(const char *url) {
        store_t *s = NULL;
        store_task_t got;

        CHECK(store_open(url, &s) == 0);
        if (!s)
                return;
        CHECK_EQ(store_ping(s), 0);
        kill_store_backends();
        CHECK_EQ(store_task_get(s, "dddddddddddddddddddddddddddddddd", &got), 0);
        kill_store_backends();
        CHECK_EQ(store_ping(s), 0);
        store_close(s);
}

static bool kill_store_backend(const char *id, void *userdata) {
        /* once: the first task's check cuts the store's connection in the middle of store_recover's
         * transaction */
        if ((*(unsigned *) userdata)++ == 0)
                kill_store_backends();
        return true;
}

static bool always(const char *id, void *userdata) {
        return true;
}

/* A connection lost inside a transaction: the transaction fails as a whole, and no statement of it runs
 * on a new connection outside it (that would commit half of it). */
static void test_lost_in_transaction(const char *url) {
        store_t *s = NULL;
        store_task_t t = { .file_size = 1, .uploaded_at = 5 };
        unsigned calls = 0;
        char v[64];

        CHECK(store_open(url, &s) == 0);
        if (!s)
                return;
        snprintf(t.filename, sizeof(t.filename), "tx.pcap");
        memcpy(t.id, "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeee1", sizeof(t.id));
        CHECK(store_task_add(s, &t) == 0 && store_task_start(s, t.id, 6) == 0);
        memcpy(t.id, "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeee2", sizeof(t.id));
        CHECK(store_task_add(s, &t) == 0 && store_task_start(s, t.id, 6) == 0);

        CHECK_EQ(store_recover(s, 7, kill_store_backend, &calls), -ENOTCONN);
        CHECK(sql("pcapd", "SELECT string_agg(status, ',') FROM tasks WHERE id LIKE 'eeee%'", v, sizeof(v)) == 0);
        CHECK_STR(v, "processing,processing"); /* nothing of it committed */
        /* the transaction is over: the next call reconnects */
        CHECK_EQ(store_recover(s, 7, always, NULL), 3); /* these two and test_lost_connection's */
        CHECK(sql("pcapd", "SELECT string_agg(status, ',') FROM tasks WHERE id LIKE 'eeee%'", v, sizeof(v)) == 0);
        CHECK_STR(v, "queued,queued");
        store_close(s);
}

/* Nothing waits forever: a statement behind another session's lock ends at lock_timeout (10 s), a server
 * that accepts the connection and never answers at connect_timeout (10 s). */
static void test_timeouts(const char *url) {
        char lock_url[512];
        store_t *s = NULL;
        store_task_t got;
        double t0;
        int r;

        CHECK(store_open(url, &s) == 0);
        if (!s)
                return;
        url_of("pcapd", "pcapd", lock_url, sizeof(lock_url));
        PGconn *holder = PQconnectdb(lock_url);
        PGresult *res = PQexec(holder, "BEGIN; LOCK TABLE tasks IN ACCESS EXCLUSIVE MODE");
        CHECK(PQresultStatus(res) == PGRES_COMMAND_OK);
        PQclear(res);
        t0 = now_s();
        r = store_task_get(s, "dddddddddddddddddddddddddddddddd", &got);
        CHECK_MSG(r == -EBUSY || r == -ETIMEDOUT, "a locked table: %d (%s)", r, strerror(-r));
        CHECK_MSG(now_s() - t0 > 5 && now_s() - t0 < 40, "the locked call took %.1f s", now_s() - t0);
        PQfinish(holder); /* its transaction ends, the lock with it */
        CHECK_EQ(store_task_get(s, "dddddddddddddddddddddddddddddddd", &got), 0);
        store_close(s);

        /* a listener that completes the TCP handshake (the kernel does) and never says a word */
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(a);
        char mute[256];
        CHECK(fd >= 0 && bind(fd, (struct sockaddr *) &a, sizeof(a)) == 0 && listen(fd, 8) == 0);
        CHECK(getsockname(fd, (struct sockaddr *) &a, &len) == 0);
        snprintf(mute, sizeof(mute), "postgresql://127.0.0.1:%u/pcapd?user=pcapd", ntohs(a.sin_port));
        t0 = now_s();
        s = NULL;
        CHECK_EQ(store_open(mute, &s), -ECONNREFUSED);
        CHECK_MSG(now_s() - t0 > 5 && now_s() - t0 < 40, "the mute server took %.1f s", now_s() - t0);
        close(fd);
}

/* The connection's socket is close-on-exec: pcapd-web forks analyzers. */
static void test_cloexec(const char *url) {
        store_t *s = NULL;
        DIR *d;
        struct dirent *de;
        unsigned socks = 0;

        CHECK(store_open(url, &s) == 0);
        d = opendir("/proc/self/fd");
        CHECK(d != NULL);
        while (d && (de = readdir(d))) {
                int fd = atoi(de->d_name);
                struct stat st;
                if (de->d_name[0] == '.' || fd <= 2 || fd == dirfd(d) || fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
                        continue;
                socks++;
                CHECK_MSG(fcntl(fd, F_GETFD) & FD_CLOEXEC, "fd %d is not close-on-exec", fd);
        }
        if (d)
                closedir(d);
        CHECK(socks >= 1);
        store_close(s);
}

/* A role that must give a password: it comes from $CREDENTIALS_DIRECTORY/pcapd-db-password. */
static void test_credential(void) {
        char hba[512], url[512], creds[] = "/tmp/test-store-pg-creds-XXXXXX", path[600];
        store_t *s = NULL;
        FILE *f;
        char *old = NULL;
        size_t n = 0;

        CHECK(sql("pcapd", "CREATE ROLE pcapd_pw LOGIN PASSWORD 'correct horse'", NULL, 0) == 0);
        CHECK(sql("pcapd", "CREATE DATABASE pwdb OWNER pcapd_pw", NULL, 0) == 0);
        /* password (scram) for this role, before the trust line initdb wrote */
        snprintf(hba, sizeof(hba), "%s/data/pg_hba.conf", pg_dir);
        f = fopen(hba, "re");
        CHECK(f && getdelim(&old, &n, 0, f) > 0);
        if (f)
                fclose(f);
        f = fopen(hba, "we");
        CHECK(f != NULL);
        if (!f || !old)
                return;
        fprintf(f, "local all pcapd_pw scram-sha-256\n%s", old);
        fclose(f);
        free(old);
        CHECK(sql("pcapd", "SELECT pg_reload_conf()", NULL, 0) == 0);
        usleep(300 * 1000);

        url_of("pwdb", "pcapd_pw", url, sizeof(url));
        unsetenv("CREDENTIALS_DIRECTORY");
        unsetenv("PGPASSWORD");
        setenv("PGPASSFILE", "/nonexistent", 1);
        CHECK_EQ(store_open(url, &s), -EACCES);
        CHECK(mkdtemp(creds) != NULL);
        snprintf(path, sizeof(path), "%s/pcapd-db-password", creds);
        f = fopen(path, "we");
        CHECK(f != NULL);
        if (!f)
                return;
        fputs("wrong\n", f);
        fclose(f);
        setenv("CREDENTIALS_DIRECTORY", creds, 1);
        CHECK_EQ(store_open(url, &s), -EACCES);
        f = fopen(path, "we");
        fputs("correct horse\n", f); /* systemd-creds and echo leave a newline */
        fclose(f);
        CHECK_EQ(store_open(url, &s), 0);
        CHECK(s && store_ping(s) == 0);
        store_close(s);
        unlink(path);
        rmdir(creds);
        unsetenv("CREDENTIALS_DIRECTORY");
}

int main(void) {
        const char *url = getenv("PCAPD_TEST_DATABASE");

        pg_dir = getenv("PCAPD_TEST_PG_DIR");
        pg_script = getenv("PCAPD_TEST_PG_SCRIPT");
        if (!url || !pg_dir || !pg_script) {
                fprintf(stderr, "store-pg: run me through tests/pg/pg-temp.sh run\n");
                return EXIT_TEST_SKIP;
        }
        RUN(test_concurrent_migration);
        tu_current = "test_lost_connection";
        test_lost_connection(url);
        fprintf(stderr, "%s test_lost_connection\n", tu_failures ? "FAIL" : "ok  ");
        tu_current = "test_terminated";
        test_terminated(url);
        tu_current = "test_lost_in_transaction";
        test_lost_in_transaction(url);
        tu_current = "test_timeouts";
        test_timeouts(url);
        tu_current = "test_cloexec";
        test_cloexec(url);
        fprintf(stderr, "%s the rest\n", tu_failures ? "FAIL" : "ok  ");
        RUN(test_credential);
        RUN(test_migrate_v1);
        return tu_exit();
}
