/* A pcapng reader (draft-ietf-opsawg-pcapng): sections of either byte order, any number of interfaces
 * with their own link type and timestamp resolution, EPB/SPB/OPB packets; unknown blocks are skipped.
 * Every length is checked against the block and a hard cap before it is used. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "cursor.h"

#define PCAPNG_BLOCK_MAX (32u << 20)   /* larger blocks are refused as damage */
#define PCAPNG_IFACES_MAX 4096

typedef struct pcapng_iface {
        int dlt;
        uint32_t snaplen;
        uint64_t units;          /* timestamp units per second */
        int64_t offset_s;
} pcapng_iface_t;

struct pcapng {
        FILE *f;
        bool swap;               /* section is big-endian (relative to reading as little-endian) */
        bool in_section;
        uint8_t *buf;
        uint32_t cap;
        pcapng_iface_t *ifaces;
        uint32_t n_ifaces;
        uint64_t offset;         /* bytes read */
        uint64_t done;           /* bytes of complete blocks: what was analysed */
        int64_t last_ts;
        uint64_t frames;         /* frames as Wireshark numbers them (ng_is_frame) */
        char err[160];
        const uint8_t *head;
        size_t head_len, head_pos;
};

static size_t ng_read(pcapng_t *p, void *dst, size_t n) {
        uint8_t *d = dst;
        size_t k = 0;
        while (k < n && p->head_pos < p->head_len)
                d[k++] = p->head[p->head_pos++];
        if (k < n)
                k += fread(d + k, 1, n - k, p->f);
        p->offset += k;
        return k;
}

static uint32_t ng_u32(const pcapng_t *p, const uint8_t *b) {
        return p->swap ? (uint32_t) b[0] << 24 | (uint32_t) b[1] << 16 | (uint32_t) b[2] << 8 | b[3]
                       : (uint32_t) b[3] << 24 | (uint32_t) b[2] << 16 | (uint32_t) b[1] << 8 | b[0];
}

static uint32_t cur_u32(const pcapng_t *p, cursor_t *c) {
        return p->swap ? cursor_be32(c) : cursor_le32(c);
}

static uint16_t cur_u16(const pcapng_t *p, cursor_t *c) {
        return p->swap ? cursor_be16(c) : cursor_le16(c);
}

static int ng_fail(pcapng_t *p, const char *what) {
        snprintf(p->err, sizeof p->err, "%s at byte %llu", what, (unsigned long long) p->offset);
        return -EBADMSG;
}

/* Reads one whole block into p->buf (body = everything after type and length). */
static int ng_block(pcapng_t *p, uint32_t *ret_type, uint32_t *ret_body_len) {
        uint8_t h[8];
        size_t k = ng_read(p, h, 8);
        if (k == 0)
                return 0;
        if (k < 8)
                return ng_fail(p, "pcapng: the file ends inside a block header");
        uint32_t type = ng_u32(p, h);
        if (type == 0x0a0d0d0a) {
                /* a Section Header Block: its byte-order magic decides how to read its length */
                uint8_t bom[4];
                if (ng_read(p, bom, 4) < 4)
                        return ng_fail(p, "pcapng: the file ends inside a section header");
                if (bom[0] == 0x4d && bom[1] == 0x3c && bom[2] == 0x2b && bom[3] == 0x1a)
                        p->swap = false;
                else if (bom[0] == 0x1a && bom[1] == 0x2b && bom[2] == 0x3c && bom[3] == 0x4d)
                        p->swap = true;
                else
                        return ng_fail(p, "pcapng: bad byte-order magic in a section header");
                uint32_t len = ng_u32(p, h + 4);
                if (len < 28 || len % 4 || len > PCAPNG_BLOCK_MAX)
                        return ng_fail(p, "pcapng: impossible section header length");
                uint32_t body = len - 12; /* after type, length, byte-order magic */
                if (body > p->cap) {
                        uint8_t *nb = realloc(p->buf, body);
                        if (!nb)
                                return -ENOMEM;
                        p->buf = nb;
                        p->cap = body;
                }
                if (ng_read(p, p->buf, body) < body)
                        return ng_fail(p, "pcapng: the file ends inside a section header");
                if (ng_u32(p, p->buf + body - 4) != len)
                        return ng_fail(p, "pcapng: section header lengths disagree");
                p->in_section = true;
                p->n_ifaces = 0;
                p->done = p->offset;
                *ret_type = type;
                *ret_body_len = body - 4;
                return 1;
        }
        if (!p->in_section)
                return ng_fail(p, "pcapng: block before the first section header");
        uint32_t len = ng_u32(p, h + 4);
        if (len < 12 || len % 4 || len > PCAPNG_BLOCK_MAX)
                return ng_fail(p, "pcapng: impossible block length");
        uint32_t body = len - 8;
        if (body > p->cap) {
                uint8_t *nb = realloc(p->buf, body);
                if (!nb)
                        return -ENOMEM;
                p->buf = nb;
                p->cap = body;
        }
        if (ng_read(p, p->buf, body) < body)
                return ng_fail(p, "pcapng: the file ends inside a block (truncated capture)");
        if (ng_u32(p, p->buf + body - 4) != len)
                return ng_fail(p, "pcapng: block lengths disagree");
        p->done = p->offset;
        *ret_type = type;
        *ret_body_len = body - 4;
        return 1;
}

int pcapng_open(FILE *f, const uint8_t *head, size_t head_len, pcapng_t **ret, char *errbuf, size_t errlen) {
        pcapng_t *p = calloc(1, sizeof *p);
        if (!p)
                return -ENOMEM;
        p->f = f;
        p->head = head;
        p->head_len = head_len;
        uint32_t type, body;
        int r = ng_block(p, &type, &body);
        p->head = NULL;
        p->head_len = p->head_pos = 0;
        if (r <= 0) {
                snprintf(errbuf, errlen, "not a readable capture: %s", r == 0 ? "empty pcapng" : p->err);
                pcapng_close(p);
                return r < 0 ? r : -EBADMSG;
        }
        *ret = p;
        return 0;
}

static void ng_add_iface(pcapng_t *p, uint32_t body) {
        cursor_t c = cursor_make(p->buf, body);
        pcapng_iface_t i = { .units = 1000000 };
        i.dlt = cur_u16(p, &c);
        cursor_skip(&c, 2);
        i.snaplen = cur_u32(p, &c);
        while (cursor_has(&c, 4)) {
                uint16_t code = cur_u16(p, &c), len = cur_u16(p, &c);
                if (code == 0)
                        break;
                cursor_t v = cursor_sub(&c, len);
                cursor_skip(&c, (4 - len % 4) % 4);
                if (code == 9 && len >= 1) {
                        uint8_t res = cursor_u8(&v);
                        uint64_t u = 1;
                        if (res & 0x80) {
                                unsigned e = res & 0x7f;
                                u = e < 63 ? 1ULL << e : 0;
                        } else {
                                unsigned e = res;
                                for (unsigned k = 0; k < e && u; k++)
                                        u = u > UINT64_MAX / 10 ? 0 : u * 10;
                        }
                        if (u)
                                i.units = u;
                } else if (code == 14 && len == 8) {
                        uint32_t lo = cur_u32(p, &v), hi = cur_u32(p, &v);
                        uint64_t off = p->swap ? ((uint64_t) lo << 32 | hi) : ((uint64_t) hi << 32 | lo);
                        i.offset_s = (int64_t) off;
                }
        }
        if (p->n_ifaces >= PCAPNG_IFACES_MAX)
                return;
        pcapng_iface_t *ni = realloc(p->ifaces, sizeof(pcapng_iface_t) * (p->n_ifaces + 1));
        if (!ni)
                return;
        p->ifaces = ni;
        p->ifaces[p->n_ifaces++] = i;
}

static int64_t ng_ts(const pcapng_iface_t *i, uint32_t hi, uint32_t lo) {
        uint64_t t = (uint64_t) hi << 32 | lo;
        uint64_t s = t / i->units, frac = t % i->units;
        /* frac * 1e9 / units without overflow for units up to 2^63 */
        uint64_t ns = i->units <= 1000000000ULL ? frac * (1000000000ULL / i->units)
                                                : (uint64_t) ((long double) frac * 1e9L / (long double) i->units);
        if (i->units <= 1000000000ULL && 1000000000ULL % i->units)
                ns = (uint64_t) ((long double) frac * 1e9L / (long double) i->units);
        /* a hostile resolution or offset must not overflow: clamp to the int64 range */
        int64_t sec = 0, out;
        if (s > (uint64_t) INT64_MAX || __builtin_add_overflow((int64_t) s, i->offset_s, &sec) ||
            __builtin_mul_overflow(sec, 1000000000LL, &out) || __builtin_add_overflow(out, (int64_t) ns, &out))
                return sec < 0 ? INT64_MIN / 2 : INT64_MAX / 2;
        return out;
}

/* Blocks that Wireshark 4.0 shows as frames of their own although they hold no packet: custom blocks (both
 * kinds), systemd journal exports and Sysdig events (the kinds it reads). They are not handed out, but they
 * take a frame number, so that every frame number after them is the one Wireshark shows. */
static bool ng_is_frame(uint32_t type) {
        switch (type) {
        case 0x00000009:           /* systemd journal export */
        case 0x00000bad:           /* custom block, copiable */
        case 0x40000bad:           /* custom block, not copiable */
        case 0x00000204:           /* Sysdig event */
        case 0x00000216:           /* Sysdig event v2 */
        case 0x00000221:           /* Sysdig event v2, large */
                return true;
        default:
                return false;
        }
}

int pcapng_next(pcapng_t *p, capture_packet_t *ret) {
        for (;;) {
                uint32_t type, body;
                int r = ng_block(p, &type, &body);
                if (r <= 0)
                        return r;
                cursor_t c = cursor_make(p->buf, body);
                switch (type) {
                case 1:
                        ng_add_iface(p, body);
                        continue;
                case 6:
                case 2: {
                        uint32_t ifid;
                        if (type == 6)
                                ifid = cur_u32(p, &c);
                        else {
                                ifid = cur_u16(p, &c);
                                cursor_skip(&c, 2);
                        }
                        uint32_t hi = cur_u32(p, &c), lo = cur_u32(p, &c);
                        uint32_t caplen = cur_u32(p, &c), len = cur_u32(p, &c);
                        if (c.bad || ifid >= p->n_ifaces)
                                return ng_fail(p, "pcapng: packet block for an unknown interface");
                        if (caplen > c.len)
                                return ng_fail(p, "pcapng: packet longer than its block");
                        const pcapng_iface_t *i = &p->ifaces[ifid];
                        *ret = (capture_packet_t) { .dlt = i->dlt, .ts_ns = ng_ts(i, hi, lo), .caplen = caplen,
                                                    .len = len < caplen ? caplen : len, .data = c.p,
                                                    .frame = ++p->frames };
                        p->last_ts = ret->ts_ns;
                        return 1;
                }
                case 3: {
                        if (p->n_ifaces == 0)
                                return ng_fail(p, "pcapng: simple packet block without an interface");
                        uint32_t len = cur_u32(p, &c);
                        uint32_t caplen = (uint32_t) c.len;
                        if (len < caplen)
                                caplen = len;
                        if (p->ifaces[0].snaplen && caplen > p->ifaces[0].snaplen)
                                caplen = p->ifaces[0].snaplen;
                        *ret = (capture_packet_t) { .dlt = p->ifaces[0].dlt, .ts_ns = p->last_ts, .caplen = caplen,
                                                    .len = len, .data = c.p, .frame = ++p->frames };
                        return 1;
                }
                default:
                        if (ng_is_frame(type))
                                p->frames++;
                        continue; /* name resolution, statistics, custom, decryption secrets... */
                }
        }
}

uint64_t pcapng_offset(const pcapng_t *p) { return p->done; }
const char *pcapng_error(const pcapng_t *p) { return p->err; }

void pcapng_close(pcapng_t *p) {
        if (!p)
                return;
        free(p->buf);
        free(p->ifaces);
        free(p);
}
