"""Shared helpers for the pcapd-web integration tests: start the real daemon (socket-activated or with
--listen), talk HTTP with http.client, read SSE, collect sd_notify messages. Python stdlib only."""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

SKIP = 77


def skip(why):
    print("SKIP: " + why)
    sys.exit(SKIP)


def env_path(name, required=True):
    v = os.environ.get(name, "")
    if required and (not v or not os.path.exists(v)):
        skip("%s not set or missing (%r)" % (name, v))
    return v


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Notify:
    """An sd_notify sink: a datagram socket collecting READY=1, STATUS=..., WATCHDOG=1, STOPPING=1.
    A thread drains it all the time, as systemd does: the kernel queues only net.unix.max_dgram_qlen
    (10) datagrams, and sd_notify() blocks the daemon's event loop when that queue is full."""

    def __init__(self, directory):
        import threading
        self.path = os.path.join(directory, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if os.path.exists(self.path):  # a restart of the same Server: the old sink is closed
            os.unlink(self.path)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.messages = []
        self.lock = threading.Lock()
        self.running = True
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _drain(self):
        while self.running:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.messages.extend(data.decode(errors="replace").split("\n"))

    def poll(self):
        with self.lock:
            return list(self.messages)

    def close(self):
        self.running = False

    def wait_for(self, prefix, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            if any(m.startswith(prefix) for m in self.poll()):
                return True
            time.sleep(0.02)
        return False


def pg_database(state):
    """With PCAPD_TEST_WEB_PG=1 (a test run through tests/pg/pg-temp.sh run): the URL of a PostgreSQL database
    of this state directory's own (made the first time), which the Server passes as PCAPD_DATABASE; else None.
    A restart on the same state directory finds the same database."""
    if os.environ.get("PCAPD_TEST_WEB_PG") != "1":
        return None
    pg_dir, script = os.environ.get("PCAPD_TEST_PG_DIR"), os.environ.get("PCAPD_TEST_PG_SCRIPT")
    if not pg_dir or not script:
        skip("PCAPD_TEST_WEB_PG=1 outside tests/pg/pg-temp.sh run")
    import hashlib
    name = "web_" + hashlib.sha256(os.path.abspath(state).encode()).hexdigest()[:16]
    url = subprocess.run([script, "url", pg_dir, name], stdout=subprocess.PIPE, check=True, text=True).stdout.strip()
    if name not in _pg_made:
        subprocess.run([script, "createdb", pg_dir, name], check=True)
        _pg_made.add(name)
    return url


_pg_made = set()


def http_request(port, method, path, body=None, headers=None, timeout=30):
    """One request to 127.0.0.1:port: (status, headers with lower-case names, body)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, data


class Server:
    def __init__(self, state_dir=None, args=(), activate=True, env=None, port=None, tmpfs_state_mb=None):
        self.web = env_path("PCAPD_WEB")
        self.tmp = tempfile.mkdtemp(prefix="pcapd-web-test-")
        self.state = state_dir or os.path.join(self.tmp, "state")
        self.webdir = os.path.join(self.tmp, "webroot")
        os.makedirs(self.webdir, exist_ok=True)
        for page in ("index", "history", "progress", "report", "login"):
            with open(os.path.join(self.webdir, page + ".html"), "w") as f:
                f.write("<!doctype html><title>%s</title><p>placeholder %s page</p>\n" % (page, page))
        os.makedirs(os.path.join(self.webdir, "static"), exist_ok=True)
        with open(os.path.join(self.webdir, "static", "app.js"), "w") as f:
            f.write("// placeholder script\n" + "console.log('pcapd placeholder');\n" * 40)
        self.port = port or free_port()
        self.args = list(args)
        self.activate = activate
        self.extra_env = dict(env or {})
        self.database = self.extra_env.get("PCAPD_DATABASE") or pg_database(self.state)
        if self.database:
            self.extra_env["PCAPD_DATABASE"] = self.database
        self.proc = None
        self.notify = None
        self.tmpfs_state_mb = tmpfs_state_mb
        self.log_path = os.path.join(self.tmp, "pcapd-web.log")

    def start(self):
        self.notify = Notify(self.tmp)
        argv = [self.web, "--state-dir", self.state, "--web-dir", self.webdir] + self.args
        env = dict(os.environ)
        env.update(self.extra_env)
        env["NOTIFY_SOCKET"] = self.notify.path
        for k in ("LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"):
            env.pop(k, None)
        if self.activate:
            sa = shutil.which("systemd-socket-activate")
            if not sa:
                skip("systemd-socket-activate not installed")
            cmd = [sa, "-l", "127.0.0.1:%d" % self.port]
            for k, v in self.extra_env.items():
                cmd += ["-E", "%s=%s" % (k, v)]
            for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
                if k in os.environ and k not in self.extra_env:
                    cmd += ["-E", "%s=%s" % (k, os.environ[k])]
            cmd += ["-E", "NOTIFY_SOCKET=" + self.notify.path]
            cmd += argv
        else:
            cmd = argv + ["--listen", "127.0.0.1:%d" % self.port]
        if self.tmpfs_state_mb:
            # a small private tmpfs as the state directory (own mount namespace): a full disk on demand
            if os.geteuid() != 0 or not shutil.which("unshare"):
                skip("needs root and unshare for a private tmpfs")
            os.makedirs(self.state, exist_ok=True)
            cmd = ["unshare", "-m", "--propagation", "private", "sh", "-c",
                   'mount -t tmpfs -o size=%dm tmpfs "$0" && exec "$@"' % self.tmpfs_state_mb, self.state] + cmd
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=self.log)
        # socket activation: the daemon is exec'd on the first connection
        end = time.time() + 10
        while time.time() < end:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.02)
        if not self.notify.wait_for("READY=1", 10):
            self.dump_log()
            raise AssertionError("no READY=1 from pcapd-web")
        return self

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if not self.proc or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self.dump_log()
            raise AssertionError("pcapd-web did not stop within %ds" % timeout)

    def kill9(self):
        self.proc.kill()
        self.proc.wait()

    def cleanup(self, keep=False):
        try:
            self.stop(signal.SIGKILL)
        except Exception:
            pass
        if self.notify:
            self.notify.close()
        if not keep:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def dump_log(self):
        try:
            with open(self.log_path, "rb") as f:
                sys.stderr.write(f.read().decode(errors="replace")[-6000:])
        except OSError:
            pass

    def log_records(self):
        out = []
        with open(self.log_path, "rb") as f:
            for line in f.read().decode(errors="replace").splitlines():
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
        return out

    def state_path(self, *parts):
        """A path in the state directory as the daemon sees it (through its mount namespace)."""
        if self.tmpfs_state_mb:
            return os.path.join("/proc/%d/root" % self.proc.pid, self.state.lstrip("/"), *parts)
        return os.path.join(self.state, *parts)

    def children(self):
        """pids of pcapd-web's children (spawned analyzers)."""
        pids = []
        try:
            for tid in os.listdir("/proc/%d/task" % self.proc.pid):
                with open("/proc/%d/task/%s/children" % (self.proc.pid, tid)) as f:
                    pids += [int(p) for p in f.read().split()]
        except OSError:
            pass
        return pids

    def wait_children(self, timeout=10):
        """The spawned analyzers once there is one: a task is `processing` from its claim on, a moment
        before its analyzer is spawned."""
        end = time.time() + timeout
        while time.time() < end and not self.children():
            time.sleep(0.05)
        return self.children()

    # HTTP
    def request(self, method, path, body=None, headers=None, timeout=30):
        return http_request(self.port, method, path, body, headers, timeout)

    def get_json(self, path):
        st, h, data = self.request("GET", path)
        return st, json.loads(data) if data else None

    def upload(self, path, raw=False, filename=None, boundary=None):
        with open(path, "rb") as f:
            data = f.read()
        name = filename or os.path.basename(path)
        if raw:
            return self.upload_bytes(data, raw=True, filename=name)
        return self.upload_bytes(data, filename=name, boundary=boundary)

    def upload_bytes(self, data, raw=False, filename="capture.pcap", boundary=None):
        if raw:
            hdr = {"Content-Type": "application/vnd.tcpdump.pcap", "X-Filename": filename}
            st, h, body = self.request("POST", "/api/upload", data, hdr)
        else:
            body_bytes, ctype = multipart(data, filename, boundary)
            st, h, body = self.request("POST", "/api/upload", body_bytes, {"Content-Type": ctype})
        try:
            js = json.loads(body)
        except ValueError:
            js = None
        return st, h, js

    def sse(self, task_id, last_event_id=None, timeout=60, until_final=True, max_events=None):
        """Reads the progress stream; returns the list of (id, event, data) until the final event."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        hdr = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            hdr["Last-Event-ID"] = str(last_event_id)
        c.request("GET", "/api/progress/" + task_id, headers=hdr)
        r = c.getresponse()
        assert r.status == 200, r.status
        assert r.getheader("Content-Type").startswith("text/event-stream")
        events, cur = [], {}
        end = time.time() + timeout
        while time.time() < end:
            line = r.fp.readline()
            if not line:
                break
            line = line.decode().rstrip("\n")
            if line == "":
                if "event" in cur:
                    events.append((cur.get("id"), cur["event"], json.loads(cur.get("data", "null"))))
                    if cur["event"] in ("completed", "failed") and until_final:
                        break
                    if max_events and len(events) >= max_events:
                        break
                cur = {}
                continue
            if line.startswith(":"):
                continue
            k, _, v = line.partition(":")
            cur[k] = v[1:] if v.startswith(" ") else v
        c.close()
        return events

    def wait_status(self, task_id, statuses, timeout=60):
        end = time.time() + timeout
        last = None
        while time.time() < end:
            st, js = self.get_json("/api/status/" + task_id)
            if st == 200 and js["status"] in statuses:
                return js
            last = js
            time.sleep(0.05)
        raise AssertionError("task %s did not reach %s: %r" % (task_id, statuses, last))


class AnalyzerSwitch:
    """An analyzer that is slow on demand (tests of leases, takeovers, kills): a wrapper that reads DIR/mode
    as it starts; "slow" makes it sleep (an analysis that never ends), anything else runs the real one."""

    def __init__(self, tmp, real):
        self.mode_file = os.path.join(tmp, "mode")
        self.path = os.path.join(tmp, "analyzer-wrapper")
        with open(self.path, "w") as f:
            f.write("#!/bin/sh\n[ \"$(cat '%s' 2>/dev/null)\" = slow ] && exec sleep 300\nexec '%s'\n"
                    % (self.mode_file, real))
        os.chmod(self.path, 0o700)
        self.set("")

    def set(self, mode):
        with open(self.mode_file, "w") as f:
            f.write(mode)

    @staticmethod
    def sleeping(server):
        """Whether one of server's analyzers is the slow sleep already: the wrapper reads the mode as it
        starts, so the mode may change back only then (on a loaded machine it could still read "")."""
        for pid in server.children():
            try:
                with open("/proc/%d/comm" % pid) as f:
                    if f.read().strip() == "sleep":
                        return True
            except OSError:
                pass
        return False


def multipart(data, filename, boundary=None):
    b = boundary or ("----pcapdtest" + uuid.uuid4().hex)
    head = ("--%s\r\nContent-Disposition: form-data; name=\"comment\"\r\n\r\nhello\r\n"
            "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
            "Content-Type: application/vnd.tcpdump.pcap\r\n\r\n" % (b, b, filename)).encode()
    tail = ("\r\n--%s--\r\n" % b).encode()
    return head + data + tail, "multipart/form-data; boundary=%s" % b


def cli_json(path):
    cli = env_path("PCAP_ANALYZER")
    out = subprocess.run([cli, "analyze", path, "--json", "-", "-q"], stdout=subprocess.PIPE, check=True).stdout
    return json.loads(out)


# Members whose value would depend on when or how fast the analysis ran. The report has none today (it
# is byte-for-byte the CLI's); these names are dropped wherever they appear should one be added.
TIMING_KEYS = {"generated_at", "analysis_time_ms", "elapsed_ms", "duration_ms_wall", "wall_time_ms"}


def strip_timing(x):
    if isinstance(x, dict):
        return {k: strip_timing(v) for k, v in x.items() if k not in TIMING_KEYS}
    if isinstance(x, list):
        return [strip_timing(v) for v in x]
    return x


TSHARK_R = re.compile(r"tshark -r ('(?:[^']|'\\'')*'|\S+)")


def unname(x):
    """The report without the capture's name: the CLI's has the path it was given (capture.file_name, and
    quoted in every tshark command), the service's the placeholder CAPTURE.pcap (the analyzer is given an fd)."""
    if isinstance(x, dict):
        return {k: unname(v) for k, v in x.items() if k != "file_name"}
    if isinstance(x, list):
        return [unname(v) for v in x]
    if isinstance(x, str) and "tshark -r " in x:
        return TSHARK_R.sub("tshark -r CAPTURE", x)
    return x


def canonical(x):
    """The report as compared with the CLI's: every member, in order, except timing-dependent ones and the
    capture's name (unname)."""
    return unname(strip_timing(x))


def corpus(*parts):
    d = os.environ.get("PCAPD_CORPUS", "")
    p = os.path.join(d, *parts)
    if not d or not os.path.exists(p):
        skip("corpus file %s not available" % p)
    return p


def design_doc_script(script):
    """The design document pcapd replaces (../shared/seed/plan-performance-web.md, next to the corpus) holds
    its clients as fenced python blocks after '**Script:** `scripts/<script>`': that block's text, read now
    (the scripts are never copied into this repository). Skips when ../shared is absent; fails when the
    document no longer holds the script."""
    import re
    corpus = os.environ.get("PCAPD_CORPUS", "")
    doc = os.path.join(os.path.dirname(corpus.rstrip("/")), "seed", "plan-performance-web.md")
    if not corpus or not os.path.exists(doc):
        skip("the design document %s is not available (../shared absent)" % doc)
    text = open(doc, encoding="utf-8").read()
    m = re.search(r"\*\*Script:\*\* `scripts/%s`\s*```python\n(.*?)```" % re.escape(script), text, re.S)
    if not m:
        print("FAIL the document no longer holds scripts/%s in a python block" % script)
        sys.exit(1)
    return m.group(1)


class Checks:
    def __init__(self):
        self.failures = 0

    def check(self, cond, what):
        if cond:
            print("ok   " + what)
        else:
            print("FAIL " + what)
            self.failures += 1
        return cond

    def done(self):
        if self.failures:
            print("%d checks failed" % self.failures)
            sys.exit(1)
        print("all checks passed")
        sys.exit(0)
