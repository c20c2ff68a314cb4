#!/usr/bin/env python3
"""Security detectors: ordinary traffic raises no security finding; the thresholds move them.

Every good capture of ../shared/corpus (real/, gen/, latency/; real/broken/ is not traffic) and the 131k
capture when /tmp/corpus-large has it is analysed; its findings of cause `security` must be exactly those
listed in TRUE_POSITIVES, which names the public test captures that hold a real attack, checked by hand with
tshark (the command and what it showed are beside each).  Exits 77 (skipped) without the corpus.

--contrast (no corpus needed): the synthetic scenarios of ordinary traffic (tests/pcapwrite, sec-neg-*) each
raise their detector's finding once one of its thresholds is set past what they do (--threshold), and the
attacks (sec-*) lose theirs once a threshold is set above them: the negatives sit close to the rules, and
every detector reads its thresholds.

Usage: security.py --analyzer BIN --corpus DIR [--large FILE]
       security.py --analyzer BIN --contrast
"""
import argparse
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'pcapwrite'))
import harness  # noqa: E402

TRUE_POSITIVES = {
    # nDPI's test of a SYN scan: `tshark -Y 'tcp.flags.syn==1 && tcp.flags.ack==0' -T fields -e ip.src -e ip.dst`
    # gives 1,994 SYNs, all from 172.16.0.8 to 64.13.134.52, to 1,000 distinct ports in 5 s; 12 SYN/ACKs came
    # back (open ports), the rest were refused or silent: nmap -sS of scanme.nmap.org's top 1,000 ports.
    'real/nDPI__synscan.pcap': {
        'security-port-scan': 'Port scan: 172.16.0.8 probed 997 closed or silent ports of 64.13.134.52 in 5.0 s',
    },
    # nDPI's "bad DNS traffic": `tshark -Y 'dns.flags.response==0' -T fields -e dns.qry.type -e dns.qry.name`
    # shows 220 queries from 192.168.43.91 for CNAME, TXT and MX records of names made of hexadecimal under
    # skullseclabs.org (dnscat2's author's domain), up to 250 bytes long, one of them decoding to
    # "command (sirvimes)": dnscat2's tunnel.
    'real/nDPI__bad-dns-traffic.pcap': {
        'security-dns-tunnel': 'DNS tunnel: 192.168.43.91 sent 175 queries carrying data under skullseclabs.org '
                               '(204 bytes of name each) in 109.3 s',
    },
    # Not listed, so held to "no finding": real/nDPI__tcp_scan.pcapng is a scan too (tshark: 7 SYNs from
    # 192.168.1.178 to 7 ports of 192.168.1.2, 5 refused), far below scan_ports_count (25): a client trying five
    # closed services cannot be told from a scan of five ports.
}


# (scenario, --threshold assignments, the security findings then[, text of the first one's title]): with the
# defaults the sec-neg-* scenarios raise none (synthetic.py checks that) and each sec-* attack only its own.
CONTRAST = [
    # 2,000 completed connections in one second: a flood by rate, kept from it by the completed handshakes
    ('sec-neg-servers.pcap', ['flood_unanswered_pct=0'], ['security-syn-flood']),
    # 1,500 answered DNS queries a second: the same for UDP
    ('sec-neg-dns-resolver.pcap', ['flood_unanswered_pct=0'], ['security-udp-flood']),
    # 60 short API connections to one web server, at most 5.5 s apart
    ('sec-neg-web-client.pcap', ['brute_web_attempts_count=60', 'brute_interval_ms=6000'], ['security-brute-force']),
    # 40 clients to one file server: fan-in; the monitoring probe's 30 answered connections are no scan either
    ('sec-neg-servers.pcap', ['lateral_hosts_count=2'], []),
    # the big download is 150 MB in, nothing out; the backup goes to an inside host
    ('sec-neg-backup.pcap', ['exfil_upload_bytes=1000', 'exfil_upload_pct=0'], ['security-exfiltration']),
    # the attacks, each above its threshold by a known margin
    ('sec-scan-vertical.pcap', ['scan_ports_count=191'], []),
    ('sec-scan-vertical.pcap', ['scan_ports_count=190'], ['security-port-scan']),
    ('sec-scan-stealth.pcap', ['scan_hosts_count=41'], []),
    ('sec-syn-flood.pcap', ['flood_syn_count=3001'], []),
    ('sec-udp-flood.pcap', ['flood_udp_count=2001'], []),
    ('sec-icmp-flood.pcap', ['flood_icmp_count=1001'], []),
    ('sec-brute-ssh.pcap', ['brute_attempts_count=31'], []),
    ('sec-brute-ssh.pcap', ['brute_interval_ms=1900'], []),
    ('sec-brute-ssh.pcap', ['brute_session_bytes=3000'], []),
    ('sec-brute-web.pcap', ['brute_web_attempts_count=151'], []),
    ('sec-brute-db.pcap', ['brute_interval_ms=400'], []),
    ('sec-dns-tunnel.pcap', ['dns_tunnel_queries_count=121'], []),
    # names of 106 bytes before the domain: at 107 they carry nothing, and the TXT queries for new names remain
    ('sec-dns-tunnel.pcap', ['dns_tunnel_label_bytes=106'], ['security-dns-tunnel'], 'sent 120 queries carrying'),
    ('sec-dns-tunnel.pcap', ['dns_tunnel_label_bytes=107'], ['security-dns-tunnel'], 'asked 120 TXT/NULL records'),
    ('sec-dns-tunnel.pcap', ['dns_tunnel_entropy_pct=100'], ['security-dns-tunnel'], 'asked 120 TXT/NULL records'),
    ('sec-exfil.pcap', ['exfil_upload_bytes=200e6'], []),
    ('sec-beacon.pcap', ['beacon_min_count=21'], []),
    ('sec-beacon.pcap', ['beacon_jitter_pct=0.1'], []),
    ('sec-beacon.pcap', ['beacon_interval_ms=61000'], []),
    ('sec-lateral.pcap', ['lateral_hosts_count=16'], []),
]


def contrast(analyzer):
    import scenarios
    fails = 0
    with tempfile.TemporaryDirectory(prefix='pcapd-security-') as td:
        made = {}
        for name, assignments, want, *title in CONTRAST:
            if name not in made:
                made[name] = os.path.join(td, name)
                scenarios.SCENARIOS[name][0](made[name])
            extra = [x for a in assignments for x in ('--threshold', a)]
            rc, rep, jerr, err = harness.analyze(analyzer, made[name], extra=extra)
            if rc != 0 or rep is None:
                print('FAIL %s %s: %s %s' % (name, assignments, harness.describe_rc(rc), (jerr or err.strip())[:200]))
                fails += 1
                continue
            sec = [f for f in rep.get('findings') or [] if f.get('cause') == 'security']
            got = [f.get('id') for f in sec]
            ok = got == want and (not title or title[0] in sec[0].get('title', ''))
            print('%-4s %-28s %-42s %s%s' % ('ok' if ok else 'FAIL', name, ' '.join(assignments), got,
                                             ' "%s"' % sec[0].get('title') if title and sec else ''))
            fails += not ok
    print('%d failures' % fails)
    return 1 if fails else 0


def captures(corpus, large):
    out = []
    for s in ('real', 'gen', 'latency'):
        d = os.path.join(corpus, s)
        if os.path.isdir(d):
            out += [(s + '/' + f, os.path.join(d, f)) for f in sorted(os.listdir(d))
                    if f.endswith(('.pcap', '.pcapng', '.cap'))]
    if large and os.path.exists(large):
        out.append(('large/' + os.path.basename(large), large))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--analyzer', required=True)
    ap.add_argument('--corpus')
    ap.add_argument('--large', default='/tmp/corpus-large/large-131k.pcap')
    ap.add_argument('--contrast', action='store_true')
    o = ap.parse_args()
    if o.contrast:
        if not os.access(o.analyzer, os.X_OK):
            harness.skip('pcap-analyzer not built (%s)' % o.analyzer)
        return contrast(o.analyzer)
    if not o.corpus:
        ap.error('--corpus or --contrast')
    if not os.path.isdir(os.path.join(o.corpus, 'real')):
        harness.skip('corpus %s absent (needs ../shared beside the repository)' % o.corpus)
    if not os.access(o.analyzer, os.X_OK):
        harness.skip('pcap-analyzer not built (%s)' % o.analyzer)
    caps = captures(o.corpus, o.large)
    fails = 0
    seen_tp = set()
    for name, path in caps:
        rc, rep, jerr, err = harness.analyze(o.analyzer, path, timeout=120)
        if rc != 0 or rep is None:
            print('FAIL %s: %s %s' % (name, harness.describe_rc(rc), (jerr or err.strip())[:200]))
            fails += 1
            continue
        got = {f.get('id'): f.get('title') for f in rep.get('findings') or [] if f.get('cause') == 'security'}
        want = TRUE_POSITIVES.get(name, {})
        if name in TRUE_POSITIVES:
            seen_tp.add(name)
        if got != want:
            print('FAIL %s: security findings %s, want %s' % (name, got, want))
            fails += 1
        else:
            print('ok   %s%s' % (name, ' (true positive: %s)' % ', '.join(sorted(got)) if got else ''))
    for name in sorted(set(TRUE_POSITIVES) - seen_tp):
        print('FAIL %s: listed as a true positive but absent from the corpus' % name)
        fails += 1
    print('%d captures, %d failures' % (len(caps), fails))
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
