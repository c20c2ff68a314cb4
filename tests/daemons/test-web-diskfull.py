#!/usr/bin/env python3
"""A full disk: the upload is refused with 507, the partial file is removed, nothing is recorded, and the
server keeps serving (state directory on a private 4 MiB tmpfs)."""
import importlib.util
import os

spec = importlib.util.spec_from_file_location("h", os.path.join(os.path.dirname(__file__), "test-web-harness.py"))
h = importlib.util.module_from_spec(spec)
spec.loader.exec_module(h)

analyzer = h.env_path("PCAPD_ANALYZER_EXEC")
src = h.corpus("gen", "mixed.pcapng")  # 1.6 MB
with open(src, "rb") as f:
    data = f.read()
c = h.Checks()
srv = h.Server(args=["--workers", "0", "--analyzer-exec", analyzer], tmpfs_state_mb=4)
try:
    srv.start()
    st, _, js = srv.upload_bytes(data, raw=True, filename="one.pcapng")
    c.check(st == 202, "first upload fits -> 202 (%d)" % st)
    st, _, js = srv.upload_bytes(data + data, raw=True, filename="two.pcapng")
    c.check(st == 507, "upload larger than the free space -> 507 (%d)" % st)
    c.check(js and "disk" in js.get("error", ""), "507 says the disk is full")
    uploads = os.listdir(srv.state_path("uploads"))
    c.check(len(uploads) == 1, "partial file removed (%d files in uploads/)" % len(uploads))
    st, js = srv.get_json("/api/history")
    c.check(st == 200 and len(js["tasks"]) == 1, "no task recorded for the refused upload")
    st, js = srv.get_json("/api/health")
    c.check(st in (200, 503) and "disk_ok" in js["checks"], "health reports the disk")
    c.check(srv.stop() == 0, "clean stop")
finally:
    if c.failures:
        srv.dump_log()
    srv.cleanup()
c.done()
