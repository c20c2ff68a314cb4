/* Capture readers: the file's magic picks libpcap (classic pcap, all byte orders and precisions) or the
 * pcapng reader. Both hand out packets with nanosecond timestamps and their link type. */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"

struct capture_reader {
        FILE *f;
        pcap_t *pcap;
        pcapng_t *ng;
        pcapfile_t *pf;
        int dlt;
        uint64_t offset;         /* estimate for pipes: header + records */
        uint64_t frames;         /* records libpcap handed out */
        char err[PCAP_ERRBUF_SIZE + 64];
        const char *format;
        bool nano;
        uint32_t snaplen;
        FILE *cookie;            /* the stream libpcap owns */
        uint8_t head[24];
        size_t head_len, head_pos;
};

static ssize_t capture_cookie_read(void *c, char *buf, size_t size) {
        capture_reader_t *r = c;
        size_t n = 0;
        while (n < size && r->head_pos < r->head_len)
                buf[n++] = (char) r->head[r->head_pos++];
        if (n < size) {
                size_t k = fread(buf + n, 1, size - n, r->f);
                if (k == 0 && ferror(r->f) && n == 0)
                        return -1;
                n += k;
        }
        return (ssize_t) n;
}

int capture_open(FILE *f, capture_reader_t **ret, char *errbuf, size_t errlen) {
        uint8_t head[4];
        size_t n = fread(head, 1, sizeof head, f);
        if (n < 4) {
                snprintf(errbuf, errlen, "not a capture file: %s", n == 0 ? "the file is empty" : "the file is shorter than a capture header");
                return -EBADMSG;
        }
        uint32_t magic = (uint32_t) head[0] << 24 | (uint32_t) head[1] << 16 | (uint32_t) head[2] << 8 | head[3];
        capture_reader_t *r = calloc(1, sizeof *r);
        if (!r)
                return -ENOMEM;
        r->f = f;

        if (magic == 0x0a0d0d0a) {
                int k = pcapng_open(f, head, 4, &r->ng, errbuf, errlen);
                if (k < 0) {
                        free(r);
                        return k;
                }
                r->format = "pcapng";
                r->nano = true;
                *ret = r;
                return 0;
        }
        bool known = magic == 0xa1b2c3d4 || magic == 0xd4c3b2a1 || magic == 0xa1b23c4d || magic == 0x4d3cb2a1;
        if (!known) {
                snprintf(errbuf, errlen, "not a capture file: unknown magic number 0x%08x (expected pcap or pcapng)", magic);
                free(r);
                return -EBADMSG;
        }
        /* the common case is read by our own block reader; the rest by libpcap */
        memcpy(r->head, head, 4);
        r->head_len = 4 + fread(r->head + 4, 1, 20, f);
        if (r->head_len == 24) {
                int k = pcapfile_open(f, r->head, &r->pf);
                if (k < 0) {
                        free(r);
                        return k;
                }
                if (k > 0) {
                        r->dlt = pcapfile_dlt(r->pf);
                        r->format = "pcap";
                        r->nano = pcapfile_nanosecond(r->pf);
                        r->snaplen = pcapfile_snaplen(r->pf);
                        r->offset = 24;
                        *ret = r;
                        return 0;
                }
        }
        /* libpcap reads the header itself and fclose()s its FILE: give it a stream of its own that serves
         * the bytes we already took, then reads through to f, and leaves f open when closed. */
        struct stat st;
        off_t pos = ftello(f);
        off_t back = (off_t) r->head_len;
        if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && pos >= back) {
                /* a regular file: libpcap reads a descriptor of its own directly, without a second copy */
                int fd = fcntl(fileno(f), F_DUPFD_CLOEXEC, 3);
                if (fd >= 0 && lseek(fd, pos - back, SEEK_SET) == pos - back)
                        r->cookie = fdopen(fd, "rb");
                if (!r->cookie && fd >= 0)
                        close(fd);
                if (r->cookie)
                        setvbuf(r->cookie, NULL, _IOFBF, 256 * 1024);
        }
        if (!r->cookie)
                r->cookie = fopencookie(r, "rb", (cookie_io_functions_t) { .read = capture_cookie_read });
        if (!r->cookie) {
                snprintf(errbuf, errlen, "cannot read the capture: %s", strerror(errno));
                free(r);
                return -ENOMEM;
        }
        char perr[PCAP_ERRBUF_SIZE] = "";
        r->pcap = pcap_fopen_offline_with_tstamp_precision(r->cookie, PCAP_TSTAMP_PRECISION_NANO, perr);
        if (!r->pcap) {
                snprintf(errbuf, errlen, "not a readable capture: %s", perr);
                fclose(r->cookie);
                free(r);
                return -EBADMSG;
        }
        r->dlt = pcap_datalink(r->pcap);
        r->format = "pcap";
        r->nano = magic == 0xa1b23c4d || magic == 0x4d3cb2a1;
        r->snaplen = (uint32_t) pcap_snapshot(r->pcap);
        r->offset = 24;
        *ret = r;
        return 0;
}

int capture_next(capture_reader_t *r, capture_packet_t *ret) {
        if (r->ng)
                return pcapng_next(r->ng, ret);
        if (r->pf) {
                uint32_t rec = 0;
                int k = pcapfile_next(r->pf, ret, &rec);
                if (k > 0)
                        r->offset += rec;
                return k;
        }
        struct pcap_pkthdr *h;
        const u_char *d;
        int k = pcap_next_ex(r->pcap, &h, &d);
        if (k == PCAP_ERROR_BREAK)
                return 0;
        if (k < 0) {
                snprintf(r->err, sizeof r->err, "%s", pcap_geterr(r->pcap));
                return -EBADMSG;
        }
        r->offset += 16 + h->caplen;
        *ret = (capture_packet_t) {
                .dlt = r->dlt,
                .ts_ns = (int64_t) h->ts.tv_sec * 1000000000LL + h->ts.tv_usec,
                .caplen = h->caplen,
                .len = h->len,
                .data = d,
                .frame = ++r->frames,
        };
        return 1;
}

uint64_t capture_offset(const capture_reader_t *r) {
        if (r->ng)
                return pcapng_offset(r->ng);
        return r->offset;
}

const char *capture_error(const capture_reader_t *r) {
        return r->ng ? pcapng_error(r->ng) : r->pf ? pcapfile_error(r->pf) : r->err;
}

const char *capture_format(const capture_reader_t *r) { return r->format; }
bool capture_nanosecond(const capture_reader_t *r) { return r->nano; }
uint32_t capture_snaplen(const capture_reader_t *r) { return r->snaplen; }

void capture_close(capture_reader_t *r) {
        if (!r)
                return;
        if (r->pcap)
                pcap_close(r->pcap); /* closes r->cookie, not the caller's FILE */
        pcapng_close(r->ng);
        pcapfile_close(r->pf);
        free(r);
}
