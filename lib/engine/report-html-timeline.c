/* The HTML report: each finding's tshark commands and its flows' packet timelines (timeline.c), one collapsible
 * table per connection, no script. */
#include "report-html-page.h"
#include "report-json.h"

static void cmd(html_ctx_t *c, const char *label, const char *command) {
        if (!command[0])
                return;
        out(c, "<p class=\"cmd\"><span class=\"lbl\">%s</span><code>", label);
        html_text(c->f, command); /* the capture's name is the user's: escaped */
        out(c, "</code></p>\n");
}

void html_finding_commands(html_ctx_t *c, unsigned i) {
        const analysis_t *a = c->a;
        const finding_t *f = &a->findings[i];
        char buf[TL_COMMAND_MAX], filter[512];
        if (f->filter[0])
                cmd(c, "tshark", timeline_tshark(a, f->filter, NULL, buf, sizeof buf));
        if (!f->n_flows)
                return;
        out(c, "<details class=\"fcmd\"><summary>Each flow in tshark%s</summary>\n<ul>",
            a->tl.refs ? " and its packet timeline" : "");
        for (unsigned k = 0; k < f->n_flows; k++) {
                const tl_ref_t *r = a->tl.refs ? &a->tl.refs[i * 5 + k] : NULL;
                const timeline_t *t = r && r->item >= 0 ? a->tl.items[r->item].t : NULL;
                if (t)
                        timeline_filter(t, filter, sizeof filter);
                else
                        flow_filter(&f->flow_key[k], filter, sizeof filter);
                out(c, "<li><code>");
                html_textn(c->f, f->flows[k], strnlen(f->flows[k], sizeof f->flows[k]));
                out(c, "</code>");
                if (t)
                        out(c, " · <a href=\"#timeline-%d\">packet timeline</a>", r->item);
                out(c, "<br><code>");
                html_text(c->f, timeline_tshark(a, filter, NULL, buf, sizeof buf));
                out(c, "</code></li>");
        }
        out(c, "</ul></details>\n");
}

static const char *section_words(uint8_t s) {
        switch (s) {
        case TLS_HANDSHAKE: return "handshake";
        case TLS_RETRANS_RTO: return "retransmission (timeout)";
        case TLS_RETRANS_FAST: return "fast retransmission";
        case TLS_RETRANS_SPURIOUS: return "spurious retransmission";
        case TLS_RETRANS_PMTU: return "retransmission (path MTU)";
        case TLS_ZERO_WINDOW: return "zero window";
        case TLS_RESET: return "reset";
        case TLS_TEARDOWN: return "teardown";
        default: return "";
        }
}

static void timeline_table(html_ctx_t *c, const tl_item_t *it) {
        const analysis_t *a = c->a;
        scroll_begin(c);
        table_begin(c, "timeline", "#Frame", "#t (s)", "Dir", "Flags", "#Seq", "#Ack", "#Len", "#Win", "Event", NULL);
        for (uint32_t k = 0; k < it->n_lines; k++) {
                const tl_line_t *l = &it->lines[k];
                if (l->skipped)
                        out(c, "<tr class=\"skip\"><td colspan=\"9\">… %s packet%s of the connection …</td></tr>\n",
                            num(c, l->skipped), l->skipped == 1 ? "" : "s");
                char fl[64], *ack = slot(c);
                if (l->has_ack)
                        snprintf(ack, SLOT, "%" PRIu32, l->ack);
                else
                        snprintf(ack, SLOT, "–");
                out(c, "<tr%s><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%s</td><td>%s</td><td>%s</td>"
                       "<td class=\"n\">%" PRIu32 "</td><td class=\"n\">%s</td><td class=\"n\">%" PRIu32 "</td>"
                       "<td class=\"n\">%" PRIu64 "</td><td>%s%s</td></tr>\n",
                    l->at_event ? " class=\"at\"" : "", l->frame, html_fmt_rel(l->ts, a->tl.t0, slot(c), SLOT),
                    l->dir == 0 ? "client → server" : "server → client", timeline_flags(l->flags, fl, sizeof fl),
                    l->seq, ack, l->len, l->win, section_words(l->section), l->at_event ? " ◀" : "");
        }
        table_end(c);
        scroll_end(c);
}

void html_sec_timelines(html_ctx_t *c) {
        const analysis_t *a = c->a;
        const timeline_state_t *st = &a->tl;
        section_begin(c, "timelines", "Packet timelines");
        out(c, "<p class=\"muted\">The packets of the findings' TCP connections, both directions: the handshake, "
               "%d before and after each of a connection's first %d retransmissions, zero windows and resets "
               "(◀ marks the event's own packet), and the teardown. Times are seconds since the capture's first "
               "packet (Wireshark's <code>frame.time_relative</code>), sequence and acknowledgement numbers relative "
               "to each side's first (<code>tcp.seq</code>, <code>tcp.ack</code>), windows scaled when the handshake "
               "showed the scale. At most %d lines in a report.</p>\n",
            TL_AROUND, TL_EVENTS, TL_LINES_MAX);
        if (!a->have_ts || (!st->n_items && !st->not_kept)) {
                out(c, "<p>No finding names a TCP connection.</p>\n");
                section_end(c);
                return;
        }
        if (!a->capture_name[0])
                out(c, "<p class=\"muted\">The commands read <code>%s</code>: put the capture's name there.</p>\n",
                    TL_CAPTURE_PLACEHOLDER);
        char buf[TL_COMMAND_MAX], filter[512];
        for (uint32_t i = 0; i < st->n_items; i++) {
                const tl_item_t *it = &st->items[i];
                const timeline_t *t = it->t;
                out(c, "<details class=\"timeline\" id=\"timeline-%u\"><summary><code>%s</code> · frames %" PRIu64
                       "–%" PRIu64 " · %s event%s", i, flow(c, &t->key), t->first_frame, t->last_frame,
                    num(c, t->events), t->events == 1 ? "" : "s");
                if (t->events > t->n_win)
                        out(c, " (the first %u shown)", t->n_win);
                out(c, " · %s line%s</summary>\n", num(c, it->n_lines), it->n_lines == 1 ? "" : "s");
                timeline_table(c, it);
                if (it->lines_left_out)
                        out(c, "<p class=\"muted\">%s more line%s left out: the report lists at most %d.</p>\n",
                            num(c, it->lines_left_out), it->lines_left_out == 1 ? "" : "s", TL_LINES_MAX);
                if (t->hs_more)
                        out(c, "<p class=\"muted\">%s more handshake packet%s (SYNs sent again) not shown.</p>\n",
                            num(c, t->hs_more), t->hs_more == 1 ? "" : "s");
                cmd(c, "These lines in tshark", timeline_tshark_lines(a, it, buf, sizeof buf));
                cmd(c, "The whole connection", timeline_tshark(a, timeline_filter(t, filter, sizeof filter), NULL, buf,
                                                               sizeof buf));
                out(c, "</details>\n");
        }
        if (st->not_kept)
                out(c, "<p class=\"muted\">%s flow%s of the findings without a timeline: only the %d worst connections "
                       "and the %d whose trouble came first keep one.</p>\n",
                    num(c, st->not_kept), st->not_kept == 1 ? "" : "s", TL_KEEP_WORST, TL_KEEP_FIRST);
        if (st->events_unwatched)
                out(c, "<p class=\"muted\">%s event%s came while %d connections already held their events' packets: "
                       "counted, not shown.</p>\n",
                    num(c, st->events_unwatched), st->events_unwatched == 1 ? "" : "s", TL_LIVE_MAX);
        section_end(c);
}
