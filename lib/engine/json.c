/* Streaming JSON writer (RFC 8259). Strings are checked as UTF-8; bad bytes become U+FFFD so the output is
 * always valid JSON whatever a capture holds. */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "json.h"
#include "util/jsonesc.h"

void json_init(json_t *j, FILE *f, bool pretty) {
        j->f = f;
        j->sink = NULL;
        j->userdata = NULL;
        j->pretty = pretty;
        j->depth = 0;
        j->n = 0;
        j->first[0] = true;
}

void json_init_sink(json_t *j, const json_sink_t *sink, void *userdata) {
        json_init(j, NULL, false);
        j->sink = sink;
        j->userdata = userdata;
}

void json_flush(json_t *j) {
        if (j->n && j->f)
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

/* v's digits at the end of b[24]; returns where they start */
static char *fmt_u64(char b[static 24], uint64_t v) {
        int i = 24;
        do {
                b[--i] = (char) ('0' + v % 10);
                v /= 10;
        } while (v);
        return b + i;
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

/* a member that is not a string, as its JSON text */
static void json_scalar(json_t *j, const char *key, json_type_t type, const char *text, size_t n) {
        if (j->sink) {
                j->sink->value(j->userdata, key, type, type == JSON_NULL ? "" : text, type == JSON_NULL ? 0 : n);
                return;
        }
        json_sep(j, key);
        put(j, text, n);
}

static void json_open(json_t *j, const char *key, char c) {
        if (j->sink) {
                j->sink->open(j->userdata, key, c == '[');
                return;
        }
        json_sep(j, key);
        putch(j, c);
        if (j->depth + 1 < JSON_DEPTH_MAX)
                j->depth++;
        j->first[j->depth] = true;
}

static void json_close(json_t *j, char c) {
        if (j->sink) {
                j->sink->close(j->userdata);
                return;
        }
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
        char b[24], *p = fmt_u64(b, v);
        json_scalar(j, key, JSON_NUMBER, p, (size_t) (b + sizeof b - p));
}

void json_i64(json_t *j, const char *key, int64_t v) {
        char b[24], *p = fmt_u64(b, v < 0 ? (uint64_t) 0 - (uint64_t) v : (uint64_t) v);
        if (v < 0)
                *--p = '-';
        json_scalar(j, key, JSON_NUMBER, p, (size_t) (b + sizeof b - p));
}

/* "%.*f" of a positive v without printf (whose exact decimal expansion costs ~1,800 instructions a number,
 * and the reports write thousands): n = v x 10^decimals rounded, when the product is far enough from a
 * halfway point that its rounding error (at most 2^-53 relative) cannot move it across. Returns false for
 * what it does not decide (negatives, large values, near ties): printf writes those. */
static bool fixed_fast(double v, int decimals, char *buf, size_t len) {
        static const double p10[10] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9 };
        if (!(v > 0) || decimals < 1 || decimals > 9 || len < 32)
                return false;
        double x = v * p10[decimals];
        if (!(x < 4e15))
                return false;
        double fl = floor(x), frac = x - fl;
        if (fabs(frac - 0.5) <= x * 0x1p-50 + 0x1p-60)
                return false;
        uint64_t n = (uint64_t) fl + (frac > 0.5), scale = (uint64_t) p10[decimals];
        char b[24], *ip = fmt_u64(b, n / scale);
        size_t il = (size_t) (b + sizeof b - ip);
        memcpy(buf, ip, il);
        buf[il] = '.';
        uint64_t f = n % scale;
        for (int i = decimals; i > 0; i--, f /= 10)
                buf[il + (size_t) i] = (char) ('0' + f % 10);
        buf[il + 1 + (size_t) decimals] = 0;
        return true;
}

void json_double(json_t *j, const char *key, double v, int decimals) {
        if (!isfinite(v)) {
                json_null(j, key);
                return;
        }
        if (v > -9e15 && v < 9e15 && v == (double) (int64_t) v) {
                json_i64(j, key, (int64_t) v);
                return;
        }
        char buf[400];
        if (v >= 1e17 || v <= -1e17)
                snprintf(buf, sizeof buf, "%.17g", v); /* %f would print every integer digit */
        else if (!fixed_fast(v, decimals, buf, sizeof buf))
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
        json_scalar(j, key, JSON_NUMBER, buf, strlen(buf));
}

void json_bool(json_t *j, const char *key, bool v) {
        json_scalar(j, key, JSON_BOOL, v ? "true" : "false", v ? 4 : 5);
}

void json_null(json_t *j, const char *key) {
        json_scalar(j, key, JSON_NULL, "null", 4);
}

void json_strn(json_t *j, const char *key, const char *s, size_t n) {
        if (j->sink) {
                j->sink->value(j->userdata, key, JSON_STRING, s, n);
                return;
        }
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
        /* sign apart: -1 ns is -0.000000001, not -1 + 0.999999999 */
        uint64_t m = ns < 0 ? (uint64_t) 0 - (uint64_t) ns : (uint64_t) ns, frac = m % 1000000000;
        /* "[-]S.FFFFFFFFF" built from the end (as printf's "%s%llu.%09llu" writes it, without printf) */
        char b[48];
        char *p = b + sizeof b;
        for (int i = 0; i < 9; i++, frac /= 10)
                *--p = (char) ('0' + frac % 10);
        *--p = '.';
        char s[24], *d = fmt_u64(s, m / 1000000000);
        size_t n = (size_t) (s + sizeof s - d);
        p -= n;
        memcpy(p, d, n);
        if (ns < 0)
                *--p = '-';
        json_scalar(j, key, JSON_NUMBER, p, (size_t) (b + sizeof b - p));
}

void json_ms(json_t *j, const char *key, int64_t ns) {
        json_double(j, key, (double) ns / 1e6, 3);
}
