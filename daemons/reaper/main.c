/* pcapd-reaper: a oneshot that expires old reports and removes orphaned files. Idempotent, and safe
 * beside a running pcapd-web: every change is a guarded single-row transition, and files that may be
 * in flight (an upload being written, a report linked just before its row is committed) are left alone. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log/log.h"
#include "state/state-dir.h"
#include "state/state-reap.h"
#include "store/store.h"
#include "util/macro.h"
#include "util/parse.h"

static char *arg_state_dir;
static char *arg_database;
static uint64_t arg_retention_ms = UINT64_C(24) * 3600 * 1000;

static void help(void) {
        printf("Usage: pcapd-reaper [OPTIONS]\n"
               "Deletes pcapd reports older than the retention, marks their tasks expired,\n"
               "and removes orphaned files in uploads/ and reports/. Safe to run while\n"
               "pcapd-web runs.\n\n"
               "  -h --help                  show this help\n"
               "     --version               show the version\n"
               "     --state-dir DIR         [PCAPD_STATE_DIR, $STATE_DIRECTORY,\n"
               "                             /var/lib/pcapd]\n"
               "     --database DB           sqlite:PATH or postgresql://... as pcapd-web's\n"
               "                             [PCAPD_DATABASE, sqlite:STATE-DIR/pcapd.db]\n"
               "     --retention-hours H     [PCAPD_RETENTION_HOURS, REPORT_TTL_HOURS, 24]\n"
               "     --retention-seconds S   [PCAPD_RETENTION_SECONDS] (wins over hours)\n");
}

/* Retention: at most a century, in seconds or hours. */
#define RETENTION_MAX_S (UINT64_C(3600) * 24 * 365 * 100)

static int parse_args(int argc, char **argv) {
        enum { ARG_VERSION = 0x100, ARG_STATE_DIR, ARG_DATABASE, ARG_HOURS, ARG_SECONDS };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "state-dir", required_argument, NULL, ARG_STATE_DIR },
                { "database", required_argument, NULL, ARG_DATABASE },
                { "retention-hours", required_argument, NULL, ARG_HOURS },
                { "retention-seconds", required_argument, NULL, ARG_SECONDS },
                {}
        };
        bool retention_given = false;
        const char *v;
        uint64_t u;
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        help();
                        return 1;
                case ARG_VERSION:
                        printf("pcapd-reaper (pcapd) " PCAPD_VERSION "\n");
                        return 1;
                case ARG_STATE_DIR:
                        free(arg_state_dir);
                        arg_state_dir = strdup(optarg);
                        break;
                case ARG_DATABASE:
                        free(arg_database);
                        arg_database = strdup(optarg);
                        if (!arg_database)
                                return -ENOMEM;
                        break;
                case ARG_HOURS:
                case ARG_SECONDS:
                        if (parse_u64(optarg, 0, c == ARG_HOURS ? RETENTION_MAX_S / 3600 : RETENTION_MAX_S, &u) < 0) {
                                fprintf(stderr, "pcapd-reaper: invalid retention '%s'\n", optarg);
                                return -EINVAL;
                        }
                        arg_retention_ms = c == ARG_HOURS ? u * 3600 * 1000 : u * 1000;
                        retention_given = true;
                        break;
                default:
                        return -EINVAL;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "pcapd-reaper: unexpected argument '%s'\n", argv[optind]);
                return -EINVAL;
        }
        if (!arg_state_dir)
                arg_state_dir = state_dir_default_path();
        if (!arg_database && (v = getenv("PCAPD_DATABASE")) && *v && !(arg_database = strdup(v)))
                return -ENOMEM;
        if (arg_database && store_database_kind(arg_database) < 0) {
                /* not echoed: it may hold a password */
                fprintf(stderr, "pcapd-reaper: --database: not sqlite:PATH or a postgresql:// URL without a password\n");
                return -EINVAL;
        }
        if (!retention_given) {
                if ((v = getenv("PCAPD_RETENTION_SECONDS")) && *v) {
                        if (parse_u64(v, 0, RETENTION_MAX_S, &u) < 0)
                                return -EINVAL;
                        arg_retention_ms = u * 1000;
                } else if (((v = getenv("PCAPD_RETENTION_HOURS")) && *v) || ((v = getenv("REPORT_TTL_HOURS")) && *v)) {
                        /* REPORT_TTL_HOURS: the design document's name, after pcapd's own */
                        if (parse_u64(v, 0, RETENTION_MAX_S / 3600, &u) < 0)
                                return -EINVAL;
                        arg_retention_ms = u * 3600 * 1000;
                }
        }
        return arg_state_dir ? 0 : -ENOMEM;
}

static void on_expired(const char *id, void *userdata) {
        log_info(id, "task-expired", "Report expired and deleted");
}

static void on_removed(const char *id, const char *dir, const char *name, const char *why, int error,
                       void *userdata) {
        if (error == 0)
                log_info(id, "file-removed", "Removed %s/%s (%s)", dir, name, why);
        else
                log_warning_errno(error, id, "file-remove-failed", "Failed to remove %s/%s: %m", dir, name);
}

int main(int argc, char **argv) {
        _cleanup_(state_dir_close) state_dir_t sd = STATE_DIR_NULL;
        state_reap_result_t res;
        unsigned n_expired = 0;
        store_t *s = NULL;
        char path[4096];
        int r, removed;

        log_open("pcapd-reaper", LOG_TARGET_AUTO);
        r = parse_args(argc, argv);
        if (r != 0)
                return r > 0 ? 0 : 2;

        r = state_dir_open(&sd, arg_state_dir, false);
        if (r < 0)
                return log_error_errno(r, NULL, "state-dir-failed", "Failed to open %s: %m", arg_state_dir), 1;
        r = state_dir_database(&sd, arg_database, path, sizeof(path));
        if (r >= 0)
                r = store_open(path, &s);
        if (r < 0)
                return log_error_errno(r, NULL, "store-open-failed", "Failed to open the database %s: %m",
                                       path), 1;

        r = state_reap(&sd, s, store_now_ms(), arg_retention_ms, on_expired, on_removed, NULL, &res);
        if (r < 0) {
                log_error_errno(r, NULL, "store-error", "Failed to list finished tasks: %m");
                store_close(s);
                return 1;
        }
        if (res.skipped) {
                log_info(NULL, "reaper-skipped", "Another node's reaper is running: skipped this pass");
                store_close(s);
                free(arg_state_dir);
                free(arg_database);
                return 0;
        }
        if (res.error)
                log_warning_errno(res.error, NULL, "store-error", "Some tasks or files could not be reaped: %m");
        n_expired = res.expired;
        removed = res.orphans_removed;

        {
                char f1[48], f2[48];
                log_struct_errno(LOG_INFO, 0, NULL, "reaper-done",
                                 LOG_FIELDS(LOG_FIELD(f1, "PCAPD_EXPIRED=%u", n_expired),
                                            LOG_FIELD(f2, "PCAPD_ORPHANS_REMOVED=%d", removed)),
                                 "Expired %u tasks, removed %d orphaned files", n_expired, removed);
        }
        store_close(s);
        free(arg_state_dir);
        free(arg_database);
        return 0;
}
