/* DNS tunnelling (security-dns-tunnel): one client sending many queries under one domain whose names carry
 * data (long and random labels before the domain: encoded bytes), or TXT/NULL queries for ever new names
 * (the record types tunnels read their answers from). Only such queries enter the table. */
#include <string.h>

#include "engine.h"
#include "util/macro.h"

/* Text from a packet for a title: printable ASCII only. */
static void dns_printable(char *dst, size_t dlen, const char *src, size_t n) {
        size_t k = 0;
        for (size_t i = 0; i < n && k + 1 < dlen; i++)
                dst[k++] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
        dst[k] = 0;
}

/* A domain fit for a display filter between quotes: letters, digits, '-', '_' and '.'. */
static bool dns_filter_safe(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '_' || c == '.'))
                        return false;
        }
        return n > 0;
}

void security_dns_query(analysis_t *a, const packet_t *p, const dns_name_t *name, uint16_t qtype) {
        if (!name->len || !name->domain_len)
                return;
        bool txt_null = qtype == 16 || qtype == 10;
        double ent = 0;
        bool carrier = false;
        if (name->sub_bytes >= threshold_value(a, TH_DNS_TUNNEL_LABEL)) {
                /* the labels before the domain, as far as the text was kept, without their dots */
                char sub[96];
                size_t n = 0, have = MIN((size_t) name->sub_bytes, (size_t) name->len);
                for (size_t i = 0; i < have; i++)
                        if (name->text[i] != '.')
                                sub[n++] = name->text[i];
                ent = security_entropy_pct(sub, n);
                carrier = ent >= threshold_value(a, TH_DNS_TUNNEL_ENTROPY);
        }
        if (!carrier && !txt_null)
                return;
        /* the domain, case folded, hashed under the analysis's key into the entry's key */
        char dom[SEC_DOMAIN_MAX];
        for (unsigned i = 0; i < name->domain_len; i++) {
                char c = name->domain[i];
                dom[i] = c >= 'A' && c <= 'Z' ? (char) (c + 32) : c;
        }
        sec_key_t k = { .a = p->src, .proto = 53 };
        uint64_t h = siphash13(&a->key, dom, name->domain_len);
        memcpy(k.b.b, &h, sizeof h);
        bool created;
        sec_dns_t *e = security_find(a, &a->sec.dns, &k, true, &created);
        if (!e)
                return;
        if (created) {
                memcpy(e->domain, dom, name->domain_len);
                e->domain_len = name->domain_len;
                e->first_frame = p->frame;
                e->flow = (flow_key_t) { .a = p->src, .b = p->dst, .pa = p->sport, .pb = p->dport, .proto = p->proto };
        }
        security_span_note(&e->first_ts, &e->last_ts, p->ts_ns, created);
        if (carrier) {
                if (!e->carriers)
                        dns_printable(e->example, sizeof e->example, name->text, MIN((size_t) name->len, sizeof e->example - 1));
                e->carriers++;
                e->sub_bytes += name->sub_bytes;
                e->entropy_sum += ent;
                a->sec.dns_carriers++;
        }
        if (txt_null && (created || name->hash != e->last_name))
                e->txt_null++;
        e->last_name = name->hash;
}

void security_dns_diagnose(analysis_t *a) {
        const sec_table_t *t = &a->sec.dns;
        double min = threshold_value(a, TH_DNS_TUNNEL_QUERIES);
        const sec_dns_t *top = NULL;
        unsigned n = 0;
        for (uint32_t r = 0; r < t->t.top; r++) {
                const sec_dns_t *e = table_entry(&t->t, r);
                if (!e->k.used || (e->carriers < min && e->txt_null < min))
                        continue;
                n++;
                uint32_t v = e->carriers + e->txt_null, tv = top ? top->carriers + top->txt_null : 0;
                if (!top || v > tv || (v == tv && e->first_frame < top->first_frame))
                        top = e;
        }
        if (!top)
                return;
        char c[64], dom[SEC_DOMAIN_MAX], filter[256];
        addr_format(&top->k.a, c, sizeof c);
        dns_printable(dom, sizeof dom, top->domain, top->domain_len);
        const char *ip = security_ip(&top->k.a);
        if (dns_filter_safe(top->domain, top->domain_len))
                snprintf(filter, sizeof filter, "%s.src==%s && dns.flags.response==0 && dns.qry.name contains \"%s\"",
                         ip, c, dom);
        else
                snprintf(filter, sizeof filter, "%s.src==%s && dns.flags.response==0", ip, c);
        double span = security_span_s(top->first_ts, top->last_ts);
        finding_t *f;
        if (top->carriers >= min)
                f = finding_add(a, "security-dns-tunnel", 2, n > 1 ? 15 : 10, filter,
                                "DNS tunnel: %s sent %u queries carrying data under %s (%.0f bytes of name each) in "
                                "%.1f s", c, top->carriers, dom, (double) top->sub_bytes / (double) top->carriers, span);
        else
                f = finding_add(a, "security-dns-tunnel", 2, n > 1 ? 15 : 10, filter,
                                "DNS tunnel: %s asked %u TXT/NULL records of new names under %s in %.1f s", c,
                                top->txt_null, dom, span);
        if (!f)
                return;
        f->cause = CAUSE_SECURITY;
        if (top->carriers)
                finding_detail(f, "Names such as \"%s…\": labels of at least %.0f bytes before the domain, of "
                                  "%.0f%% of the entropy their length allows on average (ordinary host names are "
                                  "short words). ",
                               top->example, threshold_value(a, TH_DNS_TUNNEL_LABEL),
                               top->entropy_sum / (double) top->carriers);
        finding_detail(f, "%u of the queries carried data in their names, %u asked TXT or NULL records for a new "
                          "name, from frame %llu. A tunnel (iodine, dnscat2, DNS exfiltration by malware) encodes "
                          "its data into the names it asks for and reads the answers' TXT/NULL records; some "
                          "security products look up hashes the same way. Clients and domains like this: %u.",
                       top->carriers, top->txt_null, (unsigned long long) top->first_frame, n);
        if (t->dropped)
                finding_detail(f, " %llu queries were not counted (the table was full).", (unsigned long long) t->dropped);
        finding_flow(f, &top->flow, true);
}
