/* lib/auth/totp: RFC 4226 and RFC 6238 vectors, verification (window edges, replay, malformed codes) and the
 * otpauth:// URI with hostile names. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"

#include "auth/totp.h"

/* RFC 4226 Appendix D and RFC 6238 Appendix B (SHA1): the ASCII secret "12345678901234567890" */
static const uint8_t rfc_secret[] = "12345678901234567890";
#define RFC_N 20

static void test_hotp_rfc4226(void) {
        static const uint32_t want[] = { 755224, 287082, 359152, 969429, 338314,
                                         254676, 287922, 162583, 399871, 520489 };
        for (uint64_t c = 0; c < ELEMENTSOF(want); c++) {
                uint32_t v = 1;
                CHECK_EQ(totp_code_step(rfc_secret, RFC_N, c, 6, &v), 0);
                CHECK_MSG(v == want[c], "counter %llu: %u, expected %u", (unsigned long long) c, v, want[c]);
        }
}

static void test_totp_rfc6238(void) {
        static const struct {
                uint64_t t;
                uint32_t code;
        } want[] = {
                { 59, 94287082 },         { 1111111109, 7081804 }, { 1111111111, 14050471 },
                { 1234567890, 89005924 }, { 2000000000, 69279037 }, { 20000000000, 65353130 },
        };
        for (size_t i = 0; i < ELEMENTSOF(want); i++) {
                uint32_t v = 1;
                CHECK_EQ(totp_code(rfc_secret, RFC_N, want[i].t, 8, &v), 0);
                CHECK_MSG(v == want[i].code, "T=%llu: %08u, expected %08u", (unsigned long long) want[i].t, v,
                          want[i].code);
                /* 6 digits are the last 6 of the 8 */
                CHECK_EQ(totp_code(rfc_secret, RFC_N, want[i].t, 6, &v), 0);
                CHECK_EQU(v, want[i].code % 1000000);
        }
}

static void test_code_arguments(void) {
        uint32_t v = 42;
        CHECK_EQ(totp_code(rfc_secret, RFC_N, 59, 5, &v), -EINVAL);
        CHECK_EQ(totp_code(rfc_secret, RFC_N, 59, 9, &v), -EINVAL);
        CHECK_EQ(totp_code(rfc_secret, TOTP_SECRET_MIN - 1, 59, 6, &v), -EINVAL);
        CHECK_EQ(totp_code(NULL, RFC_N, 59, 6, &v), -EINVAL);
        CHECK_EQU(v, 42);
        uint8_t big[TOTP_SECRET_MAX + 1] = {};
        CHECK_EQ(totp_code(big, TOTP_SECRET_MAX, 59, 6, &v), 0);
        CHECK_EQ(totp_code(big, TOTP_SECRET_MAX + 1, 59, 6, &v), -EINVAL);
        CHECK_EQ(totp_code(rfc_secret, TOTP_SECRET_MIN, UINT64_MAX, 6, &v), 0);
}

static void test_secret_new(void) {
        uint8_t a[TOTP_SECRET_SIZE], b[TOTP_SECRET_SIZE], zero[TOTP_SECRET_SIZE] = {};
        CHECK_EQ(totp_secret_new(a), 0);
        CHECK_EQ(totp_secret_new(b), 0);
        CHECK(memcmp(a, b, sizeof(a)) != 0 && memcmp(a, zero, sizeof(a)) != 0);
}

/* the 6-digit code of step under the RFC secret */
static void code_at(uint64_t step, char out[7]) {
        uint32_t v;
        CHECK_EQ(totp_code_step(rfc_secret, RFC_N, step, 6, &v), 0);
        snprintf(out, 7, "%06u", v);
}

static int verify(uint64_t t, const char *code, int window, uint64_t last, uint64_t *step) {
        return totp_verify(rfc_secret, RFC_N, t, code, window, last, step);
}

static void test_verify_window(void) {
        const uint64_t t = 1111111111, now = t / TOTP_PERIOD; /* 37037037, 1 s into the step */
        char c[7];
        uint64_t step;

        code_at(now, c);
        step = 0;
        CHECK_EQ(verify(t, c, 0, 0, &step), 0);
        CHECK_EQU(step, now);
        /* the first and last second of the step */
        CHECK_EQ(verify(now * TOTP_PERIOD, c, 0, 0, &step), 0);
        CHECK_EQ(verify(now * TOTP_PERIOD + TOTP_PERIOD - 1, c, 0, 0, &step), 0);
        CHECK_EQ(verify(now * TOTP_PERIOD + TOTP_PERIOD, c, 0, 0, &step), -EACCES);
        CHECK_EQ(verify(now * TOTP_PERIOD - 1, c, 0, 0, &step), -EACCES);

        /* window 1: one step either side, not two */
        for (int d = -3; d <= 3; d++) {
                for (int w = 0; w <= 2; w++) {
                        step = 7;
                        code_at(now + (uint64_t) d, c);
                        int r = verify(t, c, w, 0, &step);
                        if (abs(d) <= w) {
                                CHECK_MSG(r == 0 && step == now + (uint64_t) d, "d %d w %d: %d", d, w, r);
                        } else
                                CHECK_MSG(r == -EACCES && step == 7, "d %d w %d: %d", d, w, r);
                }
        }
        code_at(now + TOTP_WINDOW_MAX, c);
        CHECK_EQ(verify(t, c, TOTP_WINDOW_MAX, 0, &step), 0);
        CHECK_EQU(step, now + TOTP_WINDOW_MAX);

        /* the start of time: the window does not wrap below step 0 */
        code_at(0, c);
        CHECK_EQ(verify(5, c, 1, 0, &step), -EACCES); /* step 0 is never above last_used_step */
        code_at(1, c);
        CHECK_EQ(verify(5, c, 1, 0, &step), 0);
        CHECK_EQU(step, 1);
        /* the end of time: nor above UINT64_MAX */
        code_at(UINT64_MAX / TOTP_PERIOD, c);
        CHECK_EQ(verify(UINT64_MAX, c, TOTP_WINDOW_MAX, 0, &step), 0);
        CHECK_EQU(step, UINT64_MAX / TOTP_PERIOD);
}

static void test_verify_replay(void) {
        const uint64_t t = 2000000000, now = t / TOTP_PERIOD;
        char c[7], next[7], prev[7];
        uint64_t step = 0, again = 99;

        code_at(now, c);
        code_at(now + 1, next);
        code_at(now - 1, prev);
        CHECK_EQ(verify(t, c, 1, 0, &step), 0);
        CHECK_EQU(step, now);
        /* the same code again, in the same step or the next, is refused */
        CHECK_EQ(verify(t, c, 1, step, &again), -EACCES);
        CHECK_EQ(verify(t + TOTP_PERIOD, c, 1, step, &again), -EACCES);
        CHECK_EQU(again, 99);
        /* an older code within the window too: it is not after the one used */
        CHECK_EQ(verify(t, prev, 1, step, &again), -EACCES);
        /* the next step's code is new */
        CHECK_EQ(verify(t, next, 1, step, &again), 0);
        CHECK_EQU(again, now + 1);
        /* once a later step was used, every code up to it is spent */
        CHECK_EQ(verify(t, c, 1, now + 1, &again), -EACCES);
        CHECK_EQ(verify(t, next, 1, now + 1, &again), -EACCES);
        CHECK_EQ(verify(t, c, 1, UINT64_MAX, &again), -EACCES);
        CHECK_EQ(verify(t, c, 1, now - 1, NULL), 0);
}

static void test_verify_malformed(void) {
        const uint64_t t = 1234567890;
        static const char *bad[] = {
                "",        "1",        "12345",   "1234567", "12345a",  "a12345", " 12345", "12345 ",
                "123 456", "-12345",   "+12345",  "12345\n", "0x1234",  "１２３４５６", "12345\xff",
                "1.2345",  "123456\t",
        };
        char c[7], longer[8];
        uint64_t step = 99;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                CHECK_MSG(verify(t, bad[i], 1, 0, &step) == -EINVAL, "\"%s\"", bad[i]);
                CHECK_EQU(step, 99);
        }
        CHECK_EQ(verify(t, NULL, 1, 0, &step), -EINVAL);
        /* the right code with anything after it is not the right code */
        code_at(t / TOTP_PERIOD, c);
        snprintf(longer, sizeof(longer), "%s0", c);
        CHECK_EQ(verify(t, longer, 1, 0, &step), -EINVAL);
        /* a wrong code of the right form */
        snprintf(longer, sizeof(longer), "%06u", (unsigned) ((strtoul(c, NULL, 10) + 1) % 1000000));
        CHECK_EQ(verify(t, longer, 0, 0, &step), -EACCES);
        /* arguments */
        CHECK_EQ(verify(t, c, -1, 0, &step), -EINVAL);
        CHECK_EQ(verify(t, c, TOTP_WINDOW_MAX + 1, 0, &step), -EINVAL);
        CHECK_EQ(totp_verify(rfc_secret, 10, t, c, 1, 0, &step), -EINVAL);
        CHECK_EQ(totp_verify(NULL, RFC_N, t, c, 1, 0, &step), -EINVAL);
        CHECK_EQU(step, 99);
        CHECK_EQ(verify(t, c, 1, 0, &step), 0);
}

/* %XX back to bytes, for checking that an escaped name comes back as it was */
static char *unescape(const char *s, size_t n) {
        char *out = malloc(n + 1);
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
                if (s[i] == '%' && i + 2 < n) {
                        unsigned v;
                        sscanf(s + i + 1, "%2x", &v);
                        out[k++] = (char) v;
                        i += 2;
                } else
                        out[k++] = s[i];
        }
        out[k] = 0;
        return out;
}

static void test_uri(void) {
        char *u = NULL;

        CHECK_EQ(totp_uri("pcapd", "alice@example.com", rfc_secret, RFC_N, &u), 0);
        CHECK_STR(u, "otpauth://totp/pcapd:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=pcapd"
                     "&algorithm=SHA1&digits=6&period=30");
        free(u);
        u = NULL;
        CHECK_EQ(totp_uri("pcapd on lab-1", "Jürgen", rfc_secret, RFC_N, &u), 0);
        CHECK_STR(u, "otpauth://totp/pcapd%20on%20lab-1:J%C3%BCrgen?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
                     "&issuer=pcapd%20on%20lab-1&algorithm=SHA1&digits=6&period=30");
        free(u);
}

static void test_uri_hostile(void) {
        static const char *accounts[] = {
                "<script>alert(1)</script>",
                "evil:admin",
                "a?secret=AAAAAAAAAAAAAAAA&issuer=evil#",
                "x/../../y",
                "\"' onload=alert(1) x=\"",
                "100% & more + less",
                "\xe2\x80\xae\xe2\x80\x8b\xf0\x9f\x94\x91 \r\n\t\x01",
                "::::",
        };
        for (size_t i = 0; i < ELEMENTSOF(accounts); i++) {
                _cleanup_free_ char *u = NULL, *label = NULL;
                const char *prefix = "otpauth://totp/";
                CHECK_EQ(totp_uri("pcapd", accounts[i], rfc_secret, RFC_N, &u), 0);
                if (!u)
                        continue;
                /* the structure is the URI's own: one '?', one of each parameter, no character that would end an
                 * attribute or a tag when the URI is put into HTML */
                CHECK(strncmp(u, prefix, strlen(prefix)) == 0);
                CHECK(strchr(u, '?') == strrchr(u, '?'));
                CHECK(strstr(u, "secret=") == strrchr(u, '?') + 1);
                CHECK(!strstr(strstr(u, "secret=") + 1, "secret="));
                CHECK(!strpbrk(u, "<>\"' #\r\n\t\\"));
                for (const unsigned char *p = (const unsigned char *) u; *p; p++)
                        CHECK(*p > 0x20 && *p < 0x7f);
                /* the label: the issuer, the first colon, then the account exactly */
                const char *l = u + strlen(prefix), *q = strchr(u, '?');
                CHECK(strncmp(l, "pcapd:", 6) == 0);
                label = unescape(l + 6, (size_t) (q - l - 6));
                CHECK_STR(label, accounts[i]);
                CHECK(strstr(u, "&issuer=pcapd&algorithm=SHA1&digits=6&period=30") != NULL);
        }
}

static void test_uri_refused(void) {
        char *u = NULL;
        CHECK_EQ(totp_uri("pc:apd", "alice", rfc_secret, RFC_N, &u), -EINVAL); /* would move the label's split */
        CHECK_EQ(totp_uri("", "alice", rfc_secret, RFC_N, &u), -EINVAL);
        CHECK_EQ(totp_uri("pcapd", "", rfc_secret, RFC_N, &u), -EINVAL);
        CHECK_EQ(totp_uri(NULL, "alice", rfc_secret, RFC_N, &u), -EINVAL);
        CHECK_EQ(totp_uri("pcapd", NULL, rfc_secret, RFC_N, &u), -EINVAL);
        CHECK_EQ(totp_uri("pcapd", "al\xffice", rfc_secret, RFC_N, &u), -EINVAL);       /* not UTF-8 */
        CHECK_EQ(totp_uri("pcapd", "al\xc0\xaf", rfc_secret, RFC_N, &u), -EINVAL);      /* overlong '/' */
        CHECK_EQ(totp_uri("pcapd", "\xed\xa0\x80", rfc_secret, RFC_N, &u), -EINVAL);    /* surrogate */
        CHECK_EQ(totp_uri("pcapd", "alice", rfc_secret, 8, &u), -EINVAL);
        CHECK(u == NULL);
}

int main(void) {
        RUN(test_hotp_rfc4226);
        RUN(test_totp_rfc6238);
        RUN(test_code_arguments);
        RUN(test_secret_new);
        RUN(test_verify_window);
        RUN(test_verify_replay);
        RUN(test_verify_malformed);
        RUN(test_uri);
        RUN(test_uri_hostile);
        RUN(test_uri_refused);
        return tu_exit();
}
