/* The reaper's pass (see state-reap.h). */
#include "state/state-reap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/macro.h"

typedef struct id_list {
        char (*ids)[ID_LEN + 1];
        size_t n, alloc;
} id_list_t;

static int collect(const store_task_t *t, void *userdata) {
        id_list_t *l = userdata;
        if (l->n == l->alloc) {
                size_t na = l->alloc ? l->alloc * 2 : 64;
                void *p = realloc(l->ids, na * sizeof(*l->ids));
                if (!p)
                        return -ENOMEM;
                l->ids = p;
                l->alloc = na;
        }
        memcpy(l->ids[l->n++], t->id, ID_LEN + 1);
        return 0;
}

int state_reap(const state_dir_t *sd, store_t *s, int64_t now_ms, uint64_t retention_ms, state_expired_fn on_expired,
               state_removed_fn on_removed, void *userdata, state_reap_result_t *ret) {
        id_list_t expired = {};
        int64_t cutoff = now_ms - (int64_t) retention_ms;
        int r, listed;

        *ret = (state_reap_result_t) {};
        /* one reaper at a time across the nodes sharing the database; the others skip this pass */
        r = store_reaper_lock(s);
        if (r < 0)
                return r;
        if (r == 0) {
                /* the sweep is of this node's own directory (shared bytes: each node has its own), and the
                 * copies it holds of other nodes' captures and reports go by the same rules */
                ret->skipped = true;
                r = state_dir_sweep(sd, s, true, now_ms / 1000, STATE_ORPHAN_GRACE_S, on_removed, userdata);
                if (r < 0)
                        ret->error = r;
                else
                        ret->orphans_removed = r;
                return 0;
        }
        listed = store_list_finished_before(s, cutoff, collect, &expired);
        for (size_t i = 0; listed >= 0 && i < expired.n; i++) {
                const char *id = expired.ids[i];

                /* row first: once expired, the frontend answers 410 and never serves the files again */
                r = store_task_expire(s, id, now_ms);
                if (r == -ESTALE || r == -ENOENT)
                        continue; /* changed meanwhile (deleted by a user): nothing to do */
                if (r < 0) {
                        if (!ret->error)
                                ret->error = r;
                        continue;
                }
                ret->expired++;
                state_reports_unlink(sd, id);
                (void) state_capture_unlink(sd, id);
                if (on_expired)
                        on_expired(id, userdata);
        }
        free(expired.ids);

        /* a running pcapd-web may be between linking reports and committing the row (in flight), and an
         * upload being stored has no row yet (the grace period) */
        ret->orphans_removed = state_dir_sweep(sd, s, true, now_ms / 1000, STATE_ORPHAN_GRACE_S, on_removed, userdata);
        if (ret->orphans_removed < 0) {
                if (!ret->error)
                        ret->error = ret->orphans_removed;
                ret->orphans_removed = 0;
        }
        r = store_reaper_unlock(s);
        if (r < 0 && !ret->error)
                ret->error = r;
        return listed < 0 ? listed : 0;
}
