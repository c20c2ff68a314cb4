/* A growable text buffer with JSON helpers for the API's small responses and SSE events. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/macro.h"

typedef struct json {
        char *buf;
        size_t len, alloc;
        bool oom;
        bool need_comma;
} json_t;

void json_free(json_t *j);
void json_raw(json_t *j, const char *s, size_t len);
void json_printf(json_t *j, const char *fmt, ...) _printf_(2, 3);
void json_string(json_t *j, const char *s, size_t len); /* quoted and escaped */
void json_begin(json_t *j, char c);                      /* '{' or '[' */
void json_end(json_t *j, char c);
void json_key(json_t *j, const char *key);               /* "key": with a comma when needed */
void json_kv_str(json_t *j, const char *key, const char *v);
void json_kv_u64(json_t *j, const char *key, uint64_t v);
void json_kv_i64(json_t *j, const char *key, int64_t v);
void json_kv_double(json_t *j, const char *key, double v);
void json_kv_bool(json_t *j, const char *key, bool v);
void json_kv_null(json_t *j, const char *key);
/* ISO 8601 UTC with milliseconds, or null when ms == 0. */
void json_kv_time(json_t *j, const char *key, int64_t ms);
void json_element(json_t *j); /* comma before the next array element when needed */
