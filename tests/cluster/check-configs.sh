#!/usr/bin/env bash
# The shipped cluster configurations (units/cluster/) pass their tools' own checks: haproxy -c (with its
# default addresses and with compose's names), nginx -t, systemd-analyze verify of the node template
# (prints nothing) and its settings the same as pcapd-web.service's, and compose.yaml parses with the
# password only as a secret.
# Usage: check-configs.sh SOURCE_DIR BUILD_DIR. Exit 77 when haproxy is missing.
set -uo pipefail
src=$1 build=$2
dir=$src/units/cluster
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
PATH=$PATH:/usr/sbin:/sbin
command -v haproxy >/dev/null || { echo "SKIP: haproxy not installed (Debian: apt-get install haproxy)"; exit 77; }
T=$(mktemp -d /tmp/pcapd-cluster-configs.XXXXXX)
trap 'rm -rf "$T"' EXIT

out=$(cd "$T" && haproxy -c -q -f "$dir/haproxy.cfg" 2>&1) && ok "haproxy -c haproxy.cfg" || bad "haproxy -c: $out"
# compose's names do not resolve here: the nodes start out (a warning), the file must still be valid
out=$(cd "$T" && PCAPD_LB_BIND=:8080 PCAPD_NODE1=pcapd1:8000 PCAPD_NODE2=pcapd2:8000 PCAPD_NODE3=pcapd3:8000 \
        haproxy -c -f "$dir/haproxy.cfg" 2>&1) && ok "haproxy -c haproxy.cfg with compose's node names" ||
        bad "haproxy -c with compose's names: $out"

if command -v nginx >/dev/null; then
        out=$(nginx -t -p "$T/" -c "$dir/nginx.conf" -e stderr 2>&1) && ok "nginx -t nginx.conf" || bad "nginx -t: $out"
else
        echo "skip nginx -t: nginx not installed"
fi

if command -v systemd-analyze >/dev/null; then
        mkdir -p "$T/usr/libexec/pcapd" "$T/etc/systemd/system" "$T/usr/lib/systemd"
        cp "$build/daemons/web/pcapd-web" "$build/daemons/analyzer/pcapd-analyzer" "$T/usr/libexec/pcapd/"
        cp "$dir/pcapd-web@.socket" "$src/units/pcapd-analyzer.socket" "$src/units/pcapd-analyzer.slice" \
                "$T/etc/systemd/system/"
        sed 's|@libexecdir@|/usr/libexec|g' "$dir/pcapd-web@.service.in" >"$T/etc/systemd/system/pcapd-web@.service"
        sed 's|@libexecdir@|/usr/libexec|g' "$src/units/pcapd-analyzer@.service.in" >"$T/etc/systemd/system/pcapd-analyzer@.service"
        cp -a /lib/systemd/system "$T/usr/lib/systemd/system"   # sysinit.target, sockets.target, …
        out=$(cd "$T" && systemd-analyze verify --man=no --root="$T" pcapd-web@8001.socket pcapd-web@8001.service 2>&1)
        rc=$?
        [ "$rc" = 0 ] && [ -z "$out" ] && ok "systemd-analyze verify pcapd-web@8001.socket pcapd-web@8001.service prints nothing" ||
                bad "systemd-analyze verify (exit $rc): $out"
else
        echo "skip systemd-analyze verify: systemd not installed"
fi

# the template is pcapd-web.service but for its head and its state directory (each node its own): the rest
# (environment, sandbox) must not drift
body() { sed -n '/^# Analyses run in/,/^\[Install\]/p' "$1" | sed 's|@libexecdir@|/usr/libexec|g; s|^StateDirectory=pcapd/%i$|StateDirectory=pcapd|'; }
if [ -n "$(body "$dir/pcapd-web@.service.in")" ] && diff <(body "$src/units/pcapd-web.service.in") <(body "$dir/pcapd-web@.service.in") >"$T/drift"; then
        ok "pcapd-web@.service has pcapd-web.service's settings and sandbox"
else
        bad "pcapd-web@.service drifted from pcapd-web.service.in: $(cat "$T/drift")"
fi

out=$(python3 - "$dir/compose.yaml" <<'PY' 2>&1
import sys
try:
    import yaml
except ImportError:
    print("python3-yaml missing: parse skipped")
    sys.exit(0)
d = yaml.safe_load(open(sys.argv[1]))
s = d["services"]
assert sorted(s) == ["haproxy", "pcapd1", "pcapd2", "pcapd3", "postgres"], sorted(s)
assert s["postgres"]["image"].endswith("postgres:15"), s["postgres"]["image"]
ids = set()
for n in ("pcapd1", "pcapd2", "pcapd3"):
    e = s[n]["environment"]
    url = e["PCAPD_DATABASE"]
    assert url.startswith("postgresql://") and ":" not in url.split("//")[1].split("@")[0], "a password in " + url
    assert e["CREDENTIALS_DIRECTORY"] == "/run/secrets" and "pcapd-db-password" in s[n]["secrets"], n
    assert s[n]["build"]["dockerfile"] == "Containerfile", n
    ids.add(e["PCAPD_NODE_ID"])
assert len(ids) == 3, ids
assert "pcapd-db-password" in d["secrets"]
assert s["postgres"]["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/pcapd-db-password"
assert not any("PASSWORD" in k and "FILE" not in k for v in s.values() for k in v.get("environment", {}))
print("parsed")
PY
) && ok "compose.yaml: $out" || bad "compose.yaml: $out"

[ "$fails" = 0 ] && echo "all checks passed" || { echo "$fails checks failed"; exit 1; }
