#!/usr/bin/env bash
# Every file of web/ that a page can load must be in web/meson.build's install list, and every file
# listed must exist: an installed pcapd serves only what meson installed.
set -euo pipefail
web=${1:?usage: check-files.sh WEB_DIR}
bad=0
while IFS= read -r f; do
        rel=${f#"$web"/}
        if ! grep -q "'$rel'" "$web/meson.build"; then
                echo "not installed by web/meson.build: $rel"
                bad=1
        fi
done < <(find "$web" -type f \( -name '*.html' -o -name '*.css' -o -name '*.js' -o -name '*.svg' -o -name '*.LICENSE' \) | sort)
for rel in $(grep -o "'[^']*'" "$web/meson.build" | tr -d "'" | grep '\.'); do
        case $rel in *.html|*.css|*.js|*.svg|*.LICENSE) ;; *) continue ;; esac
        [ -f "$web/$rel" ] || { echo "listed in web/meson.build but missing: $rel"; bad=1; }
done
# Every root-relative asset a page references exists.
for page in "$web"/*.html; do
        for ref in $(grep -o '\(src\|href\)="/[^"]*"' "$page" | sed 's/.*="\/\([^"]*\)"/\1/'); do
                case $ref in ""|history|progress/*|report/*) continue ;; esac
                [ -f "$web/$ref" ] || { echo "$(basename "$page") references a missing file: /$ref"; bad=1; }
        done
done
[ $bad = 0 ] && echo "web/: every asset exists and is installed"
exit $bad
