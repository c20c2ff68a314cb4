#!/usr/bin/env python3
"""A stand-in analyzer for bench/web-bench.sh's SSE latency run: speaks the pcapd IPC protocol on fd 3
(lib/ipc/ipc.h), sends PROGRESS every 20 ms for PCAPD_FAKE_SECONDS (default 10), then DONE."""
import os
import socket
import struct
import time

HDR = struct.Struct("<II32s")
sock = socket.socket(fileno=3)
fds = []
task = None
for _ in range(3):  # JOB + JOB_FD (json) + JOB_FD (html)
    msg, anc, flags, addr = sock.recvmsg(4096, socket.CMSG_SPACE(4 * 4))
    typ, length, task = HDR.unpack_from(msg)
    for level, kind, data in anc:
        fds += list(struct.unpack("<%di" % (len(data) // 4), data))
seconds = float(os.environ.get("PCAPD_FAKE_SECONDS", "10"))
end = time.time() + seconds
n = 0
while time.time() < end:
    n += 1
    pct = min(99.0, 100.0 * (1 - (end - time.time()) / seconds))
    payload = struct.pack("<32sQQQd", b"reading", n * 1000, int(seconds * 100000), n * 10, pct)
    sock.send(HDR.pack(3, len(payload), task) + payload)
    time.sleep(0.02)
for fd in fds[1:]:
    os.write(fd, b"{}\n")
done = struct.pack("<QQiIII", n * 10, n * 1000, 100, 0, 0, 0)
sock.send(HDR.pack(4, len(done), task) + done)
