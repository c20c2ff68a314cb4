#!/bin/sh
# A throw-away PostgreSQL for the tests: Debian's binaries, a cluster in DIR, listening only on a Unix
# socket in DIR (no TCP, no system service). As root, the server runs as an unprivileged user (nobody, or
# $PCAPD_TEST_PG_USER): PostgreSQL refuses to run as root.
#   pg-temp.sh start DIR       initdb (the first time) and start; prints the database URL
#   pg-temp.sh stop DIR        stop (fast: open connections are cut)
#   pg-temp.sh url DIR [DB]    the URL of database DB (default pcapd)
#   pg-temp.sh createdb DIR DB a new empty database
#   pg-temp.sh run CMD ARG...  a new DIR, start, run CMD with PCAPD_TEST_PG_DIR and PCAPD_TEST_DATABASE
#                              set, stop, remove DIR; CMD's exit status
# Exit 77 (a skipped test) when the PostgreSQL binaries are missing. PCAPD_TEST_PG_FSYNC=on: fsync as a
# real server does (bench/cluster-bench.sh); off by default. PCAPD_TEST_PG_PORT=N: TCP on 127.0.0.1:N as
# well (and N in the URL), for a test that cuts the network between pcapd and the server.
set -eu

PG_BIN=${PCAPD_TEST_PG_BIN:-}
if [ -z "$PG_BIN" ]; then
        for d in /usr/lib/postgresql/*/bin; do
                [ -x "$d/initdb" ] && PG_BIN=$d
        done
fi
if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ] || [ ! -x "$PG_BIN/pg_ctl" ]; then
        echo "pg-temp.sh: no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb; Debian: apt-get install postgresql)" >&2
        exit 77
fi

as_owner() {
        if [ "$(id -u)" = 0 ]; then
                runuser -u "${PCAPD_TEST_PG_USER:-nobody}" -- "$@"
        else
                "$@"
        fi
}

url() {
        echo "postgresql:///${2:-pcapd}?host=$1&user=pcapd${PCAPD_TEST_PG_PORT:+&port=$PCAPD_TEST_PG_PORT}"
}

start() {
        dir=$1
        mkdir -p "$dir"
        if [ "$(id -u)" = 0 ]; then
                chown "${PCAPD_TEST_PG_USER:-nobody}" "$dir"
        fi
        chmod 700 "$dir"
        if [ ! -d "$dir/data" ]; then
                as_owner "$PG_BIN/initdb" -D "$dir/data" -U pcapd --auth=trust --no-locale -E UTF8 --no-sync \
                        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
                fresh=1
        else
                fresh=0
        fi
        # fsync off: a test's database need not survive a power cut (a benchmark turns it on). TCP only
        # when PCAPD_TEST_PG_PORT asks for it (on 127.0.0.1: a test that cuts the network in between)
        listen="-c listen_addresses="
        [ -n "${PCAPD_TEST_PG_PORT:-}" ] && listen="-c listen_addresses=127.0.0.1 -p $PCAPD_TEST_PG_PORT"
        as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
                -o "$listen -k $dir -c fsync=${PCAPD_TEST_PG_FSYNC:-off} -c max_connections=100" start >/dev/null ||
                { cat "$dir/server.log" >&2; exit 1; }
        if [ "$fresh" = 1 ]; then
                "$PG_BIN/createdb" -h "$dir" ${PCAPD_TEST_PG_PORT:+-p "$PCAPD_TEST_PG_PORT"} -U pcapd pcapd
        fi
        url "$dir"
}

stop() {
        as_owner "$PG_BIN/pg_ctl" -D "$1/data" -m fast -w -t 60 stop >/dev/null
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
start) start "$1" ;;
stop) stop "$1" ;;
url) url "$@" ;;
createdb) "$PG_BIN/createdb" -h "$1" -U pcapd "$2" ;;
run)
        dir=$(mktemp -d /tmp/pcapd-pg-XXXXXX)
        cleanup() {
                stop "$dir" 2>/dev/null || true
                rm -rf "$dir"
        }
        trap cleanup EXIT
        trap 'exit 1' INT TERM
        PCAPD_TEST_DATABASE=$(start "$dir")
        PCAPD_TEST_PG_DIR=$dir
        PCAPD_TEST_PG_SCRIPT=$(readlink -f "$0")
        export PCAPD_TEST_DATABASE PCAPD_TEST_PG_DIR PCAPD_TEST_PG_SCRIPT
        status=0
        "$@" || status=$?
        exit $status
        ;;
*)
        echo "usage: pg-temp.sh start|stop|url|createdb DIR ... | run CMD ARG..." >&2
        exit 2
        ;;
esac
