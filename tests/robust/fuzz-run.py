#!/usr/bin/env python3
"""Runs one libFuzzer target for a bounded time over a temporary copy of its regression folder.

Usage: fuzz-run.py --fuzzer BIN --name NAME --regress DIR [--seeds DIR]... [--artifacts DIR] [--max-len N]
                   [libFuzzer args, e.g. -max_total_time=60 (meson test --test-args)]
Fails (exit 1) when the fuzzer finds a crash, a leak, a timeout or an out-of-memory input; the input is kept
in --artifacts (and printed as hex when small) so that it can go into DIR, where the ordinary replay tests
pick it up.  Prints libFuzzer's final statistics as one line: executions, seconds, executions/s, corpus size.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

DEFAULT_SECONDS = 30


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--fuzzer', required=True)
    ap.add_argument('--name', required=True)
    ap.add_argument('--regress', required=True)
    ap.add_argument('--seeds', action='append', default=[])
    ap.add_argument('--artifacts')
    ap.add_argument('--max-len', type=int)
    o, extra = ap.parse_known_args()
    bad = [a for a in extra if not a.startswith('-')]
    if bad:
        print('unexpected arguments: %s' % bad)
        return 2
    if not os.access(o.fuzzer, os.X_OK):
        print('SKIP: %s not built' % o.fuzzer)
        return 77
    if not any(a.startswith('-max_total_time=') or a.startswith('-runs=') for a in extra):
        extra.append('-max_total_time=%d' % DEFAULT_SECONDS)
    seconds = next((int(a.split('=', 1)[1]) for a in extra if a.startswith('-max_total_time=')), None)

    work = tempfile.mkdtemp(prefix='pcapd-fuzz-%s-' % o.name)
    try:
        corpus = os.path.join(work, 'corpus')
        os.makedirs(corpus)
        n = 0
        if os.path.isdir(o.regress):
            for f in sorted(os.listdir(o.regress)):
                p = os.path.join(o.regress, f)
                if os.path.isfile(p) and f != 'README.md' and not f.startswith('.'):
                    shutil.copy(p, corpus)
                    n += 1
        arts = os.path.join(work, 'artifacts') + '/'
        os.makedirs(arts)
        cmd = [o.fuzzer, '-print_final_stats=1', '-timeout=10', '-rss_limit_mb=2048', '-error_exitcode=1',
               '-timeout_exitcode=1', '-artifact_prefix=' + arts]
        if o.max_len:
            cmd.append('-max_len=%d' % o.max_len)
        cmd += extra + [corpus] + [s for s in o.seeds if os.path.isdir(s)]
        print('regression inputs: %d (%s); seeds: %s' % (n, o.regress, [s for s in o.seeds if os.path.isdir(s)]))
        print('$ ' + ' '.join(cmd), flush=True)
        env = dict(os.environ)
        # a UBSan finding is a crash, with its stack
        env.setdefault('UBSAN_OPTIONS', 'print_stacktrace=1:halt_on_error=1')
        t0 = time.time()
        # bounded: libFuzzer stops itself at -max_total_time; the margin covers loading the corpus
        limit = (seconds or 600) * 2 + 120
        try:
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, timeout=limit)
            out, rc = p.stdout.decode('utf-8', 'replace'), p.returncode
        except subprocess.TimeoutExpired as e:
            out, rc = (e.stdout or b'').decode('utf-8', 'replace'), None
        wall = time.time() - t0
        lines = out.splitlines()
        # libFuzzer prints a status line per new coverage; keep the log short, full on failure
        failed = rc != 0
        show = lines if failed else [l for l in lines if not re.match(r'#\d+\s+(NEW|REDUCE|pulse)', l)]
        print('\n'.join(show[-400:]))
        stats = dict(re.findall(r'^stat::(\w+):\s+(\d+)', out, re.M))
        execs = int(stats.get('number_of_executed_units', 0))
        corpus_n = len(os.listdir(corpus))
        print('FUZZ-STATS %s: %d executions in %.0f s (%d/s), corpus %d -> %d inputs, peak RSS %s MB, exit %s' % (
            o.name, execs, wall, execs / wall if wall else 0, n, corpus_n, stats.get('peak_rss_mb', '?'),
            'timeout' if rc is None else rc))
        found = sorted(os.listdir(arts))
        if found:
            keep = o.artifacts or os.path.join(os.getcwd(), 'fuzz-artifacts', o.name)
            os.makedirs(keep, exist_ok=True)
            for f in found:
                shutil.copy(os.path.join(arts, f), keep)
                size = os.path.getsize(os.path.join(arts, f))
                print('FOUND %s (%d bytes): kept as %s; copy it into %s/ so that it is replayed from now on' % (
                    f, size, os.path.join(keep, f), o.regress))
                if size <= 512:
                    print('  hex: ' + open(os.path.join(arts, f), 'rb').read().hex())
        if rc is None:
            print('FAIL: the fuzzer did not stop within %d s' % limit)
            return 1
        if rc != 0 or found:
            print('FAIL: %s found a problem (exit %d, %d artifacts)' % (o.name, rc, len(found)))
            return 1
        if execs == 0:
            print('FAIL: no statistics from libFuzzer (did it run?)')
            return 1
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
