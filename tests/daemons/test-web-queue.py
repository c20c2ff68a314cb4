#!/usr/bin/env python3
"""pcapd-web with --listen: the queue limit (503 + Retry-After), queued tasks surviving a restart, and a
task interrupted by kill -9 of the frontend going back to the queue and completing."""
import importlib.util
import os
import signal
import stat
import time

spec = importlib.util.spec_from_file_location("h", os.path.join(os.path.dirname(__file__), "test-web-harness.py"))
h = importlib.util.module_from_spec(spec)
spec.loader.exec_module(h)

analyzer = h.env_path("PCAPD_ANALYZER_EXEC")
caps = [h.corpus("gen", n) for n in ("dns.pcap", "icmp.pcap", "tcp-rst.pcap")]
c = h.Checks()

# settings from the environment this time (containers), flags elsewhere
srv = h.Server(activate=False, args=["--analyzer-exec", analyzer],
               env={"PCAPD_WORKERS": "0", "PCAPD_QUEUE_MAX": "3", "PCAPD_MAX_UPLOAD_MB": "50"})
state = srv.state
try:
    srv.start()
    ids = []
    for p in caps:
        st, hdr, js = srv.upload(p)
        c.check(st == 202 and js["status"] == "queued", "upload with --workers 0 -> 202 queued")
        ids.append(js["task_id"])
    c.check([srv.get_json("/api/status/" + i)[1]["queue_position"] for i in ids] == [1, 2, 3], "queue positions 1..3")
    st, hdr, js = srv.upload(caps[0])
    c.check(st == 503 and hdr.get("retry-after"), "queue full -> 503 with Retry-After (%d)" % st)
    st, js = srv.get_json("/api/queue/status")
    c.check(js["queued"] == 3 and js["accepting"] is False, "queue status: 3 queued, not accepting")
    st, js = srv.get_json("/api/health")
    c.check(st == 200 and js["checks"]["queue_ok"] is False and js["status"] == "healthy" and js["state"] == "busy", "health: queue full is load, still 200")
    ev = srv.sse(ids[2], until_final=False, max_events=1, timeout=5)
    c.check(ev and ev[0][1] == "progress" and ev[0][2]["status"] == "queued", "SSE of a queued task: a queued event")
    c.check(srv.stop() == 0, "SIGTERM with queued tasks -> exit 0")
    c.check(all(os.path.exists(os.path.join(state, "uploads", i)) for i in ids), "captures kept for queued tasks")

    # bodies over h2o's 32 MiB live in its mmap'd file: the stored capture is the sent bytes exactly, raw or
    # as a form's file part
    srv_big = h.Server(activate=False, args=["--analyzer-exec", analyzer],
                       env={"PCAPD_WORKERS": "0", "PCAPD_QUEUE_MAX": "3", "PCAPD_MAX_UPLOAD_MB": "100"})
    srv_big.start()
    big = open(caps[0], "rb").read()
    big = big + bytes(range(256)) * ((40 << 20) // 256)
    for raw in (True, False):
        st, _, js = srv_big.upload_bytes(big, raw=raw, filename="big.pcap")
        ok = st == 202 and open(os.path.join(srv_big.state, "uploads", js["task_id"]), "rb").read() == big
        c.check(ok, "a 40 MiB %s upload is stored byte for byte" % ("raw" if raw else "multipart"))
    srv_big.stop()
    srv_big.cleanup()

    # restart with workers: every queued task runs
    srv2 = h.Server(state_dir=state, activate=False, args=["--workers", "2", "--analyzer-exec", analyzer])
    srv2.start()
    for i in ids:
        js = srv2.wait_status(i, ("completed", "failed"), 60)
        c.check(js["status"] == "completed", "queued task %s completed after restart" % i[:8])
    c.check(not any(os.path.exists(os.path.join(state, "uploads", i)) for i in ids), "captures removed once analysed")
    c.check(srv2.stop() == 0, "second instance stops cleanly")
    srv2.cleanup()

    # kill -9 of the frontend while an analysis runs: the task goes back to the queue on the next start
    fake = os.path.join(srv.tmp, "slow-analyzer")
    with open(fake, "w") as f:
        f.write("#!/bin/sh\nexec sleep 300\n")
    os.chmod(fake, stat.S_IRWXU)
    srv3 = h.Server(state_dir=state, activate=False, args=["--workers", "1", "--analyzer-exec", fake])
    srv3.start()
    st, hdr, js = srv3.upload(caps[1])
    tid = js["task_id"]
    srv3.wait_status(tid, ("processing",), 10)
    children = srv3.wait_children()
    srv3.kill9()
    c.check(len(children) == 1, "one analyzer child was running")
    time.sleep(0.3)
    c.check(all(not os.path.exists("/proc/%d" % p) or open("/proc/%d/stat" % p).read().split()[2] == "Z"
                for p in children), "the analyzer died with the frontend (PDEATHSIG)")
    srv4 = h.Server(state_dir=state, activate=True, args=["--workers", "1", "--analyzer-exec", analyzer])
    srv4.start()
    js = srv4.wait_status(tid, ("completed", "failed"), 60)
    c.check(js["status"] == "completed", "interrupted task re-run and completed after kill -9 (%s)" % js["status"])
    recs = srv4.log_records()
    c.check(any(r.get("PCAPD_EVENT") == "tasks-recovered" for r in recs), "recovery logged")
    c.check(srv4.stop() == 0, "stops cleanly")
    srv3.cleanup()
    srv4.cleanup()
finally:
    if c.failures:
        srv.dump_log()
    srv.cleanup()
c.done()
