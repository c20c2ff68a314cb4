/* The JSON report, schema "pcapd.report/2" (documented in lib/engine/REPORT-SCHEMA.md). Member names are a
 * contract with other tools: add members freely, never rename or remove one within version 1. */
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "names.h"
#include "json.h"
#include "report-json.h"

static const char *const event_names[_EV_MAX] = {
        [EV_RETRANS] = "retransmissions", [EV_ZERO_WINDOW] = "zero_windows", [EV_RESET] = "resets",
        [EV_SLOW_HANDSHAKE] = "slow_handshakes", [EV_FAILED_HANDSHAKE] = "failed_handshakes",
        [EV_DNS_ERROR] = "dns_errors", [EV_DNS_UNANSWERED] = "dns_unanswered", [EV_DNS_SLOW] = "dns_slow",
        [EV_ICMP] = "icmp_errors",
};

/* the member a worst-flow entry's worst figure is (worst_figure_t), NULL none */
static const char *const worst_figure_names[_WF_MAX] = {
        [WF_RTO] = "rto", [WF_FAST] = "fast", [WF_LOST] = "lost_segments", [WF_ZERO_WIN] = "zero_windows",
        [WF_OOO] = "out_of_order", [WF_DUPACK] = "duplicate_acks", [WF_SPURIOUS] = "spurious",
        [WF_REFUSED] = "refused", [WF_SYN_ONLY] = "unanswered_syn", [WF_HANDSHAKE] = "handshake_ms",
};

void json_frame(json_t *j, const char *key, uint64_t frame) {
        if (frame)
                json_u64(j, key, frame);
        else
                json_null(j, key);
}

void json_quantiles_ms(json_t *j, const char *key, const samples_t *s) {
        quantiles_t q;
        samples_quantiles(s, &q);
        json_object_begin(j, key);
        json_u64(j, "count", q.count);
        if (q.count) {
                json_ms(j, "min", q.min);
                json_ms(j, "p50", q.p50);
                json_ms(j, "p95", q.p95);
                json_ms(j, "max", q.max);
                json_double(j, "mean", q.mean / 1e6, 3);
        } else {
                json_null(j, "min");
                json_null(j, "p50");
                json_null(j, "p95");
                json_null(j, "max");
                json_null(j, "mean");
        }
        json_object_end(j);
}

/* A distribution for charts: buckets of powers of two microseconds (over the kept samples). */
static void json_histogram(json_t *j, const char *key, const samples_t *s) {
        uint64_t hist[24] = { 0 };
        for (uint32_t i = 0; i < s->n; i++) {
                int64_t us = s->v[i] / 1000;
                int b = 0;
                while (b < 23 && us >= (1LL << (b + 1)))
                        b++;
                hist[b]++;
        }
        json_array_begin(j, key);
        for (int b = 0; b < 24; b++) {
                json_object_begin(j, NULL);
                json_double(j, "from_ms", (double) (b ? 1LL << b : 0) / 1e3, 3);
                json_double(j, "to_ms", (double) (1LL << (b + 1)) / 1e3, 3);
                json_u64(j, "count", hist[b]);
                json_object_end(j);
        }
        json_array_end(j);
}

void json_flow(json_t *j, const char *key, const flow_key_t *k) {
        char buf[64];
        json_object_begin(j, key);
        json_str(j, "src", addr_format(&k->a, buf, sizeof buf));
        json_str(j, "dst", addr_format(&k->b, buf, sizeof buf));
        if (k->proto == 6 || k->proto == 17) {
                json_u64(j, "sport", k->pa);
                json_u64(j, "dport", k->pb);
        }
        json_u64(j, "proto", k->proto);
        json_object_end(j);
}

static void json_capture(json_t *j, const analysis_t *a) {
        json_object_begin(j, "capture");
        json_str(j, "format", a->file_format[0] ? a->file_format : "packets");
        if (a->capture_name[0])
                json_str(j, "file_name", a->capture_name);
        else
                json_null(j, "file_name");
        json_u64(j, "file_size", a->file_size);
        json_u64(j, "packets", a->packets);
        json_u64(j, "bytes", a->bytes_wire);
        json_u64(j, "bytes_captured", a->bytes_captured);
        if (a->have_ts) {
                json_ts(j, "first_ts", a->first_ts);
                json_ts(j, "last_ts", a->last_ts);
                double dur = (double) (a->last_ts - a->first_ts) / 1e9;
                json_double(j, "duration_s", dur, 9);
                json_double(j, "packets_per_s", dur > 0 ? (double) a->packets / dur : 0, 3);
                json_double(j, "bits_per_s", dur > 0 ? (double) a->bytes_wire * 8 / dur : 0, 3);
                json_double(j, "max_gap_s", (double) a->max_gap / 1e9, 9);
                json_u64(j, "max_gap_frame", a->max_gap_frame);
        } else {
                json_null(j, "first_ts");
                json_null(j, "last_ts");
                json_double(j, "duration_s", 0, 0);
                json_double(j, "packets_per_s", 0, 0);
                json_double(j, "bits_per_s", 0, 0);
        }
        json_u64(j, "negative_time_deltas", a->negative_deltas);
        json_u64(j, "duplicates", a->dup.count);
        json_u64(j, "duplicate_bytes", a->dup.bytes);
        if (a->dup.count) {
                json_u64(j, "duplicate_first_frame", a->dup.first_frame);
                json_double(j, "duplicate_max_delay_ms", (double) a->dup.max_delay / 1e6, 6);
        } else {
                json_null(j, "duplicate_first_frame");
                json_null(j, "duplicate_max_delay_ms");
        }
        json_bool(j, "nanosecond", a->nanosecond);
        json_u64(j, "snaplen", a->snaplen);
        json_array_begin(j, "link_types");
        for (unsigned i = 0; i < a->n_links; i++) {
                json_object_begin(j, NULL);
                json_i64(j, "dlt", a->links[i]);
                json_str(j, "name", decode_dlt_name(a->links[i]) ? decode_dlt_name(a->links[i]) : "unsupported");
                json_bool(j, "decoded", decode_dlt_supported(a->links[i]));
                json_u64(j, "packets", a->link_packets[i]);
                json_object_end(j);
        }
        json_array_end(j);
        json_object_begin(j, "skipped");
        json_u64(j, "unsupported_link_type", a->skipped[SKIP_LINKTYPE]);
        json_u64(j, "not_ip", a->skipped[SKIP_ETHERTYPE]);
        json_u64(j, "truncated_headers", a->skipped[SKIP_TRUNCATED]);
        json_u64(j, "malformed_headers", a->skipped[SKIP_MALFORMED]);
        json_object_end(j);
        json_bool(j, "truncated", a->truncated);
        json_bool(j, "partial", analysis_is_partial(a));
        json_bool(j, "packet_limit_reached", a->packet_limit_hit);
        json_str(j, "read_error", a->read_error[0] ? a->read_error : NULL);
        json_u64(j, "bytes_read", a->bytes_read);
        json_object_end(j);
}

static void json_protocols(json_t *j, const analysis_t *a) {
        json_object_begin(j, "protocols");
        for (int i = 0; i < _PROTO_MAX; i++) {
                json_object_begin(j, names_proto[i].key);
                json_u64(j, "packets", a->proto[i].packets);
                json_u64(j, "bytes", a->proto[i].bytes);
                json_object_end(j);
        }
        json_object_end(j);
}

static void json_services(json_t *j, const analysis_t *a) {
        json_array_begin(j, "services");
        for (unsigned i = 0; i < a->view.n_services; i++) {
                const service_entry_t *s = &a->view.services[i];
                const char *n = names_service(s->proto, s->port);
                char buf[32];
                if (!n) {
                        snprintf(buf, sizeof buf, "%s/%u", s->proto == 6 ? "tcp" : "udp", s->port);
                        n = buf;
                }
                json_object_begin(j, NULL);
                json_str(j, "name", n);
                json_str(j, "transport", s->proto == 6 ? "tcp" : "udp");
                json_u64(j, "port", s->port);
                json_u64(j, "packets", s->c.packets);
                json_u64(j, "bytes", s->c.bytes);
                json_object_end(j);
        }
        json_array_end(j);
}

static void json_talkers(json_t *j, const analysis_t *a) {
        char buf[64];
        const report_view_t *v = &a->view;
        json_object_begin(j, "talkers");
        json_u64(j, "hosts_total", v->hosts_total);
        json_u64(j, "hosts_table_overflow_packets", a->hosts.overflow_packets);
        json_array_begin(j, "hosts");
        for (uint32_t i = 0; i < v->n_hosts && i < 20; i++) {
                const host_entry_t *h = &v->hosts[i];
                json_object_begin(j, NULL);
                json_str(j, "addr", addr_format(&h->addr, buf, sizeof buf));
                json_u64(j, "packets_sent", h->packets_tx);
                json_u64(j, "packets_received", h->packets_rx);
                json_u64(j, "bytes_sent", h->bytes_tx);
                json_u64(j, "bytes_received", h->bytes_rx);
                json_u64(j, "bytes", h->bytes_tx + h->bytes_rx);
                json_object_end(j);
        }
        json_array_end(j);
        json_u64(j, "conversations_total", v->convs_total);
        json_array_begin(j, "conversations");
        for (uint32_t i = 0; i < v->n_convs && i < 20; i++) {
                const conv_entry_t *c = &v->convs[i];
                json_object_begin(j, NULL);
                json_str(j, "a", addr_format(&c->a, buf, sizeof buf));
                json_str(j, "b", addr_format(&c->b, buf, sizeof buf));
                json_u64(j, "packets", c->packets);
                json_u64(j, "bytes", c->bytes);
                json_u64(j, "bytes_a_to_b", c->bytes_ab);
                json_u64(j, "bytes_b_to_a", c->bytes - c->bytes_ab);
                double d = (double) (c->last_ts - c->first_ts) / 1e9;
                json_double(j, "duration_s", d, 6);
                json_double(j, "share_percent", a->bytes_wire ? 100.0 * (double) c->bytes / (double) a->bytes_wire : 0, 2);
                json_object_end(j);
        }
        json_array_end(j);
        json_object_end(j);
}

static void json_events(json_t *j, const analysis_t *a, event_kind_t k) {
        const event_list_t *l = &a->ev[k];
        json_object_begin(j, event_names[k]);
        json_u64(j, "total", l->total);
        json_u64(j, "kept", l->n);
        json_array_begin(j, "items");
        for (uint32_t i = 0; i < l->n; i++) {
                const event_t *e = &l->v[i];
                json_object_begin(j, NULL);
                json_ts(j, "ts", e->ts);
                json_double(j, "t", (double) (e->ts - a->first_ts) / 1e9, 6);
                json_flow(j, "flow", &e->key);
                json_u64(j, "frame", e->frame);
                switch (k) {
                case EV_RETRANS:
                        json_str(j, "kind", e->sub == 0 ? "rto" : e->sub == 1 ? "fast" : e->sub == 2 ? "spurious" : "pmtu");
                        json_u64(j, "seq", e->value);
                        break;
                case EV_RESET:
                        json_str(j, "kind", e->sub == 0 ? "refused" : e->sub == 1 ? "aborted" : "other");
                        break;
                case EV_SLOW_HANDSHAKE:
                        json_ms(j, "handshake_ms", e->dur);
                        json_double(j, "syn_to_synack_ms", (double) e->value / 1e3, 3);
                        json_u64(j, "syns", e->sub);
                        json_frame(j, "syn_frame", e->frame2);
                        break;
                case EV_FAILED_HANDSHAKE:
                        json_u64(j, "syns", e->sub);
                        json_ms(j, "waited_ms", e->dur);
                        break;
                case EV_DNS_ERROR:
                case EV_DNS_SLOW:
                case EV_DNS_UNANSWERED:
                        json_strn(j, "name", e->text, e->text_len);
                        json_u64(j, "qtype", e->value);
                        if (k != EV_DNS_UNANSWERED) {
                                json_str(j, "rcode", dns_rcode_name(e->sub));
                                if (e->dur >= 0)
                                        json_ms(j, "response_ms", e->dur);
                                json_frame(j, "query_frame", e->frame2);
                                if (k == EV_DNS_ERROR && e->sub == 3)
                                        json_bool(j, "search_path", e->sub2 == 1);
                        } else
                                json_u64(j, "repeats", e->sub);
                        break;
                case EV_ICMP:
                        json_str(j, "family", e->sub2 ? "icmpv6" : "icmp");
                        json_u64(j, "type", e->sub);
                        json_u64(j, "code", e->value);
                        json_strn(j, "reporter", e->text, e->text_len);
                        if (e->dur)
                                json_i64(j, "mtu", e->dur);
                        break;
                default:
                        break;
                }
                json_object_end(j);
        }
        json_array_end(j);
        json_object_end(j);
}

static void json_tcp(json_t *j, const analysis_t *a) {
        json_object_begin(j, "tcp");
        json_u64(j, "connections", a->tcp.conns);
        json_u64(j, "packets", a->proto[PROTO_TCP].packets);
        json_u64(j, "data_segments", a->tcp.data_segments);
        json_u64(j, "retransmissions", a->tcp.retrans);
        json_u64(j, "rto_retransmissions", a->tcp.rto);
        json_u64(j, "fast_retransmissions", a->tcp.fast);
        json_u64(j, "spurious_retransmissions", a->tcp.spurious);
        json_u64(j, "pmtu_retransmissions", a->tcp.pmtu_retrans);
        json_u64(j, "duplicate_acks", a->tcp.dupacks);
        json_u64(j, "out_of_order", a->tcp.ooo);
        json_u64(j, "lost_segments", a->tcp.lost);
        json_u64(j, "sequence_gaps", a->tcp.gaps);
        json_u64(j, "lost_bytes", a->tcp.lost_bytes);
        json_u64(j, "zero_windows", a->tcp.zero_win);
        json_u64(j, "zero_window_probes", a->tcp.zw_probe);
        json_u64(j, "window_full", a->tcp.win_full);
        json_u64(j, "window_updates", a->tcp.win_update);
        json_u64(j, "keep_alives", a->tcp.keepalive);
        json_u64(j, "resets", a->tcp.rst);
        json_u64(j, "refused", a->tcp.refused);
        json_u64(j, "aborted", a->tcp.aborted);
        json_u64(j, "syn", a->tcp.syn);
        json_u64(j, "syn_ack", a->tcp.synack);
        json_u64(j, "fin", a->tcp.fin);
        json_u64(j, "syn_retransmissions", a->tcp.syn_retrans);
        json_u64(j, "synack_retransmissions", a->tcp.synack_retrans);
        json_u64(j, "reused_ports", a->tcp.reused_ports);
        json_u64(j, "connections_without_handshake", a->tcp.conns_midstream);
        json_u64(j, "connections_unknown_window_scale", a->tcp.conns_unknown_scale);
        json_object_begin(j, "handshakes");
        json_u64(j, "completed", a->tcp.hs_completed);
        json_u64(j, "no_answer", a->tcp.hs_no_answer);
        json_u64(j, "refused", a->tcp.hs_refused);
        json_u64(j, "slow", a->ev[EV_SLOW_HANDSHAKE].total);
        json_u64(j, "high_rtt", a->tcp.hs_high_rtt);
        json_quantiles_ms(j, "rtt_ms", &a->hs_rtt);
        json_quantiles_ms(j, "syn_to_synack_ms", &a->hs_syn_synack);
        json_quantiles_ms(j, "synack_to_ack_ms", &a->hs_synack_ack);
        json_histogram(j, "rtt_histogram", &a->hs_rtt);
        json_object_end(j);
        json_quantiles_ms(j, "rtt_ms", &a->rtt);
        json_quantiles_ms(j, "rtt_path_ms", &a->rtt_path);
        json_quantiles_ms(j, "ack_delay_ms", &a->ack_delay);
        json_quantiles_ms(j, "duration_ms", &a->conn_dur);
        json_transfers(j, a);
        json_object_end(j);
}

static void json_rcodes(json_t *j, const dns_state_t *d) {
        json_object_begin(j, "rcodes");
        for (unsigned i = 0; i < 16; i++)
                if (d->rcodes[i])
                        json_u64(j, dns_rcode_name(i), d->rcodes[i]);
        json_object_end(j);
}

/* DNS on other UDP ports (the heuristic's), apart from the figures above */
static void json_dns_other(json_t *j, const dns_other_t *o) {
        json_object_begin(j, "other_ports");
        json_u64(j, "queries", o->s.queries);
        json_u64(j, "responses", o->s.responses);
        json_u64(j, "unanswered", o->s.unanswered);
        json_u64(j, "repeated_queries", o->s.repeated);
        json_u64(j, "pending_dropped", o->s.dropped_pending);
        json_rcodes(j, &o->s);
        json_quantiles_ms(j, "response_time_ms", &o->s.rt);
        json_array_begin(j, "ports");
        for (unsigned i = 0; i < o->n_ports; i++) {
                json_object_begin(j, NULL);
                json_u64(j, "port", o->ports[i].port);
                json_u64(j, "queries", o->ports[i].queries);
                json_object_end(j);
        }
        json_array_end(j);
        json_u64(j, "unlisted_port_queries", o->unlisted_port_queries);
        json_object_end(j);
}

static void json_dns(json_t *j, const analysis_t *a) {
        const dns_state_t *d = &a->dns;
        json_object_begin(j, "dns");
        json_u64(j, "queries", d->queries);
        json_u64(j, "responses", d->responses);
        json_u64(j, "unanswered", d->unanswered);
        json_u64(j, "unanswered_multicast", a->dns_unanswered_multicast);
        json_u64(j, "unmatched_responses", d->unmatched_responses);
        json_u64(j, "nxdomain_search_path", d->nxdomain_search);
        json_u64(j, "repeated_queries", d->repeated);
        json_u64(j, "tcp_messages", d->tcp_messages);
        json_u64(j, "truncated_responses", d->truncated_flag);
        json_u64(j, "pending_dropped", d->dropped_pending);
        json_rcodes(j, d);
        json_quantiles_ms(j, "response_time_ms", &d->rt);
        json_histogram(j, "response_time_histogram", &d->rt);
        json_dns_other(j, &a->dns_other);
        json_object_end(j);
}

static void json_icmp(json_t *j, const analysis_t *a) {
        json_object_begin(j, "icmp");
        json_u64(j, "messages", a->icmp.msgs + a->icmp.msgs6);
        json_u64(j, "icmpv4_messages", a->icmp.msgs);
        json_u64(j, "icmpv6_messages", a->icmp.msgs6);
        json_u64(j, "unreachable", a->icmp.unreach);
        json_u64(j, "time_exceeded", a->icmp.time_exceeded);
        json_u64(j, "fragmentation_needed", a->icmp.frag_needed);
        json_u64(j, "packet_too_big", a->icmp.ptb);
        json_u64(j, "redirects", a->icmp.redirect);
        if (a->icmp.min_mtu)
                json_u64(j, "smallest_mtu", a->icmp.min_mtu);
        else
                json_null(j, "smallest_mtu");
        json_object_begin(j, "types");
        for (int v6 = 0; v6 < 2; v6++)
                for (int t = 0; t < 256; t++)
                        for (int c = 0; c < 16; c++)
                                if (a->icmp.codes[v6][t][c]) {
                                        char k[32];
                                        snprintf(k, sizeof k, "%s%d/%d", v6 ? "v6:" : "", t, c);
                                        json_u64(j, k, a->icmp.codes[v6][t][c]);
                                }
        json_object_end(j);
        json_object_end(j);
}

static void json_series(json_t *j, const analysis_t *a) {
        const series_t *s = &a->series;
        int last = -1;
        for (int i = 0; i < SERIES_BUCKETS; i++)
                if (s->b[i].packets)
                        last = i;
        json_object_begin(j, "series");
        json_double(j, "bucket_s", (double) s->width / 1e9, 9);
        json_u64(j, "buckets", (uint64_t) (last + 1));
#define SERIES_FIELD(name, expr)                                  \
        do {                                                      \
                json_array_begin(j, name);                        \
                for (int i = 0; i <= last; i++) {                 \
                        const series_bucket_t *b = &s->b[i];      \
                        expr;                                     \
                }                                                 \
                json_array_end(j);                                \
        } while (0)
        SERIES_FIELD("t", (void) b; json_double(j, NULL, (double) i * (double) s->width / 1e9, 6));
        SERIES_FIELD("packets", json_u64(j, NULL, b->packets));
        SERIES_FIELD("bytes", json_u64(j, NULL, b->bytes));
        SERIES_FIELD("bits_per_s", json_double(j, NULL, (double) b->bytes * 8e9 / (double) s->width, 1));
        SERIES_FIELD("retransmissions", json_u64(j, NULL, b->retrans));
        SERIES_FIELD("lost_segments", json_u64(j, NULL, b->lost));
        SERIES_FIELD("zero_windows", json_u64(j, NULL, b->zero_win));
        SERIES_FIELD("dns_failures", json_u64(j, NULL, b->dns_fail));
        SERIES_FIELD("rtt_ms_mean", b->rtt_n ? json_double(j, NULL, (double) b->rtt_sum / (double) b->rtt_n / 1e6, 3)
                                             : json_null(j, NULL));
        SERIES_FIELD("rtt_ms_max", b->rtt_n ? json_double(j, NULL, (double) b->rtt_max / 1e6, 3) : json_null(j, NULL));
#undef SERIES_FIELD
        json_object_end(j);
}

/* The security detectors' tables: how full each is and what did not fit (ANALYSES.md, "Security detectors"). */
static void json_security(json_t *j, const analysis_t *a) {
        const sec_state_t *s = &a->sec;
        const struct {
                const char *name;
                const sec_table_t *t;
        } tables[] = {
                { "scan_probes", &s->scan_probes }, { "scan_hosts", &s->scan_host },   { "scan_ports", &s->scan_port },
                { "scan_sources", &s->scan_src },   { "flood_targets", &s->flood },    { "brute_force", &s->brute },
                { "dns_domains", &s->dns },         { "exfiltration", &s->exfil },     { "beacons", &s->beacon },
                { "lateral_pairs", &s->lateral_pairs }, { "lateral_sources", &s->lateral_src },
        };
        json_object_begin(j, "security");
        json_u64(j, "failed_probes", s->probes);
        json_u64(j, "stealth_probes", s->stealth_probes);
        json_u64(j, "dns_carrier_queries", s->dns_carriers);
        json_object_begin(j, "tables");
        for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
                json_object_begin(j, tables[i].name);
                json_u64(j, "entries", tables[i].t->t.n);
                json_u64(j, "max", tables[i].t->max);
                json_u64(j, "dropped", tables[i].t->dropped);
                json_object_end(j);
        }
        json_object_end(j);
        json_object_end(j);
}

static void json_flows(json_t *j, const analysis_t *a) {
        json_object_begin(j, "flows");
        json_u64(j, "total", a->flows_total);
        json_u64(j, "tcp", a->tcp.conns);
        json_u64(j, "udp", a->udp_flows);
        json_u64(j, "limit", a->lim.max_flows);
        json_u64(j, "packets_over_limit", a->flows_over_limit_packets);
        quantiles_t q;
        samples_quantiles(&a->flow_jitter, &q);
        json_object_begin(j, "jitter_ms");
        json_u64(j, "directions", q.count);
        if (q.count) {
                json_ms(j, "p50", q.p50);
                json_ms(j, "p95", q.p95);
                json_ms(j, "max", q.max);
        }
        json_object_end(j);
        json_array_begin(j, "worst");
        for (uint32_t i = 0; i < a->n_worst && i < 50; i++) {
                const flow_summary_t *s = &a->worst[i];
                if (s->score <= 0 && i >= 20)
                        break;
                char filt[512];
                json_object_begin(j, NULL);
                json_flow(j, "flow", &s->key);
                json_str(j, "filter", flow_filter(&s->key, filt, sizeof filt));
                json_ts(j, "first_ts", s->first_ts);
                json_u64(j, "first_frame", s->first_frame);
                json_double(j, "duration_s", (double) (s->last_ts - s->first_ts) / 1e9, 6);
                json_u64(j, "packets", s->packets);
                json_u64(j, "bytes", s->bytes);
                if (s->proto == 6) {
                        json_u64(j, "retransmissions", s->retrans);
                        json_u64(j, "rto", s->rto);
                        json_u64(j, "fast", s->fast);
                        json_u64(j, "spurious", s->spurious);
                        json_u64(j, "out_of_order", s->ooo);
                        json_u64(j, "lost_segments", s->lost);
                        json_u64(j, "duplicate_acks", s->dupacks);
                        json_u64(j, "zero_windows", s->zero_win);
                        if (s->hs_time >= 0)
                                json_ms(j, "handshake_ms", s->hs_time);
                        json_bool(j, "refused", s->refused);
                        json_bool(j, "reset", s->reset);
                        json_bool(j, "unanswered_syn", s->syn_only);
                }
                json_double(j, "max_idle_s", (double) s->max_gap / 1e9, 6);
                json_frame(j, "max_idle_frame", s->max_gap_frame);
                for (int d = 0; d < 2; d++)
                        if (s->jitter[d] >= 0)
                                json_ms(j, d ? "jitter_ms_server_to_client" : "jitter_ms_client_to_server", s->jitter[d]);
                json_double(j, "score", s->score, 1);
                json_str(j, "worst_figure", worst_figure_names[s->worst]);
                json_frame(j, "worst_frame", s->worst_frame);
                json_object_end(j);
        }
        json_array_end(j);
        json_object_end(j);
}

/* A gap's side: the flow of the packet there, client -> server when known; null when not a flow's. */
static void json_gap_side(json_t *j, const char *key, const gap_side_t *s) {
        if (!s->flow) {
                json_null(j, key);
                return;
        }
        flow_key_t k = s->key;
        if (!s->client_is_a) {
                k.a = s->key.b;
                k.b = s->key.a;
                k.pa = s->key.pb;
                k.pb = s->key.pa;
        }
        json_flow(j, key, &k);
}

static void json_period(json_t *j, const analysis_t *a, const period_t *p, double mean_bps) {
        double start, end, secs, bps;
        timing_period_span(a, p, &start, &end, &secs, &bps);
        json_object_begin(j, NULL);
        json_double(j, "start_s", start, 6);
        json_double(j, "end_s", end, 6);
        json_double(j, "duration_s", secs, 6);
        json_u64(j, "packets", p->packets);
        json_u64(j, "bytes", p->bytes);
        json_double(j, "bits_per_s", bps, 1);
        json_double(j, "times_mean", mean_bps > 0 ? bps / mean_bps : 0, 2);
        json_object_end(j);
}

/* timing.gaps, timing.largest_bursts, timing.periods (ANALYSES.md, "Timing") */
static void json_timing_lists(json_t *j, const analysis_t *a) {
        const timing_state_t *t = &a->timing;
        json_object_begin(j, "gaps");
        json_u64(j, "total", t->gaps_total);
        json_ms(j, "total_ms", t->gaps_sum);
        json_u64(j, "kept", t->n_gaps);
        json_array_begin(j, "items");
        for (uint32_t i = 0; i < t->n_gaps; i++) {
                const gap_t *g = &t->gaps[i];
                json_object_begin(j, NULL);
                json_ts(j, "start_ts", g->start_ts);
                json_double(j, "t", (double) (g->start_ts - a->first_ts) / 1e9, 6);
                json_ms(j, "duration_ms", g->dur);
                json_frame(j, "frame_before", g->frame_before);
                json_frame(j, "frame", g->frame);
                json_gap_side(j, "flow_before", &g->before);
                json_gap_side(j, "flow_after", &g->after);
                json_bool(j, "within_flow", g->before.flow && g->before.flow == g->after.flow);
                json_object_end(j);
        }
        json_array_end(j);
        json_object_end(j);

        json_array_begin(j, "largest_bursts");
        for (uint32_t i = 0; i < t->n_bursts; i++) {
                const burst_t *b = &t->bursts[i];
                json_object_begin(j, NULL);
                json_double(j, "start_s", (double) (b->start - a->first_ts) / 1e9, 6);
                json_frame(j, "start_frame", b->frame);
                json_u64(j, "packets", b->packets);
                json_u64(j, "bytes", b->bytes);
                json_ms(j, "duration_ms", b->dur);
                json_object_end(j);
        }
        json_array_end(j);

        period_t peaks[PERIODS_KEEP], quiet[PERIODS_KEEP];
        unsigned np, nq;
        double mean;
        timing_periods(a, peaks, &np, quiet, &nq, &mean);
        json_object_begin(j, "periods");
        json_double(j, "bucket_s", (double) a->series.width / 1e9, 9);
        json_double(j, "mean_bits_per_s", mean, 1);
        json_array_begin(j, "peaks");
        for (unsigned i = 0; i < np; i++)
                json_period(j, a, &peaks[i], mean);
        json_array_end(j);
        json_array_begin(j, "quiet");
        for (unsigned i = 0; i < nq; i++)
                json_period(j, a, &quiet[i], mean);
        json_array_end(j);
        json_object_end(j);
}

/* The thresholds the diagnosis used: each one's value, default, unit and what set it. */
static void json_thresholds(json_t *j, const thresholds_t *t) {
        static const char *const set_by[_TS_MAX] = {
                [TS_DEFAULT] = "default", [TS_FILE_LATENCY] = "configuration", [TS_FILE] = "configuration",
                [TS_LATENCY] = "latency", [TS_OPTION] = "threshold",
        };
        json_object_begin(j, "thresholds");
        for (unsigned i = 0; i < _TH_MAX; i++) {
                json_object_begin(j, threshold_name((threshold_id_t) i));
                json_double(j, "value", t->v[i], 9);
                json_double(j, "default", threshold_default((threshold_id_t) i), 9);
                json_str(j, "unit", threshold_unit_name((threshold_id_t) i));
                json_str(j, "set_by", t->source[i] < _TS_MAX ? set_by[t->source[i]] : "default");
                json_object_end(j);
        }
        json_object_end(j);
}

void report_json_emit(json_t *j, const analysis_t *a) {
        json_object_begin(j, NULL);
        json_str(j, "schema", "pcapd.report/2");
        json_str(j, "generator", "pcapd " PCAPD_VERSION);
        json_where_time_went(j, a);
        json_capture_point(j, a);
        json_capture(j, a);
        json_protocols(j, a);
        json_services(j, a);
        json_talkers(j, a);
        json_tcp(j, a);
        json_transactions(j, a);
        json_dns(j, a);
        json_icmp(j, a);
        json_object_begin(j, "ip");
        json_u64(j, "fragments", a->frag.fragments);
        json_u64(j, "ipv4_fragments", a->frag.v4_fragments);
        json_u64(j, "ipv6_fragments", a->frag.v6_fragments);
        json_u64(j, "datagrams", a->frag.datagrams);
        json_u64(j, "completed", a->frag.completed);
        json_u64(j, "incomplete", a->frag.incomplete);
        json_object_end(j);
        json_object_begin(j, "timing");
        json_double(j, "max_gap_s", (double) a->max_gap / 1e9, 9);
        json_u64(j, "bursts", a->bursts);
        json_u64(j, "largest_burst_packets", a->burst_max_pkts);
        json_u64(j, "largest_burst_bytes", a->burst_max_bytes);
        json_double(j, "largest_burst_duration_ms", (double) a->burst_max_dur / 1e6, 3);
        if (a->burst_max_pkts) {
                json_double(j, "largest_burst_start_s", (double) (a->burst_max_start - a->first_ts) / 1e9, 6);
                json_u64(j, "largest_burst_start_frame", a->burst_max_frame);
        }
        json_timing_lists(j, a);
        json_object_end(j);
        json_flows(j, a);
        json_connections(j, a);
        json_jitter(j, a);
        json_security(j, a);
        json_series(j, a);
        json_object_begin(j, "events");
        for (int k = 0; k < _EV_MAX; k++)
                json_events(j, a, (event_kind_t) k);
        json_object_end(j);
        json_object_begin(j, "health");
        json_i64(j, "score", a->health);
        json_array_begin(j, "penalties");
        for (unsigned i = 0; i < a->n_findings; i++) {
                if (!a->findings[i].penalty)
                        continue;
                json_object_begin(j, NULL);
                json_str(j, "finding", a->findings[i].id);
                json_i64(j, "points", a->findings[i].penalty);
                json_object_end(j);
        }
        json_array_end(j);
        json_object_end(j);
        json_array_begin(j, "findings");
        for (unsigned i = 0; i < a->n_findings; i++) {
                const finding_t *f = &a->findings[i];
                json_object_begin(j, NULL);
                json_str(j, "id", f->id);
                json_str(j, "severity", f->severity >= 3 ? "critical" : f->severity == 2 ? "warning" : "info");
                json_str(j, "title", f->title);
                json_str(j, "detail", f->detail);
                json_str(j, "filter", f->filter);
                json_i64(j, "penalty", f->penalty);
                json_str(j, "cause", cause_name(f->cause));
                if (f->cost >= 0)
                        json_ms(j, "cost_ms", f->cost);
                else
                        json_null(j, "cost_ms");
                json_array_begin(j, "flows");
                for (unsigned k = 0; k < f->n_flows; k++)
                        json_str(j, NULL, f->flows[k]);
                json_array_end(j);
                json_finding_commands(j, a, i);
                json_object_end(j);
        }
        json_array_end(j);
        json_timelines(j, a);
        json_object_begin(j, "limits");
        json_u64(j, "max_packets", a->lim.max_packets);
        json_u64(j, "max_flows", a->lim.max_flows);
        json_u64(j, "max_events", a->lim.max_events);
        json_u64(j, "max_dns_pending", a->lim.max_dns_pending);
        json_u64(j, "max_frag_pending", a->lim.max_frag_pending);
        json_object_end(j);
        json_thresholds(j, &a->th);
        json_object_end(j);
}

void report_json(const analysis_t *a, FILE *out) {
        json_t j;
        json_init(&j, out, true);
        report_json_emit(&j, a);
}
