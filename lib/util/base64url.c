/* base64url_encode(): RFC 4648 section 5, no padding. */
#include "util/base64url.h"

#include <errno.h>

int base64url_encode(const uint8_t *in, size_t n, char *out, size_t out_size) {
        static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        size_t i, k = 0;

        if (n > (SIZE_MAX - 2) / 4 || out_size < BASE64URL_ENCODED_LEN(n) + 1)
                return -ENOBUFS;
        for (i = 0; i + 3 <= n; i += 3) {
                uint32_t v = (uint32_t) in[i] << 16 | (uint32_t) in[i + 1] << 8 | in[i + 2];
                out[k++] = alphabet[v >> 18];
                out[k++] = alphabet[(v >> 12) & 63];
                out[k++] = alphabet[(v >> 6) & 63];
                out[k++] = alphabet[v & 63];
        }
        if (n - i == 1) {
                out[k++] = alphabet[in[i] >> 2];
                out[k++] = alphabet[(in[i] & 3) << 4];
        } else if (n - i == 2) {
                out[k++] = alphabet[in[i] >> 2];
                out[k++] = alphabet[(in[i] & 3) << 4 | in[i + 1] >> 4];
                out[k++] = alphabet[(in[i + 1] & 15) << 2];
        }
        out[k] = 0;
        return 0;
}
