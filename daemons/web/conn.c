/* Connections. h2o's http1.req_timeout covers headers + the whole body and is also the keep-alive idle
 * timeout, so it is raised (an upload of --max-upload-mb must fit) and slow clients are handled here:
 * - at most --max-connections open (accept pauses at the limit) and CONN_PER_PEER_MAX per peer address,
 *   so one slow client cannot hold every slot;
 * - a connection that moves no byte in either direction for --idle-timeout is closed (idle keep-alive,
 *   stalled uploads, stalled downloads; SSE streams send a heartbeat every 15 s so they stay);
 * - req_timeout itself (see main.c) caps the time for one request at what the largest upload needs at
 *   CONN_MIN_RATE bytes/s. */
#include "conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log/log.h"
#include "http.h"

#define CONN_PER_PEER_MAX 256

typedef struct conn {
        h2o_linklist_t link;
        h2o_socket_t *sock;
        struct sockaddr_storage peer;
        socklen_t peer_len;
        uint64_t last_bytes;
        uint64_t last_progress;
} conn_t;

static h2o_socket_t *listener;
static h2o_accept_ctx_t *accept_ctx;
static unsigned max_connections, idle_timeout_s;
static bool listener_paused;
static h2o_linklist_t conns = { &conns, &conns };
static unsigned n_conns;

unsigned conn_count(void) {
        return n_conns;
}

static bool same_peer(const conn_t *c, const struct sockaddr_storage *sa, socklen_t len) {
        if (c->peer.ss_family != sa->ss_family)
                return false;
        if (sa->ss_family == AF_INET)
                return ((const struct sockaddr_in *) &c->peer)->sin_addr.s_addr ==
                       ((const struct sockaddr_in *) sa)->sin_addr.s_addr;
        if (sa->ss_family == AF_INET6)
                return memcmp(&((const struct sockaddr_in6 *) &c->peer)->sin6_addr,
                              &((const struct sockaddr_in6 *) sa)->sin6_addr, sizeof(struct in6_addr)) == 0;
        return true; /* AF_UNIX: one peer */
}

static void on_accept(h2o_socket_t *l, const char *err);

static void on_conn_close(void *data) {
        conn_t *c = data;
        h2o_linklist_unlink(&c->link);
        free(c);
        n_conns--;
        if (listener_paused && listener && n_conns < max_connections) {
                listener_paused = false;
                h2o_socket_read_start(listener, on_accept);
        }
}

static void on_accept(h2o_socket_t *l, const char *err) {
        if (err)
                return;
        for (unsigned i = 0; i < 64; i++) {
                h2o_socket_t *sock;
                conn_t *c;
                unsigned same = 0;

                if (n_conns >= max_connections) {
                        /* leave the rest in the kernel's backlog until a slot frees */
                        listener_paused = true;
                        h2o_socket_read_stop(l);
                        return;
                }
                sock = h2o_evloop_socket_accept(l);
                if (!sock)
                        return;
                c = calloc(1, sizeof(*c));
                if (!c) {
                        h2o_socket_close(sock);
                        continue;
                }
                c->peer_len = h2o_socket_getpeername(sock, (struct sockaddr *) &c->peer);
                for (h2o_linklist_t *k = conns.next; k != &conns; k = k->next)
                        if (same_peer(H2O_STRUCT_FROM_MEMBER(conn_t, link, k), &c->peer, c->peer_len))
                                same++;
                if (same >= CONN_PER_PEER_MAX) {
                        free(c);
                        h2o_socket_close(sock);
                        continue;
                }
                c->sock = sock;
                c->last_progress = http_now_mono();
                h2o_linklist_insert(&conns, &c->link);
                n_conns++;
                sock->on_close.cb = on_conn_close;
                sock->on_close.data = c;
                h2o_accept(accept_ctx, sock);
        }
}

int conn_listen(h2o_loop_t *loop, h2o_accept_ctx_t *ctx, int fd, unsigned max_conns, unsigned idle_s) {
        accept_ctx = ctx;
        max_connections = max_conns;
        idle_timeout_s = idle_s;
        listener = h2o_evloop_socket_create(loop, fd, H2O_SOCKET_FLAG_DONT_READ);
        if (!listener)
                return -ENOMEM;
        h2o_socket_read_start(listener, on_accept);
        return 0;
}

void conn_close_listener(void) {
        if (!listener)
                return;
        h2o_socket_read_stop(listener);
        h2o_socket_close(listener);
        listener = NULL;
}

void conn_sweep(bool stopping) {
        uint64_t now = http_now_mono();
        uint64_t limit = stopping ? 1000 : (uint64_t) idle_timeout_s * 1000;

        for (h2o_linklist_t *l = conns.next; l != &conns; l = l->next) {
                conn_t *c = H2O_STRUCT_FROM_MEMBER(conn_t, link, l);
                uint64_t bytes = c->sock->bytes_read + c->sock->bytes_written;
                if (bytes != c->last_bytes) {
                        c->last_bytes = bytes;
                        c->last_progress = now;
                        continue;
                }
                if (now - c->last_progress >= limit) {
                        /* h2o notices on its next read or write and closes the connection itself */
                        shutdown(h2o_socket_get_fd(c->sock), SHUT_RDWR);
                        c->last_progress = now;
                }
        }
}
