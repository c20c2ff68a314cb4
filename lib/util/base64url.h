/* Base64 with the URL and file name safe alphabet (RFC 4648 section 5: A-Z a-z 0-9 - _), without padding: the
 * project's one base64 encoder, for tokens and session ids that go into URLs, cookies and headers as they are. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Characters base64url_encode() writes for n bytes (without the NUL). */
#define BASE64URL_ENCODED_LEN(n) (((n) * 4 + 2) / 3)

/* The n bytes at in, and a NUL, into out. 0, or -ENOBUFS when out_size is below BASE64URL_ENCODED_LEN(n) + 1
 * (out untouched). */
int base64url_encode(const uint8_t *in, size_t n, char *out, size_t out_size);
