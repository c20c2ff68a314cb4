/* Health: cheap checks only (one indexed SELECT, statvfs, stat, two small /proc reads) so it can be polled
 * thousands of times. The answer is a superset of the shape the design pcapd replaces documents (its
 * §10.2: status healthy|degraded, checks of booleans, metrics) with pcapd's details beside it. */
#include "health.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "config.h"
#include "conn.h"
#include "http.h"
#include "json.h"
#include "sse.h"

/* Below this, uploads would fail: report the disk as failing. */
#define DISK_MIN_FREE (UINT64_C(64) << 20)
/* Memory in use above this share of what the service may use makes it degraded (the design's rule). */
#define MEMORY_MAX_PERCENT 90.0

/* Bytes from the first line of path holding a number ("max" or absent: 0). */
static uint64_t read_u64_file(const char *path) {
        unsigned long long v = 0;
        FILE *f = fopen(path, "re");
        if (!f)
                return 0;
        if (fscanf(f, "%llu", &v) != 1)
                v = 0;
        fclose(f);
        return v;
}

static uint64_t meminfo_kib(const char *text, const char *key) {
        const char *p = strstr(text, key);
        unsigned long long v = 0;
        if (p && sscanf(p + strlen(key), " %llu", &v) == 1)
                return (uint64_t) v << 10;
        return 0;
}

/* The memory the service may use and how much of it is used: the cgroup's limit when it has one (a
 * container's --memory, the unit's MemoryMax=), else the machine's. Percent of that, or -1 if unknown. */
static double memory_percent(void) {
        uint64_t max = read_u64_file("/sys/fs/cgroup/memory.max");
        if (max > 0) {
                uint64_t cur = read_u64_file("/sys/fs/cgroup/memory.current");
                return 100.0 * (double) cur / (double) max;
        }
        char buf[4096];
        FILE *f = fopen("/proc/meminfo", "re");
        size_t n;
        if (!f)
                return -1;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = 0;
        uint64_t total = meminfo_kib(buf, "MemTotal:"), avail = meminfo_kib(buf, "MemAvailable:");
        return total > 0 && avail <= total ? 100.0 * (double) (total - avail) / (double) total : -1;
}

/* This process's resident memory, MiB. */
static double memory_used_mb(void) {
        unsigned long long size, resident;
        FILE *f = fopen("/proc/self/statm", "re");
        int ok;
        if (!f)
                return 0;
        ok = fscanf(f, "%llu %llu", &size, &resident) == 2;
        fclose(f);
        return ok ? (double) resident * (double) sysconf(_SC_PAGESIZE) / (1024.0 * 1024.0) : 0;
}

int health_handle(web_t *w, h2o_req_t *req) {
        const dispatcher_t *d = &w->dispatcher;
        struct statvfs vfs;
        struct stat st;
        uint64_t disk_free = 0;
        double disk_percent = 0, mem_percent = memory_percent();
        bool db_ok, disk_ok, analyzer_ok, queue_ok, memory_ok, ok;
        const char *analyzer_detail;
        json_t j = {};

        db_ok = store_ping(w->store) >= 0;
        if (statvfs(w->state.path, &vfs) == 0) {
                disk_free = (uint64_t) vfs.f_bavail * vfs.f_frsize;
                disk_ok = disk_free >= DISK_MIN_FREE;
                if (vfs.f_blocks > 0)
                        disk_percent = 100.0 * (double) (vfs.f_blocks - vfs.f_bfree) / (double) vfs.f_blocks;
        } else
                disk_ok = false;
        if (w->cfg->analyzer_socket) {
                analyzer_ok = stat(w->cfg->analyzer_socket, &st) == 0 && S_ISSOCK(st.st_mode);
                analyzer_detail = w->cfg->analyzer_socket;
        } else {
                analyzer_ok = access(w->cfg->analyzer_exec, X_OK) == 0;
                analyzer_detail = w->cfg->analyzer_exec;
        }
        queue_ok = dispatcher_queued(d) + w->n_uploading < w->cfg->queue_max;
        memory_ok = mem_percent < MEMORY_MAX_PERCENT;
        /* a full queue is load, not a fault: it does not make the service unhealthy (a balancer or an
         * orchestrator would otherwise take a busy node out or restart it); the uploads get 503 themselves */
        ok = db_ok && disk_ok && analyzer_ok && memory_ok && !w->stopping;

        json_begin(&j, '{');
        json_kv_str(&j, "status", ok ? "healthy" : "degraded");
        json_kv_str(&j, "state", ok ? (queue_ok ? "ok" : "busy") : w->stopping ? "stopping" : "unhealthy");
        json_kv_str(&j, "version", PCAPD_VERSION);
        json_key(&j, "checks");
        json_begin(&j, '{');
        json_kv_bool(&j, "memory_ok", memory_ok);
        json_kv_bool(&j, "disk_ok", disk_ok);
        json_kv_bool(&j, "queue_ok", queue_ok);
        json_kv_bool(&j, "database_ok", db_ok);
        json_kv_bool(&j, "analyzer_ok", analyzer_ok);
        json_end(&j, '}');
        json_key(&j, "metrics");
        json_begin(&j, '{');
        json_kv_double(&j, "memory_percent", mem_percent < 0 ? 0 : mem_percent);
        json_kv_double(&j, "memory_used_mb", memory_used_mb());
        json_kv_double(&j, "disk_percent", disk_percent);
        json_kv_u64(&j, "disk_free_bytes", disk_free);
        json_kv_u64(&j, "queue_size", dispatcher_queued(d));
        json_kv_u64(&j, "queue_max", w->cfg->queue_max);
        json_kv_u64(&j, "running", d->n_running);
        json_kv_u64(&j, "workers", w->cfg->workers);
        json_kv_u64(&j, "uploading", w->n_uploading);
        json_kv_u64(&j, "sse_streams", sse_count());
        json_kv_u64(&j, "connections", conn_count());
        json_kv_u64(&j, "uptime_seconds", (uint64_t) ((store_now_ms() - w->started_at) / 1000));
        json_end(&j, '}');
        json_key(&j, "analyzer");
        json_begin(&j, '{');
        json_kv_str(&j, "mode", w->cfg->analyzer_socket ? "socket" : "spawn");
        json_kv_str(&j, "path", analyzer_detail);
        if (d->analyzer_error[0])
                json_kv_str(&j, "last_error", d->analyzer_error);
        json_end(&j, '}');
        json_end(&j, '}');
        json_raw(&j, "\n", 1);
        if (j.oom)
                http_send_error(req, 500, "Internal Server Error", "out of memory");
        else
                http_send_json(req, ok ? 200 : 503, ok ? "OK" : "Service Unavailable", j.buf, j.len);
        json_free(&j);
        return 0;
}
