/* The state directory, shared by pcapd-web and pcapd-reaper: one place for its layout and its rules.
 *
 *   STATE/pcapd.db                    the task store (lib/store)
 *   STATE/uploads/<id>                a capture, kept while its task is queued or processing
 *   STATE/reports/<id>.json|.html     the reports, kept while the task is completed
 *   STATE/.reserve                    a few MiB given back when the disk is full, so that the end of an
 *                                     analysis can still be recorded
 *
 * Library code: returns 0 or -errno and does not log; the sweep reports what it removed to a callback. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/id.h"

#define STATE_DB_NAME "pcapd.db"
#define STATE_RESERVE_NAME ".reserve"
#define STATE_RESERVE_SIZE (UINT64_C(4) << 20)

typedef enum state_report {
        STATE_REPORT_JSON,
        STATE_REPORT_HTML,
        _STATE_REPORT_MAX,
} state_report_t;

typedef struct state_dir {
        char *path;
        int dir_fd, uploads_fd, reports_fd;   /* O_DIRECTORY|O_CLOEXEC; -1 when absent (create == false) */
} state_dir_t;

#define STATE_DIR_NULL ((state_dir_t) { .dir_fd = -1, .uploads_fd = -1, .reports_fd = -1 })

#define STATE_DIR_DEFAULT "/var/lib/pcapd"

/* Where the state directory is when no flag says: $PCAPD_STATE_DIR, else the first of systemd's
 * $STATE_DIRECTORY (it may list several, separated by ':'), else STATE_DIR_DEFAULT. A new string (free()),
 * or NULL when out of memory. The one lookup of pcapd-web and pcapd-reaper. */
char *state_dir_default_path(void);

/* Opens path and its uploads/ and reports/. With create, makes what is missing (0750); without, a missing
 * subdirectory leaves its fd -1 (the reaper runs before the first upload). 0 or -errno. */
int state_dir_open(state_dir_t *sd, const char *path, bool create);
void state_dir_close(state_dir_t *sd);

/* "STATE/pcapd.db" into buf. -ENAMETOOLONG when it does not fit. */
int state_dir_db_path(const state_dir_t *sd, char *buf, size_t size);
/* The database to open (store_open): database when one was given (--database, PCAPD_DATABASE), else
 * the state directory's SQLite file. -ENAMETOOLONG when it does not fit. */
int state_dir_database(const state_dir_t *sd, const char *database, char *buf, size_t size);

/* "<id>.json" or "<id>.html" into buf (at least ID_LEN + 6 bytes). */
void state_report_name(const char *id, state_report_t kind, char *buf, size_t size);
/* "STATE/reports/<id>.json|html" into buf. -ENAMETOOLONG when it does not fit. */
int state_report_path(const state_dir_t *sd, const char *id, state_report_t kind, char *buf, size_t size);
/* Gives the unnamed (O_TMPFILE) report fd its name, replacing an older file of that name. 0 or -errno. */
int state_report_link(const state_dir_t *sd, int fd, const char *id, state_report_t kind);
/* Both reports of id; absent files are not an error. */
void state_reports_unlink(const state_dir_t *sd, const char *id);
/* An unnamed report file in reports/, for the analyzer to write. The fd or -errno. */
int state_report_open_tmpfile(const state_dir_t *sd);
/* reports/<id>.json|html opened for reading. The fd or -errno (-ENOENT: not here). */
int state_report_open(const state_dir_t *sd, const char *id, state_report_t kind);

/* Shared bytes (store.h, store_blob_*): a capture or a report this node does not have, copied from a
 * shared database into uploads/<id> or reports/<id>.json|html (by way of an unnamed file, so that an
 * interrupted copy leaves nothing), a chunk at a time; that file is then this node's copy, removed by the
 * same rules as its own (state_capture_unlink, state_reports_unlink, the sweep). The file opened for
 * reading, or -errno: -ENOENT when the database does not have the bytes either. */
int state_capture_fetch(const state_dir_t *sd, store_t *s, const char *id);
int state_report_fetch(const state_dir_t *sd, store_t *s, const char *id, state_report_t kind);

/* uploads/<id>: created exclusively for writing, opened for reading, removed. The fd or -errno. */
int state_capture_create(const state_dir_t *sd, const char *id);
int state_capture_open(const state_dir_t *sd, const char *id);
int state_capture_unlink(const state_dir_t *sd, const char *id);  /* 0 also when absent */
bool state_capture_exists(const state_dir_t *sd, const char *id);

/* STATE/.reserve of STATE_RESERVE_SIZE bytes: made (a no-op when it is there), released. 0 or -errno. */
int state_reserve_make(const state_dir_t *sd);
int state_reserve_release(const state_dir_t *sd);

/* Whether a file of a task in status st belongs there. Captures: queued or processing. Reports: completed;
 * with in_flight (another process may be between linking the reports and committing the row), processing
 * too. */
bool state_capture_wanted(task_status_t st);
bool state_report_wanted(task_status_t st, bool in_flight);

/* Called for each file the sweep removed (error 0) or failed to remove (a positive errno). */
typedef void (*state_removed_fn)(const char *id, const char *dir, const char *name, const char *why, int error,
                                 void *userdata);

/* Removes from uploads/ and reports/ the files whose task does not want them (the rules above), and the
 * files of no task at all once they are older than grace_s seconds at time now (a file being uploaded has
 * no row yet; 0 removes them at once, for a start when nothing is in flight). Files whose task the store
 * cannot read are left alone; names that are not ours are never touched. Returns the number removed or
 * -errno. */
int state_dir_sweep(const state_dir_t *sd, store_t *store, bool in_flight, int64_t now_s, int64_t grace_s,
                    state_removed_fn fn, void *userdata);
