/* Unit tests of lib/engine/pcapng.c and capture.c: pcapng in both byte orders, several interfaces with
 * different link types, if_tsresol 10^-k and 2^-k, if_tsoffset, SPB, unknown blocks, bogus lengths, truncation
 * at every byte, blocks before the SHB, empty and 0..28-byte files; classic pcap through libpcap (micro/nano,
 * both byte orders); frame numbers as Wireshark 4.0 gives them. Captures are built in memory and read through
 * fmemopen. */
#include <errno.h>

#include "engine/capture.h"
#include "test-util.h"

typedef struct got {
        int n;
        int dlt[16];
        int64_t ts[16];
        uint32_t caplen[16], len[16];
        uint8_t first[16];
        uint64_t frame[16];
        int end;                 /* last capture_next result: 0 EOF or negative */
        char err[256];
        uint64_t offset;
} got_t;

/* opens and reads everything; returns capture_open's result */
static int read_all(const tu_buf_t *file, got_t *g, char *errbuf, size_t errlen) {
        memset(g, 0, sizeof *g);
        tu_memfile_t m;
        FILE *f = tu_fmemopen(&m, file->b, file->n);
        capture_reader_t *r = NULL;
        errbuf[0] = 0;
        int k = capture_open(f, &r, errbuf, errlen);
        if (k < 0) {
                tu_fclose(&m);
                return k;
        }
        for (int guard = 0; guard < 100000; guard++) {
                capture_packet_t p;
                int x = capture_next(r, &p);
                if (x <= 0) {
                        g->end = x;
                        snprintf(g->err, sizeof g->err, "%s", x < 0 ? capture_error(r) : "");
                        break;
                }
                if (g->n < 16) {
                        g->dlt[g->n] = p.dlt;
                        g->ts[g->n] = p.ts_ns;
                        g->caplen[g->n] = p.caplen;
                        g->len[g->n] = p.len;
                        g->first[g->n] = p.caplen ? p.data[0] : 0;
                        g->frame[g->n] = p.frame;
                }
                g->n++;
        }
        g->offset = capture_offset(r);
        capture_close(r);
        tu_fclose(&m);
        return 0;
}

static const uint8_t pkt60[60] = { 0xaa, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
static const uint8_t pkt33[33] = { 0xbb };
static const uint8_t pkt7[7] = { 0xcc };

static void test_pcapng_basic(void) {
        char errbuf[256];
        got_t g;
        for (int be = 0; be < 2; be++) {
                tu_buf_t t = { 0 };
                tu_ng_shb(&t, be);
                tu_ng_idb(&t, be, 1, 65535, -1, false, 0); /* default resolution: microseconds */
                tu_ng_epb(&t, be, 0, 1700000000123456ULL, pkt60, 60, 60);
                tu_ng_epb(&t, be, 0, 1700000001000001ULL, pkt33, 33, 1514);
                tu_ng_epb(&t, be, 0, 1700000002000000ULL, pkt7, 7, 7);
                CHECK_EQ(read_all(&t, &g, errbuf, sizeof errbuf), 0);
                CHECK_EQ(g.n, 3);
                CHECK_EQ(g.end, 0);
                CHECK_EQ(g.dlt[0], 1);
                CHECK_EQ(g.ts[0], 1700000000123456000LL);
                CHECK_EQ(g.ts[1], 1700000001000001000LL);
                CHECK_EQU(g.caplen[0], 60);
                CHECK_EQU(g.caplen[1], 33);
                CHECK_EQU(g.len[1], 1514);
                CHECK_EQU(g.caplen[2], 7);
                CHECK_EQU(g.first[0], 0xaa);
                CHECK_EQU(g.frame[0], 1);
                CHECK_EQU(g.frame[2], 3);
                CHECK_EQU(g.first[1], 0xbb);
                CHECK_EQU(g.first[2], 0xcc);
                CHECK_EQU(g.offset, t.n);
                tu_free(&t);
        }
}

static void test_pcapng_interfaces(void) {
        char errbuf[256];
        got_t g;
        for (int be = 0; be < 2; be++) {
                tu_buf_t t = { 0 };
                tu_ng_shb(&t, be);
                tu_ng_idb(&t, be, 1, 0, 9, false, 0);            /* Ethernet, ns */
                tu_ng_idb(&t, be, 101, 0, 0x80 | 20, false, 0);  /* raw IP, 2^-20 s */
                tu_ng_idb(&t, be, 113, 0, 3, true, 1000);        /* SLL, ms, offset +1000 s */
                tu_ng_idb(&t, be, 276, 0, 6, true, -100);        /* SLL2, us, offset -100 s */
                tu_ng_epb(&t, be, 0, 1234567891ULL, pkt60, 60, 60);
                tu_ng_epb(&t, be, 1, (5ULL << 20) + (1ULL << 19), pkt33, 33, 33);  /* 5.5 s */
                tu_ng_epb(&t, be, 2, 2500, pkt7, 7, 7);                           /* 2.5 s + 1000 s */
                tu_ng_epb(&t, be, 3, 200000001, pkt7, 7, 7);                      /* 200.000001 s - 100 s */
                tu_ng_epb(&t, be, 1, 1, pkt7, 7, 7);                              /* 2^-20 s = 953.67 ns */
                CHECK_EQ(read_all(&t, &g, errbuf, sizeof errbuf), 0);
                CHECK_EQ(g.n, 5);
                CHECK_EQ(g.end, 0);
                CHECK_EQ(g.dlt[0], 1);
                CHECK_EQ(g.dlt[1], 101);
                CHECK_EQ(g.dlt[2], 113);
                CHECK_EQ(g.dlt[3], 276);
                CHECK_EQ(g.ts[0], 1234567891LL);
                CHECK_EQ(g.ts[1], 5500000000LL);
                CHECK_EQ(g.ts[2], 1002500000000LL);
                CHECK_EQ(g.ts[3], 100000001000LL);
                CHECK_I(g.ts[4], >=, 953);
                CHECK_I(g.ts[4], <=, 954);
                tu_free(&t);
        }
}

static void test_pcapng_resolutions(void) {
        char errbuf[256];
        got_t g;
        /* 10^-k for k = 0..12 and 2^-k for a few k: 3 units + 1.5 s worth of units */
        for (int k = 0; k <= 12; k++) {
                uint64_t units = 1;
                for (int i = 0; i < k; i++)
                        units *= 10;
                tu_buf_t t = { 0 };
                tu_ng_shb(&t, false);
                tu_ng_idb(&t, false, 1, 0, k, false, 0);
                tu_ng_epb(&t, false, 0, 1000 * units + units / 2, pkt7, 7, 7);
                CHECK_EQ(read_all(&t, &g, errbuf, sizeof errbuf), 0);
                CHECK_EQ(g.n, 1);
                int64_t want = 1000 * 1000000000LL + (k ? 500000000LL : 0);
                CHECK_MSG(g.ts[0] == want, "if_tsresol 10^-%d: %lld, expected %lld", k, (long long) g.ts[0], (long long) want);
                tu_free(&t);
        }
        static const int pow2[] = { 1, 10, 20, 30, 40 };
        for (unsigned i = 0; i < sizeof pow2 / sizeof pow2[0]; i++) {
                uint64_t units = 1ULL << pow2[i];
                tu_buf_t t = { 0 };
                tu_ng_shb(&t, true);
                tu_ng_idb(&t, true, 1, 0, 0x80 | pow2[i], false, 0);
                tu_ng_epb(&t, true, 0, 7 * units + units / 2, pkt7, 7, 7);
                CHECK_EQ(read_all(&t, &g, errbuf, sizeof errbuf), 0);
                CHECK_MSG(g.ts[0] == 7500000000LL, "if_tsresol 2^-%d: %lld", pow2[i], (long long) g.ts[0]);
                tu_free(&t);
        }
}

static void test_pcapng_huge_timestamp(void) {
        /* a hostile timestamp (all ones, microseconds): whatever the engine makes of it, no undefined
         * behaviour (the UBSan build aborts on signed overflow) and the reader goes on */
        char errbuf[256];
        got_t g;
        tu_buf_t t = { 0 };
        tu_ng_shb(&t, false);
        tu_ng_idb(&t, false, 1, 0, -1, false, 0);
        tu_ng_epb(&t, false, 0, UINT64_MAX, pkt7, 7, 7);
        tu_ng_idb(&t, false, 1, 0, 0, true, INT64_MAX); /* seconds, offset INT64_MAX */
        tu_ng_epb(&t, false, 1, 12345, pkt7, 7, 7);
        tu_ng_epb(&t, false, 0, 1000000, pkt7, 7, 7);
        CHECK_EQ(read_all(&t, &g, errbuf, sizeof errbuf), 0);
        CHECK_EQ(g.n, 3);
        CHECK_EQ(g.ts[2], 1000000000LL);
        tu_free(&t);
}

static void test_pcapng_spb_unknown(void) {
        char errbuf[256];
        got_t g;
        for (int be = 0; be < 2; be++) {
                tu_buf_t t = { 0 };
                tu_ng_shb(&t, be);
                tu_ng_block(&t, be, 0x00000bad, "custom?", 7);        /* unknown */
                tu_ng_idb(&t, be, 1, 40, 9, false, 0);                 /* snaplen 40 */
                tu_ng_block(&t, be, 4, (const uint8_t[4]) { 0 }, 4);   /* name resolution, empty */
                tu_ng_epb(&t, be, 0, 5000000000ULL, pkt33, 33, 33);
                tu_ng_spb(&t, be, pkt33, 33, 33);                       /* padded to 36: caplen is 33 */
                tu_ng_spb(&t, be, pkt60, 40, 60);                       /* cut by the snaplen */
                tu_ng_block(&t, be, 5, (const uint8_t[12]) { 0 }, 12); /* interface statistics */
                tu_ng_block(&t, be, 0x40000bad, "xxxxxxxx", 8);        /* custom block */
                tu_ng_block(&t, be, 0x0a, NULL, 0);                     /* an empty unknown block */
                tu_ng_epb(&t, be, 0, 6000000000ULL, pkt7, 7, 7);
                CHECK_EQ(read_all(&t, &g, errbuf, sizeof errbuf), 0);
                CHECK_EQ(g.n, 4);
                CHECK_EQ(g.end, 0);
                CHECK_EQU(g.caplen[1], 33);
                CHECK_EQU(g.len[1], 33);
                CHECK_EQU(g.first[1], 0xbb);
                CHECK_EQ(g.ts[1], 5000000000LL); /* an SPB has no timestamp: the previous one */
                CHECK_EQU(g.caplen[2], 40);
                CHECK_EQU(g.len[2], 60);
                CHECK_EQ(g.dlt[2], 1);
                CHECK_EQ(g.ts[3], 6000000000LL);
                /* Wireshark shows each custom block as a frame of its own (frames 1 and 5) */
                CHECK_EQU(g.frame[0], 2);
                CHECK_EQU(g.frame[1], 3);
                CHECK_EQU(g.frame[2], 4);
                CHECK_EQU(g.frame[3], 6);
                tu_free(&t);
        }
}

/* Frame numbers are Wireshark's (tshark 4.0 read the same sequence of blocks, tests/engine/frames.py checks
 * it again against the tshark installed): packet blocks of every kind count; so do custom blocks, systemd
 * journal exports and the Sysdig event blocks it reads, which are not handed out; section headers,
 * interface descriptions, name resolution, interface statistics, decryption secrets, Sysdig events with
 * flags and unknown blocks do not; the count goes on across sections. */
static void test_pcapng_frame_numbers(void) {
        char errbuf[256];
        got_t g;
        for (int be = 0; be < 2; be++) {
                tu_buf_t t = { 0 };
                tu_buf_t pb = { 0 }; /* an obsolete Packet Block: interface 0, drops 0, timestamp, lengths, data */
                tu_w16(&pb, be, 0);
                tu_w16(&pb, be, 0);
                tu_w32(&pb, be, 0);
                tu_w32(&pb, be, 3000000);
                tu_w32(&pb, be, 7);
                tu_w32(&pb, be, 7);
                tu_put(&pb, pkt7, 7);
                tu_ng_shb(&t, be);
                tu_ng_idb(&t, be, 1, 0, -1, false, 0);
                tu_ng_epb(&t, be, 0, 1000000, pkt60, 60, 60);               /* frame 1 */
                tu_ng_block(&t, be, 4, (const uint8_t[4]) { 0 }, 4);         /* name resolution */
                tu_ng_epb(&t, be, 0, 2000000, pkt33, 33, 33);               /* 2 */
                tu_ng_block(&t, be, 5, (const uint8_t[12]) { 0 }, 12);       /* interface statistics */
                tu_ng_spb(&t, be, pkt7, 7, 7);                               /* 3 */
                tu_ng_block(&t, be, 2, pb.b, pb.n);                          /* 4 */
                tu_ng_block(&t, be, 10, (const uint8_t[12]) { 0 }, 12);      /* decryption secrets */
                tu_ng_block(&t, be, 0xbad, "\0\0\x7e\xd9" "custom", 10);     /* 5: custom */
                tu_ng_block(&t, be, 9, "MESSAGE=x\n", 10);                  /* 6: systemd journal export */
                tu_ng_block(&t, be, 0x12345678, "unknown!", 8);              /* unknown */
                tu_ng_block(&t, be, 0x204, (const uint8_t[40]) { 0 }, 40);   /* 7: Sysdig event */
                tu_ng_block(&t, be, 0x208, (const uint8_t[40]) { 0 }, 40);   /* Sysdig event with flags: not read */
                tu_ng_epb(&t, be, 0, 4000000, pkt60, 60, 60);               /* 8 */
                tu_ng_shb(&t, !be);
                tu_ng_idb(&t, !be, 1, 0, -1, false, 0);
                tu_ng_block(&t, !be, 0x40000bad, "\0\0\x7e\xd9" "custom", 10); /* 9: custom, not copiable */
                tu_ng_epb(&t, !be, 0, 5000000, pkt33, 33, 33);              /* 10 */
                CHECK_EQ(read_all(&t, &g, errbuf, sizeof errbuf), 0);
                CHECK_EQ(g.end, 0);
                CHECK_EQ(g.n, 6);
                static const uint64_t want[6] = { 1, 2, 3, 4, 8, 10 };
                for (int i = 0; i < 6; i++)
                        CHECK_MSG(g.frame[i] == want[i], "be=%d packet %d: frame %" PRIu64 ", Wireshark's is %" PRIu64,
                                  be, i, g.frame[i], want[i]);
                CHECK_EQU(g.first[3], 0xcc);
                tu_free(&pb);
                tu_free(&t);
        }
}

static void test_pcapng_sections(void) {
        char errbuf[256];
        got_t g;
        /* a second section in the other byte order: its interfaces replace the first's */
        tu_buf_t t = { 0 };
        tu_ng_shb(&t, false);
        tu_ng_idb(&t, false, 1, 0, -1, false, 0);
        tu_ng_epb(&t, false, 0, 1000000, pkt7, 7, 7);
        tu_ng_shb(&t, true);
        tu_ng_idb(&t, true, 101, 0, 9, false, 0);
        tu_ng_epb(&t, true, 0, 2000000000ULL, pkt33, 33, 33);
        CHECK_EQ(read_all(&t, &g, errbuf, sizeof errbuf), 0);
        CHECK_EQ(g.n, 2);
        CHECK_EQ(g.dlt[0], 1);
        CHECK_EQ(g.dlt[1], 101);
        CHECK_EQ(g.ts[1], 2000000000LL);
        tu_free(&t);
        /* an EPB in the second section for an interface only the first one had */
        tu_ng_shb(&t, false);
        tu_ng_idb(&t, false, 1, 0, -1, false, 0);
        tu_ng_idb(&t, false, 1, 0, -1, false, 0);
        tu_ng_shb(&t, false);
        tu_ng_idb(&t, false, 1, 0, -1, false, 0);
        tu_ng_epb(&t, false, 1, 1, pkt7, 7, 7);
        CHECK_EQ(read_all(&t, &g, errbuf, sizeof errbuf), 0);
        CHECK_EQ(g.n, 0);
        CHECK_EQ(g.end, -EBADMSG);
        tu_free(&t);
}

static void test_pcapng_bogus(void) {
        char errbuf[256];
        got_t g;
        /* block lengths: below the minimum, not a multiple of 4, above the cap, trailing copy different */
        static const uint32_t bad_len[] = { 0, 4, 8, 13, 0x7ffffffc, 0xfffffffc };
        for (unsigned i = 0; i < sizeof bad_len / sizeof bad_len[0]; i++) {
                tu_buf_t t = { 0 };
                tu_ng_shb(&t, false);
                tu_ng_idb(&t, false, 1, 0, -1, false, 0);
                tu_ng_epb(&t, false, 0, 1, pkt7, 7, 7);
                size_t at = t.n;
                tu_ng_epb(&t, false, 0, 2, pkt60, 60, 60);
                t.b[at + 4] = (uint8_t) bad_len[i];
                t.b[at + 5] = (uint8_t) (bad_len[i] >> 8);
                t.b[at + 6] = (uint8_t) (bad_len[i] >> 16);
                t.b[at + 7] = (uint8_t) (bad_len[i] >> 24);
                CHECK_EQ(read_all(&t, &g, errbuf, sizeof errbuf), 0);
                CHECK_MSG(g.n == 1 && g.end == -EBADMSG, "block length %u: %d packets, end %d", bad_len[i], g.n, g.end);
                CHECK_MSG(g.err[0] != 0, "block length %u: no reason given", bad_len[i]);
                tu_free(&t);
        }
        /* the trailing length disagrees */
        tu_buf_t t = { 0 };
        tu_ng_shb(&t, false);
        tu_ng_idb(&t, false, 1, 0, -1, false, 0);
        tu_ng_epb(&t, false, 0, 1, pkt7, 7, 7);
        t.b[t.n - 4] ^= 4;
        CHECK_EQ(read_all(&t, &g, errbuf, sizeof errbuf), 0);
        CHECK_EQ(g.n, 0);
        CHECK_EQ(g.end, -EBADMSG);
        tu_free(&t);
        /* EPB: caplen larger than the block */
        tu_ng_shb(&t, false);
        tu_ng_idb(&t, false, 1, 0, -1, false, 0);
        size_t at = t.n;
        tu_ng_epb(&t, false, 0, 1, pkt7, 7, 7);
        t.b[at + 8 + 12] = 200;
        CHECK_EQ(read_all(&t, &g, errbuf, sizeof errbuf), 0);
        CHECK_EQ(g.n, 0);
        CHECK_EQ(g.end, -EBADMSG);
        tu_free(&t);
        /* EPB for an interface that was never described, SPB without any interface */
        tu_ng_shb(&t, false);
        tu_ng_epb(&t, false, 0, 1, pkt7, 7, 7);
        CHECK_EQ(read_all(&t, &g, errbuf, sizeof errbuf), 0);
        CHECK_EQ(g.n, 0);
        CHECK_EQ(g.end, -EBADMSG);
        tu_free(&t);
        tu_ng_shb(&t, false);
        tu_ng_spb(&t, false, pkt7, 7, 7);
        CHECK_EQ(read_all(&t, &g, errbuf, sizeof errbuf), 0);
        CHECK_EQ(g.end, -EBADMSG);
        tu_free(&t);
        /* an IDB too short to hold its fields, with options running past its end */
        tu_ng_shb(&t, false);
        tu_ng_block(&t, false, 1, (const uint8_t[4]) { 1, 0, 0, 0 }, 4);
        tu_ng_block(&t, false, 1, (const uint8_t[16]) { 1, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0xff, 0x7f, 1 }, 16);
        tu_ng_epb(&t, false, 1, 1, pkt7, 7, 7);
        CHECK_EQ(read_all(&t, &g, errbuf, sizeof errbuf), 0);
        CHECK_EQ(g.n, 1);
        tu_free(&t);
        /* a bad byte-order magic in a later section header */
        tu_ng_shb(&t, false);
        at = t.n;
        tu_ng_shb(&t, false);
        t.b[at + 8] = 0x11;
        CHECK_EQ(read_all(&t, &g, errbuf, sizeof errbuf), 0);
        CHECK_EQ(g.end, -EBADMSG);
        tu_free(&t);
}

static void test_pcapng_truncated_every_byte(void) {
        char errbuf[256];
        got_t g;
        tu_buf_t t = { 0 };
        tu_ng_shb(&t, true);
        size_t shb_end = t.n;
        tu_ng_idb(&t, true, 1, 0, 9, true, 5);
        size_t ends[8];
        int n_ends = 0;
        ends[n_ends++] = t.n;
        tu_ng_epb(&t, true, 0, 1, pkt60, 60, 60);
        ends[n_ends++] = t.n;
        tu_ng_spb(&t, true, pkt33, 33, 33);
        ends[n_ends++] = t.n;
        tu_ng_epb(&t, true, 0, 3, pkt7, 7, 7);
        ends[n_ends++] = t.n;
        for (size_t cut = 0; cut <= t.n; cut++) {
                tu_buf_t c = { .b = t.b, .n = cut };
                int r = read_all(&c, &g, errbuf, sizeof errbuf);
                if (cut < shb_end) {
                        CHECK_MSG(r == -EBADMSG, "cut %zu inside the SHB: open gave %d", cut, r);
                        CHECK_MSG(errbuf[0] != 0, "cut %zu: no reason", cut);
                        continue;
                }
                CHECK_MSG(r == 0, "cut %zu: open gave %d (%s)", cut, r, errbuf);
                int whole = 0;
                bool boundary = cut == shb_end;
                for (int i = 0; i < n_ends; i++) {
                        if (cut >= ends[i] && i > 0)
                                whole++;
                        if (cut == ends[i])
                                boundary = true;
                }
                CHECK_MSG(g.n == whole, "cut %zu: %d packets, expected %d", cut, g.n, whole);
                CHECK_MSG(g.end == (boundary ? 0 : -EBADMSG), "cut %zu: end %d", cut, g.end);
                if (!boundary)
                        CHECK_MSG(g.err[0], "cut %zu: no reason", cut);
        }
        tu_free(&t);
}

static void test_small_files(void) {
        char errbuf[256];
        got_t g;
        /* empty */
        tu_buf_t t = { 0 };
        CHECK_EQ(read_all(&t, &g, errbuf, sizeof errbuf), -EBADMSG);
        CHECK(errbuf[0] != 0);
        /* every prefix of a classic pcap header: only the whole 24 bytes are a (packetless) capture */
        for (int be = 0; be < 2; be++)
                for (int nano = 0; nano < 2; nano++) {
                        tu_reset(&t);
                        tu_pcap_header(&t, be, nano, 1, 65535);
                        for (size_t n = 0; n <= 24; n++) {
                                tu_buf_t c = { .b = t.b, .n = n };
                                int r = read_all(&c, &g, errbuf, sizeof errbuf);
                                if (n < 24) {
                                        CHECK_MSG(r == -EBADMSG, "pcap be=%d nano=%d, %zu bytes: %d", be, nano, n, r);
                                        CHECK_MSG(errbuf[0] != 0, "%zu bytes: no reason", n);
                                } else {
                                        CHECK_MSG(r == 0 && g.n == 0 && g.end == 0, "24-byte pcap: r=%d n=%d end=%d (%s)",
                                                  r, g.n, g.end, errbuf);
                                }
                        }
                }
        /* pcapng: an SHB alone (28 bytes) is an empty capture; each prefix is not a capture */
        for (int be = 0; be < 2; be++) {
                tu_reset(&t);
                tu_ng_shb(&t, be);
                CHECK_EQU(t.n, 28);
                for (size_t n = 0; n <= 28; n++) {
                        tu_buf_t c = { .b = t.b, .n = n };
                        int r = read_all(&c, &g, errbuf, sizeof errbuf);
                        if (n < 28)
                                CHECK_MSG(r == -EBADMSG && errbuf[0], "pcapng be=%d, %zu bytes: %d", be, n, r);
                        else
                                CHECK_MSG(r == 0 && g.n == 0 && g.end == 0, "SHB only: r=%d n=%d end=%d", r, g.n, g.end);
                }
        }
        /* not a capture: text, an ELF header, a block that is not an SHB first */
        static const char elf[] = { 0x7f, 'E', 'L', 'F', 2, 1, 1, 0 };
        static const char epb_first[] = { 6, 0, 0, 0, 0x20, 0, 0, 0 };
        static const struct { const char *b; size_t n; } junk[] = {
                { "hello world, this is not a capture", 34 }, { elf, sizeof elf }, { epb_first, sizeof epb_first },
        };
        for (unsigned i = 0; i < 3; i++) {
                tu_buf_t c = { .b = (uint8_t *) junk[i].b, .n = junk[i].n };
                CHECK_EQ(read_all(&c, &g, errbuf, sizeof errbuf), -EBADMSG);
                CHECK(errbuf[0] != 0);
        }
        /* blocks before the SHB: an IDB, then an SHB */
        tu_reset(&t);
        tu_ng_idb(&t, false, 1, 0, -1, false, 0);
        tu_ng_shb(&t, false);
        CHECK_EQ(read_all(&t, &g, errbuf, sizeof errbuf), -EBADMSG);
        tu_free(&t);
}

static void test_classic_pcap(void) {
        char errbuf[256];
        got_t g;
        for (int be = 0; be < 2; be++)
                for (int nano = 0; nano < 2; nano++) {
                        tu_buf_t t = { 0 };
                        tu_pcap_header(&t, be, nano, 113, 262144);
                        tu_pcap_record(&t, be, nano, 1700000000123456789LL, pkt60, 60, 60);
                        tu_pcap_record(&t, be, nano, 1700000001000000999LL, pkt33, 33, 1500);
                        tu_memfile_t m;
                        FILE *f = tu_fmemopen(&m, t.b, t.n);
                        capture_reader_t *r = NULL;
                        CHECK_EQ(capture_open(f, &r, errbuf, sizeof errbuf), 0);
                        if (r) {
                                CHECK_STR(capture_format(r), "pcap");
                                CHECK_EQ(capture_nanosecond(r), nano);
                                CHECK_EQU(capture_snaplen(r), 262144);
                                capture_close(r);
                        }
                        tu_fclose(&m);
                        CHECK_EQ(read_all(&t, &g, errbuf, sizeof errbuf), 0);
                        CHECK_MSG(g.n == 2, "be=%d nano=%d: %d packets (%s)", be, nano, g.n, g.err);
                        CHECK_EQ(g.end, 0);
                        CHECK_EQ(g.dlt[0], 113);
                        CHECK_EQ(g.ts[0], nano ? 1700000000123456789LL : 1700000000123456000LL);
                        CHECK_EQ(g.ts[1], nano ? 1700000001000000999LL : 1700000001000000000LL);
                        CHECK_EQU(g.caplen[1], 33);
                        CHECK_EQU(g.len[1], 1500);
                        CHECK_EQU(g.first[0], 0xaa);
                        CHECK_EQU(g.frame[0], 1);
                        CHECK_EQU(g.frame[1], 2);
                        CHECK_EQU(g.offset, t.n);
                        /* cut inside the second record: one packet, then an error with a reason */
                        for (size_t cut = 24 + 16 + 60 + 1; cut < t.n; cut += 7) {
                                tu_buf_t c = { .b = t.b, .n = cut };
                                CHECK_EQ(read_all(&c, &g, errbuf, sizeof errbuf), 0);
                                CHECK_MSG(g.n == 1 && g.end < 0 && g.err[0], "cut %zu: n=%d end=%d", cut, g.n, g.end);
                        }
                        tu_free(&t);
                }
        /* a pcapng file reports itself as such */
        tu_buf_t t = { 0 };
        tu_ng_shb(&t, false);
        tu_memfile_t m;
        FILE *f = tu_fmemopen(&m, t.b, t.n);
        capture_reader_t *r = NULL;
        CHECK_EQ(capture_open(f, &r, errbuf, sizeof errbuf), 0);
        if (r) {
                CHECK_STR(capture_format(r), "pcapng");
                capture_close(r);
        }
        tu_fclose(&m);
        tu_free(&t);
        /* a classic record whose caplen is absurd */
        tu_pcap_header(&t, false, false, 1, 65535);
        tu_pcap_record(&t, false, false, 0, pkt7, 7, 7);
        t.b[24 + 8] = 0xff;
        t.b[24 + 9] = 0xff;
        t.b[24 + 10] = 0xff;
        t.b[24 + 11] = 0x7f;
        CHECK_EQ(read_all(&t, &g, errbuf, sizeof errbuf), 0);
        CHECK_EQ(g.n, 0);
        CHECK(g.end < 0);
        tu_free(&t);
}

int main(void) {
        RUN(test_pcapng_basic);
        RUN(test_pcapng_interfaces);
        RUN(test_pcapng_resolutions);
        RUN(test_pcapng_huge_timestamp);
        RUN(test_pcapng_spb_unknown);
        RUN(test_pcapng_sections);
        RUN(test_pcapng_frame_numbers);
        RUN(test_pcapng_bogus);
        RUN(test_pcapng_truncated_every_byte);
        RUN(test_small_files);
        RUN(test_classic_pcap);
        return tu_exit();
}
