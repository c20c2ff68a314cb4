/* Streaming JSON writer (RFC 8259). Strings are checked as UTF-8; bad bytes become U+FFFD so the output is
 * always valid JSON whatever a capture holds. */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "json.h"

void json_init(json_t *j, FILE *f, bool pretty) {
        *j = (json_t) { .f = f, .pretty = pretty };
        j->first[0] = true;
}

static void json_sep(json_t *j, const char *key) {
        if (!j->first[j->depth])
                fputc(',', j->f);
        j->first[j->depth] = false;
        if (j->pretty) {
                fputc('\n', j->f);
                for (int i = 0; i < j->depth; i++)
                        fputs("  ", j->f);
        }
        if (key) {
                fputc('"', j->f);
                json_escape(j->f, key, strlen(key), false);
                fputs(j->pretty ? "\": " : "\":", j->f);
        }
}

static void json_open(json_t *j, const char *key, char c) {
        json_sep(j, key);
        fputc(c, j->f);
        if (j->depth + 1 < JSON_DEPTH_MAX)
                j->depth++;
        j->first[j->depth] = true;
}

static void json_close(json_t *j, char c) {
        bool empty = j->first[j->depth];
        if (j->depth > 0)
                j->depth--;
        if (j->pretty && !empty) {
                fputc('\n', j->f);
                for (int i = 0; i < j->depth; i++)
                        fputs("  ", j->f);
        }
        fputc(c, j->f);
        if (j->depth == 0 && j->pretty)
                fputc('\n', j->f);
}

void json_object_begin(json_t *j, const char *key) { json_open(j, key, '{'); }
void json_object_end(json_t *j) { json_close(j, '}'); }
void json_array_begin(json_t *j, const char *key) { json_open(j, key, '['); }
void json_array_end(json_t *j) { json_close(j, ']'); }

void json_u64(json_t *j, const char *key, uint64_t v) {
        json_sep(j, key);
        fprintf(j->f, "%" PRIu64, v);
}

void json_i64(json_t *j, const char *key, int64_t v) {
        json_sep(j, key);
        fprintf(j->f, "%" PRId64, v);
}

void json_double(json_t *j, const char *key, double v, int decimals) {
        json_sep(j, key);
        if (!isfinite(v)) {
                fputs("null", j->f);
                return;
        }
        char buf[64];
        snprintf(buf, sizeof buf, "%.*f", decimals, v);
        /* trim trailing zeros for compactness, keep at least one digit after the point */
        char *dot = strchr(buf, '.');
        if (dot) {
                char *e = buf + strlen(buf) - 1;
                while (e > dot + 1 && *e == '0')
                        *e-- = 0;
                if (e == dot + 1 && *e == '0')
                        *dot = 0;
        }
        if (strcmp(buf, "-0") == 0)
                strcpy(buf, "0");
        fputs(buf, j->f);
}

void json_bool(json_t *j, const char *key, bool v) {
        json_sep(j, key);
        fputs(v ? "true" : "false", j->f);
}

void json_null(json_t *j, const char *key) {
        json_sep(j, key);
        fputs("null", j->f);
}

/* Length of a valid UTF-8 sequence at s (n bytes left), 0 if invalid (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF). */
static size_t utf8_valid_len(const unsigned char *s, size_t n) {
        unsigned char c = s[0];
        if (c < 0x80)
                return 1;
        size_t len;
        uint32_t cp;
        if (c >= 0xc2 && c <= 0xdf) {
                len = 2;
                cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
                len = 3;
                cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
                len = 4;
                cp = c & 0x07;
        } else
                return 0;
        if (n < len)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = cp << 6 | (s[i] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return len;
}

void json_escape(FILE *f, const char *str, size_t n, bool html_safe) {
        const unsigned char *s = (const unsigned char *) str;
        for (size_t i = 0; i < n;) {
                unsigned char c = s[i];
                if (c == '"' || c == '\\') {
                        fputc('\\', f);
                        fputc(c, f);
                        i++;
                } else if (c < 0x20 || c == 0x7f) {
                        switch (c) {
                        case '\n': fputs("\\n", f); break;
                        case '\r': fputs("\\r", f); break;
                        case '\t': fputs("\\t", f); break;
                        default: fprintf(f, "\\u%04x", c); break;
                        }
                        i++;
                } else if (html_safe && (c == '<' || c == '>' || c == '&' || c == '\'')) {
                        fprintf(f, "\\u%04x", c);
                        i++;
                } else {
                        size_t l = utf8_valid_len(s + i, n - i);
                        if (l == 0) {
                                fputs("\\ufffd", f);
                                i++;
                        } else if (l == 3 && s[i] == 0xe2 && s[i + 1] == 0x80 && (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
                                fprintf(f, "\\u%04x", s[i + 2] == 0xa8 ? 0x2028 : 0x2029); /* JS line separators */
                                i += 3;
                        } else {
                                fwrite(s + i, 1, l, f);
                                i += l;
                        }
                }
        }
}

void json_strn(json_t *j, const char *key, const char *s, size_t n) {
        json_sep(j, key);
        fputc('"', j->f);
        json_escape(j->f, s, n, false);
        fputc('"', j->f);
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
        int64_t sec = ns / 1000000000, frac = ns % 1000000000;
        if (frac < 0) {
                frac += 1000000000;
                sec--;
        }
        fprintf(j->f, "%" PRId64 ".%09" PRId64, sec, frac);
}

void json_ms(json_t *j, const char *key, int64_t ns) {
        json_double(j, key, (double) ns / 1e6, 3);
}
