// Report page: capture summary with the throughput chart, protocol distribution, services and top talkers.
import { el, get, isNum, fmtInt, fmtNum, fmtBytes, fmtBits, fmtDuration, fmtPct, fmtDate, fmtRelative, toDate } from './common.js';
import { timeChart, barCell } from './charts.js';
import { card, tile, tiles, table, td, empty, moreFigures, chartBlock, seriesOf } from './report-widgets.js';

export function renderSummary(r, status) {
  const cap = r.capture || {};
  const dur = cap.duration_s;
  const pps = cap.packets_per_s ?? (isNum(dur) && dur > 0 && isNum(cap.packets) ? cap.packets / dur : undefined);
  const bps = cap.bits_per_s ?? (isNum(dur) && dur > 0 && isNum(cap.bytes) ? (cap.bytes * 8) / dur : undefined);
  const c = card('summary', 'Capture summary', null,
    tiles(
      tile('Packets', fmtInt(cap.packets), { metric: 'capture.packets' }),
      tile('Bytes', fmtBytes(cap.bytes), { metric: 'capture.bytes', sub: isNum(cap.bytes) ? fmtInt(cap.bytes) + ' B' : undefined }),
      tile('Duration', fmtDuration(dur), { metric: 'capture.duration_s' }),
      tile('Average rate', fmtBits(bps), { sub: isNum(pps) ? fmtNum(pps) + ' packets/s' : undefined }),
    ));
  const rows = [
    ['First packet', fmtDate(cap.first_ts)],
    ['Last packet', fmtDate(cap.last_ts)],
  ];
  const links = cap.link_types;
  if (Array.isArray(links) && links.length) rows.push(['Link types', links.map((l) => `${l.name || 'DLT ' + l.dlt}${isNum(l.packets) ? ` (${fmtInt(l.packets)})` : ''}${l.decoded === false ? ', not decoded' : ''}`).join(', ')]);
  if (cap.format) rows.push(['Format', String(cap.format)]);
  if (status && status.filename) rows.push(['File', status.filename]);
  if (status && isNum(status.file_size_bytes)) rows.push(['File size', fmtBytes(status.file_size_bytes)]);
  const done = status && status.finished_at;
  if (done) {
    const began = status && toDate(status.started_at);
    const ended = toDate(done);
    const took = began && ended ? ` in ${fmtDuration((ended - began) / 1000)}` : '';
    rows.push(['Analysed', fmtDate(done) + took]);
  }
  if (status && status.expires_at) rows.push(['Report kept until', `${fmtDate(status.expires_at)} (${fmtRelative(status.expires_at)})`]);
  c.appendChild(el('h3', { text: 'Details' }));
  c.appendChild(el('div', { class: 'table-wrap' }, el('table', { class: 'kv' }, el('tbody', {}, rows.map(([k, v]) => el('tr', {}, el('th', { scope: 'row', text: k }), td(v)))))));
  const skipped = cap.skipped;
  const skipKeys = ['unsupported_link_type', 'not_ip', 'truncated_headers', 'malformed_headers'];
  if (skipped && typeof skipped === 'object' && skipKeys.some((k) => isNum(skipped[k]) && skipped[k] > 0)) {
    const m = moreFigures(skipped, skipKeys, 'capture.skipped', 'Packets not analysed');
    if (m) c.appendChild(m);
  }
  const more = moreFigures(cap, ['file_size', 'bytes_captured', 'snaplen', 'nanosecond', 'max_gap_s', 'max_gap_frame', 'negative_time_deltas', 'duplicates', 'duplicate_first_frame', 'duplicate_max_delay_ms', 'bytes_read'], 'capture', 'All capture figures');
  if (more) c.appendChild(more);

  // throughput over time
  c.appendChild(chartBlock('Throughput over time', null, (box) => {
    const s = seriesOf(r);
    if (!s) return false;
    const step = s.step || (s.x.length > 1 ? s.x[1] - s.x[0] : 1) || 1;
    const bits = s.cols.bits_per_s || (s.cols.bytes ? s.cols.bytes.map((v) => (v === null ? null : (v * 8) / step)) : null);
    if (!bits) return false;
    const series = [{ label: 'Throughput', values: bits, color: '--bar', fill: true }];
    timeChart(box, { t0: Number(get(r, 'capture.first_ts')), x: s.x, series, yFmt: fmtBits, title: 'Throughput over time' });
    const pk = s.cols.packets;
    if (pk) box.appendChild(el('p', { class: 'chart-note', text: `Buckets of ${fmtDuration(step)}; peak ${fmtBits(Math.max(...bits.filter(isNum)))}, ${fmtInt(Math.max(...pk.filter(isNum)))} packets in the busiest bucket.` }));
    return true;
  }));
  return c;
}

function protoName(k) {
  const names = {
    ethernet: 'Ethernet', vlan: '802.1Q VLAN', sll: 'Linux cooked', ipv4: 'IPv4', ipv6: 'IPv6', tcp: 'TCP', udp: 'UDP', icmp: 'ICMP', icmpv6: 'ICMPv6',
    arp: 'ARP', dns: 'DNS', http: 'HTTP', tls: 'TLS', quic: 'QUIC', sctp: 'SCTP', gre: 'GRE', esp: 'ESP', ip_other: 'Other IP', non_ip: 'Not IP',
  };
  return names[k] || k;
}

export function renderProtocols(r) {
  const protos = r.protocols;
  const c = card('protocols', 'Protocols', 'Packets per protocol, counted at every layer (a DNS packet is also UDP and IPv4).');
  if (!protos || typeof protos !== 'object') { c.appendChild(empty('No protocol figures in this report.')); return c; }
  const entries = Object.entries(protos).filter(([, v]) => v && typeof v === 'object');
  const rows = entries.filter(([, v]) => v && isNum(v.packets) && v.packets > 0).sort((a, b) => b[1].packets - a[1].packets);
  const zero = entries.filter(([, v]) => v && v.packets === 0).map(([k]) => protoName(k));
  const total = get(r, 'capture.packets') || Math.max(1, ...rows.map(([, v]) => v.packets));
  const max = Math.max(1, ...rows.map(([, v]) => v.packets));
  c.appendChild(table(['Protocol', { label: 'Packets', num: true }, { label: 'Share', num: true }, { label: 'Bytes', num: true }, ''],
    rows.map(([k, v]) => el('tr', { dataset: { proto: k } },
      el('th', { scope: 'row', text: protoName(k) }),
      td(fmtInt(v.packets), { num: true, metric: `protocols.${k}.packets` }),
      td(fmtPct((100 * v.packets) / total), { num: true }),
      td(isNum(v.bytes) ? fmtBytes(v.bytes) : '—', { num: true, metric: `protocols.${k}.bytes` }),
      barCell(v.packets, max))), { caption: 'Protocols' }));
  if (zero.length) c.appendChild(el('p', { class: 'chart-note', text: 'Not seen: ' + zero.join(', ') + '.' }));
  const svc = r.services;
  if (Array.isArray(svc)) {
    const srows = svc.filter((s) => s && isNum(s.bytes)).sort((a, b) => b.bytes - a.bytes).slice(0, 15);
    if (srows.length) {
      const smax = Math.max(1, ...srows.map((s) => s.bytes));
      c.appendChild(el('h3', { text: 'Services (by port)' }));
      c.appendChild(table(['Service', { label: 'Packets', num: true }, { label: 'Bytes', num: true }, ''],
        srows.map((s) => el('tr', {}, el('th', { scope: 'row', text: `${s.name ? s.name + ' · ' : ''}${s.transport || ''} ${s.port ?? ''}`.trim() || '?' }),
          td(fmtInt(s.packets), { num: true }), td(fmtBytes(s.bytes), { num: true }), barCell(s.bytes, smax))), { caption: 'Services' }));
    }
  }
  return c;
}

function hostsTable(list) {
  const rows = list.filter((t) => t && typeof t === 'object').slice(0, 15);
  if (!rows.length) return null;
  const bytes = (t) => (isNum(t.bytes) ? t.bytes : (t.bytes_sent || 0) + (t.bytes_received || 0));
  const pkts = (t) => (t.packets_sent || 0) + (t.packets_received || 0);
  const max = Math.max(1, ...rows.map(bytes));
  const hasDir = rows.some((t) => isNum(t.bytes_sent));
  return table(['Host', { label: 'Packets', num: true }, { label: 'Bytes', num: true }, ...(hasDir ? [{ label: 'Sent', num: true }, { label: 'Received', num: true }] : []), ''],
    rows.map((t) => el('tr', {},
      td(String(t.addr ?? '?'), { cls: 'name mono' }),
      td(fmtInt(pkts(t)), { num: true }),
      td(fmtBytes(bytes(t)), { num: true }),
      hasDir ? td(fmtBytes(t.bytes_sent), { num: true }) : null,
      hasDir ? td(fmtBytes(t.bytes_received), { num: true }) : null,
      barCell(bytes(t), max))), { caption: 'Hosts by bytes' });
}

function conversationsTable(list) {
  const rows = list.filter((t) => t && typeof t === 'object').slice(0, 15);
  if (!rows.length) return null;
  const max = Math.max(1, ...rows.map((t) => t.bytes || 0));
  const hasDir = rows.some((t) => isNum(t.bytes_a_to_b));
  return table(['A', 'B', { label: 'Packets', num: true }, { label: 'Bytes', num: true }, ...(hasDir ? [{ label: 'A → B', num: true }, { label: 'B → A', num: true }] : []), { label: 'Duration', num: true }, ''],
    rows.map((t) => el('tr', {},
      td(String(t.a ?? '?'), { cls: 'name mono' }),
      td(String(t.b ?? '?'), { cls: 'name mono' }),
      td(fmtInt(t.packets), { num: true }),
      td(fmtBytes(t.bytes), { num: true }),
      hasDir ? td(fmtBytes(t.bytes_a_to_b), { num: true }) : null,
      hasDir ? td(fmtBytes(t.bytes_b_to_a), { num: true }) : null,
      td(fmtDuration(t.duration_s), { num: true }),
      barCell(t.bytes, max))), { caption: 'Conversations by bytes' });
}

export function renderTalkers(r) {
  const c = card('talkers', 'Top talkers', 'The hosts and host pairs that carried the most traffic (IP bytes on the wire).');
  const tt = r.talkers && typeof r.talkers === 'object' ? r.talkers : {};
  const hosts = tt.hosts;
  const convs = tt.conversations;
  let any = false;
  const h = Array.isArray(hosts) ? hostsTable(hosts) : null;
  if (h) {
    c.appendChild(el('h3', { text: 'Hosts' }));
    c.appendChild(h);
    if (isNum(tt.hosts_total) && tt.hosts_total > Math.min(15, hosts.length)) c.appendChild(el('p', { class: 'chart-note', text: `Top ${Math.min(15, hosts.length)} of ${fmtInt(tt.hosts_total)} hosts.` }));
    any = true;
  }
  const cv = Array.isArray(convs) ? conversationsTable(convs) : null;
  if (cv) {
    c.appendChild(el('h3', { text: 'Conversations' }));
    c.appendChild(cv);
    if (isNum(tt.conversations_total) && tt.conversations_total > Math.min(15, convs.length)) c.appendChild(el('p', { class: 'chart-note', text: `Top ${Math.min(15, convs.length)} of ${fmtInt(tt.conversations_total)} conversations.` }));
    any = true;
  }
  if (!any) c.appendChild(empty('No IP traffic in this capture.'));
  return c;
}
