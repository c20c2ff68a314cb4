/* The HTML report: capture summary, throughput, protocols, talkers, services and timing. */
#include "report-html-page.h"

/* ---- capture, protocols, talkers, services ---- */

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

void html_sec_capture(html_ctx_t *c) {
        const analysis_t *a = c->a;
        char b0[64], b1[64];
        section_begin(c, "capture", "Capture summary");
        html_partial_notice(c);
        double d = html_duration_s(a);
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
        if (a->dup.count)
                kv_u64(c, "Capture duplicates", a->dup.count,
                       "packets recorded twice (same IP datagram), counted in no figure but the file's");
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

void html_sec_protocols(html_ctx_t *c) {
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

void html_sec_talkers(html_ctx_t *c) {
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

void html_sec_services(html_ctx_t *c) {
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

void html_sec_timing(html_ctx_t *c) {
        const analysis_t *a = c->a;
        section_begin(c, "timing", "Timing, bursts and flows");
        out(c, "<div class=\"grid2\"><div>");
        kv_begin(c);
        if (a->have_ts && a->packets > 1) {
                char *s = slot(c);
                snprintf(s, SLOT, "before packet %s", num(c, a->max_gap_frame));
                kv(c, "Longest silence", dur(c, a->max_gap), s);
        }
        char *bh = slot(c), bv[2][32];
        snprintf(bh, SLOT, "runs of %s packets or more, each less than %s ms after the one before",
                 threshold_format(threshold_value(a, TH_BURST_MIN), bv[0], sizeof bv[0]),
                 threshold_format(threshold_value(a, TH_BURST_SPACING), bv[1], sizeof bv[1]));
        kv_u64(c, "Bursts", a->bursts, bh);
        if (a->burst_max_pkts) {
                kv_u64(c, "Largest burst", a->burst_max_pkts, "packets");
                kv(c, "Largest burst size", bytes(c, a->burst_max_bytes), NULL);
                kv(c, "Largest burst duration", dur(c, a->burst_max_dur), NULL);
                char *s = slot(c);
                snprintf(s, SLOT, "%.6f s", (double) (a->burst_max_start - a->first_ts) / 1e9);
                char *h = slot(c);
                snprintf(h, SLOT, "since the first packet, at frame %" PRIu64, a->burst_max_frame);
                kv(c, "Largest burst start", s, h);
        }
        kv_end(c);
        out(c, "</div><div>");
        kv_begin(c);
        kv_u64(c, "Flows", a->flows_total, "TCP connections and UDP flows");
        kv_u64(c, "TCP connections", a->tcp.conns, NULL);
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
        html_timing_lists(c);
        section_end(c);
}
