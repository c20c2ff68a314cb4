/* The one JSON string escaper and UTF-8 validator (jsonesc.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonesc.h"

size_t utf8_valid_len(const unsigned char *s, size_t n) {
        if (n == 0)
                return 0;
        unsigned char c = s[0];
        if (c < 0x80)
                return 1;
        size_t len;
        uint32_t cp;
        if (c >= 0xc2 && c <= 0xdf) {
                len = 2;
                cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
                len = 3;
                cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
                len = 4;
                cp = c & 0x07;
        } else
                return 0;
        if (n < len)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = cp << 6 | (s[i] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return len;
}

bool utf8_is_valid(const char *s) {
        const unsigned char *u = (const unsigned char *) s;
        size_t n = strlen(s);
        for (size_t i = 0; i < n;) {
                size_t l = utf8_valid_len(u + i, n - i);
                if (l == 0)
                        return false;
                i += l;
        }
        return true;
}

char *utf8_make_valid(const char *s) {
        const unsigned char *u = (const unsigned char *) s;
        size_t n = strlen(s), o = 0;
        char *out = malloc(n * 3 + 1); /* every byte might become the 3 of U+FFFD */

        if (!out)
                return NULL;
        for (size_t i = 0; i < n;) {
                size_t l = utf8_valid_len(u + i, n - i);
                if (l == 0) {
                        memcpy(out + o, "\xef\xbf\xbd", 3);
                        o += 3;
                        i++;
                } else {
                        memcpy(out + o, s + i, l);
                        o += l;
                        i += l;
                }
        }
        out[o] = 0;
        return out;
}

size_t utf8_cut(const char *s, size_t n) {
        const unsigned char *u = (const unsigned char *) s;
        size_t j = n;

        /* back to the lead byte of the character that contains byte n - 1 */
        while (j > 0 && n - j < 3 && (u[j - 1] & 0xc0) == 0x80)
                j--;
        if (j == 0 || u[j - 1] < 0xc0)
                return n; /* ends on ASCII or on stray continuation bytes: nothing partial to drop */
        j--;
        size_t l = utf8_valid_len(u + j, strlen(s + j));
        return l > 0 && j + l > n ? j : n;
}

void json_escape(const char *str, size_t n, json_put_fn put, void *ctx) {
        const unsigned char *s = (const unsigned char *) str;
        for (size_t i = 0; i < n;) {
                unsigned char c = s[i];
                if (c == '"' || c == '\\') {
                        char e[2] = { '\\', (char) c };
                        put(ctx, e, 2);
                        i++;
                } else if (c < 0x20 || c == 0x7f) {
                        char u[8];
                        switch (c) {
                        case '\n': put(ctx, "\\n", 2); break;
                        case '\r': put(ctx, "\\r", 2); break;
                        case '\t': put(ctx, "\\t", 2); break;
                        default:
                                snprintf(u, sizeof u, "\\u%04x", c);
                                put(ctx, u, 6);
                                break;
                        }
                        i++;
                } else if (c < 0x80) {
                        /* a run of plain ASCII at once */
                        size_t k = i + 1;
                        while (k < n && s[k] >= 0x20 && s[k] < 0x7f && s[k] != '"' && s[k] != '\\')
                                k++;
                        put(ctx, str + i, k - i);
                        i = k;
                } else {
                        size_t l = utf8_valid_len(s + i, n - i);
                        if (l == 0) {
                                put(ctx, "\\ufffd", 6);
                                i++;
                        } else if (l == 3 && s[i] == 0xe2 && s[i + 1] == 0x80 && (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
                                put(ctx, s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
                                i += 3;
                        } else {
                                put(ctx, str + i, l);
                                i += l;
                        }
                }
        }
}
