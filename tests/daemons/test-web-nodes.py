#!/usr/bin/env python3
"""Several pcapd-web nodes on one PostgreSQL (the shared queue, issue 16), run through tests/pg/pg-temp.sh run:
three real pcapd-web processes with one database and one state directory (the interim set-up until the
capture bytes are shared). Uploads to a node without workers are analysed by a node with one; a long
analysis keeps its lease (renewed) while its node lives; the queue limit counts every node's queued tasks;
kill -9 of a node during an analysis: once the lease expires the task is queued again and completes on
another node, exactly once; a node whose lease was taken over stops its analysis and records nothing; the
reaper's lock: a pass while another holds it is skipped."""
import importlib.util
import os
import shutil
import signal
import stat
import subprocess
import tempfile
import time

spec = importlib.util.spec_from_file_location("h", os.path.join(os.path.dirname(__file__), "test-web-harness.py"))
h = importlib.util.module_from_spec(spec)
spec.loader.exec_module(h)

url = os.environ.get("PCAPD_TEST_DATABASE")
if not url or not os.environ.get("PCAPD_TEST_PG_DIR"):
    h.skip("run me through tests/pg/pg-temp.sh run")
psql = shutil.which("psql")
if not psql:
    h.skip("psql not installed")

LEASE = 3


def sql(query):
    return subprocess.run([psql, "-X", "-A", "-t", "-d", url, "-c", query], stdout=subprocess.PIPE,
                          check=True, text=True).stdout.strip()


def row(tid, cols="status || ' ' || node"):
    return sql("SELECT %s FROM tasks WHERE id = '%s'" % (cols, tid))


def wait_row(tid, want, timeout=30):
    end = time.time() + timeout
    got = None
    while time.time() < end:
        got = row(tid)
        if got == want:
            return got
        time.sleep(0.1)
    return got


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return ""


def done_records(nodes, tid):
    return [n for n in nodes for r in n.log_records()
            if r.get("PCAPD_EVENT") == "analysis-done" and r.get("PCAPD_TASK_ID", r.get("TASK_ID")) == tid]


c = h.Checks()
capture = h.corpus("gen", "http-clean.pcap")
real = h.env_path("PCAPD_ANALYZER_EXEC")
tmp = tempfile.mkdtemp(prefix="pcapd-nodes-")
state = os.path.join(tmp, "state")
mode_file = os.path.join(tmp, "mode")
wrapper = os.path.join(tmp, "analyzer-wrapper")
with open(wrapper, "w") as f:
    f.write("#!/bin/sh\n[ \"$(cat '%s' 2>/dev/null)\" = slow ] && exec sleep 300\nexec '%s'\n" % (mode_file, real))
os.chmod(wrapper, stat.S_IRWXU)


def set_mode(m):
    with open(mode_file, "w") as f:
        f.write(m)


def node(name, workers):
    return h.Server(state_dir=state, activate=False, env={"PCAPD_DATABASE": url},
                    args=["--node-id", name, "--workers", str(workers), "--lease-seconds", str(LEASE),
                          "--queue-max", "2", "--analyzer-exec", wrapper, "--reap", "off"])


set_mode("")
a, b, cc = node("node-a", 0), node("node-b", 1), node("node-c", 1)
try:
    a.start()
    b.start()
    c.check(any(r.get("PCAPD_EVENT") == "node-id" and r.get("PCAPD_NODE") == "node-a" for r in a.log_records()),
            "the node id is logged")

    # 1. node A has no worker: B analyses what A accepted; A answers for it
    ids = []
    for _ in range(2):
        st, _, js = a.upload(capture)
        c.check(st == 202, "upload to A accepted (%d)" % st)
        ids.append(js["task_id"])
    for tid in ids:
        js = a.wait_status(tid, ("completed", "failed"), timeout=60)
        c.check(js["status"] == "completed", "A's upload completed (%s)" % js["status"])
        c.check(row(tid) == "completed node-b", "run by node B (%s)" % row(tid))
        st, _, body = a.request("GET", "/api/reports/%s/json" % tid)
        c.check(st == 200 and b'"packets"' in body, "A serves the report B made (%d)" % st)
    events = a.sse(ids[0])
    c.check(events and events[-1][1] == "completed", "A's stream of a task B ran ends completed")

    # 2. a long analysis on B keeps its lease while B lives: renewed, never taken over
    set_mode("slow")
    st, _, js = a.upload(capture)
    slow = js["task_id"]
    c.check(wait_row(slow, "processing node-b") == "processing node-b", "B claimed the slow analysis")
    first = int(row(slow, "lease_until"))
    time.sleep(2.5 * LEASE)
    c.check(row(slow) == "processing node-b", "still B's after 2.5 leases (%s)" % row(slow))
    c.check(int(row(slow, "lease_until")) > first + 1000, "its lease was renewed")

    # 3. the queue limit is global: two queued on B make A refuse
    queued = []
    for _ in range(2):
        st, _, js = b.upload(capture)
        c.check(st == 202, "upload to B queued (%d)" % st)
        queued.append(js["task_id"])
    time.sleep(1.5)  # A's poll counts the database's queue
    st, hdr, js = a.upload(capture)
    c.check(st == 503 and "retry-after" in hdr, "A refuses with 2 queued on B (%d)" % st)
    st, js = a.get_json("/api/queue/status")
    c.check(st == 200 and js["queued"] == 2 and not js["accepting"], "A's queue status counts B's queued tasks (%s)"
            % {k: js.get(k) for k in ("queued", "accepting")})
    st, js = a.get_json("/api/health")
    c.check(js["metrics"]["queue_size"] == 2 and not js["checks"]["queue_ok"], "A's health counts them too (%s)"
            % js["metrics"]["queue_size"])

    # 4. kill -9 of B during the analysis: after the lease, C runs it (and the queued ones), once
    set_mode("")
    b.kill9()
    cc.start()
    for tid in [slow] + queued:
        got = wait_row(tid, "completed node-c", timeout=30 + 2 * LEASE)
        c.check(got == "completed node-c", "completed on C after B died (%s)" % got)
    c.check(any(r.get("PCAPD_EVENT") == "tasks-recovered" for n in (a, cc) for r in n.log_records()),
            "an expired lease was queued again")
    c.check(len(done_records([a, b, cc], slow)) == 1, "B's task ran to completion once")
    c.check(sql("SELECT count(*) FROM tasks WHERE status IN ('queued', 'processing') OR "
                "(lease_until <> 0 AND status <> 'processing')") == "0", "no lease or queued task left")

    # 5. a node whose lease was taken over stops its analysis and records nothing; the task ends once
    set_mode("slow")
    st, _, js = a.upload(capture)
    stolen = js["task_id"]
    c.check(wait_row(stolen, "processing node-c") == "processing node-c", "C claimed the next slow analysis")
    c.check(len(cc.wait_children()) == 1, "C runs its analyzer")
    # the wrapper reads the mode as it starts: only once it is the slow sleep may the mode change back
    # (else, on a loaded machine, it can still read "" and run the real analyzer to its end)
    end = time.time() + 10
    while time.time() < end and not any(comm(p) == "sleep" for p in cc.children()):
        time.sleep(0.02)
    set_mode("")
    sql("UPDATE tasks SET node = 'node-x' WHERE id = '%s'" % stolen)  # as if node-x had taken the lease over
    end = time.time() + 2 * LEASE
    while time.time() < end and not any(r.get("PCAPD_EVENT") == "lease-lost" for r in cc.log_records()):
        time.sleep(0.1)
    c.check(any(r.get("PCAPD_EVENT") == "lease-lost" and r.get("PCAPD_TASK_ID") == stolen for r in cc.log_records()),
            "C noticed at its next renewal that its lease was taken over")
    end = time.time() + 5
    while time.time() < end and cc.children():
        time.sleep(0.05)
    c.check(not cc.children(), "C stopped its analyzer")
    c.check(row(stolen) == "processing node-x", "C recorded nothing (%s)" % row(stolen))
    # node-x dies in turn: its lease expires, and the task runs again, on C, once
    sql("UPDATE tasks SET lease_until = 1 WHERE id = '%s'" % stolen)
    got = wait_row(stolen, "completed node-c", timeout=20)
    c.check(got == "completed node-c", "then completed on C (%s)" % got)
    c.check(len(done_records([a, cc], stolen)) == 1, "to completion once")

    # 6. the reaper's lock: a pass while another holds it skips, and works once it is free
    reaper = h.env_path("PCAPD_REAPER")
    holder = subprocess.Popen([psql, "-X", "-q", "-d", url, "-c",
                               "SELECT pg_advisory_lock(x'7061706364000002'::bigint), pg_sleep(30)"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        end = time.time() + 10
        while time.time() < end and sql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted") != "1":
            time.sleep(0.05)
        args = [reaper, "--state-dir", state, "--database", url, "--retention-seconds", "0"]
        r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30)
        c.check(r.returncode == 0 and "reaper-skipped" in r.stdout, "a reaper while another runs skips (%s)"
                % r.stdout[-300:])
        c.check(sql("SELECT count(*) FROM tasks WHERE status = 'expired'") == "0", "it expired nothing")
    finally:
        holder.send_signal(signal.SIGTERM)
        holder.wait()
    sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' "
        "AND pid <> pg_backend_pid()")
    time.sleep(0.5)
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30)
    c.check(r.returncode == 0 and "reaper-skipped" not in r.stdout, "alone, the reaper works")
    c.check(sql("SELECT count(*) FROM tasks WHERE status = 'expired'") == "6", "it expired the 6 finished tasks")
finally:
    for n in (a, b, cc):
        if c.failures:
            n.dump_log()
        n.cleanup()
    shutil.rmtree(tmp, ignore_errors=True)
c.done()
