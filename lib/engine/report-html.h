/* Helpers shared by the HTML report's files: escaping, number formatting and inline SVG charts. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "samples.h"

/* The style sheet (report-html.css, embedded at build time). */
extern const char report_html_css[];

/* ---- text (report-html-text.c) ---- */

/* Text the engine composed (findings, addresses, names of things): HTML specials escaped, valid UTF-8 kept,
 * invalid UTF-8 and control bytes written as \xNN, so the output is always valid UTF-8 without markup. */
void html_text(FILE *f, const char *s);
void html_textn(FILE *f, const char *s, size_t n);
/* Bytes that came from a packet (DNS names): printable ASCII as text, HTML specials escaped, every other
 * byte (controls, NUL, space, backslash, anything >= 0x80) as \xNN inside <span class="esc">. */
void html_bytes(FILE *f, const char *s, size_t n);

/* Formatting into a caller's buffer; each returns buf, which holds HTML-safe text (no markup specials except
 * the "&lt;" html_fmt_pct may write). */
char *html_fmt_count(uint64_t v, char *buf, size_t len);            /* 1,234,567 */
char *html_fmt_bytes(uint64_t v, char *buf, size_t len);            /* 1.56 MB (SI) */
char *html_fmt_bits(double bits_per_s, char *buf, size_t len);     /* 2.60 Mbit/s */
char *html_fmt_dur(int64_t ns, char *buf, size_t len);              /* 287 ms, 4.81 s, 12.3 µs, 2 h 03 min */
char *html_fmt_ms(int64_t ns, char *buf, size_t len);               /* 287.123 (milliseconds, 3 decimals) */
char *html_fmt_ts(int64_t ns, bool nano, char *buf, size_t len);   /* 2026-11-25 12:00:00.123456 UTC */
char *html_fmt_pct(double part, double whole, char *buf, size_t len); /* 12.3 % ("–" when whole is 0) */
/* Relative time (s since the first packet) with 6 decimals. */
char *html_fmt_rel(int64_t ns, int64_t t0, char *buf, size_t len);

/* ---- charts (report-html-chart.c): inline SVG, no script; colours come from the page's CSS ---- */

typedef enum html_style {
        HTML_LINE,               /* a polyline through the buckets; NaN values leave a gap */
        HTML_AREA,               /* a line with the area under it filled */
        HTML_BARS,               /* one bar per bucket (stacked with the other bar series when asked) */
        HTML_DOTS,               /* one dot per bucket with a value: for sparse measurements such as RTT */
        HTML_MARKS,              /* a tick under the plot where a count is above 0 (retransmissions): outside the y scale */
} html_style_t;

typedef struct html_series {
        const char *name;        /* legend and tooltips */
        int colour;              /* 1..5: CSS classes f1/l1 .. f5/l5 */
        html_style_t style;
        const double *v;         /* one value per bucket, NaN = no value */
} html_series_t;

typedef struct html_time_chart {
        const char *title;
        const char *y_unit;      /* axis title, e.g. "Mbit/s" */
        const char *note;        /* text under the chart, or NULL */
        const char *empty;       /* shown in the plot when there is nothing to draw */
        unsigned n;              /* buckets */
        double dx;               /* bucket width in seconds */
        const html_series_t *s;
        unsigned n_series;
        bool stacked;
        bool narrow;             /* drawn for half the page width */
} html_time_chart_t;

void html_chart_time(FILE *f, const html_time_chart_t *c);

/* A distribution of durations in 1-2-5 buckets (10 µs, 20 µs, 50 µs, ... 100 s), from a sample store (sorted
 * or not; not modified). */
void html_chart_durations(FILE *f, const char *title, const char *x_title, const char *what, const char *note,
                          const samples_t *s);

typedef struct html_bar {
        const char *label;       /* escaped when written */
        double v[2];
        char text[48];           /* value text after the bar */
} html_bar_t;

/* Horizontal bars: one per row, or two per row (names[1] set, not stacked), or two stacked (stacked). */
void html_chart_hbars(FILE *f, const char *title, const char *const names[2], const html_bar_t *rows, unsigned n,
                      bool stacked);

#define HTML_PARTS_MAX 5

typedef struct html_parts_bar {
        const char *label;       /* escaped when written */
        double v[HTML_PARTS_MAX];
        char text[48];           /* value text after the bar */
} html_parts_bar_t;

/* Horizontal bars of up to five stacked parts each (colours 1..n, in the order of names), on one scale. */
void html_chart_parts(FILE *f, const char *title, const char *const *names, unsigned n_parts,
                      const html_parts_bar_t *rows, unsigned n);

typedef struct html_xy_series {
        const char *name;
        int colour;              /* 1..5 */
        bool step;               /* a staircase (a value holds until the next), else dots */
        const double *x, *y;
        unsigned n;
} html_xy_series_t;

/* A chart of points at any x (time in seconds from 0) and y: for a time-sequence graph. */
void html_chart_xy(FILE *f, const char *title, const char *y_unit, const char *note, const html_xy_series_t *s,
                   unsigned n_series);

/* A ring gauge for the health score. */
void html_chart_gauge(FILE *f, int score);
