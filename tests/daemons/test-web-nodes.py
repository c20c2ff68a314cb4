#!/usr/bin/env python3
"""Several pcapd-web nodes on one PostgreSQL (the shared queue, issue 16), run through tests/pg/pg-temp.sh run:
real pcapd-web processes with one database, each with a state directory of its own: the captures and
reports are in the database too (shared bytes). Uploads to a node without workers are analysed by a node
with one, which fetches the capture from the database, and every node serves the report, byte for byte the
same; the capture's chunks go when the analysis ends, the reports' with deletion and expiry; a node killed
-9 right after accepting an upload loses nothing: another node runs it and serves its report; a long
analysis keeps its lease (renewed) while its node lives; the queue limit counts every node's queued tasks;
kill -9 of a node during an analysis: once the lease expires the task is queued again and completes on
another node, exactly once; a node whose lease was taken over stops its analysis and records nothing; the
reaper's lock: a pass while another holds it is skipped; progress across nodes: a stream on a node that
never had the task follows the analysis another node runs (LISTEN/NOTIFY), with that node's event ids,
resumed exactly on a third node, and ends with its completion after a takeover; a node that stops
mid-analysis gives its lease back."""
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
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


def blobs(tid, kind):
    return int(sql("SELECT count(*) FROM blobs WHERE task_id = '%s' AND kind = '%s'" % (tid, kind)))



def done_records(nodes, tid):
    return [n for n in nodes for r in n.log_records()
            if r.get("PCAPD_EVENT") == "analysis-done" and r.get("PCAPD_TASK_ID", r.get("TASK_ID")) == tid]


c = h.Checks()
capture = h.corpus("gen", "http-clean.pcap")
real = h.env_path("PCAPD_ANALYZER_EXEC")
tmp = tempfile.mkdtemp(prefix="pcapd-nodes-")
switch = h.AnalyzerSwitch(tmp, real)
wrapper, set_mode = switch.path, switch.set


def node(name, workers):
    return h.Server(activate=False, env={"PCAPD_DATABASE": url},
                    args=["--node-id", name, "--workers", str(workers), "--lease-seconds", str(LEASE),
                          "--queue-max", "2", "--analyzer-exec", wrapper, "--reap", "off"])


set_mode("")
a, b, cc, dd = node("node-a", 0), node("node-b", 1), node("node-c", 1), node("node-d", 0)
nodes = [a, b, cc, dd]
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
    c.check(a.state != b.state, "each node has its own state directory")
    c.check(not os.path.exists(b.state_path("uploads", ids[0])), "B did not keep the capture it fetched")
    c.check(any(r.get("PCAPD_EVENT") == "capture-fetched" and r.get("PCAPD_TASK_ID") == ids[0]
                for r in b.log_records()), "B fetched it from the database (on its fetcher thread)")
    end = time.time() + 5
    while time.time() < end and os.path.exists(a.state_path("uploads", ids[0])):
        time.sleep(0.1)
    c.check(not os.path.exists(a.state_path("uploads", ids[0])), "A dropped its copy once B was done")
    c.check(blobs(ids[0], "capture") == 0, "the capture's chunks went with the analysis")
    c.check(blobs(ids[0], "json") >= 1 and blobs(ids[0], "html") >= 1, "the reports are in the database")
    for kind in ("json", "html"):
        _, _, ran = b.request("GET", "/api/reports/%s/%s" % (ids[0], kind))
        _, _, served = a.request("GET", "/api/reports/%s/%s" % (ids[0], kind))
        c.check(len(ran) > 100 and ran == served, "the %s report from A is byte for byte B's (%d, %d bytes)"
                % (kind, len(ran), len(served)))
    c.check(os.path.exists(a.state_path("reports", ids[0] + ".json")), "A keeps a copy of the report it served")
    # deleted on A: the row and every chunk go (B's copy is never served again)
    st, _ = a.request("DELETE", "/api/reports/%s" % ids[1])[:2]
    c.check(st == 200, "A deletes the task B ran (%d)" % st)
    c.check(blobs(ids[1], "json") + blobs(ids[1], "html") + blobs(ids[1], "capture") == 0,
            "its chunks went with it")
    st, _, _ = b.request("GET", "/api/reports/%s/json" % ids[1])
    c.check(st == 404, "B no longer serves it (%d)" % st)

    # 1b. a node killed -9 right after its 202, before any analysis: the capture was in the database already
    dd.start()
    big = h.corpus("gen", "mixed.pcapng")  # 1.6 MB: two chunks
    st, _, js = dd.upload(big)
    c.check(st == 202, "upload to D accepted (%d)" % st)
    orphan = js["task_id"]
    c.check(blobs(orphan, "capture") == 2 or row(orphan).startswith("completed"), "the capture is in the database")
    dd.kill9()
    js = b.wait_status(orphan, ("completed", "failed"), timeout=60)
    c.check(js["status"] == "completed" and row(orphan) == "completed node-b",
            "D's upload completed on B after D died (%s, %s)" % (js["status"], row(orphan)))
    st, _, body = b.request("GET", "/api/reports/%s/json" % orphan)
    c.check(st == 200 and b'"packets"' in body, "B serves its report (%d)" % st)
    if st == 200:
        c.check(h.canonical(json.loads(body)) == h.canonical(h.cli_json(big)),
                "the fetched capture was analysed whole: the report is the CLI's")
    st, _, body2 = a.request("GET", "/api/reports/%s/json" % orphan)
    c.check(st == 200 and body2 == body, "and so does A, the same (%d)" % st)

    # 2. a long analysis on B keeps its lease while B lives: renewed, never taken over
    set_mode("slow")
    st, _, js = a.upload(capture)
    c.check(st == 202, "slow upload accepted (%d %s)" % (st, js))
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
        c.check(st == 202, "upload to B queued (%d %s)" % (st, js if st != 202 else ""))
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
    # a report asked of a node that does not have it, by several clients at once: fetched off the loop,
    # the same to each
    results = []
    def get(kind):
        results.append(a.request("GET", "/api/reports/%s/%s" % (queued[0], kind)))
    threads = [threading.Thread(target=get, args=(k,)) for k in ("html", "json") * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    _, _, want_html = cc.request("GET", "/api/reports/%s/html" % queued[0])
    _, _, want_json = cc.request("GET", "/api/reports/%s/json" % queued[0])
    c.check(len(results) == 6 and all(r[0] == 200 and r[2] in (want_html, want_json) for r in results),
            "6 requests at once to A for the reports C made: all the same as C's (%s)" % [r[0] for r in results])
    # the database lost them (as if): a node without its own copy answers 410, as for a lost file
    sql("DELETE FROM blobs WHERE task_id = '%s'" % queued[1])
    st, _, _ = a.request("GET", "/api/reports/%s/json" % queued[1])
    c.check(st == 410, "a report the database does not have: 410 (%d)" % st)

    # 5. a node whose lease was taken over stops its analysis and records nothing; the task ends once
    set_mode("slow")
    st, _, js = a.upload(capture)
    stolen = js["task_id"]
    c.check(wait_row(stolen, "processing node-c") == "processing node-c", "C claimed the next slow analysis")
    c.check(len(cc.wait_children()) == 1, "C runs its analyzer")
    # the wrapper reads the mode as it starts: only once it is the slow sleep may the mode change back
    # (else, on a loaded machine, it can still read "" and run the real analyzer to its end)
    end = time.time() + 10
    while time.time() < end and not switch.sleeping(cc):
        time.sleep(0.02)
    # progress across nodes (LISTEN/NOTIFY): a stream on F, a node that never had the task, follows C's
    # analysis with C's event ids (from the run's start, in ms); resumed on A with Last-Event-ID, it goes on
    ff = node("node-f", 0)
    nodes.append(ff)
    ff.start()
    started = int(row(stolen, "started_at"))
    # the first event may be F's own snapshot of the row (its own id, below C's); then C's events
    got = ff.sse(stolen, until_final=False, max_events=3, timeout=15)
    ev = [e for e in got if int(e[0]) >= started]
    c.check(len(got) == 3 and all(e[1] == "progress" and e[2]["status"] == "processing" for e in got),
            "F's stream of C's analysis: progress events (%s)" % [(e[0], e[1]) for e in got])
    c.check(len(ev) >= 2 and int(ev[1][0]) > int(ev[0][0]) and len(got) - len(ev) <= 1,
            "with C's event ids, from the run's start on (%s, started %d)" % ([e[0] for e in got], started))
    if ev:
        ev2 = a.sse(stolen, last_event_id=ev[-1][0], until_final=False, max_events=1, timeout=15)
        c.check(len(ev2) == 1 and int(ev2[0][0]) > int(ev[-1][0]),
                "resumed on A after %s: goes on with %s" % (ev[-1][0], [e[0] for e in ev2]))
    st, js = ff.get_json("/api/status/" + stolen)
    c.check(st == 200 and js["status"] == "processing", "F's status of it: processing (%s)" % js.get("status"))
    final_on_f = []
    reader = threading.Thread(target=lambda: final_on_f.extend(ff.sse(stolen, timeout=60)))
    reader.start()
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
    reader.join(70)
    c.check(final_on_f and final_on_f[-1][1] == "completed" and final_on_f[-1][2]["status"] == "completed",
            "F's stream, open through the takeover, ends with C's completion (%s)"
            % [(e[0], e[1]) for e in final_on_f][-3:])
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
        args = [reaper, "--state-dir", a.state, "--database", url, "--retention-seconds", "0"]
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
    c.check(sql("SELECT count(*) FROM blobs") == "0", "and their reports' chunks")

    # 7. a node that stops in the middle of an analysis gives its lease back: the task is queued again at
    # once (not after the lease) and another node runs it
    set_mode("slow")
    c.check(cc.stop() == 0, "C stops (idle)")
    e = node("node-e", 1)
    nodes.append(e)
    e.start()
    st, _, js = ff.upload(capture)
    held = js["task_id"]
    c.check(wait_row(held, "processing node-e") == "processing node-e", "E claimed a slow analysis (%s)" % row(held))
    c.check(len(e.wait_children()) == 1, "E runs its analyzer")
    e.proc.send_signal(signal.SIGINT)  # stop: waits for the analysis...
    time.sleep(0.3)
    e.proc.send_signal(signal.SIGINT)  # ...a second one: stop now
    c.check(e.proc.wait(20) == 0, "E stopped")
    after = row(held, "status || ' ' || node || ' ' || lease_until")
    c.check(after == "queued  0", "its task queued again at once, no lease held (%s)" % after)
    c.check(any(r.get("PCAPD_EVENT") == "analysis-interrupted" and "any node" in r.get("MESSAGE", "")
                for r in e.log_records()), "E logged that it gave the task back")
    set_mode("")
    c2 = node("node-c", 1)
    nodes.append(c2)
    c2.start()
    got = wait_row(held, "completed node-c", timeout=20)
    c.check(got == "completed node-c", "C, started again, ran it (%s)" % got)
    c.check(len(done_records([e, c2], held)) == 1, "to completion once")
finally:
    for n in nodes:
        if c.failures:
            n.dump_log()
        n.cleanup()
    shutil.rmtree(tmp, ignore_errors=True)
c.done()
