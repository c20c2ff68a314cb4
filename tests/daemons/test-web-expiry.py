#!/usr/bin/env python3
"""pcapd-web expires reports itself where no systemd timer runs pcapd-reaper (issue 14: a container's
reports used to stay for ever): with --retention-seconds 2 a finished task becomes expired, its report files
go and the API answers 410; --reap=off and a pcapd-web started by systemd ($INVOCATION_ID, whose units come
with pcapd-reaper.timer) leave that to the timer. The capture is made here (tests/pcapwrite)."""
import importlib.util
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("h", os.path.join(HERE, "test-web-harness.py"))
h = importlib.util.module_from_spec(spec)
spec.loader.exec_module(h)
sys.path.insert(0, os.path.join(HERE, "..", "pcapwrite"))
import pcapwrite as pw  # noqa: E402

analyzer = h.env_path("PCAPD_ANALYZER_EXEC")
c = h.Checks()


def capture(path):
    with pw.PcapWriter(path) as w:
        for i in range(20):
            w.write(1700000000 + i * 0.01, pw.ether(pw.ipv4("192.0.2.1", "192.0.2.2", pw.icmp_echo(7, i))))
    return path


def run(args, env=None, wait_s=7):
    """Uploads one capture; returns (final status after wait_s, report files left, log events)."""
    srv = h.Server(args=["--workers", "1", "--analyzer-exec", analyzer, "--retention-seconds", "2"] + args, env=env)
    try:
        srv.start()
        st, _, js = srv.upload(capture(os.path.join(srv.tmp, "c.pcap")))
        tid = js["task_id"]
        srv.wait_status(tid, ("completed",), 30)
        end = time.time() + wait_s
        status = None
        while time.time() < end:
            status = srv.get_json("/api/status/" + tid)[1]["status"]
            if status == "expired":
                break
            time.sleep(0.2)
        files = [f for f in os.listdir(srv.state_path("reports")) if f.startswith(tid)]
        code = srv.request("GET", "/api/reports/%s/json" % tid)[0]
        srv.stop()
        return status, files, code, {r.get("PCAPD_EVENT") for r in srv.log_records()}
    finally:
        srv.cleanup()


status, files, code, events = run([])
c.check(status == "expired", "not started by systemd: the report expires in pcapd-web itself (%s)" % status)
c.check(not files and code == 410, "its files are gone and the API answers 410 (%s, %d)" % (files, code))
c.check({"expiry", "task-expired", "reaper-done"} <= events, "the expiry is logged (%s)" % sorted(e for e in events if e))
status, files, code, _ = run(["--reap", "off"], wait_s=4)
c.check(status == "completed" and files, "--reap=off: nothing expires here (%s)" % status)
status, files, code, _ = run([], env={"INVOCATION_ID": "0123456789abcdef0123456789abcdef"}, wait_s=4)
c.check(status == "completed" and files, "started by systemd: the timer's pcapd-reaper does it, not pcapd-web (%s)" % status)
status, files, code, _ = run(["--reap", "on"], env={"INVOCATION_ID": "0123456789abcdef0123456789abcdef"})
c.check(status == "expired", "--reap=on under systemd: pcapd-web expires too (%s)" % status)
c.done()
