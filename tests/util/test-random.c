/* lib/util/random: random_bytes(). */
#include <stdint.h>
#include <string.h>

#include "../check.h"

#include "util/random.h"

int main(void) {
        uint8_t a[64], b[64], big[1 << 16];
        unsigned count[256] = {};

        CHECK_EQ(random_bytes(a, sizeof(a)), 0);
        CHECK_EQ(random_bytes(b, sizeof(b)), 0);
        CHECK(memcmp(a, b, sizeof(a)) != 0);
        CHECK_EQ(random_bytes(NULL, 0), 0);

        /* 64 KiB: each byte value about 256 times (σ 16); the bounds are 8 σ off, so only a broken source fails */
        CHECK_EQ(random_bytes(big, sizeof(big)), 0);
        for (size_t i = 0; i < sizeof(big); i++)
                count[big[i]]++;
        for (unsigned v = 0; v < 256; v++)
                CHECK_MSG(count[v] > 128 && count[v] < 400, "byte %u seen %u times", v, count[v]);
        return tu_exit();
}
