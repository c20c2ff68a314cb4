/* libFuzzer target for the engine: the input is a capture file (pcap/pcapng, read through libpcap from an
 * fmemopen'd FILE* exactly as pcap-analyzer reads one), or, when it does not start with a capture magic, one
 * raw packet whose first byte picks the link type, fed to the decoders directly. Every report is written, the
 * CSV export into a directory of its own in /tmp (left there for a look at the last input's tables). */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/analysis.h"

/* link types the engine decodes (DLT_ values as libpcap hands them over) */
static const int dlts[] = { 1 /* EN10MB */, 113 /* LINUX_SLL */, 276 /* LINUX_SLL2 */, 12 /* RAW (DLT_RAW on Linux) */,
                            101 /* LINKTYPE_RAW */, 0 /* NULL */, 108 /* LOOP */, 228 /* IPV4 */, 229 /* IPV6 */,
                            9 /* PPP */, 239 /* NFLOG */ };

static FILE *devnull;
static int csv_dir = -1; /* the CSV export's files, replaced by each input (a directory of its own in /tmp) */

static bool is_capture(const uint8_t *d, size_t n) {
        static const uint8_t magics[][4] = {
                { 0xd4, 0xc3, 0xb2, 0xa1 }, { 0xa1, 0xb2, 0xc3, 0xd4 }, /* pcap, usec */
                { 0x4d, 0x3c, 0xb2, 0xa1 }, { 0xa1, 0xb2, 0x3c, 0x4d }, /* pcap, nsec */
                { 0x0a, 0x0d, 0x0d, 0x0a },                             /* pcapng section header */
        };
        if (n < 4)
                return false;
        for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
                if (memcmp(d, magics[i], 4) == 0)
                        return true;
        return false;
}

/* progress callback: checks what it is given (the daemon streams it), never stops the analysis */
static int progress(const analysis_progress_t *p, void *userdata) {
        (void) userdata;
        if (!p || !p->phase || (p->percent > 100.0 + 1e-9) || (p->bytes_total && p->bytes_done > p->bytes_total))
                __builtin_trap();
        return 0;
}

static void write_reports(analysis_t *a) {
        analysis_finish(a);
        analysis_write_json(a, devnull);
        analysis_write_html(a, devnull);
        analysis_write_summary(a, devnull);
        if (csv_dir >= 0 && analysis_write_csv(a, csv_dir) < 0)
                __builtin_trap(); /* it can only fail for want of memory or disk, which a fuzzer run has */
        (void) analysis_get_packets(a);
        (void) analysis_get_health_score(a);
        (void) analysis_get_findings_count(a);
        (void) analysis_is_partial(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        analysis_limits_t limits;
        analysis_t *a = NULL;
        char err[256];

        if (!devnull) {
                devnull = fopen("/dev/null", "we");
                if (!devnull)
                        return 0;
                char tmpl[] = "/tmp/fuzz-engine-csv.XXXXXX";
                if (mkdtemp(tmpl))
                        csv_dir = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        }
        analysis_limits_default(&limits);
        /* small limits, so that the "table full" and "events capped" paths run too */
        limits.max_flows = 64;
        limits.max_events = 16;
        limits.max_dns_pending = 16;
        limits.max_frag_pending = 8;
        if (analysis_new(&limits, &a) < 0)
                return 0;

        if (is_capture(data, size)) {
                FILE *f = fmemopen((void *) data, size, "rb");
                /* the file size is unknown when the capture comes from a pipe; the packet limit cuts the
                 * analysis short: let the input's length pick, so both paths run */
                uint64_t size_hint = size % 2 ? size : 0;
                if (size % 3 == 0) {
                        analysis_free(a);
                        a = NULL;
                        limits.max_packets = 50;
                        if (analysis_new(&limits, &a) < 0) {
                                if (f)
                                        fclose(f);
                                return 0;
                        }
                }
                if (f) {
                        if (analysis_read_file(a, f, size_hint, progress, NULL, err, sizeof(err)) >= 0)
                                write_reports(a);
                        fclose(f);
                }
        } else if (size > 0) {
                /* byte 0: link type; the rest: two packets (the same bytes twice, 1 ms apart) so that flow state,
                 * not only the first-packet path, sees them */
                int dlt = dlts[data[0] % (sizeof(dlts) / sizeof(dlts[0]))];
                analysis_feed_packet(a, dlt, 1700000000000000000LL, (uint32_t) (size - 1), (uint32_t) (size - 1), data + 1);
                analysis_feed_packet(a, dlt, 1700000000001000000LL, (uint32_t) (size - 1), (uint32_t) size + 1000, data + 1);
                write_reports(a);
        }
        analysis_free(a);
        return 0;
}
