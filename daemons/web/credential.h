/* The credentials in a request's headers, read as plain bytes (no h2o): a cookie's value in a Cookie
 * header, the token of an "Authorization: Bearer" header. Pure functions; the fuzz target fuzz-auth
 * runs them with the form reader. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The value of cookie name in one Cookie header value ("a=1; b=2"): true and *ret, *ret_len pointing into
 * hdr, or false. The first occurrence wins. */
bool credential_cookie(const char *hdr, size_t n, const char *name, const char **ret, size_t *ret_len);
/* The token of "Bearer TOKEN" (scheme in any case, spaces after it skipped): true and a pointer into hdr. */
bool credential_bearer(const char *hdr, size_t n, const char **ret, size_t *ret_len);
/* s holds only the URL-safe base64 alphabet (A-Z a-z 0-9 - _) that session ids and tokens use. */
bool credential_chars_ok(const char *s, size_t n);
