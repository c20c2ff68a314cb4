// The web tests' one pcap writer: small pcap files from scratch (Ethernet / IPv4 / UDP+DNS and TCP), for captures the tests make
// themselves: one with known figures and one with hostile DNS names.

const enc = new TextEncoder();

function u16(n) { return [(n >> 8) & 0xff, n & 0xff]; }
function u32(n) { return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]; }

function checksum(bytes) {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) + (i + 1 < bytes.length ? bytes[i + 1] : 0);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}

function ip4(a) { return a.split('.').map(Number); }

function ipv4(src, dst, proto, payload, id = 1) {
  const total = 20 + payload.length;
  const h = [0x45, 0, ...u16(total), ...u16(id), 0x40, 0, 64, proto, 0, 0, ...ip4(src), ...ip4(dst)];
  const c = checksum(h);
  h[10] = c >> 8;
  h[11] = c & 0xff;
  return [...h, ...payload];
}

function ethernet(payload) {
  return [0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00, ...payload];
}

export function udp(src, dst, sport, dport, payload, id) {
  const seg = [...u16(sport), ...u16(dport), ...u16(8 + payload.length), 0, 0, ...payload];
  return ethernet(ipv4(src, dst, 17, seg, id));
}

// flags: string of S A F R P
export function tcp(src, dst, sport, dport, seq, ack, flags, payload = [], id = 1, win = 64240) {
  let f = 0;
  if (flags.includes('F')) f |= 0x01;
  if (flags.includes('S')) f |= 0x02;
  if (flags.includes('R')) f |= 0x04;
  if (flags.includes('P')) f |= 0x08;
  if (flags.includes('A')) f |= 0x10;
  const seg = [...u16(sport), ...u16(dport), ...u32(seq >>> 0), ...u32(ack >>> 0), 0x50, f, ...u16(win), 0, 0, 0, 0, ...payload];
  const pseudo = [...ip4(src), ...ip4(dst), 0, 6, ...u16(seg.length), ...seg];
  const c = checksum(pseudo);
  seg[16] = c >> 8;
  seg[17] = c & 0xff;
  return ethernet(ipv4(src, dst, 6, seg, id));
}

// A DNS name as labels; the labels may hold any bytes but dots (that is the point of the hostile test).
function qname(name) {
  const out = [];
  for (const label of name.split('.')) {
    const b = enc.encode(label);
    if (b.length > 63) throw new Error('label too long: ' + label);
    out.push(b.length, ...b);
  }
  out.push(0);
  return out;
}

export function dnsQuery(id, name, qtype = 1) {
  return [...u16(id), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, ...qname(name), ...u16(qtype), 0, 1];
}

// rcode 0 NOERROR (with one A record 192.0.2.1), 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED
export function dnsResponse(id, name, rcode = 0, qtype = 1) {
  const answer = rcode === 0 ? [0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1] : [];
  return [...u16(id), 0x81, 0x80 | rcode, 0, 1, 0, answer.length ? 1 : 0, 0, 0, 0, 0, ...qname(name), ...u16(qtype), 0, 1, ...answer];
}

// The 24-byte global header (little-endian, microseconds); version and snaplen may be set to what no reader
// takes, for the tests of damaged files.
export function pcapHeader({ version = [2, 4], snaplen = 65535, linktype = 1 } = {}) {
  const gh = Buffer.alloc(24);
  gh.writeUInt32LE(0xa1b2c3d4, 0);
  gh.writeUInt16LE(version[0], 4);
  gh.writeUInt16LE(version[1], 6);
  gh.writeInt32LE(0, 8);
  gh.writeUInt32LE(0, 12);
  gh.writeUInt32LE(snaplen, 16);
  gh.writeUInt32LE(linktype, 20);
  return gh;
}

// packets: [{t: seconds (float), data: byte array}] → pcap file bytes (little-endian, microseconds, Ethernet).
export function pcapFile(packets) {
  const parts = [pcapHeader()];
  for (const p of packets) {
    const ph = Buffer.alloc(16);
    const sec = Math.floor(p.t);
    ph.writeUInt32LE(sec, 0);
    ph.writeUInt32LE(Math.round((p.t - sec) * 1e6), 4);
    ph.writeUInt32LE(p.data.length, 8);
    ph.writeUInt32LE(p.data.length, 12);
    parts.push(ph, Buffer.from(p.data));
  }
  return Buffer.concat(parts);
}

const T0 = 1795600000;

// A capture with known content: 4 DNS exchanges (2 NOERROR, 1 NXDOMAIN, 1 SERVFAIL), 1 unanswered query,
// and one TCP connection (handshake, 3 data segments, 1 retransmission, close). Returns {bytes, packets}.
export function madeCapture() {
  const C = '10.20.0.1';
  const S = '10.20.0.53';
  const W = '10.20.0.80';
  const pk = [];
  let t = T0;
  const add = (data, dt = 0.01) => { t += dt; pk.push({ t, data }); };
  const names = [['www.example.test', 0], ['mail.example.test', 0], ['missing.example.test', 3], ['broken.example.test', 2]];
  names.forEach(([n, rc], i) => {
    add(udp(C, S, 40000 + i, 53, dnsQuery(0x1000 + i, n)));
    add(udp(S, C, 53, 40000 + i, dnsResponse(0x1000 + i, n, rc)), 0.004 + i * 0.01);
  });
  add(udp(C, S, 40100, 53, dnsQuery(0x2000, 'nobody-answers.example.test')));
  // DNS on another port (a local resolver on 5300): counted apart, in dns.other_ports
  add(udp(C, S, 40200, 5300, dnsQuery(0x3000, 'other-port.example.test')));
  add(udp(S, C, 5300, 40200, dnsResponse(0x3000, 'other-port.example.test', 0)), 0.003);
  // TCP: client 10.20.0.1:50000 → 10.20.0.80:80
  const cs = 1000;
  const ss = 5000;
  const data = Array.from(enc.encode('GET / HTTP/1.0\r\nHost: example.test\r\n\r\n'));
  const body = Array.from({ length: 400 }, (_, i) => 65 + (i % 26));
  add(tcp(C, W, 50000, 80, cs, 0, 'S'), 0.05);
  add(tcp(W, C, 80, 50000, ss, cs + 1, 'SA'), 0.02);
  add(tcp(C, W, 50000, 80, cs + 1, ss + 1, 'A'), 0.0005);
  add(tcp(C, W, 50000, 80, cs + 1, ss + 1, 'PA', data), 0.001);
  add(tcp(W, C, 80, 50000, ss + 1, cs + 1 + data.length, 'A'), 0.02);
  add(tcp(W, C, 80, 50000, ss + 1, cs + 1 + data.length, 'PA', body), 0.001);
  add(tcp(W, C, 80, 50000, ss + 1 + body.length, cs + 1 + data.length, 'PA', body), 0.001);
  // the second segment again, 300 ms later: a retransmission after a timeout
  add(tcp(W, C, 80, 50000, ss + 1 + body.length, cs + 1 + data.length, 'PA', body), 0.3);
  add(tcp(C, W, 50000, 80, cs + 1 + data.length, ss + 1 + 2 * body.length, 'A'), 0.02);
  add(tcp(W, C, 80, 50000, ss + 1 + 2 * body.length, cs + 1 + data.length, 'FA'), 0.001);
  add(tcp(C, W, 50000, 80, cs + 1 + data.length, ss + 2 + 2 * body.length, 'FA'), 0.001);
  add(tcp(W, C, 80, 50000, ss + 2 + 2 * body.length, cs + 2 + data.length, 'A'), 0.02);
  return { bytes: pcapFile(pk), packets: pk.length };
}

// DNS names that are markup: if any of them is ever parsed as HTML, an image error handler or a script runs.
export const HOSTILE_NAMES = [
  '<img src=x onerror=alert(1)>',
  '<script>alert(2)</script>',
  '"><svg onload=alert(3)>',
];

export const HOSTILE_PATH = '/<svg/onload=alert(4)>';

export function hostileCapture() {
  const C = '10.30.0.1';
  const S = '10.30.0.53';
  const pk = [];
  let t = T0 + 100;
  HOSTILE_NAMES.forEach((n, i) => {
    t += 0.1;
    pk.push({ t, data: udp(C, S, 41000 + i, 53, dnsQuery(0x3000 + i, n)) });
    t += 0.02;
    // NXDOMAIN, so the names also land among the failed lookups and in the findings
    pk.push({ t, data: udp(S, C, 53, 41000 + i, dnsResponse(0x3000 + i, n, 3)) });
  });
  // and one that is never answered
  t += 0.1;
  pk.push({ t, data: udp(C, S, 41100, 53, dnsQuery(0x3100, HOSTILE_NAMES[0] + '.unanswered')) });
  // an HTTP request for a path that is markup (no blank in it, so that it stays one request-line token),
  // for the exchanges listed under "Where the time went"
  const W = '10.30.0.80';
  const req = Array.from(enc.encode(`GET ${HOSTILE_PATH} HTTP/1.1\r\nHost: <b>host</b>\r\n\r\n`));
  const resp = Array.from(enc.encode('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n'));
  const seg = (src, dst, sp, dp, seq, ack, flags, payload) => { pk.push({ t, data: tcp(src, dst, sp, dp, seq, ack, flags, payload) }); };
  let cs = 3000;
  let ss = 8000;
  t += 0.1; seg(C, W, 52000, 80, cs, 0, 'S');
  t += 0.01; seg(W, C, 80, 52000, ss, cs + 1, 'SA');
  cs += 1; ss += 1;
  t += 0.0002; seg(C, W, 52000, 80, cs, ss, 'A');
  t += 0.001; seg(C, W, 52000, 80, cs, ss, 'PA', req);
  cs += req.length;
  t += 0.01; seg(W, C, 80, 52000, ss, cs, 'A');
  t += 0.05; seg(W, C, 80, 52000, ss, cs, 'PA', resp);
  ss += resp.length;
  t += 0.0002; seg(C, W, 52000, 80, cs, ss, 'FA');
  t += 0.01; seg(W, C, 80, 52000, ss, cs + 1, 'FA');
  t += 0.0002; seg(C, W, 52000, 80, cs + 1, ss + 1, 'A');
  return { bytes: pcapFile(pk), packets: pk.length };
}

// HTTP/1.1 seen next to the client (10 ms round trip), one connection: GET /slow, which the server's TCP
// acknowledges at once and the server answers 500 ms later; then GET /big, answered at once with 96 KiB
// (a bulk transfer: slow start within the client's 64 KiB window); then the close. Returns
// {bytes, packets, serverDelayMs, slowPath, bigPath, bigBytes}.
export function httpCapture() {
  const C = '10.40.0.1';
  const S = '10.40.0.80';
  const cp = 51000;
  const sp = 80;
  const RTT = 0.010;
  const MSS = 1448;
  const WIN = 65535;
  const pk = [];
  let t = T0 + 200;
  let id = 1;
  const at = (dt, data) => { t += dt; pk.push({ t, data }); };
  const c2s = (seq, ack, flags, payload = []) => tcp(C, S, cp, sp, seq, ack, flags, payload, id++, WIN);
  const s2c = (seq, ack, flags, payload = []) => tcp(S, C, sp, cp, seq, ack, flags, payload, id++, WIN);
  let cs = 70000;
  let ss = 900000;
  at(0, c2s(cs, 0, 'S'));
  at(RTT, s2c(ss, cs + 1, 'SA'));
  cs += 1;
  ss += 1;
  at(0.0002, c2s(cs, ss, 'A'));

  // 1. the slow answer
  const req1 = Array.from(enc.encode('GET /slow HTTP/1.1\r\nHost: app.example.test\r\n\r\n'));
  at(0.001, c2s(cs, ss, 'PA', req1));
  cs += req1.length;
  at(RTT, s2c(ss, cs, 'A'));
  const body1 = 'slow answer '.repeat(25);
  const resp1 = Array.from(enc.encode(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body1.length}\r\n\r\n${body1}`));
  at(0.5, s2c(ss, cs, 'PA', resp1));
  ss += resp1.length;
  at(0.0003, c2s(cs, ss, 'A'));

  // 2. a bulk transfer: rounds of slow start, each acknowledged every second segment a round trip later
  const req2 = Array.from(enc.encode('GET /big HTTP/1.1\r\nHost: app.example.test\r\n\r\n'));
  at(0.002, c2s(cs, ss, 'PA', req2));
  cs += req2.length;
  const bigBytes = 96 * 1024;
  const head = Array.from(enc.encode(`HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${bigBytes}\r\n\r\n`));
  const resp2 = head.concat(Array.from({ length: bigBytes }, (_, i) => 97 + (i % 26)));
  let sent = 0;
  let acked = 0;
  let cwnd = 10;
  let gap = RTT + 0.001;
  while (sent < resp2.length) {
    const flight = [];
    for (let n = 0; n < cwnd && sent < resp2.length && sent - acked + MSS <= WIN; n++) {
      const len = Math.min(MSS, resp2.length - sent);
      at(n === 0 ? gap : 0.0001, s2c(ss + sent, cs, n === 0 ? 'A' : 'PA', resp2.slice(sent, sent + len)));
      sent += len;
      flight.push(sent);
    }
    for (let i = 1; i < flight.length; i += 2) at(0.0001, c2s(cs, ss + flight[i], 'A'));
    if (flight.length % 2) at(0.0001, c2s(cs, ss + flight[flight.length - 1], 'A'));
    acked = sent;
    cwnd *= 2;
    gap = RTT;
  }
  ss += resp2.length;

  // close
  at(0.05, c2s(cs, ss, 'FA'));
  at(RTT, s2c(ss, cs + 1, 'FA'));
  at(0.0002, c2s(cs + 1, ss + 1, 'A'));
  return { bytes: pcapFile(pk), packets: pk.length, serverDelayMs: 500, slowPath: '/slow', bigPath: '/big', bigBytes };
}

// DNS over UDP only: no TCP exchange whose time could be split.
export function dnsOnlyCapture() {
  const C = '10.50.0.1';
  const S = '10.50.0.53';
  const pk = [];
  let t = T0 + 300;
  ['a.example.test', 'b.example.test', 'c.example.test'].forEach((n, i) => {
    t += 0.05;
    pk.push({ t, data: udp(C, S, 42000 + i, 53, dnsQuery(0x4000 + i, n)) });
    t += 0.015;
    pk.push({ t, data: udp(S, C, 53, 42000 + i, dnsResponse(0x4000 + i, n, 0)) });
  });
  return { bytes: pcapFile(pk), packets: pk.length };
}
