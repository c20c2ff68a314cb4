/* Unit tests of lib/engine/json.c (through json_strn: the escaper is private): escaping, invalid UTF-8 -> \ufffd, U+2028/2029, control characters,
 * nesting, numbers, timestamps, and that whatever goes in, the output parses as JSON (RFC 8259). */
#include <float.h>
#include <math.h>

#include "engine/json.h"
#include "test-util.h"

/* The text the writer makes of one value inside an array ("[...]"), written by write(j, arg); a C string the
 * caller frees. The one "write one value and read it back" of this file. */
typedef struct one_value {
        const char *s;
        size_t n;
        int64_t ns;
        bool ms;
        double v;
        int decimals;
} one_value_t;

static char *one_value_text(void (*write)(json_t *j, const one_value_t *arg), const one_value_t *arg) {
        tu_out_t o;
        tu_out_open(&o);
        json_t *j = malloc(sizeof *j);
        json_init(j, o.f, false);
        json_array_begin(j, NULL);
        write(j, arg);
        json_array_end(j);
        json_flush(j);
        free(j);
        char *r = strdup(tu_out_text(&o));
        tu_out_close(&o);
        return r;
}

static void write_strn(json_t *j, const one_value_t *a) {
        json_strn(j, NULL, a->s, a->n);
}

/* the body of the JSON string json_strn() writes for n bytes (without the quotes), as a C string */
static char *esc(const char *s, size_t n) {
        char *t = one_value_text(write_strn, &(one_value_t) { .s = s, .n = n });
        size_t l = strlen(t);
        if (l >= 4 && t[0] == '[' && t[1] == '"' && t[l - 1] == ']' && t[l - 2] == '"') {
                memmove(t, t + 2, l - 4);
                t[l - 4] = 0;
        }
        return t;
}

#define CHECK_ESC(in, n, expected)                                                                           \
        do {                                                                                                       \
                char *_r = esc(in, n);                                                                       \
                CHECK_STR(_r, expected);                                                                           \
                free(_r);                                                                                          \
        } while (0)

static void test_escape(void) {
        CHECK_ESC("plain", 5, "plain");
        CHECK_ESC("a\"b\\c", 5, "a\\\"b\\\\c");
        CHECK_ESC("\n\r\t", 3, "\\n\\r\\t");
        CHECK_ESC("\x01\x1f\x7f", 3, "\\u0001\\u001f\\u007f");
        CHECK_ESC("a\0b", 3, "a\\u0000b"); /* a NUL inside is data, not the end */
        CHECK_ESC("/", 1, "/");
        /* every control character is escaped */
        for (int c = 0; c < 0x20; c++) {
                char in[1] = { (char) c };
                char *r = esc(in, 1);
                CHECK_MSG(r[0] == '\\' && strlen(r) >= 2, "control 0x%02x -> \"%s\"", c, r);
                free(r);
        }
        CHECK_ESC("<b>", 3, "<b>");
        /* keys are escaped the same way */
        tu_out_t o;
        tu_out_open(&o);
        json_t *j = malloc(sizeof *j);
        json_init(j, o.f, false);
        json_object_begin(j, NULL);
        json_u64(j, "k\"\n\xff", 1);
        json_object_end(j);
        json_flush(j);
        free(j);
        CHECK_STR(tu_out_text(&o), "{\"k\\\"\\n\\ufffd\":1}");
        tu_out_close(&o);
}

static void test_utf8(void) {
        CHECK_ESC("h\xc3\xa9llo", 6, "h\xc3\xa9llo");            /* é kept */
        CHECK_ESC("\xe2\x82\xac", 3, "\xe2\x82\xac");            /* € kept */
        CHECK_ESC("\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80");    /* 😀 kept */
        CHECK_ESC("\xff", 1, "\\ufffd");
        CHECK_ESC("a\x80z", 3, "a\\ufffdz");                     /* lone continuation */
        CHECK_ESC("\xc0\xaf", 2, "\\ufffd\\ufffd");              /* overlong '/' */
        CHECK_ESC("\xe0\x80\xaf", 3, "\\ufffd\\ufffd\\ufffd");   /* overlong */
        CHECK_ESC("\xed\xa0\x80", 3, "\\ufffd\\ufffd\\ufffd");   /* surrogate D800 */
        CHECK_ESC("\xf4\x90\x80\x80", 4, "\\ufffd\\ufffd\\ufffd\\ufffd"); /* above U+10FFFF */
        CHECK_ESC("\xc3", 1, "\\ufffd");                         /* cut sequence at the end */
        CHECK_ESC("\xe2\x82", 2, "\\ufffd\\ufffd");
        CHECK_ESC("\xe2\x82z", 3, "\\ufffd\\ufffdz");
        /* U+2028 and U+2029 are valid JSON but break JavaScript string literals */
        CHECK_ESC("a\xe2\x80\xa8" "b\xe2\x80\xa9", 8, "a\\u2028b\\u2029");
        CHECK_ESC("\xe2\x80\xa7", 3, "\xe2\x80\xa7");            /* U+2027 is fine */
}

/* all 256 single bytes and many random strings: the output is always a valid JSON string */
static void test_any_bytes_parse(void) {
        uint64_t x = 0x9e3779b97f4a7c15ULL;
        char errbuf[160];
        for (int round = 0; round < 20000; round++) {
                char in[24];
                size_t n = round < 256 ? 1 : (size_t) (round % 23) + 1;
                if (round < 256)
                        in[0] = (char) round;
                else
                        for (size_t i = 0; i < n; i++) {
                                x ^= x << 13;
                                x ^= x >> 7;
                                x ^= x << 17;
                                /* bias towards interesting bytes */
                                uint8_t b = (uint8_t) x;
                                if ((x >> 8) % 3 == 0)
                                        b = (uint8_t) (0x80 | (b & 0x7f));
                                if ((x >> 8) % 7 == 0)
                                        b = (uint8_t) "\xe2\x80\xa8\xf0\xed\xc3\"\\"[(x >> 16) % 8];
                                in[i] = (char) b;
                        }
                char *body = esc(in, n);
                size_t bl = strlen(body);
                char *s = malloc(bl + 3);
                s[0] = '"';
                memcpy(s + 1, body, bl);
                s[bl + 1] = '"';
                s[bl + 2] = 0;
                const char *err = tu_json_check(s, errbuf, sizeof errbuf);
                CHECK_MSG(err == NULL, "round %d: %s in %s", round, err, s);
                CHECK_MSG(!strstr(s, "\xe2\x80\xa8") && !strstr(s, "\xe2\x80\xa9"), "round %d: raw U+2028/9", round);
                free(body);
                free(s);
        }
}

static char *doc(void (*fn)(json_t *), bool pretty) {
        tu_out_t o;
        tu_out_open(&o);
        json_t *j = malloc(sizeof *j);
        json_init(j, o.f, pretty);
        fn(j);
        json_flush(j);
        free(j);
        char *r = strdup(tu_out_text(&o));
        tu_out_close(&o);
        return r;
}

static void doc_basic(json_t *j) {
        json_object_begin(j, NULL);
        json_str(j, "schema", "pcapd.report/1");
        json_u64(j, "u", UINT64_MAX);
        json_i64(j, "i", INT64_MIN);
        json_bool(j, "t", true);
        json_bool(j, "f", false);
        json_null(j, "n");
        json_str(j, "nullstr", NULL);
        json_strn(j, "bytes", "a\0b", 3);
        json_str(j, "k\"ey", "v");
        json_array_begin(j, "empty");
        json_array_end(j);
        json_object_begin(j, "emptyobj");
        json_object_end(j);
        json_array_begin(j, "arr");
        json_u64(j, NULL, 1);
        json_object_begin(j, NULL);
        json_u64(j, "x", 2);
        json_object_end(j);
        json_array_begin(j, NULL);
        json_array_end(j);
        json_str(j, NULL, "s");
        json_array_end(j);
        json_object_end(j);
}

static void test_document(void) {
        char errbuf[160], v[128];
        for (int pretty = 0; pretty < 2; pretty++) {
                char *s = doc(doc_basic, pretty);
                const char *err = tu_json_check(s, errbuf, sizeof errbuf);
                CHECK_MSG(err == NULL, "pretty=%d: %s\n%s", pretty, err, s);
                CHECK_STR(tu_json_get(s, "u", v, sizeof v), "18446744073709551615");
                CHECK_STR(tu_json_get(s, "i", v, sizeof v), "-9223372036854775808");
                CHECK_STR(tu_json_get(s, "n", v, sizeof v), "null");
                CHECK_STR(tu_json_get(s, "nullstr", v, sizeof v), "null");
                CHECK_STR(tu_json_get(s, "bytes", v, sizeof v), "\"a\\u0000b\"");
                CHECK_STR(tu_json_get(s, "k\"ey", v, sizeof v), "\"v\"");
                CHECK_STR(tu_json_get(s, "arr.1.x", v, sizeof v), "2");
                CHECK_STR(tu_json_get(s, "arr.3", v, sizeof v), "\"s\"");
                CHECK_STR(tu_json_get(s, "empty", v, sizeof v), "[]");
                free(s);
        }
}

static int nest_depth;
static void doc_nested(json_t *j) {
        json_object_begin(j, NULL);
        for (int i = 0; i < nest_depth; i++) {
                json_u64(j, "before", (uint64_t) i);
                if (i % 2)
                        json_object_begin(j, "o");
                else
                        json_array_begin(j, "a");
                if (i % 2 == 0) {
                        /* arrays hold an object so keys stay legal */
                        json_u64(j, NULL, 7);
                        json_object_begin(j, NULL);
                }
        }
        for (int i = nest_depth - 1; i >= 0; i--) {
                if (i % 2 == 0) {
                        json_u64(j, "last", 1);
                        json_object_end(j);
                        json_u64(j, NULL, 8);
                        json_array_end(j);
                } else {
                        json_u64(j, "last", 1);
                        json_object_end(j);
                }
                json_u64(j, "after", (uint64_t) i);
        }
        json_object_end(j);
}

static void test_nesting(void) {
        char errbuf[160];
        /* depths within JSON_DEPTH_MAX must be exact; deeper ones must at least stay valid JSON */
        static const int depths[] = { 1, 2, 5, 10, 20, 40 };
        for (unsigned k = 0; k < sizeof depths / sizeof depths[0]; k++) {
                nest_depth = depths[k];
                for (int pretty = 0; pretty < 2; pretty++) {
                        char *s = doc(doc_nested, pretty);
                        const char *err = tu_json_check(s, errbuf, sizeof errbuf);
                        CHECK_MSG(err == NULL, "nesting %d (%d levels of containers, JSON_DEPTH_MAX %d), pretty=%d: %s",
                                  nest_depth, nest_depth + nest_depth / 2 + 1, JSON_DEPTH_MAX, pretty, err);
                        free(s);
                }
        }
}

static char *num(double v, int decimals) {
        tu_out_t o;
        tu_out_open(&o);
        json_t *j = malloc(sizeof *j);
        json_init(j, o.f, false);
        json_array_begin(j, NULL);
        json_double(j, NULL, v, decimals);
        json_array_end(j);
        json_flush(j);
        free(j);
        char *r = strdup(tu_out_text(&o));
        tu_out_close(&o);
        return r;
}

#define CHECK_NUM(v, dec, expected)                                                                                \
        do {                                                                                                       \
                char *_r = num(v, dec);                                                                            \
                CHECK_STR(_r, "[" expected "]");                                                                   \
                free(_r);                                                                                          \
        } while (0)

static void test_numbers(void) {
        CHECK_NUM(1.5, 3, "1.5");
        CHECK_NUM(2.0, 3, "2");
        CHECK_NUM(0.0, 3, "0");
        CHECK_NUM(-0.0, 3, "0");
        CHECK_NUM(-0.0001, 3, "0");
        CHECK_NUM(0.1234, 3, "0.123");
        CHECK_NUM(100.0, 0, "100");
        CHECK_NUM(-2.25, 2, "-2.25");
        CHECK_NUM(10.10, 3, "10.1");
        CHECK_NUM(NAN, 3, "null");
        CHECK_NUM(INFINITY, 3, "null");
        CHECK_NUM(-INFINITY, 3, "null");
        /* large values keep their magnitude and stay valid JSON numbers */
        char errbuf[160];
        static const double big[] = { 1e15, 123456789012.5, 1e22, 1e300, -1e300, DBL_MAX };
        for (unsigned i = 0; i < sizeof big / sizeof big[0]; i++) {
                char *r = num(big[i], 3);
                const char *err = tu_json_check(r, errbuf, sizeof errbuf);
                CHECK_MSG(err == NULL, "%g -> %s: %s", big[i], r, err);
                double back = strtod(r + 1, NULL);
                CHECK_MSG(fabs(back - big[i]) <= fabs(big[i]) * 1e-9, "json_double(%g, 3) wrote %s (reads back as %g)",
                          big[i], r, back);
                free(r);
        }
}

static void write_ts(json_t *j, const one_value_t *a) {
        if (a->ms)
                json_ms(j, NULL, a->ns);
        else
                json_ts(j, NULL, a->ns);
}

static char *ts(int64_t ns, bool ms) {
        return one_value_text(write_ts, &(one_value_t) { .ns = ns, .ms = ms });
}

#define CHECK_TS(ns, expected)                                                                                     \
        do {                                                                                                       \
                char *_r = ts(ns, false);                                                                          \
                CHECK_STR(_r, "[" expected "]");                                                                   \
                free(_r);                                                                                          \
        } while (0)
#define CHECK_MS(ns, expected)                                                                                     \
        do {                                                                                                       \
                char *_r = ts(ns, true);                                                                           \
                CHECK_STR(_r, "[" expected "]");                                                                   \
                free(_r);                                                                                          \
        } while (0)

static void test_timestamps(void) {
        CHECK_TS(0, "0.000000000");
        CHECK_TS(1, "0.000000001");
        CHECK_TS(1700000000123456789LL, "1700000000.123456789"); /* exact: no float rounding */
        CHECK_TS(1000000000LL, "1.000000000");
        CHECK_TS(INT64_MAX, "9223372036.854775807");
        CHECK_TS(INT64_MIN, "-9223372036.854775808");
        /* before 1970 (a pcapng if_tsoffset can put packets there): -1 ns is -0.000000001 s */
        CHECK_TS(-1, "-0.000000001");
        CHECK_TS(-1500000000LL, "-1.500000000");
        CHECK_TS(-2000000000LL, "-2.000000000");
        char errbuf[160];
        char *r = ts(INT64_MIN, false);
        CHECK_MSG(tu_json_check(r, errbuf, sizeof errbuf) == NULL, "INT64_MIN -> %s", r);
        free(r);
        CHECK_MS(1500000, "1.5");
        CHECK_MS(1234567, "1.235");
        CHECK_MS(0, "0");
        CHECK_MS(-2500000, "-2.5");
}

/* json_init_sink(): a log of what the sink is handed, one line per call */
typedef struct sink_log {
        char text[2048];
        size_t n;
} sink_log_t;

static void sink_log(sink_log_t *l, const char *what, const char *key, const char *text, size_t n) {
        int w = snprintf(l->text + l->n, sizeof l->text - l->n, "%s %s %.*s\n", what, key ? key : "-", (int) n, text);
        if (w > 0 && (size_t) w < sizeof l->text - l->n)
                l->n += (size_t) w;
}
static void sink_open(void *u, const char *key, bool array) { sink_log(u, array ? "[" : "{", key, "", 0); }
static void sink_close(void *u) { sink_log(u, "end", NULL, "", 0); }
static void sink_value(void *u, const char *key, json_type_t type, const char *text, size_t n) {
        static const char *const types[] = { [JSON_NULL] = "null", [JSON_BOOL] = "bool", [JSON_NUMBER] = "number",
                                             [JSON_STRING] = "string" };
        sink_log(u, types[type], key, text, n);
}
static const json_sink_t log_sink = { .open = sink_open, .close = sink_close, .value = sink_value };

static void doc_numbers(json_t *j) {
        json_object_begin(j, NULL);
        json_double(j, "d", 2.0 / 3.0, 3);
        json_double(j, "whole", 42.0, 6);
        json_double(j, "nan", NAN, 3);
        json_ts(j, "ts", -1);
        json_ms(j, "ms", 1234567);
        json_i64(j, "neg", -7);
        json_object_end(j);
}

static void test_sink(void) {
        sink_log_t l = { .n = 0 };
        json_t *j = malloc(sizeof *j);
        json_init_sink(j, &log_sink, &l);
        doc_basic(j);
        CHECK_STR(l.text, "{ - \n"
                          "string schema pcapd.report/1\n"
                          "number u 18446744073709551615\n"
                          "number i -9223372036854775808\n"
                          "bool t true\n"
                          "bool f false\n"
                          "null n \n"
                          "null nullstr \n"
                          "string bytes a\n" /* "a\0b": %.*s stops at the NUL; the length is checked below */
                          "string k\"ey v\n"
                          "[ empty \nend - \n"
                          "{ emptyobj \nend - \n"
                          "[ arr \nnumber - 1\n{ - \nnumber x 2\nend - \n[ - \nend - \nstring - s\nend - \n"
                          "end - \n");
        /* the numbers' text is the JSON's, byte for byte */
        l.n = 0;
        json_init_sink(j, &log_sink, &l);
        doc_numbers(j);
        char *s = doc(doc_numbers, false), v[64];
        const char *const keys[] = { "d", "whole", "ts", "ms", "neg" };
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                char line[96];
                snprintf(line, sizeof line, "number %s %s\n", keys[i], tu_json_get(s, keys[i], v, sizeof v));
                CHECK_MSG(strstr(l.text, line) != NULL, "%s not in\n%s", line, l.text);
        }
        CHECK(strstr(l.text, "null nan \n") != NULL);
        CHECK(strstr(l.text, "number ts -0.000000001\n") != NULL);
        free(s);
        free(j);
}

static size_t bytes_len;
static void sink_bytes(void *u, const char *key, json_type_t type, const char *text, size_t n) {
        if (type == JSON_STRING && key && strcmp(key, "bytes") == 0 && n == 3 && memcmp(text, "a\0b", 3) == 0)
                bytes_len = n;
}
static void sink_none(void *u, const char *key, bool array) {}
static void sink_end(void *u) {}

static void test_sink_raw_bytes(void) {
        static const json_sink_t s = { .open = sink_none, .close = sink_end, .value = sink_bytes };
        json_t *j = malloc(sizeof *j);
        json_init_sink(j, &s, NULL);
        doc_basic(j);
        CHECK_U(bytes_len, ==, 3); /* a string's bytes as they are, not escaped */
        free(j);
}

static void write_double(json_t *j, const one_value_t *a) {
        json_double(j, NULL, a->v, a->decimals);
}

/* json_double's text for v, as the report would hold it */
static void dbl_text(double v, int decimals, char *out, size_t len) {
        char *t = one_value_text(write_double, &(one_value_t) { .v = v, .decimals = decimals });
        size_t n = strlen(t);
        snprintf(out, len, "%.*s", (int) (n >= 2 ? n - 2 : 0), t + 1);
        free(t);
}

/* the oracle: printf's correctly rounded "%.*f", trimmed as the writer trims */
static void dbl_oracle(double v, int decimals, char *out, size_t len) {
        if (v > -9e15 && v < 9e15 && v == (double) (int64_t) v) {
                snprintf(out, len, "%lld", (long long) v);
                return;
        }
        snprintf(out, len, "%.*f", decimals, v);
        char *dot = strchr(out, '.');
        if (dot) {
                char *e = out + strlen(out) - 1;
                while (e > dot + 1 && *e == '0')
                        *e-- = 0;
                if (e == dot + 1 && *e == '0')
                        *dot = 0;
        }
        if (strcmp(out, "-0") == 0)
                strcpy(out, "0");
}

/* json_double writes fixed decimals without printf where it can: the same text as printf's for random
 * values of every magnitude, for values on and next to halfway points, and for the report's usual ones */
static void test_double_fast(void) {
        static const double p10[10] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9 };
        uint64_t st = 0x9e3779b97f4a7c15ULL;
        char got[400], want[400];
        unsigned bad = 0, n = 0;
        for (int i = 0; i < 400000; i++) {
                st ^= st << 13, st ^= st >> 7, st ^= st << 17;
                int d = (int) (st % 10);
                double v;
                switch (i % 4) {
                case 0: /* any magnitude */
                        v = ldexp((double) (st >> 11) / 0x1p53, (int) ((st >> 3) % 110) - 60);
                        break;
                case 1: /* on a halfway point of d decimals, and its neighbours */
                        v = ((double) (st >> 20 & 0xffffff) + 0.5) / p10[d ? d : 1];
                        v = (st & 3) == 0 ? nextafter(v, 0) : (st & 3) == 1 ? nextafter(v, 1e300) : v;
                        break;
                case 2: /* durations: ns / 1e6 with 3 decimals, as json_ms writes them */
                        v = (double) (st >> 24) / 1e6;
                        d = 3;
                        break;
                default: /* rates, shares */
                        v = (double) (st >> 40) / (double) ((st & 0xffff) + 1);
                        break;
                }
                if ((st >> 62) == 0)
                        v = -v;
                dbl_text(v, d, got, sizeof got);
                dbl_oracle(v, d, want, sizeof want);
                n++;
                if (strcmp(got, want) != 0 && bad++ < 5)
                        TU_FAIL("json_double(%.17g, %d) = %s, printf says %s", v, d, got, want);
        }
        CHECK_U(bad, ==, 0);
        CHECK_U(n, ==, 400000);
}

int main(void) {
        RUN(test_double_fast);
        RUN(test_sink);
        RUN(test_sink_raw_bytes);
        RUN(test_escape);
        RUN(test_utf8);
        RUN(test_any_bytes_parse);
        RUN(test_document);
        RUN(test_nesting);
        RUN(test_numbers);
        RUN(test_timestamps);
        return tu_exit();
}
