#!/usr/bin/env bash
# Runs one browser end-to-end scenario (see e2e.mjs) for meson: installs the npm packages on first use,
# exits 77 (skipped) when Chromium or Node.js is not there.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
scenario=${1:?usage: run.sh SCENARIO}

if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
        echo "SKIP: ${CHROMIUM:-/usr/bin/chromium} is missing (apt-get install chromium, or tests/install-deps.sh --test)"
        exit 77
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        echo "SKIP: node and npm are needed for the browser tests"
        exit 77
fi

# npm ci once; parallel scenarios wait for each other on the lock, always taken (a scenario that only looked
# for node_modules/ could start while another's npm ci was still filling it); the stamp is written last.
(
        flock 9
        if [ ! -f "$here/node_modules/.pcapd-npm-ci-done" ]; then
                echo "run.sh: npm ci in $here"
                cd "$here" && npm ci --no-audit --no-fund --loglevel=error
                touch "$here/node_modules/.pcapd-npm-ci-done"
        fi
) 9>"${TMPDIR:-/tmp}/pcapd-web-tests-npm.lock"

exec node "$here/e2e.mjs" "$scenario"
