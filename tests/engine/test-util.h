/* Shared helpers for the engine's unit tests: the byte buffer, packet builders and capture writers of
 * tests/pcapwrite/pcapwrite.h, assertions (tests/check.h), reading a buffer as a FILE, capturing what a writer
 * prints, a strict JSON checker with a dotted-path lookup, driving the engine. Header-only: each
 * test-<module>.c is one executable. */
#pragma once

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/analysis.h"

#include "../check.h"
#include "../pcapwrite/pcapwrite.h"

/* fmemopen over a copy that lives as long as the FILE (the copy is freed by tu_fclose) */
typedef struct tu_memfile {
        FILE *f;
        void *copy;
} tu_memfile_t;
static inline FILE *tu_fmemopen(tu_memfile_t *m, const void *data, size_t n) {
        m->copy = malloc(n ? n : 1);
        if (n)
                memcpy(m->copy, data, n);
        m->f = fmemopen(m->copy, n ? n : 1, "rb");
        if (m->f && n == 0) {
                /* fmemopen refuses size 0: read the single byte away so the stream is at EOF */
                fclose(m->f);
                m->f = fopen("/dev/null", "rb");
        }
        return m->f;
}
static inline void tu_fclose(tu_memfile_t *m) {
        if (m->f)
                fclose(m->f);
        free(m->copy);
        *m = (tu_memfile_t) { 0 };
}

/* ---- capturing what a writer prints ---- */

typedef struct tu_out {
        FILE *f;
        char *s;
        size_t n;
} tu_out_t;
static inline FILE *tu_out_open(tu_out_t *o) {
        *o = (tu_out_t) { 0 };
        o->f = open_memstream(&o->s, &o->n);
        return o->f;
}
static inline const char *tu_out_text(tu_out_t *o) {
        fflush(o->f);
        return o->s;
}
static inline void tu_out_close(tu_out_t *o) {
        if (o->f)
                fclose(o->f);
        free(o->s);
        *o = (tu_out_t) { 0 };
}

/* ---- a strict JSON checker (RFC 8259) with a dotted-path lookup ----
 * tu_json_check() returns NULL when s is one valid JSON text (nothing but whitespace after it), else a
 * message with the offset. tu_json_get() finds the value at a path like "tcp.rtt_ms.p50" ("findings.0.title"
 * for array elements) and returns a pointer to its first byte and its length. */

typedef struct tu_json_parser {
        const char *s, *end, *p;
        char err[128];
        const char *want;        /* path wanted, or NULL */
        char path[512];
        const char *found;
        size_t found_len;
        int depth;
} tu_json_parser_t;

static bool tu_jp_value(tu_json_parser_t *j);

static inline void tu_jp_ws(tu_json_parser_t *j) {
        while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
                j->p++;
}
static inline bool tu_jp_fail(tu_json_parser_t *j, const char *what) {
        if (!j->err[0])
                snprintf(j->err, sizeof j->err, "%s at offset %zu", what, (size_t) (j->p - j->s));
        return false;
}
static inline int tu_hex(char c) {
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}
/* Checks a string; with out != NULL, decodes it (UTF-8) into out (bounded). */
static bool tu_jp_string(tu_json_parser_t *j, char *out, size_t outlen) {
        size_t o = 0;
        if (j->p >= j->end || *j->p != '"')
                return tu_jp_fail(j, "expected a string");
        j->p++;
        while (j->p < j->end && *j->p != '"') {
                unsigned char c = (unsigned char) *j->p;
                if (c < 0x20)
                        return tu_jp_fail(j, "raw control character in a string");
                if (c == '\\') {
                        j->p++;
                        if (j->p >= j->end)
                                return tu_jp_fail(j, "cut escape");
                        char e = *j->p++;
                        if (out && o + 1 < outlen && e != 'u')
                                out[o++] = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e == 'b' ? '\b' : e == 'f' ? '\f' : e;
                        if (e == 'u') {
                                if (j->end - j->p < 4)
                                        return tu_jp_fail(j, "cut \\u escape");
                                for (int i = 0; i < 4; i++)
                                        if (tu_hex(j->p[i]) < 0)
                                                return tu_jp_fail(j, "bad \\u escape");
                                j->p += 4;
                        } else if (!strchr("\"\\/bfnrt", e))
                                return tu_jp_fail(j, "bad escape");
                        continue;
                }
                if (c >= 0x80) {
                        /* strict UTF-8 */
                        int len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
                        if (!len || j->end - j->p < len)
                                return tu_jp_fail(j, "invalid UTF-8 in a string");
                        uint32_t cp = c & (len == 2 ? 0x1f : len == 3 ? 0x0f : 0x07);
                        for (int i = 1; i < len; i++) {
                                unsigned char d = (unsigned char) j->p[i];
                                if ((d & 0xc0) != 0x80)
                                        return tu_jp_fail(j, "invalid UTF-8 in a string");
                                cp = cp << 6 | (d & 0x3f);
                        }
                        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
                            (cp >= 0xd800 && cp <= 0xdfff))
                                return tu_jp_fail(j, "overlong or surrogate UTF-8");
                        if (out)
                                for (int i = 0; i < len && o + 1 < outlen; i++)
                                        out[o++] = j->p[i];
                        j->p += len;
                        continue;
                }
                if (out && o + 1 < outlen)
                        out[o++] = (char) c;
                j->p++;
        }
        if (j->p >= j->end)
                return tu_jp_fail(j, "unterminated string");
        j->p++;
        if (out && outlen)
                out[o] = 0;
        return true;
}
static bool tu_jp_number(tu_json_parser_t *j) {
        const char *p = j->p;
        if (p < j->end && *p == '-')
                p++;
        if (p >= j->end)
                return tu_jp_fail(j, "bad number");
        if (*p == '0')
                p++;
        else if (*p >= '1' && *p <= '9')
                while (p < j->end && *p >= '0' && *p <= '9')
                        p++;
        else
                return tu_jp_fail(j, "bad number");
        if (p < j->end && *p == '.') {
                p++;
                if (p >= j->end || *p < '0' || *p > '9')
                        return tu_jp_fail(j, "bad fraction");
                while (p < j->end && *p >= '0' && *p <= '9')
                        p++;
        }
        if (p < j->end && (*p == 'e' || *p == 'E')) {
                p++;
                if (p < j->end && (*p == '+' || *p == '-'))
                        p++;
                if (p >= j->end || *p < '0' || *p > '9')
                        return tu_jp_fail(j, "bad exponent");
                while (p < j->end && *p >= '0' && *p <= '9')
                        p++;
        }
        j->p = p;
        return true;
}
static bool tu_jp_lit(tu_json_parser_t *j, const char *lit) {
        size_t l = strlen(lit);
        if ((size_t) (j->end - j->p) < l || memcmp(j->p, lit, l) != 0)
                return tu_jp_fail(j, "bad literal");
        j->p += l;
        return true;
}
static bool tu_jp_value(tu_json_parser_t *j) {
        tu_jp_ws(j);
        if (j->p >= j->end)
                return tu_jp_fail(j, "expected a value");
        if (++j->depth > 512)
                return tu_jp_fail(j, "too deep");
        const char *start = j->p;
        bool ok;
        size_t plen = strlen(j->path);
        char c = *j->p;
        if (c == '{' || c == '[') {
                bool obj = c == '{';
                j->p++;
                tu_jp_ws(j);
                unsigned idx = 0;
                if (j->p < j->end && *j->p == (obj ? '}' : ']')) {
                        j->p++;
                        ok = true;
                } else {
                        ok = false;
                        for (;;) {
                                char key[256];
                                if (obj) {
                                        tu_jp_ws(j);
                                        if (!tu_jp_string(j, key, sizeof key))
                                                break;
                                        tu_jp_ws(j);
                                        if (j->p >= j->end || *j->p != ':') {
                                                tu_jp_fail(j, "expected ':'");
                                                break;
                                        }
                                        j->p++;
                                } else
                                        snprintf(key, sizeof key, "%u", idx);
                                idx++;
                                snprintf(j->path + plen, sizeof j->path - plen, "%s%s", plen ? "." : "", key);
                                bool v = tu_jp_value(j);
                                j->path[plen] = 0;
                                if (!v)
                                        break;
                                tu_jp_ws(j);
                                if (j->p < j->end && *j->p == ',') {
                                        j->p++;
                                        continue;
                                }
                                if (j->p < j->end && *j->p == (obj ? '}' : ']')) {
                                        j->p++;
                                        ok = true;
                                } else
                                        tu_jp_fail(j, obj ? "expected ',' or '}'" : "expected ',' or ']'");
                                break;
                        }
                }
        } else if (c == '"')
                ok = tu_jp_string(j, NULL, 0);
        else if (c == 't')
                ok = tu_jp_lit(j, "true");
        else if (c == 'f')
                ok = tu_jp_lit(j, "false");
        else if (c == 'n')
                ok = tu_jp_lit(j, "null");
        else
                ok = tu_jp_number(j);
        j->depth--;
        if (ok && j->want && !j->found && strcmp(j->path, j->want) == 0) {
                j->found = start;
                j->found_len = (size_t) (j->p - start);
        }
        return ok;
}
static inline const char *tu_json_check_n(const char *s, size_t n, char *errbuf, size_t errlen) {
        tu_json_parser_t j = { .s = s, .end = s + n, .p = s };
        bool ok = tu_jp_value(&j);
        tu_jp_ws(&j);
        if (ok && j.p != j.end)
                ok = tu_jp_fail(&j, "trailing bytes after the JSON text");
        if (ok)
                return NULL;
        snprintf(errbuf, errlen, "%s", j.err);
        return errbuf;
}
static inline const char *tu_json_check(const char *s, char *errbuf, size_t errlen) {
        return tu_json_check_n(s, strlen(s), errbuf, errlen);
}
/* The raw text of the value at path (bounded copy into out), or NULL when absent or s is invalid. */
static inline const char *tu_json_get(const char *s, const char *path, char *out, size_t outlen) {
        tu_json_parser_t j = { .s = s, .end = s + strlen(s), .p = s, .want = path };
        if (!tu_jp_value(&j) || !j.found)
                return NULL;
        size_t l = j.found_len < outlen - 1 ? j.found_len : outlen - 1;
        memcpy(out, j.found, l);
        out[l] = 0;
        return out;
}
static inline double tu_json_num(const char *s, const char *path) {
        char buf[128];
        if (!tu_json_get(s, path, buf, sizeof buf))
                return -1e300;
        return strtod(buf, NULL);
}

/* ---- driving the engine ---- */

static inline analysis_t *tu_analysis(uint32_t max_flows) {
        analysis_limits_t lim;
        analysis_limits_default(&lim);
        if (max_flows)
                lim.max_flows = max_flows;
        analysis_t *a = NULL;
        if (analysis_new(&lim, &a) < 0 || !a) {
                fprintf(stderr, "analysis_new failed\n");
                abort();
        }
        return a;
}
/* feeds an Ethernet frame; ts in microseconds */
static inline void tu_feed(analysis_t *a, int64_t ts_us, const tu_buf_t *t) {
        analysis_feed_packet(a, 1 /* DLT_EN10MB */, ts_us * 1000, (uint32_t) t->n, (uint32_t) t->n, t->b);
}
/* the JSON report as a malloc'd string, checked to parse */
static inline char *tu_report(analysis_t *a) {
        tu_out_t o;
        tu_out_open(&o);
        int r = analysis_write_json(a, o.f);
        if (r < 0)
                TU_FAIL("analysis_write_json: %d", r);
        char *s = strdup(tu_out_text(&o));
        tu_out_close(&o);
        char err[160];
        const char *e = tu_json_check(s, err, sizeof err);
        if (e)
                TU_FAIL("the JSON report does not parse: %s", e);
        return s;
}

/* ---- process memory ---- */

static inline long tu_rss_kb(void) {
        FILE *f = fopen("/proc/self/status", "r");
        if (!f)
                return -1;
        char line[256];
        long kb = -1;
        while (fgets(line, sizeof line, f))
                if (strncmp(line, "VmRSS:", 6) == 0) {
                        kb = strtol(line + 6, NULL, 10);
                        break;
                }
        fclose(f);
        return kb;
}

#if defined(__SANITIZE_ADDRESS__)
#define TU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TU_ASAN 1
#endif
#endif
#ifndef TU_ASAN
#define TU_ASAN 0
#endif
