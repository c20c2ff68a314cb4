/* The thresholds' table, their parser (one number in its unit), the configuration file and show-config. */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "threshold.h"
#include "util/macro.h"

typedef struct threshold_info {
        const char *name;
        threshold_unit_t unit;
        double def, min, max;
        bool latency;
        const char *description;
} threshold_info_t;

static const threshold_info_t info[_TH_MAX] = {
#define THRESHOLD_INFO_(id, n, u, d, lo, hi, lat, desc) \
        [TH_##id] = { .name = n, .unit = u, .def = d, .min = lo, .max = hi, .latency = lat, .description = desc },
        THRESHOLD_LIST(THRESHOLD_INFO_)
#undef THRESHOLD_INFO_
};

static const char *const unit_names[_TU_MAX] = {
        [TU_MS] = "ms", [TU_PERCENT] = "%", [TU_COUNT] = "count", [TU_BYTES] = "bytes",
};

static const char *const source_names[_TS_MAX] = {
        [TS_DEFAULT] = "default", [TS_FILE_LATENCY] = "file", [TS_FILE] = "file",
        [TS_LATENCY] = "--latency", [TS_OPTION] = "--threshold",
};

const char *threshold_name(threshold_id_t id) {
        return id < _TH_MAX ? info[id].name : NULL;
}

const char *threshold_unit_name(threshold_id_t id) {
        return id < _TH_MAX ? unit_names[info[id].unit] : NULL;
}

const char *threshold_description(threshold_id_t id) {
        return id < _TH_MAX ? info[id].description : NULL;
}

double threshold_default(threshold_id_t id) {
        return id < _TH_MAX ? info[id].def : NAN;
}

bool threshold_is_latency(threshold_id_t id) {
        return id < _TH_MAX && info[id].latency;
}

void thresholds_default(thresholds_t *t) {
        memset(t, 0, sizeof *t);
        for (unsigned i = 0; i < _TH_MAX; i++) {
                t->v[i] = info[i].def;
                t->source[i] = TS_DEFAULT;
                snprintf(t->origin[i], sizeof t->origin[i], "default");
        }
}

int threshold_lookup(const char *name) {
        if (!name)
                return -EINVAL;
        for (unsigned i = 0; i < _TH_MAX; i++)
                if (strcmp(info[i].name, name) == 0)
                        return (int) i;
        return -ENOENT;
}

/* A decimal number, read in the C locale whatever the process's: digits, one '.', an exponent; no sign
 * other than a leading '-' (refused by the range of every threshold, but read as a number), no blanks, no
 * hexadecimal, no "inf"/"nan". */
static int parse_number(const char *s, double *ret) {
        if (!s || !*s || strlen(s) > 64)
                return -EINVAL;
        for (const char *p = s; *p; p++)
                if (!strchr("0123456789.eE+-", *p))
                        return -EINVAL;
        if (!strchr("0123456789.-", s[0]))
                return -EINVAL;
        locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t) 0);
        if (c == (locale_t) 0)
                return -ENOMEM;
        locale_t old = uselocale(c);
        char *end = NULL;
        errno = 0;
        double v = strtod(s, &end);
        int e = errno;
        uselocale(old);
        freelocale(c);
        if (!end || *end || end == s)
                return -EINVAL;
        if (e == ERANGE || !isfinite(v))
                return -ERANGE;
        *ret = v;
        return 0;
}

static int set_value(thresholds_t *t, threshold_id_t id, double v, threshold_source_t source, const char *origin) {
        if (!isfinite(v) || v < info[id].min || v > info[id].max)
                return -ERANGE;
        if (t->source[id] > source)
                return 0;
        t->v[id] = v;
        t->source[id] = (uint8_t) source;
        snprintf(t->origin[id], sizeof t->origin[id], "%s", origin ? origin : source_names[source]);
        return 0;
}

int thresholds_set(thresholds_t *t, const char *name, const char *value, threshold_source_t source,
                   const char *origin) {
        if (!t || !name || source >= _TS_MAX)
                return -EINVAL;
        int id = threshold_lookup(name);
        if (id < 0)
                return id;
        double v;
        int r = parse_number(value, &v);
        if (r < 0)
                return r;
        return set_value(t, (threshold_id_t) id, v, source, origin);
}

int thresholds_set_assignment(thresholds_t *t, const char *assignment, threshold_source_t source,
                              const char *origin) {
        if (!assignment)
                return -EINVAL;
        const char *eq = strchr(assignment, '=');
        if (!eq || eq == assignment || eq - assignment >= 64)
                return eq && eq != assignment ? -ENOENT : -EINVAL;
        char name[64];
        memcpy(name, assignment, (size_t) (eq - assignment));
        name[eq - assignment] = 0;
        return thresholds_set(t, name, eq + 1, source, origin);
}

int thresholds_set_latency(thresholds_t *t, const char *ms, threshold_source_t source, const char *origin) {
        double v;
        int r = parse_number(ms, &v);
        if (r < 0)
                return r;
        /* every latency threshold takes it, or none does */
        for (unsigned i = 0; i < _TH_MAX; i++)
                if (info[i].latency && (v < info[i].min || v > info[i].max))
                        return -ERANGE;
        for (unsigned i = 0; i < _TH_MAX; i++)
                if (info[i].latency)
                        (void) set_value(t, (threshold_id_t) i, v, source, origin);
        return 0;
}

int thresholds_check(const thresholds_t *t, threshold_id_t *ret_bad) {
        for (unsigned i = 0; i < _TH_MAX; i++)
                if (!isfinite(t->v[i]) || t->v[i] < info[i].min || t->v[i] > info[i].max) {
                        if (ret_bad)
                                *ret_bad = (threshold_id_t) i;
                        return -ERANGE;
                }
        return 0;
}

static char *strip(char *s) {
        while (*s == ' ' || *s == '\t')
                s++;
        size_t l = strlen(s);
        while (l > 0 && (s[l - 1] == ' ' || s[l - 1] == '\t' || s[l - 1] == '\r' || s[l - 1] == '\n'))
                s[--l] = 0;
        return s;
}

static const char *set_error(int r) {
        switch (r) {
        case -ENOENT: return "unknown threshold (pcap-analyzer show-config lists them)";
        case -EINVAL: return "the value is not a decimal number";
        case -ERANGE: return "the value is out of the threshold's range";
        default: return strerror(-r);
        }
}

int thresholds_load(thresholds_t *t, FILE *f, const char *path, char *errbuf, size_t errlen) {
        if (!t || !f)
                return -EINVAL;
        if (!path)
                path = "-";
        thresholds_t n = *t;
        /* latency_ms is applied where it stands with a rank of its own: a NAME= before or after it wins */
        char line[THRESHOLD_LINE_MAX + 2];
        char origin[THRESHOLD_ORIGIN_MAX];
        size_t total = 0;
        unsigned lineno = 0;
        bool in_section = false, saw_section = false;
        int r;

        while (fgets(line, sizeof line, f)) {
                size_t l = strlen(line);
                lineno++;
                total += l;
                if (total > THRESHOLD_FILE_MAX) {
                        snprintf(errbuf, errlen, "%s: larger than %u bytes", path, THRESHOLD_FILE_MAX);
                        return -EFBIG;
                }
                if (l > THRESHOLD_LINE_MAX || (l == sizeof line - 1 && line[l - 1] != '\n' && !feof(f))) {
                        snprintf(errbuf, errlen, "%s:%u: line longer than %u bytes", path, lineno,
                                 THRESHOLD_LINE_MAX);
                        return -EINVAL;
                }
                char *s = strip(line);
                if (!*s || *s == '#' || *s == ';')
                        continue;
                if (*s == '[') {
                        size_t sl = strlen(s);
                        if (s[sl - 1] != ']') {
                                snprintf(errbuf, errlen, "%s:%u: a section header is [Name]", path, lineno);
                                return -EINVAL;
                        }
                        s[sl - 1] = 0;
                        in_section = strcmp(s + 1, "Thresholds") == 0;
                        if (!in_section) {
                                snprintf(errbuf, errlen, "%s:%u: unknown section [%.64s] (only [Thresholds])",
                                         path, lineno, s + 1);
                                return -EINVAL;
                        }
                        saw_section = true;
                        continue;
                }
                if (!in_section) {
                        snprintf(errbuf, errlen, "%s:%u: assignment outside [Thresholds]", path, lineno);
                        return -EINVAL;
                }
                char *eq = strchr(s, '=');
                if (!eq) {
                        snprintf(errbuf, errlen, "%s:%u: expected NAME=VALUE", path, lineno);
                        return -EINVAL;
                }
                *eq = 0;
                char *name = strip(s), *value = strip(eq + 1);
                snprintf(origin, sizeof origin, "%.80s:%u", path, lineno);
                if (strcmp(name, "latency_ms") == 0)
                        r = thresholds_set_latency(&n, value, TS_FILE_LATENCY, origin);
                else
                        r = thresholds_set(&n, name, value, TS_FILE, origin);
                if (r < 0) {
                        snprintf(errbuf, errlen, "%s:%u: %.64s: %s", path, lineno, name, set_error(r));
                        return r;
                }
        }
        if (ferror(f)) {
                r = errno > 0 ? -errno : -EIO;
                snprintf(errbuf, errlen, "%s: %s", path, strerror(-r));
                return r;
        }
        (void) saw_section;
        *t = n;
        return 0;
}

const char *threshold_format(double v, char *buf, size_t len) {
        locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t) 0);
        locale_t old = c != (locale_t) 0 ? uselocale(c) : (locale_t) 0;
        /* fixed notation with the fewest decimals that read back to v (no "2e+02"), else 17 digits */
        bool exact = false;
        for (int dec = 0; dec <= 9 && !exact && fabs(v) < 1e15; dec++) {
                snprintf(buf, len, "%.*f", dec, v);
                exact = strtod(buf, NULL) == v;
        }
        if (!exact)
                snprintf(buf, len, "%.17g", v);
        if (c != (locale_t) 0) {
                uselocale(old);
                freelocale(c);
        }
        return buf;
}

int thresholds_print(const thresholds_t *t, FILE *out) {
        char v[32], d[32];
        fprintf(out, "# pcap-analyzer's thresholds: the effective value of each and where it came from.\n"
                     "# This output is itself a configuration file (--config, /etc/pcapd/analyzer.conf).\n"
                     "[Thresholds]\n");
        for (unsigned i = 0; i < _TH_MAX; i++) {
                fprintf(out, "\n# %s\n# unit %s, default %s%s; this value from: %s\n", info[i].description,
                        unit_names[info[i].unit], threshold_format(info[i].def, d, sizeof d),
                        info[i].latency ? ", set by --latency" : "", t->origin[i]);
                fprintf(out, "%s=%s\n", info[i].name, threshold_format(t->v[i], v, sizeof v));
        }
        return fflush(out) == 0 && !ferror(out) ? 0 : -EIO;
}
