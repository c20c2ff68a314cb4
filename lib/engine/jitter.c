/* Jitter per flow, by kind of traffic: RTP streams recognised by their headers (rtp.c) get their RFC 3550
 * jitter from their timestamps and their loss from their sequence numbers; other flows keep the interarrival
 * jitter stats.c computes. The worst streams and flow directions are kept for the report, and the few worst
 * flows keep a bounded trace of jitter, RTT and retransmissions over time for a chart (ANALYSES.md, "Jitter"). */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

const char *jitter_kind_name(jitter_kind_t k) {
        static const char *const n[_JK_MAX] = {
                [JK_RTP] = "rtp", [JK_MEDIA_PORT] = "media-port", [JK_UDP] = "udp", [JK_TCP] = "tcp",
        };
        return k < _JK_MAX ? n[k] : NULL;
}

/* RTP and RTCP (5004-5005, RFC 3551), STUN/TURN and Microsoft Teams media (3478-3481), Zoom (8801-8810),
 * and the RTP range of SIP phones and gateways (16384-32767: Cisco, Avaya, Asterisk's default 10000-20000
 * mostly inside it). */
static bool port_media(uint16_t p) {
        return p == 5004 || p == 5005 || (p >= 3478 && p <= 3481) || (p >= 8801 && p <= 8810) ||
               (p >= 16384 && p <= 32767);
}

bool jitter_media_port(const flow_key_t *k) {
        /* both ends above the well-known ports: a DNS or NTP client on a port in the range is no media */
        return k->proto == 17 && k->pa >= 1024 && k->pb >= 1024 && (port_media(k->pa) || port_media(k->pb));
}

int64_t jitter_threshold(const analysis_t *a, jitter_kind_t k) {
        return k == JK_RTP || k == JK_MEDIA_PORT ? threshold_ns(a, TH_JITTER_MEDIA) : threshold_ns(a, TH_JITTER_OTHER);
}

static void trace_clear(jit_bucket_t *b, unsigned n) {
        for (unsigned i = 0; i < n; i++)
                b[i] = (jit_bucket_t) { .jit_us = { -1, -1 }, .rtt_us = -1 };
}

static jit_flow_t *jit_get(analysis_t *a, flow_t *f, bool want) {
        if (f->jit || !want)
                return f->jit;
        if (a->jitter.live >= JIT_LIVE_MAX) {
                if (f->packets == (f->tcp ? JIT_TCP_PACKETS : JIT_MIN_PACKETS))
                        a->jitter.untracked++;
                return NULL;
        }
        jit_flow_t *j = calloc(1, sizeof *j);
        if (!j)
                return NULL;
        j->tr.t0 = f->first_ts;
        j->tr.width = 10 * NS_PER_MS;
        trace_clear(j->tr.b, JIT_TRACE_BUCKETS);
        a->jitter.live++;
        f->jit = j;
        return j;
}

static int32_t us32(int64_t ns) {
        int64_t us = ns / 1000;
        return us > INT32_MAX ? INT32_MAX : (int32_t) us;
}

/* The bucket being written goes back to its place (before the buckets are read, moved or merged). */
static void trace_flush(jit_trace_t *t) {
        if (t->cur_from < t->cur_to)
                t->b[t->cur] = t->curb;
        t->cur_from = t->cur_to = 0;
}

static jit_bucket_t *trace_at(jit_trace_t *t, int64_t ts) {
        /* most packets fall in the bucket of the one before */
        if (ts >= t->cur_from && ts < t->cur_to)
                return &t->curb;
        trace_flush(t);
        int64_t off;
        if (__builtin_sub_overflow(ts, t->t0, &off) || off < 0)
                off = ts < t->t0 ? 0 : (int64_t) 1 << 62;
        if (off > (int64_t) 1 << 62)
                off = (int64_t) 1 << 62; /* hostile timestamps: the widening loop stays bounded */
        while (off / t->width >= JIT_TRACE_BUCKETS) {
                for (unsigned i = 0; i < JIT_TRACE_BUCKETS / 2; i++) {
                        const jit_bucket_t *x = &t->b[2 * i], *y = &t->b[2 * i + 1];
                        jit_bucket_t m = {
                                .jit_us = { x->jit_us[0] > y->jit_us[0] ? x->jit_us[0] : y->jit_us[0],
                                            x->jit_us[1] > y->jit_us[1] ? x->jit_us[1] : y->jit_us[1] },
                                .rtt_us = x->rtt_us > y->rtt_us ? x->rtt_us : y->rtt_us,
                                .retrans = x->retrans + y->retrans,
                        };
                        t->b[i] = m;
                }
                trace_clear(&t->b[JIT_TRACE_BUCKETS / 2], JIT_TRACE_BUCKETS / 2);
                t->width *= 2;
                t->used = (t->used + 1) / 2;
        }
        uint32_t i = (uint32_t) (off / t->width);
        if (i + 1 > t->used)
                t->used = i + 1;
        if (ts < t->t0 || t->width >= (int64_t) 1 << 40)
                return &t->b[i]; /* (hostile timestamps, a bucket of 18 minutes or more: no shortcut, no overflow) */
        t->cur = i;
        t->cur_from = sat_add(t->t0, (int64_t) i * t->width);
        t->cur_to = sat_add(t->cur_from, t->width);
        t->curb = t->b[i];
        return &t->curb;
}

static void trace_jitter(jit_trace_t *t, int64_t ts, int dir, int64_t jit) {
        if (jit < 0)
                return;
        jit_bucket_t *b = trace_at(t, ts);
        if (us32(jit) > b->jit_us[dir])
                b->jit_us[dir] = us32(jit);
}

static void ia_note(jit_dir_t *d, int64_t ia) {
        if (ia < 0)
                return;
        if (ia > d->ia_max)
                d->ia_max = ia;
        d->ia_sum += (double) ia;
        d->ia_n++;
}

/* ---- the report's lists ---- */

static void key_from_sender(const flow_t *f, int dir, flow_key_t *ret) {
        *ret = f->key;
        bool a_sends = (dir == 0) == f->client_is_a;
        if (!a_sends) {
                ret->a = f->key.b;
                ret->b = f->key.a;
                ret->pa = f->key.pb;
                ret->pb = f->key.pa;
        }
}

static double entry_score(const jit_entry_t *e, int64_t thr) {
        double r = e->jit_max > 0 && thr > 0 ? (double) e->jit_max / (double) thr : 0;
        bool media = e->kind == JK_RTP || e->kind == JK_MEDIA_PORT;
        return (media && (e->over || e->loss_over) ? 2e6 : 0) + (e->kind == JK_RTP ? 1e6 : 0) +
               (e->kind == JK_UDP && e->over ? 5e5 : 0) + r;
}

static void entry_offer(analysis_t *a, const jit_entry_t *e) {
        jitter_state_t *s = &a->jitter;
        if (s->n < JIT_ENTRIES_MAX) {
                s->e[s->n++] = *e;
                return;
        }
        uint32_t low = 0;
        for (uint32_t i = 1; i < s->n; i++)
                if (s->e[i].score < s->e[low].score)
                        low = i;
        if (e->score > s->e[low].score)
                s->e[low] = *e;
}

static void stream_offer(analysis_t *a, const flow_t *f, int dir, const rtp_stream_t *st) {
        jitter_state_t *s = &a->jitter;
        rtp_figures_t r;
        rtp_stream_figures(st, &r);
        s->rtp_streams++;
        s->rtp_packets += st->packets;
        if (r.expected > 0) {
                s->rtp_expected += (uint64_t) r.expected;
                s->rtp_lost += r.lost > 0 ? (uint64_t) r.lost : 0;
        }
        jit_entry_t e = {
                .kind = JK_RTP, .pt = st->pt, .clock_source = (uint8_t) r.clock_source, .ssrc = st->ssrc,
                .clock = r.clock, .packets = st->packets, .seq_errors = r.seq_errors, .first_frame = st->first_frame,
                .expected = r.expected, .lost = r.lost, .jit_max = r.jitter_max, .jit_mean = r.jitter_mean,
                .first_ts = st->first_arr, .last_ts = st->last_arr,
        };
        key_from_sender(f, dir, &e.key);
        int64_t thr = jitter_threshold(a, JK_RTP);
        e.over = r.jitter_max >= 0 && r.jitter_max >= thr;
        if (e.over) {
                s->over[JK_RTP]++;
                if (r.jitter_max > s->worst_media)
                        s->worst_media = r.jitter_max;
        }
        /* loss: at least two packets, and rtp_loss_pct of those expected */
        e.loss_over = r.lost >= 2 && r.expected > 0 &&
                      100.0 * (double) r.lost >= threshold_value(a, TH_RTP_LOSS) * (double) r.expected;
        if (e.loss_over)
                s->loss_over++;
        e.score = entry_score(&e, thr);
        entry_offer(a, &e);
}

/* ---- per packet ---- */

static void rtp_packet(analysis_t *a, const flow_t *f, int dir, jit_rtp_dir_t *d, const rtp_header_t *h,
                       const packet_t *p) {
        for (int k = 0; k < JIT_STREAMS; k++)
                if (d->s[k].started && d->s[k].ssrc == h->ssrc) {
                        rtp_stream_packet(&d->s[k], h, p->ts_ns);
                        return;
                }
        if (!rtp_detect_packet(&d->det, h, p->ts_ns, p->frame))
                return;
        /* a new stream: a free slot, else it replaces the one that has been silent longest */
        int k = 0;
        for (int i = 0; i < JIT_STREAMS; i++) {
                if (!d->s[i].started) {
                        k = i;
                        break;
                }
                if (d->s[i].last_arr < d->s[k].last_arr)
                        k = i;
        }
        if (d->s[k].started)
                stream_offer(a, f, dir, &d->s[k]);
        rtp_stream_t *s = &d->s[k];
        rtp_stream_start(s, &d->det.h[0], d->det.arr[0], d->det.frame[0]);
        for (int i = 1; i < RTP_CONFIRM; i++)
                rtp_stream_packet(s, &d->det.h[i], d->det.arr[i]);
        d->det.n = 0;
}

void jitter_udp_packet(analysis_t *a, flow_t *f, int dir, const packet_t *p) {
        rtp_header_t h;
        rtp_kind_t k = rtp_parse(p->payload, p->payload_caplen, p->payload_len, &h);
        jit_flow_t *j = jit_get(a, f, k != RTP_NOT || f->packets == JIT_MIN_PACKETS || (f->packets & 255) == 0);
        if (!j)
                return;
        const udp_dir_t *u = &f->u[dir];
        int64_t ia = u->jit_n >= 3 ? u->jitter16 / 16 : -1;
        ia_note(&j->d[dir], ia);
        if (k != RTP_NOT && !j->rtp)
                j->rtp = calloc(2, sizeof(jit_rtp_dir_t)); /* no memory: the flow is measured as other UDP */
        jit_rtp_dir_t *d = j->rtp ? &j->rtp[dir] : NULL;
        if (d && k == RTP_RTCP) {
                d->rtcp++;
                a->jitter.rtcp_packets++;
        } else if (d && k == RTP_DATA)
                rtp_packet(a, f, dir, d, &h, p);
        /* the chart: the stream's RFC 3550 jitter when the direction carries one, else the interarrival jitter */
        int64_t jv = ia;
        bool rtp = false;
        for (int i = 0; d && i < JIT_STREAMS; i++)
                if (d->s[i].started) {
                        rtp_figures_t r;
                        rtp_stream_figures(&d->s[i], &r);
                        if (!rtp || r.jitter_now > jv)
                                jv = r.jitter_now;
                        rtp = true;
                }
        trace_jitter(&j->tr, p->ts_ns, dir, jv);
}

void jitter_tcp_sample(analysis_t *a, flow_t *f, int dir, int64_t ts) {
        const tcp_conn_t *c = f->tcp;
        if (!c)
                return;
        uint32_t rt = c->d[0].retrans + c->d[1].retrans;
        jit_flow_t *j = f->jit;
        if (!j) {
                j = jit_get(a, f, true);
                if (!j)
                        return;
                /* counted from here: what came before is not in the trace */
                j->rtt_n[0] = c->rtt.h[0].n;
                j->rtt_n[1] = c->rtt.h[1].n;
                j->retrans = rt;
        }
        const tcp_dir_t *td = &c->d[dir];
        int64_t ia = td->jit_n >= 3 ? td->jitter16 >> 4 : -1; /* jitter16 >= 0: stats.c's J never goes below 0 */
        ia_note(&j->d[dir], ia);
        trace_jitter(&j->tr, ts, dir, ia);
        for (int h = 0; h < 2; h++) {
                const rtt_half_t *hh = &c->rtt.h[h];
                if (hh->n == j->rtt_n[h])
                        continue;
                /* data acknowledged since the last sample: this half's newest samples (tcp.c, at most the
                 * RTT_RECENT it keeps), as a path with the other half's base */
                uint32_t k = hh->n - j->rtt_n[h] < hh->n_recent ? hh->n - j->rtt_n[h] : hh->n_recent;
                int64_t v = -1;
                for (uint32_t m = 1; m <= k; m++) {
                        int64_t x = hh->recent[(hh->i_recent + RTT_RECENT - m) % RTT_RECENT];
                        if (x > v)
                                v = x;
                }
                int64_t other = rtt_half_base(&c->rtt.h[!h]);
                if (other >= 0)
                        v = sat_add(v, other);
                jit_bucket_t *b = trace_at(&j->tr, ts);
                if (v >= 0 && us32(v) > b->rtt_us)
                        b->rtt_us = us32(v);
                j->rtt_n[h] = hh->n;
        }
        if (rt != j->retrans) {
                trace_at(&j->tr, ts)->retrans += rt - j->retrans;
                j->retrans = rt;
        }
}

/* ---- retirement ---- */

static void chart_offer(analysis_t *a, const flow_t *f, jit_flow_t *j, uint8_t kind, double score) {
        jitter_state_t *s = &a->jitter;
        trace_flush(&j->tr);
        bool any = false;
        for (uint32_t i = 0; i < j->tr.used && !any; i++)
                any = j->tr.b[i].jit_us[0] >= 0 || j->tr.b[i].jit_us[1] >= 0;
        if (!any || j->tr.used < 2)
                return;
        uint32_t slot = s->n_ch;
        if (s->n_ch == JIT_CHARTS_MAX) {
                slot = 0;
                for (uint32_t i = 1; i < s->n_ch; i++)
                        if (s->ch[i].score < s->ch[slot].score)
                                slot = i;
                if (score <= s->ch[slot].score)
                        return;
        }
        jit_trace_t *t = malloc(sizeof *t);
        if (!t)
                return;
        *t = j->tr;
        if (slot < s->n_ch)
                free(s->ch[slot].tr);
        else
                s->n_ch++;
        s->ch[slot] = (jit_chart_t) { .key = f->key, .kind = kind, .score = score, .tr = t };
        if (!f->client_is_a) {
                s->ch[slot].key.a = f->key.b;
                s->ch[slot].key.b = f->key.a;
                s->ch[slot].key.pa = f->key.pb;
                s->ch[slot].key.pb = f->key.pa;
        }
}

void jitter_flow_retire(analysis_t *a, flow_t *f) {
        jit_flow_t *j = f->jit;
        if (!j)
                return;
        double best = -1;
        uint8_t best_kind = f->tcp ? JK_TCP : JK_UDP;
        bool media_counted = false;
        for (int dir = 0; dir < 2; dir++) {
                const jit_dir_t *d = &j->d[dir];
                const jit_rtp_dir_t *rd = j->rtp ? &j->rtp[dir] : NULL;
                bool rtp = false;
                for (int k = 0; rd && k < JIT_STREAMS; k++)
                        if (rd->s[k].started) {
                                rtp = true;
                                stream_offer(a, f, dir, &rd->s[k]);
                                int64_t thr = jitter_threshold(a, JK_RTP);
                                rtp_figures_t r;
                                rtp_stream_figures(&rd->s[k], &r);
                                jit_entry_t e = { .kind = JK_RTP, .jit_max = r.jitter_max, .over = r.jitter_max >= thr };
                                double sc = entry_score(&e, thr);
                                if (sc > best) {
                                        best = sc;
                                        best_kind = JK_RTP;
                                }
                        }
                uint64_t packets = f->tcp ? f->tcp->d[dir].packets : f->u[dir].packets;
                if (rtp || packets < JIT_MIN_PACKETS || !d->ia_n)
                        continue;
                /* a media port's flow is judged as media when it keeps a media pace: STUN checks and signalling
                 * on the same ports come a few a second, and their spacing is no jitter */
                int64_t span = f->last_ts - f->first_ts;
                bool paced = packets >= JIT_MEDIA_PACKETS && span > 0 &&
                             (double) packets * NS_PER_S >= JIT_MEDIA_PPS * (double) span;
                jitter_kind_t kind = f->tcp ? JK_TCP : paced && jitter_media_port(&f->key) ? JK_MEDIA_PORT : JK_UDP;
                if (kind == JK_MEDIA_PORT && !media_counted) {
                        a->jitter.media_port_flows++;
                        media_counted = true;
                }
                int64_t thr = jitter_threshold(a, kind);
                jit_entry_t e = {
                        .kind = (uint8_t) kind, .packets = packets, .first_frame = f->first_frame, .expected = -1,
                        .lost = -1, .jit_max = d->ia_max, .jit_mean = (int64_t) (d->ia_sum / (double) d->ia_n),
                        .first_ts = f->first_ts, .last_ts = f->last_ts,
                };
                key_from_sender(f, dir, &e.key);
                /* TCP is never judged: ACK clocking and congestion control set its spacing (ANALYSES.md) */
                e.over = kind != JK_TCP && e.jit_max >= thr;
                if (e.over) {
                        a->jitter.over[kind]++;
                        if (kind == JK_MEDIA_PORT && e.jit_max > a->jitter.worst_media)
                                a->jitter.worst_media = e.jit_max;
                }
                e.score = entry_score(&e, thr);
                entry_offer(a, &e);
                if (e.score > best) {
                        best = e.score;
                        best_kind = (uint8_t) kind;
                }
        }
        /* the chart's order: as the list's, and a connection's retransmissions weigh as much as its jitter */
        if (best >= 0) {
                chart_offer(a, f, j, best_kind, best + (f->tcp ? f->tcp->d[0].retrans + f->tcp->d[1].retrans : 0));
        }
        free(j->rtp);
        free(j);
        f->jit = NULL;
        a->jitter.live--;
}

void jitter_flow_free(flow_t *f) {
        if (f->jit)
                free(f->jit->rtp);
        free(f->jit);
        f->jit = NULL;
}

static int entry_cmp(const void *x, const void *y) {
        const jit_entry_t *a = x, *b = y;
        if (a->score != b->score)
                return a->score > b->score ? -1 : 1;
        if (a->first_ts != b->first_ts)
                return a->first_ts < b->first_ts ? -1 : 1;
        return a->first_frame < b->first_frame ? -1 : a->first_frame > b->first_frame;
}

static int chart_cmp(const void *x, const void *y) {
        const jit_chart_t *a = x, *b = y;
        if (a->score != b->score)
                return a->score > b->score ? -1 : 1;
        return a->tr->t0 < b->tr->t0 ? -1 : a->tr->t0 > b->tr->t0;
}

void jitter_finish(analysis_t *a) {
        qsort(a->jitter.e, a->jitter.n, sizeof(jit_entry_t), entry_cmp);
        qsort(a->jitter.ch, a->jitter.n_ch, sizeof(jit_chart_t), chart_cmp);
}

void jitter_done(jitter_state_t *s) {
        for (uint32_t i = 0; i < s->n_ch; i++)
                free(s->ch[i].tr);
        s->n_ch = 0;
}
