/* In-process expiry (see expiry.h). */
#include "expiry.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log/log.h"
#include "state/state-reap.h"
#include "util/macro.h"
#include "web.h"
#include "workq.h"

#define EXPIRY_LOGGED_MAX 64   /* expired ids a pass reports one by one; the rest are counted */

typedef struct expiry_pass {
        workq_item_t item;
        web_t *web;
        int error;
        state_reap_result_t res;
        char ids[EXPIRY_LOGGED_MAX][ID_LEN + 1];
        unsigned n_ids;
} expiry_pass_t;

static void on_expired(const char *id, void *userdata) {
        expiry_pass_t *p = userdata;
        if (p->n_ids < EXPIRY_LOGGED_MAX)
                memcpy(p->ids[p->n_ids++], id, ID_LEN + 1);
}

/* On the expiry thread: its own connection to the database, for this pass. */
static void pass_work(workq_t *q, workq_item_t *it) {
        expiry_pass_t *p = H2O_STRUCT_FROM_MEMBER(expiry_pass_t, item, it);
        store_t *s = NULL;
        char path[4096];
        int r;

        r = state_dir_database(&p->web->state, p->web->cfg->database, path, sizeof(path));
        if (r >= 0)
                r = store_open(path, &s);
        if (r >= 0)
                r = state_reap(&p->web->state, s, store_now_ms(), p->web->cfg->retention_ms, on_expired, NULL, p, &p->res);
        store_close(s);
        p->error = r < 0 ? r : p->res.error;
}

static void pass_done(workq_t *q, workq_item_t *it) {
        expiry_pass_t *p = H2O_STRUCT_FROM_MEMBER(expiry_pass_t, item, it);
        web_t *w = p->web;
        char f1[48], f2[48];

        w->expiry_running = false;
        for (unsigned i = 0; i < p->n_ids; i++)
                log_info(p->ids[i], "task-expired", "Report expired and deleted");
        if (p->res.skipped)
                log_info(NULL, "reaper-skipped", "Another node's reaper is running: skipped this pass");
        if (p->error)
                log_warning_errno(p->error, NULL, "reaper-failed", "The expiry pass met an error: %m");
        if (p->res.expired || p->res.orphans_removed)
                log_struct_errno(LOG_INFO, 0, NULL, "reaper-done",
                                 LOG_FIELDS(LOG_FIELD(f1, "PCAPD_EXPIRED=%u", p->res.expired),
                                            LOG_FIELD(f2, "PCAPD_ORPHANS_REMOVED=%d", p->res.orphans_removed)),
                                 "Expired %u tasks, removed %d orphaned files", p->res.expired, p->res.orphans_removed);
        free(p);
}

int expiry_start(web_t *w) {
        const char *inv = getenv("INVOCATION_ID");
        uint64_t every;
        int r;

        w->expiry_on = w->cfg->reap == CONFIG_REAP_ON || (w->cfg->reap == CONFIG_REAP_AUTO && !(inv && *inv));
        if (!w->expiry_on) {
                log_info(NULL, "expiry", "Reports expire by pcapd-reaper (%s)",
                         w->cfg->reap == CONFIG_REAP_OFF ? "--reap=off" : "started by systemd, whose timer runs it");
                return 0;
        }
        every = w->cfg->retention_ms / 4;
        w->expiry_every_ms = MIN(MAX(every, (uint64_t) 1000), (uint64_t) 3600 * 1000);
        w->expiry_next_ms = 0; /* a pass at the first tick */
        pthread_mutex_init(&w->expiry_q.lock, NULL);
        pthread_cond_init(&w->expiry_q.queue_cond, NULL);
        r = workq_start(&w->expiry_q, w->loop, pass_work, pass_done);
        if (r < 0)
                return r;
        log_info(NULL, "expiry", "Reports expire here, every %llu s (no systemd timer runs pcapd-reaper)",
                 (unsigned long long) (w->expiry_every_ms / 1000));
        return 0;
}

void expiry_tick(web_t *w, uint64_t now) {
        expiry_pass_t *p;

        if (!w->expiry_on || w->expiry_running || now < w->expiry_next_ms || w->stopping)
                return;
        p = calloc(1, sizeof(*p));
        if (!p)
                return;
        p->web = w;
        w->expiry_running = true;
        w->expiry_next_ms = now + w->expiry_every_ms;
        workq_submit(&w->expiry_q, &p->item);
}

void expiry_stop(web_t *w) {
        if (w->expiry_on)
                workq_stop(&w->expiry_q);
}
