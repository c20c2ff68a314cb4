/* libFuzzer target for what lib/auth reads from a user: base32_decode() (a typed secret), totp_verify() (a typed
 * code, with any secret, time, window and last step) and recovery_code_normalize() (a typed recovery code).
 * Input: the first byte picks the function (0, 1, 2 modulo 3); for totp_verify the next bytes are
 *         [secret length byte][secret: 16 + length % 49 bytes][unix time: 8 bytes LE][window: 1][last step: 8 LE]
 * and the rest, for every function, is the text. Checks what each promises, aborting otherwise. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/secret.h"
#include "auth/totp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t le64(const uint8_t *p) {
        uint64_t v = 0;
        for (int i = 7; i >= 0; i--)
                v = v << 8 | p[i];
        return v;
}

static void fuzz_base32(const char *text) {
        uint8_t out[64], again[64];
        size_t len = SIZE_MAX, len2 = 0;
        char enc[BASE32_ENCODED_LEN(sizeof(out)) + 1];
        int r = base32_decode(text, out, sizeof(out), &len);

        if (r == -EINVAL || r == -ENOBUFS) {
                if (len != SIZE_MAX)
                        abort();
                return;
        }
        if (r != 0 || len > sizeof(out))
                abort();
        /* what was accepted encodes back to something that decodes to the same bytes */
        if (base32_encode(out, len, enc, sizeof(enc)) != 0 || base32_decode(enc, again, sizeof(again), &len2) != 0 ||
            len2 != len || memcmp(out, again, len) != 0)
                abort();
}

static void fuzz_totp(const uint8_t *data, size_t size) {
        size_t n, off;
        uint64_t t, last, step = UINT64_MAX - 1, now;
        int window, r;
        char *code;

        if (size < 1)
                return;
        n = TOTP_SECRET_MIN + data[0] % (TOTP_SECRET_MAX - TOTP_SECRET_MIN + 1);
        off = 1 + n;
        if (size < off + 17)
                return;
        t = le64(data + off);
        /* -1 .. TOTP_WINDOW_MAX + 1: the edges and one past each */
        window = (int) (data[off + 8] % (TOTP_WINDOW_MAX + 3)) - 1;
        last = le64(data + off + 9);
        off += 17;
        code = malloc(size - off + 1);
        if (!code)
                return;
        memcpy(code, data + off, size - off);
        code[size - off] = 0;

        r = totp_verify(data + 1, n, t, code, window, last, &step);
        bool six_digits = strlen(code) == TOTP_DIGITS && strspn(code, "0123456789") == TOTP_DIGITS;
        if (window < 0 || window > TOTP_WINDOW_MAX || !six_digits) {
                if (r != -EINVAL || step != UINT64_MAX - 1)
                        abort();
        } else if (r == 0) {
                /* a step of the window, after the last used one, whose code is the one given */
                uint32_t v;
                char expect[TOTP_DIGITS + 1];
                now = t / TOTP_PERIOD;
                if (step <= last || (step < now && now - step > (uint64_t) window) ||
                    (step > now && step - now > (uint64_t) window))
                        abort();
                if (totp_code_step(data + 1, n, step, TOTP_DIGITS, &v) != 0)
                        abort();
                snprintf(expect, sizeof(expect), "%06u", v);
                if (strcmp(expect, code) != 0)
                        abort();
        } else if (r != -EACCES || step != UINT64_MAX - 1)
                abort();
        free(code);
}

static void fuzz_recovery(const char *text) {
        char out[RECOVERY_CODE_SIZE] = "untouched", again[RECOVERY_CODE_SIZE];
        int r = recovery_code_normalize(text, out);

        if (r == -EINVAL) {
                if (strcmp(out, "untouched") != 0)
                        abort();
                return;
        }
        /* normalised once is normalised */
        if (r != 0 || strlen(out) != RECOVERY_CODE_LEN || recovery_code_normalize(out, again) != 0 ||
            strcmp(out, again) != 0)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text;

        if (size < 1)
                return 0;
        if (data[0] % 3 == 1) {
                fuzz_totp(data + 1, size - 1);
                return 0;
        }
        /* an exact-size NUL-terminated copy, so that ASan sees any read past the end */
        text = malloc(size);
        if (!text)
                return 0;
        memcpy(text, data + 1, size - 1);
        text[size - 1] = 0;
        if (data[0] % 3 == 0)
                fuzz_base32(text);
        else
                fuzz_recovery(text);
        free(text);
        return 0;
}
