/* upload.c's pure parts: the file name a user gave, cleaned, and the capture magic. Links web_lib. */
#include <stdio.h>
#include <string.h>

#include "../check.h"

#include "upload.h"

static void name(const char *in, const char *want) {
        char out[64];
        upload_sanitize_filename(in, strlen(in), out, sizeof(out));
        if (strcmp(out, want) != 0) {
                fprintf(stderr, "FAIL \"%s\" -> \"%s\", expected \"%s\"\n", in, out, want);
                tu_failures++;
        }
}

int main(void) {
        static const unsigned char pcap[24] = { 0xd4, 0xc3, 0xb2, 0xa1 }, ng[24] = { 0x0a, 0x0d, 0x0d, 0x0a },
                                   nspcap[24] = { 0x4d, 0x3c, 0xb2, 0xa1 }, text[24] = "GIF89a";

        name("capture.pcap", "capture.pcap");
        name("../../etc/passwd", "passwd");
        name("C:\\Users\\me\\trace.pcapng", "trace.pcapng");
        name("a\\\"b.pcap", "a\"b.pcap");
        name("new\nline\r.pcap", "newline.pcap");
        name("", "capture");
        name("..", "capture");
        name("dir/", "capture");
        name("\x01\x02", "capture");
        {
                /* a long name is cut to the buffer, NUL-terminated */
                char in[200], out[16];
                memset(in, 'n', sizeof(in));
                upload_sanitize_filename(in, sizeof(in), out, sizeof(out));
                if (strlen(out) != sizeof(out) - 1) {
                        fprintf(stderr, "FAIL long name not cut\n");
                        tu_failures++;
                }
        }
        if (!upload_is_capture(pcap, sizeof(pcap)) || !upload_is_capture(ng, sizeof(ng)) ||
            !upload_is_capture(nspcap, sizeof(nspcap)) || upload_is_capture(text, sizeof(text)) ||
            upload_is_capture(pcap, 23)) {
                fprintf(stderr, "FAIL capture magic\n");
                tu_failures++;
        }
        printf("%d tu_failures\n", tu_failures);
        return tu_failures ? 1 : 0;
}
