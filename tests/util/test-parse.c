/* lib/util/parse: parse_u64(). */
#include <errno.h>
#include <stdio.h>

#include "../check.h"

#include "util/parse.h"

static void expect(const char *s, uint64_t min, uint64_t max, int want_r, uint64_t want_v) {
        uint64_t v = 12345;
        int r = parse_u64(s, min, max, &v);
        if (r != want_r || (r == 0 && v != want_v) || (r < 0 && v != 12345)) {
                fprintf(stderr, "FAIL parse_u64(\"%s\", %llu, %llu): %d %llu, expected %d %llu\n", s ? s : "(null)",
                        (unsigned long long) min, (unsigned long long) max, r, (unsigned long long) v, want_r,
                        (unsigned long long) want_v);
                tu_failures++;
        }
}

int main(void) {
        expect("0", 0, 10, 0, 0);
        expect("10", 0, 10, 0, 10);
        expect("007", 0, 10, 0, 7);
        expect("18446744073709551615", 0, UINT64_MAX, 0, UINT64_MAX);
        expect("18446744073709551616", 0, UINT64_MAX, -ERANGE, 0);
        expect("99999999999999999999999", 0, UINT64_MAX, -ERANGE, 0);
        expect("11", 0, 10, -ERANGE, 0);
        expect("0", 1, 10, -ERANGE, 0);
        expect(NULL, 0, 10, -EINVAL, 0);
        expect("", 0, 10, -EINVAL, 0);
        expect("-1", 0, 10, -EINVAL, 0);
        expect("+1", 0, 10, -EINVAL, 0);
        expect(" 1", 0, 10, -EINVAL, 0);
        expect("1 ", 0, 10, -EINVAL, 0);
        expect("1x", 0, 10, -EINVAL, 0);
        expect("0x10", 0, 100, -EINVAL, 0);
        expect("1e3", 0, 10000, -EINVAL, 0);
        printf("%d tu_failures\n", tu_failures);
        return tu_failures ? 1 : 0;
}
