#!/usr/bin/env bash
# locust-bench.sh - the design document's own Locust load test (its §9.3 scripts/locustfile.py, read from
# ../shared/seed/plan-performance-web.md now), run as the document runs it: 10 users, 2 per second, 2 minutes,
# headless, against a real pcapd-web. Prints locust's summary; exits non-zero on any failed request.
# Usage: bench/locust-bench.sh [BUILD_DIR]   (default: ./build/test). Needs python3-locust (apt).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build/test}" && pwd)
export PCAPD_WEB="$build/daemons/web/pcapd-web" PCAPD_ANALYZER_EXEC="$build/daemons/analyzer/pcapd-analyzer"
export PCAPD_CORPUS="$here/../../shared/corpus" PCAPD_LOCUST_RUN_TIME=2m PCAPD_LOCUST_SPAWN_RATE=2
# the test's harness with the document's run time: the same extraction, server and checks
exec python3 "$here/../tests/daemons/test-web-locust.py"
