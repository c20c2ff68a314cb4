/* Request forms (see form.h). */
#include "form.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

bool form_is_json(const char *ct, size_t n) {
        return ct && n >= 16 && strncasecmp(ct, "application/json", 16) == 0 &&
               (n == 16 || ct[16] == ';' || ct[16] == ' ');
}

typedef struct cur {
        const char *p, *end;
} cur_t;

static void ws(cur_t *c) {
        while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
                c->p++;
}

static int hexval(char ch) {
        if (ch >= '0' && ch <= '9')
                return ch - '0';
        if (ch >= 'a' && ch <= 'f')
                return ch - 'a' + 10;
        if (ch >= 'A' && ch <= 'F')
                return ch - 'A' + 10;
        return -1;
}

/* Appends byte b to out (when out is given); -E2BIG past size-1. */
static int put(char *out, size_t size, size_t *o, unsigned char b) {
        if (!out)
                return 0;
        if (*o + 1 >= size)
                return -E2BIG;
        out[(*o)++] = (char) b;
        return 0;
}

static int put_utf8(char *out, size_t size, size_t *o, uint32_t cp) {
        int r = 0;
        if (cp == 0)
                return -EINVAL;
        if (cp < 0x80)
                return put(out, size, o, (unsigned char) cp);
        if (cp < 0x800) {
                r = put(out, size, o, (unsigned char) (0xc0 | (cp >> 6)));
        } else if (cp < 0x10000) {
                r = put(out, size, o, (unsigned char) (0xe0 | (cp >> 12)));
                if (r >= 0)
                        r = put(out, size, o, (unsigned char) (0x80 | ((cp >> 6) & 0x3f)));
        } else {
                r = put(out, size, o, (unsigned char) (0xf0 | (cp >> 18)));
                if (r >= 0)
                        r = put(out, size, o, (unsigned char) (0x80 | ((cp >> 12) & 0x3f)));
                if (r >= 0)
                        r = put(out, size, o, (unsigned char) (0x80 | ((cp >> 6) & 0x3f)));
        }
        return r < 0 ? r : put(out, size, o, (unsigned char) (0x80 | (cp & 0x3f)));
}

static int hex4(cur_t *c, uint32_t *ret) {
        uint32_t v = 0;
        if (c->end - c->p < 4)
                return -EINVAL;
        for (int i = 0; i < 4; i++) {
                int h = hexval(c->p[i]);
                if (h < 0)
                        return -EINVAL;
                v = v << 4 | (uint32_t) h;
        }
        c->p += 4;
        *ret = v;
        return 0;
}

/* A JSON string at c->p (after its opening quote), decoded into out when out is given. */
static int json_string(cur_t *c, char *out, size_t size, size_t *o) {
        while (c->p < c->end) {
                unsigned char ch = (unsigned char) *c->p++;
                uint32_t cp, lo;
                int r;
                if (ch == '"')
                        return 0;
                if (ch < 0x20)
                        return -EINVAL;
                if (ch != '\\') {
                        r = put(out, size, o, ch);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (c->p >= c->end)
                        return -EINVAL;
                ch = (unsigned char) *c->p++;
                switch (ch) {
                case '"': case '\\': case '/': r = put(out, size, o, ch); break;
                case 'b': r = put(out, size, o, '\b'); break;
                case 'f': r = put(out, size, o, '\f'); break;
                case 'n': r = put(out, size, o, '\n'); break;
                case 'r': r = put(out, size, o, '\r'); break;
                case 't': r = put(out, size, o, '\t'); break;
                case 'u':
                        if (hex4(c, &cp) < 0)
                                return -EINVAL;
                        if (cp >= 0xdc00 && cp <= 0xdfff)
                                return -EINVAL;
                        if (cp >= 0xd800 && cp <= 0xdbff) {
                                if (c->end - c->p < 6 || c->p[0] != '\\' || c->p[1] != 'u')
                                        return -EINVAL;
                                c->p += 2;
                                if (hex4(c, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
                                        return -EINVAL;
                                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                        }
                        r = put_utf8(out, size, o, cp);
                        break;
                default:
                        return -EINVAL;
                }
                if (r < 0)
                        return r;
        }
        return -EINVAL;
}

/* A scalar that is not a string (number, true, false, null): its text. */
static int json_scalar(cur_t *c, char *out, size_t size, size_t *o) {
        const char *s = c->p;
        while (c->p < c->end && *c->p && strchr("+-.0123456789eEtrufalsn", *c->p))
                c->p++;
        if (c->p == s)
                return -EINVAL;
        for (const char *q = s; q < c->p; q++) {
                int r = put(out, size, o, (unsigned char) *q);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int get_json(const char *body, size_t n, const char *key, char *out, size_t size) {
        cur_t c = { body, body + n };
        size_t kl = strlen(key);
        int found = -ENOENT;

        ws(&c);
        if (c.p >= c.end || *c.p++ != '{')
                return -EINVAL;
        ws(&c);
        if (c.p < c.end && *c.p == '}') {
                c.p++;
                goto end;
        }
        for (;;) {
                char k[64];
                size_t ko = 0, vo = 0;
                bool want;
                int r;

                ws(&c);
                if (c.p >= c.end || *c.p++ != '"')
                        return -EINVAL;
                r = json_string(&c, k, sizeof(k), &ko);
                if (r == -E2BIG) { /* a key longer than any we read: skip it */
                        ko = 0;
                        k[0] = 0;
                        r = json_string(&c, NULL, 0, &ko);
                }
                if (r < 0)
                        return -EINVAL;
                k[ko] = 0;
                want = ko == kl && memcmp(k, key, kl) == 0;
                ws(&c);
                if (c.p >= c.end || *c.p++ != ':')
                        return -EINVAL;
                ws(&c);
                if (c.p >= c.end)
                        return -EINVAL;
                if (*c.p == '"') {
                        c.p++;
                        r = json_string(&c, want ? out : NULL, size, &vo);
                } else if (*c.p == '{' || *c.p == '[')
                        return -EINVAL;
                else
                        r = json_scalar(&c, want ? out : NULL, size, &vo);
                if (r < 0)
                        return r;
                if (want) {
                        if (found >= 0)
                                return -EINVAL; /* the same key twice: ambiguous */
                        out[vo] = 0;
                        found = (int) vo;
                }
                ws(&c);
                if (c.p >= c.end)
                        return -EINVAL;
                if (*c.p == ',') {
                        c.p++;
                        continue;
                }
                if (*c.p++ != '}')
                        return -EINVAL;
                break;
        }
end:
        ws(&c);
        return c.p == c.end ? found : -EINVAL;
}

/* One urlencoded component into out (NULL: only checked). */
static int url_decode(const char *s, size_t n, char *out, size_t size, size_t *o) {
        for (size_t i = 0; i < n; i++) {
                int r, hi, lo;
                unsigned char ch = (unsigned char) s[i];
                if (ch == '+')
                        ch = ' ';
                else if (ch == '%') {
                        if (i + 2 >= n)
                                return -EINVAL;
                        hi = hexval(s[i + 1]);
                        lo = hexval(s[i + 2]);
                        if (hi < 0 || lo < 0)
                                return -EINVAL;
                        ch = (unsigned char) (hi << 4 | lo);
                        i += 2;
                }
                if (ch == 0)
                        return -EINVAL;
                r = put(out, size, o, ch);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int get_urlencoded(const char *body, size_t n, const char *key, char *out, size_t size) {
        size_t kl = strlen(key);
        int found = -ENOENT;
        const char *p = body, *end = body + n;

        while (p < end) {
                const char *amp = memchr(p, '&', (size_t) (end - p));
                const char *e = amp ? amp : end;
                const char *eq = memchr(p, '=', (size_t) (e - p));
                const char *ke = eq ? eq : e;
                char k[64];
                size_t ko = 0;
                int r = url_decode(p, (size_t) (ke - p), k, sizeof(k), &ko);
                if (r == -EINVAL)
                        return r;
                if (r >= 0 && ko == kl && memcmp(k, key, kl) == 0) {
                        size_t vo = 0;
                        if (found >= 0)
                                return -EINVAL;
                        r = eq ? url_decode(eq + 1, (size_t) (e - eq - 1), out, size, &vo) : 0;
                        if (r < 0)
                                return r;
                        out[vo] = 0;
                        found = (int) vo;
                }
                p = e + 1;
        }
        return found;
}

int form_get(const char *body, size_t n, bool json, const char *key, char *out, size_t size) {
        if (!out || size == 0)
                return -EINVAL;
        out[0] = 0;
        if (!body || n > FORM_BODY_MAX)
                return !body ? -ENOENT : -E2BIG;
        return json ? get_json(body, n, key, out, size) : get_urlencoded(body, n, key, out, size);
}
