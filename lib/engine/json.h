/* A streaming JSON writer: always valid output, strings escaped, invalid UTF-8 replaced by U+FFFD. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_DEPTH_MAX 32

/* Instead of text, a writer can hand its members to a sink (report-csv.c makes tables of them): the same calls,
 * the same number text. key is NULL inside arrays. value() gets for numbers and booleans their JSON text
 * ("true", "false"), for a null "", for a string its bytes as they are (not escaped, not checked). */
typedef enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING } json_type_t;
typedef struct json_sink {
        void (*open)(void *userdata, const char *key, bool array);
        void (*close)(void *userdata);
        void (*value)(void *userdata, const char *key, json_type_t type, const char *text, size_t n);
} json_sink_t;

typedef struct json {
        FILE *f;
        const json_sink_t *sink; /* set by json_init_sink(): nothing is written to f */
        void *userdata;
        int depth;
        bool first[JSON_DEPTH_MAX];
        bool pretty;
        size_t n;                /* bytes in buf not yet written to f */
        char buf[65536];
} json_t;

void json_init(json_t *j, FILE *f, bool pretty);
void json_init_sink(json_t *j, const json_sink_t *sink, void *userdata);
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
