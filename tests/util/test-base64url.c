/* lib/util/base64url: RFC 4648 section 10 vectors (without padding), the URL-safe characters, sizes. */
#include <errno.h>
#include <string.h>

#include "../check.h"

#include "util/base64url.h"

int main(void) {
        static const struct {
                const char *plain, *encoded;
        } v[] = {
                { "", "" },           { "f", "Zg" },          { "fo", "Zm8" },         { "foo", "Zm9v" },
                { "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" }, { "foobar", "Zm9vYmFy" },
        };
        char out[16] = "untouched";

        for (size_t i = 0; i < ELEMENTSOF(v); i++) {
                size_t n = strlen(v[i].plain);
                CHECK_EQ(base64url_encode((const uint8_t *) v[i].plain, n, out, sizeof(out)), 0);
                CHECK_STR(out, v[i].encoded);
                CHECK_EQU(strlen(out), BASE64URL_ENCODED_LEN(n));
        }
        /* 62 and 63 are '-' and '_', never '+' and '/' */
        CHECK_EQ(base64url_encode((const uint8_t *) "\xfb\xff", 2, out, sizeof(out)), 0);
        CHECK_STR(out, "-_8");
        CHECK_EQ(base64url_encode((const uint8_t *) "\xff\xff\xff\xfb\xef\xbe", 6, out, sizeof(out)), 0);
        CHECK_STR(out, "____----");

        /* 32 bytes: 43 characters and the NUL */
        uint8_t b[32] = {};
        char s[44];
        strcpy(out, "untouched");
        CHECK_EQ(base64url_encode(b, 32, s, 43), -ENOBUFS);
        CHECK_EQ(base64url_encode(b, 2, out, 3), -ENOBUFS);
        CHECK_STR(out, "untouched");
        CHECK_EQ(base64url_encode(b, 32, s, 44), 0);
        CHECK_STR(s, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        return tu_exit();
}
