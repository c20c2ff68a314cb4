/* Request credentials (see credential.h). */
#include "credential.h"

#include <string.h>
#include <strings.h>

bool credential_cookie(const char *hdr, size_t n, const char *name, const char **ret, size_t *ret_len) {
        size_t nl = strlen(name);
        const char *p = hdr, *end = hdr + n;

        while (p < end) {
                const char *semi = memchr(p, ';', (size_t) (end - p));
                const char *e = semi ? semi : end;
                while (p < e && (*p == ' ' || *p == '\t'))
                        p++;
                if ((size_t) (e - p) > nl && memcmp(p, name, nl) == 0 && p[nl] == '=') {
                        *ret = p + nl + 1;
                        *ret_len = (size_t) (e - p) - nl - 1;
                        return true;
                }
                if (!semi)
                        break;
                p = semi + 1;
        }
        return false;
}

bool credential_bearer(const char *hdr, size_t n, const char **ret, size_t *ret_len) {
        if (n <= 7 || strncasecmp(hdr, "Bearer ", 7) != 0)
                return false;
        hdr += 7, n -= 7;
        while (n > 0 && *hdr == ' ')
                hdr++, n--;
        while (n > 0 && hdr[n - 1] == ' ')
                n--;
        *ret = hdr;
        *ret_len = n;
        return n > 0;
}

bool credential_chars_ok(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '_'))
                        return false;
        }
        return true;
}
