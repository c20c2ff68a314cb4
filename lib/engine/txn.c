/* Request/response exchanges on TCP connections (lib/engine/ANALYSES.md, "Transactions"). An exchange
 * starts with data from the client after the server's data (a turn-around), or with a new HTTP request
 * line (pipelining); it ends when the next one starts or the connection ends. Its time is split with
 * the two halves of the round trip (rtt.c): what the packets prove at the capture point, less the share
 * the path took. */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

const char *txn_proto_name(uint8_t p) {
        return p == TXN_HTTP ? "http" : p == TXN_TLS ? "tls" : "tcp";
}

int txn_init(txn_state_t *t, uint64_t seed) {
        memset(t, 0, sizeof *t);
        samples_init(&t->server, 100000, seed);
        samples_init(&t->total_s, 100000, seed + 1);
        samples_init(&t->cp_client_half, 10000, seed + 2);
        samples_init(&t->cp_server_half, 10000, seed + 3);
        return 0;
}

void txn_done(txn_state_t *t) {
        samples_done(&t->server);
        samples_done(&t->total_s);
        samples_done(&t->cp_client_half);
        samples_done(&t->cp_server_half);
        free(t->items);
        free(t->conns);
        free(t->waits);
        free(t->spans);
        memset(t, 0, sizeof *t);
}

/* ---- what the first bytes say ---- */

static bool is_tls_record(const uint8_t *b, uint32_t n) {
        return n >= 3 && b[0] >= 20 && b[0] <= 23 && b[1] == 3 && b[2] <= 4;
}

static bool http_request_line(const uint8_t *b, uint32_t n, txn_req_t *r) {
        static const char *const methods[] = { "GET", "POST", "PUT", "HEAD", "DELETE", "OPTIONS", "PATCH",
                                               "CONNECT", "TRACE" };
        for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
                size_t ml = strlen(methods[i]);
                if (n <= ml || memcmp(b, methods[i], ml) != 0 || b[ml] != ' ')
                        continue;
                if (r) {
                        memcpy(r->method, methods[i], ml);
                        r->method_len = (uint8_t) ml;
                        uint32_t k = (uint32_t) ml + 1, l = 0;
                        while (k < n && l < TXN_PATH && b[k] != ' ' && b[k] != '\r' && b[k] != '\n')
                                r->path[l++] = (char) b[k++];
                        r->path_len = (uint8_t) l;
                }
                return true;
        }
        return false;
}

static uint16_t http_status_line(const uint8_t *b, uint32_t n) {
        if (n < 12 || memcmp(b, "HTTP/1.", 7) != 0 || b[8] != ' ')
                return 0;
        uint16_t v = 0;
        for (int i = 9; i < 12; i++) {
                if (b[i] < '0' || b[i] > '9')
                        return 0;
                v = (uint16_t) (v * 10 + (b[i] - '0'));
        }
        return v >= 100 && v <= 999 ? v : 0;
}

/* ---- kept lists ---- */

#define HEAP_FNS(name, type, field)                                                                        \
        static void name##_down(type *v, uint32_t n, uint32_t i) {                                         \
                for (;;) {                                                                                 \
                        uint32_t l = 2 * i + 1, m = i;                                                     \
                        if (l < n && v[l].field < v[m].field)                                              \
                                m = l;                                                                     \
                        if (l + 1 < n && v[l + 1].field < v[m].field)                                      \
                                m = l + 1;                                                                 \
                        if (m == i)                                                                        \
                                return;                                                                    \
                        type tmp = v[i];                                                                   \
                        v[i] = v[m];                                                                       \
                        v[m] = tmp;                                                                        \
                        i = m;                                                                             \
                }                                                                                          \
        }                                                                                                  \
        static void name##_up(type *v, uint32_t i) {                                                       \
                while (i > 0 && v[(i - 1) / 2].field > v[i].field) {                                       \
                        type tmp = v[i];                                                                   \
                        v[i] = v[(i - 1) / 2];                                                             \
                        v[(i - 1) / 2] = tmp;                                                              \
                        i = (i - 1) / 2;                                                                   \
                }                                                                                          \
        }                                                                                                  \
        /* keeps the cap largest by field; returns false when there is no memory */                       \
        static bool name##_offer(type **v, uint32_t *n, uint32_t cap, const type *x) {                    \
                if (cap == 0)                                                                              \
                        return true;                                                                       \
                if (!*v) {                                                                                 \
                        *v = calloc(cap, sizeof(type));                                                    \
                        if (!*v)                                                                           \
                                return false;                                                              \
                }                                                                                          \
                if (*n < cap) {                                                                            \
                        (*v)[*n] = *x;                                                                     \
                        name##_up(*v, (*n)++);                                                             \
                } else if (x->field > (*v)[0].field) {                                                     \
                        (*v)[0] = *x;                                                                      \
                        name##_down(*v, *n, 0);                                                            \
                }                                                                                          \
                return true;                                                                               \
        }

HEAP_FNS(item, txn_item_t, part[TP_TOTAL])
HEAP_FNS(conn, txn_conn_sum_t, part[TP_TOTAL])
HEAP_FNS(wait, txn_wait_t, len)

/* Busy time: disjoint spans sorted by start. When full, the spans closest to each other are merged (a
 * gap of idle time is then counted busy: client waits can only be under-charged, never invented). */
static void span_coarsen(txn_state_t *t) {
        uint32_t n = t->n_spans;
        if (n < 2)
                return;
        int64_t *g = malloc(sizeof(int64_t) * (n - 1));
        if (!g) {
                t->n_spans = 1;
                t->spans[0].to = t->spans[n - 1].to;
                return;
        }
        for (uint32_t i = 0; i + 1 < n; i++)
                g[i] = t->spans[i + 1].from - t->spans[i].to;
        /* the median gap: merge every gap not larger */
        int64_t lo = g[0], hi = g[0];
        for (uint32_t i = 1; i + 1 < n; i++) {
                if (g[i] < lo)
                        lo = g[i];
                if (g[i] > hi)
                        hi = g[i];
        }
        int64_t cut = hi;
        while (lo < hi) {
                int64_t mid = lo + (hi - lo) / 2;
                uint32_t below = 0;
                for (uint32_t i = 0; i + 1 < n; i++)
                        below += g[i] <= mid;
                if (below >= (n - 1) / 2) {
                        cut = mid;
                        hi = mid;
                } else
                        lo = mid + 1;
        }
        uint32_t w = 0;
        for (uint32_t i = 1; i < n; i++) {
                if (g[i - 1] <= cut && t->spans[i].to > t->spans[w].to)
                        t->spans[w].to = t->spans[i].to;
                else if (g[i - 1] > cut)
                        t->spans[++w] = t->spans[i];
        }
        t->n_spans = w + 1;
        free(g);
}

static void span_add(txn_state_t *t, int64_t from, int64_t to) {
        if (to <= from)
                return;
        if (!t->spans) {
                t->spans = malloc(sizeof(txn_span_t) * TXN_SPANS_MAX);
                if (!t->spans)
                        return;
        }
        /* first span ending at or after from */
        uint32_t lo = 0, hi = t->n_spans;
        while (lo < hi) {
                uint32_t mid = (lo + hi) / 2;
                if (t->spans[mid].to < from)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        uint32_t i = lo, j = lo;
        while (j < t->n_spans && t->spans[j].from <= to) {
                if (t->spans[j].from < from)
                        from = t->spans[j].from;
                if (t->spans[j].to > to)
                        to = t->spans[j].to;
                j++;
        }
        if (j > i) { /* merge spans i..j-1 into one */
                t->spans[i] = (txn_span_t) { from, to };
                memmove(&t->spans[i + 1], &t->spans[j], sizeof(txn_span_t) * (t->n_spans - j));
                t->n_spans -= j - i - 1;
                return;
        }
        if (t->n_spans == TXN_SPANS_MAX) {
                span_coarsen(t);
                span_add(t, from, to);
                return;
        }
        memmove(&t->spans[i + 1], &t->spans[i], sizeof(txn_span_t) * (t->n_spans - i));
        t->spans[i] = (txn_span_t) { from, to };
        t->n_spans++;
}

static int64_t span_overlap(const txn_state_t *t, int64_t from, int64_t to) {
        uint32_t lo = 0, hi = t->n_spans;
        while (lo < hi) {
                uint32_t mid = (lo + hi) / 2;
                if (t->spans[mid].to <= from)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        int64_t sum = 0;
        for (uint32_t i = lo; i < t->n_spans && t->spans[i].from < to; i++) {
                int64_t a = t->spans[i].from > from ? t->spans[i].from : from;
                int64_t b = t->spans[i].to < to ? t->spans[i].to : to;
                if (b > a)
                        sum = sat_add(sum, b - a);
        }
        return sum;
}

/* ---- exchanges ---- */

static int64_t half(const tcp_conn_t *c, int h) {
        int64_t b = rtt_half_base(&c->rtt.h[h]);
        return b > 0 ? b : 0;
}

static void key_client_first(const flow_t *f, flow_key_t *k) {
        *k = f->key;
        if (!f->client_is_a) {
                k->a = f->key.b;
                k->b = f->key.a;
                k->pa = f->key.pb;
                k->pb = f->key.pa;
        }
}

/* Ends the exchange of q[0] and pops it. */
static void txn_end_first(analysis_t *a, flow_t *f, bool answered) {
        tcp_conn_t *c = f->tcp;
        txn_conn_t *t = c->txn;
        txn_state_t *st = &a->txn;
        txn_req_t *r = &t->q[0];
        txn_item_t it = {
                .req_ts = r->first, .req_frame = r->frame, .req_bytes = r->bytes, .proto = r->proto,
                .client_method = r->client_method, .method_len = r->method_len, .path_len = r->path_len,
                .answered = answered,
        };
        key_client_first(f, &it.key);
        memcpy(it.method, r->method, sizeof it.method);
        memcpy(it.path, r->path, sizeof it.path);
        int64_t rt_c = dur_clamp(half(c, 0)), rt_s = dur_clamp(half(c, 1));
        it.part[TP_CLIENT] = dur_clamp(r->client);
        it.part[TP_REQUEST] = dur_clamp(r->last - r->first);
        if (answered) {
                int64_t gap = dur_clamp(t->resp_first - r->last);
                rt_s = dur_clamp(rt_s + dur_clamp(t->resp_queue) - dur_clamp(-t->resp_queue)); /* the queue now, against the handshake's */
                it.part[TP_NETWORK] = rt_c + (gap < rt_s ? gap : rt_s);
                it.part[TP_SERVER] = gap > rt_s ? gap - rt_s : 0;
                it.part[TP_TRANSFER] = dur_clamp(t->resp_last - t->resp_first);
                it.part[TP_LOSS] = dur_clamp(t->resp_loss < it.part[TP_TRANSFER] ? t->resp_loss : it.part[TP_TRANSFER]);
                it.server_method = r->ack_ts && r->ack_ts <= t->resp_first ? TXN_SERVER_ACK : TXN_SERVER_RTT;
                it.resp_bytes = t->resp_bytes;
                it.resp_frame = t->resp_frame;
                it.status = t->status;
                if (t->resp_tls && it.proto == TXN_TCP)
                        it.proto = TXN_TLS;
                t->prev_end = t->resp_last;
                span_add(st, r->first, t->resp_last);
        } else {
                it.server_method = TXN_SERVER_NONE;
                span_add(st, r->first, r->last);
        }
        it.part[TP_TOTAL] = it.part[TP_CLIENT] + it.part[TP_REQUEST] + it.part[TP_NETWORK] + it.part[TP_SERVER] +
                            it.part[TP_TRANSFER];
        t->n++;
        for (int i = 0; i < _TP_MAX; i++) {
                t->sum[i] = sat_add(t->sum[i], it.part[i]);
                st->sum[i] = sat_add(st->sum[i], it.part[i]);
        }
        st->total++;
        if (answered) {
                st->answered++;
                samples_add(&st->server, it.part[TP_SERVER]);
                samples_add(&st->total_s, it.part[TP_TOTAL]);
        }
        uint32_t keep = a->lim.max_events < 100 ? a->lim.max_events : 100;
        item_offer(&st->items, &st->n, keep, &it);
        st->cap = keep;

        memmove(&t->q[0], &t->q[1], sizeof(txn_req_t) * (size_t) (t->n_q - 1));
        t->n_q--;
        t->in_resp = false;
        t->resp_bytes = 0;
        t->resp_loss = 0;
        t->resp_queue = 0;
        t->status = 0;
        t->resp_tls = false;
}

static void txn_start(analysis_t *a, flow_t *f, const packet_t *p, uint32_t new_bytes, bool pipelined) {
        tcp_conn_t *c = f->tcp;
        txn_conn_t *t = c->txn;
        if (t->n_q == TXN_PIPE)
                txn_end_first(a, f, false); /* more pipelined requests than followed: the oldest goes unanswered */
        txn_req_t *r = &t->q[t->n_q++];
        memset(r, 0, sizeof *r);
        r->first = r->last = p->ts_ns;
        r->frame = p->frame;
        r->bytes = new_bytes;
        r->end = p->tcp.seq + p->payload_len;
        if (http_request_line(p->payload, p->payload_caplen, r))
                r->proto = TXN_HTTP;
        else if (is_tls_record(p->payload, p->payload_caplen))
                r->proto = TXN_TLS;
        if (pipelined) {
                a->txn.pipelined++;
                return;
        }
        int64_t from = 0;
        if (t->prev_end) {
                /* the answer's last byte reached the client half the client's round trip after here; its
                 * request left the client half of it before */
                from = t->prev_end + half(c, 0);
                r->client_method = TXN_CLIENT_RESPONSE;
        } else if (t->n == 0 && c->hs == HS_DONE && c->hs_ack_ts) {
                from = c->hs_ack_ts; /* the client's ACK of the SYN/ACK and its request both come from it */
                r->client_method = TXN_CLIENT_HANDSHAKE;
        }
        if (from && p->ts_ns > from) {
                r->client = p->ts_ns - from;
                txn_wait_t w = { from, p->ts_ns, r->client };
                wait_offer(&a->txn.waits, &a->txn.n_waits, TXN_WAITS_MAX, &w);
        }
}

/* The answer's first segment: how much longer than the SYN/ACK it took to reach here, by the server's own
 * clock (its TSval): queueing that grew since the handshake is the path's time, not the server's. */
static void resp_queue(const tcp_conn_t *c, txn_conn_t *t, const packet_t *p) {
        const tcp_dir_t *s = &c->d[1];
        int64_t d = 0;
        t->resp_queue = 0;
        if (p->tcp.has_ts && s->ts0 && s->syn && rtt_owd_change(s->ts0_val, s->ts0_t, p->tcp.ts_val, p->ts_ns, &d))
                t->resp_queue = d;
}

void txn_data(analysis_t *a, flow_t *f, int dir, const packet_t *p, uint32_t new_bytes, int64_t lost_since,
              bool spurious) {
        tcp_conn_t *c = f->tcp;
        if (!c->txn) {
                if (!new_bytes)
                        return;
                c->txn = calloc(1, sizeof(txn_conn_t));
                if (!c->txn)
                        return;
        }
        txn_conn_t *t = c->txn;
        int64_t ts = p->ts_ns;
        if (dir == 0) {
                if (!new_bytes) {
                        if (t->n_q && !t->in_resp && ts > t->q[t->n_q - 1].last)
                                t->q[t->n_q - 1].last = ts; /* a retransmitted request ends later */
                        return;
                }
                bool http = http_request_line(p->payload, p->payload_caplen, NULL);
                if (t->in_resp && t->n_q == 1) {
                        /* a turn-around: the answer under way is complete */
                        txn_end_first(a, f, true);
                        txn_start(a, f, p, new_bytes, false);
                } else if (t->n_q && http && t->q[t->n_q - 1].proto == TXN_HTTP) {
                        txn_start(a, f, p, new_bytes, true); /* another request before the answers: pipelined */
                } else if (t->in_resp) {
                        txn_end_first(a, f, true);
                        while (t->n_q)
                                txn_end_first(a, f, false);
                        txn_start(a, f, p, new_bytes, false);
                } else if (t->n_q) {
                        txn_req_t *r = &t->q[t->n_q - 1];
                        r->last = ts;
                        r->bytes += new_bytes;
                        r->end = p->tcp.seq + p->payload_len;
                } else
                        txn_start(a, f, p, new_bytes, false);
                return;
        }
        if (!t->n_q)
                return; /* the server spoke first (a greeting), or the capture began inside an answer */
        if (!t->in_resp) {
                if (!new_bytes)
                        return;
                t->in_resp = true;
                t->resp_first = t->resp_last = ts;
                t->resp_frame = p->frame;
                t->resp_bytes = new_bytes;
                t->status = http_status_line(p->payload, p->payload_caplen);
                t->resp_tls = is_tls_record(p->payload, p->payload_caplen);
                resp_queue(c, t, p);
                if (lost_since && lost_since < ts && lost_since > t->q[0].last) {
                        /* the answer's first bytes were lost before the capture point: it was under way since
                         * the gap opened (the server had sent beyond them), and what came after is the loss
                         * recovery's, not the server's thinking */
                        t->resp_first = lost_since;
                        t->resp_loss = sat_add(t->resp_loss, ts - lost_since);
                        t->resp_queue = 0; /* the retransmission's one-way delay says nothing of the answer's */
                }
                return;
        }
        if (new_bytes && t->n_q > 1 && t->q[0].proto == TXN_HTTP && t->resp_bytes &&
            http_status_line(p->payload, p->payload_caplen)) {
                /* the answer to the next pipelined request begins */
                txn_end_first(a, f, true);
                t->in_resp = true;
                t->resp_first = t->resp_last = ts;
                t->resp_frame = p->frame;
                t->resp_bytes = new_bytes;
                t->status = http_status_line(p->payload, p->payload_caplen);
                resp_queue(c, t, p);
                return;
        }
        if (ts > t->resp_last && !spurious)
                t->resp_last = ts;
        t->resp_bytes += new_bytes;
}

void txn_ack(analysis_t *a, flow_t *f, int dir, const packet_t *p) {
        txn_conn_t *t = f->tcp->txn;
        (void) a;
        if (!t || dir != 1 || !t->n_q || t->in_resp || t->q[0].ack_ts || !(p->tcp.flags & TCP_ACK))
                return;
        if (seq_ge(p->tcp.ack, t->q[0].end))
                t->q[0].ack_ts = p->ts_ns;
}

void txn_run_loss(flow_t *f, int dir, int64_t loss) {
        txn_conn_t *t = f->tcp ? f->tcp->txn : NULL;
        if (t && dir == 1 && t->in_resp)
                t->resp_loss = sat_add(t->resp_loss, dur_clamp(loss));
}

void txn_flow_end(analysis_t *a, flow_t *f) {
        tcp_conn_t *c = f->tcp;
        txn_conn_t *t = c->txn;
        txn_state_t *st = &a->txn;
        capture_point_t cp = rtt_capture_point(&c->rtt);
        if (c->d[0].seen && c->d[1].seen)
                st->cp[cp]++;
        if (cp != CP_UNKNOWN && c->rtt.h[0].hs >= 0 && c->rtt.h[1].hs >= 0) {
                samples_add(&st->cp_client_half, c->rtt.h[0].hs);
                samples_add(&st->cp_server_half, c->rtt.h[1].hs);
        }
        if (!t)
                return;
        if (t->in_resp)
                txn_end_first(a, f, true);
        while (t->n_q)
                txn_end_first(a, f, false);
        if (t->n) {
                st->conns_total++;
                txn_conn_sum_t s = { .capture_point = (uint8_t) cp, .n = t->n };
                key_client_first(f, &s.key);
                memcpy(s.part, t->sum, sizeof s.part);
                s.rtt[0] = rtt_half_base(&c->rtt.h[0]);
                s.rtt[1] = rtt_half_base(&c->rtt.h[1]);
                conn_offer(&st->conns, &st->n_conns, TXN_KEEP_CONNS, &s);
                st->cap_conns = TXN_KEEP_CONNS;
        }
        free(t);
        c->txn = NULL;
}

static int item_cmp(const void *x, const void *y) {
        const txn_item_t *a = x, *b = y;
        if (a->part[TP_TOTAL] != b->part[TP_TOTAL])
                return a->part[TP_TOTAL] > b->part[TP_TOTAL] ? -1 : 1;
        return a->req_ts < b->req_ts ? -1 : a->req_ts > b->req_ts;
}

static int conn_cmp(const void *x, const void *y) {
        const txn_conn_sum_t *a = x, *b = y;
        if (a->part[TP_TOTAL] != b->part[TP_TOTAL])
                return a->part[TP_TOTAL] > b->part[TP_TOTAL] ? -1 : 1;
        return addr_compare(&a->key.a, &b->key.a) ? addr_compare(&a->key.a, &b->key.a) : a->key.pa - b->key.pa;
}

void txn_finish(analysis_t *a) {
        txn_state_t *st = &a->txn;
        if (st->items)
                qsort(st->items, st->n, sizeof(txn_item_t), item_cmp);
        if (st->conns)
                qsort(st->conns, st->n_conns, sizeof(txn_conn_sum_t), conn_cmp);
        for (uint32_t i = 0; i < st->n_waits; i++)
                st->client_overlapped = sat_add(st->client_overlapped, span_overlap(st, st->waits[i].from, st->waits[i].to));
}
