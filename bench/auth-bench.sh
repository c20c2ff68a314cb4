#!/usr/bin/env bash
# auth-bench.sh - what accounts cost pcapd-web (issue 13), side by side in one run:
#   1. requests/s with wrk -t2 -c64 for /api/health and /api/status/{id}: without accounts (--auth=none),
#      and with them by API token and by session cookie (target: above 20,000 req/s each)
#   2. SSE event -> client latency p50/p99, 100 streams on one task (a stand-in analyzer sends progress at
#      50 Hz), on a quiet server and during 50 parallel logins (yescrypt on the login thread): a login storm
#      must not stall the event loop
#   3. login throughput (one thread of yescrypt at libcrypt's default cost) and its answers in the storm
# Usage: bench/auth-bench.sh [BUILD_DIR]   (default: ./build). Needs wrk, python3.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
web="$build/daemons/web/pcapd-web"
analyzer="$build/daemons/analyzer/pcapd-analyzer"
ctl="$build/daemons/ctl/pcapctl"
for b in "$web" "$analyzer" "$ctl"; do [ -x "$b" ] || { echo "missing $b (build first)" >&2; exit 1; }; done
command -v wrk >/dev/null || { echo "wrk not installed (apt-get install wrk)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/pcapd-auth-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
PASSWORD='Bench-Ferret-7731-lantern'

# a small capture made here: 200 ICMP echoes
cap="$tmp/bench.pcap"
python3 - "$cap" "$here/../tests/pcapwrite" <<'PY'
import sys
sys.path.insert(0, sys.argv[2])
import pcapwrite as pw
with pw.PcapWriter(sys.argv[1]) as w:
    for i in range(200):
        w.write(1700000000 + i * 0.01, pw.ether(pw.ipv4("192.0.2.1", "192.0.2.2", pw.icmp_echo(7, i))))
PY

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
start_web() { # $1 = analyzer exec, rest = flags
        local exec=$1; shift
        "$web" --listen 127.0.0.1:$port --state-dir "$tmp/state" --web-dir "$tmp" --analyzer-exec "$exec" "$@" \
                2>"$tmp/web.log" &
        webpid=$!
        pids+=($webpid)
        for _ in $(seq 100); do curl -sf "$base/api/health" >/dev/null && return 0; sleep 0.05; done
        echo "pcapd-web did not start" >&2; cat "$tmp/web.log" >&2; exit 1
}
stop_web() { kill "$webpid"; wait "$webpid" 2>/dev/null || true; }
rps() { wrk -t2 -c64 -d5s "$@" | awk '/Requests\/sec/ {printf "%.0f", $2}'; }
upload() { curl -sf "${auth[@]}" -H 'Content-Type: application/vnd.tcpdump.pcap' --data-binary @"$cap" "$base/api/upload" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["task_id"])'; }

# 1. requests/s
rm -rf "$tmp/state"; mkdir -p "$tmp/state"
"$ctl" --state-dir "$tmp/state" user add loadtest --password-stdin <<<"$PASSWORD"
token=$("$ctl" --state-dir "$tmp/state" token create loadtest)
start_web "$analyzer" --workers 1 --auth none
auth=()
id=$(upload); sleep 1
none_health=$(rps "$base/api/health")
none_status=$(rps "$base/api/status/$id")
stop_web
start_web "$analyzer" --workers 1 --auth accounts
auth=(-H "Authorization: Bearer $token")
id=$(upload); sleep 1
cookie=$(curl -s -D - -o /dev/null -H 'Content-Type: application/json' \
        -d "{\"username\":\"loadtest\",\"password\":\"$PASSWORD\"}" "$base/api/login" |
        sed -n 's/^set-cookie: \(pcapd_session=[^;]*\).*/\1/ip')
acc_health=$(rps "$base/api/health")
acc_status_token=$(rps -H "Authorization: Bearer $token" "$base/api/status/$id")
acc_status_cookie=$(rps -H "Cookie: $cookie" "$base/api/status/$id")
code=$(curl -s -o /dev/null -w '%{http_code}' "$base/api/status/$id")
[ "$code" = 401 ] || { echo "an anonymous request got $code, not 401: the bench would measure nothing" >&2; exit 1; }
stop_web

# 2 and 3. SSE latency, quiet and during a login storm
PCAPD_ANALYZER_FAKE_SECONDS=12 start_web "$here/web-fake-analyzer.py" --workers 1 --auth accounts
python3 - "$port" "$cap" "$token" "$PASSWORD" "$here" >"$tmp/sse.out" <<'PY'
import http.client, json, sys, threading, time
port, path, token, password = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
sys.path.insert(0, sys.argv[5])
from sse_latency import Streams, quantile
auth = {"Authorization": "Bearer " + token}
c = http.client.HTTPConnection("127.0.0.1", port)
c.request("POST", "/api/upload", open(path, "rb").read(), dict(auth, **{"Content-Type": "application/vnd.tcpdump.pcap"}))
tid = json.loads(c.getresponse().read())["task_id"]
streams = Streams(port, tid, auth)
storm, stop, lock, answers = threading.Event(), threading.Event(), threading.Lock(), {}


def login_loop():
    storm.wait()
    body = json.dumps({"username": "loadtest", "password": password})
    while not stop.is_set():
        try:
            cc = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            cc.request("POST", "/api/login", body, {"Content-Type": "application/json"})
            st = cc.getresponse().status
            cc.close()
        except OSError:
            st = "error"
        with lock:
            answers[st] = answers.get(st, 0) + 1


threads = [threading.Thread(target=login_loop, daemon=True) for _ in range(50)]
for t in threads:
    t.start()
t_start = time.time()
storm_at = [None]


def tick():  # 5 s quiet, then the storm for the rest of the analysis
    if storm_at[0] is None and time.time() >= t_start + 5:
        storm_at[0] = time.time()
        storm.set()


samples = streams.run(30, tick)
storm_secs = time.time() - (storm_at[0] or time.time())
stop.set()
for t in threads:
    t.join(35)
quiet = [ms for st, ms in samples if not storm_at[0] or st < storm_at[0] + 0.5]
busy = [ms for st, ms in samples if storm_at[0] and st >= storm_at[0] + 0.5]
ok = answers.get(200, 0)
print("%.2f %.2f %d %.2f %.2f %d %.1f %d %d %s" % (quantile(quiet, .5), quantile(quiet, .99), len(quiet),
      quantile(busy, .5), quantile(busy, .99), len(busy), ok / storm_secs if storm_secs else 0, ok,
      answers.get(503, 0), ",".join("%s:%d" % kv for kv in sorted(answers.items(), key=lambda kv: str(kv[0])))))
PY
read -r q50 q99 qn b50 b99 bn lps lok l503 lall <"$tmp/sse.out"
stop_web

printf '\n%-60s %12s %12s\n' "measure" "pcapd-web" "target"
printf '%-60s %12s %12s\n' "/api/health, --auth=none (req/s)" "$none_health" "-"
printf '%-60s %12s %12s\n' "/api/health, --auth=accounts (req/s)" "$acc_health" ">= 20000"
printf '%-60s %12s %12s\n' "/api/status/{id}, --auth=none (req/s)" "$none_status" "-"
printf '%-60s %12s %12s\n' "/api/status/{id}, API token (req/s)" "$acc_status_token" ">= 20000"
printf '%-60s %12s %12s\n' "/api/status/{id}, session cookie (req/s)" "$acc_status_cookie" ">= 20000"
printf '%-60s %12s %12s\n' "  token / none" "$(awk -v a=$acc_status_token -v b=$none_status 'BEGIN{printf "%.2fx", a/b}')" "-"
printf '%-60s %12s %12s\n' "SSE latency p50 / p99, 100 streams, quiet (ms, $qn samples)" "$q50 / $q99" "-"
printf '%-60s %12s %12s\n' "SSE latency p50 / p99, during 50 parallel logins (ms, $bn)" "$b50 / $b99" "<= 20 p99"
printf '%-60s %12s %12s\n' "logins/s during the storm (one yescrypt thread)" "$lps" "-"
printf '%-60s %12s %12s\n' "  answers in the storm (status:count)" "$lall" "-"
