/* Health: cheap checks only (one indexed SELECT, statvfs, stat) so it can be polled thousands of times. */
#include "health.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "config.h"
#include "conn.h"
#include "json.h"
#include "sse.h"
#include "web.h"

/* Below this, uploads would fail: report the disk as failing. */
#define DISK_MIN_FREE (UINT64_C(64) << 20)

int health_handle(h2o_req_t *req) {
        struct statvfs vfs;
        struct stat st;
        uint64_t disk_free = 0;
        bool db_ok, disk_ok, analyzer_ok, queue_ok, ok;
        const char *analyzer_detail;
        json_t j = {};

        db_ok = store_ping(web.store) >= 0;
        if (statvfs(arg_state_dir, &vfs) == 0) {
                disk_free = (uint64_t) vfs.f_bavail * vfs.f_frsize;
                disk_ok = disk_free >= DISK_MIN_FREE;
        } else
                disk_ok = false;
        if (arg_analyzer_socket) {
                analyzer_ok = stat(arg_analyzer_socket, &st) == 0 && S_ISSOCK(st.st_mode);
                analyzer_detail = arg_analyzer_socket;
        } else {
                analyzer_ok = access(arg_analyzer_exec, X_OK) == 0;
                analyzer_detail = arg_analyzer_exec;
        }
        queue_ok = web.n_queued + web.n_uploading < arg_queue_max;
        /* a full queue is load, not a fault: it does not make the service unhealthy */
        ok = db_ok && disk_ok && analyzer_ok && !web.stopping;

        json_begin(&j, '{');
        json_kv_str(&j, "status", ok ? (queue_ok ? "ok" : "busy") : "unhealthy");
        json_kv_str(&j, "version", PCAPD_VERSION);
        json_key(&j, "checks");
        json_begin(&j, '{');
        json_key(&j, "database");
        json_begin(&j, '{');
        json_kv_bool(&j, "ok", db_ok);
        json_end(&j, '}');
        json_key(&j, "disk");
        json_begin(&j, '{');
        json_kv_bool(&j, "ok", disk_ok);
        json_kv_u64(&j, "free_bytes", disk_free);
        json_end(&j, '}');
        json_key(&j, "analyzer");
        json_begin(&j, '{');
        json_kv_bool(&j, "ok", analyzer_ok);
        json_kv_str(&j, "mode", arg_analyzer_socket ? "socket" : "spawn");
        json_kv_str(&j, "path", analyzer_detail);
        if (web.analyzer_error[0])
                json_kv_str(&j, "last_error", web.analyzer_error);
        json_end(&j, '}');
        json_key(&j, "queue");
        json_begin(&j, '{');
        json_kv_bool(&j, "ok", queue_ok);
        json_kv_u64(&j, "queued", web.n_queued);
        json_kv_u64(&j, "max", arg_queue_max);
        json_end(&j, '}');
        json_end(&j, '}');
        json_kv_u64(&j, "running", web.n_running);
        json_kv_u64(&j, "workers", arg_workers);
        json_kv_u64(&j, "uploading", web.n_uploading);
        json_kv_u64(&j, "sse_streams", sse_count());
        json_kv_u64(&j, "connections", conn_count());
        json_kv_u64(&j, "uptime_seconds", (uint64_t) ((store_now_ms() - web.started_at) / 1000));
        json_end(&j, '}');
        json_raw(&j, "\n", 1);
        if (j.oom)
                web_send_error(req, 500, "Internal Server Error", "out of memory");
        else
                web_send_json(req, ok ? 200 : 503, ok ? "OK" : "Service Unavailable", j.buf, j.len);
        json_free(&j);
        return 0;
}
