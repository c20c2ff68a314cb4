/* What the PostgreSQL back-end's files share (store-pg.c, store-pg-connect.c, store-pg-schema.c). */
#pragma once

#include <libpq-fe.h>
#include <stddef.h>

/* The schema version this code writes and reads (the highest row of pcapd_schema). */
#define STORE_PG_SCHEMA_VERSION 3

/* A PGresult's failure as -errno: -ENOTCONN when the connection is gone, else by SQLSTATE (unique or
 * foreign key → -EEXIST, like SQLite's constraint errors; statement_timeout → -ETIMEDOUT; lock or
 * serialization → -EBUSY; …), -EIO for the rest. */
int store_pg_errno(PGconn *conn, const PGresult *res);
/* Runs sql (simple protocol, no parameters, no rows wanted) or returns -errno. */
int store_pg_exec(PGconn *conn, const char *sql);

/* Connects to the database a postgresql:// URL names (store.h, store_open: defaults, timeouts,
 * credential). -EINVAL for a URL with a password or one libpq cannot parse, -EACCES when the server
 * refused the credentials, -ECONNREFUSED when it could not be reached. */
int store_pg_connect(const char *url, PGconn **ret);

/* Brings the database to STORE_PG_SCHEMA_VERSION in one transaction under an advisory lock: of several
 * processes starting at once, one migrates and the others wait and find it done. -EPROTONOSUPPORT when
 * the database is newer than this code. */
int store_pg_schema_migrate(PGconn *conn);
