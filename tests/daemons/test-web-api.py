#!/usr/bin/env python3
"""pcapd-web under systemd-socket-activate: uploads (multipart and raw) of corpus captures, SSE to the
end, report JSON equal to the CLI's, every error status, headers, gzip, history/queue/health/metrics,
DELETE, sd_notify, graceful SIGTERM."""
import gzip
import importlib.util
import json
import os
import signal
import sys

spec = importlib.util.spec_from_file_location("h", os.path.join(os.path.dirname(__file__), "test-web-harness.py"))
h = importlib.util.module_from_spec(spec)
spec.loader.exec_module(h)

h.env_path("PCAPD_ANALYZER_EXEC")
h.env_path("PCAP_ANALYZER")
captures = ["dns.pcap", "http-clean.pcap", "tcp-bulk-loss-client.pcap", "mixed.pcapng", "ipv6.pcap",
            "tcp-delay.pcap", "icmp.pcap", "ip-frag.pcap"]
paths = [h.corpus("gen", c) for c in captures]

c = h.Checks()
srv = h.Server(args=["--workers", "2", "--queue-max", "20", "--max-upload-mb", "2", "--idle-timeout", "3",
                     "--analyzer-exec", os.environ["PCAPD_ANALYZER_EXEC"]], env={"WATCHDOG_USEC": "400000"})
try:
    import subprocess
    p = subprocess.run([srv.web, "--help"], stdout=subprocess.PIPE)
    c.check(p.returncode == 0 and b"--max-upload-mb" in p.stdout and b"PCAPD_QUEUE_MAX" in p.stdout,
            "--help documents flags and environment")
    p = subprocess.run([srv.web, "--workers", "many"], stderr=subprocess.PIPE)
    c.check(p.returncode != 0 and b"workers" in p.stderr, "a bad flag value is refused")
    srv.start()
    c.check(srv.notify.wait_for("STATUS=", 5), "sd_notify STATUS= sent")
    c.check(srv.notify.wait_for("WATCHDOG=1", 3), "sd_notify WATCHDOG=1 from the loop (WATCHDOG_USEC set)")

    # uploads, both forms, then the stream to its end, then the report against the CLI
    for i, p in enumerate(paths):
        raw = i % 2 == 1
        st, hdr, js = srv.upload(p, raw=raw)
        name = os.path.basename(p)
        if not c.check(st == 202, "%s upload (%s) -> 202 (got %d)" % (name, "raw" if raw else "multipart", st)):
            continue
        tid = js["task_id"]
        c.check(len(tid) == 32 and all(ch in "0123456789abcdef" for ch in tid), "task id is 128-bit hex")
        c.check(js["filename"] == name and js["file_size_bytes"] == os.path.getsize(p), "202 body names the file")
        for k in ("status", "queue_position", "progress_url", "status_url", "report_html_url", "report_json_url"):
            c.check(k in js, "202 body has " + k)
        c.check(hdr.get("location") == "/api/status/" + tid, "202 Location header")
        events = srv.sse(tid)
        c.check(events and events[-1][1] == "completed", "%s: SSE ends with completed (%s)" % (name, [e[1] for e in events]))
        c.check(all(e[0] for e in events), "every SSE event has an id")
        st, status = srv.get_json("/api/status/" + tid)
        c.check(st == 200 and status["status"] == "completed", "status completed")
        for k in ("task_id", "filename", "status", "phase", "progress_percent", "packets_processed", "file_size_bytes",
                  "uploaded_at", "started_at", "finished_at", "expires_at", "health_score", "error_message",
                  "report_html_url", "report_json_url"):
            c.check(k in status, "status has " + k)
        st, hd, body = srv.request("GET", status["report_json_url"])
        c.check(st == 200 and hd.get("content-type", "").startswith("application/json"), "report json served")
        web_report = json.loads(body)
        cli_report = h.cli_json(p)
        same = h.canonical(web_report) == h.canonical(cli_report)
        if not same:
            for k in sorted(set(web_report) | set(cli_report)):
                if h.canonical({k: web_report.get(k)}) != h.canonical({k: cli_report.get(k)}):
                    print("  differs: %s" % k)
        c.check(same, "%s: report JSON equals the CLI's" % name)
        c.check(status["packets_processed"] == cli_report.get("capture", {}).get("packets", status["packets_processed"]),
                "packets in status match the report")
        st, hd, body = srv.request("GET", status["report_html_url"])
        c.check(st == 200 and b"<html" in body.lower()[:2000], "report html served")
        c.check(hd.get("content-security-policy") == "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
                "report html CSP")
        c.check(hd.get("x-frame-options") == "SAMEORIGIN", "report html may be framed by the UI")
        c.check(not os.path.exists(os.path.join(srv.state, "uploads", tid)), "capture removed after the analysis")
        last = tid

    # finished task: the stream sends the final event at once and ends, also with Last-Event-ID
    ev = srv.sse(last, timeout=5)
    c.check(len(ev) == 1 and ev[0][1] == "completed", "stream of a finished task: one final event")
    ev = srv.sse(last, last_event_id=5, timeout=5)
    c.check(len(ev) == 1 and ev[0][1] == "completed", "resume of a finished task: final event")

    # gzip of reports
    st, hd, body = srv.request("GET", "/api/reports/%s/json" % last, headers={"Accept-Encoding": "gzip"})
    c.check(st == 200 and hd.get("content-encoding") == "gzip", "report json gzip when accepted")
    c.check(st == 200 and json.loads(gzip.decompress(body)) is not None, "gzip body decodes")
    st, hd, body = srv.request("GET", "/api/reports/%s/json" % last)
    c.check("content-encoding" not in hd, "no gzip when not accepted")

    # errors
    st, _, js = srv.upload_bytes(b"", raw=True)
    c.check(st == 400, "empty raw body -> 400 (%d)" % st)
    st, _, js = srv.upload_bytes(b"", raw=False)
    c.check(st == 400, "empty file field -> 400 (%d)" % st)
    st, _, js = srv.upload_bytes(b"this is plain text, certainly not a capture file", raw=True)
    c.check(st == 400 and "capture" in js["error"], "not a capture -> 400 (%d)" % st)
    st, _, body = srv.request("POST", "/api/upload", b"--x\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc",
                              {"Content-Type": "multipart/form-data; boundary=x"})
    c.check(st == 400, "multipart without final boundary -> 400 (%d)" % st)
    st, _, body = srv.request("POST", "/api/upload", b"--x\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nabc\r\n--x--\r\n",
                              {"Content-Type": "multipart/form-data; boundary=x"})
    c.check(st == 400 and b"file" in body, "multipart without a file field -> 400 (%d)" % st)
    st, _, body = srv.request("POST", "/api/upload", b"abc", {"Content-Type": "multipart/form-data"})
    c.check(st == 400, "multipart without boundary -> 400 (%d)" % st)
    # 413 from Content-Length alone: headers only, the body is never sent
    import socket
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    s.sendall(b"POST /api/upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/vnd.tcpdump.pcap\r\n"
              b"Content-Length: 3000000\r\n\r\n")
    resp = s.recv(4096)
    s.close()
    c.check(resp.startswith(b"HTTP/1.1 413"), "Content-Length over --max-upload-mb -> 413 before the body (%r)" % resp[:20])
    for path in ("/api/status/", "/api/progress/", "/api/reports/", "/progress/", "/report/"):
        suffix = "/json" if path == "/api/reports/" else ""
        st, _, _ = srv.request("GET", path + "0123456789abcdef0123456789abcdef" + suffix)
        c.check(st == 404 or (path in ("/progress/", "/report/") and st == 200), "unknown id on %s -> %d" % (path, st))
        for bad in ("xyz", "0123456789ABCDEF0123456789ABCDEF", "..%2f..%2fetc%2fpasswd", "0123456789abcdef0123456789abcde"):
            st, _, _ = srv.request("GET", path + bad + suffix)
            c.check(st in (400, 404), "bad id %r on %s -> %d" % (bad, path, st))
    st, _, _ = srv.request("DELETE", "/api/reports/nothex")
    c.check(st == 400, "DELETE with bad id -> 400")
    st, _, _ = srv.request("GET", "/api/upload")
    c.check(st == 405, "GET /api/upload -> 405")
    st, _, _ = srv.request("GET", "/api/nope")
    c.check(st == 404, "unknown API path -> 404")

    # headers on every response
    for path in ("/", "/api/health", "/api/history", "/static/app.js", "/nonexistent", "/api/status/xyz"):
        st, hd, _ = srv.request("GET", path)
        c.check(hd.get("content-security-policy") == "default-src 'self'" and hd.get("x-content-type-options") == "nosniff"
                and hd.get("referrer-policy") == "no-referrer" and hd.get("x-frame-options") == "DENY",
                "security headers on %s (%d)" % (path, st))

    # pages and static files
    for path, marker in (("/", b"index"), ("/history", b"history"), ("/progress/" + last, b"progress"),
                         ("/report/" + last, b"report")):
        st, hd, body = srv.request("GET", path)
        c.check(st == 200 and marker in body, "page %s" % path)
    st, hd, body = srv.request("GET", "/static/app.js", headers={"Accept-Encoding": "gzip"})
    c.check(st == 200 and hd.get("content-encoding") == "gzip" and "etag" in hd, "static file: gzip + ETag")
    st2, hd2, _ = srv.request("GET", "/static/app.js", headers={"If-None-Match": hd.get("etag", "")})
    c.check(st2 == 304, "ETag revalidation -> 304 (%d)" % st2)
    st, _, _ = srv.request("GET", "/../../etc/passwd")
    c.check(st == 404, "path traversal -> 404")

    # history, queue, health, metrics
    st, js = srv.get_json("/api/history?limit=3")
    c.check(st == 200 and len(js["tasks"]) == 3, "history?limit=3")
    st, js = srv.get_json("/api/history")
    c.check(st == 200 and len(js["tasks"]) == len(paths), "history lists every task")
    st, js = srv.get_json("/api/queue/status")
    c.check(st == 200 and js["queued"] == 0 and js["running"] == 0 and js["workers"] == 2, "queue status")
    st, js = srv.get_json("/api/health")
    c.check(st == 200 and js["status"] == "healthy" and js["state"] == "ok" and all(js["checks"].values()), "health ok")
    st, hd, body = srv.request("GET", "/metrics")
    text = body.decode()
    c.check(st == 200 and hd.get("content-type", "").startswith("text/plain"), "metrics served")
    c.check('pcapd_tasks{status="completed"} %d' % len(paths) in text, "metrics: completed tasks")
    for m in ("pcapd_analysis_duration_seconds_bucket", "pcapd_queue_depth", "pcapd_running_analyses",
              "pcapd_uploaded_bytes_total", "pcapd_packets_analysed_total"):
        c.check(m in text, "metrics has " + m)

    # DELETE
    st, _, _ = srv.request("DELETE", "/api/reports/" + last)
    c.check(st == 200, "DELETE report -> 200")
    c.check(not os.path.exists(os.path.join(srv.state, "reports", last + ".json")), "report file deleted")
    st, _, _ = srv.request("GET", "/api/status/" + last)
    c.check(st == 404, "deleted task -> 404")
    st, _, _ = srv.request("DELETE", "/api/reports/" + last)
    c.check(st == 404, "DELETE again -> 404")

    # slow clients: a connection that sends half a request and then nothing is closed after --idle-timeout,
    # an SSE stream with nothing to say is kept alive by heartbeats
    import time
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=15)
    s.sendall(b"POST /api/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc")
    t0 = time.time()
    try:
        closed = s.recv(100) == b""
    except (ConnectionResetError, socket.timeout):
        closed = True
    s.close()
    c.check(closed and time.time() - t0 < 8, "stalled upload closed after the idle timeout (%.1f s)" % (time.time() - t0))
    st, _, js = srv.upload_bytes(open(paths[0], "rb").read(), raw=True)
    srv.wait_status(js["task_id"], ("completed",), 30)

    # a file name with an invalid UTF-8 byte (0xff): the 202, status and history answers stay valid JSON, the
    # byte shown as U+FFFD (issue 12: the daemon's JSON strings now go through the project's one escaper)
    bnd = "----pcapdbadname"
    data = open(paths[0], "rb").read()
    body = (b"--" + bnd.encode() + b'\r\nContent-Disposition: form-data; name="file"; filename="bad\xffname.pcap"'
            b"\r\nContent-Type: application/vnd.tcpdump.pcap\r\n\r\n" + data + b"\r\n--" + bnd.encode() + b"--\r\n")
    st, hd, raw = srv.request("POST", "/api/upload", body, {"Content-Type": "multipart/form-data; boundary=" + bnd})

    def strict_json(b):
        try:
            return json.loads(b.decode("utf-8"))  # strict: invalid UTF-8 raises
        except (UnicodeDecodeError, ValueError):
            return None

    js = strict_json(raw)
    c.check(st == 202 and js is not None and js.get("filename") == "bad\ufffdname.pcap",
            "a file name with byte 0xff: the 202 answer is valid JSON (%d %r)" % (st, raw[:120]))
    if js:
        srv.sse(js["task_id"])
        st, hd, raw = srv.request("GET", "/api/status/" + js["task_id"])
        c.check(strict_json(raw) is not None, "... and so is its status")
        st, hd, raw = srv.request("GET", "/api/history")
        c.check(strict_json(raw) is not None, "... and the history that lists it")

    # logs: structured JSON lines with the task id and event
    recs = srv.log_records()
    c.check(any(r.get("PCAPD_EVENT") == "analysis-done" and r.get("PCAPD_TASK_ID") for r in recs),
            "JSON log lines with PCAPD_EVENT and PCAPD_TASK_ID")

    # graceful stop
    rc = srv.stop(signal.SIGTERM, timeout=60)
    c.check(rc == 0, "SIGTERM -> exit 0 (%s)" % rc)
    c.check(srv.notify.wait_for("STOPPING=1", 2), "sd_notify STOPPING=1")
finally:
    if c.failures:
        srv.dump_log()
    srv.cleanup()
c.done()
