/* What the store's files share: the back-end operations (SQLite, PostgreSQL) that store.c and
 * store-accounts.c run their SQL through, and the statement helpers. Not for users of the store. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/macro.h"

typedef struct store_stmt store_stmt_t;

/* One back-end. The SQL handed to prepare is written once for both: `?N` parameters, and only what
 * SQLite and PostgreSQL read alike (no min()/LEAST, no boolean sums, explicit CASTs where PostgreSQL must
 * infer a parameter's type). Rows are read by column through column_int64/column_text; the text is
 * valid until the next step or release of that statement. */
typedef struct store_ops {
        const char *name;                                   /* "sqlite", "postgresql" */
        bool shared;                                        /* several nodes: row and advisory locks */
        void (*close)(store_t *s);
        int (*tune)(store_t *s, bool durable, bool checkpoint);
        /* A prepared statement: a cached one when it is not in use, else a new one (nested lists). */
        int (*prepare)(store_t *s, const char *sql, store_stmt_t **ret);
        /* Back to the cache: reset (transaction and locks released), bindings dropped. */
        void (*release)(store_stmt_t *st);
        void (*bind_int64)(store_stmt_t *st, int idx, int64_t v);
        /* v must stay valid until the statement is released */
        void (*bind_text)(store_stmt_t *st, int idx, const char *v);
        /* 1 a row, 0 the end, -errno */
        int (*step)(store_stmt_t *st);
        int64_t (*column_int64)(store_stmt_t *st, int col);
        const char *(*column_text)(store_stmt_t *st, int col); /* "" for NULL */
        /* Bytes (bytea), PostgreSQL only (NULL on SQLite, which keeps captures and reports in files):
         * bound as they are, read back unescaped (valid until the next step or release; NULL with *ret_n 0
         * when out of memory or NULL) */
        void (*bind_blob)(store_stmt_t *st, int idx, const void *v, size_t n);
        const void *(*column_blob)(store_stmt_t *st, int col, size_t *ret_n);
        /* Before the first step: the rows come in binary (no hex to send and unescape); only column_blob
         * may read them then. */
        void (*want_binary)(store_stmt_t *st);
        /* rows changed by the statement's last step */
        int (*changes)(store_stmt_t *st);
        /* a write transaction: SQLite takes the write lock at once (BEGIN IMMEDIATE) */
        int (*begin)(store_t *s);
        int (*commit)(store_t *s);
        void (*rollback)(store_t *s);
} store_ops_t;

/* Each back-end's store and statement start with these. */
struct store {
        const store_ops_t *ops;
};
#define STORE_STMT_COPIES 4
struct store_stmt {
        store_t *store;
        char *copies[STORE_STMT_COPIES];  /* repaired texts bound to it (store_bind_text), freed at release */
};

/* The back-ends' constructors: open (creating if needed), migrate the schema to its current version. */
int store_sqlite_open(const char *path, store_t **ret);
int store_pg_open(const char *url, store_t **ret);
/* -EINVAL when libpq cannot parse url, or when it holds a password: that would be in the process list,
 * the unit file and the logs. */
int store_pg_url_check(const char *url);

static inline int store_prepare(store_t *s, const char *sql, store_stmt_t **ret) {
        return s->ops->prepare(s, sql, ret);
}
void store_release(store_stmt_t *st);
static inline void store_releasep(store_stmt_t **st) {
        if (*st)
                store_release(*st);
}
#define _cleanup_stmt_ _cleanup_(store_releasep)

static inline void store_bind_int64(store_stmt_t *st, int idx, int64_t v) {
        st->store->ops->bind_int64(st, idx, v);
}
/* Text is stored as valid UTF-8 on both back-ends (PostgreSQL refuses anything else): a byte that starts
 * no valid sequence is stored as U+FFFD, which is what the JSON answers showed for it anyway. */
void store_bind_text(store_stmt_t *st, int idx, const char *v);
static inline int store_step(store_stmt_t *st) {
        return st->store->ops->step(st);
}
static inline int64_t store_column_int64(store_stmt_t *st, int col) {
        return st->store->ops->column_int64(st, col);
}
static inline const char *store_column_text(store_stmt_t *st, int col) {
        return st->store->ops->column_text(st, col);
}
static inline void store_bind_blob(store_stmt_t *st, int idx, const void *v, size_t n) {
        st->store->ops->bind_blob(st, idx, v, n);
}
static inline const void *store_column_blob(store_stmt_t *st, int col, size_t *ret_n) {
        return st->store->ops->column_blob(st, col, ret_n);
}
static inline void store_want_binary(store_stmt_t *st) {
        st->store->ops->want_binary(st);
}
static inline int store_begin(store_t *s) {
        return s->ops->begin(s);
}
static inline int store_commit(store_t *s) {
        return s->ops->commit(s);
}
static inline void store_rollback(store_t *s) {
        s->ops->rollback(s);
}

/* Runs a statement that returns no rows; the number of changed rows or -errno. */
int store_step_done(store_stmt_t *st);
/* Steps a statement that returns at most one row into *ret through conv: -ENOENT when none. */
typedef void (*store_row_conv)(store_stmt_t *st, void *item);
int store_step_one(store_stmt_t *st, store_row_conv conv, void *ret);
/* src into dst, cut on a character boundary when it does not fit. */
void store_copy_text(char *dst, size_t size, const char *src);
/* Steps st to its end: each row converted by conv into *item (the caller's buffer for one row) and handed to
 * fn; fn's negative return stops and is returned. 0 at the end, -errno on a store error. */
typedef int (*store_row_fn)(const void *item, void *userdata);
int store_each(store_stmt_t *st, store_row_conv conv, void *item, store_row_fn fn, void *userdata);
