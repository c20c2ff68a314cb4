/* What the store's files share: the connection, statement cleanup and the error mapping. Not for users of
 * the store. */
#pragma once

#include <sqlite3.h>

#include "store/store.h"
#include "util/macro.h"

struct store {
        sqlite3 *db;
};

static inline void store_finalizep(sqlite3_stmt **st) {
        if (*st)
                sqlite3_finalize(*st);
}
#define _cleanup_stmt_ _cleanup_(store_finalizep)

/* SQLite's result code as -errno (0 for OK, DONE and ROW). */
int sqlite_to_errno(int rc);
int store_prepare(store_t *s, const char *sql, sqlite3_stmt **ret);
/* Runs a statement that returns no rows; the number of changed rows or -errno. */
int store_step_done(store_t *s, sqlite3_stmt *st);
void store_copy_text(char *dst, size_t size, const unsigned char *src);
/* Runs sql (no rows) or returns -errno. */
int store_exec(store_t *s, const char *sql);
