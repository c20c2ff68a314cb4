/* The HTML report: the connections table (each connection's end state over all of them, the worst listed). */
#include "report-html-page.h"

/* The end states in words, in the order of conn_state_t. */
static const char *const state_words[_CONN_STATE_MAX] = {
        [CONN_ESTABLISHED] = "established", [CONN_IDLE] = "idle", [CONN_HALF_OPEN] = "half-open",
        [CONN_HALF_CLOSED] = "half-closed", [CONN_FIN] = "closed by FIN", [CONN_RESET] = "reset",
        [CONN_REFUSED] = "refused", [CONN_SYN_UNANSWERED] = "SYN without answer",
        [CONN_MIDSTREAM] = "seen without its handshake",
};

static const char *const state_hints[_CONN_STATE_MAX] = {
        [CONN_ESTABLISHED] = "open, heard from lately",
        [CONN_IDLE] = "open, silent at its end for at least the idle threshold",
        [CONN_HALF_OPEN] = "SYN/ACK never acknowledged, no data",
        [CONN_HALF_CLOSED] = "a FIN one way only",
        [CONN_FIN] = "a FIN each way",
        [CONN_RESET] = "a RST after the handshake, or from the client",
        [CONN_REFUSED] = "the server answered the SYN with a RST",
        [CONN_SYN_UNANSWERED] = "SYNs, and nothing from the server",
        [CONN_MIDSTREAM] = "open, started before the capture",
};

static const char *bits_or_dash(html_ctx_t *c, uint64_t bytes, int64_t dur) {
        char *b = slot(c);
        if (dur <= 0)
                return "–";
        return html_fmt_bits((double) bytes * 8e9 / (double) dur, b, SLOT);
}

static const char *ms_or_dash(html_ctx_t *c, int64_t ns) {
        char *b = slot(c);
        return ns >= 0 ? html_fmt_ms(ns, b, SLOT) : "–";
}

void html_sec_conns(html_ctx_t *c) {
        const analysis_t *a = c->a;
        const conn_table_t *t = &a->conns;
        section_begin(c, "connections", "Connections");
        if (!t->total) {
                para(c, "muted", "No TCP connection in this capture.");
                section_end(c);
                return;
        }
        char *s = slot(c);
        snprintf(s, SLOT, "%s", dur(c, threshold_ns(a, TH_CONN_IDLE)));
        out(c, "<p class=\"muted\">Every TCP connection in the state it was in at its end (the end of the capture, "
               "or when a new connection took its ports). Idle: silent for at least %s (threshold "
               "<code>conn_idle_ms</code>). The counts are exact over all %s connections.</p>\n",
            s, num(c, t->total));
        kv_begin(c);
        for (int i = 0; i < _CONN_STATE_MAX; i++)
                kv_u64(c, state_words[i], t->states[i], state_hints[i]);
        kv_end(c);

        uint32_t shown = t->rows.n < WORST_ROWS ? t->rows.n : WORST_ROWS;
        out(c, "<h3>Worst connections</h3>\n");
        para(c, "muted", "Ranked by their problems (the worst flows' score, plus 20 for a reset and 10 for a "
                         "half-open or half-closed end), then by bytes. RTT: every whole round trip of the connection "
                         "(its handshake and its data → ACK samples, both halves); the median is within 9 %. "
                         "Throughput: bytes over the connection's duration. Jitter: RFC 3550, for directions of 8 "
                         "packets or more.");
        scroll_begin(c);
        table_begin(c, "data worst conns", "#", "Connection (client → server)", "State", "#Start (s)", "#Duration",
                    "#Idle", "#Bytes →/←", "#Throughput →/←", "#RTT min/median/max (ms)", "#Retrans.",
                    "#Jitter →/← (ms)", NULL);
        for (uint32_t i = 0; i < shown; i++) {
                const conn_row_t *r = topn_at(&t->rows, i);
                int64_t d = r->last_ts - r->first_ts, end = r->replaced ? r->end_ts : a->last_ts;
                char filt[512];
                c->nr = 0;
                out(c, "<tr class=\"main\"><td class=\"n\" rowspan=\"2\">%u</td><td class=\"flow\">%s</td>"
                       "<td>%s</td>",
                    i + 1, flow(c, &r->key), state_words[r->state < _CONN_STATE_MAX ? r->state : 0]);
                out(c, "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>", rel(c, r->first_ts),
                    dur(c, d), dur(c, end > r->last_ts ? end - r->last_ts : 0));
                out(c, "<td class=\"n\">%s / %s</td><td class=\"n\">%s / %s</td>", bytes(c, r->bytes[0]),
                    bytes(c, r->bytes[1]), bits_or_dash(c, r->bytes[0], d), bits_or_dash(c, r->bytes[1], d));
                out(c, "<td class=\"n\">%s / %s / %s</td><td class=\"n\">%" PRIu32 "</td>"
                       "<td class=\"n\">%s / %s</td></tr>\n",
                    ms_or_dash(c, r->rtt_min), ms_or_dash(c, r->rtt_p50), ms_or_dash(c, r->rtt_max), r->retrans,
                    ms_or_dash(c, r->jitter[0]), ms_or_dash(c, r->jitter[1]));
                c->nr = 0;
                out(c, "<tr class=\"sub\"><td colspan=\"11\"><span class=\"lbl\">Filter</span><code>");
                html_text(c->f, flow_filter(&r->key, filt, sizeof filt));
                out(c, "</code> <span class=\"lbl\">Frames</span>%s–%s", frame_no(c, r->first_frame),
                    frame_no(c, r->last_frame));
                const char *sep = " <span class=\"note\">";
                if (!r->handshake) {
                        out(c, "%shandshake not captured", sep);
                        sep = "; ";
                }
                if (r->replaced) {
                        out(c, "%sreplaced by a new connection on the same ports", sep);
                        sep = "; ";
                }
                if (sep[0] == ';')
                        out(c, "</span>");
                out(c, "</td></tr>\n");
        }
        table_end(c);
        scroll_end(c);
        if (t->total > shown)
                out(c, "<p class=\"more\">Showing the %s worst of %s connections; the counts above cover them "
                       "all.</p>\n", num(c, shown), num(c, t->total));
        section_end(c);
}
