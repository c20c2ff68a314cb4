/* Secrets (see secret.h). */
#include "auth/secret.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static void b64url(const uint8_t *in, size_t n, char *out) {
        static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        size_t o = 0;
        uint32_t acc = 0;
        int bits = 0;
        for (size_t i = 0; i < n; i++) {
                acc = (acc << 8) | in[i];
                bits += 8;
                while (bits >= 6) {
                        bits -= 6;
                        out[o++] = a[(acc >> bits) & 63];
                }
        }
        if (bits > 0)
                out[o++] = a[(acc << (6 - bits)) & 63];
        out[o] = 0;
}

int session_id_new(char out[SESSION_ID_LEN + 1]) {
        uint8_t rnd[32];
        if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t) sizeof(rnd))
                return -EIO;
        b64url(rnd, sizeof(rnd), out);
        OPENSSL_cleanse(rnd, sizeof(rnd));
        return 0;
}

int secret_token_new(const char *prefix, char **ret_token) {
        size_t pn = prefix ? strlen(prefix) : 0;
        char *t = malloc(pn + SESSION_ID_LEN + 1);
        int r;
        if (!t)
                return -ENOMEM;
        memcpy(t, prefix, pn);
        r = session_id_new(t + pn);
        if (r < 0) {
                free(t);
                return r;
        }
        *ret_token = t;
        return 0;
}

int secret_hash(const char *token, char out[SECRET_HASH_LEN + 1]) {
        uint8_t md[32];
        unsigned len = 0;
        if (!token || EVP_Digest(token, strlen(token), md, &len, EVP_sha256(), NULL) != 1 || len != 32)
                return -EINVAL;
        for (unsigned i = 0; i < 32; i++)
                snprintf(out + 2 * i, 3, "%02x", md[i]);
        return 0;
}

bool secret_equal(const char *a, const char *b) {
        size_t n = strlen(a);
        return n == strlen(b) && CRYPTO_memcmp(a, b, n) == 0;
}
