/* Floods (security-syn-flood, security-udp-flood, security-icmp-flood): a host that receives many new
 * flows within one second (SYNs to one TCP port; UDP flows to any port) of which most never complete or get
 * no answer, or many ICMP messages within one second. The busiest second of each host is counted when its
 * flows start; how they ended when they retire. */
#include <string.h>

#include "engine.h"

static int64_t flood_second(const analysis_t *a, int64_t ts) {
        return ts >= a->first_ts ? (ts - a->first_ts) / NS_PER_S : -1 - (a->first_ts - ts) / NS_PER_S;
}

static double flood_min(const analysis_t *a) {
        double m = threshold_value(a, TH_FLOOD_SYN);
        if (threshold_value(a, TH_FLOOD_UDP) < m)
                m = threshold_value(a, TH_FLOOD_UDP);
        if (threshold_value(a, TH_FLOOD_ICMP) < m)
                m = threshold_value(a, TH_FLOOD_ICMP);
        return m;
}

/* The table is full: hosts whose busiest second is over and below every flood threshold make room, at most
 * once per second of capture (a flood of new hosts must not make every flow walk the table). */
static void flood_sweep(analysis_t *a, int64_t ts) {
        sec_state_t *s = &a->sec;
        if (s->flood.t.n < s->flood.max)
                return;
        if (s->flood_swept && ts >= s->flood_sweep_ts && ts - s->flood_sweep_ts < NS_PER_S)
                return;
        s->flood_swept = true;
        s->flood_sweep_ts = ts;
        int64_t w = flood_second(a, ts);
        double min = flood_min(a);
        for (uint32_t r = 0; r < s->flood.t.top; r++) {
                sec_flood_t *e = table_entry(&s->flood.t, r);
                if (e->k.used && e->win < w && e->peak_n < min)
                        security_remove(&s->flood, e);
        }
}

static void flood_note(analysis_t *a, const packet_t *p, const sec_key_t *victim) {
        sec_state_t *s = &a->sec;
        flood_sweep(a, p->ts_ns);
        bool created;
        sec_flood_t *e = security_find(a, &s->flood, victim, true, &created);
        if (!e)
                return;
        int64_t w = flood_second(a, p->ts_ns);
        if (created || w != e->win) {
                e->win = w;
                e->win_n = 0;
                e->win_frame = p->frame;
        }
        e->win_n++;
        e->flows++;
        if (created)
                e->example = (flow_key_t) { .a = p->src, .b = p->dst, .pa = p->sport, .pb = p->dport,
                                            .proto = p->proto };
        if (e->win_n > e->peak_n) {
                e->peak_n = e->win_n;
                e->peak_win = e->win;
                e->first_frame = e->win_frame;
        }
}

void security_flood_new(analysis_t *a, const packet_t *p, const sec_key_t *victim) {
        flood_note(a, p, victim);
}

void security_flood_icmp(analysis_t *a, const packet_t *p) {
        flood_note(a, p, &(sec_key_t) { .b = p->dst, .proto = p->proto });
}

void security_flood_end(analysis_t *a, const flow_t *f) {
        sec_key_t victim = { .proto = f->key.proto };
        addr_t src;
        uint16_t sport, dport;
        security_flow_ends(f, &src, &victim.b, &sport, &dport);
        int d = security_first_dir(f);
        bool answered;
        if (f->key.proto == 6) {
                if (!f->tcp || (f->first_flags & (TCP_SYN | TCP_ACK)) != TCP_SYN)
                        return;
                victim.port = dport;
                /* completed, or (a capture of one direction) the client went on to send data */
                answered = f->tcp->hs == HS_DONE || f->tcp->d[d].data_segments > 0;
        } else if (f->key.proto == 17)
                answered = f->u[!d].packets > 0;
        else
                return;
        sec_flood_t *e = security_find(a, &a->sec.flood, &victim, false, NULL);
        if (!e)
                return;
        e->ended++;
        if (!answered)
                e->unanswered++;
}

static bool flood_is(const analysis_t *a, const sec_flood_t *e) {
        if (!e->k.used)
                return false;
        if (e->k.proto == 1 || e->k.proto == 58)
                return e->peak_n >= threshold_value(a, TH_FLOOD_ICMP);
        double min = threshold_value(a, e->k.proto == 6 ? TH_FLOOD_SYN : TH_FLOOD_UDP);
        return e->peak_n >= min && e->ended > 0 &&
               100.0 * (double) e->unanswered >= threshold_value(a, TH_FLOOD_UNANSWERED) * (double) e->ended;
}

static void flood_finding(analysis_t *a, int kind) {
        const sec_table_t *t = &a->sec.flood;
        const sec_flood_t *top = NULL;
        unsigned victims = 0;
        for (uint32_t r = 0; r < t->t.top; r++) {
                const sec_flood_t *e = table_entry(&t->t, r);
                int k = e->k.proto == 6 ? 0 : e->k.proto == 17 ? 1 : 2;
                if (k != kind || !flood_is(a, e))
                        continue;
                victims++;
                if (!top || e->peak_n > top->peak_n || (e->peak_n == top->peak_n && e->first_frame < top->first_frame))
                        top = e;
        }
        if (!top)
                return;
        char v[64], filter[256];
        addr_format(&top->k.b, v, sizeof v);
        const char *ip = security_ip(&top->k.b);
        double un = top->ended ? 100.0 * (double) top->unanswered / (double) top->ended : 0;
        int penalty = victims > 1 ? 20 : 15;
        finding_t *f;
        if (kind == 0) {
                snprintf(filter, sizeof filter, "%s.dst==%s && tcp.dstport==%u && tcp.flags.syn==1 && tcp.flags.ack==0",
                         ip, v, top->k.port);
                f = finding_add(a, "security-syn-flood", 3, penalty, filter,
                                "SYN flood: %s port %u received %u connection attempts within one second; %.0f%% of "
                                "its %llu never completed", v, top->k.port, top->peak_n, un,
                                (unsigned long long) top->ended);
        } else if (kind == 1) {
                snprintf(filter, sizeof filter, "%s.dst==%s && udp", ip, v);
                f = finding_add(a, "security-udp-flood", 3, penalty, filter,
                                "UDP flood: %s received %u new UDP flows within one second; %.0f%% of its %llu got "
                                "no answer", v, top->peak_n, un, (unsigned long long) top->ended);
        } else {
                snprintf(filter, sizeof filter, "%s.dst==%s && %s", ip, v, top->k.proto == 58 ? "icmpv6" : "icmp");
                f = finding_add(a, "security-icmp-flood", 3, penalty, filter,
                                "ICMP flood: %s received %u ICMP messages within one second (%llu in all)", v,
                                top->peak_n, (unsigned long long) top->flows);
        }
        if (!f)
                return;
        f->cause = CAUSE_SECURITY;
        finding_detail(f, "The busiest second began %lld s into the capture, at frame %llu. ",
                       (long long) top->peak_win, (unsigned long long) top->first_frame);
        if (kind < 2)
                finding_detail(f, "A flood sends far more than the host can serve, from many sources or ports "
                                  "(often spoofed), and does not wait for answers; a busy server gets as many "
                                  "connections but completes them. Hosts flooded: %u.", victims);
        else
                finding_detail(f, "Hosts flooded: %u.", victims);
        if (a->sec.flood.dropped)
                finding_detail(f, " %llu new flows were not counted (the table of receiving hosts was full).",
                               (unsigned long long) a->sec.flood.dropped);
        if (a->flows_over_limit_packets)
                finding_detail(f, " Packets beyond the flow limit (%llu) are not counted.",
                               (unsigned long long) a->flows_over_limit_packets);
        finding_flow(f, &top->example, true);
}

void security_flood_diagnose(analysis_t *a) {
        for (int k = 0; k < 3; k++)
                flood_finding(a, k);
}
