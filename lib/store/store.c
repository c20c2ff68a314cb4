/* The task store: one API over two back-ends (store-sqlite.c, store-pg.c), chosen by store_open()'s
 * argument; the tasks' SQL, written once for both, and status transitions as single guarded UPDATEs. */
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/jsonesc.h"
#include "util/macro.h"
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

int store_database_kind(const char *database) {
        if (!database || !*database)
                return -EINVAL;
        if (strncmp(database, "postgresql://", 13) == 0 || strncmp(database, "postgres://", 11) == 0)
                return store_pg_url_check(database) < 0 ? -EINVAL : STORE_POSTGRESQL;
        if (strncmp(database, "sqlite:", 7) == 0)
                return database[7] ? STORE_SQLITE : -EINVAL;
        /* anything else with a scheme is a typo, not a file name */
        const char *colon = strchr(database, ':'), *slash = strchr(database, '/');
        if (colon && (!slash || colon < slash))
                return -EPROTONOSUPPORT;
        return STORE_SQLITE;
}

int store_open(const char *database, store_t **ret) {
        int kind = store_database_kind(database);
        if (kind < 0)
                return kind;
        if (kind == STORE_POSTGRESQL)
                return store_pg_open(database, ret);
        return store_sqlite_open(strncmp(database, "sqlite:", 7) == 0 ? database + 7 : database, ret);
}

store_t *store_close(store_t *s) {
        if (s)
                s->ops->close(s);
        return NULL;
}

const char *store_backend(store_t *s) {
        return s->ops->name;
}

int store_tune(store_t *s, bool durable, bool checkpoint) {
        return s->ops->tune(s, durable, checkpoint);
}

int store_step_done(store_stmt_t *st) {
        int r = store_step(st);
        if (r < 0)
                return r;
        if (r > 0)
                return -EIO; /* a row from a statement meant to return none: a programming error */
        return st->store->ops->changes(st);
}

int store_step_one(store_stmt_t *st, store_row_conv conv, void *ret) {
        int r = store_step(st);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;
        conv(st, ret);
        return 0;
}

void store_copy_text(char *dst, size_t size, const char *src) {
        size_t n = src ? strlen(src) : 0;
        if (size == 0)
                return;
        if (n >= size)
                n = utf8_cut(src, size - 1);
        if (n)
                memcpy(dst, src, n);
        dst[n] = 0;
}

void store_bind_text(store_stmt_t *st, int idx, const char *v) {
        if (v && !utf8_is_valid(v)) {
                for (size_t i = 0; i < STORE_STMT_COPIES; i++)
                        if (!st->copies[i]) {
                                st->copies[i] = utf8_make_valid(v);
                                if (st->copies[i])
                                        v = st->copies[i];
                                break;
                        }
                /* out of memory or of slots: bound as it is (SQLite keeps it; PostgreSQL says -EINVAL) */
        }
        st->store->ops->bind_text(st, idx, v);
}

void store_release(store_stmt_t *st) {
        st->store->ops->release(st);
        for (size_t i = 0; i < STORE_STMT_COPIES; i++) {
                free(st->copies[i]);
                st->copies[i] = NULL;
        }
}

int store_each(store_stmt_t *st, store_row_conv conv, void *item, store_row_fn fn, void *userdata) {
        for (;;) {
                int r = store_step(st);
                if (r <= 0)
                        return r;
                conv(st, item);
                r = fn(item, userdata);
                if (r < 0)
                        return r;
        }
}

int store_task_add(store_t *s, const store_task_t *t) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r;

        r = store_prepare(s, "INSERT INTO tasks (id, filename, status, file_size, uploaded_at, owner) "
                       "VALUES (?1, ?2, 'queued', ?3, ?4, ?5)", &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, t->id);
        store_bind_text(st, 2, t->filename);
        store_bind_int64(st, 3, t->file_size);
        store_bind_int64(st, 4, t->uploaded_at);
        store_bind_int64(st, 5, t->owner);
        r = store_step_done(st);
        return r < 0 ? r : 0;
}

#define TASK_COLUMNS                                                                                       \
        "id, filename, status, file_size, uploaded_at, started_at, finished_at, expires_at, packets, "    \
        "health_score, findings, partial, error_message, peak_memory, owner, node, lease_until"


static void row_to_task(store_stmt_t *st, store_task_t *t) {
        int status;

        memset(t, 0, sizeof(*t));
        store_copy_text(t->id, sizeof(t->id), store_column_text(st, 0));
        store_copy_text(t->filename, sizeof(t->filename), store_column_text(st, 1));
        status = task_status_from_string((const char *) store_column_text(st, 2));
        t->status = status < 0 ? TASK_FAILED : (task_status_t) status;
        t->file_size = (uint64_t) store_column_int64(st, 3);
        t->uploaded_at = store_column_int64(st, 4);
        t->started_at = store_column_int64(st, 5);
        t->finished_at = store_column_int64(st, 6);
        t->expires_at = store_column_int64(st, 7);
        t->packets = (uint64_t) store_column_int64(st, 8);
        t->health_score = store_column_int64(st, 9);
        t->findings = (unsigned) store_column_int64(st, 10);
        t->partial = store_column_int64(st, 11) != 0;
        store_copy_text(t->error_message, sizeof(t->error_message), store_column_text(st, 12));
        t->peak_memory = (uint64_t) store_column_int64(st, 13);
        t->owner = store_column_int64(st, 14);
        store_copy_text(t->node, sizeof(t->node), store_column_text(st, 15));
        t->lease_until = store_column_int64(st, 16);
}

int store_task_get(store_t *s, const char *id, store_task_t *ret) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r = store_prepare(s, "SELECT " TASK_COLUMNS " FROM tasks WHERE id = ?1", &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, id);
        return store_step_one(st, (store_row_conv) row_to_task, ret);
}

/* An UPDATE guarded by the expected status: 0 changed rows means wrong status or no such task. */
static int finish_transition(store_t *s, store_stmt_t *st, const char *id) {
        store_task_t t;
        int r = store_step_done(st);

        if (r < 0)
                return r;
        if (r == 1)
                return 0;
        r = store_task_get(s, id, &t);
        return r < 0 ? r : -ESTALE;
}

int store_task_start(store_t *s, const char *id, int64_t now) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r = store_prepare(s, "UPDATE tasks SET status = 'processing', started_at = ?2 "
                           "WHERE id = ?1 AND status = 'queued'", &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, id);
        store_bind_int64(st, 2, now);
        return finish_transition(s, st, id);
}

/* The lease holder's guard, its node the parameter ?n: NULL accepts any node. */
#define LEASE_GUARD(n) " AND (CAST(?" #n " AS TEXT) IS NULL OR node = CAST(?" #n " AS TEXT))"

int store_task_complete_leased(store_t *s, const char *node, const char *id, int64_t now, int64_t expires_at,
                               uint64_t packets, int health_score, unsigned findings, bool partial,
                               uint64_t peak_memory) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r = store_prepare(s, "UPDATE tasks SET status = 'completed', finished_at = ?2, expires_at = ?3, "
                           "packets = ?4, health_score = ?5, findings = ?6, partial = ?7, error_message = '', "
                           "peak_memory = ?8, lease_until = 0 WHERE id = ?1 AND status = 'processing'" LEASE_GUARD(9), &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, id);
        store_bind_int64(st, 2, now);
        store_bind_int64(st, 3, expires_at);
        store_bind_int64(st, 4, packets);
        store_bind_int64(st, 5, health_score);
        store_bind_int64(st, 6, (int) findings);
        store_bind_int64(st, 7, partial);
        store_bind_int64(st, 8, peak_memory);
        store_bind_text(st, 9, node);
        return finish_transition(s, st, id);
}

int store_task_complete(store_t *s, const char *id, int64_t now, int64_t expires_at, uint64_t packets,
                        int health_score, unsigned findings, bool partial, uint64_t peak_memory) {
        return store_task_complete_leased(s, NULL, id, now, expires_at, packets, health_score, findings, partial,
                                          peak_memory);
}

int store_task_fail_leased(store_t *s, const char *node, const char *id, int64_t now, int64_t expires_at,
                           const char *message, uint64_t peak_memory) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        /* a queued task has no holder: a node may fail it (its capture is lost) only when it is not leased */
        int r = store_prepare(s, "UPDATE tasks SET status = 'failed', finished_at = ?2, expires_at = ?3, "
                           "error_message = substr(CAST(?4 AS TEXT), 1, 255), peak_memory = ?5, lease_until = 0 "
                           "WHERE id = ?1 AND (status = 'queued' OR (status = 'processing'" LEASE_GUARD(6) "))", &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, id);
        store_bind_int64(st, 2, now);
        store_bind_int64(st, 3, expires_at);
        store_bind_text(st, 4, message ? message : "");
        store_bind_int64(st, 5, peak_memory);
        store_bind_text(st, 6, node);
        return finish_transition(s, st, id);
}

int store_task_fail(store_t *s, const char *id, int64_t now, int64_t expires_at, const char *message,
                    uint64_t peak_memory) {
        return store_task_fail_leased(s, NULL, id, now, expires_at, message, peak_memory);
}

bool store_shared(store_t *s) {
        return s->ops->shared;
}

int store_task_claim(store_t *s, const char *node, const char *id, int64_t now, int64_t lease_until,
                     store_task_t *ret) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        store_task_t t;
        /* PostgreSQL: a row another node is claiming right now is skipped, not waited for; SQLite has one
         * writer, and the statement is its own transaction */
#define CLAIM_PICK "SELECT id FROM tasks WHERE status = 'queued' AND (CAST(?4 AS TEXT) IS NULL OR id = CAST(?4 AS TEXT)) " \
                   "ORDER BY uploaded_at, id LIMIT 1"
        int r = store_prepare(s, s->ops->shared
                ? "UPDATE tasks SET status = 'processing', started_at = ?2, node = ?1, lease_until = ?3 "
                  "WHERE id = (" CLAIM_PICK " FOR UPDATE SKIP LOCKED) AND status = 'queued' RETURNING " TASK_COLUMNS
                : "UPDATE tasks SET status = 'processing', started_at = ?2, node = ?1, lease_until = ?3 "
                  "WHERE id = (" CLAIM_PICK ") AND status = 'queued' RETURNING " TASK_COLUMNS, &st);
#undef CLAIM_PICK
        if (r < 0)
                return r;
        store_bind_text(st, 1, node);
        store_bind_int64(st, 2, now);
        store_bind_int64(st, 3, lease_until);
        store_bind_text(st, 4, id); /* NULL: any */
        r = store_step_one(st, (store_row_conv) row_to_task, &t);
        if (r < 0)
                return r;
        r = store_step(st); /* to its end: SQLite commits the statement there */
        if (r < 0)
                return r;
        *ret = t;
        return 0;
}

int store_task_renew(store_t *s, const char *id, const char *node, int64_t lease_until) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r = store_prepare(s, "UPDATE tasks SET lease_until = ?3 WHERE id = ?1 AND status = 'processing' "
                           "AND node = ?2", &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, id);
        store_bind_text(st, 2, node);
        store_bind_int64(st, 3, lease_until);
        return finish_transition(s, st, id);
}

int store_task_release(store_t *s, const char *id, const char *node) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r = store_prepare(s, "UPDATE tasks SET status = 'queued', started_at = 0, node = '', lease_until = 0 "
                           "WHERE id = ?1 AND status = 'processing' AND node = ?2", &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, id);
        store_bind_text(st, 2, node);
        return finish_transition(s, st, id);
}

static int task_expire(store_t *s, const char *id, int64_t now) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r = store_prepare(s, "UPDATE tasks SET status = 'expired', expires_at = CASE WHEN expires_at < ?2 THEN expires_at ELSE ?2 END "
                           "WHERE id = ?1 AND status IN ('completed', 'failed')", &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, id);
        store_bind_int64(st, 2, now);
        return finish_transition(s, st, id);
}

int store_task_expire(store_t *s, const char *id, int64_t now) {
        int r;

        if (!s->ops->shared)
                return task_expire(s, id, now);
        /* its bytes with it: an expired task's report is never served again */
        r = store_begin(s);
        if (r < 0)
                return r;
        r = task_expire(s, id, now);
        for (store_blob_kind_t k = 0; r >= 0 && k < _STORE_BLOB_KIND_MAX; k++)
                r = store_blob_delete(s, id, k);
        if (r >= 0)
                r = store_commit(s);
        if (r < 0)
                store_rollback(s);
        return r < 0 ? r : 0;
}

int store_task_delete(store_t *s, const char *id) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r = store_prepare(s, "DELETE FROM tasks WHERE id = ?1", &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, id);
        r = store_step_done(st);
        if (r < 0)
                return r;
        return r == 0 ? -ENOENT : 0;
}


static int foreach_row(store_stmt_t *st, store_task_fn fn, void *userdata) {
        store_task_t t;
        return store_each(st, (store_row_conv) row_to_task, &t, (store_row_fn) fn, userdata);
}

int store_list_history(store_t *s, unsigned limit, int64_t owner, store_task_fn fn, void *userdata) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r = owner == STORE_ANY_OWNER
                        ? store_prepare(s, "SELECT " TASK_COLUMNS " FROM tasks ORDER BY uploaded_at DESC, id LIMIT ?1", &st)
                        : store_prepare(s, "SELECT " TASK_COLUMNS " FROM tasks WHERE owner = ?2 "
                                           "ORDER BY uploaded_at DESC, id LIMIT ?1", &st);
        if (r < 0)
                return r;
        store_bind_int64(st, 1, limit);
        if (owner != STORE_ANY_OWNER)
                store_bind_int64(st, 2, owner);
        return foreach_row(st, fn, userdata);
}

int store_list_status(store_t *s, task_status_t status, store_task_fn fn, void *userdata) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r = store_prepare(s, "SELECT " TASK_COLUMNS " FROM tasks WHERE status = ?1 ORDER BY uploaded_at, id", &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, task_status_to_string(status));
        return foreach_row(st, fn, userdata);
}

int store_list_finished_before(store_t *s, int64_t cutoff, store_task_fn fn, void *userdata) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r = store_prepare(s, "SELECT " TASK_COLUMNS " FROM tasks WHERE status IN ('completed', 'failed') "
                           "AND finished_at <= ?1 ORDER BY finished_at", &st);
        if (r < 0)
                return r;
        store_bind_int64(st, 1, cutoff);
        return foreach_row(st, fn, userdata);
}

int store_count(store_t *s, uint64_t ret_counts[_TASK_STATUS_MAX]) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        uint64_t counts[_TASK_STATUS_MAX] = {};
        int r = store_prepare(s, "SELECT status, count(*) FROM tasks GROUP BY status", &st);
        if (r < 0)
                return r;
        for (;;) {
                r = store_step(st);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                int status = task_status_from_string((const char *) store_column_text(st, 0));
                if (status >= 0)
                        counts[status] = (uint64_t) store_column_int64(st, 1);
        }
        memcpy(ret_counts, counts, sizeof(counts));
        return 0;
}

typedef struct recover_item {
        char id[ID_LEN + 1];
        bool present;
} recover_item_t;

/* Which processing tasks recovery takes: every one (?1 = 0), or those whose lease ended before ?2 and
 * was at least ?3 (0: also those without a lease). The UPDATEs check it again: a lease renewed between
 * the SELECT and the UPDATE keeps its task. */
#define RECOVER_WHERE "status = 'processing' AND (?1 = 0 OR (lease_until < ?2 AND lease_until >= ?3))"

static int recover(store_t *s, int64_t now, bool by_lease, int64_t lease_min,
                   bool (*capture_exists)(const char *id, void *userdata), void *userdata) {
        _cleanup_stmt_ store_stmt_t *sel = NULL;
        _cleanup_free_ recover_item_t *items = NULL;
        size_t n = 0, alloc = 0;
        int r, changed = 0;

        r = store_begin(s);
        if (r < 0)
                return r;

        /* in id order: two nodes recovering at once lock the rows in the same order */
        r = store_prepare(s, "SELECT id FROM tasks WHERE " RECOVER_WHERE " ORDER BY id", &sel);
        if (r < 0)
                goto rollback;
        store_bind_int64(sel, 1, by_lease);
        store_bind_int64(sel, 2, now);
        store_bind_int64(sel, 3, lease_min);
        for (;;) {
                r = store_step(sel);
                if (r < 0)
                        goto rollback;
                if (r == 0)
                        break;
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
                store_copy_text(items[n].id, sizeof(items[n].id), store_column_text(sel, 0));
                items[n].present = capture_exists(items[n].id, userdata);
                n++;
        }

        for (size_t i = 0; i < n; i++) {
                _cleanup_stmt_ store_stmt_t *st = NULL;
                r = items[i].present
                            ? store_prepare(s, "UPDATE tasks SET status = 'queued', started_at = 0, node = '', "
                                               "lease_until = 0 WHERE id = ?4 AND " RECOVER_WHERE, &st)
                            : store_prepare(s, "UPDATE tasks SET status = 'failed', finished_at = ?2, lease_until = 0, "
                                               "error_message = 'capture lost' WHERE id = ?4 AND " RECOVER_WHERE,
                                            &st);
                if (r < 0)
                        goto rollback;
                store_bind_int64(st, 1, by_lease);
                store_bind_int64(st, 2, now);
                store_bind_int64(st, 3, lease_min);
                store_bind_text(st, 4, items[i].id);
                r = store_step_done(st);
                if (r < 0)
                        goto rollback;
                changed += r;
        }
        r = store_commit(s);
        if (r < 0)
                goto rollback;
        return changed;

rollback:
        store_rollback(s);
        return r;
}

int store_recover(store_t *s, int64_t now, bool (*capture_exists)(const char *id, void *userdata),
                  void *userdata) {
        return recover(s, now, s->ops->shared, 0, capture_exists, userdata);
}

int store_recover_expired(store_t *s, int64_t now, bool (*capture_exists)(const char *id, void *userdata),
                          void *userdata) {
        return recover(s, now, true, 1, capture_exists, userdata);
}

/* pg_try_advisory_lock's key: "pcapd" and the lock's purpose (2: the reaper; store-pg-schema.c has 1) */
#define PG_LOCK_REAPER "x'7061706364000002'::bigint"

static int reaper_lock_call(store_t *s, const char *sql) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r;

        if (!s->ops->shared)
                return 1;
        r = store_prepare(s, sql, &st);
        if (r < 0)
                return r;
        r = store_step(st);
        if (r < 0)
                return r;
        return r > 0 && store_column_int64(st, 0) ? 1 : 0;
}

int store_reaper_lock(store_t *s) {
        return reaper_lock_call(s, "SELECT pg_try_advisory_lock(" PG_LOCK_REAPER ")");
}

int store_reaper_unlock(store_t *s) {
        int r = reaper_lock_call(s, "SELECT pg_advisory_unlock(" PG_LOCK_REAPER ")");
        return r < 0 ? r : 0;
}

int store_ping(store_t *s) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r = store_prepare(s, "SELECT count(*) FROM tasks WHERE status = 'queued'", &st);
        if (r < 0)
                return r;
        r = store_step(st);
        return r < 0 ? r : r > 0 ? 0 : -EIO;
}
