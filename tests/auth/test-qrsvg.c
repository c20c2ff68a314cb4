/* lib/auth/qrsvg: the SVG's modules are libqrencode's, shifted by the quiet zone; the document has the fixed
 * header and footer, one path, nothing active; texts too long are refused. Decoding the image is not needed:
 * the modules are compared one by one with the encoder's. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

#include "../check.h"

#include "auth/qrsvg.h"

/* Checks svg against the QR code of text; the number of dark modules in *ret_dark. */
static void check_svg(const char *text, const char *svg, unsigned *ret_dark) {
        QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
        unsigned size, w, h, vb, dark = 0, want_dark = 0, n_runs = 0;
        const char *d, *end;
        unsigned char *grid;
        int used = 0;

        *ret_dark = 0;
        CHECK(qr != NULL);
        if (!qr)
                return;
        size = (unsigned) qr->width + 2 * QRSVG_QUIET;

        /* header, footer, one element of each kind, nothing that runs or loads */
        CHECK_EQ(sscanf(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" viewBox=\"0 0 %u %u\""
                             "%n", &w, &h, &vb, &vb, &used), 4);
        CHECK(used > 0);
        CHECK_EQU(vb, size);
        CHECK_EQU(w, size * QRSVG_MODULE_PX);
        CHECK_EQU(h, size * QRSVG_MODULE_PX);
        CHECK(strlen(svg) > 10 && strcmp(svg + strlen(svg) - 10, "\"/></svg>\n") == 0);
        CHECK(strstr(svg, "<path") && !strstr(strstr(svg, "<path") + 1, "<path"));
        unsigned lt = 0;
        for (const char *p = svg; *p; p++) {
                lt += *p == '<';
                CHECK((*p >= 0x20 && *p < 0x7f) || *p == '\n');
        }
        CHECK_EQU(lt, 4); /* <svg <rect <path </svg */
        static const char *never[] = { "script", "style", "href", "url(", "javascript", "<!", "<?", "foreignObject",
                                       " on", "&", "'" };
        for (size_t i = 0; i < ELEMENTSOF(never); i++)
                CHECK_MSG(!strstr(svg, never[i]), "\"%s\" in the SVG", never[i]);
        CHECK(strstr(svg, "<rect width=\"") != NULL);

        /* the path, run by run, onto a grid */
        d = strstr(svg, " d=\"");
        CHECK(d != NULL);
        if (!d) {
                QRcode_free(qr);
                return;
        }
        d += 4;
        end = strchr(d, '"');
        grid = calloc((size_t) size * size, 1);
        unsigned px = 0, py = 0;
        bool moved = false;
        while (d < end) {
                unsigned a, len;
                int k = 0;
                if (sscanf(d, "M%u %u.5%n", &a, &py, &k) == 2 && k > 0) {
                        px = a;
                        moved = true;
                } else if (moved && sscanf(d, "m%u 0%n", &a, &k) == 1 && k > 0 && a > 0)
                        px += a;
                else if (moved && sscanf(d, "h%u%n", &len, &k) == 1 && k > 0 && len > 0 && py < size &&
                         px + len <= size) {
                        for (unsigned i = 0; i < len; i++) {
                                CHECK(grid[py * size + px + i] == 0); /* runs do not overlap */
                                grid[py * size + px + i] = 1;
                        }
                        px += len;
                        n_runs++;
                } else {
                        TU_FAIL("path does not parse at \"%.20s\"", d);
                        break;
                }
                d += k;
        }
        CHECK(d == end);

        /* every module, the quiet zone included */
        unsigned wrong = 0;
        for (unsigned y = 0; y < size; y++)
                for (unsigned x = 0; x < size; x++) {
                        bool in = x >= QRSVG_QUIET && y >= QRSVG_QUIET && x < size - QRSVG_QUIET && y < size - QRSVG_QUIET;
                        bool want = in && (qr->data[(y - QRSVG_QUIET) * (unsigned) qr->width + x - QRSVG_QUIET] & 1);
                        if (grid[y * size + x] != want && wrong++ == 0)
                                TU_FAIL("module %u,%u: %d, expected %d", x, y, grid[y * size + x], want);
                        dark += grid[y * size + x];
                }
        CHECK_EQU(wrong, 0);
        for (int i = 0; i < qr->width * qr->width; i++)
                want_dark += qr->data[i] & 1;
        CHECK_EQU(dark, want_dark);
        CHECK(n_runs > 0 && n_runs < want_dark); /* runs, not one square a module */
        *ret_dark = dark;
        free(grid);
        QRcode_free(qr);
}

static void test_render(void) {
        static const char *texts[] = {
                ("otpauth://totp/pcapd:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=pcapd"
                 "&algorithm=SHA1&digits=6&period=30"),
                "x",
                "0123456789",
                "HELLO WORLD",
                "<script>alert(1)</script>\"'&</svg><a href=\"javascript:x\">",
                "J\xc3\xbcrgen \xe2\x80\xae \xf0\x9f\x94\x91",
        };
        for (size_t i = 0; i < ELEMENTSOF(texts); i++) {
                _cleanup_free_ char *svg = NULL, *again = NULL;
                unsigned dark;
                CHECK_EQ(qrsvg_render(texts[i], &svg), 0);
                if (!svg)
                        continue;
                check_svg(texts[i], svg, &dark);
                CHECK(dark > 0);
                /* the same text, the same image */
                CHECK_EQ(qrsvg_render(texts[i], &again), 0);
                CHECK_STR(again, svg);
        }
}

static void test_sizes(void) {
        _cleanup_free_ char *big = malloc(QRSVG_TEXT_MAX + 2), *svg = NULL;
        unsigned dark;

        /* the largest symbol (version 40, 177 modules) still renders */
        memset(big, 'a', 2331);
        big[2331] = 0;
        CHECK_EQ(qrsvg_render(big, &svg), 0);
        if (svg) {
                check_svg(big, svg, &dark);
                CHECK_CONTAINS(svg, "viewBox=\"0 0 185 185\"");
                CHECK(strlen(svg) < 80 * 1024);
                free(svg);
                svg = NULL;
        }
        /* one byte more does not fit at level M; nor does anything above QRSVG_TEXT_MAX */
        big[2331] = 'a';
        big[2332] = 0;
        CHECK_EQ(qrsvg_render(big, &svg), -EINVAL);
        memset(big, '7', QRSVG_TEXT_MAX + 1);
        big[QRSVG_TEXT_MAX + 1] = 0;
        CHECK_EQ(qrsvg_render(big, &svg), -EINVAL);
        big[QRSVG_TEXT_MAX] = 0; /* digits: fits level L, not M */
        CHECK_EQ(qrsvg_render(big, &svg), -EINVAL);
        CHECK_EQ(qrsvg_render("", &svg), -EINVAL);
        CHECK_EQ(qrsvg_render(NULL, &svg), -EINVAL);
        CHECK(svg == NULL);
}

int main(void) {
        RUN(test_render);
        RUN(test_sizes);
        return tu_exit();
}
