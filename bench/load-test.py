#!/usr/bin/env python3
"""Load test of pcapd-web on loopback: N simulated users upload captures of mixed sizes, follow progress by
SSE to the final event, fetch both reports and the status, for a fixed time; then wrk on /api/health and
/api/status/{id}. Reports completed analyses per minute, p50/p99 latency per route, errors (0 apart from
intended 503s), pcapd-web's RSS after the warm-up and at the end (growth <= 5 %), and, when pcapd-web is an
ASan build, LeakSanitizer's verdict at exit (SIGTERM, stderr read).

Usage: bench/load-test.py --web BUILD/daemons/web/pcapd-web --analyzer BUILD/daemons/analyzer/pcapd-analyzer
                          [--users 10] [--duration 120] [--warmup 20] [--workers 2] [--queue-max 5]
                          [--corpus ../shared/corpus] [--wrk-seconds 10] [--json OUT] [--check]
--check: exit 1 when a limit is broken (errors, RSS growth, leak); the short form in tests/robust uses it.
Python stdlib only (+ wrk when installed).
"""
import argparse
import http.client
import importlib.util
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
spec = importlib.util.spec_from_file_location("h", os.path.join(TOP, "tests", "daemons", "test-web-harness.py"))
h = importlib.util.module_from_spec(spec)
spec.loader.exec_module(h)
sys.path.insert(0, os.path.join(TOP, "tests", "robust"))
import hostile_gen as g  # noqa: E402


def rss_kb(pid):
    try:
        for line in open("/proc/%d/status" % pid):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p))] if v else float("nan")


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.lat = {}
        self.errors = []
        self.busy = 0
        self.completed = 0
        self.failed = 0
        self.uploaded_bytes = 0
        self.e2e = []

    def add(self, route, secs):
        with self.lock:
            self.lat.setdefault(route, []).append(secs)

    def error(self, what):
        with self.lock:
            if len(self.errors) < 200:
                self.errors.append(what)
            else:
                self.errors.append("...")


def captures(corpus):
    """[(name, bytes)] of mixed sizes: generated small/medium/large, plus corpus captures when present."""
    out = [("small.pcap", b"".join(g.tiny_packets(200))),
           ("medium.pcap", b"".join(g.distinct_flows(30_000))),
           ("dns.pcap", b"".join(g.dns_unanswered(2_000))),
           ("large.pcap", b"".join(g.tiny_packets(400_000)))]
    if corpus:
        for n in ("dns.pcap", "http-clean.pcap", "tcp-bulk-loss-client.pcap", "mixed.pcapng", "icmp.pcap"):
            p = os.path.join(corpus, "gen", n)
            if os.path.exists(p):
                out.append((n, open(p, "rb").read()))
    return out


def timed(stats, route, port, method, path, body=None, headers=None, timeout=60):
    t0 = time.time()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        stats.add(route, time.time() - t0)
        return r.status, r, data
    finally:
        c.close()


def follow_sse(stats, port, tid, timeout=300):
    """Reads the stream to the final event; records the time to the first event."""
    t0 = time.time()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", "/api/progress/" + tid, headers={"Accept": "text/event-stream"})
        r = c.getresponse()
        if r.status != 200:
            return None, r.status
        first = True
        event = None
        while True:
            line = r.fp.readline()
            if not line:
                return None, "stream ended without a final event"
            line = line.decode().rstrip("\n")
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
                if first:
                    stats.add("GET /api/progress (first event)", time.time() - t0)
                    first = False
            elif line == "" and event in ("completed", "failed"):
                return event, 200
    finally:
        c.close()


def user(stats, port, caps, end, rnd, sequence, uid):
    """Uploads until end: random captures, or (warm-up) every capture in turn, the largest first at once in
    every user (the peak the allocator must have seen before RSS is compared), then random ones."""
    order = sorted(caps, key=lambda c: -len(c[1])) if sequence else []
    while time.time() < end or order:
        name, data = order.pop(0) if order else rnd.choice(caps)
        t0 = time.time()
        try:
            st, r, body = timed(stats, "POST /api/upload", port, "POST", "/api/upload", data,
                                {"Content-Type": "application/vnd.tcpdump.pcap", "X-Filename": name})
        except OSError as e:
            stats.error("upload %s: %s" % (name, e))
            time.sleep(0.5)
            continue
        if st == 503:
            with stats.lock:
                stats.busy += 1
            ra = r.getheader("Retry-After")
            if not ra:
                stats.error("503 without Retry-After")
            time.sleep(min(float(ra or 1), 1.0) * (0.5 + rnd.random()))  # honoured, shortened for the test
            continue
        if st != 202:
            stats.error("upload %s -> %d %r" % (name, st, body[:100]))
            continue
        tid = json.loads(body)["task_id"]
        with stats.lock:
            stats.uploaded_bytes += len(data)
        try:
            ev, why = follow_sse(stats, port, tid)
        except OSError as e:
            stats.error("sse %s: %s" % (tid[:8], e))
            continue
        if ev is None:
            stats.error("sse %s: %s" % (tid[:8], why))
            continue
        t_final = time.time() - t0
        try:
            st, _, sbody = timed(stats, "GET /api/status/{id}", port, "GET", "/api/status/" + tid)
            js = json.loads(sbody)
            if ev == "completed":
                for kind in ("json", "html"):
                    st2, _, rep = timed(stats, "GET /api/reports/{id}/" + kind, port, "GET",
                                        "/api/reports/%s/%s" % (tid, kind), headers={"Accept-Encoding": "gzip"})
                    if st2 != 200 or not rep:
                        stats.error("report %s %s -> %d" % (kind, tid[:8], st2))
                with stats.lock:
                    stats.completed += 1
                    stats.e2e.append(t_final)
            else:
                with stats.lock:
                    stats.failed += 1
                stats.error("analysis of %s failed: %s" % (name, js.get("error_message")))
            if rnd.random() < 0.3:
                timed(stats, "GET /api/history", port, "GET", "/api/history?limit=20")
            if rnd.random() < 0.5:
                st3, _, _ = timed(stats, "DELETE /api/reports/{id}", port, "DELETE", "/api/reports/" + tid)
                if st3 != 200:
                    stats.error("delete %s -> %d" % (tid[:8], st3))
        except (OSError, ValueError) as e:
            stats.error("after %s: %s" % (tid[:8], e))


def run_wrk(port, path, seconds, conns=50):
    if not shutil.which("wrk"):
        return None
    p = subprocess.run(["wrk", "-t2", "-c%d" % conns, "-d%ds" % seconds, "--latency",
                        "http://127.0.0.1:%d%s" % (port, path)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = p.stdout.decode()
    res = {"path": path, "conns": conns, "seconds": seconds}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    res["rps"] = float(m.group(1)) if m else None
    for q in ("50%", "99%"):
        m = re.search(r"^\s+%s\s+([\d.]+)(us|ms|s)" % q, out, re.M)
        if m:
            v = float(m.group(1)) * {"us": 1e-3, "ms": 1, "s": 1e3}[m.group(2)]
            res["p" + q[:-1] + "_ms"] = v
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    res["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--web", default=os.environ.get("PCAPD_WEB"))
    ap.add_argument("--analyzer", default=os.environ.get("PCAPD_ANALYZER_EXEC"))
    ap.add_argument("--users", type=int, default=10)
    ap.add_argument("--duration", type=float, default=120)
    ap.add_argument("--warmup", type=float, default=None, help="seconds (default: 20 %% of the duration)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--queue-max", type=int, default=5)
    ap.add_argument("--corpus", default=os.environ.get("PCAPD_CORPUS"))
    ap.add_argument("--wrk-seconds", type=int, default=10)
    ap.add_argument("--json")
    ap.add_argument("--check", action="store_true")
    o = ap.parse_args()
    for what, p in (("pcapd-web", o.web), ("pcapd-analyzer", o.analyzer)):
        if not p or not os.access(p, os.X_OK):
            print("SKIP: %s not built (%r)" % (what, p))
            return 77
    os.environ["PCAPD_WEB"] = o.web
    warm = o.warmup if o.warmup is not None else o.duration * 0.2
    # an ASan build links the runtime dynamically (gcc): its binary names __asan_init, not "AddressSanitizer"
    web_bytes = open(o.web, "rb").read()
    asan = b"AddressSanitizer" in web_bytes or b"__asan_init" in web_bytes
    # glibc raises its mmap threshold after large frees, so request bodies of a few MiB then come from the
    # heap and stay resident when freed: RSS would measure the allocator's caching, not what pcapd-web holds.
    # A fixed threshold (128 KiB) keeps large buffers mmap'd and returned at free, so RSS tracks live memory.
    env = {"GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=131072"}
    if asan:
        env = {"ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:fast_unwind_on_malloc=0",
               "LSAN_OPTIONS": "report_objects=1"}
    srv = h.Server(activate=False, args=["--workers", str(o.workers), "--queue-max", str(o.queue_max),
                                         "--max-upload-mb", "100", "--analyzer-exec", o.analyzer], env=env)
    stats = Stats()
    result = {}
    fails = []
    try:
        srv.start()
        pid = srv.proc.pid
        caps = captures(o.corpus)
        print("captures: %s" % ", ".join("%s %.1f MB" % (n, len(d) / 1e6) for n, d in caps))
        rss0 = rss_kb(pid)
        t0 = time.time()

        def phase(until, seed):
            users = [threading.Thread(target=user, args=(stats, srv.port, caps, until, random.Random(seed + i),
                                                         seed == 0, i))
                     for i in range(o.users)]
            for u in users:
                u.start()
            for u in users:
                u.join(o.duration + 600)
        # warm-up, then RSS with nobody connected; the measured run, then RSS again with nobody connected
        phase(t0 + warm, 0)
        time.sleep(0.5)
        rss_warm = rss_kb(pid)
        done_warm = stats.completed
        t1 = time.time()
        phase(t1 + o.duration - warm, 1000)
        elapsed = time.time() - t0
        time.sleep(0.5)
        rss_end = rss_kb(pid)
        # wrk on the cheap routes, the server otherwise idle
        st, js = srv.get_json("/api/history?limit=1")
        some = js["tasks"][0]["task_id"] if js and js.get("tasks") else "0" * 32
        wrk = [run_wrk(srv.port, "/api/health", o.wrk_seconds), run_wrk(srv.port, "/api/status/" + some, o.wrk_seconds)]
        rss_after_wrk = rss_kb(pid)
        result = {
            "users": o.users, "duration_s": round(elapsed, 1), "workers": o.workers, "queue_max": o.queue_max,
            "completed": stats.completed, "failed": stats.failed, "intended_503": stats.busy,
            "completed_per_minute": round(stats.completed / elapsed * 60, 1),
            "uploaded_mb": round(stats.uploaded_bytes / 1e6, 1),
            "errors": len(stats.errors), "error_samples": stats.errors[:10],
            "upload_to_final_s": {"p50": round(pct(stats.e2e, .5), 3), "p99": round(pct(stats.e2e, .99), 3)},
            "latency_ms": {r: {"n": len(v), "p50": round(pct(v, .5) * 1e3, 2), "p99": round(pct(v, .99) * 1e3, 2)}
                           for r, v in sorted(stats.lat.items())},
            "rss_kb": {"start": rss0, "after_warmup": rss_warm, "end": rss_end, "after_wrk": rss_after_wrk},
            "completed_during_warmup": done_warm,
            "wrk": wrk,
        }
        growth = (rss_end - rss_warm) / rss_warm * 100 if rss_warm else None
        result["rss_growth_after_warmup_pct"] = round(growth, 1) if growth is not None else None
        rc = srv.stop(signal.SIGTERM, timeout=60)
        result["stop_exit"] = rc
        log = open(srv.log_path, "rb").read().decode("utf-8", "replace")
        if asan:
            leak = "LeakSanitizer" in log or "AddressSanitizer" in log
            result["lsan"] = "leak or ASan report" if leak else "no leak reported"
            if leak:
                i = log.find("Sanitizer")
                print(log[max(0, i - 200):i + 4000])
                fails.append("ASan/LSan report in pcapd-web's stderr")
        # verdicts
        if stats.errors:
            fails.append("%d errors (first: %s)" % (len(stats.errors), stats.errors[0]))
        if stats.completed == 0:
            fails.append("no analysis completed")
        if growth is not None and growth > 5 and not asan:  # ASan's quarantine holds freed memory
            fails.append("RSS grew %.1f %% after the warm-up (%d -> %d kB)" % (growth, rss_warm, rss_end))
        if rc != 0:
            fails.append("pcapd-web exit %s on SIGTERM" % rc)
        for w in wrk:
            if w and (w["non2xx"] or w["socket_errors"]):
                fails.append("wrk %s: %d non-2xx, %d socket errors" % (w["path"][:20], w["non2xx"], w["socket_errors"]))
    finally:
        if fails:
            srv.dump_log()
        srv.cleanup()
    print(json.dumps(result, indent=1))
    print("LOAD-STATS %d users x %.0f s: %d analyses completed (%.1f/min), %d intended 503, %d errors; "
          "upload->final p50 %.2f s; RSS %s -> %s kB after warm-up (%s %%); wrk /api/health %s req/s" % (
              o.users, result.get("duration_s", 0), stats.completed, result.get("completed_per_minute", 0), stats.busy,
              len(stats.errors), result["upload_to_final_s"]["p50"] if result else 0,
              result.get("rss_kb", {}).get("after_warmup"), result.get("rss_kb", {}).get("end"),
              result.get("rss_growth_after_warmup_pct"), (wrk[0] or {}).get("rps") if result else None))
    if o.json:
        with open(o.json, "w") as f:
            json.dump(result, f, indent=1)
    for f in fails:
        print("FAIL " + f)
    return 1 if (fails and o.check) else 0


if __name__ == "__main__":
    sys.exit(main())
