/* The task store shared by pcapd-web, pcapd-reaper and pcapctl: status transitions and queries, on SQLite
 * (one machine, the default) or PostgreSQL (several nodes sharing one database), behind one API. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "util/id.h"

#define STORE_FILENAME_MAX 256
#define STORE_TEXT_MAX 256
#define STORE_NODE_MAX (NODE_ID_MAX + 1) /* a node id and its NUL (util/id.h) */

typedef enum task_status {
        TASK_QUEUED,
        TASK_PROCESSING,
        TASK_COMPLETED,
        TASK_FAILED,
        TASK_EXPIRED,
        _TASK_STATUS_MAX,
} task_status_t;

typedef struct store store_t;

/* One row of the tasks table. Times are milliseconds since the epoch, 0 when not set. */
typedef struct store_task {
        char id[ID_LEN + 1];
        char filename[STORE_FILENAME_MAX];
        task_status_t status;
        uint64_t file_size;
        int64_t uploaded_at;
        int64_t started_at;
        int64_t finished_at;
        int64_t expires_at;
        uint64_t packets;
        int health_score;            /* -1 when unknown */
        unsigned findings;
        bool partial;
        char error_message[STORE_TEXT_MAX];
        uint64_t peak_memory;        /* the analysis's peak resident memory, bytes; 0 unknown */
        int64_t owner;               /* the account that uploaded it (store-accounts.h); 0 none */
        char node[STORE_NODE_MAX];   /* the node that claimed it last ("" never claimed) */
        int64_t lease_until;         /* while processing: the claim holds until then; 0 no lease */
} store_task_t;

#define STORE_ANY_OWNER INT64_C(-1)

const char *task_status_to_string(task_status_t s);
int task_status_from_string(const char *s); /* the status or -EINVAL */

typedef enum store_kind {
        STORE_SQLITE,
        STORE_POSTGRESQL,
} store_kind_t;

/* What a database argument names: "sqlite:PATH" or a plain PATH (SQLite), "postgresql://…" or
 * "postgres://…" (PostgreSQL). -EINVAL when empty, or a URL that libpq cannot parse or that holds a
 * password; -EPROTONOSUPPORT for another scheme. */
int store_database_kind(const char *database);

/* Opens the database and brings its schema to the current version (creating it if needed), under a lock
 * so that several processes or nodes starting at once migrate it once; -EPROTONOSUPPORT when the database
 * was migrated by a newer pcapd.
 * SQLite: the file at PATH, WAL, busy_timeout. PostgreSQL: a libpq URL; what it leaves out comes from the
 * PG* environment variables, the password from $CREDENTIALS_DIRECTORY/pcapd-db-password when that file
 * exists, else PGPASSWORD, a passfile= or ~/.pgpass, never from the URL (-EINVAL: it would be seen in
 * the process list); -EACCES when the server refused the credentials, -ECONNREFUSED when it could not be
 * reached. connect_timeout (10 s), statement_timeout (30 s) and lock_timeout (10 s) are set unless the
 * URL sets them, so no call blocks forever.
 * On PostgreSQL every call below may also return -ENOTCONN when the server cannot be reached (the
 * connection was lost, or could not be made again), -EBUSY when it waited lock_timeout for another
 * session's lock, -ETIMEDOUT when statement_timeout ended it. The next call reconnects by itself, unless
 * a transaction was open: that one fails as a whole first. A call that failed with -ENOTCONN may or may
 * not have been committed by the server; the transitions below are guarded, so retrying is safe. */
int store_open(const char *database, store_t **ret);
store_t *store_close(store_t *s);
/* "sqlite" or "postgresql". */
const char *store_backend(store_t *s);

/* durable: every commit is fsync'd (synchronous=FULL) or only ordered (NORMAL: survives a crash of the
 * process, not of the machine; PostgreSQL: synchronous_commit on or off, the same promise). checkpoint: whether this connection checkpoints the WAL by itself. The
 * frontend's event loop uses (false, false) so a commit never waits for the disk there; its writer thread
 * (the upload commits that a client is told about) uses (true, true). */
int store_tune(store_t *s, bool durable, bool checkpoint);

/* Inserts a new task as `queued` (t->status is ignored). -EEXIST when the id exists. */
int store_task_add(store_t *s, const store_task_t *t);
/* -ENOENT when there is no such task. */
int store_task_get(store_t *s, const char *id, store_task_t *ret);
/* Transitions; each is one transaction and returns -ESTALE when the task is not in the expected status
 * (queued → processing; processing → completed|failed; completed|failed → expired), -ENOENT if absent. */
int store_task_start(store_t *s, const char *id, int64_t now);
int store_task_complete(store_t *s, const char *id, int64_t now, int64_t expires_at, uint64_t packets,
                        int health_score, unsigned findings, bool partial, uint64_t peak_memory);
/* queued or processing → failed. */
int store_task_fail(store_t *s, const char *id, int64_t now, int64_t expires_at, const char *message,
                    uint64_t peak_memory);
/* completed|failed → expired; on a shared database its bytes (store_blob_*) go in the same transaction. */
int store_task_expire(store_t *s, const char *id, int64_t now);
/* The row and, on a shared database, its bytes. */
int store_task_delete(store_t *s, const char *id);

/* The shared queue. A node with a free worker claims the oldest queued task (or the task id, when not
 * NULL, if it is still queued): it becomes `processing`, its node and lease_until set, in one statement (PostgreSQL: the row is picked with FOR UPDATE SKIP
 * LOCKED, so nodes claiming at once each get a different task and none waits for another; SQLite: one
 * writer). The full row into *ret; -ENOENT when nothing is queued. */
int store_task_claim(store_t *s, const char *node, const char *id, int64_t now, int64_t lease_until,
                     store_task_t *ret);
/* The lease holder extends its lease while the analysis runs. -ESTALE when node holds it no more (it
 * expired and the task was queued again or claimed by another node), -ENOENT if absent. */
int store_task_renew(store_t *s, const char *id, const char *node, int64_t lease_until);
/* The lease holder gives the task back (it stops before the analysis ends): queued again at once, for
 * any node to claim, instead of after its lease. -ESTALE when node does not hold it, -ENOENT if absent. */
int store_task_release(store_t *s, const char *id, const char *node);
/* store_task_complete and store_task_fail, accepted only from the lease holder node (NULL: from anyone,
 * what a single node does): -ESTALE for a node whose lease was taken over, so a task that ran twice
 * is recorded once. Both end the lease (lease_until 0; node stays: who ran it). */
int store_task_complete_leased(store_t *s, const char *node, const char *id, int64_t now, int64_t expires_at,
                               uint64_t packets, int health_score, unsigned findings, bool partial,
                               uint64_t peak_memory);
int store_task_fail_leased(store_t *s, const char *node, const char *id, int64_t now, int64_t expires_at,
                           const char *message, uint64_t peak_memory);
/* Whether this back-end is shared by several nodes (PostgreSQL): recovery by lease, a global queue. */
bool store_shared(store_t *s);

/* Shared bytes: on a shared database (PostgreSQL) a task's capture and reports are kept in the database
 * too, in chunks of STORE_BLOB_CHUNK (table blobs), so that any node can run any capture and serve any
 * report while each node keeps its own state directory. Memory stays bounded: the bytes go from and to an
 * fd a chunk at a time. They go with their task (deleted with its row; store_task_expire drops them).
 * SQLite (one node) keeps them only as files: every call below returns -EOPNOTSUPP there. */
typedef enum store_blob_kind {
        STORE_BLOB_CAPTURE,
        STORE_BLOB_JSON,
        STORE_BLOB_HTML,
        _STORE_BLOB_KIND_MAX,
} store_blob_kind_t;

#define STORE_BLOB_CHUNK (1u << 20)

/* store_task_add, and the capture read from fd (its current offset to its end) in the same transaction:
 * once it returns 0 the bytes are in the database with the `queued` row; on failure neither is. */
int store_task_add_capture(store_t *s, const store_task_t *t, int fd);
/* The bytes of kind read from fd (its current offset to its end) replace the task's (one transaction).
 * With node, only while node holds the task's lease (processing, claimed by it): -ESTALE otherwise.
 * -ENOENT when there is no such task; -EIO when fd cannot be read (with read()'s errno there is no
 * telling the store's from the file's, so any read error is this). */
int store_blob_put_fd(store_t *s, const char *node, const char *id, store_blob_kind_t kind, int fd);
/* Writes the bytes of kind to fd (at its current offset). -ENOENT when there are none (or they were
 * deleted meanwhile: what was written is then incomplete), -EIO when fd cannot be written. */
int store_blob_get_fd(store_t *s, const char *id, store_blob_kind_t kind, int fd);
/* 0, also when there were none. */
int store_blob_delete(store_t *s, const char *id, store_blob_kind_t kind);
/* 1 when the bytes of kind are there (even 0 of them), 0 when not, -errno. */
int store_blob_exists(store_t *s, const char *id, store_blob_kind_t kind);

/* Callbacks return 0 to go on, negative to stop (that value is returned). */
typedef int (*store_task_fn)(const store_task_t *t, void *userdata);
/* Newest first, at most limit rows; only owner's, or everyone's with STORE_ANY_OWNER. */
int store_list_history(store_t *s, unsigned limit, int64_t owner, store_task_fn fn, void *userdata);
/* Tasks with status st, oldest upload first. */
int store_list_status(store_t *s, task_status_t st, store_task_fn fn, void *userdata);
/* completed or failed tasks that finished at or before cutoff. */
int store_list_finished_before(store_t *s, int64_t cutoff, store_task_fn fn, void *userdata);
/* ret_counts[status] = number of tasks. */
int store_count(store_t *s, uint64_t ret_counts[_TASK_STATUS_MAX]);

/* After a crash or restart: `processing` tasks go back to `queued` when capture_exists(id) says their
 * capture is still there, else become `failed` ("capture lost"). One transaction. Returns the number of
 * tasks changed. SQLite (one node): every processing task is the restarting node's own. PostgreSQL
 * (shared): only those whose lease expired before now (or that never had one: rows from before leases),
 * since the others are running on live nodes; several nodes may run it at once (guarded UPDATEs, rows
 * taken in id order). */
int store_recover(store_t *s, int64_t now, bool (*capture_exists)(const char *id, void *userdata),
                  void *userdata);
/* The periodic half, on both back-ends: only tasks whose lease (lease_until > 0) expired before now. */
int store_recover_expired(store_t *s, int64_t now, bool (*capture_exists)(const char *id, void *userdata),
                          void *userdata);
/* The reaper's single runner: 1 when this connection now holds the reaper lock, 0 when another holds it,
 * -errno. PostgreSQL: a session advisory lock (gone with the session if its process dies); SQLite: one
 * machine, always 1. store_reaper_unlock gives it back. */
int store_reaper_lock(store_t *s);
int store_reaper_unlock(store_t *s);
/* Cheap liveness check for /api/health: 0, or -ENOTCONN when the database server is unreachable (and
 * reconnecting failed). */
int store_ping(store_t *s);

int64_t store_now_ms(void);
