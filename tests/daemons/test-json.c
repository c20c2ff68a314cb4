/* daemons/web/json.c: the small JSON answers and SSE data of pcapd-web, built by json_t. Links web_lib. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "json.h"

static char *built(json_t *j) {
        char *s = j->oom ? NULL : strndup(j->buf, j->len);
        json_free(j);
        return s;
}

int main(void) {
        json_t j = {};
        char *s;

        /* members, commas, nesting */
        json_begin(&j, '{');
        json_kv_str(&j, "a", "x");
        json_kv_u64(&j, "b", UINT64_MAX);
        json_kv_i64(&j, "c", -5);
        json_kv_bool(&j, "d", true);
        json_kv_null(&j, "e");
        json_key(&j, "f");
        json_begin(&j, '[');
        json_element(&j);
        json_begin(&j, '{');
        json_end(&j, '}');
        json_element(&j);
        json_begin(&j, '{');
        json_kv_str(&j, "g", NULL);
        json_end(&j, '}');
        json_end(&j, ']');
        json_end(&j, '}');
        s = built(&j);
        CHECK_STR(s, "{\"a\":\"x\",\"b\":18446744073709551615,\"c\":-5,\"d\":true,\"e\":null,\"f\":[{},{\"g\":null}]}");
        free(s);

        /* strings a user gave: quotes, control bytes, invalid UTF-8 (a file name with 0xff) stay valid JSON */
        j = (json_t) {};
        json_begin(&j, '{');
        json_kv_str(&j, "filename", "a\"b\\c\n\x01\xff\xc3.pcap");
        json_end(&j, '}');
        s = built(&j);
        CHECK_STR(s, "{\"filename\":\"a\\\"b\\\\c\\n\\u0001\\ufffd\\ufffd.pcap\"}");
        free(s);

        /* numbers JSON has no word for are null, not nan or inf */
        j = (json_t) {};
        json_begin(&j, '{');
        json_kv_double(&j, "x", 1.5);
        json_kv_double(&j, "n", NAN);
        json_kv_double(&j, "i", INFINITY);
        json_end(&j, '}');
        s = built(&j);
        CHECK(s && strstr(s, "\"x\":1.5") && strstr(s, "\"n\":null") && strstr(s, "\"i\":null"));
        free(s);

        /* times: ISO 8601 UTC with milliseconds, null for 0 */
        j = (json_t) {};
        json_begin(&j, '{');
        json_kv_time(&j, "t", INT64_C(1700000000123));
        json_kv_time(&j, "z", 0);
        json_end(&j, '}');
        s = built(&j);
        CHECK_STR(s, "{\"t\":\"2023-11-14T22:13:20.123Z\",\"z\":null}");
        free(s);

        /* a long text grows the buffer */
        j = (json_t) {};
        char big[100000];
        memset(big, 'y', sizeof big - 1);
        big[sizeof big - 1] = 0;
        json_string(&j, big, sizeof big - 1);
        CHECK(!j.oom && j.len == sizeof big + 1);
        json_free(&j);
        return tu_exit();
}
