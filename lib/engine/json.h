/* A streaming JSON writer: always valid output, strings escaped, invalid UTF-8 replaced by U+FFFD. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_DEPTH_MAX 32

typedef struct json {
        FILE *f;
        int depth;
        bool first[JSON_DEPTH_MAX];
        bool pretty;
        size_t n;                /* bytes in buf not yet written to f */
        char buf[65536];
} json_t;

void json_init(json_t *j, FILE *f, bool pretty);
/* key is NULL inside arrays. */
void json_object_begin(json_t *j, const char *key);
void json_object_end(json_t *j);
void json_array_begin(json_t *j, const char *key);
void json_array_end(json_t *j);
void json_u64(json_t *j, const char *key, uint64_t v);
void json_i64(json_t *j, const char *key, int64_t v);
void json_double(json_t *j, const char *key, double v, int decimals); /* NaN/inf become null */
void json_bool(json_t *j, const char *key, bool v);
void json_null(json_t *j, const char *key);
void json_str(json_t *j, const char *key, const char *s);
void json_strn(json_t *j, const char *key, const char *s, size_t n);
/* Timestamp in ns as a JSON number of seconds written with all 9 decimals (exact text, no float rounding). */
void json_ts(json_t *j, const char *key, int64_t ns);
/* A duration in ns as milliseconds with 3 decimals. */
void json_ms(json_t *j, const char *key, int64_t ns);

/* Writes what is buffered to the FILE (also done by the closing json_object_end of the top level). */
void json_flush(json_t *j);
