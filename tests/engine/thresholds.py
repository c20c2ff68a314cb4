#!/usr/bin/env python3
"""Thresholds on the command line (issue 14): show-config, --threshold, -l/--latency, --config, what the report
records, and that each threshold moves the diagnosis it names (captures from tests/pcapwrite, no ../shared).

Usage: thresholds.py --analyzer BIN
"""
import argparse
import os
import re
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'pcapwrite'))
import harness  # noqa: E402
import scenarios  # noqa: E402

fails = 0


def expect(what, ok, detail=''):
    global fails
    print('%-4s %s%s' % ('ok' if ok else 'FAIL', what, (' -- ' + detail) if detail and not ok else ''))
    fails += not ok


def ids(rep):
    return [f.get('id') for f in (rep or {}).get('findings', [])]


def finding(rep, fid):
    for f in (rep or {}).get('findings', []):
        if f.get('id') == fid:
            return f
    return None


def show_config(a, args):
    rc, out, err = harness.run([a, 'show-config'] + args)
    values = {}
    for line in out.decode().splitlines():
        m = re.match(r'^([a-z0-9_]+)=(\S+)$', line)
        if m:
            values[m.group(1)] = float(m.group(2))
    return rc, values, out.decode(), err


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--analyzer')
    o = ap.parse_args()
    a = o.analyzer
    if not a or not os.access(a, os.X_OK):
        harness.skip('pcap-analyzer not built (%s)' % a)
    with tempfile.TemporaryDirectory(prefix='pcapd-thresholds-') as td:
        dns = os.path.join(td, 'dns.pcap')
        clean = os.path.join(td, 'clean.pcap')
        think = os.path.join(td, 'think.pcap')
        scenarios.build_dns(dns)
        scenarios.build_tcp_clean(clean)
        scenarios.build_server_think(think)

        # show-config: every threshold the report records, with its default; its output reads back
        rc, defaults, text, err = show_config(a, [])
        rc2, rep, _, _ = harness.analyze(a, clean)
        th = (rep or {}).get('thresholds', {})
        expect('show-config: exit 0, the names and defaults the report records',
               rc == 0 and rc2 == 0 and len(defaults) >= 10 and set(defaults) == set(th)
               and all(th[n]['value'] == v and th[n]['default'] == v and th[n]['set_by'] == 'default'
                       for n, v in defaults.items()),
               'show-config %s report %s' % (sorted(defaults)[:5], sorted(th)[:5]))
        expect('every recorded threshold has a unit', all(t.get('unit') in ('ms', '%', 'count', 'bytes') for t in th.values()),
               repr(th)[:200])
        rc, changed, text, err = show_config(a, ['-l', '42', '--threshold', 'loss_rate_pct=0.75'])
        conf = os.path.join(td, 'shown.conf')
        with open(conf, 'w') as f:
            f.write(text)
        rc2, back, _, err2 = show_config(a, ['--config', conf])
        expect('show-config output is a configuration file giving the same values',
               rc == 0 and rc2 == 0 and back == changed and changed['loss_rate_pct'] == 0.75
               and changed['handshake_slow_ms'] == 42 and changed['dns_timeout_ms'] == defaults['dns_timeout_ms'],
               '%s %s' % (err2, {k: (changed.get(k), back.get(k)) for k in changed if changed.get(k) != back.get(k)}))
        expect('show-config says where a value came from', 'this value from: --latency' in text
               and 'this value from: --threshold' in text, text[:300])

        # dns_slow_ms moves dns-slow: the answers here take 3 to 20 ms
        rc, rep, _, _ = harness.analyze(a, dns)
        expect('dns: no dns-slow finding at the default 200 ms', rc == 0 and 'dns-slow' not in ids(rep), repr(ids(rep)))
        rc, rep, _, _ = harness.analyze(a, dns, extra=['--threshold', 'dns_slow_ms=10'])
        f = finding(rep, 'dns-slow')
        items = harness.get(rep, 'events.dns_slow.items') or []
        expect('--threshold dns_slow_ms=10: dns-slow, its title, filter and events follow',
               f is not None and 'longer than 10 ms' in f['title'] and f['filter'] == 'dns.time > 0.01'
               and items and all(i['response_ms'] > 10 for i in items)
               and harness.get(rep, 'thresholds.dns_slow_ms.set_by') == 'threshold'
               and harness.get(rep, 'thresholds.dns_slow_ms.value') == 10,
               '%r %r' % (f, [i.get('response_ms') for i in items]))
        rc, rep4, _, _ = harness.analyze(a, dns, extra=['--threshold', 'dns_slow_ms=4'])
        n10 = harness.get(rep, 'events.dns_slow.total')
        n4 = harness.get(rep4, 'events.dns_slow.total')
        expect('a lower dns_slow_ms keeps more slow answers', isinstance(n10, int) and isinstance(n4, int)
               and 1 <= n10 < n4 and all(i['response_ms'] > 4 for i in harness.get(rep4, 'events.dns_slow.items')),
               '%s %s' % (n10, n4))

        # -l sets every latency threshold: the 20 ms handshake becomes slow and long
        rc, rep, _, _ = harness.analyze(a, clean)
        expect('clean: no finding by default', rc == 0 and ids(rep) == [], repr(ids(rep)))
        rc, rep, _, _ = harness.analyze(a, clean, extra=['-l', '10'])
        expect('-l 10: the 20 ms handshake is slow and a long path; set_by latency',
               'tcp-slow-handshake' in ids(rep) and 'tcp-high-rtt' in ids(rep)
               and harness.get(rep, 'thresholds.handshake_slow_ms.set_by') == 'latency'
               and harness.get(rep, 'thresholds.rtt_high_ms.value') == 10
               and harness.get(rep, 'thresholds.dns_timeout_ms.set_by') == 'default'
               and finding(rep, 'tcp-high-rtt')['filter'] == 'tcp.analysis.initial_rtt >= 0.01',
               repr(ids(rep)))
        rc, out, err = harness.run([a, 'analyze', clean, '-l', '10'])
        rc2, out2, err2 = harness.run([a, 'analyze', clean])
        expect('the terminal summary names the thresholds not at their defaults, and only then',
               b'Thresholds: handshake_slow_ms=10, rtt_high_ms=10' in out and b'Thresholds:' not in out2, out[-300:])
        rc, rep, _, _ = harness.analyze(a, clean, extra=['--latency', '10', '--threshold', 'rtt_high_ms=30',
                                                       '--threshold', 'handshake_slow_ms=30'])
        expect('--threshold wins over -l whatever their order', ids(rep) == []
               and harness.get(rep, 'thresholds.rtt_high_ms.set_by') == 'threshold', repr(ids(rep)))

        # time_cost_ms and time_share_pct gate the time findings (the server thinks 2 s per request here)
        rc, rep, _, _ = harness.analyze(a, think)
        expect('think: slow-server by default', 'slow-server' in ids(rep), repr(ids(rep)))
        rc, rep, _, _ = harness.analyze(a, think, extra=['--threshold', 'time_cost_ms=20000'])
        expect('time_cost_ms above what the server cost: no slow-server', 'slow-server' not in ids(rep), repr(ids(rep)))
        rc, rep, _, _ = harness.analyze(a, think, extra=['--threshold', 'time_share_pct=100'])
        expect('time_share_pct=100: no cause takes all the time, no slow-server', 'slow-server' not in ids(rep), repr(ids(rep)))

        # gap_ms moves the gaps list: 3.0 s, 1.5 s and 0.9 s silences here
        gaps = os.path.join(td, 'gaps.pcap')
        scenarios.build_timing_gaps(gaps)
        rc, rep, _, _ = harness.analyze(a, gaps)
        rc2, rep8, _, _ = harness.analyze(a, gaps, extra=['--threshold', 'gap_ms=800'])
        rc3, rep4, _, _ = harness.analyze(a, gaps, extra=['--threshold', 'gap_ms=4000'])
        g8 = harness.get(rep8, 'timing.gaps.items') or []
        expect('gap_ms: 2 gaps at 1000 ms, 3 at 800 ms (the 0.9 s one within its flow), none at 4000 ms',
               harness.get(rep, 'timing.gaps.total') == 2 and harness.get(rep8, 'timing.gaps.total') == 3
               and len(g8) == 3 and abs(g8[2]['duration_ms'] - 900) < 0.01 and g8[2]['within_flow'] is True
               and harness.get(rep4, 'timing.gaps.total') == 0,
               '%s %s %s' % (harness.get(rep, 'timing.gaps.total'), harness.get(rep8, 'timing.gaps.total'),
                             harness.get(rep4, 'timing.gaps.total')))
        rc, repb, _, _ = harness.analyze(a, gaps, extra=['--threshold', 'burst_min_packets=101'])
        expect('burst_min_packets=101: the 100-packet run is no burst', harness.get(repb, 'timing.bursts') == 0
               and harness.get(repb, 'timing.largest_bursts') == [], repr(harness.get(repb, 'timing.bursts')))

        # conn_idle_ms moves the connections' end states: in conn-states.pcap the open connections went silent
        # 1.487 s (port 41001) and 28.95 s (41002) before the end, and 2.0 s before a new SYN took its ports (41010)
        cs = os.path.join(td, 'conn-states.pcap')
        scenarios.build_conn_states(cs)
        rows = {}
        for v in (None, '1000', '30000'):
            rc, rep, _, _ = harness.analyze(a, cs, extra=['--threshold', 'conn_idle_ms=' + v] if v else [])
            st = harness.get(rep, 'connections.states') or {}
            rows[v] = (st.get('established'), st.get('idle'), harness.get(rep, 'connections.idle_threshold_ms'))
        expect('conn_idle_ms: 2 established and 1 idle at 10 s, all 3 idle at 1 s, none at 30 s', rows == {
            None: (2, 1, 10000), '1000': (0, 3, 1000), '30000': (3, 0, 30000)}, repr(rows))

        # a configuration file: ranks below -l and --threshold
        cf = os.path.join(td, 'analyzer.conf')
        with open(cf, 'w') as f:
            f.write('# site thresholds\n[Thresholds]\nlatency_ms = 10\ndns_slow_ms = 10\n')
        rc, rep, _, _ = harness.analyze(a, dns, extra=['--config', cf])
        expect('--config: dns_slow_ms=10 from the file, set_by configuration', 'dns-slow' in ids(rep)
               and harness.get(rep, 'thresholds.dns_slow_ms.set_by') == 'configuration'
               and harness.get(rep, 'thresholds.handshake_slow_ms.value') == 10, repr(ids(rep)))
        rc, rep, _, _ = harness.analyze(a, dns, extra=['--threshold', 'dns_slow_ms=500', '--config', cf])
        expect('--threshold over --config', 'dns-slow' not in ids(rep)
               and harness.get(rep, 'thresholds.dns_slow_ms.value') == 500, repr(ids(rep)))

        # errors: exit 2 with a reason, nothing analysed
        bad = os.path.join(td, 'bad.conf')
        with open(bad, 'w') as f:
            f.write('[Thresholds]\ndns_slow_ms=10\nrtt_high_ms=fast\n')
        cases = [
            (['--threshold', 'no_such_ms=5'], 'unknown threshold'),
            (['--threshold', 'dns_slow_ms'], 'NAME=VALUE'),
            (['--threshold', 'dns_slow_ms=0'], 'out of the threshold'),
            (['--threshold', 'loss_rate_pct=nan'], 'NAME=VALUE'),
            (['-l', 'fast'], 'not a number'),
            (['-l', '0'], 'out of range'),
            (['--config', bad], 'bad.conf:3: rtt_high_ms: the value is not a decimal number'),
            (['--config', os.path.join(td, 'missing.conf')], 'No such file'),
            (['--config', td], 'Is a directory'),
        ]
        for extra, msg in cases:
            rc, out, err = harness.run([a, 'analyze', clean, '--json', '-', '-q'] + extra)
            expect('%s: exit 2, "%s"' % (' '.join(os.path.basename(x) for x in extra), msg),
                   rc == 2 and msg in err and out == b'', '%s %r' % (harness.describe_rc(rc), err[:200]))
        rc, out, err = harness.run([a, 'show-config', clean])
        expect('show-config takes no FILE: exit 2', rc == 2 and err.strip(), harness.describe_rc(rc))
    print('%d failures' % fails)
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
