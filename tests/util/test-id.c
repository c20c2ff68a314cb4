/* lib/util/id: the one task id generator and validator. */
#include <stdio.h>
#include <string.h>

#include "../check.h"

#include "util/id.h"

int main(void) {
        char a[ID_LEN + 1], b[ID_LEN + 1];

        CHECK(id_generate(a) == 0 && id_generate(b) == 0);
        CHECK(strlen(a) == ID_LEN && id_is_valid(a, ID_LEN));
        CHECK(strcmp(a, b) != 0); /* 128 random bits */
        CHECK(id_is_valid("0123456789abcdef0123456789abcdef", 32));
        CHECK(!id_is_valid("0123456789ABCDEF0123456789abcdef", 32)); /* lower case only */
        CHECK(!id_is_valid("0123456789abcdef0123456789abcde", 31));
        CHECK(!id_is_valid("0123456789abcdef0123456789abcdef0", 33));
        CHECK(!id_is_valid("../../../../../../../../etc/pass", 32));
        CHECK(!id_is_valid("0123456789abcdef0123456789abcde\0", 32));
        CHECK(!id_is_valid(NULL, 32));

        /* node ids */
        {
                char n1[NODE_ID_MAX + 1], n2[NODE_ID_MAX + 1], longest[NODE_ID_MAX + 2];
                CHECK(node_id_default(n1) == 0 && node_id_default(n2) == 0);
                CHECK(node_id_is_valid(n1) && node_id_is_valid(n2) && strcmp(n1, n2) != 0);
                CHECK(node_id_is_valid("web-1") && node_id_is_valid("a") && node_id_is_valid("host.example_2"));
                CHECK(!node_id_is_valid("") && !node_id_is_valid(NULL) && !node_id_is_valid("-a"));
                CHECK(!node_id_is_valid("a b") && !node_id_is_valid("a/b") && !node_id_is_valid("a'b") &&
                      !node_id_is_valid("\xc3\xa9"));
                memset(longest, 'n', sizeof(longest));
                longest[NODE_ID_MAX] = 0;
                CHECK(node_id_is_valid(longest));
                longest[NODE_ID_MAX] = 'n';
                longest[NODE_ID_MAX + 1] = 0;
                CHECK(!node_id_is_valid(longest));
        }
        printf("%d tu_failures\n", tu_failures);
        return tu_failures ? 1 : 0;
}
