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
        printf("%d tu_failures\n", tu_failures);
        return tu_failures ? 1 : 0;
}
