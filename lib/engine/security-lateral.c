/* Lateral movement (security-lateral-movement): an inside host that connects, successfully, to many other
 * inside hosts over the services used to run commands and copy files remotely on Windows networks (SMB,
 * RDP, WinRM, RPC's endpoint mapper). Ordinary clients use these to reach a few servers; an attacker moving
 * through the network fans out. Judged when connections retire. */
#include <string.h>

#include "engine.h"

static int lateral_service(uint16_t port) {
        switch (port) {
        case 445:
        case 139:
                return 0; /* SMB */
        case 3389:
                return 1; /* RDP */
        case 5985:
        case 5986:
                return 2; /* WinRM */
        case 135:
                return 3; /* RPC endpoint mapper (DCOM, WMI, scheduled tasks, services) */
        default:
                return -1;
        }
}

void security_lateral_end(analysis_t *a, const flow_t *f) {
        if (!security_flow_connected(f))
                return;
        addr_t src, dst;
        uint16_t sport, dport;
        security_flow_ends(f, &src, &dst, &sport, &dport);
        int svc = lateral_service(dport);
        if (svc < 0 || addr_equal(&src, &dst) || !security_addr_internal(&src) || !security_addr_internal(&dst))
                return;
        sec_state_t *s = &a->sec;
        bool created_src, created_pair;
        sec_lateral_src_t *e = security_find(a, &s->lateral_src, &(sec_key_t) { .a = src }, true, &created_src);
        if (!e)
                return;
        e->conns++;
        e->services |= (uint8_t) (1u << svc);
        security_span_note(&e->first_ts, &e->last_ts, f->first_ts, created_src);
        if (created_src || f->first_ts <= e->first_ts)
                e->first_frame = f->first_frame;
        if (!security_find(a, &s->lateral_pairs, &(sec_key_t) { .a = src, .b = dst }, true, &created_pair) ||
            !created_pair)
                return;
        if (e->hosts < 3)
                security_flow_key(f, &e->example[e->hosts]);
        e->hosts++;
}

void security_lateral_diagnose(analysis_t *a) {
        const sec_table_t *t = &a->sec.lateral_src;
        const sec_lateral_src_t *top = NULL;
        unsigned n = 0;
        for (uint32_t r = 0; r < t->t.top; r++) {
                const sec_lateral_src_t *e = table_entry(&t->t, r);
                if (!e->k.used || e->hosts < threshold_value(a, TH_LATERAL_HOSTS))
                        continue;
                n++;
                if (!top || e->hosts > top->hosts || (e->hosts == top->hosts && e->first_frame < top->first_frame))
                        top = e;
        }
        if (!top)
                return;
        char src[64], filter[256], svcs[64] = "";
        addr_format(&top->k.a, src, sizeof src);
        static const char *const names[] = { "SMB", "RDP", "WinRM", "RPC" };
        for (int i = 0; i < 4; i++)
                if (top->services & (1u << i))
                        snprintf(svcs + strlen(svcs), sizeof svcs - strlen(svcs), "%s%s", svcs[0] ? ", " : "", names[i]);
        const char *ip = security_ip(&top->k.a);
        snprintf(filter, sizeof filter, "%s.src==%s && tcp.dstport in {135 139 445 3389 5985 5986} && tcp.flags.syn==1 "
                 "&& tcp.flags.ack==0", ip, src);
        finding_t *f = finding_add(a, "security-lateral-movement", 2, n > 1 ? 15 : 10, filter,
                                   "Lateral movement: %s connected to %u inside hosts over %s in %.1f s", src,
                                   top->hosts, svcs, security_span_s(top->first_ts, top->last_ts));
        if (!f)
                return;
        f->cause = CAUSE_SECURITY;
        finding_detail(f, "%u completed connections from frame %llu. Ordinary clients reach a few servers over "
                          "these services; an attacker (or a worm) running commands and copying tools from host to "
                          "host reaches many. Administration servers (software deployment, backup, inventory) do "
                          "the same on purpose: check that %s is one. Inside hosts fanning out like this: %u.",
                       top->conns, (unsigned long long) top->first_frame, src, n);
        uint64_t dropped = t->dropped + a->sec.lateral_pairs.dropped;
        if (dropped)
                finding_detail(f, " %llu connections were not counted (the tables were full).",
                               (unsigned long long) dropped);
        for (unsigned i = 0; i < 3 && i < top->hosts; i++)
                finding_flow(f, &top->example[i], true);
}
