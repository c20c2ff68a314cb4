/* JSON text building: escaping, numbers, timestamps; allocation failure is sticky and checked once. */
#include "json.h"
#include "util/jsonesc.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void json_free(json_t *j) {
        free(j->buf);
        *j = (json_t) {};
}

static bool grow(json_t *j, size_t extra) {
        if (j->oom)
                return false;
        if (j->len + extra + 1 <= j->alloc)
                return true;
        size_t n = MAX(j->alloc * 2, j->len + extra + 256);
        char *b = realloc(j->buf, n);
        if (!b) {
                j->oom = true;
                return false;
        }
        j->buf = b;
        j->alloc = n;
        return true;
}

void json_raw(json_t *j, const char *s, size_t len) {
        if (!grow(j, len))
                return;
        memcpy(j->buf + j->len, s, len);
        j->len += len;
        j->buf[j->len] = 0;
}

void json_printf(json_t *j, const char *fmt, ...) {
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0 || !grow(j, (size_t) n))
                return;
        va_start(ap, fmt);
        vsnprintf(j->buf + j->len, (size_t) n + 1, fmt, ap);
        va_end(ap);
        j->len += (size_t) n;
}

static void json_put(void *ctx, const char *p, size_t n) {
        json_raw(ctx, p, n);
}

void json_string(json_t *j, const char *s, size_t len) {
        /* the project's one escaper: invalid UTF-8 (a file name with byte 0xff) still makes valid JSON */
        json_raw(j, "\"", 1);
        json_escape(s, len, json_put, j);
        json_raw(j, "\"", 1);
}

void json_begin(json_t *j, char c) {
        json_raw(j, &c, 1);
        j->need_comma = false;
}

void json_end(json_t *j, char c) {
        json_raw(j, &c, 1);
        j->need_comma = true;
}

void json_element(json_t *j) {
        if (j->need_comma)
                json_raw(j, ",", 1);
        j->need_comma = true;
}

void json_key(json_t *j, const char *key) {
        json_element(j);
        json_string(j, key, strlen(key));
        json_raw(j, ":", 1);
        j->need_comma = false;
}

void json_kv_str(json_t *j, const char *key, const char *v) {
        json_key(j, key);
        if (v)
                json_string(j, v, strlen(v));
        else
                json_raw(j, "null", 4);
        j->need_comma = true;
}

void json_kv_u64(json_t *j, const char *key, uint64_t v) {
        json_key(j, key);
        json_printf(j, "%llu", (unsigned long long) v);
        j->need_comma = true;
}

void json_kv_i64(json_t *j, const char *key, int64_t v) {
        json_key(j, key);
        json_printf(j, "%lld", (long long) v);
        j->need_comma = true;
}

void json_kv_double(json_t *j, const char *key, double v) {
        json_key(j, key);
        if (isfinite(v))
                json_printf(j, "%.1f", v);
        else
                json_raw(j, "null", 4);
        j->need_comma = true;
}

void json_kv_bool(json_t *j, const char *key, bool v) {
        json_key(j, key);
        json_raw(j, v ? "true" : "false", v ? 4 : 5);
        j->need_comma = true;
}

void json_kv_null(json_t *j, const char *key) {
        json_key(j, key);
        json_raw(j, "null", 4);
        j->need_comma = true;
}

void json_kv_time(json_t *j, const char *key, int64_t ms) {
        struct tm tm;
        time_t t;
        char b[40];

        if (ms <= 0) {
                json_kv_null(j, key);
                return;
        }
        t = (time_t) (ms / 1000);
        gmtime_r(&t, &tm);
        strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm);
        json_key(j, key);
        json_printf(j, "\"%s.%03dZ\"", b, (int) (ms % 1000));
        j->need_comma = true;
}
