/* Connecting to PostgreSQL: the URL, libpq's PG* environment for what it leaves out, the password from a
 * systemd credential, and the timeouts that keep every call bounded. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store-pg.h"
#include "store/store-private.h"
#include "util/macro.h"

#define PG_CREDENTIAL_NAME "pcapd-db-password"
#define PG_PASSWORD_MAX 1024

int store_pg_url_check(const char *url) {
        char *err = NULL;
        PQconninfoOption *opts = PQconninfoParse(url, &err);
        int r = 0;

        if (!opts) {
                PQfreemem(err);
                return -EINVAL;
        }
        for (PQconninfoOption *o = opts; o->keyword; o++)
                if (strcmp(o->keyword, "password") == 0 && o->val && *o->val)
                        r = -EINVAL;
        PQconninfoFree(opts);
        return r;
}

/* $CREDENTIALS_DIRECTORY/pcapd-db-password (systemd's LoadCredential=), its trailing newline dropped.
 * 0 and an empty buf when there is none. */
static int credential_read(char *buf, size_t size) {
        const char *dir = getenv("CREDENTIALS_DIRECTORY");
        char path[4096];
        ssize_t n;

        buf[0] = 0;
        if (!dir || !*dir)
                return 0;
        if ((size_t) snprintf(path, sizeof(path), "%s/" PG_CREDENTIAL_NAME, dir) >= sizeof(path))
                return -ENAMETOOLONG;
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        for (n = 0;;) {
                ssize_t k = read(fd, buf + n, size - (size_t) n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        explicit_bzero(buf, size);
                        return -errno;
                }
                if (k == 0)
                        break;
                n += k;
                if ((size_t) n >= size) {
                        explicit_bzero(buf, size);
                        return -E2BIG;
                }
        }
        buf[n] = 0;
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
                buf[--n] = 0;
        return 0;
}

/* Library code does not log: the server's notices ("… already exists, skipping") are dropped. */
static void notice_drop(void *userdata, const char *message) {
}

int store_pg_connect(const char *url, PGconn **ret) {
        /* Ours first: what the URL says wins over them (expand_dbname), and the credential over both. The
         * options apply again on every reconnection (PQresetStart). tcp_user_timeout bounds a statement
         * sent into a network partition (nothing acknowledged): 10 s, then the connection is lost and the
         * reconnection does not block (store-pg.c, conn_reset); keepalives find a dead idle one. */
        const char *keys[] = {
                "connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count",
                "tcp_user_timeout", "application_name", "options", "dbname", NULL, NULL,
        };
        const char *vals[] = {
                "10", "1", "30", "10", "3", "10000", "pcapd",
                "-c statement_timeout=30000 -c lock_timeout=10000 -c idle_in_transaction_session_timeout=60000",
                url, NULL, NULL,
        };
        char password[PG_PASSWORD_MAX];
        PGconn *conn;
        int r;

        r = store_pg_url_check(url);
        if (r < 0)
                return r;
        r = credential_read(password, sizeof(password));
        if (r < 0)
                return r;
        if (password[0]) {
                keys[9] = "password";
                vals[9] = password;
        }
        conn = PQconnectdbParams(keys, vals, 1);
        explicit_bzero(password, sizeof(password));
        if (!conn)
                return -ENOMEM;
        if (PQstatus(conn) != CONNECTION_OK) {
                r = PQconnectionNeedsPassword(conn) || PQconnectionUsedPassword(conn) ? -EACCES : -ECONNREFUSED;
                PQfinish(conn);
                return r;
        }
        PQsetNoticeProcessor(conn, notice_drop, NULL);
        *ret = conn;
        return 0;
}
