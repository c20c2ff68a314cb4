/* The SQLite task store: one table, WAL mode, status transitions as single guarded UPDATEs. */
#include "store/store.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/macro.h"
#include "store/store-accounts.h"
#include "store/store-private.h"


static const char *const status_names[_TASK_STATUS_MAX] = {
        [TASK_QUEUED] = "queued",         [TASK_PROCESSING] = "processing", [TASK_COMPLETED] = "completed",
        [TASK_FAILED] = "failed",         [TASK_EXPIRED] = "expired",
};

const char *task_status_to_string(task_status_t s) {
        if ((unsigned) s >= _TASK_STATUS_MAX)
                return "unknown";
        return status_names[s];
}

int task_status_from_string(const char *s) {
        for (unsigned i = 0; i < _TASK_STATUS_MAX; i++)
                if (s && strcmp(s, status_names[i]) == 0)
                        return (int) i;
        return -EINVAL;
}

int64_t store_now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sqlite_to_errno(int rc) {
        switch (rc & 0xff) {
        case SQLITE_OK:
        case SQLITE_DONE:
        case SQLITE_ROW:
                return 0;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
                return -EBUSY;
        case SQLITE_NOMEM:
                return -ENOMEM;
        case SQLITE_FULL:
                return -ENOSPC;
        case SQLITE_READONLY:
        case SQLITE_PERM:
        case SQLITE_AUTH:
                return -EACCES;
        case SQLITE_CANTOPEN:
                return -ENOENT;
        case SQLITE_CONSTRAINT:
                return -EEXIST;
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
                return -EUCLEAN;
        default:
                return -EIO;
        }
}


static const char schema[] =
        "CREATE TABLE IF NOT EXISTS tasks ("
        " id TEXT PRIMARY KEY NOT NULL,"
        " filename TEXT NOT NULL,"
        " status TEXT NOT NULL CHECK (status IN ('queued','processing','completed','failed','expired')),"
        " file_size INTEGER NOT NULL,"
        " uploaded_at INTEGER NOT NULL,"
        " started_at INTEGER NOT NULL DEFAULT 0,"
        " finished_at INTEGER NOT NULL DEFAULT 0,"
        " expires_at INTEGER NOT NULL DEFAULT 0,"
        " packets INTEGER NOT NULL DEFAULT 0,"
        " health_score INTEGER NOT NULL DEFAULT -1,"
        " findings INTEGER NOT NULL DEFAULT 0,"
        " partial INTEGER NOT NULL DEFAULT 0,"
        " error_message TEXT NOT NULL DEFAULT '',"
        " peak_memory INTEGER NOT NULL DEFAULT 0,"
        " owner INTEGER NOT NULL DEFAULT 0"
        ");"
        "CREATE INDEX IF NOT EXISTS tasks_by_status ON tasks (status, uploaded_at);"
        "CREATE INDEX IF NOT EXISTS tasks_by_upload ON tasks (uploaded_at);";

int store_exec(store_t *s, const char *sql) {
        int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
        return rc == SQLITE_OK ? 0 : (sqlite_to_errno(rc) ?: -EIO);
}

/* Adds a column to tasks unless it is there. */
static int column_ensure(store_t *s, const char *name, const char *ddl) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        char sql[256];
        int r = store_prepare(s, "SELECT 1 FROM pragma_table_info('tasks') WHERE name = ?1", &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
                return 0;
        snprintf(sql, sizeof(sql), "ALTER TABLE tasks ADD COLUMN %s", ddl);
        return store_exec(s, sql);
}

int store_open(const char *path, store_t **ret) {
        _cleanup_free_ store_t *s = calloc(1, sizeof(*s));
        int rc, r;

        if (!s)
                return -ENOMEM;
        rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
        if (rc != SQLITE_OK) {
                r = sqlite_to_errno(rc);
                sqlite3_close(s->db);
                return r;
        }
        /* The reaper writes beside the frontend: wait for the other writer instead of failing. */
        sqlite3_busy_timeout(s->db, 5000);
        /* WAL: readers never block the writer; synchronous=FULL makes each commit durable, which is what
         * "committed before 202" promises. */
        rc = sqlite3_exec(s->db,
                          "PRAGMA journal_mode=WAL;"
                          "PRAGMA synchronous=FULL;"
                          "PRAGMA foreign_keys=ON;",
                          NULL, NULL, NULL);
        if (rc == SQLITE_OK)
                rc = sqlite3_exec(s->db, schema, NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
                r = sqlite_to_errno(rc);
                sqlite3_close(s->db);
                return r < 0 ? r : -EIO;
        }
        /* databases made before a column: add it */
        r = column_ensure(s, "peak_memory", "peak_memory INTEGER NOT NULL DEFAULT 0");
        if (r >= 0)
                r = column_ensure(s, "owner", "owner INTEGER NOT NULL DEFAULT 0");
        if (r >= 0)
                r = store_exec(s, "CREATE INDEX IF NOT EXISTS tasks_by_owner ON tasks (owner, uploaded_at);");
        if (r >= 0)
                r = store_accounts_migrate(s);
        if (r < 0) {
                store_close(TAKE_PTR(s)); /* finalizes the statements column_ensure() cached */
                return r;
        }
        *ret = TAKE_PTR(s);
        return 0;
}
store_t *store_close(store_t *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n_stmts; i++)
                sqlite3_finalize(s->stmts[i]);
        free(s->stmts);
        sqlite3_close(s->db);
        free(s);
        return NULL;
}

int store_tune(store_t *s, bool durable, bool checkpoint) {
        char sql[128];
        snprintf(sql, sizeof(sql), "PRAGMA synchronous=%s; PRAGMA wal_autocheckpoint=%d;", durable ? "FULL" : "NORMAL",
                 checkpoint ? 1000 : 0);
        int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
        return rc == SQLITE_OK ? 0 : (sqlite_to_errno(rc) ?: -EIO);
}

int store_prepare(store_t *s, const char *sql, sqlite3_stmt **ret) {
        sqlite3_stmt *st;
        int rc;

        /* a statement someone is stepping through is busy: a nested use of the same SQL gets another */
        for (size_t i = 0; i < s->n_stmts; i++)
                if (!sqlite3_stmt_busy(s->stmts[i]) && strcmp(sqlite3_sql(s->stmts[i]), sql) == 0) {
                        *ret = s->stmts[i];
                        return 0;
                }
        if (s->n_stmts == s->n_alloc) {
                size_t na = s->n_alloc ? s->n_alloc * 2 : 32;
                sqlite3_stmt **n = realloc(s->stmts, na * sizeof(*n));
                if (!n)
                        return -ENOMEM;
                s->stmts = n;
                s->n_alloc = na;
        }
        rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
        if (rc != SQLITE_OK)
                return sqlite_to_errno(rc) ?: -EIO;
        s->stmts[s->n_stmts++] = st;
        *ret = st;
        return 0;
}

/* Runs a statement that returns no rows; returns the number of changed rows or -errno. */
int store_step_done(store_t *s, sqlite3_stmt *st) {
        int rc = sqlite3_step(st);
        if (rc != SQLITE_DONE)
                return sqlite_to_errno(rc) ?: -EIO;
        return sqlite3_changes(s->db);
}

int store_task_add(store_t *s, const store_task_t *t) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;

        r = store_prepare(s, "INSERT INTO tasks (id, filename, status, file_size, uploaded_at, owner) "
                       "VALUES (?1, ?2, 'queued', ?3, ?4, ?5)", &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, t->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, t->filename, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, (sqlite3_int64) t->file_size);
        sqlite3_bind_int64(st, 4, t->uploaded_at);
        sqlite3_bind_int64(st, 5, t->owner);
        r = store_step_done(s, st);
        return r < 0 ? r : 0;
}

#define TASK_COLUMNS                                                                                       \
        "id, filename, status, file_size, uploaded_at, started_at, finished_at, expires_at, packets, "    \
        "health_score, findings, partial, error_message, peak_memory, owner"

void store_copy_text(char *dst, size_t size, const unsigned char *src) {
        snprintf(dst, size, "%s", src ? (const char *) src : "");
}

static void row_to_task(sqlite3_stmt *st, store_task_t *t) {
        int status;

        memset(t, 0, sizeof(*t));
        store_copy_text(t->id, sizeof(t->id), sqlite3_column_text(st, 0));
        store_copy_text(t->filename, sizeof(t->filename), sqlite3_column_text(st, 1));
        status = task_status_from_string((const char *) sqlite3_column_text(st, 2));
        t->status = status < 0 ? TASK_FAILED : (task_status_t) status;
        t->file_size = (uint64_t) sqlite3_column_int64(st, 3);
        t->uploaded_at = sqlite3_column_int64(st, 4);
        t->started_at = sqlite3_column_int64(st, 5);
        t->finished_at = sqlite3_column_int64(st, 6);
        t->expires_at = sqlite3_column_int64(st, 7);
        t->packets = (uint64_t) sqlite3_column_int64(st, 8);
        t->health_score = sqlite3_column_int(st, 9);
        t->findings = (unsigned) sqlite3_column_int(st, 10);
        t->partial = sqlite3_column_int(st, 11) != 0;
        store_copy_text(t->error_message, sizeof(t->error_message), sqlite3_column_text(st, 12));
        t->peak_memory = (uint64_t) sqlite3_column_int64(st, 13);
        t->owner = sqlite3_column_int64(st, 14);
}

int store_task_get(store_t *s, const char *id, store_task_t *ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r, rc;

        r = store_prepare(s, "SELECT " TASK_COLUMNS " FROM tasks WHERE id = ?1", &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
                return -ENOENT;
        if (rc != SQLITE_ROW)
                return sqlite_to_errno(rc) ?: -EIO;
        row_to_task(st, ret);
        return 0;
}

/* An UPDATE guarded by the expected status: 0 changed rows means wrong status or no such task. */
static int finish_transition(store_t *s, sqlite3_stmt *st, const char *id) {
        store_task_t t;
        int r = store_step_done(s, st);

        if (r < 0)
                return r;
        if (r == 1)
                return 0;
        r = store_task_get(s, id, &t);
        return r < 0 ? r : -ESTALE;
}

int store_task_start(store_t *s, const char *id, int64_t now) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = store_prepare(s, "UPDATE tasks SET status = 'processing', started_at = ?2 "
                           "WHERE id = ?1 AND status = 'queued'", &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, now);
        return finish_transition(s, st, id);
}

int store_task_complete(store_t *s, const char *id, int64_t now, int64_t expires_at, uint64_t packets,
                        int health_score, unsigned findings, bool partial, uint64_t peak_memory) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = store_prepare(s, "UPDATE tasks SET status = 'completed', finished_at = ?2, expires_at = ?3, "
                           "packets = ?4, health_score = ?5, findings = ?6, partial = ?7, error_message = '', "
                           "peak_memory = ?8 WHERE id = ?1 AND status = 'processing'", &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, now);
        sqlite3_bind_int64(st, 3, expires_at);
        sqlite3_bind_int64(st, 4, (sqlite3_int64) packets);
        sqlite3_bind_int(st, 5, health_score);
        sqlite3_bind_int(st, 6, (int) findings);
        sqlite3_bind_int(st, 7, partial);
        sqlite3_bind_int64(st, 8, (sqlite3_int64) peak_memory);
        return finish_transition(s, st, id);
}

int store_task_fail(store_t *s, const char *id, int64_t now, int64_t expires_at, const char *message,
                    uint64_t peak_memory) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = store_prepare(s, "UPDATE tasks SET status = 'failed', finished_at = ?2, expires_at = ?3, "
                           "error_message = substr(?4, 1, 255), peak_memory = ?5 "
                           "WHERE id = ?1 AND status IN ('queued', 'processing')", &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, now);
        sqlite3_bind_int64(st, 3, expires_at);
        sqlite3_bind_text(st, 4, message ? message : "", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, (sqlite3_int64) peak_memory);
        return finish_transition(s, st, id);
}

int store_task_expire(store_t *s, const char *id, int64_t now) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = store_prepare(s, "UPDATE tasks SET status = 'expired', expires_at = min(expires_at, ?2) "
                           "WHERE id = ?1 AND status IN ('completed', 'failed')", &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, now);
        return finish_transition(s, st, id);
}

int store_task_delete(store_t *s, const char *id) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = store_prepare(s, "DELETE FROM tasks WHERE id = ?1", &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        r = store_step_done(s, st);
        if (r < 0)
                return r;
        return r == 0 ? -ENOENT : 0;
}

int store_each(sqlite3_stmt *st, store_row_conv conv, void *item, store_row_fn fn, void *userdata) {
        for (;;) {
                int rc = sqlite3_step(st);
                if (rc == SQLITE_DONE)
                        return 0;
                if (rc != SQLITE_ROW)
                        return sqlite_to_errno(rc) ?: -EIO;
                conv(st, item);
                int r = fn(item, userdata);
                if (r < 0)
                        return r;
        }
}

static int foreach_row(sqlite3_stmt *st, store_task_fn fn, void *userdata) {
        store_task_t t;
        return store_each(st, (store_row_conv) row_to_task, &t, (store_row_fn) fn, userdata);
}

int store_list_history(store_t *s, unsigned limit, int64_t owner, store_task_fn fn, void *userdata) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = owner == STORE_ANY_OWNER
                        ? store_prepare(s, "SELECT " TASK_COLUMNS " FROM tasks ORDER BY uploaded_at DESC, id LIMIT ?1", &st)
                        : store_prepare(s, "SELECT " TASK_COLUMNS " FROM tasks WHERE owner = ?2 "
                                           "ORDER BY uploaded_at DESC, id LIMIT ?1", &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, limit);
        if (owner != STORE_ANY_OWNER)
                sqlite3_bind_int64(st, 2, owner);
        return foreach_row(st, fn, userdata);
}

int store_list_status(store_t *s, task_status_t status, store_task_fn fn, void *userdata) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = store_prepare(s, "SELECT " TASK_COLUMNS " FROM tasks WHERE status = ?1 ORDER BY uploaded_at, id", &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, task_status_to_string(status), -1, SQLITE_STATIC);
        return foreach_row(st, fn, userdata);
}

int store_list_finished_before(store_t *s, int64_t cutoff, store_task_fn fn, void *userdata) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = store_prepare(s, "SELECT " TASK_COLUMNS " FROM tasks WHERE status IN ('completed', 'failed') "
                           "AND finished_at <= ?1 ORDER BY finished_at", &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, cutoff);
        return foreach_row(st, fn, userdata);
}

int store_count(store_t *s, uint64_t ret_counts[_TASK_STATUS_MAX]) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        uint64_t counts[_TASK_STATUS_MAX] = {};
        int r = store_prepare(s, "SELECT status, count(*) FROM tasks GROUP BY status", &st);
        if (r < 0)
                return r;
        for (;;) {
                int rc = sqlite3_step(st);
                if (rc == SQLITE_DONE)
                        break;
                if (rc != SQLITE_ROW)
                        return sqlite_to_errno(rc) ?: -EIO;
                int status = task_status_from_string((const char *) sqlite3_column_text(st, 0));
                if (status >= 0)
                        counts[status] = (uint64_t) sqlite3_column_int64(st, 1);
        }
        memcpy(ret_counts, counts, sizeof(counts));
        return 0;
}

typedef struct recover_item {
        char id[ID_LEN + 1];
        bool present;
} recover_item_t;

int store_recover(store_t *s, int64_t now, bool (*capture_exists)(const char *id, void *userdata),
                  void *userdata) {
        _cleanup_stmt_ sqlite3_stmt *sel = NULL, *requeue = NULL, *lost = NULL;
        _cleanup_free_ recover_item_t *items = NULL;
        size_t n = 0, alloc = 0;
        int r, changed = 0;

        r = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        if (r != SQLITE_OK)
                return sqlite_to_errno(r) ?: -EIO;

        r = store_prepare(s, "SELECT id FROM tasks WHERE status = 'processing'", &sel);
        if (r < 0)
                goto rollback;
        for (;;) {
                int rc = sqlite3_step(sel);
                if (rc == SQLITE_DONE)
                        break;
                if (rc != SQLITE_ROW) {
                        r = sqlite_to_errno(rc) ?: -EIO;
                        goto rollback;
                }
                if (n == alloc) {
                        size_t na = alloc ? alloc * 2 : 16;
                        recover_item_t *ni = realloc(items, na * sizeof(*ni));
                        if (!ni) {
                                r = -ENOMEM;
                                goto rollback;
                        }
                        items = ni;
                        alloc = na;
                }
                store_copy_text(items[n].id, sizeof(items[n].id), sqlite3_column_text(sel, 0));
                items[n].present = capture_exists(items[n].id, userdata);
                n++;
        }

        r = store_prepare(s, "UPDATE tasks SET status = 'queued', started_at = 0 WHERE id = ?1 AND status = 'processing'",
                    &requeue);
        if (r < 0)
                goto rollback;
        r = store_prepare(s, "UPDATE tasks SET status = 'failed', finished_at = ?2, error_message = 'capture lost' "
                       "WHERE id = ?1 AND status = 'processing'", &lost);
        if (r < 0)
                goto rollback;
        for (size_t i = 0; i < n; i++) {
                sqlite3_stmt *st = items[i].present ? requeue : lost;
                sqlite3_reset(st);
                sqlite3_bind_text(st, 1, items[i].id, -1, SQLITE_TRANSIENT);
                if (!items[i].present)
                        sqlite3_bind_int64(st, 2, now);
                r = store_step_done(s, st);
                if (r < 0)
                        goto rollback;
                changed += r;
        }
        r = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
        if (r != SQLITE_OK) {
                r = sqlite_to_errno(r) ?: -EIO;
                goto rollback;
        }
        return changed;

rollback:
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return r;
}

int store_ping(store_t *s) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = store_prepare(s, "SELECT count(*) FROM tasks WHERE status = 'queued'", &st);
        if (r < 0)
                return r;
        int rc = sqlite3_step(st);
        return rc == SQLITE_ROW ? 0 : (sqlite_to_errno(rc) ?: -EIO);
}
