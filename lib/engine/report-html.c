/* The self-contained HTML report: findings first, then the health score and one section per analysis, with
 * tables and inline SVG charts. No script and no external resource (the daemon serves it under
 * "default-src 'none'"); every string that comes from a packet is escaped byte by byte. The analysis is only
 * read: the JSON writer may run before or after this one on the same state. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "names.h"
#include "report-html.h"
#include "util/macro.h"

#define ROWS_MAX 200             /* rows of any one table */
#define TOP_HOSTS 50
#define TOP_CONVS 50
#define TOP_BARS 10
#define WORST_ROWS 100
#define SLOT 128                 /* fits a flow of two IPv6 addresses with ports */

typedef struct html_ctx {
        FILE *f;
        const analysis_t *a;
        char ring[12][SLOT];     /* formatted figures for the row being written */
        unsigned nr;
} html_ctx_t;

static char *slot(html_ctx_t *c) {
        return c->ring[c->nr++ % (sizeof c->ring / sizeof c->ring[0])];
}

static const char *num(html_ctx_t *c, uint64_t v) {
        return html_fmt_count(v, slot(c), SLOT);
}

static const char *bytes(html_ctx_t *c, uint64_t v) {
        return html_fmt_bytes(v, slot(c), SLOT);
}

static const char *dur(html_ctx_t *c, int64_t ns) {
        return html_fmt_dur(ns, slot(c), SLOT);
}

static const char *pct(html_ctx_t *c, double part, double whole) {
        return html_fmt_pct(part, whole, slot(c), SLOT);
}

static const char *rel(html_ctx_t *c, int64_t ts) {
        return html_fmt_rel(ts, c->a->first_ts, slot(c), SLOT);
}

static const char *flow(html_ctx_t *c, const flow_key_t *k) {
        /* addresses and ports only: safe text */
        char *b = slot(c);
        return flow_format(k, true, b, SLOT) ? b : "";
}

/* printf for markup we compose; every value in it is a number or already-safe text */
static void out(html_ctx_t *c, const char *fmt, ...) _printf_(2, 3);
static void out(html_ctx_t *c, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vfprintf(c->f, fmt, ap);
        va_end(ap);
}

/* ---- building blocks ---- */

static void section_begin(html_ctx_t *c, const char *id, const char *title) {
        out(c, "<section id=\"%s\"><h2>", id);
        html_text(c->f, title);
        out(c, "</h2>\n");
}

static void section_end(html_ctx_t *c) {
        out(c, "</section>\n");
}

/* Column names starting with '#' are numbers: right-aligned. */
static void table_begin(html_ctx_t *c, const char *cls, ...) {
        va_list ap;
        va_start(ap, cls);
        out(c, "<table class=\"%s\"><thead><tr>", cls ? cls : "data");
        for (const char *h = va_arg(ap, const char *); h; h = va_arg(ap, const char *)) {
                if (h[0] == '#')
                        out(c, "<th class=\"n\">");
                else
                        out(c, "<th>");
                html_text(c->f, h[0] == '#' ? h + 1 : h);
                out(c, "</th>");
        }
        va_end(ap);
        out(c, "</tr></thead><tbody>\n");
}

static void table_end(html_ctx_t *c) {
        out(c, "</tbody></table>\n");
}

/* A key/value row: value is safe text (numbers, formatted figures); hint is plain words or NULL. */
static void kv_row(html_ctx_t *c, const char *key, const char *value, const char *hint, bool zero) {
        out(c, "<tr><th>");
        html_text(c->f, key);
        out(c, "</th><td class=\"n%s\">%s</td><td class=\"hint\">", zero ? " z" : "", value);
        html_text(c->f, hint);
        out(c, "</td></tr>\n");
}

static void kv(html_ctx_t *c, const char *key, const char *value, const char *hint) {
        kv_row(c, key, value, hint, false);
}

/* Zeros are shown muted, so the figures that matter stand out. */
static void kv_u64(html_ctx_t *c, const char *key, uint64_t v, const char *hint) {
        kv_row(c, key, num(c, v), hint, v == 0);
}

static void kv_begin(html_ctx_t *c) {
        out(c, "<table class=\"kv\"><tbody>\n");
}

static void kv_end(html_ctx_t *c) {
        out(c, "</tbody></table>\n");
}

static void para(html_ctx_t *c, const char *cls, const char *text) {
        out(c, "<p class=\"%s\">", cls);
        html_text(c->f, text);
        out(c, "</p>\n");
}

static void scroll_begin(html_ctx_t *c) {
        out(c, "<div class=\"scroll\">");
}

static void scroll_end(html_ctx_t *c) {
        out(c, "</div>");
}

/* "Showing N of M" under a capped table. */
static void more_note(html_ctx_t *c, uint64_t shown, uint64_t total, const char *what) {
        if (shown >= total)
                return;
        out(c, "<p class=\"more\">Showing %s of %s %s; %s more not listed here", num(c, shown), num(c, total), what,
            num(c, total - shown));
        out(c, " (the JSON report lists up to %s per list; every figure above counts them all).</p>\n",
            num(c, c->a->lim.max_events));
}

static void quantile_row(html_ctx_t *c, const char *name, const samples_t *s, const char *hint) {
        quantiles_t q;
        samples_quantiles(s, &q);
        out(c, "<tr><th>");
        html_text(c->f, name);
        out(c, "</th><td class=\"n\">%s</td>", num(c, q.count));
        if (q.count) {
                char b[5][32];
                out(c, "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                       "<td class=\"n\">%s</td>",
                    html_fmt_ms(q.min, b[0], 32), html_fmt_ms(q.p50, b[1], 32), html_fmt_ms(q.p95, b[2], 32),
                    html_fmt_ms(q.max, b[3], 32), html_fmt_ms((int64_t) q.mean, b[4], 32));
        } else
                out(c, "<td class=\"n\">–</td><td class=\"n\">–</td><td class=\"n\">–</td><td class=\"n\">–</td><td class=\"n\">–</td>");
        out(c, "<td class=\"hint\">");
        html_text(c->f, hint);
        out(c, "</td></tr>\n");
}

static void quantiles_begin(html_ctx_t *c) {
        table_begin(c, "data q", "Measure", "#Samples", "#Min (ms)", "#Median (ms)", "#95th pct (ms)", "#Max (ms)",
                    "#Mean (ms)", "What it is", NULL);
}

static const char *sev_class(int s) {
        return s >= 3 ? "crit" : s == 2 ? "warn" : "info";
}

static const char *sev_name(int s) {
        return s >= 3 ? "Critical" : s == 2 ? "Warning" : "Info";
}

/* ---- the page ---- */


static void page_head(html_ctx_t *c) {
        out(c, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
               "<meta name=\"color-scheme\" content=\"light dark\">\n"
               "<meta name=\"generator\" content=\"pcapd %s\">\n"
               "<title>Capture analysis: health %d/100 - pcapd</title>\n<style>\n", PCAPD_VERSION, c->a->health);
        fputs(report_html_css, c->f);
        out(c, "</style></head>\n<body><main>\n");
}

static double duration_s(const analysis_t *a) {
        return a->have_ts ? (double) (a->last_ts - a->first_ts) / 1e9 : 0;
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
        double d = duration_s(a);
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
            num(c, a->tcp_conns));
        out(c, "<div class=\"card\"><div class=\"k\">DNS queries</div><div class=\"v\">%s</div></div>", num(c, a->dns.queries));
        out(c, "</div></div>\n");
}

/* What was not analysed, said once at the top and again in the capture section. */
static void partial_notice(html_ctx_t *c) {
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
               "<a href=\"#services\">Services</a><a href=\"#tcp\">TCP</a><a href=\"#dns\">DNS</a><a href=\"#icmp\">ICMP</a>"
               "<a href=\"#fragments\">IP fragments</a><a href=\"#timing\">Timing</a></nav>\n");
}

/* ---- where the time went ---- */

static void sec_time(html_ctx_t *c) {
        const analysis_t *a = c->a;
        const txn_state_t *t = &a->txn;
        section_begin(c, "time", "Where the time went");
        para(c, "lead", a->time_summary);
        if (!t->total) {
                section_end(c);
                return;
        }
        table_begin(c, NULL, "Cause", "#Time", "#Share", NULL);
        for (int k = 1; k < _CAUSE_MAX; k++) {
                if (a->cost[k] <= 0)
                        continue;
                out(c, "<tr><td>%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n",
                    cause_name((cause_t) k), dur(c, a->cost[k]), pct(c, (double) a->cost[k], (double) a->cost_total));
        }
        table_end(c);
        if (t->n_conns) {
                static const char *const parts[] = { "client", "network", "server", "transfer", "loss recovery" };
                html_parts_bar_t rows[20];
                unsigned n = t->n_conns < 20 ? t->n_conns : 20;
                for (unsigned i = 0; i < n; i++) {
                        const txn_conn_sum_t *k = &t->conns[i];
                        rows[i] = (html_parts_bar_t) { .label = flow(c, &k->key) };
                        rows[i].v[0] = (double) k->part[TP_CLIENT] / 1e6;
                        rows[i].v[1] = (double) k->part[TP_NETWORK] / 1e6;
                        rows[i].v[2] = (double) k->part[TP_SERVER] / 1e6;
                        rows[i].v[3] = (double) (k->part[TP_TRANSFER] + k->part[TP_REQUEST] - k->part[TP_LOSS]) / 1e6;
                        rows[i].v[4] = (double) k->part[TP_LOSS] / 1e6;
                        snprintf(rows[i].text, sizeof rows[i].text, "%s in %u", dur(c, k->part[TP_TOTAL]), k->n);
                }
                html_chart_parts(c->f, "Time per connection (ms), the connections with the most time first", parts, 5,
                                 rows, n);
                more_note(c, n, t->conns_total, "connections");
        }
        out(c, "<h3>Slowest exchanges</h3>\n");
        scroll_begin(c);
        table_begin(c, NULL, "When (s)", "Connection", "What", "#Client", "#Network", "#Server", "#Transfer",
                    "#Total", NULL);
        for (uint32_t i = 0; i < t->n && i < 50; i++) {
                const txn_item_t *it = &t->items[i];
                out(c, "<tr><td class=\"n\">%s</td><td>%s</td><td>%s ", rel(c, it->req_ts), flow(c, &it->key),
                    txn_proto_name(it->proto));
                html_textn(c->f, it->method, it->method_len);
                out(c, " ");
                html_textn(c->f, it->path, it->path_len);
                if (it->status)
                        out(c, " → %u", it->status);
                out(c, "</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                       "<td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n",
                    dur(c, it->part[TP_CLIENT]), dur(c, it->part[TP_NETWORK]), dur(c, it->part[TP_SERVER]),
                    dur(c, it->part[TP_TRANSFER]), dur(c, it->part[TP_TOTAL]));
        }
        table_end(c);
        scroll_end(c);
        more_note(c, t->n < 50 ? t->n : 50, t->total, "exchanges");
        if (a->xfer.n) {
                out(c, "<h3>Transfers and what limited them</h3>\n");
                scroll_begin(c);
                table_begin(c, NULL, "Sender → receiver", "#Bytes", "#Duration", "Limit", "#Window", "#Loss",
                            "#Bandwidth", "#Sender", NULL);
                for (uint32_t i = 0; i < a->xfer.n && i < 20; i++) {
                        const xfer_item_t *x = &a->xfer.items[i];
                        int64_t all = 0;
                        for (int k = 0; k < _XL_MAX; k++)
                                all += x->t[k];
                        out(c, "<tr><td>%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td>%s</td>"
                               "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                               "<td class=\"n\">%s</td></tr>\n",
                            flow(c, &x->key), bytes(c, x->bytes), dur(c, x->dur), xfer_limit_word(x->t, x->rtt_base),
                            pct(c, (double) x->t[XL_RWND], (double) all), pct(c, (double) x->t[XL_LOSS], (double) all),
                            pct(c, (double) x->t[XL_BANDWIDTH], (double) all), pct(c, (double) x->t[XL_APP], (double) all));
                }
                table_end(c);
                scroll_end(c);
        }
        const xfer_trace_t *tr = &a->xfer.best;
        if (tr->p && tr->n > 1) {
                double *v = malloc(sizeof(double) * 4 * tr->n);
                if (v) {
                        double *x = v, *sq = v + tr->n, *ak = v + 2 * tr->n, *wn = v + 3 * tr->n;
                        for (uint32_t i = 0; i < tr->n; i++) {
                                x[i] = (double) (tr->p[i].ts - tr->t0) / 1e9;
                                sq[i] = (double) (int32_t) (tr->p[i].seq - tr->seq0);
                                ak[i] = (double) (int32_t) (tr->p[i].ack - tr->seq0);
                                wn[i] = (double) (int32_t) (tr->p[i].edge - tr->seq0);
                        }
                        html_xy_series_t ser[] = {
                                { "data sent (sequence)", 1, false, x, sq, tr->n },
                                { "acknowledged", 2, true, x, ak, tr->n },
                                { "receiver's window edge", 3, true, x, wn, tr->n },
                        };
                        char title[160];
                        snprintf(title, sizeof title, "Time-sequence graph of the largest transfer, %s", flow(c, &tr->key));
                        html_chart_xy(c->f, title, "bytes from the first", "Like Wireshark's tcptrace graph: data "
                                      "touching the window edge is held back by the receiver; a flat line with the edge "
                                      "far above is the sender or the path.", ser, 3);
                        free(v);
                }
        }
        section_end(c);
}

/* ---- findings and health ---- */

static void sec_findings(html_ctx_t *c) {
        const analysis_t *a = c->a;
        section_begin(c, "findings", "Findings");
        if (!a->n_findings) {
                para(c, "ok", "No problem found: no loss, no failed or slow connections, no DNS errors and no ICMP errors "
                              "above the thresholds the diagnosis uses.");
                section_end(c);
                return;
        }
        out(c, "<p class=\"muted\">Most severe first. Each filter can be pasted into Wireshark's display filter bar "
               "to see the packets concerned.</p>\n");
        for (unsigned i = 0; i < a->n_findings; i++) {
                const finding_t *x = &a->findings[i];
                out(c, "<article class=\"finding %s\" id=\"finding-", sev_class(x->severity));
                html_text(c->f, x->id);
                out(c, "\"><div class=\"fhead\"><span class=\"badge %s\">%s</span><h3>", sev_class(x->severity),
                    sev_name(x->severity));
                html_text(c->f, x->title);
                out(c, "</h3><span class=\"pen\">");
                if (x->penalty)
                        out(c, "−%d point%s", x->penalty, x->penalty == 1 ? "" : "s");
                else
                        out(c, "no penalty");
                out(c, "</span></div>\n");
                if (x->detail[0]) {
                        out(c, "<p>");
                        html_textn(c->f, x->detail, strnlen(x->detail, sizeof x->detail));
                        out(c, "</p>\n");
                }
                if (x->n_flows) {
                        out(c, "<div class=\"ffl\"><span class=\"lbl\">Flows concerned</span>");
                        for (unsigned k = 0; k < x->n_flows && k < 5; k++) {
                                out(c, "<code>");
                                html_textn(c->f, x->flows[k], strnlen(x->flows[k], sizeof x->flows[k]));
                                out(c, "</code>");
                        }
                        out(c, "</div>\n");
                }
                if (x->filter[0]) {
                        out(c, "<p><span class=\"lbl\">Wireshark filter</span><code>");
                        html_textn(c->f, x->filter, strnlen(x->filter, sizeof x->filter));
                        out(c, "</code></p>\n");
                }
                out(c, "</article>\n");
        }
        section_end(c);
}

static void sec_health(html_ctx_t *c) {
        const analysis_t *a = c->a;
        section_begin(c, "health", "Health score");
        out(c, "<p>The score starts at 100; each finding subtracts its penalty, which grows with how much of the traffic "
               "it concerns (the score does not go below 0). Findings without a penalty are for information.</p>\n");
        table_begin(c, NULL, "Finding", "Severity", "#Points", NULL);
        out(c, "<tr><td>Start</td><td></td><td class=\"n\">100</td></tr>\n");
        int sum = 0;
        for (unsigned i = 0; i < a->n_findings; i++) {
                const finding_t *x = &a->findings[i];
                out(c, "<tr><td><a href=\"#finding-");
                html_text(c->f, x->id);
                out(c, "\">");
                html_text(c->f, x->title);
                out(c, "</a></td><td><span class=\"badge %s\">%s</span></td><td class=\"n\">%s%d</td></tr>\n",
                    sev_class(x->severity), sev_name(x->severity), x->penalty ? "−" : "", x->penalty);
                sum += x->penalty;
        }
        out(c, "<tr><th>Health score</th><td></td><th class=\"n\">%d</th></tr>\n", a->health);
        table_end(c);
        if (100 - sum != a->health)
                out(c, "<p class=\"muted\">Penalties add up to %d points; the score stops at 0.</p>\n", sum);
        section_end(c);
}

/* ---- capture, protocols, talkers, services ---- */

static unsigned series_len(const analysis_t *a) {
        int last = -1;
        for (int i = 0; i < SERIES_BUCKETS; i++)
                if (a->series.b[i].packets)
                        last = i;
        return (unsigned) (last + 1);
}

static void chart_throughput(html_ctx_t *c) {
        const analysis_t *a = c->a;
        unsigned n = series_len(a);
        if (!n)
                return;
        double bps[SERIES_BUCKETS], max = 0;
        double w = (double) a->series.width / 1e9;
        for (unsigned i = 0; i < n; i++) {
                bps[i] = (double) a->series.b[i].bytes * 8 / w;
                if (bps[i] > max)
                        max = bps[i];
        }
        static const char *const units[] = { "bit/s", "kbit/s", "Mbit/s", "Gbit/s" };
        int u = 0;
        double div = 1;
        while (max / div >= 1000 && u < 3) {
                div *= 1000;
                u++;
        }
        for (unsigned i = 0; i < n; i++)
                bps[i] /= div;
        char note[160];
        snprintf(note, sizeof note, "Bits on the wire per second, averaged over buckets of %s.", dur(c, a->series.width));
        html_series_t s[] = { { "Throughput", 1, HTML_AREA, bps } };
        html_time_chart_t ch = { .title = "Throughput over time", .y_unit = units[u], .note = note, .n = n, .dx = w,
                                 .s = s, .n_series = 1, .empty = "No traffic" };
        html_chart_time(c->f, &ch);
}

static void sec_capture(html_ctx_t *c) {
        const analysis_t *a = c->a;
        char b0[64], b1[64];
        section_begin(c, "capture", "Capture summary");
        partial_notice(c);
        double d = duration_s(a);
        kv_begin(c);
        kv(c, "Format", a->file_format[0] ? a->file_format : "packets fed one by one",
           a->nanosecond ? "nanosecond timestamps" : "microsecond timestamps");
        if (a->file_size)
                kv(c, "File size", bytes(c, a->file_size), num(c, a->file_size));
        kv_u64(c, "Packets", a->packets, NULL);
        kv(c, "Bytes on the wire", num(c, a->bytes_wire), bytes(c, a->bytes_wire));
        if (a->bytes_captured != a->bytes_wire)
                kv(c, "Bytes captured", num(c, a->bytes_captured), "less than on the wire: packets were cut by the snap length");
        if (a->snaplen)
                kv_u64(c, "Snap length", a->snaplen, "bytes kept of each packet");
        kv(c, "First packet", a->have_ts ? html_fmt_ts(a->first_ts, a->nanosecond, b0, sizeof b0) : "–", NULL);
        kv(c, "Last packet", a->have_ts ? html_fmt_ts(a->last_ts, a->nanosecond, b1, sizeof b1) : "–", NULL);
        if (a->have_ts) {
                char *s = slot(c);
                snprintf(s, SLOT, "%.6f s", d);
                kv(c, "Duration", s, dur(c, a->last_ts - a->first_ts));
                if (d > 0) {
                        s = slot(c);
                        snprintf(s, SLOT, "%.1f", (double) a->packets / d);
                        kv(c, "Packets per second", s, "average over the capture");
                        char r[48];
                        kv(c, "Bits per second", html_fmt_bits((double) a->bytes_wire * 8 / d, r, sizeof r),
                           "average over the capture");
                }
        }
        if (a->negative_deltas)
                kv_u64(c, "Timestamps going back", a->negative_deltas,
                       "packets with a timestamp earlier than the one before (merged captures or clock steps)");
        kv_end(c);

        out(c, "<h3>Link types</h3>\n");
        table_begin(c, NULL, "Link type", "#DLT", "Decoded", "#Packets", "#Share", NULL);
        for (unsigned i = 0; i < a->n_links && i < 8; i++) {
                const char *n = decode_dlt_name(a->links[i]);
                out(c, "<tr><td>");
                html_text(c->f, n ? n : "unsupported");
                out(c, "</td><td class=\"n\">%d</td><td>%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n",
                    a->links[i], decode_dlt_supported(a->links[i]) ? "yes" : "<strong>no, skipped</strong>",
                    num(c, a->link_packets[i]), pct(c, (double) a->link_packets[i], (double) a->packets));
        }
        if (!a->n_links)
                out(c, "<tr><td colspan=\"5\" class=\"muted\">No packet.</td></tr>\n");
        table_end(c);

        uint64_t skipped = 0;
        for (int i = 0; i < _SKIP_MAX; i++)
                skipped += a->skipped[i];
        if (skipped) {
                out(c, "<h3>Packets not analysed</h3>\n");
                table_begin(c, NULL, "Reason", "#Packets", "What it means", NULL);
                static const struct { int k; const char *name, *hint; } r[] = {
                        { SKIP_LINKTYPE, "Unsupported link type", "the link layer above is not one pcapd decodes" },
                        { SKIP_ETHERTYPE, "Not IP or ARP", "other link-layer protocols (LLDP, STP, ...): counted, not analysed" },
                        { SKIP_TRUNCATED, "Headers cut short", "the snap length or a damaged record cut the headers" },
                        { SKIP_MALFORMED, "Malformed headers", "impossible header values (lengths, versions)" },
                };
                for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
                        if (a->skipped[r[i].k]) {
                                out(c, "<tr><td>%s</td><td class=\"n\">%s</td><td class=\"hint\">%s</td></tr>\n", r[i].name,
                                    num(c, a->skipped[r[i].k]), r[i].hint);
                        }
                table_end(c);
        }
        chart_throughput(c);
        section_end(c);
}

static void sec_protocols(html_ctx_t *c) {
        const analysis_t *a = c->a;
        section_begin(c, "protocols", "Protocol distribution");
        out(c, "<p class=\"muted\">A packet counts once at every layer it holds (an Ethernet frame with IPv4 and TCP "
               "counts for all three), so shares do not add up to 100 %%.</p>\n");
        html_bar_t bars[_PROTO_MAX];
        unsigned nb = 0;
        if (!a->packets) {
                para(c, "muted", "No packet.");
                section_end(c);
                return;
        }
        out(c, "<div class=\"grid2\"><div>");
        table_begin(c, NULL, "Protocol", "Layer", "#Packets", "#Share", "#Bytes", "#Share", NULL);
        for (int i = 0; i < _PROTO_MAX; i++) {
                const counter_t *p = &a->proto[i];
                if (!p->packets)
                        continue;
                out(c, "<tr><td>%s</td><td class=\"hint\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                       "<td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n",
                    names_proto[i].name, names_proto[i].layer, num(c, p->packets), pct(c, (double) p->packets, (double) a->packets),
                    bytes(c, p->bytes), pct(c, (double) p->bytes, (double) a->bytes_wire));
                html_bar_t *b = &bars[nb++];
                b->label = names_proto[i].name;
                b->v[0] = a->packets ? 100.0 * (double) p->packets / (double) a->packets : 0;
                b->v[1] = a->bytes_wire ? 100.0 * (double) p->bytes / (double) a->bytes_wire : 0;
                char p0[24], p1[24];
                snprintf(b->text, sizeof b->text, "%s · %s", html_fmt_pct((double) p->packets, (double) a->packets, p0, sizeof p0),
                         html_fmt_pct((double) p->bytes, (double) a->bytes_wire, p1, sizeof p1));
        }
        table_end(c);
        out(c, "</div><div>");
        if (nb) {
                static const char *const names[2] = { "% of packets", "% of bytes" };
                html_chart_hbars(c->f, "Share of packets and bytes", names, bars, nb, false);
        } else
                para(c, "muted", "No packet could be decoded (see the link types above).");
        out(c, "</div></div>\n");
        section_end(c);
}

static void sec_talkers(html_ctx_t *c) {
        const analysis_t *a = c->a;
        char ab[64], bb[64];
        section_begin(c, "talkers", "Top talkers");
        const report_view_t *v = &a->view;
        uint32_t nh = v->n_hosts < TOP_HOSTS ? v->n_hosts : TOP_HOSTS, ncv = v->n_convs < TOP_CONVS ? v->n_convs : TOP_CONVS;
        if (!nh) {
                para(c, "muted", "No IP host.");
                section_end(c);
                return;
        }

        html_bar_t bars[TOP_BARS];
        char labels[TOP_BARS][112];
        out(c, "<div class=\"grid2\"><div>");
        unsigned nb = 0;
        for (; nb < nh && nb < TOP_BARS; nb++) {
                const host_entry_t *h = &v->hosts[nb];
                bars[nb].label = addr_format(&h->addr, labels[nb], sizeof labels[nb]);
                bars[nb].v[0] = (double) h->bytes_tx;
                bars[nb].v[1] = (double) h->bytes_rx;
                char t[32], r[32];
                snprintf(bars[nb].text, sizeof bars[nb].text, "%s sent · %s received",
                         html_fmt_bytes(h->bytes_tx, t, sizeof t), html_fmt_bytes(h->bytes_rx, r, sizeof r));
        }
        static const char *const hn[2] = { "sent", "received" };
        html_chart_hbars(c->f, "Top hosts by bytes", hn, bars, nb, true);
        out(c, "</div><div>");
        for (nb = 0; nb < ncv && nb < TOP_BARS; nb++) {
                const conv_entry_t *x = &v->convs[nb];
                snprintf(labels[nb], sizeof labels[nb], "%s ⇄ %s", addr_format(&x->a, ab, sizeof ab),
                         addr_format(&x->b, bb, sizeof bb));
                bars[nb].label = labels[nb];
                bars[nb].v[0] = (double) x->bytes_ab;
                bars[nb].v[1] = (double) (x->bytes - x->bytes_ab);
                char t[32];
                snprintf(bars[nb].text, sizeof bars[nb].text, "%s", html_fmt_bytes(x->bytes, t, sizeof t));
        }
        if (nb) {
                static const char *const cn[2] = { "A → B", "B → A" };
                html_chart_hbars(c->f, "Top conversations by bytes", cn, bars, nb, true);
        }
        out(c, "</div></div>\n");

        out(c, "<h3>Hosts</h3>\n");
        scroll_begin(c);
        table_begin(c, NULL, "#", "Host", "#Packets sent", "#Packets received", "#Bytes sent", "#Bytes received",
                    "#Total bytes", "#Share", NULL);
        for (uint32_t i = 0; i < nh; i++) {
                const host_entry_t *h = &v->hosts[i];
                uint64_t tot = h->bytes_tx + h->bytes_rx;
                c->nr = 0;
                out(c, "<tr><td class=\"n\">%u</td><td class=\"flow\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                       "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n",
                    i + 1, addr_format(&h->addr, ab, sizeof ab), num(c, h->packets_tx), num(c, h->packets_rx),
                    bytes(c, h->bytes_tx), bytes(c, h->bytes_rx), bytes(c, tot), pct(c, (double) tot, (double) a->bytes_wire));
        }
        table_end(c);
        scroll_end(c);
        out(c, "<p class=\"more\">Share: bytes the host sent or received, out of all bytes on the wire. ");
        if (v->hosts_total > nh)
                out(c, "Showing the top %u of %s hosts. ", nh, num(c, v->hosts_total));
        if (a->hosts.overflow_packets)
                out(c, "The host table was full: %s packets from further hosts are not attributed. ",
                    num(c, a->hosts.overflow_packets));
        out(c, "</p>\n");

        out(c, "<h3>Conversations (address pairs)</h3>\n");
        if (ncv) {
                scroll_begin(c);
                table_begin(c, NULL, "#", "Address A", "Address B", "#Packets", "#Bytes", "#A → B", "#B → A", "#Duration",
                            "#Share", NULL);
                for (uint32_t i = 0; i < ncv; i++) {
                        const conv_entry_t *x = &v->convs[i];
                        c->nr = 0;
                        out(c, "<tr><td class=\"n\">%u</td><td class=\"flow\">%s</td><td class=\"flow\">%s</td><td class=\"n\">%s</td>"
                               "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                               "<td class=\"n\">%s</td></tr>\n",
                            i + 1, addr_format(&x->a, ab, sizeof ab), addr_format(&x->b, bb, sizeof bb), num(c, x->packets),
                            bytes(c, x->bytes), bytes(c, x->bytes_ab), bytes(c, x->bytes - x->bytes_ab),
                            dur(c, x->last_ts - x->first_ts), pct(c, (double) x->bytes, (double) a->bytes_wire));
                }
                table_end(c);
                scroll_end(c);
                if (v->convs_total > ncv)
                        out(c, "<p class=\"more\">Showing the top %u of %s conversations.</p>\n", ncv, num(c, v->convs_total));
                if (a->convs.overflow_packets)
                        out(c, "<p class=\"more\">The conversation table was full: %s packets are not attributed.</p>\n",
                            num(c, a->convs.overflow_packets));
        } else
                para(c, "muted", "No IP conversation.");
        section_end(c);
}

static void sec_services(html_ctx_t *c) {
        const analysis_t *a = c->a;
        section_begin(c, "services", "Services by port");
        out(c, "<p class=\"muted\">TCP and UDP traffic by the server's port (the side that did not start the flow, or "
               "the well-known port when the start was not seen).</p>\n");
        const service_entry_t *sv = a->view.services;
        unsigned n = a->view.n_services;
        uint64_t tb = a->services_other_bytes;
        for (unsigned i = 0; i < n; i++)
                tb += sv[i].c.bytes;
        if (!n) {
                para(c, "muted", "No TCP or UDP traffic.");
                section_end(c);
                return;
        }
        scroll_begin(c);
        table_begin(c, NULL, "Service", "Transport", "#Port", "#Packets", "#Bytes", "#Share of TCP+UDP bytes", NULL);
        for (unsigned i = 0; i < n; i++) {
                const char *name = names_service(sv[i].proto, sv[i].port);
                out(c, "<tr><td>%s</td><td>%s</td><td class=\"n\">%u</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                       "<td class=\"n\">%s</td></tr>\n",
                    name ? name : "<span class=\"muted\">unknown</span>", sv[i].proto == 6 ? "TCP" : "UDP", sv[i].port,
                    num(c, sv[i].c.packets), bytes(c, sv[i].c.bytes), pct(c, (double) sv[i].c.bytes, (double) tb));
        }
        if (a->services_other_packets)
                out(c, "<tr><td colspan=\"3\">Other ports (table full)</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                       "<td class=\"n\">%s</td></tr>\n",
                    num(c, a->services_other_packets), bytes(c, a->services_other_bytes),
                    pct(c, (double) a->services_other_bytes, (double) tb));
        table_end(c);
        scroll_end(c);
        section_end(c);
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

static void events_table(html_ctx_t *c, event_kind_t k, const char *title, const char *hint) {
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
        case EV_RETRANS: table_begin(c, NULL, "#Time (s)", "Flow (sender → receiver)", "Kind", "#Sequence number", NULL); break;
        case EV_ZERO_WINDOW: table_begin(c, NULL, "#Time (s)", "Flow (the side whose buffer is full → its peer)", NULL); break;
        case EV_RESET: table_begin(c, NULL, "#Time (s)", "Flow (side sending the RST → peer)", "Kind", NULL); break;
        case EV_SLOW_HANDSHAKE:
                table_begin(c, NULL, "#Time (s)", "Connection (client → server)", "#Handshake (ms)", "#SYN → SYN/ACK (ms)",
                            "#SYNs sent", NULL);
                break;
        case EV_FAILED_HANDSHAKE:
                table_begin(c, NULL, "#Time (s)", "Connection (client → server)", "#SYNs sent", "#Waited", NULL);
                break;
        case EV_DNS_ERROR:
        case EV_DNS_SLOW:
                table_begin(c, NULL, "#Time (s)", "Client → server", "Name", "Type", "Answer", "#Response (ms)", NULL);
                break;
        case EV_DNS_UNANSWERED:
                table_begin(c, NULL, "#Time (s)", "Client → server", "Name", "Type", "#Repeats", NULL);
                break;
        case EV_ICMP:
                table_begin(c, NULL, "#Time (s)", "Packet it is about", "Message (type/code)", "Reported by", "#MTU", NULL);
                break;
        default: return;
        }
        uint32_t shown = l->n < ROWS_MAX ? l->n : ROWS_MAX;
        for (uint32_t i = 0; i < shown; i++) {
                const event_t *e = &l->v[i];
                char b[3][32];
                c->nr = 0;
                out(c, "<tr><td class=\"n\">%s</td>", rel(c, e->ts));
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

static int worst_cmp(const void *x, const void *y) {
        const flow_summary_t *a = x, *b = y;
        if (a->score != b->score)
                return a->score > b->score ? -1 : 1;
        if (a->bytes != b->bytes)
                return a->bytes > b->bytes ? -1 : 1;
        return a->id < b->id ? -1 : a->id > b->id;
}

static bool worst_has_problem(const flow_summary_t *s) {
        return s->retrans || s->lost || s->ooo || s->dupacks || s->zero_win || s->refused || s->reset || s->syn_only ||
               s->hs_time >= 300 * NS_PER_MS;
}

static void worst_table(html_ctx_t *c) {
        const analysis_t *a = c->a;
        uint32_t n = 0;
        flow_summary_t *w = NULL;
        if (a->n_worst) {
                w = malloc(a->n_worst * sizeof *w);
                if (!w) {
                        para(c, "muted", "Out of memory: the worst flows are not listed.");
                        return;
                }
                memcpy(w, a->worst, a->n_worst * sizeof *w);
                qsort(w, a->n_worst, sizeof *w, worst_cmp);
                /* keep the flows with a problem, in rank order (a fast handshake alone scores a little) */
                for (uint32_t i = 0; i < a->n_worst; i++)
                        if (worst_has_problem(&w[i]))
                                w[n++] = w[i];
        }
        out(c, "<h3>Worst flows</h3>\n");
        if (!n) {
                para(c, "muted", "No flow had a retransmission, a lost or reordered segment, a duplicate ACK, a zero window, "
                                 "a reset or a handshake slower than 300 ms.");
                free(w);
                return;
        }
        para(c, "muted", "Flows ranked by their problems (timeouts weigh most, then fast retransmissions, lost segments, "
                         "zero windows, reordering and duplicate ACKs). Retrans. gives the total and, in brackets, "
                         "timeout (RTO) / fast / spurious. The filter under each flow shows exactly that flow in Wireshark.");
        uint32_t shown = n < WORST_ROWS ? n : WORST_ROWS;
        scroll_begin(c);
        table_begin(c, "data worst", "#", "Flow (client → server)", "#Start (s)", "#Duration", "#Packets", "#Bytes",
                    "#Retrans.", "#Lost", "#Out of order", "#Dup ACKs", "#Zero win.", "#Handshake", NULL);
        for (uint32_t i = 0; i < shown; i++) {
                const flow_summary_t *s = &w[i];
                char filt[512];
                c->nr = 0;
                out(c, "<tr class=\"main\"><td class=\"n\" rowspan=\"2\">%u</td><td class=\"flow\">%s%s</td>", i + 1,
                    s->proto == 6 ? "" : s->proto == 17 ? "UDP " : "", flow(c, &s->key));
                out(c, "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>",
                    rel(c, s->first_ts), dur(c, s->last_ts - s->first_ts), num(c, s->packets), bytes(c, s->bytes));
                if (s->proto == 6) {
                        out(c, "<td class=\"n\">%" PRIu32 " <span class=\"muted\">(%" PRIu32 "/%" PRIu32 "/%" PRIu32 ")</span></td>"
                               "<td class=\"n\">%" PRIu32 "</td><td class=\"n\">%" PRIu32 "</td><td class=\"n\">%" PRIu32 "</td>"
                               "<td class=\"n\">%" PRIu32 "</td><td class=\"n\">%s</td>",
                            s->retrans, s->rto, s->fast, s->spurious, s->lost, s->ooo, s->dupacks, s->zero_win,
                            s->hs_time >= 0 ? dur(c, s->hs_time) : "–");
                } else
                        out(c, "<td class=\"n\">–</td><td class=\"n\">–</td><td class=\"n\">–</td><td class=\"n\">–</td>"
                               "<td class=\"n\">–</td><td class=\"n\">–</td>");
                out(c, "</tr>\n<tr class=\"sub\"><td colspan=\"11\"><span class=\"lbl\">Filter</span><code>");
                html_text(c->f, flow_filter(&s->key, filt, sizeof filt));
                out(c, "</code>");
                const char *sep = " <span class=\"note\">";
                if (s->refused) {
                        out(c, "%sconnection refused", sep);
                        sep = "; ";
                } else if (s->reset) {
                        out(c, "%sreset", sep);
                        sep = "; ";
                }
                if (s->syn_only) {
                        out(c, "%sSYN never answered", sep);
                        sep = "; ";
                }
                if (s->max_gap > NS_PER_S) {
                        out(c, "%sidle up to %s", sep, dur(c, s->max_gap));
                        sep = "; ";
                }
                if (sep[0] == ';')
                        out(c, "</span>");
                out(c, "</td></tr>\n");
        }
        table_end(c);
        scroll_end(c);
        if (n > shown)
                out(c, "<p class=\"more\">Showing the %u worst of %s flows with a problem among those kept.</p>\n", shown,
                    num(c, n));
        free(w);
}

static void retrans_table(html_ctx_t *c) {
        const analysis_t *a = c->a;
        table_begin(c, NULL, "Kind", "#Count", "#Share", "What it means", NULL);
        uint64_t known = a->tcp_rto + a->tcp_fast + a->tcp_spurious + a->tcp_pmtu_retrans;
        static const char *const meaning[] = {
                "resent after the retransmission timer expired: the connection stalled (at least 200 ms on Linux)",
                "resent after duplicate ACKs or SACK told the sender a segment was missing",
                "resent although the receiver already had it (acknowledged before): a timer too short or a delay spike",
                "resent smaller after an ICMP \"fragmentation needed\" / \"packet too big\"",
        };
        const uint64_t v[4] = { a->tcp_rto, a->tcp_fast, a->tcp_spurious, a->tcp_pmtu_retrans };
        static const char *const kn[4] = { "Timeout (RTO)", "Fast", "Spurious", "Path MTU" };
        for (int i = 0; i < 4; i++)
                out(c, "<tr><td>%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"hint\">%s</td></tr>\n", kn[i],
                    num(c, v[i]), pct(c, (double) v[i], (double) a->tcp_retrans), meaning[i]);
        if (a->tcp_retrans > known)
                out(c, "<tr><td>Other</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"hint\">SYN and SYN/ACK "
                       "retransmissions, and resends not classified</td></tr>\n",
                    num(c, a->tcp_retrans - known), pct(c, (double) (a->tcp_retrans - known), (double) a->tcp_retrans));
        out(c, "<tr><th>All</th><th class=\"n\">%s</th><td></td><td></td></tr>\n", num(c, a->tcp_retrans));
        table_end(c);
}

static void sec_tcp(html_ctx_t *c) {
        const analysis_t *a = c->a;
        section_begin(c, "tcp", "TCP");
        if (!a->tcp_conns && !a->proto[PROTO_TCP].packets) {
                para(c, "muted", "No TCP in this capture.");
                section_end(c);
                return;
        }
        out(c, "<div class=\"grid2\"><div>");
        kv_begin(c);
        kv_u64(c, "Connections", a->tcp_conns, "5-tuple + initial sequence number: a reused port starts a new one");
        kv_u64(c, "Segments with data", a->tcp_data_segments, NULL);
        kv_u64(c, "Retransmissions", a->tcp_retrans, "all kinds, SYNs included");
        kv_u64(c, "Lost segments", a->tcp_lost, "sequence gaps seen at the capture point");
        kv(c, "Bytes in the gaps", bytes(c, a->tcp_lost_bytes), NULL);
        kv_u64(c, "Out of order", a->tcp_ooo, "segments that arrived after a later one, not resent");
        kv_u64(c, "Duplicate ACKs", a->tcp_dupacks, NULL);
        kv_u64(c, "Zero windows", a->tcp_zero_win, "a receiver said its buffer was full");
        kv_u64(c, "Zero-window probes", a->tcp_zw_probe, NULL);
        kv_u64(c, "Window full", a->tcp_win_full, "the sender filled the receiver's advertised window");
        kv_u64(c, "Window updates", a->tcp_win_update, NULL);
        kv_u64(c, "Keep-alives", a->tcp_keepalive, NULL);
        kv_end(c);
        out(c, "</div><div>");
        kv_begin(c);
        {
                char *s = slot(c);
                snprintf(s, SLOT, "%s / %s / %s", num(c, a->tcp_syn), num(c, a->tcp_synack), num(c, a->tcp_fin));
                kv(c, "SYN / SYN-ACK / FIN", s, "segments with these flags");
        }
        kv_u64(c, "Handshakes completed", a->tcp_hs_completed, NULL);
        kv_u64(c, "SYNs never answered", a->tcp_hs_no_answer, NULL);
        kv_u64(c, "Refused", a->tcp_refused, "RST in answer to a SYN");
        kv_u64(c, "Aborted", a->tcp_aborted, "RST after data");
        kv_u64(c, "Resets (all)", a->tcp_rst, NULL);
        kv_u64(c, "SYN retransmissions", a->tcp_syn_retrans, NULL);
        kv_u64(c, "SYN/ACK retransmissions", a->tcp_synack_retrans, NULL);
        kv_u64(c, "Slow handshakes", a->ev[EV_SLOW_HANDSHAKE].total, NULL);
        kv_u64(c, "Reused ports", a->tcp_reused_ports, "a new connection on the 5-tuple of an older one");
        kv_u64(c, "Without handshake", a->tcp_conns_midstream, "started before the capture: no RTT from the handshake");
        kv_u64(c, "Window scale unknown", a->tcp_conns_unknown_scale,
               "handshake not captured: zero windows are exact, window-full events are not judged");
        kv_end(c);
        out(c, "</div></div>\n");

        out(c, "<h3>Retransmissions by kind</h3>\n");
        if (!a->tcp_retrans)
                para(c, "muted", "No retransmission.");
        else
                retrans_table(c);

        out(c, "<h3>Round-trip times and durations</h3>\n");
        quantiles_begin(c);
        quantile_row(c, "Handshake (SYN → ACK)", &a->hs_rtt, "the whole three-way handshake, as seen at the capture point");
        quantile_row(c, "SYN → SYN/ACK", &a->hs_syn_synack, "network and server side, as seen here");
        quantile_row(c, "SYN/ACK → ACK", &a->hs_synack_ack, "network and client side, as seen here");
        quantile_row(c, "Data → ACK", &a->rtt, "from a data segment to the ACK covering it (Karn: none from resent segments)");
        quantile_row(c, "Connection duration", &a->conn_dur, "first to last packet of a connection");
        table_end(c);

        /* charts over time */
        unsigned n = series_len(a);
        if (n) {
                double mean[SERIES_BUCKETS], max[SERIES_BUCKETS], rt[SERIES_BUCKETS], lost[SERIES_BUCKETS], zw[SERIES_BUCKETS];
                for (unsigned i = 0; i < n; i++) {
                        const series_bucket_t *b = &a->series.b[i];
                        mean[i] = b->rtt_n ? (double) b->rtt_sum / b->rtt_n / 1e6 : NAN;
                        max[i] = b->rtt_n ? (double) b->rtt_max / 1e6 : NAN;
                        rt[i] = b->retrans;
                        lost[i] = b->lost;
                        zw[i] = b->zero_win;
                }
                double w = (double) a->series.width / 1e9;
                char note[200];
                html_series_t rs[] = { { "Mean", 1, HTML_DOTS, mean }, { "Max", 2, HTML_DOTS, max } };
                html_time_chart_t rc = { .title = "Data RTT over time", .y_unit = "ms", .n = n, .dx = w, .s = rs, .n_series = 2,
                                         .empty = "No RTT sample (no acknowledged data)",
                                         .note = "Data → ACK round-trip time per bucket, at the capture point." };
                html_chart_time(c->f, &rc);
                snprintf(note, sizeof note, "Events per bucket of %s. Lost segments are gaps in the sequence seen here.",
                         dur(c, a->series.width));
                html_series_t es[] = { { "Retransmissions", 2, HTML_BARS, rt }, { "Lost segments", 3, HTML_BARS, lost },
                                       { "Zero windows", 4, HTML_BARS, zw } };
                html_time_chart_t ec = { .title = "Retransmissions, lost segments and zero windows over time", .y_unit = "events",
                                         .n = n, .dx = w, .s = es, .n_series = 3, .stacked = true, .note = note,
                                         .empty = "No retransmission, lost segment or zero window" };
                html_chart_time(c->f, &ec);
        }
        out(c, "<div class=\"grid2\"><div>");
        html_chart_durations(c->f, "Handshake time distribution", "SYN → ACK of the SYN/ACK", "handshakes", NULL, &a->hs_rtt);
        out(c, "</div><div>");
        html_chart_durations(c->f, "Data RTT distribution", "data → ACK", "samples", NULL, &a->rtt);
        out(c, "</div></div>\n");

        worst_table(c);
        events_table(c, EV_SLOW_HANDSHAKE, "Slow handshakes", NULL);
        events_table(c, EV_FAILED_HANDSHAKE, "Handshakes that never completed", "SYNs that got no answer.");
        events_table(c, EV_RESET, "Resets", NULL);
        events_table(c, EV_ZERO_WINDOW, "Zero windows", "The first zero window of each episode.");
        events_table(c, EV_RETRANS, "Retransmissions", NULL);
        section_end(c);
}

/* ---- DNS ---- */

static void sec_dns(html_ctx_t *c) {
        const analysis_t *a = c->a;
        const dns_state_t *d = &a->dns;
        section_begin(c, "dns", "DNS");
        if (!d->queries && !d->responses) {
                para(c, "muted", "No DNS in this capture.");
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
        events_table(c, EV_DNS_ERROR, "Error answers", "Names are shown byte for byte: anything that is not printable "
                                                        "ASCII appears as \\xNN.");
        events_table(c, EV_DNS_UNANSWERED, "Unanswered queries", NULL);
        events_table(c, EV_DNS_SLOW, "Slow answers (over 200 ms)", NULL);
        section_end(c);
}

/* ---- ICMP, fragments, timing ---- */

static void sec_icmp(html_ctx_t *c) {
        const analysis_t *a = c->a;
        section_begin(c, "icmp", "ICMP and ICMPv6");
        if (!a->icmp_msgs && !a->icmp6_msgs) {
                para(c, "muted", "No ICMP in this capture.");
                section_end(c);
                return;
        }
        out(c, "<div class=\"grid2\"><div>");
        kv_begin(c);
        kv_u64(c, "ICMP messages", a->icmp_msgs, NULL);
        kv_u64(c, "ICMPv6 messages", a->icmp6_msgs, NULL);
        kv_u64(c, "Destination unreachable", a->icmp_unreach, NULL);
        kv_u64(c, "Time exceeded", a->icmp_time_exceeded, "TTL / hop limit ran out: a routing loop, or traceroute");
        kv_u64(c, "Fragmentation needed", a->icmp_frag_needed, "IPv4 path MTU discovery");
        kv_u64(c, "Packet too big", a->icmp_ptb, "IPv6 path MTU discovery");
        kv_u64(c, "Redirects", a->icmp_redirect, NULL);
        if (a->icmp_min_mtu) {
                char *s = slot(c);
                snprintf(s, SLOT, "%" PRIu32 " bytes", a->icmp_min_mtu);
                kv(c, "Smallest MTU reported", s, "from fragmentation-needed / packet-too-big messages");
        }
        kv_end(c);
        out(c, "</div><div>");
        table_begin(c, NULL, "Family", "#Type", "#Code", "Meaning", "#Messages", NULL);
        unsigned rows = 0;
        for (int v6 = 0; v6 < 2; v6++)
                for (int t = 0; t < 256; t++) {
                        const uint64_t total = v6 ? a->icmp6_types[t] : a->icmp_types[t];
                        if (!total)
                                continue;
                        uint64_t coded = 0;
                        for (int code = 0; code < 16; code++) {
                                uint64_t m = a->icmp_codes[v6][t][code];
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
        events_table(c, EV_ICMP, "ICMP errors", "The flow column is the packet the error quotes, in its own direction.");
        section_end(c);
}

static void sec_fragments(html_ctx_t *c) {
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

static void sec_timing(html_ctx_t *c) {
        const analysis_t *a = c->a;
        section_begin(c, "timing", "Timing, bursts and flows");
        out(c, "<div class=\"grid2\"><div>");
        kv_begin(c);
        if (a->have_ts && a->packets > 1) {
                char *s = slot(c);
                snprintf(s, SLOT, "before packet %s", num(c, a->max_gap_frame));
                kv(c, "Longest silence", dur(c, a->max_gap), s);
        }
        kv_u64(c, "Bursts", a->bursts, "runs of 64 packets or more, each less than 100 µs after the one before");
        if (a->burst_max_pkts) {
                kv_u64(c, "Largest burst", a->burst_max_pkts, "packets");
                kv(c, "Largest burst size", bytes(c, a->burst_max_bytes), NULL);
                kv(c, "Largest burst duration", dur(c, a->burst_max_dur), NULL);
                char *s = slot(c);
                snprintf(s, SLOT, "%.6f s", (double) (a->burst_max_start - a->first_ts) / 1e9);
                kv(c, "Largest burst start", s, "since the first packet");
        }
        kv_end(c);
        out(c, "</div><div>");
        kv_begin(c);
        kv_u64(c, "Flows", a->flows_total, "TCP connections and UDP flows");
        kv_u64(c, "TCP connections", a->tcp_conns, NULL);
        kv_u64(c, "UDP flows", a->udp_flows, NULL);
        kv_u64(c, "Flow limit", a->lim.max_flows, "tracked at once");
        if (a->flows_over_limit_packets)
                kv(c, "Over the limit", num(c, a->flows_over_limit_packets), "packets counted in the totals only");
        kv_end(c);
        out(c, "</div></div>\n");
        out(c, "<h3>Jitter</h3>\n");
        para(c, "muted", "Interarrival jitter in the manner of RFC 3550 (the smoothed variation of the time between "
                         "packets), per direction of each TCP connection and UDP flow with at least 8 packets.");
        quantiles_begin(c);
        quantile_row(c, "Jitter per flow direction", &a->flow_jitter, "one value per direction");
        table_end(c);
        section_end(c);
}

void report_html(const analysis_t *a, FILE *f) {
        html_ctx_t c = { .f = f, .a = a };
        page_head(&c);
        page_overview(&c);
        partial_notice(&c);
        page_nav(&c);
        sec_time(&c);
        sec_findings(&c);
        sec_health(&c);
        sec_capture(&c);
        sec_protocols(&c);
        sec_talkers(&c);
        sec_services(&c);
        sec_tcp(&c);
        sec_dns(&c);
        sec_icmp(&c);
        sec_fragments(&c);
        sec_timing(&c);
        out(&c, "<footer>Generated by pcapd %s · report schema pcapd.report/2 · all times UTC; times in tables are "
                "seconds since the first packet · lists keep at most %s events each (true totals always counted)"
                "</footer>\n</main></body></html>\n",
            PCAPD_VERSION, num(&c, a->lim.max_events));
}
