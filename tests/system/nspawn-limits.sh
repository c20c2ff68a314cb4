#!/usr/bin/env bash
# Booted systemd (systemd-nspawn): the slice's MemoryMax= kills an analysis that needs more memory (the
# task fails with a message naming the memory limit, the next upload works); the watchdog restarts a
# frontend that stops answering.
# Usage: nspawn-limits.sh BUILD_DIR SOURCE_DIR
SYS_TEST_NAME=nspawn-limits
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
build=${1:?usage: nspawn-limits.sh BUILD_DIR SOURCE_DIR}
src=${2:?usage: nspawn-limits.sh BUILD_DIR SOURCE_DIR}
require_root
corpus=$(corpus_dir "$src")
small=$corpus/gen/http-clean.pcap
flood=$(capture_flow_flood 1000000)
MEMMAX=${PCAPD_TEST_MEMORYMAX:-48M}

ns_pcapd_prepare "$build"
# The engine keeps to its own memory budget and would end cleanly before the cgroup limit: give it a
# budget far above MemoryMax, so that the kernel's limit is what stops the flood of flows.
ns_dropin pcapd-analyzer.slice 50-test "[Slice]
MemoryMax=$MEMMAX
MemorySwapMax=0"
ns_dropin pcapd-web.service 60-limits "[Service]
Environment=PCAPD_MEMORY_BUDGET_MB=4096
WatchdogSec=3s
TimeoutAbortSec=3s"
ns_boot limits

wait_http "$URL/api/health" 20 || die "pcapd-web did not answer"
ns_api_token "$URL" || die "no API token from pcapctl"
limit=$(ns_show pcapd-analyzer.slice MemoryMax)
check "slice MemoryMax=$MEMMAX in effect ($limit)" test -n "$limit" -a "$limit" != infinity
ns_exec systemctl start pcapd-analyzer.slice # realised lazily otherwise, with the first analyzer
mem_cg=$(ns_exec sh -c 'for d in /sys/fs/cgroup/memory /sys/fs/cgroup/memory,cpu; do f=$d/pcapd.slice/pcapd-analyzer.slice; [ -d $f ] && { echo $f; exit; }; done' || true)
kernel_limit=$(ns_exec cat "$mem_cg/memory.limit_in_bytes" 2>/dev/null || echo none)
check "the kernel enforces it (memory.limit_in_bytes $kernel_limit)" test "$kernel_limit" = "$limit"

# --- MemoryMax kills the flood; the task fails with a readable reason -----------------------------------
id=$(upload "$URL" "$flood") || die "upload of the flow flood failed"
st=$(wait_task "$URL" "$id" 120 || true)
check "flow flood: task failed ($st)" test "$st" = failed
msg=$(curl -s "$URL/api/status/$id" | json_get error_message || true)
log "error_message: $msg"
check "the error message says the memory limit was hit" bash -c 'grep -qi "memory" <<<"$1"' _ "$msg"
failcnt=$(ns_exec cat "$mem_cg/memory.failcnt" 2>/dev/null || echo 0)
oom=$(ns_exec journalctl --no-pager -o cat -u 'pcapd-analyzer@*' 2>/dev/null |
	grep -Eci 'oom|out of memory|signal=KILL|code=killed' || true)
check "the kernel's limit stopped it (failcnt $failcnt, $oom OOM/kill journal lines)" test "${failcnt:-0}" -gt 0 -a "$oom" -gt 0
check "pcapd-web survived" test "$(ns_show pcapd-web.service ActiveState)" = active
id=$(upload "$URL" "$small") || die "upload after the OOM kill failed"
st=$(wait_task "$URL" "$id" 60 || true)
check "the next upload works: $st" test "$st" = completed

# --- watchdog: a frontend that stops answering is killed and restarted ----------------------------------
pid=$(ns_show pcapd-web.service MainPID)
restarts=$(ns_show pcapd-web.service NRestarts)
check "pcapd-web.service has WatchdogSec=3s" test "$(ns_show pcapd-web.service WatchdogUSec)" = 3s
ns_exec kill -STOP "$pid"
log "stopped pcapd-web (pid $pid in the container); waiting for the watchdog"
new=$pid
for _ in $(seq 150); do
	new=$(ns_show pcapd-web.service MainPID)
	[ -n "$new" ] && [ "$new" != 0 ] && [ "$new" != "$pid" ] && break
	sleep 0.1
done
check "watchdog restarted pcapd-web (pid $pid -> $new, NRestarts $restarts -> $(ns_show pcapd-web.service NRestarts))" \
	test -n "$new" -a "$new" != 0 -a "$new" != "$pid"
check "journal says: Watchdog timeout" \
	bash -c 'grep -q "Watchdog timeout" <<<"$1"' _ "$(ns_exec journalctl --no-pager -o cat -u pcapd-web.service 2>&1)"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 "$URL/api/health" || true)
check "the restarted frontend answers (/api/health $code)" test "$code" = 200
id=$(upload "$URL" "$small") || die "upload after the watchdog restart failed"
st=$(wait_task "$URL" "$id" 60 || true)
check "uploads work after the restart: $st" test "$st" = completed

finish
