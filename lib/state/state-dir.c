/* The state directory: layout and file rules (see state-dir.h). */
#include "state/state-dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/macro.h"

static const char *const report_ext[_STATE_REPORT_MAX] = {
        [STATE_REPORT_JSON] = "json",
        [STATE_REPORT_HTML] = "html",
};

static int open_subdir(int at, const char *name, bool create, int *ret) {
        int fd;

        if (create && mkdirat(at, name, 0750) < 0 && errno != EEXIST)
                return -errno;
        fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT && !create) {
                        *ret = -1;
                        return 0;
                }
                return -errno;
        }
        *ret = fd;
        return 0;
}

char *state_dir_default_path(void) {
        const char *v = getenv("PCAPD_STATE_DIR");

        if (v && *v)
                return strdup(v);
        v = getenv("STATE_DIRECTORY");
        if (v && *v)
                return strndup(v, strcspn(v, ":"));
        return strdup(STATE_DIR_DEFAULT);
}

int state_dir_open(state_dir_t *sd, const char *path, bool create) {
        state_dir_t n = STATE_DIR_NULL;
        int r;

        if (!path || !*path)
                return -EINVAL;
        if (create && mkdir(path, 0750) < 0 && errno != EEXIST)
                return -errno;
        n.dir_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (n.dir_fd < 0)
                return -errno;
        r = open_subdir(n.dir_fd, "uploads", create, &n.uploads_fd);
        if (r >= 0)
                r = open_subdir(n.dir_fd, "reports", create, &n.reports_fd);
        if (r >= 0) {
                n.path = strdup(path);
                if (!n.path)
                        r = -ENOMEM;
        }
        if (r < 0) {
                state_dir_close(&n);
                return r;
        }
        *sd = n;
        return 0;
}

void state_dir_close(state_dir_t *sd) {
        sd->dir_fd = safe_close(sd->dir_fd);
        sd->uploads_fd = safe_close(sd->uploads_fd);
        sd->reports_fd = safe_close(sd->reports_fd);
        free(sd->path);
        sd->path = NULL;
}

int state_dir_db_path(const state_dir_t *sd, char *buf, size_t size) {
        int n = snprintf(buf, size, "%s/%s", sd->path, STATE_DB_NAME);
        return n < 0 || (size_t) n >= size ? -ENAMETOOLONG : 0;
}

int state_dir_database(const state_dir_t *sd, const char *database, char *buf, size_t size) {
        if (!database || !*database)
                return state_dir_db_path(sd, buf, size);
        int n = snprintf(buf, size, "%s", database);
        return n < 0 || (size_t) n >= size ? -ENAMETOOLONG : 0;
}

void state_report_name(const char *id, state_report_t kind, char *buf, size_t size) {
        snprintf(buf, size, "%.*s.%s", ID_LEN, id, report_ext[kind]);
}

int state_report_path(const state_dir_t *sd, const char *id, state_report_t kind, char *buf, size_t size) {
        int n = snprintf(buf, size, "%s/reports/%.*s.%s", sd->path, ID_LEN, id, report_ext[kind]);
        return n < 0 || (size_t) n >= size ? -ENAMETOOLONG : 0;
}

int state_report_link(const state_dir_t *sd, int fd, const char *id, state_report_t kind) {
        char proc[64], name[ID_LEN + 8];

        if (!id_is_valid(id, strlen(id)))
                return -EINVAL;
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        state_report_name(id, kind, name, sizeof(name));
        (void) unlinkat(sd->reports_fd, name, 0);
        if (linkat(AT_FDCWD, proc, sd->reports_fd, name, AT_SYMLINK_FOLLOW) < 0)
                return -errno;
        return 0;
}

void state_reports_unlink(const state_dir_t *sd, const char *id) {
        char name[ID_LEN + 8];

        if (sd->reports_fd < 0)
                return;
        for (state_report_t k = 0; k < _STATE_REPORT_MAX; k++) {
                state_report_name(id, k, name, sizeof(name));
                (void) unlinkat(sd->reports_fd, name, 0);
        }
}

int state_report_open_tmpfile(const state_dir_t *sd) {
        int fd = openat(sd->reports_fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0640);
        return fd < 0 ? -errno : fd;
}

int state_report_open(const state_dir_t *sd, const char *id, state_report_t kind) {
        char name[ID_LEN + 8];
        int fd;

        if (!id_is_valid(id, strlen(id)) || (unsigned) kind >= _STATE_REPORT_MAX)
                return -EINVAL;
        state_report_name(id, kind, name, sizeof(name));
        fd = openat(sd->reports_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        return fd < 0 ? -errno : fd;
}

/* The bytes of kind into dir_fd/name, which they replace: an unnamed file filled from the store, then
 * linked. Opened again by its name, read-only (the analyzer checks that its capture is). */
static int fetch(int dir_fd, const char *name, store_t *s, const char *id, store_blob_kind_t kind) {
        char proc[64];
        int fd, r;

        if (dir_fd < 0)
                return -ENOENT;
        _cleanup_close_ int tmp = openat(dir_fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0640);
        if (tmp < 0)
                return -errno;
        r = store_blob_get_fd(s, id, kind, tmp);
        if (r < 0)
                return r;
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", tmp);
        (void) unlinkat(dir_fd, name, 0);
        if (linkat(AT_FDCWD, proc, dir_fd, name, AT_SYMLINK_FOLLOW) < 0)
                return -errno;
        fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        return fd < 0 ? -errno : fd;
}

int state_capture_fetch(const state_dir_t *sd, store_t *s, const char *id) {
        if (!id_is_valid(id, strlen(id)))
                return -EINVAL;
        return fetch(sd->uploads_fd, id, s, id, STORE_BLOB_CAPTURE);
}

int state_report_fetch(const state_dir_t *sd, store_t *s, const char *id, state_report_t kind) {
        char name[ID_LEN + 8];

        if (!id_is_valid(id, strlen(id)) || (unsigned) kind >= _STATE_REPORT_MAX)
                return -EINVAL;
        state_report_name(id, kind, name, sizeof(name));
        return fetch(sd->reports_fd, name, s, id, kind == STATE_REPORT_JSON ? STORE_BLOB_JSON : STORE_BLOB_HTML);
}

int state_capture_create(const state_dir_t *sd, const char *id) {
        int fd;

        if (!id_is_valid(id, strlen(id)))
                return -EINVAL;
        fd = openat(sd->uploads_fd, id, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640);
        return fd < 0 ? -errno : fd;
}

int state_capture_open(const state_dir_t *sd, const char *id) {
        int fd;

        if (!id_is_valid(id, strlen(id)))
                return -EINVAL;
        fd = openat(sd->uploads_fd, id, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        return fd < 0 ? -errno : fd;
}

int state_capture_unlink(const state_dir_t *sd, const char *id) {
        if (sd->uploads_fd < 0)
                return 0;
        if (unlinkat(sd->uploads_fd, id, 0) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

bool state_capture_exists(const state_dir_t *sd, const char *id) {
        struct stat st;
        return sd->uploads_fd >= 0 && fstatat(sd->uploads_fd, id, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
               S_ISREG(st.st_mode);
}

int state_reserve_make(const state_dir_t *sd) {
        struct stat st;
        int fd, r;

        if (fstatat(sd->dir_fd, STATE_RESERVE_NAME, &st, 0) == 0 && (uint64_t) st.st_size >= STATE_RESERVE_SIZE)
                return 0;
        fd = openat(sd->dir_fd, STATE_RESERVE_NAME, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        r = posix_fallocate(fd, 0, (off_t) STATE_RESERVE_SIZE);
        safe_close(fd);
        if (r != 0) {
                (void) unlinkat(sd->dir_fd, STATE_RESERVE_NAME, 0);
                return -r;
        }
        return 0;
}

int state_reserve_release(const state_dir_t *sd) {
        return unlinkat(sd->dir_fd, STATE_RESERVE_NAME, 0) < 0 ? -errno : 0;
}

bool state_capture_wanted(task_status_t st) {
        return st == TASK_QUEUED || st == TASK_PROCESSING;
}

bool state_report_wanted(task_status_t st, bool in_flight) {
        return st == TASK_COMPLETED || (in_flight && st == TASK_PROCESSING);
}

/* The id a file name stands for: "<id>" in uploads/, "<id>.json|html" in reports/; false for other names. */
static bool name_to_id(const char *name, bool reports, char id[ID_LEN + 1]) {
        size_t n = strlen(name);

        if (reports) {
                if (n != ID_LEN + 5 || (strcmp(name + ID_LEN, ".json") != 0 && strcmp(name + ID_LEN, ".html") != 0))
                        return false;
        } else if (n != ID_LEN)
                return false;
        if (!id_is_valid(name, ID_LEN))
                return false;
        memcpy(id, name, ID_LEN);
        id[ID_LEN] = 0;
        return true;
}

static int sweep_one(int dir_fd, bool reports, store_t *store, bool in_flight, int64_t now_s, int64_t grace_s,
                     state_removed_fn fn, void *userdata) {
        const char *dir = reports ? "reports" : "uploads";
        _cleanup_close_ int fd = -1;
        struct dirent *de;
        unsigned removed = 0;
        DIR *d;

        if (dir_fd < 0)
                return 0;
        fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d)
                return -errno;
        TAKE_FD(fd);
        rewinddir(d);
        while ((de = readdir(d))) {
                char id[ID_LEN + 1];
                const char *why;
                store_task_t row;
                struct stat st;
                int r;

                if (!name_to_id(de->d_name, reports, id))
                        continue; /* not ours */
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
                        continue;
                r = store_task_get(store, id, &row);
                if (r == -ENOENT) {
                        /* may be an upload being stored right now; without a grace (pcapd-web's start: nothing
                         * is in flight) it goes whatever its time, also one stamped a second ahead of now_s
                         * (the file system's clock is finer than time()'s) */
                        if (grace_s > 0 && now_s - (int64_t) st.st_mtime < grace_s)
                                continue;
                        why = "no task";
                } else if (r < 0)
                        continue; /* the store could not say: keep it */
                else if (reports ? state_report_wanted(row.status, in_flight) : state_capture_wanted(row.status))
                        continue;
                else
                        why = task_status_to_string(row.status);
                if (unlinkat(dirfd(d), de->d_name, 0) == 0) {
                        removed++;
                        if (fn)
                                fn(id, dir, de->d_name, why, 0, userdata);
                } else if (errno != ENOENT && fn)
                        fn(id, dir, de->d_name, why, errno, userdata);
        }
        closedir(d);
        return (int) removed;
}

int state_dir_sweep(const state_dir_t *sd, store_t *store, bool in_flight, int64_t now_s, int64_t grace_s,
                    state_removed_fn fn, void *userdata) {
        int a, b;

        a = sweep_one(sd->uploads_fd, false, store, in_flight, now_s, grace_s, fn, userdata);
        if (a < 0)
                return a;
        b = sweep_one(sd->reports_fd, true, store, in_flight, now_s, grace_s, fn, userdata);
        if (b < 0)
                return b;
        return a + b;
}
