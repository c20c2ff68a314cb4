#!/usr/bin/env bash
# The Debian packages in a booted systemd (systemd-nspawn): dpkg-buildpackage once per source tree (cached),
# lintian clean, `apt install ./pcapd_*.deb ./pcap-analyzer_*.deb` creates the user and the state directory
# and starts the sockets and the timer, an upload through the socket-activated service is analysed, `apt
# remove` stops everything and keeps /var/lib/pcapd, `apt purge` removes it and leaves nothing behind.
# Usage: nspawn-deb.sh BUILD_DIR SOURCE_DIR
SYS_TEST_NAME=nspawn-deb
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
build=${1:?usage: nspawn-deb.sh BUILD_DIR SOURCE_DIR}
src=${2:?usage: nspawn-deb.sh BUILD_DIR SOURCE_DIR}
require_root
require_cmd systemd-nspawn systemd-container
require_cmd debootstrap
require_cmd nsenter util-linux
require_cmd curl
require_cmd python3
require_cmd dpkg-buildpackage dpkg-dev
require_cmd dh debhelper
(cd "$src" && dpkg-checkbuilddeps) 2>"$build/nspawn-deb.builddeps" ||
	skip "$(cat "$build/nspawn-deb.builddeps") (see debian/control)"
corpus=$(corpus_dir "$src")
capture=$corpus/gen/http-clean.pcap

# --- build the packages once per source tree -------------------------------------------------------------
# The key covers every file dpkg-buildpackage sees (names and contents); build directories are left out.
source_files() {
	if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$src" ls-files -co --exclude-standard
	else
		(cd "$src" && find . -path ./.git -prune -o -type f -print | sed 's|^\./||')
	fi | grep -Ev '^(build[^/]*|obj-[^/]*|debian/(tmp|pcapd|pcap-analyzer|\.debhelper))/' | LC_ALL=C sort
}
mapfile -t files < <(source_files)
key=$( (cd "$src" && printf '%s\n' "${files[@]}" && sha256sum -- "${files[@]}") | sha256sum | cut -c1-12)
debs=$SYS_CACHE/deb-$key
if [ ! -s "$debs/pcapd.deb" ]; then
	sys_lock
	if [ ! -s "$debs/pcapd.deb" ]; then
		version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
		tmp=$(mktemp -d "$SYS_CACHE/deb.XXXXXX")
		mkdir "$tmp/pcapd-$version"
		(cd "$src" && tar -cf - -- "${files[@]}") | tar -C "$tmp/pcapd-$version" -xf -
		log "dpkg-buildpackage -us -uc -b (once for this source tree; cached in $debs)"
		start=$SECONDS
		# The package's own tests (util, docs, engine) run in the other suites: nocheck.
		if ! (cd "$tmp/pcapd-$version" && DEB_BUILD_OPTIONS="nocheck parallel=2" \
			dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1; then
			tail -30 "$tmp/build.log" >&2
			rm -rf "$tmp"
			die "dpkg-buildpackage failed"
		fi
		log "dpkg-buildpackage took $((SECONDS - start)) s"
		rm -rf "$SYS_CACHE"/deb-*
		mkdir "$tmp/out"
		mv "$tmp/pcapd_${version}_"*.deb "$tmp/out/pcapd.deb"
		mv "$tmp/pcap-analyzer_${version}_"*.deb "$tmp/out/pcap-analyzer.deb"
		mv "$tmp"/*.changes "$tmp/out/pcapd.changes"
		mv "$tmp"/*.deb "$tmp"/*.buildinfo "$tmp/build.log" "$tmp/out/"
		mv "$tmp/out" "$debs"
		rm -rf "$tmp"
	fi
	sys_unlock
fi

if command -v lintian >/dev/null 2>&1; then
	out=$(cd "$debs" && lintian --pedantic pcapd.deb pcap-analyzer.deb 2>&1 | grep -v 'running with root privileges' || true)
	if [ -z "$out" ]; then pass "lintian --pedantic reports nothing"
	else fail "lintian --pedantic:"; printf '%s\n' "$out" >&2; fi
else
	log "lintian not installed: not run"
fi

# --- boot a system without pcapd ------------------------------------------------------------------------
ns_prepare_rootfs
PORT=$(free_port) || die "no free port"
URL=http://127.0.0.1:$PORT
# The administrator's drop-in (the host's network is shared: not port 8000). It outlives the package.
ns_dropin pcapd-web.socket 50-test "[Socket]
ListenStream=
ListenStream=127.0.0.1:$PORT"
mkdir -p "$NS_ROOT/root/debs"
cp "$debs/pcapd.deb" "$debs/pcap-analyzer.deb" "$NS_ROOT/root/debs/"
ns_boot deb

# Everything but what the system itself changes as it runs (and the copied packages).
snapshot() {
	ns_exec find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /tmp \
		-o -path /var/tmp -o -path /var/log -o -path /var/cache -o -path /var/lib/apt -o -path /var/lib/dpkg \
		-o -path /var/lib/systemd/timers -o -path /var/lib/systemd/catalog -o -path /root/debs \) -prune \
		-o -print 2>/dev/null | LC_ALL=C sort
}
snapshot >"$NS_TMP/before.txt"

not() { ! "$@"; }
dpkg_knows() { ns_exec dpkg-query -W -f='${db:Status-Abbrev}\n' pcapd pcap-analyzer 2>/dev/null | grep -q '^[a-z][icfhUWt]'; }
systemd_links() {
	ns_exec find /etc/systemd /var/lib/systemd/deb-systemd-helper-enabled \
		/var/lib/systemd/deb-systemd-helper-masked -name 'pcapd*' -not -name pcapd-web.socket.d 2>/dev/null | grep -q .
}
unit_files() { ns_exec systemctl list-unit-files --no-legend 'pcapd*' 2>/dev/null | grep -q .; }

# --- install ----------------------------------------------------------------------------------------------
if ns_exec sh -c 'cd /root/debs && DEBIAN_FRONTEND=noninteractive apt-get install -y ./pcapd.deb ./pcap-analyzer.deb' \
	>"$NS_TMP/apt-install.log" 2>&1; then
	pass "apt-get install ./pcapd.deb ./pcap-analyzer.deb"
else
	tail -30 "$NS_TMP/apt-install.log" >&2
	die "apt-get install of the packages failed"
fi
check "sysusers created the system user pcapd" ns_exec getent passwd pcapd
check "tmpfiles created /var/lib/pcapd owned by pcapd, mode 750" \
	test "$(ns_exec stat -c '%U %a' /var/lib/pcapd 2>/dev/null)" = "pcapd 750"
for u in pcapd-web.socket pcapd-analyzer.socket pcapd-reaper.timer; do
	check "$u enabled and active" test "$(ns_exec systemctl is-enabled "$u" 2>/dev/null) $(ns_show "$u" ActiveState)" = "enabled active"
done
check "pcapd-web.service waits for its first connection" test "$(ns_show pcapd-web.service ActiveState)" = inactive
check "/etc/default/pcapd installed (a conffile)" ns_exec dpkg-query --control-show pcapd conffiles
check "pcap-analyzer on PATH, --version" ns_exec pcap-analyzer --version
check "bash completion installed" ns_exec test -s /usr/share/bash-completion/completions/pcap-analyzer

# --- an upload through the socket-activated service --------------------------------------------------------
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 "$URL/api/health" || true)
check "first request activates pcapd-web: /api/health 200 (got $code)" test "$code" = 200
ns_api_token "$URL" || die "no API token from pcapctl"
id=$(upload "$URL" "$capture") || die "upload of $capture failed"
st=$(wait_task "$URL" "$id" 60 || true)
check "upload $id analysed: $st" test "$st" = completed
curl -sS --max-time 10 -o "$NS_TMP/report.json" "$URL/api/reports/$id/json" || true
check "its JSON report is served" test "$(json_get schema "$NS_TMP/report.json" 2>/dev/null)" = pcapd.report/2

# --- remove: everything stops, the state stays ------------------------------------------------------------
if ns_exec sh -c 'DEBIAN_FRONTEND=noninteractive apt-get remove -y pcapd pcap-analyzer' >"$NS_TMP/apt-remove.log" 2>&1; then
	pass "apt-get remove pcapd pcap-analyzer"
else
	tail -30 "$NS_TMP/apt-remove.log" >&2
	fail "apt-get remove failed"
fi
for u in pcapd-web.socket pcapd-analyzer.socket pcapd-reaper.timer pcapd-web.service; do
	check "$u stopped" bash -c '[ "$1" != active ]' _ "$(ns_show "$u" ActiveState)"
done
check "no pcapd process left" not ns_exec pgrep -f "/pcapd/pcapd-" 
check "analyzer socket removed" not ns_exec test -e /run/pcapd/analyzer.sock
check "port $PORT closed" bash -c '! curl -s -o /dev/null --max-time 3 "$1/api/health"' _ "$URL"
check "remove keeps /var/lib/pcapd and its database" ns_exec test -s /var/lib/pcapd/pcapd.db
check "remove keeps /etc/default/pcapd (a conffile)" ns_exec test -e /etc/default/pcapd

# --- purge: nothing left --------------------------------------------------------------------------------
if ns_exec sh -c 'DEBIAN_FRONTEND=noninteractive apt-get purge -y pcapd' >"$NS_TMP/apt-purge.log" 2>&1; then
	pass "apt-get purge pcapd"
else
	tail -30 "$NS_TMP/apt-purge.log" >&2
	fail "apt-get purge failed"
fi
check "purge removes /var/lib/pcapd" not ns_exec test -e /var/lib/pcapd
check "purge removes /etc/default/pcapd" not ns_exec test -e /etc/default/pcapd
check "dpkg has neither package installed nor configured" not dpkg_knows
check "no enablement symlink or deb-systemd-helper state left" not systemd_links
ns_exec systemctl daemon-reload
check "systemd knows no pcapd unit" not unit_files
snapshot >"$NS_TMP/after.txt"
left=$(comm -13 "$NS_TMP/before.txt" "$NS_TMP/after.txt")
# The system user stays, as Debian keeps system users (its uid may own files elsewhere); its entries are
# file contents, not paths.
check "no file or directory left behind${left:+: $(tr '\n' ' ' <<<"$left")}" test -z "$left"
check "the system user pcapd stays (Debian keeps system users)" ns_exec getent passwd pcapd
finish
