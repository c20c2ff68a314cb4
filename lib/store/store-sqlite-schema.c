/* The SQLite schema and its migrations, versioned by PRAGMA user_version. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store/store-sqlite.h"
#include "util/macro.h"

/* Version 1: the tables as pcapd made them before the schema had a version, so that a database from
 * then (user_version 0, some or all of these already there) and an empty file both arrive here. */
static const char schema_v1[] =
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
        "CREATE INDEX IF NOT EXISTS tasks_by_upload ON tasks (uploaded_at);"
        "CREATE TABLE IF NOT EXISTS users ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
        " password TEXT NOT NULL,"
        " role TEXT NOT NULL CHECK (role IN ('user','admin')),"
        " state TEXT NOT NULL CHECK (state IN ('pending','active','disabled')),"
        " created_at INTEGER NOT NULL,"
        " password_changed_at INTEGER NOT NULL DEFAULT 0,"
        " totp_secret TEXT NOT NULL DEFAULT '',"
        " totp_pending TEXT NOT NULL DEFAULT '',"
        " totp_last_step INTEGER NOT NULL DEFAULT 0"
        ");"
        "CREATE TABLE IF NOT EXISTS recovery_codes ("
        " user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
        " hash TEXT NOT NULL,"
        " PRIMARY KEY (user_id, hash)"
        ");"
        "CREATE TABLE IF NOT EXISTS sessions ("
        " hash TEXT PRIMARY KEY NOT NULL,"
        " user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
        " created_at INTEGER NOT NULL,"
        " last_seen INTEGER NOT NULL,"
        " expires_at INTEGER NOT NULL,"
        " remote TEXT NOT NULL DEFAULT ''"
        ");"
        "CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions (user_id);"
        "CREATE TABLE IF NOT EXISTS tokens ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
        " name TEXT NOT NULL,"
        " hash TEXT NOT NULL UNIQUE,"
        " created_at INTEGER NOT NULL,"
        " expires_at INTEGER NOT NULL DEFAULT 0,"
        " last_used INTEGER NOT NULL DEFAULT 0"
        ");"
        "CREATE INDEX IF NOT EXISTS tokens_by_user ON tokens (user_id);";

/* Adds a column to tasks unless it is there (a tasks table older than the column). */
static int column_ensure(sqlite3 *db, const char *name, const char *ddl) {
        sqlite3_stmt *st = NULL;
        char sql[256];
        int rc = sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info('tasks') WHERE name = ?1", -1, &st, NULL);
        if (rc != SQLITE_OK)
                return store_sqlite_errno(rc) ?: -EIO;
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc == SQLITE_ROW)
                return 0;
        if (rc != SQLITE_DONE)
                return store_sqlite_errno(rc) ?: -EIO;
        snprintf(sql, sizeof(sql), "ALTER TABLE tasks ADD COLUMN %s", ddl); /* ddl: a constant below */
        return store_sqlite_exec(db, sql);
}

static int migrate_v1(sqlite3 *db) {
        int r = store_sqlite_exec(db, schema_v1);
        if (r >= 0)
                r = column_ensure(db, "peak_memory", "peak_memory INTEGER NOT NULL DEFAULT 0");
        if (r >= 0)
                r = column_ensure(db, "owner", "owner INTEGER NOT NULL DEFAULT 0");
        if (r >= 0)
                r = store_sqlite_exec(db, "CREATE INDEX IF NOT EXISTS tasks_by_owner ON tasks (owner, uploaded_at);");
        return r;
}

/* Version 2: the shared queue's lease (store.h, store_task_claim): which node runs a task and until when
 * its claim holds; the index finds the oldest queued task and the expired leases. */
static int migrate_v2(sqlite3 *db) {
        int r = column_ensure(db, "node", "node TEXT NOT NULL DEFAULT ''");
        if (r >= 0)
                r = column_ensure(db, "lease_until", "lease_until INTEGER NOT NULL DEFAULT 0");
        if (r >= 0)
                r = store_sqlite_exec(db, "CREATE INDEX IF NOT EXISTS tasks_by_lease ON tasks (status, lease_until);");
        return r;
}

/* Migration n takes the schema from version n - 1 to n. */
static int (*const migrations[STORE_SQLITE_SCHEMA_VERSION + 1])(sqlite3 *db) = {
        [1] = migrate_v1,
        [2] = migrate_v2,
};

static int user_version(sqlite3 *db, int *ret) {
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
        if (rc != SQLITE_OK)
                return store_sqlite_errno(rc) ?: -EIO;
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                *ret = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        return rc == SQLITE_ROW ? 0 : (store_sqlite_errno(rc) ?: -EIO);
}

int store_sqlite_schema_migrate(sqlite3 *db) {
        char sql[64];
        int version = 0, r;

        r = user_version(db, &version); /* without the lock: the common case, nothing to do */
        if (r < 0)
                return r;
        if (version == STORE_SQLITE_SCHEMA_VERSION)
                return 0;
        r = store_sqlite_exec(db, "BEGIN IMMEDIATE");
        if (r < 0)
                return r;
        r = user_version(db, &version); /* again under the lock: another process may have done it */
        if (r >= 0 && version > STORE_SQLITE_SCHEMA_VERSION)
                r = -EPROTONOSUPPORT;
        for (int v = version + 1; r >= 0 && v <= STORE_SQLITE_SCHEMA_VERSION; v++)
                r = migrations[v](db);
        if (r >= 0) {
                snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", STORE_SQLITE_SCHEMA_VERSION);
                r = store_sqlite_exec(db, sql);
        }
        if (r >= 0)
                r = store_sqlite_exec(db, "COMMIT");
        if (r < 0)
                (void) store_sqlite_exec(db, "ROLLBACK");
        return r;
}
