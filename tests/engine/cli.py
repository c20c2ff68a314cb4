#!/usr/bin/env python3
"""The pcap-analyzer command line of issue 2: usage errors, --help/--version, exit codes, limits.

Usage: cli.py --analyzer BIN
Runs without ../shared (captures from tests/pcapwrite).
"""
import argparse
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'pcapwrite'))
import harness  # noqa: E402
import pcapwrite as pw  # noqa: E402
import scenarios  # noqa: E402

fails = 0


def expect(what, ok, detail=''):
    global fails
    print('%-4s %s%s' % ('ok' if ok else 'FAIL', what, (' -- ' + detail) if detail and not ok else ''))
    fails += not ok


def sequential_connections(path, n=50):
    """n complete connections one after the other (never more than one open), 10 ms apart."""
    fr = scenarios.Frames()
    t = 0.0
    for i in range(n):
        t = scenarios._clean_flow(fr, t, pw.ether, cport=41000 + i) + 0.010
    with pw.PcapWriter(path) as w:
        return fr.write(w)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--analyzer')
    o = ap.parse_args()
    a = o.analyzer
    if not a or not os.access(a, os.X_OK):
        harness.skip('pcap-analyzer not built (%s)' % a)
    with tempfile.TemporaryDirectory(prefix='pcapd-cli-') as td:
        clean = os.path.join(td, 'clean.pcap')
        scenarios.build_tcp_clean(clean)

        rc, out, err = harness.run([a, '--help'])
        expect('--help: exit 0, usage on stdout', rc == 0 and b'analyze' in out, '%s %r' % (harness.describe_rc(rc), out[:80]))
        rc, out, err = harness.run([a, '--version'])
        expect('--version: exit 0, a version', rc == 0 and any(ch.isdigit() for ch in out.decode(errors='replace')),
               harness.describe_rc(rc))
        for args, why in (([], 'no command'), (['analyze'], 'no FILE'), (['analyze', clean, clean], 'two FILEs'),
                          (['analyze', clean, '--no-such-option'], 'unknown option'), (['frobnicate', clean], 'unknown command'),
                          (['analyze', clean, '--max-flows', 'many'], 'a limit that is not a number')):
            rc, out, err = harness.run([a] + args)
            expect('usage error (%s): exit 2 and a message' % why, rc == 2 and err.strip() != '',
                   '%s stderr=%r' % (harness.describe_rc(rc), err[:100]))
        rc, out, err = harness.run([a, 'analyze', os.path.join(td, 'missing.pcap'), '--json', '-'])
        expect('missing file: exit 3, one line', rc == 3 and len(err.strip().splitlines()) == 1,
               '%s %r' % (harness.describe_rc(rc), err[:200]))
        notcap = os.path.join(td, 'text.pcap')
        open(notcap, 'w').write('GET / HTTP/1.0\r\n\r\n' * 10)
        rc, out, err = harness.run([a, 'analyze', notcap, '--json', '-'])
        expect('not a capture: exit 3, one line, no report', rc == 3 and len(err.strip().splitlines()) == 1 and not out.strip(),
               '%s %r' % (harness.describe_rc(rc), err[:200]))
        rc, out, err = harness.run([a, 'analyze', clean])
        expect('default: a terminal summary on stdout, exit 0', rc == 0 and len(out) > 50, harness.describe_rc(rc))
        rc, out, err = harness.run([a, 'analyze', clean, '--quiet'])
        expect('--quiet: nothing on stdout', rc == 0 and out == b'', '%s %r' % (harness.describe_rc(rc), out[:80]))
        rc, out, err = harness.run([a, 'analyze', clean, '--json', '-', '--quiet', '-o', os.path.join(td, 'r.html')])
        expect('--json - and -o FILE together', rc == 0 and harness.loads(out).get('schema') == 'pcapd.report/2'
               and os.path.getsize(os.path.join(td, 'r.html')) > 1000, harness.describe_rc(rc))
        rc, out, err = harness.run([a, 'analyze', clean, '--json', '/nonexistent-dir/r.json', '--quiet'])
        expect('report cannot be written: non-zero exit, a message', rc not in (0, None) and rc > 0 and err.strip() != '',
               '%s %r' % (harness.describe_rc(rc), err[:100]))

        # limits: --max-packets cuts the analysis and says so
        rc, rep, jerr, err = harness.analyze(a, clean, extra=['--max-packets', '5'])
        flag, _ = harness.is_partial(rep) if rep else (None, None)
        ids = [f.get('id') for f in (rep or {}).get('findings', [])]
        expect('--max-packets 5: 5 packets, partial, a finding says so',
               rc == 0 and harness.get(rep, 'capture.packets') == 5 and flag is True and 'capture-packet-limit' in ids,
               '%s packets=%s partial=%s findings=%s' % (harness.describe_rc(rc), harness.get(rep, 'capture.packets'), flag, ids))

        # --max-events caps every event list and keeps the true total beside it
        fast = os.path.join(td, 'dns.pcap')
        scenarios.build_escape(fast)
        rc, rep, jerr, err = harness.analyze(a, fast, extra=['--max-events', '1'])
        ev = harness.get(rep, 'events.dns_unanswered') if rep else None
        expect('--max-events 1: list capped at 1, total 3', isinstance(ev, dict) and len(ev.get('items', [])) == 1
               and ev.get('total') == 3, repr(ev)[:200])

        # memory bounded by CONCURRENT flows: 50 connections one after the other fit in a table of 4
        seq = os.path.join(td, 'sequential.pcap')
        sequential_connections(seq, 50)
        rc, rep, jerr, err = harness.analyze(a, seq, extra=['--max-flows', '4'])
        expect('--max-flows 4 with 50 sequential connections (never 2 open at once): all 50 analysed',
               rc == 0 and harness.get(rep, 'tcp.connections') == 50 and harness.get(rep, 'tcp.handshakes.completed') == 50,
               'connections=%s completed=%s findings=%s' % (harness.get(rep, 'tcp.connections'),
                                                           harness.get(rep, 'tcp.handshakes.completed'),
                                                           [f.get('id') for f in (rep or {}).get('findings', [])]))
        rc, rep, jerr, err = harness.analyze(a, seq)
        expect('the same without a limit: 50 connections, health 100',
               rc == 0 and harness.get(rep, 'tcp.connections') == 50 and harness.get(rep, 'health.score') == 100,
               'connections=%s health=%s' % (harness.get(rep, 'tcp.connections'), harness.get(rep, 'health.score')))
        hostile_capture_name(a, td)
    print('%d failures' % fails)
    return 1 if fails else 0


def hostile_capture_name(a, td):
    """The report's tshark commands (issue 14) read the capture by the name it was given, shell-quoted: a file
    name made to break out of the quotes runs nothing. Each command runs in bash with a stand-in tshark that
    records its arguments: they must be exactly -r NAME -Y FILTER (and the timeline's fields); with tshark
    installed, the timeline's command also runs for real and prints its lines."""
    import json
    import shutil
    import subprocess
    name = os.path.join(td, "x'; touch pwned-1; echo '$(touch pwned-2)`touch pwned-3`\\\"\n;#.pcap")
    scenarios.build_tcp_rto(name)
    rc, rep, jerr, err = harness.analyze(a, name)
    expect('hostile file name: analysed, capture.file_name is the name',
           rc == 0 and harness.get(rep, 'capture.file_name') == name, '%s %s' % (harness.describe_rc(rc), err[:200]))
    if rc != 0 or rep is None:
        return
    fake = os.path.join(td, 'bin')
    os.makedirs(fake, exist_ok=True)
    log = os.path.join(td, 'argv.log')
    with open(os.path.join(fake, 'tshark'), 'w') as f:
        f.write('#!%s\nimport json, os, sys\nopen(os.environ["ARGV_LOG"], "a").write(json.dumps(sys.argv[1:]) + "\\n")\n'
                % sys.executable)
    os.chmod(os.path.join(fake, 'tshark'), 0o755)
    cmds = []  # (command, filter it must pass)
    for f in rep['findings']:
        cmds.append((f['tshark'], f['filter']))
        cmds += [(d['tshark'], d['filter']) for d in f['flow_details']]
    for it in rep['timelines']['items']:
        cmds.append((it['tshark'], it['filter']))
    expect('hostile file name: commands to run', len(cmds) >= 3 and rep['timelines']['items'], repr(cmds)[:200])
    env = dict(os.environ, PATH=fake + os.pathsep + os.environ.get('PATH', ''), ARGV_LOG=log)
    for cmd, flt in cmds:
        if os.path.exists(log):
            os.unlink(log)
        p = subprocess.run(['bash', '-c', cmd], cwd=td, env=env, capture_output=True, timeout=30)
        argv = [json.loads(x) for x in open(log)] if os.path.exists(log) else []
        expect('hostile file name: %s... runs tshark once with -r NAME -Y FILTER' % cmd[:40],
               p.returncode == 0 and argv == [['-r', name, '-Y', flt]], '%r -> %r' % (cmd, argv))
    pwned = [x for x in os.listdir(td) if x.startswith('pwned')]
    expect('hostile file name: no command ran anything else', not pwned, repr(pwned))
    if shutil.which('tshark'):
        it = rep['timelines']['items'][0]
        p = subprocess.run(['bash', '-c', it['tshark_lines']], cwd=td, capture_output=True, timeout=60)
        rows = p.stdout.decode(errors='replace').splitlines()
        expect('hostile file name: the real tshark reads it and prints the timeline\'s %d lines' % len(it['lines']),
               p.returncode == 0 and [int(r.split('\t')[0]) for r in rows] == [x['frame'] for x in it['lines']],
               '%r %r' % (rows[:3], p.stderr[-200:]))
    expect('hostile file name: still nothing else ran', not [x for x in os.listdir(td) if x.startswith('pwned')])


if __name__ == '__main__':
    sys.exit(main())
