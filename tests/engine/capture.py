#!/usr/bin/env python3
"""pcap-analyzer capture (issue 14), with real parts: two network namespaces joined by a veth pair, real
TCP and UDP traffic between them, the capture inside one of them; and a local sshd on a free port as the
remote host (the system's ssh client, tcpdump there). Checks: the live report equals the report of the
--write copy; the filter, the count, the duration and Ctrl-C end or shape the capture; clear errors for a bad
filter (before anything starts), an unknown interface, no permission, an unknown host, a refused login and a
missing tcpdump. Needs root, ip(8), tcpdump and sshd: skips (77) saying which is missing.

Usage: capture.py --analyzer BIN
"""
import argparse
import json
import re
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

fails = 0


def expect(what, ok, detail=''):
    global fails
    print('%-4s %s%s' % ('ok' if ok else 'FAIL', what, (' -- ' + str(detail)) if detail and not ok else ''))
    fails += not ok


def skip(why):
    print('SKIP ' + why)
    sys.exit(77)


def sh(*cmd, check=True, **kw):
    return subprocess.run(list(cmd), check=check, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60, **kw)


TSHARK_R = re.compile(r"tshark -r ('(?:[^']|'\\'')*'|\S+)")


def canonical(path):
    """The report without what differs between two reads of the same packets (timing, sources)."""
    d = json.load(open(path))
    for k in ('generated_at', 'analysis', 'input', 'file'):
        d.pop(k, None)
    d.get('capture', {}).pop('file_size', None)  # a stream has no size
    # the capture's name (capture.file_name, quoted in every tshark command) is the -w file's in one, the
    # live source's in the other
    d.get('capture', {}).pop('file_name', None)
    return TSHARK_R.sub('tshark -r CAPTURE', json.dumps(d, sort_keys=True))


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    p = s.getsockname()[1]
    s.close()
    return p


def traffic_ns(ns, peer_ip, seconds):
    """UDP datagrams and TCP connections from namespace ns to peer_ip, for about seconds."""
    prog = ('import socket,time\n'
            'end=time.time()+%f\n'
            'u=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n'
            'while time.time()<end:\n'
            '    u.sendto(b"x"*80,("%s",9000))\n'
            '    try:\n'
            '        t=socket.create_connection(("%s",9001),timeout=0.5); t.sendall(b"y"*2000); t.close()\n'
            '    except OSError: pass\n'
            '    time.sleep(0.05)\n') % (seconds, peer_ip, peer_ip)
    return subprocess.Popen(['ip', 'netns', 'exec', ns, sys.executable, '-c', prog])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--analyzer', required=True)
    exe = os.path.abspath(ap.parse_args().analyzer)
    if os.geteuid() != 0:
        skip('needs root (network namespaces, capture, sshd)')
    for tool in ('ip', 'tcpdump'):
        if not shutil.which(tool):
            skip('%s is not installed' % tool)
    tmp = tempfile.mkdtemp(prefix='pcapd-capture-')
    tag = str(os.getpid())
    nsa, nsb = 'pcapd-cap-a-' + tag, 'pcapd-cap-b-' + tag
    sshd = None
    try:
        # --- two namespaces joined by a veth pair; a TCP listener in A ---
        sh('ip', 'netns', 'add', nsa)
        sh('ip', 'netns', 'add', nsb)
        sh('ip', 'link', 'add', 'cap' + tag[-5:], 'netns', nsa, 'type', 'veth', 'peer', 'name', 'cpb' + tag[-5:], 'netns', nsb)
        va, vb = 'cap' + tag[-5:], 'cpb' + tag[-5:]
        for ns, dev, ip in ((nsa, va, '10.77.0.1/24'), (nsb, vb, '10.77.0.2/24')):
            sh('ip', '-n', ns, 'addr', 'add', ip, 'dev', dev)
            sh('ip', '-n', ns, 'link', 'set', dev, 'up')
            sh('ip', '-n', ns, 'link', 'set', 'lo', 'up')
        listener = subprocess.Popen(['ip', 'netns', 'exec', nsa, sys.executable, '-c',
                                     'import socket\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n'
                                     's.bind(("10.77.0.1",9001))\ns.listen(64)\n'
                                     'while True:\n    c,_=s.accept()\n    while c.recv(65536): pass\n    c.close()\n'])
        time.sleep(0.3)

        def capture(*args, ns=nsa, traffic=3.0, timeout=60, interrupt_after=None):
            gen = traffic_ns(nsb, '10.77.0.1', traffic) if traffic else None
            p = subprocess.Popen(['ip', 'netns', 'exec', ns, exe, 'capture'] + list(args), stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
            if interrupt_after:
                time.sleep(interrupt_after)
                p.send_signal(signal.SIGINT)
            out, err = p.communicate(timeout=timeout)
            if gen:
                gen.wait()
            return p.returncode, out.decode(errors='replace'), err.decode(errors='replace')

        live, copy, again = (os.path.join(tmp, n) for n in ('live.json', 'copy.pcap', 'again.json'))
        rc, _, err = capture('-i', va, '-c', '60', '-w', copy, '--json', live, '-q')
        expect('capture -i IF -c 60 -w FILE --json: exit 0', rc == 0, err)
        d = json.load(open(live)) if rc == 0 else {}
        expect('the live report counts the 60 packets', d.get('capture', {}).get('packets') == 60, d.get('capture'))
        tcp = sum(1 for f in d.get('tcp', {}).get('worst_flows', []) or [])
        expect('it saw the TCP connections and the UDP datagrams',
               d.get('tcp', {}).get('connections', 0) > 0 and d.get('traffic', {}).get('protocols', {}).get('udp', {}).get('packets', 1) > 0,
               json.dumps(d.get('traffic', {}).get('protocols', {}))[:300])
        rc2 = subprocess.run([exe, 'analyze', copy, '--json', again, '-q']).returncode
        expect('the --write copy reads back to the same report as the live analysis',
               rc2 == 0 and canonical(live) == canonical(again))
        n = sh('tcpdump', '-r', copy, check=False).stdout.count(b'\n')
        expect('tcpdump reads the copy: 60 packets (%d)' % n, n == 60)

        rc, _, err = capture('-i', va, '-f', 'udp', '-c', '10', '--json', live, '-q')
        d = json.load(open(live)) if rc == 0 else {}
        expect('-f udp: only UDP in the report', rc == 0 and d.get('tcp', {}).get('connections', 0) == 0 and
               d.get('capture', {}).get('packets') == 10, err)

        t0 = time.time()
        rc, _, err = capture('-i', va, '-d', '2', '--json', live, '-q', traffic=0)
        took = time.time() - t0
        expect('-d 2 with no traffic ends after about 2 s (%.1f s), exit 0' % took, rc == 0 and 1.8 <= took <= 6, err)
        rc, _, err = capture('-i', va, '--json', live, '-q', traffic=4, interrupt_after=1.5)
        d = json.load(open(live)) if rc == 0 else {}
        expect('Ctrl-C ends an open-ended capture with a report (%s packets)' % d.get('capture', {}).get('packets'),
               rc == 0 and d.get('capture', {}).get('packets', 0) > 0, err)

        rc, _, err = capture('-i', va, '-f', 'tcp port', '-c', '1', traffic=0)
        expect('a bad filter: exit 2 before anything starts', rc == 2 and 'invalid capture filter' in err, err)
        rc, _, err = capture('-i', 'nosuch0', '-c', '1', traffic=0)
        expect('an unknown interface: exit 3, said so', rc == 3 and 'no such network interface' in err, err)
        if shutil.which('setpriv'):
            p = subprocess.run(['ip', 'netns', 'exec', nsa, 'setpriv', '--reuid=65534', '--regid=65534', '--clear-groups',
                                '--inh-caps=-all', exe, 'capture', '-i', va, '-c', '1'], stderr=subprocess.PIPE, timeout=30)
            expect('no permission: exit 3, said so', p.returncode == 3 and b'no permission' in p.stderr, p.stderr)
        p = subprocess.run([exe, 'analyze', copy, '-c', '5'], stderr=subprocess.PIPE)
        expect('capture options with analyze: a usage error', p.returncode == 2)

        # --- a real remote: sshd on a free port, root by key only ---
        sshd_bin = shutil.which('sshd') or ('/usr/sbin/sshd' if os.path.exists('/usr/sbin/sshd') else None)
        if not sshd_bin or not shutil.which('ssh') or not shutil.which('ssh-keygen'):
            print('SKIP the --ssh part: sshd, ssh or ssh-keygen is not installed (openssh-server, openssh-client)')
        else:
            os.makedirs('/run/sshd', exist_ok=True)
            for k in ('host', 'client', 'other'):
                sh('ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', os.path.join(tmp, k))
            with open(os.path.join(tmp, 'authorized_keys'), 'w') as f:
                f.write(open(os.path.join(tmp, 'client.pub')).read())
            port = free_port()
            cfg = os.path.join(tmp, 'sshd_config')
            with open(cfg, 'w') as f:
                f.write('Port %d\nListenAddress 127.0.0.1\nHostKey %s/host\nAuthorizedKeysFile %s/authorized_keys\n'
                        'PermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n'
                        'UsePAM no\nStrictModes no\nPidFile none\n' % (port, tmp, tmp))
            sshd = subprocess.Popen([sshd_bin, '-D', '-e', '-f', cfg], stderr=open(os.path.join(tmp, 'sshd.log'), 'w'))
            for _ in range(50):
                try:
                    socket.create_connection(('127.0.0.1', port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            sshopts = ['--ssh-option=-p%d' % port, '--ssh-option=-i%s/client' % tmp,
                       '--ssh-option=-oUserKnownHostsFile=%s/known_hosts' % tmp,
                       '--ssh-option=-oStrictHostKeyChecking=accept-new']

            def udp_lo(seconds):
                def run():
                    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    end = time.time() + seconds
                    while time.time() < end:
                        s.sendto(b'z' * 64, ('127.0.0.1', 9998))
                        time.sleep(0.02)
                th = threading.Thread(target=run, daemon=True)
                th.start()
                return th

            th = udp_lo(6)
            p = subprocess.run([exe, 'capture', '--ssh', 'root@127.0.0.1'] + sshopts +
                               ['-i', 'lo', '-f', 'udp port 9998', '-c', '15', '-w', copy, '--json', live, '-q'],
                               stderr=subprocess.PIPE, timeout=60)
            th.join()
            d = json.load(open(live)) if p.returncode == 0 else {}
            expect('--ssh root@127.0.0.1 -i lo -c 15: tcpdump there, analysed here (%s packets)' %
                   d.get('capture', {}).get('packets'), p.returncode == 0 and d.get('capture', {}).get('packets') == 15,
                   p.stderr.decode(errors='replace'))
            rc2 = subprocess.run([exe, 'analyze', copy, '--json', again, '-q']).returncode
            expect('the --write copy of the remote capture gives the same report', rc2 == 0 and canonical(live) == canonical(again))

            def remote_err(*args):
                p = subprocess.run([exe, 'capture'] + list(args) + ['-c', '1'], stderr=subprocess.PIPE, timeout=60)
                return p.returncode, p.stderr.decode(errors='replace')
            rc, err = remote_err('--ssh', 'root@nosuchhost.invalid', *sshopts)
            expect('an unknown host: exit 3, "unknown host"', rc == 3 and 'unknown host' in err, err)
            wrong = [o.replace('/client', '/other') for o in sshopts]
            rc, err = remote_err('--ssh', 'root@127.0.0.1', *wrong)
            expect('a refused login: exit 3, "refused"', rc == 3 and 'refused' in err, err)
            rc, err = remote_err('--ssh', 'root@127.0.0.1', '--tcpdump', '/nonexistent/tcpdump', *sshopts)
            expect('no tcpdump there: exit 3, "not installed"', rc == 3 and 'not installed' in err, err)
            rc, err = remote_err('--ssh', 'root@127.0.0.1', '-f', 'port port', *sshopts)
            expect('a bad filter: exit 2 before ssh runs', rc == 2 and 'invalid capture filter' in err, err)
        listener.kill()
    finally:
        if sshd:
            sshd.kill()
        for ns in (nsa, nsb):
            subprocess.run(['ip', 'netns', 'del', ns], stderr=subprocess.DEVNULL)
        shutil.rmtree(tmp, ignore_errors=True)
    print('%d failed' % fails if fails else 'all passed')
    sys.exit(1 if fails else 0)


main()
