#!/usr/bin/env bash
# Installs what is missing, builds pcapd and runs every test: unit, golden (../shared/corpus), robustness,
# daemons (real pcapd-web), browser (Chromium), system (systemd-nspawn, podman), sanitizers, fuzzers.
# Ends with one line "N passed, N failed, N skipped" counting every test of every suite.
# Environment: BUILD_DIR (default build/test), SUITES (meson suites, default all), FUZZ_SECONDS (default 30;
# 0 skips the fuzzing runs).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${BUILD_DIR:-$top/build/test}
fuzz_seconds=${FUZZ_SECONDS:-30}

bash tests/install-deps.sh --test || { echo "install-deps failed"; echo "0 passed, 1 failed"; exit 1; }

logs=()
meson_failed=0
run_meson_tests() { # dir [meson test args...]
        local dir=$1
        shift
        meson test -C "$dir" --no-rebuild --print-errorlogs --num-processes 2 "$@" || meson_failed=1
        logs+=("$dir/meson-logs/testlog.json")
}

if [ ! -f "$build/build.ninja" ]; then
        meson setup "$build" "$top" --buildtype=debugoptimized -Dtest_hooks=true || { echo "0 passed, 1 failed"; exit 1; }
else
        meson setup --reconfigure "$build" "$top" -Dtest_hooks=true >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
fi
ninja -C "$build" || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }
if [ -n "${SUITES:-}" ]; then
        args=()
        for s in $SUITES; do args+=(--suite "$s"); done
        run_meson_tests "$build" "${args[@]}"
else
        run_meson_tests "$build"
fi

# Fuzzing for a bounded time (issue 6): clang + libFuzzer, ASan+UBSan. Crashes are copied into
# tests/fuzz/regress/<target>/ by hand; the replay of that folder is an ordinary test above.
if [ "$fuzz_seconds" != 0 ] && command -v clang >/dev/null; then
        fuzz=$top/build/fuzz
        if [ ! -f "$fuzz/build.ninja" ]; then
                CC=clang meson setup "$fuzz" "$top" -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
                        -Dc_args=-fsanitize=fuzzer-no-link -Dbrowser_tests=false -Dsystem_tests=false >/dev/null
        fi
        if ! ninja -C "$fuzz" >/dev/null; then
                echo "fuzz build failed"
                logs+=("$fuzz/meson-logs/fuzz-build-failed")
        elif [ -n "$(meson test -C "$fuzz" --no-rebuild --list --suite fuzz-run 2>/dev/null | grep fuzz-run)" ]; then
                # (a variable, not "| grep -q": with pipefail, grep closing the pipe early fails the test)
                run_meson_tests "$fuzz" --suite fuzz-run "--test-args=-max_total_time=$fuzz_seconds" || true
        fi
fi

python3 - "$meson_failed" "${logs[@]}" <<'PY'
import json, sys
passed = failed = skipped = 0
bad = []
unreadable = 0
for path in sys.argv[2:]:
    try:
        lines = open(path).read().splitlines()
    except OSError:
        failed += 1
        bad.append(path + " (no test log)")
        continue
    for line in lines:
        line = line.strip().strip("\x00")
        if not line:
            continue
        try:
            t = json.loads(line)
        except ValueError:
            unreadable += 1
            continue
        r = t.get("result")
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
            bad.append(f"{t.get('name')} ({r})")
if sys.argv[1] == "1" and not bad:
    # meson said a test failed but its log line could not be read: count it rather than hide it
    failed += 1
    bad.append("a test whose log line is unreadable (see meson's output above)")
if unreadable:
    print(f"note: {unreadable} unreadable line(s) in the test logs")
for b in bad:
    print("FAILED:", b)
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
PY
