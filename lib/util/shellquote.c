/* Single-quoting for POSIX shells (shellquote.h). */
#include <errno.h>

#include "util/shellquote.h"

int shell_quote(const char *s, char *buf, size_t len) {
        size_t n = 0;
#define PUT(c)                          \
        do {                            \
                if (n + 1 >= len)       \
                        goto too_small; \
                buf[n++] = (c);         \
        } while (0)
        if (!buf || len == 0)
                return -ENOBUFS;
        PUT('\'');
        for (const char *p = s; *p; p++) {
                if (*p == '\'') {
                        /* close the quote, an escaped quote, open again */
                        PUT('\'');
                        PUT('\\');
                        PUT('\'');
                        PUT('\'');
                } else
                        PUT(*p);
        }
        PUT('\'');
#undef PUT
        buf[n] = 0;
        return (int) n;
too_small:
        buf[0] = 0;
        return -ENOBUFS;
}
