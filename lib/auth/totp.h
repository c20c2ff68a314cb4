/* TOTP (RFC 6238): time-based one-time passwords over HOTP (RFC 4226) with HMAC-SHA1, 30-second steps, and the
 * otpauth:// URI authenticator apps enrol from (Google's "Key Uri Format"). Pure functions of their arguments
 * but totp_secret_new(); the caller keeps the secret and the last step used. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* base32_encode() and base32_decode(): secrets are shown, typed and put into the URI in base32. */
#include "util/base32.h"

#define TOTP_SECRET_SIZE 20  /* what totp_secret_new() makes: HMAC-SHA1's output size, as RFC 4226 recommends */
#define TOTP_SECRET_MIN 16   /* RFC 4226 R6: at least 128 bits */
#define TOTP_SECRET_MAX 64   /* HMAC-SHA1's block size; a longer key is hashed down anyway */
#define TOTP_PERIOD 30       /* seconds a step lasts */
#define TOTP_DIGITS 6        /* what totp_verify() accepts and totp_uri() announces */
#define TOTP_WINDOW_MAX 10   /* the most steps totp_verify() looks either side of now */

/* TOTP_SECRET_SIZE random bytes from getrandom(). 0 or -errno. */
int totp_secret_new(uint8_t secret[TOTP_SECRET_SIZE]);

/* HOTP (RFC 4226): the code for counter step under the n-byte secret, digits (6..8) long, in *ret. 0, -EINVAL
 * for a secret outside TOTP_SECRET_MIN..TOTP_SECRET_MAX bytes or digits outside 6..8, -EIO when OpenSSL fails. */
int totp_code_step(const uint8_t *secret, size_t n, uint64_t step, unsigned digits, uint32_t *ret);

/* The code of the step unix_time falls in (unix_time / TOTP_PERIOD), as totp_code_step(). */
int totp_code(const uint8_t *secret, size_t n, uint64_t unix_time, unsigned digits, uint32_t *ret);

/* Checks code, which a user typed, against the steps from unix_time's minus window to plus window (0 ..
 * TOTP_WINDOW_MAX; clock drift and typing time), each compared in constant time. A step at or below
 * last_used_step is refused, so that a code cannot be used twice (pass 0 before the first use, and store
 * *ret_step after each success). 0 and the step that matched (the earliest above last_used_step) in *ret_step
 * (when not NULL), -EACCES when no step allowed matches, -EINVAL when code is not exactly TOTP_DIGITS ASCII
 * digits, window is outside 0..TOTP_WINDOW_MAX or the secret's size is refused as by totp_code_step(), -EIO.
 * *ret_step is untouched on error. */
int totp_verify(const uint8_t *secret, size_t n, uint64_t unix_time, const char *code, int window,
                uint64_t last_used_step, uint64_t *ret_step);

/* A new string (free()) in *ret:
 *         otpauth://totp/ISSUER:ACCOUNT?secret=BASE32&issuer=ISSUER&algorithm=SHA1&digits=6&period=30
 * with issuer and account percent-encoded (util/uri.h), so that an account name can hold anything (markup,
 * '?', '&', '#', '/', ':', spaces, any UTF-8) without changing the URI's structure. issuer and account must be
 * non-empty valid UTF-8; issuer must not hold ':' (apps split the label at its first colon, literal or %3A, so
 * only the issuer's own is allowed before the account; an account's colons come after it and stay its own).
 * 0, -EINVAL, -ENOMEM. */
int totp_uri(const char *issuer, const char *account, const uint8_t *secret, size_t n, char **ret);
