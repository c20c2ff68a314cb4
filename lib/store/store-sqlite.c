/* The SQLite back-end of the store: one file in WAL mode, statements prepared once per connection and
 * kept (parsing the SQL was most of the cost of an authenticated request). */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store-private.h"
#include "store/store-sqlite.h"

typedef struct sqlite_stmt {
        store_stmt_t base;
        sqlite3_stmt *st;
        bool in_use;                 /* handed out by prepare, not yet released */
} sqlite_stmt_t;

typedef struct sqlite_store {
        store_t base;
        sqlite3 *db;
        sqlite_stmt_t **stmts;
        size_t n_stmts, n_alloc;
} sqlite_store_t;

#define SQ(s) ((sqlite_store_t *) (s))
#define SQST(st) ((sqlite_stmt_t *) (st))

int store_sqlite_errno(int rc) {
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

int store_sqlite_exec(sqlite3 *db, const char *sql) {
        int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
        return rc == SQLITE_OK ? 0 : (store_sqlite_errno(rc) ?: -EIO);
}

static void sq_close(store_t *s) {
        sqlite_store_t *q = SQ(s);
        for (size_t i = 0; i < q->n_stmts; i++) {
                sqlite3_finalize(q->stmts[i]->st);
                free(q->stmts[i]);
        }
        free(q->stmts);
        sqlite3_close(q->db);
        free(q);
}

static int sq_tune(store_t *s, bool durable, bool checkpoint) {
        char sql[128];
        snprintf(sql, sizeof(sql), "PRAGMA synchronous=%s; PRAGMA wal_autocheckpoint=%d;", durable ? "FULL" : "NORMAL",
                 checkpoint ? 1000 : 0);
        return store_sqlite_exec(SQ(s)->db, sql);
}

static int sq_prepare(store_t *s, const char *sql, store_stmt_t **ret) {
        sqlite_store_t *q = SQ(s);
        _cleanup_free_ sqlite_stmt_t *n = NULL;
        int rc;

        /* a statement someone holds is busy: a nested use of the same SQL gets another */
        for (size_t i = 0; i < q->n_stmts; i++)
                if (!q->stmts[i]->in_use && strcmp(sqlite3_sql(q->stmts[i]->st), sql) == 0) {
                        q->stmts[i]->in_use = true;
                        *ret = &q->stmts[i]->base;
                        return 0;
                }
        if (q->n_stmts == q->n_alloc) {
                size_t na = q->n_alloc ? q->n_alloc * 2 : 32;
                sqlite_stmt_t **a = realloc(q->stmts, na * sizeof(*a));
                if (!a)
                        return -ENOMEM;
                q->stmts = a;
                q->n_alloc = na;
        }
        n = calloc(1, sizeof(*n));
        if (!n)
                return -ENOMEM;
        rc = sqlite3_prepare_v3(q->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &n->st, NULL);
        if (rc != SQLITE_OK)
                return store_sqlite_errno(rc) ?: -EIO;
        n->base.store = s;
        n->in_use = true;
        q->stmts[q->n_stmts++] = n;
        *ret = &TAKE_PTR(n)->base;
        return 0;
}

static void sq_release(store_stmt_t *st) {
        sqlite3_reset(SQST(st)->st);
        sqlite3_clear_bindings(SQST(st)->st);
        SQST(st)->in_use = false;
}

static void sq_bind_int64(store_stmt_t *st, int idx, int64_t v) {
        sqlite3_bind_int64(SQST(st)->st, idx, v);
}

static void sq_bind_text(store_stmt_t *st, int idx, const char *v) {
        sqlite3_bind_text(SQST(st)->st, idx, v, -1, SQLITE_STATIC);
}

static int sq_step(store_stmt_t *st) {
        int rc = sqlite3_step(SQST(st)->st);
        if (rc == SQLITE_ROW)
                return 1;
        if (rc == SQLITE_DONE)
                return 0;
        return store_sqlite_errno(rc) ?: -EIO;
}

static int64_t sq_column_int64(store_stmt_t *st, int col) {
        return sqlite3_column_int64(SQST(st)->st, col);
}

static const char *sq_column_text(store_stmt_t *st, int col) {
        const unsigned char *t = sqlite3_column_text(SQST(st)->st, col);
        return t ? (const char *) t : "";
}

static int sq_changes(store_stmt_t *st) {
        return sqlite3_changes(SQ(st->store)->db);
}

static int sq_begin(store_t *s) {
        return store_sqlite_exec(SQ(s)->db, "BEGIN IMMEDIATE");
}

static int sq_commit(store_t *s) {
        return store_sqlite_exec(SQ(s)->db, "COMMIT");
}

static void sq_rollback(store_t *s) {
        (void) store_sqlite_exec(SQ(s)->db, "ROLLBACK");
}

static const store_ops_t sqlite_ops = {
        .name = "sqlite",
        .shared = false,
        .close = sq_close,
        .tune = sq_tune,
        .prepare = sq_prepare,
        .release = sq_release,
        .bind_int64 = sq_bind_int64,
        .bind_text = sq_bind_text,
        .step = sq_step,
        .column_int64 = sq_column_int64,
        .column_text = sq_column_text,
        .changes = sq_changes,
        .begin = sq_begin,
        .commit = sq_commit,
        .rollback = sq_rollback,
};

/* Switching a file into WAL mode needs it alone for a moment, and SQLite answers BUSY at once, without its
 * busy handler, when another process holds it (several opening a new file together): retry, bounded. */
static int journal_wal(sqlite3 *db) {
        for (unsigned i = 0;; i++) {
                int r = store_sqlite_exec(db, "PRAGMA journal_mode=WAL");
                if (r != -EBUSY || i >= 100)
                        return r;
                (void) nanosleep(&(struct timespec) { .tv_nsec = 50 * 1000 * 1000 }, NULL);
        }
}

int store_sqlite_open(const char *path, store_t **ret) {
        sqlite_store_t *q = calloc(1, sizeof(*q));
        int rc, r;

        if (!q)
                return -ENOMEM;
        q->base.ops = &sqlite_ops;
        rc = sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
        if (rc != SQLITE_OK) {
                r = store_sqlite_errno(rc) ?: -EIO;
                sq_close(&q->base);
                return r;
        }
        /* The reaper writes beside the frontend: wait for the other writer instead of failing. */
        sqlite3_busy_timeout(q->db, 5000);
        /* WAL: readers never block the writer; synchronous=FULL makes each commit durable, which is what
         * "committed before 202" promises. */
        r = journal_wal(q->db);
        if (r >= 0)
                r = store_sqlite_exec(q->db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
        if (r >= 0)
                r = store_sqlite_schema_migrate(q->db);
        if (r < 0) {
                sq_close(&q->base);
                return r;
        }
        *ret = &q->base;
        return 0;
}
