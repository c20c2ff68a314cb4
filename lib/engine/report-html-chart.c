/* The HTML report's charts as inline SVG: time series (lines, areas, stacked bars), duration histograms,
 * horizontal bars and the health gauge. No script: tooltips are SVG <title> elements; colours are CSS
 * classes so one drawing works in light, dark and print styles. */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "report-html.h"

/* ---- axes ---- */

typedef struct axis {
        double max;              /* the axis ends here (a multiple of step) */
        double step;
        int decimals;
} axis_t;

static double nice_step(double raw) {
        if (!(raw > 0) || !isfinite(raw))
                return 1;
        double p = pow(10, floor(log10(raw)));
        double m = raw / p;
        return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

static void axis_make(axis_t *ax, double max, int ticks, bool integer) {
        if (!(max > 0) || !isfinite(max))
                max = 1;
        ax->step = nice_step(max / ticks);
        if (integer && ax->step < 1)
                ax->step = 1;
        ax->max = ceil(max / ax->step - 1e-9) * ax->step;
        ax->decimals = ax->step >= 1 ? 0 : (int) ceil(-log10(ax->step) - 1e-9);
        if (ax->decimals > 6)
                ax->decimals = 6;
}

static void axis_label(FILE *f, double v, int decimals) {
        if (decimals == 0 && fabs(v) >= 10000) {
                char b[32];
                fputs(html_fmt_count((uint64_t) llround(fabs(v)), b, sizeof b), f);
        } else
                fprintf(f, "%.*f", decimals, v);
}

static void legend(FILE *f, const char *name, int colour) {
        fprintf(f, "<span class=\"key\"><span class=\"sw c%d\">■</span>", colour);
        html_text(f, name);
        fputs("</span>", f);
}

static void figure_begin(FILE *f, const char *title) {
        fputs("<figure class=\"chart\"><figcaption><span class=\"ct\">", f);
        html_text(f, title);
        fputs("</span>", f);
}

/* A chart with nothing to draw says so in one line instead of an empty frame. */
static void figure_nodata(FILE *f, const char *msg) {
        fputs("</figcaption><p class=\"nodata\">", f);
        html_text(f, msg);
        fputs("</p></figure>\n", f);
}

static void svg_begin(FILE *f, const char *title, unsigned w, unsigned h) {
        fprintf(f, "</figcaption>\n<svg viewBox=\"0 0 %u %u\" role=\"img\" aria-label=\"", w, h);
        html_text(f, title);
        fputs("\">", f);
}

static void figure_end(FILE *f, const char *note) {
        fputs("</svg>", f);
        if (note && note[0]) {
                fputs("<p class=\"note\">", f);
                html_text(f, note);
                fputs("</p>", f);
        }
        fputs("</figure>\n", f);
}

/* Horizontal grid lines and labels of a value axis; y(v) = top + ph * (1 - v / max). */
static void y_axis(FILE *f, const axis_t *ay, double left, double right, double top, double ph, const char *title) {
        fputs("<g class=\"grid\">", f);
        for (double v = 0; v <= ay->max + ay->step / 2; v += ay->step) {
                double y = top + ph * (1 - v / ay->max);
                fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>", left, right, y, y);
        }
        fputs("</g><g class=\"ax\" text-anchor=\"end\">", f);
        for (double v = 0; v <= ay->max + ay->step / 2; v += ay->step) {
                double y = top + ph * (1 - v / ay->max);
                fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", left - 6, y + 4);
                axis_label(f, v, ay->decimals);
                fputs("</text>", f);
        }
        fputs("</g>", f);
        fprintf(f, "<text class=\"at\" text-anchor=\"middle\" transform=\"translate(14 %.1f) rotate(-90)\">", top + ph / 2);
        html_text(f, title);
        fputs("</text>", f);
}

/* ---- time series ---- */

#define TW_WIDE 960
#define TW_NARROW 540
#define TH 270
#define TML 72
#define TMR 18
#define TMT 14
#define TMB 46

static bool finite_pos(double v) {
        return isfinite(v) && v > 0;
}

void html_chart_time(FILE *f, const html_time_chart_t *c) {
        const unsigned TW = c->narrow ? TW_NARROW : TW_WIDE;
        const double pw = TW - TML - TMR, ph = TH - TMT - TMB, base = TMT + ph;
        double ymax = 0;
        bool any = false;
        for (unsigned i = 0; i < c->n; i++) {
                double stack = 0;
                for (unsigned k = 0; k < c->n_series; k++) {
                        double v = c->s[k].v[i];
                        if (!finite_pos(v) || c->s[k].style == HTML_MARKS)
                                continue;
                        any = true;
                        if (c->s[k].style == HTML_BARS && c->stacked)
                                stack += v;
                        else if (v > ymax)
                                ymax = v;
                }
                if (stack > ymax)
                        ymax = stack;
        }
        bool integer = true;
        for (unsigned k = 0; k < c->n_series; k++)
                for (unsigned i = 0; i < c->n && integer && c->s[k].style != HTML_MARKS; i++)
                        if (isfinite(c->s[k].v[i]) && c->s[k].v[i] != floor(c->s[k].v[i]))
                                integer = false;
        axis_t ay;
        axis_make(&ay, ymax * 1.05, 5, integer);

        /* x: time since the first packet, in a unit that keeps the labels short */
        double total = c->n * c->dx;
        double fx = 1;
        const char *xu = "s";
        if (total < 2) {
                fx = 1e3;
                xu = "ms";
        } else if (total >= 36000) {
                fx = 1.0 / 3600;
                xu = "h";
        } else if (total >= 600) {
                fx = 1.0 / 60;
                xu = "min";
        }
        axis_t ax;
        axis_make(&ax, total * fx, c->narrow ? 5 : 8, false);
        double bw = c->n ? pw / c->n : pw;

        figure_begin(f, c->title);
        if (!any) {
                figure_nodata(f, c->empty ? c->empty : "No data");
                return;
        }
        fputs("<span class=\"legend\">", f);
        for (unsigned k = 0; k < c->n_series; k++)
                legend(f, c->s[k].name, c->s[k].colour);
        fputs("</span>", f);
        svg_begin(f, c->title, TW, TH);
        y_axis(f, &ay, TML, TML + pw, TMT, ph, c->y_unit);
        fputs("<g class=\"ax\" text-anchor=\"middle\">", f);
        for (double v = 0; total > 0 && v <= total * fx * (1 + 1e-9); v += ax.step) {
                double x = TML + pw * v / (total * fx);
                fprintf(f, "<line class=\"tick\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>", x, x, base, base + 4);
                fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", x, base + 17);
                axis_label(f, v, ax.decimals);
                fputs("</text>", f);
        }
        fputs("</g>", f);
        fprintf(f, "<text class=\"at\" text-anchor=\"middle\" x=\"%.1f\" y=\"%d\">Time since the first packet (%s)</text>",
                TML + pw / 2, TH - 6, xu);

        /* bars first, so lines stay visible above them */
        double gap = bw > 4 ? 1 : 0;
        for (unsigned i = 0; i < c->n; i++) {
                double acc = 0;
                for (unsigned k = 0; k < c->n_series; k++) {
                        const html_series_t *s = &c->s[k];
                        double v = s->v[i];
                        if (s->style != HTML_BARS || !finite_pos(v))
                                continue;
                        double from = c->stacked ? acc : 0;
                        double y1 = base - ph * (from + v) / ay.max, y0 = base - ph * from / ay.max;
                        double hgt = y0 - y1 < 1 ? 1 : y0 - y1;
                        fprintf(f, "<rect class=\"f%d\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>", s->colour,
                                TML + i * bw + gap / 2, y0 - hgt, bw - gap > 0.6 ? bw - gap : 0.6, hgt);
                        if (c->stacked)
                                acc += v;
                }
        }
        for (unsigned k = 0; k < c->n_series; k++) {
                const html_series_t *s = &c->s[k];
                if (s->style == HTML_BARS)
                        continue;
                if (s->style == HTML_MARKS) {
                        /* a tick rising from the time axis: when, not how much (the tooltip says how many) */
                        fprintf(f, "<g class=\"l%d\">", s->colour);
                        for (unsigned i = 0; i < c->n; i++)
                                if (finite_pos(s->v[i]))
                                        fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>",
                                                TML + (i + 0.5) * bw, TML + (i + 0.5) * bw, base, base - 12);
                        fputs("</g>", f);
                        continue;
                }
                if (s->style == HTML_DOTS) {
                        fprintf(f, "<g class=\"f%d\">", s->colour);
                        for (unsigned i = 0; i < c->n; i++)
                                if (isfinite(s->v[i]))
                                        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%s\"/>", TML + (i + 0.5) * bw,
                                                base - ph * s->v[i] / ay.max, k ? "2" : "2.8");
                        fputs("</g>", f);
                        continue;
                }
                for (unsigned i = 0; i < c->n;) {
                        if (!isfinite(s->v[i])) {
                                i++;
                                continue;
                        }
                        unsigned j = i;
                        while (j < c->n && isfinite(s->v[j]))
                                j++;
                        /* a run [i, j) of values */
                        if (j - i == 1) {
                                fprintf(f, "<circle class=\"f%d\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\"/>", s->colour,
                                        TML + (i + 0.5) * bw, base - ph * s->v[i] / ay.max);
                        } else {
                                if (s->style == HTML_AREA) {
                                        fprintf(f, "<path class=\"a%d\" d=\"M%.1f %.1f", s->colour, TML + (i + 0.5) * bw, base);
                                        for (unsigned m = i; m < j; m++)
                                                fprintf(f, "L%.1f %.1f", TML + (m + 0.5) * bw, base - ph * s->v[m] / ay.max);
                                        fprintf(f, "L%.1f %.1fZ\"/>", TML + (j - 0.5) * bw, base);
                                }
                                fprintf(f, "<polyline class=\"l%d\" points=\"", s->colour);
                                for (unsigned m = i; m < j; m++)
                                        fprintf(f, "%.1f,%.1f ", TML + (m + 0.5) * bw, base - ph * s->v[m] / ay.max);
                                fputs("\"/>", f);
                        }
                        i = j;
                }
        }
        fprintf(f, "<line class=\"axis\" x1=\"%d\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>", TML, TML + pw, base, base);

        /* hover targets with the bucket's values: the only interactivity, and it needs no script */
        int dec = c->dx >= 1 ? 0 : (int) ceil(-log10(c->dx)) + 1;
        if (dec > 6)
                dec = 6;
        fputs("<g class=\"hits\">", f);
        for (unsigned i = 0; i < c->n; i++) {
                bool has = false;
                for (unsigned k = 0; k < c->n_series; k++)
                        if (isfinite(c->s[k].v[i]))
                                has = true;
                if (!has)
                        continue;
                fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%.1f\"><title>%.*f–%.*f s", TML + i * bw, TMT, bw,
                        ph, dec, i * c->dx, dec, (i + 1) * c->dx);
                for (unsigned k = 0; k < c->n_series; k++) {
                        fputs("\n", f);
                        html_text(f, c->s[k].name);
                        if (isfinite(c->s[k].v[i]))
                                fprintf(f, ": %.4g ", c->s[k].v[i]);
                        else
                                fputs(": – ", f);
                        if (c->s[k].style != HTML_MARKS)
                                html_text(f, c->y_unit);
                }
                fputs("</title></rect>", f);
        }
        fputs("</g>", f);
        figure_end(f, c->note);
}

/* ---- duration histograms ---- */

#define HW 540
#define HH 270
#define HML 58
#define HMR 28
#define HMT 14
#define HMB 48
#define HIST_EDGES 27            /* 1 µs .. 100 s in 1-2-5 steps */

static int64_t hist_edge(int i) {
        /* edge i: 0 for i < 0; 1-2-5 x 10^k µs */
        if (i < 0)
                return 0;
        static const int m[3] = { 1, 2, 5 };
        int64_t v = 1000 * m[i % 3];
        for (int k = 0; k < i / 3; k++)
                v *= 10;
        return v;
}

static void edge_label(FILE *f, int64_t ns) {
        if (ns == 0)
                fputs("0", f);
        else if (ns < 1000000)
                fprintf(f, "%" PRId64 " µs", ns / 1000);
        else if (ns < 1000000000)
                fprintf(f, "%" PRId64 " ms", ns / 1000000);
        else
                fprintf(f, "%" PRId64 " s", ns / 1000000000);
}

void html_chart_durations(FILE *f, const char *title, const char *x_title, const char *what, const char *note,
                          const samples_t *s) {
        /* bucket b (0 .. HIST_EDGES) covers [edge(b-1), edge(b)); the last one [edge(HIST_EDGES-1), inf) */
        uint64_t cnt[HIST_EDGES + 1] = { 0 };
        for (uint32_t i = 0; i < s->n; i++) {
                int b = 0;
                while (b < HIST_EDGES && s->v[i] >= hist_edge(b))
                        b++;
                cnt[b]++;
        }
        int first = -1, last = -1;
        for (int b = 0; b <= HIST_EDGES; b++)
                if (cnt[b]) {
                        if (first < 0)
                                first = b;
                        last = b;
                }
        const double pw = HW - HML - HMR, ph = HH - HMT - HMB, base = HMT + ph;
        figure_begin(f, title);
        if (first < 0) {
                figure_nodata(f, "No samples");
                return;
        }
        svg_begin(f, title, HW, HH);
        /* at least 6 buckets, so one narrow peak still reads as a distribution */
        while (last - first + 1 < 6) {
                if (first > 1)
                        first--;
                if (last - first + 1 < 6 && last < HIST_EDGES)
                        last++;
                if (first <= 1 && last >= HIST_EDGES)
                        break;
        }
        uint64_t max = 0;
        for (int b = first; b <= last; b++)
                if (cnt[b] > max)
                        max = cnt[b];
        axis_t ay;
        axis_make(&ay, (double) max * 1.05, 5, true);
        y_axis(f, &ay, HML, HML + pw, HMT, ph, what);
        int k = last - first + 1;
        double bw = pw / k;
        bool decades_only = bw < 46;
        fputs("<g class=\"ax\" text-anchor=\"middle\">", f);
        for (int b = first; b <= last + 1; b++) {
                /* boundary between bucket b-1 and b is edge(b-1) */
                if (b > HIST_EDGES)
                        break;
                int ei = b - 1;
                if (decades_only && (ei < 0 ? b < last + 1 : ei % 3 != 0))
                        continue;
                double x = HML + (b - first) * bw;
                fprintf(f, "<line class=\"tick\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>", x, x, base, base + 4);
                fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", x, base + 17);
                edge_label(f, hist_edge(ei));
                fputs("</text>", f);
        }
        fputs("</g>", f);
        fprintf(f, "<text class=\"at\" text-anchor=\"middle\" x=\"%.1f\" y=\"%d\">", HML + pw / 2, HH - 6);
        html_text(f, x_title);
        fputs("</text>", f);
        for (int b = first; b <= last; b++) {
                double x = HML + (b - first) * bw + 1;
                double hgt = ph * (double) cnt[b] / ay.max;
                if (cnt[b] && hgt < 1)
                        hgt = 1;
                fprintf(f, "<g class=\"bar\"><rect class=\"hitbg\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%.1f\"/>", x - 1, HMT,
                        bw, ph);
                if (cnt[b])
                        fprintf(f, "<rect class=\"f1\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>", x, base - hgt,
                                bw - 2 > 1 ? bw - 2 : 1, hgt);
                fputs("<title>", f);
                edge_label(f, hist_edge(b - 1));
                if (b < HIST_EDGES) {
                        fputs(" – ", f);
                        edge_label(f, hist_edge(b));
                } else
                        fputs(" or more", f);
                fprintf(f, ": %" PRIu64 " ", cnt[b]);
                html_text(f, what);
                if (s->n)
                        fprintf(f, " (%.1f %%)", 100.0 * (double) cnt[b] / s->n);
                fputs("</title></g>", f);
        }
        fprintf(f, "<line class=\"axis\" x1=\"%d\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>", HML, HML + pw, base, base);
        fputs("</svg>", f);
        if (note || s->seen > s->n) {
                fputs("<p class=\"note\">", f);
                html_text(f, note);
                if (s->seen > s->n)
                        fprintf(f, " Drawn from a uniform sample of %" PRIu32 " of the %" PRIu64 " values.", s->n, s->seen);
                fputs("</p>", f);
        }
        fputs("</figure>\n", f);
}

/* ---- horizontal bars ---- */

#define BW 540
#define BMX 6

/* a bar's tooltip (its label and value text) and the end of its group */
static void bar_end(FILE *f, const char *label, const char *text) {
        fputs("<title>", f);
        html_text(f, label);
        fputs(": ", f);
        fputs(text, f);
        fputs("</title></g>", f);
}

void html_chart_hbars(FILE *f, const char *title, const char *const names[2], const html_bar_t *rows, unsigned n,
                      bool stacked) {
        bool two = names[1] != NULL;
        double max = 0;
        for (unsigned i = 0; i < n; i++) {
                double v = stacked ? rows[i].v[0] + (two ? rows[i].v[1] : 0) : rows[i].v[0];
                if (v > max)
                        max = v;
                if (two && !stacked && rows[i].v[1] > max)
                        max = rows[i].v[1];
        }
        if (!(max > 0))
                max = 1;
        const unsigned rh = two && !stacked ? 38 : 32;
        const unsigned h = n * rh + 8;
        const double pw = BW - 2 * BMX;
        figure_begin(f, title);
        fputs("<span class=\"legend\">", f);
        for (int k = 0; k < (two ? 2 : 1); k++)
                legend(f, names[k], k + 1);
        fputs("</span>", f);
        svg_begin(f, title, BW, h);
        for (unsigned i = 0; i < n; i++) {
                const html_bar_t *r = &rows[i];
                double y = 4 + i * rh;
                fprintf(f, "<g class=\"bar\"><rect class=\"hitbg\" x=\"0\" y=\"%.1f\" width=\"%d\" height=\"%u\"/>", y, BW, rh);
                fprintf(f, "<text class=\"bl\" x=\"%d\" y=\"%.1f\">", BMX, y + 12);
                html_text(f, r->label);
                fprintf(f, "</text><text class=\"bv\" text-anchor=\"end\" x=\"%d\" y=\"%.1f\">", BW - BMX, y + 12);
                fputs(r->text, f);
                fputs("</text>", f);
                fprintf(f, "<rect class=\"track\" x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"%d\"/>", BMX, y + 17, pw,
                        two && !stacked ? 16 : 9);
                if (stacked || !two) {
                        double x = BMX;
                        for (int k = 0; k < (two ? 2 : 1); k++) {
                                double w = pw * r->v[k] / max;
                                if (r->v[k] > 0 && w < 1)
                                        w = 1;
                                if (w > 0)
                                        fprintf(f, "<rect class=\"f%d\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"9\"/>", k + 1, x,
                                                y + 17, w);
                                x += w;
                        }
                } else
                        for (int k = 0; k < 2; k++) {
                                double w = pw * r->v[k] / max;
                                if (r->v[k] > 0 && w < 1)
                                        w = 1;
                                if (w > 0)
                                        fprintf(f, "<rect class=\"f%d\" x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"7\"/>", k + 1, BMX,
                                                y + 17 + k * 9, w);
                        }
                bar_end(f, r->label, r->text);
        }
        figure_end(f, NULL);
}

void html_chart_parts(FILE *f, const char *title, const char *const *names, unsigned n_parts,
                      const html_parts_bar_t *rows, unsigned n) {
        if (n_parts > HTML_PARTS_MAX)
                n_parts = HTML_PARTS_MAX;
        double max = 0;
        for (unsigned i = 0; i < n; i++) {
                double v = 0;
                for (unsigned k = 0; k < n_parts; k++)
                        v += rows[i].v[k] > 0 ? rows[i].v[k] : 0;
                if (v > max)
                        max = v;
        }
        if (!(max > 0))
                max = 1;
        const unsigned rh = 32, h = n * rh + 8;
        const double pw = BW - 2 * BMX;
        figure_begin(f, title);
        fputs("<span class=\"legend\">", f);
        for (unsigned k = 0; k < n_parts; k++)
                legend(f, names[k], (int) k + 1);
        fputs("</span>", f);
        svg_begin(f, title, BW, h);
        for (unsigned i = 0; i < n; i++) {
                const html_parts_bar_t *r = &rows[i];
                double y = 4 + i * rh, x = BMX;
                fprintf(f, "<g class=\"bar\"><rect class=\"hitbg\" x=\"0\" y=\"%.1f\" width=\"%d\" height=\"%u\"/>", y, BW, rh);
                fprintf(f, "<text class=\"bl\" x=\"%d\" y=\"%.1f\">", BMX, y + 12);
                html_text(f, r->label);
                fprintf(f, "</text><text class=\"bv\" text-anchor=\"end\" x=\"%d\" y=\"%.1f\">", BW - BMX, y + 12);
                fputs(r->text, f);
                fprintf(f, "</text><rect class=\"track\" x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"9\"/>", BMX, y + 17, pw);
                for (unsigned k = 0; k < n_parts; k++) {
                        if (!(r->v[k] > 0))
                                continue;
                        double w = pw * r->v[k] / max;
                        if (w < 1)
                                w = 1;
                        fprintf(f, "<rect class=\"f%u\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"9\"><title>", k + 1, x,
                                y + 17, w);
                        html_text(f, names[k]);
                        fprintf(f, ": %.1f</title></rect>", r->v[k]);
                        x += w;
                }
                bar_end(f, r->label, r->text);
        }
        figure_end(f, NULL);
}

void html_chart_xy(FILE *f, const char *title, const char *y_unit, const char *note, const html_xy_series_t *s,
                   unsigned n_series) {
        const unsigned TW = TW_WIDE;
        const double pw = TW - TML - TMR, ph = TH - TMT - TMB, base = TMT + ph;
        double xmax = 0, ymin = 0, ymax = 0;
        bool any = false;
        for (unsigned k = 0; k < n_series; k++)
                for (unsigned i = 0; i < s[k].n; i++) {
                        if (!isfinite(s[k].x[i]) || !isfinite(s[k].y[i]))
                                continue;
                        if (!any || s[k].y[i] < ymin)
                                ymin = s[k].y[i];
                        if (!any || s[k].y[i] > ymax)
                                ymax = s[k].y[i];
                        if (s[k].x[i] > xmax)
                                xmax = s[k].x[i];
                        any = true;
                }
        figure_begin(f, title);
        if (!any) {
                figure_nodata(f, "No data");
                return;
        }
        if (ymin > 0)
                ymin = 0;
        axis_t ay, ax;
        axis_make(&ay, (ymax - ymin) * 1.05, 5, true);
        double fx = xmax < 2 ? 1e3 : 1;
        axis_make(&ax, xmax * fx, 8, false);
        fputs("<span class=\"legend\">", f);
        for (unsigned k = 0; k < n_series; k++)
                legend(f, s[k].name, s[k].colour);
        fputs("</span>", f);
        svg_begin(f, title, TW, TH);
        y_axis(f, &ay, TML, TML + pw, TMT, ph, y_unit);
        fputs("<g class=\"ax\" text-anchor=\"middle\">", f);
        for (double v = 0; v <= ax.max * (1 + 1e-9); v += ax.step) {
                double x = TML + pw * v / ax.max;
                fprintf(f, "<line class=\"tick\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>", x, x, base, base + 4);
                fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", x, base + 17);
                axis_label(f, v, ax.decimals);
                fputs("</text>", f);
        }
        fputs("</g>", f);
        fprintf(f, "<text class=\"at\" text-anchor=\"middle\" x=\"%.1f\" y=\"%d\">Time since the transfer began (%s)</text>",
                TML + pw / 2, TH - 6, fx > 1 ? "ms" : "s");
        for (unsigned k = 0; k < n_series; k++) {
                const html_xy_series_t *q = &s[k];
                if (q->step) {
                        fprintf(f, "<polyline class=\"l%d\" fill=\"none\" points=\"", q->colour);
                        double py = NAN;
                        for (unsigned i = 0; i < q->n; i++) {
                                if (!isfinite(q->x[i]) || !isfinite(q->y[i]))
                                        continue;
                                double x = TML + pw * q->x[i] * fx / ax.max, y = base - ph * (q->y[i] - ymin) / ay.max;
                                if (isfinite(py))
                                        fprintf(f, "%.1f,%.1f ", x, py);
                                fprintf(f, "%.1f,%.1f ", x, y);
                                py = y;
                        }
                        fputs("\"/>", f);
                } else {
                        fprintf(f, "<g class=\"f%d\">", q->colour);
                        for (unsigned i = 0; i < q->n; i++)
                                if (isfinite(q->x[i]) && isfinite(q->y[i]))
                                        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"1.6\"/>", TML + pw * q->x[i] * fx / ax.max,
                                                base - ph * (q->y[i] - ymin) / ay.max);
                        fputs("</g>", f);
                }
        }
        figure_end(f, note);
}

/* ---- gauge ---- */

void html_chart_gauge(FILE *f, int score) {
        if (score < 0)
                score = 0;
        if (score > 100)
                score = 100;
        const double r = 50, circ = 2 * M_PI * r;
        const char *cls = score >= 90 ? "ok" : score >= 70 ? "warn" : "bad";
        fprintf(f, "<svg class=\"gauge\" viewBox=\"0 0 124 124\" role=\"img\" aria-label=\"Health score %d of 100\">"
                   "<circle class=\"gtrack\" cx=\"62\" cy=\"62\" r=\"50\"/>"
                   "<circle class=\"g%s\" cx=\"62\" cy=\"62\" r=\"50\" stroke-dasharray=\"%.2f %.2f\" "
                   "transform=\"rotate(-90 62 62)\"/>"
                   "<text class=\"gnum\" x=\"62\" y=\"68\" text-anchor=\"middle\">%d</text>"
                   "<text class=\"gof\" x=\"62\" y=\"86\" text-anchor=\"middle\">of 100</text></svg>",
                score, cls, circ * score / 100.0, circ, score);
}
