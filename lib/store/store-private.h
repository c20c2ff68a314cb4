/* What the store's files share: the connection, statement cleanup and the error mapping. Not for users of
 * the store. */
#pragma once

#include <sqlite3.h>

#include "store/store.h"
#include "util/macro.h"

/* Statements are prepared once per connection and kept (store_prepare): parsing the SQL was most of the
 * cost of an authenticated request. */
struct store {
        sqlite3 *db;
        sqlite3_stmt **stmts;
        size_t n_stmts, n_alloc;
};

/* A statement from store_prepare() goes back to the cache when its holder leaves scope: reset (its
 * transaction and locks released) and its bindings cleared (no pointer into the caller's memory kept). */
static inline void store_releasep(sqlite3_stmt **st) {
        if (*st) {
                sqlite3_reset(*st);
                sqlite3_clear_bindings(*st);
        }
}
#define _cleanup_stmt_ _cleanup_(store_releasep)

/* SQLite's result code as -errno (0 for OK, DONE and ROW). */
int sqlite_to_errno(int rc);
/* A prepared statement for sql: the connection's cached one when it is not in use (not stepping), else a new
 * one, which joins the cache. Declare the receiving variable _cleanup_stmt_; the store finalizes them all at
 * store_close(). */
int store_prepare(store_t *s, const char *sql, sqlite3_stmt **ret);
/* Runs a statement that returns no rows; the number of changed rows or -errno. */
int store_step_done(store_t *s, sqlite3_stmt *st);
void store_copy_text(char *dst, size_t size, const unsigned char *src);
/* Steps st to its end: each row converted by conv into *item (the caller's buffer for one row) and handed to
 * fn; fn's negative return stops and is returned. 0 at the end, -errno on a store error. */
typedef void (*store_row_conv)(sqlite3_stmt *st, void *item);
typedef int (*store_row_fn)(const void *item, void *userdata);
int store_each(sqlite3_stmt *st, store_row_conv conv, void *item, store_row_fn fn, void *userdata);
/* Runs sql (no rows) or returns -errno. */
int store_exec(store_t *s, const char *sql);
