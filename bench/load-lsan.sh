#!/usr/bin/env bash
# LeakSanitizer verdict on pcapd-web under load: builds pcapd-web with -Db_sanitize=address in its own build
# directory, runs a short bench/load-test.py against it (the analyzer from the ordinary build, since ASan's
# shadow memory does not fit the analyzer's RLIMIT_AS), stops it with SIGTERM and reads its stderr.
# Usage: bench/load-lsan.sh [ORDINARY_BUILD_DIR (default build)] [ASAN_BUILD_DIR (default build-asan-web)]
#        USERS=4 DURATION=30 bench/load-lsan.sh ...
# Exit 0: no leak, no ASan report; 1: a report (printed with its stack).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
asan=${2:-$top/build-asan-web}
if [ ! -f "$asan/build.ninja" ]; then
        meson setup "$asan" "$top" -Db_sanitize=address -Dbrowser_tests=false -Dsystem_tests=false >/dev/null
fi
ninja -C "$asan" daemons/web/pcapd-web >/dev/null
[ -x "$build/daemons/analyzer/pcapd-analyzer" ] || ninja -C "$build" daemons/analyzer/pcapd-analyzer >/dev/null
exec python3 "$top/bench/load-test.py" --web "$asan/daemons/web/pcapd-web" \
        --analyzer "$build/daemons/analyzer/pcapd-analyzer" --users "${USERS:-4}" --duration "${DURATION:-30}" \
        --wrk-seconds 3 --check
