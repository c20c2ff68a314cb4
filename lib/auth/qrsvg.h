/* A QR code (libqrencode) as a small standalone SVG: what pcapd-web shows to enrol an authenticator app. The
 * image is one <rect> (the white background, quiet zone included) and one <path> of the dark modules, with
 * presentation attributes only: no script, no style, no external reference, so it is served or inlined under a
 * strict Content-Security-Policy. The text is not in the image but as modules, so it needs no escaping. */
#pragma once

#define QRSVG_QUIET 4         /* modules of white around the symbol (ISO/IEC 18004's quiet zone) */
#define QRSVG_MODULE_PX 4     /* width and height attributes: pixels a module (the viewBox scales freely) */
#define QRSVG_TEXT_MAX 7089   /* no QR code holds more characters (digits only, level L) */

/* A new NUL-terminated SVG document (free()) in *ret_svg of text encoded as a QR code at error-correction level
 * M (15 %; case-sensitive, the smallest version that fits, libqrencode's QRcode_encodeString() with QR_MODE_8):
 *         <svg xmlns="http://www.w3.org/2000/svg" width="W" height="W" viewBox="0 0 N N" ...>
 *         <rect .../><path stroke="#000" d="Mx y.5hLmG 0hL...M..."/></svg>
 * where N is the symbol's width plus twice QRSVG_QUIET and W = N * QRSVG_MODULE_PX. Each dark run is a line of
 * width 1 (the default stroke width) through the middle of its row: "Mx y.5" to the first run of row y at column
 * x, "mG 0" over a gap of G modules to the next one of the row, "hL" along a run of L modules (about 3 KB for an
 * otpauth:// URI). 0, -EINVAL for NULL, an empty text or one too long for any QR code at level M (about 2,300
 * bytes of a URI), -ENOMEM. Thread-safe (Debian's libqrencode is built with pthread). */
int qrsvg_render(const char *text, char **ret_svg);
