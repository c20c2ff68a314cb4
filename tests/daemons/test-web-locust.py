#!/usr/bin/env python3
"""The design document's Locust load test (its §9.3 scripts/locustfile.py), extracted from the document at
test time and run unchanged, headless, against the real pcapd-web: 10 users for a short run here (the full
2 minutes is bench/locust-bench.sh). Every request it makes must succeed (issue 17)."""
import csv
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile

spec = importlib.util.spec_from_file_location("h", os.path.join(os.path.dirname(__file__), "test-web-harness.py"))
h = importlib.util.module_from_spec(spec)
spec.loader.exec_module(h)

analyzer = h.env_path("PCAPD_ANALYZER_EXEC")
locustfile = h.design_doc_script("locustfile.py")
capture = h.corpus("gen", "dns.pcap")
locust = shutil.which("locust")
if not locust:
    print("FAIL locust is not installed (Debian's python3-locust: tests/install-deps.sh --test installs it)")
    sys.exit(1)
run_time = os.environ.get("PCAPD_LOCUST_RUN_TIME", "20s")
spawn_rate = os.environ.get("PCAPD_LOCUST_SPAWN_RATE", "5")
c = h.Checks()

work = tempfile.mkdtemp(prefix="pcapd-locust-")
with open(os.path.join(work, "locustfile.py"), "w") as f:
    f.write(locustfile)
os.makedirs(os.path.join(work, "tests", "data"))
shutil.copy(capture, os.path.join(work, "tests", "data", "sample.pcap"))  # the file the script opens

srv = h.Server(activate=False, args=["--analyzer-exec", analyzer, "--workers", "2"])
try:
    srv.start()
    url = "http://127.0.0.1:%d" % srv.port
    p = subprocess.run([locust, "-f", "locustfile.py", "--host", url, "--users", "10", "--spawn-rate", spawn_rate,
                        "--run-time", run_time, "--headless", "--csv", "out", "--only-summary"],
                       cwd=work, capture_output=True, text=True, timeout=600)
    print(p.stdout[-3000:])
    print(p.stderr[-3000:])
    rows = list(csv.DictReader(open(os.path.join(work, "out_stats.csv"))))
    total = next((r for r in rows if r["Name"] == "Aggregated"), None)
    names = [(r["Type"], r["Name"]) for r in rows if r["Name"] != "Aggregated"]
    n_req = int(total["Request Count"]) if total else 0
    n_fail = int(total["Failure Count"]) if total else -1
    c.check(p.returncode == 0, "locust exits 0 (%d)" % p.returncode)
    c.check(n_req > 0 and n_fail == 0, "%d requests, %d failures" % (n_req, n_fail))
    c.check(("POST", "/upload") in names, "the script uploaded (POST /upload)")
    c.check(any(t == "GET" and n.startswith("/status/") for t, n in names), "it polled GET /status/{task_id}")
    c.check(any(t == "GET" and n.startswith("/report/") for t, n in names),
            "it fetched GET /report/{task_id} after 'completed' (so POST /upload answered 200 and /status said completed)")
    print("GET /health %s in this run (its weight is 1 in 11)" % ("made" if ("GET", "/health") in names else "not drawn"))
finally:
    srv.stop()
    srv.cleanup()
    shutil.rmtree(work, ignore_errors=True)
c.done()
