/* Accounts (see account.h). */
#include "auth/account.h"

#include <crypt.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <pwquality.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "util/jsonesc.h"
#include "util/macro.h"

static const char *const role_names[_ROLE_MAX] = { [ROLE_USER] = "user", [ROLE_ADMIN] = "admin" };
static const char *const state_names[_ACCOUNT_STATE_MAX] = {
        [ACCOUNT_PENDING] = "pending", [ACCOUNT_ACTIVE] = "active", [ACCOUNT_DISABLED] = "disabled",
};

const char *account_role_to_string(account_role_t r) {
        return (unsigned) r < _ROLE_MAX ? role_names[r] : "unknown";
}

int account_role_from_string(const char *s) {
        for (unsigned i = 0; s && i < _ROLE_MAX; i++)
                if (strcmp(s, role_names[i]) == 0)
                        return (int) i;
        return -EINVAL;
}

const char *account_state_to_string(account_state_t s) {
        return (unsigned) s < _ACCOUNT_STATE_MAX ? state_names[s] : "unknown";
}

int account_state_from_string(const char *s) {
        for (unsigned i = 0; s && i < _ACCOUNT_STATE_MAX; i++)
                if (strcmp(s, state_names[i]) == 0)
                        return (int) i;
        return -EINVAL;
}

static bool is_alnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool account_name_is_valid(const char *s, size_t n) {
        if (!s || n == 0 || n > ACCOUNT_NAME_MAX || !is_alnum(s[0]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!is_alnum(s[i]) && (s[i] == 0 || !strchr("._-@+", s[i])))
                        return false;
        return true;
}

bool account_token_name_is_valid(const char *s) {
        size_t n = s ? strlen(s) : 0;
        if (n == 0 || n > ACCOUNT_TOKEN_NAME_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!is_alnum(s[i]) && !strchr(" ._-@+", s[i]))
                        return false;
        return true;
}

/* Characters (code points) in s, or -1 when s is not valid UTF-8 or holds a control character. */
static long utf8_chars(const char *s, size_t n) {
        long chars = 0;
        for (size_t i = 0; i < n;) {
                size_t l = utf8_valid_len((const unsigned char *) s + i, n - i);
                if (l == 0)
                        return -1;
                if (l == 1 && ((unsigned char) s[i] < 0x20 || s[i] == 0x7f))
                        return -1;
                i += l;
                chars++;
        }
        return chars;
}

static bool contains_case(const char *hay, const char *needle) {
        size_t n = strlen(needle);
        if (n == 0)
                return false;
        for (const char *p = hay; *p; p++)
                if (strncasecmp(p, needle, n) == 0)
                        return true;
        return false;
}

const char *account_password_refusal(const char *user, const char *password, unsigned min_len, char *reason,
                                     size_t size) {
        size_t n = password ? strlen(password) : 0;
        pwquality_settings_t *pwq;
        void *aux = NULL;
        long chars;
        int r;

        if (!password || n == 0)
                return snprintf(reason, size, "the password is empty"), reason;
        if (n > ACCOUNT_PASSWORD_MAX)
                return snprintf(reason, size, "the password is longer than %d bytes", ACCOUNT_PASSWORD_MAX), reason;
        chars = utf8_chars(password, n);
        if (chars < 0)
                return snprintf(reason, size, "the password is not valid UTF-8 text or holds a control character"),
                       reason;
        if ((unsigned long) chars < min_len)
                return snprintf(reason, size, "the password is shorter than %u characters", min_len), reason;
        /* a name of one or two characters is in too many good passwords to mean anything */
        if (user && strlen(user) >= 3 && (contains_case(password, user) || contains_case(user, password)))
                return snprintf(reason, size, "the password contains the user name"), reason;

        pwq = pwquality_default_settings();
        if (!pwq)
                return snprintf(reason, size, "the password policy could not be loaded"), reason;
        /* the system's policy (/etc/security/pwquality.conf) where there is one, our minimum on top */
        (void) pwquality_read_config(pwq, NULL, NULL);
        (void) pwquality_set_int_value(pwq, PWQ_SETTING_MIN_LENGTH, (int) MIN(min_len, 1000u));
        r = pwquality_check(pwq, password, NULL, user, &aux);
        if (r < 0) {
                char buf[PWQ_MAX_ERROR_MESSAGE_LEN];
                const char *why = pwquality_strerror(buf, sizeof(buf), r, aux);
                snprintf(reason, size, "the password is refused: %s", why ? why : "too weak");
                pwquality_free_settings(pwq);
                return reason;
        }
        pwquality_free_settings(pwq);
        return NULL;
}

int account_password_hash(const char *password, char ret[ACCOUNT_HASH_MAX]) {
        char setting[CRYPT_GENSALT_OUTPUT_SIZE];
        struct crypt_data *cd;
        uint8_t rnd[32];
        int r = 0;

        if (!password || strlen(password) > ACCOUNT_PASSWORD_MAX)
                return -EINVAL;
        if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t) sizeof(rnd))
                return -EIO;
        /* yescrypt at libcrypt's default cost (count 0) */
        if (!crypt_gensalt_rn("$y$", 0, (const char *) rnd, sizeof(rnd), setting, sizeof(setting)))
                return -errno ?: -EINVAL;
        cd = calloc(1, sizeof(*cd));
        if (!cd)
                return -ENOMEM;
        if (!crypt_rn(password, setting, cd, sizeof(*cd)) || cd->output[0] == '*')
                r = -EINVAL;
        else
                snprintf(ret, ACCOUNT_HASH_MAX, "%s", cd->output);
        explicit_bzero(cd, sizeof(*cd));
        free(cd);
        return r;
}

int account_password_verify(const char *password, const char *hash) {
        struct crypt_data *cd;
        size_t n;
        int r;

        if (!password || !hash || strlen(password) > ACCOUNT_PASSWORD_MAX)
                return -EACCES;
        cd = calloc(1, sizeof(*cd));
        if (!cd)
                return -ENOMEM;
        if (!crypt_rn(password, hash, cd, sizeof(*cd)) || cd->output[0] == '*')
                r = -EINVAL;
        else {
                n = strlen(hash);
                r = strlen(cd->output) == n && CRYPTO_memcmp(cd->output, hash, n) == 0 ? 0 : -EACCES;
        }
        explicit_bzero(cd, sizeof(*cd));
        free(cd);
        return r;
}

static char dummy_hash[ACCOUNT_HASH_MAX];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void dummy_make(void) {
        uint8_t rnd[24];
        char pw[64] = "";
        if (getrandom(rnd, sizeof(rnd), 0) == (ssize_t) sizeof(rnd))
                for (size_t i = 0; i < sizeof(rnd); i++)
                        snprintf(pw + 2 * i, sizeof(pw) - 2 * i, "%02x", rnd[i]);
        if (account_password_hash(pw, dummy_hash) < 0)
                snprintf(dummy_hash, sizeof(dummy_hash), "*");
}

const char *account_password_dummy_hash(void) {
        pthread_once(&dummy_once, dummy_make);
        return dummy_hash;
}
