/* The HTML report: where the time went (causes, time per connection, slowest exchanges, transfers and the
 * largest one's time-sequence graph). */
#include "report-html-page.h"

/* ---- where the time went ---- */

void html_sec_time(html_ctx_t *c) {
        const analysis_t *a = c->a;
        const txn_state_t *t = &a->txn;
        section_begin(c, "time", "Where the time went");
        para(c, "lead", a->time_summary);
        if (!t->total) {
                section_end(c);
                return;
        }
        table_begin(c, NULL, "Cause", "#Time", "#Share", NULL);
        for (int k = 1; k < _CAUSE_MAX; k++) {
                if (a->cost[k] <= 0)
                        continue;
                out(c, "<tr><td>%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n",
                    cause_name((cause_t) k), dur(c, a->cost[k]), pct(c, (double) a->cost[k], (double) a->cost_total));
        }
        table_end(c);
        if (t->n_conns) {
                static const char *const parts[] = { "client", "network", "server", "transfer", "loss recovery" };
                html_parts_bar_t rows[20];
                unsigned n = t->n_conns < 20 ? t->n_conns : 20;
                for (unsigned i = 0; i < n; i++) {
                        const txn_conn_sum_t *k = &t->conns[i];
                        rows[i] = (html_parts_bar_t) { .label = flow(c, &k->key) };
                        rows[i].v[0] = (double) k->part[TP_CLIENT] / 1e6;
                        rows[i].v[1] = (double) k->part[TP_NETWORK] / 1e6;
                        rows[i].v[2] = (double) k->part[TP_SERVER] / 1e6;
                        rows[i].v[3] = (double) (k->part[TP_TRANSFER] + k->part[TP_REQUEST] - k->part[TP_LOSS]) / 1e6;
                        rows[i].v[4] = (double) k->part[TP_LOSS] / 1e6;
                        snprintf(rows[i].text, sizeof rows[i].text, "%s in %u", dur(c, k->part[TP_TOTAL]), k->n);
                }
                html_chart_parts(c->f, "Time per connection (ms), the connections with the most time first", parts, 5,
                                 rows, n);
                more_note(c, n, t->conns_total, "connections");
        }
        out(c, "<h3>Slowest exchanges</h3>\n");
        scroll_begin(c);
        table_begin(c, NULL, "When (s)", "#Frame", "Connection", "What", "#Client", "#Network", "#Server",
                    "#Transfer", "#Total", NULL);
        for (uint32_t i = 0; i < t->n && i < 50; i++) {
                const txn_item_t *it = &t->items[i];
                out(c, "<tr><td class=\"n\">%s</td><td class=\"n\">%s</td><td>%s</td><td>%s ", rel(c, it->req_ts),
                    frame_no(c, it->req_frame), flow(c, &it->key), txn_proto_name(it->proto));
                html_textn(c->f, it->method, it->method_len);
                out(c, " ");
                html_textn(c->f, it->path, it->path_len);
                if (it->status)
                        out(c, " → %u", it->status);
                out(c, "</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                       "<td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n",
                    dur(c, it->part[TP_CLIENT]), dur(c, it->part[TP_NETWORK]), dur(c, it->part[TP_SERVER]),
                    dur(c, it->part[TP_TRANSFER]), dur(c, it->part[TP_TOTAL]));
        }
        table_end(c);
        scroll_end(c);
        more_note(c, t->n < 50 ? t->n : 50, t->total, "exchanges");
        if (a->xfer.n) {
                out(c, "<h3>Transfers and what limited them</h3>\n");
                scroll_begin(c);
                table_begin(c, NULL, "Sender → receiver", "#From frame", "#Bytes", "#Duration", "Limit", "#Window",
                            "#Loss", "#Bandwidth", "#Sender", NULL);
                for (uint32_t i = 0; i < a->xfer.n && i < 20; i++) {
                        const xfer_item_t *x = &a->xfer.items[i];
                        int64_t all = 0;
                        for (int k = 0; k < _XL_MAX; k++)
                                all = sat_add(all, x->t[k]);
                        out(c, "<tr><td>%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                               "<td>%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                               "<td class=\"n\">%s</td></tr>\n",
                            flow(c, &x->key), frame_no(c, x->start_frame), bytes(c, x->bytes), dur(c, x->dur),
                            xfer_limit_word(x->t, x->rtt_base),
                            pct(c, (double) x->t[XL_RWND], (double) all), pct(c, (double) x->t[XL_LOSS], (double) all),
                            pct(c, (double) x->t[XL_BANDWIDTH], (double) all), pct(c, (double) x->t[XL_APP], (double) all));
                }
                table_end(c);
                scroll_end(c);
        }
        const xfer_trace_t *tr = &a->xfer.best;
        if (tr->p && tr->n > 1) {
                double *v = malloc(sizeof(double) * 4 * tr->n);
                if (v) {
                        double *x = v, *sq = v + tr->n, *ak = v + 2 * tr->n, *wn = v + 3 * tr->n;
                        for (uint32_t i = 0; i < tr->n; i++) {
                                x[i] = (double) (tr->p[i].ts - tr->t0) / 1e9;
                                sq[i] = (double) (int32_t) (tr->p[i].seq - tr->seq0);
                                ak[i] = (double) (int32_t) (tr->p[i].ack - tr->seq0);
                                wn[i] = (double) (int32_t) (tr->p[i].edge - tr->seq0);
                        }
                        html_xy_series_t ser[] = {
                                { "data sent (sequence)", 1, false, x, sq, tr->n },
                                { "acknowledged", 2, true, x, ak, tr->n },
                                { "receiver's window edge", 3, true, x, wn, tr->n },
                        };
                        char title[160];
                        snprintf(title, sizeof title, "Time-sequence graph of the largest transfer, %s", flow(c, &tr->key));
                        html_chart_xy(c->f, title, "bytes from the first", "Like Wireshark's tcptrace graph: data "
                                      "touching the window edge is held back by the receiver; a flat line with the edge "
                                      "far above is the sender or the path.", ser, 3);
                        free(v);
                }
        }
        section_end(c);
}

/* ---- findings and health ---- */
