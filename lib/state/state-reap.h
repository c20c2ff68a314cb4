/* One pass of the report reaper: the tasks finished longer ago than the retention become expired and lose
 * their files, and the sweep removes orphans. Shared by pcapd-reaper (run by its systemd timer) and
 * pcapd-web (which runs it itself where no timer does: a container, serve.sh). Library code: events go to
 * the callbacks, not to a log. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "state/state-dir.h"
#include "store/store.h"

/* A file without a task row younger than this may belong to an upload being stored right now. */
#define STATE_ORPHAN_GRACE_S 900

typedef struct state_reap_result {
        unsigned expired;        /* tasks made expired, their files removed */
        int orphans_removed;     /* the sweep's count */
        int error;               /* the first store error (-errno), 0 when none */
        bool skipped;            /* another node's reaper held the lock (store_reaper_lock): nothing expired,
                                  * only this state directory swept */
} state_reap_result_t;

/* Called with the id of each task expired by this pass. */
typedef void (*state_expired_fn)(const char *id, void *userdata);

/* Under the reaper's lock (store_reaper_lock: one pass at a time across the nodes sharing a PostgreSQL;
 * ret->skipped when another holds it), expires what finished at or before now - retention_ms, then sweeps
 * (in flight: a pcapd-web may be running). The sweep is of this node's own state directory: it runs also
 * when the pass is skipped. 0, or -errno when the expired tasks could not be listed (the sweep still runs). */
int state_reap(const state_dir_t *sd, store_t *s, int64_t now_ms, uint64_t retention_ms, state_expired_fn on_expired,
               state_removed_fn on_removed, void *userdata, state_reap_result_t *ret);
