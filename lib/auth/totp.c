/* TOTP (RFC 6238) and HOTP (RFC 4226) with HMAC-SHA1 from OpenSSL, and the otpauth:// URI (totp.h). */
#include "auth/totp.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "util/jsonesc.h"
#include "util/macro.h"
#include "util/random.h"
#include "util/uri.h"

int totp_secret_new(uint8_t secret[TOTP_SECRET_SIZE]) {
        return random_bytes(secret, TOTP_SECRET_SIZE);
}

static bool totp_secret_size_ok(const uint8_t *secret, size_t n) {
        return secret && n >= TOTP_SECRET_MIN && n <= TOTP_SECRET_MAX;
}

int totp_code_step(const uint8_t *secret, size_t n, uint64_t step, unsigned digits, uint32_t *ret) {
        static const uint32_t power[] = { 1000000, 10000000, 100000000 };
        uint8_t msg[8], mac[EVP_MAX_MD_SIZE];
        unsigned mac_len = 0, off;
        uint32_t bin;

        if (!totp_secret_size_ok(secret, n) || digits < 6 || digits > 8)
                return -EINVAL;
        for (unsigned i = 0; i < 8; i++)
                msg[i] = (uint8_t) (step >> (56 - 8 * i));
        if (!HMAC(EVP_sha1(), secret, (int) n, msg, sizeof(msg), mac, &mac_len) || mac_len != 20)
                return -EIO;
        /* dynamic truncation (RFC 4226 section 5.3): 31 bits at the offset the last nibble names */
        off = mac[19] & 15;
        bin = (uint32_t) (mac[off] & 0x7f) << 24 | (uint32_t) mac[off + 1] << 16 | (uint32_t) mac[off + 2] << 8 |
              mac[off + 3];
        *ret = bin % power[digits - 6];
        return 0;
}

int totp_code(const uint8_t *secret, size_t n, uint64_t unix_time, unsigned digits, uint32_t *ret) {
        return totp_code_step(secret, n, unix_time / TOTP_PERIOD, digits, ret);
}

int totp_verify(const uint8_t *secret, size_t n, uint64_t unix_time, const char *code, int window,
                uint64_t last_used_step, uint64_t *ret_step) {
        uint64_t now, lo, hi, found = 0;
        bool matched = false;

        if (!code || window < 0 || window > TOTP_WINDOW_MAX || !totp_secret_size_ok(secret, n))
                return -EINVAL;
        for (unsigned i = 0; i < TOTP_DIGITS; i++)
                if (code[i] < '0' || code[i] > '9')
                        return -EINVAL;
        if (code[TOTP_DIGITS] != 0)
                return -EINVAL;

        now = unix_time / TOTP_PERIOD;
        lo = now >= (uint64_t) window ? now - (uint64_t) window : 0;
        hi = now <= UINT64_MAX - (uint64_t) window ? now + (uint64_t) window : UINT64_MAX;
        /* every step of the window is computed and compared, matched or not, so the time taken says nothing
         * about the code */
        for (uint64_t i = 0; i <= hi - lo; i++) {
                uint64_t step = lo + i;
                char expect[TOTP_DIGITS + 1];
                uint32_t v;
                int r = totp_code_step(secret, n, step, TOTP_DIGITS, &v);
                if (r < 0)
                        return r;
                snprintf(expect, sizeof(expect), "%06u", v);
                if (CRYPTO_memcmp(expect, code, TOTP_DIGITS) == 0 && step > last_used_step && !matched) {
                        matched = true;
                        found = step;
                }
        }
        if (!matched)
                return -EACCES;
        if (ret_step)
                *ret_step = found;
        return 0;
}

static bool totp_utf8_ok(const char *s) {
        size_t n = strlen(s);

        for (size_t i = 0; i < n;) {
                size_t k = utf8_valid_len((const unsigned char *) s + i, n - i);
                if (k == 0)
                        return false;
                i += k;
        }
        return n > 0;
}

int totp_uri(const char *issuer, const char *account, const uint8_t *secret, size_t n, char **ret) {
        _cleanup_free_ char *esc_issuer = NULL, *esc_account = NULL;
        char *uri, b32[BASE32_ENCODED_LEN(TOTP_SECRET_MAX) + 1];
        int r;

        if (!issuer || !account || !totp_secret_size_ok(secret, n) || !totp_utf8_ok(issuer) ||
            !totp_utf8_ok(account) || strchr(issuer, ':'))
                return -EINVAL;
        r = base32_encode(secret, n, b32, sizeof(b32));
        if (r < 0)
                return r;
        r = uri_escape(issuer, &esc_issuer);
        if (r < 0)
                return r;
        r = uri_escape(account, &esc_account);
        if (r < 0)
                return r;
        if (asprintf(&uri, "otpauth://totp/%s:%s?secret=%s&issuer=%s&algorithm=SHA1&digits=%d&period=%d", esc_issuer,
                     esc_account, b32, esc_issuer, TOTP_DIGITS, TOTP_PERIOD) < 0)
                return -ENOMEM;
        *ret = uri;
        return 0;
}
