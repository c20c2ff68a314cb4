/* The HTML report: findings and the health score. */
#include "report-html-page.h"

/* ---- findings and health ---- */

void html_sec_findings(html_ctx_t *c) {
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
                html_finding_commands(c, i);
                out(c, "</article>\n");
        }
        section_end(c);
}

void html_sec_health(html_ctx_t *c) {
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
