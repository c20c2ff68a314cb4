/* The project's one JSON string escaper and UTF-8 validator (the engine's report writer, the web daemon's
 * answers and the structured log all use it): the output is always valid JSON text, whatever the bytes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 when invalid (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). */
size_t utf8_valid_len(const unsigned char *s, size_t n);
/* Whether the string s is valid UTF-8 throughout. */
bool utf8_is_valid(const char *s);
/* A copy of s (free() it) with each byte that starts no valid sequence replaced by U+FFFD, as json_escape
 * shows it; NULL when out of memory. */
char *utf8_make_valid(const char *s);
/* The length of the longest prefix of s's first n bytes that ends on a character boundary (a string cut at
 * n bytes loses its last, partial character instead of ending in one). */
size_t utf8_cut(const char *s, size_t n);

/* The bytes of s (n of them) as the inside of a JSON string, handed to put in pieces: " and \ escaped,
 * control characters as \n \r \t or \u00XX, U+2028 and U+2029 as escapes (JavaScript line ends), invalid
 * UTF-8 as \ufffd, everything else as it is. */
typedef void (*json_put_fn)(void *ctx, const char *p, size_t n);
void json_escape(const char *s, size_t n, json_put_fn put, void *ctx);
