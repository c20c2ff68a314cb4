#!/usr/bin/env python3
"""Faults against the real pcapd-web and analyzer, each ending with the same audit: the database passes
PRAGMA integrity_check, every task is in a final state (or queued for the next start), every report file
belongs to a completed task, no capture is left in uploads/ for a finished task, nothing accepted is lost.
  saturation  40 concurrent uploads, --queue-max 3: 503 + Retry-After for the rest, retried until accepted;
              every accepted task completes
  diskfull    state dir on an 8 MiB tmpfs (mounted here, unmounted after): 507 and nothing recorded, an
              analysis whose report does not fit fails without a partial report, service resumes when
              space returns
  kill-upload kill -9 of pcapd-web while large uploads arrive and are stored, restart
  kill-run    kill -9 of pcapd-web with analyses running and queued, restart: all complete
  kill-analyzer kill -9 of one analyzer among several: that task fails with a reason, the others complete
  sigterm     SIGTERM with uploads and analyses in flight: exit 0 within the bound, nothing lost
Env as tests/daemons: PCAPD_WEB, PCAPD_ANALYZER_EXEC. Needs root for diskfull (else that part is skipped)."""
import importlib.util
import json
import os
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("h", os.path.join(HERE, "..", "daemons", "test-web-harness.py"))
h = importlib.util.module_from_spec(spec)
spec.loader.exec_module(h)
sys.path.insert(0, HERE)
import hostile_gen as g  # noqa: E402

analyzer = h.env_path("PCAPD_ANALYZER_EXEC")
c = h.Checks()
FINAL = ("completed", "failed", "expired")


def capture(n, flows=64):
    """A capture of n small UDP packets (n * 44 + 24 bytes)."""
    return b"".join(g.tiny_packets(n)) if flows else b""


def restart(srv):
    """Starts srv again (same port and state) after a stop or a kill: a fresh sd_notify socket."""
    if srv.notify:
        srv.notify.sock.close()
        try:
            os.unlink(srv.notify.path)
        except OSError:
            pass
    srv.proc = None
    srv.start()


def db_rows(state):
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(state, "pcapd.db"), uri=True, timeout=10)
    try:
        ok = db.execute("PRAGMA integrity_check").fetchone()[0]
        cols = [r[1] for r in db.execute("PRAGMA table_info(tasks)")]
        rows = [dict(zip(cols, r)) for r in db.execute("SELECT * FROM tasks")]
    finally:
        db.close()
    return ok, rows


def audit(state, label, accepted=(), wait_srv=None, allow_queued=False, reaper_ok=False):
    """The common audit; accepted: task ids a client was told about (202)."""
    if wait_srv:
        for tid in accepted:
            try:
                wait_srv.wait_status(tid, FINAL, 120)
            except AssertionError as e:
                c.check(False, "%s: %s" % (label, e))
    ok, rows = db_rows(state)
    c.check(ok == "ok", "%s: PRAGMA integrity_check = %s" % (label, ok))
    key = "id" if rows and "id" in rows[0] else ("task_id" if rows and "task_id" in rows[0] else None)
    ids = {r[key]: r for r in rows} if key else {}
    missing = [t for t in accepted if t not in ids]
    c.check(not missing, "%s: every accepted task is in the database (%d missing)" % (label, len(missing)))
    notfinal = [t for t, r in ids.items() if r.get("status") not in FINAL and not (allow_queued and r.get("status") in ("queued", "processing"))]
    c.check(not notfinal, "%s: every task final (%s)" % (label, [(t[:8], ids[t].get("status")) for t in notfinal][:5]))
    lost = [t for t in accepted if t in ids and ids[t].get("status") != "completed"]
    c.check(not lost, "%s: every accepted task completed (%s)" % (label, [(t[:8], ids[t].get("status"), ids[t].get("error_message")) for t in lost][:5]))
    uploads = sorted(os.listdir(os.path.join(state, "uploads")))
    orphans_u = [f for f in uploads if ids.get(f, {}).get("status") not in ("queued", "processing")]
    reaper = os.environ.get("PCAPD_REAPER")
    if orphans_u and reaper_ok and reaper and os.access(reaper, os.X_OK):
        # pcapd-web leaves them; the reaper (hourly timer) is the documented cleaner: run it once
        print("     %s: %d orphans in uploads/ after the restart (%s): running pcapd-reaper" % (
            label, len(orphans_u), ", ".join(f[:8] for f in orphans_u[:5])))
        subprocess.run([reaper, "--state-dir", state], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        uploads = sorted(os.listdir(os.path.join(state, "uploads")))
        orphans_u = [f for f in uploads if ids.get(f, {}).get("status") not in ("queued", "processing")]
        label += " (+ pcapd-reaper)"
    c.check(not orphans_u, "%s: no orphan in uploads/ (%s)" % (label, orphans_u[:5]))
    reports = sorted(os.listdir(os.path.join(state, "reports")))
    orphans_r = [f for f in reports if ids.get(f.split(".")[0], {}).get("status") != "completed"]
    c.check(not orphans_r, "%s: no orphan in reports/ (%s)" % (label, orphans_r[:5]))
    partial = []
    for f in reports:
        if f.endswith(".json"):
            try:
                json.load(open(os.path.join(state, "reports", f)))
            except ValueError:
                partial.append(f)
        if f.endswith(".html") and b"</html>" not in open(os.path.join(state, "reports", f), "rb").read()[-4096:].lower():
            partial.append(f)
    completed = [t for t, r in ids.items() if r.get("status") == "completed"]
    pairs = [t for t in completed if not (t + ".json" in reports and t + ".html" in reports)]
    c.check(not partial and not pairs, "%s: reports whole, a pair per completed task (partial %s, unpaired %s)" % (
        label, partial[:3], pairs[:3]))
    return ids


def upload_thread(port, data, results, idx, name="c.pcap"):
    import http.client
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        conn.request("POST", "/api/upload", data, {"Content-Type": "application/vnd.tcpdump.pcap", "X-Filename": name})
        r = conn.getresponse()
        body = r.read()
        results[idx] = (r.status, r.getheader("Retry-After"), json.loads(body) if body.startswith(b"{") else None)
        conn.close()
    except Exception as e:  # noqa: BLE001 - a killed server: the client sees the connection die
        results[idx] = (None, None, str(e))


def saturation():
    srv = h.Server(activate=False, args=["--workers", "1", "--queue-max", "3", "--analyzer-exec", analyzer])
    try:
        srv.start()
        data = capture(200_000)  # 8.8 MB, analysed in a fraction of a second
        n = 40
        res = [None] * n
        ths = [threading.Thread(target=upload_thread, args=(srv.port, data, res, i)) for i in range(n)]
        for t in ths:
            t.start()
        for t in ths:
            t.join(120)
        acc = [r[2]["task_id"] for r in res if r and r[0] == 202]
        busy = [r for r in res if r and r[0] == 503]
        other = [r[:2] for r in res if not r or r[0] not in (202, 503)]
        c.check(not other, "saturation: every answer 202 or 503 (%s)" % other[:5])
        c.check(busy and all(r[1] and r[1].isdigit() for r in busy), "saturation: %d x 503, each with Retry-After" % len(busy))
        retried, rounds = 0, 0
        # clients that honour Retry-After (shortened): each is accepted in the end
        todo = len(busy)
        while todo and rounds < 200:
            rounds += 1
            r = [None]
            upload_thread(srv.port, data, r, 0)
            if r[0][0] == 202:
                acc.append(r[0][2]["task_id"])
                todo -= 1
                retried += 1
            else:
                time.sleep(0.2)
        c.check(todo == 0, "saturation: every refused upload accepted on retry (%d retried in %d rounds)" % (retried, rounds))
        audit(srv.state, "saturation", acc, wait_srv=srv)
        st, body = srv.get_json("/api/queue/status")
        c.check(body["queued"] == 0 and body["running"] == 0, "saturation: queue drained")
        c.check(srv.stop() == 0, "saturation: clean stop")
        return len(acc), len(busy)
    finally:
        if c.failures:
            srv.dump_log()
        srv.cleanup()


def diskfull():
    if os.geteuid() != 0:
        print("SKIP diskfull: needs root to mount a tmpfs")
        return
    srv = h.Server(activate=False, args=["--workers", "1", "--queue-max", "20", "--analyzer-exec", analyzer])
    os.makedirs(srv.state, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m,mode=0755", "tmpfs", srv.state])
    if r.returncode != 0:
        print("SKIP diskfull: mount -t tmpfs failed")
        return
    try:
        srv.start()
        accepted = []
        small = capture(20_000)      # 880 KB
        # fill with uploads until 507
        codes = []
        for i in range(12):
            st, hd, js = srv.upload_bytes(small, raw=True, filename="fill-%d.pcap" % i)
            codes.append(st)
            if st == 202:
                accepted.append(js["task_id"])
            if st == 507:
                c.check(js and "disk" in js.get("error", ""), "diskfull: 507 says the disk is full")
                break
        # a 6 MB upload never fits
        st, hd, js = srv.upload_bytes(capture(140_000), raw=True, filename="big.pcap")
        codes.append(st)
        c.check(st == 507, "diskfull: an upload larger than the free space -> 507 (%d); answers %s" % (st, codes))
        for t in accepted:
            srv.wait_status(t, FINAL, 60)
        audit(srv.state, "diskfull after 507", accepted)
        # ballast: space for a capture but not for its reports (the margin the server wants is not known:
        # grow it until the upload is accepted)
        ballast = os.path.join(srv.state, "ballast")
        got = None
        for margin in (16 << 10, 64 << 10, 256 << 10, 1 << 20):
            if os.path.exists(ballast):
                os.unlink(ballast)
            free = os.statvfs(srv.state)
            with open(ballast, "wb") as f:
                left = free.f_bavail * free.f_frsize - len(small) - margin
                while left > 0:
                    k = min(left, 1 << 20)
                    f.write(b"\0" * k)
                    left -= k
            st, hd, js = srv.upload_bytes(small, raw=True, filename="no-room-for-report.pcap")
            if st == 202:
                tid = js["task_id"]
                try:
                    got = srv.wait_status(tid, FINAL, 20)
                except AssertionError:
                    got = srv.get_json("/api/status/" + tid)[1]
                    c.check(False, "diskfull: the analysis whose report does not fit ends (still %s after 20 s)"
                            % got["status"])
                    os.unlink(ballast)
                    try:
                        got = srv.wait_status(tid, FINAL, 15)
                        c.check(True, "diskfull: ... it ends once space returns (%s)" % got["status"])
                    except AssertionError:
                        c.check(False, "diskfull: ... and stays %s after space returns" % got["status"])
                    # a restart (the documented recovery) turns it into a final state
                    srv.stop()
                    restart(srv)
                    got = srv.get_json("/api/status/" + tid)[1]
                    c.check(got["status"] in FINAL, "diskfull: after a restart it is %s (%r)" % (
                        got["status"], got.get("error_message")))
                print("     accepted with %d KiB to spare: %s %r" % (margin >> 10, got["status"], got.get("error_message")))
                if got["status"] == "completed":
                    accepted.append(tid)
                break
            c.check(st == 507, "diskfull: upload with %d KiB to spare -> %d" % (margin >> 10, st))
        c.check(got is not None, "diskfull: an upload that fits is accepted even on an almost full disk")
        if got is not None and got["status"] == "failed":
            c.check(bool(got.get("error_message")), "diskfull: the report that did not fit -> failed with a reason")
        audit(srv.state, "diskfull, no room for reports", accepted)
        if os.path.exists(ballast):
            os.unlink(ballast)
        for t in list(accepted):
            srv.request("DELETE", "/api/reports/" + t)
        st, hd, js = srv.upload_bytes(small, raw=True, filename="after.pcap")
        ok = st == 202
        if ok:
            js2 = srv.wait_status(js["task_id"], FINAL, 60)
            ok = js2["status"] == "completed"
        c.check(ok, "diskfull: service resumes when space returns (%d)" % st)
        c.check(srv.stop() == 0, "diskfull: clean stop")
        audit(srv.state, "diskfull end", [js["task_id"]] if st == 202 else [])
    finally:
        if c.failures:
            srv.dump_log()
        try:
            srv.stop(signal.SIGKILL)
        except Exception:
            pass
        subprocess.run(["umount", "-l", srv.state])
        srv.cleanup()


def wrapper(tmp, real):
    """An analyzer stand-in: sleeps as long as the file 'delay' says, then execs the real analyzer."""
    path = os.path.join(tmp, "analyzer-slow")
    with open(path, "w") as f:
        f.write("#!/bin/sh\nd=$(cat '%s/delay' 2>/dev/null || echo 0)\nsleep \"$d\"\nexec '%s'\n" % (tmp, real))
    os.chmod(path, stat.S_IRWXU)
    return path


def set_delay(tmp, secs):
    with open(os.path.join(tmp, "delay"), "w") as f:
        f.write(str(secs))


def kill_upload():
    srv = h.Server(activate=False, args=["--workers", "1", "--queue-max", "50", "--max-upload-mb", "200",
                                         "--analyzer-exec", analyzer])
    state = srv.state
    try:
        big = capture(1_500_000)  # 66 MB: over the 32 MiB in-memory body limit, so a temp file too
        accepted = []
        kills = 0
        srv.start()
        for delay in (0.05, 0.15, 0.3, 0.5, 0.8):
            res = [None] * 3
            ths = [threading.Thread(target=upload_thread, args=(srv.port, big, res, i)) for i in range(3)]
            for t in ths:
                t.start()
            time.sleep(delay)
            srv.kill9()
            kills += 1
            for t in ths:
                t.join(30)
            accepted += [r[2]["task_id"] for r in res if r and r[0] == 202]
            restart(srv)
        # the last start: let everything finish
        ids = audit(state, "kill -9 during uploads (%d kills)" % kills, accepted, wait_srv=srv, reaper_ok=True)
        print("     %d uploads accepted before a kill, %d tasks in the database" % (len(accepted), len(ids)))
        c.check(srv.stop() == 0, "kill-upload: clean stop")
    finally:
        if c.failures:
            srv.dump_log()
        srv.cleanup()
    return kills


def kill_run():
    srv = h.Server(activate=False, args=["--workers", "2", "--queue-max", "50", "--analyzer-exec", None])
    state = srv.state
    slow = wrapper(srv.tmp, analyzer)
    srv.args[srv.args.index(None)] = slow
    try:
        set_delay(srv.tmp, 1)
        srv.start()
        data = capture(100_000)
        acc = []
        for i in range(8):
            st, _, js = srv.upload_bytes(data, raw=True, filename="k%d.pcap" % i)
            if st == 202:
                acc.append(js["task_id"])
        c.check(len(acc) == 8, "kill-run: 8 uploads accepted")
        time.sleep(1.5)  # some done, two running, the rest queued
        st, q = srv.get_json("/api/queue/status")
        print("     before kill -9: %d running, %d queued" % (q["running"], q["queued"]))
        kids = srv.children()
        srv.kill9()
        time.sleep(0.5)
        c.check(all(not os.path.exists("/proc/%d" % p) or open("/proc/%d/stat" % p).read().split()[2] == "Z"
                    for p in kids), "kill-run: the analyzers died with pcapd-web")
        ok, rows = db_rows(state)
        c.check(ok == "ok", "kill-run: database consistent right after kill -9 (%s)" % ok)
        set_delay(srv.tmp, 0)
        restart(srv)
        audit(state, "kill -9 during analyses", acc, wait_srv=srv)
        c.check(srv.stop() == 0, "kill-run: clean stop")
    finally:
        if c.failures:
            srv.dump_log()
        srv.cleanup()


def kill_analyzer():
    srv = h.Server(activate=False, args=["--workers", "3", "--queue-max", "50", "--analyzer-exec", None])
    slow = wrapper(srv.tmp, analyzer)
    srv.args[srv.args.index(None)] = slow
    try:
        set_delay(srv.tmp, 2)
        srv.start()
        data = capture(50_000)
        acc = []
        for i in range(6):
            st, _, js = srv.upload_bytes(data, raw=True, filename="a%d.pcap" % i)
            acc.append(js["task_id"])
        time.sleep(0.5)
        kids = srv.children()
        c.check(len(kids) == 3, "kill-analyzer: 3 analyzers running (%d)" % len(kids))
        st, q = srv.get_json("/api/queue/status")
        running = [t["task_id"] for t in q["tasks"] if t["status"] == "processing"]
        os.kill(kids[0], signal.SIGKILL)
        victims = []
        for t in acc:
            js = srv.wait_status(t, FINAL, 60)
            if js["status"] == "failed":
                victims.append((t, js["error_message"]))
        c.check(len(victims) == 1 and victims[0][0] in running and "killed" in (victims[0][1] or ""),
                "kill-analyzer: exactly the killed task failed, with a reason (%s)" % victims)
        ok, rows = db_rows(srv.state)
        audit(srv.state, "kill -9 of one analyzer", [t for t in acc if t not in [v[0] for v in victims]])
        c.check(srv.stop() == 0, "kill-analyzer: clean stop")
    finally:
        if c.failures:
            srv.dump_log()
        srv.cleanup()


def sigterm():
    srv = h.Server(activate=False, args=["--workers", "2", "--queue-max", "50", "--max-upload-mb", "200",
                                         "--analyzer-exec", None])
    slow = wrapper(srv.tmp, analyzer)
    srv.args[srv.args.index(None)] = slow
    state = srv.state
    try:
        set_delay(srv.tmp, 3)
        srv.start()
        data = capture(50_000)
        acc = []
        for i in range(4):
            st, _, js = srv.upload_bytes(data, raw=True, filename="t%d.pcap" % i)
            acc.append(js["task_id"])
        time.sleep(0.5)  # two analyses running (each 3 s), two queued
        big = capture(1_500_000)
        res = [None] * 2
        ths = [threading.Thread(target=upload_thread, args=(srv.port, big, res, i)) for i in range(2)]
        for t in ths:
            t.start()
        time.sleep(0.05)
        t0 = time.time()
        srv.proc.send_signal(signal.SIGTERM)
        try:
            rc = srv.proc.wait(40)
        except subprocess.TimeoutExpired:
            rc = None
        took = time.time() - t0
        c.check(rc == 0 and took <= 25, "sigterm: exit %s in %.1f s (bound: 20 s grace + 5)" % (rc, took))
        for t in ths:
            t.join(30)
        up = [r[:2] for r in res]
        acc += [r[2]["task_id"] for r in res if r and r[0] == 202]
        print("     uploads in flight at SIGTERM got: %s" % up)
        c.check(all(r and r[0] in (202, 503, None) for r in res), "sigterm: in-flight uploads get 202, 503 or a closed connection")
        ok, rows = db_rows(state)
        c.check(ok == "ok", "sigterm: database consistent")
        set_delay(srv.tmp, 0)
        restart(srv)
        audit(state, "SIGTERM in flight, then restart", acc, wait_srv=srv)
        c.check(srv.stop() == 0, "sigterm: second stop clean")
        return took
    finally:
        if c.failures:
            srv.dump_log()
        srv.cleanup()


def main():
    parts = sys.argv[1:] or ["saturation", "diskfull", "kill-upload", "kill-run", "kill-analyzer", "sigterm"]
    t0 = time.time()
    figures = {}
    for p in parts:
        print("=== " + p, flush=True)
        t1 = time.time()
        r = {"saturation": saturation, "diskfull": diskfull, "kill-upload": kill_upload, "kill-run": kill_run,
             "kill-analyzer": kill_analyzer, "sigterm": sigterm}[p]()
        figures[p] = (r, round(time.time() - t1, 1))
    print("ROBUST-STATS web-faults: %s; %.0f s" % (figures, time.time() - t0))
    c.done()


main()
