/* Structured logging for the daemons: journald fields, or one JSON object per line on stderr. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "log/log.h"
#include "util/jsonesc.h"

#define LOG_EXTRA_MAX 32

static char log_ident[64] = "pcapd";
static log_target_t log_target = LOG_TARGET_AUTO;
static int log_max_level = LOG_INFO;

/* journald sets JOURNAL_STREAM=dev:ino for the stream it connects to stdout/stderr: only when fd 2 is
 * still that stream are we "under journald" (a redirection in a script breaks the match). */
static bool stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
}

void log_open(const char *ident, log_target_t target) {
        if (ident) {
                const char *slash = strrchr(ident, '/');
                snprintf(log_ident, sizeof(log_ident), "%s", slash ? slash + 1 : ident);
        }
        if (target == LOG_TARGET_AUTO)
                target = stderr_is_journal() ? LOG_TARGET_JOURNAL : LOG_TARGET_JSON;
        log_target = target;
}

log_target_t log_get_target(void) {
        return log_target == LOG_TARGET_AUTO ? LOG_TARGET_JSON : log_target;
}

void log_set_max_level(int level) {
        log_max_level = level;
}

const char *log_field_format(char *buf, size_t size, const char *format, ...) {
        va_list ap;
        va_start(ap, format);
        vsnprintf(buf, size, format, ap);
        va_end(ap);
        return buf;
}

static bool field_key_valid(const char *kv, size_t *ret_keylen) {
        const char *eq = strchr(kv, '=');
        if (!eq || eq == kv || kv[0] == '_' || eq - kv > 64)
                return false;
        for (const char *p = kv; p < eq; p++)
                if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
                        return false;
        *ret_keylen = (size_t) (eq - kv);
        return true;
}

static void json_put(void *ctx, const char *p, size_t n) {
        fwrite(p, 1, n, ctx);
}

static void json_string(FILE *f, const char *s, size_t n) {
        fputc('"', f);
        json_escape(s, n, json_put, f);
        fputc('"', f);
}

static void json_member(FILE *f, const char *key, size_t keylen, const char *value) {
        fputc(',', f);
        json_string(f, key, keylen);
        fputc(':', f);
        json_string(f, value, strlen(value));
}

/* Assembles the line in memory and writes it with one write(): lines from several threads or processes
 * sharing stderr never interleave. */
static void write_line(FILE *mem, char **buf, size_t *len) {
        fputc('\n', mem);
        if (fclose(mem) != 0) {
                free(*buf);
                return;
        }
        for (size_t off = 0; off < *len;) {
                ssize_t n = write(STDERR_FILENO, *buf + off, *len - off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                off += (size_t) n;
        }
        free(*buf);
}

static void emit_json(int priority, const char *errno_str, const char *task_id, const char *event,
                      const char *const *fields, const char *message) {
        char *buf = NULL, ts[40], prio[4];
        size_t len = 0, kl;
        struct timespec now;
        struct tm tm;
        FILE *mem = open_memstream(&buf, &len);
        if (!mem)
                return;

        clock_gettime(CLOCK_REALTIME, &now);
        gmtime_r(&now.tv_sec, &tm);
        strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(prio, sizeof(prio), "%d", priority);

        fputs("{\"ts\":", mem);
        fprintf(mem, "\"%s.%03ldZ\"", ts, now.tv_nsec / 1000000);
        json_member(mem, "PRIORITY", 8, prio);
        json_member(mem, "SYSLOG_IDENTIFIER", 17, log_ident);
        if (task_id)
                json_member(mem, "PCAPD_TASK_ID", 13, task_id);
        if (event)
                json_member(mem, "PCAPD_EVENT", 11, event);
        json_member(mem, "MESSAGE", 7, message);
        if (errno_str)
                json_member(mem, "ERRNO", 5, errno_str);
        for (size_t i = 0; fields && fields[i]; i++)
                if (field_key_valid(fields[i], &kl))
                        json_member(mem, fields[i], kl, fields[i] + kl + 1);
        fputc('}', mem);
        write_line(mem, &buf, &len);
}

static void emit_stream(int priority, const char *errno_str, const char *task_id, const char *event,
                        const char *const *fields, const char *message) {
        char *buf = NULL;
        size_t len = 0, kl;
        FILE *mem = open_memstream(&buf, &len);
        if (!mem)
                return;
        fprintf(mem, "<%d>", priority);
        for (const char *p = message; *p; p++)
                fputc(*p == '\n' ? ' ' : *p, mem);
        if (task_id)
                fprintf(mem, " PCAPD_TASK_ID=%s", task_id);
        if (event)
                fprintf(mem, " PCAPD_EVENT=%s", event);
        if (errno_str)
                fprintf(mem, " ERRNO=%s", errno_str);
        for (size_t i = 0; fields && fields[i]; i++)
                if (field_key_valid(fields[i], &kl) && !strchr(fields[i], '\n'))
                        fprintf(mem, " %s", fields[i]);
        write_line(mem, &buf, &len);
}

static int emit_journal(int priority, const char *errno_str, const char *task_id, const char *event,
                        const char *const *fields, const char *message) {
        struct iovec iov[6 + LOG_EXTRA_MAX];
        char prio[16], ident[96], *msg = NULL, *tid = NULL, *ev = NULL, *en = NULL;
        size_t n = 0, kl;
        int r = -ENOMEM;

        snprintf(prio, sizeof(prio), "PRIORITY=%d", priority);
        snprintf(ident, sizeof(ident), "SYSLOG_IDENTIFIER=%s", log_ident);
        if (asprintf(&msg, "MESSAGE=%s", message) < 0) {
                msg = NULL;
                goto finish;
        }
        iov[n++] = (struct iovec) { prio, strlen(prio) };
        iov[n++] = (struct iovec) { ident, strlen(ident) };
        iov[n++] = (struct iovec) { msg, strlen(msg) };
        if (task_id) {
                if (asprintf(&tid, "PCAPD_TASK_ID=%s", task_id) < 0) {
                        tid = NULL;
                        goto finish;
                }
                iov[n++] = (struct iovec) { tid, strlen(tid) };
        }
        if (event) {
                if (asprintf(&ev, "PCAPD_EVENT=%s", event) < 0) {
                        ev = NULL;
                        goto finish;
                }
                iov[n++] = (struct iovec) { ev, strlen(ev) };
        }
        if (errno_str) {
                if (asprintf(&en, "ERRNO=%s", errno_str) < 0) {
                        en = NULL;
                        goto finish;
                }
                iov[n++] = (struct iovec) { en, strlen(en) };
        }
        for (size_t i = 0; fields && fields[i] && n < ELEMENTSOF(iov); i++)
                if (field_key_valid(fields[i], &kl))
                        iov[n++] = (struct iovec) { (void *) fields[i], strlen(fields[i]) };

        r = sd_journal_sendv(iov, (int) n);
finish:
        free(msg);
        free(tid);
        free(ev);
        free(en);
        return r;
}

int log_struct_errnov(int priority, int error, const char *task_id, const char *event,
                      const char *const *fields, const char *format, va_list ap) {
        int saved_errno = errno;
        char errno_buf[16], *message = NULL;
        const char *errno_str = NULL;

        if (error < 0)
                error = -error;
        if (LOG_PRI(priority) > log_max_level) {
                errno = saved_errno;
                return -error;
        }
        if (error > 0) {
                snprintf(errno_buf, sizeof(errno_buf), "%d", error);
                errno_str = errno_buf;
        }

        errno = error > 0 ? error : saved_errno; /* for %m */
        if (vasprintf(&message, format, ap) < 0)
                message = NULL;
        if (!message) {
                errno = saved_errno;
                return -error;
        }

        switch (log_get_target()) {
        case LOG_TARGET_JOURNAL:
                if (emit_journal(LOG_PRI(priority), errno_str, task_id, event, fields, message) >= 0)
                        break;
                __attribute__((fallthrough));
        default:
        case LOG_TARGET_JSON:
                emit_json(LOG_PRI(priority), errno_str, task_id, event, fields, message);
                break;
        case LOG_TARGET_STREAM:
                emit_stream(LOG_PRI(priority), errno_str, task_id, event, fields, message);
                break;
        }

        free(message);
        errno = saved_errno;
        return -error;
}

int log_struct_errno(int priority, int error, const char *task_id, const char *event,
                     const char *const *fields, const char *format, ...) {
        va_list ap;
        int r;
        va_start(ap, format);
        r = log_struct_errnov(priority, error, task_id, event, fields, format, ap);
        va_end(ap);
        return r;
}
