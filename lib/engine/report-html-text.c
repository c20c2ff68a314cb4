/* The HTML report's text: escaping (engine text vs packet bytes) and the formatting of numbers, sizes,
 * durations and timestamps. */
#include <inttypes.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "report-html.h"

static bool html_special(FILE *f, unsigned char c) {
        switch (c) {
        case '<': fputs("&lt;", f); return true;
        case '>': fputs("&gt;", f); return true;
        case '&': fputs("&amp;", f); return true;
        case '"': fputs("&quot;", f); return true;
        case '\'': fputs("&#39;", f); return true;
        default: return false;
        }
}

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlong forms, no surrogates, <= U+10FFFF), 0 if
 * the bytes there are not one. */
static size_t utf8_valid(const unsigned char *s, size_t n) {
        unsigned char c = s[0];
        size_t len;
        unsigned char lo = 0x80, hi = 0xbf;
        if (c >= 0xc2 && c <= 0xdf)
                len = 2;
        else if (c >= 0xe0 && c <= 0xef) {
                len = 3;
                if (c == 0xe0)
                        lo = 0xa0;
                else if (c == 0xed)
                        hi = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
                len = 4;
                if (c == 0xf0)
                        lo = 0x90;
                else if (c == 0xf4)
                        hi = 0x8f;
        } else
                return 0;
        if (n < len)
                return 0;
        if (s[1] < lo || s[1] > hi)
                return 0;
        for (size_t i = 2; i < len; i++)
                if (s[i] < 0x80 || s[i] > 0xbf)
                        return 0;
        return len;
}

void html_textn(FILE *f, const char *s, size_t n) {
        const unsigned char *u = (const unsigned char *) s;
        for (size_t i = 0; i < n;) {
                unsigned char c = u[i];
                if (c >= 0x80) {
                        size_t l = utf8_valid(u + i, n - i);
                        if (l) {
                                fwrite(u + i, 1, l, f);
                                i += l;
                        } else {
                                fprintf(f, "\\x%02x", c);
                                i++;
                        }
                        continue;
                }
                if (!html_special(f, c)) {
                        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
                                fprintf(f, "\\x%02x", c);
                        else
                                fputc(c, f);
                }
                i++;
        }
}

void html_text(FILE *f, const char *s) {
        if (s)
                html_textn(f, s, strlen(s));
}

void html_bytes(FILE *f, const char *s, size_t n) {
        /* A name on the wire is bytes, not text: showing them as \xNN keeps the report honest (no lookalike
         * characters, no invisible ones) and always valid UTF-8. Runs of escaped bytes share one span. */
        bool in_esc = false;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) s[i];
                bool plain = c > 0x20 && c < 0x7f && c != '\\';
                if (plain && in_esc) {
                        fputs("</span>", f);
                        in_esc = false;
                }
                if (plain) {
                        if (!html_special(f, c))
                                fputc(c, f);
                        continue;
                }
                if (!in_esc) {
                        fputs("<span class=\"esc\">", f);
                        in_esc = true;
                }
                fprintf(f, "\\x%02x", c);
        }
        if (in_esc)
                fputs("</span>", f);
}

char *html_fmt_count(uint64_t v, char *buf, size_t len) {
        char tmp[32];
        int n = snprintf(tmp, sizeof tmp, "%" PRIu64, v);
        size_t o = 0;
        for (int i = 0; i < n && o + 1 < len; i++) {
                if (i > 0 && (n - i) % 3 == 0 && o + 2 < len)
                        buf[o++] = ',';
                buf[o++] = tmp[i];
        }
        if (len)
                buf[o < len ? o : len - 1] = 0;
        return buf;
}

/* Three significant digits, at least the integer part. */
static int sig3_decimals(double v) {
        double a = fabs(v);
        return a >= 100 ? 0 : a >= 10 ? 1 : 2;
}

char *html_fmt_bytes(uint64_t v, char *buf, size_t len) {
        static const char *const units[] = { "kB", "MB", "GB", "TB", "PB" };
        if (v < 1000) {
                snprintf(buf, len, "%" PRIu64 " B", v);
                return buf;
        }
        double x = (double) v;
        int u = -1;
        while (x >= 999.5 && u < 4) {
                x /= 1000;
                u++;
        }
        snprintf(buf, len, "%.*f %s", sig3_decimals(x), x, units[u]);
        return buf;
}

char *html_fmt_bits(double bps, char *buf, size_t len) {
        static const char *const units[] = { "bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s" };
        if (!isfinite(bps) || bps < 0)
                bps = 0;
        int u = 0;
        while (bps >= 999.5 && u < 4) {
                bps /= 1000;
                u++;
        }
        snprintf(buf, len, "%.*f %s", u ? sig3_decimals(bps) : 0, bps, units[u]);
        return buf;
}

char *html_fmt_dur(int64_t ns, char *buf, size_t len) {
        const char *sign = ns < 0 ? "-" : "";
        double a = fabs((double) ns);
        if (a == 0)
                snprintf(buf, len, "0 s");
        else if (a < 1e3)
                snprintf(buf, len, "%s%.0f ns", sign, a);
        else if (a < 1e6)
                snprintf(buf, len, "%s%.*f µs", sign, sig3_decimals(a / 1e3), a / 1e3);
        else if (a < 1e9)
                snprintf(buf, len, "%s%.*f ms", sign, sig3_decimals(a / 1e6), a / 1e6);
        else if (a < 60e9)
                snprintf(buf, len, "%s%.*f s", sign, sig3_decimals(a / 1e9), a / 1e9);
        else {
                uint64_t s = (uint64_t) (a / 1e9 + 0.5);
                if (s < 3600)
                        snprintf(buf, len, "%s%" PRIu64 " min %02" PRIu64 " s", sign, s / 60, s % 60);
                else
                        snprintf(buf, len, "%s%" PRIu64 " h %02" PRIu64 " min", sign, s / 3600, s / 60 % 60);
        }
        return buf;
}

char *html_fmt_ms(int64_t ns, char *buf, size_t len) {
        snprintf(buf, len, "%.3f", (double) ns / 1e6);
        return buf;
}

char *html_fmt_ts(int64_t ns, bool nano, char *buf, size_t len) {
        int64_t sec = ns / 1000000000LL, frac = ns % 1000000000LL;
        if (frac < 0) {
                frac += 1000000000LL;
                sec--;
        }
        time_t t = (time_t) sec;
        struct tm tm;
        if (!gmtime_r(&t, &tm)) {
                snprintf(buf, len, "?");
                return buf;
        }
        char d[32];
        strftime(d, sizeof d, "%Y-%m-%d %H:%M:%S", &tm);
        if (nano)
                snprintf(buf, len, "%s.%09" PRId64 " UTC", d, frac);
        else
                snprintf(buf, len, "%s.%06" PRId64 " UTC", d, frac / 1000);
        return buf;
}

char *html_fmt_pct(double part, double whole, char *buf, size_t len) {
        if (whole <= 0) {
                snprintf(buf, len, "–");
                return buf;
        }
        double p = 100.0 * part / whole;
        if (p > 0 && p < 0.1)
                snprintf(buf, len, "&lt;0.1 %%");
        else
                snprintf(buf, len, "%.1f %%", p);
        return buf;
}

char *html_fmt_rel(int64_t ns, int64_t t0, char *buf, size_t len) {
        snprintf(buf, len, "%.6f", (double) (ns - t0) / 1e9);
        return buf;
}
