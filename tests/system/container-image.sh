#!/usr/bin/env bash
# The Containerfile under podman: the image builds from a local debian:bookworm-slim (no registry), its
# size stays within 30 MB of the base, it runs as non-root, pcapd-web binds the port itself and spawns
# sandboxed analyzers, an upload through the published port gives the CLI's report, HEALTHCHECK passes.
# Usage: container-image.sh BUILD_DIR SOURCE_DIR
SYS_TEST_NAME=container
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
src=${2:?usage: container-image.sh BUILD_DIR SOURCE_DIR}
require_root
require_cmd curl
require_cmd python3
podman_setup
corpus=$(corpus_dir "$src")
flood=$(capture_flow_flood 1000000)
IMAGE=localhost/pcapd:system-test
NAME=pcapd-system-test-$$
MAX_GROWTH=$((30 * 1000 * 1000))
TMP=$(mktemp -d /tmp/pcapd-container.XXXXXX)
cleanup() {
	local rc=$?
	if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then podman logs --tail 50 "$NAME" >&2 2>/dev/null || true; fi
	podman rm -f -v "$NAME" >/dev/null 2>&1 || true
	rm -rf "$TMP"
	return "$rc"
}
trap cleanup EXIT

podman_base_image
build_start=$(date +%s)
t0=$SECONDS
if ! podman build --pull=never --format docker -f "$src/Containerfile" -t "$IMAGE" "$src" >"$TMP/build.log" 2>&1; then
	tail -40 "$TMP/build.log" >&2
	die "podman build failed"
fi
pass "image built in $((SECONDS - t0)) s"
# Earlier builds of this test leave untagged images behind: remove those (only ours, only older ones;
# the layers of this build stay cached for the next run).
for title in pcapd pcapd-build; do
	podman image prune -f --filter "label=org.opencontainers.image.title=$title" \
		--filter "until=$build_start" >/dev/null 2>&1 || true
done

# --- image metadata ---------------------------------------------------------------------------------------
base_size=$(podman image inspect --format '{{.Size}}' "$SYS_BASE_IMAGE")
size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
growth=$((size - base_size))
msg=$(awk -v s="$size" -v b="$base_size" -v g="$growth" 'BEGIN { printf "image %.1f MB = base %.1f MB + %.1f MB", s / 1e6, b / 1e6, g / 1e6 }')
echo "$msg" >"$TMP/size.txt"
check "size: $msg (target: at most +30 MB)" test "$growth" -le "$MAX_GROWTH"
user=$(podman image inspect --format '{{.Config.User}}' "$IMAGE")
check "image USER is not root ($user)" test -n "$user" -a "$user" != root -a "${user%%:*}" != 0
check "image exposes 8000/tcp" bash -c 'grep -q "8000/tcp" <<<"$1"' _ "$(podman image inspect --format '{{.Config.ExposedPorts}}' "$IMAGE")"
check "image declares the state volume /data" \
	bash -c 'grep -q "/data" <<<"$1"' _ "$(podman image inspect --format '{{.Config.Volumes}}' "$IMAGE")"
check "image has a HEALTHCHECK on /api/health" \
	bash -c 'grep -q "/api/health" <<<"$1"' _ "$(podman image inspect --format '{{.Config.Healthcheck}}' "$IMAGE")"

# --- run it as documented in the README (memory and CPU limits, read-only, no capabilities) --------------
PORT=$(free_port) || die "no free port"
URL=http://127.0.0.1:$PORT
# (podman complains on stderr that it cannot schedule periodic health checks without a host systemd;
# `podman healthcheck run` below runs the check itself.)
podman run -d --name "$NAME" -p "127.0.0.1:$PORT:8000" --memory 1g --cpus 1 \
	--read-only --cap-drop=ALL --security-opt no-new-privileges "$IMAGE" >/dev/null 2>"$TMP/run.err" ||
	{ cat "$TMP/run.err" >&2; die "podman run failed"; }
wait_http "$URL/api/health" 30 || die "pcapd-web in the container did not answer on $URL"
code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/api/health" || true)
check "/api/health through the published port: $code" test "$code" = 200
# 0.0.0.0 in the container is not loopback: accounts, unless asked otherwise. The admin and its token come
# from pcapctl in the running container (as the image's user, on /data).
code=$(command curl -s -o /dev/null -w '%{http_code}' "$URL/api/history" || true)
check "the image runs with accounts by default: anonymous /api/history $code" test "$code" = 401
podman exec -i "$NAME" pcapctl user add ci --role admin --password-stdin <<<"Ci-Admin-Password-7741-tulip" >/dev/null ||
	fail "pcapctl user add in the container"
PCAPD_TOKEN=$(podman exec "$NAME" pcapctl token create ci --label container-test 2>/dev/null || true)
code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/api/history" || true)
check "with the token pcapctl made in the container: /api/history $code" test "$code" = 200
uid=$(podman exec "$NAME" awk '/^Uid:/ { print $2 }' /proc/1/status 2>/dev/null || true)
check "pcapd-web runs as non-root (uid $uid)" test -n "$uid" -a "${uid:-0}" != 0
comm=$(podman exec "$NAME" cat /proc/1/comm 2>/dev/null || true)
check "PID 1 of the container is pcapd-web ($comm)" test "$comm" = pcapd-web
if podman healthcheck run "$NAME" >/dev/null 2>&1; then pass "podman healthcheck run: healthy"
else fail "podman healthcheck run: unhealthy"; fi
check "health status recorded: $(podman inspect --format '{{.State.Health.Status}}' "$NAME" 2>/dev/null)" \
	test "$(podman inspect --format '{{.State.Health.Status}}' "$NAME" 2>/dev/null)" = healthy

# --- the analyzer pcapd-web spawns is sandboxed: catch one during a long (2 s) analysis ---------------------
# One watcher inside the container scans /proc in a tight loop (a podman exec per poll is far too slow),
# then follows that analyzer until it has confined itself. Every process of the container already has
# podman's seccomp filter (and no_new_privs here); the analyzer must add its own filter: one more than
# pcapd-web (PID 1) has.
: >"$TMP/watch.out"
podman exec "$NAME" bash -c 'st() { awk "/^(Uid|NoNewPrivs|Seccomp|Seccomp_filters):/ { printf \"%s%s \", \$1, \$2 }" $1/status 2>/dev/null; }
	nf() { awk "/^Seccomp_filters:/ { print \$2 }" $1/status 2>/dev/null; }
	web=$(nf /proc/1); echo "ready web: $(st /proc/1)"; end=$((SECONDS + 30)); while [ $SECONDS -lt $end ]; do
	for p in /proc/[0-9]*; do
		read -r c 2>/dev/null <$p/comm && [ "$c" = pcapd-analyzer ] || continue
		last=""; while s=$(st $p) && [ -n "$s" ]; do
			last=$s; n=${s##*Seccomp_filters:}; [ "${n%% *}" -gt "${web:-0}" ] 2>/dev/null && break
		done
		[ -n "$last" ] && { echo "analyzer: $last"; exit 0; }
	done; done' >"$TMP/watch.out" 2>/dev/null &
watch_pid=$!
for _ in $(seq 100); do grep -q ready "$TMP/watch.out" && break; sleep 0.05; done
id=$(upload "$URL" "$flood") || die "upload of the flow flood failed"
wait "$watch_pid" || true
web_filters=$(sed -n 's/^ready web: .*Seccomp_filters:\([0-9]*\).*/\1/p' "$TMP/watch.out")
sandbox=$(sed -n 's/^analyzer: //p' "$TMP/watch.out")
an_filters=$(sed -n 's/.*Seccomp_filters:\([0-9]*\).*/\1/p' <<<"$sandbox")
log "analyzer in the container: ${sandbox:-not seen} (pcapd-web: ${web_filters:-?} seccomp filters)"
check "the spawned analyzer confines itself: non-root, no_new_privs, its own seccomp filter on top of podman's (${sandbox:-not seen})" \
	bash -c '[[ $1 == *"NoNewPrivs:1"* && $1 == *"Seccomp:2"* && $1 == *"Uid:"* && $1 != *"Uid:0 "* ]] && [ "${2:-0}" -gt "${3:-0}" ]' _ "$sandbox" "$an_filters" "$web_filters"
st=$(wait_task "$URL" "$id" 180 || true)
check "flow flood (1,000,000 flows) analysed in the container within --memory 1g: $st" test "$st" = completed

# --- uploads through the published port give the CLI's report --------------------------------------------
for f in gen/http-clean.pcap gen/dns.pcap gen/mixed.pcapng real/zeek__wikipedia.pcap; do
	[ -f "$corpus/$f" ] || { fail "$f missing from the corpus"; continue; }
	name=${f##*/}
	id=$(upload "$URL" "$corpus/$f") || { fail "upload of $f"; continue; }
	st=$(wait_task "$URL" "$id" 60 || true)
	[ "$st" = completed ] || { fail "$f: task $st"; continue; }
	curl -s --compressed -o "$TMP/$name.web.json" "$URL/api/reports/$id/json"
	# The CLI of the same image, on the same file.
	podman run --rm --no-healthcheck -v "$corpus:/corpus:ro" --entrypoint /usr/bin/pcap-analyzer "$IMAGE" \
		analyze "/corpus/$f" --json - -q >"$TMP/$name.cli.json" 2>"$TMP/$name.cli.err" || true
	if python3 "$(dirname "${BASH_SOURCE[0]}")/report-compare.py" "$TMP/$name.web.json" "$TMP/$name.cli.json" >"$TMP/$name.cmp" 2>&1; then
		pass "$f: web report (task $id) = CLI report ($(cat "$TMP/$name.cmp"))"
	else
		fail "$f: web report differs from the CLI's"; head -20 "$TMP/$name.cmp" "$TMP/$name.cli.err" >&2
	fi
done

# --- retention without systemd: pcapd-web in the container expires reports itself ---------------------------
EXP=${NAME}-expiry
PORT2=$(free_port) || die "no free port"
podman rm -f "$EXP" >/dev/null 2>&1 || true
if podman run -d --name "$EXP" -p "127.0.0.1:$PORT2:8000" -e PCAPD_RETENTION_SECONDS=3 -e PCAPD_AUTH=none \
	--read-only --cap-drop=ALL --security-opt no-new-privileges "$IMAGE" >/dev/null 2>"$TMP/exp.err" &&
	wait_http "http://127.0.0.1:$PORT2/api/health" 30; then
	saved_token=$PCAPD_TOKEN
	PCAPD_TOKEN=
	id=$(upload "http://127.0.0.1:$PORT2" "$corpus/gen/dns.pcap") || id=""
	st=$(wait_task "http://127.0.0.1:$PORT2" "$id" 60 || true)
	check "retention: the upload completes ($st)" test "$st" = completed
	end=$((SECONDS + 20))
	while [ $SECONDS -lt $end ]; do
		st=$(curl -s "http://127.0.0.1:$PORT2/api/status/$id" | json_get status 2>/dev/null || true)
		[ "$st" = expired ] && break
		sleep 0.5
	done
	check "retention in a container (no timer): the task expires after PCAPD_RETENTION_SECONDS=3 ($st)" test "$st" = expired
	left=$(podman exec "$EXP" sh -c "ls /data/reports | grep -c '^$id' || true" 2>/dev/null)
	check "its report files are gone from the volume ($left left)" test "${left:-1}" = 0
	PCAPD_TOKEN=$saved_token
else
	cat "$TMP/exp.err" >&2
	fail "the retention container did not start"
fi
podman rm -f -v "$EXP" >/dev/null 2>&1 || true

# --- the design document's own docker run line (its Annex A.1), read from the document now ---------------
# Adapted only in the image name, docker -> podman, and accounts off (below): it publishes 8000, mounts the volume pcap_data at
# /data, sets MAX_UPLOAD_SIZE_MB and REPORT_TTL_HOURS, --memory=4g --cpus=2 and no-new-privileges.
doc="$(dirname "$corpus")/seed/plan-performance-web.md"
podman rm -f -v "$NAME" >/dev/null 2>&1 || true
if [ ! -f "$doc" ]; then
	log "SKIP the document's docker run: $doc absent"
elif ss -ltn 2>/dev/null | awk '{print $4}' | grep -qE '[:.]8000$'; then
	fail "the document's docker run needs port 8000, which something on this machine holds"
else
	line=$(awk '/^### A\.1/ { a = 1 } a && /^docker run/ { r = 1 } r { print; if ($0 !~ /\\$/) exit }' "$doc")
	if [ -z "$line" ]; then
		fail "the document no longer holds a docker run line under A.1"
	else
		# The document's clients send no credentials: its line runs with accounts off, asked for explicitly
		# (pcapd-web logs a warning for it at start), the one change besides the image name.
		cmd=$(printf '%s\n' "$line" | sed -e 's/^docker run/podman run -e PCAPD_AUTH=none/' -e "s#pcap-analyzer:latest#$IMAGE#")
		PCAPD_TOKEN=
		log "the document's line, adapted: $(tr -s ' \\\n' ' ' <<<"$cmd")"
		doc_name=$(grep -oE -- '--name [^ ]+' <<<"$cmd" | awk '{print $2}')
		doc_vol=$(grep -oE -- '-v [^ :]+:/data' <<<"$cmd" | sed -e 's/^-v //' -e 's/:\/data$//')
		podman rm -f -v "$doc_name" >/dev/null 2>&1 || true
		podman volume rm -f "$doc_vol" >/dev/null 2>&1 || true
		cleanup_doc() { podman rm -f "$doc_name" >/dev/null 2>&1 || true; podman volume rm -f "$doc_vol" >/dev/null 2>&1 || true; }
		trap 'cleanup_doc; cleanup' EXIT
		if ! bash -c "$cmd" >"$TMP/doc-run.out" 2>"$TMP/doc-run.err"; then
			cat "$TMP/doc-run.err" >&2
			fail "the document's docker run (as podman run) failed"
		elif ! wait_http http://127.0.0.1:8000/health 30; then
			fail "the container of the document's docker run did not answer on :8000"
		else
			code=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8000/health || true)
			check "the document's docker run: GET /health $code" test "$code" = 200
			out=$(curl -sS --max-time 60 -F "file=@$corpus/gen/dns.pcap" http://127.0.0.1:8000/upload || true)
			id=$(json_get task_id <<<"$out" 2>/dev/null || true)
			st=$(wait_task http://127.0.0.1:8000 "$id" 60 || true)
			check "the document's docker run: POST /upload -> $st" test "$st" = completed
			mnt=$(podman volume inspect --format '{{.Mountpoint}}' "$doc_vol" 2>/dev/null || true)
			check "the state is in the document's volume $doc_vol ($mnt): the database and the report" \
				test -n "$mnt" -a -s "$mnt/pcapd.db" -a -s "$mnt/reports/$id.html"
			lim=$(curl -sS http://127.0.0.1:8000/api/queue/status | json_get max_upload_bytes 2>/dev/null || true)
			check "MAX_UPLOAD_SIZE_MB=500 from the line: max_upload_bytes $lim" test "$lim" = $((500 << 20))
			mem=$(podman inspect --format '{{.HostConfig.Memory}}' "$doc_name" 2>/dev/null || true)
			check "--memory=4g applied ($mem)" test "$mem" = $((4 << 30))
		fi
		cleanup_doc
	fi
fi

log "$(cat "$TMP/size.txt")"
finish
