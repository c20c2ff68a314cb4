/* DNS (RFC 1035) over UDP and TCP: queries matched to responses by id and 5-tuple, response times,
 * rcodes, unanswered and repeated queries; DNS on other UDP ports, found by a strict heuristic and counted
 * apart. Names are kept as raw bytes and escaped only when written. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "util/macro.h"

static const char *const rcode_names[16] = {
        "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET",
        "NXRRSET", "NOTAUTH", "NOTZONE", "DSOTYPENI", "RCODE12", "RCODE13", "RCODE14", "RCODE15",
};

const char *dns_rcode_name(unsigned rcode) {
        return rcode < 16 ? rcode_names[rcode] : "UNKNOWN";
}

int dns_init(dns_state_t *d, uint32_t cap, uint64_t seed) {
        *d = (dns_state_t) { .limit = cap ? cap : 1 };
        samples_init(&d->rt, 200000, seed);
        return table_init(&d->t, sizeof(dns_pending_t), 128, d->limit);
}

void dns_done(dns_state_t *d) {
        free(d->nx);
        d->nx = NULL;
        table_done(&d->t);
        samples_done(&d->rt);
}

bool dns_header_plausible(const uint8_t *msg, size_t caplen, uint32_t len) {
        cursor_t c = cursor_make(msg, caplen);
        cursor_skip(&c, 2);
        uint16_t flags = cursor_be16(&c), qd = cursor_be16(&c);
        uint32_t rr = cursor_be16(&c);
        rr += cursor_be16(&c);
        rr += cursor_be16(&c);
        if (c.bad)
                return false;
        unsigned opcode = (flags >> 11) & 0xf;
        if (opcode > 5 || opcode == 3 || (flags & 0x0040) || qd != 1)
                return false;
        return rr * 11 <= len; /* every record takes at least 11 bytes */
}

/* Reads the name at *off into ret (text bounded), following compression pointers with a hop limit; *off
 * moves past it. Returns false when the name is malformed or cut by the snaplen. */
static bool dns_read_name(const uint8_t *msg, uint32_t caplen, uint32_t *off, dns_name_t *ret) {
        cursor_t c = *off <= caplen ? cursor_make(msg + *off, caplen - *off) : cursor_make(NULL, 0);
        uint32_t o = 0, hops = 0, h = 2166136261u, wire = 1;
        bool jumped = false;
        const uint8_t *last_p = NULL, *prev_p = NULL; /* the last two labels: the domain */
        uint8_t last_l = 0, prev_l = 0;
        for (;;) {
                uint8_t l = cursor_u8(&c);
                if (c.bad)
                        return false;
                if ((l & 0xc0) == 0xc0) {
                        uint8_t lo = cursor_u8(&c);
                        if (c.bad || ++hops > 16)
                                return false;
                        uint32_t ptr = (uint32_t) (l & 0x3f) << 8 | lo;
                        if (!jumped)
                                *off = caplen - (uint32_t) c.len;
                        jumped = true;
                        c = ptr <= caplen ? cursor_make(msg + ptr, caplen - ptr) : cursor_make(NULL, 0);
                        continue;
                }
                if (l & 0xc0)
                        return false;
                if (l == 0)
                        break;
                if (!cursor_has(&c, l))
                        return false;
                prev_p = last_p;
                prev_l = last_l;
                last_p = c.p;
                last_l = l;
                if (o && o < 95)
                        ret->text[o++] = '.';
                h = (h ^ l) * 16777619u;
                for (uint32_t i = 0; i < l; i++) {
                        uint8_t b = cursor_u8(&c);
                        if (o < 95)
                                ret->text[o++] = (char) b;
                        h = (h ^ (b >= 'A' && b <= 'Z' ? b + 32u : b)) * 16777619u;
                }
                wire += 1u + l;
        }
        if (!jumped)
                *off = caplen - (uint32_t) c.len;
        if (o == 0)
                ret->text[o++] = '.';
        ret->text[o] = 0;
        ret->len = (uint8_t) o;
        ret->wire = wire;
        ret->hash = h;
        /* the domain: the last two labels (no public-suffix list: "co.uk" names are cut one label short) */
        uint32_t t = 0;
        if (prev_l) {
                memcpy(ret->domain, prev_p, MIN(prev_l, (uint8_t) (sizeof ret->domain - 1)));
                t = MIN(prev_l, (uint8_t) (sizeof ret->domain - 1));
        }
        if (last_l && t + 1 < sizeof ret->domain) {
                if (t)
                        ret->domain[t++] = '.';
                uint32_t k = MIN((uint32_t) last_l, (uint32_t) sizeof ret->domain - 1 - t);
                memcpy(ret->domain + t, last_p, k);
                t += k;
        }
        ret->domain[t] = 0;
        ret->domain_len = (uint8_t) t;
        uint32_t labels = wire - 1; /* label bytes and their length bytes */
        uint32_t tail = (last_l ? 1u + last_l : 0) + (prev_l ? 1u + prev_l : 0);
        ret->sub_bytes = labels > tail ? labels - tail - 1 : 0; /* the dots between them, as text */
        ret->pointer = jumped;
        return true;
}

/* The first question: its name (empty when malformed), and its type and class when all of it was captured. */
typedef struct dns_question {
        dns_name_t name;
        uint16_t qtype, qclass;
        uint32_t end;            /* the offset after it */
        bool whole;
} dns_question_t;

static void dns_read_question(const uint8_t *msg, uint32_t caplen, dns_question_t *ret) {
        ret->end = 12;
        ret->whole = false;
        ret->qtype = ret->qclass = 0;
        ret->name.len = 0;
        if (!dns_read_name(msg, caplen, &ret->end, &ret->name)) {
                ret->name.len = 0;
                return;
        }
        cursor_t c = cursor_make(msg + ret->end, caplen - ret->end);
        uint16_t qtype = cursor_be16(&c), qclass = cursor_be16(&c);
        if (c.bad)
                return;
        ret->qtype = qtype;
        ret->qclass = qclass;
        ret->end += 4;
        ret->whole = true;
}

/* SipHash-1-3 of the flow and the id under the analysis's key: query ids and ports are the uploader's. */
static uint64_t dns_hash(const dns_state_t *d, const flow_key_t *k, uint16_t id) {
        uint8_t b[FLOW_KEY_PACKED + 2];
        flow_key_pack(k, b);
        memcpy(b + FLOW_KEY_PACKED, &id, 2);
        return siphash13(&d->key, b, sizeof b);
}

static dns_pending_t *dns_find(dns_state_t *d, const flow_key_t *k, uint16_t id, uint64_t h) {
        table_probe_t p;
        for (uint32_t r = table_find(&d->t, &p, h); r != TABLE_NONE; r = table_find_next(&d->t, &p)) {
                dns_pending_t *e = table_entry(&d->t, r);
                if (e->id == id && memcmp(&e->key, k, sizeof *k) == 0)
                        return e;
        }
        return NULL;
}

/* e leaves the table. */
static void dns_pending_remove(dns_state_t *d, dns_pending_t *e) {
        e->used = 0;
        table_remove(&d->t, (uint32_t) (e - (dns_pending_t *) d->t.e));
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

static void dns_unanswered(analysis_t *a, dns_state_t *d, dns_pending_t *e) {
        d->unanswered++;
        dns_pending_remove(d, e);
        if (d->apart)
                return;
        if (addr_multicast(&e->key.b)) {
                /* mDNS / LLMNR queries to a group: answers come from any host, or none; not an error */
                a->dns_unanswered_multicast++;
                return;
        }
        event_t ev = { .ts = e->ts, .frame = e->frame, .key = e->key, .value = e->qtype, .sub = e->retries };
        memcpy(ev.text, e->name, e->name_len);
        ev.text_len = e->name_len;
        event_add(a, EV_DNS_UNANSWERED, &ev);
        series_bucket_t *b = series_at(a, e->ts);
        if (b)
                b->dns_fail++;
}

static int pending_cmp(const void *x, const void *y) {
        const dns_pending_t *a = *(dns_pending_t *const *) x, *b = *(dns_pending_t *const *) y;
        if (a->ts != b->ts)
                return a->ts < b->ts ? -1 : 1;
        return memcmp(&a->key, &b->key, sizeof a->key) ?: (a->id > b->id) - (a->id < b->id);
}

/* Declares unanswered the queries older than the timeout (all of them when now is INT64_MAX), in time
 * order so that reports do not depend on the table's layout. */
static void dns_expire(analysis_t *a, dns_state_t *d, int64_t now) {
        dns_pending_t **v = malloc(sizeof(dns_pending_t *) * (d->t.n ? d->t.n : 1));
        uint32_t n = 0;
        for (uint32_t i = 0; i < d->t.top; i++) {
                dns_pending_t *e = table_entry(&d->t, i);
                if (e->used == 1 && (now == INT64_MAX || now - e->ts > threshold_ns(a, TH_DNS_TIMEOUT))) {
                        if (v)
                                v[n++] = e;
                        else
                                dns_unanswered(a, d, e);
                }
        }
        if (v) {
                qsort(v, n, sizeof *v, pending_cmp);
                for (uint32_t i = 0; i < n; i++)
                        dns_unanswered(a, d, v[i]);
                free(v);
        }
}

/* ---- search-path NXDOMAIN (ANALYSES.md) ----
 * A resolver with a search list (Kubernetes' ndots:5 above all) asks name.D1, name.D2, ... before (or after) the
 * name itself; the wrong guesses come back NXDOMAIN although nothing failed. An NXDOMAIN answer for N is one
 * of those when, within DNS_NX_WINDOW after it, the same client gets a NOERROR answer for S, where N and S
 * start with the same labels L (at least one), and S is L itself or L followed by a domain that ends N's
 * domain (the search domains nest: ns.svc.cluster.local, svc.cluster.local, cluster.local). */
#define DNS_NX_WINDOW (10 * NS_PER_S)

/* Labels: the number of bytes of the common label prefix of a and b (0 when not even one label). */
static size_t labels_common(const char *a, size_t an, const char *b, size_t bn) {
        size_t i = 0, last = 0;
        for (;; i++) {
                bool ae = i == an || a[i] == '.', be = i == bn || b[i] == '.';
                if (ae && be) {
                        last = i;
                        if (i == an || i == bn)
                                return last;
                        continue;
                }
                if (ae || be)
                        return last;
                char x = a[i], y = b[i];
                if (x >= 'A' && x <= 'Z')
                        x = (char) (x - 'A' + 'a');
                if (y >= 'A' && y <= 'Z')
                        y = (char) (y - 'A' + 'a');
                if (x != y)
                        return last;
        }
}

/* s (n bytes) ends with the labels of t (m bytes), any case. */
static bool labels_suffix(const char *s, size_t n, const char *t, size_t m) {
        if (m > n || (m < n && s[n - m - 1] != '.'))
                return false;
        for (size_t i = 0; i < m; i++) {
                char x = s[n - m + i], y = t[i];
                if (x >= 'A' && x <= 'Z')
                        x = (char) (x - 'A' + 'a');
                if (y >= 'A' && y <= 'Z')
                        y = (char) (y - 'A' + 'a');
                if (x != y)
                        return false;
        }
        return true;
}

bool dns_search_path_pair(const char *nx, size_t nn, const char *ok, size_t on) {
        size_t l = labels_common(nx, nn, ok, on);
        if (l == 0 || l >= nn)
                return false; /* no common label, or nothing added to the name */
        if (l == on)
                return true; /* the name itself answered */
        return labels_suffix(nx + l + 1, nn - l - 1, ok + l + 1, on - l - 1);
}

static void dns_nx_note(analysis_t *a, dns_state_t *d, const flow_key_t *k, int64_t ts, const dns_name_t *name,
                        uint32_t ev) {
        if (!d->nx && !(d->nx = calloc(DNS_NX_RECENT, sizeof(*d->nx))))
                return;
        dns_nx_t *x = &d->nx[d->nx_next];
        *x = (dns_nx_t) { .client = k->a, .ts = ts, .ev = ev, .len = (uint8_t) MIN(name->len, sizeof(x->name)) };
        memcpy(x->name, name->text, x->len);
        d->nx_next = (d->nx_next + 1) % DNS_NX_RECENT;
        if (d->nx_n < DNS_NX_RECENT)
                d->nx_n++;
}

static void dns_nx_answered(analysis_t *a, dns_state_t *d, const flow_key_t *k, int64_t ts, const dns_name_t *name) {
        /* newest first; older than the window ends the search */
        for (uint32_t i = 0; i < d->nx_n; i++) {
                dns_nx_t *x = &d->nx[(d->nx_next + DNS_NX_RECENT - 1 - i) % DNS_NX_RECENT];
                if (ts - x->ts > DNS_NX_WINDOW)
                        break;
                if (x->matched || memcmp(&x->client, &k->a, sizeof(x->client)) != 0 ||
                    !dns_search_path_pair(x->name, x->len, name->text, name->len))
                        continue;
                x->matched = true;
                d->nxdomain_search++;
                if (x->ev < a->ev[EV_DNS_ERROR].n)
                        a->ev[EV_DNS_ERROR].v[x->ev].sub2 = 1;
        }
}

/* A query waits in d's table for its answer; a repeat (the same id from the same client to the same server)
 * does not restart the clock: the response time counts from the first. */
static void dns_query(analysis_t *a, dns_state_t *d, const packet_t *p, uint16_t id, const dns_question_t *q) {
        d->queries++;
        flow_key_t k;
        dns_key(&k, p, false);
        uint64_t h = dns_hash(d, &k, id);
        dns_pending_t *e = dns_find(d, &k, id, h);
        if (e) {
                d->repeated++;
                e->retries++;
                return;
        }
        if (d->t.n >= d->limit) {
                /* full: a scan can free room only if a query may have timed out since the last one */
                if (!d->expired_once || p->ts_ns - d->last_expire >= threshold_ns(a, TH_DNS_TIMEOUT) || p->ts_ns < d->last_expire) {
                        d->expired_once = true;
                        d->last_expire = p->ts_ns;
                        dns_expire(a, d, p->ts_ns);
                }
                if (d->t.n >= d->limit) {
                        d->dropped_pending++;
                        return;
                }
        }
        uint32_t r;
        if (table_add(&d->t, h, &r) < 0) {
                d->dropped_pending++;
                return;
        }
        e = table_entry(&d->t, r);
        *e = (dns_pending_t) { .key = k, .id = id, .used = 1, .ts = p->ts_ns, .frame = p->frame, .qtype = q->qtype,
                               .qclass = q->qclass, .qhash = q->name.hash, .name_len = q->name.len };
        memcpy(e->name, q->name.text, q->name.len);
}

/* The answer to e: e leaves the table; returns the response time, -1 when the clock went backwards. */
static int64_t dns_answered(dns_state_t *d, dns_pending_t *e, int64_t ts) {
        int64_t rt = ts - e->ts;
        if (rt >= 0)
                samples_add(&d->rt, rt);
        else
                rt = -1;
        dns_pending_remove(d, e);
        return rt;
}

void dns_message(analysis_t *a, const packet_t *p, const uint8_t *msg, uint32_t caplen, uint32_t len, bool tcp) {
        dns_state_t *d = &a->dns;
        if (caplen < 12)
                return;
        cursor_t c = cursor_make(msg, caplen);
        uint16_t id = cursor_be16(&c), flags = cursor_be16(&c), qd = cursor_be16(&c);
        bool response = flags & 0x8000;
        unsigned rcode = flags & 0x0f;
        dns_question_t q = { .name.text = "" };
        if (qd > 0)
                dns_read_question(msg, caplen, &q);
        if (tcp)
                d->tcp_messages++;
        if (!response) {
                dns_query(a, d, p, id, &q);
                if (p->dport == 53 && q.whole)
                        security_dns_query(a, p, &q.name, q.qtype); /* not mDNS, LLMNR or other ports */
                return;
        }
        d->responses++;
        d->rcodes[rcode]++;
        if (flags & 0x0200)
                d->truncated_flag++;
        flow_key_t k;
        dns_key(&k, p, true);
        dns_pending_t *e = dns_find(d, &k, id, dns_hash(d, &k, id));
        int64_t rt = -1;
        uint64_t query_frame = 0;
        if (e) {
                query_frame = e->frame;
                rt = dns_answered(d, e, p->ts_ns);
        } else
                d->unmatched_responses++;
        if (rcode != 0 || rt > threshold_ns(a, TH_DNS_SLOW)) {
                event_t ev = { .ts = p->ts_ns, .frame = p->frame, .frame2 = query_frame, .key = k,
                               .sub = (uint8_t) rcode, .value = q.qtype, .dur = rt };
                memcpy(ev.text, q.name.text, q.name.len);
                ev.text_len = q.name.len;
                if (rcode == 2 || rcode == 5 || rcode == 3 || rcode == 1 || rcode == 4) {
                        uint32_t before = a->ev[EV_DNS_ERROR].n;
                        event_add(a, EV_DNS_ERROR, &ev);
                        if (rcode == 3 && !d->apart && q.name.len)
                                dns_nx_note(a, d, &k, p->ts_ns, &q.name,
                                            a->ev[EV_DNS_ERROR].n > before ? before : UINT32_MAX);
                        if (rcode != 3) {
                                series_bucket_t *b = series_at(a, p->ts_ns);
                                if (b)
                                        b->dns_fail++;
                        }
                }
                if (rt > threshold_ns(a, TH_DNS_SLOW))
                        event_add(a, EV_DNS_SLOW, &ev);
        }
        if (rcode == 0 && d->nx_n && !d->apart && q.name.len)
                dns_nx_answered(a, d, &k, p->ts_ns, &q.name);
}

/* NetBIOS name service (RFC 1002) writes DNS's format to port 137; tshark gives that port to NBNS too. */
static bool dns_other_port_excluded(uint16_t port) {
        return port == 137;
}

static bool dns_qclass_known(uint16_t qclass) {
        return qclass == 1 || qclass == 3 || qclass == 4 || qclass == 255; /* IN, CH, HS, ANY */
}

/* Steps over n resource records from *off: false when one does not parse within caplen bytes. */
static bool dns_skip_records(const uint8_t *msg, uint32_t caplen, uint32_t *off, unsigned n) {
        for (unsigned i = 0; i < n; i++) {
                dns_name_t name;
                if (!dns_read_name(msg, caplen, off, &name))
                        return false;
                cursor_t c = cursor_make(msg + *off, caplen - *off);
                cursor_skip(&c, 8); /* type, class, TTL */
                uint16_t rdlen = cursor_be16(&c);
                if (!cursor_skip(&c, rdlen))
                        return false;
                *off = caplen - (uint32_t) c.len;
        }
        return true;
}

static void dns_other_count_port(dns_other_t *o, uint16_t port) {
        for (unsigned i = 0; i < o->n_ports; i++)
                if (o->ports[i].port == port) {
                        o->ports[i].queries++;
                        return;
                }
        if (o->n_ports < DNS_OTHER_PORTS) {
                o->ports[o->n_ports].port = port;
                o->ports[o->n_ports++].queries = 1;
        } else
                o->unlisted_port_queries++;
}

/* The rule and its reasons: ANALYSES.md, "DNS on other ports". Every test before the question's name is on
 * the 12 header bytes, so the datagrams that are not DNS cost a few comparisons. */
void dns_other_message(analysis_t *a, const packet_t *p, const uint8_t *msg, uint32_t caplen, uint32_t len) {
        if (len < 17 || !dns_header_plausible(msg, caplen, len))
                return; /* 17: a header and the smallest question */
        cursor_t c = cursor_make(msg, caplen);
        uint16_t id = cursor_be16(&c), flags = cursor_be16(&c);
        cursor_skip(&c, 2);
        uint16_t an = cursor_be16(&c), ns = cursor_be16(&c), ar = cursor_be16(&c);
        bool response = flags & 0x8000;
        if (flags & 0x7800)
                return; /* a standard query (opcode 0) or its answer only */
        if (!response && ((flags & 0x06cf) || an || ns || ar > 2))
                return; /* a query: AA, TC, RA, Z and RCODE clear, nothing but an OPT and a TSIG */
        if (dns_other_port_excluded(p->sport) || dns_other_port_excluded(p->dport))
                return;
        dns_question_t q;
        dns_read_question(msg, caplen, &q);
        if (!q.whole || q.name.pointer || q.name.wire > 255 || q.qtype == 0 || !dns_qclass_known(q.qclass))
                return;
        if (((uint32_t) an + ns + ar) * 11 > len - q.end)
                return;
        dns_other_t *o = &a->dns_other;
        if (!response) {
                uint32_t end = q.end;
                if (caplen == len && (!dns_skip_records(msg, caplen, &end, ar) || end != len))
                        return; /* its records do not parse, or bytes follow them: not one DNS message */
                dns_other_count_port(o, p->dport);
                dns_query(a, &o->s, p, id, &q);
                return;
        }
        flow_key_t k;
        dns_key(&k, p, true);
        dns_pending_t *e = dns_find(&o->s, &k, id, dns_hash(&o->s, &k, id));
        if (!e || e->qtype != q.qtype || e->qclass != q.qclass || e->qhash != q.name.hash)
                return; /* answers no query seen here: not taken for DNS */
        o->s.responses++;
        o->s.rcodes[flags & 0x0f]++;
        dns_answered(&o->s, e, p->ts_ns);
}

void dns_finish(analysis_t *a) {
        dns_expire(a, &a->dns, INT64_MAX);
        dns_expire(a, &a->dns_other.s, INT64_MAX);
}
