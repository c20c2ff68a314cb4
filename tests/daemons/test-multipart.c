/* Tests of the multipart/form-data parser: boundaries, line endings, truncation, odd parts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"

#include "multipart.h"

static int find(const char *body, size_t len, const char *b, multipart_file_t *f) {
        /* copy into an exact-size heap buffer so ASan catches any read past the end */
        char *copy = malloc(len ? len : 1);
        memcpy(copy, body, len);
        int r = multipart_find_file((const uint8_t *) copy, len, b, strlen(b), "file", f);
        if (r == 0) {
                /* rebase pointers into the caller's buffer before freeing the copy */
                f->data = (const uint8_t *) body + (f->data - (const uint8_t *) copy);
                if (f->filename)
                        f->filename = body + (f->filename - copy);
        }
        free(copy);
        return r;
}

static void test_boundary(void) {
        const char *b;
        size_t n;

#define BOUNDARY_OK(ct, expect)                                                                   \
        do {                                                                                      \
                CHECK(multipart_get_boundary(ct, strlen(ct), &b, &n) == 0);                       \
                CHECK(n == strlen(expect) && memcmp(b, expect, n) == 0);                          \
        } while (0)

        BOUNDARY_OK("multipart/form-data; boundary=------------------------abc123", "------------------------abc123");
        BOUNDARY_OK("multipart/form-data; boundary=\"quoted boundary\"", "quoted boundary");
        BOUNDARY_OK("Multipart/Form-Data;BOUNDARY=x", "x");
        BOUNDARY_OK("multipart/form-data; charset=utf-8; boundary=WebKitFormBoundary7MA4YWxk", "WebKitFormBoundary7MA4YWxk");
        BOUNDARY_OK("multipart/form-data; boundary=abc ; foo=bar", "abc");
        BOUNDARY_OK("multipart/form-data; foo=\"a;b\"; boundary=\"q\"", "q");
        CHECK(multipart_get_boundary("text/plain", 10, &b, &n) == -EMEDIUMTYPE);
        CHECK(multipart_get_boundary("multipart/form-dataX; boundary=a", 32, &b, &n) == -EMEDIUMTYPE);
        CHECK(multipart_get_boundary("multipart/form-data", 19, &b, &n) == -EBADMSG);
        CHECK(multipart_get_boundary("multipart/form-data; boundary=", 30, &b, &n) == -EBADMSG);
        CHECK(multipart_get_boundary("multipart/form-data; boundary=\"\"", 32, &b, &n) == -EBADMSG);
        CHECK(multipart_get_boundary("multipart/form-data; boundary=\"open", 35, &b, &n) == -EBADMSG);
        {
                char ct[200];
                snprintf(ct, sizeof(ct), "multipart/form-data; boundary=%071d", 0);
                CHECK(multipart_get_boundary(ct, strlen(ct), &b, &n) == -EBADMSG);
                snprintf(ct, sizeof(ct), "multipart/form-data; boundary=%070d", 0);
                CHECK(multipart_get_boundary(ct, strlen(ct), &b, &n) == 0 && n == 70);
        }
}

static void test_curl_body(void) {
        const char body[] = "--XyZ\r\n"
                            "Content-Disposition: form-data; name=\"file\"; filename=\"trace.pcap\"\r\n"
                            "Content-Type: application/octet-stream\r\n"
                            "\r\n"
                            "\xd4\xc3\xb2\xa1 binary\r\n\r\n-- not a delimiter\r\n"
                            "\r\n--XyZ--\r\n";
        multipart_file_t f;
        CHECK(find(body, sizeof(body) - 1, "XyZ", &f) == 0);
        CHECK(f.size == strlen("\xd4\xc3\xb2\xa1 binary\r\n\r\n-- not a delimiter\r\n"));
        CHECK(memcmp(f.data, "\xd4\xc3\xb2\xa1 binary", 11) == 0);
        CHECK(f.filename_len == 10 && memcmp(f.filename, "trace.pcap", 10) == 0);
}

static void test_lf_only(void) {
        const char body[] = "--b\n"
                            "Content-Disposition: form-data; name=\"file\"; filename=\"x\"\n"
                            "\n"
                            "DATA\n"
                            "--b--\n";
        multipart_file_t f;
        CHECK(find(body, sizeof(body) - 1, "b", &f) == 0);
        CHECK(f.size == 4 && memcmp(f.data, "DATA", 4) == 0);
}

static void test_mixed_line_endings(void) {
        const char body[] = "--b\r\n"
                            "content-disposition: form-data; name=file\n"
                            "\r\n"
                            "DATA\r\n"
                            "--b--";
        multipart_file_t f;
        CHECK(find(body, sizeof(body) - 1, "b", &f) == 0);
        CHECK(f.size == 4 && memcmp(f.data, "DATA", 4) == 0);
        CHECK(f.filename == NULL);
}

static void test_missing_final_boundary(void) {
        const char body[] = "--b\r\n"
                            "Content-Disposition: form-data; name=\"file\"; filename=\"x\"\r\n"
                            "\r\n"
                            "DATA that never ends";
        multipart_file_t f;
        CHECK(find(body, sizeof(body) - 1, "b", &f) == -EBADMSG);

        /* boundary present but cut right after it */
        const char body2[] = "--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nDATA\r\n--b";
        CHECK(find(body2, sizeof(body2) - 1, "b", &f) == -EBADMSG);

        /* a closing delimiter for the file but none for a later part */
        const char body3[] = "--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nDATA\r\n--b\r\n"
                             "Content-Disposition: form-data; name=\"x\"\r\n\r\nvalue";
        CHECK(find(body3, sizeof(body3) - 1, "b", &f) == 0); /* the file part itself is complete */
}

static void test_boundary_inside_data(void) {
        /* the boundary text appears in the data without a leading line break, and with one but followed by
         * more characters: both are data */
        const char body[] = "--bound\r\n"
                            "Content-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n"
                            "\r\n"
                            "A--boundB\r\n--boundX\r\n--bound-\r\nC"
                            "\r\n--bound--\r\n";
        multipart_file_t f;
        const char expect[] = "A--boundB\r\n--boundX\r\n--bound-\r\nC";
        CHECK(find(body, sizeof(body) - 1, "bound", &f) == 0);
        CHECK(f.size == sizeof(expect) - 1 && memcmp(f.data, expect, f.size) == 0);
}

static void test_no_file_field(void) {
        const char body[] = "--b\r\n"
                            "Content-Disposition: form-data; name=\"comment\"\r\n"
                            "\r\n"
                            "hello\r\n"
                            "--b--\r\n";
        multipart_file_t f;
        CHECK(find(body, sizeof(body) - 1, "b", &f) == -ENOENT);
        CHECK(find("--b--\r\n", 7, "b", &f) == -ENOENT);
}

static void test_fallback_and_order(void) {
        const char body[] = "preamble text\r\n"
                            "--b\r\n"
                            "Content-Disposition: form-data; name=\"note\"\r\n"
                            "\r\n"
                            "n\r\n"
                            "--b  \t\r\n" /* transport padding */
                            "Content-Disposition: form-data; name=\"upload\"; filename=\"other.pcap\"\r\n"
                            "\r\n"
                            "OTHER\r\n"
                            "--b--\r\nepilogue";
        multipart_file_t f;
        CHECK(find(body, sizeof(body) - 1, "b", &f) == 0);
        CHECK(f.size == 5 && memcmp(f.data, "OTHER", 5) == 0);
        CHECK(f.filename_len == 10);

        const char body2[] = "--b\r\n"
                             "Content-Disposition: form-data; name=\"upload\"; filename=\"first\"\r\n\r\nFIRST\r\n"
                             "--b\r\n"
                             "Content-Disposition: form-data; filename=\"named.pcap\"; name=\"file\"\r\n\r\nNAMED\r\n"
                             "--b--";
        CHECK(find(body2, sizeof(body2) - 1, "b", &f) == 0);
        CHECK(f.size == 5 && memcmp(f.data, "NAMED", 5) == 0);
}

static void test_empty_file_and_escapes(void) {
        const char body[] = "--b\r\n"
                            "Content-Disposition: form-data; name=\"file\"; filename=\"a\\\"b.pcap\"\r\n"
                            "\r\n"
                            "\r\n--b--\r\n";
        multipart_file_t f;
        CHECK(find(body, sizeof(body) - 1, "b", &f) == 0);
        CHECK(f.size == 0);
        CHECK(f.filename_len == 9 && memcmp(f.filename, "a\\\"b.pcap", 9) == 0);
}

static void test_malformed(void) {
        multipart_file_t f;
        /* no delimiter at all */
        CHECK(find("just some bytes", 15, "b", &f) == -EBADMSG);
        /* delimiter not followed by a line break */
        CHECK(find("--bXYZ", 6, "b", &f) == -EBADMSG);
        /* headers never end */
        const char body[] = "--b\r\nContent-Disposition: form-data; name=\"file\"\r\nX: y";
        CHECK(find(body, sizeof(body) - 1, "b", &f) == -EBADMSG);
        /* empty body */
        CHECK(find("", 0, "b", &f) == -EBADMSG);
        /* too many parts */
        {
                size_t cap = 100000, len = 0;
                char *big = malloc(cap);
                for (int i = 0; i < MULTIPART_PARTS_MAX + 2; i++)
                        len += (size_t) snprintf(big + len, cap - len,
                                                 "--b\r\nContent-Disposition: form-data; name=\"f%d\"\r\n\r\nv\r\n", i);
                len += (size_t) snprintf(big + len, cap - len, "--b--\r\n");
                CHECK(find(big, len, "b", &f) == -EBADMSG);
                free(big);
        }
        /* headers too long */
        {
                size_t cap = 20000, len = 0;
                char *big = malloc(cap);
                len += (size_t) snprintf(big + len, cap - len, "--b\r\nContent-Disposition: form-data; name=\"file\"\r\n");
                for (int i = 0; i < 400; i++)
                        len += (size_t) snprintf(big + len, cap - len, "X-Filler-%03d: yyyyyyyyyyyy\r\n", i);
                len += (size_t) snprintf(big + len, cap - len, "\r\nDATA\r\n--b--\r\n");
                CHECK(find(big, len, "b", &f) == -EBADMSG);
                free(big);
        }
}

/* Every prefix of a valid body is either the whole body or malformed; none may read out of bounds. */
static void test_truncations(void) {
        const char body[] = "--WebKitFormBoundary\r\n"
                            "Content-Disposition: form-data; name=\"file\"; filename=\"t.pcap\"\r\n"
                            "Content-Type: application/vnd.tcpdump.pcap\r\n"
                            "\r\n"
                            "\x0a\x0d\x0d\x0a\r\n--WebKitFormBoundar\r\n"
                            "\r\n--WebKitFormBoundary--\r\n";
        size_t full = sizeof(body) - 1;
        size_t complete_at = full - 2; /* without the final CRLF it is still complete */
        for (size_t n = 0; n <= full; n++) {
                multipart_file_t f;
                int r = find(body, n, "WebKitFormBoundary", &f);
                if (n >= complete_at) {
                        CHECK(r == 0);
                        CHECK(f.size == 27);
                } else if (r != -EBADMSG) {
                        fprintf(stderr, "prefix %zu: %d\n", n, r);
                        tu_failures++;
                }
        }
}

int main(void) {
        test_boundary();
        test_curl_body();
        test_lf_only();
        test_mixed_line_endings();
        test_missing_final_boundary();
        test_boundary_inside_data();
        test_no_file_field();
        test_fallback_and_order();
        test_empty_file_and_escapes();
        test_malformed();
        test_truncations();
        if (tu_failures) {
                fprintf(stderr, "%d tu_failures\n", tu_failures);
                return 1;
        }
        printf("multipart: all checks passed\n");
        return 0;
}
