#!/usr/bin/env bash
# engine-bench.sh - times pcap-analyzer against a bare libpcap read loop and tshark, side by side in one run.
#
# Usage: bench/engine-bench.sh [--runs N] [--analyzer BIN] [--baseline BIN] [--build DIR] [--no-tshark] [--out FILE]
#                               [131k|500m|CAPTURE...]
#   default capture: 131k = /tmp/corpus-large/large-131k.pcap (built by ../shared/corpus/make-large.sh if missing)
#   500m: the ~500 MB capture (make-large.sh 500m; tshark runs once on it, it needs GBs of memory and ~1 min)
#   --analyzer: a pcap-analyzer to time; default: a release build made here in --build (default /tmp/pcapd-bench-build)
#   --baseline: another pcap-analyzer (e.g. a release build of an earlier commit) timed in the same rounds, so that
#               what a change costs is measured side by side
# For each capture and each command: one warm-up run, then N timed runs (default 5): median wall time, peak RSS
# (/usr/bin/time -f %M, the largest over the runs); ratios to the bare read loop and to tshark. The markdown
# table is printed and written to bench/engine-results.md (--out to change). Not a test: numbers, no verdict,
# except that the issue-2 targets are shown met or not.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
CORPUS=${PCAPD_CORPUS:-$SRC/../shared/corpus}
RUNS=5 ANALYZER="" BASELINE="" BUILD=/tmp/pcapd-bench-build TSHARK=1 OUT="$HERE/engine-results.md"
CAPS=()
while [ $# -gt 0 ]; do
        case "$1" in
        --runs) RUNS=$2; shift 2 ;;
        --analyzer) ANALYZER=$2; shift 2 ;;
        --baseline) BASELINE=$2; shift 2 ;;
        --build) BUILD=$2; shift 2 ;;
        --no-tshark) TSHARK=0; shift ;;
        --out) OUT=$2; shift 2 ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) CAPS+=("$1"); shift ;;
        esac
done
[ ${#CAPS[@]} -gt 0 ] || CAPS=(131k)
[ -x /usr/bin/time ] || { echo "engine-bench: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }

# the capture files
FILES=()
for c in "${CAPS[@]}"; do
        case "$c" in
        131k) f=/tmp/corpus-large/large-131k.pcap; [ -s "$f" ] || bash "$CORPUS/make-large.sh" >&2 ;;
        500m|500M) f=/tmp/corpus-large/large-500m.pcap; [ -s "$f" ] || bash "$CORPUS/make-large.sh" 500m >&2 ;;
        *) f=$c ;;
        esac
        [ -s "$f" ] || { echo "engine-bench: $f missing" >&2; exit 1; }
        FILES+=("$f")
done

# the bare read loop
mkdir -p "$BUILD"
cc -O2 -o "$BUILD/bare-read" "$HERE/bare-read.c" $(pkg-config --cflags --libs libpcap 2>/dev/null || echo -lpcap)

# pcap-analyzer, release build
if [ -z "$ANALYZER" ]; then
        if [ ! -f "$BUILD/build.ninja" ]; then
                meson setup "$BUILD" "$SRC" --buildtype=release -Ddaemons=disabled -Dfuzz=false \
                        -Dbrowser_tests=false -Dsystem_tests=false >"$BUILD/setup.log" 2>&1 || { cat "$BUILD/setup.log" >&2; exit 1; }
        fi
        ninja -C "$BUILD" >"$BUILD/ninja.log" 2>&1 || { tail -30 "$BUILD/ninja.log" >&2; exit 1; }
        ANALYZER=$(find "$BUILD" -name pcap-analyzer -type f -perm -u+x | head -n1)
        [ -n "$ANALYZER" ] || { echo "engine-bench: no pcap-analyzer built in $BUILD" >&2; exit 1; }
fi
command -v tshark >/dev/null || TSHARK=0

PY=/usr/bin/python3; [ -x "$PY" ] || PY=$(command -v python3)
exec "$PY" - "$RUNS" "$ANALYZER" "$BUILD/bare-read" "$TSHARK" "$OUT" "$BASELINE" "${FILES[@]}" <<'PYEOF'
import os, platform, statistics, subprocess, sys, tempfile, time, datetime

runs, analyzer, bare, use_tshark, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4] == '1', sys.argv[5]
baseline = sys.argv[6]
files = sys.argv[7:]
TSHARK_FIELDS = ['-T', 'fields', '-e', 'frame.number', '-e', 'tcp.stream'] + sum(
    [['-e', 'tcp.analysis.' + f] for f in ('retransmission', 'fast_retransmission', 'spurious_retransmission',
                                           'duplicate_ack', 'out_of_order', 'zero_window', 'lost_segment', 'ack_rtt')],
    []) + ['-e', 'dns.time']


def run_once(cmd, tf):
    t0 = time.perf_counter()
    p = subprocess.run(['/usr/bin/time', '-f', '%M', '-o', tf] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit('%s: exit %d: %s' % (' '.join(cmd), p.returncode, p.stderr.decode()[-400:]))
    return wall, int(open(tf).read().split()[-1])


def measure_all(cmds, n):
    """Runs the commands in turn, round after round (so that a load change on the machine hits them all
    alike): one warm-up round, then n timed rounds.  Returns per command (median wall, min wall, max RSS kB, walls)."""
    walls = [[] for _ in cmds]
    rss = [[] for _ in cmds]
    with tempfile.NamedTemporaryFile(prefix='bench-time-') as tf:
        for i in range(n + 1):
            for k, (cmd, reps) in enumerate(cmds):
                if i > reps:
                    continue
                w, r = run_once(cmd, tf.name)
                if i == 0:
                    continue  # warm-up: page cache, dynamic loader
                walls[k].append(w)
                rss[k].append(r)
    return [(statistics.median(w), min(w), max(r), w) for w, r in zip(walls, rss)]


def version(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines()[0].strip()
    except (OSError, IndexError):
        return '?'


cpu = '?'
try:
    cpu = next(l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name'))
except (OSError, StopIteration):
    pass
lines = ['# Engine benchmark', '',
         'Latest run of `bench/engine-bench.sh` (%s UTC, %s, %d cores, Linux %s; `%s`; %s)' % (
             datetime.datetime.utcnow().strftime('%Y-%m-%d %H:%M'), cpu, os.cpu_count(), platform.release(),
             version([analyzer, '--version']), version(['tshark', '--version']).rstrip('.') if use_tshark else 'tshark not run'),
         'Median wall time of %d rounds after a warm-up round (whole process, start-up included; the commands run in '
         'turn in each round, so that load from elsewhere on the machine hits all of them alike), peak RSS the '
         'largest of those runs (`/usr/bin/time -f %%M`). The machine is shared: compare within a table.' % runs, '']
for f in files:
    size = os.path.getsize(f)
    n = runs if size < 100e6 else max(1, min(runs, 3))
    tn = n if size < 100e6 else 1  # tshark on the ~500 MB file: one timed run (about a minute, 1.4 GB)
    cmds = [([bare, f], n), ([analyzer, 'analyze', f, '--json', '/dev/null', '--quiet'], n)]
    names = ['bare libpcap read loop (`bench/bare-read.c`)', '`pcap-analyzer analyze F --json /dev/null --quiet`']
    if baseline:
        cmds.append(([baseline, 'analyze', f, '--json', '/dev/null', '--quiet'], n))
        names.append('baseline: `%s` (same command)' % os.path.basename(os.path.dirname(os.path.dirname(baseline))))
    if use_tshark:
        cmds += [(['tshark', '-r', f, '-q', '-z', 'io,stat,0', '-z', 'dns,tree'], tn), (['tshark', '-r', f] + TSHARK_FIELDS, tn)]
        names += ['`tshark -r F -q -z io,stat,0 -z dns,tree`',
                  '`tshark -r F -T fields` (tcp.analysis.* + ack_rtt + dns.time, as corpus/README)']
    res = measure_all(cmds, n)
    rows = [(name, r[0], r[1], r[2]) for name, r in zip(names, res)]
    bare_t, an_t, an_rss, an_all = res[0][0], res[1][0], res[1][2], res[1][3]
    ts_t = min(r[0] for r in res[(3 if baseline else 2):]) if use_tshark else None
    lines += ['## %s (%.1f MB)' % (os.path.basename(f), size / 1e6), '',
              '| command | median wall | fastest | × bare read | tshark ÷ this | peak RSS |', '|---|---|---|---|---|---|']
    for name, t, tmin, rss in rows:
        lines.append('| %s | %.3f s | %.3f s | %.1f× | %s | %.1f MB |' % (
            name, t, tmin, t / bare_t, '%.1f×' % (ts_t / t) if ts_t else '–', rss / 1024))
    rss_target = 64 if size < 100e6 else 256
    lines += ['', 'Issue 2 targets: analysis within 3× the read loop: **%s** (%.1f×); at least 25× faster than tshark '
              '(the faster tshark command): **%s**%s; peak RSS under %d MB: **%s** (%.1f MB).' % (
                  'met' if an_t <= 3 * bare_t else 'not met', an_t / bare_t,
                  ('met' if ts_t and ts_t / an_t >= 25 else 'not met') if ts_t else 'not measured',
                  ' (%.1f×)' % (ts_t / an_t) if ts_t else '', rss_target, 'met' if an_rss / 1024 < rss_target else 'not met',
                  an_rss / 1024),
              'pcap-analyzer runs: %s s.' % ', '.join('%.3f' % x for x in an_all), '']
text = '\n'.join(lines) + '\n'
print(text)
with open(out, 'w') as fo:
    fo.write(text)
print('written to %s' % out, file=sys.stderr)
PYEOF
