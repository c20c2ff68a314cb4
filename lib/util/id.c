/* Task ids from getrandom(): unguessable, so knowing one id tells nothing about another. */
#include "util/id.h"

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
