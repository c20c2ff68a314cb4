/* lib/util/base32: RFC 4648 section 10 vectors both ways, what a person types, what is refused. */
#include <errno.h>
#include <string.h>

#include "../check.h"

#include "util/base32.h"

static const struct {
        const char *plain, *encoded, *padded;
} rfc4648[] = {
        { "", "", "" },
        { "f", "MY", "MY======" },
        { "fo", "MZXQ", "MZXQ====" },
        { "foo", "MZXW6", "MZXW6===" },
        { "foob", "MZXW6YQ", "MZXW6YQ=" },
        { "fooba", "MZXW6YTB", "MZXW6YTB" },
        { "foobar", "MZXW6YTBOI", "MZXW6YTBOI======" },
};

static void test_rfc4648(void) {
        for (size_t i = 0; i < ELEMENTSOF(rfc4648); i++) {
                const char *plain = rfc4648[i].plain;
                size_t n = strlen(plain), len = 99;
                char enc[32];
                uint8_t dec[32];

                CHECK_EQ(base32_encode((const uint8_t *) plain, n, enc, sizeof(enc)), 0);
                CHECK_STR(enc, rfc4648[i].encoded);
                CHECK_EQU(strlen(enc), BASE32_ENCODED_LEN(n));

                CHECK_EQ(base32_decode(rfc4648[i].encoded, dec, sizeof(dec), &len), 0);
                CHECK(len == n && memcmp(dec, plain, n) == 0);
                len = 99;
                CHECK_EQ(base32_decode(rfc4648[i].padded, dec, sizeof(dec), &len), 0);
                CHECK(len == n && memcmp(dec, plain, n) == 0);
        }
}

static void test_sizes(void) {
        const uint8_t b[5] = "hello";
        char enc[9] = "xxxxxxxx";
        uint8_t dec[5] = ".....";
        size_t len = 99;

        CHECK_EQ(base32_encode(b, 5, enc, 8), -ENOBUFS); /* 8 characters and the NUL */
        CHECK_STR(enc, "xxxxxxxx");
        CHECK_EQ(base32_encode(b, 5, enc, 9), 0);
        CHECK_STR(enc, "NBSWY3DP");
        CHECK_EQ(base32_decode("NBSWY3DP", dec, 4, &len), -ENOBUFS);
        CHECK(len == 99 && memcmp(dec, ".....", 5) == 0);
        CHECK_EQ(base32_decode("NBSWY3DP", dec, 5, NULL), 0);
        CHECK(memcmp(dec, "hello", 5) == 0);

        /* a 20-byte TOTP secret: 32 characters, no padding */
        uint8_t secret[20], back[20];
        char s32[33];
        for (unsigned i = 0; i < 20; i++)
                secret[i] = (uint8_t) (i * 37 + 11);
        CHECK_EQ(base32_encode(secret, 20, s32, sizeof(s32)), 0);
        CHECK_EQU(strlen(s32), 32);
        CHECK_EQ(base32_decode(s32, back, sizeof(back), &len), 0);
        CHECK(len == 20 && memcmp(back, secret, 20) == 0);
}

static void test_lenient(void) {
        uint8_t dec[16];
        size_t len = 0;

        CHECK_EQ(base32_decode("mzxw6ytboi", dec, sizeof(dec), &len), 0);
        CHECK(len == 6 && memcmp(dec, "foobar", 6) == 0);
        CHECK_EQ(base32_decode("mzxw 6ytb oi== ==== ", dec, sizeof(dec), &len), 0);
        CHECK(len == 6 && memcmp(dec, "foobar", 6) == 0);
        CHECK_EQ(base32_decode("  MzXw6  ", dec, sizeof(dec), &len), 0);
        CHECK(len == 3 && memcmp(dec, "foo", 3) == 0);
        CHECK_EQ(base32_decode("   ", dec, sizeof(dec), &len), 0);
        CHECK_EQU(len, 0);
}

static void test_refused(void) {
        static const char *bad[] = {
                "MZXW1", "MZXW8", "MZXW0", "MZXW6YTB-OI", "MZXW\t6", "MZXW\n", "MZ=XQ", "MY=A", "MZXW6YTB=OI",
                "+/", "MZXW6YTBOI\xc3\xa9", "\xff", "M", "MZX", "MZXW6Y", "MZXW6YTBM",
        };
        uint8_t dec[16] = "untouched";
        size_t len = 99;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                CHECK_MSG(base32_decode(bad[i], dec, sizeof(dec), &len) == -EINVAL, "\"%s\"", bad[i]);
                CHECK(len == 99 && memcmp(dec, "untouched", 9) == 0);
        }
        CHECK_EQ(base32_decode(NULL, dec, sizeof(dec), &len), -EINVAL);
}

int main(void) {
        RUN(test_rfc4648);
        RUN(test_sizes);
        RUN(test_lenient);
        RUN(test_refused);
        return tu_exit();
}
