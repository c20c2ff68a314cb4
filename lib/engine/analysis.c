/* The engine's driver: reads a capture through libpcap (or takes packets one by one), dispatches each
 * packet to the analyses, reports progress, and closes the analyses at the end. */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "capture.h"
#include "util/hash.h"

void analysis_limits_default(analysis_limits_t *ret) {
        *ret = (analysis_limits_t) {
                .max_packets = 0,
                .max_flows = 200000,
                .max_events = 1000,
                .max_dns_pending = 65536,
                .max_frag_pending = 1024,
        };
}

/* th_ns[] from th: thresholds are finite and in range (at most an hour, 3.6e12 ns) */
static void analysis_thresholds_ns(analysis_t *a) {
        for (unsigned i = 0; i < _TH_MAX; i++)
                a->th_ns[i] = (int64_t) (a->th.v[i] * 1e6 + 0.5);
}

int analysis_set_thresholds(analysis_t *a, const thresholds_t *t) {
        if (!a || !t)
                return -EINVAL;
        if (a->packets > 0)
                return -EBUSY;
        int r = thresholds_check(t, NULL);
        if (r < 0)
                return r;
        a->th = *t;
        analysis_thresholds_ns(a);
        return 0;
}

int analysis_set_capture_name(analysis_t *a, const char *name) {
        if (!a || !name)
                return -EINVAL;
        if (strlen(name) >= sizeof a->capture_name)
                return -ENAMETOOLONG;
        snprintf(a->capture_name, sizeof a->capture_name, "%s", name);
        return 0;
}

int analysis_new(const analysis_limits_t *limits, analysis_t **ret) {
        analysis_t *a = calloc(1, sizeof *a);
        if (!a)
                return -ENOMEM;
        if (limits)
                a->lim = *limits;
        else
                analysis_limits_default(&a->lim);
        if (a->lim.max_flows == 0)
                a->lim.max_flows = 1;
        if (a->lim.max_dns_pending == 0)
                a->lim.max_dns_pending = 1;
        if (getrandom(&a->key, sizeof a->key, GRND_NONBLOCK) != sizeof a->key) {
                /* no entropy yet (early boot): a key nobody outside knows still, if weaker */
                a->key.k0 = (uint64_t) time(NULL) * 0x9e3779b97f4a7c15ULL ^ (uint64_t) (uintptr_t) a;
                a->key.k1 = hash_mix64(a->key.k0 ^ (uint64_t) getpid());
        }
        thresholds_default(&a->th);
        analysis_thresholds_ns(a);
        a->timing.gap_open = -1;
        a->health = 100;
        a->series.width = 10 * NS_PER_MS;
        uint64_t s = 0x5eed; /* sample stores use a fixed seed: reports are reproducible */
        samples_init(&a->hs_rtt, 100000, s + 1);
        samples_init(&a->hs_syn_synack, 100000, s + 2);
        samples_init(&a->hs_synack_ack, 100000, s + 3);
        samples_init(&a->rtt, 200000, s + 4);
        samples_init(&a->conn_dur, 100000, s + 5);
        samples_init(&a->flow_jitter, 100000, s + 7);
        samples_init(&a->rtt_path, 200000, s + 9);
        samples_init(&a->ack_delay, 200000, s + 10);
        txn_init(&a->txn, s + 11);
        conn_table_init(&a->conns, a->lim.max_events < CONN_ROWS ? a->lim.max_events : CONN_ROWS);
        int r = flow_table_init(&a->flows, &a->key, a->lim.max_flows);
        if (r >= 0)
                r = dns_init(&a->dns, a->lim.max_dns_pending, s + 8);
        a->dns.key = a->key; /* the pending-query table is keyed by what an uploader controls */
        if (r >= 0)
                r = dns_init(&a->dns_other.s, a->lim.max_dns_pending / 4, s + 12);
        a->dns_other.s.key = a->key;
        a->dns_other.s.apart = true;
        if (r >= 0)
                r = frag_init(&a->frag, a->lim.max_frag_pending, &a->key);
        if (r >= 0)
                r = dup_init(&a->dup, &a->key);
        if (r >= 0)
                r = kv_init(&a->hosts, sizeof(host_entry_t), 65536);
        if (r >= 0)
                r = kv_init(&a->convs, sizeof(conv_entry_t), 65536);
        if (r >= 0)
                r = security_init(&a->sec);
        if (r < 0) {
                analysis_free(a);
                return r;
        }
        *ret = a;
        return 0;
}

analysis_t *analysis_free(analysis_t *a) {
        if (!a)
                return NULL;
        flow_table_done(&a->flows);
        dns_done(&a->dns);
        dns_done(&a->dns_other.s);
        frag_done(&a->frag);
        dup_done(&a->dup);
        kv_done(&a->hosts);
        kv_done(&a->convs);
        security_done(&a->sec);
        samples_done(&a->hs_rtt);
        samples_done(&a->hs_syn_synack);
        samples_done(&a->hs_synack_ack);
        samples_done(&a->rtt);
        samples_done(&a->conn_dur);
        samples_done(&a->flow_jitter);
        samples_done(&a->rtt_path);
        samples_done(&a->ack_delay);
        txn_done(&a->txn);
        jitter_done(&a->jitter);
        xfer_done(&a->xfer);
        view_done(&a->view);
        for (int i = 0; i < _EV_MAX; i++)
                free(a->ev[i].v);
        free(a->worst);
        timeline_done(&a->tl);
        conn_table_done(&a->conns);
        free(a);
        return NULL;
}

static void analysis_note_link(analysis_t *a, int dlt) {
        for (unsigned i = 0; i < a->n_links; i++)
                if (a->links[i] == dlt) {
                        a->link_packets[i]++;
                        return;
                }
        if (a->n_links < sizeof(a->links) / sizeof(a->links[0])) {
                a->links[a->n_links] = dlt;
                a->link_packets[a->n_links++] = 1;
        }
}

static int flow_dir(const flow_t *f, bool swapped) {
        /* swapped: the packet goes b -> a */
        bool from_a = !swapped;
        return from_a == f->client_is_a ? 0 : 1;
}

static bool port_is_service(uint16_t port) {
        return port < 1024 || port == 8080 || port == 8443 || port == 3306 || port == 5432 || port == 6379 ||
               port == 5353 || port == 5355 || port == 8000 || port == 9100 || port == 8081 || port == 8082;
}

static void flow_orient(flow_t *f, const packet_t *p, bool swapped) {
        /* who is the client: the SYN's sender, the DNS querier, else the side on the ephemeral port */
        bool src_client;
        if (p->proto == 6 && (p->tcp.flags & TCP_SYN))
                src_client = !(p->tcp.flags & TCP_ACK);
        else if (port_is_service(p->dport) != port_is_service(p->sport))
                src_client = port_is_service(p->dport);
        else if (p->dport != p->sport)
                src_client = p->dport < p->sport;
        else
                src_client = true;
        bool src_is_a = !swapped;
        f->client_is_a = src_client == src_is_a;
        f->orient_known = true;
}

/* DNS over TCP (RFC 7766): a 2-byte length, then the message. Parsed only from in-order data at known
 * message boundaries (a retransmission is not counted twice), across segment boundaries: a length prefix
 * alone in its segment, or a message spread over several. */
/* A segment that starts a whole DNS message: its length prefix fits the segment, and its header is sane
 * (a standard opcode, Z clear, one question, not more records than could fit). */
static bool dns_tcp_plausible(const packet_t *p) {
        if (p->payload_caplen < 14)
                return false;
        const uint8_t *b = p->payload;
        uint32_t ml = (uint32_t) b[0] << 8 | b[1];
        if (ml < 17 || 2 + ml > p->payload_len)
                return false; /* a header and the smallest question */
        return dns_header_plausible(b + 2, p->payload_caplen - 2, ml);
}

static void dns_over_tcp(analysis_t *a, flow_t *f, int dir, const packet_t *p) {
        tcp_conn_t *c = f->tcp;
        const tcp_dir_t *s = &c->d[dir];
        uint32_t seq = p->tcp.seq;
        /* synchronise on the first byte after the SYN, or (a connection seen mid-stream, data after a gap the
         * capture missed) on a segment that starts with a whole plausible message (issue 11, part 4) */
        bool lock = !c->dns_sync[dir] ? (s->syn && seq == s->isn + 1) || dns_tcp_plausible(p)
                                      : seq_gt(seq, c->dns_next[dir]) && dns_tcp_plausible(p);
        if (lock) {
                c->dns_sync[dir] = true;
                c->dns_next[dir] = seq;
                c->dns_need[dir] = 0;
                c->dns_body_start[dir] = false;
                c->dns_half_valid[dir] = false;
        }
        if (!c->dns_sync[dir] || seq != c->dns_next[dir])
                return; /* a retransmission, or data after a gap */
        cursor_t cur = cursor_make(p->payload, p->payload_caplen);
        uint32_t left = p->payload_len; /* bytes on the wire, captured or not */
        bool any = false;
        while (left > 0) {
                if (c->dns_need[dir] > 0) {
                        uint32_t body = c->dns_need[dir] < left ? c->dns_need[dir] : left;
                        if (c->dns_body_start[dir]) {
                                uint32_t avail = (uint32_t) (cur.len < body ? cur.len : body);
                                if (avail >= 12) {
                                        dns_message(a, p, cur.p, avail, c->dns_need[dir], true);
                                        any = true;
                                }
                                c->dns_body_start[dir] = false;
                        }
                        cursor_skip(&cur, body <= cur.len ? body : cur.len);
                        c->dns_need[dir] -= body;
                        left -= body;
                        continue;
                }
                uint16_t ml;
                if (c->dns_half_valid[dir]) {
                        /* the prefix's second byte, its first came at the end of the previous segment */
                        if (!cursor_has(&cur, 1)) {
                                c->dns_sync[dir] = false;
                                return;
                        }
                        ml = (uint16_t) (c->dns_half[dir] << 8 | cursor_u8(&cur));
                        c->dns_half_valid[dir] = false;
                        left -= 1;
                } else if (left == 1 && cursor_has(&cur, 1)) {
                        /* a prefix split across two segments: keep its first byte */
                        c->dns_half[dir] = cursor_u8(&cur);
                        c->dns_half_valid[dir] = true;
                        left = 0;
                        continue;
                } else if (left < 2 || !cursor_has(&cur, 2)) {
                        /* the prefix beyond the snaplen: sync is lost for good */
                        c->dns_sync[dir] = false;
                        return;
                } else {
                        ml = cursor_be16(&cur);
                        left -= 2;
                }
                c->dns_need[dir] = ml;
                c->dns_body_start[dir] = ml > 0;
        }
        c->dns_next[dir] = seq + p->payload_len;
        if (any) {
                a->proto[PROTO_DNS].packets++;
                a->proto[PROTO_DNS].bytes += p->wirelen;
        }
}

static bool is_dns_port(uint16_t port) {
        return port == 53 || port == 5353 || port == 5355;
}

static bool dns_udp_carries(const packet_t *p) {
        return p->proto == 17 && (is_dns_port(p->sport) || is_dns_port(p->dport)) && p->payload_caplen >= 12;
}

static void dns_over_udp(analysis_t *a, const packet_t *p) {
        if (!is_dns_port(p->sport) && !is_dns_port(p->dport)) {
                dns_other_message(a, p, p->payload, p->payload_caplen, p->payload_len); /* counted apart */
                return;
        }
        if (!dns_udp_carries(p))
                return;
        dns_message(a, p, p->payload, p->payload_caplen, p->payload_len, false);
        a->proto[PROTO_DNS].packets++;
        a->proto[PROTO_DNS].bytes += p->wirelen;
}

/* A capture duplicate is counted apart and goes no further (dup.h has the rule). */
static bool analysis_is_copy(analysis_t *a, const packet_t *p, const dup_key_t *dk, const flow_key_t *k,
                             bool swapped) {
        const dup_slot_t *orig = dup_find(&a->dup, dk, p->ts_ns);
        if (!orig)
                return false;
        uint64_t flow_id = 0, rev = 0;
        bool strong = dk->strong;
        if (!k) {
                if (!dup_pair_quiet_since(&a->dup, p, orig->ts))
                        return false; /* outside flows, any identity: the other side answered in between */
        } else {
                bool created;
                flow_t *f = flow_lookup(a, k, p->ts_ns, false, &created);
                if (!f)
                        return false; /* beyond the flow limit: nothing to judge by */
                int dir = flow_dir(f, swapped);
                flow_id = f->id + 1;
                rev = f->u[!dir].packets;
                strong = strong && f->u[dir].ip_id_varies;
                if (!strong && p->proto == 6 && p->payload_len == 0 && !(p->tcp.flags & (TCP_SYN | TCP_FIN)))
                        return false; /* identical pure ACKs are how a receiver repeats itself (duplicate ACKs) */
                if (!strong && p->proto == 6 && (p->tcp.flags & (TCP_SYN | TCP_FIN)) && f->tcp) {
                        /* a SYN or FIN the other side has acknowledged is resent by nothing but a timer (1 s,
                         * 200 ms): within the weak window it is a copy, whatever the other side sent since */
                        const tcp_dir_t *r = &f->tcp->d[!dir];
                        if (r->ack_valid && !seq_lt(r->last_ack, p->tcp.seq + p->payload_len + 1))
                                rev = orig->rev_packets;
                }
        }
        if (!dup_is_copy(orig, strong, p->ts_ns, flow_id, rev))
                return false;
        dup_count(&a->dup, orig, p->ts_ns, p->wirelen, p->frame);
        return true;
}

/* frame: the number Wireshark shows for the packet, which counts records the engine is not handed (pcapng.c) */
static void analysis_feed(analysis_t *a, uint64_t frame, int dlt, int64_t ts, uint32_t caplen, uint32_t wirelen,
                          const uint8_t *data) {
        a->packets++;
        a->frame = frame;
        if (wirelen < caplen)
                wirelen = caplen;
        a->bytes_wire += wirelen;
        a->bytes_captured += caplen;
        int64_t gap = -1;
        if (!a->have_ts) {
                a->have_ts = true;
                a->first_ts = a->last_ts = ts;
                a->series.t0 = ts;
        } else {
                if (__builtin_sub_overflow(ts, a->prev_ts, &gap))
                        gap = ts < a->prev_ts ? -1 : INT64_MAX;
                if (gap < 0)
                        a->negative_deltas++;
                else if (gap > a->max_gap) {
                        a->max_gap = gap;
                        a->max_gap_frame = frame;
                }
                if (ts > a->last_ts)
                        a->last_ts = ts;
                if (ts < a->first_ts)
                        a->first_ts = ts;
        }
        timing_packet(a, ts, frame, gap);
        analysis_note_link(a, dlt);

        packet_t p = { .ts_ns = ts, .frame = frame, .caplen = caplen, .wirelen = wirelen };
        bool ok = decode_packet(&p, dlt, data, caplen);
        p.wirelen = wirelen;
        if (!ok) {
                a->skipped[p.skip]++;
                if (p.skip == SKIP_LINKTYPE)
                        a->skipped_linktype_packets++;
        } else if (p.skip != SKIP_NONE)
                a->skipped[p.skip]++;
        stats_packet(a, &p, ok);
        series_add(a, ts, wirelen, 1);
        stats_burst(a, &p, gap);
        a->prev_ts = ts;
        a->prev_frame = frame;

        if (!ok || (p.l3 != L3_IPV4 && p.l3 != L3_IPV6))
                return;
        dup_key_t dk;
        bool have_dk = dup_key_make(&a->dup, &p, &dk);
        bool in_flow = p.has_l4 && (p.proto == 6 || p.proto == 17);
        flow_key_t k;
        bool swapped = false, created;
        if (in_flow)
                flow_key_make(&k, &p, &swapped);
        if (have_dk && analysis_is_copy(a, &p, &dk, in_flow ? &k : NULL, swapped)) {
                if (dns_udp_carries(&p)) {
                        /* protocols is the file's hierarchy, every frame as tshark's: copies too */
                        a->proto[PROTO_DNS].packets++;
                        a->proto[PROTO_DNS].bytes += p.wirelen;
                }
                return;
        }
        if (!in_flow) {
                if (have_dk) {
                        dup_remember(&a->dup, &dk, ts, 0, 0);
                        dup_pair_note(&a->dup, &p);
                }
                if (p.frag)
                        frag_packet(a, &p);
                /* flows account their hosts and conversation when they retire; the rest per packet */
                stats_host_conv(a, &p, 1, p.wirelen, p.ts_ns, p.ts_ns);
                if (p.has_l4 && (p.proto == 1 || p.proto == 58)) {
                        icmp_packet(a, &p);
                        security_icmp(a, &p);
                }
                return;
        }
        if (p.frag)
                frag_packet(a, &p);

        flow_t *f = flow_lookup(a, &k, ts, true, &created);
        if (f && !created && p.proto == 6 && f->tcp) {
                bool sw2 = swapped;
                if (tcp_is_new_connection(f, flow_dir(f, sw2), &p)) {
                        /* port reuse: the old connection ends here, a new one starts */
                        a->tcp.reused_ports++;
                        f->tcp->replaced = true;
                        f->tcp->replaced_ts = ts;
                        flow_retire(a, f);
                        f = flow_lookup(a, &k, ts, true, &created);
                }
        }
        if (!f) {
                if (have_dk)
                        dup_remember(&a->dup, &dk, ts, 0, 0);
                a->flows_over_limit_packets++;
                stats_host_conv(a, &p, 1, p.wirelen, p.ts_ns, p.ts_ns);
                if (p.proto == 17)
                        dns_over_udp(a, &p); /* DNS still counts without flow state */
                return;
        }
        if (created) {
                f->first_frame = p.frame;
                a->flows_total++;
                flow_orient(f, &p, swapped);
                security_flow_new(a, f, &p, swapped);
                if (p.proto == 6) {
                        f->tcp = calloc(1, sizeof(tcp_conn_t));
                        if (!f->tcp) {
                                flow_retire(a, f);
                                return;
                        }
                        f->tcp->d[0].wscale = f->tcp->d[1].wscale = -1;
                        rtt_conn_init(&f->tcp->rtt);
                        a->tcp.conns++;
                } else
                        a->udp_flows++;
        }
        int dir = flow_dir(f, swapped);
        timing_flow(a, f);
        if (f->packets > 0 && ts - f->last_ts > f->max_gap) {
                f->max_gap = ts - f->last_ts;
                f->max_gap_at = f->last_ts;
                f->max_gap_frame = p.frame;
        }
        f->packets++;
        f->bytes += wirelen;
        f->last_frame = p.frame;
        if (ts > f->last_ts)
                f->last_ts = ts;
        stats_service(a, f, &p);

        if (p.l3 == L3_IPV4 && f->u[dir].packets > 0 && p.ip_id != f->u[dir].last_ip_id)
                f->u[dir].ip_id_varies = true; /* the sender numbers its datagrams */
        f->u[dir].last_ip_id = p.ip_id;
        f->u[dir].packets++;
        f->u[dir].bytes += wirelen;
        if (have_dk)
                dup_remember(&a->dup, &dk, ts, f->id + 1, f->u[!dir].packets);
        if (p.proto == 6) {
                tcp_packet(a, f, dir, &p);
                jitter_tcp_packet(a, f, dir, ts);
                if ((p.sport == 53 || p.dport == 53) && p.payload_len > 0)
                        dns_over_tcp(a, f, dir, &p);
        } else {
                udp_dir_t *u = &f->u[dir];
                jitter_update(ts, &u->jit_prev_ts, &u->jit_prev_delta, &u->jitter16, &u->jit_n);
                jitter_udp_packet(a, f, dir, &p);
                dns_over_udp(a, &p);
        }
}

void analysis_feed_packet(analysis_t *a, int dlt, int64_t ts, uint32_t caplen, uint32_t wirelen,
                          const uint8_t *data) {
        analysis_feed(a, a->frame + 1, dlt, ts, caplen, wirelen, data);
}

static int64_t mono_ns(void) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (int64_t) t.tv_sec * NS_PER_S + t.tv_nsec;
}

static int analysis_progress(analysis_t *a, const char *phase, bool force) {
        if (!a->cb)
                return 0;
        int64_t now = mono_ns();
        uint64_t step = a->file_size / 100;
        if (!force && now - a->last_progress_mono < 100 * NS_PER_MS &&
            (step == 0 || a->bytes_read - a->last_progress_bytes < step))
                return 0;
        a->last_progress_mono = now;
        a->last_progress_bytes = a->bytes_read;
        analysis_progress_t pr = {
                .phase = phase, .bytes_done = a->bytes_read, .bytes_total = a->file_size, .packets = a->packets,
                .percent = a->file_size ? 100.0 * (double) a->bytes_read / (double) a->file_size : -1,
        };
        if (pr.percent > 100)
                pr.percent = 100;
        int r = a->cb(&pr, a->cb_data);
        return r < 0 ? r : 0;
}

int analysis_read_file(analysis_t *a, FILE *f, uint64_t size_hint, analysis_progress_fn cb, void *userdata,
                       char *errbuf, size_t errlen) {
        a->cb = cb;
        a->cb_data = userdata;
        a->file_size = size_hint;
        if (!size_hint) {
                struct stat st;
                if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode))
                        a->file_size = (uint64_t) st.st_size;
        }
        if (errbuf && errlen)
                errbuf[0] = 0;

        capture_reader_t *rd = NULL;
        int r = capture_open(f, &rd, errbuf, errlen);
        if (r < 0)
                return r;
        snprintf(a->file_format, sizeof a->file_format, "%s", capture_format(rd));
        a->nanosecond = capture_nanosecond(rd);
        a->snaplen = capture_snaplen(rd);

        r = analysis_progress(a, "reading", true);
        unsigned tick = 0;
        uint64_t progress_step = a->file_size / 100 ? a->file_size / 100 : UINT64_MAX;
        while (r >= 0) {
                capture_packet_t pk;
                int k = capture_next(rd, &pk);
                if (k == 0)
                        break;
                if (k < 0) {
                        a->truncated = true;
                        snprintf(a->read_error, sizeof a->read_error, "%s", capture_error(rd));
                        break;
                }
                if (a->lim.max_packets && a->packets >= a->lim.max_packets) {
                        a->packet_limit_hit = true;
                        break;
                }
                analysis_feed(a, pk.frame, pk.dlt, pk.ts_ns, pk.caplen, pk.len, pk.data);
                a->bytes_read = capture_offset(rd);
                if ((++tick & 255) == 0 || a->bytes_read - a->last_progress_bytes >= progress_step)
                        r = analysis_progress(a, "reading", false);
        }
        a->bytes_read = capture_offset(rd);
        if (a->file_size && a->bytes_read > a->file_size)
                a->bytes_read = a->file_size;
        capture_close(rd);
        if (r < 0)
                return r;
        return analysis_progress(a, "diagnosing", true);
}

int analysis_finish(analysis_t *a) {
        if (a->finished)
                return 0;
        flow_retire_all(a);
        worst_sort(a);
        conn_table_finish(&a->conns);
        jitter_finish(a);
        txn_finish(a);
        xfer_finish(a);
        dns_finish(a);
        frag_finish(a);
        stats_finish(a);
        timing_finish(a);
        view_build(a); /* no memory for the views: the report lists fewer things, it does not fail */
        diagnosis_run(a);
        timeline_view_build(a); /* no memory: the findings have no timeline, the report says so */
        a->finished = true;
        if (a->cb) {
                uint64_t keep = a->bytes_read;
                a->bytes_read = a->file_size ? a->file_size : keep;
                analysis_progress(a, "done", true);
                a->bytes_read = keep;
        }
        return 0;
}

static int analysis_write(analysis_t *a, FILE *out, void (*fn)(const analysis_t *, FILE *)) {
        if (!a->finished)
                analysis_finish(a);
        fn(a, out);
        if (fflush(out) != 0 || ferror(out))
                return -(errno ? errno : EIO);
        return 0;
}

int analysis_write_json(analysis_t *a, FILE *out) { return analysis_write(a, out, report_json); }
int analysis_write_html(analysis_t *a, FILE *out) { return analysis_write(a, out, report_html); }
int analysis_write_summary(analysis_t *a, FILE *out) { return analysis_write(a, out, report_summary); }

int analysis_write_csv(analysis_t *a, int dirfd) {
        if (!a->finished)
                analysis_finish(a);
        return report_csv(a, dirfd);
}

uint64_t analysis_get_packets(const analysis_t *a) { return a->packets; }
uint64_t analysis_get_bytes(const analysis_t *a) { return a->bytes_wire; }
int analysis_get_health_score(const analysis_t *a) { return a->health; }
unsigned analysis_get_findings_count(const analysis_t *a) { return a->n_findings; }
bool analysis_is_partial(const analysis_t *a) {
        return a->truncated || a->packet_limit_hit || a->flows_over_limit_packets > 0 || a->dns.dropped_pending > 0;
}
