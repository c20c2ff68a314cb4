#!/usr/bin/env python3
"""The HTML report: a hostile capture in, a safe, well-formed, self-contained page out.

Builds a capture with tests/pcapwrite (no ../shared needed) whose DNS names hold markup, quotes, a NUL byte,
invalid and valid non-ASCII UTF-8, runs `pcap-analyzer analyze CAP -o OUT.html` and checks that:
  - the page is valid UTF-8, parses with balanced tags, has no script, no external resource, no raw control byte;
  - every name is escaped byte for byte (markup as entities, other bytes as \\xNN) and appears where it should;
  - the findings section comes first, then the health score with its penalties, then the other sections;
  - the connections table counts the capture's one TCP connection in its end state and lists it;
  - long event lists are capped (at most 200 rows) with the true total stated;
  - the page is the same whether the JSON report was written first from the same analysis or not.

Usage: test-report-html.py --analyzer BIN   (exits 77 when BIN is missing)
"""
import argparse
import html
import json
import html.parser
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'pcapwrite'))
import pcapwrite as pw  # noqa: E402

CLIENT, SERVER = '10.0.0.1', '10.0.0.53'
HOSTILE = [
    b'<script>alert(1)</script>',
    b'q"uo\'te',
    b'nul\x00byte',
    b'bad\xff\xfeutf8',
    b'caf\xc3\xa9',          # valid UTF-8, still shown as bytes
    b'back\\slash&amp',
]
HOSTILE_NAME = b'.'.join(HOSTILE) + b'.test'
UNANSWERED = 300             # more than the 200 rows a table shows


def qname(raw):
    out = b''
    for label in raw.split(b'.'):
        out += bytes([len(label)]) + label
    return out + b'\0'


def dns_msg(ident, raw, response=False, rcode=0):
    flags = (0x8180 | rcode) if response else 0x0100
    return struct.pack('!HHHHHH', ident, flags, 1, 0, 0, 0) + qname(raw) + struct.pack('!HH', 1, 1)


def build(path):
    t = 1_700_000_000.0
    with pw.PcapWriter(path, pw.DLT_EN10MB) as w:
        def udp(ts, src, dst, sport, dport, payload):
            w.write(ts, pw.ether(pw.ipv4(src, dst, pw.udp(sport, dport, payload))))

        # the hostile name: a SERVFAIL answer (error list) and a slow NXDOMAIN answer (slow list)
        udp(t, CLIENT, SERVER, 40000, 53, dns_msg(1, HOSTILE_NAME))
        udp(t + 0.010, SERVER, CLIENT, 53, 40000, dns_msg(1, HOSTILE_NAME, True, 2))
        udp(t + 0.020, CLIENT, SERVER, 40001, 53, dns_msg(2, HOSTILE_NAME))
        udp(t + 0.520, SERVER, CLIENT, 53, 40001, dns_msg(2, HOSTILE_NAME, True, 3))
        # many queries nobody answers (unanswered list, capped in the page)
        for i in range(UNANSWERED):
            udp(t + 0.6 + i * 0.001, CLIENT, SERVER, 41000 + i, 53, dns_msg(1000 + i, b'u%d.<b>x</b>.test' % i))
        # a TCP connection with data, so the TCP section has figures and charts
        c = pw.TcpFlow(CLIENT, 50000, '10.0.0.80', 80)
        ts = t + 1.0
        for pkt in (c.syn(), c.synack(), c.ack()):
            w.write(ts, pw.ether(pkt))
            ts += 0.002
        for _ in range(20):
            w.write(ts, pw.ether(c.data(True, 500)))
            w.write(ts + 0.001, pw.ether(c.ack_only(False)))
            ts += 0.01
        # the capture ends well after every DNS timeout
        udp(t + 12.0, CLIENT, SERVER, 40002, 53, dns_msg(3, b'last.test'))
        udp(t + 12.001, SERVER, CLIENT, 53, 40002, dns_msg(3, b'last.test', True, 0))


VOID = {'meta', 'br', 'img', 'hr', 'input', 'link', 'area', 'base', 'col', 'embed', 'source', 'track', 'wbr'}


class Checker(html.parser.HTMLParser):
    """Balanced tags, the order of sections, the text of DNS name cells, every attribute that could load."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.sections, self.names, self.attrs = [], [], [], [], []
        self.in_name = 0
        self.text = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.attrs += [(tag, k, v) for k, v in attrs]
        if tag == 'section':
            self.sections.append(a.get('id'))
        if tag not in VOID:
            self.stack.append((tag, 'name' in (a.get('class') or '').split()))
            if self.stack[-1][1]:
                self.in_name += 1
                self.text = []

    def handle_startendtag(self, tag, attrs):
        self.attrs += [(tag, k, v) for k, v in attrs]

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1][0] != tag:
            self.errors.append('unexpected </%s> at %s (open: %s)' % (tag, self.getpos(), [t for t, _ in self.stack[-4:]]))
            return
        _, is_name = self.stack.pop()
        if is_name:
            self.in_name -= 1
            self.names.append(''.join(self.text))

    def handle_data(self, data):
        if self.in_name:
            self.text.append(data)


def expected_text(raw):
    """What html_bytes() shows for raw bytes, as the browser's text (after entity decoding)."""
    out = ''
    for b in raw:
        out += chr(b) if 0x20 < b < 0x7f and b != 0x5c else '\\x%02x' % b
    return out


def between(page, start, end):
    """The text from start to the first end after it ('' when start is absent)."""
    i = page.find(start)
    if i < 0:
        return ''
    j = page.find(end, i)
    return page[i:j if j >= 0 else len(page)]


def run(analyzer, cap, *args):
    r = subprocess.run([analyzer, 'analyze', cap, '-q', *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    return r.returncode, r.stderr.decode(errors='replace')


def page_checks(raw, label, check):
    """What every page must be, whatever the capture; returns the text and its parse."""
    try:
        page = raw.decode('utf-8')
        check(True, label + ': valid UTF-8')
    except UnicodeDecodeError as e:
        check(False, label + ': valid UTF-8 (%s)' % e)
        page = raw.decode('utf-8', errors='replace')
    check(len(raw) < 2_000_000, label + ': bounded size (%d bytes)' % len(raw))
    check(re.search(rb'[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]', raw) is None, label + ': no raw control byte')
    low = page.lower()
    check('<script' not in low, label + ': no <script')
    check('http://' not in low and 'https://' not in low, label + ': no URL')
    check(not re.search(r'<(iframe|object|embed|img|link|base|form|meta http-equiv)', low),
          label + ': no external-resource element')
    check('@import' not in low and 'url(' not in low, label + ': no resource in the style sheet')
    check(re.search(r'\son[a-z]+\s*=', low) is None, label + ': no event-handler attribute')
    check('prefers-color-scheme' in page and '@media print' in page, label + ': dark-mode and print styles')

    p = Checker()
    p.feed(page)
    p.close()
    check(not p.errors, label + ': tags are balanced %s' % p.errors[:3])
    check(not p.stack, label + ': every element is closed %s' % p.stack[-3:])
    bad = [(t, k, v) for t, k, v in p.attrs if k in ('src', 'href', 'action', 'srcset', 'xlink:href', 'data')
           and not (v or '').startswith('#')]
    check(not bad, label + ': no attribute loads anything %s' % bad[:3])

    # order: where the time went first (issue 10), then the findings, the health score, the analyses
    check(p.sections[:3] == ['time', 'findings', 'health'],
          label + ': where the time went, then the findings, then the health score: %s' % p.sections)
    for s in ('capture', 'protocols', 'talkers', 'services', 'tcp', 'connections', 'dns', 'icmp', 'fragments', 'timing',
              'thresholds'):
        check(s in p.sections[2:], label + ': section %s present' % s)
    # HTML Tidy, when installed (tests/packages-test.txt lists it), as a second, independent parser
    if shutil.which('tidy'):
        r = subprocess.run(['tidy', '-q', '-e', '-utf8'], input=raw, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60)
        errors = [ln for ln in r.stderr.decode(errors='replace').splitlines() if 'Error:' in ln]
        check(not errors and r.returncode in (0, 1), label + ': tidy finds no error %s' % errors[:3])
    else:
        print('note %s: tidy not installed, the second parser is skipped' % label)
    return page, p


def jitter_checks(analyzer, td, check):
    """The jitter section (issue 14): the RTP stream over its threshold in the table, its chart with the threshold
    line; a download's chart with its retransmissions marked (a tick per bucket that had any, as in the JSON)."""
    import json
    import scenarios
    for name in ('rtp-jitter-over.pcap', 'time-loss-bulk.pcap'):
        cap = os.path.join(td, name)
        scenarios.SCENARIOS[name][0](cap)
        out = os.path.join(td, name + '.html')
        js = os.path.join(td, name + '.json')
        rc, err = run(analyzer, cap, '-o', out, '--json', js)
        check(rc == 0, '%s: exits 0 (%d %s)' % (name, rc, err.strip()))
        if rc != 0:
            continue
        page, _ = page_checks(open(out, 'rb').read(), name, check)
        sec = between(page, '<section id="jitter"', '</section>')
        figs = sec.count('<figure class="chart">')
        if name.startswith('rtp'):
            check('<tr class="warn"><td>10.2.0.1:20000 -> 10.2.0.2:20002</td><td>RTP</td>' in sec and '91.908' in sec,
                  '%s: the stream over its threshold, marked, with its RFC 3550 jitter' % name)
            check(figs == 1 and 'jitter_media_ms threshold' in sec and '<polyline class="l2"' in sec,
                  '%s: one chart, with its jitter line and the threshold' % name)
        else:
            charts = json.load(open(js))['jitter']['charts']
            want = sum(1 for v in charts[0]['retransmissions'] if v) if charts else -1
            check(figs == len(charts) >= 1 and 'retransmissions (ticks)' in sec, '%s: the connection charted with '
                  'its retransmissions (%d charts)' % (name, figs))
            first = between(sec, '<figure class="chart">', '</figure>')
            ticks = between(first, '<g class="l3">', '</g>').count('<line ')
            check(want >= 1 and ticks == want, '%s: its retransmissions marked, one tick per bucket that had any '
                  '(%d ticks, %d in the JSON)' % (name, ticks, want))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--analyzer')
    o = ap.parse_args()
    if not o.analyzer or not os.access(o.analyzer, os.X_OK):
        print('SKIP: pcap-analyzer not built (%s)' % o.analyzer)
        return 77
    fails = []

    def check(cond, what):
        print('%s %s' % ('ok  ' if cond else 'FAIL', what))
        if not cond:
            fails.append(what)

    with tempfile.TemporaryDirectory(prefix='pcapd-html-') as td:
        cap = os.path.join(td, 'hostile.pcap')
        build(cap)
        out = os.path.join(td, 'r.html')
        rc, err = run(o.analyzer, cap, '-o', out)
        check(rc == 0, 'pcap-analyzer exits 0 (%d %s)' % (rc, err.strip()))
        if rc != 0:
            return 1
        raw = open(out, 'rb').read()
        # the same analysis written as JSON first (the JSON writer reorders its tables in place)
        out2 = os.path.join(td, 'r2.html')
        rc2, err2 = run(o.analyzer, cap, '--json', os.path.join(td, 'r.json'), '-o', out2)
        check(rc2 == 0 and open(out2, 'rb').read() == raw, 'same page whether the JSON report was written first')
        # a capture without a single packet still makes a whole page
        empty = os.path.join(td, 'empty.pcap')
        pw.PcapWriter(empty).close()
        out3 = os.path.join(td, 'empty.html')
        rc3, err3 = run(o.analyzer, empty, '-o', out3)
        check(rc3 == 0, 'empty capture: exits 0 (%d %s)' % (rc3, err3.strip()))
        if rc3 == 0:
            epage, _ = page_checks(open(out3, 'rb').read(), 'empty', check)
            check('No problem found' in epage, 'empty: says no problem was found')

        jitter_checks(o.analyzer, td, check)

    page, p = page_checks(raw, 'hostile', check)
    fsec = between(page, '<section id="findings"', '</section>')
    check('dns-errors' in fsec and '<code>dns.flags.rcode' in fsec, 'DNS error finding with its filter in <code>')
    check('dns-timeouts' in fsec, 'DNS timeout finding')
    hsec = between(page, '<section id="health"', '</section>')
    check(re.search(r'−\d+</td>', hsec) is not None, 'penalties listed under the health score')

    # escaping: the hostile name appears as text, byte for byte, never as markup
    want = expected_text(HOSTILE_NAME)
    check(p.names.count(want) >= 2, 'hostile name shown escaped in the error and slow lists (%d)' % p.names.count(want))
    check('&lt;script&gt;alert(1)&lt;/script&gt;' in page, 'markup in a name written as entities')
    check('<b>x</b>' not in page and '&lt;b&gt;x&lt;/b&gt;' in page, 'markup in unanswered names written as entities')
    check('q&quot;uo&#39;te' in page, 'quotes escaped')
    check('nul<span class="esc">\\x00</span>byte' in page, 'NUL shown as \\x00')
    check('bad<span class="esc">\\xff\\xfe</span>utf8' in page, 'invalid UTF-8 shown as \\xNN')
    check('caf<span class="esc">\\xc3\\xa9</span>' in page, 'non-ASCII shown as \\xNN')
    check('back<span class="esc">\\x5c</span>slash&amp;amp' in page, 'backslash and ampersand escaped')

    # the connections table: the one TCP connection (its last packet at 1.2 s, the capture's at 12 s) is idle
    csec = between(page, '<section id="connections"', '</section>')
    check('<th>idle</th><td class="n">1</td>' in csec and '<th>established</th><td class="n z">0</td>' in csec,
          'connections: the one connection counted idle (silent 10.8 s at the end)')
    check(csec.count('<tr class="main">') == 1 and 'tcp.port==50000' in csec and '>idle</td>' in csec,
          'connections: one row, with its filter and state')
    check(re.search(r'Frames</span>\d+–\d+', csec) is not None,
          'connections: the row names its first and last frames')

    # bounded tables: the unanswered list shows 200 rows and states the true total
    u = between(page, 'Unanswered queries', '</table>')
    rows = u.count('<tr>') - 1 if '<thead>' in u else u.count('<tr>')
    check(rows == 200, 'unanswered table capped at 200 rows (%d)' % rows)
    check(re.search(r'Showing 200 of %s' % format(UNANSWERED, ','), page) is not None, 'true total stated')
    check('(%d)' % UNANSWERED in html.unescape(re.sub(r'<[^>]+>', '', page)), 'total in the list heading')

    # the thresholds the diagnosis used, collapsible without script; one row each, as the JSON lists them
    tsec = between(page, '<section id="thresholds">', '</section>')
    with tempfile.TemporaryDirectory() as td2:
        jpath, cap2 = os.path.join(td2, 'r.json'), os.path.join(td2, 'h.pcap')
        build(cap2)
        subprocess.run([o.analyzer, 'analyze', cap2, '--json', jpath, '-q'], check=False)
        names = list(json.load(open(jpath)).get('thresholds', {}))
    check('<details><summary>' in tsec and len(names) >= 10
          and all('<code>%s</code>' % n in tsec for n in names), 'thresholds section lists every threshold in <details>')
    check('<h3>Gaps</h3>' in page and '<h3>Largest bursts</h3>' in page and '<h3>Peak and quiet periods</h3>' in page,
          'timing lists present')

    print('%d checks failed' % len(fails) if fails else 'all checks passed')
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
