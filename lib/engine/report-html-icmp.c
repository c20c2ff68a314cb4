/* The HTML report: ICMP and IP fragments. */
#include "report-html-page.h"

/* ---- ICMP, fragments, timing ---- */

void html_sec_icmp(html_ctx_t *c) {
        const analysis_t *a = c->a;
        section_begin(c, "icmp", "ICMP and ICMPv6");
        if (!a->icmp.msgs && !a->icmp.msgs6) {
                para(c, "muted", "No ICMP in this capture.");
                section_end(c);
                return;
        }
        out(c, "<div class=\"grid2\"><div>");
        kv_begin(c);
        kv_u64(c, "ICMP messages", a->icmp.msgs, NULL);
        kv_u64(c, "ICMPv6 messages", a->icmp.msgs6, NULL);
        kv_u64(c, "Destination unreachable", a->icmp.unreach, NULL);
        kv_u64(c, "Time exceeded", a->icmp.time_exceeded, "TTL / hop limit ran out: a routing loop, or traceroute");
        kv_u64(c, "Fragmentation needed", a->icmp.frag_needed, "IPv4 path MTU discovery");
        kv_u64(c, "Packet too big", a->icmp.ptb, "IPv6 path MTU discovery");
        kv_u64(c, "Redirects", a->icmp.redirect, NULL);
        if (a->icmp.min_mtu) {
                char *s = slot(c);
                snprintf(s, SLOT, "%" PRIu32 " bytes", a->icmp.min_mtu);
                kv(c, "Smallest MTU reported", s, "from fragmentation-needed / packet-too-big messages");
        }
        kv_end(c);
        out(c, "</div><div>");
        table_begin(c, NULL, "Family", "#Type", "#Code", "Meaning", "#Messages", NULL);
        unsigned rows = 0;
        for (int v6 = 0; v6 < 2; v6++)
                for (int t = 0; t < 256; t++) {
                        const uint64_t total = v6 ? a->icmp.types6[t] : a->icmp.types[t];
                        if (!total)
                                continue;
                        uint64_t coded = 0;
                        for (int code = 0; code < 16; code++) {
                                uint64_t m = a->icmp.codes[v6][t][code];
                                if (!m)
                                        continue;
                                coded += m;
                                const char *tn, *cn;
                                names_icmp(v6, (unsigned) t, (unsigned) code, &tn, &cn);
                                if (rows++ < ROWS_MAX)
                                        out(c, "<tr><td>%s</td><td class=\"n\">%d</td><td class=\"n\">%d</td><td>%s%s%s</td>"
                                               "<td class=\"n\">%s</td></tr>\n",
                                            v6 ? "ICMPv6" : "ICMP", t, code, tn, cn ? ": " : "", cn ? cn : "", num(c, m));
                        }
                        if (total > coded && rows++ < ROWS_MAX) {
                                const char *tn, *cn;
                                names_icmp(v6, (unsigned) t, 255, &tn, &cn);
                                out(c, "<tr><td>%s</td><td class=\"n\">%d</td><td class=\"n\">≥ 16</td><td>%s</td><td class=\"n\">%s</td></tr>\n",
                                    v6 ? "ICMPv6" : "ICMP", t, tn, num(c, total - coded));
                        }
                }
        table_end(c);
        out(c, "</div></div>\n");
        html_events_table(c, EV_ICMP, "ICMP errors", "The flow column is the packet the error quotes, in its own direction.");
        section_end(c);
}

void html_sec_fragments(html_ctx_t *c) {
        const analysis_t *a = c->a;
        const frag_state_t *s = &a->frag;
        section_begin(c, "fragments", "IP fragments");
        if (!s->fragments) {
                para(c, "muted", "No fragmented IP datagram.");
                section_end(c);
                return;
        }
        kv_begin(c);
        kv_u64(c, "Fragments", s->fragments, NULL);
        kv_u64(c, "IPv4 fragments", s->v4_fragments, NULL);
        kv_u64(c, "IPv6 fragments", s->v6_fragments, NULL);
        kv_u64(c, "Datagrams", s->datagrams, "distinct (source, destination, protocol, id)");
        kv_u64(c, "Complete", s->completed, "every byte of the datagram was seen");
        kv_u64(c, "Incomplete", s->incomplete, "a fragment never arrived here: the whole datagram is lost for the receiver");
        if (s->overflow)
                kv_u64(c, "Not tracked", s->overflow, "too many datagrams in reassembly at once (limit)");
        kv_end(c);
        section_end(c);
}
