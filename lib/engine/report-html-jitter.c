/* The HTML report: jitter by kind of traffic (RTP streams, media ports, other flows), RTP loss, and the worst
 * flows' jitter and RTT over time with their retransmissions marked. */
#include "report-html-page.h"

static const char *kind_words(uint8_t k) {
        switch (k) {
        case JK_RTP: return "RTP";
        case JK_MEDIA_PORT: return "media port";
        case JK_TCP: return "TCP";
        default: return "UDP";
        }
}

static const char *ms_cell(html_ctx_t *c, int64_t ns) {
        return ns >= 0 ? html_fmt_ms(ns, slot(c), SLOT) : "–";
}

static void streams_table(html_ctx_t *c) {
        const jitter_state_t *s = &c->a->jitter;
        scroll_begin(c);
        table_begin(c, NULL, "Sender → receiver", "Kind", "How", "#Packets", "#Lost", "#Jitter max (ms)",
                    "#Jitter mean (ms)", "#Threshold (ms)", "#First frame", NULL);
        for (uint32_t i = 0; i < s->n && i < 20; i++) {
                const jit_entry_t *e = &s->e[i];
                char how[64], lost[64];
                if (e->kind == JK_RTP && e->clock)
                        snprintf(how, sizeof how, "RFC 3550, PT %u at %u Hz%s", e->pt, e->clock,
                                 e->clock_source == RTP_CLOCK_ESTIMATED ? " (estimated)" : "");
                else if (e->kind == JK_RTP)
                        snprintf(how, sizeof how, "PT %u, clock unknown", e->pt);
                else
                        snprintf(how, sizeof how, "interarrival");
                if (e->kind == JK_RTP)
                        snprintf(lost, sizeof lost, "%" PRId64 " (%s)", e->lost,
                                 pct(c, (double) (e->lost > 0 ? e->lost : 0), (double) (e->expected > 0 ? e->expected : 0)));
                else
                        snprintf(lost, sizeof lost, "–");
                bool bad = e->over || e->loss_over;
                out(c, "<tr%s><td>%s</td><td>%s</td><td>%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                       "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n",
                    bad ? " class=\"warn\"" : "", flow(c, &e->key), kind_words(e->kind), how, num(c, e->packets), lost,
                    ms_cell(c, e->jit_max), ms_cell(c, e->jit_mean),
                    e->kind == JK_TCP ? "not judged" : ms_cell(c, jitter_threshold(c->a, (jitter_kind_t) e->kind)),
                    frame_no(c, e->first_frame));
        }
        table_end(c);
        scroll_end(c);
        if (s->n > 20)
                out(c, "<p class=\"more\">Showing 20 of %s streams and flow directions (the JSON report lists %s).</p>\n",
                    num(c, s->n), num(c, s->n));
}

static void trace_chart(html_ctx_t *c, const jit_chart_t *ch) {
        const jit_trace_t *t = ch->tr;
        unsigned n = t->used;
        double *v = malloc(sizeof(double) * 5 * (n ? n : 1));
        if (!v)
                return;
        double *up = v, *down = v + n, *rtt = v + 2 * n, *rtx = v + 3 * n, *lim = v + 4 * n;
        bool media = ch->kind == JK_RTP || ch->kind == JK_MEDIA_PORT;
        bool any_rtt = false, any_rtx = false;
        for (unsigned i = 0; i < n; i++) {
                const jit_bucket_t *b = &t->b[i];
                up[i] = b->jit_us[0] >= 0 ? b->jit_us[0] / 1e3 : NAN;
                down[i] = b->jit_us[1] >= 0 ? b->jit_us[1] / 1e3 : NAN;
                rtt[i] = b->rtt_us >= 0 ? b->rtt_us / 1e3 : NAN;
                rtx[i] = b->retrans ? (double) b->retrans : NAN;
                lim[i] = (double) jitter_threshold(c->a, JK_RTP) / 1e6;
                any_rtt |= b->rtt_us >= 0;
                any_rtx |= b->retrans > 0;
        }
        /* each way named by its packets' path: a UDP flow's client and server are only a guess from its ports */
        char fwd[160], back[160];
        snprintf(fwd, sizeof fwd, "jitter %s", flow(c, &ch->key));
        flow_key_t rk = ch->key;
        rk.a = ch->key.b;
        rk.b = ch->key.a;
        rk.pa = ch->key.pb;
        rk.pb = ch->key.pa;
        snprintf(back, sizeof back, "jitter %s", flow(c, &rk));
        html_series_t ser[5] = {
                { fwd, 1, HTML_LINE, up },
                { back, 2, HTML_LINE, down },
        };
        unsigned ns = 2;
        if (any_rtt)
                ser[ns++] = (html_series_t) { "path RTT", 4, HTML_DOTS, rtt };
        if (media)
                ser[ns++] = (html_series_t) { "jitter_media_ms threshold", 5, HTML_LINE, lim };
        if (any_rtx || ch->kind == JK_TCP)
                ser[ns++] = (html_series_t) { "retransmissions (ticks)", 3, HTML_MARKS, rtx };
        char title[200], note[200];
        snprintf(title, sizeof title, "%s %s", kind_words(ch->kind), flow(c, &ch->key));
        snprintf(note, sizeof note, "Time from the flow's first packet (%s s into the capture), in buckets of %s: the "
                 "largest value in each.",
                 rel(c, t->t0), dur(c, t->width));
        html_time_chart_t tc = {
                .title = title, .y_unit = "ms", .note = note, .empty = "No jitter measured", .n = n,
                .dx = (double) t->width / 1e9, .s = ser, .n_series = ns,
        };
        html_chart_time(c->f, &tc);
        free(v);
}

void html_sec_jitter(html_ctx_t *c) {
        const analysis_t *a = c->a;
        const jitter_state_t *s = &a->jitter;
        section_begin(c, "jitter", "Jitter");
        char lead[400], v[32], v2[32];
        snprintf(lead, sizeof lead,
                 "%llu RTP %s (%llu packets, %llu lost), %llu RTCP packets, %llu media-paced %s on voice or video ports. "
                 "Voice and video are judged at %s ms of jitter (jitter_media_ms); other UDP is marked from %s ms and TCP "
                 "is not judged.",
                 (unsigned long long) s->rtp_streams, s->rtp_streams == 1 ? "stream" : "streams",
                 (unsigned long long) s->rtp_packets, (unsigned long long) s->rtp_lost,
                 (unsigned long long) s->rtcp_packets, (unsigned long long) s->media_port_flows,
                 s->media_port_flows == 1 ? "flow" : "flows",
                 threshold_format(threshold_value(a, TH_JITTER_MEDIA), v, sizeof v),
                 threshold_format(threshold_value(a, TH_JITTER_OTHER), v2, sizeof v2));
        para(c, "lead", lead);
        para(c, "muted", "RTP streams are recognised by their headers (several packets in a row of one SSRC); their "
                         "jitter is RFC 3550's, from the RTP timestamps at the payload type's clock. Other flows have "
                         "interarrival jitter: the variation of the time between their packets, which also shows how "
                         "the sender paces them.");
        if (!s->n) {
                section_end(c);
                return;
        }
        streams_table(c);
        if (s->n_ch) {
                out(c, "<h3>The worst flows over time</h3>\n");
                for (uint32_t i = 0; i < s->n_ch; i++)
                        trace_chart(c, &s->ch[i]);
        }
        section_end(c);
}
