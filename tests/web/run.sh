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

# npm ci once; parallel scenarios wait for each other on the lock.
if [ ! -d "$here/node_modules/playwright-core" ] || [ ! -d "$here/node_modules/axe-core" ]; then
        (
                flock 9
                if [ ! -d "$here/node_modules/playwright-core" ] || [ ! -d "$here/node_modules/axe-core" ]; then
                        echo "run.sh: npm ci in $here"
                        cd "$here" && npm ci --no-audit --no-fund --loglevel=error
                fi
        ) 9>"${TMPDIR:-/tmp}/pcapd-web-tests-npm.lock"
fi

exec node "$here/e2e.mjs" "$scenario"
