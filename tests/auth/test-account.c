/* Tests of lib/auth/account.c: names, the password policy (with its reasons, never the password), yescrypt
 * hashes through libcrypt, verification and the dummy hash. */
#include <errno.h>
#include <string.h>

#include "../check.h"

#include "auth/account.h"

static bool refused(const char *user, const char *pw, const char *why_part) {
        char reason[256];
        const char *why = account_password_refusal(user, pw, ACCOUNT_PASSWORD_MIN, reason, sizeof(reason));
        if (!why)
                return false;
        CHECK_MSG(!pw || !*pw || !strstr(why, pw), "the reason shows the password: %s", why);
        return !why_part || strstr(why, why_part);
}

int main(void) {
        char hash[ACCOUNT_HASH_MAX], hash2[ACCOUNT_HASH_MAX], longpw[ACCOUNT_PASSWORD_MAX + 2];

        tu_current = "names";
        CHECK(account_name_is_valid("alice", 5));
        CHECK(account_name_is_valid("a.b-c_d@example.org", 19));
        CHECK(account_name_is_valid("0", 1));
        CHECK(!account_name_is_valid("", 0));
        CHECK(!account_name_is_valid(".alice", 6));
        CHECK(!account_name_is_valid("-alice", 6));
        CHECK(!account_name_is_valid("<script>", 8));
        CHECK(!account_name_is_valid("a b", 3));
        CHECK(!account_name_is_valid("a\0b", 3));
        CHECK(!account_name_is_valid("caf\xc3\xa9", 5));
        CHECK(!account_name_is_valid("a/b", 3));
        CHECK(account_name_is_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 64));
        CHECK(!account_name_is_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 65));
        CHECK(account_role_from_string("admin") == ROLE_ADMIN && account_role_from_string("root") == -EINVAL);
        CHECK(account_state_from_string("pending") == ACCOUNT_PENDING && account_state_from_string(NULL) == -EINVAL);

        tu_current = "policy";
        CHECK(refused("bob", "", "empty"));
        CHECK(refused("bob", "Qz9#", "shorter than 12"));
        CHECK(refused("bob", "bob-and-some-more-text-9", "user name"));
        CHECK(refused("roberta", "ROBERTA-likes-Cheese-77", "user name"));
        CHECK(refused("bob", "password123456", "refused"));        /* libpwquality: dictionary */
        CHECK(refused("bob", "aaaaaaaaaaaaaaaa", NULL));
        CHECK(refused("bob", "abc\x01" "defghijklmnop", "UTF-8"));
        CHECK(refused("bob", "abc\xff" "defghijklmnop", "UTF-8"));
        memset(longpw, 'x', sizeof(longpw) - 1);
        longpw[sizeof(longpw) - 1] = 0;
        CHECK(refused("bob", longpw, "longer than"));
        CHECK(!refused("bob", "Zebra-Quartz-1987-pillow", NULL));
        CHECK(!refused("ci", "Ci-Admin-Password-7741-tulip", NULL)); /* a two-letter name is no pattern */
        /* twelve characters, not twelve bytes: a non-ASCII password counts its characters */
        CHECK(refused("bob", "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", "shorter than 12"));

        tu_current = "hash";
        CHECK(account_password_hash("Zebra-Quartz-1987-pillow", hash) == 0);
        CHECK(strncmp(hash, "$y$", 3) == 0);
        CHECK(account_password_hash("Zebra-Quartz-1987-pillow", hash2) == 0 && strcmp(hash, hash2) != 0); /* salted */
        CHECK(account_password_verify("Zebra-Quartz-1987-pillow", hash) == 0);
        CHECK(account_password_verify("Zebra-Quartz-1987-pillox", hash) == -EACCES);
        CHECK(account_password_verify("", hash) == -EACCES);
        CHECK(account_password_verify("x", "not a hash") != 0);
        CHECK(account_password_verify("x", "") != 0);
        CHECK(account_password_verify(longpw, hash) == -EACCES);
        CHECK(account_password_hash(longpw, hash2) == -EINVAL);
        CHECK(strncmp(account_password_dummy_hash(), "$y$", 3) == 0);
        CHECK(account_password_verify("Zebra-Quartz-1987-pillow", account_password_dummy_hash()) == -EACCES);
        return tu_exit();
}
