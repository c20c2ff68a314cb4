#!/usr/bin/env python3
"""Self-test of pcapwrite: tshark reads every scenario file, frame count as written, every checksum good, nothing
malformed.  Exit 77 without tshark.  Prints tshark's TCP/DNS analysis of each file for comparison."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scenarios  # noqa: E402

FLAGS = ['retransmission', 'fast_retransmission', 'spurious_retransmission', 'duplicate_ack', 'out_of_order',
         'lost_segment', 'zero_window', 'keep_alive']


def main():
    if not shutil.which('tshark'):
        print('SKIP: tshark not installed (apt-get install tshark)')
        return 77
    bad = 0
    with tempfile.TemporaryDirectory(prefix='pcapwrite-') as td:
        counts = scenarios.build_all(td)
        for name, n in counts.items():
            path = os.path.join(td, name)
            cmd = ['tshark', '-n', '-r', path, '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE',
                   '-o', 'udp.check_checksum:TRUE', '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,',
                   '-e', 'frame.number', '-e', '_ws.expert.severity', '-e', '_ws.expert.message', '-e', '_ws.malformed',
                   '-e', 'ip.checksum.status', '-e', 'tcp.checksum.status', '-e', 'udp.checksum.status',
                   '-e', 'icmp.checksum.status', '-e', 'icmpv6.checksum.status', '-e', 'frame.protocols'] + \
                sum([['-e', 'tcp.analysis.' + f] for f in FLAGS], []) + ['-e', 'dns.flags.rcode', '-e', 'dns.time']
            p = subprocess.run(cmd, capture_output=True, text=True)
            lines = [l.split('\t') for l in p.stdout.splitlines()]
            problems = []
            if p.returncode != 0:
                problems.append('tshark exit %d: %s' % (p.returncode, p.stderr.strip()[:200]))
            if len(lines) != n:
                problems.append('tshark read %d frames, %d written' % (len(lines), n))
            flags = dict.fromkeys(FLAGS, 0)
            for c in lines:
                c += [''] * (24 - len(c))
                # tshark's TCP reassembly calls a retransmission of bytes it has already put into a reassembled
                # PDU "malformed" (seen with a loss after a sender-side capture point; the bytes are identical)
                reassembly_quirk = 'overlaps old data (retransmission?)' in c[2] and (c[10] or c[11])
                if c[3] and not reassembly_quirk:
                    problems.append('frame %s malformed (%s)' % (c[0], c[9]))
                for i in range(4, 9):
                    if any(v == '0' for v in c[i].split(',') if v):  # 0 = bad, 1 = good, 2 = unverified
                        problems.append('frame %s bad checksum (field %d)' % (c[0], i))
                if ('Malformed' in c[2] and not reassembly_quirk) or 'Bad checksum' in c[2]:
                    problems.append('frame %s: %s' % (c[0], c[2]))
                for j, f in enumerate(FLAGS):
                    if c[10 + j]:
                        flags[f] += 1
            print('%-4s %-26s %3d frames  tshark: %s' % ('FAIL' if problems else 'ok', name, n,
                                                        ' '.join('%s=%d' % (k, v) for k, v in flags.items() if v)))
            for x in problems[:10]:
                print('     ' + x)
            bad += bool(problems)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
