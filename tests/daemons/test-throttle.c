/* Tests of the login back-off table (daemons/web/throttle.c): free tries, doubling up to the cap, success
 * and time forgetting, and bounded memory under a flood of keys that still keeps a recent offender. */
#include <stdio.h>

#include "../check.h"

#include "throttle.h"

int main(void) {
        static throttle_t t;
        int64_t now = 1000000;
        char key[64];

        CHECK(throttle_init(&t) == 0);
        tu_current = "free tries";
        for (int i = 0; i < 3; i++) {
                CHECK(throttle_wait(&t, "a:192.0.2.1", now) == 0);
                throttle_fail(&t, "a:192.0.2.1", now, 3, 60000);
        }
        CHECK(throttle_wait(&t, "a:192.0.2.1", now) == 0);
        tu_current = "doubling";
        throttle_fail(&t, "a:192.0.2.1", now, 3, 60000);
        CHECK(throttle_wait(&t, "a:192.0.2.1", now) == 1000);
        throttle_fail(&t, "a:192.0.2.1", now, 3, 60000);
        CHECK(throttle_wait(&t, "a:192.0.2.1", now) == 2000);
        throttle_fail(&t, "a:192.0.2.1", now, 3, 60000);
        CHECK(throttle_wait(&t, "a:192.0.2.1", now + 500) == 3500);
        for (int i = 0; i < 40; i++)
                throttle_fail(&t, "a:192.0.2.1", now, 3, 60000);
        CHECK(throttle_wait(&t, "a:192.0.2.1", now) == 60000); /* capped */
        CHECK(throttle_wait(&t, "a:192.0.2.2", now) == 0);      /* another key is not slowed */
        tu_current = "forget";
        CHECK(throttle_wait(&t, "a:192.0.2.1", now + THROTTLE_FORGET_MS) == 0);
        throttle_clear(&t, "a:192.0.2.1");
        CHECK(throttle_wait(&t, "a:192.0.2.1", now) == 0);

        tu_current = "flood";
        /* an offender, then far more keys than slots: memory stays the table, and the flood's oldest
         * entries give way before the recent offender does in most neighbourhoods */
        for (int i = 0; i < 6; i++)
                throttle_fail(&t, "a:203.0.113.9", now + 100000, 3, 60000);
        for (int i = 0; i < THROTTLE_SLOTS * 4; i++) {
                snprintf(key, sizeof(key), "a:10.%d.%d.%d", i >> 16 & 255, i >> 8 & 255, i & 255);
                throttle_fail(&t, key, now + i / 1000, 3, 60000);
        }
        CHECK(throttle_wait(&t, "a:203.0.113.9", now + 100000) > 0);
        CHECK(sizeof(t) < (size_t) THROTTLE_SLOTS * 40);
        return tu_exit();
}
