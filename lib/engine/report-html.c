/* The self-contained HTML report: where the time went first, then the findings, the health score and one
 * section per analysis (each in its own file, report-html-*.c), with tables and inline SVG charts. No
 * script and no external resource (the daemon serves it under "default-src 'none'"); every string that
 * comes from a packet is escaped byte by byte. The analysis is only read. This file writes the page: its
 * head, the overview, the navigation and the event tables the sections share. */
#include "report-html-page.h"

static void page_head(html_ctx_t *c) {
        out(c, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
               "<meta name=\"color-scheme\" content=\"light dark\">\n"
               "<meta name=\"generator\" content=\"pcapd %s\">\n"
               "<title>Capture analysis: health %d/100 - pcapd</title>\n<style>\n", PCAPD_VERSION, c->a->health);
        fputs(report_html_css, c->f);
        out(c, "</style></head>\n<body><main>\n");
}


static void page_overview(html_ctx_t *c) {
        const analysis_t *a = c->a;
        char t0[64], t1[64];
        out(c, "<header><div class=\"brand\">pcapd · capture analysis report</div><h1>Capture analysis</h1>"
               "<p class=\"sub\">");
        if (a->have_ts)
                out(c, "%s → %s · ", html_fmt_ts(a->first_ts, a->nanosecond, t0, sizeof t0),
                    html_fmt_ts(a->last_ts, a->nanosecond, t1, sizeof t1));
        html_text(c->f, a->file_format[0] ? a->file_format : "packets fed one by one");
        if (a->file_size)
                out(c, " file of %s", bytes(c, a->file_size));
        out(c, "</p></header>\n");

        unsigned sev[4] = { 0 };
        for (unsigned i = 0; i < a->n_findings; i++)
                sev[a->findings[i].severity >= 3 ? 3 : a->findings[i].severity < 1 ? 1 : a->findings[i].severity]++;
        const char *verdict = a->n_findings == 0 ? "No problem found"
                              : a->health >= 90   ? "Minor problems"
                              : a->health >= 70   ? "Problems worth a look"
                                                  : "Serious problems";
        out(c, "<div class=\"overview\"><div class=\"card health\">");
        html_chart_gauge(c->f, a->health);
        out(c, "<div><div class=\"k\">Health score</div><div class=\"verdict\">%s</div><div class=\"counts\">", verdict);
        if (!a->n_findings)
                out(c, "<span class=\"badge ok\">no findings</span>");
        for (int s = 3; s >= 1; s--)
                if (sev[s])
                        out(c, "<span class=\"badge %s\">%u %s</span>", sev_class(s), sev[s],
                            s == 3 ? "critical" : s == 2 ? (sev[s] > 1 ? "warnings" : "warning") : "info");
        out(c, "</div><div class=\"muted how\"><a href=\"#health\">How the score is made</a></div>"
               "</div></div>\n");
        double d = html_duration_s(a);
        char rate[48];
        out(c, "<div class=\"stats\">");
        out(c, "<div class=\"card\"><div class=\"k\">Packets</div><div class=\"v\">%s</div></div>", num(c, a->packets));
        out(c, "<div class=\"card\"><div class=\"k\">Bytes on the wire</div><div class=\"v\">%s</div></div>",
            bytes(c, a->bytes_wire));
        out(c, "<div class=\"card\"><div class=\"k\">Duration</div><div class=\"v\">%s</div></div>",
            a->have_ts ? dur(c, a->last_ts - a->first_ts) : "–");
        out(c, "<div class=\"card\"><div class=\"k\">Average rate</div><div class=\"v\">%s</div></div>",
            d > 0 ? html_fmt_bits((double) a->bytes_wire * 8 / d, rate, sizeof rate) : "–");
        out(c, "<div class=\"card\"><div class=\"k\">TCP connections</div><div class=\"v\">%s</div></div>",
            num(c, a->tcp.conns));
        out(c, "<div class=\"card\"><div class=\"k\">DNS queries</div><div class=\"v\">%s</div></div>", num(c, a->dns.queries));
        out(c, "</div></div>\n");
}

/* What was not analysed, said once at the top and again in the capture section. */
void html_partial_notice(html_ctx_t *c) {
        const analysis_t *a = c->a;
        if (!analysis_is_partial(a) && !a->flows_over_limit_packets)
                return;
        out(c, "<div class=\"notice\"><strong>Partial analysis.</strong> ");
        if (a->truncated) {
                out(c, "The capture file ends inside a packet record: everything up to the cut was analysed");
                if (a->file_size)
                        out(c, " (%s of %s bytes read)", num(c, a->bytes_read), num(c, a->file_size));
                out(c, ". ");
                if (a->read_error[0]) {
                        out(c, "Reader: ");
                        html_textn(c->f, a->read_error, strnlen(a->read_error, sizeof a->read_error));
                        out(c, ". ");
                }
        }
        if (a->packet_limit_hit)
                out(c, "Only the first %s packets were analysed (packet limit). ", num(c, a->lim.max_packets));
        if (a->flows_over_limit_packets) {
                out(c, "%s packets belonged to flows that arrived while %s were already tracked (flow limit)",
                    num(c, a->flows_over_limit_packets), num(c, a->lim.max_flows));
                out(c, ": they count in the totals, protocols, talkers and DNS, not in the per-connection analyses. ");
        }
        out(c, "</div>\n");
}

static void page_nav(html_ctx_t *c) {
        out(c, "<nav class=\"toc\"><a href=\"#time\">Where the time went</a><a href=\"#findings\">Findings</a><a href=\"#health\">Health score</a>"
               "<a href=\"#capture\">Capture</a><a href=\"#protocols\">Protocols</a><a href=\"#talkers\">Top talkers</a>"
               "<a href=\"#services\">Services</a><a href=\"#tcp\">TCP</a><a href=\"#connections\">Connections</a><a href=\"#jitter\">Jitter</a><a href=\"#dns\">DNS</a><a href=\"#icmp\">ICMP</a>"
               "<a href=\"#fragments\">IP fragments</a><a href=\"#timing\">Timing</a><a href=\"#thresholds\">Thresholds</a></nav>\n");
}

/* ---- event lists ---- */

static void ev_flow_cell(html_ctx_t *c, const flow_key_t *k) {
        out(c, "<td class=\"flow\">%s</td>", flow(c, k));
}

static void dns_name_cell(html_ctx_t *c, const event_t *e) {
        out(c, "<td class=\"name\">");
        size_t n = e->text_len < sizeof e->text ? e->text_len : sizeof e->text;
        if (n)
                html_bytes(c->f, e->text, n);
        else
                out(c, "<span class=\"muted\">(no name)</span>");
        out(c, "</td>");
}

void html_events_table(html_ctx_t *c, event_kind_t k, const char *title, const char *hint) {
        const analysis_t *a = c->a;
        const event_list_t *l = &a->ev[k];
        if (!l->total)
                return;
        out(c, "<h3>");
        html_text(c->f, title);
        out(c, " <span class=\"muted\">(%s)</span></h3>\n", num(c, l->total));
        if (hint)
                para(c, "muted", hint);
        scroll_begin(c);
        switch (k) {
        case EV_RETRANS:
                table_begin(c, NULL, "#Time (s)", "#Frame", "Flow (sender → receiver)", "Kind", "#Sequence number",
                            NULL);
                break;
        case EV_ZERO_WINDOW:
                table_begin(c, NULL, "#Time (s)", "#Frame", "Flow (the side whose buffer is full → its peer)", NULL);
                break;
        case EV_RESET:
                table_begin(c, NULL, "#Time (s)", "#Frame", "Flow (side sending the RST → peer)", "Kind", NULL);
                break;
        case EV_SLOW_HANDSHAKE:
                table_begin(c, NULL, "#Time (s)", "#Frame (ACK)", "Connection (client → server)",
                            "#Handshake (ms)", "#SYN → SYN/ACK (ms)", "#SYNs sent", NULL);
                break;
        case EV_FAILED_HANDSHAKE:
                table_begin(c, NULL, "#Time (s)", "#Frame (SYN)", "Connection (client → server)", "#SYNs sent",
                            "#Waited", NULL);
                break;
        case EV_DNS_ERROR:
        case EV_DNS_SLOW:
                table_begin(c, NULL, "#Time (s)", "#Frame (answer)", "Client → server", "Name", "Type", "Answer",
                            "#Response (ms)", NULL);
                break;
        case EV_DNS_UNANSWERED:
                table_begin(c, NULL, "#Time (s)", "#Frame (query)", "Client → server", "Name", "Type", "#Repeats",
                            NULL);
                break;
        case EV_ICMP:
                table_begin(c, NULL, "#Time (s)", "#Frame", "Packet it is about", "Message (type/code)",
                            "Reported by", "#MTU", NULL);
                break;
        default: return;
        }
        uint32_t shown = l->n < ROWS_MAX ? l->n : ROWS_MAX;
        for (uint32_t i = 0; i < shown; i++) {
                const event_t *e = &l->v[i];
                char b[3][32];
                c->nr = 0;
                out(c, "<tr><td class=\"n\">%s</td><td class=\"n\">%s", rel(c, e->ts), frame_no(c, e->frame));
                if (e->frame2 && (k == EV_SLOW_HANDSHAKE || k == EV_DNS_ERROR || k == EV_DNS_SLOW))
                        out(c, " <span class=\"muted\">(%s %s)</span>", k == EV_SLOW_HANDSHAKE ? "SYN" : "query",
                            frame_no(c, e->frame2));
                out(c, "</td>");
                ev_flow_cell(c, &e->key);
                switch (k) {
                case EV_RETRANS:
                        out(c, "<td>%s</td><td class=\"n\">%" PRIu32 "</td>",
                            e->sub == 0 ? "timeout (RTO)" : e->sub == 1 ? "fast" : e->sub == 2 ? "spurious" : "after PMTU signal",
                            e->value);
                        break;
                case EV_ZERO_WINDOW:
                        break;
                case EV_RESET:
                        out(c, "<td>%s</td>", e->sub == 0 ? "refused (answer to a SYN)" : e->sub == 1 ? "aborted after data" : "other");
                        break;
                case EV_SLOW_HANDSHAKE:
                        out(c, "<td class=\"n\">%s</td><td class=\"n\">%.3f</td><td class=\"n\">%u</td>", html_fmt_ms(e->dur, b[0], 32),
                            (double) e->value / 1e3, e->sub);
                        break;
                case EV_FAILED_HANDSHAKE:
                        out(c, "<td class=\"n\">%u</td><td class=\"n\">%s</td>", e->sub, dur(c, e->dur));
                        break;
                case EV_DNS_ERROR:
                case EV_DNS_SLOW:
                        dns_name_cell(c, e);
                        out(c, "<td>%s</td><td>%s</td><td class=\"n\">%s</td>", names_dns_qtype(e->value, b[0], 32),
                            dns_rcode_name(e->sub), e->dur >= 0 ? html_fmt_ms(e->dur, b[1], 32) : "–");
                        break;
                case EV_DNS_UNANSWERED:
                        dns_name_cell(c, e);
                        out(c, "<td>%s</td><td class=\"n\">%u</td>", names_dns_qtype(e->value, b[0], 32), e->sub);
                        break;
                case EV_ICMP: {
                        const char *tn, *cn;
                        names_icmp(e->sub2, e->sub, e->value, &tn, &cn);
                        out(c, "<td>%s%s", e->sub2 ? "ICMPv6 " : "", tn);
                        if (cn)
                                out(c, ": %s", cn);
                        out(c, " <span class=\"muted\">(%u/%" PRIu32 ")</span></td><td class=\"flow\">", e->sub, e->value);
                        html_bytes(c->f, e->text, e->text_len < sizeof e->text ? e->text_len : sizeof e->text);
                        out(c, "</td><td class=\"n\">");
                        if (e->dur > 0)
                                out(c, "%" PRId64, e->dur);
                        else
                                out(c, "–");
                        out(c, "</td>");
                        break;
                }
                default:
                        break;
                }
                out(c, "</tr>\n");
        }
        table_end(c);
        scroll_end(c);
        more_note(c, shown, l->total, "events");
}

/* ---- TCP ---- */

void report_html(const analysis_t *a, FILE *f) {
        html_ctx_t c = { .f = f, .a = a };
        page_head(&c);
        page_overview(&c);
        html_partial_notice(&c);
        page_nav(&c);
        html_sec_time(&c);
        html_sec_findings(&c);
        html_sec_health(&c);
        html_sec_capture(&c);
        html_sec_protocols(&c);
        html_sec_talkers(&c);
        html_sec_services(&c);
        html_sec_tcp(&c);
        html_sec_conns(&c);
        html_sec_jitter(&c);
        html_sec_dns(&c);
        html_sec_icmp(&c);
        html_sec_fragments(&c);
        html_sec_timing(&c);
        html_sec_thresholds(&c);
        out(&c, "<footer>Generated by pcapd %s · report schema pcapd.report/2 · all times UTC; times in tables are "
                "seconds since the first packet; frames are the numbers Wireshark shows (Go to Packet) · lists keep at "
                "most %s events each (true totals always counted)</footer>\n</main></body></html>\n",
            PCAPD_VERSION, num(&c, a->lim.max_events));
}
