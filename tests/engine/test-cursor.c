/* Unit tests of lib/engine/cursor.h: every read is bounds-checked, a read past the end poisons the cursor. */
#include "engine/cursor.h"
#include "test-util.h"

static void test_reads(void) {
        const uint8_t b[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09 };
        cursor_t c = cursor_make(b, sizeof b);
        CHECK_EQU(cursor_u8(&c), 0x01);
        CHECK_EQU(cursor_be16(&c), 0x0203);
        CHECK_EQU(cursor_le16(&c), 0x0504);
        CHECK_EQU(cursor_be32(&c), 0x06070809);
        CHECK(!c.bad);
        CHECK_EQU(c.len, 0);
        c = cursor_make(b, sizeof b);
        CHECK_EQU(cursor_le32(&c), 0x04030201);
        CHECK_EQU(c.len, 5);
}

static void test_past_end(void) {
        const uint8_t b[] = { 0xaa, 0xbb, 0xcc };
        cursor_t c = cursor_make(b, sizeof b);
        CHECK_EQU(cursor_be32(&c), 0);     /* 4 bytes asked, 3 there */
        CHECK(c.bad);
        CHECK_EQU(c.len, 3);               /* nothing consumed */
        CHECK_EQU(cursor_u8(&c), 0);       /* poisoned: even a byte that exists reads 0 */
        CHECK(!cursor_has(&c, 1));
        CHECK(!cursor_skip(&c, 1));

        for (size_t n = 0; n < 4; n++) {
                c = cursor_make(b, n);
                uint16_t v16 = cursor_be16(&c);
                CHECK_EQ(c.bad, n < 2);
                if (n < 2)
                        CHECK_EQU(v16, 0);
                c = cursor_make(b, n);
                cursor_le16(&c);
                CHECK_EQ(c.bad, n < 2);
                c = cursor_make(b, n);
                cursor_le32(&c);
                CHECK(c.bad);
                c = cursor_make(b, n);
                cursor_u8(&c);
                CHECK_EQ(c.bad, n < 1);
        }
        c = cursor_make(NULL, 100); /* a NULL pointer has no bytes, whatever the length says */
        CHECK_EQU(c.len, 0);
        CHECK_EQU(cursor_u8(&c), 0);
        CHECK(c.bad);
}

static void test_skip_copy(void) {
        const uint8_t b[] = { 1, 2, 3, 4, 5 };
        cursor_t c = cursor_make(b, sizeof b);
        CHECK(cursor_skip(&c, 0));
        CHECK(cursor_skip(&c, 2));
        uint8_t out[4] = { 9, 9, 9, 9 };
        CHECK(cursor_copy(&c, out, 3));
        CHECK_EQU(out[0], 3);
        CHECK_EQU(out[2], 5);
        CHECK_EQU(out[3], 9);
        CHECK(!cursor_copy(&c, out, 1));
        CHECK_EQU(out[0], 0);              /* a failed copy leaves zeros, not stale bytes */
        CHECK(c.bad);
        c = cursor_make(b, sizeof b);
        CHECK(!cursor_skip(&c, 6));
        CHECK(c.bad);
        c = cursor_make(b, sizeof b);
        CHECK(!cursor_skip(&c, SIZE_MAX)); /* no wrap-around */
}

static void test_sub_peek(void) {
        const uint8_t b[] = { 1, 2, 3, 4, 5, 6 };
        cursor_t c = cursor_make(b, sizeof b);
        cursor_t s = cursor_sub(&c, 4);
        CHECK_EQU(s.len, 4);
        CHECK_EQU(c.len, 2);
        CHECK_EQU(cursor_u8(&c), 5);
        CHECK_EQU(cursor_be32(&s), 0x01020304);
        CHECK_EQU(cursor_u8(&s), 0);       /* the sub-cursor ends where it was cut */
        CHECK(s.bad);
        CHECK(!c.bad);

        c = cursor_make(b, sizeof b);
        s = cursor_sub(&c, 100);           /* clamped to what is there */
        CHECK_EQU(s.len, 6);
        CHECK_EQU(c.len, 0);
        CHECK(!s.bad);

        c = cursor_make(b, 2);
        cursor_be32(&c);
        s = cursor_sub(&c, 1);             /* a sub-cursor of a poisoned cursor is poisoned */
        CHECK(s.bad);

        c = cursor_make(b, sizeof b);
        uint8_t v = 0xee;
        CHECK(cursor_peek_u8(&c, 5, &v));
        CHECK_EQU(v, 6);
        v = 0xee;
        CHECK(!cursor_peek_u8(&c, 6, &v));
        CHECK_EQU(v, 0xee);
        CHECK_EQU(c.len, 6);               /* peeking does not move */
}

int main(void) {
        RUN(test_reads);
        RUN(test_past_end);
        RUN(test_skip_copy);
        RUN(test_sub_peek);
        return tu_exit();
}
