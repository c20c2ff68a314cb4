/* Events across nodes on a shared database: PostgreSQL's NOTIFY on the store's connection, LISTEN on a
 * connection of the listener's own, whose socket the caller watches in its event loop. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/store-listen.h"
#include "store/store-pg.h"
#include "store/store-private.h"
#include "util/macro.h"

#define STORE_CHANNEL "pcapd_events"

struct store_listener {
        PGconn *conn;
};

int store_publish(store_t *s, const char *payload) {
        _cleanup_stmt_ store_stmt_t *st = NULL;
        int r;

        if (!s->ops->shared)
                return -EOPNOTSUPP;
        if (strlen(payload) > STORE_EVENT_MAX)
                return -E2BIG;
        r = store_prepare(s, "SELECT pg_notify('" STORE_CHANNEL "', ?1)", &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, payload);
        r = store_step(st);
        return r < 0 ? r : 0;
}

int store_listener_open(const char *database, store_listener_t **ret) {
        store_listener_t *l;
        int r = store_database_kind(database);

        if (r < 0)
                return r;
        if (r != STORE_POSTGRESQL)
                return -EOPNOTSUPP;
        l = calloc(1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        r = store_pg_connect(database, &l->conn);
        if (r >= 0)
                r = store_pg_exec(l->conn, "LISTEN " STORE_CHANNEL);
        if (r >= 0 && PQsetnonblocking(l->conn, 1) != 0)
                r = -EIO;
        if (r < 0) {
                store_listener_free(l);
                return r;
        }
        *ret = l;
        return 0;
}

store_listener_t *store_listener_free(store_listener_t *l) {
        if (l) {
                if (l->conn)
                        PQfinish(l->conn);
                free(l);
        }
        return NULL;
}

int store_listener_fd(const store_listener_t *l) {
        return PQsocket(l->conn);
}

int store_listener_read(store_listener_t *l, store_event_fn fn, void *userdata) {
        PGnotify *n;
        int count = 0;

        if (!PQconsumeInput(l->conn) || PQstatus(l->conn) != CONNECTION_OK)
                return -ENOTCONN;
        while ((n = PQnotifies(l->conn))) {
                if (n->extra)
                        fn(n->extra, userdata);
                PQfreemem(n);
                count++;
        }
        return count;
}
