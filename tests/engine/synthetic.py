#!/usr/bin/env python3
"""Synthetic test: captures written by tests/pcapwrite (known answers, no ../shared needed) through pcap-analyzer.

Usage: synthetic.py --analyzer BIN [SCENARIO...]   (all when none given)
       synthetic.py --list
"""
import argparse
import os
import sys
import tempfile
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'pcapwrite'))
import harness  # noqa: E402
import scenarios  # noqa: E402


def get(report, path):
    """report member at dotted path (a number indexes a list: findings.0.cause), or MISSING."""
    cur = report
    for part in path.split('.'):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            return harness.MISSING
    return cur


def judge(member, ours, exp):
    if isinstance(exp, tuple):
        kind = exp[0]
        if kind == 'approx':
            tol = max(exp[2], exp[3] * abs(exp[1]))
            ok = isinstance(ours, (int, float)) and not isinstance(ours, bool) and abs(ours - exp[1]) <= tol
            return ok, '%g±%g' % (exp[1], tol)
        if kind == 'contains':
            return isinstance(ours, list) and exp[1] in ours, 'contains %s' % exp[1]
        if kind == 'each':
            ok = isinstance(ours, list) and len(ours) == len(exp[1]) and \
                all(judge(member, o, e)[0] for o, e in zip(ours, exp[1]))
            return ok, '[%s]' % ', '.join(str(judge(member, None, e)[1]) for e in exp[1])
        if kind == 'near':
            tol = 1.1e-6 if member.endswith('_s') else 1.1e-3  # 1 us in seconds or in milliseconds
            ok = isinstance(ours, (int, float)) and not isinstance(ours, bool) and abs(ours - exp[1]) <= tol
            return ok, '%g (±1 us)' % exp[1]
        if kind == 'near_or_none':
            ok = ours is None or (isinstance(ours, (int, float)) and abs(ours - exp[1]) <= 1.1e-3)
            return ok, '%g (±1 us) or none' % exp[1]
        if kind == 'range':
            ok = isinstance(ours, (int, float)) and exp[1] <= ours <= exp[2]
            return ok, '[%s..%s]' % (exp[1], exp[2])
        if kind == 'ts':
            try:
                ok = abs(harness.ts_to_decimal(ours) - Decimal(exp[1])) <= Decimal('0.000000001')
            except (ValueError, TypeError):
                ok = False
            return ok, exp[1]
    if member == 'findings':
        n = len(ours) if isinstance(ours, list) else ours
        return n == exp, exp
    if member == 'dns.rcodes' and isinstance(ours, dict):
        ours = {k: v for k, v in ours.items() if v}
    return ours == exp, exp


MARKUP = [b'<script>alert', b'<img src=x', b"'onmouseover='", b'</style><b>', b'<b>bold']


def check_escaping(analyzer, path, td):
    """Strings from packets never reach the HTML report or the terminal as markup or control bytes."""
    bad = 0
    html = os.path.join(td, 'report.html')
    rc, out, err = harness.run([analyzer, 'analyze', path, '-o', html, '--json', os.path.join(td, 'r.json')], timeout=60)
    if rc != 0 or not os.path.exists(html):
        print('FAIL html report: %s %s' % (harness.describe_rc(rc), err.strip()[:300]))
        return 1
    data = open(html, 'rb').read()
    for m in MARKUP:
        if m in data:
            print('FAIL html report contains raw packet markup %r' % m)
            bad += 1
    for b in (b'\x00', b'\x1b', b'\xff\xfe'):
        if b in data:
            print('FAIL html report contains raw byte(s) %r from a DNS name' % b)
            bad += 1
    try:
        data.decode('utf-8')
    except UnicodeDecodeError as e:
        print('FAIL html report is not UTF-8: %s' % e)
        bad += 1
    if b'&lt;script&gt;alert(1)' in data:
        print('ok   html report shows the names, escaped')
    else:
        print('FAIL html report does not show the hostile DNS names at all (the check would be vacuous)')
        bad += 1
    # the terminal summary (default output) must not pass escape sequences through
    rc, out, err = harness.run([analyzer, 'analyze', path], timeout=60)
    if b'\x1b' in out or '\x1b' in err:
        print('FAIL terminal summary passes an ESC byte from a packet through')
        bad += 1
    j = open(os.path.join(td, 'r.json'), 'rb').read()
    try:
        harness.loads(j)
        print('ok   JSON report with hostile names is valid UTF-8 JSON')
    except (ValueError, UnicodeDecodeError) as e:
        print('FAIL JSON report with hostile names: %s' % e)
        bad += 1
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--analyzer')
    ap.add_argument('--list', action='store_true')
    ap.add_argument('names', nargs='*')
    o = ap.parse_args()
    if o.list:
        print('\n'.join(scenarios.SCENARIOS))
        return 0
    if not o.analyzer or not os.access(o.analyzer, os.X_OK):
        harness.skip('pcap-analyzer not built (%s)' % o.analyzer)
    names = o.names or list(scenarios.SCENARIOS)
    failed = 0
    with tempfile.TemporaryDirectory(prefix='pcapd-synth-') as td:
        for name in names:
            build, expected = scenarios.SCENARIOS[name]
            path = os.path.join(td, name)
            written = build(path)
            print('=== %s (%d packets written): %s' % (name, written, (build.__doc__ or '').strip().splitlines()[0]
                                                       if build.__doc__ else ''))
            rc, rep, jerr, err = harness.analyze(o.analyzer, path)
            san = harness.sanitizer_report(err)
            if rc != 0 or rep is None or san:
                print('FAIL     analyze: %s %s %s\n         stderr: %s' % (harness.describe_rc(rc), jerr or '', san or '',
                                                                          err.strip()[:1000]))
                failed += 1
                continue
            if harness.SANITIZE_ONLY:
                print('ok   no crash, no sanitizer report, valid JSON (figures are judged by the normal run)')
                continue
            if name.startswith('escape-'):
                failed += check_escaping(o.analyzer, path, td)
            checks = dict(expected)
            checks.setdefault('capture.packets', written)
            checks.setdefault('timelines (schema rules)', ('of', harness.timeline_rules, []))
            for member, exp in checks.items():
                if isinstance(exp, tuple) and exp[0] == 'of':   # a figure derived from the report
                    ours, exp = exp[1](rep), exp[2]
                else:
                    ours = get(rep, member)
                ok, shown = judge(member, ours, exp)
                if member == 'capture.packets':
                    ok = ok and ours == written
                print('%-4s %-34s ours=%-14s expected=%s' % ('ok' if ok else 'FAIL', member, harness.fmt(ours), shown))
                failed += not ok
    print('%d failures' % failed)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
