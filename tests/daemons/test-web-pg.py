#!/usr/bin/env python3
"""pcapd-web on PostgreSQL (--database=postgresql://…), run through tests/pg/pg-temp.sh run: a real upload,
its status and its report; the rows in PostgreSQL and no SQLite file in the state directory; the server
stopped under the running service (health degraded, uploads 503 with Retry-After, nothing accepted) and
started again (the service reconnects by itself, uploads work again); a restart of pcapd-web finds its
tasks; pcapd-reaper and pcapctl on the same database."""
import importlib.util
import os
import shutil
import subprocess
import time

spec = importlib.util.spec_from_file_location("h", os.path.join(os.path.dirname(__file__), "test-web-harness.py"))
h = importlib.util.module_from_spec(spec)
spec.loader.exec_module(h)

url = os.environ.get("PCAPD_TEST_DATABASE")
pg_dir = os.environ.get("PCAPD_TEST_PG_DIR")
pg_script = os.environ.get("PCAPD_TEST_PG_SCRIPT")
if not url or not pg_dir or not pg_script:
    h.skip("run me through tests/pg/pg-temp.sh run")
psql = shutil.which("psql")
if not psql:
    h.skip("psql not installed")


def sql(query):
    return subprocess.run([psql, "-X", "-A", "-t", "-d", url, "-c", query], stdout=subprocess.PIPE,
                          check=True, text=True).stdout.strip()


def pg(what):
    subprocess.run([pg_script, what, pg_dir], check=True, stdout=subprocess.DEVNULL)


c = h.Checks()
capture = h.corpus("gen", "http-clean.pcap")
srv = h.Server(args=["--database", url, "--workers", "1"], activate=False)
try:
    srv.start()
    st, _, js = srv.upload(capture)
    c.check(st == 202, "upload accepted (%d)" % st)
    tid = js["task_id"] if js else ""
    done = srv.wait_status(tid, ("completed", "failed"), timeout=60)
    c.check(done["status"] == "completed", "analysis completed (%s)" % done["status"])
    st, _, body = srv.request("GET", "/api/reports/%s/json" % tid)
    c.check(st == 200 and b'"packets"' in body, "report served (%d, %d bytes)" % (st, len(body)))
    c.check(sql("SELECT status || ' ' || filename FROM tasks WHERE id = '%s'" % tid) == "completed http-clean.pcap",
            "the task's row is in PostgreSQL")
    c.check(not os.path.exists(srv.state_path("pcapd.db")), "no SQLite file in the state directory")
    st, js = srv.get_json("/api/health")
    c.check(st == 200 and js["checks"]["database_ok"], "health: database ok")
    c.check(any(r.get("PCAPD_EVENT") == "store-opened" and str(r.get("MESSAGE", "")).endswith("(postgresql)")
                for r in srv.log_records()), "the log says which database")

    # PostgreSQL goes away under the running service
    pg("stop")
    st, js = srv.get_json("/api/health")
    c.check(st == 503 and js["status"] == "degraded" and not js["checks"]["database_ok"],
            "PostgreSQL stopped: health degraded, database_ok false (%d)" % st)
    st, hd, js = srv.upload(capture)
    c.check(st == 503 and "retry-after" in hd and "database" in (js or {}).get("error", str(js)),
            "PostgreSQL stopped: upload 503 with Retry-After (%d %r)" % (st, js))
    c.check(os.listdir(srv.state_path("uploads")) == [], "the refused upload left no capture behind")
    pg("start")
    st, js = srv.get_json("/api/health")
    c.check(st == 200 and js["checks"]["database_ok"], "PostgreSQL started again: health ok without a restart")
    st, _, js = srv.upload(capture)
    c.check(st == 202, "PostgreSQL started again: upload accepted (%d)" % st)
    tid2 = js["task_id"] if js else ""
    c.check(srv.wait_status(tid2, ("completed", "failed"), timeout=60)["status"] == "completed",
            "and analysed")
    c.check(srv.stop() == 0, "clean stop")

    # a new pcapd-web on the same database finds its tasks
    srv2 = h.Server(state_dir=srv.state, args=["--workers", "1"], env={"PCAPD_DATABASE": url}, activate=False)
    try:
        srv2.start()
        st, js = srv2.get_json("/api/history")
        ids = [t["task_id"] if "task_id" in t else t.get("id") for t in js["tasks"]] if st == 200 else []
        c.check(tid in ids and tid2 in ids, "after a restart (PCAPD_DATABASE), history lists both tasks from PostgreSQL")
        c.check(srv2.stop() == 0, "clean stop after the restart")
    finally:
        if c.failures:
            srv2.dump_log()
        srv2.cleanup()

    # a URL with a password or an unknown scheme stops pcapd-web at once, the value not echoed
    for bad in ("postgresql://pcapd:hunter2@localhost/pcapd", "postgresql:///pcapd?password=hunter2", "mysql://x/y"):
        r = subprocess.run([srv.web, "--state-dir", srv.state, "--database", bad], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=30)
        c.check(r.returncode != 0 and "hunter2" not in r.stdout and "--database" in r.stdout,
                "pcapd-web --database %s refused (%d: %s)" % (bad.split(":")[0], r.returncode, r.stdout.strip()[-120:]))

    # the reaper and pcapctl open the same database
    reaper = os.environ.get("PCAPD_REAPER")
    if reaper:
        r = subprocess.run([reaper, "--state-dir", srv.state, "--database", url, "--retention-seconds", "0"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        c.check(r.returncode == 0, "pcapd-reaper --database ran (%d: %s)" % (r.returncode, r.stdout[-300:]))
        c.check(sql("SELECT count(*) FROM tasks WHERE status = 'expired'") == "2", "the reaper expired both tasks")
        r = subprocess.run([reaper, "--state-dir", srv.state, "--database", "postgresql://u:pw@localhost/x"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        c.check(r.returncode != 0 and "pw" not in r.stdout, "a URL with a password refused, not echoed")
    ctl = os.environ.get("PCAPCTL")
    if ctl:
        r = subprocess.run([ctl, "--state-dir", srv.state, "--database", url, "--json", "user", "list"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        c.check(r.returncode == 0 and r.stdout.strip().startswith("["), "pcapctl --database user list (%s)" % r.stdout[-200:])
finally:
    if c.failures:
        srv.dump_log()
    srv.cleanup()
c.done()
