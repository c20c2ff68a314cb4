/* Login back-off (see throttle.h). */
#include "throttle.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

int throttle_init(throttle_t *t) {
        memset(t->slots, 0, sizeof(t->slots));
        if (getrandom(&t->sip, sizeof(t->sip), 0) != (ssize_t) sizeof(t->sip))
                return -EIO;
        return 0;
}

static uint64_t key_of(const throttle_t *t, const char *key) {
        uint64_t h = siphash13(&t->sip, key, strlen(key));
        return h ? h : 1;
}

static const throttle_slot_t *find(const throttle_t *t, uint64_t h) {
        for (unsigned i = 0; i < THROTTLE_PROBE; i++) {
                const throttle_slot_t *s = &t->slots[(h + i) % THROTTLE_SLOTS];
                if (s->key == h)
                        return s;
        }
        return NULL;
}

int64_t throttle_wait(const throttle_t *t, const char *key, int64_t now) {
        const throttle_slot_t *s = find(t, key_of(t, key));
        if (!s || now - s->last_ms >= THROTTLE_FORGET_MS || s->until_ms <= now)
                return 0;
        return s->until_ms - now;
}

void throttle_fail(throttle_t *t, const char *key, int64_t now, unsigned free_tries, int64_t cap_ms) {
        uint64_t h = key_of(t, key);
        throttle_slot_t *s = (throttle_slot_t *) find(t, h);
        int64_t delay;

        if (!s) {
                /* a free slot of the neighbourhood, else the one that failed least recently */
                for (unsigned i = 0; i < THROTTLE_PROBE; i++) {
                        throttle_slot_t *c = &t->slots[(h + i) % THROTTLE_SLOTS];
                        if (!s || c->key == 0 || c->last_ms < s->last_ms)
                                s = c;
                        if (c->key == 0)
                                break;
                }
                *s = (throttle_slot_t) { .key = h };
        }
        if (now - s->last_ms >= THROTTLE_FORGET_MS)
                s->failures = 0;
        if (s->failures < UINT32_MAX)
                s->failures++;
        s->last_ms = now;
        if (s->failures <= free_tries)
                return;
        delay = 1000;
        for (uint32_t i = free_tries + 1; i < s->failures && delay < cap_ms; i++)
                delay *= 2;
        s->until_ms = now + (delay < cap_ms ? delay : cap_ms);
}

void throttle_clear(throttle_t *t, const char *key) {
        throttle_slot_t *s = (throttle_slot_t *) find(t, key_of(t, key));
        if (s)
                *s = (throttle_slot_t) { 0 };
}
