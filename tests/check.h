/* The assertions of every C test (engine, util, daemons): a failed check is printed with file:line and
 * both values, and counted; the test goes on and exits 1 at the end (tu_exit). Header-only, one copy. */
#pragma once

#include <stdio.h>
#include <string.h>

#include "util/macro.h"

static int tu_failures;
_unused_ static const char *tu_current = "";

#define TU_FAIL(...)                                                                                               \
        do {                                                                                                       \
                fprintf(stderr, "%s:%d: [%s] ", __FILE__, __LINE__, tu_current);                                   \
                fprintf(stderr, __VA_ARGS__);                                                                      \
                fputc('\n', stderr);                                                                               \
                tu_failures++;                                                                                     \
        } while (0)

#define CHECK(cond)                                                                                                \
        do {                                                                                                       \
                if (!(cond))                                                                                       \
                        TU_FAIL("CHECK(%s) failed", #cond);                                                        \
        } while (0)

#define CHECK_MSG(cond, ...)                                                                                       \
        do {                                                                                                       \
                if (!(cond)) {                                                                                     \
                        TU_FAIL("CHECK(%s) failed", #cond);                                                        \
                        fprintf(stderr, "    ");                                                                   \
                        fprintf(stderr, __VA_ARGS__);                                                              \
                        fputc('\n', stderr);                                                                       \
                }                                                                                                  \
        } while (0)

#define CHECK_U(a, op, b)                                                                                          \
        do {                                                                                                       \
                unsigned long long _x = (unsigned long long) (a), _y = (unsigned long long) (b);                   \
                if (!(_x op _y))                                                                                   \
                        TU_FAIL("CHECK(%s %s %s) failed: %llu vs %llu", #a, #op, #b, _x, _y);                      \
        } while (0)

#define CHECK_I(a, op, b)                                                                                          \
        do {                                                                                                       \
                long long _x = (long long) (a), _y = (long long) (b);                                              \
                if (!(_x op _y))                                                                                   \
                        TU_FAIL("CHECK(%s %s %s) failed: %lld vs %lld", #a, #op, #b, _x, _y);                      \
        } while (0)

#define CHECK_EQ(a, b) CHECK_I(a, ==, b)
#define CHECK_EQU(a, b) CHECK_U(a, ==, b)

#define CHECK_STR(a, b)                                                                                            \
        do {                                                                                                       \
                const char *_x = (a), *_y = (b);                                                                   \
                if (!_x || !_y || strcmp(_x, _y) != 0)                                                             \
                        TU_FAIL("CHECK_STR(%s, %s) failed:\n    got      \"%s\"\n    expected \"%s\"", #a, #b,    \
                                _x ? _x : "(null)", _y ? _y : "(null)");                                           \
        } while (0)

#define CHECK_CONTAINS(hay, needle)                                                                                \
        do {                                                                                                       \
                const char *_h = (hay), *_n = (needle);                                                            \
                if (!_h || !strstr(_h, _n))                                                                        \
                        TU_FAIL("CHECK_CONTAINS(%s, \"%s\") failed: got \"%.300s\"", #hay, _n, _h ? _h : "(null)"); \
        } while (0)

#define RUN(fn)                                                                                                    \
        do {                                                                                                       \
                int _before = tu_failures;                                                                         \
                tu_current = #fn;                                                                                  \
                fn();                                                                                              \
                fprintf(stderr, "%s %s\n", tu_failures == _before ? "ok  " : "FAIL", #fn);                         \
        } while (0)

/* meson's exit status for a test that did not run; print why first */
#define EXIT_TEST_SKIP 77

static inline int tu_exit(void) {
        if (tu_failures)
                fprintf(stderr, "%d check(s) failed\n", tu_failures);
        return tu_failures ? 1 : 0;
}

