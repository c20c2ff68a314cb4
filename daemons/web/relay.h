/* Progress across nodes: on a shared database, the events of analyses other nodes run reach this node's
 * streams (store_listener in the event loop, each event to dispatcher_remote_event). A lost connection is
 * opened again at the next tick; what was missed meanwhile is a progress snapshot the next event replaces,
 * and each task's end is read back from its row by the dispatcher's poll. */
#pragma once

#include <h2o.h>

#include "dispatcher.h"
#include "store/store-listen.h"

typedef struct relay {
        h2o_loop_t *loop;
        dispatcher_t *dispatcher;
        char *database;                  /* the URL, for reconnections */
        store_listener_t *listener;
        h2o_socket_t *sock;              /* a duplicate of the listener's socket: libpq owns its own */
        bool lost_logged;
} relay_t;

/* Listens when database is shared (PostgreSQL); does nothing (0) otherwise. A failure to listen now is
 * logged and tried again at each tick. */
int relay_start(relay_t *r, h2o_loop_t *loop, const char *database, dispatcher_t *d);
/* Once a second: listens again after a lost connection. */
void relay_tick(relay_t *r);
void relay_stop(relay_t *r);
