/* Secrets pcapd-web hands out and keeps only hashed: API tokens, recovery codes, session ids. Each is drawn
 * from getrandom(); none is logged or compared but in constant time. */
#pragma once

#include <stdbool.h>

#define SECRET_TOKEN_BYTES 32        /* random bytes in a token (256 bits) */
#define SECRET_TOKEN_PREFIX_MAX 16   /* the most characters of a token's prefix */
#define SECRET_HASH_LEN 64           /* SHA-256 as hex digits */
#define RECOVERY_CODE_LEN 14         /* "xxxx-xxxx-xxxx" */
#define RECOVERY_CODE_SIZE 20        /* the array each code is written into */
#define RECOVERY_CODES_MAX 100       /* the most codes recovery_codes_new() makes at once */
#define SESSION_ID_LEN 43            /* 256 bits in base64url without padding */

/* A new string (free()) in *ret_token: prefix (NULL for none; at most SECRET_TOKEN_PREFIX_MAX characters of
 * A-Z a-z 0-9 _ -, such as "pcapd_"), then SECRET_TOKEN_BYTES random bytes in base64url (util/base64url.h), so
 * that a token can go into a URL or a header as it is and a leaked one is recognisable by its prefix.
 * 0, -EINVAL for another prefix, -ENOMEM, or getrandom()'s -errno. */
int secret_token_new(const char *prefix, char **ret_token);

/* SHA-256 of token (its strlen() bytes) as 64 lower-case hex digits and a NUL in out: what is stored instead of
 * a token, recovery code or session id. A fast hash is right for these (they carry at least 59 random bits; a
 * password would need a slow one). 0, -EINVAL for NULL, -EIO when OpenSSL fails. */
int secret_hash(const char *token, char out[SECRET_HASH_LEN + 1]);

/* Whether a and b are the same string, comparing their bytes in constant time (CRYPTO_memcmp): the time taken
 * depends on their lengths only. Strings of different lengths, and NULL, are not equal. */
bool secret_equal(const char *a, const char *b);

/* n (0 .. RECOVERY_CODES_MAX) different one-time recovery codes "xxxx-xxxx-xxxx" and a NUL into codes[0..n),
 * each character drawn uniformly from the 31 of "23456789abcdefghjkmnpqrstuvwxyz" (no 0/o, 1/l/i to mistake
 * for one another; about 59 bits a code). The caller stores secret_hash() of each, and of what a user types
 * after recovery_code_normalize(). 0, -EINVAL for n above RECOVERY_CODES_MAX, or getrandom()'s -errno. */
int recovery_codes_new(unsigned n, char (*codes)[RECOVERY_CODE_SIZE]);

/* A recovery code as a user may type it (upper case, with or without the dashes, with spaces) as
 * recovery_codes_new() wrote it, in out. 0, or -EINVAL when in is not 12 characters of the alphabet once
 * blanks and dashes are dropped (out untouched). */
int recovery_code_normalize(const char *in, char out[RECOVERY_CODE_SIZE]);

/* A new session id in out: 256 random bits as SESSION_ID_LEN base64url characters and a NUL. 0 or -errno. */
int session_id_new(char out[SESSION_ID_LEN + 1]);

/* Whether s has the form session_id_new() makes (SESSION_ID_LEN characters of A-Z a-z 0-9 - _): worth looking
 * up. NULL is not. */
bool session_id_is_valid(const char *s);
