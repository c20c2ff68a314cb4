/* Bounds-checked reads of packet bytes: every parser reads through a cursor, never through raw pointers. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct cursor {
        const uint8_t *p;
        size_t len;     /* bytes left */
        bool bad;       /* a read went past the end: the values read are 0 */
} cursor_t;

static inline cursor_t cursor_make(const uint8_t *p, size_t len) {
        return (cursor_t) { .p = p, .len = p ? len : 0 };
}

static inline bool cursor_has(const cursor_t *c, size_t n) {
        return !c->bad && c->len >= n;
}

static inline bool cursor_skip(cursor_t *c, size_t n) {
        if (!cursor_has(c, n)) {
                c->bad = true;
                return false;
        }
        c->p += n;
        c->len -= n;
        return true;
}

static inline uint8_t cursor_u8(cursor_t *c) {
        if (!cursor_has(c, 1)) {
                c->bad = true;
                return 0;
        }
        uint8_t v = c->p[0];
        c->p++;
        c->len--;
        return v;
}

static inline uint16_t cursor_be16(cursor_t *c) {
        if (!cursor_has(c, 2)) {
                c->bad = true;
                return 0;
        }
        uint16_t v = (uint16_t) (c->p[0] << 8 | c->p[1]);
        c->p += 2;
        c->len -= 2;
        return v;
}

static inline uint16_t cursor_le16(cursor_t *c) {
        if (!cursor_has(c, 2)) {
                c->bad = true;
                return 0;
        }
        uint16_t v = (uint16_t) (c->p[1] << 8 | c->p[0]);
        c->p += 2;
        c->len -= 2;
        return v;
}

static inline uint32_t cursor_be32(cursor_t *c) {
        if (!cursor_has(c, 4)) {
                c->bad = true;
                return 0;
        }
        uint32_t v = (uint32_t) c->p[0] << 24 | (uint32_t) c->p[1] << 16 | (uint32_t) c->p[2] << 8 | c->p[3];
        c->p += 4;
        c->len -= 4;
        return v;
}

static inline uint32_t cursor_le32(cursor_t *c) {
        if (!cursor_has(c, 4)) {
                c->bad = true;
                return 0;
        }
        uint32_t v = (uint32_t) c->p[3] << 24 | (uint32_t) c->p[2] << 16 | (uint32_t) c->p[1] << 8 | c->p[0];
        c->p += 4;
        c->len -= 4;
        return v;
}

static inline bool cursor_copy(cursor_t *c, void *dst, size_t n) {
        if (!cursor_has(c, n)) {
                c->bad = true;
                memset(dst, 0, n);
                return false;
        }
        memcpy(dst, c->p, n);
        c->p += n;
        c->len -= n;
        return true;
}

/* A sub-cursor over the next n bytes (clamped to what is there); the parent moves past them. */
static inline cursor_t cursor_sub(cursor_t *c, size_t n) {
        cursor_t s = cursor_make(c->p, n <= c->len ? n : c->len);
        if (c->bad)
                s.bad = true;
        cursor_skip(c, n <= c->len ? n : c->len);
        return s;
}

/* Reads at an absolute offset without moving; 0 and false when out of range. */
static inline bool cursor_peek_u8(const cursor_t *c, size_t off, uint8_t *ret) {
        if (c->bad || off >= c->len)
                return false;
        *ret = c->p[off];
        return true;
}
