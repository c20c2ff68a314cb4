/* lib/util/hex: hex_encode(). */
#include "../check.h"

#include "util/hex.h"

int main(void) {
        static const char bytes[] = "\x00\x01\x7f\x80\xff\xab\xcd\xef";
        char out[9];

        hex_encode("", 0, out);
        CHECK_STR(out, "");
        hex_encode(bytes, 4, out);
        CHECK_STR(out, "00017f80");
        hex_encode(bytes + 4, 4, out);
        CHECK_STR(out, "ffabcdef");
        return tu_exit();
}
