/* Tests of the account routes' body reader (daemons/web/form.c): JSON objects and urlencoded forms, and
 * hostile bodies refused cleanly (nesting, duplicates, NULs, broken escapes and surrogates, overlong). */
#include <errno.h>
#include <string.h>

#include "../check.h"

#include "form.h"

static int get(const char *body, bool json, const char *key, char *out, size_t size) {
        return form_get(body, strlen(body), json, key, out, size);
}

int main(void) {
        char v[64], big[FORM_BODY_MAX + 10];

        tu_current = "content type";
        CHECK(form_is_json("application/json", 16));
        CHECK(form_is_json("application/json; charset=utf-8", 31));
        CHECK(!form_is_json("application/jsonx", 17));
        CHECK(!form_is_json("application/x-www-form-urlencoded", 33));
        CHECK(!form_is_json(NULL, 0));

        tu_current = "json";
        CHECK(get("{\"username\":\"bob\",\"password\":\"p w\"}", true, "password", v, sizeof(v)) == 3 && strcmp(v, "p w") == 0);
        CHECK(get(" { \"a\" : \"x\" , \"username\" : \"b\\u00e9\\n\" } ", true, "username", v, sizeof(v)) == 4 &&
              strcmp(v, "b\xc3\xa9\n") == 0);
        CHECK(get("{\"e\":\"\\ud83d\\ude00\"}", true, "e", v, sizeof(v)) == 4 && strcmp(v, "\xf0\x9f\x98\x80") == 0);
        CHECK(get("{\"n\":30,\"b\":true}", true, "n", v, sizeof(v)) == 2 && strcmp(v, "30") == 0);
        CHECK(get("{}", true, "x", v, sizeof(v)) == -ENOENT);
        CHECK(get("{\"x\":\"1\"}", true, "y", v, sizeof(v)) == -ENOENT);
        CHECK(get("{\"x\":\"1\",\"x\":\"2\"}", true, "x", v, sizeof(v)) == -EINVAL);       /* ambiguous */
        CHECK(get("{\"x\":{\"y\":\"1\"}}", true, "x", v, sizeof(v)) == -EINVAL);           /* nested */
        CHECK(get("{\"x\":[\"1\"]}", true, "x", v, sizeof(v)) == -EINVAL);
        CHECK(get("{\"x\":\"a\\u0000b\"}", true, "x", v, sizeof(v)) == -EINVAL);            /* NUL */
        CHECK(get("{\"x\":\"\\ud800\"}", true, "x", v, sizeof(v)) == -EINVAL);              /* lone surrogate */
        CHECK(get("{\"x\":\"\\udc00\\ud800\"}", true, "x", v, sizeof(v)) == -EINVAL);
        CHECK(get("{\"x\":\"\\q\"}", true, "x", v, sizeof(v)) == -EINVAL);
        CHECK(get("{\"x\":\"\x01\"}", true, "x", v, sizeof(v)) == -EINVAL);                 /* raw control */
        CHECK(get("{\"x\":\"1\"", true, "x", v, sizeof(v)) == -EINVAL);                     /* unterminated */
        CHECK(get("{\"x\":\"1\"} trailing", true, "x", v, sizeof(v)) == -EINVAL);
        CHECK(get("[\"x\"]", true, "x", v, sizeof(v)) == -EINVAL);
        CHECK(get("", true, "x", v, sizeof(v)) == -EINVAL);
        CHECK(get("{\"x\":\"0123456789\"}", true, "x", v, 8) == -E2BIG);
        /* a key longer than any we read is skipped, not an error */
        CHECK(get("{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":\"1\",\"x\":\"2\"}", true,
                  "x", v, sizeof(v)) == 1);
        memset(big, ' ', sizeof(big));
        CHECK(form_get(big, sizeof(big), true, "x", v, sizeof(v)) == -E2BIG);

        tu_current = "urlencoded";
        CHECK(get("username=bob&password=a+b%26c%3D", false, "password", v, sizeof(v)) == 6 && strcmp(v, "a b&c=") == 0);
        CHECK(get("username=bob&password=", false, "password", v, sizeof(v)) == 0 && v[0] == 0);
        CHECK(get("username=bob&password", false, "password", v, sizeof(v)) == 0);
        CHECK(get("user%6eame=bob", false, "username", v, sizeof(v)) == 3);
        CHECK(get("username=bob", false, "password", v, sizeof(v)) == -ENOENT);
        CHECK(get("x=1&x=2", false, "x", v, sizeof(v)) == -EINVAL);
        CHECK(get("x=a%00b", false, "x", v, sizeof(v)) == -EINVAL);
        CHECK(get("x=a%4", false, "x", v, sizeof(v)) == -EINVAL);
        CHECK(get("x=a%zz", false, "x", v, sizeof(v)) == -EINVAL);
        CHECK(get("x=%", false, "x", v, sizeof(v)) == -EINVAL);
        CHECK(get("x=0123456789", false, "x", v, 8) == -E2BIG);
        CHECK(form_get(NULL, 0, false, "x", v, sizeof(v)) == -ENOENT);
        return tu_exit();
}
