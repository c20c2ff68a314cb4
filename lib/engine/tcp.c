/* TCP analysis per connection (RFC 9293; duplicate ACKs per RFC 5681 section 2; RTT per RFC 6298 with
 * Karn's rule; window scaling per RFC 7323). Definitions, as documented in lib/engine/ANALYSES.md:
 *  - a segment whose sequence range was already seen at the capture point is a retransmission:
 *    spurious when the receiver had already acknowledged it, fast when the receiver had reported the loss
 *    (three duplicate ACKs for it, RFC 5681's threshold, or a SACK block above it), otherwise RTO;
 *  - a segment that fills a gap (a range never seen here) is out-of-order when it arrives within one
 *    round-trip of the gap opening, or carries an older TCP timestamp than the segment that opened it (the
 *    network reordered it), else it is the retransmission of a segment lost before the capture point: only
 *    then (or when the gap is never filled) is it a lost segment; every gap is a sequence gap;
 *  - a duplicate ACK carries no data, no SYN/FIN, repeats the highest ACK with the same window, while the
 *    peer has unacknowledged data (RFC 5681's definition; a plain ACK stream with nothing in flight is not
 *    one — the old tool's main false alarm). */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

static void ev_from_packet(event_t *e, const packet_t *p) {
        memset(e, 0, sizeof *e);
        e->ts = p->ts_ns;
        e->frame = p->frame;
        e->key.a = p->src;
        e->key.b = p->dst;
        e->key.pa = p->sport;
        e->key.pb = p->dport;
        e->key.proto = p->proto;
}

/* Window scale shift for windows advertised by direction d: -1 when unknown (handshake not captured). */
static int tcp_scale(const tcp_conn_t *c, int d) {
        if (!c->d[0].syn || !c->d[1].syn)
                return -1;
        if (c->d[0].wscale < 0 || c->d[1].wscale < 0)
                return 0; /* RFC 7323: scaling only when both sides offered it */
        return c->d[d].wscale;
}

bool tcp_is_new_connection(const flow_t *f, int dir, const packet_t *p) {
        const tcp_conn_t *c = f->tcp;
        uint8_t fl = p->tcp.flags;
        if (!c || !(fl & TCP_SYN) || (fl & TCP_ACK))
                return false;
        if (dir == 1 && c->d[0].syn)
                return true; /* the former server opens a connection the other way */
        const tcp_dir_t *s = &c->d[dir];
        if (s->syn)
                return p->tcp.seq != s->isn;
        if (c->hs == HS_SYNACK && c->d[!dir].syn && !c->d[!dir].payload_bytes && !s->payload_bytes)
                return false; /* the SYN/ACK was captured before its SYN */
        return f->packets > 0;
}

static int64_t tcp_reorder_threshold(const analysis_t *a, const tcp_conn_t *c) {
        /* One round trip as seen from the capture point: the handshake's, measured from the SYN it answers
         * (a SYN sent again would add its timer, issue 11 part 1), else a default of 3 ms (tshark's default
         * for the same decision). */
        int64_t syn = c->syn_last_ts ? c->syn_last_ts : c->syn_ts;
        if (c->hs == HS_DONE && syn && c->hs_ack_ts > syn)
                return c->hs_ack_ts - syn;
        if (c->synack_ts && syn && c->synack_ts > syn)
                return c->synack_ts - syn;
        return 3 * NS_PER_MS;
}

/* The round trip from the capture point to the sender of dir and back, -1 unknown: what a report of a gap
 * from here takes to bring its retransmission here. The smaller of the handshake's and the data's. */
static int64_t tcp_sender_rtt(const tcp_conn_t *c, int dir) {
        int64_t hs = c->rtt.h[dir].hs, d = c->rtt.h[dir].min;
        if (hs > 0 && d > 0)
                return hs < d ? hs : d;
        return hs > 0 ? hs : d > 0 ? d : -1;
}

/* A duplicate ACK at a gap's start, or a SACK block above it, reports the gap to the sender. */
static void tcp_holes_reported(tcp_dir_t *s, uint32_t ack, bool dupack, const tcp_hdr_t *t, int64_t ts) {
        for (int i = 0; i < s->n_holes; i++) {
                tcp_hole_t *h = &s->holes[i];
                if (h->report_ts || ts < h->ts)
                        continue;
                bool rep = dupack && seq_le(ack, h->start);
                for (int k = 0; k < t->n_sack && !rep; k++)
                        rep = seq_gt(t->sack[k][0], h->start) && seq_gt(t->sack[k][1], ack);
                if (rep)
                        h->report_ts = ts;
        }
}

static void tcp_hole_add(tcp_dir_t *s, uint32_t start, uint32_t end, const packet_t *p) {
        const tcp_hdr_t *t = &p->tcp;
        if (s->n_holes == s->cap_holes && s->cap_holes < TCP_HOLES_MAX) {
                uint16_t nc = s->cap_holes ? (uint16_t) (s->cap_holes * 2) : 8;
                tcp_hole_t *nh = realloc(s->holes, sizeof(tcp_hole_t) * nc);
                if (nh) {
                        s->holes = nh;
                        s->cap_holes = nc;
                }
        }
        if (s->n_holes == s->cap_holes) {
                if (s->n_holes == 0)
                        return;
                /* forget the oldest: a late filler of it will be called a retransmission */
                memmove(&s->holes[0], &s->holes[1], sizeof(tcp_hole_t) * (size_t) (s->n_holes - 1));
                s->n_holes--;
        }
        s->holes[s->n_holes++] = (tcp_hole_t) { start, end, p->ts_ns, p->frame, t->ts_val, t->has_ts };
}

/* Removes [seq, end) from the holes; returns whether any hole was touched, and the first one touched. */
static bool tcp_hole_fill(tcp_dir_t *s, uint32_t seq, uint32_t end, tcp_hole_t *ret_hole) {
        bool hit = false;
        for (int i = 0; i < s->n_holes; i++) {
                tcp_hole_t *h = &s->holes[i];
                if (!(seq_lt(seq, h->end) && seq_gt(end, h->start)))
                        continue;
                if (!hit)
                        *ret_hole = *h;
                hit = true;
                if (seq_le(seq, h->start) && seq_ge(end, h->end)) {
                        memmove(h, h + 1, sizeof(tcp_hole_t) * (size_t) (s->n_holes - i - 1));
                        s->n_holes--;
                        i--;
                } else if (seq_le(seq, h->start)) {
                        h->start = end;
                } else if (seq_ge(end, h->end)) {
                        h->end = seq;
                } else {
                        uint32_t old_end = h->end;
                        h->end = seq;
                        tcp_hole_t rest = { end, old_end, h->ts, h->frame, h->tsval, h->has_tsval, h->report_ts };
                        if (s->n_holes < s->cap_holes)
                                s->holes[s->n_holes++] = rest;
                }
        }
        return hit;
}

static void tcp_unacked_push(tcp_dir_t *s, uint32_t seq, uint32_t end, int64_t ts, bool retrans) {
        if (retrans) {
                /* Karn: a pending sample whose range the retransmission covers again is ambiguous */
                for (int i = 0; i < s->ua_n; i++) {
                        tcp_unacked_t *u = &s->unacked[(s->ua_head + i) % TCP_UNACKED];
                        if (seq_gt(u->end, seq))
                                u->retransmitted = true;
                }
        }
        if (s->ua_n == TCP_UNACKED) {
                s->ua_head = (uint8_t) ((s->ua_head + 1) % TCP_UNACKED);
                s->ua_n--;
        }
        s->unacked[(s->ua_head + s->ua_n) % TCP_UNACKED] = (tcp_unacked_t) { end, ts, retrans };
        s->ua_n++;
}

/* A data -> ACK sample of host `h` (the acknowledging side), in the split distributions by where the
 * capture is: from the far host a path round trip, from the near host its ACK delay. */
/* A sample v of host h's half as a whole round trip (the other half's base added), -1 when it is the near
 * host's own time (its ACK delay) or the other half is unknown. */
static int64_t tcp_rtt_whole(const tcp_conn_t *c, int h, int64_t v) {
        capture_point_t cp = rtt_capture_point(&c->rtt);
        int64_t other = rtt_half_base(&c->rtt.h[!h]);
        if ((cp == CP_CLIENT && h == 0) || (cp == CP_SERVER && h == 1))
                return -1;
        if (other >= 0 && (cp != CP_UNKNOWN || v + other < 200000))
                return v + other; /* (or a path too short to split) */
        return -1;
}

static void tcp_rtt_sample(analysis_t *a, tcp_conn_t *c, int h, int64_t v) {
        rtt_half_add(&c->rtt.h[h], v);
        capture_point_t cp = rtt_capture_point(&c->rtt);
        if ((cp == CP_CLIENT && h == 0) || (cp == CP_SERVER && h == 1)) {
                samples_add(&a->ack_delay, v);
                return;
        }
        int64_t w = tcp_rtt_whole(c, h, v);
        if (w >= 0) {
                samples_add(&a->rtt_path, w);
                rtt_conn_add_whole(&c->rtt, w);
        }
}

static void tcp_rtt_on_ack(analysis_t *a, tcp_conn_t *c, int ack_dir, uint32_t ack, int64_t ts) {
        tcp_dir_t *data_dir = &c->d[!ack_dir];
        bool have = false;
        tcp_unacked_t last = { 0 };
        while (data_dir->ua_n > 0) {
                tcp_unacked_t *u = &data_dir->unacked[data_dir->ua_head];
                if (!seq_le(u->end, ack))
                        break;
                last = *u;
                have = true;
                data_dir->ua_head = (uint8_t) ((data_dir->ua_head + 1) % TCP_UNACKED);
                data_dir->ua_n--;
        }
        if (have && !last.retransmitted && ts >= last.ts) {
                samples_add(&a->rtt, ts - last.ts);
                tcp_rtt_sample(a, c, ack_dir, ts - last.ts);
                series_bucket_t *b = series_at(a, ts);
                if (b) {
                        b->rtt_n++;
                        b->rtt_sum += ts - last.ts;
                        if (ts - last.ts > b->rtt_max)
                                b->rtt_max = ts - last.ts;
                }
        }
}

/* The first packet of a kind of trouble, for the worst-flow list. Allocated on the first trouble: most
 * connections have none. */
static void tcp_trouble(tcp_conn_t *c, tcp_trouble_kind_t k, uint64_t frame) {
        if (!c->trouble) {
                c->trouble = calloc(1, sizeof(tcp_trouble_t));
                if (!c->trouble)
                        return; /* the worst-flow entry says it does not know */
        }
        if (!c->trouble->first[k] || frame < c->trouble->first[k])
                c->trouble->first[k] = frame;
}

/* frame: the segment that opened the gap, where tshark says "previous segment not captured" */
static void tcp_count_lost(analysis_t *a, tcp_conn_t *c, tcp_dir_t *s, int64_t ts, uint64_t frame, uint32_t bytes) {
        tcp_trouble(c, TT_LOST, frame);
        s->lost++;
        a->tcp.lost++;
        a->tcp.lost_bytes += bytes;
        series_bucket_t *b = series_at(a, ts);
        if (b)
                b->lost++;
}

static void tcp_count_retrans(analysis_t *a, tcp_conn_t *c, tcp_dir_t *s, const packet_t *p, int kind) {
        /* kind: 0 rto, 1 fast, 2 spurious, 3 after a path-MTU signal */
        if (kind < 3)
                tcp_trouble(c, kind == 0 ? TT_RTO : kind == 1 ? TT_FAST : TT_SPURIOUS, p->frame);
        s->retrans++;
        a->tcp.retrans++;
        if (kind == 3) {
                s->pmtu++;
                a->tcp.pmtu_retrans++;
        } else if (kind == 0) {
                s->rto++;
                a->tcp.rto++;
        } else if (kind == 1) {
                s->fast++;
                a->tcp.fast++;
        } else {
                s->spurious++;
                a->tcp.spurious++;
        }
        series_bucket_t *b = series_at(a, p->ts_ns);
        if (b)
                b->retrans++;
        event_t e;
        ev_from_packet(&e, p);
        e.sub = (uint8_t) kind;
        e.value = p->tcp.seq;
        event_add(a, EV_RETRANS, &e);
        s->rtx_valid = kind != 2;
        s->rtx_seq = p->tcp.seq;
        s->rtx_end = p->tcp.seq + p->payload_len;
        s->rtx_kind = (uint8_t) kind;
        s->rtx_frame = p->frame;
        s->rtx_event = a->ev[EV_RETRANS].total <= a->ev[EV_RETRANS].n ? a->ev[EV_RETRANS].total : 0;
}

/* A D-SACK (RFC 2883: a SACK block at or below the cumulative ACK) reports a segment received twice: the
 * last retransmission of that range was needless (a tail-loss probe, RFC 8985, or a timeout that fired
 * early). It becomes spurious. */
static void tcp_dsack(analysis_t *a, tcp_conn_t *c, tcp_dir_t *s, uint32_t start, uint32_t end) {
        if (!s->rtx_valid || !seq_le(start, s->rtx_seq) || !seq_ge(end, s->rtx_end))
                return;
        s->rtx_valid = false;
        if (s->rtx_kind == 0) {
                s->rto--;
                a->tcp.rto--;
        } else if (s->rtx_kind == 1) {
                s->fast--;
                a->tcp.fast--;
        } else if (s->rtx_kind == 3) {
                s->pmtu--;
                a->tcp.pmtu_retrans--;
        } else
                return;
        if (c->trouble && s->rtx_kind < 3) {
                /* the first of its old kind may be this one: the next of that kind will say (it is the last
                 * retransmission of this side, an earlier one of the other side is forgotten) */
                uint64_t *old = &c->trouble->first[s->rtx_kind == 0 ? TT_RTO : TT_FAST];
                if (*old == s->rtx_frame)
                        *old = 0;
        }
        tcp_trouble(c, TT_SPURIOUS, s->rtx_frame);
        s->spurious++;
        a->tcp.spurious++;
        if (s->rtx_event)
                a->ev[EV_RETRANS].v[s->rtx_event - 1].sub = 2;
}

static void tcp_handshake(analysis_t *a, flow_t *f, int dir, const packet_t *p) {
        tcp_conn_t *c = f->tcp;
        tcp_dir_t *s = &c->d[dir];
        const tcp_hdr_t *t = &p->tcp;
        int64_t ts = p->ts_ns;

        if (!(t->flags & TCP_ACK)) {
                a->tcp.syn++;
                if (s->syn && t->seq == s->isn) {
                        a->tcp.syn_retrans++;
                        a->tcp.retrans++;
                        s->retrans++;
                        c->syn_count++;
                        if (c->hs == HS_SYN)
                                c->syn_last_ts = ts;
                        return;
                }
                s->syn = true;
                s->isn = t->seq;
                s->next_seq = t->seq + 1;
                s->seq_valid = true;
                s->wscale = t->wscale;
                s->win_raw = t->win;
                s->win_from_syn = true;
                if (c->hs == HS_SYNACK && c->d[!dir].syn && !c->d[!dir].payload_bytes) {
                        /* the SYN/ACK was captured first (timestamps or capture order): same handshake */
                        c->syn_ts = c->syn_last_ts = ts;
                        c->syn_frame = p->frame;
                        c->syn_count = 1;
                        return;
                }
                c->hs = HS_SYN;
                c->syn_ts = c->syn_last_ts = ts;
                c->syn_frame = p->frame;
                c->syn_count = 1;
                return;
        }
        a->tcp.synack++;
        if (s->syn && t->seq == s->isn) {
                a->tcp.synack_retrans++;
                a->tcp.retrans++;
                s->retrans++;
                c->synack_count++;
                return;
        }
        s->syn = true;
        s->isn = t->seq;
        s->next_seq = t->seq + 1;
        s->seq_valid = true;
        s->wscale = t->wscale;
        s->win_raw = t->win;
        s->win_from_syn = true;
        c->synack_count = 1;
        if (c->hs <= HS_SYN) {
                c->hs = HS_SYNACK;
                c->synack_ts = ts;
        }
}

void tcp_packet(analysis_t *a, flow_t *f, int dir, const packet_t *p) {
        tcp_conn_t *c = f->tcp;
        tcp_dir_t *s = &c->d[dir], *r = &c->d[!dir];
        const tcp_hdr_t *t = &p->tcp;
        const uint8_t fl = t->flags;
        const int64_t ts = p->ts_ns;
        const uint32_t plen = p->payload_len;
        const uint32_t seglen = plen + !!(fl & TCP_SYN) + !!(fl & TCP_FIN);

        s->seen = true;
        s->packets++;
        s->bytes += p->wirelen;
        if (plen > 0 && !c->tm)
                c->tm = calloc(1, sizeof(tcp_timing_t)); /* without memory: no run or echo figures for it */
        if (t->has_ts && !(fl & TCP_RST) && c->tm) {
                /* a data segment of a run under way echoing a timestamp of the other side for the first
                 * time: a sample of this side's half (data leaves on an ACK's arrival while a transfer
                 * runs; the first segment of an answer would add the server's think time) */
                if (plen > 0 && t->ts_ecr && !(fl & TCP_SYN) && c->tm->xfer[dir].first) {
                        int64_t sent = rtt_tsv_echo(&c->tm->tsv[!dir], t->ts_ecr);
                        if (sent >= 0 && ts >= sent) {
                                rtt_half_add(&c->rtt.h[dir], ts - sent);
                                /* a whole round trip only from a timestamp the other side sent after the run
                                 * began (an ACK of it): an older one is the request's, and the run's second
                                 * segment may be the first to echo it, the server's think time included */
                                if (sent >= c->tm->xfer[dir].first)
                                        rtt_conn_add_whole(&c->rtt, tcp_rtt_whole(c, dir, ts - sent));
                        }
                }
                rtt_tsv_sent(&c->tm->tsv[dir], t->ts_val, ts);
                if (!s->ts0) {
                        s->ts0 = true;
                        s->ts0_val = t->ts_val;
                        s->ts0_t = ts;
                }
        }
        jitter_update(ts, &s->jit_prev_ts, &s->jit_prev_delta, &s->jitter16, &s->jit_n);

        if (fl & TCP_SYN) {
                tcp_handshake(a, f, dir, p);
        } else if (c->hs == HS_SYNACK && (fl & TCP_ACK) && dir == 0 && c->d[1].syn && t->ack == c->d[1].isn + 1) {
                c->hs = HS_DONE;
                c->hs_ack_ts = ts;
                a->tcp.hs_completed++;
                if (c->d[0].syn) {
                        /* the round trip is the answered SYN's; the set-up time (slow handshakes) counts
                         * from the first SYN */
                        int64_t first = c->syn_last_ts ? c->syn_last_ts : c->syn_ts;
                        /* a SYN/ACK stamped before its SYN (capture reordering between interfaces) leaves
                         * SYN -> ACK as the measure; its split is clamped at 0 */
                        samples_add(&a->hs_rtt, ts - first);
                        rtt_conn_add_whole(&c->rtt, ts - first);
                        samples_add(&a->hs_syn_synack, c->synack_ts > first ? c->synack_ts - first : 0);
                        samples_add(&a->hs_synack_ack, ts > c->synack_ts ? ts - c->synack_ts : 0);
                        /* the halves: the server's is the answered SYN's wait for the SYN/ACK, the client's
                         * the SYN/ACK's wait for the ACK (only when neither was sent twice) */
                        if (c->synack_ts >= c->syn_last_ts && c->synack_count == 1)
                                c->rtt.h[1].hs = c->synack_ts - c->syn_last_ts;
                        if (ts >= c->synack_ts && c->synack_count == 1)
                                c->rtt.h[0].hs = ts - c->synack_ts;
                        if (c->syn_count == 1 && ts - c->syn_ts >= threshold_ns(a, TH_RTT_HIGH)) {
                                a->tcp.hs_high_rtt++;
                                if (ts - c->syn_ts > a->tcp.hs_high_rtt_max)
                                        a->tcp.hs_high_rtt_max = ts - c->syn_ts;
                        }
                        if (ts - c->syn_ts > threshold_ns(a, TH_HANDSHAKE_SLOW) || c->syn_count > 1) {
                                event_t e;
                                ev_from_packet(&e, p);
                                e.dur = ts - c->syn_ts;
                                e.sub = c->syn_count;
                                e.frame2 = c->syn_frame;
                                e.value = (uint32_t) ((c->synack_ts - c->syn_ts) / 1000);   /* us */
                                e.sub2 = 0;
                                event_add(a, EV_SLOW_HANDSHAKE, &e);
                        }
                }
        }
        if (fl & TCP_FIN) {
                a->tcp.fin++;
                s->fin = true;
                if (r->fin)
                        f->closed = true;
        }
        if (fl & TCP_RST) {
                tcp_trouble(c, TT_RST, p->frame);
                a->tcp.rst++;
                s->rst = true;
                f->closed = true;
                event_t e;
                ev_from_packet(&e, p);
                if (dir == 1) {
                        flow_key_t k = e.key;
                        e.key.a = k.b;
                        e.key.b = k.a;
                        e.key.pa = k.pb;
                        e.key.pb = k.pa;
                }
                if (c->hs < HS_DONE && dir == 1 && !c->d[1].syn && c->d[0].syn) {
                        c->refused = true;
                        a->tcp.refused++;
                        e.sub = 0;
                } else if (c->d[0].payload_bytes || c->d[1].payload_bytes) {
                        if (!c->reset_seen)
                                a->tcp.aborted++;
                        c->aborted = true;
                        e.sub = 1;
                } else
                        e.sub = 2;
                c->reset_seen = true;
                event_add(a, EV_RESET, &e);
                return; /* an RST's sequence and window say nothing about loss */
        }

        /* ---- sequence space of direction s ---- */
        bool retrans = false;
        if (s->seq_valid && !(fl & (TCP_SYN | TCP_FIN)) && plen <= 1 && t->seq == s->next_seq - 1) {
                /* keep-alive (RFC 9293 3.8.4: no data or one garbage byte at snd.nxt - 1) or, towards a
                 * zero window, a window probe */
                if (r->ack_valid && r->win_raw == 0) {
                        s->zw_probe++;
                        a->tcp.zw_probe++;
                } else {
                        s->keepalive++;
                        a->tcp.keepalive++;
                }
                goto ack;
        }
        if (s->seq_valid && !(fl & (TCP_SYN | TCP_FIN)) && plen == 1 && t->seq == s->next_seq && r->ack_valid &&
            r->win_raw == 0 && !r->win_from_syn) {
                /* a zero-window probe (RFC 9293 3.8.6.1): one byte beyond a closed window, sent again until the
                 * window opens; it becomes part of the stream only when acknowledged */
                s->zw_probe++;
                a->tcp.zw_probe++;
                s->probe_pending = true;
                goto ack;
        }
        uint32_t new_bytes = plen; /* payload never seen here before */
        int64_t lost_since = 0;    /* it replaces bytes lost before the capture point, missing since then */
        bool spurious = false;     /* the receiver had acknowledged it: it costs the exchange nothing */
        if (seglen == 0 && s->seq_valid && (fl & TCP_ACK) && seq_gt(t->seq, s->next_seq) &&
            seq_lt(t->seq, s->next_seq + (1u << 30))) {
                /* a segment without data whose sequence number is beyond every byte seen: the sender had sent
                 * bytes the capture missed (tshark's "previous segment not captured"); their retransmission,
                 * when it comes, fills this gap (issue 11, part 2) */
                a->tcp.gaps++;
                tcp_hole_add(s, s->next_seq, t->seq, p);
                s->next_seq = t->seq;
        } else if (seglen > 0 && !(fl & TCP_SYN)) {
                uint32_t seq = t->seq, end = seq + seglen;
                if (!s->seq_valid) {
                        s->seq_valid = true;
                        s->next_seq = end;
                } else if (seq == s->next_seq) {
                        s->next_seq = end;
                } else if (seq_gt(seq, s->next_seq)) {
                        /* a gap: bytes the capture point has not seen (yet) */
                        a->tcp.gaps++;
                        tcp_hole_add(s, s->next_seq, seq, p);
                        s->next_seq = end;
                        if (plen > 0)
                                xfer_loss(f, dir);
                } else {
                        tcp_hole_t hole = { 0 };
                        bool pmtu = c->pmtu_ts && ts - c->pmtu_ts < NS_PER_S && ts >= c->pmtu_ts;
                        bool filled = tcp_hole_fill(s, seq, end, &hole);
                        if (filled && r->ack_valid && seq_le(end, r->last_ack) && ts - r->last_ack_ts > 50 * 1000) {
                                /* the receiver had acknowledged all of it before it came here: the gap was the
                                 * capture's miss, not a loss, and this is a needless retransmission (issue 11,
                                 * part 3). 50 us: files that record an ACK just before the data it
                                 * acknowledges are a late original after all. */
                                retrans = true;
                                spurious = true;
                                tcp_count_retrans(a, c, s, p, 2);
                        } else if (filled) {
                                /* Late original or retransmission of a segment lost upstream? The TCP
                                 * timestamp says when it was sent: before the segment that opened the gap
                                 * means an original the network delayed. Without a usable timestamp,
                                 * arriving within one round trip of the gap means the same. */
                                bool late;
                                int64_t srtt = tcp_sender_rtt(c, dir);
                                if (t->has_ts && hole.has_tsval && t->ts_val != hole.tsval)
                                        late = seq_lt(t->ts_val, hole.tsval);
                                else if (!t->has_ts && !hole.has_tsval && hole.report_ts && srtt > 0)
                                        /* no timestamps: the receiver reported the gap, and the sender's
                                         * answer to that takes the round trip from here to it; a late original
                                         * needs nothing (issue 11, part 1: half of it, for the spread of the
                                         * samples). Equal timestamps are not used so: a burst leaves in one
                                         * clock tick, and a path with a fast lane reorders by more than half
                                         * its shortest round trip (gen/tcp-reorder.pcap) */
                                        late = ts - hole.report_ts < srtt / 2;
                                else
                                        late = ts - hole.ts < tcp_reorder_threshold(a, c);
                                if (late) {
                                        tcp_trouble(c, TT_OOO, p->frame);
                                        s->ooo++;
                                        a->tcp.ooo++;
                                } else {
                                        /* the original never passed here: lost upstream */
                                        tcp_count_lost(a, c, s, ts, hole.frame,
                                                       (seq_lt(end, hole.end) ? end : hole.end) -
                                                               (seq_gt(seq, hole.start) ? seq : hole.start));
                                        retrans = true;
                                        lost_since = hole.ts;
                                        bool reported = (r->dupacks >= 3 && r->last_ack == seq) ||
                                                        (r->has_sack && seq_gt(r->sack_high, seq));
                                        tcp_count_retrans(a, c, s, p, pmtu ? 3 : reported ? 1 : 0);
                                        s->rtx_valid = false; /* it filled a gap: no duplicate to report */
                                }
                        } else {
                                retrans = true;
                                new_bytes = seq_gt(end, s->next_seq) ? end - s->next_seq : 0;
                                if (new_bytes > plen)
                                        new_bytes = plen;
                                if (r->ack_valid && seq_le(end, r->last_ack) && !(fl & TCP_FIN && plen == 0 && end == r->last_ack + 1)) {
                                        spurious = true;
                                        tcp_count_retrans(a, c, s, p, 2);
                                }
                                else {
                                        bool reported = (r->ack_valid && r->dupacks >= 3 && r->last_ack == seq) ||
                                                        (r->has_sack && seq_gt(r->sack_high, seq) &&
                                                         r->ack_valid && seq_ge(seq, r->last_ack));
                                        tcp_count_retrans(a, c, s, p, pmtu ? 3 : reported ? 1 : 0);
                                }
                        }
                        if (seq_gt(end, s->next_seq))
                                s->next_seq = end;
                }
                /* window full: the segment reaches the right edge of the receiver's advertised window */
                if (plen > 0 && r->ack_valid && !retrans) {
                        int sc = tcp_scale(c, !dir);
                        if (sc >= 0) {
                                uint64_t edge = (uint64_t) r->last_ack +
                                                ((uint64_t) r->win_raw << (r->win_from_syn ? 0 : sc));
                                if (r->win_raw > 0 && (uint32_t) edge == end) {
                                        s->win_full++;
                                        a->tcp.win_full++;
                                }
                        }
                }
        }
        if (plen > 0) {
                s->data_segments++;
                s->payload_bytes += plen;
                a->tcp.data_segments++;
                tcp_unacked_push(s, t->seq, t->seq + plen, ts, retrans);
                if (retrans && s->rtx_valid && s->rtx_seq == t->seq && s->rtx_kind != 2)
                        xfer_loss(f, dir);
                /* the other side's run of data ends when this side sends new data: a turn-around */
                if (new_bytes && c->tm && c->tm->xfer[!dir].first)
                        txn_run_loss(f, !dir, xfer_end(a, f, !dir));
                xfer_data(a, f, dir, p, retrans, spurious, new_bytes);
                txn_data(a, f, dir, p, new_bytes, lost_since, spurious);
        }

ack:
        /* ---- acknowledgements and window advertised by s ---- */
        if (!(fl & TCP_ACK))
                return;
        if (plen == 0)
                txn_ack(a, f, dir, p);
        {
                uint32_t ack = t->ack;
                bool dupack = false;
                int sc = tcp_scale(c, dir);
                if (!s->ack_valid) {
                        s->ack_valid = true;
                        s->last_ack = ack;
                        s->last_ack_ts = ts;
                        tcp_rtt_on_ack(a, c, dir, ack, ts);
                } else if (seq_gt(ack, s->last_ack)) {
                        if (r->probe_pending && ack == r->next_seq + 1)
                                r->next_seq = ack;
                        r->probe_pending = false;
                        s->last_ack = ack;
                        s->last_ack_ts = ts;
                        s->dupacks = 0;
                        if (s->has_sack && seq_ge(ack, s->sack_high))
                                s->has_sack = false;
                        tcp_rtt_on_ack(a, c, dir, ack, ts);
                } else if (ack == s->last_ack && plen == 0 && !(fl & (TCP_SYN | TCP_FIN))) {
                        if (t->win != s->win_raw) {
                                s->win_update++;
                                a->tcp.win_update++;
                        } else if (r->seq_valid && seq_gt(r->next_seq, ack)) {
                                tcp_trouble(c, TT_DUPACK, p->frame);
                                s->dupacks++;
                                s->dupacks_total++;
                                a->tcp.dupacks++;
                                s->last_dupack_ts = ts;
                                dupack = true;
                        }
                }
                if (r->n_holes && (dupack || t->n_sack) && !t->has_ts)
                        tcp_holes_reported(r, ack, dupack, t, ts); /* used without timestamps only */
                for (int i = 0; i < t->n_sack; i++) {
                        uint32_t re = t->sack[i][1];
                        if (i == 0 && (seq_le(re, ack) || (t->n_sack > 1 && seq_le(re, t->sack[1][1]) &&
                                                           seq_ge(t->sack[0][0], t->sack[1][0]))))
                                tcp_dsack(a, c, r, t->sack[i][0], re);
                        if (seq_gt(re, ack) && (!s->has_sack || seq_gt(re, s->sack_high))) {
                                s->sack_high = re;
                                s->has_sack = true;
                        }
                }
                if (t->win == 0 && !(fl & (TCP_SYN | TCP_FIN))) {
                        tcp_trouble(c, TT_ZERO_WIN, p->frame);
                        s->zero_win++;
                        a->tcp.zero_win++;
                        series_bucket_t *b = series_at(a, ts);
                        if (b)
                                b->zero_win++;
                        if (s->win_raw != 0 || s->packets == 1) {
                                event_t e;
                                ev_from_packet(&e, p);
                                event_add(a, EV_ZERO_WINDOW, &e);
                        }
                }
                if (!(fl & TCP_SYN)) {
                        s->win_raw = t->win;
                        s->win_from_syn = false;
                        s->win = sc > 0 ? (uint64_t) t->win << sc : t->win;
                }
                xfer_ack(a, f, dir, p);
        }
}

void tcp_conn_free(tcp_conn_t *c) {
        if (!c)
                return;
        for (int d = 0; d < 2; d++) {
                free(c->d[d].holes);
                if (c->tm && c->tm->trace[d]) {
                        free(c->tm->trace[d]->p);
                        free(c->tm->trace[d]);
                }
        }
        free(c->tm);
        free(c->txn);
        free(c->trouble);
        rtt_conn_done(&c->rtt);
        free(c);
}

void tcp_flow_finish(analysis_t *a, flow_t *f) {
        tcp_conn_t *c = f->tcp;
        if (!c)
                return;
        /* the runs end (the server's first: its loss belongs to the answer under way), then the exchanges */
        txn_run_loss(f, 1, xfer_end(a, f, 1));
        txn_run_loss(f, 0, xfer_end(a, f, 0));
        txn_flow_end(a, f);
        for (int d = 0; d < 2; d++) {
                /* gaps never filled: segments that never passed the capture point */
                for (int i = 0; i < c->d[d].n_holes; i++) {
                        const tcp_hole_t *h = &c->d[d].holes[i];
                        tcp_count_lost(a, c, &c->d[d], h->ts, h->frame, h->end - h->start);
                }
                free(c->d[d].holes);
                c->d[d].holes = NULL;
                c->d[d].n_holes = c->d[d].cap_holes = 0;
        }
        if (f->last_ts > f->first_ts)
                samples_add(&a->conn_dur, f->last_ts - f->first_ts);
        if (!c->d[0].syn && !c->d[1].syn)
                a->tcp.conns_midstream++;
        else if (tcp_scale(c, 0) < 0)
                a->tcp.conns_unknown_scale++;
        if (c->hs == HS_SYN && !c->refused) {
                a->tcp.hs_no_answer++;
                event_t e = { .ts = c->syn_ts, .frame = c->syn_frame, .key = f->key, .sub = c->syn_count };
                if (!f->client_is_a) {
                        e.key.a = f->key.b;
                        e.key.b = f->key.a;
                        e.key.pa = f->key.pb;
                        e.key.pb = f->key.pa;
                }
                e.dur = f->last_ts - c->syn_ts;
                event_add(a, EV_FAILED_HANDSHAKE, &e);
        }
        if (c->refused)
                a->tcp.hs_refused++;
}
