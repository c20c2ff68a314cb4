/* The small request bodies of the account routes: a flat JSON object of strings (scripts, the UI) or an
 * application/x-www-form-urlencoded form (a plain HTML form). One reader for both. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define FORM_BODY_MAX 16384

/* The body is JSON (by its Content-Type) rather than a form. */
bool form_is_json(const char *content_type, size_t n);

/* Copies key's value, decoded and NUL-terminated, into out. Returns its length, -ENOENT when the key is
 * absent, -EINVAL when the body is malformed, not a flat object, or the value holds a NUL or is not a
 * string (JSON numbers and booleans are given as their text), -E2BIG when it does not fit in size. */
int form_get(const char *body, size_t n, bool json, const char *key, char *out, size_t size);
