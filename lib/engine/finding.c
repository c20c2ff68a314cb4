/* A finding as the diagnosis and the security detectors write it: its id, severity, penalty, filter and title,
 * its detail appended piece by piece, the flows it concerns (at most 5, each once). At most FINDINGS_MAX. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"

finding_t *finding_add(analysis_t *a, const char *id, int severity, int penalty, const char *filter,
                       const char *title_fmt, ...) {
        if (a->n_findings >= FINDINGS_MAX)
                return NULL;
        finding_t *f = &a->findings[a->n_findings++];
        memset(f, 0, sizeof *f);
        snprintf(f->id, sizeof f->id, "%s", id);
        f->cost = -1;
        f->severity = severity;
        f->penalty = penalty;
        snprintf(f->filter, sizeof f->filter, "%s", filter ? filter : "");
        va_list ap;
        va_start(ap, title_fmt);
        vsnprintf(f->title, sizeof f->title, title_fmt, ap);
        va_end(ap);
        return f;
}

void finding_detail(finding_t *f, const char *fmt, ...) {
        if (!f)
                return;
        size_t l = strlen(f->detail);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(f->detail + l, sizeof f->detail - l, fmt, ap);
        va_end(ap);
}

void finding_flow_at(finding_t *f, const flow_key_t *k, bool a_to_b, uint64_t frame) {
        if (!f || f->n_flows >= 5)
                return;
        char buf[128];
        flow_format(k, a_to_b, buf, sizeof buf);
        for (unsigned i = 0; i < f->n_flows; i++)
                if (strcmp(f->flows[i], buf) == 0)
                        return;
        flow_key_t *fk = &f->flow_key[f->n_flows];
        *fk = *k;
        if (!a_to_b) {
                fk->a = k->b;
                fk->b = k->a;
                fk->pa = k->pb;
                fk->pb = k->pa;
        }
        f->flow_frame[f->n_flows] = frame;
        snprintf(f->flows[f->n_flows++], sizeof f->flows[0], "%s", buf);
}

void finding_flow(finding_t *f, const flow_key_t *k, bool a_to_b) {
        finding_flow_at(f, k, a_to_b, 0);
}
