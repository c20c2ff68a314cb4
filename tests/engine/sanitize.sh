#!/usr/bin/env bash
# Runs the engine test suite again in a separate ASan+UBSan build (issue 2: "the test suite also runs under
# ASan+UBSan"). Usage: sanitize.sh SOURCE_DIR BUILD_DIR. Inside that run PCAPD_SANITIZE_INNER=1 makes this
# test skip itself and makes the golden/synthetic tests judge only crashes and sanitizer reports (their
# figures are judged by the normal run).
set -euo pipefail
if [ -n "${PCAPD_SANITIZE_INNER:-}" ]; then
        echo "SKIP: already inside the sanitizer run"
        exit 77
fi
src=$1 dir=$2
cc=${CC:-cc}
if ! echo 'int main(void){return 0;}' | "$cc" -x c -fsanitize=address,undefined -o /dev/null - 2>/dev/null; then
        echo "SKIP: $cc cannot link -fsanitize=address,undefined here"
        exit 77
fi
if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" "$src" --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false \
                -Ddaemons=disabled -Dfuzz=false -Dbrowser_tests=false -Dsystem_tests=false >"$dir.setup.log" 2>&1 ||
                { cat "$dir.setup.log"; exit 1; }
fi
ninja -C "$dir" >"$dir.ninja.log" 2>&1 || { tail -50 "$dir.ninja.log"; exit 1; }
export PCAPD_SANITIZE_INNER=1
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
# detect_leaks needs ptrace-free LeakSanitizer; turn it off where it cannot work (some containers)
bin=$(find "$dir" -name pcap-analyzer -type f -perm -u+x | head -n1)
if [ -n "$bin" ] && ! ASAN_OPTIONS=detect_leaks=1 "$bin" --version >/dev/null 2>"$dir.lsan-probe.log"; then
        if grep -q 'LeakSanitizer has encountered a fatal error' "$dir.lsan-probe.log"; then
                echo "note: LeakSanitizer unusable here, leaks not checked"
                export ASAN_OPTIONS=${ASAN_OPTIONS/detect_leaks=1/detect_leaks=0}
        fi
fi
meson test -C "$dir" --no-rebuild --suite engine --print-errorlogs --num-processes 2
