/* Accounts: what a user name and a password may be, and how a password is kept (yescrypt through libcrypt)
 * and checked (libpwquality, Debian's password policy library). Pure functions: nothing here logs or
 * touches the database. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define ACCOUNT_NAME_MAX 64        /* bytes */
#define ACCOUNT_PASSWORD_MIN 12    /* characters, the default minimum */
#define ACCOUNT_PASSWORD_MAX 1024  /* bytes: longer is refused before any hashing */
#define ACCOUNT_HASH_MAX 384       /* CRYPT_OUTPUT_SIZE */

typedef enum account_role {
        ROLE_USER,
        ROLE_ADMIN,
        _ROLE_MAX,
} account_role_t;

typedef enum account_state {
        ACCOUNT_PENDING,   /* signed up, waiting for an admin */
        ACCOUNT_ACTIVE,
        ACCOUNT_DISABLED,
        _ACCOUNT_STATE_MAX,
} account_state_t;

const char *account_role_to_string(account_role_t r);
int account_role_from_string(const char *s);       /* the role or -EINVAL */
const char *account_state_to_string(account_state_t s);
int account_state_from_string(const char *s);      /* the state or -EINVAL */

/* A user name: 1 to ACCOUNT_NAME_MAX bytes of ASCII letters, digits and . _ - @ +, starting with a letter or
 * a digit (so an e-mail address from a single sign-on proxy fits, and no name needs escaping anywhere).
 * Names are compared without regard to case (the store's COLLATE NOCASE). */
bool account_name_is_valid(const char *s, size_t n);

/* An API token's label: 1 to 64 ASCII letters, digits, spaces and . _ - @ + (shown in lists, never escaped
 * into anything). */
#define ACCOUNT_TOKEN_NAME_MAX 64
bool account_token_name_is_valid(const char *s);

/* Why a password is refused, in words for the user (never containing the password), or NULL when it is
 * acceptable: valid UTF-8 without control characters, at most ACCOUNT_PASSWORD_MAX bytes, at least
 * min_len characters, neither containing nor contained in a user name of three or more characters (any
 * case), and not refused by libpwquality (dictionary words, too few character classes, palindromes...).
 * reason has room for at least 256 bytes. */
const char *account_password_refusal(const char *user, const char *password, unsigned min_len, char *reason,
                                     size_t size);

/* yescrypt hash of password, with a fresh salt: 0 or -errno. ret has ACCOUNT_HASH_MAX bytes. */
int account_password_hash(const char *password, char ret[ACCOUNT_HASH_MAX]);
/* 0 when password matches hash (compared in constant time), -EACCES when not, -EINVAL for a hash libcrypt
 * cannot read. */
int account_password_verify(const char *password, const char *hash);
/* A hash of a random password, to verify against when the account does not exist: the answer then takes
 * the time a real check takes. */
const char *account_password_dummy_hash(void);
