/* Unit tests of lib/engine/threshold.c: names, the number parser, ranks (--threshold over -l over the file),
 * the configuration file and its errors with their line, show-config's output read back, the engine's
 * refusals. */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>

#include "engine/analysis.h"
#include "engine/threshold.h"
#include "test-util.h"

static int load_text(thresholds_t *t, const char *text, char *err, size_t errlen) {
        tu_memfile_t m;
        FILE *f = tu_fmemopen(&m, text, strlen(text));
        int r = thresholds_load(t, f, "test.conf", err, errlen);
        tu_fclose(&m);
        return r;
}

static void test_table(void) {
        thresholds_t t;
        thresholds_default(&t);
        CHECK_EQ(thresholds_check(&t, NULL), 0);
        for (unsigned i = 0; i < _TH_MAX; i++) {
                const char *n = threshold_name((threshold_id_t) i);
                CHECK(n && *n);
                CHECK_EQ(threshold_lookup(n), (int) i);
                CHECK(threshold_description((threshold_id_t) i)[0]);
                CHECK(t.v[i] == threshold_default((threshold_id_t) i));
                CHECK_STR(t.origin[i], "default");
                /* the name says the unit */
                const char *u = threshold_unit_name((threshold_id_t) i);
                size_t l = strlen(n);
                if (strcmp(u, "ms") == 0)
                        CHECK_MSG(l > 3 && strcmp(n + l - 3, "_ms") == 0, "%s", n);
                else if (strcmp(u, "%") == 0)
                        CHECK_MSG(l > 4 && strcmp(n + l - 4, "_pct") == 0, "%s", n);
                for (unsigned k = 0; k < i; k++)
                        CHECK(strcmp(n, threshold_name((threshold_id_t) k)) != 0);
        }
        CHECK_EQ(threshold_lookup("no_such_threshold"), -ENOENT);
        CHECK(threshold_is_latency(TH_HANDSHAKE_SLOW));
        CHECK(!threshold_is_latency(TH_DNS_TIMEOUT));
        CHECK(threshold_name(_TH_MAX) == NULL);
}

static void test_set(void) {
        thresholds_t t;
        thresholds_default(&t);
        CHECK_EQ(thresholds_set(&t, "dns_slow_ms", "150", TS_OPTION, NULL), 0);
        CHECK(t.v[TH_DNS_SLOW] == 150);
        CHECK_STR(t.origin[TH_DNS_SLOW], "--threshold");
        CHECK_EQ(thresholds_set(&t, "loss_rate_pct", "0.5", TS_OPTION, NULL), 0);
        CHECK(t.v[TH_LOSS_RATE] == 0.5);
        CHECK_EQ(thresholds_set(&t, "dns_slow_ms", "2e3", TS_OPTION, NULL), 0);
        CHECK(t.v[TH_DNS_SLOW] == 2000);
        /* not numbers, out of range, unknown */
        const char *bad[] = { "", " 1", "1 ", "1ms", "0x10", "inf", "nan", "1,5", "abc", "--1", "1e999" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                int r = thresholds_set(&t, "dns_slow_ms", bad[i], TS_OPTION, NULL);
                CHECK_MSG(r == -EINVAL || r == -ERANGE, "'%s' gave %d", bad[i], r);
        }
        CHECK_EQ(thresholds_set(&t, "dns_slow_ms", "-5", TS_OPTION, NULL), -ERANGE);
        CHECK_EQ(thresholds_set(&t, "dns_slow_ms", "0", TS_OPTION, NULL), -ERANGE);
        CHECK_EQ(thresholds_set(&t, "loss_rate_pct", "100.5", TS_OPTION, NULL), -ERANGE);
        CHECK_EQ(thresholds_set(&t, "dns_slow", "5", TS_OPTION, NULL), -ENOENT);
        CHECK(t.v[TH_DNS_SLOW] == 2000); /* nothing changed by the failures */
        CHECK_EQ(thresholds_set_assignment(&t, "rtt_high_ms=80", TS_OPTION, NULL), 0);
        CHECK(t.v[TH_RTT_HIGH] == 80);
        CHECK_EQ(thresholds_set_assignment(&t, "rtt_high_ms", TS_OPTION, NULL), -EINVAL);
        CHECK_EQ(thresholds_set_assignment(&t, "=5", TS_OPTION, NULL), -EINVAL);
        CHECK_EQ(thresholds_set_assignment(&t, "nope=5", TS_OPTION, NULL), -ENOENT);
        CHECK_EQ(thresholds_set_assignment(&t, "rtt_high_ms=", TS_OPTION, NULL), -EINVAL);

        /* the C locale whatever the process's: a decimal point, never a comma */
        if (setlocale(LC_NUMERIC, "de_DE.UTF-8") || setlocale(LC_NUMERIC, "fr_FR.UTF-8")) {
                CHECK_EQ(thresholds_set(&t, "loss_rate_pct", "0.25", TS_OPTION, NULL), 0);
                CHECK(t.v[TH_LOSS_RATE] == 0.25);
                char buf[32];
                CHECK_STR(threshold_format(0.25, buf, sizeof buf), "0.25");
                setlocale(LC_NUMERIC, "C");
        }
}

static void test_ranks(void) {
        thresholds_t t;
        thresholds_default(&t);
        /* --threshold first, then -l, then the file: the order does not matter */
        CHECK_EQ(thresholds_set(&t, "dns_slow_ms", "40", TS_OPTION, NULL), 0);
        CHECK_EQ(thresholds_set_latency(&t, "100", TS_LATENCY, "--latency"), 0);
        char err[256] = "";
        CHECK_EQ(load_text(&t, "[Thresholds]\nlatency_ms=900\nrtt_high_ms=70\ngap_ms=2500\n", err, sizeof err), 0);
        CHECK(t.v[TH_DNS_SLOW] == 40);          /* --threshold */
        CHECK(t.v[TH_RTT_HIGH] == 100);         /* -l over the file's name */
        CHECK(t.v[TH_HANDSHAKE_SLOW] == 100);   /* -l over the file's latency_ms */
        CHECK(t.v[TH_GAP] == 2500);             /* the file, nothing above it */
        CHECK_STR(t.origin[TH_GAP], "test.conf:4");
        CHECK(t.v[TH_DNS_TIMEOUT] == 5000);     /* not a latency threshold: -l leaves it */

        /* in a file, a name wins over latency_ms whichever comes first */
        thresholds_default(&t);
        CHECK_EQ(load_text(&t, "[Thresholds]\ndns_slow_ms=30\nlatency_ms=120\n", err, sizeof err), 0);
        CHECK(t.v[TH_DNS_SLOW] == 30);
        CHECK(t.v[TH_HANDSHAKE_SLOW] == 120);
        CHECK_STR(t.origin[TH_HANDSHAKE_SLOW], "test.conf:3");

        /* -l takes all or nothing */
        thresholds_default(&t);
        CHECK_EQ(thresholds_set_latency(&t, "0", TS_LATENCY, NULL), -ERANGE);
        CHECK(t.v[TH_HANDSHAKE_SLOW] == 300);
        CHECK_EQ(thresholds_set_latency(&t, "x", TS_LATENCY, NULL), -EINVAL);
}

static void test_file(void) {
        thresholds_t t;
        char err[256];
        static const struct { const char *text; int r; const char *err; } cases[] = {
                { "", 0, NULL },
                { "# only a comment\n; and another\n\n", 0, NULL },
                { "[Thresholds]\n  dns_slow_ms =  250 \r\n", 0, NULL },
                { "dns_slow_ms=250\n", -EINVAL, "test.conf:1: assignment outside [Thresholds]" },
                { "[Limits]\n", -EINVAL, "test.conf:1: unknown section [Limits] (only [Thresholds])" },
                { "[Thresholds\n", -EINVAL, "test.conf:1: a section header is [Name]" },
                { "[Thresholds]\n\nfoo=1\n", -ENOENT, "test.conf:3: foo: unknown threshold" },
                { "[Thresholds]\ndns_slow_ms\n", -EINVAL, "test.conf:2: expected NAME=VALUE" },
                { "[Thresholds]\ndns_slow_ms=fast\n", -EINVAL, "test.conf:2: dns_slow_ms: the value is not a decimal number" },
                { "[Thresholds]\nloss_rate_pct=101\n", -ERANGE, "test.conf:2: loss_rate_pct: the value is out of" },
                { "[Thresholds]\nlatency_ms=0\n", -ERANGE, "test.conf:2: latency_ms: the value is out of" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                thresholds_default(&t);
                err[0] = 0;
                int r = load_text(&t, cases[i].text, err, sizeof err);
                CHECK_MSG(r == cases[i].r, "case %zu: %d", i, r);
                if (cases[i].err)
                        CHECK_MSG(strncmp(err, cases[i].err, strlen(cases[i].err)) == 0, "case %zu: '%s'", i, err);
        }
        thresholds_default(&t);
        CHECK_EQ(load_text(&t, "[Thresholds]\n  dns_slow_ms =  250 \r\n", err, sizeof err), 0);
        CHECK(t.v[TH_DNS_SLOW] == 250);

        /* a failed file changes nothing, even what its good lines before the error set */
        thresholds_default(&t);
        CHECK(load_text(&t, "[Thresholds]\ndns_slow_ms=10\ngap_ms=zero\n", err, sizeof err) < 0);
        CHECK(t.v[TH_DNS_SLOW] == 200);

        /* a line too long, a file too large */
        char *big = malloc(THRESHOLD_FILE_MAX + 100);
        memset(big, '#', THRESHOLD_LINE_MAX + 10);
        big[THRESHOLD_LINE_MAX + 10] = '\n';
        big[THRESHOLD_LINE_MAX + 11] = 0;
        CHECK_EQ(load_text(&t, big, err, sizeof err), -EINVAL);
        CHECK_CONTAINS(err, "line longer than");
        size_t n = 0;
        while (n + 10 < THRESHOLD_FILE_MAX + 50) {
                memcpy(big + n, "# comment\n", 10);
                n += 10;
        }
        big[n] = 0;
        CHECK_EQ(load_text(&t, big, err, sizeof err), -EFBIG);
        free(big);
}

/* show-config's output is a configuration file that gives the same values back */
static void test_print_roundtrip(void) {
        thresholds_t t, u;
        thresholds_default(&t);
        CHECK_EQ(thresholds_set(&t, "loss_rate_pct", "0.35", TS_OPTION, NULL), 0);
        CHECK_EQ(thresholds_set(&t, "burst_spacing_ms", "0.0123", TS_OPTION, NULL), 0);
        CHECK_EQ(thresholds_set_latency(&t, "75.5", TS_LATENCY, NULL), 0);
        tu_out_t o;
        FILE *f = tu_out_open(&o);
        CHECK_EQ(thresholds_print(&t, f), 0);
        const char *text = tu_out_text(&o);
        CHECK_CONTAINS(text, "[Thresholds]\n");
        CHECK_CONTAINS(text, "\nloss_rate_pct=0.35\n");
        CHECK_CONTAINS(text, "this value from: --latency");
        thresholds_default(&u);
        char err[256] = "";
        CHECK_EQ(load_text(&u, text, err, sizeof err), 0);
        for (unsigned i = 0; i < _TH_MAX; i++)
                CHECK_MSG(u.v[i] == t.v[i], "%s: %.17g != %.17g", threshold_name((threshold_id_t) i), u.v[i], t.v[i]);
        tu_out_close(&o);

        char buf[32];
        CHECK_STR(threshold_format(300, buf, sizeof buf), "300");
        CHECK_STR(threshold_format(0.1, buf, sizeof buf), "0.1");
        CHECK_STR(threshold_format(0.05, buf, sizeof buf), "0.05");
        CHECK_STR(threshold_format(1e9, buf, sizeof buf), "1000000000");
}

static void test_engine(void) {
        thresholds_t t;
        analysis_t *a = tu_analysis(100);
        thresholds_default(&t);
        t.v[TH_DNS_SLOW] = NAN;
        CHECK_EQ(analysis_set_thresholds(a, &t), -ERANGE);
        threshold_id_t bad = _TH_MAX;
        CHECK_EQ(thresholds_check(&t, &bad), -ERANGE);
        CHECK_EQ(bad, TH_DNS_SLOW);
        t.v[TH_DNS_SLOW] = 1e12;
        CHECK_EQ(analysis_set_thresholds(a, &t), -ERANGE);
        t.v[TH_DNS_SLOW] = 20;
        CHECK_EQ(analysis_set_thresholds(a, &t), 0);
        uint8_t pkt[60] = { 0 };
        analysis_feed_packet(a, 1, 1000, sizeof pkt, sizeof pkt, pkt);
        CHECK_EQ(analysis_set_thresholds(a, &t), -EBUSY);
        analysis_free(a);
}

int main(void) {
        RUN(test_table);
        RUN(test_set);
        RUN(test_ranks);
        RUN(test_file);
        RUN(test_print_roundtrip);
        RUN(test_engine);
        return tu_exit();
}
