/* ICMP (RFC 792, RFC 1191 for fragmentation needed) and ICMPv6 (RFC 4443, RFC 8201 packet too big):
 * types and codes, unreachables, time exceeded, path-MTU signals. */
#include <string.h>

#include "engine.h"

void icmp_packet(analysis_t *a, const packet_t *p) {
        bool v6 = p->proto == 58;
        uint8_t type = p->icmp_type, code = p->icmp_code;
        if (v6) {
                a->icmp.msgs6++;
                a->icmp.types6[type]++;
        } else {
                a->icmp.msgs++;
                a->icmp.types[type]++;
        }
        a->icmp.codes[v6][type][code < 16 ? code : 15]++;

        bool unreach = v6 ? type == 1 : type == 3;
        bool texc = v6 ? type == 3 : type == 11;
        bool mtu = v6 ? type == 2 : (type == 3 && code == 4);
        if (mtu) {
                if (v6)
                        a->icmp.ptb++;
                else
                        a->icmp.frag_needed++;
                if (p->icmp_mtu && (a->icmp.min_mtu == 0 || p->icmp_mtu < a->icmp.min_mtu))
                        a->icmp.min_mtu = p->icmp_mtu;
        } else if (unreach)
                a->icmp.unreach++;
        else if (texc)
                a->icmp.time_exceeded++;
        else if (!v6 && type == 5)
                a->icmp.redirect++;
        if (mtu && p->quote.valid && p->quote.proto == 6) {
                /* tell the connection: its next retransmissions answer this signal, not a timeout */
                packet_t q = { .src = p->quote.src, .dst = p->quote.dst, .sport = p->quote.sport,
                               .dport = p->quote.dport, .proto = 6 };
                flow_key_t k;
                bool swapped, created;
                flow_key_make(&k, &q, &swapped);
                flow_t *f = flow_lookup(a, &k, p->ts_ns, false, &created);
                if (f && f->tcp)
                        f->tcp->pmtu_ts = p->ts_ns;
        }
        if (unreach || texc || mtu) {
                event_t e = { .ts = p->ts_ns, .frame = p->frame, .kind = EV_ICMP, .sub = type, .sub2 = v6,
                              .value = code };
                if (p->quote.valid) {
                        /* the flow the error is about: the quoted packet's own direction */
                        e.key.a = p->quote.src;
                        e.key.b = p->quote.dst;
                        e.key.pa = p->quote.sport;
                        e.key.pb = p->quote.dport;
                        e.key.proto = p->quote.proto;
                } else {
                        e.key.a = p->dst;
                        e.key.b = p->src;
                        e.key.proto = p->proto;
                }
                e.dur = mtu ? p->icmp_mtu : 0;
                /* remember who reported it: routers' time exceeded are diagnosis material */
                addr_t reporter = p->src;
                char buf[64];
                addr_format(&reporter, buf, sizeof buf);
                size_t l = strlen(buf);
                memcpy(e.text, buf, l);
                e.text_len = (uint8_t) l;
                event_add(a, EV_ICMP, &e);
        }
}
