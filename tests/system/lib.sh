# Shared helpers of the system tests: skipping, the cached Debian root filesystems, a booted systemd in
# systemd-nspawn (own cgroups, commands via nsenter), and small HTTP/JSON helpers. Sourced, not run.
# shellcheck shell=bash

set -euo pipefail
# A timeout (meson sends SIGTERM) or ^C still runs the EXIT trap: the container is stopped, its cgroups
# and temporary root removed.
trap 'exit 143' TERM
trap 'exit 130' INT

SYS_SUITE=bookworm
SYS_CACHE=${PCAPD_TEST_CACHE:-/var/cache/pcapd-test}
# Packages of the booted test system: systemd, the tools the checks use, and pcapd's runtime libraries.
SYS_NSPAWN_PKGS="systemd systemd-sysv dbus curl procps iproute2 python3 sqlite3 libpcap0.8 libh2o-evloop0.13 libsystemd0 libsqlite3-0 libpq5 libseccomp2 libssl3 libpwquality1 cracklib-runtime libqrencode4"
# Bump when the way the images are made changes (part of the cache key).
SYS_CACHE_VERSION=2

log() { printf '[%s %s] %s\n' "$(date +%T)" "${SYS_TEST_NAME:-system}" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }

# Accumulated check results: a test fails at the end if any check failed, so one run shows them all.
SYS_FAILED=0
pass() { log "ok   - $*"; }
fail() { log "FAIL - $*"; SYS_FAILED=$((SYS_FAILED + 1)); }
check() { # check "description" cmd...
	local what=$1; shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}
finish() {
	if [ "$SYS_FAILED" -gt 0 ]; then log "$SYS_FAILED check(s) failed"; exit 1; fi
	log "all checks passed"; exit 0
}

require_root() { [ "$(id -u)" = 0 ] || skip "needs root (systemd-nspawn, cgroups, podman)"; }
require_cmd() { # require_cmd cmd [debian-package]
	command -v "$1" >/dev/null 2>&1 || skip "$1 missing (apt-get install ${2:-$1}; see tests/packages-test.txt)"
}

# The Debian mirror already configured for apt on this machine (never a hard-coded host).
apt_mirror() {
	local f uri
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		uri=$(awk -v s="$SYS_SUITE" '
			BEGIN { RS = ""; FS = "\n" }
			{ u = ""; ok = 0; en = 1
			  for (i = 1; i <= NF; i++) {
				if ($i ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", $i); split($i, a, /[ \t]+/); u = a[1] }
				if ($i ~ /^Suites:/) { n = split($i, b, /[ \t]+/); for (j = 2; j <= n; j++) if (b[j] == s) ok = 1 }
				if ($i ~ /^Enabled:[ \t]*no/) en = 0
				if ($i ~ /^Types:/ && $i !~ /[ \t]deb([ \t]|$)/) en = 0
			  }
			  if (ok && en && u != "") { print u; exit } }' "$f")
		[ -n "$uri" ] && { echo "$uri"; return 0; }
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		uri=$(awk -v s="$SYS_SUITE" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
			if ($(i + 1) == s) { print $i; exit } }' "$f")
		[ -n "$uri" ] && { echo "$uri"; return 0; }
	done
	return 1
}

mirror_reachable() { curl -fsS -o /dev/null --max-time 15 "$1/dists/$SYS_SUITE/Release"; }

sys_lock() { mkdir -p "$SYS_CACHE"; exec 9>"$SYS_CACHE/.lock"; flock -w 900 9 || die "cache lock timeout"; }
sys_unlock() { flock -u 9; exec 9>&-; }

cache_key() { printf '%s\n' "$SYS_CACHE_VERSION" "$SYS_SUITE" "$@" | sha256sum | cut -c1-12; }

# Strip a minbase rootfs the way Debian's official -slim images are made (debuerreotype): no docs, man
# pages or locales, and dpkg told to keep it that way.
slim_rootfs() {
	local root=$1
	mkdir -p "$root/etc/dpkg/dpkg.cfg.d" "$root/etc/apt/apt.conf.d"
	cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<-'EOF'
	path-exclude /usr/share/doc/*
	path-include /usr/share/doc/*/copyright
	path-exclude /usr/share/man/*
	path-exclude /usr/share/groff/*
	path-exclude /usr/share/info/*
	path-exclude /usr/share/lintian/*
	path-exclude /usr/share/linda/*
	path-exclude /usr/share/locale/*
	path-include /usr/share/locale/locale.alias
	EOF
	cat >"$root/etc/apt/apt.conf.d/docker-clean" <<-'EOF'
	DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
	APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
	Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
	EOF
	echo 'Acquire::Languages "none";' >"$root/etc/apt/apt.conf.d/docker-no-languages"
	echo 'APT::Install-Recommends "false";' >"$root/etc/apt/apt.conf.d/docker-no-recommends"
	find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
	find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
	rm -rf "$root"/usr/share/{man,groff,info,lintian,linda}/* 2>/dev/null || true
	find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} + 2>/dev/null || true
	rm -rf "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
		"$root"/var/log/*.log "$root"/var/log/apt/* "$root"/tmp/* "$root"/var/tmp/* 2>/dev/null || true
	: >"$root/etc/machine-id"
}

# Prints the path of a cached tarball of a minbase rootfs slimmed like debian:bookworm-slim; builds it
# (debootstrap, ~1 min) when missing. Keyed by the mirror and this recipe.
rootfs_slim_tar() {
	local mirror key tar tmp
	mirror=$(apt_mirror) || die "no $SYS_SUITE mirror configured in /etc/apt"
	key=$(cache_key slim "$mirror")
	tar="$SYS_CACHE/$SYS_SUITE-slim-$key.tar"
	if [ ! -s "$tar" ]; then
		sys_lock
		if [ ! -s "$tar" ]; then
			require_cmd debootstrap
			log "building $tar with debootstrap from $mirror (once; cached)"
			tmp=$(mktemp -d "$SYS_CACHE/slim.XXXXXX")
			if ! debootstrap --variant=minbase "$SYS_SUITE" "$tmp/root" "$mirror" >"$tmp/debootstrap.log" 2>&1; then
				tail -20 "$tmp/debootstrap.log" >&2
				rm -rf "$tmp"
				mirror_reachable "$mirror" || skip "the Debian mirror $mirror is unreachable and no cached rootfs exists in $SYS_CACHE"
				die "debootstrap failed"
			fi
			slim_rootfs "$tmp/root"
			tar -C "$tmp/root" --numeric-owner -cf "$tar.part" . && mv "$tar.part" "$tar"
			rm -rf "$tmp"
		fi
		sys_unlock
	fi
	echo "$tar"
}

# Prints the path of a cached tarball of the booted-systemd test rootfs: the slim rootfs plus
# $SYS_NSPAWN_PKGS (apt-get inside systemd-nspawn, ~30 s), keyed by the package list.
rootfs_nspawn_tar() {
	local slim mirror key tar tmp
	slim=$(rootfs_slim_tar)
	mirror=$(apt_mirror)
	key=$(cache_key nspawn "$mirror" "$SYS_NSPAWN_PKGS" "$(basename "$slim")")
	tar="$SYS_CACHE/$SYS_SUITE-nspawn-$key.tar"
	if [ ! -s "$tar" ]; then
		sys_lock
		if [ ! -s "$tar" ]; then
			log "building $tar: $SYS_NSPAWN_PKGS (once; cached)"
			tmp=$(mktemp -d "$SYS_CACHE/nspawn.XXXXXX")
			mkdir "$tmp/root" && tar -C "$tmp/root" -xf "$slim"
			# shellcheck disable=SC2086
			systemd-nspawn -q -D "$tmp/root" --register=no --keep-unit --resolv-conf=copy-host \
				--setenv=DEBIAN_FRONTEND=noninteractive /bin/sh -c \
				"apt-get update -qq && apt-get install -y -qq --no-install-recommends $SYS_NSPAWN_PKGS" \
				>"$tmp/apt.log" 2>&1 || {
				tail -20 "$tmp/apt.log" >&2
				rm -rf "$tmp"
				mirror_reachable "$mirror" || skip "the Debian mirror $mirror is unreachable and no cached rootfs exists in $SYS_CACHE"
				die "apt-get in the rootfs failed"
			}
			slim_rootfs "$tmp/root"
			rm -f "$tmp/root/etc/resolv.conf"
			tar -C "$tmp/root" --numeric-owner -cf "$tar.part" . && mv "$tar.part" "$tar"
			rm -rf "$tmp"
		fi
		sys_unlock
	fi
	echo "$tar"
}

# A loopback TCP port nothing listens on.
free_port() {
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 20000))
		ss -Htln "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return 0; }
	done
	return 1
}

# ---------------------------------------------------------------------------------------------------
# Booted systemd in systemd-nspawn. Recipe: ../shared/notes/systemd-testing.md. Host PID 1 is not systemd
# and is never touched; the container runs in cgroups of its own, removed afterwards.

NS_ROOT="" NS_NAME="" NS_PID="" NS_LEADER="" NS_TMP="" NS_CGROUPS=()

# ns_prepare BUILD_DIR: fresh rootfs from the cache in a temp dir, pcapd installed with meson install.
ns_prepare() {
	local build=$1
	ns_prepare_rootfs
	meson install -C "$build" --destdir "$NS_ROOT" --no-rebuild --quiet >"$NS_TMP/install.log" 2>&1 ||
		{ cat "$NS_TMP/install.log" >&2; die "meson install into the rootfs failed"; }
}

# ns_prepare_rootfs: fresh rootfs from the cache in a temp dir, ready to boot, without pcapd.
ns_prepare_rootfs() {
	local tar
	tar=$(rootfs_nspawn_tar)
	NS_TMP=$(mktemp -d /var/tmp/pcapd-nspawn.XXXXXX)
	trap ns_cleanup EXIT
	NS_ROOT=$NS_TMP/root
	mkdir "$NS_ROOT"
	tar -C "$NS_ROOT" -xf "$tar"
	# First boot: make systemd-sysusers / tmpfiles / ldconfig run (ConditionNeedsUpdate, ConditionFirstBoot).
	rm -f "$NS_ROOT/etc/.updated" "$NS_ROOT/var/.updated"
	mkdir -p "$NS_ROOT/var/log/journal"
	cat >"$NS_ROOT/pcapd-test-init" <<-'EOF'
	#!/bin/sh
	# nspawn mounts the cgroup v1 controllers read-only: remount them (in this container's view only) so
	# that MemoryMax= and CPUQuota= are enforced.
	for c in memory cpu cpuacct pids; do mount -o remount,bind,rw /sys/fs/cgroup/$c 2>/dev/null; done
	exec /lib/systemd/systemd "$@"
	EOF
	chmod 755 "$NS_ROOT/pcapd-test-init"
	echo "pcapd-test" >"$NS_ROOT/etc/hostname"
	# Nothing in the test system needs these; they only slow the boot down.
	systemctl --root="$NS_ROOT" mask --quiet apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer \
		fstrim.timer systemd-networkd-wait-online.service 2>/dev/null || true
}

# ns_dropin UNIT NAME CONTENT: /etc/systemd/system/UNIT.d/NAME.conf in the rootfs (before boot).
ns_dropin() {
	mkdir -p "$NS_ROOT/etc/systemd/system/$1.d"
	printf '%s\n' "$3" >"$NS_ROOT/etc/systemd/system/$1.d/$2.conf"
}

ns_cgroup_dirs() { # one directory per hierarchy, under the path this process has in it
	local h line path
	for h in memory cpu cpuacct pids systemd unified; do
		[ -d "/sys/fs/cgroup/$h" ] || continue
		case $h in
		systemd) line=$(grep -m1 ':name=systemd:' /proc/self/cgroup || true) ;;
		unified) line=$(grep -m1 '^0::' /proc/self/cgroup || true) ;;
		*) line=$(awk -F: -v c="$h" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) { print; exit } }' /proc/self/cgroup) ;;
		esac
		path=${line#*:*:}
		[ -n "$line" ] || path=/
		echo "/sys/fs/cgroup/$h${path%/}/$NS_NAME"
	done
}

# ns_boot NAME: boots the prepared rootfs; returns once systemd reports running (or degraded). NS_BIND: more
# systemd-nspawn arguments (e.g. --bind=…), an array.
ns_boot() {
	NS_NAME=pcapd-$1-$$
	mapfile -t NS_CGROUPS < <(ns_cgroup_dirs)
	local d
	for d in "${NS_CGROUPS[@]}"; do mkdir -p "$d"; done
	(
		for d in "${NS_CGROUPS[@]}"; do echo "$BASHPID" >"$d/cgroup.procs"; done
		exec systemd-nspawn -q -D "$NS_ROOT" -M "$NS_NAME" --register=no --keep-unit --console=passive \
			--kill-signal=SIGRTMIN+3 --resolv-conf=off --timezone=off --link-journal=no \
			"${NS_BIND[@]+"${NS_BIND[@]}"}" /pcapd-test-init
	) >"$NS_TMP/nspawn.log" 2>&1 &
	NS_PID=$!
	local i state
	for i in $(seq 100); do
		NS_LEADER=$(pgrep -P "$NS_PID" -x systemd || true)
		[ -n "$NS_LEADER" ] && break
		kill -0 "$NS_PID" 2>/dev/null || { cat "$NS_TMP/nspawn.log" >&2; die "systemd-nspawn exited"; }
		sleep 0.1
	done
	[ -n "$NS_LEADER" ] || { cat "$NS_TMP/nspawn.log" >&2; die "no systemd in the container"; }
	for i in $(seq 300); do
		state=$(ns_exec systemctl is-system-running 2>/dev/null || true)
		case $state in running | degraded) break ;; esac
		sleep 0.1
	done
	log "booted $NS_NAME (nspawn pid $NS_PID, systemd pid $NS_LEADER): $state"
	[ "$state" = running ] || ns_exec systemctl --no-pager --failed >&2 || true
	case $state in running | degraded) ;; *) die "system did not come up: $state" ;; esac
}

# ns_exec CMD...: runs CMD inside the container (all its namespaces), with a clean environment.
ns_exec() {
	nsenter -t "$NS_LEADER" -a env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		SYSTEMD_PAGER= SYSTEMD_COLORS=0 LANG=C.UTF-8 "$@"
}

ns_journal_dump() { ns_exec journalctl --no-pager -o short-precise -n "${1:-200}" >&2 2>/dev/null || true; }

ns_stop() {
	[ -n "$NS_PID" ] || return 0
	if kill -0 "$NS_PID" 2>/dev/null; then
		kill -TERM "$NS_PID" 2>/dev/null || true
		local i
		for i in $(seq 100); do kill -0 "$NS_PID" 2>/dev/null || break; sleep 0.1; done
		if kill -0 "$NS_PID" 2>/dev/null; then
			log "container did not halt in 10 s; killing systemd-nspawn (pid $NS_PID)"
			kill -KILL "$NS_PID" 2>/dev/null || true
		fi
	fi
	wait "$NS_PID" 2>/dev/null || true
	NS_PID=""
}

ns_cleanup() {
	local rc=$?
	if [ "$rc" != 0 ] && [ "$rc" != 77 ] && [ -n "$NS_LEADER" ] && [ -n "$NS_PID" ]; then
		log "journal of the test system (last 150 lines):"
		ns_journal_dump 150
	fi
	ns_stop
	local d i
	for d in "${NS_CGROUPS[@]+"${NS_CGROUPS[@]}"}"; do
		[ -d "$d" ] || continue
		for i in $(seq 20); do
			find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
			[ -d "$d" ] || break
			sleep 0.1
		done
		[ -d "$d" ] && log "warning: could not remove cgroup $d"
	done
	[ -n "$NS_TMP" ] && [ -z "${PCAPD_TEST_KEEP:-}" ] && rm -rf "$NS_TMP"
	[ -n "${PCAPD_TEST_KEEP:-}" ] && log "kept $NS_TMP"
	return "$rc"
}

# ---------------------------------------------------------------------------------------------------
# HTTP / JSON helpers (host side; the container shares the host's network).

json_get() { # json_get KEY [FILE|-]: prints one top-level member ("" when null or missing)
	python3 -c 'import json,sys
d = json.load(open(sys.argv[2]) if sys.argv[2] != "-" else sys.stdin)
v = d.get(sys.argv[1]) if isinstance(d, dict) else None
print("" if v is None else (json.dumps(v) if isinstance(v, (dict, list)) else v))' "$1" "${2:--}"
}

# Under accounts (the shipped units run --auth=accounts), every curl of these scripts sends the API token of
# an admin that ns_api_token made with pcapctl inside the container; `command curl` sends none.
PCAPD_TOKEN=
curl() {
	if [ -n "$PCAPD_TOKEN" ]; then command curl -H "Authorization: Bearer $PCAPD_TOKEN" "$@"; else command curl "$@"; fi
}

# ns_api_token URL: checks that the socket-activated service refuses an anonymous request (401), then
# creates the admin "ci" and its token with pcapctl in the container (as root: pcapctl becomes the state
# directory's owner) and sets PCAPD_TOKEN.
ns_api_token() {
	local code
	code=$(command curl -s -o /dev/null -w '%{http_code}' --max-time 20 "$1/api/history" || true)
	check "an anonymous request to the shipped units (accounts) gets 401 (got $code)" test "$code" = 401
	ns_exec pcapctl user add ci --role admin --password-stdin <<<"Ci-Admin-Password-7741-tulip" >/dev/null ||
		{ log "pcapctl user add failed"; return 1; }
	PCAPD_TOKEN=$(ns_exec pcapctl token create ci --label system-test) || return 1
	[ -n "$PCAPD_TOKEN" ] || return 1
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 "$1/api/history" || true)
	check "with the token made by pcapctl: /api/history $code" test "$code" = 200
	owner=$(ns_exec stat -c %U /var/lib/pcapd/pcapd.db 2>/dev/null || true)
	check "pcapctl run as root left the database to the service user ($owner)" test "$owner" = pcapd
}

# upload URL FILE: POST /api/upload (multipart), prints the task id.
upload() {
	local out
	out=$(curl -sS --max-time 60 -F "file=@$2" "$1/api/upload") || return 1
	json_get task_id <<<"$out" | grep -E '^[0-9a-f]{32}$' || { log "upload answered: $out"; return 1; }
}

# wait_task URL ID TIMEOUT_S: waits until the task leaves queued/processing; prints its final status.
wait_task() {
	local end=$((SECONDS + $3)) st=""
	while [ $SECONDS -lt "$end" ]; do
		st=$(curl -sS --max-time 5 "$1/api/status/$2" 2>/dev/null | json_get status 2>/dev/null || true)
		case $st in completed | failed | expired) echo "$st"; return 0 ;; esac
		sleep 0.2
	done
	echo "${st:-unknown}"
	return 1
}

wait_http() { # wait_http URL TIMEOUT_S: until URL answers at all
	local end=$((SECONDS + $2))
	while [ $SECONDS -lt "$end" ]; do
		curl -s -o /dev/null --max-time 2 "$1" && return 0
		sleep 0.2
	done
	return 1
}

# ---------------------------------------------------------------------------------------------------
# podman (tier 3). Settings: containers.conf beside this file (runc, cgroupfs, ulimits), from the very
# first podman command on, so storage and runtime never change between runs.

SYS_BASE_IMAGE=docker.io/library/debian:bookworm-slim

podman_setup() {
	require_cmd podman
	require_cmd runc
	export CONTAINERS_CONF
	CONTAINERS_CONF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/containers.conf
}

# No registry is reachable: make debian:bookworm-slim locally from the cached slim rootfs, under the
# official name, so the Containerfile is the one a user builds against the registry.
podman_base_image() {
	local tar stamp id
	tar=$(rootfs_slim_tar)
	stamp="$SYS_CACHE/podman-base.id"
	id=$(podman image inspect --format '{{.Id}}' "$SYS_BASE_IMAGE" 2>/dev/null || true)
	if [ -z "$id" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$id $(basename "$tar")" ]; then
		log "importing $tar as $SYS_BASE_IMAGE"
		id=$(podman import --quiet \
			--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
			--change 'CMD ["bash"]' "$tar" "$SYS_BASE_IMAGE") || die "podman import failed"
		id=$(podman image inspect --format '{{.Id}}' "$SYS_BASE_IMAGE")
		echo "$id $(basename "$tar")" >"$stamp"
	fi
}

# ---------------------------------------------------------------------------------------------------
# pcapd in the booted test system.

# Test captures: small ones from the corpus, the 131k-packet one built by the corpus' make-large.sh, and
# a "flow flood" (one TCP SYN per flow) that needs far more memory than the test's MemoryMax. Built
# captures are cached next to the root filesystems.
corpus_dir() {
	local src=$1 c=${PCAPD_CORPUS:-}
	[ -n "$c" ] && [ -d "$c/gen" ] || c=$src/../shared/corpus
	[ -d "$c/gen" ] || skip "test corpus not found (../shared/corpus beside the repository, or PCAPD_CORPUS)"
	(cd "$c" && pwd)
}

capture_large() { # prints the path of large-131k.pcap (26 MB)
	local corpus=$1 out="$SYS_CACHE/large-131k.pcap"
	if [ ! -s "$out" ]; then
		require_cmd editcap wireshark-common
		mkdir -p "$SYS_CACHE"
		bash "$corpus/make-large.sh" --out "$out.part" >/dev/null 2>&1 || die "make-large.sh failed"
		mv "$out.part" "$out"
	fi
	echo "$out"
}

capture_flow_flood() { # prints the path of a capture of N one-packet TCP flows (default 1,000,000: 70 MB)
	local n=${1:-1000000} out="$SYS_CACHE/flow-flood-${1:-1000000}.pcap"
	if [ ! -s "$out" ]; then
		mkdir -p "$SYS_CACHE"
		PYTHONPATH="$(dirname "${BASH_SOURCE[0]}")/../pcapwrite" python3 - "$out.part" "$n" <<-'PY'
		import struct, sys
		import pcapwrite as pw
		out, n = sys.argv[1], int(sys.argv[2])
		eth = bytes.fromhex("029900000002029900000001") + b"\x08\x00"
		# IP and TCP packed by hand (checksums 0), not with pw.ipv4/pw.tcp: a million packets take seconds
		with pw.PcapWriter(out, pw.DLT_EN10MB, snaplen=65535) as w:
		    for i in range(n):
		        src = 0x0a000000 | (i >> 8)            # 10.x.y.0/24 blocks: every packet a new 5-tuple
		        sport = 1024 + (i & 0xff)
		        ip = struct.pack("!BBHHHBBHII", 0x45, 0, 40, i & 0xffff, 0, 64, 6, 0, src, 0x0a630002)
		        tcp = struct.pack("!HHIIBBHHH", sport, 80, i, 0, 0x50, 0x02, 64240, 0, 0)
		        w.write_ns(1735689600 * 10**9 + i * 10000, eth + ip + tcp)
		PY
		mv "$out.part" "$out"
	fi
	echo "$out"
}

# ns_pcapd_prepare BUILD NAME: rootfs with pcapd installed, the web socket on a free loopback port
# ($PORT, $URL), the sockets and the timer enabled. Drop-ins may be added before ns_boot.
ns_pcapd_prepare() {
	local build=$1
	require_root
	require_cmd systemd-nspawn systemd-container
	require_cmd debootstrap
	require_cmd nsenter util-linux
	require_cmd curl
	require_cmd python3
	[ -f "$build/build.ninja" ] || die "$build is not a meson build directory"
	ns_prepare "$build"
	[ -x "$(find "$NS_ROOT/usr" -path '*/pcapd/pcapd-web' -print -quit)" ] || die "pcapd-web not installed (daemons not built?)"
	PORT=$(free_port) || die "no free port"
	URL=http://127.0.0.1:$PORT
	ns_dropin pcapd-web.socket 50-test "[Socket]
ListenStream=
ListenStream=127.0.0.1:$PORT"
	# No core files from the deliberate watchdog abort; quicker restarts.
	ns_dropin pcapd-web.service 50-test "[Service]
LimitCORE=0
RestartSec=200ms"
	systemctl --root="$NS_ROOT" enable --quiet pcapd-web.socket pcapd-analyzer.socket pcapd-reaper.timer ||
		die "systemctl enable failed"
}

ns_show() { ns_exec systemctl show -P "$2" "$1" 2>/dev/null; } # ns_show UNIT PROPERTY

# Running pcapd-analyzer@ instances, one per line.
ns_analyzer_units() {
	ns_exec systemctl list-units --no-legend --plain --state=active 'pcapd-analyzer@*.service' 2>/dev/null |
		awk '{ print $1 }'
}

# ns_wait_analyzer TIMEOUT_S: prints the first pcapd-analyzer@ instance seen running.
ns_wait_analyzer() {
	local end=$((SECONDS + $1)) u
	while [ $SECONDS -lt "$end" ]; do
		u=$(ns_analyzer_units | head -1)
		[ -n "$u" ] && { echo "$u"; return 0; }
		sleep 0.05
	done
	return 1
}

ns_sql() { ns_exec sqlite3 -batch -readonly /var/lib/pcapd/pcapd.db "$@"; }
