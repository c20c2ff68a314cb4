/* The HTML report: DNS. */
#include "report-html-page.h"

/* ---- DNS ---- */

/* One row for DNS found on other UDP ports (dns_other_message), apart from every other figure. */
static void dns_other_row(html_ctx_t *c) {
        const dns_other_t *o = &c->a->dns_other;
        if (!o->s.queries)
                return;
        char hint[256], *h = hint;
        size_t left = sizeof hint;
        int n = snprintf(h, left, "port%s", o->n_ports > 1 ? "s" : "");
        for (unsigned i = 0; i < o->n_ports && n > 0 && (size_t) n < left; i++) {
                h += n;
                left -= (size_t) n;
                n = snprintf(h, left, "%s %u", i ? "," : "", o->ports[i].port);
        }
        if (n > 0 && (size_t) n < left) {
                h += n;
                left -= (size_t) n;
                snprintf(h, left, "%s; %llu answered, %llu unanswered; not in the other DNS figures",
                         o->unlisted_port_queries ? " and more" : "", (unsigned long long) o->s.responses,
                         (unsigned long long) o->s.unanswered);
        }
        kv_u64(c, "Queries on other UDP ports", o->s.queries, hint);
}

void html_sec_dns(html_ctx_t *c) {
        const analysis_t *a = c->a;
        const dns_state_t *d = &a->dns;
        section_begin(c, "dns", "DNS");
        if (!d->queries && !d->responses) {
                para(c, "muted", a->dns_other.s.queries ? "No DNS on ports 53, 5353 and 5355." : "No DNS in this capture.");
                if (a->dns_other.s.queries) {
                        kv_begin(c);
                        dns_other_row(c);
                        kv_end(c);
                }
                section_end(c);
                return;
        }
        out(c, "<div class=\"grid2\"><div>");
        kv_begin(c);
        kv_u64(c, "Queries", d->queries, NULL);
        kv_u64(c, "Responses", d->responses, NULL);
        kv_u64(c, "Unanswered", d->unanswered, "no response within 5 s, or none before the capture ended");
        if (a->dns_unanswered_multicast)
                kv_u64(c, "of which multicast", a->dns_unanswered_multicast, "mDNS / LLMNR: silence is normal, not an error");
        kv_u64(c, "Repeated queries", d->repeated, "same id and 5-tuple sent again (client retries)");
        kv_u64(c, "Responses without a query", d->unmatched_responses, "the query was before the capture, or not seen");
        kv_u64(c, "Truncated responses", d->truncated_flag, "TC flag: the client must retry over TCP");
        kv_u64(c, "Messages over TCP", d->tcp_messages, NULL);
        if (d->dropped_pending)
                kv_u64(c, "Queries not tracked", d->dropped_pending, "too many waiting at once (limit)");
        dns_other_row(c);
        kv_end(c);
        out(c, "</div><div>");
        table_begin(c, NULL, "Response code", "#Responses", "#Share", "Meaning", NULL);
        bool any = false;
        for (unsigned i = 0; i < 16; i++)
                if (d->rcodes[i]) {
                        any = true;
                        out(c, "<tr><td>%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"hint\">%s</td></tr>\n",
                            dns_rcode_name(i), num(c, d->rcodes[i]), pct(c, (double) d->rcodes[i], (double) d->responses),
                            names_dns_rcode_meaning(i));
                }
        if (!any)
                out(c, "<tr><td colspan=\"4\" class=\"muted\">No response.</td></tr>\n");
        table_end(c);
        out(c, "</div></div>\n");

        quantiles_begin(c);
        quantile_row(c, "Response time", &d->rt, "query to its response, matched by id and 5-tuple");
        table_end(c);
        out(c, "<div class=\"grid2\"><div>");
        html_chart_durations(c->f, "DNS response-time distribution", "query → response", "responses", NULL, &d->rt);
        out(c, "</div>");
        unsigned n = series_len(a);
        bool fails = false;
        for (unsigned i = 0; i < n; i++)
                if (a->series.b[i].dns_fail)
                        fails = true;
        if (n && fails) {
                double v[SERIES_BUCKETS];
                for (unsigned i = 0; i < n; i++)
                        v[i] = a->series.b[i].dns_fail;
                html_series_t s[] = { { "Failed or unanswered", 3, HTML_BARS, v } };
                html_time_chart_t ch = { .title = "DNS failures over time", .y_unit = "queries", .n = n, .narrow = true,
                                         .dx = (double) a->series.width / 1e9, .s = s, .n_series = 1,
                                         .note = "SERVFAIL, REFUSED, FORMERR, NOTIMP and unanswered queries (not NXDOMAIN)." };
                out(c, "<div>");
                html_chart_time(c->f, &ch);
                out(c, "</div>");
        }
        out(c, "</div>\n");
        html_events_table(c, EV_DNS_ERROR, "Error answers", "Names are shown byte for byte: anything that is not printable "
                                                        "ASCII appears as \\xNN.");
        html_events_table(c, EV_DNS_UNANSWERED, "Unanswered queries", NULL);
        html_events_table(c, EV_DNS_SLOW, "Slow answers (over 200 ms)", NULL);
        section_end(c);
}

/* ---- ICMP, fragments, timing ---- */
