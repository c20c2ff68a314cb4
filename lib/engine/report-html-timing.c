/* The HTML report: the capture's gaps, largest bursts and peak/quiet periods (timing.c), and the thresholds
 * the diagnosis used (threshold.h), collapsible without script. */
#include "report-html-page.h"

static const char *gap_side(html_ctx_t *c, const gap_side_t *s) {
        if (!s->flow)
                return "–";
        char *b = slot(c);
        return flow_format(&s->key, s->client_is_a, b, SLOT) ? b : "";
}

static void period_row(html_ctx_t *c, const char *kind, const period_t *p, double mean_bps) {
        double start, end, secs, bps;
        timing_period_span(c->a, p, &start, &end, &secs, &bps);
        char *from = slot(c), *to = slot(c), *rate = slot(c), *ratio = slot(c);
        snprintf(from, SLOT, "%.3f", start);
        snprintf(to, SLOT, "%.3f", end);
        snprintf(rate, SLOT, "%.0f", bps);
        snprintf(ratio, SLOT, "%.2f", mean_bps > 0 ? bps / mean_bps : 0);
        out(c, "<tr><td>%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
               "<td class=\"n\">%s</td><td class=\"n\">%s×</td></tr>\n",
            kind, from, to, num(c, p->packets), bytes(c, p->bytes), rate, ratio);
}

void html_timing_lists(html_ctx_t *c) {
        const analysis_t *a = c->a;
        const timing_state_t *t = &a->timing;
        char v[32];

        out(c, "<h3>Gaps</h3>\n");
        out(c, "<p class=\"muted\">Silences of the whole capture of at least %s ms (<code>gap_ms</code>): no packet "
               "at all. &ldquo;Within one flow&rdquo; means the packets on both sides belong to the same connection, so "
               "the silence is that connection's own wait (a server thinking, a client pausing) while nothing else "
               "was happening; otherwise the capture went quiet between conversations.</p>\n",
            threshold_format(threshold_value(a, TH_GAP), v, sizeof v));
        if (!t->gaps_total)
                out(c, "<p>No gap.</p>\n");
        else {
                scroll_begin(c);
                table_begin(c, NULL, "#Start (s)", "#Duration", "#Frame before", "#Frame after", "Flow before",
                            "Flow after", "Within one flow", NULL);
                for (uint32_t i = 0; i < t->n_gaps; i++) {
                        const gap_t *g = &t->gaps[i];
                        out(c, "<tr><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                               "<td class=\"n\">%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
                            rel(c, g->start_ts), dur(c, g->dur), frame_no(c, g->frame_before), frame_no(c, g->frame),
                            gap_side(c, &g->before), gap_side(c, &g->after),
                            g->before.flow && g->before.flow == g->after.flow ? "yes" : "no");
                }
                table_end(c);
                scroll_end(c);
                more_note(c, t->n_gaps, t->gaps_total, "gaps");
                out(c, "<p class=\"muted\">%s gaps, %s in all.</p>\n", num(c, t->gaps_total), dur(c, t->gaps_sum));
        }

        out(c, "<h3>Largest bursts</h3>\n");
        if (!t->n_bursts)
                out(c, "<p>No burst.</p>\n");
        else {
                scroll_begin(c);
                table_begin(c, NULL, "#Start (s)", "#Frame", "#Packets", "#Bytes", "#Duration", NULL);
                for (uint32_t i = 0; i < t->n_bursts; i++) {
                        const burst_t *b = &t->bursts[i];
                        out(c, "<tr><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                               "<td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n",
                            rel(c, b->start), frame_no(c, b->frame), num(c, b->packets), bytes(c, b->bytes),
                            dur(c, b->dur));
                }
                table_end(c);
                scroll_end(c);
        }

        period_t peaks[PERIODS_KEEP], quiet[PERIODS_KEEP];
        unsigned np, nq;
        double mean;
        timing_periods(a, peaks, &np, quiet, &nq, &mean);
        out(c, "<h3>Peak and quiet periods</h3>\n");
        out(c, "<p class=\"muted\">In steps of %.3f s (the time series'). Peaks: the busiest steps. Quiet: the "
               "longest runs of steps under a tenth of the mean rate (%.0f bit/s).</p>\n",
            (double) a->series.width / 1e9, mean);
        if (!np && !nq)
                out(c, "<p>The capture is too short or too empty for periods.</p>\n");
        else {
                scroll_begin(c);
                table_begin(c, NULL, "Period", "#From (s)", "#To (s)", "#Packets", "#Bytes", "#bit/s", "#× mean", NULL);
                for (unsigned i = 0; i < np; i++)
                        period_row(c, "peak", &peaks[i], mean);
                for (unsigned i = 0; i < nq; i++)
                        period_row(c, "quiet", &quiet[i], mean);
                table_end(c);
                scroll_end(c);
        }
}

void html_sec_thresholds(html_ctx_t *c) {
        const thresholds_t *t = &c->a->th;
        unsigned changed = 0;
        char v[32], d[32];

        for (unsigned i = 0; i < _TH_MAX; i++)
                changed += t->source[i] != TS_DEFAULT;
        section_begin(c, "thresholds", "Thresholds");
        out(c, "<p class=\"muted\">The diagnosis used these thresholds; %u of %u differ from their defaults "
               "(<code>pcap-analyzer show-config</code> explains each; <code>--threshold</code>, <code>-l</code> and "
               "<code>--config</code> set them).</p>\n", changed, (unsigned) _TH_MAX);
        out(c, "<details><summary>All thresholds</summary>\n");
        scroll_begin(c);
        table_begin(c, NULL, "Name", "#Value", "#Default", "Unit", "Set by", "What it decides", NULL);
        for (unsigned i = 0; i < _TH_MAX; i++) {
                threshold_id_t id = (threshold_id_t) i;
                out(c, "<tr><td><code>%s</code></td><td class=\"n\">%s</td><td class=\"n\">%s</td><td>", threshold_name(id),
                    threshold_format(t->v[i], v, sizeof v), threshold_format(threshold_default(id), d, sizeof d));
                html_text(c->f, threshold_unit_name(id));
                out(c, "</td><td>%s</td><td>", t->source[i] == TS_DEFAULT ? "default"
                                             : t->source[i] == TS_LATENCY ? "--latency"
                                             : t->source[i] == TS_OPTION ? "--threshold" : "configuration");
                html_text(c->f, threshold_description(id));
                out(c, "</td></tr>\n");
        }
        table_end(c);
        scroll_end(c);
        out(c, "</details>\n");
        section_end(c);
}
