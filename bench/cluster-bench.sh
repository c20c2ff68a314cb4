#!/usr/bin/env bash
# cluster-bench.sh - the same load on three set-ups, side by side in one run (issue 16):
#   1. one pcapd-web on SQLite
#   2. one pcapd-web on PostgreSQL 15 (a throw-away server from tests/pg/pg-temp.sh, Unix socket)
#   3. three pcapd-web on that PostgreSQL behind HAProxy running units/cluster/haproxy.cfg
# The load: CLIENTS clients, each in a loop for SECONDS: upload a capture (raw body), poll its status every
# 50 ms until it ends, get its JSON report. Measured: analyses completed per minute, upload -> report
# p50/p99 (from the upload's first byte to the report's last), errors. Every node keeps its default
# --workers (the number of CPUs), as a deployment would.
# Usage: bench/cluster-bench.sh [BUILD_DIR]   (default: ./build). Environment: SECONDS_PER_SETUP (60),
# CLIENTS (4), CAPTURE (../shared/corpus/gen/http-clean.pcap). Needs PostgreSQL 15 and haproxy.
set -euo pipefail
# Each node has a state directory of its own (captures and reports are in PostgreSQL too);
# SHARED_STATE=true runs the three on one shared directory instead.
SHARED_STATE=${SHARED_STATE:-false}
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
web="$build/daemons/web/pcapd-web"
analyzer="$build/daemons/analyzer/pcapd-analyzer"
seconds=${SECONDS_PER_SETUP:-60}
clients=${CLIENTS:-4}
capture=${CAPTURE:-$here/../../shared/corpus/gen/http-clean.pcap}
pg_temp="$here/../tests/pg/pg-temp.sh"
for b in "$web" "$analyzer"; do [ -x "$b" ] || { echo "missing $b (build first)" >&2; exit 1; }; done
[ -f "$capture" ] || { echo "missing $capture" >&2; exit 1; }
PATH=$PATH:/usr/sbin
command -v haproxy >/dev/null || { echo "haproxy not installed (apt-get install haproxy)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/pcapd-cluster-bench.XXXXXX)
chmod 755 "$tmp"   # the PostgreSQL server in $tmp/pg runs as nobody when we are root
pids=()
cleanup() {
        for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
        wait 2>/dev/null || true
        bash "$pg_temp" stop "$tmp/pg" >/dev/null 2>&1 || true
        rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { # port
        for _ in $(seq 200); do curl -sf "http://127.0.0.1:$1/api/health" >/dev/null && return 0; sleep 0.05; done
        echo "nothing answers on port $1" >&2; tail -20 "$tmp"/*.log >&2; exit 1
}
start_node() { # name port state database
        "$web" --listen "127.0.0.1:$2" --state-dir "$3" --web-dir "$tmp" --analyzer-exec "$analyzer" \
                --database "$4" --node-id "$1" --queue-max 50 --reap off 2>"$tmp/$1.log" &
        pids+=($!)
        wait_up "$2"
}
stop_all() {
        for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
        wait 2>/dev/null || true
        pids=()
}
load() { # label port: one line of results
        python3 - "$1" "$2" "$capture" "$seconds" "$clients" <<'PY'
import http.client, json, sys, threading, time
label, port, path, seconds, clients = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), int(sys.argv[5])
data = open(path, "rb").read()
lat, errors, lock = [], [], threading.Lock()
end = time.time() + seconds
def req(c, method, url, body=None, hdr=None):
    c.request(method, url, body=body, headers=hdr or {})
    r = c.getresponse()
    return r.status, r.read()
def client():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    while time.time() < end:
        try:
            t0 = time.perf_counter()
            st, body = req(c, "POST", "/api/upload", data,
                           {"Content-Type": "application/vnd.tcpdump.pcap", "X-Filename": "b.pcap"})
            if st != 202:
                raise RuntimeError("upload %d" % st)
            tid = json.loads(body)["task_id"]
            while True:
                st, body = req(c, "GET", "/api/status/" + tid)
                s = json.loads(body)["status"] if st == 200 else "http %d" % st
                if s not in ("queued", "processing"):
                    break
                time.sleep(0.05)
            if s != "completed":
                raise RuntimeError(s)
            st, body = req(c, "GET", "/api/reports/%s/json" % tid)
            if st != 200:
                raise RuntimeError("report %d" % st)
            with lock:
                lat.append(time.perf_counter() - t0)
        except Exception as e:
            with lock:
                errors.append(repr(e))
            c.close()
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            time.sleep(0.2)
t0 = time.time()
th = [threading.Thread(target=client) for _ in range(clients)]
for t in th:
    t.start()
for t in th:
    t.join()
took = time.time() - t0
lat.sort()
pct = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")
print("| %s | %d | %.0f | %.0f | %.0f | %d |" % (label, len(lat), 60 * len(lat) / took, pct(0.5), pct(0.99), len(errors)))
if errors:
    print("errors (first 3): %s" % errors[:3], file=sys.stderr)
PY
}

# pg-temp.sh runs the tests' server with fsync off; beside SQLite (which fsyncs each commit) it must be on,
# as on any real server
PCAPD_TEST_PG_FSYNC=on bash "$pg_temp" start "$tmp/pg" >/dev/null
db_url() { # a fresh database for each set-up
        bash "$pg_temp" createdb "$tmp/pg" "$1" >/dev/null
        bash "$pg_temp" url "$tmp/pg" "$1"
}

echo "cluster-bench: $(nproc) CPUs, $clients clients, ${seconds} s per set-up, capture $(basename "$capture")" \
        "($(stat -c %s "$capture") bytes), PostgreSQL fsync $(psql -X -A -t -d "$(bash "$pg_temp" url "$tmp/pg" postgres)" -c 'SHOW fsync'), load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u '+%F %H:%M UTC')"
echo
echo "| set-up | analyses | per minute | upload → report p50 (ms) | p99 (ms) | errors |"
echo "|---|---|---|---|---|---|"

port=$(free_port)
start_node one-sqlite "$port" "$tmp/state-sqlite" "sqlite:$tmp/state-sqlite/pcapd.db"
load "1 node, SQLite" "$port"
stop_all

port=$(free_port)
start_node one-pg "$port" "$tmp/state-pg1" "$(db_url bench_one)"
load "1 node, PostgreSQL" "$port"
stop_all

url3=$(db_url bench_three)
lb_env=()
for i in 1 2 3; do
        p=$(free_port)
        state="$tmp/state-pg3"
        [ "$SHARED_STATE" = true ] || state="$tmp/state-pg3-$i"
        start_node "node$i" "$p" "$state" "$url3"
        lb_env+=("PCAPD_NODE$i=127.0.0.1:$p")
done
lb_port=$(free_port)
(cd "$tmp" && exec env "${lb_env[@]}" PCAPD_LB_BIND="127.0.0.1:$lb_port" \
        haproxy -f "$here/../units/cluster/haproxy.cfg" >"$tmp/haproxy.log" 2>&1) &
pids+=($!)
wait_up "$lb_port"
load "3 nodes, PostgreSQL, HAProxy" "$lb_port"
stop_all
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
