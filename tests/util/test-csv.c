/* lib/util/csv: csv_field() quoting, the empty string, the formula guard; csv_record_end(). */
#include <stdlib.h>

#include "../check.h"

#include "util/csv.h"

/* the record made of the given fields (NULL-terminated), each with the same flags */
static const char *record(char *buf, size_t size, unsigned flags, const char *const *fields) {
        FILE *f = fmemopen(buf, size, "w");
        if (!f)
                abort();
        for (size_t i = 0; fields[i]; i++)
                csv_field(f, fields[i], strlen(fields[i]), flags | (i == 0 ? CSV_FIRST : 0));
        csv_record_end(f);
        fclose(f);
        return buf;
}

#define REC(flags, expect, ...)                                                                                    \
        do {                                                                                                       \
                char _b[256];                                                                                      \
                static const char *const _f[] = { __VA_ARGS__, NULL };                                             \
                CHECK_STR(record(_b, sizeof _b, flags, _f), expect);                                               \
        } while (0)

int main(void) {
        tu_current = "plain";
        REC(0, "a,b,c\r\n", "a", "b", "c");
        REC(0, "1.5,-2,true,\r\n", "1.5", "-2", "true", "");
        REC(CSV_TEXT, "abc,/x/y\r\n", "abc", "/x/y");

        tu_current = "quoted";
        REC(CSV_TEXT, "\"a,b\",\"say \"\"hi\"\"\",\"\"\"\"\r\n", "a,b", "say \"hi\"", "\"");
        REC(CSV_TEXT, "\"line\r\nbreak\",\"lf\nonly\",\"cr\ronly\"\r\n", "line\r\nbreak", "lf\nonly", "cr\ronly");
        REC(CSV_TEXT, "caf\xc3\xa9,\xe2\x80\xa8\r\n", "caf\xc3\xa9", "\xe2\x80\xa8"); /* non-ASCII as it is */

        tu_current = "empty";
        REC(CSV_TEXT, "\"\",x\r\n", "", "x");  /* an empty string */
        REC(0, ",x\r\n", "", "x");             /* a missing value */

        tu_current = "guard";
        REC(CSV_TEXT, "'=1+1,'+1,'-1,'@SUM(A1),'\tx\r\n", "=1+1", "+1", "-1", "@SUM(A1)", "\tx");
        REC(CSV_TEXT, "\"'\rx\",''quoted'\r\n", "\rx", "'quoted'");
        REC(CSV_TEXT, "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"\r\n", "=HYPERLINK(\"http://x\",\"y\")");
        REC(CSV_TEXT, "a=1,x-\r\n", "a=1", "x-");  /* only the first character counts */
        REC(0, "-1,+1\r\n", "-1", "+1");           /* numbers are never guarded */
        return tu_exit();
}
