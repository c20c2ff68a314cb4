/* lib/util/siphash: the reference vectors of the SipHash paper (appendix A: key 00..0f, messages 00..n-1),
 * and the key changing everything. */
#include <stdint.h>
#include <stdio.h>

#include "../check.h"
#include "util/siphash.h"

int main(void) {
        siphash_key_t key = { UINT64_C(0x0706050403020100), UINT64_C(0x0f0e0d0c0b0a0908) };
        uint8_t msg[64];

        for (unsigned i = 0; i < sizeof msg; i++)
                msg[i] = (uint8_t) i;
        /* SipHash-2-4 of the 15-byte message, the paper's worked example */
        CHECK_EQU(siphash24(&key, msg, 15), UINT64_C(0xa129ca6149be45e5));
        /* the empty message and a full block of 8, from the reference implementation's vectors.h */
        CHECK_EQU(siphash24(&key, msg, 0), UINT64_C(0x726fdb47dd0e0e31));
        CHECK_EQU(siphash24(&key, msg, 8), UINT64_C(0x93f5f5799a932462));
        CHECK_EQU(siphash24(&key, msg, 63), UINT64_C(0x958a324ceb064572));
        {
                /* another key, the same input: unrelated outputs; a one-bit change of the input likewise */
                siphash_key_t other = { key.k0 ^ 1, key.k1 };
                CHECK(siphash13(&key, msg, 15) != siphash13(&other, msg, 15));
                uint64_t a = siphash13(&key, msg, 40);
                msg[39] ^= 0x80;
                CHECK(a != siphash13(&key, msg, 40));
        }
        return tu_exit();
}
