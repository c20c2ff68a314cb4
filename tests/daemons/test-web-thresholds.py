#!/usr/bin/env python3
"""The service's thresholds (issue 14): pcapd-web reads --analyzer-config (or PCAPD_ANALYZER_CONFIG, or
/etc/pcapd/analyzer.conf when it exists) at start and sends the values in each JOB; the sandboxed analyzer,
which opens no file, diagnoses with them and the report records them (set_by "configuration"). A file that
is asked for and missing, or wrong, stops pcapd-web at start with the file and line. The capture is made
here (tests/pcapwrite): one connection whose handshake takes 20 ms, no finding at the defaults."""
import importlib.util
import os
import shutil
import subprocess
import tempfile
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("h", os.path.join(HERE, "test-web-harness.py"))
h = importlib.util.module_from_spec(spec)
spec.loader.exec_module(h)
sys.path.insert(0, os.path.join(HERE, "..", "pcapwrite"))
import scenarios  # noqa: E402

analyzer = h.env_path("PCAPD_ANALYZER_EXEC")
c = h.Checks()


def analyse(args, env=None, conf_text=None):
    """Uploads the capture; returns (report, ids of its findings)."""
    srv = h.Server(args=["--workers", "1", "--analyzer-exec", analyzer] + args, env=env)
    try:
        if conf_text is not None:
            with open(os.path.join(srv.tmp, "analyzer.conf"), "w") as f:
                f.write(conf_text)
        srv.args = [a.replace("@TMP@", srv.tmp) for a in srv.args]
        srv.extra_env = {k: v.replace("@TMP@", srv.tmp) for k, v in srv.extra_env.items()}
        srv.start()
        path = os.path.join(srv.tmp, "clean.pcap")
        scenarios.build_tcp_clean(path)
        st, _, js = srv.upload(path)
        tid = js["task_id"]
        srv.wait_status(tid, ("completed",), 30)
        rep = srv.get_json("/api/reports/%s/json" % tid)[1]
        srv.stop()
        return rep, [f["id"] for f in rep.get("findings", [])]
    finally:
        srv.cleanup()


conf = "# this site's paths are short\n[Thresholds]\nlatency_ms=10\ndns_slow_ms=50\n"
if os.path.exists("/etc/pcapd/analyzer.conf"):
    print("SKIP the defaults part: this machine has an /etc/pcapd/analyzer.conf")
else:
    rep, ids = analyse([])
    th = rep.get("thresholds", {})
    c.check(ids == [] and th and all(t["set_by"] == "default" for t in th.values()),
            "no configuration file: the engine's defaults, no finding (%s)" % ids)

rep, ids = analyse(["--analyzer-config", "@TMP@/analyzer.conf"], conf_text=conf)
th = rep.get("thresholds", {})
c.check("tcp-slow-handshake" in ids and "tcp-high-rtt" in ids,
        "--analyzer-config with latency_ms=10: the 20 ms handshake is slow in the service's report (%s)" % ids)
c.check(th.get("handshake_slow_ms", {}).get("value") == 10 and th["handshake_slow_ms"]["set_by"] == "configuration"
        and th.get("dns_slow_ms", {}).get("value") == 50 and th.get("gap_ms", {}).get("set_by") == "default",
        "the report records the file's values as set by the configuration (%s)" % {k: th.get(k) for k in ("handshake_slow_ms", "dns_slow_ms")})

rep, ids = analyse([], env={"PCAPD_ANALYZER_CONFIG": "@TMP@/analyzer.conf"}, conf_text=conf)
c.check("tcp-slow-handshake" in ids, "PCAPD_ANALYZER_CONFIG does the same (%s)" % ids)

# refusals at start: pcapd-web exits 1 and says which file and line
web = h.env_path("PCAPD_WEB")
tmp = tempfile.mkdtemp(prefix="pcapd-thresholds-")
bad = os.path.join(tmp, "bad.conf")
with open(bad, "w") as f:
    f.write("[Thresholds]\nrtt_high_ms=20\nhandshake_slow_ms=slow\n")
for args, msg in (([ "--analyzer-config", bad], "bad.conf:3: handshake_slow_ms: the value is not a decimal number"),
                  (["--analyzer-config", os.path.join(tmp, "missing.conf")], "missing.conf: No such file"),
                  (["--analyzer-config", tmp], "Is a directory")):
    p = subprocess.run([web, "--state-dir", os.path.join(tmp, "state"), "--listen", "127.0.0.1:%d" % h.free_port()] + args,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
    err = p.stderr.decode(errors="replace")
    c.check(p.returncode != 0 and msg in err, "pcapd-web %s: refuses to start, says '%s' (%d, %r)"
            % (os.path.basename(args[-1]), msg, p.returncode, err[-200:]))
shutil.rmtree(tmp, ignore_errors=True)
c.done()
