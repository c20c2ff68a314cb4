/* What the SQLite back-end's two files share (store-sqlite.c, store-sqlite-schema.c). */
#pragma once

#include <sqlite3.h>

/* The schema version this code writes and reads (PRAGMA user_version). */
#define STORE_SQLITE_SCHEMA_VERSION 2

/* SQLite's result code as -errno (0 for OK, DONE and ROW). */
int store_sqlite_errno(int rc);
/* Runs sql (no rows) or returns -errno. */
int store_sqlite_exec(sqlite3 *db, const char *sql);
/* Brings the database to STORE_SQLITE_SCHEMA_VERSION in one write transaction (BEGIN IMMEDIATE: a second process
 * starting at once waits, then finds it done). -EPROTONOSUPPORT when the file is newer than this code. */
int store_sqlite_schema_migrate(sqlite3 *db);
