#!/usr/bin/env python3
"""Latency golden test: "where the time went" (schema pcapd.report/2) against captures whose slowness has one
known cause, written down by the generator beside each capture (latency/FILE.expect.json, pcapd.expect/1).

Usage: latency.py --analyzer BIN --corpus DIR [CAPTURE...]   (latency/x.pcap, or one of CLEAN; all when none)
       latency.py --list --corpus DIR                        (prints the captures, one per line)
Exit 0 all checks pass, 1 a check failed, 77 corpus or analyzer missing.

Per latency capture: (a) every expected cause is named by a finding, (b) no finding names a cause the expect
file rules out, (c) the first finding (the one that cost the most time) names an expected cause, (d) the
capture point is the one tcpdump ran at, (e) every request the client sent is an exchange in
transactions.items, answered with the whole answer (body + header), whose server time is the server's sleep
(and, where the client waited >= 100 ms, whose client time is that wait) within max(15 ms, 10 %), (f) the largest bulk transfer is limited by the expected
limit.  The clean captures in CLEAN must give no finding at all.  Every report also keeps the schema's own
rules (i): the cause vocabulary, findings ranked by the time they cost, lists in the promised order, sums that
agree.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import MISSING  # noqa: E402

SCHEMA = 'pcapd.report/2'
CONN_STATES = ('established', 'idle', 'half_open', 'half_closed', 'fin', 'reset', 'refused', 'syn_unanswered',
               'midstream')
# Clean traffic: nothing was slow, so nothing may be blamed.
CLEAN = ('real/chrissanders__latency1.pcapng', 'gen/http-clean.pcap')
# Transfer limits the expect file's causes name directly (check f); a long round trip alone may leave a transfer
# in slow start, which the schema calls "none" (nothing else held it back).
TRANSFER_LIMITS = ('receiver-window', 'network-bandwidth', 'sender-application')
CAUSES = ('server', 'client', 'network-latency', 'network-loss', 'network-bandwidth', 'receiver-window',
          'sender-application', 'dns', 'capture', 'security')
MATCH_WINDOW_S = 0.050   # an exchange's request_ts lies this close to the time the client wrote the request
TOL_ABS_MS, TOL_REL = 15.0, 0.10
CLIENT_THINK_MIN_MS = 100
HEADER_MAX = 256         # an answer's HTTP header (the generator's is ~40 bytes)


def latency_files(corpus):
    d = os.path.join(corpus, 'latency')
    if not os.path.isdir(d):
        return []
    return ['latency/' + f for f in sorted(os.listdir(d))
            if f.endswith(('.pcap', '.pcapng')) and os.path.exists(os.path.join(d, f + '.expect.json'))]


def near(ours, want):
    tol = max(TOL_ABS_MS, TOL_REL * abs(want))
    ok = isinstance(ours, (int, float)) and not isinstance(ours, bool) and abs(ours - want) <= tol
    return ok, '%g±%g' % (want, tol)


def endpoint(s):
    """'10.99.0.1:32918' or '[fd99::1]:32918' / 'fd99::1:32918' -> (address, port)."""
    addr, _, port = s.rpartition(':')
    return addr.strip('[]'), int(port)


def causes_of(rep):
    fs = rep.get('findings')
    return [f.get('cause') for f in fs if isinstance(f, dict)] if isinstance(fs, list) else MISSING


def check_latency(rep, exp):
    """[(status, what, ours, expected)] for one latency capture."""
    res = []

    def add(ok, what, ours, want):
        res.append(('ok' if ok else 'FAIL', what, ours, want))

    add(rep.get('schema') == SCHEMA, 'schema', rep.get('schema'), SCHEMA)
    causes = causes_of(rep)
    named = causes if causes is not MISSING else []
    for c in exp['causes']:                                                          # (a)
        add(c in named, 'a: a finding names cause %s' % c, named, 'contains %s' % c)
    for c in exp['not_causes']:                                                      # (b)
        bad = [f.get('id') for f in rep.get('findings') or [] if isinstance(f, dict) and f.get('cause') == c]
        add(causes is not MISSING and not bad, 'b: no finding blames %s' % c, bad or named, 'no %s' % c)
    first = named[0] if named else None                                              # (c)
    add(first in exp['causes'], 'c: findings[0].cause', first, 'one of %s' % exp['causes'])
    cp = harness.get(rep, 'capture_point.overall')                                   # (d)
    add(cp == exp['capture_point'], 'd: capture_point.overall', cp, exp['capture_point'])
    if cp is not MISSING and cp != exp['capture_point']:
        res[-1] += ('evidence: %s' % harness.fmt(harness.get(rep, 'capture_point.evidence')),)

    items = harness.get(rep, 'transactions.items')                                   # (e)
    if not isinstance(items, list):
        add(False, 'e: transactions.items', items, 'a list')
        items = []
    used = {}
    for conn in exp['connections']:
        caddr, cport = endpoint(conn['client'])
        saddr, sport = endpoint(conn['server'])
        for i, t in enumerate(conn['transactions']):
            label = 'e: %d->%d #%d %s' % (cport, sport, i + 1, t['path'])
            cands = []
            for k, it in enumerate(items):
                fl = it.get('flow') or {}
                rts = harness.ts_to_decimal(it.get('request_ts'))
                if fl.get('sport') != cport or fl.get('dport') != sport or rts is None:
                    continue
                d = abs(float(rts) - t['request_sent_s'])
                if d <= MATCH_WINDOW_S:
                    cands.append((d, k))
            if not cands:
                add(False, label + ' exchange', None, 'request_ts within %d ms of %.6f' % (
                    MATCH_WINDOW_S * 1000, t['request_sent_s']))
                continue
            d, k = min(cands)
            it = items[k]
            if k in used:
                add(False, label + ' exchange', 'item %d (already %s)' % (k, used[k]), 'an exchange of its own')
                continue
            used[k] = label
            add(it.get('protocol') == 'http' and it.get('method') == 'GET' and it.get('path') == t['path'],
                label + ' protocol/method/path', '%s %s %s' % (it.get('protocol'), it.get('method'), it.get('path')),
                'http GET %s' % t['path'])
            # one exchange per answer: the body the server wrote plus its header (~40 bytes), answered
            rb, body = it.get('response_bytes'), t['response_bytes']
            add(it.get('answered') is True and num(rb) and body <= rb <= body + HEADER_MAX,
                label + ' answered, response_bytes', '%s %s' % (it.get('answered'), rb),
                'true [%d..%d]' % (body, body + HEADER_MAX))
            ok, want = near(it.get('server_ms'), t['server_delay_ms'])
            add(ok, label + ' server_ms', it.get('server_ms'), want + ' (%s)' % it.get('server_method'))
            if t['client_think_before_ms'] >= CLIENT_THINK_MIN_MS:
                ok, want = near(it.get('client_ms'), t['client_think_before_ms'])
                add(ok, label + ' client_ms', it.get('client_ms'), want + ' (%s)' % it.get('client_method'))

    limits = [c for c in exp['causes'] if c in TRANSFER_LIMITS]                      # (f)
    if limits or exp['causes'] == ['network-latency']:
        want = limits[:1] if limits else ['network-latency', 'none']
        tr = harness.get(rep, 'tcp.transfers.items')
        top = tr[0] if isinstance(tr, list) and tr else None
        lim = top.get('limit') if isinstance(top, dict) else None
        add(lim in want, 'f: tcp.transfers.items[0].limit', lim if top else tr, ' or '.join(want))
        if top and lim not in want:
            res[-1] += ('shares %s' % json.dumps(top.get('shares')),)
    return res


def num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check_invariants(rep):
    """The contract's own rules (REPORT-SCHEMA.md), on every report: the cause vocabulary, the orders it
    promises, and sums that must agree."""
    res = []

    def add(ok, what, ours, want):
        res.append(('ok' if ok else 'FAIL', 'i: ' + what, ours, want))

    fs = rep.get('findings') if isinstance(rep.get('findings'), list) else []
    bad = [f.get('cause') for f in fs if f.get('cause') not in CAUSES]
    add(not bad, 'findings[].cause in the vocabulary', bad or 'all', 'all in it')
    costs = [f.get('cost_ms') for f in fs]
    timed = [c for c in costs if c is not None]
    ordered = all(num(c) for c in timed) and timed == sorted(timed, reverse=True) and \
        costs[:len(timed)] == timed
    add(ordered, 'findings by cost_ms, unmeasured last', costs, 'descending, then null')
    total = harness.get(rep, 'where_time_went.total_ms')
    tt = harness.get(rep, 'transactions.totals_ms.total')
    add(num(total) and num(tt) and abs(total - tt) <= 0.01, 'where_time_went.total_ms', total,
        'transactions.totals_ms.total = %s' % harness.fmt(tt))
    wc = harness.get(rep, 'where_time_went.causes')
    wc = wc if isinstance(wc, list) else []
    ms = [c.get('ms') for c in wc]
    add(all(c.get('cause') in CAUSES for c in wc) and all(num(m) for m in ms) and ms == sorted(ms, reverse=True),
        'where_time_went.causes', [(c.get('cause'), c.get('ms')) for c in wc], 'vocabulary, largest first')
    if num(total) and total > 0:
        off = [(c.get('cause'), c.get('share_percent')) for c in wc if not num(c.get('share_percent')) or
               abs(c['share_percent'] - 100.0 * c['ms'] / total) > 0.1]
        add(not off, 'where_time_went.causes[].share_percent', off or 'all', 'ms / total_ms (±0.1)')
    items = harness.get(rep, 'transactions.items')
    items = items if isinstance(items, list) else []
    kept, n = harness.get(rep, 'transactions.kept'), harness.get(rep, 'transactions.total')
    add(kept == len(items) and num(n) and kept <= n, 'transactions.kept', kept,
        '%d listed, <= total %s' % (len(items), harness.fmt(n)))
    tot = [it.get('total_ms') for it in items]
    add(all(num(t) for t in tot) and tot == sorted(tot, reverse=True), 'transactions.items by total_ms', len(tot),
        'slowest first')
    tr = harness.get(rep, 'tcp.transfers.items')
    tr = tr if isinstance(tr, list) else []
    add(all(t.get('limit') in CAUSES + ('none',) for t in tr), 'tcp.transfers.items[].limit',
        [t.get('limit') for t in tr], 'vocabulary or none')
    by = [t.get('bytes') for t in tr]
    add(all(num(b) for b in by) and by == sorted(by, reverse=True), 'tcp.transfers.items by bytes', by,
        'largest first')
    # the connections table: exact counts that sum to every TCP connection, rows worst first in the vocabulary
    cx = rep.get('connections') if isinstance(rep.get('connections'), dict) else {}
    st = cx.get('states') if isinstance(cx.get('states'), dict) else {}
    add(sorted(st) == sorted(CONN_STATES) and all(num(v) for v in st.values()) and
        sum(st.values()) == cx.get('total') == harness.get(rep, 'tcp.connections'),
        'connections.states sum to connections.total = tcp.connections', st, harness.get(rep, 'tcp.connections'))
    ci = cx.get('items') if isinstance(cx.get('items'), list) else []
    add(cx.get('kept') == len(ci) and len(ci) <= min(100, harness.get(rep, 'limits.max_events') or 100) and
        len(ci) <= (cx.get('total') or 0), 'connections.kept', cx.get('kept'), '%d listed, at most 100' % len(ci))
    add(all(c.get('state') in CONN_STATES for c in ci), 'connections.items[].state in connections.states',
        sorted(set(c.get('state') for c in ci)), 'the states')
    # (ties go to more bytes, but a score is written rounded: two that print alike may differ)
    sc = [c.get('score') for c in ci]
    add(all(num(x) for x in sc) and sc == sorted(sc, reverse=True), 'connections.items worst first', sc[:8],
        'score descending')
    bad = [c.get('first_frame') for c in ci if isinstance(c.get('rtt_ms'), dict) and c['rtt_ms'].get('count') and
           not (c['rtt_ms']['min'] <= c['rtt_ms']['p50'] <= c['rtt_ms']['max'])]
    add(not bad, 'connections.items[].rtt_ms: min <= p50 <= max', bad or 'all', 'all')
    tl = harness.timeline_rules(rep)
    add(not tl, 'timelines and tshark commands (schema rules)', tl[:5] or 'all', 'none broken')
    return res


def check_clean(rep):
    res = [('ok' if rep.get('schema') == SCHEMA else 'FAIL', 'schema', rep.get('schema'), SCHEMA)]
    fs = rep.get('findings')
    ids = ['%s (%s)' % (f.get('id'), f.get('cause')) for f in fs if isinstance(f, dict)] if isinstance(fs, list) else fs
    res.append(('ok' if fs == [] else 'FAIL', 'g: findings', ids, 'none (clean traffic)'))
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--analyzer')
    ap.add_argument('--corpus', required=True)
    ap.add_argument('--list', action='store_true')
    ap.add_argument('captures', nargs='*')
    o = ap.parse_args()
    if o.list:
        print('\n'.join(latency_files(o.corpus) + [c for c in CLEAN if os.path.exists(os.path.join(o.corpus, c))]))
        return 0
    if not os.path.isdir(o.corpus):
        harness.skip('corpus %s absent (needs ../shared beside the repository)' % o.corpus)
    if not o.analyzer or not os.access(o.analyzer, os.X_OK):
        harness.skip('pcap-analyzer not built (%s)' % o.analyzer)
    caps = o.captures or latency_files(o.corpus) + list(CLEAN)
    if not caps:
        harness.skip('%s/latency has no capture with an expect file' % o.corpus)
    failed = 0
    for cap in caps:
        path = os.path.join(o.corpus, cap)
        if not os.path.exists(path):
            harness.skip('%s absent from the corpus' % cap)
        exp = None
        if os.path.exists(path + '.expect.json'):
            exp = json.load(open(path + '.expect.json'))
            print('=== %s (at the %s; causes %s): %s' % (cap, exp['capture_point'], ', '.join(exp['causes']),
                                                      exp.get('story', '')))
        elif cap in CLEAN:
            print('=== %s (clean traffic)' % cap)
        else:
            print('FAIL %s: no %s.expect.json and not a clean capture' % (cap, cap))
            failed += 1
            continue
        rc, rep, jerr, err = harness.analyze(o.analyzer, path)
        san = harness.sanitizer_report(err)
        if rc != 0 or rep is None or san:
            print('FAIL pcap-analyzer analyze %s: %s %s %s\n     stderr: %s' % (
                cap, harness.describe_rc(rc), jerr or '', san or '', err.strip()[:2000]))
            failed += 1
            continue
        if harness.SANITIZE_ONLY:
            print('ok   no crash, no sanitizer report, valid JSON (figures are judged by the normal run)')
            continue
        res = (check_latency(rep, exp) if exp else check_clean(rep)) + check_invariants(rep)
        w = max(len(r[1]) for r in res)
        bad = 0
        for r in res:
            line = '%-4s %-*s ours=%-16s expected=%s' % (r[0], w, r[1], harness.fmt(r[2]), r[3])
            if len(r) > 4:
                line += '   # ' + r[4]
            print(line)
            bad += r[0] == 'FAIL'
        if err.strip():
            print('note: stderr: ' + err.strip()[:500])
        print('--- %s: %d checks, %d failed' % (cap, len(res), bad))
        failed += bad
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
