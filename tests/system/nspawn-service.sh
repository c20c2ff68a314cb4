#!/usr/bin/env bash
# Booted systemd (systemd-nspawn): socket activation by the first HTTP request and STATUS=; each upload
# analysed in a fresh pcapd-analyzer@ instance inside pcapd-analyzer.slice, as an unprivileged dynamic
# user, without network and without a view of the state directory; CPUQuota= enforced; journal fields.
# Usage: nspawn-service.sh BUILD_DIR SOURCE_DIR
SYS_TEST_NAME=nspawn-service
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
build=${1:?usage: nspawn-service.sh BUILD_DIR SOURCE_DIR}
src=${2:?usage: nspawn-service.sh BUILD_DIR SOURCE_DIR}
require_root
corpus=$(corpus_dir "$src")
small=$corpus/gen/http-clean.pcap
large=$(capture_large "$corpus")

QUOTA=2 # percent
ns_pcapd_prepare "$build"
# A low quota makes the large analysis last long enough to inspect the running instance, and must throttle.
ns_dropin pcapd-analyzer.slice 50-test "[Slice]
CPUQuota=$QUOTA%"
ns_boot service

# --- sysusers.d / tmpfiles.d / sockets, before anything is started --------------------------------------
check "sysusers.d created the pcapd system user" ns_exec getent passwd pcapd
check "tmpfiles.d created /var/lib/pcapd owned by pcapd" \
	test "$(ns_exec stat -c %U /var/lib/pcapd 2>/dev/null)" = pcapd
check "pcapd-web.socket listening" test "$(ns_show pcapd-web.socket ActiveState)" = active
check "pcapd-analyzer.socket listening" test "$(ns_show pcapd-analyzer.socket ActiveState)" = active
check "pcapd-reaper.timer waiting" test "$(ns_show pcapd-reaper.timer ActiveState)" = active
check "pcapd-web.service not started before the first request" \
	test "$(ns_show pcapd-web.service ActiveState)" = inactive

# --- socket activation, Type=notify, STATUS= ------------------------------------------------------------
code=$(curl -s -o "$NS_TMP/health.json" -w '%{http_code}' --max-time 20 "$URL/api/health" || true)
check "first request to $URL/api/health answered 200 (got $code)" test "$code" = 200
ns_api_token "$URL" || die "no API token from pcapctl"
check "the request activated pcapd-web.service" test "$(ns_show pcapd-web.service ActiveState)" = active
check "pcapd-web.service is Type=notify and ready (SubState running)" \
	test "$(ns_show pcapd-web.service SubState)" = running
status_text=$(ns_show pcapd-web.service StatusText)
check "STATUS= reported (\"$status_text\")" test -n "$status_text"
check "systemctl status shows the STATUS= line" \
	bash -c 'grep -q "Status: \"" <<<"$1"' _ "$(ns_exec systemctl status --no-pager pcapd-web.service 2>&1 || true)"
web_pid=$(ns_show pcapd-web.service MainPID)
check "pcapd-web runs as user pcapd" test "$(ns_exec ps -o user= -p "$web_pid" 2>/dev/null | tr -d ' ')" = pcapd
check "pcapd-web has its own network namespace (PrivateNetwork=yes) yet serves the inherited socket" \
	test "$(ns_exec readlink "/proc/$web_pid/ns/net")" != "$(ns_exec readlink /proc/1/ns/net)"

# --- an upload runs in a fresh, sandboxed pcapd-analyzer@ instance in pcapd-analyzer.slice ---------------
id1=$(upload "$URL" "$large") || die "upload of $large failed"
unit=$(ns_wait_analyzer 20 || true)
check "an analyzer instance started for the upload ($unit)" test -n "$unit"
if [ -n "$unit" ]; then
	apid=$(ns_show "$unit" MainPID)
	# Until systemd's child has exec'd the binary it is still "(analyzer)", root, not yet sandboxed.
	for _ in $(seq 100); do
		[ "$(ns_exec cat "/proc/$apid/comm" 2>/dev/null)" = pcapd-analyzer ] && break
		sleep 0.02
	done
	check "analyzer instance runs pcapd-analyzer (pid $apid)" \
		test "$(ns_exec cat "/proc/$apid/comm" 2>/dev/null)" = pcapd-analyzer
	cg=$(ns_exec cat "/proc/$apid/cgroup" 2>/dev/null | grep -m1 ':name=systemd:' || true)
	check "analyzer cgroup is in pcapd-analyzer.slice ($cg)" \
		bash -c '[[ $1 == *"/pcapd.slice/pcapd-analyzer.slice/pcapd-analyzer@"*".service"* ]]' _ "$cg"
	check "analyzer unit Slice=pcapd-analyzer.slice" test "$(ns_show "$unit" Slice)" = pcapd-analyzer.slice
	auid=$(ns_exec awk '/^Uid:/ { print $2 }' "/proc/$apid/status" 2>/dev/null || true)
	puid=$(ns_exec id -u pcapd)
	check "analyzer runs unprivileged (uid $auid; not root, not pcapd: a dynamic user)" \
		test -n "$auid" -a "${auid:-0}" != 0 -a "${auid:-0}" != "$puid"
	check "analyzer has NoNewPrivs and a seccomp filter" \
		bash -c 'grep -q "^NoNewPrivs:[[:space:]]*1" <<<"$1" && grep -q "^Seccomp:[[:space:]]*2" <<<"$1"' _ \
		"$(ns_exec cat "/proc/$apid/status" 2>/dev/null)"
	links=$(ns_exec nsenter -t "$apid" -n ip -o link show 2>/dev/null | awk -F': ' '{ print $2 }' | tr '\n' ' ')
	check "analyzer sees no network but lo (links: $links)" test "$links" = "lo "
	check "analyzer has no view of the state directory" \
		ns_exec nsenter -t "$apid" -m sh -c '! test -e /var/lib/pcapd/pcapd.db && ! ls /var/lib/pcapd >/dev/null 2>&1'
	check "analyzer has no view of the analyzer socket directory" \
		ns_exec nsenter -t "$apid" -m sh -c '! test -S /run/pcapd/analyzer.sock'
fi
st=$(wait_task "$URL" "$id1" 120 || true)
check "large upload analysed: $st" test "$st" = completed

# --- CPUQuota= of the slice -----------------------------------------------------------------------------
slice_cpu=$(ns_exec sh -c 'for d in /sys/fs/cgroup/cpu /sys/fs/cgroup/cpu,cpuacct; do f=$d/pcapd.slice/pcapd-analyzer.slice; [ -d $f ] && { echo $f; exit; }; done' || true)
quota=$(ns_exec cat "$slice_cpu/cpu.cfs_quota_us" 2>/dev/null || echo none)
period=$(ns_exec cat "$slice_cpu/cpu.cfs_period_us" 2>/dev/null || echo none)
check "CPUQuota=$QUOTA% in the slice's cgroup (cfs_quota_us $quota / period $period)" \
	test "$quota" != none -a "$period" != none -a "$((${quota/none/0} * 100 / QUOTA))" = "${period/none/-1}"
throttled=$(ns_exec awk '$1 == "nr_throttled" { print $2 }' "$slice_cpu/cpu.stat" 2>/dev/null || echo 0)
check "analyses were throttled by the quota (nr_throttled $throttled)" test "${throttled:-0}" -gt 0

# --- a second upload gets another instance; instances are collected --------------------------------------
id2=$(upload "$URL" "$small") || die "upload of $small failed"
st=$(wait_task "$URL" "$id2" 60 || true)
check "small upload analysed: $st" test "$st" = completed
instances=$(ns_exec journalctl --no-pager -o cat -u 'pcapd-analyzer@*' _PID=1 2>/dev/null |
	grep -o 'Started pcapd-analyzer@[^ ]*\.service' | sort -u | wc -l)
check "each upload ran in its own analyzer instance ($instances started)" test "$instances" -ge 2
sleep 0.5
left=$(ns_analyzer_units | wc -l)
check "no analyzer instance left running ($left)" test "$left" = 0

# --- journal: structured fields for one task from upload to report --------------------------------------
ns_exec journalctl --no-pager -o json "PCAPD_TASK_ID=$id2" >"$NS_TMP/task.json" 2>/dev/null || true
events=$(python3 - "$NS_TMP/task.json" <<'PY'
import json, sys
ev = []
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("PCAPD_EVENT"):
        ev.append(e["PCAPD_EVENT"])
print(" ".join(ev))
PY
)
log "journal events of task $id2: $events"
check "journal has PCAPD_TASK_ID/PCAPD_EVENT records for the task" test -n "$events"
check "journal records the upload and the end of the analysis" \
	bash -c 'set -- $1; [ $# -ge 2 ] && printf "%s\n" "$@" | grep -Eq "upload" && printf "%s\n" "$@" | grep -Eq "done|complete|finish|report"' _ "$events"

# --- the analyses' thresholds from /etc/pcapd/analyzer.conf: read by pcapd-web, sent in the JOB to the ----
# --- sandboxed analyzer (which cannot open it), recorded in the report -------------------------------------
mkdir -p "$NS_ROOT/etc/pcapd"
printf '# this site\n[Thresholds]\ngap_ms = 1234.5\n' >"$NS_ROOT/etc/pcapd/analyzer.conf"
ns_exec systemctl restart pcapd-web.service
id3=$(upload "$URL" "$small") || die "upload of $small failed"
st=$(wait_task "$URL" "$id3" 60 || true)
gap=$(curl -s "$URL/api/reports/$id3/json" | python3 -c 'import json, sys; t = json.load(sys.stdin)["thresholds"]["gap_ms"]; print(t["value"], t["set_by"])' 2>/dev/null || true)
check "/etc/pcapd/analyzer.conf reaches the sandboxed analyzer through the job ($st, gap_ms: $gap)" \
	test "$gap" = "1234.5 configuration"
printf '[Thresholds]\ngap_ms = soon\n' >"$NS_ROOT/etc/pcapd/analyzer.conf"
ns_exec systemctl restart pcapd-web.service 2>/dev/null || true
sleep 1
msg=$(ns_exec journalctl --no-pager -o cat -u pcapd-web.service -n 20 2>/dev/null | grep -m1 'analyzer.conf:2' || true)
check "a wrong analyzer.conf stops pcapd-web at start, the journal names the line ($msg)" \
	bash -c '[ "$1" != active ] && [ -n "$2" ]' _ "$(ns_show pcapd-web.service ActiveState)" "$msg"
rm -f "$NS_ROOT/etc/pcapd/analyzer.conf"
ns_exec systemctl reset-failed pcapd-web.service 2>/dev/null || true
ns_exec systemctl restart pcapd-web.socket pcapd-web.service 2>/dev/null || true

# --- HTTPS as pcapd-web(8) documents it: the key by LoadCredential=, the paths through %d ----------------
if command -v openssl >/dev/null; then
	mkdir -p "$NS_ROOT/etc/pcapd" "$NS_ROOT/etc/systemd/system/pcapd-web.service.d"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
		-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$NS_ROOT/etc/pcapd/tls.key" \
		-out "$NS_ROOT/etc/pcapd/tls.crt" 2>/dev/null
	chmod 600 "$NS_ROOT/etc/pcapd/tls.key"  # root's only: the service reads it through the credential
	cat >"$NS_ROOT/etc/systemd/system/pcapd-web.service.d/tls.conf" <<-'EOF'
	[Service]
	LoadCredential=tls.crt:/etc/pcapd/tls.crt
	LoadCredential=tls.key:/etc/pcapd/tls.key
	Environment=PCAPD_TLS_CERT=%d/tls.crt PCAPD_TLS_KEY=%d/tls.key
	EOF
	ns_exec systemctl daemon-reload
	ns_exec systemctl restart pcapd-web.service
	code=$(curl -s --http2 --cacert "$NS_ROOT/etc/pcapd/tls.crt" -o /dev/null -w '%{http_version} %{http_code}' \
		--resolve "localhost:$PORT:127.0.0.1" "https://localhost:$PORT/api/history" || true)
	check "HTTPS through LoadCredential= (the key root's only): /api/history over HTTP/$code" test "$code" = "2 200"
	code=$(command curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$PORT/api/health" || true)
	check "plain HTTP is not answered any more ($code)" test "$code" = 000
else
	log "SKIP the HTTPS check: openssl(1) is not installed"
fi

finish
