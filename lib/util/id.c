/* Task ids from getrandom(): unguessable, so knowing one id tells nothing about another. */
#include "util/id.h"

#include <string.h>
#include <unistd.h>

#include "util/hex.h"
#include "util/random.h"

int id_generate(char ret[ID_LEN + 1]) {
        unsigned char b[ID_LEN / 2];
        int r = random_bytes(b, sizeof(b));

        if (r < 0)
                return r;
        hex_encode(b, sizeof(b), ret);
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

static bool node_char(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '-' ||
               c == '_';
}

bool node_id_is_valid(const char *s) {
        size_t n = s ? strnlen(s, NODE_ID_MAX + 1) : 0;

        if (n == 0 || n > NODE_ID_MAX || !node_char(s[0]) || s[0] == '.' || s[0] == '-' || s[0] == '_')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!node_char(s[i]))
                        return false;
        return true;
}

int node_id_default(char ret[NODE_ID_MAX + 1]) {
        char host[256] = "", out[NODE_ID_MAX + 1];
        unsigned char b[4];
        size_t n = 0;
        int r = random_bytes(b, sizeof(b));

        if (r < 0)
                return r;
        (void) gethostname(host, sizeof(host) - 1);
        for (const char *p = host; *p && n < NODE_ID_MAX - 9; p++)
                if (node_char(*p) && (n > 0 || (*p != '.' && *p != '-' && *p != '_')))
                        out[n++] = *p;
        if (n == 0) {
                memcpy(out, "node", 4);
                n = 4;
        }
        out[n++] = '-';
        hex_encode(b, sizeof(b), out + n);
        memcpy(ret, out, strlen(out) + 1);
        return 0;
}
