/* QR code to SVG (qrsvg.h): libqrencode's modules as runs of one path. */
#include "auth/qrsvg.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

#include "util/macro.h"

static void qrcode_freep(QRcode **q) {
        if (*q)
                QRcode_free(*q);
}

int qrsvg_render(const char *text, char **ret_svg) {
        _cleanup_(qrcode_freep) QRcode *qr = NULL;
        char *buf = NULL;
        size_t len = 0;
        unsigned w, size;
        FILE *f;
        int r;

        if (!text || !*text || strnlen(text, QRSVG_TEXT_MAX + 1) > QRSVG_TEXT_MAX)
                return -EINVAL;
        errno = 0;
        qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
        if (!qr)
                return errno == ENOMEM ? -ENOMEM : errno == ERANGE || errno == EINVAL ? -EINVAL : -EIO;
        w = (unsigned) qr->width;
        size = w + 2 * QRSVG_QUIET;

        f = open_memstream(&buf, &len);
        if (!f)
                return -ENOMEM;
        fprintf(f,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" viewBox=\"0 0 %u %u\" "
                "shape-rendering=\"crispEdges\"><rect width=\"%u\" height=\"%u\" fill=\"#fff\"/><path stroke=\"#000\" d=\"",
                size * QRSVG_MODULE_PX, size * QRSVG_MODULE_PX, size, size, size, size);
        /* each run of dark modules as a line one module thick through the middle of its row: "M" to the first
         * run of a row, "m" over the gap to the next, "h" along it (half the size of a closed square a run) */
        for (unsigned y = 0; y < w; y++) {
                unsigned pen = UINT_MAX; /* where the last run of this row ended */
                for (unsigned x = 0; x < w;) {
                        unsigned run = 0;
                        while (x + run < w && (qr->data[y * w + x + run] & 1))
                                run++;
                        if (run == 0) {
                                x++;
                                continue;
                        }
                        if (pen == UINT_MAX)
                                fprintf(f, "M%u %u.5h%u", x + QRSVG_QUIET, y + QRSVG_QUIET, run);
                        else
                                fprintf(f, "m%u 0h%u", x - pen, run);
                        x += run;
                        pen = x;
                }
        }
        fputs("\"/></svg>\n", f);
        r = ferror(f) ? -ENOMEM : 0;
        if (fclose(f) != 0 || r < 0) {
                free(buf);
                return -ENOMEM;
        }
        *ret_svg = buf;
        return 0;
}
