/* A fast reader for the common classic pcap file: native byte order, version 2.4, a link type the engine
 * decodes. It reads the file in large blocks and hands out records in place, where libpcap makes two
 * buffered reads and a copy per packet (most of the engine's time on a large capture went there). It
 * behaves as libpcap 1.10's savefile reader does, record for record: the same snapshot length, captured
 * lengths above it cut to it, the same limits and the same error texts. Anything else (other byte order,
 * older versions, other link types) stays with libpcap. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"

#define PF_BLOCK (1u << 20)
#define PF_MAX_SNAPLEN 262144u    /* libpcap's MAXIMUM_SNAPLEN, for every link type read here */

struct pcapfile {
        FILE *f;
        uint8_t *buf;            /* [pos, end) not handed out yet */
        size_t pos, end, cap;
        bool eof;
        bool nano;
        int dlt;
        uint32_t snaplen;
        uint64_t frames;         /* records handed out */
        char err[160];
};

static uint32_t le32(const uint8_t *b) {
        return (uint32_t) b[0] | (uint32_t) b[1] << 8 | (uint32_t) b[2] << 16 | (uint32_t) b[3] << 24;
}

/* The link types the engine decodes, as libpcap maps them (LINKTYPE_RAW is DLT_RAW); -1 others. */
static int pf_dlt(uint32_t linktype) {
        switch (linktype) {
        case 0: case 1: case 9: case 108: case 113: case 226: case 228: case 229: case 239: case 276:
                return (int) linktype;
        case 101:
                return 12;
        default:
                return -1;
        }
}

/* At least n bytes at pos, reading more if needed; false at the end of the file (or on an error). */
static bool pf_fill(pcapfile_t *p, size_t n) {
        if (p->end - p->pos >= n)
                return true;
        if (p->pos > 0) {
                memmove(p->buf, p->buf + p->pos, p->end - p->pos);
                p->end -= p->pos;
                p->pos = 0;
        }
        if (n > p->cap) {
                size_t nc = n > PF_BLOCK ? n : PF_BLOCK;
                uint8_t *nb = realloc(p->buf, nc);
                if (!nb)
                        return false;
                p->buf = nb;
                p->cap = nc;
        }
        while (p->end < n && !p->eof) {
                size_t k = fread(p->buf + p->end, 1, p->cap - p->end, p->f);
                p->end += k;
                if (k == 0)
                        p->eof = true;
        }
        return p->end >= n;
}

int pcapfile_open(FILE *f, const uint8_t hdr[24], pcapfile_t **ret) {
        *ret = NULL;
        uint32_t magic = le32(hdr);
        uint16_t major = (uint16_t) (hdr[4] | hdr[5] << 8), minor = (uint16_t) (hdr[6] | hdr[7] << 8);
        uint32_t snaplen = le32(hdr + 16), linktype = le32(hdr + 20);
        int dlt = pf_dlt(linktype & 0x03FFFFFF);
        if ((magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) || major != 2 || minor != 4 || dlt < 0)
                return 0; /* libpcap reads it */
        pcapfile_t *p = calloc(1, sizeof *p);
        if (!p)
                return -ENOMEM;
        p->f = f;
        p->cap = PF_BLOCK;
        p->buf = malloc(p->cap);
        if (!p->buf) {
                free(p);
                return -ENOMEM;
        }
        p->dlt = dlt;
        p->nano = magic == 0xa1b23c4d;
        /* as libpcap 1.10 adjusts it: only an unset or negative (as an int) length takes the maximum */
        p->snaplen = snaplen == 0 || snaplen > INT32_MAX ? PF_MAX_SNAPLEN : snaplen;
        *ret = p;
        return 1;
}

int pcapfile_next(pcapfile_t *p, capture_packet_t *ret, uint32_t *ret_record_len) {
        if (!pf_fill(p, 16)) {
                size_t have = p->end - p->pos;
                if (have == 0 && !ferror(p->f))
                        return 0;
                if (ferror(p->f))
                        snprintf(p->err, sizeof p->err, "error reading dump file: %s", strerror(EIO));
                else
                        snprintf(p->err, sizeof p->err, "truncated dump file; tried to read 16 header bytes, only got %zu", have);
                return -EBADMSG;
        }
        const uint8_t *h = p->buf + p->pos;
        int32_t sec = (int32_t) le32(h), frac = (int32_t) le32(h + 4);
        uint32_t caplen = le32(h + 8), len = le32(h + 12);
        if (caplen > PF_MAX_SNAPLEN) {
                if (caplen > p->snaplen)
                        snprintf(p->err, sizeof p->err, "invalid packet capture length %u, bigger than snaplen of %u",
                                 caplen, p->snaplen);
                else
                        snprintf(p->err, sizeof p->err, "invalid packet capture length %u, bigger than maximum of %u",
                                 caplen, PF_MAX_SNAPLEN);
                return -EBADMSG;
        }
        if (!pf_fill(p, 16 + (size_t) caplen)) {
                size_t got = p->end - p->pos - 16;
                if (caplen > p->snaplen && got >= p->snaplen)
                        snprintf(p->err, sizeof p->err, "truncated dump file; tried to read %u captured bytes, only got %zu",
                                 caplen, got);
                else
                        snprintf(p->err, sizeof p->err, "truncated dump file; tried to read %u captured bytes, only got %zu",
                                 caplen > p->snaplen ? p->snaplen : caplen, got);
                return -EBADMSG;
        }
        h = p->buf + p->pos; /* the buffer may have moved */
        *ret = (capture_packet_t) {
                .dlt = p->dlt,
                .ts_ns = (int64_t) sec * 1000000000LL + (p->nano ? (int64_t) frac : (int64_t) frac * 1000),
                .caplen = caplen > p->snaplen ? p->snaplen : caplen, /* libpcap cuts to the snapshot length */
                .len = len,
                .data = h + 16,
                .frame = ++p->frames,
        };
        *ret_record_len = 16 + ret->caplen;
        p->pos += 16 + (size_t) caplen;
        return 1;
}

const char *pcapfile_error(const pcapfile_t *p) { return p->err; }
bool pcapfile_nanosecond(const pcapfile_t *p) { return p->nano; }
uint32_t pcapfile_snaplen(const pcapfile_t *p) { return p->snaplen; }
int pcapfile_dlt(const pcapfile_t *p) { return p->dlt; }

void pcapfile_close(pcapfile_t *p) {
        if (!p)
                return;
        free(p->buf);
        free(p);
}
