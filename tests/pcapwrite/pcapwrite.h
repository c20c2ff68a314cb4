/* The C tests' one writer of packets and capture files (Python: pcapwrite.py beside it; the web tests:
 * tests/web/pcap.mjs): a growable byte buffer, packet builders (Ethernet, VLAN, IPv4/IPv6, TCP/UDP with
 * options, DNS) and classic pcap and pcapng files built in memory, in either byte order, well-formed or with
 * fields that lie. Header-only, for the engine's and the daemons' tests. */
#pragma once

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a growable byte buffer: packets and capture files ---- */

typedef struct tu_buf {
        uint8_t *b;
        size_t n, cap;
} tu_buf_t;

static inline void tu_reserve(tu_buf_t *t, size_t more) {
        if (t->n + more <= t->cap)
                return;
        size_t nc = t->cap ? t->cap : 256;
        while (nc < t->n + more)
                nc *= 2;
        t->b = realloc(t->b, nc);
        if (!t->b) {
                perror("realloc");
                abort();
        }
        t->cap = nc;
}
static inline void tu_free(tu_buf_t *t) {
        free(t->b);
        *t = (tu_buf_t) { 0 };
}
static inline void tu_reset(tu_buf_t *t) { t->n = 0; }
static inline size_t tu_put(tu_buf_t *t, const void *p, size_t n) {
        tu_reserve(t, n);
        size_t off = t->n;
        if (n)
                memcpy(t->b + t->n, p, n);
        t->n += n;
        return off;
}
static inline size_t tu_zero(tu_buf_t *t, size_t n) {
        tu_reserve(t, n);
        size_t off = t->n;
        memset(t->b + t->n, 0, n);
        t->n += n;
        return off;
}
static inline void tu_u8(tu_buf_t *t, uint8_t v) { tu_put(t, &v, 1); }
static inline void tu_be16(tu_buf_t *t, uint16_t v) {
        uint8_t x[2] = { (uint8_t) (v >> 8), (uint8_t) v };
        tu_put(t, x, 2);
}
static inline void tu_be32(tu_buf_t *t, uint32_t v) {
        uint8_t x[4] = { (uint8_t) (v >> 24), (uint8_t) (v >> 16), (uint8_t) (v >> 8), (uint8_t) v };
        tu_put(t, x, 4);
}
static inline void tu_le16(tu_buf_t *t, uint16_t v) {
        uint8_t x[2] = { (uint8_t) v, (uint8_t) (v >> 8) };
        tu_put(t, x, 2);
}
static inline void tu_le32(tu_buf_t *t, uint32_t v) {
        uint8_t x[4] = { (uint8_t) v, (uint8_t) (v >> 8), (uint8_t) (v >> 16), (uint8_t) (v >> 24) };
        tu_put(t, x, 4);
}
/* endian-selectable writers for capture files */
static inline void tu_w16(tu_buf_t *t, bool be, uint16_t v) { be ? tu_be16(t, v) : tu_le16(t, v); }
static inline void tu_w32(tu_buf_t *t, bool be, uint32_t v) { be ? tu_be32(t, v) : tu_le32(t, v); }
static inline void tu_set_be16(tu_buf_t *t, size_t off, uint16_t v) {
        t->b[off] = (uint8_t) (v >> 8);
        t->b[off + 1] = (uint8_t) v;
}
static inline void tu_set_be32(tu_buf_t *t, size_t off, uint32_t v) {
        t->b[off] = (uint8_t) (v >> 24);
        t->b[off + 1] = (uint8_t) (v >> 16);
        t->b[off + 2] = (uint8_t) (v >> 8);
        t->b[off + 3] = (uint8_t) v;
}
/* payload bytes with a recognisable pattern */
static inline void tu_pattern(tu_buf_t *t, size_t n) {
        tu_reserve(t, n);
        for (size_t i = 0; i < n; i++)
                t->b[t->n + i] = (uint8_t) ('a' + i % 26);
        t->n += n;
}

/* ---- packet builders ---- */

static inline uint16_t tu_csum(const uint8_t *p, size_t n) {
        uint32_t s = 0;
        for (size_t i = 0; i + 1 < n; i += 2)
                s += (uint32_t) (p[i] << 8 | p[i + 1]);
        if (n & 1)
                s += (uint32_t) p[n - 1] << 8;
        while (s >> 16)
                s = (s & 0xffff) + (s >> 16);
        return (uint16_t) ~s;
}

static inline void tu_eth(tu_buf_t *t, uint16_t ethertype) {
        static const uint8_t macs[12] = { 0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01 };
        tu_put(t, macs, 12);
        tu_be16(t, ethertype);
}
/* After an ethertype 0x8100/0x88a8/0x9100: the tag's TCI and the next type. */
static inline void tu_vlan(tu_buf_t *t, uint16_t vid, uint16_t next_type) {
        tu_be16(t, vid);
        tu_be16(t, next_type);
}

static inline void tu_addr4(uint8_t out[4], const char *s) {
        if (inet_pton(AF_INET, s, out) != 1) {
                fprintf(stderr, "bad IPv4 literal %s\n", s);
                abort();
        }
}
static inline void tu_addr6(uint8_t out[16], const char *s) {
        if (inet_pton(AF_INET6, s, out) != 1) {
                fprintf(stderr, "bad IPv6 literal %s\n", s);
                abort();
        }
}

/* IPv4 header (with options, padded to 4 bytes); returns its offset for tu_ipv4_end(). */
static inline size_t tu_ipv4(tu_buf_t *t, const char *src, const char *dst, uint8_t proto, const uint8_t *opts,
                             size_t optlen) {
        size_t off = t->n;
        size_t ol = (optlen + 3) & ~(size_t) 3;
        tu_u8(t, (uint8_t) (0x40 | ((20 + ol) / 4)));
        tu_u8(t, 0);
        tu_be16(t, 0); /* total length: tu_ipv4_end */
        tu_be16(t, 0x1234);
        tu_be16(t, 0x4000); /* DF */
        tu_u8(t, 64);
        tu_u8(t, proto);
        tu_be16(t, 0);
        uint8_t a[4];
        tu_addr4(a, src);
        tu_put(t, a, 4);
        tu_addr4(a, dst);
        tu_put(t, a, 4);
        tu_put(t, opts, optlen);
        tu_zero(t, ol - optlen);
        return off;
}
static inline void tu_ipv4_end(tu_buf_t *t, size_t off) {
        tu_set_be16(t, off + 2, (uint16_t) (t->n - off));
        size_t ihl = (size_t) (t->b[off] & 0x0f) * 4;
        tu_set_be16(t, off + 10, 0);
        tu_set_be16(t, off + 10, tu_csum(t->b + off, ihl));
}
static inline void tu_ipv4_frag(tu_buf_t *t, size_t off, uint16_t id, uint32_t frag_off_bytes, bool mf) {
        tu_set_be16(t, off + 4, id);
        tu_set_be16(t, off + 6, (uint16_t) ((mf ? 0x2000 : 0) | (frag_off_bytes / 8)));
}

static inline size_t tu_ipv6(tu_buf_t *t, const char *src, const char *dst, uint8_t nh) {
        size_t off = t->n;
        tu_be32(t, 0x60000000);
        tu_be16(t, 0);
        tu_u8(t, nh);
        tu_u8(t, 64);
        uint8_t a[16];
        tu_addr6(a, src);
        tu_put(t, a, 16);
        tu_addr6(a, dst);
        tu_put(t, a, 16);
        return off;
}
static inline void tu_ipv6_end(tu_buf_t *t, size_t off) { tu_set_be16(t, off + 4, (uint16_t) (t->n - off - 40)); }

/* TCP header; options padded with zeros (EOL) to 4 bytes. */
static inline size_t tu_tcp(tu_buf_t *t, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
                            uint16_t win, const uint8_t *opts, size_t optlen) {
        size_t off = t->n;
        size_t ol = (optlen + 3) & ~(size_t) 3;
        tu_be16(t, sport);
        tu_be16(t, dport);
        tu_be32(t, seq);
        tu_be32(t, ack);
        tu_u8(t, (uint8_t) (((20 + ol) / 4) << 4));
        tu_u8(t, flags);
        tu_be16(t, win);
        tu_be16(t, 0);
        tu_be16(t, 0);
        tu_put(t, opts, optlen);
        tu_zero(t, ol - optlen);
        return off;
}

static inline size_t tu_udp(tu_buf_t *t, uint16_t sport, uint16_t dport) {
        size_t off = t->n;
        tu_be16(t, sport);
        tu_be16(t, dport);
        tu_be16(t, 0);
        tu_be16(t, 0);
        return off;
}
static inline void tu_udp_end(tu_buf_t *t, size_t off) { tu_set_be16(t, off + 4, (uint16_t) (t->n - off)); }

/* TCP option encoders: append to an option byte array, return the new length. */
static inline size_t tu_opt_mss(uint8_t *o, size_t n, uint16_t mss) {
        o[n] = 2; o[n + 1] = 4; o[n + 2] = (uint8_t) (mss >> 8); o[n + 3] = (uint8_t) mss;
        return n + 4;
}
static inline size_t tu_opt_ws(uint8_t *o, size_t n, uint8_t shift) {
        o[n] = 1; o[n + 1] = 3; o[n + 2] = 3; o[n + 3] = shift; /* NOP + WS */
        return n + 4;
}
static inline size_t tu_opt_sackperm(uint8_t *o, size_t n) {
        o[n] = 1; o[n + 1] = 1; o[n + 2] = 4; o[n + 3] = 2;
        return n + 4;
}
static inline size_t tu_opt_ts(uint8_t *o, size_t n, uint32_t val, uint32_t ecr) {
        o[n] = 1; o[n + 1] = 1; o[n + 2] = 8; o[n + 3] = 10;
        for (int i = 0; i < 4; i++) {
                o[n + 4 + i] = (uint8_t) (val >> (24 - 8 * i));
                o[n + 8 + i] = (uint8_t) (ecr >> (24 - 8 * i));
        }
        return n + 12;
}
static inline size_t tu_opt_sack(uint8_t *o, size_t n, const uint32_t (*blocks)[2], unsigned nb) {
        o[n] = 1; o[n + 1] = 1; o[n + 2] = 5; o[n + 3] = (uint8_t) (2 + 8 * nb);
        size_t k = n + 4;
        for (unsigned i = 0; i < nb; i++)
                for (int e = 0; e < 2; e++)
                        for (int b = 0; b < 4; b++)
                                o[k++] = (uint8_t) (blocks[i][e] >> (24 - 8 * b));
        return k;
}

/* A whole Ethernet + IPv4/IPv6 (by the address syntax) + TCP frame with paylen pattern bytes. */
static inline void tu_tcp_frame(tu_buf_t *t, const char *src, uint16_t sport, const char *dst, uint16_t dport,
                                uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win, const uint8_t *opts,
                                size_t optlen, size_t paylen) {
        bool v6 = strchr(src, ':') != NULL;
        tu_reset(t);
        tu_eth(t, v6 ? 0x86dd : 0x0800);
        size_t ip = v6 ? tu_ipv6(t, src, dst, 6) : tu_ipv4(t, src, dst, 6, NULL, 0);
        tu_tcp(t, sport, dport, seq, ack, flags, win, opts, optlen);
        tu_pattern(t, paylen);
        if (v6)
                tu_ipv6_end(t, ip);
        else
                tu_ipv4_end(t, ip);
}

static inline void tu_udp_frame(tu_buf_t *t, const char *src, uint16_t sport, const char *dst, uint16_t dport,
                                const void *payload, size_t paylen) {
        bool v6 = strchr(src, ':') != NULL;
        tu_reset(t);
        tu_eth(t, v6 ? 0x86dd : 0x0800);
        size_t ip = v6 ? tu_ipv6(t, src, dst, 17) : tu_ipv4(t, src, dst, 17, NULL, 0);
        size_t u = tu_udp(t, sport, dport);
        if (payload)
                tu_put(t, payload, paylen);
        else
                tu_pattern(t, paylen);
        tu_udp_end(t, u);
        if (v6)
                tu_ipv6_end(t, ip);
        else
                tu_ipv4_end(t, ip);
}

/* A DNS message with one question (name in dotted form; a label may hold any byte except '.'), plus ancount
 * A records pointing at the question name. flags: the 16-bit flags word (0x8180 = response, RD, RA). */
static inline void tu_dns(tu_buf_t *t, uint16_t id, uint16_t flags, const char *name, uint16_t qtype,
                          uint16_t ancount) {
        tu_be16(t, id);
        tu_be16(t, flags);
        tu_be16(t, 1);
        tu_be16(t, ancount);
        tu_be16(t, 0);
        tu_be16(t, 0);
        const char *p = name;
        while (*p) {
                const char *dot = strchr(p, '.');
                size_t l = dot ? (size_t) (dot - p) : strlen(p);
                tu_u8(t, (uint8_t) l);
                tu_put(t, p, l);
                p += l;
                if (*p == '.')
                        p++;
        }
        tu_u8(t, 0);
        tu_be16(t, qtype);
        tu_be16(t, 1);
        for (uint16_t i = 0; i < ancount; i++) {
                tu_be16(t, 0xc00c);
                tu_be16(t, 1);
                tu_be16(t, 1);
                tu_be32(t, 60);
                tu_be16(t, 4);
                tu_be32(t, 0x0a000001 + i);
        }
}

/* ---- capture files in memory ---- */

/* classic pcap, every field as given (any magic and version, for files no reader should take) */
static inline void tu_pcap_file_header(tu_buf_t *t, bool be, uint32_t magic, uint16_t major, uint16_t minor,
                                       uint32_t snaplen, uint32_t linktype) {
        tu_w32(t, be, magic);
        tu_w16(t, be, major);
        tu_w16(t, be, minor);
        tu_w32(t, be, 0);
        tu_w32(t, be, 0);
        tu_w32(t, be, snaplen);
        tu_w32(t, be, linktype);
}
/* a record's header alone: the caller appends the bytes, as many as it likes (caplen may lie) */
static inline void tu_pcap_record_header(tu_buf_t *t, bool be, uint32_t sec, uint32_t frac, uint32_t caplen,
                                         uint32_t len) {
        tu_w32(t, be, sec);
        tu_w32(t, be, frac);
        tu_w32(t, be, caplen);
        tu_w32(t, be, len);
}
/* classic pcap version 2.4: nano selects the 0xa1b23c4d magic; be writes a big-endian file */
static inline void tu_pcap_header(tu_buf_t *t, bool be, bool nano, uint32_t linktype, uint32_t snaplen) {
        tu_pcap_file_header(t, be, nano ? 0xa1b23c4d : 0xa1b2c3d4, 2, 4, snaplen, linktype);
}
static inline void tu_pcap_record(tu_buf_t *t, bool be, bool nano, int64_t ts_ns, const void *data, uint32_t caplen,
                                  uint32_t len) {
        tu_pcap_record_header(t, be, (uint32_t) (ts_ns / 1000000000),
                              (uint32_t) (nano ? ts_ns % 1000000000 : ts_ns % 1000000000 / 1000), caplen, len);
        tu_put(t, data, caplen);
}

/* pcapng: a generic block (body padded to 4 bytes) */
static inline void tu_ng_block(tu_buf_t *t, bool be, uint32_t type, const void *body, size_t n) {
        size_t pad = (4 - n % 4) % 4;
        uint32_t len = (uint32_t) (12 + n + pad);
        tu_w32(t, be, type);
        tu_w32(t, be, len);
        tu_put(t, body, n);
        tu_zero(t, pad);
        tu_w32(t, be, len);
}
static inline void tu_ng_shb(tu_buf_t *t, bool be) {
        tu_buf_t b = { 0 };
        tu_w32(&b, be, 0x1a2b3c4d);
        tu_w16(&b, be, 1);
        tu_w16(&b, be, 0);
        tu_w32(&b, be, 0xffffffff);
        tu_w32(&b, be, 0xffffffff);
        tu_ng_block(t, be, 0x0a0d0d0a, b.b, b.n);
        tu_free(&b);
}
/* tsresol < 0: no option; tsoffset written only when has_offset */
static inline void tu_ng_idb(tu_buf_t *t, bool be, uint16_t linktype, uint32_t snaplen, int tsresol, bool has_offset,
                             int64_t tsoffset) {
        tu_buf_t b = { 0 };
        tu_w16(&b, be, linktype);
        tu_w16(&b, be, 0);
        tu_w32(&b, be, snaplen);
        if (tsresol >= 0) {
                tu_w16(&b, be, 9);
                tu_w16(&b, be, 1);
                tu_u8(&b, (uint8_t) tsresol);
                tu_zero(&b, 3);
        }
        if (has_offset) {
                tu_w16(&b, be, 14);
                tu_w16(&b, be, 8);
                uint64_t o = (uint64_t) tsoffset;
                /* a u64 in the section's byte order */
                if (be) {
                        tu_be32(&b, (uint32_t) (o >> 32));
                        tu_be32(&b, (uint32_t) o);
                } else {
                        tu_le32(&b, (uint32_t) o);
                        tu_le32(&b, (uint32_t) (o >> 32));
                }
        }
        tu_w16(&b, be, 0);
        tu_w16(&b, be, 0);
        tu_ng_block(t, be, 1, b.b, b.n);
        tu_free(&b);
}
static inline void tu_ng_epb(tu_buf_t *t, bool be, uint32_t ifid, uint64_t ts_units, const void *data, uint32_t caplen,
                             uint32_t len) {
        tu_buf_t b = { 0 };
        tu_w32(&b, be, ifid);
        tu_w32(&b, be, (uint32_t) (ts_units >> 32));
        tu_w32(&b, be, (uint32_t) ts_units);
        tu_w32(&b, be, caplen);
        tu_w32(&b, be, len);
        tu_put(&b, data, caplen);
        tu_zero(&b, (4 - caplen % 4) % 4);
        tu_ng_block(t, be, 6, b.b, b.n);
        tu_free(&b);
}
static inline void tu_ng_spb(tu_buf_t *t, bool be, const void *data, uint32_t caplen, uint32_t len) {
        tu_buf_t b = { 0 };
        tu_w32(&b, be, len);
        tu_put(&b, data, caplen);
        tu_zero(&b, (4 - caplen % 4) % 4);
        tu_ng_block(t, be, 3, b.b, b.n);
        tu_free(&b);
}
