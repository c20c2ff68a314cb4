/* Base32 (RFC 4648 section 6, the alphabet A-Z 2-7): the project's one base32 codec. TOTP secrets are
 * shown and put into otpauth:// URIs in it. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Characters base32_encode() writes for n bytes (without padding or the NUL). */
#define BASE32_ENCODED_LEN(n) (((n) * 8 + 4) / 5)

/* The n bytes at in as upper-case base32 without '=' padding, and a NUL, into out. 0, or -ENOBUFS when out_size
 * is below BASE32_ENCODED_LEN(n) + 1 (out untouched). */
int base32_encode(const uint8_t *in, size_t n, char *out, size_t out_size);

/* Decodes the NUL-terminated in, as a person may type it: lower case, spaces anywhere and '=' padding at the end
 * are accepted. Bits after the last whole byte are ignored. 0 and the byte count in *ret_len (when not NULL),
 * -EINVAL for any other character, '=' followed by data, or a length no encoder makes (1, 3 or 6 characters
 * past a multiple of 8), -ENOBUFS when the bytes do not fit in out_size. On error out and *ret_len are
 * untouched. */
int base32_decode(const char *in, uint8_t *out, size_t out_size, size_t *ret_len);
