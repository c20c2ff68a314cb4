/* Shared bytes (store.h, store_blob_*): captures and reports in the blobs table of a shared database, a
 * chunk per row, streamed from and to fds so that memory holds at most one chunk. */
#include "store/store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store-private.h"
#include "util/macro.h"

static const char *const kind_names[_STORE_BLOB_KIND_MAX] = {
        [STORE_BLOB_CAPTURE] = "capture",
        [STORE_BLOB_JSON] = "json",
        [STORE_BLOB_HTML] = "html",
};

static int blob_check(store_t *s, store_blob_kind_t kind) {
        if (!s->ops->shared || !s->ops->bind_blob)
                return -EOPNOTSUPP;
        if ((unsigned) kind >= _STORE_BLOB_KIND_MAX)
                return -EINVAL;
        return 0;
}

/* Up to size bytes from fd, fewer only at its end. */
static ssize_t read_full(int fd, uint8_t *buf, size_t size) {
        size_t n = 0;

        while (n < size) {
                ssize_t k = read(fd, buf + n, size - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -EIO;
                if (k == 0)
                        break;
                n += (size_t) k;
        }
        return (ssize_t) n;
}

static int write_full(int fd, const uint8_t *buf, size_t size) {
        while (size > 0) {
                ssize_t k = write(fd, buf, size);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return errno == ENOSPC || errno == EDQUOT ? -errno : -EIO;
                buf += k;
                size -= (size_t) k;
        }
        return 0;
}

/* Inside the caller's transaction: the bytes of fd as chunks 0, 1, … (chunk 0 even when there are no
 * bytes: it says that they are there). */
static int blob_insert(store_t *s, const char *id, store_blob_kind_t kind, int fd) {
        _cleanup_free_ uint8_t *buf = malloc(STORE_BLOB_CHUNK);
        int r;

        if (!buf)
                return -ENOMEM;
        for (int64_t seq = 0;; seq++) {
                _cleanup_stmt_ store_stmt_t *st = NULL;
                ssize_t n = read_full(fd, buf, STORE_BLOB_CHUNK);

                if (n < 0)
                        return (int) n;
                if (n == 0 && seq > 0)
                        return 0;
                r = store_prepare(s, "INSERT INTO blobs (task_id, kind, seq, data) VALUES (?1, ?2, ?3, ?4)", &st);
                if (r < 0)
                        return r;
                store_bind_text(st, 1, id);
                store_bind_text(st, 2, kind_names[kind]);
                store_bind_int64(st, 3, seq);
                store_bind_blob(st, 4, buf, (size_t) n);
                r = store_step_done(st);
                if (r < 0)
                        return r;
                if ((size_t) n < STORE_BLOB_CHUNK)
                        return 0;
        }
}

static int blob_delete(store_t *s, const char *id, store_blob_kind_t kind) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r = store_prepare(s, "DELETE FROM blobs WHERE task_id = ?1 AND kind = ?2", &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, id);
        store_bind_text(st, 2, kind_names[kind]);
        r = store_step_done(st);
        return r < 0 ? r : 0;
}

int store_task_add_capture(store_t *s, const store_task_t *t, int fd) {
        int r = blob_check(s, STORE_BLOB_CAPTURE);
        if (r < 0)
                return r;
        r = store_begin(s);
        if (r < 0)
                return r;
        r = store_task_add(s, t);
        if (r >= 0)
                r = blob_insert(s, t->id, STORE_BLOB_CAPTURE, fd);
        if (r >= 0)
                r = store_commit(s);
        if (r < 0)
                store_rollback(s);
        return r < 0 ? r : 0;
}

/* In a transaction: the task's row locked until the end of it (a lease taken over, an expiry or a delete
 * waits), -ESTALE when node does not hold its lease, -ENOENT when there is no such task. */
static int blob_lock_task(store_t *s, const char *node, const char *id) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r = store_prepare(s, "SELECT status, node FROM tasks WHERE id = ?1 FOR UPDATE", &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, id);
        r = store_step(st);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;
        if (node && (strcmp(store_column_text(st, 0), "processing") != 0 || strcmp(store_column_text(st, 1), node) != 0))
                return -ESTALE;
        return 0;
}

int store_blob_put_fd(store_t *s, const char *node, const char *id, store_blob_kind_t kind, int fd) {
        int r = blob_check(s, kind);
        if (r < 0)
                return r;
        r = store_begin(s);
        if (r < 0)
                return r;
        r = blob_lock_task(s, node, id);
        if (r >= 0)
                r = blob_delete(s, id, kind);
        if (r >= 0)
                r = blob_insert(s, id, kind, fd);
        if (r >= 0)
                r = store_commit(s);
        if (r < 0)
                store_rollback(s);
        return r < 0 ? r : 0;
}

/* The number of chunks of kind (0: none). */
static int blob_count(store_t *s, const char *id, store_blob_kind_t kind, int64_t *ret) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r = store_prepare(s, "SELECT count(*) FROM blobs WHERE task_id = ?1 AND kind = ?2", &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, id);
        store_bind_text(st, 2, kind_names[kind]);
        r = store_step(st);
        if (r < 0)
                return r;
        *ret = r > 0 ? store_column_int64(st, 0) : 0;
        return 0;
}

int store_blob_get_fd(store_t *s, const char *id, store_blob_kind_t kind, int fd) {
        int64_t n;
        int r = blob_check(s, kind);

        if (r < 0)
                return r;
        /* chunk by chunk, a statement each: a transaction would have to stay open for as long as the
         * copy of a large capture takes (idle_in_transaction_session_timeout); a chunk missing on the way
         * means the bytes were deleted meanwhile */
        r = blob_count(s, id, kind, &n);
        if (r < 0)
                return r;
        if (n == 0)
                return -ENOENT;
        for (int64_t seq = 0; seq < n; seq++) {
                _cleanup_stmt_ store_stmt_t *st = NULL;
                const void *data;
                size_t len;

                r = store_prepare(s, "SELECT data FROM blobs WHERE task_id = ?1 AND kind = ?2 AND seq = ?3", &st);
                if (r < 0)
                        return r;
                store_bind_text(st, 1, id);
                store_bind_text(st, 2, kind_names[kind]);
                store_bind_int64(st, 3, seq);
                store_want_binary(st);
                r = store_step(st);
                if (r < 0)
                        return r;
                if (r == 0)
                        return -ENOENT;
                data = store_column_blob(st, 0, &len);
                if (!data)
                        return -ENOMEM;
                r = write_full(fd, data, len);
                if (r < 0)
                        return r;
        }
        return 0;
}

int store_blob_delete(store_t *s, const char *id, store_blob_kind_t kind) {
        int r = blob_check(s, kind);
        return r < 0 ? r : blob_delete(s, id, kind);
}

int store_blob_exists(store_t *s, const char *id, store_blob_kind_t kind) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r = blob_check(s, kind);
        if (r < 0)
                return r;
        r = store_prepare(s, "SELECT 1 FROM blobs WHERE task_id = ?1 AND kind = ?2 AND seq = 0", &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, id);
        store_bind_text(st, 2, kind_names[kind]);
        r = store_step(st);
        return r < 0 ? r : r > 0 ? 1 : 0;
}
