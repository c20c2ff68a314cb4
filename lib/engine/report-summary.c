/* The terminal summary printed by the CLI: the findings first, then the key figures. */
#include "engine.h"

void report_summary(const analysis_t *a, FILE *out) {
        quantiles_t hs, rtt, dns;
        samples_quantiles(&a->hs_rtt, &hs);
        samples_quantiles(&a->rtt, &rtt);
        samples_quantiles(&a->dns.rt, &dns);
        double dur = a->have_ts ? (double) (a->last_ts - a->first_ts) / 1e9 : 0;

        if (a->txn.total) {
                fprintf(out, "Where the time went: %s\n", a->time_summary);
                for (int c = 1; c < _CAUSE_MAX; c++)
                        if (a->cost[c] > 0 && a->cost_total > 0 && (double) a->cost[c] * 100 >= (double) a->cost_total)
                                fprintf(out, "  %-20s %10.1f ms  %5.1f%%\n", cause_name((cause_t) c),
                                        (double) a->cost[c] / 1e6, 100.0 * (double) a->cost[c] / (double) a->cost_total);
                if (a->xfer.n) {
                        const xfer_item_t *x = &a->xfer.items[0];
                        fprintf(out, "  largest transfer: %llu bytes in %.1f ms, limited by %s\n",
                                (unsigned long long) x->bytes, (double) x->dur / 1e6, xfer_limit_word(x->t, x->rtt_base));
                }
                fputc('\n', out);
        }
        fprintf(out, "Health score: %d/100", a->health);
        if (analysis_is_partial(a))
                fprintf(out, "  (partial analysis: %s)", a->truncated ? a->read_error : "a limit was reached");
        fputc('\n', out);
        if (a->n_findings == 0)
                fprintf(out, "No problem found.\n");
        for (unsigned i = 0; i < a->n_findings; i++) {
                const finding_t *f = &a->findings[i];
                const char *sev = f->severity >= 3 ? "CRITICAL" : f->severity == 2 ? "WARNING" : "INFO";
                fprintf(out, "\n[%s] %s", sev, f->title);
                if (f->cause)
                        fprintf(out, "  (cause: %s)", cause_name(f->cause));
                fputc('\n', out);
                if (f->detail[0])
                        fprintf(out, "    %s\n", f->detail);
                for (unsigned k = 0; k < f->n_flows; k++)
                        fprintf(out, "    flow: %s\n", f->flows[k]);
                if (f->filter[0])
                        fprintf(out, "    Wireshark filter: %s\n", f->filter);
        }
        fprintf(out, "\nCapture:   %llu packets, %llu bytes, %.3f s, %.1f packets/s, %.3f Mbit/s\n",
                (unsigned long long) a->packets, (unsigned long long) a->bytes_wire, dur,
                dur > 0 ? (double) a->packets / dur : 0, dur > 0 ? (double) a->bytes_wire * 8 / dur / 1e6 : 0);
        fprintf(out, "TCP:       %llu connections, %llu retransmissions (%llu fast, %llu RTO, %llu spurious), "
                     "%llu out of order, %llu lost, %llu dup ACKs, %llu zero windows, %llu resets\n",
                (unsigned long long) a->tcp.conns, (unsigned long long) a->tcp.retrans,
                (unsigned long long) a->tcp.fast, (unsigned long long) a->tcp.rto,
                (unsigned long long) a->tcp.spurious, (unsigned long long) a->tcp.ooo,
                (unsigned long long) a->tcp.lost, (unsigned long long) a->tcp.dupacks,
                (unsigned long long) a->tcp.zero_win, (unsigned long long) a->tcp.rst);
        if (a->conns.total) {
                /* each connection's end state (the connections table), those that occurred */
                fprintf(out, "Ended:    ");
                const char *sep = " ";
                for (int s = 0; s < _CONN_STATE_MAX; s++)
                        if (a->conns.states[s]) {
                                fprintf(out, "%s%llu %s", sep, (unsigned long long) a->conns.states[s],
                                        conn_state_name((conn_state_t) s));
                                sep = ", ";
                        }
                fputc('\n', out);
        }
        if (hs.count)
                fprintf(out, "Handshake: %llu completed, RTT p50 %.3f ms, p95 %.3f ms, max %.3f ms\n",
                        (unsigned long long) a->tcp.hs_completed, hs.p50 / 1e6, hs.p95 / 1e6, hs.max / 1e6);
        quantiles_t path, ackd;
        samples_quantiles(&a->rtt_path, &path);
        samples_quantiles(&a->ack_delay, &ackd);
        if (path.count)
                fprintf(out, "Path RTT:  p50 %.3f ms, p95 %.3f ms, max %.3f ms (%llu samples; capture point to the far "
                             "host and back)\n", path.p50 / 1e6, path.p95 / 1e6, path.max / 1e6,
                        (unsigned long long) path.count);
        if (ackd.count)
                fprintf(out, "ACK delay: p50 %.3f ms, p95 %.3f ms (the near host's)\n", ackd.p50 / 1e6, ackd.p95 / 1e6);
        if (rtt.count && !path.count)
                fprintf(out, "Data RTT:  p50 %.3f ms, p95 %.3f ms, max %.3f ms (%llu samples)\n", rtt.p50 / 1e6,
                        rtt.p95 / 1e6, rtt.max / 1e6, (unsigned long long) rtt.count);
        if (a->dns.queries || a->dns.responses)
                fprintf(out, "DNS:       %llu queries, %llu responses, %llu unanswered, response p50 %.3f ms, p95 %.3f ms\n",
                        (unsigned long long) a->dns.queries, (unsigned long long) a->dns.responses,
                        (unsigned long long) a->dns.unanswered, dns.p50 / 1e6, dns.p95 / 1e6);
        if (a->dns_other.s.queries)
                fprintf(out, "DNS other: %llu queries on other UDP ports (most to %u), %llu answered, %llu unanswered\n",
                        (unsigned long long) a->dns_other.s.queries, a->dns_other.ports[0].port,
                        (unsigned long long) a->dns_other.s.responses, (unsigned long long) a->dns_other.s.unanswered);
        if (a->jitter.rtp_streams) {
                /* the largest jitter among the RTP streams kept in the list (every one, unless there are over 50) */
                int64_t worst = -1;
                for (uint32_t i = 0; i < a->jitter.n; i++)
                        if (a->jitter.e[i].kind == JK_RTP && a->jitter.e[i].jit_max > worst)
                                worst = a->jitter.e[i].jit_max;
                fprintf(out, "RTP:       %llu streams, %llu packets, %llu lost of %llu, RTCP %llu; worst jitter %.3f ms\n",
                        (unsigned long long) a->jitter.rtp_streams, (unsigned long long) a->jitter.rtp_packets,
                        (unsigned long long) a->jitter.rtp_lost, (unsigned long long) a->jitter.rtp_expected,
                        (unsigned long long) a->jitter.rtcp_packets, worst >= 0 ? (double) worst / 1e6 : 0.0);
        }
        if (a->icmp.msgs + a->icmp.msgs6)
                fprintf(out, "ICMP:      %llu messages (%llu unreachable, %llu time exceeded, %llu too big)\n",
                        (unsigned long long) (a->icmp.msgs + a->icmp.msgs6), (unsigned long long) a->icmp.unreach,
                        (unsigned long long) a->icmp.time_exceeded,
                        (unsigned long long) (a->icmp.frag_needed + a->icmp.ptb));
        if (a->frag.fragments)
                fprintf(out, "Fragments: %llu in %llu datagrams, %llu incomplete\n",
                        (unsigned long long) a->frag.fragments, (unsigned long long) a->frag.datagrams,
                        (unsigned long long) a->frag.incomplete);
        if (a->timing.gaps_total)
                fprintf(out, "Gaps:      %llu silences of the capture, %.1f s in all, the longest %.3f s\n",
                        (unsigned long long) a->timing.gaps_total, (double) a->timing.gaps_sum / 1e9,
                        a->timing.n_gaps ? (double) a->timing.gaps[0].dur / 1e9 : 0.0);
        /* the thresholds that are not the defaults: the figures above depend on them */
        bool any = false;
        char v[32];
        for (unsigned i = 0; i < _TH_MAX; i++) {
                if (a->th.source[i] == TS_DEFAULT)
                        continue;
                fprintf(out, "%s %s=%s", any ? "," : "Thresholds:", threshold_name((threshold_id_t) i),
                        threshold_format(a->th.v[i], v, sizeof v));
                any = true;
        }
        if (any)
                fprintf(out, " (the others at their defaults)\n");
}
