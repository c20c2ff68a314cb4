#!/usr/bin/env python3
"""Accounts on a real pcapd-web (issue 13), with pcapctl on its real state directory.

Every route x {anonymous, other user, owner by cookie, owner by token, admin, expired session, revoked
token, forged cookie, cross-site Origin} answers as expected, and another account's task is answered
byte for byte like an unknown id (no existence oracle); brute force against one account and from one
address slows down without slowing down anyone else; hostile names and passwords are refused cleanly;
sessions survive a restart; a password change, a disable and 'logout everywhere' end sessions; the
default mode follows the socket (loopback: none, else accounts, --auth=none there warned); /metrics for
admins and listed addresses; no password, token or session id in any log line. The captures are made
here (tests/pcapwrite), so this runs without ../shared."""
import http.client
import importlib.util
import json
import os
import random
import socket
import sqlite3
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("h", os.path.join(HERE, "test-web-harness.py"))
h = importlib.util.module_from_spec(spec)
spec.loader.exec_module(h)
sys.path.insert(0, os.path.join(HERE, "..", "pcapwrite"))
import pcapwrite as pw  # noqa: E402

pcapctl = h.env_path("PCAPCTL")
analyzer = h.env_path("PCAPD_ANALYZER_EXEC")
c = h.Checks()

PASSWORDS = {"root": "Admin-Ferret-7731-lantern", "alice": "Zebra-Quartz-1987-pillow",
             "bob": "Copper-Meadow-4410-violin", "carol": "Harbor-Tulip-2290-fossil"}
SECRETS = set(PASSWORDS.values())


def make_capture(path):
    with pw.PcapWriter(path) as w:
        for i in range(20):
            frame = pw.ether(pw.ipv4("192.0.2.1", "192.0.2.2", pw.icmp_echo(7, i)))
            w.write(1700000000 + i * 0.01, frame)
    return path


def ctl(state, *args, stdin=None):
    p = subprocess.run([pcapctl, "--state-dir", state] + list(args), input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


class Client:
    """One identity: a cookie, a bearer token, or nothing; optionally from another loopback address."""

    def __init__(self, srv, cookie=None, token=None, source="127.0.0.1", origin=True):
        self.srv, self.cookie, self.token, self.source, self.origin = srv, cookie, token, source, origin

    def request(self, method, path, body=None, headers=None):
        c_ = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=30, source_address=(self.source, 0))
        hdr = dict(headers or {})
        if self.cookie:
            hdr["Cookie"] = "pcapd_session=" + self.cookie
        if self.token:
            hdr["Authorization"] = "Bearer " + self.token
        if self.origin is True:
            hdr.setdefault("Origin", "http://127.0.0.1:%d" % self.srv.port)
        elif self.origin:
            hdr["Origin"] = self.origin
        c_.request(method, path, body=body, headers=hdr)
        r = c_.getresponse()
        data = r.read() if method != "HEAD" and not (r.getheader("content-type") or "").startswith("text/event-stream") else b""
        if (r.getheader("content-type") or "").startswith("text/event-stream"):
            data = r.fp.readline()
        c_.close()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data

    def login(self, name, password):
        body = json.dumps({"username": name, "password": password})
        st, hd, data = self.request("POST", "/api/login", body, {"Content-Type": "application/json"})
        cookie = None
        for k, v in hd.items():
            if k == "set-cookie" and v.startswith("pcapd_session="):
                cookie = v.split(";")[0].split("=", 1)[1]
        return st, hd, data, cookie

    def upload(self, path):
        with open(path, "rb") as f:
            data = f.read()
        return self.request("POST", "/api/upload", data, {"Content-Type": "application/vnd.tcpdump.pcap",
                                                          "X-Filename": "secret-name-%d.pcap" % random.randint(0, 1 << 30)})


def totp(secret_b32, t=None, step_offset=0):
    """RFC 6238 with HMAC-SHA1, written here again (not pcapd's code) to check pcapd against."""
    import base64
    import hashlib
    import hmac
    import struct
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    step = int((time.time() if t is None else t) // 30) + step_offset
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7fffffff) % 1000000)


def login_code(cl, name, password, code=None):
    body = {"username": name, "password": password}
    if code is not None:
        body["code"] = code
    st, hd, data = cl.request("POST", "/api/login", json.dumps(body), {"Content-Type": "application/json"})
    cookie = None
    if "set-cookie" in hd and hd["set-cookie"].startswith("pcapd_session="):
        cookie = hd["set-cookie"].split(";")[0].split("=", 1)[1]
    return st, json.loads(data) if data else None, cookie


def whoami(cl):
    """The user /api/me names for this client (None when it is not logged in)."""
    st, _, data = cl.request("GET", "/api/me")
    assert st == 200, st
    return json.loads(data)["user"]


def wait_done(cl, tid):
    for _ in range(300):
        st, _, data = cl.request("GET", "/api/status/" + tid)
        if st == 200 and json.loads(data)["status"] in ("completed", "failed"):
            return json.loads(data)
        time.sleep(0.05)
    raise AssertionError("task did not finish")


tmp_cap = make_capture(os.path.join(os.environ.get("TMPDIR", "/tmp"), "auth-test-%d.pcap" % os.getpid()))
srv = h.Server(args=["--workers", "1", "--analyzer-exec", analyzer, "--auth", "accounts"])
try:
    os.makedirs(srv.state, exist_ok=True)
    # --- pcapctl: the first admin and the users, before the service starts ---
    rc, out, err = ctl(srv.state, "user", "add", "root", "--role", "admin", "--password-stdin", stdin=(PASSWORDS["root"] + "\n").encode())
    c.check(rc == 0, "pcapctl user add root --role admin")
    for n in ("alice", "bob"):
        rc, _, err = ctl(srv.state, "user", "add", n, "--password-stdin", stdin=(PASSWORDS[n] + "\n").encode())
        c.check(rc == 0, "pcapctl user add %s" % n)
    rc, _, err = ctl(srv.state, "user", "add", "carol", "--pending", "--password-stdin", stdin=(PASSWORDS["carol"] + "\n").encode())
    c.check(rc == 0, "pcapctl user add carol --pending")
    rc, _, err = ctl(srv.state, "user", "add", "ALICE", "--password-stdin", stdin=b"Another-Fine-Pass-8812\n")
    c.check(rc == 1 and "exists" in err, "a name taken in another case is refused: %r" % err.strip())
    rc, _, err = ctl(srv.state, "user", "add", "dave", "--password-stdin", stdin=b"password\n")
    c.check(rc == 1 and "shorter" in err and "password\n" not in err, "a weak password is refused with the reason")
    rc, _, err = ctl(srv.state, "user", "delete", "root")
    c.check(rc == 1 and "last active administrator" in err, "the last admin cannot be deleted")
    rc, _, err = ctl(srv.state, "user", "role", "root", "user")
    c.check(rc == 1, "the last admin cannot be demoted")
    rc, _, err = ctl(srv.state, "user", "frobnicate", "root")
    c.check(rc == 2, "an unknown verb is a usage error (2)")
    rc, tok_alice, _ = ctl(srv.state, "token", "create", "alice", "--label", "ci")
    tok_alice = tok_alice.strip()
    c.check(rc == 0 and tok_alice.startswith("pcapd_") and "\n" not in tok_alice, "pcapctl token create prints the token alone")
    SECRETS.add(tok_alice)
    rc, tok_revoked, _ = ctl(srv.state, "token", "create", "alice")
    tok_revoked = tok_revoked.strip()
    SECRETS.add(tok_revoked)
    rc, out, _ = ctl(srv.state, "token", "list", "alice")
    ids = [l.split()[0] for l in out.splitlines()[1:]]
    rc, _, _ = ctl(srv.state, "token", "revoke", "alice", ids[-1])
    c.check(rc == 0 and len(ids) == 2, "pcapctl token list and revoke")
    rc, _, err = ctl(srv.state, "token", "revoke", "bob", ids[0])
    c.check(rc == 1, "bob cannot revoke alice's token through his name")
    p = subprocess.run([pcapctl, "--state-dir", srv.state, "--json", "user", "list"], stdout=subprocess.PIPE)
    users = {u["name"]: u for u in json.loads(p.stdout)}
    c.check(users["carol"]["state"] == "pending" and users["root"]["role"] == "admin", "pcapctl --json user list")

    srv.start()
    anon = Client(srv, origin=None)
    st, hd, data = anon.request("GET", "/api/history")
    c.check(st == 401 and "www-authenticate" in hd, "anonymous API request: 401 with WWW-Authenticate")
    st, hd, _ = anon.request("GET", "/", headers={"Accept": "text/html"})
    c.check(st == 303 and hd.get("location", "").startswith("/login.html?next=/"), "anonymous page: to the login page")
    st, _, _ = anon.request("GET", "/login.html")
    c.check(st == 200, "the login page itself is open")
    c.check(json.loads(anon.request("GET", "/api/me")[2])["admin_exists"] is True, "/api/me: an administrator exists")
    st, _, _ = anon.request("GET", "/api/health")
    c.check(st == 200, "/api/health stays open")

    # --- logins ---
    st, _, data, cookie_alice = Client(srv).login("alice", PASSWORDS["alice"])
    c.check(st == 200 and cookie_alice and json.loads(data)["user"] == "alice", "alice logs in (cookie set)")
    SECRETS.add(cookie_alice)
    st, _, _, cookie_bob = Client(srv).login("bob", PASSWORDS["bob"])
    st2, _, _, cookie_root = Client(srv).login("root", PASSWORDS["root"])
    c.check(st == 200 and st2 == 200, "bob and root log in")
    SECRETS.update([cookie_bob, cookie_root])
    st, _, data, ck = Client(srv).login("carol", "Wrong-Password-000-x")
    c.check(st == 401 and ck is None, "pending account with a wrong password: 401 like any wrong login")
    st, _, data, ck = Client(srv).login("carol", PASSWORDS["carol"])
    c.check(st == 403 and b"approval" in data and ck is None, "pending account with its password: 403, waiting for approval")
    st_a, _, body_a, _ = Client(srv).login("nosuchuser", "Whatever-Pass-123-x")
    st_b, _, body_b, _ = Client(srv).login("alice", "Whatever-Pass-123-x")
    c.check(st_a == st_b == 401 and body_a == body_b, "an unknown account and a wrong password get the same answer")
    # form-encoded login works too (a plain HTML form)
    st, _, _ = Client(srv).request("POST", "/api/login", "username=bob&password=" + PASSWORDS["bob"],
                                   {"Content-Type": "application/x-www-form-urlencoded"})
    c.check(st == 200, "form-encoded login")

    alice = Client(srv, cookie=cookie_alice)
    alice_tok = Client(srv, token=tok_alice, origin=None)
    bob = Client(srv, cookie=cookie_bob)
    root = Client(srv, cookie=cookie_root)
    st, _, data = alice.upload(tmp_cap)
    c.check(st == 202, "alice uploads with her session")
    tid = json.loads(data)["task_id"]
    st, _, data = alice_tok.upload(tmp_cap)
    c.check(st == 202, "alice uploads with her token")
    tid2 = json.loads(data)["task_id"]
    st, _, data = bob.upload(tmp_cap)
    bob_tid = json.loads(data)["task_id"]
    wait_done(alice, tid), wait_done(alice, tid2), wait_done(bob, bob_tid)

    # --- expired session, revoked token, forged cookie ---
    st, _, _, cookie_exp = Client(srv).login("alice", PASSWORDS["alice"])
    SECRETS.add(cookie_exp)
    db = sqlite3.connect(os.path.join(srv.state, "pcapd.db"))
    import hashlib
    db.execute("UPDATE sessions SET expires_at = 1 WHERE hash = ?", (hashlib.sha256(cookie_exp.encode()).hexdigest(),))
    db.commit()
    expired = Client(srv, cookie=cookie_exp)
    revoked = Client(srv, token=tok_revoked, origin=None)
    forged = Client(srv, cookie="A" * 43)
    cross = Client(srv, cookie=cookie_alice, origin="http://evil.example")

    unknown = "0" * 32
    routes = [("GET", "/api/status/%s"), ("GET", "/status/%s"), ("GET", "/api/reports/%s/json"),
              ("GET", "/api/reports/%s/html"), ("GET", "/api/progress/%s"), ("GET", "/progress/%s"),
              ("GET", "/report/%s")]
    who = {"anonymous": anon, "other user": bob, "owner cookie": alice, "owner token": alice_tok, "admin": root,
           "expired session": expired, "revoked token": revoked, "forged cookie": forged}
    expect = {"anonymous": 401, "other user": 404, "owner cookie": 200, "owner token": 200, "admin": 200,
              "expired session": 401, "revoked token": 401, "forged cookie": 401}
    for method, pat in routes:
        _, _, unknown_body = bob.request(method, pat % unknown)
        for name, cl in who.items():
            st, hd, data = cl.request(method, pat % tid)
            c.check(st == expect[name], "%s %s as %s: %d (want %d)" % (method, pat % "ID", name, st, expect[name]))
            if name == "other user":
                c.check(data == unknown_body, "%s as another user: the body of an unknown id" % (pat % "ID"))
            if st != 200:
                c.check(b"secret-name" not in data and tid.encode() not in data, "%s as %s leaks nothing" % (pat % "ID", name))
    # every route that needs a credential, for the identities without a valid one
    every = [("GET", "/api/history"), ("GET", "/api/queue/status"), ("POST", "/api/upload"), ("PUT", "/api/upload"),
             ("POST", "/upload"), ("GET", "/api/tokens"), ("POST", "/api/tokens"), ("DELETE", "/api/tokens/1"),
             ("POST", "/api/password"), ("POST", "/api/logout"), ("POST", "/api/2fa/setup"), ("GET", "/api/2fa/qr.svg"),
             ("POST", "/api/2fa/enable"), ("POST", "/api/2fa/disable"), ("GET", "/api/admin/users"),
             ("POST", "/api/admin/users"), ("DELETE", "/api/admin/users/alice"), ("POST", "/api/admin/users/alice/disable"),
             ("GET", "/metrics"), ("DELETE", "/api/reports/" + tid)] + [(m, p % tid) for m, p in routes]
    for name in ("anonymous", "expired session", "revoked token", "forged cookie"):
        bad = [(m, p, st) for m, p in every for st in [who[name].request(m, p, b"{}")[0]] if st != 401]
        c.check(not bad, "%d routes as %s: all 401 %s" % (len(every), name, bad[:3]))
    posts = [(m, p) for m, p in every if m != "GET"]
    bad = [(m, p, st) for m, p in posts for st in [cross.request(m, p, b"{}")[0]] if st != 403]
    c.check(not bad, "%d state-changing routes with alice's cookie and a cross-site Origin: all 403 %s" % (len(posts), bad[:3]))
    bad = [(m, p, st) for m, p in every if p.startswith("/api/admin") or p == "/metrics"
           for st in [bob.request(m, p, b"{}")[0]] if st != 403]
    c.check(not bad, "the admin routes and /metrics as a user: 403 %s" % bad[:3])

    # history
    for name, cl in who.items():
        st, _, data = cl.request("GET", "/api/history")
        ids = [t["task_id"] for t in json.loads(data)["tasks"]] if st == 200 else []
        if name in ("owner cookie", "owner token"):
            c.check(st == 200 and set(ids) == {tid, tid2}, "history as %s: exactly alice's tasks" % name)
        elif name == "other user":
            c.check(st == 200 and ids == [bob_tid], "history as bob: only his")
        elif name == "admin":
            tasks = json.loads(data)["tasks"]
            c.check(st == 200 and {tid, tid2, bob_tid} <= set(ids) and
                    {t["owner"] for t in tasks} >= {"alice", "bob"}, "history as admin: everyone's, with the owner")
        else:
            c.check(st == 401, "history as %s: 401" % name)
    st, _, data = bob.request("GET", "/api/queue/status")
    c.check(st == 200 and tid.encode() not in data, "queue status as bob shows none of alice's tasks")
    # delete: cross-site refused, another user 404, the owner's token works, the admin works (logged)
    st, _, _ = cross.request("DELETE", "/api/reports/" + tid)
    c.check(st == 403, "DELETE with a cross-site Origin: 403")
    st, _, _ = Client(srv, cookie=cookie_alice, origin=None).request("DELETE", "/api/reports/" + tid)
    c.check(st == 403, "DELETE from a cookie session without Origin: 403")
    st, _, _ = Client(srv, cookie=cookie_alice, origin=None).request("DELETE", "/api/reports/" + tid,
                                                                   headers={"Sec-Fetch-Site": "same-origin"})
    c.check(st == 200, "DELETE with Sec-Fetch-Site: same-origin: 200")
    st, _, _ = bob.request("DELETE", "/api/reports/" + tid2)
    c.check(st == 404, "bob deletes alice's task: 404")
    st, _, _ = alice_tok.request("DELETE", "/api/reports/" + tid2)
    c.check(st == 200, "alice deletes with her token (no Origin needed)")
    st, _, _ = root.request("DELETE", "/api/reports/" + bob_tid)
    c.check(st == 200, "the admin deletes bob's task")
    st, _, _ = cross.request("POST", "/api/upload", b"x", {"Content-Type": "application/vnd.tcpdump.pcap"})
    c.check(st == 403, "an upload with a cross-site Origin: 403")

    # --- metrics ---
    c.check(anon.request("GET", "/metrics")[0] == 401, "/metrics anonymous: 401")
    c.check(bob.request("GET", "/metrics")[0] == 403, "/metrics as a user: 403")
    c.check(root.request("GET", "/metrics")[0] == 200, "/metrics as an admin: 200")

    # --- tokens and passwords through the API ---
    st, _, data = alice.request("POST", "/api/tokens", json.dumps({"name": "laptop", "expires_days": 1}),
                                {"Content-Type": "application/json"})
    newtok = json.loads(data)["token"] if st == 201 else ""
    SECRETS.add(newtok)
    c.check(st == 201 and whoami(Client(srv, token=newtok)) is not None, "POST /api/tokens: a working token, shown once")
    st, _, data = alice.request("GET", "/api/tokens")
    c.check(st == 200 and newtok.encode() not in data and b"laptop" in data, "GET /api/tokens lists them without the secret")
    st, _, _ = alice.request("POST", "/api/password", json.dumps({"current_password": "wrong-one-123456",
                                                                 "new_password": "Granite-Otter-5521-maple"}),
                             {"Content-Type": "application/json"})
    c.check(st == 403, "a password change with the wrong current password: 403")
    st, _, _ = alice.request("POST", "/api/password", json.dumps({"current_password": PASSWORDS["alice"],
                                                                 "new_password": "alice"}), {"Content-Type": "application/json"})
    c.check(st == 400, "a weak new password: 400 with the reason")
    st, _, _, cookie_alice2 = Client(srv).login("alice", PASSWORDS["alice"])
    st, hd, data = alice.request("POST", "/api/password", json.dumps({"current_password": PASSWORDS["alice"],
                                                                     "new_password": "Granite-Otter-5521-maple"}),
                                 {"Content-Type": "application/json"})
    c.check(st == 200 and "set-cookie" in hd, "password changed: a new session for this client")
    SECRETS.update(["Granite-Otter-5521-maple", cookie_alice2 or ""])
    c.check(whoami(Client(srv, cookie=cookie_alice2)) is None, "a password change ends the other sessions")
    c.check(whoami(alice) is None, "... and the old cookie of this one")
    PASSWORDS["alice"] = "Granite-Otter-5521-maple"

    # --- logout, logout everywhere, disable ---
    _, _, _, ck1 = Client(srv).login("bob", PASSWORDS["bob"])
    _, _, _, ck2 = Client(srv).login("bob", PASSWORDS["bob"])
    SECRETS.update([ck1, ck2])
    st, hd, _ = Client(srv, cookie=ck1).request("POST", "/api/logout")
    c.check(st == 200 and "Max-Age=0" in hd.get("set-cookie", ""), "logout clears the cookie")
    c.check(whoami(Client(srv, cookie=ck1)) is None and
            whoami(Client(srv, cookie=ck2)) is not None, "logout ends that session only")
    _, _, _, ck3 = Client(srv).login("bob", PASSWORDS["bob"])
    SECRETS.add(ck3)
    Client(srv, cookie=ck2).request("POST", "/api/logout?all=1")
    c.check(whoami(Client(srv, cookie=ck3)) is None, "logout?all=1 ends every session")
    _, _, _, ck4 = Client(srv).login("bob", PASSWORDS["bob"])
    SECRETS.add(ck4)
    rc, _, _ = ctl(srv.state, "user", "disable", "bob")
    c.check(rc == 0 and whoami(Client(srv, cookie=ck4)) is None, "pcapctl user disable ends the sessions")
    st, _, data, _ = Client(srv).login("bob", PASSWORDS["bob"])
    c.check(st == 403 and b"disabled" in data, "a disabled account cannot log in")
    ctl(srv.state, "user", "enable", "bob")
    rc, _, _ = ctl(srv.state, "user", "approve", "carol")
    st, _, _, _ = Client(srv).login("carol", PASSWORDS["carol"])
    c.check(rc == 0 and st == 200, "an approved account logs in")

    # --- sessions survive a restart ---
    _, _, _, ck5 = Client(srv).login("carol", PASSWORDS["carol"])
    SECRETS.add(ck5)
    srv.stop()
    srv.notify.close()
    srv.start()
    c.check(whoami(Client(srv, cookie=ck5)) is not None, "a session survives a restart of pcapd-web")

    # --- the second factor (TOTP) ---
    tf = Client(srv, source="127.0.0.20")
    st, _, ck = login_code(tf, "carol", PASSWORDS["carol"])
    carol = Client(srv, cookie=ck, source="127.0.0.20")
    SECRETS.add(ck)
    st, _, data = carol.request("GET", "/api/2fa/qr.svg")
    c.check(st == 404, "no QR code before an enrolment starts")
    st, _, data = carol.request("POST", "/api/2fa/setup")
    setup = json.loads(data)
    secret = setup.get("secret", "")
    SECRETS.add(secret)
    c.check(st == 200 and setup["otpauth_uri"].startswith("otpauth://totp/pcapd:carol?secret=" + secret),
            "POST /api/2fa/setup: a secret and its otpauth URI")
    st, hd, data = carol.request("GET", "/api/2fa/qr.svg")
    c.check(st == 200 and hd.get("content-type") == "image/svg+xml" and data.startswith(b"<svg") and b"<script" not in data,
            "GET /api/2fa/qr.svg: an SVG, no script")
    c.check(bob.request("GET", "/api/2fa/qr.svg")[0] in (401, 404), "no one else gets carol's QR code")
    st, _, _ = carol.request("POST", "/api/2fa/enable", json.dumps({"code": "000000" if totp(secret) != "000000" else "111111"}),
                             {"Content-Type": "application/json"})
    c.check(st == 400, "a wrong code does not confirm the enrolment")
    st, _, data = carol.request("POST", "/api/2fa/enable", json.dumps({"code": totp(secret)}), {"Content-Type": "application/json"})
    codes = json.loads(data).get("recovery_codes", []) if st == 200 else []
    SECRETS.update(codes)
    c.check(st == 200 and len(codes) == 10 and len(set(codes)) == 10, "the right code enables it: ten recovery codes, shown once")
    st, _, data = carol.request("GET", "/api/me")
    me = json.loads(data)
    c.check(me["second_factor"] is True and me["recovery_codes_left"] == 10, "/api/me: second_factor on, 10 codes left")
    st, js, ck = login_code(tf, "carol", PASSWORDS["carol"])
    c.check(st == 401 and js.get("second_factor") == "totp" and ck is None, "login without the code: 401 asking for it")
    st, js, ck = login_code(tf, "carol", "Wrong-Password-000-x", totp(secret, step_offset=1))
    c.check(st == 401 and "second_factor" not in js and ck is None, "a wrong password with a good code: a plain wrong login")
    wrong = "%06d" % ((int(totp(secret, step_offset=1)) + 1) % 1000000)
    st, js, ck = login_code(tf, "carol", PASSWORDS["carol"], wrong)
    c.check(st == 401 and ck is None, "a wrong code: 401")
    code = totp(secret, step_offset=1)
    st, js, ck = login_code(tf, "carol", PASSWORDS["carol"], code)
    SECRETS.add(ck or "")
    c.check(st == 200 and ck, "the password and the next step's code: logged in")
    st, js, ck2 = login_code(tf, "carol", PASSWORDS["carol"], code)
    c.check(st == 401 and ck2 is None, "the same code again (a replay): 401")
    st, js, ck = login_code(tf, "carol", PASSWORDS["carol"], codes[0].upper().replace("-", " "))
    SECRETS.add(ck or "")
    c.check(st == 200 and ck, "a recovery code as typed (upper case, spaces): logged in")
    st, js, _ = login_code(tf, "carol", PASSWORDS["carol"], codes[0])
    c.check(st == 401, "a recovery code serves once")
    st, _, _ = carol.request("POST", "/api/2fa/disable", json.dumps({"code": "123"}), {"Content-Type": "application/json"})
    c.check(st == 403, "removing the second factor needs a good code")
    rc, _, _ = ctl(srv.state, "user", "2fa-reset", "carol")
    st, js, ck = login_code(tf, "carol", PASSWORDS["carol"])
    SECRETS.add(ck or "")
    c.check(rc == 0 and st == 200, "pcapctl user 2fa-reset: the password alone logs in again")

    # --- the administrators' API ---
    ad = Client(srv, source="127.0.0.30")
    _, _, ck = login_code(ad, "root", PASSWORDS["root"])
    _, _, ckb = login_code(ad, "bob", PASSWORDS["bob"])
    SECRETS.update([ck or "", ckb or ""])
    admin = Client(srv, cookie=ck, source="127.0.0.30")
    user = Client(srv, cookie=ckb, source="127.0.0.30")
    st, _, data = admin.request("GET", "/api/admin/users")
    names = {u["user"]: u for u in json.loads(data)["users"]} if st == 200 else {}
    c.check(st == 200 and {"root", "alice", "bob", "carol"} <= set(names) and names["root"]["role"] == "admin",
            "GET /api/admin/users as admin: every account")
    c.check(user.request("GET", "/api/admin/users")[0] == 403, "... as a user: 403")
    c.check(anon.request("GET", "/api/admin/users")[0] == 401, "... anonymous: 401")
    st, _, _ = admin.request("POST", "/api/admin/users", json.dumps({"username": "erin", "password": "erin"}),
                             {"Content-Type": "application/json"})
    c.check(st == 400, "an admin creating an account with a weak password: 400")
    st, _, data = admin.request("POST", "/api/admin/users", json.dumps({"username": "erin", "password": "Velvet-Canyon-3381-ember"}),
                                {"Content-Type": "application/json"})
    SECRETS.add("Velvet-Canyon-3381-ember")
    c.check(st == 201 and json.loads(data)["state"] == "active", "an admin creates erin (active)")
    st, _, _ = admin.request("POST", "/api/admin/users", json.dumps({"username": "ERIN", "password": "Velvet-Canyon-3381-ember"}),
                             {"Content-Type": "application/json"})
    c.check(st == 409, "the same name in another case: 409")
    c.check(login_code(Client(srv, source="127.0.0.31"), "erin", "Velvet-Canyon-3381-ember")[0] == 200, "erin logs in")
    c.check(admin.request("POST", "/api/admin/users/erin/disable")[0] == 200 and
            login_code(Client(srv, source="127.0.0.31"), "erin", "Velvet-Canyon-3381-ember")[0] == 403, "the admin disables erin")
    c.check(admin.request("POST", "/api/admin/users/erin/role", json.dumps({"role": "admin"}),
                          {"Content-Type": "application/json"})[0] == 200, "the admin makes erin an admin")
    c.check(admin.request("POST", "/api/admin/users/root/disable")[0] == 409,
            "the last active admin cannot be disabled (erin is disabled)")
    c.check(admin.request("DELETE", "/api/admin/users/erin")[0] == 200, "the admin deletes erin")
    c.check(admin.request("DELETE", "/api/admin/users/erin")[0] == 404, "... and she is gone")
    c.check(user.request("POST", "/api/admin/users/carol/disable")[0] == 403, "a user cannot use the admin API")
    c.check(Client(srv, cookie=ck, origin="http://evil.example", source="127.0.0.30").request(
            "POST", "/api/admin/users/carol/disable")[0] == 403, "the admin API refuses a cross-site Origin")
    st, _, _ = anon.request("POST", "/api/signup", json.dumps({"username": "mallory", "password": "Granite-Tulip-5120-hazel"}),
                            {"Content-Type": "application/json"})
    c.check(st == 404, "sign-up is off by default: 404")

    # --- brute force ---
    att = Client(srv, source="127.0.0.2")
    codes = [att.login("alice", "Not-Her-Pass-%03d-x" % i)[0] for i in range(8)]
    c.check(codes[:5] == [401] * 5 and 429 in codes, "brute force on one account from one address: 429 after 5 (%s)" % codes)
    st, hd, _, _ = att.login("alice", PASSWORDS["alice"])
    c.check(st == 429 and int(hd.get("retry-after", "0")) >= 1, "... even the right password waits (Retry-After)")
    st, _, _, _ = Client(srv, source="127.0.0.3").login("alice", PASSWORDS["alice"])
    c.check(st == 200, "alice herself, from another address, is not slowed down")
    st, _, _, _ = Client(srv, source="127.0.0.2").login("bob", PASSWORDS["bob"])
    c.check(st == 200, "another account from the attacking address still logs in (per-account key)")
    spray = Client(srv, source="127.0.0.4")
    codes = [spray.login("user%d" % i, "Spray-Pass-%03d-xx" % i)[0] for i in range(14)]
    c.check(codes[:10] == [401] * 10 and codes[-1] == 429, "password spraying from one address: 429 after 10 (%s)" % codes)
    st, _, _, _ = Client(srv, source="127.0.0.5").login("carol", PASSWORDS["carol"])
    c.check(st == 200, "a locked-out address does not slow down others")

    # --- hostile names and passwords: refused cleanly, server alive, escaped ---
    rng = random.Random(13)
    hostile = ["", "a" * 65, "a" * 5000, "<script>alert(1)</script>", "x\x00y", "\xff\xfe", "'; DROP TABLE users; --",
               "../../etc/passwd", "a b", "\u202eevil", "\ud7ff", "name\r\nX-Injected: 1", "{\"a\":1}", "%00", "é" * 40]
    while len(hostile) < 250:
        n = rng.randint(1, 300)
        hostile.append("".join(chr(rng.choice([rng.randint(0, 0x7f), rng.randint(0x80, 0x10ffff)])) for _ in range(n)))
    bad = 0
    examples = []
    for i, name in enumerate(hostile):
        raw_name = name.encode("utf-8", "surrogatepass")
        for body, ctype in ((b'{"username": ' + json.dumps(name).encode() + b', "password": "Pw-' + str(i).encode() + b'-xxxxxxxxx"}',
                             "application/json"),
                            (b"username=" + raw_name.replace(b"&", b"%26") + b"&password=" + raw_name[:2000], "application/x-www-form-urlencoded")):
            st, hd, data = Client(srv, source="127.0.0.%d" % (10 + i % 200)).request("POST", "/api/login", body, {"Content-Type": ctype})
            try:
                js = json.loads(data)
            except ValueError:
                js = None
            if st not in (400, 401, 413, 429) or js is None or "set-cookie" in hd:
                bad += 1
                examples.append("login %r (%s): %d %r" % (name[:40], ctype, st, data[:80]))
        # argv cannot carry a NUL: pcapctl gets the name without them
        arg = name.encode("utf-8", "surrogatepass").replace(b"\x00", b"")
        rc, out, err = ctl(srv.state, "user", "add", arg.decode("utf-8", "surrogateescape") if arg else "-",
                           "--password-stdin", stdin=b"Fine-Password-1234-zz\n")
        ok_name = arg and len(arg) <= 64 and arg[:1].isalnum() and all(
            (chr(b).isalnum() and b < 128) or chr(b) in "._-@+" for b in arg)
        if (rc == 0) != bool(ok_name) or rc not in (0, 1):
            bad += 1
            examples.append("pcapctl user add %r: %d %s" % (arg[:40], rc, err.strip()[:80]))
    c.check(bad == 0, "%d hostile user names and passwords: every answer a clean JSON refusal, pcapctl refuses them (%d bad: %s)" % (len(hostile) * 2, bad, examples[:3]))
    c.check(Client(srv).request("GET", "/api/health")[0] == 200, "the server is alive after them")
    st, _, data = root.request("GET", "/api/history")
    c.check(st == 200, "the history still answers")

    # --- nothing secret in the log ---
    srv.stop()
    with open(srv.log_path, "rb") as f:
        log = f.read().decode(errors="replace")
    leaked = [s for s in SECRETS if s and s in log]
    c.check(not leaked, "no password, token or session id in pcapd-web's log (%d secrets checked)" % len(SECRETS))
    events = {r.get("PCAPD_EVENT") for r in srv.log_records()}
    c.check({"login", "login-failed", "login-throttled", "logout", "password-changed", "token-created",
             "admin-delete", "2fa-enabled", "login-2fa-failed", "recovery-code-used"} <= events, "security events in the log: %s" % sorted(e for e in events if e))
    recs = [r for r in srv.log_records() if r.get("PCAPD_EVENT") == "login-failed"]
    c.check(recs and all(r.get("PCAPD_REMOTE") and r.get("PCAPD_USER") for r in recs), "login-failed carries PCAPD_USER and PCAPD_REMOTE")
finally:
    srv.cleanup()
    try:
        os.unlink(tmp_cap)
    except OSError:
        pass


def listen_mode(args):
    """pcapd-web on 0.0.0.0 (not loopback): what /api/history answers, and the log."""
    s = h.Server(args=["--workers", "0", "--analyzer-exec", analyzer] + args, activate=False)
    port = h.free_port()
    s.args += ["--listen", "0.0.0.0:%d" % port]
    s.port = port
    # the harness appends --listen 127.0.0.1:PORT; ours must win, so run it by hand
    import signal
    s.notify = h.Notify(s.tmp)
    env = dict(os.environ, NOTIFY_SOCKET=s.notify.path)
    for k in ("LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"):
        env.pop(k, None)
    s.log = open(s.log_path, "ab")
    s.proc = subprocess.Popen([s.web, "--state-dir", s.state, "--web-dir", s.webdir] + s.args, env=env,
                              stdout=s.log, stderr=s.log)
    try:
        if not s.notify.wait_for("READY=1", 10):
            s.dump_log()
            raise AssertionError("no READY=1")
        st, _, _ = s.request("GET", "/api/history")
        s.stop(signal.SIGTERM)
        return st, {r.get("PCAPD_EVENT") for r in s.log_records()}
    finally:
        s.cleanup()


st, events = listen_mode([])
c.check(st == 401, "no --auth on a non-loopback socket: accounts (401)")
c.check("no-admin" in events, "... and the log says how to create the first admin")
st, events = listen_mode(["--auth", "none"])
c.check(st == 200 and "auth-none-exposed" in events, "--auth=none on a non-loopback socket: open, with a warning at start")
# --require-2fa=admins: an admin without a second factor can only reach its account page until it enrols
srv3 = h.Server(args=["--workers", "0", "--analyzer-exec", analyzer, "--auth", "accounts", "--require-2fa", "admins"])
try:
    os.makedirs(srv3.state, exist_ok=True)
    ctl(srv3.state, "user", "add", "root", "--role", "admin", "--password-stdin", stdin=(PASSWORDS["root"] + "\n").encode())
    ctl(srv3.state, "user", "add", "bob", "--password-stdin", stdin=(PASSWORDS["bob"] + "\n").encode())
    srv3.start()
    st, _, ck = login_code(Client(srv3), "root", PASSWORDS["root"])
    adm = Client(srv3, cookie=ck)
    st_h = adm.request("GET", "/api/history")[0]
    st_p, hd_p, _ = adm.request("GET", "/", headers={"Accept": "text/html"})
    me = json.loads(adm.request("GET", "/api/me")[2])
    c.check(st == 200 and st_h == 403 and me["second_factor_required"], "--require-2fa=admins: an admin without it gets 403")
    c.check(st_p == 303 and hd_p.get("location") == "/account.html", "... and its pages lead to the account page")
    st, _, ck_b = login_code(Client(srv3), "bob", PASSWORDS["bob"])
    c.check(Client(srv3, cookie=ck_b).request("GET", "/api/history")[0] == 200, "... a user is not bound by it")
    secret = json.loads(adm.request("POST", "/api/2fa/setup")[2])["secret"]
    st, _, _ = adm.request("POST", "/api/2fa/enable", json.dumps({"code": totp(secret)}), {"Content-Type": "application/json"})
    c.check(st == 200 and adm.request("GET", "/api/history")[0] == 200, "once enrolled, the admin gets through")
    # --signup=approval is on for this server too: a sign-up waits for an admin
    srv3.stop()
    srv3.notify.close()
    srv3.args += ["--signup", "approval"]
    srv3.start()
    anon3 = Client(srv3, origin=None)
    me = json.loads(anon3.request("GET", "/api/me")[2])
    c.check(me["user"] is None and me["signup"] is True, "/api/me tells an anonymous page that sign-up is on")
    st, _, data = anon3.request("POST", "/api/signup", json.dumps({"username": "dora", "password": "Granite-Tulip-5120-hazel"}),
                                {"Content-Type": "application/json"})
    c.check(st == 201 and json.loads(data)["state"] == "pending", "--signup=approval: a sign-up makes a pending account")
    st, _, _ = anon3.request("POST", "/api/signup", json.dumps({"username": "dora", "password": "Granite-Tulip-5120-hazel"}),
                             {"Content-Type": "application/json"})
    c.check(st == 409, "the same name again: 409")
    st, _, _ = anon3.request("POST", "/api/signup", json.dumps({"username": "<b>x</b>", "password": "Granite-Tulip-5120-hazel"}),
                             {"Content-Type": "application/json"})
    c.check(st == 400, "a hostile name: 400")
    st, hd, _ = anon3.request("POST", "/api/signup", json.dumps({"username": "flood", "password": "Granite-Tulip-5120-hazel"}),
                              {"Content-Type": "application/json"})
    c.check(st == 429 and "retry-after" in hd, "a fourth sign-up at once from one address: 429")
    st, _, _ = login_code(Client(srv3), "dora", "Granite-Tulip-5120-hazel")
    c.check(st == 403, "the pending account cannot log in")
    st, _, ck = login_code(Client(srv3), "root", PASSWORDS["root"], totp(secret, step_offset=1))
    c.check(Client(srv3, cookie=ck).request("POST", "/api/admin/users/dora/approve")[0] == 200, "an admin approves it")
    c.check(login_code(Client(srv3), "dora", "Granite-Tulip-5120-hazel")[0] == 200, "then it logs in")
finally:
    srv3.cleanup()

# --auth=proxy: the user a trusted reverse proxy names, from the listed peers only
srv4 = h.Server(args=["--workers", "1", "--analyzer-exec", analyzer, "--auth", "proxy", "--trusted-proxy", "127.0.0.1",
                      "--user-header", "X-Forwarded-User"])
try:
    srv4.start()
    proxied = Client(srv4, origin=None)
    st, _, data = proxied.request("GET", "/api/me", headers={"X-Forwarded-User": "sso.user@example.org"})
    c.check(st == 200 and json.loads(data)["user"] == "sso.user@example.org", "--auth=proxy: the trusted proxy's user is who")
    st, _, data = Client(srv4, origin=None, source="127.0.0.2").request("GET", "/api/history",
                                                                          headers={"X-Forwarded-User": "sso.user@example.org"})
    c.check(st == 401, "the same header from a peer that is not the proxy: 401")
    st, _, _ = proxied.request("GET", "/api/history", headers={"X-Forwarded-User": "<script>"})
    c.check(st == 401, "a user name that cannot be an account: 401")
    st, _, data = proxied.request("POST", "/api/upload", open(tmp_cap if os.path.exists(tmp_cap) else make_capture(tmp_cap), "rb").read(),
                                  {"X-Forwarded-User": "sso.user@example.org", "Content-Type": "application/vnd.tcpdump.pcap",
                                   "Origin": "http://127.0.0.1:%d" % srv4.port})
    ptid = json.loads(data)["task_id"] if st == 202 else ""
    c.check(st == 202, "the proxy's user uploads")
    st, _, _ = proxied.request("GET", "/api/status/" + ptid, headers={"X-Forwarded-User": "other.user"})
    c.check(st == 404, "another proxy user gets 404 for it")
    st, _, _ = proxied.request("POST", "/api/upload", b"x", {"X-Forwarded-User": "sso.user@example.org",
                                                            "Origin": "http://evil.example"})
    c.check(st == 403, "a cross-site request through the proxy: 403")
    st, _, _ = proxied.request("POST", "/api/login", json.dumps({"username": "sso.user@example.org", "password": "!"}),
                               {"Content-Type": "application/json"})
    c.check(st in (400, 401), "the proxy's account has no password to log in with")
    p = subprocess.run([h.env_path("PCAPD_WEB"), "--auth", "proxy", "--state-dir", srv4.state], stderr=subprocess.PIPE, timeout=10)
    c.check(p.returncode != 0 and b"--trusted-proxy" in p.stderr, "--auth=proxy without --trusted-proxy is refused at start")
finally:
    srv4.cleanup()
    try:
        os.unlink(tmp_cap)
    except OSError:
        pass

srv2 = h.Server(args=["--workers", "0", "--analyzer-exec", analyzer])
try:
    srv2.start()
    st, _, _ = srv2.request("GET", "/api/history")
    c.check(st == 200, "no --auth on loopback: no accounts, as before")
    st, _, data = srv2.request("GET", "/api/me")
    c.check(st == 200 and json.loads(data)["auth"] == "none", "/api/me says auth none")
finally:
    srv2.cleanup()
c.done()
