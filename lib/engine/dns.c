/* DNS (RFC 1035) over UDP and TCP: queries matched to responses by id and 5-tuple, response times,
 * rcodes, unanswered and repeated queries. Names are kept as raw bytes and escaped only when written. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

#define DNS_TIMEOUT (5 * NS_PER_S)

static const char *const rcode_names[16] = {
        "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET",
        "NXRRSET", "NOTAUTH", "NOTZONE", "DSOTYPENI", "RCODE12", "RCODE13", "RCODE14", "RCODE15",
};

const char *dns_rcode_name(unsigned rcode) {
        return rcode < 16 ? rcode_names[rcode] : "UNKNOWN";
}

int dns_init(dns_state_t *d, uint32_t cap, uint64_t seed) {
        uint32_t c = 64;
        while (c < cap * 2u && c < (1u << 24))
                c *= 2;
        *d = (dns_state_t) { .cap = 256 < c ? 256 : c, .cap_max = c, .seed = seed * 0x9e3779b97f4a7c15ULL | 1 };
        d->p = calloc(d->cap, sizeof(dns_pending_t));
        samples_init(&d->rt, 200000, seed);
        return d->p ? 0 : -ENOMEM;
}

void dns_done(dns_state_t *d) {
        free(d->p);
        d->p = NULL;
        samples_done(&d->rt);
}

/* Reads the first question's name as dotted text into out (bounded), following compression pointers
 * with a hop limit. Returns false when the name is malformed or cut by the snaplen. */
static bool dns_read_name(const uint8_t *msg, uint32_t len, uint32_t *off, char *out, uint8_t *out_len) {
        uint32_t pos = *off, o = 0, hops = 0;
        bool jumped = false;
        for (;;) {
                if (pos >= len)
                        return false;
                uint8_t l = msg[pos];
                if ((l & 0xc0) == 0xc0) {
                        if (pos + 1 >= len || ++hops > 16)
                                return false;
                        uint32_t ptr = (uint32_t) (l & 0x3f) << 8 | msg[pos + 1];
                        if (!jumped)
                                *off = pos + 2;
                        jumped = true;
                        pos = ptr;
                        continue;
                }
                if (l & 0xc0)
                        return false;
                pos++;
                if (l == 0)
                        break;
                if (pos + l > len)
                        return false;
                if (o && o < 95)
                        out[o++] = '.';
                for (uint32_t i = 0; i < l && o < 95; i++)
                        out[o++] = (char) msg[pos + i];
                pos += l;
        }
        if (!jumped)
                *off = pos;
        if (o == 0)
                out[o++] = '.';
        out[o] = 0;
        *out_len = (uint8_t) o;
        return true;
}

static uint64_t dns_hash(const dns_state_t *d, const flow_key_t *k, uint16_t id) {
        uint64_t h = d->seed ^ id;
        const uint8_t *b = (const uint8_t *) k;
        for (size_t i = 0; i < sizeof *k; i++)
                h = (h ^ b[i]) * 0x100000001b3ULL;
        return h;
}

static dns_pending_t *dns_find(dns_state_t *d, const flow_key_t *k, uint16_t id, bool create) {
        uint32_t mask = d->cap - 1, i = (uint32_t) dns_hash(d, k, id) & mask;
        dns_pending_t *tomb = NULL;
        for (uint32_t n = 0; n < d->cap; n++, i = (i + 1) & mask) {
                dns_pending_t *e = &d->p[i];
                if (e->used == 0)
                        return create ? (tomb ? tomb : e) : NULL;
                if (e->used == 2) {
                        if (!tomb)
                                tomb = e;
                        continue;
                }
                if (e->id == id && memcmp(&e->key, k, sizeof *k) == 0)
                        return e;
        }
        return create ? tomb : NULL;
}

/* Doubles the pending table (up to cap_max), dropping tombstones. */
static void dns_grow(dns_state_t *d) {
        uint32_t nc = d->cap * 2 <= d->cap_max ? d->cap * 2 : d->cap;
        dns_pending_t *np = calloc(nc, sizeof(dns_pending_t));
        if (!np)
                return;
        dns_pending_t *old = d->p;
        uint32_t oc = d->cap;
        d->p = np;
        d->cap = nc;
        for (uint32_t i = 0; i < oc; i++)
                if (old[i].used == 1) {
                        dns_pending_t *e = dns_find(d, &old[i].key, old[i].id, true);
                        *e = old[i];
                }
        free(old);
}

static void dns_key(flow_key_t *k, const packet_t *p, bool response) {
        /* a = client, b = server, whatever the direction of this message */
        memset(k, 0, sizeof *k);
        k->proto = p->proto;
        if (!response) {
                k->a = p->src;
                k->b = p->dst;
                k->pa = p->sport;
                k->pb = p->dport;
        } else {
                k->a = p->dst;
                k->b = p->src;
                k->pa = p->dport;
                k->pb = p->sport;
        }
}

static bool addr_multicast(const addr_t *x) {
        return (x->family == 4 && (x->b[0] & 0xf0) == 0xe0) || (x->family == 6 && x->b[0] == 0xff);
}

static void dns_unanswered(analysis_t *a, dns_pending_t *e) {
        a->dns.unanswered++;
        if (addr_multicast(&e->key.b)) {
                /* mDNS / LLMNR queries to a group: answers come from any host, or none; not an error */
                a->dns_unanswered_multicast++;
                e->used = 2;
                a->dns.n--;
                return;
        }
        event_t ev = { .ts = e->ts, .key = e->key, .value = e->qtype, .sub = e->retries };
        memcpy(ev.text, e->name, e->name_len);
        ev.text_len = e->name_len;
        event_add(a, EV_DNS_UNANSWERED, &ev);
        series_bucket_t *b = series_at(a, e->ts);
        if (b)
                b->dns_fail++;
        e->used = 2;
        a->dns.n--;
}

static int pending_cmp(const void *x, const void *y) {
        const dns_pending_t *a = *(dns_pending_t *const *) x, *b = *(dns_pending_t *const *) y;
        if (a->ts != b->ts)
                return a->ts < b->ts ? -1 : 1;
        return memcmp(&a->key, &b->key, sizeof a->key) ?: (a->id > b->id) - (a->id < b->id);
}

/* Declares unanswered the queries older than the timeout (all of them when now is INT64_MAX), in time
 * order so that reports do not depend on the table's layout. */
static void dns_expire(analysis_t *a, int64_t now) {
        dns_state_t *d = &a->dns;
        dns_pending_t **v = malloc(sizeof(dns_pending_t *) * (d->n ? d->n : 1));
        uint32_t n = 0;
        for (uint32_t i = 0; i < d->cap; i++)
                if (d->p[i].used == 1 && (now == INT64_MAX || now - d->p[i].ts > DNS_TIMEOUT)) {
                        if (v)
                                v[n++] = &d->p[i];
                        else
                                dns_unanswered(a, &d->p[i]);
                }
        if (v) {
                qsort(v, n, sizeof *v, pending_cmp);
                for (uint32_t i = 0; i < n; i++)
                        dns_unanswered(a, v[i]);
                free(v);
        }
        if (d->n == 0)
                memset(d->p, 0, sizeof(dns_pending_t) * d->cap); /* drop tombstones */
}

void dns_message(analysis_t *a, const packet_t *p, const uint8_t *msg, uint32_t caplen, uint32_t len, bool tcp) {
        dns_state_t *d = &a->dns;
        if (caplen < 12)
                return;
        uint16_t id = (uint16_t) (msg[0] << 8 | msg[1]);
        uint8_t f1 = msg[2], f2 = msg[3];
        bool response = f1 & 0x80;
        unsigned rcode = f2 & 0x0f;
        uint16_t qd = (uint16_t) (msg[4] << 8 | msg[5]);
        char name[96] = "";
        uint8_t name_len = 0;
        uint16_t qtype = 0;
        if (qd > 0) {
                uint32_t off = 12;
                if (dns_read_name(msg, caplen, &off, name, &name_len) && off + 4 <= caplen)
                        qtype = (uint16_t) (msg[off] << 8 | msg[off + 1]);
        }
        if (tcp)
                d->tcp_messages++;
        if (!response) {
                d->queries++;
                flow_key_t k;
                dns_key(&k, p, false);
                dns_pending_t *e = dns_find(d, &k, id, false);
                if (e) {
                        d->repeated++;
                        e->retries++;
                        return; /* the response time counts from the first query */
                }
                if (d->n * 10 >= d->cap * 7 && d->cap < d->cap_max)
                        dns_grow(d);
                if (d->n * 10 >= d->cap * 7 || d->n >= a->lim.max_dns_pending) {
                        /* full: a scan can free room only if a query may have timed out since the last one */
                        if (!d->expired_once || p->ts_ns - d->last_expire >= DNS_TIMEOUT || p->ts_ns < d->last_expire) {
                                d->expired_once = true;
                                d->last_expire = p->ts_ns;
                                dns_expire(a, p->ts_ns);
                                dns_grow(d);
                        }
                        if (d->n * 10 >= d->cap * 7 || d->n >= a->lim.max_dns_pending) {
                                d->dropped_pending++;
                                return;
                        }
                }
                e = dns_find(d, &k, id, true);
                if (!e) {
                        d->dropped_pending++;
                        return;
                }
                *e = (dns_pending_t) { .key = k, .id = id, .used = 1, .ts = p->ts_ns, .qtype = qtype,
                                       .name_len = name_len };
                memcpy(e->name, name, name_len);
                d->n++;
                return;
        }
        d->responses++;
        d->rcodes[rcode]++;
        if (f1 & 0x02)
                d->truncated_flag++;
        flow_key_t k;
        dns_key(&k, p, true);
        dns_pending_t *e = dns_find(d, &k, id, false);
        int64_t rt = -1;
        if (e) {
                rt = p->ts_ns - e->ts;
                if (rt >= 0) {
                        samples_add(&d->rt, rt);
                } else
                        rt = -1;
                e->used = 2;
                d->n--;
        } else
                d->unmatched_responses++;
        if (rcode != 0 || rt > 200 * NS_PER_MS) {
                event_t ev = { .ts = p->ts_ns, .key = k, .sub = (uint8_t) rcode, .value = qtype, .dur = rt };
                memcpy(ev.text, name, name_len);
                ev.text_len = name_len;
                if (rcode == 2 || rcode == 5 || rcode == 3 || rcode == 1 || rcode == 4) {
                        event_add(a, EV_DNS_ERROR, &ev);
                        if (rcode != 3) {
                                series_bucket_t *b = series_at(a, p->ts_ns);
                                if (b)
                                        b->dns_fail++;
                        }
                }
                if (rt > 200 * NS_PER_MS)
                        event_add(a, EV_DNS_SLOW, &ev);
        }
}

void dns_finish(analysis_t *a) {
        dns_expire(a, INT64_MAX);
}
