/* The PostgreSQL back-end of the store (libpq): the store's SQL rewritten once to $N parameters and
 * prepared once per connection, parameters always sent apart from the SQL (text format), whole results
 * read into memory so that a row callback may query again on the same connection. A lost connection
 * fails the call with -ENOTCONN; the next call outside a transaction reconnects (PQresetStart, without
 * blocking for long: conn_reset). */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store-pg.h"
#include "store/store-private.h"

#define PG_PARAMS_MAX 16

typedef struct pg_stmt {
        store_stmt_t base;
        char *sql;                   /* as the store wrote it (?N), the cache's key */
        char *pg_sql;                /* with $N */
        char name[24];               /* of the server's prepared statement */
        int n_params;
        unsigned prepared_on;        /* the connection generation it was prepared on; 0 never */
        bool in_use;
        const char *values[PG_PARAMS_MAX];
        int lengths[PG_PARAMS_MAX], formats[PG_PARAMS_MAX]; /* binary parameters (bytea): 1 */
        unsigned char *blob;         /* the last column_blob, unescaped (PQfreemem) */
        int result_format;           /* 0 text, 1 binary (want_binary) */
        char ints[PG_PARAMS_MAX][24];
        PGresult *res;               /* NULL until the first step */
        int row, n_rows;
} pg_stmt_t;

typedef struct pg_store {
        store_t base;
        PGconn *conn;
        unsigned generation;         /* counts (re)connections: prepared statements die with theirs */
        bool in_transaction;         /* never reconnect inside one: its first half would be lost */
        bool durable;                /* store_tune's synchronous_commit, set again on reconnection */
        int64_t reset_started;       /* a reconnection in progress since then (CLOCK_MONOTONIC ms); 0 none */
        PostgresPollingStatusType reset_status;
        pg_stmt_t **stmts;
        size_t n_stmts, n_alloc;
} pg_store_t;

#define PG(s) ((pg_store_t *) (s))
#define PGST(st) ((pg_stmt_t *) (st))

int store_pg_errno(PGconn *conn, const PGresult *res) {
        const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

        if (PQstatus(conn) != CONNECTION_OK)
                return -ENOTCONN;
        if (!state)
                return res ? -EIO : -ENOMEM;
        if (strcmp(state, "23514") == 0 || strncmp(state, "22", 2) == 0)
                return -EINVAL;      /* a check constraint, a value out of range */
        if (strncmp(state, "23", 2) == 0)
                return -EEXIST;      /* unique, foreign key, not null: SQLite's SQLITE_CONSTRAINT */
        if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0)
                return -ENOTCONN;    /* connection exception, server shutting down */
        if (strcmp(state, "57014") == 0)
                return -ETIMEDOUT;   /* statement_timeout */
        if (strncmp(state, "40", 2) == 0 || strcmp(state, "55P03") == 0)
                return -EBUSY;       /* serialization failure, deadlock, lock_timeout */
        if (strcmp(state, "53100") == 0)
                return -ENOSPC;
        if (strcmp(state, "53200") == 0)
                return -ENOMEM;
        if (strcmp(state, "42501") == 0 || strncmp(state, "28", 2) == 0)
                return -EACCES;
        return -EIO;
}

int store_pg_exec(PGconn *conn, const char *sql) {
        PGresult *res = PQexec(conn, sql);
        int r = 0;
        ExecStatusType st = PQresultStatus(res);

        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
                r = store_pg_errno(conn, res);
        PQclear(res);
        return r;
}

static int session_setup(pg_store_t *p) {
        return store_pg_exec(p->conn, p->durable ? "SET synchronous_commit = on" : "SET synchronous_commit = off");
}

/* Whether an idle connection is still there. One the server closed while it was idle (a restart, an
 * administrator's kill) says OK until it is used; the server's last words (FATAL, then the end of the
 * stream) wait on its socket, so whatever is pending is read (libpq's socket never blocks) and the
 * statement goes to a new connection instead of failing on the dead one. */
static bool conn_idle_alive(PGconn *conn) {
        struct pollfd pfd = { .fd = PQsocket(conn), .events = POLLIN };

        for (unsigned i = 0; i < 4 && PQstatus(conn) == CONNECTION_OK; i++) {
                if (poll(&pfd, 1, 0) <= 0)
                        break; /* nothing pending */
                if (!PQconsumeInput(conn))
                        break;
        }
        return PQstatus(conn) == CONNECTION_OK;
}

static int64_t mono_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reconnection without blocking the caller for long: pcapd-web's event loop makes its calls itself, and a
 * server that does not answer at all (a network partition, a dead host) would hold a blocking connect for
 * connect_timeout at each call. The call that starts an attempt waits at most PG_RESET_WAIT_MS for it (a
 * local server that restarted answers within a few ms: that call succeeds); a call that finds one in
 * progress only looks whether it got further, and fails at once (-ENOTCONN) while it has not; an attempt
 * older than PG_RESET_GIVE_UP_MS (connect_timeout) starts again. */
#define PG_RESET_WAIT_MS 250
#define PG_RESET_GIVE_UP_MS 10000

static int conn_reset(pg_store_t *p) {
        int64_t now = mono_ms(), deadline = now;

        if (p->reset_started && now - p->reset_started > PG_RESET_GIVE_UP_MS)
                p->reset_started = 0;
        if (!p->reset_started) {
                if (!PQresetStart(p->conn))
                        return -ENOTCONN;
                p->reset_started = now;
                p->reset_status = PGRES_POLLING_WRITING; /* libpq: wait until writable first */
                deadline = now + PG_RESET_WAIT_MS;
        }
        while (p->reset_status != PGRES_POLLING_OK) {
                struct pollfd pfd = { .fd = PQsocket(p->conn),
                                      .events = p->reset_status == PGRES_POLLING_READING ? POLLIN : POLLOUT };
                int64_t left = deadline - mono_ms();
                int k;

                if (p->reset_status == PGRES_POLLING_FAILED || pfd.fd < 0) {
                        p->reset_started = 0;
                        return -ENOTCONN;
                }
                k = poll(&pfd, 1, left > 0 ? (int) left : 0);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return -ENOTCONN; /* not yet: a later call goes on with it */
                p->reset_status = PQresetPoll(p->conn);
        }
        p->reset_started = 0;
        if (PQstatus(p->conn) != CONNECTION_OK)
                return -ENOTCONN;
        p->generation++;
        int r = session_setup(p);
        return r == -ENOTCONN || r >= 0 ? r : -ENOTCONN;
}

/* A connection to run a statement on: the one we have, or a new one when it was lost (not inside a
 * transaction: the caller's rollback ends that first). */
static int conn_ensure(pg_store_t *p) {
        if (!p->reset_started && PQstatus(p->conn) == CONNECTION_OK &&
            (p->in_transaction || conn_idle_alive(p->conn)))
                return 0;
        if (p->in_transaction)
                return -ENOTCONN;
        return conn_reset(p);
}

static void blob_free(pg_stmt_t *q) {
        if (q->blob)
                PQfreemem(q->blob);
        q->blob = NULL;
}

static void stmt_free(pg_stmt_t *st) {
        if (!st)
                return;
        PQclear(st->res);
        blob_free(st);
        free(st->sql);
        free(st->pg_sql);
        free(st);
}

static void pg_close(store_t *s) {
        pg_store_t *p = PG(s);
        for (size_t i = 0; i < p->n_stmts; i++)
                stmt_free(p->stmts[i]);
        free(p->stmts);
        PQfinish(p->conn);
        free(p);
}

static int pg_tune(store_t *s, bool durable, bool checkpoint) {
        pg_store_t *p = PG(s);
        int r = conn_ensure(p);
        if (r < 0)
                return r;
        p->durable = durable;
        return session_setup(p);
}

/* ?N → $N, outside quoted literals; the highest N into *ret_n. */
static char *sql_to_pg(const char *sql, int *ret_n) {
        char *out = strdup(sql), *q;
        bool quoted = false;
        int n = 0;

        if (!out)
                return NULL;
        for (q = out; *q; q++) {
                if (*q == '\'')
                        quoted = !quoted;
                else if (!quoted && *q == '?' && q[1] >= '1' && q[1] <= '9') {
                        *q = '$';
                        int v = (int) strtol(q + 1, NULL, 10);
                        n = v > n ? v : n;
                }
        }
        *ret_n = n;
        return out;
}

static int pg_prepare(store_t *s, const char *sql, store_stmt_t **ret) {
        pg_store_t *p = PG(s);
        pg_stmt_t *n;

        for (size_t i = 0; i < p->n_stmts; i++)
                if (!p->stmts[i]->in_use && strcmp(p->stmts[i]->sql, sql) == 0) {
                        p->stmts[i]->in_use = true;
                        *ret = &p->stmts[i]->base;
                        return 0;
                }
        if (p->n_stmts == p->n_alloc) {
                size_t na = p->n_alloc ? p->n_alloc * 2 : 32;
                pg_stmt_t **a = realloc(p->stmts, na * sizeof(*a));
                if (!a)
                        return -ENOMEM;
                p->stmts = a;
                p->n_alloc = na;
        }
        n = calloc(1, sizeof(*n));
        if (!n)
                return -ENOMEM;
        n->base.store = s;
        n->sql = strdup(sql);
        n->pg_sql = sql_to_pg(sql, &n->n_params);
        if (!n->sql || !n->pg_sql || n->n_params > PG_PARAMS_MAX) {
                int r = n->n_params > PG_PARAMS_MAX ? -E2BIG : -ENOMEM;
                stmt_free(n);
                return r;
        }
        snprintf(n->name, sizeof(n->name), "pcapd_%zu", p->n_stmts);
        n->in_use = true;
        p->stmts[p->n_stmts++] = n;
        *ret = &n->base;
        return 0;
}

static void pg_release(store_stmt_t *st) {
        pg_stmt_t *q = PGST(st);
        PQclear(q->res);
        q->res = NULL;
        q->row = q->n_rows = 0;
        blob_free(q);
        memset(q->values, 0, sizeof(q->values));
        memset(q->lengths, 0, sizeof(q->lengths));
        memset(q->formats, 0, sizeof(q->formats));
        q->result_format = 0;
        q->in_use = false;
}

static void pg_bind_int64(store_stmt_t *st, int idx, int64_t v) {
        pg_stmt_t *q = PGST(st);
        if (idx < 1 || idx > q->n_params)
                return;
        snprintf(q->ints[idx - 1], sizeof(q->ints[idx - 1]), "%" PRId64, v);
        q->values[idx - 1] = q->ints[idx - 1];
}

static void pg_bind_text(store_stmt_t *st, int idx, const char *v) {
        pg_stmt_t *q = PGST(st);
        if (idx < 1 || idx > q->n_params)
                return;
        q->values[idx - 1] = v;
}

static void pg_bind_blob(store_stmt_t *st, int idx, const void *v, size_t n) {
        pg_stmt_t *q = PGST(st);
        if (idx < 1 || idx > q->n_params || n > INT32_MAX)
                return;
        q->values[idx - 1] = n ? v : ""; /* not NULL: an empty value, not SQL NULL */
        q->lengths[idx - 1] = (int) n;
        q->formats[idx - 1] = 1;
}

/* Sends the statement with its parameters (preparing it first on this connection) and keeps the result. */
static int stmt_execute(pg_store_t *p, pg_stmt_t *q) {
        PGresult *res;
        ExecStatusType status;
        int r = conn_ensure(p);

        if (r < 0)
                return r;
        if (q->prepared_on != p->generation) {
                res = PQprepare(p->conn, q->name, q->pg_sql, q->n_params, NULL);
                r = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : store_pg_errno(p->conn, res);
                PQclear(res);
                if (r < 0)
                        return r;
                q->prepared_on = p->generation;
        }
        res = PQexecPrepared(p->conn, q->name, q->n_params, q->values, q->lengths, q->formats, q->result_format);
        status = PQresultStatus(res);
        if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
                r = store_pg_errno(p->conn, res);
                PQclear(res);
                return r;
        }
        q->res = res;
        q->n_rows = PQntuples(res);
        q->row = -1;
        return 0;
}

static int pg_step(store_stmt_t *st) {
        pg_stmt_t *q = PGST(st);
        if (!q->res) {
                int r = stmt_execute(PG(st->store), q);
                if (r < 0)
                        return r;
        }
        if (q->row + 1 >= q->n_rows) {
                q->row = q->n_rows;
                return 0;
        }
        q->row++;
        blob_free(q);
        return 1;
}

static const char *pg_column_text(store_stmt_t *st, int col) {
        pg_stmt_t *q = PGST(st);
        if (!q->res || q->row < 0 || q->row >= q->n_rows || col >= PQnfields(q->res) ||
            PQgetisnull(q->res, q->row, col))
                return "";
        return PQgetvalue(q->res, q->row, col);
}

static void pg_want_binary(store_stmt_t *st) {
        PGST(st)->result_format = 1;
}

/* Binary results: the bytes as they are. Text results: bytea comes as hex (\\x…), unescaped here, at most
 * twice a chunk in memory. */
static const void *pg_column_blob(store_stmt_t *st, int col, size_t *ret_n) {
        pg_stmt_t *q = PGST(st);
        const char *v;

        if (q->result_format == 1) {
                *ret_n = 0;
                if (!q->res || q->row < 0 || q->row >= q->n_rows || col >= PQnfields(q->res) ||
                    PQgetisnull(q->res, q->row, col))
                        return "";
                *ret_n = (size_t) PQgetlength(q->res, q->row, col);
                return PQgetvalue(q->res, q->row, col);
        }
        v = pg_column_text(st, col);
        blob_free(q);
        *ret_n = 0;
        q->blob = PQunescapeBytea((const unsigned char *) v, ret_n);
        if (!q->blob)
                *ret_n = 0;
        return q->blob;
}

static int64_t pg_column_int64(store_stmt_t *st, int col) {
        const char *v = pg_column_text(st, col);
        if (v[0] == 't' && !v[1]) /* boolean */
                return 1;
        return strtoll(v, NULL, 10);
}

static int pg_changes(store_stmt_t *st) {
        pg_stmt_t *q = PGST(st);
        const char *n = q->res ? PQcmdTuples(q->res) : "";
        return *n ? atoi(n) : 0;
}

static int pg_begin(store_t *s) {
        pg_store_t *p = PG(s);
        int r = conn_ensure(p);
        if (r < 0)
                return r;
        r = store_pg_exec(p->conn, "BEGIN");
        if (r >= 0)
                p->in_transaction = true;
        return r;
}

static int pg_commit(store_t *s) {
        pg_store_t *p = PG(s);
        PGresult *res;
        int r;

        if (PQstatus(p->conn) != CONNECTION_OK)
                return -ENOTCONN;
        res = PQexec(p->conn, "COMMIT");
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
                r = store_pg_errno(p->conn, res);
        else /* a failed transaction answers COMMIT with ROLLBACK */
                r = strcmp(PQcmdStatus(res), "COMMIT") == 0 ? 0 : -EIO;
        PQclear(res);
        if (r >= 0)
                p->in_transaction = false;
        return r;
}

static void pg_rollback(store_t *s) {
        pg_store_t *p = PG(s);
        if (PQstatus(p->conn) == CONNECTION_OK)
                (void) store_pg_exec(p->conn, "ROLLBACK");
        p->in_transaction = false;
}

static const store_ops_t pg_ops = {
        .name = "postgresql",
        .shared = true,
        .close = pg_close,
        .tune = pg_tune,
        .prepare = pg_prepare,
        .release = pg_release,
        .bind_int64 = pg_bind_int64,
        .bind_text = pg_bind_text,
        .step = pg_step,
        .column_int64 = pg_column_int64,
        .column_text = pg_column_text,
        .bind_blob = pg_bind_blob,
        .column_blob = pg_column_blob,
        .want_binary = pg_want_binary,
        .changes = pg_changes,
        .begin = pg_begin,
        .commit = pg_commit,
        .rollback = pg_rollback,
};

int store_pg_open(const char *url, store_t **ret) {
        pg_store_t *p = calloc(1, sizeof(*p));
        int r;

        if (!p)
                return -ENOMEM;
        p->base.ops = &pg_ops;
        p->generation = 1;
        p->durable = true;
        r = store_pg_connect(url, &p->conn);
        if (r >= 0)
                r = session_setup(p);
        if (r >= 0)
                r = store_pg_schema_migrate(p->conn);
        if (r < 0) {
                pg_close(&p->base);
                return r;
        }
        *ret = &p->base;
        return 0;
}
