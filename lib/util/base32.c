/* Base32 (RFC 4648) encoder and lenient decoder (base32.h). */
#include "util/base32.h"

#include <errno.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int base32_encode(const uint8_t *in, size_t n, char *out, size_t out_size) {
        uint32_t acc = 0;
        unsigned bits = 0;
        size_t k = 0;

        if (n > (SIZE_MAX - 5) / 8 || out_size < BASE32_ENCODED_LEN(n) + 1)
                return -ENOBUFS;
        for (size_t i = 0; i < n; i++) {
                acc = (acc << 8) | in[i];
                bits += 8;
                while (bits >= 5) {
                        bits -= 5;
                        out[k++] = alphabet[(acc >> bits) & 31];
                }
        }
        if (bits > 0)
                out[k++] = alphabet[(acc << (5 - bits)) & 31];
        out[k] = 0;
        return 0;
}

/* The 5-bit value of c, -1 for a character outside the alphabet. */
static int base32_value(char c) {
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a';
        if (c >= '2' && c <= '7')
                return c - '2' + 26;
        return -1;
}

int base32_decode(const char *in, uint8_t *out, size_t out_size, size_t *ret_len) {
        size_t chars = 0, len, k = 0;
        uint32_t acc = 0;
        unsigned bits = 0;
        int padding = 0;

        if (!in)
                return -EINVAL;
        /* first pass: validate and count, so that out is written only for an input that is accepted */
        for (const char *p = in; *p; p++) {
                if (*p == ' ')
                        continue;
                if (*p == '=') {
                        padding = 1;
                        continue;
                }
                if (padding || base32_value(*p) < 0)
                        return -EINVAL;
                chars++;
        }
        if (chars % 8 == 1 || chars % 8 == 3 || chars % 8 == 6)
                return -EINVAL;
        len = chars / 8 * 5 + (chars % 8) * 5 / 8;
        if (len > out_size)
                return -ENOBUFS;

        for (const char *p = in; *p && *p != '='; p++) {
                if (*p == ' ')
                        continue;
                acc = (acc << 5) | (uint32_t) base32_value(*p);
                bits += 5;
                if (bits >= 8) {
                        bits -= 8;
                        out[k++] = (uint8_t) (acc >> bits);
                }
        }
        if (ret_len)
                *ret_len = len;
        return 0;
}
