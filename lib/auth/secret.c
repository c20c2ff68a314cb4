/* Tokens, recovery codes and session ids; their hashes and constant-time comparison (secret.h). */
#include "auth/secret.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "util/base64url.h"
#include "util/hex.h"
#include "util/random.h"

static const char recovery_alphabet[] = "23456789abcdefghjkmnpqrstuvwxyz";
#define RECOVERY_ALPHABET_N (sizeof(recovery_alphabet) - 1)
#define RECOVERY_CHARS 12

static bool secret_is_base64url_char(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int secret_token_new(const char *prefix, char **ret_token) {
        uint8_t b[SECRET_TOKEN_BYTES];
        size_t plen = prefix ? strlen(prefix) : 0;
        char *t;
        int r;

        if (plen > SECRET_TOKEN_PREFIX_MAX)
                return -EINVAL;
        for (size_t i = 0; i < plen; i++)
                if (!secret_is_base64url_char(prefix[i]))
                        return -EINVAL;
        r = random_bytes(b, sizeof(b));
        if (r < 0)
                return r;
        t = malloc(plen + BASE64URL_ENCODED_LEN(sizeof(b)) + 1);
        if (!t)
                return -ENOMEM;
        if (plen > 0)
                memcpy(t, prefix, plen);
        r = base64url_encode(b, sizeof(b), t + plen, BASE64URL_ENCODED_LEN(sizeof(b)) + 1);
        OPENSSL_cleanse(b, sizeof(b));
        if (r < 0) {
                free(t);
                return r;
        }
        *ret_token = t;
        return 0;
}

int secret_hash(const char *token, char out[SECRET_HASH_LEN + 1]) {
        uint8_t md[EVP_MAX_MD_SIZE];
        unsigned len = 0;

        if (!token)
                return -EINVAL;
        if (!EVP_Digest(token, strlen(token), md, &len, EVP_sha256(), NULL) || len != SECRET_HASH_LEN / 2)
                return -EIO;
        hex_encode(md, len, out);
        return 0;
}

bool secret_equal(const char *a, const char *b) {
        size_t n;

        if (!a || !b)
                return false;
        n = strlen(a);
        if (strlen(b) != n)
                return false;
        return CRYPTO_memcmp(a, b, n) == 0;
}

/* RECOVERY_CHARS characters of the alphabet, uniform: bytes at or above the largest multiple of 31 are
 * drawn again, so that no character is likelier than another. */
static int recovery_code_draw(char out[RECOVERY_CODE_SIZE]) {
        uint8_t b[32];
        size_t used = sizeof(b), k = 0;
        int r;

        while (k < RECOVERY_CHARS) {
                if (used == sizeof(b)) {
                        r = random_bytes(b, sizeof(b));
                        if (r < 0)
                                return r;
                        used = 0;
                }
                uint8_t v = b[used++];
                if (v >= 256 / RECOVERY_ALPHABET_N * RECOVERY_ALPHABET_N)
                        continue;
                if (k == 4 || k == 8)
                        *out++ = '-';
                *out++ = recovery_alphabet[v % RECOVERY_ALPHABET_N];
                k++;
        }
        *out = 0;
        OPENSSL_cleanse(b, sizeof(b));
        return 0;
}

int recovery_codes_new(unsigned n, char (*codes)[RECOVERY_CODE_SIZE]) {
        if (n > RECOVERY_CODES_MAX)
                return -EINVAL;
        for (unsigned i = 0; i < n; i++) {
                bool again;
                do {
                        int r = recovery_code_draw(codes[i]);
                        if (r < 0)
                                return r;
                        /* one chance in 2^59 a pair, but a user given two equal codes would hold one fewer */
                        again = false;
                        for (unsigned j = 0; j < i; j++)
                                if (strcmp(codes[i], codes[j]) == 0)
                                        again = true;
                } while (again);
        }
        return 0;
}

int recovery_code_normalize(const char *in, char out[RECOVERY_CODE_SIZE]) {
        char c[RECOVERY_CHARS];
        size_t k = 0;

        if (!in)
                return -EINVAL;
        for (const char *p = in; *p; p++) {
                char ch = *p;
                if (ch == ' ' || ch == '-')
                        continue;
                if (ch >= 'A' && ch <= 'Z')
                        ch = (char) (ch - 'A' + 'a');
                if (!memchr(recovery_alphabet, ch, RECOVERY_ALPHABET_N) || k == RECOVERY_CHARS)
                        return -EINVAL;
                c[k++] = ch;
        }
        if (k != RECOVERY_CHARS)
                return -EINVAL;
        for (size_t i = 0, j = 0; i < RECOVERY_CHARS; i++) {
                if (i == 4 || i == 8)
                        out[j++] = '-';
                out[j++] = c[i];
        }
        out[RECOVERY_CODE_LEN] = 0;
        return 0;
}

int session_id_new(char out[SESSION_ID_LEN + 1]) {
        uint8_t b[32];
        int r = random_bytes(b, sizeof(b));

        if (r < 0)
                return r;
        r = base64url_encode(b, sizeof(b), out, SESSION_ID_LEN + 1);
        OPENSSL_cleanse(b, sizeof(b));
        return r;
}

bool session_id_is_valid(const char *s) {
        if (!s)
                return false;
        for (size_t i = 0; i < SESSION_ID_LEN; i++)
                if (!secret_is_base64url_char(s[i]))
                        return false;
        return s[SESSION_ID_LEN] == 0;
}
