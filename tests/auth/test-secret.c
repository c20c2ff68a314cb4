/* lib/auth/secret: tokens, SHA-256 vectors, constant-time equality, recovery codes, session ids. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"

#include "auth/secret.h"

static const char base64url_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* whether the n strings at v are all different */
static bool all_different(char **v, size_t n) {
        qsort(v, n, sizeof(*v), cmp_str);
        for (size_t i = 1; i < n; i++)
                if (strcmp(v[i - 1], v[i]) == 0)
                        return false;
        return true;
}

static void test_token(void) {
        enum { N = 2000 };
        char *t[N] = {};

        for (size_t i = 0; i < N; i++) {
                CHECK_EQ(secret_token_new("pcapd_", &t[i]), 0);
                if (!t[i])
                        return;
                CHECK_EQU(strlen(t[i]), 6 + 43);
                CHECK(strncmp(t[i], "pcapd_", 6) == 0);
                CHECK_EQU(strspn(t[i] + 6, base64url_chars), 43);
        }
        CHECK(all_different(t, N));
        for (size_t i = 0; i < N; i++)
                free(t[i]);

        char *u = NULL;
        CHECK_EQ(secret_token_new(NULL, &u), 0);
        CHECK(u && strlen(u) == 43 && strspn(u, base64url_chars) == 43);
        free(u);
        u = NULL;
        CHECK_EQ(secret_token_new("", &u), 0);
        CHECK(u && strlen(u) == 43);
        free(u);
        u = NULL;
        CHECK_EQ(secret_token_new("0123456789abcdef", &u), 0); /* SECRET_TOKEN_PREFIX_MAX */
        CHECK(u && strlen(u) == 16 + 43);
        free(u);

        static const char *bad[] = { "0123456789abcdefg", "pcapd ", "a/b", "a.b", "a=b", "ä_", "\n" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                u = NULL;
                CHECK_MSG(secret_token_new(bad[i], &u) == -EINVAL, "\"%s\"", bad[i]);
                CHECK(u == NULL);
        }
}

static void test_hash(void) {
        /* FIPS 180-2 appendix B, and the empty string */
        static const struct {
                const char *in, *hex;
        } v[] = {
                { "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
                { "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
                { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
        };
        char out[SECRET_HASH_LEN + 1];

        for (size_t i = 0; i < ELEMENTSOF(v); i++) {
                CHECK_EQ(secret_hash(v[i].in, out), 0);
                CHECK_STR(out, v[i].hex);
        }
        strcpy(out, "untouched");
        CHECK_EQ(secret_hash(NULL, out), -EINVAL);
        CHECK_STR(out, "untouched");
}

static void test_equal(void) {
        CHECK(secret_equal("", ""));
        CHECK(secret_equal("pcapd_abc", "pcapd_abc"));
        CHECK(!secret_equal("pcapd_abc", "pcapd_abd"));
        CHECK(!secret_equal("pcapd_abc", "qcapd_abc"));
        CHECK(!secret_equal("pcapd_abc", "pcapd_ab"));
        CHECK(!secret_equal("pcapd_ab", "pcapd_abc"));
        CHECK(!secret_equal("", "a"));
        CHECK(!secret_equal(NULL, "a"));
        CHECK(!secret_equal("a", NULL));
        CHECK(!secret_equal(NULL, NULL));
        /* what is stored is compared as it comes: hashes */
        char h1[SECRET_HASH_LEN + 1], h2[SECRET_HASH_LEN + 1];
        CHECK(secret_hash("t1", h1) == 0 && secret_hash("t1", h2) == 0 && secret_equal(h1, h2));
        CHECK(secret_hash("t2", h2) == 0 && !secret_equal(h1, h2));
}

static bool recovery_code_well_formed(const char *c) {
        static const char alphabet[] = "23456789abcdefghjkmnpqrstuvwxyz";
        if (strlen(c) != RECOVERY_CODE_LEN || c[4] != '-' || c[9] != '-')
                return false;
        for (size_t i = 0; i < RECOVERY_CODE_LEN; i++)
                if (i != 4 && i != 9 && !strchr(alphabet, c[i]))
                        return false;
        return true;
}

static void test_recovery_codes(void) {
        enum { BATCHES = 100 };
        static char codes[BATCHES][RECOVERY_CODES_MAX][RECOVERY_CODE_SIZE];
        static char *all[BATCHES * RECOVERY_CODES_MAX];
        unsigned seen[256] = {}, chars = 0;

        for (size_t b = 0; b < BATCHES; b++) {
                CHECK_EQ(recovery_codes_new(RECOVERY_CODES_MAX, codes[b]), 0);
                for (size_t i = 0; i < RECOVERY_CODES_MAX; i++) {
                        const char *c = codes[b][i];
                        CHECK_MSG(recovery_code_well_formed(c), "\"%s\"", c);
                        all[b * RECOVERY_CODES_MAX + i] = codes[b][i];
                        for (size_t k = 0; k < RECOVERY_CODE_LEN; k++)
                                if (c[k] != '-') {
                                        seen[(unsigned char) c[k]]++;
                                        chars++;
                                }
                }
        }
        CHECK(all_different(all, ELEMENTSOF(all)));
        /* 120,000 characters: each of the 31 about 3871 times (σ 61); none of 0 o 1 l i */
        for (const char *a = "23456789abcdefghjkmnpqrstuvwxyz"; *a; a++)
                CHECK_MSG(seen[(unsigned char) *a] > 3300 && seen[(unsigned char) *a] < 4450, "'%c' %u times", *a,
                          seen[(unsigned char) *a]);
        CHECK_EQU(chars, BATCHES * RECOVERY_CODES_MAX * 12);

        char few[3][RECOVERY_CODE_SIZE] = { "x", "y", "z" };
        CHECK_EQ(recovery_codes_new(0, few), 0);
        CHECK_STR(few[0], "x");
        CHECK_EQ(recovery_codes_new(2, few), 0);
        CHECK(recovery_code_well_formed(few[0]) && recovery_code_well_formed(few[1]));
        CHECK_STR(few[2], "z");
        CHECK_EQ(recovery_codes_new(RECOVERY_CODES_MAX + 1, codes[0]), -EINVAL);
}

static void test_recovery_normalize(void) {
        static const char *same[] = {
                "abcd-efgh-jkmn", "ABCD-EFGH-JKMN", "abcdefghjkmn", "abcd efgh jkmn", " Abcd - eFgh - jkmN ",
                "a-b-c-d-e-f-g-h-j-k-m-n",
        };
        static const char *bad[] = {
                "",  "abcd-efgh-jkm", "abcd-efgh-jkmnp", "abcd-efgh-jkm0", "abcd-efgh-jkml", "abcd-efgh-jkmo",
                "abcd-efgh-jkm1", "abcd-efgh-jkmi", "abcd_efgh_jkmn", "abcd-efgh-jkm\xc3\xa9", "abcd\tefgh-jkmn",
        };
        char out[RECOVERY_CODE_SIZE];

        for (size_t i = 0; i < ELEMENTSOF(same); i++) {
                CHECK_EQ(recovery_code_normalize(same[i], out), 0);
                CHECK_STR(out, "abcd-efgh-jkmn");
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                strcpy(out, "untouched");
                CHECK_MSG(recovery_code_normalize(bad[i], out) == -EINVAL, "\"%s\"", bad[i]);
                CHECK_STR(out, "untouched");
        }
        CHECK_EQ(recovery_code_normalize(NULL, out), -EINVAL);

        /* every code made comes back from normalize as it was, and from its upper-case form too */
        char c[5][RECOVERY_CODE_SIZE], up[RECOVERY_CODE_SIZE];
        CHECK_EQ(recovery_codes_new(5, c), 0);
        for (size_t i = 0; i < 5; i++) {
                CHECK_EQ(recovery_code_normalize(c[i], out), 0);
                CHECK_STR(out, c[i]);
                for (size_t k = 0; k < RECOVERY_CODE_SIZE; k++)
                        up[k] = (char) (c[i][k] >= 'a' && c[i][k] <= 'z' ? c[i][k] - 'a' + 'A' : c[i][k]);
                CHECK_EQ(recovery_code_normalize(up, out), 0);
                CHECK_STR(out, c[i]);
        }
}

static void test_session_id(void) {
        enum { N = 10000 };
        static char ids[N][SESSION_ID_LEN + 1];
        static char *all[N];

        for (size_t i = 0; i < N; i++) {
                CHECK_EQ(session_id_new(ids[i]), 0);
                CHECK_EQU(strlen(ids[i]), SESSION_ID_LEN);
                CHECK_EQU(strspn(ids[i], base64url_chars), SESSION_ID_LEN);
                CHECK(session_id_is_valid(ids[i]));
                all[i] = ids[i];
        }
        CHECK(all_different(all, N));

        CHECK(session_id_is_valid("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA_"));
        CHECK(!session_id_is_valid("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));    /* 42 */
        CHECK(!session_id_is_valid("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));  /* 44 */
        CHECK(!session_id_is_valid("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
        CHECK(!session_id_is_valid("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+"));
        CHECK(!session_id_is_valid("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA;A"));
        CHECK(!session_id_is_valid(""));
        CHECK(!session_id_is_valid(NULL));
}

int main(void) {
        RUN(test_token);
        RUN(test_hash);
        RUN(test_equal);
        RUN(test_recovery_codes);
        RUN(test_recovery_normalize);
        RUN(test_session_id);
        return tu_exit();
}
