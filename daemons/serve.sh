#!/usr/bin/env bash
# Installs what is missing (Debian packages), builds pcapd and runs the service on http://127.0.0.1:8000
# with its embedded defaults: pcapd-web binds the port itself and spawns a sandboxed pcapd-analyzer per
# upload. State (database, uploads, reports) goes to build/state unless PCAPD_STATE_DIR says otherwise.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bash "$top/tests/install-deps.sh"
build=${BUILD_DIR:-$top/build/serve}
if [ ! -f "$build/build.ninja" ]; then
        meson setup "$build" "$top" --buildtype=release -Dbrowser_tests=false -Dsystem_tests=false
fi
ninja -C "$build"
state=${PCAPD_STATE_DIR:-$top/build/state}
mkdir -p "$state"
echo "pcapd: http://${PCAPD_LISTEN:-127.0.0.1:8000}/  (state in $state; Ctrl-C stops)"
exec "$build/daemons/web/pcapd-web" --state-dir "$state" --web-dir "$top/web" "$@"
