/* The self-contained HTML report: findings first, then one section per analysis with tables and inline SVG
 * charts. No script, no external resource; every string that comes from a packet is HTML-escaped. */
#include <string.h>

#include "engine.h"

static void html_escape(FILE *f, const char *s, size_t n) {
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) s[i];
                switch (c) {
                case '<': fputs("&lt;", f); break;
                case '>': fputs("&gt;", f); break;
                case '&': fputs("&amp;", f); break;
                case '"': fputs("&quot;", f); break;
                case '\'': fputs("&#39;", f); break;
                default:
                        if (c < 0x20 || c == 0x7f)
                                fprintf(f, "\\x%02x", c);
                        else if (c >= 0x80)
                                fprintf(f, "&#x%x;", 0xfffd); /* names are bytes, not text: never trust them as UTF-8 */
                        else
                                fputc(c, f);
                }
        }
}

static void h(FILE *f, const char *s) {
        html_escape(f, s, strlen(s));
}

static void svg_series(FILE *f, const char *title, const series_t *s, int last, double (*get)(const series_bucket_t *),
                       const char *unit) {
        double max = 0;
        for (int i = 0; i <= last; i++)
                if (get(&s->b[i]) > max)
                        max = get(&s->b[i]);
        fprintf(f, "<figure><figcaption>");
        h(f, title);
        fprintf(f, " (max %.3g %s, bucket %.3g s)</figcaption>", max, unit, (double) s->width / 1e9);
        fprintf(f, "<svg viewBox='0 0 600 120' width='600' height='120' role='img'><rect width='600' height='120' class='bg'/>");
        if (max > 0 && last >= 0) {
                fprintf(f, "<polyline class='line' points='");
                for (int i = 0; i <= last; i++) {
                        double x = last ? 600.0 * i / last : 300;
                        double y = 115 - 110 * get(&s->b[i]) / max;
                        fprintf(f, "%.1f,%.1f ", x, y);
                }
                fprintf(f, "'/>");
        }
        fprintf(f, "</svg></figure>\n");
}

static double g_bits(const series_bucket_t *b) { return (double) b->bytes * 8; }
static double g_retr(const series_bucket_t *b) { return b->retrans + b->lost; }
static double g_zw(const series_bucket_t *b) { return b->zero_win; }
static double g_rtt(const series_bucket_t *b) { return b->rtt_n ? (double) b->rtt_sum / b->rtt_n / 1e6 : 0; }

void report_html(analysis_t *a, FILE *f) {
        quantiles_t hs, rtt, dns;
        samples_quantiles(&a->hs_rtt, &hs);
        samples_quantiles(&a->rtt, &rtt);
        samples_quantiles(&a->dns.rt, &dns);
        fprintf(f, "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
                   "<meta name='viewport' content='width=device-width, initial-scale=1'>"
                   "<title>pcapd report</title><style>"
                   "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:60em;padding:0 1em;color:#1d2430;background:#fff}"
                   "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccd;padding:.25em .6em;text-align:left}"
                   ".crit{border-left:5px solid #b00020}.warn{border-left:5px solid #c77700}.info{border-left:5px solid #2f6fb0}"
                   ".finding{padding:.4em .8em;margin:.6em 0;background:#f6f7f9}code{background:#eef;padding:0 .3em}"
                   "svg .bg{fill:#f6f7f9}svg .line{fill:none;stroke:#2f6fb0;stroke-width:1.5}"
                   "@media (prefers-color-scheme: dark){body{background:#15181d;color:#e3e6eb}.finding{background:#1f242b}"
                   "code{background:#2a3040}svg .bg{fill:#1f242b}td,th{border-color:#3a4150}}"
                   "@media print{.finding{break-inside:avoid}}"
                   "</style></head><body>\n");
        fprintf(f, "<h1>Capture analysis</h1><p>Health score <strong>%d/100</strong>. %llu packets, %llu bytes",
                a->health, (unsigned long long) a->packets, (unsigned long long) a->bytes_wire);
        if (analysis_is_partial(a)) {
                fprintf(f, ". <strong>Partial analysis</strong>: ");
                h(f, a->truncated ? a->read_error : "a limit was reached");
        }
        fprintf(f, ".</p>\n<h2>Findings</h2>\n");
        if (!a->n_findings)
                fprintf(f, "<p>No problem found.</p>\n");
        for (unsigned i = 0; i < a->n_findings; i++) {
                const finding_t *x = &a->findings[i];
                fprintf(f, "<div class='finding %s'><h3>", x->severity >= 3 ? "crit" : x->severity == 2 ? "warn" : "info");
                h(f, x->title);
                fprintf(f, "</h3><p>");
                h(f, x->detail);
                fprintf(f, "</p>");
                if (x->n_flows) {
                        fprintf(f, "<ul>");
                        for (unsigned k = 0; k < x->n_flows; k++) {
                                fprintf(f, "<li>");
                                h(f, x->flows[k]);
                                fprintf(f, "</li>");
                        }
                        fprintf(f, "</ul>");
                }
                if (x->filter[0]) {
                        fprintf(f, "<p>Wireshark filter: <code>");
                        h(f, x->filter);
                        fprintf(f, "</code></p>");
                }
                fprintf(f, "<p>Penalty: %d points</p></div>\n", x->penalty);
        }
        fprintf(f, "<h2>TCP</h2><table>"
                   "<tr><th>Connections</th><td>%llu</td></tr><tr><th>Retransmissions</th><td>%llu (fast %llu, RTO %llu, spurious %llu)</td></tr>"
                   "<tr><th>Out of order</th><td>%llu</td></tr><tr><th>Lost segments</th><td>%llu</td></tr>"
                   "<tr><th>Duplicate ACKs</th><td>%llu</td></tr><tr><th>Zero windows</th><td>%llu</td></tr>"
                   "<tr><th>Resets</th><td>%llu</td></tr>"
                   "<tr><th>Handshake RTT</th><td>p50 %.3f ms, p95 %.3f ms, max %.3f ms</td></tr>"
                   "<tr><th>Data RTT</th><td>p50 %.3f ms, p95 %.3f ms, max %.3f ms</td></tr></table>\n",
                (unsigned long long) a->tcp_conns, (unsigned long long) a->tcp_retrans, (unsigned long long) a->tcp_fast,
                (unsigned long long) a->tcp_rto, (unsigned long long) a->tcp_spurious, (unsigned long long) a->tcp_ooo,
                (unsigned long long) a->tcp_lost, (unsigned long long) a->tcp_dupacks,
                (unsigned long long) a->tcp_zero_win, (unsigned long long) a->tcp_rst, hs.p50 / 1e6, hs.p95 / 1e6,
                hs.max / 1e6, rtt.p50 / 1e6, rtt.p95 / 1e6, rtt.max / 1e6);
        fprintf(f, "<h2>DNS</h2><table><tr><th>Queries</th><td>%llu</td></tr><tr><th>Responses</th><td>%llu</td></tr>"
                   "<tr><th>Unanswered</th><td>%llu</td></tr><tr><th>Response time</th><td>p50 %.3f ms, p95 %.3f ms, max %.3f ms</td></tr>",
                (unsigned long long) a->dns.queries, (unsigned long long) a->dns.responses,
                (unsigned long long) a->dns.unanswered, dns.p50 / 1e6, dns.p95 / 1e6, dns.max / 1e6);
        for (unsigned i = 0; i < 16; i++)
                if (a->dns.rcodes[i])
                        fprintf(f, "<tr><th>%s</th><td>%llu</td></tr>", dns_rcode_name(i), (unsigned long long) a->dns.rcodes[i]);
        fprintf(f, "</table>\n");
        if (a->ev[EV_DNS_ERROR].n) {
                fprintf(f, "<table><tr><th>Name</th><th>Answer</th></tr>");
                for (uint32_t i = 0; i < a->ev[EV_DNS_ERROR].n && i < 50; i++) {
                        const event_t *e = &a->ev[EV_DNS_ERROR].v[i];
                        fprintf(f, "<tr><td>");
                        html_escape(f, e->text, e->text_len);
                        fprintf(f, "</td><td>%s</td></tr>", dns_rcode_name(e->sub));
                }
                fprintf(f, "</table>\n");
        }
        int last = -1;
        for (int i = 0; i < SERIES_BUCKETS; i++)
                if (a->series.b[i].packets)
                        last = i;
        fprintf(f, "<h2>Over time</h2>\n");
        svg_series(f, "Throughput", &a->series, last, g_bits, "bits per bucket");
        svg_series(f, "Retransmissions and lost segments", &a->series, last, g_retr, "per bucket");
        svg_series(f, "Zero windows", &a->series, last, g_zw, "per bucket");
        svg_series(f, "Mean data RTT", &a->series, last, g_rtt, "ms");
        fprintf(f, "<footer><p>pcapd %s, report schema pcapd.report/1</p></footer></body></html>\n", PCAPD_VERSION);
}
