/* RFC 4180 fields: quoting, and the formula guard for text a spreadsheet would evaluate. */
#include <stdbool.h>
#include <string.h>

#include "csv.h"

static bool csv_needs_guard(const char *s, size_t n) {
        return n > 0 && strchr("=+-@\t\r'", s[0]) && s[0] != '\0';
}

void csv_field(FILE *f, const char *s, size_t n, unsigned flags) {
        if (!(flags & CSV_FIRST))
                fputc(',', f);
        bool text = flags & CSV_TEXT;
        bool quote = (text && n == 0) || memchr(s, ',', n) || memchr(s, '"', n) || memchr(s, '\r', n) ||
                     memchr(s, '\n', n);
        if (quote)
                fputc('"', f);
        if (text && csv_needs_guard(s, n))
                fputc('\'', f);
        for (const char *p = s, *end = s + n; p < end;) {
                const char *q = memchr(p, '"', (size_t) (end - p));
                size_t len = q ? (size_t) (q - p) + 1 : (size_t) (end - p);
                fwrite(p, 1, len, f);
                if (q)
                        fputc('"', f); /* the quote again: "" */
                p += len;
        }
        if (quote)
                fputc('"', f);
}

void csv_record_end(FILE *f) {
        fputs("\r\n", f);
}
