/* Streaming JSON writer (RFC 8259). Strings are checked as UTF-8; bad bytes become U+FFFD so the output is
 * always valid JSON whatever a capture holds. */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "json.h"
#include "util/jsonesc.h"

void json_init(json_t *j, FILE *f, bool pretty) {
        j->f = f;
        j->pretty = pretty;
        j->depth = 0;
        j->n = 0;
        j->first[0] = true;
}

void json_flush(json_t *j) {
        if (j->n)
                fwrite(j->buf, 1, j->n, j->f);
        j->n = 0;
}

static inline void put(json_t *j, const char *s, size_t n) {
        if (j->n + n > sizeof j->buf) {
                json_flush(j);
                if (n > sizeof j->buf) {
                        fwrite(s, 1, n, j->f);
                        return;
                }
        }
        memcpy(j->buf + j->n, s, n);
        j->n += n;
}

/* the project's one escaper (util/jsonesc.h) writes through this */
static void json_put(void *ctx, const char *p, size_t n) {
        put(ctx, p, n);
}

static inline void putch(json_t *j, char c) {
        if (j->n == sizeof j->buf)
                json_flush(j);
        j->buf[j->n++] = c;
}

static inline void puts_(json_t *j, const char *s) {
        put(j, s, strlen(s));
}

static void put_u64(json_t *j, uint64_t v) {
        char b[24];
        int i = sizeof b;
        do {
                b[--i] = (char) ('0' + v % 10);
                v /= 10;
        } while (v);
        put(j, b + i, sizeof b - (size_t) i);
}


static void json_sep(json_t *j, const char *key) {
        static const char spaces[] = "                                                                ";
        if (!j->first[j->depth])
                putch(j, ',');
        j->first[j->depth] = false;
        if (j->pretty) {
                putch(j, '\n');
                put(j, spaces, (size_t) (2 * j->depth) < sizeof spaces - 1 ? (size_t) (2 * j->depth) : sizeof spaces - 1);
        }
        if (key) {
                putch(j, '"');
                json_escape(key, strlen(key), json_put, j);
                puts_(j, j->pretty ? "\": " : "\":");
        }
}

static void json_open(json_t *j, const char *key, char c) {
        json_sep(j, key);
        putch(j, c);
        if (j->depth + 1 < JSON_DEPTH_MAX)
                j->depth++;
        j->first[j->depth] = true;
}

static void json_close(json_t *j, char c) {
        bool empty = j->first[j->depth];
        if (j->depth > 0)
                j->depth--;
        if (j->pretty && !empty) {
                putch(j, '\n');
                for (int i = 0; i < j->depth; i++)
                        put(j, "  ", 2);
        }
        putch(j, c);
        if (j->depth == 0) {
                if (j->pretty)
                        putch(j, '\n');
                json_flush(j);
        }
}

void json_object_begin(json_t *j, const char *key) { json_open(j, key, '{'); }
void json_object_end(json_t *j) { json_close(j, '}'); }
void json_array_begin(json_t *j, const char *key) { json_open(j, key, '['); }
void json_array_end(json_t *j) { json_close(j, ']'); }

void json_u64(json_t *j, const char *key, uint64_t v) {
        json_sep(j, key);
        put_u64(j, v);
}

void json_i64(json_t *j, const char *key, int64_t v) {
        json_sep(j, key);
        if (v < 0) {
                putch(j, '-');
                put_u64(j, (uint64_t) 0 - (uint64_t) v);
        } else
                put_u64(j, (uint64_t) v);
}

void json_double(json_t *j, const char *key, double v, int decimals) {
        json_sep(j, key);
        if (!isfinite(v)) {
                puts_(j, "null");
                return;
        }
        if (v > -9e15 && v < 9e15 && v == (double) (int64_t) v) {
                int64_t iv = (int64_t) v;
                if (iv < 0) {
                        putch(j, '-');
                        put_u64(j, (uint64_t) -iv);
                } else
                        put_u64(j, (uint64_t) iv);
                return;
        }
        char buf[400];
        if (v >= 1e17 || v <= -1e17)
                snprintf(buf, sizeof buf, "%.17g", v); /* %f would print every integer digit */
        else
                snprintf(buf, sizeof buf, "%.*f", decimals, v);
        /* trim trailing zeros for compactness, keep at least one digit after the point */
        char *dot = strchr(buf, '.');
        if (dot && !strchr(buf, 'e')) {
                char *e = buf + strlen(buf) - 1;
                while (e > dot + 1 && *e == '0')
                        *e-- = 0;
                if (e == dot + 1 && *e == '0')
                        *dot = 0;
        }
        if (strcmp(buf, "-0") == 0)
                strcpy(buf, "0");
        puts_(j, buf);
}

void json_bool(json_t *j, const char *key, bool v) {
        json_sep(j, key);
        puts_(j, v ? "true" : "false");
}

void json_null(json_t *j, const char *key) {
        json_sep(j, key);
        puts_(j, "null");
}

void json_strn(json_t *j, const char *key, const char *s, size_t n) {
        json_sep(j, key);
        putch(j, '"');
        json_escape(s, n, json_put, j);
        putch(j, '"');
}

void json_str(json_t *j, const char *key, const char *s) {
        if (!s) {
                json_null(j, key);
                return;
        }
        json_strn(j, key, s, strlen(s));
}

void json_ts(json_t *j, const char *key, int64_t ns) {
        json_sep(j, key);
        /* sign apart: -1 ns is -0.000000001, not -1 + 0.999999999 */
        uint64_t m = ns < 0 ? (uint64_t) 0 - (uint64_t) ns : (uint64_t) ns;
        char b[48];
        int l = snprintf(b, sizeof b, "%s%" PRIu64 ".%09" PRIu64, ns < 0 ? "-" : "", m / 1000000000, m % 1000000000);
        put(j, b, (size_t) l);
}

void json_ms(json_t *j, const char *key, int64_t ns) {
        json_double(j, key, (double) ns / 1e6, 3);
}
