#!/usr/bin/env python3
"""The cluster suite (issue 16): a real PostgreSQL 15 (run through tests/pg/pg-temp.sh run), three real
pcapd-web nodes and a real HAProxy on loopback running units/cluster/haproxy.cfg itself (only its
addresses set, through the environment variables the file reads). Uploads through the balancer land on
different nodes and each task is answered by any of them; the same through a real nginx running
units/cluster/nginx.conf (only its node addresses and port replaced), whose progress streams pass a running
analysis's events as they come; kill -9 of the node running an analysis: the task
completes elsewhere, once; a PostgreSQL restart during uploads: 503s with a clear message or successes,
/api/health degraded while it is down, the nodes reconnect by themselves, nothing accepted is lost; a load
run through the balancer (PCAPD_CLUSTER_LOAD_SECONDS, 120 by default) with no unexpected error; then the
database's consistency and every report byte-identical from every node."""
import http.client
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

# Each node has a state directory of its own: captures and reports are in PostgreSQL too (shared bytes).
# True runs the nodes on one shared directory instead (the set-up before shared bytes).
SHARED_STATE = False

spec = importlib.util.spec_from_file_location(
    "h", os.path.join(os.path.dirname(__file__), "..", "daemons", "test-web-harness.py"))
h = importlib.util.module_from_spec(spec)
spec.loader.exec_module(h)

url = os.environ.get("PCAPD_TEST_DATABASE")
pg_dir = os.environ.get("PCAPD_TEST_PG_DIR")
pg_script = os.environ.get("PCAPD_TEST_PG_SCRIPT")
if not url or not pg_dir or not pg_script:
    h.skip("run me through tests/pg/pg-temp.sh run")
haproxy = shutil.which("haproxy") or ("/usr/sbin/haproxy" if os.path.exists("/usr/sbin/haproxy") else None)
if not haproxy:
    h.skip("haproxy not installed (Debian: apt-get install haproxy)")
psql = shutil.which("psql")
if not psql:
    h.skip("psql not installed")

LEASE = 3
LOAD_SECONDS = int(os.environ.get("PCAPD_CLUSTER_LOAD_SECONDS", "120"))
LOAD_THREADS = 3
HAPROXY_CFG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "units", "cluster",
                           "haproxy.cfg")
NGINX_CONF = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "units", "cluster", "nginx.conf")
nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)


def sql(query):
    return subprocess.run([psql, "-X", "-A", "-t", "-d", url, "-c", query], stdout=subprocess.PIPE,
                          check=True, text=True).stdout.strip()


def row(tid, cols="status || ' ' || node"):
    return sql("SELECT %s FROM tasks WHERE id = '%s'" % (cols, tid))


def wait_for(what, timeout):
    end = time.time() + timeout
    while time.time() < end:
        got = what()
        if got:
            return got
        time.sleep(0.1)
    return what()


class Balancer:
    """HAProxy running the shipped configuration in the foreground; its log (one line per request, with
    the server that answered) in a file."""

    def __init__(self, tmp, nodes):
        self.port = h.free_port()
        self.log_path = os.path.join(tmp, "haproxy.log")
        self.env = dict(os.environ, PCAPD_LB_BIND="127.0.0.1:%d" % self.port)
        for i, n in enumerate(nodes, 1):
            self.env["PCAPD_NODE%d" % i] = "127.0.0.1:%d" % n.port
        self.proc = None

    def start(self):
        r = subprocess.run([haproxy, "-c", "-q", "-f", HAPROXY_CFG], env=self.env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            raise AssertionError("haproxy -c: " + r.stdout)
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([haproxy, "-f", HAPROXY_CFG], env=self.env, stdout=self.log,
                                     stderr=self.log)
        wait_for(lambda: self.up() == 3, 15)

    def up(self):
        """How many nodes are in: the balancer answers, and HAProxy's last word on each node (its log says
        "Server pcapd/nodeN is DOWN" or "is UP" at each change; every node starts in) is not DOWN."""
        try:
            st, _, _ = self.request("GET", "/api/health")
        except OSError:
            return 0
        last = {}
        for m in re.finditer(r"Server pcapd/(node\d) is (UP|DOWN)", open(self.log_path, errors="replace").read()):
            last[m.group(1)] = m.group(2)
        return 3 - list(last.values()).count("DOWN") if st == 200 else 0

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def request(self, method, path, body=None, headers=None, timeout=30):
        return h.http_request(self.port, method, path, body, headers, timeout)

    def upload(self, data):
        """A raw-body upload as curl sends a large one: headers with "Expect: 100-continue", the body once
        "100 Continue" came (or after 1 s without an answer), so that an early answer (503 while no node
        is in, 413) arrives whole instead of as a broken pipe halfway through the body."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        try:
            s.sendall(("POST /api/upload HTTP/1.1\r\nHost: pcapd\r\nContent-Type: application/vnd.tcpdump.pcap\r\n"
                       "X-Filename: c.pcap\r\nContent-Length: %d\r\nExpect: 100-continue\r\nConnection: close\r\n"
                       "\r\n" % len(data)).encode())
            f = s.makefile("rb")
            s.settimeout(1)
            try:
                st, hdr = read_head(f)
            except socket.timeout:
                st = 100
            s.settimeout(30)
            if st == 100:
                s.sendall(data)
                st, hdr = read_head(f)
            n = int(hdr.get("content-length", "-1"))
            body = f.read(n) if n >= 0 else f.read()
        finally:
            s.close()
        try:
            js = json.loads(body)
        except ValueError:
            js = None
        return st, hdr, js

    def servers_for(self, tid):
        """The nodes HAProxy sent this task's requests to (its httplog: backend/server, then the request)."""
        names = set()
        for line in open(self.log_path, errors="replace"):
            if tid in line:
                m = re.search(r" pcapd(?:_sse)?/(node\d) ", line)
                if m:
                    names.add(m.group(1))
        return names


class NginxBalancer(Balancer):
    """nginx running the shipped nginx.conf in the foreground: the same file with only the three node
    addresses and the listening port put in, under a prefix of its own."""

    def __init__(self, tmp, nodes):
        self.port = h.free_port()
        self.prefix = os.path.join(tmp, "nginx")
        os.makedirs(self.prefix, exist_ok=True)
        os.chmod(self.prefix, 0o755)  # its workers run as nobody under root: they write temp files here
        text = open(NGINX_CONF).read()
        for i, n in enumerate(nodes, 1):
            text = text.replace("server 127.0.0.1:800%d " % i, "server 127.0.0.1:%d " % n.port)
        text = text.replace("listen 8080;", "listen 127.0.0.1:%d;" % self.port)
        if text.count("127.0.0.1:800") or "listen 127.0.0.1:%d;" % self.port not in text:
            raise AssertionError("nginx.conf: the node addresses or the port were not where the test expects")
        self.conf = os.path.join(self.prefix, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(text)
        self.log_path = os.path.join(tmp, "nginx.log")
        self.proc = None

    def start(self):
        r = subprocess.run([nginx, "-t", "-p", self.prefix, "-c", self.conf, "-e", "stderr"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            raise AssertionError("nginx -t: " + r.stdout)
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([nginx, "-p", self.prefix, "-c", self.conf, "-e", "stderr", "-g", "daemon off;"],
                                     stdout=self.log, stderr=self.log)
        wait_for(lambda: self.answers(), 15)

    def upload(self, data):
        """A raw-body upload through http.client (nginx may answer chunked, which Balancer.upload's reader
        does not decode)."""
        st, hdr, body = self.request("POST", "/api/upload", body=data,
                                     headers={"Content-Type": "application/vnd.tcpdump.pcap", "X-Filename": "c.pcap"})
        try:
            js = json.loads(body)
        except ValueError:
            js = None
        return st, hdr, js

    def answers(self):
        try:
            return self.request("GET", "/api/health")[0] == 200
        except OSError:
            return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # nginx's graceful stop
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def read_head(f):
    """An HTTP/1.1 response's status and headers (lower-case names)."""
    st = int(f.readline().split()[1])
    hdr = {}
    while True:
        line = f.readline().decode("latin-1").strip()
        if not line:
            return st, hdr
        k, _, v = line.partition(":")
        hdr[k.strip().lower()] = v.strip()



def done_records(nodes, tid):
    return [r for n in nodes for r in n.log_records()
            if r.get("PCAPD_EVENT") == "analysis-done" and r.get("PCAPD_TASK_ID", r.get("TASK_ID")) == tid]


def accepted_by(nodes, tid):
    return [n.node_id for n in nodes for r in n.log_records()
            if r.get("PCAPD_EVENT") == "upload-accepted" and r.get("PCAPD_TASK_ID", r.get("TASK_ID")) == tid]


def lb_sse(lb, tid, timeout=60):
    """The progress stream through the balancer until its final event: the list of event names."""
    c = http.client.HTTPConnection("127.0.0.1", lb.port, timeout=timeout)
    c.request("GET", "/api/progress/" + tid, headers={"Accept": "text/event-stream"})
    r = c.getresponse()
    events = []
    if r.status != 200:
        return r.status, events
    while True:
        line = r.fp.readline()
        if not line:
            break
        if line.startswith(b"event: "):
            events.append(line[7:].strip().decode())
        elif line.startswith(b"data: ") and events and events[-1] in ("completed", "failed"):
            events[-1] += " " + line[6:].strip().decode()
            break
    c.close()
    return 200, events


c = h.Checks()
capture = h.corpus("gen", "http-clean.pcap")
data = open(capture, "rb").read()
real = h.env_path("PCAPD_ANALYZER_EXEC")
tmp = tempfile.mkdtemp(prefix="pcapd-cluster-")
switch = h.AnalyzerSwitch(tmp, real)
wrapper, set_mode = switch.path, switch.set


def make_node(i):
    state = os.path.join(tmp, "state" if SHARED_STATE else "state-%d" % i)
    n = h.Server(state_dir=state, activate=False, env={"PCAPD_DATABASE": url},
                 args=["--node-id", "node%d" % i, "--workers", "1", "--lease-seconds", str(LEASE),
                       "--queue-max", "50", "--analyzer-exec", wrapper, "--reap", "off"])
    n.node_id = "node%d" % i
    return n


accepted = []   # every task id a 202 was given for, in any phase
accepted_lock = threading.Lock()


def accept(js):
    with accepted_lock:
        accepted.append(js["task_id"])


set_mode("")
nodes = [make_node(i) for i in (1, 2, 3)]
lb = Balancer(tmp, nodes)
try:
    for n in nodes:
        n.start()
    lb.start()
    c.check(lb.up() == 3, "HAProxy on the shipped haproxy.cfg has the three nodes in")

    # 1. uploads through the balancer land on different nodes; any node answers for any task
    first = []
    for _ in range(6):
        st, _, js = lb.upload(data)
        c.check(st == 202, "upload through the balancer accepted (%d)" % st)
        accept(js)
        first.append(js["task_id"])
    landed = set()
    for tid in first:
        got = wait_for(lambda: sql("SELECT status FROM tasks WHERE id = '%s'" % tid) in ("completed", "failed"), 60)
        c.check(got, "task %s finished" % tid[:8])
        landed.update(accepted_by(nodes, tid))
    c.check(len(landed) == 3, "the six uploads were accepted by all three nodes (%s)" % sorted(landed))
    ran = sql("SELECT count(DISTINCT node) FROM tasks")
    c.check(int(ran) >= 2, "and run by %s nodes" % ran)
    for tid in first:
        for _ in range(3):
            st, _, body = lb.request("GET", "/api/status/" + tid)
            c.check(st == 200 and json.loads(body)["status"] == "completed", "status through the balancer (%d)" % st)
            st, _, body = lb.request("GET", "/api/reports/%s/json" % tid)
            c.check(st == 200 and b'"packets"' in body, "report through the balancer (%d)" % st)
            st, events = lb_sse(lb, tid)
            c.check(st == 200 and [e.split()[0] for e in events[-1:]] == ["completed"], "progress stream through the balancer (%s)"
                    % [e.split()[0] for e in events])
        served = lb.servers_for(tid)
        c.check(len(served) >= 2, "task %s answered by %s" % (tid[:8], sorted(served)))

    # 1b. the same through nginx on the shipped nginx.conf: uploads spread over the nodes, status and report
    #     answered, and a progress stream unbuffered: a running analysis's events arrive while it runs
    if not nginx:
        print("SKIP nginx: not installed (Debian: apt-get install nginx)")
    else:
        ng = NginxBalancer(tmp, nodes)
        try:
            ng.start()
            via = []
            for _ in range(3):
                st, _, js = ng.upload(data)
                c.check(st == 202, "upload through nginx accepted (%d)" % st)
                if st == 202:
                    accept(js)
                    via.append(js["task_id"])
            landed = set()
            for tid in via:
                c.check(wait_for(lambda: sql("SELECT status FROM tasks WHERE id = '%s'" % tid) == "completed", 60),
                        "nginx's upload %s completed" % tid[:8])
                landed.update(accepted_by(nodes, tid))
                st, _, body = ng.request("GET", "/api/status/" + tid)
                c.check(st == 200 and json.loads(body)["status"] == "completed", "status through nginx (%d)" % st)
                st, _, body = ng.request("GET", "/api/reports/%s/html" % tid)
                c.check(st == 200 and b"<html" in body[:400].lower(), "report through nginx (%d)" % st)
            c.check(len(landed) >= 2, "nginx spread the uploads over the nodes (%s)" % sorted(landed))
            set_mode("slow")
            st, _, js = ng.upload(data)
            c.check(st == 202, "a slow upload through nginx accepted (%d)" % st)
            if st == 202:
                accept(js)
                tid = js["task_id"]
                conn = http.client.HTTPConnection("127.0.0.1", ng.port, timeout=10)
                conn.request("GET", "/api/progress/" + tid, headers={"Accept": "text/event-stream"})
                r = conn.getresponse()
                seen, t0 = [], time.time()
                while len(seen) < 3 and time.time() - t0 < 10:
                    line = r.fp.readline()
                    if not line:
                        break
                    if line.startswith(b"event: "):
                        seen.append(line[7:].strip().decode())
                conn.close()
                c.check(seen[:3] == ["progress"] * 3 and row(tid, "status") == "processing",
                        "nginx passes the progress events of a running analysis as they come (%s in %.1f s)"
                        % (seen, time.time() - t0))
                runner = row(tid, "node")
                victim = [n for n in nodes if n.node_id == runner]
                wait_for(lambda: victim and switch.sleeping(victim[0]), 10)
                set_mode("")
                for pid in (victim[0].children() if victim else []):
                    os.kill(pid, signal.SIGKILL)  # the sleep ends: the analysis fails, with its reason
                c.check(wait_for(lambda: row(tid, "status") == "failed", 20), "the slow analysis ended (killed)")
        finally:
            set_mode("")
            ng.stop()

    # 2. kill -9 of the node running an analysis: once its lease expires another node runs it, once
    set_mode("slow")
    st, _, js = lb.upload(data)
    c.check(st == 202, "slow upload accepted (%d)" % st)
    accept(js)
    slow = js["task_id"]
    runner = wait_for(lambda: row(slow, "node") if row(slow, "status") == "processing" else None, 15)
    c.check(runner in ("node1", "node2", "node3"), "a node claimed the slow analysis (%s)" % runner)
    victim = [n for n in nodes if n.node_id == runner][0]
    c.check(len(victim.wait_children()) == 1, "its analyzer runs")
    # the wrapper reads the mode as it starts: the mode changes back only once it is the slow sleep
    wait_for(lambda: switch.sleeping(victim), 10)
    stream = {}
    t = threading.Thread(target=lambda: stream.update(r=lb_sse(lb, slow, timeout=90)), daemon=True)
    t.start()
    set_mode("")
    victim.kill9()
    got = wait_for(lambda: row(slow) if row(slow, "status") == "completed" else None, 30 + 3 * LEASE)
    c.check(got and got.split()[1] != runner, "completed on another node after %s died (%s)" % (runner, got))
    c.check(len(done_records(nodes, slow)) == 1, "to completion once")
    st, _, body = lb.request("GET", "/api/status/" + slow)
    c.check(st == 200 and json.loads(body)["status"] == "completed", "its status through the balancer (%d)" % st)
    st, events = lb_sse(lb, slow)
    c.check(st == 200 and [e.split()[0] for e in events[-1:]] == ["completed"], "a new stream through the balancer ends completed")
    t.join(5)
    # the stream opened before the kill ends completed, or was cut if the victim held it (a browser's
    # EventSource then reconnects, as the new stream above did); it never says failed
    st, events = stream.get("r", (None, []))
    final = [e for e in events if e.split()[0] in ("completed", "failed")]
    c.check(st == 200 and (not final or final[0].startswith("completed")),
            "the stream opened before the kill ended completed or was cut (%s)" % (final or events[-3:]))
    victim.start()
    c.check(wait_for(lambda: lb.up() == 3, 15), "the restarted node is back in the balancer")

    # 3. PostgreSQL restarts during uploads: 503 with a message or 202; health degraded while down; the
    #    nodes reconnect by themselves; nothing accepted is lost
    outcomes = {"ok": 0, "503": 0, "other": []}
    stop_uploads = threading.Event()

    def uploader():
        while not stop_uploads.is_set():
            try:
                st, hdr, js = lb.upload(data)
            except OSError as e:
                outcomes["other"].append(repr(e))
                continue
            if st == 202:
                accept(js)
                outcomes["ok"] += 1
            elif st == 503 and js and js.get("error") and "retry-after" in hdr:
                outcomes["503"] += 1
                time.sleep(0.2)
            else:
                outcomes["other"].append((st, js))
            time.sleep(0.05)

    th = [threading.Thread(target=uploader, daemon=True) for _ in range(2)]
    for x in th:
        x.start()
    time.sleep(2)
    subprocess.run([pg_script, "stop", pg_dir], check=True)
    down_at = time.time()
    degraded = wait_for(lambda: all(n.request("GET", "/api/health")[0] == 503 for n in nodes), 30)
    c.check(degraded, "every node's /api/health says degraded while PostgreSQL is down")
    st, js = nodes[0].get_json("/api/health")
    c.check(js and js["status"] == "degraded" and not js["checks"]["database_ok"],
            "degraded: database_ok false (%s)" % (js and js.get("checks")))
    st, hdr, js = lb.upload(data)
    c.check(st == 503 and js and "error" in js and "retry-after" in hdr,
            "an upload through the balancer answers 503 with a message and Retry-After (%d %s)" % (st, js))
    time.sleep(max(0, 6 - (time.time() - down_at)))
    subprocess.run([pg_script, "start", pg_dir], check=True, stdout=subprocess.DEVNULL)
    back = wait_for(lambda: all(n.request("GET", "/api/health")[0] == 200 for n in nodes), 30)
    c.check(back, "every node healthy again by itself after PostgreSQL's restart")
    c.check(wait_for(lambda: lb.up() == 3, 15), "the balancer has the three nodes in again")
    n_before = outcomes["ok"]
    wait_for(lambda: outcomes["ok"] >= n_before + 3, 20)
    stop_uploads.set()
    for x in th:
        x.join(35)
    c.check(outcomes["ok"] > n_before, "uploads succeed again (%d accepted, %d refused with 503)"
            % (outcomes["ok"], outcomes["503"]))
    c.check(not outcomes["other"], "no other answer during the restart (%s)" % outcomes["other"][:5])

    # 4. load through the balancer: upload -> poll the status -> get the report, no unexpected error
    load = {"done": 0, "errors": []}
    load_lock = threading.Lock()
    end = time.time() + LOAD_SECONDS

    def client():
        while time.time() < end:
            try:
                st, hdr, js = lb.upload(data)
                if st != 202:
                    raise AssertionError("upload %d %s" % (st, js))
                accept(js)
                tid = js["task_id"]
                deadline = time.time() + 60
                while True:
                    st, _, body = lb.request("GET", "/api/status/" + tid)
                    if st != 200:
                        raise AssertionError("status %d" % st)
                    s = json.loads(body)["status"]
                    if s in ("completed", "failed"):
                        break
                    if time.time() > deadline:
                        raise AssertionError("%s still %s after 60 s" % (tid, s))
                    time.sleep(0.1)
                if s != "completed":
                    raise AssertionError("%s %s" % (tid, s))
                st, _, body = lb.request("GET", "/api/reports/%s/json" % tid)
                if st != 200:
                    raise AssertionError("report %d" % st)
                with load_lock:
                    load["done"] += 1
            except Exception as e:  # every failure is counted and shown, the run goes on
                with load_lock:
                    load["errors"].append(repr(e))
                time.sleep(0.5)

    th = [threading.Thread(target=client, daemon=True) for _ in range(LOAD_THREADS)]
    t0 = time.time()
    for x in th:
        x.start()
    for x in th:
        x.join(LOAD_SECONDS + 90)
    took = time.time() - t0
    c.check(load["done"] > 0 and not load["errors"], "load: %d upload->status->report cycles in %.0f s "
            "through the balancer (%.1f analyses/min), %d errors %s"
            % (load["done"], took, 60 * load["done"] / took, len(load["errors"]), load["errors"][:3]))

    # 5. consistency: every accepted task finished (failed ones with a reason), nothing left in the queue
    #    or leased, and every report the same bytes from every node
    ids = "','".join(accepted)
    c.check(wait_for(lambda: sql("SELECT count(*) FROM tasks WHERE status IN ('queued','processing')") == "0", 60),
            "no queued or processing row left")
    c.check(sql("SELECT count(*) FROM tasks WHERE id IN ('%s')" % ids) == str(len(accepted)),
            "every one of the %d accepted tasks has its row" % len(accepted))
    c.check(sql("SELECT count(*) FROM tasks WHERE id IN ('%s') AND NOT (status = 'completed' OR "
                "(status = 'failed' AND error_message <> ''))" % ids) == "0",
            "each completed, or failed with a reason")
    failed = sql("SELECT error_message, count(*) FROM tasks WHERE status = 'failed' GROUP BY 1")
    print("     failed tasks, by reason: %s" % (failed.replace("\n", "; ") or "none"))
    # an analysis that ended while PostgreSQL was down could not record its end: it ran again (its capture
    # kept), it did not fail "capture lost"
    deferred = sum(1 for n in nodes for r in n.log_records() if r.get("PCAPD_EVENT") == "analysis-end-deferred")
    print("     analyses whose end waited for the database and ran again: %d" % deferred)
    c.check(sql("SELECT count(*) FROM tasks WHERE error_message = 'capture lost'") == "0",
            "no accepted task failed 'capture lost'")
    c.check(sql("SELECT count(*) FROM tasks WHERE lease_until <> 0") == "0", "no lease held")
    c.check(sql("SELECT count(*) FROM tasks WHERE node = '' AND status <> 'queued'") == "0",
            "every finished row names the node that ran it")
    done = [r for r in sql("SELECT id FROM tasks WHERE status = 'completed' ORDER BY id").split("\n") if r]
    differ = []
    for tid in done:
        bodies = set()
        for n in nodes:
            st, _, body = n.request("GET", "/api/reports/%s/json" % tid)
            bodies.add((st, body))
        if len(bodies) != 1 or list(bodies)[0][0] != 200:
            differ.append(tid)
    c.check(done and not differ, "each of the %d reports byte-identical from the three nodes (%s differ)"
            % (len(done), differ[:3]))
finally:
    lb.stop()
    for n in nodes:
        if c.failures:
            n.dump_log()
        n.cleanup()
    if c.failures:
        try:
            print(open(lb.log_path, errors="replace").read()[-3000:])
        except OSError:
            pass
    shutil.rmtree(tmp, ignore_errors=True)
c.done()
