/* lib/util/jsonesc: the UTF-8 validator, the repair of invalid text, cutting on a character boundary,
 * and the JSON escaper. */
#include <stdlib.h>
#include <string.h>

#include "../check.h"

#include "util/jsonesc.h"

static void put(void *ctx, const char *p, size_t n) {
        strncat(ctx, p, n);
}

static void test_valid(void) {
        CHECK_EQ(utf8_valid_len((const unsigned char *) "a", 1), 1);
        CHECK_EQ(utf8_valid_len((const unsigned char *) "\xc3\xa9", 2), 2);
        CHECK_EQ(utf8_valid_len((const unsigned char *) "\xc3", 1), 0);           /* cut */
        CHECK_EQ(utf8_valid_len((const unsigned char *) "\xc0\xaf", 2), 0);       /* overlong */
        CHECK_EQ(utf8_valid_len((const unsigned char *) "\xed\xa0\x80", 3), 0);   /* surrogate */
        CHECK_EQ(utf8_valid_len((const unsigned char *) "\xf0\x9f\x98\x80", 4), 4);
        CHECK(utf8_is_valid(""));
        CHECK(utf8_is_valid("caf\xc3\xa9.pcap"));
        CHECK(!utf8_is_valid("caf\xe9.pcap"));   /* Latin-1 */
        CHECK(!utf8_is_valid("x\xc3"));
}

static void test_make_valid(void) {
        char *v = utf8_make_valid("caf\xe9.pcap");
        CHECK_STR(v, "caf\xef\xbf\xbd.pcap");
        free(v);
        v = utf8_make_valid("\xff\xfe" "ok\xc3\xa9");
        CHECK_STR(v, "\xef\xbf\xbd\xef\xbf\xbd" "ok\xc3\xa9");
        free(v);
        v = utf8_make_valid("plain");
        CHECK_STR(v, "plain");
        free(v);
}

static void test_cut(void) {
        const char *s = "ab\xc3\xa9" "c\xf0\x9f\x98\x80";   /* a b é c 😀 */
        CHECK_EQ(utf8_cut(s, 2), 2);
        CHECK_EQ(utf8_cut(s, 3), 2);   /* inside é: before it */
        CHECK_EQ(utf8_cut(s, 4), 4);
        CHECK_EQ(utf8_cut(s, 6), 5);   /* inside 😀 */
        CHECK_EQ(utf8_cut(s, 8), 5);
        CHECK_EQ(utf8_cut(s, 9), 9);
        CHECK_EQ(utf8_cut("a\xff\xfe", 2), 2);   /* invalid bytes are not a partial character */
        CHECK_EQ(utf8_cut("\x80\x80\x80\x80", 3), 3);
        CHECK_EQ(utf8_cut("", 0), 0);
}

static void test_escape(void) {
        char out[128] = "";
        const char *s = "\"a\\\n\xff\xe2\x80\xa8";
        json_escape(s, strlen(s), put, out);
        CHECK_STR(out, "\\\"a\\\\\\n\\ufffd\\u2028");
}

int main(void) {
        RUN(test_valid);
        RUN(test_make_valid);
        RUN(test_cut);
        RUN(test_escape);
        return tu_exit();
}
