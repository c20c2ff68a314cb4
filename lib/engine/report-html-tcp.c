/* The HTML report: TCP (figures, worst flows, event tables). */
#include "report-html-page.h"

/* ---- TCP ---- */

static bool worst_has_problem(const flow_summary_t *s) {
        return s->retrans || s->lost || s->ooo || s->dupacks || s->zero_win || s->refused || s->reset || s->syn_only ||
               s->hs_time >= 300 * NS_PER_MS;
}

/* What a worst flow's worst_frame is (worst_figure_t), in words. */
static const char *const worst_frame_words[_WF_MAX] = {
        [WF_RTO] = "first timeout retransmission", [WF_FAST] = "first fast retransmission",
        [WF_LOST] = "first segment after a loss", [WF_ZERO_WIN] = "first zero window",
        [WF_OOO] = "first out-of-order segment", [WF_DUPACK] = "first duplicate ACK",
        [WF_SPURIOUS] = "first spurious retransmission", [WF_REFUSED] = "the RST that refused it",
        [WF_SYN_ONLY] = "the unanswered SYN", [WF_HANDSHAKE] = "the first SYN of the slow handshake",
};

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
                /* a->worst is ranked when the analysis finishes (flow.c); keep the flows with a problem, in
                 * that order (a fast handshake alone scores a little) */
                memcpy(w, a->worst, a->n_worst * sizeof *w);
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
                         "timeout (RTO) / fast / spurious. The filter under each flow shows exactly that flow in "
                         "Wireshark, the frames where it starts and where its worst problem begins (Go to Packet).");
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
                out(c, "</code> <span class=\"lbl\">Frames</span>first %s", frame_no(c, s->first_frame));
                if (s->worst != WF_NONE && s->worst_frame == s->first_frame)
                        out(c, " (%s)", worst_frame_words[s->worst]);
                else if (s->worst != WF_NONE && s->worst_frame)
                        out(c, ", %s %s", worst_frame_words[s->worst], frame_no(c, s->worst_frame));
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
                        out(c, "%sidle up to %s, until frame %s", sep, dur(c, s->max_gap),
                            frame_no(c, s->max_gap_frame));
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
        uint64_t known = a->tcp.rto + a->tcp.fast + a->tcp.spurious + a->tcp.pmtu_retrans;
        static const char *const meaning[] = {
                "resent after the retransmission timer expired: the connection stalled (at least 200 ms on Linux)",
                "resent after duplicate ACKs or SACK told the sender a segment was missing",
                "resent although the receiver already had it (acknowledged before): a timer too short or a delay spike",
                "resent smaller after an ICMP \"fragmentation needed\" / \"packet too big\"",
        };
        const uint64_t v[4] = { a->tcp.rto, a->tcp.fast, a->tcp.spurious, a->tcp.pmtu_retrans };
        static const char *const kn[4] = { "Timeout (RTO)", "Fast", "Spurious", "Path MTU" };
        for (int i = 0; i < 4; i++)
                out(c, "<tr><td>%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"hint\">%s</td></tr>\n", kn[i],
                    num(c, v[i]), pct(c, (double) v[i], (double) a->tcp.retrans), meaning[i]);
        if (a->tcp.retrans > known)
                out(c, "<tr><td>Other</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"hint\">SYN and SYN/ACK "
                       "retransmissions, and resends not classified</td></tr>\n",
                    num(c, a->tcp.retrans - known), pct(c, (double) (a->tcp.retrans - known), (double) a->tcp.retrans));
        out(c, "<tr><th>All</th><th class=\"n\">%s</th><td></td><td></td></tr>\n", num(c, a->tcp.retrans));
        table_end(c);
}

void html_sec_tcp(html_ctx_t *c) {
        const analysis_t *a = c->a;
        section_begin(c, "tcp", "TCP");
        if (!a->tcp.conns && !a->proto[PROTO_TCP].packets) {
                para(c, "muted", "No TCP in this capture.");
                section_end(c);
                return;
        }
        out(c, "<div class=\"grid2\"><div>");
        kv_begin(c);
        kv_u64(c, "Connections", a->tcp.conns, "5-tuple + initial sequence number: a reused port starts a new one");
        kv_u64(c, "Segments with data", a->tcp.data_segments, NULL);
        kv_u64(c, "Retransmissions", a->tcp.retrans, "all kinds, SYNs included");
        kv_u64(c, "Lost segments", a->tcp.lost, "sequence gaps seen at the capture point");
        kv(c, "Bytes in the gaps", bytes(c, a->tcp.lost_bytes), NULL);
        kv_u64(c, "Out of order", a->tcp.ooo, "segments that arrived after a later one, not resent");
        kv_u64(c, "Duplicate ACKs", a->tcp.dupacks, NULL);
        kv_u64(c, "Zero windows", a->tcp.zero_win, "a receiver said its buffer was full");
        kv_u64(c, "Zero-window probes", a->tcp.zw_probe, NULL);
        kv_u64(c, "Window full", a->tcp.win_full, "the sender filled the receiver's advertised window");
        kv_u64(c, "Window updates", a->tcp.win_update, NULL);
        kv_u64(c, "Keep-alives", a->tcp.keepalive, NULL);
        kv_end(c);
        out(c, "</div><div>");
        kv_begin(c);
        {
                char *s = slot(c);
                snprintf(s, SLOT, "%s / %s / %s", num(c, a->tcp.syn), num(c, a->tcp.synack), num(c, a->tcp.fin));
                kv(c, "SYN / SYN-ACK / FIN", s, "segments with these flags");
        }
        kv_u64(c, "Handshakes completed", a->tcp.hs_completed, NULL);
        kv_u64(c, "SYNs never answered", a->tcp.hs_no_answer, NULL);
        kv_u64(c, "Refused", a->tcp.refused, "RST in answer to a SYN");
        kv_u64(c, "Aborted", a->tcp.aborted, "RST after data");
        kv_u64(c, "Resets (all)", a->tcp.rst, NULL);
        kv_u64(c, "SYN retransmissions", a->tcp.syn_retrans, NULL);
        kv_u64(c, "SYN/ACK retransmissions", a->tcp.synack_retrans, NULL);
        kv_u64(c, "Slow handshakes", a->ev[EV_SLOW_HANDSHAKE].total, NULL);
        kv_u64(c, "Reused ports", a->tcp.reused_ports, "a new connection on the 5-tuple of an older one");
        kv_u64(c, "Without handshake", a->tcp.conns_midstream, "started before the capture: no RTT from the handshake");
        kv_u64(c, "Window scale unknown", a->tcp.conns_unknown_scale,
               "handshake not captured: zero windows are exact, window-full events are not judged");
        kv_end(c);
        out(c, "</div></div>\n");

        out(c, "<h3>Retransmissions by kind</h3>\n");
        if (!a->tcp.retrans)
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
        html_events_table(c, EV_SLOW_HANDSHAKE, "Slow handshakes", NULL);
        html_events_table(c, EV_FAILED_HANDSHAKE, "Handshakes that never completed", "SYNs that got no answer.");
        html_events_table(c, EV_RESET, "Resets", NULL);
        html_events_table(c, EV_ZERO_WINDOW, "Zero windows", "The first zero window of each episode.");
        html_events_table(c, EV_RETRANS, "Retransmissions", NULL);
        section_end(c);
}

/* ---- DNS ---- */
