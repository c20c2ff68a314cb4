/* Brute force (security-brute-force): many short connections from one client to one login service (SSH,
 * Telnet, FTP, mail, RDP, VNC, databases) or web server, each completed, each short and small, close
 * together on average: a tool trying one password (or a few) per connection. Judged when flows retire;
 * only such connections enter the table. */
#include <string.h>

#include "engine.h"

static const uint16_t login_ports[] = {
        21,   /* FTP */        22,   /* SSH */       23,    /* Telnet */    110,  /* POP3 */
        143,  /* IMAP */       389,  /* LDAP */      465,   /* SMTPS */     587,  /* submission */
        993,  /* IMAPS */      995,  /* POP3S */     1433,  /* MS SQL */    1521, /* Oracle */
        3306, /* MySQL */      3389, /* RDP */       5432,  /* PostgreSQL */ 5900, /* VNC */
        6379, /* Redis */      27017, /* MongoDB */
};
static const uint16_t web_ports[] = { 80, 443, 8000, 8080, 8443 };

static bool port_in(uint16_t p, const uint16_t *v, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (v[i] == p)
                        return true;
        return false;
}

static bool brute_web(uint16_t port) {
        return port_in(port, web_ports, sizeof web_ports / sizeof web_ports[0]);
}

void security_brute_end(analysis_t *a, const flow_t *f) {
        if (!security_flow_connected(f))
                return;
        addr_t src, dst;
        uint16_t sport, dport;
        security_flow_ends(f, &src, &dst, &sport, &dport);
        if (!brute_web(dport) && !port_in(dport, login_ports, sizeof login_ports / sizeof login_ports[0]))
                return;
        uint64_t server_bytes = f->u[!security_first_dir(f)].bytes;
        if (f->last_ts - f->first_ts > threshold_ns(a, TH_BRUTE_SESSION) ||
            (double) server_bytes > threshold_value(a, TH_BRUTE_SESSION_BYTES))
                return;
        bool created;
        sec_brute_t *e = security_find(a, &a->sec.brute, &(sec_key_t) { .a = src, .b = dst, .port = dport, .proto = 6 },
                                       true, &created);
        if (!e)
                return;
        if (created || f->first_ts < e->first_ts) {
                e->first_frame = f->first_frame;
                security_flow_key(f, &e->example);
        }
        security_span_note(&e->first_ts, &e->last_ts, f->first_ts, created);
        e->n++;
        e->server_bytes += server_bytes;
}

static bool brute_is(const analysis_t *a, const sec_brute_t *e) {
        double min = threshold_value(a, brute_web(e->k.port) ? TH_BRUTE_WEB_ATTEMPTS : TH_BRUTE_ATTEMPTS);
        if (!e->k.used || e->n < min || e->n < 2)
                return false;
        /* the mean interval between their starts */
        return (double) (e->last_ts - e->first_ts) / (double) (e->n - 1) <= (double) threshold_ns(a, TH_BRUTE_INTERVAL);
}

void security_brute_diagnose(analysis_t *a) {
        const sec_table_t *t = &a->sec.brute;
        const sec_brute_t *top = NULL;
        unsigned n = 0;
        for (uint32_t r = 0; r < t->t.top; r++) {
                const sec_brute_t *e = table_entry(&t->t, r);
                if (!brute_is(a, e))
                        continue;
                n++;
                if (!top || e->n > top->n || (e->n == top->n && e->first_frame < top->first_frame))
                        top = e;
        }
        if (!top)
                return;
        char c[64], s[64], filter[256];
        addr_format(&top->k.a, c, sizeof c);
        addr_format(&top->k.b, s, sizeof s);
        const char *ip = security_ip(&top->k.a);
        snprintf(filter, sizeof filter, "%s.src==%s && %s.dst==%s && tcp.dstport==%u && tcp.flags.syn==1 && "
                 "tcp.flags.ack==0", ip, c, ip, s, top->k.port);
        double span = security_span_s(top->first_ts, top->last_ts);
        finding_t *f = finding_add(a, "security-brute-force", 2, n > 1 ? 15 : 10, filter,
                                   "Brute force: %s opened %u short connections to %s port %u in %.1f s", c, top->n, s,
                                   top->k.port, span);
        if (!f)
                return;
        f->cause = CAUSE_SECURITY;
        finding_detail(f, "Each lasted at most %.0f s with at most %.0f bytes from the server (%.0f on average), "
                          "one every %.2f s on average from frame %llu: a tool trying passwords one connection at a "
                          "time. Ordinary clients keep one session open; automation that opens a new session per "
                          "command (scripts, configuration management without connection sharing) looks the same. "
                          "Client-service pairs like this: %u.",
                       (double) threshold_ns(a, TH_BRUTE_SESSION) / 1e9, threshold_value(a, TH_BRUTE_SESSION_BYTES),
                       (double) top->server_bytes / (double) top->n, span / (double) (top->n - 1),
                       (unsigned long long) top->first_frame, n);
        if (t->dropped)
                finding_detail(f, " %llu connections were not counted (the table was full).",
                               (unsigned long long) t->dropped);
        finding_flow(f, &top->example, true);
}
