/* Data exfiltration (security-exfiltration): an inside host sending much to one outside host, far more
 * than it receives from it. Flows between an inside and an outside host that moved at least 64 KiB enter the
 * table when they retire (smaller ones cannot make a volume worth judging); bytes are on the wire. */
#include <string.h>

#include "engine.h"

#define EXFIL_FLOW_MIN (64 * 1024)

void security_exfil_end(analysis_t *a, const flow_t *f) {
        if (f->bytes < EXFIL_FLOW_MIN)
                return;
        bool ia = security_addr_internal(&f->key.a), ib = security_addr_internal(&f->key.b);
        if (ia == ib)
                return;
        /* u[] is by flow direction: 0 from the client; key.a is the client when client_is_a */
        int from_a = f->client_is_a ? 0 : 1;
        uint64_t up = ia ? f->u[from_a].bytes : f->u[!from_a].bytes;
        uint64_t down = ia ? f->u[!from_a].bytes : f->u[from_a].bytes;
        const addr_t *in = ia ? &f->key.a : &f->key.b, *out = ia ? &f->key.b : &f->key.a;
        if (!security_addr_unicast(out))
                return;
        bool created;
        sec_exfil_t *e = security_find(a, &a->sec.exfil, &(sec_key_t) { .a = *in, .b = *out }, true, &created);
        if (!e)
                return;
        if (created || f->first_ts < e->first_ts)
                e->first_frame = f->first_frame;
        if (created || up > e->example_up) {
                /* the example is the flow that sent the most, inside host first */
                e->example_up = up;
                e->example = f->key;
                if (!ia) {
                        e->example.a = f->key.b;
                        e->example.b = f->key.a;
                        e->example.pa = f->key.pb;
                        e->example.pb = f->key.pa;
                }
        }
        security_span_note(&e->first_ts, &e->last_ts, f->first_ts, created);
        if (f->last_ts > e->last_ts)
                e->last_ts = f->last_ts;
        e->up += up;
        e->down += down;
        e->flows++;
}

static bool exfil_is(const analysis_t *a, const sec_exfil_t *e) {
        return e->k.used && (double) e->up >= threshold_value(a, TH_EXFIL_BYTES) &&
               100.0 * (double) e->up >= threshold_value(a, TH_EXFIL_SHARE) * (double) (e->up + e->down);
}

void security_exfil_diagnose(analysis_t *a) {
        const sec_table_t *t = &a->sec.exfil;
        const sec_exfil_t *top = NULL;
        unsigned n = 0;
        for (uint32_t r = 0; r < t->t.top; r++) {
                const sec_exfil_t *e = table_entry(&t->t, r);
                if (!exfil_is(a, e))
                        continue;
                n++;
                if (!top || e->up > top->up || (e->up == top->up && e->first_frame < top->first_frame))
                        top = e;
        }
        if (!top)
                return;
        char in[64], out[64], filter[256];
        addr_format(&top->k.a, in, sizeof in);
        addr_format(&top->k.b, out, sizeof out);
        const char *ip = security_ip(&top->k.a);
        snprintf(filter, sizeof filter, "%s.src==%s && %s.dst==%s", ip, in, ip, out);
        double span = security_span_s(top->first_ts, top->last_ts);
        finding_t *f = finding_add(a, "security-exfiltration", 2, n > 1 ? 15 : 10, filter,
                                   "Possible exfiltration: %s sent %.1f MB to %s (outside) in %.1f s and received %.1f MB",
                                   in, (double) top->up / 1e6, out, span, (double) top->down / 1e6);
        if (!f)
                return;
        f->cause = CAUSE_SECURITY;
        finding_detail(f, "%.1f%% of the bytes between them went out, over %u %s, from frame %llu. An inside "
                          "host mostly receives from the outside; sending this much to one outside host is what "
                          "theft of data looks like, and also what a backup or upload to a cloud service looks "
                          "like: check that %s is a destination you know. Inside hosts sending like this: %u.",
                       100.0 * (double) top->up / (double) (top->up + top->down), top->flows,
                       top->flows == 1 ? "flow" : "flows", (unsigned long long) top->first_frame, out, n);
        if (t->dropped)
                finding_detail(f, " %llu flows were not counted (the table was full).", (unsigned long long) t->dropped);
        finding_flow(f, &top->example, true);
}
