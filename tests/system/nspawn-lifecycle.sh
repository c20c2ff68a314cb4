#!/usr/bin/env bash
# Booted systemd (systemd-nspawn): `systemctl stop pcapd-web` during an upload and a running analysis
# leaves a consistent database, no orphan files or processes, and the queued task runs after the next
# start; pcapd-reaper.timer fires and the reaper removes expired reports.
# Usage: nspawn-lifecycle.sh BUILD_DIR SOURCE_DIR
SYS_TEST_NAME=nspawn-lifecycle
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
build=${1:?usage: nspawn-lifecycle.sh BUILD_DIR SOURCE_DIR}
src=${2:?usage: nspawn-lifecycle.sh BUILD_DIR SOURCE_DIR}
require_root
corpus=$(corpus_dir "$src")
small=$corpus/gen/http-clean.pcap
large=$(capture_large "$corpus")
flood=$(capture_flow_flood 1000000)
RETENTION=10

ns_pcapd_prepare "$build"
# One analysis at a time, slowed down by the quota, so that one runs while another waits and is still
# running when pcapd-web's stop deadline (20 s) passes: the frontend must abort it and requeue it.
ns_dropin pcapd-analyzer.slice 50-test "[Slice]
CPUQuota=2%"
ns_dropin pcapd-web.service 60-lifecycle "[Service]
Environment=PCAPD_WORKERS=1 PCAPD_RETENTION_SECONDS=$RETENTION"
ns_dropin pcapd-reaper.service 60-lifecycle "[Service]
Environment=PCAPD_RETENTION_SECONDS=$RETENTION"
ns_dropin pcapd-reaper.timer 60-lifecycle "[Timer]
OnCalendar=
RandomizedDelaySec=0
AccuracySec=1s
OnActiveSec=2s
OnUnitActiveSec=3s"
ns_boot lifecycle

wait_http "$URL/api/health" 20 || die "pcapd-web did not answer"
ns_api_token "$URL" || die "no API token from pcapctl"

# --- stop during an upload and a running analysis -------------------------------------------------------
idA=$(upload "$URL" "$flood") || die "upload A failed"
ns_wait_analyzer 20 >/dev/null || log "warning: no analyzer seen running for A"
idB=$(upload "$URL" "$small") || die "upload B failed"
stB=$(curl -s "$URL/api/status/$idB" | json_get status || true)
check "B waits in the queue behind A ($stB)" test "$stB" = queued
# C: a slow upload (26 MB at 4 MB/s), cut by the stop.
curl -s -o "$NS_TMP/c.out" --limit-rate 4M --max-time 60 -F "file=@$large" "$URL/api/upload" &
curl_pid=$!
sleep 1.5
stA=$(curl -s "$URL/api/status/$idA" | json_get status || true)
check "A is being analysed when the stop begins ($stA)" test "$stA" = processing
t0=$SECONDS
ns_exec systemctl stop pcapd-web.service || true
log "pcapd-web stopped in $((SECONDS - t0)) s"
wait "$curl_pid" 2>/dev/null || true
check "pcapd-web.service stopped cleanly ($(ns_show pcapd-web.service Result))" \
	test "$(ns_show pcapd-web.service Result)" = success
# An aborted analyzer notices the closed connection at its next progress message and exits.
t0=$SECONDS
while [ -n "$(ns_analyzer_units)" ] && [ $((SECONDS - t0)) -lt 15 ]; do sleep 0.2; done
left=$(ns_analyzer_units | tr '\n' ' ')
check "no analyzer instance outlives the frontend by more than 15 s (${left:-none left after $((SECONDS - t0)) s})" test -z "$left"
procs=$(ns_exec pgrep -fl '/pcapd/pcapd-(web|analyzer)' || true)
check "no pcapd-web/pcapd-analyzer process left (${procs:-none})" test -z "$procs"
ic=$(ns_exec sqlite3 -batch /var/lib/pcapd/pcapd.db 'PRAGMA integrity_check;' 2>&1 || true)
check "database integrity_check: $ic" test "$ic" = ok
# Tasks and files agree: uploads/ only for queued/processing tasks, reports/ only for completed ones,
# nothing else (no temporary files, nothing from the cut upload).
python3 - "$NS_ROOT/var/lib/pcapd" >"$NS_TMP/orphans.txt" 2>&1 <<'PY' && orphans=0 || orphans=1
import os, sqlite3, sys
state = sys.argv[1]
db = sqlite3.connect("file:%s/pcapd.db?mode=ro" % state, uri=True)
tasks = dict(db.execute("SELECT id, status FROM tasks"))
bad = []
for f in sorted(os.listdir(os.path.join(state, "uploads"))):
    if tasks.get(f) not in ("queued", "processing"):
        bad.append("uploads/%s (task %s)" % (f, tasks.get(f)))
for f in sorted(os.listdir(os.path.join(state, "reports"))):
    tid, _, ext = f.partition(".")
    if ext not in ("json", "html") or tasks.get(tid) != "completed":
        bad.append("reports/%s (task %s)" % (f, tasks.get(tid)))
for f in sorted(os.listdir(state)):
    # .reserve: the space pcapd-web keeps to record results when the disk fills up
    if f not in ("uploads", "reports", "pcapd.db", "pcapd.db-wal", "pcapd.db-shm", ".reserve"):
        bad.append(f)
print("tasks:", tasks)
print("orphans:", bad)
sys.exit(1 if bad else 0)
PY
cat "$NS_TMP/orphans.txt" >&2
check "no orphan files in the state directory" test "$orphans" = 0
stA=$(ns_sql "SELECT status FROM tasks WHERE id='$idA';" 2>/dev/null || true)
stB=$(ns_sql "SELECT status FROM tasks WHERE id='$idB';" 2>/dev/null || true)
log "after stop: A=$stA B=$stB"
check "B still queued after the stop ($stB)" test "$stB" = queued
check "A interrupted, waits to run again ($stA), its capture kept" \
	bash -c '[[ ( $1 == processing || $1 == queued ) && -e $2 ]]' _ "$stA" "$NS_ROOT/var/lib/pcapd/uploads/$idA"
# Full speed for the rest.
ns_exec systemctl set-property --runtime pcapd-analyzer.slice CPUQuota=
check "the cut upload C left no task" test "$(ns_sql 'SELECT count(*) FROM tasks;' 2>/dev/null)" = 2

# The next request starts the frontend again (socket activation); A and B complete.
wait_http "$URL/api/health" 20 || fail "pcapd-web did not come back"
stA=$(wait_task "$URL" "$idA" 120 || true)
stB=$(wait_task "$URL" "$idB" 60 || true)
check "after the restart A ends completed ($stA)" test "$stA" = completed
check "after the restart the queued task B runs: $stB" test "$stB" = completed

# --- reaper timer removes expired reports ---------------------------------------------------------------
check "reports of B on disk" test -s "$NS_ROOT/var/lib/pcapd/reports/$idB.json"
log "waiting for retention ($RETENTION s) + the reaper timer"
end=$((SECONDS + RETENTION + 40))
while [ $SECONDS -lt $end ] && [ -e "$NS_ROOT/var/lib/pcapd/reports/$idB.json" ]; do sleep 1; done
runs=$(ns_exec journalctl --no-pager -o cat _PID=1 -u pcapd-reaper.service 2>/dev/null |
	grep -c 'Finished pcapd-reaper.service\|pcapd-reaper.service: Deactivated successfully' || true)
check "pcapd-reaper.timer fired, the reaper ran successfully ($runs runs)" test "$runs" -ge 2
check "the reaper removed B's expired reports" \
	test ! -e "$NS_ROOT/var/lib/pcapd/reports/$idB.json" -a ! -e "$NS_ROOT/var/lib/pcapd/reports/$idB.html"
stB=$(curl -s "$URL/api/status/$idB" | json_get status || true)
check "B is now expired ($stB)" test "$stB" = expired
check "pcapd-reaper.service did not fail" test "$(ns_show pcapd-reaper.service Result)" = success
ic=$(ns_exec sqlite3 -batch /var/lib/pcapd/pcapd.db 'PRAGMA integrity_check;' 2>&1 || true)
check "database integrity_check after the reaper: $ic" test "$ic" = ok

finish
