/* What the security detectors share: lookups in their bounded tables (SipHash under the analysis's key),
 * which addresses are inside, a flow's first sender and its key from there, the entropy of a name, and small
 * helpers for their findings' titles and filters. A leaf: it calls none of the detectors. */
#include <math.h>
#include <string.h>

#include "engine.h"

/* Private, shared, link-local and loopback addresses: RFC 1918, RFC 6598 (carrier-grade NAT), 127/8,
 * 169.254/16; IPv6 loopback, fc00::/7 (unique local), fe80::/10 (link local). Multicast and broadcast are
 * neither inside nor outside (nobody connects to them): the detectors test security_addr_unicast() too. */
bool security_addr_internal(const addr_t *x) {
        const uint8_t *b = x->b;
        if (x->family == 4)
                return b[0] == 10 || b[0] == 127 || (b[0] == 172 && (b[1] & 0xf0) == 16) ||
                       (b[0] == 192 && b[1] == 168) || (b[0] == 100 && (b[1] & 0xc0) == 64) ||
                       (b[0] == 169 && b[1] == 254);
        if (x->family == 6) {
                static const uint8_t loop[16] = { [15] = 1 };
                return memcmp(b, loop, 16) == 0 || (b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
        }
        return false;
}

bool security_addr_unicast(const addr_t *x) {
        if (x->family == 4)
                return x->b[0] < 224 && x->b[0] != 0;
        return x->family == 6 && x->b[0] != 0xff;
}

static uint64_t sec_hash(const analysis_t *a, const sec_key_t *k) {
        return siphash13(&a->key, k, SEC_KEY_BYTES);
}

void *security_find(analysis_t *a, sec_table_t *t, const sec_key_t *k, bool create, bool *ret_new) {
        if (ret_new)
                *ret_new = false;
        uint64_t h = sec_hash(a, k);
        table_probe_t p;
        for (uint32_t r = table_find(&t->t, &p, h); r != TABLE_NONE; r = table_find_next(&t->t, &p)) {
                sec_key_t *e = table_entry(&t->t, r);
                if (memcmp(e, k, SEC_KEY_BYTES) == 0)
                        return e;
        }
        if (!create)
                return NULL;
        uint32_t r;
        if (t->t.n >= t->max || table_add(&t->t, h, &r) < 0) {
                t->dropped++;
                return NULL;
        }
        sec_key_t *e = table_entry(&t->t, r);
        memset(e, 0, t->t.elem);
        memcpy(e, k, SEC_KEY_BYTES);
        e->used = 1;
        if (ret_new)
                *ret_new = true;
        return e;
}

void security_remove(sec_table_t *t, void *entry) {
        sec_key_t *e = entry;
        e->used = 0;
        table_remove(&t->t, (uint32_t) (((uint8_t *) entry - t->t.e) / t->t.elem));
}

void security_flow_ends(const flow_t *f, addr_t *ret_src, addr_t *ret_dst, uint16_t *ret_sport, uint16_t *ret_dport) {
        bool a = f->first_from_a;
        *ret_src = a ? f->key.a : f->key.b;
        *ret_dst = a ? f->key.b : f->key.a;
        *ret_sport = a ? f->key.pa : f->key.pb;
        *ret_dport = a ? f->key.pb : f->key.pa;
}

int security_first_dir(const flow_t *f) {
        return f->first_from_a == f->client_is_a ? 0 : 1;
}

bool security_flow_connected(const flow_t *f) {
        return f->key.proto == 6 && f->tcp && (f->first_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN && f->tcp->hs == HS_DONE;
}

const char *security_ip(const addr_t *x) {
        return x->family == 6 ? "ipv6" : "ip";
}

double security_span_s(int64_t first, int64_t last) {
        return last > first ? (double) (last - first) / 1e9 : 0;
}

void security_span_note(int64_t *first, int64_t *last, int64_t ts, bool empty) {
        if (empty) {
                *first = *last = ts;
                return;
        }
        if (ts < *first)
                *first = ts;
        if (ts > *last)
                *last = ts;
}

void security_flow_key(const flow_t *f, flow_key_t *ret) {
        *ret = f->key;
        if (!f->first_from_a) {
                ret->a = f->key.b;
                ret->b = f->key.a;
                ret->pa = f->key.pb;
                ret->pb = f->key.pa;
        }
}

double security_entropy_pct(const char *s, size_t n) {
        if (n < 2)
                return 0;
        unsigned count[256] = { 0 };
        bool hex = true;
        for (size_t i = 0; i < n; i++) {
                uint8_t c = (uint8_t) s[i];
                c = c >= 'A' && c <= 'Z' ? c + 32 : c;
                count[c]++;
                hex = hex && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
        }
        double h = 0;
        for (unsigned c = 0; c < 256; c++)
                if (count[c]) {
                        double q = (double) count[c] / (double) n;
                        h -= q * log2(q);
                }
        unsigned alphabet = hex ? 16 : 37;
        double most = log2((double) (n < alphabet ? n : alphabet));
        double pct = 100.0 * h / most;
        return pct > 100 ? 100 : pct;
}
