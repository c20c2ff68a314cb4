/* pcapd-reaper: a oneshot that expires old reports and removes orphaned files. Idempotent, and safe
 * beside a running pcapd-web: every change is a guarded single-row transition, and files that may be
 * in flight (an upload being written, a report linked just before its row is committed) are left alone. */
#include <dirent.h>
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
#include "store/store.h"
#include "util/macro.h"

/* A file without a task row younger than this may belong to an upload being stored right now. */
#define ORPHAN_GRACE_S 900

static char *arg_state_dir;
static uint64_t arg_retention_ms = UINT64_C(24) * 3600 * 1000;

typedef struct id_list {
        char (*ids)[STORE_ID_LEN + 1];
        size_t n, alloc;
} id_list_t;

static void help(void) {
        printf("Usage: pcapd-reaper [OPTIONS]\n"
               "Deletes pcapd reports older than the retention, marks their tasks expired, and removes\n"
               "orphaned files in uploads/ and reports/. Safe to run while pcapd-web runs.\n\n"
               "  -h --help                  show this help\n"
               "     --version               show the version\n"
               "     --state-dir DIR         [PCAPD_STATE_DIR, $STATE_DIRECTORY, /var/lib/pcapd]\n"
               "     --retention-hours H     [PCAPD_RETENTION_HOURS, 24]\n"
               "     --retention-seconds S   [PCAPD_RETENTION_SECONDS] (wins over hours)\n");
}

static int parse_u64(const char *s, uint64_t *ret) {
        char *end;
        if (!s || !*s || *s == '-')
                return -EINVAL;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || *end || v > UINT64_C(3600) * 24 * 365 * 100)
                return -EINVAL;
        *ret = v;
        return 0;
}

static int parse_args(int argc, char **argv) {
        enum { ARG_VERSION = 0x100, ARG_STATE_DIR, ARG_HOURS, ARG_SECONDS };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "state-dir", required_argument, NULL, ARG_STATE_DIR },
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
                        printf("pcapd-reaper " PCAPD_VERSION "\n");
                        return 1;
                case ARG_STATE_DIR:
                        free(arg_state_dir);
                        arg_state_dir = strdup(optarg);
                        break;
                case ARG_HOURS:
                case ARG_SECONDS:
                        if (parse_u64(optarg, &u) < 0) {
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
        if (!arg_state_dir) {
                v = getenv("PCAPD_STATE_DIR");
                if (v && *v)
                        arg_state_dir = strdup(v);
                else if ((v = getenv("STATE_DIRECTORY")) && *v)
                        arg_state_dir = strndup(v, strcspn(v, ":"));
                else
                        arg_state_dir = strdup("/var/lib/pcapd");
        }
        if (!retention_given) {
                if ((v = getenv("PCAPD_RETENTION_SECONDS")) && *v) {
                        if (parse_u64(v, &u) < 0)
                                return -EINVAL;
                        arg_retention_ms = u * 1000;
                } else if ((v = getenv("PCAPD_RETENTION_HOURS")) && *v) {
                        if (parse_u64(v, &u) < 0)
                                return -EINVAL;
                        arg_retention_ms = u * 3600 * 1000;
                }
        }
        return arg_state_dir ? 0 : -ENOMEM;
}

static int collect(const store_task_t *t, void *userdata) {
        id_list_t *l = userdata;
        if (l->n == l->alloc) {
                size_t na = l->alloc ? l->alloc * 2 : 64;
                void *p = realloc(l->ids, na * sizeof(*l->ids));
                if (!p)
                        return -ENOMEM;
                l->ids = p;
                l->alloc = na;
        }
        memcpy(l->ids[l->n++], t->id, STORE_ID_LEN + 1);
        return 0;
}

static bool is_id(const char *s, size_t n) {
        if (n != STORE_ID_LEN)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

static void remove_file(int dirfd, const char *name, const char *id, const char *why, unsigned *count) {
        if (unlinkat(dirfd, name, 0) == 0) {
                (*count)++;
                log_info(id, "file-removed", "Removed %s (%s)", name, why);
        } else if (errno != ENOENT)
                log_warning_errno(errno, id, "file-remove-failed", "Failed to remove %s: %m", name);
}

/* uploads/<id> is kept while its task is queued or processing; reports/<id>.json|html while completed
 * (reports of a processing task may exist for an instant between link and commit). */
static void sweep_dir(store_t *s, int dirfd, bool reports, unsigned *removed) {
        DIR *d = fdopendir(dup(dirfd));
        struct dirent *de;
        time_t now = time(NULL);

        if (!d)
                return;
        while ((de = readdir(d))) {
                const char *name = de->d_name;
                size_t n = strlen(name);
                char id[STORE_ID_LEN + 1];
                store_task_t t;
                struct stat st;
                int r;

                if (name[0] == '.')
                        continue;
                if (reports) {
                        if (n != STORE_ID_LEN + 5 || (strcmp(name + STORE_ID_LEN, ".json") != 0 &&
                                                      strcmp(name + STORE_ID_LEN, ".html") != 0))
                                continue;
                } else if (n != STORE_ID_LEN)
                        continue;
                if (!is_id(name, STORE_ID_LEN))
                        continue;
                memcpy(id, name, STORE_ID_LEN);
                id[STORE_ID_LEN] = 0;
                if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
                        continue;

                r = store_task_get(s, id, &t);
                if (r == -ENOENT) {
                        if (now - st.st_mtime >= ORPHAN_GRACE_S)
                                remove_file(dirfd, name, id, "no task", removed);
                        continue;
                }
                if (r < 0) {
                        log_warning_errno(r, id, "store-error", "Failed to read the task: %m");
                        continue;
                }
                if (reports ? (t.status == TASK_FAILED || t.status == TASK_EXPIRED)
                            : (t.status == TASK_COMPLETED || t.status == TASK_FAILED || t.status == TASK_EXPIRED))
                        remove_file(dirfd, name, id, task_status_to_string(t.status), removed);
        }
        closedir(d);
}

int main(int argc, char **argv) {
        _cleanup_close_ int state_fd = -1, uploads_fd = -1, reports_fd = -1;
        id_list_t expired = {};
        unsigned n_expired = 0, removed = 0;
        store_t *s = NULL;
        char path[4096];
        int64_t now, cutoff;
        int r;

        log_open("pcapd-reaper", LOG_TARGET_AUTO);
        r = parse_args(argc, argv);
        if (r != 0)
                return r > 0 ? 0 : 2;

        state_fd = open(arg_state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (state_fd < 0)
                return log_error_errno(errno, NULL, "state-dir-failed", "Failed to open %s: %m", arg_state_dir), 1;
        uploads_fd = openat(state_fd, "uploads", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        reports_fd = openat(state_fd, "reports", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        snprintf(path, sizeof(path), "%s/pcapd.db", arg_state_dir);
        r = store_open(path, &s);
        if (r < 0)
                return log_error_errno(r, NULL, "store-open-failed", "Failed to open %s: %m", path), 1;

        now = store_now_ms();
        cutoff = now - (int64_t) arg_retention_ms;
        r = store_list_finished_before(s, cutoff, collect, &expired);
        if (r < 0) {
                log_error_errno(r, NULL, "store-error", "Failed to list finished tasks: %m");
                store_close(s);
                return 1;
        }
        for (size_t i = 0; i < expired.n; i++) {
                const char *id = expired.ids[i];
                char name[STORE_ID_LEN + 8];

                /* row first: once expired, the frontend answers 410 and never serves the files again */
                r = store_task_expire(s, id, now);
                if (r == -ESTALE || r == -ENOENT)
                        continue; /* changed meanwhile (deleted by a user): nothing to do */
                if (r < 0) {
                        log_warning_errno(r, id, "store-error", "Failed to expire the task: %m");
                        continue;
                }
                n_expired++;
                if (reports_fd >= 0) {
                        snprintf(name, sizeof(name), "%s.json", id);
                        (void) unlinkat(reports_fd, name, 0);
                        snprintf(name, sizeof(name), "%s.html", id);
                        (void) unlinkat(reports_fd, name, 0);
                }
                if (uploads_fd >= 0)
                        (void) unlinkat(uploads_fd, id, 0);
                log_info(id, "task-expired", "Report expired and deleted");
        }
        free(expired.ids);

        if (uploads_fd >= 0)
                sweep_dir(s, uploads_fd, false, &removed);
        if (reports_fd >= 0)
                sweep_dir(s, reports_fd, true, &removed);

        {
                char f1[48], f2[48];
                log_struct_errno(LOG_INFO, 0, NULL, "reaper-done",
                                 LOG_FIELDS(LOG_FIELD(f1, "PCAPD_EXPIRED=%u", n_expired),
                                            LOG_FIELD(f2, "PCAPD_ORPHANS_REMOVED=%u", removed)),
                                 "Expired %u tasks, removed %u orphaned files", n_expired, removed);
        }
        store_close(s);
        free(arg_state_dir);
        return 0;
}
