/* lib/util/uri: uri_escape(). */
#include <errno.h>
#include <stdlib.h>

#include "../check.h"

#include "util/uri.h"

static void expect(const char *s, const char *want) {
        _cleanup_free_ char *e = NULL;
        CHECK_EQ(uri_escape(s, &e), 0);
        CHECK_STR(e, want);
}

int main(void) {
        char *e = NULL;

        expect("", "");
        expect("AZaz09-._~", "AZaz09-._~");
        expect("alice@example.com", "alice%40example.com");
        expect("a b+c", "a%20b%2Bc");
        expect("x:y/z?q#f&k=v;%", "x%3Ay%2Fz%3Fq%23f%26k%3Dv%3B%25");
        expect("<script>\"'`", "%3Cscript%3E%22%27%60");
        expect("\r\n\t\x01\x7f", "%0D%0A%09%01%7F");
        expect("J\xc3\xbcrgen \xe2\x80\xae", "J%C3%BCrgen%20%E2%80%AE");
        expect("\xff\x80", "%FF%80");
        CHECK_EQ(uri_escape(NULL, &e), -EINVAL);
        CHECK(e == NULL);
        return tu_exit();
}
