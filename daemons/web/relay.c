/* Progress across nodes (relay.h). */
#include "relay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log/log.h"

static void on_event(const char *payload, void *userdata) {
        relay_t *r = userdata;
        dispatcher_remote_event(r->dispatcher, payload);
}

static void relay_close(relay_t *r) {
        if (r->sock) {
                h2o_socket_read_stop(r->sock);
                h2o_socket_close(r->sock); /* our duplicate */
                r->sock = NULL;
        }
        r->listener = store_listener_free(r->listener);
}

static void on_readable(h2o_socket_t *sock, const char *err) {
        relay_t *r = sock->data;
        int k = store_listener_read(r->listener, on_event, r);

        if (k < 0) {
                log_warning_errno(k, NULL, "relay-lost", "Lost the database connection that relays other nodes' progress: %m");
                r->lost_logged = true;
                relay_close(r);
        }
}

static int relay_open(relay_t *r) {
        int fd, k;

        k = store_listener_open(r->database, &r->listener);
        if (k < 0)
                return k;
        fd = fcntl(store_listener_fd(r->listener), F_DUPFD_CLOEXEC, 3);
        if (fd < 0) {
                k = -errno;
                r->listener = store_listener_free(r->listener);
                return k;
        }
        r->sock = h2o_evloop_socket_create(r->loop, fd, H2O_SOCKET_FLAG_DONT_READ);
        r->sock->data = r;
        h2o_socket_read_start(r->sock, on_readable);
        /* what arrived with the LISTEN itself */
        (void) store_listener_read(r->listener, on_event, r);
        return 0;
}

int relay_start(relay_t *r, h2o_loop_t *loop, const char *database, dispatcher_t *d) {
        *r = (relay_t) { .loop = loop, .dispatcher = d };
        if (store_database_kind(database) != STORE_POSTGRESQL)
                return 0;
        r->database = strdup(database);
        if (!r->database)
                return -ENOMEM;
        relay_tick(r);
        return 0;
}

void relay_tick(relay_t *r) {
        int k;

        if (!r->database || r->listener)
                return;
        k = relay_open(r);
        if (k < 0 && !r->lost_logged) {
                log_warning_errno(k, NULL, "relay-lost", "Cannot listen for other nodes' progress (trying again each second): %m");
                r->lost_logged = true;
        } else if (k >= 0 && r->lost_logged) {
                log_notice(NULL, "relay-listening", "Listening again for other nodes' progress");
                r->lost_logged = false;
        }
}

void relay_stop(relay_t *r) {
        relay_close(r);
        free(r->database);
        r->database = NULL;
}
