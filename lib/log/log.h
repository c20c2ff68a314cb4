/* Structured logging for the daemons: journald fields, or one JSON object per line on stderr. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <syslog.h>

#include "util/macro.h"

/* Every record carries PRIORITY, SYSLOG_IDENTIFIER, MESSAGE, and when given PCAPD_TASK_ID and
 * PCAPD_EVENT (a short kebab-case name such as "analysis-done"), ERRNO, and extra "KEY=VALUE" fields
 * (journal field names: upper case, digits, '_', not starting with '_'; others are dropped).
 * Only daemons log; library code returns errors and never calls this. */

typedef enum log_target {
        LOG_TARGET_AUTO,     /* JOURNAL when stderr is the journal stream ($JOURNAL_STREAM), else JSON */
        LOG_TARGET_JOURNAL,  /* sd_journal_sendv(); falls back to JSON on stderr if that fails */
        LOG_TARGET_JSON,     /* {"ts":…,"PRIORITY":"6",…} one object per line on stderr */
        LOG_TARGET_STREAM,   /* "<6>message key=value…" on stderr: for a journal stream when sockets are off
                              * limits (the sandboxed analyzer) */
} log_target_t;

/* Sets the identifier and the target; AUTO is resolved here, once. Safe to call again. */
void log_open(const char *ident, log_target_t target);
log_target_t log_get_target(void);
void log_set_max_level(int level); /* LOG_INFO by default; records above it are dropped */

/* Logs one record. fields: NULL or a NULL-terminated list of "KEY=VALUE" strings (see LOG_FIELDS).
 * error: 0 or an errno (either sign); it becomes ERRNO= and errno for %m in format.
 * Returns -abs(error) so callers can `return log_struct_errno(...)`. */
int log_struct_errno(int priority, int error, const char *task_id, const char *event,
                     const char *const *fields, const char *format, ...) _printf_(6, 7);
int log_struct_errnov(int priority, int error, const char *task_id, const char *event,
                      const char *const *fields, const char *format, va_list ap) _printf_(6, 0);

/* Formats one "KEY=VALUE" field into buf and returns buf, for building LOG_FIELDS lists on the stack. */
const char *log_field_format(char *buf, size_t size, const char *format, ...) _printf_(3, 4);

#define LOG_FIELDS(...) ((const char *const[]) { __VA_ARGS__, NULL })
#define LOG_FIELD(buf, ...) log_field_format(buf, sizeof(buf), __VA_ARGS__)

#define log_full(prio, task_id, event, ...) log_struct_errno(prio, 0, task_id, event, NULL, __VA_ARGS__)
#define log_debug(task_id, event, ...) log_full(LOG_DEBUG, task_id, event, __VA_ARGS__)
#define log_info(task_id, event, ...) log_full(LOG_INFO, task_id, event, __VA_ARGS__)
#define log_notice(task_id, event, ...) log_full(LOG_NOTICE, task_id, event, __VA_ARGS__)
#define log_warning(task_id, event, ...) log_full(LOG_WARNING, task_id, event, __VA_ARGS__)
#define log_error(task_id, event, ...) log_full(LOG_ERR, task_id, event, __VA_ARGS__)
#define log_warning_errno(error, task_id, event, ...) \
        log_struct_errno(LOG_WARNING, error, task_id, event, NULL, __VA_ARGS__)
#define log_error_errno(error, task_id, event, ...) \
        log_struct_errno(LOG_ERR, error, task_id, event, NULL, __VA_ARGS__)
