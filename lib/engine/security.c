/* The security detectors' entry points: their tables made and freed, what the analysis feeds them (a flow's
 * first packet and its retirement, ICMP), their findings; the detectors themselves are in
 * security-<detector>.c, what they share in security-shared.c (ANALYSES.md, "Security detectors"). */
#include <string.h>

#include "engine.h"

static int sec_table_init(sec_table_t *t, size_t elem, uint32_t max) {
        *t = (sec_table_t) { .max = max };
        return table_init(&t->t, elem, 8, max); /* most captures fill few of them: grown by doubling */
}

int security_init(sec_state_t *s) {
        memset(s, 0, sizeof *s);
        const struct {
                sec_table_t *t;
                size_t elem;
                uint32_t max;
        } tables[] = {
                { &s->scan_probes, sizeof(sec_scan_probe_t), SEC_SCAN_PROBES_MAX },
                { &s->scan_host, sizeof(sec_scan_count_t), SEC_SCAN_PAIRS_MAX },
                { &s->scan_port, sizeof(sec_scan_count_t), SEC_SCAN_PAIRS_MAX },
                { &s->scan_src, sizeof(sec_scan_src_t), SEC_SCAN_PAIRS_MAX },
                { &s->flood, sizeof(sec_flood_t), SEC_FLOOD_VICTIMS_MAX },
                { &s->brute, sizeof(sec_brute_t), SEC_BRUTE_MAX },
                { &s->dns, sizeof(sec_dns_t), SEC_DNS_MAX },
                { &s->exfil, sizeof(sec_exfil_t), SEC_EXFIL_MAX },
                { &s->beacon, sizeof(sec_beacon_t), SEC_BEACON_MAX },
                { &s->lateral_pairs, sizeof(sec_lateral_pair_t), SEC_LATERAL_PAIRS_MAX },
                { &s->lateral_src, sizeof(sec_lateral_src_t), SEC_LATERAL_SOURCES_MAX },
        };
        for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
                int r = sec_table_init(tables[i].t, tables[i].elem, tables[i].max);
                if (r < 0) {
                        security_done(s);
                        return r;
                }
        }
        return 0;
}

void security_done(sec_state_t *s) {
        sec_table_t *t[] = { &s->scan_probes, &s->scan_host,     &s->scan_port, &s->scan_src,
                             &s->flood,       &s->brute,         &s->dns,       &s->exfil,
                             &s->beacon,      &s->lateral_pairs, &s->lateral_src };
        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
                table_done(&t[i]->t);
}

void security_flow_new(analysis_t *a, flow_t *f, const packet_t *p, bool swapped) {
        f->first_from_a = !swapped;
        f->first_flags = p->proto == 6 ? p->tcp.flags : 0;
        if (!security_addr_unicast(&p->dst) || !security_addr_unicast(&p->src))
                return; /* broadcast and multicast: discovery protocols, not attacks on a host */
        sec_key_t victim = { .b = p->dst, .proto = p->proto };
        if (p->proto == 6) {
                if ((p->tcp.flags & (TCP_SYN | TCP_ACK)) != TCP_SYN)
                        goto beacon;
                victim.port = p->dport;
        }
        security_flood_new(a, p, &victim);
beacon:
        security_beacon_new(a, f, p);
}

void security_flow_end(analysis_t *a, const flow_t *f) {
        security_scan_end(a, f);
        security_flood_end(a, f);
        security_brute_end(a, f);
        security_exfil_end(a, f);
        security_lateral_end(a, f);
}

void security_icmp(analysis_t *a, const packet_t *p) {
        if (security_addr_unicast(&p->dst))
                security_flood_icmp(a, p);
}

void security_diagnose(analysis_t *a) {
        security_scan_diagnose(a);
        security_flood_diagnose(a);
        security_brute_diagnose(a);
        security_dns_diagnose(a);
        security_exfil_diagnose(a);
        security_beacon_diagnose(a);
        security_lateral_diagnose(a);
}
