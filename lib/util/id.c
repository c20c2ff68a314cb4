/* Task ids from getrandom(): unguessable, so knowing one id tells nothing about another. */
#include "util/id.h"

#include <errno.h>
#include <sys/random.h>

int id_generate(char ret[ID_LEN + 1]) {
        static const char hex[] = "0123456789abcdef";
        unsigned char b[ID_LEN / 2];
        size_t got = 0;

        while (got < sizeof(b)) {
                ssize_t n = getrandom(b + got, sizeof(b) - got, 0);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                got += (size_t) n;
        }
        for (size_t i = 0; i < sizeof(b); i++) {
                ret[2 * i] = hex[b[i] >> 4];
                ret[2 * i + 1] = hex[b[i] & 15];
        }
        ret[ID_LEN] = 0;
        return 0;
}

bool id_is_valid(const char *s, size_t len) {
        if (!s || len != ID_LEN)
                return false;
        for (size_t i = 0; i < len; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}
