#!/usr/bin/env python3
"""Hostile clients against the real pcapd-web (--listen on a free loopback port, a temporary state dir):
  - ids and paths: .., %2e%2e, NUL, overlong, other formats, on every route -> 400/404, nothing outside
    the state directory read, written or deleted, no file content leaked;
  - oversized request lines and headers refused, the server keeps serving;
  - slow clients (headers byte by byte, a stalled body, a trickle) cut off by the timeouts while another
    client is served normally (its latency measured);
  - 1,000 idle connections (RLIMIT_NOFILE raised) do not stop service; the per-address cap holds.
Env as tests/daemons: PCAPD_WEB, PCAPD_ANALYZER_EXEC, PCAPD_CORPUS (optional)."""
import importlib.util
import os
import resource
import socket
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
IDLE = 3


def raw_request(port, data, timeout=10, src=None):
    """Sends raw bytes, returns (status code or None, response bytes)."""
    s = socket.socket()
    s.settimeout(timeout)
    if src:
        s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    try:
        s.sendall(data)
        resp = b""
        while True:
            try:
                b = s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not b:
                break
            resp += b
            if len(resp) > 1 << 20:
                break
    finally:
        s.close()
    code = None
    if resp.startswith(b"HTTP/1."):
        try:
            code = int(resp.split(b" ", 2)[1])
        except (IndexError, ValueError):
            pass
    return code, resp


def get(port, path, method="GET", extra=b""):
    return raw_request(port, b"%s %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n%s\r\n" % (
        method.encode(), path if isinstance(path, bytes) else path.encode(), extra))


def inventory(root, skip):
    """{path: (size, mtime_ns, inode)} of every file under root except those under skip."""
    out = {}
    for d, dirs, files in os.walk(root):
        if os.path.abspath(d).startswith(os.path.abspath(skip)):
            continue
        for f in files + dirs:
            p = os.path.join(d, f)
            try:
                st = os.lstat(p)
            except OSError:
                continue
            out[p] = (st.st_size, st.st_mtime_ns, st.st_ino)
    return out


def latency_probe(port, n, results, stop=None, src="127.0.0.1"):
    """GET /api/health n times (or until stop is set); appends seconds per request or None on failure."""
    for _ in range(n):
        if stop is not None and stop.is_set():
            break
        t0 = time.time()
        try:
            code, _ = raw_request(port, b"GET /api/health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                                  timeout=10, src=src)
            results.append(time.time() - t0 if code in (200, 503) else None)
        except OSError:
            results.append(None)
        time.sleep(0.02)


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p))] if v else float("nan")


# -------------------------------------------------------------------------------------------------------
def leaked(resp):
    body = resp.split(b"\r\n\r\n", 1)[-1]
    head = resp.split(b"\r\n\r\n", 1)[0]
    return b"CANARY" in resp or b"SQLite format" in body or b"root:x:0:" in body or b"X-Injected" in head


def check_ids(srv, tid):
    state = srv.state
    outside = srv.tmp
    # canaries where a traversal would land: beside the state dir and the reports dir
    canaries = {}
    for p in (os.path.join(outside, "canary.json"), os.path.join(outside, "canary.html"),
              os.path.join(outside, "canary"), os.path.join(state, "canary.json"), os.path.join(state, "canary"),
              os.path.join(outside, "uploads-canary")):
        with open(p, "w") as f:
            f.write("CANARY-NOT-FOR-CLIENTS\n")
        canaries[p] = True
    before = inventory(outside, state)
    db_before = os.path.getsize(os.path.join(state, "pcapd.db"))
    bad_ids = ["..", "%2e%2e", "%2E%2E", ".%2e", "..%2f..%2fcanary", "%2e%2e%2f%2e%2e%2fcanary",
               "..%5c..%5ccanary", "%252e%252e%252fcanary", "..%c0%afcanary", "%c0%ae%c0%ae",
               "%00", tid[:31] + "%00", tid + "%00", tid + "%00.json", "%00" + tid[1:],
               "a" * 33, "a" * 64, "a" * 4096, tid + "a", tid[:31], tid.upper(),
               tid[:8] + "-" + tid[8:12] + "-" + tid[12:16] + "-" + tid[16:20] + "-" + tid[20:],
               "0x" + tid[2:], "g" * 32, " " + tid[1:], tid[:31] + "%20", "-1", "0", "1e9", "null", "%ff%fe",
               "../../pcapd.db", "..%2f..%2fpcapd.db", "..%2fpcapd.db", "%2e%2e%2fpcapd.db", tid + "%2f..%2f..%2fcanary",
               tid + "/../../canary", tid + ";rm", tid + "%0d%0aX-Injected:%201", "%u002e%u002e", "~root", "*", "%2a"]
    routes = [("GET", "/api/status/%s"), ("GET", "/api/progress/%s"), ("GET", "/api/reports/%s/json"),
              ("GET", "/api/reports/%s/html"), ("DELETE", "/api/reports/%s"), ("GET", "/progress/%s"),
              ("GET", "/report/%s"), ("HEAD", "/api/status/%s"), ("POST", "/api/reports/%s/json"),
              ("GET", "/api/reports/%s/../../canary.json"), ("GET", "/api/reports/%s/%%2e%%2e%%2f%%2e%%2e%%2fcanary")]
    tried = 0
    bad = []
    for method, route in routes:
        for bid in bad_ids:
            code, resp = get(srv.port, route % bid, method)
            tried += 1
            body = resp.split(b"\r\n\r\n", 1)[-1]
            ok = code in (400, 404, 405, 414, 431) or (code is None and resp == b"")
            # h2o normalises the path first: /progress/.. is /, which is the upload page (no id in it)
            if route.startswith(("/progress/", "/report/")) and code in (200, 301) and b"placeholder" in body:
                ok = True
            if leaked(resp):
                ok = False
            if not ok:
                bad.append("%s %s -> %s %r" % (method, (route % bid)[:80], code, resp[:120]))
    # static files: traversal out of --web-dir into the state dir or the system (h2o normalises the path:
    # /.. is /, so a 200 of a page of --web-dir is fine; what must never come back is a file from elsewhere)
    statics = ["/../pcapd.db", "/%2e%2e/%2e%2e/canary", "/static/../../canary", "/static/%2e%2e/%2e%2e/canary",
               "/..%2f..%2fcanary", "/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/static/..%5c..%5ccanary",
               "/static/%00", "/index.html%00.js", "/../../../../../../etc/passwd", "//etc/passwd",
               "/static//../../canary", "/%c0%ae%c0%ae/%c0%ae%c0%ae/canary", "/..", "/.", "/state/pcapd.db",
               "/%2e%2e/state/pcapd.db", "/static/%2e%2e%2f%2e%2e%2fstate%2fpcapd.db", "/" + "a" * 5000]
    for p in statics:
        code, resp = get(srv.port, p)
        tried += 1
        body = resp.split(b"\r\n\r\n", 1)[-1]
        ok = code in (400, 403, 404, 414, 431) or (code in (200, 301, 304) and b"placeholder" in body) or \
            (code == 301 and len(body) < 300)
        if not ok or leaked(resp):
            bad.append("GET %s -> %s %r" % (p[:80], code, resp[:120]))
    # a NUL in a static path: h2o cuts the name at the NUL (/static/app.js%00.html serves app.js); the type
    # must then still be the real file's, not the one the client chose
    code, resp = get(srv.port, "/static/app.js%00.html")
    head = resp.split(b"\r\n\r\n", 1)[0].lower()
    if code == 200 and b"content-type: text/html" in head:
        bad.append("GET /static/app.js%00.html -> 200 served as text/html (type chosen by the client)")
    tried += 1
    # raw NUL and control bytes in the request line
    for p in (b"/api/status/\x00", b"/api/status/" + tid.encode() + b"\x00", b"/api/reports/\x00/../x/json",
              b"/api/status/\x7f\x01", b"/api/status/\xff\xfe"):
        code, resp = get(srv.port, p)
        tried += 1
        if code not in (None, 400, 404):
            bad.append("GET %r -> %s" % (p, code))
    for b in bad[:30]:
        print("     " + b)
    c.check(not bad, "%d hostile id/path requests -> 400/404, nothing leaked (%d wrong)" % (tried, len(bad)))
    after = inventory(outside, state)
    changed = sorted(set(before) ^ set(after)) + sorted(p for p in before if p in after and before[p] != after[p]
                                                          and not p.endswith(("pcapd-web.log",)))
    c.check(all(os.path.exists(p) for p in canaries), "every canary file still there")
    c.check(not changed, "no file outside the state directory created, changed or removed (%s)" % changed[:5])
    st, js = srv.get_json("/api/status/" + tid)
    c.check(st == 200 and js["status"] == "completed", "the real task is untouched")
    st, hd, body = srv.request("GET", "/api/reports/%s/json" % tid)
    c.check(st == 200 and body.lstrip().startswith(b"{"), "its report still served (%d %r)" % (st, body[:40]))
    c.check(os.path.getsize(os.path.join(state, "pcapd.db")) >= db_before, "database still there")
    return tried


def check_oversized(srv):
    cases = [
        ("request line of 1 MiB", b"GET /api/health?" + b"a" * (1 << 20) + b" HTTP/1.1\r\nHost: t\r\n\r\n"),
        # h2o 2.2.5 takes requests up to H2O_MAX_REQLEN (8 KiB + 4 KiB x 100 headers = 408 KiB) and 100 headers
        ("one header of 512 KiB", b"GET /api/health HTTP/1.1\r\nHost: t\r\nX-Big: " + b"b" * (512 << 10) + b"\r\n\r\n"),
        ("10,000 headers", b"GET /api/health HTTP/1.1\r\nHost: t\r\n" + b"X-A: b\r\n" * 10000 + b"\r\n"),
        ("Content-Length 2^64", b"POST /api/upload HTTP/1.1\r\nHost: t\r\nContent-Length: 18446744073709551616\r\n\r\n"),
        ("Content-Length -1", b"POST /api/upload HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n"),
        ("two Content-Lengths", b"POST /api/upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 900000000\r\n\r\nhello"),
        ("chunked size overflow", b"POST /api/upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n"),
        ("X-Filename of 64 KiB", b"POST /api/upload HTTP/1.1\r\nHost: t\r\nContent-Type: application/vnd.tcpdump.pcap\r\n"
                                 b"X-Filename: " + b"<" * (64 << 10) + b"\r\nContent-Length: 24\r\n\r\n" + g.pcap_header()),
        ("multipart boundary of 64 KiB", b"POST /api/upload HTTP/1.1\r\nHost: t\r\nContent-Type: multipart/form-data; boundary="
                                         + b"x" * (64 << 10) + b"\r\nContent-Length: 4\r\n\r\nabcd"),
    ]
    for what, data in cases:
        try:
            code, resp = raw_request(srv.port, data, timeout=15)
        except OSError as e:
            code, resp = None, str(e).encode()
        ok = code is None or 400 <= code < 500 or (code == 202 and what.startswith("X-Filename"))
        c.check(ok, "%s -> %s" % (what, code if code else "connection closed"))
        st, _ = srv.get_json("/api/health")
        c.check(st in (200, 503), "server alive after: %s" % what)
        if code == 202 and what.startswith("X-Filename"):
            # accepted with a clipped name: the name must come back escaped / bounded
            tid = resp.split(b'"task_id":"')[1][:32].decode() if b'"task_id":"' in resp else None
            if tid:
                js = srv.wait_status(tid, ("completed", "failed"), 60)
                c.check(len(js["filename"]) <= 1024, "a 64 KiB X-Filename is bounded (%d chars)" % len(js["filename"]))


def check_slow(srv):
    port = srv.port
    results = []
    cut = {}

    def slow_headers(name, gap, src):
        s = socket.socket()
        s.bind((src, 0))
        s.connect(("127.0.0.1", port))
        s.settimeout(120)
        t0 = time.time()
        req = b"GET /api/health HTTP/1.1\r\nHost: t\r\nX-Slow: " + b"s" * 4000 + b"\r\n\r\n"
        try:
            for i in range(len(req)):
                s.send(req[i:i + 1])
                time.sleep(gap)
            cut[name] = ("finished sending", time.time() - t0)
        except OSError:
            cut[name] = ("cut", time.time() - t0)
        s.close()

    def stalled_body(name, src):
        s = socket.socket()
        s.bind((src, 0))
        s.connect(("127.0.0.1", port))
        s.settimeout(120)
        t0 = time.time()
        s.sendall(b"POST /api/upload HTTP/1.1\r\nHost: t\r\nContent-Type: application/vnd.tcpdump.pcap\r\n"
                  b"Content-Length: 1000000\r\n\r\n" + g.pcap_header() + b"\0" * 4000)
        try:
            data = s.recv(4096)  # blocks until the server closes (or answers)
            cut[name] = ("cut" if not data or b" 408 " in data or b" 400 " in data else "answered %r" % data[:30],
                         time.time() - t0)
        except OSError:
            cut[name] = ("cut", time.time() - t0)
        s.close()

    # baseline latency with nobody else connected
    base = []
    latency_probe(port, 40, base)
    threads = [threading.Thread(target=slow_headers, args=("headers, 1 byte every %ds" % (IDLE + 2), IDLE + 2, "127.0.3.1")),
               threading.Thread(target=stalled_body, args=("body stalled after 4 KB", "127.0.3.2"))]
    # slowloris: 200 connections sending a header byte every 0.5 s, from 4 addresses
    for i in range(200):
        threads.append(threading.Thread(target=slow_headers, args=("slowloris-%d" % i, 0.5, "127.0.4.%d" % (1 + i % 4)),
                                         daemon=True))
    for t in threads:
        t.start()
    time.sleep(1)
    latency_probe(port, 150, results)
    # an upload and its analysis while they hang on
    cap = g.pcap_header() + b"".join(g.records(2000, g.udp_template()))
    t0 = time.time()
    st, _, js = srv.upload_bytes(cap, raw=True, filename="during-slow.pcap")
    ok = st == 202
    if ok:
        js = srv.wait_status(js["task_id"], ("completed", "failed"), 60)
    c.check(ok and js["status"] == "completed", "an upload is accepted and analysed while slow clients hang on (%.2f s)"
            % (time.time() - t0))
    threads[0].join(IDLE * 4 + 10)
    threads[1].join(IDLE * 4 + 10)
    for name in ("headers, 1 byte every %ds" % (IDLE + 2), "body stalled after 4 KB"):
        what, secs = cut.get(name, ("still connected", None))
        c.check(what == "cut" and secs is not None and secs <= IDLE * 3 + 2,
                "%s: %s after %s s (idle timeout %d s)" % (name, what, "%.1f" % secs if secs else "?", IDLE))
    fails = sum(1 for r in results if r is None)
    good = [r for r in results if r is not None]
    print("     latency of /api/health alone: p50 %.1f ms p99 %.1f ms; with 202 slow clients: p50 %.1f ms p99 %.1f ms"
          % (pct(base, .5) * 1e3, pct(base, .99) * 1e3, pct(good, .5) * 1e3, pct(good, .99) * 1e3))
    c.check(fails == 0, "every request of the normal client answered (%d failed)" % fails)
    c.check(pct(good, .99) < 0.25, "p99 latency with slow clients under 250 ms (%.1f ms)" % (pct(good, .99) * 1e3))
    # the slowloris connections never complete a request: h2o's request timeout closes them at the latest
    return pct(base, .5), pct(good, .5), pct(good, .99)


def check_idle(srv):
    port = srv.port
    socks = []
    failed_open = 0
    t0 = time.time()
    for i in range(1000):
        s = socket.socket()
        s.bind(("127.0.5.%d" % (1 + i % 5), 0))  # 200 per address: under the per-address cap
        s.setblocking(True)
        try:
            s.connect(("127.0.0.1", port))
            socks.append(s)
        except OSError:
            failed_open += 1
            s.close()
    print("     %d idle connections open (%d refused) in %.1f s" % (len(socks), failed_open, time.time() - t0))
    time.sleep(0.5)
    st, js = srv.get_json("/api/health")
    conns = js.get("metrics", {}).get("connections") if js else None
    c.check(len(socks) == 1000 and conns is not None and conns >= 1000,
            "1,000 idle connections held (health says %s connections)" % conns)
    lat = []
    latency_probe(port, 50, lat)
    good = [x for x in lat if x is not None]
    c.check(len(good) == 50, "service goes on with 1,000 idle connections (%d/50 answered, p99 %.1f ms)" % (
        len(good), pct(good, .99) * 1e3))
    cap = g.pcap_header() + b"".join(g.records(500, g.udp_template()))
    st, _, js = srv.upload_bytes(cap, raw=True, filename="during-idle.pcap")
    c.check(st == 202 and srv.wait_status(js["task_id"], ("completed", "failed"), 60)["status"] == "completed",
            "an upload completes with 1,000 idle connections")
    # they are cut at the idle timeout
    time.sleep(IDLE + 3)
    closed = 0
    for s in socks:
        s.settimeout(0.01)
        try:
            if s.recv(1) == b"":
                closed += 1
        except (socket.timeout, BlockingIOError):
            pass
        except OSError:
            closed += 1
    c.check(closed >= 990, "idle connections closed after --idle-timeout (%d/1000)" % closed)
    for s in socks:
        s.close()
    # the per-address cap: 300 from one address; the rest of the world is still served
    one = []
    for i in range(300):
        s = socket.socket()
        s.bind(("127.0.6.1", 0))
        try:
            s.connect(("127.0.0.1", port))
            one.append(s)
        except OSError:
            s.close()
    time.sleep(0.5)
    shut = 0
    for s in one:
        s.settimeout(0.01)
        try:
            if s.recv(1) == b"":
                shut += 1
        except (socket.timeout, BlockingIOError):
            pass
        except OSError:
            shut += 1
    lat = []
    latency_probe(port, 10, lat)
    c.check(all(x is not None for x in lat), "other addresses served while one address holds 300 connections")
    print("     one address, 300 connections: %d closed by the server (cap 256 per address)" % shut)
    c.check(shut >= 300 - 256, "the per-address cap closes the connections over 256 (%d closed)" % shut)
    for s in one:
        s.close()


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 4096
    if hard != resource.RLIM_INFINITY and hard < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))
        except (ValueError, OSError):
            h.skip("RLIMIT_NOFILE hard limit %d < %d and cannot be raised" % (hard, want))
    else:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    srv = h.Server(activate=False, args=["--workers", "2", "--queue-max", "50", "--max-upload-mb", "16",
                                         "--idle-timeout", str(IDLE), "--max-connections", "2048",
                                         "--analyzer-exec", analyzer])
    t_start = time.time()
    try:
        srv.start()
        cap = g.pcap_header() + b"".join(g.records(100, g.udp_template()))
        st, _, js = srv.upload_bytes(cap, raw=True, filename="real.pcap")
        tid = js["task_id"]
        srv.wait_status(tid, ("completed",), 60)
        tried = check_ids(srv, tid)
        check_oversized(srv)
        b50, s50, s99 = check_slow(srv)
        check_idle(srv)
        rc = srv.stop(timeout=60)
        c.check(rc == 0, "clean stop after all that (%s)" % rc)
        print("ROBUST-STATS web-clients: %d hostile id/path requests, 202 slow clients, 1,000 idle connections; "
              "/api/health p50 %.1f ms alone, p50 %.1f / p99 %.1f ms beside slow clients; %.0f s" % (
                  tried, b50 * 1e3, s50 * 1e3, s99 * 1e3, time.time() - t_start))
    finally:
        if c.failures:
            srv.dump_log()
        srv.cleanup()
    c.done()


main()
