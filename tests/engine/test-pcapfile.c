/* Unit tests of lib/engine/pcapfile.c: our block reader against libpcap 1.10 itself, record for record
 * (timestamps, lengths, bytes) and for the error at the end, on files made here: plain and nanosecond,
 * negative and overflowing timestamps, captured lengths above the snapshot length and above libpcap's
 * maximum, snapshot lengths 0 and huge, records cut in the header and in the data, link types it takes
 * (LINKTYPE_RAW mapped to DLT_RAW, FCS bits) and those it leaves to libpcap, and records larger than its
 * block; every record's frame number is its position. */
#include <pcap/pcap.h>

#include "engine/capture.h"
#include "test-util.h"

static tu_buf_t f;

static void hdr(uint32_t magic, uint16_t minor, uint32_t snaplen, uint32_t linktype) {
        tu_reset(&f);
        tu_pcap_file_header(&f, false, magic, 2, minor, snaplen, linktype);
}

static void rec(int32_t sec, int32_t frac, uint32_t caplen, uint32_t len, size_t have) {
        tu_pcap_record_header(&f, false, (uint32_t) sec, (uint32_t) frac, caplen, len);
        tu_pattern(&f, have);
}

/* Reads the buffer with both readers; every packet and the end must be the same. Returns the packets. */
static unsigned compare(const char *what) {
        tu_memfile_t m1, m2;
        FILE *a = tu_fmemopen(&m1, f.b, f.n), *b = tu_fmemopen(&m2, f.b, f.n);
        char err[256] = "", perr[PCAP_ERRBUF_SIZE] = "";
        capture_reader_t *r = NULL;
        int k = capture_open(a, &r, err, sizeof err);
        pcap_t *p = pcap_fopen_offline_with_tstamp_precision(b, PCAP_TSTAMP_PRECISION_NANO, perr);
        m2.f = NULL; /* libpcap closes it */
        unsigned n = 0;
        CHECK_MSG((k == 0) == (p != NULL), "%s: open: ours %d (%s), libpcap %s", what, k, err, p ? "ok" : perr);
        if (k == 0 && p) {
                CHECK_EQ((int) capture_snaplen(r), pcap_snapshot(p));
                for (;;) {
                        capture_packet_t pk;
                        struct pcap_pkthdr *h;
                        const u_char *d;
                        int x = capture_next(r, &pk), y = pcap_next_ex(p, &h, &d);
                        if (x <= 0 || y != 1) {
                                CHECK_MSG((x == 0) == (y == PCAP_ERROR_BREAK), "%s: end after %u: ours %d, libpcap %d", what,
                                          n, x, y);
                                if (x < 0 && y < 0)
                                        CHECK_STR(capture_error(r), pcap_geterr(p));
                                break;
                        }
                        CHECK_EQ(pk.dlt, pcap_datalink(p));
                        CHECK_EQ(pk.ts_ns, (int64_t) h->ts.tv_sec * 1000000000LL + h->ts.tv_usec);
                        CHECK_EQU(pk.caplen, h->caplen);
                        CHECK_EQU(pk.len, h->len);
                        CHECK(memcmp(pk.data, d, h->caplen) == 0);
                        n++;
                        CHECK_EQU(pk.frame, n);
                }
        }
        if (r)
                capture_close(r);
        if (p)
                pcap_close(p);
        tu_fclose(&m1);
        tu_fclose(&m2);
        return n;
}

static void test_plain(void) {
        hdr(0xa1b2c3d4, 4, 65535, 1);
        rec(1700000000, 5, 60, 60, 60);
        rec(1700000000, 999999, 1500, 1500, 1500);
        rec(-5, 10, 40, 80, 40);                 /* before 1970 */
        rec(INT32_MIN, 2000000, 20, 20, 20);      /* microseconds beyond a second, as some files have */
        rec(INT32_MAX, INT32_MAX, 0, 0, 0);
        CHECK_EQU(compare("plain"), 5);
        hdr(0xa1b23c4d, 4, 65535, 1);
        rec(1, 999999999, 60, 60, 60);
        rec(1, 1000000005, 60, 60, 60);
        CHECK_EQU(compare("nanoseconds"), 2);
}

static void test_lengths(void) {
        hdr(0xa1b2c3d4, 4, 100, 1); /* records above the snapshot length are cut to it */
        rec(1, 0, 60, 60, 60);
        rec(2, 0, 150, 150, 150);
        rec(3, 0, 100, 100, 100);
        CHECK_EQU(compare("cut to the snapshot length"), 3);
        hdr(0xa1b2c3d4, 4, 0, 1); /* no snapshot length: libpcap's maximum */
        rec(1, 0, 70000, 70000, 70000);
        CHECK_EQU(compare("snaplen 0"), 1);
        hdr(0xa1b2c3d4, 4, 1000000, 1);
        rec(1, 0, 60, 60, 60);
        rec(2, 0, 262145, 262145, 100); /* above libpcap's maximum: damage */
        CHECK_EQU(compare("above the maximum"), 1);
        hdr(0xa1b2c3d4, 4, 0x80000000u, 1);
        rec(2, 0, 262145, 262145, 100);
        CHECK_EQU(compare("negative snaplen"), 0);
        hdr(0xa1b2c3d4, 4, 65535, 1);
        rec(1, 0, 300000, 300000, 10);
        CHECK_EQU(compare("above the snapshot and the maximum"), 0);
        /* larger than a block of ours, several times over */
        hdr(0xa1b2c3d4, 4, 262144, 1);
        for (int i = 0; i < 12; i++)
                rec(i, 0, 262144, 262144, 262144);
        CHECK_EQU(compare("large records"), 12);
}

static void test_cut(void) {
        hdr(0xa1b2c3d4, 4, 65535, 1);
        rec(1, 0, 60, 60, 60);
        size_t whole = f.n;
        rec(2, 0, 60, 60, 60);
        size_t full = f.n;
        for (size_t cut = whole; cut < full; cut++) {
                f.n = cut;
                char what[32];
                snprintf(what, sizeof what, "cut at %zu", cut);
                CHECK_EQU(compare(what), 1);
                f.n = full;
        }
        hdr(0xa1b2c3d4, 4, 20, 1); /* cut inside a record above the snapshot length */
        rec(1, 0, 60, 60, 60);
        full = f.n;
        for (size_t cut = 24 + 16; cut < full; cut += 5) {
                f.n = cut;
                CHECK_EQU(compare("cut above the snapshot length"), 0);
                f.n = full;
        }
        hdr(0xa1b2c3d4, 4, 65535, 1);
        CHECK_EQU(compare("header only"), 0);
}

static void test_link_types(void) {
        static const uint32_t ours[] = { 0, 1, 9, 101, 108, 113, 226, 228, 229, 239, 276, 1 | 0x14000000u };
        for (size_t i = 0; i < sizeof ours / sizeof ours[0]; i++) {
                hdr(0xa1b2c3d4, 4, 65535, ours[i]);
                rec(1, 0, 40, 40, 40);
                CHECK_EQU(compare("link type"), 1);
        }
        /* left to libpcap: another link type, an older version, the other byte order */
        hdr(0xa1b2c3d4, 4, 65535, 147);
        rec(1, 0, 40, 40, 40);
        CHECK_EQU(compare("user link type"), 1);
        hdr(0xa1b2c3d4, 3, 65535, 1);
        rec(1, 0, 40, 50, 40);
        CHECK_EQU(compare("version 2.3"), 1);
        tu_reset(&f);
        tu_pcap_header(&f, true, false, 1, 65535);
        static const uint8_t bytes[20] = { 0x45 };
        tu_pcap_record(&f, true, false, 1000000000, bytes, 20, 20);
        CHECK_EQU(compare("big-endian"), 1);
}

int main(void) {
        RUN(test_plain);
        RUN(test_lengths);
        RUN(test_cut);
        RUN(test_link_types);
        tu_free(&f);
        return tu_exit();
}
