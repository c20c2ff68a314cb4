#!/usr/bin/env bash
# Booted systemd (systemd-nspawn): the N-node units of units/cluster/ as a user installs them, two nodes
# (pcapd-web@PORT1.socket, pcapd-web@PORT2.socket) on one PostgreSQL 15 reached through its Unix socket
# (a server of the test's own, outside the container, its socket directory bound to /run/postgresql), the
# database URL from /etc/default/pcapd: each node socket-activated under its own name and state directory,
# an upload to one node analysed and its status and report answered by the other.
# Usage: nspawn-cluster.sh BUILD_DIR SOURCE_DIR
SYS_TEST_NAME=nspawn-cluster
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
build=${1:?usage: nspawn-cluster.sh BUILD_DIR SOURCE_DIR}
src=${2:?usage: nspawn-cluster.sh BUILD_DIR SOURCE_DIR}
require_root
corpus=$(corpus_dir "$src")
small=$corpus/gen/http-clean.pcap
pg_temp=$src/tests/pg/pg-temp.sh
command -v psql >/dev/null || skip "psql not installed (Debian: postgresql)"

ns_pcapd_prepare "$build"
PG_DIR=$(mktemp -d /tmp/pcapd-pg-cluster.XXXXXX)
pg_stop() { sh "$pg_temp" stop "$PG_DIR" >/dev/null 2>&1 || true; rm -rf "$PG_DIR"; }
trap 'r=$?; pg_stop; (exit $r); ns_cleanup' EXIT
url=$(sh "$pg_temp" start "$PG_DIR") || { rc=$?; [ "$rc" = 77 ] && skip "no PostgreSQL server binaries"; die "PostgreSQL did not start"; }
chmod 755 "$PG_DIR" # the nodes' user in the container reaches the socket (the server trusts local users)

# as the README says: the two template units (installed with the others), the database URL in
# /etc/default/pcapd, no password (a
# server that trusts local connections: LoadCredential= reset in a drop-in), the single node's socket off
P1=$(free_port) || die "no free port"
P2=$(free_port) || die "no free port"
echo 'PCAPD_DATABASE=postgresql:///pcapd?host=/run/postgresql&user=pcapd' >>"$NS_ROOT/etc/default/pcapd"
ns_dropin pcapd-web@.service 50-no-password "[Service]
LoadCredential="
systemctl --root="$NS_ROOT" disable --quiet pcapd-web.socket || true
systemctl --root="$NS_ROOT" enable --quiet "pcapd-web@$P1.socket" "pcapd-web@$P2.socket" || die "enable failed"
NS_BIND=("--bind=$PG_DIR:/run/postgresql")
ns_boot cluster

check "pcapd-web@$P1.socket listening" test "$(ns_show "pcapd-web@$P1.socket" ActiveState)" = active
check "pcapd-web@$P2.socket listening" test "$(ns_show "pcapd-web@$P2.socket" ActiveState)" = active
for p in "$P1" "$P2"; do
	code=$(curl -s -o "$NS_TMP/health-$p.json" -w '%{http_code}' --max-time 20 "http://127.0.0.1:$p/api/health" || true)
	check "node $p: the first request activates it, /api/health 200 (got $code)" test "$code" = 200
	check "node $p: pcapd-web@$p.service running" test "$(ns_show "pcapd-web@$p.service" SubState)" = running
	check "node $p: its own state directory /var/lib/pcapd/$p, owned by pcapd" \
		test "$(ns_exec stat -c %U "/var/lib/pcapd/$p" 2>/dev/null)" = pcapd
done
[ "$SYS_FAILED" = 0 ] || ns_exec journalctl --no-pager -o cat -u "pcapd-web@$P1.service" -n 30 >&2
check "the node ids are the host name and the port (pcapd-test-$P1, pcapd-test-$P2)" \
	bash -c 'grep -q "PCAPD_NODE=pcapd-test-$1" <<<"$3" && grep -q "PCAPD_NODE=pcapd-test-$2" <<<"$3"' _ "$P1" "$P2" \
	"$(ns_exec journalctl --no-pager -o verbose PCAPD_EVENT=node-id 2>/dev/null)"
check "both on PostgreSQL (store-opened says postgresql, twice)" \
	test "$(ns_exec journalctl --no-pager -o cat PCAPD_EVENT=store-opened 2>/dev/null | grep -c '(postgresql)')" = 2

# the first admin and its token with pcapctl, on the nodes' database (the accounts are cluster-wide)
db='postgresql:///pcapd?host=/run/postgresql&user=pcapd'
code=$(command curl -s -o /dev/null -w '%{http_code}' --max-time 20 "http://127.0.0.1:$P2/api/history" || true)
check "an anonymous request gets 401 (got $code)" test "$code" = 401
ns_exec env PCAPD_DATABASE="$db" pcapctl user add ci --role admin --password-stdin <<<"Ci-Admin-Password-7741-tulip" \
	>/dev/null || die "pcapctl user add failed"
PCAPD_TOKEN=$(ns_exec env PCAPD_DATABASE="$db" pcapctl token create ci --label system-test) || die "no token"
for p in "$P1" "$P2"; do
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 "http://127.0.0.1:$p/api/history" || true)
	check "node $p accepts the token pcapctl made in PostgreSQL (got $code)" test "$code" = 200
done
id=$(upload "http://127.0.0.1:$P1" "$small") || die "upload to node $P1 failed"
st=$(wait_task "http://127.0.0.1:$P2" "$id" 120 || true)
check "uploaded to node $P1, completed as node $P2 sees it ($st)" test "$st" = completed
code=$(curl -s -o "$NS_TMP/report.json" -w '%{http_code}' --max-time 20 "http://127.0.0.1:$P2/api/reports/$id/json" || true)
check "node $P2 serves the report (got $code)" test "$code" = 200 -a -s "$NS_TMP/report.json"
node=$(psql -X -A -t -d "$url" -c "SELECT node FROM tasks WHERE id = '$id'" 2>/dev/null || true)
check "the task's row in PostgreSQL names the node that ran it ($node)" \
	bash -c '[ "$1" = "pcapd-test-$2" ] || [ "$1" = "pcapd-test-$3" ]' _ "$node" "$P1" "$P2"
finish
