#!/usr/bin/env python3
"""A stand-in analyzer for bench/web-bench.sh's SSE latency run: speaks the pcapd IPC protocol on fd 3
(lib/ipc/ipc.h, protocol version 2), sends PROGRESS every 20 ms for PCAPD_ANALYZER_FAKE_SECONDS (default 10;
PCAPD_ANALYZER_* is what pcapd-web passes on to an analyzer), then DONE."""
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
seconds = float(os.environ.get("PCAPD_ANALYZER_FAKE_SECONDS", "10"))
end = time.time() + seconds
n = 0
while time.time() < end:
    n += 1
    pct = min(99.0, 100.0 * (1 - (end - time.time()) / seconds))
    # ipc_progress_t: phase, bytes_done, packets, peak_rss, percent
    payload = struct.pack("<32sQQQd", b"reading", n * 1000, n * 10, 8 << 20, pct)
    sock.send(HDR.pack(3, len(payload), task) + payload)
    time.sleep(0.02)
for fd in fds[1:]:
    os.write(fd, b"{}\n")
# ipc_done_t: packets, peak_rss, health_score, findings, partial, pad
done = struct.pack("<QQiIII", n * 10, 8 << 20, 100, 0, 0, 0)
sock.send(HDR.pack(4, len(done), task) + done)
