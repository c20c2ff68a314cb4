#!/usr/bin/env python3
"""Analyzer failures seen from pcapd-web: kill -9 mid-analysis, crash by signal, exit without DONE,
timeout, a sandbox violation, an ERROR from the analyzer, an unreachable analyzer socket. Each becomes a
failed task with a reason, and the server keeps serving. With the argument "escapes": only the sandbox
violations (they need the analyzer's test hooks: skipped, exit 77, in a build without them)."""
import importlib.util
import os
import signal
import stat
import sys
import time

spec = importlib.util.spec_from_file_location("h", os.path.join(os.path.dirname(__file__), "test-web-harness.py"))
h = importlib.util.module_from_spec(spec)
spec.loader.exec_module(h)

# test-web-crash.py escapes: only the sandbox escapes, which need the analyzer's test hooks
escapes = sys.argv[1:] == ["escapes"]
if escapes and os.environ.get("PCAPD_TEST_HOOKS") != "1":
    h.skip("the sandbox escapes through pcapd-web need the analyzer's test hooks, which this build does not have "
           "(meson setup -Dtest_hooks=true; tests/run-all.sh sets it)")

real = h.env_path("PCAPD_ANALYZER_EXEC")
# speaks the IPC protocol and sends PROGRESS for 2 s: a running task long enough to watch its stream
fake_analyzer = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench", "web-fake-analyzer.py")
cap = h.corpus("gen", "dns.pcap")
c = h.Checks()

srv = h.Server(args=["--workers", "1", "--analysis-timeout", "4"])
mode_file = os.path.join(srv.tmp, "mode")
wrapper = os.path.join(srv.tmp, "analyzer-wrapper")
with open(wrapper, "w") as f:
    f.write("""#!/bin/sh
# stands in for pcapd-analyzer (same pid, fd 3 and LISTEN_* kept across exec)
mode=$(cat '%s' 2>/dev/null)
case "$mode" in
  slow) exec sleep 300 ;;
  segv) kill -SEGV $$ ;;
  exit3) exit 3 ;;
  escape) PCAPD_ANALYZER_TEST_ESCAPE=open exec '%s' ;;
  escape-socket) PCAPD_ANALYZER_TEST_ESCAPE=socket exec '%s' ;;
  fake) PCAPD_ANALYZER_FAKE_SECONDS=2 exec python3 '%s' ;;
  *) exec '%s' ;;
esac
""" % (mode_file, real, real, fake_analyzer, real))
os.chmod(wrapper, stat.S_IRWXU)
srv.args += ["--analyzer-exec", wrapper]


def set_mode(m):
    with open(mode_file, "w") as f:
        f.write(m)


def run(mode, data=None, timeout=30):
    set_mode(mode)
    if data is None:
        st, _, js = srv.upload(cap)
    else:
        st, _, js = srv.upload_bytes(data, raw=True, filename="x.pcap")
    assert st == 202, st
    return js["task_id"]


def healthy():
    st, js = srv.get_json("/api/health")
    return st == 200


def analyzer_failures():
    srv.start()

    # a running task's stream: progress at least once a second, increasing ids, Last-Event-ID resumes
    tid = run("fake")
    srv.wait_status(tid, ("processing",), 10)
    import time as _t
    t0 = _t.time()
    ev = srv.sse(tid, timeout=20)
    span = _t.time() - t0
    ids = [int(e[0]) for e in ev]
    prog = [e for e in ev if e[1] == "progress"]
    c.check(ev and ev[-1][1] == "completed", "stream of a running task ends with completed")
    c.check(ids == sorted(ids) and len(set(ids)) == len(ids), "event ids increase")
    c.check(len(prog) >= int(span) and len(prog) <= 4 * (span + 1) + 2,
            "%d progress events in %.1f s (>= 1/s, <= ~4/s)" % (len(prog), span))
    c.check(all("percent" in e[2] and "packets" in e[2] and "packets_per_second" in e[2] and "memory_mb" in e[2]
                for e in prog), "progress data has percent, packets, packets_per_second, memory_mb")
    c.check(any(e[2]["memory_mb"] > 0 for e in prog), "progress events carry the analyzer's memory (memory_mb > 0)")
    c.check("memory_mb" in ev[-1][2] and ev[-1][2]["memory_mb"] > 0, "the completed event carries the peak memory")
    tid = run("fake")
    srv.wait_status(tid, ("processing",), 10)
    first = srv.sse(tid, until_final=False, max_events=3, timeout=10)
    resumed = srv.sse(tid, last_event_id=first[-1][0], until_final=False, max_events=1, timeout=10)
    c.check(resumed and int(resumed[0][0]) > int(first[-1][0]), "Last-Event-ID %s resumes after it (got %s)" % (first[-1][0], resumed[0][0] if resumed else None))
    srv.wait_status(tid, ("completed",), 20)

    # kill -9 of the analyzer mid-analysis
    tid = run("slow")
    srv.wait_status(tid, ("processing",), 10)
    kids = srv.wait_children()
    c.check(len(kids) == 1, "one analyzer running")
    t0 = time.time()
    for p in kids:
        os.kill(p, signal.SIGKILL)
    js = srv.wait_status(tid, ("failed",), 10)
    c.check(js["error_message"] == "the analyzer was killed (memory limit or crash)",
            "kill -9 -> failed: %r" % js["error_message"])
    c.check(time.time() - t0 < 5, "failure noticed at once")
    c.check(not os.path.exists(os.path.join(srv.state, "uploads", tid)), "capture removed after a failure")
    c.check(not [f for f in os.listdir(os.path.join(srv.state, "reports")) if f.startswith(tid)],
            "no report files for a failed task")
    st, _, _ = srv.request("GET", "/api/reports/%s/json" % tid)
    c.check(st == 404, "no report for a failed task (%d)" % st)
    ev = srv.sse(tid, timeout=5)
    c.check(ev and ev[-1][1] == "failed" and "killed" in ev[-1][2]["error_message"], "SSE final event: failed + reason")
    c.check(healthy(), "server still serves after the analyzer died")

    # a stream open while the analyzer dies gets the failed event
    tid = run("slow")
    srv.wait_status(tid, ("processing",), 10)
    import threading
    got = {}
    th = threading.Thread(target=lambda: got.setdefault("ev", srv.sse(tid, timeout=20)))
    th.start()
    time.sleep(0.3)
    for p in srv.children():
        os.kill(p, signal.SIGKILL)
    th.join(20)
    ev = got.get("ev", [])
    c.check(ev and ev[0][1] == "progress" and ev[-1][1] == "failed", "live SSE: progress ... failed (%s)" % [e[1] for e in ev])

    # crash by another signal
    tid = run("segv")
    js = srv.wait_status(tid, ("failed", "completed"), 10)
    c.check(js["status"] == "failed" and "SIGSEGV" in js["error_message"], "crash -> reason names the signal: %r" % js["error_message"])

    # exit without DONE
    tid = run("exit3")
    js = srv.wait_status(tid, ("failed", "completed"), 10)
    c.check(js["status"] == "failed" and "status 3" in js["error_message"], "exit 3 -> %r" % js["error_message"])

    # timeout
    tid = run("slow")
    t0 = time.time()
    js = srv.wait_status(tid, ("failed", "completed"), 15)
    c.check(js["error_message"] == "timeout", "--analysis-timeout -> failed 'timeout' (%r)" % js["error_message"])
    c.check(time.time() - t0 < 8, "timeout enforced within the bound (%.1f s)" % (time.time() - t0))
    time.sleep(0.2)
    c.check(srv.children() == [], "timed-out analyzer killed and reaped")

    # the analyzer's own ERROR: right magic, not a capture
    tid = run("real", data=b"\x0a\x0d\x0d\x0a" + b"\xff" * 60)
    js = srv.wait_status(tid, ("failed", "completed"), 15)
    c.check(js["status"] == "failed" and js["error_message"], "analyzer ERROR -> failed with its message: %r" % js["error_message"])

    # and a normal analysis still works afterwards
    tid = run("real")
    js = srv.wait_status(tid, ("failed", "completed"), 30)
    c.check(js["status"] == "completed", "a normal analysis after all that completes")
    st, _, body = srv.request("GET", "/metrics")
    c.check(b'pcapd_tasks_finished_total{status="failed"} 6\n' in body, "metrics count the failures")
    c.check(srv.stop() == 0, "clean stop")

    # socket mode with nobody listening: failed task, health 503
    srv2 = h.Server(args=["--workers", "1", "--analyzer-socket", os.path.join(srv.tmp, "no-such.sock")])
    srv2.start()
    st, _, js = srv2.upload(cap)
    js = srv2.wait_status(js["task_id"], ("failed",), 10)
    c.check("could not be reached" in js["error_message"], "unreachable analyzer socket -> %r" % js["error_message"])
    st, js = srv2.get_json("/api/health")
    c.check(st == 503 and js["checks"]["analyzer_ok"] is False and js["status"] == "degraded", "health 503 when the analyzer socket is missing")
    srv2.stop()
    srv2.cleanup()


def sandbox_escapes():
    """The sandbox kills an analyzer that tries to open a file or make a socket (the analyzer's test hooks)."""
    srv.start()
    tid = run("escape")
    js = srv.wait_status(tid, ("failed", "completed"), 15)
    c.check(js["status"] == "failed" and "sandbox" in js["error_message"], "sandbox violation -> %r" % js["error_message"])

    tid = run("escape-socket")
    js = srv.wait_status(tid, ("failed", "completed"), 15)
    c.check(js["status"] == "failed" and "sandbox" in js["error_message"], "sandbox kill (socket) -> %r" % js["error_message"])
    c.check(healthy(), "server still serves after the sandbox killed two analyzers")
    st, _, body = srv.request("GET", "/metrics")
    c.check(b'pcapd_tasks_finished_total{status="failed"} 2\n' in body, "metrics count the failures")
    c.check(srv.stop() == 0, "clean stop")


try:
    if escapes:
        sandbox_escapes()
    else:
        analyzer_failures()
finally:
    if c.failures:
        srv.dump_log()
    srv.cleanup()
c.done()
