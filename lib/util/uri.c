/* uri_escape(): percent-encoding of everything but the unreserved characters. */
#include "util/uri.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static bool uri_is_unreserved(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
               c == '_' || c == '~';
}

int uri_escape(const char *s, char **ret) {
        return uri_escape_keep(s, "", ret);
}

int uri_escape_keep(const char *s, const char *keep, char **ret) {
        static const char digits[] = "0123456789ABCDEF";
        size_t n, k = 0;
        char *out;

        if (!s)
                return -EINVAL;
        n = strlen(s);
        if (n > (SIZE_MAX - 1) / 3)
                return -ENOMEM;
        out = malloc(3 * n + 1);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) s[i];
                if (uri_is_unreserved((char) c) || (c && strchr(keep, c)))
                        out[k++] = (char) c;
                else {
                        out[k++] = '%';
                        out[k++] = digits[c >> 4];
                        out[k++] = digits[c & 15];
                }
        }
        out[k] = 0;
        *ret = out;
        return 0;
}
