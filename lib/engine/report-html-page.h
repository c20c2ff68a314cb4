/* The HTML report's writer, private to its files (report-html*.c): the context passed along, the building
 * blocks every section uses, and the sections, one file each as on the web UI's report page:
 * report-html-time.c, -findings.c, -traffic.c, -tcp.c, -dns.c, -icmp.c; report-html.c writes the page. */
#pragma once

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

static inline char *slot(html_ctx_t *c) {
        return c->ring[c->nr++ % (sizeof c->ring / sizeof c->ring[0])];
}

static inline const char *num(html_ctx_t *c, uint64_t v) {
        return html_fmt_count(v, slot(c), SLOT);
}

static inline const char *bytes(html_ctx_t *c, uint64_t v) {
        return html_fmt_bytes(v, slot(c), SLOT);
}

static inline const char *dur(html_ctx_t *c, int64_t ns) {
        return html_fmt_dur(ns, slot(c), SLOT);
}

static inline const char *pct(html_ctx_t *c, double part, double whole) {
        return html_fmt_pct(part, whole, slot(c), SLOT);
}

static inline const char *rel(html_ctx_t *c, int64_t ts) {
        return html_fmt_rel(ts, c->a->first_ts, slot(c), SLOT);
}

/* A frame number as Wireshark shows it: plain digits, to type into Go to Packet; "–" for none (0). */
static inline const char *frame_no(html_ctx_t *c, uint64_t frame) {
        char *b = slot(c);
        if (frame)
                snprintf(b, SLOT, "%" PRIu64, frame);
        else
                snprintf(b, SLOT, "–");
        return b;
}

static inline const char *flow(html_ctx_t *c, const flow_key_t *k) {
        /* addresses and ports only: safe text */
        char *b = slot(c);
        return flow_format(k, true, b, SLOT) ? b : "";
}

/* printf for markup we compose; every value in it is a number or already-safe text */
static inline void out(html_ctx_t *c, const char *fmt, ...) _printf_(2, 3);
static inline void out(html_ctx_t *c, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vfprintf(c->f, fmt, ap);
        va_end(ap);
}

/* ---- building blocks ---- */

static inline void section_begin(html_ctx_t *c, const char *id, const char *title) {
        out(c, "<section id=\"%s\"><h2>", id);
        html_text(c->f, title);
        out(c, "</h2>\n");
}

static inline void section_end(html_ctx_t *c) {
        out(c, "</section>\n");
}

/* Column names starting with '#' are numbers: right-aligned. */
static inline void table_begin(html_ctx_t *c, const char *cls, ...) {
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

static inline void table_end(html_ctx_t *c) {
        out(c, "</tbody></table>\n");
}

/* A key/value row: value is safe text (numbers, formatted figures); hint is plain words or NULL. */
static inline void kv_row(html_ctx_t *c, const char *key, const char *value, const char *hint, bool zero) {
        out(c, "<tr><th>");
        html_text(c->f, key);
        out(c, "</th><td class=\"n%s\">%s</td><td class=\"hint\">", zero ? " z" : "", value);
        html_text(c->f, hint);
        out(c, "</td></tr>\n");
}

static inline void kv(html_ctx_t *c, const char *key, const char *value, const char *hint) {
        kv_row(c, key, value, hint, false);
}

/* Zeros are shown muted, so the figures that matter stand out. */
static inline void kv_u64(html_ctx_t *c, const char *key, uint64_t v, const char *hint) {
        kv_row(c, key, num(c, v), hint, v == 0);
}

static inline void kv_begin(html_ctx_t *c) {
        out(c, "<table class=\"kv\"><tbody>\n");
}

static inline void kv_end(html_ctx_t *c) {
        out(c, "</tbody></table>\n");
}

static inline void para(html_ctx_t *c, const char *cls, const char *text) {
        out(c, "<p class=\"%s\">", cls);
        html_text(c->f, text);
        out(c, "</p>\n");
}

static inline void scroll_begin(html_ctx_t *c) {
        out(c, "<div class=\"scroll\">");
}

static inline void scroll_end(html_ctx_t *c) {
        out(c, "</div>");
}

/* "Showing N of M" under a capped table. */
static inline void more_note(html_ctx_t *c, uint64_t shown, uint64_t total, const char *what) {
        if (shown >= total)
                return;
        out(c, "<p class=\"more\">Showing %s of %s %s; %s more not listed here", num(c, shown), num(c, total), what,
            num(c, total - shown));
        out(c, " (the JSON report lists up to %s per list; every figure above counts them all).</p>\n",
            num(c, c->a->lim.max_events));
}

static inline void quantile_row(html_ctx_t *c, const char *name, const samples_t *s, const char *hint) {
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

static inline void quantiles_begin(html_ctx_t *c) {
        table_begin(c, "data q", "Measure", "#Samples", "#Min (ms)", "#Median (ms)", "#95th pct (ms)", "#Max (ms)",
                    "#Mean (ms)", "What it is", NULL);
}

static inline const char *sev_class(int s) {
        return s >= 3 ? "crit" : s == 2 ? "warn" : "info";
}

static inline const char *sev_name(int s) {
        return s >= 3 ? "Critical" : s == 2 ? "Warning" : "Info";
}

/* ---- the page ---- */

/* the page's sections */
void html_sec_time(html_ctx_t *c);
void html_sec_findings(html_ctx_t *c);
void html_sec_health(html_ctx_t *c);
void html_sec_capture(html_ctx_t *c);
void html_sec_protocols(html_ctx_t *c);
void html_sec_talkers(html_ctx_t *c);
void html_sec_services(html_ctx_t *c);
void html_sec_tcp(html_ctx_t *c);
void html_sec_conns(html_ctx_t *c);
void html_sec_dns(html_ctx_t *c);
void html_sec_icmp(html_ctx_t *c);
void html_sec_fragments(html_ctx_t *c);
void html_sec_timing(html_ctx_t *c);
void html_timing_lists(html_ctx_t *c);
void html_sec_thresholds(html_ctx_t *c);
void html_sec_jitter(html_ctx_t *c);
/* an event list as a table (report-html.c), for the TCP, DNS and ICMP sections */
void html_events_table(html_ctx_t *c, event_kind_t k, const char *title, const char *hint);
/* what was not analysed, said at the top and again in the capture section (report-html.c) */
void html_partial_notice(html_ctx_t *c);
/* the buckets of the time series that hold packets */
static inline unsigned series_len(const analysis_t *a) {
        int last = -1;
        for (int i = 0; i < SERIES_BUCKETS; i++)
                if (a->series.b[i].packets)
                        last = i;
        return (unsigned) (last + 1);
}
/* the capture's duration in seconds */
static inline double html_duration_s(const analysis_t *a) {
        return a->have_ts ? (double) (a->last_ts - a->first_ts) / 1e9 : 0;
}
