/* libFuzzer target for the thresholds' configuration file (lib/engine/threshold.c), what an operator's
 * /etc/pcapd/analyzer.conf or a --config file holds: thresholds_load() on any bytes, and the first line also
 * as --threshold NAME=VALUE and -l MS. Checks what it promises, aborting otherwise: a file that loads gives
 * values that are finite and in range (thresholds_check), show-config's output of them loads back to the same
 * values, and a file that fails changes nothing. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/threshold.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static thresholds_t t, before, back;
        char err[256];
        FILE *f;

        thresholds_default(&t);
        before = t;
        f = fmemopen((void *) data, size, "r");
        if (!f)
                return 0;
        int r = thresholds_load(&t, f, "fuzz.conf", err, sizeof err);
        fclose(f);
        if (r < 0) {
                if (memcmp(&t, &before, sizeof t) != 0 || !err[0])
                        abort(); /* a failed file changes nothing, and says why */
        } else {
                if (thresholds_check(&t, NULL) < 0)
                        abort();
                char *text = NULL;
                size_t len = 0;
                FILE *o = open_memstream(&text, &len);
                if (!o)
                        return 0;
                if (thresholds_print(&t, o) < 0)
                        abort();
                fclose(o);
                thresholds_default(&back);
                f = fmemopen(text, len, "r");
                if (!f || thresholds_load(&back, f, "shown.conf", err, sizeof err) < 0)
                        abort();
                fclose(f);
                for (unsigned i = 0; i < _TH_MAX; i++)
                        if (back.v[i] != t.v[i])
                                abort();
                free(text);
        }

        /* the first line as an option's argument */
        char line[THRESHOLD_LINE_MAX];
        size_t n = 0;
        while (n < size && n < sizeof line - 1 && data[n] != '\n' && data[n] != 0) {
                line[n] = (char) data[n];
                n++;
        }
        line[n] = 0;
        thresholds_default(&t);
        if (thresholds_set_assignment(&t, line, TS_OPTION, NULL) == 0 && thresholds_check(&t, NULL) < 0)
                abort();
        thresholds_default(&t);
        if (thresholds_set_latency(&t, line, TS_LATENCY, NULL) == 0 && thresholds_check(&t, NULL) < 0)
                abort();
        return 0;
}
