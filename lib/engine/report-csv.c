/* The CSV export (REPORT-SCHEMA.md, "CSV export"): the JSON report's own calls (report_json_emit() into a
 * json sink) cut into tables, one RFC 4180 file each, written into a directory all or nothing. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "report-json.h"
#include "util/csv.h"
#include "util/hex.h"
#include "util/jsonesc.h"
#include "util/macro.h"
#include "util/random.h"

/* One file per list of the report that is a table. summary.csv takes every other member, one row each. To
 * export a new list as its own table, add a line here and to REPORT-SCHEMA.md's "CSV export". */
typedef struct table_def {
        const char *file;
        const char *path;  /* the JSON list, dotted; a * stands for any one member name */
        const char *label; /* with a *: the first column, holding the name the * stood for */
        bool by_column;    /* path is an object whose lists are the columns: row i holds their i-th values */
} table_def_t;

static const table_def_t table_defs[] = {
        { "summary.csv", NULL, NULL, false }, /* must stay first */
        { "findings.csv", "findings", NULL, false },
        { "penalties.csv", "health.penalties", NULL, false },
        { "causes.csv", "where_time_went.causes", NULL, false },
        { "flows.csv", "flows.worst", NULL, false },
        { "transactions.csv", "transactions.items", NULL, false },
        { "transaction_connections.csv", "transactions.by_connection", NULL, false },
        { "transfers.csv", "tcp.transfers.items", NULL, false },
        { "transfer_trace.csv", "tcp.transfers.trace", NULL, true },
        { "events.csv", "events.*.items", "event", false },
        { "hosts.csv", "talkers.hosts", NULL, false },
        { "conversations.csv", "talkers.conversations", NULL, false },
        { "services.csv", "services", NULL, false },
        { "link_types.csv", "capture.link_types", NULL, false },
        { "dns_ports.csv", "dns.other_ports.ports", NULL, false },
        { "dns_response_time_histogram.csv", "dns.response_time_histogram", NULL, false },
        { "handshake_rtt_histogram.csv", "tcp.handshakes.rtt_histogram", NULL, false },
        { "series.csv", "series", NULL, true },
        { "gaps.csv", "timing.gaps.items", NULL, false },
        { "bursts.csv", "timing.largest_bursts", NULL, false },
        { "peak_periods.csv", "timing.periods.peaks", NULL, false },
        { "quiet_periods.csv", "timing.periods.quiet", NULL, false },
        { "connections.csv", "connections.items", NULL, false },
};
#define N_TABLES ELEMENTSOF(table_defs)

#define CELL_JSON 0xff /* a list inside a row or in the summary: one cell holding its JSON text */
#define NAME_MAX_LEN 512
#define DEPTH_MAX (JSON_DEPTH_MAX + 1)

typedef struct cell {
        uint32_t row, col; /* col: index in the table's names */
        size_t off, len;   /* in the table's text */
        uint8_t type;      /* json_type_t or CELL_JSON */
} cell_t;

typedef struct sheet {
        char **names; /* the columns, in the order they were met */
        uint32_t n_names, n_rows;
        cell_t *cells; /* in the order the writer made them */
        size_t n_cells, cap_cells;
        char *text;
        size_t n_text, cap_text;
} sheet_t;

typedef struct level {
        size_t path_len; /* of the path before this level */
        bool array;
        uint32_t index;  /* the next element of an array */
} level_t;

typedef struct builder {
        sheet_t t[N_TABLES];
        int err;
        char path[NAME_MAX_LEN]; /* dotted names down to the current level */
        size_t path_len;
        level_t lv[DEPTH_MAX];
        int depth;
        /* inside a table (-1: none): which, the level of its list (or object), the row being filled and where its
         * members' names start in path, the name the table's * stood for, the by-column list being read */
        int table, table_depth;
        uint32_t row;
        size_t row_path;
        char label[NAME_MAX_LEN];
        char column[NAME_MAX_LEN];
        /* a list written as JSON text into one cell (0: none): from which level, where the cell goes */
        int json_depth;
        char *json;
        size_t n_json, cap_json;
        bool json_first[DEPTH_MAX];
        bool json_array[DEPTH_MAX];
        int json_table;
        uint32_t json_row;
        char json_name[NAME_MAX_LEN];
} builder_t;

static void *grow(builder_t *b, void *p, size_t *cap, size_t need, size_t elem) {
        if (need <= *cap)
                return p;
        size_t c = *cap ? *cap : 64;
        while (c < need)
                c *= 2;
        void *q = reallocarray(p, c, elem);
        if (!q) {
                b->err = -ENOMEM;
                return NULL;
        }
        *cap = c;
        return q;
}

static int sheet_column(builder_t *b, sheet_t *t, const char *name) {
        for (uint32_t i = 0; i < t->n_names; i++)
                if (strcmp(t->names[i], name) == 0)
                        return (int) i;
        char **n = reallocarray(t->names, t->n_names + 1, sizeof *n);
        if (!n) {
                b->err = -ENOMEM;
                return -1;
        }
        t->names = n;
        if (!(n[t->n_names] = strdup(name))) {
                b->err = -ENOMEM;
                return -1;
        }
        return (int) t->n_names++;
}

/* Strings are kept as a reader of the JSON report gets them: invalid UTF-8 becomes U+FFFD, as in json_escape(). */
static void sheet_put_text(builder_t *b, sheet_t *t, const char *s, size_t n, bool check_utf8) {
        char *p = grow(b, t->text, &t->cap_text, t->n_text + 3 * n, 1);
        if (!p)
                return;
        t->text = p;
        for (size_t i = 0; i < n;) {
                size_t l = check_utf8 ? utf8_valid_len((const unsigned char *) s + i, n - i) : n - i;
                if (l == 0) {
                        memcpy(p + t->n_text, "\xef\xbf\xbd", 3);
                        t->n_text += 3;
                        i++;
                } else {
                        memcpy(p + t->n_text, s + i, l);
                        t->n_text += l;
                        i += l;
                }
        }
}

static void sheet_add(builder_t *b, int ti, uint32_t row, const char *col, uint8_t type, const char *s, size_t n) {
        sheet_t *t = &b->t[ti];
        if (b->err < 0)
                return;
        int c = sheet_column(b, t, col);
        if (c < 0)
                return;
        cell_t *cells = grow(b, t->cells, &t->cap_cells, t->n_cells + 1, sizeof *cells);
        if (!cells)
                return;
        t->cells = cells;
        size_t off = t->n_text;
        sheet_put_text(b, t, s, n, type == JSON_STRING);
        if (b->err < 0)
                return;
        cells[t->n_cells++] = (cell_t) {
                .row = row, .col = (uint32_t) c, .off = off, .len = t->n_text - off, .type = type,
        };
        if (row >= t->n_rows)
                t->n_rows = row + 1;
}

static void summary_add(builder_t *b, const char *name, uint8_t type, const char *s, size_t n) {
        uint32_t row = b->t[0].n_rows;
        sheet_add(b, 0, row, "member", JSON_STRING, name, strlen(name));
        sheet_add(b, 0, row, "value", type, s, n);
}

/* A row of the current table begins (its label first). */
static void row_begin(builder_t *b) {
        b->row = b->t[b->table].n_rows;
        b->row_path = b->path_len;
        if (table_defs[b->table].label)
                sheet_add(b, b->table, b->row, table_defs[b->table].label, JSON_STRING, b->label, strlen(b->label));
}

/* path[from..] and key, joined by a dot (a name too long for the buffer stops the export: -E2BIG) */
static const char *member_name(builder_t *b, size_t from, const char *key, char buf[static NAME_MAX_LEN]) {
        const char *p = from < b->path_len ? b->path + from + (from ? 1 : 0) : "";
        int n = snprintf(buf, NAME_MAX_LEN, "%s%s%s", p, *p && key ? "." : "", key ? key : "");
        if (n < 0 || n >= NAME_MAX_LEN)
                b->err = -E2BIG;
        return buf;
}

/* The table whose list (or by-column object) the current path is, the name its * stood for in label; or -1. */
static int table_match(const builder_t *b, bool array, char label[static NAME_MAX_LEN]) {
        for (size_t i = 1; i < N_TABLES; i++) {
                const table_def_t *d = &table_defs[i];
                if (d->by_column == array)
                        continue;
                const char *p = b->path, *end = b->path + b->path_len, *q = d->path;
                label[0] = 0;
                for (;;) {
                        size_t seg = strcspn(p, "."), qseg = strcspn(q, ".");
                        if (p + seg > end)
                                seg = (size_t) (end - p);
                        if (qseg == 1 && *q == '*')
                                snprintf(label, NAME_MAX_LEN, "%.*s", (int) seg, p);
                        else if (qseg != seg || memcmp(p, q, seg) != 0)
                                break;
                        p += seg;
                        q += qseg;
                        if (p == end || !*q) {
                                if (p == end && !*q)
                                        return (int) i;
                                break;
                        }
                        p++, q++;
                }
        }
        return -1;
}

static void json_text(builder_t *b, const char *s, size_t n) {
        char *p = grow(b, b->json, &b->cap_json, b->n_json + n, 1);
        if (!p)
                return;
        b->json = p;
        memcpy(p + b->n_json, s, n);
        b->n_json += n;
}

static void json_text_put(void *ctx, const char *p, size_t n) {
        json_text(ctx, p, n);
}

/* the comma and the key before a member of the list being written as JSON text */
static void json_text_member(builder_t *b, const char *key) {
        if (!b->json_first[b->depth])
                json_text(b, ",", 1);
        b->json_first[b->depth] = false;
        if (key) {
                json_text(b, "\"", 1);
                json_escape(key, strlen(key), json_text_put, b);
                json_text(b, "\":", 2);
        }
}

static bool push(builder_t *b, const char *key, bool array) {
        if (b->depth + 1 >= DEPTH_MAX) {
                b->err = -E2BIG;
                return false;
        }
        level_t *l = &b->lv[++b->depth];
        *l = (level_t) { .path_len = b->path_len, .array = array };
        if (key) {
                int n = snprintf(b->path + b->path_len, sizeof b->path - b->path_len, "%s%s", b->path_len ? "." : "",
                                 key);
                if (n < 0 || (size_t) n >= sizeof b->path - b->path_len) {
                        b->err = -E2BIG;
                        return false;
                }
                b->path_len += (size_t) n;
        }
        b->json_first[b->depth] = true;
        b->json_array[b->depth] = array;
        return true;
}

/* The level just pushed is written as JSON text into one cell of table ti (0: the summary). */
static void json_text_begin(builder_t *b, int ti, uint32_t row, const char *name) {
        b->json_depth = b->depth;
        b->json_table = ti;
        b->json_row = row;
        snprintf(b->json_name, sizeof b->json_name, "%s", name);
        b->n_json = 0;
        json_text(b, b->json_array[b->depth] ? "[" : "{", 1);
}

static void on_open(void *userdata, const char *key, bool array) {
        builder_t *b = userdata;
        char name[NAME_MAX_LEN];
        if (b->err < 0)
                return;
        if (b->json_depth) {
                json_text_member(b, key);
                json_text(b, array ? "[" : "{", 1);
                push(b, key, array);
                return;
        }
        uint32_t index = b->lv[b->depth].index;
        if (b->lv[b->depth].array)
                b->lv[b->depth].index++;
        if (!push(b, key, array))
                return;
        if (b->table > 0) {
                const table_def_t *d = &table_defs[b->table];
                if (!d->by_column) {
                        if (b->depth == b->table_depth + 1) { /* an element of the table's list: a row */
                                row_begin(b);
                                if (array)
                                        json_text_begin(b, b->table, b->row, "value");
                        } else if (array) /* a list inside a row: one cell */
                                json_text_begin(b, b->table, b->row, member_name(b, b->row_path, NULL, name));
                        return;
                }
                if (b->depth == b->table_depth + 1) {
                        if (array) /* a column; a member that is an object goes to the summary */
                                snprintf(b->column, sizeof b->column, "%s", key ? key : "value");
                        return;
                }
                if (b->depth == b->table_depth + 2 && b->lv[b->depth - 1].array) { /* a list or object in a column */
                        json_text_begin(b, b->table, index, b->column);
                        return;
                }
        } else {
                int ti = table_match(b, array, b->label);
                if (ti > 0) {
                        b->table = ti;
                        b->table_depth = b->depth;
                        return;
                }
        }
        if (array) /* a list that is no table: one cell of the summary */
                json_text_begin(b, 0, 0, member_name(b, 0, NULL, name));
}

static void on_close(void *userdata) {
        builder_t *b = userdata;
        if (b->err < 0)
                return;
        if (b->json_depth) {
                json_text(b, b->json_array[b->depth] ? "]" : "}", 1);
                if (b->depth == b->json_depth) {
                        b->json_depth = 0;
                        if (b->json_table == 0)
                                summary_add(b, b->json_name, CELL_JSON, b->json, b->n_json);
                        else
                                sheet_add(b, b->json_table, b->json_row, b->json_name, CELL_JSON, b->json, b->n_json);
                }
        }
        if (b->depth == 0)
                return;
        b->path_len = b->lv[b->depth].path_len;
        b->path[b->path_len] = 0;
        b->depth--;
        if (b->table > 0 && b->depth < b->table_depth)
                b->table = -1;
}

static void on_value(void *userdata, const char *key, json_type_t type, const char *text, size_t n) {
        builder_t *b = userdata;
        char name[NAME_MAX_LEN];
        if (b->err < 0)
                return;
        if (b->json_depth) {
                json_text_member(b, key);
                if (type == JSON_STRING) {
                        json_text(b, "\"", 1);
                        json_escape(text, n, json_text_put, b);
                        json_text(b, "\"", 1);
                } else if (type == JSON_NULL)
                        json_text(b, "null", 4);
                else
                        json_text(b, text, n);
                return;
        }
        uint32_t index = b->lv[b->depth].index;
        if (b->lv[b->depth].array)
                b->lv[b->depth].index++;
        if (b->table > 0) {
                const table_def_t *d = &table_defs[b->table];
                if (!d->by_column) {
                        if (b->depth == b->table_depth) { /* a list of values: a row each */
                                row_begin(b);
                                sheet_add(b, b->table, b->row, "value", type, text, n);
                        } else
                                sheet_add(b, b->table, b->row, member_name(b, b->row_path, key, name), type, text, n);
                        return;
                }
                if (b->depth == b->table_depth + 1 && b->lv[b->depth].array) {
                        sheet_add(b, b->table, index, b->column, type, text, n);
                        return;
                }
        }
        summary_add(b, member_name(b, 0, key, name), type, text, n);
}

static const json_sink_t builder_sink = { .open = on_open, .close = on_close, .value = on_value };

static void builder_done(builder_t *b) {
        for (size_t i = 0; i < N_TABLES; i++) {
                sheet_t *t = &b->t[i];
                for (uint32_t k = 0; k < t->n_names; k++)
                        free(t->names[k]);
                free(t->names);
                free(t->cells);
                free(t->text);
        }
        free(b->json);
}

/* The order of a table's columns: a column met for the first time goes before the next column of its row that
 * is already placed (at the end when there is none), so that rows with members others lack (a TCP flow's
 * figures, an event's own members) keep the JSON's order whichever row comes first. ret[i] is the name index
 * of the i-th column. */
static int sheet_order(const sheet_t *t, uint32_t **ret) {
        _cleanup_free_ uint32_t *order = calloc(t->n_names ? t->n_names : 1, sizeof *order);
        _cleanup_free_ int64_t *pos = malloc(sizeof *pos * (t->n_names ? t->n_names : 1));
        if (!order || !pos)
                return -ENOMEM;
        for (uint32_t i = 0; i < t->n_names; i++)
                pos[i] = -1;
        uint32_t n = 0;
        for (size_t start = 0, end; start < t->n_cells; start = end) {
                for (end = start + 1; end < t->n_cells && t->cells[end].row == t->cells[start].row;)
                        end++; /* the cells of one row: [start, end) */
                uint32_t next = n;
                for (size_t k = end; k > start; k--) {
                        uint32_t c = t->cells[k - 1].col;
                        if (pos[c] >= 0) {
                                next = (uint32_t) pos[c];
                                continue;
                        }
                        memmove(order + next + 1, order + next, sizeof *order * (n - next));
                        order[next] = c;
                        n++;
                        for (uint32_t i = next; i < n; i++)
                                pos[order[i]] = i;
                }
        }
        *ret = TAKE_PTR(order);
        return 0;
}

/* The header (the members' names) and the rows; a table without rows is an empty file. */
static int sheet_write(const sheet_t *t, FILE *f) {
        if (t->n_rows == 0)
                return 0;
        _cleanup_free_ uint32_t *order = NULL;
        int r = sheet_order(t, &order);
        if (r < 0)
                return r;
        /* the cells by row (a counting sort: by_row[start[r] .. start[r + 1]) are row r's), one row at a time */
        _cleanup_free_ size_t *start = calloc((size_t) t->n_rows + 1, sizeof *start);
        _cleanup_free_ size_t *by_row = malloc(sizeof *by_row * t->n_cells);
        _cleanup_free_ int64_t *line = malloc(sizeof *line * t->n_names);
        if (!start || !by_row || !line)
                return -ENOMEM;
        for (size_t k = 0; k < t->n_cells; k++)
                start[t->cells[k].row + 1]++;
        for (uint32_t row = 0; row < t->n_rows; row++)
                start[row + 1] += start[row];
        for (size_t k = 0, *next = start; k < t->n_cells; k++)
                by_row[next[t->cells[k].row]++] = k;
        for (uint32_t row = t->n_rows; row > 0; row--) /* the placing moved each start to the next row's */
                start[row] = start[row - 1];
        start[0] = 0;
        for (uint32_t i = 0; i < t->n_names; i++)
                csv_field(f, t->names[order[i]], strlen(t->names[order[i]]), CSV_TEXT | (i == 0 ? CSV_FIRST : 0));
        csv_record_end(f);
        for (uint32_t row = 0; row < t->n_rows; row++) {
                for (uint32_t i = 0; i < t->n_names; i++)
                        line[i] = -1;
                for (size_t k = start[row]; k < start[row + 1]; k++)
                        line[t->cells[by_row[k]].col] = (int64_t) by_row[k];
                for (uint32_t i = 0; i < t->n_names; i++) {
                        int64_t k = line[order[i]];
                        unsigned flags = i == 0 ? CSV_FIRST : 0;
                        if (k < 0) {
                                csv_field(f, "", 0, flags); /* a member this row does not have */
                                continue;
                        }
                        const cell_t *c = &t->cells[k];
                        if (c->type == JSON_STRING || c->type == CELL_JSON)
                                flags |= CSV_TEXT;
                        csv_field(f, t->text + c->off, c->len, flags);
                }
                csv_record_end(f);
        }
        return 0;
}

/* Each table to a new file of a random name, renamed to its own name only once all were written: a failed run
 * leaves the directory as it was. */
static int sheets_write(const builder_t *b, int dirfd) {
        char tmp[N_TABLES][NAME_MAX_LEN] = {};
        int r = 0;
        size_t i;
        for (i = 0; i < N_TABLES && r >= 0; i++) {
                uint8_t rnd[8];
                char hex[2 * sizeof rnd + 1];
                r = random_bytes(rnd, sizeof rnd);
                if (r < 0)
                        break;
                hex_encode(rnd, sizeof rnd, hex);
                snprintf(tmp[i], sizeof tmp[i], ".%s.%s", table_defs[i].file, hex);
                int fd = openat(dirfd, tmp[i], O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
                if (fd < 0) {
                        r = -errno;
                        tmp[i][0] = 0;
                        break;
                }
                FILE *f = fdopen(fd, "w");
                if (!f) {
                        r = -errno;
                        close(fd);
                        break;
                }
                r = sheet_write(&b->t[i], f);
                if (r >= 0 && (fflush(f) != 0 || ferror(f)))
                        r = -(errno ? errno : EIO);
                if (fclose(f) != 0 && r >= 0)
                        r = -errno;
        }
        for (i = 0; i < N_TABLES && r >= 0; i++)
                if (renameat(dirfd, tmp[i], dirfd, table_defs[i].file) < 0)
                        r = -errno;
                else
                        tmp[i][0] = 0;
        for (i = 0; i < N_TABLES; i++)
                if (tmp[i][0])
                        (void) unlinkat(dirfd, tmp[i], 0);
        return r;
}

int report_csv(const analysis_t *a, int dirfd) {
        _cleanup_free_ builder_t *b = calloc(1, sizeof *b);
        if (!b)
                return -ENOMEM;
        b->table = -1;
        json_t j;
        json_init_sink(&j, &builder_sink, b);
        report_json_emit(&j, a);
        int r = b->err < 0 ? b->err : sheets_write(b, dirfd);
        builder_done(b);
        return r;
}
