/* The diagnosis: findings in plain words, each with the flows it concerns and a Wireshark display filter,
 * and a health score of 100 minus the findings' penalties. Thresholds are documented in lib/engine/ANALYSES.md;
 * clean traffic (no loss, no errors, ordinary latency) produces no finding. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "util/macro.h"

static void finding_flows_from_events(finding_t *f, const event_list_t *l, int sub) {
        for (uint32_t i = 0; i < l->n && f && f->n_flows < 5; i++)
                if (sub < 0 || l->v[i].sub == sub)
                        finding_flow_at(f, &l->v[i].key, true, l->v[i].frame);
}

static int clampi(double v, int lo, int hi) {
        int x = (int) (v + 0.5);
        return x < lo ? lo : x > hi ? hi : x;
}

static double ms(int64_t ns) {
        return (double) ns / 1e6;
}

/* A TU_MS threshold in seconds, as Wireshark's filters want it ("0.3"). */
static const char *threshold_seconds(const analysis_t *a, threshold_id_t id, char *buf, size_t len) {
        return threshold_format(threshold_value(a, id) / 1000.0, buf, len);
}

static int finding_cmp(const void *x, const void *y) {
        const finding_t *a = x, *b = y;
        /* the time a finding cost first; those not measured in time after, most severe first */
        if ((a->cost >= 0) != (b->cost >= 0))
                return a->cost >= 0 ? -1 : 1;
        if (a->cost != b->cost)
                return a->cost > b->cost ? -1 : 1;
        if (a->severity != b->severity)
                return b->severity - a->severity;
        if (a->penalty != b->penalty)
                return b->penalty - a->penalty;
        return strcmp(a->id, b->id);
}

static void diagnose_tcp(analysis_t *a) {
        uint64_t data = a->tcp.data_segments ? a->tcp.data_segments : 1;
        /* data retransmissions caused by loss: not SYNs (handshake findings), not spurious ones, not those
         * that answered a path-MTU signal (the PMTU finding) */
        uint64_t real_rt = a->tcp.retrans - a->tcp.spurious - a->tcp.syn_retrans - a->tcp.synack_retrans -
                           a->tcp.pmtu_retrans;
        /* Loss is what the senders had to resend. A gap in the sequence seen here is not loss by itself:
         * reordering opens gaps that late originals fill (counted as out-of-order), and a capture that
         * dropped packets opens gaps nobody resends. */
        uint64_t loss_events = real_rt;
        double rate = 100.0 * (double) loss_events / (double) data;

        if ((double) loss_events >= threshold_value(a, TH_LOSS_MIN) && rate >= threshold_value(a, TH_LOSS_RATE)) {
                finding_t *f = finding_add(a, "tcp-loss", rate >= 5 ? 3 : rate >= 1 ? 2 : 1, clampi(rate * 5, 2, 25),
                                           "tcp.analysis.retransmission || tcp.analysis.lost_segment",
                                           "Packet loss: %llu TCP segments were retransmitted (%.2f%% of data segments)",
                                           (unsigned long long) loss_events, rate);
                finding_detail(f, "%llu fast retransmissions (after duplicate ACKs or SACK), %llu after a timeout; "
                               "%llu segments never passed the capture point; %llu duplicate ACKs. ",
                               (unsigned long long) a->tcp.fast, (unsigned long long) a->tcp.rto,
                               (unsigned long long) a->tcp.lost, (unsigned long long) a->tcp.dupacks);
                if (a->tcp.lost && a->tcp.lost * 2 >= loss_events)
                        finding_detail(f, "Most lost segments were never seen here: the loss is upstream of the "
                                          "capture point (between the sender and here).");
                else
                        finding_detail(f, "The originals passed the capture point: the loss is downstream of it "
                                          "(between here and the receiver).");
                for (uint32_t i = 0; i < a->n_worst && f && f->n_flows < 5; i++)
                        if (a->worst[i].retrans || a->worst[i].lost)
                                finding_flow_at(f, &a->worst[i].key, true, a->worst[i].first_frame);
        }
        if (a->tcp.rto >= 1) {
                finding_t *f = finding_add(a, "tcp-rto", a->tcp.rto >= 10 ? 2 : 1, clampi((double) a->tcp.rto, 1, 10),
                                           "tcp.analysis.retransmission && !tcp.analysis.fast_retransmission",
                                           "%llu %s for a timeout (RTO)",
                                           (unsigned long long) a->tcp.rto, a->tcp.rto == 1 ? "retransmission waited" : "retransmissions waited");
                finding_detail(f, "The sender got no duplicate ACK or SACK for these segments and resent them only "
                                  "after its retransmission timer expired (at least 200 ms on Linux): each one stalled "
                                  "its connection.");
                finding_flows_from_events(f, &a->ev[EV_RETRANS], 0);
        }
        if ((double) a->tcp.ooo >= threshold_value(a, TH_REORDER_MIN) &&
            100.0 * (double) a->tcp.ooo / (double) data >= threshold_value(a, TH_REORDER_RATE)) {
                double r = 100.0 * (double) a->tcp.ooo / (double) data;
                finding_t *f = finding_add(a, "tcp-reorder", r >= 1 ? 2 : 1, clampi(r, 1, 5),
                                           "tcp.analysis.out_of_order",
                                           "Reordering: %llu TCP segments arrived out of order (%.2f%%)",
                                           (unsigned long long) a->tcp.ooo, r);
                finding_detail(f, "They filled a gap less than one round trip after it opened, so the network "
                                  "delivered them late rather than losing them. Reordering makes receivers send "
                                  "duplicate ACKs and can trigger needless fast retransmissions (%llu spurious here).",
                               (unsigned long long) a->tcp.spurious);
                for (uint32_t i = 0; i < a->n_worst && f && f->n_flows < 5; i++)
                        if (a->worst[i].ooo)
                                finding_flow_at(f, &a->worst[i].key, true, a->worst[i].first_frame);
        }
        if (a->tcp.zero_win >= 1) {
                const event_list_t *l = &a->ev[EV_ZERO_WINDOW];
                finding_t *f = finding_add(a, "tcp-zero-window", 2, clampi(2.0 * (double) l->total, 2, 10),
                                           "tcp.analysis.zero_window || tcp.analysis.window_full",
                                           "Receivers stopped the senders: %llu zero-window advertisements (%llu episodes)",
                                           (unsigned long long) a->tcp.zero_win, (unsigned long long) l->total);
                finding_detail(f, "A receiving application did not read its data fast enough; its buffer filled "
                                  "and the sender had to wait (window-full events: %llu). This is an end-host "
                                  "problem, not a network one.",
                               (unsigned long long) a->tcp.win_full);
                finding_flows_from_events(f, l, -1);
        }
        const event_list_t *sh = &a->ev[EV_SLOW_HANDSHAKE];
        if (sh->total >= 1) {
                uint32_t syn_lost = 0, server = 0, client = 0;
                samples_t tmp;
                samples_init(&tmp, 10000, 1);
                for (uint32_t i = 0; i < sh->n; i++) {
                        const event_t *e = &sh->v[i];
                        samples_add(&tmp, e->dur);
                        int64_t up = (int64_t) e->value * 1000; /* SYN -> SYN/ACK */
                        if (e->sub > 1)
                                syn_lost++;
                        else if (up > e->dur / 2)
                                server++;
                        else
                                client++;
                }
                quantiles_t q;
                samples_quantiles(&tmp, &q);
                samples_done(&tmp);
                const char *side = syn_lost >= server && syn_lost >= client ? "network (lost SYNs)"
                                 : server >= client ? "server side" : "client side";
                cause_t hs_cause = syn_lost >= server && syn_lost >= client ? CAUSE_NET_LOSS
                                 : server >= client ? CAUSE_SERVER : CAUSE_CLIENT;
                char filter[160], v[32];
                snprintf(filter, sizeof filter,
                         "tcp.analysis.initial_rtt > %s || (tcp.flags.syn==1 && tcp.analysis.retransmission)",
                         threshold_seconds(a, TH_HANDSHAKE_SLOW, v, sizeof v));
                finding_t *f = finding_add(a, "tcp-slow-handshake", 2, clampi((double) sh->total * 2, 2, 10), filter,
                                           "%s: %llu of %llu handshakes took > %s ms, median %.0f ms",
                                           side, (unsigned long long) sh->total,
                                           (unsigned long long) a->tcp.hs_completed,
                                           threshold_format(threshold_value(a, TH_HANDSHAKE_SLOW), v, sizeof v), ms(q.p50));
                if (f) {
                        f->cause = hs_cause;
                        f->cost = 0;
                        for (uint32_t i = 0; i < sh->n; i++)
                                f->cost = sat_add(f->cost, dur_clamp(sh->v[i].dur));
                }
                finding_detail(f, "%u had their SYN retransmitted (the first SYN or its answer was lost), %u waited "
                                  "for the SYN/ACK (server or path), %u waited for the client's ACK.",
                               syn_lost, server, client);
                finding_flows_from_events(f, sh, -1);
        }
        if (a->tcp.hs_high_rtt >= 1) {
                char filter[64], v[32];
                snprintf(filter, sizeof filter, "tcp.analysis.initial_rtt >= %s",
                         threshold_seconds(a, TH_RTT_HIGH, v, sizeof v));
                finding_t *f = finding_add(a, "tcp-high-rtt", 1, clampi((double) a->tcp.hs_high_rtt / 2.0, 1, 8), filter,
                                           "High latency: %llu %s a round-trip time of %s ms or more (up to %.0f ms)",
                                           (unsigned long long) a->tcp.hs_high_rtt, a->tcp.hs_high_rtt == 1 ? "connection had" : "connections had",
                                           threshold_format(threshold_value(a, TH_RTT_HIGH), v, sizeof v), ms(a->tcp.hs_high_rtt_max));
                finding_detail(f, "Measured on the handshake (SYN to the ACK of the SYN/ACK) at the capture point. "
                                  "Each request/response exchange on these connections costs at least this much.");
        }
        if (a->tcp.hs_no_answer >= 1) {
                const event_list_t *l = &a->ev[EV_FAILED_HANDSHAKE];
                finding_t *f = finding_add(a, "tcp-no-answer", 2, clampi(2.0 * (double) a->tcp.hs_no_answer, 2, 10),
                                           "tcp.flags.syn==1 && tcp.flags.ack==0",
                                           "%llu %s never answered",
                                           (unsigned long long) a->tcp.hs_no_answer, a->tcp.hs_no_answer == 1 ? "connection attempt was" : "connection attempts were");
                finding_detail(f, "The SYN got neither a SYN/ACK nor a reset (%llu SYN retransmissions in all): "
                                  "the server is down, or a firewall drops the traffic silently.",
                               (unsigned long long) a->tcp.syn_retrans);
                finding_flows_from_events(f, l, -1);
        }
        if (a->tcp.hs_refused >= 1) {
                finding_t *f = finding_add(a, "tcp-refused", 2, clampi((double) a->tcp.hs_refused, 1, 5),
                                           "tcp.flags.reset==1 && tcp.flags.ack==1 && tcp.seq==1",
                                           "%llu %s refused (reset in answer to the SYN)",
                                           (unsigned long long) a->tcp.hs_refused, a->tcp.hs_refused == 1 ? "connection was" : "connections were");
                finding_detail(f, "Nothing listens on the port, or a firewall rejects the connection.");
                finding_flows_from_events(f, &a->ev[EV_RESET], 0);
        }
        if (a->tcp.aborted >= 1) {
                finding_t *f = finding_add(a, "tcp-aborted", 1, 0, "tcp.flags.reset==1",
                                           "%llu %s reset after exchanging data",
                                           (unsigned long long) a->tcp.aborted, a->tcp.aborted == 1 ? "connection was" : "connections were");
                finding_detail(f, "An application closed abortively (or crashed); some applications do this on "
                                  "purpose, so check whether the reset came before the exchange was complete.");
                finding_flows_from_events(f, &a->ev[EV_RESET], 1);
        }
}

static void diagnose_dns(analysis_t *a) {
        dns_state_t *d = &a->dns;
        uint64_t fail = d->rcodes[2] + d->rcodes[5] + d->rcodes[1] + d->rcodes[4];
        if (fail >= 1) {
                finding_t *f = finding_add(a, "dns-errors", 2, clampi(2.0 * (double) fail, 2, 10), "dns.flags.rcode != 0 && dns.flags.rcode != 3",
                                           "DNS servers failed %llu %s (SERVFAIL %llu, REFUSED %llu, other %llu)",
                                           (unsigned long long) fail, fail == 1 ? "query" : "queries", (unsigned long long) d->rcodes[2],
                                           (unsigned long long) d->rcodes[5],
                                           (unsigned long long) (d->rcodes[1] + d->rcodes[4]));
                finding_detail(f, "SERVFAIL means the resolver could not get an answer upstream; REFUSED that it "
                                  "will not serve this client. Applications see these as failed lookups.");
                for (uint32_t i = 0; i < a->ev[EV_DNS_ERROR].n && f && f->n_flows < 5; i++)
                        if (a->ev[EV_DNS_ERROR].v[i].sub != 3)
                                finding_flow(f, &a->ev[EV_DNS_ERROR].v[i].key, true);
        }
        /* NXDOMAIN answers to names a search list made up are the resolver's way, not failures (ANALYSES.md) */
        uint64_t nx = d->rcodes[3] - MIN(d->rcodes[3], d->nxdomain_search);
        if (nx >= 1) {
                finding_t *f = finding_add(a, "dns-nxdomain", 1, clampi((double) nx / 2.0, 1, 5), "dns.flags.rcode == 3",
                                           "%llu DNS %s the name does not exist (NXDOMAIN)",
                                           (unsigned long long) nx, nx == 1 ? "answer said" : "answers said");
                if (d->nxdomain_search)
                        finding_detail(f, "Often a mistyped or stale name in a configuration; each costs a round trip "
                                          "to the resolver. %llu more came from search lists and are not counted here.",
                                       (unsigned long long) d->nxdomain_search);
                else
                        finding_detail(f, "Often a mistyped or stale name in a configuration; each costs a round trip "
                                          "to the resolver.");
                for (uint32_t i = 0; i < a->ev[EV_DNS_ERROR].n && f && f->n_flows < 5; i++)
                        if (a->ev[EV_DNS_ERROR].v[i].sub == 3 && a->ev[EV_DNS_ERROR].v[i].sub2 == 0)
                                finding_flow(f, &a->ev[EV_DNS_ERROR].v[i].key, true);
        }
        uint64_t unans = d->unanswered - a->dns_unanswered_multicast;
        if (unans >= 1) {
                finding_t *f = finding_add(a, "dns-timeouts", 2, clampi(2.0 * (double) unans, 2, 10),
                                           "dns.flags.response == 0 && !dns.response_in",
                                           "%llu DNS %s never answered", (unsigned long long) unans,
                                           unans == 1 ? "query was" : "queries were");
                finding_detail(f, "The client waited for its timeout (typically 5 s) and then retried or gave up. "
                                  "%llu queries were repeated.", (unsigned long long) d->repeated);
                finding_flows_from_events(f, &a->ev[EV_DNS_UNANSWERED], -1);
        }
        const event_list_t *sl = &a->ev[EV_DNS_SLOW];
        if (sl->total >= 1) {
                quantiles_t q;
                samples_quantiles(&d->rt, &q);
                char filter[64], v[32];
                snprintf(filter, sizeof filter, "dns.time > %s", threshold_seconds(a, TH_DNS_SLOW, v, sizeof v));
                finding_t *f = finding_add(a, "dns-slow", sl->total >= 5 ? 2 : 1, clampi((double) sl->total, 1, 5), filter,
                                           "%llu DNS %s longer than %s ms (slowest %.0f ms)",
                                           (unsigned long long) sl->total, sl->total == 1 ? "answer took" : "answers took",
                                           threshold_format(threshold_value(a, TH_DNS_SLOW), v, sizeof v), ms(q.max));
                finding_detail(f, "Median DNS response time %.1f ms, 95th percentile %.1f ms.", ms(q.p50), ms(q.p95));
                finding_flows_from_events(f, sl, -1);
        }
}

static void diagnose_ip(analysis_t *a) {
        if (a->icmp.unreach >= 1) {
                uint64_t port = a->icmp.codes[0][3][3] + a->icmp.codes[1][1][4];
                uint64_t host = a->icmp.codes[0][3][1] + a->icmp.codes[1][1][3];
                uint64_t net = a->icmp.codes[0][3][0] + a->icmp.codes[1][1][0];
                uint64_t admin = a->icmp.codes[0][3][13] + a->icmp.codes[1][1][1];
                finding_t *f = finding_add(a, "icmp-unreachable", 2, clampi((double) a->icmp.unreach / 2.0, 1, 5),
                                           "icmp.type == 3 || icmpv6.type == 1",
                                           "%llu destination-unreachable %s (port %llu, host %llu, network %llu, prohibited %llu)",
                                           (unsigned long long) a->icmp.unreach, a->icmp.unreach == 1 ? "message" : "messages", (unsigned long long) port,
                                           (unsigned long long) host, (unsigned long long) net, (unsigned long long) admin);
                finding_detail(f, "Port unreachable: nothing listens on a UDP port. Host unreachable: a router or "
                                  "the sender could not reach the host (ARP or neighbour discovery failed).");
                for (uint32_t i = 0; i < a->ev[EV_ICMP].n && f && f->n_flows < 5; i++) {
                        const event_t *e = &a->ev[EV_ICMP].v[i];
                        if ((e->sub2 == 0 && e->sub == 3 && e->value != 4) || (e->sub2 == 1 && e->sub == 1))
                                finding_flow(f, &e->key, true);
                }
        }
        if (a->icmp.frag_needed + a->icmp.ptb >= 1) {
                finding_t *f = finding_add(a, "pmtu", 2, 3, "(icmp.type == 3 && icmp.code == 4) || icmpv6.type == 2",
                                           "Path MTU smaller than the packets sent: %llu \"too big\" messages, smallest MTU %u",
                                           (unsigned long long) (a->icmp.frag_needed + a->icmp.ptb), a->icmp.min_mtu);
                finding_detail(f, "Packets had to be resent smaller (%llu TCP retransmissions followed these "
                                  "messages). If these messages were blocked somewhere, connections would hang "
                                  "(a PMTU black hole).", (unsigned long long) a->tcp.pmtu_retrans);
                for (uint32_t i = 0; i < a->ev[EV_ICMP].n && f && f->n_flows < 5; i++) {
                        const event_t *e = &a->ev[EV_ICMP].v[i];
                        if ((e->sub2 == 0 && e->sub == 3 && e->value == 4) || (e->sub2 == 1 && e->sub == 2))
                                finding_flow(f, &e->key, true);
                }
        }
        if (a->icmp.time_exceeded >= 1) {
                finding_t *f = finding_add(a, "icmp-time-exceeded", 1, 0, "icmp.type == 11 || icmpv6.type == 3",
                                           "%llu time-exceeded %s", (unsigned long long) a->icmp.time_exceeded,
                                           a->icmp.time_exceeded == 1 ? "message" : "messages");
                finding_detail(f, "Expected during a traceroute; otherwise a routing loop or a TTL set too low.");
                for (uint32_t i = 0; i < a->ev[EV_ICMP].n && f && f->n_flows < 5; i++) {
                        const event_t *e = &a->ev[EV_ICMP].v[i];
                        if ((e->sub2 == 0 && e->sub == 11) || (e->sub2 == 1 && e->sub == 3))
                                finding_flow(f, &e->key, true);
                }
        }
        if (a->frag.incomplete >= 1) {
                finding_t *f = finding_add(a, "ip-frag-incomplete", 2, clampi((double) a->frag.incomplete, 1, 5),
                            "ip.flags.mf == 1 || ip.frag_offset > 0 || ipv6.fragment",
                            "%llu fragmented %s never completed (a fragment was lost)",
                            (unsigned long long) a->frag.incomplete, a->frag.incomplete == 1 ? "datagram" : "datagrams");
                finding_detail(f, "A datagram is lost whole when one of its fragments is: %llu fragments belonged to "
                                  "%llu datagrams. Fragmentation usually means an MTU problem on the path or a "
                                  "sender that does not use path-MTU discovery.",
                               (unsigned long long) a->frag.fragments, (unsigned long long) a->frag.datagrams);
        }
}

static void diagnose_capture(analysis_t *a) {
        if (a->truncated) {
                finding_t *f = finding_add(a, "capture-truncated", 1, 0, "",
                                           "The capture file is damaged or cut short: analysed up to packet %llu",
                                           (unsigned long long) a->packets);
                finding_detail(f, "%s (%llu of %llu bytes analysed).", a->read_error[0] ? a->read_error : "read error",
                               (unsigned long long) a->bytes_read, (unsigned long long) a->file_size);
        }
        if (a->packet_limit_hit)
                finding_detail(finding_add(a, "capture-packet-limit", 1, 0, "",
                                           "Only the first %llu packets were analysed (packet limit)",
                                           (unsigned long long) a->packets),
                               "The rest of the file (%llu of %llu bytes read) was not analysed.",
                               (unsigned long long) a->bytes_read, (unsigned long long) a->file_size);
        if (a->flows_over_limit_packets)
                finding_detail(finding_add(a, "capture-flow-limit", 1, 0, "",
                                           "Flow limit reached: %llu packets of flows beyond the first %u concurrent ones "
                                           "were counted but not analysed",
                                           (unsigned long long) a->flows_over_limit_packets, a->lim.max_flows),
                               "They count in the totals, protocols, talkers and DNS, not in the per-connection "
                               "analyses. A capture with this many concurrent flows is often a scan or a flood.");
        if (a->dns.dropped_pending)
                finding_detail(finding_add(a, "capture-dns-limit", 1, 0, "",
                                           "%llu DNS queries could not be tracked (too many waiting for an answer)",
                                           (unsigned long long) a->dns.dropped_pending),
                               "At most %u queries are followed at once; the others are counted as queries only.",
                               a->lim.max_dns_pending);
        if (a->skipped_linktype_packets)
                finding_detail(finding_add(a, "capture-linktype", 1, 0, "",
                                           "%llu packets have a link type pcapd does not decode",
                                           (unsigned long long) a->skipped_linktype_packets),
                               "They count in the capture totals only (see capture.link_types).");
        /* many: enough to move a figure (1 % of the packets), more than a stray copy or two */
        if (a->dup.count >= 3 && 100.0 * (double) a->dup.count >= threshold_value(a, TH_DUPLICATES) * (double) a->packets)
                finding_detail(finding_add(a, "capture-duplicates", 1, 0, "",
                                           "%llu packets were recorded twice (capture duplicates, %.1f %% of the "
                                           "packets)", (unsigned long long) a->dup.count,
                                           100.0 * (double) a->dup.count / (double) a->packets),
                               "The same IP packet (same identification and bytes) appeared again up to %.3f ms "
                               "later, first at frame %llu: the capture point sees the traffic twice (a SPAN port "
                               "mirroring both directions of a routed link, a capture on a bridge and one of its "
                               "ports). The copies are counted apart (capture.duplicates) and left out of every "
                               "flow, TCP and DNS figure, so they are not taken for retransmissions, as Wireshark "
                               "takes them; editcap -D removes them from the file.",
                               (double) a->dup.max_delay / 1e6, (unsigned long long) a->dup.first_frame);
}

/* The streams a jitter or loss finding lists, as one display filter (RTP by SSRC, other flows by address). */
static void jitter_filter(const analysis_t *a, bool loss, char *buf, size_t len) {
        size_t l = 0;
        unsigned n = 0;
        buf[0] = 0;
        for (uint32_t i = 0; i < a->jitter.n && n < 5; i++) {
                const jit_entry_t *e = &a->jitter.e[i];
                bool media = e->kind == JK_RTP || e->kind == JK_MEDIA_PORT;
                if (!media || !(loss ? e->loss_over : e->over))
                        continue;
                char one[256];
                if (e->kind == JK_RTP)
                        snprintf(one, sizeof one, "rtp.ssrc == 0x%08x", e->ssrc);
                else
                        flow_filter(&e->key, one, sizeof one);
                int w = snprintf(buf + l, len - l, "%s(%s)", n ? " || " : "", one);
                if (w < 0 || (size_t) w >= len - l) {
                        buf[l] = 0;
                        break;
                }
                l += (size_t) w;
                n++;
        }
}

static void finding_flows_from_jitter(finding_t *f, const analysis_t *a, bool loss) {
        for (uint32_t i = 0; i < a->jitter.n && f && f->n_flows < 5; i++) {
                const jit_entry_t *e = &a->jitter.e[i];
                if ((e->kind == JK_RTP || e->kind == JK_MEDIA_PORT) && (loss ? e->loss_over : e->over))
                        finding_flow(f, &e->key, true);
        }
}

/* Jitter and loss on voice and video (ANALYSES.md, "Jitter"): other traffic's jitter is never a finding. */
static void diagnose_jitter(analysis_t *a) {
        const jitter_state_t *s = &a->jitter;
        char filter[512], v[32];
        uint64_t n = s->over[JK_RTP] + s->over[JK_MEDIA_PORT];
        if (n >= 1) {
                double ratio = (double) s->worst_media / (double) threshold_ns(a, TH_JITTER_MEDIA);
                jitter_filter(a, false, filter, sizeof filter);
                finding_t *f = finding_add(a, "jitter-media", ratio >= 2 ? 2 : 1, clampi(2.0 * (double) n + 3.0 * (ratio - 1), 2, 15),
                                           filter, "Jitter on voice or video: %llu %s reached %s ms (worst %.1f ms)",
                                           (unsigned long long) n, n == 1 ? "stream" : "streams",
                                           threshold_format(threshold_value(a, TH_JITTER_MEDIA), v, sizeof v), ms(s->worst_media));
                finding_detail(f, "RFC 3550 jitter, from the RTP timestamps (%llu RTP %s) or, on voice and video ports "
                                  "without RTP, from the arrival times. A receiver's jitter buffer (20 to 60 ms) must "
                                  "delay every packet by about this much or drop the late ones: speech breaks up or "
                                  "lags (ITU-T G.114). The delay varies in queues on the path (a congested uplink, "
                                  "Wi-Fi retries): give the media priority (DSCP EF) or find the congested link. "
                                  "In Wireshark, enable the rtp_udp heuristic (or Decode As RTP) for the filter.",
                               (unsigned long long) s->rtp_streams, s->rtp_streams == 1 ? "stream" : "streams");
                if (f)
                        f->cause = CAUSE_NET_LATENCY;
                finding_flows_from_jitter(f, a, false);
        }
        if (s->loss_over >= 1) {
                double pct = s->rtp_expected ? 100.0 * (double) s->rtp_lost / (double) s->rtp_expected : 0;
                jitter_filter(a, true, filter, sizeof filter);
                finding_t *f = finding_add(a, "rtp-loss", pct >= 5 ? 2 : 1, clampi(2.0 * pct + (double) s->loss_over, 2, 15),
                                           filter, "RTP loss: %llu %s lost %s%% or more of their packets",
                                           (unsigned long long) s->loss_over, s->loss_over == 1 ? "stream" : "streams",
                                           threshold_format(threshold_value(a, TH_RTP_LOSS), v, sizeof v));
                finding_detail(f, "%llu of the %llu packets the RTP streams numbered never reached the capture point "
                                  "(%.2f%%). Voice codecs conceal a few lost packets; from about 1%% speech is audibly "
                                  "damaged (ITU-T G.113), and a loss upstream of the capture point is lost for the "
                                  "receiver too.", (unsigned long long) s->rtp_lost,
                               (unsigned long long) s->rtp_expected, pct);
                if (f)
                        f->cause = CAUSE_NET_LOSS;
                finding_flows_from_jitter(f, a, true);
        }
}

const char *cause_name(cause_t c) {
        static const char *const n[_CAUSE_MAX] = {
                [CAUSE_NONE] = NULL, [CAUSE_SERVER] = "server", [CAUSE_CLIENT] = "client",
                [CAUSE_NET_LATENCY] = "network-latency", [CAUSE_NET_LOSS] = "network-loss",
                [CAUSE_NET_BANDWIDTH] = "network-bandwidth", [CAUSE_RWND] = "receiver-window",
                [CAUSE_SENDER_APP] = "sender-application", [CAUSE_DNS] = "dns", [CAUSE_CAPTURE] = "capture",
                [CAUSE_SECURITY] = "security",
        };
        return c < _CAUSE_MAX ? n[c] : NULL;
}

/* The cause of the findings that do not set one themselves. */
static cause_t cause_of_id(const char *id) {
        static const struct { const char *prefix; cause_t cause; } t[] = {
                { "tcp-loss", CAUSE_NET_LOSS },        { "tcp-rto", CAUSE_NET_LOSS },
                { "tcp-reorder", CAUSE_NET_LOSS },     { "tcp-zero-window", CAUSE_RWND },
                { "tcp-high-rtt", CAUSE_NET_LATENCY }, { "tcp-no-answer", CAUSE_SERVER },
                { "tcp-refused", CAUSE_SERVER },       { "tcp-aborted", CAUSE_SERVER },
                { "dns-", CAUSE_DNS },                 { "icmp-", CAUSE_NET_LOSS },
                { "pmtu", CAUSE_NET_LOSS },            { "ip-frag", CAUSE_NET_LOSS },
                { "capture-", CAUSE_CAPTURE },
        };
        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
                if (strncmp(id, t[i].prefix, strlen(t[i].prefix)) == 0)
                        return t[i].cause;
        return CAUSE_NONE;
}

static const char *cause_words(cause_t c) {
        switch (c) {
        case CAUSE_SERVER: return "the server's think time";
        case CAUSE_CLIENT: return "the client's waits before its requests";
        case CAUSE_NET_LATENCY: return "round trips on the path";
        case CAUSE_NET_LOSS: return "recovering from loss";
        case CAUSE_NET_BANDWIDTH: return "queueing behind a narrow link";
        case CAUSE_RWND: return "waiting for the receiver's window";
        case CAUSE_SENDER_APP: return "the sender writing slowly";
        case CAUSE_DNS: return "slow name resolution";
        default: return "other";
        }
}

/* Where the time went: the exchanges' time split by cause (ANALYSES.md, "Causes and their cost"). */
static void diagnose_time_costs(analysis_t *a) {
        const txn_state_t *t = &a->txn;
        const xfer_state_t *x = &a->xfer;
        memset(a->cost, 0, sizeof a->cost);
        a->cost_total = t->sum[TP_TOTAL];
        a->cost[CAUSE_SERVER] = t->sum[TP_SERVER];
        a->cost[CAUSE_CLIENT] = t->sum[TP_CLIENT] > t->client_overlapped ? t->sum[TP_CLIENT] - t->client_overlapped : 0;
        a->cost[CAUSE_RWND] = x->t[XL_RWND];
        a->cost[CAUSE_NET_LOSS] = t->sum[TP_LOSS] > x->t[XL_LOSS] ? t->sum[TP_LOSS] : x->t[XL_LOSS];
        a->cost[CAUSE_NET_BANDWIDTH] = x->t[XL_BANDWIDTH];
        a->cost[CAUSE_SENDER_APP] = x->t[XL_APP];
        /* the rest of the answers' transfer time was round trips (slow start, small answers) */
        int64_t limited = sat_add(sat_add(a->cost[CAUSE_RWND], a->cost[CAUSE_NET_LOSS]),
                                  sat_add(a->cost[CAUSE_NET_BANDWIDTH], a->cost[CAUSE_SENDER_APP]));
        int64_t rest = t->sum[TP_TRANSFER] > limited ? t->sum[TP_TRANSFER] - limited : 0; /* both >= 0 */
        a->cost[CAUSE_NET_LATENCY] = sat_add(t->sum[TP_NETWORK], rest);
        for (uint32_t i = 0; i < a->ev[EV_DNS_SLOW].n; i++)
                a->cost[CAUSE_DNS] = sat_add(a->cost[CAUSE_DNS], dur_clamp(a->ev[EV_DNS_SLOW].v[i].dur));

        cause_t top = CAUSE_NONE;
        for (int c = 1; c < _CAUSE_MAX; c++)
                if (a->cost[c] > 0 && (top == CAUSE_NONE || a->cost[c] > a->cost[top]))
                        top = (cause_t) c;
        if (t->total == 0)
                snprintf(a->time_summary, sizeof a->time_summary, "No request/response exchange was seen on TCP.");
        else if (top == CAUSE_NONE || a->cost_total <= 0)
                snprintf(a->time_summary, sizeof a->time_summary, "%llu exchanges took no measurable time.",
                         (unsigned long long) t->total);
        else
                snprintf(a->time_summary, sizeof a->time_summary,
                         "Of %.1f s spent in %llu %s on %llu %s, %s took %.1f s (%.0f%%).", ms(a->cost_total) / 1e3,
                         (unsigned long long) t->total, t->total == 1 ? "exchange" : "exchanges",
                         (unsigned long long) t->conns_total, t->conns_total == 1 ? "connection" : "connections",
                         cause_words(top), ms(a->cost[top]) / 1e3,
                         100.0 * (double) a->cost[top] / (double) (a->cost_total > a->cost[top] ? a->cost_total : a->cost[top]));
}

static double share(const analysis_t *a, cause_t c) {
        return a->cost_total > 0 ? 100.0 * (double) a->cost[c] / (double) a->cost_total : 0;
}

/* A finding for a cause that cost a significant share of the time: at least time_share_pct (10 %), and at
 * least time_cost_ms (500 ms) in all (less is not perceived as slowness). */

static finding_t *time_finding(analysis_t *a, const char *id, cause_t c, const char *filter, const char *what) {
        double sh = share(a, c);
        if (a->cost[c] < threshold_ns(a, TH_TIME_COST) || sh < threshold_value(a, TH_TIME_SHARE))
                return NULL;
        finding_t *f = finding_add(a, id, sh >= 50 ? 2 : 1, clampi(sh / 4, 1, 25), filter,
                                   "%s accounts for %.1f s of the %.1f s spent in %llu %s", what,
                                   ms(a->cost[c]) / 1e3, ms(a->cost_total) / 1e3, (unsigned long long) a->txn.total,
                                   a->txn.total == 1 ? "exchange" : "exchanges");
        if (f) {
                f->cause = c;
                f->cost = a->cost[c];
        }
        return f;
}

static void finding_flows_from_exchanges(const analysis_t *a, finding_t *f, const txn_state_t *t, txn_part_t part) {
        for (uint32_t i = 0; i < t->n && f && f->n_flows < 5; i++)
                if (t->items[i].part[part] >= threshold_ns(a, TH_EXCHANGE_SLOW))
                        finding_flow_at(f, &t->items[i].key, true, t->items[i].req_frame);
}

static void finding_flows_from_transfers(finding_t *f, const xfer_state_t *x, xfer_limit_t l) {
        for (uint32_t i = 0; i < x->n && f && f->n_flows < 5; i++)
                if (x->items[i].t[l] > 0)
                        finding_flow_at(f, &x->items[i].key, true, x->items[i].start_frame);
}

static void diagnose_time(analysis_t *a) {
        const txn_state_t *t = &a->txn;
        const xfer_state_t *x = &a->xfer;
        quantiles_t q;
        finding_t *f = time_finding(a, "slow-server", CAUSE_SERVER, "tcp.time_delta > 0.2 && tcp.len > 0",
                                    "The server's think time");
        if (f) {
                samples_quantiles(&a->txn.server, &q);
                finding_detail(f, "The server took %.0f ms before its first answer byte at the median and %.0f ms at "
                                  "worst (the path's round trip removed). The network and the client were not "
                                  "what made these exchanges slow: look at the server application or what it "
                                  "waits for (a database, a backend).", ms(q.p50), ms(q.max));
                finding_flows_from_exchanges(a, f, t, TP_SERVER);
        }
        f = time_finding(a, "client-think", CAUSE_CLIENT, "tcp.time_delta > 0.2 && tcp.len > 0",
                         "The client's wait before its requests");
        if (f) {
                finding_detail(f, "The client application waited before sending its requests while nothing else "
                                  "was happening (%.1f s of its waits overlapped other traffic and are not "
                                  "counted): a user's think time, a client that paces itself, or one slow to "
                                  "prepare its requests.", ms(t->client_overlapped) / 1e3);
                finding_flows_from_exchanges(a, f, t, TP_CLIENT);
        }
        /* round trips are a problem only on a long path: at least 50 ms, as for the high-RTT finding */
        quantiles_t path;
        samples_quantiles(&a->rtt_path, &path);
        if (!path.count)
                samples_quantiles(&a->hs_rtt, &path);
        char filter[64], v[32];
        snprintf(filter, sizeof filter, "tcp.analysis.ack_rtt >= %s", threshold_seconds(a, TH_RTT_HIGH, v, sizeof v));
        f = path.count && path.p50 >= threshold_ns(a, TH_RTT_HIGH)
                ? time_finding(a, "network-latency", CAUSE_NET_LATENCY, filter, "Round trips on the path")
                : NULL;
        if (f) {
                quantiles_t hs;
                samples_quantiles(&a->hs_rtt, &hs);
                finding_detail(f, "Every exchange costs at least one path round trip (handshake %.0f ms at the "
                                  "median), and a transfer in slow start one more per window. Fewer round trips "
                                  "(keep-alive, fewer requests, a closer server) are the remedy.", ms(hs.p50));
                /* the handshake's high-RTT finding says the same thing less well: one finding for one cause */
                for (unsigned i = 0; i < a->n_findings; i++)
                        if (strcmp(a->findings[i].id, "tcp-high-rtt") == 0) {
                                memmove(&a->findings[i], &a->findings[i + 1], sizeof(finding_t) * (a->n_findings - i - 1));
                                a->n_findings--;
                                break;
                        }
        }
        f = time_finding(a, "transfer-receiver-window", CAUSE_RWND, "tcp.analysis.window_full || tcp.analysis.zero_window",
                         "Waiting for the receiver's window");
        if (f) {
                finding_detail(f, "The data in flight reached the window the receiver advertised: the receiver's "
                                  "buffer (SO_RCVBUF, autotuning) is too small for this path's bandwidth-delay "
                                  "product. A larger receive buffer is the remedy.");
                finding_flows_from_transfers(f, x, XL_RWND);
        }
        f = time_finding(a, "transfer-bandwidth", CAUSE_NET_BANDWIDTH, "tcp.analysis.ack_rtt > 0.1",
                         "Queueing behind a narrow link");
        if (f) {
                int64_t qmax = 0;
                for (uint32_t i = 0; i < x->n; i++)
                        if (x->items[i].queue_max > qmax)
                                qmax = x->items[i].queue_max;
                finding_detail(f, "The transfers ran at the link's capacity while the round trip grew by up to %.0f "
                                  "ms over its base: packets queued at a bottleneck (bufferbloat). Everything "
                                  "sharing that link waited in the same queue.", ms(qmax));
                finding_flows_from_transfers(f, x, XL_BANDWIDTH);
        }
        f = time_finding(a, "transfer-sender", CAUSE_SENDER_APP, "tcp.len > 0",
                         "The sender writing slowly");
        if (f) {
                finding_detail(f, "The sender had nothing in flight and open windows, yet sent nothing: its "
                                  "application produced the data slowly (or paced it). The network was idle.");
                finding_flows_from_transfers(f, x, XL_APP);
        }
        /* loss: the existing loss finding carries the time recovery cost */
        for (unsigned i = 0; i < a->n_findings; i++)
                if (strcmp(a->findings[i].id, "tcp-loss") == 0 && a->cost[CAUSE_NET_LOSS] > 0)
                        a->findings[i].cost = a->cost[CAUSE_NET_LOSS];
}

void diagnosis_run(analysis_t *a) {
        a->n_findings = 0;
        diagnose_time_costs(a);
        diagnose_tcp(a);
        diagnose_dns(a);
        diagnose_ip(a);
        diagnose_capture(a);
        diagnose_jitter(a);
        diagnose_time(a);
        security_diagnose(a);
        for (unsigned i = 0; i < a->n_findings; i++)
                if (a->findings[i].cause == CAUSE_NONE)
                        a->findings[i].cause = cause_of_id(a->findings[i].id);
        qsort(a->findings, a->n_findings, sizeof(finding_t), finding_cmp);
        int score = 100;
        for (unsigned i = 0; i < a->n_findings; i++)
                score -= a->findings[i].penalty;
        a->health = score < 0 ? 0 : score;
}
