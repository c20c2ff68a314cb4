#!/usr/bin/env python3
"""The clients written for the design pcapd replaces (../shared/seed/plan-performance-web.md) against the
real pcapd-web, unchanged: the document's own benchmark script is extracted from the document at test time
(never copied into this repository) and its benchmark_web() is run; its routes, health shape and
environment variables are checked as its scripts and its docker run line use them (issue 17)."""
import importlib.util
import os
import re
import sys
import tempfile

spec = importlib.util.spec_from_file_location("h", os.path.join(os.path.dirname(__file__), "test-web-harness.py"))
h = importlib.util.module_from_spec(spec)
spec.loader.exec_module(h)

analyzer = h.env_path("PCAPD_ANALYZER_EXEC")
script = h.design_doc_script("benchmark_cli_vs_web.py")
capture = h.corpus("gen", "dns.pcap")
c = h.Checks()


import requests  # noqa: E402  (python3-requests: the document's scripts use it)

tmp = tempfile.mkdtemp(prefix="pcapd-compat-")
path = os.path.join(tmp, "benchmark_cli_vs_web.py")
with open(path, "w") as f:
    f.write(script)
bspec = importlib.util.spec_from_file_location("benchmark_cli_vs_web", path)
bench = importlib.util.module_from_spec(bspec)
bspec.loader.exec_module(bench)

# the document's variables only (its Annex A.1 docker run): 1 MiB uploads, reports kept 2 hours
srv = h.Server(activate=False, args=["--analyzer-exec", analyzer],
               env={"MAX_UPLOAD_SIZE_MB": "1", "REPORT_TTL_HOURS": "2"})
try:
    srv.start()
    url = "http://127.0.0.1:%d" % srv.port

    seconds = bench.benchmark_web(capture, url)
    c.check(isinstance(seconds, float) and seconds > 0, "the document's benchmark_web() ran to completion (%.2f s)" % seconds)

    r = requests.get(url + "/health")
    js = r.json()
    c.check(r.status_code == 200 and js.get("status") == "healthy", "GET /health: 200 healthy")
    c.check(all(isinstance(js.get("checks", {}).get(k), bool) for k in ("memory_ok", "disk_ok", "queue_ok")),
            "health checks memory_ok, disk_ok, queue_ok are booleans (§10.2)")
    c.check(all(isinstance(js.get("metrics", {}).get(k), (int, float))
                for k in ("memory_percent", "memory_used_mb", "disk_percent", "queue_size")),
            "health metrics memory_percent, memory_used_mb, disk_percent, queue_size (§10.2)")

    # the Locust file's calls (§9.3), made the way requests makes them
    with open(capture, "rb") as f:
        r = requests.post(url + "/upload", files={"file": ("test.pcap", f, "application/vnd.tcpdump.pcap")})
    js = r.json()
    c.check(r.status_code == 200 and "task_id" in js and isinstance(js.get("queue_position"), int),
            "POST /upload: 200 with task_id and queue_position")
    tid = js["task_id"]
    st = None
    for _ in range(100):
        st = requests.get(url + "/status/" + tid).json()["status"]
        if st in ("completed", "failed"):
            break
        import time
        time.sleep(0.1)
    c.check(st == "completed", "GET /status/{id} reaches completed")
    js = requests.get(url + "/status/" + tid).json()
    c.check(isinstance(js.get("memory_mb"), float) and 0.5 < js["memory_mb"] < 4096,
            "the status gives the analysis's peak memory (memory_mb %s, §4.3)" % js.get("memory_mb"))
    r = requests.get(url + "/report/" + tid)
    c.check(r.status_code == 200 and r.headers.get("content-type", "").startswith("text/html")
            and "default-src 'none'" in r.headers.get("content-security-policy", "")
            and "Accept" in r.headers.get("vary", ""),
            "GET /report/{id} from a script: the HTML report itself, with the report's CSP")
    api = requests.get(url + "/api/reports/%s/html" % tid)
    c.check(r.content == api.content, "the same bytes as /api/reports/{id}/html")
    page = requests.get(url + "/report/" + tid, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    c.check(page.status_code == 200 and page.content != r.content and
            page.headers.get("content-security-policy") == "default-src 'self'",
            "GET /report/{id} from a browser: the report page")
    r = requests.get(url + "/report/" + "0" * 32)
    c.check(r.status_code == 404 and "detail" in r.json(), "unknown report: 404 with detail")
    r = requests.get(url + "/upload")
    c.check(r.status_code == 405 and "POST" in r.headers.get("allow", ""), "GET /upload: 405, Allow: POST")

    m = requests.get(url + "/metrics").text
    cnt = re.search(r"^pcapd_analysis_peak_memory_bytes_count (\d+)$", m, re.M)
    c.check(cnt and int(cnt.group(1)) >= 2, "/metrics has the peak memory histogram (%s analyses)" % (cnt and cnt.group(1)))
    recs = srv.log_records()
    c.check(any(r.get("PCAPD_EVENT") == "analysis-done" and float(r.get("PCAPD_PEAK_MEMORY_MB", 0)) > 0 for r in recs),
            "the journal record of an analysis carries PCAPD_PEAK_MEMORY_MB")

    # the document's variables took effect
    q = requests.get(url + "/api/queue/status").json()
    c.check(q.get("retention_seconds") == 7200, "REPORT_TTL_HOURS=2 -> reports kept 7,200 s")
    c.check(q.get("max_upload_bytes") == 1 << 20, "MAX_UPLOAD_SIZE_MB=1 -> 1 MiB uploads")
    data = open(capture, "rb").read()
    data = data + b"\0" * ((1 << 20) + 1 - len(data))
    r = requests.post(url + "/upload", files={"file": ("big.pcap", data)})
    c.check(r.status_code == 413, "an upload over MAX_UPLOAD_SIZE_MB: 413")
finally:
    srv.stop()
    srv.cleanup()

# §8.1 and §11.6: a saturated queue answers POST /upload with 503 and a detail (no worker: all 5 wait)
srv = h.Server(activate=False, args=["--analyzer-exec", analyzer, "--workers", "0", "--queue-max", "5"])
try:
    srv.start()
    url = "http://127.0.0.1:%d" % srv.port
    codes = []
    for i in range(6):
        with open(capture, "rb") as f:
            r = requests.post(url + "/upload", files={"file": ("q%d.pcap" % i, f)})
        codes.append(r.status_code)
    c.check(codes == [200] * 5 + [503], "5 uploads queued, the 6th refused (%s)" % codes)
    c.check("detail" in r.json() and r.headers.get("retry-after") == "30", "the 503 has detail and Retry-After")
    js = requests.get(url + "/health").json()
    c.check(js["checks"]["queue_ok"] is False and js["metrics"]["queue_size"] == 5, "health: queue_ok false, queue_size 5")
finally:
    srv.stop()
    srv.cleanup()
c.done()
