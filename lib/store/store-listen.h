/* Events across the nodes sharing one database (PostgreSQL LISTEN/NOTIFY): a node publishes a line of
 * text, every listening node (itself included) reads it. SQLite has one node: -EOPNOTSUPP. Delivery is
 * at most once and only while listening: what a listener missed (its connection was lost) must be read
 * back from the tasks themselves. */
#pragma once

#include "store/store.h"

#define STORE_EVENT_MAX 7999 /* bytes of a payload: PostgreSQL's NOTIFY takes less than 8000 */

/* Sends payload (at most STORE_EVENT_MAX bytes, else -E2BIG) to every listener, at once outside a
 * transaction, at commit inside one. */
int store_publish(store_t *s, const char *payload);

typedef struct store_listener store_listener_t;
typedef void (*store_event_fn)(const char *payload, void *userdata);

/* A connection of its own to database (the URL store_open took) that listens. -EOPNOTSUPP for SQLite. */
int store_listener_open(const char *database, store_listener_t **ret);
store_listener_t *store_listener_free(store_listener_t *l);
/* The socket to watch for reading (it is libpq's: never read it yourself). */
int store_listener_fd(const store_listener_t *l);
/* Once the socket is readable: each event received so far to fn. The number of events, or -ENOTCONN when
 * the connection is lost (free the listener and open another). */
int store_listener_read(store_listener_t *l, store_event_fn fn, void *userdata);
