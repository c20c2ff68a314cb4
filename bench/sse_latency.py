"""SSE event -> client latency, shared by web-bench.sh and auth-bench.sh: n streams on one task, each event's
server_time against the moment its bytes arrived here. Streams(port, task, headers).run(timeout, on_tick) returns
[(server_time, latency_ms)] for every event but each stream's replayed first one."""
import json
import selectors
import socket
import time


class Streams:
    def __init__(self, port, task, headers=None, n=100):
        self.sel = selectors.DefaultSelector()
        extra = "".join("%s: %s\r\n" % kv for kv in (headers or {}).items())
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(("GET /api/progress/%s HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n%s\r\n"
                       % (task, extra)).encode())
            s.setblocking(False)
            self.sel.register(s, selectors.EVENT_READ, bytearray())
        self.open = n

    def run(self, timeout=30, on_tick=None):
        samples, first = [], set()
        end = time.time() + timeout
        while self.open and time.time() < end:
            if on_tick:
                on_tick()
            for key, _ in self.sel.select(0.5):
                now = time.time()
                try:
                    chunk = key.fileobj.recv(65536)
                except BlockingIOError:
                    continue
                if not chunk:
                    self.sel.unregister(key.fileobj)
                    self.open -= 1
                    continue
                buf = key.data
                buf += chunk
                while b"\n\n" in buf:
                    ev, _, rest = bytes(buf).partition(b"\n\n")
                    buf[:] = rest
                    for line in ev.split(b"\n"):
                        if line.startswith(b"data: "):
                            try:
                                d = json.loads(line[6:])
                            except ValueError:
                                continue
                            if "server_time" in d:
                                if key.fileobj not in first:
                                    first.add(key.fileobj)  # the replayed latest event of a new stream
                                    continue
                                samples.append((float(d["server_time"]), (now - float(d["server_time"])) * 1000))
                        if line.startswith(b"event: completed"):
                            self.sel.unregister(key.fileobj)
                            self.open -= 1
        return samples


def quantile(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(p * len(v)))] if v else float("nan")
