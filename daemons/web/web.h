/* pcapd-web's context: one per process, made by main() and passed to every handler (routes.c gives each
 * h2o handler a pointer to it). Nothing reaches it through a global. */
#pragma once

#include <h2o.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "dispatcher.h"
#include "relay.h"
#include "state/state-dir.h"
#include "store/store.h"
#include "throttle.h"
#include "workq.h"

typedef struct upload_metrics {
        uint64_t bytes_uploaded;
        uint64_t uploads_accepted;
        uint64_t uploads_rejected;
} upload_metrics_t;

typedef struct web {
        const config_t *cfg;                   /* the settings, read-only */
        h2o_globalconf_t h2o;
        h2o_context_t ctx;
        h2o_accept_ctx_t accept_ctx;
        h2o_loop_t *loop;
        store_t *store;
        state_dir_t state;
        dispatcher_t dispatcher;               /* the live tasks and the queue */
        relay_t relay;                         /* other nodes' progress (a shared database) */
        unsigned n_uploading;                  /* bodies being written and committed (upload.c) */
        upload_metrics_t uploads;
        bool stopping;
        int64_t started_at;
        bool auth_accounts;                    /* what runs: accounts, or none (config.auth decided) */
        bool tls;                              /* HTTPS: the cookie is __Host-, Secure */
        workq_t expiry_q;                      /* the in-process reaper (expiry.c) */
        bool expiry_on, expiry_running;
        uint64_t expiry_every_ms, expiry_next_ms;
        workq_t login_q;                       /* password hashing, off the loop (login.c) */
        unsigned login_pending;
        throttle_t *login_throttle;
} web_t;
