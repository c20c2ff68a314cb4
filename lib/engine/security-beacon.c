/* Beaconing (security-beaconing): an inside host opening new connections (or UDP flows) to one outside host
 * and port at regular intervals, the way an implant checks in with its controller. Each new flow from
 * inside to outside updates the mean and variance of its pair's intervals (Welford): a few numbers per pair,
 * nothing per packet. */
#include <math.h>
#include <string.h>

#include "engine.h"

/* Services that are periodic by design: DNS, NTP, DHCP, NetBIOS, mDNS, LLMNR, SSDP. */
static bool beacon_excluded(uint16_t port) {
        return port == 53 || port == 123 || port == 67 || port == 68 || port == 137 || port == 138 || port == 5353 ||
               port == 5355 || port == 1900;
}

void security_beacon_new(analysis_t *a, const flow_t *f, const packet_t *p) {
        if (p->proto == 6 ? (p->tcp.flags & (TCP_SYN | TCP_ACK)) != TCP_SYN : p->proto != 17)
                return;
        if (beacon_excluded(p->dport) || beacon_excluded(p->sport) || !security_addr_internal(&p->src) ||
            security_addr_internal(&p->dst))
                return;
        bool created;
        sec_beacon_t *e = security_find(a, &a->sec.beacon,
                                        &(sec_key_t) { .a = p->src, .b = p->dst, .port = p->dport, .proto = p->proto },
                                        true, &created);
        if (!e)
                return;
        if (created) {
                e->first_ts = p->ts_ns;
                e->first_frame = p->frame;
                security_flow_key(f, &e->example);
        } else if (p->ts_ns >= e->prev_ts) {
                double x = (double) (p->ts_ns - e->prev_ts) / 1e9;
                e->intervals++;
                double d = x - e->mean;
                e->mean += d / e->intervals;
                e->m2 += d * (x - e->mean);
        }
        e->prev_ts = p->ts_ns;
        e->n++;
}

static bool beacon_is(const analysis_t *a, const sec_beacon_t *e, double *ret_sd) {
        if (!e->k.used || e->n < threshold_value(a, TH_BEACON_MIN) || e->intervals < 2)
                return false;
        double sd = sqrt(e->m2 / e->intervals);
        *ret_sd = sd;
        return e->mean * 1e9 >= (double) threshold_ns(a, TH_BEACON_INTERVAL) &&
               sd * 100.0 <= threshold_value(a, TH_BEACON_JITTER) * e->mean;
}

void security_beacon_diagnose(analysis_t *a) {
        const sec_table_t *t = &a->sec.beacon;
        const sec_beacon_t *top = NULL;
        double top_sd = 0, sd;
        unsigned n = 0;
        for (uint32_t r = 0; r < t->t.top; r++) {
                const sec_beacon_t *e = table_entry(&t->t, r);
                if (!beacon_is(a, e, &sd))
                        continue;
                n++;
                if (!top || e->n > top->n || (e->n == top->n && e->first_frame < top->first_frame)) {
                        top = e;
                        top_sd = sd;
                }
        }
        if (!top)
                return;
        char in[64], out[64], filter[256];
        addr_format(&top->k.a, in, sizeof in);
        addr_format(&top->k.b, out, sizeof out);
        const char *ip = security_ip(&top->k.a);
        if (top->k.proto == 6)
                snprintf(filter, sizeof filter, "%s.src==%s && %s.dst==%s && tcp.dstport==%u && tcp.flags.syn==1 && "
                         "tcp.flags.ack==0", ip, in, ip, out, top->k.port);
        else
                snprintf(filter, sizeof filter, "%s.src==%s && %s.dst==%s && udp.dstport==%u", ip, in, ip, out,
                         top->k.port);
        finding_t *f = finding_add(a, "security-beaconing", 2, n > 1 ? 15 : 10, filter,
                                   "Beaconing: %s opened %u %s to %s port %u, one every %.1f s (standard deviation "
                                   "%.2f s)", in, top->n, top->k.proto == 6 ? "connections" : "UDP flows", out,
                                   top->k.port, top->mean, top_sd);
        if (!f)
                return;
        f->cause = CAUSE_SECURITY;
        finding_detail(f, "From frame %llu, over %.0f s. Implants check in with their controller on a timer; "
                          "people and most programs do not connect at a steady beat. Some legitimate software "
                          "polls the same way (update checks, telemetry, monitoring): check that %s is a "
                          "destination you know. Inside-outside pairs like this: %u.",
                       (unsigned long long) top->first_frame, security_span_s(top->first_ts, top->prev_ts), out, n);
        if (t->dropped)
                finding_detail(f, " %llu new flows were not followed (the table was full).",
                               (unsigned long long) t->dropped);
        finding_flow(f, &top->example, true);
}
