#!/usr/bin/env python3
"""HTTPS inside pcapd-web (issue 13): a self-signed certificate made here with openssl(1), TLS 1.2+ only,
HTTP/2 offered by ALPN (curl and Python both negotiate it), the session cookie __Host- and Secure under
TLS, an upload analysed and its report fetched over HTTP/2, plain HTTP refused on the port, and clear
errors for a key that does not match or a missing file."""
import http.client
import importlib.util
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("h", os.path.join(HERE, "test-web-harness.py"))
h = importlib.util.module_from_spec(spec)
spec.loader.exec_module(h)
sys.path.insert(0, os.path.join(HERE, "..", "pcapwrite"))
import pcapwrite as pw  # noqa: E402

openssl = shutil.which("openssl")
curl = shutil.which("curl")
if not openssl or not curl:
    h.skip("openssl(1) and curl are needed to make a certificate and speak HTTP/2")
pcapctl = h.env_path("PCAPCTL")
analyzer = h.env_path("PCAPD_ANALYZER_EXEC")
c = h.Checks()
PASSWORD = "Zebra-Quartz-1987-pillow"

srv = h.Server(args=["--workers", "1", "--analyzer-exec", analyzer, "--auth", "accounts"], activate=False)
d = srv.tmp


def cert(name, cn="localhost"):
    subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", os.path.join(d, name + ".key"), "-out", os.path.join(d, name + ".crt"), "-days", "2",
                    "-subj", "/CN=" + cn, "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return os.path.join(d, name + ".crt"), os.path.join(d, name + ".key")


def ctx(alpn=("h2", "http/1.1"), maximum=None):
    x = ssl.create_default_context(cafile=crt)
    if maximum:
        x.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        x.maximum_version = maximum
        x.set_ciphers("ALL:@SECLEVEL=0")
    x.set_alpn_protocols(list(alpn))
    return x


try:
    crt, key = cert("server")
    other_crt, other_key = cert("other")
    cap = os.path.join(d, "c.pcap")
    with pw.PcapWriter(cap) as w:
        for i in range(20):
            w.write(1700000000 + i * 0.01, pw.ether(pw.ipv4("192.0.2.1", "192.0.2.2", pw.icmp_echo(7, i))))
    os.makedirs(srv.state, exist_ok=True)
    subprocess.run([pcapctl, "--state-dir", srv.state, "user", "add", "alice", "--password-stdin"],
                   input=(PASSWORD + "\n").encode(), check=True, stderr=subprocess.DEVNULL)
    token = subprocess.run([pcapctl, "--state-dir", srv.state, "token", "create", "alice"], check=True,
                           stdout=subprocess.PIPE).stdout.decode().strip()

    # a key that does not match the certificate, a missing file, half the pair: clear errors at start
    for args, want in (([ "--tls-cert", crt, "--tls-key", other_key], "does not match"),
                       (["--tls-cert", os.path.join(d, "nope.crt"), "--tls-key", key], "cannot read the certificate"),
                       (["--tls-cert", crt], "both --tls-cert and --tls-key")):
        p = subprocess.run([srv.web, "--state-dir", srv.state, "--listen", "127.0.0.1:%d" % h.free_port()] + args,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
        c.check(p.returncode != 0 and want.encode() in p.stderr, "refused at start: %s" % want)

    srv.args += ["--tls-cert", crt, "--tls-key", key]
    srv.notify = None
    srv.start()
    base = "https://127.0.0.1:%d" % srv.port

    with socket.create_connection(("127.0.0.1", srv.port)) as s, ctx().wrap_socket(s, server_hostname="localhost") as t:
        c.check(t.selected_alpn_protocol() == "h2", "ALPN: HTTP/2 offered and chosen (%s)" % t.selected_alpn_protocol())
        c.check(t.version() in ("TLSv1.2", "TLSv1.3"), "TLS version %s" % t.version())
    try:
        with socket.create_connection(("127.0.0.1", srv.port)) as s, \
                ctx(maximum=ssl.TLSVersion.TLSv1_1).wrap_socket(s, server_hostname="localhost"):
            old = False
    except (ssl.SSLError, OSError):
        old = True
    c.check(old, "TLS 1.1 is refused")
    with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as s:
        s.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            data = s.recv(100)
        except OSError:
            data = b""
    c.check(not data.startswith(b"HTTP/"), "plain HTTP on the HTTPS port gets no HTTP answer")

    conn = http.client.HTTPSConnection("127.0.0.1", srv.port, context=ctx(alpn=("http/1.1",)))
    conn.request("POST", "/api/login", json.dumps({"username": "alice", "password": PASSWORD}),
                 {"Content-Type": "application/json", "Host": "localhost"})
    r = conn.getresponse()
    r.read()
    sc = r.getheader("Set-Cookie") or ""
    c.check(r.status == 200 and sc.startswith("__Host-pcapd_session=") and "; Secure" in sc and "Domain" not in sc,
            "login over HTTPS: a __Host- cookie, Secure, no Domain")
    cookie = sc.split(";")[0]
    conn.request("GET", "/api/me", headers={"Cookie": cookie})
    r = conn.getresponse()
    c.check(json.loads(r.read())["user"] == "alice", "the __Host- cookie is the session")
    conn.request("GET", "/api/me", headers={"Cookie": cookie.replace("__Host-", "")})
    r = conn.getresponse()
    c.check(json.loads(r.read())["user"] is None, "the plain cookie name means nothing under HTTPS")
    conn.close()

    def curl2(*args):
        p = subprocess.run([curl, "-s", "--http2", "--cacert", crt, "-H", "Authorization: Bearer " + token,
                            "-w", "\n%{http_version} %{http_code}"] + list(args), stdout=subprocess.PIPE, timeout=60)
        body, _, tail = p.stdout.decode(errors="replace").rpartition("\n")
        return tail.split()[0], int(tail.split()[1]), body
    ver, st, body = curl2("-H", "Content-Type: application/vnd.tcpdump.pcap", "--data-binary", "@" + cap,
                          "https://localhost:%d/api/upload" % srv.port, "--resolve", "localhost:%d:127.0.0.1" % srv.port)
    c.check(ver == "2" and st == 202, "upload over HTTP/2 with a token: %s %d" % (ver, st))
    tid = json.loads(body)["task_id"] if st == 202 else ""
    for _ in range(200):
        ver, st, body = curl2("https://localhost:%d/api/status/%s" % (srv.port, tid), "--resolve",
                              "localhost:%d:127.0.0.1" % srv.port)
        if st == 200 and json.loads(body)["status"] in ("completed", "failed"):
            break
        time.sleep(0.05)
    c.check(st == 200 and json.loads(body)["status"] == "completed", "analysed; status over HTTP/2")
    ver, st, body = curl2("https://localhost:%d/api/reports/%s/json" % (srv.port, tid), "--resolve",
                          "localhost:%d:127.0.0.1" % srv.port)
    c.check(ver == "2" and st == 200 and json.loads(body)["capture"]["packets"] == 20, "the report over HTTP/2")
    ver, st, body = curl2("-N", "--max-time", "10", "https://localhost:%d/api/progress/%s" % (srv.port, tid), "--resolve",
                          "localhost:%d:127.0.0.1" % srv.port)
    c.check(ver == "2" and "event: completed" in body, "the progress stream (SSE) over HTTP/2")
    events = {r.get("PCAPD_EVENT") for r in srv.log_records()}
    c.check("tls" in events, "the start is logged as HTTPS")
finally:
    srv.cleanup()
c.done()
