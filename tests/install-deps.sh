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
