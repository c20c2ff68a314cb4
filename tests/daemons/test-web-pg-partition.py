#!/usr/bin/env python3
"""pcapd-web on a PostgreSQL reached over TCP, and the network to it cut without a word (iptables DROP on
loopback: no refusal, no reset, what a partition or a dead host looks like): the service stays responsive
(after at most one stall of tcp_user_timeout, 10 s, every /api/health answers at once, 503 degraded with
database_ok false, and uploads 503 with a message), then reconnects by itself once the network is back
and uploads complete again. Run through tests/pg/pg-temp.sh run (for its script); the server here is one
of the test's own, on a TCP port. Needs root and iptables."""
import importlib.util
import os
import shutil
import subprocess
import tempfile
import time

spec = importlib.util.spec_from_file_location("h", os.path.join(os.path.dirname(__file__), "test-web-harness.py"))
h = importlib.util.module_from_spec(spec)
spec.loader.exec_module(h)

pg_script = os.environ.get("PCAPD_TEST_PG_SCRIPT")
if not pg_script:
    h.skip("run me through tests/pg/pg-temp.sh run")
iptables = shutil.which("iptables")
if os.geteuid() != 0 or not iptables:
    h.skip("needs root and iptables to cut the network to the database")
if subprocess.run([iptables, "-w", "-L", "INPUT", "-n"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode:
    h.skip("iptables does not work here")

port = h.free_port()
pg_dir = tempfile.mkdtemp(prefix="pcapd-pg-tcp-")
env = dict(os.environ, PCAPD_TEST_PG_PORT=str(port))
subprocess.run([pg_script, "start", pg_dir], check=True, stdout=subprocess.DEVNULL, env=env)
RULES = [["INPUT", "-i", "lo", "-p", "tcp", "--dport", str(port), "-j", "DROP"],
         ["INPUT", "-i", "lo", "-p", "tcp", "--sport", str(port), "-j", "DROP"]]


def cut(on):
    for rule in RULES:
        subprocess.run([iptables, "-w", "-I" if on else "-D"] + rule, check=on)


def timed(fn, n):
    """fn's answer (a tuple of n) and how long it took; a request that timed out (a frozen event loop)
    answers n Nones."""
    t0 = time.time()
    try:
        out = fn()
    except OSError:
        out = (None,) * n
    return out, time.time() - t0


c = h.Checks()
capture = h.corpus("gen", "http-clean.pcap")
url = "postgresql://pcapd@127.0.0.1:%d/pcapd" % port
srv = h.Server(args=["--database", url, "--workers", "1"], activate=False)
is_cut = False
try:
    srv.start()
    st, _, js = srv.upload(capture)
    c.check(st == 202 and srv.wait_status(js["task_id"], ("completed",), 60)["status"] == "completed",
            "over TCP: an upload completes (%d)" % st)

    cut(True)
    is_cut = True
    # the first call into the silence may wait for tcp_user_timeout; after it, every answer is at once
    (st, js), first = timed(lambda: srv.get_json("/api/health"), 2)
    c.check(first < 25, "the first health check after the cut answered in %.1f s" % first)
    slow = []
    for _ in range(6):
        (st, js), took = timed(lambda: srv.get_json("/api/health"), 2)
        slow.append(round(took, 2))
        time.sleep(0.2)
    c.check(max(slow) < 1.5, "then each health check answers at once (%s s)" % slow)
    c.check(st == 503 and js and js.get("status") == "degraded" and js["checks"]["database_ok"] is False,
            "degraded, database_ok false (%s %s)" % (st, (js or {}).get("checks")))
    (st, _, js), took = timed(lambda: srv.upload(capture), 3)
    c.check(st == 503 and "database" in (js or {}).get("error", ""),
            "an upload answers 503 with a message (%d %s, %.1f s)" % (st, js, took))
    (st, _), took = timed(lambda: srv.get_json("/api/queue/status"), 2)
    c.check(took < 1.5, "the event loop serves other requests meanwhile (queue status in %.2f s)" % took)

    cut(False)
    is_cut = False
    end, st = time.time() + 40, None
    while time.time() < end:
        st, js = srv.get_json("/api/health")
        if st == 200:
            break
        time.sleep(0.5)
    c.check(st == 200, "healthy again by itself once the network is back (%s)" % st)
    ok = False
    for _ in range(10):  # the writer thread's connection finds its way back on its next uploads
        st, _, js = srv.upload(capture)
        if st == 202:
            ok = srv.wait_status(js["task_id"], ("completed", "failed"), 60)["status"] == "completed"
            break
        time.sleep(1)
    c.check(ok, "an upload completes again (%d)" % st)
finally:
    if is_cut:
        cut(False)
    if c.failures:
        srv.dump_log()
    srv.cleanup()
    subprocess.run([pg_script, "stop", pg_dir], stdout=subprocess.DEVNULL, env=env)
    shutil.rmtree(pg_dir, ignore_errors=True)
c.done()
