/* Port scans (security-port-scan): a source whose connection attempts fail on many ports of one host
 * (vertical) or on one port of many hosts (horizontal), by SYN or by packets no TCP stack sends (NULL, FIN,
 * XMAS). Judged when a flow retires: only failed attempts enter the tables, so ordinary traffic costs a
 * test of its first packet's flags. */
#include <string.h>

#include "engine.h"

static sec_scan_kind_t scan_kind(uint8_t fl) {
        if (fl & TCP_SYN)
                return SCAN_SYN;
        if (fl == 0)
                return SCAN_NULL;
        if ((fl & (TCP_FIN | TCP_PSH | TCP_URG)) == (TCP_FIN | TCP_PSH | TCP_URG))
                return SCAN_XMAS;
        if ((fl & ~(TCP_ECE | TCP_CWR)) == TCP_FIN)
                return SCAN_FIN;
        return SCAN_OTHER;
}

/* A flow that began without ACK or RST and never got anywhere: a SYN whose only answer was a reset or
 * nothing, from a sender that sent nothing but SYNs (a capture of one direction shows a client's ACK and
 * data); or a packet no stack sends outside a handshake (no SYN, no ACK, no RST) with no data after it. */
static bool scan_failed(const flow_t *f) {
        const tcp_conn_t *c = f->tcp;
        uint8_t fl = f->first_flags;
        if (!c || (fl & (TCP_ACK | TCP_RST)))
                return false;
        const tcp_dir_t *d = &c->d[security_first_dir(f)];
        if (d->data_segments > 0)
                return false;
        if (fl & TCP_SYN)
                return (c->hs < HS_SYNACK || c->refused) && d->packets <= c->syn_count;
        return true;
}

static void scan_count(analysis_t *a, sec_table_t *t, const sec_key_t *k, const flow_t *f, const flow_key_t *fk) {
        bool created;
        sec_scan_count_t *e = security_find(a, t, k, true, &created);
        if (!e)
                return;
        if (e->n < 2)
                e->example[e->n] = *fk;
        security_span_note(&e->first_ts, &e->last_ts, f->first_ts, created);
        if (created || f->first_ts <= e->first_ts)
                e->first_frame = f->first_frame;
        e->n++;
}

void security_scan_end(analysis_t *a, const flow_t *f) {
        if (f->key.proto != 6 || !scan_failed(f))
                return;
        sec_state_t *s = &a->sec;
        addr_t src, dst;
        uint16_t sport, dport;
        security_flow_ends(f, &src, &dst, &sport, &dport);
        sec_scan_kind_t kind = scan_kind(f->first_flags);
        s->probes++;
        if (kind != SCAN_SYN)
                s->stealth_probes++;
        sec_scan_src_t *se = security_find(a, &s->scan_src, &(sec_key_t) { .a = src }, true, NULL);
        if (se) {
                se->probes++;
                se->kinds[kind]++;
        }
        bool created;
        if (!security_find(a, &s->scan_probes, &(sec_key_t) { .a = src, .b = dst, .port = dport, .proto = 6 }, true,
                           &created) ||
            !created)
                return; /* this port of this host counted already (or the table is full: counted there) */
        flow_key_t fk;
        security_flow_key(f, &fk);
        scan_count(a, &s->scan_host, &(sec_key_t) { .a = src, .b = dst }, f, &fk);
        scan_count(a, &s->scan_port, &(sec_key_t) { .a = src, .port = dport }, f, &fk);
}

/* The entry with the most (ties: the earliest, then the one created first): deterministic whatever the key. */
static const sec_scan_count_t *scan_top(const sec_table_t *t, double min, unsigned *ret_over) {
        const sec_scan_count_t *best = NULL;
        *ret_over = 0;
        for (uint32_t r = 0; r < t->t.top; r++) {
                const sec_scan_count_t *e = table_entry(&t->t, r);
                if (!e->k.used || e->n < min)
                        continue;
                (*ret_over)++;
                if (!best || e->n > best->n || (e->n == best->n && e->first_ts < best->first_ts))
                        best = e;
        }
        return best;
}

void security_scan_diagnose(analysis_t *a) {
        sec_state_t *s = &a->sec;
        unsigned nv, nh;
        const sec_scan_count_t *v = scan_top(&s->scan_host, threshold_value(a, TH_SCAN_PORTS), &nv);
        const sec_scan_count_t *h = scan_top(&s->scan_port, threshold_value(a, TH_SCAN_HOSTS), &nh);
        if (!v && !h)
                return;
        /* the title names the scan that exceeds its threshold most */
        bool vert = v && (!h || (double) v->n / threshold_value(a, TH_SCAN_PORTS) >=
                                        (double) h->n / threshold_value(a, TH_SCAN_HOSTS));
        const sec_scan_count_t *top = vert ? v : h;
        char src[64], dst[64], filter[256];
        addr_format(&top->k.a, src, sizeof src);
        const char *ip = security_ip(&top->k.a);
        finding_t *f;
        unsigned sources = nv + nh;
        int penalty = 5 + 2 * (int) (sources > 6 ? 5 : sources - 1);
        if (vert) {
                addr_format(&top->k.b, dst, sizeof dst);
                snprintf(filter, sizeof filter, "%s.src==%s && %s.dst==%s && tcp.flags.ack==0 && tcp.flags.reset==0",
                         ip, src, ip, dst);
                f = finding_add(a, "security-port-scan", 2, penalty, filter,
                                "Port scan: %s probed %u closed or silent ports of %s in %.1f s", src, top->n, dst,
                                security_span_s(top->first_ts, top->last_ts));
        } else {
                snprintf(filter, sizeof filter, "%s.src==%s && tcp.dstport==%u && tcp.flags.ack==0 && tcp.flags.reset==0",
                         ip, src, top->k.port);
                f = finding_add(a, "security-port-scan", 2, penalty, filter,
                                "Port scan: %s probed port %u of %u hosts that did not answer, in %.1f s", src,
                                top->k.port, top->n, security_span_s(top->first_ts, top->last_ts));
        }
        if (!f)
                return;
        f->cause = CAUSE_SECURITY;
        const sec_scan_src_t *se = security_find(a, &s->scan_src, &(sec_key_t) { .a = top->k.a }, false, NULL);
        finding_detail(f, "Its attempts failed: nothing answered or a reset refused them (first at frame %llu). ",
                       (unsigned long long) top->first_frame);
        if (se)
                finding_detail(f, "Failed attempts from %s: %llu (SYN %u, NULL %u, FIN %u, XMAS %u, other flags %u; "
                                  "NULL, FIN and XMAS packets are sent by scanners, never by a TCP stack). ",
                               src, (unsigned long long) se->probes, se->kinds[SCAN_SYN], se->kinds[SCAN_NULL],
                               se->kinds[SCAN_FIN], se->kinds[SCAN_XMAS], se->kinds[SCAN_OTHER]);
        finding_detail(f, "Vertical scans (at least %.0f ports of one host): %u; horizontal scans (one port of at "
                          "least %.0f hosts): %u.",
                       threshold_value(a, TH_SCAN_PORTS), nv, threshold_value(a, TH_SCAN_HOSTS), nh);
        if (s->scan_probes.dropped || s->scan_host.dropped || s->scan_port.dropped || s->scan_src.dropped)
                finding_detail(f, " The scan tables were full (%u failed ports or hosts kept; %llu failed attempts "
                                  "on ones not seen before were left out): the figures are lower bounds.",
                               s->scan_probes.max, (unsigned long long) s->scan_probes.dropped);
        for (int i = 0; i < 2 && i < (int) top->n; i++)
                finding_flow(f, &top->example[i], true);
        const sec_scan_count_t *other = vert ? h : v;
        if (other && other != top)
                finding_flow(f, &other->example[0], true);
}
