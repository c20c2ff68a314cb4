#!/usr/bin/env python3
"""What is stored is what was sent, byte for byte: the writer's direct writes (aligned blocks from a bounce
buffer) and the page-cache tail, for bodies h2o keeps in memory and in its mmap'd temp file (over 32 MiB),
raw and as a form's file part (which starts at an unaligned address), on the disk and on a tmpfs."""
import hashlib
import importlib.util
import os
import struct

spec = importlib.util.spec_from_file_location("h", os.path.join(os.path.dirname(__file__), "test-web-harness.py"))
h = importlib.util.module_from_spec(spec)
spec.loader.exec_module(h)

MiB = 1 << 20
# a pcap header, then bytes nobody parses (--workers 0: no analysis)
HDR = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
CASES = [  # (size, raw)
    (100, True),                # shorter than one block: the tail alone
    (4096, True),               # exactly one block
    (3 * MiB, True),            # whole chunks
    (5 * MiB + 4097, True),     # chunks, then a block and a tail
    (40 * MiB + 1234, True),    # in h2o's temp file
    (2 * MiB + 777, False),     # a form's file part
    (36 * MiB + 3, False),      # a form's file part in h2o's temp file
]


def body(size, seed):
    rnd = hashlib.sha256(b"%d" % seed).digest() * (size // 32 + 1)
    return HDR + rnd[:size - len(HDR)] if size >= len(HDR) else None


def run(c, label, **kw):
    srv = h.Server(args=["--workers", "0", "--max-upload-mb", "100", "--queue-max", "50"], **kw)
    try:
        srv.start()
        for i, (size, raw) in enumerate(CASES):
            data = body(size, i)
            st, _, js = srv.upload_bytes(data, raw=raw, filename="s%d.pcap" % i)
            c.check(st == 202, "%s: %d bytes (%s) accepted (%d)" % (label, size, "raw" if raw else "form", st))
            if st != 202:
                continue
            with open(srv.state_path("uploads", js["task_id"]), "rb") as f:
                stored = f.read()
            c.check(len(stored) == size and hashlib.sha256(stored).digest() == hashlib.sha256(data).digest(),
                    "%s: %d bytes (%s) stored as sent (%d bytes on disk)" % (
                        label, size, "raw" if raw else "form", len(stored)))
        c.check(srv.stop() == 0, "%s: clean stop" % label)
    finally:
        if c.failures:
            srv.dump_log()
        srv.cleanup()


c = h.Checks()
run(c, "disk", activate=False)
if os.geteuid() == 0:
    run(c, "tmpfs", activate=False, tmpfs_state_mb=300)
c.done()
