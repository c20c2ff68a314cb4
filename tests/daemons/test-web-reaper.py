#!/usr/bin/env python3
"""pcapd-reaper beside a running pcapd-web: expiry with --retention-seconds, orphans in uploads/ and
reports/, young files left alone, idempotence."""
import importlib.util
import os
import subprocess
import time

spec = importlib.util.spec_from_file_location("h", os.path.join(os.path.dirname(__file__), "test-web-harness.py"))
h = importlib.util.module_from_spec(spec)
spec.loader.exec_module(h)

analyzer = h.env_path("PCAPD_ANALYZER_EXEC")
reaper = h.env_path("PCAPD_REAPER")
cap = h.corpus("gen", "icmp.pcap")
c = h.Checks()


def run_reaper(state, *args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run([reaper, "--state-dir", state] + list(args), env=e, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    return p.returncode, p.stderr.decode()


srv = h.Server(args=["--workers", "1", "--analyzer-exec", analyzer, "--retention-seconds", "3600"])
try:
    srv.start()
    reports = os.path.join(srv.state, "reports")
    uploads = os.path.join(srv.state, "uploads")
    st, _, js = srv.upload(cap)
    done_id = js["task_id"]
    js = srv.wait_status(done_id, ("completed",), 30)
    c.check(js["expires_at"] is not None, "completed task has expires_at")

    # orphans: old files with no task row, a young one, an unrelated name
    old = time.time() - 7200
    orphan_up = os.path.join(uploads, "ab" * 16)
    orphan_rep = os.path.join(reports, "cd" * 16 + ".json")
    young = os.path.join(uploads, "ef" * 16)
    other = os.path.join(reports, "README")
    for p in (orphan_up, orphan_rep, young, other):
        with open(p, "wb") as f:
            f.write(b"x")
    for p in (orphan_up, orphan_rep, other):
        os.utime(p, (old, old))

    rc, err = run_reaper(srv.state, "--retention-hours", "24")
    c.check(rc == 0, "reaper exit 0")
    c.check(not os.path.exists(orphan_up) and not os.path.exists(orphan_rep), "old orphans removed")
    c.check(os.path.exists(young), "a young file without a row is left alone (upload in flight)")
    c.check(os.path.exists(other), "files that are not pcapd's are left alone")
    c.check(os.path.exists(os.path.join(reports, done_id + ".json")), "a report within retention is kept")
    c.check(srv.get_json("/api/status/" + done_id)[1]["status"] == "completed", "task still completed")

    # expiry through the environment variable, while the frontend runs
    rc, err = run_reaper(srv.state, env={"PCAPD_RETENTION_SECONDS": "0"})
    c.check(rc == 0, "reaper with PCAPD_RETENTION_SECONDS=0 exit 0")
    st, js = srv.get_json("/api/status/" + done_id)
    c.check(js["status"] == "expired", "task expired (%s)" % js["status"])
    c.check(not os.path.exists(os.path.join(reports, done_id + ".json")) and
            not os.path.exists(os.path.join(reports, done_id + ".html")), "report files deleted")
    st, _, _ = srv.request("GET", "/api/reports/%s/html" % done_id)
    c.check(st == 410, "expired report -> 410 (%d)" % st)
    ev = srv.sse(done_id, timeout=5)
    c.check(ev and ev[-1][1] == "failed" and "expired" in ev[-1][2]["error_message"], "SSE of an expired task ends at once")
    c.check("PCAPD_EVENT" in err and "task-expired" in err, "reaper logs structured records")

    # idempotent
    rc, err2 = run_reaper(srv.state, "--retention-seconds", "0")
    c.check(rc == 0 and '"PCAPD_EXPIRED":"0"' in err2, "second run changes nothing")

    # a queued task's capture is never touched, whatever its age
    srv.stop()
    srv2 = h.Server(state_dir=srv.state, args=["--workers", "0", "--analyzer-exec", analyzer])
    srv2.start()
    st, _, js = srv2.upload(cap)
    qid = js["task_id"]
    qpath = os.path.join(uploads, qid)
    os.utime(qpath, (old, old))
    rc, _ = run_reaper(srv.state, "--retention-seconds", "0")
    c.check(os.path.exists(qpath), "capture of a queued task kept")
    c.check(srv2.get_json("/api/status/" + qid)[1]["status"] == "queued", "queued task untouched")
    st, js = srv2.get_json("/api/history")
    c.check(st == 200 and {t["status"] for t in js["tasks"]} == {"queued", "expired"}, "history shows expired + queued")
    srv2.stop()
    srv2.cleanup()

    rc = subprocess.run([reaper, "--help"], stdout=subprocess.PIPE).returncode
    c.check(rc == 0, "reaper --help")
    rc = subprocess.run([reaper, "--retention-seconds", "x"], stderr=subprocess.PIPE).returncode
    c.check(rc != 0, "reaper rejects a bad value")
finally:
    if c.failures:
        srv.dump_log()
    srv.cleanup()
c.done()
