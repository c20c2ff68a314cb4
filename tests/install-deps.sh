#!/usr/bin/env bash
# Installs the Debian packages pcapd needs that are missing: build only, or build + tests ("--test").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lists=("$here/packages-build.txt")
[ "${1:-}" = "--test" ] && lists+=("$here/packages-test.txt")
want=$(grep -hv '^\s*#' "${lists[@]}" | awk 'NF{print $1}' | sort -u)
missing=()
for p in $want; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
        echo "install-deps: installing ${missing[*]}" >&2
        SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
        export DEBIAN_FRONTEND=noninteractive
        $SUDO apt-get update -qq
        $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian ships npm apart from nodejs (NodeSource's nodejs includes it and conflicts with Debian's npm):
# install it only when the command is missing. The browser tests need it for playwright-core.
if [ "${1:-}" = "--test" ] && ! command -v npm >/dev/null 2>&1; then
        echo "install-deps: installing npm" >&2
        SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null ||
                echo "install-deps: npm could not be installed; the browser tests will say so and skip" >&2
fi
