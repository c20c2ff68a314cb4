#!/usr/bin/env bash
# web-bench.sh - pcapd-web end to end, beside its targets (issue 3) and the CLI:
#   1. end-to-end time, upload -> final SSE event, vs `pcap-analyzer analyze` on the same 131k capture
#   2. upload MiB/s for a 100 MiB capture (raw body, until the 202: received, written, fsync'd, committed),
#      beside the floor: a plain write+fdatasync of the same 100 MiB on the same disk, in the same run
#   3. SSE event -> client latency p50/p99 with 100 streams (a stand-in analyzer sends progress at 50 Hz)
#   4. /api/health requests/s with wrk
#   5. frontend peak RSS during 5 concurrent 100 MiB uploads
# Usage: bench/web-bench.sh [BUILD_DIR]   (default: ./build). Needs curl, wrk, python3, ../shared/corpus.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
web="$build/daemons/web/pcapd-web"
analyzer="$build/daemons/analyzer/pcapd-analyzer"
cli="$build/cli/pcap-analyzer"
corpus="$here/../../shared/corpus"
for b in "$web" "$analyzer" "$cli"; do [ -x "$b" ] || { echo "missing $b (build first)" >&2; exit 1; }; done
command -v wrk >/dev/null || { echo "wrk not installed (apt-get install wrk)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/pcapd-web-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

large=/tmp/corpus-large/large-131k.pcap
[ -f "$large" ] || bash "$corpus/make-large.sh" >/dev/null
big="$tmp/capture-100m.pcap"
# 100 MiB: the 131k capture's packets repeated (one header, then packet records) - valid pcap
python3 - "$large" "$big" <<'PY'
import sys
src, dst = sys.argv[1], sys.argv[2]
data = open(src, "rb").read()
hdr, body = data[:24], data[24:]
with open(dst, "wb") as f:
    f.write(hdr)
    n = 24
    while n + len(body) <= 100 << 20:
        f.write(body); n += len(body)
    # top up with whole records from the start of the body
    import struct
    off = 0
    while True:
        incl = struct.unpack_from("<I", body, off + 8)[0]
        if n + 16 + incl > 100 << 20: break
        f.write(body[off:off + 16 + incl]); n += 16 + incl; off += 16 + incl
PY

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start_web() { # $1 = analyzer exec, rest = extra flags
        local exec=$1; shift
        rm -rf "$tmp/state"
        "$web" --listen 127.0.0.1:$port --state-dir "$tmp/state" --web-dir "$tmp" --analyzer-exec "$exec" \
                --max-upload-mb 200 --queue-max 10 "$@" 2>"$tmp/web.log" &
        webpid=$!
        pids+=($webpid)
        for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/api/health" >/dev/null && return 0; sleep 0.05; done
        echo "pcapd-web did not start" >&2; cat "$tmp/web.log" >&2; exit 1
}
stop_web() { kill "$webpid"; wait "$webpid" 2>/dev/null || true; }

# 1. end to end vs CLI (median of 5)
start_web "$analyzer" --workers 2
read -r e2e cli_t < <(python3 - "$port" "$large" "$cli" <<'PY'
import http.client, json, statistics, subprocess, sys, time
port, path, cli = int(sys.argv[1]), sys.argv[2], sys.argv[3]
data = open(path, "rb").read()
def e2e():
    t0 = time.perf_counter()
    c = http.client.HTTPConnection("127.0.0.1", port)
    c.request("POST", "/api/upload", data, {"Content-Type": "application/vnd.tcpdump.pcap", "X-Filename": "l.pcap"})
    tid = json.loads(c.getresponse().read())["task_id"]
    c.request("GET", "/api/progress/" + tid)
    r = c.getresponse()
    while True:
        line = r.fp.readline()
        if not line or line.startswith(b"event: completed") or line.startswith(b"event: failed"):
            break
    t = time.perf_counter() - t0
    c.close()
    return t
def cli_run():
    t0 = time.perf_counter()
    subprocess.run([cli, "analyze", path, "--json", "/dev/null", "-q"], check=True)
    return time.perf_counter() - t0
e2e(); cli_run()
print("%.3f %.3f" % (statistics.median(e2e() for _ in range(5)), statistics.median(cli_run() for _ in range(5))))
PY
)

measure_upload() { # flags...: prints "median best floor floor_direct store_ms" (MiB/s, ms)
stop_web
start_web "$analyzer" --workers 0 "$@"   # nothing analyses meanwhile: the upload path alone
sync; sleep 1   # start from a quiet disk: the upload path ends in fdatasync
# Each round: one upload, then the floor, this machine writing + fdatasyncing the same 100 MiB in 1 MiB
# chunks with no HTTP, through the page cache (what the issue compares with) and with O_DIRECT (the disk
# alone). Interleaved, so both see the same disk and the same neighbours. The floor files are kept, as
# the uploads are: on this VM, writing fresh blocks is several times slower than rewriting just-freed ones.
python3 - "$port" "$big" "$tmp" <<'PY'
import http.client, mmap, os, statistics, sys, time
port, path, tmp = int(sys.argv[1]), sys.argv[2], sys.argv[3]
data = open(path, "rb").read()
mib = len(data) / 1048576
aligned = mmap.mmap(-1, (len(data) + 4095) // 4096 * 4096)  # O_DIRECT needs an aligned buffer
aligned[:len(data)] = data
def quiet():
    # each step starts on a quiet disk: back to back, 100 MiB writes queue behind the VM's write-back
    os.sync(); time.sleep(0.5)
def upload():
    quiet()
    c = http.client.HTTPConnection("127.0.0.1", port)
    t0 = time.perf_counter()
    c.request("POST", "/api/upload", data, {"Content-Type": "application/vnd.tcpdump.pcap"})
    r = c.getresponse(); r.read()
    assert r.status == 202, r.status
    return time.perf_counter() - t0
def floor(name, direct):
    quiet()
    fd = os.open(os.path.join(tmp, name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC | (os.O_DIRECT if direct else 0), 0o600)
    buf = memoryview(aligned) if direct else data
    t0 = time.perf_counter()
    for off in range(0, len(aligned) if direct else len(data), 1 << 20):
        os.write(fd, buf[off:off + (1 << 20)])
    os.fdatasync(fd)
    t = time.perf_counter() - t0
    os.close(fd)
    return t
up, fl, fd = [], [], []
for i in range(5):
    up.append(upload())
    fl.append(floor("floor-%d" % i, False))
    fd.append(floor("floor-direct-%d" % i, True))
for i in range(5):
    os.unlink(os.path.join(tmp, "floor-%d" % i)); os.unlink(os.path.join(tmp, "floor-direct-%d" % i))
sys.stderr.write("upload %s, floor %s, O_DIRECT floor %s (ms)\n" % tuple(
    " ".join("%.0f" % (t * 1000) for t in x) for x in (up, fl, fd)))
print("%.0f %.0f %.0f %.0f" % (mib / statistics.median(up), mib / min(up), mib / statistics.median(fl),
                               mib / statistics.median(fd)), end=" ")
PY
# the server's own split: time from the complete body to the committed row (write + fdatasync + commit)
grep -ao '"PCAPD_STORE_MS":"[0-9]*"' "$tmp/web.log" | grep -o '[0-9]*' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
# 2. upload MiB/s, 100 MiB raw body until 202 (median of 5; the body is sent from memory so the client's
#    own file reading is not measured - curl --data-binary reads the whole file first), beside the floor;
#    h2o keeps bodies over 32 MiB in an mmap'd temp file: on the state dir's disk (default) or on tmpfs
#    (--body-dir)
measure_upload > "$tmp/up-disk"
read -r upload_rate upload_best floor_rate direct_rate store_ms < "$tmp/up-disk"
measure_upload --body-dir /dev/shm > "$tmp/up-shm"
read -r shm_rate shm_best shm_floor_rate shm_direct_rate shm_store_ms < "$tmp/up-shm"
stop_web

# 3. SSE latency with 100 streams on one task
PCAPD_ANALYZER_FAKE_SECONDS=10 start_web "$here/web-fake-analyzer.py" --workers 1
read -r p50 p99 nsamples < <(python3 - "$port" "$large" "$here" <<'PY'
import http.client, json, sys
port, path = int(sys.argv[1]), sys.argv[2]
sys.path.insert(0, sys.argv[3])
from sse_latency import Streams, quantile
data = open(path, "rb").read()[:1 << 20]
c = http.client.HTTPConnection("127.0.0.1", port)
c.request("POST", "/api/upload", data, {"Content-Type": "application/vnd.tcpdump.pcap"})
tid = json.loads(c.getresponse().read())["task_id"]
lat = [ms for _, ms in Streams(port, tid).run(30)]
print("%.2f %.2f %d" % (quantile(lat, 0.50), quantile(lat, 0.99), len(lat)))
PY
)
stop_web

# 4. /api/health with wrk
start_web "$analyzer" --workers 2
health_rps=$(wrk -t2 -c64 -d5s "http://127.0.0.1:$port/api/health" | awk '/Requests\/sec/ {printf "%.0f", $2}')

# 5. RSS during 5 concurrent 100 MiB uploads (queue drained by --workers 0 so nothing else runs)
stop_web
start_web "$analyzer" --workers 0
rss_idle=$(awk '/VmRSS/ {print $2}' /proc/$webpid/status)
for i in 1 2 3 4 5; do
        curl -s -o /dev/null -H 'Content-Type: application/vnd.tcpdump.pcap' --data-binary @"$big" \
                "http://127.0.0.1:$port/api/upload" &
done
peak=0
while [ "$(jobs -rp | grep -vc "^$webpid$")" -gt 0 ]; do
        r=$(awk '/VmRSS/ {print $2}' /proc/$webpid/status); [ "$r" -gt "$peak" ] && peak=$r
        sleep 0.02
done
hwm=$(awk '/VmHWM/ {print $2}' /proc/$webpid/status)
stop_web

printf '\n%-52s %14s %14s\n' "measure" "pcapd-web" "reference"
printf '%-52s %14s %14s\n' "end-to-end upload -> final SSE, 131k capture (s)" "$e2e" "CLI $cli_t"
printf '%-52s %14s %14s\n' "  ratio to the CLI (target <= 2x)" "$(awk -v a=$e2e -v b=$cli_t 'BEGIN{printf "%.2fx", a/b}')" "2x"
ratio() { awk -v f="$1" -v u="$2" 'BEGIN{printf "%.2fx", f/u}'; }
printf '%-52s %14s %14s\n' "upload 100 MiB, raw body until 202 (MiB/s, median of 5)" "$upload_rate" "floor $floor_rate"
printf '%-52s %14s %14s\n' "  floor / upload (target <= 1.5x)" "$(ratio $floor_rate $upload_rate)" "1.5x"
printf '%-52s %14s %14s\n' "  best of 5 (MiB/s)" "$upload_best" "-"
printf '%-52s %14s %14s\n' "  of which write+fdatasync+commit (ms, median)" "$store_ms" "-"
printf '%-52s %14s %14s\n' "  the disk alone: O_DIRECT write+fdatasync (MiB/s)" "-" "$direct_rate"
printf '%-52s %14s %14s\n' "same, --body-dir /dev/shm (MiB/s, median)" "$shm_rate" "floor $shm_floor_rate"
printf '%-52s %14s %14s\n' "  floor / upload (target <= 1.5x)" "$(ratio $shm_floor_rate $shm_rate)" "1.5x"
printf '%-52s %14s %14s\n' "  best of 5 (MiB/s)" "$shm_best" "-"
printf '%-52s %14s %14s\n' "  of which write+fdatasync+commit (ms, median)" "$shm_store_ms" "-"
printf '%-52s %14s %14s\n' "  the disk alone: O_DIRECT write+fdatasync (MiB/s)" "-" "$shm_direct_rate"
printf '%-52s %14s %14s\n' "SSE latency p50, 100 streams (ms)" "$p50" "-"
printf '%-52s %14s %14s\n' "SSE latency p99, 100 streams (ms, $nsamples samples)" "$p99" "<= 20"
printf '%-52s %14s %14s\n' "/api/health with wrk -t2 -c64 (req/s)" "$health_rps" ">= 20000"
printf '%-52s %14s %14s\n' "RSS idle (MiB)" "$((rss_idle / 1024))" "-"
printf '%-52s %14s %14s\n' "RSS peak, 5 concurrent 100 MiB uploads (MiB)" "$((hwm / 1024))" "-"
