/* Accepting HTTP connections, with the limits that stand in for h2o's missing slow-client defences. */
#pragma once

#include <h2o.h>
#include <stdbool.h>

/* Accepts on fd (listening, non-blocking) into ctx: at most max_conns connections (the rest wait in the
 * backlog), each closed after idle_s seconds without a byte. */
int conn_listen(h2o_loop_t *loop, h2o_accept_ctx_t *ctx, int fd, unsigned max_conns, unsigned idle_s);
void conn_close_listener(void);
unsigned conn_count(void);
/* Once a second: closes connections that moved no byte for --idle-timeout (all of them, faster, while
 * stopping). */
void conn_sweep(bool stopping);
